/* SPDX-License-Identifier: MIT */
#ifndef CI_NORMALIZE_PRIV_H
#define CI_NORMALIZE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "../common/alloc-priv.h"

/* Scratch buffers for normalization; they grow to the largest token seen
 * and are then reused, so steady state allocates nothing. */
typedef struct ci_norm_buf {
    int32_t *cps;       /* decomposed code points, reencoded in place */
    size_t cps_cap;     /* usable elements (one more is allocated for reencode's NUL) */
    uint8_t *fix;       /* source with invalid UTF-8 replaced */
    size_t fix_cap, fix_len;
    uint8_t *lower;     /* ASCII lower-casing */
    size_t lower_cap;
} ci_norm_buf;

void ci_norm_buf_free(ci_norm_buf *nb, const ci_alloc *a);

/* Normalize src[0..len) like utf8proc_map(STABLE|COMPOSE|COMPAT|CASEFOLD)
 * after replacing invalid UTF-8.  ascii: the source is pure ASCII.  has_bad:
 * it contains invalid UTF-8.  may_alias: *out may point into src when the
 * result equals it.  The result lives in nb until its next use. */
ci_status ci_norm_token(ci_norm_buf *nb, const ci_alloc *a, const uint8_t *src, size_t len,
                        int ascii, int has_bad, int may_alias,
                        const char **out, size_t *out_len);

/* For the tests: whether code point cp >= 0x80 is taken as its own normal
 * form wherever it stands (no utf8proc call for a token of such). */
int ci_norm_cp_inert(uint32_t cp);

#endif
