package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"frontdesk/gate/logs"
	"frontdesk/gate/phi"
)

// redactText removes PHI from free text in log lines.
var redactText = logs.PHIRedactor(nil)

func newRedactCmd(g *globals) *cobra.Command {
	var asJSON, mask bool
	var names []string
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Read text on stdin; write it with PHI replaced, or the PHI spans as JSON",
		Long: `Read text on standard input and write it with every HIPAA Safe Harbor
identifier replaced by a typed placeholder ([NAME], [DATE], [PHONE] ...), or
with --json the spans found: [{"start":..,"end":..,"type":"..","score":..}],
offsets in characters of the whole input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := io.ReadAll(io.LimitReader(g.stdin, 16<<20))
			if err != nil {
				return err
			}
			text := string(b)
			d := phi.New(phi.Options{KnownNames: names})
			spans := d.Detect(text)
			if asJSON {
				if spans == nil {
					spans = []phi.Span{}
				}
				return g.printLine(spans)
			}
			op := phi.Placeholder
			if mask {
				op = phi.Mask
			}
			out, _ := phi.Redact(text, spans, op)
			if !strings.HasSuffix(out, "\n") && out != "" {
				out += "\n"
			}
			_, err = fmt.Fprint(g.stdout, out)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the spans found as JSON instead")
	cmd.Flags().BoolVar(&mask, "mask", false, "replace identifiers with '*' instead of typed placeholders")
	cmd.Flags().StringSliceVar(&names, "name", nil, "a known patient or staff name to always find (repeatable)")
	return cmd
}
