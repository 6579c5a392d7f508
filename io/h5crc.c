/* io/h5crc.c — dataset checksums; see h5crc.h. */
#include "io/h5crc.h"

#include <string.h>
#include <zlib.h>

#include "io/collective.h"
#include "io/h5util.h"
#include "util/alloc.h"

#define CRC_MAX_NDIM 8
#define CRC_BLOCK    ((hsize_t)16 << 20)  // bytes read per block when checksumming

_Static_assert(sizeof(z_off_t) >= 8, "crc32_combine needs 64-bit lengths");

uint32_t h5_crc(uint32_t crc, const void *buf, size_t n) {
    if (n == 0) return crc;
    return (uint32_t)crc32_z(crc, (const Bytef *)buf, n);
}

void h5_crc_combine(uint32_t *crc, uint64_t *len, int n, MPI_Comm comm) {
    int nranks = io_comm_size(comm);
    if (nranks == 1 || n == 0) return;
    uint64_t *mine = xmalloc("h5util.crc", (size_t)n * 2 * sizeof *mine);
    uint64_t *all = xmalloc("h5util.crc", (size_t)n * 2 * (size_t)nranks * sizeof *all);
    for (int i = 0; i < n; i++) mine[2 * i] = crc[i], mine[2 * i + 1] = len[i];
    IO_MPI_CHECK(MPI_Allgather(mine, 2 * n, MPI_UINT64_T, all, 2 * n, MPI_UINT64_T, comm));
    for (int i = 0; i < n; i++) {
        uLong whole = 0;
        uint64_t total = 0;
        for (int r = 0; r < nranks; r++) {
            const uint64_t *piece = all + (size_t)r * 2 * (size_t)n + 2 * (size_t)i;
            whole = crc32_combine(whole, (uLong)piece[0], (z_off_t)piece[1]);
            total += piece[1];
        }
        crc[i] = (uint32_t)whole;
        len[i] = total;
    }
    xfree(all);
    xfree(mine);
}

void h5_attr_write_crc(hid_t dset, uint32_t crc) { h5_attr_write_u32(dset, H5_CRC_ATTR, crc); }

void h5_mark_checksummed(hid_t file) { h5_attr_write_str(file, H5_CRC_ROOT_ATTR, H5_CRC_NOTE); }

int h5_is_checksummed(hid_t obj) {
    h5_quiet();
    hid_t file = H5Iget_file_id(obj);
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int yes = h5_attr_exists(file, H5_CRC_ROOT_ATTR);
    h5_close(&file);
    return yes;
}

int h5_crc_verify(hid_t dset, const char *path, int required, uint32_t actual, ErrMsg *e) {
    char where[512], obj[256] = "?";
    h5_describe(dset, where, sizeof where);
    const char *colon = strchr(where, ':');
    if (colon) snprintf(obj, sizeof obj, "%s", colon + 1);
    if (!h5_attr_exists(dset, H5_CRC_ATTR)) {
        if (!required) return 0;
        return err_set(e,
                       "%s: dataset %s has no %s attribute, although the file says every dataset "
                       "carries one\nHINT: the file was altered after it was written; use "
                       "another copy or an earlier file",
                       path, obj, H5_CRC_ATTR);
    }
    uint64_t stored = 0;
    if (h5_attr_read_u64(dset, H5_CRC_ATTR, &stored, e) < 0) return -1;
    if (stored == actual) return 0;
    return err_set(e,
                   "%s: dataset %s fails its checksum (crc32 stored 0x%08llx, computed 0x%08x): "
                   "its data was damaged or altered on disk\nHINT: use another copy of the file "
                   "or an earlier one (concord inspect --verify FILE checks every dataset)",
                   path, obj, (unsigned long long)stored, actual);
}

int h5_dataset_crc(hid_t dset, hid_t dxpl, uint32_t *crc, ErrMsg *e) {
    h5_quiet();
    char where[512];
    *crc = 0;
    hsize_t dims[CRC_MAX_NDIM];
    int ndim = h5_dataset_shape(dset, dims, CRC_MAX_NDIM, e);
    if (ndim < 0) return -1;
    hid_t t = H5Dget_type(dset);
    if (t < 0) return h5_err(e, "%s: cannot get the type", h5_describe(dset, where, sizeof where));
    if (H5Tis_variable_str(t) > 0 || H5Tdetect_class(t, H5T_VLEN) > 0) {
        h5_close(&t);
        return err_set(e, "%s: variable-length data has no checksum",
                       h5_describe(dset, where, sizeof where));
    }
    hsize_t row_bytes = H5Tget_size(t), rows = ndim == 0 ? 1 : dims[0];
    for (int i = 1; i < ndim; i++) row_bytes *= dims[i];
    hsize_t block = row_bytes == 0 ? rows : CRC_BLOCK / row_bytes;
    if (block < 1) block = 1;
    size_t buf_rows = (size_t)(block < rows ? block : rows);
    char *buf = xmalloc("h5util.crc", buf_rows * row_bytes + 1);
    hid_t fspace = H5_CHECK(H5Dget_space(dset), "dataspace");
    int rc = 0;
    uint32_t c = 0;
    for (hsize_t r0 = 0; r0 < rows && row_bytes > 0 && rc == 0; r0 += block) {
        hsize_t n = rows - r0 < block ? rows - r0 : block;
        hid_t mspace;
        if (ndim == 0) {
            mspace = H5_CHECK(H5Screate(H5S_SCALAR), "dataspace");
        } else {
            hsize_t start[CRC_MAX_NDIM] = {0}, count[CRC_MAX_NDIM];
            for (int i = 0; i < ndim; i++) count[i] = dims[i];
            start[0] = r0;
            count[0] = n;
            mspace = H5_CHECK(H5Screate_simple(ndim, count, NULL), "dataspace");
            H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL),
                     "dataspace");
        }
        if (H5Dread(dset, t, mspace, fspace, dxpl, buf) < 0)
            rc = h5_err(e, "%s: cannot read rows [%llu, %llu)",
                        h5_describe(dset, where, sizeof where), (unsigned long long)r0,
                        (unsigned long long)(r0 + n));
        else
            c = h5_crc(c, buf, (size_t)(n * row_bytes));
        h5_close(&mspace);
    }
    h5_close(&fspace);
    h5_close(&t);
    xfree(buf);
    if (rc == 0) *crc = c;
    return rc;
}
