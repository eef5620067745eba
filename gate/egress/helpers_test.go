package egress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/testkit"
)

// Canary PHI planted in payloads. The values are synthetic: 555 numbers,
// the SSN printed on sample cards, an invented MRN.
var canaries = []string{
	"Maria Gonzalez", "Gonzalez", "03/14/1980", "555-201-7788", "5552017788",
	"123-45-6789", "123456789", "00482913",
}

// canaryTurn is a caller's turn holding every canary.
const canaryTurn = "Hi, this is Maria Gonzalez, date of birth 03/14/1980. Call me back at 555-201-7788. " +
	"My SSN is 123-45-6789 and my MRN is 00482913."

// assertNoCanary fails if b holds any canary.
func assertNoCanary(t testing.TB, what string, b []byte) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(string(b), c) {
			t.Errorf("%s holds canary %q", what, c)
		}
	}
}

// hit is one request a test server received.
type hit struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// server is a loopback HTTP server that records every request and answers
// with its handler (default: 200 echoing the body).
type server struct {
	*httptest.Server
	mu      sync.Mutex
	hits    []hit
	handler func(w http.ResponseWriter, r *http.Request, body []byte, n int)
}

func newServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request, body []byte, n int)) *server {
	s := &server{handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.hits = append(s.hits, hit{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	n := len(s.hits)
	s.mu.Unlock()
	if s.handler != nil {
		s.handler(w, r, body, n)
		return
	}
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	w.Write(body)
}

func (s *server) requests() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

// allBytes returns everything the server received: bodies, paths, queries
// and header values.
func (s *server) allBytes() []byte {
	var b []byte
	for _, h := range s.requests() {
		b = append(b, h.Method+" "+h.Path+"?"+h.RawQuery+"\n"...)
		for k, vs := range h.Header {
			b = append(b, k+": "+strings.Join(vs, ",")+"\n"...)
		}
		b = append(b, h.Body...)
	}
	return b
}

// ledgers are the test's real ledgers (testkit.Ledgers), with the
// recorder the gate asks for.
type ledgers struct{ *testkit.Ledgers }

func newLedgers(t testing.TB) ledgers { return ledgers{testkit.NewLedgers(t)} }

func (ls ledgers) recorder(ws string) (Recorder, error) { return ls.Get(ws), nil }

// secrets is an in-memory SecretSource.
type secrets map[string]string

func (s secrets) Secret(_ context.Context, name string) (string, error) {
	v, ok := s[name]
	if !ok {
		return "", errors.New("no secret " + name)
	}
	return v, nil
}

// sleeps records the waits the gate asks for without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

var signed = &BAA{SignedBy: "Clinic Privacy Officer", SignedAt: time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), Reference: "BAA-2024-001"}

// fixture is a gate with a baa, a redacted and an ids-only destination, all
// pointing at one recording server.
type fixture struct {
	gate   *Gate
	srv    *server
	ls     ledgers
	sleeps *sleeps
}

func newFixture(t testing.TB, h func(w http.ResponseWriter, r *http.Request, body []byte, n int), mod func(*Destination)) *fixture {
	t.Helper()
	srv := newServer(t, h)
	ls := newLedgers(t)
	sl := &sleeps{}
	dests := []Destination{
		{Name: "llm-baa", Class: ClassBAA, BaseURL: srv.URL + "/v1", BAA: signed},
		{Name: "llm-redacted", Class: ClassRedacted, BaseURL: srv.URL + "/v1"},
		{Name: "alerts", Class: ClassIDsOnly, BaseURL: srv.URL + "/hooks"},
	}
	for i := range dests {
		dests[i].RetryBase = Duration(time.Millisecond)
		if mod != nil {
			mod(&dests[i])
		}
	}
	g, err := New(Config{Destinations: dests}, Options{Recorder: ls.recorder, Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return &fixture{gate: g, srv: srv, ls: ls, sleeps: sl}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
