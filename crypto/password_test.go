package crypto

import (
	"errors"
	"strings"
	"testing"
)

// testPasswordParams keep tests fast; production uses DefaultPasswordParams.
var testPasswordParams = PasswordParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword([]byte("correct horse battery staple"), testPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the parameters", h)
	}
	if err := CheckPassword(h, []byte("correct horse battery staple")); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := CheckPassword(h, []byte("correct horse battery stapl")); !errors.Is(err, ErrPasswordMismatch) {
		t.Fatalf("wrong password: got %v, want ErrPasswordMismatch", err)
	}
	h2, _ := HashPassword([]byte("correct horse battery staple"), testPasswordParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	if PasswordNeedsRehash(h, testPasswordParams) {
		t.Error("hash made with p needs rehash under p")
	}
	if !PasswordNeedsRehash(h, DefaultPasswordParams) {
		t.Error("hash made with cheaper parameters does not need rehash")
	}
}

// TestPasswordReferenceVector checks the encoding against the argon2id
// vector of the reference implementation's test suite (src/test.c:
// password "password", salt "somesalt", t=2, m=2^16 KiB, p=1).
func TestPasswordReferenceVector(t *testing.T) {
	const ref = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if err := CheckPassword(ref, []byte("password")); err != nil {
		t.Fatalf("reference vector: %v", err)
	}
	if err := CheckPassword(ref, []byte("Password")); !errors.Is(err, ErrPasswordMismatch) {
		t.Fatalf("reference vector with wrong password: %v", err)
	}
}

func TestPasswordHashRefusesBadInput(t *testing.T) {
	for _, enc := range []string{
		"",
		"$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=99999999,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2000,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=4$!!$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=4,x=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	} {
		if err := CheckPassword(enc, []byte("password")); !errors.Is(err, ErrPasswordHash) {
			t.Errorf("CheckPassword(%q) = %v, want ErrPasswordHash", enc, err)
		}
	}
	if _, err := HashPassword(nil, testPasswordParams); err == nil {
		t.Error("empty password hashed")
	}
	if _, err := HashPassword([]byte("x"), PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}); err == nil {
		t.Error("64 KiB of memory accepted")
	}
}
