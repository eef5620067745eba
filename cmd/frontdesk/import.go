package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"frontdesk/connector/fhir"
)

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import records into the workspace ledger",
	}
	cmd.AddCommand(newImportFHIRCmd(g))
	return cmd
}

// importResult is one line of `import fhir`'s output.
type importResult struct {
	File string `json:"file"`
	fhir.Stats
}

func newImportFHIRCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fhir BUNDLE.json...",
		Short: "Import FHIR R4 bundles (transaction, batch or collection, e.g. Synthea's)",
		Long: `Record the Patient, Practitioner, PractitionerRole, Schedule, Slot and
Appointment resources of each bundle as ehr events (confidence 1.0), each new
version superseding the last; other resource types are counted and skipped.
Importing a bundle again writes nothing. Prints one JSON line per file, then
the totals.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.openConnector("", false)
			if err != nil {
				return err
			}
			defer e.Close()
			var total fhir.Stats
			for _, path := range args {
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				st, err := fhir.ImportBundle(cmd.Context(), e.l, f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", filepath.Base(path), err)
				}
				total.Add(st)
				if err := g.printLine(importResult{File: path, Stats: st}); err != nil {
					return err
				}
			}
			return g.printLine(importResult{File: "total", Stats: total})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}
