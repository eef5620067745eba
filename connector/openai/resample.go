package openai

import (
	"fmt"
	"math"

	"frontdesk/voice/resample"
)

// Resampling to call audio. Providers speak at 16, 22.05, 24 or 44.1 kHz;
// a call carries 8 kHz. A 16 kHz source goes through the appliance's
// half-band filter (package resample); other rates through a polyphase
// windowed-sinc filter: for output rate r below the input rate, passband to
// 0.85·r/2, stopband from r/2 at 70 dB, Kaiser window, each phase scaled to
// unity gain at DC. The filter is centred, so the output is not delayed.
const (
	stopbandDB = 70.0
	maxPhases  = 4096
)

// resampleTo converts pcm from rate from to rate to.
func resampleTo(pcm []int16, from, to int) ([]int16, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("resample: rate %d Hz to %d Hz", from, to)
	}
	if from == to {
		return append([]int16(nil), pcm...), nil
	}
	if from == 2*to && to == 8000 {
		return resample.Downsample(pcm), nil
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output n sits at input n·down/up
	if up > maxPhases {
		return nil, fmt.Errorf("resample: %d Hz to %d Hz needs %d filter phases", from, to, up)
	}
	nyq := float64(min(from, to)) / 2
	pass, stop := 0.85*nyq, nyq
	fc := (pass + stop) / 2 / float64(from) // cut-off, cycles per input sample
	df := (stop - pass) / float64(from)     // transition width, likewise
	half := int(math.Ceil((stopbandDB - 8) / (2.285 * 2 * math.Pi * df) / 2))
	beta := 0.1102 * (stopbandDB - 8.7)
	i0b := bessel0(beta)

	// phases[p][k] weighs input sample i0-half+1+k for an output at
	// fractional position p/up after input i0.
	width := 2 * half
	phases := make([][]float64, up)
	for p := range phases {
		frac := float64(p) / float64(up)
		h := make([]float64, width)
		sum := 0.0
		for k := range h {
			d := float64(k-half+1) - frac // input sample minus output instant
			u := d / float64(half)
			if u <= -1 || u >= 1 {
				continue
			}
			x := 2 * fc * d
			sinc := 1.0
			if x != 0 {
				sinc = math.Sin(math.Pi*x) / (math.Pi * x)
			}
			h[k] = 2 * fc * sinc * bessel0(beta*math.Sqrt(1-u*u)) / i0b
			sum += h[k]
		}
		for k := range h {
			h[k] /= sum
		}
		phases[p] = h
	}
	n := int(int64(len(pcm)) * int64(up) / int64(down))
	out := make([]int16, n)
	for i := range out {
		pos := int64(i) * int64(down)
		i0, p := int(pos/int64(up)), int(pos%int64(up))
		h := phases[p]
		acc := 0.0
		start := i0 - half + 1
		for k, w := range h {
			j := start + k
			if j >= 0 && j < len(pcm) {
				acc += w * float64(pcm[j])
			}
		}
		out[i] = clamp16(acc)
	}
	return out, nil
}

func clamp16(x float64) int16 {
	x = math.Round(x)
	if x > math.MaxInt16 {
		return math.MaxInt16
	}
	if x < math.MinInt16 {
		return math.MinInt16
	}
	return int16(x)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// bessel0 is the zeroth-order modified Bessel function of the first kind.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 60; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}
