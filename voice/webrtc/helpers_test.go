package webrtc

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/call"
	"frontdesk/voice/switchboard"
)

// loopbackPeer gathers 127.0.0.1 only: nothing in the tests leaves the
// machine.
func loopbackPeer() Config {
	return Config{IncludeLoopback: true, IPFilter: func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) }}
}

// userHeader stands in for the API layer's authentication in tests: the
// identity is whatever the request says.
const userHeader = "X-Test-User"

func identity(r *http.Request) string { return r.Header.Get(userHeader) }

// serve runs a handler on a loopback HTTP server; both close when the test
// ends.
func serve(t testing.TB, cfg HandlerConfig) (*Handler, *httptest.Server) {
	t.Helper()
	if cfg.Peer.IPFilter == nil {
		p := loopbackPeer()
		p.ConnectTimeout = cfg.Peer.ConnectTimeout
		cfg.Peer = p
	}
	if cfg.Identity == nil {
		cfg.Identity = identity
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /calls", h)
	mux.Handle("DELETE /calls/{id}", h)
	mux.Handle("PATCH /calls/{id}", h)
	mux.Handle("GET /call", PageHandler("/calls"))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return h, srv
}

// startSwitchboard is a WebRTC-only switchboard on a fresh ledger running
// d, and a handler whose calls it answers.
func startSwitchboard(t testing.TB, d switchboard.Dialogue) (*ledger.Ledger, *Handler, *httptest.Server) {
	t.Helper()
	l := testkit.Ledger(t, "clinic")
	rec, syn := testkit.Engines(t)
	sb, err := switchboard.New(switchboard.Config{}, l, rec, syn, d)
	if err != nil {
		t.Fatal(err)
	}
	h, srv := serve(t, HandlerConfig{Answer: func(ctx context.Context, line call.Line, from string) {
		sb.Answer(ctx, line, from, "receptionist")
	}})
	// Registered after serve, so it runs first: calls end before the
	// handler closes.
	t.Cleanup(func() { sb.Close() })
	return l, h, srv
}

// dumpLedger logs the call events, for a failing test.
func dumpLedger(t testing.TB, l *ledger.Ledger) {
	t.Helper()
	evs, _ := l.Find(ledger.Query{EntityPrefix: "call/"}, ledger.ReadOptions{PHI: true})
	for _, e := range evs {
		t.Logf("%s %v %v", e.Type, e.Attrs, e.PHI)
	}
}

// eventually polls cond until it holds or the time is up.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

func voiceGrammar(phrases ...string) voice.Grammar {
	return voice.Grammar{Name: "test", Phrases: phrases}
}
