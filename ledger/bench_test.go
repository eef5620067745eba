package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sys/unix"

	"frontdesk/crypto"
)

// benchEvent is an event whose envelope is about 512 bytes, with three PHI
// fields.
func benchEvent(i int) Event {
	return Event{
		Entity: fmt.Sprintf("patient/%06d", i%10000), Type: "patient.contact-stated", Source: SourceVoice,
		Confidence: 0.5, Actor: "agent/receptionist",
		Attrs: map[string]string{
			"call": fmt.Sprintf("call/%08d", i), "turn": "3", "channel": "sip",
			"note": strings.Repeat("x", 180),
		},
		PHI: map[string]string{"name": "Synthetic Patient", "dob": "1980-03-03", "phone": "555-0100"},
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*p)]
}

// BenchmarkFsync measures the raw fdatasync rate of the disk under the test
// directory, after a 4 KiB write: the floor a durable append stands on.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.WriteAt(buf, int64(i)*4096)
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// BenchmarkAppend64 is durable append throughput with 64 concurrent
// writers. It includes waiting for everything to reach bbolt, so the figure
// is sustained, not just WAL speed.
func BenchmarkAppend64(b *testing.B) {
	kek, sk := testKeys(b)
	l := openTest(b, b.TempDir(), kek, sk)
	defer l.Close()
	ctx := context.Background()
	env := encodeEnvelope(nil, func() *Event {
		e := benchEvent(1)
		e.ID = strings.Repeat("0", 26)
		e.Workspace = "clinic"
		sealPHIForSize(&e)
		return &e
	}())
	var next atomic.Int64
	var groups0 = l.walGroups()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := l.Append(ctx, benchEvent(int(i))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Sync(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	groups := l.walGroups() - groups0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/float64(max(groups, 1)), "events/fsync")
	b.ReportMetric(float64(len(env)), "envelope-bytes")
}

func sealPHIForSize(e *Event) {
	for k := range e.PHI {
		if e.Commitments == nil {
			e.Commitments = map[string]crypto.Commitment{}
		}
		e.Commitments[k] = crypto.Commitment{}
	}
}

// BenchmarkAppendLatency is one writer's durable append latency.
func BenchmarkAppendLatency(b *testing.B) {
	kek, sk := testKeys(b)
	l := openTest(b, b.TempDir(), kek, sk)
	defer l.Close()
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := l.Append(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}

// BenchmarkVerify is full verification throughput beside raw SHA-256 over
// the same bytes, two ways: over the ledger file (what `ledger verify`
// reads, and what sha256sum would hash), and over the content Verify hashes
// or decrypts (envelopes, PHI ciphertexts, stored tree hashes). Each
// iteration hashes a buffer of the content's size and then verifies, so
// that both rates are measured at the same moments: this machine's speed
// drifts over minutes.
func BenchmarkVerify(b *testing.B) {
	kek, sk := testKeys(b)
	l := openTest(b, b.TempDir(), kek, sk)
	defer l.Close()
	fill(b, l, 100000)
	if _, err := l.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	rep, err := l.Verify(VerifyOptions{})
	if err != nil || !rep.OK {
		b.Fatalf("%v %+v", err, rep)
	}
	st, err := os.Stat(l.Path())
	if err != nil {
		b.Fatal(err)
	}
	content := make([]byte, rep.Bytes)
	var shaTime, verifyTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		sha256.Sum256(content)
		t1 := time.Now()
		if _, err := l.Verify(VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
		shaTime += t1.Sub(t0)
		verifyTime += time.Since(t1)
	}
	b.StopTimer()
	n := float64(b.N)
	shaRate := float64(rep.Bytes) * n / shaTime.Seconds() / 1e6
	fileRate := float64(st.Size()) * n / verifyTime.Seconds() / 1e6
	contentRate := float64(rep.Bytes) * n / verifyTime.Seconds() / 1e6
	b.ReportMetric(fileRate, "verify-MB/s")
	b.ReportMetric(shaRate, "sha256-MB/s")
	b.ReportMetric(100*fileRate/shaRate, "%-of-sha256")
	b.ReportMetric(contentRate, "content-MB/s")
	b.ReportMetric(100*contentRate/shaRate, "content-%-of-sha256")
}

func fill(b testing.TB, l *Ledger, n int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if _, err := l.Append(ctx, benchEvent(int(i))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Sync(); err != nil {
		b.Fatal(err)
	}
}

var _ = tlog.RecordHash
