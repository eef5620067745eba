package receptionist

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

var ordinals = []string{"", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
	"eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
	"twentieth", "twenty first", "twenty second", "twenty third", "twenty fourth", "twenty fifth", "twenty sixth",
	"twenty seventh", "twenty eighth", "twenty ninth", "thirtieth", "thirty first"}

var numberWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}

// sayNumber says 0..99 in words.
func sayNumber(n int) string {
	switch {
	case n < 20:
		return numberWords[n]
	case n < 100:
		tens := [...]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}[n/10]
		if n%10 == 0 {
			return tens
		}
		return tens + " " + numberWords[n%10]
	}
	return fmt.Sprint(n)
}

// sayDate says a day as "Tuesday, March third".
func sayDate(t time.Time) string {
	return fmt.Sprintf("%s, %s %s", t.Weekday(), t.Month(), ordinals[t.Day()])
}

// sayTime says a time of day as "ten thirty a m" or "nine o'clock a m".
func sayTime(t time.Time) string {
	h, m := t.Hour(), t.Minute()
	ampm := "a m"
	if h >= 12 {
		ampm = "p m"
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	switch {
	case m == 0:
		return fmt.Sprintf("%s o'clock %s", sayNumber(h12), ampm)
	case m < 10:
		return fmt.Sprintf("%s oh %s %s", sayNumber(h12), sayNumber(m), ampm)
	}
	return fmt.Sprintf("%s %s %s", sayNumber(h12), sayNumber(m), ampm)
}

// sayWhen says "Tuesday, March third at ten thirty a m".
func sayWhen(t time.Time) string { return sayDate(t) + " at " + sayTime(t) }

// speakableName makes a record's name sayable and recognisable: the digits
// Synthea appends to its synthetic names are dropped, case is normalised.
func speakableName(s string) string {
	var words []string
	for _, w := range strings.Fields(s) {
		w = strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return -1
			}
			return r
		}, w)
		w = strings.Trim(w, ".,")
		if w == "" {
			continue
		}
		r := []rune(strings.ToLower(w))
		r[0] = unicode.ToUpper(r[0])
		words = append(words, string(r))
	}
	return strings.Join(words, " ")
}

// ordinalChoice names choice i (from 0) as said in a menu: "first".
func ordinalChoice(i int) string { return ordinals[i+1] }
