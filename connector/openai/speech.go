package openai

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"frontdesk/gate/egress"
	"frontdesk/voice"
	"frontdesk/voice/wav"
)

// SampleRate is the rate of the audio a Synthesizer returns: call audio.
const SampleRate = 8000

// SpeechOptions configure a Synthesizer.
type SpeechOptions struct {
	// Model is the speech model (default "tts-1").
	Model string
	// Voice is the provider's voice (default "alloy").
	Voice string
	// Format is "wav" (default) or "pcm": raw 16-bit little-endian mono at
	// PCMRate.
	Format string
	// PCMRate is the rate of "pcm" audio (default 24000, the API's).
	PCMRate int
	// Speed is the speaking rate, 0.25..4; zero leaves the provider's default.
	Speed float64
	// Entity is recorded with each egress; default destination/<name>.
	Entity string
}

// Synthesizer speaks prompts with a provider's /audio/speech endpoint. It
// implements voice.Synthesizer.
type Synthesizer struct {
	c *Client
	o SpeechOptions
}

var _ voice.Synthesizer = (*Synthesizer)(nil)

// ErrRedactedPrompt reports a prompt from which the gate removed PHI before
// it reached a redacted destination: its speech would say the placeholders.
var ErrRedactedPrompt = errors.New("openai speech: the prompt holds PHI that the destination may not receive; speak it with a local voice")

// Synthesizer returns a synthesizer that uses c's destination.
func (c *Client) Synthesizer(o SpeechOptions) *Synthesizer {
	if o.Model == "" {
		o.Model = "tts-1"
	}
	if o.Voice == "" {
		o.Voice = "alloy"
	}
	if o.Format == "" {
		o.Format = "wav"
	}
	if o.PCMRate == 0 {
		o.PCMRate = 24000
	}
	return &Synthesizer{c: c, o: o}
}

// SampleRate returns 8000.
func (s *Synthesizer) SampleRate() int { return SampleRate }

// speechRequest is the body of /audio/speech.
type speechRequest struct {
	Model          string  `json:"model"`
	Input          string  `json:"input"`
	Voice          string  `json:"voice"`
	ResponseFormat string  `json:"response_format"`
	Speed          float64 `json:"speed,omitempty"`
}

// Synthesize returns text spoken at 8 kHz.
func (s *Synthesizer) Synthesize(ctx context.Context, text string) ([]int16, error) {
	if s.o.Format != "wav" && s.o.Format != "pcm" {
		return nil, fmt.Errorf("openai speech: format %q: want wav or pcm", s.o.Format)
	}
	if text == "" {
		return nil, nil
	}
	resp, err := s.c.do(ctx, call{op: "speech", path: "audio/speech", entity: s.o.Entity,
		payload: egress.JSON{Value: speechRequest{Model: s.o.Model, Input: text, Voice: s.o.Voice, ResponseFormat: s.o.Format, Speed: s.o.Speed}},
		pass:    []string{"model", "voice", "response_format"}})
	if err != nil {
		return nil, err
	}
	if resp.Egress.Counts.Total() > 0 {
		return nil, ErrRedactedPrompt
	}
	var pcm []int16
	rate := s.o.PCMRate
	switch s.o.Format {
	case "wav":
		if pcm, rate, err = wav.Read(bytes.NewReader(resp.Body)); err != nil {
			return nil, fmt.Errorf("openai speech: the provider's audio: %w", err)
		}
	case "pcm":
		if len(resp.Body)%2 != 0 {
			return nil, errors.New("openai speech: the provider's PCM has an odd number of bytes")
		}
		pcm = make([]int16, len(resp.Body)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(resp.Body[2*i:]))
		}
	}
	out, err := resampleTo(pcm, rate, SampleRate)
	if err != nil {
		return nil, fmt.Errorf("openai speech: %w", err)
	}
	return out, nil
}
