package receptionist

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/voice/caller"
)

// BenchmarkTurnLatency measures, at the caller's ear, the time from the end
// of the caller's speech to the first audio of the receptionist's reply,
// with the local engines (pocketsphinx, flite) over SIP on loopback. The
// caller asks the receptionist to repeat itself and speaks again as soon as
// the reply starts, so each turn is a full listen–recognise–answer cycle.
// It includes the end-of-utterance silence (400 ms), the jitter buffers of
// both sides, recognition, the dialogue and synthesis.
func BenchmarkTurnLatency(b *testing.B) {
	for _, calls := range []int{1, 4, 16, 32} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) { turnLatency(b, calls) })
	}
}

func turnLatency(b *testing.B, calls int) {
	c := newClinic(b)
	uri, _ := serve(b, c, "")
	repeat := caller.TrimSilence(testkit.Say(b, "repeat"))
	turns := max(b.N/calls, 3)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	for k := 0; k < calls; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := dialURI(b, uri)
			defer out.Hangup()
			steps := []caller.Step{{AfterPrompts: 1, Delay: 200 * time.Millisecond, Say: repeat}}
			for i := 1; i < turns; i++ {
				steps = append(steps, caller.Step{AfterReply: true, Delay: 300 * time.Millisecond, Say: repeat})
			}
			steps = append(steps, caller.Step{AfterReply: true, Hangup: true})
			res, err := caller.Run(context.Background(), out.Media(), caller.Script{Steps: steps, PromptGap: 700 * time.Millisecond, MaxDuration: time.Duration(turns)*10*time.Second + 30*time.Second})
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			for i := range steps[:len(steps)-1] {
				if d := res.ReplyLatency(i); d >= 0 {
					lat = append(lat, d)
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no turn was answered")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(float64(len(lat)), "turns")
}
