package webrtc

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"

	"frontdesk/voice"
)

// Media is the audio of one peer connection as voice.Media: ReadRTP
// returns what the remote track carries (PCMU and telephone-event packets
// alike), and WriteRTP sends packets as they are, sequence numbers,
// timestamps, marker and payload type included; only the SSRC is the
// connection's.
type Media struct {
	c     *Call
	out   *outTrack
	codec voice.Codec

	trackOnce sync.Once
	ready     chan struct{} // closed once track is set
	track     *pion.TrackRemote

	detachOnce sync.Once
	detached   chan struct{} // closed when a bridge takes the audio
}

func newMedia(c *Call) *Media {
	return &Media{c: c, out: &outTrack{}, ready: make(chan struct{}), detached: make(chan struct{})}
}

// ErrMediaTransferred is what the session's media returns once the call's
// audio has been handed to a bridge. It wraps net.ErrClosed, which tells a
// pacer to stop.
var ErrMediaTransferred = fmt.Errorf("webrtc: media handed to a transfer bridge: %w", net.ErrClosed)

func (m *Media) detach() { m.detachOnce.Do(func() { close(m.detached) }) }

func (m *Media) isDetached() bool {
	select {
	case <-m.detached:
		return true
	default:
		return false
	}
}

// setTrack takes the first remote audio track; others are ignored.
func (m *Media) setTrack(t *pion.TrackRemote) bool {
	if t.Kind() != pion.RTPCodecTypeAudio {
		return false
	}
	taken := false
	m.trackOnce.Do(func() {
		m.track = t
		close(m.ready)
		taken = true
	})
	return taken
}

// errClosed is what ReadRTP and WriteRTP return once the call has ended;
// it wraps net.ErrClosed, which tells the pacer to stop.
var errClosed = fmt.Errorf("webrtc: media closed: %w", net.ErrClosed)

// ReadRTP returns the next packet from the caller. It waits for the
// caller's track to start, and returns an error once the call has ended,
// or ErrMediaTransferred once a bridge has the audio. Packets of a payload
// type that was not negotiated are skipped.
func (m *Media) ReadRTP() (*rtp.Packet, error) {
	if m.isDetached() {
		return nil, ErrMediaTransferred
	}
	p, err := m.read()
	if err == nil && m.isDetached() {
		// Read as the bridge took over: one packet (20 ms) goes to
		// neither side.
		return nil, ErrMediaTransferred
	}
	return p, err
}

// read returns the next packet from the caller's track.
func (m *Media) read() (*rtp.Packet, error) {
	select {
	case <-m.ready:
	case <-m.c.done:
		return nil, errClosed
	}
	for {
		p, _, err := m.track.ReadRTP()
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, pion.ErrCodecNotFound):
			continue
		}
		select {
		case <-m.c.done:
			return nil, errClosed
		default:
		}
		return nil, fmt.Errorf("webrtc: read: %w", err)
	}
}

// WriteRTP sends p to the caller. Before the connection is up packets are
// dropped, as a datagram socket would; after the call has ended it returns
// an error wrapping net.ErrClosed.
func (m *Media) WriteRTP(p *rtp.Packet) error {
	if m.isDetached() {
		return ErrMediaTransferred
	}
	return m.write(p)
}

// write sends p to the caller.
func (m *Media) write(p *rtp.Packet) error {
	select {
	case <-m.c.done:
		return errClosed
	default:
	}
	if err := m.out.write(p); err != nil {
		select {
		case <-m.c.done:
			return errClosed
		default:
		}
		return fmt.Errorf("webrtc: write: %w", err)
	}
	return nil
}

// Codec is the negotiated audio: PCMU, with the peer's telephone-event
// payload type when it offered one.
func (m *Media) Codec() voice.Codec { return m.codec }

// Close ends the call and waits until the peer connection has shut down;
// once a bridge has the audio it does nothing.
func (m *Media) Close() error {
	if m.isDetached() {
		return nil
	}
	m.c.end(EndHangup)
	<-m.c.closed
	return nil
}

// bridgeMedia is the call's audio as a bridge holds it after Detach.
type bridgeMedia struct {
	m *Media

	mu sync.Mutex
	// started, seqDelta, tsDelta: the bridged party's packets are
	// renumbered to continue the stream the caller has been receiving,
	// which SRTP's replay protection would otherwise cut off.
	started  bool
	seqDelta uint16
	tsDelta  uint32
}

func (b *bridgeMedia) ReadRTP() (*rtp.Packet, error) { return b.m.read() }
func (b *bridgeMedia) Codec() voice.Codec            { return b.m.codec }

// WriteRTP sends p to the caller, renumbered to follow what was sent
// before the bridge.
func (b *bridgeMedia) WriteRTP(p *rtp.Packet) error {
	b.mu.Lock()
	if !b.started {
		b.started = true
		seq, ts, sent := b.m.out.last()
		if sent {
			b.seqDelta = seq + 1 - p.SequenceNumber
			b.tsDelta = ts + 160 - p.Timestamp
		}
	}
	q := *p
	q.SequenceNumber += b.seqDelta
	q.Timestamp += b.tsDelta
	b.mu.Unlock()
	return b.m.write(&q)
}

// Close ends the call.
func (b *bridgeMedia) Close() error {
	b.m.c.end(EndTransfer)
	<-b.m.c.closed
	return nil
}

// outTrack is the local audio track. pion's TrackLocalStaticRTP sets
// every packet's payload type to the codec it bound, which would turn
// telephone-event packets into PCMU noise; this track keeps the payload
// type the pacer chose, which is always one the peer negotiated.
type outTrack struct {
	mu   sync.RWMutex
	ssrc uint32
	w    pion.TrackLocalWriter
	id   string

	// The sequence number and timestamp last sent, for a bridge to
	// continue from.
	lastMu  sync.Mutex
	lastSeq uint16
	lastTS  uint32
	sent    bool
}

// last returns the sequence number and timestamp last sent, if any.
func (t *outTrack) last() (seq uint16, ts uint32, sent bool) {
	t.lastMu.Lock()
	defer t.lastMu.Unlock()
	return t.lastSeq, t.lastTS, t.sent
}

// Bind attaches the track to a negotiated sender: it needs PCMU.
func (t *outTrack) Bind(ctx pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, pion.MimeTypePCMU) {
			t.mu.Lock()
			t.ssrc, t.w, t.id = uint32(ctx.SSRC()), ctx.WriteStream(), ctx.ID()
			t.mu.Unlock()
			return c, nil
		}
	}
	return pion.RTPCodecParameters{}, pion.ErrUnsupportedCodec
}

// Unbind detaches the track when its sender stops.
func (t *outTrack) Unbind(ctx pion.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.id != ctx.ID() {
		return pion.ErrUnbindFailed
	}
	t.w, t.id = nil, ""
	return nil
}

// ID names the track.
func (t *outTrack) ID() string { return "receptionist" }

// RID is empty: one encoding.
func (t *outTrack) RID() string { return "" }

// StreamID names the media stream.
func (t *outTrack) StreamID() string { return "frontdesk" }

// Kind is audio.
func (t *outTrack) Kind() pion.RTPCodecType { return pion.RTPCodecTypeAudio }

func (t *outTrack) write(p *rtp.Packet) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.w == nil {
		return nil
	}
	h := p.Header
	h.SSRC = t.ssrc
	_, err := t.w.WriteRTP(&h, p.Payload)
	if err == nil {
		t.lastMu.Lock()
		t.lastSeq, t.lastTS, t.sent = h.SequenceNumber, h.Timestamp, true
		t.lastMu.Unlock()
	}
	return err
}

// codecFromSDP reads the negotiated audio from an answer: the first audio
// section that was accepted must carry PCMU (payload type 0); its
// telephone-event/8000 payload type, if any, is the events'.
func codecFromSDP(desc string) (voice.Codec, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(desc); err != nil {
		return voice.Codec{}, fmt.Errorf("webrtc: answer: %w", err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		c := voice.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
		pcmu := false
		for _, f := range md.MediaName.Formats {
			if f == "0" {
				pcmu = true
			}
		}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			pt, enc, ok := strings.Cut(a.Value, " ")
			if !ok || !strings.EqualFold(enc, "telephone-event/8000") {
				continue
			}
			if n, err := strconv.ParseUint(pt, 10, 7); err == nil && n != 0 {
				c.EventPayloadType = uint8(n)
			}
		}
		if !pcmu {
			return voice.Codec{}, errNoPCMU
		}
		return c, nil
	}
	return voice.Codec{}, errNoPCMU
}
