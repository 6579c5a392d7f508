/* ranks/aggregator.h — the aggregator role: world rank 0 turns the judges' votes into labelled
   pairs and round statistics (train/aggregate.h), then the aggregator ranks write
   prefs/round_NNNN.h5 collectively (rank 0 holds the rows, the other aggregators select none).
   The learners read their pairs back from that file, so the file is both the durable log and
   the hand-off (and a resumed round reads the same bytes). */
#ifndef CONCORD_RANKS_AGGREGATOR_H
#define CONCORD_RANKS_AGGREGATOR_H

#include "ranks/samples.h"
#include "train/aggregate.h"

/* Collective over world (the aggregator ranks write; everyone learns the outcome). stats is
   filled on world rank 0. */
void aggregator_run(RunCtx *ctx, const RoundSamples *s, AggStats *stats);

#endif
