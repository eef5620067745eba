package score

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"frontdesk/gate/phi"
)

const corpus = "../../../testdata/pii/synth_dataset_v2.json"

// The bar over NAME, DATE, PHONE, EMAIL, SSN and ADDRESS combined.
const (
	minRecall    = 0.95
	minPrecision = 0.85
)

func evaluate(t *testing.T, path string) *Report {
	t.Helper()
	examples, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 {
		t.Fatalf("%s: no examples", path)
	}
	return Evaluate(phi.New(phi.Options{}), examples, 0)
}

func TestPresidioCorpusMeetsBar(t *testing.T) {
	r := evaluate(t, corpus)
	var b strings.Builder
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	o := r.Overall(BarTypes)
	if o.GoldTokens < 4000 {
		t.Fatalf("only %d gold tokens in the bar; corpus not loaded whole", o.GoldTokens)
	}
	if o.Recall() < minRecall || o.Precision() < minPrecision {
		t.Errorf("overall P %.3f R %.3f, want P >= %.2f and R >= %.2f", o.Precision(), o.Recall(), minPrecision, minRecall)
	}
	for _, typ := range BarTypes {
		if x := r.ByLabel[string(typ)]; x == nil || x.GoldTokens == 0 {
			t.Errorf("no gold %s tokens scored", typ)
		}
	}
}

func TestClinicCorporaMeetBar(t *testing.T) {
	for _, path := range []string{"../../../testdata/pii/clinic_calls.txt", "../../../testdata/pii/clinic_notes.txt"} {
		r := evaluate(t, path)
		o := r.Overall(BarTypes)
		if o.Recall() < minRecall || o.Precision() < minPrecision {
			var b strings.Builder
			_ = r.Write(&b)
			t.Errorf("%s: overall P %.3f R %.3f\n%s", path, o.Precision(), o.Recall(), b.String())
		}
		for _, typ := range phi.Types {
			x := r.ByLabel[string(typ)]
			if x != nil && x.GoldTokens > 0 && x.Recall() < 0.9 {
				t.Errorf("%s: %s recall %.3f", path, typ, x.Recall())
			}
		}
	}
}

func TestParseMarked(t *testing.T) {
	ex, err := ParseMarked("hi {NAME:Žofia} at {PHONE:555-0100}.")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Text != "hi Žofia at 555-0100." {
		t.Errorf("text = %q", ex.Text)
	}
	want := []Gold{{"NAME", 3, 8}, {"PHONE", 12, 20}}
	if len(ex.Spans) != 2 || ex.Spans[0] != want[0] || ex.Spans[1] != want[1] {
		t.Errorf("spans = %v, want %v", ex.Spans, want)
	}
	if _, err := ParseMarked("bad {NAME missing"); err == nil {
		t.Error("unbalanced label accepted")
	}
}

func TestMapLabel(t *testing.T) {
	cases := []struct {
		label, value, typ string
		class             labelClass
	}{
		{"PERSON", "Ann Lee", "NAME", scored},
		{"DATE_TIME", "1977", "DATE", ignored},
		{"DATE_TIME", "Tuesday", "DATE", ignored},
		{"DATE_TIME", "2/8/1935", "DATE", scored},
		{"AGE", "79", "AGE", ignored},
		{"AGE", "93", "AGE", scored},
		{"GPE", "Canada", "CITY", ignored},
		{"GPE", "New Zealand", "CITY", ignored},
		{"GPE", "Kenosha", "CITY", scored},
		{"ORGANIZATION", "Acme", "ORGANIZATION", reportOnly},
		{"PHONE", "555", "PHONE", scored},
	}
	for _, c := range cases {
		typ, class := mapLabel(c.label, c.value)
		if typ != c.typ || class != c.class {
			t.Errorf("mapLabel(%s, %q) = %s %d, want %s %d", c.label, c.value, typ, class, c.typ, c.class)
		}
	}
}

func TestEvaluateCounts(t *testing.T) {
	examples, err := ReadMarked(strings.NewReader("call {PHONE:555-201-7788} now\n# comment\n{PERSON:Ann} went home\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(phi.New(phi.Options{}), examples, 10)
	ph := r.ByLabel["PHONE"]
	if ph == nil || ph.GoldTokens != 3 || ph.Found != 3 || ph.Predicted != 3 || ph.Correct != 3 || ph.GoldSpans != 1 || ph.RedactedSpan != 1 {
		t.Errorf("PHONE tally = %+v", ph)
	}
	if nm := r.ByLabel["NAME"]; nm == nil || nm.GoldTokens != 1 {
		t.Errorf("NAME tally = %+v", nm)
	}
	if f2 := (Tally{GoldTokens: 10, Found: 5, Predicted: 5, Correct: 5}).F2(); f2 < 0.555 || f2 > 0.556 {
		t.Errorf("F2 = %f, want 5/9", f2)
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load("no-such-file.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}
