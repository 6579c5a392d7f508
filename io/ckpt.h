/* io/ckpt.h — model checkpoints in HDF5: write (atomic, retained), read, peek, LATEST.
   One file holds everything that determines the rest of a run:
     /                 attrs format="concord.ckpt", format_version=1, created_by, wall_time (f64,
                       unix s), complete (u8, written last)
     /model/<tensor>   f32, the tensors of train/params.h's table (GPT-2 or LLaMA) with their shapes
     /optim            attrs algo="adamw", step, lr, lr_min_ratio, warmup_steps, total_steps, beta1,
                       beta2, eps, weight_decay, grad_clip; datasets /optim/m/<tensor>,
                       /optim/v/<tensor>
     /ref/<tensor>     optional reference policy
     /prev/<tensor>    optional previous-round policy
     /config           attrs n_layer, n_head, n_embd, vocab_size, vocab_padded, max_seq_len,
                       position (+ digit0, abacus_offset when abacus); llama only: arch="llama",
                       n_kv_head, ffn_hidden, rope_theta (f32), norm_eps (f32), tie_embeddings
                       (absent arch = gpt2); dataset /config/json (the resolved config JSON)
     /tokenizer        attr charset; or a GPT-2 BPE (attr kind, datasets: io/ckpt_tokenizer.h)
     /state            attrs round, phase, step, round_step, seed; datasets rng (W, 2) u64
                       (key, counter per world rank), role (W) u8, cursors (n) i64 + attr names;
                       in mid-phase checkpoints also totals (n) f64 + attr names
   Every dataset carries `description` and `dims` attributes, and crc32 (u32, zlib CRC-32 of its
   raw bytes; the root attribute checksums says so; io/h5util.h), checked whenever it is read.
   A write that fails (a full disk: checked for before writing, and every write, flush and close
   checked after) removes the .tmp file and returns an error naming the file.
   Names: ckpt/round_NNNN.h5 (start of round NNNN; round_0000 is the SFT model) and
   ckpt/round_NNNN-step_NNNNNNNN.h5 (inside round NNNN at optimizer step N); ckpt/LATEST holds the
   file name of the newest complete checkpoint. A file is written as <name>.h5.tmp, flushed,
   fsynced and renamed (util/fs.h fs_publish), so a crash at any moment leaves LATEST naming an
   intact checkpoint. The HDF5 layout is written and read in ckpt.c; state, names, LATEST and
   retention live in ckpt_state.c.
   Fault points (util/fault.h): ckpt.after_create, ckpt.after_model, ckpt.after_optim,
   ckpt.after_state, ckpt.before_complete, ckpt.before_close, ckpt.before_rename,
   ckpt.before_latest, ckpt.after_latest. */
#ifndef CONCORD_IO_CKPT_H
#define CONCORD_IO_CKPT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "train/adamw.h"
#include "train/params.h"
#include "train/rng.h"
#include "train/bpe.h"
#include "train/tokenizer.h"
#include "util/err.h"

#define CKPT_FORMAT          "concord.ckpt"
#define CKPT_FORMAT_VERSION  1
#define CKPT_PATH_MAX        4096  // longest checkpoint path handled
#define CKPT_NAME_MAX        64    // longest checkpoint name, e.g. "round_0003-step_00000120.h5"
#define CKPT_PHASE_MAX       16    // longest phase name + NUL
#define CKPT_MAX_CURSORS     16    // named data cursors per checkpoint
#define CKPT_MAX_TOTALS      16    // named phase totals per checkpoint
#define CKPT_CURSOR_NAME_MAX 32    // longest cursor name + NUL
#define CKPT_CREATED_BY_MAX  256   // longest created_by string + NUL

/* Run state besides tensors. rng and role are owned arrays of world_size entries. */
typedef struct {
    int32_t round;               // current round (0 = SFT warm-up)
    char phase[CKPT_PHASE_MAX];  // "sft", "generate", "judge", "aggregate", "train", "eval", "done"
    int64_t step;                // optimizer steps taken in total
    int64_t round_step;          // minibatch cursor within this round's training
    uint64_t seed;               // run seed
    int world_size;              // W
    Rng *rng;                    // (W) each world rank's stream state; owned
    uint8_t *role;               // (W) role bitmask of each world rank; owned
    int n_cursors;               // named data cursors in use
    char cursor_name[CKPT_MAX_CURSORS][CKPT_CURSOR_NAME_MAX];  // e.g. "sft_example"
    int64_t cursor[CKPT_MAX_CURSORS];                          // value of each cursor
    // Running totals of the phase in progress (mid-phase checkpoints only; none at a round
    // boundary): what the phase's metrics line sums, so a resumed phase reports all its steps.
    int n_totals;
    char total_name[CKPT_MAX_TOTALS][CKPT_CURSOR_NAME_MAX];  // e.g. "loss"
    double total[CKPT_MAX_TOTALS];                           // value of each total
} CkptState;

/* What ckpt_write stores and ckpt_read fills. Pointers are borrowed from the caller. */
typedef struct {
    ParamSlab *model;         // policy weights; required
    AdamW *optim;             // optional (NULL: no /optim); read: m, v allocated for the config
    ParamSlab *ref;           // optional reference policy (/ref)
    ParamSlab *prev;          // optional previous-round policy (/prev)
    CkptState *state;         // write: required. read: optional; must be zeroed or initialised,
                              // replaced by the file's state (old arrays freed)
    const char *config_json;  // write: resolved config text (required). read: unused, see ckpt_peek
    const char *charset;      // write: tokenizer charset (required). read: unused, see ckpt_peek
    const Bpe *bpe;  // write: optional GPT-2 BPE tokenizer in /tokenizer (io/ckpt_tokenizer.h;
                     // charset "" then). read: unused, see ckpt_tokenizer_read_bpe
} CkptContents;

/* Everything about a checkpoint except its tensors, from ckpt_peek. */
typedef struct {
    GPTConfig model_cfg;                    // from /config attributes
    char charset[TOKENIZER_MAX_CHARS + 1];  // /tokenizer charset
    char *config_json;                      // /config/json text; owned
    CkptState state;                        // /state; arrays owned
    int has_optim, has_ref, has_prev;       // which optional groups exist
    AdamWConfig optim_cfg;                  // /optim attributes (zero when has_optim = 0)
    int64_t optim_step;                     // /optim step (0 when has_optim = 0)
    int32_t format_version;                 // root format_version
    char created_by[CKPT_CREATED_BY_MAX];   // root created_by
    double wall_time;                       // root wall_time (unix seconds)
} CkptInfo;

/* Zeroed state for world_size ranks (phase "sft"); caller frees with ckpt_state_free. */
void ckpt_state_init(CkptState *s, int world_size);
/* Frees the arrays and zeroes s; safe on a zeroed state and when called twice. */
void ckpt_state_free(CkptState *s);
/* Sets cursor name to value, adding it if new; dies when CKPT_MAX_CURSORS are in use. */
void ckpt_state_set_cursor(CkptState *s, const char *name, int64_t value);
/* Value of cursor name, or dflt when the state has no such cursor. */
int64_t ckpt_state_cursor(const CkptState *s, const char *name, int64_t dflt);
/* The same for the phase totals (ckpt_state_clear_totals drops them all). */
void ckpt_state_set_total(CkptState *s, const char *name, double value);
double ckpt_state_total(const CkptState *s, const char *name, double dflt);
void ckpt_state_clear_totals(CkptState *s);
/* 1 if phase is one of the phase names above. */
int ckpt_phase_valid(const char *phase);

/* Checkpoint names (no ".h5"): "round_0003" and "round_0003-step_00000120". */
void ckpt_name_round(char *buf, size_t size, int32_t round);
void ckpt_name_step(char *buf, size_t size, int32_t round, int64_t step);
/* Parses a file name "round_NNNN.h5" (*step = -1) or "round_NNNN-step_NNNNNNNN.h5"; returns 0,
   or -1 when name is not a checkpoint file name. */
int ckpt_name_parse(const char *name, int32_t *round, int64_t *step);

/* Collective(comm): writes run_dir/ckpt/<name>.h5 atomically (see the protocol above) and points
   LATEST at it; every rank of comm holds the same contents and writes a block of rows of every
   tensor. Rank 0 then removes stale *.h5.tmp files and old checkpoints beyond the newest keep
   (keep <= 0: keep all), never round_0000.h5 nor the one LATEST names. Returns 0, or a negative
   code with e filled, identically on every rank (e.g. run_dir not writable). */
int ckpt_write(const char *run_dir, const char *name, const CkptContents *c, int keep,
               MPI_Comm comm, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective(comm): writes one checkpoint file at exactly path, with ckpt_write's layout and
   atomicity (path.tmp, complete=1 last, fsync, rename, fsync of the directory) but no LATEST and
   no retention; an existing file at path is replaced. For tools (import-llmc). Returns 0, or a
   negative code with e filled, identically on every rank (e.g. the directory does not exist). */
int ckpt_write_file(const char *path, const CkptContents *c, MPI_Comm comm,
                    ErrMsg *e) WARN_UNUSED_RESULT;

/* Reads run_dir/ckpt/LATEST and writes the full path of the checkpoint it names into path.
   Not collective (rank 0 reads, then broadcasts). Recoverable: no LATEST, or a bad name in it. */
int ckpt_latest(const char *run_dir, char *path, size_t size, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective(comm): checks format, format_version, the complete flag, /config against expect and
   every tensor's shape, then reads model (and optim, ref, prev, state where those pointers are
   non-NULL; a requested group that is absent is an error) into the caller's slabs, allocated for
   expect. Returns 0 or a negative code with e filled (mismatches end with a HINT: line),
   identically on every rank. A file that is missing, not HDF5, truncated or of another format
   gives a clean error. */
int ckpt_read(const char *path, const GPTConfig *expect, CkptContents *c, MPI_Comm comm,
              ErrMsg *e) WARN_UNUSED_RESULT;

/* Reads a checkpoint's metadata without knowing its config (one process, no MPI needed): checks
   format, version and complete flag, derives the GPTConfig and checks the tensor shapes against it.
   Fills info (free with ckpt_info_free). Returns 0 or a negative code with e filled. */
int ckpt_peek(const char *path, CkptInfo *info, ErrMsg *e) WARN_UNUSED_RESULT;
/* Frees what ckpt_peek allocated and zeroes info; safe to call twice. */
void ckpt_info_free(CkptInfo *info);

#endif
