package rtp

import (
	"math"
	"sync"
	"time"

	pionrtp "github.com/pion/rtp"
)

// Verdict says what a JitterBuffer did with a pushed packet.
type Verdict uint8

const (
	// Buffered means the packet's audio was stored for playout.
	Buffered Verdict = iota
	// Passed means the packet carries another payload type (an RFC 4733
	// event, comfort noise): its sequence number was accounted for and its
	// payload is left to the caller.
	Passed
	// Duplicate means the packet had been received before; it was dropped.
	Duplicate
	// Late means the packet's audio had already been played or concealed;
	// it was dropped.
	Late
	// Stray means the packet's sequence number is far from the stream's and
	// was not (yet) confirmed by a following packet; it was dropped.
	Stray
)

// FrameKind says where a frame from JitterBuffer.Pop came from.
type FrameKind uint8

const (
	// FrameSilence is silence where no audio was expected: before the
	// stream starts, in the sender's pauses, and once concealment of a
	// longer gap has faded out.
	FrameSilence FrameKind = iota
	// FrameAudio is audio decoded from the caller's packets.
	FrameAudio
	// FrameConcealed is audio synthesised in place of a missing packet: the
	// last frame repeated and faded out.
	FrameConcealed
)

// String names the frame kind.
func (k FrameKind) String() string {
	switch k {
	case FrameAudio:
		return "audio"
	case FrameConcealed:
		return "concealed"
	}
	return "silence"
}

// JitterConfig sets a JitterBuffer's playout delay. The zero value is an
// adaptive buffer that starts at 60 ms and stays between 40 and 200 ms.
type JitterConfig struct {
	// Depth is the initial playout delay, rounded up to whole frames;
	// 0 means 60 ms.
	Depth time.Duration
	// MinDepth and MaxDepth bound the adaptive delay; 0 means 40 ms and
	// 200 ms.
	MinDepth, MaxDepth time.Duration
	// Fixed keeps the target delay at Depth instead of adapting it.
	Fixed bool
}

// Stats are a JitterBuffer's counters for the call's records. Packet counts
// follow RFC 3550: Received counts unique packets including late ones, and
// Lost counts packets that never arrived.
type Stats struct {
	// Received is the number of distinct packets received, of any payload
	// type, including late ones.
	Received uint64
	// Lost is the number of packets that never arrived.
	Lost uint64
	// Late is the number of packets that arrived after their audio had
	// been played or concealed.
	Late uint64
	// Duplicates is the number of packets received more than once.
	Duplicates uint64
	// Strays is the number of packets dropped for a sequence number far
	// outside the stream's.
	Strays uint64
	// Concealed is the number of frames synthesised in place of missing
	// audio.
	Concealed uint64
	// Skipped is the number of frames dropped to bring the delay down to
	// its target.
	Skipped uint64
	// Inserted is the number of frames inserted to lengthen the delay
	// after late audio.
	Inserted uint64
	// Underflows is the number of times the buffer ran out of audio.
	Underflows uint64
	// SSRCChanges is the number of times the sender's SSRC changed.
	SSRCChanges uint64
	// Resyncs is the number of timestamp or sequence discontinuities that
	// restarted playout.
	Resyncs uint64
	// Depth is the current target playout delay.
	Depth time.Duration
	// Jitter is the RFC 3550 interarrival jitter estimate.
	Jitter time.Duration
}

const (
	// ringFrames is the buffer's capacity in frames (1.28 s); a power of two.
	ringFrames = 64
	ringMask   = ringFrames - 1
	// concealFrames is how many frames concealment takes to fade out.
	concealFrames = 3
	// shrinkWindow is how many ticks the buffer watches its fill level
	// before it decides that it holds a frame more than it needs.
	shrinkWindow = 50
	// shrinkPatience is how many ticks a pending shrink waits for a quiet
	// frame to drop before it drops whatever frame comes.
	shrinkPatience = 50
	// relaxTicks is how long the adaptive target must see no late audio
	// before it comes down by one frame (10 s).
	relaxTicks = 500
	// quietLevel is the mean absolute sample value under which a frame is
	// quiet enough to drop unnoticed (about −50 dBFS).
	quietLevel = 100
	// resyncBehind is how far behind the playout point a packet with a new
	// sequence number may be before it is taken as a timestamp reset (2 s).
	resyncBehind = 2 * SampleRate
)

// slot holds one frame of decoded audio.
type slot struct {
	id     int64 // frame number relative to origin
	filled int   // samples written
	pcm    [FrameSamples]int16
}

// JitterBuffer turns one incoming RTP stream into exactly one 20 ms frame of
// PCM per tick. It reorders packets by timestamp, drops duplicates and late
// packets, conceals missing audio by repeating and fading the last frame,
// follows the sender's talkspurts (marker bit) and SSRC changes, and keeps
// its delay near a target that adapts to the network's jitter. Push and Pop
// may be called from different goroutines.
type JitterBuffer struct {
	mu  sync.Mutex
	cfg JitterConfig

	minFrames, maxFrames int
	target               int // target delay in frames

	ssrc     uint32
	haveSSRC bool
	seq      sequence
	lostPrev uint64 // loss of earlier SSRCs

	synced bool
	refTS  int64 // extended timestamp of a recent packet, for unwrapping
	origin int64 // extended timestamp of frame 0
	play   int64 // extended timestamp of the next frame to play
	maxEnd int64 // end of the newest audio stored
	slots  [ringFrames]slot

	last       [FrameSamples]int16 // last frame played, for concealment
	haveLast   bool
	concealRun int
	stalled    bool
	stretch    bool

	winMin       int64
	winTicks     int
	shrink       bool
	shrinkWait   int
	sinceSpike   int
	firstArrival time.Time
	lastTransit  int64
	haveTransit  bool
	jitter       float64 // in timestamp units

	stats Stats
}

// NewJitterBuffer returns an empty buffer; its first Pops return silence.
func NewJitterBuffer(cfg JitterConfig) *JitterBuffer {
	if cfg.Depth <= 0 {
		cfg.Depth = 60 * time.Millisecond
	}
	if cfg.MinDepth <= 0 {
		cfg.MinDepth = 40 * time.Millisecond
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 200 * time.Millisecond
	}
	b := &JitterBuffer{cfg: cfg}
	b.minFrames = clampFrames(frames(cfg.MinDepth))
	b.maxFrames = clampFrames(max(frames(cfg.MaxDepth), b.minFrames))
	b.target = clampFrames(frames(cfg.Depth))
	if !cfg.Fixed {
		b.target = min(max(b.target, b.minFrames), b.maxFrames)
	}
	b.winMin = math.MaxInt64
	return b
}

// frames converts a delay to whole frames, rounding up.
func frames(d time.Duration) int {
	return int((d + FrameDuration - 1) / FrameDuration)
}

// clampFrames keeps a delay within what the ring can hold.
func clampFrames(n int) int { return min(max(n, 1), ringFrames/2) }

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Push hands the buffer one packet of the stream, received at arrival (the
// zero time skips the jitter estimate). Audio payloads (PCMU, PCMA) are
// decoded and stored; packets of any other payload type are accounted for
// and reported as Passed for the caller to decode. The packet's payload is
// not retained.
func (b *JitterBuffer) Push(p *pionrtp.Packet, arrival time.Time) Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.haveSSRC || p.SSRC != b.ssrc {
		if b.haveSSRC {
			b.stats.SSRCChanges++
			b.lostPrev += b.seq.lost()
			b.synced = false
		}
		b.ssrc, b.haveSSRC = p.SSRC, true
		b.seq.reset(p.SequenceNumber)
		b.stats.Received++
		return b.store(p, arrival, true)
	}

	_, res := b.seq.accept(p.SequenceNumber)
	switch res {
	case seqDuplicate:
		b.stats.Duplicates++
		return Duplicate
	case seqStray:
		b.stats.Strays++
		return Stray
	case seqTooOld:
		b.stats.Late++
		return Late
	case seqRestart:
		b.lostPrev += b.seq.lost()
		b.seq.reset(p.SequenceNumber)
		b.stats.Resyncs++
		b.synced = false
	}
	b.stats.Received++
	return b.store(p, arrival, res != seqReordered)
}

// store buffers the audio of an accepted packet; newest says whether its
// sequence number is the newest so far.
func (b *JitterBuffer) store(p *pionrtp.Packet, arrival time.Time, newest bool) Verdict {
	codec, err := CodecFor(p.PayloadType)
	if err != nil || len(p.Payload) == 0 {
		return Passed
	}
	n := int64(len(p.Payload))

	var ts int64
	if b.synced {
		ts = b.refTS + int64(int32(p.Timestamp-uint32(b.refTS)))
	} else {
		ts = int64(p.Timestamp)
	}
	if newest {
		b.refTS = ts
	}

	switch {
	case !b.synced:
		b.sync(ts)
	case p.Marker && b.maxEnd <= b.play:
		// A new talkspurt with nothing left to play: start its playout
		// afresh at the target delay rather than after the sender's pause.
		b.sync(ts)
	case ts+n > b.play+ringFrames*FrameSamples:
		// Too far ahead to hold: a long pause without a marker, or the
		// sender's clock jumped.
		if b.maxEnd > b.play {
			b.stats.Resyncs++
		}
		b.sync(ts)
	case newest && b.play-ts > resyncBehind:
		// A new packet far behind playout: the sender's clock was reset.
		b.stats.Resyncs++
		b.sync(ts)
	}

	if ts+n <= b.play {
		b.stats.Late++
		b.spike(true)
		return Late
	}
	if b.stalled && !p.Marker && ts <= b.play {
		// The audio the buffer stalled for arrived after all: the delay
		// was too short for this network. The stall itself has already
		// lengthened it.
		b.spike(false)
	}
	b.write(codec, p.Payload, ts)
	b.estimateJitter(ts, arrival)
	return Buffered
}

// sync restarts playout so that the audio at ts plays after the target
// delay.
func (b *JitterBuffer) sync(ts int64) {
	b.synced = true
	b.refTS = ts
	b.origin = ts
	b.play = ts - int64(b.target-1)*FrameSamples
	b.maxEnd = ts
	for i := range b.slots {
		b.slots[i].id = math.MinInt64
		b.slots[i].filled = 0
	}
	b.stalled = false
	b.shrink, b.stretch = false, false
	b.winMin, b.winTicks = math.MaxInt64, 0
	b.haveTransit = false
}

// spike records evidence that the delay is too short and, when adaptive,
// raises the target by a frame, and with stretch lengthens the delay now.
func (b *JitterBuffer) spike(stretch bool) {
	b.sinceSpike = 0
	b.shrink = false
	if !b.cfg.Fixed && b.target < b.maxFrames {
		b.target++
		b.stretch = stretch
	}
}

// write decodes payload, which starts at timestamp ts, into the ring,
// skipping any part that is already behind the playout point.
func (b *JitterBuffer) write(codec Codec, payload []byte, ts int64) {
	end := ts + int64(len(payload))
	for pos := max(ts, b.play); pos < end; {
		rel := pos - b.origin
		f := floorDiv(rel, FrameSamples)
		off := int(rel - f*FrameSamples)
		k := min(FrameSamples-off, int(end-pos))
		s := &b.slots[f&ringMask]
		if s.id != f {
			s.id, s.filled = f, 0
			s.pcm = [FrameSamples]int16{}
		}
		codec.decodeInto(s.pcm[off:off+k], payload[pos-ts:pos-ts+int64(k)])
		s.filled = min(s.filled+k, FrameSamples)
		pos += int64(k)
	}
	b.maxEnd = max(b.maxEnd, end)
}

// estimateJitter updates the RFC 3550 interarrival jitter.
func (b *JitterBuffer) estimateJitter(ts int64, arrival time.Time) {
	if arrival.IsZero() {
		return
	}
	if b.firstArrival.IsZero() {
		b.firstArrival = arrival
	}
	transit := int64(arrival.Sub(b.firstArrival))*SampleRate/int64(time.Second) - ts
	if b.haveTransit {
		d := transit - b.lastTransit
		if d < 0 {
			d = -d
		}
		b.jitter += (float64(d) - b.jitter) / 16
	}
	b.lastTransit, b.haveTransit = transit, true
}

// frame returns the stored frame that starts at ts, or nil.
func (b *JitterBuffer) frame(ts int64) *slot {
	f := floorDiv(ts-b.origin, FrameSamples)
	s := &b.slots[f&ringMask]
	if s.id != f || s.filled == 0 {
		return nil
	}
	return s
}

// Pop writes the next 20 ms of audio to dst[:FrameSamples] and says where
// it came from. Call it once per tick; dst must hold FrameSamples samples.
func (b *JitterBuffer) Pop(dst []int16) FrameKind {
	dst = dst[:FrameSamples]
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.synced {
		clear(dst)
		return FrameSilence
	}
	b.adapt()

	if b.stretch && !b.stalled {
		// Lengthen the delay by a frame: play a concealment frame and hold
		// the playout point.
		b.stretch = false
		b.stats.Inserted++
		return b.conceal(dst)
	}
	s := b.frame(b.play)
	if s != nil && b.shrink && (quiet(&s.pcm) || b.shrinkWait >= shrinkPatience) {
		b.shrink = false
		b.stats.Skipped++
		b.play += FrameSamples
		s = b.frame(b.play)
	} else if b.shrink {
		b.shrinkWait++
	}
	if s != nil {
		copy(dst, s.pcm[:])
		b.last = s.pcm
		b.haveLast, b.concealRun, b.stalled = true, 0, false
		b.play += FrameSamples
		return FrameAudio
	}

	next, ok := b.nextFrame()
	switch {
	case !ok:
		// Nothing to play: hold the playout point so that audio that is
		// merely delayed still plays, in order, when it comes.
		if !b.stalled {
			b.stats.Underflows++
			b.stalled = true
		}
		return b.conceal(dst)
	case next-b.play >= int64(b.target)*FrameSamples:
		// A gap at least as long as the delay: the sender paused, or a
		// burst was lost. Close in on the next audio, keeping the target
		// delay ahead of it.
		b.play = next - int64(b.target-1)*FrameSamples
		b.stalled = false
		if s := b.frame(b.play); s != nil {
			copy(dst, s.pcm[:])
			b.last = s.pcm
			b.haveLast, b.concealRun = true, 0
			b.play += FrameSamples
			return FrameAudio
		}
	}
	b.stalled = false
	b.play += FrameSamples
	return b.conceal(dst)
}

// adapt watches the fill level and the time since the last late packet,
// and decides when to drop a frame or lower the target.
func (b *JitterBuffer) adapt() {
	if b.sinceSpike++; !b.cfg.Fixed && b.sinceSpike >= relaxTicks {
		b.sinceSpike = 0
		if b.target > b.minFrames {
			b.target--
		}
	}
	level := b.maxEnd - b.play
	if level <= 0 {
		// The sender is pausing; a pause says nothing about the delay.
		b.winMin, b.winTicks = math.MaxInt64, 0
		return
	}
	b.winMin = min(b.winMin, level)
	if b.winTicks++; b.winTicks >= shrinkWindow {
		if b.winMin > int64(b.target)*FrameSamples && !b.shrink {
			b.shrink, b.shrinkWait = true, 0
		}
		b.winMin, b.winTicks = math.MaxInt64, 0
	}
}

// nextFrame finds the earliest stored frame after the playout point.
func (b *JitterBuffer) nextFrame() (int64, bool) {
	limit := min(b.maxEnd, b.play+ringFrames*FrameSamples)
	for ts := b.play + FrameSamples; ts < limit; ts += FrameSamples {
		if b.frame(ts) != nil {
			return ts, true
		}
	}
	return 0, false
}

// conceal fills dst in place of missing audio: the last frame repeated with
// a gain that falls linearly to zero over concealFrames frames.
func (b *JitterBuffer) conceal(dst []int16) FrameKind {
	if !b.haveLast || b.concealRun >= concealFrames {
		clear(dst)
		return FrameSilence
	}
	g0 := 1 - float32(b.concealRun)/concealFrames
	step := -1 / float32(concealFrames*FrameSamples)
	for i := range dst {
		dst[i] = int16(float32(b.last[i]) * (g0 + step*float32(i)))
	}
	b.concealRun++
	b.stats.Concealed++
	return FrameConcealed
}

// quiet reports whether a frame is soft enough to drop unnoticed.
func quiet(pcm *[FrameSamples]int16) bool {
	var sum int
	for _, s := range pcm {
		if s < 0 {
			sum -= int(s)
		} else {
			sum += int(s)
		}
	}
	return sum < quietLevel*FrameSamples
}

// Stats returns the buffer's counters so far.
func (b *JitterBuffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stats
	st.Lost = b.lostPrev + b.seq.lost()
	st.Depth = time.Duration(b.target) * FrameDuration
	st.Jitter = time.Duration(b.jitter * float64(time.Second) / SampleRate)
	return st
}
