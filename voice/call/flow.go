package call

import (
	"context"
	"strings"
)

// LineCheck is the call flow IT staff use to test a line before the
// receptionist takes it over: it greets, asks for four keypad digits, reads
// them back, asks for a spoken yes or no (recording the utterance), and
// hangs up. Every step is recorded like any call.
func LineCheck(ctx context.Context, s *Session) error {
	if err := s.Say(ctx, "Hello. This is the front desk line check.", false); err != nil {
		return s.endOn(err)
	}
	in, err := s.Ask(ctx, "Please enter four digits on your keypad.", Listen{Digits: 4, Terminator: '#'})
	if err != nil {
		return s.endOn(err)
	}
	readBack := "I did not hear any digits."
	if in.Kind == Digits && in.Digits != "" {
		readBack = "You entered " + spell(in.Digits) + "."
	}
	in, err = s.Ask(ctx, readBack+" Now please say yes or no.", Listen{Grammar: yesNo, NoBargeIn: true})
	if err != nil {
		return s.endOn(err)
	}
	switch {
	case in.Kind == Speech && in.Text != "":
		err = s.Say(ctx, "You said "+in.Text+". Goodbye.", true)
	default:
		err = s.Say(ctx, "I did not catch that. Goodbye.", true)
	}
	if err != nil {
		return s.endOn(err)
	}
	return s.End("completed")
}

// endOn ends the session after an error in the flow.
func (s *Session) endOn(err error) error {
	if err == ErrHangup {
		return s.End("caller-hangup")
	}
	s.End("error")
	return err
}

// spell reads digits one by one: "1 2 3 4".
func spell(digits string) string {
	var b strings.Builder
	for i, d := range digits {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch d {
		case '*':
			b.WriteString("star")
		case '#':
			b.WriteString("pound")
		default:
			b.WriteRune(d)
		}
	}
	return b.String()
}

var yesNo = voiceGrammar("yes-no", "yes", "no")
