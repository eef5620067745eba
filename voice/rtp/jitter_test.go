package rtp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	pionrtp "github.com/pion/rtp"
)

// source produces the packets of one synthetic RTP stream whose frame k is
// a distinct tone, so that the tests can tell which frame came out.
type source struct {
	codec  Codec
	ssrc   uint32
	seq    uint16
	ts     uint32
	frames [][]int16      // frames as the receiver will decode them
	index  map[string]int // frame content to frame number
}

func newSource(codec Codec, ssrc uint32, seq uint16, ts uint32) *source {
	return &source{codec: codec, ssrc: ssrc, seq: seq, ts: ts}
}

// frame returns the decoded form of frame k, generating frames as needed.
func (s *source) frame(k int) []int16 {
	for len(s.frames) <= k {
		n := len(s.frames)
		pcm := make([]int16, FrameSamples)
		f, amp := 200+float64(n%50)*37, 3000+float64(n%7)*500
		for i := range pcm {
			pcm[i] = int16(amp * math.Sin(2*math.Pi*f*float64(i)/SampleRate+float64(n)*0.1+float64(s.ssrc%13)*0.37))
		}
		dec := s.codec.Decode(nil, s.codec.Encode(nil, pcm))
		if s.index == nil {
			s.index = map[string]int{}
		}
		if _, dup := s.index[key(dec)]; dup {
			panic("test source produced two equal frames")
		}
		s.index[key(dec)] = n
		s.frames = append(s.frames, dec)
	}
	return s.frames[k]
}

// next returns the packet carrying the next frame.
func (s *source) next() *pionrtp.Packet {
	k := len(s.frames)
	return s.packetOf(k, s.codec.Encode(nil, s.frame(k)))
}

func (s *source) packetOf(k int, payload []byte) *pionrtp.Packet {
	p := &pionrtp.Packet{
		Header: pionrtp.Header{
			Version:        2,
			PayloadType:    s.codec.PayloadType(),
			SequenceNumber: s.seq,
			Timestamp:      s.ts,
			SSRC:           s.ssrc,
		},
		Payload: payload,
	}
	s.seq++
	s.ts += uint32(len(payload))
	_ = k
	return p
}

// identify returns the index of the source frame equal to out, or -1.
func identify(srcs []*source, out []int16) (int, int) {
	for si, s := range srcs {
		if k, ok := s.index[key(out)]; ok {
			return si, k
		}
	}
	return -1, -1
}

func key(pcm []int16) string {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return string(b)
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

func isZero(pcm []int16) bool {
	for _, s := range pcm {
		if s != 0 {
			return false
		}
	}
	return true
}

// played is one Pop's result.
type played struct {
	kind  FrameKind
	src   int // source index, -1 when the frame matches none
	frame int
	pcm   []int16
}

// sim drives a JitterBuffer tick by tick: at tick t it pushes the packets
// scheduled for t, then pops one frame.
type sim struct {
	jb      *JitterBuffer
	srcs    []*source
	arrive  map[int][]*pionrtp.Packet
	verdict map[*pionrtp.Packet]Verdict
	out     []played
	start   time.Time
}

func newSim(cfg JitterConfig, srcs ...*source) *sim {
	return &sim{
		jb:      NewJitterBuffer(cfg),
		srcs:    srcs,
		arrive:  map[int][]*pionrtp.Packet{},
		verdict: map[*pionrtp.Packet]Verdict{},
		start:   time.Unix(1700000000, 0),
	}
}

func (s *sim) at(tick int, p *pionrtp.Packet) { s.arrive[tick] = append(s.arrive[tick], p) }

func (s *sim) run(ticks int) {
	for t := len(s.out); t < ticks; t++ {
		now := s.start.Add(time.Duration(t) * FrameDuration)
		for _, p := range s.arrive[t] {
			s.verdict[p] = s.jb.Push(p, now)
		}
		buf := make([]int16, FrameSamples)
		kind := s.jb.Pop(buf)
		si, k := identify(s.srcs, buf)
		s.out = append(s.out, played{kind, si, k, buf})
	}
}

// audio returns the (source, frame) pairs played as audio, in order.
func (s *sim) audio() [][2]int {
	var got [][2]int
	for _, o := range s.out {
		if o.kind == FrameAudio {
			got = append(got, [2]int{o.src, o.frame})
		}
	}
	return got
}

// wantSequence fails unless the audio played is exactly frames from..to-1
// of source si, in order, each once.
func wantSequence(t *testing.T, got [][2]int, si, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("played %d audio frames, want %d: %v", len(got), to-from, got)
	}
	for i, g := range got {
		if g != [2]int{si, from + i} {
			t.Fatalf("audio frame %d is %v, want source %d frame %d", i, g, si, from+i)
		}
	}
}

// wantIncreasing fails unless the audio played is frames of source 0 in
// strictly increasing order; it returns how many of frames 0..n-1 did not
// play.
func wantIncreasing(t *testing.T, got [][2]int, n int) int {
	t.Helper()
	last := -1
	for _, g := range got {
		if g[0] != 0 || g[1] <= last {
			t.Fatalf("frame %v after frame %d", g, last)
		}
		last = g[1]
	}
	return n - len(got)
}

func TestJitterInOrder(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		src := newSource(c, 0x1234, 1000, 5000)
		s := newSim(JitterConfig{}, src)
		for k := range 100 {
			s.at(k, src.next())
		}
		s.run(102)
		// 60 ms target: each frame plays two ticks after it arrived.
		for i := range 2 {
			if s.out[i].kind != FrameSilence || !isZero(s.out[i].pcm) {
				t.Fatalf("%v: pre-roll frame %d is %v", c, i, s.out[i].kind)
			}
		}
		wantSequence(t, s.audio(), 0, 0, 100)
		if s.out[2].frame != 0 {
			t.Errorf("%v: frame 0 played at tick 2 as %d", c, s.out[2].frame)
		}
		st := s.jb.Stats()
		if st.Received != 100 || st.Lost != 0 || st.Late != 0 || st.Concealed != 0 || st.Duplicates != 0 {
			t.Errorf("%v: stats %+v", c, st)
		}
		if st.Depth != 60*time.Millisecond {
			t.Errorf("%v: depth %v, want 60ms", c, st.Depth)
		}
		if s.out[0].kind.String() != "silence" || s.out[2].kind.String() != "audio" || FrameConcealed.String() != "concealed" {
			t.Errorf("kind names %v %v", s.out[0].kind, s.out[2].kind)
		}
	}
}

func TestJitterReorders(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := newSource(PCMU, 7, 0, 0)
	s := newSim(JitterConfig{}, src)
	const n = 500
	for k := range n {
		// Each packet is delayed by 0–40 ms: packets overtake each other
		// but none is later than the 60 ms delay allows.
		s.at(k+rng.IntN(3), src.next())
	}
	s.run(n + 4)
	wantSequence(t, s.audio(), 0, 0, n)
	st := s.jb.Stats()
	if st.Received != n || st.Lost != 0 || st.Late != 0 || st.Concealed != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.Jitter <= 0 {
		t.Errorf("jitter estimate %v, want > 0 for a jittery stream", st.Jitter)
	}
}

func TestJitterConcealsLoss(t *testing.T) {
	src := newSource(PCMU, 7, 65000, 0)
	s := newSim(JitterConfig{Fixed: true}, src)
	lost := map[int]bool{10: true, 20: true, 21: true, 22: true, 23: true, 24: true}
	for k := range 60 {
		p := src.next()
		if !lost[k] {
			s.at(k, p)
		}
	}
	s.run(62)
	// Frame 10 is replaced by frame 9, faded: same shape, lower level.
	o := s.out[12]
	if o.kind != FrameConcealed {
		t.Fatalf("tick 12: %v, want concealed", o.kind)
	}
	prev := src.frame(9)
	var dot, e1, e2 float64
	for i := range o.pcm {
		dot += float64(o.pcm[i]) * float64(prev[i])
		e1 += float64(o.pcm[i]) * float64(o.pcm[i])
		e2 += float64(prev[i]) * float64(prev[i])
	}
	if corr := dot / math.Sqrt(e1*e2); corr < 0.99 {
		t.Errorf("concealed frame correlates %.3f with the last good frame", corr)
	}
	if e1 >= e2 || e1 < e2/4 {
		t.Errorf("concealed frame energy %.3g, last good %.3g: want faded, not silent", e1, e2)
	}
	// A burst of five: three fading concealment frames, then silence,
	// and playout resumes at frame 25 with the same delay.
	for tick := 22; tick < 25; tick++ {
		if s.out[tick].kind != FrameConcealed {
			t.Errorf("tick %d: %v, want concealed", tick, s.out[tick].kind)
		}
	}
	for tick := 25; tick < 27; tick++ {
		if s.out[tick].kind != FrameSilence || !isZero(s.out[tick].pcm) {
			t.Errorf("tick %d: %v, want silence", tick, s.out[tick].kind)
		}
	}
	if s.out[27].frame != 25 {
		t.Errorf("tick 27 played frame %d, want 25", s.out[27].frame)
	}
	var got []int
	for _, a := range s.audio() {
		got = append(got, a[1])
	}
	if len(got) != 60-len(lost) {
		t.Errorf("played %d frames, want %d", len(got), 60-len(lost))
	}
	st := s.jb.Stats()
	if st.Lost != 6 || st.Received != 54 || st.Concealed != 4 || st.Late != 0 {
		t.Errorf("stats %+v, want 6 lost, 54 received, 4 concealed", st)
	}
}

func TestJitterDropsDuplicates(t *testing.T) {
	src := newSource(PCMA, 9, 100, 0)
	s := newSim(JitterConfig{}, src)
	var dups []*pionrtp.Packet
	for k := range 40 {
		p := src.next()
		s.at(k, p)
		if k%10 == 3 {
			// The same packet again, at once and a tick later.
			d := &pionrtp.Packet{Header: p.Header, Payload: append([]byte(nil), p.Payload...)}
			s.at(k, d)
			s.at(k+1, p)
			dups = append(dups, d, p)
		}
	}
	s.run(42)
	wantSequence(t, s.audio(), 0, 0, 40)
	st := s.jb.Stats()
	if st.Duplicates != 8 || st.Received != 40 || st.Lost != 0 {
		t.Errorf("stats %+v, want 8 duplicates", st)
	}
	dupVerdicts := 0
	for _, v := range s.verdict {
		if v == Duplicate {
			dupVerdicts++
		}
	}
	if dupVerdicts != len(dups) {
		t.Errorf("%d duplicate verdicts, want %d", dupVerdicts, len(dups))
	}
}

func TestJitterWraparound(t *testing.T) {
	// Both the sequence number and the timestamp wrap within the stream.
	src := newSource(PCMU, 3, 65530, math.MaxUint32-10*FrameSamples+7)
	s := newSim(JitterConfig{}, src)
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range 40 {
		s.at(k+rng.IntN(2), src.next())
	}
	s.run(44)
	wantSequence(t, s.audio(), 0, 0, 40)
	if st := s.jb.Stats(); st.Lost != 0 || st.Received != 40 || st.Resyncs != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterLatePacket(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		src := newSource(PCMU, 3, 0, 0)
		s := newSim(JitterConfig{Fixed: fixed}, src)
		var late *pionrtp.Packet
		for k := range 40 {
			p := src.next()
			if k == 10 {
				late = p
				s.at(15, p) // its turn was tick 12
				continue
			}
			s.at(k, p)
		}
		s.run(44)
		if s.verdict[late] != Late {
			t.Fatalf("fixed=%v: verdict %v for a late packet", fixed, s.verdict[late])
		}
		if s.out[12].kind != FrameConcealed {
			t.Errorf("fixed=%v: tick 12 %v, want concealed", fixed, s.out[12].kind)
		}
		st := s.jb.Stats()
		if st.Late != 1 || st.Lost != 0 || st.Received != 40 {
			t.Errorf("fixed=%v: stats %+v", fixed, st)
		}
		got := s.audio()
		if len(got) != 39 {
			t.Errorf("fixed=%v: %d frames played, want 39", fixed, len(got))
		}
		if fixed {
			if st.Depth != 60*time.Millisecond || st.Inserted != 0 {
				t.Errorf("fixed buffer adapted: %+v", st)
			}
			continue
		}
		// Adaptive: the target grows by a frame, and a frame is inserted
		// at once so that the delay grows with it.
		if st.Depth != 80*time.Millisecond || st.Inserted != 1 {
			t.Errorf("adaptive: depth %v inserted %d, want 80ms and 1", st.Depth, st.Inserted)
		}
		last := -1
		for tick, o := range s.out {
			if o.kind == FrameAudio && o.frame == 30 {
				last = tick
			}
		}
		if last != 30+3 {
			t.Errorf("adaptive: frame 30 played at tick %d, want 33 (delay now 80 ms)", last)
		}
	}
}

func TestJitterSSRCChange(t *testing.T) {
	a := newSource(PCMU, 111, 500, 90000)
	b := newSource(PCMU, 222, 31000, 7)
	s := newSim(JitterConfig{}, a, b)
	for k := range 30 {
		s.at(k, a.next())
	}
	for k := range 30 {
		s.at(30+k, b.next())
	}
	s.run(64)
	got := s.audio()
	// The old stream's last frames (still in the buffer when the new
	// source starts) may be dropped; after the switch the new stream plays
	// in full.
	var fromA, fromB []int
	for _, g := range got {
		if g[0] == 0 {
			fromA = append(fromA, g[1])
		} else {
			fromB = append(fromB, g[1])
		}
	}
	if len(fromA) < 27 || fromA[0] != 0 {
		t.Errorf("first stream: %v", fromA)
	}
	if len(fromB) != 30 {
		t.Fatalf("second stream played %d frames, want 30: %v", len(fromB), fromB)
	}
	for i, f := range fromB {
		if f != i {
			t.Fatalf("second stream out of order: %v", fromB)
		}
	}
	st := s.jb.Stats()
	if st.SSRCChanges != 1 || st.Lost != 0 || st.Received != 60 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterTalkspurts(t *testing.T) {
	// The sender stops sending in a pause (DTX): timestamps jump by the
	// pause, sequence numbers do not, and the first packet after the
	// pause carries the marker bit.
	src := newSource(PCMU, 5, 10, 1000)
	s := newSim(JitterConfig{}, src)
	for k := range 50 {
		s.at(k, src.next())
	}
	src.ts += 100 * FrameSamples
	for k := range 50 {
		p := src.next()
		if k == 0 {
			p.Marker = true
		}
		s.at(150+k, p)
	}
	s.run(205)
	wantSequence(t, s.audio(), 0, 0, 100)
	// The second talkspurt plays with the same 40 ms wait as the first,
	// not after the pause's length of silence or with extra delay.
	for tick, o := range s.out {
		if o.kind == FrameAudio && o.frame == 50 && tick != 152 {
			t.Errorf("frame 50 played at tick %d, want 152", tick)
		}
	}
	for tick := 55; tick < 150; tick++ {
		if s.out[tick].kind != FrameSilence {
			t.Fatalf("tick %d in the pause: %v", tick, s.out[tick].kind)
		}
	}
	st := s.jb.Stats()
	if st.Lost != 0 || st.Late != 0 || st.Resyncs != 0 {
		t.Errorf("stats %+v", st)
	}

	// Without the marker bit the buffer still closes in on the new
	// talkspurt instead of waiting out the pause in front of it.
	src = newSource(PCMU, 5, 10, 1000)
	s = newSim(JitterConfig{}, src)
	for k := range 20 {
		s.at(k, src.next())
	}
	src.ts += 30 * FrameSamples // shorter than the ring: no resync
	for k := range 20 {
		s.at(50+k, src.next())
	}
	s.run(75)
	wantSequence(t, s.audio(), 0, 0, 40)
	for tick, o := range s.out {
		if o.kind == FrameAudio && o.frame == 20 && tick != 52 {
			t.Errorf("unmarked talkspurt: frame 20 played at tick %d, want 52", tick)
		}
	}
}

func TestJitterAdaptsToSpike(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		src := newSource(PCMU, 5, 0, 0)
		s := newSim(JitterConfig{Fixed: fixed}, src)
		const n = 3000
		arrival := make([]int, n)
		for k := range n {
			tick := k
			if k >= 100 && k < 110 {
				tick = 110 // a 200 ms stall in the network, then a burst
			}
			arrival[k] = tick
			s.at(tick, src.next())
		}
		s.run(n + 20)
		// Nothing is late: the buffer waited for the burst. The stall
		// added delay, which the buffer then sheds, a frame at a time,
		// until it holds its target again.
		st := s.jb.Stats()
		// Two underflows, the stall and the end of the stream, each
		// concealed for three frames.
		if st.Late != 0 || st.Lost != 0 || st.Underflows != 2 || st.Concealed != 6 {
			t.Errorf("fixed=%v: stats %+v", fixed, st)
		}
		if st.Skipped < 5 {
			t.Errorf("fixed=%v: skipped %d frames, want the stall's delay shed", fixed, st.Skipped)
		}
		if missing := wantIncreasing(t, s.audio(), n); missing != int(st.Skipped) {
			t.Errorf("fixed=%v: %d frames missing from playout, %d skipped", fixed, missing, st.Skipped)
		}
		playedAt := map[int]int{}
		for tick, o := range s.out {
			if o.kind == FrameAudio {
				playedAt[o.frame] = tick
			}
		}
		wait := playedAt[n-1] - arrival[n-1]
		if wait < 1 || wait > int(st.Depth/FrameDuration) {
			t.Errorf("fixed=%v: final wait %d ticks, depth %v", fixed, wait, st.Depth)
		}
		if fixed && st.Depth != 60*time.Millisecond {
			t.Errorf("fixed depth moved to %v", st.Depth)
		}
	}
}

func TestJitterRelaxesTarget(t *testing.T) {
	src := newSource(PCMU, 5, 0, 0)
	s := newSim(JitterConfig{Depth: 120 * time.Millisecond, MinDepth: 40 * time.Millisecond}, src)
	for k := range 1800 {
		s.at(k, src.next())
	}
	s.run(1800)
	st := s.jb.Stats()
	// Each calm 10 s lowers the target by a frame: after 36 s, three
	// steps, 120 → 60 ms, and the buffer dropped a frame for each.
	if st.Depth != 60*time.Millisecond {
		t.Errorf("depth %v after 36 s without jitter, want 60ms", st.Depth)
	}
	if st.Skipped != 3 || st.Lost != 0 || st.Concealed != 0 {
		t.Errorf("stats %+v", st)
	}
	// Missing from playout: the 3 dropped frames, and the last 2, still
	// in the buffer when the run ends.
	if missing := wantIncreasing(t, s.audio(), 1800); missing != 3+2 {
		t.Errorf("%d frames missing from playout, want 5", missing)
	}
}

func TestJitterDrift(t *testing.T) {
	// The sender's clock runs 1 % fast: 101 frames per 100 ticks. The
	// buffer must drop frames to stay near its target instead of growing.
	src := newSource(PCMU, 5, 0, 0)
	s := newSim(JitterConfig{}, src)
	const n = 5050
	for k := range n {
		s.at(k*100/101, src.next())
	}
	s.run(n * 100 / 101)
	st := s.jb.Stats()
	if st.Skipped < 40 || st.Late != 0 || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
	s.jb.mu.Lock()
	level := s.jb.maxEnd - s.jb.play
	s.jb.mu.Unlock()
	if level > int64(st.Depth/FrameDuration+2)*FrameSamples {
		t.Errorf("buffer holds %d samples after drift, depth %v", level, st.Depth)
	}
}

func TestJitterPassesEvents(t *testing.T) {
	// RFC 4733 events share the audio's sequence numbers; the buffer
	// counts them and hands them back.
	src := newSource(PCMU, 5, 65500, 0)
	s := newSim(JitterConfig{}, src)
	var events []*pionrtp.Packet
	for k := range 60 {
		s.at(k, src.next())
		if k >= 20 && k < 26 {
			e := &pionrtp.Packet{
				Header: pionrtp.Header{
					Version: 2, PayloadType: 101, SequenceNumber: src.seq,
					Timestamp: src.ts, SSRC: src.ssrc, Marker: k == 20,
				},
				Payload: []byte{5, 10, 0, 160},
			}
			src.seq++
			s.at(k, e)
			events = append(events, e)
		}
	}
	s.run(62)
	wantSequence(t, s.audio(), 0, 0, 60)
	for _, e := range events {
		if s.verdict[e] != Passed {
			t.Errorf("event packet verdict %v, want Passed", s.verdict[e])
		}
	}
	if st := s.jb.Stats(); st.Lost != 0 || st.Received != 66 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterStraySequence(t *testing.T) {
	src := newSource(PCMU, 5, 100, 0)
	s := newSim(JitterConfig{}, src)
	for k := range 20 {
		s.at(k, src.next())
	}
	// One packet with a wild sequence number (a stray from elsewhere):
	// dropped, and it must not count as thousands of lost packets.
	stray := &pionrtp.Packet{Header: pionrtp.Header{Version: 2, SSRC: 5, SequenceNumber: 40000, Timestamp: 1 << 30}, Payload: make([]byte, 160)}
	s.at(20, stray)
	for k := 20; k < 40; k++ {
		s.at(k, src.next())
	}
	// Then the sender restarts its numbering for real: two consecutive
	// packets confirm it.
	src.seq, src.ts = 20000, 1<<31
	for k := 40; k < 80; k++ {
		s.at(k, src.next())
	}
	s.run(84)
	if s.verdict[stray] != Stray {
		t.Errorf("stray verdict %v", s.verdict[stray])
	}
	st := s.jb.Stats()
	if st.Strays != 2 || st.Resyncs != 1 || st.Lost != 0 {
		t.Errorf("stats %+v, want 2 strays (the wild one, the restart's first), 1 resync, none lost", st)
	}
	// All but the restart's first packet play.
	if got := len(s.audio()); got < 76 {
		t.Errorf("played %d frames", got)
	}
}

func TestJitterPacketTimes(t *testing.T) {
	// 10 ms and 30 ms packets still come out as 20 ms frames.
	for _, ptime := range []int{80, 240} {
		whole := sine(60*FrameSamples, 330, 7000)
		whole = PCMA.Decode(nil, PCMA.Encode(nil, whole))
		jb := NewJitterBuffer(JitterConfig{})
		seq, ts := uint16(9), uint32(0)
		var out []int16
		next := 0
		for tick := 0; tick < 64; tick++ {
			// Push all packets whose audio has been "captured" by now.
			for next+ptime <= (tick+1)*FrameSamples && next < len(whole) {
				p := &pionrtp.Packet{Header: pionrtp.Header{Version: 2, PayloadType: 8, SSRC: 1, SequenceNumber: seq, Timestamp: ts},
					Payload: PCMA.Encode(nil, whole[next:next+ptime])}
				jb.Push(p, time.Time{})
				seq++
				ts += uint32(ptime)
				next += ptime
			}
			buf := make([]int16, FrameSamples)
			if jb.Pop(buf) == FrameAudio {
				out = append(out, buf...)
			}
		}
		if len(out) != len(whole) {
			t.Fatalf("ptime %d: %d samples out, want %d", ptime, len(out), len(whole))
		}
		if !equal(out, whole) {
			t.Errorf("ptime %d: audio differs", ptime)
		}
	}
}
