package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/connector/fhir"
	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// connectorEnv is what the ehr and webhook commands share: the open data
// directory, the workspace ledger, and the egress gate loaded from the
// destinations file.
type connectorEnv struct {
	a    *appliance.Appliance
	ws   string
	l    *ledger.Ledger
	gate *egress.Gate
}

func (e *connectorEnv) Close() {
	if e.gate != nil {
		e.gate.Close()
	}
	e.a.Close()
}

// egressFlag adds --egress-config to a command that sends anything out.
func egressFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "egress-config", "", "egress destinations file (default DATA/egress.json)")
}

// openConnector opens the data directory, the workspace's ledger and, when
// withGate, the egress gate. Secrets named by destinations' auth come from
// the environment: secret "ehr-token" is FRONTDESK_SECRET_EHR_TOKEN.
func (g *globals) openConnector(egressPath string, withGate bool) (*connectorEnv, error) {
	a, err := g.open()
	if err != nil {
		return nil, err
	}
	e := &connectorEnv{a: a}
	fail := func(err error) (*connectorEnv, error) {
		e.Close()
		return nil, err
	}
	if e.ws, err = g.resolveWorkspace(a); err != nil {
		return fail(err)
	}
	if e.l, err = a.Ledger(e.ws); err != nil {
		return fail(err)
	}
	if !withGate {
		return e, nil
	}
	if e.gate, err = openGate(a, egressPath, envSecrets{}); err != nil {
		return fail(err)
	}
	return e, nil
}

// openGate builds the egress gate from the destinations file (default
// DATA/egress.json; none yet means no destinations), saving changes made
// through the API back to it.
func openGate(a *appliance.Appliance, path string, secrets egress.SecretSource) (*egress.Gate, error) {
	if path == "" {
		path = filepath.Join(a.DataDir(), "egress.json")
	}
	cfg := egress.Config{}
	if _, err := os.Stat(path); err == nil {
		if cfg, err = egress.LoadConfigFile(path); err != nil {
			return nil, err
		}
	}
	return egress.New(cfg, egress.Options{
		Recorder: func(ws string) (egress.Recorder, error) {
			if ws == "" {
				return a.System(), nil
			}
			return a.Ledger(ws)
		},
		Secrets: secrets,
		Persist: func(c egress.Config) error { return egress.SaveConfigFile(path, c) },
	})
}

// envSecrets resolves a destination's secret from the environment of the
// command: FRONTDESK_SECRET_ and the name in upper case with every other
// character than a letter or digit as '_'.
type envSecrets struct{}

func (envSecrets) Secret(_ context.Context, name string) (string, error) {
	v := os.Getenv(secretEnvName(name))
	if v == "" {
		return "", errors.New("not set")
	}
	return v, nil
}

func secretEnvName(name string) string {
	return "FRONTDESK_SECRET_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

func newEHRCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ehr",
		Short: "Sync the workspace with the clinic's EHR (FHIR R4)",
		Long: `Read the EHR into the ledger (sync) and write to it what passed every gate (push).

The EHR is an egress destination of class baa in DATA/egress.json (or
--egress-config), e.g.
  {"destinations": [{"name": "ehr", "class": "baa", "base_url": "https://ehr.clinic.example/fhir/R4",
     "baa": {"signed_by": "Clinic Owner", "signed_at": "2025-01-01T00:00:00Z"},
     "auth": {"scheme": "Bearer", "secret": "ehr-token"}}]}
The bearer token is the secret the destination names; these commands read it
from the environment: FRONTDESK_SECRET_EHR_TOKEN for "ehr-token".`,
	}
	cmd.AddCommand(newEHRSyncCmd(g), newEHRPushCmd(g))
	return cmd
}

// ehrFlags are the connector settings the ehr commands take.
type ehrFlags struct {
	egress string
	cfg    fhir.Config
}

func (f *ehrFlags) add(g *globals, cmd *cobra.Command) {
	g.workspaceFlag(cmd)
	egressFlag(cmd, &f.egress)
	cmd.Flags().StringVar(&f.cfg.Destination, "destination", fhir.DefaultDestination, "egress destination of the FHIR server")
	cmd.Flags().IntVar(&f.cfg.PageSize, "page-size", fhir.DefaultPageSize, "resources per search page (_count)")
	cmd.Flags().IntVar(&f.cfg.MaxFailures, "max-failures", fhir.DefaultMaxFailures, "failed attempts before a write goes back to review")
}

func (g *globals) connector(f *ehrFlags) (*connectorEnv, *fhir.Connector, error) {
	e, err := g.openConnector(f.egress, true)
	if err != nil {
		return nil, nil, err
	}
	c, err := fhir.New(e.l, e.gate, f.cfg, fhir.Options{Appliance: e.a.ID()})
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, c, nil
}

func newEHRSyncCmd(g *globals) *cobra.Command {
	var f ehrFlags
	var o fhir.SyncOptions
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Read new versions of Patient, Practitioner, PractitionerRole, Schedule, Slot and Appointment",
		Long: `Search the EHR for each resource type from where the last sync stopped
(_lastUpdated) and record every new version as an ehr event. --full reads
everything again and records resources the EHR no longer has as deleted.
Prints the counts as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, c, err := g.connector(&f)
			if err != nil {
				return err
			}
			defer e.Close()
			st, err := c.Sync(cmd.Context(), o)
			if perr := g.printJSON(st); err == nil {
				err = perr
			}
			return err
		},
	}
	f.add(g, cmd)
	cmd.Flags().StringSliceVar(&o.Resources, "resource", nil, "resource types to sync (default all)")
	cmd.Flags().BoolVar(&o.Full, "full", false, "read everything, and record deletions")
	return cmd
}

func newEHRPushCmd(g *globals) *cobra.Command {
	var f ehrFlags
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Write to the EHR the facts and appointments every gate passed",
		Long: `Write each caller-stated patient fact (phone, email, address, pharmacy) and
appointment request (booked, moved, cancelled) that review may-write allows
for "ehr", with a Provenance naming this appliance, the reviewer and the
ledger events; record ehr.synced or ehr.rejected. Writes that keep failing go
back to the review queue. Prints the counts as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, c, err := g.connector(&f)
			if err != nil {
				return err
			}
			defer e.Close()
			st, err := c.Push(cmd.Context())
			if perr := g.printJSON(st); err == nil {
				err = perr
			}
			return err
		},
	}
	f.add(g, cmd)
	return cmd
}
