/* io/ckpt.c — model checkpoints; see ckpt.h.
   Writing on one rank takes a fast path: HDF5 (sec2 driver) creates every object and writes the
   small ones, then the tensors go straight to their contiguous extents (H5Dget_offset) through
   io/rawwrite (O_DIRECT, bypassing the page cache); complete=1 is written last as always. Several
   ranks write collectively through MPI-IO. Run state, names and the checkpoint directory (LATEST,
   retention) are in ckpt_state.c. */
#include "io/ckpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/ckpt_run_state.h"
#include "io/ckpt_state.h"
#include "io/ckpt_tokenizer.h"
#include "io/collective.h"
#include "io/h5util.h"
#include "io/rawwrite.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/fs.h"
#include "version.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store little-endian numbers and rely on memory type == file type"
#endif
_Static_assert(sizeof(Rng) == 2 * sizeof(uint64_t), "Rng must be (key, counter) u64 pairs");

static const H5FileKind CKPT_KIND = {
    .kind = "checkpoint",
    .format = CKPT_FORMAT,
    .max_version = CKPT_FORMAT_VERSION,
    .hint_wrong =
        "HINT: pass a checkpoint written by concord (run_dir/ckpt/round_NNNN.h5); other "
        "HDF5 files, such as preference buffers, cannot be loaded as checkpoints.",
    .hint_incomplete =
        "HINT: resume from the checkpoint that ckpt/LATEST names; it is always a "
        "complete one",
};

/* ---- writing ---- */

static const char *tensor_description(const char *name) {
    static const char *const desc[][2] = {
        {"wte", "token embedding (rows >= vocab_size are padding); also the tied LM head"},
        {"wpe", "learned position embedding"},
        {"ln1_w", "LayerNorm before attention: scale, per layer"},
        {"ln1_b", "LayerNorm before attention: shift, per layer"},
        {"qkv_w", "attention query/key/value projection weight (out, in), per layer"},
        {"qkv_b", "attention query/key/value projection bias, per layer"},
        {"attn_proj_w", "attention output projection weight (out, in), per layer"},
        {"attn_proj_b", "attention output projection bias, per layer"},
        {"ln2_w", "LayerNorm before the MLP: scale, per layer"},
        {"ln2_b", "LayerNorm before the MLP: shift, per layer"},
        {"fc_w", "MLP up-projection weight (out, in), per layer"},
        {"fc_b", "MLP up-projection bias, per layer"},
        {"fc_proj_w", "MLP down-projection weight (out, in), per layer"},
        {"fc_proj_b", "MLP down-projection bias, per layer"},
        {"lnf_w", "final LayerNorm: scale"},
        {"lnf_b", "final LayerNorm: shift"},
    };
    for (size_t i = 0; i < sizeof desc / sizeof desc[0]; i++)
        if (strcmp(desc[i][0], name) == 0) return desc[i][1];
    return "model tensor";
}

// File access for the single-rank path: sec2 with the MPI-IO fapl's alignment.
static hid_t fapl_single(void) {
    hid_t fapl = h5_fapl_serial();
    H5_CHECK(H5Pset_alignment(fapl, RAW_ALIGN, RAW_ALIGN), "file access plist");
    return fapl;
}

// Every tensor's crc32: each rank checksums its block of rows, one all-gather joins the blocks
// in row order (the same split as the writes).
static void slab_crcs(const ParamSlab *s, MPI_Comm comm, uint32_t crc[MAX_TENSORS]) {
    int rank = io_comm_rank(comm), nranks = io_comm_size(comm);
    uint64_t len[MAX_TENSORS] = {0};
    for (int i = 0; i < s->ntensors; i++) {
        const TensorSpec *t = &s->table[i];
        crc[i] = 0;
        if (t->count == 0) continue;
        hsize_t row0, nrows, row_elems = t->count / (hsize_t)t->dims[0];
        h5_split_rows((hsize_t)t->dims[0], rank, nranks, &row0, &nrows);
        len[i] = nrows * row_elems * sizeof(float);
        crc[i] = h5_crc(0, s->data + t->offset + row0 * row_elems, len[i]);
    }
    h5_crc_combine(crc, len, s->ntensors, comm);
}

// Writes every tensor of s as group/<name> with its crc32; this rank writes its block of
// leading-dim rows, or, with a plan (one rank), only creates the datasets and records their
// extents. what is a printf format with one %s (the model description), e.g. "AdamW first moment
// of: %s". Returns 0 or -1 with e filled after a failed write (every write is still made).
static int write_slab(hid_t file, const char *group, const ParamSlab *s, const char *what,
                      const char *group_desc, hid_t dxpl, MPI_Comm comm, RawPlan *plan, ErrMsg *e) {
    int rank = io_comm_rank(comm), nranks = io_comm_size(comm), rc = 0;
    uint32_t crc[MAX_TENSORS];
    slab_crcs(s, comm, crc);
    hid_t g = h5_group_create(file, group);
    h5_attr_write_str(g, "description", group_desc);
    for (int i = 0; i < s->ntensors; i++) {
        const TensorSpec *t = &s->table[i];
        if (t->count == 0) continue;  // e.g. NoPE's wpe: no dataset (an empty one has no extent)
        hsize_t dims[3];
        for (int k = 0; k < t->ndim; k++) dims[k] = (hsize_t)t->dims[k];
        char desc[256];
        snprintf(desc, sizeof desc, what, tensor_description(t->name));
        hid_t d = h5_dataset_create(g, t->name, H5T_IEEE_F32LE, t->ndim, dims, desc, t->dims_text);
        h5_attr_write_crc(d, crc[i]);
        hsize_t row0, nrows, row_elems = t->count / dims[0];
        h5_split_rows(dims[0], rank, nranks, &row0, &nrows);
        if (plan) {
            haddr_t off = H5Dget_offset(d);
            CHECKF(off != HADDR_UNDEF, "checkpoint: a tensor dataset has no allocated storage");
            rawplan_add(plan, (uint64_t)off, s->data + t->offset, t->count * sizeof(float));
        } else if (h5_write_rows(d, H5T_IEEE_F32LE, row0, nrows,
                                 s->data + t->offset + row0 * row_elems, dxpl,
                                 rc < 0 ? NULL : e) < 0) {
            rc = -1;  // the first failure's message stands; the other tensors are still written
        }
        h5_close(&d);
    }
    h5_close(&g);
    return rc;
}

static int write_config(hid_t file, const CkptContents *c, int is_root, hid_t dxpl, ErrMsg *e) {
    const GPTConfig *m = &c->model->cfg;
    hid_t g = h5_group_create(file, "config");
    h5_attr_write_str(g, "description", "model size and the resolved run configuration");
    h5_attr_write_i32(g, "n_layer", m->L);
    h5_attr_write_i32(g, "n_head", m->NH);
    h5_attr_write_i32(g, "n_embd", m->C);
    h5_attr_write_i32(g, "vocab_size", m->V);
    h5_attr_write_i32(g, "vocab_padded", m->Vp);
    h5_attr_write_i32(g, "max_seq_len", m->T);
    h5_attr_write_str(g, "position", gpt_position_name(m->position));
    if (m->position == GPT_POS_ABACUS) {  // which ids count as digits, and the training shift
        h5_attr_write_i32(g, "digit0", m->digit0);
        h5_attr_write_i32(g, "abacus_offset", m->abacus_offset);
    }
    if (m->arch != GPT_ARCH_GPT2) {  // absent: gpt2 (files before the llama architecture)
        h5_attr_write_str(g, "arch", gpt_arch_name(m->arch));
        h5_attr_write_i32(g, "n_kv_head", m->KV);
        h5_attr_write_i32(g, "ffn_hidden", m->F);
        h5_attr_write_f32(g, "rope_theta", m->rope_theta);
        h5_attr_write_f32(g, "norm_eps", m->norm_eps);
        h5_attr_write_i32(g, "tie_embeddings", !m->untied);
    }
    int rc = h5_dataset_write_str(g, "json", c->config_json, "resolved run configuration (JSON)",
                                  is_root, dxpl, e);
    h5_close(&g);
    g = h5_group_create(file, "tokenizer");
    h5_attr_write_str(g, "description",
                      c->bpe ? "GPT-2 byte-level BPE (kind, token_bytes, token_offsets, merges, "
                               "special_ids); <|endoftext|> is BOS, EOS and PAD"
                             : "character tokenizer: ids 0-3 are PAD, BOS, EOS, SEP; id 4+i is "
                               "charset[i]");
    h5_attr_write_str(g, "charset", c->charset);
    if (c->bpe &&
        ckpt_tokenizer_write_bpe(g, c->bpe, is_root, dxpl, rc < 0 ? &(ErrMsg){{0}} : e) < 0)
        rc = -1;
    h5_close(&g);
    return rc;
}

static int write_optim(hid_t file, const AdamW *o, hid_t dxpl, MPI_Comm comm, RawPlan *plan,
                       ErrMsg *e) {
    hid_t g = h5_group_create(file, "optim");
    h5_attr_write_str(g, "description", "AdamW state: settings, step count, moments");
    h5_attr_write_str(g, "algo", "adamw");
    h5_attr_write_i64(g, "step", o->step);
    h5_attr_write_f32(g, "lr", o->cfg.lr);
    h5_attr_write_f32(g, "lr_min_ratio", o->cfg.lr_min_ratio);
    h5_attr_write_i64(g, "warmup_steps", o->cfg.warmup_steps);
    h5_attr_write_i64(g, "total_steps", o->cfg.total_steps);
    h5_attr_write_f32(g, "beta1", o->cfg.beta1);
    h5_attr_write_f32(g, "beta2", o->cfg.beta2);
    h5_attr_write_f32(g, "eps", o->cfg.eps);
    h5_attr_write_f32(g, "weight_decay", o->cfg.weight_decay);
    h5_attr_write_f32(g, "grad_clip", o->cfg.grad_clip);
    h5_close(&g);
    int rc = write_slab(file, "optim/m", &o->m, "AdamW first moment of: %s", "AdamW first moments",
                        dxpl, comm, plan, e);
    if (write_slab(file, "optim/v", &o->v, "AdamW second moment of: %s", "AdamW second moments",
                   dxpl, comm, plan, rc < 0 ? NULL : e) < 0)
        rc = -1;
    return rc;
}

static void check_contents(const CkptContents *c) {
    CHECKF(c->model && c->state && c->config_json && c->charset, "ckpt_write: missing contents");
    CHECKF(strlen(c->charset) <= TOKENIZER_MAX_CHARS, "ckpt_write: charset longer than %d",
           TOKENIZER_MAX_CHARS);
    CHECKF(ckpt_phase_valid(c->state->phase), "ckpt_write: unknown phase '%s'", c->state->phase);
    CHECKF(c->state->world_size >= 1 && c->state->rng && c->state->role, "ckpt_write: bad state");
    CHECKF(c->state->n_cursors >= 0 && c->state->n_cursors <= CKPT_MAX_CURSORS,
           "ckpt_write: cursors");
    const ParamSlab *others[] = {c->optim ? &c->optim->m : NULL, c->optim ? &c->optim->v : NULL,
                                 c->ref, c->prev};
    for (int i = 0; i < 4; i++)
        CHECKF(!others[i] || memcmp(&others[i]->cfg, &c->model->cfg, sizeof(GPTConfig)) == 0,
               "ckpt_write: slab %d has another model config than the model", i);
}

// Bytes a checkpoint of c takes on disk, roughly: the numbers, plus room for each dataset's
// header and alignment, for the free-space check before writing.
static uint64_t estimate_bytes(const CkptContents *c) {
    const ParamSlab *slabs[5] = {c->model, c->optim ? &c->optim->m : NULL,
                                 c->optim ? &c->optim->v : NULL, c->ref, c->prev};
    uint64_t bytes = strlen(c->config_json) + (uint64_t)c->state->world_size * 17 + (64 << 10);
    for (int i = 0; i < 5; i++)
        if (slabs[i]) bytes += slabs[i]->n * sizeof(float) + (uint64_t)slabs[i]->ntensors * 8192;
    return bytes;
}

// Creates <tmp>, writes every object (each dataset with its crc32), complete=1 last, closes.
// A failed write (e.g. a full disk) leaves complete unset, closes and removes tmp, and returns -1
// with e naming the file and the cause, identically on every rank.
static int write_file(const char *tmp, const CkptContents *c, MPI_Comm comm, ErrMsg *e) {
    int rank = io_comm_rank(comm), nranks = io_comm_size(comm), rc = 0;
    // A full disk is found before anything is written where possible (the tests skip this
    // check with the fault flag io.skip_space_check to reach the write errors themselves).
    if (rank == 0 && !fault_flag("io.skip_space_check"))
        rc = h5_check_space(tmp, estimate_bytes(c), e);
    if (io_agree(rc, e, comm) < 0) return -1;
    RawPlan plan = {0}, *defer = nranks == 1 ? &plan : NULL;
    hid_t fapl = defer ? fapl_single() : h5_fapl_mpio(comm);
    hid_t file = h5_file_create(tmp, fapl, e);
    int mine = file < 0 ? -1 : 0;
    if (io_agree(mine, e, comm) < 0) {
        CHECKF(mine < 0, "checkpoint %s was created on some ranks only: %s", tmp, e->msg);
        h5_close(&fapl);
        return -1;
    }
    fault_point("ckpt.after_create");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double wall = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    // Rank 0's value everywhere: attributes are written collectively.
    IO_MPI_CHECK(MPI_Bcast(&wall, 1, MPI_DOUBLE, 0, comm));
    hid_t dxpl = defer ? H5P_DEFAULT : h5_dxpl_collective();
    h5_attr_write_str(file, "format", CKPT_FORMAT);
    h5_attr_write_i32(file, "format_version", CKPT_FORMAT_VERSION);
    h5_attr_write_str(file, "created_by", CONCORD_CREATED_BY);
    h5_attr_write_f64(file, "wall_time", wall);
    h5_mark_checksummed(file);
// Every step runs even after a failure (they are collective); the first failure's message stays.
#define KEEP_FIRST(call)         \
    do {                         \
        if ((call) < 0) rc = -1; \
    } while (0)
#define FIRST_E (rc < 0 ? NULL : e)
    KEEP_FIRST(write_config(file, c, rank == 0, dxpl, FIRST_E));
    KEEP_FIRST(write_slab(file, "model", c->model, "%s",
                          "policy weights (GPT-2, llm.c tensor layout)", dxpl, comm, defer,
                          FIRST_E));
    rawplan_mark(&plan, "ckpt.after_model");
    if (!defer) fault_point("ckpt.after_model");
    if (c->optim) KEEP_FIRST(write_optim(file, c->optim, dxpl, comm, defer, FIRST_E));
    rawplan_mark(&plan, "ckpt.after_optim");
    if (!defer) fault_point("ckpt.after_optim");
    if (c->ref)
        KEEP_FIRST(write_slab(file, "ref", c->ref, "reference policy: %s",
                              "reference policy (DPO/INPO)", dxpl, comm, defer, FIRST_E));
    if (c->prev)
        KEEP_FIRST(write_slab(file, "prev", c->prev, "previous-round policy: %s",
                              "previous-round policy (INPO, CREAM)", dxpl, comm, defer, FIRST_E));
    KEEP_FIRST(ckpt_state_write_group(file, c->state, rank == 0, dxpl, FIRST_E));
    if (defer) {  // the structure is on file: now the tensors, then reopen for complete=1
        KEEP_FIRST(h5_file_close(&file, tmp, FIRST_E));
        if (rc == 0) KEEP_FIRST(raw_write(tmp, &plan, e));
        rawplan_free(&plan);
        if (rc == 0 && (file = H5Fopen(tmp, H5F_ACC_RDWR, fapl)) < 0)
            rc = h5_write_err(e, tmp, "reopening the file");
    }
    h5_close(&fapl);
    fault_point("ckpt.after_state");
    // The flush and the completion flag are collective: every rank takes them or none does (a
    // full disk may fail one rank's share of a collective write and not another's).
    if (!defer) rc = io_agree(rc, e, comm);
    if (rc == 0) KEEP_FIRST(h5_flush(file, tmp, e));
    if (!defer) rc = io_agree(rc, e, comm);
    if (rc < 0 && !defer) io_discard_failed(tmp, comm);
    fault_point("ckpt.before_complete");
    if (rc == 0) h5_attr_write_u8(file, "complete", 1);
    fault_point("ckpt.before_close");
    if (!defer) h5_close(&dxpl);
    KEEP_FIRST(h5_file_close(&file, tmp, FIRST_E));
#undef FIRST_E
#undef KEEP_FIRST
    rc = io_agree(rc, e, comm);
    if (rc < 0 && rank == 0) unlink(tmp);  // never a half-written checkpoint on disk
    return rc;
}

// Rank 0's part after the file is closed: fsync, rename, LATEST, retention.
static int publish(const char *dir, const char *tmp, const char *dst, const char *file, int keep,
                   ErrMsg *e) {
    if (fs_publish(tmp, dst, "ckpt.before_rename", e) < 0) return -1;
    fault_point("ckpt.before_latest");
    if (ckpt_write_latest(dir, file, e) < 0) return -1;
    fault_point("ckpt.after_latest");
    ckpt_retain(dir, keep, file);
    return 0;
}

int ckpt_write(const char *run_dir, const char *name, const CkptContents *c, int keep,
               MPI_Comm comm, ErrMsg *e) {
    ErrMsg local = {{0}};
    int rank = io_comm_rank(comm), rc = 0;
    check_contents(c);
    char dir[CKPT_PATH_MAX], file[CKPT_NAME_MAX], tmp[CKPT_PATH_MAX], dst[CKPT_PATH_MAX];
    int32_t r;
    int64_t s;
    snprintf(file, sizeof file, "%s.h5", name);
    CHECKF(ckpt_name_parse(file, &r, &s) == 0, "ckpt_write: '%s' is not a checkpoint name", name);
    if (strlen(run_dir) + 6 + CKPT_NAME_MAX + 8 >= sizeof dir)
        return err_set(e, "checkpoint directory path %s/ckpt is too long", run_dir);
    fs_join(dir, sizeof dir, run_dir, "ckpt");
    fs_join(dst, sizeof dst, dir, file);
    CHECK(snprintf(tmp, sizeof tmp, "%s.tmp", dst) < (int)sizeof tmp);
    if (rank == 0) {
        // Only run_dir and its ckpt/: a missing parent of run_dir is an error.
        if (fs_mkdir(run_dir) != 0 || fs_mkdir(dir) != 0)
            rc = err_set(&local, "cannot create checkpoint directory %s: %s", dir, strerror(errno));
        else
            ckpt_remove_stale_tmp(dir);
    }
    if (io_agree(rc, &local, comm) == 0 && write_file(tmp, c, comm, &local) == 0) {
        rc = rank == 0 ? publish(dir, tmp, dst, file, keep, &local) : 0;
        rc = io_agree(rc, &local, comm);
    } else {
        rc = -1;
    }
    if (rc < 0 && e) *e = local;
    return rc;
}

int ckpt_write_file(const char *path, const CkptContents *c, MPI_Comm comm, ErrMsg *e) {
    ErrMsg local = {{0}};
    int rank = io_comm_rank(comm), rc = 0;
    check_contents(c);
    char dir[CKPT_PATH_MAX], tmp[CKPT_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || path[len - 1] == '/')
        return err_set(e, "checkpoint path '%s' names a directory, expected a file name", path);
    if (len + 5 >= sizeof tmp) return err_set(e, "checkpoint path %s is too long", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fs_dirname(dir, sizeof dir, path);
    struct stat sb;
    if (rank == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        rc = err_set(&local, "cannot write checkpoint %s: directory %s does not exist", path, dir);
    if (io_agree(rc, &local, comm) == 0 && write_file(tmp, c, comm, &local) == 0) {
        rc = rank == 0 ? fs_publish(tmp, path, "ckpt.before_rename", &local) : 0;
        rc = io_agree(rc, &local, comm);
    } else {
        rc = -1;
    }
    if (rc < 0 && e) *e = local;
    return rc;
}

/* ---- reading ---- */

// The architecture attributes of /config (g): absent = gpt2.
static int read_arch_attrs(hid_t g, const char *path, GPTConfig *cfg, ErrMsg *e) {
    char arch[16] = "gpt2";
    if (h5_attr_exists(g, "arch") > 0 && h5_attr_read_str(g, "arch", arch, sizeof arch, e) < 0)
        return -1;
    if (gpt_arch_parse(arch, &cfg->arch) < 0)
        return err_set(e, "%s: /config arch is '%s', expected gpt2 or llama", path, arch);
    if (cfg->arch == GPT_ARCH_GPT2) return 0;
    int32_t kv, f, tied;
    if (h5_attr_read_i32(g, "n_kv_head", &kv, e) < 0 ||
        h5_attr_read_i32(g, "ffn_hidden", &f, e) < 0 ||
        h5_attr_read_f32(g, "rope_theta", &cfg->rope_theta, e) < 0 ||
        h5_attr_read_f32(g, "norm_eps", &cfg->norm_eps, e) < 0 ||
        h5_attr_read_i32(g, "tie_embeddings", &tied, e) < 0)
        return -1;
    cfg->KV = kv, cfg->F = f, cfg->untied = tied == 0;
    return 0;
}

static int read_config_attrs(hid_t f, const char *path, GPTConfig *cfg, ErrMsg *e) {
    hid_t g = h5_group_open(f, "config", e);
    if (g < 0) return -1;
    int32_t v[6];
    const char *names[6] = {"n_layer",    "n_head",       "n_embd",
                            "vocab_size", "vocab_padded", "max_seq_len"};
    int rc = 0;
    for (int i = 0; i < 6 && rc == 0; i++) rc = h5_attr_read_i32(g, names[i], &v[i], e);
    // Files written before the position option have no attribute: they are all "learned".
    char pos[16] = "learned";
    if (rc == 0 && h5_attr_exists(g, "position") > 0)
        rc = h5_attr_read_str(g, "position", pos, sizeof pos, e);
    *cfg = (GPTConfig){.L = v[0], .NH = v[1], .C = v[2], .V = v[3], .Vp = v[4], .T = v[5]};
    if (rc == 0 && gpt_position_parse(pos, &cfg->position) < 0)
        rc =
            err_set(e, "%s: /config position is '%s', expected learned, none or abacus", path, pos);
    int32_t digit0 = 0, offset = 0;
    if (rc == 0 && cfg->position == GPT_POS_ABACUS)
        rc = h5_attr_read_i32(g, "digit0", &digit0, e) < 0 ||
                     h5_attr_read_i32(g, "abacus_offset", &offset, e) < 0
                 ? -1
                 : 0;
    if (rc == 0) rc = read_arch_attrs(g, path, cfg, e);
    h5_close(&g);
    if (rc < 0) return -1;
    cfg->digit0 = digit0, cfg->abacus_offset = offset;
    return 0;
}

static void shape_text(char *buf, size_t size, int ndim, const hsize_t *dims) {
    size_t at = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < ndim && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, "%s%llu", k ? ", " : "",
                               (unsigned long long)dims[k]);
    if (at < size) snprintf(buf + at, size - at, ")");
}

// Checks that group/<tensor> exists for every tensor of cfg with its type and shape.
static int check_slab(hid_t f, const char *path, const char *group, const GPTConfig *cfg,
                      ErrMsg *e) {
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    gpt_param_table(cfg, tb, &ntensors);
    for (int i = 0; i < ntensors; i++) {
        if (tb[i].count == 0) continue;  // written as no dataset
        char obj[64], got[96], want[96];
        fs_join(obj, sizeof obj, group, tb[i].name);
        if (!h5_exists(f, obj))
            return err_set(e,
                           "%s: tensor /%s is missing\nHINT: the file was altered or not "
                           "written by concord; use another checkpoint",
                           path, obj);
        hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
        if (d < 0) return h5_err(e, "%s: cannot open tensor /%s", path, obj);
        hid_t t = H5Dget_type(d);
        int is_float = t >= 0 && H5Tget_class(t) == H5T_FLOAT;
        h5_close(&t);
        hsize_t dims[8], wdims[3];
        int nd = h5_dataset_shape(d, dims, 8, e);
        h5_close(&d);
        if (nd < 0) return -1;
        if (!is_float) return err_set(e, "%s: tensor /%s should hold floats", path, obj);
        for (int k = 0; k < tb[i].ndim; k++) wdims[k] = (hsize_t)tb[i].dims[k];
        int same = nd == tb[i].ndim;
        for (int k = 0; same && k < nd; k++) same = dims[k] == wdims[k];
        if (same) continue;
        shape_text(got, sizeof got, nd, dims);
        shape_text(want, sizeof want, tb[i].ndim, wdims);
        return err_set(e,
                       "%s: tensor /%s has shape %s, expected %s = %s for the configured model "
                       "(V=%d, Vp=%d, T=%d, C=%d, L=%d, NH=%d)\nHINT: the checkpoint was written "
                       "for another model size; use its model settings (concord inspect shows "
                       "them) or start a new run directory",
                       path, obj, got, want, tb[i].dims_text, cfg->V, cfg->Vp, cfg->T, cfg->C,
                       cfg->L, cfg->NH);
    }
    return 0;
}

// Reads every tensor of group into s and checks each one's crc32. Every rank reads whole
// tensors, so each checks the whole CRC itself: no communication, the same verdict everywhere.
static int read_slab(hid_t f, const char *path, const char *group, ParamSlab *s, hid_t dxpl,
                     ErrMsg *e) {
    int required = h5_is_checksummed(f);
    for (int i = 0; i < s->ntensors; i++) {
        const TensorSpec *t = &s->table[i];
        if (t->count == 0) continue;
        char obj[64];
        fs_join(obj, sizeof obj, group, t->name);
        hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
        if (d < 0) return h5_err(e, "%s: cannot open tensor /%s", path, obj);
        int rc =
            h5_read_rows(d, H5T_IEEE_F32LE, 0, (hsize_t)t->dims[0], s->data + t->offset, dxpl, e);
        if (rc == 0)
            rc = h5_crc_verify(d, path, required,
                               h5_crc(0, s->data + t->offset, t->count * sizeof(float)), e);
        h5_close(&d);
        if (rc < 0) return -1;
    }
    return 0;
}

static int read_optim_attrs(hid_t f, AdamWConfig *cfg, int64_t *step, ErrMsg *e) {
    hid_t g = h5_group_open(f, "optim", e);
    if (g < 0) return -1;
    char algo[32] = "";
    int rc = h5_attr_read_str(g, "algo", algo, sizeof algo, e);
    if (rc == 0 && strcmp(algo, "adamw") != 0) {
        char where[512];
        rc = err_set(e, "%s: optimizer algo is '%s', expected 'adamw'",
                     h5_describe(g, where, sizeof where), algo);
    }
    if (rc == 0) rc = h5_attr_read_i64(g, "step", step, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "lr", &cfg->lr, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "lr_min_ratio", &cfg->lr_min_ratio, e);
    if (rc == 0) rc = h5_attr_read_i64(g, "warmup_steps", &cfg->warmup_steps, e);
    if (rc == 0) rc = h5_attr_read_i64(g, "total_steps", &cfg->total_steps, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "beta1", &cfg->beta1, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "beta2", &cfg->beta2, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "eps", &cfg->eps, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "weight_decay", &cfg->weight_decay, e);
    if (rc == 0) rc = h5_attr_read_f32(g, "grad_clip", &cfg->grad_clip, e);
    h5_close(&g);
    return rc;
}

// Opens group/name and checks it is 1-D or 2-D with the given shape (cols 0 = 1-D); *rows out.
// Compares /config with expect (fields that tensor shapes do not show: V, NH).
static int check_config(hid_t f, const char *path, const GPTConfig *expect, ErrMsg *e) {
    GPTConfig got;
    if (read_config_attrs(f, path, &got, e) < 0) return -1;
    const char *names[6] = {"vocab_size",  "n_head", "vocab_padded",
                            "max_seq_len", "n_embd", "n_layer"};
    int g[6] = {got.V, got.NH, got.Vp, got.T, got.C, got.L};
    int w[6] = {expect->V, expect->NH, expect->Vp, expect->T, expect->C, expect->L};
    for (int i = 0; i < 6; i++) {
        if (g[i] == w[i]) continue;
        // LLaMA: no tensor depends on T (rotary positions), so a run may use a shorter or longer
        // context than the checkpoint's (an import's T is max_position_embeddings, e.g. 8192)
        if (i == 3 && expect->arch == GPT_ARCH_LLAMA) continue;
        return err_set(e,
                       "%s: /config %s is %d, expected %d for the configured model\nHINT: the "
                       "checkpoint was written for another model; use its model settings "
                       "(concord inspect shows them) or start a new run directory",
                       path, names[i], g[i], w[i]);
    }
    return 0;
}

// Compares /config's architecture and position encoding with expect's: one message for what would
// else be a shape mismatch of some tensor.
static int check_model_kind(hid_t f, const char *path, const GPTConfig *expect, ErrMsg *e) {
    GPTConfig got;
    if (read_config_attrs(f, path, &got, e) < 0) return -1;
    if (got.arch != expect->arch)
        return err_set(
            e,
            "%s: the checkpoint's architecture is '%s', the config's model.arch is '%s'"
            "\nHINT: set model.arch to '%s' (concord inspect shows the checkpoint's model "
            "settings)",
            path, gpt_arch_name(got.arch), gpt_arch_name(expect->arch), gpt_arch_name(got.arch));
    if (got.arch == GPT_ARCH_LLAMA &&
        (got.KV != expect->KV || got.F != expect->F || got.rope_theta != expect->rope_theta ||
         got.norm_eps != expect->norm_eps || got.untied != expect->untied))
        return err_set(
            e,
            "%s: the checkpoint's llama settings (n_kv_head %d, ffn_hidden %d, rope_theta "
            "%g, norm_eps %g, tie_embeddings %s) differ from the config's (%d, %d, %g, %g, "
            "%s)\nHINT: use the checkpoint's model settings (concord inspect shows them)",
            path, got.KV, got.F, (double)got.rope_theta, (double)got.norm_eps,
            got.untied ? "false" : "true", expect->KV, expect->F, (double)expect->rope_theta,
            (double)expect->norm_eps, expect->untied ? "false" : "true");
    if (got.position == expect->position && got.digit0 != expect->digit0)
        return err_set(e,
                       "%s: /config digit0 is %d, expected %d: the checkpoint's digits have "
                       "other token ids than the configured tokenizer's",
                       path, got.digit0, expect->digit0);
    if (got.position == expect->position) return 0;
    return err_set(e,
                   "%s: the checkpoint's position encoding is '%s', the config's model.position "
                   "is '%s'\nHINT: set model.position to '%s' to load this checkpoint, or start "
                   "from another one",
                   path, gpt_position_name(got.position), gpt_position_name(expect->position),
                   gpt_position_name(got.position));
}

// Validation and reading for ckpt_read on an open file (identical on every rank of the file).
static int read_all(hid_t f, const char *path, const GPTConfig *expect, CkptContents *c, hid_t dxpl,
                    ErrMsg *e) {
    struct {
        const char *group;
        ParamSlab *slab;
    } parts[5] = {{"model", c->model},
                  {"optim/m", c->optim ? &c->optim->m : NULL},
                  {"optim/v", c->optim ? &c->optim->v : NULL},
                  {"ref", c->ref},
                  {"prev", c->prev}};
    if (h5_check_identity(f, path, &CKPT_KIND, NULL, e) < 0) return -1;
    if (check_model_kind(f, path, expect, e) < 0) return -1;  // before the shapes
    for (int i = 0; i < 5; i++) {
        if (!parts[i].slab) continue;
        CHECKF(memcmp(&parts[i].slab->cfg, expect, sizeof *expect) == 0,
               "ckpt_read: the /%s slab is not allocated for the expected config", parts[i].group);
        if (!h5_exists(f, parts[i].group))
            return err_set(e,
                           "%s has no /%s group, which this run needs\nHINT: the checkpoint was "
                           "written by a run with other settings (train objective or reference)",
                           path, parts[i].group);
        if (check_slab(f, path, parts[i].group, expect, e) < 0) return -1;
    }
    if (check_config(f, path, expect, e) < 0) return -1;
    if (c->optim && read_optim_attrs(f, &c->optim->cfg, &c->optim->step, e) < 0) return -1;
    for (int i = 0; i < 5; i++)
        if (parts[i].slab && read_slab(f, path, parts[i].group, parts[i].slab, dxpl, e) < 0)
            return -1;
    if (c->state && ckpt_state_read_group(f, path, c->state, dxpl, e) < 0) return -1;
    return 0;
}

int ckpt_read(const char *path, const GPTConfig *expect, CkptContents *c, MPI_Comm comm,
              ErrMsg *e) {
    ErrMsg local = {{0}};
    CHECKF(c->model, "ckpt_read: model slab is required");
    hid_t fapl = h5_fapl_mpio(comm);
    hid_t f = h5_file_open(path, fapl, &local);
    h5_close(&fapl);
    int mine = f < 0 ? -1 : 0;
    if (io_agree(mine, &local, comm) < 0) {
        CHECKF(mine < 0, "%s was opened on some ranks only: %s", path, local.msg);
        if (e) *e = local;
        return -1;
    }
    hid_t dxpl = h5_dxpl_collective();
    int rc = read_all(f, path, expect, c, dxpl, &local);
    h5_close(&dxpl);
    h5_close(&f);
    rc = io_agree(rc, &local, comm);
    if (rc < 0 && e) *e = local;
    return rc;
}

static int peek_file(hid_t f, const char *path, CkptInfo *info, ErrMsg *e) {
    if (h5_check_identity(f, path, &CKPT_KIND, &info->format_version, e) < 0) return -1;
    if (h5_attr_read_str(f, "created_by", info->created_by, sizeof info->created_by, e) < 0)
        return -1;
    if (h5_attr_read_f64(f, "wall_time", &info->wall_time, e) < 0) return -1;
    if (read_config_attrs(f, path, &info->model_cfg, e) < 0) return -1;
    ErrMsg why;
    if (gpt_config_check(&info->model_cfg, &why) < 0)
        return err_set(e, "%s: /config describes an invalid model: %s", path, why.msg);
    info->has_optim = h5_exists(f, "optim");
    info->has_ref = h5_exists(f, "ref");
    info->has_prev = h5_exists(f, "prev");
    const char *groups[5] = {"model", "optim/m", "optim/v", "ref", "prev"};
    int present[5] = {1, info->has_optim, info->has_optim, info->has_ref, info->has_prev};
    for (int i = 0; i < 5; i++)
        if (present[i] && check_slab(f, path, groups[i], &info->model_cfg, e) < 0) return -1;
    if (info->has_optim && read_optim_attrs(f, &info->optim_cfg, &info->optim_step, e) < 0)
        return -1;
    hid_t g = h5_group_open(f, "tokenizer", e);
    if (g < 0) return -1;
    int rc = h5_attr_read_str(g, "charset", info->charset, sizeof info->charset, e);
    h5_close(&g);
    if (rc < 0) return -1;
    if (h5_dataset_read_str(f, "config/json", &info->config_json, H5P_DEFAULT, e) < 0) return -1;
    return ckpt_state_read_group(f, path, &info->state, H5P_DEFAULT, e);
}

int ckpt_peek(const char *path, CkptInfo *info, ErrMsg *e) {
    memset(info, 0, sizeof *info);
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    if (f < 0) return -1;
    int rc = peek_file(f, path, info, e);
    h5_close(&f);
    if (rc < 0) ckpt_info_free(info);
    return rc;
}

void ckpt_info_free(CkptInfo *info) {
    xfree(info->config_json);
    ckpt_state_free(&info->state);
    memset(info, 0, sizeof *info);
}
