/* train/params.h — model configuration (two architectures) and the parameter slab with its table
   of named tensors. All parameters live in one contiguous float slab; ParamTensors points into it.
   Gradients and the AdamW moments are slabs of the same layout (same table), so one call can
   broadcast, all-reduce or write any of them. Per-layer tensors are stacked on a leading L.
   GPT-2 (arch "gpt2"): order, names and shapes follow llm.c's GPT-2:
     wte (Vp,C) wpe (T,C) ln1_w (L,C) ln1_b (L,C) qkv_w (L,3C,C) qkv_b (L,3C)
     attn_proj_w (L,C,C) attn_proj_b (L,C) ln2_w (L,C) ln2_b (L,C) fc_w (L,4C,C) fc_b (L,4C)
     fc_proj_w (L,C,4C) fc_proj_b (L,C) lnf_w (C) lnf_b (C)
   LLaMA (arch "llama"): RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention, no biases:
     wte (Vp,C) attn_norm_w (L,C) qkv_w (L,(NH+2KV)hs,C) attn_proj_w (L,C,C) mlp_norm_w (L,C)
     gate_up_w (L,2F,C) down_w (L,C,F) norm_w (C) [lm_head (Vp,C) when the head is untied]
   qkv_w stacks the q rows (NH·hs), then k (KV·hs), then v (KV·hs); gate_up_w the gate rows (F),
   then up (F). Hugging Face's separate q/k/v and gate/up projections are these row blocks.
   Legend: B batch, T sequence, C channels, V vocab, Vp padded vocab, L layers, NH heads,
   KV key/value heads, hs = C/NH head size, F MLP hidden width. */
#ifndef CONCORD_TRAIN_PARAMS_H
#define CONCORD_TRAIN_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Position encoding. LEARNED adds wpe rows (llm.c's GPT-2); NONE (NoPE) relies on causal
   attention alone: wpe keeps its table slot with zero rows, and T is only a buffer size, not a
   trained limit. ABACUS (digit positions) adds wpe row p to a digit that is the p-th of its run of
   consecutive digits (1-based), and row 0 to every other token, so digit i of every number in a
   sequence shares one embedding and attention can align them whatever the numbers' lengths.
   Training shifts each sequence's digit rows by a random offset in 0..abacus_offset, so rows past
   the trained lengths are trained too; inference uses offset 0. Runs past row T-1 share row T-1. */
typedef enum { GPT_POS_LEARNED = 0, GPT_POS_NONE = 1, GPT_POS_ABACUS = 2 } GPTPosition;

/* Architecture. GPT2 (0, the zero-initialised default) is llm.c's GPT-2; LLAMA the LLaMA family
   (LlamaForCausalLM, e.g. SmolLM2). */
typedef enum { GPT_ARCH_GPT2 = 0, GPT_ARCH_LLAMA = 1 } ModelArch;

typedef struct {
    ModelArch arch;  // GPT_ARCH_GPT2 or GPT_ARCH_LLAMA
    int V;           // vocabulary size: tokens that can be sampled and whose logits count
    int Vp;          // padded vocabulary (rows of wte), Vp >= V; rows >= V are never predicted
    int T;           // maximum sequence length (rows of wpe when positions are learned)
    int C;           // channels
    int L;           // layers
    int NH;          // attention heads; C % NH == 0
    GPTPosition position;  // GPT_POS_LEARNED (0, the zero-initialised default), NONE or ABACUS
    int digit0;            // ABACUS: id of '0'; ids digit0 .. digit0+9 are the digits (else 0)
    int abacus_offset;     // ABACUS: largest random offset of a training sequence's digit rows
    // LLAMA only (zero for GPT2, which gpt_config_check enforces, so configs compare with memcmp):
    int KV;            // key/value heads; NH % KV == 0 (KV == NH: plain multi-head attention)
    int F;             // MLP hidden width (Hugging Face's intermediate_size)
    float rope_theta;  // rotary base (> 0)
    float norm_eps;    // RMSNorm epsilon (> 0)
    int untied;        // 1: a separate lm_head tensor; 0: the LM head is wte
} GPTConfig;

/* Derived widths, valid for both architectures. */
static inline int gpt_kv_heads(const GPTConfig *c) {
    return c->arch == GPT_ARCH_LLAMA ? c->KV : c->NH;
}
static inline int gpt_head_size(const GPTConfig *c) { return c->C / c->NH; }
/* Row width of qkv: (NH + 2·KV)·hs (GPT-2: 3C). */
static inline int gpt_qkv_width(const GPTConfig *c) {
    return (c->NH + 2 * gpt_kv_heads(c)) * gpt_head_size(c);
}
/* MLP hidden width after the activation (GPT-2: 4C; LLaMA: F). */
static inline int gpt_ffn_width(const GPTConfig *c) {
    return c->arch == GPT_ARCH_LLAMA ? c->F : 4 * c->C;
}
/* Row width of fc_w / gate_up_w's output (GPT-2: 4C; LLaMA: 2F, gate then up). */
static inline int gpt_fc_width(const GPTConfig *c) {
    return c->arch == GPT_ARCH_LLAMA ? 2 * c->F : 4 * c->C;
}

/* Index of each GPT-2 tensor in its table, in the order above (gpt_param_table fills the slots by
   these names, so code that needs one tensor need not copy numbers). */
typedef enum {
    TENSOR_WTE,
    TENSOR_WPE,
    TENSOR_LN1_W,
    TENSOR_LN1_B,
    TENSOR_QKV_W,
    TENSOR_QKV_B,
    TENSOR_ATTN_PROJ_W,
    TENSOR_ATTN_PROJ_B,
    TENSOR_LN2_W,
    TENSOR_LN2_B,
    TENSOR_FC_W,
    TENSOR_FC_B,
    TENSOR_FC_PROJ_W,
    TENSOR_FC_PROJ_B,
    TENSOR_LNF_W,
    TENSOR_LNF_B,
    TENSOR_COUNT
} TensorId;

/* Index of each LLaMA tensor in its table; LLAMA_LM_HEAD exists only when the head is untied. */
typedef enum {
    LLAMA_WTE,
    LLAMA_ATTN_NORM_W,
    LLAMA_QKV_W,
    LLAMA_ATTN_PROJ_W,
    LLAMA_MLP_NORM_W,
    LLAMA_GATE_UP_W,
    LLAMA_DOWN_W,
    LLAMA_NORM_W,
    LLAMA_LM_HEAD,
    LLAMA_TENSOR_COUNT
} LlamaTensorId;

#define GPT_NUM_TENSORS 16  // tensors of a GPT-2 table
#define MAX_TENSORS     16  // capacity of a table, any architecture
#define TENSOR_NAME_MAX 16
_Static_assert(TENSOR_COUNT == GPT_NUM_TENSORS, "TensorId must list every tensor of the table");
_Static_assert(LLAMA_TENSOR_COUNT <= MAX_TENSORS, "a LLaMA table must fit MAX_TENSORS");

typedef struct {
    char name[TENSOR_NAME_MAX];  // e.g. "qkv_w"
    int ndim;                    // 1..3
    int64_t dims[3];             // shape, row-major
    char dims_text[24];          // symbolic shape, e.g. "(L, 3*C, C)"
    size_t offset;               // first element in the slab
    size_t count;                // product of dims
    int decay;                   // 1: AdamW weight decay applies (matrices and embeddings)
    int stacked;                 // 1: per-layer, dims[0] == L (final after that layer's backward)
    int head;                    // 1: after the layers (final norm, untied LM head): final when
                                 //    the backward reports layer -1
} TensorSpec;

/* Pointers by role, shared by both architectures; a tensor the architecture lacks is NULL.
   W = gpt_qkv_width, FW = gpt_fc_width, H = gpt_ffn_width (GPT-2: 3C, 4C, 4C). */
typedef struct {
    float *wte;    // (Vp, C) token embedding, also the LM head unless lm_head is set
    float *wpe;    // GPT-2: (T, C) position embedding (ABACUS: digit positions); (0, C) with NONE
    float *ln1_w;  // (L, C) LayerNorm (GPT-2) / RMSNorm (LLaMA attn_norm_w) weight
    float *ln1_b;  // (L, C) GPT-2
    float *qkv_w;  // (L, W, C)
    float *qkv_b;  // (L, W) GPT-2
    float *attn_proj_w;  // (L, C, C)
    float *attn_proj_b;  // (L, C) GPT-2
    float *ln2_w;        // (L, C) LayerNorm / RMSNorm (LLaMA mlp_norm_w) weight
    float *ln2_b;        // (L, C) GPT-2
    float *fc_w;         // (L, FW, C) GPT-2 fc_w / LLaMA gate_up_w
    float *fc_b;         // (L, FW) GPT-2
    float *fc_proj_w;    // (L, C, H) GPT-2 fc_proj_w / LLaMA down_w
    float *fc_proj_b;    // (L, C) GPT-2
    float *lnf_w;        // (C) final LayerNorm / RMSNorm (LLaMA norm_w) weight
    float *lnf_b;        // (C) GPT-2
    float *lm_head;      // (Vp, C) LLaMA with an untied head
} ParamTensors;

/* One slab with its table: used for weights, gradients, AdamW m and v. */
typedef struct {
    GPTConfig cfg;
    int ntensors;  // entries of table: GPT_NUM_TENSORS, or 8 / 9 for LLaMA (tied / untied)
    TensorSpec table[MAX_TENSORS];
    size_t n;        // total floats
    float *data;     // (n) owned; 64-byte aligned
    ParamTensors t;  // pointers into data
} ParamSlab;

/* Checks a config (positive sizes, Vp >= V, C % NH == 0, NH % KV == 0, theta and eps > 0 for
   LLaMA, sizes that fit int). Returns 0 or err_set(e, ...) naming the bad field. */
int gpt_config_check(const GPTConfig *cfg, ErrMsg *e) WARN_UNUSED_RESULT;

/* "gpt2" / "llama"; gpt_arch_parse returns 0 and sets *out, or -1 for an unknown name. */
const char *gpt_arch_name(ModelArch a);
int gpt_arch_parse(const char *name, ModelArch *out);

/* "learned" / "none" / "abacus"; gpt_position_parse returns 0 and sets *out, or -1 for an unknown name. */
const char *gpt_position_name(GPTPosition p);
int gpt_position_parse(const char *name, GPTPosition *out);

/* Fills table[MAX_TENSORS] (names, shapes, offsets), sets *ntensors to its entries and returns the
   total number of floats. */
size_t gpt_param_table(const GPTConfig *cfg, TensorSpec table[MAX_TENSORS], int *ntensors);

/* Allocates a zeroed slab for cfg (label names it in memory reports). Caller frees with
   param_slab_free (safe to call twice). */
void param_slab_init(ParamSlab *s, const GPTConfig *cfg, const char *label);
void param_slab_free(ParamSlab *s);
/* Copies src's values into dst; both must have the same config. */
void param_slab_copy(ParamSlab *dst, const ParamSlab *src);
/* Index of the tensor named name, or -1. */
int param_slab_find(const ParamSlab *s, const char *name);

/* GPT-2 initialisation from seed alone: weights N(0, 0.02), residual projections (attn_proj_w,
   fc_proj_w / down_w) N(0, 0.02/sqrt(2L)), biases 0, norm weights 1 (both architectures).
   Independent of thread count. */
void gpt_init_weights(ParamSlab *w, uint64_t seed);

#endif
