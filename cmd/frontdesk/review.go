package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"frontdesk/appliance"
	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// reviewBackend is what the review commands need. localReview works on
// the data directory directly, which needs the directory's lock; while
// `frontdesk serve` holds it, a client of the server's admin socket
// implements the same interface.
type reviewBackend interface {
	List(f review.Filter) ([]*review.Item, error)
	Show(id string, phi bool) (*itemView, error)
	Claim(id string) (*review.Item, error)
	Approve(id string, d review.Resolution) (*review.Item, error)
	Reject(id string, d review.Resolution) (*review.Item, error)
	Correct(id string, d review.Resolution, value string) (*review.Item, error)
	Judge(eventID string) (*judgeView, error)
	MayWrite(eventID, destination string) (review.Decision, error)
	Close() error
}

// itemView is what `review show` prints.
type itemView struct {
	Item *review.Item `json:"item"`
	// Events are the item's events; PHI (a reviewer's note) is included
	// when asked for.
	Events []*ledger.Event `json:"events"`
	// Fact is the fact's original event, Value the value under review and
	// Turn the transcript turn it cites, for items about facts.
	Fact  *ledger.Event `json:"fact,omitempty"`
	Value string        `json:"value,omitempty"`
	Turn  *turnView     `json:"turn,omitempty"`
	// Decisions are MayWrite's answers for each configured destination.
	Decisions map[string]review.Decision `json:"decisions,omitempty"`
}

type turnView struct {
	Event   string `json:"event"`
	Call    string `json:"call"`
	Speaker string `json:"speaker,omitempty"`
	Text    string `json:"text,omitempty"`
}

// judgeView is what `review judge` prints: the verdict and the events,
// without the value.
type judgeView struct {
	Fact    string         `json:"fact"`
	Event   string         `json:"event"`
	Verdict review.Verdict `json:"verdict"`
	Item    *review.Item   `json:"item,omitempty"`
}

// localReview acts on an open data directory.
type localReview struct {
	g  *globals
	a  *appliance.Appliance
	l  *ledger.Ledger
	by review.Reviewer
}

// reviewBackend opens the data directory for the review commands. The
// local operator, who holds the key-encryption key, acts as an owner.
// While `frontdesk serve` holds the directory, the commands go through its
// admin socket instead.
func (g *globals) reviewBackend() (reviewBackend, error) {
	a, err := g.open()
	if errors.Is(err, appliance.ErrInUse) {
		return g.socketReview()
	}
	if err != nil {
		return nil, err
	}
	ws, err := g.resolveWorkspace(a)
	if err != nil {
		a.Close()
		return nil, err
	}
	l, err := a.Ledger(ws)
	if err != nil {
		a.Close()
		return nil, err
	}
	return &localReview{g: g, a: a, l: l, by: review.Reviewer{Actor: actor(), Role: "owner"}}, nil
}

func (r *localReview) Close() error { return r.a.Close() }

func (r *localReview) List(f review.Filter) ([]*review.Item, error) { return review.ListItems(r.l, f) }

func (r *localReview) Claim(id string) (*review.Item, error) {
	return review.ClaimItem(context.Background(), r.l, id, r.by)
}

func (r *localReview) Approve(id string, d review.Resolution) (*review.Item, error) {
	return review.Approve(context.Background(), r.l, id, r.by, d)
}

func (r *localReview) Reject(id string, d review.Resolution) (*review.Item, error) {
	return review.Reject(context.Background(), r.l, id, r.by, d)
}

func (r *localReview) Correct(id string, d review.Resolution, value string) (*review.Item, error) {
	return review.Correct(context.Background(), r.l, id, r.by, d, value)
}

func (r *localReview) MayWrite(eventID, destination string) (review.Decision, error) {
	return review.MayWrite(r.l, eventID, destination)
}

func (r *localReview) Judge(eventID string) (*judgeView, error) {
	j, err := review.JudgeFact(context.Background(), r.l, review.LocalJudge{}, eventID)
	if err != nil {
		return nil, err
	}
	return &judgeView{Fact: j.Fact.ID, Event: j.Event.ID, Verdict: j.Verdict, Item: j.Item}, nil
}

func (r *localReview) Show(id string, phi bool) (*itemView, error) {
	it, err := review.GetItem(r.l, id)
	if err != nil {
		return nil, err
	}
	o, err := r.g.readOpts(r.l, !phi, it.ID)
	if err != nil {
		return nil, err
	}
	v := &itemView{Item: it}
	if v.Events, err = r.l.History(it.ID, o); err != nil {
		return nil, err
	}
	if it.Fact == "" {
		return v, nil
	}
	if v.Fact, err = r.l.GetByID(it.Fact, o); err != nil {
		return nil, err
	}
	v.Value = v.Fact.PHI[it.Field]
	if tid := v.Fact.Attrs[review.AttrTurn]; tid != "" {
		t, err := r.l.GetByID(tid, o)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			v.Turn = &turnView{Event: t.ID, Call: t.Entity, Speaker: t.Attrs["speaker"], Text: t.PHI[review.TurnText]}
		}
	}
	p, _, err := review.LoadPolicy(r.l)
	if err != nil {
		return nil, err
	}
	v.Decisions = map[string]review.Decision{}
	for _, dest := range p.DestinationNames() {
		d, err := review.MayWrite(r.l, it.Fact, dest)
		if err != nil {
			return nil, err
		}
		v.Decisions[dest] = d
	}
	return v, nil
}

// socketReview acts on the review queue through a running server's admin
// socket, with the API's handlers, authorization and access records.
type socketReview struct {
	c  *apiClient
	ws string // the workspace's API path
}

func (g *globals) socketReview() (reviewBackend, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	ws, err := c.workspace(g.workspace)
	if err != nil {
		c.close()
		return nil, err
	}
	return &socketReview{c: c, ws: "/v1/workspaces/" + url.PathEscape(ws)}, nil
}

func (r *socketReview) Close() error { return r.c.close() }

// item is the API path of review item id.
func (r *socketReview) item(id string) string {
	return r.ws + "/review/" + url.PathEscape(strings.TrimPrefix(id, "review/"))
}

func (r *socketReview) List(f review.Filter) ([]*review.Item, error) {
	q := url.Values{}
	if f.Reason != "" {
		q.Set("reason", f.Reason)
	}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		q.Set("status", strings.Join(st, ","))
	}
	var out struct{ Items []*review.Item }
	err := r.c.do("GET", r.ws+"/review?"+q.Encode(), nil, &out)
	return out.Items, err
}

func (r *socketReview) Show(id string, phi bool) (*itemView, error) {
	var s struct {
		review.Item
		Value string           `json:"value"`
		Heard string           `json:"heard"`
		Gate  *review.Decision `json:"gate"`
	}
	if err := r.c.do("GET", r.item(id), nil, &s); err != nil {
		return nil, err
	}
	v := &itemView{Item: &s.Item}
	if phi {
		v.Value = s.Value
		if s.Heard != "" {
			v.Turn = &turnView{Text: s.Heard}
		}
	}
	if s.Gate != nil {
		v.Decisions = map[string]review.Decision{"ehr": *s.Gate}
	}
	return v, nil
}

func (r *socketReview) decide(id, action string, d review.Resolution, value string) (*review.Item, error) {
	body := map[string]string{"reason": d.Reason}
	if d.Note != "" {
		body["note"] = d.Note
	}
	if value != "" {
		body["value"] = value
	}
	var it review.Item
	if err := r.c.do("POST", r.item(id)+"/"+action, body, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func (r *socketReview) Claim(id string) (*review.Item, error) {
	var it review.Item
	if err := r.c.do("POST", r.item(id)+"/claim", nil, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func (r *socketReview) Approve(id string, d review.Resolution) (*review.Item, error) {
	return r.decide(id, "approve", d, "")
}

func (r *socketReview) Reject(id string, d review.Resolution) (*review.Item, error) {
	return r.decide(id, "reject", d, "")
}

func (r *socketReview) Correct(id string, d review.Resolution, value string) (*review.Item, error) {
	return r.decide(id, "correct", d, value)
}

func (r *socketReview) Judge(string) (*judgeView, error) {
	return nil, errors.New("review judge needs the data directory: while `frontdesk serve` runs, the appliance judges facts itself")
}

func (r *socketReview) MayWrite(eventID, destination string) (review.Decision, error) {
	var d review.Decision
	err := r.c.do("GET", r.ws+"/gate/"+url.PathEscape(eventID)+"?"+url.Values{"destination": {destination}}.Encode(), nil, &d)
	return d, err
}

func newReviewCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Work the review queue: facts the judge could not verify, monitor flags, fields that always need a person",
		Long: `Work the review queue (gate 3). Items are opened by the review judge (gate 2)
for facts it found uncertain or contradicted, or that the workspace's policy
always sends to a person, and by the monitors for flagged turns and events.

Approving a fact raises it to the human-verified confidence; rejecting it
withdraws it; correcting it records the right value. Each decision takes a
reason code (a-z, 0-9, '-'); free text goes in a note (--note-file), which
is sealed as PHI. The local operator acts as an owner.`,
	}
	cmd.AddCommand(
		newReviewListCmd(g), newReviewShowCmd(g), newReviewClaimCmd(g),
		newReviewDecideCmd(g, "approve", "Approve an item: the fact is human-verified, or the flag is acceptable"),
		newReviewDecideCmd(g, "reject", "Reject an item: the fact is withdrawn, or the flag stands"),
		newReviewCorrectCmd(g), newReviewJudgeCmd(g), newReviewMayWriteCmd(g),
	)
	return cmd
}

// withReview runs fn with the review backend and closes it.
func (g *globals) withReview(fn func(r reviewBackend) error) error {
	r, err := g.reviewBackend()
	if err != nil {
		return err
	}
	err = fn(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

func newReviewListCmd(g *globals) *cobra.Command {
	var status, reason string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List review items as a JSON array, oldest first (default: open and claimed)",
		Example: `  frontdesk review list
  frontdesk review list --status all --reason monitor`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := review.Filter{Reason: reason, Limit: limit}
			if status != "all" {
				for _, s := range strings.Split(status, ",") {
					st := review.Status(strings.TrimSpace(s))
					switch st {
					case review.StatusOpen, review.StatusClaimed, review.StatusApproved, review.StatusRejected, review.StatusCorrected:
					default:
						return fmt.Errorf("--status: %q is not open, claimed, approved, rejected, corrected or all", s)
					}
					f.Statuses = append(f.Statuses, st)
				}
			}
			return g.withReview(func(r reviewBackend) error {
				items, err := r.List(f)
				if err != nil {
					return err
				}
				if items == nil {
					items = []*review.Item{}
				}
				return g.printJSON(items)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&status, "status", "open,claimed", "comma-separated statuses, or all")
	cmd.Flags().StringVar(&reason, "reason", "", "only items opened for this reason: uncertain, contradicted, monitor, always or ehr-failed")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many items")
	return cmd
}

func newReviewShowCmd(g *globals) *cobra.Command {
	var noPHI bool
	cmd := &cobra.Command{
		Use:   "show ITEM",
		Short: "Print an item with its events, the value, the cited turn and MayWrite's decisions (PHI read is recorded as an access)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withReview(func(r reviewBackend) error {
				v, err := r.Show(args[0], !noPHI)
				if err != nil {
					return err
				}
				return g.printJSON(v)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().BoolVar(&noPHI, "no-phi", false, "do not decrypt PHI (no access is recorded)")
	return cmd
}

func newReviewClaimCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "claim ITEM",
		Short: "Take an item so that no one else decides it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withReview(func(r reviewBackend) error {
				it, err := r.Claim(args[0])
				if err != nil {
					return err
				}
				return g.printJSON(it)
			})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

// readSecretArg reads a value from a file ("-" is standard input), so that
// PHI need not appear on a command line.
func readSecretArg(flag, path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func newReviewDecideCmd(g *globals, verb, short string) *cobra.Command {
	var reason, noteFile string
	cmd := &cobra.Command{
		Use:   verb + " ITEM --reason CODE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := review.Resolution{Reason: reason}
			if noteFile != "" {
				n, err := readSecretArg("note-file", noteFile, g.stdin)
				if err != nil {
					return err
				}
				d.Note = n
			}
			return g.withReview(func(r reviewBackend) error {
				var it *review.Item
				var err error
				if verb == "approve" {
					it, err = r.Approve(args[0], d)
				} else {
					it, err = r.Reject(args[0], d)
				}
				if err != nil {
					return err
				}
				return g.printJSON(it)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "reason code, e.g. confirmed-with-caller (a-z, 0-9, '-')")
	cmd.Flags().StringVar(&noteFile, "note-file", "", "read a free-text note from this file (- for stdin); it is sealed as PHI")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newReviewCorrectCmd(g *globals) *cobra.Command {
	var reason, noteFile, value, valueFile string
	cmd := &cobra.Command{
		Use:     "correct ITEM --reason CODE --value-file FILE",
		Short:   "Close an item about a fact with the right value (recorded as a manual fact)",
		Example: `  echo '555-010-0222' | frontdesk review correct review/01J… --reason called-back --value-file -`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (value == "") == (valueFile == "") {
				return errors.New("give the corrected value with exactly one of --value-file (preferred: keeps PHI off the command line) and --value")
			}
			if valueFile != "" {
				v, err := readSecretArg("value-file", valueFile, g.stdin)
				if err != nil {
					return err
				}
				value = v
			}
			d := review.Resolution{Reason: reason}
			if noteFile != "" {
				if noteFile == "-" && valueFile == "-" {
					return errors.New("--note-file and --value-file cannot both read standard input")
				}
				n, err := readSecretArg("note-file", noteFile, g.stdin)
				if err != nil {
					return err
				}
				d.Note = n
			}
			return g.withReview(func(r reviewBackend) error {
				it, err := r.Correct(args[0], d, value)
				if err != nil {
					return err
				}
				return g.printJSON(it)
			})
		},
	}
	g.workspaceFlag(cmd)
	f := cmd.Flags()
	f.StringVar(&reason, "reason", "", "reason code, e.g. called-back (a-z, 0-9, '-')")
	f.StringVar(&valueFile, "value-file", "", "read the corrected value from this file (- for stdin)")
	f.StringVar(&value, "value", "", "the corrected value (prefer --value-file: command lines are visible to other users)")
	f.StringVar(&noteFile, "note-file", "", "read a free-text note from this file (- for stdin); it is sealed as PHI")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newReviewJudgeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "judge FACT-EVENT",
		Short: "Run the local review judge (gate 2) on a fact and record its verdict",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withReview(func(r reviewBackend) error {
				v, err := r.Judge(args[0])
				if err != nil {
					return err
				}
				return g.printJSON(v)
			})
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

func newReviewMayWriteCmd(g *globals) *cobra.Command {
	var dest string
	cmd := &cobra.Command{
		Use:   "may-write EVENT",
		Short: "Say whether an event may be written to a destination, with the chain of judgements",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withReview(func(r reviewBackend) error {
				d, err := r.MayWrite(args[0], dest)
				if err != nil {
					return err
				}
				return g.printJSON(d)
			})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&dest, "destination", "ehr", "the system of record")
	return cmd
}
