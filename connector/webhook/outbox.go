package webhook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// The outbox lives in the aux bucket "webhook" (beside the sealed secret
// and the cursor, the seq of the next event to enqueue), in nested
// buckets: pending messages by ID, finished ones (delivered, given up,
// dropped) by ID, and the record of every attempt by time. Deliver reads
// only the pending ones.
const (
	pendingBucket  = "pending"
	finishedBucket = "finished"
	attemptsBucket = "attempts"
	cursorKey      = "cursor"
)

// nested returns the nested bucket name of aux bucket b, creating it when
// create is set; nil when b or it does not exist.
func nested(b *bolt.Bucket, name string, create bool) (*bolt.Bucket, error) {
	if b == nil {
		return nil, nil
	}
	if create {
		return b.CreateBucketIfNotExists([]byte(name))
	}
	return b.Bucket([]byte(name)), nil
}

// Defaults of Options.
const (
	DefaultRetryBase = 5 * time.Second
	DefaultMaxWait   = time.Hour
	DefaultMaxAge    = 72 * time.Hour
	DefaultRetention = 30 * 24 * time.Hour
	DefaultInterval  = time.Second
	DefaultWorkers   = 8
)

// Options configure a Dispatcher.
type Options struct {
	// Gate sends every delivery. Required.
	Gate *egress.Gate
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
	// RetryBase is the wait after a message's first failed attempt; each
	// further failure doubles it, with jitter, up to MaxWait.
	RetryBase, MaxWait time.Duration
	// MaxAge is how long a message is retried before it is given up
	// (webhook.gave-up).
	MaxAge time.Duration
	// Retention is how long attempts and finished messages are kept.
	Retention time.Duration
	// Overlap is the rotation overlap (default RotationOverlap).
	Overlap time.Duration
	// Interval is how often Run looks for new events and due messages.
	Interval time.Duration
	// Workers bounds concurrent deliveries.
	Workers int
}

// Dispatcher delivers one workspace's events to its subscriptions: it
// turns new ledger events into messages in a durable outbox (Enqueue),
// sends the messages that are due, signed, through the egress gate
// (Deliver), and purges old records (Purge).
type Dispatcher struct {
	l    *ledger.Ledger
	opts Options
	ws   string
	mu   sync.Mutex // one Enqueue or Deliver at a time
}

// NewDispatcher returns a dispatcher for workspace ledger l.
func NewDispatcher(l *ledger.Ledger, o Options) (*Dispatcher, error) {
	if o.Gate == nil {
		return nil, errors.New("webhook: a gate is required: deliveries go through the egress gate")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Overlap <= 0 {
		o.Overlap = RotationOverlap
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	ws := l.Workspace()
	if ws == "system" {
		ws = ""
	}
	return &Dispatcher{l: l, opts: o, ws: ws}, nil
}

// Message states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateGaveUp    = "gave-up"
	StateDropped   = "dropped" // the subscription ended first
)

// Message is one event for one subscription, in the outbox.
type Message struct {
	ID           string    `json:"id"`
	Subscription string    `json:"subscription"`
	Event        string    `json:"event"`
	Type         string    `json:"type"`
	Created      time.Time `json:"created"`
	State        string    `json:"state"`
	Attempts     int       `json:"attempts"`
	NextAt       time.Time `json:"next_at,omitzero"`
	Finished     time.Time `json:"finished,omitzero"`
}

// Attempt is the record of one delivery attempt, kept for Retention.
type Attempt struct {
	Time         time.Time `json:"time"`
	Message      string    `json:"message"`
	Subscription string    `json:"subscription"`
	Event        string    `json:"event"`
	Type         string    `json:"type"`
	Attempt      int       `json:"attempt"`
	// Status is the HTTP status (0 when none came back).
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	// Error says what went wrong, without the payload.
	Error string `json:"error,omitempty"`
	// Egress is the ID of the ledger event that records what was sent.
	Egress string `json:"egress,omitempty"`
	OK     bool   `json:"ok"`
}

// initCursor starts deliveries at the end of the log, if they have not
// started yet.
func initCursor(l *ledger.Ledger) error {
	if err := l.Sync(); err != nil {
		return err
	}
	size := l.Size()
	return l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		if b.Get([]byte(cursorKey)) != nil {
			return nil
		}
		return b.Put([]byte(cursorKey), []byte(strconv.FormatUint(size, 10)))
	})
}

// excluded reports events that never become messages: those about
// webhooks themselves, so a subscription to everything cannot feed on its
// own deliveries.
func excluded(ev *ledger.Event) bool {
	return strings.HasPrefix(ev.Entity, "webhook/") || ev.Entity == SecretEntity
}

// Enqueue turns the events recorded since the last call into messages for
// the subscriptions that want them. The messages and the new cursor are
// written in one transaction: an event is enqueued exactly once.
func (d *Dispatcher) Enqueue(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	subs, err := Subscriptions(d.l)
	if err != nil || len(subs) == 0 {
		return 0, err
	}
	total := 0
	for ctx.Err() == nil {
		var next uint64
		var have bool
		err := d.l.AuxView(auxBucket, func(b *bolt.Bucket) error {
			if b != nil {
				if v := b.Get([]byte(cursorKey)); v != nil {
					next, _ = strconv.ParseUint(string(v), 10, 64)
					have = true
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("webhook: enqueue: %w", err)
		}
		q := ledger.Query{Limit: 1000}
		if have && next > 0 {
			after := next - 1
			q.After = &after
		}
		evs, err := d.l.Find(q, ledger.ReadOptions{})
		if err != nil {
			return total, fmt.Errorf("webhook: enqueue: %w", err)
		}
		if len(evs) == 0 {
			return total, nil
		}
		var msgs []Message
		now := d.opts.Now()
		for _, ev := range evs {
			if excluded(ev) {
				continue
			}
			for i := range subs {
				s := &subs[i]
				if !s.wants(ev.Type) || ev.Recorded.Before(s.Created) {
					continue
				}
				msgs = append(msgs, Message{
					ID: "msg_" + ev.ID + strings.TrimPrefix(s.ID, "wh_"), Subscription: s.ID, Event: ev.ID, Type: ev.Type,
					Created: now, State: StatePending, NextAt: now,
				})
			}
		}
		last := evs[len(evs)-1].Seq
		err = d.l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
			ob, err := nested(b, pendingBucket, true)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				raw, err := json.Marshal(m)
				if err != nil {
					return err
				}
				if err := ob.Put([]byte(m.ID), raw); err != nil {
					return err
				}
			}
			return b.Put([]byte(cursorKey), []byte(strconv.FormatUint(last+1, 10)))
		})
		if err != nil {
			return total, fmt.Errorf("webhook: enqueue: %w", err)
		}
		total += len(msgs)
	}
	return total, ctx.Err()
}

// DeliverStats counts what a Deliver did.
type DeliverStats struct {
	Attempted int `json:"attempted"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	GaveUp    int `json:"gave_up"`
	Dropped   int `json:"dropped"`
}

// Deliver sends every pending message that is due, Workers at a time, and
// records each attempt. Only a 2xx answer delivers; any other answer, or
// none, schedules the next attempt after an exponential backoff with
// jitter, until MaxAge has passed since the message was created.
func (d *Dispatcher) Deliver(ctx context.Context) (DeliverStats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var st DeliverStats
	now := d.opts.Now()
	var due []Message
	err := d.l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		ob, _ := nested(b, pendingBucket, false)
		if ob == nil {
			return nil
		}
		return ob.ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("message %s is damaged: %w", k, err)
			}
			if m.State == StatePending && !m.NextAt.After(now) {
				due = append(due, m)
			}
			return nil
		})
	})
	if err != nil {
		return st, fmt.Errorf("webhook: deliver: %w", err)
	}
	secrets, err := signingSecrets(d.l, now, d.opts.Overlap)
	if err != nil && len(due) > 0 {
		return st, err
	}
	subs := map[string]*Subscription{}
	if all, err := Subscriptions(d.l); err == nil {
		for i := range all {
			subs[all[i].ID] = &all[i]
		}
	} else {
		return st, err
	}
	var mu sync.Mutex
	var errs []error
	work := make(chan Message)
	var wg sync.WaitGroup
	for range min(d.opts.Workers, max(len(due), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				outcome, err := d.deliverOne(ctx, m, subs[m.Subscription], secrets)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				switch outcome {
				case StateDelivered:
					st.Attempted++
					st.Delivered++
				case StatePending:
					st.Attempted++
					st.Failed++
				case StateGaveUp:
					st.Attempted++
					st.Failed++
					st.GaveUp++
				case StateDropped:
					st.Dropped++
				}
				mu.Unlock()
			}
		}()
	}
	for _, m := range due {
		if ctx.Err() != nil {
			break
		}
		work <- m
	}
	close(work)
	wg.Wait()
	return st, errors.Join(errs...)
}

// deliverOne makes one attempt and records it; it returns the message's
// new state.
func (d *Dispatcher) deliverOne(ctx context.Context, m Message, s *Subscription, secrets []string) (string, error) {
	now := d.opts.Now()
	if s == nil {
		m.State, m.Finished = StateDropped, now
		return StateDropped, d.save(m, nil)
	}
	body, err := d.payload(m, s)
	if err != nil {
		return "", err
	}
	ts := now.Unix()
	req := egress.Request{
		Destination: s.Destination, Workspace: d.ws, Entity: "webhook/" + s.ID, Actor: Actor, Purpose: "webhook",
		Method: http.MethodPost, Path: s.Path, Payload: egress.JSON{Value: json.RawMessage(body)},
		// Identifiers stay as they are for a redacted destination too
		// (they are single tokens; anything else is still redacted).
		PassThrough: []string{"type", "timestamp", "data.event", "data.type", "data.entity", "data.workspace", "data.recorded"},
		// The headers are set with the signature, over the exact bytes
		// the gate sends (after any redaction); they are protocol values,
		// not payload.
		Sign: func(sent []byte, h http.Header) error {
			sig, err := SignAll(secrets, m.ID, ts, sent)
			if err != nil {
				return err
			}
			h.Set(HeaderID, m.ID)
			h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
			h.Set(HeaderSignature, sig)
			return nil
		},
	}
	start := time.Now()
	resp, err := d.opts.Gate.Do(ctx, req)
	latency := time.Since(start)
	m.Attempts++
	a := Attempt{
		Time: now, Message: m.ID, Subscription: s.ID, Event: m.Event, Type: m.Type, Attempt: m.Attempts,
		LatencyMS: float64(latency.Microseconds()) / 1000,
	}
	switch {
	case err != nil:
		a.Error = err.Error()
		// A 429 or 5xx answer comes back as an error, with its status.
		if se := (*egress.StatusError)(nil); errors.As(err, &se) {
			a.Status = se.Status
		}
	default:
		a.Status, a.Egress = resp.Status, resp.Egress.EventID
		a.OK = resp.Status >= 200 && resp.Status < 300
		if !a.OK {
			a.Error = "HTTP " + strconv.Itoa(resp.Status)
		}
	}
	var gaveUp bool
	switch {
	case a.OK:
		m.State, m.Finished, m.NextAt = StateDelivered, now, time.Time{}
	case now.Sub(m.Created) >= d.opts.MaxAge:
		m.State, m.Finished, m.NextAt = StateGaveUp, now, time.Time{}
		gaveUp = true
	default:
		m.NextAt = now.Add(backoff(d.opts.RetryBase, d.opts.MaxWait, m.Attempts))
	}
	if err := d.save(m, &a); err != nil {
		return "", err
	}
	if gaveUp {
		if _, err := d.l.Append(context.WithoutCancel(ctx), ledger.Event{
			Entity: "webhook/" + s.ID, Type: TypeGaveUp, Source: ledger.SourceSystem, Confidence: 1, Actor: Actor,
			Attrs: map[string]string{"message": m.ID, "event": m.Event, "event_type": m.Type, "attempts": strconv.Itoa(m.Attempts)},
		}); err != nil {
			return m.State, fmt.Errorf("webhook: record: %w", err)
		}
	}
	return m.State, nil
}

// backoff is the wait after the n-th failure: base·2^(n-1), at most max,
// with jitter over its upper half.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base << min(n-1, 40)
	if d <= 0 || d > limit {
		d = limit
	}
	half := d / 2
	return half + rand.N(half+1)
}

// save writes the message and, if any, its attempt in one transaction.
func (d *Dispatcher) save(m Message, a *Attempt) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = d.l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		pb, err := nested(b, pendingBucket, true)
		if err != nil {
			return err
		}
		if m.State == StatePending {
			err = pb.Put([]byte(m.ID), raw)
		} else {
			var fb *bolt.Bucket
			if fb, err = nested(b, finishedBucket, true); err == nil {
				if err = pb.Delete([]byte(m.ID)); err == nil {
					err = fb.Put([]byte(m.ID), raw)
				}
			}
		}
		if err != nil {
			return err
		}
		if a == nil {
			return nil
		}
		ab, err := nested(b, attemptsBucket, true)
		if err != nil {
			return err
		}
		ar, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return ab.Put(attemptKey(a.Time, m.ID, a.Attempt), ar)
	})
	if err != nil {
		return fmt.Errorf("webhook: outbox: %w", err)
	}
	return nil
}

// attemptKey orders attempts by time.
func attemptKey(t time.Time, msg string, n int) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
	k = append(k, msg...)
	return binary.BigEndian.AppendUint32(k, uint32(n))
}

// payload builds a message's body. Every destination gets the event's IDs
// and type; a baa destination also gets its non-PHI attributes, and its
// PHI values when the subscription asks for them.
func (d *Dispatcher) payload(m Message, s *Subscription) ([]byte, error) {
	dest, ok := d.opts.Gate.Destination(s.Destination)
	baa := ok && dest.Class == egress.ClassBAA
	ev, err := d.l.GetByID(m.Event, ledger.ReadOptions{PHI: baa && s.IncludePHI})
	if err != nil {
		return nil, fmt.Errorf("webhook: message %s: %w", m.ID, err)
	}
	data := map[string]any{
		"event": ev.ID, "type": ev.Type, "entity": ev.Entity, "workspace": ev.Workspace,
		"seq": ev.Seq, "recorded": ev.Recorded.UTC().Format(time.RFC3339Nano),
	}
	if baa {
		data["source"] = ev.Source.String()
		data["confidence"] = ev.Confidence
		data["actor"] = ev.Actor
		if len(ev.Attrs) > 0 {
			data["attrs"] = ev.Attrs
		}
		if len(ev.Supersedes) > 0 {
			data["supersedes"] = ev.Supersedes
		}
		if s.IncludePHI && len(ev.PHI) > 0 {
			data["subject"] = ev.Subject
			data["phi"] = ev.PHI
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err = enc.Encode(map[string]any{
		"type": ev.Type, "timestamp": ev.Recorded.UTC().Format(time.RFC3339Nano), "data": data,
	})
	return bytes.TrimSpace(buf.Bytes()), err
}

// PurgeStats counts what a Purge removed.
type PurgeStats struct {
	Attempts int `json:"attempts"`
	Messages int `json:"messages"`
}

// Purge deletes the attempts recorded, and the messages finished, more than
// Retention ago.
func (d *Dispatcher) Purge() (PurgeStats, error) {
	var ps PurgeStats
	cut := d.opts.Now().Add(-d.opts.Retention)
	err := d.l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error {
		ab, err := nested(b, attemptsBucket, true)
		if err != nil {
			return err
		}
		c := ab.Cursor()
		limit := binary.BigEndian.AppendUint64(nil, uint64(cut.UnixNano()))
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], limit) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			ps.Attempts++
		}
		ob, err := nested(b, finishedBucket, true)
		if err != nil {
			return err
		}
		var old [][]byte
		err = ob.ForEach(func(k, v []byte) error {
			var m Message
			if json.Unmarshal(v, &m) == nil && m.Finished.Before(cut) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		ps.Messages = len(old)
		return nil
	})
	if err != nil {
		return ps, fmt.Errorf("webhook: purge: %w", err)
	}
	return ps, nil
}

// RunOnce enqueues, delivers what is due, and purges.
func (d *Dispatcher) RunOnce(ctx context.Context) (DeliverStats, error) {
	if _, err := d.Enqueue(ctx); err != nil {
		return DeliverStats{}, err
	}
	st, err := d.Deliver(ctx)
	if err != nil {
		return st, err
	}
	_, err = d.Purge()
	return st, err
}

// Run calls RunOnce every Interval until ctx ends; errs, when not nil,
// receives each round's error for the caller's log.
func (d *Dispatcher) Run(ctx context.Context, errs func(error)) error {
	t := time.NewTicker(d.opts.Interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && errs != nil && ctx.Err() == nil {
			errs(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// DeliveryFilter selects attempts.
type DeliveryFilter struct {
	// Subscription, when set, selects its attempts.
	Subscription string
	// Since selects attempts at or after it.
	Since time.Time
	// Limit bounds the result (default 100), newest first.
	Limit int
}

// Deliveries returns the recorded attempts, newest first.
func Deliveries(l *ledger.Ledger, f DeliveryFilter) ([]Attempt, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	out := []Attempt{}
	err := l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		ab, _ := nested(b, attemptsBucket, false)
		if ab == nil {
			return nil
		}
		c := ab.Cursor()
		for k, v := c.Last(); k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var a Attempt
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("attempt record is damaged: %w", err)
			}
			if !f.Since.IsZero() && a.Time.Before(f.Since) {
				break
			}
			if f.Subscription != "" && a.Subscription != f.Subscription {
				continue
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: deliveries: %w", err)
	}
	return out, nil
}

// Messages returns the outbox's messages: pending ones, then finished
// ones, each in ID order.
func Messages(l *ledger.Ledger) ([]Message, error) {
	out := []Message{}
	err := l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		for _, name := range []string{pendingBucket, finishedBucket} {
			ob, _ := nested(b, name, false)
			if ob == nil {
				continue
			}
			err := ob.ForEach(func(_, v []byte) error {
				var m Message
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				out = append(out, m)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: messages: %w", err)
	}
	return out, nil
}
