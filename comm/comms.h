/* comm/comms.h — MPI start-up and shutdown, the role layout, and one communicator per role.
   comms_init starts MPI (asking for MPI_THREAD_MULTIPLE, needing MPI_THREAD_FUNNELED: the main
   thread makes every call except comms_abort_from_thread's MPI_Abort), switches world to
   MPI_ERRORS_RETURN so every call is checked by MPI_CHECK, and installs the util/err.h abort hook:
   die()/user_error() on any rank then end the whole job with MPI_Abort (a single-rank job just
   exits with the code, so bad input still exits with status 2).
   Role layout rule (comms_layout; W = world size; counts from the config's "layout" section):
     1. A count of 0 means every rank holds that role (generators, judges, learners, aggregators).
     2. Non-zero counts of learners, judges and generators are dedicated ranks: disjoint consecutive
        blocks in the order learners (from rank 0), judges, generators. Their sum must be <= W.
     3. When all three are dedicated their sum must equal W (a rank without a role would idle).
     4. Aggregators (count A > 0) are ranks 0..A-1, in addition to whatever else those ranks do.
   So world rank 0 is always a learner (the learner root) and an aggregator. Default layout
   (0, 0, 0, 1): every rank generates, judges and learns; rank 0 aggregates.
   Only this module names MPI_COMM_WORLD; everything else takes communicators as arguments. */
#ifndef CONCORD_COMM_COMMS_H
#define CONCORD_COMM_COMMS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "util/err.h"

/* Role bits: a rank holds any non-empty subset. */
typedef enum {
    ROLE_GENERATOR = 1,   // samples responses
    ROLE_JUDGE = 2,       // scores responses with the judge ensemble
    ROLE_AGGREGATOR = 4,  // builds preference pairs, writes prefs/*.h5
    ROLE_LEARNER = 8,     // trains; world rank 0 is the learner root
} Role;

#define ROLE_ALL             (ROLE_GENERATOR | ROLE_JUDGE | ROLE_AGGREGATOR | ROLE_LEARNER)
#define COMMS_ROLE_LABEL_MAX 16  // bytes for comms_role_label, e.g. "gen+jdg+agg+lrn"

/* Checks an MPI return code; on failure dies naming the call and MPI_Error_string's text. */
#define MPI_CHECK(call)                                                         \
    do {                                                                        \
        int mpi_check_rc_ = (call);                                             \
        if (mpi_check_rc_ != MPI_SUCCESS)                                       \
            comms_mpi_fail(#call, mpi_check_rc_, __FILE__, __LINE__, __func__); \
    } while (0)

/* The communicators of one process. Role communicators are ordered by world rank (key = world
   rank), so the lowest world rank of a role is rank 0 there. */
typedef struct {
    MPI_Comm world;      // communicator the layout was built on (borrowed, usually MPI_COMM_WORLD)
    int rank, size;      // this process's rank in world, and world's size W
    uint8_t roles;       // this rank's Role bits
    uint8_t *roles_all;  // (W) every rank's Role bits (owned)
    MPI_Comm gen;        // generators; MPI_COMM_NULL if not a member (owned)
    MPI_Comm judge;      // judges; MPI_COMM_NULL if not a member (owned)
    MPI_Comm learn;      // learners: gradient all-reduce, checkpoint writes (owned)
    MPI_Comm agg;        // aggregators: own the preference buffer files (owned)
    MPI_Comm policy;     // world rank 0 (root, rank 0 here) + every generator and judge:
                         // weight broadcast; MPI_COMM_NULL if not a member (owned)
    MPI_Comm pipe;       // MPI_Comm_dup(world): traffic between roles (owned)
    int gen_rank, gen_size;        // rank in gen (-1 when not a member) and number of generators
    int judge_rank, judge_size;    // rank in judge (-1 when not a member) and number of judges
    int learn_rank, learn_size;    // rank in learn (-1 when not a member) and number of learners
    int agg_rank, agg_size;        // rank in agg (-1 when not a member) and number of aggregators
    int policy_rank, policy_size;  // rank in policy (-1 when not a member) and its size
} Comms;

/* Starts MPI asking for MPI_THREAD_MULTIPLE (dies if less than MPI_THREAD_FUNNELED is provided),
   sets MPI_ERRORS_RETURN on world, installs the MPI_Abort hook for die()/user_error(), sets the
   error/log identity to the world rank and makes world rank 0 the log_root printer. Call once,
   first thing in main. */
void comms_init(int *argc, char ***argv);

/* 1 when MPI provides MPI_THREAD_MULTIPLE, so another thread may call MPI_Abort. */
int comms_thread_multiple(void);

/* Ends the whole job from a thread other than the main one (the main thread may be blocked in a
   collective): MPI_Abort(MPI_COMM_WORLD, code) when MPI provides MPI_THREAD_MULTIPLE, else
   _exit(code), and the launcher (mpirun; srun with --kill-on-bad-exit) ends the other ranks. */
noreturn void comms_abort_from_thread(int code);

/* Removes the abort hook and finalizes MPI. Collective over world; free every Comms first. */
void comms_finalize(void);

/* Pure (no MPI): assigns Role bits to each of world_size ranks by the rule in the header comment.
   Counts are the config's layout.generators/judges/learners/aggregators (0 = every rank).
   Returns 0, or err_set(e, ...) naming the layout field and the ranks it needs. */
int comms_layout(int generators, int judges, int learners, int aggregators, int world_size,
                 uint8_t *roles_out /* (world_size) */, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective over world. Builds the role communicators from roles (W entries, the same on every
   rank; comms_layout's output) with one MPI_Comm_split per role, and sets the error/log identity
   to "rank role-label". Returns 0, or -1 on every rank with e filled when the table is invalid
   (rank 0 not a learner, a role without ranks, unknown bits, tables differing between ranks). */
int comms_create(Comms *c, MPI_Comm world, const uint8_t *roles, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective over c->world. Frees every communicator and the table; safe to call twice. */
void comms_free(Comms *c);

/* World rank of the index-th member (0-based, in world-rank order) of one role, or -1. */
int comms_member(const Comms *c, Role role, int index);

/* Writes a short label for a set of roles: "learner" for one role, "gen+jdg+agg+lrn" style for
   several, "none" for none. buf holds COMMS_ROLE_LABEL_MAX bytes. Returns buf. */
const char *comms_role_label(uint8_t roles, char *buf);

/* Pure: the model (0..K-1) that world rank `rank` of W serves in an ensemble of K models: models
   own consecutive blocks of ranks, model k the ranks [k*W/K, (k+1)*W/K) (sizes differ by at most
   one). Needs 1 <= K <= W. */
int comms_model_of_rank(int rank, int W, int K);

/* Collective over MPI_COMM_WORLD: splits it into the K models' groups (comms_model_of_rank),
   ordered by world rank. *model receives this rank's model, *group its group's communicator
   (owned by the caller: MPI_Comm_free; with K = 1 a duplicate of world). */
void comms_split_models(int K, int *model, MPI_Comm *group);

/* MPI_COMM_WORLD for the few callers that coordinate across an ensemble's groups. */
MPI_Comm comms_world(void);

/* Dies with "call failed: <MPI error string>" at the caller's location (used by MPI_CHECK). */
noreturn void comms_mpi_fail(const char *call, int rc, const char *file, int line,
                             const char *func);

#endif
