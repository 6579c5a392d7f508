/* train/logprob.c — sequence log-probs and their backward; see logprob.h. */
#include "train/logprob.h"

#include <math.h>
#include <string.h>

#include "util/err.h"

// max and log Σ exp of a logits row over the first V entries.
static void row_logsumexp(const float *row, int V, float *mx_out, double *lse_out) {
    float mx = row[0];
    for (int v = 1; v < V; v++) mx = row[v] > mx ? row[v] : mx;
    double sum = 0.0;
    for (int v = 0; v < V; v++) sum += exp((double)(row[v] - mx));
    *mx_out = mx;
    *lse_out = (double)mx + log(sum);
}

double token_logprob(const float *logits_row, int V, int token) {
    float mx;
    double lse;
    row_logsumexp(logits_row, V, &mx, &lse);
    return (double)logits_row[token] - lse;
}

static void check_spans(const int32_t *resp_start, const int32_t *len, int b, int S) {
    CHECKF(resp_start[b] >= 1 && resp_start[b] <= len[b] && len[b] <= S,
           "seq_logprob: sequence %d has resp_start %d, len %d (S=%d)", b, resp_start[b], len[b],
           S);
}

void seq_logprob_forward(double *logp, const float *logits, const int32_t *tokens,
                         const int32_t *resp_start, const int32_t *len, int B, int S, int V,
                         int Vp) {
    for (int b = 0; b < B; b++) {
        check_spans(resp_start, len, b, S);
        double acc = 0.0;
        for (int t = resp_start[b]; t < len[b]; t++) {
            int tok = tokens[(size_t)b * S + t];
            CHECKF(tok >= 0 && tok < V, "seq_logprob: token %d outside vocabulary %d", tok, V);
            acc += token_logprob(logits + ((size_t)b * S + t - 1) * Vp, V, tok);
        }
        logp[b] = acc;
    }
}

void seq_logprob_backward(float *dlogits, const double *dlogp, const float *logits,
                          const int32_t *tokens, const int32_t *resp_start, const int32_t *len,
                          int B, int S, int V, int Vp) {
    memset(dlogits, 0, (size_t)B * S * Vp * sizeof(float));
    for (int b = 0; b < B; b++) {
        check_spans(resp_start, len, b, S);
        for (int t = resp_start[b]; t < len[b]; t++) {
            const float *row = logits + ((size_t)b * S + t - 1) * Vp;
            float *drow = dlogits + ((size_t)b * S + t - 1) * Vp;
            float mx;
            double lse;
            row_logsumexp(row, V, &mx, &lse);
            double g = dlogp[b];
            for (int v = 0; v < V; v++) drow[v] = (float)(-g * exp((double)row[v] - lse));
            drow[tokens[(size_t)b * S + t]] += (float)g;
        }
    }
}
