/* io/config_schema.h — private to io/config*.c: the table of every config key.
   One row per key: dotted key, storage type and place in Config, default, range or allowed values,
   an optional string validator, flags, and the doc string. Rows of one section are contiguous and
   in output order; the whole table is the single source of defaults. */
#ifndef CONCORD_IO_CONFIG_SCHEMA_H
#define CONCORD_IO_CONFIG_SCHEMA_H

#include <stddef.h>

#include "io/config.h"

typedef enum {
    CF_INT,     // int, integral JSON number in [lo, hi]
    CF_I64,     // int64_t, integral JSON number in [lo, hi] (|x| <= 2^53)
    CF_NUM,     // double, finite JSON number in the range
    CF_BOOL,    // int 0/1, JSON true/false
    CF_STR,     // char[size], JSON string shorter than size, optional validator
    CF_ENUM,    // char[size], JSON string, one of allowed
    CF_JUDGES,  // the judges array (Config.n_judges, Config.judges)
    CF_STRLIST  // ConfigStrList: a JSON array of non-empty strings (def_str: its JSON text)
} ConfigFieldType;

enum {
    CF_LO_OPEN = 1,    // lower bound excluded
    CF_HI_OPEN = 2,    // upper bound excluded
    CF_RESUME_OK = 4,  // may differ between a run and its resumption
};

/* String validator: 0 if s is acceptable, else -1 with why = what was expected. */
typedef int (*ConfigStrCheck)(const char *s, char *why, int why_size);

typedef struct {
    const char *key;       // dotted key, e.g. "train.optimizer.lr"
    ConfigFieldType type;  // storage and JSON type
    size_t offset;         // offsetof(Config, ...)
    size_t size;           // bytes of the field (capacity for strings)
    double def_num;        // default of numbers and booleans
    const char *def_str;   // default of strings and enums; JSON text of the default for CF_JUDGES
                           // and CF_STRLIST
    double lo, hi;         // range of numbers (hi may be INFINITY)
    int flags;             // CF_LO_OPEN | CF_HI_OPEN | CF_RESUME_OK
    const char *allowed;   // CF_ENUM: allowed values separated by '|'
    ConfigStrCheck check;  // CF_STR: extra validation, or NULL
    const char *doc;       // one-line meaning, shown by config_help_text
} ConfigField;

/* Judge names, '|'-separated; prev_round's options.of must name one of CONFIG_JUDGE_OF_NAMES. */
#define KEY_MAX 256  // longest dotted config key handled (longer keys are unknown)
#define CONFIG_JUDGE_NAMES \
    "llm_judge|implicit|self_consistency|likelihood|prev_round|oracle|ensemble_vote"
#define CONFIG_JUDGE_OF_NAMES "llm_judge|implicit|likelihood"

extern const ConfigField config_fields[];
extern const int config_n_fields;

/* Index of the row whose key is key, or -1. */
int config_field_find(const char *key);

/* 1 if s is one of the '|'-separated values in list. */
int config_enum_has(const char *list, const char *s);

/* Shortest text of v for messages: integers without exponent, others round-tripping. */
void config_format_number(double v, char *buf, int size);

/* Writes the expectation of a row into buf, e.g. "a number in (0, 100]", "one of \"a\", \"b\"". */
void config_field_expect(const ConfigField *f, char *buf, int size);

#endif
