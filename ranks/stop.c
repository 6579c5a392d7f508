/* ranks/stop.c — STOP file, wall-clock budget and preemption signals; see stop.h. */
#include "ranks/stop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "comm/comms.h"
#include "ranks/run.h"

static volatile sig_atomic_t signal_flag = 0;
static char stop_path[1100];
static double wall_origin = 0.0;  // unix seconds
static double wall_budget = 0.0;  // seconds; 0 = unlimited

static void on_signal(int sig) {
    (void)sig;
    signal_flag = 1;
}

static double unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void stop_install_handlers(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

void stop_init(const char *run_dir, double max_wall_seconds) {
    stop_install_handlers();
    snprintf(stop_path, sizeof stop_path, "%s/STOP", run_dir);
    wall_budget = max_wall_seconds;
    wall_origin = unix_now();
    const char *job_start = getenv("SLURM_JOB_START_TIME");  // the allocation's start, unix s
    if (job_start && atof(job_start) > 0 && atof(job_start) <= wall_origin)
        wall_origin = atof(job_start);
}

StopReason stop_poll(MPI_Comm comm) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    int mine = signal_flag ? STOP_SIGNAL : STOP_NONE;
    if (rank == 0 && mine == STOP_NONE) {
        if (wall_budget > 0 && unix_now() - wall_origin >= wall_budget)
            mine = STOP_WALL;
        else if (access(stop_path, F_OK) == 0)
            mine = STOP_FILE;
    }
    int all = mine;
    MPI_CHECK(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm));
    return (StopReason)all;
}

int stop_exit_status(StopReason r) {
    return r == STOP_WALL || r == STOP_SIGNAL ? EXIT_REQUEUE : EXIT_OK;
}

const char *stop_reason_name(StopReason r) {
    switch (r) {
        case STOP_FILE: return "STOP file";
        case STOP_WALL: return "run.max_wall_seconds reached";
        case STOP_SIGNAL: return "SIGTERM/SIGUSR1";
        default: return "none";
    }
}

int stop_signal_seen(void) { return signal_flag != 0; }
