package testkit

import (
	"path/filepath"
	"sync"
	"testing"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// Ledgers holds real ledgers in a test's temporary directory under one
// KEK: one per workspace, opened on first use, with "" the system ledger.
// All are closed when the test ends.
type Ledgers struct {
	t   testing.TB
	dir string
	kek *crypto.KEK
	mu  sync.Mutex
	m   map[string]*ledger.Ledger
}

// NewLedgers returns an empty set of ledgers for t.
func NewLedgers(t testing.TB) *Ledgers {
	t.Helper()
	k, err := crypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := crypto.NewKEK(k)
	if err != nil {
		t.Fatal(err)
	}
	ls := &Ledgers{t: t, dir: t.TempDir(), kek: kek, m: map[string]*ledger.Ledger{}}
	t.Cleanup(func() {
		for _, l := range ls.m {
			if err := l.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return ls
}

// Get returns workspace ws's ledger, opening it on first use.
func (ls *Ledgers) Get(ws string) *ledger.Ledger {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ws == "" {
		ws = "system"
	}
	if l, ok := ls.m[ws]; ok {
		return l
	}
	l, err := ledger.Open(filepath.Join(ls.dir, ws+".db"), ledger.Options{Workspace: ws, KEK: ls.kek, SegmentSize: 1 << 20})
	if err != nil {
		ls.t.Fatal(err)
	}
	ls.m[ws] = l
	return l
}

// Events returns the events of type typ in workspace ws.
func (ls *Ledgers) Events(t testing.TB, ws, typ string) []*ledger.Event {
	t.Helper()
	evs, err := ls.Get(ws).Find(ledger.Query{Type: typ}, ledger.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Envelopes returns every envelope of workspace ws, the exact bytes the
// ledger hashes: what a test searches for planted PHI.
func (ls *Ledgers) Envelopes(t testing.TB, ws string) []byte {
	t.Helper()
	l := ls.Get(ws)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	var all []byte
	for seq := uint64(0); seq < l.Size(); seq++ {
		env, err := l.Envelope(seq)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, env...)
	}
	return all
}
