package phi

import "strings"

// addressStop lists words that end an address: an address never runs on into
// the rest of the sentence through one of them.
var addressStop = set(`the a an for after before if when because please thanks thank is was are were be to from at by on
with i i'm i'll you we it my your our but so then where which who that this there here since until as or
in case near behind across opposite next`)

// streetLead lists street words that come before the street's name
// ("Rua do Arenque 1634", "Via Franscini 71", "Avenue Teboulbi").
var streetLead = set(`rua rue via calle avenida avenue vicolo strada ul ulica piazza camino paseo corso travessa
largo plaza boulevard viale carrera λεωφόρος οδός πλατεία οδος`)

// unitLead lists unit words that can start an address piece ("Apt. 4",
// "PO Box 12", "PSC 1234, Box 5678").
var unitLead = set(`apt apartment suite ste unit box po pobox psc cmr`)

// shipPrefix starts the name of a ship with a military mail address.
var shipPrefix = set(`uss usns usnv uscgc hms`)

// addressCues are the last words of phrases that introduce an address.
var addressCues = set(`address live lives living lived reside resides residing moved move moving send sent mail
ship deliver delivered located return meet stop drop pick bring`)

// nonAddressWords follow a number but never make it a house number.
var nonAddressWords = set(`o'clock am pm a.m p.m minutes minute mins hours hour hrs days day weeks week months
month years year tablets tablet pills pill mg mcg ml units times percent degrees pounds lbs kg people patients
of and or to more less`)

// findAddresses finds street addresses with their unit, city, state and ZIP
// lines, post-office and military boxes, and cue-introduced addresses.
func (s *scan) findAddresses() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		if s.taken[i] {
			continue
		}
		end, score := s.streetAt(i)
		if end == 0 {
			end, score = s.unitAt(i)
		}
		if end == 0 {
			end, score = s.cuedAddressAt(i)
		}
		if end == 0 {
			continue
		}
		end = s.addressTail(end)
		s.add(i, end, Address, score)
		i = end - 1
	}
}

// houseNumber reports whether token k can be a house number: "1200", "12b".
func (s *scan) houseNumber(k int) bool {
	if k < 0 || k >= len(s.toks) || s.taken[k] {
		return false
	}
	t := &s.toks[k]
	if t.kind == kNum {
		return len(t.lower) <= 6
	}
	if t.kind == kAlnum && len(t.lower) <= 5 {
		d := countDigits(t.lower)
		return d >= 1 && d == len(t.lower)-1 && t.lower[0] >= '0' && t.lower[0] <= '9'
	}
	return false
}

// streetName reports whether token k can be part of a street's name.
func (s *scan) streetName(k int) bool {
	if k < 0 || k >= len(s.toks) || s.taken[k] {
		return false
	}
	t := &s.toks[k]
	switch t.kind {
	case kAlnum:
		return ordinalDigits(t.lower) > 0
	case kWord:
		if addressStop[t.lower] || nonAddressWords[t.lower] {
			return t.has(lexParticle)
		}
		return true
	}
	return false
}

// streetWord reports whether token k names a kind of street.
func (s *scan) streetWord(k int) bool {
	if k < 0 || k >= len(s.toks) || s.toks[k].kind != kWord {
		return false
	}
	t := &s.toks[k]
	if t.r1-t.r0 == 1 {
		// "u." (utca) only with its full stop: a lone letter is an initial.
		return t.has(lexStreet) && k+1 < len(s.toks) && s.toks[k+1].isPunct('.')
	}
	return t.has(lexStreet) || hasStreetEnding(t.lower) && !t.has(lexCommon)
}

// streetAt matches a street starting at token i: "1200 Main Street",
// "6750 Koskikatu 25", "Rua do Arenque 1634", "Villacher Strasse 89".
// It returns the end of the match and a score, or 0.
func (s *scan) streetAt(i int) (int, float64) {
	n := len(s.toks)
	if s.houseNumber(i) {
		if e, _ := s.unitAt(i + 1); e > 0 && !s.toks[i+1].is(fNewline) && e < n+1 {
			if s.toks[i+1].lower == "p" || s.toks[i+1].lower == "po" || s.toks[i+1].lower == "psc" || s.toks[i+1].lower == "unit" {
				return e, 0.8
			}
		}
		j := i + 1
		if s.houseNumber(j) && s.toks[j].is(fSpace) && !s.toks[j].is(fNewline) {
			j++ // "370 3911 Fourth Avenue": a building and a street number
		}
		if j < n && s.toks[j].is(fNewline) {
			return 0, 0
		}
		k, words, street := j, 0, -1
		for k < n && words < 6 && s.streetName(k) && !s.toks[k].is(fNewline) {
			if s.streetWord(k) && !(words == 0 && streetLead[s.toks[k].lower] && !s.streetName(k+1) && !(k+1 < n && s.toks[k+1].isPunct('.') && s.streetName(k+2))) {
				street = k
			}
			k++
			words++
			if k < n && s.toks[k].isPunct('.') && s.toks[k-1].r1-s.toks[k-1].r0 <= 4 {
				k++ // "St.", "Ave.", "u."
			}
			if k < n && s.toks[k].isPunct('-') && !s.toks[k].is(fSpace) && s.streetName(k+1) {
				k++
			}
		}
		if words == 0 {
			return 0, 0
		}
		if street >= 0 {
			end := street + 1
			if end < n && s.toks[end].isPunct('.') {
				end++
			}
			// Directional or name words after the street word, then a number.
			e := end
			for e < n && e < end+2 && s.streetName(e) && s.toks[e].kind == kWord && (s.toks[e].is(fCap) || s.mode != caseMixed) && !s.toks[e].is(fNewline) {
				e++
			}
			if e < n && s.houseNumber(e) && !s.toks[e].is(fNewline) {
				return e + 1, 0.85
			}
			if s.streetWord(street) && street > j {
				return max(end, k), 0.85
			}
			if e > end && e < n && !s.toks[e].is(fNewline) {
				return e, 0.8
			}
			return max(end, k), 0.8
		}
		// "20789 Allika 46": number, capitalised name, number.
		if k < n && words <= 3 && s.houseNumber(k) && !s.toks[k].is(fNewline) {
			capital := true
			for m := j; m < k; m++ {
				t := &s.toks[m]
				if t.isPunct('-') {
					continue
				}
				if t.kind != kWord || t.has(lexCommon|lexMonth) || s.mode == caseMixed && !(t.is(fCap) || t.is(fNonASCII)) {
					capital = false
				}
			}
			if capital && !s.toks[j].has(lexMonth) {
				return k + 1, 0.7
			}
		}
		return 0, 0
	}
	t := &s.toks[i]
	if t.kind != kWord || !(t.is(fCap) || s.mode != caseMixed) {
		return 0, 0
	}
	// "Rua do Arenque 1634", "Avenue Teboulbi 12".
	if streetLead[t.lower] {
		k := i + 1
		for k < n && k < i+8 && s.streetName(k) && !s.toks[k].is(fNewline) {
			k++
			if k < n && s.toks[k].isPunct('.') {
				k++
			}
		}
		if k > i+1 && s.houseNumber(k) && !s.toks[k].is(fNewline) {
			return k + 1, 0.8
		}
		return 0, 0
	}
	// "Koskikatu 25", "Villacher Strasse 89", "Erzsébet tér 19".
	if t.has(lexCommon) && !t.is(fNonASCII) && !hasStreetEnding(t.lower) {
		return 0, 0
	}
	k := i
	for k < n && k < i+3 && s.streetName(k) && !s.toks[k].is(fNewline) && (k == i || !s.streetWord(k-1)) {
		k++
		if k < n && s.toks[k].isPunct('.') {
			k++
		}
	}
	if s.streetWord(k-1) || k > 0 && s.toks[k-1].isPunct('.') && s.streetWord(k-2) {
		if s.houseNumber(k) && !s.toks[k].is(fNewline) {
			return k + 1, 0.75
		}
	}
	return 0, 0
}

// unitAt matches a unit or box starting at token i: "Apt. 4", "PO Box 12",
// "P.O. Box 12", "PSC 1234, Box 5678", "Unit 4719 Box 7394".
func (s *scan) unitAt(i int) (int, float64) {
	n := len(s.toks)
	if i >= n {
		return 0, 0
	}
	t := &s.toks[i]
	if t.kind != kWord {
		return 0, 0
	}
	if t.lower == "p" && s.wordIn(i+2, "o") && s.toks[i+1].isPunct('.') {
		// "P.O. Box 12"
		k := i + 3
		if k < n && s.toks[k].isPunct('.') {
			k++
		}
		if s.word(k) == "box" && k+1 < n && s.houseNumber(k+1) {
			return k + 2, 0.85
		}
		return 0, 0
	}
	if shipPrefix[t.lower] && t.is(fAllCap) && i+1 < n && s.toks[i+1].kind == kWord && s.toks[i+1].is(fCap) {
		// A ship's mail address: "USS Mahler\nFPO AA 70489".
		k := i + 2
		for k < n && k < i+4 && s.toks[k].kind == kWord && s.toks[k].is(fCap) && !s.toks[k].is(fNewline) {
			k++
		}
		if k < n && s.toks[k].is(fNewline) && s.wordIn(k, "fpo", "apo", "dpo") {
			return k, 0.8
		}
		return 0, 0
	}
	if !unitLead[t.lower] {
		return 0, 0
	}
	if s.mode == caseMixed && !t.is(fCap) && t.lower != "apt" {
		return 0, 0
	}
	k := i + 1
	if t.lower == "po" || t.lower == "p" {
		for k < n && (s.toks[k].isPunct('.') || s.wordIn(k, "o")) {
			k++
		}
		if s.word(k) != "box" {
			return 0, 0
		}
		k++
	}
	for k < n && (s.toks[k].isPunct('.') || s.toks[k].isPunct('#') || s.toks[k].isPunct(':')) {
		k++
	}
	if k >= n || !(s.houseNumber(k) || s.toks[k].kind == kAlnum && len(s.toks[k].lower) <= 6) || s.taken[k] {
		return 0, 0
	}
	k++
	score := 0.6
	if t.lower == "po" || t.lower == "pobox" || t.lower == "psc" || t.lower == "cmr" {
		score = 0.85
	}
	// "PSC 1234, Box 5678", "Unit 4719 Box 7394".
	m := k
	if m < n && s.toks[m].isPunct(',') {
		m++
	}
	if s.word(m) == "box" && s.houseNumber(m+1) {
		return m + 2, 0.85
	}
	return k, score
}

// cuedAddressAt matches an address introduced by a cue phrase ("my address
// is", "I live at", "send it to", "the corner of") starting at token i.
func (s *scan) cuedAddressAt(i int) (int, float64) {
	n := len(s.toks)
	corner := s.word(i) == "the" && s.word(i+1) == "corner" && s.word(i+2) == "of"
	if !corner {
		if !s.houseNumber(i) {
			return 0, 0
		}
		// The cue: "address is 12 ...", "lives at 12 ...", "send it to 12 ...".
		p := s.prevWord(i, 3)
		if p < 0 {
			return 0, 0
		}
		cued := false
		for k, seen := p, 0; k >= 0 && seen < 5; k-- {
			if s.toks[k].kind == kPunct {
				if s.toks[k].ch == '.' || s.toks[k].ch == '?' || s.toks[k].ch == '!' {
					break
				}
				continue
			}
			if addressCues[s.toks[k].lower] {
				cued = true
				break
			}
			seen++
		}
		if !cued {
			return 0, 0
		}
		// The number must be followed by a word that is not a time or a dose.
		if i+1 >= n || s.toks[i+1].kind == kPunct || nonAddressWords[s.toks[i+1].lower] || s.toks[i+1].is(fNewline) {
			return 0, 0
		}
	}
	k := i
	if corner {
		k = i + 3
	}
	words, numbers := 0, 0
	for k < n && k < i+16 && !s.taken[k] {
		t := &s.toks[k]
		if k > i && t.is(fNewline) {
			break // the lines after are the tail's to judge
		}
		if t.kind == kPunct {
			if t.ch == '?' || t.ch == '!' || t.ch == ';' || t.ch == '(' || t.ch == '"' || t.ch == ':' {
				break
			}
			if t.ch == '.' && k+1 < n && s.toks[k+1].is(fSpace) && s.toks[k+1].is(fCap) && !(k > 0 && s.toks[k-1].r1-s.toks[k-1].r0 <= 3) {
				break
			}
			if t.ch == '.' && k+1 >= n {
				break
			}
			k++
			continue
		}
		if t.kind == kWord && addressStop[t.lower] && !(corner && t.lower == "and") {
			break
		}
		if t.kind == kNum {
			numbers++
		} else {
			words++
		}
		k++
	}
	for k > i && s.toks[k-1].kind == kPunct {
		k--
	}
	if words == 0 || (!corner && numbers == 0) || k <= i+1 {
		return 0, 0
	}
	return k, 0.8
}

// addressTail extends an address over the unit, city, state, country and
// ZIP pieces that follow it on the same or the next lines.
func (s *scan) addressTail(end int) int {
	n := len(s.toks)
	for pieces := 0; pieces < 6 && end < n; pieces++ {
		k := end
		for k < n && (s.toks[k].isPunct(',') || s.toks[k].isPunct('>') ||
			s.toks[k].isPunct('.') && k+1 < n && (s.toks[k+1].is(fNewline) || s.toks[k+1].isPunct(','))) {
			k++
		}
		// Quoting or bullet marks at the start of a line: "> ", "??? ", "- ".
		if k < n && s.toks[k].is(fNewline) && s.toks[k].kind == kPunct {
			m := k
			for m < n && m < k+4 && s.toks[m].kind == kPunct && strings.ContainsRune(">?*-•|#", s.toks[m].ch) {
				m++
			}
			if m < n && m > k && s.toks[m].kind != kPunct {
				k = m
			}
		}
		if k >= n || s.taken[k] {
			break
		}
		if e, _ := s.unitAt(k); e > 0 {
			end = e
			continue
		}
		if e := s.placeSegment(k); e > k {
			end = e
			continue
		}
		break
	}
	return end
}

// placeSegment matches one city, state, country or postal-code piece of an
// address at token k: up to four capitalised words, state codes and postal
// codes, ending at a comma, a line break or the sentence's end.
func (s *scan) placeSegment(k int) int {
	n := len(s.toks)
	j, words, codes, digits, nums := k, 0, 0, 0, 0
	for j < n && j < k+5 && !s.taken[j] {
		t := &s.toks[j]
		if j > k && t.is(fNewline) {
			break
		}
		switch t.kind {
		case kNum:
			if len(t.lower) < 3 || len(t.lower) > 6 {
				// A short region code alone after a comma: ", 13\n".
				alone := j == k && len(t.lower) <= 2 && k > 0 && s.toks[k-1].isPunct(',') &&
					(k+1 >= n || s.toks[k+1].is(fNewline) || s.toks[k+1].isPunct(','))
				if !(len(t.lower) <= 2 && j > k) && !alone {
					return k
				}
			}
			codes++
			nums++
			digits += len(t.lower)
			if nums > 2 || digits > 6 && !(j > 0 && s.toks[j-1].isPunct('-')) {
				return k // a telephone number, not a postal code
			}
		case kAlnum:
			if len(t.lower) > 7 {
				return k
			}
			codes++
		case kWord:
			if t.lower == "nan" || t.is(fAllCap) && t.r1-t.r0 <= 3 {
				codes++
				break
			}
			if addressStop[t.lower] || nonAddressWords[t.lower] {
				if j == k {
					return k
				}
				goto done
			}
			if s.mode == caseMixed && !t.is(fCap) && !t.has(lexParticle) {
				if j == k {
					return k
				}
				goto done
			}
			words++
		case kPunct:
			if t.ch == '-' || t.ch == '\'' {
				j++
				continue
			}
			if t.ch == '(' && j > k {
				// "Cyprus (Greek)": a parenthesised word or two.
				m := j + 1
				for m < n && m < j+4 && s.toks[m].kind == kWord && (s.toks[m].is(fCap) || s.mode != caseMixed) {
					m++
				}
				if m > j+1 && m < n && s.toks[m].isPunct(')') {
					j = m + 1
					continue
				}
			}
			if t.ch == '.' && j > k && s.toks[j-1].r1-s.toks[j-1].r0 <= 3 && j+1 < n && !s.toks[j+1].is(fCap) {
				j++
				continue
			}
			goto done
		}
		j++
	}
done:
	if j == k {
		return k
	}
	// A piece of words alone must be on its own line or after a comma, and
	// must not run into a sentence.
	if codes == 0 {
		if words > 4 {
			return k
		}
		prevBreak := s.toks[k].is(fNewline) || k > 0 && (s.toks[k-1].isPunct(',') || s.toks[k-1].isPunct('>') ||
			s.toks[k-1].kind == kNum || s.toks[k-1].kind == kAlnum) || s.afterBullet(k)
		nextBreak := j >= n || s.toks[j].is(fNewline) || s.toks[j].kind == kPunct && s.toks[j].ch != ':' ||
			s.mode == caseMixed && s.toks[j].kind == kWord && !s.toks[j].is(fCap)
		if !prevBreak || !nextBreak {
			return k
		}
	}
	return j
}

// afterBullet reports whether token k follows quoting or bullet marks that
// start a line: "> ", "??? ", "- ".
func (s *scan) afterBullet(k int) bool {
	for m := k - 1; m >= 0 && m >= k-4; m-- {
		t := &s.toks[m]
		if t.kind != kPunct || !strings.ContainsRune(">?*-•|#", t.ch) {
			return false
		}
		if t.is(fNewline) || m == 0 {
			return true
		}
	}
	return false
}
