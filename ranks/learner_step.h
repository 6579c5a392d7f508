/* ranks/learner_step.h — what the learner's training loops share (ranks/learner.c: SFT and
   preference training; ranks/learner_labels.c: likelihood training on kept labels): a batch of
   likelihood examples, its step, the step-boundary stop poll and checkpoint, and the end of a
   loop. Internal to the learner role. */
#ifndef CONCORD_RANKS_LEARNER_STEP_H
#define CONCORD_RANKS_LEARNER_STEP_H

#include "ranks/learner.h"

#define DOUBLES(sums) ((int)(sizeof(sums) / sizeof(double)))  // a sums struct as a double array

// This learner's share of an SFT step: examples lo .. lo + nb - 1 of the global batch of B.
typedef struct {
    int B, lo, nb;            // global batch, this learner's first example and count
    int T;                    // row capacity
    int64_t N;                // SFT examples (one epoch)
    float verdict_weight[2];  // loss weight of judging examples: [0] N verdicts, [1] Y verdicts
    int32_t *tokens;          // (nb, T) rows, packed to (nb, S) during a step
    int32_t *row;             // (T) one encoded example
    int32_t *start;           // (nb) response start
    int32_t *len;             // (nb)
    float *weight;            // (nb) loss weight of each example
    int32_t *offset;          // (nb) abacus positions: each row's random digit-row shift
} SftBatch;

// The SFT sums of a step over the learners.
typedef struct {
    double nll;     // weighted response NLL
    double tokens;  // weighted response tokens
} SftSums;
_Static_assert(sizeof(SftSums) == 2 * sizeof(double), "SftSums is summed as an array of doubles");

/* Allocates b's row buffers for b->nb examples of b->T tokens; sft_batch_free releases them. */
void sft_batch_alloc(SftBatch *b);
void sft_batch_free(SftBatch *b);

/* Abacus positions: draws the digit-row shift of each row of step s (0..model.abacus_offset), a
   pure function of (seed, phase, round, global example index): resumes and any learner count draw
   the same shifts. Zero for the other position encodings. */
void sft_batch_shift(SftBatch *b, const RunCtx *ctx, int64_t s);

/* b sized for this learner's share of sft.batch_size, with the SFT set's verdict weights. */
void sft_batch_init(SftBatch *b, RunCtx *ctx);
/* BatchGatherFn of SFT: this learner's encoded SFT examples of step s (source unused). */
int sft_batch_gather(SftBatch *b, RunCtx *ctx, int64_t s, void *unused);

/* Gathers this learner's examples of step s into b, packed to (nb, S) rows; returns S. source: the
   caller's data. */
typedef int (*BatchGatherFn)(SftBatch *b, RunCtx *ctx, int64_t s, void *source);

/* The step loop of a likelihood phase (SFT, or training on kept labels: phase PHASE_TRAIN) from
   ctx->state.round_step to total, rows from gather: stop polls, mid-phase checkpoints, SFT's
   early stop, and the phase totals (restored on a resume). Fills tr (loss, steps, cursor, ...). */
void learner_likelihood_loop(RunCtx *ctx, Phase phase, SftBatch *b, int64_t total,
                             BatchGatherFn gather, void *source, TrainResult *tr);

#endif
