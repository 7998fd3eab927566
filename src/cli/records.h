/* SPDX-License-Identifier: MIT */
/* Streaming reader of customer records for `cintel report`: CSV (RFC 4180) or
 * JSON Lines, plain or gzip-compressed.
 *
 * The reader never stops on a bad record: rec_next() reports it (-1, with the
 * line where it starts and a message), skips it and carries on with the next
 * one.  Whether bad records are fatal (--strict) is the caller's decision.
 *
 * Memory is bounded: input is read in blocks of REC_BLOCK_SIZE bytes, and a
 * record is held whole only up to REC_MAX_RECORD bytes; a longer one is
 * reported and skipped without being buffered.  No global state: distinct
 * readers may be used from distinct threads. */
#ifndef CINTEL_RECORDS_H
#define CINTEL_RECORDS_H

#include <stddef.h>

#define REC_BLOCK_SIZE (256u * 1024u)         /* bytes read (and inflated) at a time */
#define REC_MAX_RECORD (16u * 1024u * 1024u)  /* longest record accepted, in input bytes */
#define REC_MAX_COLUMNS 65536u                /* most columns (CSV header / distinct JSON keys) */

/* One field of the current record.  name/value are views valid until the
 * next rec_next() (names: until rec_close()).  Both are NUL-terminated, but
 * a JSON value may hold a NUL byte of its own (\u0000): use the lengths.
 * When is_null is set, value is "" and value_len 0. */
typedef struct rec_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    int is_null;
} rec_field;

typedef enum { REC_CSV = 0, REC_JSONL = 1 } rec_format;

/* Results of rec_next(). */
enum { REC_RECORD = 1, REC_EOF = 0, REC_BAD = -1, REC_IOERR = -2 };

typedef struct rec_reader rec_reader;

/* Open path ("-" = stdin).  format: REC_CSV, REC_JSONL or -1 = auto: by the
 * extension after stripping ".gz" (.csv => CSV; .jsonl, .ndjson, .json =>
 * JSONL; case-insensitive), otherwise by content (first non-blank byte of the
 * first block is '{' => JSONL, else CSV).  gzip is recognised by its magic
 * bytes (1f 8b), never by name; concatenated members are read in sequence.
 * A UTF-8 BOM at the start is skipped.  For CSV the header row is read here:
 * a malformed header fails the open.  An empty file opens fine, with no
 * columns and no records.  On failure returns NULL with a message in err
 * (errlen bytes; err may be NULL). */
rec_reader *rec_open(const char *path, int format, char *err, size_t errlen);
void rec_close(rec_reader *r);

int rec_format_of(const rec_reader *r);

/* Columns: for CSV the header row; for JSONL the union of the keys of the
 * good records read so far, in order of first appearance (it grows; keys
 * that appear only in bad records are not kept).  rec_column returns NULL
 * past the end. */
size_t rec_ncolumns(const rec_reader *r);
const char *rec_column(const rec_reader *r, size_t i, size_t *len);

/* Read the next record.  Returns
 *   REC_RECORD (1)  a record: query it with rec_value()/rec_fields();
 *   REC_EOF (0)     end of input (and from then on);
 *   REC_BAD (-1)    a bad record, message in rec_error(); it was skipped and
 *                   the next call continues with the following record;
 *   REC_IOERR (-2)  read or decompression error, message in rec_error();
 *                   fatal (and from then on).  Every complete record before
 *                   the error has been returned first.
 * *line (may be NULL) receives the 1-based physical line where the record
 * starts (for 0/-2: the current line).
 *
 * CSV: a record has exactly as many fields as the header.  Quoted values are
 * unescaped.  Blank lines (empty or a lone CR) are skipped.  An unquoted
 * empty field is null (absent); a quoted empty field ("") is an empty
 * string.  An unterminated quote reports the record (-1) and ends the input.
 * JSONL: one object per non-blank line; string, number (its text), true/
 * false ("true"/"false") and null (absent) values; nested objects/arrays,
 * duplicate keys, lone surrogates and invalid UTF-8 make the line bad. */
int rec_next(rec_reader *r, unsigned long long *line);

/* Value of column col in the current record: NULL when the column is absent
 * from the record, null, or (CSV) an unquoted empty field; else a view of
 * *len bytes, NUL-terminated, valid until the next rec_next().  Also NULL
 * after a result other than REC_RECORD. */
const char *rec_value(const rec_reader *r, size_t col, size_t *len);

/* All fields of the current record in column order (field i is column i;
 * absent JSONL keys are is_null).  *n = 0 after a result other than 1. */
const rec_field *rec_fields(const rec_reader *r, size_t *n);

/* Message of the last -1/-2 result ("" otherwise). */
const char *rec_error(const rec_reader *r);

/* Bytes of the underlying (possibly compressed) file consumed so far, and
 * its total size (0 when unknown: stdin from a pipe and the like). */
void rec_progress(const rec_reader *r, unsigned long long *done, unsigned long long *total);

#endif
