package dtmf

import (
	"fmt"
	"math"
	"time"
)

// SampleRate is the rate of the in-band audio this package generates and
// detects.
const SampleRate = 8000

// The DTMF frequencies (ITU-T Q.23): a digit is one of the low (row) group
// and one of the high (column) group.
var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]rune{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

// Frequencies returns the low- and high-group frequencies of digit, in Hz.
func Frequencies(digit rune) (low, high float64, ok bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for r, row := range keypad {
		for c, d := range row {
			if d == digit {
				return rowFreqs[r], colFreqs[c], true
			}
		}
	}
	return 0, 0, false
}

// Generator synthesises in-band DTMF tones at 8 kHz. Levels are RMS in
// dBFS (0 dBFS is the RMS of a full-scale square wave). The zero value
// sends both tones at −10 dBFS.
type Generator struct {
	// Level is the level of the low-group tone; 0 means −10 dBFS.
	Level float64
	// Twist is the level of the high-group tone relative to the low-group
	// tone, in dB; phones often send the high group 1–3 dB louder.
	Twist float64
}

// Tone appends to dst the tone for digit lasting d.
func (g Generator) Tone(dst []int16, digit rune, d time.Duration) ([]int16, error) {
	low, high, ok := Frequencies(digit)
	if !ok {
		return dst, fmt.Errorf("dtmf: tone: %q is not a keypad digit", digit)
	}
	level := g.Level
	if level == 0 {
		level = -10
	}
	// A sine's peak is √2 times its RMS.
	aLow := math.Pow(10, level/20) * 32768 * math.Sqrt2
	aHigh := aLow * math.Pow(10, g.Twist/20)
	if aLow+aHigh > math.MaxInt16 {
		return dst, fmt.Errorf("dtmf: tone: levels %.1f and %.1f dBFS clip", level, level+g.Twist)
	}
	n := int(d * SampleRate / time.Second)
	wl, wh := 2*math.Pi*low/SampleRate, 2*math.Pi*high/SampleRate
	for i := range n {
		v := aLow*math.Sin(wl*float64(i)) + aHigh*math.Sin(wh*float64(i))
		dst = append(dst, int16(math.Round(v)))
	}
	return dst, nil
}

// Dial appends to dst the tones for digits, each lasting on and followed by
// off of silence.
func (g Generator) Dial(dst []int16, digits string, on, off time.Duration) ([]int16, error) {
	gap := int(off * SampleRate / time.Second)
	for _, d := range digits {
		var err error
		if dst, err = g.Tone(dst, d, on); err != nil {
			return dst, err
		}
		dst = append(dst, make([]int16, gap)...)
	}
	return dst, nil
}
