/* io/hf_llama.h — LLaMA-family models in Hugging Face's layout (LlamaForCausalLM: a directory with
   config.json and model.safetensors, or shards listed by model.safetensors.index.json) to and from
   concord checkpoints (arch "llama", train/params.h).
   config.json: model_type "llama" or architectures containing "LlamaForCausalLM", and
     hidden_size C, intermediate_size F, num_hidden_layers L, num_attention_heads NH, vocab_size V,
     max_position_embeddings T, rms_norm_eps (all required);
     num_key_value_heads KV (absent: NH, plain multi-head attention, as LlamaConfig does);
     rope_theta (absent: 10000, LlamaConfig's default);
     tie_word_embeddings (absent: false, LlamaConfig's default, so a file without the field needs
       lm_head.weight; transformers reads such a config as untied too);
     hidden_act (absent: "silu"; anything else refused: SwiGLU is the only MLP concord computes).
   Refused, naming the file and the field: a missing or ill-typed field, NH % KV != 0, C % NH != 0,
   an odd head size C/NH (rotary embeddings rotate pairs), rope_theta or rms_norm_eps not > 0,
   rope_scaling other than null (scaled rotary embeddings are not computed), attention_bias or
   mlp_bias true (concord's LLaMA has no biases), head_dim present and != C/NH, and a model that
   gpt_config_check refuses. Other fields (token ids, dropouts, pretraining_tp, ...) are ignored.
   Tensor names (per layer N) and where they go; HF's Linear weights are (out, in) like concord's:
     model.embed_tokens.weight (V, C)                 -> wte (Vp, C): rows V..Vp-1 zero
     model.layers.N.input_layernorm.weight (C)        -> attn_norm_w[N]
     model.layers.N.self_attn.q_proj.weight (NH·hs, C) -> qkv_w[N] rows [0, NH·hs)
     model.layers.N.self_attn.k_proj.weight (KV·hs, C) -> qkv_w[N] rows [NH·hs, (NH+KV)·hs)
     model.layers.N.self_attn.v_proj.weight (KV·hs, C) -> qkv_w[N] rows [(NH+KV)·hs, (NH+2KV)·hs)
     model.layers.N.self_attn.o_proj.weight (C, C)    -> attn_proj_w[N]
     model.layers.N.post_attention_layernorm.weight (C) -> mlp_norm_w[N]
     model.layers.N.mlp.gate_proj.weight (F, C)       -> gate_up_w[N] rows [0, F)
     model.layers.N.mlp.up_proj.weight (F, C)         -> gate_up_w[N] rows [F, 2F)
     model.layers.N.mlp.down_proj.weight (C, F)       -> down_w[N]
     model.norm.weight (C)                            -> norm_w
     lm_head.weight (V, C)                            -> lm_head (Vp, C) when untied
   Tied models may carry lm_head.weight only when it equals model.embed_tokens.weight bit for bit.
   model.layers.N.self_attn.rotary_emb.inv_freq (a buffer older transformers saved; recomputed from
   rope_theta) is ignored; any other tensor, a missing one or a wrong shape is refused by name.
   Weights may be F32, F16 or BF16 (converted exactly); export writes F32. */
#ifndef CONCORD_IO_HF_LLAMA_H
#define CONCORD_IO_HF_LLAMA_H

#include "train/params.h"
#include "util/err.h"

#define HF_LLAMA_ROPE_THETA 10000.0  // LlamaConfig's rope_theta when the field is absent

/* Which importer dir/config.json asks for: *arch = GPT_ARCH_LLAMA for model_type "llama" or
   architectures containing "LlamaForCausalLM", else GPT_ARCH_GPT2 (also when config.json is
   missing or unreadable: the GPT-2 importer then names the problem). Refuses (returns -1 with e
   set) a config whose model_type is a string other than "gpt2" and "llama". Local. */
int hf_detect_arch(const char *dir, ModelArch *arch, ErrMsg *e) WARN_UNUSED_RESULT;

/* Reads dir/config.json into cfg (arch llama; Vp = V rounded up to a multiple of vocab_pad_to).
   Local, no MPI. Returns 0 or a negative code with e naming the file and field. */
int hf_llama_read_config(const char *dir, int vocab_pad_to, GPTConfig *cfg,
                         ErrMsg *e) WARN_UNUSED_RESULT;

/* hf_llama_read_config, then loads the weights (dir/model.safetensors, or the shards that
   dir/model.safetensors.index.json's weight_map names when there is no model.safetensors) into w,
   allocated here (caller frees with param_slab_free; on error w is left freed). Local, no MPI. */
int hf_llama_load(const char *dir, int vocab_pad_to, ParamSlab *w, ErrMsg *e) WARN_UNUSED_RESULT;

/* Converts the model in dir into a complete concord checkpoint at exactly out_h5 (atomic, see
   ckpt_write_file), as hf_gpt2_import does: /model from the files, state round 0, phase "sft",
   step 0, world size 1, no /optim, /config/json {"imported_from": "<absolute dir>"}, and the BPE
   of dir's tokenizer files (io/hf_gpt2.h hf_gpt2_import_tokenizer; none without them). cfg (may
   be NULL) receives the model's config. Needs MPI initialised (writes on MPI_COMM_SELF). Returns
   0 or a negative code with e filled; on error out_h5 is neither created nor changed. */
int hf_llama_import(const char *dir, const char *out_h5, int vocab_pad_to, GPTConfig *cfg,
                    ErrMsg *e) WARN_UNUSED_RESULT;

/* Writes the llama checkpoint at ckpt (its /model) as a Hugging Face LlamaForCausalLM directory:
   dir (created if missing) gets model.safetensors (F32, the names above, fused tensors split back,
   wte and lm_head unpadded to V rows, no lm_head when tied), config.json (every field above plus
   architectures ["LlamaForCausalLM"], head_dim, rope_scaling null, attention_bias and mlp_bias
   false, torch_dtype "float32") and, when the checkpoint holds a BPE, its tokenizer files. Each
   file is written to a .tmp name, fsynced and renamed, model first. Refuses a checkpoint whose
   arch is not llama. cfg (may be NULL) receives the model's config. Needs MPI initialised (reads
   on MPI_COMM_SELF). Returns 0 or a negative code with e filled. */
int hf_llama_export(const char *ckpt, const char *dir, GPTConfig *cfg,
                    ErrMsg *e) WARN_UNUSED_RESULT;

#endif
