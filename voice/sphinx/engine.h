// C glue between Go and pocketsphinx. A decoder is used by one goroutine at
// a time; nothing here is shared between decoders except sphinxbase's
// logging hook, which fd_quiet sets once before the first decoder exists.
#ifndef FRONTDESK_SPHINX_ENGINE_H
#define FRONTDESK_SPHINX_ENGINE_H

#include <pocketsphinx.h>
#include <sphinxbase/fsg_model.h>

// Grammar errors from fd_build_fsg.
enum {
	FD_JSGF_SYNTAX = -1,
	FD_JSGF_PUBLIC = -2,
	FD_JSGF_EMPTY = -3,
};

void fd_quiet(void);
ps_decoder_t *fd_new(int argc, char **argv);
fsg_model_t *fd_build_fsg(ps_decoder_t *ps, const char *jsgf, int *err);
int fd_fsg_n_word(fsg_model_t *fsg);
const char *fd_fsg_word(fsg_model_t *fsg, int wid);
int fd_has_word(ps_decoder_t *ps, const char *word);
int fd_use_fsg(ps_decoder_t *ps, const char *name, fsg_model_t *fsg);
int fd_decode(ps_decoder_t *ps, const short *pcm, long n);

// fd_scores holds the acoustic scores of a hypothesis; see fd_hyp.
typedef struct {
	long word_score, word_frames;
	long path_score, path_frames;
} fd_scores;

const char *fd_hyp(ps_decoder_t *ps, fd_scores *sc);

#endif
