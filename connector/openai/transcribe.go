package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode"

	"frontdesk/gate/egress"
	"frontdesk/voice"
	"frontdesk/voice/wav"
)

// TranscriptionOptions configure a Recognizer.
type TranscriptionOptions struct {
	// Model is the transcription model (default "whisper-1").
	Model string
	// Language is the ISO-639-1 language of the speech (default "en").
	Language string
	// Entity is recorded with each egress, e.g. call/…; default
	// destination/<name>.
	Entity string
	// MaxSeconds bounds one utterance (default 60).
	MaxSeconds int
}

// Recognizer transcribes utterances with a provider's /audio/transcriptions
// endpoint. It implements voice.Recognizer.
type Recognizer struct {
	c *Client
	o TranscriptionOptions
}

var _ voice.Recognizer = (*Recognizer)(nil)

// Recognizer returns a recognizer that sends audio to c's destination,
// which must be of class baa.
func (c *Client) Recognizer(o TranscriptionOptions) *Recognizer {
	if o.Model == "" {
		o.Model = "whisper-1"
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.MaxSeconds <= 0 {
		o.MaxSeconds = 60
	}
	return &Recognizer{c: c, o: o}
}

// Start begins an utterance at sampleRate Hz. It fails at once, wrapping
// egress.ErrAudioRefused, if the destination is not baa, so that the caller
// can fall back to a local engine. A grammar's phrases are sent as the
// prompt, which steers the provider's vocabulary; a JSGF grammar is not.
func (r *Recognizer) Start(ctx context.Context, g voice.Grammar, sampleRate int) (voice.Utterance, error) {
	if sampleRate < 8000 || sampleRate > 48000 {
		return nil, fmt.Errorf("openai transcription: sample rate %d Hz is outside 8000..48000", sampleRate)
	}
	class, err := r.c.class()
	if err != nil {
		return nil, err
	}
	if class != egress.ClassBAA {
		return nil, fmt.Errorf("openai transcription: destination %q is class %s: %w", r.c.o.Destination, class, egress.ErrAudioRefused)
	}
	return &utterance{r: r, ctx: ctx, rate: sampleRate, prompt: strings.Join(g.Phrases, ", "),
		max: r.o.MaxSeconds * sampleRate}, nil
}

// utterance buffers one utterance's audio until Finish sends it.
type utterance struct {
	r      *Recognizer
	ctx    context.Context
	rate   int
	prompt string
	max    int

	mu       sync.Mutex
	pcm      []int16
	finished bool
}

// ErrUtteranceTooLong reports more audio than TranscriptionOptions.MaxSeconds.
var ErrUtteranceTooLong = errors.New("openai transcription: utterance too long")

// ErrFinished reports use of an utterance after Finish or Close.
var ErrFinished = errors.New("openai transcription: utterance already finished")

// Write buffers the next chunk of audio.
func (u *utterance) Write(pcm []int16) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.finished {
		return ErrFinished
	}
	if len(u.pcm)+len(pcm) > u.max {
		return fmt.Errorf("%w: more than %d s", ErrUtteranceTooLong, u.max/u.rate)
	}
	u.pcm = append(u.pcm, pcm...)
	return nil
}

// Finish uploads the utterance as a WAV file and returns the transcript in
// lower case, without punctuation. An utterance without audio is not sent.
func (u *utterance) Finish() (voice.Hypothesis, error) {
	u.mu.Lock()
	if u.finished {
		u.mu.Unlock()
		return voice.Hypothesis{}, ErrFinished
	}
	u.finished = true
	pcm := u.pcm
	u.pcm = nil
	u.mu.Unlock()
	if len(pcm) == 0 {
		return voice.Hypothesis{}, nil
	}
	var file bytes.Buffer
	if err := wav.Write(&file, pcm, u.rate); err != nil {
		return voice.Hypothesis{}, fmt.Errorf("openai transcription: %w", err)
	}
	o := u.r.o
	fields := []egress.Field{{Name: "model", Value: o.Model}, {Name: "language", Value: o.Language},
		{Name: "response_format", Value: "verbose_json"}, {Name: "temperature", Value: "0"}}
	if u.prompt != "" {
		fields = append(fields, egress.Field{Name: "prompt", Value: u.prompt})
	}
	resp, err := u.r.c.do(u.ctx, call{op: "transcription", path: "audio/transcriptions", entity: o.Entity,
		payload: egress.Form{Fields: fields, Files: []egress.File{{Field: "file", Filename: "utterance.wav", ContentType: "audio/wav", Data: file.Bytes()}}}})
	if err != nil {
		return voice.Hypothesis{}, err
	}
	var out transcription
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return voice.Hypothesis{}, fmt.Errorf("openai transcription: the provider's answer is not a transcription: %w", err)
	}
	return out.hypothesis(), nil
}

// Close drops the utterance's audio; safe after Finish.
func (u *utterance) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.finished = true
	u.pcm = nil
	return nil
}

// transcription is the verbose_json answer of /audio/transcriptions; a
// provider that answers plain json gives only Text.
type transcription struct {
	Text     string `json:"text"`
	Segments []struct {
		Start        float64 `json:"start"`
		End          float64 `json:"end"`
		AvgLogprob   float64 `json:"avg_logprob"`
		NoSpeechProb float64 `json:"no_speech_prob"`
	} `json:"segments"`
}

// hypothesis normalises the transcript as the local engines write theirs
// (lower case words, no punctuation) and derives a confidence from the
// segments: the duration-weighted mean of exp(avg_logprob)·(1−no_speech_prob),
// the probability per token of the decoded text given that there is speech.
// Without segments the provider gave no measure, and the confidence is 0.5:
// confirm with the caller.
func (t transcription) hypothesis() voice.Hypothesis {
	text := normalise(t.Text)
	if text == "" {
		return voice.Hypothesis{}
	}
	var sum, weight float64
	for _, s := range t.Segments {
		w := s.End - s.Start
		if w <= 0 {
			w = 1e-3
		}
		p := math.Exp(math.Min(s.AvgLogprob, 0)) * (1 - math.Max(0, math.Min(1, s.NoSpeechProb)))
		sum += w * p
		weight += w
	}
	conf := 0.5
	if weight > 0 {
		conf = sum / weight
	}
	return voice.Hypothesis{Text: text, Confidence: conf}
}

// normalise lower-cases s and keeps letters, digits and apostrophes inside
// words, one space between words.
func normalise(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	for i := range f {
		f[i] = strings.Trim(f[i], "'")
	}
	return strings.Join(strings.Fields(strings.Join(f, " ")), " ")
}
