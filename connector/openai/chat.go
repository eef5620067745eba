package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"frontdesk/gate/egress"
	"frontdesk/gate/phi"
)

// Message is one message of a chat: system, user, assistant or tool.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Name optionally names the participant.
	Name string `json:"name,omitempty"`
	// ToolCalls are the calls an assistant message asks for.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is, in a tool message, the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Refusal is set in a reply the model declined to give.
	Refusal string `json:"refusal,omitempty"`
}

// MarshalJSON writes the content of an assistant message that only calls
// tools as null, as the API expects.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	if m.Content == "" && len(m.ToolCalls) > 0 {
		return json.Marshal(struct {
			plain
			Content *string `json:"content"`
		}{plain: plain(m)})
	}
	return json.Marshal(plain(m))
}

// Tool is a function the model may call.
type Tool struct {
	// Type is "function".
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function describes a callable function: its name, what it does, and its
// parameters as a JSON Schema object.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ToolCall is a model's request to call a function.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON
// document in a string.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ChatRequest is a chat completion request.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Tools    []Tool    `json:"tools,omitempty"`
	// ToolChoice is "auto", "none", "required", or
	// {"type": "function", "function": {"name": …}}.
	ToolChoice        any      `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool    `json:"parallel_tool_calls,omitempty"`
	Temperature       *float64 `json:"temperature,omitempty"`
	MaxTokens         int      `json:"max_tokens,omitempty"`
}

// ChatResponse is a chat completion.
type ChatResponse struct {
	ID      string   `json:"id"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   Usage    `json:"usage"`
	// Egress records what left the box for this completion.
	Egress egress.Egress `json:"-"`
}

// Choice is one alternative completion.
type Choice struct {
	Index        int     `json:"index"`
	Message      Message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

// Usage counts the tokens of a completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Conversation is what the requests of one conversation share: the entity
// they concern (e.g. call/…), and the pseudonyms that let a reply from a
// redacted destination be re-identified. Its pseudonymizer holds PHI in
// memory; drop the Conversation when the conversation ends.
type Conversation struct {
	// Entity is recorded with each egress; default destination/<name>.
	Entity string
	// Pseudonyms maps PHI to surrogates for this conversation.
	Pseudonyms *phi.Pseudonymizer
	// Detector, when set, finds PHI instead of the gate's detector, e.g.
	// one that knows the caller's name.
	Detector *phi.Detector
}

// NewConversation returns a conversation about entity with fresh pseudonyms.
func NewConversation(entity string) *Conversation {
	return &Conversation{Entity: entity, Pseudonyms: phi.NewPseudonymizer()}
}

// chatPassThrough lists the protocol tokens of a chat request: they are not
// free text, and redacting one would break the request.
var chatPassThrough = []string{
	"model", "messages.*.role", "messages.*.tool_call_id", "messages.*.tool_calls.*.id",
	"messages.*.tool_calls.*.type", "messages.*.tool_calls.*.function.name",
	"tools.*.type", "tools.*.function.name", "tool_choice", "tool_choice.type", "tool_choice.function.name",
}

// Chat asks the provider for a completion of req. conv may be nil; with
// one, PHI sent to a redacted destination is pseudonymized and the reply's
// content, refusal and tool-call arguments are re-identified.
func (c *Client) Chat(ctx context.Context, conv *Conversation, req ChatRequest) (*ChatResponse, error) {
	if req.Model == "" || len(req.Messages) == 0 {
		return nil, errors.New("openai chat: a model and at least one message are required")
	}
	cl := call{op: "chat", path: "chat/completions", payload: egress.JSON{Value: req}, pass: chatPassThrough}
	if conv != nil {
		cl.entity, cl.pseudonyms, cl.detector = conv.Entity, conv.Pseudonyms, conv.Detector
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out ChatResponse
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, fmt.Errorf("openai chat: the provider's answer is not a chat completion: %w", err)
	}
	if len(out.Choices) == 0 {
		return nil, errors.New("openai chat: the provider's answer has no choices")
	}
	out.Egress = resp.Egress
	if conv != nil && conv.Pseudonyms != nil {
		for i := range out.Choices {
			reidentifyMessage(conv.Pseudonyms, &out.Choices[i].Message)
		}
	}
	return &out, nil
}

// reidentifyMessage restores the originals of ps's surrogates in m.
func reidentifyMessage(ps *phi.Pseudonymizer, m *Message) {
	m.Content = ps.Reidentify(m.Content)
	m.Refusal = ps.Reidentify(m.Refusal)
	for i := range m.ToolCalls {
		m.ToolCalls[i].Function.Arguments = reidentifyJSON(ps, m.ToolCalls[i].Function.Arguments)
	}
}

// reidentifyJSON restores surrogates inside the strings of a JSON document,
// so that an original value holding quotes or backslashes is escaped
// properly. Text that is not JSON is re-identified as text.
func reidentifyJSON(ps *phi.Pseudonymizer, doc string) string {
	if !strings.Contains(doc, "[") {
		return doc
	}
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return ps.Reidentify(doc)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			return ps.Reidentify(v)
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				out[ps.Reidentify(k)] = walk(x)
			}
			return out
		}
		return v
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(walk(v)); err != nil {
		return ps.Reidentify(doc)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
