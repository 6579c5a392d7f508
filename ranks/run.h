/* ranks/run.h — everything one rank holds during `concord run` / `sft` / `eval`: the resolved
   config, communicators, task and tokenizer, the model slabs, optimizer, activations, and the run
   directory's paths. The phases (ranks/sft.c, generator.c, judge.c, aggregator.c, learner.c) take
   a RunCtx; ranks/round.c schedules them.
   Model slabs during round r (1-based):
     policy       θ: the policy being trained (θ_{r-1} at round start, θ_r after training)
     round_start  θ_{r-1}: frozen copy of the policy at round start (the generating policy; INPO's
                  π_t; the reference when train.reference = "round_start")
     sft          θ_0: the SFT model (the reference when train.reference = "sft")
     previous     θ_{r-2}: the previous round's policy (prev_round judge; the implicit judge's base
                  when the reference is the round start); absent in rounds 1 (and 2 for the base)
   Checkpoints store /model = policy, /ref = sft, /prev = round_start of the latest round. */
#ifndef CONCORD_RANKS_RUN_H
#define CONCORD_RANKS_RUN_H

#include <stdio.h>

#include "comm/allreduce.h"
#include "comm/comms.h"
#include "io/ckpt.h"
#include "io/config.h"
#include "ranks/ensemble.h"
#include "ranks/phase.h"
#include "train/adamw.h"
#include "train/gpt.h"
#include "train/loss.h"
#include "train/task.h"
#include "train/tokenizer.h"

/* Exit statuses of `concord run` (documented in the README). */
enum {
    EXIT_OK = 0,           // finished, or stopped cleanly by a STOP file
    EXIT_FAILURE_RUN = 1,  // a fatal error (every rank ends through MPI_Abort)
    EXIT_BAD_INPUT = 2,    // bad config, CLI, data or checkpoint
    EXIT_REQUEUE = 75,     // checkpointed on SIGTERM/SIGUSR1 or run.max_wall_seconds: run again
};

/* train.reference: the model preference training measures its log-ratios against. */
typedef enum {
    REFERENCE_SFT,          // "sft": θ_0, ctx->sft
    REFERENCE_ROUND_START,  // "round_start": θ_{r-1}, ctx->round_start
} Reference;

/* Running totals of a training phase, summed over the learners: what its metrics line reports.
   A mid-phase checkpoint saves them (/state/totals) and a resume restores them, so the line of a
   resumed phase covers all its steps, as if it had never stopped. */
typedef struct {
    double steps, skipped;  // optimizer steps applied / skipped (non-finite loss or gradient)
    double loss;            // likelihood: sum of applied steps' mean NLL; preference: loss x pairs
    double margin, accuracy, reward_c, reward_r, logratio;  // preference: each x pairs
    double pairs;                                           // preference: pairs of applied steps
    double scir_penalty, scir_dropped, scir_pairs;  // SCIR: L_con x pairs, pairs dropped, pairs
    double validation_acc, validation_judge_acc;    // SFT: last validation (NaN: none yet)
} PhaseTotals;

typedef struct RunCtx {
    Config cfg;               // resolved config (run.run_dir: this model's directory)
    Ensemble ens;             // the models and this rank's group; comms is built on the group
    Reference reference;      // cfg.train.reference, resolved once
    LossKind loss_kind;       // cfg.train.loss, resolved once
    char *config_json;        // its JSON text (owned), stored in checkpoints and config.json
    char config_source[512];  // where the config came from, for messages
    Comms comms;              // communicators and roles inside this model's group
    Task task;                // the task (EVAL/ROUND/SFT splits)
    Tokenizer tok;            // the run's tokenizer (char or bpe; owned)
    int32_t yes, no;          // judge verdict token ids ('Y', 'N')
    char *score_template;     // llm_judge options.mode "score": its judge prompt (owned), else NULL
    GPTConfig model;          // model shape
    ParamSlab policy;         // see the header comment
    ParamSlab round_start;    // allocated on every rank that needs it
    ParamSlab sft;
    ParamSlab previous;
    int has_previous;          // previous holds θ_{r-2}
    ParamSlab grads;           // learners: gradient slab
    GradReducer reducer;       // learners: bucketed all-reduce of grads, overlapped with backward
    AdamW opt;                 // learners: optimizer of the current phase
    PhaseTotals totals;        // learners: running totals of the training phase in progress
    Activations train_acts;    // learners: training activations (batch capacity below)
    Activations infer_acts;    // forward-only activations for scoring and evaluation
    Activations judge_acts;    // learners, SCIR only: training activations of the judge pass
    KVCache kv;                // generators and evaluation: decoding cache
    int train_batch;           // sequences per training forward on this learner
    CkptState state;           // position of the run (round, step, round_step; its phase name
                               // is set from `phase` only when a checkpoint is written)
    Phase phase;               // where the run stands (read from state.phase on resume)
    char ckpt_dir[600];        // run_dir/ckpt
    double t_start;            // timer_now() at start
    double wall_budget_start;  // origin of run.max_wall_seconds (Slurm job start when known)
} RunCtx;

/* Collective(world). Reads the config (rank 0 reads the file config_path, or takes config_text
   when not NULL with config_path naming its source; broadcasts the text; every rank parses),
   applies --set overrides and an optional run directory override, builds the layout and
   communicators, the task and tokenizer, and allocates the slabs. Bad input: one message from
   rank 0 and EXIT_BAD_INPUT from every rank (returned, nothing started). */
int run_ctx_init(RunCtx *ctx, const char *config_path, const char *config_text, const char *run_dir,
                 const char *const *sets, int n_sets);
void run_ctx_free(RunCtx *ctx);

/* Broadcasts a slab from world rank 0 (the learner root) to the generators and judges (collective
   over the policy communicator; ranks outside it, all learners, already hold the same values). */
void run_bcast_slab(RunCtx *ctx, ParamSlab *s);

/* Writes a checkpoint named `name` (collective over the learners) with the current state and
   ctx->phase as its phase name. */
void run_checkpoint(RunCtx *ctx, const char *name, int with_optim);

#endif
