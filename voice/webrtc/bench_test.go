package webrtc

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"frontdesk/voice/call"
)

// BenchmarkCallSetup places WebRTC calls through the WHIP handler on
// loopback: from the caller creating its offer to ICE and DTLS connected
// on its side (offer, host-candidate gathering on both sides, the POST,
// the answer, ICE checks, the DTLS handshake). Each call is hung up, with
// its DELETE, outside the measured time.
func BenchmarkCallSetup(b *testing.B) {
	answered := make(chan struct{}, 1)
	_, srv := serve(b, HandlerConfig{Answer: func(ctx context.Context, line call.Line, from string) {
		answered <- struct{}{}
		<-line.Done()
	}})
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	opts := DialOptions{Peer: loopbackPeer(), Client: &http.Client{Transport: transport}}
	ctx := context.Background()
	var setups []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		c, err := Dial(ctx, srv.URL+"/calls", opts)
		if err != nil {
			b.Fatal(err)
		}
		setups = append(setups, time.Since(start))
		b.StopTimer()
		<-answered
		c.Hangup()
		b.StartTimer()
	}
	slices.Sort(setups)
	var sum time.Duration
	for _, d := range setups {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(sum/time.Duration(len(setups))), "ms/setup")
	b.ReportMetric(ms(setups[len(setups)/2]), "p50-ms")
	b.ReportMetric(ms(setups[len(setups)*95/100]), "p95-ms")
	b.ReportMetric(ms(setups[len(setups)*99/100]), "p99-ms")
	b.ReportMetric(ms(setups[len(setups)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}
