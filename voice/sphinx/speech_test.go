package sphinx

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zaf/g711"

	"frontdesk/voice"
	"frontdesk/voice/flite"
	"frontdesk/voice/wav"
)

// Test audio is synthesised when the tests run: by flite (linked, always
// present) at 8 kHz, and by espeak-ng, a different synthesizer, resampled
// by sox to 16 or 8 kHz. Tests that need espeak-ng skip without it.

var (
	menu = voice.Grammar{Name: "menu", Phrases: []string{
		"yes", "no", "yes please", "no thank you", "book an appointment",
		"cancel an appointment", "reschedule my appointment", "speak to someone",
		"repeat that", "prescription refill",
	}}
	names = voice.Grammar{Name: "patient-name", Phrases: []string{
		"edward gulgowski", "alberto atencio", "maria castellanos", "jon balistreri",
		"kenji tanaka", "olga petrov", "susan smith", "fatima al-sayed",
		"liam o'brien", "priya raghunathan",
	}}
)

func newRecognizer(t testing.TB, decoders int) *Recognizer {
	t.Helper()
	r, err := New(Config{Decoders: decoders})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var fliteCache sync.Map // text → []int16

// fliteSpeech returns text spoken by flite's kal voice at 8 kHz.
func fliteSpeech(t testing.TB, text string) []int16 {
	t.Helper()
	if pcm, ok := fliteCache.Load(text); ok {
		return pcm.([]int16)
	}
	v, err := flite.New()
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := v.Synthesize(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	fliteCache.Store(text, pcm)
	return pcm
}

var espeakCache sync.Map // "rate text" → []int16

// espeakSpeech returns text spoken by espeak-ng's en-us voice at rate Hz.
func espeakSpeech(t testing.TB, text string, rate int) []int16 {
	t.Helper()
	key := fmt.Sprint(rate, " ", text)
	if pcm, ok := espeakCache.Load(key); ok {
		return pcm.([]int16)
	}
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng not installed")
	}
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox not installed")
	}
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "out.wav")
	if b, err := exec.Command(espeak, "-v", "en-us", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, b)
	}
	if b, err := exec.Command(sox, raw, "-r", fmt.Sprint(rate), "-b", "16", "-c", "1", out).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	pcm, got, err := wav.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got != rate {
		t.Fatalf("sox wrote %d Hz, want %d", got, rate)
	}
	espeakCache.Store(key, pcm)
	return pcm
}

// telephone passes 8 kHz audio through G.711 μ-law and back, as a call does.
func telephone(pcm []int16) []int16 {
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(s))
	}
	return out
}

// padded surrounds speech with a quarter second of silence, as endpointing
// leaves it.
func padded(pcm []int16, rate int) []int16 {
	out := make([]int16, rate/4, len(pcm)+rate/2)
	out = append(out, pcm...)
	return append(out, make([]int16, rate/4)...)
}

// recognize feeds pcm in 20 ms chunks and returns the hypothesis.
func recognize(t testing.TB, r *Recognizer, g voice.Grammar, pcm []int16, rate int) voice.Hypothesis {
	t.Helper()
	u, err := r.Start(context.Background(), g, rate)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	chunk := rate / 50
	for i := 0; i < len(pcm); i += chunk {
		if err := u.Write(pcm[i:min(i+chunk, len(pcm))]); err != nil {
			t.Fatal(err)
		}
	}
	h, err := u.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
