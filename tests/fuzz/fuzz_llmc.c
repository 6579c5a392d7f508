/* tests/fuzz/fuzz_llmc.c — libFuzzer harness of the llm.c model file reader (io/llmc.h).
   Input: the bytes of a model file. llmc_load must accept or refuse without crashing and refuse
   with a message. When it accepts, the file is a real model: its size is exactly the header plus
   the parameters of the config it describes, the weights equal the file's bytes, and
   llmc_import turns it into a checkpoint that ckpt_peek reads back with the same model config.
   Seeds (tests/fuzz/seeds/llmc, written by make_seeds.py) are tiny valid models and the
   near misses the reader names: version 1 and 5, a wrong magic, trailing and missing bytes. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/ckpt.h"
#include "io/llmc.h"

static char bin_path[600], h5_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("llmc");
    fuzz_path(bin_path, sizeof bin_path, "model.bin");
    fuzz_path(h5_path, sizeof h5_path, "model.h5");
    return 0;
}

static void check_import(const GPTConfig *cfg) {
    ErrMsg e = {{0}};
    fuzz_expect(llmc_import(bin_path, h5_path, &e) == 0,
                "llmc_import refuses a file llmc_load "
                "accepted: %s",
                e.msg);
    CkptInfo info;
    fuzz_expect(ckpt_peek(h5_path, &info, &e) == 0, "the imported checkpoint is refused: %s",
                e.msg);
    const GPTConfig *g = &info.model_cfg;
    fuzz_expect(g->V == cfg->V && g->Vp == cfg->Vp && g->T == cfg->T && g->C == cfg->C &&
                    g->L == cfg->L && g->NH == cfg->NH && g->position == cfg->position,
                "the imported checkpoint describes another model");
    ckpt_info_free(&info);
    remove(h5_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write_file(bin_path, data, size);
    ParamSlab w;
    ErrMsg e = {{0}};
    int rc = llmc_load(bin_path, &w, &e);
    if (rc != 0) {
        fuzz_expect(rc < 0, "llmc_load returned %d", rc);
        fuzz_check_message(&e, "llmc_load");
        fuzz_expect(w.data == NULL, "llmc_load failed but left weights allocated");
        GPTConfig cfg;
        ErrMsg e2 = {{0}};
        // a bad header is refused by both entry points; a bad body only by llmc_load
        if (llmc_read_header(bin_path, &cfg, &e2) < 0) fuzz_check_message(&e2, "llmc_read_header");
        return 0;
    }
    fuzz_expect(size == (size_t)LLMC_HEADER_INTS * 4 + w.n * sizeof(float),
                "accepted a file of %zu bytes for %zu parameters", size, w.n);
    fuzz_expect(memcmp(w.data, data + LLMC_HEADER_INTS * 4, w.n * sizeof(float)) == 0,
                "the weights differ from the file's bytes");
    GPTConfig cfg = w.cfg;
    param_slab_free(&w);
    GPTConfig hdr;
    fuzz_expect(llmc_read_header(bin_path, &hdr, &e) == 0,
                "llmc_read_header refuses a file llmc_load accepted: %s", e.msg);
    check_import(&cfg);
    return 0;
}
