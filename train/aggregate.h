/* train/aggregate.h — the preference aggregator's math (SRLM best-vs-worst, CREAM's consistency
   weight, SCIR's consistent set, judge votes, ensemble consensus).
   One round's judge scores become labelled pairs plus round statistics. Pure and deterministic:
   no MPI, no HDF5, no config struct, no randomness; same input gives the same output bit for bit.

   Definitions (ours). Scores are per (prompt p, response k, judge j); NaN = the judge abstained.
   - Vote of a judge on responses (a, b): +1 if s_a > s_b, -1 if s_a < s_b, 0 (tie) if equal,
     abstain if either score is NaN.
   - Ensemble judges = judges with weight > 0. Only they vote in mean, majority and unanimous and
     count in confidence; weight-0 judges are only measured (per-judge accuracy, agreement).
     single, cream and consensus rank by the named judge whatever its weight.
   - Mean score m_k: per prompt, each ensemble judge's non-NaN scores are z-scored (population
     std; a judge whose scores there are all equal gives z = 0 and still counts as present);
     m_k = sum_j w_j z_jk / sum_j w_j over the judges that scored k; NaN when none did.
   - Rank score: the judge's score (single, cream) or m (mean, majority, unanimous). Ranking:
     higher first, equal scores by lower index, NaN last. A candidate (a, b) has a ranked above b.
   - Candidates: pairs "all": every (i, j), i < j, of a prompt; best_vs_worst: one per prompt,
     a = the top response, b = the lowest-ranked scored one (NaN rank score excluded); prompts with
     fewer than two scored responses give none. Responses with the same group id (identical text)
     never form a candidate; best_vs_worst then takes the lowest one of another group (none if
     every scored response shares the top one's group).
   - Decision d on (a, b), and margin/prob:
       single, cream: d = sign(s_a - s_b) of the judge; margin = s_a - s_b; prob = sigmoid(margin).
       mean: the same with m.
       majority: W+, W-, W0 = ensemble weight voting a, b, tie (abstainers skipped);
         d = sign(W+ - W-); margin = max(W+, W-) / (W+ + W- + W0), the winner's vote share.
       unanimous (SCIR): d = +1 / -1 if every non-abstaining ensemble judge votes so; all voting
         tie: d = 0; any mixture (one tie among preferences included): broken; margin = |m_a - m_b|.
       majority, unanimous: prob = (W_chosen + W0 / 2) / (W+ + W- + W0), a tie vote counting half
         for each side (1 for a unanimous decision).
     No voting judge (or the judge abstains in single/mean/cream): no decision. d = -1 swaps the
     pair, so chosen is always the one the mode prefers. A tie decision has prob 0.5.
   - Label: no decision or broken -> DROPPED; d = 0 -> DROPPED (ties drop) or TIE (ties soft);
     d = +1 with margin < min_margin -> DROPPED; else PREFERRED.
   - weight (soft label / loss weight): PREFERRED 1 (cream: C); TIE 0.5; DROPPED 0.
   - CREAM: tau_p = aggregate_kendall_tau(judge, prev_judge) over the prompt's K responses, defined
     when neither judge abstains on any of them; C_p = (tau_p + 1) / 2. per_pair: the prompt's C_p,
     round_mean: mean C over the prompts that have one; a prompt without one takes the round mean;
     a round where no prompt has one uses C = 1 (plain hard labels).
   - confidence: fraction of non-abstaining ensemble judges whose vote on (chosen, rejected)
     equals the decision (the chosen side when there is none); 0 when no ensemble judge votes.
   - label_correct (ground truth only measures, never builds pairs): decision d = 0: 0 when ground
     truth orders the pair, else -1; otherwise 1 when chosen is correct and rejected wrong, 0 when
     the reverse, -1 when ground truth does not order the pair (both equal, or unknown).
   - consensus (ensemble self-training; pairs, ties, min_margin, cream_weight do not apply): the
     vote judge par->judge scores each response by its answer's share of the K responses
     (judge_ensemble_vote in train/judges.h; NaN = no answer or malformed, never chosen). group
     must identify the answer here: responses with the same answer share a group id (the caller
     groups by answer), else two texts of one answer count as a tie. Per prompt, one row:
       top t = the highest score (lowest index among equals); dissenter r = the highest-scored
       response of another group (lowest index among equals), -1 when every scored response
       shares t's group (no dissent).
       kept when s_t >= min_agreement - 1e-9 (s_t is a float: s_t >= (float)min_agreement also
       counts, so 7 of 10 meets 0.7) and no response of another group scores s_t (a tie between
       two answers drops the prompt and counts in n_ties, whatever the threshold).
       kept with r: PREFERRED, chosen t, rejected r, prob = s_t / (s_t + s_r), margin = s_t - s_r.
       kept without r: CHOSEN_ONLY, rejected -1, prob 1, margin s_t: trained on by likelihood
       (train.loss "sft"), skipped by pairwise losses.
       dropped: DROPPED, chosen t (-1 when no response is scored), rejected r (or -1), prob and
       margin as above when t exists (prob 0.5, margin NaN when not).
       weight 1 on kept rows, 0 on dropped ones; confidence = s_t (0 when no response is scored);
       label_correct = correct[t] (1, 0, -1 unknown or no t): whether the consensus answer is
       right, so label_accuracy of a consensus round is the share of kept consensus answers that
       are right, dissenter or not.
   Invariants of the output: every candidate is listed (kept and dropped), prompt-major, candidates
   of a prompt in (i, j) order for "all"; chosen != rejected and their group ids differ where both
   are >= 0. Only consensus rows have rejected = -1 (CHOSEN_ONLY, or dropped without dissent) or
   chosen = -1 (dropped, no response scored); consensus gives exactly one row per prompt. */
#ifndef CONCORD_TRAIN_AGGREGATE_H
#define CONCORD_TRAIN_AGGREGATE_H

#include <stdint.h>

#include "util/err.h"

#define AGG_MAX_JUDGES    16  // most judges one round can hold (= PREFBUF_MAX_JUDGES)
#define AGG_MAX_STATS     32  // most named statistics (= PREFBUF_MAX_STATS)
#define AGG_STAT_NAME_LEN 48  // bytes of a statistic name, NUL included (= PREFBUF_STAT_NAME_LEN)

// Pair labels; the same values as PrefLabel in io/prefbuf.h.
#define AGG_LABEL_DROPPED     (-1)  // kept for measurement, not trained on
#define AGG_LABEL_TIE         0     // soft label 1/2
#define AGG_LABEL_PREFERRED   1     // chosen preferred over rejected
#define AGG_LABEL_CHOSEN_ONLY 2  // consensus without dissent: rejected -1; likelihood training only

typedef enum {
    AGG_MODE_SINGLE,
    AGG_MODE_MEAN,
    AGG_MODE_MAJORITY,
    AGG_MODE_UNANIMOUS,
    AGG_MODE_CREAM,
    AGG_MODE_CONSENSUS
} AggMode;
typedef enum { AGG_PAIRS_BEST_VS_WORST, AGG_PAIRS_ALL } AggPairsRule;
typedef enum { AGG_TIES_DROP, AGG_TIES_SOFT } AggTiesRule;
typedef enum { AGG_CREAM_PER_PAIR, AGG_CREAM_ROUND_MEAN } AggCreamWeight;

/* One round's judgments. Borrowed pointers; the aggregator never keeps them. */
typedef struct {
    int P, K, J;                     // prompts (>= 0), responses per prompt (>= 2; consensus
                                     // >= 1), judges
    const float *scores;             // (P, K, J) finite score or NaN (abstain)
    const float *weights;            // (J) finite, >= 0, at least one > 0
    const int32_t *group;            // (P, K) same id in a prompt = same text (consensus: same
                                     // answer); NULL: all distinct
    const int8_t *correct;           // (P, K) 1 correct, 0 wrong, -1 unknown; NULL: all unknown
    const char *const *judge_names;  // (J) [a-z0-9_] names for per-judge stats; NULL: "0", "1", ...
} AggInput;

/* The consistency rule (aggregate.* of the config, already mapped to enums and judge indices). */
typedef struct {
    AggMode mode;                 // how scores become decisions
    int judge;                    // judge ranking single/cream (tau's current side), consensus's
                                  // vote judge; -1 = none
    int prev_judge;               // judge's prev_round partner (cream needs it); -1 = none
    AggPairsRule pairs;           // candidates per prompt
    AggTiesRule ties;             // what a tie decision becomes
    AggCreamWeight cream_weight;  // CREAM's C per prompt or the round mean
    double min_margin;            // >= 0; decided pairs with a smaller margin are DROPPED
    double min_agreement;         // consensus: in (0, 1], least top share kept; others ignore it
} AggParams;

/* Every candidate pair of a round as columns (N rows). */
typedef struct {
    int64_t n;              // rows held
    int32_t *prompt;        // (N) prompt index in [0, P)
    int32_t *chosen;        // (N) response index of the chosen response, in [0, K); -1 only on
                            // a dropped consensus row without a scored response
    int32_t *rejected;      // (N) response index of the rejected response; -1: none (consensus
                            // CHOSEN_ONLY, or dropped without dissent)
    int8_t *label;          // (N) AGG_LABEL_*
    float *prob;            // (N) aggregated P(chosen > rejected); >= 0.5 on kept rows (1 on
                            // CHOSEN_ONLY rows)
    float *weight;          // (N) loss weight / soft label
    float *margin;          // (N) the mode's margin compared with min_margin; NaN: no judge decided
    float *confidence;      // (N) share of voting ensemble judges agreeing, in [0, 1]
    int8_t *label_correct;  // (N) 1, 0, or -1 (ground truth does not order the pair)
} AggPairs;

/* One named statistic. */
typedef struct {
    char name[AGG_STAT_NAME_LEN];  // snake_case, NUL-terminated
    double value;                  // NaN when undefined this round
} AggStat;

/* Round statistics, in this order: n_prompts, n_candidates, n_kept (label != DROPPED),
   kept_fraction, n_ties (tie decisions, labelled TIE or DROPPED; consensus: prompts dropped for a
   tie at the top), n_label_known (kept rows with
   label_correct >= 0), label_accuracy (share of those with label_correct = 1), mean_kendall_tau
   (over prompts with a tau; NaN without prev_judge), mean_confidence (over kept rows), then per
   judge label_accuracy_<name>: over the candidates that ground truth orders and the judge orders
   (no tie, no abstention), the share it orders the same way, i.e. the accuracy of the labels
   that judge alone would give (rows with rejected or chosen -1 order nothing); a name used by
   several judges gets "_<index>" appended; consensus only, then: n_chosen_only (CHOSEN_ONLY
   rows), agreement_rate (kept prompts / n_prompts). Ratios with an empty denominator are NaN.
   label_accuracy is over kept rows only; for consensus rows label_correct says whether the
   chosen (consensus) answer is right (see consensus above). */
typedef struct {
    int n_stats;                                        // entries used in stats
    AggStat stats[AGG_MAX_STATS];                       // (n_stats) in the order above
    int J;                                              // judges; agreement is (J, J)
    double agreement[AGG_MAX_JUDGES * AGG_MAX_JUDGES];  // (J, J) row-major, see below
} AggStats;
/* agreement[a*J + b]: over all response pairs i < j of all prompts (distinct groups), among the
   pairs on which both judges vote (no abstention, no tie), the share where they agree; NaN when
   there is none; the diagonal is 1. */

/* Builds the round's candidates into out (allocated here; free with aggregate_pairs_free) and the
   statistics into stats. Returns 0, or -1 with one sentence in e on invalid input (sizes, judge
   indices, weights, min_margin, min_agreement for consensus, infinite scores, correctness values,
   names); out is then empty. */
int aggregate_round(const AggInput *in, const AggParams *par, AggPairs *out, AggStats *stats,
                    ErrMsg *e) WARN_UNUSED_RESULT;

/* Frees the columns and zeroes the struct; safe to call twice. */
void aggregate_pairs_free(AggPairs *pairs);

/* Kendall's tau-a of a and b (K values each): (concordant - discordant) / (K(K-1)/2); a pair
   tied in either vector counts as neither. NaN when K < 2 or any value is NaN. */
double aggregate_kendall_tau(const float *a, const float *b, int K);

/* Looks up a statistic by name: 0 and *value, or -1 if absent. */
int aggregate_stats_get(const AggStats *stats, const char *name, double *value);

/* Config string -> enum. Returns 0, or -1 with e naming key (e.g. "aggregate.mode"), the allowed
   values and the value found. */
int aggregate_mode_from_name(const char *name, AggMode *out, ErrMsg *e) WARN_UNUSED_RESULT;
int aggregate_pairs_from_name(const char *name, AggPairsRule *out, ErrMsg *e) WARN_UNUSED_RESULT;
int aggregate_ties_from_name(const char *name, AggTiesRule *out, ErrMsg *e) WARN_UNUSED_RESULT;
int aggregate_cream_weight_from_name(const char *name, AggCreamWeight *out,
                                     ErrMsg *e) WARN_UNUSED_RESULT;
/* Enum -> config string (static storage), e.g. for the round file's "aggregation" attribute. */
const char *aggregate_mode_name(AggMode mode);

#endif
