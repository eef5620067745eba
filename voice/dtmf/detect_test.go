package dtmf

import (
	"math"
	"testing"
	"time"

	"frontdesk/voice/vad/vadtest"
)

const allDigits = "123A456B789C*0#D"

// detect runs pcm through a new Detector in 20 ms frames.
func detect(pcm []int16) string {
	d := NewDetector()
	var got []rune
	for len(pcm) > 0 {
		n := min(160, len(pcm))
		got = d.Detect(pcm[:n], got)
		pcm = pcm[n:]
	}
	return string(got)
}

func dial(t *testing.T, g Generator, digits string, on, off time.Duration) []int16 {
	t.Helper()
	pcm, err := g.Dial(make([]int16, 800), digits, on, off)
	if err != nil {
		t.Fatal(err)
	}
	return append(pcm, make([]int16, 800)...)
}

func TestDetectorLevels(t *testing.T) {
	for _, level := range []float64{-9.5, -15, -20, -25, -30} {
		pcm := dial(t, Generator{Level: level}, allDigits, 70*time.Millisecond, 70*time.Millisecond)
		if got := detect(pcm); got != allDigits {
			t.Errorf("%.1f dBFS: detected %q", level, got)
		}
		// The same through G.711, as the tones arrive on a call.
		if got := detect(vadtest.G711(pcm)); got != allDigits {
			t.Errorf("%.1f dBFS via G.711: detected %q", level, got)
		}
	}
	// Too weak to be a key press.
	pcm := dial(t, Generator{Level: -45}, allDigits, 70*time.Millisecond, 70*time.Millisecond)
	if got := detect(pcm); got != "" {
		t.Errorf("-45 dBFS: detected %q", got)
	}
}

func TestDetectorTwist(t *testing.T) {
	for _, tw := range []struct {
		twist float64
		ok    bool
	}{{0, true}, {2, true}, {3, true}, {-4, true}, {-6.5, true}, {6, false}, {-11, false}} {
		pcm := dial(t, Generator{Level: -20, Twist: tw.twist}, allDigits, 70*time.Millisecond, 70*time.Millisecond)
		got := detect(pcm)
		if tw.ok && got != allDigits {
			t.Errorf("twist %+.1f dB: detected %q, want all", tw.twist, got)
		}
		if !tw.ok && got != "" {
			t.Errorf("twist %+.1f dB: detected %q, want nothing", tw.twist, got)
		}
	}
}

func TestDetectorNoise(t *testing.T) {
	for _, noise := range []float64{-45, -35, -30} {
		tones := dial(t, Generator{Level: -20}, allDigits, 80*time.Millisecond, 80*time.Millisecond)
		pcm := vadtest.Mix(tones, vadtest.Noise(len(tones), noise, 7))
		if got := detect(pcm); got != allDigits {
			t.Errorf("noise at %.0f dBFS: detected %q", noise, got)
		}
	}
	// Noise alone, even loud, is not a key press.
	if got := detect(vadtest.Noise(10*SampleRate, -10, 3)); got != "" {
		t.Errorf("white noise: detected %q", got)
	}
	if got := detect(vadtest.Hum(10*SampleRate, 60, -15)); got != "" {
		t.Errorf("hum: detected %q", got)
	}
}

func TestDetectorTiming(t *testing.T) {
	g := Generator{Level: -15}
	// 40 ms tones with 40 ms pauses, the fastest dialling Q.24 requires,
	// at every alignment to the detector's blocks.
	for offset := 0; offset < blockSize; offset += 3 {
		pcm := append(make([]int16, offset), dial(t, g, allDigits, 40*time.Millisecond, 40*time.Millisecond)...)
		if got := detect(pcm); got != allDigits {
			t.Errorf("40/40 ms at offset %d: detected %q", offset, got)
		}
		// 20 ms is too short for a key press.
		pcm = append(make([]int16, offset), dial(t, g, allDigits, 20*time.Millisecond, 60*time.Millisecond)...)
		if got := detect(pcm); got != "" {
			t.Errorf("20 ms tones at offset %d: detected %q", offset, got)
		}
	}
	// The same key twice with a 40 ms pause is two presses.
	if got := detect(dial(t, g, "55", 80*time.Millisecond, 40*time.Millisecond)); got != "55" {
		t.Errorf("repeated key: detected %q", got)
	}
	// A long press with a 10 or 20 ms dropout in it (a lost packet) is
	// one press, wherever the dropout falls.
	for _, gap := range []int{80, 160} {
		for at := 1000; at < 1000+blockSize; at += 7 {
			long, _ := g.Tone(nil, '8', 300*time.Millisecond)
			clear(long[at : at+gap])
			if got := detect(append(long, make([]int16, 800)...)); got != "8" {
				t.Errorf("press with a %d-sample dropout at %d: detected %q", gap, at, got)
			}
		}
	}
	// Chunking does not matter.
	pcm := dial(t, g, "147", 60*time.Millisecond, 60*time.Millisecond)
	d := NewDetector()
	var got []rune
	for i := 0; i < len(pcm); i += 37 {
		got = d.Detect(pcm[i:min(i+37, len(pcm))], got)
	}
	if string(got) != "147" {
		t.Errorf("37-sample chunks: detected %q", string(got))
	}
}

func TestDetectorFrequencyTolerance(t *testing.T) {
	// Q.24: operate within ±1.5 % of the nominal frequencies, not beyond
	// ±3.5 %.
	for _, dev := range []struct {
		rel float64
		ok  bool
	}{{0, true}, {0.015, true}, {-0.015, true}, {0.035, false}, {-0.035, false}, {0.05, false}} {
		var pcm []int16
		for _, d := range allDigits {
			lo, hi, _ := Frequencies(d)
			for i := range 560 {
				x := float64(i) / SampleRate
				v := 4000*math.Sin(2*math.Pi*lo*(1+dev.rel)*x) + 4000*math.Sin(2*math.Pi*hi*(1+dev.rel)*x)
				pcm = append(pcm, int16(v))
			}
			pcm = append(pcm, make([]int16, 560)...)
		}
		got := detect(pcm)
		if dev.ok && got != allDigits {
			t.Errorf("deviation %+.1f %%: detected %q, want all", dev.rel*100, got)
		}
		if !dev.ok && got != "" {
			t.Errorf("deviation %+.1f %%: detected %q, want none", dev.rel*100, got)
		}
	}
}

func TestDetectorTalkOff(t *testing.T) {
	// Speech must not sound like a key press: several voices and pitches,
	// with digits and numbers in the text, as received over G.711 and
	// with line noise.
	texts := []string{
		"Hello, I would like to book an appointment for next Tuesday at nine thirty in the morning.",
		"My date of birth is the fourth of July, nineteen eighty one. My number is five five five, one two three four.",
		"Could you please tell me whether doctor Smith is available on Friday afternoon? Thank you so much.",
		"Yes. No. Maybe. One, two, three, four, five, six, seven, eight, nine, zero, star, pound.",
	}
	voices := [][]string{
		{"-v", "en-us"},
		{"-v", "en-us+f3", "-p", "70"},
		{"-v", "en-gb+m3", "-p", "30", "-s", "200"},
		{"-v", "en-us+f4", "-p", "90", "-s", "140"},
	}
	var total int
	for _, v := range voices {
		for _, text := range texts {
			speech := vadtest.Speech(t, text, v...)
			total += len(speech)
			for _, level := range []float64{-12, -25} {
				pcm := vadtest.G711(vadtest.Scale(speech, level))
				if got := detect(pcm); got != "" {
					t.Errorf("voice %v at %.0f dBFS: speech detected as %q", v, level, got)
				}
				noisy := vadtest.Mix(pcm, vadtest.Noise(len(pcm), level-20, 5))
				if got := detect(noisy); got != "" {
					t.Errorf("voice %v at %.0f dBFS with noise: speech detected as %q", v, level, got)
				}
			}
		}
	}
	if total < 60*SampleRate {
		t.Errorf("only %.0f s of speech tested", float64(total)/SampleRate)
	}
}

func TestDetectorDigitOverSpeech(t *testing.T) {
	// A key pressed while the caller talks quietly is still found.
	speech := vadtest.Scale(vadtest.Speech(t, "I think it is this one, hold on."), -30)
	tone, _ := Generator{Level: -12}.Tone(make([]int16, 4000), '6', 100*time.Millisecond)
	if got := detect(vadtest.G711(vadtest.Mix(speech, tone))); got != "6" {
		t.Errorf("digit over speech: detected %q", got)
	}
}

func TestGenerator(t *testing.T) {
	if _, err := (Generator{}).Tone(nil, 'z', time.Second); err == nil {
		t.Error("Tone accepted a non-digit")
	}
	if _, err := (Generator{Level: -3}).Tone(nil, '1', time.Second); err == nil {
		t.Error("Tone accepted levels that clip")
	}
	pcm, err := Generator{Level: -20}.Tone(nil, '1', time.Second)
	if err != nil || len(pcm) != SampleRate {
		t.Fatalf("Tone: %d samples, %v", len(pcm), err)
	}
	// Two tones at −20 dBFS each: −17 dBFS together.
	if l := vadtest.Level(pcm); l < -17.2 || l > -16.8 {
		t.Errorf("level %.2f dBFS, want -17", l)
	}
	if lo, hi, ok := Frequencies('d'); !ok || lo != 941 || hi != 1633 {
		t.Errorf("Frequencies('d') = %v %v %v", lo, hi, ok)
	}
}
