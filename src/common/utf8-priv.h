/* SPDX-License-Identifier: MIT */
/* UTF-8 decoding with WHATWG-style replacement, shared by the tokenizer,
 * validation and normalization so that all three agree byte for byte. */
#ifndef CI_UTF8_PRIV_H
#define CI_UTF8_PRIV_H

#include <stddef.h>
#include <stdint.h>

#define CI_REPLACEMENT_CHAR 0xFFFDu

/* Result of decoding at p[0..n). */
enum {
    CI_DEC_OK = 0,      /* *cp is a valid code point of *len bytes */
    CI_DEC_BAD = 1,     /* maximal invalid subpart of *len bytes (>= 1) */
    CI_DEC_SHORT = 2    /* a valid prefix runs to the end of the window: need more bytes */
};

/* Decode one code point.  n must be >= 1.  When the window ends inside a
 * valid prefix, returns CI_DEC_SHORT with *len = the prefix length; a caller
 * at end of stream treats that as CI_DEC_BAD of that length. */
static inline int ci_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp, size_t *len)
{
    uint8_t b = p[0];
    if (b < 0x80) {
        *cp = b;
        *len = 1;
        return CI_DEC_OK;
    }
    size_t need;
    uint32_t c;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) {
        need = 2;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        c = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        c = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        *cp = CI_REPLACEMENT_CHAR;
        *len = 1;
        return CI_DEC_BAD;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n) {
            *cp = CI_REPLACEMENT_CHAR;
            *len = i;
            return CI_DEC_SHORT;
        }
        uint8_t t = p[i];
        if (t < lo || t > hi) {
            *cp = CI_REPLACEMENT_CHAR;
            *len = i;
            return CI_DEC_BAD;
        }
        lo = 0x80;
        hi = 0xBF;
        c = (c << 6) | (t & 0x3F);
    }
    *cp = c;
    *len = need;
    return CI_DEC_OK;
}

/* Encode cp (valid scalar) to out[0..4); returns bytes written. */
static inline size_t ci_utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
