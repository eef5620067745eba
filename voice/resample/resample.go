// Package resample converts 16-bit PCM between 8 kHz (G.711 call audio) and
// 16 kHz (the rate of the speech recognizer's acoustic model).
//
// Both directions use one linear-phase half-band low-pass FIR: 79 taps,
// Kaiser window (β = 7.5), cut-off at 4 kHz on the 16 kHz side. The
// passband is flat to within ±0.002 dB up to 3.5 kHz and the stopband, from
// 4.5 kHz, is at least 75 dB down, so telephone speech (300–3400 Hz) passes
// unchanged while upsampling images and downsampling aliases are removed.
// In a half-band filter every second tap is zero, so the filters run as
// polyphase branches of 40 taps and a pure delay.
//
// Upsampler and Downsampler keep their filter history between calls, so a
// stream processed in 20 ms chunks (or chunks of any size, even odd ones)
// gives the same samples as the whole stream processed at once. The
// streaming filters are causal and delay their output by UpsamplerDelay or
// DownsamplerDelay samples; Upsample and Downsample convert a whole buffer
// with that delay removed.
package resample

import "math"

const (
	// taps is the length of the half-band prototype filter; (taps-1)/2 is
	// odd so that the first and last taps are non-zero.
	taps   = 79
	center = (taps - 1) / 2
	// branch is the number of non-zero taps in the filtered polyphase branch.
	branch = center + 1
	// kaiserBeta gives about 75 dB of stopband attenuation at this length.
	kaiserBeta = 7.5
)

// UpsamplerDelay is the delay, in 16 kHz output samples, that an Upsampler
// adds to the stream.
const UpsamplerDelay = center

// DownsamplerDelay is the delay, in 8 kHz output samples, that a
// Downsampler adds to the stream.
const DownsamplerDelay = center / 2

// coef holds the filtered branch: coef[i] is the prototype's tap 2i, so the
// taps at odd distances from the centre. The other branch is the centre tap
// alone, exactly 1/2.
var coef = design()

// design computes the filtered branch of a Kaiser-windowed half-band sinc
// with unity DC gain.
func design() [branch]float32 {
	var h [branch]float64
	sum := 0.0
	for i := range h {
		m := float64(2*i - center) // odd distance from the centre tap
		x := m / float64(center)
		w := bessel0(kaiserBeta*math.Sqrt(1-x*x)) / bessel0(kaiserBeta)
		h[i] = math.Sin(math.Pi*m/2) / (math.Pi * m) * w
		sum += h[i]
	}
	// With the centre tap at exactly 1/2, scaling the branch to sum to 1/2
	// gives each polyphase branch the same DC gain: no ripple at DC and no
	// 4 kHz tone when upsampling a constant.
	var c [branch]float32
	for i := range h {
		c[i] = float32(h[i] * 0.5 / sum)
	}
	return c
}

// bessel0 is the zeroth-order modified Bessel function of the first kind.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

// Upsampler converts a stream of 8 kHz PCM to 16 kHz. Its zero value is
// ready to use; it must not be used by more than one goroutine at a time.
type Upsampler struct {
	// buf holds the last center input samples followed, during Process,
	// by the chunk being converted.
	buf []float32
}

// Process appends to dst the 2·len(src) samples at 16 kHz that follow from
// src and returns the extended slice.
func (u *Upsampler) Process(dst, src []int16) []int16 {
	if u.buf == nil {
		u.buf = make([]float32, center, center+len(src))
	}
	for _, s := range src {
		u.buf = append(u.buf, float32(s))
	}
	// Output pair n is produced from input n (buffer index p = center-1+n+1)
	// looking back center samples: the even output filters them, the odd
	// output is the input at the filter's midpoint, delayed.
	for p := center; p < len(u.buf); p++ {
		window := u.buf[p-center : p+1]
		var acc float32
		for i, c := range coef {
			acc += c * window[center-i]
		}
		dst = append(dst, toInt16(2*acc), toInt16(window[center-center/2]))
	}
	n := copy(u.buf, u.buf[len(u.buf)-center:])
	u.buf = u.buf[:n]
	return dst
}

// Reset clears the Upsampler's history, as if it were new.
func (u *Upsampler) Reset() { u.buf = nil }

// Downsampler converts a stream of 16 kHz PCM to 8 kHz. Its zero value is
// ready to use; it must not be used by more than one goroutine at a time.
type Downsampler struct {
	// buf holds the last taps-1 input samples followed, during Process, by
	// the chunk being converted.
	buf []float32
	// odd records that the stream so far has an odd number of samples.
	odd bool
}

// Process appends to dst the 8 kHz samples that follow from src, one for
// every second input sample of the stream, and returns the extended slice.
func (d *Downsampler) Process(dst, src []int16) []int16 {
	const hist = taps - 1
	if d.buf == nil {
		d.buf = make([]float32, hist, hist+len(src))
	}
	start := len(d.buf)
	for _, s := range src {
		d.buf = append(d.buf, float32(s))
	}
	// Outputs are taken at the stream's odd input indices, which centres
	// output k on input 2(k-DownsamplerDelay) exactly.
	first := start
	if !d.odd {
		first++
	}
	for p := first; p < len(d.buf); p += 2 {
		window := d.buf[p-hist : p+1]
		acc := 0.5 * window[hist-center]
		for i, c := range coef {
			acc += c * window[hist-2*i]
		}
		dst = append(dst, toInt16(acc))
	}
	if len(src)%2 == 1 {
		d.odd = !d.odd
	}
	n := copy(d.buf, d.buf[len(d.buf)-hist:])
	d.buf = d.buf[:n]
	return dst
}

// Reset clears the Downsampler's history, as if it were new.
func (d *Downsampler) Reset() { d.buf, d.odd = nil, false }

// Upsample converts a whole buffer of 8 kHz PCM to 16 kHz, returning
// 2·len(pcm) samples aligned with the input (the filter delay removed).
func Upsample(pcm []int16) []int16 {
	var u Upsampler
	out := make([]int16, 0, 2*len(pcm)+2*(center/2+1))
	out = u.Process(out, pcm)
	out = u.Process(out, make([]int16, center/2+1))
	return out[UpsamplerDelay : UpsamplerDelay+2*len(pcm)]
}

// Downsample converts a whole buffer of 16 kHz PCM to 8 kHz, returning
// (len(pcm)+1)/2 samples aligned with the input's even-indexed samples (the
// filter delay removed).
func Downsample(pcm []int16) []int16 {
	var d Downsampler
	n := (len(pcm) + 1) / 2
	out := make([]int16, 0, n+DownsamplerDelay+1)
	out = d.Process(out, pcm)
	out = d.Process(out, make([]int16, 2*DownsamplerDelay+2))
	return out[DownsamplerDelay : DownsamplerDelay+n]
}

// toInt16 rounds x to the nearest int16, saturating at the limits.
func toInt16(x float32) int16 {
	switch {
	case x >= math.MaxInt16:
		return math.MaxInt16
	case x <= math.MinInt16:
		return math.MinInt16
	case x >= 0:
		return int16(x + 0.5)
	default:
		return int16(x - 0.5)
	}
}
