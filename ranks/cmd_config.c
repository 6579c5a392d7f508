/* ranks/cmd_config.c — `concord config`: prints the full default config (--defaults), the meaning
   of every key (--keys), or the resolved config of a file with --set overrides applied. */
#include <stdio.h>
#include <string.h>

#include "io/config.h"
#include "ranks/commands.h"
#include "ranks/cli.h"
#include "util/alloc.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord config --defaults | --keys | CONFIG [--set key.path=value ...]\n"
            "  --defaults   print the complete default config as JSON\n"
            "  --keys       describe every key: type, default, range, meaning\n"
            "  CONFIG       print CONFIG resolved (defaults filled in, --set applied)\n");
}

int cmd_config(int argc, char **argv) {
    if (argc == 1 && strcmp(argv[0], "--defaults") == 0) {
        char *json = config_defaults_json();
        fputs(json, stdout);
        xfree(json);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "--keys") == 0) {
        char *text = config_help_text();
        fputs(text, stdout);
        xfree(text);
        return 0;
    }
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 1 || argv[0][0] == '-') {
        usage(stderr);
        return 2;
    }
    CliSets sets;
    if (cli_collect_sets(&sets, argc - 1, argv + 1, "config") != 0) return 2;
    Config cfg;
    ErrMsg e;
    if (config_load(&cfg, argv[0], (const char *const *)sets.items, sets.n, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    char *json = config_to_json(&cfg);
    fputs(json, stdout);
    xfree(json);
    return 0;
}
