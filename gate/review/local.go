package review

import (
	"context"
	"strings"

	"frontdesk/gate/review/phonetic"
	"frontdesk/gate/review/spoken"
)

// LocalJudge is the deterministic judge that runs on the appliance with no
// network: it normalises the value and the turn (case, punctuation, number
// words, spoken dates, spelled letters, street abbreviations) and compares
// them by the kind of value the field holds, matching names phonetically.
// The zero value is ready to use.
type LocalJudge struct{}

// Judge implements Judge. It never fails.
func (LocalJudge) Judge(_ context.Context, c Claim) (Verdict, error) {
	v := JudgeLocally(c)
	return v, nil
}

// JudgeLocally is LocalJudge's verdict on c.
func JudgeLocally(c Claim) Verdict {
	out, reason := judgeLocal(c)
	return Verdict{Outcome: out, Reason: reason, Judge: "local"}
}

func judgeLocal(c Claim) (Outcome, string) {
	if strings.TrimSpace(c.Value) == "" {
		return Uncertain, ReasonEmptyValue
	}
	if strings.TrimSpace(c.Turn) == "" {
		return Uncertain, ReasonEmptyTurn
	}
	switch KindOf(c.Field) {
	case KindPhone:
		return judgeDigits(c.Value, c.Turn, true)
	case KindDate:
		return judgeDate(c.Value, c.Turn)
	case KindName:
		return judgeName(c.Value, c.Turn)
	case KindEmail:
		return judgeEmail(c.Value, c.Turn)
	case KindIdentifier:
		return judgeIdentifier(c.Value, c.Turn)
	}
	return judgeText(c.Value, c.Turn)
}

// negators are the words that, just before a value, deny it.
var negators = map[string]bool{"not": true, "isnt": true, "wasnt": true, "never": true, "aint": true, "nope": true}

// negatedBefore reports whether the word before index i denies what
// follows ("not CVS"), allowing one article or possessive between them
// ("not the CVS", "not my number").
func negatedBefore(w []string, i int) bool {
	k := i - 1
	if k >= 0 && articles[w[k]] {
		k--
	}
	return k >= 0 && negators[w[k]]
}

var articles = map[string]bool{"the": true, "a": true, "an": true, "my": true, "that": true, "this": true}

// numberGlue are the words that may come between the runs of one spoken
// number: "area code five five five and then oh one oh".
var numberGlue = map[string]bool{
	"and": true, "then": true, "area": true, "code": true, "um": true, "uh": true, "er": true, "dash": true,
	"hyphen": true, "is": true, "its": true, "it": true, "number": true, "the": true, "extension": true, "ext": true,
}

// glued reports whether only glue words lie between two number runs.
func glued(w []string, a, b spoken.Number) bool {
	for _, x := range w[a.End:b.Start] {
		if !numberGlue[x] {
			return false
		}
	}
	return true
}

// correctionCues introduce a restatement: "sorry", "I mean", "actually",
// "no wait".
var correctionCues = map[string]bool{"sorry": true, "mean": true, "actually": true, "wait": true, "correction": true, "rather": true, "scratch": true}

// correctionAfter returns the index of a correction cue at or after i, or -1.
func correctionAfter(w []string, i int) int {
	for k := i; k < len(w); k++ {
		if correctionCues[w[k]] {
			return k
		}
	}
	return -1
}

// phoneDigits normalises a written phone number to its national digits.
func phoneDigits(s string) string {
	d := spoken.DigitsOf(s)
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return d
}

// judgeDigits compares a number (phone, or the digits of an identifier)
// with the number runs of the turn, allowing a number to be spoken in
// several runs ("area code five five five, and then …").
func judgeDigits(value, turn string, phone bool) (Outcome, string) {
	want := spoken.DigitsOf(value)
	if phone {
		want = phoneDigits(value)
	}
	if want == "" {
		return Uncertain, ReasonNotFound
	}
	w := spoken.Words(turn)
	nums := spoken.Numbers(w)
	if len(nums) == 0 {
		return Uncertain, ReasonAbsent
	}
	type window struct {
		i, j    int // runs [i, j]
		digits  string
		written bool
	}
	var windows []window
	for i := range nums {
		var b strings.Builder
		written := true
		for j := i; j < len(nums) && b.Len() <= len(want)+1; j++ {
			if j > i && !glued(w, nums[j-1], nums[j]) {
				break
			}
			b.WriteString(nums[j].Digits)
			for _, g := range nums[j].Groups {
				written = written && g.Written
			}
			windows = append(windows, window{i, j, b.String(), written})
		}
	}
	for _, win := range windows {
		d := win.digits
		// "oh, five five five …": an interjection read as a zero.
		if first := w[nums[win.i].Start]; (first == "oh" || first == "o") && d == "0"+want {
			d = want
		}
		if d != want && !(phone && d == "1"+want) {
			continue
		}
		if negatedBefore(w, nums[win.i].Start) {
			return Contradicted, ReasonNegated
		}
		if k := correctionAfter(w, nums[win.j].End); k >= 0 {
			for _, n := range nums[win.j+1:] {
				if n.Start > k && len(n.Digits) >= 3 && !strings.Contains(want, n.Digits) {
					return Uncertain, ReasonRestated
				}
			}
		}
		if win.written {
			return Verified, ReasonExact
		}
		return Verified, ReasonNumbers
	}
	if phone && len(want) == 10 {
		for _, win := range windows {
			if len(win.digits) == 10 && win.digits[3:] == want[3:] {
				return Contradicted, ReasonOtherNumber // another area code
			}
		}
		for _, win := range windows {
			if win.digits == want[3:] {
				return Uncertain, ReasonAreaCode
			}
		}
	}
	minLen := len(want)
	if phone && minLen > 7 {
		minLen = 7
	}
	for _, win := range windows {
		if len(win.digits) >= minLen && len(win.digits) <= len(want)+1 {
			return Contradicted, ReasonOtherNumber
		}
	}
	return Uncertain, ReasonNotFound
}

// judgeDate compares a date with the dates spoken or written in the turn.
func judgeDate(value, turn string) (Outcome, string) {
	want, ok := spoken.ParseDate(value)
	if !ok {
		return Uncertain, ReasonBadDate
	}
	ds := spoken.Dates(turn)
	if len(ds) == 0 {
		return Uncertain, ReasonAbsent
	}
	dayOnly, other := false, false
	for _, d := range ds {
		switch {
		case d.Full() && want.Full() && d == want:
			return Verified, ReasonDate
		case !want.Full() && d.SameDay(want):
			return Verified, ReasonDate
		case !d.Full() && d.SameDay(want):
			dayOnly = true
		case d.Full() || !d.SameDay(want):
			other = true
		}
	}
	if other {
		return Contradicted, ReasonOtherDate
	}
	if dayOnly {
		return Uncertain, ReasonDayOnly
	}
	return Uncertain, ReasonNotFound
}

// nameMatch grades how one word of a name matches a word of the turn.
type nameMatch int

const (
	noMatch nameMatch = iota
	weakMatch
	phoneticMatch
	exactMatch
)

// matchName grades v against turn words w, trying single words and pairs
// of adjacent words ("o neil" for "oneil"); it returns the grade and the
// index of the matching word.
func matchName(v string, w []string) (nameMatch, int) {
	best, at := noMatch, -1
	for i, t := range w {
		cands := []string{t}
		if i+1 < len(w) {
			cands = append(cands, t+w[i+1])
		}
		for _, c := range cands {
			g := noMatch
			switch {
			case c == v:
				g = exactMatch
			case phonetic.SoundAlike(v, c) && phonetic.Similar(v, c):
				g = phoneticMatch
			case phonetic.SoundAlike(v, c) || (len(v) >= 4 && phonetic.Levenshtein(v, c) <= 1):
				g = weakMatch
			}
			if g > best {
				best, at = g, i
			}
		}
	}
	return best, at
}

// nameCues are words that announce a name.
var nameCues = map[string]bool{"name": true, "names": true, "im": true, "spelled": true, "spell": true, "called": true, "surname": true}

// judgeName compares a person's name word by word, allowing spelling
// variants that sound alike.
func judgeName(value, turn string) (Outcome, string) {
	want := spoken.NameWords(value)
	if len(want) == 0 {
		return Uncertain, ReasonEmptyValue
	}
	w := spoken.NameWords(turn)
	exact, phon, weak := 0, 0, 0
	first := -1
	for _, v := range want {
		g, at := matchName(v, w)
		switch g {
		case exactMatch:
			exact++
		case phoneticMatch:
			phon++
		case weakMatch:
			weak++
		}
		if g >= phoneticMatch && (first < 0 || at < first) {
			first = at
		}
	}
	n := len(want)
	if first >= 0 && negatedBefore(w, first) {
		return Contradicted, ReasonNegated
	}
	switch {
	case exact == n:
		return Verified, ReasonExact
	case exact+phon == n:
		return Verified, ReasonPhonetic
	case exact+phon+weak == n:
		return Uncertain, ReasonSoundsAlike
	case exact+phon+weak > 0:
		return Uncertain, ReasonPartial
	}
	for _, word := range w {
		if nameCues[word] {
			return Contradicted, ReasonOtherName
		}
	}
	return Uncertain, ReasonNotFound
}

// emailForm writes an address as it is spelled aloud, without spaces, so
// that "john dot smith at example dot com" and "john.smith@example.com"
// compare equal.
func emailForm(s string) string {
	r := strings.NewReplacer("@", " at ", ".", " dot ", "_", " underscore ", "-", " dash ", "+", " plus ")
	w := spoken.JoinLetters(spoken.Words(r.Replace(strings.ToLower(s))))
	for i, x := range w {
		if x == "hyphen" {
			w[i] = "dash"
		}
	}
	return strings.Join(w, "")
}

func judgeEmail(value, turn string) (Outcome, string) {
	want := emailForm(value)
	if want == "" {
		return Uncertain, ReasonEmptyValue
	}
	if strings.Contains(emailForm(turn), want) {
		return Verified, ReasonExact
	}
	local := value
	if i := strings.IndexByte(value, '@'); i > 0 {
		local = value[:i]
	}
	if l := emailForm(local); l != "" && strings.Contains(emailForm(turn), l) {
		return Uncertain, ReasonPartial
	}
	return Uncertain, ReasonNotFound
}

// judgeIdentifier compares an identifier of letters and digits (member ID,
// ZIP code, SSN) with the turn's letters and numbers run together.
func judgeIdentifier(value, turn string) (Outcome, string) {
	want := strings.Join(spoken.Words(value), "")
	if want == "" {
		return Uncertain, ReasonEmptyValue
	}
	if isAllDigits(want) {
		return judgeDigits(value, turn, false)
	}
	w := spoken.Words(turn)
	var b strings.Builder
	nums := spoken.Numbers(w)
	ni := 0
	for i := 0; i < len(w); {
		if ni < len(nums) && nums[ni].Start == i {
			b.WriteString(nums[ni].Digits)
			i = nums[ni].End
			ni++
			continue
		}
		b.WriteString(w[i])
		i++
	}
	if strings.Contains(b.String(), want) {
		return Verified, ReasonNumbers
	}
	if d := spoken.DigitsOf(want); len(d) >= 4 {
		out, reason := judgeDigits(d, turn, false)
		if out == Verified {
			return Uncertain, ReasonPartial // the digits match, the letters do not
		}
		return out, reason
	}
	return Uncertain, ReasonNotFound
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// chains are pharmacy and shop chains; naming one where the value names
// another is a contradiction.
var chains = map[string]bool{
	"cvs": true, "walgreens": true, "riteaid": true, "walmart": true, "costco": true, "kroger": true,
	"safeway": true, "target": true, "publix": true, "heb": true, "meijer": true, "wegmans": true,
	"albertsons": true, "duanereade": true, "osco": true, "hyvee": true, "giant": true, "samsclub": true,
	"expressscripts": true, "optum": true, "caremark": true, "bartell": true, "longs": true,
}

// chainIn returns the chain named in canonical words, trying pairs of
// adjacent words joined ("rite aid").
func chainIn(w []string) string {
	for i := range w {
		if chains[w[i]] {
			return w[i]
		}
		if i+1 < len(w) && chains[w[i]+w[i+1]] {
			return w[i] + w[i+1]
		}
	}
	return ""
}

// genericPlace are words that a place's value may carry that the caller
// need not say ("CVS Pharmacy" is "the CVS").
var genericPlace = map[string]bool{"pharmacy": true, "drug": true, "drugs": true, "store": true, "rx": true, "inc": true, "co": true}

// judgeText compares the name of a place or organisation, or an address,
// in canonical words.
func judgeText(value, turn string) (Outcome, string) {
	want := spoken.Canonical(value)
	kept := want[:0:0]
	for _, v := range want {
		if !genericPlace[v] {
			kept = append(kept, v)
		}
	}
	if len(kept) > 0 {
		want = kept
	}
	if len(want) == 0 {
		return Uncertain, ReasonEmptyValue
	}
	w := spoken.Canonical(turn)
	if len(w) == 0 {
		return Uncertain, ReasonNotFound
	}
	// The value run together equals a run of the turn's words: "rite aid"
	// and "riteaid", "wal mart" and "walmart".
	joined := strings.Join(want, "")
	for i := range w {
		var b strings.Builder
		for j := i; j < len(w) && b.Len() < len(joined); j++ {
			b.WriteString(w[j])
			if b.String() == joined {
				if negatedBefore(w, i) {
					return Contradicted, ReasonNegated
				}
				return Verified, ReasonExact
			}
		}
	}
	exact, phon := 0, 0
	first := -1
	var missingNumber bool
	for _, v := range want {
		g, at := matchPlaceWord(v, w)
		switch g {
		case exactMatch:
			exact++
		case phoneticMatch:
			phon++
		default:
			if isAllDigits(v) {
				missingNumber = true
			}
		}
		if g >= phoneticMatch && (first < 0 || at < first) {
			first = at
		}
	}
	n := len(want)
	if first >= 0 && negatedBefore(w, first) {
		return Contradicted, ReasonNegated
	}
	switch {
	case exact == n:
		return Verified, ReasonExact
	case exact+phon == n:
		return Verified, ReasonPhonetic
	}
	if c := chainIn(want); c != "" {
		if other := chainIn(w); other != "" && other != c {
			return Contradicted, ReasonOtherPlace
		}
	}
	switch {
	case missingNumber && exact+phon == n-countDigits(want) && hasNumber(w):
		return Contradicted, ReasonOtherNumber
	case exact+phon > 0:
		return Uncertain, ReasonPartial
	}
	return Uncertain, ReasonNotFound
}

// matchPlaceWord grades one canonical word of a place against the turn:
// exact, two or three turn words run together, or (for words of four or
// more letters) alike in sound and spelling.
func matchPlaceWord(v string, w []string) (nameMatch, int) {
	best, at := noMatch, -1
	for i := range w {
		joined := w[i]
		for j := i; j < len(w) && j < i+3; j++ {
			if j > i {
				joined += w[j]
			}
			if joined == v {
				return exactMatch, i
			}
			if len(v) >= 4 && !isAllDigits(v) && phonetic.SoundAlike(v, joined) && phonetic.Similar(v, joined) && best < phoneticMatch {
				best, at = phoneticMatch, i
			}
		}
	}
	return best, at
}

func countDigits(w []string) int {
	n := 0
	for _, x := range w {
		if isAllDigits(x) {
			n++
		}
	}
	return n
}

func hasNumber(w []string) bool { return countDigits(w) > 0 }
