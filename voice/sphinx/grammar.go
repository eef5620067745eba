package sphinx

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"frontdesk/voice"
	"frontdesk/voice/flite"
)

// turnGrammar is a voice.Grammar compiled for pocketsphinx.
type turnGrammar struct {
	name string
	// jsgf is the grammar text.
	jsgf string
	// phrases maps the words of each phrase, as the decoder returns them,
	// to the phrase as the caller wrote it; nil for a caller's JSGF.
	phrases map[string]string
	// lexicon holds pronunciations for the grammar's words that the
	// dictionary lacks, found when the utterance starts and added to
	// whichever decoder decodes it.
	lexicon map[string][]string
}

// maxPhrases bounds one turn's alternatives; a grammar of a few thousand
// names still compiles in milliseconds.
const maxPhrases = 5000

// compile turns g into JSGF. Phrases are lower-cased, accented Latin
// letters are folded to ASCII, and punctuation other than inner hyphens
// and apostrophes separates words; a phrase that has no words is an error.
func compile(g voice.Grammar) (turnGrammar, error) {
	if g.JSGF != "" {
		return turnGrammar{name: g.Name, jsgf: g.JSGF}, nil
	}
	if len(g.Phrases) == 0 {
		return turnGrammar{}, ErrNoGrammar
	}
	if len(g.Phrases) > maxPhrases {
		return turnGrammar{}, fmt.Errorf("%w: %d phrases, at most %d", ErrGrammar, len(g.Phrases), maxPhrases)
	}
	tg := turnGrammar{name: g.Name, phrases: make(map[string]string, len(g.Phrases))}
	var b strings.Builder
	b.WriteString("#JSGF V1.0;\ngrammar turn;\npublic <turn> = ")
	n := 0
	for i, p := range g.Phrases {
		words := words(p)
		if len(words) == 0 {
			return turnGrammar{}, fmt.Errorf("%w: phrase %d has no words", ErrGrammar, i+1)
		}
		key := strings.Join(words, " ")
		if _, dup := tg.phrases[key]; dup {
			continue
		}
		tg.phrases[key] = strings.ToLower(strings.Join(strings.Fields(p), " "))
		if n > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(key)
		n++
	}
	b.WriteString(";\n")
	tg.jsgf = b.String()
	return tg, nil
}

// words splits a phrase into dictionary-style words: lower-case ASCII
// letters, digits, and hyphens or apostrophes inside a word.
func words(phrase string) []string {
	var out []string
	var w []rune
	flush := func() {
		s := strings.Trim(string(w), "-'")
		if s != "" {
			out = append(out, s)
		}
		w = w[:0]
	}
	for _, r := range strings.ToLower(phrase) {
		r = fold(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '\'':
			w = append(w, r)
		case r == '’':
			w = append(w, '\'')
		case unicode.IsLetter(r):
			// A letter with no ASCII fold: keep the word together so that
			// pronunciation fails clearly rather than splitting it.
			w = append(w, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// fold maps common accented Latin letters to their base letter.
func fold(r rune) rune {
	if r < 0xC0 {
		return r
	}
	for base, set := range foldTable {
		if strings.ContainsRune(set, r) {
			return base
		}
	}
	return r
}

var foldTable = map[rune]string{
	'a': "àáâãäåāăą",
	'c': "çćĉċč",
	'd': "ďđ",
	'e': "èéêëēĕėęě",
	'g': "ĝğġģ",
	'i': "ìíîïĩīĭįı",
	'l': "ĺļľŀł",
	'n': "ñńņňŉ",
	'o': "òóôõöøōŏő",
	'r': "ŕŗř",
	's': "śŝşšș",
	't': "ţťŧț",
	'u': "ùúûüũūŭůűų",
	'y': "ýÿŷ",
	'z': "źżž",
}

// ErrNoGrammar reports a turn with neither Phrases nor JSGF. Free speech
// is not offered: with the en-us n-gram model, pocketsphinx turned
// synthetic test sentences into unrelated words ("i would like to book an
// appointment" came back as "i would look up when for the two") at a
// fifth of real time. Use a hosted recognizer for free speech.
var ErrNoGrammar = errors.New("sphinx: free speech is not supported; give the turn a grammar")

// prepare checks g against d: it compiles the grammar and finds
// pronunciations for the words d's dictionary lacks, recording them in
// g.lexicon and adding them to d.
func (d *decoder) prepare(g *turnGrammar) error {
	f, err := d.build(g.jsgf)
	if err != nil {
		return err
	}
	defer f.free()
	missing := d.missing(f)
	for i, w := range missing {
		phones, ok := d.added[w]
		if !ok {
			phones, err = d.pronounce(w)
			if err != nil {
				return fmt.Errorf("%w: word %d of %d missing from the dictionary: %w", ErrGrammar, i+1, len(missing), err)
			}
		}
		if g.lexicon == nil {
			g.lexicon = make(map[string][]string)
		}
		g.lexicon[w] = phones
		if err := d.add(w, phones); err != nil {
			return err
		}
	}
	return nil
}

// install makes g d's search, adding the grammar's extra words first.
func (d *decoder) install(g *turnGrammar) error {
	for w, phones := range g.lexicon {
		if err := d.add(w, phones); err != nil {
			return err
		}
	}
	f, err := d.build(g.jsgf)
	if err != nil {
		return err
	}
	defer f.free()
	return d.use(f)
}

// pronounce finds a pronunciation for a word missing from the dictionary:
// its lower-case form if that is in the dictionary; otherwise, word by
// word across hyphens, the dictionary's pronunciation of each part or
// flite's letter-to-sound rules. Errors never name the word.
func (d *decoder) pronounce(word string) ([]string, error) {
	lower := strings.ToLower(word)
	if lower != word {
		if p := d.lookup(lower); p != nil {
			return p, nil
		}
	}
	var phones []string
	for part := range strings.SplitSeq(lower, "-") {
		if part == "" {
			continue
		}
		if p := d.lookup(part); p != nil {
			phones = append(phones, p...)
			continue
		}
		p, err := flite.Pronounce(part)
		if err != nil {
			return nil, err
		}
		phones = append(phones, p...)
	}
	if len(phones) == 0 {
		return nil, errors.New("word has no letters")
	}
	return phones, nil
}
