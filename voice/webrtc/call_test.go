package webrtc

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice/call"
	"frontdesk/voice/caller"
)

// TestLineCheckOverWebRTC calls the line-check flow from a pion peer
// through the WHIP handler: it keys 1234 as RFC 4733 events when asked,
// then says "yes" (flite, PCMU). The ledger must hold the digits, the
// caller's turn "yes", a WebRTC transport and the end of the call.
func TestLineCheckOverWebRTC(t *testing.T) {
	l, h, srv := startSwitchboard(t, call.LineCheck)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer(), Header: http.Header{userHeader: {"staff/frontdesk-test"}}})
	if err != nil {
		t.Fatal(err)
	}
	codec := c.Media().Codec()
	if codec.Name != "PCMU" || codec.PayloadType != 0 || codec.ClockRate != 8000 || codec.EventPayloadType == 0 {
		t.Fatalf("negotiated %+v, want PCMU/8000 with telephone-event", codec)
	}
	res, err := caller.Run(ctx, c.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Keys: "1234"},
		{AfterPrompts: 2, Delay: 200 * time.Millisecond, Say: testkit.Say(t, "yes")},
		{AfterPrompts: 3, Hangup: true},
	}, MaxDuration: 45 * time.Second})
	c.Hangup()
	if err != nil {
		t.Fatalf("caller: %v (heard %d prompts)", err, res.Prompts)
	}
	ended := testkit.WaitForCallEvent(t, l, 10*time.Second, func(e *ledger.Event) bool { return e.Type == "call.ended" })
	if ended == nil {
		dumpLedger(t, l)
		t.Fatal("the call was not recorded as ended")
	}
	var digits, said, transport, from string
	evs, err := l.Find(ledger.Query{EntityPrefix: "call/"}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		switch {
		case e.Type == "call.started":
			transport, from = e.Attrs["transport"], e.PHI["from"]
		case e.Type == "call.dtmf":
			digits = e.PHI["digits"]
		case e.Type == "call.turn" && e.Attrs["speaker"] == "caller":
			said = e.PHI["text"]
		}
	}
	if digits != "1234" || said != "yes" || transport != "webrtc" || from != "staff/frontdesk-test" || ended.Attrs["reason"] != "completed" {
		dumpLedger(t, l)
		t.Fatalf("ledger: digits %q, said %q, transport %q, from %q, end %q", digits, said, transport, from, ended.Attrs["reason"])
	}
	if !loud(res.Heard) {
		t.Fatal("the caller heard silence")
	}
	// The receptionist's prompts arrive intact: the goodbye is recognised
	// at the caller's end.
	rec, _ := testkit.Engines(t)
	u, err := rec.Start(ctx, voiceGrammar("you said yes goodbye", "you said no goodbye", "i did not catch that goodbye"), 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	// Everything heard after the caller said "yes" is the goodbye.
	u.Write(res.Heard[res.SaidEnd[1]:])
	if hyp, err := u.Finish(); err != nil || hyp.Text != "you said yes goodbye" {
		t.Fatalf("the caller heard %q (%v) at the end", hyp.Text, err)
	}
	if !eventually(5*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatalf("%d calls still active", h.Active())
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.Verify(ledger.VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

// loud reports whether pcm holds at least ten frames of speech level.
func loud(pcm []int16) bool {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		var e float64
		for _, v := range pcm[i : i+160] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/160) > 500 {
			n++
		}
	}
	return n >= 10
}
