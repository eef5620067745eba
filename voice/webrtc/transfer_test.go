package webrtc

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice/call"
	"frontdesk/voice/sip"
	"frontdesk/voice/switchboard"
	"frontdesk/voice/wav"
)

// startTransferring is a switchboard whose dialogue transfers every call
// at once to the staff line staffURI, and a WebRTC handler whose calls it
// answers and bridges; transferred receives each transfer's outcome.
func startTransferring(t *testing.T, staffURI string) (*ledger.Ledger, *Handler, *httptest.Server, chan error) {
	t.Helper()
	l := testkit.Ledger(t, "clinic")
	rec, syn := testkit.Engines(t)
	cfg := testkit.LoopbackSIP()
	cfg.TransferURI = staffURI
	transferred := make(chan error, 1)
	sb, err := switchboard.New(switchboard.Config{SIP: &cfg}, l, rec, syn, func(ctx context.Context, s *call.Session) error {
		err := s.Transfer(ctx, "", "caller-asked")
		transferred <- err
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h, srv := serve(t, HandlerConfig{
		Answer: func(ctx context.Context, line call.Line, from string) {
			sb.Answer(ctx, line, from, "receptionist")
		},
		Transfer: sb.BridgeTransfer,
	})
	// Registered after serve, so it runs first: calls end before the
	// handler closes.
	t.Cleanup(func() { sb.Close() })
	return l, h, srv, transferred
}

// TestBrowserCallBridgedToStaffOverSIP transfers a browser call: the
// switchboard dials the staff line over SIP and relays the audio both
// ways; when staff hang up, the browser call ends, and the ledger holds the
// transfer.
func TestBrowserCallBridgedToStaffOverSIP(t *testing.T) {
	var callerHeard atomic.Int64
	staff := testkit.StartStaffPhone(t)
	l, _, srv, transferred := startTransferring(t, staff.URI)

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
	if e := testkit.WaitForCallEvent(t, l, 5*time.Second, func(e *ledger.Event) bool {
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

// TestChromiumCallTransfersToStaff transfers a call from headless
// chromium: the browser's microphone (a tone) reaches the staff phone
// through the bridge, the call stays up after the dialogue, and it ends
// when staff hang up.
func TestChromiumCallTransfersToStaff(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium is not installed (make test installs it)")
	}
	staff := testkit.StartStaffPhone(t)
	l, h, srv, transferred := startTransferring(t, staff.URI)
	// The fake microphone: 20 seconds of a loud 1 kHz tone at 16 kHz.
	const rate = 16000
	pcm := make([]int16, 20*rate)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/rate))
	}
	capture := filepath.Join(t.TempDir(), "tone.wav")
	if err := wav.WriteFile(capture, pcm, rate); err != nil {
		t.Fatal(err)
	}
	out := testkit.StartChromium(t, srv.URL+"/call?autostart=1", capture)

	select {
	case err := <-transferred:
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the call was not transferred; chromium said:\n%s", tail(out.String(), 4000))
	}
	if !eventually(10*time.Second, func() bool { return staff.Heard.Load() >= 25 }) {
		dumpLedger(t, l)
		t.Fatalf("staff heard %d loud packets from the browser", staff.Heard.Load())
	}
	if h.Active() != 1 {
		t.Fatalf("%d calls active after the transfer, want the bridged one", h.Active())
	}
	(<-staff.Calls).Hangup("")
	if !eventually(10*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatal("staff hung up, but the browser call goes on")
	}
}
