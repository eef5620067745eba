package webrtc

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice/call"
	"frontdesk/voice/sip"
	"frontdesk/voice/switchboard"
)

// TestBrowserCallBridgedToStaffOverSIP transfers a browser call: the
// switchboard dials the staff line over SIP and relays the audio both
// ways; when staff hang up, the browser call ends, and the ledger holds the
// transfer.
func TestBrowserCallBridgedToStaffOverSIP(t *testing.T) {
	var callerHeard atomic.Int64
	staff := testkit.StartStaffPhone(t)
	l := testkit.Ledger(t, "clinic")
	rec, syn := testkit.Engines(t)
	cfg := testkit.LoopbackSIP()
	cfg.TransferURI = staff.URI
	transferred := make(chan error, 1)
	sb, err := switchboard.New(switchboard.Config{SIP: &cfg}, l, rec, syn, func(ctx context.Context, s *call.Session) error {
		err := s.Transfer(ctx, "", "caller-asked")
		transferred <- err
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, srv := serve(t, HandlerConfig{
		Answer: func(ctx context.Context, line call.Line, from string) {
			sb.Answer(ctx, line, from, "receptionist")
		},
		Transfer: sb.BridgeTransfer,
	})
	t.Cleanup(func() { sb.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer(), Header: http.Header{userHeader: {"front-desk"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup()
	go testkit.CountLoud(c.Media(), &callerHeard)
	go testkit.PlayTone(ctx, c.Media())

	select {
	case err := <-transferred:
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the dialogue's transfer did not return")
	}
	if !eventually(10*time.Second, func() bool { return staff.Heard.Load() >= 25 && callerHeard.Load() >= 25 }) {
		t.Fatalf("audio relayed: staff heard %d loud packets, the caller %d", staff.Heard.Load(), callerHeard.Load())
	}
	// The dialogue is over, but the call goes on through the bridge.
	select {
	case <-c.Done():
		t.Fatalf("the browser call ended with the dialogue: %s", c.EndReason())
	case <-time.After(300 * time.Millisecond):
	}
	if e := waitFor(t, l, 5*time.Second, func(e *ledger.Event) bool {
		return e.Type == "call.transferred" && e.Attrs["outcome"] == "transferred"
	}); e == nil {
		dumpLedger(t, l)
		t.Fatal("no call.transferred event")
	}
	var sc *sip.Call
	select {
	case sc = <-staff.Calls:
	case <-ctx.Done():
		t.Fatal("staff were not called")
	}
	sc.Hangup("")
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("staff hung up, but the browser call goes on")
	}
}
