package crypto

import (
	"fmt"
	"sort"
	"sync"
)

// Keyring holds the versions of one workspace's data key (DEK). The newest
// version seals; every version can open what it sealed. Keyring is safe for
// concurrent use.
type Keyring struct {
	scope string // e.g. "workspace/clinic"; bound into every wrap

	mu       sync.RWMutex
	versions map[uint32]*Sealer
	current  uint32
}

// NewKeyring returns an empty keyring for scope.
func NewKeyring(scope string) *Keyring {
	return &Keyring{scope: scope, versions: map[uint32]*Sealer{}}
}

// dekPurpose names what a wrapped DEK is, so a DEK of one workspace cannot be
// substituted for another's.
func dekPurpose(scope string, version uint32) string {
	return fmt.Sprintf("%s/dek/%d", scope, version)
}

// Rotate creates the next DEK version, makes it current and returns it
// wrapped under kek for storage. A caller that stores the version in a
// transaction that may fail uses Prepare and Commit instead, so that no
// value is sealed under a version that was never stored.
func (r *Keyring) Rotate(kek *KEK) (version uint32, wrapped []byte, err error) {
	p, err := r.Prepare(kek)
	if err != nil {
		return 0, nil, err
	}
	p.Commit()
	return p.Version, p.Wrapped, nil
}

// PendingKey is a DEK version made by Prepare and not yet in use.
type PendingKey struct {
	// Version is the version it will have; Wrapped is the DEK wrapped
	// under the KEK, for storage.
	Version uint32
	Wrapped []byte
	r       *Keyring
	sealer  *Sealer
}

// Prepare creates the next DEK version without putting it in use: the
// ring seals with its current version until Commit. Callers serialise
// their rotations.
func (r *Keyring) Prepare(kek *KEK) (*PendingKey, error) {
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	version := r.current + 1
	r.mu.RUnlock()
	wrapped, err := kek.Wrap(k[:], dekPurpose(r.scope, version))
	if err != nil {
		return nil, err
	}
	s, err := NewSealer(k, version)
	if err != nil {
		return nil, err
	}
	return &PendingKey{Version: version, Wrapped: wrapped, r: r, sealer: s}, nil
}

// WrapKey seals a subordinate key under the pending version, as the ring's
// WrapKey will once the version is committed.
func (p *PendingKey) WrapKey(k Key, purpose string) ([]byte, error) {
	return p.sealer.Seal(nil, k[:], AAD("frontdesk/dek-wrap/v1", p.r.scope, purpose))
}

// Load adds the version to the ring so that values sealed under it can be
// opened, without making it current: what is stored under it becomes
// readable the moment it is stored.
func (p *PendingKey) Load() {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	p.r.versions[p.Version] = p.sealer
}

// Discard takes a version that was loaded but never stored out of the
// ring again.
func (p *PendingKey) Discard() {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if p.r.current != p.Version {
		delete(p.r.versions, p.Version)
	}
}

// Commit adds the version to the ring and makes it current.
func (p *PendingKey) Commit() {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	p.r.versions[p.Version] = p.sealer
	if p.Version > p.r.current {
		p.r.current = p.Version
	}
}

// Load unwraps a stored DEK version with kek and adds it to the ring. The
// highest loaded version becomes current.
func (r *Keyring) Load(kek *KEK, version uint32, wrapped []byte) error {
	raw, err := kek.Unwrap(wrapped, dekPurpose(r.scope, version))
	if err != nil {
		return fmt.Errorf("crypto: %s data key version %d: %w", r.scope, version, err)
	}
	var k Key
	copy(k[:], raw)
	s, err := NewSealer(k, version)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.versions[version] = s
	if version > r.current {
		r.current = version
	}
	return nil
}

// Current is the version that seals new values; 0 when the ring is empty.
func (r *Keyring) Current() uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// Versions lists the loaded versions in ascending order.
func (r *Keyring) Versions() []uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := make([]uint32, 0, len(r.versions))
	for v := range r.versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs
}

// Seal encrypts with the current version.
func (r *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	r.mu.RLock()
	s := r.versions[r.current]
	r.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("crypto: %s has no data key", r.scope)
	}
	return s.Seal(nil, plaintext, aad)
}

// Open decrypts with whichever version sealed the ciphertext.
func (r *Keyring) Open(ciphertext, aad []byte) ([]byte, error) {
	v, err := CiphertextVersion(ciphertext)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	s := r.versions[v]
	r.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("crypto: %s data key version %d is not loaded: %w", r.scope, v, ErrWrongKey)
	}
	return s.Open(nil, ciphertext, aad)
}

// WrapKey seals a subordinate key (a subject's or a call's) under the current
// DEK, bound to its purpose.
func (r *Keyring) WrapKey(k Key, purpose string) ([]byte, error) {
	return r.Seal(k[:], AAD("frontdesk/dek-wrap/v1", r.scope, purpose))
}

// UnwrapKey opens a key sealed by WrapKey.
func (r *Keyring) UnwrapKey(wrapped []byte, purpose string) (Key, error) {
	var k Key
	raw, err := r.Open(wrapped, AAD("frontdesk/dek-wrap/v1", r.scope, purpose))
	if err != nil {
		return k, fmt.Errorf("crypto: unwrap key: %w", err)
	}
	if len(raw) != KeySize {
		return k, fmt.Errorf("crypto: unwrap key: %d bytes, want %d: %w", len(raw), KeySize, ErrWrongKey)
	}
	copy(k[:], raw)
	return k, nil
}

// Rewrap re-seals a stored DEK version from one KEK to another.
func (r *Keyring) Rewrap(from, to *KEK, version uint32, wrapped []byte) ([]byte, error) {
	raw, err := from.Unwrap(wrapped, dekPurpose(r.scope, version))
	if err != nil {
		return nil, fmt.Errorf("crypto: %s data key version %d: %w", r.scope, version, err)
	}
	return to.Wrap(raw, dekPurpose(r.scope, version))
}
