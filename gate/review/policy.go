package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"frontdesk/ledger"
)

// Policy is one workspace's configuration of the confidence gates.
type Policy struct {
	// Starting is gate 1: the highest confidence a fact of each source
	// (ehr, manual, voice, agent, system) may claim before any judgement.
	Starting map[string]float64 `json:"starting"`
	// JudgeSources are the sources whose facts must pass gate 2 before any
	// destination may receive them.
	JudgeSources []string `json:"judge_sources"`
	// Verified and Uncertain are the confidences the judge gives a fact.
	Verified  float64 `json:"verified"`
	Uncertain float64 `json:"uncertain"`
	// HumanVerified is the confidence of a fact a reviewer approved.
	HumanVerified float64 `json:"human_verified"`
	// Corrected is the confidence of a reviewer's correction.
	Corrected float64 `json:"corrected"`
	// Destinations maps a system of record ("ehr") to what it requires.
	// A destination not listed receives nothing.
	Destinations map[string]Threshold `json:"destinations"`
	// AlwaysReview lists fields whose facts always go to a human, whatever
	// the judge says.
	AlwaysReview []string `json:"always_review,omitempty"`
}

// Threshold is what one destination requires of a fact.
type Threshold struct {
	// Min is the lowest confidence it accepts.
	Min float64 `json:"min"`
	// Human requires a reviewer's approval or correction of every fact
	// from a source in JudgeSources.
	Human bool `json:"human,omitempty"`
}

// DefaultPolicy is the policy of a workspace that has not set one: facts
// from voice and agents need the judge; the EHR accepts what the judge
// verified (0.8), except names, dates of birth, allergies and medications,
// which a human must approve.
func DefaultPolicy() Policy {
	return Policy{
		Starting:      map[string]float64{"ehr": 1.0, "manual": 0.9, "voice": 0.5, "agent": 0.3, "system": 1.0},
		JudgeSources:  []string{"voice", "agent"},
		Verified:      0.8,
		Uncertain:     0.4,
		HumanVerified: 1.0,
		Corrected:     0.9,
		Destinations:  map[string]Threshold{"ehr": {Min: 0.8}},
		AlwaysReview:  []string{"name", "given", "family", "birthDate", "allergies", "medications", "pharmacy", "phone", "address", "appointment"},
	}
}

// Validate checks that every confidence is within 0..1 and that the
// policy cannot let an unjudged voice or agent fact through.
func (p Policy) Validate() error {
	in := func(what string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("review policy: %s %v is outside 0..1", what, v)
		}
		return nil
	}
	for _, name := range []string{"ehr", "manual", "voice", "agent", "system"} {
		v, ok := p.Starting[name]
		if !ok {
			return fmt.Errorf("review policy: no starting confidence for source %s", name)
		}
		if err := in("starting confidence of "+name, v); err != nil {
			return err
		}
	}
	for name := range p.Starting {
		if _, err := ledger.ParseSource(name); err != nil {
			return fmt.Errorf("review policy: %w", err)
		}
	}
	for _, s := range p.JudgeSources {
		if _, err := ledger.ParseSource(s); err != nil {
			return fmt.Errorf("review policy: judge source: %w", err)
		}
	}
	if !slices.Contains(p.JudgeSources, "voice") {
		return errors.New("review policy: facts from voice must pass the judge (judge_sources must include voice)")
	}
	for what, v := range map[string]float64{"verified": p.Verified, "uncertain": p.Uncertain,
		"human_verified": p.HumanVerified, "corrected": p.Corrected} {
		if err := in(what, v); err != nil {
			return err
		}
	}
	if p.Uncertain >= p.Verified {
		return errors.New("review policy: uncertain must be below verified")
	}
	for name, t := range p.Destinations {
		if name == "" {
			return errors.New("review policy: a destination has no name")
		}
		if err := in("minimum of destination "+name, t.Min); err != nil {
			return err
		}
		if t.Min <= p.Uncertain {
			return fmt.Errorf("review policy: destination %s accepts %v, at or below the judge's uncertain (%v)", name, t.Min, p.Uncertain)
		}
	}
	return nil
}

// judged reports whether facts from source need gate 2.
func (p Policy) judged(s ledger.Source) bool { return slices.Contains(p.JudgeSources, s.String()) }

// alwaysReview reports whether the field always needs a human.
func (p Policy) alwaysReview(field string) bool { return slices.Contains(p.AlwaysReview, field) }

// needsHuman reports whether a fact of field, verified by the judge, still
// needs a human before some destination may receive it.
func (p Policy) needsHuman(field string) bool {
	if p.alwaysReview(field) {
		return true
	}
	for _, t := range p.Destinations {
		if t.Human || p.Verified < t.Min {
			return true
		}
	}
	return false
}

// starting returns the cap gate 1 puts on a fact of source s.
func (p Policy) starting(s ledger.Source) float64 {
	if v, ok := p.Starting[s.String()]; ok {
		return v
	}
	return 0
}

// StartingConfidence is the confidence a new fact of source s starts at
// under policy p.
func (p Policy) StartingConfidence(s ledger.Source) float64 { return p.starting(s) }

// DestinationNames lists the configured destinations in name order.
func (p Policy) DestinationNames() []string {
	out := make([]string, 0, len(p.Destinations))
	for k := range p.Destinations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadPolicy returns the workspace's current policy and the ID of the event
// that set it, or DefaultPolicy and "" when none was set.
func LoadPolicy(l *ledger.Ledger) (Policy, string, error) {
	st, err := l.AsOf(PolicyEntity, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return Policy{}, "", fmt.Errorf("review policy: %w", err)
	}
	v, ok := st.Fields[AttrPolicy]
	if !ok {
		return DefaultPolicy(), "", nil
	}
	var p Policy
	if err := json.Unmarshal([]byte(v.Value), &p); err != nil {
		return Policy{}, "", fmt.Errorf("review policy %s: %w", v.EventID, err)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, "", fmt.Errorf("review policy %s: %w", v.EventID, err)
	}
	return p, v.EventID, nil
}

// SavePolicy validates p and records it as the workspace's policy.
func SavePolicy(ctx context.Context, l *ledger.Ledger, p Policy, actor string) (*ledger.Event, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("review policy: %w", err)
	}
	if len(b) > ledger.MaxAttrValue {
		return nil, fmt.Errorf("review policy: %d bytes of JSON; at most %d", len(b), ledger.MaxAttrValue)
	}
	return l.Append(ctx, ledger.Event{
		Entity: PolicyEntity, Type: TypePolicySet, Source: ledger.SourceSystem, Confidence: 1,
		Actor: actor, Attrs: map[string]string{AttrPolicy: string(b)},
	})
}
