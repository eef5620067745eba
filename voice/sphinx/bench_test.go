package sphinx

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"frontdesk/voice"
)

// BenchmarkDecoderInit measures making one pocketsphinx decoder, the cost
// the pool avoids paying per utterance.
func BenchmarkDecoderInit(b *testing.B) {
	for b.Loop() {
		d, err := newDecoder(DefaultModel, DefaultDictionary)
		if err != nil {
			b.Fatal(err)
		}
		d.free()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/init")
}

// BenchmarkRecognize measures one utterance end to end: Start, Write in
// 20 ms chunks, Finish. Because decoding happens in Finish, finish-ms is
// the delay between the end of speech and the hypothesis; rtf is the
// whole cost divided by the audio's duration.
func BenchmarkRecognize(b *testing.B) {
	for _, c := range []struct {
		name string
		g    voice.Grammar
		text string
		rate int
	}{
		{"menu-16kHz", menu, "book an appointment", 16000},
		{"menu-8kHz", menu, "book an appointment", 8000},
		{"names-8kHz", names, "alberto atencio", 8000},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newRecognizer(b, 1)
			var pcm []int16
			if c.rate == 16000 {
				pcm = padded(espeakSpeech(b, c.text, 16000), 16000)
			} else {
				pcm = padded(telephone(fliteSpeech(b, c.text)), 8000)
			}
			benchRecognize(b, r, c.g, pcm, c.rate, c.text)
		})
	}
}

// BenchmarkLargeGrammar measures recognising one name among 1,000 and
// 5,000, the size of a clinic's patient list.
func BenchmarkLargeGrammar(b *testing.B) {
	all := syntheticNames()
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := newRecognizer(b, 1)
			g := voice.Grammar{Name: "patient-name", Phrases: all[:n]}
			want := all[n/2+1]
			pcm := padded(telephone(fliteSpeech(b, want)), 8000)
			benchRecognize(b, r, g, pcm, 8000, want)
		})
	}
}

func benchRecognize(b *testing.B, r *Recognizer, g voice.Grammar, pcm []int16, rate int, want string) {
	var start, finish time.Duration
	var h voice.Hypothesis
	for b.Loop() {
		t0 := time.Now()
		u, err := r.Start(context.Background(), g, rate)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(pcm); i += rate / 50 {
			if err := u.Write(pcm[i:min(i+rate/50, len(pcm))]); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		h, err = u.Finish()
		if err != nil {
			b.Fatal(err)
		}
		finish += time.Since(t1)
		start += t1.Sub(t0)
	}
	if h.Text != want {
		b.Errorf("heard %q, want %q", h.Text, want)
	}
	n := float64(b.N)
	audio := float64(len(pcm)) / float64(rate)
	b.ReportMetric(float64(b.Elapsed().Seconds())/n/audio, "rtf")
	b.ReportMetric(float64(finish.Microseconds())/n/1000, "finish-ms")
	b.ReportMetric(float64(start.Microseconds())/n/1000, "start+write-ms")
	b.ReportMetric(audio, "audio-s")
}

// BenchmarkAccuracy reports how many phrases of each kind are recognised
// exactly from espeak-ng speech, at 16 kHz and after G.711 μ-law at 8 kHz,
// with their mean confidence. It measures rather than asserts: dates of
// birth are known to fare badly on narrowband audio.
func BenchmarkAccuracy(b *testing.B) {
	dob := dateGrammar()
	dates := []string{
		"january first nineteen forty", "march fifteenth nineteen sixty six",
		"may twenty ninth nineteen eighty two", "june fifth nineteen ninety five",
		"august nineteenth nineteen fifty one", "october second nineteen seventy seven",
		"november ninth nineteen eighty", "december sixteenth nineteen ninety three",
	}
	sets := []struct {
		name    string
		g       voice.Grammar
		phrases []string
	}{
		{"menu", menu, menu.Phrases},
		{"names", names, names.Phrases},
		{"dates", dob, dates},
	}
	for _, s := range sets {
		for _, rate := range []int{16000, 8000} {
			b.Run(fmt.Sprintf("%s-%dkHz", s.name, rate/1000), func(b *testing.B) {
				r := newRecognizer(b, 1)
				audio := make([][]int16, len(s.phrases))
				for i, p := range s.phrases {
					audio[i] = espeakSpeech(b, p, rate)
					if rate == 8000 {
						audio[i] = telephone(audio[i])
					}
					audio[i] = padded(audio[i], rate)
				}
				var right int
				var conf float64
				for b.Loop() {
					right, conf = 0, 0
					for i, p := range s.phrases {
						h := recognize(b, r, s.g, audio[i], rate)
						if h.Text == p {
							right++
						}
						conf += h.Confidence
					}
				}
				b.ReportMetric(100*float64(right)/float64(len(s.phrases)), "%right")
				b.ReportMetric(conf/float64(len(s.phrases)), "mean-conf")
			})
		}
	}
}

// dateGrammar accepts spoken dates of birth in the twentieth century.
func dateGrammar() voice.Grammar {
	days := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
		"eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
		"nineteenth", "twentieth", "twenty first", "twenty second", "twenty third", "twenty fourth", "twenty fifth",
		"twenty sixth", "twenty seventh", "twenty eighth", "twenty ninth", "thirtieth", "thirty first"}
	return voice.Grammar{Name: "date-of-birth", JSGF: `#JSGF V1.0;
grammar dob;
public <dob> = <month> <day> nineteen <tens> [<ones>];
<month> = january | february | march | april | may | june | july | august | september | october | november | december;
<day> = ` + strings.Join(days, " | ") + `;
<tens> = twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety;
<ones> = one | two | three | four | five | six | seven | eight | nine;
`}
}

// syntheticNames returns 5,000 distinct synthetic "first last" names.
func syntheticNames() []string {
	first := strings.Fields(`edward alberto maria jon kenji olga susan fatima liam priya carlos mei ahmed anna
		boris chloe dmitri elena farid grace hiro ines jamal kira luca nadia omar paula quinn rosa sven tariq
		ursula vera wei xavier yara zoe bruno clara diego emma felix gina hugo ivy jorge kate leo mila`)
	last := strings.Fields(`gulgowski atencio castellanos balistreri tanaka petrov smith al-sayed o'brien
		raghunathan nguyen kowalczyk okafor lindqvist moreau haddad schultz yamamoto ferreira novak ivanova
		mbeki rossi dubois kaur larsen chen garcia muller silva jensen kim lopez patel weber costa hansen park
		reyes bauer santos fischer cruz wagner morales becker ortiz hoffman ramos koch vargas richter mendoza
		klein castro wolf rojas schroeder herrera neumann medina schwarz aguilar zimmerman flores braun gomez
		kruger diaz hofmann torres hartmann ruiz lange jimenez schmitt alvarez werner romero krause navarro
		meier dominguez lehmann gil schmid vazquez schulze serrano maier blanco kohler suarez herrmann molina
		konig delgado walter ortega mayer`)
	var out []string
	for _, l := range last {
		for _, f := range first {
			out = append(out, f+" "+l)
		}
	}
	return out
}
