/* io/hf_gpt2.h — GPT-2 in Hugging Face's layout (a directory with config.json and
   model.safetensors) to and from concord checkpoints.
   config.json: model_type "gpt2"; vocab_size V, n_positions T (or the older n_ctx; both present
   must agree), n_embd C, n_layer L, n_head NH (must divide C); layer_norm_epsilon 1e-5 and
   activation_function "gelu_new" (or "gelu_pytorch_tanh", the same tanh formula), because those
   are the only LayerNorm and GELU concord computes. Options that change the maths are refused
   unless at their GPT-2 value: n_inner (null or 4C), scale_attn_weights (true),
   scale_attn_by_inverse_layer_idx (false), add_cross_attention (false), tie_word_embeddings
   (true). Other fields (dropouts, token ids, ...) are ignored.
   Tensor names, with an optional "transformer." prefix on all of them (not both kinds in one file):
     wte.weight (V, C)                   -> wte (Vp, C): rows V..Vp-1 zero
     wpe.weight (T, C)                   -> wpe (T, C)
     h.N.ln_1.weight / .bias (C)         -> ln1_w / ln1_b row N
     h.N.attn.c_attn.weight (C, 3C)      -> qkv_w[N] (3C, C), transposed
     h.N.attn.c_attn.bias (3C)           -> qkv_b[N]
     h.N.attn.c_proj.weight (C, C)       -> attn_proj_w[N] (C, C), transposed
     h.N.attn.c_proj.bias (C)            -> attn_proj_b[N]
     h.N.ln_2.weight / .bias (C)         -> ln2_w / ln2_b row N
     h.N.mlp.c_fc.weight (C, 4C)         -> fc_w[N] (4C, C), transposed
     h.N.mlp.c_fc.bias (4C)              -> fc_b[N]
     h.N.mlp.c_proj.weight (4C, C)       -> fc_proj_w[N] (C, 4C), transposed
     h.N.mlp.c_proj.bias (C)             -> fc_proj_b[N]
     ln_f.weight / .bias (C)             -> lnf_w / lnf_b
   HF's Conv1D stores its weight as (in, out) and computes x @ W; concord's tensors are (out, in)
   like llm.c's, hence the transposes. lm_head.weight (never prefixed) may be absent or must equal
   wte.weight (concord ties the LM head); the attention mask buffers h.N.attn.bias and
   h.N.attn.masked_bias are ignored; any other tensor, a missing one or a wrong shape is refused by
   name. Weights may be F32, F16 or BF16 (converted exactly); export writes F32. */
#ifndef CONCORD_IO_HF_GPT2_H
#define CONCORD_IO_HF_GPT2_H

#include "train/bpe.h"
#include "train/params.h"
#include "util/err.h"

#define HF_GPT2_VOCAB_PAD_TO 128  // default Vp multiple: 50257 -> 50304, llm.c's padded GPT-2

/* Reads dir/config.json into cfg (position learned; Vp = V rounded up to a multiple of
   vocab_pad_to). Local, no MPI. Returns 0 or a negative code with e naming the file and field. */
int hf_gpt2_read_config(const char *dir, int vocab_pad_to, GPTConfig *cfg,
                        ErrMsg *e) WARN_UNUSED_RESULT;

/* hf_gpt2_read_config, then loads dir/model.safetensors into w, allocated here (caller frees with
   param_slab_free; on error w is left freed). Local, no MPI. */
int hf_gpt2_load(const char *dir, int vocab_pad_to, ParamSlab *w, ErrMsg *e) WARN_UNUSED_RESULT;

/* Converts the model in dir into a complete concord checkpoint at exactly out_h5 (atomic, see
   ckpt_write_file): /model from the files, state round 0, phase "sft", step 0, world size 1, no
   /optim, /config/json {"imported_from": "<absolute dir>"}, and the BPE tokenizer that
   hf_gpt2_import_tokenizer finds (none without tokenizer files). cfg (may be NULL) receives the model's config. Needs MPI
   initialised (writes on MPI_COMM_SELF). Returns 0 or a negative code with e filled; on error
   out_h5 is neither created nor changed. */
int hf_gpt2_import(const char *dir, const char *out_h5, int vocab_pad_to, GPTConfig *cfg,
                   ErrMsg *e) WARN_UNUSED_RESULT;

/* The tokenizer an import from dir stores in the checkpoint: the GPT-2 BPE of dir's tokenizer files
   (tokenizer.json, vocab.json + merges.txt, or encoder.json + vocab.bpe; train/bpe.h bpe_load) in
   *out (caller bpe_free()s), or *out = NULL when dir has none of them. Refused: files that do not
   load, and a vocabulary whose size differs from the model's V. */
int hf_gpt2_import_tokenizer(const char *dir, int V, Bpe **out, ErrMsg *e) WARN_UNUSED_RESULT;

/* Writes b as dir/vocab.json (token -> id, tokens in GPT-2's byte-to-unicode characters),
   dir/merges.txt ("#version: 0.2", then one merge "left right" per line in rank order) and
   dir/tokenizer.json (io/hf_tokenizer.h: also the special tokens and digit splitting, which the
   first two cannot say), each through a .tmp name and rename. */
int hf_gpt2_export_tokenizer(const char *dir, const Bpe *b, ErrMsg *e) WARN_UNUSED_RESULT;

/* Writes the checkpoint at ckpt (its /model) as a Hugging Face GPT-2 directory: dir (created if
   missing) gets model.safetensors (F32, names without prefix, Conv1D weights transposed back,
   wte unpadded to V rows, no lm_head: tied) and config.json (the fields above plus architectures
   ["GPT2LMHeadModel"], n_ctx = n_positions, bos/eos_token_id 50256 when V = 50257). Each file is
   written to a .tmp name, fsynced and renamed, model first. Refuses NoPE checkpoints (HF GPT-2
   always adds wpe). cfg (may be NULL) receives the model's config. Needs MPI initialised (reads
   on MPI_COMM_SELF). Returns 0 or a negative code with e filled. */
int hf_gpt2_export(const char *ckpt, const char *dir, GPTConfig *cfg, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
