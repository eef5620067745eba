package webrtc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	pion "github.com/pion/webrtc/v4"
)

// DialOptions configures Dial.
type DialOptions struct {
	// Peer is how the peer connection gathers candidates; its
	// ConnectTimeout bounds the wait for the call to connect.
	Peer Config
	// Header is sent with the offer and with the DELETE that hangs up
	// (Authorization, Cookie).
	Header http.Header
	// Client sends the requests (default http.DefaultClient).
	Client *http.Client
}

// Dial places a call to a WHIP endpoint, as the call page does, and
// returns once it has connected. Ending the call from this side deletes
// the session. It is how line checks and tests call the receptionist over
// WebRTC.
func Dial(ctx context.Context, endpoint string, opts DialOptions) (*Call, error) {
	opts.Peer.defaults()
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	base, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("webrtc: dial: endpoint: %w", err)
	}
	api, err := newAPI(opts.Peer)
	if err != nil {
		return nil, err
	}
	c, err := newCall(api, "")
	if err != nil {
		return nil, err
	}
	abandon := func(err error) (*Call, error) {
		c.end(EndHangup)
		<-c.closed
		return nil, err
	}
	if err := c.addTrack(); err != nil {
		return abandon(fmt.Errorf("webrtc: dial: %w", err))
	}
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return abandon(fmt.Errorf("webrtc: dial: offer: %w", err))
	}
	gathered := pion.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return abandon(fmt.Errorf("webrtc: dial: offer: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return abandon(ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader([]byte(c.pc.LocalDescription().SDP)))
	if err != nil {
		return abandon(fmt.Errorf("webrtc: dial: %w", err))
	}
	for k, v := range opts.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := opts.Client.Do(req)
	if err != nil {
		return abandon(fmt.Errorf("webrtc: dial: %w", err))
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, defaultMaxOfferBytes))
	resp.Body.Close()
	if err != nil {
		return abandon(fmt.Errorf("webrtc: dial: answer: %w", err))
	}
	if resp.StatusCode != http.StatusCreated {
		return abandon(fmt.Errorf("webrtc: dial: the endpoint answered %s", resp.Status))
	}
	loc, err := base.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return abandon(errors.New("webrtc: dial: the endpoint gave no session Location"))
	}
	// Whatever ended the call on this side, the session is deleted, so
	// the appliance does not wait for its own timeouts.
	c.onEnd = func(r EndReason) {
		if r == EndRemoteHangup {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil)
		if err != nil {
			return
		}
		for k, v := range opts.Header {
			req.Header[k] = v
		}
		if resp, err := opts.Client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	if err := c.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return abandon(fmt.Errorf("webrtc: dial: answer: %w", err))
	}
	if c.media.codec, err = codecFromSDP(string(answer)); err != nil {
		return abandon(fmt.Errorf("webrtc: dial: %w", err))
	}
	c.startTimer(opts.Peer.ConnectTimeout)
	select {
	case <-c.connected:
		return c, nil
	case <-c.done:
		<-c.closed
		return nil, fmt.Errorf("webrtc: dial: not connected: %s", c.EndReason())
	case <-ctx.Done():
		return abandon(ctx.Err())
	}
}
