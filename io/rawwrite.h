/* io/rawwrite.h — writing large blocks of a file at known offsets, bypassing the page cache.
   A single-rank checkpoint lets HDF5 lay the file out (every object created, contiguous storage
   allocated), closes it, and then writes the tensor bytes straight to their extents with this
   module: whole 4 KiB blocks through an O_DIRECT descriptor staged in an aligned buffer, the rest
   with plain pwrite. On this kind of machine page-cache allocation, not the disk, limits buffered
   writes of GB-sized files. Where the file system refuses O_DIRECT, plain pwrite is used. */
#ifndef CONCORD_IO_RAWWRITE_H
#define CONCORD_IO_RAWWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define RAW_ALIGN 4096  // O_DIRECT alignment of offsets, lengths and buffers

typedef struct {
    uint64_t offset;  // file offset of the extent
    const char *src;  // its bytes in memory (borrowed)
    size_t bytes;     // length
} RawExtent;

typedef struct {
    int before;        // fire before writing extent `before` (== n: after the last one)
    const char *name;  // util/fault.h point (a string literal)
} RawMark;

/* Extents to write, in order, with fault points between them. */
typedef struct {
    RawExtent *ext;    // (n) owned
    int n, cap;        // used, allocated
    RawMark marks[8];  // fault points, in order
    int n_marks;
} RawPlan;

/* Appends an extent. */
void rawplan_add(RawPlan *p, uint64_t offset, const void *src, size_t bytes);
/* Records fault point `name` at the current end of the plan. */
void rawplan_mark(RawPlan *p, const char *name);
/* Frees the extents; safe twice. */
void rawplan_free(RawPlan *p);

/* Writes every extent of p into the existing file path (not fsynced: the caller fsyncs before
   renaming). Returns 0 or -1 with e naming the file and the system error. */
int raw_write(const char *path, const RawPlan *p, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
