/* ranks/learner.c — data-parallel training and evaluation on the learner ranks; see learner.h. */
#include "ranks/learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm/exchange.h"
#include "ranks/learner_step.h"
#include "ranks/plan.h"
#include "train/judges.h"
#include "train/prefstep.h"
#include "train/rng.h"
#include "train/sft.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/timer.h"

// RNG stream ids of the learner (distinct from the task's TASK_STREAM ids).
#define STREAM_PAIR_ORDER 0x4C4F000000000000ull  // + round << 20 + epoch: order of pairs
#define EVAL_STREAM_BASE  0x45560000u            // round field of evaluation draws (+ round)

// ---- one data-parallel optimizer step ----------------------------------------------------------

static void on_grad_ready(void *arg, int layer) {
    GradReducer *r = arg;
    if (layer < 0)
        grad_reducer_ready_head(r);
    else
        grad_reducer_ready_layer(r, layer);
}

// Zeroes the gradient and arms the overlapped all-reduce for the coming backward.
static void step_begin(RunCtx *ctx) {
    memset(ctx->grads.data, 0, ctx->grads.n * sizeof(float));
    ctx->train_acts.grad_ready = on_grad_ready;
    ctx->train_acts.grad_ready_ctx = &ctx->reducer;
}

// Finishes the all-reduce and applies AdamW unless the step is bad anywhere (non-finite loss on
// some learner, or a non-finite gradient norm). fb_seconds: this learner's forward+backward time
// of the step. Returns 1 when applied.
static int step_end(RunCtx *ctx, int local_bad, double fb_seconds, TrainResult *tr) {
    double t0 = timer_now();
    if (fault_flag(ctx->phase == PHASE_SFT ? "sft.nan" : "train.nan"))
        ctx->grads.data[0] = NAN;  // tests: a non-finite gradient
    grad_reducer_finish(&ctx->reducer);
    tr->allreduce_wait += timer_now() - t0;
    tr->backward_seconds += fb_seconds;
    // One MAX over (bad, forward+backward time): the slowest learner's time tells how much of
    // this learner's wait was waiting for it rather than for communication.
    double mine[2] = {local_bad ? 1.0 : 0.0, fb_seconds}, most[2];
    MPI_CHECK(MPI_Allreduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, ctx->comms.learn));
    tr->imbalance_seconds += most[1] - fb_seconds;
    int bad = most[0] != 0.0;
    float norm = adamw_grad_norm(&ctx->grads);  // identical on every learner
    if (bad || !isfinite(norm)) {
        ctx->totals.skipped++;
        log_root("step skipped: non-finite %s (%.0f skipped so far)", bad ? "loss" : "gradient",
                 ctx->totals.skipped);
        return 0;
    }
    adamw_step(&ctx->opt, &ctx->policy, &ctx->grads);
    ctx->state.step++;
    ctx->totals.steps++;
    return 1;
}

// The shared end of a training step: applies or skips it (step_end), sums the step's metrics v
// (n doubles) over the learners in place, and counts skips: tr->failed = 1 once more than
// train.max_nan_skips steps were skipped. Returns 1 when the step was applied.
static int step_finish(RunCtx *ctx, int local_bad, double fb_seconds, double *v, int n,
                       TrainResult *tr) {
    int applied = step_end(ctx, local_bad, fb_seconds, tr);
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, ctx->comms.learn));
    if (ctx->totals.skipped > ctx->cfg.train.max_nan_skips) tr->failed = 1;
    return applied;
}

// ---- the phase's running totals ----------------------------------------------------------------

// Names of PhaseTotals' fields in /state/totals, in field order.
static const char *const TOTAL_NAMES[] = {"steps",          "skipped",
                                          "loss",           "margin",
                                          "accuracy",       "reward_c",
                                          "reward_r",       "logratio",
                                          "pairs",          "scir_penalty",
                                          "scir_dropped",   "scir_pairs",
                                          "validation_acc", "validation_judge_acc"};
#define N_TOTALS ((int)(sizeof TOTAL_NAMES / sizeof TOTAL_NAMES[0]))
_Static_assert(sizeof(PhaseTotals) == sizeof TOTAL_NAMES / sizeof TOTAL_NAMES[0] * sizeof(double),
               "TOTAL_NAMES must name every PhaseTotals field");
_Static_assert(sizeof TOTAL_NAMES / sizeof TOTAL_NAMES[0] <= CKPT_MAX_TOTALS, "totals fit /state");

// Starts the totals of a phase at step ctx->state.round_step: zero at its first step, else (a
// resume) the ones its checkpoint saved.
static void learner_totals_begin(RunCtx *ctx) {
    double *v = (double *)&ctx->totals;
    int resumed = ctx->state.round_step > 0;
    if (resumed && ctx->state.n_totals == 0)
        log_root(
            "the checkpoint has no phase totals (written by an older concord): this phase's "
            "metrics count its steps after the resume only");
    for (int i = 0; i < N_TOTALS; i++) {
        double fresh = strncmp(TOTAL_NAMES[i], "validation", 10) == 0 ? NAN : 0.0;
        v[i] = resumed ? ckpt_state_total(&ctx->state, TOTAL_NAMES[i], fresh) : fresh;
    }
    ckpt_state_clear_totals(&ctx->state);
}

// The end of a phase's step loop at step cursor s (of the phase; the resume point).
static void learner_phase_end(RunCtx *ctx, Progress *prog, int64_t s, double t0, TrainResult *tr) {
    if (tr->stop == STOP_NONE && !tr->failed) progress_end(prog);
    ctx->state.round_step = s;
    tr->cursor = s;
    tr->seconds = timer_now() - t0;
    tr->steps = (int64_t)ctx->totals.steps;
    tr->skipped = (int64_t)ctx->totals.skipped;
}

void learner_reset_optimizer(RunCtx *ctx, const AdamWConfig *oc) {
    if (ctx->opt.m.data) adamw_free(&ctx->opt);
    adamw_init(&ctx->opt, oc, &ctx->model);
}

// A checkpoint inside a training phase at step cursor, with the phase's totals so far.
static void mid_checkpoint(RunCtx *ctx, Phase phase, int64_t cursor) {
    char name[CKPT_NAME_MAX];
    ctx->phase = phase;
    ctx->state.round_step = cursor;
    ckpt_name_step(name, sizeof name, ctx->state.round, cursor);
    const double *v = (const double *)&ctx->totals;
    if (cursor > 0 && (phase == PHASE_SFT || phase == PHASE_TRAIN))
        for (int i = 0; i < N_TOTALS; i++) ckpt_state_set_total(&ctx->state, TOTAL_NAMES[i], v[i]);
    run_checkpoint(ctx, name, 1);
    ckpt_state_clear_totals(&ctx->state);
}

void learner_checkpoint_position(RunCtx *ctx) {
    if (ctx->comms.roles & ROLE_LEARNER) mid_checkpoint(ctx, ctx->phase, ctx->state.round_step);
}

// Stop poll + periodic checkpoint at a step boundary; returns the stop reason (after saving).
static StopReason learner_boundary(RunCtx *ctx, Phase phase, int64_t cursor, int64_t total) {
    StopReason st = stop_poll(ctx->comms.learn);
    int every = ctx->cfg.checkpoint.every;
    if (st != STOP_NONE || (every > 0 && cursor > 0 && cursor < total && cursor % every == 0))
        mid_checkpoint(ctx, phase, cursor);
    return st;
}

static EvalSummary eval_split(RunCtx *ctx, TaskSplit split, int with_judge, int with_maj);

// SFT's early stop: 1 when the validation numbers reach every configured target.
static int sft_targets_reached(RunCtx *ctx, int64_t step) {
    const Config *c = &ctx->cfg;
    double want_acc = c->sft.stop_at_accuracy, want_judge = c->sft.stop_at_judge_accuracy;
    // the same decision on every learner: the accuracies come from summed counts
    EvalSummary v = eval_split(ctx, TASK_SPLIT_VALID, want_judge > 0, 0);
    ctx->totals.validation_acc = v.greedy_acc;
    ctx->totals.validation_judge_acc = want_judge > 0 ? v.judge_acc : NAN;
    log_root(
        "sft step %lld: validation greedy accuracy %.3f (stop at %.3f), judge %.3f (stop at "
        "%.3f)",
        (long long)step, v.greedy_acc, want_acc, ctx->totals.validation_judge_acc, want_judge);
    return v.greedy_acc >= want_acc && (want_judge <= 0 || v.judge_acc >= want_judge);
}

// ---- SFT ------------------------------------------------------------------------------------

// One likelihood step on b's rows (packed to width S), the loss normalised by all learners'
// response tokens: forward/backward, the gradient all-reduce and AdamW (step_finish). Returns the
// step's sums over the learners; *applied says whether the step was taken.
static SftSums learner_sft_step(RunCtx *ctx, SftBatch *b, int S, TrainResult *tr, int *applied) {
    SftSums v = {.tokens = sft_response_tokens(b->start, b->len, b->weight, b->nb)};
    double global_tokens = v.tokens;
    MPI_CHECK(
        MPI_Allreduce(MPI_IN_PLACE, &global_tokens, 1, MPI_DOUBLE, MPI_SUM, ctx->comms.learn));
    step_begin(ctx);
    double tb = timer_now();
    // abacus: this step's digit-row shifts (the other encodings ignore them)
    ctx->train_acts.pos_offset = b->offset;
    if (b->nb > 0)
        v.nll = sft_train_batch(&ctx->train_acts, &ctx->policy, &ctx->grads, b->tokens, b->start,
                                b->len, b->weight, b->nb, S, global_tokens);
    ctx->train_acts.pos_offset = NULL;
    double fb = timer_now() - tb;
    *applied = step_finish(ctx, !isfinite(v.nll), fb, (double *)&v, DOUBLES(v), tr);
    return v;
}

// 1 when SFT checks its validation targets (and the task has validation prompts to check).
static int sft_early_stops(RunCtx *ctx) {
    const Config *c = &ctx->cfg;
    if (!config_sft_early_stop(c)) return 0;
    if (task_split_size(&ctx->task, TASK_SPLIT_VALID) > 0) return 1;
    if (ctx->comms.learn_rank == 0)
        log_warn(
            "sft.stop_at_accuracy / sft.stop_at_judge_accuracy: a JSONL task has no "
            "validation prompts, so SFT runs all sft.steps (%lld)",
            (long long)c->sft.steps);
    return 0;
}

void learner_likelihood_loop(RunCtx *ctx, Phase phase, SftBatch *b, int64_t total,
                             BatchGatherFn gather, void *source, TrainResult *tr) {
    int stops = phase == PHASE_SFT && sft_early_stops(ctx);
    Progress prog;
    progress_start(&prog, phase == PHASE_SFT ? "sft step" : "train step", total);
    double t0 = timer_now(), tokens = 0.0;  // all learners' tokens since this call began
    int64_t s = ctx->state.round_step;
    learner_totals_begin(ctx);
    for (; s < total; s++) {
        tr->stop = learner_boundary(ctx, phase, s, total);
        if (tr->stop != STOP_NONE) break;
        if (stops && s > 0 && s % ctx->cfg.sft.check_every == 0 && sft_targets_reached(ctx, s))
            break;
        fault_point(phase == PHASE_SFT ? "sft.step" : "train.step");
        int S = gather(b, ctx, s, source), applied;
        SftSums v = learner_sft_step(ctx, b, S, tr, &applied);
        if (applied) ctx->totals.loss += v.nll / v.tokens;
        tokens += v.tokens;
        if (tr->failed) break;
        progress_update(&prog, s + 1, "loss %.4f", v.nll / v.tokens);
    }
    learner_phase_end(ctx, &prog, s, t0, tr);
    tr->loss = ctx->totals.steps > 0 ? ctx->totals.loss / ctx->totals.steps : NAN;
    tr->tokens_per_s = tokens / (tr->seconds > 0 ? tr->seconds : 1);
    tr->validation_acc = ctx->totals.validation_acc;
    tr->validation_judge_acc = ctx->totals.validation_judge_acc;
}

TrainResult learner_sft(RunCtx *ctx) {
    TrainResult tr = {.scir_penalty = NAN, .scir_dropped_fraction = NAN};
    if (ctx->state.round_step == 0) {
        AdamWConfig oc;
        config_adamw_sft(&ctx->cfg, &oc);
        learner_reset_optimizer(ctx, &oc);
    }
    SftBatch b;
    sft_batch_init(&b, ctx);
    learner_likelihood_loop(ctx, PHASE_SFT, &b, ctx->cfg.sft.steps, sft_batch_gather, NULL, &tr);
    sft_batch_free(&b);
    return tr;
}

// ---- preference training ----------------------------------------------------------------------

// The kept pairs of a round as training sequences: rows 2i (chosen) and 2i+1 (rejected).
typedef struct {
    int n;                 // kept pairs
    int S;                 // sequence width
    int32_t *tokens;       // (2n, S)
    int32_t *start;        // (2n) response start (= prompt length)
    int32_t *len;          // (2n)
    double *ref_logp;      // (2n)
    double *prev_logp;     // (2n) or NULL
    float *p, *p_w, *p_l;  // (n) soft label, SPPO win rates
    int32_t *judge;        // (2n, T) SCIR: judge sequences of (prompt, response), or NULL
    int32_t *judge_len;    // (2n) their lengths; 0 = does not fit the context (pair not penalised)
} PairSet;

// A row pairwise losses train on: kept, with a rejected response (chosen-only rows are labels
// for likelihood training alone).
static int is_pair(const PrefRows *rows, int64_t i) {
    return rows->label[i] == PREF_PREFERRED || rows->label[i] == PREF_TIE;
}

static void build_pairs(PairSet *ps, const PrefRows *rows) {
    memset(ps, 0, sizeof *ps);
    for (int64_t i = 0; i < rows->n; i++) {
        if (!is_pair(rows, i)) continue;
        int pl = rows->prompt_len[i];
        int w = pl + (rows->chosen_len[i] > rows->rejected_len[i] ? rows->chosen_len[i]
                                                                  : rows->rejected_len[i]);
        ps->S = w > ps->S ? w : ps->S;
        ps->n++;
    }
    int n = ps->n, S = ps->S;
    ps->tokens = xcalloc("pairs", (size_t)2 * n * (S > 0 ? S : 1), sizeof(int32_t));
    ps->start = xmalloc("pairs", (size_t)4 * (n > 0 ? n : 1) * sizeof(int32_t));
    ps->len = ps->start + 2 * n;
    ps->p = xmalloc("pairs", (size_t)3 * (n > 0 ? n : 1) * sizeof(float));
    ps->p_w = ps->p + n, ps->p_l = ps->p + 2 * n;
    int k = 0;
    for (int64_t i = 0; i < rows->n; i++) {
        if (!is_pair(rows, i)) continue;
        int pl = rows->prompt_len[i];
        const int32_t *prompt = rows->prompt + (size_t)i * rows->P;
        const int32_t *resp[2] = {rows->chosen + (size_t)i * rows->R,
                                  rows->rejected + (size_t)i * rows->R};
        int rl[2] = {rows->chosen_len[i], rows->rejected_len[i]};
        for (int side = 0; side < 2; side++) {
            int32_t *seq = ps->tokens + (size_t)(2 * k + side) * S;
            memcpy(seq, prompt, (size_t)pl * sizeof(int32_t));
            memcpy(seq + pl, resp[side], (size_t)rl[side] * sizeof(int32_t));
            ps->start[2 * k + side] = pl;
            ps->len[2 * k + side] = pl + rl[side];
        }
        ps->p[k] = rows->label[i] == PREF_TIE ? 0.5f : rows->weight[i];
        ps->p_w[k] = rows->prob[i];
        ps->p_l[k] = 1.0f - rows->prob[i];
        k++;
    }
}

// SCIR: the judge template of every (prompt, response) of the pairs, as token sequences.
static void build_judge_sequences(PairSet *ps, RunCtx *ctx) {
    int T = ctx->model.T;
    ps->judge = xcalloc("pairs.judge", (size_t)2 * ps->n * T, sizeof(int32_t));
    ps->judge_len = xmalloc("pairs.judge", (size_t)2 * ps->n * sizeof(int32_t));
    char prompt[TASK_TEXT_MAX], resp[TASK_TEXT_MAX];
    for (int q = 0; q < 2 * ps->n; q++) {
        const int32_t *seq = ps->tokens + (size_t)q * ps->S;
        int st = ps->start[q], len = ps->len[q];
        if (len > st && seq[len - 1] == ctx->tok.eos) len--;
        tokenizer_decode(&ctx->tok, seq + 1, st - 1, prompt, sizeof prompt);  // skip BOS
        tokenizer_decode(&ctx->tok, seq + st, len - st, resp, sizeof resp);
        int n = task_encode_judge(&ctx->task, &ctx->tok, prompt, resp, ps->judge + (size_t)q * T, T,
                                  NULL);
        ps->judge_len[q] = n > 0 ? n : 0;
    }
}

// SCIR: judge logits u of the minibatch's pairs (forward on ctx->judge_acts), u = 0 where a judge
// sequence does not fit. With task.judge_rationale the current policy first writes its rationale
// (greedy, no gradient: the penalty's gradient flows through the verdict logits only); jlen (2n)
// receives the judge sequences' lengths for scir_backward.
static void scir_forward(RunCtx *ctx, const PairSet *ps, const int32_t *order, int64_t lo,
                         int64_t n, double *u, int32_t *stage, int32_t *jlen) {
    int T = ctx->model.T, Sj = 1, m = 0;
    int32_t *full = xmalloc("pairs.scir", (size_t)2 * n * T * sizeof(int32_t));  // (m, T) fitting
    int32_t *full_len = xmalloc("pairs.scir", (size_t)2 * n * sizeof(int32_t));
    for (int64_t k = 0; k < 2 * n; k++) {
        int q = 2 * order[lo + k / 2] + (int)(k % 2);
        jlen[k] = ps->judge_len[q];
        if (jlen[k] <= 0) continue;
        memcpy(full + (size_t)m * T, ps->judge + (size_t)q * T, (size_t)T * sizeof(int32_t));
        full_len[m++] = jlen[k];
    }
    int rationale = task_rationale_tokens(&ctx->task, ctx->cfg.generate.max_new_tokens);
    judge_write_rationale(full, full_len, m, T, &ctx->kv, &ctx->infer_acts, &ctx->policy, rationale,
                          ctx->yes, ctx->no, ctx->tok.eos);
    m = 0;
    for (int64_t k = 0; k < 2 * n; k++)
        if (jlen[k] > 0) jlen[k] = full_len[m++], Sj = jlen[k] > Sj ? jlen[k] : Sj;
    m = 0;
    for (int64_t k = 0; k < 2 * n; k++) {
        int32_t *row = stage + (size_t)k * Sj;
        if (jlen[k] > 0)
            memcpy(row, full + (size_t)m++ * T, (size_t)Sj * sizeof(int32_t));
        else
            memset(row, 0, (size_t)Sj * sizeof(int32_t));  // not penalised; any valid ids
    }
    xfree(full), xfree(full_len);
    const float *lg = gpt_forward(&ctx->judge_acts, &ctx->policy, stage, (int)(2 * n), Sj);
    int Vp = ctx->model.Vp;
    for (int64_t i = 0; i < n; i++) {
        double v[2] = {0, 0};
        int ok = 1;
        for (int side = 0; side < 2; side++) {
            int len = jlen[2 * i + side];
            ok &= len > 0;
            if (len > 0) {
                const float *row = lg + ((size_t)(2 * i + side) * Sj + len - 1) * Vp;
                v[side] = (double)row[ctx->yes] - (double)row[ctx->no];
            }
        }
        u[i] = ok ? v[0] - v[1] : 0.0;
    }
}

// SCIR: backward of the penalty through the verdict logits (du from prefstep_train).
static void scir_backward(RunCtx *ctx, int64_t n, const int32_t *jlen, const double *du) {
    Activations *ja = &ctx->judge_acts;
    int Vp = ctx->model.Vp, Sj = ja->S;
    memset(ja->dlogits, 0, (size_t)ja->B * Sj * Vp * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        for (int side = 0; side < 2; side++) {
            int len = jlen[2 * i + side];
            if (len <= 0 || jlen[2 * i + 1 - side] <= 0) continue;
            float g = (float)(side == 0 ? du[i] : -du[i]);  // u = u_chosen − u_rejected
            float *row = ja->dlogits + ((size_t)(2 * i + side) * Sj + len - 1) * Vp;
            row[ctx->yes] += g;
            row[ctx->no] -= g;
        }
    gpt_backward(&ctx->grads, ja, &ctx->policy);
}

static void free_pairs(PairSet *ps) {
    xfree(ps->judge), xfree(ps->judge_len);
    xfree(ps->tokens), xfree(ps->start), xfree(ps->p), xfree(ps->ref_logp), xfree(ps->prev_logp);
    memset(ps, 0, sizeof *ps);
}

// Log-probs of all 2n sequences under w: each learner scores a contiguous share, then all-gather.
static double *shared_logprobs(RunCtx *ctx, const PairSet *ps, const ParamSlab *w) {
    int64_t B = 2 * (int64_t)ps->n, lo, n;
    plan_slice(B, ctx->comms.learn_size, ctx->comms.learn_rank, &lo, &n);
    int64_t hi = lo + n;
    double *mine = xmalloc("pairs.logp", (size_t)(hi - lo > 0 ? hi - lo : 1) * sizeof(double));
    if (hi > lo)
        prefstep_logprobs(mine, &ctx->infer_acts, w, ps->tokens + (size_t)lo * ps->S,
                          ps->start + lo, ps->len + lo, (int)(hi - lo), ps->S);
    ExchGathered g;
    exchange_allgatherv(&g, mine, hi - lo, EXCH_F64, ctx->comms.learn);
    double *all = xmalloc("pairs.logp", (size_t)(B > 0 ? B : 1) * sizeof(double));
    memcpy(all, g.data, (size_t)B * sizeof(double));
    exchange_gathered_free(&g);
    xfree(mine);
    return all;
}

static LossParams loss_params_of(const RunCtx *ctx) {
    const Config *c = &ctx->cfg;
    LossParams lp = loss_params_default(ctx->loss_kind);
    lp.beta = c->train.beta;
    lp.eps = c->train.eps;
    lp.ipo_tau = c->train.ipo_tau;
    lp.inpo_eta = c->train.inpo_eta;
    lp.inpo_tau = c->train.inpo_tau;
    lp.sppo_eta = c->train.sppo_eta;
    lp.nll_weight = c->train.nll_weight;
    lp.scir_weight = c->train.scir_weight;
    lp.scir_entropy = c->train.scir_entropy;
    return lp;
}

// One step's minibatch buffers of this learner: up to cap pairs, rows 2k (chosen), 2k+1 (rejected).
typedef struct {
    int32_t *tokens;       // (2cap, S) with S <= the pair set's width
    int32_t *start;        // (2cap) response start
    int32_t *len;          // (2cap)
    double *ref_logp;      // (2cap)
    double *prev_logp;     // (2cap)
    float *p, *p_w, *p_l;  // (cap) soft label, SPPO win rates
    double *scir_u;        // (cap) SCIR: judge logit differences
    double *scir_du;       // (cap) SCIR: their gradients
    int32_t *judge_stage;  // (2cap, T) SCIR only: judge sequences of the minibatch, else NULL
    int32_t *judge_len;    // (2cap) SCIR only: their lengths, else NULL
} PairBuffers;

static void pair_buffers_init(PairBuffers *b, int cap, int S, int T, int scir) {
    size_t n2 = (size_t)2 * cap;
    b->tokens = xmalloc("pairs.batch", n2 * S * sizeof(int32_t));
    b->start = xmalloc("pairs.batch", n2 * sizeof(int32_t));
    b->len = xmalloc("pairs.batch", n2 * sizeof(int32_t));
    b->ref_logp = xmalloc("pairs.batch", n2 * sizeof(double));
    b->prev_logp = xmalloc("pairs.batch", n2 * sizeof(double));
    b->p = xmalloc("pairs.batch", (size_t)cap * sizeof(float));
    b->p_w = xmalloc("pairs.batch", (size_t)cap * sizeof(float));
    b->p_l = xmalloc("pairs.batch", (size_t)cap * sizeof(float));
    b->scir_u = xmalloc("pairs.scir", (size_t)cap * sizeof(double));
    b->scir_du = xmalloc("pairs.scir", (size_t)cap * sizeof(double));
    b->judge_stage = scir ? xmalloc("pairs.scir", n2 * T * sizeof(int32_t)) : NULL;
    b->judge_len = scir ? xmalloc("pairs.scir", n2 * sizeof(int32_t)) : NULL;
}

static void pair_buffers_free(PairBuffers *b) {
    xfree(b->tokens), xfree(b->start), xfree(b->len), xfree(b->ref_logp), xfree(b->prev_logp);
    xfree(b->p), xfree(b->p_w), xfree(b->p_l), xfree(b->scir_u), xfree(b->scir_du);
    xfree(b->judge_stage), xfree(b->judge_len);
    memset(b, 0, sizeof *b);
}

// The pairs one learner trains in one step: order[lo .. lo + n_local) of the step's n_global.
typedef struct {
    int64_t lo, n_local, n_global;
} PairSlice;

// Step m of an epoch takes the next Bg pairs of the epoch's order; learner li of L takes its
// contiguous share of them.
static PairSlice pair_slice(int64_t n_pairs, int Bg, int64_t m, int L, int li) {
    int64_t first = m * Bg, n_global = n_pairs - first < Bg ? n_pairs - first : Bg, lo, n_local;
    plan_slice(n_global, L, li, &lo, &n_local);
    return (PairSlice){.lo = first + lo, .n_local = n_local, .n_global = n_global};
}

// The order of the pairs in an epoch; it depends only on (seed, round, epoch).
static void epoch_order(int32_t *order, int n, const RunCtx *ctx, int64_t epoch) {
    for (int i = 0; i < n; i++) order[i] = i;
    Rng r = rng_stream(ctx->state.seed,
                       STREAM_PAIR_ORDER + ((uint64_t)ctx->state.round << 20) + (uint64_t)epoch);
    rng_shuffle_i32(&r, order, n);
}

// Copies the slice's pairs into b and returns them as a PairBatch of width S (the longest of their
// sequences); *tokens receives their summed lengths.
static PairBatch pair_gather(PairBuffers *b, const PairSet *ps, const int32_t *order, PairSlice sl,
                             int need_prev, int scir, double *tokens) {
    int S = 1;
    for (int64_t k = 0; k < sl.n_local; k++)
        for (int side = 0; side < 2; side++) {
            int q = 2 * order[sl.lo + k] + side;
            S = ps->len[q] > S ? ps->len[q] : S;
        }
    *tokens = 0.0;
    for (int64_t k = 0; k < sl.n_local; k++) {
        int i = order[sl.lo + k];
        for (int side = 0; side < 2; side++) {
            int q = 2 * i + side, d = 2 * (int)k + side;
            memcpy(b->tokens + (size_t)d * S, ps->tokens + (size_t)q * ps->S,
                   (size_t)S * sizeof(int32_t));
            b->start[d] = ps->start[q], b->len[d] = ps->len[q];
            b->ref_logp[d] = ps->ref_logp[q];
            b->prev_logp[d] = need_prev ? ps->prev_logp[q] : 0.0;
            *tokens += ps->len[q];
        }
        b->p[k] = ps->p[i], b->p_w[k] = ps->p_w[i], b->p_l[k] = ps->p_l[i];
    }
    PairBatch pb = {.n_pairs = (int)sl.n_local,
                    .S = S,
                    .tokens = b->tokens,
                    .resp_start = b->start,
                    .len = b->len,
                    .ref_logp = b->ref_logp,
                    .prev_logp = need_prev ? b->prev_logp : NULL,
                    .p = b->p,
                    .p_w = b->p_w,
                    .p_l = b->p_l};
    if (scir) pb.scir_u = b->scir_u, pb.scir_du = b->scir_du;
    return pb;
}

// The sums of a preference step's metrics over the learners (pair means weighted by pairs).
typedef struct {
    double loss, margin, accuracy, reward_c, reward_r, logratio;  // each x pairs
    double pairs;                                                 // pairs trained
    double tokens;                                                // policy tokens processed
    double scir_penalty, scir_dropped, scir_pairs;  // SCIR: L_con x pairs, pairs dropped, pairs
} PrefSums;
_Static_assert(sizeof(PrefSums) == 11 * sizeof(double),
               "PrefSums is summed as an array of doubles");

static PrefSums pref_sums_of(const LossMetrics *lm, int64_t n, double tokens) {
    return (PrefSums){.loss = lm->loss * n,
                      .margin = lm->margin * n,
                      .accuracy = lm->accuracy * n,
                      .reward_c = lm->reward_c * n,
                      .reward_r = lm->reward_r * n,
                      .logratio = lm->logratio * n,
                      .pairs = (double)n,
                      .tokens = tokens};
}

// Adds a step's sums to the phase's totals: a skipped step's metrics do not count; SCIR's count
// every pair-step it scored.
static void pref_totals_add(PhaseTotals *t, const PrefSums *v, int applied) {
    if (applied) {
        t->loss += v->loss, t->margin += v->margin, t->accuracy += v->accuracy;
        t->reward_c += v->reward_c, t->reward_r += v->reward_r;
        t->logratio += v->logratio, t->pairs += v->pairs;
    }
    t->scir_penalty += v->scir_penalty, t->scir_dropped += v->scir_dropped;
    t->scir_pairs += v->scir_pairs;
}

// This learner's forward and backward of one step into ctx->grads (the all-reduce is armed by
// step_begin). SCIR needs two backward passes, so its all-reduce starts after both (no overlap).
// Returns prefstep_train's count of bad pairs.
static int pref_forward_backward(RunCtx *ctx, const PairSet *ps, const LossParams *lp,
                                 PairBuffers *b, PairBatch *pb, const int32_t *order, PairSlice sl,
                                 LossMetrics *lm, PrefSums *scir) {
    int on = lp->scir_weight > 0, bad = 0;
    if (on) {
        ctx->train_acts.grad_ready = NULL;
        if (sl.n_local > 0)
            scir_forward(ctx, ps, order, sl.lo, sl.n_local, b->scir_u, b->judge_stage,
                         b->judge_len);
    }
    if (sl.n_local > 0)
        bad = prefstep_train(&ctx->train_acts, &ctx->policy, &ctx->grads, lp, pb,
                             (double)sl.n_local / (double)sl.n_global, NULL, lm);
    if (on && sl.n_local > 0) {
        scir_backward(ctx, sl.n_local, b->judge_len, b->scir_du);
        scir->scir_penalty = pb->scir_mean * sl.n_local, scir->scir_dropped = pb->scir_dropped;
        scir->scir_pairs = (double)sl.n_local;
    }
    return bad;
}

TrainResult learner_train_round(RunCtx *ctx, const PrefRows *rows) {
    TrainResult tr = {.loss = NAN,
                      .margin = NAN,
                      .accuracy = NAN,
                      .reward_c = NAN,
                      .reward_r = NAN,
                      .kl = NAN,
                      .scir_penalty = NAN,
                      .scir_dropped_fraction = NAN};  // NaN (null in metrics) when nothing trains
    const Config *c = &ctx->cfg;
    PairSet ps;
    build_pairs(&ps, rows);
    if (ps.n == 0) {
        log_root("round %d: no kept pairs, nothing to train", ctx->state.round);
        free_pairs(&ps);
        return tr;
    }
    LossParams lp = loss_params_of(ctx);
    int need_prev = lp.kind == LOSS_INPO || lp.kind == LOSS_SPPO;
    int scir = lp.scir_weight > 0;
    if (scir) {
        build_judge_sequences(&ps, ctx);
        if (!ctx->judge_acts.slab)
            acts_init(&ctx->judge_acts, &ctx->model, ctx->train_batch, ctx->model.T, 1);
    }
    const ParamSlab *ref = ctx->reference == REFERENCE_SFT ? &ctx->sft : &ctx->round_start;
    double t0 = timer_now();
    ps.ref_logp = shared_logprobs(ctx, &ps, ref);
    if (need_prev) ps.prev_logp = shared_logprobs(ctx, &ps, &ctx->round_start);

    int Bg = c->train.batch_pairs, n_learners = ctx->comms.learn_size, li = ctx->comms.learn_rank;
    int64_t per_epoch = (ps.n + Bg - 1) / Bg;
    int64_t total = c->train.steps > 0 ? c->train.steps : per_epoch * c->train.epochs;
    if (ctx->state.round_step == 0) {
        AdamWConfig oc;
        config_adamw(c, &oc);
        oc.total_steps = total;
        learner_reset_optimizer(ctx, &oc);
    }
    int32_t *order = xmalloc("pairs.order", (size_t)ps.n * sizeof(int32_t));  // (n) pair indices
    PairBuffers b;
    pair_buffers_init(&b, ctx->train_batch / 2, ps.S, ctx->model.T, scir);
    Progress prog;
    progress_start(&prog, "train step", total);
    int64_t s = ctx->state.round_step, epoch_of_order = -1;
    double tokens_here = 0.0;  // all learners' tokens since this call began (throughput)
    learner_totals_begin(ctx);
    for (; s < total; s++) {
        tr.stop = learner_boundary(ctx, PHASE_TRAIN, s, total);
        if (tr.stop != STOP_NONE) break;
        fault_point("train.step");
        int64_t epoch = s / per_epoch;
        if (epoch != epoch_of_order) epoch_order(order, ps.n, ctx, epoch), epoch_of_order = epoch;
        PairSlice sl = pair_slice(ps.n, Bg, s % per_epoch, n_learners, li);
        double tokens;
        PairBatch pb = pair_gather(&b, &ps, order, sl, need_prev, scir, &tokens);
        LossMetrics lm = {0};
        PrefSums scir_step = {0};
        step_begin(ctx);
        double tb = timer_now();
        int bad = pref_forward_backward(ctx, &ps, &lp, &b, &pb, order, sl, &lm, &scir_step);
        double fb = timer_now() - tb;
        PrefSums v = pref_sums_of(&lm, sl.n_local, tokens);
        v.scir_penalty = scir_step.scir_penalty, v.scir_dropped = scir_step.scir_dropped;
        v.scir_pairs = scir_step.scir_pairs;
        int applied = step_finish(ctx, bad > 0, fb, (double *)&v, DOUBLES(v), &tr);
        pref_totals_add(&ctx->totals, &v, applied);
        tokens_here += v.tokens;
        if (tr.failed) break;
        progress_update(&prog, s + 1, "loss %.4f margin %.3f acc %.2f", v.loss / v.pairs,
                        v.margin / v.pairs, v.accuracy / v.pairs);
    }
    learner_phase_end(ctx, &prog, s, t0, &tr);
    const PhaseTotals *t = &ctx->totals;
    double n = t->pairs > 0 ? t->pairs : NAN;
    tr.loss = t->loss / n, tr.margin = t->margin / n, tr.accuracy = t->accuracy / n;
    tr.reward_c = t->reward_c / n, tr.reward_r = t->reward_r / n, tr.kl = t->logratio / n;
    tr.tokens_per_s = tokens_here / (tr.seconds > 0 ? tr.seconds : 1);
    tr.scir_penalty = tr.scir_dropped_fraction = NAN;
    if (scir && t->scir_pairs > 0)  // round means over all learners and steps
        tr.scir_penalty = t->scir_penalty / t->scir_pairs,
        tr.scir_dropped_fraction = t->scir_dropped / t->scir_pairs;
    xfree(order);
    pair_buffers_free(&b);
    free_pairs(&ps);
    return tr;
}

// ---- evaluation -------------------------------------------------------------------------------

// Evaluation of ctx->policy on a split (EVAL or VALID), its prompts split across the learners.
// answers: NULL, or this learner's prompts' greedy answers ((hi - lo, EVAL_ANSWER_MAX) bytes,
// allocated here) with *first receiving lo.
static EvalSummary eval_split_answers(RunCtx *ctx, TaskSplit split, int with_judge, int with_maj,
                                      char **answers, int64_t *count) {
    const Config *c = &ctx->cfg;
    int64_t E = task_split_size(&ctx->task, split);
    int64_t lo, n;
    plan_slice(E, ctx->comms.learn_size, ctx->comms.learn_rank, &lo, &n);
    int64_t hi = lo + n;
    EvalParams ep = {.max_new = c->generate.max_new_tokens,
                     .maj_k = with_maj ? c->task.maj_k : 0,
                     .seed = ctx->state.seed,
                     .stream = EVAL_STREAM_BASE + (uint32_t)ctx->state.round,
                     .batch = c->generate.batch_size,
                     .maj_sample = {.temperature = (float)c->generate.temperature,
                                    .top_k = c->generate.top_k,
                                    .top_p = (float)c->generate.top_p,
                                    .greedy = c->generate.temperature <= 0},
                     .split = split,
                     .greedy_only = !with_judge && !with_maj};
    const char *stops[CONFIG_LIST_MAX];
    for (int i = 0; i < c->generate.stop.n; i++) stops[i] = c->generate.stop.text[i];
    ep.stop_str = stops;
    ep.n_stop_str = c->generate.stop.n;
    if (answers) {
        *answers = xcalloc("eval.answers", (size_t)(hi > lo ? hi - lo : 1), EVAL_ANSWER_MAX);
        *count = hi - lo;
        ep.answers = *answers;
    }
    EvalCounts counts;
    ErrMsg e;
    if (eval_range(&counts, &ctx->task, &ctx->tok, &ctx->policy, lo, hi - lo, &ep, &e) != 0)
        die("evaluation: %s", e.msg);  // prompts were validated when the task was loaded
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &counts, (int)(sizeof counts / sizeof(int64_t)),
                            MPI_INT64_T, MPI_SUM, ctx->comms.learn));
    return eval_summary(&counts);
}

static EvalSummary eval_split(RunCtx *ctx, TaskSplit split, int with_judge, int with_maj) {
    return eval_split_answers(ctx, split, with_judge, with_maj, NULL, NULL);
}

EvalSummary learner_eval(RunCtx *ctx, double *seconds, char **answers) {
    double t0 = timer_now();
    // judge accuracy only means something with the generative judge; maj@1 is the greedy answer
    int with_judge = config_judge_index(&ctx->cfg, "llm_judge") >= 0;
    int with_maj = ctx->cfg.task.maj_k > 1;
    char *mine = NULL;
    int64_t n = 0;
    EvalSummary s =
        eval_split_answers(ctx, TASK_SPLIT_EVAL, with_judge, with_maj, answers ? &mine : NULL, &n);
    if (answers) {  // the learners' slices are consecutive: gather them in rank order
        ExchGathered g;
        exchange_gatherv(&g, mine, n * EVAL_ANSWER_MAX, EXCH_I8, 0, ctx->comms.learn);
        *answers = ctx->comms.learn_rank == 0 ? g.data : NULL;
        g.data = NULL;
        exchange_gathered_free(&g);
        xfree(mine);
    }
    if (seconds) *seconds = timer_now() - t0;
    return s;
}
