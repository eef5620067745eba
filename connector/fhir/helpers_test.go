package fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/connector/fhir"
	"frontdesk/connector/fhir/fhirtest"
	"frontdesk/gate/egress"
	"frontdesk/gate/review"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

const testToken = "test-ehr-token-5b2f0c"

// secrets is a SecretSource over a map.
type secrets map[string]string

func (s secrets) Secret(_ context.Context, name string) (string, error) {
	v, ok := s[name]
	if !ok {
		return "", errors.New("no such secret")
	}
	return v, nil
}

// clock is a settable clock for the connector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a workspace ledger, an egress gate to a FHIR server and a
// connector.
type env struct {
	t     *testing.T
	l     *ledger.Ledger
	gate  *egress.Gate
	srv   *fhirtest.Server
	conn  *fhir.Connector
	clock *clock
}

// newEnv starts the FHIR server (loading bundles) and wires a connector to it.
func newEnv(t *testing.T, cfg fhir.Config, load ...string) *env {
	t.Helper()
	srv := fhirtest.Start(t, fhirtest.Options{Token: testToken, Load: load})
	e := &env{t: t, l: testkit.Ledger(t, "clinic"), srv: srv, clock: &clock{t: time.Now()}}
	e.gate = newGate(t, e.l, srv.Base, secrets{"ehr-token": testToken})
	conn, err := fhir.New(e.l, e.gate, cfg, fhir.Options{Appliance: "appliance-test-1", Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e.conn = conn
	return e
}

// newGate returns a gate with one baa destination "ehr" at base.
func newGate(t testing.TB, l *ledger.Ledger, base string, s egress.SecretSource) *egress.Gate {
	t.Helper()
	g, err := egress.New(egress.Config{Destinations: []egress.Destination{{
		Name: "ehr", Class: egress.ClassBAA, BaseURL: base,
		BAA:  &egress.BAA{SignedBy: "Clinic Owner (test)", SignedAt: time.Now().Add(-24 * time.Hour)},
		Auth: &egress.Auth{Scheme: "Bearer", Secret: "ehr-token"}, RetryBase: egress.Duration(time.Millisecond),
	}}}, egress.Options{
		Recorder: func(string) (egress.Recorder, error) { return l, nil },
		Secrets:  s,
		Sleep:    func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

// fhirDo sends a request to the test server directly (the test's own
// client, standing in for the EHR's users) and decodes the JSON answer.
func (e *env) fhirDo(method, path string, body any, header map[string]string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	url := e.srv.Base + "/" + path
	if strings.HasPrefix(path, "/") {
		url = e.srv.Origin + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/fhir+json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// search returns the resources of a search on the server.
func (e *env) search(query string) []map[string]any {
	e.t.Helper()
	st, b := e.fhirDo("GET", query, nil, nil)
	if st != 200 {
		e.t.Fatalf("search %s: HTTP %d: %v", query, st, b)
	}
	var out []map[string]any
	entries, _ := b["entry"].([]any)
	for _, x := range entries {
		out = append(out, x.(map[string]any)["resource"].(map[string]any))
	}
	return out
}

// failNext makes the server fail the next n requests with status.
func (e *env) failNext(n, status int) {
	e.t.Helper()
	st, _ := e.fhirDo("POST", "/__control/fail", map[string]int{"count": n, "status": status}, nil)
	if st != 200 {
		e.t.Fatalf("control: HTTP %d", st)
	}
}

// state folds an entity with PHI.
func state(t testing.TB, l *ledger.Ledger, entity string) *ledger.State {
	t.Helper()
	st, err := l.AsOf(entity, time.Time{}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// field returns a field of an entity's state.
func field(t testing.TB, l *ledger.Ledger, entity, name string) string {
	t.Helper()
	return state(t, l, entity).Fields[name].Value
}

// events returns the events of type typ.
func events(t testing.TB, l *ledger.Ledger, typ string) []*ledger.Event {
	t.Helper()
	evs, err := l.Find(ledger.Query{Type: typ, Limit: 100000}, ledger.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// importFiles imports bundles into l.
func importFiles(t testing.TB, l *ledger.Ledger, paths ...string) fhir.Stats {
	t.Helper()
	var total fhir.Stats
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := fhir.ImportBundle(context.Background(), l, f)
		f.Close()
		if err != nil {
			t.Fatalf("import %s: %v", p, err)
		}
		total.Add(st)
	}
	return total
}

// reviewer approves items in tests.
var reviewer = review.Reviewer{Actor: "account/reviewer-7", Role: "member"}

// requireHuman makes every pharmacy, phone, address and appointment fact
// need a reviewer's approval.
func requireHuman(t testing.TB, l *ledger.Ledger) {
	t.Helper()
	p, _, err := review.LoadPolicy(l)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pharmacy", "phone", "address", "appointment"} {
		if !slices.Contains(p.AlwaysReview, f) {
			p.AlwaysReview = append(p.AlwaysReview, f)
		}
	}
	if _, err := review.SavePolicy(context.Background(), l, p, "account/admin-1"); err != nil {
		t.Fatal(err)
	}
}

// statedFact records what a caller said and the fact extracted from it,
// judges it, and approves its review item; it returns the fact.
func statedFact(t testing.TB, l *ledger.Ledger, patient, fieldName, value, said string) *ledger.Event {
	t.Helper()
	ctx := context.Background()
	turn, err := l.Append(ctx, ledger.Event{
		Entity: "call/c-" + fieldName, Type: "call.turn", Source: ledger.SourceVoice, Confidence: 0.5, Actor: "agent",
		Attrs: map[string]string{"speaker": "caller"}, PHI: map[string]string{review.TurnText: said},
	})
	if err != nil {
		t.Fatal(err)
	}
	fact, err := review.RecordFact(ctx, l, review.Fact{
		Entity: patient, Type: "patient." + fieldName + "-stated", Field: fieldName, Value: value,
		Source: ledger.SourceVoice, Call: turn.Entity, TurnEvent: turn.ID, Actor: "agent",
	})
	if err != nil {
		t.Fatal(err)
	}
	j, err := review.JudgeFact(ctx, l, review.LocalJudge{}, fact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Item == nil {
		t.Fatalf("judging the %s fact opened no review item (outcome %s)", fieldName, j.Verdict.Outcome)
	}
	if _, err := review.Approve(ctx, l, j.Item.ID, reviewer, review.Resolution{Reason: "confirmed-with-caller"}); err != nil {
		t.Fatal(err)
	}
	return fact
}

// mayWrite asks the gates about an event.
func mayWrite(t testing.TB, l *ledger.Ledger, id string) review.Decision {
	t.Helper()
	d, err := review.MayWrite(l, id, "ehr")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
