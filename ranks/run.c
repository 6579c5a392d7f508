/* ranks/run.c — the per-rank run context; see run.h. */
#include "ranks/run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comm/exchange.h"
#include "ranks/cli.h"
#include "io/ckpt_tokenizer.h"
#include "io/jsonl.h"
#include "train/judges.h"
#include "train/matmul.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/timer.h"

// Rank 0 reads the whole file; NULL with e filled on failure.
static char *read_text(const char *path, ErrMsg *e) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = xmalloc("config.text", cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) buf = xrealloc("config.text", buf, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        xfree(buf);
        err_set(e, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

// Rank 0's status decides for everyone: 0 ok, else every rank returns EXIT_BAD_INPUT.
static int root_decides(int status, const ErrMsg *e, MPI_Comm world) {
    int rank, worst = status;
    MPI_Comm_rank(world, &rank);
    MPI_CHECK(MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, world));
    if (worst != 0 && status != 0 && rank == 0) fprintf(stderr, "error: %s\n", e->msg);
    if (worst != 0 && status == 0 && rank == 0)
        fprintf(stderr, "error: another rank failed to load the run (see its message)\n");
    return worst;
}

static int load_config(RunCtx *ctx, const char *path, const char *given_text, const char *run_dir,
                       const char *const *sets, int n_sets, MPI_Comm world, int rank) {
    ErrMsg e = {{0}};
    char *text = NULL;
    int status = 0;
    if (rank == 0 && given_text)
        text = xstrdup("config.text", given_text);
    else if (rank == 0 && !(text = read_text(path, &e)))
        status = 1;
    MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, world));
    if (status) {
        if (rank == 0) fprintf(stderr, "error: %s\n", e.msg);
        return EXIT_BAD_INPUT;
    }
    char *shared = exchange_bcast_text(text, 0, world);
    xfree(text);
    const char *all[CLI_MAX_SETS + 1];
    int n = 0;
    for (int i = 0; i < n_sets && n < CLI_MAX_SETS; i++) all[n++] = sets[i];
    char dir_set[CONFIG_PATH_MAX + 16];
    if (run_dir) {
        snprintf(dir_set, sizeof dir_set, "run.run_dir=\"%s\"", run_dir);
        all[n++] = dir_set;
    }
    snprintf(ctx->config_source, sizeof ctx->config_source, "%s", path);
    status = config_parse(&ctx->cfg, shared, path, all, n, &e) != 0;
    xfree(shared);
    if (status) {  // same text everywhere, so every rank fails alike; rank 0 speaks
        if (rank == 0) fprintf(stderr, "error: %s\n", e.msg);
        return EXIT_BAD_INPUT;
    }
    ctx->config_json = config_to_json(&ctx->cfg);
    return 0;
}

// tokenizer.kind "bpe": the BPE of model.init's checkpoint (model k's with "{k}") when it holds
// one, else of tokenizer.files; with both, the two must be the same vocabulary. A run being
// resumed must have written its checkpoints with the same tokenizer. 0, or -1 with e filled.
static int bpe_tokenizer(RunCtx *ctx, ErrMsg *e) {
    const Config *c = &ctx->cfg;
    char init[CONFIG_PATH_MAX + 16] = "";
    const char *mark = strstr(c->model.init, "{k}");
    if (mark)
        snprintf(init, sizeof init, "%.*s%d%s", (int)(mark - c->model.init), c->model.init,
                 ctx->ens.model, mark + 3);
    else
        snprintf(init, sizeof init, "%s", c->model.init);
    Bpe *from_init = NULL, *from_files = NULL;
    ErrMsg why;
    if (init[0] && ckpt_tokenizer_read_bpe(init, &from_init, &why) != 0)
        return err_set(e, "model.init: %s", why.msg);
    if (c->tokenizer.files[0] && bpe_load(&from_files, c->tokenizer.files, &why) != 0) {
        if (from_init) bpe_free(from_init);
        return err_set(e, "tokenizer.files: \"%s\": %s", c->tokenizer.files, why.msg);
    }
    if (!from_init && !from_files)
        return err_set(e,
                       "tokenizer.files: tokenizer.kind \"bpe\" needs a BPE, and model.init's "
                       "checkpoint \"%s\" holds none; set tokenizer.files to the model's tokenizer "
                       "files",
                       init);
    Tokenizer other = {0};
    if (from_init && from_files) {
        if (tokenizer_init_bpe(&other, from_files, &why) != 0) {  // it freed from_files
            bpe_free(from_init);
            return err_set(e, "tokenizer.files: %s", why.msg);
        }
        from_files = NULL;
    }
    if (tokenizer_init_bpe(&ctx->tok, from_init ? from_init : from_files, &why) != 0) {
        tokenizer_free(&other);
        return err_set(e, "%s: %s", from_init ? "model.init" : "tokenizer.files", why.msg);
    }
    if (other.bpe && !tokenizer_same(&ctx->tok, &other)) {
        err_set(e,
                "tokenizer.files: \"%s\" is not the tokenizer stored in model.init's "
                "checkpoint \"%s\" (%d against %d tokens, or other merges); give the model's own "
                "files or leave tokenizer.files \"\"",
                c->tokenizer.files, init, tokenizer_vocab_size(&other),
                tokenizer_vocab_size(&ctx->tok));
        tokenizer_free(&other);
        return -1;
    }
    tokenizer_free(&other);
    char latest[CKPT_PATH_MAX];
    ErrMsg none;
    if (ckpt_latest(c->run.run_dir, latest, sizeof latest, &none) == 0) {  // a resume
        Bpe *stored = NULL;
        if (ckpt_tokenizer_read_bpe(latest, &stored, &why) != 0)
            return err_set(e, "resume: %s", why.msg);
        Tokenizer was = {0};
        int same = 0;
        if (stored && tokenizer_init_bpe(&was, stored, &why) == 0)
            same = tokenizer_same(&was, &ctx->tok);
        tokenizer_free(&was);
        if (!same)
            return err_set(e,
                           "resume: %s was written with another tokenizer than this run's "
                           "tokenizer.kind \"bpe\" (%s); resume with the original tokenizer or "
                           "use a new run.run_dir",
                           latest, c->tokenizer.files[0] ? c->tokenizer.files : init);
    }
    return 0;
}

// llm_judge options.mode "score": its judge prompt, from options.template or the built-in rubric,
// checked for its placeholders. 0, or -1 with e naming the file and the field.
static int load_score_template(RunCtx *ctx, ErrMsg *e) {
    int j = config_judge_index(&ctx->cfg, "llm_judge");
    if (j < 0 || strcmp(ctx->cfg.judges[j].mode, "score") != 0) return 0;
    const char *path = ctx->cfg.judges[j].template_file;
    char why[160];
    ErrMsg inner;
    char *text = path[0] ? read_text(path, &inner) : xstrdup("judge.template", JUDGE_SCORE_RUBRIC);
    if (!text) return err_set(e, "judges[%d].options.template: %s", j, inner.msg);
    if (judge_score_template_check(text, why, sizeof why) != 0) {
        xfree(text);
        return err_set(e, "judges[%d].options.template: %s: %s", j, path, why);
    }
    // its own text must encode and leave the judge room to write (BOS + text + 1 token)
    size_t n = strlen(text);
    char *bare = xmalloc("judge.template", n + 1);
    int32_t *ids = xmalloc("judge.template", (n + 1) * sizeof(int32_t));
    int st = judge_fill_score_template(text, "", "", bare, (int)n + 1);
    int k = st < 0 ? -1 : tokenizer_encode(&ctx->tok, bare, ids, (int)n + 1, &inner);
    // with a chat template the judge prompt is a chat turn: count the turn less the BOS it replaces
    if (k >= 0 && ctx->tok.chat != TOKENIZER_CHAT_NONE)
        k = tokenizer_count_turn(&ctx->tok, bare) - 1;
    xfree(bare), xfree(ids);
    const char *name = path[0] ? path : "the built-in rubric";
    if (k < 0) {
        xfree(text);
        return err_set(e,
                       "judges[%d].options.template: %s: %s (the judge prompt must be written "
                       "in the run's tokenizer)",
                       j, name, inner.msg);
    }
    if (k + 2 > ctx->cfg.model.max_seq_len) {
        xfree(text);
        return err_set(e,
                       "judges[%d].options.template: %s is %d tokens without the prompt and the "
                       "response; expected fewer than model.max_seq_len %d - 1 so that the judge "
                       "can write",
                       j, name, k, ctx->cfg.model.max_seq_len);
    }
    ctx->score_template = text;
    return 0;
}

// Rows of the forward-only activations: generate.batch_size, unless their logits (rows, T, Vp)
// would pass INFER_LOGITS_BYTES (a 49152-token vocabulary at T = 256 takes 48 MiB a row).
// Scoring then runs in smaller chunks; decoding is row-invariant, so samples do not change.
#define INFER_LOGITS_BYTES ((size_t)512 << 20)
static int infer_rows(const RunCtx *ctx, int gen_batch) {
    size_t row = (size_t)ctx->model.T * (size_t)ctx->model.Vp * sizeof(float);
    size_t fit = INFER_LOGITS_BYTES / row;
    int rows = fit < (size_t)gen_batch ? (fit > 0 ? (int)fit : 1) : gen_batch;
    if (rows < gen_batch && ctx->comms.rank == 0)
        log_info(
            "inference activations hold %d rows, not generate.batch_size %d: their logits "
            "(T %d x Vp %d) would take %.1f GiB",
            rows, gen_batch, ctx->model.T, ctx->model.Vp, (double)row * gen_batch / (1 << 30));
    return rows;
}

static void alloc_slabs(RunCtx *ctx) {
    const Config *c = &ctx->cfg;
    param_slab_init(&ctx->policy, &ctx->model, "policy");
    param_slab_init(&ctx->round_start, &ctx->model, "round_start");
    param_slab_init(&ctx->sft, &ctx->model, "sft");
    param_slab_init(&ctx->previous, &ctx->model, "previous");
    int n_learners = ctx->comms.learn_size;
    int T = ctx->model.T;
    int gen_batch = c->generate.batch_size;
    int pairs_local = (c->train.batch_pairs + n_learners - 1) / n_learners;
    int sft_local = (c->sft.batch_size + n_learners - 1) / n_learners;
    ctx->train_batch = 2 * pairs_local > sft_local ? 2 * pairs_local : sft_local;
    if (ctx->comms.roles & ROLE_LEARNER) {
        param_slab_init(&ctx->grads, &ctx->model, "grads");
        grad_reducer_init(&ctx->reducer, &ctx->grads, 0, 0, ctx->comms.learn);
        acts_init(&ctx->train_acts, &ctx->model, ctx->train_batch, T, 1);
    }
    acts_init(&ctx->infer_acts, &ctx->model, infer_rows(ctx, gen_batch), T, 0);
    kv_init(&ctx->kv, &ctx->model, gen_batch, T);
}

int run_ctx_init(RunCtx *ctx, const char *config_path, const char *config_text, const char *run_dir,
                 const char *const *sets, int n_sets) {
    memset(ctx, 0, sizeof *ctx);
    ctx->t_start = timer_now();
    MPI_Comm world = MPI_COMM_WORLD;
    int rank, W;
    MPI_Comm_rank(world, &rank);
    MPI_Comm_size(world, &W);
    int st = load_config(ctx, config_path, config_text, run_dir, sets, n_sets, world, rank);
    if (st) return st;
    const Config *c = &ctx->cfg;
    matmul_set_threads(c->run.blas_threads);
    char advice[400];
    if (rank == 0 && matmul_blas_core_advice(advice, sizeof advice)) log_warn("%s", advice);
    int K = c->ensemble.models;
    if (K > W) {  // the same on every rank
        if (rank == 0)
            fprintf(stderr,
                    "error: %s: ensemble.models: expected at most the number of ranks (%d), "
                    "since each model needs ranks of its own, got %d\nHINT: start more ranks "
                    "(mpirun -np %d) or lower ensemble.models\n",
                    ctx->config_source, W, K, K);
        return EXIT_BAD_INPUT;
    }
    // From here on `world` is this model's group: every phase runs inside it.
    ensemble_init(&ctx->ens, K, strcmp(c->ensemble.labels, "others") == 0, c->run.run_dir);
    ensemble_model_dir(ctx->cfg.run.run_dir, sizeof ctx->cfg.run.run_dir, ctx->ens.base_dir, K,
                       ctx->ens.model);
    world = ctx->ens.group;
    MPI_CHECK(MPI_Comm_rank(world, &rank));
    MPI_CHECK(MPI_Comm_size(world, &W));

    ErrMsg e = {{0}};
    uint8_t *roles = xmalloc("roles", (size_t)W);
    st = comms_layout(c->layout.generators, c->layout.judges, c->layout.learners,
                      c->layout.aggregators, W, roles, &e) != 0;
    if (st) {  // the same on every rank
        if (rank == 0) fprintf(stderr, "error: %s: %s\n", ctx->config_source, e.msg);
        xfree(roles);
        return EXIT_BAD_INPUT;
    }
    if (comms_create(&ctx->comms, world, roles, &e) != 0) {
        if (rank == 0) fprintf(stderr, "error: %s\n", e.msg);
        xfree(roles);
        return EXIT_BAD_INPUT;
    }
    xfree(roles);
    if (K > 1) {  // messages name the model too
        char label[COMMS_ROLE_LABEL_MAX], who[COMMS_ROLE_LABEL_MAX + 16];
        snprintf(who, sizeof who, "m%d %s", ctx->ens.model,
                 comms_role_label(ctx->comms.roles, label));
        err_set_identity(ctx->ens.all_rank, who);
    }

    if (strcmp(c->tokenizer.kind, "bpe") == 0) {
        st = bpe_tokenizer(ctx, &e) != 0;
        // the chat template first: prompt lengths are checked with it at load
        if (!st &&
            tokenizer_set_chat(&ctx->tok, c->task.chat_template, c->task.system_prompt, &e) != 0)
            st = 1;
        if (!st && jsonl_task_load_bpe(&ctx->task, c, &ctx->tok, &e) != 0) st = 1;
    } else {
        char charset[TOKENIZER_MAX_CHARS + 1];
        st = jsonl_task_load(&ctx->task, c, charset, &e) != 0;
        if (!st && tokenizer_init(&ctx->tok, charset, &e) != 0) st = 1;
    }
    if (!st && task_verdict_ids(&ctx->tok, &ctx->yes, &ctx->no, &e) != 0) st = 1;
    if (!st && load_score_template(ctx, &e) != 0) st = 1;
    if (root_decides(st, &e, world)) return EXIT_BAD_INPUT;
    config_model(c, tokenizer_vocab_size(&ctx->tok), &ctx->model);
    if (ctx->model.position == GPT_POS_ABACUS) ctx->model.digit0 = tokenizer_digit0(&ctx->tok);
    if (ctx->model.position == GPT_POS_ABACUS && ctx->model.digit0 < 0) {
        if (rank == 0)
            fprintf(stderr,
                    "error: %s: model.position \"abacus\": the tokenizer's characters (\"%s\") "
                    "must hold \"0123456789\" together and in order\n",
                    ctx->config_source, ctx->tok.charset);
        return EXIT_BAD_INPUT;
    }
    if (gpt_config_check(&ctx->model, &e) != 0) {
        if (rank == 0) fprintf(stderr, "error: %s: %s\n", ctx->config_source, e.msg);
        return EXIT_BAD_INPUT;
    }
    snprintf(ctx->ckpt_dir, sizeof ctx->ckpt_dir, "%s/ckpt", c->run.run_dir);
    ckpt_state_init(&ctx->state, W);
    ctx->state.seed = ensemble_model_seed((uint64_t)c->run.seed, ctx->ens.model);
    ctx->phase = PHASE_SFT;  // ckpt_state_init's phase
    // config_parse checked both names
    ctx->reference = strcmp(c->train.reference, "sft") == 0 ? REFERENCE_SFT : REFERENCE_ROUND_START;
    ctx->loss_kind = (LossKind)loss_kind_from_name(c->train.loss);
    alloc_slabs(ctx);
    return 0;
}

void run_ctx_free(RunCtx *ctx) {
    xfree(ctx->config_json);
    task_free(&ctx->task);
    tokenizer_free(&ctx->tok);
    xfree(ctx->score_template);
    param_slab_free(&ctx->policy);
    param_slab_free(&ctx->round_start);
    param_slab_free(&ctx->sft);
    param_slab_free(&ctx->previous);
    if (ctx->grads.data) {
        grad_reducer_free(&ctx->reducer);
        param_slab_free(&ctx->grads);
    }
    if (ctx->opt.m.data) adamw_free(&ctx->opt);
    if (ctx->train_acts.slab) acts_free(&ctx->train_acts);
    if (ctx->infer_acts.slab) acts_free(&ctx->infer_acts);
    if (ctx->judge_acts.slab) acts_free(&ctx->judge_acts);
    if (ctx->kv.k) kv_free(&ctx->kv);
    ckpt_state_free(&ctx->state);
    if (ctx->comms.roles_all) comms_free(&ctx->comms);
    if (ctx->ens.K) ensemble_free(&ctx->ens);  // created (a failed start may not have)
    memset(ctx, 0, sizeof *ctx);
}

void run_bcast_slab(RunCtx *ctx, ParamSlab *s) {
    // learners hold the weights already; generators and judges get them from the learner root
    if (ctx->comms.policy != MPI_COMM_NULL) exchange_bcast_slab(s, 0, ctx->comms.policy);
}

void run_checkpoint(RunCtx *ctx, const char *name, int with_optim) {
    if (!(ctx->comms.roles & ROLE_LEARNER)) return;
    snprintf(ctx->state.phase, sizeof ctx->state.phase, "%s", phase_name(ctx->phase));
    CkptContents c = {.model = &ctx->policy,
                      .optim = with_optim ? &ctx->opt : NULL,
                      .ref = ctx->state.round > 0 || ctx->phase == PHASE_TRAIN ? &ctx->sft : NULL,
                      .prev = ctx->state.round > 0 ? &ctx->round_start : NULL,
                      .state = &ctx->state,
                      .config_json = ctx->config_json,
                      .charset = ctx->tok.charset,
                      .bpe = ctx->tok.bpe};
    ErrMsg e;
    if (ckpt_write(ctx->cfg.run.run_dir, name, &c, ctx->cfg.checkpoint.keep, ctx->comms.learn,
                   &e) != 0)
        die("checkpoint %s: %s", name, e.msg);
    log_root("checkpoint %s/%s.h5", ctx->ckpt_dir, name);
}
