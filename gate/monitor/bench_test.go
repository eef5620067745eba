package monitor

import (
	"slices"
	"testing"
	"time"
)

var benchTurns = []Turn{
	{Speaker: Caller, Text: "hi I'd like to book a follow up appointment for next week if possible"},
	{Speaker: Agent, Text: "Of course. Can I have your name and date of birth please?"},
	{Speaker: Caller, Text: "it's dana fairbanks, march fourteenth nineteen eighty"},
	{Speaker: Agent, Text: "Thank you. Dr Example has an opening on Tuesday March 3rd at 2 pm.", PatientValues: []string{"Dana", "Fairbanks", "1980-03-14", "555-010-0199"}},
	{Speaker: Caller, Text: "actually I've had chest pain since this morning and I can't breathe well"},
	{Speaker: Caller, Text: "my social is one two three four five six seven eight nine"},
}

// BenchmarkTurn measures the hipaa-core pack on a mix of caller and agent
// turns, reporting the 50th and 99th percentile per turn.
func BenchmarkTurn(b *testing.B) {
	e, err := Compile(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	samples := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		e.Turn(benchTurns[i%len(benchTurns)])
		if len(samples) < cap(samples) {
			samples = append(samples, time.Since(t0))
		}
	}
	slices.Sort(samples)
	if n := len(samples); n > 0 {
		b.ReportMetric(float64(samples[n/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(samples[(n-1)*99/100].Nanoseconds()), "p99-ns")
	}
}

// BenchmarkCallerTurnPhrases measures a caller turn against the phrase
// rules alone (no SSN cue, so the PHI detector is not consulted).
func BenchmarkCallerTurnPhrases(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Disabled = []string{"hipaa.caller-ssn", "hipaa.phi-before-verification"}
	e, err := Compile(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t := Turn{Speaker: Caller, Text: "hi I'd like to book a follow up appointment for next week if possible"}
	b.ReportAllocs()
	for b.Loop() {
		e.Turn(t)
	}
}
