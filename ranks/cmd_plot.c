/* ranks/cmd_plot.c — `concord plot RUN_DIR`: turns RUN_DIR/metrics.jsonl into PNG charts with
   gnuplot in RUN_DIR/plots/ (one data file and one script per chart, kept next to the PNG so a
   chart can be restyled by hand): accuracy (greedy, maj@K), judge agreement and judge accuracy,
   kept-pair fraction, label accuracy of the kept pairs and of each single judge (measured against
   ground truth), and the training loss, per round. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/metrics.h"
#include "ranks/commands.h"
#include "util/err.h"

#define PLOT_MAX_ROUNDS 4096
#define PLOT_MAX_SERIES 6

typedef struct {
    const char *file;                     // plots/<file>.png
    const char *title, *ylabel;
    const char *keys[PLOT_MAX_SERIES];    // metrics keys, NULL-terminated
    const char *labels[PLOT_MAX_SERIES];  // legend entries
} Chart;

static const Chart CHARTS[] = {
    {"accuracy", "Held-out accuracy", "accuracy", {"greedy_acc", "maj_acc"}, {"greedy", "maj@K"}},
    {"judges", "Judges", "fraction", {"judge_agreement", "judge_acc", "judge_self_acc"},
     {"pairwise judge agreement", "llm judge accuracy, held-out examples (balanced)",
      "llm judge accuracy, own answers (balanced)"}},
    {"kept", "Kept preference pairs", "fraction of candidates", {"kept_fraction"}, {"kept"}},
    {"label_accuracy", "Label accuracy vs ground truth", "accuracy",
     {"label_accuracy", "label_accuracy_llm_judge", "label_accuracy_implicit",
      "label_accuracy_self_consistency"},
     {"kept pairs (ensemble)", "llm_judge alone", "implicit alone", "self_consistency alone"}},
    {"loss", "Training loss", "loss", {"loss"}, {"mean loss"}},
};

// Writes plots/<chart>.dat and .gp; returns 0 or -1 (message printed).
static int write_chart(const char *dir, const char *metrics, const Chart *ch) {
    static int rounds[PLOT_MAX_SERIES][PLOT_MAX_ROUNDS];
    static double vals[PLOT_MAX_SERIES][PLOT_MAX_ROUNDS];
    int n[PLOT_MAX_SERIES] = {0}, ns = 0;
    ErrMsg e;
    for (; ns < PLOT_MAX_SERIES && ch->keys[ns]; ns++) {
        n[ns] = metrics_read_column(metrics, ch->keys[ns], rounds[ns], vals[ns], PLOT_MAX_ROUNDS, &e);
        if (n[ns] < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return -1;
        }
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.dat", dir, ch->file);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# round");
    for (int s = 0; s < ns; s++) fprintf(f, " %s", ch->keys[s]);
    fputc('\n', f);
    for (int i = 0; i < n[0]; i++) {  // every key comes from the same lines
        fprintf(f, "%d", rounds[0][i]);
        for (int s = 0; s < ns; s++) {
            if (i < n[s] && isfinite(vals[s][i])) fprintf(f, " %.6g", vals[s][i]);
            else fprintf(f, " NaN");
        }
        fputc('\n', f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.gp", dir, ch->file);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "set terminal png size 800,500\nset output '%s/%s.png'\n", dir, ch->file);
    fprintf(f, "set title '%s'\nset xlabel 'round'\nset ylabel '%s'\nset grid\n", ch->title,
            ch->ylabel);
    fprintf(f, "set termoption noenhanced\nset key top right\nset xtics 1\n"
               "set datafile missing 'NaN'\n");
    int plotted = 0;
    for (int s = 0; s < ns; s++) {
        int any = 0;  // a series without a single value (e.g. a judge not configured) is left out
        for (int i = 0; i < n[s]; i++) any |= isfinite(vals[s][i]);
        if (!any) continue;
        fprintf(f, "%s'%s/%s.dat' using 1:%d with linespoints lw 2 title '%s'",
                plotted++ ? ", " : "plot ", dir, ch->file, s + 2, ch->labels[s]);
    }
    if (!plotted) fprintf(f, "set yrange [0:1]\nplot [0:1] NaN title 'no data in this run'");
    fputc('\n', f);
    fclose(f);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", path);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "error: gnuplot failed on %s (status %d)\n", path, rc);
        return -1;
    }
    return 0;
}

int cmd_plot(int argc, char **argv) {
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(argc == 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr,
                "usage: concord plot RUN_DIR   (PNG charts of RUN_DIR/metrics.jsonl in RUN_DIR/plots)\n");
        return argc == 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "error: concord plot needs gnuplot, which is not installed\nHINT: apt-get "
                        "install gnuplot-nox (scripts/bootstrap.sh installs it)\n");
        return 2;
    }
    char metrics[4096], dir[4096];
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", argv[0]);
    snprintf(dir, sizeof dir, "%s/plots", argv[0]);
    FILE *probe = fopen(metrics, "r");
    if (!probe) {
        fprintf(stderr, "error: %s: %s (is %s a concord run directory?)\n", metrics,
                strerror(errno), argv[0]);
        return 2;
    }
    fclose(probe);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create %s: %s\n", dir, strerror(errno));
        return 2;
    }
    for (size_t i = 0; i < sizeof CHARTS / sizeof CHARTS[0]; i++) {
        if (write_chart(dir, metrics, &CHARTS[i]) != 0) return 2;
        printf("%s/%s.png\n", dir, CHARTS[i].file);
    }
    return 0;
}
