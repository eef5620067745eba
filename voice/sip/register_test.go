package sip

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// testRegistrar is a registrar built on sipgo: it refuses the first
// failFirst REGISTERs with 503, challenges unauthenticated ones and accepts
// correctly authenticated ones for a short lifetime.
type testRegistrar struct {
	addr      string
	failFirst int

	mu            sync.Mutex
	seen          int
	challenged    int
	accepted      int
	unregistered  int
	badPasswords  int
	lastContact   string
	lastExpiresHd string
}

func startRegistrar(t *testing.T, failFirst int) *testRegistrar {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("registrar"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &testRegistrar{addr: conn.LocalAddr().String(), failFirst: failFirst}
	chal := &digest.Challenge{Realm: "clinic-pbx", Nonce: "c2VydmVyLW5vbmNl", Algorithm: "MD5", QOP: []string{"auth"}}
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.seen++
		if r.seen <= r.failFirst {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
			return
		}
		h := req.GetHeader("Authorization")
		if h == nil {
			r.challenged++
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
			_ = tx.Respond(res)
			return
		}
		cred, err := digest.ParseCredentials(h.Value())
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Authorization", nil))
			return
		}
		want, _ := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: cred.URI, Username: "frontdesk",
			Password: "registrar secret", Cnonce: cred.Cnonce, Count: cred.Nc})
		if cred.Username != "frontdesk" || cred.Response != want.Response {
			r.badPasswords++
			_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return
		}
		exp := req.GetHeader("Expires")
		if exp != nil && strings.TrimSpace(exp.Value()) == "0" {
			r.unregistered++
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			return
		}
		r.accepted++
		r.lastContact = req.Contact().Address.String()
		if exp != nil {
			r.lastExpiresHd = exp.Value()
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		c := sip.HeaderClone(req.Contact()).(*sip.ContactHeader)
		c.Params.Add("expires", "1")
		res.AppendHeader(c)
		_ = tx.Respond(res)
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		_ = conn.Close()
		_ = ua.Close()
		<-done
	})
	return r
}

func (r *testRegistrar) counts() (accepted, challenged, unregistered, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted, r.challenged, r.unregistered, r.badPasswords
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	reg := startRegistrar(t, 2)
	cfg := testConfig()
	cfg.Registration = &Registration{
		Registrar:  "sip:" + reg.addr,
		AOR:        "sip:frontdesk@clinic.example",
		Username:   "frontdesk",
		Password:   "registrar secret",
		Expires:    time.Minute,
		MinBackoff: 20 * time.Millisecond,
	}
	a, err := New(cfg, newTestHandler(nil))
	if err != nil {
		t.Fatal(err)
	}
	// The registrar grants one second, so the agent must refresh.
	waitFor(t, "a registration and a refresh", 10*time.Second, func() bool {
		acc, _, _, _ := reg.counts()
		return acc >= 2
	})
	st := a.RegistrationStatus()
	if !st.Registered || st.Failures < 2 || st.Successes < 2 || st.LastError != nil {
		t.Errorf("status = %+v, want registered after two failures and two successes", st)
	}
	acc, chal, _, bad := reg.counts()
	if chal < acc || bad != 0 {
		t.Errorf("registrar saw %d accepted, %d challenged, %d bad; want every REGISTER challenged first", acc, chal, bad)
	}
	reg.mu.Lock()
	contact, expires := reg.lastContact, reg.lastExpiresHd
	reg.mu.Unlock()
	if !strings.HasPrefix(contact, "sip:frontdesk@127.0.0.1:") || expires != "60" {
		t.Errorf("binding = %q expires %q", contact, expires)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, unreg, _ := reg.counts(); unreg != 1 {
		t.Errorf("%d un-REGISTERs on Close, want 1", unreg)
	}
}

func TestRegistrationWrongPassword(t *testing.T) {
	t.Parallel()
	reg := startRegistrar(t, 0)
	cfg := testConfig()
	cfg.Registration = &Registration{Registrar: "sip:" + reg.addr, AOR: "sip:frontdesk@clinic.example",
		Username: "frontdesk", Password: "not it", MinBackoff: 20 * time.Millisecond}
	a := startAgent(t, cfg, newTestHandler(nil))
	waitFor(t, "refusals", 10*time.Second, func() bool { return a.RegistrationStatus().Failures >= 2 })
	st := a.RegistrationStatus()
	var rerr *RegisterError
	if st.Registered || !errorsAs(st.LastError, &rerr) || rerr.StatusCode != 403 {
		t.Errorf("status = %+v, want unregistered with a 403", st)
	}
}
