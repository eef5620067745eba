package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	pion "github.com/pion/webrtc/v4"

	"frontdesk/voice"
	"frontdesk/voice/call"
)

// EndReason says why a call ended; it is safe to log.
type EndReason string

// Why calls end.
const (
	// EndHangup: this side hung up.
	EndHangup EndReason = "hangup"
	// EndRemoteHangup: the other side hung up (a DELETE of the session,
	// or the peer connection closed by the peer).
	EndRemoteHangup EndReason = "remote-hangup"
	// EndConnectTimeout: ICE and DTLS did not connect in time.
	EndConnectTimeout EndReason = "connect-timeout"
	// EndICEFailed: the connection failed.
	EndICEFailed EndReason = "ice-failed"
	// EndDisconnected: nothing arrived from the peer for too long.
	EndDisconnected EndReason = "disconnected"
	// EndShutdown: the handler closed.
	EndShutdown EndReason = "shutdown"
	// EndTransfer: the call was bridged to another party, and the bridge
	// has ended.
	EndTransfer EndReason = "transfer"
)

// ErrNoTransfer reports a transfer asked of a browser call when the
// appliance has no way configured to bridge it to a staff line.
var ErrNoTransfer = errors.New("webrtc: transfer of browser calls is not configured")

// Call is one WebRTC call, a call.Line: a peer connection and its audio.
type Call struct {
	id       string
	from     string
	pc       *pion.PeerConnection
	media    *Media
	transfer func(ctx context.Context, line call.Line, target string) error

	// onConnect runs once, when the connection is up; onEnd runs in the
	// closing goroutine before the peer connection closes; onClosed after.
	onConnect func()
	onEnd     func(EndReason)
	onClosed  func()

	connected chan struct{}
	done      chan struct{}
	closed    chan struct{}
	connOnce  sync.Once
	endOnce   sync.Once
	wg        sync.WaitGroup // the RTCP reader

	mu      sync.Mutex
	reason  EndReason
	timer   *time.Timer
	bridged bool // the media is a bridge's: see Detach
}

// newID returns a random call identifier, also the session's resource
// name: 128 bits, so it cannot be guessed.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webrtc: call id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newCall creates a call's peer connection with its audio track.
func newCall(api *pion.API, from string) (*Call, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("webrtc: peer connection: %w", err)
	}
	c := &Call{
		id: id, from: from, pc: pc,
		connected: make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{}),
	}
	c.media = newMedia(c)
	pc.OnTrack(func(t *pion.TrackRemote, _ *pion.RTPReceiver) { c.media.setTrack(t) })
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		switch s {
		case pion.PeerConnectionStateConnected:
			c.connOnce.Do(func() {
				c.mu.Lock()
				if c.timer != nil {
					c.timer.Stop()
				}
				c.mu.Unlock()
				close(c.connected)
				if c.onConnect != nil {
					c.onConnect()
				}
			})
		case pion.PeerConnectionStateFailed:
			c.end(EndICEFailed)
		case pion.PeerConnectionStateDisconnected:
			c.end(EndDisconnected)
		case pion.PeerConnectionStateClosed:
			c.end(EndRemoteHangup)
		}
	})
	return c, nil
}

// addTrack adds the outgoing audio, on the offer's audio transceiver when
// there is one, and reads the RTCP that comes back for it.
func (c *Call) addTrack() error {
	sender, err := c.pc.AddTrack(c.media.out)
	if err != nil {
		return err
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	return nil
}

// startTimer ends the call unless it connects within d.
func (c *Call) startTimer(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = time.AfterFunc(d, func() {
		select {
		case <-c.connected:
		default:
			c.end(EndConnectTimeout)
		}
	})
}

// end ends the call for reason: Done closes at once, and the peer
// connection closes in the background; closed is closed after. It never
// blocks, so pion's callbacks may call it.
func (c *Call) end(reason EndReason) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		if c.bridged && reason == EndHangup {
			reason = EndTransfer
		}
		c.reason = reason
		if c.timer != nil {
			c.timer.Stop()
		}
		c.mu.Unlock()
		close(c.done)
		go func() {
			if c.onEnd != nil {
				c.onEnd(reason)
			}
			c.pc.GracefulClose()
			c.wg.Wait()
			close(c.closed)
			if c.onClosed != nil {
				c.onClosed()
			}
		}()
	})
}

// ID identifies the call; it is random and safe to log.
func (c *Call) ID() string { return c.id }

// From is who placed the call, as the handler's Identity named them
// (PHI for the ledger: never log it).
func (c *Call) From() string { return c.from }

// Transport is "webrtc".
func (c *Call) Transport() string { return "webrtc" }

// Media is the call's audio.
func (c *Call) Media() voice.Media { return c.media }

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Connected is closed once ICE and DTLS are up.
func (c *Call) Connected() <-chan struct{} { return c.connected }

// EndReason is why the call ended, or "" while it goes on.
func (c *Call) EndReason() EndReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Hangup ends the call and waits for its peer connection to close.
func (c *Call) Hangup() error {
	c.end(EndHangup)
	<-c.closed
	return nil
}

// Transfer hands the caller to target with the handler's Transfer
// function; without one it returns ErrNoTransfer.
func (c *Call) Transfer(ctx context.Context, target string) error {
	if c.transfer == nil {
		return ErrNoTransfer
	}
	return c.transfer(ctx, c, target)
}

// Detach hands the call's audio to a bridge (call.Detacher): the media the
// session holds fails from now on, and the one returned reads the caller
// and writes to them until the call ends. Once bridged, the handler leaves
// the call up when Answer returns; whoever holds the bridge hangs it up,
// and the call ends with EndTransfer.
func (c *Call) Detach() voice.Media {
	c.mu.Lock()
	c.bridged = true
	c.mu.Unlock()
	c.media.detach()
	return &bridgeMedia{m: c.media}
}

// isBridged reports whether Detach was called.
func (c *Call) isBridged() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bridged
}

var (
	_ call.Line     = (*Call)(nil)
	_ call.Detacher = (*Call)(nil)
)
