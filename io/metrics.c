/* io/metrics.c — metrics.jsonl records; see metrics.h. */
#include "io/metrics.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fs.h"

struct MetricsRecord {
    cJSON *root;
};

MetricsRecord *metrics_record_new(void) {
    MetricsRecord *r = xmalloc("metrics", sizeof *r);
    r->root = cJSON_CreateObject();
    CHECK(r->root);
    return r;
}

void metrics_record_free(MetricsRecord *r) {
    if (!r) return;
    cJSON_Delete(r->root);
    xfree(r);
}

static cJSON *target(MetricsRecord *r, const char *group) {
    if (!group) return r->root;
    cJSON *g = cJSON_GetObjectItemCaseSensitive(r->root, group);
    if (!g) g = cJSON_AddObjectToObject(r->root, group);
    CHECK(g);
    return g;
}

static void set(MetricsRecord *r, const char *group, const char *key, cJSON *item) {
    cJSON *t = target(r, group);
    CHECK(item);
    if (cJSON_GetObjectItemCaseSensitive(t, key))
        cJSON_ReplaceItemInObjectCaseSensitive(t, key, item);
    else
        cJSON_AddItemToObject(t, key, item);
}

void metrics_set_num(MetricsRecord *r, const char *group, const char *key, double v) {
    set(r, group, key, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

void metrics_set_int(MetricsRecord *r, const char *group, const char *key, long long v) {
    set(r, group, key, cJSON_CreateNumber((double)v));
}

void metrics_set_str(MetricsRecord *r, const char *group, const char *key, const char *v) {
    set(r, group, key, cJSON_CreateString(v));
}

void metrics_set_list(MetricsRecord *r, const char *group, const char *key, const double *v,
                      int n) {
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(list, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
    set(r, group, key, list);
}

// write(2) of all n bytes (short writes resumed); 0 or -1 with errno set.
static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        buf += w, n -= (size_t)w;
    }
    return 0;
}

int metrics_append(const char *path, const MetricsRecord *r, ErrMsg *e) {
    char *text = cJSON_PrintUnformatted(r->root);
    CHECK(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = err_set(e, "%s: cannot open for appending: %s", path, strerror(errno));
    } else {
        struct stat st;
        off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
        size_t n = strlen(text);
        text[n] = '\n';  // cJSON's buffer has the NUL there; write the line with its newline
        int failed = write_all(fd, text, n + 1) != 0 || fsync(fd) != 0;
        int saved = errno;
        // A line cut short (a full disk) would make the file unreadable: take it back out.
        if (failed && before >= 0 && ftruncate(fd, before) == 0) (void)fsync(fd);
        if (close(fd) != 0 && !failed) failed = 1, saved = errno;
        if (failed) rc = err_set(e, "cannot append to %s: %s", path, strerror(saved));
        text[n] = '\0';
    }
    cJSON_free(text);
    return rc;
}

// Calls fn for every line of path (parsed); returns -1 with e on a malformed line.
typedef int (*LineFn)(void *ctx, const cJSON *obj, const char *raw);
static int for_each_line(const char *path, LineFn fn, void *ctx, ErrMsg *e) {
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 1 : err_set(e, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len <= 1) continue;
        cJSON *obj = cJSON_Parse(line);
        if (!obj || !cJSON_IsObject(obj))
            rc = err_set(e, "%s:%d: not a JSON object", path, lineno);
        else
            rc = fn(ctx, obj, line);
        cJSON_Delete(obj);
    }
    free(line);
    fclose(f);
    return rc;
}

// A number item's value, NaN for anything else. A literal beyond double's range (1e999) parses
// as an infinity; writers store non-finite values as null, so it reads as null does.
static double value_of(const cJSON *v) {
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
}

static double num_of(const cJSON *obj, const char *key) {
    return value_of(cJSON_GetObjectItemCaseSensitive(obj, key));
}

// A line's "round" as an int: -1 when absent, not a number or beyond int's range (converting
// such a double to int is undefined behaviour).
static int round_of(const cJSON *obj) {
    double r = num_of(obj, "round");
    return r >= INT_MIN && r <= INT_MAX ? (int)r : -1;
}

typedef struct {
    FILE *out;
    int max_round;
} TruncCtx;

static int keep_line(void *ctx, const cJSON *obj, const char *raw) {
    TruncCtx *t = ctx;
    double r = num_of(obj, "round");
    if (!isnan(r) && r <= t->max_round) fputs(raw, t->out);
    return 0;
}

int metrics_truncate(const char *path, int max_round, ErrMsg *e) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (access(path, F_OK) != 0) return 0;
    FILE *out = fopen(tmp, "w");
    if (!out) return err_set(e, "%s: cannot create: %s", tmp, strerror(errno));
    TruncCtx t = {out, max_round};
    int rc = for_each_line(path, keep_line, &t, e);
    // fputs errors stick to the stream: fflush and fclose report them (a full disk included)
    int failed = ferror(out) || fflush(out) != 0;
    int saved = errno;
    if (fclose(out) != 0 && !failed) failed = 1, saved = errno;
    if (failed && rc >= 0) rc = err_set(e, "cannot write %s: %s", tmp, strerror(saved));
    if (rc < 0) {
        unlink(tmp);  // the original file stays as it was
        return rc;
    }
    return fs_publish(tmp, path, NULL, e);
}

static void print_num(FILE *out, double v, const char *fmt, int width) {
    if (isnan(v))
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, fmt, v);
}

static int print_row(void *ctx, const cJSON *obj, const char *raw) {
    FILE *out = ctx;
    (void)raw;
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(obj, "seconds");
    double total = 0.0;
    const cJSON *it;
    cJSON_ArrayForEach(it, sec) if (cJSON_IsNumber(it)) total += it->valuedouble;
    fprintf(out, "%5.0f", num_of(obj, "round"));
    print_num(out, num_of(obj, "greedy_acc"), "%8.3f", 8);
    print_num(out, num_of(obj, "maj_acc"), "%8.3f", 8);
    print_num(out, num_of(obj, "judge_acc"), "%8.3f", 8);
    print_num(out, num_of(obj, "kept_fraction"), "%8.3f", 8);
    print_num(out, num_of(obj, "label_accuracy"), "%8.3f", 8);
    print_num(out, num_of(obj, "judge_agreement"), "%8.3f", 8);
    print_num(out, num_of(obj, "loss"), " %9.4g", 10);  // INPO's loss may reach thousands
    print_num(out, total, "%8.1f", 8);
    fputc('\n', out);
    return 0;
}

int metrics_print_summary(const char *path, FILE *out, ErrMsg *e) {
    fprintf(out, "%5s%8s%8s%8s%8s%8s%8s%10s%8s\n", "round", "greedy", "maj@K", "judge", "kept",
            "lab_acc", "agree", "loss", "seconds");
    int rc = for_each_line(path, print_row, out, e);
    return rc < 0 ? rc : 0;
}

// The ensemble table: mean and per-model greedy accuracy, the models' vote, the kept labels.
static int print_ensemble_row(void *ctx, const cJSON *obj, const char *raw) {
    FILE *out = ctx;
    (void)raw;
    fprintf(out, "%5.0f", num_of(obj, "round"));
    print_num(out, num_of(obj, "greedy_acc"), "%8.3f", 8);
    print_num(out, num_of(obj, "vote_acc"), "%8.3f", 8);
    print_num(out, num_of(obj, "kept_fraction"), "%8.3f", 8);
    print_num(out, num_of(obj, "label_accuracy"), "%8.3f", 8);
    print_num(out, num_of(obj, "seconds_total"), "%8.1f", 8);
    fputs("   ", out);
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(obj, "greedy_acc_by_model"), *it;
    cJSON_ArrayForEach(it, by) {
        if (cJSON_IsNumber(it))
            fprintf(out, " %.3f", it->valuedouble);
        else
            fputs("     -", out);
    }
    double level = num_of(obj, "level"), agreed = num_of(obj, "level_agreement_rate");
    if (isfinite(level)) fprintf(out, "   level %.0f", level);
    if (isfinite(level) && isfinite(agreed)) fprintf(out, " (%.0f%% agreed)", 100 * agreed);
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(obj, "accuracy_by_level");
    if (cJSON_IsObject(lv) && lv->child) {
        fputs("   by level:", out);
        cJSON_ArrayForEach(it, lv) {
            if (cJSON_IsNumber(it))
                fprintf(out, " %s:%.2f", it->string, it->valuedouble);
            else
                fprintf(out, " %s:-", it->string);
        }
    }
    fputc('\n', out);
    return 0;
}

int metrics_print_ensemble_summary(const char *path, FILE *out, ErrMsg *e) {
    fprintf(out, "%5s%8s%8s%8s%8s%8s    %s\n", "round", "greedy", "vote", "kept", "lab_acc",
            "seconds", "greedy accuracy of each model");
    int rc = for_each_line(path, print_ensemble_row, out, e);
    return rc < 0 ? rc : 0;
}

typedef struct {
    const char *key;
    int *rounds;
    double *values;
    int n, cap;
} ColumnCtx;

static int take_value(void *ctx, const cJSON *obj, const char *raw) {
    ColumnCtx *c = ctx;
    (void)raw;
    if (c->n < c->cap) {
        c->rounds[c->n] = round_of(obj);
        c->values[c->n] = num_of(obj, c->key);
        c->n++;
    }
    return 0;
}

int metrics_read_column(const char *path, const char *key, int *rounds, double *values, int n,
                        ErrMsg *e) {
    ColumnCtx c = {key, rounds, values, 0, n};
    int rc = for_each_line(path, take_value, &c, e);
    if (rc < 0) return rc;
    if (rc == 1) return err_set(e, "%s: no such file", path);
    return c.n;
}

typedef struct {
    const char *key;
    int *rounds;
    double *values;
    int n, cap, max_len, len;
} ListCtx;

static int take_list(void *ctx, const cJSON *obj, const char *raw) {
    ListCtx *c = ctx;
    (void)raw;
    if (c->n >= c->cap) return 0;
    double *row = c->values + (size_t)c->n * c->max_len;
    for (int j = 0; j < c->max_len; j++) row[j] = NAN;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, c->key), *it;
    int j = 0;
    if (cJSON_IsArray(list)) {
        cJSON_ArrayForEach(it, list) {
            if (j >= c->max_len) break;
            row[j++] = value_of(it);
        }
    }
    if (j > c->len) c->len = j;
    c->rounds[c->n++] = round_of(obj);
    return 0;
}

int metrics_read_list(const char *path, const char *key, int *rounds, double *values, int n_rounds,
                      int max_len, int *len, ErrMsg *e) {
    ListCtx c = {key, rounds, values, 0, n_rounds, max_len, 0};
    int rc = for_each_line(path, take_list, &c, e);
    if (rc < 0) return rc;
    if (rc == 1) return err_set(e, "%s: no such file", path);
    *len = c.len;
    return c.n;
}

typedef struct {
    const char *key;
    int *rounds, *levels;
    double *values;
    int n, cap, max_levels, n_levels;
} LevelCtx;

// Column of level l, inserted in sorted place (earlier lines' rows shifted) when it is new.
static int level_column(LevelCtx *c, int l) {
    int j = 0;
    while (j < c->n_levels && c->levels[j] < l) j++;
    if (j < c->n_levels && c->levels[j] == l) return j;
    if (c->n_levels >= c->max_levels) return -1;
    for (int i = 0; i <= c->n && i < c->cap; i++) {
        double *row = c->values + (size_t)i * c->max_levels;
        memmove(row + j + 1, row + j, (size_t)(c->n_levels - j) * sizeof *row);
        row[j] = NAN;
    }
    memmove(c->levels + j + 1, c->levels + j, (size_t)(c->n_levels - j) * sizeof *c->levels);
    c->levels[j] = l;
    c->n_levels++;
    return j;
}

static int take_levels(void *ctx, const cJSON *obj, const char *raw) {
    LevelCtx *c = ctx;
    (void)raw;
    if (c->n >= c->cap) return 0;
    double *row = c->values + (size_t)c->n * c->max_levels;
    for (int j = 0; j < c->max_levels; j++) row[j] = NAN;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, c->key), *it;
    if (cJSON_IsObject(o)) {
        cJSON_ArrayForEach(it, o) {
            char *end;
            long l = strtol(it->string, &end, 10);
            if (end == it->string || *end) continue;  // not a level number
            int j = level_column(c, (int)l);
            if (j >= 0) row[j] = value_of(it);
        }
    }
    c->rounds[c->n++] = round_of(obj);
    return 0;
}

int metrics_read_levels(const char *path, const char *key, int *rounds, int *levels, double *values,
                        int n_rounds, int max_levels, int *n_levels, ErrMsg *e) {
    LevelCtx c = {key, rounds, levels, values, 0, n_rounds, max_levels, 0};
    int rc = for_each_line(path, take_levels, &c, e);
    if (rc < 0) return rc;
    if (rc == 1) return err_set(e, "%s: no such file", path);
    *n_levels = c.n_levels;
    return c.n;
}
