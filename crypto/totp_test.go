package crypto

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTOTPRFC6238Vectors checks the test vectors of RFC 6238 appendix B.
func TestTOTPRFC6238Vectors(t *testing.T) {
	seeds := map[string]string{
		"SHA1":   "12345678901234567890",
		"SHA256": "12345678901234567890123456789012",
		"SHA512": "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		unix int64
		hash string
		code string
	}{
		{59, "SHA1", "94287082"}, {59, "SHA256", "46119246"}, {59, "SHA512", "90693936"},
		{1111111109, "SHA1", "07081804"}, {1111111109, "SHA256", "68084774"}, {1111111109, "SHA512", "25091201"},
		{1111111111, "SHA1", "14050471"}, {1111111111, "SHA256", "67062674"}, {1111111111, "SHA512", "99943326"},
		{1234567890, "SHA1", "89005924"}, {1234567890, "SHA256", "91819424"}, {1234567890, "SHA512", "93441116"},
		{2000000000, "SHA1", "69279037"}, {2000000000, "SHA256", "90698825"}, {2000000000, "SHA512", "38618901"},
		{20000000000, "SHA1", "65353130"}, {20000000000, "SHA256", "77737706"}, {20000000000, "SHA512", "47863826"},
	}
	for _, v := range vectors {
		p := TOTPParams{Period: 30 * time.Second, Digits: 8, Hash: v.hash}
		secret := TOTPSecretFromBytes([]byte(seeds[v.hash]))
		at := time.Unix(v.unix, 0)
		got, err := p.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		if got != v.code {
			t.Errorf("%s at %d: code %s, want %s", v.hash, v.unix, got, v.code)
		}
		if _, err := p.CheckTOTP(secret, v.code, at, 0, 0); err != nil {
			t.Errorf("%s at %d: CheckTOTP refused the RFC code: %v", v.hash, v.unix, err)
		}
	}
}

func TestTOTPSkewAndReplay(t *testing.T) {
	p := DefaultTOTP
	secret, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	code, _ := p.TOTPCode(secret, t0)
	step, err := p.CheckTOTP(secret, code, t0.Add(30*time.Second), 1, 0)
	if err != nil {
		t.Fatalf("code of the previous step refused with skew 1: %v", err)
	}
	if step != p.TOTPStep(t0) {
		t.Fatalf("matched step %d, want %d", step, p.TOTPStep(t0))
	}
	if _, err := p.CheckTOTP(secret, code, t0, 1, step); !errors.Is(err, ErrTOTPReplay) {
		t.Fatalf("reused code: got %v, want ErrTOTPReplay", err)
	}
	if _, err := p.CheckTOTP(secret, code, t0.Add(2*time.Minute), 1, 0); !errors.Is(err, ErrTOTPMismatch) {
		t.Fatalf("code four steps old: got %v, want ErrTOTPMismatch", err)
	}
	if _, err := p.CheckTOTP(secret, "12345", t0, 1, 0); !errors.Is(err, ErrTOTPMismatch) {
		t.Fatalf("short code: got %v", err)
	}
	u, err := url.Parse(p.TOTPURL("frontdesk", "owner@clinic.example", secret))
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != secret || u.Query().Get("digits") != "6" {
		t.Fatalf("otpauth URL %v: %v", u, err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes, err := NewRecoveryCodes(10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 {
			t.Fatalf("code %q is not xxxx-xxxx-xxxx-xxxx", c)
		}
		if seen[c] {
			t.Fatal("duplicate recovery code")
		}
		seen[c] = true
		if got := MatchRecoveryCode(strings.ToUpper(strings.ReplaceAll(c, "-", " ")), hashes); got != i {
			t.Fatalf("code %d matched index %d", i, got)
		}
	}
	if MatchRecoveryCode("aaaa-bbbb-cccc-dddd", hashes) != -1 {
		t.Fatal("a code never issued matched")
	}
}
