package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdesk/api"
	"frontdesk/gate/access"
	"frontdesk/gate/logs"
)

// serveTLS starts srv on a real loopback listener and returns its address.
func serveTLS(t testing.TB, srv *api.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

func caPool(t testing.TB, e *env) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(e.app.CAPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem holds no certificate")
	}
	return pool
}

// handshake connects with a client limited to [min, max] and reports the
// negotiated version.
func handshake(addr string, pool *x509.CertPool, min, max uint16) (uint16, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: min, MaxVersion: max})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.ConnectionState().Version, nil
}

func TestTLSVersionsOnRealListener(t *testing.T) {
	e := newEnv(t)
	addr := serveTLS(t, e.srv)
	pool := caPool(t, e)
	// The server refuses the handshake ("remote error"), not the client.
	if _, err := handshake(addr, pool, tls.VersionTLS10, tls.VersionTLS11); err == nil || !strings.Contains(err.Error(), "remote error: tls: protocol version not supported") {
		t.Fatalf("a TLS 1.1 client: %v", err)
	}
	if _, err := handshake(addr, pool, tls.VersionTLS12, tls.VersionTLS12); err == nil || !strings.Contains(err.Error(), "remote error") {
		t.Fatalf("a TLS 1.2 client against a TLS 1.3 server: %v", err)
	}
	v, err := handshake(addr, pool, tls.VersionTLS13, tls.VersionTLS13)
	if err != nil || v != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3 client: version %x, %v", v, err)
	}
	// A full request, verified against the exported CA.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("health over TLS: %d %s %v", resp.StatusCode, body, resp.Header)
	}
}

func TestTLS12WhenConfigured(t *testing.T) {
	e := newEnv(t)
	srv, err := api.New(e.app, api.Config{TLSMinVersion: "1.2"}, access.Config{Password: &cheapPasswords}, logs.New(logs.Options{Out: io.Discard}))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, srv)
	pool := caPool(t, e)
	if v, err := handshake(addr, pool, tls.VersionTLS12, tls.VersionTLS12); err != nil || v != tls.VersionTLS12 {
		t.Fatalf("TLS 1.2 client against a 1.2 server: %x %v", v, err)
	}
	if _, err := handshake(addr, pool, tls.VersionTLS10, tls.VersionTLS11); err == nil || !strings.Contains(err.Error(), "remote error") {
		t.Fatalf("a TLS 1.1 client against a 1.2 server: %v", err)
	}
	if _, err := api.New(e.app, api.Config{TLSMinVersion: "1.1"}, access.Config{}, logs.New(logs.Options{Out: io.Discard})); err == nil {
		t.Fatal("tls_min_version 1.1 was accepted")
	}
}

func TestLocalCertificateRenewedWhileServing(t *testing.T) {
	e := newEnv(t)
	addr := serveTLS(t, e.srv)
	pool := caPool(t, e)
	serial := func() string {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Time: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	if serial() != first {
		t.Fatal("the certificate changed without reason")
	}
	e.clock.Advance(2*365*24*time.Hour - 20*24*time.Hour)
	if serial() == first {
		t.Fatal("a certificate 20 days from expiry was still served")
	}
}

func TestClinicSuppliedCertificate(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "frontdesk.clinic.example"},
		DNSNames: []string{"frontdesk.clinic.example"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	srv, err := api.New(e.app, api.Config{CertFile: certFile, KeyFile: keyFile}, access.Config{Password: &cheapPasswords}, logs.New(logs.Options{Out: io.Discard}))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, srv)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	if v, err := handshake(addr, pool, tls.VersionTLS13, tls.VersionTLS13); err != nil || v != tls.VersionTLS13 {
		t.Fatalf("with the clinic's certificate: %x %v", v, err)
	}
	if _, err := handshake(addr, caPool(t, e), tls.VersionTLS13, tls.VersionTLS13); err == nil {
		t.Fatal("the local CA's certificate was served instead of the clinic's")
	}
}
