/* tests/test_aggregate.c — train/aggregate on hand-computed cases: every mode, ties, abstentions,
   unanimity, pair counts, duplicates, min_margin, Kendall tau, CREAM weights, ground-truth
   measurements (label_correct, per-judge accuracy, agreement), determinism and invalid input; the
   self-consistency judge. The consensus mode and ensemble_vote are in test_consensus.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate_fixture.h"
#include "check.h"
#include "train/aggregate.h"
#include "train/judges.h"
#include "util/alloc.h"

#define MAXN 4096
#define C15  1.2247448713915890  // sqrt(1.5): z-score of the ends of {1, 2, 3}

// Scores written per judge: by_judge (J, P, K) -> scores (P, K, J).
static float g_scores[MAXN];
static const float *pack(const float *by_judge, int P, int K, int J) {
    for (int j = 0; j < J; j++)
        for (int p = 0; p < P; p++)
            for (int k = 0; k < K; k++)
                g_scores[((size_t)p * K + k) * J + j] = by_judge[((size_t)j * P + p) * K + k];
    return g_scores;
}

static int64_t find_row(const AggPairs *o, int p, int c, int r) {
    for (int64_t i = 0; i < o->n; i++)
        if (o->prompt[i] == p && o->chosen[i] == c && o->rejected[i] == r) return i;
    return -1;
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void test_kendall(void) {
    float a[4] = {1, 2, 3, 4}, same[4] = {10, 20, 30, 40}, rev[4] = {4, 3, 2, 1};
    float third[4] = {2, 1, 4, 3};  // discordant (0,1) and (2,3): (4-2)/6
    CHECK_NEAR(aggregate_kendall_tau(a, same, 4), 1.0, 1e-12);
    CHECK_NEAR(aggregate_kendall_tau(a, rev, 4), -1.0, 1e-12);
    CHECK_NEAR(aggregate_kendall_tau(a, third, 4), 1.0 / 3.0, 1e-12);
    float tied[4] = {1, 1, 2, 3};  // (0,1) tied: neither; 5 concordant of 6
    CHECK_NEAR(aggregate_kendall_tau(tied, a, 4), 5.0 / 6.0, 1e-12);
    float t1[4] = {1, 1, 2, 2}, t2[4] = {3, 3, 1, 1};  // 2 tied pairs, 4 discordant
    CHECK_NEAR(aggregate_kendall_tau(t1, t2, 4), -4.0 / 6.0, 1e-12);
    float flat[4] = {7, 7, 7, 7};
    CHECK_NEAR(aggregate_kendall_tau(flat, a, 4), 0.0, 1e-12);
    float nan_[4] = {1, NAN, 3, 4};
    CHECK_TRUE(isnan(aggregate_kendall_tau(a, nan_, 4)));
    CHECK_TRUE(isnan(aggregate_kendall_tau(a, same, 1)));
}

static void test_names(void) {
    ErrMsg e = {{0}};
    AggMode m;
    AggPairsRule pr;
    AggTiesRule t;
    AggCreamWeight cw;
    CHECK_TRUE(aggregate_mode_from_name("unanimous", &m, &e) == 0 && m == AGG_MODE_UNANIMOUS);
    CHECK_TRUE(aggregate_mode_from_name("cream", &m, &e) == 0 && m == AGG_MODE_CREAM);
    CHECK_TRUE(strcmp(aggregate_mode_name(AGG_MODE_MAJORITY), "majority") == 0);
    CHECK_TRUE(aggregate_pairs_from_name("all", &pr, &e) == 0 && pr == AGG_PAIRS_ALL);
    CHECK_TRUE(aggregate_ties_from_name("soft", &t, &e) == 0 && t == AGG_TIES_SOFT);
    CHECK_TRUE(aggregate_cream_weight_from_name("round_mean", &cw, &e) == 0 &&
               cw == AGG_CREAM_ROUND_MEAN);
    CHECK_TRUE(aggregate_mode_from_name("median", &m, &e) == -1);
    CHECK_MSG(strstr(e.msg, "aggregate.mode") && strstr(e.msg, "\"median\"") &&
                  strstr(e.msg, "single|mean|majority|unanimous|cream"),
              "msg: %s", e.msg);
    CHECK_TRUE(aggregate_ties_from_name(NULL, &t, &e) == -1);
}

// K = 3, J = 2: judge 0 {0.2, 0.9, 0.5}, judge 1 {3, 1, 2}.
static void test_single(void) {
    const float by[] = {0.2f, 0.9f, 0.5f, 3, 1, 2};
    const float w[] = {1, 1};
    AggInput in = {1, 3, 2, pack(by, 1, 3, 2), w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_BEST_VS_WORST);
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 1);
    CHECK_TRUE(o.chosen[0] == 1 && o.rejected[0] == 0 && o.prompt[0] == 0);
    CHECK_TRUE(o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.margin[0], 0.7, 1e-6);
    CHECK_NEAR(o.prob[0], sigmoid(0.7), 1e-6);
    CHECK_NEAR(o.weight[0], 1.0, 0);
    CHECK_NEAR(o.confidence[0], 0.5, 1e-7);  // judge 1 prefers response 0
    CHECK_EQ_I64(o.label_correct[0], -1);
    CHECK_NEAR(stat(&st, "n_kept"), 1, 0);
    CHECK_TRUE(isnan(stat(&st, "label_accuracy")) && isnan(stat(&st, "mean_kendall_tau")));
    aggregate_pairs_free(&o);
    // judge 1 decides, even with weight 0 (then it is not counted in confidence)
    const float w0[] = {1, 0};
    in.weights = w0;
    par.judge = 1;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.rejected[0] == 1);
    CHECK_NEAR(o.margin[0], 2.0, 1e-6);
    CHECK_NEAR(o.confidence[0], 0.0, 0);  // judge 0 (the only ensemble judge) prefers 1
    aggregate_pairs_free(&o);
    // all pairs, in (i, j) order, oriented by judge 0
    in.weights = w;
    par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_ALL);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(o.chosen[0] == 1 && o.rejected[0] == 0);
    CHECK_TRUE(o.chosen[1] == 2 && o.rejected[1] == 0);
    CHECK_TRUE(o.chosen[2] == 1 && o.rejected[2] == 2);
    CHECK_NEAR(o.margin[2], 0.4, 1e-6);
    CHECK_NEAR(o.confidence[2], 0.5, 1e-7);  // judge 1 prefers response 2 (2 > 1)
    aggregate_pairs_free(&o);
    // abstention: judge 0 NaN on response 1 -> bvw skips it; all-pairs drops its pairs
    const float byn[] = {0.2f, NAN, 0.5f, 3, 1, 2};
    in.scores = pack(byn, 1, 3, 2);
    par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_BEST_VS_WORST);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 2 && o.rejected[0] == 0);
    aggregate_pairs_free(&o);
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(o.label[0] == AGG_LABEL_DROPPED && o.chosen[0] == 0 && isnan(o.margin[0]));
    CHECK_NEAR(o.prob[0], 0.5, 0);
    CHECK_NEAR(o.weight[0], 0.0, 0);
    CHECK_TRUE(o.label[1] == AGG_LABEL_PREFERRED && o.label[2] == AGG_LABEL_DROPPED);
    CHECK_NEAR(stat(&st, "n_kept"), 1, 0);
    CHECK_NEAR(stat(&st, "kept_fraction"), 1.0 / 3.0, 1e-12);
    aggregate_pairs_free(&o);
}

// Mean mode on K = 3 with z-scores by hand: judge 0 {1, 2, 3} -> (-c, 0, c), c = sqrt(1.5).
static void test_mean(void) {
    const float by[] = {1, 2, 3, 3, 1, 2};  // judge 1 {3, 1, 2} -> (c, -c, 0)
    const float w[] = {1, 1};
    AggInput in = {1, 3, 2, pack(by, 1, 3, 2), w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_MEAN, -1, AGG_PAIRS_BEST_VS_WORST);
    AggPairs o;
    AggStats st;
    // m = (0, -c/2, c/2)
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 2 && o.rejected[0] == 1);
    CHECK_NEAR(o.margin[0], C15, 1e-6);
    CHECK_NEAR(o.prob[0], sigmoid(C15), 1e-6);
    CHECK_TRUE(o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.confidence[0], 1.0, 0);  // both judges prefer 2 over 1
    aggregate_pairs_free(&o);
    // weights 3, 1: m = (-c/2, -c/4, 3c/4)
    const float w31[] = {3, 1};
    in.weights = w31;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 2 && o.rejected[0] == 0);
    CHECK_NEAR(o.margin[0], 1.25 * C15, 1e-6);
    aggregate_pairs_free(&o);
    // judge 1 abstains on response 2: its z over {3, 1} is (1, -1); m = ((1-c)/2, -1/2, c)
    const float byn[] = {1, 2, 3, 3, 1, NAN};
    in.weights = w;
    in.scores = pack(byn, 1, 3, 2);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 2 && o.rejected[0] == 1);
    CHECK_NEAR(o.margin[0], C15 + 0.5, 1e-6);
    CHECK_NEAR(o.confidence[0], 1.0, 0);  // judge 1 abstains on (2, 1)
    aggregate_pairs_free(&o);
    // a judge whose scores are all equal contributes 0 (and counts): m = (-c/2, 0, c/2)
    const float byf[] = {1, 2, 3, 5, 5, 5};
    in.scores = pack(byf, 1, 3, 2);
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(o.chosen[0] == 1 && o.rejected[0] == 0);
    CHECK_NEAR(o.margin[0], C15 / 2, 1e-6);
    CHECK_NEAR(o.confidence[0], 0.5, 0);  // judge 1 votes tie
    aggregate_pairs_free(&o);
    // a response no judge scored is never best or worst; its all-pairs candidates are dropped
    const float byx[] = {1, NAN, 3, 4, NAN, 2};
    in.scores = pack(byx, 1, 3, 2);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(o.label[0] == AGG_LABEL_DROPPED && o.label[2] == AGG_LABEL_DROPPED);
    CHECK_TRUE(o.label[1] == AGG_LABEL_DROPPED && o.chosen[1] == 0);  // m0 = m2 = 0: tie
    CHECK_NEAR(stat(&st, "n_ties"), 1, 0);
    aggregate_pairs_free(&o);
    par.pairs = AGG_PAIRS_BEST_VS_WORST;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.rejected[0] == 2);  // tie, lower index first
    CHECK_TRUE(o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&o);
}

// K = 2, J = 3: one pair; votes set by hand.
static void test_majority(void) {
    const float w[] = {1, 1, 1};
    AggInput in = {1, 2, 3, NULL, w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_MAJORITY, -1, AGG_PAIRS_BEST_VS_WORST);
    AggPairs o;
    AggStats st;
    const float v2_1[] = {1, 0, 1, 0, 0, 1};  // judges 0, 1 prefer 0; judge 2 prefers 1
    in.scores = pack(v2_1, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.prob[0], 2.0 / 3.0, 1e-6);
    CHECK_NEAR(o.margin[0], 2.0 / 3.0, 1e-6);
    CHECK_NEAR(o.confidence[0], 2.0 / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    // min_margin on the vote share
    par.min_margin = 0.7;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED && o.chosen[0] == 0);
    aggregate_pairs_free(&o);
    par.min_margin = 0;
    // weighted: judge 2 weighs 3 -> 3/5 for response 1
    const float w113[] = {1, 1, 3};
    in.weights = w113;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 1 && o.rejected[0] == 0);
    CHECK_NEAR(o.prob[0], 0.6, 1e-6);
    CHECK_NEAR(o.confidence[0], 1.0 / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    // tie of the vote (judge 2 abstains, 1 against 1): drop, then soft
    const float vt[] = {1, 0, 0, 1, NAN, 1};
    in.weights = w;
    in.scores = pack(vt, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED);
    CHECK_NEAR(stat(&st, "n_ties"), 1, 0);
    CHECK_NEAR(stat(&st, "n_kept"), 0, 0);
    CHECK_TRUE(isnan(stat(&st, "mean_confidence")));
    aggregate_pairs_free(&o);
    par.ties = AGG_TIES_SOFT;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_TIE);
    CHECK_NEAR(o.prob[0], 0.5, 0);
    CHECK_NEAR(o.weight[0], 0.5, 0);
    CHECK_NEAR(o.confidence[0], 0.0, 0);  // no voting judge said "tie"
    CHECK_NEAR(stat(&st, "n_kept"), 1, 0);
    aggregate_pairs_free(&o);
    par.ties = AGG_TIES_DROP;
    // tie votes: +1, tie, tie -> response 0 with vote share 1/3, prob (1 + 2/2) / 3
    const float vtt[] = {1, 0, 2, 2, 5, 5};
    in.scores = pack(vtt, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.margin[0], 1.0 / 3.0, 1e-6);
    CHECK_NEAR(o.prob[0], 2.0 / 3.0, 1e-6);
    par.min_margin = 0.5;
    aggregate_pairs_free(&o);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED);
    par.min_margin = 0;
    aggregate_pairs_free(&o);
    // every judge abstains: no decision
    const float va[] = {NAN, 0, 1, NAN, NAN, 1};
    in.scores = pack(va, 1, 2, 3);
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED && o.confidence[0] == 0.0f);
    CHECK_NEAR(stat(&st, "n_ties"), 0, 0);
    aggregate_pairs_free(&o);
}

// K = 3: best/worst by the mean score, then the vote of the mode on that pair.
// Judges {0,1,2}, {1,2,0}, {3,0,1}: m = ((-c + 5/r)/3, (c - 4/r)/3, -1/(3r)), r = sqrt(14):
// best 1, worst 2; votes on (1, 2): -1, +1, -1.
static void test_vote_orientation(void) {
    const float by[] = {0, 1, 2, 1, 2, 0, 3, 0, 1};
    const float w[] = {1, 1, 1};
    AggInput in = {1, 3, 3, pack(by, 1, 3, 3), w, NULL, NULL, NULL};
    AggPairs o;
    AggStats st;
    AggParams par = params(AGG_MODE_MEAN, -1, AGG_PAIRS_BEST_VS_WORST);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 1 && o.rejected[0] == 2);
    CHECK_NEAR(o.margin[0], (C15 - 3.0 / sqrt(14.0)) / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    par.mode = AGG_MODE_MAJORITY;  // the majority prefers 2: the pair turns round
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 2 && o.rejected[0] == 1);
    CHECK_TRUE(o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.prob[0], 2.0 / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    par.mode = AGG_MODE_UNANIMOUS;  // broken: dropped, kept in mean order
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 1 && o.rejected[0] == 2);
    CHECK_TRUE(o.label[0] == AGG_LABEL_DROPPED);
    CHECK_NEAR(o.prob[0], 1.0 / 3.0, 1e-6);
    CHECK_NEAR(o.confidence[0], 1.0 / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    // all pairs: (0,1): votes +1, +1, -1 for 1; (0,2): +1, -1, -1 for 0; (1,2) as above
    par.mode = AGG_MODE_MAJORITY;
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(find_row(&o, 0, 1, 0) == 0 && find_row(&o, 0, 0, 2) == 1 &&
               find_row(&o, 0, 2, 1) == 2);
    aggregate_pairs_free(&o);
}

static void test_unanimous(void) {
    const float w[] = {1, 1, 1};
    AggInput in = {1, 2, 3, NULL, w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_UNANIMOUS, -1, AGG_PAIRS_BEST_VS_WORST);
    AggPairs o;
    AggStats st;
    const float agree[] = {0, 1, 0, 2, 0, 9};  // all prefer 1
    in.scores = pack(agree, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 1 && o.label[0] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(o.prob[0], 1.0, 0);
    CHECK_NEAR(o.confidence[0], 1.0, 0);
    CHECK_NEAR(o.margin[0], 2.0, 1e-6);  // every judge's z is (-1, 1)
    aggregate_pairs_free(&o);
    par.min_margin = 2.5;  // margin in mean-score units
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&o);
    par.min_margin = 0;
    const float one_no[] = {0, 1, 0, 2, 9, 0};  // judge 2 dissents
    in.scores = pack(one_no, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&o);
    const float one_tie[] = {0, 1, 0, 2, 4, 4};  // judge 2 ties: unanimity broken
    in.scores = pack(one_tie, 1, 2, 3);
    in.weights = w;
    par.ties = AGG_TIES_SOFT;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED && o.chosen[0] == 1);
    CHECK_NEAR(stat(&st, "n_ties"), 0, 0);
    aggregate_pairs_free(&o);
    const float all_tie[] = {1, 1, 2, 2, 4, 4};  // every judge ties: a tie decision
    in.scores = pack(all_tie, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_TIE && o.confidence[0] == 1.0f);
    aggregate_pairs_free(&o);
    par.ties = AGG_TIES_DROP;
    const float abst[] = {0, 1, NAN, 2, 9, 10};  // judge 1 abstains, the others agree
    in.scores = pack(abst, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_PREFERRED && o.chosen[0] == 1);
    CHECK_NEAR(o.confidence[0], 1.0, 0);
    aggregate_pairs_free(&o);
    const float none[] = {NAN, 1, NAN, 2, 9, NAN};  // nobody votes
    in.scores = pack(none, 1, 2, 3);
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&o);
    // a weight-0 judge does not vote
    const float w110[] = {1, 1, 0};
    in.weights = w110;
    in.scores = pack(one_no, 1, 2, 3);
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_PREFERRED && o.chosen[0] == 1);
    aggregate_pairs_free(&o);
}

// CREAM: judge 0 current, judge 1 its prev_round partner (weight 0), P = 3, K = 4.
// p0: tau 1 (C 1); p1: tau 1/3 (C 2/3); p2: the partner abstains -> round mean tau 2/3, C 5/6.
static void test_cream(void) {
    const float by[] = {4, 3, 2, 1, 4, 3, 2, 1, 1, 2,   3, 4,   // judge 0
                        4, 3, 2, 1, 3, 4, 1, 2, 1, NAN, 3, 4};  // judge 1
    const float w[] = {1, 0};
    AggInput in = {3, 4, 2, pack(by, 3, 4, 2), w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_CREAM, 0, AGG_PAIRS_BEST_VS_WORST);
    par.prev_judge = 1;
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_TRUE(find_row(&o, 0, 0, 3) == 0 && find_row(&o, 1, 0, 3) == 1 &&
               find_row(&o, 2, 3, 0) == 2);
    CHECK_NEAR(o.weight[0], 1.0, 1e-6);
    CHECK_NEAR(o.weight[1], 2.0 / 3.0, 1e-6);
    CHECK_NEAR(o.weight[2], 5.0 / 6.0, 1e-6);
    CHECK_NEAR(o.prob[0], sigmoid(3.0), 1e-6);
    for (int i = 0; i < 3; i++) CHECK_TRUE(o.label[i] == AGG_LABEL_PREFERRED);
    CHECK_NEAR(stat(&st, "mean_kendall_tau"), 2.0 / 3.0, 1e-12);
    aggregate_pairs_free(&o);
    par.cream_weight = AGG_CREAM_ROUND_MEAN;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    for (int i = 0; i < 3; i++) CHECK_NEAR(o.weight[i], 5.0 / 6.0, 1e-6);
    aggregate_pairs_free(&o);
    // all pairs: each prompt's 6 pairs carry its C; soft ties keep weight 1/2
    par.cream_weight = AGG_CREAM_PER_PAIR;
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 18);
    for (int i = 6; i < 12; i++) CHECK_NEAR(o.weight[i], 2.0 / 3.0, 1e-6);
    aggregate_pairs_free(&o);
    // the partner abstains everywhere: no tau, hard labels (C = 1)
    const float byn[] = {4,   3,   2,   1,   4, 3, 2, 1,   1,   2,   3,   4,
                         NAN, NAN, NAN, NAN, 3, 4, 1, NAN, NAN, NAN, NAN, NAN};
    in.scores = pack(byn, 3, 4, 2);
    par.pairs = AGG_PAIRS_BEST_VS_WORST;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    for (int i = 0; i < 3; i++) CHECK_NEAR(o.weight[i], 1.0, 0);
    CHECK_TRUE(isnan(stat(&st, "mean_kendall_tau")));
    aggregate_pairs_free(&o);
    // a reversed partner: tau -1, C 0 (the soft label says "reverse")
    const float byr[] = {4, 3, 2, 1, 1, 2, 3, 4};
    AggInput in1 = {1, 4, 2, pack(byr, 1, 4, 2), w, NULL, NULL, NULL};
    CHECK_TRUE(run(&in1, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_PREFERRED && o.weight[0] == 0.0f);
    CHECK_NEAR(stat(&st, "mean_kendall_tau"), -1.0, 1e-12);
    aggregate_pairs_free(&o);
    // mean_kendall_tau is reported in other modes when a partner is given
    par.mode = AGG_MODE_MEAN;
    CHECK_TRUE(run(&in1, &par, &o, &st) == 0);
    CHECK_NEAR(stat(&st, "mean_kendall_tau"), -1.0, 1e-12);
    CHECK_NEAR(o.weight[0], 1.0, 0);
    aggregate_pairs_free(&o);
}

static void test_counts_and_duplicates(void) {
    // P = 3, K = 4, J = 1, distinct responses: bvw gives 3, all gives 3 * 6
    float by[12];
    for (int i = 0; i < 12; i++) by[i] = (float)((i * 7) % 5);
    const float w[] = {1};
    AggInput in = {3, 4, 1, pack(by, 3, 4, 1), w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_BEST_VS_WORST);
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 3);
    CHECK_NEAR(stat(&st, "n_candidates"), 3, 0);
    CHECK_NEAR(stat(&st, "n_prompts"), 3, 0);
    aggregate_pairs_free(&o);
    par.pairs = AGG_PAIRS_ALL;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 18);
    for (int64_t i = 0; i < o.n; i++) CHECK_TRUE(o.prompt[i] == i / 6);
    aggregate_pairs_free(&o);
    // duplicates: prompt 0 groups {0, 1, 0, 2} (responses 0 and 2 identical); prompt 1 one text
    const float bd[] = {5, 3, 1, 4, 1, 2, 3, 4};
    const int32_t group[] = {0, 1, 0, 2, 7, 7, 7, 7};
    AggInput ind = {2, 4, 1, pack(bd, 2, 4, 1), w, group, NULL, NULL};
    CHECK_TRUE(run(&ind, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 5);
    for (int64_t i = 0; i < o.n; i++) {
        CHECK_TRUE(o.prompt[i] == 0);
        CHECK_TRUE(!((o.chosen[i] == 0 && o.rejected[i] == 2) ||
                     (o.chosen[i] == 2 && o.rejected[i] == 0)));
    }
    aggregate_pairs_free(&o);
    par.pairs = AGG_PAIRS_BEST_VS_WORST;
    CHECK_TRUE(run(&ind, &par, &o, &st) == 0);  // worst (2) is best's twin: next lowest is 1
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.rejected[0] == 1);
    aggregate_pairs_free(&o);
    // ties: all scores equal -> best 0, worst K-1; drop vs soft
    const float flat[] = {2, 2, 2};
    const int8_t corr[] = {1, 0, 0};
    AggInput inf = {1, 3, 1, pack(flat, 1, 3, 1), w, NULL, corr, NULL};
    CHECK_TRUE(run(&inf, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.chosen[0] == 0 && o.rejected[0] == 2);
    CHECK_TRUE(o.label[0] == AGG_LABEL_DROPPED && o.label_correct[0] == 0);
    CHECK_NEAR(stat(&st, "n_ties"), 1, 0);
    CHECK_NEAR(stat(&st, "n_kept"), 0, 0);
    CHECK_TRUE(isnan(stat(&st, "label_accuracy")));
    aggregate_pairs_free(&o);
    par.ties = AGG_TIES_SOFT;
    CHECK_TRUE(run(&inf, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_TIE);
    CHECK_NEAR(o.weight[0], 0.5, 0);
    CHECK_NEAR(o.prob[0], 0.5, 0);
    CHECK_NEAR(o.confidence[0], 1.0, 0);
    CHECK_NEAR(stat(&st, "n_kept"), 1, 0);
    CHECK_NEAR(stat(&st, "label_accuracy"), 0.0, 0);  // a tie on an ordered pair is wrong
    aggregate_pairs_free(&o);
    // min_margin in score units
    const float mm[] = {0.3f, 0.1f};
    AggInput inm = {1, 2, 1, pack(mm, 1, 2, 1), w, NULL, NULL, NULL};
    par.min_margin = 0.25;
    CHECK_TRUE(run(&inm, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_DROPPED && o.weight[0] == 0.0f);
    aggregate_pairs_free(&o);
    par.min_margin = 0.15;
    CHECK_TRUE(run(&inm, &par, &o, &st) == 0);
    CHECK_TRUE(o.n == 1 && o.label[0] == AGG_LABEL_PREFERRED);
    aggregate_pairs_free(&o);
    // an empty round
    AggInput in0 = {0, 4, 1, NULL, w, NULL, NULL, NULL};
    CHECK_TRUE(run(&in0, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 0);
    CHECK_NEAR(stat(&st, "n_prompts"), 0, 0);
    CHECK_TRUE(isnan(stat(&st, "kept_fraction")));
    aggregate_pairs_free(&o);
    aggregate_pairs_free(&o);  // twice is safe
}

// Ground truth measurements. P = 2, K = 3, judges a, b, c (weights 1):
//   p0: a {3,2,1}  b {1,2,3}  c {2,NaN,2}   correct {1,0,0}
//   p1: a {1,2,3}  b {3,1,2}  c {5,5,4}     correct {1,0,-1}
// Ordered by ground truth: p0 (0,1), p0 (0,2), p1 (0,1). a gets 2 of 3, b 1 of 3; c orders none of
// them (an abstention and two ties), so its label accuracy is undefined (NaN).
// Agreement over the 6 response pairs (votes without ties): a-b 1/6, a-c 0/2, b-c 1/2.
static void test_measurements(void) {
    const float by[] = {3, 2, 1, 1, 2, 3, 1, 2, 3, 3, 1, 2, 2, NAN, 2, 5, 5, 4};
    const float w[] = {1, 1, 1};
    const int8_t corr[] = {1, 0, 0, 1, 0, -1};
    const char *names[] = {"a", "b", "c"};
    AggInput in = {2, 3, 3, pack(by, 2, 3, 3), w, NULL, corr, names};
    AggParams par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_ALL);
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 6);
    const int exp_rows[6][3] = {{0, 0, 1}, {0, 0, 2}, {0, 1, 2}, {1, 1, 0}, {1, 2, 0}, {1, 2, 1}};
    const int exp_correct[6] = {1, 1, -1, 0, -1, -1};
    const double exp_conf[6] = {0.5, 1.0 / 3, 0.5, 1.0 / 3, 1.0 / 3, 2.0 / 3};
    for (int i = 0; i < 6; i++) {
        CHECK_TRUE(o.prompt[i] == exp_rows[i][0] && o.chosen[i] == exp_rows[i][1] &&
                   o.rejected[i] == exp_rows[i][2]);
        CHECK_EQ_I64(o.label_correct[i], exp_correct[i]);
        CHECK_NEAR(o.confidence[i], exp_conf[i], 1e-6);
        CHECK_TRUE(o.label[i] == AGG_LABEL_PREFERRED);
    }
    CHECK_NEAR(stat(&st, "n_kept"), 6, 0);
    CHECK_NEAR(stat(&st, "n_label_known"), 3, 0);
    CHECK_NEAR(stat(&st, "label_accuracy"), 2.0 / 3.0, 1e-12);
    CHECK_NEAR(stat(&st, "mean_confidence"), 4.0 / 9.0, 1e-6);
    CHECK_NEAR(stat(&st, "label_accuracy_a"), 2.0 / 3.0, 1e-12);
    CHECK_NEAR(stat(&st, "label_accuracy_b"), 1.0 / 3.0, 1e-12);
    CHECK_TRUE(isnan(stat(&st, "label_accuracy_c")));
    CHECK_EQ_I64(st.n_stats, 12);
    CHECK_EQ_I64(st.J, 3);
    const double A[9] = {1, 1.0 / 6, 0, 1.0 / 6, 1, 0.5, 0, 0.5, 1};
    for (int i = 0; i < 9; i++) CHECK_NEAR(st.agreement[i], A[i], 1e-12);
    aggregate_pairs_free(&o);
    // single judge c, soft ties: ties on ordered pairs are kept and count as wrong
    par.judge = 2;
    par.ties = AGG_TIES_SOFT;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, 6);
    const int exp_label[6] = {AGG_LABEL_DROPPED, AGG_LABEL_TIE,       AGG_LABEL_DROPPED,
                              AGG_LABEL_TIE,     AGG_LABEL_PREFERRED, AGG_LABEL_PREFERRED};
    const int exp_correct_c[6] = {1, 0, -1, 0, -1, -1};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_I64(o.label[i], exp_label[i]);
        CHECK_EQ_I64(o.label_correct[i], exp_correct_c[i]);
    }
    CHECK_TRUE(o.chosen[2] == 2 && o.rejected[2] == 1);  // the abstained-on response ranks last
    CHECK_NEAR(stat(&st, "n_kept"), 4, 0);
    CHECK_NEAR(stat(&st, "n_ties"), 2, 0);
    CHECK_NEAR(stat(&st, "n_label_known"), 2, 0);
    CHECK_NEAR(stat(&st, "label_accuracy"), 0.0, 0);
    CHECK_NEAR(stat(&st, "label_accuracy_a"), 2.0 / 3.0, 1e-12);  // same candidates
    aggregate_pairs_free(&o);
    // a name used twice gets the judge index appended
    const char *dup[] = {"llm_judge", "prev_round", "prev_round"};
    in.judge_names = dup;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_NEAR(stat(&st, "label_accuracy_llm_judge"), 2.0 / 3.0, 1e-12);
    CHECK_NEAR(stat(&st, "label_accuracy_prev_round_1"), 1.0 / 3.0, 1e-12);
    CHECK_TRUE(isnan(stat(&st, "label_accuracy_prev_round_2")));
    aggregate_pairs_free(&o);
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static int same_pairs(const AggPairs *a, const AggPairs *b) {
    size_t n = (size_t)a->n;
    return a->n == b->n && !memcmp(a->prompt, b->prompt, n * 4) &&
           !memcmp(a->chosen, b->chosen, n * 4) && !memcmp(a->rejected, b->rejected, n * 4) &&
           !memcmp(a->label, b->label, n) && !memcmp(a->prob, b->prob, n * 4) &&
           !memcmp(a->weight, b->weight, n * 4) && !memcmp(a->margin, b->margin, n * 4) &&
           !memcmp(a->confidence, b->confidence, n * 4) &&
           !memcmp(a->label_correct, b->label_correct, n);
}

static void test_determinism(void) {
    enum { P = 40, K = 6, J = 4 };
    float *s = xmalloc("test", sizeof(float) * P * K * J);
    int32_t *g = xmalloc("test", sizeof(int32_t) * P * K);
    int8_t *c = xmalloc("test", (size_t)P * K);
    uint64_t seed = 7;
    for (int i = 0; i < P * K * J; i++) s[i] = lcg(&seed) % 10 == 0 ? NAN : (float)(lcg(&seed) % 5);
    for (int i = 0; i < P * K; i++) {
        g[i] = (int32_t)(lcg(&seed) % 5);
        c[i] = (int8_t)((int)(lcg(&seed) % 3) - 1);
    }
    const float w[J] = {1, 0.5f, 2, 0};
    AggInput in = {P, K, J, s, w, g, c, NULL};
    for (int mode = AGG_MODE_SINGLE; mode <= AGG_MODE_CREAM; mode++)
        for (int pairs = 0; pairs < 2; pairs++) {
            AggParams par = params((AggMode)mode, 0, (AggPairsRule)pairs);
            par.prev_judge = 3;
            par.ties = AGG_TIES_SOFT;
            AggPairs o1, o2;
            AggStats s1, s2;
            CHECK_TRUE(run(&in, &par, &o1, &s1) == 0 && run(&in, &par, &o2, &s2) == 0);
            CHECK_MSG(same_pairs(&o1, &o2) && !memcmp(&s1, &s2, sizeof s1),
                      "mode %d pairs %d differs between runs", mode, pairs);
            int ok = 1;
            for (int64_t i = 0; i < o1.n; i++) {
                int p = o1.prompt[i];
                ok &= o1.chosen[i] != o1.rejected[i] &&
                      g[p * K + o1.chosen[i]] != g[p * K + o1.rejected[i]];
                if (o1.label[i] != AGG_LABEL_DROPPED)
                    ok &= o1.prob[i] >= 0.5f && o1.confidence[i] >= 0 && o1.confidence[i] <= 1;
            }
            CHECK_MSG(ok, "mode %d pairs %d: a pair violates the invariants", mode, pairs);
            aggregate_pairs_free(&o1);
            aggregate_pairs_free(&o2);
        }
    xfree(s);
    xfree(g);
    xfree(c);
}

// Expects an error whose message contains want; out must come back empty.
static void test_invalid(void) {
    const float by[] = {1, 2, 3, 3, 1, 2};
    const float w[] = {1, 1};
    AggInput ok = {1, 3, 2, pack(by, 1, 3, 2), w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_ALL);
    AggInput in = ok;
    in.K = 1;
    expect_error(&in, &par, "K (responses per prompt): expected >= 2, got 1", __LINE__);
    in = ok, in.J = 0;
    expect_error(&in, &par, "J (judges)", __LINE__);
    in = ok, in.J = 17;
    expect_error(&in, &par, "J (judges)", __LINE__);
    in = ok, in.P = -1;
    expect_error(&in, &par, "P (prompts)", __LINE__);
    const float wn[] = {NAN, 1}, wneg[] = {1, -1}, wz[] = {0, 0};
    in = ok, in.weights = wn;
    expect_error(&in, &par, "weights[0]: expected a finite number >= 0, got nan", __LINE__);
    in.weights = wneg;
    expect_error(&in, &par, "weights[1]", __LINE__);
    in.weights = wz;
    expect_error(&in, &par, "at least one weight > 0", __LINE__);
    const float binf[] = {1, 2, 3, 3, INFINITY, 2};
    in = ok, in.scores = binf;  // (P, K, J) order: response 2, judge 0
    expect_error(&in, &par, "scores[prompt 0, response 2, judge 0]", __LINE__);
    const int8_t bad_c[] = {1, 2, 0};
    in = ok, in.correct = bad_c;
    expect_error(&in, &par, "correct[prompt 0, response 1]: expected 1, 0 or -1, got 2", __LINE__);
    const char *bad_n[] = {"ok", "Bad-Name"};
    in = ok, in.judge_names = bad_n;
    expect_error(&in, &par, "judge_names[1]", __LINE__);
    const char *long_n[] = {"ok", "a_very_long_judge_name_that_cannot_fit"};
    in.judge_names = long_n;
    expect_error(&in, &par, "too long", __LINE__);
    in = ok;
    par.judge = 2;
    expect_error(&in, &par,
                 "aggregate.judge: expected a judge index in [0, 2) for mode "
                 "\"single\", got 2",
                 __LINE__);
    par.judge = -1;
    expect_error(&in, &par, "aggregate.judge", __LINE__);
    par = params(AGG_MODE_CREAM, 0, AGG_PAIRS_ALL);
    expect_error(&in, &par, "\"cream\" needs the index of the judge's prev_round", __LINE__);
    par.prev_judge = 0;
    expect_error(&in, &par, "prev_judge", __LINE__);
    par.prev_judge = 2;
    expect_error(&in, &par, "prev_judge", __LINE__);
    par = params(AGG_MODE_MEAN, -1, AGG_PAIRS_ALL);
    par.prev_judge = 1;  // a tau needs the current judge too
    expect_error(&in, &par, "prev_judge", __LINE__);
    par = params(AGG_MODE_MEAN, -1, AGG_PAIRS_ALL);
    par.min_margin = NAN;
    expect_error(&in, &par, "aggregate.min_margin: expected a number >= 0, got nan", __LINE__);
    par.min_margin = -0.5;
    expect_error(&in, &par, "aggregate.min_margin", __LINE__);
    par = params((AggMode)9, 0, AGG_PAIRS_ALL);
    expect_error(&in, &par, "not a known value", __LINE__);
    // valid again: mean ignores judge = -1
    par = params(AGG_MODE_MEAN, -1, AGG_PAIRS_ALL);
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0 && o.n == 3);
    aggregate_pairs_free(&o);
}

static void test_self_consistency(void) {
    const char *ans[5] = {"85", NULL, "85", "84", "85"};
    float sc[5];
    CHECK_EQ_I64(judge_self_consistency(sc, ans, 5), 0);
    const float want[5] = {0.6f, 0.0f, 0.6f, 0.2f, 0.6f};
    for (int k = 0; k < 5; k++) CHECK_NEAR(sc[k], want[k], 0);
    const char *none[2] = {NULL, NULL};
    CHECK_EQ_I64(judge_self_consistency(sc, none, 2), -1);
}

int main(void) {
    test_kendall();
    test_names();
    test_single();
    test_mean();
    test_majority();
    test_vote_orientation();
    test_unanimous();
    test_cream();
    test_counts_and_duplicates();
    test_measurements();
    test_determinism();
    test_invalid();
    test_self_consistency();
    return check_report();
}
