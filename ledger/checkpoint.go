package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement of a ledger's size and Merkle root: a
// C2SP tlog-checkpoint body signed as a note.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   Hash   `json:"root"`
	// Note is the signed note text: body, blank line, signature lines.
	Note string `json:"note"`
}

// checkpointBody formats the C2SP tlog-checkpoint body.
func checkpointBody(origin string, size uint64, root Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// ErrBadCheckpoint reports a checkpoint that is malformed or whose
// signature does not verify.
var ErrBadCheckpoint = errors.New("checkpoint does not verify")

// OpenCheckpoint verifies a signed checkpoint note with the verifier key
// vkey and parses its body.
func OpenCheckpoint(signed []byte, vkey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrBadCheckpoint, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	cp, err := parseCheckpointBody(n.Text)
	if err != nil {
		return nil, err
	}
	cp.Note = string(signed)
	return cp, nil
}

func parseCheckpointBody(text string) (*Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return nil, fmt.Errorf("%w: body is not origin, size and root lines", ErrBadCheckpoint)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return nil, fmt.Errorf("%w: bad size line", ErrBadCheckpoint)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != len(Hash{}) {
		return nil, fmt.Errorf("%w: bad root line", ErrBadCheckpoint)
	}
	cp := &Checkpoint{Origin: lines[0], Size: size}
	copy(cp.Root[:], raw)
	return cp, nil
}

// Checkpoint signs and stores a checkpoint of the whole ledger. If the
// latest stored checkpoint already covers every event it is returned.
func (l *Ledger) Checkpoint() (*Checkpoint, error) {
	if l.opts.Signing == nil {
		return nil, fmt.Errorf("ledger %s: checkpoint: no signing key", l.ws)
	}
	if err := l.Sync(); err != nil {
		return nil, err
	}
	var cp *Checkpoint
	err := l.db.Update(func(tx *bolt.Tx) error {
		size := l.sizeAtomic.Load()
		if size == 0 {
			return errors.New("the ledger is empty")
		}
		if k, v := tx.Bucket(bCheckpoints).Cursor().Last(); k != nil && binary.BigEndian.Uint64(k) == size {
			var err error
			cp, err = OpenCheckpoint(v, l.opts.Signing.VerifierKey)
			return err
		}
		root, err := l.treeHash(tx, int64(size))
		if err != nil {
			return err
		}
		signed, err := note.Sign(&note.Note{Text: checkpointBody(l.origin, size, root)}, l.opts.Signing.Signer)
		if err != nil {
			return err
		}
		cp = &Checkpoint{Origin: l.origin, Size: size, Root: root, Note: string(signed)}
		return tx.Bucket(bCheckpoints).Put(seqKey(size), signed)
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: checkpoint: %w", l.ws, err)
	}
	return cp, nil
}

// Checkpoints returns the stored checkpoints, oldest first. Signatures are
// checked against the ledger's signing key when it has one.
func (l *Ledger) Checkpoints() ([]*Checkpoint, error) {
	var out []*Checkpoint
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCheckpoints).ForEach(func(k, v []byte) error {
			var cp *Checkpoint
			var err error
			if l.opts.Signing != nil {
				cp, err = OpenCheckpoint(v, l.opts.Signing.VerifierKey)
			} else {
				cp, err = parseUnverified(v)
			}
			if err != nil {
				return fmt.Errorf("checkpoint at size %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, cp)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: checkpoints: %w", l.ws, err)
	}
	return out, nil
}

// StoredCheckpoint returns the stored checkpoint of the given size.
func (l *Ledger) StoredCheckpoint(size uint64) (*Checkpoint, error) {
	var signed []byte
	l.db.View(func(tx *bolt.Tx) error {
		signed = bytes.Clone(tx.Bucket(bCheckpoints).Get(seqKey(size)))
		return nil
	})
	if signed == nil {
		return nil, fmt.Errorf("ledger %s: no stored checkpoint of size %d", l.ws, size)
	}
	if l.opts.Signing == nil {
		return parseUnverified(signed)
	}
	return OpenCheckpoint(signed, l.opts.Signing.VerifierKey)
}

// parseUnverified reads a checkpoint note without checking its signature.
func parseUnverified(signed []byte) (*Checkpoint, error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: not a signed note", ErrBadCheckpoint)
	}
	cp, err := parseCheckpointBody(string(signed[:i+1]))
	if err != nil {
		return nil, err
	}
	cp.Note = string(signed)
	return cp, nil
}
