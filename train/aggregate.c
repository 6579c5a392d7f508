/* train/aggregate.c — preference aggregation of one round; definitions in aggregate.h. */
#include "train/aggregate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

#define VOTE_ABSTAIN 2  // vote(): a judge's score of either response is NaN
#define DEC_NONE     2  // decision: no judge decided
#define DEC_BROKEN   3  // decision: unanimous mode, the voting judges disagree

// ---------------------------------------------------------------------------------------------
// Names of the config strings.

typedef struct {
    const char *name;
    int value;
} NameValue;

static const NameValue MODE_NAMES[] = {
    {"single", AGG_MODE_SINGLE},     {"mean", AGG_MODE_MEAN},
    {"majority", AGG_MODE_MAJORITY}, {"unanimous", AGG_MODE_UNANIMOUS},
    {"cream", AGG_MODE_CREAM},       {"consensus", AGG_MODE_CONSENSUS}};
static const NameValue PAIRS_NAMES[] = {{"best_vs_worst", AGG_PAIRS_BEST_VS_WORST},
                                        {"all", AGG_PAIRS_ALL}};
static const NameValue TIES_NAMES[] = {{"drop", AGG_TIES_DROP}, {"soft", AGG_TIES_SOFT}};
static const NameValue CREAM_NAMES[] = {{"per_pair", AGG_CREAM_PER_PAIR},
                                        {"round_mean", AGG_CREAM_ROUND_MEAN}};
#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

// Looks name up in tab; the error names key and lists the allowed values.
static int from_name(const char *key, const char *name, const NameValue *tab, int n, int *out,
                     ErrMsg *e) {
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, tab[i].name) == 0) {
            *out = tab[i].value;
            return 0;
        }
    char allowed[128] = "";
    for (int i = 0; i < n; i++) {
        if (i) strncat(allowed, "|", sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, tab[i].name, sizeof allowed - strlen(allowed) - 1);
    }
    return err_set(e, "%s: expected one of %s, got \"%s\"", key, allowed, name ? name : "(null)");
}

int aggregate_mode_from_name(const char *name, AggMode *out, ErrMsg *e) {
    int v = 0;
    if (from_name("aggregate.mode", name, MODE_NAMES, N_OF(MODE_NAMES), &v, e) < 0) return -1;
    *out = (AggMode)v;
    return 0;
}

int aggregate_pairs_from_name(const char *name, AggPairsRule *out, ErrMsg *e) {
    int v = 0;
    if (from_name("aggregate.pairs", name, PAIRS_NAMES, N_OF(PAIRS_NAMES), &v, e) < 0) return -1;
    *out = (AggPairsRule)v;
    return 0;
}

int aggregate_ties_from_name(const char *name, AggTiesRule *out, ErrMsg *e) {
    int v = 0;
    if (from_name("aggregate.ties", name, TIES_NAMES, N_OF(TIES_NAMES), &v, e) < 0) return -1;
    *out = (AggTiesRule)v;
    return 0;
}

int aggregate_cream_weight_from_name(const char *name, AggCreamWeight *out, ErrMsg *e) {
    int v = 0;
    if (from_name("aggregate.cream_weight", name, CREAM_NAMES, N_OF(CREAM_NAMES), &v, e) < 0)
        return -1;
    *out = (AggCreamWeight)v;
    return 0;
}

const char *aggregate_mode_name(AggMode mode) {
    for (int i = 0; i < N_OF(MODE_NAMES); i++)
        if (MODE_NAMES[i].value == (int)mode) return MODE_NAMES[i].name;
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Kendall tau.

double aggregate_kendall_tau(const float *a, const float *b, int K) {
    if (K < 2) return NAN;
    for (int k = 0; k < K; k++)
        if (isnan(a[k]) || isnan(b[k])) return NAN;
    int64_t conc = 0, disc = 0;
    for (int i = 0; i < K; i++)
        for (int j = i + 1; j < K; j++) {
            int sa = (a[i] > a[j]) - (a[i] < a[j]);
            int sb = (b[i] > b[j]) - (b[i] < b[j]);
            if (sa * sb > 0) conc++;
            if (sa * sb < 0) disc++;
        }
    return (double)(conc - disc) / ((double)K * (K - 1) / 2.0);
}

// ---------------------------------------------------------------------------------------------
// Round state.

typedef struct {
    const AggInput *in;
    const AggParams *par;
    int ens[AGG_MAX_JUDGES];  // (n_ens) ensemble judges (weight > 0), ascending
    int n_ens;
    double *m;        // (K) mean score of the current prompt
    double *den;      // (K) scratch: weight of the judges that scored each response
    double *rank;     // (K) rank score of the current prompt
    int *order;       // (K) responses of the current prompt, best first
    double *cons;     // (P) CREAM C_p, NaN where undefined
    double c_round;   // round-mean C (1 when no prompt has one)
    double mean_tau;  // mean tau over the prompts with one; NaN when none
} Round;

static float score(const AggInput *in, int p, int k, int j) {
    return in->scores[((size_t)p * in->K + k) * in->J + j];
}

static int same_group(const AggInput *in, int p, int a, int b) {
    if (!in->group) return a == b;
    return in->group[(size_t)p * in->K + a] == in->group[(size_t)p * in->K + b];
}

static int correct_of(const AggInput *in, int p, int k) {
    return in->correct ? in->correct[(size_t)p * in->K + k] : -1;
}

// Judge j's vote on (a, b) of prompt p: +1, -1, 0 (tie) or VOTE_ABSTAIN.
static int vote(const AggInput *in, int p, int a, int b, int j) {
    float sa = score(in, p, a, j), sb = score(in, p, b, j);
    if (isnan(sa) || isnan(sb)) return VOTE_ABSTAIN;
    return (sa > sb) - (sa < sb);
}

// Mean score m (K) of prompt p: weighted mean of the ensemble judges' per-prompt z-scores.
static void mean_scores(Round *R, int p) {
    const AggInput *in = R->in;
    int K = in->K;
    double *num = R->m, *den = R->den;
    for (int k = 0; k < K; k++) num[k] = den[k] = 0.0;
    for (int t = 0; t < R->n_ens; t++) {
        int j = R->ens[t], n = 0;
        double w = in->weights[j], sum = 0.0, sq = 0.0;
        for (int k = 0; k < K; k++) {
            float s = score(in, p, k, j);
            if (!isnan(s)) sum += s, n++;
        }
        if (n == 0) continue;
        double mu = sum / n;
        for (int k = 0; k < K; k++) {
            float s = score(in, p, k, j);
            if (!isnan(s)) sq += (s - mu) * (s - mu);
        }
        double sd = sqrt(sq / n);
        for (int k = 0; k < K; k++) {
            float s = score(in, p, k, j);
            if (isnan(s)) continue;
            num[k] += sd > 0 ? w * ((s - mu) / sd) : 0.0;
            den[k] += w;
        }
    }
    for (int k = 0; k < K; k++) R->m[k] = den[k] > 0 ? num[k] / den[k] : NAN;
}

// Rank scores (K) of prompt p: the judge's score (single, cream) or the mean score.
static void rank_scores(Round *R, int p) {
    const AggInput *in = R->in;
    mean_scores(R, p);
    AggMode mode = R->par->mode;
    for (int k = 0; k < in->K; k++)
        R->rank[k] = (mode == AGG_MODE_SINGLE || mode == AGG_MODE_CREAM)
                         ? (double)score(in, p, k, R->par->judge)
                         : R->m[k];
}

// 1 when response a ranks above b: higher score, equal scores by lower index, NaN last.
static int ranks_above(const double *r, int a, int b) {
    int na = isnan(r[a]), nb = isnan(r[b]);
    if (na || nb) return na == nb ? a < b : nb;
    if (r[a] != r[b]) return r[a] > r[b];
    return a < b;
}

// ---------------------------------------------------------------------------------------------
// Decisions.

typedef struct {
    int d;              // +1 a preferred, -1 b preferred, 0 tie, DEC_NONE, DEC_BROKEN
    double diff;        // rank-score difference a - b (NaN when either is NaN)
    double wa, wb, wt;  // ensemble weight voting a, b, tie
    int na, nb, nt;     // ensemble judges voting a, b, tie
} Decision;

static int sign_of(double x) { return (x > 0) - (x < 0); }

static Decision decide(const Round *R, int p, int a, int b) {
    const AggInput *in = R->in;
    Decision D = {DEC_NONE, R->rank[a] - R->rank[b], 0, 0, 0, 0, 0, 0};
    for (int t = 0; t < R->n_ens; t++) {
        int j = R->ens[t], v = vote(in, p, a, b, j);
        double w = in->weights[j];
        if (v == 1) D.wa += w, D.na++;
        if (v == -1) D.wb += w, D.nb++;
        if (v == 0) D.wt += w, D.nt++;
    }
    int voters = D.na + D.nb + D.nt;
    switch (R->par->mode) {
        case AGG_MODE_SINGLE:
        case AGG_MODE_CREAM:
        case AGG_MODE_MEAN:
            if (!isnan(D.diff)) D.d = sign_of(D.diff);
            break;
        case AGG_MODE_MAJORITY:
            if (voters > 0) D.d = sign_of(D.wa - D.wb);
            break;
        case AGG_MODE_UNANIMOUS:
            if (voters == 0) break;
            if (D.na == voters)
                D.d = 1;
            else if (D.nb == voters)
                D.d = -1;
            else if (D.nt == voters)
                D.d = 0;
            else
                D.d = DEC_BROKEN;
            break;
        case AGG_MODE_CONSENSUS:  // one row per prompt, built by prompt_consensus
            break;
    }
    return D;
}

static void swap_decision(Decision *D) {
    if (D->d == 1 || D->d == -1) D->d = -D->d;
    D->diff = -D->diff;
    double w = D->wa;
    D->wa = D->wb, D->wb = w;
    int n = D->na;
    D->na = D->nb, D->nb = n;
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

// Margin and prob of an oriented decision (chosen = a), per the mode's definition.
static void margin_prob(const Round *R, const Decision *D, double *margin, double *prob) {
    double tot = D->wa + D->wb + D->wt;
    *prob = 0.5;
    *margin = NAN;
    if (D->d == DEC_NONE) return;
    switch (R->par->mode) {
        case AGG_MODE_SINGLE:
        case AGG_MODE_CREAM:
        case AGG_MODE_MEAN:
            *margin = D->diff;
            if (D->d == 1) *prob = sigmoid(D->diff);
            break;
        case AGG_MODE_MAJORITY:
            *margin = D->wa / tot;
            *prob = (D->wa + 0.5 * D->wt) / tot;
            break;
        case AGG_MODE_UNANIMOUS:
            *margin = fabs(D->diff);
            *prob = (D->wa + 0.5 * D->wt) / tot;
            break;
        case AGG_MODE_CONSENSUS: break;
    }
}

// ground truth: 1 chosen correct and rejected wrong, 0 the reverse, -1 not ordered.
static int truth_order(const AggInput *in, int p, int c, int r) {
    int gc = correct_of(in, p, c), gr = correct_of(in, p, r);
    if (gc == 1 && gr == 0) return 1;
    if (gc == 0 && gr == 1) return 0;
    return -1;
}

// Appends the candidate (a, b) of prompt p (a ranked above b) as one row of out.
static void emit(const Round *R, AggPairs *out, int p, int a, int b, int64_t *n_ties) {
    const AggParams *par = R->par;
    Decision D = decide(R, p, a, b);
    if (D.d == -1) {
        int t = a;
        a = b, b = t;
        swap_decision(&D);
    }
    double margin, prob;
    margin_prob(R, &D, &margin, &prob);
    int label = AGG_LABEL_DROPPED;
    if (D.d == 0) {
        (*n_ties)++;
        if (par->ties == AGG_TIES_SOFT) label = AGG_LABEL_TIE;
    } else if (D.d == 1 && !(margin < par->min_margin)) {
        label = AGG_LABEL_PREFERRED;
    }
    double weight = 0.0;
    if (label == AGG_LABEL_TIE) weight = 0.5;
    if (label == AGG_LABEL_PREFERRED) {
        weight = 1.0;
        if (par->mode == AGG_MODE_CREAM) {
            double c = R->cons[p];
            weight = (par->cream_weight == AGG_CREAM_PER_PAIR && !isnan(c)) ? c : R->c_round;
        }
    }
    int voters = D.na + D.nb + D.nt, agree = D.d == 0 ? D.nt : D.na;
    int truth = truth_order(R->in, p, a, b);
    int64_t i = out->n++;
    out->prompt[i] = p;
    out->chosen[i] = a;
    out->rejected[i] = b;
    out->label[i] = (int8_t)label;
    out->prob[i] = (float)prob;
    out->weight[i] = (float)weight;
    out->margin[i] = (float)margin;
    out->confidence[i] = voters > 0 ? (float)((double)agree / voters) : 0.0f;
    out->label_correct[i] = (int8_t)(D.d == 0 ? (truth >= 0 ? 0 : -1) : truth);
}

// Emits prompt p's candidates.
static void prompt_candidates(Round *R, AggPairs *out, int p, int64_t *n_ties) {
    const AggInput *in = R->in;
    int K = in->K;
    rank_scores(R, p);
    if (R->par->pairs == AGG_PAIRS_ALL) {
        for (int i = 0; i < K; i++)
            for (int j = i + 1; j < K; j++) {
                if (same_group(in, p, i, j)) continue;
                if (ranks_above(R->rank, i, j))
                    emit(R, out, p, i, j, n_ties);
                else
                    emit(R, out, p, j, i, n_ties);
            }
        return;
    }
    // best_vs_worst: insertion sort by rank, then top against the lowest scored other group
    for (int k = 0; k < K; k++) {
        int t = k;
        while (t > 0 && ranks_above(R->rank, k, R->order[t - 1])) {
            R->order[t] = R->order[t - 1];
            t--;
        }
        R->order[t] = k;
    }
    int top = R->order[0];
    if (isnan(R->rank[top])) return;
    for (int t = K - 1; t > 0; t--) {
        int b = R->order[t];
        if (isnan(R->rank[b]) || same_group(in, p, top, b)) continue;
        emit(R, out, p, top, b, n_ties);
        return;
    }
}

// consensus: prompt p's one row (definitions in aggregate.h).
static void prompt_consensus(const Round *R, AggPairs *out, int p, int64_t *n_ties) {
    const AggInput *in = R->in;
    const AggParams *par = R->par;
    int K = in->K, top = -1, rej = -1, tie = 0;
    for (int k = 0; k < K; k++) {
        float s = score(in, p, k, par->judge);
        if (!isnan(s) && (top < 0 || s > score(in, p, top, par->judge))) top = k;
    }
    float st = top >= 0 ? score(in, p, top, par->judge) : NAN, sr = NAN;
    for (int k = 0; top >= 0 && k < K; k++) {
        float s = score(in, p, k, par->judge);
        if (isnan(s) || same_group(in, p, top, k)) continue;
        if (rej < 0 || s > sr) rej = k, sr = s;
        tie |= s == st;
    }
    // shares are floats: the threshold rounded to float counts too (fl(7/10) < 0.7 - 1e-9)
    int enough =
        top >= 0 && ((double)st >= par->min_agreement - 1e-9 || st >= (float)par->min_agreement);
    int label = AGG_LABEL_DROPPED;
    if (tie)
        (*n_ties)++;
    else if (enough)
        label = rej >= 0 ? AGG_LABEL_PREFERRED : AGG_LABEL_CHOSEN_ONLY;
    double prob = 0.5, margin = NAN;
    if (top >= 0 && rej >= 0) prob = st / ((double)st + sr), margin = (double)st - sr;
    if (top >= 0 && rej < 0) prob = 1.0, margin = st;
    int64_t i = out->n++;
    out->prompt[i] = p;
    out->chosen[i] = top;
    out->rejected[i] = rej;
    out->label[i] = (int8_t)label;
    out->prob[i] = (float)prob;
    out->weight[i] = label == AGG_LABEL_DROPPED ? 0.0f : 1.0f;
    out->margin[i] = (float)margin;
    out->confidence[i] = top >= 0 ? st : 0.0f;
    out->label_correct[i] = (int8_t)(top >= 0 ? correct_of(in, p, top) : -1);
}

// CREAM consistency per prompt, its round mean, and the mean tau.
static void consistency(Round *R) {
    const AggInput *in = R->in;
    const AggParams *par = R->par;
    int K = in->K;
    R->c_round = 1.0;
    R->mean_tau = NAN;
    for (int p = 0; p < in->P; p++) R->cons[p] = NAN;
    if (par->prev_judge < 0) return;
    float *a = xmalloc("aggregate", sizeof(float) * 2 * (size_t)K), *b = a + K;
    double sum = 0.0;
    int n = 0;
    for (int p = 0; p < in->P; p++) {
        for (int k = 0; k < K; k++) {
            a[k] = score(in, p, k, par->judge);
            b[k] = score(in, p, k, par->prev_judge);
        }
        double tau = aggregate_kendall_tau(a, b, K);
        if (isnan(tau)) continue;
        R->cons[p] = (tau + 1.0) / 2.0;
        sum += tau;
        n++;
    }
    xfree(a);
    if (n > 0) {
        R->mean_tau = sum / n;
        R->c_round = (R->mean_tau + 1.0) / 2.0;
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics.

static void add_stat(AggStats *s, const char *name, double value) {
    CHECK(s->n_stats < AGG_MAX_STATS);
    AggStat *st = &s->stats[s->n_stats++];
    snprintf(st->name, sizeof st->name, "%s", name);
    st->value = value;
}

static double ratio(int64_t num, int64_t den) { return den > 0 ? (double)num / den : NAN; }

// Name of judge j's accuracy statistic ("_<j>" when the name is shared). 0, or -1 if too long.
static int judge_stat_name(const AggInput *in, int j, char *out, size_t size) {
    char base[24];
    snprintf(base, sizeof base, "%d", j);
    const char *name = in->judge_names ? in->judge_names[j] : base;
    int shared = 0;
    for (int o = 0; in->judge_names && o < in->J; o++)
        if (o != j && strcmp(in->judge_names[o], name) == 0) shared = 1;
    int len = shared ? snprintf(out, size, "label_accuracy_%s_%d", name, j)
                     : snprintf(out, size, "label_accuracy_%s", name);
    return len >= 0 && (size_t)len < size ? 0 : -1;
}

static void agreement(const AggInput *in, AggStats *s) {
    int J = in->J, K = in->K;
    int64_t both[AGG_MAX_JUDGES * AGG_MAX_JUDGES] = {0};
    int64_t agree[AGG_MAX_JUDGES * AGG_MAX_JUDGES] = {0};
    int v[AGG_MAX_JUDGES];
    for (int p = 0; p < in->P; p++)
        for (int i = 0; i < K; i++)
            for (int k = i + 1; k < K; k++) {
                if (same_group(in, p, i, k)) continue;
                for (int j = 0; j < J; j++) v[j] = vote(in, p, i, k, j);
                for (int a = 0; a < J; a++)
                    for (int b = 0; b < J; b++) {
                        if (a == b || (v[a] != 1 && v[a] != -1) || (v[b] != 1 && v[b] != -1))
                            continue;
                        both[a * J + b]++;
                        agree[a * J + b] += v[a] == v[b];
                    }
            }
    s->J = J;
    for (int a = 0; a < J; a++)
        for (int b = 0; b < J; b++)
            s->agreement[a * J + b] = a == b ? 1.0 : ratio(agree[a * J + b], both[a * J + b]);
}

static void round_stats(const Round *R, const AggPairs *out, int64_t n_ties, AggStats *s) {
    const AggInput *in = R->in;
    int J = in->J;
    int64_t kept = 0, known = 0, right = 0, chosen_only = 0;
    int64_t judge_voted[AGG_MAX_JUDGES] = {0}, judge_right[AGG_MAX_JUDGES] = {0};
    double conf = 0.0;
    for (int64_t i = 0; i < out->n; i++) {
        int p = out->prompt[i], c = out->chosen[i], r = out->rejected[i];
        if (out->label[i] != AGG_LABEL_DROPPED) {
            kept++;
            conf += out->confidence[i];
            if (out->label_correct[i] >= 0) known++, right += out->label_correct[i] == 1;
        }
        chosen_only += out->label[i] == AGG_LABEL_CHOSEN_ONLY;
        if (c < 0 || r < 0) continue;  // a consensus row without a pair orders nothing
        int t = truth_order(in, p, c, r);
        if (t < 0) continue;
        for (int j = 0; j < J; j++) {
            int v = vote(in, p, c, r, j);
            if (v != 1 && v != -1) continue;  // a tie or an abstention is no label
            judge_voted[j]++;
            judge_right[j] += v == (t == 1 ? 1 : -1);
        }
    }
    memset(s, 0, sizeof *s);
    add_stat(s, "n_prompts", in->P);
    add_stat(s, "n_candidates", (double)out->n);
    add_stat(s, "n_kept", (double)kept);
    add_stat(s, "kept_fraction", ratio(kept, out->n));
    add_stat(s, "n_ties", (double)n_ties);
    add_stat(s, "n_label_known", (double)known);
    add_stat(s, "label_accuracy", ratio(right, known));
    add_stat(s, "mean_kendall_tau", R->mean_tau);
    add_stat(s, "mean_confidence", kept > 0 ? conf / kept : NAN);
    for (int j = 0; j < J; j++) {
        char name[AGG_STAT_NAME_LEN];
        CHECK(judge_stat_name(in, j, name, sizeof name) == 0);  // validated before
        add_stat(s, name, ratio(judge_right[j], judge_voted[j]));
    }
    if (R->par->mode == AGG_MODE_CONSENSUS) {  // the other modes keep their list
        add_stat(s, "n_chosen_only", (double)chosen_only);
        add_stat(s, "agreement_rate", ratio(kept, in->P));
    }
    agreement(in, s);
}

// ---------------------------------------------------------------------------------------------
// Validation and the round.

static int valid_name(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

static int validate_params(const AggInput *in, const AggParams *par, ErrMsg *e) {
    int J = in->J;
    if ((unsigned)par->mode > AGG_MODE_CONSENSUS || (unsigned)par->pairs > AGG_PAIRS_ALL ||
        (unsigned)par->ties > AGG_TIES_SOFT || (unsigned)par->cream_weight > AGG_CREAM_ROUND_MEAN)
        return err_set(e,
                       "aggregate: params: mode, pairs, ties or cream_weight is not a known "
                       "value (got %d, %d, %d, %d)",
                       (int)par->mode, (int)par->pairs, (int)par->ties, (int)par->cream_weight);
    int needs_judge = par->mode == AGG_MODE_SINGLE || par->mode == AGG_MODE_CREAM ||
                      par->mode == AGG_MODE_CONSENSUS;
    if (par->judge < (needs_judge ? 0 : -1) || par->judge >= J)
        return err_set(e,
                       "aggregate.judge: expected a judge index in [%d, %d) for mode \"%s\", "
                       "got %d",
                       needs_judge ? 0 : -1, J, aggregate_mode_name(par->mode), par->judge);
    if (par->mode == AGG_MODE_CREAM && par->prev_judge < 0)
        return err_set(e,
                       "aggregate.mode: \"cream\" needs the index of the judge's prev_round "
                       "partner, got %d",
                       par->prev_judge);
    if (par->prev_judge < -1 || par->prev_judge >= J ||
        (par->prev_judge >= 0 && (par->judge < 0 || par->prev_judge == par->judge)))
        return err_set(e,
                       "aggregate: prev_judge: expected -1 or a judge index in [0, %d) other "
                       "than the judge (%d), got %d",
                       J, par->judge, par->prev_judge);
    if (!(par->min_margin >= 0))
        return err_set(e, "aggregate.min_margin: expected a number >= 0, got %g", par->min_margin);
    if (par->mode == AGG_MODE_CONSENSUS && !(par->min_agreement > 0 && par->min_agreement <= 1))
        return err_set(e,
                       "aggregate.min_agreement: expected a number in (0, 1] for mode "
                       "\"consensus\", got %g",
                       par->min_agreement);
    return 0;
}

static int validate_input(const AggInput *in, const AggParams *par, ErrMsg *e) {
    if (in->P < 0) return err_set(e, "aggregate: P (prompts): expected >= 0, got %d", in->P);
    int least = par->mode == AGG_MODE_CONSENSUS ? 1 : 2;  // one voter: self-training, no filter
    if (in->K < least)
        return err_set(e, "aggregate: K (responses per prompt): expected >= %d, got %d", least,
                       in->K);
    if (in->J < 1 || in->J > AGG_MAX_JUDGES)
        return err_set(e, "aggregate: J (judges): expected 1 to %d, got %d", AGG_MAX_JUDGES, in->J);
    if (!in->weights || (in->P > 0 && !in->scores))
        return err_set(e, "aggregate: expected scores and weights arrays, got NULL");
    double wsum = 0.0;
    for (int j = 0; j < in->J; j++) {
        double w = in->weights[j];
        if (!(isfinite(w) && w >= 0))
            return err_set(e, "aggregate: weights[%d]: expected a finite number >= 0, got %g", j,
                           w);
        wsum += w;
    }
    if (!(wsum > 0)) return err_set(e, "aggregate: weights: expected at least one weight > 0");
    for (int j = 0; j < in->J; j++) {
        char name[AGG_STAT_NAME_LEN];
        if (in->judge_names && !valid_name(in->judge_names[j]))
            return err_set(e,
                           "aggregate: judge_names[%d]: expected a non-empty name of [a-z0-9_], "
                           "got \"%s\"",
                           j, in->judge_names[j] ? in->judge_names[j] : "(null)");
        if (judge_stat_name(in, j, name, sizeof name) < 0)
            return err_set(e,
                           "aggregate: judge_names[%d]: \"%s\" is too long for a statistic "
                           "name (%d bytes)",
                           j, in->judge_names[j], AGG_STAT_NAME_LEN);
    }
    size_t n = (size_t)in->P * in->K;
    for (size_t i = 0; i < n * in->J; i++)
        if (isinf(in->scores[i]))
            return err_set(e,
                           "aggregate: scores[prompt %zu, response %zu, judge %zu]: expected a "
                           "finite score or NaN (abstain), got %g",
                           i / in->J / in->K, i / in->J % in->K, i % in->J, (double)in->scores[i]);
    for (size_t i = 0; in->correct && i < n; i++)
        if (in->correct[i] < -1 || in->correct[i] > 1)
            return err_set(e,
                           "aggregate: correct[prompt %zu, response %zu]: expected 1, 0 or -1, "
                           "got %d",
                           i / in->K, i % in->K, (int)in->correct[i]);
    return 0;
}

static void pairs_alloc(AggPairs *out, int64_t cap) {
    size_t n = (size_t)cap;
    out->n = 0;
    out->prompt = xmalloc("aggregate", n * sizeof(int32_t));
    out->chosen = xmalloc("aggregate", n * sizeof(int32_t));
    out->rejected = xmalloc("aggregate", n * sizeof(int32_t));
    out->label = xmalloc("aggregate", n * sizeof(int8_t));
    out->prob = xmalloc("aggregate", n * sizeof(float));
    out->weight = xmalloc("aggregate", n * sizeof(float));
    out->margin = xmalloc("aggregate", n * sizeof(float));
    out->confidence = xmalloc("aggregate", n * sizeof(float));
    out->label_correct = xmalloc("aggregate", n * sizeof(int8_t));
}

void aggregate_pairs_free(AggPairs *pairs) {
    if (!pairs) return;
    xfree(pairs->prompt);
    xfree(pairs->chosen);
    xfree(pairs->rejected);
    xfree(pairs->label);
    xfree(pairs->prob);
    xfree(pairs->weight);
    xfree(pairs->margin);
    xfree(pairs->confidence);
    xfree(pairs->label_correct);
    memset(pairs, 0, sizeof *pairs);
}

int aggregate_round(const AggInput *in, const AggParams *par, AggPairs *out, AggStats *stats,
                    ErrMsg *e) {
    CHECK(in && par && out && stats);
    memset(out, 0, sizeof *out);
    memset(stats, 0, sizeof *stats);
    if (validate_input(in, par, e) < 0 || validate_params(in, par, e) < 0) return -1;
    int K = in->K;
    Round R = {.in = in, .par = par};
    for (int j = 0; j < in->J; j++)
        if (in->weights[j] > 0) R.ens[R.n_ens++] = j;
    R.m = xmalloc("aggregate", sizeof(double) * (size_t)K);
    R.den = xmalloc("aggregate", sizeof(double) * (size_t)K);
    R.rank = xmalloc("aggregate", sizeof(double) * (size_t)K);
    R.order = xmalloc("aggregate", sizeof(int) * (size_t)K);
    R.cons = xmalloc("aggregate", sizeof(double) * (size_t)in->P);
    consistency(&R);
    int consensus = par->mode == AGG_MODE_CONSENSUS;
    int64_t per_prompt = par->pairs == AGG_PAIRS_ALL && !consensus ? (int64_t)K * (K - 1) / 2 : 1;
    pairs_alloc(out, (int64_t)in->P * per_prompt);
    int64_t n_ties = 0;
    for (int p = 0; p < in->P; p++) {
        if (consensus)
            prompt_consensus(&R, out, p, &n_ties);
        else
            prompt_candidates(&R, out, p, &n_ties);
    }
    round_stats(&R, out, n_ties, stats);
    xfree(R.m);
    xfree(R.den);
    xfree(R.rank);
    xfree(R.order);
    xfree(R.cons);
    return 0;
}

int aggregate_stats_get(const AggStats *stats, const char *name, double *value) {
    for (int i = 0; i < stats->n_stats; i++)
        if (strcmp(stats->stats[i].name, name) == 0) {
            *value = stats->stats[i].value;
            return 0;
        }
    return -1;
}
