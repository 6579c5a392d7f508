/* tests/fuzz/fuzz_safetensors.c — libFuzzer harness of the safetensors reader (io/safetensors.h).
   Input: the bytes of a .safetensors file. safetensors_open must accept or refuse without
   crashing and refuse with a message. An accepted file keeps the header's promises: the entries
   are sorted by name and each is found by it, each spans dtype size x prod(shape) bytes, and
   together they tile the data section exactly; every F32, F16 or BF16 tensor then reads (other
   dtypes are refused with a message), and the reader never reads outside the file.
   Seeds (tests/fuzz/seeds/safetensors) are written by make_seeds.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/safetensors.h"

static char file_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("safetensors");
    fuzz_path(file_path, sizeof file_path, "model.safetensors");
    return 0;
}

static int float_dtype(SafeTensorsDtype d) { return d == ST_F32 || d == ST_F16 || d == ST_BF16; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write_file(file_path, data, size);
    SafeTensorsFile f;
    ErrMsg e = {{0}};
    int rc = safetensors_open(&f, file_path, &e);
    if (rc != 0) {
        fuzz_expect(rc < 0, "safetensors_open returned %d", rc);
        fuzz_check_message(&e, "safetensors_open");
        safetensors_close(&f);
        return 0;
    }
    fuzz_expect(f.data_start + f.data_bytes == size,
                "data section [%llu, +%llu) in a %zu-byte file", (unsigned long long)f.data_start,
                (unsigned long long)f.data_bytes, size);
    uint64_t covered = 0;
    for (int i = 0; i < f.n; i++) {
        const SafeTensor *t = &f.tensors[i];
        fuzz_expect(i == 0 || strcmp(f.tensors[i - 1].name, t->name) < 0, "entries not sorted");
        fuzz_expect(safetensors_find(&f, t->name) == t, "entry %s not found by name", t->name);
        fuzz_expect(t->ndim >= 0 && t->ndim <= SAFETENSORS_MAX_DIMS, "ndim %d", t->ndim);
        fuzz_expect(t->begin <= t->end && t->end <= f.data_bytes &&
                        t->end - t->begin == t->count * safetensors_dtype_size(t->dtype),
                    "entry %s spans [%llu, %llu) for %llu elements", t->name,
                    (unsigned long long)t->begin, (unsigned long long)t->end,
                    (unsigned long long)t->count);
        covered += t->end - t->begin;
        if (t->count > ((size_t)1 << 20)) continue;  // cannot happen within the input size limit
        float *out = malloc((t->count ? t->count : 1) * sizeof(float));
        ErrMsg re = {{0}};
        int r = safetensors_read_f32(&f, t, out, &re);
        if (float_dtype(t->dtype))
            fuzz_expect(r == 0, "%s tensor %s does not read: %s", safetensors_dtype_name(t->dtype),
                        t->name, re.msg);
        else
            fuzz_expect(r < 0 && re.msg[0], "%s tensor %s read as floats",
                        safetensors_dtype_name(t->dtype), t->name);
        free(out);
    }
    fuzz_expect(covered == f.data_bytes, "entries cover %llu of %llu data bytes",
                (unsigned long long)covered, (unsigned long long)f.data_bytes);
    fuzz_expect(safetensors_find(&f, "__metadata__") == NULL, "__metadata__ listed as a tensor");
    safetensors_close(&f);
    return 0;
}
