package identity

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Tool is something the receptionist can do on a call. A tool that
// discloses anything about a patient sets Discloses; its Run then receives
// the call's Verified, obtained by the Toolbox, and reads the patient
// through it. A tool that does not disclose receives the zero Verified,
// which reads nothing.
type Tool struct {
	Name        string
	Description string
	Discloses   bool
	Run         func(ctx context.Context, v Verified, args map[string]string) (map[string]string, error)
}

// Toolbox holds the tools of a receptionist and is the only way to run
// them on a call. It is safe for concurrent use.
type Toolbox struct {
	mu    sync.RWMutex
	tools map[string]Tool
}

// ErrNoTool reports an unknown tool.
var ErrNoTool = errors.New("identity: no such tool")

// NewToolbox returns a toolbox holding tools.
func NewToolbox(tools ...Tool) (*Toolbox, error) {
	tb := &Toolbox{tools: map[string]Tool{}}
	for _, t := range tools {
		if err := tb.Register(t); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// Register adds a tool.
func (tb *Toolbox) Register(t Tool) error {
	if t.Name == "" || t.Run == nil {
		return errors.New("identity: a tool needs a name and a Run function")
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if _, dup := tb.tools[t.Name]; dup {
		return fmt.Errorf("identity: tool %q is registered twice", t.Name)
	}
	tb.tools[t.Name] = t
	return nil
}

// Tools lists the tools in name order.
func (tb *Toolbox) Tools() []Tool {
	tb.mu.RLock()
	defer tb.mu.RUnlock()
	out := make([]Tool, 0, len(tb.tools))
	for _, t := range tb.tools {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Invoke runs a tool on the call of session s. A disclosing tool runs only
// when the session is verified; otherwise Invoke returns ErrNotVerified,
// ErrLocked or ErrClosed without running it.
func (tb *Toolbox) Invoke(ctx context.Context, s *Session, name string, args map[string]string) (map[string]string, error) {
	tb.mu.RLock()
	t, ok := tb.tools[name]
	tb.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoTool, name)
	}
	var v Verified
	if t.Discloses {
		if s == nil {
			return nil, ErrNotVerified
		}
		var err error
		if v, err = s.Require(); err != nil {
			return nil, fmt.Errorf("identity: tool %s: %w", name, err)
		}
	}
	return t.Run(ctx, v, args)
}

// fieldsTool is a disclosing tool that reads fields of the verified patient.
func fieldsTool(name, description string, fields ...string) Tool {
	return Tool{
		Name: name, Description: description, Discloses: true,
		Run: func(ctx context.Context, v Verified, _ map[string]string) (map[string]string, error) {
			return v.Read(ctx, name, fields...)
		},
	}
}

// StandardTools are the built-in tools that read the verified patient's
// record on file.
func StandardTools() []Tool {
	return []Tool{
		fieldsTool("patient.contact", "The phone, email and address on file", "phone", "email", "address"),
		fieldsTool("patient.pharmacy", "The pharmacy on file", "pharmacy"),
		fieldsTool("patient.demographics", "The name and date of birth on file", FieldGiven, FieldFamily, FieldBirthDate),
		fieldsTool("patient.insurance", "The insurer and member ID on file", "insurer", "memberId"),
		fieldsTool("patient.care-team", "The patient's primary clinician on file", "primaryClinician"),
	}
}
