package switchboard

import (
	"context"
	"errors"

	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/call"
	"frontdesk/voice/sip"
)

// soak keeps a call busy in both directions: it asks for keys or a spoken
// yes or no, over and over, until the caller hangs up.
func soak(ctx context.Context, s *call.Session) error {
	for {
		_, err := s.Ask(ctx, "Please enter your four digit code, or say yes or no.",
			call.Listen{Digits: 4, Grammar: voice.Grammar{Name: "yes-no", Phrases: []string{"yes", "no"}}, Timeout: 1500 * time.Millisecond})
		if errors.Is(err, call.ErrHangup) || errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func rusage() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConcurrentCalls drives FRONTDESK_BENCH_CALLS (default 200)
// simultaneous calls from SIPp at the switchboard: each call sends recorded
// speech and an RFC 4733 digit while the appliance plays prompts, runs the
// jitter buffer, VAD, DTMF detection and recognition, and keeps an
// encrypted recording. It reports lost and late packets as a share of all
// packets, and the appliance's CPU time per call-second.
func BenchmarkConcurrentCalls(b *testing.B) {
	calls := 200
	if v, err := strconv.Atoi(os.Getenv("FRONTDESK_BENCH_CALLS")); err == nil && v > 0 {
		calls = v
	}
	hold := 10 * time.Second
	l := testkit.Ledger(b, "clinic")
	rec, syn := testkit.Engines(b)
	sb, err := New(Config{
		SIP: &sip.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "off", PublicIP: "127.0.0.1", MaxCalls: calls + 16,
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		RecordingDir: b.TempDir(),
	}, l, rec, syn, soak)
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	// Warm the prompt cache so the first calls do not all synthesise.
	syn.Synthesize(context.Background(), "Please enter your four digit code, or say yes or no.")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0 := rusage()
		res, err := testkit.SIPp{Target: sb.Agent().Addr("udp").String(), Scenario: "uac_media.xml",
			Calls: calls, Limit: calls, Rate: 100, Pause: hold}.Run(b)
		cpu := rusage() - cpu0
		if err != nil || res.Failed != 0 {
			b.Fatalf("sipp: %v (%d failed)\n%s", err, res.Failed, res.Output)
		}
		for deadline := time.Now().Add(30 * time.Second); sb.Active() > 0 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		ended, err := l.Find(ledger.Query{Type: "call.ended", Limit: 1 << 20}, ledger.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var recv, lost, late, sent, sentLate, skipped, ms float64
		for _, e := range ended {
			f := func(k string) float64 { v, _ := strconv.ParseFloat(e.Attrs[k], 64); return v }
			recv += f("packets_received")
			lost += f("packets_lost")
			late += f("packets_late")
			sent += f("packets_sent")
			sentLate += f("packets_sent_late")
			skipped += f("ticks_skipped")
			ms += f("duration_ms")
		}
		b.ReportMetric(float64(res.Successful), "calls")
		b.ReportMetric(100*(lost+late)/max(recv+lost, 1), "%lost-or-late-in")
		b.ReportMetric(100*(sentLate+skipped)/max(sent+skipped, 1), "%late-out")
		b.ReportMetric(float64(cpu.Microseconds())/(ms/1000), "cpu-µs/call-second")
		b.ReportMetric(float64(res.CPU.Microseconds())/(ms/1000), "sipp-cpu-µs/call-second")
		b.Logf("%d calls, %.0f call-seconds, packets in %.0f (lost %.0f, late %.0f), out %.0f (late %.0f, skipped %.0f)",
			res.Successful, ms/1000, recv, lost, late, sent, sentLate, skipped)
	}
}
