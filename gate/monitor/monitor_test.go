package monitor

import (
	"context"
	"slices"
	"strings"
	"testing"

	"frontdesk/gate/review"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

// openLedger opens a fresh workspace ledger in a temporary directory.
func openLedger(t testing.TB) *ledger.Ledger { return testkit.Ledger(t, "clinic") }

func core(t testing.TB) *Engine {
	t.Helper()
	e, err := Compile(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func rules(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Rule)
	}
	return out
}

// TestHIPAACore runs the built-in pack over turns that must and must not
// hit. The text is synthetic.
func TestHIPAACore(t *testing.T) {
	e := core(t)
	patient := []string{"Dana", "Fairbanks", "1980-03-14", "555-010-0199", "12 Oak Street"}
	for _, c := range []struct {
		turn Turn
		want []string
	}{
		// Emergencies and self-harm, any casing and punctuation.
		{Turn{Speaker: Caller, Text: "I have CHEST PAIN and I can't breathe"}, []string{"safety.emergency"}},
		{Turn{Speaker: Caller, Text: "my husband passed out, he's unresponsive!"}, []string{"safety.emergency"}},
		{Turn{Speaker: Caller, Text: "honestly I want to die"}, []string{"safety.self-harm"}},
		{Turn{Speaker: Caller, Text: "I've been thinking about suicide"}, []string{"safety.self-harm"}},
		{Turn{Speaker: Caller, Text: "I keep thinking I should  kill   myself"}, []string{"safety.self-harm"}},
		{Turn{Speaker: Caller, Text: "the kill switch on my mower hurt my hand"}, nil},
		{Turn{Speaker: Caller, Text: "I'd like to book a checkup"}, nil},
		{Turn{Speaker: Agent, Text: "if this is a medical emergency, hang up and call 911"}, nil},
		// Social Security numbers.
		{Turn{Speaker: Caller, Text: "my social is one two three four five six seven eight nine"}, []string{"hipaa.caller-ssn"}},
		{Turn{Speaker: Caller, Text: "SSN 078-05-1120"}, []string{"hipaa.caller-ssn"}},
		{Turn{Speaker: Caller, Text: "the last four of my social are four five six seven"}, []string{"hipaa.caller-ssn"}},
		{Turn{Speaker: Caller, Text: "my phone is five five five oh one oh oh one nine nine"}, nil},
		// PHI before verification.
		{Turn{Speaker: Agent, Text: "I see your pharmacy is on 12 Oak Street", PatientValues: patient}, []string{"hipaa.phi-before-verification"}},
		{Turn{Speaker: Agent, Text: "is this Dana?", PatientValues: patient}, []string{"hipaa.phi-before-verification"}},
		{Turn{Speaker: Agent, Text: "we have your number as five five five oh one oh oh one nine nine"}, []string{"hipaa.phi-before-verification"}},
		{Turn{Speaker: Agent, Text: "your date of birth is march fourteenth nineteen eighty"}, []string{"hipaa.phi-before-verification"}},
		{Turn{Speaker: Agent, Text: "I see your pharmacy is on 12 Oak Street", Verified: true, PatientValues: patient}, nil},
		{Turn{Speaker: Agent, Text: "Dr Example has an opening on Tuesday March 3rd at 2 pm", PatientValues: patient}, nil},
		{Turn{Speaker: Agent, Text: "can I have your name and date of birth please", PatientValues: patient}, nil},
		// HIPAA requests and objections.
		{Turn{Speaker: Caller, Text: "I need a copy of my medical records"}, []string{"hipaa.access-request"}},
		{Turn{Speaker: Caller, Text: "please don't record this call"}, []string{"hipaa.recording-objection"}},
		{Turn{Speaker: Caller, Text: "this is a HIPAA violation, I'll call my lawyer"}, []string{"hipaa.complaint"}},
		{Turn{Speaker: Caller, Text: "I'm calling on behalf of my mother"}, []string{"hipaa.third-party-caller"}},
		{Turn{Speaker: Caller, Text: "my record is wrong"}, []string{"hipaa.amendment-request"}},
		// Patterns.
		{Turn{Speaker: Caller, Text: "card 4111 1111 1111 1111 expires soon"}, []string{"hipaa.card-number"}},
		{Turn{Speaker: Caller, Text: "my medicare number is 1EG4-TE5-MK73"}, []string{"hipaa.medicare-number"}},
		// Several rules at once, each once.
		{Turn{Speaker: Caller, Text: "chest pain, chest pain, and my social is 078-05-1120"}, []string{"hipaa.caller-ssn", "safety.emergency"}},
	} {
		c.turn.Event, c.turn.Call = "01TURN", "call/x"
		got := rules(e.Turn(c.turn))
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %q: hits %v, want %v", c.turn.Speaker, c.turn.Text, got, c.want)
		}
	}
}

func TestTransferNow(t *testing.T) {
	e := core(t)
	hits := e.Turn(Turn{Event: "01T", Call: "call/y", Speaker: Caller, Text: "I think I'm having a heart attack"})
	if len(hits) != 1 || hits[0].Action != TransferNow || hits[0].Severity != Critical || !TransferNowIn(hits) {
		t.Fatalf("emergency: %+v", hits)
	}
	if h := hits[0]; h.Target != "01T" || h.Entity != "call/y" || h.On != "turn" || h.Pack != "hipaa-core" {
		t.Fatalf("hit: %+v", h)
	}
	if TransferNowIn(e.Turn(Turn{Speaker: Caller, Text: "my record is wrong"})) {
		t.Fatal("a flag asked for a transfer")
	}
}

// TestCustomisation disables a pack rule, replaces one, and adds phrase,
// pattern and event rules of the workspace's own.
func TestCustomisation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Disabled = []string{"hipaa.third-party-caller"}
	cfg.Rules = []Rule{
		{ID: "clinic.controlled-substance", Speaker: Caller, Phrases: []string{"oxycodone", "early refill"}, Severity: Warning, Action: Flag},
		{ID: "clinic.order-number", Pattern: `\bORD-\d{6}\b`, Severity: Info, Action: Flag},
		{ID: "clinic.export", On: "event", Types: []string{"export.*"}, Attrs: map[string]string{"scope": "all"}, Severity: Critical, Action: Flag},
		// Replaces the pack's rule: emergencies are flagged, not transferred, in this workspace.
		{ID: "safety.emergency", Speaker: Caller, Phrases: []string{"chest pain"}, Severity: Critical, Action: Flag},
	}
	e, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"I'm calling on behalf of my mother", nil},
		{"can I get an early refill of my oxycodone", []string{"clinic.controlled-substance"}},
		{"order ORD-123456 please", []string{"clinic.order-number"}},
		{"I can't breathe", nil},
	} {
		if got := rules(e.Turn(Turn{Speaker: Caller, Text: c.text})); !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, want %v", c.text, got, c.want)
		}
	}
	if h := e.Turn(Turn{Speaker: Caller, Text: "chest pain"}); len(h) != 1 || h[0].Action != Flag || h[0].Pack != "workspace" {
		t.Fatalf("replaced rule: %+v", h)
	}
	ev := &ledger.Event{ID: "01EV", Entity: "export/1", Subject: "export/1", Type: "export.started", Attrs: map[string]string{"scope": "all"}}
	if h := e.Event(ev); len(h) != 1 || h[0].Rule != "clinic.export" || h[0].Entity != review.MonitorEntity("01EV") || h[0].On != "event" {
		t.Fatalf("event rule: %+v", h)
	}
	ev.Attrs["scope"] = "one"
	if h := e.Event(ev); len(h) != 0 {
		t.Fatalf("event rule with other attrs: %+v", h)
	}

	for name, bad := range map[string]Config{
		"unknown pack":     {Packs: []string{"gdpr-max"}},
		"unknown disabled": {Packs: []string{"hipaa-core"}, Disabled: []string{"nope"}},
		"two kinds":        {Rules: []Rule{{ID: "x", Phrases: []string{"a"}, Pattern: "a", Severity: Info, Action: Flag}}},
		"bad severity":     {Rules: []Rule{{ID: "x", Phrases: []string{"a"}, Severity: "loud", Action: Flag}}},
		"bad action":       {Rules: []Rule{{ID: "x", Phrases: []string{"a"}, Severity: Info, Action: "hang-up"}}},
		"bad regexp":       {Rules: []Rule{{ID: "x", Pattern: "(", Severity: Info, Action: Flag}}},
		"huge regexp":      {Rules: []Rule{{ID: "x", Pattern: "(a{1,1000}){1,1000}", Severity: Info, Action: Flag}}},
		"bad id":           {Rules: []Rule{{ID: "X Y", Phrases: []string{"a"}, Severity: Info, Action: Flag}}},
		"duplicate":        {Rules: []Rule{{ID: "x", Phrases: []string{"a"}, Severity: Info, Action: Flag}, {ID: "x", Phrases: []string{"b"}, Severity: Info, Action: Flag}}},
		"unknown builtin":  {Rules: []Rule{{ID: "x", Builtin: "mind-reading", Severity: Info, Action: Flag}}},
		"empty phrase":     {Rules: []Rule{{ID: "x", Phrases: []string{"!!"}, Severity: Info, Action: Flag}}},
		"event no types":   {Rules: []Rule{{ID: "x", On: "event", Severity: Info, Action: Flag}}},
	} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestConfigRoundTrip saves a configuration, changes it, and loads it back
// from the ledger's fold.
func TestConfigRoundTrip(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	if cfg, set, err := LoadConfig(l); err != nil || set || !slices.Equal(cfg.Packs, []string{"hipaa-core"}) {
		t.Fatalf("default: %+v %v %v", cfg, set, err)
	}
	cfg := DefaultConfig()
	cfg.Disabled = []string{"hipaa.complaint"}
	cfg.Rules = []Rule{
		{ID: "clinic.a", Phrases: []string{"alpha"}, Severity: Info, Action: Flag},
		{ID: "clinic.b", Phrases: []string{"bravo"}, Severity: Info, Action: Flag},
	}
	if err := SaveConfig(ctx, l, cfg, "cli/test"); err != nil {
		t.Fatal(err)
	}
	cfg.Rules = cfg.Rules[1:]
	cfg.Disabled = nil
	if err := SaveConfig(ctx, l, cfg, "cli/test"); err != nil {
		t.Fatal(err)
	}
	got, set, err := LoadConfig(l)
	if err != nil || !set {
		t.Fatal(err)
	}
	if len(got.Rules) != 1 || got.Rules[0].ID != "clinic.b" || len(got.Disabled) != 0 || !slices.Equal(got.Packs, []string{"hipaa-core"}) {
		t.Fatalf("loaded %+v", got)
	}
	e, err := Load(l)
	if err != nil {
		t.Fatal(err)
	}
	if h := rules(e.Turn(Turn{Speaker: Caller, Text: "alpha bravo, file a complaint"})); !slices.Equal(h, []string{"hipaa.complaint", "clinic.b"}) {
		t.Fatalf("hits %v", h)
	}
	if err := SaveConfig(ctx, l, Config{Packs: []string{"nope"}}, "cli/test"); err == nil {
		t.Fatal("an invalid configuration was saved")
	}
	// Many rules take several events.
	big := DefaultConfig()
	for i := 0; i < 150; i++ {
		big.Rules = append(big.Rules, Rule{ID: "clinic.r" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Phrases: []string{"w"}, Severity: Info, Action: Flag})
	}
	if err := SaveConfig(ctx, l, big, "cli/test"); err != nil {
		t.Fatal(err)
	}
	got, _, err = LoadConfig(l)
	if err != nil || len(got.Rules) != 150 {
		t.Fatalf("big config: %d rules, %v", len(got.Rules), err)
	}
}

// TestRecord records hits and checks that each is an event without PHI
// and a review item, and that an emergency flag on a turn holds a fact
// that cites it.
func TestRecord(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	e := core(t)
	text := "my social is 078-05-1120 and I have chest pain"
	tv, err := l.Append(ctx, ledger.Event{Entity: "call/r", Type: "call.turn", Source: ledger.SourceVoice, Confidence: 0.5, Actor: "agent",
		Attrs: map[string]string{"speaker": Caller}, PHI: map[string]string{review.TurnText: text}})
	if err != nil {
		t.Fatal(err)
	}
	hits := e.Turn(Turn{Event: tv.ID, Call: "call/r", Speaker: Caller, Text: text})
	if len(hits) != 2 {
		t.Fatalf("hits %+v", hits)
	}
	rec, err := Record(ctx, l, hits)
	if err != nil || len(rec) != 2 {
		t.Fatalf("record: %v %v", rec, err)
	}
	for _, r := range rec {
		ev := r.Event
		if ev.Type != review.TypeMonitorHit || ev.Entity != "call/r" || ev.Attrs[review.AttrTurn] != tv.ID || len(ev.Commitments) != 0 {
			t.Fatalf("hit event %+v", ev)
		}
		for _, v := range ev.Attrs {
			if strings.Contains(v, "078") || strings.Contains(v, "chest") {
				t.Fatalf("what was said reached the envelope: %v", ev.Attrs)
			}
		}
		if r.Item.ID != review.ItemID(ev.ID) || r.Item.Reason != review.ReasonMonitor || r.Item.Target != tv.ID || r.Item.Rule != r.Hit.Rule {
			t.Fatalf("item %+v", r.Item)
		}
	}
	items, err := review.ListItems(l, review.Filter{Reason: review.ReasonMonitor})
	if err != nil || len(items) != 2 {
		t.Fatalf("queue: %d %v", len(items), err)
	}
	// A fact citing the flagged turn waits for the flags to be reviewed.
	f, err := review.RecordFact(ctx, l, review.Fact{Entity: "patient/r", Type: "patient.ssn-stated", Field: "ssn", Value: "078-05-1120",
		Source: ledger.SourceVoice, Call: "call/r", TurnEvent: tv.ID, Actor: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := review.JudgeFact(ctx, l, review.LocalJudge{}, f.ID); err != nil {
		t.Fatal(err)
	}
	p := review.DefaultPolicy()
	p.AlwaysReview = nil
	if _, err := review.SavePolicy(ctx, l, p, "cli/test"); err != nil {
		t.Fatal(err)
	}
	d, err := review.MayWrite(l, f.ID, "ehr")
	if err != nil || d.Allow || d.Reason != review.WhyMonitorOpen {
		t.Fatalf("decision with open flags: %+v %v", d, err)
	}
	for _, r := range rec {
		if _, err := review.Approve(ctx, l, r.Item.ID, review.Reviewer{Actor: "account/nurse", Role: "member"}, review.Resolution{Reason: "handled"}); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := review.MayWrite(l, f.ID, "ehr"); err != nil || !d.Allow {
		t.Fatalf("decision after review: %+v %v", d, err)
	}

	// Event rules: a locked call is flagged on the call itself.
	lock, err := l.Append(ctx, ledger.Event{Entity: "call/r", Type: "call.verification-locked", Source: ledger.SourceSystem, Confidence: 1, Actor: "identity"})
	if err != nil {
		t.Fatal(err)
	}
	eh := e.Event(lock)
	if len(eh) != 1 || eh[0].Rule != "hipaa.identity-locked" || eh[0].Entity != "call/r" {
		t.Fatalf("event hits %+v", eh)
	}
	if _, err := Record(ctx, l, eh); err != nil {
		t.Fatal(err)
	}
	// CheckTurn evaluates and records in one call.
	hits2, err := e.CheckTurn(ctx, l, Turn{Event: tv.ID, Call: "call/r", Speaker: Caller, Text: "I want to end my life"})
	if err != nil || !TransferNowIn(hits2) {
		t.Fatalf("CheckTurn: %+v %v", hits2, err)
	}
	if h, err := e.CheckTurn(ctx, l, Turn{Event: tv.ID, Call: "call/r", Speaker: Caller, Text: "thank you"}); err != nil || h != nil {
		t.Fatalf("CheckTurn on a quiet turn: %+v %v", h, err)
	}
	items, err = review.ListItems(l, review.Filter{Reason: review.ReasonMonitor})
	if err != nil || len(items) != 4 {
		t.Fatalf("queue after CheckTurn: %d %v", len(items), err)
	}
	// The monitors' own events never hit, so recording cannot loop.
	for _, r := range rec {
		if h := e.Event(r.Event); h != nil {
			t.Fatalf("a monitor.hit event hit: %+v", h)
		}
	}
}

func TestBuiltinPacks(t *testing.T) {
	packs, err := Packs()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := packs["hipaa-core"]
	if !ok || len(p.Rules) < 10 {
		t.Fatalf("hipaa-core: %+v", p)
	}
	for _, r := range p.Rules {
		if r.Description == "" {
			t.Errorf("rule %s has no description", r.ID)
		}
	}
	e := core(t)
	if n := len(e.Rules()); n != len(p.Rules) {
		t.Fatalf("%d rules active, want %d", n, len(p.Rules))
	}
}
