package phi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"frontdesk/gate/phi"
	"frontdesk/gate/phi/score"
)

// check runs d over a marked-up example ("call {PHONE:555-201-7788}") and
// fails unless every marked identifier is inside a detected span of a
// matching type and every detected span overlaps a marked identifier.
func check(t *testing.T, d *phi.Detector, marked string) {
	t.Helper()
	ex, err := score.ParseMarked(marked)
	if err != nil {
		t.Fatalf("bad example %q: %v", marked, err)
	}
	got := d.Detect(ex.Text)
	runes := []rune(ex.Text)
	show := func() string {
		var b strings.Builder
		for _, s := range got {
			fmt.Fprintf(&b, " %s%q(%.2f)", s.Type, string(runes[s.Start:s.End]), s.Score)
		}
		return b.String()
	}
	for _, g := range ex.Spans {
		covered := 0
		for _, s := range got {
			if s.Start < g.End && s.End > g.Start && compatible(g.Label, string(s.Type)) {
				covered += min(s.End, g.End) - max(s.Start, g.Start)
			}
		}
		if covered < g.End-g.Start {
			t.Errorf("%q: %s %q not detected; got%s", ex.Text, g.Label, string(runes[g.Start:g.End]), show())
		}
	}
	for _, s := range got {
		hit := false
		for _, g := range ex.Spans {
			if s.Start < g.End && s.End > g.Start {
				hit = true
			}
		}
		if !hit {
			t.Errorf("%q: false positive %s %q", ex.Text, s.Type, string(runes[s.Start:s.End]))
		}
	}
}

func compatible(gold, got string) bool {
	loc := map[string]bool{"ADDRESS": true, "CITY": true, "ZIP": true}
	return gold == got || loc[gold] && loc[got]
}

func run(t *testing.T, examples []string) {
	t.Helper()
	d := phi.New(phi.Options{})
	for _, ex := range examples {
		check(t, d, ex)
	}
}

func TestNames(t *testing.T) {
	run(t, []string{
		"hi this is {NAME:maria gonzalez} calling about my appointment",
		"My name is {NAME:Aantje Mourik}.",
		"Hello, this is Dr. {NAME:Kyle Kuefer}. Who are you?",
		"can I speak to Mrs. {NAME:Patel} please",
		"follow up with {NAME:patricia desrosiers} in a couple of months",
		"I'm calling for my daughter {NAME:Emily}, she has a rash",
		"{NAME:Krisztián Szöllösy} called about the bill",
		"What's your last name? {NAME:Magnusson}",
		"sometimes people call me {NAME:višeslav}",
		"{NAME:Maria}: I need to cancel\nReceptionist: sure",
		"it's {NAME:Kowalczyk}, {NAME:K-O-W-A-L-C-Z-Y-K}",
		"they had three: {NAME:Hannah}, {NAME:Derek} and {NAME:Anna}",
		"is Dr. {NAME:Brown} in today",
		"the note was signed by {NAME:Janka M. Szász}",
	})
}

func TestNameNegatives(t *testing.T) {
	run(t, []string{
		"Will you call me back tomorrow morning",
		"I may need to reschedule to next week",
		"the doctor said to march in place",
		"I'm feeling much better today, thank you",
		"can I get a refill on my Lisinopril",
		"I work for Microsoft",
		"Capitalized words like Wisdom and Discipline are not names.",
		"I'm at the CVS near the park",
		"Pt denies fever. ADLs intact. Chest x-ray clear.",
	})
}

func TestKnownNames(t *testing.T) {
	d := phi.New(phi.Options{KnownNames: []string{"Dr. June Park", "Rosalind Oyelaran-Whitfield"}})
	check(t, d, "please tell {NAME:june park} that I called")
	check(t, d, "is {NAME:Oyelaran-Whitfield} available")
	check(t, d, "my mother {NAME:rosalind} will bring me")
	// "June" alone is an everyday word and identifies no one.
	check(t, d, "the appointment is in late june")
}

func TestDates(t *testing.T) {
	run(t, []string{
		"my date of birth is {DATE:march third nineteen eighty}",
		"born {DATE:03/14/1980}",
		"the DOB is {DATE:1980-03-14}",
		"I was born on {DATE:March 3rd, 1980}",
		"my birthday is {DATE:the fourteenth of march}",
		"seen {DATE:3 March}",
		"born {DATE:august twenty first nineteen sixty two}",
		"we'll see you on {DATE:the 21st}",
		"she started the medicine in {DATE:May 2019}",
		"born {DATE:june 5th, two thousand and five}",
		"admitted on {DATE:2000-04-16 11:34:35}",
		"discharged on {DATE:4/2} with her daughter",
		"admitted {DATE:14-Mar-2089} for CHF",
		"my date of birth is {DATE:march 14 80}",
		"her date of birth is {DATE:4 15 1950}",
		"confirming your appointment on thursday {DATE:the twelfth}",
	})
}

func TestDateNegatives(t *testing.T) {
	run(t, []string{
		"I'll be there at 3 o'clock",
		"take 1/2 tablet at night",
		"I was born in 1980",
		"see you on Tuesday",
		"the blood pressure was 120 over 80",
		"I may be late",
		"on the first floor",
	})
}

func TestAges(t *testing.T) {
	run(t, []string{
		"her mother is {AGE:93} years old",
		"he's {AGE:ninety two} and lives alone",
		"a {AGE:97}-year-old male",
		"Pt is a {AGE:91} yo female",
		"age {AGE:104}",
		"I'm 45 and healthy",
		"a 79 year old female",
		"she turned {AGE:a hundred and one} last week",
	})
}

func TestPhones(t *testing.T) {
	run(t, []string{
		"my callback number is {PHONE:555-201-7788}",
		"the fax is {PHONE:(503) 555-0142}",
		"call me on {PHONE:+44 20 7946 0958}",
		"you can reach me at {PHONE:five five five two oh one seven seven eight eight}",
		"it's {PHONE:five five five, one two one two}",
		"my cell is {PHONE:double five five two oh one three three four four}",
		"{PHONE:345-899-3560x4587}",
		"Phone: {PHONE:0490 75 40 81}",
		"They're not answering at {PHONE:780-999-2181}",
	})
}

func TestPhoneNegatives(t *testing.T) {
	run(t, []string{
		"take two tablets twice a day",
		"she is in room 12",
		"one two three, testing",
		"the copay was 25 dollars",
		"my appointment is at 10 30 on monday",
	})
}

func TestSSN(t *testing.T) {
	run(t, []string{
		"my ssn is {SSN:123-45-6789}",
		"Here's my SSN: {SSN:460-89-9847}",
		"my social is {SSN:one two three four five six seven eight nine}",
		"the last four of my social are {SSN:four four one two}",
		"social security number {SSN:853371694}",
	})
}

func TestEmailURLIP(t *testing.T) {
	run(t, []string{
		"my email is {EMAIL:maria.gonzalez@example.com}.",
		"it's {EMAIL:jsmith at gmail dot com}",
		"the portal is {URL:https://portal.example-clinic.org/login}.",
		"see {URL:www.example.org}",
		"My website is {URL:ScrapbookInsider.com.pt}",
		"the kiosk is at {IP:192.168.10.24}",
		"ipv6 {IP:2001:db8:85a3::8a2e:370:7334}",
		"the meeting ran 10:30:45 long",
	})
}

func TestIdentifiers(t *testing.T) {
	run(t, []string{
		"the medical record number is {MRN:00482913}",
		"MRN: {MRN:4477120}",
		"my member ID is {HEALTH_PLAN:XJH448812903}",
		"my policy number is {HEALTH_PLAN:W 2244 8891}",
		"Medicare number {HEALTH_PLAN:1EG4-TE5-MK73}",
		"my account number is {ACCOUNT:7781 2290 0013}",
		"driver's license {LICENSE:D1234567}",
		"my pacemaker serial number is {DEVICE_ID:PM4471902}",
		"the card is {CREDIT_CARD:4111 1111 1111 1111}",
		"What is the limit for card {CREDIT_CARD:4454794511390933}?",
		"my member number is {HEALTH_PLAN:four four seven one two nine}",
	})
}

func TestAddresses(t *testing.T) {
	run(t, []string{
		"I need to change my pharmacy to the CVS on {ADDRESS:1200 Main Street}",
		"I live at {ADDRESS:42 Oak Avenue, Apartment 3B, Portland, Oregon 97205}",
		"please mail it to {ADDRESS:PO Box 1187, Salem, OR 97301}",
		"I'm at {ADDRESS:1550 east cedar lane} near the park",
		"send it to {ADDRESS:P.O. Box 211}",
		"{ADDRESS:28030 Edeby 55\n Apt. 297\n TYSTBERGA\n Sweden 99178}",
		"{NAME:Tomomi Nishiyama} lives at {ADDRESS:86036 Rua do Arenque 1634}, {CITY:Goiânia}",
		"The bus station is on {ADDRESS:Villacher Strasse 89}",
		"Meet me at {ADDRESS:PSC 1437, Box 3833\nAPO AA 66791}",
		"my zip code is {ZIP:97214}",
		"we moved here from {CITY:Tucson} last year",
		"my friend lives in {CITY:harburg}",
		"Mr. {NAME:Leiva} flew to {CITY:LEPPEN} on Tuesday morning.",
	})
}

func TestOffsetsAreRunes(t *testing.T) {
	d := phi.New(phi.Options{})
	text := "Ünïcödé prefix — call Žofia Nováková at 555-201-7788"
	spans := d.Detect(text)
	runes := []rune(text)
	want := map[string]phi.Type{"Žofia Nováková": phi.Name, "555-201-7788": phi.Phone}
	for _, s := range spans {
		v := string(runes[s.Start:s.End])
		if typ, ok := want[v]; !ok || typ != s.Type {
			t.Errorf("unexpected span %s %q", s.Type, v)
		}
		delete(want, v)
	}
	for v := range want {
		t.Errorf("missing %q", v)
	}
}

func TestSpanJSON(t *testing.T) {
	b, err := json.Marshal([]phi.Span{{Start: 3, End: 9, Type: phi.Phone, Score: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `[{"start":3,"end":9,"type":"PHONE","score":0.9}]`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}

func TestMinScore(t *testing.T) {
	text := "the number 9498777106 and Dr. Kyle Kuefer"
	low := phi.New(phi.Options{MinScore: 0.01}).Detect(text)
	high := phi.New(phi.Options{MinScore: 0.999}).Detect(text)
	if len(low) < 2 {
		t.Errorf("MinScore 0.01 found %d spans, want at least 2", len(low))
	}
	if len(high) != 0 {
		t.Errorf("MinScore 0.999 found %v, want none", high)
	}
	for _, s := range phi.New(phi.Options{MinScore: 0.7}).Detect(text) {
		if s.Score < 0.7 {
			t.Errorf("span %v below MinScore", s)
		}
	}
}

// validSpans checks the Detect contract: in range, sorted, non-overlapping.
func validSpans(t testing.TB, text string, spans []phi.Span) {
	n := utf8.RuneCountInString(text)
	for i, s := range spans {
		if s.Start < 0 || s.End > n || s.Start >= s.End {
			t.Fatalf("span %d %+v out of range for %d runes in %q", i, s, n, text)
		}
		if i > 0 && s.Start < spans[i-1].End {
			t.Fatalf("span %d %+v overlaps %+v in %q", i, s, spans[i-1], text)
		}
		if s.Score <= 0 || s.Score > 1 {
			t.Fatalf("span %+v score out of (0, 1]", s)
		}
	}
}

func TestConcurrentDetect(t *testing.T) {
	d := phi.New(phi.Options{KnownNames: []string{"Maria Gonzalez"}})
	texts := []string{
		"hi this is maria gonzalez my date of birth is march third nineteen eighty",
		"my callback number is 555-201-7788 and my ssn is 123-45-6789",
		"I live at 42 Oak Avenue, Portland, Oregon 97205",
		"Hello, this is Dr. Kyle Kuefer. Who are you?",
	}
	want := make([][]phi.Span, len(texts))
	for i, tx := range texts {
		want[i] = d.Detect(tx)
		if len(want[i]) == 0 {
			t.Fatalf("no spans in %q", tx)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 300; k++ {
				i := (g + k) % len(texts)
				got := d.Detect(texts[i])
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					select {
					case errs <- fmt.Sprintf("goroutine %d: %v != %v", g, got, want[i]):
					default:
					}
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"hi this is maria gonzalez my date of birth is march third nineteen eighty",
		"call 555-201-7788 or +41 (0)96 471 07 95, ssn 123-45-6789",
		"28030 Edeby 55\n Apt. 297\n TYSTBERGA\n Sweden 99178",
		"P.O. Box 12, x@y.co, http://a.b/c, 1.2.3.4, ::1:2:3:4, Dr. Ø'Brien-Ñ",
		"", "{", "\xff\xfe", "a'", "'s", "12/", "-1-", "five five five",
	} {
		f.Add(s)
	}
	d := phi.New(phi.Options{KnownNames: []string{"Maria Gonzalez", "Ø Brien"}})
	f.Fuzz(func(t *testing.T, text string) {
		spans := d.Detect(text)
		validSpans(t, text, spans)
		out, counts := phi.Redact(text, spans, phi.Placeholder)
		if counts.Total() != len(spans) {
			t.Fatalf("redacted %d of %d spans", counts.Total(), len(spans))
		}
		if len(spans) == 0 && out != text {
			t.Fatalf("text changed with no spans")
		}
	})
}

func TestDetectContractOnCorpus(t *testing.T) {
	examples, err := score.Load("../../testdata/pii/synth_dataset_v2.json")
	if err != nil {
		t.Fatal(err)
	}
	d := phi.New(phi.Options{})
	for _, ex := range examples {
		validSpans(t, ex.Text, d.Detect(ex.Text))
	}
}
