package egress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdesk/gate/phi"
)

// chatPayload is an OpenAI-style chat request with canaries in free text
// and in tool-call arguments.
func chatPayload() map[string]any {
	return map[string]any{
		"model":       "gpt-4o-mini",
		"temperature": 0.2,
		"messages": []any{
			map[string]any{"role": "system", "content": "You are the receptionist of a small clinic."},
			map[string]any{"role": "user", "content": canaryTurn},
			map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{
				"id": "call_8fK2mQ01", "type": "function",
				"function": map[string]any{"name": "find_patient", "arguments": `{"name":"Maria Gonzalez","dob":"03/14/1980","mrn":"00482913"}`},
			}}},
			map[string]any{"role": "tool", "tool_call_id": "call_8fK2mQ01", "content": `{"patient":"patient/123","phone":"555-201-7788"}`},
		},
	}
}

var chatPassThrough = []string{"model", "messages.*.role", "messages.*.tool_call_id", "messages.*.tool_calls.*.id",
	"messages.*.tool_calls.*.type", "messages.*.tool_calls.*.function.name"}

func TestRedactedDestinationNeverSeesCanaries(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	resp, err := f.gate.Do(ctx, Request{
		Destination: "llm-redacted", Workspace: "clinic-a", Entity: "call/01J9ZC7Q6T2B3N4M5P6R7S8T9V", Purpose: "chat",
		Path: "chat/completions", Payload: JSON{chatPayload()}, PassThrough: chatPassThrough,
	})
	if err != nil {
		t.Fatal(err)
	}
	hits := f.srv.requests()
	if len(hits) != 1 {
		t.Fatalf("server got %d requests, want 1", len(hits))
	}
	sent := hits[0].Body
	assertNoCanary(t, "body sent to the redacted destination", f.srv.allBytes())
	for _, want := range []string{"[NAME]", "[DATE]", "[PHONE]", "[SSN]", "[MRN]", `"model":"gpt-4o-mini"`,
		`"role":"user"`, `"tool_call_id":"call_8fK2mQ01"`, `"name":"find_patient"`, `"temperature":0.2`} {
		if !strings.Contains(string(sent), want) {
			t.Errorf("sent body lacks %s:\n%s", want, sent)
		}
	}
	if hits[0].Path != "/v1/chat/completions" {
		t.Errorf("path %q", hits[0].Path)
	}
	// The tool-call arguments are still a JSON document, redacted inside.
	var doc struct {
		Messages []struct {
			ToolCalls []struct {
				Function struct{ Arguments string }
			} `json:"tool_calls"`
		}
	}
	if err := json.Unmarshal(sent, &doc); err != nil {
		t.Fatal(err)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(doc.Messages[2].ToolCalls[0].Function.Arguments), &args); err != nil {
		t.Fatalf("arguments are no longer JSON: %v", err)
	}
	if args["name"] != "[NAME]" || args["dob"] != "[DATE]" || args["mrn"] != "[NUMBER]" {
		t.Errorf("arguments = %v", args)
	}

	if resp.Egress.SHA256 != sha256Hex(sent) || resp.Egress.Bytes != len(sent) {
		t.Errorf("egress says sha256 %s, %d bytes; server got %s, %d", resp.Egress.SHA256, resp.Egress.Bytes, sha256Hex(sent), len(sent))
	}
	evs := f.ls.Events(t, "clinic-a", "egress.sent")
	if len(evs) != 1 {
		t.Fatalf("%d egress.sent events, want 1", len(evs))
	}
	ev := evs[0]
	want := map[string]string{
		"destination": "llm-redacted", "class": "redacted", "sha256": sha256Hex(sent), "bytes": fmt.Sprint(len(sent)),
		"status": "200", "attempts": "1", "purpose": "chat", "operator": "placeholder", "payload": "json", "method": "POST",
		"redacted.NAME": "2", "redacted.DATE": "2", "redacted.PHONE": "2", "redacted.SSN": "1", "redacted.MRN": "1", "redacted.NUMBER": "1",
	}
	for k, v := range want {
		if ev.Attrs[k] != v {
			t.Errorf("event attr %s = %q, want %q", k, ev.Attrs[k], v)
		}
	}
	if ev.Entity != "call/01J9ZC7Q6T2B3N4M5P6R7S8T9V" || ev.ID != resp.Egress.EventID {
		t.Errorf("event entity %q id %q; response says %q", ev.Entity, ev.ID, resp.Egress.EventID)
	}
	assertNoCanary(t, "ledger", f.ls.Envelopes(t, "clinic-a"))
}

func TestBAADestinationGetsPayloadAsIs(t *testing.T) {
	f := newFixture(t, nil, nil)
	payload := chatPayload()
	exact, _ := json.Marshal(payload)
	resp, err := f.gate.Do(context.Background(), Request{
		Destination: "llm-baa", Workspace: "clinic-a", Purpose: "chat", Path: "/chat/completions",
		Payload: JSON{payload}, Pseudonyms: phi.NewPseudonymizer(),
	})
	if err != nil {
		t.Fatal(err)
	}
	hits := f.srv.requests()
	if len(hits) != 1 || string(hits[0].Body) != string(exact) {
		t.Fatalf("baa destination got %d requests; body differs from the payload", len(hits))
	}
	for _, c := range []string{"Maria Gonzalez", "03/14/1980", "555-201-7788", "123-45-6789", "00482913"} {
		if !strings.Contains(string(hits[0].Body), c) {
			t.Errorf("baa body lacks %q", c)
		}
	}
	ev := f.ls.Events(t, "clinic-a", "egress.sent")[0]
	if ev.Attrs["class"] != "baa" || ev.Attrs["sha256"] != sha256Hex(exact) || ev.Attrs["operator"] != "none" {
		t.Errorf("event attrs %v", ev.Attrs)
	}
	for k := range ev.Attrs {
		if strings.HasPrefix(k, "redacted.") {
			t.Errorf("baa egress counts a redaction: %s", k)
		}
	}
	if resp.Egress.Counts.Total() != 0 {
		t.Errorf("counts %v", resp.Egress.Counts)
	}
	assertNoCanary(t, "ledger", f.ls.Envelopes(t, "clinic-a"))
}

func TestPseudonymsAreReidentifiedInReply(t *testing.T) {
	f := newFixture(t, nil, nil)
	ps := phi.NewPseudonymizer()
	resp, err := f.gate.Do(context.Background(), Request{
		Destination: "llm-redacted", Workspace: "clinic-a", Path: "echo",
		Payload: Text{Body: canaryTurn}, Pseudonyms: ps,
	})
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "request", f.srv.allBytes())
	sent := string(f.srv.requests()[0].Body)
	for _, s := range []string{"[NAME_1]", "[DATE_1]", "[PHONE_1]", "[SSN_1]", "[MRN_1]"} {
		if !strings.Contains(sent, s) {
			t.Errorf("sent text lacks surrogate %s: %q", s, sent)
		}
	}
	// The server echoes the body: the reply re-identifies to the original.
	if got := ps.Reidentify(string(resp.Body)); got != canaryTurn {
		t.Errorf("reidentified reply %q, want %q", got, canaryTurn)
	}
	if ev := f.ls.Events(t, "clinic-a", "egress.sent")[0]; ev.Attrs["operator"] != "pseudonym" || ev.Attrs["payload"] != "text" {
		t.Errorf("attrs %v", ev.Attrs)
	}
}

func TestKnownNamesFromTheWorkspaceDetector(t *testing.T) {
	f := newFixture(t, nil, nil)
	turn := "This is Rosalind Fairweather calling about my appointment."
	det := phi.New(phi.Options{KnownNames: []string{"Rosalind Fairweather"}})
	if _, err := f.gate.Do(context.Background(), Request{
		Destination: "llm-redacted", Workspace: "clinic-a", Path: "echo", Payload: Text{Body: turn}, Detector: det,
	}); err != nil {
		t.Fatal(err)
	}
	if got := string(f.srv.requests()[0].Body); strings.Contains(got, "Fairweather") || strings.Contains(got, "Rosalind") {
		t.Errorf("known name reached the destination: %q", got)
	}
}

func TestIDsOnlyKeepsIdentifiersOnly(t *testing.T) {
	f := newFixture(t, nil, nil)
	alert := map[string]any{
		"type":     "review.item-created",
		"id":       "01J9ZC7Q6T2B3N4M5P6R7S8T9V",
		"entity":   "patient/123",
		"review":   "review/01J9ZC8A1B2C3D4E5F6G7H8J9K",
		"webhook":  "msg_p5jXN8AQM9LWM0D4loKWxJek",
		"uuid":     "550e8400-e29b-41d4-a716-446655440000",
		"at":       "2025-03-04T10:00:00Z",
		"count":    3,
		"urgent":   true,
		"text":     "New review item patient/123: " + canaryTurn,
		"dob":      "1980-03-14",
		"mrn":      482913004,
		"Gonzalez": map[string]any{"phone": "5552017788"},
	}
	resp, err := f.gate.Do(context.Background(), Request{Destination: "alerts", Workspace: "clinic-a", Purpose: "alert", Path: "review", Payload: JSON{alert}})
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "ids-only request", f.srv.allBytes())
	var got map[string]any
	if err := json.Unmarshal(f.srv.requests()[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "id", "entity", "review", "webhook", "uuid", "at"} {
		if got[k] != alert[k] {
			t.Errorf("%s = %v, want %v kept", k, got[k], alert[k])
		}
	}
	if got["count"] != 3.0 || got["urgent"] != true {
		t.Errorf("count %v urgent %v", got["count"], got["urgent"])
	}
	if got["text"] != "[WITHHELD] patient/123 [WITHHELD]" {
		t.Errorf("text = %q", got["text"])
	}
	if got["dob"] != withheldText || got["mrn"] != withheldText {
		t.Errorf("dob %v mrn %v", got["dob"], got["mrn"])
	}
	if _, ok := got["Gonzalez"]; ok {
		t.Error("a key holding a name was kept")
	}
	if resp.Egress.Counts[Withheld] < 10 {
		t.Errorf("withheld count %d", resp.Egress.Counts[Withheld])
	}
	ev := f.ls.Events(t, "clinic-a", "egress.sent")[0]
	if ev.Attrs["class"] != "ids-only" || ev.Attrs["redacted.WITHHELD"] != fmt.Sprint(resp.Egress.Counts[Withheld]) {
		t.Errorf("attrs %v", ev.Attrs)
	}
	assertNoCanary(t, "ledger", f.ls.Envelopes(t, "clinic-a"))
}

func TestAudioGoesOnlyToBAA(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	audio := []byte("RIFF\x24\x00\x00\x00WAVEfmt synthetic audio bytes")
	for _, dest := range []string{"llm-redacted", "alerts"} {
		for _, p := range []Payload{
			Audio{Data: audio, ContentType: "audio/wav"},
			Form{Fields: []Field{{"model", "whisper-1"}}, Files: []File{{Field: "file", Filename: "u.wav", ContentType: "audio/wav", Data: audio}}},
		} {
			_, err := f.gate.Do(ctx, Request{Destination: dest, Workspace: "clinic-a", Path: "audio/transcriptions", Payload: p})
			if !errors.Is(err, ErrAudioRefused) || !errors.Is(err, ErrRefused) {
				t.Errorf("%s %T: err = %v, want ErrAudioRefused", dest, p, err)
			}
		}
		_, err := f.gate.Do(ctx, Request{Destination: dest, Workspace: "clinic-a", Path: "files",
			Payload: Form{Files: []File{{Field: "file", Filename: "notes.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}}}})
		if !errors.Is(err, ErrFileRefused) {
			t.Errorf("%s: file err = %v, want ErrFileRefused", dest, err)
		}
	}
	if n := len(f.srv.requests()); n != 0 {
		t.Fatalf("server got %d requests for refused audio", n)
	}
	refused := f.ls.Events(t, "clinic-a", "egress.refused")
	if len(refused) != 6 {
		t.Fatalf("%d egress.refused events, want 6", len(refused))
	}
	if refused[0].Attrs["reason"] != "audio-not-baa" || refused[0].Attrs["class"] != "redacted" || refused[0].Attrs["payload"] != "audio" {
		t.Errorf("refusal attrs %v", refused[0].Attrs)
	}

	resp, err := f.gate.Do(ctx, Request{Destination: "llm-baa", Workspace: "clinic-a", Path: "audio/raw", Payload: Audio{Data: audio, ContentType: "audio/wav"}})
	if err != nil {
		t.Fatal(err)
	}
	hits := f.srv.requests()
	if len(hits) != 1 || string(hits[0].Body) != string(audio) || hits[0].Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("baa audio not delivered as is")
	}
	if resp.Egress.SHA256 != sha256Hex(audio) {
		t.Error("audio hash differs")
	}
}

func TestUnknownDestinationRefused(t *testing.T) {
	f := newFixture(t, nil, nil)
	_, err := f.gate.Do(context.Background(), Request{Destination: "pastebin", Workspace: "clinic-a", Payload: Text{Body: canaryTurn}})
	if !errors.Is(err, ErrUnknownDestination) || !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrUnknownDestination", err)
	}
	assertNoCanary(t, "error", []byte(err.Error()))
	// A name that is not a name is not echoed.
	_, err = f.gate.Do(context.Background(), Request{Destination: "Maria Gonzalez", Workspace: "clinic-a"})
	if !errors.Is(err, ErrUnknownDestination) || strings.Contains(err.Error(), "Gonzalez") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.srv.requests()); n != 0 {
		t.Fatalf("server got %d requests", n)
	}
	evs := f.ls.Events(t, "clinic-a", "egress.refused")
	if len(evs) != 2 || evs[0].Attrs["reason"] != "unknown-destination" || evs[0].Attrs["destination"] != "pastebin" || evs[1].Attrs["destination"] != "invalid" {
		t.Fatalf("refusal events %+v", evs)
	}
	assertNoCanary(t, "ledger", f.ls.Envelopes(t, "clinic-a"))
}

func TestRetriesOn503ThenSucceeds(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}, nil)
	resp, err := f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "chat/completions",
		Payload: JSON{map[string]any{"q": "hello"}}, Idempotent: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Egress.Attempts != 3 || len(f.srv.requests()) != 3 {
		t.Fatalf("status %d, %d attempts, %d requests", resp.Status, resp.Egress.Attempts, len(f.srv.requests()))
	}
	hits := f.srv.requests()
	for _, h := range hits[1:] {
		if string(h.Body) != string(hits[0].Body) {
			t.Error("a retry sent different bytes")
		}
	}
	if w := f.sleeps.waits(); len(w) != 2 || w[0] <= 0 || w[1] <= 0 {
		t.Errorf("waits %v, want two backoffs", w)
	}
	if ev := f.ls.Events(t, "clinic-a", "egress.sent")[0]; ev.Attrs["attempts"] != "3" || ev.Attrs["status"] != "200" {
		t.Errorf("attrs %v", ev.Attrs)
	}
}

func TestRetriesStopAndReportUnavailable(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}, func(d *Destination) { d.MaxAttempts = 4 })
	_, err := f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "chat/completions",
		Payload: Text{Body: canaryTurn}, Idempotent: true})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "llm-redacted") || !strings.Contains(err.Error(), "503") {
		t.Errorf("error does not say which destination failed how: %v", err)
	}
	assertNoCanary(t, "error", []byte(err.Error()))
	if n := len(f.srv.requests()); n != 4 {
		t.Fatalf("%d requests, want 4 (MaxAttempts)", n)
	}
	evs := f.ls.Events(t, "clinic-a", "egress.failed")
	if len(evs) != 1 || evs[0].Attrs["attempts"] != "4" || evs[0].Attrs["status"] != "503" || evs[0].Attrs["reason"] != "unavailable" {
		t.Fatalf("failed events %+v", evs)
	}
	if evs[0].Attrs["sha256"] != sha256Hex(f.srv.requests()[0].Body) {
		t.Error("failed event does not hash the bytes sent")
	}

	// A POST that is not idempotent is sent once.
	before := len(f.srv.requests())
	_, err = f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "x", Payload: Text{Body: "hello"}})
	if !errors.Is(err, ErrUnavailable) || len(f.srv.requests()) != before+1 {
		t.Fatalf("non-idempotent POST: err %v, %d requests", err, len(f.srv.requests())-before)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("{}"))
	}, nil)
	// 429 means the request was not processed: retried even for a POST.
	resp, err := f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "x", Payload: Text{Body: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.sleeps.waits(); len(w) != 1 || w[0] != 7*time.Second || resp.Egress.Attempts != 2 {
		t.Fatalf("waits %v, attempts %d; want one wait of 7s", w, resp.Egress.Attempts)
	}
	// A Retry-After beyond the context's deadline ends the retries at once.
	f2 := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = f2.gate.Do(ctx, Request{Destination: "llm-redacted", Workspace: "clinic-a", Method: "GET", Path: "models"})
	if !errors.Is(err, ErrUnavailable) || len(f2.srv.requests()) != 1 || len(f2.sleeps.waits()) != 0 {
		t.Fatalf("err %v, %d requests, waits %v", err, len(f2.srv.requests()), f2.sleeps.waits())
	}
}

func TestDestinationDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	ls := newLedgers(t)
	sl := &sleeps{}
	g, err := New(Config{Destinations: []Destination{{Name: "down", Class: ClassBAA, BAA: signed, BaseURL: base, RetryBase: Duration(time.Millisecond)}}},
		Options{Recorder: ls.recorder, Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Do(context.Background(), Request{Destination: "down", Workspace: "clinic-a", Path: "patients/Maria-Gonzalez",
		Query: url.Values{"dob": {"03/14/1980"}}, Payload: Text{Body: canaryTurn}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "down") || !strings.Contains(msg, "cannot connect") || !strings.Contains(msg, "3 attempt") {
		t.Errorf("error is not clear: %s", msg)
	}
	assertNoCanary(t, "error", []byte(msg))
	if strings.Contains(msg, "Maria") || strings.Contains(msg, "patients") {
		t.Errorf("error quotes the URL: %s", msg)
	}
	evs := ls.Events(t, "clinic-a", "egress.failed")
	if len(evs) != 1 || evs[0].Attrs["status"] != "0" || evs[0].Attrs["attempts"] != "3" {
		t.Fatalf("events %+v", evs)
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	release := make(chan struct{})
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, func(d *Destination) { d.Timeout = Duration(20 * time.Millisecond); d.MaxAttempts = 2 })
	defer close(release)
	_, err := f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Method: "GET", Path: "models"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		w.Write(make([]byte, 4096))
	}, func(d *Destination) { d.MaxResponseBytes = 1024 })
	_, err := f.gate.Do(context.Background(), Request{Destination: "llm-baa", Workspace: "clinic-a", Method: "GET", Path: "big"})
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if evs := f.ls.Events(t, "clinic-a", "egress.failed"); len(evs) != 1 || evs[0].Attrs["reason"] != "response-too-large" {
		t.Fatalf("events %+v", evs)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newServer(t, nil)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	}, nil)
	resp, err := f.gate.Do(context.Background(), Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "x", Payload: Text{Body: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusTemporaryRedirect || len(elsewhere.requests()) != 0 {
		t.Fatalf("status %d, redirect target got %d requests", resp.Status, len(elsewhere.requests()))
	}
}

func TestPathQueryAndHeadersOfNonBAA(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	cases := []struct {
		name, reason string
		req          Request
	}{
		{"path", "path-not-clean", Request{Path: "patients/Maria Gonzalez"}},
		{"path digits", "path-not-clean", Request{Path: "patients/5552017788"}},
		{"query", "query-not-clean", Request{Path: "patients", Query: url.Values{"dob": {"03/14/1980"}}}},
		{"header", "header-not-clean", Request{Path: "x", Header: http.Header{"X-Caller": {"555-201-7788"}}}},
		{"reserved header", "reserved-header", Request{Path: "x", Header: http.Header{"Authorization": {"Bearer x"}}}},
		{"escape", "invalid-path", Request{Path: "../../etc"}},
		{"absolute", "invalid-path", Request{Path: "http://elsewhere.example/x"}},
	}
	for _, c := range cases {
		c.req.Destination, c.req.Workspace, c.req.Method = "llm-redacted", "clinic-a", "GET"
		_, err := f.gate.Do(ctx, c.req)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want refusal", c.name, err)
			continue
		}
		assertNoCanary(t, c.name+" error", []byte(err.Error()))
	}
	if n := len(f.srv.requests()); n != 0 {
		t.Fatalf("server got %d requests", n)
	}
	evs := f.ls.Events(t, "clinic-a", "egress.refused")
	for i, c := range cases {
		if evs[i].Attrs["reason"] != c.reason {
			t.Errorf("%s: reason %q, want %q", c.name, evs[i].Attrs["reason"], c.reason)
		}
	}
	// Identifiers in the path and query are fine, and a baa destination
	// takes any path.
	if _, err := f.gate.Do(ctx, Request{Destination: "llm-redacted", Workspace: "clinic-a", Method: "GET",
		Path: "events/01J9ZC7Q6T2B3N4M5P6R7S8T9V", Query: url.Values{"type": {"review.item-created"}}, Header: http.Header{"Accept": {"application/json"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.gate.Do(ctx, Request{Destination: "llm-baa", Workspace: "clinic-a", Method: "GET",
		Path: "Patient", Query: url.Values{"name": {"Maria Gonzalez"}}}); err != nil {
		t.Fatal(err)
	}
	hits := f.srv.requests()
	if len(hits) != 2 || hits[0].Path != "/v1/events/01J9ZC7Q6T2B3N4M5P6R7S8T9V" || hits[1].RawQuery != "name=Maria+Gonzalez" {
		t.Fatalf("hits %+v", hits)
	}
}

func TestSecretsAreResolvedAndNeverEchoed(t *testing.T) {
	const key = "sk-test-7f3c9e1d2b4a"
	srv := newServer(t, nil)
	ls := newLedgers(t)
	dest := Destination{Name: "llm", Class: ClassRedacted, BaseURL: srv.URL, Auth: &Auth{Scheme: "Bearer", Secret: "openai-key"}}
	g, err := New(Config{Destinations: []Destination{dest}}, Options{Recorder: ls.recorder, Secrets: secrets{"openai-key": key}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Do(context.Background(), Request{Destination: "llm", Workspace: "clinic-a", Path: "x", Payload: Text{Body: "hello"}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].Header.Get("Authorization"); got != "Bearer "+key {
		t.Errorf("Authorization = %q", got)
	}
	cfg, _ := json.Marshal(g.Config())
	if strings.Contains(string(cfg), key) {
		t.Error("configuration holds the secret value")
	}
	if strings.Contains(string(ls.Envelopes(t, "clinic-a")), key) {
		t.Error("ledger holds the secret value")
	}
	// A missing secret refuses the request without sending it.
	g2, _ := New(Config{Destinations: []Destination{dest}}, Options{Recorder: ls.recorder, Secrets: secrets{}})
	_, err = g2.Do(context.Background(), Request{Destination: "llm", Workspace: "clinic-a", Path: "x"})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "openai-key") || len(srv.requests()) != 1 {
		t.Fatalf("err = %v", err)
	}
}

func TestHTTPSDestination(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("tls ok")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	ls := newLedgers(t)
	dests := Config{Destinations: []Destination{{Name: "ehr", Class: ClassBAA, BAA: signed, BaseURL: srv.URL}}}
	// Without the server's certificate in the roots the handshake fails.
	g, err := New(dests, Options{Recorder: ls.recorder, Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Do(context.Background(), Request{Destination: "ehr", Workspace: "clinic-a", Method: "GET", Path: "metadata"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("untrusted certificate: err = %v", err)
	}
	g, err = New(dests, Options{Recorder: ls.recorder, RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.Do(context.Background(), Request{Destination: "ehr", Workspace: "clinic-a", Method: "GET", Path: "metadata"})
	if err != nil || string(resp.Body) != "tls ok" {
		t.Fatalf("resp %v err %v", resp, err)
	}
}

func TestSignSeesTheExactBytes(t *testing.T) {
	f := newFixture(t, nil, nil)
	var signedBody []byte
	_, err := f.gate.Do(context.Background(), Request{Destination: "alerts", Workspace: "clinic-a", Path: "in",
		Payload: JSON{map[string]any{"type": "call.ended", "text": canaryTurn}},
		Sign: func(body []byte, h http.Header) error {
			signedBody = append([]byte(nil), body...)
			h.Set("Webhook-Signature", "v1,"+sha256Hex(body))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	hit := f.srv.requests()[0]
	if string(hit.Body) != string(signedBody) || hit.Header.Get("Webhook-Signature") != "v1,"+sha256Hex(hit.Body) {
		t.Fatal("signature is not over the bytes sent")
	}
	assertNoCanary(t, "signed body", signedBody)
}

func TestWorkspaceRestriction(t *testing.T) {
	f := newFixture(t, nil, func(d *Destination) { d.Workspaces = []string{"clinic-a"} })
	if _, err := f.gate.Do(context.Background(), Request{Destination: "llm-baa", Workspace: "clinic-b", Method: "GET", Path: "x"}); !errors.Is(err, ErrRefused) {
		t.Fatalf("other workspace: err = %v", err)
	}
	if _, err := f.gate.Do(context.Background(), Request{Destination: "llm-baa", Workspace: "clinic-a", Method: "GET", Path: "x"}); err != nil {
		t.Fatal(err)
	}
	if evs := f.ls.Events(t, "clinic-b", "egress.refused"); len(evs) != 1 || evs[0].Attrs["reason"] != "workspace-not-allowed" {
		t.Fatalf("events %+v", evs)
	}
}

func TestCancelledRequestIsStillRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request, body []byte, n int) {
		cancel()
		<-r.Context().Done()
	}, nil)
	_, err := f.gate.Do(ctx, Request{Destination: "llm-redacted", Workspace: "clinic-a", Path: "x", Payload: Text{Body: "hello"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	evs := f.ls.Events(t, "clinic-a", "egress.failed")
	if len(evs) != 1 || evs[0].Attrs["reason"] != "cancelled" || evs[0].Attrs["sha256"] != sha256Hex([]byte("hello")) {
		t.Fatalf("events %+v", evs)
	}
}

func TestRecorderIsRequired(t *testing.T) {
	if _, err := New(Config{}, Options{}); err == nil {
		t.Fatal("New without a Recorder succeeded")
	}
	f := newFixture(t, nil, nil)
	broken := func(string) (Recorder, error) { return nil, errors.New("ledger closed") }
	g, err := New(f.gate.Config(), Options{Recorder: broken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Do(context.Background(), Request{Destination: "llm-baa", Workspace: "clinic-a", Method: "GET", Path: "x"}); err == nil {
		t.Fatal("a request without a ledger was sent")
	}
	if n := len(f.srv.requests()); n != 0 {
		t.Fatalf("server got %d requests", n)
	}
}

func TestCancelledBeforeSendingIsRefused(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.gate.Do(ctx, Request{Destination: "llm-baa", Workspace: "clinic-a", Method: "GET", Path: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(f.srv.requests()) != 0 {
		t.Fatal("a cancelled request was sent")
	}
	if evs := f.ls.Events(t, "clinic-a", "egress.refused"); len(evs) != 1 || evs[0].Attrs["reason"] != "cancelled" {
		t.Fatalf("events %+v", evs)
	}
}
