/* ranks/cmd_plot.c — `concord plot RUN_DIR`: turns RUN_DIR/metrics.jsonl into PNG charts with
   gnuplot in RUN_DIR/plots/ (one data file and one script per chart, kept next to the PNG so a
   chart can be restyled by hand): accuracy (greedy, maj@K, the models' vote), judge agreement and
   judge accuracy, kept-pair fraction, label accuracy of the kept pairs and of each single judge
   (measured against ground truth), and the training loss, per round; for an ensemble, each
   model's greedy accuracy beside the mean, the vote and the kept labels; with task levels, the
   greedy accuracy per level, one line per round. Accuracy charts keep a fixed 0-1 y axis so a
   few points' wobble does not look like a trend. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/metrics.h"
#include "ranks/commands.h"
#include "util/err.h"
#include "util/fs.h"

#define PLOT_MAX_ROUNDS 4096
#define PLOT_MAX_SERIES 6
#define PLOT_MAX_MODELS 64
#define PLOT_MAX_LEVELS 64

typedef struct {
    const char *file;  // plots/<file>.png
    const char *title, *ylabel;
    int unit;                             // an accuracy or fraction: y fixed to [0:1]
    const char *keys[PLOT_MAX_SERIES];    // metrics keys, NULL-terminated
    const char *labels[PLOT_MAX_SERIES];  // legend entries
} Chart;

static const Chart CHARTS[] = {
    {"accuracy",
     "Held-out accuracy",
     "accuracy",
     1,
     {"greedy_acc", "maj_acc", "vote_acc"},
     {"greedy", "maj@K", "models' vote"}},
    {"judges",
     "Judges",
     "fraction",
     1,
     {"judge_agreement", "judge_acc", "judge_self_acc"},
     {"pairwise judge agreement", "llm judge accuracy, held-out examples (balanced)",
      "llm judge accuracy, own answers (balanced)"}},
    {"kept", "Kept preference pairs", "fraction of candidates", 0, {"kept_fraction"}, {"kept"}},
    {"label_accuracy",
     "Label accuracy vs ground truth",
     "accuracy",
     1,
     {"label_accuracy", "label_accuracy_llm_judge", "label_accuracy_implicit",
      "label_accuracy_self_consistency"},
     {"kept pairs (ensemble)", "llm_judge alone", "implicit alone", "self_consistency alone"}},
    {"loss", "Training loss", "loss", 0, {"loss"}, {"mean loss"}},
};

static FILE *open_out(const char *dir, const char *file, const char *ext) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, file, ext);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
    return f;
}

// The script's common head; unit charts get a fixed [0:1] y axis instead of gnuplot's autoscale.
static void gp_head(FILE *f, const char *dir, const char *file, const char *title,
                    const char *xlabel, const char *ylabel, int unit) {
    fprintf(f, "set terminal png size 800,500\nset output '%s/%s.png'\n", dir, file);
    fprintf(f, "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\nset grid\n", title, xlabel,
            ylabel);
    fprintf(f,
            "set termoption noenhanced\nset key top right\nset xtics 1\n"
            "set datafile missing 'NaN'\n");
    if (unit) fprintf(f, "set yrange [0:1]\nset ytics 0.1\n");
}

// Every round chart spans all the file's rounds, so a series with one point still has an axis.
static void gp_rounds(FILE *f, const int *rounds, int n) {
    if (n <= 0) return;
    int lo = rounds[0], hi = rounds[0];
    for (int i = 1; i < n; i++) {
        if (rounds[i] < lo) lo = rounds[i];
        if (rounds[i] > hi) hi = rounds[i];
    }
    fprintf(f, "set xrange [%g:%g]\n", lo - (lo == hi ? 0.5 : 0.0), hi + (lo == hi ? 0.5 : 0.0));
}

static int run_gnuplot(const char *dir, const char *file) {
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s/%s.gp' 2>&1", dir, file);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "error: gnuplot failed on %s/%s.gp (status %d)\n", dir, file, rc);
        return -1;
    }
    return 0;
}

static void put_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, " %.6g", v);
    else
        fprintf(f, " NaN");
}

static int any_finite(const double *v, int n, int stride) {
    for (int i = 0; i < n; i++)
        if (isfinite(v[(size_t)i * stride])) return 1;
    return 0;
}

/* Writes plots/<chart>.dat and .gp and draws it; returns 0, 1 when skip_empty is set and no
   series has a value (nothing written), or -1 (message printed). */
static int write_chart(const char *dir, const char *metrics, const Chart *ch, int skip_empty) {
    static int rounds[PLOT_MAX_SERIES][PLOT_MAX_ROUNDS];
    static double vals[PLOT_MAX_SERIES][PLOT_MAX_ROUNDS];
    int n[PLOT_MAX_SERIES] = {0}, ns = 0, has[PLOT_MAX_SERIES] = {0}, nhas = 0;
    ErrMsg e;
    for (; ns < PLOT_MAX_SERIES && ch->keys[ns]; ns++) {
        n[ns] =
            metrics_read_column(metrics, ch->keys[ns], rounds[ns], vals[ns], PLOT_MAX_ROUNDS, &e);
        if (n[ns] < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return -1;
        }
        // a series without a single value (e.g. a judge not configured) is left out
        has[ns] = any_finite(vals[ns], n[ns], 1);
        nhas += has[ns];
    }
    if (!nhas && skip_empty) return 1;
    FILE *f = open_out(dir, ch->file, "dat");
    if (!f) return -1;
    fprintf(f, "# round");
    for (int s = 0; s < ns; s++) fprintf(f, " %s", ch->keys[s]);
    fputc('\n', f);
    for (int i = 0; i < n[0]; i++) {  // every key comes from the same lines
        fprintf(f, "%d", rounds[0][i]);
        for (int s = 0; s < ns; s++) put_num(f, i < n[s] ? vals[s][i] : NAN);
        fputc('\n', f);
    }
    fclose(f);
    if (!(f = open_out(dir, ch->file, "gp"))) return -1;
    gp_head(f, dir, ch->file, ch->title, "round", ch->ylabel, ch->unit);
    gp_rounds(f, rounds[0], n[0]);
    int plotted = 0;
    for (int s = 0; s < ns; s++) {
        if (!has[s]) continue;
        fprintf(f, "%s'%s/%s.dat' using 1:%d with linespoints lw 2 title \"%s\"",
                plotted++ ? ", " : "plot ", dir, ch->file, s + 2, ch->labels[s]);
    }
    if (!plotted) fprintf(f, "set yrange [0:1]\nplot [0:1] NaN title 'no data in this run'");
    fputc('\n', f);
    fclose(f);
    return run_gnuplot(dir, ch->file);
}

/* plots/ensemble_accuracy: each model's greedy accuracy (thin), their mean (thick), the vote and
   the kept labels' accuracy per round. Returns 0, 1 without a greedy_acc_by_model list, -1. */
static int write_ensemble(const char *dir, const char *metrics) {
    static int rounds[PLOT_MAX_ROUNDS], r2[PLOT_MAX_ROUNDS];
    static double by_model[PLOT_MAX_ROUNDS * PLOT_MAX_MODELS];
    static double extra[3][PLOT_MAX_ROUNDS];
    static const char *const keys[3] = {"greedy_acc", "vote_acc", "label_accuracy"};
    static const char *const labels[3] = {"mean of the models", "models' vote",
                                          "kept labels (label accuracy)"};
    static const char *const styles[3] = {"lw 4 lc rgb '#000000'", "lw 2 lc rgb '#d62728' dt 2",
                                          "lw 2 lc rgb '#2ca02c' dt 4"};
    ErrMsg e;
    int K = 0;
    int n = metrics_read_list(metrics, "greedy_acc_by_model", rounds, by_model, PLOT_MAX_ROUNDS,
                              PLOT_MAX_MODELS, &K, &e);
    if (n < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return -1;
    }
    if (K == 0) return 1;
    for (int s = 0; s < 3; s++) {
        if (metrics_read_column(metrics, keys[s], r2, extra[s], PLOT_MAX_ROUNDS, &e) < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return -1;
        }
    }
    FILE *f = open_out(dir, "ensemble_accuracy", "dat");
    if (!f) return -1;
    fprintf(f, "# round");
    for (int k = 0; k < K; k++) fprintf(f, " model_%d", k);
    for (int s = 0; s < 3; s++) fprintf(f, " %s", keys[s]);
    fputc('\n', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", rounds[i]);
        for (int k = 0; k < K; k++) put_num(f, by_model[(size_t)i * PLOT_MAX_MODELS + k]);
        for (int s = 0; s < 3; s++) put_num(f, extra[s][i]);
        fputc('\n', f);
    }
    fclose(f);
    if (!(f = open_out(dir, "ensemble_accuracy", "gp"))) return -1;
    char title[64];
    snprintf(title, sizeof title, "Ensemble of %d models: greedy accuracy", K);
    gp_head(f, dir, "ensemble_accuracy", title, "round (0 = SFT)", "accuracy", 1);
    fprintf(f, "set key below\n");  // the legend's long names beside the plot squeeze it
    gp_rounds(f, rounds, n);
    int plotted = 0;
    for (int k = 0; k < K; k++) {
        if (!any_finite(by_model + k, n, PLOT_MAX_MODELS)) continue;
        fprintf(f,
                "%s'%s/ensemble_accuracy.dat' using 1:%d with linespoints lw 1 pt 7 ps 0.5 "
                "title 'model %d'",
                plotted++ ? ", \\\n  " : "plot ", dir, k + 2, k);
    }
    for (int s = 0; s < 3; s++) {
        if (!any_finite(extra[s], n, 1)) continue;
        fprintf(f, "%s'%s/ensemble_accuracy.dat' using 1:%d with linespoints %s title \"%s\"",
                plotted++ ? ", \\\n  " : "plot ", dir, K + 2 + s, styles[s], labels[s]);
    }
    if (!plotted) fprintf(f, "plot [0:1] NaN title 'no data in this run'");
    fputc('\n', f);
    fclose(f);
    return run_gnuplot(dir, "ensemble_accuracy");
}

/* plots/accuracy_by_level: x = level, y = greedy accuracy, one line per round (darker = later),
   so the solved length's growth shows. Returns 0, 1 without accuracy_by_level, -1. */
static int write_levels(const char *dir, const char *metrics) {
    static int rounds[PLOT_MAX_ROUNDS], levels[PLOT_MAX_LEVELS];
    static double acc[PLOT_MAX_ROUNDS * PLOT_MAX_LEVELS];
    ErrMsg e;
    int L = 0;
    int n = metrics_read_levels(metrics, "accuracy_by_level", rounds, levels, acc, PLOT_MAX_ROUNDS,
                                PLOT_MAX_LEVELS, &L, &e);
    if (n < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return -1;
    }
    if (L == 0) return 1;
    FILE *f = open_out(dir, "accuracy_by_level", "dat");
    if (!f) return -1;
    fprintf(f, "# level");  // one column per metrics line (round)
    for (int i = 0; i < n; i++) fprintf(f, " round_%d", rounds[i]);
    fputc('\n', f);
    for (int j = 0; j < L; j++) {
        fprintf(f, "%d", levels[j]);
        for (int i = 0; i < n; i++) put_num(f, acc[(size_t)i * PLOT_MAX_LEVELS + j]);
        fputc('\n', f);
    }
    fclose(f);
    if (!(f = open_out(dir, "accuracy_by_level", "gp"))) return -1;
    gp_head(f, dir, "accuracy_by_level", "Greedy accuracy per level, by round", "level",
            "greedy accuracy", 1);
    fprintf(f, "set key outside right\nset xrange [%g:%g]\n", levels[0] - 0.5, levels[L - 1] + 0.5);
    int plotted = 0, nr = 0;
    for (int i = 0; i < n; i++) nr += rounds[i] > 0;
    for (int i = 0, r = 0; i < n; i++) {
        if (!any_finite(acc + (size_t)i * PLOT_MAX_LEVELS, L, 1)) continue;
        char style[64], title[32];
        if (rounds[i] <= 0) {
            snprintf(style, sizeof style, "lw 2 dt 2 lc rgb '#555555'");
            snprintf(title, sizeof title, "SFT");
        } else {  // light to dark blue as rounds go on
            double t = nr > 1 ? (double)r++ / (nr - 1) : 1.0;
            snprintf(style, sizeof style, "lw 2 lc rgb '#%02x%02x%02x'", (int)(158 - 150 * t),
                     (int)(202 - 154 * t), (int)(225 - 118 * t));
            snprintf(title, sizeof title, "round %d", rounds[i]);
        }
        fprintf(f, "%s'%s/accuracy_by_level.dat' using 1:%d with linespoints pt 7 %s title \"%s\"",
                plotted++ ? ", \\\n  " : "plot ", dir, i + 2, style, title);
    }
    if (!plotted) fprintf(f, "plot NaN title 'no data in this run'");
    fputc('\n', f);
    fclose(f);
    return run_gnuplot(dir, "accuracy_by_level");
}

int cmd_plot(int argc, char **argv) {
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(argc == 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr,
                "usage: concord plot RUN_DIR   (PNG charts of RUN_DIR/metrics.jsonl in "
                "RUN_DIR/plots)\n");
        return argc == 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr,
                "error: concord plot needs gnuplot, which is not installed\nHINT: apt-get "
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
    ErrMsg why;
    if (fs_mkdir_p(dir, &why) != 0) {
        fprintf(stderr, "error: %s\n", why.msg);
        return 2;
    }
    // An ensemble's top-level file has no judge or loss keys (those live in model_k/): charts
    // with nothing to show are left out there instead of drawn empty.
    int ensemble = 0;
    {
        static int rounds[PLOT_MAX_ROUNDS];
        static double models[PLOT_MAX_ROUNDS];
        ErrMsg e;
        if (metrics_read_column(metrics, "models", rounds, models, PLOT_MAX_ROUNDS, &e) < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return 2;
        }
        ensemble = isfinite(models[0]) && models[0] > 1;
    }
    for (size_t i = 0; i < sizeof CHARTS / sizeof CHARTS[0]; i++) {
        int rc = write_chart(dir, metrics, &CHARTS[i], ensemble);
        if (rc < 0) return 2;
        if (rc == 0) printf("%s/%s.png\n", dir, CHARTS[i].file);
    }
    int rc = write_ensemble(dir, metrics);
    if (rc < 0) return 2;
    if (rc == 0) printf("%s/ensemble_accuracy.png\n", dir);
    if ((rc = write_levels(dir, metrics)) < 0) return 2;
    if (rc == 0) printf("%s/accuracy_by_level.png\n", dir);
    return 0;
}
