/* SPDX-License-Identifier: MIT */
/* Fuzz target: the CSV / JSON Lines reader of `cintel report`
 * (src/cli/records.c), plain and gzip.
 *
 * Input: byte 0 = flags, the rest = the file body.
 *   bits 0-1  format: 0 CSV, 1 JSONL, 2 auto (by content), 3 auto through a
 *             file name ending in ".JSONL.gz" (by name)
 *   bit 2     wrap the body in gzip (zlib, in the harness)
 *   bit 3     ... as two concatenated gzip members (split in the middle)
 *   bit 4     repeat the body until it passes one read block
 *             (REC_BLOCK_SIZE), so that records straddle block ends
 *   bit 5     gzip: append junk after the last member
 *   bit 6     gzip: cut the last 5 bytes (a truncated stream)
 * The file is written to a temporary file (one per process) and read with
 * rec_open()/rec_next() to the end.  Invariants: each record has as many
 * fields as there are columns, field i is column i, values are NUL-terminated
 * at their length, null fields are empty and rec_value() agrees; JSONL names
 * and values are valid UTF-8; bad records carry a message; results after EOF
 * or an I/O error stay the same; line numbers never go back. */
#ifndef _DEFAULT_SOURCE
#  define _DEFAULT_SOURCE 1 /* mkstemps */
#endif
#include <unistd.h>

#include <zlib.h>

#include "../../src/cli/records.h"
#include "fuzz.h"

static char g_path[2][64];

static void remove_temps(void)
{
    for (int i = 0; i < 2; i++)
        if (g_path[i][0])
            unlink(g_path[i]);
}

static void make_temps(void)
{
    if (g_path[0][0])
        return;
    const char *suffix[2] = {"", ".JSONL.gz"};
    for (int i = 0; i < 2; i++) {
        snprintf(g_path[i], sizeof g_path[i], "/tmp/ci_fuzz_records_XXXXXX%s", suffix[i]);
        int fd = mkstemps(g_path[i], (int)strlen(suffix[i]));
        FZ_CHECK(fd >= 0);
        close(fd);
    }
    atexit(remove_temps);
}

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        FZ_CHECK(b->p != NULL);
    }
    if (n)
        memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void gzip_member(buf *out, const unsigned char *p, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    FZ_CHECK(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&zs, (uLong)n);
    unsigned char *tmp = malloc(bound);
    FZ_CHECK(tmp != NULL);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = tmp;
    zs.avail_out = (uInt)bound;
    FZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    put(out, tmp, zs.total_out);
    deflateEnd(&zs);
    free(tmp);
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(fwrite(p, 1, n, f) == n);
    FZ_CHECK(fclose(f) == 0);
}

static void read_all(rec_reader *r)
{
    int format = rec_format_of(r);
    FZ_CHECK(format == REC_CSV || format == REC_JSONL);
    unsigned long long last_line = 0;
    for (unsigned long iter = 0; iter < 10000000ul; iter++) {
        unsigned long long line = 0;
        int rc = rec_next(r, &line);
        size_t nf = 99;
        const rec_field *fields = rec_fields(r, &nf);
        size_t ncol = rec_ncolumns(r);
        FZ_CHECK(rec_column(r, ncol, NULL) == NULL);
        unsigned long long done = 0, total = 0;
        rec_progress(r, &done, &total);
        if (total)
            FZ_CHECK(done <= total);
        const char *err = rec_error(r);
        FZ_CHECK(err != NULL);
        if (rc == REC_EOF || rc == REC_IOERR) {
            FZ_CHECK(nf == 0);
            if (rc == REC_IOERR)
                FZ_CHECK(err[0] != '\0');
            unsigned long long l2;
            FZ_CHECK(rec_next(r, &l2) == rc); /* sticky */
            return;
        }
        FZ_CHECK(rc == REC_RECORD || rc == REC_BAD);
        FZ_CHECK(line >= 1 && line >= last_line);
        last_line = line;
        if (rc == REC_BAD) {
            FZ_CHECK(nf == 0 && err[0] != '\0');
            FZ_CHECK(rec_value(r, 0, NULL) == NULL);
            continue;
        }
        FZ_CHECK(nf == ncol && (fields != NULL || nf == 0));
        for (size_t i = 0; i < nf; i++) {
            const rec_field *fl = &fields[i];
            size_t clen = 0;
            const char *col = rec_column(r, i, &clen);
            FZ_CHECK(col != NULL && clen == fl->name_len && memcmp(col, fl->name, clen) == 0);
            FZ_CHECK(fl->name[fl->name_len] == '\0');
            FZ_CHECK(fl->value != NULL && fl->value[fl->value_len] == '\0');
            size_t vlen = 12345;
            const char *v = rec_value(r, i, &vlen);
            if (fl->is_null) {
                FZ_CHECK(fl->value_len == 0 && v == NULL);
            } else {
                FZ_CHECK(v != NULL && vlen == fl->value_len && memcmp(v, fl->value, vlen) == 0);
            }
            if (format == REC_JSONL) {
                FZ_CHECK(ci_utf8_validate(fl->name, fl->name_len, NULL) == CI_OK);
                FZ_CHECK(ci_utf8_validate(fl->value, fl->value_len, NULL) == CI_OK);
            }
        }
        FZ_CHECK(rec_value(r, nf, NULL) == NULL);
    }
    FZ_CHECK(!"too many records");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_temps();
    fz f = {data, size};
    unsigned flags = fz_u8(&f);
    const unsigned char *body = f.p;
    size_t body_len = f.n;

    buf plain = {0};
    if ((flags & 16) && body_len) {
        while (plain.n < REC_BLOCK_SIZE + body_len)
            put(&plain, body, body_len);
    } else {
        put(&plain, body, body_len);
    }
    if (!plain.p) { /* an empty body: still a buffer, never NULL */
        put(&plain, "", 1);
        plain.n = 0;
    }
    buf file = {0};
    if (flags & 4) {
        if (flags & 8) {
            size_t half = plain.n / 2;
            gzip_member(&file, plain.p, half);
            gzip_member(&file, plain.p + half, plain.n - half);
        } else {
            gzip_member(&file, plain.p, plain.n);
        }
        if (flags & 32)
            put(&file, "junk\n", 5);
        if ((flags & 64) && file.n > 5)
            file.n -= 5;
    } else {
        file = plain;
        plain.p = NULL;
    }

    int fmt = (int)(flags & 3);
    const char *path = g_path[fmt == 3];
    write_file(path, file.p ? file.p : (const unsigned char *)"", file.n);
    free(plain.p);
    free(file.p);

    char err[256];
    rec_reader *r = rec_open(path, fmt >= 2 ? -1 : fmt, err, sizeof err);
    if (!r) {
        FZ_CHECK(err[0] != '\0');
        return 0;
    }
    read_all(r);
    rec_close(r);
    return 0;
}
