package crypto

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// SaltSize is the size of a commitment's salt.
const SaltSize = 32

// commitDomain separates PHI commitments from every other SHA-256 use. It
// is short so that a commitment to a value of up to 17 bytes (a date, a
// phone number, most names) is a single SHA-256 block.
var commitDomain = []byte("fdphi\x00")

// Commitment is SHA-256(domain ‖ salt ‖ value): it lets a ledger envelope
// vouch for a PHI value without revealing it. Without the salt, which is
// stored encrypted beside the value, the commitment says nothing about it;
// once the salt is destroyed by erasure it never can.
type Commitment [sha256.Size]byte

// NewSalt returns a random commitment salt.
func NewSalt() ([SaltSize]byte, error) {
	var s [SaltSize]byte
	if _, err := rand.Read(s[:]); err != nil {
		return s, fmt.Errorf("crypto: salt: %w", err)
	}
	return s, nil
}

// Commit computes the commitment to value under salt.
func Commit(salt [SaltSize]byte, value []byte) Commitment {
	return commit(salt[:], value)
}

func commit(salt, value []byte) (c Commitment) {
	// Written in parts into a digest on the stack: no buffer to fill,
	// whatever the value's length.
	h := sha256.New()
	h.Write(commitDomain)
	h.Write(salt)
	h.Write(value)
	h.Sum(c[:0])
	return c
}

// Matches reports, in constant time, whether c commits to value under salt.
func (c Commitment) Matches(salt [SaltSize]byte, value []byte) bool {
	return MatchCommitment(c[:], salt[:], value)
}

// MatchCommitment reports, in constant time, whether the commitment c
// (as stored, 32 bytes) commits to value under salt (SaltSize bytes). It is
// Matches for callers that hold slices, without copying them.
func MatchCommitment(c, salt, value []byte) bool {
	if len(c) != sha256.Size || len(salt) != SaltSize {
		return false
	}
	d := commit(salt, value)
	// A word at a time, every word: as constant-time as a byte loop, and
	// a quarter of the work on the verification path.
	var x uint64
	for i := 0; i < sha256.Size; i += 8 {
		x |= binary.LittleEndian.Uint64(c[i:]) ^ binary.LittleEndian.Uint64(d[i:])
	}
	return x == 0
}

// MarshalText encodes the commitment in base64.
func (c Commitment) MarshalText() ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString(c[:])), nil
}

// UnmarshalText decodes a base64 commitment.
func (c *Commitment) UnmarshalText(b []byte) error {
	raw, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil || len(raw) != len(c) {
		return fmt.Errorf("crypto: bad commitment %q", b)
	}
	copy(c[:], raw)
	return nil
}
