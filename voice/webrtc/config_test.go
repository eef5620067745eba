package webrtc

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
)

// TestCandidates checks what the answer advertises: host candidates only,
// on ports within the configured range, under the NAT 1:1 address when
// one is set.
func TestCandidates(t *testing.T) {
	peer := loopbackPeer()
	peer.UDPPortMin, peer.UDPPortMax = 42100, 42199
	for _, nat := range []string{"", "192.0.2.10"} {
		p := peer
		if nat != "" {
			p.NAT1To1IPs = []string{nat}
		}
		_, srv := serve(t, HandlerConfig{Peer: p, Answer: newLines().answer})
		_, offer := pcmuOffer(t)
		resp, answer := post(t, srv.URL+"/calls", "application/sdp", "staff/a", offer)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("offer: %s", resp.Status)
		}
		cands := regexp.MustCompile(`(?m)^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)`).FindAllStringSubmatch(answer, -1)
		if len(cands) == 0 {
			t.Fatalf("no candidates in the answer")
		}
		want := "127.0.0.1"
		if nat != "" {
			want = nat
		}
		for _, c := range cands {
			port, _ := strconv.Atoi(c[3])
			if c[1] != "udp" && c[1] != "UDP" || c[2] != want || c[4] != "host" || port < 42100 || port > 42199 {
				t.Errorf("NAT %q: candidate %q, want UDP host %s in 42100-42199", nat, c[0], want)
			}
		}
		if !regexp.MustCompile(`(?m)^a=end-of-candidates`).MatchString(answer) {
			t.Errorf("NAT %q: the answer is not complete (no end-of-candidates)", nat)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	for name, p := range map[string]Config{
		"NAT address": {NAT1To1IPs: []string{"appliance.clinic.invalid"}},
		"port range":  {UDPPortMin: 50000, UDPPortMax: 40000},
	} {
		if _, err := NewHandler(HandlerConfig{Peer: p, Answer: newLines().answer}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewHandler(HandlerConfig{}); err == nil {
		t.Error("a handler without Answer was accepted")
	}
}
