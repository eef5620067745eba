package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"frontdesk/gate/egress"
)

// client speaks FHIR's REST API to one egress destination. Every request
// goes through the egress gate, which records it in the workspace ledger.
type client struct {
	gate *egress.Gate
	dest string
	ws   string
	base *url.URL
}

// ErrNotBAA reports an EHR destination whose class is not baa: resources
// are PHI, and redacting them would corrupt what is written.
var ErrNotBAA = errors.New("fhir: the EHR destination must be of class baa")

func newClient(g *egress.Gate, dest, ws string) (*client, error) {
	d, ok := g.Destination(dest)
	if !ok {
		return nil, fmt.Errorf("fhir: destination %q: %w", dest, egress.ErrUnknownDestination)
	}
	if d.Class != egress.ClassBAA {
		return nil, fmt.Errorf("%w (destination %q is %s)", ErrNotBAA, dest, d.Class)
	}
	u, err := url.Parse(d.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("fhir: destination %q: base URL: %w", dest, err)
	}
	if ws == "system" {
		ws = ""
	}
	return &client{gate: g, dest: dest, ws: ws, base: u}, nil
}

// call is one REST interaction.
type call struct {
	method  string
	path    string
	query   url.Values
	body    []byte
	header  http.Header
	purpose string
	// idempotent marks a POST that is safe to repeat (a conditional
	// create), so the gate retries it like a PUT.
	idempotent bool
}

// reply is a server's answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	egress string // the ledger event recording the request
}

func (c *client) do(ctx context.Context, k call) (*reply, error) {
	h := http.Header{"Accept": {"application/fhir+json"}}
	for name, vs := range k.header {
		h[name] = vs
	}
	req := egress.Request{
		// The egress events sit on connector/ehr, not on the patient or
		// appointment: their attributes (status, method, …) would
		// otherwise shadow the entity's own fields in its fold.
		Destination: c.dest, Workspace: c.ws, Entity: ConnectorEntity, Actor: SyncActor, Purpose: k.purpose,
		Method: k.method, Path: k.path, Query: k.query, Header: h, Idempotent: k.idempotent,
	}
	if k.body != nil {
		req.Payload = egress.JSON{Value: json.RawMessage(k.body)}
	}
	resp, err := c.gate.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	return &reply{status: resp.Status, header: resp.Header, body: resp.Body, egress: resp.Egress.EventID}, nil
}

// relative turns an absolute link from the server (a next page) into a
// path and query under the destination's base URL. A link elsewhere is
// refused: it would send the request to an address that is not the
// configured destination.
func (c *client) relative(link string) (string, url.Values, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", nil, fmt.Errorf("fhir: the server's paging link is not a URL")
	}
	if u.IsAbs() && (u.Scheme != c.base.Scheme || u.Host != c.base.Host) {
		return "", nil, fmt.Errorf("fhir: the server's paging link points to another host")
	}
	basePath := strings.TrimSuffix(c.base.Path, "/")
	p := u.Path
	if !strings.HasPrefix(p, basePath+"/") && p != basePath {
		return "", nil, fmt.Errorf("fhir: the server's paging link is outside the base URL")
	}
	return strings.TrimPrefix(p, basePath), u.Query(), nil
}

// search reads every page of a search, calling fn with each page's raw
// entries. maxPages bounds a server that pages forever.
func (c *client) search(ctx context.Context, typ string, q url.Values, maxPages int, fn func(entries []bundleEntry) error) error {
	path, query := typ, q
	for page := 0; ; page++ {
		if page >= maxPages {
			return fmt.Errorf("fhir: search %s: more than %d pages", typ, maxPages)
		}
		r, err := c.do(ctx, call{method: http.MethodGet, path: path, query: query, purpose: "ehr-sync"})
		if err != nil {
			return fmt.Errorf("fhir: search %s: %w", typ, err)
		}
		if r.status != http.StatusOK {
			return &StatusError{Op: "search " + typ, Status: r.status, Outcome: SummarizeOutcome(r.body)}
		}
		var b bundle
		if err := json.Unmarshal(r.body, &b); err != nil || b.ResourceType != "Bundle" {
			return fmt.Errorf("fhir: search %s: the answer is not a Bundle", typ)
		}
		if err := fn(b.Entry); err != nil {
			return err
		}
		next := b.next()
		if next == "" || len(b.Entry) == 0 {
			return nil
		}
		if path, query, err = c.relative(next); err != nil {
			return err
		}
	}
}

// StatusError is a FHIR server's refusal: an HTTP status and the summary
// of its OperationOutcome (codes only, no free text).
type StatusError struct {
	Op      string
	Status  int
	Outcome string
}

// Error describes the refusal without PHI.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("fhir: %s: HTTP %d", e.Op, e.Status)
	if e.Outcome != "" {
		s += " (" + e.Outcome + ")"
	}
	return s
}
