package egress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdesk/gate/phi"
	"frontdesk/ledger"
)

// outbound is a request that passed the class rules, ready to send.
type outbound struct {
	dest     *destination
	method   string
	url      string
	header   http.Header
	body     []byte
	kind     string
	operator string
	counts   phi.Counts
}

// refusal is why a request was not sent: a short reason for the ledger and
// an error for the caller.
type refusal struct {
	reason string
	err    error
}

var purposeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true,
}

// Do sends req to its destination if the destination's class allows it,
// after applying the class's rules to the payload, retrying as the
// destination allows, and records the egress in the ledger of
// req.Workspace: egress.sent when an answer came back (whatever its
// status), egress.failed when the destination did not answer or kept
// failing, egress.refused when nothing was sent. Errors name the
// destination and never hold any part of the payload.
//
// A 429 or 5xx that persists after the last attempt is an error wrapping
// ErrUnavailable; any other status is returned in the Response for the
// caller to interpret.
func (g *Gate) Do(ctx context.Context, req Request) (*Response, error) {
	rec, err := g.opts.Recorder(req.Workspace)
	if err != nil {
		return nil, fmt.Errorf("egress: ledger of workspace %q: %w (nothing was sent)", req.Workspace, err)
	}
	out, ref := g.prepare(ctx, req)
	if ref == nil && ctx.Err() != nil {
		ref = &refusal{"cancelled", fmt.Errorf("egress %s: %w (nothing was sent)", out.dest.Name, ctx.Err())}
	}
	if ref != nil {
		attrs := map[string]string{"reason": ref.reason}
		if out != nil {
			attrs["bytes"] = "0"
		}
		_, rerr := g.record(ctx, rec, req, out, "egress.refused", attrs)
		if rerr != nil {
			return nil, errors.Join(ref.err, rerr)
		}
		return nil, ref.err
	}
	sum := sha256.Sum256(out.body)
	eg := Egress{
		Destination: out.dest.Name, Class: out.dest.Class, SHA256: hex.EncodeToString(sum[:]),
		Bytes: len(out.body), Counts: out.counts,
	}
	status, header, body, attempts, sendErr := g.send(ctx, out, req.Idempotent)
	eg.Attempts = attempts
	attrs := map[string]string{
		"sha256": eg.SHA256, "bytes": strconv.Itoa(eg.Bytes), "attempts": strconv.Itoa(attempts),
		"status": strconv.Itoa(status),
	}
	typ := "egress.sent"
	if sendErr != nil {
		typ = "egress.failed"
		attrs["reason"] = failureReason(sendErr)
	}
	ev, rerr := g.record(ctx, rec, req, out, typ, attrs)
	if sendErr != nil {
		return nil, errors.Join(sendErr, rerr)
	}
	if rerr != nil {
		return nil, rerr
	}
	eg.EventID = ev.ID
	return &Response{Status: status, Header: header, Body: body, Egress: eg}, nil
}

// prepare checks req against its destination and applies the class rules.
// On refusal it returns the outbound request as far as it was built (nil if
// the destination is unknown) for the record.
func (g *Gate) prepare(ctx context.Context, req Request) (*outbound, *refusal) {
	g.mu.RLock()
	dest, ok := g.dests[req.Destination]
	g.mu.RUnlock()
	if !ok {
		return nil, &refusal{"unknown-destination", fmt.Errorf("egress %q: %w: add it to the configuration first", safeName(req.Destination), ErrUnknownDestination)}
	}
	out := &outbound{dest: dest, kind: "none", operator: "none", counts: phi.Counts{}}
	refuse := func(reason, format string, args ...any) (*outbound, *refusal) {
		return out, &refusal{reason, fmt.Errorf("egress %s: %w: "+format, append([]any{dest.Name, ErrRefused}, args...)...)}
	}
	ws := req.Workspace
	if ws == "" {
		ws = "system"
	}
	if !dest.allows(ws) {
		return refuse("workspace-not-allowed", "the destination does not take data of workspace %q", ws)
	}
	if req.Purpose != "" && !purposeRE.MatchString(req.Purpose) {
		return refuse("invalid-request", "purpose must be a short token (a-z, 0-9, '.', '_', '-')")
	}
	out.method = req.Method
	if out.method == "" {
		out.method = http.MethodGet
		if req.Payload != nil {
			out.method = http.MethodPost
		}
	}
	if !methods[out.method] {
		return refuse("invalid-request", "method %q is not allowed", safeToken(out.method))
	}

	det := req.Detector
	if det == nil {
		det = g.opts.Detector
	}
	var op phi.Operator
	switch {
	case dest.Class == ClassBAA:
	case dest.Class == ClassRedacted && req.Pseudonyms != nil:
		op, out.operator = req.Pseudonyms, "pseudonym"
	case dest.Class == ClassRedacted:
		op, out.operator = phi.Placeholder, "placeholder"
	default:
		out.operator = "withhold"
	}
	r := newRules(dest.Class, det, op, req.PassThrough)
	out.counts = r.counts

	u, reason, err := buildURL(dest, r, req.Path, req.Query)
	if err != nil {
		return refuse(reason, "%v", err)
	}
	out.url = u.String()

	out.header = http.Header{}
	for k, vs := range req.Header {
		ck := http.CanonicalHeaderKey(k)
		if !headerRE.MatchString(k) || reservedHeaders[ck] || (dest.Auth != nil && ck == http.CanonicalHeaderKey(dest.Auth.header())) {
			return refuse("reserved-header", "header %q is set by the gate only", safeToken(k))
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return refuse("invalid-request", "header %s holds a control character", ck)
			}
			if dest.Class != ClassBAA && !r.safe(v) {
				return refuse("header-not-clean", "header %s may hold PHI, which cannot be redacted from a header; the destination is class %s", ck, dest.Class)
			}
			out.header.Add(ck, v)
		}
	}
	out.header.Set("User-Agent", "frontdesk")

	if req.Payload != nil {
		out.kind = req.Payload.payloadKind()
		body, ctype, ref := encodeBody(dest, r, req.Payload)
		if ref != nil {
			ref.err = fmt.Errorf("egress %s: %w", dest.Name, ref.err)
			return out, ref
		}
		out.body = body
		out.header.Set("Content-Type", ctype)
	}

	if dest.Auth != nil {
		if g.opts.Secrets == nil {
			return refuse("secret-unavailable", "the destination needs secret %q and no secret source is configured", dest.Auth.Secret)
		}
		v, err := g.opts.Secrets.Secret(ctx, dest.Auth.Secret)
		if err != nil || v == "" || strings.ContainsAny(v, "\r\n\x00") {
			// The source's error is not wrapped: it could quote the value.
			return refuse("secret-unavailable", "secret %q is missing or unusable", dest.Auth.Secret)
		}
		if dest.Auth.Scheme != "" {
			v = dest.Auth.Scheme + " " + v
		}
		out.header.Set(dest.Auth.header(), v)
	}
	if req.Sign != nil {
		if err := req.Sign(out.body, out.header); err != nil {
			return refuse("sign-failed", "signing the body failed")
		}
	}
	return out, nil
}

// buildURL joins the destination's base URL and path, checking each part;
// for a destination that is not baa every path segment and query value must
// be safe (see rules.safe).
func buildURL(dest *destination, r *rules, path string, query url.Values) (*url.URL, string, error) {
	if strings.ContainsAny(path, "?#\\\x00") || strings.Contains(path, "://") {
		return nil, "invalid-path", fmt.Errorf("path must be relative to the base URL, without a query or fragment")
	}
	var segs []string
	for _, s := range strings.Split(path, "/") {
		if s == "" {
			continue
		}
		if s == "." || s == ".." {
			return nil, "invalid-path", fmt.Errorf("path may not hold '.' or '..' segments")
		}
		if !utf8.ValidString(s) || strings.IndexFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
			return nil, "invalid-path", fmt.Errorf("path holds control characters or is not UTF-8")
		}
		if dest.Class != ClassBAA && (!segmentRE.MatchString(s) || !r.safe(s)) {
			return nil, "path-not-clean", fmt.Errorf("the path may hold PHI, which cannot be redacted from a URL; the destination is class %s", dest.Class)
		}
		segs = append(segs, s)
	}
	for k, vs := range query {
		if !keyRE.MatchString(k) {
			return nil, "invalid-query", fmt.Errorf("query parameter names must be field names")
		}
		for _, v := range vs {
			if dest.Class != ClassBAA && !r.safe(v) {
				return nil, "query-not-clean", fmt.Errorf("query parameter %q may hold PHI, which cannot be redacted from a URL; the destination is class %s", k, dest.Class)
			}
		}
	}
	u := *dest.base
	if len(segs) > 0 {
		u.Path = dest.base.Path + "/" + strings.Join(segs, "/")
		if strings.HasSuffix(path, "/") {
			u.Path += "/"
		}
	}
	u.RawQuery = query.Encode()
	return &u, "", nil
}

// encodeBody applies the class rules to a payload and returns the bytes to
// send and their content type.
func encodeBody(dest *destination, r *rules, p Payload) ([]byte, string, *refusal) {
	baa := dest.Class == ClassBAA
	switch p := p.(type) {
	case JSON:
		var raw []byte
		switch v := p.Value.(type) {
		case json.RawMessage:
			raw = v
		case []byte:
			raw = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: the JSON payload does not encode: %v", ErrRefused, jsonErrKind(err))}
			}
			raw = b
		}
		if !json.Valid(raw) {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: the JSON payload is not valid JSON", ErrRefused)}
		}
		if baa {
			return raw, "application/json", nil
		}
		doc, err := decodeJSON(raw)
		if err != nil {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: the JSON payload is not one document", ErrRefused)}
		}
		b, err := encodeJSON(r.value(nil, doc))
		if err != nil {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: re-encoding the JSON payload failed", ErrRefused)}
		}
		return b, "application/json", nil
	case Text:
		ct := p.ContentType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: text content type is not a media type", ErrRefused)}
		}
		if baa {
			return []byte(p.Body), ct, nil
		}
		if !utf8.ValidString(p.Body) {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: text for a %s destination must be UTF-8", ErrRefused, dest.Class)}
		}
		return []byte(r.text(p.Body)), ct, nil
	case Audio:
		if !baa {
			return nil, "", &refusal{"audio-not-baa", fmt.Errorf("%w; destination is class %s", ErrAudioRefused, dest.Class)}
		}
		ct := p.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: audio content type is not a media type", ErrRefused)}
		}
		return p.Data, ct, nil
	case Form:
		return encodeForm(dest, r, p)
	}
	return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: unknown payload type %T", ErrRefused, p)}
}

// encodeForm builds a multipart/form-data body.
func encodeForm(dest *destination, r *rules, f Form) ([]byte, string, *refusal) {
	baa := dest.Class == ClassBAA
	if !baa {
		for _, file := range f.Files {
			if strings.HasPrefix(strings.ToLower(file.ContentType), "audio/") {
				return nil, "", &refusal{"audio-not-baa", fmt.Errorf("%w; destination is class %s", ErrAudioRefused, dest.Class)}
			}
		}
		if len(f.Files) > 0 {
			return nil, "", &refusal{"file-not-baa", fmt.Errorf("%w; destination is class %s", ErrFileRefused, dest.Class)}
		}
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	bad := func(format string, args ...any) ([]byte, string, *refusal) {
		return nil, "", &refusal{"invalid-payload", fmt.Errorf("%w: form: "+format, append([]any{ErrRefused}, args...)...)}
	}
	for _, fd := range f.Fields {
		if !keyRE.MatchString(fd.Name) || (!baa && !r.clean(fd.Name)) {
			return bad("field names must be field names")
		}
		v := fd.Value
		if !baa {
			if !validUTF8(v) {
				return bad("field %q is not UTF-8", fd.Name)
			}
			if !(r.passes([]string{fd.Name}) && passToken(v) && (r.class == ClassRedacted || r.clean(v))) {
				v = r.text(v)
			}
		}
		if err := w.WriteField(fd.Name, v); err != nil {
			return bad("%v", err)
		}
	}
	for _, file := range f.Files {
		if !keyRE.MatchString(file.Field) {
			return bad("file field names must be field names")
		}
		ct := file.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return bad("file content type is not a media type")
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": file.Field, "filename": file.Filename}))
		h.Set("Content-Type", ct)
		pw, err := w.CreatePart(h)
		if err != nil {
			return bad("%v", err)
		}
		pw.Write(file.Data) // writes to a bytes.Buffer do not fail
	}
	if err := w.Close(); err != nil {
		return bad("%v", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// StatusError reports a destination that kept answering 429 or 5xx: its
// last status and how many attempts were made. It wraps ErrUnavailable.
type StatusError struct {
	Destination string
	Status      int
	Attempts    int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("egress %s: %v: HTTP %d after %d attempt(s)", e.Destination, ErrUnavailable, e.Status, e.Attempts)
}

// Unwrap makes errors.Is(err, ErrUnavailable) hold.
func (e *StatusError) Unwrap() error { return ErrUnavailable }

// send makes up to the destination's MaxAttempts attempts and returns the
// last answer, or an error wrapping ErrUnavailable, ErrResponseTooLarge or
// the context's error.
func (g *Gate) send(ctx context.Context, out *outbound, idempotent bool) (status int, header http.Header, body []byte, attempts int, err error) {
	d := out.dest.eff
	idempotent = idempotent || idempotentMethods[out.method]
	for {
		attempts++
		var retryAfter time.Duration
		var terr error
		status, header, body, terr = g.attempt(ctx, out)
		retry := false
		switch {
		case errors.Is(terr, ErrResponseTooLarge):
			return status, nil, nil, attempts, fmt.Errorf("egress %s: %w: more than %d bytes", d.Name, ErrResponseTooLarge, d.MaxResponseBytes)
		case terr != nil:
			if ctx.Err() != nil {
				return 0, nil, nil, attempts, fmt.Errorf("egress %s: %w", d.Name, ctx.Err())
			}
			retry = idempotent || neverSent(terr)
			err = fmt.Errorf("egress %s: %w: %s after %d attempt(s)", d.Name, ErrUnavailable, describe(terr, time.Duration(d.Timeout)), attempts)
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			retry = idempotent || status == http.StatusTooManyRequests
			retryAfter = parseRetryAfter(header.Get("Retry-After"), g.opts.Now())
			err = &StatusError{Destination: d.Name, Status: status, Attempts: attempts}
		case status == http.StatusInternalServerError || status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
			retry = idempotent
			err = &StatusError{Destination: d.Name, Status: status, Attempts: attempts}
		default:
			return status, header, body, attempts, nil
		}
		if !retry || attempts >= d.MaxAttempts || retryAfter > maxRetryAfter {
			return status, nil, nil, attempts, err
		}
		wait := backoff(time.Duration(d.RetryBase), attempts)
		if retryAfter > wait {
			wait = retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && g.opts.Now().Add(wait).After(dl) {
			return status, nil, nil, attempts, err
		}
		if serr := g.opts.Sleep(ctx, wait); serr != nil {
			return status, nil, nil, attempts, fmt.Errorf("egress %s: %w", d.Name, serr)
		}
	}
}

// attempt sends out once and reads the answer, within the destination's
// timeout.
func (g *Gate) attempt(ctx context.Context, out *outbound) (int, http.Header, []byte, error) {
	d := out.dest.eff
	actx, cancel := context.WithTimeout(ctx, time.Duration(d.Timeout))
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, out.method, out.url, bytes.NewReader(out.body))
	if err != nil {
		return 0, nil, nil, err
	}
	hreq.Header = out.header.Clone()
	if out.body == nil {
		hreq.Body, hreq.GetBody, hreq.ContentLength = http.NoBody, nil, 0
	}
	resp, err := g.client.Do(hreq)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, d.MaxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, nil, nil, err
	}
	if int64(len(body)) > d.MaxResponseBytes {
		return resp.StatusCode, nil, nil, ErrResponseTooLarge
	}
	return resp.StatusCode, resp.Header, body, nil
}

// backoff returns the wait before retry n (from 1): base·2^(n-1), capped,
// with jitter over its upper half so that clients do not retry in step.
func backoff(base time.Duration, n int) time.Duration {
	d := base << (n - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// neverSent reports whether err shows the request never reached the
// destination, so repeating it is safe whatever the method.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// describe says what went wrong with an attempt without quoting the URL,
// whose path or query may hold PHI for a baa destination.
func describe(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %v", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op *net.OpError
	if errors.As(err, &op) {
		if op.Op == "dial" {
			return "cannot connect (" + op.Err.Error() + ")"
		}
		return op.Op + " failed (" + op.Err.Error() + ")"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "connection closed before an answer"
	}
	return "transport error (" + err.Error() + ")"
}

// failureReason names a send error for the ledger.
func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrResponseTooLarge):
		return "response-too-large"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "unavailable"
}

// jsonErrKind describes a json.Marshal error without quoting values.
func jsonErrKind(err error) string {
	var ue *json.UnsupportedTypeError
	if errors.As(err, &ue) {
		return "unsupported type " + ue.Type.String()
	}
	return "marshal failed"
}

// safeName returns s if it has the shape of a destination name, or a
// placeholder: a name supplied by a caller could be anything.
func safeName(s string) string {
	if nameRE.MatchString(s) {
		return s
	}
	return "(invalid name)"
}

// safeToken returns s if it has the shape of a header name or method, or a
// placeholder.
func safeToken(s string) string {
	if headerRE.MatchString(s) && len(s) <= 32 {
		return s
	}
	return "(invalid)"
}

// record appends the egress event of req to rec.
func (g *Gate) record(ctx context.Context, rec Recorder, req Request, out *outbound, typ string, attrs map[string]string) (*ledger.Event, error) {
	name := req.Destination
	if !nameRE.MatchString(name) {
		name = "invalid"
	}
	attrs["destination"] = name
	if req.Purpose != "" && purposeRE.MatchString(req.Purpose) {
		attrs["purpose"] = req.Purpose
	}
	if out != nil {
		attrs["class"] = string(out.dest.Class)
		attrs["host"] = out.dest.base.Host
		attrs["payload"] = out.kind
		attrs["operator"] = out.operator
		if out.method != "" {
			attrs["method"] = out.method
		}
		for t, n := range out.counts {
			if n > 0 {
				attrs["redacted."+string(t)] = strconv.Itoa(n)
			}
		}
	}
	entity := req.Entity
	if !strings.Contains(entity, "/") || len(entity) > 256 {
		entity = "destination/" + name
	}
	actor := req.Actor
	if actor == "" {
		actor = "system"
	}
	// The record is written even when ctx has ended: bytes may have left.
	ev, err := rec.Append(context.WithoutCancel(ctx), ledger.Event{
		Entity: entity, Type: typ, Source: ledger.SourceSystem, Confidence: 1, Actor: actor, Attrs: attrs,
	})
	if err != nil {
		return nil, fmt.Errorf("egress %s: %w: %w", name, ErrNotRecorded, err)
	}
	return ev, nil
}
