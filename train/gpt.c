/* train/gpt.c — forward, backward and KV-cache decoding of GPT-2 and LLaMA; see gpt.h. The two
   architectures share the layer structure (norm, qkv, attention, projection, norm, MLP); each
   step branches on cfg.arch, and the GPT-2 branch keeps its arithmetic unchanged. */
#include "train/gpt.h"

#include <math.h>
#include <string.h>

#include "train/matmul.h"
#include "train/ops.h"
#include "train/ops_llama.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/timer.h"

const char *const PROF_OP_NAMES[PROF_COUNT] = {"matmul", "attention", "layernorm", "gelu", "other"};

// Runs one kernel call and adds its wall time to a->prof[op].
#define TIMED(op, call)                   \
    do {                                  \
        double t0_ = timer_now();         \
        call;                             \
        a->prof[op] += timer_now() - t0_; \
    } while (0)

// ----------------------------------------------------------------------------------------------
// activations

// Carves the slab into the named tensors; with base == NULL only counts floats.
static size_t point_activations(Activations *a, float *base) {
    const GPTConfig *c = &a->cfg;
    size_t BS = (size_t)a->max_B * a->max_S, C = (size_t)c->C;
    size_t W = (size_t)gpt_qkv_width(c), FW = (size_t)gpt_fc_width(c), H = (size_t)gpt_ffn_width(c);
    size_t Ls = a->training ? (size_t)c->L : 1;  // layers kept
    int llama = c->arch == GPT_ARCH_LLAMA;
    size_t off = 0;
#define CARVE(field, count)                          \
    do {                                             \
        a->field = base ? base + off : NULL;         \
        off += ((size_t)(count) + 15) & ~(size_t)15; \
    } while (0)
    CARVE(encoded, BS * C);
    CARVE(ln1, Ls * BS * C);
    CARVE(ln1_mean, Ls * BS);
    CARVE(ln1_rstd, Ls * BS);
    CARVE(qkv, Ls * BS * W);
    CARVE(atty, Ls * BS * C);
    CARVE(att, Ls * (size_t)a->max_B * c->NH * a->max_S * a->max_S);
    CARVE(residual2, Ls * BS * C);
    CARVE(ln2, Ls * BS * C);
    CARVE(ln2_mean, Ls * BS);
    CARVE(ln2_rstd, Ls * BS);
    CARVE(fch, Ls * BS * FW);
    CARVE(fch_gelu, Ls * BS * H);
    CARVE(residual3, Ls * BS * C);
    CARVE(lnf, BS * C);
    CARVE(lnf_mean, BS);
    CARVE(lnf_rstd, BS);
    CARVE(logits, BS * c->Vp);
    CARVE(proj, BS * C);
    if (a->training) {
        if (!llama) CARVE(fch_tanh, Ls * BS * 4 * C);
        CARVE(dlogits, BS * c->Vp);
        CARVE(dresidual, BS * C);
        CARVE(dln, BS * C);
        CARVE(datty, BS * C);
        CARVE(dqkv, BS * W);
        CARVE(dfch, BS * FW);
        CARVE(dfch_gelu, BS * H);
    }
    if (llama) {
        size_t half = (size_t)a->max_S * (size_t)(gpt_head_size(c) / 2);
        CARVE(rope_cos, half);
        CARVE(rope_sin, half);
    }
#undef CARVE
    return off;
}

void acts_init(Activations *a, const GPTConfig *cfg, int max_B, int max_S, int training) {
    CHECKF(max_B > 0 && max_S > 0 && max_S <= cfg->T, "acts_init: bad capacity B=%d S=%d (T=%d)",
           max_B, max_S, cfg->T);
    CHECKF(cfg->arch != GPT_ARCH_LLAMA || gpt_head_size(cfg) % 2 == 0,
           "acts_init: rotary embeddings need an even head size, got C/NH = %d",
           gpt_head_size(cfg));
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->max_B = max_B;
    a->max_S = max_S;
    a->training = training;
    a->slab_floats = point_activations(a, NULL);
    a->slab = xmalloc(training ? "activations.train" : "activations.infer",
                      a->slab_floats * sizeof(float));
    point_activations(a, a->slab);
    if (cfg->arch == GPT_ARCH_LLAMA)
        rope_tables(a->rope_cos, a->rope_sin, max_S, gpt_head_size(cfg), cfg->rope_theta);
    a->tokens = xmalloc("activations.tokens", (size_t)max_B * max_S * sizeof(int32_t));
    a->pos = xmalloc("activations.pos", (size_t)max_B * max_S * sizeof(int32_t));
}

void acts_free(Activations *a) {
    xfree(a->slab);
    xfree(a->tokens);
    xfree(a->pos);
    memset(a, 0, sizeof *a);
}

// Pointers to layer l's saved activations for the current (B, S).
typedef struct {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *residual2, *ln2, *ln2_mean, *ln2_rstd,
        *fch, *fch_gelu, *fch_tanh, *residual3;
} LayerActs;

static LayerActs layer_acts(const Activations *a, int l) {
    size_t li = a->training ? (size_t)l : 0;
    size_t N = (size_t)a->B * a->S, C = (size_t)a->cfg.C;
    size_t W = (size_t)gpt_qkv_width(&a->cfg), FW = (size_t)gpt_fc_width(&a->cfg);
    size_t H = (size_t)gpt_ffn_width(&a->cfg);
    size_t A = (size_t)a->B * a->cfg.NH * a->S * a->S;
    LayerActs la = {
        .ln1 = a->ln1 + li * N * C,
        .ln1_mean = a->ln1_mean + li * N,
        .ln1_rstd = a->ln1_rstd + li * N,
        .qkv = a->qkv + li * N * W,
        .atty = a->atty + li * N * C,
        .att = a->att + li * A,
        .residual2 = a->residual2 + li * N * C,
        .ln2 = a->ln2 + li * N * C,
        .ln2_mean = a->ln2_mean + li * N,
        .ln2_rstd = a->ln2_rstd + li * N,
        .fch = a->fch + li * N * FW,
        .fch_gelu = a->fch_gelu + li * N * H,
        .fch_tanh = a->fch_tanh ? a->fch_tanh + li * N * 4 * C : NULL,
        .residual3 = a->residual3 + li * N * C,
    };
    return la;
}

// Per-layer weight pointers.
typedef struct {
    const float *ln1_w, *ln1_b, *qkv_w, *qkv_b, *attn_proj_w, *attn_proj_b, *ln2_w, *ln2_b, *fc_w,
        *fc_b, *fc_proj_w, *fc_proj_b;
} LayerWeights;

// Layer l's slice of a stacked tensor of `per_layer` floats per layer; NULL for a tensor the
// architecture lacks (LLaMA's biases), where offsetting a null pointer would be undefined.
static const float *layer_slice(const float *t, size_t per_layer, int l) {
    return t ? t + (size_t)l * per_layer : NULL;
}

static LayerWeights layer_weights(const ParamTensors *t, const GPTConfig *c, int l) {
    size_t C = (size_t)c->C, W = (size_t)gpt_qkv_width(c), FW = (size_t)gpt_fc_width(c);
    size_t H = (size_t)gpt_ffn_width(c);
    LayerWeights lw = {
        .ln1_w = layer_slice(t->ln1_w, C, l),
        .ln1_b = layer_slice(t->ln1_b, C, l),
        .qkv_w = layer_slice(t->qkv_w, W * C, l),
        .qkv_b = layer_slice(t->qkv_b, W, l),
        .attn_proj_w = layer_slice(t->attn_proj_w, C * C, l),
        .attn_proj_b = layer_slice(t->attn_proj_b, C, l),
        .ln2_w = layer_slice(t->ln2_w, C, l),
        .ln2_b = layer_slice(t->ln2_b, C, l),
        .fc_w = layer_slice(t->fc_w, FW * C, l),
        .fc_b = layer_slice(t->fc_b, FW, l),
        .fc_proj_w = layer_slice(t->fc_proj_w, C * H, l),
        .fc_proj_b = layer_slice(t->fc_proj_b, C, l),
    };
    return lw;
}

// The LM head: lm_head when LLaMA's head is untied, else the token embedding wte.
static const float *head_weights(const ParamTensors *t) { return t->lm_head ? t->lm_head : t->wte; }

// ----------------------------------------------------------------------------------------------
// forward and backward

// NoPE embedding: out (N, C) = wte[tokens]; no position term.
static void token_embed_forward(float *out, const int32_t *tokens, const float *wte, int N, int C) {
    for (int i = 0; i < N; i++)
        memcpy(out + (size_t)i * C, wte + (size_t)tokens[i] * C, (size_t)C * sizeof(float));
}

// NoPE embedding backward: dwte (Vp, C) += per-token sums of dout (N, C).
static void token_embed_backward(float *dwte, const float *dout, const int32_t *tokens, int N,
                                 int C) {
    for (int i = 0; i < N; i++) {
        const float *d = dout + (size_t)i * C;
        float *dwe = dwte + (size_t)tokens[i] * C;
        for (int c = 0; c < C; c++) dwe[c] += d[c];
    }
}

void gpt_abacus_positions(int32_t *pos, const int32_t *tokens, const int32_t *offset, int B, int S,
                          int digit0, int T) {
    for (int b = 0; b < B; b++) {
        int run = 0, off = offset ? offset[b] : 0;
        for (int t = 0; t < S; t++) {
            int32_t id = tokens[(size_t)b * S + t];
            run = id >= digit0 && id < digit0 + 10 ? run + 1 : 0;
            int p = run > 0 ? run + off : 0;
            pos[(size_t)b * S + t] = p < T ? p : T - 1;
        }
    }
}

// Keys and values of rows (B, S) of qkv into cache slots slot0 + b, positions 0..S-1, of layer l.
static void kv_store_prompt(KVCache *kv, int l, int slot0, const float *qkv, int B, int S) {
    const GPTConfig *c = &kv->cfg;
    size_t hs = (size_t)gpt_head_size(c), KVW = (size_t)gpt_kv_heads(c) * hs;
    size_t W = (size_t)gpt_qkv_width(c), koff = (size_t)c->NH * hs;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            const float *row = qkv + ((size_t)b * S + s) * W;
            size_t dst = (((size_t)l * kv->max_B + slot0 + b) * kv->max_S + s) * KVW;
            memcpy(kv->k + dst, row + koff, KVW * sizeof(float));
            memcpy(kv->v + dst, row + koff + KVW, KVW * sizeof(float));
        }
}

// Forward; when kv is given, also stores every layer's keys/values in cache slots kv_slot0 + b.
static const float *forward(Activations *a, const ParamSlab *w, const int32_t *tokens, int B, int S,
                            KVCache *kv, int kv_slot0) {
    const GPTConfig *c = &a->cfg;
    CHECKF(B >= 1 && B <= a->max_B && S >= 1 && S <= a->max_S,
           "gpt_forward: batch (%d, %d) exceeds capacity (%d, %d)", B, S, a->max_B, a->max_S);
    CHECKF(memcmp(c, &w->cfg, sizeof *c) == 0,
           "gpt_forward: weights and activations differ in config");
    int C = c->C, NH = c->NH, Vp = c->Vp, N = B * S;
    int llama = c->arch == GPT_ARCH_LLAMA, KV = gpt_kv_heads(c), hs = gpt_head_size(c);
    int W = gpt_qkv_width(c), FW = gpt_fc_width(c), H = gpt_ffn_width(c);
    a->B = B;
    a->S = S;
    for (int i = 0; i < N; i++)
        CHECKF(tokens[i] >= 0 && tokens[i] < Vp, "gpt_forward: token id %d out of range [0, %d)",
               tokens[i], Vp);
    memcpy(a->tokens, tokens, (size_t)N * sizeof(int32_t));

    if (llama || c->position == GPT_POS_NONE) {  // LLaMA: positions enter through RoPE
        TIMED(PROF_OTHER, token_embed_forward(a->encoded, tokens, w->t.wte, N, C));
    } else if (c->position == GPT_POS_ABACUS) {
        gpt_abacus_positions(a->pos, tokens, a->pos_offset, B, S, c->digit0, c->T);
        TIMED(PROF_OTHER,
              encoder_forward_ids(a->encoded, tokens, a->pos, w->t.wte, w->t.wpe, N, C));
    } else
        TIMED(PROF_OTHER, encoder_forward(a->encoded, tokens, w->t.wte, w->t.wpe, B, S, C));
    const float *residual = a->encoded;
    for (int l = 0; l < c->L; l++) {
        LayerActs la = layer_acts(a, l);
        LayerWeights lw = layer_weights(&w->t, c, l);
        if (llama)
            TIMED(PROF_LAYERNORM,
                  rmsnorm_forward(la.ln1, la.ln1_rstd, residual, lw.ln1_w, c->norm_eps, N, C));
        else
            TIMED(PROF_LAYERNORM, layernorm_forward(la.ln1, la.ln1_mean, la.ln1_rstd, residual,
                                                    lw.ln1_w, lw.ln1_b, N, C));
        TIMED(PROF_MATMUL, matmul_forward(la.qkv, la.ln1, lw.qkv_w, lw.qkv_b, N, C, W));
        if (llama)
            TIMED(PROF_ATTENTION,
                  rope_forward(la.qkv, a->rope_cos, a->rope_sin, NULL, B, S, NH, KV, hs));
        if (kv) kv_store_prompt(kv, l, kv_slot0, la.qkv, B, S);
        TIMED(PROF_ATTENTION, attention_forward(la.atty, la.att, la.qkv, B, S, C, NH, KV));
        TIMED(PROF_MATMUL,
              matmul_forward(a->proj, la.atty, lw.attn_proj_w, lw.attn_proj_b, N, C, C));
        TIMED(PROF_OTHER, residual_forward(la.residual2, residual, a->proj, (int64_t)N * C));
        if (llama)
            TIMED(PROF_LAYERNORM,
                  rmsnorm_forward(la.ln2, la.ln2_rstd, la.residual2, lw.ln2_w, c->norm_eps, N, C));
        else
            TIMED(PROF_LAYERNORM, layernorm_forward(la.ln2, la.ln2_mean, la.ln2_rstd, la.residual2,
                                                    lw.ln2_w, lw.ln2_b, N, C));
        TIMED(PROF_MATMUL, matmul_forward(la.fch, la.ln2, lw.fc_w, lw.fc_b, N, C, FW));
        if (llama)
            TIMED(PROF_GELU, swiglu_forward(la.fch_gelu, la.fch, N, c->F));
        else if (a->training)
            TIMED(PROF_GELU,
                  gelu_forward_tanh(la.fch_gelu, la.fch_tanh, la.fch, (int64_t)N * 4 * C));
        else
            TIMED(PROF_GELU, gelu_forward(la.fch_gelu, la.fch, (int64_t)N * 4 * C));
        TIMED(PROF_MATMUL,
              matmul_forward(a->proj, la.fch_gelu, lw.fc_proj_w, lw.fc_proj_b, N, H, C));
        TIMED(PROF_OTHER, residual_forward(la.residual3, la.residual2, a->proj, (int64_t)N * C));
        residual = la.residual3;
    }
    if (llama)
        TIMED(PROF_LAYERNORM,
              rmsnorm_forward(a->lnf, a->lnf_rstd, residual, w->t.lnf_w, c->norm_eps, N, C));
    else
        TIMED(PROF_LAYERNORM, layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, residual,
                                                w->t.lnf_w, w->t.lnf_b, N, C));
    TIMED(PROF_MATMUL, matmul_forward(a->logits, a->lnf, head_weights(&w->t), NULL, N, C, Vp));
    return a->logits;
}

const float *gpt_forward(Activations *a, const ParamSlab *w, const int32_t *tokens, int B, int S) {
    return forward(a, w, tokens, B, S, NULL, 0);
}

void gpt_backward(ParamSlab *grads, Activations *a, const ParamSlab *w) {
    CHECKF(a->training, "gpt_backward: activations were allocated forward-only");
    const GPTConfig *c = &a->cfg;
    int B = a->B, S = a->S, C = c->C, NH = c->NH, Vp = c->Vp, N = B * S;
    int llama = c->arch == GPT_ARCH_LLAMA, KV = gpt_kv_heads(c), hs = gpt_head_size(c);
    int W = gpt_qkv_width(c), FW = gpt_fc_width(c), H = gpt_ffn_width(c);
    ParamTensors *g = &grads->t;

    // LM head (wte, or LLaMA's untied lm_head) and final norm
    float *g_head = g->lm_head ? g->lm_head : g->wte;
    TIMED(PROF_MATMUL,
          matmul_backward(a->dln, g_head, NULL, a->dlogits, a->lnf, head_weights(&w->t), N, C, Vp));
    memset(a->dresidual, 0, (size_t)N * C * sizeof(float));
    const float *last = layer_acts(a, c->L - 1).residual3;
    if (llama)
        TIMED(PROF_LAYERNORM, rmsnorm_backward(a->dresidual, g->lnf_w, a->dln, last, w->t.lnf_w,
                                               a->lnf_rstd, N, C));
    else
        TIMED(PROF_LAYERNORM, layernorm_backward(a->dresidual, g->lnf_w, g->lnf_b, a->dln, last,
                                                 w->t.lnf_w, a->lnf_mean, a->lnf_rstd, N, C));
    if (a->grad_ready) a->grad_ready(a->grad_ready_ctx, -1);

    // a->dresidual holds the gradient of the residual stream after layer l
    for (int l = c->L - 1; l >= 0; l--) {
        LayerActs la = layer_acts(a, l);
        LayerWeights lw = layer_weights(&w->t, c, l);
        LayerWeights lg = layer_weights(g, c, l);
        const float *residual = l == 0 ? a->encoded : layer_acts(a, l - 1).residual3;
        // MLP branch: residual3 = residual2 + fc_proj(act(fc(norm2(residual2))))
        TIMED(PROF_MATMUL,
              matmul_backward(a->dfch_gelu, (float *)lg.fc_proj_w, (float *)lg.fc_proj_b,
                              a->dresidual, la.fch_gelu, lw.fc_proj_w, N, H, C));
        if (llama)
            TIMED(PROF_GELU, swiglu_backward(a->dfch, la.fch, a->dfch_gelu, N, c->F));
        else
            TIMED(PROF_GELU, gelu_backward_tanh(a->dfch, la.fch, la.fch_tanh, a->dfch_gelu,
                                                (int64_t)N * 4 * C));
        TIMED(PROF_MATMUL, matmul_backward(a->dln, (float *)lg.fc_w, (float *)lg.fc_b, a->dfch,
                                           la.ln2, lw.fc_w, N, C, FW));
        if (llama)
            TIMED(PROF_LAYERNORM, rmsnorm_backward(a->dresidual, (float *)lg.ln2_w, a->dln,
                                                   la.residual2, lw.ln2_w, la.ln2_rstd, N, C));
        else
            TIMED(PROF_LAYERNORM,
                  layernorm_backward(a->dresidual, (float *)lg.ln2_w, (float *)lg.ln2_b, a->dln,
                                     la.residual2, lw.ln2_w, la.ln2_mean, la.ln2_rstd, N, C));
        // attention branch: residual2 = residual + attn_proj(attention(rope(qkv(norm1(residual)))))
        TIMED(PROF_MATMUL,
              matmul_backward(a->datty, (float *)lg.attn_proj_w, (float *)lg.attn_proj_b,
                              a->dresidual, la.atty, lw.attn_proj_w, N, C, C));
        TIMED(PROF_ATTENTION,
              attention_backward(a->dqkv, a->datty, la.qkv, la.att, B, S, C, NH, KV));
        if (llama)
            TIMED(PROF_ATTENTION,
                  rope_backward(a->dqkv, a->rope_cos, a->rope_sin, NULL, B, S, NH, KV, hs));
        TIMED(PROF_MATMUL, matmul_backward(a->dln, (float *)lg.qkv_w, (float *)lg.qkv_b, a->dqkv,
                                           la.ln1, lw.qkv_w, N, C, W));
        if (llama)
            TIMED(PROF_LAYERNORM, rmsnorm_backward(a->dresidual, (float *)lg.ln1_w, a->dln,
                                                   residual, lw.ln1_w, la.ln1_rstd, N, C));
        else
            TIMED(PROF_LAYERNORM,
                  layernorm_backward(a->dresidual, (float *)lg.ln1_w, (float *)lg.ln1_b, a->dln,
                                     residual, lw.ln1_w, la.ln1_mean, la.ln1_rstd, N, C));
        if (a->grad_ready) a->grad_ready(a->grad_ready_ctx, l);
    }
    if (llama || c->position == GPT_POS_NONE)  // no wpe gradient: LLaMA has none, NoPE's is empty
        TIMED(PROF_OTHER, token_embed_backward(g->wte, a->dresidual, a->tokens, N, C));
    else if (c->position == GPT_POS_ABACUS)
        TIMED(PROF_OTHER,
              encoder_backward_ids(g->wte, g->wpe, a->dresidual, a->tokens, a->pos, N, C));
    else
        TIMED(PROF_OTHER, encoder_backward(g->wte, g->wpe, a->dresidual, a->tokens, B, S, C));
}

// ----------------------------------------------------------------------------------------------
// KV-cache decoding

void kv_init(KVCache *kv, const GPTConfig *cfg, int max_B, int max_S) {
    CHECKF(max_B > 0 && max_S > 0 && max_S <= cfg->T, "kv_init: bad capacity B=%d S=%d", max_B,
           max_S);
    int llama = cfg->arch == GPT_ARCH_LLAMA, hs = gpt_head_size(cfg);
    CHECKF(!llama || hs % 2 == 0,
           "kv_init: rotary embeddings need an even head size, got C/NH = %d", hs);
    memset(kv, 0, sizeof *kv);
    kv->cfg = *cfg;
    kv->max_B = max_B;
    kv->max_S = max_S;
    size_t cache = (size_t)cfg->L * max_B * max_S * gpt_kv_heads(cfg) * hs;
    kv->k = xmalloc("kvcache", cache * sizeof(float));
    kv->v = xmalloc("kvcache", cache * sizeof(float));
    size_t B = (size_t)max_B, C = (size_t)cfg->C, W = (size_t)gpt_qkv_width(cfg);
    size_t FW = (size_t)gpt_fc_width(cfg), H = (size_t)gpt_ffn_width(cfg);
    size_t half = (size_t)max_S * (size_t)(hs / 2);
    size_t n = B * C * 4 + B * 2 + B * W + B * FW + (size_t)max_S + (llama ? B * H + 2 * half : 0);
    kv->slab = xmalloc("kvcache.scratch", n * sizeof(float));
    float *p = kv->slab;
    kv->x = p, p += B * C;
    kv->ln = p, p += B * C;
    kv->atty = p, p += B * C;
    kv->proj = p, p += B * C;
    kv->mean = p, p += B;
    kv->rstd = p, p += B;
    kv->qkv = p, p += B * W;
    kv->fch = p, p += B * FW;
    kv->scores = p, p += (size_t)max_S;
    if (llama) {
        kv->fch_act = p, p += B * H;
        kv->rope_cos = p, p += half;
        kv->rope_sin = p;
        rope_tables(kv->rope_cos, kv->rope_sin, max_S, hs, cfg->rope_theta);
    }
    kv->digit_run = xcalloc("kvcache.digit_run", (size_t)max_B, sizeof(int32_t));
}

void kv_free(KVCache *kv) {
    xfree(kv->k);
    xfree(kv->v);
    xfree(kv->slab);
    xfree(kv->digit_run);
    memset(kv, 0, sizeof *kv);
}

void gpt_prefill(KVCache *kv, Activations *a, const ParamSlab *w, const int32_t *tokens,
                 const int32_t *len, int B, int S, float *next_logits) {
    CHECKF(B <= kv->max_B && S <= kv->max_S, "gpt_prefill: batch (%d, %d) exceeds cache (%d, %d)",
           B, S, kv->max_B, kv->max_S);
    int Vp = a->cfg.Vp, digit0 = a->cfg.digit0;
    const int32_t *offset = a->pos_offset;
    a->pos_offset = NULL;  // inference: digit positions start at row 1
    // One prompt at a time, exactly its own length: sgemm's blocking depends on the number of
    // rows, so batching prompts would make a prompt's logits depend on its batch-mates. A prompt
    // equal to the previous one (the K samples of a prompt) reuses its cache and logits.
    for (int b = 0; b < B; b++) {
        CHECKF(len[b] >= 1 && len[b] <= S, "gpt_prefill: prompt %d has length %d (S=%d)", b, len[b],
               S);
        const int32_t *tok = tokens + (size_t)b * S;
        int run =
            0;  // the prompt's trailing digits (ABACUS: where decoding's next digit counts on)
        while (run < len[b] && tok[len[b] - 1 - run] >= digit0 &&
               tok[len[b] - 1 - run] < digit0 + 10)
            run++;
        kv->digit_run[b] = run;
        if (b > 0 && len[b] == len[b - 1] &&
            memcmp(tok, tok - S, (size_t)len[b] * sizeof(int32_t)) == 0) {
            kv_copy_slot(kv, b, b - 1, len[b]);
            memcpy(next_logits + (size_t)b * Vp, next_logits + (size_t)(b - 1) * Vp,
                   (size_t)Vp * sizeof(float));
            continue;
        }
        const float *logits = forward(a, w, tok, 1, len[b], kv, b);
        memcpy(next_logits + (size_t)b * Vp, logits + (size_t)(len[b] - 1) * Vp,
               (size_t)Vp * sizeof(float));
    }
    a->pos_offset = offset;
}

void kv_copy_slot(KVCache *kv, int dst, int src, int len) {
    size_t C = (size_t)gpt_kv_heads(&kv->cfg) * gpt_head_size(&kv->cfg);  // cached row width
    for (int l = 0; l < kv->cfg.L; l++) {
        size_t from = (((size_t)l * kv->max_B + src) * kv->max_S) * C;
        size_t to = (((size_t)l * kv->max_B + dst) * kv->max_S) * C;
        memcpy(kv->k + to, kv->k + from, (size_t)len * C * sizeof(float));
        memcpy(kv->v + to, kv->v + from, (size_t)len * C * sizeof(float));
    }
    kv->digit_run[dst] = kv->digit_run[src];
}

// Attention of one query row per sequence against its cached keys/values 0..pos[i]; query head
// h reads cached head h / (NH/KV).
static void decode_attention(KVCache *kv, int l, const int *slot, const int *pos, int n) {
    const GPTConfig *c = &kv->cfg;
    int C = c->C, NH = c->NH, hs = C / NH, group = NH / gpt_kv_heads(c);
    size_t KVW = (size_t)gpt_kv_heads(c) * hs, W = (size_t)gpt_qkv_width(c);
    float scale = 1.0f / sqrtf((float)hs);
    for (int i = 0; i < n; i++) {
        const float *kbase = kv->k + ((size_t)l * kv->max_B + slot[i]) * kv->max_S * KVW;
        const float *vbase = kv->v + ((size_t)l * kv->max_B + slot[i]) * kv->max_S * KVW;
        for (int h = 0; h < NH; h++) {
            const float *q = kv->qkv + (size_t)i * W + h * hs;
            size_t kvh = (size_t)(h / group) * hs;
            float *sc = kv->scores;
            float mx = -INFINITY;
            for (int t = 0; t <= pos[i]; t++) {
                const float *k = kbase + (size_t)t * KVW + kvh;
                float dot = 0.0f;
                for (int j = 0; j < hs; j++) dot += q[j] * k[j];
                sc[t] = dot * scale;
                mx = sc[t] > mx ? sc[t] : mx;
            }
            float sum = 0.0f;
            for (int t = 0; t <= pos[i]; t++) {
                sc[t] = expf(sc[t] - mx);
                sum += sc[t];
            }
            float inv = 1.0f / sum;
            float *o = kv->atty + (size_t)i * C + h * hs;
            for (int j = 0; j < hs; j++) o[j] = 0.0f;
            for (int t = 0; t <= pos[i]; t++) {
                const float *v = vbase + (size_t)t * KVW + kvh;
                float p = sc[t] * inv;
                for (int j = 0; j < hs; j++) o[j] += p * v[j];
            }
        }
    }
}

void gpt_decode_step(KVCache *kv, const ParamSlab *w, const int *slot, const int32_t *tok,
                     const int *pos, int n, float *logits) {
    const GPTConfig *c = &kv->cfg;
    int C = c->C, llama = c->arch == GPT_ARCH_LLAMA, NH = c->NH, KV = gpt_kv_heads(c);
    int hs = gpt_head_size(c), W = gpt_qkv_width(c), FW = gpt_fc_width(c), H = gpt_ffn_width(c);
    size_t KVW = (size_t)KV * hs;
    CHECKF(n >= 1 && n <= kv->max_B, "gpt_decode_step: %d sequences, cache holds %d", n, kv->max_B);
    for (int i = 0; i < n; i++) {
        CHECKF(pos[i] >= 0 && pos[i] < kv->max_S, "gpt_decode_step: position %d outside cache (%d)",
               pos[i], kv->max_S);
        CHECKF(tok[i] >= 0 && tok[i] < c->Vp, "gpt_decode_step: token id %d out of range", tok[i]);
        const float *we = w->t.wte + (size_t)tok[i] * C;
        float *x = kv->x + (size_t)i * C;
        if (llama || c->position == GPT_POS_NONE) {  // LLaMA: positions enter through RoPE
            memcpy(x, we, (size_t)C * sizeof(float));
        } else if (c->position == GPT_POS_ABACUS) {  // as gpt_abacus_positions, offset 0
            int32_t *run = &kv->digit_run[slot[i]];
            *run = tok[i] >= c->digit0 && tok[i] < c->digit0 + 10 ? *run + 1 : 0;
            const float *pe = w->t.wpe + (size_t)(*run < c->T ? *run : c->T - 1) * C;
            for (int j = 0; j < C; j++) x[j] = we[j] + pe[j];
        } else {
            const float *pe = w->t.wpe + (size_t)pos[i] * C;
            for (int j = 0; j < C; j++) x[j] = we[j] + pe[j];
        }
    }
    for (int l = 0; l < c->L; l++) {
        LayerWeights lw = layer_weights(&w->t, c, l);
        if (llama)
            rmsnorm_forward(kv->ln, kv->rstd, kv->x, lw.ln1_w, c->norm_eps, n, C);
        else
            layernorm_forward(kv->ln, kv->mean, kv->rstd, kv->x, lw.ln1_w, lw.ln1_b, n, C);
        matmul_forward_rowwise(kv->qkv, kv->ln, lw.qkv_w, lw.qkv_b, n, C, W);
        if (llama) rope_forward(kv->qkv, kv->rope_cos, kv->rope_sin, pos, n, 1, NH, KV, hs);
        for (int i = 0; i < n; i++) {
            size_t dst = (((size_t)l * kv->max_B + slot[i]) * kv->max_S + pos[i]) * KVW;
            const float *row = kv->qkv + (size_t)i * W + (size_t)NH * hs;  // k, then v
            memcpy(kv->k + dst, row, KVW * sizeof(float));
            memcpy(kv->v + dst, row + KVW, KVW * sizeof(float));
        }
        decode_attention(kv, l, slot, pos, n);
        matmul_forward_rowwise(kv->proj, kv->atty, lw.attn_proj_w, lw.attn_proj_b, n, C, C);
        residual_forward(kv->x, kv->x, kv->proj, (int64_t)n * C);
        if (llama)
            rmsnorm_forward(kv->ln, kv->rstd, kv->x, lw.ln2_w, c->norm_eps, n, C);
        else
            layernorm_forward(kv->ln, kv->mean, kv->rstd, kv->x, lw.ln2_w, lw.ln2_b, n, C);
        matmul_forward_rowwise(kv->fch, kv->ln, lw.fc_w, lw.fc_b, n, C, FW);
        float *act = llama ? kv->fch_act : kv->fch;  // GPT-2: GELU in place
        if (llama)
            swiglu_forward(act, kv->fch, n, c->F);
        else
            gelu_forward(act, kv->fch, (int64_t)n * 4 * C);
        matmul_forward_rowwise(kv->proj, act, lw.fc_proj_w, lw.fc_proj_b, n, H, C);
        residual_forward(kv->x, kv->x, kv->proj, (int64_t)n * C);
    }
    if (llama)
        rmsnorm_forward(kv->ln, kv->rstd, kv->x, w->t.lnf_w, c->norm_eps, n, C);
    else
        layernorm_forward(kv->ln, kv->mean, kv->rstd, kv->x, w->t.lnf_w, w->t.lnf_b, n, C);
    matmul_forward_rowwise(logits, kv->ln, head_weights(&w->t), NULL, n, C, c->Vp);
}
