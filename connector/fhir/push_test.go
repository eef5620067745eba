package fhir_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdesk/connector/fhir"
	"frontdesk/gate/egress"
	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// syncedPatient loads one Synthea patient into the server, syncs, and
// returns the patient's FHIR id.
func syncedPatient(t *testing.T, e *env) string {
	t.Helper()
	if _, err := e.conn.Sync(context.Background(), fhir.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	ps := e.search("Patient?family=Conn")
	if len(ps) != 1 {
		t.Fatalf("%d patients named Conn", len(ps))
	}
	return ps[0]["id"].(string)
}

// provenances returns the Provenance resources whose target is ref.
func (e *env) provenances(ref string) []map[string]any {
	return e.search("Provenance?target=" + url.QueryEscape(ref))
}

// identifiers collects system|value of the identifiers under a
// Provenance's agent.who and entity.what.
func identifiers(p map[string]any) []string {
	var out []string
	for _, a := range p["agent"].([]any) {
		who := a.(map[string]any)["who"].(map[string]any)
		id := who["identifier"].(map[string]any)
		out = append(out, who["type"].(string)+":"+id["system"].(string)+"|"+id["value"].(string))
	}
	for _, en := range p["entity"].([]any) {
		m := en.(map[string]any)
		id := m["what"].(map[string]any)["identifier"].(map[string]any)
		out = append(out, m["role"].(string)+":"+id["system"].(string)+"|"+id["value"].(string))
	}
	return out
}

// TestPushPharmacyWithProvenance approves a pharmacy a caller stated, pushes
// it, and finds it in the patient's record with a Provenance naming the
// appliance, the reviewer and the ledger events; a second push writes
// nothing, and the next sync brings the new version back.
func TestPushPharmacyWithProvenance(t *testing.T) {
	e := newEnv(t, fhir.Config{}, syntheaFile(t, "Liz_Conn"))
	ctx := context.Background()
	requireHuman(t, e.l)
	id := syncedPatient(t, e)
	ent := "patient/" + id

	// Not yet approved: nothing is written.
	turn, _ := e.l.Append(ctx, ledger.Event{Entity: "call/c-early", Type: "call.turn", Source: ledger.SourceVoice, Confidence: 0.5,
		Actor: "agent", PHI: map[string]string{review.TurnText: "my phone is 555 014 7788"}})
	early, err := review.RecordFact(ctx, e.l, review.Fact{Entity: ent, Type: "patient.phone-stated", Field: "phone", Value: "555-014-7788",
		Source: ledger.SourceVoice, Call: turn.Entity, TurnEvent: turn.ID, Actor: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e.conn.Push(ctx)
	if err != nil || ps.Written != 0 || ps.Allowed != 0 {
		t.Fatalf("push of an unjudged fact: %+v, %v", ps, err)
	}
	if d := mayWrite(t, e.l, early.ID); d.Allow {
		t.Fatal("MayWrite allows an unjudged fact")
	}

	fact := statedFact(t, e.l, ent, "pharmacy", "Greenfield Pharmacy on Elm Street",
		"please change my pharmacy to Greenfield Pharmacy on Elm Street")
	d := mayWrite(t, e.l, fact.ID)
	if !d.Allow {
		t.Fatalf("MayWrite denies the approved fact: %s", d.Reason)
	}
	ps, err = e.conn.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Written != 1 || ps.Failed != 0 {
		t.Fatalf("push: %+v", ps)
	}

	// The EHR has it.
	_, pat := e.fhirDo("GET", "Patient/"+id, nil, nil)
	var pharmacy string
	for _, x := range pat["extension"].([]any) {
		if ext := x.(map[string]any); ext["url"] == fhir.PharmacyExtension {
			pharmacy, _ = ext["valueString"].(string)
		}
	}
	if pharmacy != "Greenfield Pharmacy on Elm Street" {
		t.Fatalf("the EHR's pharmacy is %q", pharmacy)
	}
	vid := pat["meta"].(map[string]any)["versionId"].(string)
	target := "Patient/" + id + "/_history/" + vid
	provs := e.provenances(target)
	if len(provs) != 1 {
		t.Fatalf("%d Provenance resources target %s", len(provs), target)
	}
	ids := strings.Join(identifiers(provs[0]), "\n")
	for _, want := range []string{
		"Device:urn:frontdesk:appliance|appliance-test-1",
		"Practitioner:urn:frontdesk:actor|" + reviewer.Actor,
		"source:urn:frontdesk:event|" + fact.ID,
		"revision:urn:frontdesk:event|" + d.Head,
	} {
		if !strings.Contains(ids, want) {
			t.Errorf("Provenance lacks %s; has\n%s", want, ids)
		}
	}

	// The ledger records the write.
	synced := events(t, e.l, fhir.TypeSynced)
	if len(synced) != 1 {
		t.Fatalf("%d ehr.synced events", len(synced))
	}
	a := synced[0].Attrs
	if synced[0].Entity != ent || a["source_event"] != fact.ID || a["resource"] != target || a["fhir_version"] != vid ||
		a["http_status"] != "200" || a["egress"] == "" || a["attempt"] != "1" || a["provenance"] != "Provenance/"+provs[0]["id"].(string) || a["head"] != d.Head {
		t.Errorf("ehr.synced attrs: %v", a)
	}
	// The requests are recorded on connector/ehr, not on the patient,
	// whose fold they would otherwise shadow.
	hist, _ := e.l.History(ent, ledger.ReadOptions{})
	for _, h := range hist {
		if strings.HasPrefix(h.Type, "egress.") {
			t.Errorf("an egress event on the patient: %s", h.Type)
		}
	}
	if eg, err := e.l.GetByID(a["egress"], ledger.ReadOptions{}); err != nil || eg.Type != "egress.sent" || eg.Attrs["method"] != "PUT" {
		t.Errorf("the write's egress event: %v, %v", eg, err)
	}
	// The written version is in the ledger at once.
	if got := field(t, e.l, ent, "pharmacy"); got != "Greenfield Pharmacy on Elm Street" {
		t.Errorf("the patient's pharmacy in the ledger is %q", got)
	}
	if got := field(t, e.l, ent, "fhir_version"); got != vid {
		t.Errorf("the ledger's version is %q, the EHR's %q", got, vid)
	}

	// Again: nothing new, here or there.
	ps, err = e.conn.Push(ctx)
	if err != nil || ps.Written != 0 {
		t.Errorf("second push: %+v, %v", ps, err)
	}
	_, pat2 := e.fhirDo("GET", "Patient/"+id, nil, nil)
	if pat2["meta"].(map[string]any)["versionId"] != vid || len(e.search("Provenance?_count=100")) != 1 {
		t.Error("a second push wrote to the EHR")
	}
	// A new connector (a restart) on the same ledger does not write it again.
	conn2, err := fhir.New(e.l, e.gate, fhir.Config{}, fhir.Options{Appliance: "appliance-test-1"})
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := conn2.Push(ctx); err != nil || ps.Written != 0 {
		t.Errorf("push after a restart: %+v, %v", ps, err)
	}
	if st, err := e.conn.Sync(ctx, fhir.SyncOptions{}); err != nil || st.Written != 0 {
		t.Errorf("sync after the push: %+v, %v (the version was already recorded)", st, err)
	}
}

// TestPushAppointmentBookAndCancel books an appointment the receptionist
// recorded, once approved, and then cancels it.
func TestPushAppointmentBookAndCancel(t *testing.T) {
	e := newEnv(t, fhir.Config{}, syntheaFile(t, "practitionerInformation"), syntheaFile(t, "Liz_Conn"))
	ctx := context.Background()
	requireHuman(t, e.l)
	pracs := e.search("Practitioner?family=Williamson")
	if len(pracs) == 0 {
		t.Fatal("no practitioner Williamson")
	}
	prac := pracs[0]["id"].(string)
	_, sch := e.fhirDo("POST", "Schedule", map[string]any{"resourceType": "Schedule", "active": true,
		"actor": []any{map[string]any{"reference": "Practitioner/" + prac}}}, nil)
	_, slot := e.fhirDo("POST", "Slot", map[string]any{"resourceType": "Slot", "status": "free",
		"schedule": map[string]any{"reference": "Schedule/" + sch["id"].(string)},
		"start":    "2031-05-06T15:00:00Z", "end": "2031-05-06T15:30:00Z"}, nil)
	pid := syncedPatient(t, e)
	slotEnt := "slot/" + slot["id"].(string)
	if field(t, e.l, slotEnt, "practitioner") != "practitioner/"+prac {
		t.Fatalf("slot practitioner %q", field(t, e.l, slotEnt, "practitioner"))
	}

	// As the receptionist records a booking: a fact that always needs a
	// reviewer.
	appt := "appointment/01JBOOKING0000000000000000"
	book, err := review.RecordFact(ctx, e.l, review.Fact{
		Entity: appt, Subject: "patient/" + pid, Type: "appointment.booked", Field: "appointment", Value: "booked " + slotEnt,
		Source: ledger.SourceAgent, Actor: "agent/receptionist",
		Attrs: map[string]string{"slot": slotEnt, "practitioner": "practitioner/" + prac, "patient": "patient/" + pid,
			"status": "booked", "start": "2031-05-06T15:00:00Z", "end": "2031-05-06T15:30:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	item := func(fact *ledger.Event) string {
		it, err := review.OpenItem(ctx, e.l, review.Opening{Trigger: fact.ID, Reason: review.ReasonAlways, Target: fact.ID,
			TargetEntity: appt, Fact: fact.ID, Field: "appointment", Subject: "patient/" + pid, Actor: "agent/receptionist"})
		if err != nil {
			t.Fatal(err)
		}
		return it.ID
	}
	bookItem := item(book)
	if ps, _ := e.conn.Push(ctx); ps.Written != 0 {
		t.Fatal("an unapproved booking was written")
	}
	if _, err := review.Approve(ctx, e.l, bookItem, reviewer, review.Resolution{Reason: "confirmed-with-caller"}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.conn.Push(ctx)
	if err != nil || ps.Written != 1 {
		t.Fatalf("push of the booking: %+v, %v", ps, err)
	}
	appts := e.search("Appointment?identifier=" + url.QueryEscape(fhir.EventIdentifierSystem+"|"+book.ID))
	if len(appts) != 1 {
		t.Fatalf("%d appointments carry the booking's identifier", len(appts))
	}
	ap := appts[0]
	if ap["status"] != "booked" || ap["start"] != "2031-05-06T15:00:00Z" ||
		ap["slot"].([]any)[0].(map[string]any)["reference"] != "Slot/"+slot["id"].(string) {
		t.Errorf("appointment in the EHR: %v", ap)
	}
	apID := ap["id"].(string)
	if got := field(t, e.l, appt, "status"); got != "booked" {
		t.Errorf("after the write the appointment's status is %q", got)
	}
	// The EHR's appointment maps back to the receptionist's entity.
	if got := field(t, e.l, appt, "fhir_id"); got != apID {
		t.Errorf("the appointment entity's fhir_id is %q, want %q", got, apID)
	}
	if _, err := e.conn.Sync(ctx, fhir.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := e.l.Entities("appointment/", 10); len(ents) != 1 {
		t.Errorf("appointment entities after sync: %v (want the receptionist's only)", ents)
	}
	if len(e.provenances("Appointment/"+apID+"/_history/"+ap["meta"].(map[string]any)["versionId"].(string))) != 1 {
		t.Error("no Provenance for the created appointment")
	}

	cancel, err := review.RecordFact(ctx, e.l, review.Fact{
		Entity: appt, Subject: "patient/" + pid, Type: "appointment.cancelled", Field: "appointment", Value: "cancelled " + appt,
		Source: ledger.SourceAgent, Actor: "agent/receptionist",
		Attrs: map[string]string{"status": "cancelled", "patient": "patient/" + pid, "slot": slotEnt},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := review.Approve(ctx, e.l, item(cancel), reviewer, review.Resolution{Reason: "confirmed-with-caller"}); err != nil {
		t.Fatal(err)
	}
	if ps, err := e.conn.Push(ctx); err != nil || ps.Written != 1 {
		t.Fatalf("push of the cancellation: %+v, %v", ps, err)
	}
	_, ap = e.fhirDo("GET", "Appointment/"+apID, nil, nil)
	if ap["status"] != "cancelled" {
		t.Errorf("the EHR's appointment is %v", ap["status"])
	}
	if got := field(t, e.l, appt, "status"); got != "cancelled" {
		t.Errorf("the ledger's appointment status is %q", got)
	}
}

// TestPushRetriesThenGoesToReview makes the EHR fail: each push records
// ehr.rejected and waits longer; after MaxFailures the write goes back to
// review; once a reviewer approves the retry and the EHR recovers, it is
// written.
func TestPushRetriesThenGoesToReview(t *testing.T) {
	e := newEnv(t, fhir.Config{MaxFailures: 3, RetryBase: egress.Duration(time.Minute)}, syntheaFile(t, "Liz_Conn"))
	ctx := context.Background()
	requireHuman(t, e.l)
	id := syncedPatient(t, e)
	fact := statedFact(t, e.l, "patient/"+id, "address", "12 Sample Lane, Springfield",
		"I moved, my new address is 12 Sample Lane, Springfield")
	e.failNext(1000, 503)
	var waits []time.Duration
	for attempt := 1; attempt <= 3; attempt++ {
		// The first attempt is made at once; each retry only when due.
		var wait time.Duration
		ps, err := e.conn.Push(ctx)
		for ; err == nil && ps.Failed == 0 && ps.Waiting == 1 && wait < time.Hour; ps, err = e.conn.Push(ctx) {
			e.clock.advance(time.Second)
			wait += time.Second
		}
		if err != nil {
			t.Fatal(err)
		}
		if ps.Failed != 1 {
			t.Fatalf("attempt %d: %+v", attempt, ps)
		}
		if attempt > 1 {
			waits = append(waits, wait)
		}
		rej := events(t, e.l, fhir.TypeRejected)
		if len(rej) != attempt || rej[attempt-1].Attrs["attempt"] != string(rune('0'+attempt)) ||
			rej[attempt-1].Attrs["source_event"] != fact.ID || rej[attempt-1].Attrs["failure"] != "unavailable" {
			t.Fatalf("attempt %d: ehr.rejected %v", attempt, rej[len(rej)-1].Attrs)
		}
	}
	if waits[0] < 30*time.Second || waits[0] > 61*time.Second || waits[1] < 60*time.Second || waits[1] > 121*time.Second {
		t.Errorf("backoff waits %v: want about 1m then 2m (jitter over the upper half)", waits)
	}
	items, err := review.ListItems(e.l, review.Filter{Statuses: []review.Status{review.StatusOpen}})
	if err != nil {
		t.Fatal(err)
	}
	var failure *review.Item
	for _, it := range items {
		if it.Target == fact.ID {
			failure = it
		}
	}
	if failure == nil {
		t.Fatal("no review item for the failing write")
	}
	if f, _ := e.l.History(failure.ID, ledger.ReadOptions{}); f[0].Attrs["cause"] != fhir.ReviewCause {
		t.Errorf("review item attrs %v", f[0].Attrs)
	}
	if failure.Reason != review.ReasonEHRFailed {
		t.Errorf("the failing write is in review for %q, want %q", failure.Reason, review.ReasonEHRFailed)
	}
	if mine, _ := review.ListItems(e.l, review.Filter{Reason: review.ReasonEHRFailed}); len(mine) != 1 {
		t.Errorf("listing by reason ehr-failed: %d items", len(mine))
	}
	e.clock.advance(24 * time.Hour)
	if ps, _ := e.conn.Push(ctx); ps.Failed != 0 || ps.Waiting != 1 {
		t.Errorf("while in review: %+v", ps)
	}
	e.failNext(0, 503)
	if _, err := review.Approve(ctx, e.l, failure.ID, reviewer, review.Resolution{Reason: "retry"}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.conn.Push(ctx)
	if err != nil || ps.Written != 1 {
		t.Fatalf("push after approval: %+v, %v", ps, err)
	}
	if got := field(t, e.l, "patient/"+id, "address"); got != "12 Sample Lane, Springfield" {
		t.Errorf("address after the write: %q", got)
	}
}

// TestPushRejectedWriteGoesToReviewAtOnce: a refusal the EHR will repeat
// (here, a patient the EHR does not have) is not retried.
func TestPushRejectedWriteGoesToReviewAtOnce(t *testing.T) {
	e := newEnv(t, fhir.Config{}, syntheaFile(t, "Liz_Conn"))
	ctx := context.Background()
	requireHuman(t, e.l)
	id := syncedPatient(t, e)
	statedFact(t, e.l, "patient/"+id, "phone", "555-014-7788", "my phone is 555 014 7788")
	if code, _ := e.fhirDo("DELETE", "Patient/"+id, nil, nil); code >= 300 {
		t.Fatalf("delete: %d", code)
	}
	ps, err := e.conn.Push(ctx)
	if err != nil || ps.Failed != 1 || ps.ToReview != 1 {
		t.Fatalf("push to a deleted patient: %+v, %v", ps, err)
	}
	rej := events(t, e.l, fhir.TypeRejected)
	if len(rej) != 1 || !strings.HasPrefix(rej[0].Attrs["http_status"], "4") {
		t.Errorf("ehr.rejected: %v", rej[0].Attrs)
	}
	if strings.Contains(rej[0].Attrs["outcome"], " ") && !strings.Contains(rej[0].Attrs["outcome"], ";") {
		t.Errorf("outcome %q looks like free text", rej[0].Attrs["outcome"])
	}
}
