/* io/config.c — strict JSON config: parsing with cJSON over the defaults of the schema table,
   --set overrides, did-you-mean suggestions, load, diff and the accessors; see config.h. The
   table and the cross-field rules are in config_schema.c, the writer in config_json.c. */
#include "io/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/config_schema.h"
#include "util/alloc.h"
#include "util/fs.h"

#define CONFIG_FILE_MAX (4 << 20)  // a config file larger than this is refused

typedef struct {
    Config *cfg;      // being filled
    const char *src;  // source label for messages: file name, "--set" or "defaults"
    ErrMsg *e;
} ParseCtx;

// ---- did-you-mean ----

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
static int edit_distance(const char *a, const char *b) {
    int n = (int)strnlen(a, KEY_MAX - 1), m = (int)strnlen(b, KEY_MAX - 1);
    int d[3][KEY_MAX];  // rows i-2, i-1, i (mod 3)
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++) {
        int *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
        cur[0] = i;
        for (int j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
        }
    }
    return d[n % 3][m];
}

typedef struct {
    const char *word;    // unknown word
    char best[KEY_MAX];  // best candidate so far
    int best_dist;       // its distance
} Suggest;

static void suggest_try(Suggest *s, const char *cand) {
    int d = edit_distance(s->word, cand);
    if (d < s->best_dist) {
        s->best_dist = d;
        snprintf(s->best, sizeof s->best, "%s", cand);
    }
}

// Writes " (did you mean \"x\"?)" into out when a candidate is close enough, else "".
static void suggest_finish(const Suggest *s, char *out, int size) {
    int len = (int)strlen(s->word), limit = len / 3 > 2 ? len / 3 : 2;
    out[0] = 0;
    if (s->best[0] && s->best_dist <= limit)
        snprintf(out, (size_t)size, " (did you mean \"%s\"?)", s->best);
}

// Candidate for an unknown dotted key: a close key or section, else a key or section with the
// same last component, preferring one in the same top-level section.
static void suggest_key(const char *key, char *out, int size) {
    Suggest s = {key, "", 1 << 30};
    const char *leaf = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
    size_t top = strcspn(key, ".");
    char same_leaf[KEY_MAX] = "";
    int same_top = 0;
    for (int i = 0; i < config_n_fields; i++) {
        char cand[KEY_MAX];
        snprintf(cand, sizeof cand, "%s", config_fields[i].key);
        for (;;) {  // the key itself, then each enclosing section
            suggest_try(&s, cand);
            const char *cl = strrchr(cand, '.') ? strrchr(cand, '.') + 1 : cand;
            int top_match = strncmp(cand, key, top) == 0 && cand[top] == '.';
            if (strcmp(cl, leaf) == 0 && (!same_leaf[0] || (top_match && !same_top))) {
                snprintf(same_leaf, sizeof same_leaf, "%s", cand);
                same_top = top_match;
            }
            char *dot = strrchr(cand, '.');
            if (!dot) break;
            *dot = 0;
        }
    }
    suggest_finish(&s, out, size);
    if (!out[0] && same_leaf[0]) snprintf(out, (size_t)size, " (did you mean \"%s\"?)", same_leaf);
}

static void suggest_enum(const char *word, const char *allowed, char *out, int size) {
    Suggest s = {word, "", 1 << 30};
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", allowed);
    for (char *p = strtok_r(buf, "|", &save); p; p = strtok_r(NULL, "|", &save)) suggest_try(&s, p);
    suggest_finish(&s, out, size);
}

// ---- describing values in messages ----

// Printable copy of s for messages: control bytes as \xNN, cut after 48 characters.
static void escape(const char *s, char *buf, int size) {
    size_t n = (size_t)size;
    int k = 0;
    buf[0] = 0;
    for (int i = 0; s[i] && k < size - 8; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 48) {
            k += snprintf(buf + k, n - (size_t)k, "...");
            break;
        }
        k += snprintf(buf + k, n - (size_t)k, (c < 0x20 || c == 0x7f) ? "\\x%02x" : "%c", c);
    }
}

static void describe(const cJSON *v, char *buf, int size) {
    size_t n = (size_t)size;
    if (cJSON_IsNumber(v)) {
        config_format_number(v->valuedouble, buf, size);
    } else if (cJSON_IsString(v)) {
        char esc[128];
        escape(v->valuestring, esc, sizeof esc);
        snprintf(buf, n, "\"%s\"", esc);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, n, "null");
    } else {
        snprintf(buf, n, "%s", cJSON_IsArray(v) ? "an array" : "an object");
    }
}

static int type_error(ParseCtx *x, const char *key, const char *expect, const cJSON *v) {
    char got[160];
    describe(v, got, sizeof got);
    return err_set(x->e, "%s: %s: expected %s, got %s", x->src, key, expect, got);
}

static int field_error(ParseCtx *x, const ConfigField *f, const cJSON *v) {
    char exp[256];
    config_field_expect(f, exp, sizeof exp);
    return type_error(x, f->key, exp, v);
}

// ---- applying values ----

static int apply_judges(ParseCtx *x, const cJSON *v);

// A JSON array of at most CONFIG_LIST_MAX non-empty strings shorter than CONFIG_LIST_LEN.
static int apply_strlist(ParseCtx *x, const ConfigField *f, const cJSON *v, ConfigStrList *out) {
    if (!cJSON_IsArray(v)) return field_error(x, f, v);
    int n = cJSON_GetArraySize(v);
    if (n > CONFIG_LIST_MAX)
        return err_set(x->e, "%s: %s: expected at most %d strings, got %d", x->src, f->key,
                       CONFIG_LIST_MAX, n);
    ConfigStrList tmp;
    memset(&tmp, 0, sizeof tmp);  // canonical bytes: equal configs compare equal
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsString(it) || !it->valuestring[0] ||
            strlen(it->valuestring) >= CONFIG_LIST_LEN)
            return err_set(x->e,
                           "%s: %s[%d]: expected a non-empty string of at most %d bytes, "
                           "got %s",
                           x->src, f->key, i, CONFIG_LIST_LEN - 1,
                           cJSON_IsString(it) ? (it->valuestring[0] ? "a longer string" : "\"\"")
                                              : "another JSON type");
        memcpy(tmp.text[i], it->valuestring, strlen(it->valuestring));
    }
    tmp.n = n;
    *out = tmp;
    return 0;
}

static int in_range(const ConfigField *f, double v) {
    int lo_ok = (f->flags & CF_LO_OPEN) ? v > f->lo : v >= f->lo;
    int hi_ok = (f->flags & CF_HI_OPEN) ? v < f->hi : v <= f->hi;
    return isfinite(v) && lo_ok && hi_ok;
}

static int apply_field(ParseCtx *x, const ConfigField *f, const cJSON *v) {
    char *p = (char *)x->cfg + f->offset;
    switch (f->type) {
        case CF_INT:
        case CF_I64:
        case CF_NUM: {
            if (!cJSON_IsNumber(v)) return field_error(x, f, v);
            double d = v->valuedouble;
            if (!in_range(f, d) || (f->type != CF_NUM && d != floor(d)))
                return field_error(x, f, v);
            if (f->type == CF_INT) *(int *)(void *)p = (int)d;
            if (f->type == CF_I64) *(int64_t *)(void *)p = (int64_t)d;
            if (f->type == CF_NUM) *(double *)(void *)p = d;
            return 0;
        }
        case CF_BOOL:
            if (!cJSON_IsBool(v)) return field_error(x, f, v);
            *(int *)(void *)p = cJSON_IsTrue(v) ? 1 : 0;
            return 0;
        case CF_STR:
        case CF_ENUM: {
            if (!cJSON_IsString(v)) return field_error(x, f, v);
            const char *s = v->valuestring;
            char got[160], why[256], hint[KEY_MAX + 32];
            if (strlen(s) >= f->size)
                return err_set(x->e, "%s: %s: expected a string of at most %d characters, got %d",
                               x->src, f->key, (int)f->size - 1, (int)strlen(s));
            if (f->type == CF_ENUM && !config_enum_has(f->allowed, s)) {
                suggest_enum(s, f->allowed, hint, sizeof hint);
                config_field_expect(f, why, sizeof why);
                describe(v, got, sizeof got);
                return err_set(x->e, "%s: %s: expected %s, got %s%s", x->src, f->key, why, got,
                               hint);
            }
            if (f->check && f->check(s, why, sizeof why)) {
                describe(v, got, sizeof got);
                return err_set(x->e, "%s: %s: %s, got %s", x->src, f->key, why, got);
            }
            memset(p, 0, f->size);  // canonical bytes: equal configs compare equal with memcmp
            memcpy(p, s, strlen(s));
            return 0;
        }
        case CF_JUDGES: return apply_judges(x, v);
        case CF_STRLIST: return apply_strlist(x, f, v, (ConfigStrList *)(void *)p);
    }
    return 0;
}

static int is_section(const char *key) {
    size_t n = strlen(key);
    for (int i = 0; i < config_n_fields; i++)
        if (strncmp(config_fields[i].key, key, n) == 0 && config_fields[i].key[n] == '.') return 1;
    return 0;
}

static int unknown_key(ParseCtx *x, const char *key) {
    char hint[KEY_MAX + 32];
    if (strncmp(key, "judges.", 7) == 0 || strncmp(key, "judges[", 7) == 0)
        return err_set(x->e,
                       "%s: unknown key \"%s\" (judges are set as a whole list, e.g. "
                       "judges=[{\"name\": \"llm_judge\"}])",
                       x->src, key);
    suggest_key(key, hint, sizeof hint);
    return err_set(x->e, "%s: unknown key \"%s\"%s", x->src, key, hint);
}

// Checks the member names of obj: none empty, none containing '.', none repeated.
static int check_members(ParseCtx *x, const char *prefix, const cJSON *obj) {
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *name = c->string ? c->string : "";
        const char *sep = prefix[0] ? "." : "";
        int odd = 0;
        for (const char *p = name; *p; p++) odd |= (unsigned char)*p < 0x20 || *p == 0x7f;
        if (!name[0] || odd || strchr(name, '.') || strlen(prefix) + strlen(name) + 2 > KEY_MAX) {
            char esc[128];
            escape(name, esc, sizeof esc);
            return err_set(x->e,
                           "%s: unknown key \"%s%s%s\" (keys are nested objects of short "
                           "names of printable characters without dots)",
                           x->src, prefix, sep, esc);
        }
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (strcmp(d->string, name) == 0)
                return err_set(x->e, "%s: duplicate key \"%s%s%s\"", x->src, prefix, sep, name);
    }
    return 0;
}

static int apply_object(ParseCtx *x, const char *prefix, const cJSON *obj);

static int apply_value(ParseCtx *x, const char *key, const cJSON *v) {
    int i = config_field_find(key);
    if (i >= 0) return apply_field(x, &config_fields[i], v);
    if (!is_section(key)) return unknown_key(x, key);
    if (!cJSON_IsObject(v)) return type_error(x, key, "an object", v);
    return apply_object(x, key, v);
}

static int apply_object(ParseCtx *x, const char *prefix, const cJSON *obj) {
    if (check_members(x, prefix, obj)) return -1;
    for (const cJSON *c = obj->child; c; c = c->next) {
        char key[KEY_MAX];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", c->string);
        if (apply_value(x, key, c)) return -1;
    }
    return 0;
}

// Suggestion for an unknown key inside judges[i] among up to three member paths.
static void suggest_member(const char *key, int i, const char *a, const char *b, const char *c,
                           char *out, int size) {
    Suggest s = {key, "", 1 << 30};
    const char *names[3] = {a, b, c};
    for (int k = 0; k < 3 && names[k]; k++) {
        char cand[64];
        snprintf(cand, sizeof cand, "judges[%d].%s", i, names[k]);
        suggest_try(&s, cand);
    }
    suggest_finish(&s, out, size);
}

// One option of judges[i]: "of" (prev_round), "mode", "template", "max_new_tokens" (llm_judge).
static int apply_judge_option(ParseCtx *x, int i, const cJSON *o, JudgeSpec *j) {
    char key[96], hint[96];
    snprintf(key, sizeof key, "judges[%d].options.%s", i, o->string);
    if (strcmp(o->string, "of") == 0) {
        if (!cJSON_IsString(o) || strlen(o->valuestring) >= sizeof j->of)
            return type_error(x, key, "a judge name", o);
        snprintf(j->of, sizeof j->of, "%s", o->valuestring);
    } else if (strcmp(o->string, "mode") == 0) {
        if (!cJSON_IsString(o) || !config_enum_has("verdict|score", o->valuestring))
            return type_error(x, key, "one of \"verdict\", \"score\"", o);
        snprintf(j->mode, sizeof j->mode, "%s", o->valuestring);
    } else if (strcmp(o->string, "template") == 0) {
        if (!cJSON_IsString(o) || !o->valuestring[0] ||
            strlen(o->valuestring) >= sizeof j->template_file)
            return type_error(x, key, "a non-empty file path", o);
        snprintf(j->template_file, sizeof j->template_file, "%s", o->valuestring);
    } else if (strcmp(o->string, "max_new_tokens") == 0) {
        if (!cJSON_IsNumber(o) || o->valuedouble != floor(o->valuedouble) || o->valuedouble < 1 ||
            o->valuedouble > 16384)
            return type_error(x, key, "an integer in [1, 16384]", o);
        j->max_new_tokens = (int)o->valuedouble;
    } else {
        suggest_member(key, i, "options.of", "options.mode", "options.template", hint, sizeof hint);
        return err_set(x->e, "%s: unknown key \"%s\"%s", x->src, key, hint);
    }
    return 0;
}

// One element of the judges array: {"name": ..., "weight": ..., "options": {...}}.
static int apply_judge(ParseCtx *x, int i, const cJSON *el, JudgeSpec *j) {
    char key[64], hint[96];
    snprintf(key, sizeof key, "judges[%d]", i);
    if (!cJSON_IsObject(el))
        return type_error(x, key, "an object {\"name\", \"weight\", \"options\"}", el);
    if (check_members(x, key, el)) return -1;
    memset(j, 0, sizeof *j);
    j->weight = 1;
    const cJSON *name = NULL;
    for (const cJSON *c = el->child; c; c = c->next) {
        snprintf(key, sizeof key, "judges[%d].%s", i, c->string);
        if (strcmp(c->string, "name") == 0) {
            name = c;
            if (!cJSON_IsString(c) || !config_enum_has(CONFIG_JUDGE_NAMES, c->valuestring)) {
                hint[0] = 0;
                if (cJSON_IsString(c))
                    suggest_enum(c->valuestring, CONFIG_JUDGE_NAMES, hint, sizeof hint);
                char got[160];
                describe(c, got, sizeof got);
                return err_set(x->e, "%s: %s: expected one of \"%s\", got %s%s", x->src, key,
                               "llm_judge\", \"implicit\", \"self_consistency\", \"likelihood\", "
                               "\"prev_round\", \"oracle",
                               got, hint);
            }
            snprintf(j->name, sizeof j->name, "%s", c->valuestring);
        } else if (strcmp(c->string, "weight") == 0) {
            if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0 && c->valuedouble <= 1000))
                return type_error(x, key, "a number in [0, 1000]", c);
            j->weight = c->valuedouble;
        } else if (strcmp(c->string, "options") == 0) {
            if (!cJSON_IsObject(c)) return type_error(x, key, "an object", c);
            if (check_members(x, key, c)) return -1;
            for (const cJSON *o = c->child; o; o = o->next)
                if (apply_judge_option(x, i, o, j)) return -1;
        } else {
            suggest_member(key, i, "name", "weight", "options", hint, sizeof hint);
            return err_set(x->e, "%s: unknown key \"%s\"%s", x->src, key, hint);
        }
    }
    if (!name) return err_set(x->e, "%s: judges[%d]: missing \"name\"", x->src, i);
    if (j->of[0] && strcmp(j->name, "prev_round") != 0)
        return err_set(x->e, "%s: judges[%d].options.of: only prev_round takes options.of", x->src,
                       i);
    int llm = strcmp(j->name, "llm_judge") == 0, score = strcmp(j->mode, "score") == 0;
    if (j->mode[0] && !llm)
        return err_set(x->e, "%s: judges[%d].options.mode: only llm_judge takes options.mode",
                       x->src, i);
    if ((j->template_file[0] || j->max_new_tokens) && !score)
        return err_set(x->e,
                       "%s: judges[%d].options.%s: applies to llm_judge with options.mode "
                       "\"score\" only",
                       x->src, i, j->template_file[0] ? "template" : "max_new_tokens");
    return 0;
}

static int apply_judges(ParseCtx *x, const cJSON *v) {
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 1 || n > CONFIG_MAX_JUDGES)
        return field_error(x, &config_fields[config_field_find("judges")], v);
    JudgeSpec tmp[CONFIG_MAX_JUDGES];
    int i = 0;
    for (const cJSON *el = v->child; el; el = el->next, i++)
        if (apply_judge(x, i, el, &tmp[i])) return -1;
    x->cfg->n_judges = n;
    memset(x->cfg->judges, 0, sizeof x->cfg->judges);
    memcpy(x->cfg->judges, tmp, sizeof tmp[0] * (size_t)n);
    return 0;
}

// ---- defaults, parse, load ----

void config_defaults(Config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < config_n_fields; i++) {
        const ConfigField *f = &config_fields[i];
        char *p = (char *)cfg + f->offset;
        switch (f->type) {
            case CF_INT:
            case CF_BOOL: *(int *)(void *)p = (int)f->def_num; break;
            case CF_I64: *(int64_t *)(void *)p = (int64_t)f->def_num; break;
            case CF_NUM: *(double *)(void *)p = f->def_num; break;
            case CF_STR:
            case CF_ENUM:
                CHECKF(strlen(f->def_str) < f->size, "config default of %s too long", f->key);
                memcpy(p, f->def_str, strlen(f->def_str) + 1);
                break;
            case CF_JUDGES: {
                cJSON *j = cJSON_Parse(f->def_str);
                ErrMsg e = {{0}};
                ParseCtx x = {cfg, "defaults", &e};
                CHECKF(j && apply_judges(&x, j) == 0, "config default judges invalid: %s", e.msg);
                cJSON_Delete(j);
                break;
            }
            case CF_STRLIST: {
                cJSON *j = cJSON_Parse(f->def_str);
                ErrMsg e = {{0}};
                ParseCtx x = {cfg, "defaults", &e};
                CHECKF(j && apply_strlist(&x, f, j, (ConfigStrList *)(void *)p) == 0,
                       "config default of %s invalid: %s", f->key, e.msg);
                cJSON_Delete(j);
                break;
            }
        }
    }
}

// Message for text that cJSON could not parse: "src:line:col: malformed JSON near '...'".
static int malformed(const char *src, const char *text, const char *at, ErrMsg *e) {
    size_t len = strlen(text),
           pos = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
    if (strspn(text, " \t\r\n") == len) return err_set(e, "%s: empty, expected a JSON object", src);
    // cJSON reports a missing object key one character after the offending character.
    if (pos > 0 && !strchr(" \t\r\n\"", text[pos - 1])) {
        size_t j = pos - 1;
        while (j > 0 && strchr(" \t\r\n", text[j - 1])) j--;
        if (j > 0 && (text[j - 1] == '{' || text[j - 1] == ',')) pos--;
    }
    int line = 1, col = 1;
    for (size_t i = 0; i < pos; i++) col = text[i] == '\n' ? (line++, 1) : col + 1;
    if (pos >= len)
        return err_set(e, "%s:%d:%d: malformed JSON: unexpected end of input", src, line, col);
    char near[32];
    int k = 0;
    for (size_t i = pos; i < len && k < 24 && text[i] != '\n' && text[i] != '\r'; i++)
        near[k++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    near[k] = 0;
    return err_set(e, "%s:%d:%d: malformed JSON near '%s'", src, line, col, near);
}

static int apply_set(ParseCtx *x, const char *set) {
    const char *eq = strchr(set, '=');
    if (!eq || eq == set || eq - set >= KEY_MAX)
        return err_set(x->e, "--set: expected key.path=value, got \"%.64s\"", set);
    char key[KEY_MAX];
    memcpy(key, set, (size_t)(eq - set));
    key[eq - set] = 0;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(eq + 1, &end, 1);
    int f = config_field_find(key);
    int str_field = f >= 0 && (config_fields[f].type == CF_STR || config_fields[f].type == CF_ENUM);
    if (v && str_field && !cJSON_IsString(v) && !cJSON_IsArray(v) && !cJSON_IsObject(v)) {
        cJSON_Delete(v);  // a string key given a number, bool or null: keep the text (run_dir=2024)
        v = NULL;
    }
    if (!v) v = cJSON_CreateString(eq + 1);  // not JSON: a plain string
    CHECKF(v, "out of memory parsing --set value");
    int rc = apply_value(x, key, v);
    cJSON_Delete(v);
    return rc;
}

int config_parse(Config *cfg, const char *text, const char *src, const char *const *sets,
                 int n_sets, ErrMsg *e) {
    if (!src) src = "config";
    config_defaults(cfg);
    ParseCtx x = {cfg, src, e};
    if (text) {
        const char *end = NULL;
        cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
        if (!root) return malformed(src, text, end, e);
        int rc = 0;
        if (!cJSON_IsObject(root))
            rc = type_error(&x, "top level", "a JSON object", root);
        else
            rc = apply_object(&x, "", root);
        cJSON_Delete(root);
        if (rc) return -1;
    }
    x.src = "--set";
    for (int i = 0; i < n_sets; i++)
        if (apply_set(&x, sets[i])) return -1;
    char label[CONFIG_PATH_MAX + 16];
    snprintf(label, sizeof label, "%s%s", src, n_sets > 0 ? " (with --set)" : "");
    return config_check(cfg, label, e);
}

int config_load(Config *cfg, const char *path, const char *const *sets, int n_sets, ErrMsg *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = xmalloc("config_text", cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = xrealloc("config_text", buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0 || len > CONFIG_FILE_MAX) break;
    }
    int bad_read = ferror(f), saved = errno;
    fclose(f);
    buf[len] = 0;
    int rc;
    if (bad_read)
        rc = err_set(e, "%s: cannot read: %s", path, strerror(saved));
    else if (len > CONFIG_FILE_MAX)
        rc = err_set(e, "%s: larger than %d bytes; a config file is a small JSON object", path,
                     CONFIG_FILE_MAX);
    else if (strlen(buf) != len)
        rc = err_set(e, "%s: contains a NUL byte at offset %zu; expected JSON text", path,
                     strlen(buf));
    else
        rc = config_parse(cfg, buf, path, sets, n_sets, e);
    xfree(buf);
    return rc;
}

// ---- diff and accessors ----

static int field_equal(const Config *a, const Config *b, const ConfigField *f) {
    const char *p = (const char *)a + f->offset, *q = (const char *)b + f->offset;
    switch (f->type) {
        case CF_INT:
        case CF_BOOL: return *(const int *)(const void *)p == *(const int *)(const void *)q;
        case CF_I64: return *(const int64_t *)(const void *)p == *(const int64_t *)(const void *)q;
        case CF_NUM: return *(const double *)(const void *)p == *(const double *)(const void *)q;
        case CF_STR:
        case CF_ENUM: return strncmp(p, q, f->size) == 0;
        case CF_STRLIST: return memcmp(p, q, sizeof(ConfigStrList)) == 0;
        case CF_JUDGES:
            if (a->n_judges != b->n_judges) return 0;
            for (int i = 0; i < a->n_judges; i++) {
                const JudgeSpec *x = &a->judges[i], *y = &b->judges[i];
                if (strcmp(x->name, y->name) || x->weight != y->weight || strcmp(x->of, y->of) ||
                    strcmp(x->mode, y->mode) || strcmp(x->template_file, y->template_file) ||
                    x->max_new_tokens != y->max_new_tokens)
                    return 0;
            }
            return 1;
    }
    return 0;
}

int config_diff(const Config *a, const Config *b, int skip_resumable, char *out, int out_size) {
    int n = 0, len = 0;
    if (out && out_size > 0) out[0] = 0;
    for (int i = 0; i < config_n_fields; i++) {
        const ConfigField *f = &config_fields[i];
        if ((skip_resumable && (f->flags & CF_RESUME_OK)) || field_equal(a, b, f)) continue;
        n++;
        if (!out || out_size <= 0 || len < 0) continue;
        int need = (int)strlen(f->key) + (len ? 2 : 0);
        if (len + need + 4 < out_size) {
            len += snprintf(out + len, (size_t)(out_size - len), "%s%s", len ? ", " : "", f->key);
        } else {
            if (len + 4 < out_size) snprintf(out + len, (size_t)(out_size - len), "...");
            len = -1;  // truncated: stop listing, keep counting
        }
    }
    return n;
}

int config_sft_early_stop(const Config *cfg) {
    return cfg->sft.stop_at_accuracy > 0 || cfg->sft.stop_at_judge_accuracy > 0;
}

int config_judge_index(const Config *cfg, const char *name) {
    for (int i = 0; i < cfg->n_judges && i < CONFIG_MAX_JUDGES; i++)
        if (strcmp(cfg->judges[i].name, name) == 0) return i;
    return -1;
}

void config_model(const Config *cfg, int vocab_size, GPTConfig *out) {
    int pad = cfg->model.vocab_pad_to > 0 ? cfg->model.vocab_pad_to : 1;
    out->V = vocab_size;
    out->Vp = (vocab_size + pad - 1) / pad * pad;
    out->T = cfg->model.max_seq_len;
    out->C = cfg->model.n_embd;
    out->L = cfg->model.n_layer;
    out->NH = cfg->model.n_head;
    // The schema admits only the known names; anything else would be a table bug.
    CHECKF(gpt_position_parse(cfg->model.position, &out->position) == 0,
           "config_model: model.position '%s'", cfg->model.position);
    out->digit0 = 0;  // abacus: set from the tokenizer by the caller (tokenizer_digit0)
    out->abacus_offset = out->position == GPT_POS_ABACUS ? cfg->model.abacus_offset : 0;
    CHECKF(gpt_arch_parse(cfg->model.arch, &out->arch) == 0, "config_model: model.arch '%s'",
           cfg->model.arch);
    out->KV = out->F = out->untied = 0;
    out->rope_theta = out->norm_eps = 0.0f;
    if (out->arch == GPT_ARCH_LLAMA) {
        out->KV = cfg->model.n_kv_head > 0 ? cfg->model.n_kv_head : out->NH;
        int C = out->C;
        out->F = cfg->model.ffn_hidden > 0 ? cfg->model.ffn_hidden : (8 * C / 3 + 63) / 64 * 64;
        out->rope_theta = (float)cfg->model.rope_theta;
        out->norm_eps = (float)cfg->model.norm_eps;
        out->untied = !cfg->model.tie_embeddings;
    }
}

void config_adamw(const Config *cfg, AdamWConfig *out) {
    const ConfigOptimizer *o = &cfg->train.optimizer;
    out->lr = (float)o->lr;
    out->lr_min_ratio = (float)o->lr_min_ratio;
    out->warmup_steps = o->warmup_steps;
    out->total_steps = 0;
    out->beta1 = (float)o->beta1;
    out->beta2 = (float)o->beta2;
    out->eps = (float)o->eps;
    out->weight_decay = (float)o->weight_decay;
    out->grad_clip = (float)o->grad_clip;
}

void config_adamw_sft(const Config *cfg, AdamWConfig *out) {
    config_adamw(cfg, out);
    out->lr = (float)cfg->sft.lr;
    out->warmup_steps = cfg->sft.warmup_steps;
    out->total_steps = cfg->sft.steps;
}
