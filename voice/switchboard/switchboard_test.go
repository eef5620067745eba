package switchboard

import (
	"context"
	"math"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/call"
	"frontdesk/voice/caller"
	"frontdesk/voice/recording"
	"frontdesk/voice/sip"
)

// startSwitchboard runs a switchboard with the line-check flow on loopback
// and returns its SIP URI.
func startSwitchboard(t *testing.T, d Dialogue) (*Switchboard, *ledger.Ledger, string, string) {
	t.Helper()
	l := testkit.Ledger(t, "clinic")
	rec, syn := testkit.Engines(t)
	dir := t.TempDir()
	sb, err := New(Config{
		SIP: &sip.Config{
			UDPAddr: "127.0.0.1:0", TCPAddr: "off", PublicIP: "127.0.0.1",
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		},
		RecordingDir: dir,
	}, l, rec, syn, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, l, "sip:frontdesk@" + sb.Agent().Addr("udp").String(), dir
}

// TestLineCheckOverSIP calls the line-check flow with the built-in caller:
// keys 1234, then says "yes". The ledger must hold the digits, the turn and
// the end; the recording must hold both sides; the caller must have heard
// the prompts.
func TestLineCheckOverSIP(t *testing.T) {
	_, l, uri, dir := startSwitchboard(t, call.LineCheck)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := sip.Dial(ctx, uri, sip.DialOptions{LocalAddr: "127.0.0.1:0", PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	yes := testkit.Say(t, "yes")
	res, err := caller.Run(ctx, out.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Keys: "1234"},
		{AfterPrompts: 2, Delay: 200 * time.Millisecond, Say: yes},
		{AfterPrompts: 3, Hangup: true},
	}, MaxDuration: 45 * time.Second})
	out.Hangup()
	if err != nil {
		t.Fatalf("caller: %v (heard %d prompts)", err, res.Prompts)
	}
	// Wait for the call to be recorded as ended.
	var evs []*ledger.Event
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, _ = l.Find(ledger.Query{EntityPrefix: "call/"}, ledger.ReadOptions{PHI: true})
		if len(evs) > 0 && evs[len(evs)-1].Type == "call.ended" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var digits, said, reason, callID string
	for _, e := range evs {
		callID = e.Entity[len("call/"):]
		switch {
		case e.Type == "call.dtmf":
			digits = e.PHI["digits"]
		case e.Type == "call.turn" && e.Attrs["speaker"] == "caller":
			said = e.PHI["text"]
		case e.Type == "call.ended":
			reason = e.Attrs["reason"]
		}
	}
	if digits != "1234" || said != "yes" || reason != "completed" {
		for _, e := range evs {
			t.Logf("%s %v %v", e.Type, e.Attrs, e.PHI)
		}
		t.Fatalf("ledger: digits %q, said %q, end %q; events %d", digits, said, reason, len(evs))
	}
	if !loud(res.Heard) {
		t.Fatal("the caller heard silence")
	}
	_, stereo, err := recording.Read(recording.Path(dir, callID), l)
	if err != nil {
		t.Fatal(err)
	}
	if !loud(recording.Channel(stereo, 0)) || !loud(recording.Channel(stereo, 1)) {
		t.Fatal("the recording lacks one side of the call")
	}
	// What the caller heard last must be the goodbye: recognise it.
	rec, _ := testkit.Engines(t)
	u, err := rec.Start(ctx, voice.Grammar{Phrases: []string{"you said yes goodbye", "you said no goodbye", "i did not catch that goodbye"}}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	// Everything heard after the caller said "yes" is the goodbye.
	u.Write(res.Heard[res.SaidEnd[1]:])
	h, err := u.Finish()
	if err != nil || h.Text != "you said yes goodbye" {
		for _, e := range evs {
			t.Logf("%s %v %v", e.Type, e.Attrs, e.PHI)
		}
		t.Fatalf("the caller heard %q (%v) at the end", h.Text, err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.Verify(ledger.VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func loud(pcm []int16) bool {
	var s float64
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		var e float64
		for _, v := range pcm[i : i+160] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/160) > 500 {
			n++
		}
		s += e
	}
	return n >= 10
}

// TestLineCheckWithBaresip has a real softphone call the line check: it
// presses 1234 (RFC 4733) when asked and says "no" when asked.
func TestLineCheckWithBaresip(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	_, l, uri, _ := startSwitchboard(t, call.LineCheck)
	b := testkit.StartBaresip(t, uri)
	agentSaid := func(text string) func(*ledger.Event) bool {
		return func(e *ledger.Event) bool {
			return e.Type == "call.turn" && e.Attrs["speaker"] == "agent" && len(e.PHI["text"]) >= len(text) && e.PHI["text"][:len(text)] == text
		}
	}
	if testkit.WaitForCallEvent(t, l, 20*time.Second, agentSaid("Please enter four digits")) == nil {
		t.Fatalf("the line never asked for digits: %s", b.Output())
	}
	b.Keys("1234")
	if testkit.WaitForCallEvent(t, l, 20*time.Second, agentSaid("You entered 1 2 3 4.")) == nil {
		t.Fatal("the digits were not read back")
	}
	// Answer once the read-back has had time to play.
	time.Sleep(3500 * time.Millisecond)
	b.Say(testkit.Say(t, "no"))
	ended := testkit.WaitForCallEvent(t, l, 30*time.Second, func(e *ledger.Event) bool { return e.Type == "call.ended" })
	if ended == nil {
		t.Fatal("the call did not end")
	}
	said := testkit.WaitForCallEvent(t, l, time.Second, func(e *ledger.Event) bool {
		return e.Type == "call.turn" && e.Attrs["speaker"] == "caller"
	})
	if said == nil || said.PHI["text"] != "no" {
		t.Fatalf("the caller's turn: %+v", said)
	}
	b.Stop()
	heard, err := b.Received()
	if err != nil {
		t.Fatal(err)
	}
	if !loud(heard) {
		t.Fatal("baresip heard silence")
	}
}

// TestTransferBridgeOutlivesTheDialogue calls in from a phone that refuses
// REFER, so the transfer is bridged by the agent: the call must stay up
// after the dialogue and its session end, carry audio both ways, and end
// when staff hang up.
func TestTransferBridgeOutlivesTheDialogue(t *testing.T) {
	var callerHeard atomic.Int64
	staff := testkit.StartStaffPhone(t)
	l := testkit.Ledger(t, "clinic")
	rec, syn := testkit.Engines(t)
	cfg := testkit.LoopbackSIP()
	cfg.TransferURI = staff.URI
	ended := make(chan error, 1)
	sb, err := New(Config{SIP: &cfg}, l, rec, syn, func(ctx context.Context, s *call.Session) error {
		err := s.Transfer(ctx, "", "caller-asked")
		ended <- err
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := sip.Dial(ctx, "sip:frontdesk@"+sb.Agent().Addr("udp").String(), sip.DialOptions{LocalAddr: "127.0.0.1:0", PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Hangup()
	go testkit.CountLoud(out.Media(), &callerHeard)
	go testkit.PlayTone(ctx, out.Media())
	if err := <-ended; err != nil {
		t.Fatalf("transfer: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for staff.Heard.Load() < 25 || callerHeard.Load() < 25 {
		if time.Now().After(deadline) {
			t.Fatalf("audio relayed: staff heard %d loud packets, the caller %d", staff.Heard.Load(), callerHeard.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if testkit.WaitForCallEvent(t, l, 5*time.Second, func(e *ledger.Event) bool { return e.Type == "call.ended" && e.Attrs["reason"] == "transfer" }) == nil {
		t.Fatal("the session did not end with reason transfer")
	}
	select {
	case <-out.Done():
		t.Fatalf("the caller was hung up when the dialogue ended: %s", out.EndReason())
	case <-time.After(300 * time.Millisecond):
	}
	(<-staff.Calls).Hangup("")
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("staff hung up, but the caller's call goes on")
	}
}
