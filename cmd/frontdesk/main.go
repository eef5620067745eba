// Command frontdesk runs and administers a frontdesk appliance: the voice
// receptionist, its ledger, and the tools IT staff and auditors use.
//
// Each subcommand parses its flags, calls the library and prints the result
// (JSON for data, one object per line for event streams). Nothing below this
// package prints.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/gate/logs"
)

// globals are the flags every command shares.
type globals struct {
	data           string
	kekFile        string
	passphraseFile string
	workspace      string
	logFormat      string
	verbose        bool

	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	log    zerolog.Logger
}

// exitError carries a process exit code for errors that are outcomes, not
// failures (a verification that found damage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin}
	root := newRoot(g)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "frontdesk:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "frontdesk",
		Short:         "An on-premises voice receptionist with a verifiable ledger",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := zerolog.InfoLevel
			if g.verbose {
				level = zerolog.DebugLevel
			}
			g.log = logs.New(logs.Options{Out: g.stderr, Format: g.logFormat, Level: level, Redact: redactText})
		},
	}
	defData := os.Getenv("FRONTDESK_DATA")
	if defData == "" {
		defData = "/var/lib/frontdesk"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.data, "data", defData, "data directory (or set FRONTDESK_DATA)")
	pf.StringVar(&g.kekFile, "kek-file", os.Getenv("FRONTDESK_KEK_FILE"), "key-encryption key file (default DATA/kek)")
	pf.StringVar(&g.passphraseFile, "passphrase-file", os.Getenv("FRONTDESK_PASSPHRASE_FILE"), "derive the key-encryption key from the passphrase in this file (argon2id)")
	pf.StringVar(&g.logFormat, "log-format", "", "log format: json or console (default: console on a terminal, else json)")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "debug logging")
	root.AddCommand(
		newInitCmd(g),
		newLedgerCmd(g),
		newProofCmd(g),
		newSubjectCmd(g),
		newKeysCmd(g),
		newWorkspaceCmd(g),
		newRedactCmd(g),
		newServeCmd(g),
		newUserCmd(g),
		newKeyCmd(g),
		newReviewCmd(g),
		newCallCmd(g),
		newDemoCmd(g),
		newEHRCmd(g),
		newImportCmd(g),
		newWebhookCmd(g),
		newStatusCmd(g),
	)
	return root
}

func (g *globals) config() appliance.Config {
	return appliance.Config{DataDir: g.data, KEKFile: g.kekFile, PassphraseFile: g.passphraseFile}
}

// open opens the data directory.
func (g *globals) open() (*appliance.Appliance, error) {
	return appliance.Open(g.config())
}

// workspaceFlag adds --workspace to a command that concerns one workspace.
func (g *globals) workspaceFlag(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&g.workspace, "workspace", "w", "", "workspace ID (default: the only workspace)")
}

// resolveWorkspace returns --workspace or the only workspace.
func (g *globals) resolveWorkspace(a *appliance.Appliance) (string, error) {
	if g.workspace != "" {
		return g.workspace, nil
	}
	return a.DefaultWorkspace()
}

// actor names the local operator in the events the CLI records.
func actor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli/" + u.Username
	}
	return "cli"
}

// printJSON writes v as indented JSON.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printLine writes v as one line of JSON.
func (g *globals) printLine(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
