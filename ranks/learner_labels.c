/* ranks/learner_labels.c — likelihood training on the kept labels of self-labelled rounds
   (train.loss "sft"); see learner.h. */
#include <math.h>
#include <string.h>

#include "ranks/learner_step.h"
#include "ranks/plan.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/timer.h"

#define STREAM_LABEL_ORDER 0x4C4C000000000000ull  // + round << 20 + epoch: order of labels

// Every kept label of the rounds trained on, as variable-length sequences BOS + prompt + answer.
typedef struct {
    int64_t n, cap;          // examples, capacity
    int64_t n_tok, cap_tok;  // tokens, capacity
    int32_t *tokens;         // (n_tok) the sequences, concatenated
    int64_t *offset;         // (n + 1) first token of each sequence
    int32_t *start;          // (n) response start (= prompt length)
} LabelSet;

static void label_set_add(LabelSet *ls, const PrefRows *rows) {
    for (int64_t i = 0; i < rows->n; i++) {
        if (rows->label[i] != PREF_PREFERRED && rows->label[i] != PREF_CHOSEN_ONLY) continue;
        int pl = rows->prompt_len[i], cl = rows->chosen_len[i];
        if (ls->n + 1 >= ls->cap) {
            ls->cap = ls->cap ? 2 * ls->cap : 1024;
            ls->offset = xrealloc("labels", ls->offset, (size_t)(ls->cap + 1) * sizeof(int64_t));
            ls->start = xrealloc("labels", ls->start, (size_t)ls->cap * sizeof(int32_t));
        }
        while (ls->n_tok + pl + cl > ls->cap_tok) {
            ls->cap_tok = ls->cap_tok ? 2 * ls->cap_tok : 16384;
            ls->tokens = xrealloc("labels", ls->tokens, (size_t)ls->cap_tok * sizeof(int32_t));
        }
        int32_t *seq = ls->tokens + ls->n_tok;
        memcpy(seq, rows->prompt + (size_t)i * rows->P, (size_t)pl * sizeof(int32_t));
        memcpy(seq + pl, rows->chosen + (size_t)i * rows->R, (size_t)cl * sizeof(int32_t));
        ls->offset[ls->n] = ls->n_tok;
        ls->start[ls->n] = pl;
        ls->n_tok += pl + cl;
        ls->n++;
        ls->offset[ls->n] = ls->n_tok;
    }
}

static void label_set_free(LabelSet *ls) {
    xfree(ls->tokens), xfree(ls->offset), xfree(ls->start);
    memset(ls, 0, sizeof *ls);
}

// The label set's index of global example g: each epoch visits every label once, in an order that
// depends only on (seed, round, epoch).
static int64_t label_pick(const LabelSet *ls, const RunCtx *ctx, int64_t g) {
    int64_t epoch = g / ls->n;
    TaskPerm perm =
        task_perm_make((uint64_t)ls->n, ctx->state.seed,
                       STREAM_LABEL_ORDER + ((uint64_t)ctx->state.round << 20) + (uint64_t)epoch);
    return (int64_t)task_perm_apply(&perm, (uint64_t)(g % ls->n));
}

// This learner's examples of step s (global examples s*B + lo ..) of the LabelSet source as (nb,
// S)
// rows; returns S.
static int label_batch_gather(SftBatch *b, RunCtx *ctx, int64_t s, void *source) {
    const LabelSet *ls = source;
    int S = 1;
    for (int i = 0; i < b->nb; i++) {
        int64_t k = label_pick(ls, ctx, s * b->B + b->lo + i);
        b->len[i] = (int32_t)(ls->offset[k + 1] - ls->offset[k]);
        b->start[i] = ls->start[k];
        b->weight[i] = 1.0f;
        S = b->len[i] > S ? b->len[i] : S;
    }
    for (int i = 0; i < b->nb; i++) {
        int64_t k = label_pick(ls, ctx, s * b->B + b->lo + i);
        int32_t *row = b->tokens + (size_t)i * S;
        memcpy(row, ls->tokens + ls->offset[k], (size_t)b->len[i] * sizeof(int32_t));
        memset(row + b->len[i], 0, (size_t)(S - b->len[i]) * sizeof(int32_t));
    }
    sft_batch_shift(b, ctx, s);
    return S;
}

TrainResult learner_train_labels(RunCtx *ctx, const PrefRows *const *rounds, int n_rounds) {
    TrainResult tr = {.loss = NAN,
                      .margin = NAN,
                      .accuracy = NAN,
                      .reward_c = NAN,
                      .reward_r = NAN,
                      .kl = NAN,
                      .scir_penalty = NAN,
                      .scir_dropped_fraction = NAN,
                      .validation_acc = NAN,
                      .validation_judge_acc = NAN};
    const Config *c = &ctx->cfg;
    LabelSet ls = {0};
    for (int i = 0; i < n_rounds; i++) label_set_add(&ls, rounds[i]);
    if (ls.n == 0) {
        log_root("round %d: no kept labels, nothing to train", ctx->state.round);
        label_set_free(&ls);
        return tr;
    }
    tr.examples = ls.n;
    int B = c->train.batch_pairs, n_learners = ctx->comms.learn_size, li = ctx->comms.learn_rank;
    int64_t total = c->train.steps > 0 ? c->train.steps : (ls.n + B - 1) / B * c->train.epochs;
    if (ctx->state.round_step == 0) {
        AdamWConfig oc;
        config_adamw(c, &oc);
        oc.total_steps = total;
        learner_reset_optimizer(ctx, &oc);
    }
    int64_t lo, nb;
    plan_slice(B, n_learners, li, &lo, &nb);
    SftBatch b = {.B = B, .lo = (int)lo, .nb = (int)nb, .T = ctx->model.T, .N = ls.n};
    sft_batch_alloc(&b);
    learner_likelihood_loop(ctx, PHASE_TRAIN, &b, total, label_batch_gather, &ls, &tr);
    tr.validation_acc = tr.validation_judge_acc = NAN;
    sft_batch_free(&b);
    label_set_free(&ls);
    return tr;
}
