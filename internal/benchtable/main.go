// Command benchtable reads `go test -bench` output on stdin and prints each
// figure in a table, with the limit an issue set for it beside it and the
// ratio of the figure to that limit.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// limit is a bound an issue sets on one metric of one benchmark.
type limit struct {
	bench, metric string
	// atLeast is true when the figure must be >= value, false for <=.
	atLeast bool
	value   float64
	note    string
}

var limits = []limit{
	{"BenchmarkAppend64", "events/s", true, 50000, "durable append, 64 writers (issue 2)"},
	{"BenchmarkVerify", "%-of-sha256", true, 50, "full verify vs raw SHA-256, over the file (issue 2)"},
	{"BenchmarkVerify", "content-%-of-sha256", true, 50, "the same, over envelopes, PHI and tree hashes only"},
	{"Benchmark1MVerifiedRead", "p50-µs", false, 50, "verified read at 1M events (issue 2)"},
	{"Benchmark1MProve", "p50-µs", false, 100, "inclusion proof at 1M events (issue 2)"},
	{"Benchmark1MCheck", "p50-µs", false, 20, "offline proof check (issue 2)"},
	{"Benchmark1MAsOf", "p50-µs", false, 1000, "as-of read, 100 events (issue 2)"},
	{"BenchmarkDetect200", "p99-ns/turn", false, 200000, "redaction, 200-character turn (issue 5)"},
	{"BenchmarkTurnLatency", "p50-ms", false, 500, "turn latency at the caller (issue 6)"},
	{"BenchmarkTurnLatency", "p95-ms", false, 900, "turn latency at the caller (issue 6)"},
	{"BenchmarkConcurrentCalls", "calls", true, 200, "simultaneous calls with media (issue 4)"},
	{"BenchmarkConcurrentCalls", "%lost-or-late-in", false, 1, "inbound packets lost or late (issue 4)"},
	{"BenchmarkConcurrentCalls", "%late-out", false, 1, "outbound packets late (issue 4)"},
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

func main() {
	pkg := ""
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fmt.Printf("%-28s %-32s %16s %-14s %14s %8s  %s\n", "package", "benchmark", "value", "unit", "limit", "ratio", "")
	for sc.Scan() {
		text := sc.Text()
		if strings.HasPrefix(text, "pkg: ") {
			pkg = strings.TrimPrefix(text, "pkg: frontdesk/")
			continue
		}
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		name, fields := m[1], strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			unit := fields[i+1]
			if unit == "B/op" || unit == "allocs/op" {
				continue
			}
			lim, ratio, note := "", "", ""
			for _, l := range limits {
				// A limit on a benchmark holds for each of its sub-benchmarks.
				if (l.bench == name || strings.HasPrefix(name, l.bench+"/")) && l.metric == unit {
					op := "≤"
					if l.atLeast {
						op = "≥"
					}
					lim = fmt.Sprintf("%s %g", op, l.value)
					r := v / l.value
					if !l.atLeast {
						r = l.value / v // +Inf for a figure of 0
					}
					ok := "ok"
					if r < 1 {
						ok = "SHORT"
					}
					ratio = fmt.Sprintf("%.2fx", r)
					if math.IsInf(r, 1) {
						ratio = "∞"
					}
					note = ok + "  " + l.note
				}
			}
			fmt.Printf("%-28s %-32s %16s %-14s %14s %8s  %s\n", pkg, name, strconv.FormatFloat(v, 'g', 6, 64), unit, lim, ratio, note)
		}
	}
}
