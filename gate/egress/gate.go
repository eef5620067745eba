package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"frontdesk/gate/phi"
	"frontdesk/ledger"
)

// Errors callers can test for with errors.Is.
var (
	// ErrRefused reports a request the gate did not send. The more precise
	// errors below wrap it.
	ErrRefused = errors.New("egress refused")
	// ErrUnknownDestination reports a destination that is not configured.
	ErrUnknownDestination = fmt.Errorf("%w: unknown destination", ErrRefused)
	// ErrAudioRefused reports audio for a destination that is not baa.
	ErrAudioRefused = fmt.Errorf("%w: audio goes only to destinations of class baa", ErrRefused)
	// ErrFileRefused reports a file for a destination that is not baa.
	ErrFileRefused = fmt.Errorf("%w: files go only to destinations of class baa", ErrRefused)
	// ErrUnavailable reports a destination that did not answer, or kept
	// answering 429 or 5xx, within the attempts allowed.
	ErrUnavailable = errors.New("destination unavailable")
	// ErrResponseTooLarge reports a response body over the destination's
	// MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrNotRecorded reports an egress the ledger did not record.
	ErrNotRecorded = errors.New("egress not recorded in the ledger")
)

// Options configure New.
type Options struct {
	// Recorder returns the ledger of a workspace, or of the system for "".
	// Every egress and every change of destinations is recorded there.
	// Required.
	Recorder func(workspace string) (Recorder, error)
	// Secrets resolves the secrets named by destinations' Auth.
	Secrets SecretSource
	// Detector finds PHI; default phi.New(phi.Options{}).
	Detector *phi.Detector
	// Persist, when set, saves the configuration after each change; a
	// change it fails to save is not made.
	Persist func(Config) error
	// RootCAs, when set, replaces the system roots for https destinations.
	RootCAs *x509.CertPool
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
	// Sleep waits between attempts; default a timer that ctx can cancel.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Gate is the one way out of the appliance for data: it owns the program's
// only HTTP client. Its methods are safe for concurrent use.
type Gate struct {
	opts   Options
	client *http.Client

	mu    sync.RWMutex // guards dests; held for writing across Persist
	dests map[string]*destination
}

// destination is a validated Destination with its defaults and parsed URL.
type destination struct {
	Destination
	eff  Destination // with defaults
	base *url.URL
}

// New returns a gate for the destinations of cfg.
func New(cfg Config, opts Options) (*Gate, error) {
	if opts.Recorder == nil {
		return nil, errors.New("egress: a Recorder is required: every egress is recorded in a ledger")
	}
	if opts.Detector == nil {
		opts.Detector = phi.New(phi.Options{})
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if err := cfg.Validate(opts.Now()); err != nil {
		return nil, err
	}
	g := &Gate{opts: opts, dests: map[string]*destination{}}
	for _, d := range cfg.Destinations {
		g.dests[d.Name] = compile(d)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	g.client = &http.Client{
		Transport: &http.Transport{
			// No proxy from the environment: a proxy would be a destination
			// that is not in the list.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs},
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// Redirects are not followed: a 307 or 308 would send the payload
		// to an address that is not a configured destination.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return g, nil
}

// compile prepares a validated destination for use.
func compile(d Destination) *destination {
	d = d.clone()
	u, _ := url.Parse(d.BaseURL) // validated
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return &destination{Destination: d, eff: d.withDefaults(), base: u}
}

// Close releases the gate's idle connections.
func (g *Gate) Close() {
	g.client.CloseIdleConnections()
}

// Config returns the configured destinations, sorted by name.
func (g *Gate) Config() Config {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return sortedConfig(g.dests)
}

// Destination returns the destination called name.
func (g *Gate) Destination(name string) (Destination, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	d, ok := g.dests[name]
	if !ok {
		return Destination{}, false
	}
	return d.Destination.clone(), true
}

// PutDestination validates d, saves the configuration with d added or
// replacing the destination of the same name, and records the change in
// the system ledger as egress.destination-set by actor.
func (g *Gate) PutDestination(ctx context.Context, d Destination, actor string) error {
	if err := d.Validate(g.opts.Now()); err != nil {
		return err
	}
	err := g.change(ctx, actor, "egress.destination-set", d.Name, func(m map[string]*destination) error {
		if _, exists := m[d.Name]; !exists && len(m) >= maxDestinations {
			return fmt.Errorf("%w: at most %d destinations", ErrInvalidConfig, maxDestinations)
		}
		m[d.Name] = compile(d)
		return nil
	}, destinationAttrs(d))
	return err
}

// DeleteDestination removes the destination called name, saves the
// configuration and records the change as egress.destination-deleted.
func (g *Gate) DeleteDestination(ctx context.Context, name, actor string) error {
	return g.change(ctx, actor, "egress.destination-deleted", name, func(m map[string]*destination) error {
		if _, ok := m[name]; !ok {
			return fmt.Errorf("egress: delete %q: %w", name, ErrUnknownDestination)
		}
		delete(m, name)
		return nil
	}, map[string]string{"destination": name})
}

// change applies edit to a copy of the destinations, persists the result,
// installs it, and records the change in the system ledger.
func (g *Gate) change(ctx context.Context, actor, typ, name string, edit func(map[string]*destination) error, attrs map[string]string) error {
	rec, err := g.opts.Recorder("")
	if err != nil {
		return fmt.Errorf("egress: %s: system ledger: %w", typ, err)
	}
	g.mu.Lock()
	next := make(map[string]*destination, len(g.dests)+1)
	for k, v := range g.dests {
		next[k] = v
	}
	if err := edit(next); err != nil {
		g.mu.Unlock()
		return err
	}
	if g.opts.Persist != nil {
		if err := g.opts.Persist(sortedConfig(next)); err != nil {
			g.mu.Unlock()
			return fmt.Errorf("egress: save configuration: %w", err)
		}
	}
	g.dests = next
	g.mu.Unlock()
	if actor == "" {
		actor = "system"
	}
	_, err = rec.Append(ctx, ledger.Event{
		Entity: "destination/" + name, Type: typ, Source: ledger.SourceManual,
		Confidence: 1, Actor: actor, Attrs: attrs,
	})
	if err != nil {
		return fmt.Errorf("egress: %s %q was applied but %w: %w", typ, name, ErrNotRecorded, err)
	}
	return nil
}

// destinationAttrs describes d for the ledger: no secrets, only the name of
// the secret.
func destinationAttrs(d Destination) map[string]string {
	a := map[string]string{"destination": d.Name, "class": string(d.Class), "base_url": d.BaseURL}
	if d.BAA != nil {
		a["baa.signed_by"] = d.BAA.SignedBy
		a["baa.signed_at"] = d.BAA.SignedAt.UTC().Format(time.RFC3339)
		if d.BAA.Reference != "" {
			a["baa.reference"] = d.BAA.Reference
		}
	}
	if d.Auth != nil {
		a["auth.header"] = d.Auth.header()
		a["auth.secret"] = d.Auth.Secret
	}
	if len(d.Workspaces) > 0 {
		a["workspaces"] = strings.Join(d.Workspaces, ",")
	}
	return a
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
