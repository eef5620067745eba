package rtp

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	pionrtp "github.com/pion/rtp"

	"frontdesk/voice/dtmf"
)

// manualClock is a Clock that moves only when the test advances it.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newManualClock() *manualClock { return &manualClock{now: time.Unix(1700000000, 0)} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{t, ch})
	return ch
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// loopback is a UDP receiver on 127.0.0.1 and a socket connected to it.
type loopback struct {
	rx *net.UDPConn
	tx *net.UDPConn
}

func newLoopback(t *testing.T) *loopback {
	t.Helper()
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close(); tx.Close() })
	return &loopback{rx, tx}
}

// read returns the next packet; it fails the test if none comes within a
// generous timeout (a guard against hanging, not a timing assertion).
func (l *loopback) read(t *testing.T) *pionrtp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	l.rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := l.rx.Read(buf)
	if err != nil {
		t.Fatalf("reading RTP: %v", err)
	}
	p := &pionrtp.Packet{}
	if err := p.Unmarshal(buf[:n]); err != nil {
		t.Fatalf("parsing RTP: %v", err)
	}
	return p
}

// none fails if a packet arrives within a short wait.
func (l *loopback) none(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1500)
	l.rx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := l.rx.Read(buf); err == nil {
		t.Fatalf("unexpected packet of %d bytes", n)
	} else if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
}

func startSender(t *testing.T, l *loopback, cfg SenderConfig) *Sender {
	t.Helper()
	s, err := NewSender(l.tx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runSender(t, s)
	return s
}

// runSender runs s until the test ends.
func runSender(t *testing.T, s *Sender) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestSenderPacesOverUDP(t *testing.T) {
	l := newLoopback(t)
	clock := newManualClock()
	prompt := sine(25*FrameSamples, 440, 9000)
	s, err := NewSender(l.tx, SenderConfig{Codec: PCMA, Clock: clock, SSRC: 0xfeedbeef})
	if err != nil {
		t.Fatal(err)
	}
	played := s.Play(prompt) // queued before the first tick
	runSender(t, s)

	// One simulated second: the first tick is due at once, then one per
	// 20 ms. Exactly 50 packets, each with the next sequence number and a
	// timestamp 160 further on.
	var pkts []*pionrtp.Packet
	for i := range 50 {
		if i > 0 {
			clock.Advance(FrameDuration)
		}
		pkts = append(pkts, l.read(t))
	}
	l.none(t)
	for i, p := range pkts {
		if p.SSRC != 0xfeedbeef || p.PayloadType != 8 || p.Version != 2 {
			t.Fatalf("packet %d header %+v", i, p.Header)
		}
		if len(p.Payload) != FrameSamples {
			t.Fatalf("packet %d payload %d bytes", i, len(p.Payload))
		}
		if p.Marker != (i == 0) {
			t.Errorf("packet %d marker %v", i, p.Marker)
		}
		if i == 0 {
			continue
		}
		if p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Errorf("packet %d seq %d after %d", i, p.SequenceNumber, pkts[i-1].SequenceNumber)
		}
		if p.Timestamp != pkts[i-1].Timestamp+FrameSamples {
			t.Errorf("packet %d ts %d after %d", i, p.Timestamp, pkts[i-1].Timestamp)
		}
	}
	// The prompt fills the first 25 packets, comfort silence the rest.
	want := PCMA.Encode(nil, prompt)
	for i := range 25 {
		if string(pkts[i].Payload) != string(want[i*FrameSamples:(i+1)*FrameSamples]) {
			t.Fatalf("packet %d does not carry prompt frame %d", i, i)
		}
	}
	for i := 25; i < 50; i++ {
		for _, b := range pkts[i].Payload {
			if b != PCMA.Silence() {
				t.Fatalf("packet %d is not silence", i)
			}
		}
	}
	select {
	case <-played:
	default:
		t.Error("Play's channel still open after the prompt was sent")
	}
	st := s.Stats()
	if st.Packets != 50 || st.AudioFrames != 25 || st.SilenceFrames != 25 || st.Octets != 50*FrameSamples || st.LateTicks != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSenderCatchesUp(t *testing.T) {
	l := newLoopback(t)
	clock := newManualClock()
	s := startSender(t, l, SenderConfig{Clock: clock})
	first := l.read(t)

	// Held up for 100 ms: the 5 ticks due go out back to back, each with
	// its own timestamp: the stream catches up rather than drifting.
	clock.Advance(100 * time.Millisecond)
	for i := 1; i <= 5; i++ {
		p := l.read(t)
		if p.SequenceNumber != first.SequenceNumber+uint16(i) || p.Timestamp != first.Timestamp+uint32(i*FrameSamples) || p.Marker {
			t.Fatalf("catch-up packet %d: %+v", i, p.Header)
		}
	}
	l.none(t)

	// Held up for a second: only the last MaxBurst (5) ticks are sent; the
	// timestamp moves on by the whole second and the marker bit flags the
	// discontinuity. Sequence numbers stay consecutive.
	clock.Advance(time.Second)
	for i := 6; i <= 10; i++ {
		p := l.read(t)
		wantTS := first.Timestamp + uint32((i+45)*FrameSamples)
		if p.SequenceNumber != first.SequenceNumber+uint16(i) || p.Timestamp != wantTS || p.Marker != (i == 6) {
			t.Fatalf("packet %d after a long delay: seq %d ts %d marker %v, want seq %d ts %d",
				i, p.SequenceNumber, p.Timestamp, p.Marker, first.SequenceNumber+uint16(i), wantTS)
		}
	}
	l.none(t)
	if st := s.Stats(); st.SkippedTicks != 45 || st.LateTicks != 8 || st.Packets != 11 {
		t.Errorf("stats %+v", st)
	}
}

func TestSenderRealClock(t *testing.T) {
	l := newLoopback(t)
	s := startSender(t, l, SenderConfig{Codec: PCMU})
	prompt := sine(10*FrameSamples, 300, 8000)
	done := s.Play(prompt)
	var prev *pionrtp.Packet
	audio := 0
	for i := range 60 {
		p := l.read(t)
		if prev != nil {
			// On the real clock a late wake-up may send two packets back
			// to back, or skip ticks after a long stall; either way the
			// timestamp follows the sequence number.
			dseq := p.SequenceNumber - prev.SequenceNumber
			dts := p.Timestamp - prev.Timestamp
			if dseq != 1 || dts%FrameSamples != 0 || dts == 0 || (dts != FrameSamples && !p.Marker) {
				t.Fatalf("packet %d: seq +%d ts +%d marker %v", i, dseq, dts, p.Marker)
			}
		}
		for _, b := range p.Payload {
			if b != PCMU.Silence() {
				audio++
				break
			}
		}
		prev = p
	}
	if audio != 10 {
		t.Errorf("%d packets carried the 10-frame prompt", audio)
	}
	<-done
}

func TestSenderDigit(t *testing.T) {
	l := newLoopback(t)
	clock := newManualClock()
	s := startSender(t, l, SenderConfig{Clock: clock, EventPayloadType: 96})
	if _, err := s.SendDigit('x', 100*time.Millisecond); err == nil {
		t.Error("SendDigit accepted a non-digit")
	}
	first := l.read(t) // silence, sent before the digit was queued
	s.SendDigit('7', 100*time.Millisecond)
	after := s.Play(sine(FrameSamples, 500, 5000))

	var rx dtmf.Receiver
	var digits []rune
	var evTS uint32
	// 100 ms: four updates and three end packets, then the audio.
	for i := 1; i <= 8; i++ {
		clock.Advance(FrameDuration)
		p := l.read(t)
		if p.SequenceNumber != first.SequenceNumber+uint16(i) {
			t.Fatalf("packet %d seq %d", i, p.SequenceNumber)
		}
		if i == 8 {
			if p.PayloadType != 0 || p.Timestamp != first.Timestamp+8*FrameSamples {
				t.Fatalf("audio after the event: %+v", p.Header)
			}
			break
		}
		if p.PayloadType != 96 {
			t.Fatalf("packet %d payload type %d, want 96", i, p.PayloadType)
		}
		if i == 1 {
			evTS = p.Timestamp
			if evTS != first.Timestamp+FrameSamples || !p.Marker {
				t.Fatalf("first event packet %+v", p.Header)
			}
		} else if p.Timestamp != evTS || p.Marker {
			t.Fatalf("event packet %d: ts %d marker %v", i, p.Timestamp, p.Marker)
		}
		e, err := dtmf.ParseEvent(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		wantDur := uint16(min(i, 5) * FrameSamples)
		if e.Code != 7 || e.Duration != wantDur || e.End != (i >= 5) {
			t.Errorf("event packet %d: %+v, want duration %d", i, e, wantDur)
		}
		if d, ok, err := rx.Push(p.Timestamp, p.Payload); err != nil {
			t.Fatal(err)
		} else if ok {
			digits = append(digits, d)
		}
	}
	if string(digits) != "7" {
		t.Errorf("receiver yielded %q, want \"7\"", string(digits))
	}
	<-after
	if st := s.Stats(); st.EventPackets != 7 {
		t.Errorf("stats %+v", st)
	}
}

func TestSenderFlush(t *testing.T) {
	l := newLoopback(t)
	clock := newManualClock()
	s := startSender(t, l, SenderConfig{Clock: clock})
	l.read(t)
	a := s.Play(sine(50*FrameSamples, 440, 9000))
	b := s.Play(sine(50*FrameSamples, 660, 9000))
	for range 3 {
		clock.Advance(FrameDuration)
		if p := l.read(t); p.Payload[7] == PCMU.Silence() {
			t.Fatal("prompt not playing")
		}
	}
	s.Flush() // the caller barged in
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Flush left a prompt's channel open")
		}
	}
	clock.Advance(FrameDuration)
	p := l.read(t)
	for _, x := range p.Payload {
		if x != PCMU.Silence() {
			t.Fatal("audio after Flush")
		}
	}
}

func TestSenderComfortNoise(t *testing.T) {
	l := newLoopback(t)
	clock := newManualClock()
	startSender(t, l, SenderConfig{Clock: clock, ComfortNoise: -50})
	var sum float64
	var n int
	for i := range 20 {
		if i > 0 {
			clock.Advance(FrameDuration)
		}
		for _, v := range PCMU.Decode(nil, l.read(t).Payload) {
			sum += float64(v) * float64(v)
			n++
		}
	}
	level := 10 * math.Log10(sum/float64(n)/(32768*32768))
	if math.Abs(level+50) > 1.5 {
		t.Errorf("comfort noise at %.1f dBFS, want -50", level)
	}
}

func TestSenderStopsOnClosedSink(t *testing.T) {
	l := newLoopback(t)
	s, err := NewSender(l.tx, SenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	l.tx.Close()
	if err := s.Run(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Run on a closed socket returned %v", err)
	}
	if _, err := NewSender(l.tx, SenderConfig{Codec: 9}); err == nil {
		t.Error("NewSender accepted a non-G.711 codec")
	}
}

func TestPacketWriter(t *testing.T) {
	rx, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	w := PacketWriter(tx, rx.LocalAddr())
	if _, err := w.Write([]byte("rtp")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := rx.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "rtp" || from.String() != tx.LocalAddr().String() {
		t.Errorf("got %q from %v, %v", buf[:n], from, err)
	}
}

func TestSenderFlushFinishesEvent(t *testing.T) {
	// Barge-in while a digit is being sent: the event still ends properly
	// (the peer must see its end packets); the prompt queued after it goes.
	l := newLoopback(t)
	clock := newManualClock()
	s := startSender(t, l, SenderConfig{Clock: clock})
	first := l.read(t)
	digit, _ := s.SendDigit('1', 40*time.Millisecond)
	prompt := s.Play(sine(10*FrameSamples, 500, 9000))
	clock.Advance(FrameDuration)
	if p := l.read(t); p.PayloadType != DefaultEventPayloadType || !p.Marker {
		t.Fatalf("event start %+v", p.Header)
	}
	s.Flush()
	<-prompt
	var ends int
	for range 3 {
		clock.Advance(FrameDuration)
		p := l.read(t)
		e, err := dtmf.ParseEvent(p.Payload)
		if err != nil || p.PayloadType != DefaultEventPayloadType || !e.End {
			t.Fatalf("after Flush: %+v %+v %v", p.Header, e, err)
		}
		ends++
	}
	<-digit
	clock.Advance(FrameDuration)
	p := l.read(t)
	if p.PayloadType != 0 || p.Payload[3] != PCMU.Silence() || p.SequenceNumber != first.SequenceNumber+5 || s.SSRC() != p.SSRC {
		t.Errorf("after the event: %+v", p.Header)
	}
	if empty := s.Play(nil); empty == nil {
		t.Error("Play(nil) returned no channel")
	} else {
		<-empty
	}
}
