/* train/sample.c — token choice from logits (temperature, top-k, top-p, inverse CDF); see sample.h.
   The tokens are ordered by descending logit, ties by lower id (a total order, so any correct sort
   gives the same sequence): qsort, O(V log V), as GPT-2's 50257 tokens need. */
#include "train/sample.h"

#include <math.h>
#include <stdlib.h>

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

// A token in the sampling order: its logit (then its unnormalised probability) and its id.
typedef struct {
    float key;
    float id;  // exact below 2^24 (SAMPLE_MAX_V)
} Ranked;

static int by_logit_desc(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

// r (V) receives the logits and ids ordered by descending logit, ties by lower id.
static void sort_desc(Ranked *r, const float *logits, int V) {
    for (int i = 0; i < V; i++) r[i] = (Ranked){clean_logit(logits[i]), (float)i};
    qsort(r, (size_t)V, sizeof *r, by_logit_desc);
}

// Size of the smallest prefix of r (n) whose mass (key) reaches top_p of the total; at least 1.
static int nucleus_size(const Ranked *r, int n, float top_p) {
    double total = 0.0;
    for (int i = 0; i < n; i++) total += r[i].key;
    double target = (double)top_p * total, cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += r[i].key;
        if (cum >= target) return i + 1;
    }
    return n;
}

static int sample_sorted(Ranked *r, int V, const SampleParams *sp, float u) {
    // Unnormalised probabilities in sorted order, in place of the logits. The top token gets 1;
    // comparing with it first also covers infinite logits (inf - inf).
    // A NaN exponent (-inf logit at infinite temperature) means no mass.
    double inv_t = 1.0 / (double)sp->temperature, top = r[0].key;
    for (int i = 0; i < V; i++) {
        double d = ((double)r[i].key - top) * inv_t;
        r[i].key = r[i].key == top ? 1.0f : isnan(d) ? 0.0f : (float)exp(d);
    }
    int n = V;
    if (sp->top_k > 0 && sp->top_k < n) n = sp->top_k;
    if (sp->top_p < 1.0f) n = nucleus_size(r, n, sp->top_p);

    double total = 0.0;
    for (int i = 0; i < n; i++) total += r[i].key;
    if (!(u >= 0.0f)) u = 0.0f;  // also NaN
    double target = (double)u * total, cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += r[i].key;
        if (target < cum) return (int)r[i].id;
    }
    // u >= 1 (or rounding): the last kept token that has any mass; r[0].key = 1 always does.
    int last = 0;
    for (int i = 0; i < n; i++)
        if (r[i].key > 0.0f) last = i;
    return (int)r[last].id;
}

int sample_token(const float *logits, int V, const SampleParams *sp, float u, float *scratch) {
    CHECKF(V >= 1 && V <= SAMPLE_MAX_V, "sample_token: V = %d out of range", V);
    if (sp->greedy || !(sp->temperature > 0.0f)) return argmax(logits, V);
    float *buf = scratch ? scratch : xmalloc("sample_scratch", 2 * (size_t)V * sizeof(float));
    _Static_assert(sizeof(Ranked) == 2 * sizeof(float), "a Ranked is two floats of the scratch");
    Ranked *r = (Ranked *)(void *)buf;  // the 2V floats of scratch hold V pairs
    sort_desc(r, logits, V);
    int token = sample_sorted(r, V, sp, u);
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
