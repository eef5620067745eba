package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"frontdesk/gate/phi"
	"frontdesk/ledger"
)

// typicalChat is a chat request as the receptionist sends it mid-call: a
// system prompt, tool definitions, eight turns and a tool call.
func typicalChat() map[string]any {
	fn := func(name, desc string, props map[string]any) map[string]any {
		return map[string]any{"type": "function", "function": map[string]any{"name": name, "description": desc,
			"parameters": map[string]any{"type": "object", "properties": props}}}
	}
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	turns := []string{
		"Thank you for calling Riverside Family Clinic, how can I help you today?",
		"hi this is maria gonzalez i need to move my appointment with doctor patel",
		"I can help with that. Before I look up your appointment, can you tell me your date of birth?",
		"sure it's march third nineteen eighty",
		"Thank you. I found an appointment on Tuesday at 10 in the morning with Dr. Patel. When would you like to move it to?",
		"is there anything thursday afternoon, and can you text the confirmation to 555-201-7788",
		"There is an opening on Thursday at 3:30 PM. Shall I book it and send the confirmation by text?",
		"yes please that works thanks so much",
	}
	msgs := []any{map[string]any{"role": "system", "content": "You are the receptionist of a small family clinic. " +
		"Verify the caller's name and date of birth before discussing any appointment. Be brief and friendly. " +
		"Use the tools to look up patients, list open slots and book appointments. Never give medical advice."}}
	for i, t := range turns {
		role := "assistant"
		if i%2 == 1 {
			role = "user"
		}
		msgs = append(msgs, map[string]any{"role": role, "content": t})
	}
	msgs = append(msgs, map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{
		"id": "call_8fK2mQ01", "type": "function", "function": map[string]any{"name": "book_appointment",
			"arguments": `{"patient":"patient/123","slot":"2025-03-06T15:30:00-05:00","notify_phone":"555-201-7788"}`}}}})
	return map[string]any{
		"model": "gpt-4o-mini", "temperature": 0.2, "messages": msgs,
		"tools": []any{
			fn("find_patient", "Find a patient by name and date of birth.", map[string]any{"name": str("Full name"), "dob": str("Date of birth, YYYY-MM-DD")}),
			fn("list_slots", "List open appointment slots.", map[string]any{"provider": str("Provider"), "day": str("Day")}),
			fn("book_appointment", "Book a slot for a patient.", map[string]any{"patient": str("Patient reference"), "slot": str("Slot start")}),
		},
	}
}

// discard is a Recorder that keeps nothing, to separate the gate's own cost
// from the ledger's.
type discard struct{}

func (discard) Append(_ context.Context, e ledger.Event) (*ledger.Event, error) { return &e, nil }

// BenchmarkEgressOverhead sends a typical chat request to a loopback server
// directly and through the gate, with an in-memory recorder and with a real
// ledger, and reports the time per request of each and the gate's overhead.
func BenchmarkEgressOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"Booked."},"finish_reason":"stop"}]}`))
	}))
	defer srv.Close()
	payload := typicalChat()
	raw, _ := json.Marshal(payload)
	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	ls := newLedgers(b)
	for _, class := range []Class{ClassBAA, ClassRedacted, ClassIDsOnly} {
		b.Run(string(class), func(b *testing.B) {
			cfg := Config{Destinations: []Destination{{Name: "llm", Class: class, BaseURL: srv.URL, BAA: signed}}}
			mem, _ := New(cfg, Options{Recorder: func(string) (Recorder, error) { return discard{}, nil }})
			led, _ := New(cfg, Options{Recorder: ls.recorder})
			defer mem.Close()
			defer led.Close()
			req := Request{Destination: "llm", Workspace: "bench", Path: "chat/completions", Payload: JSON{payload},
				PassThrough: chatPassThrough, Pseudonyms: phi.NewPseudonymizer(), Idempotent: true}
			ctx := context.Background()
			// Each path runs in its own loop, after one warm-up request, so
			// that none pays for another's connection or disk sync.
			post := func() {
				resp, err := direct.Post(srv.URL+"/chat/completions", "application/json", bytes.NewReader(raw))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			via := func(g *Gate) func() {
				return func() {
					if _, err := g.Do(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			}
			timed := func(f func()) time.Duration {
				f()
				t0 := time.Now()
				for i := 0; i < b.N; i++ {
					f()
				}
				return time.Since(t0)
			}
			b.ResetTimer()
			tDirect := timed(post)
			tMem := timed(via(mem))
			tLedger := timed(via(led))
			n := float64(b.N)
			us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
			b.ReportMetric(us(tDirect), "direct-µs/req")
			b.ReportMetric(us(tMem), "gate-µs/req")
			b.ReportMetric(us(tLedger), "gate+ledger-µs/req")
			b.ReportMetric(us(tMem-tDirect), "gate-overhead-µs/req")
			b.ReportMetric(us(tLedger-tDirect), "total-overhead-µs/req")
		})
	}
}

// BenchmarkRedactChat measures the class rules alone on a typical chat
// request (about 3 KB of JSON) for a redacted destination.
func BenchmarkRedactChat(b *testing.B) {
	payload := typicalChat()
	raw, _ := json.Marshal(payload)
	det := phi.New(phi.Options{})
	dest := &destination{Destination: Destination{Name: "llm", Class: ClassRedacted}}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := newRules(ClassRedacted, det, phi.NewPseudonymizer(), chatPassThrough)
		out, _, ref := encodeBody(dest, r, JSON{json.RawMessage(raw)})
		if ref != nil || len(out) == 0 {
			b.Fatal(ref.err)
		}
	}
	b.ReportMetric(float64(len(raw)), "request-bytes")
}
