package sip

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// fakePhone is a caller's phone built directly on sipgo, independent of
// the agent's dialog code: it places a call, answers REFER with a chosen
// status and, after 202, reports the transfer's progress with NOTIFY.
type fakePhone struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	cli    *sipgo.Client
	conn   net.PacketConn
	media  *rtpSession
	sess   *sipgo.DialogClientSession
	status int // answer to REFER

	mu      sync.Mutex
	referTo string
	byes    chan struct{}
	byeOnce sync.Once
}

func newFakePhone(t *testing.T, referStatus int) *fakePhone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientHostname("127.0.0.1"))
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePhone{t: t, ua: ua, cli: cli, conn: conn, media: newRTPSession(rtpConn), status: referStatus, byes: make(chan struct{})}
	srv.OnRefer(p.onRefer)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.byeOnce.Do(func() { close(p.byes) })
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	waitFor(t, "phone listener", 2*time.Second, func() bool {
		c := ua.TransportLayer().Pool("udp").Get(conn.LocalAddr().String())
		if c != nil {
			_, _ = c.TryClose()
		}
		return c != nil
	})
	t.Cleanup(func() {
		_ = p.media.close()
		_ = conn.Close()
		_ = ua.Close()
		<-done
	})
	return p
}

func (p *fakePhone) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	if h := req.GetHeader("Refer-To"); h != nil {
		p.referTo = h.Value()
	}
	p.mu.Unlock()
	_ = tx.Respond(sip.NewResponseFromRequest(req, p.status, "Refer Answer", nil))
	if p.status != 202 {
		return
	}
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	go func() {
		for _, frag := range []string{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"} {
			n := sip.NewRequest(sip.NOTIFY, sess.InviteResponse.Contact().Address)
			n.AppendHeader(sip.NewHeader("Event", "refer"))
			state := "active;expires=60"
			if strings.Contains(frag, "200") {
				state = "terminated;reason=noresource"
			}
			n.AppendHeader(sip.NewHeader("Subscription-State", state))
			ct := sip.ContentTypeHeader("message/sipfrag;version=2.0")
			n.AppendHeader(&ct)
			n.SetBody([]byte(frag + "\r\n"))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			res, err := sess.Do(ctx, n)
			cancel()
			if err != nil || res.StatusCode != 200 {
				p.t.Errorf("NOTIFY %q: %v %v", frag, res, err)
				return
			}
		}
	}()
}

// call dials target and returns once the call is up.
func (p *fakePhone) call(target string) {
	t := p.t
	var u sip.Uri
	if err := sip.ParseUri(target, &u); err != nil {
		t.Fatal(err)
	}
	laddr := p.conn.LocalAddr().(*net.UDPAddr)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: laddr.Port}}
	dua := sipgo.DialogUA{Client: p.cli, ContactHDR: contact}
	offer := testOffer(p.media.port(), "0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv")
	req := sip.NewRequest(sip.INVITE, u)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody([]byte(offer))
	req.Laddr = sip.Addr{IP: laddr.IP, Port: laddr.Port}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("phone INVITE: %v", err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("phone answer: %v", err)
	}
	p.mu.Lock()
	p.sess = sess
	p.mu.Unlock()
	if err := sess.Ack(ctx); err != nil {
		t.Fatalf("phone ACK: %v", err)
	}
	ans, err := parseSDP(sess.InviteResponse.Body())
	if err != nil {
		t.Fatalf("answer SDP: %v", err)
	}
	n, err := negotiate(ans, []string{"PCMU"})
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	p.media.configure(n, net.IPv4(127, 0, 0, 1))
}

func (p *fakePhone) hangup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	if err := sess.Bye(ctx); err != nil {
		p.t.Errorf("phone BYE: %v", err)
	}
}

func TestTransferByRefer(t *testing.T) {
	t.Parallel()
	const staff = "sip:staff@127.0.0.1:5999"
	result := make(chan error, 1)
	h := newTestHandler(func(ctx context.Context, c *Call) {
		result <- c.Transfer(ctx, "")
		<-ctx.Done()
	})
	cfg := testConfig()
	cfg.TransferURI = staff
	a := startAgent(t, cfg, h)
	phone := newFakePhone(t, 202)
	phone.call(agentURI(a, "udp"))
	c := recv(t, "call", h.calls, 5*time.Second)
	if err := recv(t, "transfer", result, 10*time.Second); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	recv(t, "BYE after NOTIFY 200", phone.byes, 5*time.Second)
	phone.mu.Lock()
	referTo := phone.referTo
	phone.mu.Unlock()
	if !strings.Contains(referTo, staff) {
		t.Errorf("Refer-To = %q, want %s", referTo, staff)
	}
	recv(t, "call end", c.Done(), time.Second)
	if c.EndReason() != EndTransfer {
		t.Errorf("EndReason = %q, want %q", c.EndReason(), EndTransfer)
	}
}

func TestTransferBridgeFallback(t *testing.T) {
	t.Parallel()
	for _, who := range []string{"caller", "staff"} {
		t.Run(who+" hangs up", func(t *testing.T) {
			t.Parallel()
			staffHeard := &mediaTally{}
			staffH := newTestHandler(func(ctx context.Context, c *Call) {
				go staffHeard.drain(c.Media())
				_ = sendTone(ctx, c.Media(), 2000)
			})
			staff := startAgent(t, testConfig(), staffH)

			result := make(chan error, 1)
			h := newTestHandler(func(ctx context.Context, c *Call) {
				result <- c.Transfer(ctx, "")
				<-ctx.Done()
			})
			cfg := testConfig()
			cfg.TransferURI = agentURI(staff, "udp")
			a := startAgent(t, cfg, h)

			phone := newFakePhone(t, 501)
			phone.call(agentURI(a, "udp"))
			c := recv(t, "call", h.calls, 5*time.Second)
			if err := recv(t, "transfer", result, 10*time.Second); err != nil {
				t.Fatalf("Transfer: %v", err)
			}
			if _, err := c.Media().ReadRTP(); !errors.Is(err, ErrMediaTransferred) {
				t.Errorf("bridged call's Media().ReadRTP = %v, want ErrMediaTransferred", err)
			}
			sc := recv(t, "staff leg", staffH.calls, 5*time.Second)
			if sc.Media().Codec().Name != "PCMU" {
				t.Errorf("staff leg codec = %+v, want the caller's PCMU", sc.Media().Codec())
			}

			callerHeard := &mediaTally{}
			go callerHeard.drain(newMediaView(phone.media))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = sendTone(ctx, newMediaView(phone.media), 2000) }()
			waitFor(t, "audio relayed both ways", 5*time.Second, func() bool {
				n1, _, r1 := staffHeard.snapshot()
				n2, _, r2 := callerHeard.snapshot()
				return n1 >= 25 && n2 >= 25 && r1 > 1000 && r2 > 1000
			})

			if who == "caller" {
				phone.hangup()
				recv(t, "staff leg end", sc.Done(), 5*time.Second)
				if sc.EndReason() != EndByeFromCaller {
					t.Errorf("staff leg EndReason = %q, want BYE relayed from the caller", sc.EndReason())
				}
			} else {
				_ = sc.Hangup("")
				recv(t, "BYE relayed to the caller", phone.byes, 5*time.Second)
			}
			recv(t, "bridged call end", c.Done(), 5*time.Second)
			if c.EndReason() != EndTransfer {
				t.Errorf("EndReason = %q, want %q", c.EndReason(), EndTransfer)
			}
		})
	}
}

func TestTransferFailsWithoutStaff(t *testing.T) {
	t.Parallel()
	result := make(chan error, 1)
	h := newTestHandler(func(ctx context.Context, c *Call) {
		// Nobody listens at the staff URI, and the phone refuses REFER.
		result <- c.Transfer(ctx, "sip:staff@127.0.0.1:9;transport=tcp")
		<-ctx.Done()
	})
	a := startAgent(t, testConfig(), h)
	phone := newFakePhone(t, 405)
	phone.call(agentURI(a, "udp"))
	c := recv(t, "call", h.calls, 5*time.Second)
	if err := recv(t, "transfer", result, 15*time.Second); err == nil {
		t.Fatal("Transfer succeeded with no staff to answer")
	}
	select {
	case <-c.Done():
		t.Fatalf("call ended (%s) after a failed transfer; it should continue", c.EndReason())
	default:
	}
	phone.hangup()
	select {
	case <-c.Done():
	default:
		t.Error("the call is still up after the caller's BYE was answered")
	}
}

// TestLateOffer places a call whose INVITE carries no SDP: the agent offers
// in its 200 and takes the answer from the ACK (RFC 3261 §13.2.1).
func TestLateOffer(t *testing.T) {
	t.Parallel()
	h := newTestHandler(func(ctx context.Context, c *Call) {
		_ = sendTone(ctx, c.Media(), 1000)
	})
	a := startAgent(t, testConfig(), h)
	p := newFakePhone(t, 405)
	var u sip.Uri
	if err := sip.ParseUri(agentURI(a, "udp"), &u); err != nil {
		t.Fatal(err)
	}
	laddr := p.conn.LocalAddr().(*net.UDPAddr)
	dua := sipgo.DialogUA{Client: p.cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: laddr.Port}}}
	req := sip.NewRequest(sip.INVITE, u)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.Laddr = sip.Addr{IP: laddr.IP, Port: laddr.Port}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	offer, err := parseSDP(sess.InviteResponse.Body())
	if err != nil {
		t.Fatalf("agent's offer: %v", err)
	}
	n, err := negotiate(offer, []string{"PCMA"})
	if err != nil {
		t.Fatalf("agent offered no PCMA: %v", err)
	}
	p.media.configure(n, net.IPv4(127, 0, 0, 1))
	local := localSDP{ip: net.IPv4(127, 0, 0, 1), port: p.media.port(), session: 1, version: 1}
	ack := sip.NewRequest(sip.ACK, sess.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.HeaderClone(sess.InviteRequest.From()))
	ack.AppendHeader(sip.HeaderClone(sess.InviteResponse.To()))
	ack.AppendHeader(sip.HeaderClone(sess.InviteRequest.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: sess.InviteRequest.CSeq().SeqNo, MethodName: sip.ACK})
	ct := sip.ContentTypeHeader("application/sdp")
	ack.AppendHeader(&ct)
	ack.SetBody(local.answer(offer, n))
	if err := sess.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	c := recv(t, "call", h.calls, 5*time.Second)
	if got := c.Media().Codec(); got.Name != "PCMA" {
		t.Errorf("codec = %+v, want the PCMA the ACK chose", got)
	}
	heard := &mediaTally{}
	go heard.drain(newMediaView(p.media))
	waitFor(t, "agent audio", 5*time.Second, func() bool { n, _, r := heard.snapshot(); return n >= 10 && r > 1000 })
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
}
