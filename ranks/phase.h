/* ranks/phase.h — where a run stands, as an enum. Checkpoints store the phase as a name (io/ckpt.h
   CkptState.phase); ranks/ code uses Phase and converts only when a checkpoint is written or read. */
#ifndef CONCORD_RANKS_PHASE_H
#define CONCORD_RANKS_PHASE_H

#include <string.h>

typedef enum {
    PHASE_SFT,    // SFT warm-up (round 0), possibly part-done
    PHASE_TRAIN,  // preference training of state.round: its round file is complete
    PHASE_DONE,   // state.round is complete (round 0: the SFT model)
    PHASE_COUNT
} Phase;

/* The phase's checkpoint name. */
static inline const char *phase_name(Phase p) {
    static const char *const names[PHASE_COUNT] = {// [PHASE_COUNT], enum order
                                                   [PHASE_SFT] = "sft",
                                                   [PHASE_TRAIN] = "train",
                                                   [PHASE_DONE] = "done"};
    return p >= 0 && p < PHASE_COUNT ? names[p] : "?";
}

/* The phase named name: 0, or -1 when name is not a phase a run resumes from (a checkpoint may
   name others, e.g. "generate", that no concord run writes). */
static inline int phase_from_name(const char *name, Phase *out) {
    for (int i = 0; i < PHASE_COUNT; i++)
        if (strcmp(name, phase_name((Phase)i)) == 0) {
            *out = (Phase)i;
            return 0;
        }
    return -1;
}

#endif
