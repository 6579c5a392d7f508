/* io/config_json.c — the resolved config written out: config_to_json (every key in table order,
   nested objects by dotted prefix, two-space indentation, the text checkpoints keep in
   /config/json and `concord config` prints), the --help-config text, and config_save (atomic);
   see config.h. Parsing is in config.c, the key table in config_schema.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/config.h"
#include "io/config_schema.h"
#include "util/alloc.h"
#include "util/fs.h"

typedef struct {
    char *buf;
    size_t len, cap;
} Sb;

static void sb_printf(Sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(Sb *s, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
        va_end(ap);
        CHECK(n >= 0);
        if ((size_t)n < s->cap - s->len) {
            s->len += (size_t)n;
            return;
        }
        s->cap = 2 * s->cap + (size_t)n;
        s->buf = xrealloc("config_json", s->buf, s->cap);
    }
}

static void sb_string(Sb *s, const char *str) {
    sb_printf(s, "\"");
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(s, "\\%c", *p);
        else if (*p == '\n')
            sb_printf(s, "\\n");
        else if (*p == '\t')
            sb_printf(s, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(s, "\\u%04x", *p);
        else
            sb_printf(s, "%c", *p);
    }
    sb_printf(s, "\"");
}

// Shortest text that reads back as the same double; integral values get ".0".
static void sb_number(Sb *s, double v) {
    char t[40];
    config_format_number(v, t, sizeof t);
    sb_printf(s, "%s%s", t, strpbrk(t, ".eEn") ? "" : ".0");
}

static void sb_value(Sb *s, const Config *cfg, const ConfigField *f, int indent) {
    const char *p = (const char *)cfg + f->offset;
    switch (f->type) {
        case CF_INT: sb_printf(s, "%d", *(const int *)(const void *)p); break;
        case CF_I64: sb_printf(s, "%lld", (long long)*(const int64_t *)(const void *)p); break;
        case CF_NUM: sb_number(s, *(const double *)(const void *)p); break;
        case CF_BOOL: sb_printf(s, "%s", *(const int *)(const void *)p ? "true" : "false"); break;
        case CF_STR:
        case CF_ENUM: sb_string(s, p); break;
        case CF_STRLIST: {
            const ConfigStrList *l = (const ConfigStrList *)(const void *)p;
            sb_printf(s, "[");
            for (int i = 0; i < l->n; i++) {
                if (i) sb_printf(s, ", ");
                sb_string(s, l->text[i]);
            }
            sb_printf(s, "]");
            break;
        }
        case CF_JUDGES:
            sb_printf(s, "[");
            for (int i = 0; i < cfg->n_judges; i++) {
                const JudgeSpec *j = &cfg->judges[i];
                sb_printf(s, "%s\n%*s{\"name\": ", i ? "," : "", indent + 2, "");
                sb_string(s, j->name);
                sb_printf(s, ", \"weight\": ");
                sb_number(s, j->weight);
                sb_printf(s, ", \"options\": {");
                const char *sep = "";
                if (j->of[0]) {
                    sb_printf(s, "\"of\": ");
                    sb_string(s, j->of);
                    sep = ", ";
                }
                if (j->mode[0]) {  // only when given: configs without them keep their text
                    sb_printf(s, "%s\"mode\": ", sep);
                    sb_string(s, j->mode);
                    sep = ", ";
                }
                if (j->template_file[0]) {
                    sb_printf(s, "%s\"template\": ", sep);
                    sb_string(s, j->template_file);
                    sep = ", ";
                }
                if (j->max_new_tokens)
                    sb_printf(s, "%s\"max_new_tokens\": %d", sep, j->max_new_tokens);
                sb_printf(s, "}}");
            }
            sb_printf(s, "\n%*s]", indent, "");
            break;
    }
}

char *config_to_json(const Config *cfg) {
    Sb s = {xmalloc("config_json", 8192), 0, 8192};
    char open[4][KEY_MAX];  // names of the open objects below the root
    int n_open = 0, first[5] = {1, 1, 1, 1, 1};
    sb_printf(&s, "{");
    for (int i = 0; i < config_n_fields; i++) {
        const ConfigField *f = &config_fields[i];
        char comps[5][KEY_MAX];
        int m = 0;
        for (const char *p = f->key; m < 5;) {
            size_t n = strcspn(p, ".");
            snprintf(comps[m++], KEY_MAX, "%.*s", (int)n, p);
            if (!p[n]) break;
            p += n + 1;
        }
        CHECKF(m <= 4, "config key %s nests too deep", f->key);
        int common = 0;
        while (common < n_open && common < m - 1 && strcmp(open[common], comps[common]) == 0)
            common++;
        for (; n_open > common; n_open--) sb_printf(&s, "\n%*s}", 2 * n_open, "");
        for (; n_open < m - 1; n_open++) {
            sb_printf(&s, "%s\n%*s\"%s\": {", first[n_open] ? "" : ",", 2 * (n_open + 1), "",
                      comps[n_open]);
            first[n_open] = 0;
            snprintf(open[n_open], KEY_MAX, "%s", comps[n_open]);
            first[n_open + 1] = 1;
        }
        sb_printf(&s, "%s\n%*s\"%s\": ", first[n_open] ? "" : ",", 2 * (n_open + 1), "",
                  comps[m - 1]);
        first[n_open] = 0;
        sb_value(&s, cfg, f, 2 * (n_open + 1));
    }
    for (; n_open > 0; n_open--) sb_printf(&s, "\n%*s}", 2 * n_open, "");
    sb_printf(&s, "\n}\n");
    return s.buf;
}

char *config_defaults_json(void) {
    Config c;
    config_defaults(&c);
    return config_to_json(&c);
}

char *config_help_text(void) {
    Config c;
    config_defaults(&c);
    Sb s = {xmalloc("config_json", 8192), 0, 8192};
    for (int i = 0; i < config_n_fields; i++) {
        const ConfigField *f = &config_fields[i];
        char exp[256];
        config_field_expect(f, exp, sizeof exp);
        sb_printf(&s, "%s = ", f->key);
        sb_value(&s, &c, f, 2);
        sb_printf(&s, "\n    %s; expected %s\n", f->doc, exp);
    }
    return s.buf;
}

int config_save(const Config *cfg, const char *path, ErrMsg *e) {
    char tmp[CONFIG_PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return err_set(e, "%s: path too long", path);
    char *text = config_to_json(cfg);
    size_t n = strlen(text);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (ok) ok = fwrite(text, 1, n, f) == n;
    if (ok) ok = fflush(f) == 0;
    int saved = errno;
    if (f && fclose(f) != 0 && ok) ok = 0, saved = errno;
    ErrMsg why;  // the message below names the path; fs_publish keeps errno
    if (ok && fs_publish(tmp, path, NULL, &why) != 0) ok = 0, saved = errno;
    xfree(text);
    if (ok) return 0;
    remove(tmp);
    return err_set(e, "%s: cannot write: %s", path, strerror(saved));
}
