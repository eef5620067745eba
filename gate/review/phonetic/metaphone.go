// Package phonetic encodes words by how they sound, so that spellings a
// speech recogniser or a caller produces ("Smyth", "Jon", "Katherine") can
// be matched to the spellings on file ("Smith", "John", "Catherine").
//
// DoubleMetaphone is Lawrence Philips' Double Metaphone (C/C++ Users
// Journal, June 2000), with the refinements of the widely used Apache
// Commons Codec version; metaphone_test.go checks it against that version's
// published table of surnames. Levenshtein and Similar bound how far two
// spellings may differ.
package phonetic

import (
	"strings"
	"unicode"
)

// MaxCodeLen is the length at which DoubleMetaphone stops encoding, as in
// the original algorithm.
const MaxCodeLen = 4

// DoubleMetaphone returns the primary and alternate Double Metaphone codes
// of word, each at most MaxCodeLen characters. Letters outside A–Z other
// than Ç and Ñ are skipped; an empty or letterless word gives empty codes.
func DoubleMetaphone(word string) (primary, alternate string) {
	return DoubleMetaphoneN(word, MaxCodeLen)
}

// DoubleMetaphoneN is DoubleMetaphone with codes of at most n characters.
func DoubleMetaphoneN(word string, n int) (primary, alternate string) {
	v := []rune(strings.ToUpper(strings.TrimSpace(word)))
	if len(v) == 0 || n <= 0 {
		return "", ""
	}
	m := &dm{v: v, max: n}
	m.slavoGermanic = m.has('W') || m.has('K') || strings.Contains(string(v), "CZ") || strings.Contains(string(v), "WITZ")
	i := 0
	if m.at(0, 2, "GN", "KN", "PN", "WR", "PS") {
		i = 1
	}
	for !m.complete() && i < len(v) {
		switch v[i] {
		case 'A', 'E', 'I', 'O', 'U', 'Y':
			if i == 0 {
				m.add("A")
			}
			i++
		case 'B':
			m.add("P")
			i += m.skip(i, 'B')
		case 'Ç':
			m.add("S")
			i++
		case 'C':
			i = m.c(i)
		case 'D':
			i = m.d(i)
		case 'F':
			m.add("F")
			i += m.skip(i, 'F')
		case 'G':
			i = m.g(i)
		case 'H':
			i = m.h(i)
		case 'J':
			i = m.j(i)
		case 'K':
			m.add("K")
			i += m.skip(i, 'K')
		case 'L':
			i = m.l(i)
		case 'M':
			m.add("M")
			if m.m0(i) {
				i += 2
			} else {
				i++
			}
		case 'N':
			m.add("N")
			i += m.skip(i, 'N')
		case 'Ñ':
			m.add("N")
			i++
		case 'P':
			if m.ch(i+1) == 'H' {
				m.add("F")
				i += 2
			} else {
				m.add("P")
				if m.at(i+1, 1, "P", "B") {
					i += 2
				} else {
					i++
				}
			}
		case 'Q':
			m.add("K")
			i += m.skip(i, 'Q')
		case 'R':
			i = m.r(i)
		case 'S':
			i = m.s(i)
		case 'T':
			i = m.t(i)
		case 'V':
			m.add("F")
			i += m.skip(i, 'V')
		case 'W':
			i = m.w(i)
		case 'X':
			i = m.x(i)
		case 'Z':
			i = m.z(i)
		default:
			i++
		}
	}
	return m.p.String(), m.a.String()
}

// dm is the state of one encoding.
type dm struct {
	v             []rune
	max           int
	p, a          strings.Builder
	slavoGermanic bool
}

func (m *dm) has(r rune) bool {
	for _, c := range m.v {
		if c == r {
			return true
		}
	}
	return false
}

// ch returns the letter at i, or 0 outside the word.
func (m *dm) ch(i int) rune {
	if i < 0 || i >= len(m.v) {
		return 0
	}
	return m.v[i]
}

// at reports whether the n letters from i equal one of the options.
func (m *dm) at(i, n int, options ...string) bool {
	if i < 0 || i+n > len(m.v) {
		return false
	}
	s := string(m.v[i : i+n])
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func isVowel(r rune) bool { return strings.ContainsRune("AEIOUY", r) }

// skip returns 2 when the letter after i is r (a doubled letter), else 1.
func (m *dm) skip(i int, r rune) int {
	if m.ch(i+1) == r {
		return 2
	}
	return 1
}

func (m *dm) complete() bool { return m.p.Len() >= m.max && m.a.Len() >= m.max }

func appendMax(b *strings.Builder, s string, max int) {
	if room := max - b.Len(); room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		b.WriteString(s)
	}
}

// add appends s to both codes.
func (m *dm) add(s string) { m.add2(s, s) }

// add2 appends p to the primary code and a to the alternate.
func (m *dm) add2(p, a string) {
	appendMax(&m.p, p, m.max)
	appendMax(&m.a, a, m.max)
}

func (m *dm) addPrimary(s string)   { appendMax(&m.p, s, m.max) }
func (m *dm) addAlternate(s string) { appendMax(&m.a, s, m.max) }

func (m *dm) c(i int) int {
	switch {
	case m.c0(i): // "ACH" as in "Bacher", "Macher"
		m.add("K")
		return i + 2
	case i == 0 && m.at(i, 6, "CAESAR"):
		m.add("S")
		return i + 2
	case m.at(i, 2, "CH"):
		return m.chCH(i)
	case m.at(i, 2, "CZ") && !m.at(i-2, 4, "WICZ"):
		m.add2("S", "X")
		return i + 2
	case m.at(i+1, 3, "CIA"):
		m.add("X")
		return i + 3
	case m.at(i, 2, "CC") && !(i == 1 && m.ch(0) == 'M'):
		return m.cc(i)
	case m.at(i, 2, "CK", "CG", "CQ"):
		m.add("K")
		return i + 2
	case m.at(i, 2, "CI", "CE", "CY"):
		if m.at(i, 3, "CIO", "CIE", "CIA") {
			m.add2("S", "X")
		} else {
			m.add("S")
		}
		return i + 2
	}
	m.add("K")
	switch {
	case m.at(i+1, 2, " C", " Q", " G"): // "Mac Caffrey", "Mac Gregor"
		return i + 3
	case m.at(i+1, 1, "C", "K", "Q") && !m.at(i+1, 2, "CE", "CI"):
		return i + 2
	}
	return i + 1
}

func (m *dm) c0(i int) bool {
	if m.at(i, 4, "CHIA") {
		return true
	}
	if i <= 1 || isVowel(m.ch(i-2)) || !m.at(i-1, 3, "ACH") {
		return false
	}
	c := m.ch(i + 2)
	return (c != 'I' && c != 'E') || m.at(i-2, 6, "BACHER", "MACHER")
}

func (m *dm) cc(i int) int {
	if m.at(i+2, 1, "I", "E", "H") && !m.at(i+2, 2, "HU") {
		if (i == 1 && m.ch(i-1) == 'A') || m.at(i-1, 5, "UCCEE", "UCCES") {
			m.add("KS") // "accident", "accede", "succeed"
		} else {
			m.add("X") // "bacci", "bertucci"
		}
		return i + 3
	}
	m.add("K") // Pierce's rule
	return i + 2
}

func (m *dm) chCH(i int) int {
	switch {
	case i > 0 && m.at(i, 4, "CHAE"): // "Michael"
		m.add2("K", "X")
	case m.ch0(i), m.ch1(i): // Greek and Germanic "kh"
		m.add("K")
	case i > 0:
		if m.at(0, 2, "MC") {
			m.add("K")
		} else {
			m.add2("X", "K")
		}
	default:
		m.add("X")
	}
	return i + 2
}

func (m *dm) ch0(i int) bool {
	if i != 0 {
		return false
	}
	if !m.at(i+1, 5, "HARAC", "HARIS") && !m.at(i+1, 3, "HOR", "HYM", "HIA", "HEM") {
		return false
	}
	return !m.at(0, 5, "CHORE")
}

func (m *dm) ch1(i int) bool {
	return m.at(0, 4, "VAN ", "VON ") || m.at(0, 3, "SCH") ||
		m.at(i-2, 6, "ORCHES", "ARCHIT", "ORCHID") ||
		m.at(i+2, 1, "T", "S") ||
		((m.at(i-1, 1, "A", "O", "U", "E") || i == 0) &&
			(m.at(i+2, 1, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ") || i+1 == len(m.v)-1))
}

func (m *dm) d(i int) int {
	switch {
	case m.at(i, 2, "DG"):
		if m.at(i+2, 1, "I", "E", "Y") { // "edge"
			m.add("J")
			return i + 3
		}
		m.add("TK") // "Edgar"
		return i + 2
	case m.at(i, 2, "DT", "DD"):
		m.add("T")
		return i + 2
	}
	m.add("T")
	return i + 1
}

func (m *dm) g(i int) int {
	next := m.ch(i + 1)
	switch {
	case next == 'H':
		return m.gh(i)
	case next == 'N':
		switch {
		case i == 1 && isVowel(m.ch(0)) && !m.slavoGermanic:
			m.add2("KN", "N")
		case !m.at(i+2, 2, "EY") && m.ch(i+1) != 'Y' && !m.slavoGermanic:
			m.add2("N", "KN")
		default:
			m.add("KN")
		}
		return i + 2
	case m.at(i+1, 2, "LI") && !m.slavoGermanic:
		m.add2("KL", "L")
		return i + 2
	case i == 0 && (next == 'Y' || m.at(i+1, 2, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")):
		m.add2("K", "J")
		return i + 2
	case (m.at(i+1, 2, "ER") || next == 'Y') && !m.at(0, 6, "DANGER", "RANGER", "MANGER") &&
		!m.at(i-1, 1, "E", "I") && !m.at(i-1, 3, "RGY", "OGY"):
		m.add2("K", "J")
		return i + 2
	case m.at(i+1, 1, "E", "I", "Y") || m.at(i-1, 4, "AGGI", "OGGI"):
		switch {
		case m.at(0, 4, "VAN ", "VON ") || m.at(0, 3, "SCH") || m.at(i+1, 2, "ET"):
			m.add("K")
		case m.at(i+1, 3, "IER"):
			m.add("J")
		default:
			m.add2("J", "K")
		}
		return i + 2
	case next == 'G':
		m.add("K")
		return i + 2
	}
	m.add("K")
	return i + 1
}

func (m *dm) gh(i int) int {
	switch {
	case i > 0 && !isVowel(m.ch(i-1)):
		m.add("K")
	case i == 0:
		if m.ch(i+2) == 'I' {
			m.add("J")
		} else {
			m.add("K")
		}
	case (i > 1 && m.at(i-2, 1, "B", "H", "D")) || (i > 2 && m.at(i-3, 1, "B", "H", "D")) || (i > 3 && m.at(i-4, 1, "B", "H")):
		// Parker's rule: "hugh", "bough", "broughton"
	case i > 2 && m.ch(i-1) == 'U' && m.at(i-3, 1, "C", "G", "L", "R", "T"):
		m.add("F") // "laugh", "cough", "tough"
	case i > 0 && m.ch(i-1) != 'I':
		m.add("K")
	}
	return i + 2
}

func (m *dm) h(i int) int {
	// Kept only first or between vowels; this also covers "HH".
	if (i == 0 || isVowel(m.ch(i-1))) && isVowel(m.ch(i+1)) {
		m.add("H")
		return i + 2
	}
	return i + 1
}

func (m *dm) j(i int) int {
	if m.at(i, 4, "JOSE") || m.at(0, 4, "SAN ") {
		if (i == 0 && m.ch(i+4) == ' ') || len(m.v) == 4 || m.at(0, 4, "SAN ") {
			m.add("H")
		} else {
			m.add2("J", "H")
		}
		return i + 1
	}
	switch {
	case i == 0:
		m.add2("J", "A")
	case isVowel(m.ch(i-1)) && !m.slavoGermanic && (m.ch(i+1) == 'A' || m.ch(i+1) == 'O'):
		m.add2("J", "H")
	case i == len(m.v)-1:
		m.add2("J", " ")
	case !m.at(i+1, 1, "L", "T", "K", "S", "N", "M", "B", "Z") && !m.at(i-1, 1, "S", "K", "L"):
		m.add("J")
	}
	if m.ch(i+1) == 'J' {
		return i + 2
	}
	return i + 1
}

func (m *dm) l(i int) int {
	if m.ch(i+1) == 'L' {
		if m.l0(i) {
			m.addPrimary("L")
		} else {
			m.add("L")
		}
		return i + 2
	}
	m.add("L")
	return i + 1
}

func (m *dm) l0(i int) bool {
	n := len(m.v)
	if i == n-3 && m.at(i-1, 4, "ILLO", "ILLA", "ALLE") {
		return true
	}
	return (m.at(n-2, 2, "AS", "OS") || m.at(n-1, 1, "A", "O")) && m.at(i-1, 4, "ALLE")
}

func (m *dm) m0(i int) bool {
	if m.ch(i+1) == 'M' {
		return true
	}
	return m.at(i-1, 3, "UMB") && (i+1 == len(m.v)-1 || m.at(i+2, 2, "ER"))
}

func (m *dm) r(i int) int {
	if i == len(m.v)-1 && !m.slavoGermanic && m.at(i-2, 2, "IE") && !m.at(i-4, 2, "ME", "MA") {
		m.addAlternate("R") // French "Rogier"
	} else {
		m.add("R")
	}
	return i + m.skip(i, 'R')
}

func (m *dm) s(i int) int {
	switch {
	case m.at(i-1, 3, "ISL", "YSL"): // "island", "carlisle"
		return i + 1
	case i == 0 && m.at(i, 5, "SUGAR"):
		m.add2("X", "S")
		return i + 1
	case m.at(i, 2, "SH"):
		if m.at(i+1, 4, "HEIM", "HOEK", "HOLM", "HOLZ") {
			m.add("S")
		} else {
			m.add("X")
		}
		return i + 2
	case m.at(i, 3, "SIO", "SIA") || m.at(i, 4, "SIAN"):
		if m.slavoGermanic {
			m.add("S")
		} else {
			m.add2("S", "X")
		}
		return i + 3
	case (i == 0 && m.at(i+1, 1, "M", "N", "L", "W")) || m.at(i+1, 1, "Z"):
		// "Smith" matches "Schmidt", "Snider" matches "Schneider".
		m.add2("S", "X")
		if m.at(i+1, 1, "Z") {
			return i + 2
		}
		return i + 1
	case m.at(i, 2, "SC"):
		return m.sc(i)
	}
	if i == len(m.v)-1 && m.at(i-2, 2, "AI", "OI") {
		m.addAlternate("S") // French "Resnais", "Artois"
	} else {
		m.add("S")
	}
	if m.at(i+1, 1, "S", "Z") {
		return i + 2
	}
	return i + 1
}

func (m *dm) sc(i int) int {
	switch {
	case m.ch(i+2) == 'H':
		switch {
		case m.at(i+3, 2, "OO", "ER", "EN", "UY", "ED", "EM"): // Dutch: "school"
			if m.at(i+3, 2, "ER", "EN") {
				m.add2("X", "SK")
			} else {
				m.add("SK")
			}
		case i == 0 && !isVowel(m.ch(3)) && m.ch(3) != 'W':
			m.add2("X", "S")
		default:
			m.add("X")
		}
	case m.at(i+2, 1, "I", "E", "Y"):
		m.add("S")
	default:
		m.add("SK")
	}
	return i + 3
}

func (m *dm) t(i int) int {
	switch {
	case m.at(i, 4, "TION"), m.at(i, 3, "TIA", "TCH"):
		m.add("X")
		return i + 3
	case m.at(i, 2, "TH") || m.at(i, 3, "TTH"):
		if m.at(i+2, 2, "OM", "AM") || m.at(0, 4, "VAN ", "VON ") || m.at(0, 3, "SCH") {
			m.add("T") // "Thomas", "Thames"
		} else {
			m.add2("0", "T")
		}
		return i + 2
	}
	m.add("T")
	if m.at(i+1, 1, "T", "D") {
		return i + 2
	}
	return i + 1
}

func (m *dm) w(i int) int {
	switch {
	case m.at(i, 2, "WR"):
		m.add("R")
		return i + 2
	case i == 0 && (isVowel(m.ch(i+1)) || m.at(i, 2, "WH")):
		if isVowel(m.ch(i + 1)) {
			m.add2("A", "F") // "Wasserman" matches "Vasserman"
		} else {
			m.add("A")
		}
		return i + 1
	case (i == len(m.v)-1 && isVowel(m.ch(i-1))) || m.at(i-1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || m.at(0, 3, "SCH"):
		m.addAlternate("F") // "Arnow" matches "Arnoff"
		return i + 1
	case m.at(i, 4, "WICZ", "WITZ"):
		m.add2("TS", "FX")
		return i + 4
	}
	return i + 1
}

func (m *dm) x(i int) int {
	if i == 0 {
		m.add("S")
		return i + 1
	}
	if !(i == len(m.v)-1 && (m.at(i-3, 3, "IAU", "EAU") || m.at(i-2, 2, "AU", "OU"))) {
		m.add("KS") // not French "breaux"
	}
	if m.at(i+1, 1, "C", "X") {
		return i + 2
	}
	return i + 1
}

func (m *dm) z(i int) int {
	if m.ch(i+1) == 'H' { // pinyin "Zhao"
		m.add("J")
		return i + 2
	}
	if m.at(i+1, 2, "ZO", "ZI", "ZA") || (m.slavoGermanic && i > 0 && m.ch(i-1) != 'T') {
		m.add2("S", "TS")
	} else {
		m.add("S")
	}
	return i + m.skip(i, 'Z')
}

// Codes returns the distinct non-empty Double Metaphone codes of word.
func Codes(word string) []string {
	p, a := DoubleMetaphone(word)
	a = strings.TrimSpace(a)
	switch {
	case p == "" && a == "":
		return nil
	case a == "" || a == p:
		return []string{p}
	case p == "":
		return []string{a}
	}
	return []string{p, a}
}

// SoundAlike reports whether two words share a Double Metaphone code.
func SoundAlike(a, b string) bool {
	ca, cb := Codes(a), Codes(b)
	for _, x := range ca {
		for _, y := range cb {
			if x == y {
				return true
			}
		}
	}
	return false
}

// Levenshtein returns the edit distance between a and b in runes: the
// fewest insertions, deletions and substitutions that turn one into the
// other.
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(rb) == 0 {
		return len(ra)
	}
	var buf [64]int
	row := buf[:0]
	if len(rb)+1 > len(buf) {
		row = make([]int, 0, len(rb)+1)
	}
	for j := 0; j <= len(rb); j++ {
		row = append(row, j)
	}
	for i := 1; i <= len(ra); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(rb); j++ {
			cur := row[j]
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(rb)]
}

// Similar reports whether two spellings are close: within an edit distance
// of one for words of up to five letters, two for longer words.
func Similar(a, b string) bool {
	n := max(len([]rune(a)), len([]rune(b)))
	limit := 1
	if n > 5 {
		limit = 2
	}
	return Levenshtein(a, b) <= limit
}

// Fold lowers s and removes accents from Latin letters (é → e) except Ç
// and Ñ, which DoubleMetaphone encodes itself, and drops everything that is
// not a letter, digit or space.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = unicode.ToLower(r)
		if f, ok := accents[r]; ok {
			r = f
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var accents = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y',
}
