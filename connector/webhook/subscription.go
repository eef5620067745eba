package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// Subscription sends the events of some types to one egress destination.
type Subscription struct {
	// ID names the subscription (wh_…); its entity is webhook/<ID>.
	ID string `json:"id"`
	// Destination names the egress destination (its base URL); the
	// destination's class decides what the payload may carry.
	Destination string `json:"destination"`
	// Path is appended to the destination's base URL.
	Path string `json:"path,omitempty"`
	// Types are event types: ledger types (review.opened), patterns
	// (call.*, *), or the names in Aliases.
	Types []string `json:"types"`
	// IncludePHI adds the event's PHI values to the payload; only for
	// destinations of class baa.
	IncludePHI bool `json:"include_phi,omitempty"`
	// Created and CreatedBy record the subscription.
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// Aliases name the event types clinics ask for by what they mean. A
// subscription to an alias receives the ledger events listed; the payload
// carries the ledger type.
var Aliases = map[string][]string{
	"review.item-created": {"review.opened"},
	"monitor.hit":         {"monitor.hit"},
	"call.ended":          {"call.ended"},
	"ehr.sync-failed":     {"ehr.rejected", "ehr.sync-failed"},
	"breakglass.used":     {"breakglass.opened"},
	"verification.failed": {"call.verification-locked"},
	// A full verification of the workspace's ledger found damage.
	"ledger.verification-failed": {"integrity.verification-failed"},
}

// Event types recorded about webhooks.
const (
	TypeSubscribed   = "webhook.subscribed"
	TypeUnsubscribed = "webhook.unsubscribed"
	TypeSecretSet    = "webhook.secret-set"
	TypeGaveUp       = "webhook.gave-up"
)

// SecretEntity holds the events that record secret changes.
const SecretEntity = "config/webhooks"

// Actor is the actor of the events deliveries record.
const Actor = "connector/webhook"

// Errors of subscriptions.
var (
	// ErrInvalid reports a subscription the connector refuses.
	ErrInvalid = errors.New("webhook: invalid subscription")
	// ErrNotFound reports an unknown subscription.
	ErrNotFound = errors.New("webhook: no such subscription")
	// ErrNoSecret reports a workspace without a signing secret.
	ErrNoSecret = errors.New("webhook: the workspace has no signing secret: rotate one first")
)

var (
	typeRE = regexp.MustCompile(`^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$`)
	pathRE = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*/?$`)
	subRE  = regexp.MustCompile(`^wh_[0-9a-f]{16}$`)
)

// Subscribe records a subscription (webhook.subscribed on webhook/<id>) and
// returns it. The destination must be configured in g; IncludePHI needs one
// of class baa. If the workspace has no signing secret yet, one is created
// and returned, once: it is stored sealed and never returned again.
func Subscribe(ctx context.Context, l *ledger.Ledger, g *egress.Gate, actor string, s Subscription) (*Subscription, string, error) {
	d, ok := g.Destination(s.Destination)
	if !ok {
		return nil, "", fmt.Errorf("%w: destination %q is not configured", ErrInvalid, s.Destination)
	}
	if s.IncludePHI && d.Class != egress.ClassBAA {
		return nil, "", fmt.Errorf("%w: PHI goes only to destinations of class baa (%q is %s)", ErrInvalid, s.Destination, d.Class)
	}
	if !pathRE.MatchString(s.Path) || len(s.Path) > 256 || slices.Contains(strings.Split(s.Path, "/"), "..") || slices.Contains(strings.Split(s.Path, "/"), ".") {
		return nil, "", fmt.Errorf("%w: path must be /segments of letters, digits, '.', '_', '~', '-'", ErrInvalid)
	}
	if len(s.Types) == 0 || len(s.Types) > 32 {
		return nil, "", fmt.Errorf("%w: name 1 to 32 event types", ErrInvalid)
	}
	for _, t := range s.Types {
		if !typeRE.MatchString(t) || len(t) > 64 {
			return nil, "", fmt.Errorf("%w: %q is not an event type or pattern", ErrInvalid, t)
		}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	s.ID = "wh_" + hex.EncodeToString(b[:])
	s.CreatedBy = actor
	types := slices.Clone(s.Types)
	sort.Strings(types)
	s.Types = slices.Compact(types)
	secret := ""
	if _, err := loadSecrets(l); errors.Is(err, ErrNoSecret) {
		if secret, err = RotateSecret(ctx, l, actor, ""); err != nil {
			return nil, "", err
		}
	} else if err != nil {
		return nil, "", err
	}
	// Deliveries start with the events after this one.
	if err := initCursor(l); err != nil {
		return nil, "", err
	}
	ev, err := l.Append(ctx, ledger.Event{
		Entity: "webhook/" + s.ID, Type: TypeSubscribed, Source: ledger.SourceManual, Confidence: 1, Actor: actor,
		Attrs: map[string]string{
			"destination": s.Destination, "path": s.Path, "types": strings.Join(s.Types, ","),
			"include_phi": strconv.FormatBool(s.IncludePHI),
		},
	})
	if err != nil {
		return nil, "", fmt.Errorf("webhook: subscribe: %w", err)
	}
	s.Created = ev.Recorded
	return &s, secret, nil
}

// Unsubscribe ends a subscription (webhook.unsubscribed). Messages not yet
// delivered are dropped.
func Unsubscribe(ctx context.Context, l *ledger.Ledger, actor, id string) error {
	s, ev, err := subscription(l, id)
	if err != nil {
		return err
	}
	_, err = l.Append(ctx, ledger.Event{
		Entity: "webhook/" + s.ID, Type: TypeUnsubscribed, Source: ledger.SourceManual, Confidence: 1, Actor: actor,
		Supersedes: []string{ev.ID},
	})
	if err != nil {
		return fmt.Errorf("webhook: unsubscribe: %w", err)
	}
	return nil
}

// Subscriptions lists the workspace's subscriptions by ID.
func Subscriptions(l *ledger.Ledger) ([]Subscription, error) {
	ents, err := l.Entities("webhook/", 1<<20)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	out := []Subscription{}
	for _, e := range ents {
		s, _, err := subscription(l, strings.TrimPrefix(e, "webhook/"))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// subscription folds one subscription and returns its live event.
func subscription(l *ledger.Ledger, id string) (*Subscription, *ledger.Event, error) {
	if !subRE.MatchString(id) {
		return nil, nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	st, err := l.AsOf("webhook/"+id, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: %w", err)
	}
	for _, ev := range st.Live {
		if ev.Type != TypeSubscribed {
			continue
		}
		a := ev.Attrs
		s := &Subscription{
			ID: id, Destination: a["destination"], Path: a["path"], Types: strings.Split(a["types"], ","),
			IncludePHI: a["include_phi"] == "true", Created: ev.Recorded, CreatedBy: ev.Actor,
		}
		return s, ev, nil
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// wants reports whether the subscription receives events of type t.
func (s *Subscription) wants(t string) bool {
	for _, p := range s.Types {
		switch {
		case p == "*" || p == t:
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(t, strings.TrimSuffix(p, "*")):
			return true
		case slices.Contains(Aliases[p], t):
			return true
		}
	}
	return false
}

// The signing secret of a workspace (its organisation) is kept sealed in
// the aux bucket, with the previous one during a rotation's overlap.
const (
	auxBucket     = "webhook"
	secretKeyName = "secret"
	secretPurpose = "webhook/secret"
)

// RotationOverlap is how long after a rotation deliveries also carry the
// previous secret's signature.
const RotationOverlap = 30 * time.Minute

type secretVersion struct {
	Secret  string    `json:"secret"`
	Version int       `json:"version"`
	Set     time.Time `json:"set"`
}

type secretRecord struct {
	Current  secretVersion  `json:"current"`
	Previous *secretVersion `json:"previous,omitempty"`
}

var secretMu sync.Mutex

// RotateSecret sets the workspace's signing secret to secret, or to a new
// random one when secret is "", and returns it. For RotationOverlap after
// that, deliveries carry signatures by both the new and the previous
// secret. The change is recorded (webhook.secret-set, with the version,
// never the value).
func RotateSecret(ctx context.Context, l *ledger.Ledger, actor, secret string) (string, error) {
	if secret == "" {
		var err error
		if secret, err = NewSecret(); err != nil {
			return "", err
		}
	} else if !ValidSecret(secret) {
		return "", ErrBadSecret
	}
	secretMu.Lock()
	defer secretMu.Unlock()
	rec, err := loadSecrets(l)
	if err != nil && !errors.Is(err, ErrNoSecret) {
		return "", err
	}
	ev, err := l.Append(ctx, ledger.Event{
		Entity: SecretEntity, Type: TypeSecretSet, Source: ledger.SourceManual, Confidence: 1, Actor: actor,
		Attrs: map[string]string{"version": strconv.Itoa(rec.Current.Version + 1)},
	})
	if err != nil {
		return "", fmt.Errorf("webhook: rotate: %w", err)
	}
	next := secretRecord{Current: secretVersion{Secret: secret, Version: rec.Current.Version + 1, Set: ev.Recorded}}
	if rec.Current.Secret != "" {
		prev := rec.Current
		next.Previous = &prev
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return "", err
	}
	sealed, err := l.SealAux(secretPurpose, raw)
	if err != nil {
		return "", err
	}
	if err := l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error { return b.Put([]byte(secretKeyName), sealed) }); err != nil {
		return "", fmt.Errorf("webhook: rotate: %w", err)
	}
	return secret, nil
}

// loadSecrets opens the workspace's secret record.
func loadSecrets(l *ledger.Ledger) (secretRecord, error) {
	var sealed []byte
	err := l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b != nil {
			sealed = slices.Clone(b.Get([]byte(secretKeyName)))
		}
		return nil
	})
	if err != nil {
		return secretRecord{}, fmt.Errorf("webhook: secret: %w", err)
	}
	if sealed == nil {
		return secretRecord{}, ErrNoSecret
	}
	raw, err := l.OpenAux(secretPurpose, sealed)
	if err != nil {
		return secretRecord{}, fmt.Errorf("webhook: secret: %w", err)
	}
	var rec secretRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return secretRecord{}, fmt.Errorf("webhook: secret record is damaged: %w", err)
	}
	return rec, nil
}

// signingSecrets returns the secrets a delivery at now is signed with: the
// current one, and the previous one during the overlap.
func signingSecrets(l *ledger.Ledger, now time.Time, overlap time.Duration) ([]string, error) {
	rec, err := loadSecrets(l)
	if err != nil {
		return nil, err
	}
	out := []string{rec.Current.Secret}
	if rec.Previous != nil && now.Before(rec.Current.Set.Add(overlap)) {
		out = append(out, rec.Previous.Secret)
	}
	return out, nil
}

// SecretInfo is what may be known about the signing secret: never its
// value.
type SecretInfo struct {
	Version int       `json:"version"`
	Set     time.Time `json:"set"`
	// PreviousUntil is when deliveries stop carrying the previous secret's
	// signature (zero when there is no previous secret).
	PreviousUntil time.Time `json:"previous_until,omitzero"`
}

// Secret describes the workspace's signing secret.
func Secret(l *ledger.Ledger) (SecretInfo, error) {
	rec, err := loadSecrets(l)
	if err != nil {
		return SecretInfo{}, err
	}
	info := SecretInfo{Version: rec.Current.Version, Set: rec.Current.Set}
	if rec.Previous != nil {
		info.PreviousUntil = rec.Current.Set.Add(RotationOverlap)
	}
	return info, nil
}
