/* ranks/learner.h — the learner role: data-parallel training steps (SFT warm-up and preference
   training) with the gradient all-reduce overlapped with the backward, identical AdamW on every
   learner, NaN/Inf step skipping, and held-out evaluation split across learners.
   All functions are collective over the learner communicator unless noted. */
#ifndef CONCORD_RANKS_LEARNER_H
#define CONCORD_RANKS_LEARNER_H

#include "io/prefbuf.h"
#include "ranks/run.h"
#include "ranks/stop.h"
#include "train/evaluate.h"
#include "train/loss.h"

/* Result of a training phase. */
typedef struct {
    int64_t steps;             // optimizer steps taken in this call
    int64_t skipped;           // steps skipped for a non-finite loss or gradient
    double loss;               // mean loss over the steps taken
    double margin;             // mean reward margin (preference training)
    double accuracy;           // mean preference accuracy (preference training)
    double reward_c;           // mean chosen implicit reward
    double reward_r;           // mean rejected implicit reward
    double kl;                 // mean policy-minus-reference log-ratio of the training responses
    double tokens_per_s;       // policy tokens processed per second (all learners)
    double seconds;            // wall time of the phase
    double allreduce_wait;     // seconds blocked finishing the all-reduce (exposed communication)
    double backward_seconds;   // seconds in forward+backward (for the exposed share)
    double imbalance_seconds;  // sum over steps of (slowest learner's forward+backward - this
                               // learner's): the part of allreduce_wait owed to uneven learners
    double scir_penalty;       // SCIR: mean consistency penalty L_con per pair (NaN when off)
    double scir_dropped_fraction;  // SCIR: share of pair-steps outside the consistent set
    double validation_acc;         // SFT: last validation greedy accuracy (NaN when not checked)
    double validation_judge_acc;  // SFT: last validation judge balanced accuracy (NaN: not checked)
    int64_t examples;             // likelihood training on labels: labels trained on (with replay)
    int64_t cursor;   // SFT: steps done when the phase ended (< sft.steps when it stopped
                      // at sft.stop_at_accuracy)
    StopReason stop;  // why the phase ended early (STOP_NONE when complete)
    int failed;       // 1 when too many steps were skipped (train.max_nan_skips)
} TrainResult;

/* SFT warm-up from the current policy for sft.steps steps, resuming at ctx->state.round_step.
   Writes mid-phase checkpoints every checkpoint.every steps and one when stopped. */
TrainResult learner_sft(RunCtx *ctx);

/* Preference training of round ctx->state.round on the kept pairs of rows (every learner holds all
   rows), resuming at ctx->state.round_step. */
TrainResult learner_train_round(RunCtx *ctx, const PrefRows *rows);

/* Replaces the optimizer with a fresh one of config oc (zero moments, step 0): at the start of a
   training phase, and on resume before a checkpoint's moments are read into it. Not collective. */
void learner_reset_optimizer(RunCtx *ctx, const AdamWConfig *oc);

/* Likelihood training (train.loss "sft") of round ctx->state.round on the kept labels of n_rounds
   round files (every learner holds all rows): the chosen (consensus) answer of every PREFERRED or
   CHOSEN_ONLY row is a target, train.batch_pairs of them per step, in an order seeded by (seed,
   round, epoch), for train.steps steps (0: train.epochs passes); resumes at ctx->state.round_step. */
TrainResult learner_train_labels(RunCtx *ctx, const PrefRows *const *rounds, int n_rounds);

/* Saves a checkpoint at the current phase and step (a group that must stop because another
   model's group stopped). Collective over the learners; other ranks return at once. */
void learner_checkpoint_position(RunCtx *ctx);

/* Held-out evaluation of ctx->policy (EVAL prompts split across learners); every learner gets the
   summary. seconds: wall time. answers: NULL, or receives on the first learner the greedy answer
   of every EVAL prompt ((E, EVAL_ANSWER_MAX) bytes, "" for none; caller xfree()s), NULL
   elsewhere. */
EvalSummary learner_eval(RunCtx *ctx, double *seconds, char **answers);

#endif
