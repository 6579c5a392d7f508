/* ranks/judge.c — the judge role: every configured judge scores every response of the judge's
   share of the prompts (README "Judges"); votes are gathered on world rank 0. Abstentions are
   NaN. Models: the policy π_t (θ_{r-1}, which generated the responses), the SFT model θ_0 and the
   previous round's policy θ_{r-2} (ctx->previous). */
#include <math.h>
#include <string.h>

#include "comm/exchange.h"
#include "ranks/judge.h"
#include "train/judges.h"
#include "train/prefstep.h"
#include "util/alloc.h"
#include "util/progress.h"

// The judges a config may name (config_parse refuses others).
typedef enum {
    JUDGE_LLM,               // "llm_judge": σ of the policy's verdict logits
    JUDGE_LIKELIHOOD,        // "likelihood": length-normalised log-likelihood
    JUDGE_IMPLICIT,          // "implicit": β(ℓ_θ − ℓ_base)
    JUDGE_SELF_CONSISTENCY,  // "self_consistency": agreement with the other samples' answers
    JUDGE_ORACLE,            // "oracle": ground truth
    JUDGE_PREV_ROUND,        // "prev_round": its partner (options.of) under the previous policy
    JUDGE_ENSEMBLE_VOTE,     // "ensemble_vote": share of the models giving the same answer
    JUDGE_KIND_COUNT
} JudgeKind;

static const char *const JUDGE_NAMES[JUDGE_KIND_COUNT] = {
    // [JUDGE_KIND_COUNT], enum order
    [JUDGE_LLM] = "llm_judge",
    [JUDGE_LIKELIHOOD] = "likelihood",
    [JUDGE_IMPLICIT] = "implicit",
    [JUDGE_SELF_CONSISTENCY] = "self_consistency",
    [JUDGE_ORACLE] = "oracle",
    [JUDGE_PREV_ROUND] = "prev_round",
    [JUDGE_ENSEMBLE_VOTE] = "ensemble_vote",
};

static JudgeKind judge_kind(const char *name) {
    for (int k = 0; k < JUDGE_KIND_COUNT; k++)
        if (strcmp(name, JUDGE_NAMES[k]) == 0) return (JudgeKind)k;
    die("unknown judge \"%s\" (the config check should have refused it)", name);
}

// The judge's share of the round: prompts [p0, p1), their K responses as full sequences.
typedef struct {
    int p0, p1, n;                // prompt range, responses (n = (p1 - p0) * K)
    int S;                        // sequence width W + R
    int32_t *seq;                 // (n, S) prompt + response
    int32_t *start;               // (n) response start
    int32_t *len;                 // (n)
    char (*text)[TASK_TEXT_MAX];  // (n) response texts
} Share;

static void share_init(Share *sh, const RoundSamples *s, RunCtx *ctx) {
    const Comms *cm = &ctx->comms;
    sh->p0 = (int)((int64_t)cm->judge_rank * s->P / cm->judge_size);
    sh->p1 = (int)((int64_t)(cm->judge_rank + 1) * s->P / cm->judge_size);
    sh->n = (sh->p1 - sh->p0) * s->K;
    sh->S = s->W + s->R;
    int n1 = sh->n > 0 ? sh->n : 1;
    sh->seq = xcalloc("judge.share", (size_t)n1 * sh->S, sizeof(int32_t));
    sh->start = xmalloc("judge.share", (size_t)n1 * 2 * sizeof(int32_t));
    sh->len = sh->start + n1;
    sh->text = xmalloc("judge.share", (size_t)n1 * TASK_TEXT_MAX);
    for (int i = 0; i < sh->n; i++) {
        int g = sh->p0 * s->K + i, p = g / s->K;
        int32_t *row = sh->seq + (size_t)i * sh->S;
        memcpy(row, s->prompts + (size_t)p * s->W, (size_t)s->prompt_len[p] * sizeof(int32_t));
        memcpy(row + s->prompt_len[p], s->resp + (size_t)g * s->R,
               (size_t)s->resp_len[g] * sizeof(int32_t));
        sh->start[i] = s->prompt_len[p];
        sh->len[i] = s->prompt_len[p] + s->resp_len[g];
        samples_response_text(s, &ctx->tok, g, sh->text[i], TASK_TEXT_MAX);
    }
}

static void share_free(Share *sh) {
    xfree(sh->seq), xfree(sh->start), xfree(sh->text);
    memset(sh, 0, sizeof *sh);
}

#define SCORE_MAX_NEW_DEFAULT 128  // evaluation tokens of the score judge without max_new_tokens

// llm_judge in score mode under model w: the judge prompt of every response (ctx->score_template),
// a greedy evaluation, and N / JUDGE_SCORE_MAX from its last "Score: N" (NaN: the judge abstains,
// also when the judge prompt leaves no room to write in model.max_seq_len).
static void llm_judge_score_mode(float *out, const Share *sh, const RoundSamples *s, RunCtx *ctx,
                                 const ParamSlab *w) {
    int T = ctx->model.T, n1 = sh->n > 0 ? sh->n : 1;
    const JudgeSpec *js = &ctx->cfg.judges[config_judge_index(&ctx->cfg, "llm_judge")];
    int max_new = js->max_new_tokens > 0 ? js->max_new_tokens : SCORE_MAX_NEW_DEFAULT;
    int32_t *seqs = xcalloc("judge.score", (size_t)n1 * T, sizeof(int32_t));
    int32_t *lens = xmalloc("judge.score", (size_t)n1 * 2 * sizeof(int32_t));
    int32_t *start = lens + n1;
    int *idx = xmalloc("judge.score", (size_t)n1 * sizeof(int));
    size_t cap = strlen(ctx->score_template) + 2 * TASK_TEXT_MAX;
    char *text = xmalloc("judge.score", cap);
    int m = 0;
    for (int i = 0; i < sh->n; i++) {
        out[i] = NAN;
        const char *prompt = s->items[(sh->p0 * s->K + i) / s->K].prompt;
        if (judge_fill_score_template(ctx->score_template, prompt, sh->text[i], text, (int)cap) < 0)
            continue;
        int32_t *row = seqs + (size_t)m * T;
        ErrMsg e;
        // BOS + text, or its chat turns (task.chat_template); room for 1+ token
        int n = tokenizer_encode_turn(&ctx->tok, text, row, T - 1, &e);
        if (n < 0) continue;  // does not fit: abstain
        lens[m] = start[m] = n;
        idx[m++] = i;
    }
    int room = max_new < T ? max_new : T;
    // greedy; ends at EOS (not kept), after room tokens or at T
    judge_write_rationale(seqs, lens, m, T, &ctx->kv, &ctx->infer_acts, w, room, ctx->tok.eos,
                          ctx->tok.eos, ctx->tok.eos);
    const char *tail = judge_score_template_tail(ctx->score_template);
    size_t nt = strlen(tail);
    for (int k = 0; k < m; k++) {
        memcpy(text, tail, nt);  // the score may follow the template's own "Score:"
        tokenizer_decode(&ctx->tok, seqs + (size_t)k * T + start[k], lens[k] - start[k], text + nt,
                         (int)(cap - nt));
        int score = judge_parse_score(text, JUDGE_SCORE_MAX);
        if (score >= 0) out[idx[k]] = (float)score / JUDGE_SCORE_MAX;
    }
    xfree(seqs), xfree(lens), xfree(idx), xfree(text);
}

// σ(u) of llm_judge under model w for every response of the share (after its rationale, if any);
// in score mode the Self-Rewarding judge's score instead.
static void llm_judge_scores(float *out, const Share *sh, const RoundSamples *s, RunCtx *ctx,
                             const ParamSlab *w) {
    if (ctx->score_template) {
        llm_judge_score_mode(out, sh, s, ctx, w);
        return;
    }
    int T = ctx->model.T;
    int32_t *seqs = xcalloc("judge.llm", (size_t)(sh->n > 0 ? sh->n : 1) * T, sizeof(int32_t));
    int32_t *lens = xmalloc("judge.llm", (size_t)(sh->n > 0 ? sh->n : 1) * sizeof(int32_t));
    for (int i = 0; i < sh->n; i++) {
        int p = (sh->p0 * s->K + i) / s->K;
        ErrMsg e;
        lens[i] = task_encode_judge(&ctx->task, &ctx->tok, s->items[p].prompt, sh->text[i],
                                    seqs + (size_t)i * T, T, &e);
        if (lens[i] < 0) lens[i] = 0;  // a response too long for the template: abstain
    }
    // score the encodable ones (compact, keep order)
    int m = 0;
    int *idx = xmalloc("judge.llm", (size_t)(sh->n > 0 ? sh->n : 1) * sizeof(int));
    for (int i = 0; i < sh->n; i++) {
        out[i] = NAN;
        if (lens[i] <= 0) continue;
        if (m != i)
            memmove(seqs + (size_t)m * T, seqs + (size_t)i * T, (size_t)T * sizeof(int32_t));
        lens[m] = lens[i];
        idx[m++] = i;
    }
    float *u = xmalloc("judge.llm", (size_t)(m > 0 ? m : 1) * sizeof(float));
    int rationale = task_rationale_tokens(&ctx->task, ctx->cfg.generate.max_new_tokens);
    judge_write_rationale(seqs, lens, m, T, &ctx->kv, &ctx->infer_acts, w, rationale, ctx->yes,
                          ctx->no, ctx->tok.eos);
    if (m > 0) judge_llm_logits(u, &ctx->infer_acts, w, seqs, lens, m, T, ctx->yes, ctx->no);
    for (int k = 0; k < m; k++) out[idx[k]] = 1.0f / (1.0f + expf(-u[k]));
    xfree(seqs), xfree(lens), xfree(idx), xfree(u);
}

// Summed response log-probs of the share under w.
static double *share_logprobs(const Share *sh, RunCtx *ctx, const ParamSlab *w) {
    double *lp = xmalloc("judge.logp", (size_t)(sh->n > 0 ? sh->n : 1) * sizeof(double));
    if (sh->n > 0)
        prefstep_logprobs(lp, &ctx->infer_acts, w, sh->seq, sh->start, sh->len, sh->n, sh->S);
    return lp;
}

// Log-probs under a model, computed once per model and judge phase.
typedef struct {
    const ParamSlab *w;
    double *lp;
} LogpCache;

static const double *cached_logp(LogpCache *cache, int *n, const ParamSlab *w, const Share *sh,
                                 RunCtx *ctx) {
    for (int i = 0; i < *n; i++)
        if (cache[i].w == w) return cache[i].lp;
    cache[*n].w = w;
    cache[*n].lp = share_logprobs(sh, ctx, w);
    return cache[(*n)++].lp;
}

void judge_run(RunCtx *ctx, RoundSamples *s) {
    const Comms *cm = &ctx->comms;
    if (cm->policy == MPI_COMM_NULL) return;
    const Config *c = &ctx->cfg;
    int J = s->J, K = s->K, r = s->round;
    Share sh = {0};
    if (cm->judge != MPI_COMM_NULL) share_init(&sh, s, ctx);
    int n = sh.n, n1 = n > 0 ? n : 1;
    float *votes = xmalloc("judge.votes", (size_t)n1 * J * sizeof(float));
    float *col = xmalloc("judge.votes", (size_t)n1 * sizeof(float));
    int8_t *correct = xmalloc("judge.votes", (size_t)n1);
    LogpCache cache[4];
    int n_cache = 0;
    const ParamSlab *base = ctx->reference == REFERENCE_SFT ? &ctx->sft : &ctx->previous;
    int base_ok = r >= 2 && (base == &ctx->sft || ctx->has_previous);
    Progress prog;
    progress_start(&prog, "judge", (int64_t)J);
    for (int j = 0; j < J && n > 0; j++) {
        const JudgeSpec *js = &c->judges[j];
        JudgeKind kind = judge_kind(js->name);
        const ParamSlab *model = &ctx->policy;
        int prev = kind == JUDGE_PREV_ROUND;
        if (prev) {  // the partner judge recomputed with the previous round's policy
            if (r == 1 || !ctx->has_previous)
                kind = JUDGE_LIKELIHOOD, model = &ctx->sft;
            else
                kind = judge_kind(js->of), model = &ctx->previous;
        }
        switch (kind) {
            case JUDGE_LLM: llm_judge_scores(col, &sh, s, ctx, model); break;
            case JUDGE_LIKELIHOOD: {
                const double *lp = cached_logp(cache, &n_cache, model, &sh, ctx);
                for (int i = 0; i < n; i++) col[i] = (float)(lp[i] / (sh.len[i] - sh.start[i]));
                break;
            }
            case JUDGE_IMPLICIT: {
                // β(ℓ_θ − ℓ_base) with the base the model's last training used; for prev_round the
                // previous policy against the SFT model (length-normalised likelihood before that)
                const ParamSlab *b = prev ? &ctx->sft : base;
                int ok = prev ? r >= 3 : base_ok;
                if (prev && !ok) {
                    const double *lp = cached_logp(cache, &n_cache, model, &sh, ctx);
                    for (int i = 0; i < n; i++) col[i] = (float)(lp[i] / (sh.len[i] - sh.start[i]));
                } else if (!ok) {
                    for (int i = 0; i < n; i++) col[i] = NAN;  // round 1: nothing trained yet
                } else {
                    const double *lp = cached_logp(cache, &n_cache, model, &sh, ctx);
                    const double *lb = cached_logp(cache, &n_cache, b, &sh, ctx);
                    for (int i = 0; i < n; i++) col[i] = (float)(c->train.beta * (lp[i] - lb[i]));
                }
                break;
            }
            case JUDGE_SELF_CONSISTENCY:
                for (int p = 0; p < n / K; p++) {
                    char answers[K][TASK_TEXT_MAX];
                    const char *ptr[K];
                    for (int k = 0; k < K; k++)
                        ptr[k] = task_extract(&ctx->task, sh.text[p * K + k], answers[k],
                                              TASK_TEXT_MAX) == 0
                                     ? answers[k]
                                     : NULL;
                    judge_self_consistency(col + p * K, ptr, K);
                }
                break;
            case JUDGE_ENSEMBLE_VOTE:  // the responses of a prompt are the models' (ensemble.h)
                for (int p = 0; p < n / K; p++) {
                    char answers[K][TASK_TEXT_MAX];
                    const char *ptr[K];
                    int8_t well_formed[K];
                    const TaskItem *it = &s->items[sh.p0 + p];
                    for (int k = 0; k < K; k++) {
                        const char *text = sh.text[p * K + k];
                        ptr[k] = task_extract(&ctx->task, text, answers[k], TASK_TEXT_MAX) == 0
                                     ? answers[k]
                                     : NULL;
                        well_formed[k] = (int8_t)task_format_ok(&ctx->task, it, text);
                    }
                    judge_ensemble_vote(col + p * K, ptr, well_formed, K);
                }
                break;
            case JUDGE_ORACLE:
                for (int i = 0; i < n; i++) {
                    int v = task_verify(&ctx->task, &s->items[(sh.p0 * K + i) / K], sh.text[i]);
                    col[i] = v < 0 ? NAN : (float)v;
                }
                break;
            default:  // prev_round of prev_round: the config check refuses it
                die("judge \"%s\" cannot be the partner of prev_round", js->of);
        }
        for (int i = 0; i < n; i++) votes[(size_t)i * J + j] = col[i];
        progress_update(&prog, j + 1, "%s", js->name);
    }
    progress_end(&prog);
    for (int i = 0; i < n; i++)
        correct[i] = (int8_t)task_verify(&ctx->task, &s->items[(sh.p0 * K + i) / K], sh.text[i]);
    ExchGathered gv, gc;
    exchange_gather_votes(&gv, votes, (int64_t)n * J, 0, cm->policy);
    exchange_gatherv(&gc, correct, n, EXCH_I8, 0, cm->policy);
    if (cm->rank == 0) {
        CHECKF(gv.total == (int64_t)s->P * K * J, "judging returned %lld votes, expected %lld",
               (long long)gv.total, (long long)s->P * K * J);
        s->scores = xmalloc("samples", (size_t)gv.total * sizeof(float));
        s->correct = xmalloc("samples", (size_t)gc.total);
        memcpy(s->scores, gv.data, (size_t)gv.total * sizeof(float));
        memcpy(s->correct, gc.data, (size_t)gc.total);
    }
    exchange_gathered_free(&gv);
    exchange_gathered_free(&gc);
    for (int i = 0; i < n_cache; i++) xfree(cache[i].lp);
    xfree(votes), xfree(col), xfree(correct);
    share_free(&sh);
}
