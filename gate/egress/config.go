package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Defaults of a destination's settings, used where a setting is zero.
const (
	// DefaultTimeout bounds one attempt.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxAttempts bounds the attempts of a retryable request.
	DefaultMaxAttempts = 3
	// DefaultRetryBase is the first backoff delay.
	DefaultRetryBase = 250 * time.Millisecond
	// DefaultMaxResponseBytes bounds a response body.
	DefaultMaxResponseBytes = 16 << 20
)

// Bounds of a destination's settings and of the configuration.
const (
	maxTimeout          = 10 * time.Minute
	maxAttempts         = 10
	maxResponseBytes    = 256 << 20
	maxBackoff          = 10 * time.Second
	maxRetryAfter       = 60 * time.Second
	maxDestinations     = 256
	maxWorkspacesPerDst = 256
)

// ErrInvalidConfig reports a destination or configuration that the gate
// refuses to load.
var ErrInvalidConfig = errors.New("invalid egress configuration")

// Config is the gate's configuration: the destinations data may go to. It
// is what the configuration file holds and what the persistence hook saves.
type Config struct {
	Destinations []Destination `json:"destinations"`
}

// Destination is one place outside the box that may receive data.
type Destination struct {
	// Name identifies the destination in requests, e.g. "openai".
	Name string `json:"name"`
	// Class says what the destination may receive.
	Class Class `json:"class"`
	// BaseURL is the prefix of every request's URL: https, or http for a
	// loopback host only.
	BaseURL string `json:"base_url"`
	// BAA records the Business Associate Agreement; required for ClassBAA.
	BAA *BAA `json:"baa,omitempty"`
	// Auth, when set, names the secret sent in a header of every request.
	Auth *Auth `json:"auth,omitempty"`
	// Workspaces, when not empty, are the only workspaces whose data may go
	// to this destination; requests recorded in the system ledger count as
	// workspace "system".
	Workspaces []string `json:"workspaces,omitempty"`
	// Timeout bounds one attempt, response body included (default 30s).
	Timeout Duration `json:"timeout,omitempty"`
	// MaxAttempts bounds the attempts of a retryable request (default 3).
	MaxAttempts int `json:"max_attempts,omitempty"`
	// RetryBase is the first backoff delay; each retry doubles it, with
	// jitter, up to 10s (default 250ms).
	RetryBase Duration `json:"retry_base,omitempty"`
	// MaxResponseBytes bounds a response body (default 16 MiB).
	MaxResponseBytes int64 `json:"max_response_bytes,omitempty"`
}

// BAA records who signed a Business Associate Agreement with a destination's
// operator, and when.
type BAA struct {
	// SignedBy names the signatory for the clinic.
	SignedBy string `json:"signed_by"`
	// SignedAt is when the agreement was signed.
	SignedAt time.Time `json:"signed_at"`
	// Reference locates the signed document (contract number, file name).
	Reference string `json:"reference,omitempty"`
}

// Auth says how a destination authenticates the appliance: the value of
// Header is Scheme, a space, and the secret named Secret. The secret's value
// is resolved through a SecretSource at each request and never stored in the
// configuration, logged or returned.
type Auth struct {
	// Header is the header name (default "Authorization").
	Header string `json:"header,omitempty"`
	// Scheme precedes the secret, e.g. "Bearer"; empty sends the secret alone.
	Scheme string `json:"scheme,omitempty"`
	// Secret names the secret in the SecretSource.
	Secret string `json:"secret"`
}

// Duration is a time.Duration written in JSON as a Go duration string ("30s").
type Duration time.Duration

// MarshalText writes the duration as "30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration such as "30s" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("egress: duration %q: want a value such as 30s", string(b))
	}
	*d = Duration(v)
	return nil
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	headerRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
	secretRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$`)
	schemeRE = regexp.MustCompile(`^[A-Za-z0-9._-]{0,32}$`)
)

// reservedHeaders may be set only by the gate itself.
var reservedHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Host": true,
	"Content-Length": true, "Content-Type": true, "Transfer-Encoding": true, "Connection": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Expect": true, "Forwarded": true,
	"X-Forwarded-For": true, "Keep-Alive": true, "Proxy-Connection": true,
}

// Validate reports the first problem with c: a destination that fails
// Destination.Validate, or two destinations with one name.
func (c Config) Validate(now time.Time) error {
	if len(c.Destinations) > maxDestinations {
		return fmt.Errorf("%w: %d destinations; at most %d", ErrInvalidConfig, len(c.Destinations), maxDestinations)
	}
	seen := map[string]bool{}
	for _, d := range c.Destinations {
		if err := d.Validate(now); err != nil {
			return err
		}
		if seen[d.Name] {
			return fmt.Errorf("%w: destination %q is listed twice", ErrInvalidConfig, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// Validate reports what is wrong with d, if anything: its name, class, base
// URL (https, or http to a loopback host; no credentials, query or
// fragment), BAA (required for ClassBAA, signed by someone, not in the
// future), auth header and secret names, and limits.
func (d Destination) Validate(now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: destination %q: "+format, append([]any{ErrInvalidConfig, d.Name}, args...)...)
	}
	if !nameRE.MatchString(d.Name) {
		return fmt.Errorf("%w: destination name %q: use 1-63 characters a-z, 0-9, '.', '_' or '-'", ErrInvalidConfig, d.Name)
	}
	if !d.Class.Valid() {
		return bad("unknown class %q (want baa, redacted or ids-only)", string(d.Class))
	}
	if err := checkBaseURL(d.BaseURL); err != nil {
		return bad("%v", err)
	}
	if d.Class == ClassBAA {
		if d.BAA == nil {
			return bad("class baa needs the BAA: who signed it and when")
		}
	}
	if d.BAA != nil {
		if strings.TrimSpace(d.BAA.SignedBy) == "" || len(d.BAA.SignedBy) > 256 {
			return bad("baa.signed_by must name the signatory (at most 256 bytes)")
		}
		if d.BAA.SignedAt.IsZero() {
			return bad("baa.signed_at is required")
		}
		if d.BAA.SignedAt.After(now.Add(24 * time.Hour)) {
			return bad("baa.signed_at is in the future")
		}
		if len(d.BAA.Reference) > 256 {
			return bad("baa.reference is longer than 256 bytes")
		}
		for _, s := range []string{d.BAA.SignedBy, d.BAA.Reference} {
			if strings.ContainsAny(s, "\x00\r\n") {
				return bad("baa fields may not contain control characters")
			}
		}
	}
	if d.Auth != nil {
		h := d.Auth.header()
		if !headerRE.MatchString(h) {
			return bad("auth.header %q is not a header name", h)
		}
		if c := http.CanonicalHeaderKey(h); reservedHeaders[c] && c != "Authorization" && c != "Proxy-Authorization" {
			return bad("auth.header %q is reserved", h)
		}
		if !schemeRE.MatchString(d.Auth.Scheme) {
			return bad("auth.scheme %q: use letters, digits, '.', '_' or '-'", d.Auth.Scheme)
		}
		if !secretRE.MatchString(d.Auth.Secret) {
			return bad("auth.secret must name a secret (letters, digits, '.', '_', '/', '-')")
		}
	}
	if len(d.Workspaces) > maxWorkspacesPerDst {
		return bad("%d workspaces; at most %d", len(d.Workspaces), maxWorkspacesPerDst)
	}
	for _, w := range d.Workspaces {
		if !nameRE.MatchString(w) {
			return bad("workspace %q is not a workspace ID", w)
		}
	}
	if d.Timeout < 0 || time.Duration(d.Timeout) > maxTimeout {
		return bad("timeout %v is outside 0..%v", time.Duration(d.Timeout), maxTimeout)
	}
	if d.MaxAttempts < 0 || d.MaxAttempts > maxAttempts {
		return bad("max_attempts %d is outside 0..%d", d.MaxAttempts, maxAttempts)
	}
	if d.RetryBase < 0 || time.Duration(d.RetryBase) > maxBackoff {
		return bad("retry_base %v is outside 0..%v", time.Duration(d.RetryBase), maxBackoff)
	}
	if d.MaxResponseBytes < 0 || d.MaxResponseBytes > maxResponseBytes {
		return bad("max_response_bytes %d is outside 0..%d", d.MaxResponseBytes, maxResponseBytes)
	}
	return nil
}

// checkBaseURL accepts an absolute https URL, or an http URL whose host is
// loopback, without credentials, query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("base_url is not a URL")
	}
	if u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("base_url %q is not an absolute URL", s)
	}
	if u.User != nil {
		return fmt.Errorf("base_url may not hold credentials; use auth with a named secret")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("base_url %q may not have a query or fragment", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("base_url %q: plain http is allowed only to a loopback host; use https", s)
		}
	default:
		return fmt.Errorf("base_url %q: scheme must be https (or http to a loopback host)", s)
	}
	return nil
}

// loopbackHost reports whether host is "localhost" or a loopback IP literal.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// header returns the header that carries the secret.
func (a *Auth) header() string {
	if a.Header == "" {
		return "Authorization"
	}
	return a.Header
}

// withDefaults fills the zero settings of d.
func (d Destination) withDefaults() Destination {
	if d.Timeout == 0 {
		d.Timeout = Duration(DefaultTimeout)
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	if d.RetryBase == 0 {
		d.RetryBase = Duration(DefaultRetryBase)
	}
	if d.MaxResponseBytes == 0 {
		d.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return d
}

// allows reports whether data of workspace ws may go to d.
func (d *Destination) allows(ws string) bool {
	if len(d.Workspaces) == 0 {
		return true
	}
	for _, w := range d.Workspaces {
		if w == ws {
			return true
		}
	}
	return false
}

// clone returns a deep copy of d, so callers cannot alter the gate's state.
func (d Destination) clone() Destination {
	if d.BAA != nil {
		b := *d.BAA
		d.BAA = &b
	}
	if d.Auth != nil {
		a := *d.Auth
		d.Auth = &a
	}
	d.Workspaces = append([]string(nil), d.Workspaces...)
	return d
}

// sortedConfig returns the destinations of m as a Config sorted by name.
func sortedConfig(m map[string]*destination) Config {
	c := Config{Destinations: make([]Destination, 0, len(m))}
	for _, d := range m {
		c.Destinations = append(c.Destinations, d.Destination.clone())
	}
	sort.Slice(c.Destinations, func(i, j int) bool { return c.Destinations[i].Name < c.Destinations[j].Name })
	return c
}
