/* train/generate.c — batched KV-cache sampling; see generate.h. */
#include "train/generate.h"

#include <string.h>

#include "train/logprob.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/err.h"

static int is_stop(const GenParams *gp, int32_t t) {
    for (int i = 0; i < gp->n_stop; i++)
        if (gp->stop[i] == t) return 1;
    return 0;
}

// One chunk of up to kv->max_B sequences, cache slots 0..nb-1.
static void generate_chunk(int32_t *resp, int32_t *resp_len, double *resp_logp, KVCache *kv,
                           Activations *a, const ParamSlab *w, const int32_t *prompts,
                           const int32_t *prompt_len, int nb, int P, const uint32_t *prompt_id,
                           const uint32_t *sample_idx, const GenParams *gp) {
    const GPTConfig *c = &w->cfg;
    int Vp = c->Vp, V = c->V;
    float *logits = xmalloc("generate", (size_t)nb * Vp * sizeof(float));
    float *scratch = xmalloc("generate", (size_t)2 * V * sizeof(float));
    int *active = xmalloc("generate", (size_t)nb * 3 * sizeof(int));  // slot of each live sequence
    int *pos = active + nb, *slot = active + 2 * nb;
    int32_t *tok = xmalloc("generate", (size_t)nb * sizeof(int32_t));
    gpt_prefill(kv, a, w, prompts, prompt_len, nb, P, logits);
    int n_active = 0;
    for (int b = 0; b < nb; b++) {
        resp_len[b] = 0;
        if (resp_logp) resp_logp[b] = 0.0;
        memset(resp + (size_t)b * gp->max_new, 0, (size_t)gp->max_new * sizeof(int32_t));
        if (prompt_len[b] >= kv->max_S || gp->max_new <= 0) continue;
        if (n_active != b)  // keep logits row i for active[i]
            memmove(logits + (size_t)n_active * Vp, logits + (size_t)b * Vp, (size_t)Vp * sizeof(float));
        active[n_active++] = b;
    }
    // logits row i belongs to sequence active[i]
    while (n_active > 0) {
        int n_next = 0;
        for (int i = 0; i < n_active; i++) {
            int b = active[i];
            const float *row = logits + (size_t)i * Vp;
            float u = rng_uniform_at(gp->seed, gp->round, prompt_id[b], sample_idx[b],
                                     (uint32_t)resp_len[b]);
            int t = sample_token(row, V, &gp->sample, u, scratch);
            if (is_stop(gp, t)) continue;  // ends here, t not kept
            if (resp_logp) resp_logp[b] += token_logprob(row, V, t);
            resp[(size_t)b * gp->max_new + resp_len[b]] = t;
            resp_len[b]++;
            int length = prompt_len[b] + resp_len[b];
            if (t == gp->eos || resp_len[b] >= gp->max_new || length >= kv->max_S) continue;
            // still running: feed t at position length-1
            active[n_next] = b;
            slot[n_next] = b;
            pos[n_next] = length - 1;
            tok[n_next] = t;
            n_next++;
        }
        n_active = n_next;
        if (n_active > 0) gpt_decode_step(kv, w, slot, tok, pos, n_active, logits);
    }
    xfree(logits);
    xfree(scratch);
    xfree(active);
    xfree(tok);
}

void generate(int32_t *resp, int32_t *resp_len, double *resp_logp, KVCache *kv, Activations *a,
              const ParamSlab *w, const int32_t *prompts, const int32_t *prompt_len, int n, int P,
              const uint32_t *prompt_id, const uint32_t *sample_idx, const GenParams *gp) {
    CHECKF(P <= kv->max_S && P <= a->max_S, "generate: prompt width %d exceeds cache/activations", P);
    int chunk = kv->max_B < a->max_B ? kv->max_B : a->max_B;
    for (int b0 = 0; b0 < n; b0 += chunk) {
        int nb = n - b0 < chunk ? n - b0 : chunk;
        generate_chunk(resp + (size_t)b0 * gp->max_new, resp_len + b0,
                       resp_logp ? resp_logp + b0 : NULL, kv, a, w, prompts + (size_t)b0 * P,
                       prompt_len + b0, nb, P, prompt_id + b0, sample_idx + b0, gp);
    }
}
