// Package vadtest makes synthetic 8 kHz test audio for the per-call media
// code (voice activity, DTMF, prosody): speech spoken by espeak-ng, and the
// noises a telephone line adds. Levels are RMS in dBFS, where 0 dBFS is the
// RMS of a full-scale square wave (a full-scale sine is −3 dBFS).
package vadtest

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/zaf/g711"
)

// SampleRate is the rate of all audio this package makes.
const SampleRate = 8000

// Speech returns text spoken by espeak-ng and resampled to 8 kHz by sox.
// args are extra espeak-ng options, such as "-v", "en-us+f3", "-p", "70"
// or "-s", "200". It skips the test when either program is missing.
func Speech(tb testing.TB, text string, args ...string) []int16 {
	tb.Helper()
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		tb.Skip("espeak-ng not installed")
	}
	sox, err := exec.LookPath("sox")
	if err != nil {
		tb.Skip("sox not installed")
	}
	dir := tb.TempDir()
	wav := filepath.Join(dir, "speech.wav")
	raw := filepath.Join(dir, "speech.raw")
	cmd := exec.Command(espeak, append(append([]string{"-w", wav}, args...), text)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("espeak-ng: %v: %s", err, out)
	}
	// -D: no dither, so that the audio is the same on every run.
	cmd = exec.Command(sox, "-D", wav, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("sox: %v: %s", err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		tb.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	if err := binary.Read(bytes.NewReader(b[:2*len(pcm)]), binary.LittleEndian, pcm); err != nil {
		tb.Fatal(err)
	}
	return pcm
}

// Level returns the RMS level of pcm in dBFS (−inf for digital silence).
func Level(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return 10 * math.Log10(sum/float64(len(pcm))/(32768*32768))
}

// Scale returns pcm with its RMS level set to level dBFS.
func Scale(pcm []int16, level float64) []int16 {
	g := math.Pow(10, (level-Level(pcm))/20)
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = clip(float64(s) * g)
	}
	return out
}

// Mix returns the sample-wise sum of a and b, as long as the longer one,
// clipped to 16 bits.
func Mix(a, b []int16) []int16 {
	out := make([]int16, max(len(a), len(b)))
	for i := range out {
		var s float64
		if i < len(a) {
			s += float64(a[i])
		}
		if i < len(b) {
			s += float64(b[i])
		}
		out[i] = clip(s)
	}
	return out
}

// Concat joins pieces of audio.
func Concat(pieces ...[]int16) []int16 {
	var out []int16
	for _, p := range pieces {
		out = append(out, p...)
	}
	return out
}

// Trim returns pcm without its leading and trailing silence: whatever
// lies outside the first and last 10 ms above −50 dBFS.
func Trim(pcm []int16) []int16 {
	first, last := -1, -1
	for i := 0; i+80 <= len(pcm); i += 80 {
		if Level(pcm[i:i+80]) > -50 {
			if first < 0 {
				first = i
			}
			last = i + 80
		}
	}
	if first < 0 {
		return nil
	}
	return pcm[first:last]
}

// Silence returns n samples of digital silence.
func Silence(n int) []int16 { return make([]int16, n) }

// Noise returns n samples of Gaussian white noise at level dBFS, the same
// for the same seed.
func Noise(n int, level float64, seed uint64) []int16 {
	sigma := math.Pow(10, level/20) * 32768
	x := seed | 1
	next := func() float64 { // xorshift64 in (0, 1)
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return (float64(x>>11) + 0.5) / (1 << 53)
	}
	out := make([]int16, n)
	for i := 0; i < n; i += 2 {
		r := math.Sqrt(-2 * math.Log(next()))
		th := 2 * math.Pi * next()
		out[i] = clip(sigma * r * math.Cos(th))
		if i+1 < n {
			out[i+1] = clip(sigma * r * math.Sin(th))
		}
	}
	return out
}

// Rumble returns n samples of low-frequency noise at level dBFS, like a
// fan or traffic behind the caller: white noise through a one-pole
// low-pass filter at about 130 Hz.
func Rumble(n int, level float64, seed uint64) []int16 {
	white := Noise(n, -20, seed)
	out := make([]int16, n)
	var y float64
	for i, x := range white {
		y = 0.9*y + float64(x)
		out[i] = clip(y)
	}
	return Scale(out, level)
}

// ComfortNoise returns n samples of the low-level noise a gateway sends in
// place of silence (white noise at level dBFS, typically −60 to −45),
// passed through G.711 µ-law as it would reach the appliance.
func ComfortNoise(n int, level float64, seed uint64) []int16 {
	return G711(Noise(n, level, seed))
}

// Hum returns n samples of mains hum at level dBFS: a fundamental of freq
// Hz (50 or 60) with odd and even harmonics falling off at 6 dB per
// harmonic number, up to 1 kHz, as a ground loop puts on an analogue line.
func Hum(n int, freq, level float64) []int16 {
	out := make([]float64, n)
	for h := 1; float64(h)*freq <= 1000; h++ {
		a := 1 / float64(h)
		ph := float64(h) * 0.7
		for i := range out {
			out[i] += a * math.Sin(2*math.Pi*float64(h)*freq*float64(i)/SampleRate+ph)
		}
	}
	var sum float64
	for _, v := range out {
		sum += v * v
	}
	g := math.Pow(10, level/20) * 32768 / math.Sqrt(sum/float64(n))
	pcm := make([]int16, n)
	for i, v := range out {
		pcm[i] = clip(v * g)
	}
	return pcm
}

// G711 returns pcm after a µ-law encode and decode, as it arrives from a
// G.711 call.
func G711(pcm []int16) []int16 {
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(s))
	}
	return out
}

// Frames splits pcm into 20 ms frames of 160 samples, dropping a short
// tail.
func Frames(pcm []int16) [][]int16 {
	var out [][]int16
	for i := 0; i+160 <= len(pcm); i += 160 {
		out = append(out, pcm[i:i+160])
	}
	return out
}

func clip(v float64) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(v))
}
