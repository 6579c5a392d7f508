/* tests/fuzz/fuzz_prefbuf.c — libFuzzer harness of the round-file reader (io/prefbuf.h):
   prefbuf_load (prefbuf_open + prefbuf_read_rows, collective, here on MPI_COMM_SELF), plus
   inspect_file, the `concord inspect` summary of a round file.
   Structure-aware (see h5mutate.h for why and how): at start-up concord's own writer makes three
   valid round files: 5 rows of every label kind (no filters), the same with shuffle+deflate
   chunks, and a round without rows. Input: one byte of settings (bits 0-6 mod 3 pick the base
   file, bit 7 reseals the checksums after the edits), then an edit program.
   Properties: the reader refuses with a message or accepts; accepted rows are as many as the file
   says, every label is a pref_label value, the shape and names are in range and terminated; no
   HDF5 object is left open after any call; and accepted rows have what their consumers rely on
   (the learner and inspect copy prompt_len and chosen_len/rejected_len tokens out of each row):
   lengths within [0, P] and [0, R], response indices >= -1, token ids of the file's charset.
   Its finding K2 (tests/fuzz/README.md: prefbuf_read_rows did not check those, and inspect_file
   read past its row buffers) is fixed; the inputs are regressions under
   tests/fuzz/regressions/prefbuf. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "h5mutate.h"
#include "io/inspect.h"
#include "io/prefbuf.h"

#define N_BASES 3

static H5Base base[N_BASES];
static char file_path[600];
static FILE *devnull;

// The base rows: 5 (or 0) rows, P = 4, R = 3, J = 2, every label kind, a NaN score.
static void make_rows(PrefRows *r, PrefMeta *m, int64_t n) {
    prefbuf_meta_init(m, 1, 4, 3, 2);
    snprintf(m->judge_names[0], PREFBUF_NAME_LEN, "llm_judge");
    snprintf(m->judge_names[1], PREFBUF_NAME_LEN, "implicit");
    snprintf(m->aggregation, sizeof m->aggregation, "unanimous");
    prefbuf_meta_add_stat(m, "kept_fraction", 0.6);
    prefbuf_meta_add_stat(m, "label_accuracy", NAN);
    for (int i = 0; i < 4; i++) m->agreement[i] = (float)(i + 1) / 4.0f;
    prefbuf_rows_alloc(r, n, 4, 3, 2);
    static const int8_t labels[5] = {PREF_PREFERRED, PREF_TIE, PREF_DROPPED, PREF_CHOSEN_ONLY,
                                     PREF_PREFERRED};
    for (int64_t i = 0; i < n; i++) {
        r->prompt_id[i] = i;
        r->label[i] = labels[i % 5];
        r->chosen_idx[i] = (int32_t)(i % 3);
        r->rejected_idx[i] = r->label[i] == PREF_CHOSEN_ONLY ? -1 : (int32_t)((i + 1) % 3);
        r->prompt_len[i] = (int32_t)(1 + i % 4);
        r->chosen_len[i] = (int32_t)(1 + i % 3);
        r->rejected_len[i] = r->rejected_idx[i] < 0 ? 0 : (int32_t)(i % 3);
        for (int k = 0; k < 4; k++) r->prompt[i * 4 + k] = k < r->prompt_len[i] ? 4 + k : 0;
        for (int k = 0; k < 3; k++) {
            r->chosen[i * 3 + k] = k < r->chosen_len[i] ? 5 + k : 0;
            r->rejected[i * 3 + k] = k < r->rejected_len[i] ? 6 + k : 0;
        }
        for (int j = 0; j < 4; j++) r->judge_scores[i * 4 + j] = j == 3 ? NAN : 0.25f * j;
        r->prob[i] = 0.75f;
        r->weight[i] = 1.0f;
        r->confidence[i] = 0.5f;
        r->label_correct[i] = (int8_t)(i % 3 - 1);
    }
}

static void write_base(int which) {
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "base%d", which);
    fuzz_path(path, sizeof path, dir);
    snprintf(dir, sizeof dir, "%s", path);
    ErrMsg e = {{0}};
    if (fs_mkdir_p(dir, &e) != 0) {
        fprintf(stderr, "fuzz_prefbuf: %s\n", e.msg);
        abort();
    }
    PrefRows rows;
    PrefMeta meta;
    make_rows(&rows, &meta, which == 2 ? 0 : 5);
    prefbuf_assign_pair_ids(&rows, meta.round, MPI_COMM_SELF, NULL);
    if (prefbuf_write_round(dir, &meta, &rows, which == 1 ? 4 : 0, MPI_COMM_SELF, &e) != 0) {
        fprintf(stderr, "fuzz_prefbuf: cannot write the base round file: %s\n", e.msg);
        abort();
    }
    prefbuf_rows_free(&rows);
    prefbuf_path(path, sizeof path, dir, 1, 0);
    h5m_load_base(&base[which], path);
    remove(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("prefbuf");
    for (int i = 0; i < N_BASES; i++) write_base(i);
    fuzz_path(file_path, sizeof file_path, "round_0001.h5");
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void check_closed(const char *who) {
    long open = h5m_open_ids();
    fuzz_expect(open == 0, "%s left %ld HDF5 objects open", who, open);
}

static void check_loaded(const PrefMeta *m, const PrefRows *r) {
    fuzz_expect(r->n == m->n_rows, "%lld rows read, the file has %lld", (long long)r->n,
                (long long)m->n_rows);
    fuzz_expect(m->J >= 1 && m->J <= PREFBUF_MAX_JUDGES && m->P >= 1 && m->R >= 1,
                "shape P=%d R=%d J=%d accepted", m->P, m->R, m->J);
    fuzz_expect(m->n_stats >= 0 && m->n_stats <= PREFBUF_MAX_STATS, "%d stats", m->n_stats);
    for (int j = 0; j < m->J; j++)
        fuzz_expect(strnlen(m->judge_names[j], PREFBUF_NAME_LEN) < PREFBUF_NAME_LEN,
                    "judge name %d not terminated", j);
    fuzz_expect(strnlen(m->charset, sizeof m->charset) < sizeof m->charset,
                "charset not terminated");
    for (int64_t i = 0; i < r->n; i++)
        fuzz_expect(r->label[i] >= PREF_DROPPED && r->label[i] <= PREF_CHOSEN_ONLY,
                    "row %lld: label %d accepted", (long long)i, r->label[i]);
}

// 1 when the n tokens at ids are all ids of the file's vocabulary (any id when it has no charset).
static int tokens_ok(const int32_t *ids, int n, int vocab) {
    for (int k = 0; k < n; k++)
        if (ids[k] < 0 || (vocab > 0 && ids[k] >= vocab)) return 0;
    return 1;
}

// First row whose lengths, response indices or tokens are out of range, or -1. Tokens: ids of
// the charset's vocabulary (special tokens, then one per character), what the model embeds.
static int64_t bad_row(const PrefMeta *m, const PrefRows *r) {
    int vocab = m->charset[0] ? TOK_FIRST_CHAR + (int)strlen(m->charset) : 0;
    for (int64_t i = 0; i < r->n; i++) {
        if (r->prompt_len[i] < 0 || r->prompt_len[i] > m->P || r->chosen_len[i] < 0 ||
            r->chosen_len[i] > m->R || r->rejected_len[i] < 0 || r->rejected_len[i] > m->R ||
            r->chosen_idx[i] < -1 || r->rejected_idx[i] < -1)
            return i;
        if (!tokens_ok(r->prompt + i * m->P, r->prompt_len[i], vocab) ||
            !tokens_ok(r->chosen + i * m->R, r->chosen_len[i], vocab) ||
            !tokens_ok(r->rejected + i * m->R, r->rejected_len[i], vocab))
            return i;
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t settings = size ? data[0] : 0;
    const uint8_t *prog = size ? data + 1 : data;
    h5m_apply(&base[(settings & 127) % N_BASES], file_path, prog, size ? size - 1 : 0,
              settings & 128);
    h5m_save_copy(file_path);

    PrefMeta *meta = malloc(sizeof *meta);
    PrefRows rows;
    ErrMsg e = {{0}};
    int rc = prefbuf_load(file_path, MPI_COMM_SELF, meta, &rows, &e);
    check_closed("prefbuf_load");
    int64_t bad = -1;
    char why[200] = "";
    if (rc != 0) {
        fuzz_check_message(&e, "prefbuf_load");
    } else {
        check_loaded(meta, &rows);
        bad = bad_row(meta, &rows);
        if (bad >= 0)
            snprintf(why, sizeof why,
                     "row %lld: prompt_len %d (P = %d), chosen_len %d, rejected_len %d (R = %d), "
                     "chosen_idx %d, rejected_idx %d",
                     (long long)bad, rows.prompt_len[bad], meta->P, rows.chosen_len[bad],
                     rows.rejected_len[bad], meta->R, rows.chosen_idx[bad], rows.rejected_idx[bad]);
        prefbuf_rows_free(&rows);
    }
    free(meta);

    e.msg[0] = '\0';
    rc = inspect_file(file_path, devnull, &e);
    check_closed("inspect_file");
    if (rc != 0) fuzz_check_message(&e, "inspect_file");
    fuzz_expect(bad < 0, "prefbuf_load accepted a row its consumers cannot use: %s", why);
    return 0;
}
