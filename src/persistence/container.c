/* SPDX-License-Identifier: MIT */
/* The saved-data container: fields, compression, checksum, atomic files. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../common/diag-priv.h"
#include "persist-priv.h"

/* ---- Fields ------------------------------------------------------------- */

void ci_put(ci_wbuf *w, const void *src, size_t n)
{
    if (w->err)
        return;
    if (ci_grow(w->a, (void **)&w->p, &w->cap, w->n + n, 1) != CI_OK) {
        w->err = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->n, src, n);
    w->n += n;
}

void ci_put_floats(ci_wbuf *w, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ci_put_f32(w, f[i]);
}

void ci_put_str(ci_wbuf *w, const char *s, size_t n)
{
    if ((uint64_t)n > UINT32_MAX) {
        w->err = 1;
        return;
    }
    ci_put_u32(w, (uint32_t)n);
    ci_put(w, s, n);
}

int ci_get_floats(ci_rbuf *r, float *f, size_t n)
{
    if (r->err || n > (r->n - r->pos) / 4) {
        r->err = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = ci_get_f32(r);
        if (!isfinite(f[i])) {
            r->err = 1;
            return 0;
        }
    }
    return 1;
}

ci_str ci_get_str(ci_rbuf *r)
{
    ci_str s = {NULL, 0};
    uint32_t n = ci_get_u32(r);
    const unsigned char *p = ci_take(r, n);
    if (p) {
        s.data = (const char *)p;
        s.len = n;
    }
    return s;
}

/* ---- Container ---------------------------------------------------------- */

/* zlib allocates through the caller's allocator. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    return ci_calloc((const ci_alloc *)opaque, items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    ci_dealloc((const ci_alloc *)opaque, p);
}

static void z_bind(z_stream *zs, const ci_alloc *a)
{
    memset(zs, 0, sizeof *zs);
    zs->zalloc = z_alloc;
    zs->zfree = z_free;
    zs->opaque = (voidpf)(uintptr_t)a;
}

ci_status ci_container_seal(const ci_alloc *a, const char magic[8], uint32_t version,
                            const unsigned char *payload, size_t plen, char **out,
                            size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if ((uint64_t)plen >= CI_CONTAINER_MAX_PAYLOAD)
        return CI_ERR_LIMIT;
    z_stream zs;
    z_bind(&zs, a);
    if (deflateInit(&zs, 6) != Z_OK)
        return CI_ERR_NOMEM;
    size_t bound = deflateBound(&zs, (uLong)plen);
    char *outp = ci_user_alloc(a, CI_CONTAINER_HEADER_SIZE + bound);
    if (!outp) {
        deflateEnd(&zs);
        return CI_ERR_NOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)payload;
    zs.avail_in = (uInt)plen;
    zs.next_out = (Bytef *)outp + CI_CONTAINER_HEADER_SIZE;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    size_t clen = zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        ci_free(outp);
        return CI_ERR_NOMEM;
    }
    uint32_t crc = (uint32_t)crc32(0L, payload, (uInt)plen);
    unsigned char *h = (unsigned char *)outp;
    memcpy(h, magic, 8);
    ci_store_u32(h + 8, version);
    ci_store_u32(h + 12, 0); /* reserved */
    ci_store_u64(h + 16, (uint64_t)plen);
    ci_store_u32(h + 24, crc);
    ci_store_u64(h + 28, (uint64_t)clen);
    *out = outp;
    *out_len = CI_CONTAINER_HEADER_SIZE + clen;
    return CI_OK;
}

ci_status ci_container_open(const ci_alloc *a, const char *data, size_t len, const char magic[8],
                            const char *what, uint32_t max_version, unsigned char **payload,
                            size_t *plen_out, uint32_t *version_out, ci_diag *diag)
{
    *payload = NULL;
    *plen_out = 0;
    if (version_out)
        *version_out = 0;
    if (len < CI_CONTAINER_HEADER_SIZE || memcmp(data, magic, 8) != 0)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, 0, "not a libci %s", what);
    ci_rbuf h;
    ci_rbuf_init(&h, data, CI_CONTAINER_HEADER_SIZE);
    (void)ci_take(&h, 8);
    uint32_t version = ci_get_u32(&h);
    (void)ci_get_u32(&h);
    uint64_t plen = ci_get_u64(&h);
    uint32_t crc = ci_get_u32(&h);
    uint64_t clen = ci_get_u64(&h);
    if (version > max_version)
        return ci_diag_set(diag, CI_ERR_VERSION, -1, -1, 8,
                           "%s format %u is newer than this library's (%u)", what, version,
                           max_version);
    if (version == 0)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, 8, "bad format version 0");
    if (clen != len - CI_CONTAINER_HEADER_SIZE)
        return ci_diag_set(diag, CI_ERR_CHECKSUM, -1, -1, len,
                           "%s is %zu bytes, its header says %llu: truncated or padded", what, len,
                           (unsigned long long)(clen + CI_CONTAINER_HEADER_SIZE));
    if (plen >= CI_CONTAINER_MAX_PAYLOAD || plen > clen * 1100 + 1024)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, 12, "implausible payload size");
    unsigned char *buf = ci_malloc(a, (size_t)plen + 1);
    if (!buf)
        return CI_ERR_NOMEM;
    z_stream zs;
    z_bind(&zs, a);
    if (inflateInit(&zs) != Z_OK) {
        ci_dealloc(a, buf);
        return CI_ERR_NOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)(data + CI_CONTAINER_HEADER_SIZE);
    zs.avail_in = (uInt)clen;
    zs.next_out = buf;
    zs.avail_out = (uInt)plen;
    int zr = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    inflateEnd(&zs);
    ci_status st = CI_OK;
    if (zr == Z_MEM_ERROR)
        st = CI_ERR_NOMEM;
    else if (zr != Z_STREAM_END || got != plen)
        st = ci_diag_set(diag, CI_ERR_CHECKSUM, -1, -1, CI_CONTAINER_HEADER_SIZE + zs.total_in,
                         "compressed data corrupt or truncated");
    else if ((uint32_t)crc32(0L, buf, (uInt)plen) != crc)
        st = ci_diag_set(diag, CI_ERR_CHECKSUM, -1, -1, 0, "checksum mismatch");
    if (st != CI_OK) {
        ci_dealloc(a, buf);
        return st;
    }
    *payload = buf;
    *plen_out = (size_t)plen;
    if (version_out)
        *version_out = version;
    return CI_OK;
}

/* ---- Files -------------------------------------------------------------- */

ci_status ci_write_file_atomic(const ci_alloc *a, const char *path, const char *data, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = ci_malloc(a, pl + 8);
    if (!tmp)
        return CI_ERR_NOMEM;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    ci_status st = CI_ERR_IO;
    if (f) {
        size_t wr = fwrite(data, 1, len, f);
        int cl = fclose(f);
        if (wr == len && cl == 0 && rename(tmp, path) == 0)
            st = CI_OK;
        else
            remove(tmp);
    }
    ci_dealloc(a, tmp);
    return st;
}
