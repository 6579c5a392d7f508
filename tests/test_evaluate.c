/* tests/test_evaluate.c — evaluation counts on a hand-counted case. The model is built so that
   its logits are the same constant vector at every position (lnf_w = 0, lnf_b = e0 + e1, and the
   rows of wte for '5' and 'Y' chosen): it always answers "5" and its judge always says Y. On the
   1-digit EVAL split the greedy and maj@K accuracies must then equal the share of prompts whose
   answer is 5, counted here by hand from the task, and the judge's balanced accuracy is 1/2, on
   its own answers and on the held-out evaluation examples (whose right/wrong split is counted
   here from task_held_out_judge_example). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "train/evaluate.h"
#include "util/alloc.h"

int main(void) {
    Tokenizer tok;
    ErrMsg e;
    CHECK_TRUE(tokenizer_init(&tok, TOKENIZER_DEFAULT_CHARSET, &e) == 0);
    TaskSpec spec = {.seed = 5,
                     .eval_prompts = 60,
                     .prompts_per_round = 10,
                     .rounds = 2,
                     .judge_template = "{prompt}{answer}?",
                     .digits = 1,
                     .operators = "+-",
                     .n_instruction = 10,
                     .n_evaluation = 10,
                     .eval_wrong_fraction = 0.5};
    Task task;
    CHECK_TRUE(task_init_arith(&task, &spec, &e) == 0);
    GPTConfig cfg = {.V = tokenizer_vocab_size(&tok), .Vp = 32, .T = 16, .C = 8, .L = 1, .NH = 2};
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");  // all zero
    int32_t five = tok.id_of['5'], yes = tok.id_of['Y'];
    w.t.lnf_b[0] = 1.0f, w.t.lnf_b[1] = 1.0f;
    w.t.wte[(size_t)five * cfg.C + 0] = 10.0f;  // logit('5') = 10
    w.t.wte[(size_t)yes * cfg.C + 1] = 3.0f;    // logit('Y') = 3, logit('N') = 0

    int64_t expect = 0, held_right = 0;
    for (int i = 0; i < spec.eval_prompts; i++) {
        TaskItem it;
        task_item(&task, TASK_SPLIT_EVAL, 0, i, &it);
        expect += strcmp(it.answer, "5") == 0;
        char ans[TASK_TEXT_MAX];
        int v = task_held_out_judge_example(&task, i, &it, ans, sizeof ans);
        CHECK_TRUE(v == 0 || v == 1);
        CHECK_TRUE((strcmp(ans, it.answer) == 0) == (v == 1));  // wrong answers really differ
        held_right += v;
    }
    EvalParams ep = {.max_new = 1,
                     .maj_k = 3,
                     .seed = 9,
                     .stream = 1000,
                     .batch = 7,
                     .maj_sample = {.temperature = 1.0f, .top_k = 1, .top_p = 1.0f}};
    EvalCounts c;
    CHECK_TRUE(eval_range(&c, &task, &tok, &w, 0, spec.eval_prompts, &ep, &e) == 0);
    CHECK_EQ_I64(c.prompts, spec.eval_prompts);
    CHECK_EQ_I64(c.greedy_correct, expect);
    CHECK_EQ_I64(c.maj_correct, expect);
    CHECK_EQ_I64(c.resp_tokens, spec.eval_prompts);  // one token each (max_new = 1)
    CHECK_EQ_I64(c.no_answer, 0);
    CHECK_EQ_I64(c.judge_self.pos, expect);
    CHECK_EQ_I64(c.judge_self.pos_yes, expect);  // always Y
    CHECK_EQ_I64(c.judge_self.neg, spec.eval_prompts - expect);
    CHECK_EQ_I64(c.judge_self.neg_no, 0);
    CHECK_EQ_I64(c.judge.pos, held_right);
    CHECK_EQ_I64(c.judge.pos_yes, held_right);
    CHECK_EQ_I64(c.judge.neg, spec.eval_prompts - held_right);
    CHECK_EQ_I64(c.judge.neg_no, 0);
    printf(
        "hand count: %lld of %d EVAL prompts have answer 5; %lld held-out judge examples are "
        "right\n",
        (long long)expect, spec.eval_prompts, (long long)held_right);
    CHECK_TRUE(expect > 0 && expect < spec.eval_prompts);  // the case is not degenerate
    CHECK_TRUE(held_right > 0 && held_right < spec.eval_prompts);

    // splitting the range gives the same counts
    EvalCounts a, b;
    CHECK_TRUE(eval_range(&a, &task, &tok, &w, 0, 25, &ep, &e) == 0);
    CHECK_TRUE(eval_range(&b, &task, &tok, &w, 25, spec.eval_prompts - 25, &ep, &e) == 0);
    eval_counts_add(&a, &b);
    CHECK_TRUE(memcmp(&a, &c, sizeof a) == 0);

    EvalSummary s = eval_summary(&c);
    CHECK_NEAR(s.greedy_acc, (double)expect / spec.eval_prompts, 1e-12);
    CHECK_NEAR(s.maj_acc, (double)expect / spec.eval_prompts, 1e-12);
    CHECK_NEAR(s.judge_self_acc, 0.5, 1e-12);
    CHECK_NEAR(s.judge_self_acc_raw, (double)expect / spec.eval_prompts, 1e-12);
    CHECK_NEAR(s.judge_acc, 0.5, 1e-12);
    CHECK_NEAR(s.judge_acc_raw, (double)held_right / spec.eval_prompts, 1e-12);
    CHECK_NEAR(s.mean_resp_len, 1.0, 1e-12);

    // hand-made counts: balanced accuracy is the mean of the two recalls
    EvalCounts h = {.prompts = 10,
                    .greedy_correct = 4,
                    .resp_tokens = 25,
                    .judge = {.pos = 4, .pos_yes = 3, .neg = 6, .neg_no = 3}};
    EvalSummary hs = eval_summary(&h);
    CHECK_NEAR(hs.judge_acc, 0.5 * (0.75 + 0.5), 1e-12);
    CHECK_NEAR(hs.judge_acc_raw, 0.6, 1e-12);
    CHECK_NEAR(hs.mean_resp_len, 2.5, 1e-12);
    EvalCounts none = {0};
    CHECK_TRUE(isnan(eval_summary(&none).greedy_acc));

    task_free(&task);

    // per-level counts and the answers buffer: levels 1..2 (20 EVAL prompts each), always "5"
    TaskSpec ls = {.seed = 5,
                   .eval_prompts = 20,
                   .prompts_per_round = 10,
                   .rounds = 1,
                   .judge_template = "{prompt}{answer}?",
                   .digits = 1,
                   .operators = "+",
                   .n_instruction = 10,
                   .sft_max = 2};
    CHECK_MSG(task_init_arith(&task, &ls, &e) == 0, "%s", e.msg);
    int64_t per[3] = {0};
    for (int i = 0; i < 40; i++) {
        TaskItem it;
        task_item(&task, TASK_SPLIT_EVAL, 0, i, &it);
        per[it.level] += strcmp(it.answer, "5") == 0;
    }
    char *answers = xmalloc("test", (size_t)40 * EVAL_ANSWER_MAX);
    EvalParams gp = {
        .max_new = 1, .seed = 9, .stream = 1000, .batch = 7, .greedy_only = 1, .answers = answers};
    CHECK_TRUE(eval_range(&c, &task, &tok, &w, 0, 40, &gp, &e) == 0);
    CHECK_EQ_I64(c.level_prompts[1], 20);
    CHECK_EQ_I64(c.level_prompts[2], 20);
    CHECK_EQ_I64(c.level_correct[1], per[1]);
    CHECK_EQ_I64(c.level_correct[2], per[2]);  // 2-digit sums are never 5
    int same = 1;
    for (int i = 0; i < 40; i++) same &= strcmp(answers + (size_t)i * EVAL_ANSWER_MAX, "5") == 0;
    CHECK_TRUE(same);
    s = eval_summary(&c);
    CHECK_NEAR(s.level_greedy_acc[1], per[1] / 20.0, 1e-12);
    CHECK_NEAR(s.level_greedy_acc[2], 0.0, 1e-12);
    CHECK_TRUE(isnan(s.level_greedy_acc[0]) && isnan(s.level_greedy_acc[3]));
    // a round's prompts, answers in order
    gp.split = TASK_SPLIT_ROUND, gp.round = 1;
    CHECK_TRUE(eval_range(&c, &task, &tok, &w, 3, 5, &gp, &e) == 0);
    CHECK_EQ_I64(c.prompts, 5);
    CHECK_TRUE(strcmp(answers + 4 * EVAL_ANSWER_MAX, "5") == 0);
    xfree(answers);
    task_free(&task);
    param_slab_free(&w);
    return check_report();
}
