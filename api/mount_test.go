package api_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"frontdesk/api"
	"frontdesk/gate/access"
)

// TestMountedRouteAndGracefulShutdown mounts a route the way another
// package would, checks that the server authorizes it, and shuts down
// while a request is in flight: the request finishes, with its access
// event durable, before Shutdown returns.
func TestMountedRouteAndGracefulShutdown(t *testing.T) {
	e := newEnv(t)
	entered, release := make(chan struct{}), make(chan struct{})
	err := e.srv.Mount(
		api.Route{Method: "GET", Pattern: "/v1/workspaces/{ws}/review/slow", Workspace: true, Capability: access.HandleReview,
			Handler: func(w http.ResponseWriter, r *http.Request, c *api.Call) {
				close(entered)
				<-release
				if err := c.Record(r.Context(), api.Access{Action: "read", Resource: "review/slow", Patient: "patient/8"}); err != nil {
					c.Fail(w, err)
					return
				}
				c.JSON(w, http.StatusOK, map[string]string{"workspace": c.Workspace, "role": c.Role.String()})
			}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Mount(api.Route{Method: "GET", Pattern: "/v1/workspaces/{ws}/review/slow", Workspace: true, Handler: func(http.ResponseWriter, *http.Request, *api.Call) {}}); err == nil {
		t.Fatal("a pattern was mounted twice")
	}
	if err := e.srv.Mount(api.Route{Method: "GET", Pattern: "/v1/review", Workspace: true, Handler: func(http.ResponseWriter, *http.Request, *api.Call) {}}); err == nil {
		t.Fatal("a workspace route outside /v1/workspaces/{ws} was mounted")
	}
	viewerTok, _ := e.login(e.account("viewer", "alpha", access.Viewer))
	if r := e.as(viewerTok, "GET", "/v1/workspaces/alpha/review/slow", nil); r.Status != 403 {
		t.Fatalf("a viewer used a member route: %d", r.Status)
	}
	memberTok, _ := e.login(e.account("member", "alpha", access.Member))
	key := e.key(memberTok, "alpha", access.Member)

	addr := serveTLS(t, e.srv)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool(t, e)}}}
	type result struct {
		status int
		id     string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", "https://"+addr+"/v1/workspaces/alpha/review/slow", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- result{status: resp.StatusCode, id: resp.Header.Get("X-Request-Id")}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- e.srv.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	res := <-got
	if res.err != nil || res.status != 200 {
		t.Fatalf("in-flight request: %d %v", res.status, res.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	evs := e.eventsWithRequest("alpha", res.id)
	if len(evs) != 1 || evs[0].Entity != "audit/patient/8" {
		t.Fatalf("the in-flight request's access event: %v", evs)
	}
	if _, err := client.Get("https://" + addr + "/v1/health"); err == nil {
		t.Fatal("served after shutdown")
	}
}

func TestWorkspaceIsolationAgainstGuessedIDs(t *testing.T) {
	e := newEnv(t)
	betaEvent := e.seedPatient("beta", "patient/77", map[string]string{"name": "Beta Only"})
	betaOwner := e.account("betaowner", "beta", access.Owner)
	var bk struct{ Key access.APIKey }
	e.op(201, "POST", "/v1/workspaces/beta/keys", map[string]string{"role": "viewer", "account": betaOwner}).decode(t, &bk)

	ownerTok, _ := e.login(e.account("alphaowner", "alpha", access.Owner))
	key := e.key(ownerTok, "alpha", access.Owner)
	missing := e.as(key, "GET", "/v1/workspaces/alpha/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", nil)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/workspaces/alpha/events/" + betaEvent},
		{"GET", "/v1/workspaces/alpha/history/patient/77"},
		{"GET", "/v1/workspaces/alpha/state/patient/77"},
		{"DELETE", "/v1/workspaces/alpha/keys/" + bk.Key.ID},
		{"DELETE", "/v1/workspaces/alpha/members/" + betaOwner},
		{"GET", "/v1/workspaces/beta/events/" + betaEvent},
		{"GET", "/v1/workspaces/gamma/events/" + betaEvent},
	} {
		for _, tok := range []string{ownerTok, key} {
			r := e.as(tok, c.method, c.path, nil)
			if r.Status != 404 || r.errorCode() != missing.errorCode() {
				t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
	}
	var list struct{ Events []struct{ Workspace string } }
	e.as(key, "GET", "/v1/workspaces/alpha/events?limit=1000", nil).decode(t, &list)
	for _, ev := range list.Events {
		if ev.Workspace != "alpha" {
			t.Fatalf("alpha's list holds an event of %s", ev.Workspace)
		}
	}
	var wss struct{ Workspaces []struct{ ID string } }
	e.as(key, "GET", "/v1/workspaces", nil).decode(t, &wss)
	if len(wss.Workspaces) != 1 || wss.Workspaces[0].ID != "alpha" {
		t.Fatalf("an alpha key lists %v", wss.Workspaces)
	}
	var ents struct{ Entities []string }
	e.as(key, "GET", "/v1/workspaces/alpha/entities", nil).decode(t, &ents)
	for _, en := range ents.Entities {
		if en == "patient/77" {
			t.Fatal("alpha's entities include beta's patient")
		}
	}
}

// TestAccessLogHiddenFromEventEndpoints checks that the appliance's own
// records (access events, break-glass reasons, secrets' metadata) are not
// readable through the event endpoints, which only need read-events.
func TestAccessLogHiddenFromEventEndpoints(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/1", map[string]string{"name": "Logged Patient"})
	e.op(201, "PUT", "/v1/workspaces/alpha/secrets/ehr-token", map[string]string{"value": "sk-x"})
	viewerTok, _ := e.login(e.account("viewer", "alpha", access.Viewer))
	read := e.as(viewerTok, "GET", "/v1/workspaces/alpha/state/patient/1", nil)
	if read.Status != 200 {
		t.Fatalf("read: %d", read.Status)
	}
	accessEvent := e.eventsWithRequest("alpha", read.ID)[0]
	for _, p := range []string{
		"/v1/workspaces/alpha/history/audit/patient/1",
		"/v1/workspaces/alpha/state/audit/patient/1",
		"/v1/workspaces/alpha/history/secret/ehr-token",
		"/v1/workspaces/alpha/events/" + accessEvent.ID,
	} {
		if r := e.as(viewerTok, "GET", p, nil); r.Status != 404 {
			t.Errorf("GET %s as a viewer: %d", p, r.Status)
		}
	}
	var list struct{ Events []struct{ Entity string } }
	e.as(viewerTok, "GET", "/v1/workspaces/alpha/events?limit=1000", nil).decode(t, &list)
	if len(list.Events) == 0 {
		t.Fatal("no events listed")
	}
	for _, ev := range list.Events {
		if strings.HasPrefix(ev.Entity, "audit/") || strings.HasPrefix(ev.Entity, "secret/") {
			t.Fatalf("the event list shows %s", ev.Entity)
		}
	}
	e.as(viewerTok, "GET", "/v1/workspaces/alpha/events?entity_prefix=audit/", nil).decode(t, &list)
	if len(list.Events) != 0 {
		t.Fatalf("entity_prefix=audit/ lists %d events", len(list.Events))
	}
	if r := e.as(viewerTok, "POST", "/v1/workspaces/alpha/proofs", map[string]any{"seqs": []uint64{accessEvent.Seq}}); r.Status != 403 {
		t.Fatalf("a viewer proved an access event: %d", r.Status)
	}
	adminTok, _ := e.login(e.account("admin", "alpha", access.Admin))
	if r := e.as(adminTok, "POST", "/v1/workspaces/alpha/proofs", map[string]any{"seqs": []uint64{accessEvent.Seq}}); r.Status != 200 {
		t.Fatalf("an admin proving an access event: %d %s", r.Status, r.Body)
	}
}
