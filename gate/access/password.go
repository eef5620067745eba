package access

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"frontdesk/crypto"
)

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 12

// ErrWeakPassword reports a password the policy refuses. Its messages say
// why without repeating the password.
var ErrWeakPassword = errors.New("password refused")

//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords is the embedded list, lower case.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = true
	}
	return m
}()

// leet undoes the substitutions people make to satisfy composition rules.
var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i", "+", "t")

// sequences are runs that keyboard walks and counting produce.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "qazwsxedcrfvtgbyhnujmikolp",
	"!@#$%^&*()", "1234567890-=",
}

// CheckPassword applies the password policy (NIST SP 800-63B): at least
// MinPasswordLen characters, at most crypto.MaxPasswordLen bytes, and not
// a common password, a variant of one, a keyboard walk, a sequence or a
// repetition, nor built around one of the context words (the account's
// email, the product's name).
func CheckPassword(password string, context ...string) error {
	if !utf8.ValidString(password) {
		return fmt.Errorf("%w: it is not valid UTF-8", ErrWeakPassword)
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		return fmt.Errorf("%w: it has %d characters; use at least %d (a phrase of several words is easiest)", ErrWeakPassword, n, MinPasswordLen)
	}
	if len(password) > crypto.MaxPasswordLen {
		return fmt.Errorf("%w: it is longer than %d bytes", ErrWeakPassword, crypto.MaxPasswordLen)
	}
	lower := strings.ToLower(password)
	if weak(lower, 0) {
		return fmt.Errorf("%w: it is a common password, a variant of one, or a predictable pattern", ErrWeakPassword)
	}
	for _, c := range context {
		for _, w := range contextWords(c) {
			if core(lower) == w || onlyFiller(strings.ReplaceAll(lower, w, "")) {
				return fmt.Errorf("%w: it is built around your account name or the product's name", ErrWeakPassword)
			}
		}
	}
	return nil
}

// weak reports whether s (lower case) is guessable.
func weak(s string, depth int) bool {
	if s == "" || commonPasswords[s] {
		return true
	}
	c := core(s)
	if c == "" || commonPasswords[c] || commonPasswords[leet.Replace(c)] {
		return true
	}
	if distinct(s) < 4 || sequential(s) {
		return true
	}
	if allRunsCommon(s) {
		return true
	}
	if u := repeatedUnit(s); u != "" && depth < 2 {
		return len(u) <= 4 || weak(u, depth+1)
	}
	return false
}

// core strips leading and trailing digits, spaces and symbols, then undoes
// leet substitutions in what remains: "P@ssw0rd2024!" → "password".
func core(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return leet.Replace(s)
}

// onlyFiller reports whether s holds no letters: digits and symbols only.
func onlyFiller(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// allRunsCommon reports whether every run of letters in s is a common
// password or too short to count, and s has at least one letter:
// "summer2024summer", "monkey 123 dragon".
func allRunsCommon(s string) bool {
	runs := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(runs) == 0 {
		return false
	}
	for _, r := range runs {
		if len(r) > 2 && !commonPasswords[r] {
			return false
		}
	}
	return true
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// sequential reports whether at least four fifths of s's adjacent pairs are
// neighbours in a known sequence (either direction) or repeats.
func sequential(s string) bool {
	rs := []rune(s)
	if len(rs) < 2 {
		return true
	}
	steps := 0
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if a == b || neighbours(a, b) {
			steps++
		}
	}
	return steps*5 >= (len(rs)-1)*4
}

func neighbours(a, b rune) bool {
	for _, seq := range sequences {
		i := strings.IndexRune(seq, a)
		for i >= 0 {
			if (i+1 < len(seq) && rune(seq[i+1]) == b) || (i > 0 && rune(seq[i-1]) == b) {
				return true
			}
			j := strings.IndexRune(seq[i+1:], a)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

// repeatedUnit returns u when s is u repeated two or more times, else "".
func repeatedUnit(s string) string {
	for n := 1; n <= len(s)/2; n++ {
		if len(s)%n == 0 && strings.Repeat(s[:n], len(s)/n) == s {
			return s[:n]
		}
	}
	return ""
}

// contextWords splits a context string (an email address, a name) into the
// lower-case words of four or more letters a password should not be built
// around.
func contextWords(c string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(c), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if utf8.RuneCountInString(w) >= 4 {
			out = append(out, w)
		}
	}
	return out
}
