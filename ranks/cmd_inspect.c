/* ranks/cmd_inspect.c — `concord inspect FILE`: summarise a checkpoint or a preference round file
   (the kind comes from the file's root attribute `format`); see io/inspect.h for what is shown.
   `concord inspect --verify FILE` checks every dataset's checksum instead: exit 0 when all match,
   1 when any does not, 2 when the file cannot be checked (missing, not concord's, incomplete,
   written before checksums) or the arguments are wrong. */
#include <stdio.h>
#include <string.h>

#include "io/inspect.h"
#include "ranks/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord inspect [--verify] FILE\n"
            "  FILE is a checkpoint (run_dir/ckpt/round_NNNN.h5) or a preference round file\n"
            "  (run_dir/prefs/round_NNNN.h5). Prints its metadata, tensor norms or round\n"
            "  statistics and example pairs.\n"
            "  --verify  check the crc32 checksum of every dataset instead (one line each);\n"
            "            exit 0 if all match, 1 if any does not, 2 if FILE cannot be checked.\n");
}

int cmd_inspect(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    int verify = argc >= 1 && strcmp(argv[0], "--verify") == 0;
    if (argc != 1 + verify) {
        fprintf(stderr, "error: inspect: expected 1 argument (FILE) or 2 (--verify FILE), got %d\n",
                argc);
        usage(stderr);
        return 2;
    }
    ErrMsg e = {{0}};
    if (verify) {
        int failed = 0;
        if (inspect_verify(argv[1], stdout, &failed, &e) < 0) {
            fflush(stdout);
            fprintf(stderr, "error: %s\n", e.msg);
            return 2;
        }
        return failed ? 1 : 0;
    }
    if (inspect_file(argv[0], stdout, &e) < 0) {
        fflush(stdout);
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    return 0;
}
