/* tests/test_fs.c — util/fs: mkdir -p, fsync of files and directories, the publish step, paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/fs.h"

static char root[256];

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK_TRUE(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static int holds(const char *path, const char *text) {
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

static void test_mkdir(void) {
    char path[512], file[512];
    ErrMsg e = {{0}};
    snprintf(path, sizeof path, "%s/a/b/c", root);
    CHECK_TRUE(fs_mkdir_p(path, &e) == 0 && is_dir(path));
    CHECK_TRUE(fs_mkdir_p(path, &e) == 0);  // existing: fine
    snprintf(path, sizeof path, "%s/a/b/c/", root);
    CHECK_TRUE(fs_mkdir_p(path, &e) == 0);  // trailing slash
    snprintf(file, sizeof file, "%s/file", root);
    put(file, "x");
    snprintf(path, sizeof path, "%s/file/sub", root);
    CHECK_MSG(fs_mkdir_p(path, &e) < 0 && strstr(e.msg, "cannot create") && strstr(e.msg, path),
              "'%s'", e.msg);
    snprintf(path, sizeof path, "%s/one", root);
    CHECK_TRUE(fs_mkdir(path) == 0 && is_dir(path) && fs_mkdir(path) == 0);
    snprintf(path, sizeof path, "%s/no/such", root);  // not -p: the parent must exist
    CHECK_TRUE(fs_mkdir(path) < 0 && errno == ENOENT);
}

static void test_fsync(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/file", root);
    CHECK_TRUE(fs_fsync_path(path) == 0);
    CHECK_TRUE(fs_fsync_dir(root) == 0);
    CHECK_TRUE(fs_fsync_dir(path) < 0 && errno == ENOTDIR);
    snprintf(path, sizeof path, "%s/missing", root);
    CHECK_TRUE(fs_fsync_path(path) < 0 && errno == ENOENT);
    CHECK_TRUE(fs_fsync_dir(path) < 0 && errno == ENOENT);
}

static void test_publish(void) {
    char tmp[512], dst[512];
    ErrMsg e = {{0}};
    snprintf(tmp, sizeof tmp, "%s/out.txt.tmp", root);
    snprintf(dst, sizeof dst, "%s/out.txt", root);
    put(dst, "old");
    put(tmp, "new");
    CHECK_TRUE(fs_publish(tmp, dst, NULL, &e) == 0);
    CHECK_TRUE(holds(dst, "new") && access(tmp, F_OK) != 0);
    // A missing temporary file fails before the rename and leaves dst alone.
    CHECK_MSG(fs_publish(tmp, dst, "fs.test", &e) < 0 && errno == ENOENT &&
                  strstr(e.msg, "cannot flush") && strstr(e.msg, tmp),
              "'%s'", e.msg);
    CHECK_TRUE(holds(dst, "new"));
    // A rename onto a directory fails with its own message.
    snprintf(dst, sizeof dst, "%s/one", root);
    put(tmp, "x");
    CHECK_MSG(fs_publish(tmp, dst, NULL, &e) < 0 && strstr(e.msg, "cannot rename"), "'%s'", e.msg);
}

static void test_paths(void) {
    char out[64];
    fs_dirname(out, sizeof out, "a/b/c.h5");
    CHECK_TRUE(strcmp(out, "a/b") == 0);
    fs_dirname(out, sizeof out, "c.h5");
    CHECK_TRUE(strcmp(out, ".") == 0);
    fs_dirname(out, sizeof out, "/c.h5");
    CHECK_TRUE(strcmp(out, "/") == 0);
    fs_join(out, sizeof out, "run", "ckpt");
    CHECK_TRUE(strcmp(out, "run/ckpt") == 0);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/concord_test_fs_XXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_mkdir();
    test_fsync();
    test_publish();
    test_paths();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", root);
    return check_report();
}
