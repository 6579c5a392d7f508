/* tests/task_fixture.h — what the task tests share (test_task, test_task_levels): the error
   buffer, string checks, and an arithmetic TaskSpec. */
#ifndef CONCORD_TESTS_TASK_FIXTURE_H
#define CONCORD_TESTS_TASK_FIXTURE_H

#include <string.h>

#include "check.h"
#include "train/task.h"

static ErrMsg err;

#define CHECK_STR(a, b) CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
#define CHECK_CONTAINS(s, sub) \
    CHECK_MSG(strstr((s), (sub)) != NULL, "\"%s\" lacks \"%s\"", (s), (sub))

static TaskSpec arith_spec(int digits, const char *ops, uint64_t seed, int E, int P, int R) {
    TaskSpec s;
    memset(&s, 0, sizeof s);
    s.seed = seed;
    s.eval_prompts = E;
    s.prompts_per_round = P;
    s.rounds = R;
    strcpy(s.judge_template, "{prompt}{answer}?");
    s.digits = digits;
    strcpy(s.operators, ops);
    s.n_instruction = 100;
    s.n_evaluation = 100;
    s.eval_wrong_fraction = 0.5;
    return s;
}

#endif
