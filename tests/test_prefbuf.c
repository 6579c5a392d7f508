/* tests/test_prefbuf.c — per-round preference files (io/prefbuf).
   Modes (argv[1]):
     unit                          round trips (every column bit-identical), row ranges, N = 0,
                                   rows without a rejected or chosen response (CHOSEN_ONLY),
                                   files from before CHOSEN_ONLY, listing, and every kind of bad
                                   input (an invalid label included); run under mpiexec -n 1
     parallel <run_dir> <N>        all ranks write the same logical N rows split unevenly (some
                                   ranks hold none), then read them back in another split
     write <run_dir> <round> <N> <compress>   writes one deterministic round (scripts)
     check <run_dir> <rounds> [<rejected round>...]   the listed complete rounds must be exactly
                                   <rounds> ("1,2" or "-" for none), each readable with the
                                   expected contents; each rejected round (final and .tmp name)
                                   must be refused by prefbuf_open
     open <path> ok|refused        prefbuf_open must accept / refuse path
   Every row's contents are a function of (round, global row index g) only, so files written with
   any number of ranks must be identical. */
#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/h5util.h"
#include "io/prefbuf.h"
#include "util/alloc.h"
#include "version.h"

enum { TP = 5, TR = 7, TJ = 3 };  // P, R, J of the test rounds

static int world_rank = 0, world_size = 1;

/* ---- deterministic data ---- */

static void gen_meta(PrefMeta *m, int32_t round, int32_t J) {
    static const char *const names[] = {"llm_judge", "self_consistency", "likelihood"};
    prefbuf_meta_init(m, round, TP, TR, J);
    for (int j = 0; j < J; j++) {
        if (j < 3)
            snprintf(m->judge_names[j], PREFBUF_NAME_LEN, "%s", names[j]);
        else
            snprintf(m->judge_names[j], PREFBUF_NAME_LEN, "judge_%d", j);
    }
    snprintf(m->aggregation, sizeof m->aggregation, "majority");
    prefbuf_meta_add_stat(m, "kept_fraction", 0.75);
    prefbuf_meta_add_stat(m, "mean_kendall_tau", -0.125);
    prefbuf_meta_add_stat(m, "label_accuracy", NAN);
    prefbuf_meta_add_stat(m, "n_prompts", 18);
    prefbuf_meta_add_stat(m, "n_candidates", 72);
    for (int i = 0; i < J; i++)
        for (int j = 0; j < J; j++)
            m->agreement[i * J + j] = i == j ? 1.0f : 0.5f + 0.0625f * (float)(i + j);
}

// Fills row i of r with logical row g of round `round` (tests/test_prefbuf_h5py.py mirrors this).
static void gen_row(PrefRows *r, int64_t i, int64_t g, int32_t round) {
    const int P = r->P, R = r->R, J = r->J;
    r->prompt_id[i] = 1000 + g / 2;
    r->pair_id[i] = ((int64_t)round << 32) | g;
    r->chosen_idx[i] = (int32_t)(g % 4);
    r->rejected_idx[i] = (int32_t)((g + 1 + g % 3) % 4);
    r->prompt_len[i] = (int32_t)(1 + g % P);
    r->chosen_len[i] = (int32_t)(g % (R + 1));
    r->rejected_len[i] = (int32_t)((g * 3 + 1) % (R + 1));
    for (int t = 0; t < P; t++)
        r->prompt[i * P + t] = t < r->prompt_len[i] ? (int32_t)(4 + (g * 7 + t * 3) % 18) : 0;
    for (int t = 0; t < R; t++) {
        r->chosen[i * R + t] = t < r->chosen_len[i] ? (int32_t)(4 + (g * 5 + t) % 18) : 0;
        r->rejected[i * R + t] = t < r->rejected_len[i] ? (int32_t)(4 + (g * 11 + t * 2) % 18) : 0;
    }
    for (int j = 0; j < J; j++) {
        r->judge_scores[(i * J + j) * 2 + 0] =
            (g + j) % 5 == 0 ? NAN : (float)((g * 3 + j) % 16) / 8.0f;
        r->judge_scores[(i * J + j) * 2 + 1] = (float)((g + 2 * j) % 16) / 16.0f - 0.5f;
    }
    r->label[i] = (int8_t)(g % 3 - 1);
    r->prob[i] = 0.5f + (float)(g % 8) / 16.0f;
    r->weight[i] = (float)(g % 5) / 4.0f;
    r->confidence[i] = (float)(g % 11) / 16.0f;
    r->label_correct[i] = (int8_t)(g % 4 == 3 ? -1 : g % 2);
}

// Allocates r with logical rows [first, first + n).
static void gen_rows(PrefRows *r, int64_t first, int64_t n, int32_t round, int32_t J) {
    prefbuf_rows_alloc(r, n, TP, TR, J);
    for (int64_t i = 0; i < n; i++) gen_row(r, i, first + i, round);
}

// Rows of `rank` when n rows are split unevenly over `size` ranks (some ranks get none).
static int64_t uneven_count(int size, int rank, int64_t n) {
    static const int shares[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 1, 0}, {1, 0, 5, 3}};
    if (size < 1 || size > 4) return rank == 0 ? n : 0;
    int total = 0;
    for (int k = 0; k < size; k++) total += shares[size - 1][k];
    int64_t before = 0;
    for (int k = 0; k < rank; k++) before += shares[size - 1][k];
    int64_t lo = n * before / total, hi = n * (before + shares[size - 1][rank]) / total;
    return hi - lo;
}

static int64_t uneven_first(int size, int rank, int64_t n) {
    int64_t first = 0;
    for (int k = 0; k < rank; k++) first += uneven_count(size, k, n);
    return first;
}

// Bitwise equality of rows a[0..n) and b[0..n), column by column (independent of prefbuf's table).
static int rows_equal(const PrefRows *a, const PrefRows *b, const char *what) {
    if (a->n != b->n || a->P != b->P || a->R != b->R || a->J != b->J) {
        fprintf(stderr, "%s: shapes differ (n %lld vs %lld)\n", what, (long long)a->n,
                (long long)b->n);
        return 0;
    }
    size_t n = (size_t)a->n, P = (size_t)a->P, R = (size_t)a->R, J = (size_t)a->J;
#define SAME(field, count)                                                 \
    do {                                                                   \
        if (memcmp(a->field, b->field, (count) * sizeof *a->field) != 0) { \
            fprintf(stderr, "%s: column %s differs\n", what, #field);      \
            return 0;                                                      \
        }                                                                  \
    } while (0)
    SAME(prompt_id, n);
    SAME(pair_id, n);
    SAME(chosen_idx, n);
    SAME(rejected_idx, n);
    SAME(prompt, n * P);
    SAME(prompt_len, n);
    SAME(chosen, n * R);
    SAME(chosen_len, n);
    SAME(rejected, n * R);
    SAME(rejected_len, n);
    SAME(judge_scores, n * J * 2);
    SAME(label, n);
    SAME(prob, n);
    SAME(weight, n);
    SAME(confidence, n);
    SAME(label_correct, n);
#undef SAME
    return 1;
}

static int meta_equal(const PrefMeta *a, const PrefMeta *b) {
    int ok = a->round == b->round && a->P == b->P && a->R == b->R && a->J == b->J &&
             a->n_stats == b->n_stats && strcmp(a->charset, b->charset) == 0 &&
             strcmp(a->aggregation, b->aggregation) == 0;
    for (int j = 0; ok && j < a->J; j++) ok = strcmp(a->judge_names[j], b->judge_names[j]) == 0;
    for (int i = 0; ok && i < a->n_stats; i++)
        ok = strcmp(a->stats[i].name, b->stats[i].name) == 0 &&
             memcmp(&a->stats[i].value, &b->stats[i].value, sizeof(double)) == 0;
    if (ok) ok = memcmp(a->agreement, b->agreement, sizeof(float) * (size_t)(a->J * a->J)) == 0;
    return ok;
}

/* ---- helpers ---- */

static void run_cmd(const char *fmt, const char *arg) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, arg);
    if (system(cmd) != 0) fprintf(stderr, "command failed: %s\n", cmd);
}

static void copy_file(const char *from, const char *to, long max_bytes) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK_TRUE(in && out);
    if (!in || !out) return;
    char buf[65536];
    size_t got;
    long done = 0;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0 && (max_bytes < 0 || done < max_bytes)) {
        if (max_bytes >= 0 && done + (long)got > max_bytes) got = (size_t)(max_bytes - done);
        fwrite(buf, 1, got, out);
        done += (long)got;
    }
    fclose(in);
    fclose(out);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

// Writes round `round` with the logical rows [0, n) split unevenly over comm.
static int write_round(const char *run_dir, int32_t round, int64_t n, int compress, MPI_Comm comm,
                       ErrMsg *e) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    PrefMeta m;
    gen_meta(&m, round, TJ);
    PrefRows mine;
    int64_t first = uneven_first(size, rank, n);
    gen_rows(&mine, first, uneven_count(size, rank, n), round, TJ);
    int64_t total = 0;
    int64_t got_first = prefbuf_assign_pair_ids(&mine, round, comm, &total);
    CHECK_EQ_I64(got_first, first);
    CHECK_EQ_I64(total, n);
    int rc = prefbuf_write_round(run_dir, &m, &mine, compress, comm, e);
    prefbuf_rows_free(&mine);
    return rc;
}

// Opens a round file and checks its metadata and every row against the generator.
static void verify_round(const char *path, int32_t round, int64_t n, MPI_Comm comm) {
    PrefMeta want, got;
    gen_meta(&want, round, TJ);
    PrefRows rows, expect;
    ErrMsg e;
    int rc = prefbuf_load(path, comm, &got, &rows, &e);
    CHECK_MSG(rc == 0, "load %s: %s", path, e.msg);
    if (rc != 0) return;
    CHECK_TRUE(meta_equal(&got, &want));
    CHECK_EQ_I64(got.n_rows, n);
    CHECK_TRUE(strcmp(got.created_by, CONCORD_CREATED_BY) == 0);
    gen_rows(&expect, 0, n, round, TJ);
    CHECK_TRUE(rows_equal(&rows, &expect, path));
    prefbuf_rows_free(&expect);
    prefbuf_rows_free(&rows);
}

/* ---- unit tests ---- */

static void test_meta_api(void) {
    PrefMeta m;
    gen_meta(&m, 2, TJ);
    double v = 0;
    CHECK_TRUE(prefbuf_meta_get_stat(&m, "kept_fraction", &v) == 0 && v == 0.75);
    CHECK_TRUE(prefbuf_meta_get_stat(&m, "label_accuracy", &v) == 0 && isnan(v));
    CHECK_TRUE(prefbuf_meta_get_stat(&m, "absent", &v) < 0);
    char path[256];
    prefbuf_path(path, sizeof path, "run", 7, 0);
    CHECK_TRUE(strcmp(path, "run/prefs/round_0007.h5") == 0);
    prefbuf_path(path, sizeof path, "run", 12345, 1);
    CHECK_TRUE(strcmp(path, "run/prefs/round_12345.h5.tmp") == 0);
}

static void test_round_trip(const char *run_dir, int64_t n, int compress) {
    ErrMsg e;
    int rc = write_round(run_dir, 1, n, compress, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc == 0, "write n=%lld: %s", (long long)n, e.msg);
    char path[512];
    prefbuf_path(path, sizeof path, run_dir, 1, 0);
    verify_round(path, 1, n, MPI_COMM_WORLD);
    char tmp[512];
    prefbuf_path(tmp, sizeof tmp, run_dir, 1, 1);
    CHECK_TRUE(access(tmp, F_OK) != 0);  // the temporary name is gone after the rename

    // Row ranges.
    PrefFile f;
    CHECK_TRUE(prefbuf_open(&f, path, MPI_COMM_WORLD, &e) == 0);
    int64_t first = n / 3, count = n / 2;
    PrefRows part, expect;
    CHECK_MSG(prefbuf_read_rows(&f, first, count, &part, &e) == 0, "%s", e.msg);
    gen_rows(&expect, first, count, 1, TJ);
    CHECK_TRUE(rows_equal(&part, &expect, "row range"));
    prefbuf_rows_free(&part);
    prefbuf_rows_free(&expect);
    CHECK_TRUE(prefbuf_read_rows(&f, n, 0, &part, &e) == 0 && part.n == 0);
    prefbuf_rows_free(&part);
    CHECK_TRUE(prefbuf_read_rows(&f, first, n - first + 1, &part, &e) < 0 &&
               strstr(e.msg, "requested"));
    CHECK_TRUE(prefbuf_read_rows(&f, -1, 1, &part, &e) < 0);
    prefbuf_close(&f);
    prefbuf_close(&f);  // twice is safe
}

static void test_list(const char *base) {
    char run[512], path[1024];
    snprintf(run, sizeof run, "%s/list_run", base);
    mkdir(run, 0777);
    int32_t *rounds = NULL;
    int n = -1;
    ErrMsg e;
    CHECK_TRUE(prefbuf_list_rounds(run, &rounds, &n, &e) == 0 && n == 0 && rounds == NULL);
    for (int r = 3; r >= 1; r--) CHECK_TRUE(write_round(run, r, 4, 0, MPI_COMM_WORLD, &e) == 0);
    const char *junk[] = {"round_0004.h5.tmp", "round_5.h5",    "round_0006.h5.bak",
                          "notes.txt",         "round_-001.h5", "round_00007.h5"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        snprintf(path, sizeof path, "%s/prefs/%s", run, junk[i]);
        FILE *fp = fopen(path, "w");
        if (fp) fclose(fp);
    }
    CHECK_TRUE(prefbuf_list_rounds(run, &rounds, &n, &e) == 0);
    CHECK_TRUE(n == 3 && rounds && rounds[0] == 1 && rounds[1] == 2 && rounds[2] == 3);
    xfree(rounds);
    snprintf(path, sizeof path, "%s/no_such_run", base);
    CHECK_TRUE(prefbuf_list_rounds(path, &rounds, &n, &e) < 0 && strstr(e.msg, "no_such_run"));
}

// prefbuf_open must refuse path with a message containing every fragment (NULL-terminated list).
static void expect_refused(const char *path, const char *const *fragments) {
    PrefFile f;
    ErrMsg e = {{0}};
    int rc = prefbuf_open(&f, path, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc < 0, "%s was accepted", path);
    if (rc == 0) prefbuf_close(&f);
    if (world_rank == 0) printf("refused as expected: %s\n", e.msg);
    CHECK_MSG(strstr(e.msg, path) != NULL, "message does not name the file: %s", e.msg);
    for (int i = 0; fragments[i]; i++)
        CHECK_MSG(strstr(e.msg, fragments[i]) != NULL, "message lacks '%s': %s", fragments[i],
                  e.msg);
}

// Copies good to a new file and edits one root attribute with the serial driver.
static void tamper(const char *good, const char *bad, const char *attr, const char *str_value,
                   int int_value) {
    copy_file(good, bad, -1);
    hid_t fapl = h5_fapl_serial();
    hid_t f = H5Fopen(bad, H5F_ACC_RDWR, fapl);
    CHECK_TRUE(f >= 0);
    if (str_value)
        h5_attr_write_str(f, attr, str_value);
    else if (int_value < 0)
        CHECK_TRUE(H5Adelete(f, attr) >= 0);
    else if (strcmp(attr, "complete") == 0)
        h5_attr_write_u8(f, attr, (uint8_t)int_value);
    else
        h5_attr_write_i32(f, attr, int_value);
    h5_close(&f);
    h5_close(&fapl);
}

// Rows of a consensus round: CHOSEN_ONLY and DROPPED rows without a rejected response (index -1,
// length 0, NaN scores), a DROPPED row without a chosen one, and ordinary PREFERRED rows.
static void test_chosen_only(const char *base) {
    char run[512], path[1024];
    snprintf(run, sizeof run, "%s/chosen_only_run", base);
    mkdir(run, 0777);
    PrefMeta m;
    gen_meta(&m, 4, TJ);
    snprintf(m.aggregation, sizeof m.aggregation, "consensus");
    PrefRows r;
    gen_rows(&r, 0, 8, 4, TJ);
    for (int64_t i = 0; i < r.n; i++) {
        int kind = (int)(i % 4);  // 0 CHOSEN_ONLY, 1 DROPPED without rejected, 2 PREFERRED
        r.label[i] = kind == 0 ? PREF_CHOSEN_ONLY : kind == 2 ? PREF_PREFERRED : PREF_DROPPED;
        if (kind == 0 || kind == 1 || kind == 3) {
            r.rejected_idx[i] = -1;
            r.rejected_len[i] = 0;
            memset(r.rejected + i * TR, 0, TR * sizeof *r.rejected);
            for (int j = 0; j < TJ; j++) r.judge_scores[(i * TJ + j) * 2 + 1] = NAN;
        }
        if (kind == 3) {  // no response scored at all
            r.chosen_idx[i] = -1;
            r.chosen_len[i] = 0;
            memset(r.chosen + i * TR, 0, TR * sizeof *r.chosen);
        }
        if (kind == 0) r.prob[i] = 1.0f, r.weight[i] = 1.0f;
    }
    prefbuf_assign_pair_ids(&r, 4, MPI_COMM_WORLD, NULL);
    ErrMsg e = {{0}};
    CHECK_MSG(prefbuf_write_round(run, &m, &r, 0, MPI_COMM_WORLD, &e) == 0, "write: %s", e.msg);
    prefbuf_path(path, sizeof path, run, 4, 0);
    PrefMeta got;
    PrefRows back;
    int rc = prefbuf_load(path, MPI_COMM_WORLD, &got, &back, &e);
    CHECK_MSG(rc == 0, "load: %s", e.msg);
    if (rc == 0) {
        CHECK_TRUE(rows_equal(&back, &r, "chosen-only rows"));
        CHECK_TRUE(back.label[0] == PREF_CHOSEN_ONLY && back.rejected_idx[0] == -1 &&
                   back.rejected_len[0] == 0 && back.chosen_idx[3] == -1);
        CHECK_TRUE(strcmp(got.aggregation, "consensus") == 0);
        prefbuf_rows_free(&back);
    }
    prefbuf_rows_free(&r);

    // The committed enum names CHOSEN_ONLY = 2.
    hid_t fapl = h5_fapl_serial();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    hid_t t = H5Topen2(f, "types/pref_label", H5P_DEFAULT);
    int8_t v = 0;
    CHECK_TRUE(H5Tget_nmembers(t) == 4 && H5Tenum_valueof(t, "CHOSEN_ONLY", &v) >= 0 && v == 2);
    h5_close(&t);
    h5_close(&f);
    h5_close(&fapl);
}

// Copies good to bad and overwrites /pairs/label row `row` with the raw value v.
static void tamper_label(const char *good, const char *bad, int64_t row, int8_t v) {
    copy_file(good, bad, -1);
    hid_t fapl = h5_fapl_serial();
    hid_t f = H5Fopen(bad, H5F_ACC_RDWR, fapl);
    CHECK_TRUE(f >= 0);
    hid_t d = H5Dopen2(f, "pairs/label", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);  // raw: memory type = file type, no conversion
    hid_t fs = H5Dget_space(d);
    hsize_t start = (hsize_t)row, count = 1;
    CHECK_TRUE(H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0);
    hid_t ms = H5Screate_simple(1, &count, NULL);
    CHECK_TRUE(H5Dwrite(d, t, ms, fs, H5P_DEFAULT, &v) >= 0);
    h5_close(&ms);
    h5_close(&fs);
    h5_close(&t);
    h5_close(&d);
    h5_close(&f);
    h5_close(&fapl);
}

// A file written before CHOSEN_ONLY: the label column and /types/pref_label use the
// three-member enum. Rebuilt here from a current file by replacing the column.
static void make_v1_labels(const char *good, const char *old, int64_t n) {
    copy_file(good, old, -1);
    hid_t fapl = h5_fapl_serial();
    hid_t f = H5Fopen(old, H5F_ACC_RDWR, fapl);
    hid_t d = H5Dopen2(f, "pairs/label", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    int8_t *v = xmalloc("test.labels", (size_t)n + 1);
    CHECK_TRUE(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    hid_t dcpl = H5Dget_create_plist(d), space = H5Dget_space(d);
    h5_close(&t);
    h5_close(&d);
    CHECK_TRUE(H5Ldelete(f, "pairs/label", H5P_DEFAULT) >= 0);
    hid_t v1 = H5Tenum_create(H5T_STD_I8LE);
    const char *names[3] = {"DROPPED", "TIE", "PREFERRED"};
    for (int8_t k = 0; k < 3; k++) {
        int8_t val = (int8_t)(k - 1);
        H5Tenum_insert(v1, names[k], &val);
    }
    d = H5Dcreate2(f, "pairs/label", v1, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK_TRUE(d >= 0 && H5Dwrite(d, v1, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    xfree(v);
    h5_close(&d);
    h5_close(&v1);
    h5_close(&space);
    h5_close(&dcpl);
    CHECK_TRUE(H5Adelete(f, "checksums") >= 0);  // such files predate checksums too
    h5_close(&f);
    h5_close(&fapl);
}

static void test_bad_input(const char *base) {
    char run[512], good[1024], bad[1024];
    snprintf(run, sizeof run, "%s/bad_run", base);
    mkdir(run, 0777);
    ErrMsg e;
    CHECK_TRUE(write_round(run, 1, 9, 0, MPI_COMM_WORLD, &e) == 0);
    prefbuf_path(good, sizeof good, run, 1, 0);

    snprintf(bad, sizeof bad, "%s/missing.h5", run);
    expect_refused(bad, (const char *const[]){"No such file", NULL});

    snprintf(bad, sizeof bad, "%s/text.h5", run);
    FILE *fp = fopen(bad, "w");
    fputs("{\"this\": \"is not HDF5\"}\n", fp);
    fclose(fp);
    expect_refused(bad, (const char *const[]){"not an HDF5 file", NULL});

    snprintf(bad, sizeof bad, "%s/truncated.h5", run);
    copy_file(good, bad, file_size(good) / 2);
    expect_refused(bad, (const char *const[]){"truncated", NULL});

    snprintf(bad, sizeof bad, "%s/incomplete0.h5", run);
    tamper(good, bad, "complete", NULL, 0);
    expect_refused(bad, (const char *const[]){"incomplete", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/incomplete_none.h5", run);
    tamper(good, bad, "complete", NULL, -1);
    expect_refused(bad, (const char *const[]){"incomplete", "missing", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/other_format.h5", run);
    tamper(good, bad, "format", "concord.ckpt", 0);
    expect_refused(bad, (const char *const[]){"concord.ckpt", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/no_format.h5", run);
    tamper(good, bad, "format", NULL, -1);
    expect_refused(bad, (const char *const[]){"'format' is missing", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/newer.h5", run);
    tamper(good, bad, "format_version", NULL, PREFBUF_FORMAT_VERSION + 1);
    expect_refused(bad, (const char *const[]){"newer", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/older.h5", run);
    tamper(good, bad, "format_version", NULL, 0);
    expect_refused(bad, (const char *const[]){"format_version", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/wrong_rows.h5", run);
    tamper(good, bad, "n_rows", NULL, 0);
    expect_refused(bad, (const char *const[]){"/pairs/", "shape", NULL});

    snprintf(bad, sizeof bad, "%s/wrong_judges.h5", run);
    tamper(good, bad, "n_judges", NULL, 2);
    expect_refused(bad, (const char *const[]){"judge_names", NULL});

    snprintf(bad, sizeof bad, "%s/round_0001.h5.tmp", run);
    copy_file(good, bad, -1);
    expect_refused(bad, (const char *const[]){"temporary", "HINT:", NULL});

    snprintf(bad, sizeof bad, "%s/bad_label.h5", run);
    tamper_label(good, bad, 5, 3);
    expect_refused(bad, (const char *const[]){"/pairs/label row 5 holds 3", "CHOSEN_ONLY=2", NULL});
    tamper_label(good, bad, 0, -2);
    expect_refused(bad, (const char *const[]){"/pairs/label row 0 holds -2", NULL});

    // A file from before CHOSEN_ONLY (three-member enum) is accepted and reads the same rows.
    snprintf(bad, sizeof bad, "%s/v1_labels.h5", run);
    make_v1_labels(good, bad, 9);
    verify_round(bad, 1, 9, MPI_COMM_WORLD);

    // The good file is still accepted after all that.
    verify_round(good, 1, 9, MPI_COMM_WORLD);

    // A run directory whose prefs path is a file: the write fails cleanly, on every rank.
    snprintf(bad, sizeof bad, "%s/blocked_run", run);
    mkdir(bad, 0777);
    char blocker[1200];
    snprintf(blocker, sizeof blocker, "%s/prefs", bad);
    fp = fopen(blocker, "w");
    fclose(fp);
    int rc = write_round(bad, 1, 3, 0, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, "prefs"), "blocked write: rc=%d %s", rc, e.msg);
}

static int mode_unit(void) {
    const char *base = "prefbuf_unit";
    run_cmd("rm -rf %s", base);
    mkdir(base, 0777);
    test_meta_api();
    char run[256];
    const int64_t sizes[] = {37, 0, 1, 2100};
    const int levels[] = {0, 6, 0, 1};
    for (int i = 0; i < 4; i++) {
        snprintf(run, sizeof run, "%s/rt_%lld", base, (long long)sizes[i]);
        mkdir(run, 0777);
        test_round_trip(run, sizes[i], levels[i]);
    }
    // Rewriting a round replaces it (resume redoes an incomplete round).
    snprintf(run, sizeof run, "%s/rt_37", base);
    test_round_trip(run, 37, 3);
    test_list(base);
    test_chosen_only(base);
    test_bad_input(base);
    // Nothing leaked: every column freed, every HDF5 id (files, datasets, types...) closed.
    CHECK_EQ_I64(alloc_live_bytes("prefbuf.rows"), 0);
    CHECK_EQ_I64(alloc_live_bytes("prefbuf.list"), 0);
    CHECK_EQ_I64(alloc_live_bytes("prefbuf.labels"), 0);
    CHECK_EQ_I64(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    return check_report();
}

/* ---- multi-rank and script modes ---- */

static int mode_parallel(const char *run_dir, int64_t n) {
    if (world_rank == 0) {
        run_cmd("rm -rf '%s'", run_dir);
        run_cmd("mkdir -p '%s'", run_dir);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    ErrMsg e;
    int rc = write_round(run_dir, 3, n, 4, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc == 0, "parallel write: %s", e.msg);
    char path[1024];
    prefbuf_path(path, sizeof path, run_dir, 3, 0);
    // Read back in the reverse uneven split (other ranks hold zero rows now).
    PrefFile f;
    rc = prefbuf_open(&f, path, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc == 0, "open: %s", e.msg);
    if (rc == 0) {
        int r = world_size - 1 - world_rank;
        int64_t first = uneven_first(world_size, r, n), count = uneven_count(world_size, r, n);
        PrefRows got, want;
        CHECK_MSG(prefbuf_read_rows(&f, first, count, &got, &e) == 0, "read: %s", e.msg);
        gen_rows(&want, first, count, 3, TJ);
        CHECK_TRUE(rows_equal(&got, &want, "parallel read"));
        prefbuf_rows_free(&got);
        prefbuf_rows_free(&want);
        // A range error on one rank is an error on every rank.
        rc = prefbuf_read_rows(&f, world_rank == world_size - 1 ? n : 0, 1, &got, &e);
        CHECK_TRUE(rc < 0 && strstr(e.msg, "requested"));
        prefbuf_close(&f);
    }
    verify_round(path, 3, n, MPI_COMM_WORLD);
    return check_report();
}

static int mode_check(const char *run_dir, const char *list, int argc, char **argv) {
    int32_t *rounds = NULL;
    int n = 0;
    ErrMsg e;
    CHECK_MSG(prefbuf_list_rounds(run_dir, &rounds, &n, &e) == 0, "%s", e.msg);
    char got[256] = "", item[32];
    for (int i = 0; i < n; i++) {
        snprintf(item, sizeof item, "%s%d", i ? "," : "", rounds[i]);
        strncat(got, item, sizeof got - strlen(got) - 1);
    }
    CHECK_MSG(strcmp(got, strcmp(list, "-") == 0 ? "" : list) == 0, "rounds '%s', expected '%s'",
              got, list);
    char path[1024];
    for (int i = 0; i < n; i++) {
        prefbuf_path(path, sizeof path, run_dir, rounds[i], 0);
        PrefFile f;
        CHECK_MSG(prefbuf_open(&f, path, MPI_COMM_WORLD, &e) == 0, "%s", e.msg);
        int64_t rows = f.meta.n_rows;
        prefbuf_close(&f);
        verify_round(path, rounds[i], rows, MPI_COMM_WORLD);
    }
    xfree(rounds);
    for (int a = 0; a < argc; a++) {
        for (int tmp = 0; tmp <= 1; tmp++) {
            prefbuf_path(path, sizeof path, run_dir, atoi(argv[a]), tmp);
            PrefFile f;
            int rc = prefbuf_open(&f, path, MPI_COMM_WORLD, &e);
            CHECK_MSG(rc < 0, "%s was accepted as complete", path);
            if (rc == 0) prefbuf_close(&f);
            if (world_rank == 0 && rc < 0) printf("refused as expected: %s\n", e.msg);
        }
    }
    return check_report();
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    h5_quiet();
    int rc = 2;
    const char *mode = argc > 1 ? argv[1] : "unit";
    if (strcmp(mode, "unit") == 0) {
        rc = mode_unit();
    } else if (strcmp(mode, "parallel") == 0 && argc == 4) {
        rc = mode_parallel(argv[2], atoll(argv[3]));
    } else if (strcmp(mode, "write") == 0 && argc == 6) {
        ErrMsg e;
        int w =
            write_round(argv[2], atoi(argv[3]), atoll(argv[4]), atoi(argv[5]), MPI_COMM_WORLD, &e);
        CHECK_MSG(w == 0, "write: %s", e.msg);
        rc = check_report();
    } else if (strcmp(mode, "open") == 0 && argc == 4) {
        PrefFile f;
        ErrMsg e;
        int ok = prefbuf_open(&f, argv[2], MPI_COMM_WORLD, &e) == 0;
        if (ok) prefbuf_close(&f);
        CHECK_MSG(ok == (strcmp(argv[3], "ok") == 0), "%s: %s", argv[2], ok ? "accepted" : e.msg);
        if (!ok && world_rank == 0) printf("refused: %s\n", e.msg);
        rc = check_report();
    } else if (strcmp(mode, "check") == 0 && argc >= 4) {
        rc = mode_check(argv[2], argv[3], argc - 4, argv + 4);
    } else {
        fprintf(stderr,
                "usage: test_prefbuf unit | parallel DIR N | write DIR ROUND N COMPRESS | "
                "check DIR ROUNDS [REJECTED...] | open PATH ok|refused\n");
    }
    MPI_Finalize();
    return rc;
}
