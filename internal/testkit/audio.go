package testkit

import (
	"context"
	"math"
	"testing"
	"time"

	"frontdesk/voice"
)

// Segments splits 8 kHz audio a caller heard into prompts: runs of sound
// separated by at least gap of silence.
func Segments(pcm []int16, gap time.Duration) [][]int16 {
	var out [][]int16
	quiet, start := 0, -1
	gapFrames := int(gap / (20 * time.Millisecond))
	for i := 0; i+160 <= len(pcm); i += 160 {
		var e float64
		for _, v := range pcm[i : i+160] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/160) > 300 {
			if start < 0 {
				start = i
			}
			quiet = 0
			continue
		}
		if start >= 0 {
			if quiet++; quiet >= gapFrames {
				out = append(out, pcm[start:i])
				start, quiet = -1, 0
			}
		}
	}
	if start >= 0 {
		out = append(out, pcm[start:])
	}
	return out
}

// Recognise says which of phrases the local recogniser hears in 8 kHz
// audio, or "" when it hears none.
func Recognise(t testing.TB, pcm []int16, phrases ...string) string {
	t.Helper()
	rec, _ := Engines(t)
	u, err := rec.Start(context.Background(), voice.Grammar{Phrases: phrases}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write(pcm)
	h, err := u.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return h.Text
}
