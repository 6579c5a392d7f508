/* train/task_impl.h — what train/task.c and train/task_arith.c share; not part of the API. */
#ifndef CONCORD_TRAIN_TASK_IMPL_H
#define CONCORD_TRAIN_TASK_IMPL_H

#include "train/rng.h"
#include "train/task.h"

// Purposes of the task's RNG streams (TASK_STREAM ids).
enum {
    PURPOSE_SPLIT = 1,  // split position -> arith prompt
    PURPOSE_SFT_INSTR,  // instruction example -> SFT pool position
    PURPOSE_SFT_EVAL,   // evaluation example -> SFT pool position
    PURPOSE_WRONG,      // which evaluation examples show a wrong answer
    PURPOSE_CORRUPT,    // how evaluation example j's answer is corrupted (one stream per j)
    PURPOSE_SHUFFLE,    // order of a list's prompt lines
    PURPOSE_HELD_OUT,   // held-out judge example of EVAL item i: verdict and wrong answer
    PURPOSE_LEVEL,      // arith level L (index): position -> prompt (big levels: operand a)
    PURPOSE_LEVEL_B,    // arith level L above 2^62 pairs: position -> operand b
    PURPOSE_MIXED       // mixed arith level L, bucket k (index L * 64 + k): index -> pair
};

/* Checks the spec fields both kinds use, compiles the regex, copies the schedule. On error
   nothing is left to free. */
int task_init_common(Task *t, TaskKind kind, const TaskSpec *spec, ErrMsg *e);

/* Arith item of split s (EVAL, ROUND or VALID), checked by the caller. */
void task_arith_item(const Task *t, TaskSplit s, int round, int index, TaskItem *out);
/* Arith SFT example, index checked by the caller. */
void task_arith_sft_example(const Task *t, int64_t index, TaskSftExample *out);
/* A wrong answer for the arith answer text truth, drawn from r; never truth. */
void task_arith_corrupt(const Task *t, const char *truth, Rng *r, char *out, int size);

/* Level and position among the round prompts of that level (all rounds before r first) of item
   index of round r; needs a schedule (t->n_sched > 0). */
void task_round_slot(const Task *t, int round, int index, int *level, int64_t *seq);
/* Round prompts that rounds 1..spec.rounds take from each level (with spec.level_holds, the most
   any plan of holds takes). */
void task_round_need(const Task *t, int64_t need[TASK_MAX_LEVELS + 1]);

#endif
