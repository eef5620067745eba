package receptionist

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"frontdesk/gate/identity"
	"frontdesk/internal/testkit"
	"frontdesk/voice/call"
	"frontdesk/voice/resample"
	"frontdesk/voice/switchboard"
	"frontdesk/voice/wav"
	"frontdesk/voice/webrtc"
)

// TestBrowserCallVerifies: staff call the receptionist from headless
// chromium through the call page. The browser's microphone says the
// patient's name, its keypad keys the date of birth (RFC 4733 through
// RTCDTMFSender), and the caller must be verified as over SIP.
func TestBrowserCallVerifies(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	c := newClinic(t)
	r, err := New(c.l, Config{ClinicName: "Maple Family Practice"})
	if err != nil {
		t.Fatal(err)
	}
	rec, syn := testkit.Engines(t)
	sb, err := switchboard.New(switchboard.Config{}, c.l, rec, syn, r.Handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	wh, err := webrtc.NewHandler(webrtc.HandlerConfig{
		Peer:   webrtc.Config{IncludeLoopback: true},
		Answer: func(ctx context.Context, line call.Line, from string) { sb.Answer(ctx, line, from, "webrtc") },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	mux := http.NewServeMux()
	mux.Handle("/call", webrtc.PageHandler("/whip"))
	mux.Handle("/whip", wh)
	mux.Handle("/whip/", wh)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// The microphone: a moment of silence, the name, then silence while
	// the keypad keys the date of birth.
	const rate = 16000
	pcm := make([]int16, 2*rate)
	pcm = append(pcm, resample.Upsample(testkit.Say(t, "alberto atencio"))...)
	pcm = append(pcm, make([]int16, 40*rate)...)
	capture := filepath.Join(t.TempDir(), "caller.wav")
	if err := wav.WriteFile(capture, pcm, rate); err != nil {
		t.Fatal(err)
	}
	out := testkit.StartChromium(t, srv.URL+"/call?autostart=1&keys=06071993&keysDelay=6500", capture)

	var verified bool
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !verified; time.Sleep(200 * time.Millisecond) {
		for _, e := range events(t, c.l, identity.TypeVerified) {
			verified = e.Attrs["patient"] == "patient/p1"
		}
	}
	if !verified {
		for _, e := range events(t, c.l, "call.turn") {
			t.Logf("turn %v %q", e.Attrs, e.PHI["text"])
		}
		t.Fatalf("the browser caller was not verified; chromium said:\n%s", out.String())
	}
	started := events(t, c.l, "call.started")
	if len(started) != 1 || started[0].Attrs["transport"] != "webrtc" {
		t.Fatalf("call started: %+v", started)
	}
}
