package spoken

// abbreviations maps the words of addresses and shop names to one spelling.
// Both sides of a comparison go through it, so "Saint" and "Street" meeting
// as "st" does no harm.
var abbreviations = map[string]string{
	"street": "st", "str": "st", "saint": "st",
	"avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd", "blv": "blvd",
	"drive": "dr", "doctor": "dr", "lane": "ln", "court": "ct", "place": "pl", "highway": "hwy",
	"parkway": "pkwy", "circle": "cir", "terrace": "ter", "square": "sq", "suite": "ste",
	"apartment": "apt", "building": "bldg", "floor": "fl", "mount": "mt", "fort": "ft",
	"north": "n", "south": "s", "east": "e", "west": "w",
	"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
	"route": "rte", "center": "ctr", "centre": "ctr", "plaza": "plz", "expressway": "expy",
	"junction": "jct", "trail": "trl", "way": "wy", "company": "co", "incorporated": "inc",
	"pharmacy": "pharmacy", "pharmacies": "pharmacy", "drugstore": "pharmacy", "chemist": "pharmacy",
}

// fillers are words that carry nothing when comparing places and names.
var fillers = map[string]bool{
	"the": true, "a": true, "an": true, "at": true, "on": true, "of": true, "in": true, "um": true,
	"uh": true, "er": true, "number": true, "please": true, "and": true,
}

// splitAlnum splits words that mix digits and letters ("4b" → "4", "b"),
// so that "apartment four b" and "Apt 4B" compare equal.
func splitAlnum(w []string) []string {
	var out []string
	for i, word := range w {
		cut := -1
		for k := 1; k < len(word); k++ {
			if isDigitByte(word[k]) != isDigitByte(word[k-1]) {
				cut = k
				break
			}
		}
		if cut < 0 {
			if out != nil {
				out = append(out, word)
			}
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(w)+2), w[:i]...)
		}
		for len(word) > 0 {
			k := 1
			for k < len(word) && isDigitByte(word[k]) == isDigitByte(word[0]) {
				k++
			}
			out = append(out, word[:k])
			word = word[k:]
		}
	}
	if out == nil {
		return w
	}
	return out
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// Canonical returns the words of a place or organisation name in one
// spelling, for comparison: spoken and written numbers become digits ("one
// twenty three" → "123"), ordinal street numbers become digits ("fifth" →
// "5"), spelled letters are joined ("c v s" → "cvs"), street and direction
// words are abbreviated one way ("Street" → "st"), and filler words are
// dropped.
func Canonical(text string) []string {
	w := splitAlnum(Words(text))
	out := make([]string, 0, len(w))
	nums := Numbers(w)
	ni := 0
	for i := 0; i < len(w); {
		for ni < len(nums) && nums[ni].Start < i {
			ni++
		}
		if t, ok := tens[w[i]]; ok && i+1 < len(w) {
			if u, ok := ordinalUnits[w[i+1]]; ok && u <= 9 {
				out = append(out, itoa(t+u)) // "twenty first" → 21
				i += 2
				continue
			}
		}
		if ni < len(nums) && nums[ni].Start == i {
			out = append(out, nums[ni].Digits)
			i = nums[ni].End
			ni++
			continue
		}
		word := w[i]
		if v, ok := ordinalUnits[word]; ok {
			word = itoa(v)
		}
		out = append(out, word)
		i++
	}
	out = JoinLetters(out)
	res := out[:0]
	for _, word := range out {
		if a, ok := abbreviations[word]; ok {
			word = a
		}
		if fillers[word] {
			continue
		}
		res = append(res, word)
	}
	return res
}

// NameWords returns the words of a person's name for comparison: lower
// case, spelled letters joined, titles and generational suffixes dropped.
func NameWords(text string) []string {
	w := JoinLetters(Words(text))
	out := w[:0]
	for _, word := range w {
		if nameNoise[word] {
			continue
		}
		out = append(out, word)
	}
	return out
}

var nameNoise = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "jr": true, "sr": true,
	"ii": true, "iii": true, "iv": true, "the": true,
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return string([]byte{byte('0' + v/10), byte('0' + v%10)})
}
