/* io/hf_llama.c — Hugging Face LlamaForCausalLM directories (config.json + safetensors weights,
   one file or shards) in and out of concord's llama checkpoints: config checks, the tensor name
   table, and the q/k/v and gate/up row blocks of concord's fused tensors; see hf_llama.h. */
#include "io/hf_llama.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/ckpt.h"
#include "io/ckpt_tokenizer.h"
#include "io/hf_common.h"
#include "io/hf_gpt2.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/fs.h"

#define HF_NAME_MAX    96          // longest tensor name built here
#define JSON_MAX_BYTES (64 << 20)  // a config.json is a few KiB, an index a few hundred KiB
#define MAX_SHARDS     4096        // shard files an index may name
#define SHARD_NAME_MAX 256         // longest shard file name
#define WHAT_LLAMA     "a LLaMA config (model_type \"llama\")"

/* One Hugging Face tensor per row block of a concord tensor; "%d" marks a per-layer tensor.
   block picks the rows inside concord's tensor: for qkv_w 0 q, 1 k, 2 v; for gate_up_w 0 gate,
   1 up; 0 for every unfused tensor. */
typedef struct {
    const char *pattern;
    LlamaTensorId id;
    int block;
} LlamaName;

static const LlamaName LLAMA_NAMES[] = {
    {"model.embed_tokens.weight", LLAMA_WTE, 0},
    {"model.layers.%d.input_layernorm.weight", LLAMA_ATTN_NORM_W, 0},
    {"model.layers.%d.self_attn.q_proj.weight", LLAMA_QKV_W, 0},
    {"model.layers.%d.self_attn.k_proj.weight", LLAMA_QKV_W, 1},
    {"model.layers.%d.self_attn.v_proj.weight", LLAMA_QKV_W, 2},
    {"model.layers.%d.self_attn.o_proj.weight", LLAMA_ATTN_PROJ_W, 0},
    {"model.layers.%d.post_attention_layernorm.weight", LLAMA_MLP_NORM_W, 0},
    {"model.layers.%d.mlp.gate_proj.weight", LLAMA_GATE_UP_W, 0},
    {"model.layers.%d.mlp.up_proj.weight", LLAMA_GATE_UP_W, 1},
    {"model.layers.%d.mlp.down_proj.weight", LLAMA_DOWN_W, 0},
    {"model.norm.weight", LLAMA_NORM_W, 0},
    {"lm_head.weight", LLAMA_LM_HEAD, 0},  // untied models only
};
#define N_LLAMA_NAMES ((int)(sizeof LLAMA_NAMES / sizeof LLAMA_NAMES[0]))
#define LM_HEAD_NAME  "lm_head.weight"

// A buffer older transformers versions saved per layer; recomputed from rope_theta, never read.
static const char *const IGNORED_PATTERN = "model.layers.%d.self_attn.rotary_emb.inv_freq";

static int per_layer(const LlamaName *m) { return strstr(m->pattern, "%d") != NULL; }

static void tensor_name(char *out, const char *pattern, int layer) {
    snprintf(out, HF_NAME_MAX, pattern, layer);
}

/* Where one Hugging Face tensor (one layer of it) lives in concord's tensor: rows x cols in the
   file (cols = 0 for a vector), starting at row `row0` of the layer's slice. Row blocks are
   contiguous, so a file tensor is exactly the floats [row0·cols, (row0+rows)·cols) of the slice. */
typedef struct {
    int64_t rows, cols, row0;
} Block;

static Block block_of(const LlamaName *m, const TensorSpec *spec, const GPTConfig *cfg) {
    int first = per_layer(m) ? 1 : 0;  // skip the stacked L
    int nd = spec->ndim - first;
    Block b = {spec->dims[first], nd == 2 ? spec->dims[first + 1] : 0, 0};
    int64_t hs = gpt_head_size(cfg);
    if (m->id == LLAMA_WTE || m->id == LLAMA_LM_HEAD) b.rows = cfg->V;  // Vp in the slab
    if (m->id == LLAMA_QKV_W) {
        int64_t q = (int64_t)cfg->NH * hs, kv = (int64_t)cfg->KV * hs;
        b.rows = m->block == 0 ? q : kv;
        b.row0 = m->block == 0 ? 0 : m->block == 1 ? q : q + kv;
    }
    if (m->id == LLAMA_GATE_UP_W) {
        b.rows = cfg->F;
        b.row0 = m->block == 0 ? 0 : cfg->F;
    }
    return b;
}

// The first float of the file tensor m of layer l inside w's slab.
static float *block_data(const ParamSlab *w, const LlamaName *m, Block b, int l) {
    const TensorSpec *spec = &w->table[m->id];
    size_t per = spec->count / (per_layer(m) ? (size_t)w->cfg.L : 1);
    return w->data + spec->offset + (size_t)l * per + (size_t)(b.row0 * (b.cols ? b.cols : 1));
}

// Whether m is a tensor of cfg's model (lm_head only when untied).
static int in_model(const LlamaName *m, const GPTConfig *cfg) {
    return m->id != LLAMA_LM_HEAD || cfg->untied;
}

// ---- JSON files ---------------------------------------------------------------------------

/* Parses the JSON file at path into *root (caller cJSON_Delete()s). Returns 0, or -1 with e
   naming the file (missing, not a regular file, too large, unreadable, not JSON). */
static int read_json(const char *path, cJSON **root, ErrMsg *e) {
    *root = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    char *text = NULL;
    int rc = 0;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = err_set(e, "cannot read %s: not a regular file", path);
    else if (st.st_size > JSON_MAX_BYTES)
        rc = err_set(e, "%s: %lld bytes, more than the %d expected of this JSON file", path,
                     (long long)st.st_size, JSON_MAX_BYTES);
    if (rc == 0) {
        size_t n = (size_t)st.st_size;
        text = xmalloc("hf.json", n + 1);
        if (fread(text, 1, n, f) != n)
            rc = err_set(e, "cannot read %s: %s", path, ferror(f) ? strerror(errno) : "short read");
        text[n] = '\0';
        if (rc == 0) {
            const char *end = NULL;
            *root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
            if (!*root)
                rc = err_set(e, "%s: not valid JSON (error near byte %lld)", path,
                             end ? (long long)(end - text) : 0LL);
            else if (!cJSON_IsObject(*root))
                rc = err_set(e, "%s: the file is %s, expected a JSON object", path,
                             hf_json_kind(*root));
        }
    }
    fclose(f);
    xfree(text);
    if (rc < 0) {
        cJSON_Delete(*root);
        *root = NULL;
    }
    return rc;
}

static int config_path(const char *dir, char *path, ErrMsg *e) {
    if (snprintf(path, HF_PATH_MAX, "%s/config.json", dir) >= HF_PATH_MAX)
        return err_set(e, "%s: directory path too long", dir);
    return 0;
}

static int is_llama(const cJSON *root) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "llama") == 0) return 1;
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *a;
    cJSON_ArrayForEach(a, (cJSON_IsArray(archs) ? archs : NULL)) {
        if (cJSON_IsString(a) && strcmp(a->valuestring, "LlamaForCausalLM") == 0) return 1;
    }
    return 0;
}

int hf_detect_arch(const char *dir, ModelArch *arch, ErrMsg *e) {
    *arch = GPT_ARCH_GPT2;
    char path[HF_PATH_MAX];
    cJSON *root;
    ErrMsg ignored;
    if (config_path(dir, path, &ignored) < 0 || read_json(path, &root, &ignored) < 0)
        return 0;  // the GPT-2 importer reports it
    int rc = 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (is_llama(root))
        *arch = GPT_ARCH_LLAMA;
    else if (cJSON_IsString(type) && strcmp(type->valuestring, "gpt2") != 0)
        rc = err_set(e,
                     "%s: field \"model_type\" is \"%.64s\", expected \"gpt2\" "
                     "(GPT2LMHeadModel) or \"llama\" (LlamaForCausalLM), the architectures "
                     "concord computes",
                     path, type->valuestring);
    cJSON_Delete(root);
    return rc;
}

// ---- config.json --------------------------------------------------------------------------

// Number field > 0 that must be a positive, finite float32; required, or dflt when absent.
static int get_positive(const char *path, const cJSON *root, const char *field, const char *what,
                        int required, double dflt, float *out, ErrMsg *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, field);
    if (!v && !required) {
        *out = (float)dflt;
        return 0;
    }
    if (!v) return err_set(e, "%s: missing field \"%s\" (%s) of " WHAT_LLAMA, path, field, what);
    if (!cJSON_IsNumber(v))
        return err_set(e, "%s: field \"%s\" (%s) is %s, expected a number > 0", path, field, what,
                       hf_json_kind(v));
    double d = v->valuedouble;
    if (!(d > 0) || d > FLT_MAX || !((float)d > 0))
        return err_set(e,
                       "%s: field \"%s\" (%s) is %g, expected a number > 0 that float32 "
                       "holds (%g .. %g)",
                       path, field, what, d, (double)FLT_TRUE_MIN, (double)FLT_MAX);
    *out = (float)d;
    return 0;
}

static int check_config(const char *path, const cJSON *root, int pad, GPTConfig *cfg, ErrMsg *e) {
    if (!is_llama(root))
        return err_set(e,
                       "%s: neither field \"model_type\" is \"llama\" nor field "
                       "\"architectures\" lists \"LlamaForCausalLM\"; expected a LLaMA model",
                       path);
    int V, C, L, NH, KV, F, T, tied, attn_bias, mlp_bias;
    float theta, eps;
    const char *of = WHAT_LLAMA;  // named when a required field is missing
    if (hf_get_size(path, root, "hidden_size", "channels C", of, HF_REQUIRED, &C, e) < 0 ||
        hf_get_size(path, root, "intermediate_size", "MLP width F", of, HF_REQUIRED, &F, e) < 0 ||
        hf_get_size(path, root, "num_hidden_layers", "layers L", of, HF_REQUIRED, &L, e) < 0 ||
        hf_get_size(path, root, "num_attention_heads", "attention heads NH", of, HF_REQUIRED, &NH,
                    e) < 0 ||
        hf_get_size(path, root, "num_key_value_heads", "key/value heads KV", of, NH, &KV, e) < 0 ||
        hf_get_size(path, root, "vocab_size", "vocabulary size V", of, HF_REQUIRED, &V, e) < 0 ||
        hf_get_size(path, root, "max_position_embeddings", "context length T", of, HF_REQUIRED, &T,
                    e) < 0 ||
        get_positive(path, root, "rms_norm_eps", "RMSNorm epsilon", 1, 0, &eps, e) < 0 ||
        get_positive(path, root, "rope_theta", "rotary base", 0, HF_LLAMA_ROPE_THETA, &theta, e) <
            0 ||
        hf_get_bool(path, root, "tie_word_embeddings", 0, &tied, e) < 0 ||
        hf_get_bool(path, root, "attention_bias", 0, &attn_bias, e) < 0 ||
        hf_get_bool(path, root, "mlp_bias", 0, &mlp_bias, e) < 0)
        return -1;
    if (C % NH != 0)
        return err_set(e,
                       "%s: field \"hidden_size\" (%d) is not divisible by "
                       "\"num_attention_heads\" (%d)",
                       path, C, NH);
    if (NH % KV != 0)
        return err_set(e,
                       "%s: field \"num_attention_heads\" (%d) is not divisible by "
                       "\"num_key_value_heads\" (%d): each key/value head serves a whole group "
                       "of query heads",
                       path, NH, KV);
    int hs = C / NH;
    if (hs % 2 != 0)
        return err_set(e,
                       "%s: head size hidden_size / num_attention_heads = %d / %d = %d is odd; "
                       "expected an even head size: rotary embeddings rotate pairs of channels",
                       path, C, NH, hs);
    const cJSON *head_dim = cJSON_GetObjectItemCaseSensitive(root, "head_dim");
    if (head_dim && !cJSON_IsNull(head_dim) &&
        (!cJSON_IsNumber(head_dim) || head_dim->valuedouble != (double)hs)) {
        char got[48];
        if (cJSON_IsNumber(head_dim))
            snprintf(got, sizeof got, "%g", head_dim->valuedouble);
        else
            snprintf(got, sizeof got, "%s", hf_json_kind(head_dim));
        return err_set(e,
                       "%s: field \"head_dim\" is %s, expected null or hidden_size / "
                       "num_attention_heads = %d: concord's head size is C / NH",
                       path, got, hs);
    }
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "silu") != 0))
        return err_set(e,
                       "%s: field \"hidden_act\" is %s%.64s%s, expected \"silu\" (SwiGLU, the "
                       "only LLaMA MLP concord computes)",
                       path, cJSON_IsString(act) ? "\"" : "",
                       cJSON_IsString(act) ? act->valuestring : hf_json_kind(act),
                       cJSON_IsString(act) ? "\"" : "");
    const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    if (scaling && !cJSON_IsNull(scaling))
        return err_set(e,
                       "%s: field \"rope_scaling\" is %s, expected null: scaled rotary "
                       "embeddings (linear, dynamic, yarn, llama3, ...) are not supported",
                       path, hf_json_kind(scaling));
    if (attn_bias)
        return err_set(e,
                       "%s: field \"attention_bias\" is true, expected false: concord's LLaMA "
                       "attention has no biases",
                       path);
    if (mlp_bias)
        return err_set(e,
                       "%s: field \"mlp_bias\" is true, expected false: concord's LLaMA MLP "
                       "has no biases",
                       path);

    *cfg = (GPTConfig){.arch = GPT_ARCH_LLAMA,
                       .V = V,
                       .Vp = (int)(((int64_t)V + pad - 1) / pad * pad),
                       .T = T,
                       .C = C,
                       .L = L,
                       .NH = NH,
                       .position = GPT_POS_LEARNED,
                       .KV = KV,
                       .F = F,
                       .rope_theta = theta,
                       .norm_eps = eps,
                       .untied = !tied};
    ErrMsg why;
    if ((int64_t)V + pad - 1 > INT_MAX || gpt_config_check(cfg, &why) < 0)
        return err_set(e, "%s describes a model concord cannot hold: %s", path,
                       (int64_t)V + pad - 1 > INT_MAX ? "vocab_size too large" : why.msg);
    return 0;
}

int hf_llama_read_config(const char *dir, int vocab_pad_to, GPTConfig *cfg, ErrMsg *e) {
    CHECKF(vocab_pad_to >= 1, "hf_llama_read_config: vocab_pad_to %d", vocab_pad_to);
    char path[HF_PATH_MAX];
    cJSON *root;
    if (config_path(dir, path, e) < 0 || read_json(path, &root, e) < 0) return -1;
    int rc = check_config(path, root, vocab_pad_to, cfg, e);
    cJSON_Delete(root);
    return rc;
}

// ---- weights: model.safetensors, or the shards of model.safetensors.index.json -------------

typedef struct {
    int n;                    // open files
    SafeTensorsFile *files;   // (n)
    char where[HF_PATH_MAX];  // what a missing-tensor message names: the file or the index
} Weights;

static void weights_close(Weights *ws) {
    for (int i = 0; i < ws->n; i++) safetensors_close(&ws->files[i]);
    xfree(ws->files);
    ws->files = NULL;
    ws->n = 0;
}

// The tensor called name in any file of ws (*file: its file), or NULL.
static const SafeTensor *weights_find(const Weights *ws, const char *name,
                                      const SafeTensorsFile **file) {
    for (int i = 0; i < ws->n; i++) {
        const SafeTensor *t = safetensors_find(&ws->files[i], name);
        if (t) {
            *file = &ws->files[i];
            return t;
        }
    }
    return NULL;
}

// A shard named in an index must be a plain file name inside the model directory.
static int shard_name_ok(const char *s) {
    size_t n = strlen(s);
    return n > 0 && n < SHARD_NAME_MAX && !strchr(s, '/') && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

/* Opens the shards that index's weight_map names (each once) and checks the map against them:
   every listed tensor is in its shard, every tensor of a shard is listed there (so no tensor is
   in two shards). */
static int open_shards(const char *dir, const char *index, Weights *ws, ErrMsg *e) {
    cJSON *root;
    if (read_json(index, &root, e) < 0) return -1;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    const char **shards = xcalloc("hf.shards", MAX_SHARDS, sizeof *shards);
    int n = 0, rc = 0;
    if (!map)
        rc = err_set(e, "%s: missing field \"weight_map\" (tensor name -> shard file)", index);
    else if (!cJSON_IsObject(map))
        rc = err_set(e, "%s: field \"weight_map\" is %s, expected an object", index,
                     hf_json_kind(map));
    const cJSON *entry;
    cJSON_ArrayForEach(entry, (rc == 0 ? map : NULL)) {
        if (!cJSON_IsString(entry) || !shard_name_ok(entry->valuestring)) {
            rc = err_set(e,
                         "%s: weight_map[\"%.200s\"] is %s%.200s%s, expected the name of a "
                         "shard file in the directory",
                         index, entry->string, cJSON_IsString(entry) ? "\"" : "",
                         cJSON_IsString(entry) ? entry->valuestring : hf_json_kind(entry),
                         cJSON_IsString(entry) ? "\"" : "");
            break;
        }
        int have = 0;
        while (have < n && strcmp(shards[have], entry->valuestring) != 0) have++;
        if (have == n && n == MAX_SHARDS) {
            rc = err_set(e, "%s: weight_map names more than %d shard files", index, MAX_SHARDS);
            break;
        }
        if (have == n) shards[n++] = entry->valuestring;
    }
    if (rc == 0 && n == 0)
        rc = err_set(e, "%s: field \"weight_map\" is empty, expected every tensor's shard", index);
    if (rc == 0) ws->files = xcalloc("hf.shards", (size_t)n, sizeof *ws->files);
    for (int i = 0; i < n && rc == 0; i++) {
        char path[HF_PATH_MAX + SHARD_NAME_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, shards[i]);
        rc = safetensors_open(&ws->files[i], path, e);
        if (rc == 0) ws->n = i + 1;
    }
    cJSON_ArrayForEach(entry, (rc == 0 ? map : NULL)) {
        int s = 0;
        while (strcmp(shards[s], entry->valuestring) != 0) s++;
        if (!safetensors_find(&ws->files[s], entry->string)) {
            rc = err_set(e,
                         "%s: weight_map puts tensor \"%.200s\" in %s, which has no such "
                         "tensor",
                         index, entry->string, ws->files[s].path);
            break;
        }
    }
    for (int s = 0; s < ws->n && rc == 0; s++)
        for (int i = 0; i < ws->files[s].n && rc == 0; i++) {
            const char *name = ws->files[s].tensors[i].name;
            const cJSON *to = cJSON_GetObjectItemCaseSensitive(map, name);
            if (!cJSON_IsString(to) || strcmp(to->valuestring, shards[s]) != 0)
                rc = err_set(e, "%s holds tensor \"%.200s\", which %s's weight_map %s%.200s%s",
                             ws->files[s].path, name, index, to ? "puts in " : "does not list",
                             to ? to->valuestring : "", to ? " instead" : "");
        }
    xfree(shards);
    cJSON_Delete(root);
    return rc;
}

static int open_weights(const char *dir, Weights *ws, ErrMsg *e) {
    memset(ws, 0, sizeof *ws);
    char single[HF_PATH_MAX], index[HF_PATH_MAX];
    if (snprintf(single, sizeof single, "%s/model.safetensors", dir) >= (int)sizeof single ||
        snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir) >= (int)sizeof index)
        return err_set(e, "%s: directory path too long", dir);
    if (access(single, F_OK) != 0 && access(index, F_OK) == 0) {
        snprintf(ws->where, sizeof ws->where, "%s", index);
        int rc = open_shards(dir, index, ws, e);
        if (rc < 0) weights_close(ws);
        return rc;
    }
    snprintf(ws->where, sizeof ws->where, "%s", single);
    ws->files = xcalloc("hf.shards", 1, sizeof *ws->files);
    if (safetensors_open(&ws->files[0], single, e) < 0) {
        char alt[HF_PATH_MAX + 32];
        snprintf(alt, sizeof alt, "%s/pytorch_model.bin", dir);
        if (access(single, F_OK) != 0 && access(alt, F_OK) == 0) {
            size_t len = strlen(e->msg);
            snprintf(e->msg + len, sizeof e->msg - len,
                     "\nHINT: %s holds PyTorch pickle weights; save them as model.safetensors",
                     alt);
        }
        weights_close(ws);
        return -1;
    }
    ws->n = 1;
    return 0;
}

// Refuses any tensor that is not a weight of cfg's model, lm_head.weight or an ignored buffer.
static int check_known(const Weights *ws, const GPTConfig *cfg, ErrMsg *e) {
    char name[HF_NAME_MAX];
    for (int s = 0; s < ws->n; s++)
        for (int i = 0; i < ws->files[s].n; i++) {
            const char *have = ws->files[s].tensors[i].name;
            int known = strcmp(have, LM_HEAD_NAME) == 0;  // a tied model's copy is checked later
            for (int k = 0; k < N_LLAMA_NAMES && !known; k++)
                for (int l = 0; l < (per_layer(&LLAMA_NAMES[k]) ? cfg->L : 1) && !known; l++) {
                    tensor_name(name, LLAMA_NAMES[k].pattern, l);
                    known = strcmp(have, name) == 0;
                }
            for (int l = 0; l < cfg->L && !known; l++) {
                tensor_name(name, IGNORED_PATTERN, l);
                known = strcmp(have, name) == 0;
            }
            if (!known) {
                size_t n = strlen(have);
                int bias = n >= 5 && strcmp(have + n - 5, ".bias") == 0;
                return err_set(e,
                               "%s: unexpected tensor \"%.200s\": not a weight of a "
                               "LlamaForCausalLM with num_hidden_layers = %d%s",
                               ws->files[s].path, have, cfg->L,
                               bias ? " (concord's LLaMA has no biases)" : "");
            }
        }
    return 0;
}

static void shape_text(char *buf, size_t size, const int64_t *dims, int nd) {
    size_t at = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < nd && at < size; d++)
        at += (size_t)snprintf(buf + at, size - at, "%s%lld", d ? ", " : "", (long long)dims[d]);
    if (at < size) snprintf(buf + at, size - at, "]");
}

// Looks up name in ws and checks its shape against b; *t and *file set on success.
static int find_shaped(const Weights *ws, const char *name, Block b, const char *why_needed,
                       const SafeTensor **t, const SafeTensorsFile **file, ErrMsg *e) {
    *t = weights_find(ws, name, file);
    if (!*t) return err_set(e, "%s: missing tensor \"%s\"%s", ws->where, name, why_needed);
    int nd = b.cols ? 2 : 1;
    int64_t want[2] = {b.rows, b.cols};
    if ((*t)->ndim != nd || (*t)->shape[0] != b.rows || (nd == 2 && (*t)->shape[1] != b.cols)) {
        char got[160], exp[64];
        shape_text(got, sizeof got, (*t)->shape, (*t)->ndim);
        shape_text(exp, sizeof exp, want, nd);
        return err_set(e, "%s: tensor \"%s\": shape %s, expected %s from config.json",
                       (*file)->path, name, got, exp);
    }
    return 0;
}

static int load_tensors(const Weights *ws, ParamSlab *w, ErrMsg *e) {
    const GPTConfig *cfg = &w->cfg;
    if (check_known(ws, cfg, e) < 0) return -1;
    char name[HF_NAME_MAX];
    const SafeTensor *t;
    const SafeTensorsFile *file;
    for (int k = 0; k < N_LLAMA_NAMES; k++) {
        const LlamaName *m = &LLAMA_NAMES[k];
        if (!in_model(m, cfg)) continue;
        Block b = block_of(m, &w->table[m->id], cfg);
        const char *why = m->id == LLAMA_LM_HEAD
                              ? " (config.json's tie_word_embeddings is false or absent, "
                                "LlamaConfig's default: the LM head is a separate tensor)"
                              : "";
        for (int l = 0; l < (per_layer(m) ? cfg->L : 1); l++) {
            tensor_name(name, m->pattern, l);
            // Row blocks are contiguous: each tensor is read straight into its rows of the slab.
            if (find_shaped(ws, name, b, why, &t, &file, e) < 0 ||
                safetensors_read_f32(file, t, block_data(w, m, b, l), e) < 0)
                return -1;
        }
    }
    if (cfg->untied || !(t = weights_find(ws, LM_HEAD_NAME, &file))) return 0;
    // Tied, yet the file carries an LM head: accepted only as an exact copy of the embedding.
    Block b = {cfg->V, cfg->C, 0};
    size_t n = (size_t)cfg->V * cfg->C;
    float *head = xmalloc("hf.lm_head", n * sizeof(float));
    int rc = find_shaped(ws, LM_HEAD_NAME, b, "", &t, &file, e);
    if (rc == 0) rc = safetensors_read_f32(file, t, head, e);
    size_t at = 0;
    while (rc == 0 && at < n && memcmp(&head[at], &w->t.wte[at], sizeof(float)) == 0) at++;
    if (rc == 0 && at < n)
        rc = err_set(e,
                     "%s: tensor \"" LM_HEAD_NAME
                     "\" differs from \"model.embed_tokens."
                     "weight\" (first at row %zu, column %zu), but config.json's "
                     "tie_word_embeddings is true; expected the same tensor, or "
                     "tie_word_embeddings false",
                     file->path, at / (size_t)cfg->C, at % (size_t)cfg->C);
    xfree(head);
    return rc;
}

int hf_llama_load(const char *dir, int vocab_pad_to, ParamSlab *w, ErrMsg *e) {
    memset(w, 0, sizeof *w);
    GPTConfig cfg;
    Weights ws;
    if (hf_llama_read_config(dir, vocab_pad_to, &cfg, e) < 0 || open_weights(dir, &ws, e) < 0)
        return -1;
    param_slab_init(w, &cfg, "hf.params");
    int rc = load_tensors(&ws, w, e);
    weights_close(&ws);
    if (rc < 0) param_slab_free(w);
    return rc;
}

int hf_llama_import(const char *dir, const char *out_h5, int vocab_pad_to, GPTConfig *cfg,
                    ErrMsg *e) {
    ParamSlab w;
    if (hf_llama_load(dir, vocab_pad_to, &w, e) < 0) return -1;
    if (cfg) *cfg = w.cfg;
    return hf_import_checkpoint(dir, out_h5, &w, e);
}

// ---- checkpoint -> directory --------------------------------------------------------------

// The shortest decimal text that reads back as exactly v (so 1e-05, not 9.99999975e-06), whole
// numbers as Python writes floats (100000.0, not 1e+05).
static void float_text(char *buf, size_t size, float v) {
    if (v == floorf(v) && fabsf(v) < 1e15f) {
        snprintf(buf, size, "%.1f", (double)v);
        return;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, size, "%.*g", digits, (double)v);
        if ((float)strtod(buf, NULL) == v) return;
    }
}

static void config_text(char *out, size_t size, const GPTConfig *c) {
    char eps[32], theta[32];
    float_text(eps, sizeof eps, c->norm_eps);
    float_text(theta, sizeof theta, c->rope_theta);
    snprintf(out, size,
             "{\n"
             "  \"architectures\": [\"LlamaForCausalLM\"],\n"
             "  \"attention_bias\": false,\n"
             "  \"head_dim\": %d,\n"
             "  \"hidden_act\": \"silu\",\n"
             "  \"hidden_size\": %d,\n"
             "  \"intermediate_size\": %d,\n"
             "  \"max_position_embeddings\": %d,\n"
             "  \"mlp_bias\": false,\n"
             "  \"model_type\": \"llama\",\n"
             "  \"num_attention_heads\": %d,\n"
             "  \"num_hidden_layers\": %d,\n"
             "  \"num_key_value_heads\": %d,\n"
             "  \"rms_norm_eps\": %s,\n"
             "  \"rope_scaling\": null,\n"
             "  \"rope_theta\": %s,\n"
             "  \"tie_word_embeddings\": %s,\n"
             "  \"torch_dtype\": \"float32\",\n"
             "  \"vocab_size\": %d\n"
             "}\n",
             gpt_head_size(c), c->C, c->F, c->T, c->NH, c->L, c->KV, eps, theta,
             c->untied ? "false" : "true", c->V);
}

/* The tokenizer files an export writes beside the weights: the checkpoint's BPE in the files
   hf_gpt2_export_tokenizer writes (none without a BPE). Tokenizer files only a LLaMA directory
   carries (a chat template in tokenizer_config.json, say) are to be written from here too. */
static int export_tokenizer(const char *ckpt, const char *dir, ErrMsg *e) {
    Bpe *bpe = NULL;
    int rc = ckpt_tokenizer_read_bpe(ckpt, &bpe, e);
    if (rc == 0 && bpe) rc = hf_gpt2_export_tokenizer(dir, bpe, e);
    bpe_free(bpe);
    return rc;
}

int hf_llama_export(const char *ckpt, const char *dir, GPTConfig *cfg_out, ErrMsg *e) {
    char model_path[HF_PATH_MAX], config_out[HF_PATH_MAX];
    if (snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir) >=
        (int)sizeof model_path)
        return err_set(e, "%s: directory path too long", dir);
    if (config_path(dir, config_out, e) < 0) return -1;
    CkptInfo info;
    if (ckpt_peek(ckpt, &info, e) < 0) return -1;
    GPTConfig cfg = info.model_cfg;
    ckpt_info_free(&info);
    if (cfg_out) *cfg_out = cfg;
    if (cfg.arch != GPT_ARCH_LLAMA)
        return err_set(e,
                       "%s: the model's arch is \"%s\", expected \"llama\" for a "
                       "LlamaForCausalLM export",
                       ckpt, gpt_arch_name(cfg.arch));
    ParamSlab w;
    param_slab_init(&w, &cfg, "hf.export.params");
    CkptContents c = {.model = &w};
    int rc = ckpt_read(ckpt, &cfg, &c, MPI_COMM_SELF, e);
    ErrMsg why;
    if (rc == 0 && fs_mkdir_p(dir, &why) != 0) rc = err_set(e, "%s", why.msg);
    if (rc == 0) {
        // Every file tensor is a contiguous run of the slab: written from it without copies.
        int most = N_LLAMA_NAMES * cfg.L;
        SafeTensorOut *out = xcalloc("hf.export", (size_t)most, sizeof *out);
        char(*names)[HF_NAME_MAX] = xcalloc("hf.export", (size_t)most, HF_NAME_MAX);
        int n = 0;
        for (int k = 0; k < N_LLAMA_NAMES; k++) {
            const LlamaName *m = &LLAMA_NAMES[k];
            if (!in_model(m, &cfg)) continue;
            Block b = block_of(m, &w.table[m->id], &cfg);
            for (int l = 0; l < (per_layer(m) ? cfg.L : 1); l++, n++) {
                tensor_name(names[n], m->pattern, l);
                out[n] = (SafeTensorOut){.name = names[n],
                                         .data = block_data(&w, m, b, l),
                                         .ndim = b.cols ? 2 : 1,
                                         .shape = {b.rows, b.cols}};
            }
        }
        CHECKF(n == 2 + 9 * cfg.L + cfg.untied, "hf_llama_export: %d tensors", n);
        rc = safetensors_write_f32(model_path, out, n, e);
        xfree(names);
        xfree(out);
    }
    if (rc == 0) {
        char text[2048];
        config_text(text, sizeof text, &cfg);
        rc = hf_write_text(config_out, text, e);
    }
    if (rc == 0) rc = export_tokenizer(ckpt, dir, e);
    param_slab_free(&w);
    return rc;
}
