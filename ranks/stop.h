/* ranks/stop.h — ending a run cleanly at a step boundary. Three causes:
     - a file named STOP in the run directory (the user's request; exit status 0),
     - run.max_wall_seconds elapsed since the allocation started (SLURM_JOB_START_TIME when set,
       else program start; exit status EXIT_REQUEUE so a job chain continues),
     - SIGTERM or SIGUSR1 (Slurm's preemption and time-limit warnings; EXIT_REQUEUE).
   A signal only sets a flag; stop_poll is a cheap collective (one MPI_Allreduce of an int) that
   every rank of the communicator calls at the same step boundary, so all ranks agree and none is
   left waiting in a collective. */
#ifndef CONCORD_RANKS_STOP_H
#define CONCORD_RANKS_STOP_H

#include <mpi.h>

typedef enum { STOP_NONE = 0, STOP_FILE = 1, STOP_WALL = 2, STOP_SIGNAL = 3 } StopReason;

/* Installs the SIGTERM/SIGUSR1 handlers (only set a flag). Called first thing in main, before
   MPI starts, so a preemption signal during start-up is not fatal; stop_init installs them again. */
void stop_install_handlers(void);
/* Installs the handlers and fixes the STOP file path and the wall-clock origin. */
void stop_init(const char *run_dir, double max_wall_seconds);
/* Collective(comm): the strongest reason any rank sees (the STOP file and the wall clock are
   checked by the communicator's rank 0 only, as clocks and file views differ between nodes). */
StopReason stop_poll(MPI_Comm comm);
/* Exit status for a reason (0 for STOP_NONE and STOP_FILE, EXIT_REQUEUE otherwise). */
int stop_exit_status(StopReason r);
/* Human-readable reason. */
const char *stop_reason_name(StopReason r);
/* 1 once a signal arrived in this process (no communication). */
int stop_signal_seen(void);

#endif
