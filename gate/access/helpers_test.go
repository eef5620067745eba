package access

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var cheapPasswords = crypto.PasswordParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

type fixture struct {
	t     *testing.T
	dir   string
	kek   *crypto.KEK
	clock *clock
	sys   *ledger.Ledger
	ws    *ledger.Ledger
	d     *Directory
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k, err := crypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := crypto.NewKEK(k)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: t.TempDir(), kek: kek, clock: newClock()}
	f.sys = f.openLedger("system")
	f.ws = f.openLedger("clinic")
	f.d = f.openDirectory()
	t.Cleanup(func() {
		f.sys.Close()
		f.ws.Close()
	})
	return f
}

func (f *fixture) openLedger(ws string) *ledger.Ledger {
	f.t.Helper()
	l, err := ledger.Open(filepath.Join(f.dir, ws+".db"), ledger.Options{Workspace: ws, KEK: f.kek, Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) openDirectory() *Directory {
	f.t.Helper()
	d, err := Open(f.sys, Config{Password: &cheapPasswords, Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

const goodPassword = "violet-harbour-lantern-42"

// account creates an account with goodPassword and the given role in
// clinic.
func (f *fixture) account(email string, role Role) *Account {
	f.t.Helper()
	n := NewAccount{Email: email, Password: goodPassword}
	if role != None {
		n.Workspace, n.Role = "clinic", role
	}
	a, _, err := f.d.CreateAccount(context.Background(), "cli/test", n)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// events returns the system ledger's events of entity.
func (f *fixture) events(entity string) []*ledger.Event {
	f.t.Helper()
	evs, err := f.sys.History(entity, ledger.ReadOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func countType(evs []*ledger.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}
