package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Erase carries out a subject's right to be forgotten: it appends an
// erasure event (which holds no PHI), and with it destroys the subject's key
// and every PHI value sealed under it. Envelopes, hashes, checkpoints and
// proofs are untouched, so the ledger still verifies; the commitments left
// in envelopes reveal nothing without the destroyed salts.
//
// Erase also discards the write-ahead log segments that held the key. Copies
// of freed pages may remain inside the bbolt file until it is compacted;
// CompactFile removes them.
func (l *Ledger) Erase(ctx context.Context, subject, actor, reason string) (*Event, error) {
	if err := checkName("subject", subject, true); err != nil {
		return nil, fmt.Errorf("ledger %s: erase: %w", l.ws, err)
	}
	if !validReason(reason) {
		return nil, fmt.Errorf("ledger %s: erase: %w: reason must be a short code such as patient-request (a-z, 0-9, '-'), never free text", l.ws, ErrInvalidEvent)
	}
	if l.subjects.isErased(subject) {
		return nil, fmt.Errorf("ledger %s: erase: %w", l.ws, ErrErased)
	}
	var count int
	if err := l.Sync(); err != nil {
		return nil, err
	}
	err := l.db.View(func(tx *bolt.Tx) error {
		seqs, err := subjectSeqs(buckets(tx), subject)
		count = len(seqs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: erase: %w", l.ws, err)
	}
	attrs := map[string]string{"events_with_phi": strconv.Itoa(count)}
	if reason != "" {
		attrs["reason"] = reason
	}
	ev, err := l.append(ctx, &Event{
		Entity: subject, Subject: subject, Type: ErasedType, Source: SourceSystem,
		Confidence: 1, Actor: actor, Attrs: attrs,
	}, true)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: erase: %w", l.ws, err)
	}
	if err := l.waitApplied(ev.Seq); err != nil {
		return nil, err
	}
	// Start a fresh segment, then drop every segment before it: they may
	// hold the subject's wrapped key and sealed values.
	if err := l.submit(ctx, &appendReq{rotate: true, done: make(chan error, 1)}); err != nil {
		return nil, fmt.Errorf("ledger %s: erase: rotate log: %w", l.ws, err)
	}
	if err := l.wal.discard(ev.Seq, true); err != nil {
		return nil, fmt.Errorf("ledger %s: erase: discard log: %w", l.ws, err)
	}
	return ev, nil
}

// validReason accepts a reason code: free text could carry PHI into an
// envelope that is never erased.
func validReason(r string) bool {
	if len(r) > 64 {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Erased reports whether subject has been erased.
func (l *Ledger) Erased(subject string) bool { return l.subjects.isErased(subject) }

// compactPending is the suffix of the marker file that asks for a ledger
// file to be compacted the next time it is opened while closed.
const compactPending = ".compact-pending"

// MarkForCompaction records that the ledger file at path must be compacted
// before it is next opened: an erasure made while the file is in use
// leaves copies of the destroyed key in freed pages until then.
func MarkForCompaction(path string) error {
	f, err := os.OpenFile(path+compactPending, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: mark %s for compaction: %w", filepath.Base(path), err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("ledger: mark %s for compaction: %w", filepath.Base(path), err)
	}
	return syncDir(filepath.Dir(path))
}

// CompactionPending reports whether the file at path is marked for
// compaction.
func CompactionPending(path string) bool {
	_, err := os.Stat(path + compactPending)
	return err == nil
}

// CompactIfMarked compacts the closed ledger file at path if it is marked
// for compaction, then removes the mark. It reports whether it compacted;
// on an error the mark stays for the next attempt.
func CompactIfMarked(path string) (bool, error) {
	if !CompactionPending(path) {
		return false, nil
	}
	if err := CompactFile(path); err != nil {
		return false, err
	}
	if err := os.Remove(path + compactPending); err != nil {
		return true, fmt.Errorf("ledger: compacted %s but could not remove its mark: %w", filepath.Base(path), err)
	}
	return true, syncDir(filepath.Dir(path))
}

// CompactFile rewrites a closed ledger file so that no freed page — which
// may hold a destroyed key — survives in it. The file is replaced
// atomically; on any error the original is left as it was.
func CompactFile(path string) error {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2e9})
	if err != nil {
		return fmt.Errorf("ledger: compact %s: %w", filepath.Base(path), err)
	}
	defer src.Close()
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return fmt.Errorf("ledger: compact: %w", err)
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("ledger: compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("ledger: compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ledger: compact: %w", err)
	}
	src.Close()
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ledger: compact: %w", err)
	}
	return syncDir(filepath.Dir(path))
}
