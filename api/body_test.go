package api_test

import (
	"strings"
	"testing"
)

func TestRequestBodies(t *testing.T) {
	e := newEnv(t)
	path := "/v1/workspaces/alpha/events"
	cases := []struct {
		name, body, ctype string
		status            int
		code              string
		mentions          string
	}{
		{"oversized", `{"entity":"patient/1","type":"x","phi":{"note":"` + strings.Repeat("a", 2<<20) + `"}}`, "application/json", 400, "body_too_large", "larger than"},
		{"malformed", `{"entity":"patient/1",`, "application/json", 400, "malformed_json", "ends early"},
		{"syntax", `{"entity" "patient/1"}`, "application/json", 400, "malformed_json", "byte"},
		{"unknown field", `{"entity":"patient/1","type":"t","colour":"Zebulon"}`, "application/json", 400, "unknown_field", "colour"},
		{"wrong type", `{"entity":"patient/1","type":7}`, "application/json", 400, "invalid_field", "type"},
		{"two values", `{"entity":"patient/1","type":"t"} {}`, "application/json", 400, "malformed_json", "more than one"},
		{"empty", ``, "application/json", 400, "malformed_json", "empty"},
		{"form", `entity=patient/1`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
		{"invalid event", `{"entity":"Zebulon Quartermain","type":"t"}`, "application/json", 400, "invalid", "kind/id"},
		{"reserved type", `{"entity":"patient/1","type":"access.read"}`, "application/json", 400, "invalid", "access."},
	}
	for _, c := range cases {
		req := do(e.local, "POST", path, "", c.body)
		if c.ctype != "application/json" {
			req = doCT(e.local, "POST", path, c.body, c.ctype)
		}
		if req.Status != c.status || req.errorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, req.Status, req.Body, c.status, c.code)
			continue
		}
		if !strings.Contains(string(req.Body), c.mentions) {
			t.Errorf("%s: message %s does not mention %q", c.name, req.Body, c.mentions)
		}
		if strings.Contains(string(req.Body), "Zebulon") {
			t.Errorf("%s: the error repeats a value: %s", c.name, req.Body)
		}
	}
	if r := do(e.local, "PATCH", path, "", nil); r.Status != 405 || r.errorCode() != "method_not_allowed" {
		t.Errorf("PATCH: %d %s", r.Status, r.Body)
	}
	if r := do(e.local, "GET", "/v1/nothing-here", "", nil); r.Status != 404 || r.errorCode() != "not_found" {
		t.Errorf("unknown path: %d %s", r.Status, r.Body)
	}
	if r := do(e.local, "GET", path, "", nil); r.Header.Get("X-Request-Id") == "" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", r.Header)
	}
}
