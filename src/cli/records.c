/* SPDX-License-Identifier: MIT */
/* Streaming CSV / JSON Lines reader, plain or gzip (see records.h).
 *
 * Layers:
 *   source  - fills ibuf with the next block of decoded bytes (fread, or
 *             inflate over concatenated gzip members).  A read or inflate
 *             error is held back until the bytes decoded before it have
 *             been parsed, so every complete record is delivered first.
 *   CSV     - a resumable state machine over the blocks; field values are
 *             unescaped into one record buffer (reused), fields are offsets.
 *   JSONL   - lines are parsed in place in ibuf when they lie inside one
 *             block, else gathered in a line buffer (reused); strings are
 *             unescaped in place (never longer than their escaped form).
 * Nothing is allocated per field or per record in steady state. */
#ifndef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200809L /* fileno */
#endif

#include "records.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#if defined(__GNUC__)
#  define REC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define REC_PRINTF(a, b)
#endif

#define BLOCK ((size_t)REC_BLOCK_SIZE)
#define MAXREC ((size_t)REC_MAX_RECORD)
/* A record is measured at block ends, so its stored form may pass MAXREC by
 * up to one block before it is noticed; this is the hard cap of rbuf. */
#define RBUF_HARD_CAP (MAXREC + 2 * BLOCK)
#define NAME_SHOWN 64 /* bytes of a column name quoted in a message */

typedef struct rec_col {
    char *name;
    size_t len;
    uint32_t hash;
} rec_col;

typedef struct csv_fpos {
    size_t off, len;
    int quoted;
} csv_fpos;

struct rec_reader {
    FILE *fp;
    int own_fp;
    int format;

    /* Decoded input: ibuf[ipos, ilen) is not parsed yet; ibuf has one spare
     * byte for a sentinel.  dec_off = decoded bytes before ibuf[0]. */
    unsigned char *ibuf;
    size_t ipos, ilen;
    unsigned long long dec_off;
    int in_eof;   /* the decoded stream has no more bytes */
    int in_err;   /* a fatal error waits behind the bytes in ibuf */
    char in_msg[256];

    /* gzip */
    int gz;
    z_stream zs;
    int zs_live;
    int gz_in_member;
    unsigned long gz_members;
    int raw_eof;
    unsigned char *zbuf;

    unsigned long long raw_read, raw_total;

    unsigned long long line; /* physical line of ibuf[ipos] */
    int finished, fatal;

    /* Columns, with a hash of the names for JSONL (index + 1; 0 = empty). */
    rec_col *cols;
    size_t ncols, cols_cap;
    uint32_t *htab;
    size_t hcap;
    uint32_t *stamp; /* JSONL: generation that last set the column */
    uint32_t gen;

    rec_field *fields; /* cols_cap entries */
    size_t nout;       /* fields valid for the current record */

    /* CSV record buffer and field positions. */
    char *rbuf;
    size_t rcap, rlen;
    int ovf; /* the record passed the limit: no longer stored */
    csv_fpos *fo;
    size_t fo_cap;

    /* JSONL line buffer (for lines that cross a block boundary). */
    char *lbuf;
    size_t lcap, llen;

    char err[512];
};

static const char empty_str[] = "";

/* ---------------------------------------------------------------- messages */

static void fmt_msg(char *buf, size_t n, const char *fmt, va_list ap) REC_PRINTF(3, 0);
static void fmt_msg(char *buf, size_t n, const char *fmt, va_list ap)
{
    if (buf && n)
        vsnprintf(buf, n, fmt, ap);
}

/* Record-level problem: the first one of a record is kept. */
static void bad(rec_reader *r, const char *fmt, ...) REC_PRINTF(2, 3);
static void bad(rec_reader *r, const char *fmt, ...)
{
    if (r->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    fmt_msg(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

static void in_fail(rec_reader *r, const char *fmt, ...) REC_PRINTF(2, 3);
static void in_fail(rec_reader *r, const char *fmt, ...)
{
    if (r->in_err)
        return;
    r->in_err = 1;
    va_list ap;
    va_start(ap, fmt);
    fmt_msg(r->in_msg, sizeof r->in_msg, fmt, ap);
    va_end(ap);
}

static void open_fail(char *err, size_t errlen, const char *fmt, ...) REC_PRINTF(3, 4);
static void open_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_msg(err, errlen, fmt, ap);
    va_end(ap);
}

/* Length of a name to quote in a message, cut at a character boundary. */
static int shown_len(const char *s, size_t n)
{
    if (n <= NAME_SHOWN)
        return (int)n;
    n = NAME_SHOWN;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* ------------------------------------------------------------------- UTF-8 */

/* Length of the valid UTF-8 sequence at s, or 0.  Reads byte by byte and
 * stops at the first bad one, so a NUL sentinel bounds it. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        unsigned c1 = s[1];
        if ((c1 & 0xC0) != 0x80 || (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
            return 0;
        return (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        unsigned c1 = s[1];
        if ((c1 & 0xC0) != 0x80 || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
            return 0;
        if ((s[2] & 0xC0) != 0x80)
            return 0;
        return (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & UINT64_C(0x8080808080808080))) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (n - i < need) /* utf8_seq may not read past the end */
            return 0;
        size_t k = utf8_seq(s + i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------ source */

static size_t plain_fill(rec_reader *r)
{
    size_t n = fread(r->ibuf, 1, BLOCK, r->fp);
    r->raw_read += n;
    if (n < BLOCK) {
        if (ferror(r->fp))
            in_fail(r, "read error at byte %llu: %s", r->raw_read, strerror(errno));
        else
            r->in_eof = 1;
    }
    return n;
}

static size_t gz_fill(rec_reader *r)
{
    z_stream *zs = &r->zs;
    zs->next_out = r->ibuf;
    zs->avail_out = (uInt)BLOCK;
    while (zs->avail_out > 0) {
        if (zs->avail_in == 0) {
            if (!r->raw_eof) {
                size_t n = fread(r->zbuf, 1, BLOCK, r->fp);
                r->raw_read += n;
                if (n < BLOCK) {
                    if (ferror(r->fp)) {
                        in_fail(r, "read error at byte %llu: %s", r->raw_read, strerror(errno));
                        break;
                    }
                    r->raw_eof = 1;
                }
                zs->next_in = r->zbuf;
                zs->avail_in = (uInt)n;
            }
            if (zs->avail_in == 0) {
                if (r->gz_in_member)
                    in_fail(r, "gzip data corrupt or truncated at byte %llu", r->raw_read);
                else
                    r->in_eof = 1;
                break;
            }
        }
        if (!r->gz_in_member) {
            /* Another member follows the last one: gzip files may be
             * concatenated. */
            if (r->gz_members > 0 && inflateReset(zs) != Z_OK) {
                in_fail(r, "gzip: cannot reset the decompressor");
                break;
            }
            r->gz_in_member = 1;
            r->gz_members++;
        }
        int rc = inflate(zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            r->gz_in_member = 0;
            continue;
        }
        if (rc == Z_OK)
            continue;
        if (rc == Z_MEM_ERROR) {
            in_fail(r, "out of memory while decompressing");
            break;
        }
        in_fail(r, "gzip data corrupt or truncated at byte %llu%s%s",
                r->raw_read - zs->avail_in, zs->msg ? ": " : "", zs->msg ? zs->msg : "");
        break;
    }
    return BLOCK - zs->avail_out;
}

/* Next block into ibuf (all of it parsed).  >0 bytes, 0 end, -1 fatal. */
static long src_fill(rec_reader *r)
{
    r->dec_off += r->ilen;
    r->ipos = r->ilen = 0;
    if (r->in_err)
        return -1;
    if (r->in_eof)
        return 0;
    size_t n = r->gz ? gz_fill(r) : plain_fill(r);
    r->ilen = n;
    if (n > 0)
        return (long)n;
    return r->in_err ? -1 : 0;
}

static int fatal(rec_reader *r, const char *msg, unsigned long long *line)
{
    r->fatal = 1;
    r->nout = 0;
    snprintf(r->err, sizeof r->err, "%s", msg);
    *line = r->line;
    return REC_IOERR;
}

/* ----------------------------------------------------------------- columns */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int cols_reserve(rec_reader *r, size_t n)
{
    if (n <= r->cols_cap)
        return 1;
    size_t cap = r->cols_cap ? r->cols_cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    rec_col *c = realloc(r->cols, cap * sizeof *c);
    if (!c)
        return 0;
    r->cols = c;
    rec_field *f = realloc(r->fields, cap * sizeof *f);
    if (!f)
        return 0;
    r->fields = f;
    uint32_t *s = realloc(r->stamp, cap * sizeof *s);
    if (!s)
        return 0;
    r->stamp = s;
    r->cols_cap = cap;
    return 1;
}

static int col_add(rec_reader *r, const char *name, size_t len, uint32_t hash)
{
    if (!cols_reserve(r, r->ncols + 1))
        return 0;
    char *copy = malloc(len + 1);
    if (!copy)
        return 0;
    memcpy(copy, name, len);
    copy[len] = '\0';
    size_t i = r->ncols++;
    r->cols[i] = (rec_col){copy, len, hash};
    r->fields[i] = (rec_field){copy, len, empty_str, 0, 1};
    r->stamp[i] = 0;
    return 1;
}

static void htab_put(rec_reader *r, size_t col)
{
    size_t mask = r->hcap - 1, i = r->cols[col].hash & mask;
    while (r->htab[i])
        i = (i + 1) & mask;
    r->htab[i] = (uint32_t)(col + 1);
}

/* JSONL: the column of a key, added (tentatively) when new.
 * 1 found/added, 0 too many columns (message set), -1 out of memory. */
static int json_column(rec_reader *r, const char *key, size_t klen, size_t *col)
{
    uint32_t h = name_hash(key, klen);
    if (r->hcap) {
        size_t mask = r->hcap - 1;
        for (size_t i = h & mask; r->htab[i]; i = (i + 1) & mask) {
            const rec_col *c = &r->cols[r->htab[i] - 1];
            if (c->hash == h && c->len == klen && memcmp(c->name, key, klen) == 0) {
                *col = r->htab[i] - 1;
                return 1;
            }
        }
    }
    if (r->ncols >= REC_MAX_COLUMNS) {
        bad(r, "more than %u distinct keys", REC_MAX_COLUMNS);
        return 0;
    }
    if ((r->ncols + 1) * 2 > r->hcap) {
        /* Rehash in column order: the newest entries stay the last ones
         * inserted, which json_rollback relies on. */
        size_t cap = r->hcap ? r->hcap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        free(r->htab);
        r->htab = t;
        r->hcap = cap;
        for (size_t i = 0; i < r->ncols; i++)
            htab_put(r, i);
    }
    if (!col_add(r, key, klen, h))
        return -1;
    htab_put(r, r->ncols - 1);
    *col = r->ncols - 1;
    return 1;
}

/* Forget the columns added by a bad record.  Deleting the newest entries of
 * a linear-probing table in reverse order of insertion is exact: no older
 * entry was placed past them. */
static void json_rollback(rec_reader *r, size_t keep)
{
    while (r->ncols > keep) {
        size_t col = --r->ncols, mask = r->hcap - 1;
        size_t i = r->cols[col].hash & mask;
        while (r->htab[i] != col + 1)
            i = (i + 1) & mask;
        r->htab[i] = 0;
        free(r->cols[col].name);
    }
}

/* --------------------------------------------------------------------- CSV */

enum { ST_START, ST_UNQ, ST_QUO, ST_QUO_Q, ST_QUO_CR };

static const unsigned char csv_unq_stop[256] = {[','] = 1, ['\n'] = 1, ['"'] = 1};
static const unsigned char csv_quo_stop[256] = {['"'] = 1, ['\n'] = 1};

static void csv_overflow(rec_reader *r)
{
    if (!r->ovf) {
        r->ovf = 1;
        r->err[0] = '\0'; /* the length is the message that matters */
        bad(r, "record longer than %zu bytes", MAXREC);
    }
}

/* Room for need more bytes in rbuf.  0 only when out of memory. */
static int rbuf_grow(rec_reader *r, size_t need)
{
    size_t want = r->rlen + need;
    if (want > RBUF_HARD_CAP) {
        csv_overflow(r);
        return 1;
    }
    size_t cap = r->rcap ? r->rcap : 4096;
    while (cap < want)
        cap *= 2;
    if (cap > RBUF_HARD_CAP)
        cap = RBUF_HARD_CAP;
    char *b = realloc(r->rbuf, cap);
    if (!b)
        return 0;
    r->rbuf = b;
    r->rcap = cap;
    return 1;
}

static inline int csv_append(rec_reader *r, const unsigned char *s, size_t n)
{
    if (r->ovf)
        return 1;
    if (r->rlen + n + 1 > r->rcap) {
        if (!rbuf_grow(r, n + 1))
            return 0;
        if (r->ovf)
            return 1;
    }
    memcpy(r->rbuf + r->rlen, s, n);
    r->rlen += n;
    return 1;
}

/* Close the current field: record where it is (up to `limit` fields are
 * kept; more are only counted) and NUL-terminate it. */
static inline int csv_end_field(rec_reader *r, size_t *nf, size_t *fstart, int quoted, size_t limit)
{
    if (!r->ovf) {
        if (*nf < limit) {
            if (*nf == r->fo_cap) {
                size_t cap = r->fo_cap ? r->fo_cap * 2 : 64;
                csv_fpos *f = realloc(r->fo, cap * sizeof *f);
                if (!f)
                    return 0;
                r->fo = f;
                r->fo_cap = cap;
            }
            r->fo[*nf] = (csv_fpos){*fstart, r->rlen - *fstart, quoted};
        }
        if (r->rlen + 1 > r->rcap && !rbuf_grow(r, 1))
            return 0;
        if (!r->ovf)
            r->rbuf[r->rlen++] = '\0';
    }
    ++*nf;
    *fstart = r->rlen;
    return 1;
}

/* A lone CR before the LF that ends an unquoted field is part of the line
 * end, not of the value. */
static inline void csv_strip_cr(rec_reader *r, size_t fstart)
{
    if (!r->ovf && r->rlen > fstart && r->rbuf[r->rlen - 1] == '\r')
        r->rlen--;
}

static void csv_field_name(const rec_reader *r, size_t i, char *buf, size_t n)
{
    if (i < r->ncols)
        snprintf(buf, n, "column '%.*s'", shown_len(r->cols[i].name, r->cols[i].len),
                 r->cols[i].name);
    else
        snprintf(buf, n, "field %zu", i + 1);
}

/* A complete data record in rbuf/fo: check it and publish its fields. */
static int csv_publish(rec_reader *r, size_t nf)
{
    if (r->err[0])
        return REC_BAD;
    if (nf != r->ncols) {
        bad(r, "expected %zu fields, found %zu", r->ncols, nf);
        return REC_BAD;
    }
    if (!utf8_valid((const unsigned char *)r->rbuf, r->rlen)) {
        for (size_t i = 0; i < nf; i++)
            if (!utf8_valid((const unsigned char *)r->rbuf + r->fo[i].off, r->fo[i].len)) {
                char where[128];
                csv_field_name(r, i, where, sizeof where);
                bad(r, "invalid UTF-8 in %s", where);
                return REC_BAD;
            }
    }
    for (size_t i = 0; i < nf; i++) {
        rec_field *f = &r->fields[i];
        f->value = r->rbuf + r->fo[i].off;
        f->value_len = r->fo[i].len;
        f->is_null = !r->fo[i].quoted && f->value_len == 0;
    }
    r->nout = nf;
    return REC_RECORD;
}

/* The header record in rbuf/fo becomes the columns. */
static int csv_take_header(rec_reader *r, size_t nf)
{
    if (r->err[0])
        return REC_BAD;
    if (nf > REC_MAX_COLUMNS) {
        bad(r, "more than %u columns", REC_MAX_COLUMNS);
        return REC_BAD;
    }
    for (size_t i = 0; i < nf; i++)
        if (!utf8_valid((const unsigned char *)r->rbuf + r->fo[i].off, r->fo[i].len)) {
            bad(r, "invalid UTF-8 in the name of column %zu", i + 1);
            return REC_BAD;
        }
    for (size_t i = 0; i < nf; i++)
        if (!col_add(r, r->rbuf + r->fo[i].off, r->fo[i].len, 0)) {
            bad(r, "out of memory");
            return REC_IOERR;
        }
    return REC_RECORD;
}

/* Read one CSV record (header = the header row: fields become columns). */
static int csv_record(rec_reader *r, int header, unsigned long long *line_out)
{
    const size_t limit = header ? (size_t)REC_MAX_COLUMNS : r->ncols;
    unsigned char *p, *e;
    size_t nf, fstart;
    int st, quoted, started;
    unsigned long long start_line, quote_line = 0, start_off;

restart:
    r->rlen = 0;
    r->ovf = 0;
    r->err[0] = '\0';
    r->nout = 0;
    st = ST_START;
    quoted = started = 0;
    nf = fstart = 0;
    start_line = r->line;
    start_off = r->dec_off + r->ipos;
    *line_out = start_line;

    for (;;) {
        if (r->ipos == r->ilen) {
            long got = src_fill(r);
            if (got < 0)
                return fatal(r, r->in_msg, line_out);
            if (got == 0)
                goto at_eof;
        }
        p = r->ibuf + r->ipos;
        e = r->ibuf + r->ilen;
        while (p < e) {
            switch (st) {
            case ST_START:
                started = 1;
                if (*p == '"') {
                    p++;
                    st = ST_QUO;
                    quoted = 1;
                    quote_line = r->line;
                } else {
                    quoted = 0;
                    st = ST_UNQ;
                }
                break;
            case ST_UNQ: {
                unsigned char *q = p;
                while (q < e && !csv_unq_stop[*q])
                    q++;
                if (q > p && !csv_append(r, p, (size_t)(q - p)))
                    goto oom;
                p = q;
                if (p == e)
                    break;
                unsigned char c = *p++;
                if (c == ',') {
                    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
                        goto oom;
                    st = ST_START;
                } else if (c == '\n') {
                    r->line++;
                    csv_strip_cr(r, fstart);
                    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
                        goto oom;
                    goto record_end;
                } else { /* '"' */
                    char where[128];
                    csv_field_name(r, nf, where, sizeof where);
                    bad(r, quoted ? "unexpected character after a closing quote in %s"
                                  : "stray quote in an unquoted field in %s", where);
                }
                break;
            }
            case ST_QUO: {
                unsigned char *q = p;
                while (q < e && !csv_quo_stop[*q])
                    q++;
                if (q < e && *q == '\n') {
                    r->line++;
                    q++;
                    if (!csv_append(r, p, (size_t)(q - p)))
                        goto oom;
                    p = q;
                    break;
                }
                if (q > p && !csv_append(r, p, (size_t)(q - p)))
                    goto oom;
                p = q;
                if (p < e) {
                    p++;
                    st = ST_QUO_Q;
                }
                break;
            }
            case ST_QUO_Q: {
                unsigned char c = *p;
                if (c == '"') {
                    if (!csv_append(r, p, 1))
                        goto oom;
                    p++;
                    st = ST_QUO;
                } else if (c == ',') {
                    p++;
                    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
                        goto oom;
                    st = ST_START;
                } else if (c == '\n') {
                    p++;
                    r->line++;
                    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
                        goto oom;
                    goto record_end;
                } else if (c == '\r') {
                    p++;
                    st = ST_QUO_CR;
                } else {
                    char where[128];
                    csv_field_name(r, nf, where, sizeof where);
                    bad(r, "unexpected character after a closing quote in %s", where);
                    st = ST_UNQ; /* skip to the end of the line */
                }
                break;
            }
            default: /* ST_QUO_CR */
                if (*p == '\n') {
                    p++;
                    r->line++;
                    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
                        goto oom;
                    goto record_end;
                } else {
                    char where[128];
                    csv_field_name(r, nf, where, sizeof where);
                    bad(r, "unexpected character after a closing quote in %s", where);
                    st = ST_UNQ;
                }
                break;
            }
        }
        r->ipos = (size_t)(p - r->ibuf);
        if (r->dec_off + r->ipos - start_off > MAXREC)
            csv_overflow(r);
    }

at_eof:
    /* The decoded stream has ended (src_fill returned 0). */
    r->finished = 1;
    p = r->ibuf + r->ipos;
    if (!started)
        return REC_EOF;
    if (st == ST_QUO) {
        r->err[0] = '\0';
        bad(r, "unterminated quoted field (the quote opened on line %llu)", quote_line);
        return REC_BAD;
    }
    if (st == ST_UNQ)
        csv_strip_cr(r, fstart);
    if (!csv_end_field(r, &nf, &fstart, quoted, limit))
        goto oom;
    if (r->dec_off + r->ipos - start_off > MAXREC)
        csv_overflow(r);
    goto finish;

record_end:
    r->ipos = (size_t)(p - r->ibuf);
    if (r->dec_off + r->ipos - 1 - start_off > MAXREC)
        csv_overflow(r);

finish:
    if (nf == 1 && r->rlen == 1 && !quoted && !r->err[0]) {
        /* A blank line */
        if (r->finished)
            return REC_EOF;
        goto restart;
    }
    return header ? csv_take_header(r, nf) : csv_publish(r, nf);

oom:
    r->ipos = (size_t)(p - r->ibuf);
    return fatal(r, "out of memory", line_out);
}

/* ------------------------------------------------------------------- JSONL */

/* Bytes that may stand in a JSON string as they are: printable ASCII but
 * the quote and the backslash. */
static const unsigned char json_plain[256] = {
#define R8(x) x, x, x, x, x, x, x, x
    R8(0), R8(0), R8(0), R8(0),                /* 0x00-0x1f */
    1, 1, 0, 1, 1, 1, 1, 1, R8(1), R8(1), R8(1), /* 0x20-0x3f, '"' = 0x22 */
    R8(1), R8(1), R8(1), 1, 1, 1, 1, 0, 1, 1, 1, /* 0x40-0x5f, '\\' = 0x5c */
    R8(1), R8(1), R8(1), R8(1),                /* 0x60-0x7f */
#undef R8
};

static inline int json_ws(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline unsigned char *skip_ws(unsigned char *p)
{
    while (json_ws(*p))
        p++;
    return p;
}

static long hex4(const unsigned char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = (int)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (int)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (int)(c - 'A' + 10);
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Context of a string for messages: a key, or the value of a key. */
static void json_where(char *buf, size_t n, const char *key, size_t klen)
{
    if (key)
        snprintf(buf, n, "the value of '%.*s'", shown_len(key, klen), key);
    else
        snprintf(buf, n, "a key");
}

/* Parse the string at *pp (the opening quote) and unescape it in place.
 * Its text is NUL-terminated.  0 on a bad string (message set). */
static int json_string(rec_reader *r, unsigned char **pp, const unsigned char *end, char **out,
                       size_t *outlen, const char *key, size_t klen)
{
    unsigned char *start = *pp + 1, *s = start, *o;
    char where[NAME_SHOWN + 32];
    while (json_plain[*s]) /* the common case: nothing to copy */
        s++;
    o = s;
    for (;;) {
        unsigned c = *s;
        if (json_plain[c]) {
            *o++ = (unsigned char)c;
            s++;
            continue;
        }
        if (c == '"')
            break;
        if (c == '\\') {
            unsigned char rep;
            switch (s[1]) {
            case '"': rep = '"'; break;
            case '\\': rep = '\\'; break;
            case '/': rep = '/'; break;
            case 'b': rep = '\b'; break;
            case 'f': rep = '\f'; break;
            case 'n': rep = '\n'; break;
            case 'r': rep = '\r'; break;
            case 't': rep = '\t'; break;
            case 'u': {
                long cp = hex4(s + 2), lo;
                if (cp < 0) {
                    json_where(where, sizeof where, key, klen);
                    bad(r, "invalid \\u escape in %s", where);
                    return 0;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF && s[6] == '\\' && s[7] == 'u' &&
                    (lo = hex4(s + 8)) >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 12;
                } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                    json_where(where, sizeof where, key, klen);
                    bad(r, "lone surrogate \\u%04lX in %s", (unsigned long)cp, where);
                    return 0;
                } else {
                    s += 6;
                }
                o += utf8_put(o, (unsigned long)cp);
                continue;
            }
            default:
                json_where(where, sizeof where, key, klen);
                if (s + 1 == end)
                    bad(r, "unterminated string in %s", where);
                else
                    bad(r, "invalid escape in %s", where);
                return 0;
            }
            *o++ = rep;
            s += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(s);
            if (!k) {
                json_where(where, sizeof where, key, klen);
                bad(r, "invalid UTF-8 in %s", where);
                return 0;
            }
            while (k--)
                *o++ = *s++;
            continue;
        }
        json_where(where, sizeof where, key, klen);
        if (s == end)
            bad(r, "unterminated string in %s", where);
        else
            bad(r, "control character in %s", where);
        return 0;
    }
    *o = '\0'; /* o <= s, and *s (the closing quote) has been read */
    *out = (char *)start;
    *outlen = (size_t)(o - start);
    *pp = s + 1;
    return 1;
}

static inline int is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

static unsigned char *json_number(unsigned char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (is_digit(*p))
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return NULL;
        while (is_digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return NULL;
        while (is_digit(*p))
            p++;
    }
    return p;
}

/* Parse one line s[0, n) in place (s[n] is writable).  1 record, 0 blank
 * line, -1 bad, -2 out of memory. */
static int json_object(rec_reader *r, char *line, size_t n)
{
    unsigned char *p = (unsigned char *)line, *end = p + n;
    *end = '\0'; /* sentinel: every scan stops at it */
    p = skip_ws(p);
    if (p == end)
        return 0;
    if (*p != '{') {
        bad(r, "line is not a JSON object");
        return REC_BAD;
    }
    const size_t keep = r->ncols;
    if (++r->gen == 0) {
        if (r->ncols)
            memset(r->stamp, 0, r->ncols * sizeof *r->stamp);
        r->gen = 1;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        rec_field *f = &r->fields[i];
        f->value = empty_str;
        f->value_len = 0;
        f->is_null = 1;
    }
    p = skip_ws(p + 1);
    if (*p == '}') {
        p++;
    } else {
        for (;;) {
            char *key, *val;
            size_t klen, vlen, col;
            if (*p != '"') {
                if (p == end)
                    bad(r, "unexpected end of line in a JSON object");
                else
                    bad(r, "expected a string key in a JSON object");
                goto fail;
            }
            if (!json_string(r, &p, end, &key, &klen, NULL, 0))
                goto fail;
            int sk = shown_len(key, klen);
            p = skip_ws(p);
            if (*p != ':') {
                bad(r, "expected ':' after the key '%.*s'", sk, key);
                goto fail;
            }
            p = skip_ws(p + 1);
            int rc = json_column(r, key, klen, &col);
            if (rc < 0) {
                json_rollback(r, keep);
                r->err[0] = '\0';
                bad(r, "out of memory");
                return REC_IOERR;
            }
            if (rc == 0)
                goto fail;
            if (r->stamp[col] == r->gen) {
                bad(r, "duplicate key '%.*s'", sk, key);
                goto fail;
            }
            r->stamp[col] = r->gen;
            rec_field *f = &r->fields[col];
            unsigned char *q;
            int token = 0;
            unsigned c = *p;
            if (c == '"') {
                if (!json_string(r, &p, end, &val, &vlen, key, klen))
                    goto fail;
                f->value = val;
                f->value_len = vlen;
                f->is_null = 0;
                q = p;
            } else if (c == '{' || c == '[') {
                bad(r, "nested value in '%.*s' not supported", sk, key);
                goto fail;
            } else if (c == 't' && strncmp((char *)p, "true", 4) == 0) {
                f->value = (char *)p;
                f->value_len = 4;
                f->is_null = 0;
                q = p + 4;
                token = 1;
            } else if (c == 'f' && strncmp((char *)p, "false", 5) == 0) {
                f->value = (char *)p;
                f->value_len = 5;
                f->is_null = 0;
                q = p + 5;
                token = 1;
            } else if (c == 'n' && strncmp((char *)p, "null", 4) == 0) {
                q = p + 4;
            } else if (c == '-' || is_digit(c)) {
                q = json_number(p);
                if (!q) {
                    bad(r, "invalid number in '%.*s'", sk, key);
                    goto fail;
                }
                f->value = (char *)p;
                f->value_len = (size_t)(q - p);
                f->is_null = 0;
                token = 1;
            } else {
                if (p == end)
                    bad(r, "unexpected end of line after the key '%.*s'", sk, key);
                else
                    bad(r, "invalid value for '%.*s'", sk, key);
                goto fail;
            }
            /* What follows the value; a number or literal is NUL-terminated
             * over the byte after it, read first. */
            c = *q;
            if (token)
                *q = '\0';
            while (json_ws(c))
                c = *++q;
            if (c == ',') {
                p = skip_ws(q + 1);
                continue;
            }
            if (c == '}') {
                p = q + 1;
                break;
            }
            if (q == end)
                bad(r, "unexpected end of line in a JSON object");
            else
                bad(r, "expected ',' or '}' after the value of '%.*s'", sk, key);
            goto fail;
        }
    }
    p = skip_ws(p);
    if (p != end) {
        bad(r, "trailing characters after the JSON object");
        goto fail;
    }
    r->nout = r->ncols;
    return REC_RECORD;

fail:
    json_rollback(r, keep);
    r->nout = 0;
    return REC_BAD;
}

/* Append to the line buffer; sets *ovf (and stops keeping bytes) past the
 * limit.  0 only when out of memory. */
static int lbuf_append(rec_reader *r, const unsigned char *s, size_t n, int *ovf)
{
    if (*ovf)
        return 1;
    if (r->llen + n > MAXREC) {
        *ovf = 1;
        return 1;
    }
    if (r->llen + n + 1 > r->lcap) {
        size_t cap = r->lcap ? r->lcap : 4096;
        while (cap < r->llen + n + 1)
            cap *= 2;
        if (cap > MAXREC + 1)
            cap = MAXREC + 1;
        char *b = realloc(r->lbuf, cap);
        if (!b)
            return 0;
        r->lbuf = b;
        r->lcap = cap;
    }
    memcpy(r->lbuf + r->llen, s, n);
    r->llen += n;
    return 1;
}

static int jsonl_record(rec_reader *r, unsigned long long *line_out)
{
    for (;;) {
        unsigned long long ln = r->line;
        char *text = NULL;
        size_t n = 0;
        int ovf = 0;
        r->llen = 0;
        r->err[0] = '\0';
        r->nout = 0;
        *line_out = ln;
        for (;;) {
            if (r->ipos == r->ilen) {
                long got = src_fill(r);
                if (got < 0)
                    return fatal(r, r->in_msg, line_out);
                if (got == 0) {
                    r->finished = 1;
                    if (r->llen == 0 && !ovf)
                        return REC_EOF;
                    text = r->lbuf;
                    n = r->llen;
                    break;
                }
            }
            unsigned char *s = r->ibuf + r->ipos;
            size_t avail = r->ilen - r->ipos;
            unsigned char *nl = memchr(s, '\n', avail);
            if (nl) {
                size_t k = (size_t)(nl - s);
                r->ipos += k + 1;
                r->line++;
                if (r->llen == 0 && !ovf) { /* the whole line is in ibuf */
                    text = (char *)s;
                    n = k;
                } else {
                    if (!lbuf_append(r, s, k, &ovf))
                        return fatal(r, "out of memory", line_out);
                    text = r->lbuf;
                    n = r->llen;
                }
                break;
            }
            if (!lbuf_append(r, s, avail, &ovf))
                return fatal(r, "out of memory", line_out);
            r->ipos = r->ilen;
        }
        if (ovf) {
            bad(r, "record longer than %zu bytes", MAXREC);
            return REC_BAD;
        }
        int rc = json_object(r, text, n);
        if (rc == 0) { /* blank line */
            if (r->finished)
                return REC_EOF;
            continue;
        }
        if (rc == REC_IOERR)
            return fatal(r, "out of memory", line_out);
        return rc;
    }
}

/* -------------------------------------------------------------------- API */

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return 0;
    }
    return 1;
}

static int format_by_name(const char *path)
{
    size_t n = strlen(path);
    if (ends_with_ci(path, n, ".gz"))
        n -= 3;
    if (ends_with_ci(path, n, ".csv"))
        return REC_CSV;
    if (ends_with_ci(path, n, ".jsonl") || ends_with_ci(path, n, ".ndjson") ||
        ends_with_ci(path, n, ".json"))
        return REC_JSONL;
    return -1;
}

rec_reader *rec_open(const char *path, int format, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!path) {
        open_fail(err, errlen, "no input given");
        return NULL;
    }
    if (format != -1 && format != REC_CSV && format != REC_JSONL) {
        open_fail(err, errlen, "unknown record format %d", format);
        return NULL;
    }
    rec_reader *r = calloc(1, sizeof *r);
    if (!r) {
        open_fail(err, errlen, "out of memory");
        return NULL;
    }
    r->line = 1;
    const char *shown = path;
    if (strcmp(path, "-") == 0) {
        r->fp = stdin;
        shown = "<stdin>";
    } else {
        r->fp = fopen(path, "rb");
        if (!r->fp) {
            open_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
            free(r);
            return NULL;
        }
        r->own_fp = 1;
    }
    struct stat sb;
    if (fstat(fileno(r->fp), &sb) == 0 && S_ISREG(sb.st_mode))
        r->raw_total = (unsigned long long)sb.st_size;

    r->ibuf = malloc(BLOCK + 1);
    if (!r->ibuf) {
        open_fail(err, errlen, "out of memory");
        goto fail;
    }
    size_t n = fread(r->ibuf, 1, BLOCK, r->fp);
    if (n < BLOCK && ferror(r->fp)) {
        open_fail(err, errlen, "cannot read %s: %s", shown, strerror(errno));
        goto fail;
    }
    r->raw_read = n;
    if (n >= 2 && r->ibuf[0] == 0x1f && r->ibuf[1] == 0x8b) {
        r->gz = 1;
        r->zbuf = r->ibuf;
        r->ibuf = malloc(BLOCK + 1);
        if (!r->ibuf) {
            open_fail(err, errlen, "out of memory");
            goto fail;
        }
        r->zs.zalloc = Z_NULL;
        r->zs.zfree = Z_NULL;
        r->zs.opaque = Z_NULL;
        r->zs.next_in = r->zbuf;
        r->zs.avail_in = (uInt)n;
        if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK) {
            open_fail(err, errlen, "cannot start the gzip decompressor");
            goto fail;
        }
        r->zs_live = 1;
        r->raw_eof = n < BLOCK;
        if (src_fill(r) < 0) {
            open_fail(err, errlen, "%s: %s", shown, r->in_msg);
            goto fail;
        }
    } else {
        r->ilen = n;
        r->in_eof = n < BLOCK;
    }
    if (r->ilen >= 3 && r->ibuf[0] == 0xEF && r->ibuf[1] == 0xBB && r->ibuf[2] == 0xBF)
        r->ipos = 3;

    if (format == -1)
        format = strcmp(path, "-") == 0 ? -1 : format_by_name(path);
    if (format == -1) {
        size_t i = r->ipos;
        while (i < r->ilen && json_ws(r->ibuf[i]))
            i++;
        format = i < r->ilen && r->ibuf[i] == '{' ? REC_JSONL : REC_CSV;
    }
    r->format = format;

    if (format == REC_CSV) {
        unsigned long long ln;
        int rc = csv_record(r, 1, &ln);
        if (rc == REC_BAD) {
            open_fail(err, errlen, "%s: header on line %llu: %s", shown, ln, r->err);
            goto fail;
        }
        if (rc == REC_IOERR) {
            open_fail(err, errlen, "%s: %s", shown, r->err);
            goto fail;
        }
        if (rc == REC_EOF)
            r->finished = 1;
        r->rlen = 0;
        r->err[0] = '\0';
    }
    return r;

fail:
    rec_close(r);
    return NULL;
}

void rec_close(rec_reader *r)
{
    if (!r)
        return;
    if (r->own_fp && r->fp)
        fclose(r->fp);
    if (r->zs_live)
        inflateEnd(&r->zs);
    for (size_t i = 0; i < r->ncols; i++)
        free(r->cols[i].name);
    free(r->cols);
    free(r->fields);
    free(r->stamp);
    free(r->htab);
    free(r->rbuf);
    free(r->fo);
    free(r->lbuf);
    free(r->ibuf);
    free(r->zbuf);
    free(r);
}

int rec_format_of(const rec_reader *r)
{
    return r ? r->format : -1;
}

size_t rec_ncolumns(const rec_reader *r)
{
    return r ? r->ncols : 0;
}

const char *rec_column(const rec_reader *r, size_t i, size_t *len)
{
    if (!r || i >= r->ncols) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->cols[i].len;
    return r->cols[i].name;
}

int rec_next(rec_reader *r, unsigned long long *line)
{
    unsigned long long dummy;
    if (!line)
        line = &dummy;
    if (!r) {
        *line = 0;
        return REC_IOERR;
    }
    r->nout = 0;
    if (r->fatal) {
        *line = r->line;
        return REC_IOERR;
    }
    if (r->finished) {
        r->err[0] = '\0';
        *line = r->line;
        return REC_EOF;
    }
    return r->format == REC_CSV ? csv_record(r, 0, line) : jsonl_record(r, line);
}

const char *rec_value(const rec_reader *r, size_t col, size_t *len)
{
    if (!r || col >= r->nout || r->fields[col].is_null) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->fields[col].value_len;
    return r->fields[col].value;
}

const rec_field *rec_fields(const rec_reader *r, size_t *n)
{
    if (n)
        *n = r ? r->nout : 0;
    return r && r->nout ? r->fields : NULL;
}

const char *rec_error(const rec_reader *r)
{
    return r ? r->err : "no reader";
}

void rec_progress(const rec_reader *r, unsigned long long *done, unsigned long long *total)
{
    unsigned long long d = 0, t = 0;
    if (r) {
        unsigned long long pending = r->gz ? r->zs.avail_in : (unsigned long long)(r->ilen - r->ipos);
        d = r->raw_read - pending;
        t = r->raw_total;
    }
    if (done)
        *done = d;
    if (total)
        *total = t;
}
