package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/ledger"
)

// APIKey is a credential for programs: it belongs to an account, works in
// one workspace, and carries a role no higher than the account's there. It
// is shown once; only a hash of its secret is kept, sealed.
type APIKey struct {
	ID        string     `json:"id"`
	Account   string     `json:"account"`
	Workspace string     `json:"workspace"`
	Role      Role       `json:"role"`
	Name      string     `json:"name,omitempty"`
	Created   time.Time  `json:"created"`
	Expires   *time.Time `json:"expires,omitempty"`
	Revoked   bool       `json:"revoked"`
	// RevokedReason is a code: revoked, creator-lost-role, creator-disabled.
	RevokedReason string     `json:"revoked_reason,omitempty"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
}

// Entity is the key's entity in the system ledger.
func (k *APIKey) Entity() string { return "apikey/" + k.ID }

var keyNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// applyKey folds one event of apikey/<id>.
func applyKey(b *bolt.Bucket, id string, ev *ledger.Event) error {
	key := "apikey/" + id
	switch ev.Type {
	case "apikey.created":
		r, err := ParseRole(ev.Attrs["role"])
		if err != nil {
			return err
		}
		k := APIKey{ID: id, Account: ev.Attrs["account"], Workspace: ev.Attrs["workspace"], Role: r, Name: ev.Attrs["name"], Created: ev.Recorded}
		if e := ev.Attrs["expires"]; e != "" {
			t, err := time.Parse(time.RFC3339, e)
			if err != nil {
				return err
			}
			k.Expires = &t
		}
		return putJSON(b, key, &k)
	case "apikey.revoked":
		var k APIKey
		ok, err := getJSON(b, key, &k)
		if err != nil || !ok {
			return err
		}
		t := ev.Recorded
		k.Revoked, k.RevokedReason, k.RevokedAt = true, ev.Attrs["reason"], &t
		return putJSON(b, key, &k)
	}
	return nil
}

// NewKey describes an API key to create.
type NewKey struct {
	// Account owns the key.
	Account   string `json:"account"`
	Workspace string `json:"workspace"`
	Role      Role   `json:"role"`
	// Name is a label: a-z, 0-9, '.', '_' and '-'.
	Name string `json:"name,omitempty"`
	// Expires, when set, ends the key.
	Expires *time.Time `json:"expires,omitempty"`
}

// CreateKey creates an API key on behalf of actor and returns it with its
// token, which is not kept. A role above the account's role in the
// workspace is refused with ErrScope.
func (d *Directory) CreateKey(ctx context.Context, actor string, n NewKey) (*APIKey, string, error) {
	if n.Workspace == "" || n.Role < Viewer || n.Role > Owner {
		return nil, "", fmt.Errorf("%w: a workspace and a role (viewer, member, admin or owner) are required", ErrInvalid)
	}
	if n.Name != "" && !keyNamePattern.MatchString(n.Name) {
		return nil, "", fmt.Errorf("%w: key name must be 1-64 of a-z, 0-9, '.', '_' and '-'", ErrInvalid)
	}
	if n.Expires != nil && !n.Expires.After(d.now()) {
		return nil, "", fmt.Errorf("%w: expiry is in the past", ErrInvalid)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(n.Account)
	if err != nil {
		return nil, "", err
	}
	if a.Status != StatusActive {
		return nil, "", fmt.Errorf("%w: the account is %s", ErrScope, a.Status)
	}
	if n.Role > a.Roles[n.Workspace] {
		return nil, "", fmt.Errorf("%w: a key's role may not exceed its account's role in the workspace (%s)", ErrScope, a.Roles[n.Workspace])
	}
	id, err := newID()
	if err != nil {
		return nil, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("access: key: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	if err := d.putSecret("apikey", id, sum[:]); err != nil {
		return nil, "", fmt.Errorf("access: key: %w", err)
	}
	attrs := map[string]string{"account": a.ID, "workspace": n.Workspace, "role": n.Role.String()}
	if n.Name != "" {
		attrs["name"] = n.Name
	}
	if n.Expires != nil {
		attrs["expires"] = n.Expires.UTC().Format(time.RFC3339)
	}
	if _, err := d.record(ctx, ledger.Event{Entity: "apikey/" + id, Type: "apikey.created", Actor: actor, Subject: a.Entity(), Attrs: attrs}); err != nil {
		return nil, "", err
	}
	k, err := d.Key(id)
	if err != nil {
		return nil, "", err
	}
	return k, keyPrefix + id + "_" + secret, nil
}

// Key returns the API key with id.
func (d *Directory) Key(id string) (*APIKey, error) {
	if !validID(id) {
		return nil, fmt.Errorf("access: key: %w", ErrNotFound)
	}
	var k APIKey
	ok, err := d.view("apikey/"+id, &k)
	if err != nil {
		return nil, fmt.Errorf("access: key: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("access: key: %w", ErrNotFound)
	}
	return &k, nil
}

// Keys lists the keys of workspace ws (all when empty), of one account
// when account is set, newest first.
func (d *Directory) Keys(ws, account string) ([]*APIKey, error) {
	var out []*APIKey
	err := d.scan("apikey/", func(_ string, raw []byte) error {
		var k APIKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return err
		}
		if (ws == "" || k.Workspace == ws) && (account == "" || k.Account == account) {
			out = append(out, &k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access: keys: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// RevokeKey revokes key id; reason is a short code.
func (d *Directory) RevokeKey(ctx context.Context, actor, id, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, err := d.Key(id)
	if err != nil {
		return err
	}
	if k.Revoked {
		return fmt.Errorf("%w: the key is already revoked", ErrConflict)
	}
	_, err = d.record(ctx, ledger.Event{Entity: k.Entity(), Type: "apikey.revoked", Actor: actor, Subject: "account/" + k.Account,
		Attrs: map[string]string{"reason": reason, "workspace": k.Workspace}})
	return err
}

// revokeKeysAbove revokes account's live keys in ws (every workspace when
// ws is empty) whose role is above role. The caller holds d.mu.
func (d *Directory) revokeKeysAbove(ctx context.Context, actor, account, ws string, role Role, reason string) error {
	keys, err := d.Keys(ws, account)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Revoked || k.Role <= role {
			continue
		}
		if _, err := d.record(ctx, ledger.Event{Entity: k.Entity(), Type: "apikey.revoked", Actor: actor, Subject: "account/" + k.Account,
			Attrs: map[string]string{"reason": reason, "workspace": k.Workspace}}); err != nil {
			return err
		}
	}
	return nil
}

// authenticateKey resolves an API key token. A key whose account has lost
// the role it carries is revoked on the spot.
func (d *Directory) authenticateKey(ctx context.Context, token string) (*Principal, error) {
	const idEnd = len(keyPrefix) + 16
	if len(token) < idEnd+2 || token[idEnd] != '_' {
		return nil, ErrUnauthenticated
	}
	id, secret := token[len(keyPrefix):idEnd], token[idEnd+1:]
	k, err := d.Key(id)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	stored, err := d.getSecret("apikey", id)
	if err != nil || len(stored) != sha256.Size {
		return nil, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(secret))
	refuse := func(reason string) (*Principal, error) {
		d.Audit(ctx, ledger.Event{Entity: k.Entity(), Type: "authz.refused", Actor: "anonymous", Subject: "account/" + k.Account,
			Attrs: map[string]string{"reason": reason, "workspace": k.Workspace}})
		return nil, ErrUnauthenticated
	}
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 {
		return refuse("bad-key-secret")
	}
	if k.Revoked {
		return refuse("key-revoked")
	}
	if k.Expires != nil && !d.now().Before(*k.Expires) {
		return refuse("key-expired")
	}
	a, err := d.Account(k.Account)
	if err != nil || a.Status != StatusActive || a.Roles[k.Workspace] < k.Role {
		reason := "creator-lost-role"
		if err == nil && a.Status != StatusActive {
			reason = "creator-" + string(a.Status)
		}
		d.mu.Lock()
		if cur, err := d.Key(id); err == nil && !cur.Revoked {
			d.record(ctx, ledger.Event{Entity: k.Entity(), Type: "apikey.revoked", Actor: "system", Subject: "account/" + k.Account,
				Attrs: map[string]string{"reason": reason, "workspace": k.Workspace}})
		}
		d.mu.Unlock()
		return nil, ErrUnauthenticated
	}
	return &Principal{Kind: KindKey, Actor: k.Entity(), Account: a, Key: k}, nil
}
