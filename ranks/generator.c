/* ranks/generator.c — round prompts (samples.h) and the generator role (generator.h). */
#include <string.h>

#include "comm/exchange.h"
#include "ranks/generator.h"
#include "train/generate.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/progress.h"

void samples_init(RoundSamples *s, RunCtx *ctx, int round) {
    memset(s, 0, sizeof *s);
    const Config *c = &ctx->cfg;
    s->round = round;
    s->P = (int)task_split_size(&ctx->task, TASK_SPLIT_ROUND);
    s->K = c->generate.samples_per_prompt;
    s->R = c->generate.max_new_tokens;
    s->J = c->n_judges;
    int T = ctx->model.T, P = s->P;
    s->items = xmalloc("samples", (size_t)P * sizeof(TaskItem));
    int32_t *enc = xmalloc("samples", (size_t)P * T * sizeof(int32_t));
    s->prompt_len = xmalloc("samples", (size_t)P * sizeof(int32_t));
    s->W = 1;
    for (int p = 0; p < P; p++) {
        task_item(&ctx->task, TASK_SPLIT_ROUND, round, p, &s->items[p]);
        ErrMsg e;
        int n = task_encode_prompt(&ctx->tok, s->items[p].prompt, s->R, enc + (size_t)p * T, T, &e);
        CHECKF(n > 0, "round %d prompt %d: %s", round, p, e.msg);  // validated at load
        s->prompt_len[p] = n;
        s->W = n > s->W ? n : s->W;
    }
    s->prompts = xcalloc("samples", (size_t)P * s->W, sizeof(int32_t));
    for (int p = 0; p < P; p++)
        memcpy(s->prompts + (size_t)p * s->W, enc + (size_t)p * T,
               (size_t)s->prompt_len[p] * sizeof(int32_t));
    xfree(enc);
}

void samples_free(RoundSamples *s) {
    xfree(s->items), xfree(s->prompts), xfree(s->prompt_len), xfree(s->resp), xfree(s->resp_len);
    xfree(s->resp_logp), xfree(s->scores), xfree(s->correct);
    memset(s, 0, sizeof *s);
}

void samples_response_text(const RoundSamples *s, const Tokenizer *tok, int i, char *out,
                           int size) {
    const int32_t *r = s->resp + (size_t)i * s->R;
    int n = s->resp_len[i];
    if (n > 0 && r[n - 1] == tok->eos) n--;
    tokenizer_decode(tok, r, n, out, size);
}

void generator_run(RunCtx *ctx, RoundSamples *s) {
    const Comms *cm = &ctx->comms;
    if (cm->policy == MPI_COMM_NULL) return;
    const Config *c = &ctx->cfg;
    int K = s->K, R = s->R, W = s->W;
    // scatter contiguous blocks of prompt indices from the first generator to the generators
    int64_t n_mine = 0, *mine = NULL;
    if (cm->gen != MPI_COMM_NULL) {
        int64_t *all = NULL, *counts = NULL;
        if (cm->gen_rank == 0) {
            all = xmalloc("gen.prompts", (size_t)s->P * sizeof(int64_t));
            counts = xmalloc("gen.prompts", (size_t)cm->gen_size * sizeof(int64_t));
            for (int p = 0; p < s->P; p++) all[p] = p;
            for (int g = 0; g < cm->gen_size; g++)
                counts[g] =
                    (int64_t)(g + 1) * s->P / cm->gen_size - (int64_t)g * s->P / cm->gen_size;
        }
        n_mine = exchange_scatter_prompts(&mine, all, counts, 0, cm->gen);
        xfree(all), xfree(counts);
    }
    // K samples of each of my prompts
    int n = (int)(n_mine * K);
    int32_t *prompts = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * W * sizeof(int32_t));
    int32_t *plen = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    uint32_t *pid = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * 2 * sizeof(uint32_t));
    uint32_t *sid = pid + (n > 0 ? n : 1);
    int32_t *resp = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * R * sizeof(int32_t));
    int32_t *rlen = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    double *logp = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) {
        int p = (int)mine[i / K];
        memcpy(prompts + (size_t)i * W, s->prompts + (size_t)p * W, (size_t)W * sizeof(int32_t));
        plen[i] = s->prompt_len[p];
        pid[i] = (uint32_t)s->items[p].id;
        sid[i] = (uint32_t)(i % K);
    }
    const char *stops[CONFIG_LIST_MAX];
    for (int i = 0; i < c->generate.stop.n; i++) stops[i] = c->generate.stop.text[i];
    GenParams gp = {.seed = ctx->state.seed,
                    .round = (uint32_t)s->round,
                    .max_new = R,
                    .eos = ctx->tok.eos,
                    .sample = {.temperature = (float)c->generate.temperature,
                               .top_k = c->generate.top_k,
                               .top_p = (float)c->generate.top_p,
                               .greedy = c->generate.temperature <= 0},
                    .stop_tok = &ctx->tok,
                    .stop_str = stops,
                    .n_stop_str = c->generate.stop.n};
    Progress prog;
    progress_start(&prog, "generate", n);
    int chunk = c->generate.batch_size;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int nb = n - i0 < chunk ? n - i0 : chunk;
        generate(resp + (size_t)i0 * R, rlen + i0, logp + i0, &ctx->kv, &ctx->infer_acts,
                 &ctx->policy, prompts + (size_t)i0 * W, plen + i0, nb, W, pid + i0, sid + i0, &gp);
        progress_update(&prog, i0 + nb, NULL);
    }
    progress_end(&prog);
    // every member of the policy communicator receives every response, in prompt order
    int32_t *packed = xmalloc("gen.batch", (size_t)(n > 0 ? n : 1) * R * sizeof(int32_t));
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        memcpy(packed + off, resp + (size_t)i * R, (size_t)rlen[i] * sizeof(int32_t));
        off += rlen[i];
    }
    TokenBatch tb;
    exchange_allgather_tokens(&tb, packed, rlen, n, cm->policy);
    ExchGathered lg;
    exchange_allgatherv(&lg, logp, n, EXCH_F64, cm->policy);
    CHECKF(tb.n_seqs == (int64_t)s->P * K, "generation returned %lld responses, expected %lld",
           (long long)tb.n_seqs, (long long)s->P * K);
    s->resp = xcalloc("samples", (size_t)s->P * K * R, sizeof(int32_t));
    s->resp_len = xmalloc("samples", (size_t)s->P * K * sizeof(int32_t));
    s->resp_logp = xmalloc("samples", (size_t)s->P * K * sizeof(double));
    for (int64_t i = 0; i < tb.n_seqs; i++) {
        s->resp_len[i] = tb.lens[i];
        memcpy(s->resp + (size_t)i * R, tb.tokens + tb.offsets[i],
               (size_t)tb.lens[i] * sizeof(int32_t));
    }
    memcpy(s->resp_logp, lg.data, (size_t)tb.n_seqs * sizeof(double));
    exchange_tokens_free(&tb);
    exchange_gathered_free(&lg);
    xfree(mine), xfree(prompts), xfree(plen), xfree(pid), xfree(resp), xfree(rlen), xfree(logp);
    xfree(packed);
}
