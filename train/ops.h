/* train/ops.h — the GPT-2 layer kernels other than the linear layer (train/matmul.h): token and
   position embedding, LayerNorm, causal multi-head (and grouped-query) attention, GELU (tanh
   approximation), residual add; LLaMA's RMSNorm, RoPE and SwiGLU are in train/ops_llama.h.
   Forward kernels write their outputs; backward kernels ACCUMULATE (+=) into parameter gradients
   and OVERWRITE activation gradients unless noted (layernorm_backward accumulates). Each
   optimised kernel has a naive `_ref` twin used by the tests. Legend: B batch, T sequence,
   C channels, NH heads, KV key/value heads, hs = C/NH, N = B*T rows. */
#ifndef CONCORD_TRAIN_OPS_H
#define CONCORD_TRAIN_OPS_H

#include <stdint.h>

/* out (B,T,C) = wte[tokens] + wpe[t]. */
void encoder_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe, int B,
                     int T, int C);
/* dwte (Vp,C) += per-token sums of dout; dwpe (T,C) += per-position sums of dout (B,T,C). */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens, int B,
                      int T, int C);
/* Embedding with explicit position rows (abacus positions): out (N,C) = wte[tokens] + wpe[pos];
   the backward adds dout (N,C) into those rows of dwte (Vp,C) and dwpe (T,C). */
void encoder_forward_ids(float *out, const int32_t *tokens, const int32_t *pos, const float *wte,
                         const float *wpe, int N, int C);
void encoder_backward_ids(float *dwte, float *dwpe, const float *dout, const int32_t *tokens,
                          const int32_t *pos, int N, int C);

/* out (N,C) = (inp - mean)·rstd·weight + bias; saves mean (N), rstd (N) for the backward. eps 1e-5. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, int N, int C);
/* dinp (N,C) +=, dweight (C) +=, dbias (C) +=. Accumulating into dinp lets the residual stream's
   gradient collect both branches without an extra pass. */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int N, int C);

/* Causal attention with NH query heads and KV key/value heads (NH % KV == 0; KV = NH is plain
   multi-head attention, GPT-2's case). qkv (B,T,W) rows are [q (NH·hs) | k (KV·hs) | v (KV·hs)],
   W = (NH+2KV)·hs (GPT-2: 3C); query head h reads key/value head h/(NH/KV) (grouped-query
   attention). out (B,T,C); att (B,NH,T,T) softmax probabilities saved for the backward (row t is
   zero beyond column t). Matmuls per (b, head) through sgemm (faster here than hand-vectorised
   causal loops, even on two threads: measured). */
void attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH,
                       int KV);
void attention_forward_ref(float *out, float *att, const float *qkv, int B, int T, int C, int NH,
                           int KV);
/* dqkv (B,T,W) overwritten; a key/value head's gradient sums over the query heads of its group. */
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH, int KV);
void attention_backward_ref(float *dqkv, const float *dout, const float *qkv, const float *att,
                            int B, int T, int C, int NH, int KV);

/* GELU, tanh approximation: out (N) = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). */
void gelu_forward(float *out, const float *inp, int64_t N);
void gelu_forward_ref(float *out, const float *inp, int64_t N);
/* gelu_forward that also saves th (N) = tanh(√(2/π)(x + 0.044715x³)) for the backward. */
void gelu_forward_tanh(float *out, float *th, const float *inp, int64_t N);
/* gelu_backward from the saved th (no tanh recomputed). */
void gelu_backward_tanh(float *dinp, const float *inp, const float *th, const float *dout,
                        int64_t N);
/* dinp (N) = gelu'(inp)·dout (overwritten). */
void gelu_backward(float *dinp, const float *inp, const float *dout, int64_t N);
void gelu_backward_ref(float *dinp, const float *inp, const float *dout, int64_t N);

/* out (N) = a + b (out may alias a). */
void residual_forward(float *out, const float *a, const float *b, int64_t N);

/* tanh(x) to ~1e-7 relative error, written so loops over it vectorise (no libm call). */
float ops_tanhf(float x);

#endif
