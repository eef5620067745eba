package webrtc

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func getPage(t *testing.T, h http.Handler, method string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/call", nil))
	resp := rec.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestPagePolicy checks the call page against its own
// Content-Security-Policy: the inline script and style are admitted by
// their hashes, and nothing else is inline or fetched from elsewhere.
func TestPagePolicy(t *testing.T) {
	resp, body := getPage(t, PageHandler("/v1/workspaces/clinic/calls"), http.MethodGet)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("policy %q allows unsafe sources", csp)
	}
	for _, tag := range []string{"script", "style"} {
		m := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(body, -1)
		if len(m) != 1 {
			t.Fatalf("%d <%s> elements, want 1", len(m), tag)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		src := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, tag+"-src "+src) {
			t.Errorf("policy %q does not admit the page's %s (%s)", csp, tag, src)
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|javascript:|\ssrc\s*=|<link|https?://`).FindString(body); m != "" {
		t.Errorf("the page has %q: inline handlers, inline styles or external resources", m)
	}
	for _, want := range []string{`content="/v1/workspaces/clinic/calls"`, "Call the receptionist", "insertDTMF", "credentials: 'same-origin'", "autostart", `data-key="#"`, `data-key="*"`, `data-key="0"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, h := range []string{"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Cache-Control"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
}

func TestPageEscapesURL(t *testing.T) {
	_, body := getPage(t, PageHandler(`/calls"><script>alert(1)</script>`), http.MethodGet)
	if strings.Contains(body, `"><script>alert`) || !strings.Contains(body, "&#34;&gt;&lt;script&gt;") {
		t.Fatal("the WHIP URL is not escaped in the page")
	}
	resp, _ := getPage(t, PageHandler("https://appliance.clinic.invalid:8443/v1/calls"), http.MethodGet)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://appliance.clinic.invalid:8443;") {
		t.Fatalf("policy %q does not admit the WHIP origin", csp)
	}
}

func TestPageMethods(t *testing.T) {
	resp, body := getPage(t, PageHandler("/calls"), http.MethodHead)
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("HEAD: %s, %d bytes", resp.Status, len(body))
	}
	resp, _ = getPage(t, PageHandler("/calls"), http.MethodPost)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %s, want 405", resp.Status)
	}
}
