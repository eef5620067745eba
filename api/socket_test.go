package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdesk/api"
	"frontdesk/gate/access"
	"frontdesk/gate/logs"
	"frontdesk/ledger"
)

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

func serveAdmin(t *testing.T, srv *api.Server, path string) {
	t.Helper()
	l, err := api.ListenAdmin(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeAdmin(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
}

func TestAdminSocketPeerCredentials(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.app.DataDir(), api.AdminSocketName)
	// A stale socket from a stopped server is replaced.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	serveAdmin(t, e.srv, path)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v", fi.Mode(), err)
	}
	c := unixClient(path)
	resp, err := c.Get("http://admin/v1/session")
	if err != nil {
		t.Fatal(err)
	}
	var who struct{ Principal, Actor string }
	json.NewDecoder(resp.Body).Decode(&who)
	resp.Body.Close()
	me, _ := user.Current()
	if who.Principal != "local" || who.Actor != "cli/"+me.Username {
		t.Fatalf("socket caller is %+v, want local cli/%s", who, me.Username)
	}
	// Actions through the socket are recorded like any other.
	resp, err = c.Post("http://admin/v1/accounts", "application/json", strings.NewReader(`{"email":"sock@clinic.example","workspace":"alpha","role":"viewer"}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create account through the socket: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	evs, _ := e.ledger("system").Find(ledger.Query{Type: "account.created"}, ledger.ReadOptions{})
	if len(evs) == 0 || evs[len(evs)-1].Actor != "cli/"+me.Username {
		t.Fatalf("account creation recorded as %v", evs)
	}
	e.seedPatient("alpha", "patient/5", map[string]string{"name": "Socket Patient"})
	resp, err = c.Get("http://admin/v1/workspaces/alpha/state/patient/5?phi=true")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("read through the socket: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	read := e.eventsWithRequest("alpha", resp.Header.Get("X-Request-Id"))
	if len(read) != 1 || read[0].Attrs["channel"] != "cli" || read[0].Attrs["client"] != "local" || read[0].Actor != "cli/"+me.Username {
		t.Fatalf("socket read recorded as %v", read)
	}
}

func TestAdminSocketRefusesOtherUsers(t *testing.T) {
	e := newEnv(t)
	srv, err := api.New(e.app, api.Config{}, access.Config{Password: &cheapPasswords}, logs.New(logs.Options{Out: io.Discard}))
	if err != nil {
		t.Fatal(err)
	}
	me := uint32(os.Getuid())
	api.SetAllowPeer(srv, func(uid uint32) bool { return uid != me })
	path := filepath.Join(e.app.DataDir(), api.AdminSocketName)
	serveAdmin(t, srv, path)
	if _, err := unixClient(path).Get("http://admin/v1/session"); err == nil {
		t.Fatal("a refused peer was served")
	}
	evs, _ := e.ledger("system").Find(ledger.Query{Type: "authz.refused"}, ledger.ReadOptions{})
	if len(evs) != 1 || evs[0].Attrs["reason"] != "admin-socket-peer" {
		t.Fatalf("refusal recorded as %v", evs)
	}
	if _, err := api.ListenAdmin(filepath.Join(e.app.DataDir(), "system.db")); err == nil {
		t.Fatal("ListenAdmin replaced a file that is not a socket")
	}
}
