package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"frontdesk/gate/access"
)

type fhirBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        int    `json:"total"`
	Entry        []struct {
		Resource auditEvent `json:"resource"`
	} `json:"entry"`
}

type coding struct{ System, Code, Display string }

type auditEvent struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct{ Profile []string }
	Type         coding
	Subtype      []coding
	Action       string
	Recorded     string
	Outcome      string
	Agent        []struct {
		Type         struct{ Coding []coding }
		Who          map[string]any
		Requestor    bool
		PurposeOfUse []struct{ Coding []coding }
		Network      *struct{ Address, Type string }
	}
	Source struct {
		Site     string
		Observer struct{ Display string }
		Type     []coding
	}
	Entity []struct {
		What struct {
			Reference  string
			Identifier struct{ Value string }
		}
		Type  coding
		Role  coding
		Query string
	}
}

func (a *auditEvent) entity(typeCode string) (string, string, bool) {
	for _, en := range a.Entity {
		if en.Type.Code == typeCode {
			return en.What.Reference, en.What.Identifier.Value, true
		}
	}
	return "", "", false
}

func TestAuditExportAsFHIRBALP(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/1", map[string]string{"name": "Audit Patient"})
	e.seedPatient("alpha", "patient/2", map[string]string{"name": "Other Patient"})
	id := e.account("clerk", "alpha", access.Viewer)
	tok, _ := e.login(id)
	req := httptest.NewRequest("GET", "/v1/workspaces/alpha/state/patient/1?phi=true", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Purpose-Of-Use", "treatment")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("read: %d", rec.Code)
	}
	readID := rec.Header().Get("X-Request-Id")
	list := e.as(tok, "GET", "/v1/workspaces/alpha/events?entity_prefix=patient/", nil)

	adminTok, _ := e.login(e.account("auditor", "alpha", access.Admin))
	r := e.as(adminTok, "GET", "/v1/workspaces/alpha/audit?format=fhir", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var b fhirBundle
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total != len(b.Entry) || b.Total < 3 {
		t.Fatalf("bundle %s %s total %d entries %d", b.ResourceType, b.Type, b.Total, len(b.Entry))
	}
	var read *auditEvent
	var queries []*auditEvent
	for i := range b.Entry {
		a := &b.Entry[i].Resource
		if a.ResourceType != "AuditEvent" || a.ID == "" || a.Recorded == "" {
			t.Fatalf("entry %d: %+v", i, a)
		}
		_, rid, ok := a.entity("XrequestId")
		if !ok {
			t.Fatalf("entry %d has no request ID entity", i)
		}
		switch rid {
		case readID:
			read = a
		case list.ID:
			queries = append(queries, a)
		}
	}
	if read == nil {
		t.Fatal("the read is not in the export")
	}
	if read.Meta.Profile[0] != "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead" ||
		read.Type.System != "http://terminology.hl7.org/CodeSystem/audit-event-type" || read.Type.Code != "rest" ||
		read.Subtype[0].Code != "read" || read.Action != "R" || read.Outcome != "0" {
		t.Fatalf("read event: %+v", read)
	}
	user := read.Agent[0]
	who, _ := user.Who["identifier"].(map[string]any)
	if !user.Requestor || user.Type.Coding[0].Code != "IRCP" || who["value"] != "account/"+id ||
		user.PurposeOfUse[0].Coding[0].Code != "TREAT" {
		t.Fatalf("user agent %+v", user)
	}
	if read.Agent[1].Type.Coding[0].Code != "110152" || read.Agent[2].Type.Coding[0].Code != "110153" || read.Agent[1].Network == nil {
		t.Fatalf("client/server agents %+v", read.Agent)
	}
	if !strings.HasPrefix(read.Source.Observer.Display, "frontdesk.") || read.Source.Type[0].Code != "4" || read.Source.Site != "alpha" {
		t.Fatalf("source %+v", read.Source)
	}
	if ref, _, ok := read.entity("1"); !ok || ref != "Patient/1" {
		t.Fatalf("patient entity %q", ref)
	}
	// The list concerned two patients: one PatientQuery event each.
	if len(queries) != 2 {
		t.Fatalf("%d events for a list of two patients' events", len(queries))
	}
	for _, q := range queries {
		if q.Action != "E" || q.Subtype[0].Code != "search-type" || !strings.HasSuffix(q.Meta.Profile[0], "PatientQuery") ||
			q.Agent[1].Type.Coding[0].Code != "110153" {
			t.Fatalf("query event %+v", q)
		}
	}
	// One patient's accounting of disclosures.
	var only fhirBundle
	e.as(adminTok, "GET", "/v1/workspaces/alpha/audit?format=fhir&patient=patient/2", nil).decode(t, &only)
	if only.Total == 0 {
		t.Fatal("no disclosures of patient/2")
	}
	for _, en := range only.Entry {
		if ref, _, _ := en.Resource.entity("1"); ref != "Patient/2" {
			t.Fatalf("accounting of patient/2 lists %q", ref)
		}
	}
	if r := e.as(tok, "GET", "/v1/workspaces/alpha/audit", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a viewer read the access log: %d", r.Status)
	}
}
