package rtp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"time"

	pionrtp "github.com/pion/rtp"

	"frontdesk/voice/dtmf"
)

// DefaultEventPayloadType is the dynamic payload type most peers offer for
// RFC 4733 telephone-event.
const DefaultEventPayloadType = 101

// SenderConfig describes the stream a Sender produces.
type SenderConfig struct {
	// Codec is the audio codec, PCMU (the zero value) or PCMA.
	Codec Codec
	// EventPayloadType is the payload type negotiated for telephone-event;
	// 0 means DefaultEventPayloadType.
	EventPayloadType uint8
	// SSRC identifies the stream; 0 picks a random one.
	SSRC uint32
	// ComfortNoise is the level, in dBFS, of the noise sent when there is
	// nothing to play; 0 sends digital silence.
	ComfortNoise float64
	// MaxBurst is the most packets sent back to back to catch up after the
	// sender was held up; ticks beyond it are skipped (the timestamp moves
	// on, the next packet has the marker bit). 0 means 5 (100 ms).
	MaxBurst int
	// Clock is the pacing clock; nil means the system's monotonic clock.
	Clock Clock
}

// SenderStats are a Sender's counters.
type SenderStats struct {
	// Packets is the number of packets written.
	Packets uint64
	// Octets is the number of payload octets written (as RTCP counts them).
	Octets uint64
	// AudioFrames is the number of prompt frames sent.
	AudioFrames uint64
	// SilenceFrames is the number of comfort-silence frames sent.
	SilenceFrames uint64
	// EventPackets is the number of telephone-event packets sent.
	EventPackets uint64
	// LateTicks is the number of ticks sent after their time, back to back
	// with the next, to catch up.
	LateTicks uint64
	// SkippedTicks is the number of ticks not sent at all because the
	// sender was too far behind.
	SkippedTicks uint64
	// WriteErrors is the number of packets the sink refused.
	WriteErrors uint64
}

// Sender paces one outgoing RTP stream: every 20 ms it sends the next frame
// of queued prompt audio, the next packet of a queued telephone event, or
// comfort silence when nothing is queued, with consecutive sequence numbers
// and a timestamp that advances 160 per tick. Play, SendDigit and Flush may
// be called from any goroutine while Run paces.
type Sender struct {
	w     io.Writer
	codec Codec
	evPT  uint8
	burst int
	clock Clock
	noise float64 // comfort-noise amplitude, 0 for digital silence
	rng   uint64

	mu     sync.Mutex
	queue  []*outgoing
	seq    uint16
	ts     uint32
	marker bool
	stats  SenderStats

	hdr     pionrtp.Header
	pkt     []byte
	frame   [FrameSamples]int16
	silence [FrameSamples]byte
}

// outgoing is one queued prompt or digit.
type outgoing struct {
	pcm    []int16
	events []dtmf.Event
	next   int
	evTS   uint32
	done   chan struct{}
}

// NewSender returns a Sender that writes each packet to w in one Write, as
// a connected UDP socket (or PacketWriter) expects. The initial sequence
// number and timestamp are random, as RFC 3550 asks.
func NewSender(w io.Writer, cfg SenderConfig) (*Sender, error) {
	if cfg.Codec != PCMU && cfg.Codec != PCMA {
		return nil, fmt.Errorf("rtp: sender: %v is not G.711", cfg.Codec)
	}
	if cfg.ComfortNoise > 0 {
		return nil, fmt.Errorf("rtp: sender: comfort noise level %.1f dBFS above full scale", cfg.ComfortNoise)
	}
	var r [20]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("rtp: sender: %w", err)
	}
	s := &Sender{
		w:      w,
		codec:  cfg.Codec,
		evPT:   cfg.EventPayloadType,
		burst:  cfg.MaxBurst,
		clock:  cfg.Clock,
		rng:    binary.LittleEndian.Uint64(r[10:]) | 1,
		seq:    binary.LittleEndian.Uint16(r[0:]),
		ts:     binary.LittleEndian.Uint32(r[2:]),
		marker: true,
		pkt:    make([]byte, 0, 12+FrameSamples),
	}
	if s.evPT == 0 {
		s.evPT = DefaultEventPayloadType
	}
	if s.burst <= 0 {
		s.burst = 5
	}
	if cfg.ComfortNoise < 0 {
		// Uniform noise of RMS level·32768 has this peak amplitude.
		s.noise = math.Pow(10, cfg.ComfortNoise/20) * 32768 * math.Sqrt(3)
	}
	ssrc := cfg.SSRC
	for ssrc == 0 {
		ssrc = binary.LittleEndian.Uint32(r[6:])
		if ssrc == 0 {
			ssrc = 1
		}
	}
	s.hdr = pionrtp.Header{Version: 2, SSRC: ssrc}
	for i := range s.silence {
		s.silence[i] = s.codec.Silence()
	}
	return s, nil
}

// SSRC returns the stream's synchronisation source identifier.
func (s *Sender) SSRC() uint32 { return s.hdr.SSRC }

// Play queues pcm (8 kHz) after whatever is queued; the last frame is
// padded with silence. The returned channel is closed once the audio has
// been sent or flushed. Play keeps pcm until then; the caller must not
// change it.
func (s *Sender) Play(pcm []int16) <-chan struct{} {
	o := &outgoing{pcm: pcm, done: make(chan struct{})}
	if len(pcm) == 0 {
		close(o.done)
		return o.done
	}
	s.mu.Lock()
	s.queue = append(s.queue, o)
	s.mu.Unlock()
	return o.done
}

// SendDigit queues an RFC 4733 event for digit lasting duration, after
// whatever is queued. While it is sent no audio is. The returned channel is
// closed once its last packet has been sent or flushed.
func (s *Sender) SendDigit(digit rune, duration time.Duration) (<-chan struct{}, error) {
	events, err := dtmf.Encode(digit, duration, 10)
	if err != nil {
		return nil, fmt.Errorf("rtp: sender: %w", err)
	}
	o := &outgoing{events: events, done: make(chan struct{})}
	s.mu.Lock()
	s.queue = append(s.queue, o)
	s.mu.Unlock()
	return o.done, nil
}

// Flush drops everything queued, for barge-in. A telephone event already
// under way is finished first, so the peer sees its end.
func (s *Sender) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := 0
	for _, o := range s.queue {
		if o.events != nil && o.next > 0 {
			s.queue[keep] = o
			keep++
			continue
		}
		close(o.done)
	}
	clear(s.queue[keep:])
	s.queue = s.queue[:keep]
}

// Stats returns the sender's counters so far.
func (s *Sender) Stats() SenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run sends one packet per 20 ms tick until ctx is done, catching up after
// delays (up to MaxBurst packets back to back) so that the stream never
// drifts from the clock. It returns nil when ctx is done, and an error when
// the sink has been closed; other write errors are counted and the stream
// goes on, as a datagram socket's transient errors do not end a call. Run
// once per Sender.
func (s *Sender) Run(ctx context.Context) error {
	p := NewPacer(FrameDuration, s.clock)
	for {
		n, err := p.Wait(ctx)
		if err != nil {
			return nil
		}
		skip := n - s.burst
		for i := range n {
			if err := s.tick(i >= skip, i < n-1); err != nil {
				return err
			}
		}
	}
}

// tick produces the packet of one 20 ms tick; when send is false the tick
// is skipped and only the clock moves on. late says the tick's time has
// already passed.
func (s *Sender) tick(send, late bool) error {
	s.mu.Lock()
	if !send {
		s.ts += FrameSamples
		s.marker = true
		s.stats.SkippedTicks++
		s.mu.Unlock()
		return nil
	}
	if late {
		s.stats.LateTicks++
	}
	var o *outgoing
	if len(s.queue) > 0 {
		o = s.queue[0]
	}
	s.hdr.Marker = s.marker
	s.hdr.SequenceNumber = s.seq
	s.hdr.Timestamp = s.ts
	s.hdr.PayloadType = s.codec.PayloadType()
	if o != nil && o.events != nil {
		if o.next == 0 {
			o.evTS = s.ts
			s.hdr.Marker = true // the event starts
		}
		s.hdr.PayloadType = s.evPT
		s.hdr.Timestamp = o.evTS
	}
	n, err := s.hdr.MarshalTo(s.pkt[:cap(s.pkt)])
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("rtp: sender: %w", err)
	}
	s.pkt = s.pkt[:n]
	s.fill(o)
	s.marker = false
	s.seq++
	s.ts += FrameSamples
	s.stats.Packets++
	s.stats.Octets += uint64(len(s.pkt) - n)
	s.mu.Unlock()

	if _, err := s.w.Write(s.pkt); err != nil {
		if errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
			return fmt.Errorf("rtp: sender: %w", err)
		}
		s.mu.Lock()
		s.stats.WriteErrors++
		s.mu.Unlock()
	}
	return nil
}

// fill appends the payload of the tick's packet, taken from o (nil when
// nothing is queued), to the header in s.pkt. It runs with s.mu held.
func (s *Sender) fill(o *outgoing) {
	switch {
	case o == nil && s.noise == 0:
		s.stats.SilenceFrames++
		s.pkt = append(s.pkt, s.silence[:]...)
	case o == nil:
		s.stats.SilenceFrames++
		for i := range s.frame {
			s.rng ^= s.rng << 13
			s.rng ^= s.rng >> 7
			s.rng ^= s.rng << 17
			u := float64(int64(s.rng>>11))/float64(1<<52) - 1 // [-1, 1)
			s.frame[i] = int16(u * s.noise)
		}
		s.pkt = s.codec.Encode(s.pkt, s.frame[:])
	case o.events != nil:
		s.pkt = o.events[o.next].Append(s.pkt)
		s.stats.EventPackets++
		if o.next++; o.next == len(o.events) {
			s.pop()
		}
	default:
		n := copy(s.frame[:], o.pcm)
		clear(s.frame[n:])
		o.pcm = o.pcm[n:]
		s.pkt = s.codec.Encode(s.pkt, s.frame[:])
		s.stats.AudioFrames++
		if len(o.pcm) == 0 {
			s.pop()
		}
	}
}

// pop removes the finished head of the queue.
func (s *Sender) pop() {
	close(s.queue[0].done)
	s.queue[0] = nil
	s.queue = s.queue[1:]
}

// PacketWriter adapts a net.PacketConn to the io.Writer a Sender writes to,
// sending every packet to addr.
func PacketWriter(conn net.PacketConn, addr net.Addr) io.Writer {
	return packetWriter{conn, addr}
}

type packetWriter struct {
	conn net.PacketConn
	addr net.Addr
}

func (w packetWriter) Write(p []byte) (int, error) { return w.conn.WriteTo(p, w.addr) }
