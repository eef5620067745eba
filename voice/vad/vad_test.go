package vad

import (
	"math"
	"testing"
	"time"

	"frontdesk/voice/vad/vadtest"
)

// fired is an event and the time of the frame that reported it.
type fired struct {
	Event
	at time.Duration
}

func run(d *Detector, pcm []int16) []fired {
	var out []fired
	for i, f := range vadtest.Frames(pcm) {
		if r := d.Process(f); r.Event.Kind != None {
			out = append(out, fired{r.Event, time.Duration(i+1) * FrameDuration})
		}
	}
	return out
}

func seconds(s float64) int { return int(s * SampleRate) }

// speechSpan returns where pcm's speech starts and ends: the first and
// last 10 ms with a level above threshold dBFS.
func speechSpan(pcm []int16, threshold float64) (time.Duration, time.Duration) {
	first, last := -1, -1
	for i := 0; i+80 <= len(pcm); i += 80 {
		if vadtest.Level(pcm[i:i+80]) > threshold {
			if first < 0 {
				first = i
			}
			last = i + 80
		}
	}
	return time.Duration(first) * time.Second / SampleRate, time.Duration(last) * time.Second / SampleRate
}

const sentence = "Hello, this is a patient calling about my appointment next week."

// utterance checks that events are exactly one start and one end by
// silence around speech that starts at on and ends at off.
func utterance(t *testing.T, name string, ev []fired, on, off time.Duration) {
	t.Helper()
	if len(ev) != 2 || ev[0].Kind != SpeechStart || ev[1].Kind != SpeechEnd || ev[1].Reason != EndedBySilence {
		t.Errorf("%s: events %+v, want one start and one end by silence", name, ev)
		return
	}
	// Barge-in: the start is reported within 200 ms of the onset.
	if lag := ev[0].at - on; lag < 0 || lag > 200*time.Millisecond {
		t.Errorf("%s: start reported %v after the onset", name, lag)
	}
	if d := ev[0].Start - on; d < -60*time.Millisecond || d > 140*time.Millisecond {
		t.Errorf("%s: start placed %v from the onset", name, d)
	}
	if d := ev[1].End - off; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("%s: end placed %v from the true end", name, d)
	}
	// End of utterance after 700 ms of silence, not much more.
	if d := ev[1].at - ev[1].End; d < 700*time.Millisecond || d > 760*time.Millisecond {
		t.Errorf("%s: end reported %v after the last speech", name, d)
	}
}

func TestSpeechInQuietAndNoise(t *testing.T) {
	voices := [][]string{{"-v", "en-us"}, {"-v", "en-us+f3", "-p", "70"}, {"-v", "en-gb+m3", "-s", "200"}}
	for _, v := range voices {
		speech := vadtest.Scale(vadtest.Speech(t, sentence, v...), -22)
		pcm := vadtest.Concat(vadtest.Silence(seconds(1)), speech, vadtest.Silence(seconds(2)))
		n := len(pcm)
		noises := map[string][]int16{
			"clean":               vadtest.Silence(n),
			"comfort noise -55":   vadtest.Noise(n, -55, 1),
			"white noise SNR 20":  vadtest.Noise(n, -42, 2),
			"white noise SNR 12":  vadtest.Noise(n, -34, 3),
			"60 Hz hum -20 dBFS":  vadtest.Hum(n, 60, -20),
			"50 Hz hum and noise": vadtest.Mix(vadtest.Hum(n, 50, -25), vadtest.Noise(n, -45, 4)),
		}
		for name, noise := range noises {
			// The onset and end are where the speech stands 10 dB clear of
			// the noise as the detector hears it (after its high-pass).
			on, off := speechSpan(pcm, max(-45, heard(noise)+10))
			audio := vadtest.G711(vadtest.Mix(pcm, noise))
			utterance(t, name+" "+v[1], run(New(Config{}), audio), on, off)
		}
	}
}

// heard is the level of noise after the detector's high-pass filter.
func heard(noise []int16) float64 {
	d := New(Config{})
	var sum float64
	frames := vadtest.Frames(noise)
	for _, f := range frames {
		l, _ := d.measure(f)
		sum += math.Pow(10, l/10)
	}
	return 10 * math.Log10(sum/float64(len(frames)))
}

func TestNoSpeechNoEvents(t *testing.T) {
	n := seconds(30)
	cases := map[string][]int16{
		"digital silence":         vadtest.Silence(n),
		"comfort noise -60":       vadtest.ComfortNoise(n, -60, 1),
		"comfort noise -45":       vadtest.ComfortNoise(n, -45, 2),
		"comfort noise -30":       vadtest.ComfortNoise(n, -30, 2),
		"60 Hz hum -15 dBFS":      vadtest.G711(vadtest.Hum(n, 60, -15)),
		"50 Hz hum -20 dBFS":      vadtest.G711(vadtest.Hum(n, 50, -20)),
		"hum and noise":           vadtest.G711(vadtest.Mix(vadtest.Hum(n, 60, -25), vadtest.Noise(n, -40, 3))),
		"silence, then CN -45":    vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(5)), vadtest.Noise(n, -45, 4))),
		"CN -55, then CN -35":     vadtest.G711(vadtest.Concat(vadtest.Noise(seconds(5), -55, 5), vadtest.Noise(n, -35, 6))),
		"silence, then 60 Hz hum": vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(5)), vadtest.Hum(n, 60, -20))),
		"silence, then 50 Hz hum": vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(5)), vadtest.Hum(n, 50, -20))),
	}
	for name, audio := range cases {
		if ev := run(New(Config{}), audio); len(ev) != 0 {
			t.Errorf("%s: events %+v", name, ev)
		}
	}
}

func TestNoiseStartingMidCall(t *testing.T) {
	speech := vadtest.Scale(vadtest.Speech(t, sentence), -15)
	tail := vadtest.Concat(vadtest.Silence(seconds(4)), speech, vadtest.Silence(seconds(2)))

	// A buzz rich in harmonics of 60 Hz above the high-pass (300, 420,
	// 540 Hz) that starts mid-call is not taken for a voice at all, and
	// speech over it is found.
	n := seconds(10)
	buzz := make([]int16, n)
	for i := range buzz {
		x := float64(i) / SampleRate
		buzz[i] = int16(2000 * (math.Sin(2*math.Pi*300*x) + 0.7*math.Sin(2*math.Pi*420*x) + 0.5*math.Sin(2*math.Pi*540*x)))
	}
	pcm := vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(2)), vadtest.Mix(buzz, tail)))
	ev := run(New(Config{}), pcm)
	if len(ev) != 2 || ev[0].Kind != SpeechStart || ev[0].at < 6*time.Second || ev[0].at > 6300*time.Millisecond {
		t.Errorf("buzz, then speech: events %+v, want one utterance from 6 s", ev)
	}

	// A fan's rumble (low-pass noise) that starts mid-call can pass for a
	// voice at first; within a second the detector sees that it does not
	// move as speech does, ends the "utterance" as noise and learns it as
	// the floor. Speech over it is found after.
	fan := vadtest.Rumble(n, -30, 5)
	pcm = vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(2)), vadtest.Mix(fan, tail)))
	ev = run(New(Config{}), pcm)
	if len(ev) != 4 {
		t.Fatalf("fan, then speech: events %+v", ev)
	}
	if ev[0].Kind != SpeechStart || ev[1].Kind != SpeechEnd || ev[1].Reason != EndedAsNoise || ev[1].at > 3200*time.Millisecond {
		t.Errorf("fan onset: %+v, want a start and, within 1.2 s, an end as noise", ev[:2])
	}
	if ev[2].Kind != SpeechStart || ev[2].at < 6*time.Second || ev[2].at > 6300*time.Millisecond || ev[3].Reason != EndedBySilence {
		t.Errorf("speech over the fan: %+v, want an utterance from 6 s", ev[2:])
	}
}

func TestUtterancesAndPauses(t *testing.T) {
	a := vadtest.Scale(vadtest.Trim(vadtest.Speech(t, "Yes.")), -20)
	b := vadtest.Scale(vadtest.Trim(vadtest.Speech(t, "My name is Alex Example.")), -20)
	noise := func(p []int16) []int16 { return vadtest.G711(vadtest.Mix(p, vadtest.Noise(len(p), -50, 9))) }

	// Two answers 1.5 s apart are two utterances.
	pcm := noise(vadtest.Concat(vadtest.Silence(seconds(1)), a, vadtest.Silence(seconds(1.5)), b, vadtest.Silence(seconds(1.5))))
	ev := run(New(Config{}), pcm)
	kinds := ""
	for _, e := range ev {
		kinds += e.Kind.String()[7:8] // "s" or "e"
	}
	if kinds != "sese" {
		t.Errorf("two utterances: events %+v", ev)
	}
	// A 400 ms pause is inside one utterance.
	pcm = noise(vadtest.Concat(vadtest.Silence(seconds(1)), a, vadtest.Silence(seconds(0.4)), b, vadtest.Silence(seconds(1.5))))
	if ev := run(New(Config{}), pcm); len(ev) != 2 {
		t.Errorf("pause inside an utterance: events %+v", ev)
	}
	// A configured shorter end-of-utterance splits it.
	if ev := run(New(Config{EndSilence: 300 * time.Millisecond}), pcm); len(ev) != 4 {
		t.Errorf("300 ms end silence: events %+v", ev)
	}
}

func TestMaxUtterance(t *testing.T) {
	long := vadtest.Speech(t, "I have been waiting for the results of my blood test for three weeks now and nobody has called me back, and I would like to know what is going on with it and when I can expect to hear something from the doctor.", "-g", "0")
	long = vadtest.Scale(long, -20)
	pcm := vadtest.G711(vadtest.Concat(vadtest.Silence(seconds(1)), long, vadtest.Silence(seconds(2))))
	ev := run(New(Config{MaxUtterance: 4 * time.Second}), pcm)
	if len(ev) < 4 {
		t.Fatalf("events %+v", ev)
	}
	if ev[1].Kind != SpeechEnd || ev[1].Reason != EndedByLength {
		t.Fatalf("first end %+v, want by length", ev[1])
	}
	if d := ev[1].at - ev[0].Start; d < 3900*time.Millisecond || d > 4100*time.Millisecond {
		t.Errorf("utterance cut after %v, want 4 s", d)
	}
	// Still talking: a new utterance starts at once.
	if ev[2].Kind != SpeechStart || ev[2].at-ev[1].at > 400*time.Millisecond {
		t.Errorf("after the cut: %+v", ev[2])
	}
	if last := ev[len(ev)-1]; last.Kind != SpeechEnd || last.Reason != EndedBySilence {
		t.Errorf("last event %+v", last)
	}
}

func TestWhiteNoiseBurstIsNotSpeech(t *testing.T) {
	// A burst of broadband noise (a rustle on the handset) is loud but
	// not voiced: no barge-in.
	pcm := vadtest.Concat(vadtest.Silence(seconds(1)), vadtest.Noise(seconds(0.4), -20, 3), vadtest.Silence(seconds(2)))
	if ev := run(New(Config{}), vadtest.G711(pcm)); len(ev) != 0 {
		t.Errorf("noise burst: events %+v", ev)
	}
}

func TestResultFields(t *testing.T) {
	d := New(Config{})
	for range 10 {
		if r := d.Process(make([]int16, 160)); r.Active || r.Speaking {
			t.Fatal("silence during calibration reported active")
		}
	}
	// A steady 433 Hz tone is loud and voiced; a 440 Hz tone, which
	// repeats exactly every 50 ms as 60 Hz hum does, is loud but not.
	for _, tc := range []struct {
		freq   float64
		voiced bool
	}{{433, true}, {440, false}} {
		var r Result
		for _, f := range vadtest.Frames(sine(tc.freq, 8000, 10*160)) {
			r = d.Process(f)
		}
		if !r.Active || r.Voiced != tc.voiced || r.Level < -16 || r.Level > -14.5 || r.Floor > -80 {
			t.Errorf("%.0f Hz tone: %+v", tc.freq, r)
		}
	}
	if SpeechStart.String() != "speech-start" || EndedAsNoise.String() != "noise" {
		t.Error("names")
	}
}

func sine(freq, amp float64, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/SampleRate))
	}
	return pcm
}

func TestBargeInLatency(t *testing.T) {
	// Short answers, spoken over a quiet line, are reported within 200 ms
	// of their onset, fricative onsets ("seven", "sure") included.
	for _, v := range [][]string{{"-v", "en-us"}, {"-v", "en-us+f3", "-p", "70"}, {"-v", "en-gb+m3", "-s", "200"}} {
		for _, word := range []string{"Yes.", "No thanks.", "Seven.", "Sure.", "Hi, it's me.", "Hello?"} {
			speech := vadtest.Scale(vadtest.Speech(t, word, v...), -22)
			pcm := vadtest.Concat(vadtest.Silence(seconds(1)), speech, vadtest.Silence(seconds(1)))
			on, _ := speechSpan(pcm, -45)
			ev := run(New(Config{}), vadtest.G711(vadtest.Mix(pcm, vadtest.Noise(len(pcm), -50, 3))))
			if len(ev) != 2 || ev[0].Kind != SpeechStart {
				t.Errorf("%s %q: events %+v", v[1], word, ev)
				continue
			}
			if lag := ev[0].at - on; lag < 0 || lag > 200*time.Millisecond {
				t.Errorf("%s %q: start reported %v after the onset", v[1], word, lag)
			}
		}
	}
}
