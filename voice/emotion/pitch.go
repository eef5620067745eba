package emotion

import "math"

const (
	// MinPitch is the lowest pitch Pitch finds, in Hz: a deep male voice.
	MinPitch = 60.0
	// MaxPitch is the highest pitch Pitch finds, in Hz: a raised child's
	// voice.
	MaxPitch = 500.0
)

const (
	// yinThreshold is the dip in YIN's cumulative mean normalised
	// difference that marks a period (de Cheveigné and Kawahara suggest
	// 0.10–0.15).
	yinThreshold = 0.15
	// minLag and maxLag bound the periods searched, in samples: 500 Hz,
	// and one lag past 60 Hz so that the last can be interpolated.
	minLag = 16
	maxLag = 134
	// yinWindow is the stretch compared with its past: one 20 ms frame.
	yinWindow = SampleRate / 50
	// yinInput is how many samples Pitch needs.
	yinInput = yinWindow + maxLag
	// pitchBuffer is what an Analyzer hands Pitch: the previous frame and
	// the current one, which covers yinInput.
	pitchBuffer = 2 * yinWindow
)

// Pitch estimates the fundamental frequency of the last 20 ms of x, 8 kHz
// PCM with at least 294 samples (the frame and 134 before it), with the
// YIN algorithm (de Cheveigné and Kawahara, 2002): the difference function
// over lags of 2–16.7 ms, its cumulative mean normalisation, the first dip
// below 0.15, and parabolic interpolation around it. It reports false for
// unvoiced or silent audio.
func Pitch(x []int16) (float64, bool) {
	if len(x) < yinInput {
		return 0, false
	}
	x = x[len(x)-yinInput:]
	cur := x[maxLag:]

	// d[τ] = Σ (x[j] − x[j−τ])² over the frame, in integers: exact, and
	// cheaper than floating point.
	var d [maxLag + 1]int64
	for tau := 1; tau <= maxLag; tau++ {
		past := x[maxLag-tau : maxLag-tau+yinWindow]
		var s0, s1, s2, s3 int64
		for j := 0; j < yinWindow; j += 4 {
			a := int64(cur[j]) - int64(past[j])
			b := int64(cur[j+1]) - int64(past[j+1])
			c := int64(cur[j+2]) - int64(past[j+2])
			e := int64(cur[j+3]) - int64(past[j+3])
			s0 += a * a
			s1 += b * b
			s2 += c * c
			s3 += e * e
		}
		d[tau] = s0 + s1 + s2 + s3
	}

	// Cumulative mean normalised difference.
	var cmnd [maxLag + 1]float64
	cmnd[0] = 1
	var sum int64
	for tau := 1; tau <= maxLag; tau++ {
		sum += d[tau]
		if sum == 0 {
			return 0, false // silence
		}
		cmnd[tau] = float64(d[tau]) * float64(tau) / float64(sum)
	}

	tau := 0
	for t := minLag; t < maxLag; t++ {
		if cmnd[t] < yinThreshold {
			for t+1 < maxLag && cmnd[t+1] < cmnd[t] {
				t++
			}
			tau = t
			break
		}
	}
	if tau == 0 {
		return 0, false
	}
	a, b, c := cmnd[tau-1], cmnd[tau], cmnd[tau+1]
	shift := 0.0
	if den := a - 2*b + c; den > 0 {
		shift = math.Max(-0.5, math.Min(0.5, (a-c)/(2*den)))
	}
	return SampleRate / (float64(tau) + shift), true
}
