/* SPDX-License-Identifier: MIT */
#ifndef CI_DIAG_PRIV_H
#define CI_DIAG_PRIV_H

#include "libci.h"

#if defined(__GNUC__)
#  define CI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define CI_PRINTF(a, b)
#endif

/* Fill an optional diag and return status, so error paths read
 * `return ci_diag_set(diag, CI_ERR_RANGE, ...)`. */
ci_status ci_diag_set(ci_diag *diag, ci_status status, int field, int64_t index,
                      uint64_t offset, const char *fmt, ...) CI_PRINTF(6, 7);

#endif
