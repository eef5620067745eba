package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"frontdesk/appliance"
	"frontdesk/gate/access"
	"frontdesk/ledger"
)

// Route is one endpoint. Other packages add theirs with Server.Mount; the
// server authenticates the caller, resolves the workspace and checks the
// capability before Handler runs.
type Route struct {
	// Method and Pattern as for http.ServeMux ("GET",
	// "/v1/workspaces/{ws}/review/{item}").
	Method, Pattern string
	// Capability is what the caller's role must allow (access.Allowed).
	// For a Workspace route the role is the caller's role in {ws}; for
	// other routes it is the caller's appliance role, unless the
	// capability is access.Authenticated.
	Capability access.Capability
	// Workspace routes live under /v1/workspaces/{ws}/. A caller with no
	// role there gets the same 404 as for a workspace that does not exist.
	Workspace bool
	// Public routes need no credentials (login, the OpenAPI document).
	Public bool
	// Handler serves the request.
	Handler func(w http.ResponseWriter, r *http.Request, c *Call)
}

// Call is what a handler knows about its request: who is asking, in which
// workspace, with which role, and how to answer.
type Call struct {
	// Principal is the authenticated caller (nil on public routes).
	Principal *access.Principal
	// Role is the caller's role in Workspace, or its appliance role.
	Role access.Role
	// Grant is the emergency access grant that raised Role, if any.
	Grant *access.Grant
	// Workspace and Ledger are set on workspace routes.
	Workspace string
	Ledger    *ledger.Ledger
	// RequestID identifies the request in responses, logs and events.
	RequestID string
	// Purpose is the declared purpose of use (treatment, payment,
	// operations, emergency, patient-request, audit).
	Purpose string
	// Channel is "api" for HTTPS and "cli" for the local operator.
	Channel string

	s *Server
	r *http.Request
}

// Server is the server handling the call.
func (c *Call) Server() *Server { return c.s }

// Error is an API error: a status and a JSON body
// {"error":{"code":"...","message":"..."}}. Messages never hold PHI or
// secrets: they name fields, never values.
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errNotFound is the one 404 of the API: a missing object and an object in
// a workspace the caller has no role in are indistinguishable.
var errNotFound = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}

// Errorf returns an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, requestID string, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message, "request_id": requestID}})
}

// JSON writes v with status.
func (c *Call) JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// NoContent answers 204.
func (c *Call) NoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// Fail answers with the API error for err. Errors of the gate, ledger and
// appliance map to their statuses; anything else is a 500 whose detail
// goes only to the log.
func (c *Call) Fail(w http.ResponseWriter, err error) {
	e := c.s.toError(c.RequestID, err)
	writeError(w, c.RequestID, e)
}

// quoted matches the %q-quoted values library errors may carry.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// clean removes quoted values from a library message, so that no value a
// client sent (which may be PHI) comes back in an error.
func clean(msg string) string {
	msg = quoted.ReplaceAllString(msg, "(value)")
	return libraryPrefix.ReplaceAllString(msg, "")
}

// libraryPrefix is the context libraries put before their messages.
var libraryPrefix = regexp.MustCompile(`^(?:access: |ledger [a-z0-9-]+: |append: |account: |key: )+`)

func (s *Server) toError(requestID string, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, access.ErrNotFound), errors.Is(err, ledger.ErrNotFound), errors.Is(err, appliance.ErrNoWorkspace):
		return errNotFound
	case errors.Is(err, access.ErrInvalid), errors.Is(err, access.ErrWeakPassword), errors.Is(err, ledger.ErrInvalidEvent):
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Message: clean(err.Error())}
	case errors.Is(err, access.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: clean(err.Error())}
	case errors.Is(err, ledger.ErrErased):
		return &Error{Status: http.StatusConflict, Code: "erased", Message: "the subject has been erased"}
	case errors.Is(err, access.ErrScope):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: clean(err.Error())}
	case errors.Is(err, access.ErrBadCredentials):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: err.Error()}
	case errors.Is(err, access.ErrMFARequired):
		return &Error{Status: http.StatusUnauthorized, Code: "mfa_required", Message: err.Error()}
	case errors.Is(err, access.ErrLocked):
		return &Error{Status: http.StatusForbidden, Code: "account_locked", Message: err.Error()}
	case errors.Is(err, access.ErrDisabled):
		return &Error{Status: http.StatusForbidden, Code: "account_disabled", Message: err.Error()}
	case errors.Is(err, access.ErrUnauthenticated):
		return errUnauthenticated
	}
	s.log.Error().Str("request_id", requestID).Err(err).Msg("request failed")
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error (request " + requestID + ")"}
}

var errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated",
	Message: "sign in (POST /v1/login) or send an API key as Authorization: Bearer"}

// unknownField extracts the field name from encoding/json's message.
var unknownField = regexp.MustCompile(`^json: unknown field "([A-Za-z0-9_.-]{1,64})"$`)

// Decode reads the JSON request body into v: one object, no unknown
// fields, within the size limit. Its errors name the problem and the
// field, never a value.
func (c *Call) Decode(r *http.Request, v any) *Error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
		}
	} else if r.ContentLength != 0 {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				return Errorf(http.StatusBadRequest, "body_too_large", "the request body is larger than %d bytes", mbe.Limit)
			}
			return Errorf(http.StatusBadRequest, "malformed_json", "the body holds more than one JSON value")
		}
		return nil
	}
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return Errorf(http.StatusBadRequest, "body_too_large", "the request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "malformed_json", "the request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, "malformed_json", "the JSON body ends early")
	case errors.As(err, &se):
		return Errorf(http.StatusBadRequest, "malformed_json", "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the body"
		}
		return Errorf(http.StatusBadRequest, "invalid_field", "field %s has the wrong type: want %s", field, te.Type.String())
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		return Errorf(http.StatusBadRequest, "unknown_field", "unknown field %s", m[1])
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return Errorf(http.StatusBadRequest, "unknown_field", "the body has an unknown field")
	}
	return Errorf(http.StatusBadRequest, "invalid_field", "a field has an invalid value")
}

// Access describes one disclosure to record.
type Access struct {
	// Action is read, list, export or denied.
	Action string
	// Resource is what was read: an entity (patient/123), event/<id>,
	// events, audit-log.
	Resource string
	// Patient is the patient entity the disclosure concerns, if any.
	Patient string
	// Outcome is success (default), failure or denied.
	Outcome string
	// Attrs add non-PHI detail (a count, whether PHI was decrypted).
	Attrs map[string]string
}

// patientOf returns the patient entity an entity or subject names.
func patientOf(names ...string) string {
	for _, n := range names {
		if strings.HasPrefix(n, "patient/") {
			return n
		}
	}
	return ""
}

// fhirPatientRef turns patient/123 into Patient/123.
func fhirPatientRef(p string) string {
	if rest, ok := strings.CutPrefix(p, "patient/"); ok {
		return "Patient/" + rest
	}
	return ""
}

// Record appends an access event to the workspace ledger and returns once
// it is durable: entity audit/<patient or resource>, type access.<action>,
// with the actor, purpose, outcome and request ID. A patient's accounting
// of disclosures is the history of audit/patient/<id>.
func (c *Call) Record(ctx context.Context, a Access) error {
	if c.Ledger == nil {
		return fmt.Errorf("api: record access outside a workspace")
	}
	if !c.s.recordAccess {
		return nil
	}
	_, err := c.Ledger.Append(ctx, c.accessEvent(a))
	return err
}

// RecordEach records one access event per patient, as BALP asks for
// queries whose results concern several patients, concurrently so that the
// ledger commits them together; with no patients it records one event.
func (c *Call) RecordEach(ctx context.Context, a Access, patients []string) error {
	if len(patients) == 0 {
		return c.Record(ctx, a)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(patients))
	for i, p := range patients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := a
			b.Patient = p
			errs[i] = c.Record(ctx, b)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Call) accessEvent(a Access) ledger.Event {
	if a.Outcome == "" {
		a.Outcome = "success"
	}
	attrs := map[string]string{
		"actor": c.actor(), "action": a.Action, "resource": a.Resource, "purpose": c.Purpose,
		"outcome": a.Outcome, "request_id": c.RequestID, "channel": c.Channel, "role": c.Role.String(),
		"client": c.client(),
	}
	if p := c.Principal; p != nil {
		attrs["principal"] = p.Kind.String()
		if p.Kind == access.KindKey && p.Account != nil {
			attrs["account"] = p.Account.Entity()
		}
	}
	if c.Grant != nil {
		attrs["break_glass"] = c.Grant.ID
	}
	entity := "audit/" + a.Resource
	if a.Patient != "" {
		attrs["patient"] = fhirPatientRef(a.Patient)
		entity = "audit/" + a.Patient
	}
	for k, v := range a.Attrs {
		if _, taken := attrs[k]; !taken {
			attrs[k] = v
		}
	}
	return ledger.Event{Entity: entity, Type: "access." + a.Action, Source: ledger.SourceSystem, Confidence: 1, Actor: c.actor(), Attrs: attrs}
}

func (c *Call) actor() string {
	if c.Principal == nil {
		return "anonymous"
	}
	return c.Principal.Actor
}

func (c *Call) client() string {
	if c.Channel == "cli" {
		return "local"
	}
	host, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil {
		return "unknown"
	}
	return host
}

// purposes are the accepted purposes of use and their HL7 v3 ActReason
// codes (used in the FHIR export).
var purposes = map[string]string{
	"treatment": "TREAT", "payment": "HPAYMT", "operations": "HOPERAT", "emergency": "ETREAT",
	"patient-request": "PATRQT", "audit": "HSYSADMIN",
}

func writeJSON(w http.ResponseWriter, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
