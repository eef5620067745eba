package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/ledger"
)

func newLedgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Append to, read, verify and prove a workspace ledger"}
	cmd.AddCommand(
		newLedgerAppendCmd(g), newLedgerShowCmd(g), newLedgerHistoryCmd(g), newLedgerStateCmd(g),
		newLedgerVerifyCmd(g), newLedgerCheckpointCmd(g), newLedgerCheckpointsCmd(g), newLedgerProveCmd(g),
		newLedgerReindexCmd(g), newLedgerCompactCmd(g),
	)
	return cmd
}

// withLedger opens the appliance and the chosen workspace's ledger.
func (g *globals) withLedger(fn func(a *appliance.Appliance, l *ledger.Ledger) error) error {
	a, err := g.open()
	if err != nil {
		return err
	}
	defer a.Close()
	ws := g.workspace
	if ws != appliance.SystemWorkspace {
		if ws, err = g.resolveWorkspace(a); err != nil {
			return err
		}
	}
	l, err := a.Ledger(ws)
	if err != nil {
		return err
	}
	return fn(a, l)
}

// withLedgerOrSocket runs local on the opened data directory or, while
// `frontdesk serve` holds it, remote through the server's admin socket, so
// that reading, verifying and proving a ledger need not stop the
// appliance. Remote requests go through the API's handlers: its
// authorization, its access records, and its view (the appliance's own
// records are left out of event listings). The system workspace is only
// read locally.
func (g *globals) withLedgerOrSocket(local func(a *appliance.Appliance, l *ledger.Ledger) error, remote func(c *apiClient, wsPath string) error) error {
	a, err := g.open()
	if err == nil {
		a.Close()
		return g.withLedger(local)
	}
	if !errors.Is(err, appliance.ErrInUse) || g.workspace == appliance.SystemWorkspace {
		return err
	}
	c, cerr := g.client()
	if cerr != nil {
		return cerr
	}
	defer c.close()
	if c.via != "socket" {
		// The server stopped meanwhile: run here after all.
		return g.withLedger(local)
	}
	ws, err := c.workspace(g.workspace)
	if err != nil {
		return err
	}
	return remote(c, "/v1/workspaces/"+url.PathEscape(ws))
}

// defaultConfidence is where each source starts (DESIGN: confidence gates).
var defaultConfidence = map[ledger.Source]float64{
	ledger.SourceEHR: 1.0, ledger.SourceManual: 0.9, ledger.SourceVoice: 0.5, ledger.SourceAgent: 0.3, ledger.SourceSystem: 1.0,
}

func parsePairs(what string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			// Only the name is echoed: the value may be PHI.
			return nil, fmt.Errorf("--%s wants name=value, got an argument without '=' (or with an empty name)", what)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("--%s %s given twice", what, k)
		}
		m[k] = v
	}
	return m, nil
}

// readPHIFile reads name=value lines, or a JSON object, from path ("-" is
// standard input), so PHI need not appear on a command line.
func readPHIFile(path string, stdin io.Reader) (map[string]string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--phi-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("--phi-file: %w", err)
	}
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		m := map[string]string{}
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("--phi-file: not a JSON object of strings")
		}
		return m, nil
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return parsePairs("phi-file", lines)
}

func newLedgerAppendCmd(g *globals) *cobra.Command {
	var (
		entity, subject, typ, source, actorName, phiFile string
		confidence                                       float64
		attrs, phi, supersedes                           []string
	)
	cmd := &cobra.Command{
		Use:   "append",
		Short: "Append one event; prints its seq and ID",
		Example: `  frontdesk ledger append --entity patient/123 --type patient.phone-stated \
      --source voice --attr call=call/9 --phi phone=555-0100
  frontdesk ledger append --entity patient/123 --type patient.address-stated --phi-file - < values.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := ledger.ParseSource(source)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("confidence") {
				confidence = defaultConfidence[src]
			}
			a, err := parsePairs("attr", attrs)
			if err != nil {
				return err
			}
			p, err := parsePairs("phi", phi)
			if err != nil {
				return err
			}
			if phiFile != "" {
				fp, err := readPHIFile(phiFile, g.stdin)
				if err != nil {
					return err
				}
				if p == nil {
					p = map[string]string{}
				}
				for k, v := range fp {
					if _, dup := p[k]; dup {
						return fmt.Errorf("PHI field %s given twice", k)
					}
					p[k] = v
				}
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				if actorName == "" {
					actorName = actor()
				}
				ev, err := l.Append(context.Background(), ledger.Event{
					Entity: entity, Subject: subject, Type: typ, Source: src, Confidence: confidence,
					Supersedes: supersedes, Actor: actorName, Attrs: a, PHI: p,
				})
				if err != nil {
					return err
				}
				return g.printLine(map[string]any{"seq": ev.Seq, "id": ev.ID, "recorded": ev.Recorded})
			}, func(c *apiClient, ws string) error {
				// The server records who is asking, and appends no
				// system events for anyone.
				if actorName != "" {
					return errors.New("--actor is not available while `frontdesk serve` runs: the server records the local operator as the actor")
				}
				req := map[string]any{"entity": entity, "subject": subject, "type": typ, "source": source, "confidence": confidence,
					"supersedes": supersedes, "attrs": a, "phi": p}
				var out json.RawMessage
				if err := c.do("POST", ws+"/events", req, &out); err != nil {
					return err
				}
				return g.printLine(out)
			})
		},
	}
	g.workspaceFlag(cmd)
	f := cmd.Flags()
	f.StringVar(&entity, "entity", "", "what the event is about, kind/id (required)")
	f.StringVar(&subject, "subject", "", "whose key protects the PHI (default: the entity)")
	f.StringVar(&typ, "type", "", "event type, e.g. patient.phone-stated (required)")
	f.StringVar(&source, "source", "manual", "ehr, voice, manual, agent or system")
	f.Float64Var(&confidence, "confidence", 0, "0..1 (default: the source's starting confidence)")
	f.StringVar(&actorName, "actor", "", "who records it (default cli/USER)")
	f.StringArrayVar(&attrs, "attr", nil, "non-PHI attribute name=value (repeatable)")
	f.StringArrayVar(&phi, "phi", nil, "PHI field name=value (repeatable; prefer --phi-file)")
	f.StringVar(&phiFile, "phi-file", "", "read PHI fields from a file of name=value lines or a JSON object (- for stdin)")
	f.StringArrayVar(&supersedes, "supersedes", nil, "ID of an earlier event of the same entity this one replaces (repeatable)")
	cmd.MarkFlagRequired("entity")
	cmd.MarkFlagRequired("type")
	return cmd
}

// readOpts turns --no-phi into read options and records the disclosure of
// PHI to the local operator as an access event.
func (g *globals) readOpts(l *ledger.Ledger, noPHI bool, resource string) (ledger.ReadOptions, error) {
	if noPHI {
		return ledger.ReadOptions{}, nil
	}
	_, err := l.Append(context.Background(), ledger.Event{
		Entity: "access/cli", Type: "access.read", Source: ledger.SourceSystem, Confidence: 1, Actor: actor(),
		Attrs: map[string]string{"resource": resource, "channel": "cli", "purpose": "operations", "outcome": "success"},
	})
	return ledger.ReadOptions{PHI: true}, err
}

func newLedgerShowCmd(g *globals) *cobra.Command {
	var (
		seqs              []uint
		ids               []string
		typ, since, until string
		after             int64
		limit             int
		noPHI             bool
	)
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print events, one JSON object per line, PHI decrypted (recorded as an access)",
		Example: `  frontdesk ledger show --seq 0,1,2
  frontdesk ledger show --type patient.phone-stated --since 2026-01-01T00:00:00Z
  frontdesk ledger show --limit 20 --no-phi`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				o, err := g.readOpts(l, noPHI, "ledger/events")
				if err != nil {
					return err
				}
				for _, s := range seqs {
					ev, err := l.Get(uint64(s), o)
					if err != nil {
						return err
					}
					g.printLine(ev)
				}
				for _, id := range ids {
					ev, err := l.GetByID(id, o)
					if err != nil {
						return err
					}
					g.printLine(ev)
				}
				if len(seqs)+len(ids) > 0 {
					return nil
				}
				q := ledger.Query{Type: typ, Limit: limit}
				if after >= 0 {
					a := uint64(after)
					q.After = &a
				}
				if q.Since, err = parseTime("since", since); err != nil {
					return err
				}
				if q.Until, err = parseTime("until", until); err != nil {
					return err
				}
				evs, err := l.Find(q, o)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					g.printLine(ev)
				}
				return nil
			}, func(c *apiClient, ws string) error {
				phi := url.Values{"phi": {strconv.FormatBool(!noPHI)}}
				for _, id := range ids {
					var ev json.RawMessage
					if err := c.do("GET", ws+"/events/"+url.PathEscape(id)+"?"+phi.Encode(), nil, &ev); err != nil {
						return err
					}
					g.printLine(ev)
				}
				for _, seq := range seqs {
					q := url.Values{"phi": phi["phi"], "limit": {"1"}}
					if seq > 0 {
						q.Set("after", strconv.FormatUint(uint64(seq)-1, 10))
					}
					var out struct{ Events []*ledger.Event }
					if err := c.do("GET", ws+"/events?"+q.Encode(), nil, &out); err != nil {
						return err
					}
					if len(out.Events) == 0 || out.Events[0].Seq != uint64(seq) {
						return fmt.Errorf("event %d: %w", seq, ledger.ErrNotFound)
					}
					g.printLine(out.Events[0])
				}
				if len(seqs)+len(ids) > 0 {
					return nil
				}
				q := url.Values{"phi": phi["phi"]}
				for flag, v := range map[string]string{"type": typ, "since": since, "until": until} {
					if v != "" {
						if flag != "type" {
							if _, err := parseTime(flag, v); err != nil {
								return err
							}
						}
						q.Set(flag, v)
					}
				}
				if after >= 0 {
					q.Set("after", strconv.FormatInt(after, 10))
				}
				// The API answers at most 1,000 events a page.
				for left := limit; left > 0; {
					q.Set("limit", strconv.Itoa(min(left, 1000)))
					var out struct {
						Events    []json.RawMessage
						NextAfter *uint64 `json:"next_after"`
					}
					if err := c.do("GET", ws+"/events?"+q.Encode(), nil, &out); err != nil {
						return err
					}
					for _, ev := range out.Events {
						g.printLine(ev)
					}
					left -= len(out.Events)
					if out.NextAfter == nil || len(out.Events) == 0 {
						break
					}
					q.Set("after", strconv.FormatUint(*out.NextAfter, 10))
				}
				return nil
			})
		},
	}
	g.workspaceFlag(cmd)
	f := cmd.Flags()
	f.UintSliceVar(&seqs, "seq", nil, "sequence numbers (comma-separated)")
	f.StringSliceVar(&ids, "id", nil, "event IDs (comma-separated)")
	f.StringVar(&typ, "type", "", "only events of this type")
	f.StringVar(&since, "since", "", "only events recorded at or after this RFC 3339 time")
	f.StringVar(&until, "until", "", "only events recorded before this RFC 3339 time")
	f.Int64Var(&after, "after", -1, "only events after this seq (for paging)")
	f.IntVar(&limit, "limit", 1000, "at most this many events")
	f.BoolVar(&noPHI, "no-phi", false, "do not decrypt PHI (no access is recorded)")
	return cmd
}

// entityPath escapes an entity name (kind/id…) for a URL path, keeping
// its slashes.
func entityPath(entity string) string {
	parts := strings.Split(entity, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// readQuery is the query of an API read: PHI or not, and a time to read
// as of.
func readQuery(noPHI bool, asOf time.Time) string {
	q := url.Values{"phi": {strconv.FormatBool(!noPHI)}}
	if !asOf.IsZero() {
		q.Set("as_of", asOf.Format(time.RFC3339Nano))
	}
	return "?" + q.Encode()
}

func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("--%s: %q is not an RFC 3339 time such as 2026-03-01T09:00:00Z", flag, s)
	}
	return t, nil
}

func newLedgerHistoryCmd(g *globals) *cobra.Command {
	var asOf string
	var noPHI bool
	cmd := &cobra.Command{
		Use:   "history ENTITY",
		Short: "Print an entity's events in order (up to --as-of), one JSON object per line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTime("as-of", asOf)
			if err != nil {
				return err
			}
			remote := func(c *apiClient, ws string) error {
				var out struct {
					Events []json.RawMessage
				}
				if err := c.do("GET", ws+"/history/"+entityPath(args[0])+readQuery(noPHI, t), nil, &out); err != nil {
					return err
				}
				for _, ev := range out.Events {
					g.printLine(ev)
				}
				return nil
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				o, err := g.readOpts(l, noPHI, args[0])
				if err != nil {
					return err
				}
				evs, err := l.History(args[0], o)
				if err != nil {
					return err
				}
				if len(evs) == 0 {
					return fmt.Errorf("entity %s has no events", args[0])
				}
				var superseded map[string]bool
				if !t.IsZero() {
					st := ledger.Fold(args[0], t, evs)
					superseded = map[string]bool{}
					for _, id := range st.Superseded {
						superseded[id] = true
					}
				}
				for _, ev := range evs {
					if !t.IsZero() && ev.Recorded.After(t) {
						break
					}
					if superseded[ev.ID] {
						g.printLine(struct {
							*ledger.Event
							Superseded bool `json:"superseded"`
						}{ev, true})
						continue
					}
					g.printLine(ev)
				}
				return nil
			}, remote)
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&asOf, "as-of", "", "only events recorded at or before this RFC 3339 time; superseded ones are marked")
	cmd.Flags().BoolVar(&noPHI, "no-phi", false, "do not decrypt PHI (no access is recorded)")
	return cmd
}

func newLedgerStateCmd(g *globals) *cobra.Command {
	var asOf string
	var noPHI bool
	cmd := &cobra.Command{
		Use:   "state ENTITY",
		Short: "Print an entity's state as of a time: the fold of its live events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTime("as-of", asOf)
			if err != nil {
				return err
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				o, err := g.readOpts(l, noPHI, args[0])
				if err != nil {
					return err
				}
				st, err := l.AsOf(args[0], t, o)
				if err != nil {
					return err
				}
				if st.Events == 0 {
					return fmt.Errorf("entity %s has no events recorded by then", args[0])
				}
				return g.printJSON(st)
			}, func(c *apiClient, ws string) error {
				var st json.RawMessage
				if err := c.do("GET", ws+"/state/"+entityPath(args[0])+readQuery(noPHI, t), nil, &st); err != nil {
					return err
				}
				return g.printJSON(st)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&asOf, "as-of", "", "RFC 3339 time (default now)")
	cmd.Flags().BoolVar(&noPHI, "no-phi", false, "do not decrypt PHI (no access is recorded)")
	return cmd
}

func newLedgerVerifyCmd(g *globals) *cobra.Command {
	var trusted []string
	var key string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the chain, the Merkle tree, checkpoints and PHI commitments; exit 1 on any problem",
		Long: `Recompute the whole ledger from the file: every envelope and chain link, every
stored Merkle hash, every stored checkpoint's signature and root, every PHI
value against its commitment (erased subjects are reported as erased), and the
derived indexes. Give --checkpoint with signed checkpoints you hold outside the
appliance to detect a file rolled back or rewritten behind them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var notes [][]byte
			for _, f := range trusted {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("--checkpoint: %w", err)
				}
				notes = append(notes, b)
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				rep, err := l.Verify(ledger.VerifyOptions{Key: key, Trusted: notes})
				if err != nil {
					return err
				}
				return g.reportVerification(rep)
			}, func(c *apiClient, ws string) error {
				req := map[string]any{}
				if key != "" {
					req["key"] = key
				}
				if len(notes) > 0 {
					cps := make([]string, len(notes))
					for i, n := range notes {
						cps[i] = string(n)
					}
					req["checkpoints"] = cps
				}
				var v struct{ Report *ledger.Report }
				if err := c.do("POST", ws+"/verification", req, &v); err != nil {
					return err
				}
				if v.Report == nil {
					return errors.New("the server answered without a report")
				}
				return g.reportVerification(v.Report)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringArrayVar(&trusted, "checkpoint", nil, "a signed checkpoint file held outside the appliance (repeatable)")
	cmd.Flags().StringVar(&key, "key", "", "verifier key to check signatures with (default: the appliance's)")
	return cmd
}

// reportVerification prints a verification report and fails with exit
// status 1 if it found problems.
func (g *globals) reportVerification(rep *ledger.Report) error {
	if err := g.printJSON(rep); err != nil {
		return err
	}
	if !rep.OK {
		first := "unknown"
		if rep.FirstBad != nil {
			first = strconv.FormatUint(*rep.FirstBad, 10)
		}
		return &exitError{1, fmt.Errorf("ledger %s FAILED verification: %d problem(s), first bad seq %s", rep.Workspace, len(rep.Problems), first)}
	}
	g.log.Info().Str("workspace", rep.Workspace).Uint64("events", rep.Events).Msg("ledger verified")
	return nil
}

func newLedgerCheckpointCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign and store a checkpoint of the ledger; --out saves the signed note for safekeeping",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			save := func(cp *ledger.Checkpoint) error {
				if out != "" {
					if err := os.WriteFile(out, []byte(cp.Note), 0o644); err != nil {
						return err
					}
				}
				return g.printJSON(cp)
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				cp, err := l.Checkpoint()
				if err != nil {
					return err
				}
				return save(cp)
			}, func(c *apiClient, ws string) error {
				var cp ledger.Checkpoint
				if err := c.do("POST", ws+"/checkpoints", nil, &cp); err != nil {
					return err
				}
				return save(&cp)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&out, "out", "", "also write the signed checkpoint note to this file")
	return cmd
}

func newLedgerCheckpointsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoints",
		Short: "List the stored checkpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				cps, err := l.Checkpoints()
				if err != nil {
					return err
				}
				for _, cp := range cps {
					g.printLine(cp)
				}
				return nil
			}, func(c *apiClient, ws string) error {
				var out struct{ Checkpoints []*ledger.Checkpoint }
				if err := c.do("GET", ws+"/checkpoints", nil, &out); err != nil {
					return err
				}
				for _, cp := range out.Checkpoints {
					g.printLine(cp)
				}
				return nil
			})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

func newLedgerProveCmd(g *globals) *cobra.Command {
	var (
		seqs []uint
		from uint64
		out  string
	)
	cmd := &cobra.Command{
		Use:   "prove",
		Short: "Write a proof bundle for events, for an auditor to check offline",
		Example: `  frontdesk ledger prove --seq 12,40 --out proof.json
  frontdesk ledger prove --seq 40 --from-checkpoint 30 --out proof.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(seqs) == 0 {
				return fmt.Errorf("--seq is required")
			}
			s := make([]uint64, len(seqs))
			for i, v := range seqs {
				s[i] = uint64(v)
			}
			write := func(b *ledger.Bundle) error {
				data, err := json.MarshalIndent(b, "", "  ")
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					_, err = g.stdout.Write(append(data, '\n'))
					return err
				}
				if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
					return err
				}
				cp, err := ledger.OpenCheckpoint([]byte(b.Checkpoint), b.Key)
				if err != nil {
					return fmt.Errorf("the bundle's checkpoint: %w", err)
				}
				return g.printLine(map[string]any{"out": out, "entries": len(b.Entries), "tree_size": cp.Size, "key": b.Key})
			}
			return g.withLedgerOrSocket(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				b, err := l.Prove(s, from)
				if err != nil {
					return err
				}
				return write(b)
			}, func(c *apiClient, ws string) error {
				var b ledger.Bundle
				if err := c.do("POST", ws+"/proofs", map[string]any{"seqs": s, "from_size": from}, &b); err != nil {
					return err
				}
				return write(&b)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().UintSliceVar(&seqs, "seq", nil, "sequence numbers to prove (comma-separated)")
	cmd.Flags().Uint64Var(&from, "from-checkpoint", 0, "also prove consistency from the stored checkpoint of this size")
	cmd.Flags().StringVar(&out, "out", "", "bundle file (default stdout)")
	return cmd
}

func newLedgerReindexCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the derived indexes from the log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLedger(func(_ *appliance.Appliance, l *ledger.Ledger) error {
				n, err := l.Reindex()
				if err != nil {
					return err
				}
				return g.printLine(map[string]any{"workspace": l.Workspace(), "events": n})
			})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

func newLedgerCompactCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Rewrite the ledger file without its free pages (after an erasure; needs the appliance stopped)",
		Long: `Rewrite the workspace's ledger file so that no freed page survives in it: after
an erasure, freed pages may still hold a copy of the destroyed key. An erasure
made through the API while the appliance runs is compacted when the appliance
next starts; this does it now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLedger(func(a *appliance.Appliance, l *ledger.Ledger) error {
				ws := l.Workspace()
				if ws == appliance.SystemWorkspace {
					return errors.New("the system ledger holds no PHI and is not compacted")
				}
				if err := a.CloseLedger(ws); err != nil {
					return err
				}
				path := a.LedgerPath(ws)
				before, err := os.Stat(path)
				if err != nil {
					return err
				}
				if err := ledger.CompactFile(path); err != nil {
					return err
				}
				after, err := os.Stat(path)
				if err != nil {
					return err
				}
				return g.printLine(map[string]any{"workspace": ws, "bytes_before": before.Size(), "bytes_after": after.Size()})
			})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}
