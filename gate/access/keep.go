package access

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/ledger"
)

// Sessions across a restart. A graceful shutdown keeps the live sessions
// for the next start, so that updating the appliance does not sign
// everyone out: only each token's SHA-256 (never the token) with the
// session's account, times and second factor, sealed under the system
// ledger's key. The next Open takes them back and deletes the record;
// sessions that expired meanwhile, or whose account is no longer active,
// are dropped. A crash keeps nothing, which signs everyone out.

const (
	keptSessionsKey     = "kept-sessions"
	keptSessionsPurpose = "access/kept-sessions"
)

// keptSession is a session as kept across a restart.
type keptSession struct {
	Key      string    `json:"key"` // hex SHA-256 of the token
	Account  string    `json:"account"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	MFA      bool      `json:"mfa"`
}

// KeepSessions stores the live sessions for the next Open, to be called as
// the server shuts down, after the last request. It returns how many it
// kept.
func (d *Directory) KeepSessions(ctx context.Context) (int, error) {
	now := d.now()
	d.smu.Lock()
	d.sweepLocked(now)
	kept := make([]keptSession, 0, len(d.sessions))
	for _, s := range d.sessions {
		kept = append(kept, keptSession{Key: hex.EncodeToString(s.key[:]), Account: s.Account,
			Created: s.Created, LastSeen: s.LastSeen, MFA: s.MFA})
	}
	d.smu.Unlock()
	if len(kept) == 0 {
		return 0, nil
	}
	raw, err := json.Marshal(kept)
	if err != nil {
		return 0, fmt.Errorf("access: keep sessions: %w", err)
	}
	sealed, err := d.sys.SealAux(keptSessionsPurpose, raw)
	if err != nil {
		return 0, fmt.Errorf("access: keep sessions: %w", err)
	}
	if err := d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		return b.Put([]byte(keptSessionsKey), sealed)
	}); err != nil {
		return 0, fmt.Errorf("access: keep sessions: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.record(ctx, ledger.Event{Entity: "access/sessions", Type: "auth.sessions-kept", Actor: "system",
		Attrs: map[string]string{"count": strconv.Itoa(len(kept))}})
	return len(kept), err
}

// restoreSessions takes back the sessions a graceful shutdown kept, and
// deletes the record whatever becomes of them.
func (d *Directory) restoreSessions() error {
	var sealed []byte
	err := d.sys.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		sealed = append([]byte(nil), b.Get([]byte(keptSessionsKey))...)
		if len(sealed) == 0 {
			return nil
		}
		return b.Delete([]byte(keptSessionsKey))
	})
	if err != nil || len(sealed) == 0 {
		return err
	}
	raw, err := d.sys.OpenAux(keptSessionsPurpose, sealed)
	if err != nil {
		// Kept under another key (the KEK was replaced): nobody is
		// signed in, which is safe.
		return nil
	}
	var kept []keptSession
	if err := json.Unmarshal(raw, &kept); err != nil {
		return nil
	}
	now := d.now()
	var live []*Session
	for _, k := range kept {
		key, err := hex.DecodeString(k.Key)
		if err != nil || len(key) != 32 {
			continue
		}
		if a, err := d.Account(k.Account); err != nil || a.Status != StatusActive {
			continue
		}
		s := &Session{ID: hex.EncodeToString(key[:8]), Account: k.Account, Created: k.Created, LastSeen: k.LastSeen, MFA: k.MFA}
		copy(s.key[:], key)
		if s.Expires = d.sessionExpiry(s); now.Before(s.Expires) {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return nil
	}
	d.smu.Lock()
	for _, s := range live {
		d.sessions[s.key] = s
	}
	d.smu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.record(context.Background(), ledger.Event{Entity: "access/sessions", Type: "auth.sessions-restored", Actor: "system",
		Attrs: map[string]string{"count": strconv.Itoa(len(live)), "dropped": strconv.Itoa(len(kept) - len(live))}})
	return err
}
