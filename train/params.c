/* train/params.c — GPT-2 parameter table and slabs; see params.h. */
#include "train/params.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/rng.h"
#include "util/alloc.h"

int gpt_config_check(const GPTConfig *c, ErrMsg *e) {
    if (c->arch != GPT_ARCH_GPT2 && c->arch != GPT_ARCH_LLAMA)
        return err_set(e, "model: unknown architecture %d", (int)c->arch);
    if (c->V < 1) return err_set(e, "model: vocab size V must be >= 1, got %d", c->V);
    if (c->Vp < c->V)
        return err_set(e, "model: padded vocab Vp (%d) must be >= V (%d)", c->Vp, c->V);
    if (c->T < 2) return err_set(e, "model: max sequence length T must be >= 2, got %d", c->T);
    if (c->C < 1) return err_set(e, "model: channels C must be >= 1, got %d", c->C);
    if (c->L < 1) return err_set(e, "model: layers L must be >= 1, got %d", c->L);
    if (c->NH < 1 || c->C % c->NH != 0)
        return err_set(e, "model: heads NH (%d) must be >= 1 and divide C (%d)", c->NH, c->C);
    if (c->position != GPT_POS_LEARNED && c->position != GPT_POS_NONE &&
        c->position != GPT_POS_ABACUS)
        return err_set(e, "model: unknown position encoding %d", (int)c->position);
    if (c->position == GPT_POS_ABACUS && (c->digit0 < 0 || c->digit0 + 10 > c->V))
        return err_set(e,
                       "model: abacus positions need the ten digit ids digit0..digit0+9 inside "
                       "the vocabulary (V=%d), got digit0 = %d",
                       c->V, c->digit0);
    if (c->position == GPT_POS_ABACUS && (c->abacus_offset < 0 || c->abacus_offset > c->T - 2))
        return err_set(e, "model: abacus_offset must be in 0..T-2 = %d, got %d", c->T - 2,
                       c->abacus_offset);
    if (c->position != GPT_POS_ABACUS && (c->digit0 != 0 || c->abacus_offset != 0))
        return err_set(e, "model: digit0 and abacus_offset apply to abacus positions only");
    if (c->arch == GPT_ARCH_LLAMA) {
        if (c->KV < 1 || c->NH % c->KV != 0)
            return err_set(e,
                           "model: key/value heads (%d) must be >= 1 and divide the heads NH (%d)",
                           c->KV, c->NH);
        if (c->F < 1) return err_set(e, "model: MLP width F must be >= 1, got %d", c->F);
        if ((c->C / c->NH) % 2 != 0)
            return err_set(e,
                           "model: rotary embeddings rotate pairs of channels, so the head size "
                           "C/NH must be even, got %d/%d = %d",
                           c->C, c->NH, c->C / c->NH);
        if (!(c->rope_theta > 0.0f) || !isfinite(c->rope_theta))
            return err_set(e, "model: rope_theta must be a finite number > 0, got %g",
                           (double)c->rope_theta);
        if (!(c->norm_eps > 0.0f) || !isfinite(c->norm_eps))
            return err_set(e, "model: norm_eps must be a finite number > 0, got %g",
                           (double)c->norm_eps);
        if (c->untied != 0 && c->untied != 1)
            return err_set(e, "model: untied must be 0 or 1, got %d", c->untied);
        if (c->position != GPT_POS_LEARNED)
            return err_set(e, "model: llama uses rotary positions; position must be left unset");
        if ((int64_t)2 * c->F > INT_MAX / 4 || (int64_t)c->F * c->C > INT_MAX)
            return err_set(e, "model: MLP width F too large (%d)", c->F);
    } else if (c->KV != 0 || c->F != 0 || c->rope_theta != 0.0f || c->norm_eps != 0.0f ||
               c->untied != 0) {
        return err_set(e,
                       "model: key/value heads, F, rope_theta, norm_eps and untied apply to "
                       "llama only");
    }
    // Every matmul dimension and the largest single tensor must fit BLAS's int arguments.
    if ((int64_t)4 * c->C > INT_MAX / 4 || (int64_t)c->Vp * c->C > INT_MAX ||
        (int64_t)c->T * c->T > INT_MAX)
        return err_set(e, "model: sizes too large (C=%d, Vp=%d, T=%d)", c->C, c->Vp, c->T);
    return 0;
}

const char *gpt_arch_name(ModelArch a) {
    return a == GPT_ARCH_GPT2 ? "gpt2" : a == GPT_ARCH_LLAMA ? "llama" : "?";
}

int gpt_arch_parse(const char *name, ModelArch *out) {
    if (strcmp(name, "gpt2") == 0)
        *out = GPT_ARCH_GPT2;
    else if (strcmp(name, "llama") == 0)
        *out = GPT_ARCH_LLAMA;
    else
        return -1;
    return 0;
}

const char *gpt_position_name(GPTPosition p) {
    return p == GPT_POS_NONE      ? "none"
           : p == GPT_POS_LEARNED ? "learned"
           : p == GPT_POS_ABACUS  ? "abacus"
                                  : "?";
}

int gpt_position_parse(const char *name, GPTPosition *out) {
    if (strcmp(name, "learned") == 0)
        *out = GPT_POS_LEARNED;
    else if (strcmp(name, "none") == 0)
        *out = GPT_POS_NONE;
    else if (strcmp(name, "abacus") == 0)
        *out = GPT_POS_ABACUS;
    else
        return -1;
    return 0;
}

static void add_tensor(TensorSpec *t, size_t *offset, const char *name, const char *dims_text,
                       int decay, int ndim, int64_t d0, int64_t d1, int64_t d2) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->dims_text, sizeof t->dims_text, "%s", dims_text);
    t->ndim = ndim;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->dims[2] = d2;
    t->count = (size_t)d0 * (size_t)(ndim > 1 ? d1 : 1) * (size_t)(ndim > 2 ? d2 : 1);
    t->offset = *offset;
    t->decay = decay;
    t->stacked = strncmp(dims_text, "(L,", 3) == 0;
    *offset += t->count;
}

static size_t llama_table(const GPTConfig *c, TensorSpec tb[MAX_TENSORS], int *ntensors) {
    size_t off = 0;
    int64_t V = c->Vp, C = c->C, L = c->L, W = gpt_qkv_width(c), F = c->F;
    add_tensor(&tb[LLAMA_WTE], &off, "wte", "(Vp, C)", 1, 2, V, C, 0);
    add_tensor(&tb[LLAMA_ATTN_NORM_W], &off, "attn_norm_w", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[LLAMA_QKV_W], &off, "qkv_w", "(L, (NH+2KV)*hs, C)", 1, 3, L, W, C);
    add_tensor(&tb[LLAMA_ATTN_PROJ_W], &off, "attn_proj_w", "(L, C, C)", 1, 3, L, C, C);
    add_tensor(&tb[LLAMA_MLP_NORM_W], &off, "mlp_norm_w", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[LLAMA_GATE_UP_W], &off, "gate_up_w", "(L, 2*F, C)", 1, 3, L, 2 * F, C);
    add_tensor(&tb[LLAMA_DOWN_W], &off, "down_w", "(L, C, F)", 1, 3, L, C, F);
    add_tensor(&tb[LLAMA_NORM_W], &off, "norm_w", "(C)", 0, 1, C, 0, 0);
    tb[LLAMA_NORM_W].head = 1;
    *ntensors = LLAMA_LM_HEAD;
    if (c->untied) {
        add_tensor(&tb[LLAMA_LM_HEAD], &off, "lm_head", "(Vp, C)", 1, 2, V, C, 0);
        tb[LLAMA_LM_HEAD].head = 1;
        *ntensors = LLAMA_TENSOR_COUNT;
    }
    return off;
}

size_t gpt_param_table(const GPTConfig *c, TensorSpec tb[MAX_TENSORS], int *ntensors) {
    memset(tb, 0, MAX_TENSORS * sizeof *tb);
    if (c->arch == GPT_ARCH_LLAMA) return llama_table(c, tb, ntensors);
    *ntensors = GPT_NUM_TENSORS;
    size_t off = 0;
    int64_t V = c->Vp, T = c->T, C = c->C, L = c->L;
    add_tensor(&tb[TENSOR_WTE], &off, "wte", "(Vp, C)", 1, 2, V, C, 0);
    if (c->position == GPT_POS_NONE)  // NoPE: wpe keeps its slot with zero elements
        add_tensor(&tb[TENSOR_WPE], &off, "wpe", "(0, C)", 1, 2, 0, C, 0);
    else
        add_tensor(&tb[TENSOR_WPE], &off, "wpe", "(T, C)", 1, 2, T, C, 0);
    add_tensor(&tb[TENSOR_LN1_W], &off, "ln1_w", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_LN1_B], &off, "ln1_b", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_QKV_W], &off, "qkv_w", "(L, 3*C, C)", 1, 3, L, 3 * C, C);
    add_tensor(&tb[TENSOR_QKV_B], &off, "qkv_b", "(L, 3*C)", 0, 2, L, 3 * C, 0);
    add_tensor(&tb[TENSOR_ATTN_PROJ_W], &off, "attn_proj_w", "(L, C, C)", 1, 3, L, C, C);
    add_tensor(&tb[TENSOR_ATTN_PROJ_B], &off, "attn_proj_b", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_LN2_W], &off, "ln2_w", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_LN2_B], &off, "ln2_b", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_FC_W], &off, "fc_w", "(L, 4*C, C)", 1, 3, L, 4 * C, C);
    add_tensor(&tb[TENSOR_FC_B], &off, "fc_b", "(L, 4*C)", 0, 2, L, 4 * C, 0);
    add_tensor(&tb[TENSOR_FC_PROJ_W], &off, "fc_proj_w", "(L, C, 4*C)", 1, 3, L, C, 4 * C);
    add_tensor(&tb[TENSOR_FC_PROJ_B], &off, "fc_proj_b", "(L, C)", 0, 2, L, C, 0);
    add_tensor(&tb[TENSOR_LNF_W], &off, "lnf_w", "(C)", 0, 1, C, 0, 0);
    add_tensor(&tb[TENSOR_LNF_B], &off, "lnf_b", "(C)", 0, 1, C, 0, 0);
    tb[TENSOR_LNF_W].head = tb[TENSOR_LNF_B].head = 1;
    return off;
}

static void point_tensors(ParamSlab *s) {
    memset(&s->t, 0, sizeof s->t);
    if (s->cfg.arch == GPT_ARCH_LLAMA) {
        float **ptrs[LLAMA_TENSOR_COUNT] = {
            [LLAMA_WTE] = &s->t.wte,          [LLAMA_ATTN_NORM_W] = &s->t.ln1_w,
            [LLAMA_QKV_W] = &s->t.qkv_w,      [LLAMA_ATTN_PROJ_W] = &s->t.attn_proj_w,
            [LLAMA_MLP_NORM_W] = &s->t.ln2_w, [LLAMA_GATE_UP_W] = &s->t.fc_w,
            [LLAMA_DOWN_W] = &s->t.fc_proj_w, [LLAMA_NORM_W] = &s->t.lnf_w,
            [LLAMA_LM_HEAD] = &s->t.lm_head,
        };
        for (int i = 0; i < s->ntensors; i++) *ptrs[i] = s->data + s->table[i].offset;
        return;
    }
    float **ptrs[GPT_NUM_TENSORS] = {
        [TENSOR_WTE] = &s->t.wte,
        [TENSOR_WPE] = &s->t.wpe,
        [TENSOR_LN1_W] = &s->t.ln1_w,
        [TENSOR_LN1_B] = &s->t.ln1_b,
        [TENSOR_QKV_W] = &s->t.qkv_w,
        [TENSOR_QKV_B] = &s->t.qkv_b,
        [TENSOR_ATTN_PROJ_W] = &s->t.attn_proj_w,
        [TENSOR_ATTN_PROJ_B] = &s->t.attn_proj_b,
        [TENSOR_LN2_W] = &s->t.ln2_w,
        [TENSOR_LN2_B] = &s->t.ln2_b,
        [TENSOR_FC_W] = &s->t.fc_w,
        [TENSOR_FC_B] = &s->t.fc_b,
        [TENSOR_FC_PROJ_W] = &s->t.fc_proj_w,
        [TENSOR_FC_PROJ_B] = &s->t.fc_proj_b,
        [TENSOR_LNF_W] = &s->t.lnf_w,
        [TENSOR_LNF_B] = &s->t.lnf_b,
    };
    for (int i = 0; i < GPT_NUM_TENSORS; i++) *ptrs[i] = s->data + s->table[i].offset;
}

void param_slab_init(ParamSlab *s, const GPTConfig *cfg, const char *label) {
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->n = gpt_param_table(cfg, s->table, &s->ntensors);
    s->data = xcalloc(label, s->n, sizeof(float));
    point_tensors(s);
}

void param_slab_free(ParamSlab *s) {
    xfree(s->data);
    memset(s, 0, sizeof *s);
}

void param_slab_copy(ParamSlab *dst, const ParamSlab *src) {
    CHECKF(dst->n == src->n && memcmp(&dst->cfg, &src->cfg, sizeof dst->cfg) == 0,
           "param_slab_copy: layouts differ");
    memcpy(dst->data, src->data, src->n * sizeof(float));
}

int param_slab_find(const ParamSlab *s, const char *name) {
    for (int i = 0; i < s->ntensors; i++)
        if (strcmp(s->table[i].name, name) == 0) return i;
    return -1;
}

void gpt_init_weights(ParamSlab *w, uint64_t seed) {
    const float std = 0.02f;
    const float std_resid = 0.02f / sqrtf(2.0f * (float)w->cfg.L);
    for (int i = 0; i < w->ntensors; i++) {
        const TensorSpec *t = &w->table[i];
        float *p = w->data + t->offset;
        const char *name = t->name;
        size_t len = strlen(name);
        int is_bias = name[len - 1] == 'b' && name[len - 2] == '_';
        if (strncmp(name, "ln", 2) == 0 || strstr(name, "norm_w") != NULL) {
            float v = is_bias ? 0.0f : 1.0f;
            for (size_t k = 0; k < t->count; k++) p[k] = v;
        } else if (is_bias) {
            memset(p, 0, t->count * sizeof(float));
        } else {
            // One stream per tensor: a tensor's values do not depend on the others' sizes.
            Rng r = rng_stream(seed, 0x1000u + (uint64_t)i);
            float sd = (strcmp(name, "attn_proj_w") == 0 || strcmp(name, "fc_proj_w") == 0 ||
                        strcmp(name, "down_w") == 0)
                           ? std_resid
                           : std;
            for (size_t k = 0; k < t->count; k++) p[k] = sd * rng_normal(&r);
        }
    }
}
