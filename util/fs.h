/* util/fs.h — durable file-system steps shared by every module that writes files (no MPI).
   A file is published by writing it under a temporary name, flushing it to disk, renaming it onto
   its final name and flushing the directory, so that after a crash the final name holds either
   the old file or the complete new one, and the rename itself survives. */
#ifndef CONCORD_UTIL_FS_H
#define CONCORD_UTIL_FS_H

#include <stddef.h>

#include "util/err.h"

/* Creates the directory path (mode 0777 less the umask); an existing one is fine. Returns 0, or
   -1 with errno set (a file of that name also counts as existing: later opens report it). */
int fs_mkdir(const char *path) WARN_UNUSED_RESULT;

/* mkdir -p with mode 0755: creates path and its missing parents. Returns 0, or -1 with e =
   "cannot create <path>: <reason>" (the reason of the last component). */
int fs_mkdir_p(const char *path, ErrMsg *e) WARN_UNUSED_RESULT;

/* Flushes a file's (fs_fsync_path) or a directory's (fs_fsync_dir) data to disk. Both return 0, or
   -1 with errno set. */
int fs_fsync_path(const char *path) WARN_UNUSED_RESULT;
int fs_fsync_dir(const char *dir) WARN_UNUSED_RESULT;

/* Writes the directory part of path ("." for a bare name, "/" for "/name") into out; dies if it
   does not fit. */
void fs_dirname(char *out, size_t size, const char *path);

/* out = a + "/" + b; dies if it does not fit (callers bound the lengths beforehand). */
void fs_join(char *out, size_t size, const char *a, const char *b);

/* The publish step for a closed temporary file: fsyncs tmp, calls fault_point(fault) when fault is
   not NULL (a crash test's point just before the rename), renames tmp onto dst and fsyncs dst's
   directory. Returns 0, or -1 with e filled and errno kept from the failed call. */
int fs_publish(const char *tmp, const char *dst, const char *fault, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
