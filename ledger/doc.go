// Package ledger is frontdesk's event store: an append-only log of immutable
// events in one bbolt file per workspace, chained by SHA-256 and committed to
// a Merkle tree in the form of RFC 6962 (golang.org/x/mod/sumdb/tlog), with
// checkpoints signed as C2SP tlog-checkpoint notes.
//
// The log is the database. Every other view of the data — an entity's
// history, its state as of a moment, the indexes by ID, entity, type and
// subject — is derived from the log and can be rebuilt from it (Reindex).
//
// Each event is recorded as an envelope: canonical bytes (see encodeEnvelope
// for the layout) that carry no PHI. Each PHI value is represented in the
// envelope by a salted commitment and stored beside it, sealed with
// AES-256-GCM under a key of its subject, which is wrapped by the workspace
// data key, which the key-encryption key wraps. Erasing a subject destroys
// its key and values; envelopes, hashes and proofs stay valid.
//
// Appends are made durable by a write-ahead log with group commit (wal.go)
// and folded into bbolt by a second goroutine (apply.go); readers see every
// acknowledged event. Verify recomputes everything from the bytes on disk.
//
// Files: event.go and envelope.go define events and their encoding; wal.go,
// append.go and apply.go the write path; read.go and fold.go reads and
// as-of state; merkle.go, checkpoint.go and bundle.go proofs; verify.go the
// full check; erase.go erasure; reindex.go rebuilding indexes; keys.go the
// keys stored in the file.
package ledger
