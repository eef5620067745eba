package phi

import (
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Pseudonymizer is a reversible Operator for one conversation: it replaces
// each distinct identifier with a numbered surrogate ("[NAME_1]",
// "[PHONE_2]"), the same value always with the same surrogate, and restores
// the originals in text that carries the surrogates back, such as a model
// provider's reply. It is safe for concurrent use. Its map holds PHI: keep it
// in memory for the conversation and drop it afterwards.
type Pseudonymizer struct {
	mu        sync.Mutex
	byValue   map[string]string // type + normalised value -> surrogate
	originals map[string]string // surrogate -> first original value
	next      map[Type]int
}

// NewPseudonymizer returns an empty Pseudonymizer.
func NewPseudonymizer() *Pseudonymizer {
	return &Pseudonymizer{
		byValue:   map[string]string{},
		originals: map[string]string{},
		next:      map[Type]int{},
	}
}

// Replace returns the surrogate for value, allocating one on first sight.
func (p *Pseudonymizer) Replace(t Type, value string) string {
	key := string(t) + "\x00" + normalizeValue(t, value)
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.byValue[key]; ok {
		return s
	}
	p.next[t]++
	s := "[" + string(t) + "_" + strconv.Itoa(p.next[t]) + "]"
	p.byValue[key] = s
	p.originals[s] = value
	return s
}

// Reidentify replaces every surrogate this Pseudonymizer issued with its
// original value. Unknown bracketed text is left as it is.
func (p *Pseudonymizer) Reidentify(text string) string {
	if strings.IndexByte(text, '[') < 0 {
		return text
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			break
		}
		if orig, ok := p.originals[text[i:i+j+1]]; ok {
			b.WriteString(text[last:i])
			b.WriteString(orig)
			last = i + j + 1
			i += j
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// Len returns the number of distinct identifiers seen.
func (p *Pseudonymizer) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.originals)
}

// normalizeValue makes equal identifiers written differently map to one
// surrogate: case and spacing for names, digits only for numbers.
func normalizeValue(t Type, v string) string {
	switch t {
	case Phone, SSN, CreditCard, ZIP, MRN, HealthPlan, Account, License:
		var b strings.Builder
		for _, c := range v {
			if c >= '0' && c <= '9' || unicode.IsLetter(c) {
				b.WriteRune(unicode.ToLower(c))
			}
		}
		if b.Len() > 0 {
			return b.String()
		}
	}
	return strings.Join(strings.Fields(strings.ToLower(v)), " ")
}
