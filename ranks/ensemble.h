/* ranks/ensemble.h — K independently seeded models as the judge ensemble (ensemble.models).
   The world's ranks split into K groups of consecutive ranks (comms_model_of_rank); group k holds
   model k and runs every phase of a round on its own communicator, data-parallel inside the group
   (RunCtx.comms is built on the group). The groups meet at three points, each collective over all
   ranks:
     1. after generation: every model's responses to the round's prompts reach every rank
        (ensemble_gather_responses), so each response can be scored by the share of models that
        give the same answer (the ensemble_vote judge) and the consensus kept;
     2. after evaluation: the models' greedy answers to the held-out prompts are gathered on world
        rank 0, which scores their plurality vote and writes the ensemble's metrics line
        (ensemble_report);
     3. at start-up and at stops: every group resumes from the same round and phase, and a stop
        seen by one group stops them all (ranks/round.c).
   Files: with K = 1 nothing changes (run_dir holds config.json, ckpt/, prefs/, metrics.jsonl).
   With K > 1, model k's files live in run_dir/model_k/ (its own config.json, ckpt/, prefs/ and
   metrics.jsonl, exactly the layout of a one-model run) and run_dir/metrics.jsonl holds the
   ensemble's lines: greedy_acc (mean over models), greedy_acc_by_model, vote_acc,
   label_accuracy (kept labels, measured against ground truth only), per round.
   Seeds: model 0 uses run.seed, model k > 0 a seed derived from (run.seed, k): its own weights,
   SFT order and sampling. The task (held-out, SFT and round prompts) uses run.seed for every
   model, so all models see the same prompts. */
#ifndef CONCORD_RANKS_ENSEMBLE_H
#define CONCORD_RANKS_ENSEMBLE_H

#include <mpi.h>
#include <stdint.h>

#include "io/config.h"
#include "train/evaluate.h"

#define ENSEMBLE_MAX_MODELS 64  // ensemble.models' upper bound

typedef struct {
    int K;                   // models
    int model;               // this rank's model k, 0..K-1
    int others;              // 1: model k learns the vote of the other K - 1 models
    MPI_Comm all;            // every rank of every model (borrowed MPI_COMM_WORLD)
    int all_rank, all_size;  // rank in all, and its size
    int first_rank[ENSEMBLE_MAX_MODELS + 1];  // (K + 1) first world rank of each model's group
    MPI_Comm group;                           // this model's ranks (owned)
    char base_dir[CONFIG_PATH_MAX];           // run.run_dir as configured
} Ensemble;

/* Collective over every rank: splits the ranks into K groups. K > world size is refused by the
   caller before (run_ctx_init). */
void ensemble_init(Ensemble *en, int K, int others, const char *base_dir);
void ensemble_free(Ensemble *en);

struct RunCtx;
struct RoundSamples;

/* Model k's seed: run.seed for k = 0, else a Philox-mixed value of (seed, k) below 2^53. */
uint64_t ensemble_model_seed(uint64_t seed, int k);

/* Model k's run directory: base itself when K = 1, else base/model_k. */
void ensemble_model_dir(char *out, size_t size, const char *base, int K, int k);

/* Which models' responses model k votes with: all K, or the other K - 1 (labels "others"). */
int ensemble_voters(const Ensemble *en, int k, int *models /* (K) */);

/* Vote of the K models' answers (each "" when the model gave none): the most frequent non-empty
   answer, ties to the answer of the lowest-indexed model among them; -1 when no model answered,
   else the index of the first model giving it. Pure. */
int ensemble_plurality(const char *const *answers /* (K) */, int K);

/* What one model contributes to the ensemble's metrics line of a round. */
typedef struct {
    double greedy_acc;       // held-out greedy accuracy
    double label_accuracy;   // kept labels right (NaN for the SFT line or without ground truth)
    double kept_fraction;    // kept share of the round's prompts (NaN for the SFT line)
    double level_agreement;  // kept share of the prompts at the round's level (NaN: no schedule)
    double seconds;          // the model's seconds for the round (all phases)
    double level_acc[TASK_MAX_LEVELS + 1];  // greedy accuracy by level (NaN: level absent)
} EnsembleModelStats;

/* Collective over every rank, after each model's evaluation: the models' stats and greedy
   answers to the held-out prompts (answers: (E, EVAL_ANSWER_MAX) bytes on each group's first
   rank, NULL elsewhere) reach world rank 0, which scores the plurality vote and, with K > 1,
   appends the ensemble's line to run_dir/metrics.jsonl and logs it; with K = 1 it adds the same
   keys (greedy_acc_by_model, vote_acc, accuracy_by_level; with a level schedule, the round's
   level and the next round's, next_level, as the task's holds now say) to own, the model's
   line. */
struct MetricsRecord;
void ensemble_report(struct RunCtx *ctx, int round, const EnsembleModelStats *mine,
                     const char *answers, struct MetricsRecord *own);

/* Collective over every rank: the lowest model whose group reports failed = 1, or K when none
   did (so that one group's first rank prints an error the groups share, not K copies). */
int ensemble_first_failing(const Ensemble *en, int failed);

/* Collective over every rank, right after generation: every model's responses (as its group's
   first rank holds them) reach every rank, and s becomes the round's samples as this model's
   judges and aggregator see them: for prompt p, the responses of the voting models
   (ensemble_voters), model-major, each model's samples_per_prompt side by side (s->K = voters x
   samples_per_prompt). */
void ensemble_gather_responses(struct RunCtx *ctx, struct RoundSamples *s);

#endif
