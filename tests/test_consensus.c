/* tests/test_consensus.c — the ensemble_vote judge (train/judges.h) and the consensus mode of
   train/aggregate built on it: thresholds, ties, no dissent (CHOSEN_ONLY), abstentions, one
   voter, label_correct, statistics, invalid parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate_fixture.h"
#include "check.h"
#include "train/aggregate.h"
#include "train/judges.h"

static void test_ensemble_vote(void) {
    // K = 5: "85" x2 well-formed, "85" malformed, "84", no answer; the denominator stays 5
    const char *ans[5] = {"85", "85", "85", "84", NULL};
    const int8_t wf[5] = {1, 1, 0, 1, 1};
    float sc[5];
    judge_ensemble_vote(sc, ans, wf, 5);
    CHECK_NEAR(sc[0], 0.4, 1e-7);
    CHECK_NEAR(sc[1], 0.4, 1e-7);
    CHECK_TRUE(isnan(sc[2]) && isnan(sc[4]));  // malformed, no answer: abstain
    CHECK_NEAR(sc[3], 0.2, 1e-7);
    CHECK_TRUE(sc[0] == 2.0f / 5.0f && sc[3] == 1.0f / 5.0f);  // exactly count / K
    judge_ensemble_vote(sc, ans, NULL, 5);                     // NULL: all well-formed
    CHECK_TRUE(sc[2] == 3.0f / 5.0f && sc[0] == sc[2] && isnan(sc[4]));
    const char *one[3] = {"7", "7", "7"};
    judge_ensemble_vote(sc, one, NULL, 3);
    CHECK_TRUE(sc[0] == 1.0f && sc[1] == 1.0f && sc[2] == 1.0f);
}

// One consensus prompt from answers (NULL = none); group = first response with the same answer.
typedef struct {
    AggPairs o;
    AggStats st;
    int rc;
} ConsOut;

static ConsOut consensus_of(const char *const *ans, const int8_t *wf, const int8_t *corr, int K,
                            double min_agreement) {
    static float sc[64];
    static int32_t grp[64];
    judge_ensemble_vote(sc, ans, wf, K);
    for (int k = 0; k < K; k++) {
        grp[k] = k;
        for (int q = 0; q < k && ans[k]; q++)
            if (ans[q] && strcmp(ans[q], ans[k]) == 0) {
                grp[k] = q;
                break;
            }
    }
    const float w[1] = {1};
    AggInput in = {1, K, 1, sc, w, grp, corr, NULL};
    AggParams par = params(AGG_MODE_CONSENSUS, 0, AGG_PAIRS_BEST_VS_WORST);
    par.min_agreement = min_agreement;
    ConsOut c;
    c.rc = run(&in, &par, &c.o, &c.st);
    return c;
}

// Threshold table: K responses, the top answer given by n of them, the rest split so that no
// other answer ties; kept iff n / K >= min_agreement.
static void test_consensus_thresholds(void) {
    const double mins[4] = {0.5, 0.6, 0.75, 1.0};
    const int Ks[4] = {3, 4, 5, 10};
    const char *other[10] = {"b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
    int cases = 0;
    for (int ik = 0; ik < 4; ik++)
        for (int n = 1; n <= Ks[ik]; n++)
            for (int im = 0; im < 4; im++) {
                int K = Ks[ik];
                const char *ans[10];
                for (int k = 0; k < K; k++) ans[k] = k < n ? "a" : other[k - n];
                if (n == 1) continue;  // every answer once: a tie, tested below
                ConsOut c = consensus_of(ans, NULL, NULL, K, mins[im]);
                int want = (double)n / K >= mins[im] - 1e-12;
                int kept = c.o.n == 1 && c.o.label[0] != AGG_LABEL_DROPPED;
                CHECK_MSG(c.rc == 0 && kept == want && c.o.chosen[0] == 0,
                          "K %d, %d agree, min %g: kept %d, want %d", K, n, mins[im], kept, want);
                CHECK_MSG(c.o.rejected[0] == (n < K ? n : -1), "K %d, %d agree: rejected %d", K, n,
                          c.o.rejected[0]);
                CHECK_NEAR(c.o.confidence[0], (double)n / K, 1e-6);
                aggregate_pairs_free(&c.o);
                cases++;
            }
    CHECK_TRUE(cases > 40);
    // spot checks named in the definition: 2 of 3 meets 0.6 not 0.75; 3 of 5 meets 0.6;
    // 7 of 10 meets 0.7 although fl(0.7) < 0.7
    const char *k3[3] = {"a", "a", "b"}, *k5[5] = {"a", "b", "a", "c", "a"};
    const char *k10[10] = {"a", "a", "a", "a", "a", "a", "a", "b", "c", "d"};
    ConsOut c = consensus_of(k3, NULL, NULL, 3, 0.6);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_PREFERRED && c.o.chosen[0] == 0 && c.o.rejected[0] == 2);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k3, NULL, NULL, 3, 0.75);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_DROPPED && c.o.chosen[0] == 0 && c.o.rejected[0] == 2);
    CHECK_TRUE(c.o.weight[0] == 0.0f);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k5, NULL, NULL, 5, 0.6);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_PREFERRED && c.o.chosen[0] == 0 && c.o.rejected[0] == 1);
    CHECK_NEAR(c.o.prob[0], 0.6 / (0.6 + 0.2), 1e-6);
    CHECK_NEAR(c.o.margin[0], 0.4, 1e-6);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k10, NULL, NULL, 10, 0.7);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_PREFERRED);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k10, NULL, NULL, 10, 0.71);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&c.o);
}

static void test_consensus_rows(void) {
    // a tie between two answers drops the prompt, whatever the threshold
    const char *tie4[4] = {"b", "a", "a", "b"};
    ConsOut c = consensus_of(tie4, NULL, NULL, 4, 0.5);
    CHECK_TRUE(c.o.n == 1 && c.o.label[0] == AGG_LABEL_DROPPED && c.o.chosen[0] == 0);
    CHECK_TRUE(c.o.rejected[0] == 1);  // the other answer, lowest index
    CHECK_NEAR(c.o.prob[0], 0.5, 1e-7);
    CHECK_NEAR(c.o.margin[0], 0.0, 0);
    CHECK_NEAR(stat(&c.st, "n_ties"), 1, 0);
    aggregate_pairs_free(&c.o);
    const char *tie5[5] = {"a", "b", "a", "b", "c"};  // 2-2-1, below 0.5 and a tie: one tie
    c = consensus_of(tie5, NULL, NULL, 5, 0.25);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_DROPPED && stat(&c.st, "n_ties") == 1);
    aggregate_pairs_free(&c.o);
    // no dissent: CHOSEN_ONLY, rejected -1, prob 1, margin = top share
    const char *all3[3] = {"a", "a", "a"};
    c = consensus_of(all3, NULL, NULL, 3, 1.0);
    CHECK_TRUE(c.o.n == 1 && c.o.label[0] == AGG_LABEL_CHOSEN_ONLY && c.o.chosen[0] == 0 &&
               c.o.rejected[0] == -1);
    CHECK_TRUE(c.o.prob[0] == 1.0f && c.o.weight[0] == 1.0f && c.o.margin[0] == 1.0f);
    aggregate_pairs_free(&c.o);
    // abstentions: no answer and malformed responses are never chosen nor rejected; the share
    // still counts all K: 2 of 4 agree, the others abstain -> CHOSEN_ONLY at 0.5, dropped at 0.6
    const char *abst[4] = {NULL, "a", "b", "a"};
    const int8_t wf[4] = {1, 1, 0, 1};
    c = consensus_of(abst, wf, NULL, 4, 0.5);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_CHOSEN_ONLY && c.o.chosen[0] == 1 &&
               c.o.rejected[0] == -1);
    CHECK_NEAR(c.o.confidence[0], 0.5, 0);
    CHECK_NEAR(c.o.margin[0], 0.5, 0);
    aggregate_pairs_free(&c.o);
    c = consensus_of(abst, wf, NULL, 4, 0.6);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_DROPPED && c.o.chosen[0] == 1 && c.o.rejected[0] == -1);
    aggregate_pairs_free(&c.o);
    // a malformed copy of the top answer neither counts nor ties
    const char *mal[3] = {"a", "b", "b"};
    const int8_t wf3[3] = {1, 1, 0};
    c = consensus_of(mal, wf3, NULL, 3, 0.3);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_DROPPED && stat(&c.st, "n_ties") == 1);  // 1/3 each
    aggregate_pairs_free(&c.o);
    // nobody answers: one DROPPED row with chosen = rejected = -1
    const char *none[3] = {NULL, NULL, NULL};
    c = consensus_of(none, NULL, NULL, 3, 0.5);
    CHECK_TRUE(c.rc == 0 && c.o.n == 1 && c.o.label[0] == AGG_LABEL_DROPPED &&
               c.o.chosen[0] == -1 && c.o.rejected[0] == -1 && c.o.confidence[0] == 0.0f);
    CHECK_TRUE(isnan(c.o.margin[0]) && c.o.prob[0] == 0.5f && c.o.label_correct[0] == -1);
    aggregate_pairs_free(&c.o);
    // label_correct = whether the consensus answer is right, dissenter or not
    const char *k4[4] = {"a", "b", "a", "a"};
    const int8_t right[4] = {1, 0, 1, 1}, wrong[4] = {0, 1, 0, 0}, unknown[4] = {-1, 0, -1, -1};
    c = consensus_of(k4, NULL, right, 4, 0.75);
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_PREFERRED && c.o.label_correct[0] == 1);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k4, NULL, wrong, 4, 0.75);
    CHECK_TRUE(c.o.label_correct[0] == 0);
    aggregate_pairs_free(&c.o);
    c = consensus_of(k4, NULL, unknown, 4, 0.75);
    CHECK_TRUE(c.o.label_correct[0] == -1);
    aggregate_pairs_free(&c.o);
    // one voter (self-training without a filter): its answer is the label; none, no label
    const char *solo[1] = {"a"}, *mute[1] = {NULL};
    c = consensus_of(solo, NULL, right, 1, 1.0);
    CHECK_TRUE(c.rc == 0 && c.o.label[0] == AGG_LABEL_CHOSEN_ONLY && c.o.chosen[0] == 0 &&
               c.o.label_correct[0] == 1);
    aggregate_pairs_free(&c.o);
    c = consensus_of(mute, NULL, NULL, 1, 0.5);
    CHECK_TRUE(c.rc == 0 && c.o.label[0] == AGG_LABEL_DROPPED);
    aggregate_pairs_free(&c.o);
    c = consensus_of(all3, NULL, right, 3, 0.5);  // CHOSEN_ONLY rows measure the answer too
    CHECK_TRUE(c.o.label[0] == AGG_LABEL_CHOSEN_ONLY && c.o.label_correct[0] == 1);
    aggregate_pairs_free(&c.o);
}

// P = 4 prompts of K = 4 responses, answers as groups, one vote judge plus a second judge,
// min_agreement 0.6:
//   p0 a a a b  (0.75, dissent b)     correct 1 1 1 0  -> PREFERRED, right
//   p1 a a a a  (1.0, no dissent)     correct 0 0 0 0  -> CHOSEN_ONLY, wrong
//   p2 a a b b  (tie)                 correct 1 1 0 0  -> DROPPED, tie (label_correct 1)
//   p3 a a b -  (0.5, below 0.6)      correct 1 1 0 -1 -> DROPPED (label_correct 1)
static void test_consensus_stats(void) {
    enum { P = 4, K = 4, J = 2 };
    const char *ans[P][K] = {
        {"a", "a", "a", "b"}, {"a", "a", "a", "a"}, {"a", "a", "b", "b"}, {"a", "a", "b", NULL}};
    const int8_t corr[P * K] = {1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, -1};
    float sc[P * K * J];
    int32_t grp[P * K];
    for (int p = 0; p < P; p++) {
        float v[K];
        judge_ensemble_vote(v, ans[p], NULL, K);
        for (int k = 0; k < K; k++) {
            sc[(p * K + k) * J + 0] = v[k];
            sc[(p * K + k) * J + 1] = (float)k;  // another judge: prefers later responses
            grp[p * K + k] = k;
            for (int q = 0; q < k && ans[p][k]; q++)
                if (ans[p][q] && strcmp(ans[p][q], ans[p][k]) == 0) {
                    grp[p * K + k] = q;
                    break;
                }
        }
    }
    const float w[J] = {1, 0};
    const char *names[J] = {"ensemble_vote", "other"};
    AggInput in = {P, K, J, sc, w, grp, corr, names};
    AggParams par = params(AGG_MODE_CONSENSUS, 0, AGG_PAIRS_ALL);  // pairs does not apply
    par.min_agreement = 0.6;
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0);
    CHECK_EQ_I64(o.n, P);
    const int exp[P][4] = {{AGG_LABEL_PREFERRED, 0, 3, 1},
                           {AGG_LABEL_CHOSEN_ONLY, 0, -1, 0},
                           {AGG_LABEL_DROPPED, 0, 2, 1},
                           {AGG_LABEL_DROPPED, 0, 2, 1}};
    for (int p = 0; p < P; p++)
        CHECK_MSG(o.prompt[p] == p && o.label[p] == exp[p][0] && o.chosen[p] == exp[p][1] &&
                      o.rejected[p] == exp[p][2] && o.label_correct[p] == exp[p][3],
                  "prompt %d: label %d chosen %d rejected %d correct %d", p, o.label[p],
                  o.chosen[p], o.rejected[p], o.label_correct[p]);
    CHECK_NEAR(stat(&st, "n_prompts"), 4, 0);
    CHECK_NEAR(stat(&st, "n_candidates"), 4, 0);
    CHECK_NEAR(stat(&st, "n_kept"), 2, 0);
    CHECK_NEAR(stat(&st, "kept_fraction"), 0.5, 0);
    CHECK_NEAR(stat(&st, "n_ties"), 1, 0);
    CHECK_NEAR(stat(&st, "n_label_known"), 2, 0);
    CHECK_NEAR(stat(&st, "label_accuracy"), 0.5, 0);
    CHECK_TRUE(isnan(stat(&st, "mean_kendall_tau")));
    CHECK_NEAR(stat(&st, "mean_confidence"), (0.75 + 1.0) / 2, 1e-7);
    // per judge over the rows that form a pair ordered by truth: p0 (0, 3), p2 (0, 2), p3 (0, 2)
    CHECK_NEAR(stat(&st, "label_accuracy_ensemble_vote"), 1.0, 0);  // p2 is a tie: no vote
    CHECK_NEAR(stat(&st, "label_accuracy_other"), 0.0, 0);
    CHECK_NEAR(stat(&st, "n_chosen_only"), 1, 0);
    CHECK_NEAR(stat(&st, "agreement_rate"), 0.5, 0);
    CHECK_EQ_I64(st.n_stats, 13);
    CHECK_TRUE(strcmp(st.stats[11].name, "n_chosen_only") == 0 &&
               strcmp(st.stats[12].name, "agreement_rate") == 0);
    aggregate_pairs_free(&o);
    // no prompts: ratios NaN
    in.P = 0;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0 && o.n == 0);
    CHECK_TRUE(isnan(stat(&st, "agreement_rate")) && stat(&st, "n_chosen_only") == 0);
    aggregate_pairs_free(&o);
}

static void test_consensus_invalid(void) {
    ErrMsg e = {{0}};
    AggMode m;
    CHECK_TRUE(aggregate_mode_from_name("consensus", &m, &e) == 0 && m == AGG_MODE_CONSENSUS);
    CHECK_TRUE(strcmp(aggregate_mode_name(AGG_MODE_CONSENSUS), "consensus") == 0);
    const float sc[3] = {1, 1, 0.5f}, w[1] = {1};
    AggInput in = {1, 3, 1, sc, w, NULL, NULL, NULL};
    AggParams par = params(AGG_MODE_CONSENSUS, 0, AGG_PAIRS_BEST_VS_WORST);
    expect_error(&in, &par,
                 "aggregate.min_agreement: expected a number in (0, 1] for mode "
                 "\"consensus\", got 0",
                 __LINE__);
    par.min_agreement = 1.5;
    expect_error(&in, &par, "aggregate.min_agreement", __LINE__);
    par.min_agreement = NAN;
    expect_error(&in, &par, "aggregate.min_agreement", __LINE__);
    par.min_agreement = 0.5;
    par.judge = -1;
    expect_error(&in, &par,
                 "aggregate.judge: expected a judge index in [0, 1) for mode "
                 "\"consensus\"",
                 __LINE__);
    // min_agreement is ignored by the other modes
    par = params(AGG_MODE_SINGLE, 0, AGG_PAIRS_BEST_VS_WORST);
    par.min_agreement = 7;
    AggPairs o;
    AggStats st;
    CHECK_TRUE(run(&in, &par, &o, &st) == 0 && o.n == 1);
    aggregate_pairs_free(&o);
}

int main(void) {
    test_ensemble_vote();
    test_consensus_thresholds();
    test_consensus_rows();
    test_consensus_stats();
    test_consensus_invalid();
    return check_report();
}
