package sip

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The guard sits between the sockets and sipgo. It frames messages itself
// (datagrams, or Content-Length on streams), refuses what sipgo would parse
// wrongly or silently drop, answers what it can with a stateless error
// response built from the raw header lines, and passes on only messages
// sipgo parses. sipgo never sees bytes the guard has not framed.

var (
	crlfcrlf = []byte("\r\n\r\n")
	crlf     = []byte("\r\n")
)

// compactNames maps RFC 3261 §7.3.3 compact header names to long ones.
var compactNames = map[string]string{
	"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
	"c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}

// rawHeader is one header field as it appeared on the wire, unfolded.
type rawHeader struct {
	name  string // lower-case long form
	value string
}

// splitRaw returns the start line and the unfolded header fields of a
// message head (everything before the blank line).
func splitRaw(head []byte) (string, []rawHeader) {
	lines := strings.Split(string(head), "\r\n")
	start := lines[0]
	var hs []rawHeader
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(hs) > 0 {
			hs[len(hs)-1].value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n := strings.ToLower(strings.TrimSpace(name))
		if long, ok := compactNames[n]; ok {
			n = long
		}
		hs = append(hs, rawHeader{name: n, value: strings.TrimSpace(value)})
	}
	return start, hs
}

// lengthCheck describes a message's Content-Length headers.
type lengthCheck struct {
	n        int // the value, when all headers agree
	count    int
	conflict bool // headers disagree: the message has no length
	invalid  bool
	tooLarge bool
}

// contentLength reads the Content-Length headers. Repeated headers that
// agree still frame the message (validation refuses it later, keeping a
// stream usable); headers that disagree leave it without a length.
func contentLength(hs []rawHeader, limit int) lengthCheck {
	var lc lengthCheck
	for _, h := range hs {
		if h.name != "content-length" {
			continue
		}
		lc.count++
		v := h.value
		if v == "" || strings.TrimLeft(v, "0123456789") != "" {
			lc.invalid = true
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n > limit {
			lc.tooLarge = true
			continue
		}
		if lc.count > 1 && n != lc.n {
			lc.conflict = true
		}
		lc.n = n
	}
	return lc
}

// rawResponse builds a stateless error response to a request from its raw
// header lines (RFC 3261 §8.2.6), or returns nil when the message is a
// response, an ACK, or lacks the headers a response must copy.
func rawResponse(head []byte, code int, reason string) []byte {
	start, hs := splitRaw(head)
	if strings.HasPrefix(start, "SIP/") || start == "" {
		return nil
	}
	method, _, _ := strings.Cut(strings.TrimLeft(start, " "), " ")
	if strings.EqualFold(method, "ACK") {
		return nil
	}
	var vias []string
	var from, to, callID, cseq string
	for _, h := range hs {
		switch h.name {
		case "via":
			vias = append(vias, h.value)
		case "from":
			if from == "" {
				from = h.value
			}
		case "to":
			if to == "" {
				to = h.value
			}
		case "call-id":
			if callID == "" {
				callID = h.value
			}
		case "cseq":
			if cseq == "" {
				cseq = h.value
			}
		}
	}
	if len(vias) == 0 || from == "" || to == "" || callID == "" || cseq == "" {
		return nil
	}
	if !strings.Contains(strings.ToLower(to), "tag=") && strings.Count(to, `"`)%2 == 0 {
		to += ";tag=" + sip.GenerateTagN(10)
	}
	var b bytes.Buffer
	b.WriteString("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n")
	for _, v := range vias {
		b.WriteString("Via: " + v + "\r\n")
	}
	b.WriteString("From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + callID + "\r\nCSeq: " + cseq +
		"\r\nServer: " + productName + "\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// requestURIScheme returns the scheme of the Request-URI of a raw request
// start line when it is a well-formed scheme token (RFC 3986 §3.1).
func requestURIScheme(start string) string {
	parts := strings.Fields(start)
	if len(parts) < 2 {
		return ""
	}
	scheme, _, ok := strings.Cut(parts[1], ":")
	if !ok || scheme == "" {
		return ""
	}
	for i, c := range scheme {
		alpha := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return strings.ToLower(scheme)
}

// forceRport adds an empty rport parameter to the top Via of a request so
// that sipgo answers to the packet's source address and port (RFC 3581),
// as SBCs do for peers behind NAT. It returns msg unchanged when the top
// Via already has one or cannot be found.
func forceRport(msg []byte, headEnd int) []byte {
	i := bytes.Index(msg, crlf)
	for i >= 0 && i < headEnd {
		lineStart := i + 2
		rel := bytes.Index(msg[lineStart:], crlf)
		if rel < 0 {
			return msg
		}
		line := msg[lineStart : lineStart+rel]
		colon := bytes.IndexByte(line, ':')
		if colon > 0 {
			name := strings.ToLower(strings.TrimSpace(string(line[:colon])))
			if name == "via" || name == "v" {
				val := line[colon+1:]
				end := bytes.IndexByte(val, ',')
				if end < 0 {
					end = len(val)
				}
				first := val[:end]
				if bytes.Contains(bytes.ToLower(first), []byte(";rport")) {
					return msg
				}
				trimmed := len(bytes.TrimRight(first, " \t"))
				at := lineStart + colon + 1 + trimmed
				out := make([]byte, 0, len(msg)+6)
				out = append(out, msg[:at]...)
				out = append(out, ";rport"...)
				return append(out, msg[at:]...)
			}
		}
		i = lineStart + rel
	}
	return msg
}

// completeLines trims data after its last CRLF, so that a header cut off
// by a size limit is not copied into a response.
func completeLines(data []byte) []byte {
	if i := bytes.LastIndex(data, crlf); i >= 0 {
		return data[:i+2]
	}
	return nil
}

// guard holds the policy shared by all of an agent's sockets.
type guard struct {
	maxMessage     int
	partialTimeout time.Duration
	parser         *sip.Parser
	stats          *counters
}

// inspect checks one framed message. It returns the bytes to hand to sipgo
// (nil to drop) and a response to send back (nil for none).
func (g *guard) inspect(msg []byte, headEnd int, datagram bool) (pass, reply []byte) {
	head := msg[:headEnd+2]
	if datagram {
		if reject := g.datagramLength(msg, headEnd); reject != nil {
			g.stats.malformed.Add(1)
			return nil, reject
		}
	}
	start, _ := splitRaw(head)
	isRequest := !strings.HasPrefix(start, "SIP/")
	if isRequest && datagram {
		msg = forceRport(msg, headEnd)
	}
	if _, err := g.parser.ParseSIP(msg); err != nil {
		g.stats.malformed.Add(1)
		if !isRequest {
			return nil, nil
		}
		code, reason := 400, "Bad Request"
		if s := requestURIScheme(start); s != "" && s != "sip" && s != "sips" {
			code, reason = 416, "Unsupported URI Scheme"
		}
		return nil, rawResponse(head, code, reason)
	}
	return msg, nil
}

// datagramLength applies RFC 3261 §18.3 to a datagram: a Content-Length
// beyond the datagram is an error; extra octets after the body are ignored.
func (g *guard) datagramLength(msg []byte, headEnd int) []byte {
	_, hs := splitRaw(msg[:headEnd+2])
	lc := contentLength(hs, g.maxMessage)
	head := msg[:headEnd+2]
	switch {
	case lc.conflict:
		return rawResponse(head, 400, "Conflicting Content-Length")
	case lc.invalid || lc.tooLarge:
		return rawResponse(head, 400, "Bad Content-Length")
	case lc.count == 1 && lc.n > len(msg)-(headEnd+4):
		return rawResponse(head, 400, "Content-Length Mismatch")
	}
	return nil
}

// datagram checks one UDP datagram.
func (g *guard) datagram(data []byte) (pass, reply []byte) {
	if len(bytes.Trim(data, "\r\n")) == 0 || data[0] <= ' ' || data[0] > '~' {
		// Keep-alives, STUN and binary noise.
		return nil, nil
	}
	headEnd := bytes.Index(data, crlfcrlf)
	if len(data) > g.maxMessage {
		g.stats.malformed.Add(1)
		if headEnd > 0 {
			return nil, rawResponse(data[:headEnd+2], 513, "Message Too Large")
		}
		return nil, rawResponse(completeLines(data), 513, "Message Too Large")
	}
	if headEnd < 0 {
		// No blank line: the datagram still bounds the header section.
		g.stats.malformed.Add(1)
		return nil, rawResponse(data, 400, "Bad Request")
	}
	return g.inspect(data, headEnd, true)
}

// guardedPacketConn filters a UDP socket's datagrams through the guard.
type guardedPacketConn struct {
	net.PacketConn
	g   *guard
	buf []byte
}

func newGuardedPacketConn(c net.PacketConn, g *guard) *guardedPacketConn {
	return &guardedPacketConn{PacketConn: c, g: g, buf: make([]byte, 65536)}
}

// ReadFrom returns the next datagram that passes the guard.
func (c *guardedPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(c.buf)
		if err != nil {
			return 0, addr, err
		}
		pass, reply := c.g.datagram(c.buf[:n])
		if reply != nil {
			_, _ = c.PacketConn.WriteTo(reply, addr)
		}
		if pass == nil || len(pass) > len(p) {
			continue
		}
		return copy(p, pass), addr, nil
	}
}

// guardedListener wraps accepted stream connections in guardedConn and caps
// how many may be open at once.
type guardedListener struct {
	net.Listener
	g     *guard
	max   int64
	count atomic.Int64
}

// Accept returns the next connection within the connection limit.
func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.count.Add(1) > l.max {
			l.count.Add(-1)
			l.g.stats.malformed.Add(1)
			_ = c.Close()
			continue
		}
		return &guardedConn{Conn: c, g: l.g, release: func() { l.count.Add(-1) }, rbuf: make([]byte, 8192)}, nil
	}
}

// errFraming ends a stream whose framing can no longer be trusted.
var errFraming = errors.New("sip: stream framing lost")

// guardedConn frames a SIP stream by Content-Length (RFC 3261 §18.3) and
// passes sipgo only whole messages that parse.
type guardedConn struct {
	net.Conn
	g       *guard
	in, out []byte
	rbuf    []byte
	fatal   error
	release func()
	once    sync.Once
}

// Close closes the connection and releases its slot.
func (c *guardedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// Read returns validated message bytes.
func (c *guardedConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.fatal != nil {
			return 0, c.fatal
		}
		if c.frame() {
			continue
		}
		if c.fatal != nil {
			continue
		}
		// A partial message must complete in time; an idle connection
		// between messages may wait as long as it likes.
		var deadline time.Time
		if len(c.in) > 0 && !bytes.HasPrefix(crlfcrlf, c.in) {
			deadline = time.Now().Add(c.g.partialTimeout)
		}
		_ = c.Conn.SetReadDeadline(deadline)
		n, err := c.Conn.Read(c.rbuf)
		c.in = append(c.in, c.rbuf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.g.stats.malformed.Add(1)
				return 0, io.EOF
			}
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// frame consumes what it can from c.in. It reports whether it made
// progress; it sets c.fatal when the stream must close.
func (c *guardedConn) frame() bool {
	progress := false
	// RFC 5626 §3.5.1 keep-alive: CRLFCRLF ping, CRLF pong; stray CRLFs
	// before a start line are ignored (RFC 3261 §7.5).
	for bytes.HasPrefix(c.in, crlf) {
		switch {
		case bytes.HasPrefix(c.in, crlfcrlf):
			_, _ = c.Conn.Write(crlf)
			c.in = c.in[4:]
		case bytes.HasPrefix(crlfcrlf, c.in):
			// Maybe the start of a ping: wait for the rest.
			return progress
		default:
			c.in = c.in[2:]
		}
		progress = true
	}
	if len(c.in) == 0 {
		c.in = nil
		return progress
	}
	headEnd := bytes.Index(c.in, crlfcrlf)
	if headEnd < 0 {
		if len(c.in) > c.g.maxMessage {
			c.g.stats.malformed.Add(1)
			if reply := rawResponse(completeLines(c.in), 513, "Message Too Large"); reply != nil {
				_, _ = c.Conn.Write(reply)
			}
			c.fatal = errFraming
		}
		return progress
	}
	head := c.in[:headEnd+2]
	_, hs := splitRaw(head)
	lc := contentLength(hs, c.g.maxMessage)
	var reply []byte
	switch {
	case lc.count == 0:
		reply = rawResponse(head, 400, "Missing Content-Length")
	case lc.conflict:
		reply = rawResponse(head, 400, "Conflicting Content-Length")
	case lc.invalid:
		reply = rawResponse(head, 400, "Bad Content-Length")
	case lc.tooLarge || headEnd+4+lc.n > c.g.maxMessage:
		reply = rawResponse(head, 513, "Message Too Large")
	}
	if reply != nil {
		c.g.stats.malformed.Add(1)
		_, _ = c.Conn.Write(reply)
		c.fatal = errFraming
		return true
	}
	total := headEnd + 4 + lc.n
	if len(c.in) < total {
		return progress
	}
	msg := c.in[:total:total]
	c.in = c.in[total:]
	pass, reply := c.g.inspect(msg, headEnd, false)
	if reply != nil {
		_, _ = c.Conn.Write(reply)
	}
	if pass != nil {
		c.out = append(c.out, pass...)
	}
	return true
}
