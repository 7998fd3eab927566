/* SPDX-License-Identifier: MIT */
/* The checks of ci_signal_validate(), for other stages that take the same
 * fields in another shape (the analyzer's column batches). */
#ifndef CI_SIGNAL_PRIV_H
#define CI_SIGNAL_PRIV_H

#include <stdint.h>

#include "libci.h"

/* A string field as ci_signal_validate() checks it: no NULL data with a
 * length, at most CI_SIGNAL_MAX_FIELD bytes, valid UTF-8, and not empty
 * when required.  The diag names field and index. */
ci_status ci_signal_check_str(ci_str s, int field, int64_t index, int required, ci_diag *diag);

#endif
