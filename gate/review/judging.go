package review

import (
	"context"
	"errors"
	"fmt"

	"frontdesk/ledger"
)

// Judgement is what JudgeFact did.
type Judgement struct {
	// Fact is the judged fact.
	Fact *ledger.Event `json:"fact"`
	// Event is the review.judged event that replaced it.
	Event *ledger.Event `json:"event"`
	// Verdict is the judge's verdict.
	Verdict Verdict `json:"verdict"`
	// Item is the review item it opened, if any.
	Item *Item `json:"item,omitempty"`
}

// JudgeFact runs gate 2 on a fact: it reads the fact's value and the turn
// it cites, asks j, and records the verdict as a review.judged event that
// replaces the fact (see the package comment for what each outcome
// carries). It opens a review item when the outcome is not verified, or
// when the policy needs a human for the fact's field. A fact that cites no
// turn, or a turn that is missing, erased or of another call, is judged
// uncertain without asking j.
//
// If j fails, nothing is recorded and the error is returned: the fact
// stays unjudged and no destination may receive it.
func JudgeFact(ctx context.Context, l *ledger.Ledger, j Judge, factID string) (*Judgement, error) {
	fact, err := l.GetByID(factID, ledger.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("review: judge: %w", err)
	}
	if gateTypes[fact.Type] || fact.Type == TypeOpened || fact.Type == TypeMonitorHit {
		return nil, fmt.Errorf("%w: %s is a %s event", ErrNotFact, fact.ID, fact.Type)
	}
	unlock := lockEntities(l.Workspace(), fact.Entity)
	defer unlock()
	hist, err := l.History(fact.Entity, ledger.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("review: judge: %w", err)
	}
	ch, err := resolveChain(hist, fact.ID)
	if err != nil {
		return nil, err
	}
	if ch.head.ID != fact.ID {
		return nil, fmt.Errorf("%w: %s (head %s)", ErrAlreadyJudged, fact.ID, ch.head.ID)
	}
	if ch.replacedBy != nil {
		return nil, fmt.Errorf("%w: %s by %s", ErrSuperseded, fact.ID, ch.replacedBy.ID)
	}
	field, err := factField(fact)
	if err != nil {
		return nil, err
	}
	fact, err = l.GetByID(factID, ledger.ReadOptions{PHI: true})
	if err != nil {
		return nil, fmt.Errorf("review: judge: %w", err)
	}
	if fact.Erased {
		return nil, fmt.Errorf("review: judge %s: %w", fact.ID, ledger.ErrErased)
	}
	value := fact.PHI[field]

	verdict, err := judgeAgainstTurn(ctx, l, j, fact, field, value)
	if err != nil {
		return nil, err
	}
	p, _, err := LoadPolicy(l)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{
		AttrOutcome: string(verdict.Outcome), AttrReason: verdict.Reason, AttrJudge: verdict.Judge,
		AttrJudged: fact.ID, AttrFact: fact.ID, AttrField: field,
	}
	for _, k := range []string{AttrCall, AttrTurn} {
		if v := fact.Attrs[k]; v != "" {
			attrs[k] = v
		}
	}
	if verdict.Model != "" {
		attrs[AttrModel] = verdict.Model
	}
	if verdict.Fallback {
		attrs[AttrFallback] = "preferred-judge-failed"
	}
	ev := ledger.Event{
		Entity: fact.Entity, Subject: fact.Subject, Type: TypeJudged, Source: fact.Source,
		Supersedes: []string{fact.ID}, Actor: "judge/" + verdict.Judge, Attrs: attrs,
	}
	switch verdict.Outcome {
	case Verified:
		ev.Confidence, ev.PHI = p.Verified, map[string]string{field: value}
	case Uncertain:
		ev.Confidence, ev.PHI = p.Uncertain, map[string]string{field: value}
	case Contradicted:
		ev.Confidence = 0
	default:
		return nil, fmt.Errorf("review: judge returned outcome %q", verdict.Outcome)
	}
	judged, err := l.Append(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("review: judge: %w", err)
	}
	out := &Judgement{Fact: fact, Event: judged, Verdict: verdict}
	reason := ""
	switch {
	case verdict.Outcome != Verified:
		reason = string(verdict.Outcome)
	case p.needsHuman(field):
		reason = ReasonAlways
	}
	if reason != "" {
		// review/<judged.ID> is new: nobody else can hold it yet.
		out.Item, err = openItem(ctx, l, Opening{
			Trigger: judged.ID, Reason: reason, TargetEntity: fact.Entity, Fact: fact.ID, Field: field,
			Subject: fact.Subject, Actor: "judge/" + verdict.Judge,
		})
		if err != nil {
			return out, fmt.Errorf("review: judged %s but could not open its review item: %w", fact.ID, err)
		}
	}
	return out, nil
}

// judgeAgainstTurn reads the turn the fact cites and asks the judge.
func judgeAgainstTurn(ctx context.Context, l *ledger.Ledger, j Judge, fact *ledger.Event, field, value string) (Verdict, error) {
	local := func(reason string) (Verdict, error) {
		return Verdict{Outcome: Uncertain, Reason: reason, Judge: "local"}, nil
	}
	turnID := fact.Attrs[AttrTurn]
	if turnID == "" {
		return local(ReasonNoTurn)
	}
	turn, err := l.GetByID(turnID, ledger.ReadOptions{PHI: true})
	if errors.Is(err, ledger.ErrNotFound) {
		return local(ReasonTurnMissing)
	}
	if err != nil {
		return Verdict{}, fmt.Errorf("review: judge: turn: %w", err)
	}
	if call := fact.Attrs[AttrCall]; call != "" && turn.Entity != call {
		return local(ReasonTurnOtherCall)
	}
	if turn.Erased {
		return local(ReasonTurnErased)
	}
	text, ok := turn.PHI[TurnText]
	if !ok {
		return local(ReasonTurnMissing)
	}
	v, err := j.Judge(ctx, Claim{Field: field, Value: value, Turn: text})
	if err != nil {
		return Verdict{}, fmt.Errorf("review: judge %s: %w", fact.ID, err)
	}
	if !v.Outcome.Valid() || v.Reason == "" || v.Judge == "" {
		return Verdict{}, fmt.Errorf("review: judge %s: incomplete verdict", fact.ID)
	}
	return v, nil
}
