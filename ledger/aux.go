package ledger

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
)

// auxPrefix starts the names of auxiliary buckets: state kept in the
// ledger's file that is not part of the log (wrapped appliance keys, session
// records). Verify does not cover them; whoever owns one checks its values
// (wrapped keys fail to unwrap when altered).
const auxPrefix = "aux/"

// AuxView runs fn on the auxiliary bucket name in a read transaction; b is
// nil when the bucket does not exist yet.
func (l *Ledger) AuxView(name string, fn func(b *bolt.Bucket) error) error {
	err := l.db.View(func(tx *bolt.Tx) error { return fn(tx.Bucket([]byte(auxPrefix + name))) })
	if err != nil {
		return fmt.Errorf("ledger %s: %s: %w", l.ws, name, err)
	}
	return nil
}

// AuxUpdate runs fn on the auxiliary bucket name, creating it, in a write
// transaction that is durable when AuxUpdate returns.
func (l *Ledger) AuxUpdate(name string, fn func(b *bolt.Bucket) error) error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(auxPrefix + name))
		if err != nil {
			return err
		}
		return fn(b)
	})
	if err != nil {
		return fmt.Errorf("ledger %s: %s: %w", l.ws, name, err)
	}
	return nil
}

// SealAux encrypts data that lives outside the log (secrets, call
// recordings' keys) under the workspace's current data key, bound to
// purpose. Rotation keeps it readable: OpenAux finds the version it names.
func (l *Ledger) SealAux(purpose string, plaintext []byte) ([]byte, error) {
	return l.keys.Seal(plaintext, crypto.AAD("frontdesk/aux/v1", l.ws, purpose))
}

// OpenAux decrypts what SealAux sealed for the same purpose.
func (l *Ledger) OpenAux(purpose string, ciphertext []byte) ([]byte, error) {
	pt, err := l.keys.Open(ciphertext, crypto.AAD("frontdesk/aux/v1", l.ws, purpose))
	if err != nil {
		return nil, fmt.Errorf("ledger %s: open %s: %w", l.ws, purpose, err)
	}
	return pt, nil
}
