package sip

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"frontdesk/voice"
)

// Call is a call the agent answered. Its From and To URIs identify the
// caller and are PHI: never log them; log ID.
type Call struct {
	a         *Agent
	leg       *leg
	ctx       context.Context
	cancel    context.CancelFunc
	from, to  string
	transport string
	remote    string
	sipCallID string
	answered  atomic.Int64 // unix nanoseconds

	bridged      atomic.Bool
	transferring atomic.Bool
}

func newCall(a *Agent, l *leg, req *sip.Request) *Call {
	ctx, cancel := context.WithCancel(l.ctx)
	c := &Call{
		a:         a,
		leg:       l,
		ctx:       ctx,
		cancel:    cancel,
		from:      req.From().Address.String(),
		to:        req.To().Address.String(),
		transport: strings.ToLower(req.Transport()),
		remote:    req.Source(),
		sipCallID: req.CallID().Value(),
	}
	l.onEnd = func(r EndReason) {
		cancel()
		a.callEnded(c, r)
	}
	return c
}

// ID is the agent's identifier for the call: random, and safe to log.
func (c *Call) ID() string { return c.leg.id }

// SIPCallID is the Call-ID header of the call's dialog.
func (c *Call) SIPCallID() string { return c.sipCallID }

// From is the caller's URI (PHI).
func (c *Call) From() string { return c.from }

// To is the URI the caller dialled (PHI).
func (c *Call) To() string { return c.to }

// Transport is the SIP transport the call arrived on: "udp", "tcp" or "tls".
func (c *Call) Transport() string { return c.transport }

// RemoteAddr is the address the call's signalling came from; an IP address
// can identify a caller, so treat it as PHI too.
func (c *Call) RemoteAddr() string { return c.remote }

// Media is the call's RTP audio in both directions.
func (c *Call) Media() voice.Media { return c.leg.view }

// Held reports whether the caller has put the call on hold.
func (c *Call) Held() bool { return c.leg.media.held() }

// Digits delivers DTMF digits the caller signals with SIP INFO
// (application/dtmf-relay or application/dtmf). RFC 4733 digits arrive as
// RTP packets on Media instead.
func (c *Call) Digits() <-chan rune { return c.leg.digits }

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.leg.done }

// EndReason says why the call ended; empty while it is up.
func (c *Call) EndReason() EndReason { return c.leg.endReason() }

// Hangup ends the call with reason (EndHangup when empty), sends BYE and
// waits for the BYE transaction to finish. It does nothing once the call
// has ended.
func (c *Call) Hangup(reason EndReason) error {
	if reason == "" {
		reason = EndHangup
	}
	c.leg.end(reason, c.leg.confirmed.Load())
	<-c.leg.byeSent
	return nil
}

func (c *Call) ended() bool {
	select {
	case <-c.leg.done:
		return true
	default:
		return false
	}
}
