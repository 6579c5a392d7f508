/* ranks/round.h — the round scheduler of `concord run`: fresh start or resume from ckpt/LATEST,
   the SFT warm-up (phase 0), then rounds of generate -> judge -> aggregate -> train -> eval ->
   checkpoint, each resumable, with clean stops (ranks/stop.h) and one metrics line per round. */
#ifndef CONCORD_RANKS_ROUND_H
#define CONCORD_RANKS_ROUND_H

#include "ranks/run.h"

/* Collective over world. Runs until rounds.count rounds are complete (or only the SFT warm-up
   when sft_only), resuming where the run directory's LATEST checkpoint stopped. Returns the
   process exit status (EXIT_OK, EXIT_REQUEUE, EXIT_BAD_INPUT, EXIT_FAILURE_RUN). */
int round_main(RunCtx *ctx, int sft_only);

#endif
