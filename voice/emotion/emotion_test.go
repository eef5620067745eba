package emotion

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"frontdesk/voice/vad"
	"frontdesk/voice/vad/vadtest"
)

// voice synthesises a voiced signal: harmonics of a pitch that glides
// sinusoidally over rangeST semitones around f0, shaped by a vowel-like
// spectral envelope, at level dBFS, in syllables of rate per second (each
// a raised-cosine swell over 70 % of its period, then silence).
type voice struct {
	f0, rangeST, level, rate float64
}

func (v voice) make(d time.Duration) []int16 {
	n := int(d.Seconds() * SampleRate)
	out := make([]float64, n)
	var phase float64
	var gain []float64
	for i := range out {
		t := float64(i) / SampleRate
		f := v.f0 * math.Pow(2, v.rangeST/2/12*math.Sin(2*math.Pi*0.7*t))
		phase += 2 * math.Pi * f / SampleRate
		if i%40 == 0 {
			// Formants near 600 and 1800 Hz over a 1/h tilt, updated
			// every 5 ms as the pitch glides.
			gain = gain[:0]
			for h := 1; float64(h)*f < 3600; h++ {
				fh := float64(h) * f
				gain = append(gain, 1/float64(h)+0.8*math.Exp(-math.Pow((fh-600)/250, 2))+0.3*math.Exp(-math.Pow((fh-1800)/300, 2)))
			}
		}
		var s float64
		for h, g := range gain {
			s += g * math.Sin(float64(h+1)*phase)
		}
		env := 1.0
		if v.rate > 0 {
			u := math.Mod(t*v.rate, 1)
			env = 0
			if u < 0.7 {
				env = 0.5 * (1 - math.Cos(2*math.Pi*u/0.7))
			}
		}
		out[i] = s * env
	}
	var sum float64
	for _, x := range out {
		sum += x * x
	}
	// Scale so that the sounding part has the requested level.
	g := math.Pow(10, v.level/20) * 32768 / math.Sqrt(sum/float64(n)/0.7*1.5)
	pcm := make([]int16, n)
	for i, x := range out {
		pcm[i] = int16(math.Max(-32768, math.Min(32767, x*g)))
	}
	return pcm
}

// active marks frames above −45 dBFS: a stand-in detector for clean
// synthetic signals.
func feedSimple(a *Analyzer, pcm []int16) {
	for _, f := range vadtest.Frames(pcm) {
		a.Write(f, vadtest.Level(f) > -45)
	}
}

// feedVAD marks speech with the real voice activity detector.
func feedVAD(a *Analyzer, d *vad.Detector, pcm []int16) {
	for _, f := range vadtest.Frames(pcm) {
		a.Write(f, d.Process(f).Active)
	}
}

func TestPitchFindsFundamental(t *testing.T) {
	for _, f0 := range []float64{100, 200, 300, 65, 150, 450} {
		pcm := voice{f0: f0, level: -20}.make(time.Second)
		cases := map[string][]int16{
			"clean": pcm,
			"G.711": vadtest.G711(pcm),
			"noisy": vadtest.G711(vadtest.Mix(pcm, vadtest.Noise(len(pcm), -40, 3))),
		}
		for name, x := range cases {
			var n, ok int
			var worst float64
			for i := pitchBuffer; i <= len(x); i += yinWindow {
				n++
				hz, voiced := Pitch(x[i-pitchBuffer : i])
				if !voiced {
					continue
				}
				ok++
				worst = math.Max(worst, math.Abs(hz/f0-1))
			}
			if ok < n*9/10 {
				t.Errorf("%.0f Hz %s: voiced in %d of %d frames", f0, name, ok, n)
			}
			if worst > 0.02 {
				t.Errorf("%.0f Hz %s: worst error %.2f %%, want within 2 %%", f0, name, worst*100)
			}
		}
	}
	// Noise and silence have no pitch.
	noise := vadtest.Noise(SampleRate, -20, 9)
	voiced := 0
	for i := pitchBuffer; i <= len(noise); i += yinWindow {
		if _, ok := Pitch(noise[i-pitchBuffer : i]); ok {
			voiced++
		}
	}
	if voiced > 2 {
		t.Errorf("white noise voiced in %d frames", voiced)
	}
	if _, ok := Pitch(make([]int16, pitchBuffer)); ok {
		t.Error("silence has a pitch")
	}
	if _, ok := Pitch(make([]int16, 100)); ok {
		t.Error("Pitch accepted too short a buffer")
	}
}

func TestTurnFeatures(t *testing.T) {
	for _, rate := range []float64{3, 5, 6.5} {
		a := NewAnalyzer()
		feedSimple(a, voice{f0: 130, rangeST: 4, level: -22, rate: rate}.make(4*time.Second))
		f := a.EndTurn().Features
		if math.Abs(f.Rate*0.7/rate-1) > 0.15 {
			// Rate is per second of speech; speech is 70 % of each
			// syllable's period, give or take the frames at its edges.
			t.Errorf("%.1f syllables/s: measured %d syllables, rate %.2f/s of speech", rate, f.Syllables, f.Rate)
		}
		if math.Abs(f.PitchMean/130-1) > 0.03 {
			t.Errorf("mean pitch %.1f Hz, want 130", f.PitchMean)
		}
		// A sinusoidal glide over 4 semitones spends its 10th to 90th
		// percentiles over about 3.8 of them.
		if f.PitchRange < 3 || f.PitchRange > 4.5 {
			t.Errorf("pitch range %.2f semitones, want about 3.8", f.PitchRange)
		}
		if f.Loudness < -24 || f.Loudness > -17 {
			t.Errorf("loudness %.1f dBFS", f.Loudness)
		}
		if f.Pauses != 0 {
			t.Errorf("%d pauses in continuous speech", f.Pauses)
		}
	}
}

func TestPauses(t *testing.T) {
	v := voice{f0: 180, rangeST: 3, level: -20, rate: 4}
	pcm := vadtest.Concat(
		vadtest.Silence(8000), // leading silence: not a pause
		v.make(time.Second),
		vadtest.Silence(3200), // 400 ms pause
		v.make(time.Second),
		vadtest.Silence(800), // 100 ms: too short to count
		v.make(time.Second),
		vadtest.Silence(2400), // 300 ms pause
		v.make(time.Second),
		vadtest.Silence(16000), // trailing silence: not a pause
	)
	a := NewAnalyzer()
	feedSimple(a, pcm)
	f := a.EndTurn().Features
	if f.Pauses != 2 {
		t.Errorf("%d pauses, want 2", f.Pauses)
	}
	// Each pause also takes in the silent tail of the syllable before it.
	if f.PauseTime < 700*time.Millisecond || f.PauseTime > 900*time.Millisecond {
		t.Errorf("pause time %v, want about 700–860 ms", f.PauseTime)
	}
	if f.Duration != time.Duration(len(pcm)/160)*FrameDuration {
		t.Errorf("duration %v", f.Duration)
	}
}

func TestArousalFollowsProsody(t *testing.T) {
	base := voice{f0: 120, rangeST: 4, level: -26, rate: 4}
	turns := []struct {
		name     string
		v        voice
		min, max float64
	}{
		{"same as baseline", base, -0.2, 0.2},
		{"louder", voice{120, 4, -18, 4}, 0.3, 1},
		{"higher", voice{120 * math.Pow(2, 4.0/12), 4, -26, 4}, 0.3, 1},
		{"faster", voice{120, 4, -26, 6}, 0.1, 1},
		{"wider melody", voice{120, 9, -26, 4}, 0.1, 1},
		{"louder, higher and faster", voice{160, 7, -17, 6}, 0.75, 1},
		{"quieter, lower and slower", voice{100, 2, -33, 3}, -1, -0.5},
	}
	for _, tc := range turns {
		a := NewAnalyzer()
		// The baseline: two calm turns, 4 s of speech.
		for range 2 {
			feedSimple(a, base.make(3*time.Second))
			a.EndTurn()
		}
		if _, full := a.Baseline(); !full {
			t.Fatal("baseline not complete after 4 s of speech")
		}
		feedSimple(a, tc.v.make(3*time.Second))
		turn := a.EndTurn()
		if turn.Arousal < tc.min || turn.Arousal > tc.max {
			t.Errorf("%s: arousal %.2f, want %.2f..%.2f (features %+v)", tc.name, turn.Arousal, tc.min, tc.max, turn.Features)
		}
		if turn.ArousalConfidence < 0.7 || turn.ValenceConfidence > 0.25 || turn.ValenceConfidence <= 0 {
			t.Errorf("%s: confidences %.2f %.2f", tc.name, turn.ArousalConfidence, turn.ValenceConfidence)
		}
		if turn.Valence < -1 || turn.Valence > 1 || turn.Index != 2 {
			t.Errorf("%s: %+v", tc.name, turn)
		}
	}
}

func TestArousalFromSyntheticSpeech(t *testing.T) {
	// espeak-ng speaks calmly for the baseline, then louder, higher and
	// faster; all through G.711 with a real voice activity detector.
	texts := []string{
		"Good morning. I am calling to ask about my appointment on Monday.",
		"I would like to move it to later in the week if that is possible.",
		"Thank you. Could you also tell me when the clinic opens on Friday?",
	}
	calm := []string{"-v", "en-us", "-p", "35", "-s", "140"}
	agitated := []string{"-v", "en-us", "-p", "75", "-s", "220"}
	a := NewAnalyzer()
	d := vad.New(vad.Config{})
	say := func(text string, args []string, level float64) Turn {
		pcm := vadtest.Scale(vadtest.Speech(t, text, args...), level)
		feedVAD(a, d, vadtest.G711(vadtest.Mix(pcm, vadtest.Noise(len(pcm), -55, 1))))
		return a.EndTurn()
	}
	var first Turn
	for i, text := range texts[:2] {
		turn := say(text, calm, -26)
		if i == 0 {
			first = turn
		}
	}
	if first.ArousalConfidence != 0 && math.Abs(first.Arousal) > 0.3 {
		t.Errorf("first turn against itself: arousal %.2f", first.Arousal)
	}
	if _, full := a.Baseline(); !full {
		t.Fatal("no full baseline after two sentences")
	}
	same := say(texts[2], calm, -26)
	up := say(texts[2], agitated, -17)
	down := say(texts[0], []string{"-v", "en-us", "-p", "20", "-s", "110"}, -33)
	t.Logf("same %.2f, agitated %.2f, subdued %.2f", same.Arousal, up.Arousal, down.Arousal)
	if math.Abs(same.Arousal) > 0.3 {
		t.Errorf("calm turn: arousal %.2f, want near 0", same.Arousal)
	}
	if up.Arousal < 0.5 || up.Arousal < same.Arousal+0.4 {
		t.Errorf("agitated turn: arousal %.2f (calm %.2f)", up.Arousal, same.Arousal)
	}
	if down.Arousal > -0.3 {
		t.Errorf("subdued turn: arousal %.2f", down.Arousal)
	}
	if up.Features.Rate <= same.Features.Rate || up.Features.PitchMean <= same.Features.PitchMean*1.2 || up.Features.Loudness < same.Features.Loudness+6 {
		t.Errorf("features did not follow the voice: calm %+v, agitated %+v", same.Features, up.Features)
	}
}

func TestTrend(t *testing.T) {
	base := voice{f0: 140, rangeST: 4, level: -26, rate: 4}
	run := func(levels []float64) Turn {
		a := NewAnalyzer()
		feedSimple(a, base.make(3*time.Second))
		a.EndTurn()
		var last Turn
		for _, l := range levels {
			v := base
			v.level = l
			feedSimple(a, v.make(2*time.Second))
			last = a.EndTurn()
		}
		return last
	}
	if tr := run([]float64{-26, -24, -22, -20, -18}); tr.Trend != Rising || tr.Slope <= 0 {
		t.Errorf("rising loudness: %v (slope %.3f)", tr.Trend, tr.Slope)
	}
	if tr := run([]float64{-18, -20, -22, -24, -26}); tr.Trend != Falling {
		t.Errorf("falling loudness: %v (slope %.3f)", tr.Trend, tr.Slope)
	}
	if tr := run([]float64{-26, -25.5, -26, -26.5, -26}); tr.Trend != Steady {
		t.Errorf("steady loudness: %v (slope %.3f)", tr.Trend, tr.Slope)
	}
	if tr := run([]float64{-18}); tr.Trend != Steady {
		t.Errorf("two turns: %v, want steady (too few to tell)", tr.Trend)
	}
	if Rising.String() != "rising" || Falling.String() != "falling" || Steady.String() != "steady" {
		t.Error("trend names")
	}
}

func TestConfidenceGrowsWithBaseline(t *testing.T) {
	a := NewAnalyzer()
	v := voice{f0: 150, rangeST: 4, level: -24, rate: 4}
	feedSimple(a, v.make(500*time.Millisecond))
	if turn := a.EndTurn(); turn.ArousalConfidence != 0 || turn.Arousal != 0 {
		t.Errorf("half a second of speech, no baseline yet: %+v", turn)
	}
	feedSimple(a, v.make(2*time.Second))
	mid := a.EndTurn()
	feedSimple(a, v.make(3*time.Second))
	full := a.EndTurn()
	if !(mid.ArousalConfidence > 0 && mid.ArousalConfidence < full.ArousalConfidence && full.ArousalConfidence <= 0.8) {
		t.Errorf("confidence %.2f then %.2f", mid.ArousalConfidence, full.ArousalConfidence)
	}
	// The empty turn (nothing said) has no score.
	if turn := a.EndTurn(); turn.ArousalConfidence != 0 || turn.Features.Speech != 0 {
		t.Errorf("empty turn: %+v", turn)
	}
}

func TestAnalyzerKeepsNoAudio(t *testing.T) {
	// Aggregates only: the Analyzer is a fixed-size value with no slices,
	// whatever the length of the call, holding at most the last frame.
	if size := unsafe.Sizeof(Analyzer{}); size > 3000 {
		t.Errorf("Analyzer is %d bytes", size)
	}
}
