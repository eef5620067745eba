package appliance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestInitCreatesCAAndServerCertificate(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	cfg := Config{DataDir: t.TempDir(), Now: clk.Now}
	setupRan := false
	a, err := Init(cfg, InitOptions{Hosts: []string{"frontdesk.clinic.example", "127.0.0.1"}, Setup: func(a *Appliance) error {
		setupRan = true
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !setupRan {
		t.Error("the Setup hook did not run")
	}
	b, err := os.ReadFile(a.CAPath())
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatal("ca.pem holds no certificate")
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() || !ca.IsCA {
		t.Fatalf("CA key %T, IsCA %v", ca.PublicKey, ca.IsCA)
	}
	if years := ca.NotAfter.Sub(clk.Now()).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Fatalf("CA valid for %.1f years", years)
	}
	c1, err := a.ServerCertificate([]string{"frontdesk.clinic.example", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, h := range []string{"frontdesk.clinic.example", "127.0.0.1"} {
		if _, err := c1.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: h, CurrentTime: clk.Now()}); err != nil {
			t.Errorf("server certificate for %s: %v", h, err)
		}
	}
	if years := c1.Leaf.NotAfter.Sub(clk.Now()).Hours() / 24 / 365; years < 1.9 || years > 2.1 {
		t.Fatalf("server certificate valid for %.1f years", years)
	}
	// The stored certificate is reused, and survives reopening.
	a.Close()
	a, err = Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if created, err := a.EnsureCA(); err != nil || created {
		t.Fatalf("EnsureCA on an appliance with a CA: created %v, %v", created, err)
	}
	c2, err := a.ServerCertificate([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Leaf.SerialNumber.Cmp(c1.Leaf.SerialNumber) != 0 {
		t.Fatal("a valid server certificate was replaced")
	}
	// A new name, or nearing expiry, issues a new one under the same CA.
	c3, err := a.ServerCertificate([]string{"localhost", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if c3.Leaf.SerialNumber.Cmp(c1.Leaf.SerialNumber) == 0 || c3.Leaf.VerifyHostname("::1") != nil {
		t.Fatal("a certificate not covering the host was reused")
	}
	clk.Advance(2*365*24*time.Hour - 10*24*time.Hour)
	c4, err := a.ServerCertificate([]string{"localhost", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if c4.Leaf.SerialNumber.Cmp(c3.Leaf.SerialNumber) == 0 {
		t.Fatal("a certificate 10 days from expiry was not renewed")
	}
	if _, err := c4.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: clk.Now()}); err != nil {
		t.Fatalf("renewed certificate: %v", err)
	}
	// The private keys are stored wrapped, not as PKCS#8.
	vals, _ := a.tlsGet("ca-key", "server-key")
	for _, v := range vals {
		if _, err := x509.ParsePKCS8PrivateKey(v); err == nil {
			t.Fatal("a TLS private key is stored unwrapped")
		}
	}
}

func TestEnsureCAOnOlderDataDirectory(t *testing.T) {
	cfg := Config{DataDir: t.TempDir()}
	a, err := Init(cfg, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a directory initialised before TLS existed.
	if err := a.system.AuxUpdate(tlsAux, func(b *bolt.Bucket) error {
		for _, k := range []string{"ca-cert", "ca-key", "server-cert", "server-key"} {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	os.RemoveAll(a.TLSDir())
	a, err = Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if created, err := a.EnsureCA(); err != nil || !created {
		t.Fatalf("EnsureCA on a directory without a CA: created %v, %v", created, err)
	}
	c, err := a.ServerCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf.VerifyHostname("localhost") != nil {
		t.Fatal("the default certificate does not cover localhost")
	}
	if _, err := os.Stat(a.CAPath()); err != nil {
		t.Fatalf("ca.pem was not re-exported: %v", err)
	}
}
