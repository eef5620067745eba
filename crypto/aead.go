package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the size in bytes of every symmetric key in frontdesk (AES-256).
const KeySize = 32

// Key is a 256-bit symmetric key.
type Key [KeySize]byte

// formatGCM is the first byte of every sealed value: AES-256-GCM, 96-bit
// random nonce, 128-bit tag.
const formatGCM = 0x01

// headerSize is format (1) + key version (4) + nonce (12).
const headerSize = 1 + 4 + 12

// Overhead is how many bytes Seal adds to a plaintext.
const Overhead = headerSize + 16

var (
	// ErrWrongKey reports that a ciphertext does not open under the key
	// offered: the key is wrong, or the ciphertext or its context was altered.
	ErrWrongKey = errors.New("wrong key or damaged ciphertext")
	// ErrUnknownFormat reports a ciphertext whose header this version of
	// frontdesk does not understand.
	ErrUnknownFormat = errors.New("unknown ciphertext format")
)

// NewKey returns a fresh random key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("crypto: new key: %w", err)
	}
	return k, nil
}

// Sealer encrypts and decrypts with one key version. It is safe for
// concurrent use; building one costs an AES key schedule, so callers keep
// it rather than the raw Key.
type Sealer struct {
	version uint32
	aead    cipher.AEAD
}

// NewSealer returns a Sealer for key k, which it labels with version.
func NewSealer(k Key, version uint32) (*Sealer, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("crypto: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypto: gcm: %w", err)
	}
	return &Sealer{version: version, aead: aead}, nil
}

// Version is the key version this Sealer writes into its ciphertexts.
func (s *Sealer) Version() uint32 { return s.version }

// Seal encrypts plaintext, binding it to aad, and appends the result to dst.
// The header (format and key version) is not additional data: a changed
// format is refused and a changed version names a key that does not open
// the ciphertext.
func (s *Sealer) Seal(dst, plaintext, aad []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, headerSize)...)
	h := dst[start:]
	h[0] = formatGCM
	binary.BigEndian.PutUint32(h[1:5], s.version)
	if _, err := rand.Read(h[5:headerSize]); err != nil {
		return nil, fmt.Errorf("crypto: nonce: %w", err)
	}
	return s.aead.Seal(dst, h[5:headerSize], plaintext, aad), nil
}

// Open decrypts a ciphertext made by Seal with the same key and aad, and
// appends the plaintext to dst.
func (s *Sealer) Open(dst, ciphertext, aad []byte) ([]byte, error) {
	v, err := CiphertextVersion(ciphertext)
	if err != nil {
		return nil, err
	}
	if v != s.version {
		return nil, fmt.Errorf("%w: sealed with key version %d, opened with %d", ErrWrongKey, v, s.version)
	}
	out, err := s.aead.Open(dst, ciphertext[5:headerSize], ciphertext[headerSize:], aad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return out, nil
}

// CiphertextVersion returns the key version named in a sealed value's header.
func CiphertextVersion(ciphertext []byte) (uint32, error) {
	if len(ciphertext) < Overhead {
		return 0, fmt.Errorf("%w: ciphertext of %d bytes is too short", ErrUnknownFormat, len(ciphertext))
	}
	if ciphertext[0] != formatGCM {
		return 0, fmt.Errorf("%w: format byte %#x", ErrUnknownFormat, ciphertext[0])
	}
	return binary.BigEndian.Uint32(ciphertext[1:5]), nil
}

// AppendAAD appends AAD(parts...) to dst.
func AppendAAD(dst []byte, parts ...string) []byte {
	for _, p := range parts {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
		dst = append(dst, p...)
	}
	return dst
}

// AAD joins the parts of a ciphertext's context (workspace, event, field …)
// unambiguously: each part is length-prefixed, so ("ab","c") and ("a","bc")
// differ.
func AAD(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}
