package crypto

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// signingPurpose binds the wrapped signing key to its role.
const signingPurpose = "appliance/signing-key"

// SigningKey is the appliance's Ed25519 key in golang.org/x/mod/sumdb/note
// form. It signs ledger checkpoints; its verifier key is what auditors hold.
type SigningKey struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key in note text form (name+hash+base64),
	// printed at init and carried in proof bundles.
	VerifierKey string
}

// GenerateSigningKey creates a signing key named name and returns it with
// its private half wrapped under kek.
func GenerateSigningKey(kek *KEK, name string) (*SigningKey, []byte, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: generate signing key: %w", err)
	}
	wrapped, err := kek.Wrap([]byte(skey), signingPurpose)
	if err != nil {
		return nil, nil, err
	}
	k, err := signingKey(skey, vkey)
	return k, wrapped, err
}

// OpenSigningKey unwraps a signing key stored by GenerateSigningKey.
func OpenSigningKey(kek *KEK, wrapped []byte, vkey string) (*SigningKey, error) {
	skey, err := kek.Unwrap(wrapped, signingPurpose)
	if err != nil {
		return nil, fmt.Errorf("crypto: signing key: %w", err)
	}
	return signingKey(string(skey), vkey)
}

// RewrapSigningKey re-seals a stored signing key from one KEK to another.
func RewrapSigningKey(from, to *KEK, wrapped []byte) ([]byte, error) {
	skey, err := from.Unwrap(wrapped, signingPurpose)
	if err != nil {
		return nil, fmt.Errorf("crypto: signing key: %w", err)
	}
	return to.Wrap(skey, signingPurpose)
}

func signingKey(skey, vkey string) (*SigningKey, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("crypto: signing key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("crypto: verifier key: %w", err)
	}
	if v.KeyHash() != s.KeyHash() || v.Name() != s.Name() {
		return nil, fmt.Errorf("crypto: verifier key %q does not belong to the signing key", vkey)
	}
	return &SigningKey{Signer: s, Verifier: v, VerifierKey: vkey}, nil
}
