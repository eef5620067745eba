package receptionist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"frontdesk/connector/openai"
	"frontdesk/gate/identity"
	"frontdesk/voice/call"
)

// LLM mode: a chat model (through the egress gate: a BAA destination, or a
// redacting one that receives pseudonymised text and whose replies are
// re-identified on the box) decides what to say and which tools to call.
// The tools are the receptionist's own, run through the same toolbox and the
// same identity gate; the monitors hear every caller turn and an emergency
// ends the conversation whatever the model says. The model never hears the
// caller's audio: it gets the recognised text.

// Chatter completes a chat; *openai.Client is one.
type Chatter interface {
	Chat(ctx context.Context, conv *openai.Conversation, req openai.ChatRequest) (*openai.ChatResponse, error)
}

// LLMConfig switches the receptionist to LLM mode.
type LLMConfig struct {
	// Destination is the egress destination of the chat provider.
	Destination string `json:"destination"`
	// Model is the model to ask for.
	Model string `json:"model"`
	// MaxSteps bounds the model's steps in one call (default 60).
	MaxSteps int `json:"max_steps,omitempty"`
}

// UseLLM makes the receptionist talk through chat, with the given model.
func (r *Receptionist) UseLLM(chat Chatter, model string, maxSteps int) {
	if maxSteps <= 0 {
		maxSteps = 60
	}
	r.llm, r.llmModel, r.llmSteps = chat, model, maxSteps
}

const systemPrompt = `You are the automated telephone receptionist of %s. Be brief: one or two short sentences per reply, spoken aloud.
Clinic facts you may tell anyone: hours: %s. Address: %s.
Before you tell a caller anything about a patient, verify them: ask for their first and last name, then call collect_keypad to have them key their date of birth as MMDDYYYY, then call verify_identity. After three failed attempts, or whenever the caller asks for a person, call transfer.
Once verified you may list their appointments, offer free slots and book one, cancel one, or record a new pharmacy, phone number or address they state (state_fact; staff confirm such changes).
If the caller describes an emergency, tell them to hang up and dial 911 and call transfer.
When the caller is done, say goodbye and call end_call.`

func schema(props map[string]string, required ...string) json.RawMessage {
	p := map[string]any{}
	for k, d := range props {
		p[k] = map[string]string{"type": "string", "description": d}
	}
	b, _ := json.Marshal(map[string]any{"type": "object", "properties": p, "required": required, "additionalProperties": false})
	return b
}

func llmTools() []openai.Tool {
	fn := func(name, desc string, params json.RawMessage) openai.Tool {
		return openai.Tool{Type: "function", Function: openai.Function{Name: name, Description: desc, Parameters: params}}
	}
	none := schema(nil)
	return []openai.Tool{
		fn("collect_keypad", "Ask the caller to key digits and return them.", schema(map[string]string{"prompt": "what to say", "digits": "how many digits"}, "prompt", "digits")),
		fn("verify_identity", "Check the caller's name and date of birth (MMDDYYYY) against the records.", schema(map[string]string{"name": "first and last name as said", "birth_date": "MMDDYYYY"}, "name", "birth_date")),
		fn("appointments_upcoming", "The verified caller's upcoming appointments.", none),
		fn("slots_free", "The soonest free appointment slots.", none),
		fn("appointment_book", "Book a free slot (from slots_free) for the verified caller, after they confirmed it.", schema(map[string]string{"slot": "slot reference"}, "slot")),
		fn("appointment_cancel", "Cancel one of the verified caller's appointments, after they confirmed it.", schema(map[string]string{"appointment": "appointment reference"}, "appointment")),
		fn("state_fact", "Record a new pharmacy, phone or address the verified caller stated.", schema(map[string]string{"field": "pharmacy, phone or address", "value": "the value as stated"}, "field", "value")),
		fn("transfer", "Transfer the caller to staff.", schema(map[string]string{"reason": "caller-request, verification-failed or emergency"}, "reason")),
		fn("end_call", "Say nothing more and hang up.", none),
	}
}

// errEnded ends the LLM conversation normally.
var errEnded = errors.New("call ended by the receptionist")

// converseLLM is the conversation in LLM mode.
func (c *conversation) converseLLM(ctx context.Context) error {
	r := c.r
	conv := openai.NewConversation(c.s.Entity())
	msgs := []openai.Message{{Role: "system", Content: fmt.Sprintf(systemPrompt, r.cfg.ClinicName, r.cfg.Hours, r.cfg.Address)}}
	greeting := "Thank you for calling " + r.cfg.ClinicName + ". I am the automated receptionist. This call is recorded. How can I help you?"
	names, _ := r.dir.Names()
	extra := append(append(append([]string(nil), names...), DefaultPharmacies...), r.cfg.Pharmacies...)
	heardAll := always.merge(clinicInfo).merge(menu).merge(yesNo).merge(choices)
	say := greeting
	msgs = append(msgs, openai.Message{Role: "assistant", Content: greeting})
	lastTurn := ""
	for step := 0; step < r.llmSteps; step++ {
		if say != "" {
			h, err := c.ask(ctx, "llm", say, heardAll, extra, 0)
			if err != nil {
				return err
			}
			lastTurn = h.turn
			text := h.text
			if h.kind == call.Digits {
				text = h.digits
			}
			msgs = append(msgs, openai.Message{Role: "user", Content: text})
			say = ""
		}
		resp, err := r.llm.Chat(ctx, conv, openai.ChatRequest{Model: r.llmModel, Messages: msgs, Tools: llmTools()})
		if err != nil || len(resp.Choices) == 0 {
			// Without the model the caller still gets a person.
			return errStaff
		}
		m := resp.Choices[0].Message
		msgs = append(msgs, m)
		if len(m.ToolCalls) == 0 {
			say = m.Content
			if say == "" {
				say = "Sorry, could you say that again?"
			}
			continue
		}
		if m.Content != "" {
			if err := c.say(ctx, m.Content); err != nil {
				return err
			}
		}
		for _, tc := range m.ToolCalls {
			out, err := c.runTool(ctx, tc, lastTurn)
			if errors.Is(err, errEnded) {
				return nil
			}
			if err != nil && (errors.Is(err, errStaff) || errors.Is(err, errEmergency) || errors.Is(err, errLocked) ||
				errors.Is(err, call.ErrHangup) || errors.Is(err, context.Canceled)) {
				return err
			}
			content := out
			if err != nil {
				content = `{"error":"` + toolError(err) + `"}`
			}
			msgs = append(msgs, openai.Message{Role: "tool", ToolCallID: tc.ID, Content: content})
		}
	}
	return errStaff
}

// toolError says why a tool refused, in words that hold no PHI.
func toolError(err error) string {
	switch {
	case errors.Is(err, identity.ErrNotVerified):
		return "the caller is not verified yet"
	case errors.Is(err, identity.ErrLocked):
		return "verification is locked; transfer the caller"
	case errors.Is(err, identity.ErrNoTool):
		return "no such tool"
	}
	return "the tool failed"
}

// runTool carries out one of the model's tool calls.
func (c *conversation) runTool(ctx context.Context, tc openai.ToolCall, lastTurn string) (string, error) {
	var args map[string]string
	if tc.Function.Arguments != "" {
		if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil {
			return "", errors.New("arguments are not a JSON object of strings")
		}
	}
	result := func(m map[string]string) (string, error) {
		b, err := json.Marshal(m)
		return string(b), err
	}
	switch tc.Function.Name {
	case "collect_keypad":
		n := 8
		fmt.Sscan(args["digits"], &n)
		if n < 1 || n > 16 {
			n = 8
		}
		h, err := c.ask(ctx, "keypad", args["prompt"], phrases{}, nil, n)
		if err != nil {
			return "", err
		}
		return result(map[string]string{"digits": h.digits})
	case "verify_identity":
		res, err := c.id.Verify(ctx, identity.Claim{Name: strings.ToLower(args["name"]), BirthDate: args["birth_date"], Method: "keypad"})
		if errors.Is(err, identity.ErrLocked) {
			return "", errLocked
		}
		if err != nil {
			return "", err
		}
		if res.Locked {
			return "", errLocked
		}
		if res.Verified {
			if v, err := c.id.Require(); err == nil {
				c.patient, c.verified = v.Patient(), true
				c.s.SetSubject(c.patient)
			}
		}
		return result(map[string]string{"verified": fmt.Sprint(res.Verified), "remaining_attempts": fmt.Sprint(res.Remaining)})
	case "appointments_upcoming":
		return c.toolResult(ctx, "appointments.upcoming", nil)
	case "slots_free":
		return c.toolResult(ctx, "slots.free", map[string]string{"count": "3"})
	case "appointment_book":
		return c.toolResult(ctx, "appointment.book", map[string]string{"slot": args["slot"], "turn_event": lastTurn})
	case "appointment_cancel":
		return c.toolResult(ctx, "appointment.cancel", map[string]string{"appointment": args["appointment"], "turn_event": lastTurn})
	case "state_fact":
		return c.toolResult(ctx, "patient.state-fact", map[string]string{"field": args["field"], "value": args["value"], "turn_event": lastTurn})
	case "transfer":
		switch args["reason"] {
		case "emergency":
			return "", errEmergency
		case "verification-failed":
			return "", errLocked
		}
		return "", errStaff
	case "end_call":
		return "", errEnded
	}
	return "", identity.ErrNoTool
}

// toolResult runs a receptionist tool through the identity gate and gives
// the model its result.
func (c *conversation) toolResult(ctx context.Context, name string, args map[string]string) (string, error) {
	out, err := c.invoke(ctx, name, args)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(out)
	return string(b), err
}
