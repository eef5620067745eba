package sphinx

// #cgo pkg-config: pocketsphinx sphinxbase
// #include <stdlib.h>
// #include "engine.h"
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// quietOnce silences the C libraries' logging before the first decoder is
// made. sphinxbase's -logfn option is not used: every ps_init given it
// reopens the process-wide log file and closes the previous one, which
// races with decoders logging on other goroutines.
var quietOnce sync.Once

// searchName names the decoder's one search: the current utterance's
// grammar, installed before decoding and freed right after.
const searchName = "turn"

// decoderArgs are the pocketsphinx options beyond the model paths.
//
// The beams are far wider than pocketsphinx's defaults (1e-48, 7e-29,
// 1e-48): a grammar turn's search space is small, so they cost a few
// milliseconds per utterance, and with the defaults the search often lost
// every path to the grammar's end on narrowband audio and returned
// nothing. The lattice rescoring pass (-bestpath) is off: for grammar
// searches it never changed a result in the package's tests, its
// posterior is always 1, and building lattices over such wide beams
// sometimes took seconds. Dither is not enabled here because sphinxbase
// draws it from one unsynchronised process-wide generator; see
// addNoiseFloor instead.
var decoderArgs = []string{
	"-samprate", "16000",
	"-beam", "1e-80",
	"-wbeam", "1e-60",
	"-pbeam", "1e-80",
	"-bestpath", "no",
}

// decoder is one initialised pocketsphinx decoder, used by one goroutine
// at a time.
type decoder struct {
	ps *C.ps_decoder_t
	// argv holds the option strings the decoder was made from: its
	// configuration keeps pointers to the option names (sphinxbase's
	// cmd_ln_parse_r does not copy them), so they live as long as it.
	argv []*C.char
	// added holds the words this decoder has added to its dictionary and
	// their pronunciations.
	added map[string][]string
}

// newDecoder initialises a decoder with the model and dictionary.
func newDecoder(model, dict string) (*decoder, error) {
	quietOnce.Do(func() { C.fd_quiet() })
	args := append([]string{"-hmm", model, "-dict", dict}, decoderArgs...)
	d := &decoder{added: make(map[string][]string), argv: make([]*C.char, len(args))}
	for i, a := range args {
		d.argv[i] = C.CString(a)
	}
	d.ps = C.fd_new(C.int(len(d.argv)), &d.argv[0])
	if d.ps == nil {
		d.free()
		return nil, errors.New("cannot initialise decoder")
	}
	return d, nil
}

// free releases the decoder's C memory.
func (d *decoder) free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
	for _, a := range d.argv {
		C.free(unsafe.Pointer(a))
	}
	d.argv = nil
}

// ErrGrammar reports a grammar that cannot be compiled: bad JSGF, an
// empty phrase, or a word that cannot be pronounced.
var ErrGrammar = errors.New("invalid grammar")

// fsg is a compiled finite-state grammar, freed by free.
type fsg struct{ m *C.fsg_model_t }

// build compiles a JSGF grammar.
func (d *decoder) build(jsgf string) (fsg, error) {
	ctext := C.CString(jsgf)
	defer C.free(unsafe.Pointer(ctext))
	var cerr C.int
	m := C.fd_build_fsg(d.ps, ctext, &cerr)
	if m == nil {
		switch cerr {
		case C.FD_JSGF_PUBLIC:
			return fsg{}, fmt.Errorf("%w: want exactly one public rule", ErrGrammar)
		case C.FD_JSGF_EMPTY:
			return fsg{}, fmt.Errorf("%w: no words", ErrGrammar)
		default:
			return fsg{}, fmt.Errorf("%w: JSGF syntax", ErrGrammar)
		}
	}
	return fsg{m}, nil
}

func (g fsg) free() { C.fsg_model_free(g.m) }

// missing returns the grammar's words that the decoder's dictionary
// lacked when the decoder was made: those it has not added yet and those
// it has.
func (d *decoder) missing(g fsg) []string {
	var out []string
	for wid := range int(C.fd_fsg_n_word(g.m)) {
		w := C.fd_fsg_word(g.m, C.int(wid))
		if C.fd_has_word(d.ps, w) == 0 {
			out = append(out, C.GoString(w))
		} else if _, ok := d.added[C.GoString(w)]; ok {
			out = append(out, C.GoString(w))
		}
	}
	return out
}

// has reports whether word is in the decoder's dictionary.
func (d *decoder) has(word string) bool {
	cw := C.CString(word)
	defer C.free(unsafe.Pointer(cw))
	return C.fd_has_word(d.ps, cw) != 0
}

// lookup returns the dictionary pronunciation of word, or nil.
func (d *decoder) lookup(word string) []string {
	cw := C.CString(word)
	defer C.free(unsafe.Pointer(cw))
	p := C.ps_lookup_word(d.ps, cw)
	if p == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(p))
	return strings.Fields(C.GoString(p))
}

// add adds word to the dictionary, unless it is already there, without
// rebuilding searches: the grammar search that needs it is built later.
func (d *decoder) add(word string, phones []string) error {
	if d.has(word) {
		return nil
	}
	cw, cp := C.CString(word), C.CString(strings.Join(phones, " "))
	defer C.free(unsafe.Pointer(cw))
	defer C.free(unsafe.Pointer(cp))
	if C.ps_add_word(d.ps, cw, cp, 0) < 0 {
		return errors.New("cannot add a word to the dictionary")
	}
	d.added[word] = phones
	return nil
}

// use makes g the decoder's search. The decoder keeps its own reference.
func (d *decoder) use(g fsg) error {
	cname := C.CString(searchName)
	defer C.free(unsafe.Pointer(cname))
	if C.fd_use_fsg(d.ps, cname, g.m) < 0 {
		return errors.New("cannot install the grammar search")
	}
	return nil
}

// drop frees the decoder's search and with it the grammar, which may hold
// names.
func (d *decoder) drop() {
	cname := C.CString(searchName)
	defer C.free(unsafe.Pointer(cname))
	C.ps_unset_search(d.ps, cname)
}

// result is the decoder's answer for one utterance.
type result struct {
	// text is the best path's words, space-separated; empty if no path
	// reached the grammar's end.
	text string
	// wordScore is the acoustic log-likelihood of the best path's words,
	// in pocketsphinx's scaled log units, relative to the best-scoring
	// active senone of every frame; wordFrames is how many 10 ms frames
	// they span.
	wordScore, wordFrames int
	// pathScore and pathFrames are the same for the whole path: the words
	// and the silence and noise around them.
	pathScore, pathFrames int
}

// decode recognises one whole utterance of 16 kHz audio with the current
// search.
func (d *decoder) decode(pcm []int16) (result, error) {
	if len(pcm) == 0 {
		return result{}, nil
	}
	if C.fd_decode(d.ps, (*C.short)(unsafe.Pointer(&pcm[0])), C.long(len(pcm))) < 0 {
		return result{}, errors.New("decoding failed")
	}
	var sc C.fd_scores
	h := C.fd_hyp(d.ps, &sc)
	if h == nil {
		return result{}, nil
	}
	return result{
		text:       C.GoString(h),
		wordScore:  int(sc.word_score),
		wordFrames: int(sc.word_frames),
		pathScore:  int(sc.path_score),
		pathFrames: int(sc.path_frames),
	}, nil
}
