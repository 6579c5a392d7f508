/* ranks/watchdog.c — heartbeat files and the thread that watches them; see watchdog.h. */
#include "ranks/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "comm/comms.h"
#include "ranks/run.h"
#include "util/alloc.h"
#include "util/fs.h"

#define BEAT_BYTES    256  // every heartbeat file is exactly this long (rewritten in place)
#define BEAT_FIELD    64   // capacity of the phase, host and label fields
#define BEAT_DIR_MAX  (CONFIG_PATH_MAX + 16)  // DIR/.heartbeat
#define BEAT_PATH_MAX (BEAT_DIR_MAX + 32)     // DIR/.heartbeat/rank_N

/* What a watcher knows about one watched rank. */
typedef struct {
    int rank;               // world rank watched
    double grace;           // seconds without change before it counts as stuck
    char last[BEAT_BYTES];  // the file's content when last read ("" = never read)
    double changed_at;      // watcher's clock when the content last changed (or start)
    int done;               // the rank finished normally (its file says "state done")
} Watched;

static struct {
    int on;
    pthread_t thread;
    pthread_mutex_t mu;   // guards everything below that the two threads share
    pthread_cond_t wake;  // signalled by watchdog_stop
    int stopping;
    unsigned long long seq;  // heartbeat sequence number, +1 per write
    char phase[BEAT_FIELD];
    char label[BEAT_FIELD];
    char host[BEAT_FIELD];
    char dir[BEAT_DIR_MAX];
    char path[BEAT_PATH_MAX];  // this rank's file
    int rank, size;            // world rank and size
    double timeout, period;
    int n_watched;
    Watched *watched;  // (n_watched) the thread's alone
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void rank_path(char out[BEAT_PATH_MAX], int rank) {
    snprintf(out, BEAT_PATH_MAX, "%s/rank_%d", wd.dir, rank);
}

/* Rewrites this rank's file in place (one pwrite of BEAT_BYTES; opened and closed each time so a
   reader on another node sees the new content: NFS's close-to-open rule). Caller holds wd.mu.
   Returns 0 or -1 with errno set. */
static int write_beat(const char *state) {
    char buf[BEAT_BYTES];
    wd.seq++;
    int n = snprintf(buf, sizeof buf,
                     "concord heartbeat\nseq %llu\nstate %s\nphase %s\npid %ld\n"
                     "host %s\nlabel %s\n",
                     wd.seq, state, wd.phase, (long)getpid(), wd.host, wd.label);
    if (n < 0 || n >= BEAT_BYTES) n = BEAT_BYTES - 1;
    memset(buf + n, ' ', (size_t)(BEAT_BYTES - 1 - n));  // fixed length: no stale tail
    buf[BEAT_BYTES - 1] = '\n';
    int fd = open(wd.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    ssize_t w = pwrite(fd, buf, BEAT_BYTES, 0);
    int saved = errno;
    if (close(fd) != 0 && w == BEAT_BYTES) return -1;
    errno = saved;
    return w == BEAT_BYTES ? 0 : -1;
}

/* Reads rank's file into buf (BEAT_BYTES, NUL-terminated). Returns 1 read, 0 absent, -1 other. */
static int read_beat(int rank, char *buf) {
    char path[BEAT_PATH_MAX];
    rank_path(path, rank);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    ssize_t got = pread(fd, buf, BEAT_BYTES - 1, 0);
    close(fd);
    if (got <= 0) return -1;
    buf[got] = '\0';
    return 1;
}

/* The value of "key value" line `key` in a heartbeat, or "?" (a torn or foreign file). */
static const char *beat_field(const char *beat, const char *key, char *out, size_t size) {
    size_t klen = strlen(key);
    const char *line = beat;
    while (*line) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            const char *v = line + klen + 1;
            size_t len = strcspn(v, "\n");
            while (len > 0 && v[len - 1] == ' ') len--;
            snprintf(out, size, "%.*s", (int)len, v);
            return out;
        }
        const char *eol = strchr(line, '\n');
        if (!eol) break;
        line = eol + 1;
    }
    snprintf(out, size, "?");
    return out;
}

/* One look at a watched rank: updates its state; 1 when it now counts as stuck. */
static int look(Watched *w, double now) {
    if (w->done) return 0;
    char buf[BEAT_BYTES];
    if (read_beat(w->rank, buf) == 1 && strcmp(buf, w->last) != 0) {
        memcpy(w->last, buf, sizeof buf);
        w->changed_at = now;
        char state[BEAT_FIELD];
        if (strcmp(beat_field(buf, "state", state, sizeof state), "done") == 0) w->done = 1;
    }
    return !w->done && now - w->changed_at > w->grace;
}

/* Prints the one message about w and ends the job. */
static void report_and_end(const Watched *w, double now) {
    char phase[BEAT_FIELD] = "start", label[BEAT_FIELD] = "no heartbeat yet", pid[32] = "?",
         host[BEAT_FIELD] = "?";
    if (w->last[0]) {
        beat_field(w->last, "phase", phase, sizeof phase);
        beat_field(w->last, "label", label, sizeof label);
        beat_field(w->last, "pid", pid, sizeof pid);
        beat_field(w->last, "host", host, sizeof host);
    }
    fprintf(stderr,
            "error: rank %d (%s) has not progressed for %.0f s in phase %s (pid %s on %s); ending "
            "the job (the last checkpoint is intact)\n",
            w->rank, label, now - w->changed_at, phase, pid, host);
    fflush(NULL);
    comms_abort_from_thread(EXIT_FAILURE_RUN);
}

static void *watchdog_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&wd.mu);
    while (!wd.stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double next = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec + wd.period;
        until.tv_sec = (time_t)next;
        until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
        int rc = 0;
        while (!wd.stopping && rc != ETIMEDOUT)  // a spurious wake-up waits again
            rc = pthread_cond_timedwait(&wd.wake, &wd.mu, &until);
        if (wd.stopping) break;
        (void)write_beat("running");  // a file system that refuses it is noticed by the watchers
        pthread_mutex_unlock(&wd.mu);
        double now = now_seconds();
        for (int i = 0; i < wd.n_watched; i++)
            if (look(&wd.watched[i], now)) report_and_end(&wd.watched[i], now);
        pthread_mutex_lock(&wd.mu);
    }
    pthread_mutex_unlock(&wd.mu);
    return NULL;
}

// Collective part of start-up: 0 when every rank wrote its first heartbeat, else -1 on every rank
// after the lowest failing rank printed its message (e).
static int agree(int bad, int rank, MPI_Comm world, const ErrMsg *e) {
    int mine = bad ? rank : INT_MAX, first = INT_MAX;
    MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, world));
    if (first == INT_MAX) return 0;
    if (first == rank) fprintf(stderr, "error: %s\n", e->msg);
    return -1;
}

int watchdog_start(const char *dir, double timeout, MPI_Comm world, const char *label) {
    if (timeout <= 0 || wd.on) return 0;
    ErrMsg err = {{0}}, *e = &err;
    int rank, size;
    MPI_CHECK(MPI_Comm_rank(world, &rank));
    MPI_CHECK(MPI_Comm_size(world, &size));
    snprintf(wd.dir, sizeof wd.dir, "%s/.heartbeat", dir);
    rank_path(wd.path, rank);
    wd.rank = rank;
    wd.size = size;
    wd.timeout = timeout;
    wd.period = timeout / 4;
    wd.seq = 0;
    wd.stopping = 0;
    snprintf(wd.phase, sizeof wd.phase, "start");
    snprintf(wd.label, sizeof wd.label, "%s", label);
    if (gethostname(wd.host, sizeof wd.host) != 0) snprintf(wd.host, sizeof wd.host, "?");
    wd.host[sizeof wd.host - 1] = '\0';
    int bad = fs_mkdir_p(wd.dir, e) != 0;
    if (!bad) {
        pthread_mutex_lock(&wd.mu);
        bad = write_beat("running") != 0;
        pthread_mutex_unlock(&wd.mu);
        if (bad)
            err_set(e, "%s: cannot write the heartbeat (run.stuck_timeout): %s", wd.path,
                    strerror(errno));
    }
    if (agree(bad, rank, world, e) != 0) return -1;  // the same on every rank
    // rank 0 watches everyone; rank N >= 1 watches rank N - 1 (see watchdog.h)
    wd.n_watched = rank == 0 ? size - 1 : 1;
    wd.watched =
        xcalloc("watchdog", (size_t)(wd.n_watched > 0 ? wd.n_watched : 1), sizeof(Watched));
    double start = now_seconds();
    for (int i = 0; i < wd.n_watched; i++) {
        Watched *w = &wd.watched[i];
        w->rank = rank == 0 ? i + 1 : rank - 1;
        w->grace = rank <= 1 ? timeout : 2 * timeout;
        w->changed_at = start;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd.wake, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&wd.thread, NULL, watchdog_main, NULL);
    if (rc != 0) die("run.stuck_timeout: cannot start the watchdog thread: %s", strerror(rc));
    wd.on = 1;
    return 0;
}

void watchdog_phase(const char *phase) {
    if (!wd.on) return;
    pthread_mutex_lock(&wd.mu);
    snprintf(wd.phase, sizeof wd.phase, "%s", phase);
    (void)write_beat("running");
    pthread_mutex_unlock(&wd.mu);
}

void watchdog_stop(MPI_Comm world) {
    if (!wd.on) return;
    pthread_mutex_lock(&wd.mu);
    wd.stopping = 1;
    (void)write_beat("done");  // a rank that finishes first is not taken for a stuck one
    pthread_cond_signal(&wd.wake);
    pthread_mutex_unlock(&wd.mu);
    pthread_join(wd.thread, NULL);
    pthread_cond_destroy(&wd.wake);
    xfree(wd.watched);
    wd.watched = NULL;
    wd.on = 0;
    // every thread has stopped reading once all ranks are here: rank 0 removes the files
    MPI_CHECK(MPI_Barrier(world));
    if (wd.rank != 0) return;
    for (int r = 0; r < wd.size; r++) {
        char path[BEAT_PATH_MAX];
        rank_path(path, r);
        unlink(path);
    }
    rmdir(wd.dir);
}
