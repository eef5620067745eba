package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

const productName = "frontdesk"

// allowMethods is the Allow header value: what the agent accepts.
const allowMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY"

var quietOnce sync.Once

// quiet is the logger handed to sipgo. sipgo logs whole messages on parse
// errors, and SIP headers carry callers' names and numbers, so its output
// is discarded; the package-wide default is replaced too, because a few
// sipgo paths log through it directly.
var quiet = slog.New(slog.DiscardHandler)

// counters are an endpoint's statistics.
type counters struct {
	answered  atomic.Uint64
	rejected  atomic.Uint64
	cancelled atomic.Uint64
	malformed atomic.Uint64
	invalid   atomic.Uint64
	panics    atomic.Uint64
	shed      atomic.Uint64
}

// dialogKey identifies a dialog from the agent's side: Call-ID, our tag and
// the peer's tag.
type dialogKey struct{ callID, local, remote string }

// dialogPeer receives requests inside its dialog.
type dialogPeer interface {
	inDialog(req *sip.Request, tx sip.ServerTransaction)
}

// endpoint is a SIP user agent: sipgo's transport and transaction layers,
// the guard in front of them, a client for requests we send, and the
// dialogs requests are routed to. The Agent and the standalone dialer are
// both built on one.
type endpoint struct {
	name     string
	publicIP net.IP
	rtpIP    net.IP
	ports    *portPool
	guard    *guard
	stats    *counters

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client

	// onInvite handles a dialog-creating INVITE; nil refuses them.
	onInvite func(req *sip.Request, tx sip.ServerTransaction)

	inflight chan struct{}

	mu        sync.Mutex
	dialogs   map[dialogKey]dialogPeer
	listeners []io.Closer
	addrs     map[string]net.Addr // "udp", "tcp", "tls" → bound address

	ctx     context.Context
	cancel  context.CancelFunc
	serveWG sync.WaitGroup
	bg      sync.WaitGroup
	closed  atomic.Bool
}

type endpointConfig struct {
	name           string
	publicIP       net.IP
	rtpIP          net.IP
	rtpMin, rtpMax int
	maxMessage     int
	maxInflight    int
	partialTimeout time.Duration
	tlsConfig      *tls.Config
}

func newParser(maxMessage int) *sip.Parser {
	p := sip.NewParser()
	p.MaxMessageLength = maxMessage
	return p
}

func newEndpoint(cfg endpointConfig) (*endpoint, error) {
	quietOnce.Do(func() {
		sip.SetDefaultLogger(quiet)
		// sipgo refuses to send UDP messages over 1300 bytes; a 200 to an
		// INVITE that crossed many proxies is larger, and IP fragments it.
		sip.UDPMTUSize = max(sip.UDPMTUSize, 16<<10)
	})
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.name),
		sipgo.WithUserAgentHostname(cfg.publicIP.String()),
		sipgo.WithUserAgenTLSConfig(cfg.tlsConfig),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientHostname(cfg.publicIP.String()))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	parser := newParser(cfg.maxMessage)
	e := &endpoint{
		name:     cfg.name,
		publicIP: cfg.publicIP,
		rtpIP:    cfg.rtpIP,
		ports:    newPortPool(cfg.rtpMin, cfg.rtpMax),
		stats:    &counters{},
		ua:       ua,
		srv:      srv,
		cli:      cli,
		inflight: make(chan struct{}, cfg.maxInflight),
		dialogs:  make(map[dialogKey]dialogPeer),
		addrs:    make(map[string]net.Addr),
	}
	e.guard = &guard{maxMessage: cfg.maxMessage, partialTimeout: cfg.partialTimeout, parser: parser, stats: e.stats}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.ACK, sip.BYE, sip.CANCEL, sip.OPTIONS, sip.INFO,
		sip.NOTIFY, sip.REFER, sip.REGISTER, sip.SUBSCRIBE, sip.MESSAGE, sip.PRACK, sip.UPDATE, sip.PUBLISH} {
		srv.OnRequest(m, e.handle)
	}
	srv.OnNoRoute(e.handle)
	return e, nil
}

// listen binds one transport and serves it through the guard.
func (e *endpoint) listen(network, addr string, tlsConf *tls.Config, maxConns int) error {
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("sip: listen udp %s: %w", addr, err)
		}
		e.track(network, pc.LocalAddr(), pc)
		gc := newGuardedPacketConn(pc, e.guard)
		e.serveWG.Add(1)
		go func() { defer e.serveWG.Done(); _ = e.srv.ServeUDP(gc) }()
		// Requests we send over UDP leave from this socket, which sipgo
		// finds in its pool only once Serve has registered it.
		pool := e.ua.TransportLayer().Pool("udp")
		for i := 0; i < 2000; i++ {
			if c := pool.Get(pc.LocalAddr().String()); c != nil {
				_, _ = c.TryClose()
				break
			}
			time.Sleep(time.Millisecond)
		}
	case "tcp", "tls":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("sip: listen %s %s: %w", network, addr, err)
		}
		e.track(network, ln.Addr(), ln)
		var inner net.Listener = ln
		if network == "tls" {
			inner = tls.NewListener(ln, tlsConf)
		}
		gl := &guardedListener{Listener: inner, g: e.guard, max: int64(maxConns)}
		e.serveWG.Add(1)
		go func() {
			defer e.serveWG.Done()
			if network == "tls" {
				_ = e.srv.ServeTLS(gl)
			} else {
				_ = e.srv.ServeTCP(gl)
			}
		}()
	default:
		return fmt.Errorf("sip: unsupported transport %q", network)
	}
	return nil
}

func (e *endpoint) track(network string, addr net.Addr, c io.Closer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listeners = append(e.listeners, c)
	e.addrs[network] = addr
}

// addr returns the bound address of a transport, or nil.
func (e *endpoint) addr(network string) net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addrs[strings.ToLower(network)]
}

// contact is the Contact for dialogs over transport.
func (e *endpoint) contact(transport string) sip.ContactHeader {
	t := strings.ToLower(transport)
	u := sip.Uri{Scheme: "sip", User: e.name, Host: e.publicIP.String()}
	a := e.addr(t)
	if a == nil && t == "tls" {
		a = e.addr("tcp")
	}
	if a != nil {
		_, p, _ := net.SplitHostPort(a.String())
		u.Port, _ = strconv.Atoi(p)
	}
	if t == "tcp" || t == "tls" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", t)
	}
	return sip.ContactHeader{Address: u}
}

func (e *endpoint) addDialog(k dialogKey, p dialogPeer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dialogs[k] = p
}

func (e *endpoint) removeDialog(k dialogKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.dialogs, k)
}

func (e *endpoint) lookup(req *sip.Request) dialogPeer {
	k, ok := requestKey(req)
	if !ok {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dialogs[k]
}

func (e *endpoint) peers() []dialogPeer {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]dialogPeer, 0, len(e.dialogs))
	for _, p := range e.dialogs {
		out = append(out, p)
	}
	return out
}

// requestKey is the dialog key of a request received inside a dialog.
func requestKey(req *sip.Request) (dialogKey, bool) {
	if req.CallID() == nil || req.To() == nil || req.From() == nil {
		return dialogKey{}, false
	}
	local, ok1 := req.To().Params.Get("tag")
	remote, ok2 := req.From().Params.Get("tag")
	if !ok1 || !ok2 || local == "" {
		return dialogKey{}, false
	}
	return dialogKey{callID: req.CallID().Value(), local: local, remote: remote}, true
}

// handle is the entry point for every request sipgo hands up.
func (e *endpoint) handle(req *sip.Request, tx sip.ServerTransaction) {
	defer func() {
		if r := recover(); r != nil {
			e.stats.panics.Add(1)
			if !req.IsAck() {
				e.respond(tx, req, 500, "Server Internal Error")
			}
		}
	}()
	if !e.enter() {
		if !req.IsAck() {
			e.respond(tx, req, 503, "Service Unavailable")
		}
		return
	}
	defer e.bg.Done()
	select {
	case e.inflight <- struct{}{}:
		defer func() { <-e.inflight }()
	default:
		e.stats.shed.Add(1)
		if !req.IsAck() {
			e.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "5"))
		}
		return
	}
	if rej := validateRequest(req); rej != nil {
		e.stats.invalid.Add(1)
		if !req.IsAck() {
			res := e.response(req, rej.code, rej.reason, nil)
			for _, h := range rej.headers {
				res.AppendHeader(h)
			}
			res.SipVersion = "SIP/2.0"
			_ = tx.Respond(res)
		}
		return
	}
	_, hasToTag := req.To().Params.Get("tag")
	switch req.Method {
	case sip.INVITE:
		if !hasToTag {
			if e.onInvite == nil {
				e.respond(tx, req, 603, "Decline")
				return
			}
			e.onInvite(req, tx)
			return
		}
		e.routeInDialog(req, tx)
	case sip.ACK:
		if p := e.lookup(req); p != nil {
			p.inDialog(req, tx)
		}
	case sip.BYE, sip.INFO, sip.NOTIFY, sip.UPDATE, sip.PRACK:
		e.routeInDialog(req, tx)
	case sip.CANCEL:
		// A CANCEL matching a pending INVITE never gets here: the
		// transaction layer answers it.
		e.respond(tx, req, 481, "Call/Transaction Does Not Exist")
	case sip.OPTIONS:
		res := e.response(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		res.AppendHeader(sip.NewHeader("Accept-Encoding", "identity"))
		_ = tx.Respond(res)
	case sip.REFER, sip.REGISTER, sip.SUBSCRIBE, sip.MESSAGE, sip.PUBLISH:
		e.respond(tx, req, 405, "Method Not Allowed")
	default:
		e.respond(tx, req, 501, "Not Implemented")
	}
}

func (e *endpoint) routeInDialog(req *sip.Request, tx sip.ServerTransaction) {
	p := e.lookup(req)
	if p == nil {
		e.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	p.inDialog(req, tx)
}

// response builds a response carrying the agent's standard headers.
func (e *endpoint) response(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	res.AppendHeader(sip.NewHeader("Server", e.name))
	if code == 405 || (code >= 200 && code < 300 && (req.IsInvite() || req.Method == sip.OPTIONS)) {
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	}
	return res
}

func (e *endpoint) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hs ...sip.Header) {
	res := e.response(req, code, reason, nil)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// udpLaddr is the UDP listener's address, used as the source of requests
// we send over UDP so replies and in-dialog requests come back to it.
func (e *endpoint) udpLaddr() *sip.Addr {
	a, ok := e.addr("udp").(*net.UDPAddr)
	if !ok || a == nil {
		return nil
	}
	return &sip.Addr{IP: a.IP, Port: a.Port}
}

// prepare is the client option for requests the agent builds itself.
func (e *endpoint) prepare(c *sipgo.Client, r *sip.Request) error {
	if r.Via() == nil {
		if err := sipgo.ClientRequestAddVia(c, r); err != nil {
			return err
		}
	}
	if r.Body() == nil {
		r.SetBody(nil)
	}
	if r.GetHeader("User-Agent") == nil {
		r.AppendHeader(sip.NewHeader("User-Agent", e.name))
	}
	if strings.EqualFold(r.Transport(), "udp") {
		if la := e.udpLaddr(); la != nil {
			r.Laddr = *la
		}
	}
	return nil
}

// do sends a request outside sipgo's dialog helpers and waits for the
// final response.
func (e *endpoint) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := e.cli.TransactionRequest(ctx, req, e.prepare)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, errors.New("sip: transaction ended without response")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// enter registers a request handler with the endpoint's goroutines, unless
// the endpoint is closing. Every other bg.Add happens inside a registered
// goroutine or before close, so Wait never races an Add from zero.
func (e *endpoint) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return false
	}
	e.bg.Add(1)
	return true
}

// close stops listening, ends sipgo's layers and waits for every goroutine
// the endpoint started.
func (e *endpoint) close() error {
	e.mu.Lock()
	first := e.closed.CompareAndSwap(false, true)
	e.mu.Unlock()
	if !first {
		return nil
	}
	e.cancel()
	e.bg.Wait()
	e.mu.Lock()
	ls := e.listeners
	e.listeners = nil
	e.mu.Unlock()
	var errs []error
	for _, l := range ls {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := e.ua.Close(); err != nil {
		errs = append(errs, err)
	}
	e.serveWG.Wait()
	return errors.Join(errs...)
}
