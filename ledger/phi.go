package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"frontdesk/crypto"
)

// An event's PHI is stored beside its envelope as one AES-256-GCM
// ciphertext under the subject's key, whose additional data binds the
// workspace and the event ID. Its plaintext holds, for each field in
// ascending order:
//
//	str field, [32]byte salt, str value
//
// Field names are inside the authenticated plaintext and each value must
// match its field's commitment in the envelope, so every value is bound to
// its workspace, event and field. One ciphertext per event rather than one
// per field halves the cost of sealing and of verification.

const phiAADDomain = "frontdesk/phi/v1"

var errPHIDecrypt = errors.New("PHI values do not decrypt under the subject's key")

// sealPHI encrypts an event's PHI values under the subject's key, sets the
// event's commitments and returns the sealed blob.
func sealPHI(e *Event, k *subjectKey) ([]byte, error) {
	e.Commitments = make(map[string]crypto.Commitment, len(e.PHI))
	fields := sortedKeys(e.PHI)
	var salts [MaxPHIFields * crypto.SaltSize]byte
	if _, err := randRead(salts[:len(fields)*crypto.SaltSize]); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	var pt []byte
	for i, f := range fields {
		var salt [crypto.SaltSize]byte
		copy(salt[:], salts[i*crypto.SaltSize:])
		e.Commitments[f] = crypto.Commit(salt, []byte(e.PHI[f]))
		pt = appendStr(pt, f)
		pt = append(pt, salt[:]...)
		pt = appendStr(pt, e.PHI[f])
	}
	return k.sealer.Seal(nil, pt, crypto.AAD(phiAADDomain, e.Workspace, e.ID))
}

// matchPHI walks a decrypted PHI plaintext against the envelope's PHI
// section (n fields of name and commitment) and checks each value. If out is
// not nil it receives the values. Errors name fields, never values.
func matchPHI(section []byte, n int, pt []byte, out map[string]string) error {
	cd := decoder{b: section}
	d := decoder{b: pt}
	for i := 0; i < n; i++ {
		want := cd.strBytes()
		commit := cd.bytes(32)
		f := d.strBytes()
		salt := d.bytes(crypto.SaltSize)
		val := d.strBytes()
		if d.err != nil || cd.err != nil {
			return errors.New("PHI values are damaged")
		}
		if !bytes.Equal(f, want) {
			return fmt.Errorf("PHI field %d is not the envelope's field %q", i, want)
		}
		if !crypto.MatchCommitment(commit, salt, val) {
			return fmt.Errorf("PHI field %q does not match its commitment", f)
		}
		if out != nil {
			out[string(f)] = string(val)
		}
	}
	if d.off != len(pt) {
		return errors.New("PHI values hold more fields than the envelope")
	}
	return nil
}

// openPHI decrypts an event's PHI and checks it against the envelope.
func openPHI(env []byte, e *Event, blob []byte, k *subjectKey) (map[string]string, error) {
	pt, err := k.sealer.Open(nil, blob, crypto.AAD(phiAADDomain, e.Workspace, e.ID))
	if err != nil {
		return nil, errPHIDecrypt
	}
	var view envelopeView
	if err := parseEnvelope(env, &view); err != nil {
		return nil, err
	}
	out := make(map[string]string, view.nPHI)
	if err := matchPHI(view.phi, view.nPHI, pt, out); err != nil {
		return nil, err
	}
	return out, nil
}
