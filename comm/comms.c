/* comm/comms.c — MPI start-up, role layout and role communicators; see comms.h. */
#include "comm/comms.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/timer.h"

// ---------------------------------------------------------------------------------------------
// start-up and shutdown

/* die()/user_error() end here: with more than one rank, MPI_Abort ends every rank (a lone exit
   would leave the others blocked in a collective); a single rank returns and err.c exits with the
   code. Before MPI_Init or after MPI_Finalize the hook does nothing. */
static void comms_abort_hook(int code) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) return;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

void comms_mpi_fail(const char *call, int rc, const char *file, int line, const char *func) {
    char text[MPI_MAX_ERROR_STRING + 1] = "unknown MPI error";
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", rc);
    die_at(file, line, func, "%s failed: %s", call, text);
}

// MPI_Init_thread's answer; MPI_THREAD_MULTIPLE lets a helper thread (ranks/watchdog.c) call
// MPI_Abort while the main thread waits inside a collective.
static int thread_level = MPI_THREAD_SINGLE;

void comms_init(int *argc, char ***argv) {
    timer_since_start();  // log and error times count from MPI start-up
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    thread_level = provided;
    if (rc != MPI_SUCCESS) {
        // MPI is not usable, so no MPI_Error_string and no abort hook: print and exit.
        die("MPI_Init_thread failed with code %d", rc);
    }
    err_set_abort_hook(comms_abort_hook);
    MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    int rank = 0;
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    err_set_identity(rank, "");
    fault_set_rank(rank);
    log_set_root(rank == 0);
    if (provided < MPI_THREAD_FUNNELED)
        die("MPI provides thread level %d, concord needs MPI_THREAD_FUNNELED (%d)", provided,
            MPI_THREAD_FUNNELED);
}

int comms_thread_multiple(void) { return thread_level >= MPI_THREAD_MULTIPLE; }

void comms_abort_from_thread(int code) {
    if (thread_level >= MPI_THREAD_MULTIPLE) MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code);  // no MPI call is allowed here: the launcher ends the other ranks
}

void comms_finalize(void) {
    err_set_abort_hook(NULL);
    MPI_CHECK(MPI_Finalize());
}

// ---------------------------------------------------------------------------------------------
// layout (pure)

static int layout_count_ok(const char *field, int count, int world_size, ErrMsg *e) {
    if (count < 0)
        return err_set(e, "layout.%s must be >= 0 (0 = every rank), found %d", field, count);
    if (count > world_size)
        return err_set(e, "layout.%s = %d needs %d ranks, the job has %d", field, count, count,
                       world_size);
    return 0;
}

/* Gives role to ranks [*next, *next + count) and advances *next; count 0 gives it to every rank. */
static void layout_place(uint8_t *roles, int world_size, int count, uint8_t role, int *next) {
    if (count == 0) {
        for (int r = 0; r < world_size; r++) roles[r] |= role;
        return;
    }
    for (int r = *next; r < *next + count; r++) roles[r] |= role;
    *next += count;
}

int comms_layout(int generators, int judges, int learners, int aggregators, int world_size,
                 uint8_t *roles_out, ErrMsg *e) {
    if (world_size < 1) return err_set(e, "the job has %d ranks, expected at least 1", world_size);
    if (layout_count_ok("learners", learners, world_size, e) < 0) return -1;
    if (layout_count_ok("judges", judges, world_size, e) < 0) return -1;
    if (layout_count_ok("generators", generators, world_size, e) < 0) return -1;
    if (layout_count_ok("aggregators", aggregators, world_size, e) < 0) return -1;
    long dedicated = (long)learners + judges + generators;
    if (dedicated > world_size)
        return err_set(e,
                       "layout needs %ld ranks (layout.learners %d + layout.judges %d + "
                       "layout.generators %d), the job has %d",
                       dedicated, learners, judges, generators, world_size);
    if (learners > 0 && judges > 0 && generators > 0 && dedicated < world_size)
        return err_set(e,
                       "layout gives roles to %ld ranks (layout.learners %d + layout.judges %d + "
                       "layout.generators %d) but the job has %d, so ranks %ld..%d would idle; "
                       "make the counts sum to %d or set one of them to 0 (every rank)",
                       dedicated, learners, judges, generators, world_size, dedicated,
                       world_size - 1, world_size);
    memset(roles_out, 0, (size_t)world_size);
    int next = 0;
    layout_place(roles_out, world_size, learners, ROLE_LEARNER, &next);
    layout_place(roles_out, world_size, judges, ROLE_JUDGE, &next);
    layout_place(roles_out, world_size, generators, ROLE_GENERATOR, &next);
    int agg_next = 0;
    layout_place(roles_out, world_size, aggregators, ROLE_AGGREGATOR, &agg_next);
    return 0;
}

const char *comms_role_label(uint8_t roles, char *buf) {
    static const struct {
        uint8_t bit;
        const char *full, *brief;
    } names[] = {{ROLE_GENERATOR, "generator", "gen"},
                 {ROLE_JUDGE, "judge", "jdg"},
                 {ROLE_AGGREGATOR, "aggregator", "agg"},
                 {ROLE_LEARNER, "learner", "lrn"}};
    int n = 0;
    for (int i = 0; i < 4; i++) n += (roles & names[i].bit) != 0;
    buf[0] = '\0';
    if (n == 0) snprintf(buf, COMMS_ROLE_LABEL_MAX, "none");
    for (int i = 0; i < 4; i++) {
        if (!(roles & names[i].bit)) continue;
        size_t len = strlen(buf);
        snprintf(buf + len, COMMS_ROLE_LABEL_MAX - len, "%s%s", len ? "+" : "",
                 n == 1 ? names[i].full : names[i].brief);
    }
    return buf;
}

// ---------------------------------------------------------------------------------------------
// communicators

/* FNV-1a of the role table, so ranks can compare their tables with one all-reduce. */
static uint64_t roles_hash(const uint8_t *roles, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) h = (h ^ roles[i]) * 1099511628211ull;
    return h;
}

/* Local validity of the table; 0 or err_set. */
static int roles_check(const uint8_t *roles, int size, ErrMsg *e) {
    char label[COMMS_ROLE_LABEL_MAX];
    for (int r = 0; r < size; r++)
        if (roles[r] & ~ROLE_ALL)
            return err_set(e, "role table: rank %d has unknown role bits 0x%x", r, roles[r]);
    if (!(roles[0] & ROLE_LEARNER))
        return err_set(e, "role table: world rank 0 must be a learner (the learner root), it is %s",
                       comms_role_label(roles[0], label));
    for (uint8_t bit = ROLE_GENERATOR; bit <= ROLE_LEARNER; bit <<= 1) {
        int n = 0;
        for (int r = 0; r < size; r++) n += (roles[r] & bit) != 0;
        if (n == 0) return err_set(e, "role table: no rank is a %s", comms_role_label(bit, label));
    }
    return 0;
}

/* One split: members get a communicator ordered by world rank, others MPI_COMM_NULL. */
static MPI_Comm split_members(MPI_Comm world, int rank, int member, int *sub_rank, int *sub_size) {
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_CHECK(MPI_Comm_split(world, member ? 0 : MPI_UNDEFINED, rank, &sub));
    *sub_rank = -1;
    *sub_size = 0;
    if (sub != MPI_COMM_NULL) {
        MPI_CHECK(MPI_Comm_rank(sub, sub_rank));
        MPI_CHECK(MPI_Comm_size(sub, sub_size));
    }
    return sub;
}

static int count_role(const uint8_t *roles, int size, uint8_t bit) {
    int n = 0;
    for (int r = 0; r < size; r++) n += (roles[r] & bit) != 0;
    return n;
}

static void comms_reset(Comms *c) {
    memset(c, 0, sizeof *c);
    c->world = MPI_COMM_NULL;
    c->gen = c->judge = c->learn = c->agg = c->policy = c->pipe = MPI_COMM_NULL;
    c->gen_rank = c->judge_rank = c->learn_rank = c->agg_rank = c->policy_rank = -1;
}

int comms_create(Comms *c, MPI_Comm world, const uint8_t *roles, ErrMsg *e) {
    comms_reset(c);
    int rank = 0, size = 0;
    MPI_CHECK(MPI_Comm_rank(world, &rank));
    MPI_CHECK(MPI_Comm_size(world, &size));
    // Every rank must agree on the table and on its validity before any split.
    ErrMsg local = {{0}};
    int bad = roles_check(roles, size, &local) < 0;
    uint64_t h = roles_hash(roles, size);
    uint64_t mine[3] = {h, ~h, (uint64_t)bad}, all[3];
    MPI_CHECK(MPI_Allreduce(mine, all, 3, MPI_UINT64_T, MPI_MAX, world));
    if (all[0] != ~all[1])
        return err_set(e,
                       "role table differs between ranks (comms_create needs the same table on "
                       "every rank)");
    if (all[2]) return err_set(e, "%s", local.msg);

    c->world = world;
    c->rank = rank;
    c->size = size;
    c->roles = roles[rank];
    c->roles_all = xmalloc("comms.roles", (size_t)size);
    memcpy(c->roles_all, roles, (size_t)size);
    c->gen = split_members(world, rank, c->roles & ROLE_GENERATOR, &c->gen_rank, &c->gen_size);
    c->judge = split_members(world, rank, c->roles & ROLE_JUDGE, &c->judge_rank, &c->judge_size);
    c->learn = split_members(world, rank, c->roles & ROLE_LEARNER, &c->learn_rank, &c->learn_size);
    c->agg = split_members(world, rank, c->roles & ROLE_AGGREGATOR, &c->agg_rank, &c->agg_size);
    int policy_member = rank == 0 || (c->roles & (ROLE_GENERATOR | ROLE_JUDGE));
    c->policy = split_members(world, rank, policy_member, &c->policy_rank, &c->policy_size);
    MPI_CHECK(MPI_Comm_dup(world, &c->pipe));
    // Non-members learn the sizes from the table.
    c->gen_size = count_role(roles, size, ROLE_GENERATOR);
    c->judge_size = count_role(roles, size, ROLE_JUDGE);
    c->learn_size = count_role(roles, size, ROLE_LEARNER);
    c->agg_size = count_role(roles, size, ROLE_AGGREGATOR);
    int n_policy = 0;
    for (int r = 0; r < size; r++) n_policy += r == 0 || (roles[r] & (ROLE_GENERATOR | ROLE_JUDGE));
    c->policy_size = n_policy;

    char label[COMMS_ROLE_LABEL_MAX];
    err_set_identity(rank, comms_role_label(c->roles, label));
    return 0;
}

static void free_comm(MPI_Comm *comm) {
    if (*comm != MPI_COMM_NULL) MPI_CHECK(MPI_Comm_free(comm));
    *comm = MPI_COMM_NULL;
}

void comms_free(Comms *c) {
    if (c->world == MPI_COMM_NULL) return;
    free_comm(&c->gen);
    free_comm(&c->judge);
    free_comm(&c->learn);
    free_comm(&c->agg);
    free_comm(&c->policy);
    free_comm(&c->pipe);
    xfree(c->roles_all);
    comms_reset(c);
}

int comms_model_of_rank(int rank, int W, int K) {
    int k = 0;
    while (k + 1 < K && (int64_t)(k + 1) * W / K <= rank) k++;  // model k+1 starts at or before
    return k;
}

void comms_split_models(int K, int *model, MPI_Comm *group) {
    int rank, W;
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &W));
    *model = comms_model_of_rank(rank, W, K);
    MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, *model, rank, group));
    MPI_CHECK(MPI_Comm_set_errhandler(*group, MPI_ERRORS_RETURN));
}

MPI_Comm comms_world(void) { return MPI_COMM_WORLD; }

int comms_member(const Comms *c, Role role, int index) {
    if (index < 0) return -1;
    for (int r = 0; r < c->size; r++)
        if ((c->roles_all[r] & role) && index-- == 0) return r;
    return -1;
}
