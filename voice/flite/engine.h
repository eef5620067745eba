// C glue between Go and flite: every entry point sets flite's error jump
// buffer so that an internal error returns instead of exiting the process.
// Callers serialise all calls (see lock in flite.go).
#ifndef FRONTDESK_FLITE_ENGINE_H
#define FRONTDESK_FLITE_ENGINE_H

#include <flite/flite.h>

int fd_init(void);
cst_wave *fd_synth(const char *text);
int fd_wave_rate(const cst_wave *w);
int fd_wave_len(const cst_wave *w);
int fd_wave_channels(const cst_wave *w);
const short *fd_wave_samples(const cst_wave *w);
int fd_pronounce(const char *word, char *out, int n);

#endif
