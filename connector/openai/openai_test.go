package openai

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"frontdesk/gate/egress"
	"frontdesk/gate/phi"
	"frontdesk/voice"
	"frontdesk/voice/wav"
)

var findPatient = Tool{Type: "function", Function: Function{
	Name: "find_patient", Description: "Find a patient by what the caller said.",
	Parameters: json.RawMessage(`{"type":"object","properties":{"said":{"type":"string"}},"required":["said"]}`),
}}

func chatRequest(tools bool) ChatRequest {
	req := ChatRequest{Model: "gpt-4o-mini", Messages: []Message{
		{Role: "system", Content: "You are the receptionist of a small clinic."},
		{Role: "user", Content: "I would like to book an appointment."},
		{Role: "assistant", ToolCalls: []ToolCall{{ID: "call_a1B2c3D4", Type: "function", Function: FunctionCall{Name: "list_slots", Arguments: `{"day":"tuesday"}`}}}},
		{Role: "tool", ToolCallID: "call_a1B2c3D4", Content: `{"slots":["2025-03-04T10:00:00Z"]}`},
		{Role: "user", Content: canaryTurn},
	}}
	if tools {
		req.Tools = []Tool{findPatient}
		req.ToolChoice = "auto"
	}
	return req
}

func TestChatRedactedIsReidentified(t *testing.T) {
	s := newSetup(t, newProvider(t))
	c := s.client(t, "llm-redacted")
	conv := NewConversation("call/01J9ZC7Q6T2B3N4M5P6R7S8T9V")
	ctx := context.Background()

	resp, err := c.Chat(ctx, conv, chatRequest(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "I heard: "+canaryTurn {
		t.Errorf("reply not re-identified: %q", got)
	}
	resp, err = c.Chat(ctx, conv, chatRequest(true))
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 1 || m.ToolCalls[0].Function.Name != "find_patient" {
		t.Fatalf("reply %+v", resp.Choices[0])
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(m.ToolCalls[0].Function.Arguments), &args); err != nil || args["said"] != canaryTurn {
		t.Errorf("tool arguments not re-identified: %q (%v)", m.ToolCalls[0].Function.Arguments, err)
	}

	assertNoCanary(t, "requests to the redacted provider", s.prov.allBytes())
	for _, r := range s.prov.requests() {
		if !strings.Contains(string(r.Body), "[NAME_1]") || !strings.Contains(string(r.Body), "[SSN_1]") {
			t.Errorf("request lacks surrogates: %s", r.Body)
		}
	}
	evs := s.ls.Events(t, "clinic-a", "egress.sent")
	if len(evs) != 2 {
		t.Fatalf("%d egress events, want 2", len(evs))
	}
	for i, ev := range evs {
		r := s.prov.requests()[i]
		if ev.Attrs["sha256"] != sha256Hex(r.Body) || ev.Attrs["purpose"] != "chat" || ev.Attrs["operator"] != "pseudonym" ||
			ev.Attrs["redacted.NAME"] != "1" || ev.Attrs["redacted.SSN"] != "1" || ev.Entity != conv.Entity || ev.Actor != "agent" {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
	if resp.Egress.EventID != evs[1].ID {
		t.Error("response does not name its egress event")
	}
	assertNoCanary(t, "ledger", s.ls.Envelopes(t, "clinic-a"))
}

func TestChatEachClass(t *testing.T) {
	for _, c := range []struct {
		dest    string
		reaches bool
	}{{"llm-baa", true}, {"llm-redacted", false}, {"llm-ids-only", false}} {
		t.Run(c.dest, func(t *testing.T) {
			s := newSetup(t, newProvider(t))
			resp, err := s.client(t, c.dest).Chat(context.Background(), NewConversation("call/1"), chatRequest(true))
			if err != nil {
				t.Fatal(err)
			}
			body := string(s.prov.requests()[0].Body)
			for _, canary := range canaries {
				if strings.Contains(body, canary) != c.reaches {
					t.Errorf("canary %q reached the provider: %v, want %v", canary, !c.reaches, c.reaches)
				}
			}
			if c.dest == "llm-baa" {
				want, _ := json.Marshal(chatRequest(true))
				if body != string(want) {
					t.Errorf("baa body differs from the request:\n%s\n%s", body, want)
				}
			}
			if c.dest == "llm-ids-only" {
				// Protocol tokens survive; the tool message's event time is an
				// identifier and survives too.
				for _, keep := range []string{`"role":"tool"`, `"tool_call_id":"call_a1B2c3D4"`, `"name":"find_patient"`, `2025-03-04T10:00:00Z`} {
					if !strings.Contains(body, keep) {
						t.Errorf("ids-only body lacks %s: %s", keep, body)
					}
				}
			}
			if len(resp.Choices) != 1 {
				t.Fatalf("choices %+v", resp.Choices)
			}
			assertNoCanary(t, "ledger", s.ls.Envelopes(t, "clinic-a"))
		})
	}
}

func TestAssistantToolCallContentIsNull(t *testing.T) {
	b, err := json.Marshal(Message{Role: "assistant", ToolCalls: []ToolCall{{ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{}"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"content":null`) || strings.Count(string(b), `"content"`) != 1 {
		t.Errorf("marshalled %s", b)
	}
	b, _ = json.Marshal(Message{Role: "user", Content: "hello"})
	if string(b) != `{"role":"user","content":"hello"}` {
		t.Errorf("marshalled %s", b)
	}
}

func TestReidentifyJSONEscapes(t *testing.T) {
	ps := phi.NewPseudonymizer()
	s := ps.Replace(phi.Name, `Maria "Mia" Gonzalez\`)
	got := reidentifyJSON(ps, `{"name":"`+s+`","n":12345678901234567890}`)
	var v map[string]any
	d := json.NewDecoder(strings.NewReader(got))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%q is not JSON: %v", got, err)
	}
	if v["name"] != `Maria "Mia" Gonzalez\` || v["n"].(json.Number).String() != "12345678901234567890" {
		t.Errorf("got %v", v)
	}
}

func TestProviderDown(t *testing.T) {
	prov := newProvider(t)
	s := newSetup(t, prov)
	prov.Close()
	_, err := s.client(t, "llm-redacted").Chat(context.Background(), NewConversation("call/1"), chatRequest(false))
	if !errors.Is(err, egress.ErrUnavailable) {
		t.Fatalf("err = %v, want egress.ErrUnavailable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "openai chat") || !strings.Contains(msg, "llm-redacted") || !strings.Contains(msg, "cannot connect") {
		t.Errorf("unclear error: %s", msg)
	}
	assertNoCanary(t, "error", []byte(err.Error()))
	if evs := s.ls.Events(t, "clinic-a", "egress.failed"); len(evs) != 1 || evs[0].Attrs["attempts"] != "3" {
		t.Fatalf("events %+v", evs)
	}
}

func TestProviderRetriedThenAnswers(t *testing.T) {
	prov := newProvider(t)
	prov.fail = func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			apiErr(w, http.StatusServiceUnavailable, "server_error", "overloaded", "try again")
			return true
		}
		return false
	}
	s := newSetup(t, prov)
	resp, err := s.client(t, "llm-baa").Chat(context.Background(), nil, chatRequest(false))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Egress.Attempts != 2 || len(prov.requests()) != 2 || resp.Usage.TotalTokens != 49 {
		t.Fatalf("attempts %d, requests %d, usage %+v", resp.Egress.Attempts, len(prov.requests()), resp.Usage)
	}
}

func TestAPIErrorHoldsNoMessage(t *testing.T) {
	prov := newProvider(t)
	prov.fail = func(w http.ResponseWriter, n int) bool {
		apiErr(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key; you said: "+canaryTurn)
		return true
	}
	s := newSetup(t, prov)
	_, err := s.client(t, "llm-baa").Chat(context.Background(), nil, chatRequest(false))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Type != "invalid_request_error" || ae.Code != "invalid_api_key" {
		t.Fatalf("err = %#v", err)
	}
	assertNoCanary(t, "error", []byte(err.Error()))
	if len(prov.requests()) != 1 {
		t.Errorf("a 401 was retried")
	}
}

func TestChatValidatesProtocol(t *testing.T) {
	// The provider checks the request as the API does: a redacted request
	// must still be a valid one (roles, ids and tool names intact).
	s := newSetup(t, newProvider(t))
	for _, dest := range []string{"llm-baa", "llm-redacted", "llm-ids-only"} {
		if _, err := s.client(t, dest).Chat(context.Background(), NewConversation("call/1"), chatRequest(true)); err != nil {
			t.Errorf("%s: %v", dest, err)
		}
	}
	if _, err := s.client(t, "llm-baa").Chat(context.Background(), nil, ChatRequest{}); err == nil {
		t.Error("empty request accepted")
	}
}

func TestTranscriptionRefusedToNonBAA(t *testing.T) {
	s := newSetup(t, newProvider(t))
	for _, dest := range []string{"llm-redacted", "llm-ids-only"} {
		_, err := s.client(t, dest).Recognizer(TranscriptionOptions{}).Start(context.Background(), voice.Grammar{}, 8000)
		if !errors.Is(err, egress.ErrAudioRefused) {
			t.Errorf("%s: err = %v, want ErrAudioRefused", dest, err)
		}
	}
	// The destination is downgraded while an utterance is open: the gate
	// refuses the upload.
	ctx := context.Background()
	u, err := s.client(t, "llm-baa").Recognizer(TranscriptionOptions{Entity: "call/2"}).Start(ctx, voice.Grammar{Phrases: []string{"yes", "no"}}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, u, tone(8000, 440, 8000), 8000)
	d, _ := s.gate.Destination("llm-baa")
	d.Class = egress.ClassRedacted
	if err := s.gate.PutDestination(ctx, d, "account/admin-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Finish(); !errors.Is(err, egress.ErrAudioRefused) {
		t.Fatalf("Finish after downgrade: err = %v", err)
	}
	if n := len(s.prov.requests()); n != 0 {
		t.Fatalf("provider got %d requests", n)
	}
	evs := s.ls.Events(t, "clinic-a", "egress.refused")
	if len(evs) != 1 || evs[0].Attrs["reason"] != "audio-not-baa" || evs[0].Attrs["purpose"] != "transcription" || evs[0].Entity != "call/2" {
		t.Fatalf("events %+v", evs)
	}
}

func TestTranscriptionBAA(t *testing.T) {
	prov := newProvider(t).withSpeech(t)
	s := newSetup(t, prov)
	rec := s.client(t, "llm-baa").Recognizer(TranscriptionOptions{Entity: "call/3"})
	g := voice.Grammar{Name: "confirm", Phrases: []string{"yes", "no", "book an appointment", "cancel my appointment"}}
	ctx := context.Background()
	for i, text := range []string{"book an appointment", "no"} {
		pcm, err := prov.tts.Synthesize(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		u, err := rec.Start(ctx, g, 8000)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, u, pcm, 8000)
		h, err := u.Finish()
		if err != nil {
			t.Fatal(err)
		}
		u.Close()
		if h.Text != text || h.Confidence < 0.4 || h.Confidence > 1 {
			t.Errorf("said %q, heard %q (confidence %.2f)", text, h.Text, h.Confidence)
		}
		// The provider got exactly the audio written, as a WAV file.
		req := prov.requests()[i]
		if !strings.Contains(req.Header.Get("Content-Type"), "multipart/form-data") {
			t.Fatalf("content type %q", req.Header.Get("Content-Type"))
		}
		start := strings.Index(string(req.Body), "RIFF")
		got, rate, err := wav.Read(strings.NewReader(string(req.Body[start:])))
		if err != nil || rate != 8000 || len(got) != len(pcm) || got[len(got)/2] != pcm[len(pcm)/2] {
			t.Errorf("uploaded audio: %d samples at %d Hz (%v), want %d", len(got), rate, err, len(pcm))
		}
		if !strings.Contains(string(req.Body), "yes, no, book an appointment, cancel my appointment") {
			t.Error("grammar phrases not in the prompt")
		}
	}
	evs := s.ls.Events(t, "clinic-a", "egress.sent")
	if len(evs) != 2 || evs[0].Attrs["payload"] != "form" || evs[0].Attrs["class"] != "baa" || evs[0].Attrs["sha256"] != sha256Hex(prov.requests()[0].Body) {
		t.Fatalf("events %+v", evs)
	}
	// An utterance without audio sends nothing.
	u, _ := rec.Start(ctx, g, 8000)
	if h, err := u.Finish(); err != nil || h.Text != "" || len(prov.requests()) != 2 {
		t.Errorf("empty utterance: %+v %v", h, err)
	}
}

func TestUtteranceLimits(t *testing.T) {
	s := newSetup(t, newProvider(t))
	rec := s.client(t, "llm-baa").Recognizer(TranscriptionOptions{MaxSeconds: 1})
	u, err := rec.Start(context.Background(), voice.Grammar{}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Write(make([]int16, 8001)); !errors.Is(err, ErrUtteranceTooLong) {
		t.Errorf("err = %v", err)
	}
	u.Close()
	if err := u.Write(make([]int16, 10)); !errors.Is(err, ErrFinished) {
		t.Errorf("write after close: %v", err)
	}
	if _, err := rec.Start(context.Background(), voice.Grammar{}, 4000); err == nil {
		t.Error("4 kHz accepted")
	}
}

func TestSpeechRoundTrip(t *testing.T) {
	prov := newProvider(t).withSpeech(t)
	s := newSetup(t, prov)
	c := s.client(t, "llm-baa")
	g := voice.Grammar{Phrases: []string{"yes", "no", "book an appointment", "cancel my appointment"}}
	ctx := context.Background()
	for _, format := range []string{"wav", "pcm"} {
		syn := c.Synthesizer(SpeechOptions{Format: format})
		if syn.SampleRate() != 8000 {
			t.Fatalf("rate %d", syn.SampleRate())
		}
		text := "cancel my appointment"
		pcm, err := syn.Synthesize(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := prov.tts.Synthesize(ctx, text)
		if d := len(pcm) - len(ref); d < -2 || d > 2 {
			t.Errorf("%s: %d samples at 8 kHz, flite made %d", format, len(pcm), len(ref))
		}
		u, err := c.Recognizer(TranscriptionOptions{}).Start(ctx, g, syn.SampleRate())
		if err != nil {
			t.Fatal(err)
		}
		feed(t, u, pcm, 8000)
		h, err := u.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if h.Text != text {
			t.Errorf("%s: spoke %q, heard %q", format, text, h.Text)
		}
	}
}

func TestSpeechRedactedPrompt(t *testing.T) {
	prov := newProvider(t).withSpeech(t)
	s := newSetup(t, prov)
	syn := s.client(t, "llm-redacted").Synthesizer(SpeechOptions{})
	if _, err := syn.Synthesize(context.Background(), "Thank you, Maria Gonzalez, see you Tuesday."); !errors.Is(err, ErrRedactedPrompt) {
		t.Fatalf("err = %v, want ErrRedactedPrompt", err)
	}
	assertNoCanary(t, "speech request", prov.allBytes())
	pcm, err := syn.Synthesize(context.Background(), "Thank you for calling the clinic. How can I help?")
	if err != nil || len(pcm) < 8000 {
		t.Fatalf("prompt without PHI: %d samples, %v", len(pcm), err)
	}
}

// tone returns n samples of a sine at freq Hz, sampled at rate Hz.
func tone(n int, freq, rate float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return out
}

// level returns the amplitude of freq in pcm (Goertzel), skipping the
// edges, where the filter sees zeros.
func level(pcm []int16, freq, rate float64) float64 {
	pcm = pcm[len(pcm)/8 : len(pcm)*7/8]
	w := 2 * math.Pi * freq / rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	return 2 * math.Sqrt(s1*s1+s2*s2-c*s1*s2) / float64(len(pcm))
}

func TestResampleTo8k(t *testing.T) {
	for _, from := range []int{11025, 16000, 22050, 24000, 44100, 48000} {
		in := tone(from, 440, float64(from))
		out, err := resampleTo(in, from, 8000)
		if err != nil {
			t.Fatal(err)
		}
		if want := from * 8000 / from; len(out) < want-1 || len(out) > want+1 {
			t.Errorf("%d Hz: %d samples, want %d", from, len(out), want)
		}
		if a := level(out, 440, 8000); math.Abs(20*math.Log10(a/8000)) > 0.1 {
			t.Errorf("%d Hz: 440 Hz at %.1f, want 8000 (±0.1 dB)", from, a)
		}
		if from >= 16000 {
			// 5 kHz is above the 8 kHz Nyquist rate; unfiltered it would fold
			// to 3 kHz.
			hi, _ := resampleTo(tone(from, 5000, float64(from)), from, 8000)
			if a := level(hi, 3000, 8000); 20*math.Log10(a/8000) > -60 {
				t.Errorf("%d Hz: 5 kHz folds to 3 kHz at %.1f dB", from, 20*math.Log10(a/8000))
			}
		}
	}
	if _, err := resampleTo(make([]int16, 10), 8001, 8000); err == nil {
		t.Error("8001 Hz accepted")
	}
}

// BenchmarkResample24kTo8k converts a second of 24 kHz speech-band audio to
// 8 kHz and reports how many times faster than real time it runs.
func BenchmarkResample24kTo8k(b *testing.B) {
	in := tone(24000, 440, 24000)
	b.SetBytes(int64(2 * len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := resampleTo(in, 24000, 8000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1/(b.Elapsed().Seconds()/float64(b.N)), "x-realtime")
}
