/* ranks/aggregator.c — pairs, statistics and the round file; see aggregator.h. */
#include "ranks/aggregator.h"

#include <math.h>
#include <string.h>

#include "io/prefbuf.h"
#include "util/alloc.h"
#include "util/log.h"

// Consensus groups responses by their answer (two texts with one answer are one vote): the index
// of the first response of the prompt with the same extracted answer (no answer: its own group).
static int32_t *answer_groups(const RoundSamples *s, const RunCtx *ctx) {
    int n = s->P * s->K;
    int32_t *g = xmalloc("agg.groups", (size_t)n * sizeof(int32_t));
    char(*ans)[TASK_TEXT_MAX] = xmalloc("agg.groups", (size_t)s->K * TASK_TEXT_MAX);
    int8_t *has = xmalloc("agg.groups", (size_t)s->K);
    char text[TASK_TEXT_MAX];
    for (int p = 0; p < s->P; p++)
        for (int k = 0; k < s->K; k++) {
            int i = p * s->K + k;
            samples_response_text(s, &ctx->tok, i, text, sizeof text);
            has[k] = task_extract(&ctx->task, text, ans[k], TASK_TEXT_MAX) == 0;
            g[i] = k;
            for (int q = 0; q < k && has[k]; q++)
                if (has[q] && strcmp(ans[q], ans[k]) == 0) {
                    g[i] = q;
                    break;
                }
        }
    xfree(ans), xfree(has);
    return g;
}

// Group id of each response: the index of the first identical response of its prompt.
static int32_t *response_groups(const RoundSamples *s) {
    int32_t *g = xmalloc("agg.groups", (size_t)s->P * s->K * sizeof(int32_t));
    for (int p = 0; p < s->P; p++)
        for (int k = 0; k < s->K; k++) {
            int i = p * s->K + k;
            g[i] = k;
            for (int q = 0; q < k; q++) {
                int j = p * s->K + q;
                if (s->resp_len[i] == s->resp_len[j] &&
                    memcmp(s->resp + (size_t)i * s->R, s->resp + (size_t)j * s->R,
                           (size_t)s->resp_len[i] * sizeof(int32_t)) == 0) {
                    g[i] = q;
                    break;
                }
            }
        }
    return g;
}

static AggParams agg_params(const Config *c) {
    AggParams ap = {.judge = config_judge_index(c, c->aggregate.judge),
                    .prev_judge = -1,
                    .min_margin = c->aggregate.min_margin,
                    .min_agreement = c->aggregate.min_agreement};
    ErrMsg e;  // the config was validated, so the names map
    CHECK(aggregate_mode_from_name(c->aggregate.mode, &ap.mode, &e) == 0);
    CHECK(aggregate_pairs_from_name(c->aggregate.pairs, &ap.pairs, &e) == 0);
    CHECK(aggregate_ties_from_name(c->aggregate.ties, &ap.ties, &e) == 0);
    CHECK(aggregate_cream_weight_from_name(c->aggregate.cream_weight, &ap.cream_weight, &e) == 0);
    for (int j = 0; j < c->n_judges; j++)
        if (strcmp(c->judges[j].name, "prev_round") == 0 &&
            strcmp(c->judges[j].of, c->aggregate.judge) == 0)
            ap.prev_judge = j;
    return ap;
}

// One side of a row: response `idx` of prompt p (-1: none, an empty response with NaN scores).
static void fill_side(int32_t *tokens, int32_t *len, float *scores /* (J, 2) at the side */,
                      const RoundSamples *s, int p, int idx) {
    if (idx < 0) {
        *len = 0;
        for (int j = 0; j < s->J; j++) scores[2 * j] = NAN;
        return;
    }
    int a = p * s->K + idx;
    memcpy(tokens, s->resp + (size_t)a * s->R, (size_t)s->R * sizeof(int32_t));
    *len = s->resp_len[a];
    for (int j = 0; j < s->J; j++) scores[2 * j] = s->scores[(size_t)a * s->J + j];
}

// Rank 0: the round file's rows from the aggregated pairs.
static void fill_rows(PrefRows *rows, const AggPairs *ap, const RoundSamples *s) {
    int J = s->J;
    prefbuf_rows_alloc(rows, ap->n, s->W, s->R, J);
    for (int64_t i = 0; i < ap->n; i++) {
        int p = ap->prompt[i];
        rows->prompt_id[i] = s->items[p].id;
        rows->chosen_idx[i] = ap->chosen[i];
        rows->rejected_idx[i] = ap->rejected[i];
        memcpy(rows->prompt + (size_t)i * s->W, s->prompts + (size_t)p * s->W,
               (size_t)s->W * sizeof(int32_t));
        rows->prompt_len[i] = s->prompt_len[p];
        float *sc = rows->judge_scores + (size_t)i * J * 2;
        fill_side(rows->chosen + (size_t)i * s->R, &rows->chosen_len[i], sc, s, p, ap->chosen[i]);
        fill_side(rows->rejected + (size_t)i * s->R, &rows->rejected_len[i], sc + 1, s, p,
                  ap->rejected[i]);
        rows->label[i] = ap->label[i];
        rows->prob[i] = ap->prob[i];
        rows->weight[i] = ap->weight[i];
        rows->confidence[i] = ap->confidence[i];
        rows->label_correct[i] = ap->label_correct[i];
    }
}

// Share of the round's prompts at its scheduled level main that kept a label: the agreement the
// schedule guard (task.levels.advance_min_agreement) reads. NaN without such prompts.
static double level_agreement(int main, const RoundSamples *s, const AggPairs *pairs) {
    int n = 0, kept = 0;
    uint8_t *has = xcalloc("agg.level", (size_t)s->P + 1, 1);
    for (int64_t i = 0; i < pairs->n; i++)
        if (pairs->label[i] != AGG_LABEL_DROPPED) has[pairs->prompt[i]] = 1;
    for (int p = 0; p < s->P; p++)
        if (s->items[p].level == main) n++, kept += has[p];
    xfree(has);
    return n ? (double)kept / n : NAN;
}

void aggregator_run(RunCtx *ctx, const RoundSamples *s, AggStats *stats) {
    const Config *c = &ctx->cfg;
    const Comms *cm = &ctx->comms;
    memset(stats, 0, sizeof *stats);
    PrefMeta meta;
    prefbuf_meta_init(&meta, s->round, s->W, s->R, s->J);
    for (int j = 0; j < s->J; j++)
        snprintf(meta.judge_names[j], sizeof meta.judge_names[j], "%s", c->judges[j].name);
    snprintf(meta.charset, sizeof meta.charset, "%s", ctx->tok.charset);
    snprintf(meta.aggregation, sizeof meta.aggregation, "%s", c->aggregate.mode);
    PrefRows rows = {0};
    if (cm->rank == 0) {
        float weights[CONFIG_MAX_JUDGES];
        const char *names[CONFIG_MAX_JUDGES];
        for (int j = 0; j < s->J; j++)
            weights[j] = (float)c->judges[j].weight, names[j] = c->judges[j].name;
        int32_t *group = strcmp(c->aggregate.mode, "consensus") == 0 ? answer_groups(s, ctx)
                                                                     : response_groups(s);
        AggInput in = {.P = s->P,
                       .K = s->K,
                       .J = s->J,
                       .scores = s->scores,
                       .weights = weights,
                       .group = group,
                       .correct = s->correct,
                       .judge_names = names};
        AggParams ap = agg_params(c);
        AggPairs pairs;
        ErrMsg e;
        if (aggregate_round(&in, &ap, &pairs, stats, &e) != 0) die("aggregation: %s", e.msg);
        fill_rows(&rows, &pairs, s);
        for (int i = 0; i < stats->n_stats; i++)
            prefbuf_meta_add_stat(&meta, stats->stats[i].name, stats->stats[i].value);
        int level = task_round_level(&ctx->task, s->round);
        if (level > 0)
            prefbuf_meta_add_stat(&meta, "level_agreement_rate", level_agreement(level, s, &pairs));
        for (int i = 0; i < s->J * s->J; i++) meta.agreement[i] = (float)stats->agreement[i];
        aggregate_pairs_free(&pairs);
        xfree(group);
    } else if (cm->agg != MPI_COMM_NULL) {
        prefbuf_rows_alloc(&rows, 0, s->W, s->R, s->J);
    }
    if (cm->agg != MPI_COMM_NULL) {
        int64_t total;
        prefbuf_assign_pair_ids(&rows, s->round, cm->agg, &total);
        ErrMsg e;
        if (prefbuf_write_round(c->run.run_dir, &meta, &rows, c->checkpoint.compress_level, cm->agg,
                                &e) != 0)
            die("round file: %s", e.msg);
    }
    if (cm->rank == 0) {
        double kept = NAN, acc = NAN;
        aggregate_stats_get(stats, "kept_fraction", &kept);
        aggregate_stats_get(stats, "label_accuracy", &acc);
        log_root("round %d: %lld candidate pairs, kept %.1f%%, label accuracy %.3f", s->round,
                 (long long)rows.n, 100.0 * kept, acc);
    }
    prefbuf_rows_free(&rows);
    MPI_CHECK(MPI_Barrier(cm->world));  // the file is complete before anyone reads it
}
