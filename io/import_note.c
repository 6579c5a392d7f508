/* io/import_note.c — see import_note.h. */
#include "io/import_note.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/err.h"

char *import_note_json(const char *source) {
    char abs[PATH_MAX];
    cJSON *path = cJSON_CreateString(realpath(source, abs) ? abs : source);
    char *quoted = path ? cJSON_PrintUnformatted(path) : NULL;  // "..." with JSON escapes
    CHECKF(quoted, "import_note_json: out of memory");
    cJSON_Delete(path);
    size_t n = strlen(quoted) + 32;
    char *json = xmalloc("import_note", n);
    snprintf(json, n, "{\"imported_from\": %s}", quoted);
    cJSON_free(quoted);
    return json;
}
