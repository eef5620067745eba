// Package testkit gives tests real ledgers and data directories in
// temporary directories, and speech made by the local engines.
package testkit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"frontdesk/crypto"
	"frontdesk/ledger"
	"frontdesk/voice/flite"
	"frontdesk/voice/sphinx"
)

// Ledger opens a new workspace ledger named ws in t's temporary directory,
// closed when the test ends.
func Ledger(t testing.TB, ws string) *ledger.Ledger {
	t.Helper()
	k, err := crypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := crypto.NewKEK(k)
	if err != nil {
		t.Fatal(err)
	}
	sk, _, err := crypto.GenerateSigningKey(kek, "frontdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(t.TempDir(), ws+".db"), ledger.Options{Workspace: ws, KEK: kek, Signing: sk, SegmentSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

var (
	engineOnce sync.Once
	recognizer *sphinx.Recognizer
	synth      *flite.Voice
	engineErr  error
)

// Engines returns the local recognizer and synthesizer, shared by the
// package's tests.
func Engines(t testing.TB) (*sphinx.Recognizer, *flite.Voice) {
	t.Helper()
	engineOnce.Do(func() {
		recognizer, engineErr = sphinx.New(sphinx.Config{})
		if engineErr == nil {
			synth, engineErr = flite.New()
		}
	})
	if engineErr != nil {
		t.Fatalf("local speech engines: %v", engineErr)
	}
	return recognizer, synth
}

// Say synthesises text at 8 kHz with the local voice.
func Say(t testing.TB, text string) []int16 {
	t.Helper()
	_, v := Engines(t)
	pcm, err := v.Synthesize(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// WaitForCallEvent polls l's call events (PHI included) until one matches,
// or returns nil when within has passed.
func WaitForCallEvent(t testing.TB, l *ledger.Ledger, within time.Duration, match func(*ledger.Event) bool) *ledger.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		evs, err := l.Find(ledger.Query{EntityPrefix: "call/"}, ledger.ReadOptions{PHI: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if match(e) {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
