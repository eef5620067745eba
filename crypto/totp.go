package crypto

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTPParams describe a time-based one-time password (RFC 6238).
type TOTPParams struct {
	// Period is the length of a time step.
	Period time.Duration
	// Digits is the code length, 6 or 8.
	Digits int
	// Hash is SHA1, SHA256 or SHA512.
	Hash string
}

// DefaultTOTP is what authenticator apps implement: 30-second steps, six
// digits, HMAC-SHA1.
var DefaultTOTP = TOTPParams{Period: 30 * time.Second, Digits: 6, Hash: "SHA1"}

var (
	// ErrTOTPMismatch reports a code that is not valid at this time.
	ErrTOTPMismatch = errors.New("one-time code does not match")
	// ErrTOTPReplay reports a code of a time step already used.
	ErrTOTPReplay = errors.New("one-time code was already used")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (p TOTPParams) opts() (hotp.ValidateOpts, error) {
	o := hotp.ValidateOpts{}
	switch p.Digits {
	case 6:
		o.Digits = otp.DigitsSix
	case 8:
		o.Digits = otp.DigitsEight
	default:
		return o, fmt.Errorf("crypto: TOTP digits must be 6 or 8, not %d", p.Digits)
	}
	switch p.Hash {
	case "SHA1", "":
		o.Algorithm = otp.AlgorithmSHA1
	case "SHA256":
		o.Algorithm = otp.AlgorithmSHA256
	case "SHA512":
		o.Algorithm = otp.AlgorithmSHA512
	default:
		return o, fmt.Errorf("crypto: TOTP hash %q is not SHA1, SHA256 or SHA512", p.Hash)
	}
	if p.Period < time.Second {
		return o, errors.New("crypto: TOTP period is under a second")
	}
	return o, nil
}

// TOTPStep is the RFC 6238 time step T of t: whole periods since the epoch.
func (p TOTPParams) TOTPStep(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / uint64(p.Period/time.Second)
}

// NewTOTPSecret returns a fresh 160-bit secret in base32 without padding,
// the form authenticator apps accept.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("crypto: TOTP secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// TOTPSecretFromBytes encodes raw key bytes as a TOTP secret (used for the
// RFC 6238 test vectors, whose keys are ASCII strings).
func TOTPSecretFromBytes(b []byte) string { return b32.EncodeToString(b) }

// TOTPCode returns the code for secret at time t.
func (p TOTPParams) TOTPCode(secret string, t time.Time) (string, error) {
	o, err := p.opts()
	if err != nil {
		return "", err
	}
	code, err := hotp.GenerateCodeCustom(secret, p.TOTPStep(t), o)
	if err != nil {
		return "", fmt.Errorf("crypto: TOTP: %w", err)
	}
	return code, nil
}

// CheckTOTP verifies code against secret at time t, accepting the steps
// within skew of t's step (for clock drift) but none at or before usedStep,
// so a code cannot be used twice. It returns the matching step, which the
// caller stores as the new usedStep.
func (p TOTPParams) CheckTOTP(secret, code string, t time.Time, skew int, usedStep uint64) (uint64, error) {
	o, err := p.opts()
	if err != nil {
		return 0, err
	}
	code = strings.TrimSpace(code)
	if len(code) != p.Digits {
		return 0, ErrTOTPMismatch
	}
	now := p.TOTPStep(t)
	replay := false
	for d := -skew; d <= skew; d++ {
		if d < 0 && now < uint64(-d) {
			continue
		}
		step := uint64(int64(now) + int64(d))
		want, err := hotp.GenerateCodeCustom(secret, step, o)
		if err != nil {
			return 0, fmt.Errorf("crypto: TOTP: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step <= usedStep {
				replay = true
				continue
			}
			return step, nil
		}
	}
	if replay {
		return 0, ErrTOTPReplay
	}
	return 0, ErrTOTPMismatch
}

// TOTPURL returns the otpauth:// URL that authenticator apps read (usually
// from a QR code) for secret, labelled issuer:account.
func (p TOTPParams) TOTPURL(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", p.Hash)
	v.Set("digits", fmt.Sprint(p.Digits))
	v.Set("period", fmt.Sprint(int(p.Period/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// RecoveryCodeHash is the stored form of a recovery code.
type RecoveryCodeHash [sha256.Size]byte

// NewRecoveryCodes returns n fresh recovery codes (80 random bits each,
// written xxxx-xxxx-xxxx-xxxx in base32) and their hashes. The codes are
// shown once; only the hashes are kept. Their entropy makes a fast hash
// sufficient.
func NewRecoveryCodes(n int) ([]string, []RecoveryCodeHash, error) {
	codes := make([]string, n)
	hashes := make([]RecoveryCodeHash, n)
	for i := range codes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, fmt.Errorf("crypto: recovery code: %w", err)
		}
		s := strings.ToLower(b32.EncodeToString(b))
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = HashRecoveryCode(codes[i])
	}
	return codes, hashes, nil
}

// HashRecoveryCode hashes a recovery code as typed: case, spaces and dashes
// do not matter.
func HashRecoveryCode(code string) RecoveryCodeHash {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, code)
	return sha256.Sum256([]byte("frontdesk/recovery-code/v1\x00" + norm))
}

// MatchRecoveryCode returns the index of code's hash in hashes, or -1. Every
// stored hash is compared, in constant time each.
func MatchRecoveryCode(code string, hashes []RecoveryCodeHash) int {
	h := HashRecoveryCode(code)
	found := -1
	for i := range hashes {
		if subtle.ConstantTimeCompare(h[:], hashes[i][:]) == 1 && found < 0 {
			found = i
		}
	}
	return found
}
