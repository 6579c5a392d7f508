/* ranks/round.c — the round scheduler; see round.h. */
#include "ranks/round.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "comm/exchange.h"
#include "io/metrics.h"
#include "io/prefbuf.h"
#include "ranks/aggregator.h"
#include "ranks/ensemble.h"
#include "ranks/learner.h"
#include "ranks/plan.h"
#include "ranks/generator.h"
#include "ranks/judge.h"
#include "ranks/stop.h"
#include "ranks/watchdog.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timer.h"

// Rank 0's status reaches every rank (after phases that only learners or rank 0 run).
static int share_status(RunCtx *ctx, int status) {
    MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, ctx->comms.world));
    return status;
}

// Outcome of a learner phase, decided on world rank 0 (a learner) and shared with every rank:
// returns 1 when the run must end now, with *status its exit status.
static int share_halt(RunCtx *ctx, const TrainResult *tr, int *status) {
    int v[2] = {0, 0};  // halt, status
    if (ctx->comms.rank == 0 && tr->stop != STOP_NONE) v[0] = 1, v[1] = stop_exit_status(tr->stop);
    if (ctx->comms.rank == 0 && tr->failed) v[0] = 1, v[1] = EXIT_FAILURE_RUN;
    MPI_CHECK(MPI_Bcast(v, 2, MPI_INT, 0, ctx->comms.world));
    *status = v[1];
    return v[0];
}

// Every model's group ends together: a halt in one group (a stop, a failure) halts them all, and
// a group that was not stopped saves its position first, so that a re-run resumes every model in
// the same phase. Returns the halt decision over all groups, with *status set.
static int halt_together(RunCtx *ctx, int halted, int *status) {
    if (ctx->ens.K == 1) return halted;
    // a failure outranks a requeue or a clean stop
    int mine[2] = {halted, halted ? (*status == EXIT_FAILURE_RUN ? 1000 : *status) : 0}, all[2];
    MPI_CHECK(MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, ctx->ens.all));
    if (!all[0]) return 0;
    if (!halted) {
        log_root("stopping with the other models");
        learner_checkpoint_position(ctx);
    }
    *status = all[1] == 1000 ? EXIT_FAILURE_RUN : all[1];
    return 1;
}

static void metrics_path(const RunCtx *ctx, char *out, size_t size) {
    snprintf(out, size, "%s/metrics.jsonl", ctx->cfg.run.run_dir);
}

// ---- start: fresh run or resume --------------------------------------------------------------

// Rank 0: creates the run directory and writes config.json (fresh runs).
static int prepare_run_dir(RunCtx *ctx, ErrMsg *e) {
    const char *dir = ctx->cfg.run.run_dir;
    char path[CONFIG_PATH_MAX + 32];
    ErrMsg why;
    if (fs_mkdir_p(dir, &why) != 0) return err_set(e, "run.run_dir: %s", why.msg);
    snprintf(path, sizeof path, "%s/config.json", dir);
    return config_save(&ctx->cfg, path, e);
}

// Loads the initial weights: random from the model's seed, or model.init (a concord checkpoint;
// "{k}" in it becomes the model's index, so that each model of an ensemble starts from its own).
static int init_weights(RunCtx *ctx, ErrMsg *e) {
    char init[CONFIG_PATH_MAX + 16];
    const char *mark = strstr(ctx->cfg.model.init, "{k}");
    if (mark)
        snprintf(init, sizeof init, "%.*s%d%s", (int)(mark - ctx->cfg.model.init),
                 ctx->cfg.model.init, ctx->ens.model, mark + 3);
    else
        snprintf(init, sizeof init, "%s", ctx->cfg.model.init);
    if (!init[0]) {
        gpt_init_weights(&ctx->policy, ctx->state.seed);
        return 0;
    }
    CkptContents c = {.model = &ctx->policy};
    if (ckpt_read(init, &ctx->model, &c, ctx->comms.world, e) != 0) return -1;
    log_root("initial weights from %s", init);
    return 0;
}

// Which round the metrics file may keep lines for when resuming at the current state.
static int completed_round(const RunCtx *ctx) {
    return plan_completed_round(ctx->state.round, ctx->phase);
}

// Loads the run's position from checkpoint `path` after checking that it was written with this
// config (only resumable keys may differ). Collective over the group; 0, or -1 with e filled on
// the group's first rank.
static int resume_from(RunCtx *ctx, const char *path, ErrMsg *e) {
    CkptInfo info;
    Phase phase = PHASE_SFT;
    int peeked = ckpt_peek(path, &info, e) == 0, st = !peeked;
    if (!st && phase_from_name(info.state.phase, &phase) != 0) {
        err_set(e, "%s: phase '%s' is not one a run resumes from (sft, train, done)", path,
                info.state.phase);
        st = 1;
    }
    if (!st) {
        Config old;
        if (config_parse(&old, info.config_json, path, NULL, 0, e) != 0) {
            st = 1;
        } else {
            char diff[2048];
            if (config_diff(&old, &ctx->cfg, 1, diff, sizeof diff) > 0) {
                err_set(e,
                        "%s was written with a different config; these keys differ: %s\nHINT: "
                        "resume with the original config (only rounds.count and run-time keys "
                        "may change), or use a new run.run_dir",
                        path, diff);
                st = 1;
            }
        }
    }
    int any = st;
    MPI_CHECK(MPI_Allreduce(&st, &any, 1, MPI_INT, MPI_MAX, ctx->comms.world));
    if (any) {
        if (!st) err_set(e, "resume failed on another rank");
        if (peeked) ckpt_info_free(&info);
        return -1;
    }
    int round = info.state.round;
    int mid = phase == PHASE_SFT || phase == PHASE_TRAIN;
    CkptContents c = {.model = &ctx->policy,
                      .state = &ctx->state,
                      .optim = mid ? &ctx->opt : NULL,
                      .ref = round > 0 ? &ctx->sft : NULL,
                      .prev = round > 0 ? &ctx->round_start : NULL};
    ckpt_info_free(&info);
    if (mid) {  // ckpt_read fills the moments into slabs of the model's layout
        AdamWConfig oc;
        config_adamw(&ctx->cfg, &oc);
        learner_reset_optimizer(ctx, &oc);
    }
    if (ckpt_read(path, &ctx->model, &c, ctx->comms.world, e) != 0) return -1;
    ctx->phase = phase;
    if (round == 0) param_slab_copy(&ctx->sft, &ctx->policy);
    if (round == 0) param_slab_copy(&ctx->round_start, &ctx->policy);
    if (ctx->comms.rank == 0) {
        char mp[CONFIG_PATH_MAX + 32];
        metrics_path(ctx, mp, sizeof mp);
        if (metrics_truncate(mp, completed_round(ctx), e) != 0) log_warn("metrics: %s", e->msg);
    }
    log_root("resuming from %s: round %d, phase %s, step %lld", path, ctx->state.round,
             phase_name(ctx->phase), (long long)ctx->state.round_step);
    return 0;
}

// Resumes from LATEST when there is one; returns 1 resumed, 0 fresh, -1 error (e filled).
static int resume(RunCtx *ctx, ErrMsg *e) {
    char path[CKPT_PATH_MAX] = "";
    int have = 0;
    if (ctx->comms.rank == 0) have = ckpt_latest(ctx->cfg.run.run_dir, path, sizeof path, e) == 0;
    MPI_CHECK(MPI_Bcast(&have, 1, MPI_INT, 0, ctx->comms.world));
    if (!have) return 0;
    char *shared = exchange_bcast_text(path, 0, ctx->comms.world);
    snprintf(path, sizeof path, "%s", shared);
    xfree(shared);
    return resume_from(ctx, path, e) != 0 ? -1 : 1;
}

// A fresh start: the run directory, the initial weights, phase SFT. 0, or -1 with e filled.
static int start_fresh(RunCtx *ctx, ErrMsg *e) {
    int st = ctx->comms.rank == 0 ? prepare_run_dir(ctx, e) != 0 : 0;
    if (share_status(ctx, st)) return -1;
    st = init_weights(ctx, e) != 0;
    if (share_status(ctx, st)) {
        if (ctx->comms.rank == 0) {
            ErrMsg why = *e;
            err_set(e, "model.init: %s", why.msg);
        }
        return -1;
    }
    ctx->phase = PHASE_SFT;
    ctx->state.round = 0;
    ctx->state.round_step = 0;
    if (ctx->comms.rank == 0) {  // lines of an earlier start that was given up
        char mp[CONFIG_PATH_MAX + 32];
        metrics_path(ctx, mp, sizeof mp);
        if (metrics_truncate(mp, -1, e) != 0) log_warn("metrics: %s", e->msg);
    }
    return 0;
}

// The models of an ensemble must start from the same round and phase (steps inside a phase may
// differ: the groups only meet at its end). After a kill between two groups' checkpoints they do
// not; then every model goes back to the last round all of them completed (or starts afresh).
// Returns 0, or -1 with e filled on the group's first rank.
static int align_models(RunCtx *ctx, int resumed, ErrMsg *e) {
    const Ensemble *en = &ctx->ens;
    int mine[3] = {resumed, ctx->state.round, (int)ctx->phase};
    int *all = xmalloc("align.positions", (size_t)en->all_size * sizeof mine);
    MPI_CHECK(MPI_Allgather(mine, 3, MPI_INT, all, 3, MPI_INT, en->all));
    PlanPos *pos = xmalloc("align.positions", (size_t)en->all_size * sizeof *pos);
    for (int i = 0; i < en->all_size; i++)  // one per rank: a group's ranks repeat its position
        pos[i] = (PlanPos){
            .resumed = all[3 * i], .round = all[3 * i + 1], .phase = (Phase)all[3 * i + 2]};
    PlanAlign plan;
    plan_align(pos, en->all_size, &plan);
    xfree(pos), xfree(all);
    if (plan.action != PLAN_GO_ON) {
        log_root(
            "the models stopped at different points (rounds %d..%d); every model goes back to "
            "%s",
            plan.lo_round, plan.hi_round,
            plan.action == PLAN_FRESH ? "a fresh start" : "its last common round");
        if (plan.action == PLAN_FRESH) {
            if (start_fresh(ctx, e) != 0) return -1;
        } else {
            char name[CKPT_NAME_MAX], path[CKPT_PATH_MAX];
            ckpt_name_round(name, sizeof name, plan.common);
            snprintf(path, sizeof path, "%s/%s.h5", ctx->ckpt_dir, name);
            if (resume_from(ctx, path, e) != 0) return -1;
        }
    }
    if (en->all_rank == 0 && en->K > 1) {  // the ensemble's lines beyond the common point go
        char mp[CONFIG_PATH_MAX + 32];
        snprintf(mp, sizeof mp, "%s/metrics.jsonl", en->base_dir);
        if (metrics_truncate(mp, plan.common, e) != 0) log_warn("metrics: %s", e->msg);
    }
    return 0;
}

// ---- metrics ------------------------------------------------------------------------------------

static void add_eval(MetricsRecord *m, const EvalSummary *ev) {
    metrics_set_int(m, NULL, "eval_prompts", ev->prompts);
    metrics_set_num(m, NULL, "greedy_acc", ev->greedy_acc);
    metrics_set_num(m, NULL, "maj_acc", ev->maj_acc);
    metrics_set_num(m, NULL, "judge_acc", ev->judge_acc);
    metrics_set_num(m, NULL, "judge_acc_raw", ev->judge_acc_raw);
    metrics_set_num(m, NULL, "judge_self_acc", ev->judge_self_acc);
    metrics_set_num(m, NULL, "judge_self_acc_raw", ev->judge_self_acc_raw);
    metrics_set_num(m, NULL, "mean_resp_len", ev->mean_resp_len);
    metrics_set_num(m, NULL, "no_answer_rate", ev->no_answer_rate);
    for (int l = 1; l <= TASK_MAX_LEVELS; l++)
        if (ev->level_prompts[l] > 0) {
            char key[8];
            snprintf(key, sizeof key, "%d", l);
            metrics_set_num(m, "accuracy_by_level", key, ev->level_greedy_acc[l]);
        }
}

static void add_train(MetricsRecord *m, const TrainResult *tr) {
    metrics_set_num(m, NULL, "loss", tr->loss);
    metrics_set_num(m, NULL, "reward_margin", tr->margin);
    metrics_set_num(m, NULL, "pref_accuracy", tr->accuracy);
    metrics_set_num(m, NULL, "reward_chosen", tr->reward_c);
    metrics_set_num(m, NULL, "reward_rejected", tr->reward_r);
    metrics_set_num(m, NULL, "kl_to_ref", tr->kl);
    metrics_set_int(m, NULL, "train_steps", tr->steps);
    metrics_set_int(m, NULL, "skipped_steps", tr->skipped);
    if (tr->examples > 0) metrics_set_int(m, NULL, "train_examples", tr->examples);
    metrics_set_num(m, NULL, "train_tokens_per_s", tr->tokens_per_s);
    metrics_set_num(m, NULL, "scir_penalty", tr->scir_penalty);
    metrics_set_num(m, NULL, "scir_dropped_fraction", tr->scir_dropped_fraction);
    metrics_set_num(m, NULL, "allreduce_exposed_share",
                    tr->backward_seconds > 0 ? tr->allreduce_wait / tr->backward_seconds : NAN);
    metrics_set_num(m, NULL, "learner_imbalance_share",
                    tr->backward_seconds > 0 ? tr->imbalance_seconds / tr->backward_seconds : NAN);
}

static void add_round_stats(MetricsRecord *m, const PrefMeta *meta) {
    for (int i = 0; i < meta->n_stats; i++)
        metrics_set_num(m, NULL, meta->stats[i].name, meta->stats[i].value);
    double sum = 0.0;
    int n = 0;
    for (int a = 0; a < meta->J; a++)
        for (int b = 0; b < meta->J; b++)
            if (a != b && isfinite(meta->agreement[a * meta->J + b]))
                sum += meta->agreement[a * meta->J + b], n++;
    metrics_set_num(m, NULL, "judge_agreement", n ? sum / n : NAN);
}

// What this model tells the ensemble's line: held-out accuracy (overall, by level), and the kept
// labels of the round (meta; NULL for the SFT line).
static void model_stats(EnsembleModelStats *ms, const EvalSummary *ev, const PrefMeta *meta,
                        double seconds) {
    ms->greedy_acc = ev->greedy_acc;
    ms->label_accuracy = ms->kept_fraction = ms->level_agreement = NAN;
    if (meta && prefbuf_meta_get_stat(meta, "level_agreement_rate", &ms->level_agreement) != 0)
        ms->level_agreement = NAN;
    if (meta && prefbuf_meta_get_stat(meta, "label_accuracy", &ms->label_accuracy) != 0)
        ms->label_accuracy = NAN;
    if (meta && prefbuf_meta_get_stat(meta, "kept_fraction", &ms->kept_fraction) != 0)
        ms->kept_fraction = NAN;
    ms->seconds = seconds;
    for (int l = 0; l <= TASK_MAX_LEVELS; l++)
        ms->level_acc[l] = ev->level_prompts[l] > 0 ? ev->level_greedy_acc[l] : NAN;
}

static void write_metrics(RunCtx *ctx, MetricsRecord *m) {
    if (ctx->comms.rank == 0) {
        char mp[CONFIG_PATH_MAX + 32];
        ErrMsg e;
        metrics_path(ctx, mp, sizeof mp);
        // a line that cannot be written (a full disk) ends the run: the round is redone on resume
        if (metrics_append(mp, m, &e) != 0) die("metrics: %s", e.msg);
    }
    metrics_record_free(m);
}

// ---- the schedule guard -----------------------------------------------------------------------

#define HOLDS_CURSOR "level_holds"  // checkpoint cursor: the task's level holds (bit r: round r)

// Restores the task's level holds from the run state (none on a fresh start).
static void restore_level_holds(RunCtx *ctx) {
    if (ctx->task.spec.level_holds)
        task_set_level_holds(&ctx->task, (uint64_t)ckpt_state_cursor(&ctx->state, HOLDS_CURSOR, 0));
}

// task.levels.advance_min_agreement after round r: the next round stays at round r's schedule
// position unless at least that share of round r's prompts at its level kept a label. World rank
// 0 of the ensemble decides from model 0's round file (the models' consensus labels are the same)
// and every rank of every model takes the decision, which the next checkpoint records.
static void guard_schedule(RunCtx *ctx, int r, const PrefMeta *meta) {
    double min = ctx->cfg.task.levels.advance_min_agreement, rate = NAN;
    if (min <= 0 || r + 1 > TASK_HOLDS_MAX_ROUND) return;
    int hold = 0;
    if (ctx->ens.all_rank == 0) {
        if (prefbuf_meta_get_stat(meta, "level_agreement_rate", &rate) != 0) rate = NAN;
        hold = isfinite(rate) && rate < min;  // no prompt at the level: nothing says to wait
    }
    MPI_CHECK(MPI_Bcast(&hold, 1, MPI_INT, 0, ctx->ens.all));
    uint64_t holds = ctx->task.holds | (hold ? 1ull << (r + 1) : 0);
    task_set_level_holds(&ctx->task, holds);
    ckpt_state_set_cursor(&ctx->state, HOLDS_CURSOR, (int64_t)holds);
    int level = task_round_level(&ctx->task, r);
    if (ctx->ens.all_rank == 0 && !isfinite(rate))
        log_root("round %d had no prompt at its level %d: round %d follows the schedule", r, level,
                 r + 1);
    else if (ctx->ens.all_rank == 0)
        log_root("round %d: %.1f%% of the level-%d prompts kept a label (%s %.1f%%): round %d %s",
                 r, 100 * rate, level, hold ? "below" : "at least", 100 * min, r + 1,
                 hold ? "stays at that level" : "follows the schedule");
}

// ---- phases -----------------------------------------------------------------------------------

// SFT warm-up (phase "sft"), then its evaluation and ckpt/round_0000.h5. Returns 1 when the run
// must end now (stopped or failed), with *status set.
static int run_sft(RunCtx *ctx, int *status) {
    TrainResult tr = {0};
    watchdog_phase("sft");
    if (ctx->comms.roles & ROLE_LEARNER) {
        tr = learner_sft(ctx);
        if (tr.stop != STOP_NONE) log_root("stopped during SFT (%s)", stop_reason_name(tr.stop));
        if (tr.failed) log_root("SFT stopped: more than train.max_nan_skips non-finite steps");
    }
    if (halt_together(ctx, share_halt(ctx, &tr, status), status)) return 1;
    MetricsRecord *m = metrics_record_new();
    metrics_set_int(m, NULL, "round", 0);
    metrics_set_str(m, NULL, "phase", phase_name(PHASE_SFT));
    char *answers = NULL;
    EnsembleModelStats ms;
    watchdog_phase("eval");
    if (ctx->comms.roles & ROLE_LEARNER) {
        fault_point("phase.eval");
        double secs;
        EvalSummary ev = learner_eval(ctx, &secs, &answers);
        add_eval(m, &ev);
        add_train(m, &tr);
        metrics_set_int(m, NULL, "sft_steps", tr.cursor);
        metrics_set_num(m, NULL, "sft_validation_acc", tr.validation_acc);
        metrics_set_num(m, NULL, "sft_validation_judge_acc", tr.validation_judge_acc);
        metrics_set_num(m, "seconds", "train", tr.seconds);
        metrics_set_num(m, "seconds", "eval", secs);
        log_root(
            "SFT: %lld steps, loss %.4f, greedy accuracy %.3f, maj@%d %.3f, judge accuracy "
            "%.3f (%.1fs)",
            (long long)tr.steps, tr.loss, ev.greedy_acc, ctx->cfg.task.maj_k, ev.maj_acc,
            ev.judge_acc, tr.seconds);
        model_stats(&ms, &ev, NULL, tr.seconds + secs);
    }
    ensemble_report(ctx, 0, ctx->comms.rank == 0 ? &ms : NULL, answers, m);
    xfree(answers);
    write_metrics(ctx, m);
    ctx->state.round = 0;
    ctx->state.round_step = 0;
    ctx->phase = PHASE_DONE;
    watchdog_phase("checkpoint");
    fault_point("phase.checkpoint");
    run_checkpoint(ctx, "round_0000", 0);
    run_bcast_slab(ctx, &ctx->policy);
    param_slab_copy(&ctx->sft, &ctx->policy);
    param_slab_copy(&ctx->round_start, &ctx->policy);
    return 0;
}

// Generation, judging and aggregation of round ctx->state.round + 1; ends in phase "train".
static void run_collect(RunCtx *ctx, double seconds[3]) {
    if (ctx->state.round >= 1) {  // θ_{r-1} becomes the previous policy of round r + 1
        param_slab_copy(&ctx->previous, &ctx->round_start);
        ctx->has_previous = 1;
    }
    param_slab_copy(&ctx->round_start, &ctx->policy);
    ctx->state.round++;
    int r = ctx->state.round;
    RoundSamples s;
    samples_init(&s, ctx, r);
    double t0 = timer_now();
    watchdog_phase("generate");
    fault_point("phase.generate");
    generator_run(ctx, &s);
    if (ctx->ens.K > 1) ensemble_gather_responses(ctx, &s);
    double t1 = timer_now();
    watchdog_phase("judge");
    fault_point("phase.judge");
    judge_run(ctx, &s);
    double t2 = timer_now();
    watchdog_phase("aggregate");
    fault_point("phase.aggregate");
    AggStats stats;
    aggregator_run(ctx, &s, &stats);
    double t3 = timer_now();
    seconds[0] = t1 - t0, seconds[1] = t2 - t1, seconds[2] = t3 - t2;
    samples_free(&s);
    ctx->phase = PHASE_TRAIN;
    ctx->state.round_step = 0;
}

// Training, evaluation and the round's checkpoint. Returns 1 when the run must end now (stopped
// or failed), with *status set.
// This model's round file of round r, loaded on every learner (dies on a damaged file: it was
// written by this run).
static void load_round(RunCtx *ctx, int r, PrefMeta *meta, PrefRows *rows) {
    char path[CONFIG_PATH_MAX + 64];
    prefbuf_path(path, sizeof path, ctx->cfg.run.run_dir, r, 0);
    ErrMsg e;
    if (prefbuf_load(path, ctx->comms.learn, meta, rows, &e) != 0) die("round %d: %s", r, e.msg);
}

// The round's training: pairwise losses on round r's pairs, or likelihood on its kept labels
// (and, with train.replay, every earlier round's).
static TrainResult train_round(RunCtx *ctx, int r, PrefMeta *meta) {
    PrefRows rows;
    load_round(ctx, r, meta, &rows);
    if (ctx->loss_kind != LOSS_SFT) {
        TrainResult tr = learner_train_round(ctx, &rows);
        prefbuf_rows_free(&rows);
        return tr;
    }
    int first = ctx->cfg.train.replay ? 1 : r;
    int n = r - first + 1;
    PrefRows *earlier = xcalloc("replay", (size_t)n, sizeof(PrefRows));
    const PrefRows **all = xmalloc("replay", (size_t)n * sizeof *all);
    for (int q = first; q < r; q++) {
        PrefMeta old;
        load_round(ctx, q, &old, &earlier[q - first]);
        all[q - first] = &earlier[q - first];
    }
    all[n - 1] = &rows;
    TrainResult tr = learner_train_labels(ctx, all, n);
    for (int q = 0; q < n - 1; q++) prefbuf_rows_free(&earlier[q]);
    prefbuf_rows_free(&rows);
    xfree(earlier), xfree(all);
    return tr;
}

static int run_train(RunCtx *ctx, const double collect_seconds[3], int *status) {
    int r = ctx->state.round;
    TrainResult tr = {0};
    PrefMeta meta = {0};
    watchdog_phase("train");
    fault_point("phase.train");
    if (ctx->comms.roles & ROLE_LEARNER) {
        tr = train_round(ctx, r, &meta);
        if (tr.stop != STOP_NONE)
            log_root("stopped in round %d (%s)", r, stop_reason_name(tr.stop));
        if (tr.failed)
            log_root(
                "round %d stopped: more than train.max_nan_skips (%d) non-finite steps; the "
                "last good checkpoint is kept",
                r, ctx->cfg.train.max_nan_skips);
    }
    if (halt_together(ctx, share_halt(ctx, &tr, status), status)) return 1;
    MetricsRecord *m = metrics_record_new();
    metrics_set_int(m, NULL, "round", r);
    metrics_set_str(m, NULL, "loss_kind", ctx->cfg.train.loss);
    metrics_set_str(m, NULL, "aggregate_mode", ctx->cfg.aggregate.mode);
    char *answers = NULL;
    EnsembleModelStats ms;
    watchdog_phase("eval");
    if (ctx->comms.roles & ROLE_LEARNER) {
        fault_point("phase.eval");
        double secs;
        EvalSummary ev = learner_eval(ctx, &secs, &answers);
        add_eval(m, &ev);
        add_train(m, &tr);
        add_round_stats(m, &meta);
        double collected = 0.0;
        if (collect_seconds) {
            metrics_set_num(m, "seconds", "generate", collect_seconds[0]);
            metrics_set_num(m, "seconds", "judge", collect_seconds[1]);
            metrics_set_num(m, "seconds", "aggregate", collect_seconds[2]);
            collected = collect_seconds[0] + collect_seconds[1] + collect_seconds[2];
        }
        metrics_set_num(m, "seconds", "train", tr.seconds);
        metrics_set_num(m, "seconds", "eval", secs);
        if (ctx->ens.K == 1)
            log_root(
                "round %d: loss %.4f, margin %.3f, greedy accuracy %.3f, maj@%d %.3f, judge "
                "accuracy %.3f",
                r, tr.loss, tr.margin, ev.greedy_acc, ctx->cfg.task.maj_k, ev.maj_acc,
                ev.judge_acc);
        model_stats(&ms, &ev, &meta, collected + tr.seconds + secs);
    }
    guard_schedule(ctx, r, &meta);
    ensemble_report(ctx, r, ctx->comms.rank == 0 ? &ms : NULL, answers, m);
    xfree(answers);
    write_metrics(ctx, m);
    ctx->phase = PHASE_DONE;
    ctx->state.round_step = 0;
    watchdog_phase("checkpoint");
    fault_point("phase.checkpoint");
    char name[CKPT_NAME_MAX];
    ckpt_name_round(name, sizeof name, r);
    run_checkpoint(ctx, name, 0);
    run_bcast_slab(ctx, &ctx->policy);  // generators and judges of the next round
    return 0;
}

// Fresh start or resume, the same point for every model. 0, or an exit status (message printed
// once).
static int start(RunCtx *ctx) {
    ErrMsg e = {{0}};
    int resumed = resume(ctx, &e);
    int st = resumed >= 0 ? 0 : -1;
    if (st == 0 && !resumed) st = start_fresh(ctx, &e);
    if (st == 0) st = align_models(ctx, resumed > 0, &e);
    int who = ensemble_first_failing(&ctx->ens, st != 0);
    if (who < ctx->ens.K) {
        if (ctx->ens.model == who && ctx->comms.rank == 0) fprintf(stderr, "error: %s\n", e.msg);
        return EXIT_BAD_INPUT;
    }
    if (!resumed && ctx->ens.K > 1 && ctx->ens.all_rank == 0) {  // the ensemble's own config.json
        Config base = ctx->cfg;
        char path[CONFIG_PATH_MAX + 32];
        snprintf(base.run.run_dir, sizeof base.run.run_dir, "%s", ctx->ens.base_dir);
        snprintf(path, sizeof path, "%s/config.json", ctx->ens.base_dir);
        if (config_save(&base, path, &e) != 0) log_warn("%s", e.msg);
    }
    return 0;
}

static void print_summary(RunCtx *ctx) {
    ErrMsg e = {{0}};
    const Ensemble *en = &ctx->ens;
    if (en->all_rank != 0) return;
    char mp[CONFIG_PATH_MAX + 32];
    snprintf(mp, sizeof mp, "%s/metrics.jsonl", en->base_dir);
    printf("\nrun %s: %d round%s complete\n", en->base_dir, ctx->state.round,
           ctx->state.round == 1 ? "" : "s");
    int bad = en->K > 1 ? metrics_print_ensemble_summary(mp, stdout, &e)
                        : metrics_print_summary(mp, stdout, &e);
    if (bad) log_warn("metrics: %s", e.msg);
    fflush(stdout);
}

int round_main(RunCtx *ctx, int sft_only) {
    stop_init(ctx->ens.base_dir, ctx->cfg.run.max_wall_seconds);  // one STOP file for all models
    int status = start(ctx);
    if (status != 0) return status;
    restore_level_holds(ctx);
    if (ctx->phase == PHASE_SFT && run_sft(ctx, &status)) return status;
    int R = sft_only ? 0 : ctx->cfg.rounds.count;
    while (1) {
        double secs[3];
        const double *collect = NULL;
        if (ctx->phase == PHASE_DONE) {
            if (ctx->state.round >= R) break;
            watchdog_phase("between rounds");
            StopReason st = stop_poll(ctx->ens.all);  // every model stops or none
            if (st != STOP_NONE) {
                log_root("stopping before round %d (%s)", ctx->state.round + 1,
                         stop_reason_name(st));
                return stop_exit_status(st);
            }
            run_collect(ctx, secs);
            collect = secs;
        }
        if (run_train(ctx, collect, &status)) return status;
    }
    watchdog_phase("summary");
    print_summary(ctx);
    return EXIT_OK;
}
