package appliance

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The appliance's own TLS material: a local certificate authority (ECDSA
// P-256, ten years) whose certificate is exported to DATA/tls/ca.pem for
// browsers and clients to trust, and a server certificate it signs (two
// years) for the names the HTTPS API answers on. Both private keys are
// wrapped by the KEK and kept in the system ledger's "tls" aux bucket; the
// certificates are public.

const (
	tlsAux           = "tls"
	caKeyPurpose     = "appliance/tls-ca-key"
	serverKeyPurpose = "appliance/tls-server-key"
	caValidity       = 10 * 365 * 24 * time.Hour
	serverValidity   = 2 * 365 * 24 * time.Hour
	// renewBefore is how long before expiry a server certificate is replaced.
	renewBefore = 30 * 24 * time.Hour
)

// tlsMu serialises creation of the TLS material.
var tlsMu sync.Mutex

// TLSDir is the directory of the exported certificates.
func (a *Appliance) TLSDir() string { return filepath.Join(a.cfg.DataDir, "tls") }

// CAPath is the exported CA certificate (PEM): what clients must trust.
func (a *Appliance) CAPath() string { return filepath.Join(a.TLSDir(), "ca.pem") }

// DefaultHosts are the names a server certificate covers by default:
// localhost, the loopback addresses and the machine's host name.
func DefaultHosts() []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		hosts = append(hosts, h)
	}
	return hosts
}

func (a *Appliance) tlsGet(keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	err := a.system.AuxView(tlsAux, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		for i, k := range keys {
			out[i] = bytes.Clone(b.Get([]byte(k)))
		}
		return nil
	})
	return out, err
}

func (a *Appliance) tlsPut(kv map[string][]byte) error {
	return a.system.AuxUpdate(tlsAux, func(b *bolt.Bucket) error {
		for k, v := range kv {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// EnsureCA creates the local CA if the appliance has none, and (re)writes
// its exported certificate. It reports whether it created the CA.
func (a *Appliance) EnsureCA() (bool, error) {
	tlsMu.Lock()
	defer tlsMu.Unlock()
	_, _, created, err := a.ca()
	return created, err
}

// ca loads or creates the CA. The caller holds tlsMu.
func (a *Appliance) ca() (*x509.Certificate, *ecdsa.PrivateKey, bool, error) {
	vals, err := a.tlsGet("ca-cert", "ca-key")
	if err != nil {
		return nil, nil, false, fmt.Errorf("tls: %w", err)
	}
	created := false
	var certDER []byte
	var key *ecdsa.PrivateKey
	if len(vals[0]) > 0 {
		certDER = vals[0]
		raw, err := a.kek.Unwrap(vals[1], caKeyPurpose)
		if err != nil {
			return nil, nil, false, fmt.Errorf("tls: CA key: %w", err)
		}
		k, err := x509.ParsePKCS8PrivateKey(raw)
		if err != nil {
			return nil, nil, false, fmt.Errorf("tls: CA key: %w", err)
		}
		var ok bool
		if key, ok = k.(*ecdsa.PrivateKey); !ok {
			return nil, nil, false, errors.New("tls: CA key is not ECDSA")
		}
	} else {
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, nil, false, fmt.Errorf("tls: CA key: %w", err)
		}
		now := a.cfg.Now()
		tmpl := &x509.Certificate{
			SerialNumber:          randomSerial(),
			Subject:               pkix.Name{CommonName: "frontdesk local CA " + a.id, Organization: []string{"frontdesk appliance " + a.id}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(caValidity),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        true,
		}
		if certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key); err != nil {
			return nil, nil, false, fmt.Errorf("tls: CA certificate: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, false, fmt.Errorf("tls: CA key: %w", err)
		}
		wrapped, err := a.kek.Wrap(der, caKeyPurpose)
		if err != nil {
			return nil, nil, false, err
		}
		if err := a.tlsPut(map[string][]byte{"ca-cert": certDER, "ca-key": wrapped}); err != nil {
			return nil, nil, false, fmt.Errorf("tls: %w", err)
		}
		created = true
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, false, fmt.Errorf("tls: CA certificate: %w", err)
	}
	if err := a.exportCA(certDER); err != nil {
		return nil, nil, false, err
	}
	return cert, key, created, nil
}

// exportCA writes ca.pem unless it already holds this certificate.
func (a *Appliance) exportCA(der []byte) error {
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if cur, err := os.ReadFile(a.CAPath()); err == nil && bytes.Equal(cur, p) {
		return nil
	}
	if err := os.MkdirAll(a.TLSDir(), 0o755); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	tmp := a.CAPath() + ".tmp"
	if err := os.WriteFile(tmp, p, 0o644); err != nil {
		return fmt.Errorf("tls: export CA: %w", err)
	}
	if err := os.Rename(tmp, a.CAPath()); err != nil {
		return fmt.Errorf("tls: export CA: %w", err)
	}
	return nil
}

// ServerCertificate returns a certificate for hosts signed by the local CA,
// creating the CA if needed. The stored certificate is reused while it
// covers every host and is more than 30 days from expiry; otherwise a new
// one (and key) is issued and stored.
func (a *Appliance) ServerCertificate(hosts []string) (*tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = DefaultHosts()
	}
	tlsMu.Lock()
	defer tlsMu.Unlock()
	caCert, caKey, _, err := a.ca()
	if err != nil {
		return nil, err
	}
	vals, err := a.tlsGet("server-cert", "server-key")
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	now := a.cfg.Now()
	if len(vals[0]) > 0 {
		if c, err := a.loadServer(vals[0], vals[1], caCert); err == nil && now.Add(renewBefore).Before(c.Leaf.NotAfter) && covers(c.Leaf, hosts) {
			return c, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"frontdesk appliance " + a.id}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("tls: server certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tls: server key: %w", err)
	}
	wrapped, err := a.kek.Wrap(kder, serverKeyPurpose)
	if err != nil {
		return nil, err
	}
	if err := a.tlsPut(map[string][]byte{"server-cert": der, "server-key": wrapped}); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return a.loadServer(der, wrapped, caCert)
}

func (a *Appliance) loadServer(certDER, wrappedKey []byte, ca *x509.Certificate) (*tls.Certificate, error) {
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, err
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		return nil, err
	}
	raw, err := a.kek.Unwrap(wrappedKey, serverKeyPurpose)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(raw)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{certDER, ca.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// covers reports whether c names every host.
func covers(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}
