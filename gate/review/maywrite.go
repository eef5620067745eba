package review

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk/ledger"
)

// Decision is MayWrite's answer: whether an event may be written to a
// destination, and the chain of judgements that says why.
type Decision struct {
	Allow       bool   `json:"allow"`
	Destination string `json:"destination"`
	// Event is the event asked about; Head is the event whose value would be
	// written (the head of its chain), empty when there is none.
	Event string `json:"event"`
	Head  string `json:"head,omitempty"`
	Field string `json:"field,omitempty"`
	// Confidence is the head's confidence after gate 1's cap; Threshold
	// the destination's minimum.
	Confidence float64 `json:"confidence"`
	Threshold  float64 `json:"threshold"`
	// Policy is the ID of the policy event applied ("" for the default).
	Policy string `json:"policy,omitempty"`
	// Reason says why, in a fixed phrase without PHI.
	Reason string `json:"reason"`
	// Chain lists the steps from the original fact to the decision.
	Chain []Step `json:"chain"`
}

// Step is one judgement in a Decision's chain: who or what decided,
// when, and why.
type Step struct {
	// Gate is source (gate 1), judge (gate 2), review (gate 3), monitor,
	// or final.
	Gate string `json:"gate"`
	// Event, Entity and Type identify the event that recorded it.
	Event  string `json:"event,omitempty"`
	Entity string `json:"entity,omitempty"`
	Type   string `json:"type,omitempty"`
	// Actor is who or what decided; At is when.
	Actor string    `json:"actor,omitempty"`
	At    time.Time `json:"at,omitzero"`
	// Source and Confidence of the event, for chain events.
	Source     string  `json:"source,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	// Outcome is the step's result: verified, uncertain, contradicted,
	// approved, rejected, corrected, open, allow, deny, …
	Outcome string `json:"outcome,omitempty"`
	// Reason says why, without PHI.
	Reason string `json:"reason,omitempty"`
}

// The reasons MayWrite gives.
const (
	WhyAllowed         = "every gate passed"
	WhyUnknownDest     = "the destination is not configured for this workspace"
	WhyReplaced        = "the fact was replaced by a newer fact"
	WhyNotJudged       = "facts from this source must be judged before they are written (gate 2)"
	WhyJudgeNotPassed  = "the judge did not verify the fact and no reviewer has approved it"
	WhyAwaitingReview  = "the fact is waiting in the review queue (gate 3)"
	WhyHumanRequired   = "this destination or field requires a reviewer's approval"
	WhyWithdrawn       = "the fact was withdrawn"
	WhyBelowThreshold  = "the fact's confidence is below the destination's threshold (gate 1)"
	WhyMonitorOpen     = "a monitor flagged the cited turn and the flag is waiting for review"
	WhyMonitorUpheld   = "a monitor flagged the cited turn and a reviewer upheld the flag"
	WhyUnrecordedHuman = "a reviewer's decision on the fact has no matching review record"
	WhyFork            = "the fact's chain has forked"
	WhyNotFact         = "the event states no fact (no field with a value)"
	WhyInconsistent    = "a judgement in the fact's chain was not recorded by a judge"
)

// MayWrite answers whether the event may be written to destination (a
// system of record such as "ehr"), applying the workspace's policy, and
// returns the chain of judgements that says why. An error means the
// question could not be answered (the event does not exist, the ledger
// failed); the answer itself is in the decision.
//
// The event may be any event of a fact's chain; the decision is about the
// chain's head. A fact from a source the policy names in JudgeSources
// (voice and agent always) is allowed only after gate 2 verified it or a
// reviewer approved or corrected it, only when no review item about it or
// monitor item about its turn is waiting or upheld, only with a reviewer's
// decision where the destination or field requires one, and only at or
// above the destination's threshold. A fact's own confidence never exceeds
// its source's starting confidence until a gate raises it.
func MayWrite(l *ledger.Ledger, eventID, destination string) (Decision, error) {
	d := Decision{Event: eventID, Destination: destination}
	p, pid, err := LoadPolicy(l)
	if err != nil {
		return d, err
	}
	d.Policy = pid
	deny := func(why string) (Decision, error) {
		d.Allow, d.Reason = false, why
		d.Chain = append(d.Chain, Step{Gate: "final", Outcome: "deny", Reason: why, Confidence: d.Confidence})
		return d, nil
	}
	ev, err := l.GetByID(eventID, ledger.ReadOptions{})
	if err != nil {
		return d, fmt.Errorf("review: may-write: %w", err)
	}
	hist, err := l.History(ev.Entity, ledger.ReadOptions{})
	if err != nil {
		return d, fmt.Errorf("review: may-write: %w", err)
	}
	ch, err := resolveChain(hist, ev.ID)
	if err != nil {
		return deny(WhyFork)
	}
	orig := ch.original
	f, err := factField(orig)
	if err != nil {
		return deny(WhyNotFact)
	}
	d.Field = f
	// Gate 1: the source's starting confidence caps the original.
	start := min(orig.Confidence, p.starting(orig.Source))
	d.Chain = append(d.Chain, Step{
		Gate: "source", Event: orig.ID, Entity: orig.Entity, Type: orig.Type, Actor: orig.Actor, At: orig.Recorded,
		Source: orig.Source.String(), Confidence: start, Outcome: "stated",
		Reason: fmt.Sprintf("source %s starts at %.2f", orig.Source, p.starting(orig.Source)),
	})
	judgeRequired := p.judged(orig.Source) || orig.Source == ledger.SourceVoice || orig.Source == ledger.SourceAgent

	// Gates 2 and 3: the chain's events and the review items they opened.
	var lastJudge, lastHuman *ledger.Event
	pendingItem, unrecorded, inconsistent := false, false, false
	for _, e := range ch.events[1:] {
		switch {
		case e.Type == TypeJudged:
			if !strings.HasPrefix(e.Actor, "judge/") || e.Attrs[AttrJudged] != e.Supersedes[0] || !Outcome(e.Attrs[AttrOutcome]).Valid() {
				inconsistent = true
			}
			lastJudge, lastHuman = e, nil
			d.Chain = append(d.Chain, Step{
				Gate: "judge", Event: e.ID, Entity: e.Entity, Type: e.Type, Actor: e.Actor, At: e.Recorded,
				Source: e.Source.String(), Confidence: e.Confidence, Outcome: e.Attrs[AttrOutcome], Reason: e.Attrs[AttrReason],
			})
		case humanTypes[e.Type]:
			lastHuman = e
			ok, step, err := reviewRecord(l, e)
			if err != nil {
				return d, err
			}
			if !ok {
				unrecorded = true
			}
			d.Chain = append(d.Chain, step, Step{
				Gate: "review", Event: e.ID, Entity: e.Entity, Type: e.Type, Actor: e.Actor, At: e.Recorded,
				Source: e.Source.String(), Confidence: e.Confidence, Outcome: e.Attrs[AttrDecision], Reason: e.Attrs[AttrReason],
			})
		}
		if e.Type == TypeJudged {
			it, err := GetItem(l, ItemID(e.ID))
			switch {
			case err == nil:
				d.Chain = append(d.Chain, itemStep(it))
				if !it.Status.Decided() {
					pendingItem = true
				}
			case err != nil && !isNoItem(err):
				return d, err
			}
		}
	}
	if ch.replacedBy != nil {
		return deny(WhyReplaced)
	}
	head := ch.head
	d.Head = head.ID
	if len(ch.events) == 1 {
		d.Confidence = start
	} else {
		d.Confidence = head.Confidence
	}

	// Monitors: flags on the cited turn or on any event of the chain.
	monitorOpen, monitorUpheld, err := monitorSteps(l, ch, &d)
	if err != nil {
		return d, err
	}

	t, ok := p.Destinations[destination]
	if !ok {
		return deny(WhyUnknownDest)
	}
	d.Threshold = t.Min
	humanNeeded := t.Human || p.alwaysReview(d.Field)
	switch {
	case inconsistent:
		return deny(WhyInconsistent)
	case unrecorded:
		return deny(WhyUnrecordedHuman)
	case head.Type == TypeWithdrawn || (head.Type == TypeJudged && head.Attrs[AttrOutcome] == string(Contradicted)):
		return deny(WhyWithdrawn)
	case !hasField(head, d.Field):
		return deny(WhyWithdrawn)
	case judgeRequired && lastJudge == nil && lastHuman == nil:
		return deny(WhyNotJudged)
	case judgeRequired && lastHuman == nil && lastJudge.Attrs[AttrOutcome] != string(Verified):
		return deny(WhyJudgeNotPassed)
	case pendingItem && lastHuman == nil:
		return deny(WhyAwaitingReview)
	case judgeRequired && humanNeeded && lastHuman == nil:
		return deny(WhyHumanRequired)
	case monitorUpheld:
		return deny(WhyMonitorUpheld)
	case monitorOpen:
		return deny(WhyMonitorOpen)
	case d.Confidence < t.Min:
		return deny(WhyBelowThreshold)
	}
	d.Allow, d.Reason = true, WhyAllowed
	d.Chain = append(d.Chain, Step{Gate: "final", Outcome: "allow", Reason: WhyAllowed, Confidence: d.Confidence})
	return d, nil
}

func hasField(ev *ledger.Event, field string) bool {
	_, ok := ev.Commitments[field]
	return ok
}

func isNoItem(err error) bool { return errors.Is(err, ErrNoItem) }

// itemStep describes a review item's state.
func itemStep(it *Item) Step {
	s := Step{Gate: "review", Entity: it.ID, Type: TypeOpened, Actor: it.OpenedBy, At: it.Opened, Confidence: 0,
		Outcome: string(it.Status), Reason: "opened: " + it.Reason}
	if len(it.Events) > 0 {
		s.Event = it.Events[0].ID
	}
	if it.Status.Decided() {
		last := it.Events[len(it.Events)-1]
		for _, e := range it.Events {
			if e.Type == TypeApproved || e.Type == TypeRejected || e.Type == TypeCorrection {
				last = e
				break
			}
		}
		s.Event, s.Type, s.Actor, s.At, s.Reason = last.ID, last.Type, last.Actor, last.Recorded, it.Decision
	}
	return s
}

// reviewRecord checks that a reviewer's fact event has the matching
// decision on its review item, by the same person, naming it as the result.
func reviewRecord(l *ledger.Ledger, e *ledger.Event) (bool, Step, error) {
	id := e.Attrs[AttrReview]
	step := Step{Gate: "review", Entity: id, Outcome: "missing", Reason: WhyUnrecordedHuman}
	if id == "" {
		return false, step, nil
	}
	it, err := GetItem(l, id)
	if isNoItem(err) {
		return false, step, nil
	}
	if err != nil {
		return false, step, err
	}
	step = itemStep(it)
	ok := it.Status.Decided() && it.Result == e.ID && it.DecidedBy == e.Actor
	if !ok {
		step.Outcome, step.Reason = "missing", WhyUnrecordedHuman
	}
	return ok, step, nil
}

// monitorSteps finds monitor hits on the fact's cited turn and on the
// chain's events, adds them to the decision's chain and reports whether
// any is undecided or upheld.
func monitorSteps(l *ledger.Ledger, ch *chain, d *Decision) (open, upheld bool, err error) {
	call := ch.original.Attrs[AttrCall]
	turn := ch.original.Attrs[AttrTurn]
	if call == "" && turn != "" {
		if t, err := l.GetByID(turn, ledger.ReadOptions{}); err == nil {
			call = t.Entity
		}
	}
	entities := []string{}
	if call != "" {
		entities = append(entities, call)
	}
	inChain := map[string]bool{}
	for _, e := range ch.events {
		inChain[e.ID] = true
		entities = append(entities, MonitorEntity(e.ID))
	}
	for _, ent := range entities {
		evs, err := l.History(ent, ledger.ReadOptions{})
		if err != nil {
			return false, false, fmt.Errorf("review: may-write: %w", err)
		}
		for _, h := range evs {
			if h.Type != TypeMonitorHit {
				continue
			}
			if !(turn != "" && h.Attrs[AttrTurn] == turn) && !inChain[h.Attrs[AttrEvent]] {
				continue
			}
			d.Chain = append(d.Chain, Step{
				Gate: "monitor", Event: h.ID, Entity: h.Entity, Type: h.Type, Actor: h.Actor, At: h.Recorded,
				Outcome: "hit", Reason: "rule " + h.Attrs[AttrRule] + " (" + h.Attrs[AttrSeverity] + ")",
			})
			it, err := GetItem(l, ItemID(h.ID))
			switch {
			case isNoItem(err):
				open = true
				continue
			case err != nil:
				return false, false, err
			}
			d.Chain = append(d.Chain, itemStep(it))
			switch it.Status {
			case StatusApproved:
			case StatusRejected:
				upheld = true
			default:
				open = true
			}
		}
	}
	return open, upheld, nil
}

// MonitorEntity returns the entity on which monitor hits about an event
// outside any call are recorded.
func MonitorEntity(eventID string) string { return "monitor/" + eventID }
