/* ranks/generator.h — the generator role: a round's prompts and their sampled responses. */
#ifndef CONCORD_RANKS_GENERATOR_H
#define CONCORD_RANKS_GENERATOR_H

#include "ranks/samples.h"

/* Collective over the policy communicator: prompt indices are scattered to the generators, each
   samples K responses per prompt with ctx->policy, and every member of the policy communicator
   receives all responses. Ranks outside it return at once. */
void generator_run(RunCtx *ctx, RoundSamples *s);

#endif
