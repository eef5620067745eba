package phi

// findDates finds dates written or spoken with a month name ("March 3rd,
// 1980", "3 March", "march third nineteen eighty", "the fourteenth of
// march", "March 1980") and ordinal days after "on the" ("on the 14th").
// Numeric dates (03/14/1980, 1980-03-14) are found by findNumbers.
func (s *scan) findDates() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		t := &s.toks[i]
		if t.kind != kWord || !t.has(lexMonth) || s.taken[i] {
			continue
		}
		m := months[t.lower]
		ambiguous := t.lower == "may" || t.lower == "march" || len(t.lower) == 3 || t.lower == "sept"
		start, end := i, i+1
		// The abbreviation's own full stop: "Mar. 3".
		if end < n && len(t.lower) <= 4 && s.toks[end].isPunct('.') && !s.toks[end].is(fSpace) {
			end++
		}
		// Month first: "March 3rd", "march the third".
		day, dEnd := 0, end
		k := end
		if s.word(k) == "the" {
			k++
		}
		if d, e := s.parseDay(k); d > 0 {
			day, dEnd = d, e
		}
		// Day first: "3 March", "the fourteenth of march".
		if day == 0 {
			k := i - 1
			if s.word(k) == "of" {
				k--
			} else if k > 0 && (s.toks[k].isPunct('-') || s.toks[k].isPunct('/')) && !s.toks[k].is(fSpace) {
				k-- // "14-Mar-2089"
			}
			if d, b := s.parseDayBackward(k); d > 0 {
				day, start = d, b
				if s.word(start-1) == "the" {
					start--
				}
			}
		} else {
			end = dEnd
		}
		// The year: "1980", ", 1980", "nineteen eighty", "'80".
		yEnd := 0
		k = end
		if k < n && (s.toks[k].isPunct(',') || (s.toks[k].isPunct('-') || s.toks[k].isPunct('/')) && !s.toks[k].is(fSpace)) {
			k++
		}
		if s.word(k) == "of" || s.word(k) == "in" {
			k++
		}
		if y, e := s.parseYear(k); y > 0 {
			yEnd = e
		} else if day > 0 && k < n && s.toks[k].kind == kNum && len(s.toks[k].lower) == 2 && !s.taken[k] &&
			(s.cueBefore(start, 6, birthCues) || k > 0 && s.toks[k-1].kind == kPunct && !s.toks[k-1].is(fSpace)) {
			yEnd = k + 1 // "march 14 80" after a birth cue, "14-Mar-89"
		}
		switch {
		case day > 0 && day <= daysIn(m):
			if yEnd > 0 {
				end = yEnd
			}
			s.add(start, end, Date, 0.9)
			i = end - 1
		case yEnd > 0 && !(ambiguous && !t.is(fCap) && s.mode != caseLower && t.lower != "march"):
			// Month and year: "March 1980", "may 2019".
			s.add(start, yEnd, Date, 0.8)
			i = yEnd - 1
		}
	}
	// "on the 14th", "by the twenty first".
	for i := 0; i+2 < n; i++ {
		if !(s.wordIn(i, "on", "by", "until", "till", "since", "before", "after", "is", "was") || s.toks[i].has(lexWeekday)) || s.word(i+1) != "the" || s.taken[i+2] {
			continue
		}
		d, e := s.parseDay(i + 2)
		if d == 0 || s.toks[i+2].kind == kNum {
			continue
		}
		if e < n && s.toks[e].kind == kWord && !s.wordIn(e, "at", "in", "for", "and", "or", "then", "please", "because", "so") {
			continue // "on the first floor"
		}
		s.add(i+1, e, Date, 0.6)
	}
}

func daysIn(m int) int {
	switch m {
	case 2:
		return 29
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDay reads a day of the month at token k: "3", "3rd", "third",
// "twenty-first", "twenty one". It returns the day and the index after it.
func (s *scan) parseDay(k int) (int, int) {
	n := len(s.toks)
	if k < 0 || k >= n || s.taken[k] {
		return 0, k
	}
	t := &s.toks[k]
	switch t.kind {
	case kNum:
		if len(t.lower) <= 2 {
			if v := atoi(t.lower); v >= 1 && v <= 31 {
				// Not the start of a longer number or a time: "3 555", "3:30".
				if k+1 < n && (s.toks[k+1].isPunct(':') || s.toks[k+1].isPunct('/')) && !s.toks[k+1].is(fSpace) {
					return 0, k
				}
				if k+1 < n && s.toks[k+1].kind == kNum && len(s.toks[k+1].lower) != 4 && len(s.toks[k+1].lower) != 2 {
					return 0, k
				}
				return v, k + 1
			}
		}
	case kAlnum:
		if v := ordinalDigits(t.lower); v >= 1 && v <= 31 {
			return v, k + 1
		}
	case kWord:
		if v, ok := ordinals[t.lower]; ok {
			return v, k + 1
		}
		if tv, ok := tensNumbers[t.lower]; ok && (tv == 20 || tv == 30) {
			j := k + 1
			if j < n && s.toks[j].isPunct('-') {
				j++
			}
			if v, ok := ordinals[s.word(j)]; ok && v < 10 && tv+v <= 31 {
				return tv + v, j + 1
			}
			if v, ok := unitNumbers[s.word(j)]; ok && v >= 1 && v < 10 && tv+v <= 31 {
				return tv + v, j + 1
			}
			return tv, k + 1
		}
		if v, ok := unitNumbers[t.lower]; ok && v >= 1 && t.lower != "o" && t.lower != "oh" {
			return v, k + 1
		}
	}
	return 0, k
}

// parseDayBackward reads a day of the month ending at token k and returns the
// day and the index of its first token.
func (s *scan) parseDayBackward(k int) (int, int) {
	for b := k; b >= 0 && b >= k-2; b-- {
		if d, e := s.parseDay(b); d > 0 && e == k+1 {
			return d, b
		}
	}
	return 0, k
}

// ordinalDigits parses "3rd", "14th", "21st", "22nd".
func ordinalDigits(w string) int {
	if len(w) < 3 {
		return 0
	}
	suf := w[len(w)-2:]
	if suf != "st" && suf != "nd" && suf != "rd" && suf != "th" {
		return 0
	}
	return atoi(w[:len(w)-2])
}

// parseYear reads a year at token k: "1980", "'80", "nineteen eighty",
// "nineteen eighty-five", "nineteen oh five", "two thousand and five",
// "twenty twenty-four". It returns the year and the index after it.
func (s *scan) parseYear(k int) (int, int) {
	n := len(s.toks)
	if k < 0 || k >= n || s.taken[k] {
		return 0, k
	}
	t := &s.toks[k]
	if t.kind == kNum && len(t.lower) == 4 {
		if v := atoi(t.lower); v >= 1800 && v <= 2199 {
			return v, k + 1
		}
		return 0, k
	}
	if (t.isPunct('\'') || t.isPunct('’')) && k+1 < n && s.toks[k+1].kind == kNum && len(s.toks[k+1].lower) == 2 {
		return 1900 + atoi(s.toks[k+1].lower), k + 2
	}
	if t.kind != kWord {
		return 0, k
	}
	// "two thousand [and] five"
	if t.lower == "two" && s.word(k+1) == "thousand" {
		j := k + 2
		if s.word(j) == "and" {
			j++
		}
		if v, e := s.parseBelowHundred(j); v > 0 {
			return 2000 + v, e
		}
		return 2000, k + 2
	}
	century := 0
	switch t.lower {
	case "eighteen":
		century = 1800
	case "nineteen":
		century = 1900
	case "twenty":
		century = 2000
	default:
		return 0, k
	}
	j := k + 1
	if s.wordIn(j, "oh", "o") {
		if v, ok := unitNumbers[s.word(j+1)]; ok && v >= 1 && v <= 9 {
			return century + v, j + 2
		}
		return 0, k
	}
	if s.word(j) == "hundred" {
		return century, j + 1
	}
	if v, e := s.parseBelowHundred(j); v >= 10 {
		return century + v, e
	}
	return 0, k
}

// parseBelowHundred reads 1–99 in words: "five", "twelve", "eighty",
// "eighty five", "eighty-five".
func (s *scan) parseBelowHundred(k int) (int, int) {
	w := s.word(k)
	if v, ok := unitNumbers[w]; ok && w != "o" && w != "oh" && w != "zero" {
		return v, k + 1
	}
	if tv, ok := tensNumbers[w]; ok {
		j := k + 1
		if j < len(s.toks) && s.toks[j].isPunct('-') && !s.toks[j].is(fSpace) {
			j++
		}
		if v, ok := unitNumbers[s.word(j)]; ok && v >= 1 && v <= 9 && s.word(j) != "o" {
			return tv + v, j + 1
		}
		return tv, k + 1
	}
	return 0, k
}

// parseCardinal reads a whole number written in digits or words up to 999:
// "92", "ninety two", "a hundred and one".
func (s *scan) parseCardinal(k int) (int, int) {
	n := len(s.toks)
	if k < 0 || k >= n {
		return 0, k
	}
	t := &s.toks[k]
	if t.kind == kNum && len(t.lower) <= 3 {
		return atoi(t.lower), k + 1
	}
	if t.kind != kWord {
		return 0, k
	}
	v, j := 0, k
	if t.lower == "a" || t.lower == "one" {
		if s.word(k+1) == "hundred" {
			v, j = 100, k+2
		}
	} else if h, ok := unitNumbers[t.lower]; ok && h >= 1 && h <= 9 && s.word(k+1) == "hundred" {
		v, j = h*100, k+2
	}
	if v > 0 {
		jj := j
		if s.word(jj) == "and" {
			jj++
		}
		if r, e := s.parseBelowHundred(jj); r > 0 {
			return v + r, e
		}
		return v, j
	}
	return s.parseBelowHundred(k)
}

// findAges finds ages over 89 ("92 years old", "age 95", "she's ninety
// three"); younger ages are not identifiers and are left alone.
func (s *scan) findAges() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		if s.taken[i] || !(s.toks[i].kind == kNum || s.toks[i].has(lexNumber)) {
			continue
		}
		v, e := s.parseCardinal(i)
		if v <= 89 || v > 130 || e == i {
			continue
		}
		if i > 0 && s.toks[i-1].kind == kNum {
			continue
		}
		if s.ageAfter(e) || s.ageBefore(i, e) {
			s.add(i, e, Age, 0.85)
			i = e - 1
		}
	}
}

// ageAfter reports whether an age phrase follows at token e: "years old",
// "-year-old", "yo", "y/o", "years of age".
func (s *scan) ageAfter(e int) bool {
	j := e
	if j < len(s.toks) && s.toks[j].isPunct('-') {
		j++
	}
	switch s.word(j) {
	case "yo", "yrs", "yr", "years", "year":
		if s.word(j) == "yo" {
			return true
		}
		k := j + 1
		if k < len(s.toks) && s.toks[k].isPunct('-') {
			k++
		}
		return s.word(k) == "old" || (s.word(k) == "of" && s.word(k+1) == "age")
	case "y":
		return j+1 < len(s.toks) && (s.toks[j+1].isPunct('/') || s.toks[j+1].isPunct('.'))
	}
	return false
}

// ageBefore reports whether an age cue precedes token i: "age", "aged",
// "age of", "turned", "I'm", "she is".
func (s *scan) ageBefore(i, e int) bool {
	p := s.prevWord(i, 2)
	switch s.word(p) {
	case "age", "aged", "turned", "turn", "turning", "turns":
		return true
	case "of":
		return s.word(s.prevWord(p, 1)) == "age"
	case "at":
		// "passed away at 96", "died at 96".
		return s.wordIn(s.prevWord(p, 1), "away", "died", "death", "dead", "retired")
	case "i'm", "he's", "she's", "am", "is":
		// "I'm 92." but not "is 92 Main Street": the number ends the clause.
		return e >= len(s.toks) || s.toks[e].kind == kPunct || s.wordIn(e, "and", "but", "now", "today", "this", "next", "years")
	}
	return false
}
