/* io/collective.c — checked MPI calls and collective outcomes for io/; see collective.h. */
#include "io/collective.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

void io_mpi_fail(const char *call, int rc, const char *file, int line, const char *func) {
    char text[MPI_MAX_ERROR_STRING + 1] = "unknown MPI error";
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", rc);
    die_at(file, line, func, "%s failed: %s", call, text);
}

int io_comm_rank(MPI_Comm comm) {
    int rank = 0;
    IO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    return rank;
}

int io_comm_size(MPI_Comm comm) {
    int size = 0;
    IO_MPI_CHECK(MPI_Comm_size(comm, &size));
    return size;
}

int io_agree(int rc, ErrMsg *e, MPI_Comm comm) {
    int mine = rc < 0 ? io_comm_rank(comm) : INT_MAX, first = INT_MAX;
    IO_MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
    if (first == INT_MAX) return 0;
    IO_MPI_CHECK(MPI_Bcast(e->msg, (int)sizeof e->msg, MPI_CHAR, first, comm));
    return -1;
}

void io_discard_failed(const char *path, MPI_Comm comm) {
    // If this fails the close may fail as the write did; the caller removes the file either way.
    if (io_comm_rank(comm) == 0 && truncate(path, 0) != 0) errno = 0;
    IO_MPI_CHECK(MPI_Barrier(comm));
}
