package voice

import (
	"context"
	"errors"
)

// Grammar constrains what a Recognizer may hear in one dialogue turn. Local
// engines compile it (JSGF for pocketsphinx); hosted engines may use Phrases
// as a hint. A zero Grammar means free speech.
type Grammar struct {
	// Name identifies the turn, e.g. "yes-no" or "patient-name".
	Name string
	// Phrases are the alternatives the caller may say, in lower case.
	Phrases []string
	// JSGF, when set, is a complete JSGF grammar that overrides Phrases.
	JSGF string
}

// Hypothesis is what a Recognizer heard in one utterance.
type Hypothesis struct {
	// Text is the recognised text in lower case; empty when nothing matched.
	Text string
	// Confidence is the engine's confidence in Text, 0..1.
	Confidence float64
}

// Recognizer turns caller audio into text, one utterance at a time.
type Recognizer interface {
	// Start begins recognising one utterance of audio at sampleRate Hz,
	// constrained by g.
	Start(ctx context.Context, g Grammar, sampleRate int) (Utterance, error)
}

// Utterance receives the audio of one utterance as it arrives.
type Utterance interface {
	// Write feeds the next chunk of PCM audio.
	Write(pcm []int16) error
	// Finish ends the utterance and returns the final hypothesis.
	Finish() (Hypothesis, error)
	// Close releases the utterance's resources; safe after Finish.
	Close() error
}

// Synthesizer turns prompt text into audio.
type Synthesizer interface {
	// Synthesize returns text spoken as PCM at the synthesizer's SampleRate.
	Synthesize(ctx context.Context, text string) ([]int16, error)
	// SampleRate is the rate of the audio Synthesize returns.
	SampleRate() int
}

// ErrEngineUnavailable reports that a speech engine cannot run on this host,
// for example because its model files are missing.
var ErrEngineUnavailable = errors.New("speech engine unavailable")
