/* ranks/learner_batch.c — the learner's SFT batches: row buffers, abacus digit-row shifts and
   this learner's encoded SFT examples of a step; see learner_step.h. */
#include <string.h>

#include "ranks/learner_step.h"
#include "ranks/plan.h"
#include "train/rng.h"
#include "train/sft.h"
#include "util/alloc.h"

// RNG stream ids (distinct from the task's and the rest of the learner's).
#define STREAM_SFT_ORDER  0x4C4E000000000000ull  // + epoch: order of SFT examples
#define ABACUS_SHIFT_DRAW 0x41424143u            // 'ABAC': first field of abacus shift draws

// The row buffers for b->nb examples of b->T tokens.
void sft_batch_alloc(SftBatch *b) {
    int n1 = b->nb > 0 ? b->nb : 1;
    b->tokens = xcalloc("sft.batch", (size_t)n1 * b->T, sizeof(int32_t));
    b->row = xmalloc("sft.batch", (size_t)b->T * sizeof(int32_t));
    b->start = xmalloc("sft.batch", (size_t)n1 * sizeof(int32_t));
    b->len = xmalloc("sft.batch", (size_t)n1 * sizeof(int32_t));
    b->weight = xmalloc("sft.batch", (size_t)n1 * sizeof(float));
    b->offset = xcalloc("sft.batch", (size_t)n1, sizeof(int32_t));
}

void sft_batch_shift(SftBatch *b, const RunCtx *ctx, int64_t s) {
    int top = ctx->model.position == GPT_POS_ABACUS ? ctx->model.abacus_offset : 0;
    if (top == 0) {  // nothing to draw (the other encodings, or no shift configured)
        memset(b->offset, 0, (size_t)b->nb * sizeof *b->offset);
        return;
    }
    for (int i = 0; i < b->nb; i++) {
        uint64_t g = (uint64_t)(s * b->B + b->lo + i);
        float u = rng_uniform_at(ctx->state.seed, ABACUS_SHIFT_DRAW, (uint32_t)ctx->phase,
                                 (uint32_t)ctx->state.round, (uint32_t)g);
        int k = (int)(u * (float)(top + 1));
        b->offset[i] = k < top ? k : top;
    }
}

void sft_batch_init(SftBatch *b, RunCtx *ctx) {
    const Config *c = &ctx->cfg;
    int n_learners = ctx->comms.learn_size, li = ctx->comms.learn_rank;
    b->B = c->sft.batch_size;
    int64_t lo, nb;
    plan_slice(b->B, n_learners, li, &lo, &nb);
    b->lo = (int)lo, b->nb = (int)nb;
    b->T = ctx->model.T;
    b->N = task_split_size(&ctx->task, TASK_SPLIT_SFT);
    sft_batch_alloc(b);
    int64_t n_yes, n_no;
    task_sft_verdict_counts(&ctx->task, &n_yes, &n_no);
    sft_verdict_weights(n_yes, n_no, c->sft.judge_weight, b->verdict_weight);
}

void sft_batch_free(SftBatch *b) {
    xfree(b->tokens), xfree(b->row), xfree(b->start), xfree(b->len), xfree(b->weight);
    xfree(b->offset);
    memset(b, 0, sizeof *b);
}

// Encodes this learner's examples of step s (global examples s*B + lo ..) into (nb, S) rows;
// returns S, the longest. (Each row is encoded afresh at the (nb, T) stride, then packed.)
int sft_batch_gather(SftBatch *b, RunCtx *ctx, int64_t s, void *unused) {
    (void)unused;
    int S = 1, T = b->T;
    for (int i = 0; i < b->nb; i++) {
        int64_t g = s * b->B + b->lo + i, epoch = g / b->N;
        TaskPerm perm = task_perm_make((uint64_t)b->N, ctx->state.seed, STREAM_SFT_ORDER + epoch);
        TaskSftExample ex;
        task_sft_example(&ctx->task, (int64_t)task_perm_apply(&perm, (uint64_t)(g % b->N)), &ex);
        ErrMsg e;
        int rs, n = task_encode_sft(&ctx->task, &ctx->tok, &ex, b->row, T, &rs, &e);
        CHECKF(n > 0, "SFT example %lld: %s", (long long)g, e.msg);  // validated at load
        memcpy(b->tokens + (size_t)i * T, b->row, (size_t)n * sizeof(int32_t));
        b->start[i] = rs, b->len[i] = n;
        b->weight[i] = ex.kind == TASK_SFT_EVALUATION ? b->verdict_weight[ex.verdict] : 1.0f;
        S = n > S ? n : S;
    }
    for (int i = 0; i < b->nb; i++)  // repack (nb, T) rows into (nb, S)
        memmove(b->tokens + (size_t)i * S, b->tokens + (size_t)i * T, (size_t)S * sizeof(int32_t));
    sft_batch_shift(b, ctx, s);
    return S;
}
