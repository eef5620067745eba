package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// ErasedType is the type of the event that records a subject's erasure.
const ErasedType = reservedPrefix + "subject-erased"

// applier folds acknowledged groups into bbolt, several at a time, in one
// synced transaction each.
func (l *Ledger) applier() {
	defer l.writerWG.Done()
	for recs := range l.applyCh {
	more:
		for len(recs) < 16384 {
			select {
			case r, ok := <-l.applyCh:
				if !ok {
					break more
				}
				recs = append(recs, r...)
			default:
				break more
			}
		}
		l.applyWithRetry(recs)
	}
}

// applyWithRetry commits recs, retrying a few times while the disk refuses;
// the events are durable in the WAL meanwhile. If bbolt keeps refusing, the
// ledger stops taking writes and the next Open replays the WAL.
func (l *Ledger) applyWithRetry(recs []*record) {
	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	if failed != nil {
		return
	}
	backoff := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := l.db.Update(func(tx *bolt.Tx) error { return l.applyRecords(tx, recs) })
		if err == nil {
			break
		}
		if attempt == 8 {
			l.mu.Lock()
			l.failed = fmt.Errorf("%w: writing to %s: %v", ErrFailed, l.path, err)
			l.cond.Broadcast()
			l.mu.Unlock()
			return
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	last := recs[len(recs)-1].seq
	l.mu.Lock()
	for _, r := range recs {
		if p, ok := l.pendingID[r.id]; ok && p.seq == r.seq {
			delete(l.pendingID, r.id)
		}
		if l.pendingEn[r.entity] == r.seq {
			delete(l.pendingEn, r.entity)
		}
	}
	l.size = last + 1
	l.sizeAtomic.Store(l.size)
	l.cond.Broadcast()
	l.mu.Unlock()
	l.wal.release(last)
	l.wal.ensureSpare()
}

// applyRecords writes records, in seq order, into the primary buckets and
// the indexes.
func (l *Ledger) applyRecords(tx *bolt.Tx, recs []*record) (err error) {
	b := buckets(tx)
	f := &l.front
	if !f.valid || (len(recs) > 0 && f.size != recs[0].seq) {
		if err := f.load(b.tree, recs[0].seq); err != nil {
			return err
		}
	}
	// A transaction that fails is rolled back; so is the frontier.
	defer func() {
		if err != nil {
			f.valid = false
		}
	}()
	for _, r := range recs {
		if r.entity == "" {
			// A record replayed from the WAL: decode what the indexes need.
			ev, err := DecodeEnvelope(r.envelope)
			if err != nil {
				return fmt.Errorf("replay seq %d: %w", r.seq, err)
			}
			r.entity, r.subject, r.typ, r.id = ev.Entity, ev.Subject, ev.Type, ev.ID
			r.erase = ev.Type == ErasedType
		}
		k := seqKey(r.seq)
		if err := b.log.Put(k, r.envelope); err != nil {
			return err
		}
		if err := putStoredHashes(b.tree, r.seq, f.add(r.seq, recordHash(r.envelope))); err != nil {
			return err
		}
		if r.newKey != nil {
			if err := b.subjects.Put([]byte(r.subject), r.newKey); err != nil {
				return err
			}
		}
		if r.phi != nil {
			if err := b.phi.Put(k, r.phi); err != nil {
				return err
			}
		}
		if err := putIndexes(b, r.seq, r.id, r.entity, r.typ, r.subject, r.phi != nil); err != nil {
			return err
		}
		if r.erase {
			if err := eraseSubject(b, r.subject, r.seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// putStoredHashes stores the Merkle hashes that record seq adds, at
// consecutive indexes from StoredHashIndex(0, seq).
func putStoredHashes(tree *bolt.Bucket, seq uint64, hashes []Hash) error {
	base := uint64(tlog.StoredHashIndex(0, int64(seq)))
	for i, h := range hashes {
		if err := tree.Put(seqKey(base+uint64(i)), bytes.Clone(h[:])); err != nil {
			return err
		}
	}
	return nil
}

// txBuckets are the buckets of one transaction.
type txBuckets struct {
	meta, log, tree, phi, keys, subjects, erased, checkpoints *bolt.Bucket
	id, entity, typ, subject                                  *bolt.Bucket
}

func buckets(tx *bolt.Tx) txBuckets {
	b := txBuckets{
		meta: tx.Bucket(bMeta), log: tx.Bucket(bLog), tree: tx.Bucket(bTree), phi: tx.Bucket(bPHI),
		keys: tx.Bucket(bKeys), subjects: tx.Bucket(bSubjects), erased: tx.Bucket(bErased),
		checkpoints: tx.Bucket(bCheckpoints),
		id:          tx.Bucket(bIdxID), entity: tx.Bucket(bIdxEntity), typ: tx.Bucket(bIdxType), subject: tx.Bucket(bIdxSubject),
	}
	if tx.Writable() {
		for _, bk := range []*bolt.Bucket{b.log, b.tree, b.phi, b.id, b.entity, b.typ, b.subject} {
			if bk != nil {
				bk.FillPercent = 1.0
			}
		}
	}
	return b
}

// indexKey is name ‖ 0x00 ‖ seq: entries of one name sort by seq.
func indexKey(name string, seq uint64) []byte {
	k := make([]byte, 0, len(name)+9)
	k = append(k, name...)
	k = append(k, 0)
	return append(k, seqKey(seq)...)
}

// putIndexes files an event in the derived indexes. The subject index holds
// only events whose PHI belongs to a subject other than their entity; the
// others are found through the entity index.
func putIndexes(b txBuckets, seq uint64, id, entity, typ, subject string, hasPHI bool) error {
	if err := b.id.Put([]byte(id), seqKey(seq)); err != nil {
		return err
	}
	if err := b.entity.Put(indexKey(entity, seq), nil); err != nil {
		return err
	}
	if err := b.typ.Put(indexKey(typ, seq), nil); err != nil {
		return err
	}
	if hasPHI && subject != entity {
		if err := b.subject.Put(indexKey(subject, seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// eraseSubject deletes a subject's key and every PHI value sealed under it,
// and records the erasure.
func eraseSubject(b txBuckets, subject string, seq uint64) error {
	if err := b.subjects.Delete([]byte(subject)); err != nil {
		return err
	}
	seqs, err := subjectSeqs(b, subject)
	if err != nil {
		return err
	}
	for _, s := range seqs {
		if err := b.phi.Delete(seqKey(s)); err != nil {
			return err
		}
	}
	return b.erased.Put([]byte(subject), seqKey(seq))
}

// subjectSeqs lists, in order, the events whose PHI is sealed under
// subject's key: those filed under it in the subject index, and those of the
// entity of the same name that name it as their subject.
func subjectSeqs(b txBuckets, subject string) ([]uint64, error) {
	var out []uint64
	scanIndex(b.subject, subject, func(seq uint64) error { out = append(out, seq); return nil })
	var view envelopeView
	err := scanIndex(b.entity, subject, func(seq uint64) error {
		if err := parseEnvelope(b.log.Get(seqKey(seq)), &view); err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		if view.nPHI > 0 && string(view.subject) == subject {
			out = append(out, seq)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, err
}

// frontier is the right edge of the Merkle tree: for each level, the hash
// of the last complete subtree. With it the applier computes each event's
// stored hashes without reading the tree bucket.
type frontier struct {
	valid bool
	size  uint64
	stack [64]Hash
}

// load reads the right edge of the tree of size events.
func (f *frontier) load(tree *bolt.Bucket, size uint64) error {
	r := treeTxReader{tree}
	for level := 0; level < 64 && size>>level > 0; level++ {
		hs, err := r.ReadHashes([]int64{tlog.StoredHashIndex(level, int64(size>>level)-1)})
		if err != nil {
			return fmt.Errorf("tree frontier: %w", err)
		}
		f.stack[level] = hs[0]
	}
	f.size, f.valid = size, true
	return nil
}

// add returns the hashes to store for leaf seq, in stored-hash index order,
// and advances the frontier.
func (f *frontier) add(seq uint64, leaf Hash) []Hash {
	m := bits.TrailingZeros64(seq + 1)
	hashes := make([]Hash, 1, m+1)
	hashes[0] = leaf
	h := leaf
	for level := 0; level < m; level++ {
		h = tlog.NodeHash(f.stack[level], h)
		hashes = append(hashes, h)
	}
	f.stack[m] = h
	f.size = seq + 1
	return hashes
}

// recordHash is the Merkle leaf hash of an envelope, SHA-256(0x00 ‖
// envelope) as tlog.RecordHash computes it, without its allocation or a
// copy of the envelope.
func recordHash(envelope []byte) (h Hash) {
	d := sha256.New()
	d.Write(leafPrefix[:])
	d.Write(envelope)
	d.Sum(h[:0])
	return h
}

// leafPrefix is RFC 6962's domain separator for leaf hashes.
var leafPrefix = [1]byte{0}
