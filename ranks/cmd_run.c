/* ranks/cmd_run.c — `concord run CONFIG` (SFT warm-up then the self-rewarding rounds) and
   `concord sft CONFIG` (the warm-up alone), under mpirun/srun with any number of ranks.
   Re-running the same command on the same run directory resumes where it stopped. */
#include <stdio.h>
#include <string.h>

#include "ranks/cli.h"
#include "ranks/commands.h"
#include "ranks/round.h"
#include "ranks/run.h"
#include "ranks/watchdog.h"
#include "util/alloc.h"
#include "util/log.h"

static void usage(FILE *out, const char *cmd) {
    fprintf(out,
            "usage: concord %s CONFIG [--run-dir DIR] [--set key.path=value ...]\n"
            "  CONFIG          JSON config (see `concord config --keys`)\n"
            "  --run-dir DIR   run directory (overrides run.run_dir)\n"
            "  --set k=v       override one config key (repeatable)\n"
            "Re-running the same command on the same run directory resumes from ckpt/LATEST.\n"
            "Exit status: 0 done (or stopped by a STOP file), 2 bad input, 75 checkpointed after\n"
            "SIGTERM/SIGUSR1 or run.max_wall_seconds (run again to continue), 1 failure.\n",
            cmd);
}

static int run_command(int argc, char **argv, const char *cmd, int sft_only) {
    const char *config = NULL, *run_dir = NULL;
    const char *sets[CLI_MAX_SETS];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, cmd);
            return 0;
        } else if (strcmp(argv[i], "--run-dir") == 0 || strcmp(argv[i], "--set") == 0) {
            if (cli_value(argc, argv, &i, &v) != 0) return EXIT_BAD_INPUT;
            if (argv[i - 1][2] == 'r')
                run_dir = v;
            else if (n_sets < CLI_MAX_SETS)
                sets[n_sets++] = v;
        } else if (argv[i][0] != '-' && !config) {
            config = argv[i];
        } else {
            fprintf(stderr, "error: %s: unexpected argument \"%s\"\n", cmd, argv[i]);
            usage(stderr, cmd);
            return EXIT_BAD_INPUT;
        }
    }
    if (!config) {
        usage(stderr, cmd);
        return EXIT_BAD_INPUT;
    }
    RunCtx ctx;
    int status = run_ctx_init(&ctx, config, NULL, run_dir, sets, n_sets);
    if (status == 0) {
        if (ctx.comms.rank == 0) {
            log_root("concord %s: %d ranks, run directory %s", cmd, ctx.comms.size,
                     ctx.cfg.run.run_dir);
            alloc_report(stderr);
        }
        char roles[COMMS_ROLE_LABEL_MAX], label[COMMS_ROLE_LABEL_MAX + 16];
        comms_role_label(ctx.comms.roles, roles);
        if (ctx.ens.K > 1)
            snprintf(label, sizeof label, "m%d %s", ctx.ens.model, roles);
        else
            snprintf(label, sizeof label, "%s", roles);
        double stuck = ctx.cfg.run.stuck_timeout;
        if (watchdog_start(ctx.ens.base_dir, stuck, ctx.ens.all, label) != 0) {
            status = EXIT_BAD_INPUT;
        } else {
            if (stuck > 0)
                log_root(
                    "watchdog: a rank without a heartbeat for %g s ends the job "
                    "(run.stuck_timeout; files in %s/.heartbeat)",
                    stuck, ctx.ens.base_dir);
            if (stuck > 0 && !comms_thread_multiple())
                log_root(
                    "watchdog: MPI lacks MPI_THREAD_MULTIPLE, so a stuck rank is ended by "
                    "exiting the watching rank: under srun, pass --kill-on-bad-exit=1");
            status = round_main(&ctx, sft_only);
            watchdog_stop(ctx.ens.all);
        }
    }
    run_ctx_free(&ctx);
    return status;
}

int cmd_run(int argc, char **argv) { return run_command(argc, argv, "run", 0); }
int cmd_sft(int argc, char **argv) { return run_command(argc, argv, "sft", 1); }
