package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/argon2"
)

// kekFilePrefix starts the text of a KEK file, so a misplaced file is
// recognisable and a truncated one is refused.
const kekFilePrefix = "frontdesk-kek-v1:"

// ErrKeyFileMode reports a key file that other users can read.
var ErrKeyFileMode = errors.New("key file is readable by other users")

// KEK is the key-encryption key: the root of the key hierarchy. It wraps
// workspace data keys and the appliance signing key and is never stored
// inside a ledger.
type KEK struct {
	s *Sealer
}

// NewKEK wraps raw key material as a KEK.
func NewKEK(k Key) (*KEK, error) {
	s, err := NewSealer(k, 1)
	if err != nil {
		return nil, err
	}
	return &KEK{s: s}, nil
}

// GenerateKEKFile creates a new random KEK in path with mode 0600. It refuses
// to overwrite an existing file.
func GenerateKEKFile(path string) (*KEK, error) {
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	text := kekFilePrefix + base64.StdEncoding.EncodeToString(k[:]) + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("crypto: create key file: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return nil, fmt.Errorf("crypto: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("crypto: sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("crypto: close key file: %w", err)
	}
	return NewKEK(k)
}

// LoadKEKFile reads a KEK written by GenerateKEKFile. The file must not be
// readable by group or others.
func LoadKEKFile(path string) (*KEK, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("crypto: key file %s does not exist: run `frontdesk init` or pass --kek-file", path)
		}
		return nil, fmt.Errorf("crypto: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("crypto: %s has mode %04o: %w; run `chmod 600 %s`", path, st.Mode().Perm(), ErrKeyFileMode, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("crypto: read key file: %w", err)
	}
	text := strings.TrimSpace(string(b))
	if !strings.HasPrefix(text, kekFilePrefix) {
		return nil, fmt.Errorf("crypto: %s is not a frontdesk key file", path)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(text, kekFilePrefix))
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("crypto: %s is damaged: expected %d bytes of base64 key", path, KeySize)
	}
	var k Key
	copy(k[:], raw)
	return NewKEK(k)
}

// PassphraseParams are the argon2id parameters and salt that turn a
// passphrase into a KEK. They are not secret and live in the data directory.
type PassphraseParams struct {
	KDF     string `json:"kdf"`
	Salt    []byte `json:"salt"`
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

// NewPassphraseParams returns fresh parameters with a random salt and the
// RFC 9106 second recommended setting scaled to a small server: 3 passes
// over 64 MiB with 2 lanes.
func NewPassphraseParams() (PassphraseParams, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return PassphraseParams{}, fmt.Errorf("crypto: salt: %w", err)
	}
	return PassphraseParams{KDF: "argon2id", Salt: salt, Time: 3, Memory: 64 * 1024, Threads: 2}, nil
}

// MarshalPassphraseParams encodes p for storage.
func MarshalPassphraseParams(p PassphraseParams) ([]byte, error) {
	return json.MarshalIndent(p, "", "  ")
}

// UnmarshalPassphraseParams decodes parameters written by MarshalPassphraseParams.
func UnmarshalPassphraseParams(b []byte) (PassphraseParams, error) {
	var p PassphraseParams
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("crypto: passphrase parameters: %w", err)
	}
	if p.KDF != "argon2id" || len(p.Salt) < 16 || p.Time == 0 || p.Memory < 8*1024 || p.Threads == 0 {
		return p, errors.New("crypto: passphrase parameters are invalid or damaged")
	}
	return p, nil
}

// KEKFromPassphraseFile derives a KEK with argon2id from the first line of
// the file at path.
func KEKFromPassphraseFile(path string, p PassphraseParams) (*KEK, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("crypto: passphrase file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) < 12 {
		return nil, errors.New("crypto: passphrase is shorter than 12 characters")
	}
	raw := argon2.IDKey(line, p.Salt, p.Time, p.Memory, p.Threads, KeySize)
	var k Key
	copy(k[:], raw)
	return NewKEK(k)
}

// Wrap seals key material under the KEK, bound to purpose (for example
// "workspace/clinic/dek/3" or "appliance/signing-key").
func (k *KEK) Wrap(secret []byte, purpose string) ([]byte, error) {
	return k.s.Seal(nil, secret, AAD("frontdesk/kek-wrap/v1", purpose))
}

// Unwrap opens key material sealed by Wrap with the same purpose.
func (k *KEK) Unwrap(wrapped []byte, purpose string) ([]byte, error) {
	out, err := k.s.Open(nil, wrapped, AAD("frontdesk/kek-wrap/v1", purpose))
	if err != nil {
		return nil, fmt.Errorf("crypto: unwrap %s: %w", purpose, err)
	}
	return out, nil
}

// checkPlaintext is sealed at init so a wrong KEK is recognised at open
// instead of surfacing later as unreadable data.
var checkPlaintext = []byte("frontdesk key-encryption key check")

// NewCheck returns a value that Check accepts only under this KEK.
func (k *KEK) NewCheck() ([]byte, error) {
	return k.Wrap(checkPlaintext, "kek-check")
}

// Check reports ErrWrongKey if check was not made by NewCheck under this KEK.
func (k *KEK) Check(check []byte) error {
	out, err := k.Unwrap(check, "kek-check")
	if err != nil || !bytes.Equal(out, checkPlaintext) {
		return fmt.Errorf("the key-encryption key does not open this data directory (wrong key file or passphrase): %w", ErrWrongKey)
	}
	return nil
}
