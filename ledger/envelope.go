package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"frontdesk/crypto"
)

// Hash is a SHA-256 hash in the Merkle tree and the chain.
type Hash = tlog.Hash

// EnvelopeVersion is the first byte of every envelope.
const EnvelopeVersion = 1

// Fixed offsets in an envelope, so verification can check the chain without
// decoding the rest.
const (
	offSeq      = 1
	offPrev     = offSeq + 8
	offRecorded = offPrev + 32
	offVarying  = offRecorded + 8
)

// maxEnvelope bounds a decoded envelope; larger input is refused, not read.
const maxEnvelope = 1 << 20

// ErrBadEnvelope reports bytes that are not a well-formed envelope.
var ErrBadEnvelope = errors.New("malformed envelope")

// encodeEnvelope appends the canonical envelope of e to dst.
//
// Layout (integers big-endian; str = uvarint length + UTF-8 bytes):
//
//	version   byte (1)
//	seq       uint64
//	prev      [32]byte   leaf hash of the previous envelope
//	recorded  int64      Unix nanoseconds, UTC
//	id, workspace, entity, subject, type   str
//	source    byte
//	confidence uint64    IEEE-754 bits of a float64 in 0..1
//	actor     str
//	supersedes uvarint count, then str each (in the order given)
//	attrs     uvarint count, then str key, str value (keys ascending)
//	phi       uvarint count, then str field, [32]byte commitment (fields ascending)
func encodeEnvelope(dst []byte, e *Event) []byte {
	dst = append(dst, EnvelopeVersion)
	dst = binary.BigEndian.AppendUint64(dst, e.Seq)
	dst = append(dst, e.Prev[:]...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Recorded.UnixNano()))
	for _, s := range [...]string{e.ID, e.Workspace, e.Entity, e.Subject, e.Type} {
		dst = appendStr(dst, s)
	}
	dst = append(dst, byte(e.Source))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(e.Confidence))
	dst = appendStr(dst, e.Actor)
	dst = binary.AppendUvarint(dst, uint64(len(e.Supersedes)))
	for _, s := range e.Supersedes {
		dst = appendStr(dst, s)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Attrs)))
	for _, k := range sortedKeys(e.Attrs) {
		dst = appendStr(dst, k)
		dst = appendStr(dst, e.Attrs[k])
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Commitments)))
	for _, k := range sortedKeys(e.Commitments) {
		c := e.Commitments[k]
		dst = appendStr(dst, k)
		dst = append(dst, c[:]...)
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// envelopeView is a parsed envelope whose fields alias the input bytes. It
// lets verification walk millions of envelopes without allocating.
type envelopeView struct {
	seq        uint64
	prev       []byte
	recorded   int64
	id, ws     []byte
	entity     []byte
	subject    []byte
	typ, actor []byte
	source     Source
	confidence float64
	// The repeated sections, each as its count and its encoded bytes.
	nSupersedes, nAttrs, nPHI int
	supersedes, attrs, phi    []byte
}

// parseEnvelope checks that b is a canonical envelope and fills v. Only the
// canonical encoding is accepted: re-encoding the decoded event gives back
// exactly b, so two different byte strings never mean the same event.
func parseEnvelope(b []byte, v *envelopeView) error {
	if len(b) > maxEnvelope {
		return fmt.Errorf("%w: %d bytes", ErrBadEnvelope, len(b))
	}
	d := decoder{b: b}
	if d.byte() != EnvelopeVersion {
		return fmt.Errorf("%w: unknown version", ErrBadEnvelope)
	}
	v.seq = d.u64()
	v.prev = d.bytes(32)
	v.recorded = int64(d.u64())
	v.id = d.strBytes()
	v.ws = d.strBytes()
	v.entity = d.strBytes()
	v.subject = d.strBytes()
	v.typ = d.strBytes()
	v.source = Source(d.byte())
	v.confidence = math.Float64frombits(d.u64())
	v.actor = d.strBytes()

	v.nSupersedes = d.count(MaxSupersedes)
	at := d.off
	for i := 0; i < v.nSupersedes; i++ {
		d.strBytes()
	}
	v.supersedes = b[at:d.off]

	v.nAttrs = d.count(MaxAttrs)
	at = d.off
	var last []byte
	for i := 0; i < v.nAttrs; i++ {
		k := d.strBytes()
		if i > 0 && string(k) <= string(last) {
			d.fail("attributes out of order")
		}
		last = k
		d.strBytes()
	}
	v.attrs = b[at:d.off]

	v.nPHI = d.count(MaxPHIFields)
	at = d.off
	for i := 0; i < v.nPHI; i++ {
		k := d.strBytes()
		if i > 0 && string(k) <= string(last) {
			d.fail("PHI fields out of order")
		}
		last = k
		d.bytes(32)
	}
	v.phi = b[at:d.off]

	if d.err == nil && d.off != len(b) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	if math.IsNaN(v.confidence) || v.confidence < 0 || v.confidence > 1 {
		return fmt.Errorf("%w: confidence out of range", ErrBadEnvelope)
	}
	if !v.source.valid() {
		return fmt.Errorf("%w: unknown source", ErrBadEnvelope)
	}
	return nil
}

// eachPHI calls fn with each PHI field name and commitment of v.
func (v *envelopeView) eachPHI(fn func(field []byte, c []byte)) {
	d := decoder{b: v.phi}
	for i := 0; i < v.nPHI; i++ {
		f := d.strBytes()
		fn(f, d.bytes(32))
	}
}

// DecodeEnvelope parses a canonical envelope into an Event.
func DecodeEnvelope(b []byte) (*Event, error) {
	var v envelopeView
	if err := parseEnvelope(b, &v); err != nil {
		return nil, err
	}
	e := &Event{
		Seq: v.seq, Recorded: time.Unix(0, v.recorded).UTC(),
		ID: string(v.id), Workspace: string(v.ws), Entity: string(v.entity), Subject: string(v.subject),
		Type: string(v.typ), Source: v.source, Confidence: v.confidence, Actor: string(v.actor),
	}
	copy(e.Prev[:], v.prev)
	if v.nSupersedes > 0 {
		d := decoder{b: v.supersedes}
		e.Supersedes = make([]string, v.nSupersedes)
		for i := range e.Supersedes {
			e.Supersedes[i] = d.str()
		}
	}
	if v.nAttrs > 0 {
		d := decoder{b: v.attrs}
		e.Attrs = make(map[string]string, v.nAttrs)
		for i := 0; i < v.nAttrs; i++ {
			k := d.str()
			e.Attrs[k] = d.str()
		}
	}
	if v.nPHI > 0 {
		e.Commitments = make(map[string]crypto.Commitment, v.nPHI)
		v.eachPHI(func(f, c []byte) {
			var cm crypto.Commitment
			copy(cm[:], c)
			e.Commitments[string(f)] = cm
		})
	}
	return e, nil
}

// envelopePrev and envelopeRecorded read fixed-offset fields without a
// full decode; callers must have checked len(b) >= offVarying.
func envelopePrev(b []byte) (h Hash) {
	copy(h[:], b[offPrev:offPrev+32])
	return h
}

func envelopeRecorded(b []byte) int64 { return int64(binary.BigEndian.Uint64(b[offRecorded:])) }

// decoder reads an envelope; the first error sticks and later reads return
// zero values.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrBadEnvelope, msg, d.off)
	}
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil || n < 0 || len(d.b)-d.off < n {
		d.fail("truncated")
		return make([]byte, max(n, 0))
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) byte() byte { return d.bytes(1)[0] }

func (d *decoder) u64() uint64 { return binary.BigEndian.Uint64(d.bytes(8)) }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	// Most lengths fit in one byte, which is always minimal.
	if d.off < len(d.b) && d.b[d.off] < 0x80 {
		v := uint64(d.b[d.off])
		d.off++
		return v
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	// Canonical: the shortest encoding only.
	if n != uvarintLen(v) {
		d.fail("non-minimal length")
		return 0
	}
	d.off += n
	return v
}

// uvarintLen is the length of the shortest uvarint encoding of v.
func uvarintLen(v uint64) int {
	return max(1, (bits.Len64(v)+6)/7)
}

func (d *decoder) count(limit int) int {
	v := d.uvarint()
	if v > uint64(limit) {
		d.fail("too many items")
		return 0
	}
	return int(v)
}

func (d *decoder) strBytes() []byte {
	// Most strings are shorter than 128 bytes: a one-byte length, which is
	// always minimal.
	if at := d.off + 1; at <= len(d.b) {
		if n := int(d.b[d.off]); n < 0x80 && n <= len(d.b)-at {
			d.off = at + n
			return d.b[at:d.off]
		}
	}
	return d.longStrBytes()
}

// longStrBytes is strBytes beyond its one-byte-length case.
func (d *decoder) longStrBytes() []byte {
	v := d.uvarint()
	if v > maxEnvelope {
		d.fail("string too long")
		return nil
	}
	return d.bytes(int(v))
}

func (d *decoder) str() string { return string(d.strBytes()) }
