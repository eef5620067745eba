package logs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// canaries are PHI planted in log lines; none may come out.
var canaries = []string{"Rosalind Fairweather", "555-201-7788", "078-05-1120", "03/14/1980", "rosalind@example.com", "1200 Main Street"}

func TestRedactingWriterKeepsPHIOutOfLogLines(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		var out bytes.Buffer
		log := New(Options{Out: &out, Format: format, Redact: PHIRedactor([]string{"Rosalind Fairweather"})})
		log.Info().Str("call_id", "c-42").Str("name", canaries[0]).Msg("caller Rosalind Fairweather asked for 555-201-7788")
		log.Warn().Err(errors.New("lookup of 078-05-1120 failed")).Str("note", "born 03/14/1980, mail rosalind@example.com").Msg("x")
		log.Error().Strs("items", []string{"1200 Main Street", "ok"}).Str("workspace", "clinic").Send()
		got := out.String()
		for _, c := range canaries {
			if strings.Contains(got, c) {
				t.Errorf("%s: %q reached the log:\n%s", format, c, got)
			}
		}
		// What is not PHI stays readable.
		for _, keep := range []string{"c-42", "clinic", "[REDACTED]"} {
			if !strings.Contains(got, keep) {
				t.Errorf("%s: %q was lost:\n%s", format, keep, got)
			}
		}
		if format == "json" && strings.Count(got, "\n") != 3 {
			t.Errorf("json: want three lines:\n%s", got)
		}
	}
}

func TestRedactingWriterHandlesTextLines(t *testing.T) {
	var out bytes.Buffer
	w := NewRedactingWriter(&out, PHIRedactor(nil))
	if _, err := w.Write([]byte("not json: call 555-201-7788 now\n")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "555-201-7788") || !strings.Contains(out.String(), "[PHONE]") {
		t.Fatalf("text line: %q", out.String())
	}
}
