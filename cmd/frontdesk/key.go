package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"frontdesk/gate/access"
)

func newKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage API keys: create, list, revoke",
		Long: `Manage API keys. A key belongs to an account, works in one workspace with a
role no higher than the account's role there, and is revoked when the account
loses that role. Its token is printed once; only a hash is kept.`,
	}
	var account, role, name string
	var days int
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create an API key for an account; the token is printed once",
		Example: `  frontdesk key create --account ehr@clinic.example --role member --name ehr-sync --expires-days 365`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := access.ParseRole(role); err != nil {
				return err
			}
			return g.withClient(func(c *apiClient) error {
				id, err := c.accountID(account)
				if err != nil {
					return err
				}
				ws, err := c.workspace(g.workspace)
				if err != nil {
					return err
				}
				req := map[string]any{"account": id, "role": role}
				if name != "" {
					req["name"] = name
				}
				if days > 0 {
					req["expires_in_days"] = days
				}
				var out map[string]any
				if err := c.do("POST", "/v1/workspaces/"+ws+"/keys", req, &out); err != nil {
					return err
				}
				fmt.Fprintln(g.stderr, "The token is shown once: store it where the program that uses it can read it.")
				return g.printJSON(out)
			})
		},
	}
	g.workspaceFlag(create)
	create.Flags().StringVar(&account, "account", "", "the account the key belongs to (ID or email; required)")
	create.Flags().StringVar(&role, "role", "viewer", "viewer, member, admin or owner (no higher than the account's)")
	create.Flags().StringVar(&name, "name", "", "a label: a-z, 0-9, '.', '_' and '-'")
	create.Flags().IntVar(&days, "expires-days", 0, "expire after this many days (0: never)")
	create.MarkFlagRequired("account")

	list := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's API keys, one JSON object per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				ws, err := c.workspace(g.workspace)
				if err != nil {
					return err
				}
				var out struct{ Keys []access.APIKey }
				if err := c.do("GET", "/v1/workspaces/"+ws+"/keys", nil, &out); err != nil {
					return err
				}
				for _, k := range out.Keys {
					g.printLine(k)
				}
				return nil
			})
		},
	}
	g.workspaceFlag(list)

	revoke := &cobra.Command{
		Use:   "revoke KEY-ID",
		Short: "Revoke an API key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				ws, err := c.workspace(g.workspace)
				if err != nil {
					return err
				}
				if err := c.do("DELETE", "/v1/workspaces/"+ws+"/keys/"+args[0], nil, nil); err != nil {
					return err
				}
				return g.printLine(map[string]any{"key": args[0], "workspace": ws, "revoked": true})
			})
		},
	}
	g.workspaceFlag(revoke)
	cmd.AddCommand(create, list, revoke)
	return cmd
}
