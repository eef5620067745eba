package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"frontdesk/voice"
)

// DialOptions configures an outbound call.
type DialOptions struct {
	// Transport is "udp" (default), "tcp" or "tls"; a transport parameter
	// in the URI or a sips: URI overrides the default.
	Transport string
	// LocalAddr is the SIP address a standalone dialer binds (default: the
	// public IP with an ephemeral port). Ignored by Agent.Dial.
	LocalAddr string
	// PublicIP is the address a standalone dialer advertises (default: the
	// local address that routes to the target). Ignored by Agent.Dial.
	PublicIP string
	// From is the caller URI; default sip:frontdesk@<public IP>.
	From string
	// Username and Password answer a 401 or 407 digest challenge.
	Username, Password string
	// Codecs are offered in this order (default PCMU, PCMA).
	Codecs []string
	// EventPayloadType is the payload type offered for RFC 4733
	// telephone-event (default 101).
	EventPayloadType uint8
	// RTPPortMin and RTPPortMax bound a standalone dialer's RTP port
	// (default 10000-20000).
	RTPPortMin, RTPPortMax int
	// RTPTimeout and MaxDuration end the call like the agent's settings;
	// zero disables them for a standalone dialer and inherits the agent's
	// for Agent.Dial.
	RTPTimeout, MaxDuration time.Duration
	// TLSConfig is used for the tls transport.
	TLSConfig *tls.Config
	// UserAgent names the dialer (default "frontdesk").
	UserAgent string
}

// RejectedError reports an INVITE answered with a final error response.
type RejectedError struct {
	StatusCode int
	Reason     string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("sip: call rejected: %d %s", e.StatusCode, e.Reason)
}

// OutboundCall is a call placed with Dial.
type OutboundCall struct {
	leg  *leg
	sess *sipgo.DialogClientSession

	own       *endpoint // the dialer's own user agent, closed with the call
	closeOnce sync.Once
	closed    chan struct{}
	transport string
}

// ID identifies the call; safe to log.
func (o *OutboundCall) ID() string { return o.leg.id }

// SIPCallID is the Call-ID header of the call's dialog.
func (o *OutboundCall) SIPCallID() string { return o.leg.dlg.key.callID }

// Transport is the SIP transport used: "udp", "tcp" or "tls".
func (o *OutboundCall) Transport() string { return o.transport }

// Media is the call's RTP audio in both directions.
func (o *OutboundCall) Media() voice.Media { return o.leg.view }

// Held reports whether the far end has put the call on hold.
func (o *OutboundCall) Held() bool { return o.leg.media.held() }

// Digits delivers DTMF digits the far end sends with SIP INFO.
func (o *OutboundCall) Digits() <-chan rune { return o.leg.digits }

// Done is closed when the call has ended.
func (o *OutboundCall) Done() <-chan struct{} { return o.leg.done }

// EndReason says why the call ended; empty while it is up. A BYE from the
// far end is EndByeFromCaller.
func (o *OutboundCall) EndReason() EndReason { return o.leg.endReason() }

// Hangup sends BYE (unless the call already ended), waits for it to finish
// and releases the dialer's sockets. Call it even after the far end hung
// up.
func (o *OutboundCall) Hangup() error {
	o.leg.end(EndHangup, true)
	<-o.leg.byeSent
	if o.own != nil {
		o.closeOwn()
		<-o.closed
	}
	return nil
}

func (o *OutboundCall) closeOwn() {
	o.closeOnce.Do(func() {
		go func() {
			<-o.leg.byeSent
			_ = o.own.close()
			close(o.closed)
		}()
	})
}

// Dial places a call to uri from a user agent of its own (the `frontdesk
// call` command and tests use it): INVITE with a PCMU/PCMA and
// telephone-event offer, answering a digest challenge with the options'
// credentials. Cancelling ctx before the answer sends CANCEL.
func Dial(ctx context.Context, uri string, opts DialOptions) (*OutboundCall, error) {
	u, transport, err := parseTarget(uri, opts.Transport)
	if err != nil {
		return nil, err
	}
	public := net.ParseIP(opts.PublicIP)
	if public == nil {
		public = routeIP(u.Host)
	}
	local := opts.LocalAddr
	if local == "" {
		local = net.JoinHostPort(public.String(), "0")
	}
	if opts.UserAgent == "" {
		opts.UserAgent = productName
	}
	if opts.RTPPortMin <= 0 {
		opts.RTPPortMin, opts.RTPPortMax = 10000, 20000
	}
	ep, err := newEndpoint(endpointConfig{
		name:           opts.UserAgent,
		publicIP:       public,
		rtpIP:          public,
		rtpMin:         opts.RTPPortMin,
		rtpMax:         max(opts.RTPPortMax, opts.RTPPortMin+2),
		maxMessage:     16 << 10,
		maxInflight:    64,
		partialTimeout: 10 * time.Second,
		tlsConfig:      opts.TLSConfig,
	})
	if err != nil {
		return nil, err
	}
	listenNet := transport
	if listenNet == "tls" {
		// Replies to a TLS call come back on its connection; listen on TCP
		// only so that the Contact has a port.
		listenNet = "tcp"
	}
	if err := ep.listen(listenNet, local, nil, 16); err != nil {
		_ = ep.close()
		return nil, err
	}
	cfg := legConfig{rtpTimeout: opts.RTPTimeout, maxDuration: opts.MaxDuration, codecs: opts.Codecs}
	o, err := place(ctx, ep, u, transport, opts, cfg, true)
	if err != nil {
		_ = ep.close()
		return nil, err
	}
	return o, nil
}

// Dial places a call to uri from the agent, as the transfer bridge does.
func (a *Agent) Dial(ctx context.Context, uri string, opts DialOptions) (*OutboundCall, error) {
	u, transport, err := parseTarget(uri, opts.Transport)
	if err != nil {
		return nil, err
	}
	if a.ep.addr(transport) == nil {
		return nil, fmt.Errorf("sip: agent does not listen on %s", transport)
	}
	cfg := a.legCfg
	if opts.RTPTimeout > 0 {
		cfg.rtpTimeout = opts.RTPTimeout
	}
	if opts.MaxDuration > 0 {
		cfg.maxDuration = opts.MaxDuration
	}
	if len(opts.Codecs) > 0 {
		cfg.codecs = opts.Codecs
	}
	return place(ctx, a.ep, u, transport, opts, cfg, false)
}

func parseTarget(uri, transport string) (sip.Uri, string, error) {
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil || (u.Scheme != "sip" && u.Scheme != "sips") || u.Host == "" {
		return u, "", errors.New("sip: dial target is not a SIP URI")
	}
	t := strings.ToLower(transport)
	if p, ok := u.UriParams.Get("transport"); ok {
		t = strings.ToLower(p)
	}
	if u.Scheme == "sips" {
		t = "tls"
	}
	if t == "" {
		t = "udp"
	}
	if t != "udp" && t != "tcp" && t != "tls" {
		return u, "", fmt.Errorf("sip: unsupported transport %q", t)
	}
	return u, t, nil
}

// routeIP returns the local address the kernel would use to reach host;
// connecting a UDP socket sends nothing.
func routeIP(host string) net.IP {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return defaultPublicIP(nil)
	}
	if ip.IsLoopback() {
		return ip
	}
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: ip, Port: 9})
	if err != nil {
		return defaultPublicIP(nil)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP
}

// place sends the INVITE and sets up the leg once it is answered.
// With own set, the call owns ep and closes it when it ends.
func place(ctx context.Context, ep *endpoint, u sip.Uri, transport string, opts DialOptions, cfg legConfig, own bool) (*OutboundCall, error) {
	if len(cfg.codecs) == 0 {
		cfg.codecs = []string{"PCMU", "PCMA"}
	}
	codecs := codecList(cfg.codecs)
	if len(codecs) == 0 {
		return nil, errors.New("sip: no supported codec to offer")
	}
	ev := opts.EventPayloadType
	if ev == 0 {
		ev = 101
	}
	conn, err := ep.ports.listen(ep.rtpIP)
	if err != nil {
		return nil, err
	}
	l := newLeg(ep, cfg, newRTPSession(conn), nil)
	fail := func(err error) (*OutboundCall, error) {
		_ = l.media.close()
		return nil, err
	}

	req := sip.NewRequest(sip.INVITE, u)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: ep.name, Host: ep.publicIP.String()}, Params: sip.NewParams()}
	if opts.From != "" {
		if err := sip.ParseUri(opts.From, &from.Address); err != nil {
			return fail(errors.New("sip: From is not a SIP URI"))
		}
	}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}}
	contact := ep.contact(transport)
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&contact)
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("User-Agent", ep.name))
	req.SetBody(l.sdp.offer(codecs, ev, dirSendRecv))
	req.SetTransport(strings.ToUpper(transport))
	if transport == "udp" {
		if la := ep.udpLaddr(); la != nil {
			req.Laddr = *la
		}
	}

	dua := &sipgo.DialogUA{Client: ep.cli, ContactHDR: contact}
	sess, err := dua.WriteInvite(ctx, req)
	if err != nil {
		return fail(fmt.Errorf("sip: invite: %w", err))
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: opts.Username, Password: opts.Password}); err != nil {
		var rej *sipgo.ErrDialogResponse
		if errors.As(err, &rej) {
			return fail(&RejectedError{StatusCode: rej.Res.StatusCode, Reason: rej.Res.Reason})
		}
		return fail(fmt.Errorf("sip: invite: %w", err))
	}
	res := sess.InviteResponse
	l.dlg = newUACDialog(sess.InviteRequest, res, contact)
	l.signalIP = sourceIP(res.Source())
	if err := sess.Ack(ctx); err != nil {
		return fail(fmt.Errorf("sip: ack: %w", err))
	}
	l.confirmed.Store(true)
	o := &OutboundCall{leg: l, sess: sess, closed: make(chan struct{}), transport: transport}
	if own {
		o.own = ep
		l.onEnd = func(EndReason) { o.closeOwn() }
	}
	answer, err := parseSDP(sdpBody(res.ContentType(), res.Body()))
	var n negotiation
	if err == nil {
		n, err = negotiate(answer, cfg.codecs)
	}
	if err != nil {
		l.onEnd = nil
		l.end(EndError, true)
		<-l.byeSent
		return nil, fmt.Errorf("sip: answer: %w", err)
	}
	l.media.configure(n, l.signalIP)
	ep.addDialog(l.dlg.key, l)
	l.startWatch()
	return o, nil
}
