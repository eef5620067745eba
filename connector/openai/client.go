package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"frontdesk/gate/egress"
	"frontdesk/gate/phi"
)

// Options configure a Client.
type Options struct {
	// Destination names the egress destination of the provider. Required.
	Destination string
	// Workspace is the workspace whose data the requests carry and whose
	// ledger records them; empty means the system ledger.
	Workspace string
	// Actor is recorded as the cause of each request (default "agent").
	Actor string
}

// Client sends requests to one OpenAI-compatible provider through the
// egress gate. It is safe for concurrent use.
type Client struct {
	gate *egress.Gate
	o    Options
}

// New returns a client for the provider at o.Destination.
func New(g *egress.Gate, o Options) (*Client, error) {
	if g == nil {
		return nil, errors.New("openai: an egress gate is required")
	}
	if o.Destination == "" {
		return nil, errors.New("openai: a destination is required")
	}
	if o.Actor == "" {
		o.Actor = "agent"
	}
	return &Client{gate: g, o: o}, nil
}

// APIError is a provider's refusal of a request (HTTP 4xx, or a 5xx the
// gate stopped retrying). It holds the error's type and code, which are
// protocol tokens, but not its message, which may quote the request.
type APIError struct {
	// Op is the operation: chat, transcription or speech.
	Op string
	// Status is the HTTP status.
	Status int
	// Type and Code are the provider's error type and code, if tokens.
	Type, Code string
}

// Error describes the refusal without any part of the request.
func (e *APIError) Error() string {
	s := fmt.Sprintf("openai %s: provider answered HTTP %d", e.Op, e.Status)
	switch {
	case e.Type != "" && e.Code != "":
		s += " (" + e.Type + ", " + e.Code + ")"
	case e.Type != "" || e.Code != "":
		s += " (" + e.Type + e.Code + ")"
	}
	return s
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// apiError reads an OpenAI error body: {"error": {"type": …, "code": …}}.
func apiError(op string, resp *egress.Response) error {
	e := &APIError{Op: op, Status: resp.Status}
	var body struct {
		Error struct {
			Type string `json:"type"`
			Code any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		if tokenRE.MatchString(body.Error.Type) {
			e.Type = body.Error.Type
		}
		if c := fmt.Sprint(body.Error.Code); body.Error.Code != nil && tokenRE.MatchString(c) {
			e.Code = c
		}
	}
	return e
}

// call is one request to the provider.
type call struct {
	op, path, entity string
	payload          egress.Payload
	pass             []string
	pseudonyms       *phi.Pseudonymizer
	detector         *phi.Detector
}

// do sends c through the gate and returns the answer if it is a success.
func (cl *Client) do(ctx context.Context, c call) (*egress.Response, error) {
	resp, err := cl.gate.Do(ctx, egress.Request{
		Destination: cl.o.Destination, Workspace: cl.o.Workspace, Entity: c.entity, Actor: cl.o.Actor,
		Purpose: c.op, Method: http.MethodPost, Path: c.path, Payload: c.payload, PassThrough: c.pass,
		Pseudonyms: c.pseudonyms, Detector: c.detector, Idempotent: true,
	})
	if err != nil {
		return nil, fmt.Errorf("openai %s: %w", c.op, err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, apiError(c.op, resp)
	}
	return resp, nil
}

// class returns the class of the client's destination.
func (cl *Client) class() (egress.Class, error) {
	d, ok := cl.gate.Destination(cl.o.Destination)
	if !ok {
		return "", fmt.Errorf("openai: destination %q: %w", cl.o.Destination, egress.ErrUnknownDestination)
	}
	return d.Class, nil
}
