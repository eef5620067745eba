package testkit

import (
	"context"
	"math"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"frontdesk/voice"
	vrtp "frontdesk/voice/rtp"
	"frontdesk/voice/sip"
)

// LoopbackSIP is a SIP agent configuration on 127.0.0.1 only, for an
// ephemeral UDP port.
func LoopbackSIP() sip.Config {
	return sip.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "off", PublicIP: "127.0.0.1",
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
}

// StaffPhone is a SIP agent on loopback standing in for the clinic's
// staff line: it answers every call, plays a tone and counts the loud
// audio it hears. It stops when the test ends.
type StaffPhone struct {
	// URI is where to call it.
	URI string
	// Calls receives each call it answers.
	Calls chan *sip.Call
	// Heard counts the loud packets it has received.
	Heard atomic.Int64
}

// StartStaffPhone starts a StaffPhone.
func StartStaffPhone(t testing.TB) *StaffPhone {
	t.Helper()
	p := &StaffPhone{Calls: make(chan *sip.Call, 4)}
	a, err := sip.New(LoopbackSIP(), sip.HandlerFunc(func(ctx context.Context, c *sip.Call) {
		p.Calls <- c
		go CountLoud(c.Media(), &p.Heard)
		PlayTone(ctx, c.Media())
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	p.URI = "sip:staff@" + a.Addr("udp").String()
	return p
}

// PlayTone sends a loud 1 kHz PCMU tone to m every 20 ms until ctx is
// done or m fails.
func PlayTone(ctx context.Context, m voice.Media) {
	codec, _ := vrtp.CodecFor(0)
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	payload := codec.Encode(nil, pcm)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: 0x5eed}, Payload: payload}
		if err := m.WriteRTP(p); err != nil {
			return
		}
		seq, ts = seq+1, ts+160
	}
}

// CountLoud adds to n every loud PCMU packet read from m (a peak above a
// quarter of full scale: a tone, not comfort noise or speech played
// softly), until m fails.
func CountLoud(m voice.Media, n *atomic.Int64) {
	codec, _ := vrtp.CodecFor(0)
	var pcm []int16
	for {
		p, err := m.ReadRTP()
		if err != nil {
			return
		}
		if p.PayloadType != 0 {
			continue
		}
		pcm = codec.Decode(pcm[:0], p.Payload)
		peak := 0
		for _, s := range pcm {
			peak = max(peak, int(math.Abs(float64(s))))
		}
		if peak > 4000 {
			n.Add(1)
		}
	}
}
