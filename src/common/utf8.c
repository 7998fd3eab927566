/* SPDX-License-Identifier: MIT */
#include "libci.h"
#include <string.h>

#include "utf8-priv.h"

CI_API ci_status ci_utf8_validate(const char *data, size_t len, size_t *bad_offset)
{
    if (!data && len)
        return CI_ERR_INVALID;
    const uint8_t *p = (const uint8_t *)data;
    size_t i = 0;
    while (i < len) {
        /* ids, keys and most text are ASCII: eight bytes per step */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
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
