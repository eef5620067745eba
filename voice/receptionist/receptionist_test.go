package receptionist

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"frontdesk/gate/identity"
	"frontdesk/gate/review"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice/caller"
	"frontdesk/voice/sip"
	"frontdesk/voice/switchboard"
)

// clinic is a small synthetic clinic written as EHR events.
type clinic struct {
	l           *ledger.Ledger
	appointment time.Time
}

func ehr(t testing.TB, l *ledger.Ledger, entity, typ string, attrs, phi map[string]string) {
	t.Helper()
	if _, err := l.Append(context.Background(), ledger.Event{Entity: entity, Type: typ, Source: ledger.SourceEHR, Confidence: 1,
		Actor: "ehr/test", Attrs: attrs, PHI: phi}); err != nil {
		t.Fatal(err)
	}
}

func newClinic(t testing.TB) *clinic {
	l := testkit.Ledger(t, "clinic")
	c := &clinic{l: l}
	ehr(t, l, "patient/p1", "patient.synced", map[string]string{"fhir_id": "p1"},
		map[string]string{"given": "Alberto", "family": "Atencio", "birthDate": "1993-06-07", "phone": "555-961-9901"})
	ehr(t, l, "patient/p2", "patient.synced", map[string]string{"fhir_id": "p2"},
		map[string]string{"given": "Liz", "family": "Conn", "birthDate": "1986-11-28"})
	ehr(t, l, "practitioner/d1", "practitioner.synced", map[string]string{"display_title": "Dr."}, map[string]string{"name": "Noe Dibbert"})
	loc := time.Local
	day := time.Now().In(loc).AddDate(0, 0, 3)
	c.appointment = time.Date(day.Year(), day.Month(), day.Day(), 10, 30, 0, 0, loc)
	ehr(t, l, "appointment/a1", "appointment.synced", map[string]string{
		"status": "booked", "patient": "patient/p1", "practitioner": "practitioner/d1",
		"start": c.appointment.UTC().Format(time.RFC3339), "end": c.appointment.Add(30 * time.Minute).UTC().Format(time.RFC3339),
	}, nil)
	for i := 0; i < 4; i++ {
		s := time.Date(day.Year(), day.Month(), day.Day()+1, 9+i, 0, 0, 0, loc)
		ehr(t, l, fmt.Sprintf("slot/s%d", i), "slot.synced", map[string]string{
			"status": "free", "practitioner": "practitioner/d1", "start": s.UTC().Format(time.RFC3339), "end": s.Add(30 * time.Minute).UTC().Format(time.RFC3339),
		}, nil)
	}
	return c
}

// dial starts a switchboard with the receptionist on loopback and returns
// an outbound call to it.
func dial(t testing.TB, c *clinic, staffURI string) (*sip.OutboundCall, *Receptionist) {
	t.Helper()
	uri, r := serve(t, c, staffURI)
	return dialURI(t, uri), r
}

// serve starts a switchboard with the receptionist on loopback and returns
// its SIP URI.
func serve(t testing.TB, c *clinic, staffURI string) (string, *Receptionist) {
	t.Helper()
	r, err := New(c.l, Config{ClinicName: "Maple Family Practice", Hours: "Monday to Friday, eight a m to five p m", StaffURI: staffURI})
	if err != nil {
		t.Fatal(err)
	}
	rec, syn := testkit.Engines(t)
	sb, err := switchboard.New(switchboard.Config{
		SIP: &sip.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "off", PublicIP: "127.0.0.1", MaxCalls: 256,
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, TransferURI: staffURI},
	}, c.l, rec, syn, r.Handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return "sip:frontdesk@" + sb.Agent().Addr("udp").String(), r
}

// dialURI places a call to uri.
func dialURI(t testing.TB, uri string) *sip.OutboundCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	out, err := sip.Dial(ctx, uri, sip.DialOptions{LocalAddr: "127.0.0.1:0", PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Hangup() })
	return out
}

func events(t *testing.T, l *ledger.Ledger, typ string) []*ledger.Event {
	t.Helper()
	evs, err := l.Find(ledger.Query{Type: typ}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// waitEnded waits until the call is recorded as ended.
func waitEnded(t *testing.T, l *ledger.Ledger) *ledger.Event {
	t.Helper()
	for i := 0; i < 200; i++ {
		if evs := events(t, l, "call.ended"); len(evs) > 0 {
			return evs[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the call was not recorded as ended")
	return nil
}

// TestNextAppointment: a patient says their name, keys their date of birth
// and asks for their appointments; they must hear its date, and the
// disclosure must be recorded.
func TestNextAppointment(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	out, _ := dial(t, c, "")
	res, err := caller.Run(context.Background(), out.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "alberto atencio")},
		{AfterPrompts: 2, Keys: "06071993"},
		{AfterPrompts: 3, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "my appointments")},
		{AfterPrompts: 4, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "no")},
		{AfterPrompts: 5, Hangup: true},
	}, PromptGap: 700 * time.Millisecond, MaxDuration: 80 * time.Second})
	if err != nil {
		t.Fatalf("caller: %v (heard %d prompts)", err, res.Prompts)
	}
	end := waitEnded(t, c.l)
	if end.Attrs["reason"] != "completed" {
		t.Fatalf("call ended: %v", end.Attrs)
	}
	// The fourth prompt holds the appointment: recognise it among
	// alternatives that differ only in the date.
	want := strings.ToLower(fmt.Sprintf("you have one upcoming appointment on %s at %s with doctor noe dibbert",
		sayDate(c.appointment), sayTime(c.appointment)))
	want = normalisePhrase(want)
	var alts []string
	for d := -2; d <= 2; d++ {
		day := c.appointment.AddDate(0, 0, d)
		alts = append(alts, normalisePhrase(fmt.Sprintf("you have one upcoming appointment on %s at %s with doctor noe dibbert", sayDate(day), sayTime(day))))
	}
	segs := testkit.Segments(res.Heard, 700*time.Millisecond)
	found := false
	for _, s := range segs {
		if testkit.Recognise(t, s, alts...) == want {
			found = true
		}
	}
	if !found {
		t.Fatalf("no prompt the caller heard says %q (%d prompts)", want, len(segs))
	}
	disc := events(t, c.l, identity.TypeDisclosed)
	tools := map[string]bool{}
	for _, e := range disc {
		tools[e.Attrs["tool"]] = true
	}
	if !tools["appointments.upcoming"] {
		t.Fatalf("the disclosure was not recorded: %v", tools)
	}
	if acc := events(t, c.l, "access.read"); len(acc) == 0 {
		t.Fatal("no access event in the patient's accounting")
	}
}

// TestWrongBirthDateThreeTimesTransfers: three wrong dates of birth lock
// verification and transfer the caller; nothing about the patient is said
// or recorded as disclosed.
func TestWrongBirthDateThreeTimesTransfers(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	staff := startStaff(t)
	out, _ := dial(t, c, staff)
	name := testkit.Say(t, "alberto atencio")
	var steps []caller.Step
	for i := 0; i < 3; i++ {
		steps = append(steps,
			caller.Step{AfterPrompts: 1 + 2*i, Delay: 300 * time.Millisecond, Say: name},
			caller.Step{AfterPrompts: 2 + 2*i, Keys: "01011990"})
	}
	steps = append(steps, caller.Step{AfterPrompts: 8, Delay: 3 * time.Second, Hangup: true})
	caller.Run(context.Background(), out.Media(), caller.Script{Steps: steps, PromptGap: 700 * time.Millisecond, MaxDuration: 80 * time.Second})
	waitEnded(t, c.l)
	if evs := events(t, c.l, identity.TypeLocked); len(evs) != 1 {
		t.Fatalf("verification locked %d times", len(evs))
	}
	tr := events(t, c.l, "call.transfer-requested")
	if len(tr) != 1 || tr[0].Attrs["reason"] != "verification-failed" {
		for _, e := range tr {
			t.Logf("transfer %v", e.Attrs)
		}
		for _, e := range events(t, c.l, "call.turn") {
			t.Logf("turn %v %q", e.Attrs, e.PHI["text"])
		}
		t.Fatalf("transfer: %d", len(tr))
	}
	if evs := events(t, c.l, identity.TypeDisclosed); len(evs) != 0 {
		t.Fatalf("%d disclosures before verification", len(evs))
	}
	// No agent turn may contain anything of the patient's record.
	for _, e := range events(t, c.l, "call.turn") {
		if e.Attrs["speaker"] != "agent" {
			continue
		}
		text := strings.ToLower(e.PHI["text"])
		for _, v := range []string{"alberto", "atencio", "1993", "june", "961", "appointment on"} {
			if strings.Contains(text, v) {
				t.Fatalf("the agent said %q before verification: %q", v, text)
			}
		}
	}
}

// TestPharmacyChangeGoesToReview: a verified caller states a new pharmacy;
// it is recorded at 0.5, the judge verifies it against the turn, and it
// waits for a human; once a member approves, the gate allows the EHR write.
func TestPharmacyChangeGoesToReview(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	out, _ := dial(t, c, "")
	_, err := caller.Run(context.Background(), out.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "liz conn")},
		{AfterPrompts: 2, Keys: "11281986"},
		{AfterPrompts: 3, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "change my pharmacy")},
		{AfterPrompts: 4, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "walgreens")},
		{AfterPrompts: 5, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "no")},
		{AfterPrompts: 6, Hangup: true},
	}, PromptGap: 700 * time.Millisecond, MaxDuration: 80 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(t, c.l)
	facts := events(t, c.l, "patient.pharmacy-stated")
	if len(facts) != 1 || facts[0].Confidence != 0.5 || facts[0].PHI["pharmacy"] != "Walgreens" || facts[0].Entity != "patient/p2" {
		t.Fatalf("stated fact: %+v", facts)
	}
	judged := events(t, c.l, "review.judged")
	if len(judged) != 1 || judged[0].Attrs["outcome"] != "verified" {
		t.Fatalf("judgement: %+v", judged)
	}
	items, err := review.ListItems(c.l, review.Filter{})
	if err != nil || len(items) != 1 {
		t.Fatalf("review items: %v %+v", err, items)
	}
	d, err := review.MayWrite(c.l, facts[0].ID, "ehr")
	if err != nil || d.Allow {
		t.Fatalf("the gate allowed an unreviewed fact: %v %+v", err, d)
	}
	if _, err := review.Approve(context.Background(), c.l, items[0].ID, review.Reviewer{Actor: "account/front-desk", Role: "member"},
		review.Resolution{Reason: "confirmed-by-phone"}); err != nil {
		t.Fatal(err)
	}
	d, err = review.MayWrite(c.l, facts[0].ID, "ehr")
	if err != nil || !d.Allow || len(d.Chain) < 4 {
		t.Fatalf("after approval: %v %+v", err, d)
	}
}

// TestMoveAnAppointment: a verified caller moves their appointment to a
// free slot chosen on the keypad. The new booking and the cancellation are
// facts from the call, each waiting for staff; the slot is held meanwhile
// and nobody else is offered it.
func TestMoveAnAppointment(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	out, r := dial(t, c, "")
	_, err := caller.Run(context.Background(), out.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "alberto atencio")},
		{AfterPrompts: 2, Keys: "06071993"},
		{AfterPrompts: 3, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "move my appointment")},
		{AfterPrompts: 4, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "yes")},
		{AfterPrompts: 5, Keys: "2"},
		{AfterPrompts: 6, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "yes")},
		{AfterPrompts: 7, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "no")},
		{AfterPrompts: 8, Hangup: true},
	}, PromptGap: 700 * time.Millisecond, MaxDuration: 100 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(t, c.l)
	logTurns := func() {
		for _, e := range events(t, c.l, "call.turn") {
			t.Logf("turn %v %s %q", e.Recorded.Format("15:04:05.0"), e.Attrs["speaker"], e.PHI["text"])
		}
	}
	booked := events(t, c.l, "appointment.booked")
	if len(booked) != 1 || booked[0].Attrs["slot"] != "slot/s1" || booked[0].Attrs["replaces"] != "appointment/a1" ||
		booked[0].Attrs["patient"] != "patient/p1" || booked[0].Source != ledger.SourceAgent {
		logTurns()
		t.Fatalf("booking: %+v", booked)
	}
	cancelled := events(t, c.l, "appointment.cancelled")
	if len(cancelled) != 1 || cancelled[0].Entity != "appointment/a1" {
		t.Fatalf("cancellation: %+v", cancelled)
	}
	if held := events(t, c.l, "slot.held"); len(held) != 1 || held[0].Entity != "slot/s1" || held[0].Attrs["held_by"] != booked[0].Entity {
		t.Fatalf("slot held: %+v", held)
	}
	items, err := review.ListItems(c.l, review.Filter{})
	if err != nil || len(items) != 2 {
		t.Fatalf("review items: %v %+v", err, items)
	}
	for _, it := range items {
		if d, err := review.MayWrite(c.l, it.Fact, "ehr"); err != nil || d.Allow {
			t.Fatalf("the gate allowed %s before review: %v %+v", it.Fact, err, d)
		}
	}
	// The held slot is no longer offered to anyone.
	free, err := r.world.FreeSlots(time.Now(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range free {
		if s.Entity == "slot/s1" {
			t.Fatal("the held slot is still offered")
		}
	}
	if len(free) != 3 {
		t.Fatalf("free slots after the move: %+v", free)
	}
}

// startStaff runs a SIP peer that answers transferred calls with a tone.
func startStaff(t *testing.T) string {
	t.Helper()
	a, err := sip.New(sip.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "off", PublicIP: "127.0.0.1",
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		sip.HandlerFunc(func(ctx context.Context, c *sip.Call) { <-ctx.Done() }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return "sip:staff@" + a.Addr("udp").String()
}
