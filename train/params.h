/* train/params.h — GPT-2 configuration and the parameter slab with its table of named tensors.
   All parameters live in one contiguous float slab; ParamTensors points into it. Gradients and the
   AdamW moments are slabs of the same layout (same table), so one call can broadcast, all-reduce or
   write any of them. Tensor order, names and shapes follow llm.c's GPT-2 (per-layer tensors are
   stacked on a leading L):
     wte (Vp,C) wpe (T,C) ln1_w (L,C) ln1_b (L,C) qkv_w (L,3C,C) qkv_b (L,3C)
     attn_proj_w (L,C,C) attn_proj_b (L,C) ln2_w (L,C) ln2_b (L,C) fc_w (L,4C,C) fc_b (L,4C)
     fc_proj_w (L,C,4C) fc_proj_b (L,C) lnf_w (C) lnf_b (C)
   Legend: B batch, T sequence, C channels, V vocab, Vp padded vocab, L layers, NH heads. */
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

typedef struct {
    int V;   // vocabulary size: tokens that can be sampled and whose logits count
    int Vp;  // padded vocabulary (rows of wte), Vp >= V; rows >= V are never predicted
    int T;   // maximum sequence length (rows of wpe when positions are learned)
    int C;   // channels
    int L;   // layers
    int NH;  // attention heads; C % NH == 0
    GPTPosition position;  // GPT_POS_LEARNED (0, the zero-initialised default), NONE or ABACUS
    int digit0;            // ABACUS: id of '0'; ids digit0 .. digit0+9 are the digits (else 0)
    int abacus_offset;     // ABACUS: largest random offset of a training sequence's digit rows
} GPTConfig;

/* Index of each tensor in the table, in the order above (gpt_param_table fills the slots by these
   names, so code that needs one tensor, e.g. the gradient reducer's callers, need not copy numbers). */
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

#define GPT_NUM_TENSORS 16
#define TENSOR_NAME_MAX 16
_Static_assert(TENSOR_COUNT == GPT_NUM_TENSORS, "TensorId must list every tensor of the table");

typedef struct {
    char name[TENSOR_NAME_MAX];  // e.g. "qkv_w"
    int ndim;                    // 1..3
    int64_t dims[3];             // shape, row-major
    char dims_text[24];          // symbolic shape, e.g. "(L, 3*C, C)"
    size_t offset;               // first element in the slab
    size_t count;                // product of dims
    int decay;                   // 1: AdamW weight decay applies (matrices and embeddings)
} TensorSpec;

typedef struct {
    float *wte;          // (Vp, C) token embedding, also the tied LM head
    float *wpe;          // (T, C) position embedding (ABACUS: digit positions); (0, C) with NONE
    float *ln1_w;        // (L, C)
    float *ln1_b;        // (L, C)
    float *qkv_w;        // (L, 3*C, C)
    float *qkv_b;        // (L, 3*C)
    float *attn_proj_w;  // (L, C, C)
    float *attn_proj_b;  // (L, C)
    float *ln2_w;        // (L, C)
    float *ln2_b;        // (L, C)
    float *fc_w;         // (L, 4*C, C)
    float *fc_b;         // (L, 4*C)
    float *fc_proj_w;    // (L, C, 4*C)
    float *fc_proj_b;    // (L, C)
    float *lnf_w;        // (C)
    float *lnf_b;        // (C)
} ParamTensors;

/* One slab with its table: used for weights, gradients, AdamW m and v. */
typedef struct {
    GPTConfig cfg;
    TensorSpec table[GPT_NUM_TENSORS];
    size_t n;       // total floats
    float *data;    // (n) owned; 64-byte aligned
    ParamTensors t; // pointers into data
} ParamSlab;

/* Checks a config (positive sizes, Vp >= V, C % NH == 0, sizes that fit int). Returns 0 or
   err_set(e, ...) naming the bad field. */
int gpt_config_check(const GPTConfig *cfg, ErrMsg *e) WARN_UNUSED_RESULT;

/* "learned" / "none" / "abacus"; gpt_position_parse returns 0 and sets *out, or -1 for an unknown name. */
const char *gpt_position_name(GPTPosition p);
int gpt_position_parse(const char *name, GPTPosition *out);

/* Fills table[GPT_NUM_TENSORS] (names, shapes, offsets) and returns the total number of floats. */
size_t gpt_param_table(const GPTConfig *cfg, TensorSpec table[GPT_NUM_TENSORS]);

/* Allocates a zeroed slab for cfg (label names it in memory reports). Caller frees with
   param_slab_free (safe to call twice). */
void param_slab_init(ParamSlab *s, const GPTConfig *cfg, const char *label);
void param_slab_free(ParamSlab *s);
/* Copies src's values into dst; both must have the same config. */
void param_slab_copy(ParamSlab *dst, const ParamSlab *src);
/* Index of the tensor named name, or -1. */
int param_slab_find(const ParamSlab *s, const char *name);

/* GPT-2 initialisation from seed alone: weights N(0, 0.02), residual projections (attn_proj_w,
   fc_proj_w) N(0, 0.02/sqrt(2L)), biases 0, LayerNorm weights 1. Independent of thread count. */
void gpt_init_weights(ParamSlab *w, uint64_t seed);

#endif
