package sip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"frontdesk/voice"
)

// testConfig listens on loopback with ephemeral ports.
func testConfig() Config {
	return Config{
		UDPAddr:    "127.0.0.1:0",
		TCPAddr:    "127.0.0.1:0",
		PublicIP:   "127.0.0.1",
		RTPPortMin: 20000,
		RTPPortMax: 32000, // below the ephemeral range, above the test peers'

	}
}

func startAgent(t testing.TB, cfg Config, h Handler) *Agent {
	t.Helper()
	a, err := New(cfg, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

func agentURI(a *Agent, transport string) string {
	addr := a.Addr(transport).String()
	u := "sip:reception@" + addr
	if transport != "udp" {
		u += ";transport=" + transport
	}
	return u
}

// tonePCM returns n samples of a 440 Hz tone at 8 kHz.
func tonePCM(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	return out
}

func encodeG711(c voice.Codec, pcm []int16) []byte {
	out := make([]byte, len(pcm))
	for i, s := range pcm {
		if c.Name == "PCMA" {
			out[i] = g711.EncodeAlawFrame(s)
		} else {
			out[i] = g711.EncodeUlawFrame(s)
		}
	}
	return out
}

func decodeG711(name string, payload []byte) []int16 {
	out := make([]int16, len(payload))
	for i, b := range payload {
		if name == "PCMA" {
			out[i] = g711.DecodeAlawFrame(b)
		} else {
			out[i] = g711.DecodeUlawFrame(b)
		}
	}
	return out
}

func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// sendTone writes frames of tone to m, paced at 20 ms, until ctx ends or
// frames have been sent.
func sendTone(ctx context.Context, m voice.Media, frames int) error {
	c := m.Codec()
	pcm := tonePCM(160 * frames)
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.PayloadType, SSRC: rand.Uint32(),
		SequenceNumber: uint16(rand.UintN(1 << 16)), Timestamp: rand.Uint32()}}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < frames; i++ {
		p.Payload = encodeG711(c, pcm[i*160:(i+1)*160])
		p.Marker = i == 0
		if err := m.WriteRTP(p); err != nil {
			return err
		}
		p.SequenceNumber++
		p.Timestamp += 160
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// mediaTally counts what arrives on a Media.
type mediaTally struct {
	mu      sync.Mutex
	audio   int
	events  int
	maxRMS  float64
	digits  []byte
	lastErr error
}

func (m *mediaTally) snapshot() (audio, events int, maxRMS float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.audio, m.events, m.maxRMS
}

// drain reads m until it fails, tallying audio energy and RFC 4733 events.
func (m *mediaTally) drain(media voice.Media) {
	for {
		p, err := media.ReadRTP()
		if err != nil {
			m.mu.Lock()
			m.lastErr = err
			m.mu.Unlock()
			return
		}
		c := media.Codec()
		m.mu.Lock()
		switch {
		case p.PayloadType == c.PayloadType:
			m.audio++
			m.maxRMS = max(m.maxRMS, rms(decodeG711(c.Name, p.Payload)))
		case c.EventPayloadType != 0 && p.PayloadType == c.EventPayloadType && len(p.Payload) >= 4:
			m.events++
			if d := int(p.Payload[0]); p.Marker && d < 12 {
				m.digits = append(m.digits, "0123456789*#"[d])
			}
		}
		m.mu.Unlock()
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func recv[T any](t testing.TB, what string, ch <-chan T, d time.Duration) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// rawResponse is a response as the test received it; the agent may echo
// malformed headers back, so only the status line is parsed.
type rawReply struct {
	StatusCode int
	Reason     string
	Text       string
}

// header returns the value of the first header called name.
func (r rawReply) header(name string) string {
	for _, l := range strings.Split(r.Text, "\r\n")[1:] {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func parseReply(head string) (rawReply, bool) {
	line, _, _ := strings.Cut(head, "\r\n")
	f := strings.SplitN(line, " ", 3)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return rawReply{}, false
	}
	code := 0
	if _, err := fmt.Sscanf(f[1], "%d", &code); err != nil {
		return rawReply{}, false
	}
	r := rawReply{StatusCode: code, Text: head}
	if len(f) == 3 {
		r.Reason = f[2]
	}
	return r, true
}

// rawExchange sends msg to addr over network ("udp" or "tcp") on a fresh
// socket and returns the responses that arrive within wait, up to the first
// final one.
func rawExchange(t testing.TB, network, addr string, msg []byte, wait time.Duration) []rawReply {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	var out []rawReply
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	if network == "udp" {
		buf := make([]byte, 65536)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return out
			}
			if r, ok := parseReply(string(buf[:n])); ok {
				out = append(out, r)
				if r.StatusCode >= 200 {
					return out
				}
			}
		}
	}
	br := bufio.NewReader(conn)
	for {
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return out
			}
			if line == "\r\n" && head.Len() == 0 {
				continue
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		r, ok := parseReply(head.String())
		if !ok {
			return out
		}
		var cl int
		fmt.Sscanf(r.header("Content-Length"), "%d", &cl)
		if cl > 0 {
			if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
				return out
			}
		}
		out = append(out, r)
		if r.StatusCode >= 200 {
			return out
		}
	}
}

// finalStatus returns the first final status code among responses, or 0.
func finalStatus(rs []rawReply) int {
	for _, r := range rs {
		if r.StatusCode >= 200 {
			return r.StatusCode
		}
	}
	return 0
}

// rawRequest renders a request with sensible headers; extra lines replace
// or add headers, and an empty value removes one.
func rawRequest(method, ruri, transport, laddr string, extra map[string]string, body string) []byte {
	h := []struct{ k, v string }{
		{"Via", "SIP/2.0/" + strings.ToUpper(transport) + " " + laddr + ";branch=z9hG4bK" + newID()},
		{"Max-Forwards", "70"},
		{"From", "<sip:tester@127.0.0.1>;tag=" + newID()},
		{"To", "<" + ruri + ">"},
		{"Call-ID", newID() + "@127.0.0.1"},
		{"CSeq", "1 " + method},
		{"Contact", "<sip:tester@" + laddr + ">"},
	}
	var b strings.Builder
	b.WriteString(method + " " + ruri + " SIP/2.0\r\n")
	seen := map[string]bool{}
	for _, kv := range h {
		v := kv.v
		if x, ok := extra[kv.k]; ok {
			v = x
			seen[kv.k] = true
		}
		if v != "" {
			b.WriteString(kv.k + ": " + v + "\r\n")
		}
	}
	for k, v := range extra {
		if !seen[k] && v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if body != "" && extra["Content-Type"] == "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return []byte(b.String())
}

// testOffer is an SDP offer from a phone at 127.0.0.1:port.
func testOffer(port int, formats string, extra ...string) string {
	s := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n", port, formats)
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

// readTail returns up to n bytes from the end of a file.
func readTail(path string, n int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b, nil
}
