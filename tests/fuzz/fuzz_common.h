/* tests/fuzz/fuzz_common.h — what every libFuzzer harness of concord shares.
   - MPI: the HDF5 readers open files through MPI-IO, so each harness calls fuzz_mpi_init() once
     from LLVMFuzzerInitialize (MPI_COMM_SELF is then the readers' communicator). Open MPI's own
     start-up allocations are never freed; they are made with LeakSanitizer paused, so leak
     detection stays on for everything concord allocates without any suppression file.
   - die(): a reader must return an error on bad input, never end the process. The abort hook
     turns any die()/user_error() into abort(), so libFuzzer reports it as a crash with the stack
     and saves the input, instead of a bare "fuzz target exited".
   - Files: readers that take a path get the fuzzed bytes in a file at a fixed path per process
     (fuzz_path), which the harness rewrites for every input and removes at exit.
   - fuzz_expect(): a property the code promises that does not hold is reported like a crash. */
#ifndef CONCORD_TESTS_FUZZ_COMMON_H
#define CONCORD_TESTS_FUZZ_COMMON_H

#include <dirent.h>
#include <mpi.h>
#include <sanitizer/lsan_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"

// What the harness does on every input; libFuzzer calls it.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_die_hook(int code) {
    fprintf(stderr,
            "fuzz: concord ended the process (exit code %d) on this input; a reader must return "
            "an error instead\n",
            code);
    abort();
}

// Aborts with a message when a promised property does not hold.
#define fuzz_expect(cond, ...)                                                                    \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz: property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static char fuzz_dir_[512];

// MPI is not finalized: MPI_Finalize leaks strings from Open MPI's helper threads, where pausing
// LeakSanitizer does not reach, and a process that only used MPI_COMM_SELF needs no shutdown.
// Removes path and, for a folder, everything under it (the scratch folder holds a few levels).
static inline void fuzz_remove_tree_(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
            fuzz_remove_tree_(sub);
        }
        closedir(d);
    }
    remove(path);
}

static inline void fuzz_cleanup_(void) {
    if (fuzz_dir_[0]) fuzz_remove_tree_(fuzz_dir_);
}

/* Initialises MPI (once), installs the abort hook and creates this process's scratch folder
   ($TMPDIR or /tmp, "concord-fuzz-<name>-<pid>"), removed at exit. */
static inline void fuzz_init(const char *name) {
    int up = 0;
    MPI_Initialized(&up);
    if (!up) {
        // OMPIO's collective reads allocate a 32 MiB aggregation buffer per call, which under
        // AddressSanitizer comes fresh from mmap every time; 1 MiB makes HDF5 harnesses 2-3x faster
        // and is plenty for files of kilobytes. An explicit setting in the environment wins.
        setenv("OMPI_MCA_io_ompio_bytes_per_agg", "1048576", 0);
        // Open MPI's own SIGABRT/SIGSEGV handlers would replace libFuzzer's, which then could not
        // save the crashing input.
        setenv("OMPI_MCA_opal_signal", "", 0);
        int provided = 0;
        __lsan_disable();  // Open MPI keeps (and never frees) start-up state: not concord's leaks
        MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        __lsan_enable();
    }
    err_set_abort_hook(fuzz_die_hook);
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/concord-fuzz-%s-%ld", tmp && *tmp ? tmp : "/tmp",
             name, (long)getpid());
    ErrMsg e;
    if (fs_mkdir_p(fuzz_dir_, &e) != 0) {
        fprintf(stderr, "fuzz: cannot create the scratch folder: %s\n", e.msg);
        abort();
    }
    atexit(fuzz_cleanup_);
}

/* "<scratch folder>/<file>" into out (static storage per call site is the caller's). */
static inline void fuzz_path(char *out, size_t size, const char *file) {
    snprintf(out, size, "%s/%s", fuzz_dir_, file);
}

/* Writes data to path (replacing it); aborts when the scratch folder is not writable, which is a
   broken set-up, not a finding. */
static inline void fuzz_write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        fprintf(stderr, "fuzz: cannot write %s\n", path);
        abort();
    }
}

/* An error message must be one non-empty NUL-terminated sentence (a HINT line may follow). With
   CONCORD_FUZZ_VERBOSE=1 in the environment it is printed (to see why an input is refused). */
static inline void fuzz_check_message(const ErrMsg *e, const char *what) {
    size_t n = strnlen(e->msg, sizeof e->msg);
    fuzz_expect(n > 0 && n < sizeof e->msg, "%s failed without a message", what);
    const char *verbose = getenv("CONCORD_FUZZ_VERBOSE");
    if (verbose && strcmp(verbose, "1") == 0) fprintf(stderr, "fuzz: %s: %s\n", what, e->msg);
}

/* Splits data at the first occurrence of sep: *head_len bytes before it; returns the offset just
   after it, or size when sep does not occur (the whole input is the head). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, const char *sep,
                                size_t *head_len) {
    size_t k = strlen(sep);
    for (size_t i = 0; i + k <= size; i++)
        if (memcmp(data + i, sep, k) == 0) {
            *head_len = i;
            return i + k;
        }
    *head_len = size;
    return size;
}

#endif
