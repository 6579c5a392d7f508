/* train/gpt.h — the model's forward and backward over a batch of token sequences, and KV-cache
   decoding, for both architectures of train/params.h.
   GPT-2 (cfg.arch GPT_ARCH_GPT2) is llm.c's GPT-2: token + learned position embeddings, L
   pre-LayerNorm blocks (causal multi-head attention, GELU(tanh) MLP of width 4C), final LayerNorm,
   LM head tied to wte. With cfg.position == GPT_POS_NONE (NoPE) the embedding is the token's
   alone: causal attention is the only source of order, wpe has zero elements and gets no
   gradient. With GPT_POS_ABACUS a token's wpe row is its abacus position (gpt_abacus_positions),
   shifted by a per-sequence offset that training callers set in Activations.pos_offset.
   LLaMA (GPT_ARCH_LLAMA): token embedding only, L pre-RMSNorm blocks (rotary position embeddings
   on q and k, grouped-query attention with KV key/value heads, SwiGLU MLP of width F), no biases,
   final RMSNorm, LM head lm_head when cfg.untied, else wte (train/ops_llama.h has the kernels).
   Sequences are right-padded to a common length S; because attention is causal, positions past a
   sequence's length never influence its valid positions, and callers ignore the logits there
   (train/logprob.h masks them), so padding has no effect on any result.
   Activations live in one slab sized for the largest batch; a forward-only Activations keeps a
   single layer's buffers (reused per layer), a training one keeps all L for the backward.
   Widths below: W = gpt_qkv_width (GPT-2 3C), FW = gpt_fc_width (4C / 2F), H = gpt_ffn_width
   (4C / F), KVW = KV·hs (GPT-2 C). */
#ifndef CONCORD_TRAIN_GPT_H
#define CONCORD_TRAIN_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "train/params.h"

/* Where forward/backward time goes, accumulated over calls (seconds); reset by the caller.
   LLaMA's RMSNorm counts as PROF_LAYERNORM, SwiGLU as PROF_GELU, RoPE as PROF_ATTENTION. */
typedef enum {
    PROF_MATMUL,
    PROF_ATTENTION,
    PROF_LAYERNORM,
    PROF_GELU,
    PROF_OTHER,
    PROF_COUNT
} ProfOp;
extern const char *const PROF_OP_NAMES[PROF_COUNT];

/* Called by gpt_backward when gradients become final: layer = -1 after the head tensors (final
   norm weights and bias; LLaMA's untied lm_head), then l = L-1 .. 0 after layer l's stacked
   tensors. wte and wpe are final only when gpt_backward returns. Data-parallel learners start their all-reduce buckets here. */
typedef void (*GradReadyFn)(void *ctx, int layer);

typedef struct {
    GPTConfig cfg;
    int max_B, max_S;         // capacity: batch rows and sequence length
    GradReadyFn grad_ready;   // optional: see GradReadyFn (NULL = none)
    void *grad_ready_ctx;     // its context
    double prof[PROF_COUNT];  // seconds spent per kind of kernel (see ProfOp)
    int training;  // 1: keeps every layer's activations and gradient scratch for the backward
    int B, S;      // shape of the last forward
    float *slab;   // owns everything below
    size_t slab_floats;
    int32_t *tokens;            // (B, S) copy of the last forward's input
    int32_t *pos;               // (B, S) abacus position rows of the last forward (ABACUS only)
    const int32_t *pos_offset;  // input, ABACUS: (B) offset of each row's digit positions (NULL: 0)
    // forward activations; per-layer tensors are (L, ...) when training, one layer otherwise
    float *encoded;    // (B, S, C)
    float *ln1;        // (L, B, S, C)
    float *ln1_mean;   // (L, B, S) LayerNorm mean (GPT-2)
    float *ln1_rstd;   // (L, B, S) LayerNorm / RMSNorm 1/rms
    float *qkv;        // (L, B, S, W) q and k after rotary embedding (LLaMA)
    float *atty;       // (L, B, S, C)
    float *att;        // (L, B, NH, S, S) softmax probabilities
    float *residual2;  // (L, B, S, C)
    float *ln2;        // (L, B, S, C)
    float *ln2_mean;   // (L, B, S)
    float *ln2_rstd;   // (L, B, S)
    float *fch;        // (L, B, S, FW) MLP input projection (LLaMA: [gate | up])
    float *fch_gelu;   // (L, B, S, H) its activation: GELU (GPT-2) / silu(gate)·up (LLaMA)
    float *fch_tanh;   // (L, B, S, 4C) GELU's tanh, saved for the backward (GPT-2 training only)
    float *residual3;  // (L, B, S, C)
    float *lnf;        // (B, S, C)
    float *lnf_mean;   // (B, S)
    float *lnf_rstd;   // (B, S)
    float *logits;     // (B, S, Vp)
    float *proj;       // (B, S, C) scratch: attention / MLP projection output
    // backward scratch (training only)
    float *dlogits;    // (B, S, Vp) filled by the caller before gpt_backward
    float *dresidual;  // (B, S, C)
    float *dln;        // (B, S, C)
    float *datty;      // (B, S, C)
    float *dqkv;       // (B, S, W)
    float *dfch;       // (B, S, FW)
    float *dfch_gelu;  // (B, S, H)
    float *rope_cos;   // (max_S, hs/2) LLaMA rotary tables for positions 0..max_S-1 (else NULL)
    float *rope_sin;   // (max_S, hs/2)
} Activations;

/* Abacus position rows of tokens (B, S): the p-th digit of a run of consecutive digits (ids
   digit0 .. digit0+9) gets row p + offset[b] (offset NULL: 0), capped at T-1; any other token row 0. */
void gpt_abacus_positions(int32_t *pos, const int32_t *tokens, const int32_t *offset, int B, int S,
                          int digit0, int T);

/* Allocates activations for batches up to (max_B, max_S), max_S <= cfg->T. */
void acts_init(Activations *a, const GPTConfig *cfg, int max_B, int max_S, int training);
void acts_free(Activations *a);

/* Forward pass of tokens (B, S). Returns the logits (B, S, Vp), borrowed from a (valid until the
   next forward). Ids must be < Vp. */
const float *gpt_forward(Activations *a, const ParamSlab *w, const int32_t *tokens, int B, int S);

/* Backward of the last forward from a->dlogits (B, S, Vp). ACCUMULATES into grads (same layout as
   w); callers zero grads between steps. Requires a training Activations. */
void gpt_backward(ParamSlab *grads, Activations *a, const ParamSlab *w);

/* ---- KV-cache decoding ---- */

typedef struct {
    GPTConfig cfg;
    int max_B, max_S;    // cache slots and positions per slot
    float *k, *v;        // (L, max_B, max_S, KVW) cached keys (after rotary embedding) and values
    float *slab;         // owns the decode scratch below
    float *x;            // (max_B, C) residual stream of the step
    float *ln;           // (max_B, C)
    float *mean, *rstd;  // (max_B)
    float *qkv;          // (max_B, W)
    float *atty;         // (max_B, C)
    float *proj;         // (max_B, C)
    float *fch;          // (max_B, FW) (GPT-2: GELU in place)
    float *fch_act;      // (max_B, H) LLaMA: silu(gate)·up (else NULL)
    float *rope_cos;     // (max_S, hs/2) LLaMA rotary tables (else NULL)
    float *rope_sin;     // (max_S, hs/2)
    float *scores;       // (max_S)
    int32_t *digit_run;  // (max_B) ABACUS: digits ending each slot's sequence (its last run)
} KVCache;

void kv_init(KVCache *kv, const GPTConfig *cfg, int max_B, int max_S);
void kv_free(KVCache *kv);

/* Runs the prompts tokens (B, S) (right-padded; len (B) valid tokens each, 1 <= len <= S) through
   the model one prompt at a time (a may be forward-only, capacity (1, S) suffices), stores their
   keys/values in cache slots 0..B-1 and writes the logits predicting each prompt's next token to
   next_logits (B, Vp). A prompt's results depend only on the prompt (never on its batch-mates). */
void gpt_prefill(KVCache *kv, Activations *a, const ParamSlab *w, const int32_t *tokens,
                 const int32_t *len, int B, int S, float *next_logits);

/* Copies cache slot src's first len positions (every layer) into slot dst: sequences that share a
   prompt are prefilled once. */
void kv_copy_slot(KVCache *kv, int dst, int src, int len);

/* One decoding step for n sequences: sequence i sits in cache slot slot[i], feeds token tok[i] at
   position pos[i] (its current length, < max_S) and gets the logits of its next token in
   logits (n, Vp). Uses matmul_forward_rowwise, so each sequence's logits depend only on its own
   tokens, never on n or on the other sequences. */
void gpt_decode_step(KVCache *kv, const ParamSlab *w, const int *slot, const int32_t *tok,
                     const int *pos, int n, float *logits);

#endif
