package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"frontdesk/gate/access"
)

// The canary: synthetic PHI that must never appear in a log line or an
// error body.
var canary = []string{"Quillon", "Abernathy-Zeff", "555-0147", "1958-11-03", "quillon.canary@example.org", "44 Wrenfield Crescent"}

func hasCanary(s string) string {
	for _, c := range canary {
		if strings.Contains(s, c) {
			return c
		}
	}
	return ""
}

// TestCanaryNeverLeaks plants PHI, exercises every endpoint and many error
// paths with PHI in the request, and checks that no log line and no error
// body carries it, nor any response that did not ask for PHI.
func TestCanaryNeverLeaks(t *testing.T) {
	e := newEnv(t)
	phi := map[string]string{"name": "Quillon Abernathy-Zeff", "phone": "555-0147", "dob": "1958-11-03",
		"email": "quillon.canary@example.org", "address": "44 Wrenfield Crescent"}
	e.seedPatient("alpha", "patient/501", phi)
	ownerID := e.account("canaryowner", "alpha", access.Owner)
	owner, _ := e.login(ownerID)
	key := e.key(owner, "alpha", access.Owner)

	type call struct {
		token, method, path string
		body                any
		header              map[string]string
	}
	var calls []call
	// Every endpoint of the matrix, as an owner session and key, own and
	// other workspace, without asking for PHI.
	for _, rt := range matrixRoutes() {
		for _, ws := range []string{"alpha", "beta"} {
			p := &principal{account: ownerID, role: access.Owner}
			path, body := rt.req(e, ws, p)
			path = strings.ReplaceAll(strings.ReplaceAll(path, "?phi=true", ""), "&phi=true", "")
			calls = append(calls, call{token: owner, method: rt.method, path: path, body: body}, call{token: key, method: rt.method, path: path, body: body})
		}
	}
	canaryJSON := `{"entity":"patient/501","type":"patient.note","phi":{"note":"Quillon Abernathy-Zeff 555-0147"}`
	errorPaths := []call{
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "Quillon Abernathy-Zeff", "type": "t"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "Quillon 555-0147"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "attrs": map[string]string{"Quillon Abernathy-Zeff": "x", "y": "1958-11-03"}, "phi": map[string]string{"y": "555-0147"}}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "supersedes": []string{"Quillon"}}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "source": "Abernathy-Zeff"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "confidence": "555-0147"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "dob": "1958-11-03"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", canaryJSON, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", canaryJSON + "}" + canaryJSON + "}", nil},
		{owner, "POST", "/v1/workspaces/alpha/events", `{"entity":"patient/501","phi":{"note":"Quillon" "x"}}`, nil},
		{owner, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/501", "type": "t", "phi": map[string]string{"n": strings.Repeat("Quillon ", 9000)}}, nil},
		{"", "POST", "/v1/login", map[string]string{"email": "quillon.canary@example.org", "password": "Quillon Abernathy-Zeff"}, nil},
		{"", "POST", "/v1/login", map[string]string{"email": "Quillon Abernathy-Zeff", "password": "555-0147"}, nil},
		{"", "POST", "/v1/login", `{"email":"quillon.canary@example.org"`, nil},
		{"fds_Quillon", "GET", "/v1/session", nil, nil},
		{"fdk_quillonabernath_555-0147", "GET", "/v1/session", nil, nil},
		{owner, "POST", "/v1/accounts", map[string]string{"email": "Quillon Abernathy-Zeff"}, nil},
		{owner, "POST", "/v1/accounts", map[string]string{"email": "quillon.canary@example.org", "password": "555-0147"}, nil},
		{owner, "POST", "/v1/accounts", map[string]string{"email": "q@example.org", "name": "Quillon\x01Abernathy-Zeff"}, nil},
		{owner, "POST", "/v1/accounts", map[string]string{"email": "q2@example.org", "workspace": "quillon"}, nil},
		{owner, "GET", "/v1/accounts?email=quillon.canary@example.org", nil, nil},
		{owner, "GET", "/v1/accounts/Quillon", nil, nil},
		{owner, "PUT", "/v1/workspaces/alpha/members/" + ownerID, map[string]string{"role": "Quillon"}, nil},
		{owner, "GET", "/v1/workspaces/alpha/history/patient/Quillon%20Abernathy-Zeff", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/state/Quillon", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/events?since=1958-11-03&type=Quillon", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/events?limit=555-0147", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/events/Quillon", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/audit?patient=Quillon&format=fhir", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/audit?format=Quillon", nil, nil},
		{owner, "GET", "/v1/workspaces/quillon-abernathy-zeff/events", nil, nil},
		{owner, "GET", "/v1/workspaces/alpha/events", nil, map[string]string{"X-Purpose-Of-Use": "Quillon"}},
		{owner, "POST", "/v1/workspaces/alpha/keys", map[string]string{"role": "viewer", "name": "Quillon Abernathy-Zeff"}, nil},
		{owner, "PUT", "/v1/workspaces/alpha/secrets/Quillon", map[string]string{"value": "555-0147"}, nil},
		{owner, "PUT", "/v1/workspaces/alpha/secrets/ok-name", map[string]any{"value": 1958, "note": "Quillon"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "Quillon Abernathy-Zeff"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "patient/9", "reason": "Quillon Abernathy-Zeff asked"}, nil},
		{owner, "POST", "/v1/workspaces/alpha/proofs", map[string]any{"seqs": []int{999999}}, nil},
		{owner, "POST", "/v1/break-glass", map[string]string{"workspace": "alpha", "reason": "Quillon Abernathy-Zeff 555-0147 collapsed"}, nil},
		{owner, "PUT", "/v1/workspaces/alpha/break-glass", map[string]any{"accounts": []string{"Quillon"}, "role": "member"}, nil},
		{owner, "PUT", "/v1/session/password", map[string]string{"current": "Quillon Abernathy-Zeff", "new": "555-0147"}, nil},
		{owner, "POST", "/v1/session/mfa/confirm", map[string]string{"code": "Quillon"}, nil},
		{owner, "POST", "/v1/workspaces", map[string]string{"id": "Quillon Abernathy-Zeff"}, nil},
	}
	calls = append(calls, errorPaths...)
	errorsSeen := 0
	for _, c := range calls {
		r := func() *reply {
			if len(c.header) == 0 {
				return e.as(c.token, c.method, c.path, c.body)
			}
			req := httptest.NewRequest(c.method, c.path, nil)
			rec := httptest.NewRecorder()
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", "Bearer "+c.token)
			e.h.ServeHTTP(rec, req)
			return &reply{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
		}()
		if r.Status >= 400 {
			errorsSeen++
		}
		if leak := hasCanary(string(r.Body)); leak != "" {
			t.Errorf("%s %s → %d: the response holds %q: %s", c.method, c.path, r.Status, leak, r.Body)
		}
	}
	if errorsSeen < len(errorPaths) {
		t.Errorf("only %d error responses for %d error paths", errorsSeen, len(errorPaths))
	}
	logs := e.logs.String()
	lines := strings.Count(logs, "\n")
	if lines < len(calls) {
		t.Fatalf("%d log lines for %d requests: is the request log on?", lines, len(calls))
	}
	for i, line := range strings.Split(logs, "\n") {
		if leak := hasCanary(line); leak != "" {
			t.Errorf("log line %d holds %q: %s", i, leak, line)
		}
	}
	// The PHI is there for whoever asks for it, and the asking is recorded.
	r := e.as(owner, "GET", "/v1/workspaces/alpha/state/patient/501?phi=true", nil)
	if hasCanary(string(r.Body)) == "" {
		t.Fatalf("the planted PHI is not readable with phi=true: %s", r.Body)
	}
	if evs := e.eventsWithRequest("alpha", r.ID); len(evs) != 1 || evs[0].Entity != "audit/patient/501" {
		t.Fatalf("the PHI read left %d access events", len(evs))
	}
	t.Logf("%d requests (%d error responses), %d log lines checked", len(calls), errorsSeen, lines)
}
