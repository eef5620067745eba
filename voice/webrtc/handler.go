package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"sync"

	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"

	"frontdesk/voice/call"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Peer is how peer connections gather candidates and time out.
	Peer Config
	// Answer runs each call once it has connected, in a goroutine of its
	// own, and returns when the call is over; the call is hung up then if
	// it has not been. from is the caller as Identity named them.
	// Usually a Switchboard's Answer with the "to" filled in. Required.
	Answer func(ctx context.Context, line call.Line, from string)
	// Identity names the authenticated user behind a request; the API
	// layer authenticates before the handler runs. A session may be
	// deleted only with the identity that created it. Nil: "".
	Identity func(r *http.Request) string
	// Transfer, when set, is what Line.Transfer does for browser calls
	// (usually a Switchboard's BridgeTransfer, which relays the call to the
	// staff line over SIP); without it Transfer returns ErrNoTransfer.
	Transfer func(ctx context.Context, line call.Line, target string) error
	// MaxCalls bounds the calls in progress or being set up (default 8);
	// beyond it offers get 503.
	MaxCalls int
	// MaxOfferBytes bounds an offer's size (default 64 KiB); a larger one
	// gets 413.
	MaxOfferBytes int64
}

const (
	defaultMaxCalls      = 8
	defaultMaxOfferBytes = 64 << 10
	// maxMediaSections bounds the m= lines of an offer: a call page
	// offers one; browsers add none unasked.
	maxMediaSections = 4
	// retryAfter is the Retry-After, in seconds, of a 503.
	retryAfter = 5
)

// Handler is the WHIP-style endpoint for browser calls. A POST of an SDP
// offer (Content-Type application/sdp) answers 201 Created with the SDP
// answer and the Location of the session; a DELETE of that Location hangs
// up. Trickle ICE and ICE restarts are not supported (PATCH gets 405):
// both offer and answer carry all their candidates.
//
// Mount it at a path of the API (which authenticates first) for POST, and
// at that path plus one segment for DELETE. Errors are short plain-text
// messages that never echo the offer: it holds IP addresses.
type Handler struct {
	cfg HandlerConfig
	api *pion.API

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*session
	pending  int
	closed   bool
	wg       sync.WaitGroup // offers being answered, and Answer goroutines
}

// session is one call the handler placed in progress.
type session struct {
	call  *Call
	owner string
}

// NewHandler returns a handler for cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Answer == nil {
		return nil, errors.New("webrtc: handler: an Answer function is required")
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = defaultMaxCalls
	}
	if cfg.MaxOfferBytes <= 0 {
		cfg.MaxOfferBytes = defaultMaxOfferBytes
	}
	cfg.Peer.defaults()
	api, err := newAPI(cfg.Peer)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, api: api, sessions: map[string]*session{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h, nil
}

// ServeHTTP serves POST (a new call) and DELETE (hang up).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.offer(w, r)
	case http.MethodDelete:
		h.hangup(w, r)
	default:
		w.Header().Set("Allow", "POST, DELETE")
		fail(w, http.StatusMethodNotAllowed, "use POST to place a call and DELETE to end it; trickle ICE is not supported")
	}
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// errBadOffer marks an offer the handler cannot answer: the client's fault.
var errBadOffer = errors.New("webrtc: bad offer")

func (h *Handler) offer(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/sdp" {
		w.Header().Set("Accept-Post", "application/sdp")
		fail(w, http.StatusUnsupportedMediaType, "the offer must be sent as application/sdp")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxOfferBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "the offer is too large")
			return
		}
		fail(w, http.StatusBadRequest, "the offer could not be read")
		return
	}
	if err := checkOffer(body); err != nil {
		fail(w, http.StatusBadRequest, "the offer is not an SDP offer with audio")
		return
	}
	if !h.reserve() {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		fail(w, http.StatusServiceUnavailable, "too many calls in progress; try again shortly")
		return
	}
	defer h.wg.Done()
	from := ""
	if h.cfg.Identity != nil {
		from = h.cfg.Identity(r)
	}
	c, answer, err := h.accept(r.Context(), string(body), from)
	if err != nil {
		h.release()
		if errors.Is(err, errBadOffer) {
			fail(w, http.StatusBadRequest, "the offer could not be answered: it needs audio with PCMU, ICE credentials and a DTLS fingerprint")
			return
		}
		if r.Context().Err() != nil {
			return
		}
		fail(w, http.StatusInternalServerError, "the call could not be set up")
		return
	}
	h.mu.Lock()
	h.pending--
	if h.closed {
		h.mu.Unlock()
		c.end(EndShutdown)
		<-c.closed
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		fail(w, http.StatusServiceUnavailable, "the receptionist is shutting down")
		return
	}
	h.sessions[c.id] = &session{call: c, owner: from}
	h.mu.Unlock()
	c.startTimer(h.cfg.Peer.ConnectTimeout)

	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", resourcePath(r, c.id))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// reserve takes a call slot for an offer being answered; the offer is
// counted in wg until it returns.
func (h *Handler) reserve() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.sessions)+h.pending >= h.cfg.MaxCalls {
		return false
	}
	h.pending++
	h.wg.Add(1)
	return true
}

func (h *Handler) release() {
	h.mu.Lock()
	h.pending--
	h.mu.Unlock()
}

// checkOffer parses an offer enough to refuse nonsense before pion sees
// it: SDP with at least one audio section and few sections in all.
func checkOffer(b []byte) error {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		return fmt.Errorf("%w: %v", errBadOffer, err)
	}
	if len(sd.MediaDescriptions) > maxMediaSections {
		return fmt.Errorf("%w: %d media sections", errBadOffer, len(sd.MediaDescriptions))
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" {
			return nil
		}
	}
	return fmt.Errorf("%w: no audio", errBadOffer)
}

// accept answers an offer: a new peer connection, the remote description,
// our audio track, and the answer once candidates are gathered.
func (h *Handler) accept(ctx context.Context, offer, from string) (*Call, string, error) {
	c, err := newCall(h.api, from)
	if err != nil {
		return nil, "", err
	}
	// The browser cannot connect before it has the answer, and nothing
	// else ends the call before the handler has registered it.
	c.transfer = h.cfg.Transfer
	c.onConnect = func() { h.run(c) }
	c.onClosed = func() {
		h.mu.Lock()
		delete(h.sessions, c.id)
		h.mu.Unlock()
	}
	abandon := func(err error) (*Call, string, error) {
		c.end(EndHangup)
		<-c.closed
		return nil, "", err
	}
	if err := c.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return abandon(fmt.Errorf("%w: %v", errBadOffer, err))
	}
	if err := c.addTrack(); err != nil {
		return abandon(fmt.Errorf("%w: %v", errBadOffer, err))
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return abandon(fmt.Errorf("%w: %v", errBadOffer, err))
	}
	gathered := pion.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return abandon(fmt.Errorf("webrtc: answer: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return abandon(ctx.Err())
	}
	local := c.pc.LocalDescription()
	if local == nil {
		return abandon(errors.New("webrtc: no local description"))
	}
	codec, err := codecFromSDP(local.SDP)
	if err != nil {
		return abandon(fmt.Errorf("%w: %v", errBadOffer, err))
	}
	c.media.codec = codec
	return c, local.SDP, nil
}

// run hands a connected call to Answer.
func (h *Handler) run(c *Call) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.end(EndShutdown)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		h.cfg.Answer(h.ctx, c, c.from)
		if c.isBridged() {
			// The bridge hangs up; the handler's shutdown ends it too.
			select {
			case <-c.done:
			case <-h.ctx.Done():
			}
		}
		c.Hangup()
	}()
}

// resourcePath is the Location of a session: the path the offer was
// posted to plus the call's ID. It is taken from the request line, so a
// handler mounted under http.StripPrefix still names the full path.
func resourcePath(r *http.Request, id string) string {
	p := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Path != "" {
		p = u.Path
	}
	return path.Join(p, id)
}

// hangup ends the session named by the last segment of the path.
func (h *Handler) hangup(w http.ResponseWriter, r *http.Request) {
	id := path.Base(r.URL.Path)
	h.mu.Lock()
	s := h.sessions[id]
	h.mu.Unlock()
	if s == nil || (h.cfg.Identity != nil && h.cfg.Identity(r) != s.owner) {
		fail(w, http.StatusNotFound, "no such call")
		return
	}
	s.call.end(EndRemoteHangup)
	<-s.call.closed
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// Active is the number of calls in progress or being set up.
func (h *Handler) Active() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions) + h.pending
}

// Close refuses new calls, ends those in progress and waits for their
// Answer functions to return and their peer connections to close.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	calls := make([]*Call, 0, len(h.sessions))
	for _, s := range h.sessions {
		calls = append(calls, s.call)
	}
	h.mu.Unlock()
	h.cancel()
	for _, c := range calls {
		c.end(EndShutdown)
	}
	for _, c := range calls {
		<-c.closed
	}
	h.wg.Wait()
	return nil
}
