package phi

import (
	"sort"
	"strings"
	"sync"
	"unicode"
)

// DefaultMinScore is the score below which spans are dropped when
// Options.MinScore is zero.
const DefaultMinScore = 0.5

// Options configures a Detector.
type Options struct {
	// KnownNames are names the caller knows to be people: the workspace's
	// patients and staff. Each is found wherever it appears, in any case,
	// as a whole and, for parts that are not everyday words, in parts.
	KnownNames []string
	// MinScore drops spans scoring below it; zero means DefaultMinScore.
	MinScore float64
}

// Detector finds Safe Harbor identifiers in text. It is immutable after New
// and safe for concurrent use.
type Detector struct {
	minScore   float64
	knownParts map[string]bool     // lower-case name parts that identify on their own
	knownFull  map[string][]string // first lower-case word -> whole names (space-joined)
	pool       sync.Pool
}

// New returns a Detector configured by opts.
func New(opts Options) *Detector {
	d := &Detector{
		minScore:   opts.MinScore,
		knownParts: map[string]bool{},
		knownFull:  map[string][]string{},
	}
	if d.minScore == 0 {
		d.minScore = DefaultMinScore
	}
	for _, n := range opts.KnownNames {
		var words []string
		for _, t := range tokenize(n, nil) {
			if t.kind != kWord && t.kind != kAlnum {
				continue
			}
			if lexicon[t.lower]&(lexTitle|lexSuffix) != 0 && len(words) == 0 {
				continue
			}
			words = append(words, t.lower)
		}
		if len(words) == 0 {
			continue
		}
		d.knownFull[words[0]] = append(d.knownFull[words[0]], strings.Join(words, " "))
		for _, w := range words {
			if len([]rune(w)) >= 2 && lookup(w)&(lexCommon|lexParticle|lexSuffix) == 0 {
				d.knownParts[w] = true
			}
		}
	}
	d.pool.New = func() any { return &scan{} }
	return d
}

// scan holds the working state of one Detect call.
type scan struct {
	text  string
	toks  []token
	taken []bool // token already inside a span
	spans []Span
	mode  caseMode
}

// caseMode says whether capitalisation carries information in a text.
type caseMode uint8

const (
	caseMixed caseMode = iota // ordinary text: capitals mark proper nouns
	caseLower                 // no capitals (speech transcripts)
	caseUpper                 // shouting or headings: capitals everywhere
)

// Detect returns the identifiers in text, sorted by Start, non-overlapping,
// with adjacent spans of one type merged.
func (d *Detector) Detect(text string) []Span {
	s := d.pool.Get().(*scan)
	defer d.pool.Put(s)
	s.text = text
	s.toks = tokenize(text, s.toks)
	for i := range s.toks {
		t := &s.toks[i]
		if t.kind == kWord {
			t.lex = lookup(t.lower)
			if t.lex == 0 && strings.HasSuffix(t.lower, "'s") {
				t.lex = lookup(t.lower[:len(t.lower)-2])
			}
		}
	}
	if cap(s.taken) < len(s.toks) {
		s.taken = make([]bool, len(s.toks))
	} else {
		s.taken = s.taken[:len(s.toks)]
		clear(s.taken)
	}
	s.spans = s.spans[:0]
	s.mode = detectCase(s.toks)

	s.findWebAndIP()
	s.findSpokenEmail()
	s.findDates()
	s.findAddresses()
	s.findNumbers()
	s.findSpokenDigits()
	s.findAges()
	d.findNames(s)
	s.findCities()

	out := make([]Span, 0, len(s.spans))
	for _, sp := range s.spans {
		if sp.Score >= d.minScore && sp.End > sp.Start {
			out = append(out, sp)
		}
	}
	return mergeSpans(out, s.joinable)
}

// detectCase decides whether capitals are informative in the text.
func detectCase(toks []token) caseMode {
	words, caps, allcaps := 0, 0, 0
	for i := range toks {
		t := &toks[i]
		if t.kind != kWord {
			continue
		}
		words++
		if t.is(fCap) && !pronounI(t.lower) && (!t.is(fStart) || !t.has(lexCommon)) {
			caps++
		}
		if t.is(fAllCap) || (t.is(fCap) && t.b1-t.b0 == 1) {
			allcaps++
		}
	}
	switch {
	case words == 0:
		return caseMixed
	case caps == 0:
		return caseLower
	case words >= 4 && allcaps*10 >= words*7:
		return caseUpper
	}
	return caseMixed
}

// add records a span over tokens [i, j) and marks them taken.
func (s *scan) add(i, j int, typ Type, score float64) {
	if i >= j {
		return
	}
	s.spans = append(s.spans, Span{Start: s.toks[i].r0, End: s.toks[j-1].r1, Type: typ, Score: score})
	for k := i; k < j; k++ {
		s.taken[k] = true
	}
}

// free reports whether tokens [i, j) are within range and not yet taken.
func (s *scan) free(i, j int) bool {
	if i < 0 || j > len(s.toks) || i >= j {
		return false
	}
	for k := i; k < j; k++ {
		if s.taken[k] {
			return false
		}
	}
	return true
}

// joinable reports whether the text between runes from and to is only spaces
// within one line, so two spans of one type may be joined. Commas are not
// joined over: "Hannah, Derek" are two people.
func (s *scan) joinable(from, to int) bool {
	if to-from > 2 {
		return false
	}
	for _, c := range s.runeSlice(from, to) {
		if c == '\n' || c == '\r' || !unicode.IsSpace(c) {
			return false
		}
	}
	return true
}

// runeSlice returns the text of runes [from, to).
func (s *scan) runeSlice(from, to int) string {
	// Locate a token boundary at or before from to avoid scanning the whole text.
	b, r := 0, 0
	if k := sort.Search(len(s.toks), func(i int) bool { return s.toks[i].r1 > from }); k > 0 {
		b, r = s.toks[k-1].b1, s.toks[k-1].r1
	}
	start := -1
	for i, c := range s.text[b:] {
		_ = c
		if r == from {
			start = b + i
		}
		if r == to {
			if start < 0 {
				return ""
			}
			return s.text[start : b+i]
		}
		r++
	}
	if start < 0 {
		return ""
	}
	return s.text[start:]
}

// word returns the lower-case word of token i, or "" when i is out of range
// or not a word.
func (s *scan) word(i int) string {
	if i < 0 || i >= len(s.toks) || s.toks[i].kind != kWord {
		return ""
	}
	return s.toks[i].lower
}

// wordIn reports whether token i is one of the given lower-case words.
func (s *scan) wordIn(i int, words ...string) bool {
	w := s.word(i)
	if w == "" {
		return false
	}
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

// prevWord returns the index of the nearest word or number token before i
// within n tokens, skipping punctuation, or -1.
func (s *scan) prevWord(i, n int) int {
	for k := i - 1; k >= 0 && k >= i-n; k-- {
		if s.toks[k].kind != kPunct {
			return k
		}
	}
	return -1
}

// cueBefore reports whether any of the cue words occurs among the n word
// tokens before token i, within the same sentence.
func (s *scan) cueBefore(i, n int, cues map[string]bool) bool {
	seen := 0
	for k := i - 1; k >= 0 && seen < n; k-- {
		t := &s.toks[k]
		if t.kind == kPunct {
			if t.ch == '.' || t.ch == '?' || t.ch == '!' {
				return false
			}
			continue
		}
		if cues[t.lower] {
			return true
		}
		seen++
	}
	return false
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// pronounI reports whether w is "I" or one of its contractions, which are
// capitalised even in otherwise lower-case transcripts.
func pronounI(w string) bool {
	return w == "i" || w == "i'm" || w == "i'll" || w == "i've" || w == "i'd"
}
