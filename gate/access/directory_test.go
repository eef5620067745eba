package access

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

func TestLockoutAfterFiveFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.account("sam.viewer@clinic.example", Viewer)
	for i := 1; i <= 5; i++ {
		_, err := f.d.Login(ctx, LoginRequest{Email: "sam.viewer@clinic.example", Password: "not-the-password-" + string(rune('a'+i))})
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		got, _ := f.d.Account(a.ID)
		if i < 5 && got.Status != StatusActive {
			t.Fatalf("locked after %d failures", i)
		}
		if got.Failures != i {
			t.Fatalf("after %d failures the record counts %d", i, got.Failures)
		}
	}
	got, _ := f.d.Account(a.ID)
	if got.Status != StatusLocked {
		t.Fatalf("status after 5 failures: %s", got.Status)
	}
	if _, err := f.d.Login(ctx, LoginRequest{Email: "sam.viewer@clinic.example", Password: goodPassword}); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password on a locked account: %v", err)
	}
	evs := f.events(a.Entity())
	if n := countType(evs, "auth.login-failed"); n != 6 {
		t.Errorf("%d auth.login-failed events, want 6 (5 counted, 1 while locked)", n)
	}
	if n := countType(evs, "account.locked"); n != 1 {
		t.Errorf("%d account.locked events, want 1", n)
	}
	if err := f.d.Unlock(ctx, "account/owner", a.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Unlock(ctx, "account/owner", a.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("unlocking an unlocked account: %v", err)
	}
	evs = f.events(a.Entity())
	last := evs[len(evs)-1]
	if last.Type != "account.unlocked" || last.Actor != "account/owner" {
		t.Fatalf("last event %s by %s, want account.unlocked by the owner", last.Type, last.Actor)
	}
	if _, err := f.d.Login(ctx, LoginRequest{Email: "sam.viewer@clinic.example", Password: goodPassword}); err != nil {
		t.Fatalf("login after unlock: %v", err)
	}
	got, _ = f.d.Account(a.ID)
	if got.Failures != 0 || got.Status != StatusActive {
		t.Fatalf("after unlock and login: %+v", got)
	}
	// An unknown address fails the same way and is recorded without it.
	if _, err := f.d.Login(ctx, LoginRequest{Email: "nobody@clinic.example", Password: goodPassword}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown address: %v", err)
	}
	if n := countType(f.events("auth/unknown"), "auth.login-failed"); n != 1 {
		t.Fatalf("unknown-address attempts recorded: %d", n)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.account("mia.member@clinic.example", Member)
	res, err := f.d.Login(ctx, LoginRequest{Email: "mia.member@clinic.example", Password: goodPassword, Client: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pending) != 0 {
		t.Fatalf("a member with a chosen password has pending steps %v", res.Pending)
	}
	for i := 0; i < 3; i++ {
		f.clock.Advance(59 * time.Minute)
		if _, err := f.d.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("session ended after 59 idle minutes (round %d): %v", i, err)
		}
	}
	f.clock.Advance(60*time.Minute + time.Second)
	if _, err := f.d.Authenticate(ctx, res.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("session alive after 60 idle minutes: %v", err)
	}
	evs := f.events(a.Entity())
	if last := evs[len(evs)-1]; last.Type != "auth.session-ended" || last.Attrs["reason"] != "idle" || last.Attrs["session"] != res.Session.ID {
		t.Fatalf("last event %s %v", last.Type, last.Attrs)
	}
	// The hard limit ends an active session too.
	res, _ = f.d.Login(ctx, LoginRequest{Email: "mia.member@clinic.example", Password: goodPassword})
	for i := 0; i < 12*2; i++ {
		f.clock.Advance(30 * time.Minute)
		_, err = f.d.Authenticate(ctx, res.Token)
		if err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("a session outlived its 12-hour limit")
	}
	if _, err := f.d.Authenticate(ctx, "fds_forged"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("forged token: %v", err)
	}
	if _, err := f.d.Authenticate(ctx, "Bearer nonsense"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("nonsense token: %v", err)
	}
}

func TestMFAForAdminsAndOwners(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.account("ada.admin@clinic.example", Admin)
	res, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Pending, []string{PendingMFA}) {
		t.Fatalf("admin without a second factor: pending %v, want [mfa]", res.Pending)
	}
	p, _ := f.d.Authenticate(ctx, res.Token)
	if r, _ := f.d.RoleIn(p, "clinic"); r != Admin {
		t.Fatalf("role %s", r)
	}
	en, err := f.d.BeginMFA(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/frontdesk:") {
		t.Fatalf("URL %s", en.URL)
	}
	if _, err := f.d.ConfirmMFA(ctx, p, "000000"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong confirmation code: %v", err)
	}
	code, _ := crypto.DefaultTOTP.TOTPCode(en.Secret, f.clock.Now())
	recovery, err := f.d.ConfirmMFA(ctx, p, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes", len(recovery))
	}
	p, err = f.d.Authenticate(ctx, res.Token)
	if err != nil || len(p.Pending) != 0 {
		t.Fatalf("after enrolment: %v, pending %v", err, p.Pending)
	}
	// The code used at enrolment cannot sign in again.
	if _, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword, TOTP: code}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("replayed code: %v", err)
	}
	if _, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword}); !errors.Is(err, ErrMFARequired) {
		t.Fatalf("no code: %v", err)
	}
	f.clock.Advance(30 * time.Second)
	code, _ = crypto.DefaultTOTP.TOTPCode(en.Secret, f.clock.Now())
	res2, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword, TOTP: code})
	if err != nil || len(res2.Pending) != 0 || !res2.Session.MFA {
		t.Fatalf("login with a fresh code: %v %+v", err, res2)
	}
	res3, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword, RecoveryCode: strings.ToUpper(recovery[3])})
	if err != nil || res3.RecoveryCodesLeft == nil || *res3.RecoveryCodesLeft != 9 {
		t.Fatalf("recovery code: %v %+v", err, res3)
	}
	if _, err := f.d.Login(ctx, LoginRequest{Email: "ada.admin@clinic.example", Password: goodPassword, RecoveryCode: recovery[3]}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("a recovery code worked twice: %v", err)
	}
}

func TestOneTimePasswordMustBeChanged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, otp, err := f.d.CreateAccount(ctx, "cli/test", NewAccount{Email: "vic@clinic.example", Workspace: "clinic", Role: Viewer})
	if err != nil || otp == "" || !a.MustChangePassword {
		t.Fatalf("create: %v %q %+v", err, otp, a)
	}
	res, err := f.d.Login(ctx, LoginRequest{Email: "VIC@clinic.example", Password: otp})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Pending, []string{PendingPassword}) {
		t.Fatalf("pending %v", res.Pending)
	}
	p, _ := f.d.Authenticate(ctx, res.Token)
	if err := f.d.ChangePassword(ctx, p, otp, "password12345"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak new password: %v", err)
	}
	if err := f.d.ChangePassword(ctx, p, otp, goodPassword); err != nil {
		t.Fatal(err)
	}
	p, _ = f.d.Authenticate(ctx, res.Token)
	if len(p.Pending) != 0 {
		t.Fatalf("pending after change: %v", p.Pending)
	}
	if _, err := f.d.Login(ctx, LoginRequest{Email: "vic@clinic.example", Password: otp}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old one-time password still works: %v", err)
	}
	if _, _, err := f.d.CreateAccount(ctx, "cli/test", NewAccount{Email: "Vic@Clinic.example", Password: goodPassword}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate address: %v", err)
	}
}

func TestKeyScope(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := f.account("max.member@clinic.example", Member)
	if _, _, err := f.d.CreateKey(ctx, m.Entity(), NewKey{Account: m.ID, Workspace: "clinic", Role: Admin}); !errors.Is(err, ErrScope) {
		t.Fatalf("member creating an admin key: %v", err)
	}
	if _, _, err := f.d.CreateKey(ctx, m.Entity(), NewKey{Account: m.ID, Workspace: "other", Role: Viewer}); !errors.Is(err, ErrScope) {
		t.Fatalf("key for a workspace the account is not in: %v", err)
	}
	k, token, err := f.d.CreateKey(ctx, m.Entity(), NewKey{Account: m.ID, Workspace: "clinic", Role: Member, Name: "ehr-sync"})
	if err != nil {
		t.Fatal(err)
	}
	kv, tv, err := f.d.CreateKey(ctx, m.Entity(), NewKey{Account: m.ID, Workspace: "clinic", Role: Viewer})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.d.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := f.d.RoleIn(p, "clinic"); r != Member {
		t.Fatalf("key role %s", r)
	}
	if r, _ := f.d.RoleIn(p, "other"); r != None {
		t.Fatalf("key has role %s in another workspace", r)
	}
	if p.ApplianceRole() != None {
		t.Fatal("a key has an appliance role")
	}
	if _, err := f.d.Authenticate(ctx, token[:len(token)-1]+"x"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("tampered key: %v", err)
	}
	// Demoting the creator revokes the member key, not the viewer key.
	if err := f.d.SetRole(ctx, "account/owner", m.ID, "clinic", Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Authenticate(ctx, token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("key above the creator's new role still works: %v", err)
	}
	if got, _ := f.d.Key(k.ID); !got.Revoked || got.RevokedReason != "creator-lost-role" {
		t.Fatalf("key record %+v", got)
	}
	if _, err := f.d.Authenticate(ctx, tv); err != nil {
		t.Fatalf("viewer key died with the demotion: %v", err)
	}
	// Disabling the creator revokes the rest.
	if err := f.d.Disable(ctx, "account/owner", m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Authenticate(ctx, tv); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("key of a disabled account works: %v", err)
	}
	if got, _ := f.d.Key(kv.ID); !got.Revoked || got.RevokedReason != "creator-disabled" {
		t.Fatalf("key record %+v", got)
	}
	if n := countType(f.events(kv.Entity()), "authz.refused"); n != 1 {
		t.Fatalf("refused use of a revoked key recorded %d times", n)
	}
}

func TestKeyRevokedLazilyWhenRoleChangesOutsideTheDirectory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.account("ann@clinic.example", Member)
	k, token, err := f.d.CreateKey(ctx, a.Entity(), NewKey{Account: a.ID, Workspace: "clinic", Role: Member})
	if err != nil {
		t.Fatal(err)
	}
	// A demotion recorded by another process: the key record is untouched.
	if _, err := f.sys.Append(ctx, ledger.Event{Entity: a.Entity(), Type: "account.role-granted", Source: ledger.SourceSystem, Confidence: 1,
		Actor: "cli/other", Attrs: map[string]string{"workspace": "clinic", "role": "viewer"}}); err != nil {
		t.Fatal(err)
	}
	d2 := f.openDirectory()
	if _, err := d2.Authenticate(ctx, token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("key above its creator's role works: %v", err)
	}
	if got, _ := d2.Key(k.ID); !got.Revoked {
		t.Fatal("the key was not revoked on use")
	}
}

func TestBreakGlass(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	doc := f.account("dr.on.call@clinic.example", None)
	res, err := f.d.Login(ctx, LoginRequest{Email: "dr.on.call@clinic.example", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.d.Authenticate(ctx, res.Token)
	if _, err := f.d.OpenBreakGlass(ctx, p, f.ws, "patient unresponsive in the waiting room", 30); !errors.Is(err, ErrScope) {
		t.Fatalf("emergency access without a policy: %v", err)
	}
	if err := f.d.SetBreakGlass(ctx, "account/owner", BreakGlassPolicy{Workspace: "clinic", Accounts: []string{doc.ID}, Role: Owner, MaxMinutes: 60}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a policy granting owner: %v", err)
	}
	if err := f.d.SetBreakGlass(ctx, "account/owner", BreakGlassPolicy{Workspace: "clinic", Accounts: []string{doc.ID}, Role: Member, MaxMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.OpenBreakGlass(ctx, p, f.ws, "", 30); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := f.d.OpenBreakGlass(ctx, p, f.ws, "patient unresponsive in the waiting room", 90); !errors.Is(err, ErrInvalid) {
		t.Fatalf("longer than the policy: %v", err)
	}
	if r, _ := f.d.RoleIn(p, "clinic"); r != None {
		t.Fatalf("role before opening: %s", r)
	}
	g, err := f.d.OpenBreakGlass(ctx, p, f.ws, "patient unresponsive in the waiting room", 30)
	if err != nil {
		t.Fatal(err)
	}
	r, grant := f.d.RoleIn(p, "clinic")
	if r != Member || grant == nil || grant.ID != g.ID {
		t.Fatalf("role under the grant: %s %+v", r, grant)
	}
	wsEvs, _ := f.ws.History("audit/break-glass", ledger.ReadOptions{PHI: true})
	if len(wsEvs) != 1 || wsEvs[0].Attrs["review"] != "required" || wsEvs[0].PHI["reason"] == "" || wsEvs[0].Actor != p.Actor {
		t.Fatalf("workspace record of the opening: %+v", wsEvs)
	}
	sysEvs := f.events("breakglass/clinic")
	if countType(sysEvs, "breakglass.opened") != 1 || countType(sysEvs, "breakglass.configured") != 1 {
		t.Fatalf("system records: %d events", len(sysEvs))
	}
	f.clock.Advance(31 * time.Minute)
	if r, _ := f.d.RoleIn(p, "clinic"); r != None {
		t.Fatalf("role after the grant expired: %s", r)
	}
	if gs, _ := f.d.Grants("clinic"); len(gs) != 0 {
		t.Fatalf("expired grants listed: %v", gs)
	}
}

func TestSecretsAreWriteOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const value = "sk-live-9f8e7d6c5b4a3210fedcba"
	info, err := PutSecret(ctx, f.ws, "account/admin", "ehr-token", []byte(value))
	if err != nil || info.Version != 1 {
		t.Fatalf("put: %v %+v", err, info)
	}
	info, err = PutSecret(ctx, f.ws, "account/admin", "ehr-token", []byte(value+"-2"))
	if err != nil || info.Version != 2 || !info.Created.Before(info.Updated) && !info.Created.Equal(info.Updated) {
		t.Fatalf("replace: %v %+v", err, info)
	}
	list, err := Secrets(f.ws)
	if err != nil || len(list) != 1 || list[0].Name != "ehr-token" || list[0].UpdatedBy != "account/admin" {
		t.Fatalf("list: %v %+v", err, list)
	}
	cmd, err := ToolCommand(ctx, f.ws, "agent", Tool{Path: "/bin/sh", Args: []string{"-c", `printf %s "$EHR_TOKEN"`}, Secrets: map[string]string{"EHR_TOKEN": "ehr-token"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != value+"-2" {
		t.Fatalf("the tool saw %d bytes, not the current value", len(out))
	}
	// Nothing stored in the clear: not in the log, not in the aux record.
	f.ws.Sync()
	var found bool
	f.ws.AuxView("secrets", func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			found = found || bytes.Contains(v, []byte("sk-live"))
			return nil
		})
	})
	evs, _ := f.ws.Find(ledger.Query{}, ledger.ReadOptions{PHI: true})
	for _, ev := range evs {
		for _, v := range ev.Attrs {
			found = found || strings.Contains(v, "sk-live")
		}
		for _, v := range ev.PHI {
			found = found || strings.Contains(v, "sk-live")
		}
	}
	if found {
		t.Fatal("a secret's value is stored in the clear")
	}
	if countType(evs, "secret.stored") != 2 || countType(evs, "secret.used") != 1 {
		t.Fatalf("secret events: %d", len(evs))
	}
	if err := DeleteSecret(ctx, f.ws, "account/admin", "ehr-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := Secret(f.ws, "ehr-token"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted secret: %v", err)
	}
	if _, err := ToolCommand(ctx, f.ws, "agent", Tool{Path: "/bin/true", Secrets: map[string]string{"X": "ehr-token"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("tool with a deleted secret: %v", err)
	}
	if _, err := PutSecret(ctx, f.ws, "a", "Bad Name", []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
}

// TestRebuildReproducesRecords checks that the derived records are exactly
// the fold of the log, and that a directory opened after a lost fold
// catches up.
func TestRebuildReproducesRecords(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.account("ann@clinic.example", Owner)
	b := f.account("bob@clinic.example", Member)
	f.d.SetRole(ctx, "cli/test", b.ID, "east", Viewer)
	f.d.SetApplianceRole(ctx, "cli/test", a.ID, Owner)
	f.d.CreateKey(ctx, b.Entity(), NewKey{Account: b.ID, Workspace: "clinic", Role: Member})
	f.d.Login(ctx, LoginRequest{Email: "bob@clinic.example", Password: "wrong password x"})
	f.d.SetBreakGlass(ctx, "cli/test", BreakGlassPolicy{Workspace: "clinic", Accounts: []string{b.ID}, Role: Admin, MaxMinutes: 10})
	before := f.snapshot()
	n, err := f.d.Rebuild()
	if err != nil || n != 2 {
		t.Fatalf("rebuild: %d accounts, %v", n, err)
	}
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("rebuilt records differ:\n%v\n%v", before, after)
	}
	if got, err := f.d.AccountByEmail("BOB@clinic.example"); err != nil || got.ID != b.ID {
		t.Fatalf("email index after rebuild: %v", err)
	}
	// Lose the last fold, as a crash between append and fold would.
	f.sys.AuxUpdate(auxBucket, func(bk *bolt.Bucket) error {
		bk.Delete([]byte("applied"))
		return bk.Delete([]byte("account/" + b.ID))
	})
	d2 := f.openDirectory()
	f.d = d2
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("records after catch-up differ:\n%v\n%v", before, after)
	}
}

func (f *fixture) snapshot() map[string]string {
	out := map[string]string{}
	f.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if string(k) != "applied" {
				out[string(k)] = string(v)
			}
			return nil
		})
	})
	return out
}
