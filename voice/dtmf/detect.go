package dtmf

import "math"

// The detector analyses windows of 102 samples (12.75 ms) every 51
// samples. At that length the Goertzel filters' first nulls fall close to
// the neighbouring row frequencies (73–89 Hz apart), so adjacent rows
// barely leak into each other; the half overlap measures a tone's length
// to within 6.4 ms.
const (
	blockSize = 102
	hop       = blockSize / 2
)

// Thresholds. Energies compare as power ratios.
const (
	// minToneLevel is the weakest tone accepted, per frequency, in dBFS
	// RMS (about −32 dBm0 on a G.711 line).
	minToneLevel = -35.0
	// normalTwist is how much weaker the high-group tone may be than the
	// low-group tone (8 dB), reverseTwist how much stronger (4 dB).
	normalTwist  = 6.31
	reverseTwist = 2.51
	// relativePeak is how far (8 dB) the strongest tone of each group
	// must stand above the others of its group.
	relativePeak = 6.31
	// toneShare is the least share of a block's energy the two tones must
	// hold. Speech spreads its energy over many harmonics and formants; a
	// key press puts nearly all of it into two frequencies. A block only
	// partly covered by a tone holds it in proportion to the coverage, so
	// this also rejects a tone's ragged edges.
	toneShare = 0.55
	// harmonicShare bounds the second harmonic of the high-group tone
	// relative to the tone: a generated tone has none, voiced speech has
	// strong ones. (The low group's second harmonics, 1394–1882 Hz, fall
	// too close to the high-group tones to measure in a block this short.)
	harmonicShare = 0.1
	// detune is the relative frequency offset of the probes on either
	// side of each tone: a tone is accepted only when it is closer to its
	// DTMF frequency than to either probe, that is within about ±2.5 %,
	// midway between ITU-T Q.24's ±1.5 % (accept) and ±3.5 % (reject).
	detune = 0.05
	// onBlocks is how many consecutive windows must carry the same digit
	// before it is accepted. A window holds a tone in proportion to how
	// much of it the tone covers, so it passes the checks at a cover of at
	// least 55 % (toneShare) and always at 80 % or more. A 40 ms tone
	// covers at least five windows 80 %; a 20 ms tone at most three
	// windows 55 %: four separates the accept and reject limits of ITU-T
	// Q.24.
	onBlocks = 4
	// offBlocks is how many consecutive windows without the digit end a
	// press. By the same arithmetic a 40 ms pause spoils at least six
	// windows and a 20 ms dropout (a lost packet) at most five, so a
	// dropout does not make one press two.
	offBlocks = 6
)

// Goertzel coefficients, 2·cos(2πf/fs): toneCoef for the four row and
// the four column frequencies, probeCoef for each of them detuned down and
// up, harmonicCoef for the column frequencies' second harmonics.
var toneCoef, probeCoef, harmonicCoef = func() (t [8]float32, p [8][2]float32, h [4]float32) {
	coef := func(f float64) float32 { return float32(2 * math.Cos(2*math.Pi*f/SampleRate)) }
	for i, f := range append(rowFreqs[:], colFreqs[:]...) {
		t[i] = coef(f)
		p[i] = [2]float32{coef(f * (1 - detune)), coef(f * (1 + detune))}
	}
	for i, f := range colFreqs {
		h[i] = coef(2 * f)
	}
	return
}()

// minToneEnergy is minToneLevel as the block energy of one sine, in the
// units of toneEnergy.
var minToneEnergy = float32(blockSize * math.Pow(10, minToneLevel/10) * 32768 * 32768)

// Detector finds in-band DTMF digits in 8 kHz PCM with the Goertzel
// algorithm: for each block it measures the eight DTMF frequencies and
// accepts a digit when one row and one column tone are strong enough, of
// similar level (twist), each within about 2.5 % of its nominal
// frequency, well above the other frequencies of their groups, hold most
// of the block's energy, and the high tone has no strong second harmonic —
// and only when that holds for two blocks in a row, which tones of 40 ms
// always achieve and tones of 20 ms never do. A press ends after about
// 40 ms without its tone, so a shorter dropout does not make one press two.
// It reports each key press once. The zero
// value is not ready; use NewDetector. It is not safe for concurrent use.
type Detector struct {
	window [blockSize]float32
	n      int

	digit     rune // the digit being pressed, or 0
	candidate rune
	hits      int
	misses    int
}

// NewDetector returns a Detector waiting for its first digit.
func NewDetector() *Detector { return &Detector{} }

// Reset forgets any tone in progress.
func (d *Detector) Reset() { *d = Detector{} }

// Detect analyses pcm, which continues the audio of earlier calls, and
// appends to digits each digit whose key press is recognised within it.
func (d *Detector) Detect(pcm []int16, digits []rune) []rune {
	for len(pcm) > 0 {
		k := copy32(d.window[d.n:], pcm)
		d.n += k
		pcm = pcm[k:]
		if d.n < blockSize {
			break
		}
		if got, ok := d.step(classify(&d.window)); ok {
			digits = append(digits, got)
		}
		d.n = copy(d.window[:], d.window[hop:])
	}
	return digits
}

func copy32(dst []float32, src []int16) int {
	n := min(len(dst), len(src))
	for i := range n {
		dst[i] = float32(src[i])
	}
	return n
}

// step advances the key-press state machine by one window that carries
// digit (0 for none) and returns a newly accepted digit.
func (d *Detector) step(digit rune) (rune, bool) {
	if d.digit != 0 {
		if digit == d.digit {
			d.misses = 0
			return 0, false
		}
		if d.misses++; d.misses >= offBlocks {
			d.digit, d.misses, d.hits, d.candidate = 0, 0, 0, 0
		}
		return 0, false
	}
	if digit == 0 || digit != d.candidate {
		d.candidate, d.hits = digit, 0
	}
	if digit == 0 {
		return 0, false
	}
	if d.hits++; d.hits >= onBlocks {
		d.digit, d.misses = digit, 0
		return digit, true
	}
	return 0, false
}

// classify returns the digit one window carries, or 0.
func classify(x *[blockSize]float32) rune {
	var total float32
	for _, v := range x {
		total += v * v
	}
	if total < 2*minToneEnergy {
		return 0
	}
	var e [8]float32
	goertzel(x, toneCoef[:], e[:])
	r, c := argmax(e[:4]), argmax(e[4:])
	row, col := e[r], e[4+c]
	switch {
	case row < minToneEnergy || col < minToneEnergy:
		return 0
	case col > row*reverseTwist || row > col*normalTwist:
		return 0
	case row+col < toneShare*total:
		return 0
	}
	for i := range 4 {
		if i != r && e[i]*relativePeak > row {
			return 0
		}
		if i != c && e[4+i]*relativePeak > col {
			return 0
		}
	}
	var p [5]float32
	goertzel(x, []float32{probeCoef[r][0], probeCoef[r][1], probeCoef[4+c][0], probeCoef[4+c][1], harmonicCoef[c]}, p[:])
	if p[0] > row || p[1] > row || p[2] > col || p[3] > col || p[4] > harmonicShare*col {
		return 0
	}
	return keypad[r][c]
}

// goertzel writes to e the energy of x at each frequency whose Goertzel
// coefficient is in coef, scaled so that a sine's result equals its
// energy over the block (the sum of its squared samples).
func goertzel(x *[blockSize]float32, coef []float32, e []float32) {
	for k, c := range coef {
		var s1, s2 float32
		for _, v := range x {
			s1, s2 = v+c*s1-s2, s1
		}
		e[k] = (s1*s1 + s2*s2 - c*s1*s2) * 2 / blockSize
	}
}

func argmax(e []float32) int {
	best := 0
	for i := 1; i < len(e); i++ {
		if e[i] > e[best] {
			best = i
		}
	}
	return best
}
