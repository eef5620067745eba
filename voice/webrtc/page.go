package webrtc

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"strings"
)

//go:embed page.html
var pageTemplate string

// PageHandler serves the call page: one button to call the receptionist
// and hang up, a keypad that sends keys as RFC 4733 events
// (RTCDTMFSender), a status line and the receptionist's voice. The page
// posts its offer to whipURL (relative to the page, or absolute) with the
// browser's session cookie, or with an API key typed into it as a bearer
// token. ?autostart=1 places the call on load, and ?keys=DIGITS presses
// those keys once connected: for line checks and tests.
//
// The page is one embedded file with no external resources; it is served
// with a Content-Security-Policy that admits only its own script and
// style (by hash) and requests to the page's origin and whipURL's.
func PageHandler(whipURL string) http.Handler {
	body := []byte(strings.Replace(pageTemplate, "{{WHIP_URL}}", html.EscapeString(whipURL), 1))
	csp := pagePolicy(whipURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fail(w, http.StatusMethodNotAllowed, "the call page is read with GET")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}

// pagePolicy is the page's Content-Security-Policy: nothing but its own
// inline script and style, each admitted by its SHA-256, and fetches to
// its origin (and whipURL's, when that is another).
func pagePolicy(whipURL string) string {
	connect := "'self'"
	if u, err := url.Parse(whipURL); err == nil && u.IsAbs() && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src " + inlineHash(pageTemplate, "<script>", "</script>"),
		"style-src " + inlineHash(pageTemplate, "<style>", "</style>"),
		"connect-src " + connect,
		"media-src 'self' blob:",
		"img-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// inlineHash is the CSP source for the text between open and close in
// page: 'sha256-…'.
func inlineHash(page, open, close string) string {
	_, rest, ok := strings.Cut(page, open)
	if !ok {
		return "'none'"
	}
	text, _, ok := strings.Cut(rest, close)
	if !ok {
		return "'none'"
	}
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
