package sip

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		name      string
		sdp       string
		allowed   []string
		wantCodec string
		wantPT    uint8
		wantEvent uint8
		wantDir   direction
		wantHeld  bool
		wantErr   error
	}{
		{"pcmu first", testOffer(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000"), nil, "PCMU", 0, 101, dirSendRecv, false, nil},
		{"caller prefers pcma", testOffer(4000, "8 0"), nil, "PCMA", 8, 0, dirSendRecv, false, nil},
		{"dynamic pcmu", testOffer(4000, "96 97", "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 PCMU/8000"), nil, "PCMU", 97, 0, dirSendRecv, false, nil},
		{"agent allows pcma only", testOffer(4000, "0 8"), []string{"PCMA"}, "PCMA", 8, 0, dirSendRecv, false, nil},
		{"event before codec", testOffer(4000, "100 0", "a=rtpmap:100 telephone-event/8000"), nil, "PCMU", 0, 100, dirSendRecv, false, nil},
		{"wideband event ignored", testOffer(4000, "0 101", "a=rtpmap:101 telephone-event/48000"), nil, "PCMU", 0, 0, dirSendRecv, false, nil},
		{"sendonly is hold", testOffer(4000, "0", "a=sendonly"), nil, "PCMU", 0, 0, dirSendOnly, true, nil},
		{"session-level inactive", strings.Replace(testOffer(4000, "0"), "t=0 0\r\n", "t=0 0\r\na=inactive\r\n", 1), nil, "PCMU", 0, 0, dirInactive, true, nil},
		{"rfc 2543 hold", strings.Replace(testOffer(4000, "0"), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1), nil, "PCMU", 0, 0, dirSendRecv, true, nil},
		{"video first", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 0\r\n", nil, "PCMU", 0, 0, dirSendRecv, false, nil},
		{"g729 only", testOffer(4000, "18"), nil, "", 0, 0, "", false, errNoCodec},
		{"srtp", strings.Replace(testOffer(4000, "0"), "RTP/AVP", "RTP/SAVP", 1), nil, "", 0, 0, "", false, errNoCodec},
		{"port zero", testOffer(0, "0"), nil, "", 0, 0, "", false, errNoCodec},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseSDP([]byte(tc.sdp))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			allowed := tc.allowed
			if allowed == nil {
				allowed = []string{"PCMU", "PCMA"}
			}
			n, err := negotiate(s, allowed)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.codec.Name != tc.wantCodec || n.codec.PayloadType != tc.wantPT || n.codec.EventPayloadType != tc.wantEvent {
				t.Errorf("codec = %+v", n.codec)
			}
			if n.peerDir != tc.wantDir || n.held() != tc.wantHeld {
				t.Errorf("dir = %s held = %v", n.peerDir, n.held())
			}
		})
	}
}

func TestParseSDPRejectsMalformed(t *testing.T) {
	for name, sdp := range map[string]string{
		"empty":         "",
		"no version":    "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n",
		"bad version":   "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
		"no origin":     "v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n",
		"short origin":  "v=0\r\no=- 1 IN IP4 1.2.3.4\r\n",
		"bad line":      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm =audio 4000 RTP/AVP 0\r\n",
		"bad port":      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n",
		"no formats":    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP\r\n",
		"bad c=":        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4\r\n",
		"family":        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP6 1.2.3.4\r\n",
		"inner blank":   "v=0\r\n\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
		"binary":        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n\x00\x01\r\n",
		"too many m=":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n" + strings.Repeat("m=audio 4000 RTP/AVP 0\r\n", maxSDPMedia+1),
		"repeated v=":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n",
		"origin in m=":  "v=0\r\nm=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
		"no connection": "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n",
	} {
		s, err := parseSDP([]byte(sdp))
		if err == nil {
			_, err = negotiate(s, []string{"PCMU"})
		}
		if !errors.Is(err, errMalformedSDP) {
			t.Errorf("%s: err = %v, want malformed", name, err)
		}
	}
}

func TestAnswerMirrorsOffer(t *testing.T) {
	offer, err := parseSDP([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" +
		"m=video 5000 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := negotiate(offer, []string{"PCMU", "PCMA"})
	if err != nil {
		t.Fatal(err)
	}
	l := localSDP{ip: net.IPv4(192, 0, 2, 10), port: 12000, session: 7, version: 8}
	ans := l.answer(offer, n)
	parsed, err := parseSDP(ans)
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, ans)
	}
	if len(parsed.media) != 2 || parsed.media[0].port != 0 || parsed.media[1].port != 12000 {
		t.Fatalf("answer m= lines wrong:\n%s", ans)
	}
	for _, want := range []string{"c=IN IP4 192.0.2.10", "m=audio 12000 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:20", "a=recvonly", "o=frontdesk 7 8 IN IP4"} {
		if !strings.Contains(string(ans), want) {
			t.Errorf("answer lacks %q:\n%s", want, ans)
		}
	}
}
