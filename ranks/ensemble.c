/* ranks/ensemble.c — the ensemble's groups and the points where they meet; see ensemble.h. */
#include "ranks/ensemble.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "comm/comms.h"
#include "comm/exchange.h"
#include "io/metrics.h"
#include "ranks/run.h"
#include "ranks/samples.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/log.h"

#define STREAM_MODEL_SEED 0x454E000000000000ull  // "EN" + k: seeds of models 1..K-1

void ensemble_init(Ensemble *en, int K, int others, const char *base_dir) {
    memset(en, 0, sizeof *en);
    en->K = K;
    en->others = others && K > 1;
    en->all = comms_world();
    MPI_CHECK(MPI_Comm_rank(en->all, &en->all_rank));
    MPI_CHECK(MPI_Comm_size(en->all, &en->all_size));
    comms_split_models(K, &en->model, &en->group);
    int k = 0;
    for (int r = 0; r < en->all_size; r++)
        if (comms_model_of_rank(r, en->all_size, K) == k) en->first_rank[k++] = r;
    en->first_rank[K] = en->all_size;
    snprintf(en->base_dir, sizeof en->base_dir, "%s", base_dir);
}

void ensemble_free(Ensemble *en) {
    if (en->K > 0 && en->group != MPI_COMM_NULL) MPI_CHECK(MPI_Comm_free(&en->group));
    memset(en, 0, sizeof *en);
}

uint64_t ensemble_model_seed(uint64_t seed, int k) {
    if (k == 0) return seed;
    Rng r = rng_stream(seed, STREAM_MODEL_SEED + (uint64_t)k);
    uint64_t v = ((uint64_t)rng_u32(&r) << 32) | rng_u32(&r);
    return v & ((1ull << 53) - 1);  // a JSON number holds it exactly
}

void ensemble_model_dir(char *out, size_t size, const char *base, int K, int k) {
    if (K <= 1)
        snprintf(out, size, "%s", base);
    else
        snprintf(out, size, "%s/model_%d", base, k);
}

int ensemble_voters(const Ensemble *en, int k, int *models) {
    int n = 0;
    for (int m = 0; m < en->K; m++)
        if (!(en->others && m == k)) models[n++] = m;
    return n;
}

int ensemble_plurality(const char *const *answers, int K) {
    int best = -1, best_count = 0;
    for (int a = 0; a < K; a++) {
        if (!answers[a][0]) continue;
        int count = 0, seen_before = 0;
        for (int b = 0; b < K; b++)
            if (strcmp(answers[a], answers[b]) == 0) {
                count++;
                seen_before |= b < a;
            }
        if (!seen_before && count > best_count) best = a, best_count = count;
    }
    return best;
}

int ensemble_first_failing(const Ensemble *en, int failed) {
    int mine = failed ? en->model : en->K, first;
    MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, en->all));
    return first;
}

// ---- 1. responses of every model --------------------------------------------------------------

void ensemble_gather_responses(RunCtx *ctx, RoundSamples *s) {
    const Ensemble *en = &ctx->ens;
    int P = s->P, S = s->K, R = s->R;
    // the group's first rank holds its model's responses after generation (and every rank of a
    // one-rank group); it alone contributes them, in prompt-major order
    int mine = ctx->comms.rank == 0 && s->resp != NULL;
    int64_t n = mine ? (int64_t)P * S : 0;
    int32_t *packed = xmalloc("ens.resp", (size_t)(n > 0 ? n : 1) * R * sizeof(int32_t));
    int64_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        memcpy(packed + off, s->resp + (size_t)i * R, (size_t)s->resp_len[i] * sizeof(int32_t));
        off += s->resp_len[i];
    }
    TokenBatch tb;
    exchange_allgather_tokens(&tb, packed, mine ? s->resp_len : NULL, n, en->all);
    ExchGathered lg;
    exchange_allgatherv(&lg, mine ? s->resp_logp : NULL, n, EXCH_F64, en->all);
    xfree(packed);
    CHECKF(tb.n_seqs == (int64_t)en->K * P * S, "ensemble: gathered %lld responses, expected %lld",
           (long long)tb.n_seqs, (long long)en->K * P * S);
    // model m's responses arrive from its group's first rank, m-major; rebuild them prompt-major
    // with the voting models side by side: row p*(V*S) + v*S + j = voter v's sample j of prompt p
    int voters[ENSEMBLE_MAX_MODELS];
    int V = ensemble_voters(en, en->model, voters);
    xfree(s->resp), xfree(s->resp_len), xfree(s->resp_logp);
    s->K = V * S;
    s->resp = xcalloc("samples", (size_t)P * s->K * R, sizeof(int32_t));
    s->resp_len = xmalloc("samples", (size_t)P * s->K * sizeof(int32_t));
    s->resp_logp = xmalloc("samples", (size_t)P * s->K * sizeof(double));
    const double *logp = lg.data;
    for (int v = 0; v < V; v++) {
        int64_t first = tb.rank_first[en->first_rank[voters[v]]];
        for (int p = 0; p < P; p++)
            for (int j = 0; j < S; j++) {
                int64_t from = first + (int64_t)p * S + j, to = (int64_t)p * s->K + v * S + j;
                s->resp_len[to] = tb.lens[from];
                memcpy(s->resp + (size_t)to * R, tb.tokens + tb.offsets[from],
                       (size_t)tb.lens[from] * sizeof(int32_t));
                s->resp_logp[to] = logp[from];
            }
    }
    exchange_tokens_free(&tb);
    exchange_gathered_free(&lg);
}

// ---- 2. the ensemble's line of a round --------------------------------------------------------

// Mean of the finite values of column `field` over the K models' stats (NaN when none).
static double mean_over(const EnsembleModelStats *st, int K, size_t offset) {
    double sum = 0.0;
    int n = 0;
    for (int k = 0; k < K; k++) {
        double v = *(const double *)(const void *)((const char *)&st[k] + offset);
        if (isfinite(v)) sum += v, n++;
    }
    return n ? sum / n : NAN;
}

#define STAT(field)  offsetof(EnsembleModelStats, field)
#define STAT_DOUBLES ((int)(sizeof(EnsembleModelStats) / sizeof(double)))

// World rank 0: the plurality vote's accuracy on the held-out prompts, overall and by level.
static double vote_accuracy(const RunCtx *ctx, const char *const *model_answers, int K,
                            double *by_level /* (TASK_MAX_LEVELS + 1) */) {
    int64_t E = task_split_size(&ctx->task, TASK_SPLIT_EVAL), n = 0, right = 0;
    int64_t lv_n[TASK_MAX_LEVELS + 1] = {0}, lv_right[TASK_MAX_LEVELS + 1] = {0};
    const char *ans[ENSEMBLE_MAX_MODELS];
    for (int64_t i = 0; i < E; i++) {
        TaskItem it;
        task_item(&ctx->task, TASK_SPLIT_EVAL, 0, (int)i, &it);
        if (!it.has_answer) continue;
        for (int k = 0; k < K; k++) ans[k] = model_answers[k] + (size_t)i * EVAL_ANSWER_MAX;
        int w = ensemble_plurality(ans, K);
        int ok = w >= 0 && task_verify(&ctx->task, &it, ans[w]) == 1;
        n++, right += ok;
        int lv = it.level >= 0 && it.level <= TASK_MAX_LEVELS ? it.level : 0;
        lv_n[lv]++, lv_right[lv] += ok;
    }
    for (int l = 0; l <= TASK_MAX_LEVELS; l++)
        by_level[l] = lv_n[l] ? (double)lv_right[l] / (double)lv_n[l] : NAN;
    return n ? (double)right / (double)n : NAN;
}

static void set_by_level(MetricsRecord *m, const char *group, const double *acc) {
    for (int l = 1; l <= TASK_MAX_LEVELS; l++)
        if (isfinite(acc[l])) {
            char key[8];
            snprintf(key, sizeof key, "%d", l);
            metrics_set_num(m, group, key, acc[l]);
        }
}

void ensemble_report(RunCtx *ctx, int round, const EnsembleModelStats *mine, const char *answers,
                     MetricsRecord *own) {
    const Ensemble *en = &ctx->ens;
    int K = en->K, root = en->all_rank == 0;
    // every rank sends its stats (only each group's first rank's count) and its group's answers
    EnsembleModelStats *all =
        root ? xmalloc("ens.stats", (size_t)en->all_size * sizeof *all) : NULL;
    EnsembleModelStats blank = {0};
    MPI_CHECK(MPI_Gather(mine ? mine : &blank, STAT_DOUBLES, MPI_DOUBLE, all, STAT_DOUBLES,
                         MPI_DOUBLE, 0, en->all));
    int64_t E = task_split_size(&ctx->task, TASK_SPLIT_EVAL);
    int64_t n = answers ? E * EVAL_ANSWER_MAX : 0;
    ExchGathered g;
    exchange_gatherv(&g, answers, n, EXCH_I8, 0, en->all);
    if (root) {
        EnsembleModelStats st[ENSEMBLE_MAX_MODELS];
        const char *model_answers[ENSEMBLE_MAX_MODELS];
        for (int k = 0; k < K; k++) {
            int r = en->first_rank[k];
            st[k] = all[r];
            CHECKF(g.counts[r] == E * EVAL_ANSWER_MAX, "ensemble: model %d sent %lld answer bytes",
                   k, (long long)g.counts[r]);
            model_answers[k] = (const char *)g.data + g.displs[r];
        }
        double vote_by_level[TASK_MAX_LEVELS + 1], acc_by_level[TASK_MAX_LEVELS + 1];
        double vote = vote_accuracy(ctx, model_answers, K, vote_by_level);
        double by_model[ENSEMBLE_MAX_MODELS], labels_by_model[ENSEMBLE_MAX_MODELS], secs = 0.0;
        for (int k = 0; k < K; k++) {
            by_model[k] = st[k].greedy_acc;
            labels_by_model[k] = st[k].label_accuracy;
            secs = st[k].seconds > secs ? st[k].seconds : secs;  // the models run side by side
        }
        for (int l = 0; l <= TASK_MAX_LEVELS; l++)
            acc_by_level[l] = mean_over(st, K, STAT(level_acc) + (size_t)l * sizeof(double));
        double mean = mean_over(st, K, STAT(greedy_acc));
        double labels = mean_over(st, K, STAT(label_accuracy));
        double kept = mean_over(st, K, STAT(kept_fraction));
        double level_agreement = mean_over(st, K, STAT(level_agreement));
        MetricsRecord *m = K > 1 ? metrics_record_new() : own;
        if (K > 1) {
            metrics_set_int(m, NULL, "round", round);
            metrics_set_str(m, NULL, "phase", round == 0 ? "sft" : "round");
            metrics_set_int(m, NULL, "models", K);
            metrics_set_num(m, NULL, "greedy_acc", mean);
            metrics_set_num(m, NULL, "label_accuracy", labels);
            metrics_set_num(m, NULL, "kept_fraction", kept);
            metrics_set_list(m, NULL, "label_accuracy_by_model", labels_by_model, K);
            metrics_set_num(m, NULL, "seconds_total", secs);
        }
        metrics_set_list(m, NULL, "greedy_acc_by_model", by_model, K);
        metrics_set_num(m, NULL, "vote_acc", vote);
        set_by_level(m, "accuracy_by_level", acc_by_level);
        set_by_level(m, "vote_acc_by_level", vote_by_level);
        if (round > 0 && task_round_level(&ctx->task, round) > 0) {
            metrics_set_int(m, NULL, "level", task_round_level(&ctx->task, round));
            metrics_set_int(m, NULL, "next_level", task_round_level(&ctx->task, round + 1));
            if (K > 1) metrics_set_num(m, NULL, "level_agreement_rate", level_agreement);
        }
        if (K > 1) {
            char path[CONFIG_PATH_MAX + 32];
            ErrMsg e;
            snprintf(path, sizeof path, "%s/metrics.jsonl", en->base_dir);
            if (metrics_append(path, m, &e) != 0) die("metrics: %s", e.msg);  // e.g. a full disk
            metrics_record_free(m);
            char line[64 * ENSEMBLE_MAX_MODELS];
            int len = 0;
            for (int k = 0; k < K && len < (int)sizeof line - 16; k++)
                len += snprintf(line + len, sizeof line - (size_t)len, " %.3f", by_model[k]);
            if (round == 0)
                log_root("ensemble SFT: models%s (mean %.3f), vote %.3f", line, mean, vote);
            else
                log_root(
                    "ensemble round %d: models%s (mean %.3f), vote %.3f; kept %.1f%% of the "
                    "prompts, labels %.1f%% right",
                    round, line, mean, vote, 100 * kept, 100 * labels);
        }
    }
    exchange_gathered_free(&g);
    xfree(all);
}
