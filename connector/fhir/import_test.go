package fhir_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk/connector/fhir"
	"frontdesk/connector/fhir/fhirtest"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

func syntheaFile(t testing.TB, prefix string) string {
	t.Helper()
	for _, p := range fhirtest.Synthea(t) {
		if strings.HasPrefix(filepath.Base(p), prefix) {
			return p
		}
	}
	t.Fatalf("no Synthea bundle %s*", prefix)
	return ""
}

// TestImportSynthea imports the Synthea bundles and checks the patients'
// and practitioners' state, the counts, and that a second import writes
// nothing.
func TestImportSynthea(t *testing.T) {
	l := testkit.Ledger(t, "clinic")
	files := fhirtest.Synthea(t)
	if len(files) < 7 {
		t.Fatalf("want at least 5 patient bundles and the practitioner and hospital bundles, have %d", len(files))
	}
	st := importFiles(t, l, files...)
	patients := len(files) - 2
	if st.ByType["Patient"] != patients {
		t.Errorf("imported %d patients, want %d", st.ByType["Patient"], patients)
	}
	if st.ByType["Practitioner"] < 102 {
		t.Errorf("imported %d practitioners, want at least the 102 of the practitioner bundle", st.ByType["Practitioner"])
	}
	if st.Ignored["Observation"] == 0 || st.Ignored["Organization"] < 102 || st.Ignored["Patient"] != 0 {
		t.Errorf("ignored counts %v: want observations and organizations counted, no patients", st.Ignored)
	}
	mapped := 0
	for _, n := range st.ByType {
		mapped += n
	}
	ignored := 0
	for _, n := range st.Ignored {
		ignored += n
	}
	if mapped+ignored != st.Resources || st.Written+st.Unchanged != mapped {
		t.Errorf("stats do not add up: %+v", st)
	}
	// The practitioners in the patient bundles are the same people as in
	// the practitioner bundle, with fewer elements: nothing new to record.
	if st.Written != patients+102 {
		t.Errorf("wrote %d versions, want %d (each patient and practitioner once)", st.Written, patients+102)
	}

	p := state(t, l, "patient/4e8ed886-fd5f-40bb-8feb-f339b04d853a")
	want := map[string]string{
		"given": "Alberto", "family": "Atencio", "name": "Alberto Atencio", "birthDate": "1993-06-07",
		"phone": "555-961-9901", "address": "849 Koch Crossroad, Boston, Massachusetts 02108",
		"mrn": "fc712d1f-5a2e-4407-9c55-a2a2bad623c2", "gender": "male", "language": "es",
		"fhir_id": "4e8ed886-fd5f-40bb-8feb-f339b04d853a",
	}
	for k, v := range want {
		if got := p.Fields[k]; got.Value != v {
			t.Errorf("patient %s = %q, want %q", k, got.Value, v)
		}
	}
	for _, k := range []string{"given", "family", "name", "birthDate", "phone", "address", "mrn"} {
		if !p.Fields[k].PHI {
			t.Errorf("patient field %s is not PHI", k)
		}
	}
	if len(p.Live) != 1 || p.Live[0].Type != "patient.synced" || p.Live[0].Source != ledger.SourceEHR ||
		p.Live[0].Confidence != 1 || p.Live[0].Actor != fhir.ImportActor {
		t.Errorf("patient events: %+v", p.Live)
	}
	for k := range p.Live[0].Attrs {
		if k == "name" || k == "phone" || k == "birthDate" {
			t.Errorf("PHI field %s is an attribute", k)
		}
	}
	pr := state(t, l, "practitioner/90a218f2-1ad5-498d-a07c-7d40dfe04917")
	if pr.Fields["name"].Value != "Del Williamson" || !pr.Fields["name"].PHI || pr.Fields["display_title"].Value != "Dr." ||
		pr.Fields["active"].Value != "true" {
		t.Errorf("practitioner state: %+v", pr.Fields)
	}

	size := l.Size()
	again := importFiles(t, l, files...)
	if again.Written != 0 || again.Unchanged != st.Written+st.Unchanged {
		t.Errorf("second import: %+v, want nothing written", again)
	}
	if l.Size() != size {
		t.Errorf("second import grew the ledger from %d to %d events", size, l.Size())
	}
}

// TestImportMapsSchedulingResources imports a collection bundle with a
// role, a schedule, a slot and an appointment referring to each other by
// urn:uuid, and checks the references, the slot's practitioner and the
// appointment's subject; then a changed version supersedes the first.
func TestImportMapsSchedulingResources(t *testing.T) {
	l := testkit.Ledger(t, "clinic")
	ctx := context.Background()
	st, err := fhir.ImportBundle(ctx, l, strings.NewReader(schedulingBundle("Annual check-up", "booked")))
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 6 || st.ByType["Slot"] != 1 || st.Ignored["Location"] != 1 {
		t.Errorf("stats %+v", st)
	}
	pr := state(t, l, "practitioner/pr-1")
	if pr.Fields["specialty"].Value != "Family medicine" || pr.Fields["name"].Value != "Ada Example" {
		t.Errorf("practitioner: %+v", pr.Fields)
	}
	if f := field(t, l, "schedule/sch-1", "practitioner"); f != "practitioner/pr-1" {
		t.Errorf("schedule practitioner %q", f)
	}
	sl := state(t, l, "slot/slot-1")
	if sl.Fields["schedule"].Value != "schedule/sch-1" || sl.Fields["practitioner"].Value != "practitioner/pr-1" ||
		sl.Fields["start"].Value != "2031-03-04T14:00:00Z" || sl.Fields["status"].Value != "free" {
		t.Errorf("slot: %+v", sl.Fields)
	}
	ap := state(t, l, "appointment/ap-1")
	if ap.Fields["patient"].Value != "patient/pat-1" || ap.Fields["practitioner"].Value != "practitioner/pr-1" ||
		ap.Fields["slot"].Value != "slot/slot-1" || ap.Fields["status"].Value != "booked" ||
		ap.Fields["reason"].Value != "Annual check-up" || !ap.Fields["reason"].PHI {
		t.Errorf("appointment: %+v", ap.Fields)
	}
	if ap.Live[0].Subject != "patient/pat-1" {
		t.Errorf("appointment subject %q, want the patient", ap.Live[0].Subject)
	}

	st, err = fhir.ImportBundle(ctx, l, strings.NewReader(schedulingBundle("Annual check-up", "cancelled")))
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 1 {
		t.Errorf("changed bundle wrote %d versions, want 1", st.Written)
	}
	ap = state(t, l, "appointment/ap-1")
	if ap.Fields["status"].Value != "cancelled" || len(ap.Live) != 1 || len(ap.Superseded) != 1 || ap.Events != 2 {
		t.Errorf("after change: status %q, %d live, %d superseded", ap.Fields["status"].Value, len(ap.Live), len(ap.Superseded))
	}
	// A transaction deleting the appointment.
	st, err = fhir.ImportBundle(ctx, l, strings.NewReader(`{"resourceType":"Bundle","type":"transaction","entry":[
	  {"request":{"method":"DELETE","url":"Appointment/ap-1"}},
	  {"resource":{"resourceType":"Patient","name":[{"family":"Putname"}]},"request":{"method":"PUT","url":"Patient/pat-2"}}]}`))
	if err != nil || st.Deleted != 1 || st.Written != 1 {
		t.Fatalf("delete and put: %+v, %v", st, err)
	}
	if ap := state(t, l, "appointment/ap-1"); len(ap.Live) != 1 || ap.Live[0].Type != "appointment.deleted" || ap.Fields["reason"].Value != "" {
		t.Errorf("after the delete: %+v", ap.Live)
	}
	if got := field(t, l, "patient/pat-2", "family"); got != "Putname" {
		t.Errorf("PUT entry without id: family %q", got)
	}
	// The older bundle again: it holds a version the entity had, so nothing
	// is written and the appointment stays deleted.
	st, err = fhir.ImportBundle(ctx, l, strings.NewReader(schedulingBundle("Annual check-up", "booked")))
	if err != nil || st.Written != 0 {
		t.Errorf("older bundle again: %+v, %v", st, err)
	}
	if ap := state(t, l, "appointment/ap-1"); ap.Live[0].Type != "appointment.deleted" {
		t.Errorf("an old bundle revived a deleted appointment: %+v", ap.Live)
	}
}

func TestImportRefusesWhatIsNotABundle(t *testing.T) {
	l := testkit.Ledger(t, "clinic")
	for _, doc := range []string{
		`{"resourceType":"Patient","id":"x"}`,
		`{"resourceType":"Bundle","type":"history"}`,
		`not json`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"bad id!"}}]}`,
	} {
		_, err := fhir.ImportBundle(context.Background(), l, strings.NewReader(doc))
		if err == nil {
			t.Errorf("%s: imported", doc)
		}
		if strings.Contains(err.Error(), "bad id!") {
			t.Errorf("error quotes the input: %v", err)
		}
	}
	if _, err := fhir.ImportBundle(context.Background(), l, strings.NewReader(`{"resourceType":"Patient"}`)); !errors.Is(err, fhir.ErrNotBundle) {
		t.Errorf("error %v is not ErrNotBundle", err)
	}
	if l.Size() != 0 {
		t.Errorf("refused imports wrote %d events", l.Size())
	}
}

func TestSummarizeOutcomeDropsText(t *testing.T) {
	oo := `{"resourceType":"OperationOutcome","issue":[
	  {"severity":"error","code":"invalid","details":{"coding":[{"code":"MSG_BAD_FORMAT"}],"text":"Patient Alberto Atencio 555-961-9901 invalid"},"diagnostics":"Alberto","expression":["Patient.telecom"]},
	  {"severity":"warning","code":"business rule"}]}`
	got := fhir.SummarizeOutcome([]byte(oo))
	if got != "error:invalid(MSG_BAD_FORMAT); warning:?" {
		t.Errorf("summary %q", got)
	}
	if fhir.SummarizeOutcome([]byte(`{"resourceType":"Patient"}`)) != "" {
		t.Error("a Patient summarised as an outcome")
	}
}

// schedulingBundle is a small synthetic collection bundle.
func schedulingBundle(reason, status string) string {
	return `{"resourceType":"Bundle","type":"collection","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Practitioner","id":"pr-1","active":true,"name":[{"family":"Example","given":["Ada"],"prefix":["Dr."]}]}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"PractitionerRole","id":"role-1","active":true,"practitioner":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"},"specialty":[{"coding":[{"system":"http://snomed.info/sct","code":"419772000","display":"Family medicine"}]}]}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000003","resource":{"resourceType":"Patient","id":"pat-1","name":[{"family":"Sample","given":["Pat"]}],"birthDate":"1970-01-01"}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000004","resource":{"resourceType":"Schedule","id":"sch-1","active":true,"actor":[{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"}],"serviceType":[{"text":"General practice"}],"planningHorizon":{"start":"2031-01-01T00:00:00Z","end":"2031-12-31T00:00:00Z"}}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000005","resource":{"resourceType":"Slot","id":"slot-1","schedule":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000004"},"status":"free","start":"2031-03-04T09:00:00-05:00","end":"2031-03-04T09:30:00-05:00"}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000006","resource":{"resourceType":"Appointment","id":"ap-1","status":"` + status + `","description":"` + reason + `","start":"2031-03-04T14:00:00Z","end":"2031-03-04T14:30:00Z","slot":[{"reference":"urn:uuid:00000000-0000-4000-8000-000000000005"}],"participant":[{"actor":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000003"},"status":"accepted"},{"actor":{"reference":"Practitioner/pr-1"},"status":"accepted"}]}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000007","resource":{"resourceType":"Location","id":"loc-1","name":"Room 1"}}
]}`
}
