package phi

// tlds are top-level domains accepted in bare domain names ("clinic.org").
var tlds = set(`com org net edu gov mil int io co us uk ca de fr it es nl se no dk fi pt br au nz jp cn in
ru ch at be pl cz hu gr ie il mx ar cl za info biz me tv app dev health care clinic ly cy uy is ee lv lt sk si
hr ro bg rs ua tr ae sa eg ng ke kr tw hk sg my ph th vn id pk bd lk np ve pe ec bo py cu pr do gt cr pa sv hn
ni online site xyz email tech cloud`)

// findWebAndIP finds email addresses, URLs, bare domains and IP addresses.
func (s *scan) findWebAndIP() {
	n := len(s.toks)
	adj := func(k int) bool { return k < n && !s.toks[k].is(fSpace) }
	for i := 0; i < n; i++ {
		t := &s.toks[i]
		switch {
		case t.isPunct('@'):
			s.email(i)
		case t.kind == kWord && (t.lower == "http" || t.lower == "https" || t.lower == "ftp") &&
			i+3 < n && s.toks[i+1].isPunct(':') && adj(i+1) && s.toks[i+2].isPunct('/') && adj(i+2):
			s.url(i, i+3)
		case t.kind == kWord && t.lower == "www" && i+2 < n && s.toks[i+1].isPunct('.') && adj(i+1) && adj(i+2):
			s.url(i, i+2)
		case t.kind == kNum && !s.taken[i]:
			if j := s.ipv4(i); j > 0 {
				s.add(i, j, IP, 0.95)
				i = j - 1
			} else if j := s.ipv6(i); j > 0 {
				s.add(i, j, IP, 0.9)
				i = j - 1
			}
		case (t.kind == kWord || t.kind == kAlnum) && !s.taken[i]:
			if j := s.ipv6(i); j > 0 {
				s.add(i, j, IP, 0.9)
				i = j - 1
			} else if j := s.domain(i); j > 0 {
				s.add(i, j, URL, 0.85)
				i = j - 1
			}
		}
	}
}

// email records the address around the '@' at token at.
func (s *scan) email(at int) {
	n := len(s.toks)
	a := at
	for a > 0 && !s.toks[a].is(fSpace) {
		p := &s.toks[a-1]
		if p.kind == kPunct && !(p.ch == '.' || p.ch == '_' || p.ch == '-' || p.ch == '+' || p.ch == '%') {
			break
		}
		a--
	}
	for a < at && s.toks[a].kind == kPunct {
		a++
	}
	if a == at {
		return
	}
	b, dot := at+1, false
	for b < n && !s.toks[b].is(fSpace) {
		t := &s.toks[b]
		if t.kind == kPunct && !(t.ch == '.' || t.ch == '-') {
			break
		}
		if t.isPunct('.') {
			dot = true
		}
		b++
	}
	for b > at+1 && s.toks[b-1].kind == kPunct {
		b--
	}
	if !dot || b <= at+1 || s.toks[b-1].kind != kWord || s.toks[b-1].r1-s.toks[b-1].r0 < 2 {
		return
	}
	s.add(a, b, Email, 0.97)
}

// url records a web address starting at token i whose scheme or "www." ends
// before token body.
func (s *scan) url(i, body int) {
	n := len(s.toks)
	b := body
	for b < n && !s.toks[b].is(fSpace) {
		t := &s.toks[b]
		if t.kind == kPunct && (t.ch == '"' || t.ch == '<' || t.ch == '>' || t.ch == '|' || t.ch == '\'' ||
			t.ch == '“' || t.ch == '”' || t.ch == '`') {
			break
		}
		b++
	}
	for b > body && s.toks[b-1].kind == kPunct && s.toks[b-1].ch != '/' {
		b--
	}
	if b > body {
		s.add(i, b, URL, 0.95)
	}
}

// domain returns the end of a bare domain name ("portal.clinic.org/x")
// starting at token i, or 0.
func (s *scan) domain(i int) int {
	n := len(s.toks)
	if i > 0 && !s.toks[i].is(fSpace) && s.toks[i-1].kind == kPunct && (s.toks[i-1].ch == '.' || s.toks[i-1].ch == '@') {
		return 0
	}
	if s.toks[i].r1-s.toks[i].r0 < 2 {
		return 0
	}
	j, labels, last := i+1, 1, i
	for j+1 < n && s.toks[j].isPunct('.') && !s.toks[j].is(fSpace) && !s.toks[j+1].is(fSpace) &&
		(s.toks[j+1].kind == kWord || s.toks[j+1].kind == kAlnum || s.toks[j+1].kind == kNum) {
		last = j + 1
		labels++
		j += 2
	}
	if labels < 2 || !tlds[s.toks[last].lower] || s.toks[last].kind != kWord {
		return 0
	}
	// A short all-letter pair like "e.g" or "a.m" is not a domain.
	if labels == 2 && s.toks[i].r1-s.toks[i].r0 < 3 {
		return 0
	}
	end := last + 1
	if end < n && s.toks[end].isPunct('/') && !s.toks[end].is(fSpace) {
		b := end
		for b < n && !s.toks[b].is(fSpace) {
			t := &s.toks[b]
			if t.kind == kPunct && (t.ch == '"' || t.ch == '<' || t.ch == '>' || t.ch == '|' || t.ch == '\'') {
				break
			}
			b++
		}
		for b > end+1 && s.toks[b-1].kind == kPunct && s.toks[b-1].ch != '/' {
			b--
		}
		end = b
	}
	return end
}

// ipv4 returns the end of a dotted-quad address starting at token i, or 0.
func (s *scan) ipv4(i int) int {
	n := len(s.toks)
	if i+6 >= n {
		return 0
	}
	for k := 0; k < 4; k++ {
		t := &s.toks[i+2*k]
		if t.kind != kNum || len(t.lower) > 3 || atoi(t.lower) > 255 || (k > 0 && t.is(fSpace)) {
			return 0
		}
		if k < 3 && (!s.toks[i+2*k+1].isPunct('.') || s.toks[i+2*k+1].is(fSpace)) {
			return 0
		}
	}
	end := i + 7
	if end+1 < n && s.toks[end].isPunct('.') && !s.toks[end].is(fSpace) && s.toks[end+1].kind == kNum && !s.toks[end+1].is(fSpace) {
		return 0 // five groups: a phone number written with dots
	}
	if i > 0 && s.toks[i-1].isPunct('.') && !s.toks[i].is(fSpace) {
		return 0
	}
	return end
}

// ipv6 returns the end of an IPv6 address starting at token i, or 0.
func (s *scan) ipv6(i int) int {
	n := len(s.toks)
	j, colons, groups, hexLetter, double := i, 0, 0, false, false
	for j < n {
		t := &s.toks[j]
		if j > i && t.is(fSpace) {
			break
		}
		if t.isPunct(':') {
			if j > i && s.toks[j-1].isPunct(':') {
				double = true
			}
			colons++
			j++
			continue
		}
		if t.kind == kPunct || !isHex(t.lower) || len(t.lower) > 4 {
			break
		}
		for k := 0; k < len(t.lower); k++ {
			if t.lower[k] >= 'a' {
				hexLetter = true
			}
		}
		groups++
		j++
	}
	for j > i && s.toks[j-1].isPunct(':') && !(j-2 >= i && s.toks[j-2].isPunct(':')) {
		j--
		colons--
	}
	if groups < 3 || !(colons >= 7 || (double && colons >= 3)) || !hexLetter && colons < 7 {
		return 0
	}
	return j
}

func isHex(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// atoi parses a short run of ASCII digits; it returns -1 for anything else.
func atoi(w string) int {
	if w == "" || len(w) > 9 {
		return -1
	}
	v := 0
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return -1
		}
		v = v*10 + int(w[i]-'0')
	}
	return v
}

// findSpokenEmail finds addresses read aloud: "john dot smith at gmail dot com".
func (s *scan) findSpokenEmail() {
	n := len(s.toks)
	label := func(k int) bool {
		return k >= 0 && k < n && !s.taken[k] && (s.toks[k].kind == kWord || s.toks[k].kind == kNum || s.toks[k].kind == kAlnum)
	}
	for at := 1; at+3 < n; at++ {
		if s.word(at) != "at" || !label(at-1) {
			continue
		}
		// Right: label (dot label)+ ending in a top-level domain.
		j, last := at+1, -1
		if !label(j) {
			continue
		}
		for j+2 < n+1 && j+1 < n && s.word(j+1) == "dot" && label(j+2) {
			last = j + 2
			j += 2
		}
		if last < 0 || !tlds[s.toks[last].lower] {
			continue
		}
		// Left: label ((dot|underscore|dash) label)*.
		a := at - 1
		for a-2 >= 0 && s.wordIn(a-1, "dot", "underscore", "dash", "hyphen") && label(a-2) {
			a -= 2
		}
		s.add(a, last+1, Email, 0.85)
	}
}
