/* ranks/main.c — the concord executable: MPI start-up, subcommand dispatch, MPI shutdown.
   Usage: concord COMMAND [ARGS...]; `concord help` lists the commands. */
#include <stdio.h>
#include <string.h>

#include "comm/comms.h"
#include "ranks/commands.h"
#include "ranks/stop.h"
#include "version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command COMMANDS[] = {
    {"run", cmd_run, "CONFIG [--run-dir DIR] [--set k=v ...]  SFT, then self-rewarding rounds"},
    {"sft", cmd_sft, "CONFIG [--run-dir DIR] [--set k=v ...]  the SFT warm-up alone"},
    {"eval", cmd_eval, "CKPT [--config C] [--set k=v ...]     evaluate a checkpoint"},
    {"sample", cmd_sample, "CKPT [--prompt TEXT | --tokens IDS] ...  sample from a checkpoint"},
    {"inspect", cmd_inspect, "FILE                     summarise a checkpoint or a round file"},
    {"import-llmc", cmd_import_llmc, "IN.bin OUT.h5     convert an llm.c GPT-2 checkpoint"},
    {"tokenize", cmd_tokenize, "--vocab SPEC [--decode] [TEXT | --file F]  BPE ids of a text"},
    {"import-hf", cmd_import_hf, "DIR OUT.h5          convert a Hugging Face GPT-2 (safetensors)"},
    {"export-hf", cmd_export_hf, "CKPT DIR            write a checkpoint as a Hugging Face GPT-2"},
    {"plot", cmd_plot, "RUN_DIR                     PNG charts of RUN_DIR/metrics.jsonl"},
    {"config", cmd_config, "[--defaults | CONFIG [--set k=v ...]]  print a config"},
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out) {
    fprintf(out, "concord %s — iterative self-rewarding preference optimization on MPI\n\n",
            CONCORD_GIT_DESCRIBE);
    fprintf(out, "usage: concord COMMAND [ARGS...]\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "  %-12s print the version\n  %-12s this text\n", "version", "help");
    fprintf(out, "\n`concord COMMAND --help` describes a command's options.\n");
}

int main(int argc, char **argv) {
    stop_install_handlers();  // a preemption signal during start-up must not kill the rank
    comms_init(&argc, &argv);
    int status = 0;
    if (argc < 2) {
        usage(stderr);
        status = 2;
    } else if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
               strcmp(argv[1], "-h") == 0) {
        usage(stdout);
    } else if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("%s\n", CONCORD_CREATED_BY);
    } else {
        const Command *cmd = NULL;
        for (int i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[1], COMMANDS[i].name) == 0) cmd = &COMMANDS[i];
        if (cmd) {
            status = cmd->run(argc - 2, argv + 2);
        } else {
            fprintf(stderr, "error: unknown command \"%s\"\n\n", argv[1]);
            usage(stderr);
            status = 2;
        }
    }
    comms_finalize();
    return status;
}
