/* SPDX-License-Identifier: MIT */
#include "libci.h"
#include <string.h>

#include "utf8-priv.h"

CI_API ci_status ci_utf8_validate(const char *data, size_t len, size_t *bad_offset)
{
    if (!data && len)
        return CI_ERR_INVALID;
    const uint8_t *p = (const uint8_t *)data;
    /* ids, keys and most text are short and ASCII: one pass of OR-ed loads
     * over the whole string (the last load overlaps), and the byte loop only
     * when a high bit shows up */
    if (len >= 8) {
        uint64_t acc = 0, w;
        size_t k = 0;
        for (; k + 8 <= len; k += 8) {
            memcpy(&w, p + k, 8);
            acc |= w;
        }
        memcpy(&w, p + len - 8, 8);
        if (!((acc | w) & 0x8080808080808080ull))
            return CI_OK;
    } else {
        unsigned acc = 0;
        for (size_t k = 0; k < len; k++)
            acc |= p[k];
        if (!(acc & 0x80))
            return CI_OK;
    }
    size_t i = 0;
    while (i < len) {
        /* long mixed text: skip ASCII runs a word at a time */
        while (len - i >= 16) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n;
        if (ci_utf8_decode(p + i, len - i, &cp, &n) != CI_DEC_OK) {
            if (bad_offset)
                *bad_offset = i;
            return CI_ERR_UTF8;
        }
        i += n;
    }
    return CI_OK;
}
