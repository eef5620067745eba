package sip

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sippScenario returns the absolute path of a scenario in testdata/sip/sipp.
func sippScenario(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sip", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freeMediaPort returns an even UDP port below the kernel's ephemeral
// range (so no socket bound to port 0 can take it meanwhile) whose next
// three ports were free too, for a peer's RTP and RTCP.
func freeMediaPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := 10000 + 2*mrand.IntN(4900)
		ok := true
		for p := port; p < port+4; p++ {
			c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no free media port")
	return 0
}

// freeSIPPort returns a port below the ephemeral range that was free for
// both UDP and TCP a moment ago, for a peer's SIP socket. (SIPp falls back
// to 5060 over TCP, which parallel runs would share.)
func freeSIPPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := 5100 + mrand.IntN(4800)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			continue
		}
		c.Close()
		return port
	}
	t.Fatal("no free SIP port")
	return 0
}

// sippRun runs SIPp against the agent and returns its output; the process
// is killed if it overruns.
type sippRun struct {
	transport string
	scenario  string
	calls     int
	rate      int           // calls per second
	limit     int           // simultaneous calls
	pause     time.Duration // -d, the scenario's <pause/>
	timeout   time.Duration
	extra     []string
}

func (r sippRun) run(t testing.TB, a *Agent) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("SIPp tests run without -short")
	}
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp (sip-tester) is not installed")
	}
	if r.calls == 0 {
		r.calls = 1
	}
	if r.timeout == 0 {
		r.timeout = 60 * time.Second
	}
	mode := "u1"
	if r.transport == "tcp" {
		mode = "t1"
	}
	args := []string{
		a.Addr(r.transport).String(),
		"-sf", sippScenario(t, r.scenario),
		"-t", mode,
		"-i", "127.0.0.1",
		"-p", strconv.Itoa(freeSIPPort(t)),
		"-mi", "127.0.0.1",
		"-mp", strconv.Itoa(freeMediaPort(t)),
		"-m", strconv.Itoa(r.calls),
		"-nostdin",
		"-timeout", fmt.Sprintf("%ds", int(r.timeout.Seconds())),
		"-timeout_error",
		"-trace_err",
	}
	if r.rate > 0 {
		args = append(args, "-r", strconv.Itoa(r.rate))
	}
	if r.limit > 0 {
		args = append(args, "-l", strconv.Itoa(r.limit))
	}
	if r.pause > 0 {
		args = append(args, "-d", strconv.Itoa(int(r.pause.Milliseconds())))
	}
	args = append(args, r.extra...)
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(cmd.Dir, "*errors.log"))
		for _, l := range logs {
			if b, rerr := readTail(l, 4000); rerr == nil {
				out = append(out, b...)
			}
		}
	}
	return string(out), err
}

func TestSIPpCallWithMedia(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			tally := &mediaTally{}
			ended := make(chan EndReason, 1)
			h := newTestHandler(func(ctx context.Context, c *Call) {
				go tally.drain(c.Media())
				_ = sendTone(ctx, c.Media(), 1000)
				<-c.Done()
				ended <- c.EndReason()
			})
			a := startAgent(t, testConfig(), h)
			out, err := sippRun{transport: tr, scenario: "uac_media.xml", pause: 2500 * time.Millisecond}.run(t, a)
			if err != nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
			c := recv(t, "call", h.calls, time.Second)
			if got := c.Media().Codec(); got.Name != "PCMA" || got.EventPayloadType != 101 {
				t.Errorf("codec = %+v, want PCMA with telephone-event 101", got)
			}
			if r := recv(t, "call end", ended, 5*time.Second); r != EndByeFromCaller {
				t.Errorf("EndReason = %q, want %q", r, EndByeFromCaller)
			}
			audio, events, loud := tally.snapshot()
			tally.mu.Lock()
			digits := string(tally.digits)
			tally.mu.Unlock()
			if audio < 50 || loud < 500 {
				t.Errorf("heard %d audio packets, peak RMS %.0f; want the recorded speech", audio, loud)
			}
			if events == 0 || !strings.Contains(digits, "1") {
				t.Errorf("heard %d event packets, digits %q; want RFC 4733 digit 1", events, digits)
			}
		})
	}
}

func TestSIPpCancel(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.RingDuration = 30 * time.Second
			h := newTestHandler(nil)
			a := startAgent(t, cfg, h)
			out, err := sippRun{transport: tr, scenario: "uac_cancel.xml", timeout: 20 * time.Second}.run(t, a)
			if err != nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
			waitFor(t, "cancelled call", 2*time.Second, func() bool { return a.Stats().CallsCancelled == 1 })
			if s := a.Stats(); s.CallsActive != 0 || s.CallsAnswered != 0 {
				t.Errorf("stats = %+v", s)
			}
		})
	}
}

func TestSIPpHoldResume(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			var sawHeld, heldAtEnd atomic.Bool
			h := newTestHandler(func(ctx context.Context, c *Call) {
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
						held := c.Held()
						if held {
							sawHeld.Store(true)
						}
						heldAtEnd.Store(held)
					}
				}
			})
			a := startAgent(t, testConfig(), h)
			out, err := sippRun{transport: tr, scenario: "uac_hold.xml", timeout: 20 * time.Second}.run(t, a)
			if err != nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
			c := recv(t, "call", h.calls, time.Second)
			recv(t, "call end", c.Done(), 5*time.Second)
			if !sawHeld.Load() || heldAtEnd.Load() {
				t.Errorf("held seen %v, held at end %v; want held then resumed", sawHeld.Load(), heldAtEnd.Load())
			}
			if c.EndReason() != EndByeFromCaller {
				t.Errorf("EndReason = %q", c.EndReason())
			}
		})
	}
}

func TestSIPpRefusals(t *testing.T) {
	t.Parallel()
	for _, sc := range []string{"bye_unknown.xml", "uac_nocodec.xml", "malformed.xml"} {
		for _, tr := range []string{"udp", "tcp"} {
			t.Run(strings.TrimSuffix(sc, ".xml")+"/"+tr, func(t *testing.T) {
				t.Parallel()
				a := startAgent(t, testConfig(), newTestHandler(nil))
				out, err := sippRun{transport: tr, scenario: sc, timeout: 20 * time.Second}.run(t, a)
				if err != nil {
					t.Fatalf("sipp: %v\n%s", err, out)
				}
				if s := a.Stats(); s.Panics != 0 || s.CallsAnswered != 0 {
					t.Errorf("stats = %+v", s)
				}
			})
		}
	}
}
