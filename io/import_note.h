/* io/import_note.h — the /config/json text of a checkpoint made by an import (import-llmc,
   import-hf): {"imported_from": "<absolute path>"}, so inspect shows where the weights came from. */
#ifndef CONCORD_IO_IMPORT_NOTE_H
#define CONCORD_IO_IMPORT_NOTE_H

/* The JSON text for source (made absolute when it exists; escaped for JSON). Caller xfree()s. */
char *import_note_json(const char *source);

#endif
