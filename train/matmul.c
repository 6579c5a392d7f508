/* train/matmul.c — cblas_sgemm wrappers and their naive references; see matmul.h. */
#include "train/matmul.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

// OpenBLAS extensions (declared in its cblas.h on Debian; repeated here for other BLAS headers).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

void matmul_set_threads(int threads) { openblas_set_num_threads(threads > 0 ? threads : 1); }
int matmul_get_threads(void) { return openblas_get_num_threads(); }

const char *matmul_blas_core(void) { return openblas_get_corename(); }

static int core_is(const char *core, const char *const *names) {
    for (; *names; names++)
        if (strcasecmp(core, *names) == 0) return 1;
    return 0;
}

int matmul_blas_core_advice(char *out, size_t size) {
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2[] = {"Haswell",        "Zen", "SkylakeX", "Cooperlake",
                                       "SapphireRapids", NULL};
    const char *core = matmul_blas_core();
    if (!core) return 0;
    const char *want = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        !core_is(core, avx512))
        want = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             !core_is(core, avx2))
        want = "Haswell";
    if (!want) return 0;
    snprintf(out, size,
             "OpenBLAS chose its '%s' kernels on a CPU with %s; matrix products may run several "
             "times slower (seen on virtual machines whose CPU model OpenBLAS does not know). "
             "Set OPENBLAS_CORETYPE=%s in the job's environment to use the faster kernels",
             core, strcmp(want, "SkylakeX") == 0 ? "AVX-512" : "AVX2 and FMA", want);
    return 1;
}

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

// Dot product of two C-vectors in 16 interleaved fp32 lanes (lane j sums indices ≡ j mod 16 with
// fused multiply-adds), reduced by a fixed pairwise tree, then the scalar tail. The same code for
// every (row, column) pair, hence bit-identical per row regardless of batch shape.
#define DOT_LANES 16
static inline float lane_reduce(float acc[DOT_LANES]) {
    for (int width = DOT_LANES / 2; width > 0; width /= 2)
        for (int j = 0; j < width; j++) acc[j] += acc[j + width];
    return acc[0];
}

// Four weight rows against one input row: out4[r] = x · w_r.
static inline void dot4(float out4[4], const float *x, const float *w0, const float *w1,
                        const float *w2, const float *w3, int C) {
    float a0[DOT_LANES] = {0}, a1[DOT_LANES] = {0}, a2[DOT_LANES] = {0}, a3[DOT_LANES] = {0};
    int c = 0;
    for (; c + DOT_LANES <= C; c += DOT_LANES)
        for (int j = 0; j < DOT_LANES; j++) {
            float xv = x[c + j];
            a0[j] = fmaf(xv, w0[c + j], a0[j]);
            a1[j] = fmaf(xv, w1[c + j], a1[j]);
            a2[j] = fmaf(xv, w2[c + j], a2[j]);
            a3[j] = fmaf(xv, w3[c + j], a3[j]);
        }
    float s0 = lane_reduce(a0), s1 = lane_reduce(a1), s2 = lane_reduce(a2), s3 = lane_reduce(a3);
    for (; c < C; c++) {
        s0 = fmaf(x[c], w0[c], s0);
        s1 = fmaf(x[c], w1[c], s1);
        s2 = fmaf(x[c], w2[c], s2);
        s3 = fmaf(x[c], w3[c], s3);
    }
    out4[0] = s0, out4[1] = s1, out4[2] = s2, out4[3] = s3;
}

void matmul_forward_rowwise(float *out, const float *inp, const float *weight, const float *bias,
                            int M, int C, int OC) {
    // Columns in groups of 4 (a leftover column reuses its group's last full row, so every column
    // is computed by dot4 with identical arithmetic); the 4 weight rows stay in L1 across all M.
    for (int o0 = 0; o0 < OC; o0 += 4) {
        const float *w[4];
        for (int r = 0; r < 4; r++) w[r] = weight + (size_t)(o0 + r < OC ? o0 + r : OC - 1) * C;
        for (int m = 0; m < M; m++) {
            float s[4];
            dot4(s, inp + (size_t)m * C, w[0], w[1], w[2], w[3], C);
            for (int r = 0; r < 4 && o0 + r < OC; r++)
                out[(size_t)m * OC + o0 + r] = s[r] + (bias ? bias[o0 + r] : 0.0f);
        }
    }
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
                for (int o = 0; o < OC; o++)
                    acc += dout[(size_t)n * OC + o] * weight[(size_t)o * C + c];
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
