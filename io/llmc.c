/* io/llmc.c — llm.c GPT-2 checkpoint import; see llmc.h. */
#include "io/llmc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/ckpt.h"
#include "io/import_note.h"
#include "util/alloc.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "llm.c files are little-endian and are read straight into the parameter slab"
#endif

#define LLMC_HEADER_BYTES ((long long)LLMC_HEADER_INTS * 4)
#define LLMC_MAX_PARAMS   1e15               // far beyond any file; keeps the counts exact
#define LLMC_READ_CHUNK   ((size_t)1 << 24)  // floats per fread call (64 MiB)

static const char *const HINT_EXPORT =
    "HINT: export the model with llm.c's train_gpt2.py (write_model with dtype \"float32\"), which "
    "writes version 3 files such as gpt2_124M.bin";

// A sentence saying what a file with this magic number is, for the wrong-magic message.
static const char *magic_guess(const int32_t *h) {
    static const unsigned char hdf5_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (memcmp(h, hdf5_sig, sizeof hdf5_sig) == 0)
        return " (this is an HDF5 file, e.g. a concord checkpoint, which needs no import)";
    switch (h[0]) {
        case 20240327: return " (this is an llm.c training state file, not a model file)";
        case 20240328: return " (this is an llm.c tokenizer file, not a model file)";
        case 20240520: return " (this is an llm.c token data shard, not a model file)";
        case 20240803:  // llm.c's train_llama3.py: another tensor layout, not readable here
            return " (this is an llm.c LLaMA 3 model file; import a LLaMA model from its Hugging "
                   "Face directory with import-hf instead)";
        default: return "";
    }
}

static int check_version(const char *path, int32_t v, ErrMsg *e) {
    if (v == LLMC_VERSION) return 0;
    const char *what = v == 1   ? " (version 1: fp32 weights with an unpadded vocabulary)"
                       : v == 5 ? " (version 5: bf16 weights)"
                                : "";
    return err_set(e,
                   "%s: llm.c checkpoint header[1] (version) is %d%s; only version %d (fp32 "
                   "weights, padded vocabulary) can be imported\n%s",
                   path, v, what, LLMC_VERSION, HINT_EXPORT);
}

// Parameter count of cfg in double (exact below 2^53; never overflows, unlike size_t).
static double n_params_approx(const GPTConfig *c) {
    double V = c->Vp, T = c->T, C = c->C, L = c->L;
    return V * C + T * C + L * (12.0 * C * C + 13.0 * C) + 2.0 * C;
}

// Sizes from the header: positive, C % NH == 0, Vp >= V, then concord's own limits.
static int check_sizes(const char *path, const int32_t *h, GPTConfig *cfg, ErrMsg *e) {
    static const char *const names[8] = {"", "", "maxT", "V", "L", "NH", "C", "Vp"};
    for (int i = 2; i < 8; i++)
        if (h[i] < 1)
            return err_set(e, "%s: llm.c header[%d] (%s) is %d, expected a positive size", path, i,
                           names[i], h[i]);
    // llm.c files always carry wpe: an import is position "learned", and ckpt_read refuses to load
    // it into a model.position "none" config, naming both kinds.
    *cfg = (GPTConfig){.T = h[2],
                       .V = h[3],
                       .L = h[4],
                       .NH = h[5],
                       .C = h[6],
                       .Vp = h[7],
                       .position = GPT_POS_LEARNED};
    if (cfg->C % cfg->NH != 0)
        return err_set(e, "%s: llm.c header C = %d is not a multiple of NH = %d", path, cfg->C,
                       cfg->NH);
    if (cfg->Vp < cfg->V)
        return err_set(e, "%s: llm.c header Vp (padded vocab) = %d is smaller than V = %d", path,
                       cfg->Vp, cfg->V);
    ErrMsg why;
    if (n_params_approx(cfg) > LLMC_MAX_PARAMS)
        return err_set(e, "%s: the llm.c header describes %.3g parameters, more than %.3g", path,
                       n_params_approx(cfg), LLMC_MAX_PARAMS);
    if (gpt_config_check(cfg, &why) < 0)
        return err_set(e, "%s: the llm.c header describes a model concord cannot hold: %s", path,
                       why.msg);
    return 0;
}

// Opens path, reads and checks the header and the file size; *f stays open on success.
static int open_checked(const char *path, FILE **f, GPTConfig *cfg, ErrMsg *e) {
    *f = fopen(path, "rb");
    if (!*f) return err_set(e, "cannot open llm.c checkpoint %s: %s", path, strerror(errno));
    struct stat st;
    int32_t h[LLMC_HEADER_INTS] = {0};
    int rc = 0;
    if (fstat(fileno(*f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = err_set(e, "cannot read llm.c checkpoint %s: not a regular file", path);
    else if ((long long)st.st_size < LLMC_HEADER_BYTES)
        rc = err_set(e,
                     "%s is too short for an llm.c checkpoint: %lld bytes, expected at least the "
                     "%lld-byte header",
                     path, (long long)st.st_size, LLMC_HEADER_BYTES);
    else if (fread(h, sizeof h, 1, *f) != 1)
        rc = err_set(e, "cannot read the header of %s: %s", path,
                     ferror(*f) ? strerror(errno) : "unexpected end of file");
    else if (h[0] != LLMC_MAGIC)
        rc = err_set(e,
                     "%s is not an llm.c GPT-2 checkpoint: header[0] (magic) is %d, expected %d%s",
                     path, h[0], LLMC_MAGIC, magic_guess(h));
    if (rc == 0) rc = check_version(path, h[1], e);
    if (rc == 0) rc = check_sizes(path, h, cfg, e);
    if (rc == 0) {
        double want = (double)LLMC_HEADER_BYTES + 4.0 * n_params_approx(cfg);
        if (want != (double)st.st_size) {
            const char *why =
                want > (double)st.st_size ? "the file is truncated" : "the file has trailing bytes";
            rc = err_set(e,
                         "%s has %lld bytes, expected %.0f = 1024 + 4 * %.0f parameters for the "
                         "model its header describes (maxT=%d V=%d Vp=%d C=%d L=%d NH=%d): %s",
                         path, (long long)st.st_size, want, n_params_approx(cfg), cfg->T, cfg->V,
                         cfg->Vp, cfg->C, cfg->L, cfg->NH, why);
        }
    }
    if (rc < 0) {
        fclose(*f);
        *f = NULL;
    }
    return rc;
}

int llmc_read_header(const char *path, GPTConfig *cfg, ErrMsg *e) {
    FILE *f;
    if (open_checked(path, &f, cfg, e) < 0) return -1;
    fclose(f);
    return 0;
}

int llmc_load(const char *path, ParamSlab *w, ErrMsg *e) {
    memset(w, 0, sizeof *w);
    FILE *f;
    GPTConfig cfg;
    if (open_checked(path, &f, &cfg, e) < 0) return -1;
    param_slab_init(w, &cfg, "llmc.params");
    CHECKF((double)w->n == n_params_approx(&cfg), "llmc: parameter count %zu disagrees", w->n);
    int rc = 0;
    for (size_t at = 0; at < w->n && rc == 0;) {
        size_t want = w->n - at < LLMC_READ_CHUNK ? w->n - at : LLMC_READ_CHUNK;
        size_t got = fread(w->data + at, sizeof(float), want, f);
        if (got != want)
            rc = err_set(e, "cannot read the weights of %s at float %zu of %zu: %s", path, at + got,
                         w->n, ferror(f) ? strerror(errno) : "unexpected end of file");
        at += got;
    }
    fclose(f);
    if (rc < 0) param_slab_free(w);
    return rc;
}

int llmc_import(const char *in_bin, const char *out_h5, ErrMsg *e) {
    ParamSlab w;
    if (llmc_load(in_bin, &w, e) < 0) return -1;
    CkptState st;
    ckpt_state_init(&st, 1);  // round 0, phase "sft", step 0
    char *json = import_note_json(in_bin);
    CkptContents c = {.model = &w, .state = &st, .config_json = json, .charset = ""};
    int rc = ckpt_write_file(out_h5, &c, MPI_COMM_SELF, e);
    xfree(json);
    ckpt_state_free(&st);
    param_slab_free(&w);
    return rc;
}
