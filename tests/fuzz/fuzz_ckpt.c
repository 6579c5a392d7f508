/* tests/fuzz/fuzz_ckpt.c — libFuzzer harness of the checkpoint readers (io/ckpt.h): ckpt_read
   (collective, here on MPI_COMM_SELF) and ckpt_peek (one process), plus inspect_file, the
   `concord inspect` summary, which reads every part of a checkpoint.
   Structure-aware (see h5mutate.h for why and how): at start-up concord's own writer makes eight
   valid checkpoints from the test fixture's contents (tests/test_ckpt_fixture.h), four kinds of
   model, each as a full file (/model, /optim, /ref, /prev, /state with cursors) and a model-only
   one (/model and /state):
     kind 0  GPT-2 (fx_config), a round checkpoint
     kind 1  LLaMA (fx_config_llama: grouped-query attention, untied head), so the /config
             attributes arch, n_kv_head, ffn_hidden, rope_theta, norm_eps, tie_embeddings and the
             LLaMA tensor table get edited
     kind 2  GPT-2, a mid-phase checkpoint: /state/totals holds phase totals (ckpt_run_state.c's
             totals reader)
     kind 3  LLaMA with a tied head, mid-phase (totals)
   Input: one byte of settings, then an edit program. Settings: bit 0 picks the full or the
   model-only file; bits 1-4 say which optional parts ckpt_read asks for (optim, ref, prev, state);
   bit 5 reseals the checksums after the edits (h5mutate.h); bits 6-7 pick the kind. ckpt_read
   expects the kind's own model config.
   Properties: the readers refuse with a message or accept; an accepted file gives a state that
   ckpt.h's invariants hold for (phase valid, world size, cursors and totals in range, names
   terminated), ckpt_peek's model config passes gpt_config_check; and after every call no HDF5
   object of the file is left open.
   With CONCORD_FUZZ_LIST=1 the harness prints each base file's objects and attributes with the
   index that an edit's target bytes pick (to write a seed that edits one field).
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

#define N_KINDS 4

static H5Base base[2 * N_KINDS];  // [2 * kind + (1 for model-only)]
static char file_path[600];
static GPTConfig kind_cfg[N_KINDS];
static Fixture read_into[N_KINDS];  // slabs ckpt_read fills (allocated once per kind's config)
static FILE *devnull;

static GPTConfig config_of_kind(int kind) {
    GPTConfig c = kind & 1 ? fx_config_llama() : fx_config();
    if (kind == 3) c.untied = 0;
    return c;
}

static void list_base(const H5Base *b, const char *name) {
    printf("%s: %d objects, %d attributes\n", name, b->n_objects, b->n_attrs);
    for (int i = 0; i < b->n_objects; i++)
        printf("  object %3d %s%s\n", i, b->objects[i], b->is_dataset[i] ? " (dataset)" : "");
    for (int i = 0; i < b->n_attrs; i++)
        printf("  attr   %3d %s @%s\n", i, b->attr_obj[i], b->attr_name[i]);
}

static void write_base(int kind, int model_only) {
    char name[64], path[600];
    snprintf(name, sizeof name, "base_kind%d_%s.h5", kind, model_only ? "model" : "full");
    fuzz_path(path, sizeof path, name);
    Fixture fx;
    fx_make_with(&fx, 1, &kind_cfg[kind]);
    if (model_only) fx.c.optim = NULL, fx.c.ref = NULL, fx.c.prev = NULL;
    if (kind >= 2) {  // a checkpoint inside a phase carries the phase's running totals
        ckpt_state_set_total(&fx.state, "steps", 37.0);
        ckpt_state_set_total(&fx.state, "skipped", 2.0);
        ckpt_state_set_total(&fx.state, "loss_sum", 81.25);
        ckpt_state_set_total(&fx.state, "last_val_loss", -0.0);
    }
    ErrMsg e = {{0}};
    if (ckpt_write_file(path, &fx.c, MPI_COMM_SELF, &e) != 0) {
        fprintf(stderr, "fuzz_ckpt: cannot write the base checkpoint %s: %s\n", path, e.msg);
        abort();
    }
    fx_free(&fx);
    H5Base *b = &base[2 * kind + model_only];
    h5m_load_base(b, path);
    const char *list = getenv("CONCORD_FUZZ_LIST");
    if (list && strcmp(list, "1") == 0) list_base(b, name);
    remove(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("ckpt");
    for (int kind = 0; kind < N_KINDS; kind++) {
        kind_cfg[kind] = config_of_kind(kind);
        write_base(kind, 0);
        write_base(kind, 1);
        fx_alloc(&read_into[kind], &kind_cfg[kind]);
    }
    fuzz_path(file_path, sizeof file_path, "round_0001.h5");
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void check_state(const CkptState *s, const char *who) {
    fuzz_expect(ckpt_phase_valid(s->phase), "%s accepted phase '%.16s'", who, s->phase);
    fuzz_expect(s->world_size >= 1 && s->rng && s->role, "%s: world size %d", who, s->world_size);
    fuzz_expect(s->n_cursors >= 0 && s->n_cursors <= CKPT_MAX_CURSORS, "%s: %d cursors", who,
                s->n_cursors);
    for (int i = 0; i < s->n_cursors; i++)
        fuzz_expect(strnlen(s->cursor_name[i], CKPT_CURSOR_NAME_MAX) < CKPT_CURSOR_NAME_MAX,
                    "%s: cursor name %d not terminated", who, i);
    fuzz_expect(s->n_totals >= 0 && s->n_totals <= CKPT_MAX_TOTALS, "%s: %d totals", who,
                s->n_totals);
    for (int i = 0; i < s->n_totals; i++)
        fuzz_expect(strnlen(s->total_name[i], CKPT_CURSOR_NAME_MAX) < CKPT_CURSOR_NAME_MAX,
                    "%s: total name %d not terminated", who, i);
}

static void check_closed(const char *who) {
    long open = h5m_open_ids();
    fuzz_expect(open == 0, "%s left %ld HDF5 objects open", who, open);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t settings = size ? data[0] : 0;
    const uint8_t *prog = size ? data + 1 : data;
    int kind = settings >> 6;
    h5m_apply(&base[2 * kind + (settings & 1)], file_path, prog, size ? size - 1 : 0,
              settings & 32);
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
    Fixture *into = &read_into[kind];
    CkptContents c = {.model = &into->model,
                      .optim = (settings & 2) ? &into->optim : NULL,
                      .ref = (settings & 4) ? &into->ref : NULL,
                      .prev = (settings & 8) ? &into->prev : NULL,
                      .state = (settings & 16) ? &state : NULL};
    GPTConfig expect = kind_cfg[kind];
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
