/* util/fs.c — directories, fsync and the durable publish step; see fs.h. */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fault.h"

#define FS_PATH_MAX 4096  // longest path handled

int fs_mkdir(const char *path) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    return -1;
}

int fs_mkdir_p(const char *path, ErrMsg *e) {
    char buf[FS_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return err_set(e, "cannot create %s: %s", path, strerror(ENAMETOOLONG));
    // Parents' failures are not reported: the last mkdir names the reason that matters.
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        (void)mkdir(buf, 0755);
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return err_set(e, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

static int fsync_open(const char *path, int flags) {
    int fd = open(path, flags);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0 ? 0 : -1;
}

int fs_fsync_path(const char *path) { return fsync_open(path, O_RDONLY); }

int fs_fsync_dir(const char *dir) { return fsync_open(dir, O_RDONLY | O_DIRECTORY); }

void fs_dirname(char *out, size_t size, const char *path) {
    const char *slash = strrchr(path, '/');
    int n;
    if (!slash)
        n = snprintf(out, size, ".");
    else if (slash == path)
        n = snprintf(out, size, "/");
    else
        n = snprintf(out, size, "%.*s", (int)(slash - path), path);
    CHECKF(n >= 0 && (size_t)n < size, "directory of %s is too long", path);
}

void fs_join(char *out, size_t size, const char *a, const char *b) {
    int n = snprintf(out, size, "%s/%s", a, b);
    CHECKF(n >= 0 && (size_t)n < size, "path %s/%s is too long", a, b);
}

// err_set formats with the C library, which may change errno; the caller may still want it.
static int fail_keep_errno(ErrMsg *e, const char *tmp, const char *dst, const char *flushed) {
    int saved = errno;
    if (flushed)
        err_set(e, "cannot flush %s to disk: %s", flushed, strerror(saved));
    else
        err_set(e, "cannot rename %s to %s: %s", tmp, dst, strerror(saved));
    errno = saved;
    return -1;
}

int fs_publish(const char *tmp, const char *dst, const char *fault, ErrMsg *e) {
    char dir[FS_PATH_MAX];
    fs_dirname(dir, sizeof dir, dst);
    if (fs_fsync_path(tmp) != 0) return fail_keep_errno(e, tmp, dst, tmp);
    if (fault) fault_point(fault);
    if (rename(tmp, dst) != 0) return fail_keep_errno(e, tmp, dst, NULL);
    if (fs_fsync_dir(dir) != 0) return fail_keep_errno(e, tmp, dst, dir);
    return 0;
}
