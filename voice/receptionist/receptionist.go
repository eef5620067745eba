package receptionist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"frontdesk/gate/identity"
	"frontdesk/gate/monitor"
	"frontdesk/gate/review"
	"frontdesk/ledger"
	"frontdesk/voice/call"
)

// Config is what a clinic tells its receptionist.
type Config struct {
	// ClinicName is said in the greeting.
	ClinicName string `json:"clinic_name,omitempty"`
	// Hours and Address are said to anyone who asks, as written.
	Hours   string `json:"hours,omitempty"`
	Address string `json:"address,omitempty"`
	// StaffURI is where callers are transferred; empty uses the
	// switchboard's staff line.
	StaffURI string `json:"staff_uri,omitempty"`
	// Pharmacies and Streets extend the grammars for a new pharmacy and a
	// new address.
	Pharmacies []string `json:"pharmacies,omitempty"`
	Streets    []string `json:"streets,omitempty"`
	// SlotsOffered is how many free slots are offered at a time (default 3).
	SlotsOffered int `json:"slots_offered,omitempty"`
	// TimeZone is the clinic's IANA time zone, in which times are said
	// (default the server's).
	TimeZone string `json:"time_zone,omitempty"`
	// LLM, when set, lets a chat model drive the conversation.
	LLM *LLMConfig `json:"llm,omitempty"`
	// Judge checks caller-stated facts (default the local judge).
	Judge review.Judge `json:"-"`
	// Location overrides TimeZone.
	Location *time.Location `json:"-"`
	// Now returns the current time; tests inject clocks.
	Now func() time.Time `json:"-"`
}

// Receptionist answers one workspace's calls.
type Receptionist struct {
	cfg      Config
	l        *ledger.Ledger
	world    *World
	dir      *identity.Directory
	tools    *identity.Toolbox
	monitors *monitor.Engine
	bookMu   sync.Mutex

	// LLM mode, when set (llm.go).
	llm      Chatter
	llmModel string
	llmSteps int
}

// New returns a receptionist for the workspace ledger l.
func New(l *ledger.Ledger, cfg Config) (*Receptionist, error) {
	if cfg.ClinicName == "" {
		cfg.ClinicName = "the clinic"
	}
	if cfg.SlotsOffered == 0 {
		cfg.SlotsOffered = 3
	}
	if cfg.Judge == nil {
		cfg.Judge = review.LocalJudge{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil && cfg.TimeZone != "" {
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("receptionist: time zone %q: %w", cfg.TimeZone, err)
		}
		cfg.Location = loc
	}
	m, err := monitor.Load(l)
	if err != nil {
		return nil, fmt.Errorf("receptionist: monitors: %w", err)
	}
	r := &Receptionist{cfg: cfg, l: l, world: NewWorld(l), dir: identity.NewDirectory(l), monitors: m}
	if r.tools, err = identity.NewToolbox(r.toolset()...); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Receptionist) location() *time.Location {
	if r.cfg.Location != nil {
		return r.cfg.Location
	}
	return time.Local
}

// Refresh reloads what the receptionist knows of the patients, after an EHR
// import.
func (r *Receptionist) Refresh() error { return r.dir.Refresh() }

// Tools lists the tools the receptionist (or an LLM driving it) may use.
func (r *Receptionist) Tools() []identity.Tool { return r.tools.Tools() }

// Handle runs the dialogue on one call; it fits switchboard.Dialogue.
func (r *Receptionist) Handle(ctx context.Context, s *call.Session) error {
	id, err := identity.Open(r.l, s.Entity(), r.dir)
	if err != nil {
		return err
	}
	defer id.Close()
	c := &conversation{r: r, s: s, id: id}
	if r.llm != nil {
		return c.finish(ctx, c.converseLLM(ctx))
	}
	return c.finish(ctx, c.converse(ctx))
}

// Errors that end the conversation early and how.
var (
	errStaff     = errors.New("caller asked for staff")
	errEmergency = errors.New("emergency")
	errLocked    = errors.New("verification locked")
	errSilence   = errors.New("caller silent")
	errNotHeard  = errors.New("caller not understood")
)

// conversation is one call's dialogue state.
type conversation struct {
	r        *Receptionist
	s        *call.Session
	id       *identity.Session
	verified bool
	patient  string
	silences int
}

// heard is a caller's answer as the dialogue sees it.
type heard struct {
	kind   call.InputKind
	intent intent
	text   string
	conf   float64
	digits string
	turn   string
}

// ask plays prompt and returns the caller's answer, handling what every turn
// handles: repetition, help, silence, misrecognition, a request for staff,
// and emergencies (through the monitors).
func (c *conversation) ask(ctx context.Context, name, prompt string, p phrases, extra []string, digits int) (heard, error) {
	base := prompt
	misses := 0
	for {
		g := p.merge(always).grammar(name, extra...)
		in, err := c.s.Ask(ctx, prompt, call.Listen{Grammar: g, Digits: digits, Terminator: '#'})
		if err != nil {
			return heard{}, err
		}
		h := heard{kind: in.Kind, text: in.Text, conf: in.Confidence, digits: in.Digits, turn: in.Turn}
		switch in.Kind {
		case call.NoInput:
			c.silences++
			if c.silences >= 3 {
				return h, errSilence
			}
			prompt = "Sorry, I didn't hear anything. " + base
			continue
		case call.Digits:
			c.silences = 0
			return h, nil
		}
		c.silences = 0
		if in.Text != "" {
			hits, err := c.r.monitors.CheckTurn(ctx, c.r.l, monitor.Turn{
				Event: in.Turn, Call: c.s.Entity(), Speaker: "caller", Text: in.Text, Verified: c.verified,
			})
			if err == nil && monitor.TransferNowIn(hits) {
				return h, errEmergency
			}
		}
		h.intent = p.merge(always)[in.Text]
		switch {
		case in.Text == "" || in.Confidence < 0.25:
			misses++
			if misses >= 3 {
				return h, errNotHeard
			}
			prompt = "Sorry, I didn't catch that. " + base
			continue
		case h.intent == intentEmergency:
			return h, errEmergency
		case h.intent == intentStaff:
			return h, errStaff
		case h.intent == intentRepeat:
			prompt = base
			continue
		case h.intent == intentHelp:
			prompt = "You can answer by speaking, or say staff at any time to talk to a person. " + base
			continue
		}
		return h, nil
	}
}

// say plays a statement; a caller who starts to talk cuts it short.
func (c *conversation) say(ctx context.Context, text string) error {
	return c.s.Say(ctx, text, false)
}

// finish ends the call according to how the conversation ended.
func (c *conversation) finish(ctx context.Context, err error) error {
	var msg, reason string
	switch {
	case err == nil:
		return c.s.End("completed")
	case errors.Is(err, call.ErrHangup), errors.Is(err, context.Canceled):
		return c.s.End("caller-hangup")
	case errors.Is(err, errEmergency):
		msg, reason = "If this is a medical emergency, please hang up and dial 9 1 1. I am transferring you to a member of our staff now.", "emergency"
	case errors.Is(err, errStaff):
		msg, reason = "Of course. Let me transfer you to a member of our staff.", "caller-request"
	case errors.Is(err, errLocked):
		msg, reason = "I'm sorry, I wasn't able to verify your identity. Let me transfer you to a member of our staff.", "verification-failed"
	case errors.Is(err, errNotHeard):
		msg, reason = "I'm sorry, I'm having trouble understanding. Let me transfer you to a member of our staff.", "not-understood"
	case errors.Is(err, errSilence):
		c.s.Say(ctx, "I'm sorry, I can't hear you. Please call us again. Goodbye.", true)
		return c.s.End("silence")
	default:
		c.s.Say(ctx, "I'm sorry, something went wrong on our side. Let me transfer you to a member of our staff.", true)
		c.transfer(ctx, "error")
		c.s.End("error")
		return err
	}
	if serr := c.s.Say(ctx, msg, true); serr != nil {
		return c.s.End("caller-hangup")
	}
	c.transfer(ctx, reason)
	return c.s.End("transfer")
}

func (c *conversation) transfer(ctx context.Context, reason string) {
	if err := c.s.Transfer(ctx, c.r.cfg.StaffURI, reason); err != nil {
		c.s.Say(ctx, "I'm sorry, no one is available to take your call right now. Please call back during office hours. Goodbye.", true)
	}
}

// converse is the whole conversation; an error says how it ended early.
func (c *conversation) converse(ctx context.Context) error {
	if err := c.say(ctx, "Thank you for calling "+c.r.cfg.ClinicName+". I am the automated receptionist. This call is recorded."); err != nil {
		return err
	}
	if err := c.identify(ctx); err != nil {
		return err
	}
	v, err := c.id.Require()
	if err != nil {
		return errLocked
	}
	c.patient = v.Patient()
	c.verified = true
	c.s.SetSubject(c.patient)
	greet := "Thank you."
	if vals, err := v.Read(ctx, "greeting", identity.FieldGiven); err == nil && vals[identity.FieldGiven] != "" {
		greet = "Thank you, " + speakableName(firstWord(vals[identity.FieldGiven])) + "."
	}
	prompt := greet + " How can I help you today? You can say: my appointments, book an appointment, cancel an appointment, " +
		"change my pharmacy, change my phone number, or change my address. You can also ask for staff."
	for {
		h, err := c.ask(ctx, "menu", prompt, menu.merge(clinicInfo).merge(yesNo), nil, 0)
		if err != nil {
			return err
		}
		switch h.intent {
		case intentGoodbye, intentNo:
			return c.say(ctx, "Thank you for calling "+c.r.cfg.ClinicName+". Goodbye.")
		case intentYes:
			prompt = "What would you like to do? You can say: my appointments, book an appointment, cancel an appointment, " +
				"change my pharmacy, change my phone number, or change my address."
			continue
		}
		if err := c.task(ctx, h.intent); err != nil {
			return err
		}
		prompt = "Is there anything else I can help you with?"
	}
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// identify collects a name and a date of birth until the identity gate
// verifies the caller or locks.
func (c *conversation) identify(ctx context.Context) error {
	names, err := c.r.dir.Names()
	if err != nil {
		return err
	}
	prompt := "To get started, please tell me your first and last name."
	for {
		h, err := c.ask(ctx, "patient-name", prompt, clinicInfo, names, 0)
		if err != nil {
			return err
		}
		if done, err := c.clinicFact(ctx, h.intent); done {
			if err != nil {
				return err
			}
			continue
		}
		if h.kind != call.Speech {
			prompt = "Please say your first and last name."
			continue
		}
		name := h.text
		d, err := c.ask(ctx, "birth-date", "Thank you. Now please enter your date of birth on your keypad: two digits for the month, two for the day, and four for the year.", phrases{}, nil, 8)
		if err != nil {
			return err
		}
		if d.kind != call.Digits || len(d.digits) != 8 {
			d, err = c.ask(ctx, "birth-date", "I need eight digits: for example, zero three, zero one, one nine eight zero for March first, nineteen eighty. Please enter your date of birth.", phrases{}, nil, 8)
			if err != nil {
				return err
			}
		}
		res, err := c.id.Verify(ctx, identity.Claim{Name: name, BirthDate: d.digits, Method: "keypad"})
		if errors.Is(err, identity.ErrLocked) {
			return errLocked
		}
		if err != nil {
			return err
		}
		switch {
		case res.Verified:
			return nil
		case res.Locked:
			return errLocked
		}
		prompt = "I'm sorry, I couldn't match those details to our records. Let's try again. Please tell me your first and last name."
	}
}

// clinicFact says an ambient clinic fact if asked for one.
func (c *conversation) clinicFact(ctx context.Context, i intent) (bool, error) {
	switch i {
	case intentHours:
		if c.r.cfg.Hours == "" {
			return true, c.say(ctx, "I'm sorry, I don't have our opening hours. A member of staff can tell you.")
		}
		return true, c.say(ctx, "We are open "+c.r.cfg.Hours+".")
	case intentAddress:
		if c.r.cfg.Address == "" {
			return true, c.say(ctx, "I'm sorry, I don't have our address. A member of staff can tell you.")
		}
		return true, c.say(ctx, "We are at "+c.r.cfg.Address+".")
	}
	return false, nil
}

// invoke runs a tool through the identity gate.
func (c *conversation) invoke(ctx context.Context, tool string, args map[string]string) (map[string]string, error) {
	if args == nil {
		args = map[string]string{}
	}
	args["call"] = c.s.Entity()
	return c.r.tools.Invoke(ctx, c.id, tool, args)
}

// task carries out one menu choice.
func (c *conversation) task(ctx context.Context, i intent) error {
	switch i {
	case intentHours, intentAddress:
		_, err := c.clinicFact(ctx, i)
		return err
	case intentAppointments:
		out, err := c.invoke(ctx, "appointments.upcoming", nil)
		if err != nil {
			return err
		}
		return c.say(ctx, out["said"])
	case intentBook:
		return c.book(ctx, "")
	case intentCancel, intentMove:
		return c.cancel(ctx, i == intentMove)
	case intentPharmacy:
		ph := append(append([]string(nil), DefaultPharmacies...), c.r.cfg.Pharmacies...)
		h, err := c.ask(ctx, "pharmacy", "Please tell me the name of your new pharmacy.", phrases{}, ph, 0)
		if err != nil {
			return err
		}
		if h.kind != call.Speech || h.text == "" {
			return c.say(ctx, "I didn't get the pharmacy, so I haven't changed anything.")
		}
		return c.stateFact(ctx, "pharmacy", speakableName(h.text), h.turn, "your pharmacy")
	case intentPhone:
		h, err := c.ask(ctx, "phone", "Please enter your new ten digit phone number on your keypad.", phrases{}, nil, 10)
		if err != nil {
			return err
		}
		if h.kind != call.Digits || len(h.digits) != 10 {
			return c.say(ctx, "That wasn't ten digits, so I haven't changed anything.")
		}
		value := h.digits[:3] + "-" + h.digits[3:6] + "-" + h.digits[6:]
		return c.stateFact(ctx, "phone", value, h.turn, "your phone number")
	case intentNewAddress:
		streets := append(append([]string(nil), DefaultStreets...), c.r.cfg.Streets...)
		in, err := c.s.Ask(ctx, "Please say your new street address: the house number one digit at a time, then the street.", call.Listen{Grammar: addressGrammar(streets)})
		if err != nil {
			return err
		}
		if in.Kind != call.Speech || in.Text == "" || always[in.Text] != intentNone {
			return c.say(ctx, "I didn't get the address, so I haven't changed anything.")
		}
		return c.stateFact(ctx, "address", wordsToDigits(in.Text), in.Turn, "your address")
	}
	return c.say(ctx, "I'm sorry, I can't help with that yet.")
}

// stateFact records what the caller stated about themselves for review.
func (c *conversation) stateFact(ctx context.Context, field, value, turn, what string) error {
	if _, err := c.invoke(ctx, "patient.state-fact", map[string]string{"field": field, "value": value, "turn_event": turn}); err != nil {
		return err
	}
	return c.say(ctx, "Thank you. I've noted "+what+". A member of our staff will confirm the change.")
}

// book offers free slots and books the one the caller chooses.
func (c *conversation) book(ctx context.Context, replacing string) error {
	skip := map[string]bool{}
	for round := 0; round < 3; round++ {
		out, err := c.invoke(ctx, "slots.free", map[string]string{"count": fmt.Sprint(c.r.cfg.SlotsOffered), "skip": joinKeys(skip)})
		if err != nil {
			return err
		}
		if out["count"] == "0" {
			return c.say(ctx, "I'm sorry, there are no open appointments in the next few weeks. A member of staff can help you.")
		}
		slots := strings.Split(out["slots"], ",")
		h, err := c.ask(ctx, "slot-choice", out["said"]+" Which would you like? Say first, second or third, or say more for other times.", choices, nil, 1)
		if err != nil {
			return err
		}
		idx := choiceIndex(h.text)
		if h.kind == call.Digits && len(h.digits) == 1 {
			idx = int(h.digits[0] - '1')
		}
		if h.intent == intentMore || idx < 0 || idx >= len(slots) {
			for _, s := range slots {
				skip[s] = true
			}
			continue
		}
		slot := slots[idx]
		conf, err := c.ask(ctx, "confirm", "To confirm: "+out["said."+fmt.Sprint(idx)]+". Shall I book it?", yesNo, nil, 0)
		if err != nil {
			return err
		}
		if conf.intent != intentYes {
			return c.say(ctx, "All right, I haven't booked anything.")
		}
		res, err := c.invoke(ctx, "appointment.book", map[string]string{"slot": slot, "turn_event": conf.turn, "replaces": replacing})
		if err != nil {
			return err
		}
		if res["booked"] != "true" {
			return c.say(ctx, "I'm sorry, that time was just taken. Let's try again.")
		}
		return c.say(ctx, "You're booked for "+res["said"]+". We'll see you then.")
	}
	return c.say(ctx, "I'm sorry, I couldn't find a time that suits you. A member of staff can help.")
}

// cancel cancels (or, when moving, replaces) one of the caller's
// appointments.
func (c *conversation) cancel(ctx context.Context, move bool) error {
	out, err := c.invoke(ctx, "appointments.upcoming", map[string]string{"numbered": "true"})
	if err != nil {
		return err
	}
	if out["count"] == "0" {
		return c.say(ctx, out["said"])
	}
	appts := strings.Split(out["appointments"], ",")
	idx := 0
	if len(appts) > 1 {
		h, err := c.ask(ctx, "appointment-choice", out["said"]+" Which one? Say first, second or third.", choices, nil, 1)
		if err != nil {
			return err
		}
		idx = choiceIndex(h.text)
		if h.kind == call.Digits && len(h.digits) == 1 {
			idx = int(h.digits[0] - '1')
		}
		if idx < 0 || idx >= len(appts) {
			return c.say(ctx, "I didn't get which appointment, so I haven't changed anything.")
		}
	}
	verb := "cancel"
	if move {
		verb = "move"
	}
	conf, err := c.ask(ctx, "confirm", fmt.Sprintf("To confirm, you want to %s your appointment on %s. Is that right?", verb, out["when."+fmt.Sprint(idx)]), yesNo, nil, 0)
	if err != nil {
		return err
	}
	if conf.intent != intentYes {
		return c.say(ctx, "All right, I haven't changed anything.")
	}
	if move {
		return c.book(ctx, appts[idx])
	}
	if _, err := c.invoke(ctx, "appointment.cancel", map[string]string{"appointment": appts[idx], "turn_event": conf.turn}); err != nil {
		return err
	}
	return c.say(ctx, "Your appointment is cancelled.")
}

func joinKeys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ",")
}

// newAppointmentID names an appointment the receptionist books.
func newAppointmentID() string {
	var b [10]byte
	rand.Read(b[:])
	return "appointment/fd-" + hex.EncodeToString(b[:])
}
