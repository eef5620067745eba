package egress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdesk/gate/phi"
)

// Types counted besides the detector's.
const (
	// Number counts runs of seven or more digits that the detector did not
	// type, and JSON numbers of magnitude 10^6 or more: phone, SSN, MRN and
	// account numbers have that shape.
	Number phi.Type = "NUMBER"
	// Withheld counts tokens, keys and numbers kept from an ids-only
	// destination.
	Withheld phi.Type = "WITHHELD"
)

// withheldText replaces what an ids-only destination may not receive; a run
// of withheld tokens becomes one.
const withheldText = "[WITHHELD]"

// longDigits is the shortest run of digits treated as an identifier.
const longDigits = 7

var (
	passTokenRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)
	keyRE        = regexp.MustCompile(`^[A-Za-z_$@][A-Za-z0-9_.:$@-]{0,63}$`)
	entityKindRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)
	entityIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	typeNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$`)
	prefixedIDRE = regexp.MustCompile(`^[a-z]{2,16}_[A-Za-z0-9]{6,64}$`)
	smallNumRE   = regexp.MustCompile(`^[-+]?[0-9]{1,6}(\.[0-9]+)?%?$`)
	uuidRE       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	segmentRE    = regexp.MustCompile(`^[A-Za-z0-9._~:-]+$`)
)

// rules applies one class's rules to the parts of one request and counts
// what it replaced.
type rules struct {
	class  Class
	det    *phi.Detector
	op     phi.Operator
	pass   [][]string
	counts phi.Counts
}

func newRules(class Class, det *phi.Detector, op phi.Operator, pass []string) *rules {
	r := &rules{class: class, det: det, op: op, counts: phi.Counts{}}
	for _, p := range pass {
		r.pass = append(r.pass, strings.Split(p, "."))
	}
	return r
}

// passes reports whether path matches a PassThrough pattern.
func (r *rules) passes(path []string) bool {
	for _, p := range r.pass {
		if len(p) != len(path) {
			continue
		}
		ok := true
		for i := range p {
			if p[i] != "*" && p[i] != path[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// passToken reports whether s has the shape of a protocol token: one word
// of letters, digits and ._:/- with at least one letter, so a date, a phone
// or a number never has it.
func passToken(s string) bool {
	if !passTokenRE.MatchString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// clean reports whether the detector finds nothing in s and s holds no long
// run of digits.
func (r *rules) clean(s string) bool {
	return !hasDigitRun(s, longDigits) && len(r.det.Detect(s)) == 0
}

// safe reports whether s may appear unchanged in the path, query or headers
// of a request to a redacted or ids-only destination. Those parts cannot be
// rewritten without changing what the request means, so a request with an
// unsafe one is refused instead.
func (r *rules) safe(s string) bool {
	return s == "" || r.identifier(s) || r.clean(s)
}

// text applies the class's rule for free text to s.
func (r *rules) text(s string) string {
	switch r.class {
	case ClassRedacted:
		return r.redactText(s)
	case ClassIDsOnly:
		return r.idsOnlyText(s)
	}
	return s
}

// redactText replaces every identifier the detector finds in s, and every
// run of seven or more digits it did not type, through r.op.
func (r *rules) redactText(s string) string {
	if s == "" {
		return s
	}
	spans := addDigitRuns(s, r.det.Detect(s))
	out, c := phi.Redact(s, spans, r.op)
	for t, n := range c {
		r.counts[t] += n
	}
	return out
}

// idsOnlyText keeps the tokens of s (split at white space, stripped of
// surrounding punctuation) that are identifiers and replaces each run of
// others with one [WITHHELD], counting each token withheld.
func (r *rules) idsOnlyText(s string) string {
	var b strings.Builder
	inRun := false
	for _, f := range strings.Fields(s) {
		core := strings.Trim(f, "()[]{}<>,;:!?\"'`*.")
		if core != "" && r.identifier(core) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(core)
			inRun = false
			continue
		}
		r.counts[Withheld]++
		if !inRun {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(withheldText)
			inRun = true
		}
	}
	return b.String()
}

// identifier reports whether s is something an ids-only destination may
// receive: an event ID (ULID) or UUID; an RFC 3339 timestamp with a time of
// day; true or false; a number with at most six integer digits; an entity
// reference kind/id whose id is a ULID or UUID, or a short token that holds
// a digit, no run of seven digits, and nothing the detector finds; a dotted
// type name (patient.phone-stated) or a prefixed random ID (msg_2Xk…, with
// a digit) in which the detector finds nothing.
func (r *rules) identifier(s string) bool {
	if len(s) > 128 {
		return false
	}
	if isULID(s) || uuidRE.MatchString(s) || isTimestamp(s) || s == "true" || s == "false" || smallNumRE.MatchString(s) {
		return true
	}
	kind, id, isRef := strings.Cut(s, "/")
	if isRef && entityKindRE.MatchString(kind) && (isULID(id) || uuidRE.MatchString(id)) {
		return true
	}
	if hasDigitRun(s, longDigits) {
		return false
	}
	if isRef {
		return entityKindRE.MatchString(kind) && entityIDRE.MatchString(id) && hasDigit(id) && len(r.det.Detect(id)) == 0
	}
	if typeNameRE.MatchString(s) && len(s) <= 64 {
		return len(r.det.Detect(s)) == 0
	}
	if prefixedIDRE.MatchString(s) && hasDigit(s[strings.IndexByte(s, '_'):]) {
		return len(r.det.Detect(s)) == 0
	}
	return false
}

// value applies the class's rules to a decoded JSON value found at path.
func (r *rules) value(path []string, v any) any {
	switch v := v.(type) {
	case string:
		return r.str(path, v)
	case json.Number:
		return r.number(v)
	case []any:
		p := append(path[:len(path):len(path)], "*")
		for i := range v {
			v[i] = r.value(p, v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			nk := r.key(k)
			for i := 2; ; i++ {
				if _, dup := out[nk]; !dup {
					break
				}
				nk = r.key(k) + "#" + strconv.Itoa(i)
			}
			out[nk] = r.value(append(path[:len(path):len(path)], k), x)
		}
		return out
	}
	return v // bool, nil
}

// str applies the rules to a JSON string at path: a pass-through token is
// kept, a string that is itself a JSON document (tool-call arguments) is
// processed as JSON, anything else as free text.
func (r *rules) str(path []string, s string) any {
	if r.passes(path) && passToken(s) && (r.class == ClassRedacted || r.clean(s)) {
		return s
	}
	if t := strings.TrimSpace(s); len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		if doc, err := decodeJSON([]byte(t)); err == nil {
			if b, err := encodeJSON(r.value(path, doc)); err == nil {
				return string(b)
			}
		}
	}
	return r.text(s)
}

// number keeps numbers below 10^6 in magnitude and replaces larger ones: an
// identifier written as a JSON number is still an identifier.
func (r *rules) number(n json.Number) any {
	f, err := n.Float64()
	if err == nil && math.Abs(f) < 1e6 {
		return n
	}
	if r.class == ClassIDsOnly {
		r.counts[Withheld]++
		return withheldText
	}
	r.counts[Number]++
	return r.op.Replace(Number, n.String())
}

// key applies the rules to an object key: a redacted destination gets it
// redacted like text; an ids-only destination gets it if it has the shape
// of a field name and the detector finds nothing in it.
func (r *rules) key(k string) string {
	switch r.class {
	case ClassRedacted:
		return r.redactText(k)
	case ClassIDsOnly:
		if keyRE.MatchString(k) && r.clean(k) {
			return k
		}
		r.counts[Withheld]++
		return withheldText
	}
	return k
}

// addDigitRuns adds to spans (sorted, non-overlapping, as Detect returns
// them) a Number span for each run of seven or more ASCII digits that no
// span overlaps. Offsets are in runes.
func addDigitRuns(s string, spans []phi.Span) []phi.Span {
	if !hasDigitRun(s, longDigits) {
		return spans
	}
	var runs []phi.Span
	start, n, i := -1, 0, 0
	flush := func(end int) {
		if start >= 0 && end-start >= longDigits {
			runs = append(runs, phi.Span{Start: start, End: end, Type: Number, Score: 1})
		}
		start = -1
	}
	for _, c := range s {
		if c >= '0' && c <= '9' {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
		i++
		n = i
	}
	flush(n)
	out := spans
	for _, run := range runs {
		overlaps := false
		for _, sp := range spans {
			if sp.Start < run.End && run.Start < sp.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, run)
		}
	}
	return out
}

// hasDigitRun reports whether s holds n or more consecutive ASCII digits.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// isULID reports whether s has the form of a ledger event ID.
func isULID(s string) bool {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

// isTimestamp reports whether s is an RFC 3339 timestamp with a time of
// day: when something happened in the system, not a date of birth.
func isTimestamp(s string) bool {
	if len(s) < 20 || len(s) > 40 || strings.IndexByte(s, 'T') != 10 {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// decodeJSON decodes a JSON document keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the JSON document")
	}
	return v, nil
}

// encodeJSON encodes v compactly without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// validUTF8 reports whether every text field of a form is UTF-8.
func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
