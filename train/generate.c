/* train/generate.c — batched KV-cache sampling; see generate.h. */
#include "train/generate.h"

#include <string.h>

#include "train/logprob.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/err.h"

int gen_stop_string_cut(const Tokenizer *tok, const int32_t *resp, int n, const char *const *stops,
                        int n_stops) {
    if (n <= 0 || n_stops <= 0) return -1;
    // decoded end offset of every token: decode growing prefixes' lengths via one full decode of
    // each token (specials decode to nothing, so offsets stay exact)
    size_t *end = xmalloc("generate.stop", (size_t)n * sizeof(size_t));
    size_t total = 0;
    char piece[1024];
    for (int i = 0; i < n; i++) {
        total += (size_t)tokenizer_decode(tok, resp + i, 1, piece, sizeof piece);
        end[i] = total;
    }
    char *text = xmalloc("generate.stop", total + 1);
    size_t len = 0;
    for (int i = 0; i < n; i++) {  // token by token, so an EOS-like id cannot end it early
        int k = tokenizer_decode(tok, resp + i, 1, piece, sizeof piece);
        memcpy(text + len, piece, (size_t)k);
        len += (size_t)k;
    }
    text[len] = '\0';
    size_t first = (size_t)-1;
    for (int s = 0; s < n_stops; s++) {
        const char *at = stops[s][0] ? strstr(text, stops[s]) : NULL;
        if (at && (size_t)(at - text) < first) first = (size_t)(at - text);
    }
    int keep = -1;
    if (first != (size_t)-1) {
        keep = 0;
        while (keep < n && end[keep] <= first) keep++;
    }
    xfree(end);
    xfree(text);
    return keep;
}

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
    int strings = gp->stop_tok && gp->n_stop_str > 0;
    // per-token log-probs, so that a cut response's sum is of its kept tokens, in order
    double *tok_logp =
        strings && resp_logp
            ? xmalloc("generate", (size_t)nb * (gp->max_new > 0 ? gp->max_new : 1) * sizeof(double))
            : NULL;
    gpt_prefill(kv, a, w, prompts, prompt_len, nb, P, logits);
    int n_active = 0;
    for (int b = 0; b < nb; b++) {
        resp_len[b] = 0;
        if (resp_logp) resp_logp[b] = 0.0;
        memset(resp + (size_t)b * gp->max_new, 0, (size_t)gp->max_new * sizeof(int32_t));
        if (prompt_len[b] >= kv->max_S || gp->max_new <= 0) continue;
        if (n_active != b)  // keep logits row i for active[i]
            memmove(logits + (size_t)n_active * Vp, logits + (size_t)b * Vp,
                    (size_t)Vp * sizeof(float));
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
            int32_t *out = resp + (size_t)b * gp->max_new;
            if (resp_logp) {
                double lp = token_logprob(row, V, t);
                resp_logp[b] += lp;
                if (tok_logp) tok_logp[(size_t)b * gp->max_new + resp_len[b]] = lp;
            }
            out[resp_len[b]] = t;
            resp_len[b]++;
            if (strings && t != gp->eos) {
                int keep = gen_stop_string_cut(gp->stop_tok, out, resp_len[b], gp->stop_str,
                                               gp->n_stop_str);
                if (keep >= 0) {  // ends before the stop string
                    memset(out + keep, 0, (size_t)(resp_len[b] - keep) * sizeof(int32_t));
                    resp_len[b] = keep;
                    if (resp_logp) {
                        resp_logp[b] = 0.0;
                        for (int j = 0; j < keep; j++)
                            resp_logp[b] += tok_logp[(size_t)b * gp->max_new + j];
                    }
                    continue;
                }
            }
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
    xfree(tok_logp);
}

void generate(int32_t *resp, int32_t *resp_len, double *resp_logp, KVCache *kv, Activations *a,
              const ParamSlab *w, const int32_t *prompts, const int32_t *prompt_len, int n, int P,
              const uint32_t *prompt_id, const uint32_t *sample_idx, const GenParams *gp) {
    CHECKF(P <= kv->max_S && P <= a->max_S, "generate: prompt width %d exceeds cache/activations",
           P);
    int chunk = kv->max_B < a->max_B ? kv->max_B : a->max_B;
    for (int b0 = 0; b0 < n; b0 += chunk) {
        int nb = n - b0 < chunk ? n - b0 : chunk;
        generate_chunk(resp + (size_t)b0 * gp->max_new, resp_len + b0,
                       resp_logp ? resp_logp + b0 : NULL, kv, a, w, prompts + (size_t)b0 * P,
                       prompt_len + b0, nb, P, prompt_id + b0, sample_idx + b0, gp);
    }
}
