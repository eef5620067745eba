// Package emotion reads coarse emotional signals from the prosody of a
// caller's turns: how loud, how high and how varied the voice is, how fast
// the caller speaks and how often they pause. It keeps aggregate features
// only, never audio (beyond the previous 20 ms frame that pitch analysis
// needs), and judges each turn against the caller's own voice in the first
// seconds of the call, since voices differ far more between people than
// one person's voice does between calm and agitated.
//
// Arousal (calm ↔ agitated) follows loudness, pitch, pitch range and
// speaking rate fairly well. Valence (unhappy ↔ happy) does not: prosody
// alone tells little about it, so Valence is a weak guess reported with a
// low confidence, meant only as a tie-breaker beside what the caller says.
package emotion

import (
	"math"
	"time"
)

// SampleRate is the rate of the audio an Analyzer expects.
const SampleRate = 8000

// FrameDuration is the length of the frames an Analyzer expects.
const FrameDuration = 20 * time.Millisecond

const (
	// baselineFrames is how much speech (3 s) makes the caller's baseline.
	baselineFrames = 150
	// minBaselineFrames is the least (1 s) worth comparing a turn with.
	minBaselineFrames = 50
	// fullTurnFrames is how much speech (1.5 s) gives a turn full weight.
	fullTurnFrames = 75
	// pauseFrames is the shortest silence (200 ms) inside a turn that
	// counts as a pause.
	pauseFrames = 10
	// nucleusDip is how far (dB) the intensity must fall after a peak, and
	// rise after a valley, for the peak to count as a syllable nucleus.
	nucleusDip = 3.0
	// trendTurns is how many recent turns the trend is fitted to.
	trendTurns = 6
	// trendSlope is the arousal change per turn that makes a trend.
	trendSlope = 0.05
	// Pitch histogram: quarter-semitone bins from MinPitch.
	binsPerSemitone = 4
	pitchBins       = 40 * binsPerSemitone // 60 Hz × 2^(40/12) ≈ 600 Hz
	// silentDB stands for the intensity of frames without speech.
	silentDB = -100.0
)

// Features are one stretch of a caller's speech, summarised.
type Features struct {
	// Duration is the length of the turn, pauses included.
	Duration time.Duration
	// Speech is how much of it was speech.
	Speech time.Duration
	// Loudness is the RMS level of the speech, in dBFS.
	Loudness float64
	// Voiced is how much of the speech had a measurable pitch.
	Voiced time.Duration
	// PitchMean is the mean pitch (on a log scale) in Hz; 0 when no
	// speech was voiced.
	PitchMean float64
	// PitchLow and PitchHigh are the 10th and 90th percentiles of the
	// pitch, in Hz.
	PitchLow, PitchHigh float64
	// PitchRange is the distance from PitchLow to PitchHigh in semitones.
	PitchRange float64
	// Syllables is the number of syllable nuclei: peaks of the voiced
	// intensity envelope.
	Syllables int
	// Rate is the speaking rate: syllables per second of speech.
	Rate float64
	// Pauses is the number of silences of at least 200 ms between speech.
	Pauses int
	// PauseTime is their total length.
	PauseTime time.Duration
}

// Trend is the direction of the caller's arousal over recent turns.
type Trend int8

const (
	// Steady means no clear change.
	Steady Trend = 0
	// Rising means the caller is getting more agitated.
	Rising Trend = 1
	// Falling means the caller is calming down.
	Falling Trend = -1
)

// String names the trend.
func (t Trend) String() string {
	switch t {
	case Rising:
		return "rising"
	case Falling:
		return "falling"
	}
	return "steady"
}

// Turn is the analysis of one caller turn.
type Turn struct {
	// Index counts the caller's turns from 0.
	Index int
	// Features summarise the turn.
	Features Features
	// Arousal is −1 (much calmer than the caller's baseline) to 1 (much
	// more agitated).
	Arousal float64
	// ArousalConfidence is 0 to 1: low while the baseline is thin or the
	// turn short, and never above 0.8, prosody being an indirect signal.
	ArousalConfidence float64
	// Valence is −1 (negative) to 1 (positive): a weak guess from prosody
	// alone.
	Valence float64
	// ValenceConfidence is 0 to 0.25: always low.
	ValenceConfidence float64
	// Trend is the direction of arousal over the last turns, this one
	// included.
	Trend Trend
	// Slope is the fitted change in arousal per turn behind Trend.
	Slope float64
}

// tally accumulates the features of a stretch of speech.
type tally struct {
	frames       int // all frames
	speechFrames int
	energy       float64 // sum of mean squares of speech frames
	voicedFrames int
	semitones    float64 // sum over voiced frames, relative to MinPitch
	pitchHist    [pitchBins]uint16
	syllables    int
	pauses       int
	pauseFrames  int
}

func (t *tally) addPitch(hz float64) {
	st := 12 * math.Log2(hz/MinPitch)
	t.voicedFrames++
	t.semitones += st
	b := int(st * binsPerSemitone)
	t.pitchHist[min(max(b, 0), pitchBins-1)]++
}

// percentile returns the pitch below which a share p of voiced frames lie,
// in semitones above MinPitch.
func (t *tally) percentile(p float64) float64 {
	target := p * float64(t.voicedFrames)
	var seen float64
	for b, n := range t.pitchHist {
		if seen+float64(n) >= target && n > 0 {
			// Interpolate within the bin.
			return (float64(b) + (target-seen)/float64(n)) / binsPerSemitone
		}
		seen += float64(n)
	}
	return pitchBins / binsPerSemitone
}

func semitonesToHz(st float64) float64 { return MinPitch * math.Pow(2, st/12) }

func (t *tally) features() Features {
	f := Features{
		Duration:  time.Duration(t.frames) * FrameDuration,
		Speech:    time.Duration(t.speechFrames) * FrameDuration,
		Voiced:    time.Duration(t.voicedFrames) * FrameDuration,
		Syllables: t.syllables,
		Pauses:    t.pauses,
		PauseTime: time.Duration(t.pauseFrames) * FrameDuration,
		Loudness:  silentDB,
	}
	if t.speechFrames > 0 {
		f.Loudness = 10 * math.Log10(t.energy/float64(t.speechFrames)/(32768*32768)+1e-12)
		f.Rate = float64(t.syllables) / f.Speech.Seconds()
	}
	if t.voicedFrames > 0 {
		f.PitchMean = semitonesToHz(t.semitones / float64(t.voicedFrames))
		lo, hi := t.percentile(0.1), t.percentile(0.9)
		f.PitchLow, f.PitchHigh = semitonesToHz(lo), semitonesToHz(hi)
		f.PitchRange = hi - lo
	}
	return f
}

// nuclei counts syllable nuclei online: peaks of the intensity envelope
// that rise and fall by at least nucleusDip and lie in voiced speech (after
// de Jong and Wempe, 2009).
type nuclei struct {
	rising      bool
	peak        float64
	peakVoiced  bool
	valley      float64
	smooth      [3]float64 // last envelope values, linear
	smoothIndex int
}

func newNuclei() nuclei {
	return nuclei{rising: true, peak: silentDB, valley: silentDB}
}

// push adds one envelope value (a mean square; 0 outside speech) and
// reports whether it confirmed a nucleus.
func (n *nuclei) push(energy float64, voiced bool) bool {
	n.smooth[n.smoothIndex%3] = energy
	n.smoothIndex++
	db := 10 * math.Log10((n.smooth[0]+n.smooth[1]+n.smooth[2])/3/(32768*32768)+1e-10)
	if n.rising {
		if db > n.peak {
			n.peak, n.peakVoiced = db, voiced
		} else if db < n.peak-nucleusDip {
			n.rising, n.valley = false, db
			return n.peakVoiced
		}
		return false
	}
	if db < n.valley {
		n.valley = db
	} else if db > n.valley+nucleusDip {
		n.rising, n.peak, n.peakVoiced = true, db, voiced
	}
	return false
}

// Analyzer follows one caller through a call, turn by turn. Feed it the
// caller's frames with Write and close each turn with EndTurn. It is not
// safe for concurrent use.
type Analyzer struct {
	prev    [yinWindow]int16 // the previous frame, for pitch
	buf     [pitchBuffer]int16
	turn    tally
	base    tally
	nuc     nuclei
	silence int  // frames since the last speech in this turn
	spoken  bool // the turn has had speech
	index   int
	recent  [trendTurns]float64
	nRecent int
}

// NewAnalyzer returns an Analyzer for a new call.
func NewAnalyzer() *Analyzer {
	return &Analyzer{nuc: newNuclei()}
}

// Write adds the next 20 ms frame of the current turn; speech says whether
// the frame holds speech (a voice activity detector's per-frame decision).
func (a *Analyzer) Write(frame []int16, speech bool) {
	a.turn.frames++
	if len(frame) != yinWindow {
		return
	}
	copy(a.buf[:yinWindow], a.prev[:])
	copy(a.buf[yinWindow:], frame)
	a.prev = [yinWindow]int16(frame)

	half := yinWindow / 2
	if !speech {
		a.silence++
		a.nuc.push(0, false)
		a.nuc.push(0, false)
		return
	}
	if a.spoken && a.silence >= pauseFrames {
		a.turn.pauses++
		a.turn.pauseFrames += a.silence
	}
	a.spoken, a.silence = true, 0

	e1, e2 := meanSquare(frame[:half]), meanSquare(frame[half:])
	hz, voiced := Pitch(a.buf[:])
	inBase := a.base.speechFrames < baselineFrames
	for _, t := range []*tally{&a.turn, &a.base} {
		if t == &a.base && !inBase {
			continue
		}
		t.speechFrames++
		t.energy += (e1 + e2) / 2
		if voiced {
			t.addPitch(hz)
		}
	}
	syl := 0
	if a.nuc.push(e1, voiced) {
		syl++
	}
	if a.nuc.push(e2, voiced) {
		syl++
	}
	a.turn.syllables += syl
	if inBase {
		a.base.syllables += syl
	}
}

func meanSquare(x []int16) float64 {
	var s int64
	for _, v := range x {
		s += int64(v) * int64(v)
	}
	return float64(s) / float64(len(x))
}

// Baseline returns the features of the caller's first seconds of speech,
// and whether the full 3 s have been heard.
func (a *Analyzer) Baseline() (Features, bool) {
	return a.base.features(), a.base.speechFrames >= baselineFrames
}

// EndTurn closes the current turn and returns its analysis; the next Write
// starts a new turn.
func (a *Analyzer) EndTurn() Turn {
	// A nucleus still rising at the end of the turn counts if voiced.
	if a.nuc.rising && a.nuc.peakVoiced && a.nuc.peak > silentDB {
		a.turn.syllables++
		if a.base.speechFrames < baselineFrames && a.base.speechFrames > 0 {
			a.base.syllables++
		}
	}
	f := a.turn.features()
	b := a.base.features()
	t := Turn{Index: a.index, Features: f}
	a.index++

	if a.base.speechFrames >= minBaselineFrames && a.turn.speechFrames > 0 {
		t.Arousal, t.Valence = judge(f, b)
		t.ArousalConfidence = 0.8 *
			math.Min(1, float64(a.base.speechFrames)/baselineFrames) *
			math.Min(1, float64(a.turn.speechFrames)/fullTurnFrames)
		t.ValenceConfidence = 0.25 * t.ArousalConfidence
		a.recent[a.nRecent%trendTurns] = t.Arousal
		a.nRecent++
	}
	t.Trend, t.Slope = a.trend()

	a.turn = tally{}
	a.nuc = newNuclei()
	a.silence, a.spoken = 0, false
	a.prev = [yinWindow]int16{}
	return t
}

// judge scores a turn's arousal and valence against the baseline. Each
// feature's change is scaled by a typical within-speaker swing: 6 dB of
// loudness, 3 semitones of mean pitch, 4 semitones of pitch range, 30 % of
// speaking rate.
func judge(f, b Features) (arousal, valence float64) {
	var sum, weight float64
	add := func(w, z float64) { sum += w * z; weight += w }
	zLoud := (f.Loudness - b.Loudness) / 6
	add(0.35, zLoud)
	var zPitch, zRange float64
	if f.PitchMean > 0 && b.PitchMean > 0 {
		zPitch = 12 * math.Log2(f.PitchMean/b.PitchMean) / 3
		zRange = (f.PitchRange - b.PitchRange) / 4
		add(0.35, zPitch)
		add(0.15, zRange)
	}
	var zRate float64
	if f.Rate > 0 && b.Rate > 0 {
		zRate = (f.Rate/b.Rate - 1) / 0.3
		add(0.15, zRate)
	}
	arousal = math.Tanh(sum / weight)

	// Valence, weakly: a lively melody reads as positive; loud speech with
	// a flat melody (tension) and low, slow speech (gloom) as negative.
	v := 0.4*zRange - 0.3*math.Max(0, zLoud-zRange) - 0.3*math.Max(0, -zPitch) - 0.2*math.Max(0, -zRate)
	valence = math.Tanh(v)
	return arousal, valence
}

// trend fits a line to the recent turns' arousal.
func (a *Analyzer) trend() (Trend, float64) {
	n := min(a.nRecent, trendTurns)
	if n < 3 {
		return Steady, 0
	}
	var sx, sy, sxx, sxy float64
	for i := range n {
		x := float64(i)
		y := a.recent[(a.nRecent-n+i)%trendTurns]
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	fn := float64(n)
	slope := (fn*sxy - sx*sy) / (fn*sxx - sx*sx)
	switch {
	case slope > trendSlope:
		return Rising, slope
	case slope < -trendSlope:
		return Falling, slope
	}
	return Steady, slope
}
