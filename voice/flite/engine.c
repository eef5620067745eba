#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include "engine.h"

// Neither is declared in flite's installed headers.
cst_voice *register_cmu_us_kal(const char *voxdir);
cst_lexicon *cmu_lex_init(void);

static cst_voice *fd_voice;
static cst_lexicon *fd_lex;

// fd_init initialises flite, the kal voice and the CMU lexicon; 0 on success.
int fd_init(void) {
	jmp_buf jb;
	cst_errjmp = &jb;
	if (setjmp(jb)) {
		cst_errjmp = NULL;
		return -1;
	}
	flite_init();
	fd_voice = register_cmu_us_kal(NULL);
	fd_lex = cmu_lex_init();
	cst_errjmp = NULL;
	return (fd_voice != NULL && fd_lex != NULL) ? 0 : -1;
}

// fd_synth synthesises text, or returns NULL on error. The caller copies
// the samples and frees the wave with delete_wave.
cst_wave *fd_synth(const char *text) {
	jmp_buf jb;
	cst_wave *volatile w = NULL;
	cst_errjmp = &jb;
	if (setjmp(jb)) {
		cst_errjmp = NULL;
		return NULL;
	}
	w = flite_text_to_wave(text, fd_voice);
	cst_errjmp = NULL;
	return w;
}

int fd_wave_rate(const cst_wave *w) { return w->sample_rate; }
int fd_wave_len(const cst_wave *w) { return w->num_samples; }
int fd_wave_channels(const cst_wave *w) { return w->num_channels; }
const short *fd_wave_samples(const cst_wave *w) { return w->samples; }

// fd_pronounce writes word's phones, space-separated, into out (n bytes).
// It returns the length written, -1 on error, or -2 if out is too small.
int fd_pronounce(const char *word, char *out, int n) {
	jmp_buf jb;
	cst_val *volatile phones = NULL;
	const cst_val *p;
	int len = 0;
	cst_errjmp = &jb;
	if (setjmp(jb)) {
		cst_errjmp = NULL;
		return -1;
	}
	phones = lex_lookup(fd_lex, word, NULL, NULL);
	cst_errjmp = NULL;
	if (phones == NULL)
		return -1;
	for (p = phones; p; p = val_cdr(p)) {
		const char *ph = val_string(val_car(p));
		int m = strlen(ph);
		if (len + m + 2 > n) {
			delete_val(phones);
			return -2;
		}
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, ph, m);
		len += m;
	}
	out[len] = 0;
	delete_val(phones);
	return len;
}
