package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"frontdesk/connector/webhook"
	"frontdesk/ledger"
)

// BenchmarkSign signs a 1 KiB body with two secrets, as during a rotation.
func BenchmarkSign(b *testing.B) {
	body := []byte(`{"type":"review.opened","data":{"event":"01JBENCH","pad":"` + strings.Repeat("x", 1000) + `"}}`)
	secrets := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	n := 0
	start := time.Now()
	for b.Loop() {
		if _, err := webhook.SignAll(secrets, "msg_01JBENCH", 1614265330, body); err != nil {
			b.Fatal(err)
		}
		n += len(secrets)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "signatures/s")
}

// BenchmarkDeliver delivers 200 events per iteration to a receiver on
// loopback that verifies every signature: deliveries per second, each
// through the egress gate (recorded in the ledger) with its attempt
// recorded in the outbox.
func BenchmarkDeliver(b *testing.B) {
	e := newEnv(b)
	_, secret := e.subscribe(webhook.Subscription{Destination: "hooks-baa", Types: []string{"call.ended"}})
	e.rcv.setSecrets(secret)
	ctx := context.Background()
	delivered := 0
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		for range 200 {
			if _, err := e.l.Append(ctx, ledger.Event{Entity: "call/c-bench1", Type: "call.ended", Source: ledger.SourceSystem, Confidence: 1, Actor: "agent"}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := e.d.Enqueue(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := e.d.Deliver(ctx)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if st.Delivered != 200 {
			b.Fatalf("delivered %d of 200", st.Delivered)
		}
		delivered += st.Delivered
	}
	if got := len(e.rcv.deliveries()); got != delivered {
		b.Fatalf("the receiver verified %d of %d", got, delivered)
	}
	for _, d := range e.rcv.deliveries() {
		if d.err != nil {
			b.Fatal(d.err)
		}
	}
	b.ReportMetric(float64(delivered)/elapsed.Seconds(), "deliveries/s")
}
