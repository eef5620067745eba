package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// defaultNetworks are the sources trusted when neither AllowedNetworks nor
// Credentials is configured: loopback and private addresses, so that a fresh
// install answers the clinic's own PBX and nothing on the public internet.
var defaultNetworks = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
}

// allowList reports whether a source address belongs to a trusted network.
type allowList []netip.Prefix

func (l allowList) allows(hostport string) bool {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range l {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// authResult is the outcome of checking a request's digest credentials.
type authResult int

const (
	authOK      authResult = iota
	authMissing            // no credentials for our realm: challenge
	authStale              // valid credentials on an expired or reused nonce: challenge with stale=true
	authFailed             // wrong password, unknown user, or forged nonce
)

// digestAuth verifies RFC 2617 / RFC 8760 digest credentials (MD5 and
// SHA-256, qop=auth) with stateless nonces: a timestamp and its HMAC, so a
// nonce proves its own age and origin. Nonce counts are remembered per nonce
// (bounded) to refuse replays.
type digestAuth struct {
	realm  string
	users  map[string]string
	ttl    time.Duration
	proxy  bool
	secret [32]byte
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]uint64 // nonce → highest nonce count used
}

const maxSeenNonces = 8192

func newDigestAuth(realm string, users map[string]string, ttl time.Duration, proxy bool) *digestAuth {
	d := &digestAuth{realm: realm, users: users, ttl: ttl, proxy: proxy, now: time.Now, seen: make(map[string]uint64)}
	if _, err := rand.Read(d.secret[:]); err != nil {
		panic("sip: crypto/rand failed: " + err.Error())
	}
	return d
}

func (d *digestAuth) nonce() string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(d.now().UnixNano()))
	m := hmac.New(sha256.New, d.secret[:])
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkNonce reports whether nonce is one of ours and whether it is fresh.
func (d *digestAuth) checkNonce(nonce string) (ours, fresh bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false, false
	}
	m := hmac.New(sha256.New, d.secret[:])
	m.Write(b[:8])
	if !hmac.Equal(m.Sum(nil)[:16], b[8:]) {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	age := d.now().Sub(issued)
	return true, age >= 0 && age <= d.ttl
}

// challenge returns the header that asks for credentials.
func (d *digestAuth) challenge(stale bool) sip.Header {
	v := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, d.realm, d.nonce())
	if stale {
		v += ", stale=true"
	}
	if d.proxy {
		return sip.NewHeader("Proxy-Authenticate", v)
	}
	return sip.NewHeader("WWW-Authenticate", v)
}

func (d *digestAuth) statusCode() (int, string) {
	if d.proxy {
		return 407, "Proxy Authentication Required"
	}
	return 401, "Unauthorized"
}

// verify checks the request's credentials for our realm.
func (d *digestAuth) verify(req *sip.Request) authResult {
	name := "Authorization"
	if d.proxy {
		name = "Proxy-Authorization"
	}
	var params map[string]string
	for _, h := range req.GetHeaders(name) {
		p, ok := parseDigestParams(h.Value())
		if ok && p["realm"] == d.realm {
			params = p
			break
		}
	}
	if params == nil {
		return authMissing
	}
	user, nonce, uri, resp := params["username"], params["nonce"], params["uri"], params["response"]
	if user == "" || nonce == "" || uri == "" || resp == "" {
		return authFailed
	}
	ours, fresh := d.checkNonce(nonce)
	if !ours {
		// A nonce we never issued (or an old agent's): ask again rather
		// than fail, so a restarted agent does not lock peers out.
		return authMissing
	}
	var h func() hash.Hash
	switch strings.ToUpper(params["algorithm"]) {
	case "", "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	default:
		return authFailed
	}
	if !sameURI(uri, req.Recipient) {
		return authFailed
	}
	password, known := d.users[user]
	if !known {
		// Compute anyway so unknown users cost the same as wrong passwords.
		password = "\x00"
	}
	ha1 := hashHex(h, user+":"+d.realm+":"+password)
	ha2 := hashHex(h, string(req.Method)+":"+uri)
	var expected string
	qop := params["qop"]
	var nc uint64
	switch qop {
	case "":
		expected = hashHex(h, ha1+":"+nonce+":"+ha2)
	case "auth":
		cnonce, ncStr := params["cnonce"], params["nc"]
		n, err := parseNonceCount(ncStr)
		if cnonce == "" || err != nil {
			return authFailed
		}
		nc = n
		expected = hashHex(h, ha1+":"+nonce+":"+ncStr+":"+cnonce+":auth:"+ha2)
	default:
		return authFailed
	}
	if subtle.ConstantTimeCompare([]byte(expected), []byte(strings.ToLower(resp))) != 1 || !known {
		return authFailed
	}
	if !fresh {
		return authStale
	}
	if !d.useNonce(nonce, nc) {
		return authStale
	}
	return authOK
}

// useNonce records a use of nonce with count nc and reports whether it is
// new. Without qop (nc 0) a nonce may be used once.
func (d *digestAuth) useNonce(nonce string, nc uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	last, ok := d.seen[nonce]
	if ok && nc <= last {
		return false
	}
	if !ok && len(d.seen) >= maxSeenNonces {
		for k := range d.seen {
			if _, fresh := d.checkNonce(k); !fresh {
				delete(d.seen, k)
			}
		}
		if len(d.seen) >= maxSeenNonces {
			for k := range d.seen {
				delete(d.seen, k)
				break
			}
		}
	}
	d.seen[nonce] = nc
	return true
}

func parseNonceCount(s string) (uint64, error) {
	if len(s) != 8 {
		return 0, fmt.Errorf("nonce count must be 8 hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, err
	}
	return uint64(binary.BigEndian.Uint32(b)), nil
}

func hashHex(h func() hash.Hash, s string) string {
	x := h()
	x.Write([]byte(s))
	return hex.EncodeToString(x.Sum(nil))
}

// sameURI reports whether the digest-uri names the Request-URI. Peers
// differ in how they print the URI, so compare its parts.
func sameURI(digestURI string, ruri sip.Uri) bool {
	if digestURI == ruri.String() {
		return true
	}
	var u sip.Uri
	if err := sip.ParseUri(digestURI, &u); err != nil {
		return false
	}
	port := func(p int) int {
		if p == 0 {
			return 5060
		}
		return p
	}
	return strings.EqualFold(u.Scheme, ruri.Scheme) && u.User == ruri.User &&
		strings.EqualFold(u.Host, ruri.Host) && port(u.Port) == port(ruri.Port)
}

// parseDigestParams parses `Digest k=v, k="v", ...`.
func parseDigestParams(v string) (map[string]string, bool) {
	v = strings.TrimSpace(v)
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return nil, false
	}
	out := make(map[string]string)
	s := rest
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, false
			}
			val, s = b.String(), s[i:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		out[key] = val
	}
	return out, true
}
