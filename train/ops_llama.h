/* train/ops_llama.h — the layer kernels the LLaMA architecture adds to GPT-2's (train/ops.h):
   RMSNorm, rotary position embeddings (Hugging Face's rotate-half layout) and the SwiGLU MLP
   activation. Grouped-query attention is attention_forward/backward with KV < NH (train/ops.h).
   As in ops.h, backward kernels ACCUMULATE into parameter gradients; rmsnorm_backward also
   accumulates into dinp (the residual stream collects both branches), the others overwrite.
   Each kernel has a naive `_ref` twin (double arithmetic, no tables) used by the tests.
   Legend: N rows (B*T), C channels, NH query heads, KV key/value heads, hs head size (even),
   F MLP hidden width. */
#ifndef CONCORD_TRAIN_OPS_LLAMA_H
#define CONCORD_TRAIN_OPS_LLAMA_H

#include <stdint.h>

/* out (N,C) = weight · x · rstd with rstd (N) = 1/sqrt(mean(x²) + eps), saved for the backward. */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, float eps,
                     int N, int C);
void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *weight, float eps,
                         int N, int C);
/* dinp (N,C) += rstd·(g − n·mean(g·n)) with n = x·rstd, g = weight·dout; dweight (C) += Σ n·dout. */
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C);
void rmsnorm_backward_ref(float *dinp, float *dweight, const float *dout, const float *inp,
                          const float *weight, const float *rstd, int N, int C);

/* Rotary tables cos, sin (P, hs/2) for positions 0..P-1: angle(p, i) = p·theta^(−2i/hs),
   computed in double and rounded once. */
void rope_tables(float *cos_t, float *sin_t, int P, int hs, float theta);
/* Rotates, in place, the NH query heads and KV key heads at the start of every row of qkv
   (B,T,(NH+2KV)·hs) (the value heads are left alone). Row (b,t) sits at position pos[b*T+t], or t
   when pos is NULL; positions must be rows of the tables. For i < hs/2 with (c, s) = the tables
   at (position, i): x[i] ← x[i]·c − x[i+hs/2]·s, x[i+hs/2] ← x[i+hs/2]·c + x[i]·s. */
void rope_forward(float *qkv, const float *cos_t, const float *sin_t, const int *pos, int B, int T,
                  int NH, int KV, int hs);
void rope_forward_ref(float *qkv, const int *pos, int B, int T, int NH, int KV, int hs,
                      float theta);
/* The backward of rope_forward, in place on dqkv (same layout): the transposed rotation of the
   query and key gradients, d[i] ← d[i]·c + d[i+hs/2]·s, d[i+hs/2] ← d[i+hs/2]·c − d[i]·s. */
void rope_backward(float *dqkv, const float *cos_t, const float *sin_t, const int *pos, int B,
                   int T, int NH, int KV, int hs);
void rope_backward_ref(float *dqkv, const int *pos, int B, int T, int NH, int KV, int hs,
                       float theta);

/* SwiGLU: inp (N, 2F) rows are [gate | up]; out (N, F) = silu(gate)·up, silu(x) = x/(1 + e^−x). */
void swiglu_forward(float *out, const float *inp, int64_t N, int F);
void swiglu_forward_ref(float *out, const float *inp, int64_t N, int F);
/* dinp (N, 2F) overwritten: dgate = dout·up·silu'(gate), dup = dout·silu(gate), with
   silu'(x) = σ(x)·(1 + x·(1 − σ(x))). */
void swiglu_backward(float *dinp, const float *inp, const float *dout, int64_t N, int F);
void swiglu_backward_ref(float *dinp, const float *inp, const float *dout, int64_t N, int F);

#endif
