package ledger

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Reindex rebuilds every derived index from the log. The log, tree, PHI,
// keys and checkpoints are not touched.
func (l *Ledger) Reindex() (uint64, error) {
	if err := l.Sync(); err != nil {
		return 0, err
	}
	var n uint64
	err := l.db.Update(func(tx *bolt.Tx) error {
		for _, name := range indexBuckets {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		b := buckets(tx)
		var view envelopeView
		return b.log.ForEach(func(k, env []byte) error {
			if err := parseEnvelope(env, &view); err != nil {
				return fmt.Errorf("seq %d: %w (run `frontdesk ledger verify`)", binary.BigEndian.Uint64(k), err)
			}
			n++
			return putIndexes(b, view.seq, string(view.id), string(view.entity), string(view.typ), string(view.subject), view.nPHI > 0)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("ledger %s: reindex: %w", l.ws, err)
	}
	return n, nil
}
