/* io/inspect.c — summary of a checkpoint or round file; see inspect.h. */
#include "io/inspect.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <mpi.h>
#include <string.h>
#include <time.h>

#include "io/ckpt.h"
#include "io/ckpt_tokenizer.h"
#include "io/h5util.h"
#include "io/prefbuf.h"
#include "train/tokenizer.h"
#include "util/alloc.h"

#define INSPECT_BLOCK_ROWS 4096  // round-file rows read per block

/* ---- kind detection ---- */

typedef enum { KIND_CKPT, KIND_PREFS } FileKind;

static int detect_kind(const char *path, FileKind *kind, ErrMsg *e) {
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    if (f < 0) return -1;
    char format[64] = "";
    int rc = 0;
    if (!h5_attr_exists(f, "format"))
        rc = err_set(e,
                     "%s is an HDF5 file but not a concord file: the root attribute 'format' is "
                     "missing (expected \"%s\" or \"%s\")",
                     path, CKPT_FORMAT, PREFBUF_FORMAT);
    else if (h5_attr_read_str(f, "format", format, sizeof format, e) < 0)
        rc = -1;
    else if (strcmp(format, CKPT_FORMAT) == 0)
        *kind = KIND_CKPT;
    else if (strcmp(format, PREFBUF_FORMAT) == 0)
        *kind = KIND_PREFS;
    else
        rc = err_set(e,
                     "%s has format \"%s\", which concord inspect does not know (expected \"%s\" "
                     "for a checkpoint or \"%s\" for a round file)",
                     path, format, CKPT_FORMAT, PREFBUF_FORMAT);
    h5_close(&f);
    return rc;
}

/* ---- checkpoints ---- */

static void print_time(FILE *out, const char *label, double unix_s) {
    struct tm tm;
    char buf[64] = "?";
    // a damaged file may hold NaN or a huge value: converting those to time_t is undefined
    if (fabs(unix_s) < 1e15) {
        time_t t = (time_t)unix_s;
        if (gmtime_r(&t, &tm)) strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    fprintf(out, "%-12s %s (%.3f)\n", label, buf, unix_s);
}

static void print_ckpt_head(FILE *out, const char *path, const CkptInfo *in) {
    const CkptState *s = &in->state;
    const GPTConfig *m = &in->model_cfg;
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    fprintf(out, "file         %s\nkind         checkpoint\n", path);
    fprintf(out, "format       %s (version %d)\n", CKPT_FORMAT, in->format_version);
    fprintf(out, "created_by   %s\n", in->created_by);
    print_time(out, "wall_time", in->wall_time);
    fprintf(out, "complete     yes\n");
    fprintf(out, "round        %d\nphase        %s\n", s->round, s->phase);
    fprintf(out, "step         %lld (round_step %lld)\n", (long long)s->step,
            (long long)s->round_step);
    fprintf(out, "seed         %llu\nworld size   %d\n", (unsigned long long)s->seed,
            s->world_size);
    fprintf(out, "cursors     ");
    for (int i = 0; i < s->n_cursors; i++)
        fprintf(out, " %s=%lld", s->cursor_name[i], (long long)s->cursor[i]);
    fprintf(out, "%s\n", s->n_cursors ? "" : " none");
    fprintf(out, "model        V=%d Vp=%d T=%d C=%d L=%d NH=%d (%zu parameters)\n", m->V, m->Vp,
            m->T, m->C, m->L, m->NH, gpt_param_table(m, tb, &ntensors));
    if (m->arch == GPT_ARCH_LLAMA) {
        fprintf(out,
                "arch         llama (RMSNorm eps %g, SwiGLU F=%d, %d key/value heads, %s head)\n",
                (double)m->norm_eps, m->F, m->KV, m->untied ? "untied" : "tied");
        fprintf(out, "position     rotary (theta %g)\n", (double)m->rope_theta);
    } else {
        fprintf(out, "position     %s\n",
                m->position == GPT_POS_NONE     ? "none (NoPE: no wpe; T is only a buffer size)"
                : m->position == GPT_POS_ABACUS ? "abacus (digit positions, wpe T rows)"
                                                : "learned (wpe, T rows)");
    }
    Bpe *bpe = NULL;
    ErrMsg why;
    if (in->charset[0]) {
        fprintf(out, "tokenizer    charset \"%s\" (%zu characters, vocab %zu)\n", in->charset,
                strlen(in->charset), strlen(in->charset) + TOK_FIRST_CHAR);
    } else if (ckpt_tokenizer_read_bpe(path, &bpe, &why) == 0 && bpe) {
        BpeArrays a;
        bpe_arrays(bpe, &a);
        fprintf(out, "tokenizer    GPT-2 BPE (vocab %d, %d merges, %s id %d)\n", (int)a.n_tokens,
                (int)a.n_merges, BPE_ENDOFTEXT, (int)bpe_special_id(bpe, BPE_ENDOFTEXT));
        bpe_free(bpe);
    } else {
        fprintf(out, "tokenizer    none (empty charset: token ids only)\n");
    }
}

// Reads tensor group/<t->name> into buf (t->count floats).
static int read_tensor(hid_t f, const char *path, const char *group, const TensorSpec *t,
                       float *buf, ErrMsg *e) {
    char obj[CKPT_PATH_MAX];
    snprintf(obj, sizeof obj, "%s/%s", group, t->name);
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    if (d < 0) return h5_err(e, "%s: cannot open tensor /%s", path, obj);
    int rc = h5_read_rows(d, H5T_IEEE_F32LE, 0, (hsize_t)t->dims[0], buf, H5P_DEFAULT, e);
    h5_close(&d);
    return rc;
}

// Sum of squares of x (or of x - y when y is not NULL) in double; *bad counts non-finite values.
static double sum_sq(const float *x, const float *y, size_t n, size_t *bad) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y ? (double)x[i] - (double)y[i] : (double)x[i];
        if (!isfinite(v)) (*bad)++;
        s += v * v;
    }
    return s;
}

static void shape_str(char *buf, size_t size, const TensorSpec *t) {
    size_t at = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < t->ndim && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, "%s%lld", k ? ", " : "", (long long)t->dims[k]);
    if (at < size) snprintf(buf + at, size - at, ")");
}

// Per-tensor shape and L2 norm of /model; whole-slab norms of the other groups present, and the
// distance of /ref and /prev to /model. Two tensor buffers at a time.
static int print_tensors(FILE *out, hid_t f, const char *path, const CkptInfo *in, ErrMsg *e) {
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    gpt_param_table(&in->model_cfg, tb, &ntensors);
    size_t max_count = 0;
    for (int i = 0; i < ntensors; i++)
        if (tb[i].count > max_count) max_count = tb[i].count;
    float *a = xmalloc("inspect.tensor", max_count * sizeof(float));
    float *b = xmalloc("inspect.tensor", max_count * sizeof(float));
    const char *groups[4] = {"ref", "prev", "optim/m", "optim/v"};
    int present[4] = {in->has_ref, in->has_prev, in->has_optim, in->has_optim};
    double sq_model = 0, sq[4] = {0}, dist[2] = {0};
    size_t bad_model = 0, bad[4] = {0}, bad_dist[2] = {0};
    int rc = 0;
    fprintf(out, "\ntensors (/model): name, shape, symbolic shape, L2 norm\n");
    for (int i = 0; i < ntensors && rc == 0; i++) {
        char shape[64];
        shape_str(shape, sizeof shape, &tb[i]);
        if (tb[i].count == 0) {  // NoPE's wpe: no dataset on file
            fprintf(out, "  %-12s %-16s %-12s (no dataset)\n", tb[i].name, shape, tb[i].dims_text);
            continue;
        }
        if (read_tensor(f, path, "model", &tb[i], a, e) < 0) {
            rc = -1;
            break;
        }
        size_t nb = 0;
        double s = sum_sq(a, NULL, tb[i].count, &nb);
        fprintf(out, "  %-12s %-16s %-12s %.6g", tb[i].name, shape, tb[i].dims_text, sqrt(s));
        if (nb) fprintf(out, "  (%zu non-finite values)", nb);
        fprintf(out, "\n");
        sq_model += s, bad_model += nb;
        for (int g = 0; g < 4 && rc == 0; g++) {
            if (!present[g]) continue;
            if (read_tensor(f, path, groups[g], &tb[i], b, e) < 0) rc = -1;
            if (rc == 0) sq[g] += sum_sq(b, NULL, tb[i].count, &bad[g]);
            if (rc == 0 && g < 2) dist[g] += sum_sq(b, a, tb[i].count, &bad_dist[g]);
        }
    }
    if (rc == 0) {
        fprintf(out, "  %-12s %-29s %.6g", "total", "", sqrt(sq_model));
        fprintf(out, bad_model ? "  (%zu non-finite values)\n" : "\n", bad_model);
        for (int g = 0; g < 2; g++) {
            fprintf(out, "/%-11s ", groups[g]);
            if (!present[g]) {
                fprintf(out, "absent\n");
                continue;
            }
            fprintf(out, "present: L2 norm %.6g, L2 distance to /model %.6g", sqrt(sq[g]),
                    sqrt(dist[g]));
            fprintf(out, bad_dist[g] ? " (%zu non-finite differences)\n" : "\n", bad_dist[g]);
        }
        if (in->has_optim)
            fprintf(out, "moments      L2 norm of m %.6g, of v %.6g\n", sqrt(sq[2]), sqrt(sq[3]));
    }
    xfree(a);
    xfree(b);
    return rc;
}

static void print_optim(FILE *out, const CkptInfo *in) {
    if (!in->has_optim) {
        fprintf(out, "optimizer    none (no /optim: weights only)\n");
        return;
    }
    const AdamWConfig *o = &in->optim_cfg;
    fprintf(out, "optimizer    adamw, step %lld\n", (long long)in->optim_step);
    fprintf(out,
            "             lr %g, lr_min_ratio %g, warmup_steps %lld, total_steps %lld\n"
            "             beta1 %g, beta2 %g, eps %g, weight_decay %g, grad_clip %g\n",
            o->lr, o->lr_min_ratio, (long long)o->warmup_steps, (long long)o->total_steps, o->beta1,
            o->beta2, o->eps, o->weight_decay, o->grad_clip);
}

// The config JSON: as stored when it has several lines, else pretty-printed; at most
// INSPECT_JSON_LINES lines, with a note saying how to see the rest.
static void print_config_json(FILE *out, const char *path, const char *json) {
    char *pretty = NULL;
    if (!strchr(json, '\n')) {
        cJSON *root = cJSON_Parse(json);
        if (root) pretty = cJSON_Print(root);
        cJSON_Delete(root);
    }
    const char *text = pretty ? pretty : json;
    int lines = 1;
    for (const char *p = text; *p; p++) lines += *p == '\n' && p[1] != '\0';
    fprintf(out, "\nconfig json (%d line%s):\n", lines, lines == 1 ? "" : "s");
    const char *p = text;
    for (int i = 0; i < INSPECT_JSON_LINES && *p; i++) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(out, "  ");
        for (int k = 0; k < len; k++) {  // cJSON indents with tabs
            if (p[k] == '\t')
                fputs("  ", out);
            else
                fputc(p[k], out);
        }
        fputc('\n', out);
        p = nl ? nl + 1 : p + len;
    }
    if (*p)
        fprintf(out, "  ... (%d more lines; all of it: h5dump -d /config/json %s)\n",
                lines - INSPECT_JSON_LINES, path);
    if (pretty) cJSON_free(pretty);
}

static int inspect_ckpt(const char *path, FILE *out, ErrMsg *e) {
    CkptInfo info;
    if (ckpt_peek(path, &info, e) < 0) return -1;
    print_ckpt_head(out, path, &info);
    print_optim(out, &info);
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    int rc = f < 0 ? -1 : print_tensors(out, f, path, &info, e);
    h5_close(&f);
    if (rc == 0) print_config_json(out, path, info.config_json);
    ckpt_info_free(&info);
    return rc;
}

/* ---- round files ---- */

static void print_prefs_head(FILE *out, const char *path, const PrefMeta *m) {
    fprintf(out, "file         %s\nkind         preference round file\n", path);
    fprintf(out, "format       %s (version %d)\n", PREFBUF_FORMAT, PREFBUF_FORMAT_VERSION);
    fprintf(out, "created_by   %s\n", m->created_by);
    fprintf(out, "round        %d\npairs        %lld\n", m->round, (long long)m->n_rows);
    fprintf(out, "shape        P=%d (max prompt tokens) R=%d (max response tokens) J=%d\n", m->P,
            m->R, m->J);
    fprintf(out, "judges      ");
    for (int j = 0; j < m->J; j++) fprintf(out, " %s", m->judge_names[j]);
    fprintf(out, "\naggregation  %s\n", m->aggregation);
    if (m->charset[0])
        fprintf(out, "charset      \"%s\"\n", m->charset);
    else  // a BPE run: its checkpoints hold the tokenizer, the round file only ids
        fprintf(out,
                "charset      \"\" (token ids only: decode with the run's checkpoint, "
                "e.g. a BPE run)\n");
    fprintf(out, "\nstatistics (%d stored)\n", m->n_stats);
    for (int i = 0; i < m->n_stats; i++)
        fprintf(out, "  %-32s %.6g\n", m->stats[i].name, m->stats[i].value);
    int w = 8;  // column width: the longest judge name
    for (int j = 0; j < m->J; j++)
        if ((int)strlen(m->judge_names[j]) > w) w = (int)strlen(m->judge_names[j]);
    fprintf(out, "\njudge agreement (J x J)\n  %-*s", w, "");
    for (int j = 0; j < m->J; j++) fprintf(out, "  %*s", w, m->judge_names[j]);
    fprintf(out, "\n");
    for (int i = 0; i < m->J; i++) {
        fprintf(out, "  %-*s", w, m->judge_names[i]);
        for (int j = 0; j < m->J; j++) fprintf(out, "  %*.4f", w, m->agreement[i * m->J + j]);
        fprintf(out, "\n");
    }
}

typedef struct {
    int64_t label[4];                   // rows per label: DROPPED, TIE, PREFERRED, CHOSEN_ONLY
    int64_t truth, correct;             // rows with label_correct >= 0, and with label_correct == 1
    int64_t kept_truth, kept_correct;   // the same over kept rows (label != DROPPED) only
    int64_t example[INSPECT_EXAMPLES];  // row indices of the example pairs
    int n_examples;
} RoundCounts;

// Counts labels and ground truth over every row, in blocks; picks the first kept rows as examples
// (topped up with dropped rows when fewer are kept).
static int count_rows(PrefFile *pf, RoundCounts *rc_out, ErrMsg *e) {
    RoundCounts c;
    memset(&c, 0, sizeof c);
    int64_t dropped[INSPECT_EXAMPLES], n_dropped = 0;
    for (int64_t first = 0; first < pf->meta.n_rows; first += INSPECT_BLOCK_ROWS) {
        int64_t n = pf->meta.n_rows - first;
        if (n > INSPECT_BLOCK_ROWS) n = INSPECT_BLOCK_ROWS;
        PrefRows r;
        if (prefbuf_read_rows(pf, first, n, &r, e) < 0) return -1;
        for (int64_t i = 0; i < n; i++) {
            int lab = r.label[i];
            if (lab < PREF_DROPPED || lab > PREF_CHOSEN_ONLY) {
                prefbuf_rows_free(&r);
                return err_set(e, "%s: /pairs/label row %lld holds %d, not a pref_label value",
                               pf->path, (long long)(first + i), lab);
            }
            c.label[lab + 1]++;
            if (r.label_correct[i] >= 0) c.truth++, c.correct += r.label_correct[i] == 1;
            if (r.label_correct[i] >= 0 && lab != PREF_DROPPED)
                c.kept_truth++, c.kept_correct += r.label_correct[i] == 1;
            if (lab != PREF_DROPPED && c.n_examples < INSPECT_EXAMPLES)
                c.example[c.n_examples++] = first + i;
            else if (lab == PREF_DROPPED && n_dropped < INSPECT_EXAMPLES)
                dropped[n_dropped++] = first + i;
        }
        prefbuf_rows_free(&r);
    }
    for (int64_t k = 0; c.n_examples < INSPECT_EXAMPLES && k < n_dropped; k++)
        c.example[c.n_examples++] = dropped[k];
    *rc_out = c;
    return 0;
}

// Tokens as text: characters from the charset, special tokens as <bos> etc.; ids when the file
// has no usable charset.
static void print_tokens(FILE *out, const char *what, const Tokenizer *tok, const int32_t *ids,
                         int n) {
    fprintf(out, "    %-9s ", what);
    if (tok) {
        char buf[TOKENIZER_TOKEN_TEXT_MAX];
        fputc('"', out);
        for (int i = 0; i < n; i++) fputs(tokenizer_token_text(tok, ids[i], buf), out);
        fputc('"', out);
    } else {
        for (int i = 0; i < n; i++) fprintf(out, i ? " %d" : "%d", ids[i]);
    }
    fprintf(out, " (%d tokens)\n", n);
}

static const char *label_name(int lab) {
    return lab == PREF_PREFERRED     ? "PREFERRED"
           : lab == PREF_TIE         ? "TIE"
           : lab == PREF_CHOSEN_ONLY ? "CHOSEN_ONLY"
                                     : "DROPPED";
}

static int print_example(FILE *out, PrefFile *pf, const Tokenizer *tok, int64_t row, ErrMsg *e) {
    PrefRows r;
    if (prefbuf_read_rows(pf, row, 1, &r, e) < 0) return -1;
    const PrefMeta *m = &pf->meta;
    fprintf(out,
            "  row %lld: pair_id %lld, prompt_id %lld, label %s, prob %.4g, weight %.4g, "
            "confidence %.4g\n",
            (long long)row, (long long)r.pair_id[0], (long long)r.prompt_id[0],
            label_name(r.label[0]), r.prob[0], r.weight[0], r.confidence[0]);
    print_tokens(out, "prompt:", tok, r.prompt, r.prompt_len[0]);
    if (r.chosen_idx[0] < 0)
        fprintf(out, "    %-9s none (no response was scored)\n", "chosen:");
    else
        print_tokens(out, "chosen:", tok, r.chosen, r.chosen_len[0]);
    if (r.rejected_idx[0] < 0)
        fprintf(out, "    %-9s none (%s)\n", "rejected:",
                r.label[0] == PREF_CHOSEN_ONLY ? "CHOSEN_ONLY: likelihood training only"
                                               : "no dissenting response");
    else
        print_tokens(out, "rejected:", tok, r.rejected, r.rejected_len[0]);
    fprintf(out, "    %-9s", "scores:");
    for (int j = 0; j < m->J; j++)
        fprintf(out, " %s %.4g/%.4g", m->judge_names[j], r.judge_scores[2 * j],
                r.judge_scores[2 * j + 1]);
    fprintf(out, "  (chosen/rejected)\n");
    prefbuf_rows_free(&r);
    return 0;
}

static int inspect_prefs(const char *path, FILE *out, ErrMsg *e) {
    PrefFile pf;
    if (prefbuf_open(&pf, path, MPI_COMM_SELF, e) < 0) return -1;
    const PrefMeta *m = &pf.meta;
    print_prefs_head(out, path, m);
    RoundCounts c;
    memset(&c, 0, sizeof c);
    int rc = count_rows(&pf, &c, e);
    if (rc == 0) {
        int64_t n = m->n_rows, kept = n - c.label[0];
        fprintf(out, "\nkept         %lld of %lld pairs (fraction %.4f; label != DROPPED)\n",
                (long long)kept, (long long)n, n ? (double)kept / (double)n : 0.0);
        fprintf(out, "labels       PREFERRED %lld, TIE %lld, DROPPED %lld", (long long)c.label[2],
                (long long)c.label[1], (long long)c.label[0]);
        // chosen-only rows exist in consensus rounds only; other rounds keep the short line
        if (c.label[3] > 0) fprintf(out, ", CHOSEN_ONLY %lld", (long long)c.label[3]);
        fprintf(out, "\n");
        // Two accuracies that differ: over the kept rows (what training sees; the statistic
        // label_accuracy) and over every candidate row, dropped ones included.
        if (c.kept_truth > 0)
            fprintf(out,
                    "kept labels right      %.4f (%lld of %lld kept rows with ground truth; "
                    "statistic label_accuracy)\n",
                    (double)c.kept_correct / (double)c.kept_truth, (long long)c.kept_correct,
                    (long long)c.kept_truth);
        else
            fprintf(out, "kept labels right      n/a (no kept row has ground truth)\n");
        if (c.truth > 0)
            fprintf(out,
                    "all candidates right   %.4f (%lld of %lld rows with ground truth, "
                    "DROPPED included)\n",
                    (double)c.correct / (double)c.truth, (long long)c.correct, (long long)c.truth);
        else
            fprintf(out, "all candidates right   n/a (no row has ground truth)\n");
        Tokenizer tok;
        ErrMsg why;
        int has_tok = m->charset[0] && tokenizer_init(&tok, m->charset, &why) == 0;
        fprintf(out, "\nexamples (%d)\n", c.n_examples);
        for (int i = 0; i < c.n_examples && rc == 0; i++)
            rc = print_example(out, &pf, has_tok ? &tok : NULL, c.example[i], e);
    }
    prefbuf_close(&pf);
    return rc;
}

int inspect_file(const char *path, FILE *out, ErrMsg *e) {
    FileKind kind = KIND_CKPT;
    if (detect_kind(path, &kind, e) < 0) return -1;
    return kind == KIND_CKPT ? inspect_ckpt(path, out, e) : inspect_prefs(path, out, e);
}

/* ---- checksums (inspect --verify) ---- */

typedef struct {
    FILE *out;
    const char *path;
    int checked, failed;
    int rc;  // 0, or -1 after a read error (e filled)
    ErrMsg *e;
} VerifyCtx;

static herr_t verify_object(hid_t root, const char *name, const H5O_info_t *info, void *data) {
    VerifyCtx *v = data;
    if (info->type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(root, name, H5P_DEFAULT);
    if (d < 0) {
        v->rc = h5_err(v->e, "%s: cannot open dataset /%s", v->path, name);
        return 1;
    }
    uint32_t crc = 0;
    ErrMsg why;
    v->checked++;
    if (h5_dataset_crc(d, H5P_DEFAULT, &crc, &why) < 0 ||
        h5_crc_verify(d, v->path, 1, crc, &why) < 0) {
        char *hint = strstr(why.msg, "\nHINT:");
        if (hint) *hint = '\0';  // one line per dataset; the summary says what to do
        fprintf(v->out, "FAILED  /%s: %s\n", name, why.msg);
        v->failed++;
    } else {
        fprintf(v->out, "ok      /%s  crc32 0x%08x\n", name, crc);
    }
    h5_close(&d);
    return 0;
}

int inspect_verify(const char *path, FILE *out, int *n_failed, ErrMsg *e) {
    FileKind kind = KIND_CKPT;
    *n_failed = 0;
    if (detect_kind(path, &kind, e) < 0) return -1;
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    if (f < 0) return -1;
    uint8_t complete = 0;
    int rc = 0;
    if (!h5_attr_exists(f, "complete") || h5_attr_read_u8(f, "complete", &complete, e) < 0 ||
        complete != 1)
        rc = err_set(e,
                     "%s is incomplete (the root attribute 'complete' is not 1): its write was "
                     "interrupted, so its checksums were never finished",
                     path);
    else if (!h5_is_checksummed(f))
        rc = err_set(e,
                     "%s has no checksums (no root attribute '%s'): it was written before "
                     "concord stored them, so there is nothing to verify",
                     path, H5_CRC_ROOT_ATTR);
    VerifyCtx v = {out, path, 0, 0, 0, e};
    if (rc == 0) {
        fprintf(out, "verifying %s (%s)\n", path,
                kind == KIND_CKPT ? "checkpoint" : "preference round file");
        if (H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, verify_object, &v, H5O_INFO_BASIC) < 0 &&
            v.rc == 0)
            v.rc = h5_err(e, "%s: cannot list the datasets", path);
        rc = v.rc;
    }
    h5_close(&f);
    if (rc < 0) return -1;
    if (v.failed)
        fprintf(out,
                "%d of %d datasets FAILED their checksum: %s is damaged; use another copy "
                "or an earlier file\n",
                v.failed, v.checked, path);
    else
        fprintf(out, "all %d datasets match their checksums\n", v.checked);
    *n_failed = v.failed;
    return 0;
}
