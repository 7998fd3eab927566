/* SPDX-License-Identifier: MIT */
/* NFKC + case folding of one token, into buffers the caller reuses. */
#include "normalize-priv.h"

#include <string.h>
#include <utf8proc.h>

#include "../common/utf8-priv.h"

#define NORM_OPTIONS \
    ((utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD))

void ci_norm_buf_free(ci_norm_buf *nb, const ci_alloc *a)
{
    ci_dealloc(a, nb->cps);
    ci_dealloc(a, nb->fix);
    ci_dealloc(a, nb->lower);
    memset(nb, 0, sizeof *nb);
}

/* Replace each maximal invalid subsequence by U+FFFD, exactly as the
 * tokenizer's decoder sees it, so normalized text is always valid UTF-8. */
static ci_status fix_utf8(ci_norm_buf *nb, const ci_alloc *a, const uint8_t *src, size_t len)
{
    /* An invalid byte becomes 3 bytes at most. */
    if (len > (SIZE_MAX - 1) / 3)
        return CI_ERR_NOMEM;
    ci_status st = ci_grow(a, (void **)&nb->fix, &nb->fix_cap, len * 3 + 1, 1);
    if (st != CI_OK)
        return st;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t n;
        int r = ci_utf8_decode(src + i, len - i, &cp, &n);
        if (r == CI_DEC_OK) {
            memcpy(nb->fix + o, src + i, n);
            o += n;
        } else {
            o += ci_utf8_encode(CI_REPLACEMENT_CHAR, nb->fix + o);
        }
        i += n;
    }
    nb->fix_len = o;
    return CI_OK;
}

/* src[0..len) with its ASCII capitals lower-cased: src itself when it has
 * none and `alias` allows, else a copy in nb. */
static ci_status lower_ascii(ci_norm_buf *nb, const ci_alloc *a, const uint8_t *src, size_t len,
                             int alias, const char **out, size_t *out_len)
{
    *out_len = len;
    if (alias) {
        *out = (const char *)src;
        return CI_OK;
    }
    ci_status st = ci_grow(a, (void **)&nb->lower, &nb->lower_cap, len + 1, 1);
    if (st != CI_OK)
        return st;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = src[i];
        nb->lower[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
    }
    *out = (const char *)nb->lower;
    return CI_OK;
}

/* Whether non-ASCII code point cp is its own NFKC + case folding wherever
 * it stands in a token: it does not fold, it has no compatibility
 * decomposition, a canonical one recomposes to it and holds nothing that
 * folds or has a compatibility decomposition, and nothing composes with it.
 * A composition joins a starter to a following mark (a character of
 * category M) or, by rule, a Hangul jamo: so a code point that is neither,
 * and is no Hangul syllable (decomposed by rule), cannot be the second of
 * a pair.  test_inert_code_points checks the rule against utf8proc's own
 * mappings and decompositions for every code point. */
static inline int cp_inert(uint32_t cp)
{
    if ((cp >= 0x1100 && cp < 0x1200) || (cp >= 0xA960 && cp < 0xA980) ||
        (cp >= 0xAC00 && cp < 0xD800))
        return 0; /* Hangul jamo (with extensions A and B), syllables */
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    if (p->casefold_seqindex != UINT16_MAX || p->combining_class != 0 ||
        p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_MC ||
        p->category == UTF8PROC_CATEGORY_ME)
        return 0;
    if (p->decomp_seqindex == UINT16_MAX)
        return 1;
    /* A primary composite (canonical, not excluded from composition, and
     * no singleton, such as U+212B: the top two bits of decomp_seqindex
     * hold its length less one) recomposes to itself, unless a code point
     * of its decomposition changes under NFKC + folding (U+0385's base
     * U+00A8 decomposes to a space and a mark). */
    if (p->decomp_type != 0 || p->comp_exclusion || (p->decomp_seqindex >> 14) == 0)
        return 0;
    utf8proc_int32_t d[8];
    utf8proc_ssize_t n =
        utf8proc_decompose_char((utf8proc_int32_t)cp, d, 8, UTF8PROC_DECOMPOSE, NULL);
    if (n < 2 || n > 8)
        return 0;
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        const utf8proc_property_t *q = utf8proc_get_property(d[k]);
        if (q->decomp_seqindex != UINT16_MAX || q->casefold_seqindex != UINT16_MAX)
            return 0;
    }
    return 1;
}

int ci_norm_cp_inert(uint32_t cp)
{
    return cp >= 0x80 && cp_inert(cp);
}

/* The common non-ASCII token (accented words, CJK, emoji): ASCII and inert
 * code points only, so that normalizing it is at most lower-casing its
 * ASCII capitals, without utf8proc's decomposition and recomposition
 * passes (five times the cost).  Returns 0 when the token needs them, else
 * 1 with *st. */
static int norm_inert(ci_norm_buf *nb, const ci_alloc *a, const uint8_t *src, size_t len,
                      int may_alias, const char **out, size_t *out_len, ci_status *st)
{
    int upper = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n;
        if (src[i] < 0x80) {
            upper |= src[i] >= 'A' && src[i] <= 'Z';
            i++;
        } else if (ci_utf8_decode(src + i, len - i, &cp, &n) == CI_DEC_OK && cp_inert(cp)) {
            i += n;
        } else {
            return 0;
        }
    }
    *st = lower_ascii(nb, a, src, len, !upper && may_alias, out, out_len);
    return 1;
}

ci_status ci_norm_token(ci_norm_buf *nb, const ci_alloc *a, const uint8_t *src, size_t len,
                        int ascii, int has_bad, int may_alias,
                        const char **out, size_t *out_len)
{
    ci_status st;
    if (ascii) {
        /* NFKC leaves ASCII alone and case folding only maps A-Z, so the
         * whole of utf8proc reduces to a lower-casing here. */
        size_t i = 0;
        while (i < len && !(src[i] >= 'A' && src[i] <= 'Z'))
            i++;
        return lower_ascii(nb, a, src, len, i == len && may_alias, out, out_len);
    }
    if (has_bad) {
        if ((st = fix_utf8(nb, a, src, len)) != CI_OK)
            return st;
        src = nb->fix;
        len = nb->fix_len;
    } else if (norm_inert(nb, a, src, len, may_alias, out, out_len, &st)) {
        return st;
    }
    for (;;) {
        utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)src, (utf8proc_ssize_t)len,
                                                nb->cps, (utf8proc_ssize_t)nb->cps_cap, NORM_OPTIONS);
        if (n < 0)
            return CI_ERR_UTF8; /* cannot happen after fix_utf8; never crash if it does */
        if ((size_t)n <= nb->cps_cap) {
            /* reencode writes UTF-8 over the code points plus a NUL; the
             * buffer keeps one spare element for that NUL. */
            utf8proc_ssize_t m = utf8proc_reencode(nb->cps, n, NORM_OPTIONS);
            if (m < 0)
                return CI_ERR_UTF8;
            *out = (const char *)nb->cps;
            *out_len = (size_t)m;
            return CI_OK;
        }
        size_t want = (size_t)n, cap = nb->cps_cap;
        /* +1 element of slack: see reencode above. */
        void *buf = nb->cps;
        size_t alloc_cap = cap ? cap + 1 : 0;
        if ((st = ci_grow(a, &buf, &alloc_cap, want + 1, sizeof(int32_t))) != CI_OK)
            return st;
        nb->cps = buf;
        nb->cps_cap = alloc_cap - 1;
    }
}

CI_API ci_status ci_normalize(const char *data, size_t len, const ci_allocator *alloc,
                              char **out, size_t *out_len)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    if (!data && len)
        return CI_ERR_INVALID;
    ci_alloc a;
    ci_status st = ci_alloc_resolve(alloc, &a);
    if (st != CI_OK)
        return st;
    const uint8_t *src = (const uint8_t *)data;
    int ascii = 1, bad = 0;
    for (size_t i = 0; i < len; i++)
        if (src[i] >= 0x80) {
            ascii = 0;
            break;
        }
    if (!ascii)
        bad = ci_utf8_validate(data, len, NULL) != CI_OK;
    ci_norm_buf nb = {0};
    const char *norm = "";
    size_t nlen = 0;
    if (len)
        st = ci_norm_token(&nb, &a, src, len, ascii, bad, 0, &norm, &nlen);
    if (st == CI_OK) {
        char *r = ci_user_alloc(&a, nlen + 1);
        if (!r) {
            st = CI_ERR_NOMEM;
        } else {
            memcpy(r, norm, nlen);
            r[nlen] = '\0';
            *out = r;
            if (out_len)
                *out_len = nlen;
        }
    }
    ci_norm_buf_free(&nb, &a);
    return st;
}
