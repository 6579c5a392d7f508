/* ranks/judge.h — the judge role: every response of a round scored by every configured judge. */
#ifndef CONCORD_RANKS_JUDGE_H
#define CONCORD_RANKS_JUDGE_H

#include "ranks/samples.h"

/* Collective over the policy communicator: judges split the prompts, score every response with
   every configured judge, and the votes are gathered on world rank 0. */
void judge_run(RunCtx *ctx, RoundSamples *s);

#endif
