package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// testHandler hands each call to run (or holds it until it ends) and
// publishes it on calls.
type testHandler struct {
	calls chan *Call
	run   func(ctx context.Context, c *Call)
}

func newTestHandler(run func(ctx context.Context, c *Call)) *testHandler {
	return &testHandler{calls: make(chan *Call, 16), run: run}
}

func (h *testHandler) HandleCall(ctx context.Context, c *Call) {
	select {
	case h.calls <- c:
	default:
	}
	if h.run != nil {
		h.run(ctx, c)
		return
	}
	<-ctx.Done()
}

// toneAndListen is a handler body: it plays a second of tone and tallies
// what the caller sends until the call ends.
func toneAndListen(tally *mediaTally) func(ctx context.Context, c *Call) {
	return func(ctx context.Context, c *Call) {
		go tally.drain(c.Media())
		_ = sendTone(ctx, c.Media(), 50)
		<-ctx.Done()
	}
}

func TestInboundCallBothWays(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			agentSide := &mediaTally{}
			h := newTestHandler(toneAndListen(agentSide))
			ends := make(chan Summary, 1)
			cfg := testConfig()
			cfg.OnEnd = func(s Summary) { ends <- s }
			a := startAgent(t, cfg, h)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			o, err := Dial(ctx, agentURI(a, tr), DialOptions{Transport: tr})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c := recv(t, "call", h.calls, 5*time.Second)
			if c.Transport() != tr {
				t.Errorf("Transport = %q, want %q", c.Transport(), tr)
			}
			if !strings.HasPrefix(c.From(), "sip:frontdesk@127.0.0.1") || !strings.HasPrefix(c.To(), "sip:reception@") {
				t.Errorf("From/To not taken from the INVITE")
			}
			if got := c.Media().Codec(); got.Name != "PCMU" || got.PayloadType != 0 || got.EventPayloadType != 101 {
				t.Errorf("agent codec = %+v, want PCMU/0 with telephone-event 101", got)
			}
			if o.Media().Codec() != c.Media().Codec() {
				t.Errorf("caller codec %+v differs from agent's %+v", o.Media().Codec(), c.Media().Codec())
			}
			callerSide := &mediaTally{}
			go callerSide.drain(o.Media())
			go func() { _ = sendTone(ctx, o.Media(), 50) }()
			waitFor(t, "audio both ways", 5*time.Second, func() bool {
				a1, _, r1 := agentSide.snapshot()
				a2, _, r2 := callerSide.snapshot()
				return a1 >= 25 && a2 >= 25 && r1 > 1000 && r2 > 1000
			})
			if err := o.Hangup(); err != nil {
				t.Fatalf("Hangup: %v", err)
			}
			recv(t, "call end", c.Done(), 5*time.Second)
			if c.EndReason() != EndByeFromCaller {
				t.Errorf("EndReason = %q, want %q", c.EndReason(), EndByeFromCaller)
			}
			s := recv(t, "summary", ends, 5*time.Second)
			if s.ID != c.ID() || s.Reason != EndByeFromCaller || s.Answered.IsZero() || s.Transport != strings.ToUpper(tr) {
				t.Errorf("summary = %+v", s)
			}
			if _, err := c.Media().ReadRTP(); !errors.Is(err, ErrMediaClosed) {
				t.Errorf("ReadRTP after end = %v, want ErrMediaClosed", err)
			}
		})
	}
}

func TestAgentHangsUp(t *testing.T) {
	t.Parallel()
	h := newTestHandler(func(ctx context.Context, c *Call) {
		go func() { _ = sendTone(ctx, c.Media(), 500) }()
		for i := 0; i < 10; i++ {
			if _, err := c.Media().ReadRTP(); err != nil {
				return
			}
		}
		_ = c.Hangup("")
	})
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer o.Hangup()
	c := recv(t, "call", h.calls, 5*time.Second)
	go func() { _ = sendTone(ctx, o.Media(), 500) }()
	recv(t, "BYE from agent", o.Done(), 5*time.Second)
	if o.EndReason() != EndByeFromCaller {
		t.Errorf("caller EndReason = %q, want %q", o.EndReason(), EndByeFromCaller)
	}
	recv(t, "agent call end", c.Done(), time.Second)
	if c.EndReason() != EndHangup {
		t.Errorf("agent EndReason = %q, want %q", c.EndReason(), EndHangup)
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  func(*Config)
		want EndReason
	}{
		{"rtp", func(c *Config) { c.RTPTimeout = 300 * time.Millisecond }, EndRTPTimeout},
		{"duration", func(c *Config) { c.MaxCallDuration = 300 * time.Millisecond; c.RTPTimeout = -1 }, EndMaxDuration},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(nil)
			cfg := testConfig()
			tc.cfg(&cfg)
			a := startAgent(t, cfg, h)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer o.Hangup()
			c := recv(t, "call", h.calls, 5*time.Second)
			recv(t, "call end", c.Done(), 5*time.Second)
			if c.EndReason() != tc.want {
				t.Errorf("EndReason = %q, want %q", c.EndReason(), tc.want)
			}
			recv(t, "BYE at caller", o.Done(), 5*time.Second)
		})
	}
}

func TestCodecNegotiation(t *testing.T) {
	t.Parallel()
	h := newTestHandler(nil)
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{Codecs: []string{"PCMA", "PCMU"}, EventPayloadType: 96})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c := recv(t, "call", h.calls, 5*time.Second)
	if got := c.Media().Codec(); got.Name != "PCMA" || got.PayloadType != 8 || got.EventPayloadType != 96 {
		t.Errorf("codec = %+v, want the caller's first choice PCMA and its event type 96", got)
	}
	_ = o.Hangup()

	cfg := testConfig()
	cfg.Codecs = []string{"PCMA"}
	b := startAgent(t, cfg, h)
	_, err = Dial(ctx, agentURI(b, "udp"), DialOptions{Codecs: []string{"PCMU"}})
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.StatusCode != 488 {
		t.Fatalf("PCMU-only offer to a PCMA-only agent: err = %v, want 488", err)
	}
}

func TestDigestAuthentication(t *testing.T) {
	t.Parallel()
	for _, proxy := range []bool{false, true} {
		name := "401"
		if proxy {
			name = "407"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(nil)
			cfg := testConfig()
			cfg.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			cfg.Credentials = map[string]string{"pbx": "correct horse battery"}
			cfg.ProxyAuth = proxy
			a := startAgent(t, cfg, h)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			_, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
			var rej *RejectedError
			want := 401
			if proxy {
				want = 407
			}
			if !errors.As(err, &rej) || rej.StatusCode != want {
				t.Fatalf("without credentials: err = %v, want %d", err, want)
			}
			_, err = Dial(ctx, agentURI(a, "udp"), DialOptions{Username: "pbx", Password: "wrong horse"})
			if !errors.As(err, &rej) || rej.StatusCode != 403 {
				t.Fatalf("wrong password: err = %v, want 403", err)
			}
			o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{Username: "pbx", Password: "correct horse battery"})
			if err != nil {
				t.Fatalf("right password: %v", err)
			}
			recv(t, "call", h.calls, 5*time.Second)
			_ = o.Hangup()
		})
	}
}

func TestAllowedNetworks(t *testing.T) {
	t.Parallel()
	h := newTestHandler(nil)
	cfg := testConfig()
	cfg.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	a := startAgent(t, cfg, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Dial(ctx, agentURI(a, "udp"), DialOptions{LocalAddr: "127.0.0.2:0", PublicIP: "127.0.0.2"})
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.StatusCode != 403 {
		t.Fatalf("call from 127.0.0.2: err = %v, want 403", err)
	}
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatalf("call from 127.0.0.1: %v", err)
	}
	recv(t, "call", h.calls, 5*time.Second)
	_ = o.Hangup()
	if s := a.Stats(); s.CallsRejected != 1 || s.CallsAnswered != 1 {
		t.Errorf("stats = %+v, want one rejected and one answered", s)
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	h := newTestHandler(nil)
	ends := make(chan Summary, 1)
	cfg := testConfig()
	cfg.RingDuration = 20 * time.Second
	cfg.OnEnd = func(s Summary) { ends <- s }
	a := startAgent(t, cfg, h)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, agentURI(a, "udp"), DialOptions{}); err == nil {
		t.Fatal("Dial succeeded; want it cancelled")
	}
	s := recv(t, "summary", ends, 5*time.Second)
	if s.Reason != EndCancelled || !s.Answered.IsZero() {
		t.Errorf("summary = %+v, want a cancelled, unanswered call", s)
	}
	if got := a.Stats(); got.CallsCancelled != 1 || got.CallsActive != 0 {
		t.Errorf("stats = %+v", got)
	}
	select {
	case <-h.calls:
		t.Error("handler saw a cancelled call")
	default:
	}
}

func TestBusyWhenFull(t *testing.T) {
	t.Parallel()
	h := newTestHandler(nil)
	cfg := testConfig()
	cfg.MaxCalls = 1
	a := startAgent(t, cfg, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	defer o.Hangup()
	_, err = Dial(ctx, agentURI(a, "udp"), DialOptions{})
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.StatusCode != 486 {
		t.Fatalf("second call: err = %v, want 486", err)
	}
}

// reinvite sends a re-INVITE with body from the caller's side of o and
// ACKs the answer.
func reinvite(t *testing.T, o *OutboundCall, body string) *sip.Response {
	t.Helper()
	req := o.leg.dlg.request(sip.INVITE)
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := o.leg.ep.do(ctx, req)
	if err != nil {
		t.Fatalf("re-INVITE: %v", err)
	}
	ack := sip.NewRequest(sip.ACK, req.Recipient)
	for _, name := range []string{"From", "To", "Call-ID", "Max-Forwards", "Contact"} {
		ack.AppendHeader(sip.HeaderClone(req.GetHeader(name)))
	}
	ack.To().Params.Add("tag", o.leg.dlg.key.remote)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetTransport(req.Transport())
	ack.SetDestination(req.Destination())
	if err := o.leg.ep.cli.WriteRequest(ack, o.leg.ep.prepare); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	return res
}

func TestReinviteHoldResumeAndMove(t *testing.T) {
	t.Parallel()
	h := newTestHandler(func(ctx context.Context, c *Call) {
		_ = sendTone(ctx, c.Media(), 1000)
		<-ctx.Done()
	})
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer o.Hangup()
	c := recv(t, "call", h.calls, 5*time.Second)
	port := o.leg.media.port()

	res := reinvite(t, o, testOffer(port, "0 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly"))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=recvonly") {
		t.Fatalf("hold: %d with body %q, want 200 with a=recvonly", res.StatusCode, res.Body())
	}
	waitFor(t, "held", time.Second, c.Held)

	res = reinvite(t, o, testOffer(port, "0", "a=inactive"))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=inactive") {
		t.Fatalf("inactive: %d with body %q, want 200 with a=inactive: %s", res.StatusCode, res.Body(), res)
	}

	// Resume on a new RTP port: the agent's audio must follow.
	moved, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	newPort := moved.LocalAddr().(*net.UDPAddr).Port
	res = reinvite(t, o, testOffer(newPort, "0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=sendrecv") {
		t.Fatalf("resume: %d with body %q, want 200 with a=sendrecv", res.StatusCode, res.Body())
	}
	if c.Held() {
		t.Error("still held after resume")
	}
	_ = moved.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1500)
	n, _, err := moved.ReadFromUDP(buf)
	if err != nil || n < 12 {
		t.Fatalf("no RTP at the new address after resume: %v", err)
	}
}

func TestInfoDTMF(t *testing.T) {
	t.Parallel()
	h := newTestHandler(nil)
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer o.Hangup()
	c := recv(t, "call", h.calls, 5*time.Second)
	for _, tc := range []struct{ ct, body string }{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"},
		{"application/dtmf", "#"},
	} {
		req := o.leg.dlg.request(sip.INFO)
		ct := sip.ContentTypeHeader(tc.ct)
		req.AppendHeader(&ct)
		req.SetBody([]byte(tc.body))
		res, err := o.leg.ep.do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("INFO %s: %v %v", tc.ct, res, err)
		}
	}
	if d := recv(t, "digit", c.Digits(), time.Second); d != '5' {
		t.Errorf("first digit = %q, want '5'", d)
	}
	if d := recv(t, "digit", c.Digits(), time.Second); d != '#' {
		t.Errorf("second digit = %q, want '#'", d)
	}
	_ = o.Hangup()
	select {
	case <-c.Done():
	default:
		t.Error("the call is still up after the caller's BYE was answered")
	}
}

func TestOutOfDialogRequests(t *testing.T) {
	t.Parallel()
	a := startAgent(t, testConfig(), newTestHandler(nil))
	for _, tr := range []string{"udp", "tcp"} {
		addr := a.Addr(tr).String()
		ruri := "sip:reception@" + addr
		tagged := "<" + ruri + ">;tag=nosuchdialog"
		cases := []struct {
			method string
			extra  map[string]string
			body   string
			want   int
		}{
			{"BYE", map[string]string{"To": tagged}, "", 481},
			{"INFO", map[string]string{"To": tagged}, "", 481},
			{"INVITE", map[string]string{"To": tagged}, testOffer(4000, "0"), 481},
			{"CANCEL", nil, "", 481},
			{"OPTIONS", nil, "", 200},
			{"REGISTER", nil, "", 405},
			{"FROBNICATE", nil, "", 501},
		}
		for _, tc := range cases {
			msg := rawRequest(tc.method, ruri, tr, "127.0.0.1:5999", tc.extra, tc.body)
			rs := rawExchange(t, tr, addr, msg, time.Second)
			if got := finalStatus(rs); got != tc.want {
				t.Errorf("%s %s: status %d, want %d", tr, tc.method, got, tc.want)
			}
			if tc.method == "OPTIONS" && len(rs) > 0 {
				if allow := rs[len(rs)-1].header("Allow"); !strings.Contains(allow, "INVITE") {
					t.Errorf("OPTIONS answer lacks Allow: INVITE")
				}
			}
		}
	}
}

func TestOfferWithoutCodec(t *testing.T) {
	t.Parallel()
	a := startAgent(t, testConfig(), newTestHandler(nil))
	addr := a.Addr("udp").String()
	ruri := "sip:reception@" + addr
	cases := []struct {
		name, body string
		want       int
	}{
		{"g729 only", testOffer(4000, "18", "a=rtpmap:18 G729/8000"), 488},
		{"pcmu over srtp", strings.Replace(testOffer(4000, "0"), "RTP/AVP", "RTP/SAVP", 1), 488},
		{"pcmu at 16 kHz", testOffer(4000, "96", "a=rtpmap:96 PCMU/16000"), 488},
		{"not sdp", "hello", 400},
		{"bad port", testOffer(70000, "0"), 400},
	}
	for _, tc := range cases {
		rs := rawExchange(t, "udp", addr, rawRequest("INVITE", ruri, "udp", "127.0.0.1:5999", nil, tc.body), time.Second)
		if got := finalStatus(rs); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	a := startAgent(t, testConfig(), newTestHandler(nil))
	for _, tr := range []string{"udp", "tcp"} {
		addr := a.Addr(tr).String()
		ruri := "sip:reception@" + addr
		offer := testOffer(4000, "0")
		cases := []struct {
			name, method string
			extra        map[string]string
			body         string
			want         int
		}{
			{"zero hops", "INVITE", map[string]string{"Max-Forwards": "0"}, offer, 483},
			{"too many hops", "OPTIONS", map[string]string{"Max-Forwards": "300"}, "", 400},
			{"no max-forwards", "OPTIONS", map[string]string{"Max-Forwards": ""}, "", 400},
			{"no call-id", "INVITE", map[string]string{"Call-ID": ""}, offer, 400},
			{"cseq mismatch", "INVITE", map[string]string{"CSeq": "1 OPTIONS"}, offer, 400},
			{"bare cookie", "OPTIONS", map[string]string{"Via": "SIP/2.0/" + strings.ToUpper(tr) + " 127.0.0.1:5999;branch=z9hG4bK"}, "", 400},
			{"no from tag", "INVITE", map[string]string{"From": "<sip:tester@127.0.0.1>"}, offer, 400},
			{"no contact", "INVITE", map[string]string{"Contact": ""}, offer, 400},
			{"require", "INVITE", map[string]string{"Require": "100rel, timer"}, offer, 420},
			{"gzip body", "INVITE", map[string]string{"Content-Encoding": "gzip"}, offer, 415},
			{"html body", "INVITE", map[string]string{"Content-Type": "text/html"}, "<p>hi</p>", 415},
			{"info type", "INFO", map[string]string{"Content-Type": "text/plain"}, "5", 415},
			{"accepts no sdp", "INVITE", map[string]string{"Accept": "text/plain"}, offer, 406},
			{"tel request-uri", "OPTIONS", nil, "", 416},
			{"proxy-require is a proxy's business", "OPTIONS", map[string]string{"Proxy-Require": "foo"}, "", 200},
		}
		for _, tc := range cases {
			r := ruri
			if tc.name == "tel request-uri" {
				r = "tel:+15555550100"
			}
			rs := rawExchange(t, tr, addr, rawRequest(tc.method, r, tr, "127.0.0.1:5999", tc.extra, tc.body), 2*time.Second)
			if got := finalStatus(rs); got != tc.want {
				t.Errorf("%s %s: status %d, want %d (%v)", tr, tc.name, got, tc.want, rs)
			}
		}
	}
	if s := a.Stats(); s.Invalid == 0 || s.Panics != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestOversizeMessages(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxMessageSize = 4096
	a := startAgent(t, cfg, newTestHandler(nil))
	for _, tr := range []string{"udp", "tcp"} {
		addr := a.Addr(tr).String()
		msg := rawRequest("OPTIONS", "sip:reception@"+addr, tr, "127.0.0.1:5999",
			map[string]string{"X-Padding": strings.Repeat("p", 8000)}, "")
		if got := finalStatus(rawExchange(t, tr, addr, msg, 2*time.Second)); got != 513 {
			t.Errorf("%s: status %d, want 513", tr, got)
		}
	}
}

func TestHandlerPanicEndsOnlyThatCall(t *testing.T) {
	t.Parallel()
	h := newTestHandler(func(ctx context.Context, c *Call) {
		if c.Transport() == "udp" {
			panic("handler bug")
		}
		<-ctx.Done()
	})
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := recv(t, "call", h.calls, 5*time.Second)
	recv(t, "BYE after the panic", o.Done(), 5*time.Second)
	_ = o.Hangup()
	if c.EndReason() != EndError || a.Stats().Panics != 1 {
		t.Errorf("EndReason %q, stats %+v; want error and one panic", c.EndReason(), a.Stats())
	}
	o, err = Dial(ctx, agentURI(a, "tcp"), DialOptions{Transport: "tcp"})
	if err != nil {
		t.Fatalf("call after a handler panic: %v", err)
	}
	_ = o.Hangup()
}
