package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Message is one message of a chat-completion request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chatter is the part of a chat-completion client the LLM judge needs. The
// client must reach only a provider covered by a BAA: the value and the
// turn are PHI. The connector that talks to OpenAI-compatible providers
// through the egress gate satisfies it.
type Chatter interface {
	Chat(ctx context.Context, messages []Message) (string, error)
}

// LLMJudge asks a language model to compare the value with the turn. The
// model answers with an outcome and a reason code from a fixed list; its
// free text is discarded, so no PHI can reach a verdict's reason.
type LLMJudge struct {
	Client Chatter
	// Model names the model, for the record.
	Model string
}

// ErrBadReply reports a model reply that is not a verdict.
var ErrBadReply = errors.New("review: the model's reply is not a verdict")

// llmReasons maps the reason codes a model may give to the fixed reasons.
var llmReasons = map[string]string{
	"exact":             ReasonExact,
	"normalised":        ReasonNumbers,
	"spelling-variant":  ReasonPhonetic,
	"partial":           ReasonPartial,
	"not-mentioned":     ReasonNotFound,
	"different-value":   "the model found a different value in the cited turn",
	"negated":           ReasonNegated,
	"restated":          ReasonRestated,
	"ambiguous":         "the model found the cited turn ambiguous",
	"sounds-alike":      ReasonSoundsAlike,
	"missing-part":      ReasonDayOnly,
	"unrelated-turn":    ReasonAbsent,
	"invalid-value":     "the model found the extracted value invalid for its field",
	"transcript-unsure": "the model found the transcript unreliable",
}

const llmInstructions = `You check one value that was extracted from a phone call against the transcript turn it was taken from.
The transcript comes from speech recognition: numbers may be spoken as words ("five five five", "oh", "double five"), names may be misspelled or spelled out letter by letter, and abbreviations differ ("St" and "Street").
Answer with one JSON object and nothing else:
{"outcome": "verified" | "uncertain" | "contradicted", "reason_code": CODE}
verified: the turn clearly states this value. contradicted: the turn states a different value, or denies this one. uncertain: anything else.
CODE is one of: exact, normalised, spelling-variant, partial, not-mentioned, different-value, negated, restated, ambiguous, sounds-alike, missing-part, unrelated-turn, invalid-value, transcript-unsure.`

// Judge implements Judge.
func (j LLMJudge) Judge(ctx context.Context, c Claim) (Verdict, error) {
	if j.Client == nil {
		return Verdict{}, errors.New("review: LLM judge has no client")
	}
	in, err := json.Marshal(map[string]string{"field": c.Field, "kind": string(KindOf(c.Field)), "value": c.Value, "turn": c.Turn})
	if err != nil {
		return Verdict{}, fmt.Errorf("review: LLM judge: %w", err)
	}
	reply, err := j.Client.Chat(ctx, []Message{
		{Role: "system", Content: llmInstructions},
		{Role: "user", Content: string(in)},
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("review: LLM judge: %w", err)
	}
	v, err := ParseVerdict(reply)
	if err != nil {
		return Verdict{}, err
	}
	v.Judge, v.Model = "llm", j.Model
	return v, nil
}

// ParseVerdict reads a model's reply: one JSON object with outcome and
// reason_code, possibly inside a code fence or surrounded by text. The
// error never quotes the reply, which may hold PHI.
func ParseVerdict(reply string) (Verdict, error) {
	start, end := strings.IndexByte(reply, '{'), strings.LastIndexByte(reply, '}')
	if start < 0 || end < start {
		return Verdict{}, fmt.Errorf("%w: no JSON object", ErrBadReply)
	}
	var r struct {
		Outcome    string `json:"outcome"`
		ReasonCode string `json:"reason_code"`
	}
	if err := json.Unmarshal([]byte(reply[start:end+1]), &r); err != nil {
		return Verdict{}, fmt.Errorf("%w: malformed JSON", ErrBadReply)
	}
	o := Outcome(strings.ToLower(strings.TrimSpace(r.Outcome)))
	if !o.Valid() {
		return Verdict{}, fmt.Errorf("%w: unknown outcome", ErrBadReply)
	}
	reason, ok := llmReasons[strings.ToLower(strings.TrimSpace(r.ReasonCode))]
	if !ok {
		reason = "the model judged the value " + string(o)
	}
	return Verdict{Outcome: o, Reason: reason}, nil
}

// WithFallback returns a judge that asks primary and, when it fails,
// fallback; a verdict from the fallback is marked so.
func WithFallback(primary, fallback Judge) Judge { return fallbackJudge{primary, fallback} }

type fallbackJudge struct{ primary, fallback Judge }

// Judge asks the primary judge, then the fallback.
func (f fallbackJudge) Judge(ctx context.Context, c Claim) (Verdict, error) {
	v, err := f.primary.Judge(ctx, c)
	if err == nil {
		return v, nil
	}
	if ctx.Err() != nil {
		return Verdict{}, err
	}
	v, ferr := f.fallback.Judge(ctx, c)
	if ferr != nil {
		return Verdict{}, errors.Join(err, ferr)
	}
	v.Fallback = true
	return v, nil
}
