package phi

import "strings"

// idCues maps words that announce an identifier to its type. Several words
// ("number", "id") are generic and only strengthen a cue found nearby.
var idCues = map[string]Type{
	"ssn": SSN, "social": SSN, "ss": SSN,
	"mrn": MRN, "chart": MRN, "record": MRN, "records": MRN,
	"member": HealthPlan, "policy": HealthPlan, "subscriber": HealthPlan, "insurance": HealthPlan,
	"medicaid": HealthPlan, "medicare": HealthPlan, "plan": HealthPlan, "group": HealthPlan,
	"beneficiary": HealthPlan, "insurer": HealthPlan, "hicn": HealthPlan, "mbi": HealthPlan,
	"account": Account, "acct": Account, "routing": Account, "iban": Account, "invoice": Account, "billing": Account,
	"license": License, "licence": License, "dl": License, "permit": License, "plate": License, "dea": License,
	"npi": License, "certificate": License, "passport": License,
	"serial": DeviceID, "device": DeviceID, "imei": DeviceID, "vin": DeviceID, "pacemaker": DeviceID,
	"implant": DeviceID, "udi": DeviceID, "mac": DeviceID, "sn": DeviceID,
	"card": CreditCard, "cc": CreditCard, "visa": CreditCard, "mastercard": CreditCard, "amex": CreditCard,
	"credit": CreditCard, "debit": CreditCard,
	"phone": Phone, "call": Phone, "callback": Phone, "cell": Phone, "mobile": Phone, "fax": Phone,
	"reach": Phone, "text": Phone, "tel": Phone, "telephone": Phone, "dial": Phone, "desk": Phone,
	"office": Phone, "home": Phone, "work": Phone, "contact": Phone, "ring": Phone, "calling": Phone,
	"answering": Phone, "messages": Phone, "registered": Phone, "landline": Phone, "pager": Phone,
	"zip": ZIP, "postal": ZIP, "postcode": ZIP, "zipcode": ZIP,
}

// cueType returns the type announced by the nearest cue word among the six
// words before token i in the same sentence, or "".
func (s *scan) cueType(i int) Type {
	seen := 0
	for k := i - 1; k >= 0 && seen < 6; k-- {
		t := &s.toks[k]
		if t.kind == kPunct {
			// A sentence ends the search: "?", "!", or a full stop before a space.
			if t.ch == '?' || t.ch == '!' || t.ch == '.' && k+1 < len(s.toks) && s.toks[k+1].is(fSpace) {
				return ""
			}
			continue
		}
		if t.kind == kWord {
			if typ, ok := idCues[t.lower]; ok {
				return typ
			}
		}
		seen++
	}
	return ""
}

// group is one run of digits inside a numeric chunk.
type group struct {
	digits string
	sep    rune // the separator before it: 0, ' ', '-', '.', '/', '(' or ')'
	end    int  // index of the token after the group
}

// findNumbers classifies runs of digit groups: numeric dates, SSNs, payment
// cards, phone numbers, ZIP codes and cue-announced identifiers.
func (s *scan) findNumbers() {
	n := len(s.toks)
	var groups []group
	for i := 0; i < n; i++ {
		t := &s.toks[i]
		if s.taken[i] {
			continue
		}
		startsNum := t.kind == kNum || t.kind == kAlnum && countDigits(t.lower) >= 2
		plus := (t.isPunct('+') || t.isPunct('(')) && i+1 < n && s.toks[i+1].kind == kNum && !s.toks[i+1].is(fSpace)
		if !startsNum && !plus {
			continue
		}
		groups = groups[:0]
		j := i
		lead := rune(0)
		if plus {
			lead = t.ch
			j++
		}
		var sep rune
		if lead == '(' {
			sep = '('
		}
		alnum := false
		ext := ""
		for j < n && !s.taken[j] {
			u := &s.toks[j]
			if u.is(fNewline) && j > i {
				break
			}
			if u.kind == kNum {
				if len(groups) > 0 && sep == 0 {
					if !u.is(fSpace) {
						break
					}
					sep = ' '
				}
				groups = append(groups, group{u.lower, sep, j + 1})
				sep = 0
				j++
			} else if u.kind == kAlnum && len(groups) == 0 && j == i {
				groups = append(groups, group{u.lower, 0, j + 1})
				alnum = true
				j++
				// Identifiers may continue with dashes: "A12-3456".
				for j+1 < n && s.toks[j].isPunct('-') && !s.toks[j].is(fSpace) && (s.toks[j+1].kind == kNum || s.toks[j+1].kind == kAlnum) && !s.toks[j+1].is(fSpace) {
					groups = append(groups, group{s.toks[j+1].lower, '-', j + 2})
					j += 2
				}
				break
			} else if u.kind == kAlnum && len(groups) > 0 && isExtension(u.lower) && !u.is(fSpace) {
				d, e, _ := strings.Cut(u.lower, "x")
				groups = append(groups, group{d, sep, j + 1})
				ext = e
				j++
				break
			} else if u.kind == kPunct && (u.ch == '-' || u.ch == '.' || u.ch == '/' || u.ch == '(' || u.ch == ')' || u.ch == '–') && sep == 0 {
				// A separator counts only between digit groups.
				nx := j + 1
				if u.ch == ')' && nx < n && s.toks[nx].isPunct('-') {
					nx++
				}
				if nx < n && (s.toks[nx].kind == kNum || s.toks[nx].kind == kAlnum && isExtension(s.toks[nx].lower)) && !s.toks[nx].is(fNewline) || u.ch == '(' && nx < n && s.toks[nx].kind == kNum {
					if u.ch == '.' && (u.is(fSpace) || s.toks[nx].is(fSpace)) {
						break // a full stop ending a sentence
					}
					sep = u.ch
					if sep == '–' {
						sep = '-'
					}
					j = nx
					continue
				}
				if u.ch == ')' && len(groups) > 0 {
					sep = ')'
					j++
					continue
				}
				break
			} else {
				break
			}
		}
		if len(groups) == 0 {
			continue
		}
		end := j
		for end > i && s.toks[end-1].kind == kPunct {
			end--
		}
		typ, score, e2 := s.classifyNumber(i, end, groups, lead, alnum, ext != "")
		if typ != "" {
			// A letter prefix of an identifier: "W 2244 8891".
			if typ == MRN || typ == HealthPlan || typ == Account || typ == License || typ == DeviceID {
				if p := i - 1; p >= 0 && !s.taken[p] && s.toks[p].kind == kWord && s.toks[p].is(fAllCap|fCap) && s.toks[p].r1-s.toks[p].r0 <= 3 && !s.toks[p].has(lexCommon) {
					i = p
				}
			}
			s.add(i, e2, typ, score)
			i = e2 - 1
		} else {
			i = end - 1
		}
	}
}

// isExtension matches "3560x4587", a phone number's last group and extension.
func isExtension(w string) bool {
	d, e, ok := strings.Cut(w, "x")
	return ok && atoi(d) >= 0 && len(d) >= 2 && atoi(e) >= 0 && len(e) >= 1 && len(e) <= 5
}

func countDigits(w string) int {
	c := 0
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			c++
		}
	}
	return c
}

// classifyNumber decides what the chunk of tokens [i, end) with the given
// digit groups is. It returns the type, a score and the end of the span.
func (s *scan) classifyNumber(i, end int, groups []group, lead rune, alnum, ext bool) (Type, float64, int) {
	var all strings.Builder
	seps := map[rune]int{}
	for k, g := range groups {
		all.WriteString(g.digits)
		if k > 0 {
			seps[g.sep]++
		}
	}
	digits := all.String()
	nd := countDigits(digits)
	cue := s.cueType(i)

	if alnum {
		if nd < 4 {
			return "", 0, end
		}
		switch cue {
		case MRN, HealthPlan, Account, License, DeviceID, SSN:
			return cue, 0.85, end
		case CreditCard:
			return CreditCard, 0.7, end
		}
		if nd >= 6 {
			return Account, 0.55, end
		}
		return "", 0, end
	}

	// Dates: 3/14/1980, 14.03.1980, 1980-03-14, 03/1980, 3/14 after a cue.
	// A date may be followed by other numbers ("2000-04-16 11:34:35").
	if len(groups) > 3 && groups[3].sep == ' ' {
		g3 := groups[:3]
		s3 := map[rune]int{g3[1].sep: 1}
		s3[g3[2].sep]++
		if typ, e := s.numericDate(i, g3[2].end, g3, s3); typ != "" {
			return typ, 0.9, e
		}
	}
	if typ, e := s.numericDate(i, end, groups, seps); typ != "" {
		return typ, 0.9, e
	}
	if len(groups) == 3 && seps[' '] == 2 && s.cueBefore(i, 5, birthCues) {
		sp := map[rune]int{'/': 2}
		if typ, e := s.numericDate(i, end, groups, sp); typ != "" {
			return typ, 0.8, e
		}
	}
	if len(groups) == 2 && seps['/'] == 1 {
		m, d := atoi(groups[0].digits), atoi(groups[1].digits)
		if m >= 1 && m <= 12 && d >= 1 && d <= 31 && len(groups[1].digits) <= 2 && s.cueBefore(i, 4, dateCues) {
			return Date, 0.7, end
		}
		if m >= 1 && m <= 12 && len(groups[1].digits) == 4 && atoi(groups[1].digits) >= 1900 {
			return Date, 0.8, end
		}
		return "", 0, end
	}
	if seps['/'] > 0 {
		return "", 0, end
	}

	switch cue {
	case SSN:
		if nd == 9 || nd == 4 {
			return SSN, 0.95, end
		}
	case MRN, HealthPlan, Account, License, DeviceID:
		if nd >= 4 {
			return cue, 0.85, end
		}
	case CreditCard:
		if nd >= 12 && nd <= 19 {
			return CreditCard, 0.9, end
		}
	case ZIP:
		if nd >= 3 && nd <= 9 {
			// Postal codes abroad have 3 to 9 digits, some with letters: "7412 SL".
			if end < len(s.toks) && s.toks[end].kind == kWord && s.toks[end].is(fAllCap) && s.toks[end].r1-s.toks[end].r0 == 2 && !s.toks[end].is(fNewline) {
				end++
			}
			return ZIP, 0.9, end
		}
	}

	// SSN: 3-2-4.
	if nd == 9 && len(groups) == 3 && len(groups[0].digits) == 3 && len(groups[1].digits) == 2 &&
		(seps['-'] == 2 || seps[' '] == 2) && validSSN(digits) && lead == 0 {
		return SSN, 0.85, end
	}
	// Payment cards: 13–19 digits passing the Luhn check, whole or in fours.
	if nd >= 13 && nd <= 19 && luhn(digits) && (len(groups) == 1 || sameSep(groups)) {
		return CreditCard, 0.85, end
	}
	// ZIP+4.
	if nd == 9 && len(groups) == 2 && len(groups[0].digits) == 5 && seps['-'] == 1 {
		return ZIP, 0.7, end
	}
	if typ, score := phoneShape(groups, lead, nd, ext, cue == Phone); typ != "" {
		return typ, score, end
	}
	if len(groups) == 1 && nd >= 9 && nd <= 20 && lead == 0 {
		return Account, 0.5, end
	}
	return "", 0, end
}

// birthCues announce a date of birth, which callers read out in many ways.
var birthCues = set(`dob birth born birthday birthdate`)

// dateCues are words after which a bare day and month (3/14) is a date.
var dateCues = set(`on since from until till by dob born birth birthday date dated due seen admitted discharged
last next of before after`)

// numericDate recognises d/m/y, m/d/y and y-m-d with an optional time.
func (s *scan) numericDate(i, end int, groups []group, seps map[rune]int) (Type, int) {
	if len(groups) != 3 {
		return "", end
	}
	var sep rune
	for r, c := range seps {
		if c == 2 && (r == '/' || r == '-' || r == '.') {
			sep = r
		}
	}
	if sep == 0 {
		return "", end
	}
	a, b, c := atoi(groups[0].digits), atoi(groups[1].digits), atoi(groups[2].digits)
	la, lc := len(groups[0].digits), len(groups[2].digits)
	ok := false
	switch {
	case la == 4 && a >= 1800 && a <= 2199:
		ok = b >= 1 && b <= 12 && c >= 1 && c <= 31 && lc <= 2
	case la <= 2 && (lc == 4 || lc == 2):
		ok = (a >= 1 && a <= 12 && b >= 1 && b <= 31 || a >= 1 && a <= 31 && b >= 1 && b <= 12) && len(groups[1].digits) <= 2
		if lc == 4 {
			ok = ok && c >= 1800 && c <= 2199
		}
		if sep == '.' && lc == 2 {
			ok = false // "12.34.56" is more likely a version or a measurement
		}
	}
	if !ok {
		return "", end
	}
	// A time of day right after the date: "2000-04-16 11:34:35".
	n := len(s.toks)
	e := end
	if e+2 < n && s.toks[e].kind == kNum && s.toks[e].is(fSpace) && !s.toks[e].is(fNewline) && len(s.toks[e].lower) <= 2 &&
		s.toks[e+1].isPunct(':') && s.toks[e+2].kind == kNum && len(s.toks[e+2].lower) == 2 {
		e += 3
		if e+1 < n && s.toks[e].isPunct(':') && s.toks[e+1].kind == kNum && len(s.toks[e+1].lower) == 2 {
			e += 2
		}
		if s.wordIn(e, "am", "pm") {
			e++
		}
	}
	return Date, e
}

func sameSep(groups []group) bool {
	for k := 2; k < len(groups); k++ {
		if groups[k].sep != groups[1].sep {
			return false
		}
	}
	return true
}

// phoneShape decides whether digit groups look like a telephone number.
func phoneShape(groups []group, lead rune, nd int, ext, cue bool) (Type, float64) {
	if nd < 7 || nd > 15 {
		return "", 0
	}
	bump := func(base float64) float64 {
		if cue {
			return base + 0.3
		}
		return base
	}
	lens := make([]int, len(groups))
	for k, g := range groups {
		lens[k] = len(g.digits)
	}
	// International: +CC or 00CC.
	if lead == '+' && nd >= 8 || strings.HasPrefix(groups[0].digits, "00") && nd >= 10 && len(groups) > 1 {
		return Phone, 0.85
	}
	// North American: [1] 3-3-4, (3) 3-4, 3-4.
	g := lens
	if len(g) > 0 && g[0] == 1 && groups[0].digits == "1" {
		g = g[1:]
	}
	if len(g) == 3 && g[0] == 3 && g[1] == 3 && g[2] == 4 {
		return Phone, 0.85
	}
	if len(g) == 2 && g[0] == 3 && g[1] == 4 {
		return Phone, bump(0.55)
	}
	if len(groups) == 1 && (nd == 10 || nd == 11 && groups[0].digits[0] == '1') {
		return Phone, bump(0.55)
	}
	if ext {
		return Phone, 0.8
	}
	// Other national formats: two or more groups of 2–5 digits, 8–13 in all.
	if len(groups) >= 2 && nd >= 8 && nd <= 13 {
		ok := true
		for _, l := range lens {
			if l < 2 || l > 5 {
				ok = false
			}
		}
		if ok {
			return Phone, bump(0.5)
		}
	}
	if cue && nd >= 7 {
		return Phone, 0.75
	}
	return "", 0
}

// validSSN rejects numbers the Social Security Administration never issues.
func validSSN(d string) bool {
	area, grp, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && grp != "00" && serial != "0000"
}

// luhn reports whether a digit string passes the Luhn checksum.
func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// findSpokenDigits finds numbers read digit by digit ("five five five two oh
// one seven seven eight eight", "double five") and classifies them like
// written ones: phone numbers, SSNs or cue-announced identifiers.
func (s *scan) findSpokenDigits() {
	n := len(s.toks)
	var b strings.Builder
	for i := 0; i < n; i++ {
		if s.taken[i] || s.toks[i].kind != kWord || !s.toks[i].has(lexNumber) {
			continue
		}
		if _, ok := spokenDigit(s.word(i)); !ok && !s.wordIn(i, "double", "triple") {
			continue
		}
		b.Reset()
		j, last, words := i, i, 0
		for j < n && !s.taken[j] {
			t := &s.toks[j]
			if t.kind == kPunct && (t.ch == '-' || t.ch == ',' || t.ch == '.') && j+1 < n && s.toks[j+1].kind == kWord {
				if _, ok := spokenDigit(s.toks[j+1].lower); ok && words > 0 {
					j++
					continue
				}
				break
			}
			if t.kind != kWord {
				break
			}
			w := t.lower
			if w == "double" || w == "triple" {
				d, ok := spokenDigit(s.word(j + 1))
				if !ok || len(d) != 1 {
					break
				}
				b.WriteString(d)
				b.WriteString(d)
				if w == "triple" {
					b.WriteString(d)
				}
				j += 2
				last, words = j-1, words+2
				continue
			}
			if w == "dash" && words > 0 {
				j++
				continue
			}
			d, ok := spokenDigit(w)
			if !ok {
				break
			}
			if tv, isTens := tensNumbers[w]; isTens {
				// "twenty one" is 21, not 201.
				if u, ok := unitNumbers[s.word(j+1)]; ok && u >= 1 && u <= 9 && s.word(j+1) != "o" && s.word(j+1) != "oh" {
					b.WriteString(string([]byte{byte('0' + tv/10), byte('0' + u)}))
					j += 2
					last, words = j-1, words+2
					continue
				}
			}
			// "o" and "oh" are zero only between other digits.
			if (w == "o" || w == "oh") && words == 0 {
				break
			}
			b.WriteString(d)
			j++
			last, words = j-1, words+1
		}
		digits := b.String()
		nd := len(digits)
		end := last + 1
		cue := s.cueType(i)
		typ, score := Type(""), 0.0
		switch {
		case words < 3:
		case cue == SSN && (nd == 9 || nd == 4):
			typ, score = SSN, 0.9
		case (cue == MRN || cue == HealthPlan || cue == Account || cue == License || cue == DeviceID) && nd >= 4:
			typ, score = cue, 0.85
		case cue == CreditCard && nd >= 12:
			typ, score = CreditCard, 0.85
		case cue == ZIP && nd == 5:
			typ, score = ZIP, 0.85
		case nd == 10 || nd == 11 && digits[0] == '1' || nd == 7:
			typ, score = Phone, 0.7
			if cue == Phone || s.cueBefore(i, 6, set("number")) {
				typ, score = Phone, 0.9
			}
		case nd == 9:
			typ, score = SSN, 0.6
		case nd >= 8 && words >= 6:
			typ, score = Account, 0.55
		case cue == Phone && nd >= 7:
			typ, score = Phone, 0.8
		}
		if typ != "" {
			start := i
			// Letters read out before the digits of an identifier: "a b c one two three".
			if typ == MRN || typ == HealthPlan || typ == Account || typ == License || typ == DeviceID {
				for start > 0 && !s.taken[start-1] && s.toks[start-1].kind == kWord && s.toks[start-1].r1-s.toks[start-1].r0 == 1 {
					start--
				}
			}
			s.add(start, end, typ, score)
		}
		i = end - 1
	}
}

// spokenDigit maps a spoken digit or digit group to its digits: "five" -> "5",
// "oh" -> "0", "twelve" -> "12", "fifty" -> "50".
func spokenDigit(w string) (string, bool) {
	if v, ok := unitNumbers[w]; ok {
		if v < 10 {
			return string(rune('0' + v)), true
		}
		return string([]byte{'1', byte('0' + v - 10)}), true
	}
	if v, ok := tensNumbers[w]; ok {
		return string([]byte{byte('0' + v/10), '0'}), true
	}
	if w == "hundred" {
		return "00", true
	}
	return "", false
}
