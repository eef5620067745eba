package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"frontdesk/voice"
)

// Config configures an Agent. The zero value answers calls on UDP and TCP
// port 5060 from loopback and private networks.
type Config struct {
	// UDPAddr and TCPAddr are the SIP listen addresses; the default for
	// both is "0.0.0.0:5060". "off" disables a transport.
	UDPAddr string
	TCPAddr string
	// TLSAddr is the SIP-over-TLS listen address, default "0.0.0.0:5061",
	// used only when TLSConfig is set.
	TLSAddr   string
	TLSConfig *tls.Config

	// PublicIP is the address advertised in SDP and Contact. By default it
	// is the UDP listen address when that is specific, otherwise the
	// host's first non-loopback IPv4 address.
	PublicIP string
	// RTPPortMin and RTPPortMax bound the RTP ports (default 10000-20000).
	RTPPortMin, RTPPortMax int

	// AllowedNetworks are the source networks whose calls are accepted
	// without credentials. Calls from elsewhere must authenticate with one
	// of Credentials (RFC 8760 digest, username → password) or are refused
	// with 403. With neither set, loopback and private networks are
	// allowed.
	AllowedNetworks []netip.Prefix
	Credentials     map[string]string
	// Realm is the digest realm (default "frontdesk").
	Realm string
	// NonceTTL is how long a digest nonce stays fresh (default 5 minutes).
	NonceTTL time.Duration
	// ProxyAuth challenges with 407 Proxy-Authenticate instead of 401.
	ProxyAuth bool

	// TransferURI is where Call.Transfer sends callers by default: the
	// staff extension.
	TransferURI string
	// UserAgent names the agent in User-Agent, Server and Contact
	// (default "frontdesk").
	UserAgent string
	// Codecs are the audio codecs accepted, by name (default PCMU, PCMA);
	// the caller's order of preference decides among them.
	Codecs []string

	// RingDuration, when positive, sends 180 Ringing and waits this long
	// before answering.
	RingDuration time.Duration
	// RTPTimeout ends a call when no RTP arrives for this long while it is
	// not on hold (default 30 s; negative disables).
	RTPTimeout time.Duration
	// MaxCallDuration ends calls that last this long (default 1 h;
	// negative disables).
	MaxCallDuration time.Duration
	// ReferTimeout bounds the wait for the answer to a REFER (default 4 s)
	// and TransferTimeout the wait for its outcome (default 30 s).
	ReferTimeout    time.Duration
	TransferTimeout time.Duration

	// MaxCalls limits concurrent calls, ringing ones included (default 64);
	// further INVITEs get 486 Busy Here.
	MaxCalls int
	// MaxMessageSize is the largest SIP message accepted (default 16 KiB);
	// larger ones get 513.
	MaxMessageSize int
	// MaxInflight limits requests being processed at once (default 1024);
	// beyond it requests get 503.
	MaxInflight int
	// MaxConnections limits open TCP and TLS connections (default 256).
	MaxConnections int
	// PartialMessageTimeout closes a stream connection that leaves a
	// message unfinished this long (default 10 s).
	PartialMessageTimeout time.Duration

	// Registration, when set, keeps the agent registered with the clinic's
	// PBX or trunk.
	Registration *Registration

	// OnEnd, when set, is called once for every call that ends, answered or
	// cancelled, with a summary that carries no caller identity.
	OnEnd func(Summary)
}

// Summary describes a finished call without any caller identity.
type Summary struct {
	ID        string
	Transport string
	Answered  time.Time // zero when never answered
	Ended     time.Time
	Reason    EndReason
}

// Stats are an agent's counters.
type Stats struct {
	// CallsAnswered counts calls answered; CallsActive those still up.
	CallsAnswered, CallsActive uint64
	// CallsRejected counts INVITEs refused (auth, capacity, codecs);
	// CallsCancelled those cancelled while ringing.
	CallsRejected, CallsCancelled uint64
	// Malformed counts messages the transport guard refused or dropped;
	// Invalid counts parsed requests refused by validation.
	Malformed, Invalid uint64
	// Shed counts requests refused because too many were in flight.
	Shed uint64
	// Panics counts handler panics recovered.
	Panics uint64
}

// Handler runs calls the agent has answered.
type Handler interface {
	// HandleCall runs one call. ctx is cancelled when the call ends (the
	// caller hangs up, a timeout fires, the agent closes) or is handed to
	// staff; HandleCall must then return. When it returns with the call
	// still up, the agent hangs up.
	HandleCall(ctx context.Context, c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Call)

// HandleCall calls f.
func (f HandlerFunc) HandleCall(ctx context.Context, c *Call) { f(ctx, c) }

// Agent is the clinic's SIP user agent: it answers calls, hands them to a
// Handler as signalling plus RTP, and transfers them to staff.
type Agent struct {
	cfg     Config
	ep      *endpoint
	handler Handler
	acl     allowList
	auth    *digestAuth
	codecs  []string
	legCfg  legConfig

	calls  atomic.Int64
	active sync.Map // id → *Call

	reg *registrar
}

// New starts an agent: it binds the configured transports and serves until
// Close.
func New(cfg Config, h Handler) (*Agent, error) {
	if h == nil {
		return nil, errors.New("sip: nil handler")
	}
	cfg = withDefaults(cfg)
	listenIP := hostIP(cfg.UDPAddr)
	if listenIP == nil {
		listenIP = hostIP(cfg.TCPAddr)
	}
	public := net.ParseIP(cfg.PublicIP)
	if cfg.PublicIP != "" && public == nil {
		return nil, fmt.Errorf("sip: public IP %q is not an IP address", cfg.PublicIP)
	}
	if public == nil {
		public = defaultPublicIP(listenIP)
	}
	rtpIP := net.IPv4zero
	if listenIP != nil && !listenIP.IsUnspecified() {
		rtpIP = listenIP
	}
	ep, err := newEndpoint(endpointConfig{
		name:           cfg.UserAgent,
		publicIP:       public,
		rtpIP:          rtpIP,
		rtpMin:         cfg.RTPPortMin,
		rtpMax:         cfg.RTPPortMax,
		maxMessage:     cfg.MaxMessageSize,
		maxInflight:    cfg.MaxInflight,
		partialTimeout: cfg.PartialMessageTimeout,
		tlsConfig:      cfg.TLSConfig,
	})
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:     cfg,
		ep:      ep,
		handler: h,
		codecs:  cfg.Codecs,
		legCfg:  legConfig{rtpTimeout: positive(cfg.RTPTimeout), maxDuration: positive(cfg.MaxCallDuration), codecs: cfg.Codecs},
	}
	switch {
	case len(cfg.AllowedNetworks) > 0:
		a.acl = cfg.AllowedNetworks
	case len(cfg.Credentials) == 0:
		a.acl = defaultNetworks
	}
	if len(cfg.Credentials) > 0 {
		a.auth = newDigestAuth(cfg.Realm, cfg.Credentials, cfg.NonceTTL, cfg.ProxyAuth)
	}
	ep.onInvite = a.onInvite
	for _, l := range []struct{ network, addr string }{{"udp", cfg.UDPAddr}, {"tcp", cfg.TCPAddr}} {
		if l.addr == "off" {
			continue
		}
		if err := ep.listen(l.network, l.addr, nil, cfg.MaxConnections); err != nil {
			_ = ep.close()
			return nil, err
		}
	}
	if cfg.TLSConfig != nil && cfg.TLSAddr != "off" {
		if err := ep.listen("tls", cfg.TLSAddr, cfg.TLSConfig, cfg.MaxConnections); err != nil {
			_ = ep.close()
			return nil, err
		}
	}
	if cfg.Registration != nil {
		a.reg = newRegistrar(ep, *cfg.Registration)
		a.reg.start()
	}
	return a, nil
}

func withDefaults(c Config) Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.UDPAddr, "0.0.0.0:5060")
	def(&c.TCPAddr, "0.0.0.0:5060")
	def(&c.TLSAddr, "0.0.0.0:5061")
	def(&c.Realm, productName)
	def(&c.UserAgent, productName)
	defd := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defd(&c.NonceTTL, 5*time.Minute)
	defd(&c.RTPTimeout, 30*time.Second)
	defd(&c.MaxCallDuration, time.Hour)
	defd(&c.ReferTimeout, 4*time.Second)
	defd(&c.TransferTimeout, 30*time.Second)
	defd(&c.PartialMessageTimeout, 10*time.Second)
	defi := func(i *int, v int) {
		if *i <= 0 {
			*i = v
		}
	}
	defi(&c.RTPPortMin, 10000)
	defi(&c.RTPPortMax, 20000)
	defi(&c.MaxCalls, 64)
	defi(&c.MaxMessageSize, 16<<10)
	defi(&c.MaxInflight, 1024)
	defi(&c.MaxConnections, 256)
	if c.RTPPortMax < c.RTPPortMin+2 {
		c.RTPPortMax = c.RTPPortMin + 2
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []string{"PCMU", "PCMA"}
	}
	return c
}

func positive(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

func hostIP(addr string) net.IP {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	return net.ParseIP(h)
}

// defaultPublicIP picks the address to advertise when none is configured.
func defaultPublicIP(listen net.IP) net.IP {
	if listen != nil && !listen.IsUnspecified() {
		return listen
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.To4()
			}
		}
	}
	return net.IPv4(127, 0, 0, 1)
}

// Addr returns the bound address of a transport ("udp", "tcp" or "tls"),
// or nil when it is not listening.
func (a *Agent) Addr(transport string) net.Addr { return a.ep.addr(transport) }

// Stats returns the agent's counters.
func (a *Agent) Stats() Stats {
	s := a.ep.stats
	return Stats{
		CallsAnswered:  s.answered.Load(),
		CallsActive:    uint64(a.calls.Load()),
		CallsRejected:  s.rejected.Load(),
		CallsCancelled: s.cancelled.Load(),
		Malformed:      s.malformed.Load(),
		Invalid:        s.invalid.Load(),
		Shed:           s.shed.Load(),
		Panics:         s.panics.Load(),
	}
}

// Close hangs up every call (BYE to answered ones), unregisters, waits for
// handlers to return and stops listening.
func (a *Agent) Close() error {
	if a.ep.closed.Load() {
		return nil
	}
	if a.reg != nil {
		a.reg.stop()
	}
	// Calls and the legs the agent placed (transfer bridges) are ended
	// while the endpoint still sends: each confirmed one gets its BYE.
	a.active.Range(func(_, v any) bool {
		c := v.(*Call)
		c.leg.end(EndShutdown, c.leg.confirmed.Load())
		return true
	})
	for _, p := range a.ep.peers() {
		if l, ok := p.(*leg); ok {
			l.end(EndShutdown, l.confirmed.Load())
		}
	}
	return a.ep.close()
}

// admit applies the network allow-list and digest authentication. It
// answers the request itself and returns false when the call may not
// proceed.
func (a *Agent) admit(req *sip.Request, tx sip.ServerTransaction) bool {
	if a.acl.allows(req.Source()) {
		return true
	}
	if a.auth == nil {
		a.ep.respond(tx, req, 403, "Forbidden")
		return false
	}
	switch a.auth.verify(req) {
	case authOK:
		return true
	case authFailed:
		a.ep.respond(tx, req, 403, "Forbidden")
		return false
	case authStale:
		code, reason := a.auth.statusCode()
		a.ep.respond(tx, req, code, reason, a.auth.challenge(true))
		return false
	default:
		code, reason := a.auth.statusCode()
		a.ep.respond(tx, req, code, reason, a.auth.challenge(false))
		return false
	}
}

// reserve takes a call slot.
func (a *Agent) reserve() bool {
	if a.calls.Add(1) > int64(a.cfg.MaxCalls) {
		a.calls.Add(-1)
		return false
	}
	return true
}

// onInvite answers a dialog-creating INVITE.
func (a *Agent) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	e := a.ep
	// 100 Trying at once stops retransmissions while we decide.
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))
	reject := func(code int, reason string, hs ...sip.Header) {
		e.stats.rejected.Add(1)
		e.respond(tx, req, code, reason, hs...)
	}
	if !a.admit(req, tx) {
		e.stats.rejected.Add(1)
		return
	}
	if req.Contact() == nil {
		reject(400, "Missing Contact")
		return
	}
	var offer *sdpSession
	var neg negotiation
	if body := sdpBody(req.ContentType(), req.Body()); len(body) > 0 {
		var err error
		if offer, err = parseSDP(body); err != nil {
			reject(400, "Malformed SDP")
			return
		}
		if neg, err = negotiate(offer, a.codecs); err != nil {
			if errors.Is(err, errMalformedSDP) {
				reject(400, "Malformed SDP")
				return
			}
			reject(488, "Not Acceptable Here", sip.NewHeader("Warning", `305 `+e.name+` "Incompatible media format"`))
			return
		}
	}
	if !a.reserve() {
		reject(486, "Busy Here")
		return
	}
	conn, err := e.ports.listen(e.rtpIP)
	if err != nil {
		a.calls.Add(-1)
		reject(503, "Service Unavailable", sip.NewHeader("Retry-After", "10"))
		return
	}
	signalIP := sourceIP(req.Source())
	l := newLeg(e, a.legCfg, newRTPSession(conn), signalIP)
	l.dlg = newUASDialog(req, sip.GenerateTagN(16), e.contact(req.Transport()))
	c := newCall(a, l, req)
	var body []byte
	if offer != nil {
		l.media.configure(neg, signalIP)
		body = l.sdp.answer(offer, neg)
	} else {
		// Late offer (RFC 3261 §13.2.1): we offer in the 200, the ACK answers.
		body = l.sdp.offer(codecList(a.codecs), 101, dirSendRecv)
	}
	a.active.Store(l.id, c)
	e.addDialog(l.dlg.key, l)

	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	tx.OnCancel(func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) })
	if a.cfg.RingDuration > 0 {
		_ = tx.Respond(l.dialogResponse(req, 180, "Ringing", nil))
		t := time.NewTimer(a.cfg.RingDuration)
		select {
		case <-t.C:
		case <-cancelled:
		case <-l.done:
		case <-e.ctx.Done():
		}
		t.Stop()
	}
	select {
	case <-cancelled:
		e.stats.cancelled.Add(1)
		l.end(EndCancelled, false)
		return
	default:
	}
	if e.ctx.Err() != nil {
		e.respond(tx, req, 503, "Service Unavailable")
		l.end(EndShutdown, false)
		return
	}
	c.answered.Store(time.Now().UnixNano())
	res := l.dialogResponse(req, 200, "OK", body)
	if !l.answer(tx, res, req.CSeq().SeqNo) {
		select {
		case <-cancelled:
			e.stats.cancelled.Add(1)
			l.end(EndCancelled, false)
		case <-e.ctx.Done():
			l.end(EndShutdown, false)
		default:
			// No ACK: the dialog is confirmed but must be ended (RFC 3261
			// §13.3.1.4).
			l.end(EndError, true)
		}
		return
	}
	select {
	case <-l.done:
		// BYE crossed the ACK.
		return
	default:
	}
	if l.media.currentCodec().Name == "" {
		// Late offer whose ACK carried no usable answer.
		l.end(EndError, true)
		return
	}
	l.confirmed.Store(true)
	e.stats.answered.Add(1)
	l.startWatch()
	if e.enter() {
		go a.run(c)
	}
}

func codecList(names []string) []voice.Codec {
	var out []voice.Codec
	for _, n := range names {
		if c, ok := codecByName(n); ok {
			out = append(out, c)
		}
	}
	return out
}

// run executes the handler for an answered call.
func (a *Agent) run(c *Call) {
	defer a.ep.bg.Done()
	defer func() {
		if r := recover(); r != nil {
			a.ep.stats.panics.Add(1)
			c.leg.end(EndError, true)
		}
	}()
	a.handler.HandleCall(c.ctx, c)
	if !c.bridged.Load() {
		c.leg.end(EndHangup, true)
	}
}

func (a *Agent) callEnded(c *Call, reason EndReason) {
	a.active.Delete(c.leg.id)
	a.calls.Add(-1)
	if a.cfg.OnEnd != nil {
		var answered time.Time
		if ns := c.answered.Load(); ns != 0 {
			answered = time.Unix(0, ns)
		}
		a.cfg.OnEnd(Summary{ID: c.leg.id, Transport: strings.ToUpper(c.transport), Answered: answered, Ended: time.Now(), Reason: reason})
	}
}
