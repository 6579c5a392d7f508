/* tests/fuzz/fuzz_ckpt.c — libFuzzer harness of the checkpoint readers (io/ckpt.h): ckpt_read
   (collective, here on MPI_COMM_SELF) and ckpt_peek (one process), plus inspect_file, the
   `concord inspect` summary, which reads every part of a checkpoint.
   Structure-aware (see h5mutate.h for why and how): at start-up concord's own writer makes two
   valid checkpoints from the test fixture's contents (tests/test_ckpt_fixture.h): a full one
   (/model, /optim, /ref, /prev, /state with cursors) and a model-only one. Input: one byte of
   settings, then an edit program. Settings: bit 0 picks the base file; bits 1-4 say which optional
   parts ckpt_read asks for (optim, ref, prev, state);
   bit 5 reseals the checksums after the edits (h5mutate.h).
   Properties: the readers refuse with a message or accept; an accepted file gives a state that
   ckpt.h's invariants hold for (phase valid, world size and cursors in range, names terminated),
   ckpt_peek's model config passes gpt_config_check; and after every call no HDF5 object of the
   file is left open.
   Its finding K1 (tests/fuzz/README.md: inspect on a NaN wall_time) is fixed; the input is a
   regression under tests/fuzz/regressions/ckpt. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "h5mutate.h"
#include "io/ckpt.h"
#include "io/inspect.h"
#include "test_ckpt_fixture.h"

static H5Base base[2];
static char file_path[600];
static Fixture read_into;  // slabs ckpt_read fills (allocated once for the fixture's config)
static FILE *devnull;

static void write_base(int which, const char *name) {
    char path[600];
    fuzz_path(path, sizeof path, name);
    Fixture fx;
    fx_make(&fx, 1);
    if (which == 1) fx.c.optim = NULL, fx.c.ref = NULL, fx.c.prev = NULL;
    ErrMsg e = {{0}};
    if (ckpt_write_file(path, &fx.c, MPI_COMM_SELF, &e) != 0) {
        fprintf(stderr, "fuzz_ckpt: cannot write the base checkpoint %s: %s\n", path, e.msg);
        abort();
    }
    fx_free(&fx);
    h5m_load_base(&base[which], path);
    remove(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("ckpt");
    write_base(0, "base_full.h5");
    write_base(1, "base_model.h5");
    fuzz_path(file_path, sizeof file_path, "round_0001.h5");
    GPTConfig cfg = fx_config();
    fx_alloc(&read_into, &cfg);
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void check_state(const CkptState *s, const char *who) {
    fuzz_expect(ckpt_phase_valid(s->phase), "%s accepted phase '%.16s'", who, s->phase);
    fuzz_expect(s->world_size >= 1 && s->rng && s->role, "%s: world size %d", who,
                s->world_size);
    fuzz_expect(s->n_cursors >= 0 && s->n_cursors <= CKPT_MAX_CURSORS, "%s: %d cursors", who,
                s->n_cursors);
    for (int i = 0; i < s->n_cursors; i++)
        fuzz_expect(strnlen(s->cursor_name[i], CKPT_CURSOR_NAME_MAX) < CKPT_CURSOR_NAME_MAX,
                    "%s: cursor name %d not terminated", who, i);
}

static void check_closed(const char *who) {
    long open = h5m_open_ids();
    fuzz_expect(open == 0, "%s left %ld HDF5 objects open", who, open);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t settings = size ? data[0] : 0;
    const uint8_t *prog = size ? data + 1 : data;
    h5m_apply(&base[settings & 1], file_path, prog, size ? size - 1 : 0, settings & 32);
    h5m_save_copy(file_path);

    ErrMsg e = {{0}};
    CkptInfo info;
    int rc = ckpt_peek(file_path, &info, &e);
    check_closed("ckpt_peek");
    // K1: inspect_file casts the root wall_time to time_t, undefined for NaN, infinities and
    // values beyond the range of time_t, which ckpt_peek accepts.
    if (rc != 0) {
        fuzz_check_message(&e, "ckpt_peek");
    } else {
        ErrMsg why;
        fuzz_expect(gpt_config_check(&info.model_cfg, &why) == 0,
                    "ckpt_peek accepted an invalid model config: %s", why.msg);
        fuzz_expect(info.config_json != NULL, "ckpt_peek gave no config JSON");
        fuzz_expect(strnlen(info.charset, sizeof info.charset) < sizeof info.charset,
                    "charset not terminated");
        check_state(&info.state, "ckpt_peek");
        ckpt_info_free(&info);
    }

    CkptState state;
    memset(&state, 0, sizeof state);
    CkptContents c = {.model = &read_into.model,
                      .optim = (settings & 2) ? &read_into.optim : NULL,
                      .ref = (settings & 4) ? &read_into.ref : NULL,
                      .prev = (settings & 8) ? &read_into.prev : NULL,
                      .state = (settings & 16) ? &state : NULL};
    GPTConfig expect = fx_config();
    e.msg[0] = '\0';
    rc = ckpt_read(file_path, &expect, &c, MPI_COMM_SELF, &e);
    check_closed("ckpt_read");
    if (rc != 0)
        fuzz_check_message(&e, "ckpt_read");
    else if (c.state)
        check_state(&state, "ckpt_read");
    ckpt_state_free(&state);

    e.msg[0] = '\0';
    rc = inspect_file(file_path, devnull, &e);
    check_closed("inspect_file");
    if (rc != 0) fuzz_check_message(&e, "inspect_file");
    return 0;
}
