package sphinx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"frontdesk/voice"
)

// TestWideband recognises espeak-ng speech at 16 kHz: every phrase of the
// menu and name grammars must come back exactly.
func TestWideband(t *testing.T) {
	r := newRecognizer(t, 1)
	for _, g := range []voice.Grammar{menu, names} {
		for _, p := range g.Phrases {
			h := recognize(t, r, g, padded(espeakSpeech(t, p, 16000), 16000), 16000)
			if h.Text != p {
				t.Errorf("16 kHz %q: heard %q (confidence %.2f)", p, h.Text, h.Confidence)
			}
		}
	}
}

// TestNarrowband recognises espeak-ng speech sent through G.711 μ-law at
// 8 kHz and upsampled. Yes/no and the menu must survive; names nearly all
// do.
func TestNarrowband(t *testing.T) {
	r := newRecognizer(t, 1)
	for _, p := range menu.Phrases {
		h := recognize(t, r, menu, padded(telephone(espeakSpeech(t, p, 8000)), 8000), 8000)
		if h.Text != p {
			t.Errorf("8 kHz μ-law %q: heard %q (confidence %.2f)", p, h.Text, h.Confidence)
		}
	}
	right := 0
	for _, p := range names.Phrases {
		h := recognize(t, r, names, padded(telephone(espeakSpeech(t, p, 8000)), 8000), 8000)
		if h.Text == p {
			right++
		} else {
			t.Logf("8 kHz μ-law %q: heard %q (confidence %.2f)", p, h.Text, h.Confidence)
		}
	}
	if right < 9 {
		t.Errorf("8 kHz μ-law names: %d of %d right, want at least 9", right, len(names.Phrases))
	}
}

// TestFliteTelephone recognises flite's voice, which speaks at 8 kHz,
// after a μ-law round trip: this is the path of a call whose caller is the
// appliance's own synthesizer, as in loopback tests of the receptionist.
func TestFliteTelephone(t *testing.T) {
	r := newRecognizer(t, 1)
	for _, g := range []voice.Grammar{menu, names} {
		for _, p := range g.Phrases {
			h := recognize(t, r, g, padded(telephone(fliteSpeech(t, p)), 8000), 8000)
			if h.Text != p {
				t.Errorf("flite %q: heard %q (confidence %.2f)", p, h.Text, h.Confidence)
			}
			if h.Text == p && h.Confidence < 0.5 {
				t.Errorf("flite %q: confidence %.2f, want at least 0.5", p, h.Confidence)
			}
		}
	}
}

// TestOutOfGrammar checks that speech outside the grammar, which the
// decoder must force onto some phrase, gets low confidence, well below
// that of phrases in the grammar.
func TestOutOfGrammar(t *testing.T) {
	r := newRecognizer(t, 1)
	outside := []string{
		"the weather is nice in paris", "thank you very much", "i need to talk to the doctor",
		"what time do you open", "my name is robert", "seven three two", "goodbye",
	}
	var high []string
	var sumOut float64
	n := 0
	for _, s := range outside {
		for _, g := range []voice.Grammar{menu, names} {
			h := recognize(t, r, g, padded(espeakSpeech(t, s, 16000), 16000), 16000)
			sumOut += h.Confidence
			n++
			if h.Confidence >= 0.5 {
				high = append(high, fmt.Sprintf("%q→%q %.2f", s, h.Text, h.Confidence))
			}
		}
	}
	if len(high) > n/4 {
		t.Errorf("%d of %d out-of-grammar utterances scored at least 0.5: %v", len(high), n, high)
	}
	var sumIn float64
	for _, p := range menu.Phrases {
		sumIn += recognize(t, r, menu, padded(espeakSpeech(t, p, 16000), 16000), 16000).Confidence
	}
	in, out := sumIn/float64(len(menu.Phrases)), sumOut/float64(n)
	if in < out+0.3 {
		t.Errorf("mean confidence %.2f in grammar, %.2f outside: want a gap of at least 0.3", in, out)
	}
}

// TestSilence checks that silence yields no words, or words with low
// confidence.
func TestSilence(t *testing.T) {
	r := newRecognizer(t, 1)
	for _, rate := range []int{8000, 16000} {
		h := recognize(t, r, menu, make([]int16, rate), rate)
		if h.Text != "" && h.Confidence >= 0.5 {
			t.Errorf("%d Hz silence: heard %q with confidence %.2f", rate, h.Text, h.Confidence)
		}
	}
}

// TestUnknownWords checks names missing from the CMU dictionary: they are
// pronounced by letter-to-sound rules and recognised, and phrases come
// back as the caller wrote them.
func TestUnknownWords(t *testing.T) {
	r := newRecognizer(t, 1)
	d, err := r.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"gulgowski", "raghunathan", "al-sayed", "zbrozek"} {
		if d.has(w) {
			t.Errorf("%q is in the dictionary; the test needs a word that is not", w)
		}
	}
	r.release(d)

	g := voice.Grammar{Name: "patient-name", Phrases: []string{
		"Edward Gulgowski", "José Núñez", "Fatima Al-Sayed", "Zofia Zbrozek", "Kenji  Tanaka",
	}}
	for _, c := range []struct{ say, want string }{
		{"edward gulgowski", "edward gulgowski"},
		{"jose nunez", "josé núñez"},
		{"fatima al sayed", "fatima al-sayed"},
		{"zofia zbrozek", "zofia zbrozek"},
		{"kenji tanaka", "kenji tanaka"},
	} {
		h := recognize(t, r, g, padded(telephone(fliteSpeech(t, c.say)), 8000), 8000)
		if h.Text != c.want {
			t.Errorf("said %q: heard %q, want %q", c.say, h.Text, c.want)
		}
	}
}

// TestGrammarErrors checks that bad grammars fail at Start, with errors
// that wrap ErrGrammar and never quote the grammar's words.
func TestGrammarErrors(t *testing.T) {
	r := newRecognizer(t, 1)
	cases := []struct {
		name string
		g    voice.Grammar
		text string
	}{
		{"digits", voice.Grammar{Name: "dob", Phrases: []string{"yes", "r2d2 castellanos"}}, "word 1 of 1"},
		{"non-latin", voice.Grammar{Name: "name", Phrases: []string{"Αθηνά Παππάς"}}, "missing from the dictionary"},
		{"empty phrase", voice.Grammar{Name: "menu", Phrases: []string{"yes", " ,; "}}, "phrase 2 has no words"},
		{"syntax", voice.Grammar{Name: "custom", JSGF: "#JSGF V1.0;\ngrammar g;\npublic <a> = (yes | no;\n"}, "JSGF syntax"},
		{"two public rules", voice.Grammar{Name: "custom", JSGF: "#JSGF V1.0;\ngrammar g;\npublic <a> = yes;\npublic <b> = no;\n"}, "exactly one public rule"},
	}
	for _, c := range cases {
		_, err := r.Start(context.Background(), c.g, 8000)
		if !errors.Is(err, ErrGrammar) {
			t.Errorf("%s: error %v, want ErrGrammar", c.name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.text) || !strings.Contains(msg, fmt.Sprintf("%q", c.g.Name)) {
			t.Errorf("%s: error %q should mention %q and the grammar's name", c.name, msg, c.text)
		}
		for _, p := range c.g.Phrases {
			for _, w := range strings.Fields(p) {
				if len(w) > 3 && strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
					t.Errorf("%s: error %q quotes the grammar word %q", c.name, msg, w)
				}
			}
		}
	}
	if _, err := r.Start(context.Background(), voice.Grammar{Name: "free"}, 8000); !errors.Is(err, ErrNoGrammar) {
		t.Errorf("empty grammar: error %v, want ErrNoGrammar", err)
	}
	if _, err := r.Start(context.Background(), menu, 44100); err == nil {
		t.Error("Start at 44100 Hz succeeded")
	}
	// The recognizer still works after all those failures.
	if h := recognize(t, r, menu, padded(fliteSpeech(t, "yes"), 8000), 8000); h.Text != "yes" {
		t.Errorf("after errors: heard %q, want yes", h.Text)
	}
}

// TestJSGF uses a caller's grammar with optional words and a sub-rule.
func TestJSGF(t *testing.T) {
	r := newRecognizer(t, 1)
	g := voice.Grammar{Name: "confirm", JSGF: `#JSGF V1.0;
grammar confirm;
public <answer> = <word> [please | thanks];
<word> = yes | no | maybe | Sure;
`}
	for _, c := range []struct{ say, want string }{
		{"yes please", "yes please"},
		{"no", "no"},
		{"maybe thanks", "maybe thanks"},
		{"sure", "sure"},
	} {
		h := recognize(t, r, g, padded(espeakSpeech(t, c.say, 16000), 16000), 16000)
		if h.Text != c.want {
			t.Errorf("said %q: heard %q, want %q", c.say, h.Text, c.want)
		}
	}
}

// TestIsolation checks that one utterance does not change how the next is
// heard: the same audio gives the same result, score for score, before and
// after the decoder has heard very different audio.
func TestIsolation(t *testing.T) {
	r := newRecognizer(t, 1)
	yes := padded(espeakSpeech(t, "yes please", 16000), 16000)
	first := recognize(t, r, menu, yes, 16000)
	recognize(t, r, names, padded(telephone(fliteSpeech(t, "olga petrov")), 8000), 8000)
	recognize(t, r, menu, make([]int16, 32000), 16000)
	again := recognize(t, r, menu, yes, 16000)
	if first != again {
		t.Errorf("same audio heard as %+v, then %+v", first, again)
	}
}

// TestConcurrent runs many utterances at once on a small pool and checks
// that each gets the same result as when run alone.
func TestConcurrent(t *testing.T) {
	r := newRecognizer(t, 2)
	type job struct {
		g    voice.Grammar
		pcm  []int16
		rate int
	}
	var jobs []job
	for _, p := range []string{"yes", "no", "book an appointment", "repeat that"} {
		jobs = append(jobs, job{menu, padded(telephone(fliteSpeech(t, p)), 8000), 8000})
	}
	for _, p := range []string{"edward gulgowski", "alberto atencio", "liam o'brien"} {
		jobs = append(jobs, job{names, padded(fliteSpeech(t, p), 8000), 8000})
	}
	want := make([]voice.Hypothesis, len(jobs))
	for i, j := range jobs {
		want[i] = recognize(t, r, j.g, j.pcm, j.rate)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(jobs))
	for rep := range 4 {
		for i, j := range jobs {
			wg.Go(func() {
				if got := recognize(t, r, j.g, j.pcm, j.rate); got != want[i] {
					errs <- fmt.Errorf("run %d job %d: got %+v, want %+v", rep, i, got, want[i])
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(r.slots); n > 2 {
		t.Errorf("%d decoders made, pool size 2", n)
	}
}

// TestStartWaitsForDecoder checks that Start honours its context while
// every decoder is busy.
func TestStartWaitsForDecoder(t *testing.T) {
	r := newRecognizer(t, 1)
	d, err := r.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Start(ctx, menu, 8000); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start with all decoders busy: %v, want context.DeadlineExceeded", err)
	}
	r.release(d)
	if _, err := r.Start(context.Background(), menu, 8000); err != nil {
		t.Errorf("Start after release: %v", err)
	}
}

// TestDecoderReplaced checks that a decoder that has added more than
// MaxAddedWords words is freed and a fresh one made in its place.
func TestDecoderReplaced(t *testing.T) {
	r := newRecognizer(t, 1)
	phrases := make([]string, 0, MaxAddedWords+1)
	for i := range MaxAddedWords + 1 {
		// Letter strings no dictionary has: "zq" + base-26 digits.
		w := []byte("zqv")
		for n := i; n > 0 || len(w) < 6; n /= 26 {
			w = append(w, byte('a'+n%26))
		}
		phrases = append(phrases, string(w))
	}
	if _, err := r.Start(context.Background(), voice.Grammar{Name: "many", Phrases: phrases}, 16000); err != nil {
		t.Fatal(err)
	}
	if len(r.slots) != 0 || len(r.idle) != 0 {
		t.Fatalf("after %d added words: %d decoders, %d idle; want the decoder freed", len(phrases), len(r.slots), len(r.idle))
	}
	d, err := r.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.added) != 0 || d.has(phrases[0]) {
		t.Errorf("fresh decoder has %d added words", len(d.added))
	}
	r.release(d)
	if h := recognize(t, r, menu, padded(fliteSpeech(t, "no"), 8000), 8000); h.Text != "no" {
		t.Errorf("after replacement: heard %q, want no", h.Text)
	}
}

func TestUtteranceLifecycle(t *testing.T) {
	r := newRecognizer(t, 1)
	u, err := r.Start(context.Background(), menu, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := u.Finish(); err != nil || h != (voice.Hypothesis{}) {
		t.Errorf("Finish with no audio = %+v, %v; want empty hypothesis", h, err)
	}
	if _, err := u.Finish(); err == nil {
		t.Error("second Finish succeeded")
	}
	if err := u.Write(make([]int16, 160)); err == nil {
		t.Error("Write after Finish succeeded")
	}
	if err := u.Close(); err != nil {
		t.Errorf("Close after Finish: %v", err)
	}

	u, err = r.Start(context.Background(), menu, 16000)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]int16, 16000)
	for range MaxUtterance {
		if err := u.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.Write(chunk[:1]); err == nil {
		t.Errorf("Write past %d s succeeded", MaxUtterance)
	}
	if err := u.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := u.Finish(); err == nil {
		t.Error("Finish after Close succeeded")
	}
}

func TestClose(t *testing.T) {
	r, err := New(Config{Decoders: 1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.Start(context.Background(), menu, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Write(fliteSpeech(t, "yes")); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := u.Finish(); !errors.Is(err, ErrClosed) {
		t.Errorf("Finish after Close: %v, want ErrClosed", err)
	}
	if _, err := r.Start(context.Background(), menu, 8000); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	if len(r.slots) != 0 {
		t.Errorf("%d decoders left after Close", len(r.slots))
	}
}

func TestEngineUnavailable(t *testing.T) {
	_, err := New(Config{Model: t.TempDir()})
	if !errors.Is(err, voice.ErrEngineUnavailable) {
		t.Errorf("New with an empty model directory: %v, want ErrEngineUnavailable", err)
	}
}

func TestWords(t *testing.T) {
	cases := map[string][]string{
		"Liam O'Brien, Jr.":       {"liam", "o'brien", "jr"},
		"  book   an appointment": {"book", "an", "appointment"},
		"Fatima Al-Sayed":         {"fatima", "al-sayed"},
		"José Núñez":              {"jose", "nunez"},
		"d’Angelo -- 'quoted'":    {"d'angelo", "quoted"},
		"room 12B":                {"room", "12b"},
		"?!":                      nil,
	}
	for in, want := range cases {
		if got := words(in); !slices.Equal(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompile(t *testing.T) {
	tg, err := compile(voice.Grammar{Name: "x", Phrases: []string{"Yes", "yes", "No thanks!"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "#JSGF V1.0;\ngrammar turn;\npublic <turn> = yes | no thanks;\n"
	if tg.jsgf != want {
		t.Errorf("jsgf = %q, want %q", tg.jsgf, want)
	}
	if tg.phrases["no thanks"] != "no thanks!" || tg.phrases["yes"] != "yes" {
		t.Errorf("phrases = %q", tg.phrases)
	}
}

// TestNoLogOutput checks that pocketsphinx writes nothing to standard
// error, where its messages would name grammar words such as patients'
// names, even when a grammar is rejected.
func TestNoLogOutput(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(f.Fd()), 2); err != nil {
		t.Fatal(err)
	}
	func() {
		defer syscall.Dup2(saved, 2)
		r, err := New(Config{Decoders: 1})
		if err != nil {
			t.Error(err)
			return
		}
		defer r.Close()
		g := voice.Grammar{Name: "patient-name", Phrases: []string{"zofia zbrozek", "edward gulgowski"}}
		recognize(t, r, g, padded(fliteSpeech(t, "zofia zbrozek"), 8000), 8000)
		r.Start(context.Background(), voice.Grammar{Name: "bad", JSGF: "#JSGF V1.0; grammar g; public <a> = zbrozek | ;"}, 8000)
		r.Start(context.Background(), voice.Grammar{Name: "bad", Phrases: []string{"zbrozek2"}}, 8000)
	}()
	syscall.Close(saved)
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 0 {
		t.Errorf("pocketsphinx wrote %d bytes to standard error:\n%s", len(out), out)
	}
}
