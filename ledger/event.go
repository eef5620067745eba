package ledger

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"frontdesk/crypto"
)

// Source says where a fact came from; it sets how far the fact is trusted.
type Source uint8

// The sources of events. Their numeric values are part of the envelope
// format and never change.
const (
	SourceEHR    Source = 1
	SourceVoice  Source = 2
	SourceManual Source = 3
	SourceAgent  Source = 4
	SourceSystem Source = 5
)

var sourceNames = map[Source]string{
	SourceEHR: "ehr", SourceVoice: "voice", SourceManual: "manual", SourceAgent: "agent", SourceSystem: "system",
}

// valid reports whether s is one of the named sources.
func (s Source) valid() bool { return s >= SourceEHR && s <= SourceSystem }

// String returns the source's name as written in the CLI and the API.
func (s Source) String() string {
	if n, ok := sourceNames[s]; ok {
		return n
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// ParseSource converts a name (ehr, voice, manual, agent, system) to a Source.
func ParseSource(name string) (Source, error) {
	for s, n := range sourceNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown source %q (want ehr, voice, manual, agent or system)", ErrInvalidEvent, name)
}

// MarshalText encodes the source by name.
func (s Source) MarshalText() ([]byte, error) {
	if _, ok := sourceNames[s]; !ok {
		return nil, fmt.Errorf("ledger: unknown source %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a source name.
func (s *Source) UnmarshalText(b []byte) error {
	v, err := ParseSource(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Event is one immutable fact in a ledger. The fields down to Commitments
// form the envelope: the exact bytes that are hashed into the chain and the
// Merkle tree. PHI values are never in the envelope; each is represented
// there by a salted commitment and stored beside it, encrypted under the
// subject's key.
type Event struct {
	// Seq is the event's position in the log, from 0; it is also its leaf
	// index in the Merkle tree. Assigned by the ledger.
	Seq uint64 `json:"seq"`
	// ID is a unique, time-ordered identifier (26 characters). Assigned by
	// the ledger.
	ID string `json:"id"`
	// Recorded is when the ledger accepted the event; never decreases along
	// the log. Assigned by the ledger.
	Recorded time.Time `json:"recorded"`
	// Workspace names the ledger the event belongs to. Assigned by the ledger.
	Workspace string `json:"workspace"`
	// Entity is what the event is about, as kind/id (patient/123, call/abc).
	Entity string `json:"entity"`
	// Subject is the person whose key protects the event's PHI; it defaults
	// to Entity. Erasing the subject destroys that key.
	Subject string `json:"subject"`
	// Type names what happened, e.g. patient.phone-stated.
	Type string `json:"type"`
	// Source is where the fact came from.
	Source Source `json:"source"`
	// Confidence is how far the fact is trusted, 0..1.
	Confidence float64 `json:"confidence"`
	// Supersedes lists earlier events of the same entity that this one
	// replaces. They stay in the log; folds skip them.
	Supersedes []string `json:"supersedes,omitempty"`
	// Actor is who or what caused the event (account/…, agent, system).
	Actor string `json:"actor"`
	// Prev is the leaf hash of the previous event's envelope (zero for the
	// first event). Assigned by the ledger.
	Prev Hash `json:"prev"`
	// Attrs are attributes that are not PHI.
	Attrs map[string]string `json:"attrs,omitempty"`
	// Commitments holds, for each PHI field, its commitment.
	Commitments map[string]crypto.Commitment `json:"commitments,omitempty"`

	// PHI holds the plaintext PHI values. On Append it is the input; on
	// reads it is filled when the caller asked for PHI and the subject has
	// not been erased.
	PHI map[string]string `json:"phi,omitempty"`
	// Erased is true on reads when the subject's PHI has been erased.
	Erased bool `json:"erased,omitempty"`
}

// Limits on event fields. They keep envelopes small and make hostile input
// fail cleanly rather than exhaust memory.
const (
	MaxNameLen     = 256
	MaxAttrs       = 64
	MaxAttrValue   = 4096
	MaxPHIFields   = 32
	MaxPHIValue    = 64 << 10
	MaxSupersedes  = 16
	reservedPrefix = "ledger."
)

// ErrInvalidEvent reports an event that the ledger refuses to record.
var ErrInvalidEvent = errors.New("invalid event")

// validate checks the caller-supplied fields of e.
func (e *Event) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, args...)...)
	}
	if err := checkName("entity", e.Entity, true); err != nil {
		return err
	}
	if !strings.Contains(e.Entity, "/") {
		return bad("entity %q must be kind/id, e.g. patient/123", e.Entity)
	}
	if err := checkName("subject", e.Subject, false); err != nil {
		return err
	}
	if err := checkName("type", e.Type, true); err != nil {
		return err
	}
	for _, r := range e.Type {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return bad("type %q may hold only a-z, 0-9, '.', '-' and '_'", e.Type)
		}
	}
	if !e.Source.valid() {
		return bad("unknown source %d (want ehr, voice, manual, agent or system)", e.Source)
	}
	if math.IsNaN(e.Confidence) || e.Confidence < 0 || e.Confidence > 1 {
		return bad("confidence %v is outside 0..1", e.Confidence)
	}
	if err := checkName("actor", e.Actor, false); err != nil {
		return err
	}
	if len(e.Supersedes) > MaxSupersedes {
		return bad("supersedes %d events; at most %d", len(e.Supersedes), MaxSupersedes)
	}
	seen := map[string]bool{}
	for _, id := range e.Supersedes {
		if !validID(id) {
			return bad("supersedes %q, which is not an event ID", id)
		}
		if seen[id] {
			return bad("supersedes %s twice", id)
		}
		seen[id] = true
	}
	if len(e.Attrs) > MaxAttrs {
		return bad("%d attributes; at most %d", len(e.Attrs), MaxAttrs)
	}
	for k, v := range e.Attrs {
		if err := checkName("attribute name", k, true); err != nil {
			return err
		}
		if len(v) > MaxAttrValue || !utf8.ValidString(v) {
			return bad("attribute %q is longer than %d bytes or not UTF-8", k, MaxAttrValue)
		}
	}
	if len(e.PHI) > MaxPHIFields {
		return bad("%d PHI fields; at most %d", len(e.PHI), MaxPHIFields)
	}
	for k, v := range e.PHI {
		if err := checkName("PHI field name", k, true); err != nil {
			return err
		}
		if _, dup := e.Attrs[k]; dup {
			return bad("field %q is both an attribute and a PHI field", k)
		}
		// The value itself is PHI: the message names only the field.
		if len(v) > MaxPHIValue || !utf8.ValidString(v) {
			return bad("PHI field %q is longer than %d bytes or not UTF-8", k, MaxPHIValue)
		}
	}
	return nil
}

// checkName validates an identifier-like field: printable, bounded.
func checkName(what, s string, required bool) error {
	if s == "" {
		if required {
			return fmt.Errorf("%w: %s is empty", ErrInvalidEvent, what)
		}
		return nil
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidEvent, what, MaxNameLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidEvent, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalidEvent, what)
		}
	}
	return nil
}

// sortedKeys returns m's keys in byte order: the canonical order of the
// envelope.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Event IDs are ULIDs: 48 bits of milliseconds and 80 random bits in
// Crockford base32, so they sort by creation time.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idLen is the length of an event ID.
const idLen = 26

// newID returns a fresh event ID for time t.
func newID(t time.Time) (string, error) {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	if _, err := rand.Read(b[6:]); err != nil {
		return "", fmt.Errorf("ledger: event id: %w", err)
	}
	// 128 bits in 26 base32 digits: the first digit carries 3 bits.
	var out [idLen]byte
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	for i := idLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:]), nil
}

// validID reports whether s has the form of an event ID.
func validID(s string) bool {
	if len(s) != idLen || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

// randRead fills b from the system's CSPRNG.
func randRead(b []byte) (int, error) { return rand.Read(b) }
