/* train/sample.c — token choice from logits (temperature, top-k, top-p, inverse CDF); see sample.h.
   V is small (tens to hundreds of tokens), so the tokens are ordered by a plain insertion sort:
   clarity over speed. */
#include "train/sample.h"

#include <math.h>

#include "util/alloc.h"
#include "util/err.h"

#define SAMPLE_MAX_V (1 << 24)  // ids are kept in float scratch, exact below 2^24

static float clean_logit(float x) { return isnan(x) ? -INFINITY : x; }

// Largest logit, ties to the lowest id.
static int argmax(const float *logits, int V) {
    int best = 0;
    float best_v = clean_logit(logits[0]);
    for (int i = 1; i < V; i++) {
        float x = clean_logit(logits[i]);
        if (x > best_v) {
            best_v = x;
            best = i;
        }
    }
    return best;
}

// key (V) and id (V) receive the logits and ids ordered by descending logit, ties by lower id.
// Insertion in id order with a strict comparison keeps equal logits in id order.
static void sort_desc(float *key, float *id, const float *logits, int V) {
    for (int i = 0; i < V; i++) {
        float x = clean_logit(logits[i]);
        int j = i;
        while (j > 0 && key[j - 1] < x) {
            key[j] = key[j - 1];
            id[j] = id[j - 1];
            j--;
        }
        key[j] = x;
        id[j] = (float)i;
    }
}

// Size of the smallest prefix of p (n) whose mass reaches top_p of the total; at least 1.
static int nucleus_size(const float *p, int n, float top_p) {
    double total = 0.0;
    for (int i = 0; i < n; i++) total += p[i];
    double target = (double)top_p * total, cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += p[i];
        if (cum >= target) return i + 1;
    }
    return n;
}

static int sample_sorted(float *key, const float *id, int V, const SampleParams *sp, float u) {
    // Unnormalised probabilities in sorted order, in place of the logits. The top token gets 1;
    // comparing with it first also covers infinite logits (inf - inf).
    // A NaN exponent (-inf logit at infinite temperature) means no mass.
    double inv_t = 1.0 / (double)sp->temperature, top = key[0];
    for (int i = 0; i < V; i++) {
        double d = ((double)key[i] - top) * inv_t;
        key[i] = key[i] == top ? 1.0f : isnan(d) ? 0.0f : (float)exp(d);
    }
    int n = V;
    if (sp->top_k > 0 && sp->top_k < n) n = sp->top_k;
    if (sp->top_p < 1.0f) n = nucleus_size(key, n, sp->top_p);

    double total = 0.0;
    for (int i = 0; i < n; i++) total += key[i];
    if (!(u >= 0.0f)) u = 0.0f;  // also NaN
    double target = (double)u * total, cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += key[i];
        if (target < cum) return (int)id[i];
    }
    // u >= 1 (or rounding): the last kept token that has any mass; key[0] = 1 always does.
    int last = 0;
    for (int i = 0; i < n; i++)
        if (key[i] > 0.0f) last = i;
    return (int)id[last];
}

int sample_token(const float *logits, int V, const SampleParams *sp, float u, float *scratch) {
    CHECKF(V >= 1 && V <= SAMPLE_MAX_V, "sample_token: V = %d out of range", V);
    if (sp->greedy || !(sp->temperature > 0.0f)) return argmax(logits, V);
    float *buf = scratch ? scratch : xmalloc("sample_scratch", 2 * (size_t)V * sizeof(float));
    sort_desc(buf, buf + V, logits, V);
    int token = sample_sorted(buf, buf + V, V, sp, u);
    if (!scratch) xfree(buf);
    return token;
}

float sample_logprob(const float *logits, int V, int token) {
    CHECKF(V >= 1 && token >= 0 && token < V, "sample_logprob: token %d outside [0, %d)", token, V);
    double top = clean_logit(logits[argmax(logits, V)]);
    double x = clean_logit(logits[token]);
    if (!isfinite(top)) {  // all -inf, or some +inf: uniform over the tokens tied for the top
        int ties = 0;
        for (int i = 0; i < V; i++) ties += clean_logit(logits[i]) == top;
        return x == top ? (float)-log((double)ties) : -INFINITY;
    }
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += exp((double)clean_logit(logits[i]) - top);
    return (float)(x - top - log(sum));
}
