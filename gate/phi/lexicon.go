package phi

import (
	"strings"
)

// lexFlag records what the embedded lexicon knows about a lower-case word.
type lexFlag uint32

const (
	lexFirst      lexFlag = 1 << iota // a frequent given name
	lexLast                           // a frequent surname
	lexCommon                         // an everyday English word
	lexCountry                        // a country or continent
	lexState                          // a US state
	lexStateCode                      // a USPS state code
	lexCity                           // a large city
	lexStreet                         // a street word (street, ave, rua, vej)
	lexUnit                           // a unit word (apt, suite, box)
	lexOrg                            // ends an organisation's name
	lexTitle                          // a title before a name
	lexRelation                       // a relation before a name (wife, son)
	lexMonth                          // a month name or abbreviation
	lexWeekday                        // a day of the week
	lexMultiStart                     // first word of a multi-word place
	lexParticle                       // a surname particle (van, de)
	lexSuffix                         // a name suffix (jr, iii)
	lexNumber                         // a number word (five, twenty, hundred, oh)
)

var (
	lexicon    = map[string]lexFlag{}
	multiPlace = map[string]lexFlag{} // "new york" -> lexState
)

// months maps month names and abbreviations to their number.
var months = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
}

// unitNumbers maps number words to their value.
var unitNumbers = map[string]int{
	"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}

// tensNumbers maps the tens words to their value.
var tensNumbers = map[string]int{
	"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90,
}

// ordinals maps ordinal words to their value; compounds ("twenty first") are
// a tens word followed by one of these.
var ordinals = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
	"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
	"nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

// nameSurnameEndings are word endings typical of surnames in many languages.
var surnameEndings = []string{
	"sson", "sen", "son", "ez", "ski", "ska", "sky", "ská", "ský", "ová", "ova", "ov", "ev", "eva",
	"enko", "escu", "ovic", "ović", "ić", "ic", "poulos", "akis", "oglu", "oğlu", "yan", "ian",
	"stein", "berg", "mann", "ini", "elli", "etti", "dóttir", "dottir", "zadeh", "ishvili", "chuk",
	"czyk", "wicz", "vich", "ius", "aitis", "tti", "ssen", "quist", "strom", "ström", "kov", "ek",
}

func init() {
	add := func(list string, f lexFlag) {
		for _, w := range strings.Fields(list) {
			if strings.Contains(w, "_") {
				words := strings.Split(w, "_")
				multiPlace[strings.Join(words, " ")] |= f
				lexicon[words[0]] |= lexMultiStart
				continue
			}
			lexicon[w] |= f
		}
	}
	add(firstNames, lexFirst)
	add(lastNames, lexLast)
	add(commonWords, lexCommon)
	add(commonIrregular, lexCommon)
	add(moreWords, lexCommon)
	add(countries, lexCountry)
	add(usStates, lexState)
	add(stateCodes, lexStateCode)
	add(cities, lexCity)
	add(streetSuffixes, lexStreet)
	add(unitWords, lexUnit)
	add(orgSuffixes, lexOrg)
	add(titles, lexTitle)
	add(nameCueAfter, lexRelation)
	add(`van von de der den del della di da do dos das du la le st bin ibn al el ben mac ter ten af zu nad pod na am an im sur sous op aan bei y e`, lexParticle)
	add(`jr sr ii iii iv md phd`, lexSuffix)
	add(`monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun`, lexWeekday)
	add(`english spanish french german italian portuguese chinese mandarin cantonese japanese korean
		vietnamese russian polish arabic hindi urdu tagalog greek dutch swedish norwegian danish finnish
		turkish persian farsi hebrew somali haitian creole american canadian mexican african european asian
		indian british irish scottish latino latina hispanic catholic christian muslim jewish buddhist
		hindu protestant baptist methodist lutheran`, lexCommon)
	for m := range months {
		lexicon[m] |= lexMonth
	}
	for w := range unitNumbers {
		lexicon[w] |= lexNumber
	}
	for w := range tensNumbers {
		lexicon[w] |= lexNumber
	}
	for _, w := range []string{"hundred", "thousand", "double", "triple", "a"} {
		lexicon[w] |= lexNumber
	}
}

// lookup returns the lexicon flags of a lower-case word, adding lexCommon for
// regular inflections of common words.
func lookup(w string) lexFlag {
	f := lexicon[w]
	if f&(lexCommon|lexFirst|lexLast) == 0 && len(w) > 3 && isInflectedCommon(w) {
		f |= lexCommon
	}
	return f
}

// isInflectedCommon reports whether w is a regular inflection of a common word.
func isInflectedCommon(w string) bool {
	return inflected(w, 2)
}

func inflected(w string, depth int) bool {
	common := func(s string) bool { return lexicon[s]&lexCommon != 0 }
	prefixed := func(s string) bool {
		return lexicon[s]&lexCommon != 0 || depth > 0 && len(s) > 3 && inflected(s, depth-1)
	}
	n := len(w)
	switch {
	case len(w) > 6 && (strings.HasPrefix(w, "un") && prefixed(w[2:]) || strings.HasPrefix(w, "re") && prefixed(w[2:]) ||
		strings.HasPrefix(w, "dis") && prefixed(w[3:]) || strings.HasPrefix(w, "non") && prefixed(w[3:]) ||
		strings.HasPrefix(w, "pre") && prefixed(w[3:]) || strings.HasPrefix(w, "mis") && prefixed(w[3:])):
		return true
	case strings.HasSuffix(w, "'s"):
		return common(w[:n-2])
	case strings.HasSuffix(w, "ies"):
		return common(w[:n-3] + "y")
	case strings.HasSuffix(w, "es") && common(w[:n-1]):
		return true
	case strings.HasSuffix(w, "es") && strings.ContainsAny(w[n-3:n-2], "sxzho") && common(w[:n-2]):
		return true
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return common(w[:n-1])
	case strings.HasSuffix(w, "ied"):
		return common(w[:n-3] + "y")
	case strings.HasSuffix(w, "ed"):
		return common(w[:n-2]) || common(w[:n-1]) || (n > 4 && w[n-3] == w[n-4] && common(w[:n-3]))
	case strings.HasSuffix(w, "ing"):
		return common(w[:n-3]) || common(w[:n-3]+"e") || (n > 5 && w[n-4] == w[n-5] && common(w[:n-4]))
	case strings.HasSuffix(w, "ly"):
		return common(w[:n-2]) || (strings.HasSuffix(w, "ily") && common(w[:n-3]+"y"))
	case strings.HasSuffix(w, "er"):
		return common(w[:n-2]) || common(w[:n-1])
	case strings.HasSuffix(w, "est"):
		return common(w[:n-3]) || common(w[:n-2])
	case strings.HasSuffix(w, "ness"), strings.HasSuffix(w, "ment"), strings.HasSuffix(w, "less"), strings.HasSuffix(w, "ful"):
		return true
	case strings.HasSuffix(w, "tion"), strings.HasSuffix(w, "sion"), strings.HasSuffix(w, "ity"), strings.HasSuffix(w, "ology"),
		strings.HasSuffix(w, "itis"), strings.HasSuffix(w, "ectomy"), strings.HasSuffix(w, "scopy"), strings.HasSuffix(w, "emia"),
		strings.HasSuffix(w, "osis"), strings.HasSuffix(w, "pathy"), strings.HasSuffix(w, "plasty"), strings.HasSuffix(w, "ism"),
		strings.HasSuffix(w, "ical"), strings.HasSuffix(w, "ous"), strings.HasSuffix(w, "ive"), strings.HasSuffix(w, "able"),
		strings.HasSuffix(w, "ible"), strings.HasSuffix(w, "ance"), strings.HasSuffix(w, "ence"), strings.HasSuffix(w, "ization"),
		strings.HasSuffix(w, "pril"), strings.HasSuffix(w, "olol"), strings.HasSuffix(w, "statin"), strings.HasSuffix(w, "sartan"),
		strings.HasSuffix(w, "cillin"), strings.HasSuffix(w, "mycin"), strings.HasSuffix(w, "azole"), strings.HasSuffix(w, "prazole"),
		strings.HasSuffix(w, "dipine"), strings.HasSuffix(w, "mab"), strings.HasSuffix(w, "tide"), strings.HasSuffix(w, "formin"):
		return true
	}
	return false
}

// hasSurnameEnding reports whether w ends like a surname in many languages.
func hasSurnameEnding(w string) bool {
	if len(w) < 5 {
		return false
	}
	for _, e := range surnameEndings {
		if strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}

// streetEndings are endings of compound street names (Koskikatu, Ringvej).
var streetEndings = []string{"katu", "kuja", "tie", "gata", "gatan", "vej", "vägen", "vegen", "veien", "strasse",
	"straße", "gasse", "weg", "platz", "allee", "utca", "vænget", "gade", "polku", "stræde", "laan", "straat",
	"gracht", "plein", "väg", "vägen", "torget"}

// hasStreetEnding reports whether a word is a compound street name.
func hasStreetEnding(w string) bool {
	if len(w) < 6 {
		return false
	}
	for _, e := range streetEndings {
		if strings.HasSuffix(w, e) && len(w) > len(e)+2 {
			return true
		}
	}
	return false
}

// IsRegion reports whether s names a country, a continent or a US state:
// places that Safe Harbor does not require removing, unlike cities.
func IsRegion(s string) bool {
	w := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if f, ok := multiPlace[w]; ok {
		return f&(lexCountry|lexState) != 0
	}
	return lexicon[w]&(lexCountry|lexState) != 0 || (len(w) == 2 && lexicon[w]&lexStateCode != 0)
}

// isCompound reports whether w is two everyday words run together
// ("betterlesson", "futureadvisor"), as brand names are and people's names
// rarely are.
func isCompound(w string) bool {
	if len(w) < 7 {
		return false
	}
	for i := 3; i <= len(w)-3; i++ {
		if lexicon[w[:i]]&lexCommon != 0 && len(w[:i]) >= 3 && lookup(w[i:])&lexCommon != 0 && lexicon[w[i:]]&(lexFirst|lexLast) == 0 {
			return true
		}
	}
	return false
}

// orgEndings end brand names run together from words ("Mandasoft",
// "Roadify", "Citigroup"); people's names rarely end so.
var orgEndings = []string{"soft", "group", "tech", "ware", "web", "net", "data", "link", "labs", "works",
	"point", "force", "corp", "bank", "care", "mart", "book", "flow", "base", "hub", "scope", "ify", "insider",
	"advisor", "lytics", "metrics", "matic", "tronics", "sys", "logic", "gen", "bio", "pharma", "quest",
	"union", "score", "cast", "coin", "box", "gov", "list", "storm", "lesson", "num"}

// hasOrgEnding reports whether w ends like a brand name.
func hasOrgEnding(w string) bool {
	for _, e := range orgEndings {
		if len(w) > len(e)+2 && strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}
