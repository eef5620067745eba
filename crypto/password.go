package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id costs of a password hash. They are
// encoded into every hash, so raising them later leaves old hashes valid.
type PasswordParams struct {
	// Time is the number of passes over memory.
	Time uint32 `json:"time"`
	// MemoryKiB is the memory used, in KiB.
	MemoryKiB uint32 `json:"memory_kib"`
	// Threads is the degree of parallelism (lanes).
	Threads uint8 `json:"threads"`
}

// DefaultPasswordParams are RFC 9106's second recommended setting scaled to
// a small server: 3 passes over 64 MiB with 2 lanes.
var DefaultPasswordParams = PasswordParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// Bounds on the costs HashPassword accepts and CheckPassword honours. The
// upper bounds stop a damaged or altered hash from exhausting the server.
const (
	minPasswordMemoryKiB = 8 * 1024
	maxPasswordMemoryKiB = 1 << 20
	maxPasswordTime      = 64
	maxPasswordThreads   = 16
	passwordSaltLen      = 16
	passwordKeyLen       = 32
	// MaxPasswordLen bounds the bytes of a password that are hashed.
	MaxPasswordLen = 1024
)

var (
	// ErrPasswordMismatch reports a password that does not match its hash.
	ErrPasswordMismatch = errors.New("password does not match")
	// ErrPasswordHash reports a stored hash this package cannot read.
	ErrPasswordHash = errors.New("password hash is malformed")
)

var b64 = base64.RawStdEncoding

func (p PasswordParams) check() error {
	if p.Time < 1 || p.Time > maxPasswordTime || p.MemoryKiB < minPasswordMemoryKiB || p.MemoryKiB > maxPasswordMemoryKiB ||
		p.Threads < 1 || p.Threads > maxPasswordThreads {
		return fmt.Errorf("crypto: argon2id parameters out of range (time 1..%d, memory %d..%d KiB, threads 1..%d)",
			maxPasswordTime, minPasswordMemoryKiB, maxPasswordMemoryKiB, maxPasswordThreads)
	}
	return nil
}

// HashPassword hashes password with argon2id and a fresh random salt and
// returns it in the PHC string format used by the argon2 reference
// implementation: $argon2id$v=19$m=65536,t=3,p=2$salt$hash.
func HashPassword(password []byte, p PasswordParams) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	if len(password) == 0 || len(password) > MaxPasswordLen {
		return "", fmt.Errorf("crypto: password must be 1..%d bytes", MaxPasswordLen)
	}
	salt := make([]byte, passwordSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("crypto: salt: %w", err)
	}
	key := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, passwordKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parsePasswordHash decodes a PHC argon2id string.
func parsePasswordHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrPasswordHash
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, ErrPasswordHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrPasswordHash
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, ErrPasswordHash
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrPasswordHash
		}
	}
	if p.check() != nil {
		return p, nil, nil, ErrPasswordHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrPasswordHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrPasswordHash
	}
	return p, salt, key, nil
}

// CheckPassword reports whether password matches a hash made by
// HashPassword: nil on a match, ErrPasswordMismatch otherwise. The
// comparison takes the same time wherever the first difference is.
func CheckPassword(encoded string, password []byte) error {
	p, salt, key, err := parsePasswordHash(encoded)
	if err != nil {
		return err
	}
	if len(password) > MaxPasswordLen {
		password = password[:MaxPasswordLen]
	}
	got := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// PasswordNeedsRehash reports whether a hash was made with costs other than
// p, so the caller can rehash at the next successful login.
func PasswordNeedsRehash(encoded string, p PasswordParams) bool {
	q, _, _, err := parsePasswordHash(encoded)
	return err != nil || q != p
}
