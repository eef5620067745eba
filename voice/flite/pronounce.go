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
)

// ErrNoPronunciation reports a word that Pronounce cannot pronounce.
var ErrNoPronunciation = errors.New("flite: no pronunciation")

// arpabet is the CMU Pronouncing Dictionary's phone set without stress
// marks, the set pocketsphinx's en-us model uses.
var arpabet = map[string]bool{
	"AA": true, "AE": true, "AH": true, "AO": true, "AW": true, "AY": true,
	"B": true, "CH": true, "D": true, "DH": true, "EH": true, "ER": true,
	"EY": true, "F": true, "G": true, "HH": true, "IH": true, "IY": true,
	"JH": true, "K": true, "L": true, "M": true, "N": true, "NG": true,
	"OW": true, "OY": true, "P": true, "R": true, "S": true, "SH": true,
	"T": true, "TH": true, "UH": true, "UW": true, "V": true, "W": true,
	"Y": true, "Z": true, "ZH": true,
}

// Pronounce returns the pronunciation of an English word as ARPAbet phones
// without stress marks (for example "gulgowski" → G AH L G AW S K IY), from
// flite's CMU lexicon or, for words it lacks such as most surnames, from
// its letter-to-sound rules. The word may hold only the letters a–z
// (either case) and apostrophes; split compounds and spell out digits
// first. Errors never repeat the word, which may be a patient's name.
func Pronounce(word string) ([]string, error) {
	w := strings.ToLower(word)
	letters := 0
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z':
			letters++
		case r == '\'':
		default:
			return nil, fmt.Errorf("%w: a word of %d bytes has characters other than letters and apostrophes", ErrNoPronunciation, len(word))
		}
	}
	if letters == 0 {
		return nil, fmt.Errorf("%w: word has no letters", ErrNoPronunciation)
	}
	if letters > 64 {
		return nil, fmt.Errorf("%w: word of %d letters is too long", ErrNoPronunciation, letters)
	}
	if err := start(); err != nil {
		return nil, err
	}
	// The letter-to-sound rules know only letters, so apostrophes are
	// dropped: "o'brien" is looked up as "obrien".
	cword := C.CString(strings.ReplaceAll(w, "'", ""))
	defer C.free(unsafe.Pointer(cword))
	var out [1024]C.char
	if err := lock(context.Background()); err != nil {
		return nil, err
	}
	n := C.fd_pronounce(cword, &out[0], C.int(len(out)))
	unlock()
	if n < 0 {
		return nil, fmt.Errorf("%w: lexicon lookup failed", ErrNoPronunciation)
	}
	var phones []string
	for _, p := range strings.Fields(C.GoStringN(&out[0], n)) {
		p = strings.ToUpper(strings.TrimRight(p, "012"))
		switch p {
		case "AX":
			p = "AH"
		case "AXR":
			p = "ER"
		case "PAU":
			continue
		}
		if !arpabet[p] {
			return nil, fmt.Errorf("%w: lexicon gave phone %q outside ARPAbet", ErrNoPronunciation, p)
		}
		phones = append(phones, p)
	}
	if len(phones) == 0 {
		return nil, fmt.Errorf("%w: lexicon gave no phones", ErrNoPronunciation)
	}
	return phones, nil
}
