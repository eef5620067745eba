package sip

import (
	"bytes"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// rejection is the response a request earns when it fails validation.
type rejection struct {
	code    int
	reason  string
	headers []sip.Header
}

// supportedExtensions are the option tags the agent implements; a Require
// naming anything else is refused with 420 (RFC 3261 §8.2.2.3).
var supportedExtensions = []string{}

const rfc3261Cookie = "z9hG4bK"

// singletons are headers that must appear exactly once in every request,
// and optionals that may appear at most once.
var (
	singletons = []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards"}
	optionals  = []string{"Content-Length", "Content-Type"}
)

// headerOf returns the first header with the long or the compact name
// (RFC 3261 §7.3.3); sipgo keeps unparsed headers under the name they
// arrived with.
func headerOf(m interface{ GetHeader(string) sip.Header }, long, compact string) sip.Header {
	if h := m.GetHeader(long); h != nil {
		return h
	}
	return m.GetHeader(compact)
}

// validateRequest applies the checks a UAS makes before acting on a request
// that parsed (RFC 3261 §8.2, RFC 4475). It returns nil when the request may
// be processed.
func validateRequest(req *sip.Request) *rejection {
	if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
		return &rejection{code: 505, reason: "Version Not Supported"}
	}
	if len(req.GetHeaders("Via")) == 0 {
		return &rejection{code: 400, reason: "Missing Via"}
	}
	for _, name := range singletons {
		switch n := len(req.GetHeaders(name)); {
		case n == 0:
			return &rejection{code: 400, reason: "Missing " + name}
		case n > 1:
			return &rejection{code: 400, reason: "Duplicate " + name}
		}
	}
	for _, name := range optionals {
		if len(req.GetHeaders(name)) > 1 {
			return &rejection{code: 400, reason: "Duplicate " + name}
		}
	}
	via := req.Via()
	if !strings.EqualFold(via.ProtocolName, "SIP") || via.ProtocolVersion != "2.0" {
		return &rejection{code: 400, reason: "Bad Via Protocol"}
	}
	if branch, ok := via.Params.Get("branch"); ok && (branch == rfc3261Cookie || branch == "") {
		// RFC 4475 §3.1.2.1 (badbranch): the cookie promises an RFC 3261
		// transaction identifier that is not there.
		return &rejection{code: 400, reason: "Missing Transaction Identifier"}
	}
	// sipgo upper-cases the request line's method but not CSeq's.
	if !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)) {
		return &rejection{code: 400, reason: "CSeq Method Mismatch"}
	}
	if s := strings.ToLower(req.Recipient.Scheme); s != "sip" && s != "sips" {
		return &rejection{code: 416, reason: "Unsupported URI Scheme"}
	}
	if len(req.Recipient.Headers) > 0 {
		// RFC 4475 §3.1.2.11 (escruri): headers belong in a Request-URI
		// only as a way to build requests, never on the wire.
		return &rejection{code: 400, reason: "Malformed Request-URI"}
	}
	if mf := uint32(*req.MaxForwards()); mf > 255 {
		return &rejection{code: 400, reason: "Bad Max-Forwards"}
	} else if mf == 0 && req.Method != sip.OPTIONS {
		// An endpoint answers OPTIONS itself even at zero hops (RFC 3261
		// §16.3 item 2, RFC 4475 §3.3.11); everything else has looped.
		return &rejection{code: 483, reason: "Too Many Hops"}
	}
	if req.IsInvite() {
		if _, ok := req.From().Params.Get("tag"); !ok {
			return &rejection{code: 400, reason: "Missing From Tag"}
		}
	}
	if !req.IsAck() && !req.IsCancel() {
		if unsupported := unsupportedRequire(req); len(unsupported) > 0 {
			return &rejection{code: 420, reason: "Bad Extension",
				headers: []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsupported, ", "))}}
		}
	}
	if rej := validateBody(req); rej != nil {
		return rej
	}
	if req.IsInvite() && !acceptsSDP(req) {
		return &rejection{code: 406, reason: "Not Acceptable",
			headers: []sip.Header{sip.NewHeader("Accept", "application/sdp")}}
	}
	return nil
}

func unsupportedRequire(req *sip.Request) []string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			tag = strings.TrimSpace(tag)
			if tag != "" && !containsFold(supportedExtensions, tag) {
				out = append(out, tag)
			}
		}
	}
	return out
}

// bodyTypes lists the content types each method's body may carry.
var bodyTypes = map[sip.RequestMethod][]string{
	sip.INVITE: {"application/sdp", "multipart/mixed"},
	sip.ACK:    {"application/sdp", "multipart/mixed"},
	sip.INFO:   {"application/dtmf-relay", "application/dtmf"},
	sip.NOTIFY: {"message/sipfrag"},
}

func validateBody(req *sip.Request) *rejection {
	if len(req.Body()) == 0 {
		return nil
	}
	ct := req.ContentType()
	if ct == nil {
		return &rejection{code: 400, reason: "Missing Content-Type"}
	}
	if h := headerOf(req, "Content-Encoding", "e"); h != nil && !strings.EqualFold(strings.TrimSpace(h.Value()), "identity") {
		return &rejection{code: 415, reason: "Unsupported Media Type",
			headers: []sip.Header{sip.NewHeader("Accept-Encoding", "identity")}}
	}
	allowed, checked := bodyTypes[req.Method]
	if !checked {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct.Value())
	if err != nil || !containsFold(allowed, mt) {
		return &rejection{code: 415, reason: "Unsupported Media Type",
			headers: []sip.Header{sip.NewHeader("Accept", strings.Join(allowed, ", "))}}
	}
	return nil
}

// acceptsSDP reports whether an INVITE's Accept header (if any) admits an
// SDP answer (RFC 4475 §3.3.15, sdp01).
func acceptsSDP(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	empty := true
	for _, h := range hs {
		for _, item := range strings.Split(h.Value(), ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(item), ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			if mt == "" {
				continue
			}
			empty = false
			if mt == "application/sdp" || mt == "application/*" || mt == "*/*" {
				return true
			}
		}
	}
	return empty
}

// sdpBody returns the SDP carried by a request or response: the body itself,
// or the application/sdp part of a multipart/mixed body.
func sdpBody(ct *sip.ContentTypeHeader, body []byte) []byte {
	if len(body) == 0 || ct == nil {
		return body
	}
	mt, params, err := mime.ParseMediaType(ct.Value())
	if err != nil || !strings.EqualFold(mt, "multipart/mixed") {
		return body
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			return nil
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if strings.EqualFold(pt, "application/sdp") {
			var b bytes.Buffer
			if _, err := b.ReadFrom(p); err != nil {
				return nil
			}
			return b.Bytes()
		}
	}
}
