/* SPDX-License-Identifier: MIT */
/* Internal persistence plumbing: the little-endian field writer and reader,
 * the compressed, checksummed container saved formats share, and writing a
 * file whole.  Nothing here is exported (see src/libci.map). */
#ifndef CI_PERSIST_PRIV_H
#define CI_PERSIST_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/alloc-priv.h"
#include "libci.h"

/* ---- Fields ------------------------------------------------------------- */

/* Little-endian byte order, whatever the host's. */
static inline void ci_store_u32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static inline void ci_store_u64(unsigned char *b, uint64_t v)
{
    ci_store_u32(b, (uint32_t)v);
    ci_store_u32(b + 4, (uint32_t)(v >> 32));
}

static inline uint32_t ci_load_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A growing output buffer.  A failed allocation sets err and turns every
 * later put into a no-op, so a writer checks err once at the end.  p is
 * freed with ci_dealloc(a, ...). */
typedef struct ci_wbuf {
    const ci_alloc *a;
    unsigned char *p;
    size_t n, cap;
    int err;
} ci_wbuf;

static inline void ci_wbuf_init(ci_wbuf *w, const ci_alloc *a)
{
    w->a = a;
    w->p = NULL;
    w->n = w->cap = 0;
    w->err = 0;
}

void ci_put(ci_wbuf *w, const void *src, size_t n);

static inline void ci_put_u32(ci_wbuf *w, uint32_t v)
{
    unsigned char b[4];
    ci_store_u32(b, v);
    ci_put(w, b, 4);
}

static inline void ci_put_u64(ci_wbuf *w, uint64_t v)
{
    unsigned char b[8];
    ci_store_u64(b, v);
    ci_put(w, b, 8);
}

static inline void ci_put_f32(ci_wbuf *w, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    ci_put_u32(w, v);
}

static inline void ci_put_f64(ci_wbuf *w, double f)
{
    uint64_t v;
    memcpy(&v, &f, 8);
    ci_put_u64(w, v);
}

void ci_put_floats(ci_wbuf *w, const float *f, size_t n);

/* u32 length, then the bytes; more than UINT32_MAX bytes sets err. */
void ci_put_str(ci_wbuf *w, const char *s, size_t n);

/* A bounded reader over bytes it does not own.  Reading past the end sets
 * err; from then on every get returns 0 (or NULL) and leaves pos alone, so
 * a corrupt input is an error, never an out-of-bounds read. */
typedef struct ci_rbuf {
    const unsigned char *p;
    size_t n, pos;
    int err;
} ci_rbuf;

static inline void ci_rbuf_init(ci_rbuf *r, const void *p, size_t n)
{
    r->p = p;
    r->n = n;
    r->pos = 0;
    r->err = 0;
}

/* The next n bytes in place, or NULL (and err set) if fewer remain. */
static inline const unsigned char *ci_take(ci_rbuf *r, size_t n)
{
    if (r->err || n > r->n - r->pos) {
        r->err = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static inline uint32_t ci_get_u32(ci_rbuf *r)
{
    const unsigned char *b = ci_take(r, 4);
    return b ? ci_load_u32(b) : 0;
}

static inline uint64_t ci_get_u64(ci_rbuf *r)
{
    uint64_t lo = ci_get_u32(r);
    return lo | (uint64_t)ci_get_u32(r) << 32;
}

static inline float ci_get_f32(ci_rbuf *r)
{
    uint32_t v = ci_get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static inline double ci_get_f64(ci_rbuf *r)
{
    uint64_t v = ci_get_u64(r);
    double f;
    memcpy(&f, &v, 8);
    return f;
}

/* n floats into f; a short input or a non-finite value sets err and
 * returns 0 (f may be partly written).  Returns 1 on success. */
int ci_get_floats(ci_rbuf *r, float *f, size_t n);

/* What ci_put_str() wrote, as a view into the input: {NULL, 0} (and err
 * set) when it is truncated.  An empty string has a non-NULL data. */
ci_str ci_get_str(ci_rbuf *r);

/* ---- Container ---------------------------------------------------------- */

/*
 * Layout (all integers little-endian):
 *   magic (8 bytes) | u32 format version | u32 reserved (0)
 *   u64 payload length | u32 CRC-32 of the payload | u64 compressed length
 *   zlib-compressed payload
 * The payload is whatever the format writes with ci_put_*().
 */
#define CI_CONTAINER_HEADER_SIZE (8 + 4 + 4 + 8 + 4 + 8)
/* Payloads are strictly smaller than this. */
#define CI_CONTAINER_MAX_PAYLOAD ((uint64_t)1 << 32)

/* Compress payload (through a) behind a header with magic and version.
 * *out is allocated with ci_user_alloc(), so callers hand it to users who
 * free it with ci_free().  CI_ERR_LIMIT when plen reaches
 * CI_CONTAINER_MAX_PAYLOAD, CI_ERR_NOMEM when allocation or zlib fails. */
ci_status ci_container_seal(const ci_alloc *a, const char magic[8], uint32_t version,
                            const unsigned char *payload, size_t plen, char **out,
                            size_t *out_len);

/* Check a container and inflate its payload (allocated through a; free with
 * ci_dealloc(a, ...); one spare byte after it).  what names the format in
 * messages ("theme model").  Errors fill diag: CI_ERR_FORMAT (wrong magic,
 * version 0, implausible size), CI_ERR_VERSION (version > max_version),
 * CI_ERR_CHECKSUM (length mismatch, corrupt stream, CRC), CI_ERR_NOMEM.
 * data may be NULL only when len is 0.  Does not clear diag on success. */
ci_status ci_container_open(const ci_alloc *a, const char *data, size_t len, const char magic[8],
                            const char *what, uint32_t max_version, unsigned char **payload,
                            size_t *plen, uint32_t *version, ci_diag *diag);

/* ---- Files -------------------------------------------------------------- */

/* Write len bytes to path + ".tmp", then rename it over path, so a crash
 * never leaves half a file behind.  CI_ERR_IO (the temporary is removed)
 * or CI_ERR_NOMEM. */
ci_status ci_write_file_atomic(const ci_alloc *a, const char *path, const char *data, size_t len);

#endif
