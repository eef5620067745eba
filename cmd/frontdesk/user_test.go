package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdesk/appliance"
	"frontdesk/ledger"
)

// admin runs one frontdesk command on data directory dir and returns its
// standard output and error.
func admin(t *testing.T, ctx context.Context, dir string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	g := &globals{stdout: &out, stderr: &errOut, stdin: strings.NewReader("")}
	root := newRoot(g)
	root.SetArgs(append([]string{"--data", dir, "--log-format", "json"}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func mustAdmin(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := admin(t, context.Background(), dir, args...)
	if err != nil {
		t.Fatalf("frontdesk %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func initWithOwner(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("violet-harbour-lantern-42\n"), 0o600)
	out := mustAdmin(t, dir, "init", "--owner-email", "owner@clinic.example", "--owner-password-file", pw)
	var res struct {
		CA    string `json:"ca_certificate"`
		Owner map[string]string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Owner["id"] == "" || res.Owner["one_time_password"] != "" {
		t.Fatalf("owner %v", res.Owner)
	}
	if _, err := os.Stat(res.CA); err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	return dir
}

func TestInitOwnerChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, _, err := admin(t, context.Background(), dir, "init", "--owner-email", "not an address"); err == nil {
		t.Fatal("init accepted a malformed owner address")
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("password1234\n"), 0o600)
	if _, _, err := admin(t, context.Background(), dir, "init", "--owner-email", "o@clinic.example", "--owner-password-file", pw); err == nil {
		t.Fatal("init accepted a common password")
	}
	if _, err := os.Stat(filepath.Join(dir, "system.db")); err == nil {
		t.Fatal("a refused init left an appliance behind")
	}
	out, errOut, err := admin(t, context.Background(), dir, "init", "--owner-email", "o@clinic.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"one_time_password"`) || !strings.Contains(errOut, "shown once") {
		t.Fatalf("generated password not printed once: %s / %s", out, errOut)
	}
}

// exercise runs the user and key commands; they work the same directly
// and through the admin socket.
func exercise(t *testing.T, dir, email string) {
	t.Helper()
	out := mustAdmin(t, dir, "user", "add", email, "--role", "member", "--name", "Front Desk", "-w", "clinic")
	if !strings.Contains(out, "one_time_password") {
		t.Fatalf("user add without a password printed no one-time password: %s", out)
	}
	if !strings.Contains(mustAdmin(t, dir, "user", "list"), email) {
		t.Fatal("user list does not show the new account")
	}
	mustAdmin(t, dir, "user", "role", email, "viewer", "-w", "clinic")
	out = mustAdmin(t, dir, "key", "create", "--account", email, "--role", "viewer", "--name", "kiosk", "-w", "clinic")
	var k struct {
		Key   struct{ ID, Role string }
		Token string
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || !strings.HasPrefix(k.Token, "fdk_") || k.Key.Role != "viewer" {
		t.Fatalf("key create: %s %v", out, err)
	}
	if _, _, err := admin(t, context.Background(), dir, "key", "create", "--account", email, "--role", "admin", "-w", "clinic"); err == nil || !strings.Contains(err.Error(), "exceed") {
		t.Fatalf("a key above the account's role: %v", err)
	}
	if !strings.Contains(mustAdmin(t, dir, "key", "list", "-w", "clinic"), k.Key.ID) {
		t.Fatal("key list does not show the key")
	}
	mustAdmin(t, dir, "key", "revoke", k.Key.ID, "-w", "clinic")
	if !strings.Contains(mustAdmin(t, dir, "key", "list", "-w", "clinic"), `"revoked":true`) {
		t.Fatal("the key is not shown revoked")
	}
	if _, _, err := admin(t, context.Background(), dir, "user", "unlock", email); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Fatalf("unlocking an account that is not locked: %v", err)
	}
	mustAdmin(t, dir, "user", "disable", email)
	if !strings.Contains(mustAdmin(t, dir, "user", "list"), `"status":"disabled"`) {
		t.Fatal("the account is not shown disabled")
	}
	if _, _, err := admin(t, context.Background(), dir, "user", "role", "nobody@clinic.example", "viewer", "-w", "clinic"); err == nil {
		t.Fatal("role for an unknown address succeeded")
	}
}

func TestUserKeyWorkspaceCommandsDirect(t *testing.T) {
	dir := initWithOwner(t)
	out := mustAdmin(t, dir, "workspace", "create", "east", "--name", "East site")
	if !strings.Contains(out, `"id":"east"`) {
		t.Fatalf("workspace create: %s", out)
	}
	if n := strings.Count(mustAdmin(t, dir, "workspace", "list"), "\n"); n != 2 {
		t.Fatalf("workspace list: %d lines", n)
	}
	mustAdmin(t, dir, "user", "add", "reception@clinic.example", "--role", "member", "-w", "clinic")
	if _, _, err := admin(t, context.Background(), dir, "user", "role", "reception@clinic.example", "viewer"); err == nil || !strings.Contains(err.Error(), "workspaces") {
		t.Fatalf("role without --workspace among two workspaces: %v", err)
	}
	mustAdmin(t, dir, "user", "role", "reception@clinic.example", "viewer", "-w", "clinic")
	exercise(t, dir, "direct@clinic.example")
	// Every change is recorded as the local operator.
	a, err := appliance.Open(appliance.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	evs, _ := a.System().Find(ledger.Query{Type: "account.role-granted"}, ledger.ReadOptions{})
	last := evs[len(evs)-1]
	if !strings.HasPrefix(last.Actor, "cli/") || last.Attrs["role"] != "viewer" {
		t.Fatalf("role change recorded as %s %v", last.Actor, last.Attrs)
	}
}

// serveInBackground runs `frontdesk serve` on dir until stop, which
// returns what the server logged.
func serveInBackground(t *testing.T, dir string) (stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	var serveErr bytes.Buffer
	go func() {
		g := &globals{stdout: &bytes.Buffer{}, stderr: &serveErr, stdin: strings.NewReader("")}
		root := newRoot(g)
		root.SetArgs([]string{"--data", dir, "--log-format", "json", "serve", "--https-addr", "127.0.0.1:0", "--sip-addr", "off"})
		served <- root.ExecuteContext(ctx)
	}()
	sock := filepath.Join(dir, "admin.sock")
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v\n%s", err, serveErr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The data directory is held by the server: direct access is refused.
	if _, err := appliance.Open(appliance.Config{DataDir: dir}); !errors.Is(err, appliance.ErrInUse) {
		t.Fatalf("the server does not hold the data directory: %v", err)
	}
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			if err := <-served; err != nil {
				t.Errorf("serve: %v\n%s", err, serveErr.String())
			}
		}
		return serveErr.String()
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestUserCommandsThroughTheAdminSocket(t *testing.T) {
	dir := initWithOwner(t)
	stop := serveInBackground(t, dir)
	exercise(t, dir, "socket@clinic.example")
	mustAdmin(t, dir, "workspace", "create", "west")
	if !strings.Contains(stop(), `"route":"POST /v1/accounts"`) {
		t.Fatal("the server did not log the socket requests")
	}
	// Stopped, the directory opens directly again, with what was done.
	out := mustAdmin(t, dir, "user", "list")
	if !strings.Contains(out, "socket@clinic.example") {
		t.Fatalf("after the server stopped: %s", out)
	}
	if n := strings.Count(mustAdmin(t, dir, "workspace", "list"), "\n"); n != 2 {
		t.Fatalf("workspaces after the server stopped: %d", n)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig("", dir)
	if err != nil || c.API.HTTPSAddr != "" {
		t.Fatalf("no config file: %+v %v", c, err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"api":{"https_addr":"0.0.0.0:9443","tls_min_version":"1.2"},"access":{"session_idle_minutes":30}}`), 0o600)
	c, err = loadConfig("", dir)
	if err != nil || c.API.HTTPSAddr != "0.0.0.0:9443" || c.API.TLSMinVersion != "1.2" || c.Access.SessionIdleMinutes != 30 {
		t.Fatalf("config: %+v %v", c, err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"api":{"https_adr":"x"}}`), 0o600)
	if _, err := loadConfig(bad, dir); err == nil || !strings.Contains(err.Error(), "https_adr") {
		t.Fatalf("a misspelt setting: %v", err)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.json"), dir); err == nil {
		t.Fatal("an explicit config file that does not exist was ignored")
	}
}
