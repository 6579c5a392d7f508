/* io/prefbuf_impl.h — what io/prefbuf.c (rows, metadata, writing) and io/prefbuf_read.c
   (reading, listing) share: the column table of /pairs and its helpers. Not a public interface:
   callers use prefbuf.h. */
#ifndef CONCORD_IO_PREFBUF_IMPL_H
#define CONCORD_IO_PREFBUF_IMPL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "io/prefbuf.h"

typedef enum { COL_I64, COL_I32, COL_F32, COL_I8, COL_LABEL } ColType;
typedef enum { W_1, W_P, W_R, W_J2 } ColWidth;  // row shape: (), (P), (R), (J, 2)

typedef struct {
    const char *name;         // dataset name under /pairs
    size_t offset;            // offsetof of the column pointer in PrefRows
    ColType type;             // element type
    ColWidth width;           // row shape
    const char *description;  // description attribute
} PrefColumn;

#define PREFBUF_CHUNK_ROWS  1024               // most rows per chunk
#define PREFBUF_CHUNK_BYTES ((size_t)4 << 20)  // a chunk of the widest column stays under this
#define PREFBUF_PATH_MAX    4096
#define PREFBUF_MAX_WIDTH   (1 << 20)  // largest P or R accepted

/* The column table: one entry per /pairs dataset, in file order (prefbuf.c). */
#define PB_N_COLS 16
extern const PrefColumn PB_COLS[];
extern const char *const PB_WIDTH_DIMS[4];  // dims text of each ColWidth

size_t pb_col_elem_size(ColType t);
/* Elements per row of a column. */
size_t pb_col_row_elems(ColWidth w, int32_t P, int32_t R, int32_t J);
/* Bytes of one row of column c. */
size_t pb_col_row_bytes(const PrefColumn *c, const PrefMeta *m);
/* The column's pointer field in rows. */
void **pb_col_ptr(PrefRows *rows, const PrefColumn *c);
const void *pb_col_cptr(const PrefRows *rows, const PrefColumn *c);
/* The enum type of the label column with its first n_members members: 4 = the current type, 3 =
   files written before CHOSEN_ONLY. Caller closes. pb_label_type_create = 4 members. */
hid_t pb_label_type_members(int n_members);
hid_t pb_label_type_create(void);
/* 1 when v is a pref_label value. */
int pb_label_ok(int v);
/* File/memory type of a column (label: the given enum type, not owned). */
hid_t pb_col_h5type(ColType t, hid_t label_type);
/* 1 when name is a valid statistic name (letters, digits, '_'; not empty, not too long). */
int pb_stat_name_ok(const char *name);

#endif
