package ledger

import (
	"encoding/binary"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// treeTxReader reads stored Merkle hashes from a transaction's tree bucket.
type treeTxReader struct{ b *bolt.Bucket }

func (r treeTxReader) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	var k [8]byte
	for i, idx := range indexes {
		binary.BigEndian.PutUint64(k[:], uint64(idx))
		v := r.b.Get(k[:])
		if len(v) != 32 {
			return nil, fmt.Errorf("stored hash %d is missing or damaged", idx)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// treeCache remembers tree hashes already computed, and the stored hashes
// of the upper levels of the tree, which every proof shares.
type treeCache struct {
	mu    sync.Mutex
	roots map[int64]Hash
	upper map[int64]Hash
}

// cachedLevel is the lowest level whose stored hashes are cached: a
// 1M-event tree has about 31,000 of them, and a proof then reads at most
// cachedLevel hashes from bbolt.
const cachedLevel = 5

// maxCachedHashes caps the cache (about 12 MiB).
const maxCachedHashes = 1 << 18

// cachingReader reads through the tree cache.
type cachingReader struct {
	c  *treeCache
	tx treeTxReader
}

func (r cachingReader) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	var miss []int
	r.c.mu.Lock()
	for i, idx := range indexes {
		if h, ok := r.c.upper[idx]; ok {
			out[i] = h
		} else {
			miss = append(miss, i)
		}
	}
	r.c.mu.Unlock()
	if len(miss) == 0 {
		return out, nil
	}
	var k [8]byte
	var add []int
	for _, i := range miss {
		binary.BigEndian.PutUint64(k[:], uint64(indexes[i]))
		v := r.tx.b.Get(k[:])
		if len(v) != 32 {
			return nil, fmt.Errorf("stored hash %d is missing or damaged", indexes[i])
		}
		copy(out[i][:], v)
		if level, _ := tlog.SplitStoredHashIndex(indexes[i]); level >= cachedLevel {
			add = append(add, i)
		}
	}
	if len(add) > 0 {
		r.c.mu.Lock()
		if len(r.c.upper) > maxCachedHashes {
			add = nil
		}
		if r.c.upper == nil {
			r.c.upper = map[int64]Hash{}
		}
		for _, i := range add {
			r.c.upper[indexes[i]] = out[i]
		}
		r.c.mu.Unlock()
	}
	return out, nil
}

// treeHash returns the root of the tree of the first n events.
func (l *Ledger) treeHash(tx *bolt.Tx, n int64) (Hash, error) {
	l.tree.mu.Lock()
	h, ok := l.tree.roots[n]
	l.tree.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := tlog.TreeHash(n, l.reader(tx))
	if err != nil {
		return Hash{}, err
	}
	l.tree.mu.Lock()
	if l.tree.roots == nil || len(l.tree.roots) > 1024 {
		l.tree.roots = map[int64]Hash{}
	}
	l.tree.roots[n] = h
	l.tree.mu.Unlock()
	return h, nil
}

func (l *Ledger) reader(tx *bolt.Tx) tlog.HashReader {
	return cachingReader{c: &l.tree, tx: treeTxReader{tx.Bucket(bTree)}}
}

// TreeHash returns the Merkle root over the first n events.
func (l *Ledger) TreeHash(n uint64) (Hash, error) {
	if n > 0 {
		if err := l.waitApplied(n - 1); err != nil {
			return Hash{}, err
		}
	}
	var h Hash
	err := l.db.View(func(tx *bolt.Tx) error {
		if size := l.sizeAtomic.Load(); n > size {
			return fmt.Errorf("tree of %d events requested; the ledger has %d", n, size)
		}
		var err error
		h, err = l.treeHash(tx, int64(n))
		return err
	})
	if err != nil {
		return Hash{}, fmt.Errorf("ledger %s: tree hash: %w", l.ws, err)
	}
	return h, nil
}

// InclusionProof proves that the event at seq is in the tree of the first
// size events.
func (l *Ledger) InclusionProof(seq, size uint64) (tlog.RecordProof, error) {
	if seq >= size {
		return nil, fmt.Errorf("ledger %s: prove: seq %d is not below tree size %d", l.ws, seq, size)
	}
	if err := l.waitApplied(size - 1); err != nil {
		return nil, err
	}
	var p tlog.RecordProof
	err := l.db.View(func(tx *bolt.Tx) error {
		if s := l.sizeAtomic.Load(); size > s {
			return fmt.Errorf("tree size %d is beyond the ledger's %d events", size, s)
		}
		var err error
		p, err = tlog.ProveRecord(int64(size), int64(seq), l.reader(tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: prove seq %d: %w", l.ws, seq, err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of the first from events is a prefix
// of the tree of the first to events.
func (l *Ledger) ConsistencyProof(from, to uint64) (tlog.TreeProof, error) {
	if from > to {
		return nil, fmt.Errorf("ledger %s: consistency: size %d is larger than %d", l.ws, from, to)
	}
	if to > 0 {
		if err := l.waitApplied(to - 1); err != nil {
			return nil, err
		}
	}
	var p tlog.TreeProof
	err := l.db.View(func(tx *bolt.Tx) error {
		if s := l.sizeAtomic.Load(); to > s {
			return fmt.Errorf("tree size %d is beyond the ledger's %d events", to, s)
		}
		var err error
		p, err = tlog.ProveTree(int64(to), int64(from), l.reader(tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: consistency %d→%d: %w", l.ws, from, to, err)
	}
	return p, nil
}

// storedHashIndex0 is the index of the first stored hash of record seq.
func storedHashIndex0(seq uint64) int64 { return tlog.StoredHashIndex(0, int64(seq)) }

// Proven is an event read together with its proof of inclusion in the tree
// of the whole ledger, already checked against that tree's root.
type Proven struct {
	Event *Event
	Size  uint64
	Root  Hash
	Proof tlog.RecordProof
}

// GetVerified reads the event at seq, proves its inclusion in the tree of
// every applied event and checks the proof against the tree's root before
// returning: a read that cannot be proven fails.
func (l *Ledger) GetVerified(seq uint64, o ReadOptions) (*Proven, error) {
	if err := l.waitApplied(seq); err != nil {
		return nil, err
	}
	var p Proven
	err := l.db.View(func(tx *bolt.Tx) error {
		size := l.sizeAtomic.Load()
		env := tx.Bucket(bLog).Get(seqKey(seq))
		if env == nil || seq >= size {
			return ErrNotFound
		}
		r := l.reader(tx)
		root, err := l.treeHash(tx, int64(size))
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(int64(size), int64(seq), r)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(proof, int64(size), root, int64(seq), recordHash(env)); err != nil {
			return fmt.Errorf("seq %d does not prove against the tree: %w", seq, err)
		}
		ev, err := l.readEvent(tx, seq, o)
		if err != nil {
			return err
		}
		p = Proven{Event: ev, Size: size, Root: root, Proof: proof}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: verified read %d: %w", l.ws, seq, err)
	}
	return &p, nil
}
