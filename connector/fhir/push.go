package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// PushTypes are the event types Push considers: facts a caller stated
// about a patient, and appointment requests. Each is written only when
// review.MayWrite allows it.
var PushTypes = []string{
	"patient.phone-stated", "patient.email-stated", "patient.address-stated", "patient.pharmacy-stated",
	"appointment.booked", "appointment.moved", "appointment.cancelled",
}

// Event types of the outbound runner.
const (
	// TypeSynced records a write the EHR accepted.
	TypeSynced = "ehr.synced"
	// TypeRejected records a write that failed.
	TypeRejected = "ehr.rejected"
)

// Attributes of ehr.synced and ehr.rejected that the world model calls
// "status" and "reason": named apart, because these events sit on the
// entity written (patient/…, appointment/…) and a fold would let them
// shadow the appointment's status and reason.
const (
	AttrHTTPStatus = "http_status"
	AttrFailure    = "failure"
)

// ReviewCause is the "cause" attribute of the review item a write that
// keeps failing opens.
const ReviewCause = "ehr-failed"

// The states of a write, kept in the connector's aux bucket.
const (
	statePending   = "pending"   // not yet written, or waiting to retry
	stateDone      = "done"      // written, with its Provenance; ehr.synced recorded
	stateSkipped   = "skipped"   // nothing to write (withdrawn, replaced, not in the EHR)
	stateReview    = "review"    // failed too often: a review item decides
	stateAbandoned = "abandoned" // a reviewer rejected the retry
)

// writeState is what the connector remembers about one candidate event.
type writeState struct {
	State    string    `json:"state"`
	Attempts int       `json:"attempts,omitempty"`
	NextAt   time.Time `json:"next_at,omitzero"`
	// Written is the versioned reference of the resource version written,
	// kept between the write and its Provenance.
	Written string `json:"written,omitempty"`
	Status  int    `json:"status,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Review  string `json:"review,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// PushStats counts what a push did.
type PushStats struct {
	// Considered are the candidate events not yet done.
	Considered int `json:"considered"`
	// Allowed passed MayWrite; Written were written (ehr.synced).
	Allowed int `json:"allowed"`
	Written int `json:"written"`
	// Failed attempts (ehr.rejected); ToReview of them opened a review item.
	Failed   int `json:"failed"`
	ToReview int `json:"to_review"`
	// Waiting are waiting for a retry time or a review decision; Skipped
	// have nothing to write.
	Waiting int `json:"waiting"`
	Skipped int `json:"skipped"`
}

// Push writes to the EHR each candidate event (PushTypes) that
// review.MayWrite allows for the review destination, in log order, once:
//
//   - patient.<field>-stated (phone, email, address, pharmacy): the Patient
//     is read and, if the field differs, updated with If-Match on the
//     version read (pharmacy as the PharmacyExtension extension);
//   - appointment.booked (and appointment.moved of an appointment not yet
//     in the EHR): an Appointment is created with If-None-Exist on the
//     identifier EventIdentifierSystem|<event ID>, so a repeat finds it;
//   - appointment.cancelled and appointment.moved: the Appointment is read
//     and updated with If-Match.
//
// Then a Provenance is created (If-None-Exist on its target) naming the
// version written, the appliance (Device), the reviewer or judge whose
// decision allowed it, and the ledger events it came from. The result is
// an ehr.synced event on the entity (attrs resource, fhir_id, fhir_version,
// http_status, outcome, source_event, head, attempt, provenance, egress),
// followed by
// the new resource version as a <kind>.synced event. A failure is an
// ehr.rejected event (attrs resource, fhir_id, http_status, outcome,
// failure, source_event, attempt); 5xx, 408, 409, 412, 429 and transport failures
// are retried by later pushes with exponential backoff and jitter; a
// refusal the server will repeat (other 4xx), or MaxFailures failures,
// opens a review item (reason and cause ehr-failed) and stops: a
// reviewer who approves it gets the write retried, one who rejects it
// abandons the write. Progress is kept in the ledger's aux bucket and
// checked against the ledger, so a restart neither loses nor repeats a
// write.
func (c *Connector) Push(ctx context.Context) (PushStats, error) {
	var ps PushStats
	var cands []*ledger.Event
	for _, t := range PushTypes {
		var after *uint64
		for {
			evs, err := c.l.Find(ledger.Query{Type: t, After: after, Limit: 1000}, ledger.ReadOptions{})
			if err != nil {
				return ps, fmt.Errorf("fhir: push: %w", err)
			}
			cands = append(cands, evs...)
			if len(evs) < 1000 {
				break
			}
			last := evs[len(evs)-1].Seq
			after = &last
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Seq < cands[j].Seq })
	var errs []error
	for _, ev := range cands {
		if err := ctx.Err(); err != nil {
			return ps, err
		}
		if err := c.pushOne(ctx, ev, &ps); err != nil {
			errs = append(errs, err)
		}
	}
	return ps, errors.Join(errs...)
}

// pushOne advances one candidate. Its error is about the appliance (the
// ledger failed); the EHR's failures are recorded, not returned.
func (c *Connector) pushOne(ctx context.Context, ev *ledger.Event, ps *PushStats) error {
	st, err := c.loadState(ev.ID)
	if err != nil {
		return err
	}
	switch st.State {
	case stateDone, stateSkipped, stateAbandoned:
		return nil
	}
	ps.Considered++
	if done, err := c.alreadySynced(ev); err != nil {
		return err
	} else if done {
		st.State = stateDone
		return c.saveState(ev.ID, st)
	}
	if st.State == stateReview {
		it, err := review.GetItem(c.l, st.Review)
		if err != nil {
			return fmt.Errorf("fhir: push: %w", err)
		}
		switch it.Status {
		case review.StatusApproved:
			st.State, st.Attempts, st.NextAt = statePending, 0, time.Time{}
		case review.StatusRejected, review.StatusCorrected:
			st.State = stateAbandoned
			return c.saveState(ev.ID, st)
		default:
			ps.Waiting++
			return nil
		}
	}
	if st.NextAt.After(c.opts.Now()) {
		ps.Waiting++
		return nil
	}
	d, err := review.MayWrite(c.l, ev.ID, c.cfg.ReviewDestination)
	if err != nil {
		return fmt.Errorf("fhir: push: %w", err)
	}
	if !d.Allow {
		switch d.Reason {
		case review.WhyWithdrawn, review.WhyReplaced, review.WhyNotFact:
			ps.Skipped++
			st.State, st.Reason = stateSkipped, "not-allowed"
			return c.saveState(ev.ID, st)
		}
		return nil // not yet: a gate has still to pass it
	}
	ps.Allowed++
	w := &write{c: c, ev: ev, d: d, st: &st}
	res, werr := w.run(ctx)
	switch {
	case werr == nil && res == nil:
		ps.Skipped++
		return c.saveState(ev.ID, st)
	case werr == nil:
		ps.Written++
		return c.succeeded(ctx, w, res)
	case errors.Is(werr, errDeferred):
		ps.Waiting++
		return nil
	}
	ps.Failed++
	toReview, err := c.failed(ctx, w, werr)
	if toReview {
		ps.ToReview++
	}
	return err
}

// errDeferred reports a write that must wait for another event's fate.
var errDeferred = errors.New("deferred")

// alreadySynced reports whether the ledger records ev as written: a
// restart between the ehr.synced event and the state update.
func (c *Connector) alreadySynced(ev *ledger.Event) (bool, error) {
	hist, err := c.l.History(ev.Entity, ledger.ReadOptions{})
	if err != nil {
		return false, fmt.Errorf("fhir: push: %w", err)
	}
	for _, h := range hist {
		if h.Type == TypeSynced && h.Attrs["source_event"] == ev.ID {
			return true, nil
		}
	}
	return false, nil
}

// result is a completed write.
type result struct {
	resource   string // versioned reference, Patient/1/_history/2
	fhirID     string
	version    string
	status     int
	outcome    string
	provenance string
	written    []byte // the resource version as the server returned it
	egress     string // the ledger event recording the write
}

// writeError is a failed write, described without PHI.
type writeError struct {
	resource  string
	fhirID    string
	status    int
	reason    string
	outcome   string
	permanent bool
}

func (e *writeError) Error() string {
	return fmt.Sprintf("fhir: write %s: %s (HTTP %d)", e.resource, e.reason, e.status)
}

// write is one attempt to write a candidate event.
type write struct {
	c  *Connector
	ev *ledger.Event
	d  review.Decision
	st *writeState
	// target is the resource type and id written ("" id for a create).
	typ, id string
}

func (w *write) fail(status int, reason, outcome string, permanent bool) error {
	return &writeError{resource: w.typ, fhirID: w.id, status: status, reason: reason, outcome: outcome, permanent: permanent}
}

// fromCall turns a transport or status failure into a writeError.
func (w *write) fromCall(r *reply, err error) error {
	if err != nil {
		return w.fail(0, failureCode(err), "", false)
	}
	transient := r.status >= 500 || r.status == http.StatusRequestTimeout || r.status == http.StatusConflict ||
		r.status == http.StatusPreconditionFailed || r.status == http.StatusTooManyRequests
	return w.fail(r.status, "status-"+strconv.Itoa(r.status), SummarizeOutcome(r.body), !transient)
}

// run writes the event and its Provenance. It returns nil, nil when there
// is nothing to write (the state says why).
func (w *write) run(ctx context.Context) (*result, error) {
	head, err := w.c.l.GetByID(w.d.Head, ledger.ReadOptions{PHI: true})
	if err != nil {
		return nil, fmt.Errorf("fhir: push: %w", err)
	}
	value := head.PHI[w.d.Field]
	var res *result
	switch {
	case strings.HasPrefix(w.ev.Type, "patient."):
		res, err = w.patient(ctx, value)
	case w.ev.Type == "appointment.booked":
		res, err = w.book(ctx, head)
	case w.ev.Type == "appointment.moved":
		res, err = w.move(ctx, head)
	case w.ev.Type == "appointment.cancelled":
		res, err = w.cancel(ctx)
	default:
		return nil, w.fail(0, "unsupported-event", "", true)
	}
	if err != nil || res == nil {
		return nil, err
	}
	if err := w.provenance(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// fhirID returns the FHIR id of a ledger entity: its fhir_id attribute,
// else the entity's own id when it is a FHIR id.
func (c *Connector) fhirID(entity string) string {
	st, err := c.l.AsOf(entity, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return ""
	}
	if v := st.Fields[AttrFHIRID].Value; ValidID(v) {
		return v
	}
	// An entity imported or synced from the EHR is named by its FHIR id.
	_, id, _ := strings.Cut(entity, "/")
	for _, ev := range st.Live {
		if ev.Source == ledger.SourceEHR && ValidID(id) {
			return id
		}
	}
	return ""
}

// patient updates one field of a Patient.
func (w *write) patient(ctx context.Context, value string) (*result, error) {
	field := strings.TrimSuffix(strings.TrimPrefix(w.ev.Type, "patient."), "-stated")
	w.typ = TypePatient
	if field != w.d.Field || value == "" {
		return nil, w.fail(0, "no-value", "", true)
	}
	w.id = w.c.fhirID(w.ev.Entity)
	if w.id == "" {
		return nil, w.fail(0, "not-in-ehr", "", true)
	}
	return w.update(ctx, func(doc map[string]any) bool { return setPatientField(doc, field, value) })
}

// update reads the resource, applies edit and writes it back with If-Match
// if edit changed it. A version written before a restart is reused.
func (w *write) update(ctx context.Context, edit func(map[string]any) bool) (*result, error) {
	if w.st.Written != "" {
		return w.reuse(ctx)
	}
	path := w.typ + "/" + w.id
	r, err := w.c.c.do(ctx, call{method: http.MethodGet, path: path, purpose: "ehr-write"})
	if err != nil || r.status != http.StatusOK {
		return nil, w.fromCall(r, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		return nil, w.fail(r.status, "invalid-answer", "", false)
	}
	vid := versionOf(doc)
	if !edit(doc) {
		return w.done(r.status, "unchanged", r.body, vid)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, w.fail(0, "encode", "", true)
	}
	h := http.Header{}
	if vid != "" {
		h.Set("If-Match", `W/"`+vid+`"`)
	}
	r, err = w.c.c.do(ctx, call{method: http.MethodPut, path: path, body: body, header: h, purpose: "ehr-write"})
	if err != nil || (r.status != http.StatusOK && r.status != http.StatusCreated) {
		return nil, w.fromCall(r, err)
	}
	return w.written(r)
}

// written records the version a write produced, then returns it.
func (w *write) written(r *reply) (*result, error) {
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		return nil, w.fail(r.status, "invalid-answer", "", false)
	}
	if id, _ := doc["id"].(string); ValidID(id) {
		w.id = id
	}
	res, err := w.done(r.status, SummarizeOutcome(r.body), r.body, versionOf(doc))
	if res != nil {
		res.egress = r.egress
	}
	return res, err
}

// done remembers the written version, so a retry only adds the Provenance.
func (w *write) done(status int, outcome string, body []byte, vid string) (*result, error) {
	if vid == "" || !ValidID(w.id) {
		return nil, w.fail(status, "no-version", "", false)
	}
	res := &result{
		resource: w.typ + "/" + w.id + "/_history/" + vid, fhirID: w.id, version: vid,
		status: status, outcome: outcome, written: body,
	}
	w.st.Written, w.st.Status, w.st.Outcome = res.resource, status, outcome
	if err := w.c.saveState(w.ev.ID, *w.st); err != nil {
		return nil, err
	}
	return res, nil
}

// reuse continues a write whose resource version was written before.
func (w *write) reuse(ctx context.Context) (*result, error) {
	typ, id, _ := parseReference(w.st.Written)
	vid := w.st.Written[strings.LastIndex(w.st.Written, "/")+1:]
	w.typ, w.id = typ, id
	r, err := w.c.c.do(ctx, call{method: http.MethodGet, path: typ + "/" + id + "/_history/" + vid, purpose: "ehr-write"})
	var body []byte
	if err == nil && r.status == http.StatusOK {
		body = r.body
	}
	return &result{resource: w.st.Written, fhirID: id, version: vid, status: w.st.Status, outcome: w.st.Outcome, written: body}, nil
}

// book creates the Appointment an appointment.booked event asks for.
func (w *write) book(ctx context.Context, head *ledger.Event) (*result, error) {
	w.typ = TypeAppointment
	if w.st.Written != "" {
		return w.reuse(ctx)
	}
	cancelled, err := w.cancelledLater()
	if err != nil || cancelled {
		return nil, err
	}
	return w.create(ctx, head)
}

// cancelledLater reports whether the appointment was cancelled after the
// booking: a booking cancelled before it reached the EHR is not written.
// While the cancellation waits for its gates, so does the booking.
func (w *write) cancelledLater() (bool, error) {
	hist, err := w.c.l.History(w.ev.Entity, ledger.ReadOptions{})
	if err != nil {
		return false, fmt.Errorf("fhir: push: %w", err)
	}
	for _, h := range hist {
		if h.Type != "appointment.cancelled" || h.Seq < w.ev.Seq {
			continue
		}
		d, err := review.MayWrite(w.c.l, h.ID, w.c.cfg.ReviewDestination)
		if err != nil {
			return false, fmt.Errorf("fhir: push: %w", err)
		}
		switch {
		case d.Allow:
			w.st.State, w.st.Reason = stateSkipped, "cancelled-before-write"
			return true, nil
		case d.Reason == review.WhyWithdrawn || d.Reason == review.WhyReplaced:
			continue
		default:
			return false, errDeferred
		}
	}
	return false, nil
}

// create POSTs a new Appointment keyed by the event's ID.
func (w *write) create(ctx context.Context, head *ledger.Event) (*result, error) {
	doc, err := w.appointment(head)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, w.fail(0, "encode", "", true)
	}
	h := http.Header{"If-None-Exist": {"identifier=" + url.QueryEscape(EventIdentifierSystem+"|"+w.ev.ID)}}
	r, err := w.c.c.do(ctx, call{method: http.MethodPost, path: TypeAppointment, body: body, header: h, purpose: "ehr-write", idempotent: true})
	if err != nil || (r.status != http.StatusOK && r.status != http.StatusCreated) {
		return nil, w.fromCall(r, err)
	}
	return w.written(r)
}

// appointment builds the Appointment of a booking from the original
// event's attributes.
func (w *write) appointment(head *ledger.Event) (map[string]any, error) {
	a := w.ev.Attrs
	ref := func(entity, typ string) (map[string]any, error) {
		id := w.c.fhirID(entity)
		if id == "" {
			return nil, w.fail(0, "not-in-ehr", "", true)
		}
		return map[string]any{"reference": typ + "/" + id}, nil
	}
	if a["start"] == "" || a["end"] == "" || !strings.HasPrefix(a["patient"], "patient/") {
		return nil, w.fail(0, "incomplete-booking", "", true)
	}
	var parts []any
	pat, err := ref(a["patient"], TypePatient)
	if err != nil {
		return nil, err
	}
	parts = append(parts, map[string]any{"actor": pat, "status": "accepted"})
	if strings.HasPrefix(a["practitioner"], "practitioner/") {
		pr, err := ref(a["practitioner"], TypePractitioner)
		if err != nil {
			return nil, err
		}
		parts = append(parts, map[string]any{"actor": pr, "status": "accepted"})
	}
	doc := map[string]any{
		"resourceType": TypeAppointment,
		"identifier":   []any{map[string]any{"system": EventIdentifierSystem, "value": w.ev.ID}},
		"status":       "booked",
		"start":        a["start"],
		"end":          a["end"],
		"participant":  parts,
	}
	if strings.HasPrefix(a["slot"], "slot/") {
		s, err := ref(a["slot"], TypeSlot)
		if err != nil {
			return nil, err
		}
		doc["slot"] = []any{s}
	}
	if a["service"] != "" {
		doc["serviceType"] = []any{map[string]any{"text": a["service"]}}
	}
	if w.d.Field == "reason" && head.PHI["reason"] != "" {
		doc["description"] = head.PHI["reason"]
	}
	return doc, nil
}

// move changes the time (and slot) of an Appointment, or creates it when
// the booking never reached the EHR.
func (w *write) move(ctx context.Context, head *ledger.Event) (*result, error) {
	w.typ = TypeAppointment
	w.id = w.c.fhirID(w.ev.Entity)
	if w.id == "" {
		if w.st.Written != "" {
			return w.reuse(ctx)
		}
		return w.create(ctx, head)
	}
	a := w.ev.Attrs
	var slot map[string]any
	if strings.HasPrefix(a["slot"], "slot/") {
		id := w.c.fhirID(a["slot"])
		if id == "" {
			return nil, w.fail(0, "not-in-ehr", "", true)
		}
		slot = map[string]any{"reference": "Slot/" + id}
	}
	return w.update(ctx, func(doc map[string]any) bool {
		changed := false
		for _, k := range []string{"start", "end"} {
			if v := a[k]; v != "" && instant(fmt.Sprint(doc[k])) != instant(v) {
				doc[k], changed = v, true
			}
		}
		if slot != nil {
			cur, _ := doc["slot"].([]any)
			if len(cur) != 1 || fmt.Sprint(cur[0].(map[string]any)["reference"]) != slot["reference"] {
				doc["slot"], changed = []any{slot}, true
			}
		}
		return changed
	})
}

// cancel sets an Appointment's status to cancelled.
func (w *write) cancel(ctx context.Context) (*result, error) {
	w.typ = TypeAppointment
	w.id = w.c.fhirID(w.ev.Entity)
	if w.id == "" {
		w.st.State, w.st.Reason = stateSkipped, "not-in-ehr"
		return nil, nil
	}
	return w.update(ctx, func(doc map[string]any) bool {
		if doc["status"] == "cancelled" {
			return false
		}
		doc["status"] = "cancelled"
		return true
	})
}

// provenance records who and what caused the version written.
func (w *write) provenance(ctx context.Context, res *result) error {
	if w.c.opts.Appliance == "" {
		return w.fail(0, "no-appliance-id", "", true)
	}
	const partType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	agentOf := func(code string, who map[string]any) map[string]any {
		return map[string]any{
			"type": map[string]any{"coding": []any{map[string]any{"system": partType, "code": code}}},
			"who":  who,
		}
	}
	agents := []any{agentOf("assembler", map[string]any{
		"type":       "Device",
		"identifier": map[string]any{"system": "urn:frontdesk:appliance", "value": w.c.opts.Appliance},
		"display":    "frontdesk appliance",
	})}
	if actor, human := deciderOf(w.d); actor != "" {
		typ := "Device"
		if human {
			typ = "Practitioner"
		}
		agents = append(agents, agentOf("verifier", map[string]any{
			"type":       typ,
			"identifier": map[string]any{"system": "urn:frontdesk:actor", "value": actor},
		}))
	}
	entities := []any{map[string]any{"role": "source", "what": map[string]any{
		"identifier": map[string]any{"system": EventIdentifierSystem, "value": w.ev.ID}}}}
	if w.d.Head != "" && w.d.Head != w.ev.ID {
		entities = append(entities, map[string]any{"role": "revision", "what": map[string]any{
			"identifier": map[string]any{"system": EventIdentifierSystem, "value": w.d.Head}}})
	}
	op := "UPDATE"
	if res.status == http.StatusCreated {
		op = "CREATE"
	}
	doc := map[string]any{
		"resourceType": "Provenance",
		"target":       []any{map[string]any{"reference": res.resource}},
		"recorded":     w.c.opts.Now().UTC().Format(time.RFC3339),
		"activity": map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "code": op}}},
		"agent":  agents,
		"entity": entities,
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return w.fail(0, "encode", "", true)
	}
	h := http.Header{"If-None-Exist": {"target=" + url.QueryEscape(res.resource)}}
	r, err := w.c.c.do(ctx, call{method: http.MethodPost, path: "Provenance", body: body, header: h, purpose: "ehr-write", idempotent: true})
	if err != nil || (r.status != http.StatusOK && r.status != http.StatusCreated) {
		return w.fromCall(r, err)
	}
	var p struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(r.body, &p) != nil || !ValidID(p.ID) {
		return w.fail(r.status, "invalid-answer", "", false)
	}
	res.provenance = "Provenance/" + p.ID
	return nil
}

// deciderOf returns who allowed the write: the reviewer whose decision is
// the chain's last (a person), else the judge that verified it.
func deciderOf(d review.Decision) (actor string, human bool) {
	for i := len(d.Chain) - 1; i >= 0; i-- {
		s := d.Chain[i]
		if s.Gate == "review" && (s.Type == review.TypeConfirmed || s.Type == review.TypeCorrected) && s.Actor != "" {
			return s.Actor, true
		}
	}
	for i := len(d.Chain) - 1; i >= 0; i-- {
		if s := d.Chain[i]; s.Gate == "judge" && s.Actor != "" {
			return s.Actor, false
		}
	}
	return "", false
}

// succeeded records a completed write: ehr.synced, the state, and the
// resource version the server returned.
func (c *Connector) succeeded(ctx context.Context, w *write, res *result) error {
	w.st.Attempts++
	attrs := map[string]string{
		"resource": res.resource, AttrFHIRID: res.fhirID, AttrFHIRVersion: res.version,
		AttrHTTPStatus: strconv.Itoa(res.status), "outcome": res.outcome, "source_event": w.ev.ID,
		"attempt": strconv.Itoa(w.st.Attempts), "provenance": res.provenance,
	}
	if res.egress != "" {
		attrs["egress"] = res.egress
	}
	if w.d.Head != "" {
		attrs["head"] = w.d.Head
	}
	if _, err := c.l.Append(context.WithoutCancel(ctx), ledger.Event{
		Entity: w.ev.Entity, Type: TypeSynced, Source: ledger.SourceSystem, Confidence: 1, Actor: SyncActor, Attrs: attrs,
	}); err != nil {
		return fmt.Errorf("fhir: push: record: %w", err)
	}
	w.st.State, w.st.NextAt = stateDone, time.Time{}
	if err := c.saveState(w.ev.ID, *w.st); err != nil {
		return err
	}
	if len(res.written) > 0 {
		v, err := mapResource(res.written, nil, ledgerLookup{c.l})
		if err == nil && v != nil {
			if _, err := c.store.put(ctx, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// failed records a failed attempt and decides what comes next. It reports
// whether the write went back to review.
func (c *Connector) failed(ctx context.Context, w *write, werr error) (bool, error) {
	var we *writeError
	if !errors.As(werr, &we) {
		return false, werr // the appliance failed, not the EHR
	}
	w.st.Attempts++
	attrs := map[string]string{
		"resource": we.resource, AttrHTTPStatus: strconv.Itoa(we.status), AttrFailure: we.reason,
		"source_event": w.ev.ID, "attempt": strconv.Itoa(w.st.Attempts),
	}
	if we.fhirID != "" {
		attrs[AttrFHIRID] = we.fhirID
	}
	if we.outcome != "" {
		attrs["outcome"] = we.outcome
	}
	rej, err := c.l.Append(context.WithoutCancel(ctx), ledger.Event{
		Entity: w.ev.Entity, Type: TypeRejected, Source: ledger.SourceSystem, Confidence: 1, Actor: SyncActor, Attrs: attrs,
	})
	if err != nil {
		return false, fmt.Errorf("fhir: push: record: %w", err)
	}
	w.st.Reason = we.reason
	if !we.permanent && w.st.Attempts < c.cfg.MaxFailures {
		w.st.State = statePending
		w.st.NextAt = c.opts.Now().Add(retryWait(time.Duration(c.cfg.RetryBase), w.st.Attempts))
		return false, c.saveState(w.ev.ID, *w.st)
	}
	it, err := review.OpenItem(context.WithoutCancel(ctx), c.l, review.Opening{
		Trigger: rej.ID, Reason: review.ReasonEHRFailed, Target: w.ev.ID, TargetEntity: w.ev.Entity,
		Subject: w.ev.Subject, Actor: SyncActor,
		Attrs: map[string]string{"cause": ReviewCause, "source_event": w.ev.ID, "attempts": strconv.Itoa(w.st.Attempts)},
	})
	if err != nil {
		return false, fmt.Errorf("fhir: push: %w", err)
	}
	w.st.State, w.st.Review, w.st.NextAt = stateReview, it.ID, time.Time{}
	return true, c.saveState(w.ev.ID, *w.st)
}

// retryWait is the wait after the n-th failure: base·2^(n-1), at most an
// hour, with jitter over its upper half.
func retryWait(base time.Duration, n int) time.Duration {
	d := base << min(n-1, 30)
	if d <= 0 || d > maxRetryWait {
		d = maxRetryWait
	}
	half := d / 2
	return half + rand.N(half+1)
}

// versionOf returns a resource's meta.versionId.
func versionOf(doc map[string]any) string {
	m, _ := doc["meta"].(map[string]any)
	v, _ := m["versionId"].(string)
	return v
}

// setPatientField sets one field of a Patient's JSON; it reports whether
// anything changed.
func setPatientField(doc map[string]any, field, value string) bool {
	switch field {
	case "phone", "email":
		tel, _ := doc["telecom"].([]any)
		for _, x := range tel {
			cp, ok := x.(map[string]any)
			if !ok || cp["system"] != field || cp["use"] == "old" {
				continue
			}
			if sameContact(field, fmt.Sprint(cp["value"]), value) {
				return false
			}
			cp["value"] = value
			return true
		}
		doc["telecom"] = append(tel, map[string]any{"system": field, "value": value, "use": "home"})
		return true
	case "address":
		addrs, _ := doc["address"].([]any)
		idx := -1
		for i, x := range addrs {
			a, ok := x.(map[string]any)
			if !ok || a["use"] == "old" {
				continue
			}
			if idx < 0 || a["use"] == "home" {
				idx = i
			}
			if a["use"] == "home" {
				break
			}
		}
		next := map[string]any{"use": "home", "text": value}
		if idx < 0 {
			doc["address"] = append(addrs, next)
			return true
		}
		raw, _ := json.Marshal(addrs[idx])
		var cur address
		json.Unmarshal(raw, &cur)
		if strings.EqualFold(cur.oneLine(), strings.TrimSpace(value)) {
			return false
		}
		addrs[idx] = next
		return true
	case "pharmacy":
		exts, _ := doc["extension"].([]any)
		for _, x := range exts {
			e, ok := x.(map[string]any)
			if !ok || e["url"] != PharmacyExtension {
				continue
			}
			if e["valueString"] == value {
				return false
			}
			e["valueString"] = value
			return true
		}
		doc["extension"] = append(exts, map[string]any{"url": PharmacyExtension, "valueString": value})
		return true
	}
	return false
}

// sameContact compares phone numbers by their digits, emails without case.
func sameContact(system, a, b string) bool {
	if system == "email" {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	return digits(a) != "" && digits(a) == digits(b)
}

func (c *Connector) loadState(id string) (writeState, error) {
	var st writeState
	err := c.l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		if v := b.Get([]byte("write/" + id)); v != nil {
			return json.Unmarshal(v, &st)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("fhir: write state: %w", err)
	}
	if st.State == "" {
		st.State = statePending
	}
	return st, nil
}

func (c *Connector) saveState(id string, st writeState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = c.l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error { return b.Put([]byte("write/"+id), v) })
	if err != nil {
		return fmt.Errorf("fhir: write state: %w", err)
	}
	return nil
}

// WriteStates returns the outbound runner's state of each candidate event
// it has seen, by event ID: pending, done, skipped, review or abandoned.
func (c *Connector) WriteStates() (map[string]string, error) {
	out := map[string]string{}
	err := c.l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		for k, v := cur.Seek([]byte("write/")); k != nil && strings.HasPrefix(string(k), "write/"); k, v = cur.Next() {
			var st writeState
			if json.Unmarshal(v, &st) == nil {
				out[strings.TrimPrefix(string(k), "write/")] = st.State
			}
		}
		return nil
	})
	return out, err
}
