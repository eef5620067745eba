package sip

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "frontdesk test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func TestTLSCall(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	heard := &mediaTally{}
	h := newTestHandler(func(ctx context.Context, c *Call) {
		go heard.drain(c.Media())
		<-ctx.Done()
	})
	cfg := testConfig()
	cfg.TLSAddr = "127.0.0.1:0"
	cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	a := startAgent(t, cfg, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A client that does not trust the certificate gets nowhere.
	if _, err := Dial(ctx, agentURI(a, "tls"), DialOptions{TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}}); err == nil {
		t.Fatal("call over TLS with an untrusted certificate succeeded")
	}
	o, err := Dial(ctx, agentURI(a, "tls"), DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatalf("Dial over TLS: %v", err)
	}
	c := recv(t, "call", h.calls, 5*time.Second)
	if c.Transport() != "tls" {
		t.Errorf("Transport = %q, want tls", c.Transport())
	}
	go func() { _ = sendTone(ctx, o.Media(), 50) }()
	waitFor(t, "audio", 5*time.Second, func() bool { n, _, _ := heard.snapshot(); return n >= 10 })
	if err := o.Hangup(); err != nil {
		t.Fatal(err)
	}
	recv(t, "call end", c.Done(), 5*time.Second)
	if c.EndReason() != EndByeFromCaller {
		t.Errorf("EndReason = %q", c.EndReason())
	}
}

// TestSymmetricRTP checks that the agent sends to where the caller's RTP
// comes from rather than the port its SDP named, and ignores RTP from
// strangers.
func TestSymmetricRTP(t *testing.T) {
	t.Parallel()
	h := newTestHandler(func(ctx context.Context, c *Call) {
		_ = sendTone(ctx, c.Media(), 1000)
	})
	a := startAgent(t, testConfig(), h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Hangup()
	c := recv(t, "call", h.calls, 5*time.Second)
	agentRTP := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c.leg.media.port()}

	listen := func(ip net.IP) *net.UDPConn {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			t.Skipf("cannot bind %s: %v", ip, err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	stranger := listen(net.IPv4(127, 0, 0, 2))
	natted := listen(net.IPv4(127, 0, 0, 1))
	pkt := func(seq uint16) []byte {
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 7},
			Payload: make([]byte, 160)}
		b, _ := p.Marshal()
		return b
	}
	got := func(conn *net.UDPConn, wait time.Duration) bool {
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		n, _, err := conn.ReadFromUDP(make([]byte, 1500))
		return err == nil && n >= 12
	}
	for i := 0; i < 5; i++ {
		_, _ = stranger.WriteToUDP(pkt(uint16(i)), agentRTP)
	}
	if got(stranger, 300*time.Millisecond) {
		t.Error("agent sent audio to a stranger that sent it RTP")
	}
	for i := 0; i < 5; i++ {
		_, _ = natted.WriteToUDP(pkt(uint16(100+i)), agentRTP)
	}
	if !got(natted, 2*time.Second) {
		t.Error("agent did not follow the caller's RTP to its real source port")
	}
}
