package access

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSessionsSurviveAGracefulRestart keeps the sessions at shutdown and
// takes them back at the next Open: a live one still works, one that idled
// out meanwhile and one whose account was disabled do not, the record is
// used once, and no token is written to the file.
func TestSessionsSurviveAGracefulRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.account("mia.member@clinic.example", Member)
	f.account("vic.viewer@clinic.example", Viewer)
	mia, err := f.d.Login(ctx, LoginRequest{Email: "mia.member@clinic.example", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	vic, err := f.d.Login(ctx, LoginRequest{Email: "vic.viewer@clinic.example", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Minute)
	if _, err := f.d.Authenticate(ctx, mia.Token); err != nil {
		t.Fatal(err)
	}
	if n, err := f.d.KeepSessions(ctx); err != nil || n != 2 {
		t.Fatalf("kept %d sessions: %v", n, err)
	}
	if err := f.sys.Sync(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(f.sys.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{mia.Token, vic.Token} {
		if strings.Contains(string(file), tok) || strings.Contains(string(file), strings.TrimPrefix(tok, sessionPrefix)) {
			t.Fatal("a session token is in the file")
		}
	}

	// Down for 31 minutes: vic's session (idle 61 minutes) ends, mia's
	// (idle 31) lives on.
	f.clock.Advance(31 * time.Minute)
	d := f.openDirectory()
	p, err := d.Authenticate(ctx, mia.Token)
	if err != nil || p.Session.ID != mia.Session.ID {
		t.Fatalf("mia's session after the restart: %v", err)
	}
	if _, err := d.Authenticate(ctx, vic.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("vic's session outlived its idle time across the restart: %v", err)
	}
	if n := countType(f.events("access/sessions"), "auth.sessions-restored"); n != 1 {
		t.Fatalf("restorations recorded: %d", n)
	}
	// The record is used once: a crash after this start keeps nothing.
	if _, err := f.openDirectory().Authenticate(ctx, mia.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("the kept sessions were restored twice: %v", err)
	}

	// A session whose account is disabled while the appliance is down is
	// not restored.
	if _, err := d.KeepSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Disable(ctx, "test", mia.Account.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.openDirectory().Authenticate(ctx, mia.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a disabled account's session was restored: %v", err)
	}
}
