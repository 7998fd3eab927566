/* SPDX-License-Identifier: MIT */
#include "libci.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag-priv.h"

CI_API unsigned ci_version_number(void) { return CI_VERSION_NUMBER; }
CI_API const char *ci_version_string(void) { return CI_VERSION_STRING; }

CI_API const char *ci_status_string(ci_status status)
{
    switch (status) {
    case CI_OK: return "ok";
    case CI_DONE: return "done: no more items";
    case CI_MORE: return "more input needed";
    case CI_ERR_NOMEM: return "out of memory";
    case CI_ERR_INVALID: return "invalid argument";
    case CI_ERR_STRUCT_SIZE: return "struct_size not set or too small (call the struct's init function)";
    case CI_ERR_STATE: return "call not allowed in the object's current state";
    case CI_ERR_RANGE: return "number out of range";
    case CI_ERR_NONFINITE: return "number is NaN or infinite";
    case CI_ERR_UTF8: return "invalid UTF-8";
    case CI_ERR_MISSING: return "required field missing";
    case CI_ERR_LIMIT: return "size limit exceeded";
    case CI_ERR_IO: return "input/output error";
    case CI_ERR_FORMAT: return "malformed input data";
    case CI_ERR_VERSION: return "data written by a newer, incompatible version";
    case CI_ERR_CHECKSUM: return "checksum mismatch: data corrupt or truncated";
    case CI_ERR_NOT_FOUND: return "not found";
    case CI_ERR_UNSUPPORTED: return "not supported by this build";
    }
    return "unknown status";
}

CI_API void ci_diag_init(ci_diag *diag)
{
    if (!diag)
        return;
    memset(diag, 0, sizeof *diag);
    diag->struct_size = sizeof *diag;
    diag->field = -1;
    diag->index = -1;
}

ci_status ci_diag_set(ci_diag *diag, ci_status status, int field, int64_t index,
                      uint64_t offset, const char *fmt, ...)
{
    /* A diag from an older header would be smaller; write nothing rather
     * than past its end. */
    if (!diag || diag->struct_size < sizeof(ci_diag))
        return status;
    diag->status = status;
    diag->field = field;
    diag->index = index;
    diag->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
    return status;
}
