// Package spoken reads values out of what people say and what speech
// recognisers write: numbers spoken digit by digit or in groups ("five five
// five", "double five", "oh", "twelve thirty four", "eight hundred"), dates
// in their spoken and written forms ("march fourteenth nineteen eighty",
// "3/14/80", "oh three one four one nine eight oh"), spelled-out letters
// ("c v s"), and the abbreviations of street addresses and shop names.
//
// Everything here is pure and allocation-light: it runs once per extracted
// value in the review judge and the identity gate, and on every transcript
// turn in the monitors.
package spoken

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words splits text into lower-case words: runs of letters and digits.
// Apostrophes inside a word are dropped ("walgreen's" → "walgreens",
// "o'neil" → "oneil"); every other character separates words. A digit run
// with an ordinal suffix loses it ("14th" → "14"). Accents on Latin letters
// are removed.
func Words(text string) []string {
	out := make([]string, 0, len(text)/4+1)
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		out = append(out, stripOrdinal(w))
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		case r < utf8.RuneSelf && r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case (r == '\'' || r == '’') && b.Len() > 0 && i < len(text) && isWordByte(text[i]):
			// inside a word: drop it
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := accents[r]; ok {
				r = f
			}
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// stripOrdinal turns "14th", "1st", "22nd", "3rd" into their digits.
func stripOrdinal(w string) string {
	if len(w) < 3 || w[0] < '0' || w[0] > '9' {
		return w
	}
	suf := w[len(w)-2:]
	if suf != "st" && suf != "nd" && suf != "rd" && suf != "th" {
		return w
	}
	for i := 0; i < len(w)-2; i++ {
		if w[i] < '0' || w[i] > '9' {
			return w
		}
	}
	return w[:len(w)-2]
}

var accents = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e',
	'ë': 'e', 'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o',
	'ö': 'o', 'ø': 'o', 'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y',
}

// isDigits reports whether w is non-empty and all ASCII digits.
func isDigits(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// DigitsOf returns the digits of a written value, dropping everything else:
// "(555) 010-0199" → "5550100199".
func DigitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// JoinLetters joins runs of two or more single-letter words, the way people
// spell: "c v s" → "cvs", "s m y t h" → "smyth". "a" and "i" join only
// between other single letters, since on their own they are words.
func JoinLetters(words []string) []string {
	single := func(k int) bool {
		return k >= 0 && k < len(words) && len(words[k]) == 1 && words[k][0] >= 'a' && words[k][0] <= 'z'
	}
	strict := func(k int) bool {
		if !single(k) {
			return false
		}
		if w := words[k]; w == "a" || w == "i" {
			return single(k-1) && single(k+1)
		}
		return true
	}
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); {
		j := i
		for j < len(words) && strict(j) {
			j++
		}
		if j-i >= 2 {
			out = append(out, strings.Join(words[i:j], ""))
			i = j
			continue
		}
		out = append(out, words[i])
		i++
	}
	return out
}
