/* util/alloc.c — checked allocation with per-label byte totals; see alloc.h.
   Each block carries a small header (label slot, size) in front of the user pointer, aligned to 64
   bytes so slabs handed to BLAS and vector loops start on a cache line. */
#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define ALLOC_ALIGN 64
#define MAX_LABELS  128

typedef struct {
    const char *label;  // string literal or xstrdup'ed by the table (never freed)
    size_t live;        // bytes currently allocated under this label
} LabelTotal;

typedef struct {
    size_t bytes;  // user bytes
    int slot;      // index in labels[]
    int magic;     // guards xfree against foreign pointers
} BlockHeader;

#define BLOCK_MAGIC 0x0c0dc0d0

static LabelTotal labels[MAX_LABELS];
static int n_labels = 0;

static int label_slot(const char *label) {
    for (int i = 0; i < n_labels; i++)
        if (strcmp(labels[i].label, label) == 0) return i;
    if (n_labels == MAX_LABELS) return MAX_LABELS - 1;  // overflow shares the last slot
    labels[n_labels].label = label;
    labels[n_labels].live = 0;
    return n_labels++;
}

static void *attach(void *raw, const char *label, size_t bytes) {
    BlockHeader *h = (BlockHeader *)((char *)raw + ALLOC_ALIGN - sizeof(BlockHeader));
    h->bytes = bytes;
    h->slot = label_slot(label);
    h->magic = BLOCK_MAGIC;
    labels[h->slot].live += bytes;
    return (char *)raw + ALLOC_ALIGN;
}

static BlockHeader *header_of(void *ptr) {
    BlockHeader *h = (BlockHeader *)((char *)ptr - sizeof(BlockHeader));
    CHECKF(h->magic == BLOCK_MAGIC, "xfree/xrealloc of a pointer not from xmalloc");
    return h;
}

void *xmalloc_at(const char *label, size_t bytes, const char *file, int line) {
    if (bytes > SIZE_MAX - ALLOC_ALIGN) die_at(file, line, "xmalloc", "%s: size overflow", label);
    void *raw = NULL;
    if (posix_memalign(&raw, ALLOC_ALIGN, bytes + ALLOC_ALIGN) != 0 || !raw)
        die_at(file, line, "xmalloc", "out of memory allocating %zu bytes for %s", bytes, label);
    return attach(raw, label, bytes);
}

void *xcalloc_at(const char *label, size_t count, size_t size, const char *file, int line) {
    if (size && count > SIZE_MAX / size) die_at(file, line, "xcalloc", "%s: size overflow", label);
    void *p = xmalloc_at(label, count * size, file, line);
    memset(p, 0, count * size);
    return p;
}

void *xrealloc_at(const char *label, void *ptr, size_t bytes, const char *file, int line) {
    if (!ptr) return xmalloc_at(label, bytes, file, line);
    BlockHeader *h = header_of(ptr);
    size_t old = h->bytes;
    void *fresh = xmalloc_at(label, bytes, file, line);
    memcpy(fresh, ptr, old < bytes ? old : bytes);
    xfree(ptr);
    return fresh;
}

char *xstrdup_at(const char *label, const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = xmalloc_at(label, n, file, line);
    memcpy(p, s, n);
    return p;
}

void xfree(void *ptr) {
    if (!ptr) return;
    BlockHeader *h = header_of(ptr);
    labels[h->slot].live -= h->bytes;
    h->magic = 0;
    free((char *)ptr - ALLOC_ALIGN);
}

size_t alloc_live_bytes(const char *label) {
    for (int i = 0; i < n_labels; i++)
        if (strcmp(labels[i].label, label) == 0) return labels[i].live;
    return 0;
}

void alloc_report(FILE *out) {
    size_t total = 0;
    for (int i = 0; i < n_labels; i++) {
        if (!labels[i].live) continue;
        fprintf(out, "  memory %-24s %10.2f MiB\n", labels[i].label, labels[i].live / 1048576.0);
        total += labels[i].live;
    }
    fprintf(out, "  memory %-24s %10.2f MiB\n", "total", total / 1048576.0);
}
