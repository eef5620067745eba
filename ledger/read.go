package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ReadOptions say what a read returns besides the envelope.
type ReadOptions struct {
	// PHI decrypts the events' PHI values into Event.PHI. Callers that
	// disclose them are responsible for recording the access.
	PHI bool
}

// Get returns the event at seq.
func (l *Ledger) Get(seq uint64, o ReadOptions) (*Event, error) {
	if err := l.waitApplied(seq); err != nil {
		return nil, err
	}
	var ev *Event
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		ev, err = l.readEvent(tx, seq, o)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: get %d: %w", l.ws, seq, err)
	}
	return ev, nil
}

// Envelope returns the exact bytes recorded for the event at seq.
func (l *Ledger) Envelope(seq uint64) ([]byte, error) {
	if err := l.waitApplied(seq); err != nil {
		return nil, err
	}
	var env []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bLog).Get(seqKey(seq))
		if v == nil {
			return ErrNotFound
		}
		env = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: envelope %d: %w", l.ws, seq, err)
	}
	return env, nil
}

// GetByID returns the event with the given ID.
func (l *Ledger) GetByID(id string, o ReadOptions) (*Event, error) {
	if !validID(id) {
		return nil, fmt.Errorf("ledger %s: get %q: %w", l.ws, id, ErrNotFound)
	}
	l.mu.Lock()
	p, pending := l.pendingID[id]
	l.mu.Unlock()
	if pending {
		if err := l.waitApplied(p.seq); err != nil {
			return nil, err
		}
	}
	var ev *Event
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bIdxID).Get([]byte(id))
		if len(v) != 8 {
			return ErrNotFound
		}
		var err error
		ev, err = l.readEvent(tx, binary.BigEndian.Uint64(v), o)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: get %s: %w", l.ws, id, err)
	}
	return ev, nil
}

// readEvent decodes the envelope at seq and, if asked, its PHI.
func (l *Ledger) readEvent(tx *bolt.Tx, seq uint64, o ReadOptions) (*Event, error) {
	env := tx.Bucket(bLog).Get(seqKey(seq))
	if env == nil {
		return nil, ErrNotFound
	}
	ev, err := DecodeEnvelope(env)
	if err != nil {
		return nil, fmt.Errorf("seq %d: %w", seq, err)
	}
	if ev.Seq != seq {
		return nil, fmt.Errorf("seq %d: envelope says seq %d", seq, ev.Seq)
	}
	if o.PHI && len(ev.Commitments) > 0 {
		if err := l.fillPHI(tx, env, ev); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// fillPHI decrypts ev's PHI, or marks it erased.
func (l *Ledger) fillPHI(tx *bolt.Tx, env []byte, ev *Event) error {
	blob := tx.Bucket(bPHI).Get(seqKey(ev.Seq))
	k, err := l.subjects.forRead(tx, ev.Subject)
	if err != nil {
		return fmt.Errorf("seq %d: %w", ev.Seq, err)
	}
	if k == nil || blob == nil {
		if l.subjects.isErased(ev.Subject) {
			ev.Erased = true
			return nil
		}
		return fmt.Errorf("seq %d: PHI values are missing", ev.Seq)
	}
	phi, err := openPHI(env, ev, blob, k)
	if err != nil {
		return fmt.Errorf("seq %d: %w", ev.Seq, err)
	}
	ev.PHI = phi
	return nil
}

// waitEntity waits until every acknowledged event of entity is in bbolt.
func (l *Ledger) waitEntity(entity string) error {
	l.mu.Lock()
	seq, pending := l.pendingEn[entity]
	l.mu.Unlock()
	if !pending {
		return nil
	}
	return l.waitApplied(seq)
}

// History returns the events of entity in log order.
func (l *Ledger) History(entity string, o ReadOptions) ([]*Event, error) {
	if err := l.waitEntity(entity); err != nil {
		return nil, err
	}
	var out []*Event
	err := l.db.View(func(tx *bolt.Tx) error {
		return scanIndex(tx.Bucket(bIdxEntity), entity, func(seq uint64) error {
			ev, err := l.readEvent(tx, seq, o)
			if err != nil {
				return err
			}
			out = append(out, ev)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: history: %w", l.ws, err)
	}
	return out, nil
}

// errStop ends a scan early without error.
var errStop = errors.New("stop")

// scanIndex calls fn with the seqs filed under name in an index bucket, in
// ascending order.
func scanIndex(b *bolt.Bucket, name string, fn func(seq uint64) error) error {
	return scanIndexFrom(b, name, 0, fn)
}

// scanIndexFrom is scanIndex starting at seq from.
func scanIndexFrom(b *bolt.Bucket, name string, from uint64, fn func(seq uint64) error) error {
	prefix := append([]byte(name), 0)
	c := b.Cursor()
	for k, _ := c.Seek(indexKey(name, from)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		if err := fn(binary.BigEndian.Uint64(k[len(prefix):])); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return nil
}

// Query selects events.
type Query struct {
	// Type, when set, selects events of that type.
	Type string
	// EntityPrefix, when set, selects events whose entity starts with it.
	EntityPrefix string
	// After selects events with seq > After; use with Limit to page.
	After *uint64
	// Since and Until bound the recorded time (inclusive, exclusive).
	Since, Until time.Time
	// Limit bounds the result (default 1000).
	Limit int
}

// Find returns events matching q in log order.
func (l *Ledger) Find(q Query, o ReadOptions) ([]*Event, error) {
	if err := l.Sync(); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	var out []*Event
	err := l.db.View(func(tx *bolt.Tx) error {
		start := uint64(0)
		if q.After != nil {
			start = *q.After + 1
		}
		if !q.Since.IsZero() {
			if s := seqAtTime(tx, q.Since); s > start {
				start = s
			}
		}
		visit := func(seq uint64) error {
			if seq < start {
				return nil
			}
			ev, err := l.readEvent(tx, seq, o)
			if err != nil {
				return err
			}
			if !q.Until.IsZero() && !ev.Recorded.Before(q.Until) {
				return errStop
			}
			if q.EntityPrefix != "" && !bytes.HasPrefix([]byte(ev.Entity), []byte(q.EntityPrefix)) {
				return nil
			}
			out = append(out, ev)
			if len(out) >= q.Limit {
				return errStop
			}
			return nil
		}
		if q.Type != "" {
			return scanIndexFrom(tx.Bucket(bIdxType), q.Type, start, visit)
		}
		c := tx.Bucket(bLog).Cursor()
		for k, _ := c.Seek(seqKey(start)); k != nil; k, _ = c.Next() {
			if err := visit(binary.BigEndian.Uint64(k)); err != nil {
				if err == errStop {
					return nil
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: find: %w", l.ws, err)
	}
	return out, nil
}

// seqAtTime returns the first seq recorded at or after t. Recorded times
// never decrease along the log, so a binary search over it is exact.
func seqAtTime(tx *bolt.Tx, t time.Time) uint64 {
	b := tx.Bucket(bLog)
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0
	}
	lo, hi := uint64(0), binary.BigEndian.Uint64(k)+1
	want := t.UnixNano()
	for lo < hi {
		mid := lo + (hi-lo)/2
		env := b.Get(seqKey(mid))
		if len(env) >= offVarying && envelopeRecorded(env) < want {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Entities lists the distinct entities whose name starts with prefix.
func (l *Ledger) Entities(prefix string, limit int) ([]string, error) {
	if err := l.Sync(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 1000
	}
	var out []string
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bIdxEntity).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(out) < limit; {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				k, _ = c.Next()
				continue
			}
			name := string(k[:i])
			out = append(out, name)
			// Skip to the next entity: past name ‖ 0x00 ‖ 0xff….
			next := append([]byte(name), 1)
			k, _ = c.Seek(next)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: entities: %w", l.ws, err)
	}
	return out, nil
}
