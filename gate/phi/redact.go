package phi

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Operator decides what replaces one identifier.
type Operator interface {
	// Replace returns the text written in place of value, an identifier of type t.
	Replace(t Type, value string) string
}

// OperatorFunc adapts a function to the Operator interface.
type OperatorFunc func(t Type, value string) string

// Replace calls f(t, value).
func (f OperatorFunc) Replace(t Type, value string) string { return f(t, value) }

// Placeholder replaces an identifier with its typed placeholder: "[NAME]".
var Placeholder Operator = OperatorFunc(func(t Type, _ string) string { return "[" + string(t) + "]" })

// Mask replaces each character of an identifier with '*'.
var Mask Operator = OperatorFunc(func(_ Type, value string) string {
	return strings.Repeat("*", utf8.RuneCountInString(value))
})

// Counts holds how many identifiers of each type were replaced.
type Counts map[Type]int

// Total returns the number of identifiers replaced.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Redact returns text with each span replaced by op, and the number of spans
// replaced per type. Spans are rune offsets as Detect returns them; spans out
// of range or overlapping an earlier span are skipped.
func Redact(text string, spans []Span, op Operator) (string, Counts) {
	counts := Counts{}
	if len(spans) == 0 {
		return text, counts
	}
	sorted := spans
	if !sort.SliceIsSorted(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start }) {
		sorted = append([]Span(nil), spans...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	}
	var b strings.Builder
	b.Grow(len(text))
	r, byteAt := 0, 0 // rune index and byte offset of the scan position
	advance := func(to int) {
		for r < to && byteAt < len(text) {
			_, size := utf8.DecodeRuneInString(text[byteAt:])
			byteAt += size
			r++
		}
	}
	last := 0 // byte offset copied so far
	lastRune := 0
	for _, sp := range sorted {
		if sp.Start < lastRune || sp.End <= sp.Start || sp.Start < 0 {
			continue
		}
		advance(sp.Start)
		if r != sp.Start {
			break // past the end of the text
		}
		from := byteAt
		advance(sp.End)
		if r != sp.End {
			break
		}
		b.WriteString(text[last:from])
		b.WriteString(op.Replace(sp.Type, text[from:byteAt]))
		last, lastRune = byteAt, sp.End
		counts[sp.Type]++
	}
	b.WriteString(text[last:])
	return b.String(), counts
}
