// Package sphinx is the appliance's local speech recognizer: CMU
// pocketsphinx (Debian's 0.8+5prealpha, through cgo) with the en-us
// acoustic model, constrained every turn by a grammar.
//
// Each utterance gets a grammar compiled from its voice.Grammar: Phrases
// become a JSGF rule of alternatives, or the caller's JSGF is used as is.
// Free speech is not offered (see ErrNoGrammar). Words missing from the
// CMU dictionary, typically surnames, are added with a pronunciation built
// from the dictionary entries of their hyphenated parts or from flite's
// letter-to-sound rules (see flite.Pronounce).
//
// The acoustic model is 16 kHz only; 8 kHz call audio is upsampled with
// package resample as it arrives. Upsampled narrowband audio lacks the
// 4–8 kHz band the model was trained with, so short, distinct phrases (yes,
// no, menu choices, names from a short list) survive it but long
// confusable sequences such as spoken dates do not: collect those by keypad
// on phone calls.
//
// An utterance is decoded as a whole when Finish is called, not while its
// audio arrives: the model normalises each utterance by its own cepstral
// mean, which needs the whole utterance. Pocketsphinx's streaming mode
// instead starts from a fixed prior and adapts it over several seconds;
// on the package's synthetic G.711 test speech, decoding whole utterances
// raised exact recognition from 57 to 120 of 160 phrases, before the
// other measures described beside decoderArgs and addNoiseFloor brought
// it to 159. Decoding a grammar turn takes about a hundredth of the
// audio's duration (BenchmarkRecognize), so Finish returns some 20 ms
// after a two-second answer; a 5,000-name grammar takes about 0.27 s.
//
// Decoders take about 60 ms (more from a cold disk cache) and 28 MB each
// to initialise, so a Recognizer keeps a pool of them, one per CPU by
// default, and installs
// each utterance's grammar in whichever decoder is free when the utterance
// starts (to check the grammar) and when it finishes (to decode it). A
// decoder is held only for those moments, so many calls can share a few
// decoders. Each grammar is freed as soon as it has been used, and every
// utterance is decoded on its own, so nothing about one call carries into
// the next except words added to a decoder's dictionary, which a decoder
// drops, by being replaced, once it has added MaxAddedWords of them.
//
// A hypothesis's confidence comes from the best path's acoustic score per
// frame, relative to the best-scoring sound in each frame; confidence.go
// documents its calibration. Below 0.5, confirm with the caller.
package sphinx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"frontdesk/voice"
	"frontdesk/voice/resample"
)

// Default model locations, from Debian's pocketsphinx-en-us package.
const (
	// DefaultModel is the en-us acoustic model directory.
	DefaultModel = "/usr/share/pocketsphinx/model/en-us/en-us"
	// DefaultDictionary is the CMU pronouncing dictionary for it.
	DefaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// ModelRate is the sample rate, in Hz, of the acoustic model.
const ModelRate = 16000

// MaxUtterance is the longest utterance, in seconds, that an utterance
// accepts; a grammar turn's answer takes a few seconds.
const MaxUtterance = 60

// MaxAddedWords is how many words a decoder may add to its dictionary
// before it is replaced by a fresh one, bounding both its memory and how
// long callers' names stay in it.
const MaxAddedWords = 2000

// Config says where the models are and how many decoders to keep.
type Config struct {
	// Model is the acoustic model directory; DefaultModel if empty.
	Model string
	// Dictionary is the pronunciation dictionary; DefaultDictionary if empty.
	Dictionary string
	// Decoders is how many utterances may be decoded at once; the number
	// of CPUs if zero.
	Decoders int
}

// Recognizer is a pool of pocketsphinx decoders. It implements
// voice.Recognizer and is safe for concurrent use.
type Recognizer struct {
	cfg Config
	// idle holds initialised decoders not in use.
	idle chan *decoder
	// slots holds one token per decoder that exists or is being made.
	slots chan struct{}

	mu     sync.Mutex
	closed bool
}

var _ voice.Recognizer = (*Recognizer)(nil)

// ErrClosed reports use of a Recognizer after Close.
var ErrClosed = errors.New("sphinx: recognizer closed")

// New checks the model files and initialises the first decoder, so that a
// broken installation is found at start-up; the others are made when
// needed. It returns an error wrapping voice.ErrEngineUnavailable if the
// model cannot be loaded.
func New(cfg Config) (*Recognizer, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Dictionary == "" {
		cfg.Dictionary = DefaultDictionary
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = runtime.NumCPU()
	}
	for _, p := range []string{cfg.Model + "/mdef", cfg.Dictionary} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("sphinx: %w: %w", voice.ErrEngineUnavailable, err)
		}
	}
	d, err := newDecoder(cfg.Model, cfg.Dictionary)
	if err != nil {
		return nil, fmt.Errorf("sphinx: %w: %w", voice.ErrEngineUnavailable, err)
	}
	r := &Recognizer{
		cfg:   cfg,
		idle:  make(chan *decoder, cfg.Decoders),
		slots: make(chan struct{}, cfg.Decoders),
	}
	r.slots <- struct{}{}
	r.idle <- d
	return r, nil
}

// Close frees the idle decoders; decoders in use are freed when released.
// Start and Finish fail after Close.
func (r *Recognizer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	for {
		select {
		case d := <-r.idle:
			d.free()
			<-r.slots
		default:
			return nil
		}
	}
}

// acquire returns an idle decoder, makes one if the pool is not full, or
// waits for one to be released.
func (r *Recognizer) acquire(ctx context.Context) (*decoder, error) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	select {
	case d := <-r.idle:
		return d, nil
	default:
	}
	select {
	case d := <-r.idle:
		return d, nil
	case r.slots <- struct{}{}:
		d, err := newDecoder(r.cfg.Model, r.cfg.Dictionary)
		if err != nil {
			<-r.slots
			return nil, err
		}
		return d, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns d to the pool, or frees it if the Recognizer is closed
// or d has added too many words.
func (r *Recognizer) release(d *decoder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(d.added) > MaxAddedWords {
		d.free()
		<-r.slots
		return
	}
	r.idle <- d
}

// Start begins recognising one utterance of 16-bit PCM at sampleRate
// (8000 or 16000 Hz) constrained by g. It compiles g on a free decoder,
// waiting for one within ctx, so that grammar errors are reported here.
// Errors about g wrap ErrGrammar or ErrNoGrammar and never quote its words.
func (r *Recognizer) Start(ctx context.Context, g voice.Grammar, sampleRate int) (voice.Utterance, error) {
	if sampleRate != ModelRate && sampleRate != ModelRate/2 {
		return nil, fmt.Errorf("sphinx: start: sample rate %d Hz (want 8000 or 16000)", sampleRate)
	}
	tg, err := compile(g)
	if err != nil {
		if errors.Is(err, ErrNoGrammar) {
			return nil, err
		}
		return nil, fmt.Errorf("sphinx: grammar %q: %w", g.Name, err)
	}
	d, err := r.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("sphinx: start: %w", err)
	}
	err = d.prepare(&tg)
	r.release(d)
	if err != nil {
		return nil, fmt.Errorf("sphinx: grammar %q: %w", g.Name, err)
	}
	u := &utterance{r: r, grammar: tg}
	if sampleRate != ModelRate {
		u.up = new(resample.Upsampler)
	}
	return u, nil
}
