/* train/matmul.c — cblas_sgemm wrappers and their naive references; see matmul.h. */
#include "train/matmul.h"

#include <cblas.h>
#include <string.h>

#include "util/err.h"

// OpenBLAS extensions (declared in its cblas.h on Debian; repeated here for other BLAS headers).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

void matmul_set_threads(int threads) { openblas_set_num_threads(threads > 0 ? threads : 1); }
int matmul_get_threads(void) { return openblas_get_num_threads(); }

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                    int C, int OC) {
    CHECK(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    float beta = 0.0f;
    if (bias) {
        // Seed every row with the bias so sgemm accumulates onto it (beta = 1).
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, weight, C, beta,
                out, OC);
}

void matmul_forward_ref(float *out, const float *inp, const float *weight, const float *bias, int N,
                        int C, int OC) {
    for (int n = 0; n < N; n++) {
        for (int o = 0; o < OC; o++) {
            float acc = bias ? bias[o] : 0.0f;
            for (int c = 0; c < C; c++) acc += inp[(size_t)n * C + c] * weight[(size_t)o * C + c];
            out[(size_t)n * OC + o] = acc;
        }
    }
}

void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC) {
    CHECK(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    if (dinp)  // (N, C) = (N, OC) · (OC, C)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, weight, C,
                    0.0f, dinp, C);
    // (OC, C) += (N, OC)ᵀ · (N, C)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f,
                dweight, C);
    if (dbias) {
        for (int n = 0; n < N; n++) {
            const float *row = dout + (size_t)n * OC;
            for (int o = 0; o < OC; o++) dbias[o] += row[o];
        }
    }
}

void matmul_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC) {
    if (dinp) {
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++) {
                float acc = 0.0f;
                for (int o = 0; o < OC; o++) acc += dout[(size_t)n * OC + o] * weight[(size_t)o * C + c];
                dinp[(size_t)n * C + c] = acc;
            }
    }
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++) {
            float acc = 0.0f;
            for (int n = 0; n < N; n++) acc += dout[(size_t)n * OC + o] * inp[(size_t)n * C + c];
            dweight[(size_t)o * C + c] += acc;
        }
    if (dbias)
        for (int o = 0; o < OC; o++) {
            float acc = 0.0f;
            for (int n = 0; n < N; n++) acc += dout[(size_t)n * OC + o];
            dbias[o] += acc;
        }
}
