/* util/fault.c — fault-injection points; see fault.h. */
#include "util/fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

#define FAULT_MAX_POINTS 32

typedef struct {
    char name[64];
    long fire_at;  // 1-based hit count at which to fire
    long hits;     // times reached so far
} FaultSpec;

static FaultSpec faults[FAULT_MAX_POINTS];
static int n_faults = -1;  // -1: environment not read yet
static int fault_rank = 0;

void fault_set_rank(int rank) { fault_rank = rank; }

static void parse_env(void) {
    n_faults = 0;
    const char *env = getenv("CONCORD_FAULT");
    if (!env || !*env) return;
    const char *only = getenv("CONCORD_FAULT_RANK");
    if (only && *only && atoi(only) != fault_rank) return;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", env);
    for (char *tok = strtok(buf, ","); tok && n_faults < FAULT_MAX_POINTS;
         tok = strtok(NULL, ",")) {
        FaultSpec *f = &faults[n_faults++];
        char *at = strchr(tok, '@');
        f->fire_at = 1;
        if (at) {
            *at = '\0';
            f->fire_at = atol(at + 1) > 0 ? atol(at + 1) : 1;
        }
        snprintf(f->name, sizeof f->name, "%s", tok);
        f->hits = 0;
    }
}

int fault_flag(const char *name) {
    const char *action = getenv("CONCORD_FAULT_ACTION");
    if (!action || strcmp(action, "flag") != 0) return 0;
    if (n_faults < 0) parse_env();
    for (int i = 0; i < n_faults; i++)
        if (strcmp(faults[i].name, name) == 0 && ++faults[i].hits == faults[i].fire_at) return 1;
    return 0;
}

void fault_point(const char *name) {
    if (n_faults < 0) parse_env();
    for (int i = 0; i < n_faults; i++) {
        if (strcmp(faults[i].name, name) != 0) continue;
        const char *action = getenv("CONCORD_FAULT_ACTION");
        if (action && strcmp(action, "flag") == 0) continue;  // fault_flag's points
        if (++faults[i].hits != faults[i].fire_at) continue;
        if (action && strcmp(action, "die") == 0) die("fault injection at %s", faults[i].name);
        if (action && strcmp(action, "sleep") == 0) {  // alive but busy, like a long phase
            const char *secs = getenv("CONCORD_FAULT_SLEEP");
            unsigned n = secs && atoi(secs) > 0 ? (unsigned)atoi(secs) : 10;
            fprintf(stderr, "fault injection: sleeping %u s at %s (hit %ld)\n", n, faults[i].name,
                    faults[i].hits);
            while (n > 0) n = sleep(n);  // a signal ends sleep() early; keep sleeping
            continue;
        }
        if (action && strcmp(action, "stop") == 0) {  // alive but frozen, like a hung node
            fprintf(stderr, "fault injection: SIGSTOP at %s (hit %ld)\n", faults[i].name,
                    faults[i].hits);
            fflush(NULL);
            raise(SIGSTOP);
            continue;
        }
        if (action && strcmp(action, "sigterm") == 0) {
            fprintf(stderr, "fault injection: SIGTERM at %s (hit %ld)\n", faults[i].name,
                    faults[i].hits);
            raise(SIGTERM);
            continue;
        }
        fprintf(stderr, "fault injection: SIGKILL at %s (hit %ld)\n", faults[i].name,
                faults[i].hits);
        fflush(NULL);
        kill(getpid(), SIGKILL);
    }
}
