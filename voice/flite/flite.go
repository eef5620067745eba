// Package flite is the appliance's local text-to-speech engine: CMU Flite
// 2.2 with its cmu_us_kal diphone voice, linked through cgo against
// Debian's flite1-dev. The kal voice speaks natively at 8 kHz, the rate of
// G.711 calls, so prompts need no resampling on the phone path.
//
// Flite is not documented as safe for concurrent use and keeps global
// state (at least its error jump buffer), so every call into it is
// serialised by one package-wide lock. That costs little: a twelve-word
// prompt takes about 4 ms to synthesise (BenchmarkSynthesize).
//
// Flite reports internal errors by longjmp or, if no jump buffer is set,
// by exiting the process. Every entry point here sets a jump buffer first,
// so an internal error becomes a Go error instead.
//
// The package also exposes flite's English lexicon and letter-to-sound
// rules through Pronounce, which the speech recognizer uses for words its
// own dictionary lacks.
package flite

// #cgo LDFLAGS: -lflite_cmu_us_kal -lflite_usenglish -lflite_cmulex -lflite -lm
// #include "engine.h"
import "C"

import (
	"context"
	"errors"
	"sync"
)

var (
	// engine serialises every call into flite; a channel rather than a
	// mutex so that waiting callers can give up when their context ends.
	engine = make(chan struct{}, 1)

	initOnce sync.Once
	initErr  error
)

// start initialises flite once per process.
func start() error {
	initOnce.Do(func() {
		engine <- struct{}{}
		defer func() { <-engine }()
		if C.fd_init() != 0 {
			initErr = errors.New("flite: cannot initialise the kal voice")
		}
	})
	return initErr
}

// lock waits for the engine or for ctx to end.
func lock(ctx context.Context) error {
	select {
	case engine <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unlock() { <-engine }
