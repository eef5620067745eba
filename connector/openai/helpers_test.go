package openai

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/gate/egress"
	"frontdesk/internal/testkit"
	"frontdesk/voice"
	"frontdesk/voice/flite"
	"frontdesk/voice/resample"
	"frontdesk/voice/sphinx"
	"frontdesk/voice/wav"
)

// Canary PHI, synthetic: a common name, a 555 number, the SSN of sample
// cards, an invented MRN.
var canaries = []string{"Maria Gonzalez", "Gonzalez", "03/14/1980", "555-201-7788", "123-45-6789", "00482913"}

const canaryTurn = "Hi, this is Maria Gonzalez, date of birth 03/14/1980. Call me back at 555-201-7788. " +
	"My SSN is 123-45-6789 and my MRN is 00482913."

func assertNoCanary(t testing.TB, what string, b []byte) {
	t.Helper()
	for _, c := range canaries {
		if bytes.Contains(b, []byte(c)) {
			t.Errorf("%s holds canary %q", what, c)
		}
	}
}

// provider is an OpenAI-compatible server on loopback. Chat echoes the last
// user message ("I heard: …") and, when tools are offered, calls the first
// with {"said": …}; transcription decodes the uploaded WAV with the local
// pocketsphinx engine, constrained to the phrases of the prompt; speech
// speaks with flite. It records every request.
type provider struct {
	*httptest.Server
	t    testing.TB
	mu   sync.Mutex
	reqs []recorded
	// fail, when set, answers instead of the endpoint for request n (from 1)
	// if it returns true.
	fail func(w http.ResponseWriter, n int) bool

	asr *sphinx.Recognizer
	tts *flite.Voice
}

type recorded struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newProvider(t testing.TB) *provider {
	p := &provider{t: t}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

// withSpeech starts the local engines behind the audio endpoints, skipping
// the test if they are not installed.
func (p *provider) withSpeech(t testing.TB) *provider {
	asr, err := sphinx.New(sphinx.Config{Decoders: 1})
	if errors.Is(err, voice.ErrEngineUnavailable) {
		t.Skip("pocketsphinx model not installed:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { asr.Close() })
	tts, err := flite.New()
	if errors.Is(err, voice.ErrEngineUnavailable) {
		t.Skip("flite not installed:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.asr, p.tts = asr, tts
	return p
}

func (p *provider) requests() []recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]recorded(nil), p.reqs...)
}

func (p *provider) allBytes() []byte {
	var b []byte
	for _, r := range p.requests() {
		b = append(b, r.Path...)
		for k, v := range r.Header {
			b = append(b, k+": "+strings.Join(v, ",")+"\n"...)
		}
		b = append(b, r.Body...)
	}
	return b
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.reqs = append(p.reqs, recorded{r.URL.Path, r.Header.Clone(), body})
	n := len(p.reqs)
	p.mu.Unlock()
	if p.fail != nil && p.fail(w, n) {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	switch r.URL.Path {
	case "/v1/chat/completions":
		p.chat(w, body)
	case "/v1/audio/transcriptions":
		p.transcribe(w, r)
	case "/v1/audio/speech":
		p.speak(w, r.Context(), body)
	default:
		apiErr(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "no route "+r.URL.Path)
	}
}

func apiErr(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "code": code, "message": msg}})
}

// chat checks the request as the API would and answers it.
func (p *provider) chat(w http.ResponseWriter, body []byte) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role       string          `json:"role"`
			Content    *string         `json:"content"`
			ToolCalls  json.RawMessage `json:"tool_calls"`
			ToolCallID string          `json:"tool_call_id"`
		} `json:"messages"`
		Tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		apiErr(w, 400, "invalid_request_error", "invalid_json", err.Error())
		return
	}
	last := ""
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user":
		case "assistant":
			if m.Content == nil && len(m.ToolCalls) == 0 {
				apiErr(w, 400, "invalid_request_error", "invalid_value", fmt.Sprintf("messages[%d]: content or tool_calls required", i))
				return
			}
		case "tool":
			if m.ToolCallID == "" {
				apiErr(w, 400, "invalid_request_error", "missing_required_parameter", fmt.Sprintf("messages[%d].tool_call_id", i))
				return
			}
		default:
			apiErr(w, 400, "invalid_request_error", "invalid_value", fmt.Sprintf("messages[%d].role %q", i, m.Role))
			return
		}
		if m.Role == "user" && m.Content != nil {
			last = *m.Content
		}
	}
	if req.Model == "" || last == "" {
		apiErr(w, 400, "invalid_request_error", "missing_required_parameter", "model and a user message are required")
		return
	}
	msg := map[string]any{"role": "assistant", "content": "I heard: " + last}
	finish := "stop"
	if len(req.Tools) > 0 {
		for _, tl := range req.Tools {
			if tl.Type != "function" || tl.Function.Name == "" || !json.Valid(tl.Function.Parameters) {
				apiErr(w, 400, "invalid_request_error", "invalid_value", "tools: function with name and parameters required")
				return
			}
		}
		args, _ := json.Marshal(map[string]string{"said": last})
		msg["content"] = nil
		msg["tool_calls"] = []any{map[string]any{"id": "call_Xy12abCD", "type": "function",
			"function": map[string]any{"name": req.Tools[0].Function.Name, "arguments": string(args)}}}
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test1", "object": "chat.completion", "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
	})
}

// transcribe decodes the uploaded WAV with pocketsphinx.
func (p *provider) transcribe(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		apiErr(w, 400, "invalid_request_error", "invalid_form", err.Error())
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil || r.FormValue("model") == "" {
		apiErr(w, 400, "invalid_request_error", "missing_required_parameter", "file and model are required")
		return
	}
	defer f.Close()
	if hdr.Header.Get("Content-Type") != "audio/wav" {
		apiErr(w, 400, "invalid_request_error", "invalid_value", "file content type")
		return
	}
	pcm, rate, err := wav.Read(f)
	if err != nil {
		apiErr(w, 400, "invalid_request_error", "invalid_file", err.Error())
		return
	}
	if p.asr == nil {
		apiErr(w, 503, "server_error", "no_engine", "no engine")
		return
	}
	g := voice.Grammar{Name: "prompt", Phrases: strings.Split(r.FormValue("prompt"), ", ")}
	u, err := p.asr.Start(r.Context(), g, rate)
	if err != nil {
		apiErr(w, 400, "invalid_request_error", "invalid_prompt", err.Error())
		return
	}
	defer u.Close()
	if err := u.Write(pcm); err != nil {
		apiErr(w, 500, "server_error", "", err.Error())
		return
	}
	h, err := u.Finish()
	if err != nil {
		apiErr(w, 500, "server_error", "", err.Error())
		return
	}
	dur := float64(len(pcm)) / float64(rate)
	// Providers capitalise and punctuate; the client normalises.
	text := h.Text
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:] + "."
	}
	logp := math.Log(math.Max(h.Confidence, 1e-6))
	res := map[string]any{"task": "transcribe", "language": r.FormValue("language"), "duration": dur, "text": text}
	if r.FormValue("response_format") == "verbose_json" {
		res["segments"] = []any{map[string]any{"id": 0, "start": 0, "end": dur, "text": text, "avg_logprob": logp, "no_speech_prob": 0.01}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

// speak synthesises with flite at 8 kHz and answers at 16 kHz WAV or 24 kHz
// raw PCM, as hosted voices do.
func (p *provider) speak(w http.ResponseWriter, ctx context.Context, body []byte) {
	var req speechRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Input == "" || req.Model == "" || req.Voice == "" {
		apiErr(w, 400, "invalid_request_error", "invalid_value", "model, input and voice are required")
		return
	}
	if p.tts == nil {
		apiErr(w, 503, "server_error", "no_engine", "no engine")
		return
	}
	pcm, err := p.tts.Synthesize(ctx, req.Input)
	if err != nil {
		apiErr(w, 500, "server_error", "", err.Error())
		return
	}
	switch req.ResponseFormat {
	case "wav":
		w.Header().Set("Content-Type", "audio/wav")
		wav.Write(w, resample.Upsample(pcm), 16000)
	case "pcm":
		up, err := resampleTo(pcm, 8000, 24000)
		if err != nil {
			apiErr(w, 500, "server_error", "", err.Error())
			return
		}
		w.Header().Set("Content-Type", "audio/pcm")
		b := make([]byte, 2*len(up))
		for i, s := range up {
			b[2*i], b[2*i+1] = byte(s), byte(uint16(s)>>8)
		}
		w.Write(b)
	default:
		apiErr(w, 400, "invalid_request_error", "invalid_value", "response_format")
	}
}

// ledgers are the test's real ledgers (testkit.Ledgers), with the
// recorder the gate asks for.
type ledgers struct{ *testkit.Ledgers }

func newLedgers(t testing.TB) ledgers { return ledgers{testkit.NewLedgers(t)} }

func (ls ledgers) recorder(ws string) (egress.Recorder, error) { return ls.Get(ws), nil }

var signed = &egress.BAA{SignedBy: "Clinic Privacy Officer", SignedAt: time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), Reference: "BAA-2024-001"}

// setup is a gate with three destinations in front of one provider.
type setup struct {
	gate *egress.Gate
	prov *provider
	ls   ledgers
}

func newSetup(t testing.TB, prov *provider) *setup {
	t.Helper()
	ls := newLedgers(t)
	var dests []egress.Destination
	for _, c := range []egress.Class{egress.ClassBAA, egress.ClassRedacted, egress.ClassIDsOnly} {
		d := egress.Destination{Name: "llm-" + string(c), Class: c, BaseURL: prov.URL + "/v1", RetryBase: egress.Duration(time.Millisecond)}
		if c == egress.ClassBAA {
			d.BAA = signed
		}
		dests = append(dests, d)
	}
	g, err := egress.New(egress.Config{Destinations: dests}, egress.Options{Recorder: ls.recorder})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return &setup{gate: g, prov: prov, ls: ls}
}

func (s *setup) client(t testing.TB, dest string) *Client {
	t.Helper()
	c, err := New(s.gate, Options{Destination: dest, Workspace: "clinic-a"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// feed writes pcm to u in 20 ms chunks.
func feed(t testing.TB, u voice.Utterance, pcm []int16, rate int) {
	t.Helper()
	step := rate / 50
	for i := 0; i < len(pcm); i += step {
		if err := u.Write(pcm[i:min(i+step, len(pcm))]); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
