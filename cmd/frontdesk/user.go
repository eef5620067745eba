package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"frontdesk/gate/access"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage accounts: add, list, role, unlock, disable",
		Long: `Manage the accounts that sign in to the appliance. These commands go through
the admin socket while ` + "`frontdesk serve`" + ` runs, and open the data directory
directly when it does not; either way they act as the local operator
(cli/USER, an owner) and every change is recorded in the system ledger.
ACCOUNT is an account ID or an email address.`,
	}
	cmd.AddCommand(newUserAddCmd(g), newUserListCmd(g), newUserRoleCmd(g),
		newUserActionCmd(g, "unlock", "Unlock an account locked after failed logins"),
		newUserActionCmd(g, "disable", "Disable an account: its sessions end and its API keys are revoked"),
		newUserActionCmd(g, "enable", "Enable a disabled account"),
		newUserActionCmd(g, "mfa-reset", "Remove an account's second factor (it enrols again at its next login)"),
		newUserResetPasswordCmd(g))
	return cmd
}

// readPasswordFile reads the first line of path ("-" is standard input).
func readPasswordFile(path string, stdin interface{ Read([]byte) (int, error) }) (string, error) {
	var sc *bufio.Scanner
	if path == "-" {
		sc = bufio.NewScanner(stdin)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		sc = bufio.NewScanner(f)
	}
	if !sc.Scan() {
		return "", fmt.Errorf("password file is empty")
	}
	return strings.TrimRight(sc.Text(), "\r"), nil
}

func newUserAddCmd(g *globals) *cobra.Command {
	var name, passwordFile, role string
	var owner bool
	cmd := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Create an account; without --password-file a one-time password is printed once",
		Example: `  frontdesk user add reception@clinic.example --role member
  frontdesk user add it@clinic.example --role owner --owner --password-file pw.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := map[string]any{"email": args[0]}
			if name != "" {
				req["name"] = name
			}
			if passwordFile != "" {
				pw, err := readPasswordFile(passwordFile, g.stdin)
				if err != nil {
					return err
				}
				req["password"] = pw
			}
			if owner {
				req["appliance_owner"] = true
			}
			return g.withClient(func(c *apiClient) error {
				if role != "" {
					if _, err := access.ParseRole(role); err != nil {
						return err
					}
					ws, err := c.workspace(g.workspace)
					if err != nil {
						return err
					}
					req["workspace"], req["role"] = ws, role
				}
				var out map[string]any
				if err := c.do("POST", "/v1/accounts", req, &out); err != nil {
					return err
				}
				if _, ok := out["one_time_password"]; ok {
					fmt.Fprintln(g.stderr, "The one-time password is shown once: give it to the user, who must change it at first login.")
				}
				return g.printJSON(out)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&name, "name", "", "display name")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the initial password from the first line of this file (- for stdin)")
	cmd.Flags().StringVar(&role, "role", "", "a role in the workspace: viewer, member, admin or owner")
	cmd.Flags().BoolVar(&owner, "owner", false, "make the account an owner of the appliance (manages accounts and workspaces)")
	return cmd
}

func newUserListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts, one JSON object per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				var out struct{ Accounts []access.Account }
				if err := c.do("GET", "/v1/accounts", nil, &out); err != nil {
					return err
				}
				for _, a := range out.Accounts {
					g.printLine(a)
				}
				return nil
			})
		},
	}
}

func newUserRoleCmd(g *globals) *cobra.Command {
	var appliance bool
	cmd := &cobra.Command{
		Use:   "role ACCOUNT ROLE",
		Short: "Set an account's role in a workspace (none removes it); keys above the new role are revoked",
		Example: `  frontdesk user role reception@clinic.example member
  frontdesk user role it@clinic.example owner --appliance`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			role, err := access.ParseRole(args[1])
			if err != nil {
				return err
			}
			return g.withClient(func(c *apiClient) error {
				id, err := c.accountID(args[0])
				if err != nil {
					return err
				}
				if appliance {
					if err := c.do("PUT", "/v1/accounts/"+id+"/appliance-role", map[string]string{"role": role.String()}, nil); err != nil {
						return err
					}
					return g.printLine(map[string]any{"account": id, "appliance_role": role})
				}
				ws, err := c.workspace(g.workspace)
				if err != nil {
					return err
				}
				if role == access.None {
					err = c.do("DELETE", "/v1/workspaces/"+ws+"/members/"+id, nil, nil)
				} else {
					err = c.do("PUT", "/v1/workspaces/"+ws+"/members/"+id, map[string]string{"role": role.String()}, nil)
				}
				if err != nil {
					return err
				}
				return g.printLine(map[string]any{"account": id, "workspace": ws, "role": role})
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().BoolVar(&appliance, "appliance", false, "set the appliance role (owner or none) instead of a workspace role")
	return cmd
}

func newUserActionCmd(g *globals, action, short string) *cobra.Command {
	return &cobra.Command{
		Use:   action + " ACCOUNT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				id, err := c.accountID(args[0])
				if err != nil {
					return err
				}
				if err := c.do("POST", "/v1/accounts/"+id+"/"+action, nil, nil); err != nil {
					return err
				}
				return g.printLine(map[string]any{"account": id, "done": action})
			})
		},
	}
}

func newUserResetPasswordCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-password ACCOUNT",
		Short: "Set a one-time password, printed once; the account's sessions end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				id, err := c.accountID(args[0])
				if err != nil {
					return err
				}
				var out map[string]any
				if err := c.do("POST", "/v1/accounts/"+id+"/password-reset", nil, &out); err != nil {
					return err
				}
				fmt.Fprintln(g.stderr, "The one-time password is shown once: it must be changed at the next login.")
				out["account"] = id
				return g.printJSON(out)
			})
		},
	}
}
