/* tests/fuzz/fuzz_small.c — libFuzzer harness of the small text files of a run directory:
   ckpt/LATEST (ckpt_latest, io/ckpt.h: where a resume starts) and metrics.jsonl (the readers of
   io/metrics.h that `concord plot` uses: metrics_read_column, metrics_read_list,
   metrics_read_levels).
   Input: one settings byte, then the file's bytes. Settings: bit 0 picks the file (0 LATEST,
   1 metrics.jsonl); for LATEST bit 1 gives ckpt_latest a path buffer just too short for
   "<run>/ckpt/round_0000.h5"; for metrics.jsonl bits 1-2 pick the reader (column, list, levels,
   column), bits 3-4 the key ("loss", "greedy_acc_by_model", "accuracy_by_level", "round") and
   bits 5-7 the capacity given (rows 0, 1, 2, 3, 5, 8, 13, 64; lists and levels up to 1 + bits 5-6).
   Buffers are allocated to exactly the capacity, so AddressSanitizer sees any write past it.
   Properties:
   - LATEST: a refusal has a message naming the LATEST file; an accepted one gives
     "<run>/ckpt/<name>" where name is a checkpoint file name in its canonical form
     (ckpt_name_parse accepts it, no '/'), and the file holds that name followed only by
     whitespace (or by a NUL: the reader reads a C string) in the CKPT_NAME_MAX + 7 bytes the
     reader looks at (a longer name cannot be valid).
   - metrics.jsonl: a refusal has a message naming the file; otherwise the count is at most the
     capacity and equals the number of non-empty lines up to it (every line is read or the file is
     refused); lists are at most max_len long, level numbers strictly increasing and at most the
     capacity; every value is a finite number or NaN (NaN for null, absent, or not a number
     double holds: writers store non-finite values as null). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/ckpt.h"
#include "io/metrics.h"

static char run_dir[600], ckpt_dir[700], latest_path[800], metrics_path[700];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("small");
    fuzz_path(run_dir, sizeof run_dir, "run");
    snprintf(ckpt_dir, sizeof ckpt_dir, "%s/ckpt", run_dir);
    snprintf(latest_path, sizeof latest_path, "%s/LATEST", ckpt_dir);
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.jsonl", run_dir);
    ErrMsg e;
    if (fs_mkdir_p(ckpt_dir, &e) != 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", ckpt_dir, e.msg);
        abort();
    }
    return 0;
}

static void fuzz_latest(const uint8_t *data, size_t size, int short_buffer) {
    fuzz_write_file(latest_path, data, size);
    char path[CKPT_PATH_MAX];
    // "<run>/ckpt/round_0000.h5" needs strlen(ckpt_dir) + 15 bytes with its NUL
    size_t cap = short_buffer ? strlen(ckpt_dir) + 14 : sizeof path;
    ErrMsg e = {{0}};
    int rc = ckpt_latest(run_dir, path, cap, &e);
    if (rc != 0) {
        fuzz_expect(rc < 0, "ckpt_latest returned %d", rc);
        fuzz_check_message(&e, "ckpt_latest");
        fuzz_expect(strstr(e.msg, "LATEST") != NULL || strstr(e.msg, ckpt_dir) != NULL,
                    "ckpt_latest's message names neither LATEST nor the checkpoint: %s", e.msg);
        return;
    }
    size_t n = strnlen(path, cap);
    fuzz_expect(n < cap, "ckpt_latest's path is not terminated inside the buffer");
    size_t k = strlen(ckpt_dir);
    fuzz_expect(n > k + 1 && strncmp(path, ckpt_dir, k) == 0 && path[k] == '/',
                "ckpt_latest's path %s is not inside %s", path, ckpt_dir);
    const char *name = path + k + 1;
    fuzz_expect(strchr(name, '/') == NULL, "ckpt_latest names %s, not a file of ckpt/", name);
    int32_t round;
    int64_t step;
    fuzz_expect(ckpt_name_parse(name, &round, &step) == 0 && round >= 0 && step >= -1,
                "ckpt_latest accepted '%s', not a checkpoint file name", name);
    size_t len = strlen(name);
    fuzz_expect(size >= len && memcmp(data, name, len) == 0,
                "ckpt_latest's name '%s' is not what LATEST begins with", name);
    for (size_t i = len; i < size && i < CKPT_NAME_MAX + 7 && data[i] != '\0'; i++)
        fuzz_expect(data[i] == '\n' || data[i] == '\r' || data[i] == ' ',
                    "LATEST holds more than the name '%s' (byte %zu is 0x%02x)", name, i, data[i]);
}

// Non-empty lines as getline() splits them (a line of just "\n" is skipped by the readers).
static int count_lines(const uint8_t *data, size_t size) {
    int lines = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == '\n') {
            size_t len = i - start + (i < size);  // with its newline
            if (len > 1) lines++;
            start = i + 1;
        }
    return lines;
}

static void check_value(double v, const char *who, int i) {
    fuzz_expect(isnan(v) || isfinite(v), "%s: value %d is %g, expected a finite number or NaN", who,
                i, v);
}

static void fuzz_metrics(const uint8_t *data, size_t size, uint8_t settings) {
    static const char *const keys[] = {"loss", "greedy_acc_by_model", "accuracy_by_level", "round"};
    static const int caps[] = {0, 1, 2, 3, 5, 8, 13, 64};
    fuzz_write_file(metrics_path, data, size);
    int reader = (settings >> 1) & 3, n = caps[settings >> 5], width = 1 + ((settings >> 5) & 3);
    const char *key = keys[(settings >> 3) & 3];
    // exactly the capacity (1 element where it is 0, so malloc gives a real, untouched buffer)
    int *rounds = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *levels = malloc(sizeof(int) * (size_t)width);
    double *values = malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)width);
    ErrMsg e = {{0}};
    const char *who = reader == 1   ? "metrics_read_list"
                      : reader == 2 ? "metrics_read_levels"
                                    : "metrics_read_column";
    int len = -1, n_levels = -1, got;
    if (reader == 1)
        got = metrics_read_list(metrics_path, key, rounds, values, n, width, &len, &e);
    else if (reader == 2)
        got =
            metrics_read_levels(metrics_path, key, rounds, levels, values, n, width, &n_levels, &e);
    else
        got = metrics_read_column(metrics_path, key, rounds, values, n, &e);
    if (got < 0) {
        fuzz_check_message(&e, who);
        fuzz_expect(strstr(e.msg, "metrics.jsonl") != NULL,
                    "%s's message does not name the file: "
                    "%s",
                    who, e.msg);
    } else {
        int lines = count_lines(data, size);
        fuzz_expect(got == (lines < n ? lines : n), "%s read %d lines of %d (capacity %d)", who,
                    got, lines, n);
        int per_row = reader == 0 ? 1 : width;
        for (int i = 0; i < got * per_row; i++) check_value(values[i], who, i);
        if (reader == 1) fuzz_expect(len >= 0 && len <= width, "%s: length %d", who, len);
        if (reader == 2) {
            fuzz_expect(n_levels >= 0 && n_levels <= width, "%s: %d levels", who, n_levels);
            for (int j = 1; j < n_levels; j++)
                fuzz_expect(levels[j - 1] < levels[j], "%s: levels %d, %d out of order", who,
                            levels[j - 1], levels[j]);
        }
    }
    free(rounds);
    free(levels);
    free(values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t settings = size ? data[0] : 0;
    const uint8_t *file = size ? data + 1 : data;
    size_t n = size ? size - 1 : 0;
    if (settings & 1)
        fuzz_metrics(file, n, settings);
    else
        fuzz_latest(file, n, settings & 2);
    return 0;
}
