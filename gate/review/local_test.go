package review

import (
	"context"
	"strings"
	"testing"
)

// judgeCases pair values as written with turns as spoken. The names,
// numbers and places are synthetic.
var judgeCases = []struct {
	field, value, turn string
	want               Outcome
}{
	// Phones: digit words, "oh", "double", groups, written forms.
	{"phone", "555-010-0199", "my number is five five five oh one oh oh one nine nine", Verified},
	{"phone", "(555) 010-0199", "it's 555 010 0199", Verified},
	{"phone", "+1 555 010 0199", "five five five, zero one zero, zero one nine nine", Verified},
	{"phone", "555-010-0199", "area code five five five and then oh one oh, oh one double nine", Verified},
	{"phone", "555-012-3434", "five five five oh one two thirty four thirty four", Verified},
	{"phone", "800-555-0100", "one eight hundred five five five oh one hundred", Verified},
	{"phone", "555-010-0199", "one five five five oh one oh oh one nine nine", Verified},
	{"mobilePhone", "555-010-0199", "my cell is five five five oh one oh oh one nine nine", Verified},
	{"phone", "555-010-0199", "my number is five five five oh one oh oh one nine eight", Contradicted},
	{"phone", "555-010-0199", "it's four four four oh one oh oh one nine nine", Contradicted},
	{"phone", "555-010-0199", "oh one oh oh one nine nine", Uncertain},
	{"phone", "555-010-0199", "I don't remember my number", Uncertain},
	{"phone", "555-010-0199", "it is not five five five oh one oh oh one nine nine", Contradicted},
	{"phone", "555-010-0199", "five five five oh one oh oh one nine nine, sorry, I mean five five five oh one oh oh two two two", Uncertain},
	{"phone", "555-010-0199", "I'm 55 and my number is 5010 0199", Contradicted},
	{"phone", "555-010-0199", "oh, five five five oh one oh oh one nine nine", Verified},
	{"phone", "555-010-0199", "five five five, um, oh one oh, dash, oh one nine nine", Verified},

	// Dates: spoken, written, partial.
	{"birthDate", "1980-03-14", "march fourteenth nineteen eighty", Verified},
	{"birthDate", "1980-03-14", "it's the fourteenth of march, nineteen eighty", Verified},
	{"birthDate", "1980-03-14", "three fourteen eighty", Verified},
	{"birthDate", "1980-03-14", "oh three one four one nine eight oh", Verified},
	{"birthDate", "03/14/1980", "I was born on 3/14/1980", Verified},
	{"birthDate", "1980-03-14", "march fifteenth nineteen eighty", Contradicted},
	{"birthDate", "1980-03-14", "march fourteenth nineteen eighty one", Contradicted},
	{"birthDate", "1980-03-14", "march fourteenth", Uncertain},
	{"birthDate", "1980-03-14", "I'd rather not say", Uncertain},
	{"birthDate", "not a date", "march fourteenth nineteen eighty", Uncertain},
	{"dob", "2005-01-02", "january second two thousand five", Verified},

	// Names: exact, spelled, phonetic variants, different names.
	{"family", "Smith", "my last name is smith", Verified},
	{"family", "Smyth", "my last name is smith", Verified},
	{"given", "Jon", "this is john", Verified},
	{"name", "Catherine Byrne", "hi it's katherine byrne", Verified},
	{"name", "Catherine Byrne", "hi it's katherine burn", Uncertain},
	{"family", "Fairbanks", "fair banks", Verified},
	{"family", "O'Neil", "o neil", Verified},
	{"family", "Nguyen", "that's n g u y e n", Verified},
	{"given", "Steven", "my name is stephen", Verified},
	{"name", "Dana Fairbanks", "dana fairbanks speaking", Verified},
	{"family", "Smith", "my last name is jones", Contradicted},
	{"given", "Mary", "my name is murray", Uncertain},
	{"name", "Dana Fairbanks", "this is dana", Uncertain},
	{"family", "Smith", "it is not smith", Contradicted},
	{"family", "Smith", "yes please", Uncertain},

	// Pharmacies and addresses: abbreviations, spelled chains, numbers.
	{"pharmacy", "CVS Pharmacy", "the c v s on main street", Verified},
	{"pharmacy", "CVS Main St", "c v s on main street", Verified},
	{"pharmacy", "Walgreens", "wall greens please", Verified},
	{"pharmacy", "Walgreen's", "walgreens", Verified},
	{"pharmacy", "Rite Aid", "riteaid on elm", Verified},
	{"pharmacy", "CVS", "the walgreens on main street", Contradicted},
	{"pharmacy", "CVS Pharmacy", "I'm not sure which one", Uncertain},
	{"pharmacy", "CVS", "not the c v s", Contradicted},
	{"pharmacy", "CVS", "not walgreens, the c v s", Verified},
	{"pharmacy", "CVS", "the cvs, not the walgreens", Verified},
	{"address", "123 Main St.", "one twenty three main street", Verified},
	{"address", "405 N Oak Ave Apt 4B", "four hundred five north oak avenue apartment four b", Verified},
	{"address", "123 Main St.", "one twenty five main street", Contradicted},
	{"address", "123 Main St.", "main street", Uncertain},

	// Identifiers and emails.
	{"memberId", "XJH4821", "my member id is x j h four eight two one", Verified},
	{"memberId", "XJH4821", "it's four eight two one", Uncertain},
	{"zip", "02134", "zip code is oh two one three four", Verified},
	{"zip", "02134", "zip code is oh two one three five", Contradicted},
	{"email", "dana.fairbanks@example.com", "dana dot fairbanks at example dot com", Verified},
	{"email", "dana.fairbanks@example.com", "it's dana.fairbanks@example.com", Verified},
	{"email", "dana.fairbanks@example.com", "dana dot fairbanks at example dot org", Uncertain},

	// Degenerate input.
	{"pharmacy", "", "c v s", Uncertain},
	{"pharmacy", "CVS", "", Uncertain},
}

func TestLocalJudge(t *testing.T) {
	var j LocalJudge
	for _, c := range judgeCases {
		v, err := j.Judge(context.Background(), Claim{Field: c.field, Value: c.value, Turn: c.turn})
		if err != nil {
			t.Fatal(err)
		}
		if v.Outcome != c.want {
			t.Errorf("%s %q vs %q: %s (%s), want %s", c.field, c.value, c.turn, v.Outcome, v.Reason, c.want)
		}
		if v.Judge != "local" || v.Reason == "" {
			t.Errorf("%s %q: verdict %+v lacks judge or reason", c.field, c.value, v)
		}
	}
}

// TestLocalJudgeReasonsHoldNoPHI checks that no reason repeats any word of
// the value or the turn beyond the fixed vocabulary of reasons.
func TestLocalJudgeReasonsHoldNoPHI(t *testing.T) {
	fixed := map[string]bool{}
	for _, r := range []string{ReasonExact, ReasonNumbers, ReasonDate, ReasonPhonetic, ReasonEmptyValue, ReasonEmptyTurn,
		ReasonBadDate, ReasonAbsent, ReasonNotFound, ReasonPartial, ReasonSoundsAlike, ReasonDayOnly, ReasonAreaCode,
		ReasonOtherNumber, ReasonOtherDate, ReasonOtherName, ReasonOtherPlace, ReasonNegated, ReasonRestated} {
		fixed[r] = true
	}
	for _, c := range judgeCases {
		v := JudgeLocally(Claim{Field: c.field, Value: c.value, Turn: c.turn})
		if !fixed[v.Reason] {
			t.Errorf("reason %q is not one of the fixed reasons", v.Reason)
		}
		for _, w := range strings.Fields(strings.ToLower(c.value)) {
			if len(w) > 3 && strings.Contains(strings.ToLower(v.Reason), w) && !strings.Contains(ReasonExact+ReasonDate, w) {
				t.Errorf("reason %q contains %q from the value", v.Reason, w)
			}
		}
	}
}

func TestKindOf(t *testing.T) {
	for field, want := range map[string]Kind{
		"phone": KindPhone, "mobilePhone": KindPhone, "pharmacyPhone": KindPhone, "birthDate": KindDate,
		"dob": KindDate, "given": KindName, "family": KindName, "name": KindName, "memberId": KindIdentifier,
		"zip": KindIdentifier, "ssn": KindIdentifier, "email": KindEmail, "pharmacy": KindText, "address": KindText,
	} {
		if got := KindOf(field); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", field, got, want)
		}
	}
}
