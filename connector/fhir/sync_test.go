package fhir_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"frontdesk/connector/fhir"
	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// TestSyncFromMedplum loads Synthea bundles into the FHIR server, syncs,
// changes a patient in the server, syncs again and checks that exactly the
// new version was recorded, superseding the old one; a full sync finds a
// deleted patient.
func TestSyncFromMedplum(t *testing.T) {
	files := []string{
		syntheaFile(t, "practitionerInformation"), syntheaFile(t, "Alberto_Atencio"), syntheaFile(t, "Liz_Conn"),
		syntheaFile(t, "Buster_Hoeger"), syntheaFile(t, "Ned_Hintz"), syntheaFile(t, "Michael_Kihn"),
	}
	e := newEnv(t, fhir.Config{PageSize: 7}, files...)
	ctx := context.Background()

	st, err := e.conn.Sync(ctx, fhir.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.ByType["Patient"] != 5 || st.ByType["Practitioner"] < 102 || st.Written != st.ByType["Patient"]+st.ByType["Practitioner"] {
		t.Fatalf("first sync: %+v", st)
	}
	patients := e.search("Patient?family=Atencio")
	if len(patients) != 1 {
		t.Fatalf("server has %d patients named Atencio", len(patients))
	}
	id := patients[0]["id"].(string)
	ent := "patient/" + id
	p := state(t, e.l, ent)
	if p.Fields["name"].Value != "Alberto Atencio" || p.Fields["phone"].Value != "555-961-9901" ||
		p.Fields["fhir_version"].Value == "" || p.Fields["last_updated"].Value == "" || p.Live[0].Actor != fhir.SyncActor {
		t.Fatalf("synced patient: %+v", p.Fields)
	}
	if c, _ := e.conn.Cursor("Patient"); c == "" {
		t.Error("no Patient cursor after the sync")
	}
	if n := len(events(t, e.l, "ehr.sync-completed")); n != 2 {
		t.Errorf("%d ehr.sync-completed events, want 2 (Practitioner, Patient)", n)
	}
	// Every request went through the gate and was recorded.
	if sent := events(t, e.l, "egress.sent"); len(sent) < 18 || sent[0].Attrs["destination"] != "ehr" || sent[0].Attrs["class"] != "baa" {
		t.Errorf("%d egress.sent events, want one per search page", len(sent))
	}

	st, err = e.conn.Sync(ctx, fhir.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 0 {
		t.Errorf("second sync wrote %d versions, want none", st.Written)
	}

	// The patient changes in the EHR.
	_, cur := e.fhirDo("GET", "Patient/"+id, nil, nil)
	cur["telecom"] = []any{map[string]any{"system": "phone", "value": "555-010-2233", "use": "mobile"}}
	if code, b := e.fhirDo("PUT", "Patient/"+id, cur, nil); code != 200 {
		t.Fatalf("update in the server: HTTP %d %v", code, b)
	}
	size := e.l.Size()
	st, err = e.conn.Sync(ctx, fhir.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 1 || st.ByType["Patient"] < 1 {
		t.Fatalf("sync after the change: %+v, want one version written", st)
	}
	p = state(t, e.l, ent)
	if p.Fields["phone"].Value != "555-010-2233" || len(p.Live) != 1 || len(p.Superseded) != 1 {
		t.Errorf("after the change: phone %q, %d live, %d superseded", p.Fields["phone"].Value, len(p.Live), len(p.Superseded))
	}
	hist, _ := e.l.History(ent, ledger.ReadOptions{})
	if len(hist) != 2 || hist[1].Supersedes[0] != hist[0].ID || hist[0].Attrs["fhir_version"] == hist[1].Attrs["fhir_version"] {
		t.Errorf("history of the patient: %d events", len(hist))
	}
	// One egress.sent per resource type searched, the version, and the
	// ehr.sync-completed of Patient.
	if grew := e.l.Size() - size; grew != uint64(len(fhir.ResourceTypes))+2 {
		t.Errorf("an incremental sync of one change recorded %d events", grew)
	}

	// The patient is deleted in the EHR; a full sync records it.
	if code, _ := e.fhirDo("DELETE", "Patient/"+id, nil, nil); code != 200 && code != 204 {
		t.Fatalf("delete: HTTP %d", code)
	}
	st, err = e.conn.Sync(ctx, fhir.SyncOptions{Resources: []string{"Patient"}, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != 1 {
		t.Errorf("full sync recorded %d deletions, want 1", st.Deleted)
	}
	p = state(t, e.l, ent)
	if len(p.Live) != 1 || p.Live[0].Type != "patient.deleted" || p.Fields["name"].Value != "" {
		t.Errorf("after deletion: %+v", p.Live)
	}
}

// TestSyncNeedsTheToken checks the bearer token comes from the secret
// source: with the wrong one the server refuses, the failure is recorded
// without the token, and nothing is synced.
func TestSyncNeedsTheToken(t *testing.T) {
	e := newEnv(t, fhir.Config{}, syntheaFile(t, "Liz_Conn"))
	g := newGate(t, e.l, e.srv.Base, secrets{"ehr-token": "wrong-token-0000"})
	conn, err := fhir.New(e.l, g, fhir.Config{Resources: []string{"Patient"}}, fhir.Options{Appliance: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := conn.Sync(context.Background(), fhir.SyncOptions{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || st.Written != 0 {
		t.Fatalf("sync with a wrong token: %+v, %v", st, err)
	}
	failed := events(t, e.l, "ehr.sync-failed")
	if len(failed) != 1 || failed[0].Attrs["reason"] != "status-401" || failed[0].Attrs["resource"] != "Patient" {
		t.Errorf("ehr.sync-failed: %+v", failed)
	}
	// The right token works, and no event holds any token.
	if _, err := e.conn.Sync(context.Background(), fhir.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	all, _ := e.l.Find(ledger.Query{Limit: 100000}, ledger.ReadOptions{})
	for _, ev := range all {
		if s := fmt.Sprint(ev.Attrs); strings.Contains(s, testToken) || strings.Contains(s, "wrong-token") {
			t.Fatalf("event %s (%s) holds a token", ev.ID, ev.Type)
		}
	}
}

func TestNewRefusesADestinationThatIsNotBAA(t *testing.T) {
	e := newEnv(t, fhir.Config{})
	if _, err := fhir.New(e.l, e.gate, fhir.Config{Destination: "nowhere"}, fhir.Options{}); err == nil {
		t.Error("a connector to an unknown destination")
	}
	if _, err := fhir.New(e.l, e.gate, fhir.Config{Resources: []string{"Observation"}}, fhir.Options{}); err == nil {
		t.Error("a connector syncing Observation")
	}
	err := e.gate.PutDestination(context.Background(), egress.Destination{Name: "ehr-redacted", Class: egress.ClassRedacted, BaseURL: e.srv.Base}, "account/admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fhir.New(e.l, e.gate, fhir.Config{Destination: "ehr-redacted"}, fhir.Options{}); !errors.Is(err, fhir.ErrNotBAA) {
		t.Errorf("a connector to a redacted destination: %v", err)
	}
}
