package call

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/vad"
)

// Listen says what the dialogue accepts as an answer to a prompt.
type Listen struct {
	// Grammar is the speech accepted; with no phrases and no JSGF, speech
	// is not listened for.
	Grammar voice.Grammar
	// Digits is how many key presses complete an answer; 0 accepts none.
	Digits int
	// Terminator, when set, ends keypad entry early (usually '#').
	Terminator rune
	// DigitTimeout ends keypad entry after a pause (default 4 s).
	DigitTimeout time.Duration
	// Timeout is how long to wait for any answer once the prompt has
	// played (default 7 s).
	Timeout time.Duration
	// NoBargeIn makes the caller hear the whole prompt.
	NoBargeIn bool
	// NoEarlyEnd waits for the full end-of-utterance silence even when a
	// short pause already holds a confident answer.
	NoEarlyEnd bool
}

// earlyConfidence is how sure the recogniser must be of what was said
// before a pause to end the turn there.
const earlyConfidence = 0.8

func (l *Listen) speech() bool { return len(l.Grammar.Phrases) > 0 || l.Grammar.JSGF != "" }

// InputKind says what kind of answer the caller gave.
type InputKind uint8

// The kinds of answer.
const (
	NoInput InputKind = iota
	Speech
	Digits
)

func (k InputKind) String() string {
	return [...]string{"no-input", "speech", "digits"}[k]
}

// Input is the caller's answer to one prompt.
type Input struct {
	Kind InputKind
	// Text is the recognised speech, lower case; empty when nothing in
	// the grammar matched.
	Text string
	// Confidence is the recogniser's confidence in Text, 0..1.
	Confidence float64
	// Digits are the keys pressed, without the terminator.
	Digits string
	// Barged is true when the caller interrupted the prompt.
	Barged bool
	// SpeechEnded is when the caller stopped speaking (for latency).
	SpeechEnded time.Time
	// Turn is the ID of the ledger event recording this answer.
	Turn string
}

// ErrHangup reports that the call ended while the dialogue waited.
var ErrHangup = errors.New("caller hung up")

// Say plays a prompt that expects no answer. Caller speech or a key press
// interrupts it unless noBargeIn; what interrupted it is kept for the next
// Ask.
func (s *Session) Say(ctx context.Context, text string, noBargeIn bool) error {
	pcm, err := s.prompt(ctx, text)
	if err != nil {
		return err
	}
	s.recordTurn(ctx, "agent", text, 1, "", false)
	done := s.sender.Play(pcm)
	for {
		select {
		case <-done:
			return nil
		case e := <-s.events:
			s.pending = append(s.pending, e)
			if !noBargeIn && (e.kind == evSpeechStart || e.kind == evDigit) {
				s.sender.Flush()
				<-done
				return nil
			}
		case <-ctx.Done():
			s.sender.Flush()
			return ctx.Err()
		case <-s.ctx.Done():
			return ErrHangup
		}
	}
}

// Ask plays a prompt and returns the caller's answer: speech in l's grammar,
// keys, or nothing within the timeout. The prompt stops when the caller
// starts to answer.
func (s *Session) Ask(ctx context.Context, prompt string, l Listen) (Input, error) {
	if l.DigitTimeout == 0 {
		l.DigitTimeout = 4 * time.Second
	}
	if l.Timeout == 0 {
		l.Timeout = 7 * time.Second
	}
	var pcm []int16
	if prompt != "" {
		var err error
		if pcm, err = s.prompt(ctx, prompt); err != nil {
			return Input{}, err
		}
		s.recordTurn(ctx, "agent", prompt, 1, "", false)
	}
	// Keys pressed ahead of the prompt count; older speech does not.
	var queued []inputEvent
	for _, e := range s.pending {
		if e.kind == evDigit || e.kind == evSpeechStart {
			queued = append(queued, e)
		}
	}
	s.pending = s.pending[:0]

	var done <-chan struct{}
	playing := false
	if len(pcm) > 0 {
		done = s.sender.Play(pcm)
		playing = true
	}
	var (
		in       Input
		keys     strings.Builder
		speaking bool
		wait     = time.NewTimer(time.Hour)
		keyWait  = time.NewTimer(time.Hour)
	)
	defer wait.Stop()
	defer keyWait.Stop()
	wait.Stop()
	keyWait.Stop()
	if !playing {
		wait.Reset(l.Timeout)
	}
	interrupt := func() {
		if playing && !l.NoBargeIn {
			s.sender.Flush()
			in.Barged = true
		}
	}
	finishKeys := func() (Input, error) {
		in.Kind, in.Digits = Digits, keys.String()
		in.Turn = s.recordDigits(ctx, in.Digits)
		return in, nil
	}
	next := func() (inputEvent, bool, error) {
		if len(queued) > 0 {
			e := queued[0]
			queued = queued[1:]
			return e, true, nil
		}
		select {
		case e := <-s.events:
			return e, true, nil
		case <-done:
			done, playing = nil, false
			if !speaking && keys.Len() == 0 {
				wait.Reset(l.Timeout)
			}
			return inputEvent{}, false, nil
		case <-wait.C:
			return inputEvent{}, false, errNoInput
		case <-keyWait.C:
			return inputEvent{}, false, errKeysDone
		case <-ctx.Done():
			s.sender.Flush()
			return inputEvent{}, false, ctx.Err()
		case <-s.ctx.Done():
			return inputEvent{}, false, ErrHangup
		}
	}
	for {
		e, ok, err := next()
		switch {
		case errors.Is(err, errNoInput):
			return Input{Kind: NoInput}, nil
		case errors.Is(err, errKeysDone):
			return finishKeys()
		case err != nil:
			return Input{}, err
		case !ok:
			continue
		}
		switch e.kind {
		case evSpeechStart:
			if !l.speech() {
				continue
			}
			speaking = true
			wait.Stop()
			interrupt()
		case evPause:
			// Decode what was said so far; a confident, complete answer
			// ends the turn now rather than after the full silence.
			if !l.speech() || !speaking || l.NoEarlyEnd {
				continue
			}
			h, err := s.recognize(ctx, l.Grammar, e.pcm)
			if err != nil || h.Text == "" || h.Confidence < earlyConfidence {
				continue
			}
			s.answered = e.utt
			in.Kind, in.Text, in.Confidence, in.SpeechEnded = Speech, h.Text, h.Confidence, e.at
			in.Turn = s.recordTurn(ctx, "caller", h.Text, h.Confidence, l.Grammar.Name, in.Barged)
			if playing {
				s.sender.Flush()
			}
			return in, nil
		case evSpeechEnd:
			if !l.speech() || !speaking || e.utt == s.answered {
				continue
			}
			speaking = false
			if e.reason == vad.EndedAsNoise {
				if !playing {
					wait.Reset(l.Timeout)
				}
				continue
			}
			h, err := s.recognize(ctx, l.Grammar, e.pcm)
			if err != nil {
				return Input{}, err
			}
			in.Kind, in.Text, in.Confidence, in.SpeechEnded = Speech, h.Text, h.Confidence, e.at
			in.Turn = s.recordTurn(ctx, "caller", h.Text, h.Confidence, l.Grammar.Name, in.Barged)
			if playing {
				s.sender.Flush()
			}
			return in, nil
		case evDigit:
			if l.Digits == 0 {
				// Keys typed ahead wait for the turn that takes keys.
				s.pending = append(s.pending, e)
				continue
			}
			wait.Stop()
			interrupt()
			if l.Terminator != 0 && e.digit == l.Terminator {
				return finishKeys()
			}
			keys.WriteRune(e.digit)
			if keys.Len() >= l.Digits {
				return finishKeys()
			}
			keyWait.Reset(l.DigitTimeout)
		}
	}
}

var (
	errNoInput  = errors.New("no input")
	errKeysDone = errors.New("keys done")
)

// prompt returns a prompt's audio, from the cache when it was said before.
func (s *Session) prompt(ctx context.Context, text string) ([]int16, error) {
	return promptCache.get(ctx, s.cfg.Synthesizer, text)
}

// recognize decodes one utterance.
func (s *Session) recognize(ctx context.Context, g voice.Grammar, pcm []int16) (voice.Hypothesis, error) {
	u, err := s.cfg.Recognizer.Start(ctx, g, 8000)
	if err != nil {
		return voice.Hypothesis{}, fmt.Errorf("call %s: recognise: %w", s.ID(), err)
	}
	defer u.Close()
	if err := u.Write(pcm); err != nil {
		return voice.Hypothesis{}, fmt.Errorf("call %s: recognise: %w", s.ID(), err)
	}
	h, err := u.Finish()
	if err != nil {
		return voice.Hypothesis{}, fmt.Errorf("call %s: recognise: %w", s.ID(), err)
	}
	return h, nil
}

// recordTurn records what one side said; the text is PHI.
func (s *Session) recordTurn(ctx context.Context, speaker, text string, confidence float64, grammar string, barged bool) string {
	s.mu.Lock()
	s.turns++
	n := s.turns
	subject := s.subject
	s.mu.Unlock()
	attrs := map[string]string{"speaker": speaker, "turn": fmt.Sprint(n), "input": "speech", "recognizer_confidence": fmt.Sprintf("%.2f", confidence)}
	if grammar != "" {
		attrs["grammar"] = grammar
	}
	if barged {
		attrs["barged_in"] = "true"
	}
	e := ledger.Event{Entity: s.entity, Subject: subject, Type: "call.turn", Source: ledger.SourceVoice,
		Confidence: confidence, Actor: "agent/receptionist", Attrs: attrs}
	if speaker == "agent" {
		e.Source, e.Confidence = ledger.SourceAgent, 1
		delete(attrs, "recognizer_confidence")
	}
	if text != "" {
		e.PHI = map[string]string{"text": text}
	}
	ev, err := s.rec.Append(ctx, e)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	s.lastTurn = ev.ID
	s.mu.Unlock()
	return ev.ID
}

// recordDigits records keys the caller pressed; they are PHI (a date of
// birth, an account number).
func (s *Session) recordDigits(ctx context.Context, digits string) string {
	s.mu.Lock()
	s.turns++
	n := s.turns
	subject := s.subject
	s.mu.Unlock()
	e := ledger.Event{Entity: s.entity, Subject: subject, Type: "call.dtmf", Source: ledger.SourceVoice, Confidence: 1,
		Actor: "agent/receptionist", Attrs: map[string]string{"speaker": "caller", "turn": fmt.Sprint(n), "input": "dtmf", "count": fmt.Sprint(len(digits))}}
	if digits != "" {
		e.PHI = map[string]string{"digits": digits}
	}
	ev, err := s.rec.Append(ctx, e)
	if err != nil {
		return ""
	}
	return ev.ID
}

// LastTurn is the ID of the last recorded turn.
func (s *Session) LastTurn() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastTurn
}

// Transfer hands the caller to target (the configured staff line when
// empty), recording the request and its outcome. After a successful
// transfer the session is over.
func (s *Session) Transfer(ctx context.Context, target, reason string) error {
	attrs := map[string]string{"reason": reason}
	if target != "" {
		attrs["target"] = target
	}
	s.rec.Append(ctx, ledger.Event{Entity: s.entity, Type: "call.transfer-requested", Source: ledger.SourceAgent,
		Confidence: 1, Actor: "agent/receptionist", Attrs: attrs})
	err := s.line.Transfer(ctx, target)
	outcome := map[string]string{"reason": reason, "outcome": "transferred"}
	if err != nil {
		outcome["outcome"] = "failed"
	}
	s.rec.Append(ctx, ledger.Event{Entity: s.entity, Type: "call.transferred", Source: ledger.SourceSystem,
		Confidence: 1, Actor: "agent/receptionist", Attrs: outcome})
	if err != nil {
		return fmt.Errorf("call %s: transfer: %w", s.ID(), err)
	}
	s.mu.Lock()
	s.endReason, s.transferred = "transfer", true
	s.mu.Unlock()
	return nil
}
