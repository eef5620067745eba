package webrtc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"frontdesk/voice/call"
)

// offerFrom returns an offer from a peer connection of api with one audio
// track, all candidates gathered; the peer closes when the test ends.
func offerFrom(t *testing.T, api *pion.API, codec pion.RTPCodecCapability) (*pion.PeerConnection, string) {
	t.Helper()
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.GracefulClose() })
	track, err := pion.NewTrackLocalStaticRTP(codec, "audio", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc, pc.LocalDescription().SDP
}

// pcmuOffer is an offer the handler accepts, from a peer that never
// completes the call unless the test gives it the answer.
func pcmuOffer(t *testing.T) (*pion.PeerConnection, string) {
	t.Helper()
	api, err := newAPI(loopbackPeer())
	if err != nil {
		t.Fatal(err)
	}
	return offerFrom(t, api, pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: 8000})
}

func post(t *testing.T, url, contentType, user, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(userHeader, user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func del(t *testing.T, url, user string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(userHeader, user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// lines collects the lines Answer is given; each Answer waits for its
// call to end.
type lines struct {
	mu    sync.Mutex
	got   []call.Line
	from  []string
	added chan call.Line
}

func newLines() *lines { return &lines{added: make(chan call.Line, 16)} }

func (ls *lines) answer(ctx context.Context, line call.Line, from string) {
	ls.mu.Lock()
	ls.got = append(ls.got, line)
	ls.from = append(ls.from, from)
	ls.mu.Unlock()
	ls.added <- line
	select {
	case <-line.Done():
	case <-ctx.Done():
	}
}

func (ls *lines) count() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.got)
}

func (ls *lines) next(t *testing.T) *Call {
	t.Helper()
	select {
	case l := <-ls.added:
		return l.(*Call)
	case <-time.After(10 * time.Second):
		t.Fatal("no call was answered")
		return nil
	}
}

func TestOfferNeedsSDPContentType(t *testing.T) {
	ls := newLines()
	_, srv := serve(t, HandlerConfig{Answer: ls.answer})
	_, offer := pcmuOffer(t)
	for _, ct := range []string{"text/plain", "application/json", "", "application/sdpx"} {
		resp, _ := post(t, srv.URL+"/calls", ct, "staff/a", offer)
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %s, want 415", ct, resp.Status)
		}
	}
	resp, _ := post(t, srv.URL+"/calls", "application/sdp; charset=utf-8", "staff/a", offer)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("application/sdp with a parameter: %s, want 201", resp.Status)
	}
}

func TestBadOffers(t *testing.T) {
	ls := newLines()
	h, srv := serve(t, HandlerConfig{Answer: ls.answer})
	_, good := pcmuOffer(t)
	// An offer of Opus only: valid, but nothing the receptionist speaks.
	me := &pion.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var se pion.SettingEngine
	p := loopbackPeer()
	se.SetIPFilter(p.IPFilter)
	se.SetIncludeLoopbackCandidate(true)
	_, opus := offerFrom(t, pion.NewAPI(pion.WithMediaEngine(me), pion.WithSettingEngine(se)), pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	opus = regexp.MustCompile(`(?m)^a=rtpmap:0 PCMU/8000\r?\n`).ReplaceAllString(opus, "")
	opus = regexp.MustCompile(`(?m)^(m=audio \d+ \S+) (.*)$`).ReplaceAllStringFunc(opus, func(m string) string {
		return regexp.MustCompile(` 0( |\r|$)`).ReplaceAllString(m, "$1")
	})
	if regexp.MustCompile(`(?m)^m=audio \S+ \S+( \d+)* 0( |\r?$)`).MatchString(opus) || !strings.Contains(opus, "opus/48000") {
		t.Fatal("the Opus offer still offers PCMU")
	}
	noFingerprint := regexp.MustCompile(`(?m)^a=fingerprint:.*\r?\n`).ReplaceAllString(good, "")
	video := strings.Replace(good, "m=audio", "m=video", 1)
	many := good + strings.Repeat("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n", maxMediaSections)
	cases := map[string]string{
		"not SDP":        "hello, receptionist",
		"empty":          "",
		"video only":     video,
		"no PCMU":        opus,
		"no fingerprint": noFingerprint,
		"too many media": many,
	}
	for name, body := range cases {
		resp, msg := post(t, srv.URL+"/calls", "application/sdp", "staff/a", body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, resp.Status)
		}
		// The offer holds addresses and credentials: never echo them.
		if strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "ice-ufrag") || strings.Contains(msg, "a=") {
			t.Errorf("%s: the error echoes the offer: %q", name, msg)
		}
	}
	if n := h.Active(); n != 0 {
		t.Errorf("%d calls active after refused offers", n)
	}
	if ls.count() != 0 {
		t.Error("a refused offer was answered")
	}
}

func TestOfferTooLarge(t *testing.T) {
	ls := newLines()
	_, srv := serve(t, HandlerConfig{Answer: ls.answer, MaxOfferBytes: 4096})
	_, offer := pcmuOffer(t)
	big := offer + "a=x-padding:" + strings.Repeat("x", 4096) + "\r\n"
	resp, _ := post(t, srv.URL+"/calls", "application/sdp", "staff/a", big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("%s, want 413", resp.Status)
	}
}

func TestTooManyCalls(t *testing.T) {
	ls := newLines()
	h, srv := serve(t, HandlerConfig{Answer: ls.answer, MaxCalls: 1})
	_, first := pcmuOffer(t)
	resp, answer := post(t, srv.URL+"/calls", "application/sdp", "staff/a", first)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(answer, "m=audio") {
		t.Fatalf("first offer: %s", resp.Status)
	}
	loc := resp.Header.Get("Location")
	_, second := pcmuOffer(t)
	resp, _ = post(t, srv.URL+"/calls", "application/sdp", "staff/b", second)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second offer: %s (Retry-After %q), want 503", resp.Status, resp.Header.Get("Retry-After"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer()}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Dial with no slot free: %v, want the 503", err)
	}
	if code := del(t, srv.URL+loc, "staff/a"); code != http.StatusOK {
		t.Fatalf("DELETE: %d", code)
	}
	if h.Active() != 0 {
		t.Fatalf("%d active after DELETE", h.Active())
	}
	resp, _ = post(t, srv.URL+"/calls", "application/sdp", "staff/b", second)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("offer after a slot freed: %s", resp.Status)
	}
}

func TestMethods(t *testing.T) {
	ls := newLines()
	_, srv := serve(t, HandlerConfig{Answer: ls.answer})
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/calls/abc", strings.NewReader("a=candidate:1 1 udp 1 127.0.0.1 9 typ host"))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, DELETE" {
		t.Fatalf("PATCH: %s, Allow %q; want 405 (no trickle ICE)", resp.Status, resp.Header.Get("Allow"))
	}
	if code := del(t, srv.URL+"/calls/0123456789abcdef0123456789abcdef", "staff/a"); code != http.StatusNotFound {
		t.Fatalf("DELETE of no call: %d, want 404", code)
	}
}

// TestDeleteEndsTheCall connects a call, then deletes its session: the
// line the receptionist holds must end, as a hangup by the caller. A
// DELETE by someone else must not.
func TestDeleteEndsTheCall(t *testing.T) {
	ls := newLines()
	h, srv := serve(t, HandlerConfig{Answer: ls.answer})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var loc string
	client := &http.Client{Transport: recordLocation{&loc, http.DefaultTransport}}
	c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer(), Client: client, Header: http.Header{userHeader: {"staff/a"}}})
	if err != nil {
		t.Fatal(err)
	}
	line := ls.next(t)
	if line.Transport() != "webrtc" || line.ID() == "" || !strings.HasSuffix(loc, "/calls/"+line.ID()) {
		t.Fatalf("line %q over %q at %q", line.ID(), line.Transport(), loc)
	}
	if ls.from[0] != "staff/a" {
		t.Fatalf("from %q", ls.from[0])
	}
	if code := del(t, srv.URL+loc, "staff/b"); code != http.StatusNotFound {
		t.Fatalf("DELETE by another user: %d, want 404", code)
	}
	select {
	case <-line.Done():
		t.Fatal("another user's DELETE ended the call")
	default:
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-line.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("DELETE did not end the call")
	}
	if r := line.EndReason(); r != EndRemoteHangup {
		t.Fatalf("end reason %q, want %q", r, EndRemoteHangup)
	}
	if !eventually(5*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatalf("%d calls active", h.Active())
	}
	if code := del(t, srv.URL+loc, "staff/a"); code != http.StatusNotFound {
		t.Fatalf("second DELETE: %d, want 404", code)
	}
	if _, err := line.Media().ReadRTP(); err == nil {
		t.Fatal("media still reads after the call ended")
	}
}

// recordLocation keeps the Location of a 201.
type recordLocation struct {
	loc *string
	rt  http.RoundTripper
}

func (r recordLocation) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusCreated {
		*r.loc = resp.Header.Get("Location")
	}
	return resp, err
}

// TestReceptionistHangsUp ends the call from the appliance's side: the
// browser's peer connection must see it.
func TestReceptionistHangsUp(t *testing.T) {
	h, srv := serve(t, HandlerConfig{Answer: func(ctx context.Context, line call.Line, from string) {
		time.Sleep(200 * time.Millisecond)
		line.Hangup()
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the caller did not see the hangup")
	}
	if r := c.EndReason(); r != EndRemoteHangup {
		t.Fatalf("caller's end reason %q, want %q", r, EndRemoteHangup)
	}
	if !eventually(5*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatalf("%d calls active", h.Active())
	}
}

// TestConnectTimeout answers an offer whose peer never connects: the call
// must end on its own, without ever reaching Answer.
func TestConnectTimeout(t *testing.T) {
	ls := newLines()
	h, srv := serve(t, HandlerConfig{Answer: ls.answer, Peer: Config{ConnectTimeout: 300 * time.Millisecond}})
	_, offer := pcmuOffer(t)
	resp, _ := post(t, srv.URL+"/calls", "application/sdp", "staff/a", offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("offer: %s", resp.Status)
	}
	if h.Active() != 1 {
		t.Fatalf("%d active after the answer, want 1", h.Active())
	}
	if !eventually(10*time.Second, func() bool { return h.Active() == 0 }) {
		t.Fatal("the call that never connected is still active")
	}
	if code := del(t, srv.URL+resp.Header.Get("Location"), "staff/a"); code != http.StatusNotFound {
		t.Fatalf("DELETE after the timeout: %d, want 404", code)
	}
	if ls.count() != 0 {
		t.Fatal("a call that never connected was answered")
	}
}

func TestTransfer(t *testing.T) {
	ls := newLines()
	_, srv := serve(t, HandlerConfig{Answer: ls.answer})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup()
	if err := ls.next(t).Transfer(ctx, "sip:staff@clinic.invalid"); !errors.Is(err, ErrNoTransfer) {
		t.Fatalf("transfer without a bridge: %v, want ErrNoTransfer", err)
	}

	var got string
	bridged := errors.New("bridged")
	ls2 := newLines()
	_, srv2 := serve(t, HandlerConfig{Answer: ls2.answer, Transfer: func(ctx context.Context, line call.Line, target string) error {
		got = line.ID() + " " + target
		return bridged
	}})
	c2, err := Dial(ctx, srv2.URL+"/calls", DialOptions{Peer: loopbackPeer()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Hangup()
	line := ls2.next(t)
	if err := line.Transfer(ctx, "sip:staff@clinic.invalid"); err != bridged || got != line.ID()+" sip:staff@clinic.invalid" {
		t.Fatalf("transfer: %v, the function saw %q", err, got)
	}
}

// TestLocationUnderStripPrefix mounts the handler below a prefix: the
// Location must still be the full path.
func TestLocationUnderStripPrefix(t *testing.T) {
	h, err := NewHandler(HandlerConfig{Peer: loopbackPeer(), Answer: newLines().answer})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(http.StripPrefix("/v1/workspaces/clinic", h))
	defer srv.Close()
	_, offer := pcmuOffer(t)
	resp, _ := post(t, srv.URL+"/v1/workspaces/clinic/calls", "application/sdp", "", offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("offer: %s", resp.Status)
	}
	loc := resp.Header.Get("Location")
	if !regexp.MustCompile(`^/v1/workspaces/clinic/calls/[0-9a-f]{32}$`).MatchString(loc) {
		t.Fatalf("Location %q", loc)
	}
	if resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if code := del(t, srv.URL+loc, ""); code != http.StatusOK {
		t.Fatalf("DELETE: %d", code)
	}
}

// TestCloseEndsEverything closes the handler with calls in progress: the
// calls end, Answer returns, and no goroutine is left behind.
func TestCloseEndsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	ls := newLines()
	h, err := NewHandler(HandlerConfig{Peer: loopbackPeer(), Answer: ls.answer})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	transport := &http.Transport{}
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls []*Call
	for range 2 {
		c, err := Dial(ctx, srv.URL+"/calls", DialOptions{Peer: loopbackPeer(), Client: client})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
		ls.next(t)
	}
	// One more offer that never connects.
	pc, offer := pcmuOffer(t)
	if resp, _ := post(t, srv.URL+"/calls", "application/sdp", "", offer); resp.StatusCode != http.StatusCreated {
		t.Fatalf("offer: %s", resp.Status)
	}
	if h.Active() != 3 {
		t.Fatalf("%d active, want 3", h.Active())
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if h.Active() != 0 {
		t.Fatalf("%d active after Close", h.Active())
	}
	for i, l := range ls.got {
		if r := l.(*Call).EndReason(); r != EndShutdown {
			t.Errorf("call %d ended with %q, want %q", i, r, EndShutdown)
		}
	}
	for _, c := range calls {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a caller did not see the shutdown")
		}
		c.Hangup()
	}
	resp, _ := post(t, srv.URL+"/calls", "application/sdp", "", offer)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("offer after Close: %s, want 503", resp.Status)
	}
	pc.GracefulClose()
	srv.Close()
	transport.CloseIdleConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if !eventually(10*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}
