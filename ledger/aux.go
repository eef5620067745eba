package ledger

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
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
