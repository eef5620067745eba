package ledger

import (
	"encoding/binary"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
)

// The keys bucket holds the workspace data key versions, wrapped by the
// KEK, under "dek/" + big-endian version.

func dekKey(v uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("dek/"), v)
}

// loadKeys unwraps every stored DEK version and returns how many there
// are.
func (l *Ledger) loadKeys(tx *bolt.Tx) (int, error) {
	c := tx.Bucket(bKeys).Cursor()
	n := 0
	for k, v := c.Seek([]byte("dek/")); len(k) == 8 && string(k[:4]) == "dek/"; k, v = c.Next() {
		if err := l.keys.Load(l.opts.KEK, binary.BigEndian.Uint32(k[4:]), v); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// KeyVersions lists the workspace data key versions; the last one is current.
func (l *Ledger) KeyVersions() []uint32 { return l.keys.Versions() }

// RotateKey adds a new workspace data key version, makes it current and
// rewraps every subject key under it. Values sealed under subject keys are
// untouched; older data key versions stay loaded so anything still wrapped
// under them remains readable.
func (l *Ledger) RotateKey() (uint32, error) {
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	if err := l.Sync(); err != nil {
		return 0, err
	}
	// The new version seals nothing until its transaction has committed:
	// a rotation that fails leaves no value under a key never stored. It
	// opens values from before the commit, so that a subject key read as
	// soon as its rewrapped form is stored can be unwrapped.
	pending, err := l.keys.Prepare(l.opts.KEK)
	if err != nil {
		return 0, fmt.Errorf("ledger %s: rotate key: %w", l.ws, err)
	}
	pending.Load()
	err = l.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bKeys).Put(dekKey(pending.Version), pending.Wrapped); err != nil {
			return err
		}
		sb := tx.Bucket(bSubjects)
		type kv struct{ k, v []byte }
		var rewrapped []kv
		err = sb.ForEach(func(k, v []byte) error {
			purpose := subjectPurpose(string(k))
			key, err := l.keys.UnwrapKey(v, purpose)
			if err != nil {
				return fmt.Errorf("subject key %d: %w", len(rewrapped), err)
			}
			nv, err := pending.WrapKey(key, purpose)
			if err != nil {
				return err
			}
			rewrapped = append(rewrapped, kv{append([]byte(nil), k...), nv})
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range rewrapped {
			if err := sb.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		pending.Discard()
		return 0, fmt.Errorf("ledger %s: rotate key: %w", l.ws, err)
	}
	pending.Commit()
	return pending.Version, nil
}

// RewrapKEK re-seals every data key version under a new KEK. The caller
// must switch to the new KEK for later opens.
func (l *Ledger) RewrapKEK(to *crypto.KEK) error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		kb := tx.Bucket(bKeys)
		c := kb.Cursor()
		type kv struct{ k, v []byte }
		var out []kv
		for k, v := c.Seek([]byte("dek/")); len(k) == 8 && string(k[:4]) == "dek/"; k, v = c.Next() {
			nv, err := l.keys.Rewrap(l.opts.KEK, to, binary.BigEndian.Uint32(k[4:]), v)
			if err != nil {
				return err
			}
			out = append(out, kv{append([]byte(nil), k...), nv})
		}
		for _, e := range out {
			if err := kb.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger %s: rewrap data keys: %w", l.ws, err)
	}
	l.opts.KEK = to
	return nil
}

func subjectPurpose(subject string) string { return "subject/" + subject }

// subjectKey is one subject's PHI key, unwrapped.
type subjectKey struct {
	sealer  *crypto.Sealer
	wrapped []byte
	// inWAL is set once a WAL record carrying wrapped is durable (or the
	// key was loaded from bbolt); walSeq is that record's seq.
	inWAL  bool
	walSeq uint64
	loaded bool
}

// subjectKeys caches subject keys and knows which subjects were erased.
type subjectKeys struct {
	l      *Ledger
	mu     sync.Mutex
	keys   map[string]*subjectKey
	erased map[string]bool
}

const maxCachedSubjectKeys = 1 << 16

func newSubjectKeys(l *Ledger) *subjectKeys {
	return &subjectKeys{l: l, keys: map[string]*subjectKey{}, erased: map[string]bool{}}
}

func (s *subjectKeys) loadErased() error {
	return s.l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bErased).ForEach(func(k, _ []byte) error {
			s.erased[string(k)] = true
			return nil
		})
	})
}

func (s *subjectKeys) isErased(subject string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.erased[subject]
}

// forWrite returns the key that seals new PHI of subject, creating it if the
// subject has none.
func (s *subjectKeys) forWrite(subject string) (*subjectKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.erased[subject] {
		return nil, ErrErased
	}
	if k := s.keys[subject]; k != nil {
		return k, nil
	}
	var k *subjectKey
	err := s.l.db.View(func(tx *bolt.Tx) error {
		var err error
		k, err = s.load(tx, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	if k == nil {
		raw, err := crypto.NewKey()
		if err != nil {
			return nil, err
		}
		wrapped, err := s.l.keys.WrapKey(raw, subjectPurpose(subject))
		if err != nil {
			return nil, err
		}
		sealer, err := crypto.NewSealer(raw, 1)
		if err != nil {
			return nil, err
		}
		k = &subjectKey{sealer: sealer, wrapped: wrapped}
	}
	s.put(subject, k)
	return k, nil
}

// forRead returns the subject's key, or nil if it has none (never had PHI,
// or was erased). It reads through the caller's transaction: opening a
// second one inside it could deadlock against a writer remapping the file.
func (s *subjectKeys) forRead(tx *bolt.Tx, subject string) (*subjectKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.erased[subject] {
		return nil, nil
	}
	if k := s.keys[subject]; k != nil {
		return k, nil
	}
	k, err := s.load(tx, subject)
	if err != nil || k == nil {
		return nil, err
	}
	s.put(subject, k)
	return k, nil
}

// load reads a subject key through tx; called with mu held.
func (s *subjectKeys) load(tx *bolt.Tx, subject string) (*subjectKey, error) {
	v := tx.Bucket(bSubjects).Get([]byte(subject))
	if v == nil {
		return nil, nil
	}
	wrapped := append([]byte(nil), v...)
	raw, err := s.l.keys.UnwrapKey(wrapped, subjectPurpose(subject))
	if err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	sealer, err := crypto.NewSealer(raw, 1)
	if err != nil {
		return nil, err
	}
	return &subjectKey{sealer: sealer, wrapped: wrapped, inWAL: true, loaded: true}, nil
}

// put caches k, evicting keys that bbolt already holds when the cache is
// full. A key that is not yet in bbolt is never evicted: reloading it would
// find nothing and mint a second key for the subject.
func (s *subjectKeys) put(subject string, k *subjectKey) {
	if len(s.keys) >= maxCachedSubjectKeys {
		applied := s.l.sizeAtomic.Load()
		for sub, ck := range s.keys {
			if ck.loaded || (ck.inWAL && ck.walSeq < applied) {
				delete(s.keys, sub)
				if len(s.keys) < maxCachedSubjectKeys/2 {
					break
				}
			}
		}
	}
	s.keys[subject] = k
}

// markErased forgets the subject's key and refuses its PHI from now on.
func (s *subjectKeys) markErased(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erased[subject] = true
	delete(s.keys, subject)
}
