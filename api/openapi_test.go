package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"frontdesk/api"
)

// TestOpenAPICoversEveryRoute checks that the checked-in OpenAPI document
// describes exactly the mounted routes, and that it is what the server
// serves.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
			if op["operationId"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks an operationId or responses", m, p)
			}
		}
	}
	e := newEnv(t)
	mounted := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		// OpenAPI cannot say that a parameter spans segments: {entity...}
		// is written {entity}.
		key := rt.Method + " " + strings.ReplaceAll(rt.Pattern, "...}", "}")
		mounted[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	// The document also describes the routes other packages mount
	// (review, calls, connectors); cmd/frontdesk's test assembles the whole
	// server and checks that every documented route is mounted.
	if u := e.srv.Undocumented(); len(u) != 0 {
		t.Errorf("Undocumented: %v", u)
	}
	if err := e.srv.Mount(api.Route{Method: "GET", Pattern: "/v1/workspaces/{ws}/not-in-the-document", Workspace: true,
		Handler: func(http.ResponseWriter, *http.Request, *api.Call) {}}); err != nil {
		t.Fatal(err)
	}
	if u := e.srv.Undocumented(); len(u) != 1 || u[0] != "GET /v1/workspaces/{ws}/not-in-the-document" {
		t.Errorf("Undocumented after mounting an undescribed route: %v", u)
	}
	r := e.as("", "GET", "/v1/openapi.json", nil)
	if r.Status != 200 || !bytes.Equal(r.Body, api.OpenAPIDocument()) {
		t.Fatalf("GET /v1/openapi.json: %d, %d bytes", r.Status, len(r.Body))
	}
	t.Logf("%d operations", len(mounted))
}
