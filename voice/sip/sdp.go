package sip

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"frontdesk/voice"
)

// Limits that keep a hostile offer from costing more than a real one.
const (
	maxSDPMedia   = 16
	maxSDPFormats = 64
)

var (
	// errMalformedSDP reports an offer or answer that is not valid SDP.
	errMalformedSDP = errors.New("malformed sdp")
	// errNoCodec reports an offer without PCMU or PCMA audio over RTP/AVP.
	errNoCodec = errors.New("no acceptable audio codec offered")
)

// direction is an SDP media direction attribute (RFC 4566 §6, RFC 3264 §5.1).
type direction string

const (
	dirSendRecv direction = "sendrecv"
	dirSendOnly direction = "sendonly"
	dirRecvOnly direction = "recvonly"
	dirInactive direction = "inactive"
)

// answer returns the direction an answerer uses for an offer with d.
func (d direction) answer() direction {
	switch d {
	case dirSendOnly:
		return dirRecvOnly
	case dirRecvOnly:
		return dirSendOnly
	case dirInactive:
		return dirInactive
	}
	return dirSendRecv
}

// sends reports whether the party using d sends media.
func (d direction) sends() bool { return d == dirSendRecv || d == dirSendOnly }

// receives reports whether the party using d receives media.
func (d direction) receives() bool { return d == dirSendRecv || d == dirRecvOnly }

// rtpMap is one a=rtpmap attribute.
type rtpMap struct {
	name string
	rate int
}

// sdpMedia is one m= section.
type sdpMedia struct {
	kind    string
	port    int
	proto   string
	formats []string
	conn    net.IP // media-level c=, nil when absent
	hasConn bool
	rtpmap  map[int]rtpMap
	dir     direction // empty when absent
}

// sdpSession is a parsed session description.
type sdpSession struct {
	conn    net.IP // session-level c=, nil when absent
	hasConn bool
	dir     direction
	media   []sdpMedia
}

// parseSDP parses a session description strictly enough to reject what is
// not SDP (RFC 8866 §5) and leniently enough for the SDP real phones send.
func parseSDP(b []byte) (*sdpSession, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", errMalformedSDP)
	}
	s := &sdpSession{}
	var cur *sdpMedia
	sawVersion, sawOrigin := false, false
	lines := bytes.Split(b, []byte("\n"))
	for i, raw := range lines {
		line := strings.TrimSuffix(string(raw), "\r")
		if line == "" {
			if i == len(lines)-1 || allBlank(lines[i:]) {
				break
			}
			return nil, fmt.Errorf("%w: empty line", errMalformedSDP)
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return nil, fmt.Errorf("%w: line %d is not type=value", errMalformedSDP, i+1)
		}
		typ, val := line[0], line[2:]
		if i == 0 {
			if typ != 'v' || strings.TrimSpace(val) != "0" {
				return nil, fmt.Errorf("%w: must start with v=0", errMalformedSDP)
			}
			sawVersion = true
			continue
		}
		switch typ {
		case 'v':
			return nil, fmt.Errorf("%w: repeated v=", errMalformedSDP)
		case 'o':
			if cur != nil || sawOrigin {
				return nil, fmt.Errorf("%w: misplaced o=", errMalformedSDP)
			}
			if len(strings.Fields(val)) != 6 {
				return nil, fmt.Errorf("%w: o= needs 6 fields", errMalformedSDP)
			}
			sawOrigin = true
		case 'c':
			ip, err := parseConnection(val)
			if err != nil {
				return nil, err
			}
			if cur != nil {
				cur.conn, cur.hasConn = ip, true
			} else {
				s.conn, s.hasConn = ip, true
			}
		case 'm':
			if len(s.media) >= maxSDPMedia {
				return nil, fmt.Errorf("%w: too many m= lines", errMalformedSDP)
			}
			m, err := parseMediaLine(val)
			if err != nil {
				return nil, err
			}
			s.media = append(s.media, m)
			cur = &s.media[len(s.media)-1]
		case 'a':
			name, value, _ := strings.Cut(val, ":")
			switch name {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				if cur != nil {
					cur.dir = direction(name)
				} else {
					s.dir = direction(name)
				}
			case "rtpmap":
				if cur == nil {
					continue
				}
				// A malformed rtpmap (RFC 4475's "a=rtpmap:31 LPC") only
				// makes its format unusable.
				if pt, rm, err := parseRTPMap(value); err == nil {
					cur.rtpmap[pt] = rm
				}
			}
		}
	}
	if !sawVersion || !sawOrigin {
		return nil, fmt.Errorf("%w: missing v= or o=", errMalformedSDP)
	}
	return s, nil
}

func allBlank(lines [][]byte) bool {
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) != 0 {
			return false
		}
	}
	return true
}

// parseConnection parses the value of a c= line. It returns a nil IP for a
// host name, which is legal SDP but not something the agent resolves.
func parseConnection(val string) (net.IP, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return nil, fmt.Errorf("%w: bad c= line", errMalformedSDP)
	}
	addr, _, _ := strings.Cut(f[2], "/")
	ip := net.ParseIP(addr)
	if ip != nil && (ip.To4() != nil) != (f[1] == "IP4") {
		return nil, fmt.Errorf("%w: c= address family mismatch", errMalformedSDP)
	}
	return ip, nil
}

func parseMediaLine(val string) (sdpMedia, error) {
	f := strings.Fields(val)
	if len(f) < 4 || len(f) > 3+maxSDPFormats {
		return sdpMedia{}, fmt.Errorf("%w: bad m= line", errMalformedSDP)
	}
	portStr, _, _ := strings.Cut(f[1], "/")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return sdpMedia{}, fmt.Errorf("%w: bad m= port", errMalformedSDP)
	}
	return sdpMedia{
		kind:    f[0],
		port:    port,
		proto:   f[2],
		formats: f[3:],
		rtpmap:  make(map[int]rtpMap),
	}, nil
}

func parseRTPMap(value string) (int, rtpMap, error) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(value), " ")
	pt, err := strconv.Atoi(ptStr)
	if !ok || err != nil || pt < 0 || pt > 127 {
		return 0, rtpMap{}, fmt.Errorf("%w: bad rtpmap", errMalformedSDP)
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 {
		return 0, rtpMap{}, fmt.Errorf("%w: bad rtpmap encoding", errMalformedSDP)
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return 0, rtpMap{}, fmt.Errorf("%w: bad rtpmap clock rate", errMalformedSDP)
	}
	return pt, rtpMap{name: parts[0], rate: rate}, nil
}

// negotiation is the outcome of matching a peer's description against what
// the agent supports.
type negotiation struct {
	// index is the m= line carrying the call's audio.
	index int
	codec voice.Codec
	// remote is where the peer wants audio sent; nil when it gave no usable
	// address (port 0 or the RFC 2543 hold address 0.0.0.0).
	remote *net.UDPAddr
	// peerDir is the peer's direction for the audio stream.
	peerDir direction
}

// held reports whether the peer has put the call on hold.
func (n negotiation) held() bool {
	return n.peerDir == dirSendOnly || n.peerDir == dirInactive || n.remote == nil
}

// codecByName returns the G.711 codec for an encoding name.
func codecByName(name string) (voice.Codec, bool) {
	switch strings.ToUpper(name) {
	case "PCMU":
		return voice.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}, true
	case "PCMA":
		return voice.Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}, true
	}
	return voice.Codec{}, false
}

// negotiate picks the first PCMU or PCMA format the peer lists (its order is
// its preference) among allowed codec names, and RFC 4733 telephone-event at
// 8 kHz when offered.
func negotiate(s *sdpSession, allowed []string) (negotiation, error) {
	for i, m := range s.media {
		if m.kind != "audio" || m.port == 0 || !strings.EqualFold(m.proto, "RTP/AVP") {
			continue
		}
		var n negotiation
		found := false
		for _, f := range m.formats {
			pt, err := strconv.Atoi(f)
			if err != nil || pt < 0 || pt > 127 {
				continue
			}
			name := ""
			if rm, ok := m.rtpmap[pt]; ok {
				if rm.rate != 8000 {
					continue
				}
				name = rm.name
			} else {
				switch pt {
				case 0:
					name = "PCMU"
				case 8:
					name = "PCMA"
				}
			}
			if strings.EqualFold(name, "telephone-event") {
				if n.codec.EventPayloadType == 0 {
					n.codec.EventPayloadType = uint8(pt)
				}
				continue
			}
			c, ok := codecByName(name)
			if !ok || found || !containsFold(allowed, c.Name) {
				continue
			}
			ev := n.codec.EventPayloadType
			n.codec = c
			n.codec.PayloadType = uint8(pt)
			n.codec.EventPayloadType = ev
			found = true
		}
		if !found {
			continue
		}
		n.index = i
		n.peerDir = dirSendRecv
		if s.dir != "" {
			n.peerDir = s.dir
		}
		if m.dir != "" {
			n.peerDir = m.dir
		}
		ip := s.conn
		if m.hasConn {
			ip = m.conn
		}
		if ip != nil && !ip.IsUnspecified() {
			n.remote = &net.UDPAddr{IP: ip, Port: m.port}
		}
		if ip == nil && !m.hasConn && !s.hasConn {
			return negotiation{}, fmt.Errorf("%w: no c= for audio", errMalformedSDP)
		}
		return n, nil
	}
	return negotiation{}, errNoCodec
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// localSDP is the agent's side of one call's session description.
type localSDP struct {
	ip      net.IP
	port    int
	session uint64
	version uint64
}

func (l *localSDP) header(b *strings.Builder) {
	family := "IP4"
	if l.ip.To4() == nil {
		family = "IP6"
	}
	fmt.Fprintf(b, "v=0\r\no=frontdesk %d %d IN %s %s\r\ns=frontdesk\r\nc=IN %s %s\r\nt=0 0\r\n",
		l.session, l.version, family, l.ip, family, l.ip)
}

func writeAudio(b *strings.Builder, port int, codecs []voice.Codec, eventPT uint8, dir direction) {
	fmt.Fprintf(b, "m=audio %d RTP/AVP", port)
	for _, c := range codecs {
		fmt.Fprintf(b, " %d", c.PayloadType)
	}
	if eventPT != 0 {
		fmt.Fprintf(b, " %d", eventPT)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(b, "a=rtpmap:%d %s/8000\r\n", c.PayloadType, c.Name)
	}
	if eventPT != 0 {
		fmt.Fprintf(b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n", eventPT, eventPT)
	}
	fmt.Fprintf(b, "a=ptime:20\r\na=%s\r\n", dir)
}

// answer builds the answer to offer: the negotiated audio stream and every
// other m= line refused with port 0 (RFC 3264 §6).
func (l *localSDP) answer(offer *sdpSession, n negotiation) []byte {
	var b strings.Builder
	l.header(&b)
	for i, m := range offer.media {
		if i == n.index {
			writeAudio(&b, l.port, []voice.Codec{n.codec}, n.codec.EventPayloadType, n.peerDir.answer())
			continue
		}
		fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", m.kind, m.proto, strings.Join(m.formats, " "))
	}
	return []byte(b.String())
}

// offer builds an offer listing codecs in order of preference and
// telephone-event with eventPT.
func (l *localSDP) offer(codecs []voice.Codec, eventPT uint8, dir direction) []byte {
	var b strings.Builder
	l.header(&b)
	writeAudio(&b, l.port, codecs, eventPT, dir)
	return []byte(b.String())
}
