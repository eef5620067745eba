// Package score measures a phi.Detector against labelled text.
//
// The matching rule is token overlap, as in the Presidio evaluator: the text
// is split into tokens (maximal runs of letters and digits; punctuation and
// spaces are not tokens), each token takes the label of the gold span that
// covers it and the type of the predicted span that overlaps it, and
// precision and recall are counted over tokens. A predicted type matches a
// gold type when they are equal, or when both are parts of a location
// (ADDRESS, CITY, ZIP), since corpora split one postal address into street,
// city and ZIP differently. Span-level "redacted" rates are also reported: the
// share of gold spans whose every token lies inside some predicted span of any
// type, which is what matters for keeping an identifier out of a payload.
//
// Corpus labels are mapped to phi types (PERSON→NAME, STREET_ADDRESS→ADDRESS,
// GPE→CITY, DATE_TIME→DATE, PHONE_NUMBER→PHONE, EMAIL_ADDRESS→EMAIL,
// US_SSN→SSN, CREDIT_CARD, IP_ADDRESS→IP, DOMAIN_NAME→URL,
// US_DRIVER_LICENSE→LICENSE, ZIP_CODE→ZIP, IBAN_CODE→ACCOUNT, AGE). Gold
// spans that are not Safe Harbor identifiers are ignored, neither missed nor
// counted against a prediction that covers them: a year alone, a weekday or a
// time of day labelled DATE_TIME, an age of 89 or less, and a country or US
// state labelled GPE. ORGANIZATION, TITLE and NRP are reported but are not
// identifiers; a prediction over them counts as a false positive.
package score

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"frontdesk/gate/phi"
)

// Example is one labelled text.
type Example struct {
	Text  string
	Spans []Gold
}

// Gold is one labelled span: runes [Start, End) of the text.
type Gold struct {
	Label      string
	Start, End int
}

// Load reads a corpus: a Presidio-style JSON array (".json") or a marked-up
// text file with one example per line (see ParseMarked).
func Load(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".json") {
		return ReadPresidio(f)
	}
	return ReadMarked(f)
}

// ReadPresidio reads the JSON format of the presidio-research synthetic
// datasets: [{"full_text": ..., "spans": [{"entity_type", "start_position",
// "end_position"}]}], with offsets in code points.
func ReadPresidio(r io.Reader) ([]Example, error) {
	var raw []struct {
		FullText string `json:"full_text"`
		Spans    []struct {
			EntityType string `json:"entity_type"`
			Start      int    `json:"start_position"`
			End        int    `json:"end_position"`
		} `json:"spans"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("score: decode corpus: %w", err)
	}
	out := make([]Example, 0, len(raw))
	for i, x := range raw {
		ex := Example{Text: x.FullText}
		n := utf8.RuneCountInString(x.FullText)
		for _, s := range x.Spans {
			if s.Start < 0 || s.End > n || s.Start >= s.End {
				return nil, fmt.Errorf("score: example %d: span %d-%d out of range", i, s.Start, s.End)
			}
			ex.Spans = append(ex.Spans, Gold{Label: s.EntityType, Start: s.Start, End: s.End})
		}
		out = append(out, ex)
	}
	return out, nil
}

// ReadMarked reads one example per line written with inline labels:
// "hi this is {NAME:maria gonzalez}, my number is {PHONE:555-201-7788}".
// Empty lines and lines starting with '#' are skipped.
func ReadMarked(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		ex, err := ParseMarked(strings.ReplaceAll(t, `\n`, "\n"))
		if err != nil {
			return nil, fmt.Errorf("score: line %d: %w", line, err)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("score: read: %w", err)
	}
	return out, nil
}

// ParseMarked parses one marked-up example: each "{LABEL:text}" becomes a
// gold span labelled LABEL over text.
func ParseMarked(s string) (Example, error) {
	var ex Example
	var b strings.Builder
	runes := 0
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c != '{' {
			b.WriteRune(c)
			runes++
			i += size
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		colon := strings.IndexByte(s[i:], ':')
		if end < 0 || colon < 0 || colon > end {
			return ex, errors.New("unbalanced label")
		}
		label, body := s[i+1:i+colon], s[i+colon+1:i+end]
		n := utf8.RuneCountInString(body)
		ex.Spans = append(ex.Spans, Gold{Label: label, Start: runes, End: runes + n})
		b.WriteString(body)
		runes += n
		i += end + 1
	}
	ex.Text = b.String()
	return ex, nil
}

// labelClass says how a gold label is scored.
type labelClass uint8

const (
	scored     labelClass = iota // a Safe Harbor type
	ignored                      // not an identifier here; left out of all counts
	reportOnly                   // not an identifier; predictions over it are false positives
)

// MapLabel maps a corpus label and its text to a phi type and says whether the
// span is scored.
func mapLabel(label, value string) (string, labelClass) {
	v := strings.TrimSpace(value)
	switch label {
	case "PERSON":
		return string(phi.Name), scored
	case "STREET_ADDRESS":
		return string(phi.Address), scored
	case "GPE", "LOCATION":
		if phi.IsRegion(v) {
			return string(phi.City), ignored
		}
		return string(phi.City), scored
	case "DATE_TIME":
		if yearOrWeekday(v) {
			return string(phi.Date), ignored
		}
		return string(phi.Date), scored
	case "PHONE_NUMBER":
		return string(phi.Phone), scored
	case "EMAIL_ADDRESS":
		return string(phi.Email), scored
	case "US_SSN":
		return string(phi.SSN), scored
	case "CREDIT_CARD":
		return string(phi.CreditCard), scored
	case "IP_ADDRESS":
		return string(phi.IP), scored
	case "DOMAIN_NAME", "URL":
		return string(phi.URL), scored
	case "US_DRIVER_LICENSE":
		return string(phi.License), scored
	case "ZIP_CODE":
		return string(phi.ZIP), scored
	case "IBAN_CODE", "US_BANK_NUMBER":
		return string(phi.Account), scored
	case "AGE":
		if a, err := strconv.Atoi(v); err == nil && a <= 89 {
			return string(phi.Age), ignored
		}
		return string(phi.Age), scored
	}
	for _, t := range phi.Types {
		if label == string(t) {
			return label, scored
		}
	}
	return label, reportOnly
}

// yearOrWeekday reports whether a DATE_TIME value is only a year, a weekday
// or a time of day, none of which is a Safe Harbor date element.
func yearOrWeekday(v string) bool {
	l := strings.ToLower(v)
	switch l {
	case "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday":
		return true
	}
	if len(l) == 4 {
		if _, err := strconv.Atoi(l); err == nil {
			return true
		}
	}
	digitsColons := l != ""
	for _, c := range l {
		if !(c >= '0' && c <= '9' || c == ':') {
			digitsColons = false
		}
	}
	return digitsColons && strings.Contains(l, ":")
}

// BarTypes are the types combined in the headline figure.
var BarTypes = []phi.Type{phi.Name, phi.Date, phi.Phone, phi.Email, phi.SSN, phi.Address}

// Tally counts tokens and spans for one label.
type Tally struct {
	GoldSpans    int // gold spans scored
	RedactedSpan int // gold spans wholly covered by predictions of any type
	GoldTokens   int // gold tokens scored
	Found        int // gold tokens covered by a prediction of a matching type
	Predicted    int // tokens predicted with this type
	Correct      int // predicted tokens whose gold type matches
}

// Precision returns Correct/Predicted, or 1 when nothing was predicted.
func (t Tally) Precision() float64 { return ratio(t.Correct, t.Predicted) }

// Recall returns Found/GoldTokens, or 1 when there is no gold.
func (t Tally) Recall() float64 { return ratio(t.Found, t.GoldTokens) }

// F2 returns the F-measure weighting recall twice as much as precision.
func (t Tally) F2() float64 {
	p, r := t.Precision(), t.Recall()
	if p+r == 0 {
		return 0
	}
	return 5 * p * r / (4*p + r)
}

// SpanRedacted returns the share of gold spans wholly covered.
func (t Tally) SpanRedacted() float64 { return ratio(t.RedactedSpan, t.GoldSpans) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Report is the result of an evaluation.
type Report struct {
	Examples int
	ByLabel  map[string]*Tally // phi types and report-only corpus labels
	Errors   []Miss            // at most the number asked for
}

// Miss is one disagreement, kept for inspecting a detector's errors.
type Miss struct {
	Example  int
	Token    string
	Gold     string // "" when the token is not labelled
	Got      string // "" when nothing was predicted
	Sentence string
}

// Overall returns the combined tally over the given types: gold counts from
// the gold labels and predicted counts from the predicted types.
func (r *Report) Overall(types []phi.Type) Tally {
	var o Tally
	for _, t := range types {
		if x, ok := r.ByLabel[string(t)]; ok {
			o.GoldSpans += x.GoldSpans
			o.RedactedSpan += x.RedactedSpan
			o.GoldTokens += x.GoldTokens
			o.Found += x.Found
			o.Predicted += x.Predicted
			o.Correct += x.Correct
		}
	}
	return o
}

func (r *Report) tally(label string) *Tally {
	t, ok := r.ByLabel[label]
	if !ok {
		t = &Tally{}
		r.ByLabel[label] = t
	}
	return t
}

func compatible(gold, got string) bool {
	if gold == got {
		return true
	}
	loc := func(s string) bool {
		return s == string(phi.Address) || s == string(phi.City) || s == string(phi.ZIP)
	}
	return loc(gold) && loc(got)
}

// Evaluate runs d over the examples and counts agreement with their labels.
// It keeps up to maxErrors disagreements in the report.
func Evaluate(d *phi.Detector, examples []Example, maxErrors int) *Report {
	r := &Report{ByLabel: map[string]*Tally{}}
	for ei, ex := range examples {
		r.Examples++
		toks := words(ex.Text)
		gold := make([]string, len(toks))
		class := make([]labelClass, len(toks))
		for k := range class {
			class[k] = ignored + 10 // unlabelled
		}
		runes := []rune(ex.Text)
		for _, g := range ex.Spans {
			label, c := mapLabel(g.Label, string(runes[g.Start:g.End]))
			for k, t := range toks {
				if t.start < g.End && t.end > g.Start {
					gold[k], class[k] = label, c
				}
			}
		}
		got := make([]string, len(toks))
		for _, sp := range d.Detect(ex.Text) {
			for k, t := range toks {
				if t.start < sp.End && t.end > sp.Start {
					got[k] = string(sp.Type)
				}
			}
		}
		// Spans.
		for _, g := range ex.Spans {
			label, c := mapLabel(g.Label, string(runes[g.Start:g.End]))
			if c == ignored {
				continue
			}
			tl := r.tally(label)
			tl.GoldSpans++
			all, any := true, false
			for k, t := range toks {
				if t.start < g.End && t.end > g.Start {
					any = true
					if got[k] == "" {
						all = false
					}
				}
			}
			if all && any {
				tl.RedactedSpan++
			}
		}
		// Tokens.
		for k, t := range toks {
			if class[k] == ignored {
				continue
			}
			g, p := gold[k], got[k]
			if g != "" {
				tl := r.tally(g)
				tl.GoldTokens++
				if p != "" && (class[k] != scored || compatible(g, p)) {
					if class[k] == scored {
						tl.Found++
					} else {
						tl.Found++ // report-only: tokens predicted as anything
					}
				}
			}
			if p != "" {
				tp := r.tally(p)
				tp.Predicted++
				if class[k] == scored && compatible(g, p) {
					tp.Correct++
				}
			}
			bad := (g != "" && class[k] == scored && !compatible(g, p)) || (p != "" && !(class[k] == scored && compatible(g, p)))
			if bad && len(r.Errors) < maxErrors {
				r.Errors = append(r.Errors, Miss{Example: ei, Token: string(runes[t.start:t.end]), Gold: g, Got: p, Sentence: ex.Text})
			}
		}
	}
	return r
}

type word struct{ start, end int }

// words splits text into maximal runs of letters and digits, in runes.
func words(text string) []word {
	var out []word
	start := -1
	i := 0
	for _, c := range text {
		in := unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsMark(c)
		if in && start < 0 {
			start = i
		}
		if !in && start >= 0 {
			out = append(out, word{start, i})
			start = -1
		}
		i++
	}
	if start >= 0 {
		out = append(out, word{start, i})
	}
	return out
}

// Write prints the report as a table: one line per label with gold tokens,
// precision, recall, F2 and the share of gold spans wholly redacted, then the
// combined line over BarTypes.
func (r *Report) Write(w io.Writer) error {
	var labels []string
	for l := range r.ByLabel {
		labels = append(labels, l)
	}
	order := map[string]int{}
	for i, t := range phi.Types {
		order[string(t)] = i
	}
	sort.Slice(labels, func(i, j int) bool {
		oi, iok := order[labels[i]]
		oj, jok := order[labels[j]]
		if iok != jok {
			return iok
		}
		if iok {
			return oi < oj
		}
		return labels[i] < labels[j]
	})
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-14s %6s %6s %7s %7s %7s %7s %9s\n", "type", "spans", "tokens", "pred", "P", "R", "F2", "redacted")
	for _, l := range labels {
		t := r.ByLabel[l]
		_, known := order[l]
		if !known {
			fmt.Fprintf(bw, "%-14s %6d %6d %7s %7s %7s %7s %9s   (not an identifier; %d tokens flagged)\n",
				l, t.GoldSpans, t.GoldTokens, "-", "-", "-", "-", "-", t.Found)
			continue
		}
		fmt.Fprintf(bw, "%-14s %6d %6d %7d %7.3f %7.3f %7.3f %9.3f\n", l, t.GoldSpans, t.GoldTokens, t.Predicted,
			t.Precision(), t.Recall(), t.F2(), t.SpanRedacted())
	}
	o := r.Overall(BarTypes)
	fmt.Fprintf(bw, "%-14s %6d %6d %7d %7.3f %7.3f %7.3f %9.3f   (NAME DATE PHONE EMAIL SSN ADDRESS)\n", "OVERALL",
		o.GoldSpans, o.GoldTokens, o.Predicted, o.Precision(), o.Recall(), o.F2(), o.SpanRedacted())
	return bw.Flush()
}

// Split returns the examples at even (odd=false) or odd (odd=true) positions.
func Split(examples []Example, odd bool) []Example {
	var out []Example
	for i, ex := range examples {
		if (i%2 == 1) == odd {
			out = append(out, ex)
		}
	}
	return out
}
