package resample

import (
	"math"
	"testing"
)

// tone returns n samples of a sine of freq Hz at rate Hz and amplitude amp.
func tone(freq, amp float64, rate, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return pcm
}

// amplitude measures the amplitude of the freq Hz component of pcm with the
// Goertzel algorithm, over whole cycles (pcm is long and freq·len/rate is
// made integral by the callers' choice of lengths).
func amplitude(pcm []int16, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(len(pcm))
}

// rms is the root mean square of pcm.
func rms(pcm []int16) float64 {
	var sum float64
	for _, x := range pcm {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

func db(ratio float64) float64 { return 20 * math.Log10(ratio) }

// steady drops the filter's start-up and tail so measurements see only the
// steady state.
func steady(pcm []int16) []int16 { return pcm[200 : len(pcm)-200] }

func TestUpsampleKeepsFrequency(t *testing.T) {
	const amp = 10000
	for _, f := range []float64{300, 1000, 2000, 3400, 3500} {
		in := tone(f, amp, 8000, 8000)
		out := Upsample(in)
		if len(out) != 16000 {
			t.Fatalf("%.0f Hz: %d samples out, want 16000", f, len(out))
		}
		body := steady(out)
		got := amplitude(body, f, 16000)
		if d := db(got / amp); math.Abs(d) > 0.05 {
			t.Errorf("%.0f Hz: gain %.3f dB, want 0 ± 0.05", f, d)
		}
		// All the energy must be at f: the image at 8000-f (which a
		// zero-stuffed signal has at full strength) must be gone.
		image := amplitude(body, 8000-f, 16000)
		if d := db(image / amp); d > -60 {
			t.Errorf("%.0f Hz: image at %.0f Hz only %.1f dB down", f, 8000-f, d)
		}
		residual := rms(body)*math.Sqrt2 - got
		if d := db(math.Abs(residual) / amp); d > -40 {
			t.Errorf("%.0f Hz: %.1f dB of energy away from the tone", f, d)
		}
	}
}

func TestUpsampleAlignment(t *testing.T) {
	in := tone(1000, 10000, 8000, 800)
	out := Upsample(in)
	// Every second output sample is an input sample, exactly.
	for i := 100; i < len(in)-100; i++ {
		if out[2*i] != in[i] {
			t.Fatalf("out[%d] = %d, want in[%d] = %d", 2*i, out[2*i], i, in[i])
		}
	}
	// And the samples between follow the sine at the half-sample points.
	for i := 100; i < len(in)-100; i++ {
		want := 10000 * math.Sin(2*math.Pi*1000*(float64(i)+0.5)/8000)
		if math.Abs(float64(out[2*i+1])-want) > 3 {
			t.Fatalf("out[%d] = %d, want %.1f", 2*i+1, out[2*i+1], want)
		}
	}
}

func TestDownsampleKeepsPassband(t *testing.T) {
	const amp = 10000
	for _, f := range []float64{300, 1000, 3000, 3500} {
		in := tone(f, amp, 16000, 16000)
		out := Downsample(in)
		if len(out) != 8000 {
			t.Fatalf("%.0f Hz: %d samples out, want 8000", f, len(out))
		}
		got := amplitude(steady(out), f, 8000)
		if d := db(got / amp); math.Abs(d) > 0.05 {
			t.Errorf("%.0f Hz: gain %.3f dB, want 0 ± 0.05", f, d)
		}
	}
}

func TestDownsampleSuppressesAliases(t *testing.T) {
	const amp = 20000
	for _, f := range []float64{4500, 5000, 6000, 7000, 7900} {
		out := Downsample(tone(f, amp, 16000, 16000))
		// Without filtering, f would fold onto 8000-f at full strength.
		alias := amplitude(steady(out), 8000-f, 8000)
		if d := db(alias / amp); d > -70 {
			t.Errorf("%.0f Hz: alias at %.0f Hz only %.1f dB down", f, 8000-f, d)
		}
		if d := db(rms(steady(out)) * math.Sqrt2 / amp); d > -70 {
			t.Errorf("%.0f Hz: output %.1f dB, want below -70 dB", f, d)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	in := make([]int16, 8000)
	for i := range in {
		x := 0.0
		for _, f := range []float64{250, 700, 1333, 2100, 3100} {
			x += 4000 * math.Sin(2*math.Pi*f*float64(i)/8000+f)
		}
		in[i] = int16(math.Round(x))
	}
	back := Downsample(Upsample(in))
	if len(back) != len(in) {
		t.Fatalf("round trip gave %d samples, want %d", len(back), len(in))
	}
	var sig, noise float64
	for i := 200; i < len(in)-200; i++ {
		d := float64(back[i]) - float64(in[i])
		sig += float64(in[i]) * float64(in[i])
		noise += d * d
	}
	if snr := 10 * math.Log10(sig/noise); snr < 60 {
		t.Errorf("round trip SNR %.1f dB, want at least 60", snr)
	}
}

// TestStreamingMatchesWhole checks that chunked processing, including odd
// chunk sizes, joins seamlessly: the output equals one call on the whole.
func TestStreamingMatchesWhole(t *testing.T) {
	in8 := tone(1234, 12000, 8000, 4003)
	in16 := tone(2345, 12000, 16000, 8007)
	var u Upsampler
	wantUp := u.Process(nil, in8)
	var d Downsampler
	wantDown := d.Process(nil, in16)
	if len(wantUp) != 2*len(in8) || len(wantDown) != len(in16)/2 {
		t.Fatalf("lengths %d and %d, want %d and %d", len(wantUp), len(wantDown), 2*len(in8), len(in16)/2)
	}
	for _, sizes := range [][]int{{160}, {320}, {1}, {7, 160, 3, 333}, {2, 1, 1}} {
		var u Upsampler
		var d Downsampler
		var gotUp, gotDown []int16
		for i, k := 0, 0; i < len(in8); k++ {
			n := min(sizes[k%len(sizes)], len(in8)-i)
			gotUp = u.Process(gotUp, in8[i:i+n])
			i += n
		}
		for i, k := 0, 0; i < len(in16); k++ {
			n := min(sizes[k%len(sizes)], len(in16)-i)
			gotDown = d.Process(gotDown, in16[i:i+n])
			i += n
		}
		if !equal(gotUp, wantUp) {
			t.Errorf("chunks %v: upsampled stream differs from whole", sizes)
		}
		if !equal(gotDown, wantDown) {
			t.Errorf("chunks %v: downsampled stream differs from whole", sizes)
		}
	}
}

func TestReset(t *testing.T) {
	in := tone(1000, 10000, 8000, 160)
	var u Upsampler
	first := u.Process(nil, in)
	u.Process(nil, in)
	u.Reset()
	if again := u.Process(nil, in); !equal(again, first) {
		t.Error("Upsampler after Reset differs from a new one")
	}
	var d Downsampler
	first = d.Process(nil, in)
	d.Process(nil, in[:7])
	d.Reset()
	if again := d.Process(nil, in); !equal(again, first) {
		t.Error("Downsampler after Reset differs from a new one")
	}
}

func TestSaturates(t *testing.T) {
	// A full-scale square wave overshoots after filtering (Gibbs); the
	// result must clip, not wrap around.
	in := make([]int16, 800)
	for i := range in {
		in[i] = math.MaxInt16
		if i/20%2 == 1 {
			in[i] = math.MinInt16
		}
	}
	out := Upsample(in)
	for i := 1; i < len(out); i++ {
		if d := int(out[i]) - int(out[i-1]); d > 40000 || d < -40000 {
			t.Fatalf("jump of %d between samples %d and %d: wrapped around", d, i-1, i)
		}
	}
	if rms(Upsample(make([]int16, 100))) != 0 {
		t.Error("silence did not stay silent")
	}
}

func TestFilterDesign(t *testing.T) {
	var sum float64
	for i, c := range coef {
		sum += float64(c)
		if c != coef[branch-1-i] {
			t.Fatalf("coef[%d] = %g, coef[%d] = %g: not symmetric", i, c, branch-1-i, coef[branch-1-i])
		}
	}
	if math.Abs(sum-0.5) > 1e-6 {
		t.Errorf("branch sums to %g, want 0.5", sum)
	}
	// The prototype's response, on the 16 kHz side, as the package
	// documents it: flat passband to 3.5 kHz, deep stopband from 4.5 kHz.
	var ripple, stop float64 = 0, -200
	for f := 0.0; f <= 8000; f += 5 {
		switch g := db(response(f)); {
		case f <= 3500:
			ripple = math.Max(ripple, math.Abs(g))
		case f >= 4500:
			stop = math.Max(stop, g)
		}
	}
	if ripple > 0.002 {
		t.Errorf("passband ripple %.4f dB, want at most 0.002", ripple)
	}
	if stop > -75 {
		t.Errorf("stopband %.1f dB, want at most -75", stop)
	}
}

// response is the magnitude of the half-band prototype's frequency
// response at f Hz on the 16 kHz side, with unity gain at DC.
func response(f float64) float64 {
	var re, im float64
	add := func(h float64, m int) {
		w := 2 * math.Pi * f / 16000 * float64(m)
		re += h * math.Cos(w)
		im += h * math.Sin(w)
	}
	add(0.5, 0)
	for i, c := range coef {
		add(float64(c), 2*i-center)
	}
	return math.Hypot(re, im)
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkUpsample measures converting one second of 8 kHz audio in 20 ms
// chunks, as a call's media path does.
func BenchmarkUpsample(b *testing.B) {
	in := tone(1000, 10000, 8000, 8000)
	var u Upsampler
	out := make([]int16, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(in); i += 160 {
			out = u.Process(out[:0], in[i:i+160])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/audio-s")
}

// BenchmarkDownsample measures converting one second of 16 kHz audio in
// 20 ms chunks.
func BenchmarkDownsample(b *testing.B) {
	in := tone(1000, 10000, 16000, 16000)
	var d Downsampler
	out := make([]int16, 0, 160)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(in); i += 320 {
			out = d.Process(out[:0], in[i:i+320])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/audio-s")
}
