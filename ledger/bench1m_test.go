package ledger

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// A ledger of one million events, built once per benchmark run: 10,000
// patients with 100 events each, 512-byte envelopes with three PHI fields.
var (
	bigOnce   sync.Once
	bigLedger *Ledger
	bigDir    string
	bigSize   = 1_000_000
	bigErr    error
)

func bigLedgerFor(b *testing.B) *Ledger {
	b.Helper()
	bigOnce.Do(func() {
		if s := os.Getenv("FRONTDESK_BENCH_EVENTS"); s != "" {
			fmt.Sscan(s, &bigSize)
		}
		bigDir, bigErr = os.MkdirTemp("", "frontdesk-bench-1m-")
		if bigErr != nil {
			return
		}
		kek, sk := testKeys(b)
		bigLedger = openTest(b, bigDir, kek, sk)
		t0 := time.Now()
		fill(b, bigLedger, bigSize)
		b.Logf("built %d events in %s", bigSize, time.Since(t0).Round(time.Millisecond))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigLedger
}

// cleanupBig removes the big ledger when the benchmark binary exits; see
// TestMain in crash_test.go.
func cleanupBig() {
	if bigLedger != nil {
		bigLedger.Close()
		os.RemoveAll(bigDir)
	}
}

func latencies(b *testing.B, fn func(i int)) {
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fn(i)
		lat[i] = time.Since(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Nanoseconds())/1e3, "p99-µs")
}

// Benchmark1MVerifiedRead fetches an event, builds its inclusion proof in the
// tree of the whole ledger and checks it, at one million events.
func Benchmark1MVerifiedRead(b *testing.B) {
	l := bigLedgerFor(b)
	n := l.Size()
	latencies(b, func(i int) {
		if _, err := l.GetVerified(uint64(i*7919)%n, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	})
}

// Benchmark1MProve is inclusion proof generation alone.
func Benchmark1MProve(b *testing.B) {
	l := bigLedgerFor(b)
	n := l.Size()
	latencies(b, func(i int) {
		if _, err := l.InclusionProof(uint64(i*7919)%n, n); err != nil {
			b.Fatal(err)
		}
	})
}

// Benchmark1MCheck is the auditor's offline check of one inclusion proof.
func Benchmark1MCheck(b *testing.B) {
	l := bigLedgerFor(b)
	n := l.Size()
	root, err := l.TreeHash(n)
	if err != nil {
		b.Fatal(err)
	}
	type item struct {
		seq  uint64
		leaf Hash
		p    tlog.RecordProof
	}
	items := make([]item, 256)
	for i := range items {
		seq := uint64(i*7919) % n
		env, _ := l.Envelope(seq)
		p, _ := l.InclusionProof(seq, n)
		items[i] = item{seq, recordHash(env), p}
	}
	latencies(b, func(i int) {
		it := items[i%len(items)]
		if err := tlog.CheckRecord(it.p, int64(n), root, int64(it.seq), it.leaf); err != nil {
			b.Fatal(err)
		}
	})
}

// Benchmark1MAsOf folds one entity's 100 events with PHI decrypted, at one
// million events.
func Benchmark1MAsOf(b *testing.B) {
	l := bigLedgerFor(b)
	at := time.Now()
	latencies(b, func(i int) {
		st, err := l.AsOf(fmt.Sprintf("patient/%06d", i%10000), at, ReadOptions{PHI: true})
		if err != nil || st.Events < bigSize/10000*9/10 {
			b.Fatalf("%v %d events", err, st.Events)
		}
	})
}

// Benchmark1MFileSize reports the ledger file's size per event.
func Benchmark1MFileSize(b *testing.B) {
	l := bigLedgerFor(b)
	for i := 0; i < b.N; i++ {
		st, err := os.Stat(l.Path())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Size())/float64(l.Size()), "bytes/event")
	}
}
