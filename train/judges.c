/* train/judges.c — llm_judge logits, self-consistency and ensemble votes; see judges.h. */
#include "train/judges.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/generate.h"
#include "util/alloc.h"

void judge_llm_logits(float *u, Activations *a, const ParamSlab *w, const int32_t *seqs,
                      const int32_t *len, int n, int S, int32_t yes, int32_t no) {
    int Vp = w->cfg.Vp;
    for (int i0 = 0; i0 < n; i0 += a->max_B) {
        int nb = n - i0 < a->max_B ? n - i0 : a->max_B;
        // shortest S that holds this chunk: less padding, same results
        int s_used = 1;
        for (int i = 0; i < nb; i++) s_used = len[i0 + i] > s_used ? len[i0 + i] : s_used;
        const float *logits;
        if (s_used == S) {
            logits = gpt_forward(a, w, seqs + (size_t)i0 * S, nb, S);
        } else {
            int32_t *stage = xmalloc("judges", (size_t)nb * s_used * sizeof(int32_t));
            for (int i = 0; i < nb; i++)
                memcpy(stage + (size_t)i * s_used, seqs + (size_t)(i0 + i) * S,
                       (size_t)s_used * sizeof(int32_t));
            logits = gpt_forward(a, w, stage, nb, s_used);
            xfree(stage);
        }
        for (int i = 0; i < nb; i++) {
            const float *row = logits + ((size_t)i * s_used + len[i0 + i] - 1) * Vp;
            u[i0 + i] = row[yes] - row[no];
        }
    }
}

void judge_write_rationale(int32_t *seqs, int32_t *len, int n, int S, KVCache *kv, Activations *a,
                           const ParamSlab *w, int max_tokens, int32_t yes, int32_t no,
                           int32_t eos) {
    if (max_tokens <= 0 || n <= 0) return;
    int P = 1;  // prompt width of the batch: the longest judge prompt
    for (int i = 0; i < n; i++) P = len[i] > P ? len[i] : P;
    int32_t *prompts = xmalloc("judges.rationale", (size_t)n * P * sizeof(int32_t));
    int32_t *resp = xmalloc("judges.rationale", (size_t)n * max_tokens * sizeof(int32_t));
    int32_t *resp_len = xmalloc("judges.rationale", (size_t)n * sizeof(int32_t));
    uint32_t *ids = xcalloc("judges.rationale", (size_t)n, sizeof(uint32_t));  // unused by greedy
    for (int i = 0; i < n; i++)
        memcpy(prompts + (size_t)i * P, seqs + (size_t)i * S, (size_t)P * sizeof(int32_t));
    GenParams gp = {.max_new = max_tokens,
                    .eos = -1,
                    .sample = {.greedy = 1},
                    .n_stop = 3,
                    .stop = {yes, no, eos}};
    generate(resp, resp_len, NULL, kv, a, w, prompts, len, n, P, ids, ids, &gp);
    for (int i = 0; i < n; i++) {
        int r = resp_len[i] < S - len[i] ? resp_len[i] : S - len[i];
        memcpy(seqs + (size_t)i * S + len[i], resp + (size_t)i * max_tokens,
               (size_t)r * sizeof(int32_t));
        len[i] += r;
    }
    xfree(prompts), xfree(resp), xfree(resp_len), xfree(ids);
}

const char JUDGE_SCORE_RUBRIC[] =
    "Read the user's question and the response below, then rate the response on the additive "
    "5-point scale described here. Points add up, one criterion at a time:\n"
    "- Give 1 point if the response is relevant and offers some information about the question, "
    "even when it is incomplete or includes unrelated material.\n"
    "- Give a second point if the response deals with a substantial part of the question without "
    "settling it or answering it directly.\n"
    "- Give a third point if the response answers the core of the question usefully, even if it "
    "is not complete or not written the way an expert would write it.\n"
    "- Give a fourth point if the response is plainly written as an assistant's answer, takes on "
    "the question directly and completely, and is well organised, leaving only small room for "
    "clearer, shorter or more focused writing.\n"
    "- Give a fifth point if the response fits the question perfectly, has nothing superfluous, "
    "and shows expert knowledge in an excellent, engaging and insightful answer.\n"
    "\n"
    "Question: {prompt}\n"
    "Response: {response}\n"
    "\n"
    "Explain your total in at most 100 words, then end with the line \"Score: <points>\".\n";

static int count_sub(const char *s, const char *sub) {
    int k = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) k++;
    return k;
}

int judge_score_template_check(const char *tmpl, char *why, int why_size) {
    int braces = 0;
    for (const char *p = tmpl; *p; p++) braces += *p == '{' || *p == '}';
    if (count_sub(tmpl, "{prompt}") == 1 && count_sub(tmpl, "{response}") == 1 && braces == 4)
        return 0;
    snprintf(why, (size_t)why_size,
             "expected a judge prompt with {prompt} and {response} once each and no other braces");
    return -1;
}

int judge_fill_score_template(const char *tmpl, const char *prompt, const char *response, char *out,
                              int size) {
    int len = 0;
    for (const char *p = tmpl; *p;) {
        const char *piece = p;
        size_t n = 1;
        if (strncmp(p, "{prompt}", 8) == 0) {
            piece = prompt, n = strlen(prompt), p += 8;
        } else if (strncmp(p, "{response}", 10) == 0) {
            piece = response, n = strlen(response), p += 10;
        } else {
            p++;
        }
        if ((size_t)len + n >= (size_t)size) return -1;
        memcpy(out + len, piece, n);
        len += (int)n;
    }
    if (size <= 0) return -1;
    out[len] = '\0';
    return len;
}

const char *judge_score_template_tail(const char *tmpl) {
    const char *at = strstr(tmpl, "{response}");
    return at ? at + 10 : "";
}

int judge_parse_score(const char *text, int max_score) {
    int score = -1;
    for (const char *p = strstr(text, "Score:"); p; p = strstr(p + 1, "Score:")) {
        const char *d = p + 6;
        while (*d == ' ') d++;
        size_t nd = strspn(d, "0123456789");
        if (nd == 0) continue;  // "Score: <points>" and the like: not a score
        if (d[nd] == '.' && d[nd + 1] >= '0' && d[nd + 1] <= '9') {
            score = -1;  // "4.5": not a whole number, the judge abstains unless a later one counts
            continue;
        }
        score = nd > 3 ? max_score + 1 : atoi(d);  // long digit runs are out of range anyway
    }
    return score >= 0 && score <= max_score ? score : -1;
}

int judge_self_consistency(float *score, const char *const *answers, int K) {
    int best = -1, best_count = 0;
    for (int k = 0; k < K; k++) {
        if (!answers[k]) {
            score[k] = 0.0f;
            continue;
        }
        int count = 0;
        for (int j = 0; j < K; j++) count += answers[j] && strcmp(answers[j], answers[k]) == 0;
        score[k] = (float)count / (float)K;
        if (count > best_count) best = k, best_count = count;
    }
    return best;
}

void judge_ensemble_vote(float *score, const char *const *answers, const int8_t *well_formed,
                         int K) {
    for (int k = 0; k < K; k++) {
        if (!answers[k] || (well_formed && !well_formed[k])) {
            score[k] = NAN;
            continue;
        }
        int count = 0;
        for (int j = 0; j < K; j++)
            count += answers[j] && (!well_formed || well_formed[j]) &&
                     strcmp(answers[j], answers[k]) == 0;
        score[k] = (float)count / (float)K;
    }
}
