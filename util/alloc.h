/* util/alloc.h — checked heap allocation with per-label accounting.
   Every heap block of the program goes through xmalloc/xcalloc/xfree: out of memory dies with the
   label, size and call site; alloc_report() prints the live bytes per label (rank 0 prints it once
   at start-up so users see where memory goes). Not thread-safe: only the main thread allocates. */
#ifndef CONCORD_UTIL_ALLOC_H
#define CONCORD_UTIL_ALLOC_H

#include <stddef.h>
#include <stdio.h>

void *xmalloc_at(const char *label, size_t bytes, const char *file, int line);
void *xcalloc_at(const char *label, size_t count, size_t size, const char *file, int line);
void *xrealloc_at(const char *label, void *ptr, size_t bytes, const char *file, int line);
char *xstrdup_at(const char *label, const char *s, const char *file, int line);
/* Frees a block from xmalloc/xcalloc/xrealloc/xstrdup; NULL is allowed. */
void xfree(void *ptr);

/* Bytes currently allocated under label (0 if unknown). */
size_t alloc_live_bytes(const char *label);
/* Prints one line per label with live bytes, and the total. */
void alloc_report(FILE *out);

#define xmalloc(label, bytes)       xmalloc_at(label, bytes, __FILE__, __LINE__)
#define xcalloc(label, n, size)     xcalloc_at(label, n, size, __FILE__, __LINE__)
#define xrealloc(label, ptr, bytes) xrealloc_at(label, ptr, bytes, __FILE__, __LINE__)
#define xstrdup(label, s)           xstrdup_at(label, s, __FILE__, __LINE__)

#endif
