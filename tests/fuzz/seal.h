/* SPDX-License-Identifier: MIT */
/* Wrap a raw payload in libci's saved-data container (see
 * src/persistence/persist-priv.h: magic, u32 version, u32 0, u64 payload
 * length, u32 CRC-32, u64 compressed length, zlib stream), so that a fuzzer
 * can mutate what the loaders parse rather than a checksum. */
#ifndef CI_FUZZ_SEAL_H
#define CI_FUZZ_SEAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define FZ_HEADER_SIZE 36

static inline void fz_store32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static inline void fz_store64(unsigned char *b, uint64_t v)
{
    fz_store32(b, (uint32_t)v);
    fz_store32(b + 4, (uint32_t)(v >> 32));
}

/* A malloc'ed container of payload; NULL if zlib fails. */
static inline unsigned char *fz_seal(const char magic[8], uint32_t version, const void *payload,
                                     size_t plen, size_t *out_len)
{
    uLongf clen = compressBound((uLong)plen);
    unsigned char *out = malloc(FZ_HEADER_SIZE + clen);
    if (!out)
        return NULL;
    if (compress2(out + FZ_HEADER_SIZE, &clen, plen ? payload : (const void *)"", (uLong)plen,
                  1) != Z_OK) {
        free(out);
        return NULL;
    }
    memcpy(out, magic, 8);
    fz_store32(out + 8, version);
    fz_store32(out + 12, 0);
    fz_store64(out + 16, plen);
    fz_store32(out + 24, (uint32_t)crc32(0L, plen ? payload : (const void *)"", (uInt)plen));
    fz_store64(out + 28, clen);
    *out_len = FZ_HEADER_SIZE + clen;
    return out;
}

/* Inflate a container's payload (for making seeds); NULL if it is not one. */
static inline unsigned char *fz_unseal(const unsigned char *data, size_t len, size_t *plen)
{
    if (len < FZ_HEADER_SIZE)
        return NULL;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | data[16 + i];
    uLongf got = (uLongf)n;
    unsigned char *p = malloc(n ? (size_t)n : 1);
    if (p && uncompress(p, &got, data + FZ_HEADER_SIZE, (uLong)(len - FZ_HEADER_SIZE)) != Z_OK) {
        free(p);
        return NULL;
    }
    *plen = (size_t)got;
    return p;
}

#endif
