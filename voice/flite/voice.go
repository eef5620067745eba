package flite

// #include <stdlib.h>
// #include "engine.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"frontdesk/voice"
)

// SampleRate is the rate, in Hz, of the audio the kal voice produces.
const SampleRate = 8000

// MaxText is the longest text, in bytes, that Synthesize accepts: far more
// than any prompt, small enough to bound the memory one call can take.
const MaxText = 8192

// Voice is flite's cmu_us_kal voice. It implements voice.Synthesizer and is
// safe for concurrent use; calls are served one at a time.
type Voice struct{}

var _ voice.Synthesizer = (*Voice)(nil)

// New initialises flite and returns the kal voice.
func New() (*Voice, error) {
	if err := start(); err != nil {
		return nil, err
	}
	return &Voice{}, nil
}

// SampleRate returns 8000, the rate of the audio Synthesize returns.
func (*Voice) SampleRate() int { return SampleRate }

// Synthesize returns text spoken by the kal voice as 16-bit PCM at 8 kHz.
// Flite expands numbers, abbreviations and punctuation itself. The context
// bounds the wait for the engine; synthesis itself is not interruptible.
func (*Voice) Synthesize(ctx context.Context, text string) ([]int16, error) {
	switch {
	case strings.TrimSpace(text) == "":
		return nil, errors.New("flite: synthesize: empty text")
	case len(text) > MaxText:
		return nil, fmt.Errorf("flite: synthesize: text of %d bytes exceeds %d", len(text), MaxText)
	case strings.IndexByte(text, 0) >= 0:
		return nil, errors.New("flite: synthesize: text contains a NUL byte")
	}
	if err := start(); err != nil {
		return nil, err
	}
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	if err := lock(ctx); err != nil {
		return nil, fmt.Errorf("flite: synthesize: %w", err)
	}
	defer unlock()
	w := C.fd_synth(ctext)
	if w == nil {
		return nil, errors.New("flite: synthesize: synthesis failed")
	}
	defer C.delete_wave(w)
	if rate := int(C.fd_wave_rate(w)); rate != SampleRate {
		return nil, fmt.Errorf("flite: synthesize: voice produced %d Hz, want %d", rate, SampleRate)
	}
	if ch := int(C.fd_wave_channels(w)); ch != 1 {
		return nil, fmt.Errorf("flite: synthesize: voice produced %d channels, want 1", ch)
	}
	n := int(C.fd_wave_len(w))
	if n == 0 {
		// Punctuation alone, or only characters flite cannot read.
		return nil, errors.New("flite: synthesize: text has nothing to speak")
	}
	pcm := make([]int16, n)
	copy(pcm, unsafe.Slice((*int16)(unsafe.Pointer(C.fd_wave_samples(w))), n))
	return pcm, nil
}
