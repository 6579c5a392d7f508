/* train/sft.c — SFT objective; see sft.h. */
#include "train/sft.h"

#include "train/logprob.h"
#include "util/alloc.h"
#include "util/err.h"

int64_t sft_response_tokens(const int32_t *resp_start, const int32_t *len, int B) {
    int64_t n = 0;
    for (int b = 0; b < B; b++) n += len[b] - resp_start[b];
    return n;
}

double sft_train_batch(Activations *a, const ParamSlab *w, ParamSlab *grads, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, int B, int S,
                       int64_t norm_tokens) {
    const GPTConfig *c = &w->cfg;
    int64_t n_tok = norm_tokens > 0 ? norm_tokens : sft_response_tokens(resp_start, len, B);
    CHECKF(n_tok > 0, "sft_train_batch: batch has no response tokens");
    const float *logits = gpt_forward(a, w, tokens, B, S);
    double *logp = xmalloc("sft", (size_t)B * 2 * sizeof(double)), *dlogp = logp + B;
    seq_logprob_forward(logp, logits, tokens, resp_start, len, B, S, c->V, c->Vp);
    double nll = 0.0;
    for (int b = 0; b < B; b++) {
        nll -= logp[b];
        dlogp[b] = -1.0 / (double)n_tok;
    }
    seq_logprob_backward(a->dlogits, dlogp, logits, tokens, resp_start, len, B, S, c->V, c->Vp);
    gpt_backward(grads, a, w);
    xfree(logp);
    return nll;
}
