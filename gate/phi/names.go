package phi

import "strings"

// Words around a name that make it a person or a place.
var (
	// greetingCue words are followed directly by a name: "hi Maria".
	greetingCue = set(`hi hello hey dear thanks bye goodbye morning afternoon evening`)
	// placePrep words put a following proper noun in a place, not a person.
	placePrep = set(`in from near at visit visiting visited via outside around`)
	// motionWords before "to" make the target a place: "flew to X".
	motionWords = set(`go goes going went gone come came coming travel traveling travelling traveled travelled
		fly flew flying drive drove driving move moved moving relocated relocate trip back way headed heading
		road ride transferred`)
	// residenceWords before "in"/"from" make the following word a place even
	// in lower-case transcripts: "lives in harburg".
	residenceWords = set(`live lives living lived moved move moving originally here born raised grew up stay
		staying stayed visiting trip flew going went back based located`)
	// weakNameCue words precede names often, but other words as often.
	weakNameCue = set(`with by for under to see meet ask asking`)
)

// nameEvidence scores how much token k alone looks like part of a person's
// name, from 0 (not at all) to 1.
func (d *Detector) nameEvidence(s *scan, k int, place []bool) float64 {
	t := &s.toks[k]
	if t.kind != kWord || s.taken[k] || place[k] {
		return 0
	}
	w := t.lower
	if d.knownParts[w] {
		return 0.95
	}
	f := t.lex
	if f&(lexTitle|lexMonth|lexWeekday|lexOrg|lexRelation) != 0 && f&lexFirst == 0 {
		return 0
	}
	mixed := s.mode == caseMixed
	capital := t.is(fCap) && mixed
	start := t.is(fStart)
	if f&(lexCountry|lexState|lexCity) != 0 {
		if f&(lexFirst|lexLast) != 0 && capital && !start {
			return 0.35
		}
		if f&lexFirst != 0 && !mixed {
			return 0.1
		}
		return 0
	}
	if len([]rune(w)) < 2 {
		return 0
	}
	common := f&lexCommon != 0
	switch {
	case f&lexFirst != 0 && !common:
		if mixed && !t.is(fCap) {
			return 0.4
		}
		return 0.8
	case f&lexLast != 0 && !common:
		if mixed && !t.is(fCap) {
			return 0.35
		}
		if !mixed {
			return 0.5
		}
		return 0.7
	case f&(lexFirst|lexLast) != 0:
		// A name that is also an everyday word: Will, Rose, Brown.
		if capital && !start {
			return 0.45
		}
		return 0.1
	case common:
		return 0
	}
	// A word the lexicon does not know.
	if isCompound(w) || hasOrgEnding(w) {
		return 0
	}
	ev := 0.15
	if capital {
		switch {
		case t.is(fAllCap) && t.r1-t.r0 <= 4, isAcronymPlural(s.text[t.b0:t.b1]):
			return 0 // an acronym: CVS, ATM, MRI, ADLs
		case t.is(fAllCap):
			ev = 0.35
		case start:
			ev = 0.35
		default:
			ev = 0.55
		}
	} else if s.mode == caseUpper {
		ev = 0.3
	}
	if t.is(fNonASCII) {
		ev += 0.1
	}
	if hasSurnameEnding(w) {
		ev += 0.1
	}
	return ev
}

// findNames finds people's names: the detector's known names, then runs of
// name-like tokens scored with the cues around them. Runs that sit after a
// place preposition and hold no known given name become cities.
func (d *Detector) findNames(s *scan) {
	n := len(s.toks)
	d.findKnownNames(s)
	s.findSpelledNames()
	place := s.markPlaces()
	ev := make([]float64, n)
	for k := range s.toks {
		ev[k] = d.nameEvidence(s, k, place)
	}
	d.boostPatterns(s, ev)
	var runs []nameRun
	for i := 0; i < n; i++ {
		if s.taken[i] || s.toks[i].kind != kWord {
			continue
		}
		cue := s.nameCue(i)
		e := ev[i]
		if cue >= 0.5 && e < 0.3 && s.cueAccepts(i, place) {
			e = 0.3
		}
		if e < 0.3 && !(e >= 0.1 && (cue >= 0.3 || s.isPlaceContext(i) && s.residenceBefore(i))) {
			continue
		}
		// Grow the run to the right.
		j := i + 1
		names, sum, strongFirst := 1, 1-e, s.toks[i].has(lexFirst) && e >= 0.6
		last := i
		initial := false
		for j < n {
			t := &s.toks[j]
			if t.is(fNewline) || s.taken[j] {
				break
			}
			if t.kind == kPunct {
				// "J." after an initial, a hyphen inside "Mary-Jane".
				if t.ch == '-' && !t.is(fSpace) && j+1 < n && !s.toks[j+1].is(fSpace) && ev[j+1] >= 0.3 {
					j++
					continue
				}
				if t.ch == '.' && j-1 == last && s.toks[last].r1-s.toks[last].r0 == 1 {
					j++
					continue
				}
				break
			}
			if t.kind != kWord {
				break
			}
			switch {
			case ev[j] >= 0.3:
				sum *= 1 - ev[j]
			case s.isInitial(j) && j+1 < n && (s.surnameAfterInitial(j+1, ev) || s.toks[j+1].isPunct('.') && s.surnameAfterInitial(j+2, ev)):
				// A middle initial.
				initial = true
			case initial && s.surnameAfterInitial(j, ev):
				sum *= 0.5
			case t.has(lexParticle) && j+1 < n && ev[j+1] >= 0.3 && !t.is(fStart):
				// "van", "de la".
			case t.has(lexSuffix) && names >= 2 && (t.is(fCap) || t.lower == "ii" || t.lower == "iii"):
			case strongFirst && names == 1 && s.mode == caseLower && ev[j] >= 0.1 && t.r1-t.r0 >= 2:
				// "patricia desrosiers": a surname the lexicon does not know.
				sum *= 1 - 0.5
			default:
				goto done
			}
			names++
			last = j
			j++
		}
	done:
		end := last + 1
		score := 1 - sum
		if names >= 2 {
			score += 0.1
		}
		score += cue + s.vocative(i, end)
		// What follows: an organisation or a street means this is not a person.
		possessive := strings.HasSuffix(s.toks[end-1].lower, "'s") || end < n && s.toks[end].isPunct('\'')
		titled := false
		if p := s.prevWord(i, 2); p >= 0 && s.toks[p].has(lexTitle) {
			titled = true
		}
		the := s.word(s.prevWord(i, 1)) == "the"
		if end < n && s.toks[end].kind == kWord && s.toks[end].has(lexOrg) && (s.toks[end].is(fCap) || s.mode != caseMixed || the) &&
			cue < 0.5 && !possessive && !titled {
			i = end
			continue
		}
		// "St. Mary's", "Saint Luke's": a hospital, church or place.
		if p := s.prevWord(i, 2); p >= 0 && s.wordIn(p, "st", "saint", "ste") && s.toks[p].is(fCap) && cue < 0.5 {
			i = end - 1
			continue
		}
		// An employer: "I work for X", "worked at X".
		if cue < 0.3 && s.employerContext(i) && !s.runHasFirstName(i, end, d) {
			i = end - 1
			continue
		}
		// A place after "in", "from", "flew to": "New Westminster", "Shelly Park".
		if cue < 0.3 && i > 0 && s.toks[i-1].is(fCap) && placePrefix[s.toks[i-1].lower] && s.isPlaceContext(i-1) && !s.taken[i-1] {
			s.add(i-1, end, City, 0.65)
			i = end - 1
			continue
		}
		if cue < 0.3 && s.isPlaceContext(i) && end < n && s.toks[end].is(fCap) && placeSuffix[s.toks[end].lower] {
			s.add(i, end+1, City, 0.65)
			i = end
			continue
		}
		// A place after "in", "from", "flew to".
		if cue < 0.3 && s.isPlaceContext(i) && !s.runHasFirstName(i, end, d) && !initial && !possessive {
			if s.toks[i].is(fCap) || s.mode != caseMixed {
				s.add(i, end, City, 0.65)
			} else if s.residenceBefore(i) {
				s.add(i, end, City, 0.55)
			}
			i = end - 1
			continue
		}
		runs = append(runs, nameRun{i, end, score})
		i = end - 1
	}
	// Names listed together: "Torpy and Salinas", "Rudi, Jackson and Campos".
	for k := range runs {
		if runs[k].score >= 0.5 || runs[k].score < 0.3 {
			continue
		}
		for _, m := range []int{k - 1, k + 1} {
			if m >= 0 && m < len(runs) && runs[m].score >= 0.5 && s.coordinated(runs[min(k, m)].end, runs[max(k, m)].start) {
				runs[k].score = 0.55
			}
		}
	}
	for _, r := range runs {
		if r.score < 0.5 {
			continue
		}
		sc := min(r.score, 0.99)
		s.add(r.start, r.end, Name, sc)
		// A possessive "'s" left on the last word is not part of the name.
		last := &s.toks[r.end-1]
		if len(last.lower) > 2 && last.lower[len(last.lower)-2:] == "'s" {
			s.spans[len(s.spans)-1].End -= 2
		}
	}
}

// nameRun is a candidate name over tokens [start, end).
type nameRun struct {
	start, end int
	score      float64
}

// coordinated reports whether tokens [a, b) between two runs are only a
// comma, "and", "or" or "&".
func (s *scan) coordinated(a, b int) bool {
	if b-a < 1 || b-a > 2 {
		return false
	}
	for k := a; k < b; k++ {
		t := &s.toks[k]
		if !(t.isPunct(',') || t.isPunct('&') || t.kind == kWord && (t.lower == "and" || t.lower == "or")) {
			return false
		}
	}
	return true
}

// isInitial reports whether token k is a single letter that can be a middle
// initial: a capital in mixed text, any letter but "a" and "i" otherwise.
func (s *scan) isInitial(k int) bool {
	t := &s.toks[k]
	if t.kind != kWord || t.r1-t.r0 != 1 {
		return false
	}
	if s.mode == caseMixed {
		return t.is(fCap)
	}
	return t.lower != "a" && t.lower != "i"
}

// surnameAfterInitial reports whether token k can end a name after a middle
// initial: any capitalised word ("Brad L Key") or, in lower-case text, a word
// that is not an everyday one.
func (s *scan) surnameAfterInitial(k int, ev []float64) bool {
	if k >= len(s.toks) || s.taken[k] || s.toks[k].kind != kWord || s.toks[k].r1-s.toks[k].r0 < 2 {
		return false
	}
	t := &s.toks[k]
	if ev[k] >= 0.3 {
		return true
	}
	if s.mode == caseMixed {
		return t.is(fCap) && !t.has(lexTitle|lexMonth|lexWeekday|lexOrg)
	}
	return !t.has(lexCommon)
}

// boostPatterns raises the evidence of tokens in shapes typical of names:
// "emidio p lombardo" (word, initial, word) and a sentence that opens with
// an unknown capitalised word followed by a verb or a comma ("Shovda is",
// "Enrico shouted", "Danial, can I").
func (d *Detector) boostPatterns(s *scan, ev []float64) {
	n := len(s.toks)
	for k := 0; k+2 < n; k++ {
		if ev[k] < 0.1 || s.toks[k].kind != kWord || !s.isInitial(k+1) || s.toks[k+1].is(fNewline) {
			continue
		}
		m := k + 2
		if s.toks[m].isPunct('.') {
			m++
		}
		if m < n && !s.toks[m].is(fNewline) && s.surnameAfterInitial(m, ev) {
			ev[k] = max(ev[k], 0.5)
			ev[m] = max(ev[m], 0.5)
		}
	}
	// Lists of names: an unknown word listed with a known given name.
	for pass := 0; pass < 2; pass++ {
		for k := 0; k < n; k++ {
			if ev[k] < 0.1 || ev[k] >= 0.5 || s.toks[k].kind != kWord || s.toks[k].has(lexCommon) ||
				s.mode == caseMixed && !s.toks[k].is(fCap) || s.toks[k].r1-s.toks[k].r0 < 2 {
				continue
			}
			for _, m := range []int{k - 2, k + 2} {
				if m >= 0 && m < n && ev[m] >= 0.5 && s.coordinated(min(k, m)+1, max(k, m)) {
					ev[k] = 0.5
				}
			}
		}
	}
	for k := 0; k+1 < n; k++ {
		t := &s.toks[k]
		if !t.is(fStart) || ev[k] < 0.3 || ev[k] >= 0.5 || s.mode != caseMixed || !t.is(fCap) || t.is(fAllCap) {
			continue
		}
		nx := &s.toks[k+1]
		if nx.isPunct(',') || nx.kind == kWord && !nx.is(fCap) && (openingVerbs[nx.lower] || strings.HasSuffix(nx.lower, "ed")) {
			ev[k] += 0.2
		}
	}
}

// openingVerbs follow a person's name that opens a sentence.
var openingVerbs = set(`is was has had will would can could said says shouted asked told lives lived spent began
begins wrote writes works worked went came called joined left died gave got made took thinks thought wants loves
likes and who`)

// vocative scores a run addressed directly: ", Mark!" or "Leif, can I".
func (s *scan) vocative(i, end int) float64 {
	n := len(s.toks)
	before := i > 0 && s.toks[i-1].isPunct(',')
	after := end >= n || s.toks[end].isPunct('!') || s.toks[end].isPunct('?') || s.toks[end].isPunct('.')
	if before && after {
		return 0.15
	}
	if s.toks[i].is(fStart) && end < n && s.toks[end].isPunct(',') && end+1 < n && s.toks[end+1].kind == kWord && s.toks[end+1].has(lexCommon) {
		return 0.1
	}
	return 0
}

// findSpelledNames finds names spelled letter by letter: "K-O-W-A-L",
// "a i s h a".
func (s *scan) findSpelledNames() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		if s.taken[i] || !s.letter(i) {
			continue
		}
		j, letters := i+1, 1
		for j < n {
			if s.toks[j].kind == kPunct && (s.toks[j].ch == '-' || s.toks[j].ch == '.') && j+1 < n && s.letter(j+1) {
				j++
				continue
			}
			if !s.letter(j) || s.toks[j].is(fNewline) {
				break
			}
			letters++
			j++
		}
		if letters >= 3 {
			s.add(i, j, Name, 0.7)
		}
		i = j - 1
	}
}

// letter reports whether token k is a single letter standing alone.
func (s *scan) letter(k int) bool {
	return k < len(s.toks) && !s.taken[k] && s.toks[k].kind == kWord && s.toks[k].r1-s.toks[k].r0 == 1
}

// findKnownNames marks the detector's known names, whole, wherever they occur.
func (d *Detector) findKnownNames(s *scan) {
	if len(d.knownFull) == 0 {
		return
	}
	n := len(s.toks)
	for i := 0; i < n; i++ {
		full, ok := d.knownFull[s.toks[i].lower]
		if !ok || s.taken[i] {
			continue
		}
		best := 0
		for _, name := range full {
			j, rest := i, name
			for rest != "" && j < n {
				t := &s.toks[j]
				if t.kind == kPunct && (t.ch == '.' || t.ch == '-' || t.ch == ',') {
					j++
					continue
				}
				w := t.lower
				if len(rest) < len(w) || rest[:len(w)] != w || (len(rest) > len(w) && rest[len(w)] != ' ') {
					break
				}
				rest = rest[len(w):]
				if rest != "" {
					rest = rest[1:]
				}
				j++
			}
			if rest == "" && j > best {
				best = j
			}
		}
		if best > i {
			s.add(i, best, Name, 0.99)
			i = best - 1
		}
	}
}

// markPlaces marks the tokens of multi-word places ("New York", "United
// Kingdom") so that they are not taken for names.
func (s *scan) markPlaces() []bool {
	n := len(s.toks)
	place := make([]bool, n)
	for i := 0; i+1 < n; i++ {
		if !s.toks[i].has(lexMultiStart) {
			continue
		}
		phrase := s.toks[i].lower
		for j := i + 1; j < n && j < i+4; j++ {
			if s.toks[j].kind != kWord {
				break
			}
			phrase += " " + s.toks[j].lower
			if f, ok := multiPlace[phrase]; ok {
				for k := i; k <= j; k++ {
					place[k] = true
				}
				if f&lexCity != 0 && (s.toks[i].is(fCap) || s.mode != caseMixed) && s.free(i, j+1) {
					s.add(i, j+1, City, 0.6)
				}
				break
			}
		}
	}
	return place
}

// nameCue scores the words before token i that announce a name.
func (s *scan) nameCue(i int) float64 {
	p := s.prevWord(i, 2)
	if p < 0 {
		return s.speakerLabel(i)
	}
	w := s.word(p)
	// A title: "Dr. Kyle", "Mrs Labrie", "ms. Marcela".
	if s.toks[p].has(lexTitle) && (p+1 == i || s.toks[p+1].isPunct('.') && p+2 == i) {
		if w == "doctor" || w == "nurse" || w == "father" || w == "sister" {
			return 0.3
		}
		return 0.5
	}
	// Punctuation between the cue and the name ends most cues.
	direct := p+1 == i || (s.toks[p+1].isPunct(':') && p+2 == i)
	pp := s.word(s.prevWord(p, 1))
	switch {
	case w == "is" && (pp == "name" || pp == "names"), w == "name's", w == "named", w == "name" && direct,
		w == "me" && (pp == "call" || pp == "calls" || pp == "called"):
		return 0.5
	case w == "called" && !s.wordIn(i, "the", "a", "an", "you", "your", "my", "back", "in", "about", "to", "for", "yesterday"):
		return 0.4
	case w == "is" && pp == "this", w == "i'm", w == "am" && pp == "i", w == "it's" && direct:
		return 0.35
	case s.toks[p].has(lexRelation) && direct && p > 0:
		return 0.3
	case greetingCue[w] && direct:
		return 0.3
	case w == "patient" || w == "pt":
		return 0.3
	case weakNameCue[w] && direct:
		return 0.05
	}
	if s.speakerLabel(i) > 0 {
		return 0.3
	}
	// The answer to a question about a name: "What's your last name? Baba".
	if s.toks[i-1].isPunct('?') || s.toks[i-1].isPunct(':') {
		for k, seen := i-2, 0; k >= 0 && seen < 3; k-- {
			if s.toks[k].kind != kWord {
				break
			}
			if s.toks[k].lower == "name" || s.toks[k].lower == "surname" {
				return 0.5
			}
			seen++
		}
	}
	return 0
}

// speakerLabel scores a token that starts a line and is followed by a colon,
// as in a transcript: "Maria: I need ...".
func (s *scan) speakerLabel(i int) float64 {
	t := &s.toks[i]
	if !(t.is(fNewline) || i == 0 || s.toks[i-1].isPunct('>')) || i+1 >= len(s.toks) || !s.toks[i+1].isPunct(':') {
		return 0
	}
	if t.has(lexCommon) && !t.has(lexFirst) {
		return 0
	}
	return 0.4
}

// cueAccepts reports whether token i may be a name after a strong cue even
// though it is an everyday word: "my name is Will", "Dr. Brown".
func (s *scan) cueAccepts(i int, place []bool) bool {
	t := &s.toks[i]
	if t.kind != kWord || place[i] || t.has(lexTitle|lexMonth|lexWeekday) || addressStop[t.lower] {
		return false
	}
	if s.mode == caseMixed && !t.is(fCap) {
		return t.has(lexFirst|lexLast) || !t.has(lexCommon)
	}
	if s.mode != caseMixed {
		return t.has(lexFirst|lexLast) || !t.has(lexCommon)
	}
	return true
}

// isPlaceContext reports whether token i follows a place preposition: "in",
// "from", "near", or "to" after a motion word.
func (s *scan) isPlaceContext(i int) bool {
	p := s.prevWord(i, 1)
	if p < 0 || p != i-1 {
		return false
	}
	w := s.word(p)
	if placePrep[w] {
		return true
	}
	if w == "to" {
		return motionWords[s.word(s.prevWord(p, 1))]
	}
	return false
}

// residenceBefore reports whether a residence or travel word precedes the
// place preposition before token i: "lives in", "moved here from".
func (s *scan) residenceBefore(i int) bool {
	p := s.prevWord(i, 1)
	q := s.prevWord(p, 1)
	return q >= 0 && (residenceWords[s.word(q)] || motionWords[s.word(q)])
}

// runHasFirstName reports whether tokens [i, end) hold a known given name.
func (s *scan) runHasFirstName(i, end int, d *Detector) bool {
	for k := i; k < end; k++ {
		t := &s.toks[k]
		if t.kind == kWord && (t.has(lexFirst) && !t.has(lexCommon|lexCity|lexCountry|lexState) || d.knownParts[t.lower]) {
			return true
		}
	}
	return false
}

// findCities finds large cities named on their own: "I'm in Boston".
func (s *scan) findCities() {
	for i := range s.toks {
		t := &s.toks[i]
		if s.taken[i] || t.kind != kWord || !t.has(lexCity) {
			continue
		}
		if s.mode == caseMixed && !t.is(fCap) {
			continue
		}
		if t.has(lexFirst|lexLast|lexCommon) && !s.isPlaceContext(i) {
			continue
		}
		if s.orgAhead(i + 1) {
			continue // "Boston Medical Center", "Riverside Family Practice"
		}
		s.add(i, i+1, City, 0.6)
	}
}

// placePrefix and placeSuffix are capitalised words that start or end a
// place's name: "New Westminster", "Shelly Park".
var (
	placePrefix = set(`new old north south east west upper lower port saint st san santa los las el la le fort
		mount mt lake glen great little`)
	placeSuffix = set(`park city town village springs falls beach heights hills valley harbor harbour bay creek
		lake island islands point ridge grove station junction crossing landing`)
	employerWords = set(`work works worked working employed job employer intern interned`)
)

// employerContext reports whether token i follows "work for", "worked at",
// "employed by": what follows is an employer, not a person.
func (s *scan) employerContext(i int) bool {
	p := s.prevWord(i, 1)
	if p != i-1 || !s.wordIn(p, "for", "at", "by", "with") {
		return false
	}
	return employerWords[s.word(s.prevWord(p, 1))]
}

// isAcronymPlural reports whether w is capitals followed by a plural "s":
// "ADLs", "MRIs".
func isAcronymPlural(w string) bool {
	n := len(w)
	if n < 3 || w[n-1] != 's' {
		return false
	}
	for i := 0; i < n-1; i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

// orgAhead reports whether the capitalised words from token k on end in an
// organisation word within three words: "Medical Center", "Family Practice".
func (s *scan) orgAhead(k int) bool {
	for m := k; m < len(s.toks) && m < k+3; m++ {
		t := &s.toks[m]
		if t.kind != kWord || !t.is(fCap) || t.is(fNewline) {
			return false
		}
		if t.has(lexOrg) {
			return true
		}
	}
	return false
}
