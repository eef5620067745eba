// Package vad finds the caller's speech in a call's 8 kHz audio, frame by
// 20 ms frame: when an utterance starts (SpeechStart, fast enough to stop a
// prompt for barge-in) and when it has ended (SpeechEnd, after a
// configurable silence, or at a maximum length).
//
// Each frame is high-pass filtered at 200 Hz (so mains hum and its lowest
// harmonics count for nothing) and its level compared with an adaptive
// noise floor. A frame is active when it stands clear of the floor; an
// utterance starts when three of four frames are active and two frames of
// the run are voiced — dominated by low frequencies, as vowels are, which
// white comfort noise and clicks are not, and not repeating exactly every
// 40 or 50 ms, as mains hum (50 or 60 Hz and harmonics) does and a voice,
// whose pitch wanders, does not. A floor that rises to stationary
// noise, and a check that an utterance's level moves as speech does,
// keep comfort noise, line hum and fan noise from passing for speech.
package vad

import (
	"math"
	"time"
)

// SampleRate is the rate of the audio a Detector expects.
const SampleRate = 8000

// FrameDuration is the length of the frames a Detector expects.
const FrameDuration = 20 * time.Millisecond

// Config tunes a Detector. The zero value is ready for telephone speech.
type Config struct {
	// EndSilence is how long the caller must be silent for an utterance
	// to end; 0 means 700 ms.
	EndSilence time.Duration
	// MaxUtterance ends an utterance that goes on this long; 0 means 15 s.
	MaxUtterance time.Duration
	// Threshold is how far above the noise floor a frame must be to count
	// as speech, in dB; 0 means 9.
	Threshold float64
	// MinLevel is the level below which a frame never counts as speech,
	// in dBFS (after the high-pass filter); 0 means −50.
	MinLevel float64
	// Calibration is how long the Detector listens to learn the line's
	// noise before it reports anything; 0 means 200 ms.
	Calibration time.Duration
}

// EventKind names what a frame's Event reports.
type EventKind uint8

const (
	// None means nothing happened on this frame.
	None EventKind = iota
	// SpeechStart means an utterance has started.
	SpeechStart
	// SpeechEnd means the utterance has ended.
	SpeechEnd
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case SpeechStart:
		return "speech-start"
	case SpeechEnd:
		return "speech-end"
	}
	return "none"
}

// EndReason says why an utterance ended.
type EndReason uint8

const (
	// EndedBySilence means the caller was silent for EndSilence.
	EndedBySilence EndReason = iota + 1
	// EndedByLength means the utterance reached MaxUtterance.
	EndedByLength
	// EndedAsNoise means the "utterance" turned out to be stationary noise
	// (a hum or fan that started mid-call); its audio should be discarded.
	EndedAsNoise
)

// String names the reason.
func (r EndReason) String() string {
	switch r {
	case EndedBySilence:
		return "silence"
	case EndedByLength:
		return "max-length"
	case EndedAsNoise:
		return "noise"
	}
	return "none"
}

// Event is a change in the caller's speaking. Times are offsets from the
// start of the audio given to the Detector.
type Event struct {
	// Kind is what happened; None on most frames.
	Kind EventKind
	// Reason says why a SpeechEnd ended the utterance.
	Reason EndReason
	// Start is when the utterance's speech began: the start of its first
	// active frame, a few frames before SpeechStart is reported.
	Start time.Duration
	// End is, for SpeechEnd, the end of the utterance's last active frame.
	End time.Duration
}

// Result is a Detector's verdict on one frame.
type Result struct {
	// Event is what changed on this frame, if anything.
	Event Event
	// Active says the frame itself carries speech energy.
	Active bool
	// Voiced says the frame is dominated by low frequencies, as voiced
	// speech is, and does not repeat at a mains-hum period; meaningful for
	// active frames. The first frames after a quiet stretch do not count
	// as voiced: it takes 50 ms of audio to tell a voice from hum.
	Voiced bool
	// Speaking says the frame is inside an utterance, pauses included.
	Speaking bool
	// Level is the frame's level after the high-pass filter, in dBFS.
	Level float64
	// Floor is the current noise floor, in dBFS.
	Floor float64
}

const (
	onsetWindow  = 4    // frames looked at for an onset
	onsetActive  = 3    // of which this many must be active
	onsetVoiced  = 2    // and this many frames of the run voiced (one can be a filter's ringing)
	voicedR1     = 0.5  // lag-1 autocorrelation above which a frame is voiced
	fallRate     = 0.3  // share of the gap the floor falls per quieter frame
	riseQuiet    = 0.03 // dB per frame the floor rises outside speech (1.5 dB/s)
	riseSpeaking = 0.006
	settleFrames = 25  // 500 ms of steady noise outside speech resets the floor
	settleMargin = 3.0 // dB above the floor that counts as a new floor
	steadyFrames = 40  // 800 ms window of the stationarity check
	steadyRange  = 4.0 // dB: speech moves more than this in 800 ms
	minFloor     = -90.0
	// Mains hum repeats exactly every 40 ms (two periods of 50 Hz) or
	// 50 ms (three of 60 Hz); a voice's pitch wanders too much for that.
	frameSamples = SampleRate / 50
	humLag50     = 320
	humLag60     = 400
	humHistory   = humLag60
	humCorr      = 0.9
	humKnown     = 0.1 // the earlier audio's energy relative to the frame's
)

// Detector is the voice activity detector of one call's incoming audio. It
// is not safe for concurrent use.
type Detector struct {
	cfg        Config
	endFrames  int
	maxFrames  int
	calFrames  int
	hp         [2]biquad
	frame      int // frames seen
	floor      float64
	recent     [onsetWindow]bool // active flags of the last frames, by frame%onsetWindow
	runStart   int               // first frame of the current run of activity
	runVoiced  int               // voiced frames in the current run
	speaking   bool
	uttStart   int
	lastActive int
	levels     [steadyFrames]float64 // recent levels, by frame%steadyFrames
	hist       [humHistory + frameSamples]float32
}

// New returns a Detector for a new stream of audio.
func New(cfg Config) *Detector {
	if cfg.EndSilence <= 0 {
		cfg.EndSilence = 700 * time.Millisecond
	}
	if cfg.MaxUtterance <= 0 {
		cfg.MaxUtterance = 15 * time.Second
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = 9
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = -50
	}
	if cfg.Calibration <= 0 {
		cfg.Calibration = 200 * time.Millisecond
	}
	d := &Detector{
		cfg:       cfg,
		endFrames: int(cfg.EndSilence / FrameDuration),
		maxFrames: int(cfg.MaxUtterance / FrameDuration),
		calFrames: max(1, int(cfg.Calibration/FrameDuration)),
		floor:     math.Inf(1),
	}
	// A fourth-order Butterworth high-pass at 200 Hz, as two biquads.
	d.hp[0] = highPass(200, 0.5412)
	d.hp[1] = highPass(200, 1.3066)
	return d
}

// at converts a frame number to a time offset.
func at(frame int) time.Duration { return time.Duration(frame) * FrameDuration }

// Process analyses the next 20 ms frame.
func (d *Detector) Process(frame []int16) Result {
	level, r1 := d.measure(frame)
	n := d.frame
	d.frame++
	d.levels[n%steadyFrames] = level
	res := Result{Level: level, Voiced: r1 > voicedR1}

	if n < d.calFrames {
		// Learn the line's noise: the floor is the quietest frame heard.
		d.floor = math.Max(math.Min(d.floor, level), minFloor)
		res.Floor = d.floor
		return res
	}

	active := level > d.floor+d.cfg.Threshold && level > d.cfg.MinLevel
	res.Active = active
	d.trackFloor(level, n)
	res.Floor = d.floor

	prev := d.recent[(n+onsetWindow-1)%onsetWindow]
	d.recent[n%onsetWindow] = active
	if active && !prev {
		d.runStart, d.runVoiced = n, 0
	}
	if active && res.Voiced {
		d.runVoiced++
	}

	if !d.speaking {
		count := 0
		for _, a := range d.recent {
			if a {
				count++
			}
		}
		if active && count >= onsetActive && d.runVoiced >= onsetVoiced {
			d.speaking = true
			d.uttStart, d.lastActive = d.onset(n), n
			res.Event = Event{Kind: SpeechStart, Start: at(d.uttStart)}
		}
		res.Speaking = d.speaking
		return res
	}

	if active {
		d.lastActive = n
	}
	res.Speaking = true
	switch {
	case n-d.lastActive >= d.endFrames:
		res.Event = d.end(EndedBySilence)
	case n-d.uttStart+1 >= d.maxFrames:
		res.Event = d.end(EndedByLength)
	case n-d.uttStart >= steadyFrames && d.steady():
		// The last 800 ms hardly moved: stationary noise, not speech.
		// Take it as the new floor. If the utterance was nothing else,
		// it was never speech.
		d.floor = d.minLevel()
		if n-d.uttStart < steadyFrames+onsetWindow {
			res.Event = d.end(EndedAsNoise)
		}
	}
	return res
}

// onset finds where the run of activity that triggered a start began,
// allowing a one-frame gap inside it.
func (d *Detector) onset(n int) int {
	start := d.runStart
	for i := 1; i < onsetWindow; i++ {
		if d.recent[(n+onsetWindow-i)%onsetWindow] && n-i < start {
			start = n - i
		}
	}
	return start
}

// end closes the utterance.
func (d *Detector) end(reason EndReason) Event {
	d.speaking = false
	d.recent = [onsetWindow]bool{}
	d.runVoiced = 0
	return Event{Kind: SpeechEnd, Reason: reason, Start: at(d.uttStart), End: at(d.lastActive + 1)}
}

// trackFloor follows the noise floor: down quickly when the line gets
// quieter, up slowly, and up at once to noise that has stayed steady for
// settleFrames without speech.
func (d *Detector) trackFloor(level float64, n int) {
	switch {
	case level < d.floor:
		d.floor += fallRate * (level - d.floor)
	case d.speaking:
		d.floor += math.Min(level-d.floor, riseSpeaking)
	default:
		d.floor += math.Min(level-d.floor, riseQuiet)
		if n >= d.calFrames+settleFrames {
			if m := d.minOver(settleFrames); m > d.floor+settleMargin {
				d.floor = m
			}
		}
	}
	d.floor = math.Max(d.floor, minFloor)
}

// steady reports whether the level has stayed within steadyRange for the
// last steadyFrames frames.
func (d *Detector) steady() bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range d.levels {
		lo, hi = math.Min(lo, l), math.Max(hi, l)
	}
	return hi-lo < steadyRange
}

func (d *Detector) minLevel() float64 { return d.minOver(steadyFrames) }

// minOver is the lowest level of the last k frames.
func (d *Detector) minOver(k int) float64 {
	m := math.Inf(1)
	for i := 1; i <= k; i++ {
		m = math.Min(m, d.levels[(d.frame-i+steadyFrames)%steadyFrames])
	}
	return m
}

// measure filters the frame and returns its level in dBFS and a voicing
// measure: the filtered signal's lag-1 autocorrelation, or 0 when the frame
// repeats itself at a mains-hum period.
func (d *Detector) measure(frame []int16) (float64, float64) {
	if len(frame) == 0 {
		return minFloor, 0
	}
	var e, c, prev float32
	cur := d.hist[humHistory:]
	for i, s := range frame {
		y := d.hp[1].step(d.hp[0].step(float32(s)))
		e += y * y
		c += y * prev
		prev = y
		if i < len(cur) {
			cur[i] = y
		}
	}
	level := 10 * math.Log10(float64(e)/float64(len(frame))/(32768*32768)+1e-12)
	r1 := 0.0
	if e > 0 {
		r1 = float64(c / e)
	}
	if len(frame) == frameSamples {
		p50, ok50 := d.periodic(humLag50)
		p60, ok60 := d.periodic(humLag60)
		if p50 || p60 || !ok50 || !ok60 {
			// Hum, or too little audio before this frame to tell.
			r1 = 0
		}
	}
	copy(d.hist[:], d.hist[frameSamples:])
	return level, r1
}

// periodic reports whether the current frame nearly repeats the audio lag
// samples earlier, and whether that audio was loud enough to tell.
func (d *Detector) periodic(lag int) (repeats, known bool) {
	cur := d.hist[humHistory:]
	old := d.hist[humHistory-lag : humHistory-lag+frameSamples]
	var xy, xx, yy float32
	for i, x := range cur {
		y := old[i]
		xy += x * y
		xx += x * x
		yy += y * y
	}
	if xx == 0 || yy < humKnown*xx {
		return false, false
	}
	return xy > humCorr*float32(math.Sqrt(float64(xx*yy))), true
}

// biquad is a second-order IIR section in transposed direct form II.
type biquad struct {
	b0, b1, b2, a1, a2 float32
	z1, z2             float32
}

// highPass designs a high-pass section at fc Hz with quality q (RBJ's
// audio EQ cookbook).
func highPass(fc, q float64) biquad {
	w := 2 * math.Pi * fc / SampleRate
	alpha := math.Sin(w) / (2 * q)
	cw := math.Cos(w)
	a0 := 1 + alpha
	return biquad{
		b0: float32((1 + cw) / 2 / a0),
		b1: float32(-(1 + cw) / a0),
		b2: float32((1 + cw) / 2 / a0),
		a1: float32(-2 * cw / a0),
		a2: float32((1 - alpha) / a0),
	}
}

func (f *biquad) step(x float32) float32 {
	y := f.b0*x + f.z1
	f.z1 = f.b1*x - f.a1*y + f.z2
	f.z2 = f.b2*x - f.a2*y
	return y
}
