package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/connector/webhook"
	"frontdesk/gate/egress"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

// TestSignSpecVector reproduces the Standard Webhooks specification's
// example signature.
func TestSignSpecVector(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(webhook.HeaderTimestamp, "1614265330")
	h.Set(webhook.HeaderSignature, "v1,bm9wZQ== "+got)
	at := time.Unix(1614265330, 0)
	if _, err := webhook.Verify(h, []byte(`{"test": 2432232314}`), []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, at, 5*time.Minute); err != nil {
		t.Errorf("verify: %v", err)
	}
	if _, err := webhook.Verify(h, []byte(`{"test": 2432232315}`), []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, at, 5*time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("a changed body verified: %v", err)
	}
	if _, err := webhook.Verify(h, []byte(`{"test": 2432232314}`), []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, at.Add(6*time.Minute), 5*time.Minute); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("a stale delivery verified: %v", err)
	}
	if _, err := webhook.Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, nil); !errors.Is(err, webhook.ErrBadSecret) {
		t.Errorf("a secret without whsec_: %v", err)
	}
	s, err := webhook.NewSecret()
	if err != nil || !webhook.ValidSecret(s) || !strings.HasPrefix(s, "whsec_") {
		t.Errorf("new secret %q: %v", s, err)
	}
}

// receiver is a webhook receiver on loopback that checks signatures.
type receiver struct {
	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string
	now     func() time.Time
	status  atomic.Int32
	got     []delivery
}

type delivery struct {
	id, body string
	sigs     int
	err      error
	header   http.Header
}

func newReceiver(t testing.TB, now func() time.Time) *receiver {
	r := &receiver{t: t, now: now}
	r.status.Store(204)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secrets := r.secrets
		r.mu.Unlock()
		id, err := webhook.Verify(req.Header, body, secrets, r.now(), 5*time.Minute)
		st := int(r.status.Load())
		if st < 300 {
			r.mu.Lock()
			r.got = append(r.got, delivery{id: id, body: string(body), err: err, header: req.Header.Clone(),
				sigs: len(strings.Fields(req.Header.Get(webhook.HeaderSignature)))})
			r.mu.Unlock()
		}
		if err != nil {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecrets(s ...string) {
	r.mu.Lock()
	r.secrets = s
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     testing.TB
	l     *ledger.Ledger
	gate  *egress.Gate
	rcv   *receiver
	clock *clock
	d     *webhook.Dispatcher
}

// newEnv is a ledger, a receiver, and a gate with one destination of each
// class pointing at it.
func newEnv(t testing.TB) *env {
	e := &env{t: t, l: testkit.Ledger(t, "clinic"), clock: &clock{t: time.Now()}}
	e.rcv = newReceiver(t, e.clock.now)
	baa := &egress.BAA{SignedBy: "Clinic Owner (test)", SignedAt: time.Now().Add(-time.Hour)}
	g, err := egress.New(egress.Config{Destinations: []egress.Destination{
		{Name: "hooks-baa", Class: egress.ClassBAA, BaseURL: e.rcv.srv.URL, BAA: baa},
		{Name: "hooks-redacted", Class: egress.ClassRedacted, BaseURL: e.rcv.srv.URL},
		{Name: "hooks-ids", Class: egress.ClassIDsOnly, BaseURL: e.rcv.srv.URL},
	}}, egress.Options{
		Recorder: func(string) (egress.Recorder, error) { return e.l, nil },
		Sleep:    func(context.Context, time.Duration) error { return nil },
		Now:      e.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	e.gate = g
	e.d, err = webhook.NewDispatcher(e.l, webhook.Options{Gate: g, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) subscribe(s webhook.Subscription) (*webhook.Subscription, string) {
	e.t.Helper()
	sub, secret, err := webhook.Subscribe(context.Background(), e.l, e.gate, "account/admin-1", s)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub, secret
}

func (e *env) append(ev ledger.Event) *ledger.Event {
	e.t.Helper()
	out, err := e.l.Append(context.Background(), ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) run() webhook.DeliverStats {
	e.t.Helper()
	st, err := e.d.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// Canary PHI: values that must never reach a destination that is not baa.
var canary = map[string]string{"name": "Zebulon Quintavius Marchetti", "phone": "555-013-4471", "text": "my date of birth is March 3 1961"}

func (e *env) reviewOpened() *ledger.Event {
	return e.append(ledger.Event{
		Entity: "review/01JREVIEW000000000000000001", Subject: "patient/p-1001", Type: "review.opened",
		Source: ledger.SourceSystem, Confidence: 1, Actor: "judge/local",
		Attrs: map[string]string{"reason": "uncertain", "target_entity": "patient/p-1001"}, PHI: canary,
	})
}

// TestDeliverySignedToBAA delivers an event to a baa destination: signed,
// with IDs and attributes; PHI only for the subscription that asks.
func TestDeliverySignedToBAA(t *testing.T) {
	e := newEnv(t)
	plain, secret := e.subscribe(webhook.Subscription{Destination: "hooks-baa", Path: "/hooks/frontdesk", Types: []string{"review.item-created"}})
	if secret == "" || !webhook.ValidSecret(secret) {
		t.Fatalf("the first subscription returned no secret (%q)", secret)
	}
	withPHI, again := e.subscribe(webhook.Subscription{Destination: "hooks-baa", Types: []string{"review.*"}, IncludePHI: true})
	if again != "" {
		t.Error("a second subscription returned the secret again")
	}
	e.rcv.setSecrets(secret)
	e.append(ledger.Event{Entity: "call/c-9", Type: "call.started", Source: ledger.SourceSystem, Confidence: 1, Actor: "agent"})
	ev := e.reviewOpened()
	st := e.run()
	if st.Delivered != 2 || st.Failed != 0 {
		t.Fatalf("run: %+v", st)
	}
	got := e.rcv.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries", len(got))
	}
	var sawPHI, sawPlain bool
	for _, d := range got {
		if d.err != nil {
			t.Errorf("delivery %s: %v", d.id, d.err)
		}
		if !strings.Contains(d.body, `"event":"`+ev.ID+`"`) || !strings.Contains(d.body, `"type":"review.opened"`) ||
			!strings.Contains(d.body, `"reason":"uncertain"`) {
			t.Errorf("body %s", d.body)
		}
		if strings.Contains(d.body, canary["name"]) {
			sawPHI = true
			if !strings.Contains(d.id, strings.TrimPrefix(withPHI.ID, "wh_")) {
				t.Errorf("PHI went to subscription of message %s", d.id)
			}
		} else {
			sawPlain = strings.Contains(d.id, strings.TrimPrefix(plain.ID, "wh_"))
		}
		if d.header.Get("Content-Type") != "application/json" || d.sigs != 1 {
			t.Errorf("headers %v", d.header)
		}
	}
	if !sawPHI || !sawPlain {
		t.Errorf("PHI in the subscription that asked: %v; a plain delivery: %v", sawPHI, sawPlain)
	}
	atts, err := webhook.Deliveries(e.l, webhook.DeliveryFilter{})
	if err != nil || len(atts) != 2 || !atts[0].OK || atts[0].Status != 204 || atts[0].Egress == "" || atts[0].Attempt != 1 {
		t.Errorf("attempts %+v, %v", atts, err)
	}
	if e.run().Attempted != 0 {
		t.Error("a delivered message was sent again")
	}
	// The secret is stored sealed and recorded without its value.
	all, _ := e.l.Find(ledger.Query{Limit: 10000}, ledger.ReadOptions{})
	for _, x := range all {
		for _, v := range x.Attrs {
			if strings.Contains(v, strings.TrimPrefix(secret, "whsec_")) {
				t.Fatalf("event %s holds the secret", x.Type)
			}
		}
	}
}

// TestCanaryNotSentToOtherClasses: a redacted or ids-only destination gets
// IDs and types, never the event's PHI, and cannot subscribe to PHI.
func TestCanaryNotSentToOtherClasses(t *testing.T) {
	e := newEnv(t)
	_, secret := e.subscribe(webhook.Subscription{Destination: "hooks-ids", Types: []string{"*"}})
	e.subscribe(webhook.Subscription{Destination: "hooks-redacted", Types: []string{"review.opened"}})
	e.rcv.setSecrets(secret)
	if _, _, err := webhook.Subscribe(context.Background(), e.l, e.gate, "account/admin-1",
		webhook.Subscription{Destination: "hooks-ids", Types: []string{"*"}, IncludePHI: true}); !errors.Is(err, webhook.ErrInvalid) {
		t.Errorf("PHI to an ids-only destination: %v", err)
	}
	ev := e.reviewOpened()
	if st := e.run(); st.Delivered != 2 {
		t.Fatalf("run: %+v", st)
	}
	for _, d := range e.rcv.deliveries() {
		if d.err != nil {
			t.Errorf("signature: %v", d.err)
		}
		for k, v := range canary {
			if strings.Contains(d.body, v) || strings.Contains(d.body, "Quintavius") || strings.Contains(d.body, "4471") {
				t.Errorf("PHI %s reached a non-baa destination: %s", k, d.body)
			}
		}
		if strings.Contains(d.body, "uncertain") || strings.Contains(d.body, "judge/local") {
			t.Errorf("attributes reached a non-baa destination: %s", d.body)
		}
		if !strings.Contains(d.body, ev.ID) || !strings.Contains(d.body, "review.opened") {
			t.Errorf("the IDs and type did not arrive: %s", d.body)
		}
	}
}

// TestRotationOverlap: for 30 minutes after a rotation deliveries carry
// both signatures, then only the new one.
func TestRotationOverlap(t *testing.T) {
	e := newEnv(t)
	_, old := e.subscribe(webhook.Subscription{Destination: "hooks-baa", Types: []string{"call.ended"}})
	ctx := context.Background()
	fresh, err := webhook.RotateSecret(ctx, e.l, "account/admin-1", "")
	if err != nil {
		t.Fatal(err)
	}
	info, err := webhook.Secret(e.l)
	if err != nil || info.Version != 2 || info.PreviousUntil.IsZero() {
		t.Fatalf("secret info %+v, %v", info, err)
	}
	ended := func() {
		e.append(ledger.Event{Entity: "call/c-1", Type: "call.ended", Source: ledger.SourceSystem, Confidence: 1, Actor: "agent"})
	}
	// A receiver that still has only the old secret accepts it.
	e.rcv.setSecrets(old)
	ended()
	e.run()
	e.rcv.setSecrets(fresh)
	ended()
	e.run()
	got := e.rcv.deliveries()
	if len(got) != 2 || got[0].err != nil || got[1].err != nil || got[0].sigs != 2 {
		t.Fatalf("during the overlap: %+v", got)
	}
	e.clock.advance(31 * time.Minute)
	e.rcv.setSecrets(old)
	e.rcv.status.Store(204)
	ended()
	e.run()
	got = e.rcv.deliveries()
	if len(got) != 3 || got[2].sigs != 1 || !errors.Is(got[2].err, webhook.ErrBadSignature) {
		t.Fatalf("after the overlap the old secret still verifies: %+v", got[len(got)-1])
	}
	if _, err := webhook.RotateSecret(ctx, e.l, "a", "whsec_tooshort"); !errors.Is(err, webhook.ErrBadSecret) {
		t.Errorf("a short secret: %v", err)
	}
}

// TestReceiverDownForAnHour: the receiver answers 503 for an hour while
// events keep coming; once it is back, every event arrives, and each
// attempt was recorded; after 30 days the records are purged.
func TestReceiverDownForAnHour(t *testing.T) {
	e := newEnv(t)
	_, secret := e.subscribe(webhook.Subscription{Destination: "hooks-ids", Types: []string{"call.ended"}})
	e.rcv.setSecrets(secret)
	e.rcv.status.Store(503)
	start := e.clock.now()
	sent := map[string]bool{}
	for e.clock.now().Sub(start) < 3*time.Hour {
		if e.clock.now().Sub(start) < time.Hour {
			ev := e.append(ledger.Event{Entity: "call/c-2", Type: "call.ended", Source: ledger.SourceSystem, Confidence: 1, Actor: "agent"})
			sent[ev.ID] = true
		} else {
			e.rcv.status.Store(200)
		}
		e.run()
		e.clock.advance(time.Minute)
	}
	got := map[string]bool{}
	for _, d := range e.rcv.deliveries() {
		if d.err != nil {
			t.Errorf("signature: %v", d.err)
		}
		for id := range sent {
			if strings.Contains(d.body, id) {
				got[id] = true
			}
		}
	}
	if len(sent) != 60 || len(got) != len(sent) {
		t.Fatalf("%d events, %d delivered", len(sent), len(got))
	}
	atts, err := webhook.Deliveries(e.l, webhook.DeliveryFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var failed, ok int
	for _, a := range atts {
		switch {
		case a.OK:
			ok++
		case a.Status == 503 && a.Error != "":
			failed++
		default:
			t.Errorf("attempt %+v", a)
		}
	}
	if ok != 60 || failed < 60 {
		t.Errorf("%d successful and %d failed attempts", ok, failed)
	}
	// Backoff: far fewer attempts than one a minute per message.
	if failed > 60*12 {
		t.Errorf("%d failed attempts: no backoff", failed)
	}
	msgs, _ := webhook.Messages(e.l)
	for _, m := range msgs {
		if m.State != webhook.StateDelivered {
			t.Errorf("message %s is %s", m.ID, m.State)
		}
	}
	e.clock.advance(31 * 24 * time.Hour)
	ps, err := e.d.Purge()
	if err != nil || ps.Attempts != len(atts) || ps.Messages != 60 {
		t.Errorf("purge: %+v, %v", ps, err)
	}
	if atts, _ := webhook.Deliveries(e.l, webhook.DeliveryFilter{}); len(atts) != 0 {
		t.Errorf("%d attempts left after 30 days", len(atts))
	}
}

// TestGiveUpAndUnsubscribe: a message never taken is given up after
// MaxAge and recorded; an unsubscribed subscription's messages are dropped.
func TestGiveUpAndUnsubscribe(t *testing.T) {
	e := newEnv(t)
	sub, secret := e.subscribe(webhook.Subscription{Destination: "hooks-baa", Types: []string{"monitor.hit"}})
	e.rcv.setSecrets(secret)
	e.rcv.status.Store(500)
	e.append(ledger.Event{Entity: "monitor/x1", Type: "monitor.hit", Source: ledger.SourceSystem, Confidence: 1, Actor: "monitor"})
	for range 80 {
		e.run()
		e.clock.advance(time.Hour)
	}
	gave, _ := e.l.Find(ledger.Query{Type: webhook.TypeGaveUp}, ledger.ReadOptions{})
	if len(gave) != 1 || gave[0].Entity != "webhook/"+sub.ID {
		t.Fatalf("webhook.gave-up: %v", gave)
	}
	e.append(ledger.Event{Entity: "monitor/x2", Type: "monitor.hit", Source: ledger.SourceSystem, Confidence: 1, Actor: "monitor"})
	if _, err := e.d.Enqueue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Unsubscribe(context.Background(), e.l, "account/admin-1", sub.ID); err != nil {
		t.Fatal(err)
	}
	st := e.run()
	if st.Dropped != 1 || st.Attempted != 0 {
		t.Errorf("after unsubscribing: %+v", st)
	}
	if subs, _ := webhook.Subscriptions(e.l); len(subs) != 0 {
		t.Errorf("subscriptions %v", subs)
	}
	for _, bad := range []webhook.Subscription{
		{Destination: "nowhere", Types: []string{"*"}},
		{Destination: "hooks-baa"},
		{Destination: "hooks-baa", Types: []string{"Call Ended"}},
		{Destination: "hooks-baa", Types: []string{"*"}, Path: "/../x"},
	} {
		if _, _, err := webhook.Subscribe(context.Background(), e.l, e.gate, "a", bad); !errors.Is(err, webhook.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
