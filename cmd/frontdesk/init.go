package main

import (
	"github.com/spf13/cobra"

	"frontdesk/appliance"
)

func newInitCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new appliance in the data directory",
		Long: `Create a new appliance: the key-encryption key (a 0600 file, or derived from
--passphrase-file), the appliance signing key, the system ledger and a first
workspace. Prints the verifier key that auditors use to check proofs: keep a
copy outside the appliance.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appliance.Init(g.config(), appliance.InitOptions{Workspace: g.workspace, WorkspaceName: name})
			if err != nil {
				return err
			}
			defer a.Close()
			ws, _ := a.DefaultWorkspace()
			g.log.Info().Str("component", "init").Str("workspace", ws).Msg("appliance initialised")
			return g.printJSON(map[string]any{
				"data":         a.DataDir(),
				"appliance":    a.ID(),
				"workspace":    ws,
				"verifier_key": a.VerifierKey(),
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&name, "workspace-name", "", "display name of the first workspace")
	return cmd
}
