#include <stdlib.h>
#include <string.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/cmd_ln.h>
#include <sphinxbase/jsgf.h>
#include <sphinxbase/feat.h>
#include "engine.h"

static void fd_nolog(void *user, err_lvl_t lvl, const char *fmt, ...) {
	(void)user;
	(void)lvl;
	(void)fmt;
}

// fd_quiet discards all sphinxbase and pocketsphinx log output: it can name
// grammar words, which may be patients' names.
void fd_quiet(void) {
	err_set_callback(fd_nolog, NULL);
	err_set_logfp(NULL);
}

// fd_new initialises a decoder from command-line style arguments
// ("-hmm", dir, "-dict", file, …).
ps_decoder_t *fd_new(int argc, char **argv) {
	cmd_ln_t *config;
	ps_decoder_t *ps;

	config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
	if (config == NULL)
		return NULL;
	ps = ps_init(config);
	cmd_ln_free_r(config);
	return ps;
}

// fd_build_fsg compiles a JSGF grammar with exactly one public rule into a
// finite-state grammar. On failure it returns NULL and sets *err.
fsg_model_t *fd_build_fsg(ps_decoder_t *ps, const char *text, int *err) {
	jsgf_t *jsgf;
	jsgf_rule_iter_t *itor;
	jsgf_rule_t *rule = NULL;
	fsg_model_t *fsg;
	int npublic = 0;

	*err = 0;
	jsgf = jsgf_parse_string(text, NULL);
	if (jsgf == NULL) {
		*err = FD_JSGF_SYNTAX;
		return NULL;
	}
	for (itor = jsgf_rule_iter(jsgf); itor; itor = jsgf_rule_iter_next(itor)) {
		jsgf_rule_t *r = jsgf_rule_iter_rule(itor);
		if (jsgf_rule_public(r)) {
			rule = r;
			npublic++;
		}
	}
	if (npublic != 1) {
		jsgf_grammar_free(jsgf);
		*err = FD_JSGF_PUBLIC;
		return NULL;
	}
	fsg = jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps),
		cmd_ln_float32_r(ps_get_config(ps), "-lw"));
	jsgf_grammar_free(jsgf);
	if (fsg == NULL) {
		*err = FD_JSGF_SYNTAX;
		return NULL;
	}
	if (fsg_model_n_word(fsg) == 0) {
		fsg_model_free(fsg);
		*err = FD_JSGF_EMPTY;
		return NULL;
	}
	return fsg;
}

int fd_fsg_n_word(fsg_model_t *fsg) { return fsg_model_n_word(fsg); }
const char *fd_fsg_word(fsg_model_t *fsg, int wid) { return fsg_model_word_str(fsg, wid); }

int fd_has_word(ps_decoder_t *ps, const char *word) {
	char *p = ps_lookup_word(ps, word);
	if (p == NULL)
		return 0;
	free(p);
	return 1;
}

// fd_use_fsg installs fsg as the search called name and activates it. The
// decoder keeps its own reference; the caller still frees fsg.
int fd_use_fsg(ps_decoder_t *ps, const char *name, fsg_model_t *fsg) {
	if (ps_set_fsg(ps, name, fsg) < 0)
		return -1;
	return ps_set_search(ps, name);
}

// fd_decode decodes one whole utterance with the active search.
int fd_decode(ps_decoder_t *ps, const short *pcm, long n) {
	// The model's feat.params asks for batch cepstral mean normalisation,
	// which sphinxbase silently and permanently switches to live CMN the
	// first time audio arrives in pieces. Insist on batch: every utterance
	// is normalised by its own mean and inherits nothing from earlier ones.
	ps_get_feat(ps)->cmn = CMN_BATCH;
	// A new stream also resets the front end's noise estimate, which
	// otherwise carries over from the previous utterance.
	if (ps_start_stream(ps) < 0)
		return -1;
	if (ps_start_utt(ps) < 0)
		return -1;
	if (ps_process_raw(ps, pcm, n, 0, 1) < 0) {
		ps_end_utt(ps);
		return -1;
	}
	return ps_end_utt(ps);
}

// fd_hyp returns the final hypothesis, or NULL, with the acoustic scores
// and frame counts of its words and of its whole path (words, silence and
// noise). Grammar transition scores are left out, so that the figures do
// not depend on how many alternatives the grammar has.
const char *fd_hyp(ps_decoder_t *ps, fd_scores *sc) {
	int32 s = 0;
	const char *hyp = ps_get_hyp(ps, &s);
	ps_seg_t *seg;

	memset(sc, 0, sizeof(*sc));
	if (hyp == NULL)
		return NULL;
	for (seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
		const char *w = ps_seg_word(seg);
		int32 ascr, lscr, lback;
		int sf, ef;

		// "(NULL)" marks a null transition, which spans no audio.
		if (w == NULL || w[0] == '(')
			continue;
		ps_seg_prob(seg, &ascr, &lscr, &lback);
		ps_seg_frames(seg, &sf, &ef);
		if (ef < sf)
			continue;
		sc->path_score += ascr;
		sc->path_frames += ef - sf + 1;
		// Fillers: <sil>, <s>, </s>, [NOISE], [SPEECH].
		if (w[0] == '<' || w[0] == '[')
			continue;
		sc->word_score += ascr;
		sc->word_frames += ef - sf + 1;
	}
	return hyp;
}
