package flite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const sentence = "Thank you for calling the clinic, how can I help you today?"

func newVoice(t testing.TB) *Voice {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// voiced counts the 20 ms frames of pcm louder than -40 dBFS.
func voiced(pcm []int16) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		if rms(pcm[i:i+160]) > 327 {
			n++
		}
	}
	return n
}

func TestSynthesize(t *testing.T) {
	v := newVoice(t)
	if v.SampleRate() != 8000 {
		t.Errorf("SampleRate = %d, want 8000", v.SampleRate())
	}
	for _, c := range []struct {
		text     string
		min, max time.Duration
	}{
		{"yes", 200 * time.Millisecond, 1500 * time.Millisecond},
		{"Your appointment is on Tuesday at 3 PM.", 1500 * time.Millisecond, 5 * time.Second},
		{sentence, 2 * time.Second, 7 * time.Second},
	} {
		pcm, err := v.Synthesize(context.Background(), c.text)
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		d := time.Duration(len(pcm)) * time.Second / SampleRate
		if d < c.min || d > c.max {
			t.Errorf("%q: %v of audio, want %v to %v", c.text, d, c.min, c.max)
		}
		if r := rms(pcm); r < 1000 {
			t.Errorf("%q: RMS %.0f, want speech (at least 1000)", c.text, r)
		}
		// Speech is voiced for much of its length but not all of it.
		frames := len(pcm) / 160
		if n := voiced(pcm); n < frames/3 || n == frames {
			t.Errorf("%q: %d of %d frames voiced", c.text, n, frames)
		}
	}
}

func TestSynthesizeDeterministic(t *testing.T) {
	v := newVoice(t)
	a, err := v.Synthesize(context.Background(), sentence)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Synthesize(context.Background(), sentence)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("the same text gave different audio")
	}
	c, err := v.Synthesize(context.Background(), "no")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a, c) {
		t.Error("different texts gave the same audio")
	}
}

func TestSynthesizeErrors(t *testing.T) {
	v := newVoice(t)
	for name, text := range map[string]string{
		"empty":    "",
		"blank":    " \n\t",
		"nul":      "yes\x00no",
		"silent":   " ... !",
		"too long": strings.Repeat("a", MaxText+1),
	} {
		if pcm, err := v.Synthesize(context.Background(), text); err == nil {
			t.Errorf("%s: got %d samples, want an error", name, len(pcm))
		}
	}
}

// TestSynthesizeWaits checks that a caller waiting for the engine gives up
// when its context ends.
func TestSynthesizeWaits(t *testing.T) {
	v := newVoice(t)
	if err := lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := v.Synthesize(ctx, "yes")
	unlock()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Synthesize while the engine is busy: %v, want context.DeadlineExceeded", err)
	}
	if _, err := v.Synthesize(context.Background(), "yes"); err != nil {
		t.Errorf("after the engine is free: %v", err)
	}
}

// TestConcurrent synthesises from many goroutines at once; the lock must
// make each result equal to the one made alone.
func TestConcurrent(t *testing.T) {
	v := newVoice(t)
	texts := []string{"yes", "no", sentence, "Please say your date of birth.", "Goodbye."}
	want := make([][]int16, len(texts))
	for i, text := range texts {
		pcm, err := v.Synthesize(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = pcm
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 8 {
		for i, text := range texts {
			wg.Go(func() {
				pcm, err := v.Synthesize(context.Background(), text)
				if err != nil {
					errs <- err
				} else if !slices.Equal(pcm, want[i]) {
					errs <- fmt.Errorf("%q: concurrent result differs", text)
				}
				if _, err := Pronounce("gulgowski"); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPronounce(t *testing.T) {
	// Words in the CMU dictionary come back as its entries, stress removed.
	for word, want := range map[string]string{
		"yes":         "Y EH S",
		"appointment": "AH P OY N T M AH N T",
		"Castellanos": "K AA S T EY L AA N OW Z",
		"edward":      "EH D W ER D",
	} {
		got, err := Pronounce(word)
		if err != nil {
			t.Errorf("%q: %v", word, err)
			continue
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Pronounce(%q) = %q, want %q", word, got, want)
		}
	}
	// Words it lacks get letter-to-sound pronunciations in ARPAbet.
	for word, first := range map[string]string{"gulgowski": "G", "zbrozek": "Z", "raghunathan": "R", "o'brien": "OW"} {
		got, err := Pronounce(word)
		if err != nil {
			t.Errorf("%q: %v", word, err)
			continue
		}
		if len(got) < 3 || got[0] != first {
			t.Errorf("Pronounce(%q) = %q, want at least 3 phones starting with %s", word, got, first)
		}
		for _, p := range got {
			if !arpabet[p] {
				t.Errorf("Pronounce(%q) has phone %q outside ARPAbet", word, p)
			}
		}
	}
}

func TestPronounceRejects(t *testing.T) {
	for _, word := range []string{"", "'", "r2d2", "smith-jones", "núñez", "two words", strings.Repeat("a", 65)} {
		_, err := Pronounce(word)
		if !errors.Is(err, ErrNoPronunciation) {
			t.Errorf("Pronounce(%q): %v, want ErrNoPronunciation", word, err)
			continue
		}
		if len(word) > 3 && strings.Contains(err.Error(), word) {
			t.Errorf("Pronounce(%q): error %q repeats the word", word, err)
		}
	}
}

// BenchmarkSynthesize measures one typical 12-word prompt.
func BenchmarkSynthesize(b *testing.B) {
	v := newVoice(b)
	var pcm []int16
	for b.Loop() {
		var err error
		pcm, err = v.Synthesize(context.Background(), sentence)
		if err != nil {
			b.Fatal(err)
		}
	}
	perPrompt := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perPrompt*1000, "ms/prompt")
	b.ReportMetric(perPrompt/(float64(len(pcm))/SampleRate), "rtf")
}

func BenchmarkPronounce(b *testing.B) {
	for b.Loop() {
		if _, err := Pronounce("gulgowski"); err != nil {
			b.Fatal(err)
		}
	}
}
