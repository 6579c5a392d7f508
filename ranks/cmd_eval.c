/* ranks/cmd_eval.c — `concord eval CKPT`: held-out evaluation of a checkpoint, printed as one
   JSON line (greedy accuracy, maj@K accuracy, judge accuracy, mean response length, prompts).
   The task and sizes come from the checkpoint's stored config unless --config / --set say
   otherwise. Any number of ranks: the EVAL prompts are split across them. */
#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"
#include "ranks/cli.h"
#include "ranks/commands.h"
#include "ranks/learner.h"
#include "ranks/run.h"
#include "util/alloc.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord eval CKPT [--config CONFIG] [--set key.path=value ...]\n"
            "  prints one JSON line: greedy_acc, maj_acc (maj@task.maj_k), judge_acc (on\n"
            "  held-out evaluation examples: right and corrupted answers), judge_self_acc\n"
            "  (on its own greedy answers), mean_resp_len, n_prompts; the task defaults to\n"
            "  the checkpoint's own config\n");
}

static void print_json(const char *ckpt, int maj_k, const EvalSummary *s) {
    printf("{\"checkpoint\": \"%s\", \"n_prompts\": %lld", ckpt, (long long)s->prompts);
    const char *keys[] = {"greedy_acc",    "maj_acc",        "judge_acc",
                          "judge_acc_raw", "judge_self_acc", "judge_self_acc_raw",
                          "mean_resp_len", "no_answer_rate"};
    double vals[] = {s->greedy_acc,    s->maj_acc,        s->judge_acc,
                     s->judge_acc_raw, s->judge_self_acc, s->judge_self_acc_raw,
                     s->mean_resp_len, s->no_answer_rate};
    for (int i = 0; i < (int)(sizeof vals / sizeof vals[0]); i++) {
        if (vals[i] == vals[i])
            printf(", \"%s\": %.6g", keys[i], vals[i]);
        else
            printf(", \"%s\": null", keys[i]);
    }
    printf(", \"maj_k\": %d}\n", maj_k);
    fflush(stdout);
}

int cmd_eval(int argc, char **argv) {
    const char *ckpt = NULL, *config = NULL;
    const char *sets[CLI_MAX_SETS];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--set") == 0) {
            if (cli_value(argc, argv, &i, &v) != 0) return EXIT_BAD_INPUT;
            if (argv[i - 1][2] == 'c')
                config = v;
            else if (n_sets < CLI_MAX_SETS - 2)
                sets[n_sets++] = v;
        } else if (argv[i][0] != '-' && !ckpt) {
            ckpt = argv[i];
        } else {
            fprintf(stderr, "error: eval: unexpected argument \"%s\"\n", argv[i]);
            usage(stderr);
            return EXIT_BAD_INPUT;
        }
    }
    if (!ckpt) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    CkptInfo info;
    ErrMsg e;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (ckpt_peek(ckpt, &info, &e) != 0) {
        if (rank == 0) fprintf(stderr, "error: %s\n", e.msg);
        return EXIT_BAD_INPUT;
    }
    sets[n_sets++] = "ensemble.models=1";  // one checkpoint is one model, and no rounds run
    sets[n_sets++] = "rounds.count=0";
    RunCtx ctx;
    int status = run_ctx_init(&ctx, config ? config : ckpt, config ? NULL : info.config_json, NULL,
                              sets, n_sets);
    ckpt_info_free(&info);
    if (status == 0) {
        CkptContents c = {.model = &ctx.policy};
        if (ckpt_read(ckpt, &ctx.model, &c, ctx.comms.world, &e) != 0) {
            if (ctx.comms.rank == 0) fprintf(stderr, "error: %s\n", e.msg);
            status = EXIT_BAD_INPUT;
        } else if (ctx.comms.roles & ROLE_LEARNER) {
            ctx.state.seed = (uint64_t)ctx.cfg.run.seed;
            EvalSummary s = learner_eval(&ctx, NULL, NULL);
            if (ctx.comms.rank == 0) print_json(ckpt, ctx.cfg.task.maj_k, &s);
        }
    }
    run_ctx_free(&ctx);
    return status;
}
