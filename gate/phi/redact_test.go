package phi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"frontdesk/gate/phi"
)

func TestRedactPlaceholder(t *testing.T) {
	d := phi.New(phi.Options{})
	text := "hi this is maria gonzalez, born 03/14/1980, call 555-201-7788"
	out, counts := phi.Redact(text, d.Detect(text), phi.Placeholder)
	if want := "hi this is [NAME], born [DATE], call [PHONE]"; out != want {
		t.Errorf("Redact = %q, want %q", out, want)
	}
	if counts[phi.Name] != 1 || counts[phi.Date] != 1 || counts[phi.Phone] != 1 || counts.Total() != 3 {
		t.Errorf("counts = %v", counts)
	}
}

func TestRedactMaskKeepsLength(t *testing.T) {
	text := "Žofia Nováková — 555-201-7788"
	spans := []phi.Span{{Start: 0, End: 14, Type: phi.Name, Score: 1}, {Start: 17, End: 29, Type: phi.Phone, Score: 1}}
	out, counts := phi.Redact(text, spans, phi.Mask)
	if want := strings.Repeat("*", 14) + " — " + strings.Repeat("*", 12); out != want {
		t.Errorf("Mask = %q, want %q", out, want)
	}
	if counts.Total() != 2 {
		t.Errorf("counts = %v", counts)
	}
}

func TestRedactSkipsBadSpans(t *testing.T) {
	text := "abc def"
	spans := []phi.Span{
		{Start: 4, End: 7, Type: phi.Name},
		{Start: 0, End: 3, Type: phi.Name},
		{Start: 2, End: 5, Type: phi.Phone},  // overlaps the first kept span
		{Start: 6, End: 40, Type: phi.Email}, // past the end
		{Start: 3, End: 3, Type: phi.Email},  // empty
	}
	out, counts := phi.Redact(text, spans, phi.Placeholder)
	if out != "[NAME] [NAME]" || counts.Total() != 2 {
		t.Errorf("Redact = %q %v", out, counts)
	}
}

func TestPseudonymizerRoundTrip(t *testing.T) {
	d := phi.New(phi.Options{})
	p := phi.NewPseudonymizer()
	first := "hi this is maria gonzalez, my number is 555-201-7788"
	out1, _ := phi.Redact(first, d.Detect(first), p)
	if want := "hi this is [NAME_1], my number is [PHONE_1]"; out1 != want {
		t.Fatalf("first turn = %q, want %q", out1, want)
	}
	// The same person and number later in the call keep their surrogates.
	second := "Maria  Gonzalez again, the number is (555) 201-7788, and my husband Robert"
	out2, counts := phi.Redact(second, d.Detect(second), p)
	if !strings.Contains(out2, "[NAME_1]") || !strings.Contains(out2, "[PHONE_1]") || !strings.Contains(out2, "[NAME_2]") {
		t.Fatalf("second turn = %q", out2)
	}
	if counts[phi.Name] != 2 || counts[phi.Phone] != 1 {
		t.Errorf("counts = %v", counts)
	}
	reply := "Thanks [NAME_1], we will call [PHONE_1] and talk to [NAME_2]. [NAME_9] is unknown."
	if got, want := p.Reidentify(reply), "Thanks maria gonzalez, we will call 555-201-7788 and talk to Robert. [NAME_9] is unknown."; got != want {
		t.Errorf("Reidentify = %q, want %q", got, want)
	}
	if p.Len() != 3 {
		t.Errorf("Len = %d, want 3", p.Len())
	}
}

func TestPseudonymizerConcurrent(t *testing.T) {
	p := phi.NewPseudonymizer()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 100; k++ {
				p.Replace(phi.Name, fmt.Sprintf("person %d", k))
			}
		}()
	}
	wg.Wait()
	if p.Len() != 100 {
		t.Fatalf("Len = %d, want 100", p.Len())
	}
	seen := map[string]bool{}
	for k := 0; k < 100; k++ {
		s := p.Replace(phi.Name, fmt.Sprintf("PERSON %d", k))
		if seen[s] {
			t.Fatalf("surrogate %s issued twice", s)
		}
		seen[s] = true
		if got := p.Reidentify(s); !strings.EqualFold(got, fmt.Sprintf("person %d", k)) {
			t.Fatalf("Reidentify(%s) = %q", s, got)
		}
	}
}
