/* train/judges.c — llm_judge logits and self-consistency votes; see judges.h. */
#include "train/judges.h"

#include <string.h>

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
