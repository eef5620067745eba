package receptionist

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/connector/openai"
	"frontdesk/gate/egress"
	"frontdesk/gate/identity"
	"frontdesk/internal/testkit"
	"frontdesk/voice/caller"
)

// scriptedModel is an OpenAI-compatible chat server on loopback, standing
// in for a model provider (a boundary we do not own): it plays a fixed
// receptionist script by looking at the last message, and records every
// request body it receives so tests can see exactly what left the box.
type scriptedModel struct {
	mu       sync.Mutex
	requests []string
	name     string // the name the caller gave, as the model received it
}

func (m *scriptedModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.requests = append(m.requests, string(body))
	m.mu.Unlock()
	var req openai.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
		http.Error(w, "bad request", 400)
		return
	}
	last := req.Messages[len(req.Messages)-1]
	users := 0
	for _, msg := range req.Messages {
		if msg.Role == "user" {
			users++
		}
	}
	var reply openai.Message
	call := func(name string, args map[string]string) {
		b, _ := json.Marshal(args)
		reply.ToolCalls = []openai.ToolCall{{ID: fmt.Sprintf("call_%d", len(req.Messages)), Type: "function",
			Function: openai.FunctionCall{Name: name, Arguments: string(b)}}}
	}
	reply.Role = "assistant"
	switch {
	case last.Role == "user" && users == 1:
		// Try to disclose before verification: the gate must refuse.
		call("appointments_upcoming", nil)
	case last.Role == "tool" && strings.Contains(last.Content, "not verified"):
		reply.Content = "I can help with that. First, what is your first and last name?"
	case last.Role == "user" && users == 2:
		m.mu.Lock()
		m.name = last.Content
		m.mu.Unlock()
		call("collect_keypad", map[string]string{"prompt": "Please key your date of birth, month, day and year.", "digits": "8"})
	case last.Role == "tool" && strings.Contains(last.Content, `"digits"`):
		var d map[string]string
		json.Unmarshal([]byte(last.Content), &d)
		m.mu.Lock()
		name := m.name
		m.mu.Unlock()
		call("verify_identity", map[string]string{"name": name, "birth_date": d["digits"]})
	case last.Role == "tool" && strings.Contains(last.Content, `"verified":"true"`):
		call("appointments_upcoming", nil)
	case last.Role == "tool" && strings.Contains(last.Content, `"said"`):
		var d map[string]string
		json.Unmarshal([]byte(last.Content), &d)
		reply.Content = d["said"] + " Is there anything else?"
	case last.Role == "user" && users >= 3:
		reply.Content = "Goodbye."
		call("end_call", nil)
	default:
		reply.Content = "Sorry, could you say that again?"
	}
	json.NewEncoder(w).Encode(openai.ChatResponse{ID: "chat", Model: "scripted", Choices: []openai.Choice{{Message: reply, FinishReason: "stop"}}})
}

func (m *scriptedModel) sent() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.requests, "\n")
}

// TestLLMMode lets a chat model drive a call with the receptionist's tools,
// once through a BAA destination and once through a redacting one: the
// disclosure tried before verification is refused, the caller is verified
// and hears their appointment, and the redacting destination never sees the
// caller's name or date of birth.
func TestLLMMode(t *testing.T) {
	t.Parallel()
	for _, class := range []egress.Class{egress.ClassBAA, egress.ClassRedacted} {
		t.Run(string(class), func(t *testing.T) {
			t.Parallel()
			c := newClinic(t)
			model := &scriptedModel{}
			srv := httptest.NewServer(model)
			defer srv.Close()
			d := egress.Destination{Name: "llm", Class: class, BaseURL: srv.URL}
			if class == egress.ClassBAA {
				d.BAA = &egress.BAA{SignedBy: "Clinic Manager", SignedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
			}
			g, err := egress.New(egress.Config{Destinations: []egress.Destination{d}},
				egress.Options{Recorder: func(string) (egress.Recorder, error) { return c.l, nil }})
			if err != nil {
				t.Fatal(err)
			}
			client, err := openai.New(g, openai.Options{Destination: "llm", Workspace: "clinic", Actor: "agent/receptionist"})
			if err != nil {
				t.Fatal(err)
			}
			uri, r := serve(t, c, "")
			r.UseLLM(client, "scripted", 0)
			out := dialURI(t, uri)
			_, err = caller.Run(context.Background(), out.Media(), caller.Script{Steps: []caller.Step{
				{AfterPrompts: 1, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "my appointments")},
				{AfterPrompts: 2, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "alberto atencio")},
				{AfterPrompts: 3, Keys: "06071993"},
				{AfterPrompts: 4, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "no")},
				{AfterPrompts: 5, Hangup: true},
			}, PromptGap: 700 * time.Millisecond, MaxDuration: 80 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			end := waitEnded(t, c.l)
			if end.Attrs["reason"] != "completed" {
				t.Fatalf("call ended %v", end.Attrs)
			}
			if v := events(t, c.l, identity.TypeVerified); len(v) != 1 || v[0].Attrs["patient"] != "patient/p1" {
				t.Fatalf("verification: %+v", v)
			}
			disc := events(t, c.l, identity.TypeDisclosed)
			if len(disc) == 0 {
				t.Fatal("the appointment was not disclosed after verification")
			}
			verified := events(t, c.l, identity.TypeVerified)[0]
			for _, e := range disc {
				if e.Seq < verified.Seq {
					t.Fatalf("disclosure at seq %d before verification at %d", e.Seq, verified.Seq)
				}
			}
			sent := strings.ToLower(model.sent())
			canaries := []string{"alberto", "atencio", "06071993", "1993"}
			for _, canary := range canaries {
				present := strings.Contains(sent, canary)
				if class == egress.ClassRedacted && present {
					t.Errorf("the redacting destination received %q", canary)
				}
			}
			if class == egress.ClassBAA && !strings.Contains(sent, "alberto atencio") {
				t.Error("the BAA destination did not receive the conversation as is")
			}
			if egs := events(t, c.l, "egress.sent"); len(egs) < 5 {
				t.Fatalf("%d egress events recorded", len(egs))
			}
		})
	}
}
