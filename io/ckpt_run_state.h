/* io/ckpt_run_state.h — a checkpoint's /state group (run position, RNG streams, role masks, named
   cursors and phase totals), written and read for io/ckpt.c (not a public interface: callers use
   ckpt.h). Every rank holds the same state; the root writes, every rank reads. */
#ifndef CONCORD_IO_CKPT_RUN_STATE_H
#define CONCORD_IO_CKPT_RUN_STATE_H

#include <hdf5.h>

#include "io/ckpt.h"

/* Writes /state of s into file (is_root: this rank writes the rows). Returns 0 or -1 with e
   filled after a failed write (every write is still made, as collective writes require). */
int ckpt_state_write_group(hid_t file, const CkptState *s, int is_root, hid_t dxpl, ErrMsg *e);

/* Reads /state of f into s (replacing its contents) only when everything reads cleanly and every
   checksum matches. Returns 0 or -1 with e naming path and the dataset. */
int ckpt_state_read_group(hid_t f, const char *path, CkptState *s, hid_t dxpl,
                          ErrMsg *e) WARN_UNUSED_RESULT;

#endif
