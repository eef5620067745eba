package review

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdesk/ledger"
)

// TestVoiceFactJudgedThenWritten walks the path of a pharmacy the caller
// states: denied before the judge, allowed after it verifies, with the
// chain of judgements; the world model shows the verified value.
func TestVoiceFactJudgedThenWritten(t *testing.T) {
	l := openLedger(t)
	judgeDecides(t, l)
	tv := turn(t, l, "call/c1", "caller", "yes the c v s on main street please")
	f := stated(t, l, "patient/p1", "pharmacy", "CVS Main St", tv)
	if f.Confidence != 0.5 || f.Source != ledger.SourceVoice {
		t.Fatalf("fact starts at %v from %s, want 0.5 from voice", f.Confidence, f.Source)
	}

	d := mayWrite(t, l, f.ID, "ehr")
	if d.Allow || d.Reason != WhyNotJudged {
		t.Fatalf("before the judge: %+v", d)
	}
	if g := gates(d); !slices.Equal(g, []string{"source:stated", "final:deny"}) {
		t.Fatalf("chain before the judge: %v", g)
	}

	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Verified || j.Item != nil {
		t.Fatalf("judgement: %+v, item %+v", j.Verdict, j.Item)
	}
	if j.Event.Supersedes[0] != f.ID || j.Event.Confidence != 0.8 || j.Event.Attrs[AttrJudge] != "local" ||
		j.Event.Attrs[AttrTurn] != tv.ID || j.Event.Actor != "judge/local" {
		t.Fatalf("judged event: %+v", j.Event)
	}

	for _, id := range []string{f.ID, j.Event.ID} {
		d = mayWrite(t, l, id, "ehr")
		if !d.Allow || d.Head != j.Event.ID || d.Confidence != 0.8 || d.Field != "pharmacy" {
			t.Fatalf("after the judge (asked about %s): %+v", id, d)
		}
		if g := gates(d); !slices.Equal(g, []string{"source:stated", "judge:verified", "final:allow"}) {
			t.Fatalf("chain: %v", g)
		}
		if d.Chain[1].Actor != "judge/local" || d.Chain[1].At.IsZero() || d.Chain[1].Reason == "" {
			t.Fatalf("judge step lacks who, when or why: %+v", d.Chain[1])
		}
	}
	if d := mayWrite(t, l, f.ID, "fax-machine"); d.Allow || d.Reason != WhyUnknownDest {
		t.Fatalf("unknown destination: %+v", d)
	}

	st, err := l.AsOf("patient/p1", time.Time{}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.Fields["pharmacy"]; v.Value != "CVS Main St" || v.Confidence != 0.8 || v.EventID != j.Event.ID {
		t.Fatalf("world model: %+v", v)
	}

	if _, err := JudgeFact(context.Background(), l, LocalJudge{}, f.ID); !errors.Is(err, ErrAlreadyJudged) {
		t.Fatalf("judging twice: %v", err)
	}
	if _, err := JudgeFact(context.Background(), l, LocalJudge{}, j.Event.ID); !errors.Is(err, ErrNotFact) {
		t.Fatalf("judging a judgement: %v", err)
	}
}

// TestUnjudgedVoiceFactNeverAllowed tries to get a voice fact through by
// claiming a high confidence: gate 1 caps it and gate 2 is still required.
func TestUnjudgedVoiceFactNeverAllowed(t *testing.T) {
	l := openLedger(t)
	tv := turn(t, l, "call/c1", "caller", "c v s")
	for _, src := range []ledger.Source{ledger.SourceVoice, ledger.SourceAgent} {
		f := mustAppend(t, l, ledger.Event{
			Entity: "patient/p1", Type: "patient.pharmacy-stated", Source: src, Confidence: 1, Actor: "agent",
			Attrs: map[string]string{AttrField: "pharmacy", AttrCall: "call/c1", AttrTurn: tv.ID},
			PHI:   map[string]string{"pharmacy": "CVS"},
		})
		d := mayWrite(t, l, f.ID, "ehr")
		if d.Allow || d.Reason != WhyNotJudged || d.Chain[0].Confidence > DefaultPolicy().Starting[src.String()] {
			t.Fatalf("%s fact at confidence 1: %+v", src, d)
		}
	}
	// A policy that lowers the threshold below the judge's "uncertain" is refused.
	p := DefaultPolicy()
	p.Destinations["ehr"] = Threshold{Min: 0.3}
	if _, err := SavePolicy(context.Background(), l, p, "cli/test"); err == nil {
		t.Fatal("a policy that would pass uncertain facts was accepted")
	}
	p = DefaultPolicy()
	p.JudgeSources = []string{"agent"}
	if _, err := SavePolicy(context.Background(), l, p, "cli/test"); err == nil {
		t.Fatal("a policy that exempts voice from the judge was accepted")
	}
	// EHR and manual facts need no judge.
	e := mustAppend(t, l, ledger.Event{Entity: "patient/p1", Type: "patient.imported", Source: ledger.SourceEHR, Confidence: 1,
		Actor: "connector/ehr", Attrs: map[string]string{AttrField: "phone"}, PHI: map[string]string{"phone": "555-010-0100"}})
	if d := mayWrite(t, l, e.ID, "ehr"); !d.Allow {
		t.Fatalf("EHR fact: %+v", d)
	}
	// An event that states no fact is never written.
	if d := mayWrite(t, l, tv.ID, "ehr"); d.Allow {
		t.Fatalf("transcript turn: %+v", d)
	}
}

// TestAlwaysReviewApproved takes a date of birth, a field that always needs
// a human, through the judge and the queue.
func TestAlwaysReviewApproved(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	tv := turn(t, l, "call/c2", "caller", "it's march fourteenth nineteen eighty")
	f := stated(t, l, "patient/p2", "birthDate", "1980-03-14", tv)
	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Verified || j.Item == nil || j.Item.Reason != ReasonAlways || j.Item.Status != StatusOpen {
		t.Fatalf("judgement %+v item %+v", j.Verdict, j.Item)
	}
	if j.Item.ID != ItemID(j.Event.ID) || j.Item.Fact != f.ID || j.Item.Field != "birthDate" || j.Item.Subject != "patient/p2" {
		t.Fatalf("item: %+v", j.Item)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyAwaitingReview {
		t.Fatalf("awaiting review: %+v", d)
	}

	if _, err := ClaimItem(ctx, l, j.Item.ID, viewer); !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer claim: %v", err)
	}
	if _, err := Approve(ctx, l, j.Item.ID, Reviewer{Actor: "agent", Role: "owner"}, Resolution{Reason: "ok"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("agent approval: %v", err)
	}
	it, err := ClaimItem(ctx, l, j.Item.ID, member)
	if err != nil || it.Status != StatusClaimed || it.Claimant != member.Actor {
		t.Fatalf("claim: %+v %v", it, err)
	}
	if _, err := Approve(ctx, l, j.Item.ID, other, Resolution{Reason: "ok"}); !errors.Is(err, ErrClaimed) {
		t.Fatalf("approval by another reviewer: %v", err)
	}
	if _, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "Confirmed with Dana"}); err == nil {
		t.Fatal("free text accepted as a reason code")
	}
	it, err = Approve(ctx, l, strings.TrimPrefix(j.Item.ID, "review/"), member, Resolution{Reason: "confirmed-with-caller", Note: "caller spelled it out"})
	if err != nil || it.Status != StatusApproved || it.Result == "" || it.DecidedBy != member.Actor {
		t.Fatalf("approve: %+v %v", it, err)
	}
	if _, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "again"}); !errors.Is(err, ErrDecided) {
		t.Fatalf("second approval: %v", err)
	}

	d := mayWrite(t, l, f.ID, "ehr")
	if !d.Allow || d.Head != it.Result || d.Confidence != 1.0 {
		t.Fatalf("after approval: %+v", d)
	}
	want := []string{"source:stated", "judge:verified", "review:approved", "review:approved", "review:approved", "final:allow"}
	if g := gates(d); !slices.Equal(g, want) {
		t.Fatalf("chain %v, want %v", g, want)
	}
	confirmed, err := l.GetByID(it.Result, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if confirmed.Type != TypeConfirmed || confirmed.PHI["birthDate"] != "1980-03-14" || confirmed.Supersedes[0] != j.Event.ID ||
		confirmed.Actor != member.Actor || confirmed.Attrs[AttrReview] != it.ID {
		t.Fatalf("confirmation: %+v", confirmed)
	}
	// The note is sealed as PHI under the patient's key, not in the envelope.
	evs, err := l.History(it.ID, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != TypeApproved || last.PHI[NoteField] != "caller spelled it out" || last.Subject != "patient/p2" {
		t.Fatalf("approval event: %+v", last)
	}
	for _, v := range last.Attrs {
		if strings.Contains(v, "spelled") {
			t.Fatal("the note leaked into the attributes")
		}
	}
}

// TestContradictedThenCorrected: the judge withdraws a contradicted phone
// number (the EHR's number shows again), and a reviewer's correction
// replaces it.
func TestContradictedThenCorrected(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	mustAppend(t, l, ledger.Event{Entity: "patient/p3", Type: "patient.imported", Source: ledger.SourceEHR, Confidence: 1,
		Actor: "connector/ehr", PHI: map[string]string{"phone": "555-010-0100"}})
	tv := turn(t, l, "call/c3", "caller", "my new number is five five five oh one oh oh two two two")
	f := stated(t, l, "patient/p3", "phone", "555-010-0199", tv)
	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Contradicted || j.Event.Confidence != 0 || len(j.Event.Commitments) != 0 {
		t.Fatalf("judgement %+v event %+v", j.Verdict, j.Event)
	}
	if j.Item == nil || j.Item.Reason != ReasonContradicted {
		t.Fatalf("item %+v", j.Item)
	}
	st, err := l.AsOf("patient/p3", time.Time{}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.Fields["phone"]; v.Value != "555-010-0100" || v.Source != ledger.SourceEHR {
		t.Fatalf("after a contradiction the world model shows %+v, want the EHR's number", v)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyWithdrawn {
		t.Fatalf("contradicted: %+v", d)
	}
	if _, err := Correct(ctx, l, j.Item.ID, member, Resolution{Reason: "called-back"}, ""); err == nil {
		t.Fatal("empty correction accepted")
	}
	it, err := Correct(ctx, l, j.Item.ID, member, Resolution{Reason: "called-back"}, " 555-010-0222 ")
	if err != nil || it.Status != StatusCorrected {
		t.Fatalf("correct: %+v %v", it, err)
	}
	c, err := l.GetByID(it.Result, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != TypeCorrected || c.Source != ledger.SourceManual || c.Confidence != 0.9 || c.PHI["phone"] != "555-010-0222" || c.Supersedes[0] != j.Event.ID {
		t.Fatalf("correction: %+v", c)
	}
	d := mayWrite(t, l, f.ID, "ehr")
	if !d.Allow || d.Head != c.ID || d.Confidence != 0.9 {
		t.Fatalf("after correction: %+v", d)
	}
	st, err = l.AsOf("patient/p3", time.Time{}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.Fields["phone"]; v.Value != "555-010-0222" || v.EventID != c.ID {
		t.Fatalf("world model after correction: %+v", v)
	}
	if !slices.Contains(st.Superseded, f.ID) || !slices.Contains(st.Superseded, j.Event.ID) {
		t.Fatalf("superseded: %v", st.Superseded)
	}
}

// TestUncertainRejected: a rejected fact leaves the world model and is never
// written.
func TestUncertainRejected(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	tv := turn(t, l, "call/c4", "caller", "I think it's the one near the park")
	f := stated(t, l, "patient/p4", "pharmacy", "Walgreens", tv)
	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Uncertain || j.Event.Confidence != 0.4 || j.Item == nil || j.Item.Reason != ReasonUncertain {
		t.Fatalf("judgement %+v item %+v", j.Verdict, j.Item)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyJudgeNotPassed {
		t.Fatalf("uncertain: %+v", d)
	}
	it, err := Reject(ctx, l, j.Item.ID, member, Resolution{Reason: "not-stated"})
	if err != nil || it.Status != StatusRejected {
		t.Fatalf("reject: %+v %v", it, err)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyWithdrawn {
		t.Fatalf("rejected: %+v", d)
	}
	st, err := l.AsOf("patient/p4", time.Time{}, ledger.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Fields["pharmacy"]; ok {
		t.Fatalf("a rejected pharmacy is still in the world model: %+v", st.Fields["pharmacy"])
	}
}

// TestUncertainApproved: a reviewer may approve what the judge could not
// verify; the fact reaches the human-verified level.
func TestUncertainApproved(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	tv := turn(t, l, "call/c5", "caller", "the walgreen on fifth")
	f := stated(t, l, "patient/p5", "pharmacy", "Walgreens 5th Ave", tv)
	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Uncertain {
		t.Fatalf("verdict %+v", j.Verdict)
	}
	if _, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "matches-record"}); err != nil {
		t.Fatal(err)
	}
	d := mayWrite(t, l, f.ID, "ehr")
	if !d.Allow || d.Confidence != 1 {
		t.Fatalf("approved uncertain fact: %+v", d)
	}
}

// TestPolicyRequiresHuman: a workspace that wants a human for every EHR
// write gets a review item even for verified facts.
func TestPolicyRequiresHuman(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	p := DefaultPolicy()
	p.Destinations["ehr"] = Threshold{Min: 0.9, Human: true}
	p.Destinations["webhook"] = Threshold{Min: 0.8}
	pe, err := SavePolicy(ctx, l, p, "cli/test")
	if err != nil {
		t.Fatal(err)
	}
	got, id, err := LoadPolicy(l)
	if err != nil || id != pe.ID || !got.Destinations["ehr"].Human || got.Destinations["webhook"].Min != 0.8 {
		t.Fatalf("load: %+v %s %v", got, id, err)
	}
	tv := turn(t, l, "call/c6", "caller", "c v s")
	f := stated(t, l, "patient/p6", "pharmacy", "CVS", tv)
	j := judge(t, l, f.ID)
	if j.Verdict.Outcome != Verified || j.Item == nil || j.Item.Reason != ReasonAlways {
		t.Fatalf("judgement %+v item %+v", j.Verdict, j.Item)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Policy != pe.ID {
		t.Fatalf("ehr before review: %+v", d)
	}
	if d := mayWrite(t, l, f.ID, "webhook"); d.Allow || d.Reason != WhyAwaitingReview {
		t.Fatalf("webhook before review: %+v", d)
	}
	if _, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"ehr", "webhook"} {
		if d := mayWrite(t, l, f.ID, dest); !d.Allow {
			t.Fatalf("%s after review: %+v", dest, d)
		}
	}
}

// TestForgedDecisionDenied: a confirmation appended without its review
// record does not open the gate; finishing the item after a crash does.
func TestForgedDecisionDenied(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	tv := turn(t, l, "call/c7", "caller", "nineteen eighty march fourteenth")
	f := stated(t, l, "patient/p7", "birthDate", "1980-03-14", tv)
	j := judge(t, l, f.ID)
	forged := mustAppend(t, l, ledger.Event{
		Entity: "patient/p7", Type: TypeConfirmed, Source: ledger.SourceVoice, Confidence: 1, Actor: member.Actor,
		Supersedes: []string{j.Event.ID}, Attrs: map[string]string{AttrFact: f.ID, AttrField: "birthDate", AttrReview: j.Item.ID, AttrDecision: "approved"},
		PHI: map[string]string{"birthDate": "1980-03-14"},
	})
	d := mayWrite(t, l, f.ID, "ehr")
	if d.Allow || d.Reason != WhyUnrecordedHuman || d.Head != forged.ID {
		t.Fatalf("forged confirmation: %+v", d)
	}
	// The same state arises when the process stops between the two writes
	// of an approval; approving again finishes the item without a second
	// fact event.
	it, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "ok"})
	if err != nil || it.Result != forged.ID {
		t.Fatalf("finishing the approval: %+v %v", it, err)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); !d.Allow {
		t.Fatalf("after finishing: %+v", d)
	}

	// A verdict appended by something other than a judge does not count.
	tv2 := turn(t, l, "call/c7b", "caller", "c v s")
	f2 := stated(t, l, "patient/p7b", "pharmacy", "CVS", tv2)
	mustAppend(t, l, ledger.Event{
		Entity: "patient/p7b", Type: TypeJudged, Source: ledger.SourceVoice, Confidence: 0.8, Actor: "agent",
		Supersedes: []string{f2.ID}, Attrs: map[string]string{AttrOutcome: "verified", AttrJudged: f2.ID, AttrField: "pharmacy", AttrFact: f2.ID},
		PHI: map[string]string{"pharmacy": "CVS"},
	})
	if d := mayWrite(t, l, f2.ID, "ehr"); d.Allow || d.Reason != WhyInconsistent {
		t.Fatalf("verdict forged by the agent: %+v", d)
	}
}

// TestMonitorFlagOnTurn: a monitor hit on the cited turn holds the fact
// until a reviewer finds the flag acceptable; an upheld flag blocks it.
func TestMonitorFlagOnTurn(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	judgeDecides(t, l)
	for _, decision := range []string{"approve", "reject"} {
		call := "call/m-" + decision
		tv := turn(t, l, call, "caller", "c v s")
		f := stated(t, l, "patient/m-"+decision, "pharmacy", "CVS", tv)
		judge(t, l, f.ID)
		hit := mustAppend(t, l, ledger.Event{Entity: call, Type: TypeMonitorHit, Source: ledger.SourceSystem, Confidence: 1, Actor: "monitor",
			Attrs: map[string]string{AttrRule: "hipaa.test", AttrSeverity: "warning", AttrAction: "flag", AttrTurn: tv.ID}})
		if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyMonitorOpen {
			t.Fatalf("hit without item: %+v", d)
		}
		it, err := OpenItem(ctx, l, Opening{Trigger: hit.ID, Reason: ReasonMonitor, Target: tv.ID, TargetEntity: call, Actor: "monitor",
			Attrs: map[string]string{AttrRule: "hipaa.test", AttrSeverity: "warning", AttrAction: "flag"}})
		if err != nil || it.Rule != "hipaa.test" || it.Fact != "" {
			t.Fatalf("open: %+v %v", it, err)
		}
		again, err := OpenItem(ctx, l, Opening{Trigger: hit.ID, Reason: ReasonMonitor, TargetEntity: call, Actor: "monitor"})
		if err != nil || len(again.Events) != 1 {
			t.Fatalf("opening twice: %+v %v", again, err)
		}
		if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyMonitorOpen {
			t.Fatalf("open monitor item: %+v", d)
		}
		if _, err := Correct(ctx, l, it.ID, member, Resolution{Reason: "x"}, "v"); !errors.Is(err, ErrNotCorrectable) {
			t.Fatalf("correcting a monitor item: %v", err)
		}
		if decision == "approve" {
			if _, err := Approve(ctx, l, it.ID, member, Resolution{Reason: "false-alarm"}); err != nil {
				t.Fatal(err)
			}
			if d := mayWrite(t, l, f.ID, "ehr"); !d.Allow || !slices.Contains(gates(d), "monitor:hit") {
				t.Fatalf("acceptable flag: %+v", d)
			}
		} else {
			if _, err := Reject(ctx, l, it.ID, member, Resolution{Reason: "flag-upheld"}); err != nil {
				t.Fatal(err)
			}
			if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyMonitorUpheld {
				t.Fatalf("upheld flag: %+v", d)
			}
		}
	}
}

// TestJudgeFactEdgeCases: missing, foreign and erased turns; a failing
// judge records nothing; a newer fact replaces an older one.
func TestJudgeFactEdgeCases(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	// No turn cited.
	f, err := RecordFact(ctx, l, Fact{Entity: "patient/e1", Type: "patient.pharmacy-stated", Field: "pharmacy", Value: "CVS", Source: ledger.SourceVoice, Actor: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if j := judge(t, l, f.ID); j.Verdict.Outcome != Uncertain || j.Verdict.Reason != ReasonNoTurn {
		t.Fatalf("no turn: %+v", j.Verdict)
	}
	// A turn of another call.
	tv := turn(t, l, "call/other", "caller", "c v s")
	f, err = RecordFact(ctx, l, Fact{Entity: "patient/e2", Type: "patient.pharmacy-stated", Field: "pharmacy", Value: "CVS",
		Source: ledger.SourceVoice, Call: "call/mine", TurnEvent: tv.ID, Actor: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if j := judge(t, l, f.ID); j.Verdict.Reason != ReasonTurnOtherCall {
		t.Fatalf("foreign turn: %+v", j.Verdict)
	}
	// An erased turn.
	tv = turn(t, l, "call/erased", "caller", "c v s")
	f = stated(t, l, "patient/e3", "pharmacy", "CVS", tv)
	if _, err := l.Erase(ctx, "call/erased", "cli/test", "patient-request"); err != nil {
		t.Fatal(err)
	}
	if j := judge(t, l, f.ID); j.Verdict.Reason != ReasonTurnErased {
		t.Fatalf("erased turn: %+v", j.Verdict)
	}
	// A failing judge leaves the fact unjudged.
	tv = turn(t, l, "call/c8", "caller", "c v s")
	f = stated(t, l, "patient/e4", "pharmacy", "CVS", tv)
	before, _ := l.History("patient/e4", ledger.ReadOptions{})
	if _, err := JudgeFact(ctx, l, failingJudge{}, f.ID); err == nil {
		t.Fatal("a failing judge's error was swallowed")
	}
	after, _ := l.History("patient/e4", ledger.ReadOptions{})
	if len(after) != len(before) {
		t.Fatal("a failing judge recorded something")
	}
	// A newer statement replaces the fact: it cannot be judged or written.
	newer, err := RecordFact(ctx, l, Fact{Entity: "patient/e4", Type: "patient.pharmacy-stated", Field: "pharmacy", Value: "Walgreens",
		Source: ledger.SourceVoice, Call: tv.Entity, TurnEvent: tv.ID, Actor: "agent", Supersedes: []string{f.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := JudgeFact(ctx, l, LocalJudge{}, f.ID); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("judging a replaced fact: %v", err)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); d.Allow || d.Reason != WhyReplaced {
		t.Fatalf("replaced fact: %+v", d)
	}
	if j := judge(t, l, newer.ID); j.Verdict.Outcome != Contradicted {
		t.Fatalf("newer fact: %+v", j.Verdict)
	}
	if _, err := RecordFact(ctx, l, Fact{Entity: "patient/e4", Type: TypeConfirmed, Field: "x", Value: "y", Source: ledger.SourceVoice}); err == nil {
		t.Fatal("RecordFact accepted a gate event type")
	}
}

type failingJudge struct{}

func (failingJudge) Judge(context.Context, Claim) (Verdict, error) {
	return Verdict{}, errors.New("provider unavailable")
}

func TestListItems(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	judgeDecides(t, l)
	var items []*Item
	for i, text := range []string{"c v s", "no idea", "the walgreens"} {
		tv := turn(t, l, "call/l", "caller", text)
		f := stated(t, l, "patient/l"+string(rune('a'+i)), "pharmacy", "CVS", tv)
		if j := judge(t, l, f.ID); j.Item != nil {
			items = append(items, j.Item)
		}
	}
	if len(items) != 2 {
		t.Fatalf("%d items opened, want 2 (uncertain and contradicted)", len(items))
	}
	all, err := ListItems(l, Filter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %d %v", len(all), err)
	}
	if _, err := Reject(ctx, l, items[0].ID, member, Resolution{Reason: "no"}); err != nil {
		t.Fatal(err)
	}
	open, err := ListItems(l, Filter{Statuses: []Status{StatusOpen, StatusClaimed}})
	if err != nil || len(open) != 1 || open[0].ID != items[1].ID {
		t.Fatalf("open items: %+v %v", open, err)
	}
	contra, err := ListItems(l, Filter{Reason: ReasonContradicted})
	if err != nil || len(contra) != 1 || contra[0].Reason != ReasonContradicted {
		t.Fatalf("contradicted items: %+v %v", contra, err)
	}
	if _, err := GetItem(l, "review/nothing"); !errors.Is(err, ErrNoItem) {
		t.Fatalf("unknown item: %v", err)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Policy){
		"starting above 1":    func(p *Policy) { p.Starting["voice"] = 1.5 },
		"missing source":      func(p *Policy) { delete(p.Starting, "agent") },
		"unknown source":      func(p *Policy) { p.Starting["fax"] = 0.5 },
		"uncertain≥verified":  func(p *Policy) { p.Uncertain = 0.9 },
		"destination too low": func(p *Policy) { p.Destinations["ehr"] = Threshold{Min: 0.4} },
		"voice not judged":    func(p *Policy) { p.JudgeSources = nil },
	} {
		p := DefaultPolicy()
		mut(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestConcurrentDecisions: of many concurrent judgements of one fact, and
// many reviewers approving one item, exactly one of each wins; the chain
// never forks.
func TestConcurrentDecisions(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	tv := turn(t, l, "call/race", "caller", "march fourteenth nineteen eighty")
	f := stated(t, l, "patient/race", "birthDate", "1980-03-14", tv)
	const n = 8
	errs := make(chan error, n)
	items := make(chan *Item, n)
	for i := 0; i < n; i++ {
		go func() {
			j, err := JudgeFact(ctx, l, LocalJudge{}, f.ID)
			if err == nil {
				items <- j.Item
			}
			errs <- err
		}()
	}
	ok := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, ErrAlreadyJudged) {
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d judgements succeeded", ok)
	}
	it := <-items
	for i := 0; i < n; i++ {
		r := Reviewer{Actor: "account/r" + string(rune('a'+i)), Role: "member"}
		go func() {
			_, err := Approve(ctx, l, it.ID, r, Resolution{Reason: "ok"})
			errs <- err
		}()
	}
	ok = 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, ErrDecided) && !errors.Is(err, ErrClaimed) {
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d approvals succeeded", ok)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); !d.Allow {
		t.Fatalf("after the race: %+v", d)
	}
}
