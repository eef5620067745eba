package spoken

import (
	"reflect"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"My number is (555) 010-0199.", []string{"my", "number", "is", "555", "010", "0199"}},
		{"Walgreen's on 5th Ave", []string{"walgreens", "on", "5", "ave"}},
		{"O'Neil, José", []string{"oneil", "jose"}},
		{"twenty-three", []string{"twenty", "three"}},
		{"it's the 14th", []string{"its", "the", "14"}},
		{"'quoted'", []string{"quoted"}},
		{"", []string{}},
	} {
		if got := Words(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"five five five one two one two", []string{"5551212"}},
		{"my number is five five five, oh one oh oh", []string{"5550100"}},
		{"double five five, triple seven", []string{"555777"}},
		{"twelve thirty four", []string{"1234"}},
		{"one eight hundred five five five one two one two", []string{"18005551212"}},
		{"four hundred five main street", []string{"405"}},
		{"four hundred and five", []string{"405"}},
		{"four hundred twelve", []string{"412"}},
		{"two thousand five", []string{"2005"}},
		{"two thousand and twelve", []string{"2012"}},
		{"nineteen eighty", []string{"1980"}},
		{"nineteen oh five", []string{"1905"}},
		{"fifteen hundred", []string{"1500"}},
		{"two thousand five hundred", []string{"2500"}},
		{"oh I see", nil},
		{"oh, my pharmacy, oh", nil},
		{"apartment four b and then ten", []string{"4", "10"}},
		{"555-010-0199", []string{"5550100199"}},
		{"one twenty three main", []string{"123"}},
		{"zero zero seven", []string{"007"}},
	} {
		if got := DigitRuns(c.in); !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("DigitRuns(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDigitsOf(t *testing.T) {
	if got := DigitsOf("+1 (555) 010-0199"); got != "15550100199" {
		t.Errorf("DigitsOf = %q", got)
	}
}

func TestDates(t *testing.T) {
	d := func(y, m, dd int) Date { return Date{y, m, dd} }
	for _, c := range []struct {
		in   string
		want []Date
	}{
		{"march fourteenth nineteen eighty", []Date{d(1980, 3, 14)}},
		{"March 14, 1980", []Date{d(1980, 3, 14)}},
		{"the fourteenth of march nineteen eighty", []Date{d(1980, 3, 14)}},
		{"14 March 80", []Date{d(1980, 3, 14)}},
		{"it's march fourteen nineteen eighty five", []Date{d(1985, 3, 14)}},
		{"born on march twenty first nineteen oh five", []Date{d(1905, 3, 21)}},
		{"june third two thousand and two", []Date{d(2002, 6, 3)}},
		{"three fourteen nineteen eighty", []Date{d(1980, 3, 14)}},
		{"oh three one four one nine eight oh", []Date{d(1980, 3, 14)}},
		{"3/14/1980", []Date{d(1980, 3, 14)}},
		{"12/1/80", []Date{d(1980, 12, 1)}},
		{"1980-03-14", []Date{d(1980, 3, 14)}},
		{"twelve one eighty", []Date{d(1980, 12, 1)}},
		{"march fourteenth", []Date{d(0, 3, 14)}},
		{"february thirtieth nineteen eighty", nil},
		{"my number is five five five one two one two", nil},
		{"you may come in", nil},
		{"I was born may fifth nineteen ninety", []Date{d(1990, 5, 5)}},
		{"on the second of december twenty ten", []Date{d(2010, 12, 2)}},
	} {
		got := Dates(c.in)
		if !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("Dates(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"1980-03-14":           "1980-03-14",
		"1980-03-14T00:00:00Z": "1980-03-14",
		"03/14/1980":           "1980-03-14",
		"3/4/1980":             "1980-03-04",
		"March 14, 1980":       "1980-03-14",
		"14 Mar 1980":          "1980-03-14",
	} {
		d, ok := ParseDate(in)
		if !ok || d.String() != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, d, ok, want)
		}
	}
	for _, in := range []string{"", "tomorrow", "13/45/1980", "5551212"} {
		if d, ok := ParseDate(in); ok {
			t.Errorf("ParseDate(%q) = %v, want failure", in, d)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"CVS Pharmacy", "the c v s pharmacy"},
		{"123 Main St.", "one twenty three main street"},
		{"405 N. Oak Ave, Apt 4B", "four hundred five north oak avenue apartment four b"},
		{"Walgreens #1234", "walgreens number one two three four"},
		{"5th Avenue", "fifth avenue"},
		{"21st Street", "twenty first street"},
		{"Smith & Sons Drugs", "smith and sons drugs"},
	} {
		ca, cb := strings.Join(Canonical(c.a), " "), strings.Join(Canonical(c.b), " ")
		if ca != cb {
			t.Errorf("Canonical(%q) = %q, Canonical(%q) = %q: want equal", c.a, ca, c.b, cb)
		}
	}
	if got := strings.Join(Canonical("Rite Aid on Elm Street"), " "); got != "rite aid elm st" {
		t.Errorf("Canonical = %q", got)
	}
}

func TestJoinLetters(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"c v s", "cvs"},
		{"a c v s", "a cvs"},
		{"s m y t h", "smyth"},
		{"j a n e", "jane"},
		{"i said c v s", "i said cvs"},
		{"plan b", "plan b"},
	} {
		if got := strings.Join(JoinLetters(strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("JoinLetters(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNameWords(t *testing.T) {
	if got := strings.Join(NameWords("Mr. John O'Neil Jr."), " "); got != "john oneil" {
		t.Errorf("NameWords = %q", got)
	}
}

func BenchmarkDates(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Dates("yes my date of birth is march fourteenth nineteen eighty and my number is five five five one two one two")
	}
}
