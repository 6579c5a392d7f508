/* train/matmul.h — the linear layer y = x·Wᵀ + b on row-major activations, through cblas_sgemm,
   with naive triple-loop references beside them (tests compare the two; the references document
   the math). Weights are stored (OC, C) like torch.nn.Linear and llm.c. Shapes: N rows (B*T),
   C input channels, OC output channels. */
#ifndef CONCORD_TRAIN_MATMUL_H
#define CONCORD_TRAIN_MATMUL_H

#include <stddef.h>

/* Sets the BLAS thread count for this process (one per rank unless configured). */
void matmul_set_threads(int threads);
/* Current BLAS thread count. */
int matmul_get_threads(void);
/* Name of the kernel set OpenBLAS chose for this CPU at load time (e.g. "SkylakeX"). */
const char *matmul_blas_core(void);
/* When OpenBLAS chose kernels older than the CPU supports (a generic "Prescott" on a VM whose CPU
   model it does not recognise, 4x slower sgemm measured), writes advice naming OPENBLAS_CORETYPE
   into out and returns 1; else returns 0. OpenBLAS reads that variable once, when it is loaded,
   so the fix belongs in the job's environment, not in this process. */
int matmul_blas_core_advice(char *out, size_t size);

/* out (N, OC) = inp (N, C) · weight (OC, C)ᵀ + bias (OC); bias may be NULL. */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                    int C, int OC);
void matmul_forward_ref(float *out, const float *inp, const float *weight, const float *bias, int N,
                        int C, int OC);

/* Same result as matmul_forward, for few rows (KV-cache decoding), computed so that every output
   element goes through the same fixed sequence of operations whatever M and the row's position:
   row m's result depends only on row m. Generation uses it so that a sample never depends on
   which other sequences share its batch (sgemm's blocking changes with M). */
void matmul_forward_rowwise(float *out, const float *inp, const float *weight, const float *bias,
                            int M, int C, int OC);

/* dinp (N, C) = dout · weight (overwritten, may be NULL to skip); dweight (OC, C) += doutᵀ · inp;
   dbias (OC) += column sums of dout (may be NULL). */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC);
void matmul_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC);

#endif
