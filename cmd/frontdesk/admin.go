package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/ledger"
)

func newSubjectCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "subject", Short: "Act on a data subject (a patient)"}
	var reason string
	var noCompact bool
	erase := &cobra.Command{
		Use:   "erase SUBJECT",
		Short: "Erase a subject's PHI: destroy its key and values, record the erasure",
		Long: `Erase a subject (for example patient/123): its key and every PHI value sealed
under it are destroyed and an erasure event without PHI is appended. The
ledger, its checkpoints and proofs still verify. The ledger file is then
compacted so that no freed page keeps a copy of the destroyed key
(--no-compact skips this); while ` + "`frontdesk serve`" + ` runs, the erasure goes
through it and the file is compacted when the appliance next starts.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLedgerOrSocket(func(a *appliance.Appliance, l *ledger.Ledger) error {
				return g.erase(a, l, args[0], reason, noCompact)
			}, func(c *apiClient, ws string) error {
				// The server holds the file: it is compacted when the
				// appliance next starts, as the answer says.
				var out map[string]any
				if err := c.do("POST", ws+"/erasures", map[string]string{"subject": args[0], "reason": reason}, &out); err != nil {
					return err
				}
				return g.printLine(out)
			})
		},
	}
	g.workspaceFlag(erase)
	erase.Flags().StringVar(&reason, "reason", "patient-request", "reason code (a-z, 0-9, '-'; never free text)")
	erase.Flags().BoolVar(&noCompact, "no-compact", false, "skip compacting the ledger file")
	cmd.AddCommand(erase)
	return cmd
}

// erase erases subject in l and, unless noCompact, compacts l's file.
func (g *globals) erase(a *appliance.Appliance, l *ledger.Ledger, subject, reason string, noCompact bool) error {
	ws := l.Workspace()
	ev, err := l.Erase(context.Background(), subject, actor(), reason)
	if err != nil {
		return err
	}
	if !noCompact {
		if err := a.CloseLedger(ws); err != nil {
			return err
		}
		if err := ledger.CompactFile(a.LedgerPath(ws)); err != nil {
			if merr := ledger.MarkForCompaction(a.LedgerPath(ws)); merr != nil {
				return fmt.Errorf("erased, but compaction failed (run `frontdesk ledger compact`): %w", err)
			}
			return fmt.Errorf("erased, but compaction failed; it is retried when the ledger is next opened, or run `frontdesk ledger compact`: %w", err)
		}
	}
	g.log.Info().Str("workspace", ws).Uint64("seq", ev.Seq).Msg("subject erased")
	return g.printLine(map[string]any{"workspace": ws, "seq": ev.Seq, "id": ev.ID, "compacted": !noCompact})
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the key hierarchy"}
	var all bool
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new workspace data key version and rewrap every subject key under it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open()
			if errors.Is(err, appliance.ErrInUse) && !all && g.workspace != appliance.SystemWorkspace {
				// While serving, one workspace at a time through the
				// server, which records the rotation.
				return g.withClient(func(c *apiClient) error {
					ws, err := c.workspace(g.workspace)
					if err != nil {
						return err
					}
					var out json.RawMessage
					if err := c.do("POST", "/v1/workspaces/"+url.PathEscape(ws)+"/key-rotations", nil, &out); err != nil {
						return err
					}
					return g.printLine(out)
				})
			}
			if errors.Is(err, appliance.ErrInUse) {
				return fmt.Errorf("%w; while it runs, rotate one workspace at a time (--workspace); --all and the system ledger need it stopped", err)
			}
			if err != nil {
				return err
			}
			defer a.Close()
			var ids []string
			if all {
				wss, err := a.Workspaces()
				if err != nil {
					return err
				}
				ids = append(ids, appliance.SystemWorkspace)
				for _, w := range wss {
					ids = append(ids, w.ID)
				}
			} else {
				ws := g.workspace
				if ws == "" {
					if ws, err = a.DefaultWorkspace(); err != nil {
						return err
					}
				}
				ids = []string{ws}
			}
			for _, id := range ids {
				l, err := a.Ledger(id)
				if err != nil {
					return err
				}
				v, err := l.RotateKey()
				if err != nil {
					return err
				}
				if _, err := a.System().Append(context.Background(), ledger.Event{
					Entity: "workspace/" + id, Type: "keys.rotated", Source: ledger.SourceSystem, Confidence: 1,
					Actor: actor(), Attrs: map[string]string{"version": fmt.Sprint(v)},
				}); err != nil {
					return err
				}
				g.printLine(map[string]any{"workspace": id, "version": v, "versions": l.KeyVersions()})
			}
			return nil
		},
	}
	g.workspaceFlag(rotate)
	rotate.Flags().BoolVar(&all, "all", false, "rotate every workspace and the system ledger")
	cmd.AddCommand(rotate)
	return cmd
}

func newWorkspaceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "workspace", Short: "Create and list workspaces (through the admin socket while serving)"}
	var name string
	create := &cobra.Command{
		Use:   "create ID",
		Short: "Create a workspace with its own ledger and data key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				var ws appliance.Workspace
				if err := c.do("POST", "/v1/workspaces", map[string]string{"id": args[0], "name": name}, &ws); err != nil {
					return err
				}
				return g.printLine(ws)
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name")
	list := &cobra.Command{
		Use:   "list",
		Short: "List workspaces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				var out struct{ Workspaces []appliance.Workspace }
				if err := c.do("GET", "/v1/workspaces", nil, &out); err != nil {
					return err
				}
				for _, w := range out.Workspaces {
					g.printLine(w)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}
