package sip

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestForceRport(t *testing.T) {
	cases := map[string]string{
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\n":               "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx;rport\r\n",
		"v: SIP/2.0/UDP a;branch=z9hG4bKx , SIP/2.0/UDP b\r\n":             "v: SIP/2.0/UDP a;branch=z9hG4bKx;rport , SIP/2.0/UDP b\r\n",
		"Via: SIP/2.0/UDP a;rport;branch=z9hG4bKx\r\n":                     "Via: SIP/2.0/UDP a;rport;branch=z9hG4bKx\r\n",
		"Via  : SIP/2.0/UDP a;branch=z9hG4bKx  \r\nVia: SIP/2.0/UDP b\r\n": "Via  : SIP/2.0/UDP a;branch=z9hG4bKx;rport  \r\nVia: SIP/2.0/UDP b\r\n",
	}
	for via, want := range cases {
		msg := "OPTIONS sip:x@y SIP/2.0\r\nTo: <sip:x@y>\r\n" + via + "\r\n"
		got := string(forceRport([]byte(msg), strings.Index(msg, "\r\n\r\n")))
		if got != "OPTIONS sip:x@y SIP/2.0\r\nTo: <sip:x@y>\r\n"+want+"\r\n" {
			t.Errorf("%q → %q", via, got)
		}
	}
}

func TestRawResponse(t *testing.T) {
	head := []byte("INVITE  sip:x@y  SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b\r\nf: <sip:c@d>;tag=1\r\n" +
		"t: <sip:x@y>\r\ni: abc\r\nCSeq: 1 INVITE\r\nX: y\r\n")
	res := rawResponse(head, 400, "Bad Request")
	m, err := sip.ParseMessage(res)
	if err != nil {
		t.Fatalf("response does not parse: %v\n%s", err, res)
	}
	r := m.(*sip.Response)
	if r.StatusCode != 400 || len(r.GetHeaders("Via")) != 2 || r.CallID().Value() != "abc" || r.CSeq().SeqNo != 1 {
		t.Errorf("bad response:\n%s", res)
	}
	if _, ok := r.To().Params.Get("tag"); !ok {
		t.Error("no To tag")
	}
	for _, h := range [][]byte{
		[]byte("ACK sip:x@y SIP/2.0\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 ACK\r\n"),
		[]byte("SIP/2.0 200 OK\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 X\r\n"),
		[]byte("INVITE sip:x@y SIP/2.0\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"),
	} {
		if rawResponse(h, 400, "Bad Request") != nil {
			t.Errorf("answered %q", h)
		}
	}
}

// pipeGuard returns the sipgo side and the peer side of a guarded stream.
func pipeGuard(t *testing.T, max int) (*guardedConn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	g := &guard{maxMessage: max, partialTimeout: 200 * time.Millisecond, parser: sip.NewParser(), stats: &counters{}}
	gc := &guardedConn{Conn: a, g: g, release: func() {}, rbuf: make([]byte, 7)}
	t.Cleanup(func() { _ = gc.Close(); _ = b.Close() })
	return gc, b
}

func TestGuardedStreamFraming(t *testing.T) {
	gc, peer := pipeGuard(t, 4096)
	opts := "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKa\r\nMax-Forwards: 70\r\n" +
		"From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello"
	bad := "OPTIONS <sip:x@127.0.0.1> SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKb\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\n" +
		"Call-ID: c2\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	go func() {
		// A keep-alive ping, a good message in dribbles, a malformed one,
		// the good one again.
		stream := "\r\n\r\n" + opts + bad + opts
		for i := 0; i < len(stream); i += 3 {
			if _, err := peer.Write([]byte(stream[i:min(i+3, len(stream))])); err != nil {
				return
			}
		}
	}()
	replies := make(chan string, 4)
	go func() {
		r := bufio.NewReader(peer)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(replies)
				return
			}
			replies <- line
		}
	}()
	var got bytes.Buffer
	buf := make([]byte, 64)
	for got.Len() < 2*len(opts) {
		n, err := gc.Read(buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got.Len(), err)
		}
		got.Write(buf[:n])
	}
	if got.String() != opts+opts {
		t.Fatalf("sipgo would see %q", got.String())
	}
	if pong := recv(t, "pong", replies, time.Second); pong != "\r\n" {
		t.Errorf("keep-alive answered %q", pong)
	}
	if status := recv(t, "400", replies, time.Second); !strings.HasPrefix(status, "SIP/2.0 400") {
		t.Errorf("malformed message answered %q", status)
	}
}

func TestGuardedStreamRefusals(t *testing.T) {
	cases := map[string]struct {
		msg    string
		status string
	}{
		"no length":   {"OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", "SIP/2.0 400"},
		"two lengths": {"OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nl: 0\r\nContent-Length: 1\r\n\r\n", "SIP/2.0 400"},
		"too large":   {"OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 90000\r\n\r\n", "SIP/2.0 513"},
		"endless":     {"OPTIONS sip:x@y SIP/2.0\r\nX: " + strings.Repeat("a", 5000), ""},
		"unfinished":  {"OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			gc, peer := pipeGuard(t, 4096)
			go func() { _, _ = peer.Write([]byte(tc.msg)) }()
			reply := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(peer).ReadString('\n')
				reply <- line
			}()
			_, err := gc.Read(make([]byte, 64))
			if err == nil {
				t.Fatal("read succeeded; want the stream closed")
			}
			if err != errFraming && err != io.EOF {
				t.Errorf("err = %v", err)
			}
			if tc.status != "" {
				if got := recv(t, "reply", reply, time.Second); !strings.HasPrefix(got, tc.status) {
					t.Errorf("reply %q, want %s", got, tc.status)
				}
			}
		})
	}
}

func TestGuardDatagram(t *testing.T) {
	g := &guard{maxMessage: 2048, parser: sip.NewParser(), stats: &counters{}}
	base := "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\n" +
		"To: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
	cases := map[string]struct {
		msg    string
		pass   bool
		status string
	}{
		"good":         {base + "Content-Length: 0\r\n\r\n", true, ""},
		"trailing":     {base + "Content-Length: 2\r\n\r\nhi and more", true, ""},
		"no length":    {base + "\r\nbody", true, ""},
		"overlong":     {base + "Content-Length: 10\r\n\r\nhi", false, "SIP/2.0 400"},
		"negative":     {base + "Content-Length: -1\r\n\r\n", false, "SIP/2.0 400"},
		"huge":         {base + "X: " + strings.Repeat("a", 3000) + "\r\nContent-Length: 0\r\n\r\n", false, "SIP/2.0 513"},
		"keepalive":    {"\r\n\r\n", false, ""},
		"stun":         {"\x00\x01\x00\x00\x21\x12\xa4\x42", false, ""},
		"unknown uri":  {strings.Replace(base, "OPTIONS sip:x@y", "OPTIONS foo.bar://x", 1) + "Content-Length: 0\r\n\r\n", false, "SIP/2.0 416"},
		"response":     {"SIP/2.0 99999999999 Nope\r\nVia: x\r\n\r\n", false, ""},
		"no blank end": {base, false, "SIP/2.0 400"},
	}
	for name, tc := range cases {
		pass, reply := g.datagram([]byte(tc.msg))
		if (pass != nil) != tc.pass {
			t.Errorf("%s: passed = %v", name, pass != nil)
		}
		if pass != nil && !strings.Contains(string(pass), ";rport") {
			t.Errorf("%s: rport not forced", name)
		}
		if !strings.HasPrefix(string(reply), tc.status) || (tc.status == "") != (reply == nil) {
			t.Errorf("%s: reply %q, want %q", name, reply, tc.status)
		}
	}
}
