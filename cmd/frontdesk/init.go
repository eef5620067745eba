package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/gate/access"
)

func newInitCmd(g *globals) *cobra.Command {
	var name, ownerEmail, ownerName, ownerPasswordFile string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new appliance in the data directory",
		Long: `Create a new appliance: the key-encryption key (a 0600 file, or derived from
--passphrase-file), the appliance signing key, the system ledger, a first
workspace, a local certificate authority (ECDSA P-256, ten years; its
certificate is written to DATA/tls/ca.pem for browsers and clients to trust)
and a server certificate for localhost, the loopback addresses and this host.

With --owner-email it also creates the owner account (owner of the appliance
and of the first workspace). Its password comes from --owner-password-file, or
a one-time password is generated and printed once; a one-time password must be
changed at the first login, and the owner enrols a TOTP second factor then.

Prints the verifier key that auditors use to check proofs: keep a copy
outside the appliance.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var pw string
			if ownerEmail != "" {
				if err := access.ValidEmail(ownerEmail); err != nil {
					return fmt.Errorf("--owner-email: %w", err)
				}
				if ownerPasswordFile != "" {
					var err error
					if pw, err = readPasswordFile(ownerPasswordFile, g.stdin); err != nil {
						return err
					}
					if err := access.CheckPassword(pw, ownerEmail, ownerName, "frontdesk"); err != nil {
						return fmt.Errorf("--owner-password-file: %w", err)
					}
				}
			} else if ownerPasswordFile != "" || ownerName != "" {
				return fmt.Errorf("--owner-password-file and --owner-name need --owner-email")
			}
			var owner *access.Account
			var oneTime string
			setup := func(a *appliance.Appliance) error {
				if ownerEmail == "" {
					return nil
				}
				ws, err := a.DefaultWorkspace()
				if err != nil {
					return err
				}
				dir, err := access.Open(a.System(), access.Config{})
				if err != nil {
					return err
				}
				owner, oneTime, err = dir.CreateAccount(context.Background(), actor(), access.NewAccount{
					Email: ownerEmail, Name: ownerName, Password: pw, ApplianceOwner: true, Workspace: ws, Role: access.Owner,
				})
				return err
			}
			a, err := appliance.Init(g.config(), appliance.InitOptions{Workspace: g.workspace, WorkspaceName: name, Setup: setup})
			if err != nil {
				return err
			}
			defer a.Close()
			ws, _ := a.DefaultWorkspace()
			g.log.Info().Str("component", "init").Str("workspace", ws).Msg("appliance initialised")
			out := map[string]any{
				"data":           a.DataDir(),
				"appliance":      a.ID(),
				"workspace":      ws,
				"verifier_key":   a.VerifierKey(),
				"ca_certificate": a.CAPath(),
			}
			if owner != nil {
				o := map[string]any{"id": owner.ID, "email": owner.Email}
				if oneTime != "" {
					o["one_time_password"] = oneTime
					fmt.Fprintln(g.stderr, "The owner's one-time password is shown once: it must be changed at the first login.")
				}
				out["owner"] = o
			} else {
				fmt.Fprintln(g.stderr, "No owner account was created: add one with `frontdesk user add EMAIL --owner --role owner`.")
			}
			fmt.Fprintln(g.stderr, "Clients and browsers trust the appliance's HTTPS through its CA certificate "+a.CAPath()+".")
			return g.printJSON(out)
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&name, "workspace-name", "", "display name of the first workspace")
	cmd.Flags().StringVar(&ownerEmail, "owner-email", "", "create the owner account with this email address")
	cmd.Flags().StringVar(&ownerName, "owner-name", "", "the owner's display name")
	cmd.Flags().StringVar(&ownerPasswordFile, "owner-password-file", "", "the owner's password: first line of this file (- for stdin); default a one-time password")
	return cmd
}
