package access

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// Config holds the access gate's settings. The zero value of each field
// means its default.
type Config struct {
	// SessionIdleMinutes ends a session after this long without a request
	// (default 60).
	SessionIdleMinutes int `json:"session_idle_minutes,omitempty"`
	// SessionMaxHours ends a session this long after login whatever its
	// activity (default 12).
	SessionMaxHours int `json:"session_max_hours,omitempty"`
	// MaxFailures is how many consecutive failed logins lock an account
	// (default 5).
	MaxFailures int `json:"max_failures,omitempty"`
	// BreakGlassMaxMinutes caps an emergency access grant (default 240).
	BreakGlassMaxMinutes int `json:"break_glass_max_minutes,omitempty"`
	// TOTPIssuer labels the entry in authenticator apps (default frontdesk).
	TOTPIssuer string `json:"totp_issuer,omitempty"`
	// Password is the argon2id cost of new password hashes (default
	// crypto.DefaultPasswordParams).
	Password *crypto.PasswordParams `json:"password,omitempty"`
	// Now returns the current time; tests inject clocks.
	Now func() time.Time `json:"-"`
}

func (c Config) withDefaults() Config {
	if c.SessionIdleMinutes <= 0 {
		c.SessionIdleMinutes = 60
	}
	if c.SessionMaxHours <= 0 {
		c.SessionMaxHours = 12
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.BreakGlassMaxMinutes <= 0 {
		c.BreakGlassMaxMinutes = 240
	}
	if c.TOTPIssuer == "" {
		c.TOTPIssuer = "frontdesk"
	}
	if c.Password == nil {
		p := crypto.DefaultPasswordParams
		c.Password = &p
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Errors callers map to responses.
var (
	// ErrUnauthenticated reports a missing, unknown, expired or revoked
	// credential. It never says which.
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrBadCredentials reports a failed login.
	ErrBadCredentials = errors.New("email, password or one-time code is wrong")
	// ErrLocked reports a login to a locked account with the right password.
	ErrLocked = errors.New("account is locked after repeated failed logins: an owner must unlock it")
	// ErrDisabled reports a login to a disabled account with the right password.
	ErrDisabled = errors.New("account is disabled")
	// ErrMFARequired reports a login that needs a one-time code.
	ErrMFARequired = errors.New("a one-time code from the authenticator app (or a recovery code) is required")
	// ErrScope reports an attempt to give or use more than the actor holds.
	ErrScope = errors.New("exceeds the scope of the credential or account")
	// ErrNotFound reports an unknown account, key, grant or secret.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a request that contradicts the current state.
	ErrConflict = errors.New("conflicts with the current state")
	// ErrInvalid reports a malformed request.
	ErrInvalid = errors.New("invalid request")
)

// Aux buckets in the system ledger. Records in auxBucket are derived from
// the log (see apply); secretsBucket holds sealed secrets, never derived.
const (
	auxBucket     = "access"
	secretsBucket = "access-secrets"
)

// Directory is the access gate: accounts, their roles, sessions, API keys
// and emergency access, kept as events in the system ledger with derived
// records beside it. It is safe for concurrent use.
type Directory struct {
	sys *ledger.Ledger
	cfg Config

	// mu serialises every change: append the event, then fold it into
	// the derived records.
	mu sync.Mutex

	smu      sync.Mutex
	sessions map[[32]byte]*Session

	indexKey []byte

	dummyOnce sync.Once
	dummyHash string
}

// Open returns the directory kept in the system ledger sys, folding in any
// events its derived records have not seen (after a crash between an
// append and its fold).
func Open(sys *ledger.Ledger, cfg Config) (*Directory, error) {
	d := &Directory{sys: sys, cfg: cfg.withDefaults(), sessions: map[[32]byte]*Session{}}
	if err := d.loadIndexKey(); err != nil {
		return nil, err
	}
	if err := d.catchUp(); err != nil {
		return nil, err
	}
	if err := d.restoreSessions(); err != nil {
		return nil, err
	}
	return d, nil
}

// Config returns the directory's settings with defaults filled in.
func (d *Directory) Config() Config { return d.cfg }

func (d *Directory) now() time.Time { return d.cfg.Now().UTC() }

// loadIndexKey loads, or creates, the key that turns email addresses into
// index entries, so the derived records hold no address in the clear.
func (d *Directory) loadIndexKey() error {
	var sealed []byte
	if err := d.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b != nil {
			sealed = append([]byte(nil), b.Get([]byte("index-key"))...)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	if len(sealed) == 0 {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return fmt.Errorf("access: index key: %w", err)
		}
		s, err := d.sys.SealAux("access/index-key", k)
		if err != nil {
			return fmt.Errorf("access: index key: %w", err)
		}
		if err := d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
			if b.Get([]byte("index-key")) != nil {
				return nil // raced with another opener; theirs wins below
			}
			return b.Put([]byte("index-key"), s)
		}); err != nil {
			return fmt.Errorf("access: %w", err)
		}
		return d.loadIndexKey()
	}
	k, err := d.sys.OpenAux("access/index-key", sealed)
	if err != nil {
		return fmt.Errorf("access: index key: %w", err)
	}
	d.indexKey = k
	return nil
}

// emailKey is the index entry of an address: case-insensitive, keyed HMAC.
func (d *Directory) emailKey(email string) []byte {
	m := hmac.New(sha256.New, d.indexKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return []byte("email/" + hex.EncodeToString(m.Sum(nil)))
}

// derivedPrefixes are the entities whose events feed the derived records.
var derivedPrefixes = []string{"account/", "apikey/", "breakglass/"}

func derived(entity string) bool {
	for _, p := range derivedPrefixes {
		if strings.HasPrefix(entity, p) {
			return true
		}
	}
	return false
}

// catchUp folds the events recorded after the last one applied.
func (d *Directory) catchUp() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var after *uint64
	if err := d.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b != nil {
			if v := b.Get([]byte("applied")); len(v) == 8 {
				s := binary.BigEndian.Uint64(v)
				after = &s
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return d.replay(after)
}

// replay folds every derived event after seq after (all when nil).
func (d *Directory) replay(after *uint64) error {
	for {
		evs, err := d.sys.Find(ledger.Query{After: after, Limit: 1000}, ledger.ReadOptions{PHI: true})
		if err != nil {
			return fmt.Errorf("access: replay: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		err = d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
			for _, ev := range evs {
				if derived(ev.Entity) {
					if err := d.apply(b, ev); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("access: replay: %w", err)
		}
		last := evs[len(evs)-1].Seq
		after = &last
	}
}

// Rebuild discards the derived records and folds them again from the whole
// system ledger. It returns how many accounts there are.
func (d *Directory) Rebuild() (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		var del [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if string(k) != "index-key" {
				del = append(del, append([]byte(nil), k...))
			}
		}
		for _, k := range del {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("access: rebuild: %w", err)
	}
	if err := d.replay(nil); err != nil {
		return 0, err
	}
	accts, err := d.Accounts()
	return len(accts), err
}

// record appends events to the system ledger and folds each into the
// derived records. The caller holds d.mu.
func (d *Directory) record(ctx context.Context, evs ...ledger.Event) ([]*ledger.Event, error) {
	out := make([]*ledger.Event, 0, len(evs))
	for _, e := range evs {
		if e.Source == 0 {
			e.Source = ledger.SourceSystem
		}
		if e.Confidence == 0 {
			e.Confidence = 1
		}
		ev, err := d.sys.Append(ctx, e)
		if err != nil {
			return out, fmt.Errorf("access: record %s: %w", e.Type, err)
		}
		if derived(ev.Entity) {
			if err := d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error { return d.apply(b, ev) }); err != nil {
				return out, fmt.Errorf("access: %s: %w", e.Type, err)
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// Audit appends an event that changes no derived record (a refusal, an
// access outside the workspaces) to the system ledger.
func (d *Directory) Audit(ctx context.Context, e ledger.Event) (*ledger.Event, error) {
	if derived(e.Entity) && !strings.HasPrefix(e.Type, "authz.") {
		return nil, fmt.Errorf("access: audit: %w: %s events change account state", ErrInvalid, e.Entity)
	}
	if e.Source == 0 {
		e.Source = ledger.SourceSystem
	}
	if e.Confidence == 0 {
		e.Confidence = 1
	}
	return d.sys.Append(ctx, e)
}

// apply folds one event into the derived records. It is the only code that
// changes them, so replaying the log reproduces them exactly.
func (d *Directory) apply(b *bolt.Bucket, ev *ledger.Event) error {
	kind, id, _ := strings.Cut(ev.Entity, "/")
	var err error
	switch kind {
	case "account":
		err = applyAccount(b, d, id, ev)
	case "apikey":
		err = applyKey(b, id, ev)
	case "breakglass":
		err = applyBreakGlass(b, id, ev)
	}
	if err != nil {
		return fmt.Errorf("fold %s %s (seq %d): %w", ev.Type, ev.Entity, ev.Seq, err)
	}
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], ev.Seq)
	return b.Put([]byte("applied"), seq[:])
}

// getJSON reads a derived record; ok is false when it does not exist.
func getJSON(b *bolt.Bucket, key string, v any) (bool, error) {
	if b == nil {
		return false, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("record %s is damaged: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// view reads one derived record.
func (d *Directory) view(key string, v any) (bool, error) {
	var ok bool
	err := d.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		var err error
		ok, err = getJSON(b, key, v)
		return err
	})
	return ok, err
}

// scan calls fn with every derived record under prefix.
func (d *Directory) scan(prefix string, fn func(key string, raw []byte) error) error {
	return d.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
			if err := fn(string(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Secrets beside the derived records: sealed under the system ledger's
// data key, bound to what they are and whose.

func (d *Directory) putSecret(kind, id string, value []byte) error {
	purpose := "access/" + kind + "/" + id
	sealed, err := d.sys.SealAux(purpose, value)
	if err != nil {
		return err
	}
	return d.sys.AuxUpdate(secretsBucket, func(b *bolt.Bucket) error { return b.Put([]byte(kind+"/"+id), sealed) })
}

func (d *Directory) getSecret(kind, id string) ([]byte, error) {
	var sealed []byte
	err := d.sys.AuxView(secretsBucket, func(b *bolt.Bucket) error {
		if b != nil {
			sealed = append([]byte(nil), b.Get([]byte(kind+"/"+id))...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(sealed) == 0 {
		return nil, nil
	}
	return d.sys.OpenAux("access/"+kind+"/"+id, sealed)
}

func (d *Directory) deleteSecret(kind, id string) error {
	return d.sys.AuxUpdate(secretsBucket, func(b *bolt.Bucket) error { return b.Delete([]byte(kind + "/" + id)) })
}

// newID returns a random identifier: prefix and 16 base32 characters
// (80 bits), lower case.
func newID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("access: id: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// validID reports whether s has the form newID produces, so that a path
// parameter can be refused before it reaches storage.
func validID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
