/* ranks/learner.c — data-parallel training and evaluation on the learner ranks; see learner.h. */
#include "ranks/learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm/exchange.h"
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
#define STREAM_SFT_ORDER 0x4C4E000000000000ull    // + epoch: order of SFT examples
#define STREAM_PAIR_ORDER 0x4C4F000000000000ull   // + round << 20 + epoch: order of pairs
#define EVAL_STREAM_BASE 0x45560000u              // round field of evaluation draws (+ round)
#define TENSOR_LNF_W 14                           // table indices (train/params.h order)
#define TENSOR_LNF_B 15

// ---- one data-parallel optimizer step ----------------------------------------------------------

static void on_grad_ready(void *ctx, int layer) {
    GradReducer *r = ctx;
    if (layer < 0) {
        grad_reducer_ready_tensor(r, TENSOR_LNF_W, -1);
        grad_reducer_ready_tensor(r, TENSOR_LNF_B, -1);
    } else {
        grad_reducer_ready_layer(r, layer);
    }
}

// Zeroes the gradient and arms the overlapped all-reduce for the coming backward.
static void step_begin(RunCtx *rc) {
    memset(rc->grads.data, 0, rc->grads.n * sizeof(float));
    rc->train_acts.grad_ready = on_grad_ready;
    rc->train_acts.grad_ready_ctx = &rc->reducer;
}

// Finishes the all-reduce and applies AdamW unless the step is bad anywhere (non-finite loss on
// some learner, or a non-finite gradient norm). fb_seconds: this learner's forward+backward time
// of the step. Returns 1 when applied.
static int step_end(RunCtx *rc, int local_bad, double fb_seconds, TrainResult *tr) {
    double t0 = timer_now();
    if (fault_flag(strcmp(rc->state.phase, "sft") == 0 ? "sft.nan" : "train.nan"))
        rc->grads.data[0] = NAN;  // tests: a non-finite gradient
    grad_reducer_finish(&rc->reducer);
    tr->allreduce_wait += timer_now() - t0;
    tr->backward_seconds += fb_seconds;
    // One MAX over (bad, forward+backward time): the slowest learner's time tells how much of
    // this learner's wait was waiting for it rather than for communication.
    double mine[2] = {local_bad ? 1.0 : 0.0, fb_seconds}, most[2];
    MPI_CHECK(MPI_Allreduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, rc->comms.learn));
    tr->imbalance_seconds += most[1] - fb_seconds;
    int bad = most[0] != 0.0;
    float norm = adamw_grad_norm(&rc->grads);  // identical on every learner
    if (bad || !isfinite(norm)) {
        tr->skipped++;
        log_root("step skipped: non-finite %s (%lld skipped so far)", bad ? "loss" : "gradient",
                 (long long)tr->skipped);
        return 0;
    }
    adamw_step(&rc->opt, &rc->policy, &rc->grads);
    rc->state.step++;
    tr->steps++;
    return 1;
}

// Sums n doubles over the learners in place.
static void sum_over_learners(RunCtx *rc, double *v, int n) {
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, rc->comms.learn));
}

static void mid_checkpoint(RunCtx *rc, const char *phase, int64_t cursor) {
    char name[CKPT_NAME_MAX];
    snprintf(rc->state.phase, sizeof rc->state.phase, "%s", phase);
    rc->state.round_step = cursor;
    ckpt_name_step(name, sizeof name, rc->state.round, cursor);
    run_checkpoint(rc, name, 1);
}

// Stop poll + periodic checkpoint at a step boundary; returns the stop reason (after saving).
static StopReason boundary(RunCtx *rc, const char *phase, int64_t cursor, int64_t total) {
    StopReason st = stop_poll(rc->comms.learn);
    int every = rc->cfg.checkpoint.every;
    if (st != STOP_NONE || (every > 0 && cursor > 0 && cursor < total && cursor % every == 0))
        mid_checkpoint(rc, phase, cursor);
    return st;
}

static EvalSummary eval_split(RunCtx *rc, TaskSplit split, int with_judge, int with_maj);

// SFT's early stop: 1 when the validation numbers reach every configured target.
static int sft_targets_reached(RunCtx *rc, int64_t step, TrainResult *tr) {
    const Config *c = &rc->cfg;
    double want_acc = c->sft.stop_at_accuracy, want_judge = c->sft.stop_at_judge_accuracy;
    // the same decision on every learner: the accuracies come from summed counts
    EvalSummary v = eval_split(rc, TASK_SPLIT_VALID, want_judge > 0, 0);
    tr->validation_acc = v.greedy_acc;
    tr->validation_judge_acc = want_judge > 0 ? v.judge_acc : NAN;
    log_root("sft step %lld: validation greedy accuracy %.3f (stop at %.3f), judge %.3f (stop at "
             "%.3f)", (long long)step, v.greedy_acc, want_acc, tr->validation_judge_acc, want_judge);
    return v.greedy_acc >= want_acc && (want_judge <= 0 || v.judge_acc >= want_judge);
}

// ---- SFT ------------------------------------------------------------------------------------

TrainResult learner_sft(RunCtx *rc) {
    TrainResult tr = {.scir_penalty = NAN, .scir_dropped_fraction = NAN, .validation_acc = NAN,
                      .validation_judge_acc = NAN};
    const Config *c = &rc->cfg;
    int stops = config_sft_early_stop(c);
    if (stops && task_split_size(&rc->task, TASK_SPLIT_VALID) == 0) {
        if (rc->comms.learn_rank == 0)
            log_warn("sft.stop_at_accuracy / sft.stop_at_judge_accuracy: a JSONL task has no "
                     "validation prompts, so SFT runs all sft.steps (%lld)", (long long)c->sft.steps);
        stops = 0;
    }
    int64_t steps = c->sft.steps;
    int B = c->sft.batch_size, L = rc->comms.learn_size, li = rc->comms.learn_rank;
    int lo = (int)((int64_t)li * B / L), nb = (int)((int64_t)(li + 1) * B / L) - lo;
    int T = rc->model.T;
    int64_t N = task_split_size(&rc->task, TASK_SPLIT_SFT);
    if (rc->state.round_step == 0) {
        AdamWConfig oc;
        config_adamw_sft(c, &oc);
        if (rc->opt.m.data) adamw_free(&rc->opt);
        adamw_init(&rc->opt, &oc, &rc->model);
    }
    int32_t *tok = xcalloc("sft.batch", (size_t)(nb > 0 ? nb : 1) * T, sizeof(int32_t));
    int32_t *row = xmalloc("sft.batch", (size_t)T * sizeof(int32_t));
    int32_t *start = xmalloc("sft.batch", (size_t)(nb > 0 ? nb : 1) * 2 * sizeof(int32_t));
    int32_t *len = start + (nb > 0 ? nb : 1);
    float *weight = xmalloc("sft.batch", (size_t)(nb > 0 ? nb : 1) * sizeof(float));
    int64_t n_yes, n_no;
    task_sft_verdict_counts(&rc->task, &n_yes, &n_no);
    float verdict_weight[2];  // [0] N examples, [1] Y examples
    sft_verdict_weights(n_yes, n_no, c->sft.judge_weight, verdict_weight);
    Progress prog;
    progress_start(&prog, "sft step", steps);
    double t0 = timer_now(), loss_sum = 0.0, tokens = 0.0;
    int64_t s = rc->state.round_step;
    for (; s < steps; s++) {
        tr.stop = boundary(rc, "sft", s, steps);
        if (tr.stop != STOP_NONE) break;
        if (stops && s > 0 && s % c->sft.check_every == 0 && sft_targets_reached(rc, s, &tr)) break;
        fault_point("sft.step");
        // this learner's slice of the global batch: examples g = s*B + lo .. s*B + lo + nb - 1
        int S = 1;
        for (int i = 0; i < nb; i++) {
            int64_t g = s * B + lo + i, epoch = g / N;
            TaskPerm perm = task_perm_make((uint64_t)N, rc->state.seed, STREAM_SFT_ORDER + epoch);
            TaskSftExample ex;
            task_sft_example(&rc->task, (int64_t)task_perm_apply(&perm, (uint64_t)(g % N)), &ex);
            ErrMsg e;
            int rs, n = task_encode_sft(&rc->task, &rc->tok, &ex, row, T, &rs, &e);
            CHECKF(n > 0, "SFT example %lld: %s", (long long)g, e.msg);  // validated at load
            memcpy(tok + (size_t)i * T, row, (size_t)n * sizeof(int32_t));
            start[i] = rs, len[i] = n;
            weight[i] = ex.kind == TASK_SFT_EVALUATION ? verdict_weight[ex.verdict] : 1.0f;
            S = n > S ? n : S;
        }
        for (int i = 0; i < nb; i++)  // repack (nb, T) rows into (nb, S)
            memmove(tok + (size_t)i * S, tok + (size_t)i * T, (size_t)S * sizeof(int32_t));
        double counts[2] = {0.0, sft_response_tokens(start, len, weight, nb)};  // nll, tokens
        double global_tokens = counts[1];
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &global_tokens, 1, MPI_DOUBLE, MPI_SUM,
                                rc->comms.learn));
        step_begin(rc);
        double tb = timer_now();
        if (nb > 0)
            counts[0] = sft_train_batch(&rc->train_acts, &rc->policy, &rc->grads, tok, start, len,
                                        weight, nb, S, global_tokens);
        int applied = step_end(rc, !isfinite(counts[0]), timer_now() - tb, &tr);
        sum_over_learners(rc, counts, 2);
        for (int i = 0; i < nb; i++)  // restore the (nb, T) stride for the next batch
            memmove(tok + (size_t)(nb - 1 - i) * T, tok + (size_t)(nb - 1 - i) * S,
                    (size_t)S * sizeof(int32_t));
        if (applied) loss_sum += counts[0] / counts[1];
        tokens += counts[1];
        if (tr.skipped > c->train.max_nan_skips) {
            tr.failed = 1;
            break;
        }
        progress_update(&prog, s + 1, "loss %.4f", counts[0] / counts[1]);
    }
    if (tr.stop == STOP_NONE && !tr.failed) progress_end(&prog);
    rc->state.round_step = s;
    tr.cursor = s;
    tr.seconds = timer_now() - t0;
    tr.loss = tr.steps ? loss_sum / tr.steps : NAN;
    tr.tokens_per_s = tokens / (tr.seconds > 0 ? tr.seconds : 1);
    xfree(tok), xfree(row), xfree(start), xfree(weight);
    return tr;
}

// ---- preference training ----------------------------------------------------------------------

// The kept pairs of a round as training sequences: rows 2i (chosen) and 2i+1 (rejected).
typedef struct {
    int n;              // kept pairs
    int S;              // sequence width
    int32_t *tokens;    // (2n, S)
    int32_t *start;     // (2n) response start (= prompt length)
    int32_t *len;       // (2n)
    double *ref_logp;   // (2n)
    double *prev_logp;  // (2n) or NULL
    float *p, *p_w, *p_l;  // (n) soft label, SPPO win rates
    int32_t *judge;     // (2n, T) SCIR: judge sequences of (prompt, response), or NULL
    int32_t *judge_len; // (2n) their lengths; 0 = does not fit the context (pair not penalised)
} PairSet;

static void build_pairs(PairSet *ps, const PrefRows *rows) {
    memset(ps, 0, sizeof *ps);
    for (int64_t i = 0; i < rows->n; i++) {
        if (rows->label[i] == PREF_DROPPED) continue;
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
        if (rows->label[i] == PREF_DROPPED) continue;
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
static void build_judge_sequences(PairSet *ps, RunCtx *rc) {
    int T = rc->model.T;
    ps->judge = xcalloc("pairs.judge", (size_t)2 * ps->n * T, sizeof(int32_t));
    ps->judge_len = xmalloc("pairs.judge", (size_t)2 * ps->n * sizeof(int32_t));
    char prompt[TASK_TEXT_MAX], resp[TASK_TEXT_MAX];
    for (int q = 0; q < 2 * ps->n; q++) {
        const int32_t *seq = ps->tokens + (size_t)q * ps->S;
        int st = ps->start[q], len = ps->len[q];
        if (len > st && seq[len - 1] == TOK_EOS) len--;
        tokenizer_decode(&rc->tok, seq + 1, st - 1, prompt, sizeof prompt);  // skip BOS
        tokenizer_decode(&rc->tok, seq + st, len - st, resp, sizeof resp);
        int n = task_encode_judge(&rc->task, &rc->tok, prompt, resp, ps->judge + (size_t)q * T, T, NULL);
        ps->judge_len[q] = n > 0 ? n : 0;
    }
}

// SCIR: judge logits u of the minibatch's pairs (forward on rc->judge_acts), u = 0 where a judge
// sequence does not fit. With task.judge_rationale the current policy first writes its rationale
// (greedy, no gradient: the penalty's gradient flows through the verdict logits only); jlen (2n)
// receives the judge sequences' lengths for scir_backward.
static void scir_forward(RunCtx *rc, const PairSet *ps, const int32_t *order, int64_t lo,
                         int64_t n, double *u, int32_t *stage, int32_t *jlen) {
    int T = rc->model.T, Sj = 1, m = 0;
    int32_t *full = xmalloc("pairs.scir", (size_t)2 * n * T * sizeof(int32_t));  // (m, T) fitting
    int32_t *full_len = xmalloc("pairs.scir", (size_t)2 * n * sizeof(int32_t));
    for (int64_t k = 0; k < 2 * n; k++) {
        int q = 2 * order[lo + k / 2] + (int)(k % 2);
        jlen[k] = ps->judge_len[q];
        if (jlen[k] <= 0) continue;
        memcpy(full + (size_t)m * T, ps->judge + (size_t)q * T, (size_t)T * sizeof(int32_t));
        full_len[m++] = jlen[k];
    }
    int rationale = task_rationale_tokens(&rc->task, rc->cfg.generate.max_new_tokens);
    judge_write_rationale(full, full_len, m, T, &rc->kv, &rc->infer_acts, &rc->policy, rationale,
                          rc->yes, rc->no);
    m = 0;
    for (int64_t k = 0; k < 2 * n; k++)
        if (jlen[k] > 0) jlen[k] = full_len[m++], Sj = jlen[k] > Sj ? jlen[k] : Sj;
    m = 0;
    for (int64_t k = 0; k < 2 * n; k++) {
        int32_t *row = stage + (size_t)k * Sj;
        if (jlen[k] > 0) memcpy(row, full + (size_t)m++ * T, (size_t)Sj * sizeof(int32_t));
        else memset(row, 0, (size_t)Sj * sizeof(int32_t));  // not penalised; any valid ids
    }
    xfree(full), xfree(full_len);
    const float *lg = gpt_forward(&rc->judge_acts, &rc->policy, stage, (int)(2 * n), Sj);
    int Vp = rc->model.Vp;
    for (int64_t i = 0; i < n; i++) {
        double v[2] = {0, 0};
        int ok = 1;
        for (int side = 0; side < 2; side++) {
            int L = jlen[2 * i + side];
            ok &= L > 0;
            if (L > 0) {
                const float *row = lg + ((size_t)(2 * i + side) * Sj + L - 1) * Vp;
                v[side] = (double)row[rc->yes] - (double)row[rc->no];
            }
        }
        u[i] = ok ? v[0] - v[1] : 0.0;
    }
}

// SCIR: backward of the penalty through the verdict logits (du from prefstep_train).
static void scir_backward(RunCtx *rc, int64_t n, const int32_t *jlen, const double *du) {
    Activations *ja = &rc->judge_acts;
    int Vp = rc->model.Vp, Sj = ja->S;
    memset(ja->dlogits, 0, (size_t)ja->B * Sj * Vp * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        for (int side = 0; side < 2; side++) {
            int L = jlen[2 * i + side];
            if (L <= 0 || jlen[2 * i + 1 - side] <= 0) continue;
            float g = (float)(side == 0 ? du[i] : -du[i]);  // u = u_chosen − u_rejected
            float *row = ja->dlogits + ((size_t)(2 * i + side) * Sj + L - 1) * Vp;
            row[rc->yes] += g;
            row[rc->no] -= g;
        }
    gpt_backward(&rc->grads, ja, &rc->policy);
}

static void free_pairs(PairSet *ps) {
    xfree(ps->judge), xfree(ps->judge_len);
    xfree(ps->tokens), xfree(ps->start), xfree(ps->p), xfree(ps->ref_logp), xfree(ps->prev_logp);
    memset(ps, 0, sizeof *ps);
}

// Log-probs of all 2n sequences under w: each learner scores a contiguous share, then all-gather.
static double *shared_logprobs(RunCtx *rc, const PairSet *ps, const ParamSlab *w) {
    int64_t B = 2 * (int64_t)ps->n, L = rc->comms.learn_size, li = rc->comms.learn_rank;
    int64_t lo = li * B / L, hi = (li + 1) * B / L;
    double *mine = xmalloc("pairs.logp", (size_t)(hi - lo > 0 ? hi - lo : 1) * sizeof(double));
    if (hi > lo)
        prefstep_logprobs(mine, &rc->infer_acts, w, ps->tokens + (size_t)lo * ps->S, ps->start + lo,
                          ps->len + lo, (int)(hi - lo), ps->S);
    ExchGathered g;
    exchange_allgatherv(&g, mine, hi - lo, EXCH_F64, rc->comms.learn);
    double *all = xmalloc("pairs.logp", (size_t)(B > 0 ? B : 1) * sizeof(double));
    memcpy(all, g.data, (size_t)B * sizeof(double));
    exchange_gathered_free(&g);
    xfree(mine);
    return all;
}

static LossParams loss_params_of(const Config *c) {
    LossParams lp = loss_params_default((LossKind)loss_kind_from_name(c->train.loss));
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

TrainResult learner_train_round(RunCtx *rc, const PrefRows *rows) {
    TrainResult tr = {.loss = NAN, .margin = NAN, .accuracy = NAN, .reward_c = NAN,
                      .reward_r = NAN, .kl = NAN, .scir_penalty = NAN,
                      .scir_dropped_fraction = NAN};  // NaN (null in metrics) when nothing trains
    const Config *c = &rc->cfg;
    PairSet ps;
    build_pairs(&ps, rows);
    if (ps.n == 0) {
        log_root("round %d: no kept pairs, nothing to train", rc->state.round);
        free_pairs(&ps);
        return tr;
    }
    LossParams lp = loss_params_of(c);
    int need_prev = lp.kind == LOSS_INPO || lp.kind == LOSS_SPPO;
    int scir = lp.scir_weight > 0;
    if (scir) {
        build_judge_sequences(&ps, rc);
        if (!rc->judge_acts.slab) acts_init(&rc->judge_acts, &rc->model, rc->train_batch, rc->model.T, 1);
    }
    const ParamSlab *ref = strcmp(c->train.reference, "sft") == 0 ? &rc->sft : &rc->round_start;
    double t0 = timer_now();
    ps.ref_logp = shared_logprobs(rc, &ps, ref);
    if (need_prev) ps.prev_logp = shared_logprobs(rc, &ps, &rc->round_start);

    int Bg = c->train.batch_pairs, L = rc->comms.learn_size, li = rc->comms.learn_rank;
    int64_t per_epoch = (ps.n + Bg - 1) / Bg, total = per_epoch * c->train.epochs;
    if (rc->state.round_step == 0) {
        AdamWConfig oc;
        config_adamw(c, &oc);
        oc.total_steps = total;
        if (rc->opt.m.data) adamw_free(&rc->opt);
        adamw_init(&rc->opt, &oc, &rc->model);
    }
    int32_t *order = xmalloc("pairs.order", (size_t)ps.n * sizeof(int32_t));
    int cap = rc->train_batch / 2;
    int32_t *tok = xmalloc("pairs.batch", (size_t)2 * cap * ps.S * sizeof(int32_t));
    int32_t *start = xmalloc("pairs.batch", (size_t)4 * cap * sizeof(int32_t)), *len = start + 2 * cap;
    double *ref_b = xmalloc("pairs.batch", (size_t)4 * cap * sizeof(double)), *prev_b = ref_b + 2 * cap;
    float *p_b = xmalloc("pairs.batch", (size_t)3 * cap * sizeof(float));
    float *pw_b = p_b + cap, *pl_b = p_b + 2 * cap;
    double *u_b = xmalloc("pairs.scir", (size_t)2 * cap * sizeof(double)), *du_b = u_b + cap;
    int32_t *stage = scir ? xmalloc("pairs.scir", (size_t)2 * cap * rc->model.T * sizeof(int32_t)) : NULL;
    int32_t *jlen_b = scir ? xmalloc("pairs.scir", (size_t)2 * cap * sizeof(int32_t)) : NULL;
    double scir_sum = 0.0, scir_dropped = 0.0, scir_pairs = 0.0;
    double sums[8] = {0};  // loss, margin, accuracy, reward_c, reward_r, logratio (x n), n, tokens
    Progress prog;
    progress_start(&prog, "train step", total);
    int64_t s = rc->state.round_step, epoch_of_order = -1;
    for (; s < total; s++) {
        tr.stop = boundary(rc, "train", s, total);
        if (tr.stop != STOP_NONE) break;
        fault_point("train.step");
        int64_t epoch = s / per_epoch, m = s % per_epoch;
        if (epoch != epoch_of_order) {  // the epoch's order depends only on (seed, round, epoch)
            for (int i = 0; i < ps.n; i++) order[i] = i;
            Rng r = rng_stream(rc->state.seed,
                               STREAM_PAIR_ORDER + ((uint64_t)rc->state.round << 20) + (uint64_t)epoch);
            rng_shuffle_i32(&r, order, ps.n);
            epoch_of_order = epoch;
        }
        int64_t first = m * Bg, n_global = ps.n - first < Bg ? ps.n - first : Bg;
        int64_t lo = first + li * n_global / L, n_local = first + (li + 1) * n_global / L - lo;
        int S = 1;
        for (int64_t k = 0; k < n_local; k++)
            for (int side = 0; side < 2; side++) {
                int q = 2 * order[lo + k] + side;
                S = ps.len[q] > S ? ps.len[q] : S;
            }
        double tokens = 0.0;
        for (int64_t k = 0; k < n_local; k++) {
            int i = order[lo + k];
            for (int side = 0; side < 2; side++) {
                int q = 2 * i + side, d = 2 * (int)k + side;
                memcpy(tok + (size_t)d * S, ps.tokens + (size_t)q * ps.S, (size_t)S * sizeof(int32_t));
                start[d] = ps.start[q], len[d] = ps.len[q];
                ref_b[d] = ps.ref_logp[q];
                prev_b[d] = need_prev ? ps.prev_logp[q] : 0.0;
                tokens += ps.len[q];
            }
            p_b[k] = ps.p[i], pw_b[k] = ps.p_w[i], pl_b[k] = ps.p_l[i];
        }
        PairBatch pb = {.n_pairs = (int)n_local, .S = S, .tokens = tok, .resp_start = start,
                        .len = len, .ref_logp = ref_b, .prev_logp = need_prev ? prev_b : NULL,
                        .p = p_b, .p_w = pw_b, .p_l = pl_b};
        LossMetrics lm = {0};
        step_begin(rc);
        double tb = timer_now();
        int bad = 0;
        if (scir) {  // two backward passes: the all-reduce starts after both (no overlap)
            rc->train_acts.grad_ready = NULL;
            if (n_local > 0) scir_forward(rc, &ps, order, lo, n_local, u_b, stage, jlen_b);
            pb.scir_u = u_b, pb.scir_du = du_b;
        }
        if (n_local > 0)
            bad = prefstep_train(&rc->train_acts, &rc->policy, &rc->grads, &lp, &pb,
                                 (double)n_local / (double)n_global, NULL, &lm);
        if (scir && n_local > 0) {
            scir_backward(rc, n_local, jlen_b, du_b);
            scir_sum += pb.scir_mean * n_local, scir_dropped += pb.scir_dropped;
            scir_pairs += n_local;
        }
        int applied = step_end(rc, bad > 0, timer_now() - tb, &tr);
        double v[8] = {lm.loss * n_local, lm.margin * n_local, lm.accuracy * n_local,
                       lm.reward_c * n_local, lm.reward_r * n_local, lm.logratio * n_local,
                       (double)n_local, tokens};
        sum_over_learners(rc, v, 8);
        if (applied)
            for (int k = 0; k < 7; k++) sums[k] += v[k];
        sums[7] += v[7];
        if (tr.skipped > c->train.max_nan_skips) {
            tr.failed = 1;
            break;
        }
        progress_update(&prog, s + 1, "loss %.4f margin %.3f acc %.2f", v[0] / v[6], v[1] / v[6],
                        v[2] / v[6]);
    }
    if (tr.stop == STOP_NONE && !tr.failed) progress_end(&prog);
    rc->state.round_step = s;
    tr.cursor = s;
    tr.seconds = timer_now() - t0;
    double n = sums[6] > 0 ? sums[6] : NAN;
    tr.loss = sums[0] / n, tr.margin = sums[1] / n, tr.accuracy = sums[2] / n;
    tr.reward_c = sums[3] / n, tr.reward_r = sums[4] / n, tr.kl = sums[5] / n;
    tr.tokens_per_s = sums[7] / (tr.seconds > 0 ? tr.seconds : 1);
    tr.scir_penalty = tr.scir_dropped_fraction = NAN;
    if (scir) {  // round means over all learners and steps
        double v[3] = {scir_sum, scir_dropped, scir_pairs};
        sum_over_learners(rc, v, 3);
        if (v[2] > 0) tr.scir_penalty = v[0] / v[2], tr.scir_dropped_fraction = v[1] / v[2];
    }
    xfree(order), xfree(tok), xfree(start), xfree(ref_b), xfree(p_b), xfree(u_b), xfree(stage), xfree(jlen_b);
    free_pairs(&ps);
    return tr;
}

// ---- evaluation -------------------------------------------------------------------------------

// Evaluation of rc->policy on a split (EVAL or VALID), its prompts split across the learners.
static EvalSummary eval_split(RunCtx *rc, TaskSplit split, int with_judge, int with_maj) {
    const Config *c = &rc->cfg;
    int64_t E = task_split_size(&rc->task, split);
    int64_t L = rc->comms.learn_size, li = rc->comms.learn_rank;
    int64_t lo = li * E / L, hi = (li + 1) * E / L;
    EvalParams ep = {.max_new = c->generate.max_new_tokens, .maj_k = with_maj ? c->task.maj_k : 0,
                     .seed = rc->state.seed, .stream = EVAL_STREAM_BASE + (uint32_t)rc->state.round,
                     .batch = c->generate.batch_size,
                     .maj_sample = {.temperature = (float)c->generate.temperature,
                                    .top_k = c->generate.top_k, .top_p = (float)c->generate.top_p,
                                    .greedy = c->generate.temperature <= 0},
                     .split = split, .greedy_only = !with_judge && !with_maj};
    EvalCounts counts;
    ErrMsg e;
    if (eval_range(&counts, &rc->task, &rc->tok, &rc->policy, lo, hi - lo, &ep, &e) != 0)
        die("evaluation: %s", e.msg);  // prompts were validated when the task was loaded
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &counts, (int)(sizeof counts / sizeof(int64_t)),
                            MPI_INT64_T, MPI_SUM, rc->comms.learn));
    return eval_summary(&counts);
}

EvalSummary learner_eval(RunCtx *rc, double *seconds) {
    double t0 = timer_now();
    EvalSummary s = eval_split(rc, TASK_SPLIT_EVAL, 1, 1);
    if (seconds) *seconds = timer_now() - t0;
    return s;
}
