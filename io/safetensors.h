/* io/safetensors.h — safetensors weight files (the format Hugging Face models ship in), read and
   written from the format's definition:
     bytes [0, 8)        N, the header length: unsigned 64-bit little-endian
     bytes [8, 8+N)      the header: one JSON object mapping each tensor name to
                         {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]},
                         plus an optional "__metadata__" object whose values are strings; the
                         writer pads it with spaces so that the data starts at a multiple of 8
     bytes [8+N, size)   the data section; a tensor's bytes are [begin, end) of it, row-major,
                         little-endian
   The reader trusts nothing it has not checked. safetensors_open checks, before any tensor is
   read: N within the file and at most SAFETENSORS_MAX_HEADER bytes; the header one JSON object
   (trailing spaces allowed, nothing else); every entry an object with exactly dtype (a known
   name), shape (non-negative integers) and data_offsets ([begin, end], begin <= end <= the data
   section's length); bytes = dtype size x prod(shape); no name twice; and the entries, sorted by
   offset, tile the data section exactly (first at 0, each starting where the previous ended, the
   last ending at the end of the file): an overlap, a gap or trailing bytes are each refused.
   Every refusal is one sentence naming the file, the tensor and the field.
   Tensors are then read with pread inside their validated span only; F32, F16 and BF16 convert to
   float32 exactly (F16 subnormals, infinities and NaNs included). The writer writes F32 only. */
#ifndef CONCORD_IO_SAFETENSORS_H
#define CONCORD_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SAFETENSORS_MAX_HEADER 100000000  // bytes; the reference implementation's limit too
#define SAFETENSORS_MAX_DIMS   8          // longest shape handled (GPT-2's buffers have 4)

/* Element types of the format; the byte size of each is safetensors_dtype_size. */
typedef enum {
    ST_BOOL,
    ST_U8,
    ST_I8,
    ST_F8_E5M2,
    ST_F8_E4M3,
    ST_I16,
    ST_U16,
    ST_F16,
    ST_BF16,
    ST_I32,
    ST_U32,
    ST_F32,
    ST_I64,
    ST_U64,
    ST_F64,
    ST_DTYPE_COUNT
} SafeTensorsDtype;

/* The format's name of a dtype ("F32") and its size in bytes. */
const char *safetensors_dtype_name(SafeTensorsDtype d);
size_t safetensors_dtype_size(SafeTensorsDtype d);

/* One validated header entry. */
typedef struct {
    char *name;  // owned
    SafeTensorsDtype dtype;
    int ndim;  // 0 (a scalar) .. SAFETENSORS_MAX_DIMS
    int64_t shape[SAFETENSORS_MAX_DIMS];
    uint64_t count;       // prod(shape) elements (1 for a scalar)
    uint64_t begin, end;  // byte span inside the data section
} SafeTensor;

/* An open, validated file. */
typedef struct {
    char *path;           // owned copy, for messages
    int fd;               // open read-only; -1 when closed
    uint64_t data_start;  // 8 + N: file offset of the data section
    uint64_t data_bytes;  // its length
    int n;                // entries (without __metadata__)
    SafeTensor *tensors;  // (n) sorted by name; owned
} SafeTensorsFile;

/* Opens path and validates its header against the file (see above). Returns 0, or a negative code
   with e filled and f left closed (safetensors_close is still safe). */
int safetensors_open(SafeTensorsFile *f, const char *path, ErrMsg *e) WARN_UNUSED_RESULT;

/* The entry called name, or NULL. */
const SafeTensor *safetensors_find(const SafeTensorsFile *f, const char *name);

/* Reads t (an entry of f) into out (t->count floats), converting F32, F16 or BF16 to float32.
   Other dtypes are refused naming the tensor. Returns 0 or a negative code with e filled (also
   when the file was shortened after it was opened). */
int safetensors_read_f32(const SafeTensorsFile *f, const SafeTensor *t, float *out,
                         ErrMsg *e) WARN_UNUSED_RESULT;

/* Closes the file and frees the table; safe on a zeroed or already closed f. */
void safetensors_close(SafeTensorsFile *f);

/* IEEE half and bfloat16 bit patterns to float32 (exact: every value of both is a float). */
float safetensors_f16_to_f32(uint16_t h);
float safetensors_bf16_to_f32(uint16_t b);

/* A tensor to write: count = prod(shape) floats at data (borrowed). */
typedef struct {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
} SafeTensorOut;

/* Writes the n tensors as F32 to exactly path: header keys "__metadata__" ({"format": "pt"}) then
   the tensor names in byte order, data in the same order, header padded with spaces to a multiple
   of 8. Durable and atomic: written to path.tmp, fsynced and renamed (util/fs.h fs_publish), so
   path is never half-written; on error path.tmp is removed and path untouched. Names must be
   distinct. Returns 0 or a negative code with e filled. */
int safetensors_write_f32(const char *path, const SafeTensorOut *tensors, int n,
                          ErrMsg *e) WARN_UNUSED_RESULT;

#endif
