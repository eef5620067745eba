package webrtc

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/call"
	"frontdesk/voice/resample"
	"frontdesk/voice/wav"
)

// chromiumDialogue asks for four keys, then for a spoken yes or no, and
// says goodbye: the browser's keypad and microphone each get a turn.
func chromiumDialogue(ctx context.Context, s *call.Session) error {
	if _, err := s.Ask(ctx, "Hello. Please enter four digits on your keypad.", call.Listen{Digits: 4, Terminator: '#', Timeout: 15 * time.Second}); err != nil {
		return err
	}
	in, err := s.Ask(ctx, "Thank you. Can you hear me? Please say yes or no.", call.Listen{
		Grammar: voice.Grammar{Name: "yes-no", Phrases: []string{"yes", "no"}}, NoBargeIn: true, Timeout: 20 * time.Second,
	})
	if err != nil {
		return err
	}
	if err := s.Say(ctx, "You said "+in.Text+". Goodbye.", true); err != nil {
		return err
	}
	return s.End("completed")
}

// fakeCaptureLead is the silence at the start of the browser's fake
// microphone: the call connects and the receptionist asks for keys and
// then for yes or no before the caller speaks.
const fakeCaptureLead = 7 * time.Second

// fakeCapture writes the browser's microphone: silence, then "yes" (flite,
// upsampled to 16 kHz, 16-bit mono PCM), then silence.
func fakeCapture(t *testing.T) string {
	t.Helper()
	const rate = 16000
	yes := resample.Upsample(testkit.Say(t, "yes"))
	pcm := make([]int16, int(fakeCaptureLead.Seconds()*rate))
	pcm = append(pcm, yes...)
	pcm = append(pcm, make([]int16, 3*rate)...)
	path := filepath.Join(t.TempDir(), "caller.wav")
	if err := wav.WriteFile(path, pcm, rate); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChromiumCallsTheReceptionist opens the call page in headless
// chromium with ?autostart=1&keys=1234: the page places a WebRTC call
// through the WHIP handler, presses 1234 on its keypad (RTCDTMFSender,
// RFC 4733) and its fake microphone says "yes". The ledger must hold the
// digits and the caller's turn "yes".
func TestChromiumCallsTheReceptionist(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium is not installed (make test installs it)")
	}
	l, h, srv := startSwitchboard(t, chromiumDialogue)
	capture := fakeCapture(t)
	out := testkit.StartChromium(t, srv.URL+"/call?autostart=1&keys=1234", capture)

	ended := testkit.WaitForCallEvent(t, l, 60*time.Second, func(e *ledger.Event) bool { return e.Type == "call.ended" })
	if ended == nil {
		dumpLedger(t, l)
		t.Fatalf("the call did not end; chromium said:\n%s", tail(out.String(), 4000))
	}
	var digits, said, transport string
	evs, err := l.Find(ledger.Query{EntityPrefix: "call/"}, ledger.ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		switch {
		case e.Type == "call.started":
			transport = e.Attrs["transport"]
		case e.Type == "call.dtmf":
			digits = e.PHI["digits"]
		case e.Type == "call.turn" && e.Attrs["speaker"] == "caller":
			said = e.PHI["text"]
		}
	}
	if digits != "1234" || said != "yes" || transport != "webrtc" || ended.Attrs["reason"] != "completed" {
		dumpLedger(t, l)
		t.Fatalf("ledger: digits %q, said %q, transport %q, end %q; chromium said:\n%s", digits, said, transport, ended.Attrs["reason"], tail(out.String(), 4000))
	}
	if !eventually(10*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatalf("%d calls still active after the receptionist hung up", h.Active())
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
