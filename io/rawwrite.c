/* io/rawwrite.c — extents written with O_DIRECT; see rawwrite.h. */
#define _GNU_SOURCE  // O_DIRECT
#include "io/rawwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fault.h"

#define RAW_BOUNCE ((size_t)16 << 20)  // aligned staging buffer of the direct writes
#ifndef O_DIRECT
#define O_DIRECT 0  // no direct I/O on this platform: everything goes through the cache
#endif

void rawplan_add(RawPlan *p, uint64_t offset, const void *src, size_t bytes) {
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->ext = xrealloc("rawwrite.plan", p->ext, (size_t)p->cap * sizeof *p->ext);
    }
    p->ext[p->n++] = (RawExtent){.offset = offset, .src = src, .bytes = bytes};
}

void rawplan_mark(RawPlan *p, const char *name) {
    CHECK(p->n_marks < (int)(sizeof p->marks / sizeof p->marks[0]));
    p->marks[p->n_marks++] = (RawMark){.before = p->n, .name = name};
}

void rawplan_free(RawPlan *p) {
    xfree(p->ext);
    p->ext = NULL;
    p->n = p->cap = 0;
}

// pwrite of all n bytes (partial writes and EINTR resumed); 0 or -1 with errno set.
static int pwrite_all(int fd, const char *buf, size_t n, off_t off) {
    while (n > 0) {
        ssize_t w = pwrite(fd, buf, n < ((size_t)1 << 30) ? n : ((size_t)1 << 30), off);
        if (w < 0 && errno == EINTR) continue;
        if (w == 0) errno = EIO;
        if (w <= 0) return -1;
        buf += w, n -= (size_t)w, off += w;
    }
    return 0;
}

typedef struct {
    int fd, fd_direct;  // plain and O_DIRECT descriptors of the file (fd_direct -1: none)
    char *bounce;       // RAW_BOUNCE bytes, RAW_ALIGN-aligned, inside bounce_mem
    void *bounce_mem;   // owned
} RawWriter;

// Writes one extent: its whole RAW_ALIGN blocks through fd_direct (staged in the aligned
// buffer), the rest through fd. A direct write refused with EINVAL switches to fd for good.
static int raw_extent(RawWriter *w, const RawExtent *x) {
    size_t done = 0, direct = x->bytes / RAW_ALIGN * RAW_ALIGN;
    if (w->fd_direct < 0 || x->offset % RAW_ALIGN != 0) direct = 0;
    while (done < direct) {
        size_t n = direct - done < RAW_BOUNCE ? direct - done : RAW_BOUNCE;
        memcpy(w->bounce, x->src + done, n);
        if (pwrite_all(w->fd_direct, w->bounce, n, (off_t)(x->offset + done)) == 0) {
            done += n;
        } else if (errno == EINVAL) {
            close(w->fd_direct);
            w->fd_direct = -1;
            break;
        } else {
            return -1;
        }
    }
    return pwrite_all(w->fd, x->src + done, x->bytes - done, (off_t)(x->offset + done));
}

int raw_write(const char *path, const RawPlan *p, ErrMsg *e) {
    RawWriter w = {.fd = open(path, O_WRONLY), .fd_direct = -1};
    if (w.fd < 0) return err_set(e, "cannot open %s to write tensors: %s", path, strerror(errno));
    if (O_DIRECT) w.fd_direct = open(path, O_WRONLY | O_DIRECT);
    w.bounce_mem = xmalloc("rawwrite.bounce", RAW_BOUNCE + RAW_ALIGN);
    w.bounce = (char *)w.bounce_mem + (RAW_ALIGN - (uintptr_t)w.bounce_mem % RAW_ALIGN);
    int rc = 0, mark = 0;
    for (int i = 0; i <= p->n && rc == 0; i++) {
        for (; mark < p->n_marks && p->marks[mark].before == i; mark++)
            fault_point(p->marks[mark].name);
        if (i < p->n && raw_extent(&w, &p->ext[i]) < 0)
            rc = err_set(e, "cannot write tensor data to %s: %s", path, strerror(errno));
    }
    if (w.fd_direct >= 0) close(w.fd_direct);
    if (close(w.fd) != 0 && rc == 0)
        rc = err_set(e, "cannot write tensor data to %s: %s", path, strerror(errno));
    xfree(w.bounce_mem);
    return rc;
}
