package review

import (
	"context"
	"strings"
	"testing"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

// openLedger opens a fresh workspace ledger in a temporary directory.
func openLedger(t testing.TB) *ledger.Ledger { return testkit.Ledger(t, "clinic") }

func mustAppend(t testing.TB, l *ledger.Ledger, e ledger.Event) *ledger.Event {
	t.Helper()
	ev, err := l.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// turn records a transcript turn of call.
func turn(t testing.TB, l *ledger.Ledger, call, speaker, text string) *ledger.Event {
	t.Helper()
	return mustAppend(t, l, ledger.Event{
		Entity: call, Type: "call.turn", Source: ledger.SourceVoice, Confidence: 0.5, Actor: "agent",
		Attrs: map[string]string{"speaker": speaker}, PHI: map[string]string{TurnText: text},
	})
}

// stated records a fact the caller stated in turn tv.
func stated(t testing.TB, l *ledger.Ledger, patient, field, value string, tv *ledger.Event) *ledger.Event {
	t.Helper()
	ev, err := RecordFact(context.Background(), l, Fact{
		Entity: patient, Type: "patient." + strings.ToLower(field) + "-stated", Field: field, Value: value,
		Source: ledger.SourceVoice, Call: tv.Entity, TurnEvent: tv.ID, Actor: "agent",
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func mayWrite(t testing.TB, l *ledger.Ledger, id, dest string) Decision {
	t.Helper()
	d, err := MayWrite(l, id, dest)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func judge(t testing.TB, l *ledger.Ledger, id string) *Judgement {
	t.Helper()
	j, err := JudgeFact(context.Background(), l, LocalJudge{}, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

var (
	member = Reviewer{Actor: "account/nurse-a", Role: "member"}
	other  = Reviewer{Actor: "account/nurse-b", Role: "member"}
	viewer = Reviewer{Actor: "account/auditor", Role: "viewer"}
)

// gates lists the gates of a decision's chain, for assertions.
func gates(d Decision) []string {
	var out []string
	for _, s := range d.Chain {
		out = append(out, s.Gate+":"+s.Outcome)
	}
	return out
}

// judgeDecides saves a policy in which a verified pharmacy needs no human:
// the default sends contact changes to the review queue, and these tests
// are about what the judge alone decides.
func judgeDecides(t testing.TB, l *ledger.Ledger) {
	t.Helper()
	p := DefaultPolicy()
	p.AlwaysReview = []string{"name", "given", "family", "birthDate", "allergies", "medications"}
	if _, err := SavePolicy(context.Background(), l, p, "cli/test"); err != nil {
		t.Fatal(err)
	}
}
