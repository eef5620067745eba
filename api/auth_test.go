package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"frontdesk/appliance"
	"frontdesk/crypto"
	"frontdesk/gate/access"
	"frontdesk/ledger"
)

func TestLockoutThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	id := e.account("locksmith", "alpha", access.Member)
	email := e.email(id)
	for i := 0; i < 5; i++ {
		r := e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": "not my password at all"})
		if r.Status != 401 || r.errorCode() != "invalid_credentials" {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": password})
	if r.Status != 403 || r.errorCode() != "account_locked" {
		t.Fatalf("right password after five failures: %d %s", r.Status, r.Body)
	}
	// An unknown address is refused exactly like a wrong password.
	u := e.as("", "POST", "/v1/login", map[string]string{"email": "nobody@clinic.example", "password": password})
	if u.Status != 401 || u.errorCode() != "invalid_credentials" {
		t.Fatalf("unknown address: %d %s", u.Status, u.Body)
	}
	// Only an owner unlocks; the member itself cannot, nor can an admin of the workspace.
	adminID := e.account("wsadmin", "alpha", access.Admin)
	adminTok, _ := e.login(adminID)
	if r := e.as(adminTok, "POST", "/v1/accounts/"+id+"/unlock", nil); r.Status != 403 {
		t.Fatalf("a workspace admin unlocked an account: %d", r.Status)
	}
	e.op(204, "POST", "/v1/accounts/"+id+"/unlock", nil)
	if r := e.as("", "POST", "/v1/login", map[string]string{"email": email, "password": password}); r.Status != 200 {
		t.Fatalf("login after unlock: %d %s", r.Status, r.Body)
	}
	evs, _ := e.ledger("system").History("account/"+id, ledger.ReadOptions{})
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Type)
	}
	want := "account.created account.role-granted auth.login-failed auth.login-failed auth.login-failed auth.login-failed auth.login-failed account.locked auth.login-failed account.unlocked auth.login-succeeded"
	if strings.Join(got, " ") != want {
		t.Fatalf("system ledger for the account:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if evs[9].Actor != "cli/tester" {
		t.Fatalf("unlock recorded as %s", evs[9].Actor)
	}
}

func TestSessionIdleExpiryThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login(e.account("idle", "alpha", access.Viewer))
	e.clock.Advance(59 * time.Minute)
	if r := e.as(tok, "GET", "/v1/session", nil); r.Status != 200 {
		t.Fatalf("after 59 idle minutes: %d", r.Status)
	}
	e.clock.Advance(59 * time.Minute)
	if r := e.as(tok, "GET", "/v1/workspaces/alpha", nil); r.Status != 200 {
		t.Fatalf("after another 59 idle minutes: %d", r.Status)
	}
	e.clock.Advance(61 * time.Minute)
	r := e.as(tok, "GET", "/v1/session", nil)
	if r.Status != 401 || r.errorCode() != "unauthenticated" || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("after 61 idle minutes: %d %s", r.Status, r.Body)
	}
}

func TestMFAAndPendingStepsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	var created struct {
		Account         access.Account
		OneTimePassword string `json:"one_time_password"`
	}
	e.op(201, "POST", "/v1/accounts", map[string]string{"email": "new.owner@clinic.example", "workspace": "alpha", "role": "owner"}).decode(t, &created)
	if created.OneTimePassword == "" {
		t.Fatal("no one-time password")
	}
	var res access.LoginResult
	e.as("", "POST", "/v1/login", map[string]string{"email": "new.owner@clinic.example", "password": created.OneTimePassword}).decode(t, &res)
	if strings.Join(res.Pending, ",") != "password,mfa" {
		t.Fatalf("pending %v", res.Pending)
	}
	if r := e.as(res.Token, "GET", "/v1/workspaces/alpha/events", nil); r.Status != 403 || r.errorCode() != "password_change_required" {
		t.Fatalf("read before changing the password: %d %s", r.Status, r.Body)
	}
	if r := e.as(res.Token, "PUT", "/v1/session/password", map[string]string{"current": created.OneTimePassword, "new": "Summer2026!"}); r.Status != 400 {
		t.Fatalf("weak password: %d %s", r.Status, r.Body)
	}
	if r := e.as(res.Token, "PUT", "/v1/session/password", map[string]string{"current": created.OneTimePassword, "new": password}); r.Status != 204 {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	if r := e.as(res.Token, "GET", "/v1/workspaces/alpha/events", nil); r.Status != 403 || r.errorCode() != "mfa_enrolment_required" {
		t.Fatalf("read before enrolling MFA: %d %s", r.Status, r.Body)
	}
	var en access.MFAEnrolment
	e.as(res.Token, "POST", "/v1/session/mfa", nil).decode(t, &en)
	if r := e.as(res.Token, "POST", "/v1/session/mfa/confirm", map[string]string{"code": "123456"}); r.Status != 401 {
		t.Fatalf("wrong enrolment code: %d", r.Status)
	}
	code, _ := crypto.DefaultTOTP.TOTPCode(en.Secret, e.clock.Now())
	var rec struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	e.as(res.Token, "POST", "/v1/session/mfa/confirm", map[string]string{"code": code}).decode(t, &rec)
	if len(rec.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes: %v", rec.RecoveryCodes)
	}
	if r := e.as(res.Token, "GET", "/v1/workspaces/alpha/events", nil); r.Status != 200 {
		t.Fatalf("read after enrolment: %d %s", r.Status, r.Body)
	}
	// Next login needs the second factor.
	if r := e.as("", "POST", "/v1/login", map[string]string{"email": "new.owner@clinic.example", "password": password}); r.Status != 401 || r.errorCode() != "mfa_required" {
		t.Fatalf("login without code: %d %s", r.Status, r.Body)
	}
	tok := e.loginTOTP("new.owner@clinic.example", en.Secret)
	if r := e.as(tok, "POST", "/v1/logout", nil); r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.as(tok, "GET", "/v1/session", nil); r.Status != 401 {
		t.Fatalf("session after logout: %d", r.Status)
	}
	r := e.as("", "POST", "/v1/login", map[string]string{"email": "new.owner@clinic.example", "password": password, "recovery_code": rec.RecoveryCodes[0]})
	if r.Status != 200 {
		t.Fatalf("recovery code login: %d %s", r.Status, r.Body)
	}
	evs, _ := e.ledger("system").History("account/"+created.Account.ID, ledger.ReadOptions{})
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.Type] = true
	}
	for _, typ := range []string{"account.password-changed", "account.mfa-enrolled", "auth.login-succeeded", "auth.logout", "account.recovery-code-used"} {
		if !seen[typ] {
			t.Errorf("no %s event", typ)
		}
	}
}

func TestCookieSessionsNeedJSONForWrites(t *testing.T) {
	e := newEnv(t)
	id := e.account("browser", "alpha", access.Member)
	r := e.as("", "POST", "/v1/login", map[string]string{"email": e.email(id), "password": password})
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "fd_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	get := httptest.NewRequest("GET", "/v1/workspaces/alpha", nil)
	get.AddCookie(cookie)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, get)
	if rec.Code != 200 {
		t.Fatalf("GET with the cookie: %d", rec.Code)
	}
	form := httptest.NewRequest("POST", "/v1/logout", strings.NewReader("x=1"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form.AddCookie(cookie)
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, form)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "csrf") {
		t.Fatalf("form POST with the cookie: %d %s", rec.Code, rec.Body)
	}
}

func TestKeyScopeEscalationIsRefusedAndAudited(t *testing.T) {
	e := newEnv(t)
	id := e.account("scoped", "alpha", access.Member)
	tok, _ := e.login(id)
	r := e.as(tok, "POST", "/v1/workspaces/alpha/keys", map[string]string{"role": "admin"})
	if r.Status != 403 {
		t.Fatalf("member creating an admin key: %d %s", r.Status, r.Body)
	}
	evs := e.eventsWithRequest("alpha", r.ID)
	if len(evs) != 1 || evs[0].Type != "access.denied" || evs[0].Attrs["reason"] != "key-role-exceeds-account" {
		t.Fatalf("escalation not audited: %v", types(evs))
	}
	if r := e.as(tok, "POST", "/v1/workspaces/beta/keys", map[string]string{"role": "viewer"}); r.Status != 404 {
		t.Fatalf("key for another workspace: %d", r.Status)
	}
	if r := e.as(tok, "POST", "/v1/workspaces/alpha/keys", map[string]string{"role": "viewer", "account": e.account("victim", "alpha", access.Owner)}); r.Status != 403 {
		t.Fatalf("key for another account: %d", r.Status)
	}
	key := e.key(tok, "alpha", access.Member)
	if r := e.as(key, "POST", "/v1/workspaces/alpha/keys", map[string]string{"role": "viewer"}); r.Status != 403 {
		t.Fatalf("a key minted a key: %d", r.Status)
	}
	if r := e.as(key, "GET", "/v1/workspaces/beta/events", nil); r.Status != 404 {
		t.Fatalf("key read another workspace: %d", r.Status)
	}
	if r := e.as(key, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "patient/3", "type": "patient.note"}); r.Status != 201 {
		t.Fatalf("member key appending: %d %s", r.Status, r.Body)
	}
	// The creator loses the role: the key dies with it.
	e.op(204, "PUT", "/v1/workspaces/alpha/members/"+id, map[string]string{"role": "viewer"})
	if r := e.as(key, "GET", "/v1/workspaces/alpha/events", nil); r.Status != 401 {
		t.Fatalf("key after its creator was demoted: %d", r.Status)
	}
	var keys struct{ Keys []access.APIKey }
	e.op(200, "GET", "/v1/workspaces/alpha/keys", nil).decode(t, &keys)
	for _, k := range keys.Keys {
		if k.Account == id && k.Role == access.Member && (!k.Revoked || k.RevokedReason != "creator-lost-role") {
			t.Fatalf("key %+v", k)
		}
	}
}

func TestBreakGlassThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/9", map[string]string{"name": "Unconscious Patient"})
	doc := e.account("oncall", "", access.None)
	tok, _ := e.login(doc)
	if r := e.as(tok, "GET", "/v1/workspaces/alpha/state/patient/9", nil); r.Status != 404 {
		t.Fatalf("before emergency access: %d", r.Status)
	}
	if r := e.as(tok, "POST", "/v1/break-glass", map[string]string{"workspace": "alpha", "reason": "patient collapsed at reception"}); r.Status != 404 {
		t.Fatalf("emergency access without a policy: %d %s", r.Status, r.Body)
	}
	e.op(204, "PUT", "/v1/workspaces/alpha/break-glass", map[string]any{"accounts": []string{doc}, "role": "member", "max_minutes": 30})
	if r := e.as(tok, "POST", "/v1/break-glass", map[string]string{"workspace": "alpha", "reason": ""}); r.Status != 400 {
		t.Fatalf("no reason: %d %s", r.Status, r.Body)
	}
	var g access.Grant
	r := e.as(tok, "POST", "/v1/break-glass", map[string]any{"workspace": "alpha", "reason": "patient collapsed at reception", "minutes": 15})
	if r.Status != 201 {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	r.decode(t, &g)
	read := e.as(tok, "GET", "/v1/workspaces/alpha/state/patient/9?phi=true", nil)
	if read.Status != 200 {
		t.Fatalf("read under emergency access: %d %s", read.Status, read.Body)
	}
	evs := e.eventsWithRequest("alpha", read.ID)
	if len(evs) != 1 || evs[0].Attrs["break_glass"] != g.ID || evs[0].Attrs["purpose"] != "emergency" {
		t.Fatalf("access under emergency access: %v", evs)
	}
	flag, _ := e.ledger("alpha").History("audit/break-glass", ledger.ReadOptions{})
	if len(flag) != 1 || flag[0].Attrs["review"] != "required" {
		t.Fatalf("opening not flagged for review: %v", flag)
	}
	var st struct {
		Grants []access.Grant
	}
	e.op(200, "GET", "/v1/workspaces/alpha/break-glass", nil).decode(t, &st)
	if len(st.Grants) != 1 || st.Grants[0].ID != g.ID {
		t.Fatalf("open grants: %+v", st.Grants)
	}
	e.clock.Advance(16 * time.Minute)
	if r := e.as(tok, "GET", "/v1/workspaces/alpha/state/patient/9", nil); r.Status != 404 {
		t.Fatalf("after the grant expired: %d", r.Status)
	}
}

func TestSecretsAreNeverReturned(t *testing.T) {
	e := newEnv(t)
	const value = "sk-live-4242-canary-secret-value"
	adminTok, _ := e.login(e.account("secretkeeper", "alpha", access.Admin))
	var responses []*reply
	put := e.as(adminTok, "PUT", "/v1/workspaces/alpha/secrets/ehr-token", map[string]string{"value": value})
	if put.Status != 201 {
		t.Fatalf("put: %d %s", put.Status, put.Body)
	}
	responses = append(responses, put,
		e.as(adminTok, "PUT", "/v1/workspaces/alpha/secrets/ehr-token", map[string]string{"value": value + "-2"}),
		e.as(adminTok, "GET", "/v1/workspaces/alpha/secrets", nil),
		e.as(adminTok, "GET", "/v1/workspaces/alpha/secrets/ehr-token", nil),
		e.as(adminTok, "GET", "/v1/workspaces/alpha/events?phi=true&limit=1000", nil),
		e.as(adminTok, "GET", "/v1/workspaces/alpha/history/secret/ehr-token?phi=true", nil),
		e.as(adminTok, "GET", "/v1/workspaces/alpha/audit", nil),
		e.as(adminTok, "PUT", "/v1/workspaces/alpha/secrets/Bad%20Name", map[string]string{"value": value}),
		e.as(adminTok, "PUT", "/v1/workspaces/alpha/secrets/x", map[string]any{"value": value, "extra": 1}),
	)
	for i, r := range responses {
		if strings.Contains(string(r.Body), "sk-live") {
			t.Errorf("response %d holds the secret: %s", i, r.Body)
		}
	}
	if strings.Contains(e.logs.String(), "sk-live") {
		t.Error("a log line holds the secret")
	}
	var info access.SecretInfo
	responses[3].decode(t, &info)
	if info.Version != 2 || !strings.HasPrefix(info.UpdatedBy, "account/") {
		t.Fatalf("metadata %+v", info)
	}
	memberTok, _ := e.login(e.account("curious", "alpha", access.Member))
	if r := e.as(memberTok, "GET", "/v1/workspaces/alpha/secrets", nil); r.Status != 403 {
		t.Fatalf("a member listed secrets: %d", r.Status)
	}
	if r := e.as(adminTok, "DELETE", "/v1/workspaces/alpha/secrets/ehr-token", nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := e.as(adminTok, "GET", "/v1/workspaces/alpha/secrets/ehr-token", nil); r.Status != 404 {
		t.Fatalf("deleted secret: %d", r.Status)
	}
}

func TestErasureIsOwnerOnlyAndRecorded(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/44", map[string]string{"name": "Forgettable Person"})
	adminTok, _ := e.login(e.account("notowner", "alpha", access.Admin))
	if r := e.as(adminTok, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "patient/44"}); r.Status != 403 {
		t.Fatalf("admin erased: %d", r.Status)
	}
	ownerID := e.account("owner", "alpha", access.Owner)
	ownerTok, _ := e.login(ownerID)
	r := e.as(ownerTok, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "patient/44", "reason": "patient-request"})
	if r.Status != 201 {
		t.Fatalf("erase: %d %s", r.Status, r.Body)
	}
	evs, _ := e.ledger("alpha").History("patient/44", ledger.ReadOptions{PHI: true})
	last := evs[len(evs)-1]
	if last.Type != ledger.ErasedType || last.Actor != "account/"+ownerID || !evs[0].Erased {
		t.Fatalf("erasure record %s by %s, first erased %v", last.Type, last.Actor, evs[0].Erased)
	}
	if r := e.as(ownerTok, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "patient/44"}); r.Status != 409 {
		t.Fatalf("second erasure: %d", r.Status)
	}
	var st ledger.State
	e.as(ownerTok, "GET", "/v1/workspaces/alpha/state/patient/44?phi=true", nil).decode(t, &st)
	if f := st.Fields["name"]; !f.Erased || f.Value != "" {
		t.Fatalf("erased field %+v", f)
	}
}

// TestErasureThroughTheAPICompactsAtNextOpen erases while the ledger is in
// use: the answer says compaction is pending, and the next opening of the
// appliance compacts the file, records it, and leaves a ledger that
// verifies.
func TestErasureThroughTheAPICompactsAtNextOpen(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/45", map[string]string{"name": "Forgettable Person"})
	ownerTok, _ := e.login(e.account("owner", "alpha", access.Owner))
	var out struct{ Compaction string }
	e.as(ownerTok, "POST", "/v1/workspaces/alpha/erasures", map[string]string{"subject": "patient/45"}).decode(t, &out)
	path := e.app.LedgerPath("alpha")
	if !strings.HasPrefix(out.Compaction, "pending") || !ledger.CompactionPending(path) {
		t.Fatalf("compaction %q, marked %v", out.Compaction, ledger.CompactionPending(path))
	}
	dir := e.app.DataDir()
	if err := e.app.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := appliance.Open(appliance.Config{DataDir: dir, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	l, err := a.Ledger("alpha")
	if err != nil {
		t.Fatal(err)
	}
	if ledger.CompactionPending(path) {
		t.Fatal("the mark survived the opening")
	}
	evs, err := a.System().History("compaction/alpha", ledger.ReadOptions{})
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Type != "ledger-file.compacted" {
		t.Fatalf("the compaction is not recorded: %v", err)
	}
	if rep, err := l.Verify(ledger.VerifyOptions{}); err != nil || !rep.OK || rep.ErasedEvents == 0 {
		t.Fatalf("after compaction: %v %+v", err, rep)
	}
}

func TestSessionRoutesRefuseKeysAndStrangers(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login(e.account("keymaker", "alpha", access.Member))
	key := e.key(tok, "alpha", access.Member)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/v1/logout", nil, 400},
		{"PUT", "/v1/session/password", map[string]string{"current": password, "new": "another-long-passphrase-9"}, 400},
		{"POST", "/v1/session/mfa", nil, 400},
		{"POST", "/v1/session/mfa/confirm", map[string]string{"code": "123456"}, 400},
		{"POST", "/v1/break-glass", map[string]string{"workspace": "alpha", "reason": "a long enough reason"}, 404},
	} {
		if r := e.as(key, c.method, c.path, c.body); r.Status != c.status {
			t.Errorf("%s %s with an API key: %d %s, want %d", c.method, c.path, r.Status, r.Body, c.status)
		}
		if r := e.as("", c.method, c.path, c.body); r.Status != 401 {
			t.Errorf("%s %s without credentials: %d", c.method, c.path, r.Status)
		}
		if r := e.as("fdk_aaaaaaaaaaaaaaaa_forged", c.method, c.path, c.body); r.Status != 401 {
			t.Errorf("%s %s with a forged key: %d", c.method, c.path, r.Status)
		}
	}
	for _, p := range []string{"/v1/health", "/v1/openapi.json"} {
		if r := e.as("", "GET", p, nil); r.Status != 200 {
			t.Errorf("public %s: %d", p, r.Status)
		}
	}
}
