/* train/judges.c — llm_judge logits, self-consistency and ensemble votes; see judges.h. */
#include "train/judges.h"

#include <math.h>
#include <string.h>

#include "train/generate.h"
#include "util/alloc.h"

void judge_llm_logits(float *u, Activations *a, const ParamSlab *w, const int32_t *seqs,
                      const int32_t *len, int n, int S, int32_t yes, int32_t no) {
    int Vp = w->cfg.Vp;
    for (int i0 = 0; i0 < n; i0 += a->max_B) {
        int nb = n - i0 < a->max_B ? n - i0 : a->max_B;
        // shortest S that holds this chunk: less padding, same results
        int s_used = 1;
        for (int i = 0; i < nb; i++) s_used = len[i0 + i] > s_used ? len[i0 + i] : s_used;
        const float *logits;
        if (s_used == S) {
            logits = gpt_forward(a, w, seqs + (size_t)i0 * S, nb, S);
        } else {
            int32_t *stage = xmalloc("judges", (size_t)nb * s_used * sizeof(int32_t));
            for (int i = 0; i < nb; i++)
                memcpy(stage + (size_t)i * s_used, seqs + (size_t)(i0 + i) * S,
                       (size_t)s_used * sizeof(int32_t));
            logits = gpt_forward(a, w, stage, nb, s_used);
            xfree(stage);
        }
        for (int i = 0; i < nb; i++) {
            const float *row = logits + ((size_t)i * s_used + len[i0 + i] - 1) * Vp;
            u[i0 + i] = row[yes] - row[no];
        }
    }
}

void judge_write_rationale(int32_t *seqs, int32_t *len, int n, int S, KVCache *kv, Activations *a,
                           const ParamSlab *w, int max_tokens, int32_t yes, int32_t no,
                           int32_t eos) {
    if (max_tokens <= 0 || n <= 0) return;
    int P = 1;  // prompt width of the batch: the longest judge prompt
    for (int i = 0; i < n; i++) P = len[i] > P ? len[i] : P;
    int32_t *prompts = xmalloc("judges.rationale", (size_t)n * P * sizeof(int32_t));
    int32_t *resp = xmalloc("judges.rationale", (size_t)n * max_tokens * sizeof(int32_t));
    int32_t *resp_len = xmalloc("judges.rationale", (size_t)n * sizeof(int32_t));
    uint32_t *ids = xcalloc("judges.rationale", (size_t)n, sizeof(uint32_t));  // unused by greedy
    for (int i = 0; i < n; i++) memcpy(prompts + (size_t)i * P, seqs + (size_t)i * S, (size_t)P * sizeof(int32_t));
    GenParams gp = {.max_new = max_tokens, .eos = -1, .sample = {.greedy = 1},
                    .n_stop = 3, .stop = {yes, no, eos}};
    generate(resp, resp_len, NULL, kv, a, w, prompts, len, n, P, ids, ids, &gp);
    for (int i = 0; i < n; i++) {
        int r = resp_len[i] < S - len[i] ? resp_len[i] : S - len[i];
        memcpy(seqs + (size_t)i * S + len[i], resp + (size_t)i * max_tokens, (size_t)r * sizeof(int32_t));
        len[i] += r;
    }
    xfree(prompts), xfree(resp), xfree(resp_len), xfree(ids);
}

int judge_self_consistency(float *score, const char *const *answers, int K) {
    int best = -1, best_count = 0;
    for (int k = 0; k < K; k++) {
        if (!answers[k]) {
            score[k] = 0.0f;
            continue;
        }
        int count = 0;
        for (int j = 0; j < K; j++) count += answers[j] && strcmp(answers[j], answers[k]) == 0;
        score[k] = (float)count / (float)K;
        if (count > best_count) best = k, best_count = count;
    }
    return best;
}

void judge_ensemble_vote(float *score, const char *const *answers, const int8_t *well_formed,
                         int K) {
    for (int k = 0; k < K; k++) {
        if (!answers[k] || (well_formed && !well_formed[k])) {
            score[k] = NAN;
            continue;
        }
        int count = 0;
        for (int j = 0; j < K; j++)
            count += answers[j] && (!well_formed || well_formed[j]) &&
                     strcmp(answers[j], answers[k]) == 0;
        score[k] = (float)count / (float)K;
    }
}
