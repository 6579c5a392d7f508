/* io/h5crc.h — CRC-32 checksums of the datasets concord writes (part of the HDF5 helpers; io/h5util.h
   includes it). */
#ifndef CONCORD_IO_H5CRC_H
#define CONCORD_IO_H5CRC_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ---- checksums ----
   Every dataset concord writes carries the attribute crc32 (u32): zlib's CRC-32 of its raw
   little-endian bytes in row-major order (fixed-length strings: all stored bytes). A file that has
   the root attribute `checksums` (H5_CRC_NOTE) carries one on every dataset; files written before
   checksums have neither and are read unchecked. Ranks that each write a block of rows combine
   their (crc, length) pairs in row order (h5_crc_combine), so the value does not depend on the
   number of writers. */
#define H5_CRC_ATTR      "crc32"
#define H5_CRC_ROOT_ATTR "checksums"
#define H5_CRC_NOTE                                                                      \
    "every dataset has attribute crc32 = zlib CRC-32 of its raw little-endian bytes in " \
    "row-major order"

/* CRC-32 of n bytes continuing crc (start with 0). */
uint32_t h5_crc(uint32_t crc, const void *buf, size_t n);
/* Collective(comm): crc[i], len[i] hold this rank's CRC and byte count of block i (n blocks, the
   same n on every rank); on return every rank holds the CRC of each whole block, the ranks'
   pieces joined in rank order. len[] becomes the total lengths. */
void h5_crc_combine(uint32_t *crc, uint64_t *len, int n, MPI_Comm comm);
/* Writes the crc32 attribute of dset (collective: the same value on every rank; dies on error). */
void h5_attr_write_crc(hid_t dset, uint32_t crc);
/* Writes the root attribute checksums (collective; dies on error). */
void h5_mark_checksummed(hid_t file);
/* 1 when file has the root attribute checksums (its datasets must all carry crc32), else 0. */
int h5_is_checksummed(hid_t obj);  // obj: the file or any object in it
/* Compares actual with dset's stored crc32. Returns 0 when they match, or when the file is not
   checksummed (required = 0) and dset has no crc32; else -1 with e = "<path>: dataset /x ...
   checksum mismatch (stored 0x..., computed 0x...)" plus a HINT, or a missing-attribute message. */
int h5_crc_verify(hid_t dset, const char *path, int required, uint32_t actual,
                  ErrMsg *e) WARN_UNUSED_RESULT;
/* Reads the whole dataset in blocks of rows (its file type as memory type, so the bytes are the
   stored ones) and computes their CRC into *crc; dxpl H5P_DEFAULT for one process. Recoverable. */
int h5_dataset_crc(hid_t dset, hid_t dxpl, uint32_t *crc, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
