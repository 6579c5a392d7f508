/* train/ops_llama.c — RMSNorm, rotary embeddings and SwiGLU with their naive references; see
   ops_llama.h. The optimised kernels spread rows over train/parallel.h's threads in fixed chunks,
   so results do not depend on thread timing. */
#include "train/ops_llama.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "train/parallel.h"
#include "util/alloc.h"

// ----------------------------------------------------------------------------------------------
// RMSNorm

typedef struct {
    float *out, *rstd, *dinp, *partial;
    const float *inp, *weight, *dout, *rstd_in;
    float eps;
    int C;
} RmsJob;

static void rmsnorm_forward_rows(void *p, int64_t n0, int64_t n1, int chunk) {
    const RmsJob *j = p;
    int C = j->C;
    for (int64_t n = n0; n < n1; n++) {
        const float *x = j->inp + (size_t)n * C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++) ss += x[c] * x[c];
        float r = 1.0f / sqrtf(ss / C + j->eps);
        float *o = j->out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = j->weight[c] * (x[c] * r);
        j->rstd[n] = r;
    }
}

void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, float eps,
                     int N, int C) {
    RmsJob j = {.out = out, .rstd = rstd, .inp = inp, .weight = weight, .eps = eps, .C = C};
    parallel_for(N, rmsnorm_forward_rows, &j);
}

void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *weight, float eps,
                         int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double ss = 0.0;
        for (int c = 0; c < C; c++) ss += (double)x[c] * x[c];
        double r = 1.0 / sqrt(ss / C + eps);
        for (int c = 0; c < C; c++) out[(size_t)n * C + c] = (float)(weight[c] * (x[c] * r));
        rstd[n] = (float)r;
    }
}

// Rows [n0, n1): dinp rows, and this chunk's partial dweight (C), summed afterwards in chunk order.
static void rmsnorm_backward_rows(void *p, int64_t n0, int64_t n1, int chunk) {
    const RmsJob *j = p;
    int C = j->C;
    float *dw = j->partial + (size_t)chunk * C;
    memset(dw, 0, (size_t)C * sizeof(float));
    for (int64_t n = n0; n < n1; n++) {
        const float *d = j->dout + (size_t)n * C;
        const float *x = j->inp + (size_t)n * C;
        float *dx = j->dinp + (size_t)n * C;
        float r = j->rstd_in[n];
        float g_n_mean = 0.0f;  // mean of (weight·dout)·norm
        for (int c = 0; c < C; c++) g_n_mean += j->weight[c] * d[c] * (x[c] * r);
        g_n_mean /= C;
        for (int c = 0; c < C; c++) {
            float norm = x[c] * r;
            dw[c] += norm * d[c];
            dx[c] += (j->weight[c] * d[c] - norm * g_n_mean) * r;
        }
    }
}

void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C) {
    int chunks = parallel_threads();
    RmsJob j = {.dinp = dinp,
                .dout = dout,
                .inp = inp,
                .weight = weight,
                .rstd_in = rstd,
                .C = C,
                .partial = xcalloc("rmsnorm.partial", (size_t)chunks * C, sizeof(float))};
    parallel_for(N, rmsnorm_backward_rows, &j);
    for (int k = 0; k < chunks; k++) {
        const float *dw = j.partial + (size_t)k * C;
        for (int c = 0; c < C; c++) dweight[c] += dw[c];
    }
    xfree(j.partial);
}

void rmsnorm_backward_ref(float *dinp, float *dweight, const float *dout, const float *inp,
                          const float *weight, const float *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C, *x = inp + (size_t)n * C;
        double r = rstd[n], m = 0.0;
        for (int c = 0; c < C; c++) m += (double)weight[c] * d[c] * x[c] * r;
        m /= C;
        for (int c = 0; c < C; c++) {
            double norm = x[c] * r;
            dweight[c] += (float)(norm * d[c]);
            dinp[(size_t)n * C + c] += (float)(((double)weight[c] * d[c] - norm * m) * r);
        }
    }
}

// ----------------------------------------------------------------------------------------------
// rotary position embeddings

void rope_tables(float *cos_t, float *sin_t, int P, int hs, float theta) {
    int h2 = hs / 2;
    for (int i = 0; i < h2; i++) {
        double inv_freq = pow((double)theta, -2.0 * i / hs);
        for (int p = 0; p < P; p++) {
            double angle = p * inv_freq;
            cos_t[(size_t)p * h2 + i] = (float)cos(angle);
            sin_t[(size_t)p * h2 + i] = (float)sin(angle);
        }
    }
}

typedef struct {
    float *x;
    const float *cos_t, *sin_t;
    const int *pos;
    int T, heads, hs, width;
    float sign;  // +1: forward rotation; -1: its transpose (the backward)
} RopeJob;

// Rows [r0, r1) of the (B*T, width) buffer: rotates the first `heads` heads of each row.
static void rope_rows(void *p, int64_t r0, int64_t r1, int chunk) {
    const RopeJob *j = p;
    int h2 = j->hs / 2;
    for (int64_t r = r0; r < r1; r++) {
        int at = j->pos ? j->pos[r] : (int)(r % j->T);
        const float *c = j->cos_t + (size_t)at * h2;
        const float *s = j->sin_t + (size_t)at * h2;
        for (int h = 0; h < j->heads; h++) {
            float *x = j->x + (size_t)r * j->width + (size_t)h * j->hs;
            for (int i = 0; i < h2; i++) {
                float x1 = x[i], x2 = x[i + h2], si = j->sign * s[i];
                x[i] = x1 * c[i] - x2 * si;
                x[i + h2] = x2 * c[i] + x1 * si;
            }
        }
    }
}

static void rope_apply(float *qkv, const float *cos_t, const float *sin_t, const int *pos, int B,
                       int T, int NH, int KV, int hs, float sign) {
    RopeJob j = {.x = qkv,
                 .cos_t = cos_t,
                 .sin_t = sin_t,
                 .pos = pos,
                 .T = T,
                 .heads = NH + KV,
                 .hs = hs,
                 .width = (NH + 2 * KV) * hs,
                 .sign = sign};
    parallel_for((int64_t)B * T, rope_rows, &j);
}

void rope_forward(float *qkv, const float *cos_t, const float *sin_t, const int *pos, int B, int T,
                  int NH, int KV, int hs) {
    rope_apply(qkv, cos_t, sin_t, pos, B, T, NH, KV, hs, 1.0f);
}

void rope_backward(float *dqkv, const float *cos_t, const float *sin_t, const int *pos, int B,
                   int T, int NH, int KV, int hs) {
    rope_apply(dqkv, cos_t, sin_t, pos, B, T, NH, KV, hs, -1.0f);
}

static void rope_ref(float *qkv, const int *pos, int B, int T, int NH, int KV, int hs, float theta,
                     double sign) {
    int h2 = hs / 2, width = (NH + 2 * KV) * hs;
    for (int64_t r = 0; r < (int64_t)B * T; r++) {
        int at = pos ? pos[r] : (int)(r % T);
        for (int h = 0; h < NH + KV; h++) {
            float *x = qkv + (size_t)r * width + (size_t)h * hs;
            for (int i = 0; i < h2; i++) {
                double angle = at / pow((double)theta, 2.0 * i / hs);
                double c = cos(angle), s = sign * sin(angle), x1 = x[i], x2 = x[i + h2];
                x[i] = (float)(x1 * c - x2 * s);
                x[i + h2] = (float)(x2 * c + x1 * s);
            }
        }
    }
}

void rope_forward_ref(float *qkv, const int *pos, int B, int T, int NH, int KV, int hs,
                      float theta) {
    rope_ref(qkv, pos, B, T, NH, KV, hs, theta, 1.0);
}

void rope_backward_ref(float *dqkv, const int *pos, int B, int T, int NH, int KV, int hs,
                       float theta) {
    rope_ref(dqkv, pos, B, T, NH, KV, hs, theta, -1.0);
}

// ----------------------------------------------------------------------------------------------
// SwiGLU

// e^x for x <= 0 (0 below -87, where e^x is under FLT_MIN, as libm's expf flushes it there soon
// after): x = n·ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^6 (relative error ~1e-7),
// times 2^n built in the exponent bits. Branch-free, unlike libm's expf, so the SwiGLU row loops vectorise: with
// expf they took ~6% of a SmolLM2-135M DPO step (bench/README.md).
static inline float exp_nonpositive(float x) {
    int under = x < -87.0f;
    x = under ? -87.0f : x;
    float n = rintf(x * 1.44269504088896341f);                              // x / ln2, rounded
    float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-6f;  // ln2 in two parts
    float p =
        1.0f +
        r * (1.0f + r * (1.0f / 2 +
                         r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    union {
        float f;
        int32_t i;
    } two_n = {.i = ((int32_t)n + 127) << 23};
    return under ? 0.0f : p * two_n.f;
}

// σ(g) = 1 / (1 + e^-g) from e = e^-|g| <= 1, so no exponential overflows: σ(|g|) = 1 / (1 + e)
// and σ(-|g|) = e / (1 + e).
static inline float sigmoid(float g) {
    float e = exp_nonpositive(g < 0.0f ? g : -g);
    float s = 1.0f / (1.0f + e);
    return g < 0.0f ? e * s : s;
}

typedef struct {
    float *out;
    const float *inp, *dout;
    int F;
} SwigluJob;

static void swiglu_forward_rows(void *p, int64_t n0, int64_t n1, int chunk) {
    const SwigluJob *j = p;
    int F = j->F;
    for (int64_t n = n0; n < n1; n++) {
        const float *gate = j->inp + (size_t)n * 2 * F, *up = gate + F;
        float *o = j->out + (size_t)n * F;
        for (int i = 0; i < F; i++) o[i] = gate[i] * sigmoid(gate[i]) * up[i];
    }
}

void swiglu_forward(float *out, const float *inp, int64_t N, int F) {
    SwigluJob j = {.out = out, .inp = inp, .F = F};
    parallel_for(N, swiglu_forward_rows, &j);
}

void swiglu_forward_ref(float *out, const float *inp, int64_t N, int F) {
    for (int64_t n = 0; n < N; n++)
        for (int i = 0; i < F; i++) {
            double g = inp[(size_t)n * 2 * F + i], u = inp[(size_t)n * 2 * F + F + i];
            out[(size_t)n * F + i] = (float)(g / (1.0 + exp(-g)) * u);
        }
}

static void swiglu_backward_rows(void *p, int64_t n0, int64_t n1, int chunk) {
    const SwigluJob *j = p;
    int F = j->F;
    for (int64_t n = n0; n < n1; n++) {
        const float *gate = j->inp + (size_t)n * 2 * F, *up = gate + F,
                    *d = j->dout + (size_t)n * F;
        float *dgate = j->out + (size_t)n * 2 * F, *dup = dgate + F;
        for (int i = 0; i < F; i++) {
            float g = gate[i], sig = sigmoid(g);
            dgate[i] = d[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
            dup[i] = d[i] * g * sig;
        }
    }
}

void swiglu_backward(float *dinp, const float *inp, const float *dout, int64_t N, int F) {
    SwigluJob j = {.out = dinp, .inp = inp, .dout = dout, .F = F};
    parallel_for(N, swiglu_backward_rows, &j);
}

void swiglu_backward_ref(float *dinp, const float *inp, const float *dout, int64_t N, int F) {
    for (int64_t n = 0; n < N; n++)
        for (int i = 0; i < F; i++) {
            double g = inp[(size_t)n * 2 * F + i], u = inp[(size_t)n * 2 * F + F + i];
            double d = dout[(size_t)n * F + i], sig = 1.0 / (1.0 + exp(-g));
            dinp[(size_t)n * 2 * F + i] = (float)(d * u * sig * (1.0 + g * (1.0 - sig)));
            dinp[(size_t)n * 2 * F + F + i] = (float)(d * g * sig);
        }
}
