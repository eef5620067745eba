package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of Standard Webhooks 1.0.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Errors of signing and verification.
var (
	// ErrBadSecret reports a secret that is not whsec_ and base64.
	ErrBadSecret = errors.New("webhook: the secret must be whsec_ followed by base64 of 24 to 64 bytes")
	// ErrBadSignature reports a delivery whose signatures all fail.
	ErrBadSignature = errors.New("webhook: no valid signature")
	// ErrStale reports a delivery whose timestamp is outside the tolerance.
	ErrStale = errors.New("webhook: timestamp outside the tolerance")
)

// NewSecret returns a fresh signing secret: whsec_ and the base64 of 32
// random bytes.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhook: secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// secretKey decodes a secret's key bytes.
func secretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	k, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(k) < 24 || len(k) > 64 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// ValidSecret reports whether s has the form of a signing secret.
func ValidSecret(s string) bool {
	_, err := secretKey(s)
	return err == nil
}

// Sign returns the Standard Webhooks signature of a message: "v1," and the
// base64 of HMAC-SHA256, keyed by the secret's bytes, of
// "<id>.<timestamp>.<body>".
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	k, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, timestamp, body)), nil
}

func mac(key []byte, id string, timestamp int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SignAll returns the webhook-signature header value for several secrets:
// their signatures, space-separated (during a rotation, new then old).
func SignAll(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, id, timestamp, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Verify checks a delivery as a receiver does: the webhook-timestamp is
// within tolerance of now, and one of the v1 signatures in
// webhook-signature matches one of the secrets. It returns the message ID.
func Verify(h http.Header, body []byte, secrets []string, now time.Time, tolerance time.Duration) (string, error) {
	id := h.Get(HeaderID)
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if id == "" || err != nil {
		return "", fmt.Errorf("%w: missing webhook-id or webhook-timestamp", ErrBadSignature)
	}
	if d := now.Unix() - ts; math.Abs(float64(d)) > tolerance.Seconds() {
		return id, ErrStale
	}
	for _, s := range secrets {
		k, err := secretKey(s)
		if err != nil {
			return id, err
		}
		want := mac(k, id, ts, body)
		for _, sig := range strings.Fields(h.Get(HeaderSignature)) {
			v, b64, ok := strings.Cut(sig, ",")
			if !ok || v != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return id, nil
			}
		}
	}
	return id, ErrBadSignature
}
