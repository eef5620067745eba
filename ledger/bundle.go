package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/tlog"
)

// BundleVersion is the version of the proof bundle format.
const BundleVersion = 1

// Bundle is a proof bundle: what an auditor needs to check, offline, that
// events are in a ledger whose root the appliance signed. Any RFC 6962
// implementation can check it: leaf hash = SHA-256(0x00 ‖ envelope), proofs
// are RFC 6962 audit paths and consistency proofs, the checkpoint is a C2SP
// tlog-checkpoint signed as a golang.org/x/mod/sumdb/note with Ed25519.
type Bundle struct {
	Version int    `json:"version"`
	Origin  string `json:"origin"`
	// Checkpoint is the signed note text.
	Checkpoint string `json:"checkpoint"`
	// Key is the verifier key that signed Checkpoint. An auditor should
	// compare it with the key they hold, or pass theirs to VerifyBundle.
	Key         string             `json:"key"`
	Entries     []BundleEntry      `json:"entries"`
	Consistency *BundleConsistency `json:"consistency,omitempty"`
}

// BundleEntry is one event with its inclusion proof.
type BundleEntry struct {
	// Index is the event's seq: its leaf index in the tree.
	Index uint64 `json:"index"`
	// Envelope is the exact hashed bytes (base64 in JSON).
	Envelope []byte `json:"envelope"`
	Proof    []Hash `json:"proof"`
}

// BundleConsistency proves an older checkpoint is a prefix of the bundle's.
type BundleConsistency struct {
	// From is the older signed checkpoint.
	From  string `json:"from"`
	Proof []Hash `json:"proof"`
}

// Prove builds a bundle for the events at seqs under a fresh checkpoint of
// the whole ledger, with a consistency proof from the stored checkpoint of
// size fromSize when fromSize > 0.
func (l *Ledger) Prove(seqs []uint64, fromSize uint64) (*Bundle, error) {
	cp, err := l.Checkpoint()
	if err != nil {
		return nil, err
	}
	b := &Bundle{Version: BundleVersion, Origin: cp.Origin, Checkpoint: cp.Note, Key: l.opts.Signing.VerifierKey}
	sorted := append([]uint64(nil), seqs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for i, seq := range sorted {
		if i > 0 && seq == sorted[i-1] {
			continue
		}
		if seq >= cp.Size {
			return nil, fmt.Errorf("ledger %s: prove: seq %d is beyond the ledger's %d events", l.ws, seq, cp.Size)
		}
		env, err := l.Envelope(seq)
		if err != nil {
			return nil, err
		}
		p, err := l.InclusionProof(seq, cp.Size)
		if err != nil {
			return nil, err
		}
		b.Entries = append(b.Entries, BundleEntry{Index: seq, Envelope: env, Proof: p})
	}
	if fromSize > 0 {
		old, err := l.StoredCheckpoint(fromSize)
		if err != nil {
			return nil, fmt.Errorf("ledger %s: prove: %w (see `ledger checkpoints` for the stored sizes)", l.ws, err)
		}
		p, err := l.ConsistencyProof(fromSize, cp.Size)
		if err != nil {
			return nil, err
		}
		b.Consistency = &BundleConsistency{From: old.Note, Proof: p}
	}
	return b, nil
}

// BundleReport is what VerifyBundle established.
type BundleReport struct {
	Checkpoint *Checkpoint `json:"checkpoint"`
	// KeyFromBundle is true when no trusted key was given and the bundle's
	// own key was used: the proof then shows only self-consistency.
	KeyFromBundle bool     `json:"key_from_bundle"`
	Events        []*Event `json:"events"`
	// ConsistentFrom is the size of the older checkpoint proven a prefix,
	// or 0.
	ConsistentFrom uint64 `json:"consistent_from,omitempty"`
}

// ErrBundle reports a bundle that does not verify.
var ErrBundle = errors.New("proof bundle does not verify")

// VerifyBundle checks a bundle without any ledger: the checkpoint signature
// (under trustedKey, or the bundle's key when trustedKey is empty), every
// entry's inclusion proof against the signed root, and the consistency proof.
func VerifyBundle(data []byte, trustedKey string) (*BundleReport, error) {
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: not a proof bundle: %v", ErrBundle, err)
	}
	if b.Version != BundleVersion {
		return nil, fmt.Errorf("%w: version %d is not supported (want %d)", ErrBundle, b.Version, BundleVersion)
	}
	rep := &BundleReport{}
	key := trustedKey
	if key == "" {
		key, rep.KeyFromBundle = b.Key, true
	}
	cp, err := OpenCheckpoint([]byte(b.Checkpoint), key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if cp.Origin != b.Origin {
		return nil, fmt.Errorf("%w: checkpoint origin %q differs from the bundle's %q", ErrBundle, cp.Origin, b.Origin)
	}
	rep.Checkpoint = cp
	for _, e := range b.Entries {
		if e.Index >= cp.Size {
			return nil, fmt.Errorf("%w: entry %d is beyond the checkpoint's %d events", ErrBundle, e.Index, cp.Size)
		}
		leaf := recordHash(e.Envelope)
		if err := tlog.CheckRecord(e.Proof, int64(cp.Size), cp.Root, int64(e.Index), leaf); err != nil {
			return nil, fmt.Errorf("%w: entry %d: inclusion proof: %v", ErrBundle, e.Index, err)
		}
		ev, err := DecodeEnvelope(e.Envelope)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrBundle, e.Index, err)
		}
		if ev.Seq != e.Index {
			return nil, fmt.Errorf("%w: entry %d: envelope says seq %d", ErrBundle, e.Index, ev.Seq)
		}
		rep.Events = append(rep.Events, ev)
	}
	if c := b.Consistency; c != nil {
		old, err := OpenCheckpoint([]byte(c.From), key)
		if err != nil {
			return nil, fmt.Errorf("%w: older checkpoint: %v", ErrBundle, err)
		}
		if old.Origin != cp.Origin {
			return nil, fmt.Errorf("%w: older checkpoint is of another log (%q)", ErrBundle, old.Origin)
		}
		if old.Size > cp.Size {
			return nil, fmt.Errorf("%w: older checkpoint has %d events, more than the newer %d", ErrBundle, old.Size, cp.Size)
		}
		if err := CheckConsistency(hashBytes(c.Proof), old.Size, cp.Size, old.Root[:], cp.Root[:]); err != nil {
			return nil, fmt.Errorf("%w: consistency from %d to %d: %v", ErrBundle, old.Size, cp.Size, err)
		}
		rep.ConsistentFrom = old.Size
	}
	return rep, nil
}

// CheckInclusion verifies an RFC 6962 inclusion proof given as raw hashes:
// that the leaf with hash leafHash is at index in the tree of size leaves
// whose root is root. Every hash must be 32 bytes.
func CheckInclusion(proof [][]byte, size uint64, root []byte, index uint64, leafHash []byte) error {
	p, err := toHashes(proof)
	if err != nil {
		return err
	}
	r, err := toHash(root)
	if err != nil {
		return err
	}
	h, err := toHash(leafHash)
	if err != nil {
		return err
	}
	if index >= size {
		return fmt.Errorf("%w: index %d is not below size %d", ErrBundle, index, size)
	}
	return tlog.CheckRecord(p, int64(size), r, int64(index), h)
}

// CheckConsistency verifies an RFC 6962 consistency proof that the tree of
// size1 leaves with root1 is a prefix of the tree of size2 leaves with root2.
// A proof from the empty tree proves nothing and is refused.
func CheckConsistency(proof [][]byte, size1, size2 uint64, root1, root2 []byte) error {
	switch {
	case size1 == 0:
		return fmt.Errorf("%w: consistency from an empty tree", ErrBundle)
	case size1 > size2:
		return fmt.Errorf("%w: size %d is larger than %d", ErrBundle, size1, size2)
	case size1 == size2:
		if len(proof) != 0 || !bytes.Equal(root1, root2) {
			return fmt.Errorf("%w: equal sizes need equal roots and an empty proof", ErrBundle)
		}
		return nil
	}
	p, err := toHashes(proof)
	if err != nil {
		return err
	}
	r1, err := toHash(root1)
	if err != nil {
		return err
	}
	r2, err := toHash(root2)
	if err != nil {
		return err
	}
	return tlog.CheckTree(p, int64(size2), r2, int64(size1), r1)
}

func hashBytes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func toHash(b []byte) (Hash, error) {
	var h Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("%w: a hash of %d bytes", ErrBundle, len(b))
	}
	copy(h[:], b)
	return h, nil
}

func toHashes(bs [][]byte) ([]Hash, error) {
	out := make([]Hash, len(bs))
	for i, b := range bs {
		h, err := toHash(b)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
