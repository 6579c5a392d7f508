/* train/evaluate.c — held-out evaluation; see evaluate.h. */
#include "train/evaluate.h"

#include <math.h>
#include <string.h>

#include "train/generate.h"
#include "train/judges.h"
#include "util/alloc.h"

// Batch of prompts being evaluated: items, encoded prompts and the greedy answers.
typedef struct {
    int n, P;          // prompts in the batch, padded prompt width
    TaskItem *items;   // (n)
    int32_t *prompts;  // (n, P)
    int32_t *plen;     // (n)
    uint32_t *ids;     // (n) prompt ids (for the sampling stream)
} EvalBatch;

static int encode_batch(EvalBatch *b, const Task *t, const Tokenizer *tok, TaskSplit split,
                        int round, int64_t first, int n, int max_new, int T, ErrMsg *e) {
    b->n = n;
    b->P = 1;
    int32_t *buf = xmalloc("eval", (size_t)T * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        task_item(t, split, round, (int)(first + i), &b->items[i]);
        int len = task_encode_prompt(tok, b->items[i].prompt, max_new, buf, T, e);
        if (len < 0) {
            xfree(buf);
            return -1;
        }
        b->plen[i] = len;
        b->P = len > b->P ? len : b->P;
    }
    for (int i = 0; i < n; i++) {  // re-encode into the padded layout (cheap: prompts are short)
        int32_t *row = b->prompts + (size_t)i * b->P;
        memset(row, 0, (size_t)b->P * sizeof(int32_t));
        if (task_encode_prompt(tok, b->items[i].prompt, max_new, buf, T, e) < 0) return -1;
        memcpy(row, buf, (size_t)b->plen[i] * sizeof(int32_t));
        b->ids[i] = (uint32_t)b->items[i].id;
    }
    xfree(buf);
    return 0;
}

// Decodes a response (stopping at EOS) into text.
static void response_text(const Tokenizer *tok, const int32_t *resp, int len, char *out, int size) {
    int n = len;
    if (n > 0 && resp[n - 1] == tok->eos) n--;
    tokenizer_decode(tok, resp, n, out, size);
}

// Judges n rows of judge (T-strided, lengths len; the judge's rationale, up to `rationale` tokens,
// is written into them first) and adds the verdicts against target (1 = the answer is right) to
// jc. u is scratch for the n P(Y)-P(N) logit margins.
static void judge_count(JudgeCounts *jc, float *u, KVCache *kv, Activations *acts,
                        const ParamSlab *w, int32_t *judge, int32_t *len, const int *target, int n,
                        int rationale, int32_t yes, int32_t no, int32_t eos) {
    if (n <= 0) return;
    judge_write_rationale(judge, len, n, w->cfg.T, kv, acts, w, rationale, yes, no, eos);
    judge_llm_logits(u, acts, w, judge, len, n, w->cfg.T, yes, no);
    for (int j = 0; j < n; j++) {
        if (target[j])
            jc->pos++, jc->pos_yes += u[j] > 0.0f;
        else
            jc->neg++, jc->neg_no += u[j] <= 0.0f;
    }
}

int eval_range(EvalCounts *out, const Task *t, const Tokenizer *tok, const ParamSlab *w,
               int64_t first, int64_t count, const EvalParams *ep, ErrMsg *e) {
    memset(out, 0, sizeof *out);
    const GPTConfig *c = &w->cfg;
    int batch = ep->batch > 0 ? ep->batch : 16;
    int K = ep->greedy_only ? 0 : ep->maj_k;
    int rationale = task_rationale_tokens(t, ep->max_new);
    int32_t yes = -1, no = -1;
    if (ep->greedy_only || task_verdict_ids(tok, &yes, &no, NULL) != 0)
        yes = no = -1;  // no judging (asked for, or no judge vocabulary)
    EvalBatch b = {
        .items = xmalloc("eval", (size_t)batch * sizeof(TaskItem)),
        .prompts = xmalloc("eval", (size_t)batch * c->T * sizeof(int32_t)),
        .plen = xmalloc("eval", (size_t)batch * sizeof(int32_t)),
        .ids = xmalloc("eval", (size_t)batch * sizeof(uint32_t)),
    };
    int nseq = batch * (K > 1 ? K : 1);
    int32_t *resp = xmalloc("eval", (size_t)nseq * ep->max_new * sizeof(int32_t));
    int32_t *rlen = xmalloc("eval", (size_t)nseq * sizeof(int32_t));
    int32_t *rep = xmalloc("eval", (size_t)nseq * c->T * sizeof(int32_t));  // K copies of prompts
    int32_t *rep_len = xmalloc("eval", (size_t)nseq * sizeof(int32_t));
    uint32_t *rep_id = xmalloc("eval", (size_t)nseq * sizeof(uint32_t));
    uint32_t *sample_idx = xcalloc("eval", (size_t)nseq, sizeof(uint32_t));
    int32_t *judge = xcalloc("eval", (size_t)batch * c->T, sizeof(int32_t));  // pads stay valid ids
    int32_t *judge_len = xmalloc("eval", (size_t)batch * sizeof(int32_t));
    float *u = xmalloc("eval", (size_t)batch * sizeof(float));
    char(*answers)[TASK_TEXT_MAX] = xmalloc("eval", (size_t)(K > 0 ? K : 1) * TASK_TEXT_MAX);
    const char **answer_ptr = xmalloc("eval", (size_t)(K > 0 ? K : 1) * sizeof(char *));
    float *votes = xmalloc("eval", (size_t)(K > 0 ? K : 1) * sizeof(float));
    char text[TASK_TEXT_MAX];
    KVCache kv;
    Activations acts;
    kv_init(&kv, c, nseq < 64 ? nseq : 64, c->T);
    acts_init(&acts, c, batch, c->T, 0);
    int rc = 0;

    for (int64_t i0 = first; i0 < first + count && rc == 0; i0 += batch) {
        int n = (int)(first + count - i0 < batch ? first + count - i0 : batch);
        if (encode_batch(&b, t, tok, ep->split, ep->round, i0, n, ep->max_new, c->T, e) != 0) {
            rc = -1;
            break;
        }
        GenParams greedy = {.seed = ep->seed,
                            .round = ep->stream,
                            .max_new = ep->max_new,
                            .eos = tok->eos,
                            .sample = {.greedy = 1},
                            .stop_tok = tok,
                            .stop_str = ep->stop_str,
                            .n_stop_str = ep->n_stop_str};
        generate(resp, rlen, NULL, &kv, &acts, w, b.prompts, b.plen, n, b.P, b.ids, sample_idx,
                 &greedy);
        int n_judge = 0;
        int correct[n];
        for (int i = 0; i < n; i++) {
            response_text(tok, resp + (size_t)i * ep->max_new, rlen[i], text, sizeof text);
            out->prompts++;
            out->resp_tokens += rlen[i];
            correct[i] = task_verify(t, &b.items[i], text);
            char ans[TASK_TEXT_MAX];
            int has = task_extract(t, text, ans, sizeof ans) == 0;
            if (ep->answers)
                snprintf(ep->answers + (size_t)(i0 - first + i) * EVAL_ANSWER_MAX, EVAL_ANSWER_MAX,
                         "%s", has ? ans : "");
            if (correct[i] < 0) {
                out->unverifiable++;
                continue;
            }
            out->greedy_correct += correct[i];
            int level = task_item_level(t, &b.items[i]);
            if (level >= 0 && level <= TASK_MAX_LEVELS) {
                out->level_prompts[level]++;
                out->level_correct[level] += correct[i];
            }
            if (!has) out->no_answer++;
            if (yes >= 0) {  // judge the model's own answer
                int len = task_encode_judge(t, tok, b.items[i].prompt, text,
                                            judge + (size_t)n_judge * c->T, c->T, NULL);
                if (len > 0) {
                    judge_len[n_judge] = len;
                    correct[n_judge] = correct[i];  // compacted: verdict target of judge row
                    n_judge++;
                }
            }
        }
        judge_count(&out->judge_self, u, &kv, &acts, w, judge, judge_len, correct, n_judge,
                    rationale, yes, no, tok->eos);
        if (yes >= 0) {  // held-out evaluation examples: a right or a corrupted answer
            n_judge = 0;
            for (int i = 0; i < n; i++) {
                char ans[TASK_TEXT_MAX];
                int verdict =
                    task_held_out_judge_example(t, (int)(i0 + i), &b.items[i], ans, sizeof ans);
                if (verdict < 0) continue;
                int len = task_encode_judge(t, tok, b.items[i].prompt, ans,
                                            judge + (size_t)n_judge * c->T, c->T, NULL);
                if (len <= 0) continue;
                judge_len[n_judge] = len;
                correct[n_judge++] = verdict;
            }
            judge_count(&out->judge, u, &kv, &acts, w, judge, judge_len, correct, n_judge,
                        rationale, yes, no, tok->eos);
        }
        if (K > 0) {
            for (int i = 0; i < n; i++)
                for (int k = 0; k < K; k++) {
                    int s = i * K + k;
                    memcpy(rep + (size_t)s * b.P, b.prompts + (size_t)i * b.P,
                           (size_t)b.P * sizeof(int32_t));
                    rep_len[s] = b.plen[i], rep_id[s] = b.ids[i], sample_idx[s] = (uint32_t)k;
                }
            GenParams gp = {.seed = ep->seed,
                            .round = ep->stream,
                            .max_new = ep->max_new,
                            .eos = tok->eos,
                            .sample = ep->maj_sample,
                            .stop_tok = tok,
                            .stop_str = ep->stop_str,
                            .n_stop_str = ep->n_stop_str};
            generate(resp, rlen, NULL, &kv, &acts, w, rep, rep_len, n * K, b.P, rep_id, sample_idx,
                     &gp);
            for (int i = 0; i < n; i++) {
                if (!b.items[i].has_answer) continue;
                for (int k = 0; k < K; k++) {
                    int s = i * K + k;
                    response_text(tok, resp + (size_t)s * ep->max_new, rlen[s], text, sizeof text);
                    answer_ptr[k] =
                        task_extract(t, text, answers[k], TASK_TEXT_MAX) == 0 ? answers[k] : NULL;
                }
                int m = judge_self_consistency(votes, answer_ptr, K);
                out->maj_correct += m >= 0 && strcmp(answer_ptr[m], b.items[i].answer) == 0;
            }
            memset(sample_idx, 0, (size_t)nseq * sizeof(uint32_t));
        }
    }
    kv_free(&kv);
    acts_free(&acts);
    xfree(b.items), xfree(b.prompts), xfree(b.plen), xfree(b.ids), xfree(resp), xfree(rlen);
    xfree(rep), xfree(rep_len), xfree(rep_id), xfree(sample_idx), xfree(judge), xfree(judge_len);
    xfree(u), xfree(answers), xfree(answer_ptr), xfree(votes);
    return rc;
}

static void judge_counts_add(JudgeCounts *dst, const JudgeCounts *src) {
    dst->pos += src->pos, dst->pos_yes += src->pos_yes;
    dst->neg += src->neg, dst->neg_no += src->neg_no;
}

void eval_counts_add(EvalCounts *dst, const EvalCounts *src) {
    dst->prompts += src->prompts;
    dst->greedy_correct += src->greedy_correct;
    dst->maj_correct += src->maj_correct;
    dst->no_answer += src->no_answer;
    dst->resp_tokens += src->resp_tokens;
    dst->unverifiable += src->unverifiable;
    judge_counts_add(&dst->judge, &src->judge);
    judge_counts_add(&dst->judge_self, &src->judge_self);
    for (int l = 0; l <= TASK_MAX_LEVELS; l++) {
        dst->level_prompts[l] += src->level_prompts[l];
        dst->level_correct[l] += src->level_correct[l];
    }
}

// Balanced accuracy (mean of the two recalls; one class empty: the other's) and plain accuracy.
static void judge_summary(const JudgeCounts *jc, double *balanced, double *raw) {
    double pos = jc->pos ? (double)jc->pos_yes / jc->pos : NAN;
    double neg = jc->neg ? (double)jc->neg_no / jc->neg : NAN;
    *balanced = isnan(pos) ? neg : isnan(neg) ? pos : 0.5 * (pos + neg);
    int64_t n = jc->pos + jc->neg;
    *raw = n ? (double)(jc->pos_yes + jc->neg_no) / n : NAN;
}

EvalSummary eval_summary(const EvalCounts *c) {
    EvalSummary s;
    int64_t n = c->prompts - c->unverifiable;
    s.prompts = n;
    s.greedy_acc = n ? (double)c->greedy_correct / n : NAN;
    s.maj_acc = n ? (double)c->maj_correct / n : NAN;
    judge_summary(&c->judge, &s.judge_acc, &s.judge_acc_raw);
    judge_summary(&c->judge_self, &s.judge_self_acc, &s.judge_self_acc_raw);
    s.mean_resp_len = c->prompts ? (double)c->resp_tokens / c->prompts : NAN;
    s.no_answer_rate = n ? (double)c->no_answer / n : NAN;
    for (int l = 0; l <= TASK_MAX_LEVELS; l++) {
        int64_t m = c->level_prompts[l];
        s.level_prompts[l] = m;
        s.level_greedy_acc[l] = m ? (double)c->level_correct[l] / m : NAN;
    }
    return s;
}
