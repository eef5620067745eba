package review

import (
	"context"
	"slices"
	"testing"
	"time"
)

// reportPercentiles reports the 50th and 99th percentile of the samples.
func reportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	p := func(q float64) float64 { return float64(samples[int(q*float64(len(samples)-1))].Nanoseconds()) }
	b.ReportMetric(p(0.50), "p50-ns")
	b.ReportMetric(p(0.99), "p99-ns")
}

// BenchmarkLocalJudge measures the local judge's latency per fact over the
// test table's mix of phones, dates, names, places and identifiers.
func BenchmarkLocalJudge(b *testing.B) {
	var j LocalJudge
	ctx := context.Background()
	samples := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := judgeCases[i%len(judgeCases)]
		t0 := time.Now()
		if _, err := j.Judge(ctx, Claim{Field: c.field, Value: c.value, Turn: c.turn}); err != nil {
			b.Fatal(err)
		}
		if len(samples) < cap(samples) {
			samples = append(samples, time.Since(t0))
		}
	}
	reportPercentiles(b, samples)
}

// BenchmarkJudgeFact measures gate 2 end to end: reading the fact and its
// turn from the ledger, judging, and durably recording the verdict.
func BenchmarkJudgeFact(b *testing.B) {
	l := openLedger(b)
	ctx := context.Background()
	tv := turn(b, l, "call/bench", "caller", "yes the c v s on main street please")
	samples := make([]time.Duration, 0, 1<<14)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		f := stated(b, l, "patient/bench-"+time.Now().Format("150405.000000000"), "pharmacy", "CVS Main St", tv)
		b.StartTimer()
		t0 := time.Now()
		if _, err := JudgeFact(ctx, l, LocalJudge{}, f.ID); err != nil {
			b.Fatal(err)
		}
		if len(samples) < cap(samples) {
			samples = append(samples, time.Since(t0))
		}
	}
	reportPercentiles(b, samples)
}

// BenchmarkMayWrite measures the decision on a judged and approved fact.
func BenchmarkMayWrite(b *testing.B) {
	l := openLedger(b)
	ctx := context.Background()
	tv := turn(b, l, "call/bench", "caller", "march fourteenth nineteen eighty")
	f := stated(b, l, "patient/bench", "birthDate", "1980-03-14", tv)
	j := judge(b, l, f.ID)
	if _, err := Approve(ctx, l, j.Item.ID, member, Resolution{Reason: "ok"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, err := MayWrite(l, f.ID, "ehr")
		if err != nil || !d.Allow {
			b.Fatal(d, err)
		}
	}
}
