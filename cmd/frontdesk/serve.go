package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"frontdesk/api"
	"frontdesk/connector/fhir"
	"frontdesk/gate/access"
	"frontdesk/voice/receptionist"
	"frontdesk/voice/switchboard"
)

// config is the JSON configuration file of `frontdesk serve`: one section
// per package, each with its package's own Config type and defaults.
type config struct {
	API          api.Config           `json:"api"`
	Access       access.Config        `json:"access"`
	Voice        switchboard.Settings `json:"voice"`
	Receptionist receptionist.Config  `json:"receptionist"`
	// EHR, when set, keeps the voice workspace in step with the clinic's
	// EHR (an egress destination of class baa in DATA/egress.json).
	EHR *fhir.Config `json:"ehr,omitempty"`
}

// loadConfig reads path, or DATA/config.json when path is empty and that
// file exists; unknown fields are errors, so a typo is not silently
// ignored.
func loadConfig(path, dataDir string) (config, error) {
	var c config
	explicit := path != ""
	if !explicit {
		path = filepath.Join(dataDir, "config.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return c, nil
		}
		return c, fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

func newServeCmd(g *globals) *cobra.Command {
	var configPath, httpsAddr, sipAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTPS API and the admin socket until interrupted",
		Long: `Serve the appliance's HTTPS API (TLS 1.3; 1.2 only if configured) and, for the
local admin commands, the same API on DATA/admin.sock (mode 0600, local user
checked by peer credentials). The certificate comes from the appliance's local
CA (created on first use; clients trust DATA/tls/ca.pem) unless api.cert_file
and api.key_file name the clinic's own.

Settings come from --config, or DATA/config.json when it exists:
  {"api": {"https_addr": "0.0.0.0:8443", "tls_min_version": "1.3", "hosts": ["frontdesk.clinic.example"]},
   "access": {"session_idle_minutes": 60}}
SIGINT or SIGTERM stops the server gracefully: requests in flight finish and
every acknowledged ledger append is committed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath, g.data)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("https-addr") {
				cfg.API.HTTPSAddr = httpsAddr
			}
			if cmd.Flags().Changed("sip-addr") {
				cfg.Voice.SIPAddr = sipAddr
			}
			a, err := g.open()
			if err != nil {
				return err
			}
			defer a.Close()
			created, err := a.EnsureCA()
			if err != nil {
				return err
			}
			if created {
				g.log.Info().Str("component", "serve").Msg("created the local certificate authority")
			}
			srv, err := api.New(a, cfg.API, cfg.Access, g.log)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			v, err := startVoice(ctx, a, srv, cfg, g)
			if err != nil {
				return err
			}
			defer v.Close()
			if accts, err := srv.Directory().Accounts(); err == nil && len(accts) == 0 {
				g.log.Warn().Str("component", "serve").Msg("no accounts yet: create the owner with `frontdesk user add EMAIL --owner --role owner` (works while serving)")
			}
			fmt.Fprintf(g.stderr, "clients trust the CA certificate %s\n", a.CAPath())
			v.announce(srv)
			if err := srv.Run(ctx); err != nil {
				return err
			}
			g.log.Info().Str("component", "serve").Msg("stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "JSON configuration file (default DATA/config.json if present)")
	cmd.Flags().StringVar(&httpsAddr, "https-addr", "127.0.0.1:8443", "address of the HTTPS API")
	cmd.Flags().StringVar(&sipAddr, "sip-addr", "0.0.0.0:5060", `SIP address, UDP and TCP ("off" for none)`)
	return cmd
}
