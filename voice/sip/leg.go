package sip

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"frontdesk/voice"
)

// EndReason says why a call ended.
type EndReason string

// Reasons a call ends.
const (
	// EndByeFromCaller means the peer sent BYE.
	EndByeFromCaller EndReason = "bye-from-caller"
	// EndHangup means the call's owner hung up.
	EndHangup EndReason = "hangup"
	// EndRTPTimeout means no RTP arrived for the configured time.
	EndRTPTimeout EndReason = "rtp-timeout"
	// EndMaxDuration means the call reached the maximum duration.
	EndMaxDuration EndReason = "max-duration"
	// EndTransfer means the call was handed to staff, by REFER or by bridging.
	EndTransfer EndReason = "transfer"
	// EndCancelled means the caller gave up before the call was answered.
	EndCancelled EndReason = "cancelled"
	// EndError means signalling failed, for example no ACK to the answer.
	EndError EndReason = "error"
	// EndShutdown means the agent was closed during the call.
	EndShutdown EndReason = "shutdown"
)

// byeTimeout bounds how long a BYE may take before the agent gives up.
const byeTimeout = 8 * time.Second

func newID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// legConfig is what a leg needs to know about timeouts.
type legConfig struct {
	rtpTimeout  time.Duration
	maxDuration time.Duration
	codecs      []string
}

// leg is one call leg: a dialog, its RTP session and its lifetime. Calls
// answered by the agent and calls it places are both legs.
type leg struct {
	ep    *endpoint
	id    string
	cfg   legConfig
	dlg   *dialog
	media *rtpSession
	view  *mediaView
	sdp   localSDP

	signalIP net.IP

	ctx     context.Context // cancelled when the leg ends
	cancel  context.CancelFunc
	done    chan struct{}
	byeSent chan struct{}

	endOnce sync.Once
	mu      sync.Mutex
	reason  EndReason
	ended   time.Time
	sticky  EndReason // when set, overrides the reason the leg ends with

	confirmed atomic.Bool
	acks      chan uint32
	notifies  chan int
	digits    chan rune

	inviteMu sync.Mutex // one re-INVITE at a time
	onEnd    func(EndReason)
}

func newLeg(ep *endpoint, cfg legConfig, media *rtpSession, signalIP net.IP) *leg {
	l := &leg{
		ep:       ep,
		id:       newID(),
		cfg:      cfg,
		media:    media,
		view:     newMediaView(media),
		signalIP: signalIP,
		done:     make(chan struct{}),
		byeSent:  make(chan struct{}),
		acks:     make(chan uint32, 4),
		notifies: make(chan int, 8),
		digits:   make(chan rune, 32),
		sdp: localSDP{
			ip:      ep.publicIP,
			port:    media.port(),
			session: uint64(rand.Int64N(1 << 40)),
		},
	}
	l.sdp.version = l.sdp.session
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// end finishes the leg once: records the reason, stops media, forgets the
// dialog and, when bye is set, sends BYE in the background.
func (l *leg) end(reason EndReason, bye bool) {
	l.endOnce.Do(func() {
		l.mu.Lock()
		if l.sticky != "" {
			reason = l.sticky
		}
		l.reason = reason
		l.ended = time.Now()
		l.mu.Unlock()
		l.cancel()
		if l.dlg != nil {
			l.ep.removeDialog(l.dlg.key)
		}
		_ = l.media.close()
		if bye && l.dlg != nil && l.ep.enter() {
			go func() {
				defer l.ep.bg.Done()
				defer close(l.byeSent)
				ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
				defer cancel()
				_, _ = l.ep.do(ctx, l.dlg.request(sip.BYE))
			}()
		} else {
			close(l.byeSent)
		}
		close(l.done)
		if l.onEnd != nil {
			l.onEnd(reason)
		}
	})
}

func (l *leg) endReason() EndReason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// watch ends the leg on RTP inactivity or at the maximum duration.
func (l *leg) watch() {
	defer l.ep.bg.Done()
	interval := time.Second
	if t := l.cfg.rtpTimeout / 4; t > 0 && t < interval {
		interval = t
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var limit <-chan time.Time
	if l.cfg.maxDuration > 0 {
		t := time.NewTimer(l.cfg.maxDuration)
		defer t.Stop()
		limit = t.C
	}
	for {
		select {
		case <-l.done:
			return
		case <-l.ep.ctx.Done():
			l.end(EndShutdown, l.confirmed.Load())
			return
		case <-limit:
			l.end(EndMaxDuration, true)
			return
		case now := <-tick.C:
			if l.cfg.rtpTimeout > 0 && !l.media.held() && l.media.idleFor(now) > l.cfg.rtpTimeout {
				l.end(EndRTPTimeout, true)
				return
			}
		}
	}
}

// startWatch starts the watchdog for a confirmed leg.
func (l *leg) startWatch() {
	if !l.ep.enter() {
		l.end(EndShutdown, false)
		return
	}
	go l.watch()
}

// inDialog handles a request the peer sends within the leg's dialog.
func (l *leg) inDialog(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() {
		l.onAck(req)
		return
	}
	if !l.dlg.acceptSeq(req.CSeq().SeqNo) {
		l.ep.respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	switch req.Method {
	case sip.BYE:
		// End first: once the peer has its 200, nothing may still think
		// the call is up (an agent closing then would send a BYE).
		l.end(EndByeFromCaller, false)
		l.ep.respond(tx, req, 200, "OK")
	case sip.INVITE:
		l.onReinvite(req, tx)
	case sip.INFO:
		l.onInfo(req, tx)
	case sip.NOTIFY:
		l.onNotify(req, tx)
	default:
		l.ep.respond(tx, req, 405, "Method Not Allowed")
	}
}

func (l *leg) onAck(req *sip.Request) {
	if len(req.Body()) > 0 {
		// Answer to an offer we made in a 200 (late offer).
		if s, err := parseSDP(sdpBody(req.ContentType(), req.Body())); err == nil {
			if n, err := negotiate(s, l.cfg.codecs); err == nil {
				l.media.configure(n, l.signalIP)
			}
		}
	}
	select {
	case l.acks <- req.CSeq().SeqNo:
	default:
	}
}

// answer sends a 2xx to an INVITE and retransmits it until the ACK comes
// (RFC 3261 §13.3.1.4). It reports whether the ACK arrived.
func (l *leg) answer(tx sip.ServerTransaction, res *sip.Response, seq uint32) bool {
	if err := tx.Respond(res); err != nil {
		return false
	}
	interval := sip.T1
	timer := time.NewTimer(interval)
	defer timer.Stop()
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for {
		select {
		case n := <-l.acks:
			if n == seq {
				return true
			}
		case <-tx.Acks():
			return true
		case <-timer.C:
			if err := tx.Respond(res); err != nil {
				// The transaction ended (Timer L) before any ACK.
				return false
			}
			interval = min(2*interval, sip.T2)
			timer.Reset(interval)
		case <-giveUp.C:
			return false
		case <-l.done:
			return false
		case <-l.ep.ctx.Done():
			return false
		}
	}
}

// dialogResponse builds a response within the dialog (our To tag).
func (l *leg) dialogResponse(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := l.ep.response(req, code, reason, body)
	if l.dlg != nil {
		if to := res.To(); to != nil {
			to.Params.Add("tag", l.dlg.key.local)
		}
		if code > 100 && code < 300 {
			c := l.dlg.contact
			res.AppendHeader(&c)
		}
	}
	if body != nil {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
	}
	return res
}

// onReinvite handles hold, resume and media changes (RFC 3264 §8).
func (l *leg) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	if !l.inviteMu.TryLock() {
		// RFC 3261 §14.2: an INVITE overlapping one still being answered.
		l.ep.respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	res, ok := l.reoffer(req, tx)
	l.inviteMu.Unlock()
	if ok {
		l.answer(tx, res, req.CSeq().SeqNo)
	}
}

// reoffer answers the offer in a re-INVITE (or makes one when it has
// none). It returns the 200 to send, or false when it has responded itself.
func (l *leg) reoffer(req *sip.Request, tx sip.ServerTransaction) (*sip.Response, bool) {
	body := sdpBody(req.ContentType(), req.Body())
	var answer []byte
	if len(body) == 0 {
		// Offer-less re-INVITE: offer our current media; the ACK answers.
		l.sdp.version++
		answer = l.sdp.offer([]voice.Codec{l.media.currentCodec()}, l.media.currentCodec().EventPayloadType, dirSendRecv)
	} else {
		offer, err := parseSDP(body)
		if err != nil {
			l.ep.respond(tx, req, 400, "Malformed SDP")
			return nil, false
		}
		n, err := negotiate(offer, l.cfg.codecs)
		if err != nil {
			l.ep.respond(tx, req, 488, "Not Acceptable Here",
				sip.NewHeader("Warning", `305 `+l.ep.name+` "Incompatible media format"`))
			return nil, false
		}
		l.media.configure(n, l.signalIP)
		l.sdp.version++
		answer = l.sdp.answer(offer, n)
	}
	l.dlg.refreshTarget(req)
	return l.dialogResponse(req, 200, "OK", answer), true
}

// onInfo maps SIP INFO DTMF (application/dtmf-relay, application/dtmf) to
// digits.
func (l *leg) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if d, ok := infoDigit(req); ok {
		select {
		case l.digits <- d:
		default:
		}
	}
	l.ep.respond(tx, req, 200, "OK")
}

func infoDigit(req *sip.Request) (rune, bool) {
	ct := req.ContentType()
	if ct == nil {
		return 0, false
	}
	body := strings.TrimSpace(string(req.Body()))
	var sig string
	switch strings.ToLower(strings.TrimSpace(strings.Split(ct.Value(), ";")[0])) {
	case "application/dtmf-relay":
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				sig = strings.TrimSpace(v)
			}
		}
	case "application/dtmf":
		sig = body
	}
	if len(sig) != 1 {
		if n, err := strconv.Atoi(sig); err == nil && n >= 10 && n <= 11 {
			return rune("*#"[n-10]), true
		}
		return 0, false
	}
	c := rune(strings.ToUpper(sig)[0])
	if (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') {
		return c, true
	}
	return 0, false
}

// onNotify receives the progress of a transfer we asked for with REFER
// (RFC 3515 §2.4.5): the status code of the message/sipfrag body.
func (l *leg) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	ev := headerOf(req, "Event", "o")
	if ev == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
		l.ep.respond(tx, req, 489, "Bad Event")
		return
	}
	l.ep.respond(tx, req, 200, "OK")
	code := sipfragStatus(req.Body())
	if code == 0 {
		return
	}
	select {
	case l.notifies <- code:
	default:
	}
}

// sipfragStatus returns the status code of a message/sipfrag status line.
func sipfragStatus(body []byte) int {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0
	}
	return code
}
