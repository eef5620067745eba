package sip

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"frontdesk/voice"
)

// ErrMediaClosed is returned by ReadRTP and WriteRTP once a call's media has
// been closed, normally because the call ended. It wraps net.ErrClosed.
var ErrMediaClosed = fmt.Errorf("sip: media closed: %w", net.ErrClosed)

// ErrMediaTransferred is returned by a call's Media once the call has been
// bridged to another party and the agent relays its audio.
var ErrMediaTransferred = errors.New("sip: media handed to transfer bridge")

// rtpQueue is how many received packets wait for a slow reader (5 s of
// 20 ms audio) before the oldest are dropped.
const rtpQueue = 256

// portPool hands out even RTP ports from a range, binding each before use so
// that two agents (or tests) sharing a range never collide.
type portPool struct {
	mu       sync.Mutex
	min, max int
	next     int
}

func newPortPool(min, max int) *portPool {
	min += min % 2
	span := (max - min) / 2
	p := &portPool{min: min, max: max, next: min}
	if span > 0 {
		p.next = min + 2*rand.IntN(span)
	}
	return p
}

// listen binds a UDP socket on ip at the next free even port.
func (p *portPool) listen(ip net.IP) (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.max-p.min)/2 + 1
	var lastErr error
	for i := 0; i < span && i < 512; i++ {
		port := p.next
		p.next += 2
		if p.next > p.max {
			p.next = p.min
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("rtp: no free port in %d-%d: %w", p.min, p.max, lastErr)
}

// rtpSession is one call's RTP socket. It implements voice.Media.
//
// A single reader goroutine drains the socket so that inactivity is noticed
// whether or not anyone consumes audio; packets wait in a bounded queue.
type rtpSession struct {
	conn *net.UDPConn

	mu       sync.Mutex
	codec    voice.Codec
	remote   *net.UDPAddr // where packets go; learned from the first packet
	expect   []net.IP     // source addresses accepted before latching
	latched  bool
	sendDir  bool // our direction lets us send
	recvDir  bool // our direction lets us receive
	peerHeld bool

	rx       chan *rtp.Packet
	lastRx   atomic.Int64 // unix nanoseconds
	received atomic.Uint64
	sent     atomic.Uint64

	closed    chan struct{}
	closeOnce sync.Once
	readDone  chan struct{}
}

func newRTPSession(conn *net.UDPConn) *rtpSession {
	s := &rtpSession{
		conn:     conn,
		sendDir:  true,
		recvDir:  true,
		rx:       make(chan *rtp.Packet, rtpQueue),
		closed:   make(chan struct{}),
		readDone: make(chan struct{}),
	}
	s.lastRx.Store(time.Now().UnixNano())
	go s.readLoop()
	return s
}

func (s *rtpSession) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// configure applies a negotiated description: codec, remote address and
// direction. signalIP is the address SIP arrived from; packets from it are
// accepted as well as from the SDP address, for peers behind NAT.
func (s *rtpSession) configure(n negotiation, signalIP net.IP) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codec = n.codec
	changed := true
	if s.remote != nil && n.remote != nil && s.remote.IP.Equal(n.remote.IP) && s.remote.Port == n.remote.Port {
		changed = false
	}
	if n.remote == nil {
		// Hold with 0.0.0.0 or port 0: keep the learned address for resume.
		changed = false
	}
	if changed {
		s.remote = n.remote
		s.latched = false
	}
	s.expect = s.expect[:0]
	if n.remote != nil {
		s.expect = append(s.expect, n.remote.IP)
	}
	if signalIP != nil {
		s.expect = append(s.expect, signalIP)
	}
	local := n.peerDir.answer()
	s.sendDir = local.sends() && n.remote != nil
	s.recvDir = local.receives()
	s.peerHeld = n.held()
	// A resumed or re-pointed stream starts a fresh inactivity window.
	s.lastRx.Store(time.Now().UnixNano())
}

func (s *rtpSession) held() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerHeld
}

func (s *rtpSession) readLoop() {
	defer close(s.readDone)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.closed:
				return
			default:
			}
			continue
		}
		if n < 12 || buf[0]>>6 != 2 {
			continue
		}
		p := &rtp.Packet{}
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			continue
		}
		// Only a packet the call can use may fix the remote address.
		if !s.wanted(p.PayloadType) || !s.accept(from) {
			continue
		}
		s.lastRx.Store(time.Now().UnixNano())
		s.received.Add(1)
		select {
		case s.rx <- p:
		default:
			// Drop the oldest packet: late audio is worth less than new.
			select {
			case <-s.rx:
			default:
			}
			select {
			case s.rx <- p:
			default:
			}
		}
	}
}

// accept applies symmetric RTP: before the first packet, packets are taken
// from the SDP or signalling address (any port) and the first one fixes the
// remote address; afterwards only that address is heard.
func (s *rtpSession) accept(from *net.UDPAddr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latched {
		return s.remote != nil && s.remote.IP.Equal(from.IP) && s.remote.Port == from.Port
	}
	for _, ip := range s.expect {
		if ip.Equal(from.IP) {
			s.remote = &net.UDPAddr{IP: from.IP, Port: from.Port}
			s.latched = true
			return true
		}
	}
	return false
}

func (s *rtpSession) wanted(pt uint8) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pt == s.codec.PayloadType || (s.codec.EventPayloadType != 0 && pt == s.codec.EventPayloadType)
}

// read returns the next packet, or ErrMediaClosed; stop, when not nil, ends
// the wait early with errStop.
func (s *rtpSession) read(stop <-chan struct{}, errStop error) (*rtp.Packet, error) {
	select {
	case <-s.closed:
		return nil, ErrMediaClosed
	default:
	}
	select {
	case p := <-s.rx:
		return p, nil
	case <-s.closed:
		return nil, ErrMediaClosed
	case <-stop:
		return nil, errStop
	}
}

func (s *rtpSession) write(p *rtp.Packet) error {
	select {
	case <-s.closed:
		return ErrMediaClosed
	default:
	}
	s.mu.Lock()
	remote, ok := s.remote, s.sendDir
	s.mu.Unlock()
	if !ok || remote == nil {
		// Held or no address yet: RFC 3264 forbids sending; drop quietly.
		return nil
	}
	b, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("rtp: marshal: %w", err)
	}
	if _, err := s.conn.WriteToUDP(b, remote); err != nil {
		select {
		case <-s.closed:
			return ErrMediaClosed
		default:
		}
		return fmt.Errorf("rtp: send: %w", err)
	}
	s.sent.Add(1)
	return nil
}

func (s *rtpSession) currentCodec() voice.Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

func (s *rtpSession) idleFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, s.lastRx.Load()))
}

func (s *rtpSession) close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.conn.Close()
		<-s.readDone
	})
	return err
}

// mediaView is the voice.Media a call's owner sees. The agent can detach it
// when a transfer bridge takes over the audio.
type mediaView struct {
	s          *rtpSession
	detached   chan struct{}
	detachOnce sync.Once
}

var _ voice.Media = (*mediaView)(nil)

func newMediaView(s *rtpSession) *mediaView {
	return &mediaView{s: s, detached: make(chan struct{})}
}

func (m *mediaView) detach() { m.detachOnce.Do(func() { close(m.detached) }) }

func (m *mediaView) isDetached() bool {
	select {
	case <-m.detached:
		return true
	default:
		return false
	}
}

// ReadRTP returns the next packet from the peer.
func (m *mediaView) ReadRTP() (*rtp.Packet, error) {
	if m.isDetached() {
		return nil, ErrMediaTransferred
	}
	return m.s.read(m.detached, ErrMediaTransferred)
}

// WriteRTP sends one packet to the peer; while the peer holds the call the
// packet is dropped, as RFC 3264 requires.
func (m *mediaView) WriteRTP(p *rtp.Packet) error {
	if m.isDetached() {
		return ErrMediaTransferred
	}
	return m.s.write(p)
}

// Codec is the negotiated audio format.
func (m *mediaView) Codec() voice.Codec { return m.s.currentCodec() }

// Close stops the media in both directions.
func (m *mediaView) Close() error {
	if m.isDetached() {
		return nil
	}
	return m.s.close()
}
