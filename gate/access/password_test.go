package access

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordPolicy(t *testing.T) {
	good := []string{
		goodPassword,
		"purple otter drinks tea slowly",
		"Kx9#mQ2vLp7!wZ",
		"ein Schloss am Meer 1987",
		"vrf4-ni8w-2kda-pq0s",
	}
	for _, pw := range good {
		if err := CheckPassword(pw, "jane.doe@clinic.example"); err != nil {
			t.Errorf("refused a strong password: %v", err)
		}
	}
	bad := []string{
		"short",
		"elevenchars",
		"passwordpassword",
		"Password2024!",
		"P@ssw0rd12345",
		"p4ssw0rd!!!!!!",
		"summer2024summer",
		"qwertyuiop123",
		"aaaaaaaaaaaaaa",
		"abcabcabcabc",
		"123456789012",
		"monkey 123 dragon",
		"1qaz2wsx3edc4rfv",
		"iloveyou123456",
		"Frontdesk2026!",
		"welcome-welcome",
		"clinic!clinic!2024",
		"zxcvbnm,./asdfg",
		"correcthorsebatterystaple",
	}
	for _, pw := range bad {
		err := CheckPassword(pw, "jane.doe@clinic.example")
		if !errors.Is(err, ErrWeakPassword) {
			t.Errorf("accepted a weak password %q", pw)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the refusal repeats the password: %v", err)
		}
	}
	if len(commonPasswords) < 1000 {
		t.Errorf("the embedded list has %d entries", len(commonPasswords))
	}
	if err := CheckPassword(strings.Repeat("x", 2000) + "Ab1!"); err == nil {
		t.Error("a password over the byte limit was accepted")
	}
}

func TestOneTimePasswordPassesPolicy(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		pw, err := OneTimePassword()
		if err != nil {
			t.Fatal(err)
		}
		if CheckPassword(pw) != nil || seen[pw] || len(pw) != 23 {
			t.Fatalf("one-time password %q: policy %v, repeated %v", pw, CheckPassword(pw), seen[pw])
		}
		seen[pw] = true
	}
}
