/* tests/test_generate.c — KV-cache sampling: reproducible, identical whatever the batch
   composition, chunking or order of the sequences, stops at EOS, at the length limits and before
   stop tokens, and the reported log-prob equals a full-forward recomputation; the judge's greedy
   rationale (train/judges.h judge_write_rationale) equals a naive full-forward greedy decode. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "train/generate.h"
#include "train/judges.h"
#include "train/logprob.h"
#include "train/rng.h"
#include "util/alloc.h"

#define N       6
#define P       5
#define MAX_NEW 7

static GPTConfig cfg = {.V = 12, .Vp = 16, .T = 16, .C = 16, .L = 2, .NH = 2};
static int32_t prompts[N][P];
static int32_t plen[N] = {3, 5, 1, 4, 2, 5};
static uint32_t pid[N] = {10, 11, 12, 10, 13, 14};
static uint32_t sid[N] = {0, 0, 0, 1, 0, 3};

typedef struct {
    int32_t resp[N][MAX_NEW];
    int32_t len[N];
    double logp[N];
} Result;

// Generates the sequences listed in order[0..n) with cache/activation capacity `chunk`.
static void run(Result *res, const ParamSlab *w, const GenParams *gp, const int *order, int n,
                int chunk) {
    int32_t pr[N][P], pl[N];
    uint32_t id[N], si[N];
    for (int i = 0; i < n; i++) {
        memcpy(pr[i], prompts[order[i]], sizeof pr[i]);
        pl[i] = plen[order[i]], id[i] = pid[order[i]], si[i] = sid[order[i]];
    }
    KVCache kv;
    Activations a;
    kv_init(&kv, &cfg, chunk, cfg.T);
    acts_init(&a, &cfg, chunk, P, 0);
    int32_t resp[N][MAX_NEW], len[N];
    double logp[N];
    generate(&resp[0][0], len, logp, &kv, &a, w, &pr[0][0], pl, n, P, id, si, gp);
    for (int i = 0; i < n; i++) {
        memcpy(res->resp[order[i]], resp[i], sizeof resp[i]);
        res->len[order[i]] = len[i];
        res->logp[order[i]] = logp[i];
    }
    kv_free(&kv);
    acts_free(&a);
}

static int same(const Result *a, const Result *b, const int *which, int n) {
    for (int k = 0; k < n; k++) {
        int i = which[k];
        if (a->len[i] != b->len[i] || memcmp(a->resp[i], b->resp[i], sizeof a->resp[i]) != 0 ||
            a->logp[i] != b->logp[i])
            return 0;
    }
    return 1;
}

int main(void) {
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 3);
    Rng r = rng_stream(9, 9);
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.3f * rng_normal(&r);  // peaky, varied outputs
    for (int i = 0; i < N; i++)
        for (int t = 0; t < P; t++) prompts[i][t] = t < plen[i] ? 4 + (int32_t)rng_below(&r, 8) : 0;

    GenParams gp = {.seed = 77,
                    .round = 2,
                    .sample = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f},
                    .max_new = MAX_NEW,
                    .eos = 2};
    int all[N] = {0, 1, 2, 3, 4, 5}, rev[N] = {5, 4, 3, 2, 1, 0};
    Result base, again, one_by_one, reversed, subset;
    run(&base, &w, &gp, all, N, N);
    run(&again, &w, &gp, all, N, N);
    CHECK_TRUE(same(&base, &again, all, N));  // reproducible
    for (int i = 0; i < N; i++) run(&one_by_one, &w, &gp, &all[i], 1, 1);
    CHECK_TRUE(same(&base, &one_by_one, all, N));  // batch of 1 vs batch of 6
    run(&reversed, &w, &gp, rev, N, 4);
    CHECK_TRUE(same(&base, &reversed, all, N));  // other order, chunks of 4
    int some[3] = {1, 3, 5};
    run(&subset, &w, &gp, some, 3, 2);
    CHECK_TRUE(same(&base, &subset, some, 3));  // other batch-mates

    // the same at a width where OpenBLAS takes its large-matrix paths (C = 256, 3 prompts x 1..6)
    GPTConfig small = cfg;
    cfg.C = 256, cfg.NH = 4, cfg.L = 1;
    ParamSlab wide;
    param_slab_init(&wide, &cfg, "test.params");
    gpt_init_weights(&wide, 4);
    for (size_t i = 0; i < wide.n; i++) wide.data[i] += 0.3f * rng_normal(&r);
    Result wb, w1;
    run(&wb, &wide, &gp, all, N, N);
    for (int i = 0; i < N; i++) run(&w1, &wide, &gp, &all[i], 1, 1);
    CHECK_TRUE(same(&wb, &w1, all, N));
    param_slab_free(&wide);
    cfg = small;

    // K samples of one prompt in one batch (prefilled once, cache copied) equal each alone
    {
        int32_t pr[4][P], pl[4];
        uint32_t id[4], si[4];
        for (int k = 0; k < 4; k++)
            memcpy(pr[k], prompts[1], sizeof pr[k]), pl[k] = plen[1], id[k] = pid[1],
                                                     si[k] = (uint32_t)k;
        KVCache kv;
        Activations a;
        kv_init(&kv, &cfg, 4, cfg.T);
        acts_init(&a, &cfg, 4, P, 0);
        int32_t together[4][MAX_NEW], alone[4][MAX_NEW], lt[4], la[4];
        double gt[4], ga[4];
        generate(&together[0][0], lt, gt, &kv, &a, &w, &pr[0][0], pl, 4, P, id, si, &gp);
        for (int k = 0; k < 4; k++)
            generate(alone[k], &la[k], &ga[k], &kv, &a, &w, pr[k], &pl[k], 1, P, &id[k], &si[k],
                     &gp);
        int ok = 1, differ = 0;
        for (int k = 0; k < 4; k++) {
            ok &= lt[k] == la[k] && gt[k] == ga[k] &&
                  memcmp(together[k], alone[k], sizeof together[k]) == 0;
            differ |= k > 0 &&
                      (lt[k] != lt[0] || memcmp(together[k], together[0], sizeof together[k]) != 0);
        }
        CHECK_TRUE(ok);
        CHECK_TRUE(differ);  // the samples themselves differ (different sample indices)
        kv_free(&kv);
        acts_free(&a);
    }

    // a different round or seed changes the samples
    GenParams gp2 = gp;
    gp2.round = 3;
    Result other;
    run(&other, &w, &gp2, all, N, N);
    CHECK_TRUE(!same(&base, &other, all, N));

    // stopping rules and the reported log-prob
    int n_eos = 0, n_limit = 0;
    for (int i = 0; i < N; i++) {
        CHECK_TRUE(base.len[i] >= 1 && base.len[i] <= MAX_NEW);
        int ends_eos = base.resp[i][base.len[i] - 1] == gp.eos;
        n_eos += ends_eos, n_limit += !ends_eos;
        if (!ends_eos) CHECK_EQ_I64(base.len[i], MAX_NEW);
        for (int t = 0; t < base.len[i] - 1; t++) CHECK_TRUE(base.resp[i][t] != gp.eos);
        // recompute the response log-prob with a full forward
        int32_t seq[16] = {0};
        memcpy(seq, prompts[i], (size_t)plen[i] * 4);
        memcpy(seq + plen[i], base.resp[i], (size_t)base.len[i] * 4);
        int32_t start = plen[i], len = plen[i] + base.len[i];
        Activations a;
        acts_init(&a, &cfg, 1, 16, 0);
        const float *lg = gpt_forward(&a, &w, seq, 1, len);
        double lp;
        seq_logprob_forward(&lp, lg, seq, &start, &len, 1, len, cfg.V, cfg.Vp);
        CHECK_NEAR(lp, base.logp[i], 1e-4 * fmax(1.0, fabs(lp)));
        acts_free(&a);
    }
    printf("responses ending in EOS: %d, at the length limit: %d\n", n_eos, n_limit);

    // greedy is deterministic regardless of seed
    GenParams g1 = gp, g2 = gp;
    g1.sample.greedy = 1, g2.sample.greedy = 1, g2.seed = 1234;
    Result ga, gb;
    run(&ga, &w, &g1, all, N, N);
    run(&gb, &w, &g2, all, N, N);
    CHECK_TRUE(same(&ga, &gb, all, N));

    // the cache length limit stops a response early: T = 16, prompt 5 -> at most 11 tokens
    GenParams glong = gp;
    glong.max_new = MAX_NEW;
    KVCache kv;
    Activations a;
    kv_init(&kv, &cfg, 1, 8);  // only 8 positions: prompt 5 + at most 3 new tokens
    acts_init(&a, &cfg, 1, P, 0);
    int32_t resp[MAX_NEW], rl;
    glong.eos = -1;  // never stop on EOS
    generate(resp, &rl, NULL, &kv, &a, &w, prompts[1], &plen[1], 1, P, &pid[1], &sid[1], &glong);
    CHECK_EQ_I64(rl, 3);
    kv_free(&kv);
    acts_free(&a);

    // stop tokens end a response before them: the same draws up to the first stop token
    int n_cut = 0;
    for (int i = 0; i < N; i++) {
        if (base.len[i] < 2) continue;
        GenParams gs = gp;
        gs.n_stop = 1, gs.stop[0] = base.resp[i][1];
        Result cut;
        run(&cut, &w, &gs, all, N, N);
        int first = 0;
        while (base.resp[i][first] != gs.stop[0]) first++;
        CHECK_EQ_I64(cut.len[i], first);
        CHECK_TRUE(memcmp(cut.resp[i], base.resp[i], (size_t)first * sizeof(int32_t)) == 0);
        n_cut++;
    }
    CHECK_TRUE(n_cut > 0);

    // the judge's rationale: greedy until a verdict token or EOS, at most max_tokens, within S
    int32_t yes = ga.resp[0][ga.len[0] > 2 ? 2 : 0], no = (yes + 1) % cfg.V;
    for (int max_tokens = 0; max_tokens <= 6; max_tokens += 3) {
        enum { S = 12 };  // room for the longest prompt (5) and 6 rationale tokens
        int32_t seqs[N][S] = {{0}}, len[N];
        for (int i = 0; i < N; i++)
            memcpy(seqs[i], prompts[i], sizeof prompts[i]), len[i] = plen[i];
        kv_init(&kv, &cfg, 4, cfg.T);  // chunks of 4
        acts_init(&a, &cfg, 4, cfg.T, 0);
        judge_write_rationale(&seqs[0][0], len, N, S, &kv, &a, &w, max_tokens, yes, no, TOK_EOS);
        kv_free(&kv);
        acts_free(&a);
        int ok = 1, early = 0;
        Activations full;
        acts_init(&full, &cfg, 1, cfg.T, 0);
        for (int i = 0; i < N; i++) {  // naive: one full forward per written token
            int32_t ref[16] = {0};
            int n = plen[i];
            memcpy(ref, prompts[i], (size_t)n * sizeof(int32_t));
            while (n - plen[i] < max_tokens && n < S) {
                const float *row = gpt_forward(&full, &w, ref, 1, n) + (size_t)(n - 1) * cfg.Vp;
                int best = 0;
                for (int v = 1; v < cfg.V; v++) best = row[v] > row[best] ? v : best;
                if (best == yes || best == no || best == 2) break;  // 2 = EOS
                ref[n++] = best;
            }
            early += n - plen[i] < max_tokens;
            ok &= len[i] == n && memcmp(seqs[i], ref, (size_t)n * sizeof(int32_t)) == 0;
        }
        acts_free(&full);
        CHECK_MSG(ok, "rationale of up to %d tokens differs from the naive greedy decode",
                  max_tokens);
        if (max_tokens == 6) CHECK_TRUE(early > 0);  // some rationales end at a verdict
        printf("rationales of up to %d tokens: %d ended before the cap\n", max_tokens, early);
    }
    param_slab_free(&w);
    return check_report();
}
