/* train/ops.c — GPT-2 layer kernels and their naive references; see ops.h. */
#include "train/ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define LN_EPS 1e-5f
#define GELU_SCALE 0.7978845608028654f  // sqrt(2/pi)

// ----------------------------------------------------------------------------------------------
// embedding

void encoder_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe, int B,
                     int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *we = wte + (size_t)tokens[b * T + t] * C;
            const float *pe = wpe + (size_t)t * C;
            for (int c = 0; c < C; c++) o[c] = we[c] + pe[c];
        }
}

void encoder_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens, int B,
                      int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            float *dwe = dwte + (size_t)tokens[b * T + t] * C;
            float *dpe = dwpe + (size_t)t * C;
            for (int c = 0; c < C; c++) {
                dwe[c] += d[c];
                dpe[c] += d[c];
            }
        }
}

// ----------------------------------------------------------------------------------------------
// layernorm

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float s = 0.0f;
        for (int c = 0; c < C; c++) s += x[c];
        float m = s / C;
        float v = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            v += d * d;
        }
        float r = 1.0f / sqrtf(v / C + LN_EPS);
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * r * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = r;
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C;
        const float *x = inp + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float m = mean[n], r = rstd[n];
        // two reductions: mean of dnorm and mean of dnorm * norm
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * r;
            float dnorm = weight[c] * d[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * r;
            float dnorm = weight[c] * d[c];
            dbias[c] += d[c];
            dweight[c] += norm * d[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * r;
        }
    }
}

// ----------------------------------------------------------------------------------------------
// attention

// Row-wise causal softmax of S (T,T) in place: row t keeps columns 0..t, zero beyond.
static void causal_softmax_rows(float *S, int T) {
    for (int t = 0; t < T; t++) {
        float *row = S + (size_t)t * T;
        float mx = row[0];
        for (int u = 1; u <= t; u++) mx = row[u] > mx ? row[u] : mx;
        float sum = 0.0f;
        for (int u = 0; u <= t; u++) {
            row[u] = expf(row[u] - mx);
            sum += row[u];
        }
        float inv = 1.0f / sum;
        for (int u = 0; u <= t; u++) row[u] *= inv;
        for (int u = t + 1; u < T; u++) row[u] = 0.0f;
    }
}

void attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + h * hs;  // (T, hs) rows strided by 3C
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *S = att + ((size_t)b * NH + h) * T * T;  // (T, T)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, C3, k, C3,
                        0.0f, S, T);
            causal_softmax_rows(S, T);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, S, T, v, C3,
                        0.0f, out + (size_t)b * T * C + h * hs, C);
        }
}

void attention_forward_ref(float *out, float *att, const float *qkv, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs;
                float *row = att + (((size_t)b * NH + h) * T + t) * T;
                float mx = -INFINITY;
                for (int u = 0; u <= t; u++) {
                    const float *k = qkv + ((size_t)b * T + u) * C3 + C + h * hs;
                    float dot = 0.0f;
                    for (int i = 0; i < hs; i++) dot += q[i] * k[i];
                    row[u] = dot * scale;
                    if (row[u] > mx) mx = row[u];
                }
                float sum = 0.0f;
                for (int u = 0; u <= t; u++) {
                    row[u] = expf(row[u] - mx);
                    sum += row[u];
                }
                for (int u = 0; u < T; u++) row[u] = u <= t ? row[u] / sum : 0.0f;
                float *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int u = 0; u <= t; u++) {
                    const float *v = qkv + ((size_t)b * T + u) * C3 + 2 * C + h * hs;
                    for (int i = 0; i < hs; i++) o[i] += row[u] * v[i];
                }
            }
}

void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            size_t base = (size_t)b * T * C3 + h * hs;
            const float *q = qkv + base, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + base, *dk = dq + C, *dv = dq + 2 * C;
            const float *P = att + ((size_t)b * NH + h) * T * T;  // (T, T)
            const float *dO = dout + (size_t)b * T * C + h * hs;  // (T, hs) strided by C
            float *dP = scratch;                                  // (T, T)
            // dP = dO·Vᵀ ; dV = Pᵀ·dO
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, dO, C, v, C3,
                        0.0f, dP, T);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, P, T, dO, C, 0.0f,
                        dv, C3);
            // softmax backward, row by row: dS = P ⊙ (dP − Σ_u P·dP)
            for (int t = 0; t < T; t++) {
                const float *p = P + (size_t)t * T;
                float *d = dP + (size_t)t * T;
                float dot = 0.0f;
                for (int u = 0; u <= t; u++) dot += p[u] * d[u];
                for (int u = 0; u <= t; u++) d[u] = p[u] * (d[u] - dot);
                for (int u = t + 1; u < T; u++) d[u] = 0.0f;
            }
            // dQ = scale·dS·K ; dK = scale·dSᵀ·Q
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, scale, dP, T, k, C3,
                        0.0f, dq, C3);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, scale, dP, T, q, C3,
                        0.0f, dk, C3);
        }
}

void attention_backward_ref(float *dqkv, const float *dout, const float *qkv, const float *att,
                            int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    memset(dqkv, 0, (size_t)B * T * C3 * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *p = att + (((size_t)b * NH + h) * T + t) * T;
                const float *dO = dout + ((size_t)b * T + t) * C + h * hs;
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs;
                float *dq = dqkv + ((size_t)b * T + t) * C3 + h * hs;
                float dP[t + 1];
                float dot = 0.0f;
                for (int u = 0; u <= t; u++) {
                    const float *v = qkv + ((size_t)b * T + u) * C3 + 2 * C + h * hs;
                    float *dv = dqkv + ((size_t)b * T + u) * C3 + 2 * C + h * hs;
                    float acc = 0.0f;
                    for (int i = 0; i < hs; i++) {
                        acc += dO[i] * v[i];
                        dv[i] += p[u] * dO[i];
                    }
                    dP[u] = acc;
                    dot += p[u] * acc;
                }
                for (int u = 0; u <= t; u++) {
                    float ds = p[u] * (dP[u] - dot) * scale;
                    const float *k = qkv + ((size_t)b * T + u) * C3 + C + h * hs;
                    float *dk = dqkv + ((size_t)b * T + u) * C3 + C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        dq[i] += ds * k[i];
                        dk[i] += ds * q[i];
                    }
                }
            }
}

// ----------------------------------------------------------------------------------------------
// GELU

// exp(x) for x in [-88, 0]: Cody-Waite reduction x = n·ln2 + r, degree-6 polynomial for e^r,
// scale by 2^n through the exponent bits. Branch-free so that callers' loops vectorise.
static inline float exp_nonpos(float x) {
    x = x < -87.0f ? -87.0f : x;
    float n = rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.16666667163372039795f +
                                     r * (0.041666675359010696411f +
                                          r * (0.0083333337679505348206f +
                                               r * 0.0013888889225199818611f)))));
    union {
        float f;
        int32_t i;
    } scale = {.i = ((int32_t)n + 127) << 23};
    return p * scale.f;
}

static inline float tanh_fast(float x) {
    // tanh(|x|) = (1 − e^{−2|x|}) / (1 + e^{−2|x|}); for small |x| use the odd series to keep
    // relative accuracy where 1 − e^{−2|x|} cancels.
    float a = fabsf(x);
    float e = exp_nonpos(-2.0f * a);
    float big = (1.0f - e) / (1.0f + e);
    float x2 = a * a;  // odd Taylor series through x^13, exact to float precision for |x| < 0.25
    float small =
        a * (1.0f + x2 * (-0.33333334f +
                          x2 * (0.13333334f +
                                x2 * (-0.053968254f +
                                      x2 * (0.021869488f +
                                            x2 * (-0.0088632358f + x2 * 0.0035921280f))))));
    float t = a < 0.25f ? small : big;
    return copysignf(t, x);
}

float ops_tanhf(float x) { return tanh_fast(x); }

void gelu_forward(float *out, const float *inp, int64_t N) {
    for (int64_t i = 0; i < N; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        out[i] = 0.5f * x * (1.0f + tanh_fast(u));
    }
}

void gelu_forward_ref(float *out, const float *inp, int64_t N) {
    for (int64_t i = 0; i < N; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + 0.044715f * x * x * x)));
    }
}

void gelu_backward(float *dinp, const float *inp, const float *dout, int64_t N) {
    for (int64_t i = 0; i < N; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        float th = tanh_fast(u);
        float sech2 = 1.0f - th * th;
        float local = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 0.134145f * x * x);
        dinp[i] = local * dout[i];
    }
}

void gelu_backward_ref(float *dinp, const float *inp, const float *dout, int64_t N) {
    for (int64_t i = 0; i < N; i++) {
        double x = inp[i];
        double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        double th = tanh(u);
        double local = 0.5 * (1.0 + th) +
                       0.5 * x * (1.0 - th * th) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x);
        dinp[i] = (float)(local * dout[i]);
    }
}

void residual_forward(float *out, const float *a, const float *b, int64_t N) {
    for (int64_t i = 0; i < N; i++) out[i] = a[i] + b[i];
}
