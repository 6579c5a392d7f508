/* ranks/cmd_inspect.c — `concord inspect FILE`: summarise a checkpoint or a preference round file
   (the kind comes from the file's root attribute `format`); see io/inspect.h for what is shown. */
#include <stdio.h>
#include <string.h>

#include "io/inspect.h"
#include "ranks/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord inspect FILE\n"
            "  FILE is a checkpoint (run_dir/ckpt/round_NNNN.h5) or a preference round file\n"
            "  (run_dir/prefs/round_NNNN.h5). Prints its metadata, tensor norms or round\n"
            "  statistics and example pairs.\n");
}

int cmd_inspect(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    if (argc != 1) {
        fprintf(stderr, "error: inspect: expected 1 argument (FILE), got %d\n", argc);
        usage(stderr);
        return 2;
    }
    ErrMsg e = {{0}};
    if (inspect_file(argv[0], stdout, &e) < 0) {
        fflush(stdout);
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    return 0;
}
