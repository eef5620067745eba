package egress

import (
	"context"
	"net/http"
	"net/url"

	"frontdesk/gate/phi"
	"frontdesk/ledger"
)

// Request is one outbound HTTP request, described so that the gate can
// decide what of it may leave.
type Request struct {
	// Destination names a configured destination.
	Destination string
	// Workspace names the ledger that records the egress and whose data the
	// payload is; empty means the system ledger.
	Workspace string
	// Entity, when set, is what the egress concerns (e.g. call/…), so the
	// event sits in that entity's history; default destination/<name>.
	Entity string
	// Actor is who or what caused the egress (default "system").
	Actor string
	// Purpose is a short token saying why, e.g. "chat" or "transcription";
	// it is recorded as is, so it may hold only a-z, 0-9, '.', '_' and '-'.
	Purpose string
	// Method is the HTTP method (default POST with a payload, GET without).
	Method string
	// Path is appended to the destination's base URL; it may not hold "..",
	// a scheme, a query or a fragment.
	Path string
	// Query is the query string.
	Query url.Values
	// Header holds extra request headers. Authorization, Cookie, Host,
	// Content-Type, Content-Length and hop-by-hop headers are set by the gate
	// only.
	Header http.Header
	// Payload is the body; nil sends none.
	Payload Payload
	// PassThrough lists paths of JSON values, or names of form fields, that
	// carry protocol tokens rather than free text (e.g. "model",
	// "messages.*.role"). A path is dot-separated object keys, with "*"
	// matching any key or array index. A value at such a path is sent
	// unchanged to a redacted or ids-only destination if it is a single
	// token: at most 128 bytes of letters, digits and ._:/- that starts with
	// a letter or digit and holds at least one letter. Any other value is
	// treated like free text.
	PassThrough []string
	// Pseudonyms, when set, replaces PHI with numbered surrogates that it
	// can reverse in the reply (redacted destinations only); without it PHI
	// becomes typed placeholders.
	Pseudonyms *phi.Pseudonymizer
	// Detector, when set, finds PHI instead of the gate's detector, e.g. one
	// that knows the workspace's patient names.
	Detector *phi.Detector
	// Idempotent says the request may be repeated safely, so a POST is
	// retried like a GET. Requests that never reached the destination
	// (connection refused) are retried whatever the method.
	Idempotent bool
	// Sign, when set, is called with the exact body about to be sent and
	// the request's headers, e.g. to add a webhook signature over the bytes
	// after redaction. It must not read or write anything but h.
	Sign func(body []byte, h http.Header) error
}

// Payload is a request body: JSON, Text, Audio or Form. Its kind decides the
// rules the gate applies; there is no way to send untyped bytes.
type Payload interface {
	payloadKind() string
}

// JSON is a JSON document. Value is marshalled with encoding/json; a
// json.RawMessage or []byte is taken as JSON text.
type JSON struct {
	Value any
}

// Text is a text body.
type Text struct {
	Body string
	// ContentType defaults to "text/plain; charset=utf-8".
	ContentType string
}

// Audio is a body of audio bytes (e.g. audio/wav). It goes only to baa
// destinations: a voice is a biometric identifier.
type Audio struct {
	Data        []byte
	ContentType string
}

// Form is a multipart/form-data body of text fields and files. Fields follow
// the rules of text; files go only to baa destinations.
type Form struct {
	Fields []Field
	Files  []File
}

// Field is one text field of a Form.
type Field struct {
	Name, Value string
}

// File is one file of a Form.
type File struct {
	// Field is the form field name, e.g. "file".
	Field string
	// Filename is sent in the part's Content-Disposition.
	Filename string
	// ContentType, e.g. "audio/wav"; default application/octet-stream.
	ContentType string
	Data        []byte
}

func (JSON) payloadKind() string  { return "json" }
func (Text) payloadKind() string  { return "text" }
func (Audio) payloadKind() string { return "audio" }
func (Form) payloadKind() string  { return "form" }

// Response is a destination's answer and the record of what was sent.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body, at most the destination's MaxResponseBytes.
	Body []byte
	// Egress describes what left the box.
	Egress Egress
}

// Egress describes one egress as the ledger records it.
type Egress struct {
	// EventID is the ID of the ledger event that records it.
	EventID string
	// Destination and Class name where it went.
	Destination string
	Class       Class
	// SHA256 is the hex SHA-256 of the exact body bytes sent; Bytes their
	// number.
	SHA256 string
	Bytes  int
	// Counts holds the identifiers replaced or withheld, by type.
	Counts phi.Counts
	// Attempts is the number of times the request was sent.
	Attempts int
}

// Recorder appends one event to a ledger. *ledger.Ledger implements it.
type Recorder interface {
	Append(ctx context.Context, e ledger.Event) (*ledger.Event, error)
}

// SecretSource resolves a secret by name, e.g. an API key stored
// write-only by the appliance. The gate puts the value in a header of the
// request and nowhere else.
type SecretSource interface {
	Secret(ctx context.Context, name string) (string, error)
}
