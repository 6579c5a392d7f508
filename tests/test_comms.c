/* tests/test_comms.c — comm/comms: the role layout rule (pure), role communicators, and the
   children that test_comms_abort.sh runs to check that one failing rank ends the whole job.
   Usage: test_comms                  MPI tests (run under mpiexec with 1..4 ranks)
          test_comms --layout-only    layout tests without MPI
          test_comms --child MODE R   fail on rank R (MODE: die, user, mpicheck, slab,
                                      root, order, reducer) */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comm_check.h"
#include "comm/allreduce.h"
#include "comm/comms.h"
#include "comm/exchange.h"
#include "util/alloc.h"

static int world_rank = 0, world_size = 1;

// ---------------------------------------------------------------------------------------------
// layout (pure)

/* "LA,J,GJ": comma-separated role letters per rank (G generator, J judge, A aggregator, L learner).
 */
static void roles_text(const uint8_t *roles, int n, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = '\0';
    for (int r = 0; r < n && at + 6 < size; r++) {
        if (r) buf[at++] = ',';
        if (roles[r] & ROLE_GENERATOR) buf[at++] = 'G';
        if (roles[r] & ROLE_JUDGE) buf[at++] = 'J';
        if (roles[r] & ROLE_AGGREGATOR) buf[at++] = 'A';
        if (roles[r] & ROLE_LEARNER) buf[at++] = 'L';
        buf[at] = '\0';
    }
}

static void expect_layout(int g, int j, int l, int a, int w, const char *want) {
    uint8_t roles[64];
    char got[512];
    ErrMsg e = {{0}};
    int rc = comms_layout(g, j, l, a, w, roles, &e);
    CHECK_MSG(rc == 0, "layout (g%d j%d l%d a%d) on %d ranks failed: %s", g, j, l, a, w, e.msg);
    if (rc != 0) return;
    roles_text(roles, w, got, sizeof got);
    CHECK_MSG(strcmp(got, want) == 0, "layout (g%d j%d l%d a%d) on %d ranks: got %s, want %s", g, j,
              l, a, w, got, want);
}

static void expect_layout_error(int g, int j, int l, int a, int w, const char *needle) {
    uint8_t roles[64];
    ErrMsg e = {{0}};
    int rc = comms_layout(g, j, l, a, w, roles, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, needle),
              "layout (g%d j%d l%d a%d) on %d ranks: rc %d '%s', want '%s'", g, j, l, a, w, rc,
              e.msg, needle);
}

static void test_layout(void) {
    // Defaults: every rank generates, judges and learns; rank 0 aggregates.
    expect_layout(0, 0, 0, 1, 1, "GJAL");
    expect_layout(0, 0, 0, 1, 4, "GJAL,GJL,GJL,GJL");
    expect_layout(0, 0, 0, 0, 3, "GJAL,GJAL,GJAL");
    // Dedicated blocks: learners from rank 0, then judges, then generators; aggregators on 0..A-1.
    expect_layout(2, 1, 1, 1, 4, "AL,J,G,G");
    expect_layout(12, 2, 2, 1, 16, "AL,L,J,J,G,G,G,G,G,G,G,G,G,G,G,G");
    expect_layout(0, 0, 2, 1, 4, "GJAL,GJL,GJ,GJ");
    expect_layout(2, 0, 2, 2, 4, "JAL,JAL,GJ,GJ");
    expect_layout(0, 1, 1, 1, 3, "GAL,GJ,G");
    expect_layout(1, 0, 0, 3, 3, "GJAL,JAL,JAL");
    expect_layout(1, 1, 1, 1, 3, "AL,J,G");
    expect_layout(0, 0, 1, 1, 1, "GJAL");
    // Impossible layouts fail before any work, naming the field and the numbers.
    expect_layout_error(0, 0, 0, 1, 0, "the job has 0 ranks");
    expect_layout_error(0, 0, -1, 1, 4, "layout.learners must be >= 0");
    expect_layout_error(0, -2, 0, 1, 4, "layout.judges must be >= 0");
    expect_layout_error(0, 0, 0, 5, 4, "layout.aggregators = 5 needs 5 ranks, the job has 4");
    expect_layout_error(0, 0, 2, 1, 1, "layout.learners = 2 needs 2 ranks, the job has 1");
    expect_layout_error(1, 1, 1, 1, 1, "layout needs 3 ranks");
    expect_layout_error(3, 0, 2, 1, 4, "layout needs 5 ranks");
    expect_layout_error(1, 1, 1, 1, 4, "ranks 3..3 would idle");
    expect_layout_error(9, 2, 2, 1, 16, "ranks 13..15 would idle");

    char label[COMMS_ROLE_LABEL_MAX];
    CHECK_TRUE(strcmp(comms_role_label(ROLE_LEARNER, label), "learner") == 0);
    CHECK_TRUE(strcmp(comms_role_label(ROLE_ALL, label), "gen+jdg+agg+lrn") == 0);
    CHECK_TRUE(strcmp(comms_role_label(ROLE_JUDGE | ROLE_GENERATOR, label), "gen+jdg") == 0);
    CHECK_TRUE(strcmp(comms_role_label(0, label), "none") == 0);
}

// ---------------------------------------------------------------------------------------------
// communicators

/* Size of comm via a collective, or 0 for MPI_COMM_NULL. */
static int comm_sum_one(MPI_Comm comm) {
    if (comm == MPI_COMM_NULL) return 0;
    int one = 1, sum = 0;
    MPI_CHECK(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, comm));
    return sum;
}

static void check_role_comm(const Comms *c, const uint8_t *roles, uint8_t bit, MPI_Comm comm,
                            int sub_rank, int sub_size, const char *name) {
    int members = 0, below = 0;
    for (int r = 0; r < c->size; r++) {
        members += (roles[r] & bit) != 0;
        below += r < c->rank && (roles[r] & bit);
    }
    int member = (roles[c->rank] & bit) != 0;
    CHECK_MSG((comm != MPI_COMM_NULL) == member, "rank %d: %s membership", c->rank, name);
    CHECK_MSG(sub_size == members, "rank %d: %s size %d, want %d", c->rank, name, sub_size,
              members);
    CHECK_MSG(sub_rank == (member ? below : -1), "rank %d: %s rank %d", c->rank, name, sub_rank);
    if (member)
        CHECK_MSG(comm_sum_one(comm) == members, "rank %d: %s collective size", c->rank, name);
    for (int i = 0; i < members; i++) {
        int w = comms_member(c, (Role)bit, i);
        CHECK_MSG(w >= 0 && (roles[w] & bit), "%s member %d is world rank %d", name, i, w);
    }
    CHECK_TRUE(comms_member(c, (Role)bit, members) == -1);
}

static void check_layout_comms(int g, int j, int l, int a) {
    uint8_t roles[64];
    ErrMsg e = {{0}};
    CHECK_TRUE(world_size <= 64);
    if (comms_layout(g, j, l, a, world_size, roles, &e) < 0) {
        CHECK_MSG(0, "layout (g%d j%d l%d a%d) on %d ranks: %s", g, j, l, a, world_size, e.msg);
        return;
    }
    Comms c;
    CHECK_TRUE(comms_create(&c, MPI_COMM_WORLD, roles, &e) == 0);
    CHECK_TRUE(c.rank == world_rank && c.size == world_size && c.roles == roles[world_rank]);
    check_role_comm(&c, roles, ROLE_GENERATOR, c.gen, c.gen_rank, c.gen_size, "gen");
    check_role_comm(&c, roles, ROLE_JUDGE, c.judge, c.judge_rank, c.judge_size, "judge");
    check_role_comm(&c, roles, ROLE_LEARNER, c.learn, c.learn_rank, c.learn_size, "learn");
    check_role_comm(&c, roles, ROLE_AGGREGATOR, c.agg, c.agg_rank, c.agg_size, "agg");
    // policy: world rank 0 (its root) plus every generator and judge.
    int policy_members = 0;
    for (int r = 0; r < world_size; r++)
        policy_members += r == 0 || (roles[r] & (ROLE_GENERATOR | ROLE_JUDGE));
    int in_policy = world_rank == 0 || (roles[world_rank] & (ROLE_GENERATOR | ROLE_JUDGE));
    CHECK_MSG((c.policy != MPI_COMM_NULL) == in_policy, "rank %d: policy membership", world_rank);
    CHECK_TRUE(c.policy_size == policy_members);
    if (in_policy) {
        int root_world = world_rank;
        MPI_CHECK(MPI_Bcast(&root_world, 1, MPI_INT, 0, c.policy));
        CHECK_MSG(root_world == 0, "policy root is world rank %d", root_world);
        CHECK_TRUE(comm_sum_one(c.policy) == policy_members);
        CHECK_TRUE((world_rank == 0) == (c.policy_rank == 0));
    }
    CHECK_TRUE(comm_sum_one(c.pipe) == world_size);
    // The identity names the rank and its roles.
    char id[64], label[COMMS_ROLE_LABEL_MAX], want[64];
    snprintf(want, sizeof want, "[%04d %s ", world_rank, comms_role_label(c.roles, label));
    CHECK_MSG(strncmp(err_identity(id, sizeof id), want, strlen(want)) == 0,
              "identity '%s', want '%s'", id, want);
    comms_free(&c);
    comms_free(&c);
    CHECK_TRUE(c.gen == MPI_COMM_NULL && c.pipe == MPI_COMM_NULL && c.roles_all == NULL);
}

static void check_create_error(const uint8_t *roles, const char *needle) {
    Comms c;
    ErrMsg e = {{0}};
    int rc = comms_create(&c, MPI_COMM_WORLD, roles, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, needle), "rank %d: rc %d '%s', want '%s'", world_rank, rc,
              e.msg, needle);
    if (rc == 0) comms_free(&c);
}

static void test_create(void) {
    check_layout_comms(0, 0, 0, 1);
    check_layout_comms(0, 0, 0, 0);
    check_layout_comms(0, 0, 1, 1);
    if (world_size >= 2) check_layout_comms(world_size - 1, 0, 1, 1);
    if (world_size >= 3) check_layout_comms(world_size - 2, 1, 1, 1);
    if (world_size >= 4) check_layout_comms(2, 0, 2, 2);
    if (world_size >= 4) check_layout_comms(0, 2, 1, 3);

    uint8_t roles[64];
    for (int r = 0; r < world_size; r++) roles[r] = ROLE_ALL;
    roles[0] = ROLE_GENERATOR | ROLE_JUDGE | ROLE_AGGREGATOR;
    check_create_error(roles, "world rank 0 must be a learner");
    for (int r = 0; r < world_size; r++) roles[r] = ROLE_LEARNER | ROLE_GENERATOR | ROLE_AGGREGATOR;
    check_create_error(roles, "no rank is a judge");
    roles[0] = ROLE_ALL | 0x20;
    check_create_error(roles, "unknown role bits");
    if (world_size > 1) {
        for (int r = 0; r < world_size; r++) roles[r] = ROLE_ALL;
        roles[world_size - 1] = world_rank == 0 ? ROLE_ALL : ROLE_GENERATOR;  // rank 0 disagrees
        check_create_error(roles, "role table differs between ranks");
    }
}

// ---------------------------------------------------------------------------------------------
// failing children (driven by test_comms_abort.sh)

static int child(const char *mode, int victim) {
    comms_init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    if (strcmp(mode, "die") == 0 && world_rank == victim)
        die("deliberate failure on rank %d", victim);
    if (strcmp(mode, "user") == 0 && world_rank == victim)
        user_error("deliberate bad input on rank %d", victim);
    if (strcmp(mode, "mpicheck") == 0 && world_rank == victim) {
        int x = 0;
        MPI_CHECK(MPI_Send(&x, 1, MPI_INT, world_size + 5, 0, MPI_COMM_WORLD));
    }
    if (strcmp(mode, "slab") == 0) {
        GPTConfig cfg = {.V = 10, .Vp = 16, .T = 8, .C = 8, .L = 2, .NH = 2};
        if (world_rank == victim) cfg.L = 3;
        ParamSlab s;
        param_slab_init(&s, &cfg, "test.slab");
        exchange_bcast_slab(&s, 0, MPI_COMM_WORLD);
        param_slab_free(&s);
    }
    if (strcmp(mode, "root") == 0 || strcmp(mode, "order") == 0) {
        float v[3] = {1, 2, 3};
        ExchGathered g;
        if (strcmp(mode, "root") == 0)
            exchange_gatherv(&g, v, 3, EXCH_F32, world_rank == victim ? 1 : 0, MPI_COMM_WORLD);
        else if (world_rank == victim)
            exchange_gather_votes(&g, v, 3, 0, MPI_COMM_WORLD);
        else
            exchange_gatherv(&g, v, 3, EXCH_F32, 0, MPI_COMM_WORLD);
        exchange_gathered_free(&g);
    }
    if (strcmp(mode, "reducer") == 0) {
        GPTConfig cfg = {.V = 10, .Vp = 16, .T = 8, .C = 8, .L = 2, .NH = 2};
        ParamSlab s;
        param_slab_init(&s, &cfg, "test.slab");
        GradReducer r;
        grad_reducer_init(&r, &s, 64, 0, MPI_COMM_WORLD);
        grad_reducer_ready_layer(&r, 1);
        if (world_rank == victim) grad_reducer_ready_tensor(&r, 5, 1);  // qkv_b layer 1 again
        grad_reducer_finish(&r);
        grad_reducer_free(&r);
        param_slab_free(&s);
    }
    // The other ranks wait for the victim, which never comes: only MPI_Abort ends them.
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    comms_finalize();
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--layout-only") == 0) {
        test_layout();
        return check_report();
    }
    if (argc >= 4 && strcmp(argv[1], "--child") == 0) return child(argv[2], atoi(argv[3]));
    comms_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    int level = 0;
    MPI_CHECK(MPI_Query_thread(&level));
    CHECK_TRUE(level >= MPI_THREAD_FUNNELED);
    MPI_Errhandler eh;
    MPI_CHECK(MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh));
    CHECK_TRUE(eh == MPI_ERRORS_RETURN);
    MPI_CHECK(MPI_Errhandler_free(&eh));
    test_layout();
    test_create();
    return comm_test_finish();  // leak check, agreement on failure, MPI_Finalize
}
