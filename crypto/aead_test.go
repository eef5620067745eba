package crypto

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

type wycheproofFile struct {
	TestGroups []struct {
		KeySize, IvSize, TagSize int
		Tests                    []struct {
			TcID                       int `json:"tcId"`
			Comment                    string
			Key, Iv, Aad, Msg, Ct, Tag string
			Result                     string
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWycheproofAESGCM checks the AEAD that Sealer wraps against Project
// Wycheproof's AES-256-GCM vectors with 96-bit nonces and 128-bit tags:
// valid vectors must encrypt to the expected bytes and decrypt back;
// invalid ones must be refused.
func TestWycheproofAESGCM(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "wycheproof", "aes_gcm_256_96_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n, valid := 0, 0
	for _, g := range f.TestGroups {
		if g.KeySize != 256 || g.IvSize != 96 || g.TagSize != 128 {
			continue
		}
		for _, tc := range g.Tests {
			n++
			var k Key
			copy(k[:], unhex(t, tc.Key))
			s, err := NewSealer(k, 1)
			if err != nil {
				t.Fatal(err)
			}
			iv, aad, msg := unhex(t, tc.Iv), unhex(t, tc.Aad), unhex(t, tc.Msg)
			want := append(unhex(t, tc.Ct), unhex(t, tc.Tag)...)
			pt, err := s.aead.Open(nil, iv, want, aad)
			switch tc.Result {
			case "valid":
				valid++
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("tc %d (%s): valid vector did not open: %v", tc.TcID, tc.Comment, err)
				}
				if got := s.aead.Seal(nil, iv, msg, aad); !bytes.Equal(got, want) {
					t.Errorf("tc %d (%s): seal gave %x, want %x", tc.TcID, tc.Comment, got, want)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d (%s): invalid vector opened", tc.TcID, tc.Comment)
				}
			}
		}
	}
	if n < 40 || valid == 0 {
		t.Fatalf("only %d vectors (%d valid) were run", n, valid)
	}
}

func newTestKEK(t *testing.T) *KEK {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := NewKEK(k)
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

func TestSealerBindsContextAndVersion(t *testing.T) {
	k, _ := NewKey()
	s, _ := NewSealer(k, 7)
	ct, err := s.Seal(nil, []byte("value"), AAD("ws", "event", "field"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := CiphertextVersion(ct); v != 7 {
		t.Fatalf("version %d", v)
	}
	if pt, err := s.Open(nil, ct, AAD("ws", "event", "field")); err != nil || string(pt) != "value" {
		t.Fatalf("open: %q %v", pt, err)
	}
	for name, aad := range map[string][]byte{
		"other field":     AAD("ws", "event", "other"),
		"shifted parts":   AAD("wse", "vent", "field"),
		"other workspace": AAD("ws2", "event", "field"),
	} {
		if _, err := s.Open(nil, ct, aad); !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s: opened (%v)", name, err)
		}
	}
	k2, _ := NewKey()
	s2, _ := NewSealer(k2, 7)
	if _, err := s2.Open(nil, ct, AAD("ws", "event", "field")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong key opened: %v", err)
	}
	bad := bytes.Clone(ct)
	bad[2] ^= 1 // the version byte
	if _, err := s.Open(nil, bad, AAD("ws", "event", "field")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("altered header opened: %v", err)
	}
	if _, err := s.Open(nil, ct[:10], nil); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("short ciphertext: %v", err)
	}
}

func TestKEKFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kek")
	kek, err := GenerateKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateKEKFile(path); err == nil {
		t.Fatal("overwrote an existing key file")
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	again, err := LoadKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := kek.Wrap([]byte("secret"), "p")
	if got, err := again.Unwrap(w, "p"); err != nil || string(got) != "secret" {
		t.Fatalf("reloaded KEK: %v", err)
	}
	if _, err := again.Unwrap(w, "other purpose"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("purpose not bound: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKEKFile(path); !errors.Is(err, ErrKeyFileMode) {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("frontdesk-kek-v1:AAAA\n"), 0o600)
	if _, err := LoadKEKFile(path); err == nil {
		t.Fatal("damaged key file accepted")
	}
	if _, err := LoadKEKFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing key file accepted")
	}
	check, _ := kek.NewCheck()
	if err := kek.Check(check); err != nil {
		t.Fatal(err)
	}
	if err := newTestKEK(t).Check(check); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong KEK passed the check: %v", err)
	}
}

func TestPassphraseKEK(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "pass")
	os.WriteFile(pf, []byte("correct horse battery staple\n"), 0o600)
	p, err := NewPassphraseParams()
	if err != nil {
		t.Fatal(err)
	}
	p.Memory, p.Time = 8*1024, 1 // keep the test quick
	a, err := KEKFromPassphraseFile(pf, p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KEKFromPassphraseFile(pf, p)
	check, _ := a.NewCheck()
	if err := b.Check(check); err != nil {
		t.Fatal("same passphrase gave a different key")
	}
	os.WriteFile(pf, []byte("another passphrase entirely\n"), 0o600)
	c, _ := KEKFromPassphraseFile(pf, p)
	if err := c.Check(check); !errors.Is(err, ErrWrongKey) {
		t.Fatal("a different passphrase opened the check")
	}
	os.WriteFile(pf, []byte("short\n"), 0o600)
	if _, err := KEKFromPassphraseFile(pf, p); err == nil {
		t.Fatal("short passphrase accepted")
	}
	enc, _ := MarshalPassphraseParams(p)
	if q, err := UnmarshalPassphraseParams(enc); err != nil || q.Time != p.Time || !bytes.Equal(q.Salt, p.Salt) {
		t.Fatalf("params round trip: %v", err)
	}
	if _, err := UnmarshalPassphraseParams([]byte(`{"kdf":"scrypt"}`)); err == nil {
		t.Fatal("bad params accepted")
	}
}

func TestKeyringRotation(t *testing.T) {
	kek := newTestKEK(t)
	r := NewKeyring("workspace/a")
	v1, w1, err := r.Rotate(kek)
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := NewKey()
	wrapped1, _ := r.WrapKey(subject, "subject/x")
	v2, w2, _ := r.Rotate(kek)
	if v1 != 1 || v2 != 2 || r.Current() != 2 {
		t.Fatalf("versions %d %d current %d", v1, v2, r.Current())
	}
	wrapped2, _ := r.WrapKey(subject, "subject/x")
	if v, _ := CiphertextVersion(wrapped2); v != 2 {
		t.Fatalf("new wraps use version %d", v)
	}
	// A fresh ring loaded from storage opens both versions.
	r2 := NewKeyring("workspace/a")
	if err := r2.Load(kek, 1, w1); err != nil {
		t.Fatal(err)
	}
	if err := r2.Load(kek, 2, w2); err != nil {
		t.Fatal(err)
	}
	for _, w := range [][]byte{wrapped1, wrapped2} {
		k, err := r2.UnwrapKey(w, "subject/x")
		if err != nil || k != subject {
			t.Fatalf("unwrap: %v", err)
		}
	}
	// Another workspace's ring must not load these keys.
	if err := NewKeyring("workspace/b").Load(kek, 1, w1); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("data key moved between workspaces: %v", err)
	}
	// Rewrapping under a new KEK keeps the key.
	kek2 := newTestKEK(t)
	nw, err := r.Rewrap(kek, kek2, 1, w1)
	if err != nil {
		t.Fatal(err)
	}
	r3 := NewKeyring("workspace/a")
	if err := r3.Load(kek2, 1, nw); err != nil {
		t.Fatal(err)
	}
	if k, err := r3.UnwrapKey(wrapped1, "subject/x"); err != nil || k != subject {
		t.Fatalf("after rewrap: %v", err)
	}
	if err := r3.Load(kek, 1, nw); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("old KEK opened the rewrapped key: %v", err)
	}
}

func TestCommitment(t *testing.T) {
	s1, _ := NewSalt()
	s2, _ := NewSalt()
	c := Commit(s1, []byte("555-0100"))
	if !c.Matches(s1, []byte("555-0100")) {
		t.Fatal("commitment does not match its value")
	}
	if c.Matches(s1, []byte("555-0101")) || c.Matches(s2, []byte("555-0100")) {
		t.Fatal("commitment matches another value or salt")
	}
	long := bytes.Repeat([]byte("x"), 1000)
	if !Commit(s1, long).Matches(s1, long) {
		t.Fatal("long values")
	}
	txt, _ := c.MarshalText()
	var back Commitment
	if err := back.UnmarshalText(txt); err != nil || back != c {
		t.Fatal("text round trip")
	}
}

func TestSigningKey(t *testing.T) {
	kek := newTestKEK(t)
	sk, wrapped, err := GenerateSigningKey(kek, "frontdesk.test")
	if err != nil {
		t.Fatal(err)
	}
	again, err := OpenSigningKey(kek, wrapped, sk.VerifierKey)
	if err != nil || again.Signer.KeyHash() != sk.Signer.KeyHash() {
		t.Fatalf("reopen: %v", err)
	}
	if _, err := OpenSigningKey(newTestKEK(t), wrapped, sk.VerifierKey); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong KEK: %v", err)
	}
	other, _, _ := GenerateSigningKey(kek, "frontdesk.test")
	if _, err := OpenSigningKey(kek, wrapped, other.VerifierKey); err == nil {
		t.Fatal("mismatched verifier key accepted")
	}
}

// TestKeyringPendingVersion checks the two steps of a rotation that is
// stored in a transaction: a prepared and loaded version opens what is
// wrapped under it but seals nothing new until committed, and a discarded
// one is gone.
func TestKeyringPendingVersion(t *testing.T) {
	kek := newTestKEK(t)
	r := NewKeyring("workspace/a")
	if _, _, err := r.Rotate(kek); err != nil {
		t.Fatal(err)
	}
	subject, _ := NewKey()
	for _, commit := range []bool{false, true} {
		p, err := r.Prepare(kek)
		if err != nil {
			t.Fatal(err)
		}
		p.Load()
		rewrapped, err := p.WrapKey(subject, "subject/x")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.UnwrapKey(rewrapped, "subject/x"); err != nil || got != subject {
			t.Fatalf("a loaded pending version does not open its own wrap: %v", err)
		}
		if fresh, _ := r.WrapKey(subject, "subject/x"); mustVersion(t, fresh) == p.Version {
			t.Fatal("a pending version sealed a new value before its commit")
		}
		if !commit {
			p.Discard()
			if _, err := r.UnwrapKey(rewrapped, "subject/x"); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("a discarded version still opens: %v", err)
			}
			continue
		}
		p.Commit()
		if fresh, _ := r.WrapKey(subject, "subject/x"); mustVersion(t, fresh) != p.Version || r.Current() != p.Version {
			t.Fatalf("after commit the ring seals with version %d, current %d", mustVersion(t, fresh), r.Current())
		}
	}
}

func mustVersion(t *testing.T, ciphertext []byte) uint32 {
	t.Helper()
	v, err := CiphertextVersion(ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
