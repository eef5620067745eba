package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk/ledger"
)

// The reasons a review item is opened.
const (
	ReasonUncertain    = "uncertain"
	ReasonContradicted = "contradicted"
	ReasonMonitor      = "monitor"
	ReasonAlways       = "always"
	// ReasonEHRFailed: an approved write the EHR keeps refusing comes
	// back for a decision (approve to retry, reject to abandon it).
	ReasonEHRFailed = "ehr-failed"
)

// Status is where a review item stands.
type Status string

// The statuses of a review item.
const (
	StatusOpen      Status = "open"
	StatusClaimed   Status = "claimed"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusCorrected Status = "corrected"
)

// Decided reports whether the item is closed.
func (s Status) Decided() bool {
	return s == StatusApproved || s == StatusRejected || s == StatusCorrected
}

// Errors of the queue.
var (
	// ErrNoItem reports an unknown review item.
	ErrNoItem = errors.New("review: no such review item")
	// ErrClaimed reports an item another reviewer has claimed.
	ErrClaimed = errors.New("review: the item is claimed by another reviewer")
	// ErrDecided reports an item, or a fact, that was already decided.
	ErrDecided = errors.New("review: already decided")
	// ErrForbidden reports a reviewer who may not decide.
	ErrForbidden = errors.New("review: not allowed")
	// ErrNotCorrectable reports a correction of an item that concerns no fact.
	ErrNotCorrectable = errors.New("review: only an item about a fact can be corrected")
)

// Item is a review item: the fold of its entity's events.
type Item struct {
	// ID is the item's entity, review/<trigger>.
	ID     string `json:"id"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	// Target is the event the item concerns; TargetEntity its entity.
	Target       string `json:"target"`
	TargetEntity string `json:"target_entity"`
	// Fact and Field name the original fact, for items about facts.
	Fact  string `json:"fact,omitempty"`
	Field string `json:"field,omitempty"`
	// Rule, Severity and Action describe a monitor's hit.
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity,omitempty"`
	Action   string `json:"action,omitempty"`
	Subject  string `json:"subject"`

	Opened   time.Time `json:"opened"`
	OpenedBy string    `json:"opened_by"`
	// Claimant is who claimed the item, since Claimed.
	Claimant string    `json:"claimant,omitempty"`
	Claimed  time.Time `json:"claimed,omitzero"`
	// DecidedBy, Decided, Decision (a reason code) and Result (the fact
	// event written) record the decision.
	DecidedBy string    `json:"decided_by,omitempty"`
	Decided   time.Time `json:"decided,omitzero"`
	Decision  string    `json:"decision,omitempty"`
	Result    string    `json:"result,omitempty"`
	// Events are the item's events in order.
	Events []*ledger.Event `json:"-"`
}

// Opening describes a review item to open.
type Opening struct {
	// Trigger is the event that opens the item; the item is review/<Trigger>.
	Trigger string
	// Reason is uncertain, contradicted, monitor, always or ehr-failed.
	Reason string
	// Target is the event the item concerns (default Trigger), of
	// TargetEntity.
	Target       string
	TargetEntity string
	// Fact and Field name the original fact, for items about facts.
	Fact, Field string
	// Subject protects the item's notes (the fact's subject).
	Subject string
	// Attrs are further attributes (rule, severity, action).
	Attrs map[string]string
	// Actor is who opens it.
	Actor string
}

// ItemID returns the ID of the item a trigger event opens.
func ItemID(trigger string) string { return itemPrefix + trigger }

// normalizeID accepts "review/<id>" or "<id>".
func normalizeID(id string) string {
	if strings.HasPrefix(id, itemPrefix) {
		return id
	}
	return itemPrefix + id
}

// OpenItem opens a review item. Opening an item that exists returns it
// unchanged.
func OpenItem(ctx context.Context, l *ledger.Ledger, o Opening) (*Item, error) {
	unlock := lockEntities(l.Workspace(), ItemID(o.Trigger))
	defer unlock()
	return openItem(ctx, l, o)
}

func openItem(ctx context.Context, l *ledger.Ledger, o Opening) (*Item, error) {
	switch o.Reason {
	case ReasonUncertain, ReasonContradicted, ReasonMonitor, ReasonAlways, ReasonEHRFailed:
	default:
		return nil, fmt.Errorf("review: open item: unknown reason %q", o.Reason)
	}
	if o.Trigger == "" || o.TargetEntity == "" || o.Actor == "" {
		return nil, errors.New("review: open item: trigger, target entity and actor are required")
	}
	id := ItemID(o.Trigger)
	if it, err := GetItem(l, id); err == nil {
		return it, nil
	} else if !errors.Is(err, ErrNoItem) {
		return nil, err
	}
	if o.Target == "" {
		o.Target = o.Trigger
	}
	attrs := map[string]string{AttrReason: o.Reason, AttrTarget: o.Target, AttrTargetEntity: o.TargetEntity}
	for k, v := range o.Attrs {
		attrs[k] = v
	}
	if o.Fact != "" {
		attrs[AttrFact] = o.Fact
	}
	if o.Field != "" {
		attrs[AttrField] = o.Field
	}
	subject := o.Subject
	if subject == "" {
		subject = o.TargetEntity
	}
	if _, err := l.Append(ctx, ledger.Event{
		Entity: id, Subject: subject, Type: TypeOpened, Source: ledger.SourceSystem, Confidence: 1,
		Actor: o.Actor, Attrs: attrs,
	}); err != nil {
		return nil, fmt.Errorf("review: open item: %w", err)
	}
	return GetItem(l, id)
}

// GetItem returns a review item by ID ("review/<id>" or "<id>").
func GetItem(l *ledger.Ledger, id string) (*Item, error) {
	id = normalizeID(id)
	evs, err := l.History(id, ledger.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("review: item: %w", err)
	}
	if len(evs) == 0 || evs[0].Type != TypeOpened {
		return nil, fmt.Errorf("%w: %s", ErrNoItem, id)
	}
	return foldItem(id, evs), nil
}

// foldItem computes an item from its events.
func foldItem(id string, evs []*ledger.Event) *Item {
	o := evs[0]
	it := &Item{
		ID: id, Status: StatusOpen, Reason: o.Attrs[AttrReason], Target: o.Attrs[AttrTarget],
		TargetEntity: o.Attrs[AttrTargetEntity], Fact: o.Attrs[AttrFact], Field: o.Attrs[AttrField],
		Rule: o.Attrs[AttrRule], Severity: o.Attrs[AttrSeverity], Action: o.Attrs[AttrAction],
		Subject: o.Subject, Opened: o.Recorded, OpenedBy: o.Actor, Events: evs,
	}
	for _, ev := range evs[1:] {
		if it.Status.Decided() {
			break // the first decision stands
		}
		switch ev.Type {
		case TypeClaimed:
			it.Status, it.Claimant, it.Claimed = StatusClaimed, ev.Actor, ev.Recorded
		case TypeApproved, TypeRejected, TypeCorrection:
			it.Status = map[string]Status{TypeApproved: StatusApproved, TypeRejected: StatusRejected, TypeCorrection: StatusCorrected}[ev.Type]
			it.DecidedBy, it.Decided, it.Decision, it.Result = ev.Actor, ev.Recorded, ev.Attrs[AttrReason], ev.Attrs[AttrResult]
		}
	}
	return it
}

// Filter selects review items.
type Filter struct {
	// Statuses selects items in any of these statuses; empty means all.
	Statuses []Status
	// Reason selects items opened for this reason.
	Reason string
	// Limit bounds the result (default 100).
	Limit int
}

// ListItems returns the review items that match f, oldest first.
func ListItems(l *ledger.Ledger, f Filter) ([]*Item, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*Item
	var after *uint64
	for len(out) < f.Limit {
		evs, err := l.Find(ledger.Query{Type: TypeOpened, EntityPrefix: itemPrefix, After: after, Limit: 500}, ledger.ReadOptions{})
		if err != nil {
			return nil, fmt.Errorf("review: list: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if f.Reason != "" && ev.Attrs[AttrReason] != f.Reason {
				continue
			}
			it, err := GetItem(l, ev.Entity)
			if err != nil {
				return nil, err
			}
			if len(f.Statuses) > 0 && !containsStatus(f.Statuses, it.Status) {
				continue
			}
			out = append(out, it)
			if len(out) >= f.Limit {
				break
			}
		}
		last := evs[len(evs)-1].Seq
		after = &last
	}
	return out, nil
}

func containsStatus(ss []Status, s Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Reviewer is the person deciding, as the access gate authenticated them.
type Reviewer struct {
	// Actor names them in events: account/<id>, apikey/<id>, cli/<user>.
	Actor string
	// Role is their role in the workspace: owner, admin, member or viewer.
	Role string
}

// check refuses machines and roles below member.
func (r Reviewer) check() error {
	switch r.Role {
	case "member", "admin", "owner":
	default:
		return fmt.Errorf("%w: handling the review queue needs the member role or above (have %q)", ErrForbidden, r.Role)
	}
	a := r.Actor
	if a == "" || a == "agent" || a == "system" || strings.HasPrefix(a, "judge/") || strings.HasPrefix(a, "monitor") {
		return fmt.Errorf("%w: %q is not a person", ErrForbidden, a)
	}
	return nil
}

// validCode accepts a decision's reason code: a-z, 0-9 and '-', at most 64
// characters. Free text belongs in the note, which is sealed as PHI.
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ClaimItem takes an item for r. Claiming an item r already holds does
// nothing; an item another reviewer holds, or a decided one, is refused.
func ClaimItem(ctx context.Context, l *ledger.Ledger, id string, r Reviewer) (*Item, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	id = normalizeID(id)
	unlock := lockEntities(l.Workspace(), id)
	defer unlock()
	it, err := GetItem(l, id)
	if err != nil {
		return nil, err
	}
	switch {
	case it.Status.Decided():
		return nil, fmt.Errorf("%w: %s is %s", ErrDecided, id, it.Status)
	case it.Status == StatusClaimed && it.Claimant == r.Actor:
		return it, nil
	case it.Status == StatusClaimed:
		return nil, fmt.Errorf("%w: %s", ErrClaimed, id)
	}
	if _, err := l.Append(ctx, ledger.Event{
		Entity: id, Subject: it.Subject, Type: TypeClaimed, Source: ledger.SourceManual, Confidence: 1,
		Actor: r.Actor, Attrs: map[string]string{AttrRole: r.Role},
	}); err != nil {
		return nil, fmt.Errorf("review: claim: %w", err)
	}
	return GetItem(l, id)
}

// Resolution is what a reviewer gives with a decision on an item.
type Resolution struct {
	// Reason is a short code (a-z, 0-9, '-'): confirmed-with-caller,
	// matches-record, wrong-patient, …
	Reason string
	// Note is optional free text, sealed as PHI under the item's subject.
	Note string
}

// Approve approves an item. For an item about a fact, it records a
// fact.confirmed event that replaces the head of the fact's chain with the
// last proposed value at Policy.HumanVerified. For a monitor item it
// records that the flagged turn or event is acceptable.
func Approve(ctx context.Context, l *ledger.Ledger, id string, r Reviewer, d Resolution) (*Item, error) {
	return decide(ctx, l, id, r, d, TypeApproved, "", false)
}

// Reject rejects an item. For an item about a fact, it records a
// fact.withdrawn event: the value leaves the world model and no
// destination may receive it. For a monitor item it records that the flag
// stands.
func Reject(ctx context.Context, l *ledger.Ledger, id string, r Reviewer, d Resolution) (*Item, error) {
	return decide(ctx, l, id, r, d, TypeRejected, "", false)
}

// Correct closes an item about a fact with a corrected value: a
// fact.corrected event (source manual, Policy.Corrected) replaces the head
// of the fact's chain.
func Correct(ctx context.Context, l *ledger.Ledger, id string, r Reviewer, d Resolution, value string) (*Item, error) {
	if strings.TrimSpace(value) == "" {
		return nil, errors.New("review: correct: the corrected value is empty")
	}
	return decide(ctx, l, id, r, d, TypeCorrection, strings.TrimSpace(value), true)
}

func decide(ctx context.Context, l *ledger.Ledger, id string, r Reviewer, d Resolution, typ, value string, correcting bool) (*Item, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if !validCode(d.Reason) {
		return nil, errors.New("review: the reason must be a short code such as confirmed-with-caller (a-z, 0-9, '-'); put free text in the note")
	}
	id = normalizeID(id)
	peek, err := GetItem(l, id)
	if err != nil {
		return nil, err
	}
	// The fact's entity before the item's: every writer takes stripes in
	// index order, and both are needed.
	unlock := lockEntities(l.Workspace(), id, peek.TargetEntity)
	defer unlock()
	it, err := GetItem(l, id)
	if err != nil {
		return nil, err
	}
	switch {
	case it.Status.Decided():
		return nil, fmt.Errorf("%w: %s is %s", ErrDecided, id, it.Status)
	case it.Status == StatusClaimed && it.Claimant != r.Actor:
		return nil, fmt.Errorf("%w: %s", ErrClaimed, id)
	}
	if correcting && it.Fact == "" {
		return nil, ErrNotCorrectable
	}
	result := ""
	if it.Fact != "" {
		ev, err := decideFact(ctx, l, it, r, d, typ, value)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			result = ev.ID
		}
	}
	attrs := map[string]string{AttrReason: d.Reason, AttrRole: r.Role}
	if result != "" {
		attrs[AttrResult] = result
	}
	ev := ledger.Event{
		Entity: id, Subject: it.Subject, Type: typ, Source: ledger.SourceManual, Confidence: 1,
		Actor: r.Actor, Attrs: attrs,
	}
	if d.Note != "" {
		ev.PHI = map[string]string{NoteField: d.Note}
	}
	if _, err := l.Append(ctx, ev); err != nil {
		return nil, fmt.Errorf("review: %s: %w", typ, err)
	}
	return GetItem(l, id)
}

// decideFact writes the fact event of a decision on an item about a fact.
// It returns nil (and no error) when a rejected item's fact was already
// replaced by a newer fact: there is nothing left to withdraw.
func decideFact(ctx context.Context, l *ledger.Ledger, it *Item, r Reviewer, d Resolution, typ, value string) (*ledger.Event, error) {
	hist, err := l.History(it.TargetEntity, ledger.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("review: decide: %w", err)
	}
	ch, err := resolveChain(hist, it.Target)
	if err != nil {
		return nil, err
	}
	if ch.replacedBy != nil {
		if typ == TypeRejected {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %s by %s; decide on the newer fact", ErrSuperseded, ch.head.ID, ch.replacedBy.ID)
	}
	head := ch.head
	if humanTypes[head.Type] {
		if head.Attrs[AttrReview] == it.ID {
			return head, nil // written before a crash; finish the item
		}
		return nil, fmt.Errorf("%w: the fact was decided by %s", ErrDecided, head.Attrs[AttrReview])
	}
	p, _, err := LoadPolicy(l)
	if err != nil {
		return nil, err
	}
	field := it.Field
	orig := ch.original
	ev := ledger.Event{
		Entity: orig.Entity, Subject: orig.Subject, Source: orig.Source, Supersedes: []string{head.ID},
		Actor: r.Actor,
		Attrs: map[string]string{AttrFact: orig.ID, AttrField: field, AttrReview: it.ID, AttrReason: d.Reason, AttrRole: r.Role},
	}
	switch typ {
	case TypeApproved:
		src := ch.lastValue(field)
		if src == nil {
			return nil, fmt.Errorf("%w: no event of fact %s carries field %s", ErrNotFact, orig.ID, field)
		}
		full, err := l.GetByID(src.ID, ledger.ReadOptions{PHI: true})
		if err != nil {
			return nil, fmt.Errorf("review: approve: %w", err)
		}
		if full.Erased {
			return nil, fmt.Errorf("review: approve: %w", ledger.ErrErased)
		}
		ev.Type, ev.Confidence, ev.PHI = TypeConfirmed, p.HumanVerified, map[string]string{field: full.PHI[field]}
		ev.Attrs[AttrDecision] = "approved"
	case TypeRejected:
		ev.Type, ev.Confidence = TypeWithdrawn, 0
		ev.Attrs[AttrDecision] = "rejected"
	case TypeCorrection:
		ev.Type, ev.Source, ev.Confidence, ev.PHI = TypeCorrected, ledger.SourceManual, p.Corrected, map[string]string{field: value}
		ev.Attrs[AttrDecision] = "corrected"
	}
	out, err := l.Append(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("review: decide: %w", err)
	}
	return out, nil
}
