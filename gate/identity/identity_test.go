package identity

import (
	"context"
	"errors"
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

// patient imports a synthetic patient as the EHR connector would.
func patient(t testing.TB, l *ledger.Ledger, id, given, family, dob string, more map[string]string) {
	t.Helper()
	phi := map[string]string{FieldGiven: given, FieldFamily: family, FieldBirthDate: dob}
	for k, v := range more {
		phi[k] = v
	}
	mustAppend(t, l, ledger.Event{Entity: id, Type: "patient.imported", Source: ledger.SourceEHR, Confidence: 1, Actor: "connector/ehr", PHI: phi})
}

func clinic(t testing.TB) *ledger.Ledger {
	l := openLedger(t)
	patient(t, l, "patient/p1", "Dana", "Fairbanks", "1980-03-14", map[string]string{
		"phone": "555-010-0101", "email": "dana@example.com", "address": "1 Test Way", "pharmacy": "CVS Main St",
		"insurer": "Example Health", "memberId": "XJH4821", "primaryClinician": "Dr Example"})
	patient(t, l, "patient/p2", "Catherine", "Smyth", "1975-11-02", nil)
	// Twins: same birth date, same family name.
	patient(t, l, "patient/p3", "Alex", "Quill", "2001-06-09", nil)
	patient(t, l, "patient/p4", "Sam", "Quill", "2001-06-09", nil)
	// A voice-stated name is not trusted for matching.
	mustAppend(t, l, ledger.Event{Entity: "patient/p5", Type: "patient.name-stated", Source: ledger.SourceVoice, Confidence: 1, Actor: "agent",
		PHI: map[string]string{FieldGiven: "Eve", FieldFamily: "Mallory", FieldBirthDate: "1990-01-01"}})
	return l
}

func history(t testing.TB, l *ledger.Ledger, call, typ string) []*ledger.Event {
	t.Helper()
	evs, err := l.History(call, ledger.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*ledger.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func TestVerifyMatches(t *testing.T) {
	ctx := context.Background()
	l := clinic(t)
	dir := NewDirectory(l)
	for i, c := range []struct {
		claim Claim
		want  string // patient, or outcome when not matched
	}{
		{Claim{Name: "dana fairbanks", BirthDate: "march fourteenth nineteen eighty"}, "patient/p1"},
		{Claim{Name: "Fairbanks, Dana", BirthDate: "03141980", Method: "keypad"}, "patient/p1"},
		{Claim{Name: "it's dana fair banks", BirthDate: "three fourteen eighty"}, "patient/p1"},
		{Claim{Name: "katherine smith", BirthDate: "november second nineteen seventy five"}, "patient/p2"},
		{Claim{Name: "alex quill", BirthDate: "june ninth two thousand one"}, "patient/p3"},
		{Claim{Name: "dana fairbanks", BirthDate: "march fifteenth nineteen eighty"}, OutcomeNoMatch},
		{Claim{Name: "donna fairbanks", BirthDate: "march fourteenth nineteen eighty"}, OutcomeNoMatch},
		{Claim{Name: "dana fairweather", BirthDate: "march fourteenth nineteen eighty"}, OutcomeNoMatch},
		{Claim{Name: "quill", BirthDate: "june ninth two thousand one"}, OutcomeNoMatch},
		{Claim{Name: "eve mallory", BirthDate: "january first nineteen ninety"}, OutcomeNoMatch},
		{Claim{Name: "dana fairbanks", BirthDate: "I don't know"}, OutcomeIncomplete},
		{Claim{Name: "", BirthDate: "03141980"}, OutcomeIncomplete},
		{Claim{Name: "dana fairbanks", BirthDate: "03141980", Patient: "patient/p2"}, OutcomeNoMatch},
		{Claim{Name: "dana fairbanks", BirthDate: "03141980", Patient: "patient/p1"}, "patient/p1"},
	} {
		s, err := Open(l, "call/m"+string(rune('a'+i)), dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Verify(ctx, c.claim)
		if err != nil {
			t.Fatalf("%+v: %v", c.claim, err)
		}
		got := res.Outcome
		if res.Verified {
			got = res.Patient
		}
		if got != c.want {
			t.Errorf("%+v: got %s (%+v), want %s", c.claim, got, res, c.want)
		}
	}
}

func TestAmbiguousTwins(t *testing.T) {
	l := clinic(t)
	// A second record with the same name and birth date: the claim cannot tell them apart.
	patient(t, l, "patient/p6", "Alex", "Quill", "2001-06-09", nil)
	s, err := Open(l, "call/twins", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Verify(context.Background(), Claim{Name: "alex quill", BirthDate: "june ninth two thousand one"})
	if err != nil || res.Verified || res.Outcome != OutcomeAmbiguous || res.Attempt != 1 {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestEveryDisclosingToolRefusesBeforeVerification runs every disclosing
// tool of the standard set, and one registered by a receptionist, on an
// unverified, a failing, a locked and a verified session.
func TestEveryDisclosingToolRefusesBeforeVerification(t *testing.T) {
	ctx := context.Background()
	l := clinic(t)
	ran := 0
	custom := Tool{Name: "appointments.next", Discloses: true, Run: func(ctx context.Context, v Verified, _ map[string]string) (map[string]string, error) {
		ran++
		return v.Read(ctx, "appointments.next", "nextAppointment")
	}}
	public := Tool{Name: "clinic.hours", Run: func(ctx context.Context, v Verified, _ map[string]string) (map[string]string, error) {
		if v.Valid() {
			t.Error("a tool that does not disclose received a usable Verified")
		}
		if _, err := v.Read(ctx, "clinic.hours", "phone"); !errors.Is(err, ErrNotVerified) {
			t.Errorf("zero Verified read: %v", err)
		}
		return map[string]string{"hours": "9-5"}, nil
	}}
	tb, err := NewToolbox(append(StandardTools(), custom, public)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Register(public); err == nil {
		t.Fatal("a tool was registered twice")
	}
	var disclosing []Tool
	for _, tool := range tb.Tools() {
		if tool.Discloses {
			disclosing = append(disclosing, tool)
		}
	}
	if len(disclosing) != len(StandardTools())+1 {
		t.Fatalf("%d disclosing tools", len(disclosing))
	}

	s, err := Open(l, "call/tools", nil)
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0 // disclosures recorded so far
	refuse := func(stage string, want error) {
		t.Helper()
		for _, tool := range disclosing {
			out, err := tb.Invoke(ctx, s, tool.Name, nil)
			if !errors.Is(err, want) || out != nil {
				t.Errorf("%s: %s: %v %v, want %v", stage, tool.Name, out, err, want)
			}
		}
		if _, err := tb.Invoke(ctx, nil, disclosing[0].Name, nil); !errors.Is(err, ErrNotVerified) {
			t.Errorf("%s: nil session: %v", stage, err)
		}
		if n := len(history(t, l, "call/tools", TypeDisclosed)); n != allowed {
			t.Fatalf("%s: %d disclosures recorded", stage, n)
		}
	}
	refuse("unverified", ErrNotVerified)
	if out, err := tb.Invoke(ctx, s, "clinic.hours", nil); err != nil || out["hours"] != "9-5" {
		t.Fatalf("public tool: %v %v", out, err)
	}
	if _, err := tb.Invoke(ctx, s, "no.such.tool", nil); !errors.Is(err, ErrNoTool) {
		t.Fatalf("unknown tool: %v", err)
	}
	if _, err := s.Verify(ctx, Claim{Name: "dana fairbanks", BirthDate: "march fifteenth nineteen eighty"}); err != nil {
		t.Fatal(err)
	}
	refuse("after a failed attempt", ErrNotVerified)
	if ran != 0 {
		t.Fatal("a disclosing tool ran before verification")
	}

	res, err := s.Verify(ctx, Claim{Name: "dana fairbanks", BirthDate: "march fourteenth nineteen eighty"})
	if err != nil || !res.Verified {
		t.Fatalf("verify: %+v %v", res, err)
	}
	for _, tool := range disclosing {
		out, err := tb.Invoke(ctx, s, tool.Name, nil)
		if err != nil {
			t.Fatalf("%s after verification: %v", tool.Name, err)
		}
		if tool.Name == "patient.pharmacy" && out["pharmacy"] != "CVS Main St" {
			t.Fatalf("pharmacy: %v", out)
		}
	}
	disc := history(t, l, "call/tools", TypeDisclosed)
	if len(disc) != len(disclosing) {
		t.Fatalf("%d disclosures recorded, want %d", len(disc), len(disclosing))
	}
	for _, ev := range disc {
		if ev.Attrs[AttrPatient] != "patient/p1" || ev.Attrs[AttrVerification] == "" || len(ev.Commitments) != 0 {
			t.Fatalf("disclosure event: %+v", ev)
		}
		for _, v := range ev.Attrs {
			if strings.Contains(v, "CVS") || strings.Contains(v, "555") {
				t.Fatalf("a disclosed value reached the envelope: %+v", ev.Attrs)
			}
		}
	}
	allowed = len(disc)
	s.Close()
	refuse("closed", ErrClosed)
}

// TestLockAfterThreeFailures: the third failure locks the call; the lock
// survives reopening the session; a Verified from before the lock dies.
func TestLockAfterThreeFailures(t *testing.T) {
	ctx := context.Background()
	l := clinic(t)
	s, err := Open(l, "call/lock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, Claim{Name: "dana fairbanks", BirthDate: "03141980"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Require()
	if err != nil || v.Patient() != "patient/p1" || v.Call() != "call/lock" || v.Event() == "" {
		t.Fatalf("require: %+v %v", v, err)
	}
	bad := Claim{Name: "dana fairbanks", BirthDate: "01011999"}
	for i := 1; i <= MaxAttempts; i++ {
		res, err := s.Verify(ctx, bad)
		if i < MaxAttempts {
			if err != nil || res.Locked || res.Remaining != MaxAttempts-i {
				t.Fatalf("attempt %d: %+v %v", i, res, err)
			}
			continue
		}
		if !errors.Is(err, ErrLocked) || !res.Locked {
			t.Fatalf("attempt %d: %+v %v", i, res, err)
		}
	}
	if _, err := v.Read(ctx, "patient.pharmacy", "pharmacy"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Verified from before the lock: %v", err)
	}
	if _, err := s.Verify(ctx, Claim{Name: "dana fairbanks", BirthDate: "03141980"}); !errors.Is(err, ErrLocked) {
		t.Fatalf("verify after lock: %v", err)
	}
	if n := len(history(t, l, "call/lock", TypeLocked)); n != 1 {
		t.Fatalf("%d lock events", n)
	}
	again, err := Open(l, "call/lock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := again.Status(); !st.Locked || st.Failures != MaxAttempts || st.Verified {
		t.Fatalf("reopened: %+v", st)
	}
	if _, err := again.Require(); !errors.Is(err, ErrLocked) {
		t.Fatalf("require after reopening: %v", err)
	}
	tb, _ := NewToolbox(StandardTools()...)
	for _, tool := range tb.Tools() {
		if _, err := tb.Invoke(ctx, again, tool.Name, nil); !errors.Is(err, ErrLocked) {
			t.Fatalf("%s on a locked call: %v", tool.Name, err)
		}
	}
}

// TestVerifiedIsBoundToItsSession: re-verification invalidates the old
// capability; a reopened session restores a verification; incomplete
// claims do not count.
func TestVerifiedIsBoundToItsSession(t *testing.T) {
	ctx := context.Background()
	l := clinic(t)
	s, _ := Open(l, "call/bind", nil)
	for i := 0; i < 5; i++ {
		res, err := s.Verify(ctx, Claim{Name: "dana", BirthDate: "I'm not sure"})
		if err != nil || res.Outcome != OutcomeIncomplete || res.Attempt != 0 {
			t.Fatalf("incomplete claim: %+v %v", res, err)
		}
	}
	if _, err := s.Verify(ctx, Claim{Name: "dana fairbanks", BirthDate: "03141980"}); err != nil {
		t.Fatal(err)
	}
	va, _ := s.Require()
	if _, err := s.Verify(ctx, Claim{Name: "catherine smyth", BirthDate: "11021975"}); err != nil {
		t.Fatal(err)
	}
	vb, _ := s.Require()
	if va.Valid() || !vb.Valid() || vb.Patient() != "patient/p2" {
		t.Fatalf("after re-verification: old valid %v, new %+v", va.Valid(), vb.Patient())
	}
	if _, err := va.Read(ctx, "patient.contact", "phone"); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("old capability: %v", err)
	}
	re, err := Open(l, "call/bind", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := re.Status(); !st.Verified || st.Patient != "patient/p2" {
		t.Fatalf("reopened: %+v", st)
	}
	if vb.Valid() != true {
		t.Fatal("reopening another session object invalidated this one")
	}
	var zero Verified
	if zero.Valid() || zero.Patient() != "" {
		t.Fatal("the zero Verified is usable")
	}
	if _, err := Open(l, "patient/p1", nil); err == nil {
		t.Fatal("a session on a patient entity was opened")
	}
}
