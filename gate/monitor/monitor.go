// Package monitor runs rules on every transcript turn and every ledger
// event as they happen, and flags what a person must see: PHI said before
// the caller was verified, a Social Security number, a medical emergency
// or words of self-harm (which also tell the receptionist to transfer the
// call now), the HIPAA requests that start a clock.
//
// A Rule matches a phrase list (case-, punctuation- and space-insensitive,
// on word boundaries), a regular expression (compiled once, RE2, so linear
// in the text), a built-in check, or, for events, event types and
// attributes. Rules come in named packs; hipaa-core is built in (see
// packs/). A workspace's Config chooses packs, disables rules and adds its
// own; it is kept as monitor.config-set events on config/monitor.
//
// A hit is recorded by Record as a monitor.hit event, whose attributes
// name the rule, its pack, severity and action and the turn or event that
// hit (never what was said), and opens a review item (review/<hit>).
package monitor

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"

	"frontdesk/gate/phi"
	"frontdesk/gate/review"
	"frontdesk/gate/review/spoken"
	"frontdesk/ledger"
)

// Severity says how urgent a hit is.
type Severity string

// The severities.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Action says what the receptionist must do on a hit.
type Action string

// The actions.
const (
	// Flag records the hit for review and carries on.
	Flag Action = "flag"
	// TransferNow hands the call to a person at once.
	TransferNow Action = "transfer-now"
)

// Speakers of a turn.
const (
	Caller = "caller"
	Agent  = "agent"
)

// Built-in checks a rule may name.
const (
	// BuiltinPHIBeforeVerification: an agent turn on an unverified call
	// holds a value of the patient's record (Turn.PatientValues) or an
	// identifier the PHI detector finds (phone, address, SSN, member ID, …,
	// or a date with a birth cue).
	BuiltinPHIBeforeVerification = "phi-before-verification"
	// BuiltinCallerSSN: a caller turn holds a Social Security number or its
	// last four digits.
	BuiltinCallerSSN = "caller-ssn"
)

// Limits that keep evaluation bounded whatever the rules and the input.
const (
	// MaxTextBytes is how much of a turn the patterns and built-ins read.
	MaxTextBytes = 8 << 10
	// MaxPatternBytes bounds a rule's regular expression.
	MaxPatternBytes = 1 << 10
	// MaxPatternInsts bounds the size of a compiled regular expression.
	MaxPatternInsts = 4096
	// MaxPhrases bounds a rule's phrase list.
	MaxPhrases = 1000
)

// Rule is one check.
type Rule struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	// On is "turn" (the default) or "event".
	On string `json:"on,omitempty"`
	// Speaker limits a turn rule to caller or agent turns; empty means both.
	Speaker string `json:"speaker,omitempty"`
	// Exactly one of Phrases, Pattern and Builtin, for turn rules.
	Phrases []string `json:"phrases,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	Builtin string   `json:"builtin,omitempty"`
	// Types and Attrs select events, for event rules: the type equals one
	// of Types (or starts with one ending in "*"), and each attribute in
	// Attrs has the given value.
	Types    []string          `json:"types,omitempty"`
	Attrs    map[string]string `json:"attrs,omitempty"`
	Severity Severity          `json:"severity"`
	Action   Action            `json:"action"`
}

// Pack is a named set of rules.
type Pack struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rules       []Rule `json:"rules"`
}

//go:embed packs/*.json
var packFiles embed.FS

var (
	builtinOnce  sync.Once
	builtinPacks map[string]Pack
	builtinErr   error
)

// Packs returns the built-in packs by name.
func Packs() (map[string]Pack, error) {
	builtinOnce.Do(func() {
		builtinPacks = map[string]Pack{}
		ents, err := packFiles.ReadDir("packs")
		if err != nil {
			builtinErr = err
			return
		}
		for _, e := range ents {
			b, err := packFiles.ReadFile("packs/" + e.Name())
			if err != nil {
				builtinErr = err
				return
			}
			var p Pack
			if err := json.Unmarshal(b, &p); err != nil {
				builtinErr = fmt.Errorf("monitor: pack %s: %w", e.Name(), err)
				return
			}
			builtinPacks[p.Name] = p
		}
	})
	return builtinPacks, builtinErr
}

// Turn is one transcript turn as the monitors see it.
type Turn struct {
	// Event is the ID of the transcript-turn event; Call its entity.
	Event string
	Call  string
	// Speaker is caller or agent.
	Speaker string
	Text    string
	// Verified is whether the identity gate had verified the caller when
	// the turn was said.
	Verified bool
	// PatientValues are values on file of the patient the call concerns
	// (names, date of birth, phone, address), when known; an agent turn
	// that says one before verification is a hit.
	PatientValues []string
}

// Hit is one rule's match.
type Hit struct {
	Rule     string   `json:"rule"`
	Pack     string   `json:"pack"`
	Severity Severity `json:"severity"`
	Action   Action   `json:"action"`
	// On is turn or event; Target is the turn's or the event's ID, of
	// TargetEntity.
	On           string `json:"on"`
	Target       string `json:"target"`
	TargetEntity string `json:"target_entity"`
	// Entity is where the hit is recorded: the call, or monitor/<event>
	// for an event outside any call. Subject protects its review item.
	Entity  string `json:"entity"`
	Subject string `json:"subject"`
}

// TransferNowIn reports whether any hit asks for an immediate transfer.
func TransferNowIn(hits []Hit) bool {
	for _, h := range hits {
		if h.Action == TransferNow {
			return true
		}
	}
	return false
}

// Config is a workspace's choice of rules.
type Config struct {
	// Packs are the built-in packs applied, in order.
	Packs []string `json:"packs"`
	// Disabled are rule IDs switched off.
	Disabled []string `json:"disabled,omitempty"`
	// Rules are the workspace's own rules; one with the ID of a pack's
	// rule replaces it.
	Rules []Rule `json:"rules,omitempty"`
}

// DefaultConfig applies hipaa-core.
func DefaultConfig() Config { return Config{Packs: []string{"hipaa-core"}} }

// compiled is a rule ready to run.
type compiled struct {
	Rule
	pack    string
	re      *regexp.Regexp
	phrases [][]string
	types   []string
}

// Engine evaluates a compiled configuration. It is immutable and safe for
// concurrent use.
type Engine struct {
	turnRules  []*compiled
	eventRules []*compiled
	// byFirst indexes phrase rules by the first word of each phrase.
	byFirst map[string][]phraseRef
	// scan says which rules need which work, so a turn does only that.
	builtins map[string][]*compiled
	patterns []*compiled
	detector *phi.Detector
}

type phraseRef struct {
	rule  *compiled
	words []string
}

// Compile checks a configuration and builds its engine.
func Compile(cfg Config) (*Engine, error) {
	packs, err := Packs()
	if err != nil {
		return nil, err
	}
	var order []string
	rules := map[string]*compiled{}
	add := func(r Rule, pack string) error {
		c, err := compileRule(r, pack)
		if err != nil {
			return err
		}
		if _, ok := rules[r.ID]; !ok {
			order = append(order, r.ID)
		}
		rules[r.ID] = c
		return nil
	}
	for _, name := range cfg.Packs {
		p, ok := packs[name]
		if !ok {
			return nil, fmt.Errorf("monitor: unknown pack %q (built in: %s)", name, strings.Join(packNames(packs), ", "))
		}
		for _, r := range p.Rules {
			if err := add(r, name); err != nil {
				return nil, err
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range cfg.Rules {
		if seen[r.ID] {
			return nil, fmt.Errorf("monitor: rule %q is defined twice", r.ID)
		}
		seen[r.ID] = true
		if err := add(r, "workspace"); err != nil {
			return nil, err
		}
	}
	disabled := map[string]bool{}
	for _, id := range cfg.Disabled {
		if _, ok := rules[id]; !ok {
			return nil, fmt.Errorf("monitor: cannot disable unknown rule %q", id)
		}
		disabled[id] = true
	}
	e := &Engine{byFirst: map[string][]phraseRef{}, builtins: map[string][]*compiled{}}
	for _, id := range order {
		c := rules[id]
		if disabled[id] {
			continue
		}
		if c.On == "event" {
			e.eventRules = append(e.eventRules, c)
			continue
		}
		e.turnRules = append(e.turnRules, c)
		switch {
		case c.re != nil:
			e.patterns = append(e.patterns, c)
		case c.Builtin != "":
			e.builtins[c.Builtin] = append(e.builtins[c.Builtin], c)
			if e.detector == nil {
				e.detector = phi.New(phi.Options{})
			}
		default:
			for _, p := range c.phrases {
				e.byFirst[p[0]] = append(e.byFirst[p[0]], phraseRef{rule: c, words: p})
			}
		}
	}
	return e, nil
}

func packNames(m map[string]Pack) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func compileRule(r Rule, pack string) (*compiled, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("monitor: rule %q: "+format, append([]any{r.ID}, args...)...)
	}
	if !ruleID.MatchString(r.ID) {
		return nil, bad("IDs are 1–64 of a-z, 0-9, '.', '_' and '-'")
	}
	switch r.Severity {
	case Info, Warning, Critical:
	default:
		return nil, bad("severity %q (want info, warning or critical)", r.Severity)
	}
	switch r.Action {
	case Flag, TransferNow:
	default:
		return nil, bad("action %q (want flag or transfer-now)", r.Action)
	}
	c := &compiled{Rule: r, pack: pack}
	switch r.On {
	case "event":
		if len(r.Types) == 0 || len(r.Phrases)+len(r.Pattern)+len(r.Builtin) > 0 || r.Speaker != "" {
			return nil, bad("an event rule needs types and no phrases, pattern, builtin or speaker")
		}
		c.types = r.Types
		return c, nil
	case "", "turn":
		c.On = "turn"
	default:
		return nil, bad("on %q (want turn or event)", r.On)
	}
	switch r.Speaker {
	case "", Caller, Agent:
	default:
		return nil, bad("speaker %q (want caller, agent or empty)", r.Speaker)
	}
	n := 0
	if len(r.Phrases) > 0 {
		n++
	}
	if r.Pattern != "" {
		n++
	}
	if r.Builtin != "" {
		n++
	}
	if n != 1 || len(r.Types) > 0 || len(r.Attrs) > 0 {
		return nil, bad("a turn rule needs exactly one of phrases, pattern or builtin")
	}
	switch {
	case len(r.Phrases) > 0:
		if len(r.Phrases) > MaxPhrases {
			return nil, bad("%d phrases; at most %d", len(r.Phrases), MaxPhrases)
		}
		for _, p := range r.Phrases {
			w := spoken.Words(p)
			if len(w) == 0 {
				return nil, bad("a phrase has no words")
			}
			c.phrases = append(c.phrases, w)
		}
	case r.Pattern != "":
		if len(r.Pattern) > MaxPatternBytes {
			return nil, bad("pattern longer than %d bytes", MaxPatternBytes)
		}
		re, err := syntax.Parse(r.Pattern, syntax.Perl)
		if err != nil {
			return nil, bad("pattern: %v", err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			return nil, bad("pattern: %v", err)
		}
		if len(prog.Inst) > MaxPatternInsts {
			return nil, bad("pattern compiles to %d instructions; at most %d", len(prog.Inst), MaxPatternInsts)
		}
		if c.re, err = regexp.Compile(r.Pattern); err != nil {
			return nil, bad("pattern: %v", err)
		}
	case r.Builtin != "":
		switch r.Builtin {
		case BuiltinPHIBeforeVerification, BuiltinCallerSSN:
		default:
			return nil, bad("unknown builtin %q", r.Builtin)
		}
	}
	return c, nil
}

// speaks reports whether rule c applies to a turn by speaker.
func (c *compiled) speaks(speaker string) bool { return c.Speaker == "" || c.Speaker == speaker }

// Turn evaluates the turn rules on t and returns the hits, one per rule at
// most, in rule order.
func (e *Engine) Turn(t Turn) []Hit {
	var hitRules []*compiled
	hit := func(c *compiled) {
		for _, h := range hitRules {
			if h == c {
				return
			}
		}
		hitRules = append(hitRules, c)
	}
	text := t.Text
	if len(text) > MaxTextBytes {
		text = text[:MaxTextBytes]
	}
	var w []string // the turn's words, split once
	if len(e.byFirst) > 0 || len(e.builtins) > 0 {
		w = spoken.Words(text)
	}
	if len(e.byFirst) > 0 {
		for i, word := range w {
			for _, ref := range e.byFirst[word] {
				if i+len(ref.words) <= len(w) && ref.rule.speaks(t.Speaker) && equalWords(w[i:i+len(ref.words)], ref.words) {
					hit(ref.rule)
				}
			}
		}
	}
	for _, c := range e.patterns {
		if c.speaks(t.Speaker) && c.re.MatchString(text) {
			hit(c)
		}
	}
	if cs := e.builtins[BuiltinPHIBeforeVerification]; len(cs) > 0 && t.Speaker == Agent && !t.Verified {
		if e.phiBeforeVerification(text, w, t.PatientValues) {
			for _, c := range cs {
				if c.speaks(t.Speaker) {
					hit(c)
				}
			}
		}
	}
	if cs := e.builtins[BuiltinCallerSSN]; len(cs) > 0 && t.Speaker == Caller {
		if e.callerSSN(text, w) {
			for _, c := range cs {
				if c.speaks(t.Speaker) {
					hit(c)
				}
			}
		}
	}
	if len(hitRules) == 0 {
		return nil
	}
	order := map[*compiled]int{}
	for i, c := range e.turnRules {
		order[c] = i
	}
	sort.Slice(hitRules, func(i, j int) bool { return order[hitRules[i]] < order[hitRules[j]] })
	out := make([]Hit, len(hitRules))
	for i, c := range hitRules {
		out[i] = Hit{Rule: c.ID, Pack: c.pack, Severity: c.Severity, Action: c.Action, On: "turn",
			Target: t.Event, TargetEntity: t.Call, Entity: t.Call, Subject: t.Call}
	}
	return out
}

func equalWords(a, b []string) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// riskyTypes are the identifiers an agent must not say before
// verification even when the patient's values are unknown. Names and
// plain dates are left out: the receptionist names clinicians and offers
// appointment times.
var riskyTypes = map[phi.Type]bool{
	phi.SSN: true, phi.MRN: true, phi.HealthPlan: true, phi.Account: true, phi.Phone: true, phi.Email: true,
	phi.Address: true, phi.CreditCard: true, phi.License: true, phi.DeviceID: true, phi.ZIP: true,
}

var birthCues = map[string]bool{"birth": true, "born": true, "birthday": true, "dob": true, "birthdate": true}

func (e *Engine) phiBeforeVerification(text string, w []string, values []string) bool {
	if len(values) > 0 && saysAnyValue(text, w, values) {
		return true
	}
	spans := e.detector.Detect(text)
	if len(spans) == 0 {
		return false
	}
	birth := false
	for _, x := range w {
		if birthCues[x] {
			birth = true
			break
		}
	}
	for _, s := range spans {
		if riskyTypes[s.Type] || (s.Type == phi.Date && birth) {
			return true
		}
	}
	return false
}

// saysAnyValue reports whether a turn contains one of the patient's values:
// as digits (phones, dates of birth, identifiers: the turn's spoken or
// written numbers), as a date, or as words (names, streets).
func saysAnyValue(text string, w []string, values []string) bool {
	var digits []string
	var dates []spoken.Date
	var numbersRead, datesRead bool
	words := map[string]bool{}
	for _, x := range spoken.JoinLetters(w) {
		words[x] = true
	}
	for _, v := range values {
		if d, ok := spoken.ParseDate(v); ok && d.Full() {
			if !datesRead {
				dates, datesRead = spoken.Dates(text), true
			}
			for _, x := range dates {
				if x == d {
					return true
				}
			}
			continue
		}
		if vd := spoken.DigitsOf(v); len(vd) >= 4 {
			if !numbersRead {
				for _, n := range spoken.Numbers(w) {
					digits = append(digits, n.Digits)
				}
				numbersRead = true
			}
			joined := strings.Join(digits, "")
			if strings.Contains(joined, vd) || (len(vd) >= 7 && strings.Contains(joined, vd[len(vd)-7:])) {
				return true
			}
			continue
		}
		for _, vw := range spoken.NameWords(v) {
			if len(vw) >= 3 && words[vw] {
				return true
			}
		}
	}
	return false
}

var ssnCues = map[string]bool{"social": true, "ssn": true, "security": true}

func (e *Engine) callerSSN(text string, w []string) bool {
	// An SSN is digits, spoken or written: a turn without any needs no
	// detector.
	numeric := false
	for _, x := range w {
		if spoken.IsNumberWord(x) {
			numeric = true
			break
		}
	}
	if !numeric {
		return false
	}
	for _, s := range e.detector.Detect(text) {
		if s.Type == phi.SSN {
			return true
		}
	}
	// Nine digits after a cue, spoken in any grouping.
	cue := -1
	for i, x := range w {
		if ssnCues[x] {
			cue = i
			break
		}
	}
	if cue < 0 {
		return false
	}
	var b strings.Builder
	for _, n := range spoken.Numbers(w) {
		if n.Start > cue {
			b.WriteString(n.Digits)
		}
	}
	d := b.Len()
	return d == 9 || d == 4
}

// Event evaluates the event rules on ev. Events of the monitors and the
// review queue themselves are skipped.
func (e *Engine) Event(ev *ledger.Event) []Hit {
	if ev == nil || strings.HasPrefix(ev.Type, "monitor.") || strings.HasPrefix(ev.Type, "review.") {
		return nil
	}
	var out []Hit
	for _, c := range e.eventRules {
		if !typeMatches(c.types, ev.Type) {
			continue
		}
		ok := true
		for k, v := range c.Attrs {
			if ev.Attrs[k] != v {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		entity := review.MonitorEntity(ev.ID)
		switch {
		case strings.HasPrefix(ev.Attrs[review.AttrCall], "call/"):
			entity = ev.Attrs[review.AttrCall]
		case strings.HasPrefix(ev.Entity, "call/"):
			entity = ev.Entity
		}
		out = append(out, Hit{Rule: c.ID, Pack: c.pack, Severity: c.Severity, Action: c.Action, On: "event",
			Target: ev.ID, TargetEntity: ev.Entity, Entity: entity, Subject: ev.Subject})
	}
	return out
}

func typeMatches(types []string, t string) bool {
	for _, x := range types {
		if x == t || (strings.HasSuffix(x, "*") && strings.HasPrefix(t, strings.TrimSuffix(x, "*"))) {
			return true
		}
	}
	return false
}

// Rules lists the engine's active rules, turn rules first.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, 0, len(e.turnRules)+len(e.eventRules))
	for _, c := range e.turnRules {
		out = append(out, c.Rule)
	}
	for _, c := range e.eventRules {
		out = append(out, c.Rule)
	}
	return out
}

// Recorded is a hit as recorded: its monitor.hit event and review item.
type Recorded struct {
	Hit   Hit           `json:"hit"`
	Event *ledger.Event `json:"event"`
	Item  *review.Item  `json:"item"`
}

// Record appends a monitor.hit event for each hit and opens its review
// item. It stops at the first error, returning what it recorded.
func Record(ctx context.Context, l *ledger.Ledger, hits []Hit) ([]Recorded, error) {
	var out []Recorded
	for _, h := range hits {
		if h.Entity == "" || h.Target == "" {
			return out, errors.New("monitor: record: a hit needs an entity and a target")
		}
		attrs := map[string]string{
			review.AttrRule: h.Rule, review.AttrPack: h.Pack, review.AttrSeverity: string(h.Severity), review.AttrAction: string(h.Action),
		}
		if h.On == "turn" {
			attrs[review.AttrTurn] = h.Target
		} else {
			attrs[review.AttrEvent] = h.Target
		}
		subject := h.Subject
		if subject == "" {
			subject = h.Entity
		}
		ev, err := l.Append(ctx, ledger.Event{
			Entity: h.Entity, Subject: subject, Type: review.TypeMonitorHit, Source: ledger.SourceSystem, Confidence: 1,
			Actor: "monitor", Attrs: attrs,
		})
		if err != nil {
			return out, fmt.Errorf("monitor: record: %w", err)
		}
		it, err := review.OpenItem(ctx, l, review.Opening{
			Trigger: ev.ID, Reason: review.ReasonMonitor, Target: h.Target, TargetEntity: h.TargetEntity, Subject: subject,
			Actor: "monitor", Attrs: map[string]string{review.AttrRule: h.Rule, review.AttrSeverity: string(h.Severity), review.AttrAction: string(h.Action)},
		})
		if err != nil {
			return out, fmt.Errorf("monitor: record: %w", err)
		}
		out = append(out, Recorded{Hit: h, Event: ev, Item: it})
	}
	return out, nil
}

// CheckTurn evaluates t and records its hits: the one call to make for each
// transcript turn. The caller transfers the call when TransferNowIn(hits).
func (e *Engine) CheckTurn(ctx context.Context, l *ledger.Ledger, t Turn) ([]Hit, error) {
	hits := e.Turn(t)
	if len(hits) == 0 {
		return nil, nil
	}
	_, err := Record(ctx, l, hits)
	return hits, err
}

// CheckEvent evaluates ev and records its hits: the one call to make for
// each event appended to the workspace ledger.
func (e *Engine) CheckEvent(ctx context.Context, l *ledger.Ledger, ev *ledger.Event) ([]Hit, error) {
	hits := e.Event(ev)
	if len(hits) == 0 {
		return nil, nil
	}
	_, err := Record(ctx, l, hits)
	return hits, err
}
