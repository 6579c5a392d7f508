/* ranks/watchdog.h — noticing a rank that stopped without dying (run.stuck_timeout).
   A rank that is frozen (SIGSTOP, a hung node, a file system that never answers) does not fail:
   the others simply wait for it in their next collective until the Slurm wall time runs out.
   With run.stuck_timeout = T > 0 every rank runs a small thread that
     - beats: every T/4 s it rewrites its heartbeat file DIR/.heartbeat/rank_N (N = world rank)
       with a new sequence number, the rank's current phase, pid, host and role label. A frozen
       process's threads all stop, so its file stops changing; a rank busy in a long computation
       keeps beating. The main thread also rewrites the file at each phase change
       (watchdog_phase), so the file names the phase the rank stopped in;
     - watches: world rank 0 reads every other rank's file, each rank N >= 1 reads rank N - 1's
       (rank 1 is how a stuck rank 0 is noticed; ranks >= 2 are a back-stop, with a grace of 2T,
       for when ranks 0 and 1 are stuck together, e.g. on one hung node). A file whose content
       has not changed for T s of the watcher's own monotonic clock (no comparison of clocks
       between nodes) marks its rank as stuck; the watcher prints one message naming the rank,
       its label, phase, pid and host, and ends the job with status 1 (comms_abort_from_thread).
   The files live in the run directory, on the file system every node shares already. At a
   normal end each rank marks its file "done" (watchers ignore it from then on) and, once all
   have, rank 0 removes the files and the directory. Cost per rank and T/4 s: one 256-byte file
   rewrite and one read (W - 1 reads on rank 0), plus one rewrite per phase change; no MPI
   traffic. Off (T = 0, the default): no thread and no file.
   Only a stop of the whole process is noticed, not a main thread that loops forever while the
   process lives; the run is watched from watchdog_start (after the config is loaded) to
   watchdog_stop. */
#ifndef CONCORD_RANKS_WATCHDOG_H
#define CONCORD_RANKS_WATCHDOG_H

#include <mpi.h>

#include "util/err.h"

/* Collective over world (every rank of the job, MPI_COMM_WORLD). Starts the watchdog when
   timeout > 0 (else does nothing and returns 0): creates dir/.heartbeat, writes this rank's first
   heartbeat in phase "start" and starts the thread. label is the rank's role label as messages
   show it (e.g. "m1 gen+jdg+lrn"). Every rank passes the same dir and timeout. Returns 0, or -1
   on every rank when a rank cannot create the directory or write its heartbeat: the lowest such
   rank prints one message naming the path, and nothing is started. */
int watchdog_start(const char *dir, double timeout, MPI_Comm world,
                   const char *label) WARN_UNUSED_RESULT;

/* Main thread: records the phase this rank enters (a short name such as "judge") and rewrites its
   heartbeat at once. Does nothing when the watchdog is off. */
void watchdog_phase(const char *phase);

/* Collective over world (the communicator given to watchdog_start), at a normal end: marks this
   rank done (watchers ignore it from then on), stops the thread; once every rank has, rank 0
   removes the heartbeat files and the directory. Does nothing when the watchdog is off. */
void watchdog_stop(MPI_Comm world);

#endif
