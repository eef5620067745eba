package review

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// cannedChatter is a TEST DOUBLE of a chat-completion client: it returns
// replies fixed in advance and records what it was sent. It exercises the
// LLM judge's prompt, parsing and recording, not any model.
type cannedChatter struct {
	reply string
	err   error
	sent  [][]Message
}

func (c *cannedChatter) Chat(_ context.Context, m []Message) (string, error) {
	c.sent = append(c.sent, m)
	return c.reply, c.err
}

func TestParseVerdict(t *testing.T) {
	for _, c := range []struct {
		reply   string
		want    Outcome
		reason  string
		wantErr bool
	}{
		{`{"outcome":"verified","reason_code":"normalised"}`, Verified, ReasonNumbers, false},
		{"```json\n{\"outcome\": \"Contradicted\", \"reason_code\": \"different-value\"}\n```", Contradicted, llmReasons["different-value"], false},
		{`Sure! {"outcome":"uncertain","reason_code":"the caller said Dana"}`, Uncertain, "the model judged the value uncertain", false},
		{`{"outcome":"maybe","reason_code":"exact"}`, "", "", true},
		{`no json here`, "", "", true},
		{`{"outcome":`, "", "", true},
	} {
		v, err := ParseVerdict(c.reply)
		if c.wantErr {
			if !errors.Is(err, ErrBadReply) {
				t.Errorf("%q: error %v, want ErrBadReply", c.reply, err)
			}
			if err != nil && strings.Contains(err.Error(), "outcome") && strings.Contains(c.reply, "maybe") && strings.Contains(err.Error(), "maybe") {
				t.Errorf("error quotes the reply: %v", err)
			}
			continue
		}
		if err != nil || v.Outcome != c.want || v.Reason != c.reason {
			t.Errorf("%q: %+v %v, want %s / %q", c.reply, v, err, c.want, c.reason)
		}
		if strings.Contains(v.Reason, "Dana") {
			t.Errorf("a model's free text reached the reason: %q", v.Reason)
		}
	}
}

func TestLLMJudgeRecorded(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	judgeDecides(t, l)
	chat := &cannedChatter{reply: `{"outcome":"verified","reason_code":"spelling-variant"}`}
	j := LLMJudge{Client: chat, Model: "test-model"}
	tv := turn(t, l, "call/llm", "caller", "wall greens on fifth")
	f := stated(t, l, "patient/llm", "pharmacy", "Walgreens", tv)
	got, err := JudgeFact(ctx, l, j, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict.Outcome != Verified || got.Event.Attrs[AttrJudge] != "llm" || got.Event.Attrs[AttrModel] != "test-model" ||
		got.Event.Actor != "judge/llm" || got.Event.Attrs[AttrReason] != ReasonPhonetic {
		t.Fatalf("recorded: %+v %+v", got.Verdict, got.Event)
	}
	if len(chat.sent) != 1 || chat.sent[0][0].Role != "system" {
		t.Fatalf("sent %+v", chat.sent)
	}
	var in map[string]string
	if err := json.Unmarshal([]byte(chat.sent[0][1].Content), &in); err != nil {
		t.Fatal(err)
	}
	if in["value"] != "Walgreens" || in["turn"] != "wall greens on fifth" || in["field"] != "pharmacy" || in["kind"] != "text" {
		t.Fatalf("prompt input %v", in)
	}
	if d := mayWrite(t, l, f.ID, "ehr"); !d.Allow || d.Chain[1].Actor != "judge/llm" {
		t.Fatalf("decision %+v", d)
	}
}

func TestLLMJudgeFallback(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t)
	for _, chat := range []*cannedChatter{
		{err: errors.New("connection refused")},
		{reply: "I cannot help with that"},
	} {
		tv := turn(t, l, "call/fb", "caller", "c v s")
		f := stated(t, l, "patient/fb", "pharmacy", "CVS", tv)
		if _, err := JudgeFact(ctx, l, LLMJudge{Client: chat}, f.ID); err == nil {
			t.Fatal("LLM failure not reported")
		}
		got, err := JudgeFact(ctx, l, WithFallback(LLMJudge{Client: chat, Model: "m"}, LocalJudge{}), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Verdict.Judge != "local" || !got.Verdict.Fallback || got.Event.Attrs[AttrFallback] == "" || got.Verdict.Outcome != Verified {
			t.Fatalf("fallback verdict %+v event %+v", got.Verdict, got.Event.Attrs)
		}
	}
	if _, err := (LLMJudge{}).Judge(ctx, Claim{}); err == nil {
		t.Fatal("LLM judge without a client did not fail")
	}
}
