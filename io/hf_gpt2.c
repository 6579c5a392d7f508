/* io/hf_gpt2.c — Hugging Face GPT-2 directories (config.json + model.safetensors) in and out of
   concord checkpoints: config checks, the tensor name table and the Conv1D transposes; see
   hf_gpt2.h. */
#include "io/hf_gpt2.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/ckpt.h"
#include "io/hf_common.h"
#include "io/ckpt_tokenizer.h"
#include "io/hf_tokenizer.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/fs.h"

#define HF_NAME_MAX      96              // longest tensor name built here, prefix included
#define CONFIG_MAX_BYTES (16 << 20)      // a GPT-2 config.json is a few KiB
#define GPT2_EOS         50256           // GPT-2's <|endoftext|>, its BOS and EOS
#define GPT2_VOCAB       50257           // GPT-2's BPE vocabulary
#define LAYER_NORM_EPS   1e-5            // the epsilon of concord's LayerNorm (train/kernels)
#define PREFIX_LM        "transformer."  // GPT2LMHeadModel's prefix for the GPT2Model tensors

/* One HF tensor name per concord tensor; "%d" marks a per-layer tensor (layer N of the stack). */
typedef struct {
    const char *pattern;
    TensorId id;
    int conv1d;  // 1: HF stores this weight (in, out); concord's is (out, in)
} HfName;

static const HfName HF_NAMES[GPT_NUM_TENSORS] = {
    {"wte.weight", TENSOR_WTE, 0},
    {"wpe.weight", TENSOR_WPE, 0},
    {"h.%d.ln_1.weight", TENSOR_LN1_W, 0},
    {"h.%d.ln_1.bias", TENSOR_LN1_B, 0},
    {"h.%d.attn.c_attn.weight", TENSOR_QKV_W, 1},
    {"h.%d.attn.c_attn.bias", TENSOR_QKV_B, 0},
    {"h.%d.attn.c_proj.weight", TENSOR_ATTN_PROJ_W, 1},
    {"h.%d.attn.c_proj.bias", TENSOR_ATTN_PROJ_B, 0},
    {"h.%d.ln_2.weight", TENSOR_LN2_W, 0},
    {"h.%d.ln_2.bias", TENSOR_LN2_B, 0},
    {"h.%d.mlp.c_fc.weight", TENSOR_FC_W, 1},
    {"h.%d.mlp.c_fc.bias", TENSOR_FC_B, 0},
    {"h.%d.mlp.c_proj.weight", TENSOR_FC_PROJ_W, 1},
    {"h.%d.mlp.c_proj.bias", TENSOR_FC_PROJ_B, 0},
    {"ln_f.weight", TENSOR_LNF_W, 0},
    {"ln_f.bias", TENSOR_LNF_B, 0},
};

// Buffers of the attention mask that HF files may carry; not weights, never read.
static const char *const IGNORED_PATTERNS[] = {"h.%d.attn.bias", "h.%d.attn.masked_bias"};

static int per_layer(const HfName *m) { return strstr(m->pattern, "%d") != NULL; }

// out (HF_NAME_MAX bytes) = prefix ("" or "transformer.") + pattern with the layer filled in.
static void hf_name(char *out, const char *prefix, const char *pattern, int layer) {
    size_t n = strlen(prefix);
    CHECKF(n < 32, "hf_name: prefix %s", prefix);
    memcpy(out, prefix, n);
    snprintf(out + n, HF_NAME_MAX - n, pattern, layer);
}

/* HF's shape of one tensor of spec (one layer of a stacked tensor): rows, cols (cols = 0 for a
   vector). wte has V rows in the file but Vp in the slab; Conv1D weights are (in, out). */
typedef struct {
    int64_t rows, cols;
} HfShape;

static HfShape hf_shape(const HfName *m, const TensorSpec *spec, const GPTConfig *cfg) {
    int first = per_layer(m) ? 1 : 0;  // skip the stacked L
    int nd = spec->ndim - first;
    HfShape s = {spec->dims[first], nd == 2 ? spec->dims[first + 1] : 0};
    if (m->id == TENSOR_WTE) s.rows = cfg->V;
    if (m->conv1d) s = (HfShape){s.cols, s.rows};
    return s;
}

static void shape_text(char *buf, size_t size, HfShape s) {
    if (s.cols)
        snprintf(buf, size, "[%lld, %lld]", (long long)s.rows, (long long)s.cols);
    else
        snprintf(buf, size, "[%lld]", (long long)s.rows);
}

// ---- config.json --------------------------------------------------------------------------

// Optional boolean field that concord can only honour at one value.
static int check_bool(const char *path, const cJSON *root, const char *field, int want,
                      const char *why, ErrMsg *e) {
    int v;
    if (hf_get_bool(path, root, field, want, &v, e) < 0) return -1;
    if (v != want)
        return err_set(e, "%s: field \"%s\" is %s, expected %s: %s", path, field,
                       want ? "false" : "true", want ? "true" : "false", why);
    return 0;
}

static int check_config(const char *path, const cJSON *root, int pad, GPTConfig *cfg, ErrMsg *e) {
    if (!cJSON_IsObject(root))
        return err_set(e, "%s: the file is %s, expected a JSON object", path, hf_json_kind(root));
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (!type) return err_set(e, "%s: missing field \"model_type\" (expected \"gpt2\")", path);
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "gpt2") != 0)
        return err_set(e,
                       "%s: field \"model_type\" is %s%.64s%s, expected \"gpt2\" (only GPT-2 "
                       "models can be imported)",
                       path, cJSON_IsString(type) ? "\"" : "",
                       cJSON_IsString(type) ? type->valuestring : hf_json_kind(type),
                       cJSON_IsString(type) ? "\"" : "");
    int V, C, L, NH, T, ctx;
    if (hf_get_size(path, root, "vocab_size", "vocabulary size", NULL, HF_REQUIRED, &V, e) < 0 ||
        hf_get_size(path, root, "n_embd", "channels", NULL, HF_REQUIRED, &C, e) < 0 ||
        hf_get_size(path, root, "n_layer", "layers", NULL, HF_REQUIRED, &L, e) < 0 ||
        hf_get_size(path, root, "n_head", "attention heads", NULL, HF_REQUIRED, &NH, e) < 0)
        return -1;
    int has_pos = cJSON_GetObjectItemCaseSensitive(root, "n_positions") != NULL;
    int has_ctx = cJSON_GetObjectItemCaseSensitive(root, "n_ctx") != NULL;
    if (!has_pos && !has_ctx)
        return err_set(e, "%s: missing field \"n_positions\" (or \"n_ctx\"): the context length",
                       path);
    if (has_pos &&
        hf_get_size(path, root, "n_positions", "context length", NULL, HF_REQUIRED, &T, e) < 0)
        return -1;
    if (has_ctx &&
        hf_get_size(path, root, "n_ctx", "context length", NULL, HF_REQUIRED, &ctx, e) < 0)
        return -1;
    if (!has_pos)
        T = ctx;
    else if (has_ctx && ctx != T)
        return err_set(e,
                       "%s: fields \"n_positions\" (%d) and \"n_ctx\" (%d) disagree; expected "
                       "one context length",
                       path, T, ctx);
    if (C % NH != 0)
        return err_set(e, "%s: field \"n_embd\" (%d) is not divisible by \"n_head\" (%d)", path, C,
                       NH);

    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_epsilon");
    if (!eps) return err_set(e, "%s: missing field \"layer_norm_epsilon\" (expected 1e-05)", path);
    if (!cJSON_IsNumber(eps) || fabs(eps->valuedouble - LAYER_NORM_EPS) > 1e-12)
        return err_set(e,
                       "%s: field \"layer_norm_epsilon\" is %s%.6g, expected 1e-05, the "
                       "epsilon of concord's LayerNorm",
                       path, cJSON_IsNumber(eps) ? "" : hf_json_kind(eps),
                       cJSON_IsNumber(eps) ? eps->valuedouble : 0.0);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    if (!act)
        return err_set(e, "%s: missing field \"activation_function\" (expected \"gelu_new\")",
                       path);
    if (!cJSON_IsString(act) || (strcmp(act->valuestring, "gelu_new") != 0 &&
                                 strcmp(act->valuestring, "gelu_pytorch_tanh") != 0))
        return err_set(e,
                       "%s: field \"activation_function\" is %s%.64s%s, expected \"gelu_new\" "
                       "(the tanh GELU, the only one concord computes)",
                       path, cJSON_IsString(act) ? "\"" : "",
                       cJSON_IsString(act) ? act->valuestring : hf_json_kind(act),
                       cJSON_IsString(act) ? "\"" : "");
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(root, "n_inner");
    if (inner && !cJSON_IsNull(inner) && (!cJSON_IsNumber(inner) || inner->valuedouble != 4.0 * C))
        return err_set(e,
                       "%s: field \"n_inner\" must be null or 4 * n_embd = %lld: concord's MLP "
                       "is 4 * n_embd wide",
                       path, 4LL * C);
    if (check_bool(path, root, "scale_attn_weights", 1,
                   "concord divides attention scores by "
                   "sqrt(head size)",
                   e) < 0 ||
        check_bool(path, root, "scale_attn_by_inverse_layer_idx", 0,
                   "concord does not scale "
                   "attention by layer",
                   e) < 0 ||
        check_bool(path, root, "add_cross_attention", 0, "concord has no cross-attention", e) < 0 ||
        check_bool(path, root, "tie_word_embeddings", 1, "concord ties the LM head to wte", e) < 0)
        return -1;

    *cfg = (GPTConfig){.V = V,
                       .Vp = (int)(((int64_t)V + pad - 1) / pad * pad),
                       .T = T,
                       .C = C,
                       .L = L,
                       .NH = NH,
                       .position = GPT_POS_LEARNED};
    ErrMsg why;
    if ((int64_t)V + pad - 1 > INT_MAX || gpt_config_check(cfg, &why) < 0)
        return err_set(e, "%s describes a model concord cannot hold: %s", path,
                       (int64_t)V + pad - 1 > INT_MAX ? "vocab_size too large" : why.msg);
    return 0;
}

int hf_gpt2_read_config(const char *dir, int vocab_pad_to, GPTConfig *cfg, ErrMsg *e) {
    CHECKF(vocab_pad_to >= 1, "hf_gpt2_read_config: vocab_pad_to %d", vocab_pad_to);
    char path[HF_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return err_set(e, "%s: directory path too long", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    char *text = NULL;
    int rc = 0;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = err_set(e, "cannot read %s: not a regular file", path);
    else if (st.st_size > CONFIG_MAX_BYTES)
        rc = err_set(e, "%s: %lld bytes, more than the %d expected of a config.json", path,
                     (long long)st.st_size, CONFIG_MAX_BYTES);
    if (rc == 0) {
        size_t n = (size_t)st.st_size;
        text = xmalloc("hf.config", n + 1);
        if (fread(text, 1, n, f) != n)
            rc = err_set(e, "cannot read %s: %s", path, ferror(f) ? strerror(errno) : "short read");
        text[n] = '\0';
        if (rc == 0) {
            const char *end = NULL;
            cJSON *root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
            if (!root)
                rc = err_set(e, "%s: not valid JSON (error near byte %lld)", path,
                             end ? (long long)(end - text) : 0LL);
            else
                rc = check_config(path, root, vocab_pad_to, cfg, e);
            cJSON_Delete(root);
        }
    }
    fclose(f);
    xfree(text);
    return rc;
}

// ---- model.safetensors -> slab ------------------------------------------------------------

// Which of "" and "transformer." the file's names carry.
static int find_prefix(const SafeTensorsFile *f, const char **prefix, ErrMsg *e) {
    int plain = safetensors_find(f, "wte.weight") != NULL;
    int lm = safetensors_find(f, PREFIX_LM "wte.weight") != NULL;
    if (plain && lm)
        return err_set(e,
                       "%s: has both \"wte.weight\" and \"" PREFIX_LM
                       "wte.weight\"; expected "
                       "one naming (with or without the \"" PREFIX_LM "\" prefix)",
                       f->path);
    if (!plain && !lm)
        return err_set(e, "%s: missing tensor \"wte.weight\" (or \"" PREFIX_LM "wte.weight\")",
                       f->path);
    *prefix = plain ? "" : PREFIX_LM;
    return 0;
}

// Refuses any tensor that is not a GPT-2 weight of this config, lm_head or an ignored buffer.
static int check_known(const SafeTensorsFile *f, const char *prefix, int L, ErrMsg *e) {
    char name[HF_NAME_MAX];
    for (int i = 0; i < f->n; i++) {
        const char *have = f->tensors[i].name;
        int known = strcmp(have, "lm_head.weight") == 0;
        for (int k = 0; k < GPT_NUM_TENSORS && !known; k++)
            for (int l = 0; l < (per_layer(&HF_NAMES[k]) ? L : 1) && !known; l++) {
                hf_name(name, prefix, HF_NAMES[k].pattern, l);
                known = strcmp(have, name) == 0;
            }
        for (int k = 0; k < 2 && !known; k++)
            for (int l = 0; l < L && !known; l++) {
                hf_name(name, prefix, IGNORED_PATTERNS[k], l);
                known = strcmp(have, name) == 0;
            }
        if (!known)
            return err_set(e,
                           "%s: unexpected tensor \"%.200s\": not a weight of a GPT-2 with "
                           "n_layer = %d named %s",
                           f->path, have, L,
                           prefix[0] ? "with the \"" PREFIX_LM "\" prefix" : "without prefix");
    }
    return 0;
}

// Looks up name and checks its shape; *t set on success.
static int find_shaped(const SafeTensorsFile *f, const char *name, HfShape want,
                       const SafeTensor **t, ErrMsg *e) {
    *t = safetensors_find(f, name);
    if (!*t) return err_set(e, "%s: missing tensor \"%s\"", f->path, name);
    int nd = want.cols ? 2 : 1;
    int ok =
        (*t)->ndim == nd && (*t)->shape[0] == want.rows && (nd == 1 || (*t)->shape[1] == want.cols);
    if (!ok) {
        char got[160] = "[", exp[64];
        for (int d = 0; d < (*t)->ndim; d++) {
            size_t len = strlen(got);
            snprintf(got + len, sizeof got - len, "%s%lld", d ? ", " : "",
                     (long long)(*t)->shape[d]);
        }
        strncat(got, "]", sizeof got - strlen(got) - 1);
        shape_text(exp, sizeof exp, want);
        return err_set(e, "%s: tensor \"%s\": shape %s, expected %s%s", f->path, name, got, exp,
                       want.cols && (*t)->ndim == 2 && (*t)->shape[0] == want.cols &&
                               (*t)->shape[1] == want.rows
                           ? " (Hugging Face's Conv1D layout is (in, out); this one is "
                             "transposed)"
                           : "");
    }
    return 0;
}

static int load_tensors(const SafeTensorsFile *f, ParamSlab *w, ErrMsg *e) {
    const GPTConfig *cfg = &w->cfg;
    const char *prefix = "";
    if (find_prefix(f, &prefix, e) < 0 || check_known(f, prefix, cfg->L, e) < 0) return -1;
    size_t most = 0;
    for (int k = 0; k < GPT_NUM_TENSORS; k++) {
        size_t per = w->table[k].count / (per_layer(&HF_NAMES[k]) ? (size_t)cfg->L : 1);
        if (per > most) most = per;
    }
    float *buf = xmalloc("hf.tensor", (most ? most : 1) * sizeof(float));
    char name[HF_NAME_MAX];
    int rc = 0;
    for (int k = 0; k < GPT_NUM_TENSORS && rc == 0; k++) {
        const HfName *m = &HF_NAMES[k];
        const TensorSpec *spec = &w->table[m->id];
        HfShape s = hf_shape(m, spec, cfg);
        size_t per = spec->count / (per_layer(m) ? (size_t)cfg->L : 1);
        for (int l = 0; l < (per_layer(m) ? cfg->L : 1) && rc == 0; l++) {
            const SafeTensor *t;
            hf_name(name, prefix, m->pattern, l);
            if ((rc = find_shaped(f, name, s, &t, e)) < 0 ||
                (rc = safetensors_read_f32(f, t, buf, e)) < 0)
                break;
            float *dst = w->data + spec->offset + (size_t)l * per;
            if (m->conv1d) {
                // file (in, out) = (s.rows, s.cols) -> slab (out, in)
                for (int64_t i = 0; i < s.rows; i++)
                    for (int64_t o = 0; o < s.cols; o++) dst[o * s.rows + i] = buf[i * s.cols + o];
            } else {
                memcpy(dst, buf, (size_t)t->count * sizeof(float));  // wte: rows >= V stay 0
            }
        }
    }
    const SafeTensor *head = safetensors_find(f, "lm_head.weight");
    if (rc == 0 && head) {
        HfShape s = {cfg->V, cfg->C};
        size_t n = (size_t)cfg->V * cfg->C;
        float *h = xmalloc("hf.lm_head", (n ? n : 1) * sizeof(float));
        rc = find_shaped(f, "lm_head.weight", s, &head, e);
        if (rc == 0) rc = safetensors_read_f32(f, head, h, e);
        size_t at = 0;
        while (rc == 0 && at < n && memcmp(&h[at], &w->t.wte[at], sizeof(float)) == 0) at++;
        if (rc == 0 && at < n)
            rc = err_set(e,
                         "%s: tensor \"lm_head.weight\" differs from \"%swte.weight\" (first "
                         "at row %zu, column %zu): concord ties the LM head to the token "
                         "embedding, so an untied model cannot be imported",
                         f->path, prefix, at / (size_t)cfg->C, at % (size_t)cfg->C);
        xfree(h);
    }
    xfree(buf);
    return rc;
}

int hf_gpt2_load(const char *dir, int vocab_pad_to, ParamSlab *w, ErrMsg *e) {
    memset(w, 0, sizeof *w);
    GPTConfig cfg;
    char path[HF_PATH_MAX];
    if (hf_gpt2_read_config(dir, vocab_pad_to, &cfg, e) < 0) return -1;
    if (snprintf(path, sizeof path, "%s/model.safetensors", dir) >= (int)sizeof path)
        return err_set(e, "%s: directory path too long", dir);
    SafeTensorsFile f;
    if (safetensors_open(&f, path, e) < 0) {
        // Say why when the directory holds the weights in a form not read here.
        static const char *const other[][2] = {
            {"model.safetensors.index.json", "sharded weights (join the shards into one file)"},
            {"pytorch_model.bin", "PyTorch pickle weights (save them as model.safetensors)"}};
        char alt[HF_PATH_MAX + 32];
        for (int i = 0; i < 2 && access(path, F_OK) != 0; i++) {
            snprintf(alt, sizeof alt, "%s/%s", dir, other[i][0]);
            if (access(alt, F_OK) == 0) {
                size_t len = strlen(e->msg);
                snprintf(e->msg + len, sizeof e->msg - len,
                         "\nHINT: %s holds %s; only a single model.safetensors is read", alt,
                         other[i][1]);
                break;
            }
        }
        return -1;
    }
    param_slab_init(w, &cfg, "hf.params");
    int rc = load_tensors(&f, w, e);
    safetensors_close(&f);
    if (rc < 0) param_slab_free(w);
    return rc;
}

int hf_gpt2_import_tokenizer(const char *dir, int V, Bpe **out, ErrMsg *e) {
    *out = NULL;
    static const char *const files[] = {"tokenizer.json", "vocab.json", "merges.txt",
                                        "encoder.json", "vocab.bpe"};
    int any = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[HF_PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        any |= stat(path, &st) == 0;
    }
    if (!any) return 0;
    if (bpe_load(out, dir, e) < 0) return -1;
    if (bpe_vocab_size(*out) != V) {
        int n = bpe_vocab_size(*out);
        bpe_free(*out);
        *out = NULL;
        return err_set(e,
                       "%s: the tokenizer files hold %d tokens, config.json vocab_size is %d: "
                       "expected the same vocabulary",
                       dir, n, V);
    }
    return 0;
}

int hf_gpt2_export_tokenizer(const char *dir, const Bpe *b, ErrMsg *e) {
    BpeArrays a;
    bpe_arrays(b, &a);
    char **text = xcalloc("hf.tokenizer", (size_t)a.n_tokens, sizeof *text);
    size_t merges_size = 32;
    for (int32_t i = 0; i < a.n_tokens; i++) {
        size_t n = (size_t)(a.token_offsets[i + 1] - a.token_offsets[i]);
        text[i] = xmalloc("hf.tokenizer", 2 * n + 1);
        hf_byte_level_text(text[i], a.token_bytes + a.token_offsets[i], n);
    }
    cJSON *vocab = cJSON_CreateObject();
    for (int32_t i = 0; i < a.n_tokens; i++) cJSON_AddNumberToObject(vocab, text[i], i);
    char *vocab_text = cJSON_PrintUnformatted(vocab);
    cJSON_Delete(vocab);
    for (int32_t r = 0; r < a.n_merges; r++)
        merges_size += strlen(text[a.merges[2 * r]]) + strlen(text[a.merges[2 * r + 1]]) + 2;
    char *merges = xmalloc("hf.tokenizer", merges_size);
    size_t at = (size_t)snprintf(merges, merges_size, "#version: 0.2\n");
    for (int32_t r = 0; r < a.n_merges; r++)
        at += (size_t)snprintf(merges + at, merges_size - at, "%s %s\n", text[a.merges[2 * r]],
                               text[a.merges[2 * r + 1]]);
    char vocab_path[HF_PATH_MAX], merges_path[HF_PATH_MAX];
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
    snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
    int rc = vocab_text ? hf_write_text(vocab_path, vocab_text, e)
                        : err_set(e, "%s: cannot format vocab.json (out of memory)", dir);
    if (rc == 0) rc = hf_write_text(merges_path, merges, e);
    // tokenizer.json too: the one form that keeps every special token and digit splitting, and
    // the one bpe_load reads first from a directory
    char *json = rc == 0 ? hf_tokenizer_json(b, e) : NULL;
    if (rc == 0 && !json) rc = -1;
    if (rc == 0) {
        char json_path[HF_PATH_MAX];
        snprintf(json_path, sizeof json_path, "%s/tokenizer.json", dir);
        rc = hf_write_text(json_path, json, e);
    }
    xfree(json);
    for (int32_t i = 0; i < a.n_tokens; i++) xfree(text[i]);
    xfree(text);
    xfree(merges);
    cJSON_free(vocab_text);
    return rc;
}

int hf_gpt2_import(const char *dir, const char *out_h5, int vocab_pad_to, GPTConfig *cfg,
                   ErrMsg *e) {
    ParamSlab w;
    if (hf_gpt2_load(dir, vocab_pad_to, &w, e) < 0) return -1;
    if (cfg) *cfg = w.cfg;
    return hf_import_checkpoint(dir, out_h5, &w, e);
}

// ---- checkpoint -> directory --------------------------------------------------------------

static void config_text(char *out, size_t size, const GPTConfig *c) {
    char tokens[96] = "";
    if (c->V == GPT2_VOCAB)
        snprintf(tokens, sizeof tokens, "  \"bos_token_id\": %d,\n  \"eos_token_id\": %d,\n",
                 GPT2_EOS, GPT2_EOS);
    snprintf(out, size,
             "{\n"
             "  \"activation_function\": \"gelu_new\",\n"
             "  \"architectures\": [\"GPT2LMHeadModel\"],\n"
             "%s"
             "  \"layer_norm_epsilon\": 1e-05,\n"
             "  \"model_type\": \"gpt2\",\n"
             "  \"n_ctx\": %d,\n"
             "  \"n_embd\": %d,\n"
             "  \"n_head\": %d,\n"
             "  \"n_inner\": null,\n"
             "  \"n_layer\": %d,\n"
             "  \"n_positions\": %d,\n"
             "  \"tie_word_embeddings\": true,\n"
             "  \"torch_dtype\": \"float32\",\n"
             "  \"vocab_size\": %d\n"
             "}\n",
             tokens, c->T, c->C, c->NH, c->L, c->T, c->V);
}

// The safetensors tensors of w: names without prefix, Conv1D weights transposed into owned
// buffers (listed in *owned for the caller to free), the rest pointing into w.
static int export_tensors(const ParamSlab *w, SafeTensorOut *out, char (*names)[HF_NAME_MAX],
                          float **owned, int *n_owned_out) {
    const GPTConfig *cfg = &w->cfg;
    int n = 0, n_owned = 0;
    for (int k = 0; k < GPT_NUM_TENSORS; k++) {
        const HfName *m = &HF_NAMES[k];
        const TensorSpec *spec = &w->table[m->id];
        HfShape s = hf_shape(m, spec, cfg);
        size_t per = spec->count / (per_layer(m) ? (size_t)cfg->L : 1);
        for (int l = 0; l < (per_layer(m) ? cfg->L : 1); l++) {
            const float *src = w->data + spec->offset + (size_t)l * per;
            hf_name(names[n], "", m->pattern, l);
            SafeTensorOut *t = &out[n++];
            *t = (SafeTensorOut){.name = names[n - 1],
                                 .data = src,
                                 .ndim = s.cols ? 2 : 1,
                                 .shape = {s.rows, s.cols}};
            if (m->conv1d) {
                // slab (out, in) = (s.cols, s.rows) -> file (in, out)
                float *dst = xmalloc("hf.export", (size_t)(s.rows * s.cols) * sizeof(float));
                for (int64_t i = 0; i < s.rows; i++)
                    for (int64_t o = 0; o < s.cols; o++) dst[i * s.cols + o] = src[o * s.rows + i];
                owned[n_owned++] = dst;
                t->data = dst;
            }
        }
    }
    *n_owned_out = n_owned;
    return n;
}

int hf_gpt2_export(const char *ckpt, const char *dir, GPTConfig *cfg_out, ErrMsg *e) {
    char model_path[HF_PATH_MAX], config_path[HF_PATH_MAX];
    if (snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir) >=
            (int)sizeof model_path ||
        snprintf(config_path, sizeof config_path, "%s/config.json", dir) >= (int)sizeof config_path)
        return err_set(e, "%s: directory path too long", dir);
    CkptInfo info;
    if (ckpt_peek(ckpt, &info, e) < 0) return -1;
    GPTConfig cfg = info.model_cfg;
    ckpt_info_free(&info);
    if (cfg_out) *cfg_out = cfg;
    if (cfg.arch != GPT_ARCH_GPT2)
        return err_set(e,
                       "%s: the checkpoint holds a %s model, not GPT-2: export it with "
                       "concord export-hf, which picks the architecture's exporter",
                       ckpt, gpt_arch_name(cfg.arch));
    if (cfg.position != GPT_POS_LEARNED)
        return err_set(e,
                       "%s: model.position is \"%s\": Hugging Face's GPT-2 always adds "
                       "learned position embeddings (wpe) by sequence position, so this model "
                       "cannot be exported",
                       ckpt, gpt_position_name(cfg.position));
    ParamSlab w;
    param_slab_init(&w, &cfg, "hf.export.params");
    CkptContents c = {.model = &w};
    int rc = ckpt_read(ckpt, &cfg, &c, MPI_COMM_SELF, e);
    ErrMsg why;
    if (rc == 0 && fs_mkdir_p(dir, &why) != 0) rc = err_set(e, "%s", why.msg);
    if (rc == 0) {
        int most = 4 + 12 * cfg.L;
        SafeTensorOut *out = xcalloc("hf.export", (size_t)most, sizeof *out);
        char(*names)[HF_NAME_MAX] = xcalloc("hf.export", (size_t)most, HF_NAME_MAX);
        float **owned = xcalloc("hf.export", (size_t)most, sizeof *owned);
        int n_owned;
        int n = export_tensors(&w, out, names, owned, &n_owned);
        CHECKF(n == most, "hf_gpt2_export: %d tensors, expected %d", n, most);
        rc = safetensors_write_f32(model_path, out, n, e);
        for (int i = 0; i < n_owned; i++) xfree(owned[i]);
        xfree(owned);
        xfree(names);
        xfree(out);
    }
    if (rc == 0) {
        char text[2048];
        config_text(text, sizeof text, &cfg);
        rc = hf_write_text(config_path, text, e);
    }
    Bpe *bpe = NULL;
    if (rc == 0) rc = ckpt_tokenizer_read_bpe(ckpt, &bpe, e);
    if (rc == 0 && bpe) rc = hf_gpt2_export_tokenizer(dir, bpe, e);
    bpe_free(bpe);
    param_slab_free(&w);
    return rc;
}
