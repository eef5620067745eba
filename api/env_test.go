package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/api"
	"frontdesk/api/callsapi"
	"frontdesk/api/connectorsapi"
	"frontdesk/api/reviewapi"
	"frontdesk/appliance"
	"frontdesk/crypto"
	"frontdesk/gate/access"
	"frontdesk/gate/egress"
	"frontdesk/gate/logs"
	"frontdesk/ledger"
)

// clock is a settable time source. Each reading advances it by a
// microsecond, as time passes between two readings of a real clock (the
// ledger orders recorded times, and as-of reads compare with now).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var cheapPasswords = crypto.PasswordParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

const password = "violet-harbour-lantern-42"

// env is an appliance with workspaces alpha and beta and its API.
type env struct {
	t     testing.TB
	clock *clock
	app   *appliance.Appliance
	srv   *api.Server
	h     http.Handler
	local http.Handler
	logs  *syncBuffer
	n     int
	mu    sync.Mutex
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	var err error
	e.app, err = appliance.Init(appliance.Config{DataDir: t.TempDir(), Now: e.clock.Now},
		appliance.InitOptions{Workspace: "alpha", Hosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.app.Close() })
	if err := e.app.CreateWorkspace(context.Background(), "beta", "Beta clinic", "test"); err != nil {
		t.Fatal(err)
	}
	log := logs.New(logs.Options{Out: e.logs, Format: "json", Level: -1, Redact: logs.PHIRedactor(nil)})
	e.srv, err = api.New(e.app, api.Config{}, access.Config{Password: &cheapPasswords, Now: e.clock.Now}, log)
	if err != nil {
		t.Fatal(err)
	}
	// The modules other packages mount, as serve mounts them.
	gate, err := egress.New(egress.Config{}, egress.Options{Recorder: func(string) (egress.Recorder, error) { return e.app.System(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gate.Close)
	recordings := t.TempDir()
	routes := append(reviewapi.Routes(), callsapi.Routes(func(string) string { return recordings }, nil)...)
	if err := e.srv.Mount(append(routes, connectorsapi.Routes(gate)...)...); err != nil {
		t.Fatal(err)
	}
	e.h = e.srv.Handler()
	e.local = e.srv.LocalHandler("tester")
	return e
}

// reply is a recorded response.
type reply struct {
	Status int
	Body   []byte
	Header http.Header
	ID     string
}

func (r *reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d %s: %v", r.Status, r.Body, err)
	}
}

func (r *reply) errorCode() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// do sends one request to h. body may be nil, a string (sent as is) or a
// value (sent as JSON).
func do(h http.Handler, method, path, token string, body any) *reply {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return &reply{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header(), ID: rec.Header().Get("X-Request-Id")}
}

func (e *env) as(token, method, path string, body any) *reply {
	return do(e.h, method, path, token, body)
}

// op runs a request as the local operator and insists on status.
func (e *env) op(status int, method, path string, body any) *reply {
	e.t.Helper()
	r := do(e.local, method, path, "", body)
	if r.Status != status {
		e.t.Fatalf("%s %s as the local operator: %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	return r
}

func (e *env) seq() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	return e.n
}

// account creates an account (role in ws, if any) and returns its ID.
func (e *env) account(prefix string, ws string, role access.Role) string {
	e.t.Helper()
	req := map[string]any{"email": fmt.Sprintf("%s.%d@clinic.example", prefix, e.seq()), "password": password}
	if role != access.None {
		req["workspace"], req["role"] = ws, role.String()
	}
	var out struct{ Account access.Account }
	e.op(201, "POST", "/v1/accounts", req).decode(e.t, &out)
	return out.Account.ID
}

func (e *env) email(id string) string {
	e.t.Helper()
	var a access.Account
	e.op(200, "GET", "/v1/accounts/"+id, nil).decode(e.t, &a)
	return a.Email
}

// login signs account id in, enrolling a second factor first when its role
// needs one; it returns the session token and the TOTP secret.
func (e *env) login(id string) (string, string) {
	e.t.Helper()
	email := e.email(id)
	var res access.LoginResult
	r := e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": password})
	if r.Status != 200 {
		e.t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	r.decode(e.t, &res)
	if len(res.Pending) == 0 {
		return res.Token, ""
	}
	var en access.MFAEnrolment
	e.as(res.Token, "POST", "/v1/session/mfa", nil).decode(e.t, &en)
	code, _ := crypto.DefaultTOTP.TOTPCode(en.Secret, e.clock.Now())
	if r := e.as(res.Token, "POST", "/v1/session/mfa/confirm", map[string]string{"code": code}); r.Status != 200 {
		e.t.Fatalf("confirm MFA: %d %s", r.Status, r.Body)
	}
	return e.loginTOTP(email, en.Secret), en.Secret
}

func (e *env) loginTOTP(email, secret string) string {
	e.t.Helper()
	e.clock.Advance(30 * time.Second)
	code, _ := crypto.DefaultTOTP.TOTPCode(secret, e.clock.Now())
	var res access.LoginResult
	r := e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": password, "totp": code})
	if r.Status != 200 {
		e.t.Fatalf("login with TOTP: %d %s", r.Status, r.Body)
	}
	r.decode(e.t, &res)
	if len(res.Pending) != 0 {
		e.t.Fatalf("pending after MFA login: %v", res.Pending)
	}
	return res.Token
}

// key creates an API key with role in ws through token's session.
func (e *env) key(token, ws string, role access.Role) string {
	e.t.Helper()
	r := e.as(token, "POST", "/v1/workspaces/"+ws+"/keys", map[string]string{"role": role.String()})
	if r.Status != 201 {
		e.t.Fatalf("create %s key: %d %s", role, r.Status, r.Body)
	}
	var out struct{ Token string }
	r.decode(e.t, &out)
	return out.Token
}

// ledger returns workspace ws's ledger ("system" for the system ledger).
func (e *env) ledger(ws string) *ledger.Ledger {
	e.t.Helper()
	l, err := e.app.Ledger(ws)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// eventsWithRequest returns the events of ledger ws recorded for request id.
func (e *env) eventsWithRequest(ws, id string) []*ledger.Event {
	e.t.Helper()
	l := e.ledger(ws)
	var out []*ledger.Event
	var after *uint64
	for {
		evs, err := l.Find(ledger.Query{After: after, Limit: 1000}, ledger.ReadOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Attrs["request_id"] == id {
				out = append(out, ev)
			}
		}
		if len(evs) < 1000 {
			return out
		}
		last := evs[len(evs)-1].Seq
		after = &last
	}
}

// seedPatient records a patient event with PHI in ws and returns its ID.
func (e *env) seedPatient(ws, patient string, phi map[string]string) string {
	e.t.Helper()
	var out struct{ ID string }
	e.op(201, "POST", "/v1/workspaces/"+ws+"/events", map[string]any{
		"entity": patient, "type": "patient.registered", "source": "ehr", "attrs": map[string]string{"clinic": ws}, "phi": phi,
	}).decode(e.t, &out)
	return out.ID
}

// doCT sends a raw body with a given content type.
func doCT(h http.Handler, method, path, body, ctype string) *reply {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return &reply{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header(), ID: rec.Header().Get("X-Request-Id")}
}
