/* io/hf_common.c — shared by the Hugging Face readers and writers; see hf_common.h. */
#include "io/hf_common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/hf_gpt2.h"
#include "io/import_note.h"
#include "util/alloc.h"
#include "util/fs.h"

const char *hf_json_kind(const cJSON *v) {
    return cJSON_IsObject(v)   ? "an object"
           : cJSON_IsArray(v)  ? "an array"
           : cJSON_IsString(v) ? "a string"
           : cJSON_IsNumber(v) ? "a number"
           : cJSON_IsBool(v)   ? "a boolean"
                               : "null";
}

int hf_get_size(const char *path, const cJSON *root, const char *field, const char *what,
                const char *of, int dflt, int *out, ErrMsg *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, field);
    if (!v && dflt >= 1) {
        *out = dflt;
        return 0;
    }
    if (!v)
        return err_set(e, "%s: missing field \"%s\" (%s)%s%s", path, field, what, of ? " of " : "",
                       of ? of : "");
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (!cJSON_IsNumber(v) || d != floor(d) || d < 1 || d > INT_MAX)
        return err_set(e, "%s: field \"%s\" (%s) is %s%s, expected a positive integer", path, field,
                       what, hf_json_kind(v), cJSON_IsNumber(v) ? " out of range" : "");
    *out = (int)d;
    return 0;
}

int hf_get_bool(const char *path, const cJSON *root, const char *field, int dflt, int *out,
                ErrMsg *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, field);
    *out = dflt;
    if (!v) return 0;
    if (!cJSON_IsBool(v))
        return err_set(e, "%s: field \"%s\" is %s, expected a boolean", path, field,
                       hf_json_kind(v));
    *out = cJSON_IsTrue(v);
    return 0;
}

// Writes text to exactly path through path.tmp (fsync, rename).
int hf_write_text(const char *path, const char *text, ErrMsg *e) {
    char tmp[HF_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return err_set(e, "cannot create %s: %s", tmp, strerror(errno));
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    int err = ok ? 0 : errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    int rc = ok ? fs_publish(tmp, path, NULL, e)
                : err_set(e, "cannot write %s: %s", tmp, strerror(err ? err : EIO));
    if (rc < 0) remove(tmp);
    return rc;
}

// A token's bytes in GPT-2's byte-to-unicode characters, as UTF-8 (out holds 2 bytes per byte + 1).
void hf_byte_level_text(char *out, const uint8_t *bytes, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = bpe_byte_to_unicode(bytes[i]);  // below U+0800: one or two UTF-8 bytes
        if (cp < 0x80) {
            out[k++] = (char)cp;
        } else {
            out[k++] = (char)(0xC0 | (cp >> 6));
            out[k++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[k] = '\0';
}

int hf_import_checkpoint(const char *dir, const char *out_h5, ParamSlab *w, ErrMsg *e) {
    CkptState st;
    ckpt_state_init(&st, 1);  // round 0, phase "sft", step 0
    char *json = import_note_json(dir);
    Bpe *bpe = NULL;
    int rc = hf_gpt2_import_tokenizer(dir, w->cfg.V, &bpe, e);
    CkptContents c = {.model = w, .state = &st, .config_json = json, .charset = "", .bpe = bpe};
    if (rc == 0) rc = ckpt_write_file(out_h5, &c, MPI_COMM_SELF, e);
    bpe_free(bpe);
    xfree(json);
    ckpt_state_free(&st);
    param_slab_free(w);
    return rc;
}
