// Command phieval measures the phi detector against a labelled corpus and
// prints precision, recall and F2 per identifier type, for the whole corpus
// and for its even (development) and odd (held-out) halves.
//
//	go run ./gate/phi/cmd/phieval [-data testdata/pii/synth_dataset_v2.json] [-split all|even|odd] [-errors N]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"frontdesk/gate/phi"
	"frontdesk/gate/phi/score"
)

func main() {
	data := flag.String("data", "testdata/pii/synth_dataset_v2.json", "corpus: Presidio JSON or marked-up text")
	split := flag.String("split", "", "evaluate only the even (development) or odd (held-out) examples: even|odd|all")
	errs := flag.Int("errors", 0, "print up to N token disagreements (the corpus must be synthetic)")
	flag.Parse()
	if err := run(*data, *split, *errs); err != nil {
		fmt.Fprintln(os.Stderr, "phieval:", err)
		os.Exit(1)
	}
}

func run(path, split string, maxErrors int) error {
	examples, err := score.Load(path)
	if err != nil {
		return err
	}
	d := phi.New(phi.Options{})
	parts := []struct {
		name string
		ex   []score.Example
	}{
		{"all", examples},
		{"even (development)", score.Split(examples, false)},
		{"odd (held out)", score.Split(examples, true)},
	}
	for _, p := range parts {
		if split != "" && !strings.HasPrefix(p.name, split) {
			continue
		}
		r := score.Evaluate(d, p.ex, maxErrors)
		fmt.Printf("== %s: %s, %d examples\n", path, p.name, r.Examples)
		if err := r.Write(os.Stdout); err != nil {
			return err
		}
		for _, m := range r.Errors {
			fmt.Printf("  #%d %q gold=%s got=%s | %q\n", m.Example, m.Token, m.Gold, m.Got, m.Sentence)
		}
		fmt.Println()
	}
	return nil
}
