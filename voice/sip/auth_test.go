package sip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func authRequest(t *testing.T, d *digestAuth, algorithm, user, password string, nc int, mutate func(*digest.Challenge)) (*sip.Request, *digest.Challenge) {
	t.Helper()
	chal, err := digest.ParseChallenge(d.challenge(false).Value())
	if err != nil {
		t.Fatal(err)
	}
	chal.Algorithm = algorithm
	if mutate != nil {
		mutate(chal)
	}
	ruri := sip.Uri{Scheme: "sip", User: "reception", Host: "192.0.2.1", Port: 5060}
	cred, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: ruri.String(), Username: user, Password: password, Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.INVITE, ruri)
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	return req, chal
}

func TestDigestVerify(t *testing.T) {
	d := newDigestAuth("frontdesk", map[string]string{"pbx": "s3cret pass"}, time.Minute, false)
	for _, alg := range []string{"MD5", "SHA-256"} {
		req, _ := authRequest(t, d, alg, "pbx", "s3cret pass", 1, nil)
		if got := d.verify(req); got != authOK {
			t.Errorf("%s: verify = %v, want ok", alg, got)
		}
		if got := d.verify(req); got != authStale {
			t.Errorf("%s replayed: verify = %v, want stale", alg, got)
		}
	}
	if req, _ := authRequest(t, d, "MD5", "pbx", "wrong", 1, nil); d.verify(req) != authFailed {
		t.Error("wrong password accepted")
	}
	if req, _ := authRequest(t, d, "MD5", "intruder", "s3cret pass", 1, nil); d.verify(req) != authFailed {
		t.Error("unknown user accepted")
	}
	if req, _ := authRequest(t, d, "MD5", "pbx", "s3cret pass", 1, func(c *digest.Challenge) { c.Nonce = "forged" }); d.verify(req) != authMissing {
		t.Error("forged nonce not re-challenged")
	}
	if req, _ := authRequest(t, d, "MD5", "pbx", "s3cret pass", 1, func(c *digest.Challenge) { c.Realm = "elsewhere" }); d.verify(req) != authMissing {
		t.Error("credentials for another realm not re-challenged")
	}
	if req, _ := authRequest(t, d, "MD5", "pbx", "s3cret pass", 1, func(c *digest.Challenge) { c.QOP = nil }); d.verify(req) != authOK {
		t.Error("RFC 2069 digest without qop refused")
	}
	req, _ := authRequest(t, d, "MD5", "pbx", "s3cret pass", 1, nil)
	req.Recipient.User = "someone-else"
	if d.verify(req) != authFailed {
		t.Error("credentials for another Request-URI accepted")
	}
	if d.verify(sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "x"})) != authMissing {
		t.Error("request without credentials not challenged")
	}

	// An expired nonce with the right password earns stale=true.
	req, _ = authRequest(t, d, "MD5", "pbx", "s3cret pass", 1, nil)
	d.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if got := d.verify(req); got != authStale {
		t.Errorf("expired nonce: verify = %v, want stale", got)
	}
	if !strings.Contains(d.challenge(true).Value(), "stale=true") {
		t.Error("stale challenge lacks stale=true")
	}
}

func TestDigestProxyHeaders(t *testing.T) {
	d := newDigestAuth("frontdesk", map[string]string{"pbx": "pw"}, time.Minute, true)
	if h := d.challenge(false); h.Name() != "Proxy-Authenticate" {
		t.Errorf("challenge header %q", h.Name())
	}
	if code, _ := d.statusCode(); code != 407 {
		t.Errorf("status %d", code)
	}
}

func TestAllowList(t *testing.T) {
	l := allowList{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for addr, want := range map[string]bool{
		"10.1.2.3:5060": true, "11.1.2.3:5060": false, "[fd00::1]:5060": true,
		"[::ffff:10.0.0.1]:5060": true, "garbage": false,
	} {
		if got := l.allows(addr); got != want {
			t.Errorf("allows(%s) = %v", addr, got)
		}
	}
}

func TestParseDigestParams(t *testing.T) {
	p, ok := parseDigestParams(`Digest username="a\"b", realm="r", nc=00000001, qop=auth, uri="sip:x@y"`)
	if !ok || p["username"] != `a"b` || p["nc"] != "00000001" || p["qop"] != "auth" || p["uri"] != "sip:x@y" {
		t.Errorf("parsed %v %v", p, ok)
	}
	for _, bad := range []string{`Basic abc`, `Digest username="open`, `Digest realm="a", realm="b"`, `Digest =x`} {
		if _, ok := parseDigestParams(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}
