package receptionist

import (
	"sort"
	"strings"

	"frontdesk/voice"
)

// intent is what a caller's phrase means to the dialogue.
type intent string

const (
	intentNone         intent = ""
	intentStaff        intent = "staff"
	intentRepeat       intent = "repeat"
	intentHelp         intent = "help"
	intentEmergency    intent = "emergency"
	intentHours        intent = "hours"
	intentAddress      intent = "address"
	intentAppointments intent = "appointments"
	intentBook         intent = "book"
	intentCancel       intent = "cancel"
	intentMove         intent = "move"
	intentPharmacy     intent = "pharmacy"
	intentPhone        intent = "phone"
	intentNewAddress   intent = "new-address"
	intentYes          intent = "yes"
	intentNo           intent = "no"
	intentGoodbye      intent = "goodbye"
	intentMore         intent = "more"
)

// phrases maps each phrase the caller may say to what it means.
type phrases map[string]intent

func (p phrases) add(i intent, ps ...string) phrases {
	for _, s := range ps {
		p[s] = i
	}
	return p
}

func (p phrases) merge(q phrases) phrases {
	out := phrases{}
	for k, v := range p {
		out[k] = v
	}
	for k, v := range q {
		out[k] = v
	}
	return out
}

// grammar builds the recogniser's grammar for a turn: the turn's phrases
// plus extra free phrases (names, pharmacies) that have no intent.
func (p phrases) grammar(name string, extra ...string) voice.Grammar {
	set := map[string]bool{}
	for k := range p {
		set[k] = true
	}
	for _, e := range extra {
		if e = normalisePhrase(e); e != "" {
			set[e] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return voice.Grammar{Name: name, Phrases: out}
}

// normalisePhrase makes a phrase fit a grammar: lower case, letters,
// apostrophes and spaces.
func normalisePhrase(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r == '\'':
			b.WriteRune(r)
			space = false
		case !space && b.Len() > 0:
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// always are the phrases every turn understands: a person, repetition,
// help, and emergencies (the monitors decide what an emergency is; these
// make sure the recogniser can hear one).
var always = phrases{}.
	add(intentStaff, "speak to staff", "staff", "operator", "representative", "front desk", "a person", "talk to a person", "speak to someone").
	add(intentRepeat, "repeat", "repeat that", "say that again", "what").
	add(intentHelp, "help").
	add(intentEmergency, "emergency", "this is an emergency", "it's an emergency", "medical emergency", "chest pain", "heart attack",
		"i can't breathe", "can't breathe", "trouble breathing", "stroke", "bleeding heavily", "overdose", "seizure",
		"allergic reaction", "choking", "suicide", "i want to kill myself", "kill myself", "hurt myself", "i want to die")

// clinicInfo is what anyone may ask before identifying themselves.
var clinicInfo = phrases{}.
	add(intentHours, "opening hours", "what are your hours", "hours", "when are you open").
	add(intentAddress, "clinic address", "where are you located", "your address", "directions")

var menu = phrases{}.
	add(intentAppointments, "my appointments", "appointments", "when is my appointment", "next appointment", "my next appointment", "check my appointments").
	add(intentBook, "book an appointment", "make an appointment", "schedule an appointment", "book", "new appointment").
	add(intentCancel, "cancel an appointment", "cancel my appointment", "cancel").
	add(intentMove, "move my appointment", "reschedule", "reschedule my appointment", "change my appointment").
	add(intentPharmacy, "change my pharmacy", "update my pharmacy", "new pharmacy", "pharmacy").
	add(intentPhone, "change my phone number", "update my phone number", "new phone number", "phone number").
	add(intentNewAddress, "change my address", "update my address", "new address", "i moved").
	add(intentGoodbye, "that's all", "nothing else", "goodbye", "no thank you", "no thanks")

var yesNo = phrases{}.
	add(intentYes, "yes", "yeah", "yes please", "correct", "that's right", "sure").
	add(intentNo, "no", "nope", "no thanks", "no thank you")

var choices = phrases{}.
	add(intentMore, "more", "other times", "something else", "later").
	add(intentNone, "first", "the first one", "second", "the second one", "third", "the third one", "one", "two", "three")

// choiceIndex maps a choice phrase to 0, 1, 2, or -1.
func choiceIndex(text string) int {
	switch text {
	case "first", "the first one", "one":
		return 0
	case "second", "the second one", "two":
		return 1
	case "third", "the third one", "three":
		return 2
	}
	return -1
}

// DefaultPharmacies are pharmacy names callers commonly give; a clinic adds
// its neighbourhood's in Config.
var DefaultPharmacies = []string{
	"cvs", "c v s", "cvs pharmacy", "walgreens", "rite aid", "walmart pharmacy", "costco pharmacy", "kroger pharmacy",
	"target pharmacy", "safeway pharmacy", "publix pharmacy", "wegmans pharmacy", "stop and shop pharmacy",
	"main street pharmacy", "elm street pharmacy", "the pharmacy on main street", "cvs on main street",
	"walgreens on main street", "cvs on elm street", "walgreens on elm street", "hospital pharmacy", "mail order pharmacy",
}

// DefaultStreets are street names the address grammar knows besides those
// in the patients' records.
var DefaultStreets = []string{
	"main street", "elm street", "oak street", "maple avenue", "park avenue", "washington street", "school street",
	"high street", "church street", "pleasant street", "center street", "north street", "spring street", "union street",
	"broadway", "summer street", "winter street", "lake street", "river road", "mill street",
}

var digitWords = []string{"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// addressGrammar accepts a house number said digit by digit, then a street.
func addressGrammar(streets []string) voice.Grammar {
	set := map[string]bool{}
	for _, s := range streets {
		if s = normalisePhrase(s); s != "" {
			set[s] = true
		}
	}
	var alt []string
	for s := range set {
		alt = append(alt, s)
	}
	sort.Strings(alt)
	j := "#JSGF V1.0;\ngrammar address;\n" +
		"public <address> = <digit>+ <street> | <always>;\n" +
		"<digit> = " + strings.Join(digitWords, " | ") + ";\n" +
		"<street> = " + strings.Join(alt, " | ") + ";\n"
	var al []string
	for k := range always {
		al = append(al, k)
	}
	sort.Strings(al)
	j += "<always> = " + strings.Join(al, " | ") + ";\n"
	return voice.Grammar{Name: "address", JSGF: j}
}

// wordsToDigits turns "one two three main street" into "123 Main Street":
// the value a spoken address states.
func wordsToDigits(text string) string {
	var num strings.Builder
	words := strings.Fields(text)
	i := 0
	for ; i < len(words); i++ {
		d := -1
		for k, w := range digitWords {
			if words[i] == w {
				d = k - 1
				if k == 0 {
					d = 0
				}
			}
		}
		if d < 0 {
			break
		}
		num.WriteByte(byte('0' + d))
	}
	street := speakableName(strings.Join(words[i:], " "))
	if num.Len() == 0 {
		return street
	}
	return num.String() + " " + street
}
