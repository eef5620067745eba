package review

import (
	"context"
	"strings"
)

// Outcome is gate 2's verdict on a fact.
type Outcome string

// The outcomes of a judgement.
const (
	// Verified: the cited turn says the value.
	Verified Outcome = "verified"
	// Uncertain: the cited turn neither clearly says nor clearly denies it.
	Uncertain Outcome = "uncertain"
	// Contradicted: the cited turn says something else.
	Contradicted Outcome = "contradicted"
)

// Valid reports whether o is one of the three outcomes.
func (o Outcome) Valid() bool { return o == Verified || o == Uncertain || o == Contradicted }

// Claim is what a judge checks: a value extracted into field, and the
// transcript turn it cites.
type Claim struct {
	Field string
	Value string
	Turn  string
}

// Verdict is a judge's answer.
type Verdict struct {
	Outcome Outcome `json:"outcome"`
	// Reason says why in a fixed phrase; it never holds PHI.
	Reason string `json:"reason"`
	// Judge names the judge: "local" or "llm".
	Judge string `json:"judge"`
	// Model names the model an LLM judge asked.
	Model string `json:"model,omitempty"`
	// Fallback is set when this verdict came from a fallback judge because
	// the preferred one failed.
	Fallback bool `json:"fallback,omitempty"`
}

// Judge is gate 2: it checks a claim against its turn. Implementations
// must not put any part of the value or the turn in Verdict.Reason.
type Judge interface {
	Judge(ctx context.Context, c Claim) (Verdict, error)
}

// Kind is the kind of value a field holds; it selects how a value is
// compared with speech.
type Kind string

// The kinds of values.
const (
	KindPhone      Kind = "phone"
	KindDate       Kind = "date"
	KindName       Kind = "name"
	KindEmail      Kind = "email"
	KindIdentifier Kind = "identifier"
	KindText       Kind = "text"
)

// KindOf returns the kind of value a field holds, from its name:
// phone/mobile/fax → phone; email; birthDate/dob/…date → date;
// name/given/family → name; ssn, zip, member and …id/…number → identifier;
// everything else (pharmacy, address) → text.
func KindOf(field string) Kind {
	f := strings.ToLower(field)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(f, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("phone", "mobile", "fax", "telephone", "callback"):
		return KindPhone
	case has("email"):
		return KindEmail
	case f == "dob" || has("date", "birth"):
		return KindDate
	case has("name", "given", "family", "surname"):
		return KindName
	case has("ssn", "zip", "postal", "mrn", "member", "policy", "group", "number", "account") || strings.HasSuffix(f, "id"):
		return KindIdentifier
	}
	return KindText
}

// The reasons judges give. They are fixed phrases so that no PHI can reach
// an envelope through them.
const (
	ReasonExact         = "value matches the cited turn after normalisation"
	ReasonNumbers       = "value matches the cited turn after number normalisation"
	ReasonDate          = "date matches the cited turn"
	ReasonPhonetic      = "value matches the cited turn allowing a spelling variant"
	ReasonEmptyValue    = "the extracted value is empty"
	ReasonEmptyTurn     = "the cited turn is empty"
	ReasonNoTurn        = "the fact cites no transcript turn"
	ReasonTurnMissing   = "the cited turn is not in the ledger"
	ReasonTurnOtherCall = "the cited turn belongs to another call"
	ReasonTurnErased    = "the cited turn has been erased"
	ReasonBadDate       = "the extracted value is not a date"
	ReasonAbsent        = "the cited turn does not mention a value of this kind"
	ReasonNotFound      = "the cited turn does not contain the value"
	ReasonPartial       = "the value only partly matches the cited turn"
	ReasonSoundsAlike   = "the value sounds like the cited turn but is spelled differently"
	ReasonDayOnly       = "month and day match but the cited turn gives no year"
	ReasonAreaCode      = "the last seven digits match but the area code is missing"
	ReasonOtherNumber   = "the cited turn states a different number"
	ReasonOtherDate     = "the cited turn states a different date"
	ReasonOtherName     = "the cited turn states a different name"
	ReasonOtherPlace    = "the cited turn names a different pharmacy or place"
	ReasonNegated       = "the cited turn negates the value"
	ReasonRestated      = "the caller restated a different value later in the turn"
)
