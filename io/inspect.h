/* io/inspect.h — human-readable summary of a concord file, for `concord inspect`.
   The kind is taken from the root attribute `format`:
   - checkpoint (concord.ckpt): identity (format, version, created_by, wall time, complete), run
     state (round, phase, step, seed, world size, cursors), model config, every tensor with its
     shape and L2 norm (tensors are read one at a time, so memory stays at two tensors), the
     optimizer settings, step and moment norms when /optim exists, whether /ref and /prev exist
     with their L2 distance to /model, and the config JSON (its first lines, with a note when cut).
   - round file (concord.prefs): round, pairs, shapes, judges, aggregation mode, every stored
     statistic, the judge agreement matrix, the kept fraction (label != DROPPED over all rows), the
     label counts, the label accuracy over rows with ground truth (label_correct >= 0), and three
     example pairs (the first kept ones) decoded with the file's charset, with the judge scores.
   Rows of a round file are read in blocks, so memory does not grow with the round's size. */
#ifndef CONCORD_IO_INSPECT_H
#define CONCORD_IO_INSPECT_H

#include <stdio.h>

#include "util/err.h"

#define INSPECT_JSON_LINES 40  // config JSON lines printed before the rest is left out
#define INSPECT_EXAMPLES   3   // example pairs printed for a round file

/* Writes the summary of path to out. One process; needs MPI initialised (round files are read
   through io/prefbuf on MPI_COMM_SELF). Returns 0, or a negative code with e filled (one clear
   sentence: missing, not HDF5, truncated or damaged, neither a checkpoint nor a round file,
   incomplete, inconsistent); out may then hold a partial summary. */
int inspect_file(const char *path, FILE *out, ErrMsg *e) WARN_UNUSED_RESULT;

/* Checks the crc32 of every dataset of a checkpoint or round file without loading a model: one
   line per dataset to out ("ok", or "FAILED" with the stored and computed values or the missing
   attribute), then a summary line. *n_failed receives the number of datasets that failed. One
   process, no MPI. Returns 0 when every dataset could be checked (failed or not), or a negative
   code with e filled: missing, not HDF5, not a concord file, incomplete, or written before
   checksums (nothing to verify). */
int inspect_verify(const char *path, FILE *out, int *n_failed, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
