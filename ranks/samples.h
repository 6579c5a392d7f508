/* ranks/samples.h — one round's prompts, sampled responses and judge scores, as the generator,
   judge and aggregator roles pass them along (prompt-major: the K samples of prompt p are rows
   p*K .. p*K+K-1). Every rank of the policy communicator holds the prompts and responses after
   generation; the scores are complete on world rank 0 (the aggregator root) after judging.
   The roles that fill it: ranks/generator.h, ranks/judge.h, ranks/aggregator.h. */
#ifndef CONCORD_RANKS_SAMPLES_H
#define CONCORD_RANKS_SAMPLES_H

#include <stdint.h>

#include "ranks/run.h"

typedef struct RoundSamples {
    int round;            // round number r >= 1
    int P, K;             // prompts, samples per prompt
    int W;                // prompt width: longest encoded prompt (BOS + text)
    int R;                // response width: generate.max_new_tokens
    TaskItem *items;      // (P) the round's prompts (task ROUND split)
    int32_t *prompts;     // (P, W) encoded prompts, right-padded with PAD
    int32_t *prompt_len;  // (P)
    int32_t *resp;        // (P*K, R) responses (EOS included when sampled), padded
    int32_t *resp_len;    // (P*K)
    double *resp_logp;    // (P*K) summed log-prob under the generating policy (untempered)
    int J;                // judges
    float *scores;        // (P*K, J) judge scores, NaN = abstained (complete on world rank 0)
    int8_t *correct;      // (P*K) oracle verdict for measurement: 1, 0, -1 unknown (rank 0)
} RoundSamples;

/* Builds the round's prompts (every rank, deterministic). */
void samples_init(RoundSamples *s, RunCtx *ctx, int round);
void samples_free(RoundSamples *s);
/* Decoded text of response i without its EOS (for answer extraction and the judge template). */
void samples_response_text(const RoundSamples *s, const Tokenizer *tok, int i, char *out, int size);

#endif
