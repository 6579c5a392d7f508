/* io/jsonl.c — the run's Task from the Config and users' JSONL files; see jsonl.h.
   Loading is three passes: read and parse every line of the three files into records (syntax and
   types), resolve the charset (building it for "auto"), then check every record's characters and
   lengths and the prompts' uniqueness, and only then fill the Task. cJSON stays inside this file.
 */
#include "io/jsonl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

enum { F_PROMPTS, F_EVAL, F_SFT, N_FILES };

static const char *const file_key[N_FILES] = {"task.prompts_file", "task.eval_file",
                                              "task.sft_file"};

typedef struct {
    int file;         // F_PROMPTS, F_EVAL or F_SFT
    int line;         // 1-based line number in its file
    char *prompt;     // "prompt" (owned)
    char *second;     // "answer" (NULL when absent) or "response" (owned)
    char *rationale;  // SFT evaluation lines: "rationale" (owned; NULL when absent)
    int verdict;      // SFT: -1 instruction, 0/1 evaluation; prompts: 1 = also an SFT prompt
    uint64_t hash;    // FNV-1a of prompt
    int level;        // "level", 1..TASK_MAX_LEVELS, 0 when absent
} Rec;

typedef struct {
    const Config *cfg;
    const char *path[N_FILES];  // file names ("" = not given)
    Rec *rec;                   // every usable line of every file, in file order (owned)
    int n, cap;                 // count, capacity
    int judge_used;             // 1 when an llm_judge (or prev_round of it) scores responses
    const Tokenizer *bpe;       // a bpe tokenizer: lengths in its tokens; NULL = char kind
} Loader;

// "path:line: message" into e; returns -1.
static int line_err(ErrMsg *e, const Loader *L, const Rec *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int line_err(ErrMsg *e, const Loader *L, const Rec *r, const char *fmt, ...) {
    char msg[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(e, "%s:%d: %s", L->path[r->file], r->line, msg);
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static const char *json_type(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsArray(j)) return "an array";
    return "an object";
}

// "'x'" or "byte 0x0a" for messages.
static const char *describe_char(char buf[16], unsigned char c) {
    if (c >= 0x20 && c <= 0x7e)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

// ---- pass 1: lines -> records ----------------------------------------------------------------

// Reads one line without its '\n' into *buf; returns its length or -1 at end of file. *nul is the
// 1-based column of the first NUL byte in it (0 when none).
static long read_line(FILE *fp, char **buf, size_t *cap, long *nul) {
    size_t n = 0;
    int c;
    *nul = 0;
    while ((c = getc(fp)) != EOF && c != '\n') {
        if (n + 2 > *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *buf = xrealloc("jsonl_line", *buf, *cap);
        }
        if (c == 0 && !*nul) *nul = (long)n + 1;
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0) return -1;
    if (!*buf) {
        *cap = 1024;
        *buf = xmalloc("jsonl_line", *cap);
    }
    (*buf)[n] = '\0';
    return (long)n;
}

// Finds key in object j (NULL when absent); a key given twice is an error.
static int get_key(ErrMsg *e, const Loader *L, const Rec *r, const cJSON *j, const char *key,
                   const cJSON **out) {
    *out = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, j) {
        if (!c->string || strcmp(c->string, key) != 0) continue;
        if (*out) return line_err(e, L, r, "key \"%s\" appears twice", key);
        *out = c;
    }
    return 0;
}

// String field key: required or optional; empty allowed or not. *out: xstrdup'd copy or NULL.
static int get_string(ErrMsg *e, const Loader *L, const Rec *r, const cJSON *j, const char *key,
                      int required, int allow_empty, char **out) {
    const cJSON *v;
    *out = NULL;
    if (get_key(e, L, r, j, key, &v)) return -1;
    if (!v) return required ? line_err(e, L, r, "missing \"%s\" (expected a string)", key) : 0;
    if (!cJSON_IsString(v))
        return line_err(e, L, r, "\"%s\": expected a string, got %s", key, json_type(v));
    size_t n = strlen(v->valuestring);
    if (n == 0 && !allow_empty)
        return line_err(e, L, r, "\"%s\": expected a non-empty string, got \"\"", key);
    if (n >= TASK_TEXT_MAX)
        return line_err(e, L, r, "\"%s\": expected at most %d characters, got %zu", key,
                        TASK_TEXT_MAX - 1, n);
    *out = xstrdup("jsonl_text", v->valuestring);
    return 0;
}

// Optional integer "level" in 1..TASK_MAX_LEVELS (*out 0 when absent).
static int get_level(ErrMsg *e, const Loader *L, const Rec *r, const cJSON *j, int *out) {
    const cJSON *v;
    *out = 0;
    if (get_key(e, L, r, j, "level", &v)) return -1;
    if (!v) return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(d >= 1 && d <= TASK_MAX_LEVELS && d == floor(d))) {
        char got[64];
        if (cJSON_IsNumber(v))
            snprintf(got, sizeof got, "%.17g", d);
        else
            snprintf(got, sizeof got, "%s", json_type(v));
        return line_err(e, L, r, "\"level\": expected an integer in 1..%d, got %s", TASK_MAX_LEVELS,
                        got);
    }
    *out = (int)d;
    return 0;
}

static void free_rec(Rec *r) {
    xfree(r->prompt);
    xfree(r->second);
    xfree(r->rationale);
}

// Replaces r->prompt by task.prompt_template filled with it: the text the model sees (the
// default "{prompt}" leaves it as it is).
static int apply_prompt_template(ErrMsg *e, const Loader *L, Rec *r) {
    const char *tpl = L->cfg->task.prompt_template;
    if (strcmp(tpl, "{prompt}") == 0) return 0;
    char *out = xmalloc("jsonl_text", TASK_TEXT_MAX);
    int n = task_fill_prompt_template(tpl, r->prompt, out, TASK_TEXT_MAX);
    if (n < 0) {
        xfree(out);
        return line_err(e, L, r,
                        "\"prompt\": in task.prompt_template it is longer than %d characters "
                        "(expected a shorter prompt or template)",
                        TASK_TEXT_MAX - 1);
    }
    xfree(r->prompt);
    r->prompt = out;
    return 0;
}

// Parses one non-blank line into a new record of L.
static int parse_line(ErrMsg *e, Loader *L, int f, int line, const char *text) {
    Rec r = {f, line, NULL, NULL, NULL, f == F_SFT ? -1 : 0, 0, 0};
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(text, &end, 1);
    if (!j)
        return line_err(e, L, &r, "invalid JSON at column %ld (expected one JSON object per line)",
                        end ? (long)(end - text) + 1 : 1L);
    int rc = 0;
    if (!cJSON_IsObject(j)) {
        rc = line_err(e, L, &r, "expected a JSON object, got %s", json_type(j));
    } else if (get_string(e, L, &r, j, "prompt", 1, 0, &r.prompt)) {
        rc = -1;
    } else if (f != F_SFT) {
        rc = get_string(e, L, &r, j, "answer", 0, 0, &r.second);
    } else if (get_string(e, L, &r, j, "response", 1, 1, &r.second)) {
        rc = -1;
    } else {
        const cJSON *v;
        rc = get_key(e, L, &r, j, "verdict", &v);
        if (!rc && v && !cJSON_IsBool(v))
            rc = line_err(e, L, &r, "\"verdict\": expected true or false, got %s", json_type(v));
        if (!rc && v) r.verdict = cJSON_IsTrue(v) ? 1 : 0;
        // the judge's rationale is read only where it is used: evaluation lines, judge_rationale
        if (!rc && v && L->cfg->task.judge_rationale) {
            rc = get_string(e, L, &r, j, "rationale", 0, 0, &r.rationale);
            if (!rc && !r.rationale)
                rc = line_err(e, L, &r,
                              "missing \"rationale\" (expected a string: with task.judge_rationale "
                              "true the judge writes it, its own answer, before the verdict; add "
                              "it or set task.judge_rationale to false)");
        }
    }
    if (!rc) rc = get_level(e, L, &r, j, &r.level);
    cJSON_Delete(j);
    if (!rc) rc = apply_prompt_template(e, L, &r);
    if (rc) {
        free_rec(&r);
        return -1;
    }
    r.hash = fnv1a(r.prompt);
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 256;
        L->rec = xrealloc("jsonl_records", L->rec, (size_t)L->cap * sizeof *L->rec);
    }
    L->rec[L->n++] = r;
    return 0;
}

static int read_file(ErrMsg *e, Loader *L, int f) {
    const char *path = L->path[f];
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "%s: cannot open \"%s\": %s", file_key[f], path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    long len, nul;
    int line = 0, usable = 0, rc = 0;
    while (!rc && (len = read_line(fp, &buf, &cap, &nul)) >= 0) {
        char *text = buf;
        Rec at = {f, ++line, NULL, NULL, NULL, 0, 0, 0};
        if (line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;  // UTF-8 byte order mark
        if (nul) {
            rc = line_err(e, L, &at, "NUL byte at column %ld (expected JSON text)", nul);
            break;
        }
        if (len > 0 && buf[len - 1] == '\r') buf[--len] = '\0';
        if (text[strspn(text, " \t\r")] == '\0') continue;
        rc = parse_line(e, L, f, line, text);
        usable += !rc;
    }
    if (!rc && ferror(fp)) rc = err_set(e, "%s: error reading \"%s\"", file_key[f], path);
    fclose(fp);
    xfree(buf);
    if (!rc && usable == 0)
        rc = err_set(e, "%s: \"%s\" has no usable line (expected one JSON object per line)",
                     file_key[f], path);
    return rc;
}

// ---- pass 2: charset -------------------------------------------------------------------------

// Literal characters of the judge template (placeholders removed).
static void template_literals(const char *tpl, char *out, size_t size) {
    size_t k = 0;
    for (const char *t = tpl; *t && k + 1 < size;) {
        if (strncmp(t, "{prompt}", 8) == 0 || strncmp(t, "{answer}", 8) == 0)
            t += 8;
        else
            out[k++] = *t++;
    }
    out[k] = '\0';
}

// Marks the characters of field text; a non-printable character is an error.
static int collect_chars(ErrMsg *e, const Loader *L, const Rec *r, const char *key,
                         const char *text, unsigned char seen[256]) {
    char what[16];
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        if (*s < 0x20 || *s > 0x7e)
            return line_err(e, L, r,
                            "\"%s\": %s at column %ld is not printable ASCII (the "
                            "character tokenizer takes 0x20..0x7e)",
                            key, describe_char(what, *s),
                            (long)(s - (const unsigned char *)text) + 1);
        seen[*s] = 1;
    }
    return 0;
}

static const char *second_key(const Rec *r) { return r->file == F_SFT ? "response" : "answer"; }

static int build_charset(ErrMsg *e, const Loader *L, char charset[TOKENIZER_MAX_CHARS + 1]) {
    unsigned char seen[256] = {0};
    char lit[CONFIG_TEXT_MAX];
    template_literals(L->cfg->task.judge_template, lit, sizeof lit);
    for (const char *p = lit; *p; p++) seen[(unsigned char)*p] = 1;
    seen['Y'] = seen['N'] = 1;
    for (int i = 0; i < L->n; i++) {
        const Rec *r = &L->rec[i];
        if (collect_chars(e, L, r, "prompt", r->prompt, seen)) return -1;
        if (r->second && collect_chars(e, L, r, second_key(r), r->second, seen)) return -1;
        if (r->rationale && collect_chars(e, L, r, "rationale", r->rationale, seen)) return -1;
    }
    int k = 0;  // at most 95 printable characters, within TOKENIZER_MAX_CHARS
    for (int c = 0x20; c <= 0x7e; c++)
        if (seen[c]) charset[k++] = (char)c;
    CHECK(k <= TOKENIZER_MAX_CHARS);
    charset[k] = '\0';
    return 0;
}

// ---- pass 3: characters, lengths, uniqueness ----------------------------------------------

static int check_vocab(ErrMsg *e, const Loader *L, const Rec *r, const char *key, const char *text,
                       const Tokenizer *tok) {
    char what[16];
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        if (tok->id_of[*s] < 0)
            return line_err(e, L, r, "\"%s\": %s at column %ld is not in tokenizer.charset \"%s\"",
                            key, describe_char(what, *s),
                            (long)(s - (const unsigned char *)text) + 1, tok->charset);
    return 0;
}

// Tokens of text: one per character (char kind), the BPE's count (bpe).
static int n_tok(const Loader *L, const char *text) {
    return L->bpe ? tokenizer_count(L->bpe, text) : (int)strlen(text);
}

// Tokens of the judge template filled with prompt and answer (placeholders replaced).
static int judge_tokens(const Loader *L, const char *prompt, const char *answer) {
    const char *tpl = L->cfg->task.judge_template;
    if (!L->bpe) return (int)strlen(tpl) - 16 + (int)strlen(prompt) + (int)strlen(answer);
    size_t cap = strlen(tpl) + strlen(prompt) + strlen(answer) + 1, k = 0;
    char *text = xmalloc("jsonl_judge", cap);
    for (const char *t = tpl; *t;) {
        const char *piece = NULL;
        if (strncmp(t, "{prompt}", 8) == 0) piece = prompt;
        if (strncmp(t, "{answer}", 8) == 0) piece = answer;
        if (piece) {
            memcpy(text + k, piece, strlen(piece));
            k += strlen(piece);
            t += 8;
        } else {
            text[k++] = *t++;
        }
    }
    text[k] = '\0';
    int n = tokenizer_count_turn(L->bpe, text) - 1;  // with a chat template: its turns, less 1
    xfree(text);
    return n;
}

// Tokens of one record's training or generation sequence against model.max_seq_len.
static int check_length(ErrMsg *e, const Loader *L, const Rec *r) {
    int T = L->cfg->model.max_seq_len, mnt = L->cfg->generate.max_new_tokens;
    const char *unit = L->bpe ? "tokens" : "characters";
    // a prompt counts as its turn less BOS (task.chat_template's turns, less 1, with bpe)
    int np = L->bpe ? tokenizer_count_turn(L->bpe, r->prompt) - 1 : n_tok(L, r->prompt);
    int ns = r->second ? n_tok(L, r->second) : 0;
    int nr = r->rationale ? n_tok(L, r->rationale) : 0;
    if (r->file != F_SFT) {
        if (1 + np + mnt > T)
            return line_err(e, L, r,
                            "\"prompt\" of %d %s is too long: 1 (BOS) + %d + "
                            "generate.max_new_tokens %d = %d tokens exceed model.max_seq_len %d",
                            np, unit, np, mnt, 1 + np + mnt, T);
        int rationale = L->cfg->task.judge_rationale ? mnt - 1 : 0;
        int judge = 1 + judge_tokens(L, r->prompt, "") + (mnt - 1) + rationale + 1;
        if (L->judge_used && judge > T)
            return line_err(e, L, r,
                            "\"prompt\" of %d %s is too long for llm_judge: BOS + "
                            "task.judge_template with it and a %d-token response + %d-token "
                            "rationale + verdict = %d tokens exceed model.max_seq_len %d",
                            np, unit, mnt - 1, rationale, judge, T);
        return 0;
    }
    if (r->verdict < 0 && 1 + np + ns + 1 > T)
        return line_err(e, L, r,
                        "too long: 1 (BOS) + \"prompt\" %d + \"response\" %d + 1 (EOS) = "
                        "%d tokens exceed model.max_seq_len %d",
                        np, ns, np + ns + 2, T);
    int judge = r->verdict >= 0 ? judge_tokens(L, r->prompt, r->second) : 0;
    if (r->verdict >= 0 && 1 + judge + nr + 2 > T)
        return line_err(e, L, r,
                        "too long: BOS + task.judge_template with \"prompt\" %d and "
                        "\"response\" %d %s + \"rationale\" %d + verdict + EOS = %d "
                        "tokens exceed model.max_seq_len %d",
                        np, ns, unit, nr, judge + nr + 3, T);
    return 0;
}

// Generated text of a record that generation must not cut, or NULL: a prompts or eval line's
// "answer", an SFT instruction line's "response", an evaluation line's "rationale" (only read with
// task.judge_rationale). *end names the token that follows it.
static const char *generated_text(const Rec *r, const char **key, const char **end) {
    *end = "end token";
    if (r->file != F_SFT) {
        *key = "answer";
        return r->second;
    }
    if (r->verdict < 0) {
        *key = "response";
        return r->second;
    }
    *key = "rationale";
    *end = "verdict";
    return r->rationale;
}

// Every text the model must generate fits generate.max_new_tokens: an answer or response and its
// EOS, or a rationale, decoded with max_new_tokens - 1 tokens (task_rationale_tokens), and the
// verdict. A longer one would be cut in every generation and counted wrong, so the longest one
// (the first of them in file order) is reported with the value needed.
static int check_generated(ErrMsg *e, const Loader *L) {
    int mnt = L->cfg->generate.max_new_tokens, worst = -1, worst_len = 0;
    for (int i = 0; i < L->n; i++) {
        const char *key, *end, *text = generated_text(&L->rec[i], &key, &end);
        int n = text ? n_tok(L, text) : 0;
        if (text && n > worst_len) worst = i, worst_len = n;
    }
    if (worst < 0 || worst_len + 1 <= mnt) return 0;
    const Rec *r = &L->rec[worst];
    const char *key, *end;
    generated_text(r, &key, &end);
    char how[96];
    if (r->file == F_SFT && r->verdict >= 0)
        snprintf(how, sizeof how,
                 "the judge decodes its rationale with generate.max_new_tokens - 1 = %d tokens",
                 mnt - 1);
    else
        snprintf(how, sizeof how, "generation stops after %d tokens", mnt);
    return line_err(e, L, r,
                    "\"%s\": expected at most generate.max_new_tokens %d tokens (%s + %s), got "
                    "%d (%d %s + %s); %s and would cut it, so it would be counted wrong "
                    "every time: set generate.max_new_tokens to at least %d (the longest text to "
                    "generate in the task files)",
                    key, mnt, key, end, worst_len + 1, worst_len, L->bpe ? "tokens" : "characters",
                    end, how, worst_len + 1);
}

// Entry of the prompt index: a record's prompt and its hash.
typedef struct {
    uint64_t hash;
    const char *prompt;
    int rec;
} Key;

// Order: hash, then text, then file order; equal prompts end up adjacent, first occurrence first.
static int cmp_key(const void *pa, const void *pb) {
    const Key *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    int c = strcmp(a->prompt, b->prompt);
    return c ? c : a->rec - b->rec;
}

// First entry with hash h in keys[0..n) (sorted), or n.
static int lower_bound(const Key *keys, int n, uint64_t h) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (keys[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

// Prompts of the prompts and eval files are distinct; SFT prompts are never held out.
static int check_prompts(ErrMsg *e, Loader *L) {
    Key *keys = xmalloc("jsonl_index", (size_t)(L->n ? L->n : 1) * sizeof *keys);
    int m = 0;
    for (int i = 0; i < L->n; i++)
        if (L->rec[i].file != F_SFT) keys[m++] = (Key){L->rec[i].hash, L->rec[i].prompt, i};
    qsort(keys, (size_t)m, sizeof *keys, cmp_key);
    int worst = -1,
        first = -1;  // the earliest repeated line in file order, and its first occurrence
    for (int k = 1, g = 0; k < m; k++) {
        if (keys[k].hash != keys[g].hash || strcmp(keys[k].prompt, keys[g].prompt) != 0) {
            g = k;
        } else if (worst < 0 || keys[k].rec < worst) {
            worst = keys[k].rec;
            first = keys[g].rec;
        }
    }
    int rc = 0;
    if (worst >= 0)
        rc = line_err(e, L, &L->rec[worst],
                      "duplicate prompt, already at %s:%d (each prompt must "
                      "appear once in task.prompts_file and task.eval_file together)",
                      L->path[L->rec[first].file], L->rec[first].line);
    for (int i = 0; i < L->n && !rc; i++) {
        const Rec *s = &L->rec[i];
        if (s->file != F_SFT) continue;
        for (int k = lower_bound(keys, m, s->hash); k < m && keys[k].hash == s->hash; k++) {
            Rec *p = &L->rec[keys[k].rec];
            if (strcmp(p->prompt, s->prompt) != 0) continue;
            if (p->file == F_EVAL) {
                rc = line_err(e, L, s,
                              "prompt is a held-out evaluation prompt (%s:%d); SFT data "
                              "must not contain it",
                              L->path[F_EVAL], p->line);
                break;
            }
            p->verdict = 1;  // a prompts-file line the model is trained on: never held out
        }
    }
    xfree(keys);
    return rc;
}

static int validate(ErrMsg *e, Loader *L, const Tokenizer *tok) {
    if (tok->kind == TOKENIZER_BPE) {  // every byte has a token: lengths alone
        for (int i = 0; i < L->n; i++)
            if (check_length(e, L, &L->rec[i])) return -1;
        if (check_generated(e, L)) return -1;
        return check_prompts(e, L);
    }
    int need_template = L->judge_used;
    for (int i = 0; i < L->n; i++)
        need_template |= L->rec[i].file == F_SFT && L->rec[i].verdict >= 0;
    if (need_template) {
        char lit[CONFIG_TEXT_MAX + 2];
        template_literals(L->cfg->task.judge_template, lit, sizeof lit - 2);
        strcat(lit, "YN");
        for (const char *p = lit; *p; p++)
            if (tok->id_of[(unsigned char)*p] < 0)
                return err_set(e,
                               "tokenizer.charset: missing '%c', which the judge prompts "
                               "(task.judge_template and verdicts Y/N) need",
                               *p);
    }
    for (int i = 0; i < L->n; i++) {
        const Rec *r = &L->rec[i];
        if (check_vocab(e, L, r, "prompt", r->prompt, tok)) return -1;
        if (r->second && check_vocab(e, L, r, second_key(r), r->second, tok)) return -1;
        if (r->rationale && check_vocab(e, L, r, "rationale", r->rationale, tok)) return -1;
        if (check_length(e, L, r)) return -1;
    }
    if (check_generated(e, L)) return -1;
    return check_prompts(e, L);
}

// ---- assembling the Task ---------------------------------------------------------------------

void jsonl_task_spec(const Config *cfg, TaskSpec *out) {
    memset(out, 0, sizeof *out);
    out->seed = (uint64_t)cfg->run.seed;
    out->eval_prompts = cfg->task.eval_prompts;
    out->prompts_per_round = cfg->task.prompts_per_round;
    out->rounds = cfg->rounds.count;
    snprintf(out->judge_template, sizeof out->judge_template, "%s", cfg->task.judge_template);
    out->judge_rationale = cfg->task.judge_rationale;
    snprintf(out->answer_regex, sizeof out->answer_regex, "%s", cfg->task.answer_regex);
    out->digits = cfg->task.arith.digits;
    snprintf(out->operators, sizeof out->operators, "%s", cfg->task.arith.operators);
    out->n_instruction = cfg->sft.n_instruction;
    out->n_evaluation = cfg->sft.n_evaluation;
    out->eval_wrong_fraction = cfg->sft.eval_wrong_fraction;
    out->n_validation = config_sft_early_stop(cfg) ? cfg->sft.n_validation : 0;
    out->reversed = cfg->task.arith.reversed;
    out->pad_to = cfg->task.arith.pad_to;
    out->fresh_rounds = cfg->task.arith.fresh_rounds;
    out->sft_min = cfg->task.levels.sft_min;
    out->sft_max = cfg->task.levels.sft_max;
    char why[160];
    out->n_schedule = task_parse_schedule(cfg->task.levels.schedule, TASK_MAX_LEVELS, out->schedule,
                                          why, sizeof why);
    if (out->n_schedule < 0) out->n_schedule = TASK_SCHEDULE_MAX + 1;  // task init refuses it
    out->replay = cfg->task.levels.replay;
    out->eval_max = cfg->task.levels.eval_max;
    out->mixed_operands = strcmp(cfg->task.levels.operands, "mixed") == 0;
    out->level_holds = cfg->task.levels.advance_min_agreement > 0;
}

static int uses_llm_judge(const Config *cfg) {
    for (int i = 0; i < cfg->n_judges; i++)
        if (strcmp(cfg->judges[i].name, "llm_judge") == 0 ||
            strcmp(cfg->judges[i].of, "llm_judge") == 0)
            return 1;
    return 0;
}

static int fill_list(Task *t, Loader *L, const TaskSpec *spec, ErrMsg *e);

static int load_list(Task *t, Loader *L, const TaskSpec *spec, char *charset, ErrMsg *e) {
    const Config *cfg = L->cfg;
    for (int f = 0; f < N_FILES; f++)
        if (L->path[f][0] && read_file(e, L, f)) return -1;
    if (L->bpe) {
        if (validate(e, L, L->bpe)) return -1;
        return fill_list(t, L, spec, e);
    }
    if (strcmp(cfg->tokenizer.charset, "auto") == 0) {
        if (build_charset(e, L, charset)) return -1;
    } else {
        snprintf(charset, TOKENIZER_MAX_CHARS + 1, "%s", cfg->tokenizer.charset);
    }
    Tokenizer tok;
    ErrMsg inner;
    if (tokenizer_init(&tok, charset, &inner))
        return err_set(e, "tokenizer.charset: %s", inner.msg);
    if (validate(e, L, &tok)) return -1;
    return fill_list(t, L, spec, e);
}

// The Task of the validated records.
static int fill_list(Task *t, Loader *L, const TaskSpec *spec, ErrMsg *e) {
    if (task_init_list(t, spec, e)) return -1;
    for (int i = 0; i < L->n; i++) {
        const Rec *r = &L->rec[i];
        if (r->file == F_SFT)
            task_list_add_sft_level(t, r->prompt, r->second, r->verdict, r->rationale, r->level);
        else
            task_list_add_prompt_level(t, r->file == F_EVAL, r->prompt, r->second, r->verdict,
                                       r->level);
    }
    return task_list_finish(t, L->path[F_PROMPTS], L->path[F_EVAL], e);
}

// Both entry points: bpe NULL = char kind (charset filled), else lengths in bpe's tokens.
static int task_load(Task *t, const Config *cfg, const Tokenizer *bpe,
                     char charset[TOKENIZER_MAX_CHARS + 1], ErrMsg *e) {
    memset(t, 0, sizeof *t);
    charset[0] = '\0';
    TaskSpec spec;
    jsonl_task_spec(cfg, &spec);
    int rc;
    if (strcmp(cfg->task.name, "arith") == 0) {
        if (strcmp(cfg->tokenizer.charset, "auto") == 0)
            return err_set(e,
                           "tokenizer.charset: \"auto\" needs task.name \"jsonl\"; the arith "
                           "task needs an explicit charset");
        snprintf(charset, TOKENIZER_MAX_CHARS + 1, "%s", cfg->tokenizer.charset);
        rc = task_init_arith(t, &spec, e);
    } else if (strcmp(cfg->task.name, "jsonl") == 0) {
        if (!cfg->task.prompts_file[0])
            return err_set(e, "task.prompts_file: task \"jsonl\" needs a JSONL prompts file");
        Loader L = {cfg,  {cfg->task.prompts_file, cfg->task.eval_file, cfg->task.sft_file},
                    NULL, 0,
                    0,    uses_llm_judge(cfg),
                    bpe};
        rc = load_list(t, &L, &spec, charset, e);
        for (int i = 0; i < L.n; i++) free_rec(&L.rec[i]);
        xfree(L.rec);
    } else {
        return err_set(e, "task.name: expected \"arith\" or \"jsonl\", got \"%s\"", cfg->task.name);
    }
    if (!rc && cfg->sft.steps > 0 && task_split_size(t, TASK_SPLIT_SFT) == 0)
        rc = err_set(e,
                     "sft.steps: %d warm-up steps need SFT examples, and there are none (%s); "
                     "set sft.steps to 0 or provide examples",
                     cfg->sft.steps,
                     t->kind == TASK_ARITH ? "sft.n_instruction and sft.n_evaluation are 0"
                                           : "task.sft_file is empty");
    if (rc) {
        task_free(t);
        charset[0] = '\0';
    }
    return rc;
}

int jsonl_task_load(Task *t, const Config *cfg, char charset[TOKENIZER_MAX_CHARS + 1], ErrMsg *e) {
    return task_load(t, cfg, NULL, charset, e);
}

int jsonl_task_load_bpe(Task *t, const Config *cfg, const Tokenizer *tok, ErrMsg *e) {
    CHECKF(tok->kind == TOKENIZER_BPE, "jsonl_task_load_bpe: not a bpe tokenizer");
    if (strcmp(cfg->task.name, "jsonl") != 0)
        return err_set(e,
                       "tokenizer.kind: \"bpe\" serves JSONL text tasks, expected task.name "
                       "\"jsonl\", got \"%s\"",
                       cfg->task.name);
    char unused[TOKENIZER_MAX_CHARS + 1];
    return task_load(t, cfg, tok, unused, e);
}
