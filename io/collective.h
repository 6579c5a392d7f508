/* io/collective.h — MPI outcomes for io/: every MPI call is checked with IO_MPI_CHECK, which dies
   with MPI_Error_string's text (io/ cannot use comm/'s MPI_CHECK: it sits on a lower layer), and
   io_agree turns per-rank outcomes of a collective operation into one outcome on every rank. */
#ifndef CONCORD_IO_COLLECTIVE_H
#define CONCORD_IO_COLLECTIVE_H

#include <mpi.h>
#include <stdnoreturn.h>

#include "util/err.h"

/* Checks an MPI return code; on failure dies naming the call and MPI_Error_string's text. */
#define IO_MPI_CHECK(call)                                                \
    do {                                                                  \
        int io_mpi_rc_ = (call);                                          \
        if (io_mpi_rc_ != MPI_SUCCESS)                                    \
            io_mpi_fail(#call, io_mpi_rc_, __FILE__, __LINE__, __func__); \
    } while (0)

/* Dies with "call failed: <MPI error string>" at the caller's location (used by IO_MPI_CHECK). */
noreturn void io_mpi_fail(const char *call, int rc, const char *file, int line, const char *func);

/* This process's rank in comm (checked). */
int io_comm_rank(MPI_Comm comm);
/* The number of ranks of comm (checked). */
int io_comm_size(MPI_Comm comm);

/* Collective(comm): makes the outcome identical on every rank. If any rank failed (rc < 0), every
   rank returns -1 and e holds the message of the lowest failing rank; else returns 0. */
int io_agree(int rc, ErrMsg *e, MPI_Comm comm) WARN_UNUSED_RESULT;

/* Collective(comm), after io_agree said a parallel write of path failed (a full disk): rank 0
   truncates path to zero bytes, then every rank waits for it. The file is removed afterwards
   anyway; truncating it first gives back the space its data took, so that closing it (which
   writes HDF5's metadata, collectively) cannot fail on one rank and not another: parallel HDF5
   does not survive that, its ranks hang in different collectives. */
void io_discard_failed(const char *path, MPI_Comm comm);

#endif
