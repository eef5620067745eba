package sip

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tortureStatus is the final status the agent answers each RFC 4475
// message with, over UDP and over TCP; 0 means no answer (responses are
// not answered, unparseable messages without the headers a response
// copies are dropped, and over TCP a Content-Length beyond the data just
// waits for more).
var tortureStatus = map[string]struct{ udp, tcp int }{
	// RFC 4475 §3.1.1: valid messages.
	"valid/dblreq":     {405, 405}, // REGISTER; over UDP the INVITE after it is noise
	"valid/esc01":      {200, 200},
	"valid/esc02":      {501, 501}, // RE%47IST%45R is not REGISTER
	"valid/escnull":    {405, 405},
	"valid/intmeth":    {501, 501},
	"valid/longreq":    {200, 200},
	"valid/lwsdisp":    {200, 200},
	"valid/mpart01":    {405, 405},
	"valid/noreason":   {0, 0},
	"valid/semiuri":    {200, 200},
	"valid/transports": {200, 200},
	"valid/unreason":   {0, 0},
	"valid/wsinv":      {400, 400}, // sipgo misreads "tag = x", so its RFC 2543 branch has no transaction key
	// §3.1.2 and §3.3: invalid messages, and sipgo's own test.dat.
	"invalid/badaspec":   {400, 400},
	"invalid/badbranch":  {400, 400},
	"invalid/baddate":    {200, 200}, // the Date header is not used, so not checked
	"invalid/baddn":      {400, 0},   // no blank line: a datagram ends the headers, a stream waits
	"invalid/badinv01":   {400, 400},
	"invalid/badvers":    {505, 505},
	"invalid/bcast":      {0, 0},
	"invalid/bext01":     {420, 420},
	"invalid/bigcode":    {0, 0},
	"invalid/clerr":      {400, 0},
	"invalid/cparam01":   {405, 405}, // the agent is not a registrar
	"invalid/cparam02":   {405, 405},
	"invalid/escruri":    {400, 400},
	"invalid/insuf":      {400, 400},
	"invalid/inv2543":    {400, 400},
	"invalid/invut":      {415, 415},
	"invalid/ltgtruri":   {400, 400},
	"invalid/lwsruri":    {400, 400},
	"invalid/lwsstart":   {400, 400},
	"invalid/mcl01":      {400, 400},
	"invalid/mismatch01": {400, 400},
	"invalid/mismatch02": {400, 400},
	"invalid/multi01":    {400, 400},
	"invalid/ncl":        {400, 400},
	"invalid/novelsc":    {416, 416},
	"invalid/quotbal":    {400, 400},
	"invalid/regaut01":   {405, 405},
	"invalid/regbadct":   {405, 405},
	"invalid/regescrt":   {405, 405},
	"invalid/scalar02":   {400, 400},
	"invalid/scalarlg":   {0, 0},
	"invalid/sdp01":      {406, 406},
	"invalid/test":       {0, 0},
	"invalid/trws":       {400, 400},
	"invalid/unkscm":     {416, 416},
	"invalid/unksm2":     {405, 405},
	"invalid/zeromf":     {200, 200}, // OPTIONS at zero hops is answered by an endpoint
}

func tortureFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../../testdata/sip/torture/*/*.dat")
	if err != nil || len(files) == 0 {
		t.Fatalf("no torture messages: %v", err)
	}
	out := make(map[string][]byte)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + strings.TrimSuffix(filepath.Base(f), ".dat")
		out[name] = b
	}
	return out
}

func TestTortureMessages(t *testing.T) {
	t.Parallel()
	msgs := tortureFiles(t)
	if len(msgs) != len(tortureStatus) {
		t.Errorf("%d torture files, %d expectations", len(msgs), len(tortureStatus))
	}
	for _, tr := range []string{"udp", "tcp"} {
		for name, msg := range msgs {
			want, ok := tortureStatus[name]
			if !ok {
				t.Errorf("no expectation for %s", name)
				continue
			}
			t.Run(tr+"/"+name, func(t *testing.T) {
				t.Parallel()
				// A fresh agent per message: the corpus reuses branches,
				// so on one agent some messages would be retransmissions
				// of others' transactions.
				a := startAgent(t, testConfig(), newTestHandler(nil))
				w := want.udp
				if tr == "tcp" {
					w = want.tcp
				}
				wait := 3 * time.Second
				if w == 0 {
					wait = 700 * time.Millisecond
				}
				rs := rawExchange(t, tr, a.Addr(tr).String(), msg, wait)
				got := finalStatus(rs)
				if name == "valid/dblreq" && tr == "tcp" && got == 400 {
					// Over a stream the INVITE after the REGISTER is a
					// second request (without Contact); either answer may
					// come first.
					got = w
				}
				if got != w {
					t.Errorf("status %d, want %d (%v)", got, w, rs)
				}
				if s := a.Stats(); s.Panics != 0 {
					t.Errorf("%d handler panics", s.Panics)
				}
			})
		}
	}
}

// TestTortureSoak sends the whole corpus, twice over, at one agent on UDP
// and TCP at once, then checks that real calls still work.
func TestTortureSoak(t *testing.T) {
	t.Parallel()
	msgs := tortureFiles(t)
	h := newTestHandler(func(ctx context.Context, c *Call) { <-ctx.Done() })
	a := startAgent(t, testConfig(), h)
	var wg sync.WaitGroup
	for _, tr := range []string{"udp", "tcp"} {
		for _, msg := range msgs {
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rawExchange(t, tr, a.Addr(tr).String(), msg, 500*time.Millisecond)
				}()
			}
		}
	}
	wg.Wait()
	if s := a.Stats(); s.Panics != 0 || s.Malformed == 0 || s.Invalid == 0 {
		t.Errorf("stats after the soak = %+v, want no panics and some refusals", s)
	}
	for _, tr := range []string{"udp", "tcp"} {
		tally := &mediaTally{}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		o, err := Dial(ctx, agentURI(a, tr), DialOptions{Transport: tr})
		if err != nil {
			cancel()
			t.Fatalf("%s call after torture: %v", tr, err)
		}
		go tally.drain(o.Media())
		var c *Call
		for c == nil || c.SIPCallID() != o.SIPCallID() {
			c = recv(t, "call", h.calls, 5*time.Second)
		}
		go func() { _ = sendTone(ctx, c.Media(), 25) }()
		waitFor(t, "audio after torture", 5*time.Second, func() bool { n, _, _ := tally.snapshot(); return n >= 10 })
		_ = o.Hangup()
		cancel()
	}
}
