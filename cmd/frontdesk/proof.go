package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"frontdesk/ledger"
)

func newProofCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "proof", Short: "Work with proof bundles (needs no data directory)"}
	var key string
	verify := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a proof bundle offline: signature, inclusion proofs, consistency",
		Long: `Check a proof bundle without the appliance, its data or its keys. Pass --key
with the verifier key you hold (printed by frontdesk init); without it the
bundle's own key is used, which proves only that the bundle is self-consistent.
Prints the checkpoint and the decoded events; exits 1 if anything fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(io.LimitReader(g.stdin, 64<<20))
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			rep, err := ledger.VerifyBundle(data, key)
			if err != nil {
				return &exitError{1, err}
			}
			if rep.KeyFromBundle {
				fmt.Fprintln(g.stderr, "warning: no --key given; checked against the key inside the bundle. Compare it with the verifier key you hold.")
			}
			return g.printJSON(rep)
		},
	}
	verify.Flags().StringVar(&key, "key", "", "the verifier key you trust (name+hash+base64)")
	cmd.AddCommand(verify)
	return cmd
}
