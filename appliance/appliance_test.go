package appliance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

func TestWrongOrMissingKeyGivesAClearError(t *testing.T) {
	dir := t.TempDir()
	a, err := Init(Config{DataDir: dir}, InitOptions{Workspace: "clinic"})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := a.Ledger("clinic")
	if _, err := l.Append(context.Background(), ledger.Event{Entity: "patient/1", Type: "patient.seen", Source: ledger.SourceEHR,
		Confidence: 1, PHI: map[string]string{"name": "Test Patient"}}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	// Another key file: refused at open, never garbage.
	other := filepath.Join(t.TempDir(), "other.kek")
	if _, err := crypto.GenerateKEKFile(other); err != nil {
		t.Fatal(err)
	}
	_, err = Open(Config{DataDir: dir, KEKFile: other})
	if !errors.Is(err, crypto.ErrWrongKey) || !strings.Contains(err.Error(), "does not open this data directory") {
		t.Fatalf("wrong key file: %v", err)
	}
	// No key file at all.
	_, err = Open(Config{DataDir: dir, KEKFile: filepath.Join(dir, "absent")})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file: %v", err)
	}
	// A passphrase where a key file is used.
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("a long enough passphrase\n"), 0o600)
	if _, err := Open(Config{DataDir: dir, PassphraseFile: pf}); err == nil || !strings.Contains(err.Error(), "does not use a passphrase") {
		t.Fatalf("passphrase on a key-file directory: %v", err)
	}
	// The right key still opens everything.
	a, err = Open(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	l, _ = a.Ledger("clinic")
	ev, err := l.Get(0, ledger.ReadOptions{PHI: true})
	if err != nil || ev.PHI["name"] != "Test Patient" {
		t.Fatalf("after the failed opens: %v %+v", err, ev)
	}
}

func TestPassphraseDirectory(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("correct horse battery staple\n"), 0o600)
	a, err := Init(Config{DataDir: dir, PassphraseFile: pf}, InitOptions{Workspace: "clinic"})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := os.Stat(filepath.Join(dir, "kek")); err == nil {
		t.Fatal("a key file was written beside a passphrase directory")
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("incorrect horse battery staple\n"), 0o600)
	if _, err := Open(Config{DataDir: dir, PassphraseFile: wrong}); !errors.Is(err, crypto.ErrWrongKey) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("no passphrase: %v", err)
	}
	a, err = Open(Config{DataDir: dir, PassphraseFile: pf})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

func TestSecondProcessGetsAClearMessage(t *testing.T) {
	dir := t.TempDir()
	a, err := Init(Config{DataDir: dir}, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = Open(Config{DataDir: dir})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second open: %v", err)
	}
}
