package sip

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSignalling measures complete calls, INVITE → 100 → 200 → ACK →
// BYE → 200, placed over loopback by a second agent (RTP sockets are bound
// on both sides, no audio flows).
func BenchmarkSignalling(b *testing.B) {
	for _, tr := range []string{"udp", "tcp"} {
		b.Run(tr, func(b *testing.B) {
			h := newTestHandler(nil)
			cfg := testConfig()
			cfg.MaxCalls = 4096
			a := startAgent(b, cfg, h)
			caller := startAgent(b, testConfig(), newTestHandler(nil))
			target := agentURI(a, tr)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					o, err := caller.Dial(ctx, target, DialOptions{Transport: tr})
					if err != nil {
						cancel()
						b.Error(err)
						return
					}
					_ = o.Hangup()
					cancel()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}

// BenchmarkGuardDatagram measures the transport guard on a typical INVITE:
// framing, Content-Length checks, rport and a full parse.
func BenchmarkGuardDatagram(b *testing.B) {
	g := &guard{maxMessage: 16 << 10, parser: newParser(16 << 10), stats: &counters{}}
	msg := rawRequest("INVITE", "sip:reception@127.0.0.1:5060", "udp", "127.0.0.1:5999", nil, testOffer(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000"))
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if pass, _ := g.datagram(msg); pass == nil {
			b.Fatal("refused a valid INVITE")
		}
	}
}

// BenchmarkSIPpLoad is the load helper: SIPp places FRONTDESK_SIPP_CALLS
// (default 200) simultaneous calls, each sending the recorded A-law speech
// (g711a.pcap) and a digit for FRONTDESK_SIPP_HOLD_MS (default 8000), and
// the handler echoes every packet back. Run it with
//
//	FRONTDESK_SIPP_LOAD=1 go test -run '^$' -bench SIPpLoad -benchtime 1x ./voice/sip/
//
// It reports calls completed and failed and the RTP packets relayed.
func BenchmarkSIPpLoad(b *testing.B) {
	if os.Getenv("FRONTDESK_SIPP_LOAD") == "" {
		b.Skip("set FRONTDESK_SIPP_LOAD=1 to run the SIPp load test")
	}
	calls := envInt("FRONTDESK_SIPP_CALLS", 200)
	hold := time.Duration(envInt("FRONTDESK_SIPP_HOLD_MS", 8000)) * time.Millisecond
	var echoed, peak, live atomic.Int64
	h := newTestHandler(func(ctx context.Context, c *Call) {
		n := live.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		defer live.Add(-1)
		m := c.Media()
		for {
			p, err := m.ReadRTP()
			if err != nil {
				return
			}
			if m.WriteRTP(p) == nil {
				echoed.Add(1)
			}
		}
	})
	h.calls = make(chan *Call, calls*b.N+16)
	cfg := testConfig()
	cfg.MaxCalls = calls + 16
	a := startAgent(b, cfg, h)
	for i := 0; i < b.N; i++ {
		out, err := sippRun{transport: "udp", scenario: "uac_media.xml", calls: calls, limit: calls,
			rate: 100, pause: hold, timeout: hold + 120*time.Second}.run(b, a)
		if err != nil {
			b.Fatalf("sipp: %v\n%s", err, out)
		}
		b.ReportMetric(float64(sippCount(out, "Successful call")), "calls-ok")
		b.ReportMetric(float64(sippCount(out, "Failed call")), "calls-failed")
	}
	b.ReportMetric(float64(peak.Load()), "peak-concurrent")
	b.ReportMetric(float64(echoed.Load())/float64(b.N), "rtp-echoed")
	if s := a.Stats(); s.Panics != 0 {
		b.Errorf("stats = %+v", s)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// sippCount reads a cumulative counter from SIPp's final statistics screen.
func sippCount(out, counter string) int {
	m := regexp.MustCompile(regexp.QuoteMeta(counter)+`\s*\|\s*\d+\s*\|\s*(\d+)`).FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return -1
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
