/* tests/fuzz/h5mutate.h — structure-aware fuzzing of concord's HDF5 files.
   Why not fuzz the bytes: HDF5 1.10.8 is not robust against arbitrary corrupted bytes (its own
   parsers have known crashes), and a crash inside libhdf5 is not concord's to fix. Instead the
   fuzzer's bytes are a small program of edits, each applied through the HDF5 API to a valid file
   that concord's own writer made; the result is always a well-formed HDF5 file whose *contents*
   are wrong in the ways a damaged, hand-edited or foreign file can be wrong, and concord's reader
   must refuse or accept it without crashing.
   Program: a sequence of at most H5M_MAX_OPS edits; each edit is an opcode byte, then bytes that
   pick its target (an object or attribute of the original file, by index modulo their count) and
   its arguments. Missing bytes read as 0, so every byte string is a valid program. Edits:
     attr_delete, attr_int (scalar integer of another width/sign, interesting values),
     attr_float (f32/f64: NaN, infinities, -0, denormals, huge), attr_string (fixed or variable
     length, any padding, any bytes), attr_shape (same type, another dataspace: empty, 1-D, 2-D),
     attr_add (a new attribute with a known or fuzzed name on any object), link_delete,
     link_move (rename an object, or move it over another), dset_replace (another type, rank,
     shape and layout, contents from the program), dset_write (patch elements of a dataset in its
     own type), dset_resize (one row fewer/more, no rows, double, or 2^40 unallocated rows),
     kind_swap (a group where a dataset was, or the other way round), soft_link (to another object
     or to nothing), hard_link (a second name for another object). */
#ifndef CONCORD_TESTS_FUZZ_H5MUTATE_H
#define CONCORD_TESTS_FUZZ_H5MUTATE_H

#include <stddef.h>
#include <stdint.h>

#define H5M_MAX_OPS   8    // edits per program
#define H5M_PATH_MAX  128  // longest object path of a base file
#define H5M_NAME_MAX  64   // longest attribute name of a base file
#define H5M_MAX_ITEMS 512  // most objects and most attributes a base file may have

/* A valid file to edit: its bytes and what it holds (paths in name order, "/" first). */
typedef struct {
    uint8_t *bytes;  // the file's contents (owned)
    size_t size;     // bytes
    int n_objects;   // groups and datasets, "/" included
    char objects[H5M_MAX_ITEMS][H5M_PATH_MAX];
    int is_dataset[H5M_MAX_ITEMS];  // 1 for datasets, 0 for groups
    int n_attrs;                    // attributes of every object
    char attr_obj[H5M_MAX_ITEMS][H5M_PATH_MAX];
    char attr_name[H5M_MAX_ITEMS][H5M_NAME_MAX];
} H5Base;

/* Reads path (a file concord wrote) into base: its bytes, objects and attributes. Aborts when the
   file cannot be read (a broken harness set-up). */
void h5m_load_base(H5Base *base, const char *path);

/* Writes base's bytes to path, applies the edit program prog[0..n) through the HDF5 API, closes
   the file. Edits that do not apply (their target was deleted by an earlier one) do nothing.
   With reseal, every dataset then gets the crc32 attribute of its new contents (io/h5util.h's
   checksum), as a writer with a bug would leave it: without it the readers' checksums refuse
   nearly every edit of dataset contents before any other check sees them. Returns the number of
   edits that were applied. */
int h5m_apply(const H5Base *base, const char *path, const uint8_t *prog, size_t n, int reseal);

/* With CONCORD_FUZZ_SAVE=<file> in the environment, copies path (an edited file) there, so a
   finding can be looked at with h5dump or `concord inspect`; otherwise does nothing. */
void h5m_save_copy(const char *path);

/* Number of HDF5 ids (files, groups, datasets, attributes, types, spaces) still open in the
   process, for the readers' "everything closed" property. */
long h5m_open_ids(void);

#endif
