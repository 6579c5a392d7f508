/* tests/test_ckpt.c — checkpoint module on one rank: bit-exact round trip of every slab,
   optimizer settings, state and RNGs; peek; names; LATEST; retention; stale .tmp cleanup; and
   every kind of bad input giving a clean error (missing, not HDF5, truncated, other format,
   newer version, incomplete, wrong shapes, wrong config); NoPE checkpoints (no wpe dataset, a
   position attribute) and files from before the attribute. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "io/h5util.h"
#include "test_ckpt_fixture.h"
#include "util/alloc.h"
#include "version.h"

#define DIR "test_ckpt.d"

static void sh(const char *cmd) { CHECK_MSG(system(cmd) == 0, "command failed: %s", cmd); }

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void copy_file(const char *from, const char *to) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    sh(cmd);
}

static int write_fx(const char *run_dir, const char *name, uint64_t seed, int keep) {
    Fixture fx;
    fx_make(&fx, seed);
    ErrMsg e = {{0}};
    int rc = ckpt_write(run_dir, name, &fx.c, keep, MPI_COMM_SELF, &e);
    CHECK_MSG(rc == 0, "ckpt_write %s/%s: %s", run_dir, name, e.msg);
    fx_free(&fx);
    return rc;
}

// Reads path as the fixture config; returns rc and leaves the message in e.
static int read_fx(const char *path, const GPTConfig *cfg, ErrMsg *e) {
    Fixture fx;
    fx_alloc(&fx, cfg);
    int rc = ckpt_read(path, cfg, &fx.c, MPI_COMM_SELF, e);
    fx_free(&fx);
    return rc;
}

static void test_round_trip(void) {
    sh("rm -rf " DIR "/rt");
    Fixture a, b;
    fx_make(&a, 5);
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_write(DIR "/rt", "round_0006", &a.c, 0, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    char path[CKPT_PATH_MAX];
    CHECK_MSG(ckpt_latest(DIR "/rt", path, sizeof path, &e) == 0, "%s", e.msg);
    CHECK_TRUE(strcmp(path, DIR "/rt/ckpt/round_0006.h5") == 0);
    CHECK_TRUE(!exists(DIR "/rt/ckpt/round_0006.h5.tmp") && !exists(DIR "/rt/ckpt/LATEST.tmp"));
    GPTConfig cfg = fx_config();
    fx_alloc(&b, &cfg);
    CHECK_MSG(ckpt_read(path, &cfg, &b.c, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CHECK_EQ_I64(fx_compare(&a, &b), 0);
    // A second read into the same structs (state arrays are replaced, not leaked or mixed).
    CHECK_MSG(ckpt_read(path, &cfg, &b.c, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CHECK_EQ_I64(fx_compare(&a, &b), 0);
    CHECK_EQ_I64(ckpt_state_cursor(&b.state, "prompt", -1), 12345 + 5);
    CHECK_EQ_I64(ckpt_state_cursor(&b.state, "nope", -1), -1);

    CkptInfo info;
    CHECK_MSG(ckpt_peek(path, &info, &e) == 0, "%s", e.msg);
    CHECK_TRUE(memcmp(&info.model_cfg, &cfg, sizeof cfg) == 0);
    CHECK_TRUE(strcmp(info.charset, TOKENIZER_DEFAULT_CHARSET) == 0);
    CHECK_TRUE(info.config_json && strcmp(info.config_json, a.json) == 0);
    CHECK_TRUE(fx_state_same(&info.state, &a.state));
    CHECK_TRUE(info.has_optim && info.has_ref && info.has_prev);
    CHECK_TRUE(info.optim_step == a.optim.step && info.optim_cfg.lr == a.optim.cfg.lr &&
               info.optim_cfg.total_steps == a.optim.cfg.total_steps &&
               info.optim_cfg.grad_clip == a.optim.cfg.grad_clip);
    CHECK_EQ_I64(info.format_version, CKPT_FORMAT_VERSION);
    CHECK_TRUE(strcmp(info.created_by, CONCORD_CREATED_BY) == 0);
    CHECK_TRUE(info.wall_time > (double)time(NULL) - 600 &&
               info.wall_time < (double)time(NULL) + 1);
    ckpt_info_free(&info);
    ckpt_info_free(&info);  // safe twice
    fx_free(&a);
    fx_free(&b);
}

static void test_optional_groups(void) {
    sh("rm -rf " DIR "/opt");
    Fixture a, b;
    fx_make(&a, 9);
    a.state.n_cursors = 0;  // an empty /state/cursors dataset
    CkptContents c = a.c;
    c.optim = NULL;
    c.ref = NULL;
    c.prev = NULL;
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_write(DIR "/opt", "round_0000", &c, 0, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CkptInfo info;
    CHECK_MSG(ckpt_peek(DIR "/opt/ckpt/round_0000.h5", &info, &e) == 0, "%s", e.msg);
    CHECK_TRUE(!info.has_optim && !info.has_ref && !info.has_prev);
    ckpt_info_free(&info);
    GPTConfig cfg = fx_config();
    fx_alloc(&b, &cfg);
    CkptContents r = b.c;
    r.optim = NULL;
    r.ref = NULL;
    r.prev = NULL;
    CHECK_MSG(ckpt_read(DIR "/opt/ckpt/round_0000.h5", &cfg, &r, MPI_COMM_SELF, &e) == 0, "%s",
              e.msg);
    CHECK_TRUE(fx_slab_same(&a.model, &b.model) && fx_state_same(&a.state, &b.state));
    CHECK_EQ_I64(b.state.n_cursors, 0);
    r.ref = &b.ref;  // asking for a group the file lacks is a clean error
    int rc = ckpt_read(DIR "/opt/ckpt/round_0000.h5", &cfg, &r, MPI_COMM_SELF, &e);
    CHECK_TRUE(rc < 0 && strstr(e.msg, "no /ref group") && strstr(e.msg, "HINT:"));
    fx_free(&a);
    fx_free(&b);
}

static void test_names(void) {
    char buf[CKPT_NAME_MAX];
    ckpt_name_round(buf, sizeof buf, 3);
    CHECK_TRUE(strcmp(buf, "round_0003") == 0);
    ckpt_name_step(buf, sizeof buf, 3, 120);
    CHECK_TRUE(strcmp(buf, "round_0003-step_00000120") == 0);
    int32_t r = -9;
    int64_t s = -9;
    CHECK_TRUE(ckpt_name_parse("round_0003-step_00000120.h5", &r, &s) == 0 && r == 3 && s == 120);
    CHECK_TRUE(ckpt_name_parse("round_0000.h5", &r, &s) == 0 && r == 0 && s == -1);
    CHECK_TRUE(ckpt_name_parse("round_12345.h5", &r, &s) == 0 && r == 12345);
    const char *bad[] = {"round_3.h5",
                         "round_0003.h5.tmp",
                         "round_0003",
                         "LATEST",
                         "round_0003-step_120.h5",
                         "round_-001.h5",
                         "xround_0003.h5",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(ckpt_name_parse(bad[i], &r, &s) < 0, "'%s' accepted", bad[i]);
    CHECK_TRUE(ckpt_phase_valid("judge") && !ckpt_phase_valid("Judge") && !ckpt_phase_valid(""));
}

static void test_retention(void) {
    sh("rm -rf " DIR "/ret");
    const char *names[] = {"round_0000", "round_0001", "round_0001-step_00000005", "round_0002",
                           "round_0002-step_00000003"};
    for (int i = 0; i < 5; i++) write_fx(DIR "/ret", names[i], (uint64_t)i, 2);
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0000.h5"));  // the SFT model is never removed
    CHECK_TRUE(!exists(DIR "/ret/ckpt/round_0001.h5"));
    CHECK_TRUE(!exists(DIR "/ret/ckpt/round_0001-step_00000005.h5"));
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0002.h5"));
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0002-step_00000003.h5"));
    // LATEST's file survives even when it is not among the newest by name.
    write_fx(DIR "/ret", "round_0005", 5, 1);
    write_fx(DIR "/ret", "round_0003", 3, 1);
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0005.h5") && exists(DIR "/ret/ckpt/round_0003.h5"));
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0000.h5") && !exists(DIR "/ret/ckpt/round_0002.h5"));
    char path[CKPT_PATH_MAX];
    ErrMsg e;
    CHECK_TRUE(ckpt_latest(DIR "/ret", path, sizeof path, &e) == 0 &&
               strcmp(path, DIR "/ret/ckpt/round_0003.h5") == 0);
    // keep <= 0 keeps everything
    write_fx(DIR "/ret", "round_0006", 6, 0);
    CHECK_TRUE(exists(DIR "/ret/ckpt/round_0005.h5") && exists(DIR "/ret/ckpt/round_0003.h5"));
}

static void test_stale_tmp(void) {
    sh("rm -rf " DIR "/tmp && mkdir -p " DIR "/tmp/ckpt");
    sh("echo junk > " DIR "/tmp/ckpt/round_0009.h5.tmp && echo x > " DIR
       "/tmp/ckpt/LATEST.tmp && "
       "echo keep > " DIR "/tmp/ckpt/notes.tmp");
    write_fx(DIR "/tmp", "round_0001", 1, 0);
    CHECK_TRUE(!exists(DIR "/tmp/ckpt/round_0009.h5.tmp") && !exists(DIR "/tmp/ckpt/LATEST.tmp"));
    CHECK_TRUE(exists(DIR "/tmp/ckpt/notes.tmp"));  // not ours: left alone
}

// Expects reading (and peeking) path to fail with a message containing want1 and want2.
static void expect_bad(const char *path, const GPTConfig *cfg, const char *want1,
                       const char *want2) {
    ErrMsg e = {{0}};
    int rc = read_fx(path, cfg, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, want1) && (!want2 || strstr(e.msg, want2)),
              "reading %s: rc %d, message '%s', wanted '%s' and '%s'", path, rc, e.msg, want1,
              want2 ? want2 : "");
    GPTConfig fxc = fx_config();
    if (memcmp(cfg, &fxc, sizeof fxc) != 0) return;  // peek does not know an expected config
    CkptInfo info;
    rc = ckpt_peek(path, &info, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, want1), "peek %s: rc %d, message '%s'", path, rc, e.msg);
    CHECK_TRUE(info.config_json == NULL && info.state.rng == NULL);
}

// Copies good to path and edits it with fn (serial HDF5, read-write).
static void make_edited(const char *good, const char *path, void (*fn)(hid_t)) {
    copy_file(good, path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK_TRUE(f >= 0);
    fn(f);
    h5_close(&f);
}
static void edit_format(hid_t f) { h5_attr_write_str(f, "format", "concord.prefbuf"); }
static void edit_no_format(hid_t f) { H5Adelete(f, "format"); }
static void edit_version(hid_t f) { h5_attr_write_i32(f, "format_version", 2); }
static void edit_no_complete(hid_t f) { H5Adelete(f, "complete"); }
static void edit_complete0(hid_t f) { h5_attr_write_u8(f, "complete", 0); }
static void edit_phase(hid_t f) {
    hid_t g = H5Gopen2(f, "state", H5P_DEFAULT);
    h5_attr_write_str(g, "phase", "bogus");
    h5_close(&g);
}
static void edit_no_tensor(hid_t f) { H5Ldelete(f, "model/fc_b", H5P_DEFAULT); }

static void test_bad_inputs(void) {
    sh("rm -rf " DIR "/bad && mkdir -p " DIR "/bad");
    write_fx(DIR "/bad", "round_0001", 1, 0);
    const char *good = DIR "/bad/ckpt/round_0001.h5";
    GPTConfig cfg = fx_config();
    ErrMsg e;
    CHECK_MSG(read_fx(good, &cfg, &e) == 0, "%s", e.msg);

    expect_bad(DIR "/bad/missing.h5", &cfg, "missing.h5", "No such file");
    sh("printf 'hello, not hdf5\\n' > " DIR "/bad/text.h5");
    expect_bad(DIR "/bad/text.h5", &cfg, "not an HDF5 file", NULL);
    sh("head -c 0 /dev/null > " DIR "/bad/empty.h5");
    expect_bad(DIR "/bad/empty.h5", &cfg, "empty.h5", NULL);
    struct stat st;
    CHECK_TRUE(stat(good, &st) == 0);
    copy_file(good, DIR "/bad/trunc.h5");
    CHECK_TRUE(truncate(DIR "/bad/trunc.h5", st.st_size / 2) == 0);
    expect_bad(DIR "/bad/trunc.h5", &cfg, "truncated", "trunc.h5");
    copy_file(good, DIR "/bad/trunc2.h5");
    CHECK_TRUE(truncate(DIR "/bad/trunc2.h5", 40) == 0);
    expect_bad(DIR "/bad/trunc2.h5", &cfg, "trunc2.h5", NULL);
    expect_bad(DIR "/bad", &cfg, "not a regular file", NULL);

    hid_t fapl = h5_fapl_serial();  // a valid HDF5 file that is not a checkpoint
    ErrMsg ce;
    hid_t f = h5_file_create(DIR "/bad/plain.h5", fapl, &ce);
    h5_close(&f);
    h5_close(&fapl);
    expect_bad(DIR "/bad/plain.h5", &cfg, "format' is missing", "HINT:");

    make_edited(good, DIR "/bad/format.h5", edit_format);
    expect_bad(DIR "/bad/format.h5", &cfg, "format is 'concord.prefbuf'", "HINT:");
    make_edited(good, DIR "/bad/noformat.h5", edit_no_format);
    expect_bad(DIR "/bad/noformat.h5", &cfg, "not a concord checkpoint", "HINT:");
    make_edited(good, DIR "/bad/version.h5", edit_version);
    expect_bad(DIR "/bad/version.h5", &cfg, "format_version 2", "HINT:");
    make_edited(good, DIR "/bad/incomplete.h5", edit_no_complete);
    expect_bad(DIR "/bad/incomplete.h5", &cfg, "incomplete checkpoint", "HINT:");
    make_edited(good, DIR "/bad/complete0.h5", edit_complete0);
    expect_bad(DIR "/bad/complete0.h5", &cfg, "incomplete checkpoint", "HINT:");
    make_edited(good, DIR "/bad/phase.h5", edit_phase);
    expect_bad(DIR "/bad/phase.h5", &cfg, "phase 'bogus'", NULL);
    make_edited(good, DIR "/bad/notensor.h5", edit_no_tensor);
    expect_bad(DIR "/bad/notensor.h5", &cfg, "/model/fc_b is missing", NULL);

    GPTConfig wide = cfg;  // another model size: the first tensor named with both shapes
    wide.C = 16;
    expect_bad(good, &wide, "tensor /model/wte has shape (24, 8), expected (24, 16)", "HINT:");
    GPTConfig deeper = cfg;
    deeper.L = 3;
    expect_bad(good, &deeper, "tensor /model/ln1_w has shape (2, 8), expected (3, 8)", "HINT:");
    GPTConfig vocab = cfg;  // same shapes, other vocabulary size
    vocab.V = 20;
    expect_bad(good, &vocab, "/config vocab_size is 22, expected 20", "HINT:");
}

static void test_write_and_latest_errors(void) {
    Fixture a;
    fx_make(&a, 2);
    ErrMsg e = {{0}};
    int rc = ckpt_write(DIR "/no/such/dir", "round_0001", &a.c, 0, MPI_COMM_SELF, &e);
    CHECK_TRUE(rc < 0 && strstr(e.msg, "cannot create checkpoint directory"));
    sh("rm -rf " DIR "/file && echo x > " DIR "/file");
    rc = ckpt_write(DIR "/file", "round_0001", &a.c, 0, MPI_COMM_SELF, &e);
    CHECK_TRUE(rc < 0 && strstr(e.msg, DIR "/file"));
    fx_free(&a);

    char path[CKPT_PATH_MAX];
    sh("rm -rf " DIR "/lat && mkdir -p " DIR "/lat/ckpt");
    rc = ckpt_latest(DIR "/lat", path, sizeof path, &e);
    CHECK_TRUE(rc < 0 && strstr(e.msg, "no checkpoint to resume from") && strstr(e.msg, "LATEST"));
    sh("echo ../../etc/passwd > " DIR "/lat/ckpt/LATEST");
    rc = ckpt_latest(DIR "/lat", path, sizeof path, &e);
    CHECK_TRUE(rc < 0 && strstr(e.msg, "should hold a checkpoint file name"));
    sh("printf 'round_0004-step_00000009.h5\\n' > " DIR "/lat/ckpt/LATEST");
    CHECK_TRUE(ckpt_latest(DIR "/lat", path, sizeof path, &e) == 0 &&
               strcmp(path, DIR "/lat/ckpt/round_0004-step_00000009.h5") == 0);
}

// fx_make's contents with NoPE slabs: wpe has zero elements.
static void fx_make_nope(Fixture *fx, uint64_t seed) {
    GPTConfig cfg = fx_config();
    cfg.position = GPT_POS_NONE;
    fx_make_with(fx, seed, &cfg);
}

static void edit_no_position(hid_t f) {
    hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
    H5Adelete(g, "position");
    h5_close(&g);
}
static void edit_bad_position(hid_t f) {
    hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
    h5_attr_write_str(g, "position", "rope");
    h5_close(&g);
}

static void test_nope(void) {
    sh("rm -rf " DIR "/nope && mkdir -p " DIR "/nope");
    Fixture a, b;
    fx_make_nope(&a, 4);
    GPTConfig fc = fx_config();
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    CHECK_TRUE(a.model.table[1].count == 0 &&
               a.model.n + (size_t)fc.T * fc.C == gpt_param_table(&fc, tb, &ntensors));
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_write(DIR "/nope", "round_0001", &a.c, 0, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    const char *path = DIR "/nope/ckpt/round_0001.h5";
    GPTConfig none = fx_config(), learned = fx_config();
    none.position = GPT_POS_NONE;
    fx_alloc(&b, &none);
    CHECK_MSG(ckpt_read(path, &none, &b.c, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CHECK_EQ_I64(fx_compare(&a, &b), 0);
    CkptInfo info;
    CHECK_MSG(ckpt_peek(path, &info, &e) == 0, "%s", e.msg);
    CHECK_TRUE(memcmp(&info.model_cfg, &none, sizeof none) == 0);
    ckpt_info_free(&info);
    // On file: position "none" next to n_layer, and no wpe dataset in any slab group.
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
    char pos[16] = "";
    CHECK_TRUE(h5_attr_read_str(g, "position", pos, sizeof pos, &e) == 0 &&
               strcmp(pos, "none") == 0);
    h5_close(&g);
    const char *wpe[5] = {"model/wpe", "optim/m/wpe", "optim/v/wpe", "ref/wpe", "prev/wpe"};
    for (int i = 0; i < 5; i++) CHECK_MSG(!h5_exists(f, wpe[i]), "/%s written", wpe[i]);
    CHECK_TRUE(h5_exists(f, "model/wte") && h5_exists(f, "optim/v/ln1_w"));
    h5_close(&f);
    // Either kind refuses the other, naming the file and both values.
    CHECK_TRUE(read_fx(path, &learned, &e) < 0);
    CHECK_MSG(strstr(e.msg,
                     "round_0001.h5: the checkpoint's position encoding is 'none', the "
                     "config's model.position is 'learned'") &&
                  strstr(e.msg, "HINT:"),
              "%s", e.msg);
    write_fx(DIR "/nope", "round_0002", 2, 0);
    const char *old = DIR "/nope/ckpt/round_0002.h5";
    expect_bad(old, &none,
               "the checkpoint's position encoding is 'learned', the config's "
               "model.position is 'none'",
               "round_0002.h5");
    // A file from before the attribute is a learned one.
    make_edited(old, DIR "/nope/old.h5", edit_no_position);
    CHECK_MSG(read_fx(DIR "/nope/old.h5", &learned, &e) == 0, "%s", e.msg);
    CHECK_MSG(ckpt_peek(DIR "/nope/old.h5", &info, &e) == 0, "%s", e.msg);
    CHECK_TRUE(info.model_cfg.position == GPT_POS_LEARNED);
    ckpt_info_free(&info);
    make_edited(old, DIR "/nope/badpos.h5", edit_bad_position);
    expect_bad(DIR "/nope/badpos.h5", &learned, "/config position is 'rope'", "badpos.h5");
    fx_free(&a);
    fx_free(&b);
}

// A LLaMA checkpoint: its tensors and settings round-trip, /config names the architecture, and a
// config of the other architecture or other llama settings is refused with both values named.
static void test_llama(void) {
    sh("rm -rf " DIR "/llama && mkdir -p " DIR "/llama");
    GPTConfig lc = fx_config_llama();
    Fixture a, b;
    fx_make_with(&a, 5, &lc);
    CHECK_TRUE(a.model.ntensors == 9 && param_slab_find(&a.model, "lm_head") == 8 &&
               param_slab_find(&a.model, "ln1_b") < 0);
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_write(DIR "/llama", "round_0001", &a.c, 0, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    const char *path = DIR "/llama/ckpt/round_0001.h5";
    fx_alloc(&b, &lc);
    CHECK_MSG(ckpt_read(path, &lc, &b.c, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CHECK_EQ_I64(fx_compare(&a, &b), 0);
    CkptInfo info;
    CHECK_MSG(ckpt_peek(path, &info, &e) == 0, "%s", e.msg);
    CHECK_TRUE(memcmp(&info.model_cfg, &lc, sizeof lc) == 0);
    ckpt_info_free(&info);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
    char arch[16] = "";
    CHECK_TRUE(h5_attr_read_str(g, "arch", arch, sizeof arch, &e) == 0 &&
               strcmp(arch, "llama") == 0);
    h5_close(&g);
    CHECK_TRUE(h5_exists(f, "model/gate_up_w") && h5_exists(f, "optim/v/lm_head") &&
               !h5_exists(f, "model/wpe"));
    h5_close(&f);
    GPTConfig gpt2 = fx_config(), other = lc;
    CHECK_TRUE(read_fx(path, &gpt2, &e) < 0);
    CHECK_MSG(strstr(e.msg,
                     "round_0001.h5: the checkpoint's architecture is 'llama', the config's "
                     "model.arch is 'gpt2'") &&
                  strstr(e.msg, "HINT:"),
              "%s", e.msg);
    other.KV = 4;
    CHECK_TRUE(read_fx(path, &other, &e) < 0);
    CHECK_MSG(strstr(e.msg,
                     "the checkpoint's llama settings (n_kv_head 2, ffn_hidden 12, rope_theta "
                     "10000, norm_eps 1e-05, tie_embeddings false) differ"),
              "%s", e.msg);
    GPTConfig longer = lc;  // no llama tensor depends on T: another context length loads
    longer.T = 64;
    Fixture c;
    fx_alloc(&c, &longer);
    CHECK_MSG(ckpt_read(path, &longer, &c.c, MPI_COMM_SELF, &e) == 0, "%s", e.msg);
    CHECK_TRUE(fx_slab_same(&a.model, &c.model) && fx_slab_same(&a.optim.v, &c.optim.v));
    fx_free(&c);
    write_fx(DIR "/llama", "round_0002", 2, 0);  // a GPT-2 file refuses a llama config
    CHECK_TRUE(read_fx(DIR "/llama/ckpt/round_0002.h5", &lc, &e) < 0);
    CHECK_MSG(strstr(e.msg,
                     "the checkpoint's architecture is 'gpt2', the config's model.arch is "
                     "'llama'"),
              "%s", e.msg);
    fx_free(&a);
    fx_free(&b);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    sh("rm -rf " DIR " && mkdir -p " DIR);
    test_names();
    test_round_trip();
    test_optional_groups();
    test_retention();
    test_stale_tmp();
    test_bad_inputs();
    test_write_and_latest_errors();
    test_nope();
    test_llama();
    // Nothing leaked: no HDF5 object left open, no heap block left under the modules' labels.
    CHECK_EQ_I64(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    const char *labels[] = {"ckpt.state", "ckpt.retain", "h5util.text", "h5util.strings"};
    for (int i = 0; i < 4; i++) CHECK_MSG(alloc_live_bytes(labels[i]) == 0, "%s leaked", labels[i]);
    MPI_Finalize();
    return check_report();
}
