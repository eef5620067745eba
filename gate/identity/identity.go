// Package identity is the gate that decides what may be said to a caller:
// nothing about a patient is disclosed on a call until the caller has
// matched a patient's name and date of birth on file.
//
// A Session belongs to one call. Verify records each attempt on the call's
// entity (call.verification-attempted, then call.verified with the patient,
// or call.verification-locked after MaxAttempts failures), so the session's
// state is the fold of the call's events and survives a restart.
//
// Disclosure is a capability: Session.Require returns a Verified value only
// when the session is verified, and a Verified is the only way to read a
// patient's record for a caller (Verified.Read, which records a
// call.disclosed access event). Its zero value, one from another call, one
// from before a re-verification, lock or Close, are all refused. Tools that
// disclose run through a Toolbox, which obtains the Verified for them.
//
// Matching reads the world model: each patient/<id> entity's trusted
// fields (see Directory), written by the EHR import:
//
//	given      given name(s)              PHI
//	family     family name                PHI
//	name       full name, when the source has no parts   PHI
//	birthDate  date of birth, YYYY-MM-DD  PHI
//
// The date of birth must match exactly; each part of the family name and
// the first given name must match a word the caller said, exactly after
// normalisation or as a spelling variant that sounds the same (Double
// Metaphone) and is within a small edit distance. Speech recognisers
// misspell names, so "Jon" matches "John" and "Smyth" "Smith" — and so
// does "Diana" match "Dana": the name narrows, the date of birth decides.
// Nicknames ("Bob" for "Robert") do not match.
package identity

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdesk/gate/review"
	"frontdesk/gate/review/phonetic"
	"frontdesk/gate/review/spoken"
	"frontdesk/ledger"
)

// Fields of a patient's record that matching reads.
const (
	FieldGiven     = "given"
	FieldFamily    = "family"
	FieldName      = "name"
	FieldBirthDate = "birthDate"
)

// Event types recorded on the call's entity.
const (
	TypeAttempted = "call.verification-attempted"
	TypeVerified  = "call.verified"
	TypeLocked    = "call.verification-locked"
	TypeDisclosed = "call.disclosed"
)

// Attribute names of those events. None holds PHI.
const (
	AttrPatient      = "patient"
	AttrOutcome      = "outcome"
	AttrAttempt      = "attempt"
	AttrMethod       = "method"
	AttrTool         = "tool"
	AttrFields       = "fields"
	AttrVerification = "verification"
)

// Outcomes of an attempt.
const (
	OutcomeMatched    = "matched"
	OutcomeNoMatch    = "no-match"
	OutcomeAmbiguous  = "ambiguous"
	OutcomeIncomplete = "incomplete"
)

// MaxAttempts is the number of failed attempts after which a call's
// verification locks and the caller must be transferred to a person.
const MaxAttempts = 3

// TrustedConfidence is the confidence a value needs to count in matching
// and to be disclosed: EHR and staff-entered values, and facts a reviewer
// approved or corrected. What a caller said, even once the judge verified
// it, does not prove who they are.
const TrustedConfidence = 0.9

// Errors callers test for.
var (
	// ErrNotVerified refuses a disclosure before verification.
	ErrNotVerified = errors.New("identity: the caller has not been verified")
	// ErrLocked refuses after MaxAttempts failed attempts.
	ErrLocked = errors.New("identity: verification is locked after repeated failures; transfer the caller to staff")
	// ErrClosed refuses use of a closed session.
	ErrClosed = errors.New("identity: the call's session is closed")
)

// Claim is what the caller said to identify themselves.
type Claim struct {
	// Name as said or spelled: "dana fairbanks", "fairbanks, dana".
	Name string
	// BirthDate as said or keyed: "march fourteenth nineteen eighty",
	// "03141980".
	BirthDate string
	// Patient, when set, restricts matching to one patient (for example
	// one found by the caller's number).
	Patient string
	// Method is how the claim was collected: voice or keypad.
	Method string
}

// Result is the outcome of one attempt, safe to act on in the dialogue:
// it says whether the caller is verified, never which part failed.
type Result struct {
	Verified bool   `json:"verified"`
	Patient  string `json:"patient,omitempty"`
	Outcome  string `json:"outcome"`
	// Attempt is the number of failed attempts so far.
	Attempt   int  `json:"attempt"`
	Remaining int  `json:"remaining"`
	Locked    bool `json:"locked"`
}

// Session is the identity state of one call. Its methods are safe for
// concurrent use.
type Session struct {
	l    *ledger.Ledger
	call string
	dir  *Directory

	mu       sync.Mutex
	failures int
	locked   bool
	closed   bool
	current  *grant
}

// grant is one verification; Verified values point at it.
type grant struct {
	s       *Session
	patient string
	event   string
}

// Open returns the session of call (call/<id>), restoring its state from
// the call's events.
func Open(l *ledger.Ledger, call string, dir *Directory) (*Session, error) {
	if !strings.HasPrefix(call, "call/") {
		return nil, fmt.Errorf("identity: %q is not a call entity (call/<id>)", call)
	}
	if dir == nil {
		dir = NewDirectory(l)
	}
	s := &Session{l: l, call: call, dir: dir}
	evs, err := l.History(call, ledger.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("identity: open %s: %w", call, err)
	}
	for _, ev := range evs {
		switch ev.Type {
		case TypeAttempted:
			if o := ev.Attrs[AttrOutcome]; o == OutcomeNoMatch || o == OutcomeAmbiguous {
				s.failures++
			}
		case TypeVerified:
			s.current = &grant{s: s, patient: ev.Attrs[AttrPatient], event: ev.ID}
		case TypeLocked:
			s.locked, s.current = true, nil
		}
	}
	return s, nil
}

// Call is the session's call entity.
func (s *Session) Call() string { return s.call }

// Verify checks a claim against the world model and records the attempt.
// A claim without a name or a readable date of birth is recorded as
// incomplete and does not count against the caller.
func (s *Session) Verify(ctx context.Context, c Claim) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Result{}, ErrClosed
	}
	if s.locked {
		return Result{Locked: true, Outcome: "locked", Attempt: s.failures}, ErrLocked
	}
	outcome, patient, err := s.match(c)
	if err != nil {
		return Result{}, err
	}
	failed := outcome == OutcomeNoMatch || outcome == OutcomeAmbiguous
	n := s.failures
	if failed {
		n++
	}
	method := c.Method
	if method != "voice" && method != "keypad" {
		method = "voice"
	}
	att, err := s.l.Append(ctx, ledger.Event{
		Entity: s.call, Type: TypeAttempted, Source: ledger.SourceSystem, Confidence: 1, Actor: "identity",
		Attrs: map[string]string{AttrOutcome: outcome, AttrAttempt: strconv.Itoa(n), AttrMethod: method},
	})
	if err != nil {
		return Result{}, fmt.Errorf("identity: record attempt: %w", err)
	}
	s.failures = n
	res := Result{Outcome: outcome, Attempt: n, Remaining: max(0, MaxAttempts-n)}
	switch {
	case outcome == OutcomeMatched:
		ev, err := s.l.Append(ctx, ledger.Event{
			Entity: s.call, Type: TypeVerified, Source: ledger.SourceSystem, Confidence: 1, Actor: "identity",
			Attrs: map[string]string{AttrPatient: patient, AttrAttempt: att.ID, AttrMethod: method},
		})
		if err != nil {
			return Result{}, fmt.Errorf("identity: record verification: %w", err)
		}
		s.current = &grant{s: s, patient: patient, event: ev.ID}
		res.Verified, res.Patient = true, patient
	case failed && n >= MaxAttempts:
		if _, err := s.l.Append(ctx, ledger.Event{
			Entity: s.call, Type: TypeLocked, Source: ledger.SourceSystem, Confidence: 1, Actor: "identity",
			Attrs: map[string]string{AttrAttempt: strconv.Itoa(n)},
		}); err != nil {
			return Result{}, fmt.Errorf("identity: record lock: %w", err)
		}
		s.locked, s.current = true, nil
		res.Locked = true
		return res, ErrLocked
	}
	return res, nil
}

// match finds the one patient the claim identifies.
func (s *Session) match(c Claim) (string, string, error) {
	words := spoken.NameWords(c.Name)
	var dates []spoken.Date
	for _, d := range spoken.Dates(c.BirthDate) {
		if d.Full() {
			dates = append(dates, d)
		}
	}
	if len(words) == 0 || len(dates) == 0 {
		return OutcomeIncomplete, "", nil
	}
	var cands []Record
	if c.Patient != "" {
		r, err := s.dir.Lookup(c.Patient)
		if err != nil {
			return "", "", err
		}
		if r != nil {
			cands = append(cands, *r)
		}
	} else {
		for _, d := range dates {
			rs, err := s.dir.ByBirthDate(d)
			if err != nil {
				return "", "", err
			}
			cands = append(cands, rs...)
		}
	}
	var hits []string
	for _, r := range cands {
		if !r.hasBirthDate(dates) || !r.NameMatches(words) {
			continue
		}
		if !containsString(hits, r.Patient) {
			hits = append(hits, r.Patient)
		}
	}
	switch len(hits) {
	case 0:
		return OutcomeNoMatch, "", nil
	case 1:
		return OutcomeMatched, hits[0], nil
	}
	return OutcomeAmbiguous, "", nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Status is a session's state, for the dialogue and the API.
type Status struct {
	Call     string `json:"call"`
	Verified bool   `json:"verified"`
	Patient  string `json:"patient,omitempty"`
	Failures int    `json:"failures"`
	Locked   bool   `json:"locked"`
}

// Status returns the session's state.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Call: s.call, Failures: s.failures, Locked: s.locked}
	if s.current != nil && !s.closed {
		st.Verified, st.Patient = true, s.current.patient
	}
	return st
}

// Require returns the capability to disclose the verified patient's data
// on this call, or ErrNotVerified, ErrLocked or ErrClosed.
func (s *Session) Require() (Verified, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return Verified{}, ErrClosed
	case s.locked:
		return Verified{}, ErrLocked
	case s.current == nil:
		return Verified{}, ErrNotVerified
	}
	return Verified{g: s.current}, nil
}

// Close ends the session: every Verified it issued stops working.
func (s *Session) Close() {
	s.mu.Lock()
	s.closed, s.current = true, nil
	s.mu.Unlock()
}

// Verified is the capability to disclose one verified patient's data on
// one call. Only Session.Require makes a usable one.
type Verified struct {
	g *grant
}

// check reports whether v is still the live verification of its session.
func (v Verified) check() error {
	if v.g == nil {
		return ErrNotVerified
	}
	s := v.g.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.locked:
		return ErrLocked
	case s.current != v.g:
		return ErrNotVerified // re-verified since, or never this session's
	}
	return nil
}

// Valid reports whether v may still be used.
func (v Verified) Valid() bool { return v.check() == nil }

// Patient is the verified patient's entity, or "" for an unusable value.
func (v Verified) Patient() string {
	if v.g == nil {
		return ""
	}
	return v.g.patient
}

// Call is the call the verification belongs to.
func (v Verified) Call() string {
	if v.g == nil {
		return ""
	}
	return v.g.s.call
}

// Event is the ID of the call.verified event.
func (v Verified) Event() string {
	if v.g == nil {
		return ""
	}
	return v.g.event
}

// Disclose records that tool is about to tell the caller about the verified
// patient's resources (appointments, for example: data that is not a field
// of the patient's record). It refuses exactly when Read would.
func (v Verified) Disclose(ctx context.Context, tool string, resources ...string) error {
	if err := v.check(); err != nil {
		return err
	}
	if tool == "" {
		return errors.New("identity: disclose: a tool name is required")
	}
	return v.record(ctx, tool, map[string]string{"resources": strings.Join(resources, ",")})
}

// record writes a disclosure twice: on the call (call.disclosed, what the
// identity gate checks) and in the patient's accounting of disclosures
// (access.read on audit/patient/<id>, like every read through the API).
func (v Verified) record(ctx context.Context, tool string, extra map[string]string) error {
	s := v.g.s
	attrs := map[string]string{AttrPatient: v.g.patient, AttrTool: tool, AttrVerification: v.g.event}
	for k, val := range extra {
		attrs[k] = val
	}
	if _, err := s.l.Append(ctx, ledger.Event{
		Entity: s.call, Type: TypeDisclosed, Source: ledger.SourceSystem, Confidence: 1, Actor: "identity", Attrs: attrs,
	}); err != nil {
		return fmt.Errorf("identity: record disclosure: %w", err)
	}
	if _, err := s.l.Append(ctx, ledger.Event{
		Entity: "audit/" + v.g.patient, Type: "access.read", Source: ledger.SourceSystem, Confidence: 1, Actor: "agent/receptionist",
		Attrs: map[string]string{"actor": "agent/receptionist", "action": "disclose", "resource": tool, "purpose": "treatment",
			"outcome": "success", "channel": "voice", "request_id": s.call, "patient": v.g.patient},
	}); err != nil {
		return fmt.Errorf("identity: record access: %w", err)
	}
	return nil
}

// Read returns the verified patient's trusted values of the named fields
// (fields with no trusted value are absent) and records the disclosure as
// a call.disclosed event naming the tool and the fields, never the values.
func (v Verified) Read(ctx context.Context, tool string, fields ...string) (map[string]string, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	if tool == "" || len(fields) == 0 {
		return nil, errors.New("identity: read: a tool name and at least one field are required")
	}
	s := v.g.s
	rec, err := trustedFields(s.l, v.g.patient)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range fields {
		if val, ok := rec[f]; ok {
			out[f] = val
		}
	}
	names := append([]string(nil), fields...)
	sort.Strings(names)
	if err := v.record(ctx, tool, map[string]string{AttrFields: strings.Join(names, ",")}); err != nil {
		return nil, err
	}
	return out, nil
}

// trustedFields folds the patient's live events whose confidence, capped
// by gate 1 for statements, reaches TrustedConfidence.
func trustedFields(l *ledger.Ledger, patient string) (map[string]string, error) {
	p, _, err := review.LoadPolicy(l)
	if err != nil {
		return nil, err
	}
	return trustedFieldsWith(l, p, patient)
}

func trustedFieldsWith(l *ledger.Ledger, p review.Policy, patient string) (map[string]string, error) {
	st, err := l.AsOf(patient, time.Time{}, ledger.ReadOptions{PHI: true})
	if err != nil {
		return nil, fmt.Errorf("identity: read %s: %w", patient, err)
	}
	out := map[string]string{}
	for _, ev := range st.Live {
		conf := ev.Confidence
		if !review.IsChainType(ev.Type) {
			conf = min(conf, p.StartingConfidence(ev.Source))
		}
		if conf < TrustedConfidence || ev.Erased {
			continue
		}
		for k, val := range ev.PHI {
			out[k] = val
		}
	}
	return out, nil
}

// Record is a patient as matching sees them.
type Record struct {
	Patient   string
	Given     []string
	Family    []string
	BirthDate spoken.Date
}

func (r Record) hasBirthDate(ds []spoken.Date) bool {
	for _, d := range ds {
		if d == r.BirthDate {
			return true
		}
	}
	return false
}

// NameMatches reports whether the words a caller said name this patient:
// every word of the family name, and the first given name, must each match
// one of them.
func (r Record) NameMatches(said []string) bool {
	if len(r.Family) == 0 || len(r.Given) == 0 {
		return false
	}
	for _, f := range r.Family {
		if !wordMatches(f, said) {
			return false
		}
	}
	return wordMatches(r.Given[0], said)
}

// wordMatches reports whether w equals one of the said words, or two of
// them run together, or sounds like one and is spelled nearly like it.
func wordMatches(w string, said []string) bool {
	for i, s := range said {
		cands := []string{s}
		if i+1 < len(said) {
			cands = append(cands, s+said[i+1])
		}
		for _, c := range cands {
			if c == w || (phonetic.SoundAlike(w, c) && phonetic.Similar(w, c)) {
				return true
			}
		}
	}
	return false
}

// Directory finds patients by date of birth in the world model. It loads
// every patient once and again on Refresh; call Refresh after an EHR
// import. It is safe for concurrent use.
type Directory struct {
	l      *ledger.Ledger
	mu     sync.Mutex
	loaded bool
	byDOB  map[spoken.Date][]Record
}

// NewDirectory returns a directory over l's patients, loaded on first use.
func NewDirectory(l *ledger.Ledger) *Directory { return &Directory{l: l} }

// Refresh reloads every patient.
func (d *Directory) Refresh() error {
	ents, err := d.l.Entities("patient/", 1<<20)
	if err != nil {
		return fmt.Errorf("identity: directory: %w", err)
	}
	p, _, err := review.LoadPolicy(d.l)
	if err != nil {
		return err
	}
	by := map[spoken.Date][]Record{}
	for _, e := range ents {
		r, err := loadWith(d.l, p, e)
		if err != nil {
			return err
		}
		if r != nil {
			by[r.BirthDate] = append(by[r.BirthDate], *r)
		}
	}
	d.mu.Lock()
	d.byDOB, d.loaded = by, true
	d.mu.Unlock()
	return nil
}

// ByBirthDate returns the patients born on day.
func (d *Directory) ByBirthDate(day spoken.Date) ([]Record, error) {
	d.mu.Lock()
	loaded := d.loaded
	d.mu.Unlock()
	if !loaded {
		if err := d.Refresh(); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Record(nil), d.byDOB[day]...), nil
}

// Lookup reads one patient directly from the ledger; nil when the patient
// has no trusted name and date of birth.
func (d *Directory) Lookup(patient string) (*Record, error) {
	p, _, err := review.LoadPolicy(d.l)
	if err != nil {
		return nil, err
	}
	return loadWith(d.l, p, patient)
}

// loadWith builds a patient's Record from their trusted fields.
func loadWith(l *ledger.Ledger, p review.Policy, patient string) (*Record, error) {
	f, err := trustedFieldsWith(l, p, patient)
	if err != nil {
		return nil, err
	}
	dob, ok := spoken.ParseDate(f[FieldBirthDate])
	if !ok || !dob.Full() {
		return nil, nil
	}
	r := &Record{Patient: patient, BirthDate: dob, Given: spoken.NameWords(f[FieldGiven]), Family: spoken.NameWords(f[FieldFamily])}
	if (len(r.Given) == 0 || len(r.Family) == 0) && f[FieldName] != "" {
		w := spoken.NameWords(f[FieldName])
		if len(w) >= 2 {
			r.Given, r.Family = w[:1], w[len(w)-1:]
		}
	}
	if len(r.Given) == 0 || len(r.Family) == 0 {
		return nil, nil
	}
	return r, nil
}

// Names returns, for every patient, the name as a caller would say it
// (first given name and family name): the phrases a recogniser listens for
// when a caller says who they are. They are PHI: callers must keep them on
// the box.
func (d *Directory) Names() ([]string, error) {
	d.mu.Lock()
	loaded := d.loaded
	d.mu.Unlock()
	if !loaded {
		if err := d.Refresh(); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, rs := range d.byDOB {
		for _, r := range rs {
			if len(r.Given) == 0 || len(r.Family) == 0 {
				continue
			}
			out = append(out, r.Given[0]+" "+strings.Join(r.Family, " "))
		}
	}
	sort.Strings(out)
	return out, nil
}
