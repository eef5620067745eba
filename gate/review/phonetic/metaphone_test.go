package phonetic

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDoubleMetaphoneReference checks every word of the reference table.
func TestDoubleMetaphoneReference(t *testing.T) {
	f, err := os.Open("testdata/surnames.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("bad line %q", line)
		}
		p, a := DoubleMetaphone(parts[0])
		if p != parts[1] || a != parts[2] {
			t.Errorf("%q: got %q/%q, want %q/%q", parts[0], p, a, parts[1], parts[2])
		}
		n++
	}
	if n < 200 {
		t.Fatalf("only %d reference words", n)
	}
}

func TestSoundAlike(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Smith", "Smyth", true},
		{"Smith", "Schmidt", true},
		{"Jon", "John", true},
		{"Catherine", "Katherine", true},
		{"Steven", "Stephen", true},
		{"Philip", "Filip", true},
		{"Sarah", "Sara", true},
		{"Geoff", "Jeff", true},
		{"Aaron", "Erin", true},
		{"Smith", "Jones", false},
		{"Mary", "Martha", false},
		{"Walgreens", "Wallgreens", true},
		{"", "Smith", false},
	} {
		if got := SoundAlike(c.a, c.b); got != c.want {
			t.Errorf("SoundAlike(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2},
		{"smith", "smyth", 1}, {"mary", "murray", 3}, {"josé", "jose", 1}, {"same", "same", 0},
		{strings.Repeat("a", 100), strings.Repeat("a", 99) + "b", 1},
	} {
		if got := Levenshtein(c.a, c.b); got != c.d {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := Levenshtein(c.b, c.a); got != c.d {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d (symmetry)", c.b, c.a, got, c.d)
		}
	}
	if !Similar("smith", "smyth") || Similar("mary", "murray") || !Similar("catherine", "katherine") || Similar("ann", "bob") {
		t.Error("Similar gives the wrong answer on a known pair")
	}
}

func TestFold(t *testing.T) {
	if got := Fold("José O'Neil-Smith, Jr."); got != "jose oneilsmith jr" {
		t.Errorf("Fold = %q", got)
	}
}

func BenchmarkDoubleMetaphone(b *testing.B) {
	words := []string{"Smith", "Schwarzach", "Catherine", "Jankelowicz", "Wright", "McLaughlin"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		DoubleMetaphone(words[i%len(words)])
	}
}
