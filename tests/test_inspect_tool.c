/* tests/test_inspect_tool.c — writes the files tests/test_inspect.sh runs `concord inspect` on:
     ckpt PATH         checkpoint with /optim, /ref, /prev; tensor i of /model has L2 norm i+1
                       (every element (i+1)/sqrt(count)), /ref = 2 * /model, /prev = /model, m and
                       v constant; state round 2, phase train, step 40, seed 9, world size 3,
                       one cursor; a config JSON of 60 lines
     incomplete PATH   the same checkpoint with the root attribute complete reset to 0
     prefs RUN_DIR     RUN_DIR/prefs/round_0003.h5: 10 pairs, 2 judges, rows 0 and 4 DROPPED,
                       label_correct 1 on rows 1, 2, 5, 0 on row 3, -1 elsewhere; prompt
                       "<bos>12+34=", chosen "46<eos>", rejected "47<eos>" (row index in prompt_id)
     foreign PATH      an HDF5 file whose root attribute format is "other.format"
     noformat PATH     an HDF5 file without a format attribute
   Exit status 0 on success, 2 on bad usage. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/h5util.h"
#include "io/prefbuf.h"
#include "util/alloc.h"

static void fill_norms(ParamSlab *s, float scale) {
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const TensorSpec *t = &s->table[i];
        float v = scale * (float)(i + 1) / sqrtf((float)t->count);
        for (size_t k = 0; k < t->count; k++) s->data[t->offset + k] = v;
    }
}

static int write_ckpt(const char *path) {
    GPTConfig cfg = {.V = 20, .Vp = 24, .T = 8, .C = 8, .L = 2, .NH = 2};
    ParamSlab model, ref, prev;
    AdamW opt = {.cfg = {.lr = 3e-4f,
                         .lr_min_ratio = 0.1f,
                         .warmup_steps = 5,
                         .total_steps = 100,
                         .beta1 = 0.9f,
                         .beta2 = 0.95f,
                         .eps = 1e-8f,
                         .weight_decay = 0.1f,
                         .grad_clip = 1.0f},
                 .step = 40};
    param_slab_init(&model, &cfg, "tool.model");
    param_slab_init(&ref, &cfg, "tool.ref");
    param_slab_init(&prev, &cfg, "tool.prev");
    param_slab_init(&opt.m, &cfg, "tool.m");
    param_slab_init(&opt.v, &cfg, "tool.v");
    fill_norms(&model, 1.0f);
    fill_norms(&ref, 2.0f);
    fill_norms(&prev, 1.0f);
    for (size_t k = 0; k < opt.m.n; k++) opt.m.data[k] = 0.5f, opt.v.data[k] = 0.25f;
    CkptState st;
    ckpt_state_init(&st, 3);
    st.round = 2, st.step = 40, st.round_step = 7, st.seed = 9;
    snprintf(st.phase, sizeof st.phase, "train");
    ckpt_state_set_cursor(&st, "sft_example", 123);
    char json[4096] = "{\n";
    for (int i = 0; i < 58; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json), "  \"key_%02d\": %d%s\n", i, i,
                 i < 57 ? "," : "");
    strcat(json, "}");
    CkptContents c = {.model = &model,
                      .optim = &opt,
                      .ref = &ref,
                      .prev = &prev,
                      .state = &st,
                      .config_json = json,
                      .charset = TOKENIZER_DEFAULT_CHARSET};
    ErrMsg e = {{0}};
    int rc = ckpt_write_file(path, &c, MPI_COMM_SELF, &e);
    if (rc < 0) fprintf(stderr, "ckpt_write_file: %s\n", e.msg);
    ckpt_state_free(&st);
    param_slab_free(&model), param_slab_free(&ref), param_slab_free(&prev);
    param_slab_free(&opt.m), param_slab_free(&opt.v);
    return rc < 0 ? 1 : 0;
}

static int mark_incomplete(const char *path) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 1;
    h5_attr_write_u8(f, "complete", 0);
    h5_close(&f);
    return 0;
}

static void encode(int32_t *dst, const char *text, int bos, int eos) {
    Tokenizer tok;
    ErrMsg e;
    CHECK(tokenizer_init(&tok, TOKENIZER_DEFAULT_CHARSET, &e) == 0);
    int n = 0;
    if (bos) dst[n++] = TOK_BOS;
    int k = tokenizer_encode(&tok, text, dst + n, 16, &e);
    CHECK(k >= 0);
    n += k;
    if (eos) dst[n++] = TOK_EOS;
}

static int write_prefs(const char *run_dir) {
    enum { N = 10, P = 8, R = 4, J = 2 };
    PrefMeta m;
    prefbuf_meta_init(&m, 3, P, R, J);
    snprintf(m.judge_names[0], PREFBUF_NAME_LEN, "llm_judge");
    snprintf(m.judge_names[1], PREFBUF_NAME_LEN, "self_consistency");
    snprintf(m.aggregation, sizeof m.aggregation, "unanimous");
    prefbuf_meta_add_stat(&m, "kept_fraction", 0.8);
    prefbuf_meta_add_stat(&m, "mean_kendall_tau", 0.375);
    prefbuf_meta_add_stat(&m, "label_accuracy", 0.75);
    m.agreement[0] = 1.0f, m.agreement[1] = 0.625f, m.agreement[2] = 0.625f, m.agreement[3] = 1.0f;
    PrefRows r;
    prefbuf_rows_alloc(&r, N, P, R, J);
    for (int i = 0; i < N; i++) {
        r.prompt_id[i] = i;
        r.chosen_idx[i] = 0, r.rejected_idx[i] = 1;
        encode(r.prompt + i * P, "12+34=", 1, 0);
        r.prompt_len[i] = 7;
        encode(r.chosen + i * R, "46", 0, 1);
        r.chosen_len[i] = 3;
        encode(r.rejected + i * R, "47", 0, 1);
        r.rejected_len[i] = 3;
        for (int j = 0; j < J; j++) {
            r.judge_scores[(i * J + j) * 2] = 0.75f;
            r.judge_scores[(i * J + j) * 2 + 1] = j == 1 && i == 1 ? NAN : 0.25f;
        }
        r.label[i] = (i == 0 || i == 4) ? PREF_DROPPED : (i == 7 ? PREF_TIE : PREF_PREFERRED);
        r.prob[i] = 0.9f, r.weight[i] = 1.0f, r.confidence[i] = 0.5f;
        r.label_correct[i] = (i == 1 || i == 2 || i == 5) ? 1 : i == 3 ? 0 : -1;
    }
    prefbuf_assign_pair_ids(&r, 3, MPI_COMM_SELF, NULL);
    ErrMsg e = {{0}};
    int rc = prefbuf_write_round(run_dir, &m, &r, 0, MPI_COMM_SELF, &e);
    if (rc < 0) fprintf(stderr, "prefbuf_write_round: %s\n", e.msg);
    prefbuf_rows_free(&r);
    return rc < 0 ? 1 : 0;
}

static int write_plain(const char *path, const char *format) {
    hid_t fapl = h5_fapl_serial();
    ErrMsg e;
    hid_t f = h5_file_create(path, fapl, &e);
    h5_close(&fapl);
    if (f < 0) return 1;
    if (format) h5_attr_write_str(f, "format", format);
    h5_attr_write_i32(f, "format_version", 1);
    h5_close(&f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_inspect_tool ckpt|incomplete|prefs|foreign|noformat PATH\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    const char *mode = argv[1], *path = argv[2];
    int rc = 2;
    if (strcmp(mode, "ckpt") == 0)
        rc = write_ckpt(path);
    else if (strcmp(mode, "incomplete") == 0)
        rc = write_ckpt(path) || mark_incomplete(path);
    else if (strcmp(mode, "prefs") == 0)
        rc = write_prefs(path);
    else if (strcmp(mode, "foreign") == 0)
        rc = write_plain(path, "other.format");
    else if (strcmp(mode, "noformat") == 0)
        rc = write_plain(path, NULL);
    MPI_Finalize();
    return rc;
}
