package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/gate/access"
	"frontdesk/internal/demo"
	"frontdesk/voice/receptionist"
	"frontdesk/voice/switchboard"
)

func newDemoCmd(g *globals) *cobra.Command {
	var bundles, tz string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Make the data directory a demonstration clinic (creating it if needed)",
		Long: `Make the data directory a demonstration clinic with everything local: it
initialises the directory if it holds no appliance (with an owner account whose
one-time password is printed once, and a front-desk account for the browser
call page), imports the synthetic Synthea patients and practitioners from
--bundles as if from the clinic's EHR, gives three practitioners two weeks of
free slots and every patient an upcoming appointment, and writes a
configuration for the receptionist. Run it again and it changes nothing.
Then run frontdesk serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			loc := time.Local
			if tz != "" {
				var err error
				if loc, err = time.LoadLocation(tz); err != nil {
					return fmt.Errorf("--time-zone: %w", err)
				}
			}
			out := map[string]any{}
			if _, err := os.Stat(filepath.Join(g.data, "system.db")); errors.Is(err, fs.ErrNotExist) {
				creds, err := initDemo(g)
				if err != nil {
					return err
				}
				out["accounts"] = creds
				fmt.Fprintln(g.stderr, "These passwords are shown once. The owner must change theirs at the first login and enrol a second factor.")
			}
			a, err := g.open()
			if err != nil {
				return err
			}
			defer a.Close()
			ws, err := a.DefaultWorkspace()
			if err != nil {
				return err
			}
			l, err := a.Ledger(ws)
			if err != nil {
				return err
			}
			sum, err := demo.Build(context.Background(), l, bundles, time.Now(), loc)
			if err != nil {
				return err
			}
			if err := writeDemoConfig(g.data, ws, tz); err != nil {
				return err
			}
			out["data"], out["workspace"], out["clinic"] = a.DataDir(), ws, sum
			out["verifier_key"] = a.VerifierKey()
			return g.printJSON(out)
		},
	}
	cmd.Flags().StringVar(&bundles, "bundles", "testdata/fhir/synthea", "directory of FHIR bundles to import")
	cmd.Flags().StringVar(&tz, "time-zone", "", "the clinic's IANA time zone (default the server's)")
	return cmd
}

// initDemo initialises the data directory with a demo workspace, an owner
// with a one-time password and a front-desk member for the call page.
func initDemo(g *globals) (map[string]any, error) {
	creds := map[string]any{}
	setup := func(a *appliance.Appliance) error {
		dir, err := access.Open(a.System(), access.Config{})
		if err != nil {
			return err
		}
		ctx := context.Background()
		owner, oneTime, err := dir.CreateAccount(ctx, actor(), access.NewAccount{
			Email: "owner@maple-family-practice.example", Name: "Demo Owner", ApplianceOwner: true, Workspace: "demo", Role: access.Owner,
		})
		if err != nil {
			return err
		}
		creds["owner"] = map[string]string{"email": owner.Email, "one_time_password": oneTime}
		pw, err := demoPassword()
		if err != nil {
			return err
		}
		desk, _, err := dir.CreateAccount(ctx, actor(), access.NewAccount{
			Email: "frontdesk@maple-family-practice.example", Name: "Demo Front Desk", Password: pw, Workspace: "demo", Role: access.Member,
		})
		if err != nil {
			return err
		}
		creds["front_desk"] = map[string]string{"email": desk.Email, "password": pw}
		return nil
	}
	a, err := appliance.Init(g.config(), appliance.InitOptions{Workspace: "demo", WorkspaceName: demo.Clinic.Name, Setup: setup})
	if err != nil {
		return nil, err
	}
	return creds, a.Close()
}

// demoPassword is a random passphrase that passes the password rules.
func demoPassword() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
	return s[:6] + "-" + s[6:12] + "-" + s[12:18] + "-" + s[18:24], nil
}

// writeDemoConfig writes DATA/config.json for the demo unless one exists.
func writeDemoConfig(data, ws, tz string) error {
	path := filepath.Join(data, "config.json")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	c := config{
		Voice: switchboard.Settings{Workspace: ws},
		Receptionist: receptionist.Config{
			ClinicName: demo.Clinic.Name, Hours: demo.Clinic.Hours, Address: demo.Clinic.Address, TimeZone: tz,
		},
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
