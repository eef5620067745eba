package api_test

import (
	"fmt"
	"strings"
	"testing"

	"frontdesk/crypto"
	"frontdesk/gate/access"
	"frontdesk/ledger"
)

// principal is one caller of the matrix.
type principal struct {
	name    string
	key     bool
	role    access.Role // role in alpha
	token   string
	account string
}

// matrixRoute is an endpoint with the expectation written out here, apart
// from the server's own route table: the lowest role that may use it.
type matrixRoute struct {
	method, pattern string
	min             access.Role
	// appliance routes need an owner of the appliance; the others are
	// workspace routes (or need only authentication when min is None).
	appliance bool
	ok        int
	// phi: a success discloses workspace data and must leave an access
	// event.
	phi bool
	// noKeys: API keys are refused whatever their role.
	noKeys bool
	req    func(e *env, ws string, p *principal) (string, any)
}

func path(p string) func(*env, string, *principal) (string, any) {
	return func(_ *env, ws string, _ *principal) (string, any) { return strings.ReplaceAll(p, "{ws}", ws), nil }
}

func withBody(p string, body any) func(*env, string, *principal) (string, any) {
	return func(_ *env, ws string, _ *principal) (string, any) { return strings.ReplaceAll(p, "{ws}", ws), body }
}

func matrixRoutes() []matrixRoute {
	V, M, A, O := access.Viewer, access.Member, access.Admin, access.Owner
	return []matrixRoute{
		{method: "GET", pattern: "/v1/workspaces/{ws}", min: V, ok: 200, req: path("/v1/workspaces/{ws}")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/members", min: A, ok: 200, req: path("/v1/workspaces/{ws}/members")},
		{method: "PUT", pattern: "/v1/workspaces/{ws}/members/{account}", min: O, ok: 204, req: func(e *env, ws string, _ *principal) (string, any) {
			return "/v1/workspaces/" + ws + "/members/" + e.account("new", "", access.None), map[string]string{"role": "viewer"}
		}},
		{method: "DELETE", pattern: "/v1/workspaces/{ws}/members/{account}", min: O, ok: 204, req: func(e *env, ws string, _ *principal) (string, any) {
			return "/v1/workspaces/" + ws + "/members/" + e.account("leaving", ws, access.Viewer), nil
		}},
		{method: "GET", pattern: "/v1/workspaces/{ws}/keys", min: V, ok: 200, req: path("/v1/workspaces/{ws}/keys")},
		{method: "POST", pattern: "/v1/workspaces/{ws}/keys", min: V, ok: 201, noKeys: true, req: withBody("/v1/workspaces/{ws}/keys", map[string]string{"role": "viewer"})},
		{method: "DELETE", pattern: "/v1/workspaces/{ws}/keys/{key}", min: V, ok: 204, req: func(e *env, ws string, p *principal) (string, any) {
			owner := p.account
			if ws != "alpha" || p.role == access.None {
				owner = e.account("keyholder", ws, access.Viewer)
			}
			var out struct{ Key access.APIKey }
			e.op(201, "POST", "/v1/workspaces/"+ws+"/keys", map[string]string{"role": "viewer", "account": owner}).decode(e.t, &out)
			return "/v1/workspaces/" + ws + "/keys/" + out.Key.ID, nil
		}},
		{method: "GET", pattern: "/v1/workspaces/{ws}/break-glass", min: O, ok: 200, req: path("/v1/workspaces/{ws}/break-glass")},
		{method: "PUT", pattern: "/v1/workspaces/{ws}/break-glass", min: O, ok: 204, req: withBody("/v1/workspaces/{ws}/break-glass",
			map[string]any{"accounts": []string{}, "role": "viewer", "max_minutes": 30})},
		{method: "POST", pattern: "/v1/workspaces/{ws}/events", min: M, ok: 201, req: withBody("/v1/workspaces/{ws}/events", map[string]any{
			"entity": "patient/7", "type": "patient.phone-stated", "source": "voice", "phi": map[string]string{"phone": "555-0100"}})},
		{method: "GET", pattern: "/v1/workspaces/{ws}/events", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/events?phi=true")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/events/{id}", min: V, ok: 200, phi: true, req: func(e *env, ws string, _ *principal) (string, any) {
			return "/v1/workspaces/" + ws + "/events/" + e.seedPatient(ws, "patient/1", map[string]string{"name": "Test Patient"}) + "?phi=true", nil
		}},
		{method: "GET", pattern: "/v1/workspaces/{ws}/entities", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/entities?prefix=patient/")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/history/{entity}", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/history/patient/1")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/state/{entity}", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/state/patient/1?phi=true")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/checkpoints", min: V, ok: 200, req: path("/v1/workspaces/{ws}/checkpoints")},
		{method: "POST", pattern: "/v1/workspaces/{ws}/checkpoints", min: V, ok: 201, req: path("/v1/workspaces/{ws}/checkpoints")},
		{method: "POST", pattern: "/v1/workspaces/{ws}/proofs", min: V, ok: 200, phi: true, req: withBody("/v1/workspaces/{ws}/proofs", map[string]any{"seqs": []int{0}})},
		{method: "GET", pattern: "/v1/workspaces/{ws}/verification", min: V, ok: 200, req: path("/v1/workspaces/{ws}/verification")},
		{method: "POST", pattern: "/v1/workspaces/{ws}/verification", min: A, ok: 200, req: path("/v1/workspaces/{ws}/verification")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/secrets", min: A, ok: 200, req: path("/v1/workspaces/{ws}/secrets")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/secrets/{name}", min: A, ok: 200, req: path("/v1/workspaces/{ws}/secrets/ehr-token")},
		{method: "PUT", pattern: "/v1/workspaces/{ws}/secrets/{name}", min: A, ok: 201, req: func(e *env, ws string, _ *principal) (string, any) {
			return fmt.Sprintf("/v1/workspaces/%s/secrets/tool-%d", ws, e.seq()), map[string]string{"value": "sk-test-value"}
		}},
		{method: "DELETE", pattern: "/v1/workspaces/{ws}/secrets/{name}", min: A, ok: 204, req: func(e *env, ws string, _ *principal) (string, any) {
			p := fmt.Sprintf("/v1/workspaces/%s/secrets/old-%d", ws, e.seq())
			e.op(201, "PUT", p, map[string]string{"value": "sk-old-value"})
			return p, nil
		}},
		{method: "GET", pattern: "/v1/workspaces/{ws}/audit", min: A, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/audit?format=fhir")},
		{method: "POST", pattern: "/v1/workspaces/{ws}/erasures", min: O, ok: 201, req: func(e *env, ws string, _ *principal) (string, any) {
			subject := fmt.Sprintf("patient/erase-%d", e.seq())
			e.seedPatient(ws, subject, map[string]string{"name": "Erasable Patient"})
			return "/v1/workspaces/" + ws + "/erasures", map[string]string{"subject": subject}
		}},

		{method: "POST", pattern: "/v1/workspaces/{ws}/key-rotations", min: O, ok: 201, req: path("/v1/workspaces/{ws}/key-rotations")},

		{method: "GET", pattern: "/v1/accounts", appliance: true, min: O, ok: 200, req: path("/v1/accounts")},
		{method: "POST", pattern: "/v1/accounts", appliance: true, min: O, ok: 201, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/accounts", map[string]string{"email": fmt.Sprintf("made.%d@clinic.example", e.seq())}
		}},
		{method: "GET", pattern: "/v1/accounts/{account}", appliance: true, min: O, ok: 200, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/accounts/" + e.account("someone", "", access.None), nil
		}},
		{method: "POST", pattern: "/v1/accounts/{account}/disable", appliance: true, min: O, ok: 204, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/accounts/" + e.account("todisable", "", access.None) + "/disable", nil
		}},
		{method: "POST", pattern: "/v1/accounts/{account}/enable", appliance: true, min: O, ok: 204, req: func(e *env, _ string, _ *principal) (string, any) {
			id := e.account("disabled", "", access.None)
			e.op(204, "POST", "/v1/accounts/"+id+"/disable", nil)
			return "/v1/accounts/" + id + "/enable", nil
		}},
		{method: "POST", pattern: "/v1/accounts/{account}/unlock", appliance: true, min: O, ok: 204, req: func(e *env, _ string, _ *principal) (string, any) {
			id := e.account("locked", "", access.None)
			email := e.email(id)
			for i := 0; i < 5; i++ {
				e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": "wrong password entirely"})
			}
			return "/v1/accounts/" + id + "/unlock", nil
		}},
		{method: "POST", pattern: "/v1/accounts/{account}/mfa-reset", appliance: true, min: O, ok: 204, req: func(e *env, _ string, _ *principal) (string, any) {
			id := e.account("withmfa", "", access.None)
			tok, _ := e.login(id)
			var en access.MFAEnrolment
			e.as(tok, "POST", "/v1/session/mfa", nil).decode(e.t, &en)
			code, _ := crypto.DefaultTOTP.TOTPCode(en.Secret, e.clock.Now())
			if r := e.as(tok, "POST", "/v1/session/mfa/confirm", map[string]string{"code": code}); r.Status != 200 {
				e.t.Fatalf("voluntary enrolment: %d %s", r.Status, r.Body)
			}
			return "/v1/accounts/" + id + "/mfa-reset", nil
		}},
		{method: "POST", pattern: "/v1/accounts/{account}/password-reset", appliance: true, min: O, ok: 200, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/accounts/" + e.account("forgetful", "", access.None) + "/password-reset", nil
		}},
		{method: "PUT", pattern: "/v1/accounts/{account}/appliance-role", appliance: true, min: O, ok: 204, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/accounts/" + e.account("promoted", "", access.None) + "/appliance-role", map[string]string{"role": "owner"}
		}},
		{method: "GET", pattern: "/v1/audit", appliance: true, min: O, ok: 200, req: path("/v1/audit?type=auth.login-failed")},
		{method: "POST", pattern: "/v1/workspaces", appliance: true, min: O, ok: 201, req: func(e *env, _ string, _ *principal) (string, any) {
			return "/v1/workspaces", map[string]string{"id": fmt.Sprintf("site-%d", e.seq())}
		}},
		// Routes mounted by other packages (review queue, calls, connectors).
		{method: "GET", pattern: "/v1/workspaces/{ws}/review", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/review?status=open")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/gate/{event}", min: V, ok: 200, phi: true, req: func(e *env, ws string, _ *principal) (string, any) {
			return "/v1/workspaces/" + ws + "/gate/" + e.seedPatient(ws, "patient/gated", map[string]string{"name": "Gated Patient"}), nil
		}},
		{method: "GET", pattern: "/v1/workspaces/{ws}/calls", min: V, ok: 200, phi: true, req: path("/v1/workspaces/{ws}/calls")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/webhooks", min: A, ok: 200, req: path("/v1/workspaces/{ws}/webhooks")},
		{method: "GET", pattern: "/v1/workspaces/{ws}/webhooks/deliveries", min: A, ok: 200, req: path("/v1/workspaces/{ws}/webhooks/deliveries")},
		{method: "GET", pattern: "/v1/destinations", appliance: true, min: O, ok: 200, req: path("/v1/destinations")},
		{method: "GET", pattern: "/v1/session", min: access.None, ok: 200, req: path("/v1/session")},
		{method: "GET", pattern: "/v1/workspaces", min: access.None, ok: 200, req: path("/v1/workspaces")},
	}
}

// TestAuthorizationMatrix runs every endpoint against every role, as a
// session and as an API key, in the caller's own workspace and in
// another, and checks the exact status and the audit record each leaves.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/1", map[string]string{"name": "Alpha Patient"})
	e.seedPatient("beta", "patient/1", map[string]string{"name": "Beta Patient"})
	e.op(201, "PUT", "/v1/workspaces/alpha/secrets/ehr-token", map[string]string{"value": "sk-alpha"})
	e.op(201, "PUT", "/v1/workspaces/beta/secrets/ehr-token", map[string]string{"value": "sk-beta"})

	var callers []*principal
	for _, role := range []access.Role{access.Viewer, access.Member, access.Admin, access.Owner} {
		id := e.account(role.String(), "alpha", role)
		tok, _ := e.login(id)
		callers = append(callers,
			&principal{name: role.String() + "/session", role: role, token: tok, account: id},
			&principal{name: role.String() + "/key", key: true, role: role, token: e.key(tok, "alpha", role), account: id})
	}
	outsider := e.account("outsider", "", access.None)
	tok, _ := e.login(outsider)
	callers = append(callers, &principal{name: "outsider/session", token: tok, account: outsider})
	ownerID := e.account("appowner", "", access.None)
	e.op(204, "PUT", "/v1/accounts/"+ownerID+"/appliance-role", map[string]string{"role": "owner"})
	tok, _ = e.login(ownerID)
	applianceOwner := &principal{name: "appliance-owner/session", token: tok, account: ownerID}
	callers = append(callers, applianceOwner)

	// The 404 every hidden workspace must match: a missing object.
	missing := e.as(callers[7].token, "GET", "/v1/workspaces/alpha/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", nil)
	if missing.Status != 404 {
		t.Fatalf("missing event: %d %s", missing.Status, missing.Body)
	}
	gone := strings.Replace(string(missing.Body), missing.ID, "", 1)

	cases, events := 0, 0
	for _, rt := range matrixRoutes() {
		for _, p := range callers {
			workspaces := []string{"alpha", "beta"}
			if rt.appliance || rt.min == access.None && !strings.Contains(rt.pattern, "{ws}") {
				workspaces = []string{""}
			}
			for _, ws := range workspaces {
				cases++
				name := fmt.Sprintf("%s %s as %s in %s", rt.method, rt.pattern, p.name, ws)
				pathStr, body := rt.req(e, ws, p)
				r := e.as(p.token, rt.method, pathStr, body)

				want := rt.ok
				switch {
				case rt.appliance:
					if p != applianceOwner {
						want = 403
					}
				case ws == "":
				case ws == "beta" || p.role == access.None:
					want = 404
				case p.role < rt.min || rt.noKeys && p.key:
					want = 403
				}
				if r.Status != want {
					t.Errorf("%s: status %d, want %d (%s)", name, r.Status, want, r.Body)
					continue
				}
				if want >= 400 && r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s: error without a JSON body", name)
				}

				// The audit record the request left.
				switch {
				case want == 404:
					if got := strings.Replace(string(r.Body), r.ID, "", 1); got != gone {
						t.Errorf("%s: the 404 differs from a missing object's:\n%s\n%s", name, got, gone)
					}
					for _, l := range []string{"alpha", "beta"} {
						if evs := e.eventsWithRequest(l, r.ID); len(evs) != 0 {
							t.Errorf("%s: %d events in %s for a refused request", name, len(evs), l)
						}
					}
					if evs := e.eventsWithRequest("system", r.ID); len(evs) != 1 || evs[0].Type != "authz.refused" {
						t.Errorf("%s: refusal not recorded in the system ledger (%d events)", name, len(evs))
					}
				case want == 403 && ws != "":
					evs := e.eventsWithRequest(ws, r.ID)
					if len(evs) != 1 || evs[0].Type != "access.denied" || evs[0].Attrs["outcome"] != "denied" || evs[0].Actor != actorOf(p) {
						t.Errorf("%s: want one access.denied event by %s, got %v", name, actorOf(p), types(evs))
					}
				case want == 403:
					if evs := e.eventsWithRequest("system", r.ID); len(evs) != 1 || evs[0].Type != "authz.refused" {
						t.Errorf("%s: refusal not recorded in the system ledger (%v)", name, types(evs))
					}
				case ws != "":
					evs := e.eventsWithRequest(ws, r.ID)
					if rt.phi {
						if len(evs) == 0 {
							t.Errorf("%s: no access event for a read", name)
						}
						for _, ev := range evs {
							if !strings.HasPrefix(ev.Type, "access.") || ev.Attrs["outcome"] != "success" || ev.Actor != actorOf(p) ||
								ev.Attrs["purpose"] == "" || ev.Attrs["resource"] == "" || !strings.HasPrefix(ev.Entity, "audit/") {
								t.Errorf("%s: access event %s %v", name, ev.Type, ev.Attrs)
							}
						}
					} else if len(evs) != 0 {
						t.Errorf("%s: unexpected events %v", name, types(evs))
					}
				}
				events++
			}
		}
	}
	t.Logf("%d cases (%d routes × %d callers × own/other workspace), %d audit checks", cases, len(matrixRoutes()), len(callers), events)
}

func actorOf(p *principal) string {
	if p.key {
		return "apikey/" + p.token[len("fdk_"):len("fdk_")+16]
	}
	return "account/" + p.account
}

func types(evs []*ledger.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}
