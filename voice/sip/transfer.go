package sip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"frontdesk/voice"
)

var (
	// ErrTransferInProgress is returned when Transfer is called while
	// another transfer of the same call is running.
	ErrTransferInProgress = errors.New("sip: transfer already in progress")
	// ErrCallEnded is returned when the call ended before the operation.
	ErrCallEnded = errors.New("sip: call has ended")
	// ErrTransferTimeout is returned when the caller's phone accepted a
	// REFER but never reported the outcome.
	ErrTransferTimeout = errors.New("sip: transfer outcome not reported in time")
)

// TransferError reports a transfer the caller's phone attempted and the
// transfer target refused, with the target's status code.
type TransferError struct{ StatusCode int }

func (e *TransferError) Error() string {
	return fmt.Sprintf("sip: transfer target answered %d", e.StatusCode)
}

// Transfer hands the caller to target (the configured TransferURI when
// empty). It first asks the caller's phone to do a blind transfer with
// REFER (RFC 3515); when the phone accepts, it waits for the NOTIFY saying
// the target answered and hangs up (EndTransfer). When the phone refuses
// REFER (405, 501, any error) or does not answer it, the agent calls the
// target itself and relays audio between the two until either hangs up,
// as a back-to-back user agent; Media then returns ErrMediaTransferred.
//
// On success the call's handler context is cancelled; the handler should
// return. On failure the call continues with its handler.
func (c *Call) Transfer(ctx context.Context, target string) error {
	if target == "" {
		target = c.a.cfg.TransferURI
	}
	var u sip.Uri
	if err := sip.ParseUri(target, &u); err != nil || (u.Scheme != "sip" && u.Scheme != "sips") {
		return errors.New("sip: transfer target is not a SIP URI")
	}
	if !c.transferring.CompareAndSwap(false, true) {
		return ErrTransferInProgress
	}
	defer c.transferring.Store(false)
	if c.ended() {
		return ErrCallEnded
	}
	code, err := c.refer(ctx, target)
	switch {
	case err == nil && code >= 200 && code < 300:
		return c.awaitNotify(ctx)
	case code == 481:
		// The caller's phone no longer knows the call (RFC 3261 §12.2.1.2).
		c.leg.end(EndError, false)
		return ErrCallEnded
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if c.ended() {
		return ErrCallEnded
	}
	return c.bridge(ctx, target)
}

// refer sends REFER within the dialog and returns the final status code.
func (c *Call) refer(ctx context.Context, target string) (int, error) {
	// Forget progress reports left over from an earlier attempt.
	for len(c.leg.notifies) > 0 {
		<-c.leg.notifies
	}
	req := c.leg.dlg.request(sip.REFER)
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+target+">"))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.leg.dlg.contact.Address.String()+">"))
	rctx, cancel := context.WithTimeout(ctx, c.a.cfg.ReferTimeout)
	defer cancel()
	res, err := c.a.ep.do(rctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// awaitNotify follows the implicit subscription a REFER creates until the
// transfer target answers or fails.
func (c *Call) awaitNotify(ctx context.Context) error {
	c.leg.mu.Lock()
	c.leg.sticky = EndTransfer
	c.leg.mu.Unlock()
	clear := func() {
		c.leg.mu.Lock()
		c.leg.sticky = ""
		c.leg.mu.Unlock()
	}
	t := time.NewTimer(c.a.cfg.TransferTimeout)
	defer t.Stop()
	for {
		select {
		case code := <-c.leg.notifies:
			switch {
			case code < 200:
				continue
			case code < 300:
				c.cancel()
				_ = c.Hangup(EndTransfer)
				return nil
			default:
				clear()
				return &TransferError{StatusCode: code}
			}
		case <-c.leg.done:
			// The caller's phone hung up on us after taking the REFER:
			// the transfer went ahead.
			return nil
		case <-t.C:
			clear()
			return ErrTransferTimeout
		case <-ctx.Done():
			clear()
			return ctx.Err()
		}
	}
}

// bridge calls target from the agent and relays the caller's audio to it.
func (c *Call) bridge(ctx context.Context, target string) error {
	codec := c.leg.media.currentCodec()
	ev := codec.EventPayloadType
	if ev == 0 {
		ev = 101
	}
	out, err := c.a.Dial(ctx, target, DialOptions{Codecs: []string{codec.Name}, EventPayloadType: ev})
	if err != nil {
		return fmt.Errorf("sip: transfer: REFER refused and bridge failed: %w", err)
	}
	c.leg.mu.Lock()
	if c.ended() {
		c.leg.mu.Unlock()
		_ = out.Hangup()
		return ErrCallEnded
	}
	c.leg.sticky = EndTransfer
	c.leg.mu.Unlock()
	out.leg.mu.Lock()
	out.leg.sticky = EndTransfer
	out.leg.mu.Unlock()
	c.bridged.Store(true)
	c.leg.view.detach()
	c.cancel()

	ep := c.a.ep
	if !ep.enter() {
		c.leg.end(EndShutdown, true)
		out.leg.end(EndShutdown, true)
		return ErrCallEnded
	}
	ep.bg.Add(2) // inside an entered goroutine: safe against close
	// Fresh views of both legs' media: the call's own view is detached.
	caller, staff := newMediaView(c.leg.media), newMediaView(out.leg.media)
	go func() { defer ep.bg.Done(); voice.Relay(caller, staff) }()
	go func() { defer ep.bg.Done(); voice.Relay(staff, caller) }()
	go func() {
		defer ep.bg.Done()
		select {
		case <-c.leg.done:
			out.leg.end(EndTransfer, true)
		case <-out.leg.done:
			c.leg.end(EndTransfer, true)
		}
	}()
	return nil
}
