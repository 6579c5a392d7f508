/* io/llmc.h — import of llm.c GPT-2 checkpoints (karpathy/llm.c, train_gpt2.c:
   gpt2_build_from_checkpoint; files such as gpt2_124M.bin written by train_gpt2.py).
   File layout, all little-endian:
     header  256 int32: [0] magic 20240326, [1] version 3 (fp32 weights, padded vocab), [2] maxT,
             [3] V, [4] L, [5] NH, [6] C, [7] Vp; the rest unused
     body    the fp32 parameters in llm.c's order, which is exactly concord's tensor table
             (train/params.h): wte (Vp,C) wpe (maxT,C) ln1_w (L,C) ln1_b (L,C) qkv_w (L,3C,C)
             qkv_b (L,3C) attn_proj_w (L,C,C) attn_proj_b (L,C) ln2_w (L,C) ln2_b (L,C)
             fc_w (L,4C,C) fc_b (L,4C) fc_proj_w (L,C,4C) fc_proj_b (L,C) lnf_w (C) lnf_b (C)
   The file size must be exactly 1024 + 4 * n_params; truncated files and trailing bytes are both
   errors. Version 1 (fp32, unpadded vocab) and version 5 (bf16) are refused with a HINT.
   The weights are copied bit for bit: the imported model computes the same logits as llm.c's. */
#ifndef CONCORD_IO_LLMC_H
#define CONCORD_IO_LLMC_H

#include "train/params.h"
#include "util/err.h"

#define LLMC_MAGIC       20240326  // header[0] of an llm.c GPT-2 model file
#define LLMC_VERSION     3         // header[1]: fp32 weights, padded vocabulary
#define LLMC_HEADER_INTS 256       // header length in int32 (1024 bytes)

/* Reads and checks path's header (magic, version, sizes) and its size against the parameter count
   the header implies; fills cfg (T = maxT). Local, no MPI. Returns 0 or a negative code with e
   filled: one sentence naming the file, the field, what was expected and what was found. */
int llmc_read_header(const char *path, GPTConfig *cfg, ErrMsg *e) WARN_UNUSED_RESULT;

/* llmc_read_header, then loads the weights into w, allocated here for the file's config (caller
   frees with param_slab_free; on error w is left freed/zeroed). Local, no MPI. */
int llmc_load(const char *path, ParamSlab *w, ErrMsg *e) WARN_UNUSED_RESULT;

/* Converts in_bin into a complete concord checkpoint at exactly out_h5 (atomic: out_h5.tmp,
   fsync, rename; see ckpt_write_file): /model from the file, state round 0, phase "sft", step 0,
   world size 1, no /optim, an empty tokenizer charset (GPT-2 uses BPE: sample with --tokens), and
   /config/json {"imported_from": "<absolute path of in_bin>"}. Needs MPI initialised (writes on
   MPI_COMM_SELF). Returns 0 or a negative code with e filled; on error no out_h5 is created or
   changed. */
int llmc_import(const char *in_bin, const char *out_h5, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
