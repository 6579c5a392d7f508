/* train/generate.h — batched sampling of responses with a KV cache.
   Every random choice comes from the counter-based generator: token j of the response to
   (prompt_id, sample_idx) in round `round` uses u = rng_uniform_at(seed, round, prompt_id,
   sample_idx, j). A response therefore depends only on (seed, round, prompt id, sample index) and
   the weights — never on which other sequences share its batch, how many ranks generate, or in
   which order (tests/test_generate.c checks this bit for bit). */
#ifndef CONCORD_TRAIN_GENERATE_H
#define CONCORD_TRAIN_GENERATE_H

#include <stdint.h>

#include "train/gpt.h"
#include "train/sample.h"
#include "train/tokenizer.h"

typedef struct {
    uint64_t seed;        // run seed
    uint32_t round;       // round number (part of every draw's counter)
    SampleParams sample;  // temperature, top-k, top-p, greedy
    int max_new;          // response length limit in tokens (EOS included)
    int32_t eos;          // token that ends a response (kept as its last token); -1 = none
    int n_stop;           // entries of stop
    int32_t stop[3];      // tokens that end a response without being kept (a judge's verdicts)
    // Stop strings (generate.stop): after each new token the response so far is decoded with
    // stop_tok; at the first occurrence of any of them the response ends, cut before it
    // (gen_stop_string_cut). A check of tokens only, so a sample still depends on nothing but
    // (seed, round, prompt, sample index) and the weights.
    const Tokenizer *stop_tok;    // NULL = no stop strings
    const char *const *stop_str;  // (n_stop_str) non-empty strings
    int n_stop_str;
} GenParams;

/* Where stop strings cut a response: decodes resp (n tokens, no EOS) with tok and finds the
   earliest position at which any of stops (n_stops non-empty strings) starts. Returns -1 when
   none occurs, else the number of leading tokens to keep: the most tokens whose decoded text ends
   at or before that position (a stop string that starts inside a token drops that token whole;
   one spread over several tokens is found too). */
int gen_stop_string_cut(const Tokenizer *tok, const int32_t *resp, int n, const char *const *stops,
                        int n_stops);

/* Generates n responses. Sequence i continues prompts (n, P) row i of prompt_len[i] tokens and is
   identified by prompt_id[i], sample_idx[i]. Writes resp (n, max_new) (padded with 0), resp_len (n)
   and, if not NULL, resp_logp (n): the summed log-prob of the response under the untempered policy
   (what the `likelihood` judge and the learner see). A response also stops when prompt + response
   reaches the cache length kv->max_S, or when a stop string appears (then resp_logp sums the kept
   tokens only). Processes the sequences in chunks of kv->max_B; a is a
   forward-only (or training) Activations with capacity (kv->max_B, P). */
void generate(int32_t *resp, int32_t *resp_len, double *resp_logp, KVCache *kv, Activations *a,
              const ParamSlab *w, const int32_t *prompts, const int32_t *prompt_len, int n, int P,
              const uint32_t *prompt_id, const uint32_t *sample_idx, const GenParams *gp);

#endif
