/* train/sample.h — choosing one token from a row of logits.
   The caller supplies the uniform u (from rng_uniform_at over its own counter), so a choice depends
   only on (logits, params, u): never on batch composition, rank or thread count. The procedure is
   exact and deterministic:
     1. greedy (or temperature <= 0): the largest logit, ties to the lowest id;
     2. otherwise scale by 1/temperature, order the tokens by descending logit (ties: lower id
        first), keep the first top_k (when top_k > 0), then the smallest prefix whose probability
        mass reaches top_p of what is left (when top_p < 1; always at least one token),
        renormalise, and pick by inverse CDF with u over that order.
   NaN logits count as -inf. A token whose logit is -inf is never chosen while some logit is
   finite; if none is, the choice is among the tokens tied for the largest logit. */
#ifndef CONCORD_TRAIN_SAMPLE_H
#define CONCORD_TRAIN_SAMPLE_H

typedef struct {
    float temperature;  // softmax temperature; <= 0 means greedy
    int top_k;          // keep only the k most likely tokens; 0 (or >= V) = off
    float top_p;        // nucleus: keep the smallest top set with mass >= top_p; >= 1 = off
    int greedy;         // 1: argmax, ignoring the other fields
} SampleParams;

/* Chooses a token in [0, V) from logits (V) with the uniform u in [0, 1) (values outside are
   clamped). scratch: (2*V) floats the call may overwrite; with it the call allocates nothing;
   NULL makes it allocate and free its own. */
int sample_token(const float *logits, int V, const SampleParams *sp, float u, float *scratch);

/* log softmax(logits)[token], computed stably in double (max subtracted). token in [0, V). */
float sample_logprob(const float *logits, int V, int token);

#endif
