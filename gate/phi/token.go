package phi

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token by its characters.
type tokKind uint8

const (
	kWord  tokKind = iota + 1 // letters (with inner apostrophes)
	kNum                      // ASCII digits only
	kAlnum                    // letters and digits mixed
	kPunct                    // one other non-space character
)

// Token flags describe the token's shape and what precedes it.
const (
	fCap      uint16 = 1 << iota // first letter upper case
	fAllCap                      // every letter upper case, at least two letters
	fSpace                       // whitespace before the token
	fNewline                     // a line break before the token
	fNonASCII                    // contains a non-ASCII letter
	fStart                       // starts a sentence or line
)

// token is one unit of the text. Offsets are bytes (b0, b1) and runes (r0, r1).
type token struct {
	b0, b1 int
	r0, r1 int
	kind   tokKind
	flags  uint16
	ch     rune   // the character of a kPunct token
	lower  string // lower-case form of words; digits of numbers
	lex    lexFlag
}

func (t *token) is(f uint16) bool   { return t.flags&f != 0 }
func (t *token) has(f lexFlag) bool { return t.lex&f != 0 }

// isPunct reports whether t is the punctuation character c.
func (t *token) isPunct(c rune) bool { return t.kind == kPunct && t.ch == c }

// tokenize splits text into tokens in one pass. Whitespace is not a token;
// it is recorded as flags on the following token.
func tokenize(text string, toks []token) []token {
	toks = toks[:0]
	var space, newline bool
	start := true
	r := 0 // rune index
	for i := 0; i < len(text); {
		c, size := rune(text[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRuneInString(text[i:])
		}
		switch {
		case c == '\n' || c == '\r':
			newline, space, start = true, true, true
			i += size
			r++
			continue
		case unicode.IsSpace(c):
			space = true
			i += size
			r++
			continue
		}
		t := token{b0: i, r0: r}
		if space {
			t.flags |= fSpace
		}
		if newline {
			t.flags |= fNewline
		}
		if start {
			t.flags |= fStart
		}
		space, newline, start = false, false, false
		if isWordRune(c) {
			letters, digits, upper, nonASCII := 0, 0, 0, false
			firstUpper := false
			j, rj := i, r
			for j < len(text) {
				d, sz := rune(text[j]), 1
				if d >= utf8.RuneSelf {
					d, sz = utf8.DecodeRuneInString(text[j:])
				}
				if d == '\'' || d == '’' {
					// An apostrophe joins letters: o'brien, don't. A possessive
					// "'s" after a capitalised word that is not an everyday
					// word stays apart, so "Amanda's" yields the name alone.
					if letters > 0 && digits == 0 && j+sz < len(text) {
						n, _ := utf8.DecodeRuneInString(text[j+sz:])
						if (n == 's' || n == 'S') && firstUpper && possessiveEnd(text, j+sz+1) &&
							lookup(lowerWord(text[i:j]))&lexCommon == 0 {
							break
						}
						if unicode.IsLetter(n) {
							j += sz
							rj++
							continue
						}
					}
					break
				}
				if !isWordRune(d) {
					break
				}
				if d >= '0' && d <= '9' {
					digits++
				} else if unicode.IsLetter(d) || unicode.IsMark(d) {
					if letters == 0 && unicode.IsUpper(d) {
						firstUpper = true
					}
					letters++
					if unicode.IsUpper(d) {
						upper++
					}
					if d >= utf8.RuneSelf {
						nonASCII = true
					}
				} else {
					// Other number characters (superscripts, fractions) count as letters.
					letters++
				}
				j += sz
				rj++
			}
			t.b1, t.r1 = j, rj
			word := text[i:j]
			switch {
			case letters == 0:
				t.kind = kNum
				t.lower = word
			case digits == 0:
				t.kind = kWord
				t.lower = lowerWord(word)
			default:
				t.kind = kAlnum
				t.lower = strings.ToLower(word)
			}
			if firstUpper {
				t.flags |= fCap
			}
			if upper >= 2 && upper == letters-countMarks(word) {
				t.flags |= fAllCap
			}
			if nonASCII {
				t.flags |= fNonASCII
			}
			i, r = j, rj
		} else {
			t.kind = kPunct
			t.ch = c
			t.b1, t.r1 = i+size, r+1
			i += size
			r++
			switch c {
			case '.', '!', '?', ':', ';', '"', '“', '”', '>', '•', '*', '(', ')', '[', ']', '|':
				start = true
			}
		}
		toks = append(toks, t)
	}
	return toks
}

// countMarks counts combining marks, which are neither upper nor lower case.
func countMarks(s string) int {
	n := 0
	for _, c := range s {
		if unicode.IsMark(c) || (c != '\'' && c != '’' && !unicode.IsLetter(c) && !(c >= '0' && c <= '9')) {
			n++
		}
	}
	return n
}

func isWordRune(c rune) bool {
	if c < utf8.RuneSelf {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsDigit(c)
}

// lowerWord lower-cases a word and writes apostrophes as ASCII.
func lowerWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(w)
	}
	return strings.ReplaceAll(strings.ToLower(w), "’", "'")
}

// possessiveEnd reports whether byte i of text ends a word.
func possessiveEnd(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	c, _ := utf8.DecodeRuneInString(text[i:])
	return !isWordRune(c)
}
