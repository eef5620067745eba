package phi

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// turns are 200-character caller turns in the style of a clinic's phone line.
var turns = []string{
	"hi this is maria gonzalez my date of birth is march third nineteen eighty and I need to move my appointment with doctor patel to next tuesday if that works for you thanks so much",
	"Yes, it's John Carter, born 03/14/1980. My callback number is 555-201-7788 and I live at 1200 Main Street, Springfield, IL 62704. I'd like a refill on my lisinopril please.",
	"I need to change my pharmacy to the CVS on 1200 Main Street, my member ID is XJH448812903 and my email is jcarter@example.com, you can also text me at five five five one two one two",
	"I'll be there at 3 o'clock, the doctor said to take two tablets twice a day with food and to come back in two weeks if the pain in my lower back has not gotten any better by then okay",
}

func padTurn(s string) string {
	for len(s) < 200 {
		s += " " + s
	}
	return s[:200]
}

// BenchmarkDetect200 measures Detect on 200-character turns and reports the
// median and 99th percentile time per turn.
func BenchmarkDetect200(b *testing.B) {
	d := New(Options{KnownNames: []string{"Maria Gonzalez", "Alan Reyes"}})
	in := make([]string, len(turns))
	for i, t := range turns {
		in[i] = padTurn(t)
	}
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d.Detect(in[i%len(in)])
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns/turn")
	b.ReportMetric(float64(samples[len(samples)*99/100].Nanoseconds()), "p99-ns/turn")
}

// BenchmarkThroughput measures Detect on a long transcript in bytes per second.
func BenchmarkThroughput(b *testing.B) {
	d := New(Options{})
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		for _, t := range turns {
			sb.WriteString(t)
			sb.WriteString("\n")
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Detect(text)
	}
}
