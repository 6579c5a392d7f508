/* io/ckpt_state.h — the checkpoint directory's steps that ckpt.c's writer takes on rank 0 (not a
   public interface: callers use ckpt.h). */
#ifndef CONCORD_IO_CKPT_STATE_H
#define CONCORD_IO_CKPT_STATE_H

#include "util/err.h"

/* Removes stale "<checkpoint>.h5.tmp" and LATEST.tmp files of dir left by crashed writes. */
void ckpt_remove_stale_tmp(const char *dir);

/* Writes dir/LATEST naming file (via LATEST.tmp, fsync, rename, fsync of dir). Returns 0 or -1
   with e filled. */
int ckpt_write_latest(const char *dir, const char *file, ErrMsg *e) WARN_UNUSED_RESULT;

/* Keeps the newest keep checkpoints of dir (keep <= 0: all) plus round_0000.h5 and latest;
   deletes the rest. */
void ckpt_retain(const char *dir, int keep, const char *latest);

#endif
