/* io/ckpt_state.c — checkpoint run state, names, and the checkpoint directory: LATEST, stale
   temporary files, retention; see ckpt.h. The HDF5 layout is in ckpt.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ckpt.h"
#include "io/ckpt_state.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/log.h"

static const char *const PHASES[] = {"sft",   "generate", "judge", "aggregate",
                                     "train", "eval",     "done"};

/* ---- state ---- */

void ckpt_state_init(CkptState *s, int world_size) {
    CHECKF(world_size >= 1, "ckpt_state_init: world_size %d", world_size);
    memset(s, 0, sizeof *s);
    snprintf(s->phase, sizeof s->phase, "sft");
    s->world_size = world_size;
    s->rng = xcalloc("ckpt.state", (size_t)world_size, sizeof(Rng));
    s->role = xcalloc("ckpt.state", (size_t)world_size, 1);
}

void ckpt_state_free(CkptState *s) {
    xfree(s->rng);
    xfree(s->role);
    memset(s, 0, sizeof *s);
}

void ckpt_state_set_cursor(CkptState *s, const char *name, int64_t value) {
    CHECKF(name[0] && strlen(name) < CKPT_CURSOR_NAME_MAX, "bad cursor name '%s'", name);
    for (int i = 0; i < s->n_cursors; i++) {
        if (strcmp(s->cursor_name[i], name) == 0) {
            s->cursor[i] = value;
            return;
        }
    }
    CHECKF(s->n_cursors < CKPT_MAX_CURSORS, "too many checkpoint cursors (max %d)",
           CKPT_MAX_CURSORS);
    snprintf(s->cursor_name[s->n_cursors], CKPT_CURSOR_NAME_MAX, "%s", name);
    s->cursor[s->n_cursors++] = value;
}

int64_t ckpt_state_cursor(const CkptState *s, const char *name, int64_t dflt) {
    for (int i = 0; i < s->n_cursors; i++)
        if (strcmp(s->cursor_name[i], name) == 0) return s->cursor[i];
    return dflt;
}

void ckpt_state_set_total(CkptState *s, const char *name, double value) {
    CHECKF(name[0] && strlen(name) < CKPT_CURSOR_NAME_MAX, "bad total name '%s'", name);
    for (int i = 0; i < s->n_totals; i++) {
        if (strcmp(s->total_name[i], name) == 0) {
            s->total[i] = value;
            return;
        }
    }
    CHECKF(s->n_totals < CKPT_MAX_TOTALS, "too many checkpoint totals (max %d)", CKPT_MAX_TOTALS);
    snprintf(s->total_name[s->n_totals], CKPT_CURSOR_NAME_MAX, "%s", name);
    s->total[s->n_totals++] = value;
}

double ckpt_state_total(const CkptState *s, const char *name, double dflt) {
    for (int i = 0; i < s->n_totals; i++)
        if (strcmp(s->total_name[i], name) == 0) return s->total[i];
    return dflt;
}

void ckpt_state_clear_totals(CkptState *s) { s->n_totals = 0; }

int ckpt_phase_valid(const char *phase) {
    for (size_t i = 0; i < sizeof PHASES / sizeof PHASES[0]; i++)
        if (strcmp(phase, PHASES[i]) == 0) return 1;
    return 0;
}

/* ---- names ---- */

void ckpt_name_round(char *buf, size_t size, int32_t round) {
    snprintf(buf, size, "round_%04d", (int)round);
}

void ckpt_name_step(char *buf, size_t size, int32_t round, int64_t step) {
    snprintf(buf, size, "round_%04d-step_%08lld", (int)round, (long long)step);
}

int ckpt_name_parse(const char *name, int32_t *round, int64_t *step) {
    int r = -1, n = 0;
    long long s = -1;
    char again[CKPT_NAME_MAX + 8];
    if (strlen(name) >= CKPT_NAME_MAX) return -1;
    if (sscanf(name, "round_%d-step_%lld.h5%n", &r, &s, &n) == 2 && name[n] == '\0') {
        if (r < 0 || s < 0) return -1;
        ckpt_name_step(again, sizeof again, r, s);
    } else if (sscanf(name, "round_%d.h5%n", &r, &n) == 1 && name[n] == '\0') {
        if (r < 0) return -1;
        s = -1;
        ckpt_name_round(again, sizeof again, r);
    } else {
        return -1;
    }
    strcat(again, ".h5");
    if (strcmp(again, name) != 0) return -1;  // only the canonical spelling counts
    *round = r;
    *step = s;
    return 0;
}

/* ---- the checkpoint directory ---- */

int ckpt_write_latest(const char *dir, const char *file, ErrMsg *e) {
    char tmp[CKPT_PATH_MAX], dst[CKPT_PATH_MAX];
    fs_join(tmp, sizeof tmp, dir, "LATEST.tmp");
    fs_join(dst, sizeof dst, dir, "LATEST");
    FILE *f = fopen(tmp, "w");
    if (!f) return err_set(e, "cannot create %s: %s", tmp, strerror(errno));
    int ok = fprintf(f, "%s\n", file) > 0;
    ok = (fflush(f) == 0) && ok;
    int saved = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok) return err_set(e, "cannot write %s: %s", tmp, strerror(saved));
    return fs_publish(tmp, dst, NULL, e);
}

typedef struct {
    char name[CKPT_NAME_MAX];
    int32_t round;
    int64_t step;
} CkptFile;

// Newest first: higher round, then mid-round (step >= 0) after the round's start (step = -1).
static int ckpt_file_cmp(const void *a, const void *b) {
    const CkptFile *x = a, *y = b;
    if (x->round != y->round) return x->round > y->round ? -1 : 1;
    if (x->step != y->step) return x->step > y->step ? -1 : 1;
    return 0;
}

void ckpt_remove_stale_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char path[CKPT_PATH_MAX], base[CKPT_NAME_MAX];
    int32_t r;
    int64_t s;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        int stale = strcmp(de->d_name, "LATEST.tmp") == 0;
        if (!stale && len > 4 && len - 4 < sizeof base &&
            strcmp(de->d_name + len - 4, ".tmp") == 0) {
            memcpy(base, de->d_name, len - 4);
            base[len - 4] = '\0';
            stale = ckpt_name_parse(base, &r, &s) == 0;
        }
        if (!stale) continue;
        fs_join(path, sizeof path, dir, de->d_name);
        if (unlink(path) != 0)
            log_warn("checkpoint: cannot remove stale %s: %s", path, strerror(errno));
    }
    closedir(d);
}

void ckpt_retain(const char *dir, int keep, const char *latest) {
    if (keep <= 0) return;
    DIR *d = opendir(dir);
    if (!d) return;
    CkptFile *files = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        CkptFile f;
        if (ckpt_name_parse(de->d_name, &f.round, &f.step) != 0) continue;
        memcpy(f.name, de->d_name, strlen(de->d_name) + 1);  // parse bounds it by CKPT_NAME_MAX
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            files = xrealloc("ckpt.retain", files, (size_t)cap * sizeof *files);
        }
        files[n++] = f;
    }
    closedir(d);
    if (n > 0) qsort(files, (size_t)n, sizeof *files, ckpt_file_cmp);
    for (int i = keep; i < n; i++) {
        if ((files[i].round == 0 && files[i].step < 0) || strcmp(files[i].name, latest) == 0)
            continue;
        char path[CKPT_PATH_MAX];
        fs_join(path, sizeof path, dir, files[i].name);
        if (unlink(path) != 0)
            log_warn("checkpoint: cannot remove old %s: %s", path, strerror(errno));
    }
    xfree(files);
}

int ckpt_latest(const char *run_dir, char *path, size_t size, ErrMsg *e) {
    char latest[CKPT_PATH_MAX], name[CKPT_NAME_MAX + 8] = "";
    if ((size_t)snprintf(latest, sizeof latest, "%s/ckpt/LATEST", run_dir) >= sizeof latest)
        return err_set(e, "run directory path %s is too long", run_dir);
    FILE *f = fopen(latest, "r");
    if (!f)
        return err_set(e, "no checkpoint to resume from: cannot open %s: %s", latest,
                       strerror(errno));
    size_t n = fread(name, 1, sizeof name - 1, f);
    fclose(f);
    name[n] = '\0';
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r' || name[n - 1] == ' '))
        name[--n] = '\0';
    int32_t r;
    int64_t s;
    if (ckpt_name_parse(name, &r, &s) != 0)
        return err_set(e,
                       "%s should hold a checkpoint file name such as round_0003.h5, found '%.64s'",
                       latest, name);
    if ((size_t)snprintf(path, size, "%s/ckpt/%s", run_dir, name) >= size)
        return err_set(e, "checkpoint path %s/ckpt/%s is too long", run_dir, name);
    return 0;
}
