// Package crypto holds frontdesk's key hierarchy and the primitives built on
// it: the key-encryption key (KEK) that never leaves the appliance, versioned
// workspace data keys wrapped by the KEK, per-subject keys wrapped by a
// workspace key, AES-256-GCM field encryption whose additional data binds
// every ciphertext to its place, PHI commitments, and the appliance's
// Ed25519 signing key for ledger checkpoints.
//
// Every ciphertext starts with a small header naming its format and the
// version of the key that sealed it, so keys can rotate while old
// ciphertexts stay readable. A wrong key is always reported as an error
// (ErrWrongKey), never as garbage plaintext.
//
// The AEAD is checked against Project Wycheproof's AES-GCM vectors in
// aead_test.go.
package crypto
