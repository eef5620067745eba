package spoken

import (
	"strconv"
	"strings"
)

var units = map[string]int{
	"zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}

var teens = map[string]int{
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}

var tens = map[string]int{
	"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
	"eighty": 80, "ninety": 90,
}

// weakZero are the zero words that are also ordinary words; they count as
// digits only next to another number word.
func weakZero(w string) bool { return w == "oh" || w == "o" }

// IsNumberWord reports whether w (a word from Words) can be part of a
// spoken or written number: digits, "five", "twenty", "hundred", "oh",
// "double", ….
func IsNumberWord(w string) bool { return numberWord(w) }

// numberWord reports whether w can be part of a spoken or written number.
func numberWord(w string) bool {
	if isDigits(w) {
		return true
	}
	if _, ok := units[w]; ok {
		return true
	}
	if _, ok := teens[w]; ok {
		return true
	}
	if _, ok := tens[w]; ok {
		return true
	}
	switch w {
	case "hundred", "thousand", "double", "triple":
		return true
	}
	return false
}

// Number is one run of consecutive number words or digit strings in a text.
type Number struct {
	// Digits is the run read as a string of digits, the way phone numbers,
	// identifiers and house numbers are read: "five five five" → "555",
	// "twelve thirty four" → "1234", "eight hundred" → "800", "double
	// five" → "55", "two thousand five" → "2005".
	Digits string
	// Start and End are the run's word indexes, End exclusive.
	Start, End int
	// Groups are the parts of the run as spoken: each spoken cardinal or
	// written digit string, in order.
	Groups []Group
}

// Group is one spoken cardinal ("twenty three", "four hundred and five")
// or digit string within a Number.
type Group struct {
	Digits string
	Value  int
	// Words is how many words the group took.
	Words int
	// Written is true for a group written in digits.
	Written bool
}

// Numbers finds the number runs in words (as returned by Words).
func Numbers(words []string) []Number {
	var out []Number
	for i := 0; i < len(words); {
		if !numberWord(words[i]) {
			i++
			continue
		}
		j := i
		for j < len(words) && (numberWord(words[j]) || (words[j] == "and" && j > i && j+1 < len(words) &&
			(words[j-1] == "hundred" || words[j-1] == "thousand") && numberWord(words[j+1]))) {
			j++
		}
		// A run made only of "oh" and "o" is an interjection, not a number.
		strong := false
		for k := i; k < j; k++ {
			if !weakZero(words[k]) {
				strong = true
				break
			}
		}
		if strong {
			if n, ok := parseRun(words[i:j]); ok {
				n.Start, n.End = i, j
				out = append(out, n)
			}
		}
		i = j
	}
	return out
}

// parseRun reads one run of number words.
func parseRun(w []string) (Number, bool) {
	var n Number
	var b strings.Builder
	for i := 0; i < len(w); {
		g, next := parseGroup(w, i)
		if next == i {
			i++ // a stray "and", "hundred" glue we could not use
			continue
		}
		n.Groups = append(n.Groups, g)
		b.WriteString(g.Digits)
		i = next
	}
	n.Digits = b.String()
	return n, n.Digits != ""
}

// parseGroup reads the group at w[i] and returns it and the index after it.
func parseGroup(w []string, i int) (Group, int) {
	word := w[i]
	switch {
	case isDigits(word):
		return Group{Digits: word, Value: atoi(word), Words: 1, Written: true}, i + 1
	case word == "double" || word == "triple":
		if i+1 < len(w) {
			d := ""
			if v, ok := units[w[i+1]]; ok {
				d = strconv.Itoa(v)
			} else if isDigits(w[i+1]) && len(w[i+1]) == 1 {
				d = w[i+1]
			}
			if d != "" {
				k := 2
				if word == "triple" {
					k = 3
				}
				s := strings.Repeat(d, k)
				return Group{Digits: s, Value: atoi(s), Words: 2}, i + 2
			}
		}
		return Group{}, i + 1
	case word == "and":
		return Group{}, i
	}
	v, next, ok := cardinal(w, i)
	if !ok {
		return Group{}, i + 1
	}
	return Group{Digits: strconv.Itoa(v), Value: v, Words: next - i}, next
}

// belowHundred reads a unit, teen, tens or tens-and-unit at w[i].
func belowHundred(w []string, i int) (int, int, bool) {
	if i >= len(w) {
		return 0, i, false
	}
	if v, ok := units[w[i]]; ok {
		return v, i + 1, true
	}
	if v, ok := teens[w[i]]; ok {
		return v, i + 1, true
	}
	if v, ok := tens[w[i]]; ok {
		if i+1 < len(w) {
			if u, ok := units[w[i+1]]; ok && u > 0 {
				return v + u, i + 2, true
			}
		}
		return v, i + 1, true
	}
	return 0, i, false
}

// cardinal reads a spoken cardinal below a million at w[i]. After
// "hundred" or "thousand" a bare unit word is taken only when "and"
// precedes it or no digit word follows it, so that "eight hundred five
// five five" reads as 800 5 5 5 and "four hundred five" as 405.
func cardinal(w []string, i int) (int, int, bool) {
	total, j := 0, i
	cur, next, ok := belowHundred(w, j)
	if ok {
		j = next
	} else if j < len(w) && w[j] == "hundred" {
		cur = 1 // "hundred and five"
	} else {
		return 0, i, false
	}
	if j < len(w) && w[j] == "hundred" {
		if cur == 0 {
			cur = 1
		}
		cur *= 100
		j++
		if r, nj, ok := tail(w, j); ok {
			cur += r
			j = nj
		}
	}
	if j < len(w) && w[j] == "thousand" {
		total = cur * 1000
		j++
		k := j
		if k < len(w) && w[k] == "and" {
			k++
		}
		if h, hj, ok := belowHundred(w, k); ok && hj < len(w) && w[hj] == "hundred" {
			h *= 100
			hj++
			if r, nj, ok := tail(w, hj); ok {
				h += r
				hj = nj
			}
			total += h
			j = hj
		} else if r, nj, ok := tail(w, j); ok {
			total += r
			j = nj
		}
		return total, j, true
	}
	return cur, j, true
}

// tail reads what may follow "hundred" or "thousand".
func tail(w []string, j int) (int, int, bool) {
	and := false
	if j < len(w) && w[j] == "and" {
		and = true
		j++
	}
	if j >= len(w) {
		return 0, j, false
	}
	if _, isUnit := units[w[j]]; isUnit && !and {
		// A unit followed by another digit word is digit-by-digit speech.
		if j+1 < len(w) && numberWord(w[j+1]) && w[j+1] != "hundred" && w[j+1] != "thousand" {
			return 0, j, false
		}
		if weakZero(w[j]) || w[j] == "zero" {
			return 0, j, false
		}
	}
	v, next, ok := belowHundred(w, j)
	if !ok {
		return 0, j, false
	}
	return v, next, true
}

func atoi(s string) int {
	if len(s) > 9 {
		s = s[len(s)-9:]
	}
	n, _ := strconv.Atoi(s)
	return n
}

// DigitRuns returns the digit strings of the number runs in text, in order.
func DigitRuns(text string) []string {
	ns := Numbers(Words(text))
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Digits
	}
	return out
}
