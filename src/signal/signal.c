/* SPDX-License-Identifier: MIT */
#include "libci.h"

#include <math.h>
#include <string.h>

#include "../common/diag-priv.h"
#include "signal-priv.h"

/* The first header's ci_signal ends at n_attrs; a caller may never send less. */
#define SIGNAL_V1_SIZE (offsetof(ci_signal, n_attrs) + sizeof(size_t))

CI_API void ci_signal_init(ci_signal *signal)
{
    if (!signal)
        return;
    memset(signal, 0, sizeof *signal);
    signal->struct_size = sizeof *signal;
    signal->timestamp = CI_TIME_NONE;
}

static const char *const kind_names[] = {
    NULL, "feedback", "ticket", "chat", "call", "email", "review",
    "survey", "usage", "transaction", "social",
};
#define N_KINDS (int)(sizeof kind_names / sizeof kind_names[0])

CI_API const char *ci_signal_kind_name(int kind)
{
    if (kind >= CI_SIGNAL_CUSTOM)
        return "custom";
    if (kind <= 0 || kind >= N_KINDS)
        return NULL;
    return kind_names[kind];
}

static int ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

CI_API ci_status ci_signal_kind_parse(const char *name, size_t len, int *kind)
{
    static const struct { const char *name; int kind; } aliases[] = {
        {"support_ticket", CI_SIGNAL_TICKET}, {"case", CI_SIGNAL_TICKET},
        {"transcript", CI_SIGNAL_CALL}, {"call_transcript", CI_SIGNAL_CALL},
        {"purchase", CI_SIGNAL_TRANSACTION}, {"survey_response", CI_SIGNAL_SURVEY},
        {"usage_event", CI_SIGNAL_USAGE}, {"message", CI_SIGNAL_CHAT},
    };
    if (!name || !kind)
        return CI_ERR_INVALID;
    for (int k = 1; k < N_KINDS; k++)
        if (ascii_ieq(name, len, kind_names[k])) {
            *kind = k;
            return CI_OK;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (ascii_ieq(name, len, aliases[i].name)) {
            *kind = aliases[i].kind;
            return CI_OK;
        }
    return CI_ERR_NOT_FOUND;
}

static const char *const field_names[] = {
    "struct", "kind", "timestamp", "customer_id", "account_id", "channel", "text",
    "nps", "csat", "ces", "rating", "value", "attr_key", "attr_value", "attrs",
};

CI_API const char *ci_signal_field_name(int field)
{
    if (field < 0 || field >= (int)(sizeof field_names / sizeof field_names[0]))
        return NULL;
    return field_names[field];
}

/* Whether s[0..n) is pure ASCII (n > 0): ids, keys and values mostly are,
 * and this inline check spares them the full validator's call. */
static inline int ascii_only(const char *s, size_t n)
{
    uint64_t acc = 0, w;
    if (n >= 8) {
        for (size_t k = 0; k + 8 <= n; k += 8) {
            memcpy(&w, s + k, 8);
            acc |= w;
        }
        memcpy(&w, s + n - 8, 8); /* overlaps: covers the tail */
        acc |= w;
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        acc = x | y;
    } else {
        for (size_t k = 0; k < n; k++)
            acc |= (uint8_t)s[k];
    }
    return !(acc & UINT64_C(0x8080808080808080));
}

/* Check one string field: present strings must be valid UTF-8 and bounded. */
static inline ci_status check_str(ci_str s, int field, int64_t index, int required, ci_diag *diag)
{
    const char *name = field_names[field];
    if (!s.data && s.len)
        return ci_diag_set(diag, CI_ERR_INVALID, field, index, 0,
                           "%s has length %zu but a NULL pointer", name, s.len);
    if (required && s.len == 0)
        return ci_diag_set(diag, CI_ERR_MISSING, field, index, 0, "%s is empty", name);
    if (s.len > CI_SIGNAL_MAX_FIELD)
        return ci_diag_set(diag, CI_ERR_LIMIT, field, index, 0,
                           "%s is %zu bytes; the limit is %d", name, s.len, CI_SIGNAL_MAX_FIELD);
    if (!s.len || ascii_only(s.data, s.len))
        return CI_OK;
    size_t bad;
    if (ci_utf8_validate(s.data, s.len, &bad) != CI_OK)
        return ci_diag_set(diag, CI_ERR_UTF8, field, index, bad,
                           "%s has invalid UTF-8 at byte %zu", name, bad);
    return CI_OK;
}

ci_status ci_signal_check_str(ci_str s, int field, int64_t index, int required, ci_diag *diag)
{
    return check_str(s, field, index, required, diag);
}

/* A score must be finite, inside [lo, hi], and integral when the survey
 * scale is integral: a CSAT of 4.5 is a data error, not an answer. */
static ci_status check_score(double v, double lo, double hi, int integral, int field,
                             ci_diag *diag)
{
    const char *name = field_names[field];
    if (!isfinite(v))
        return ci_diag_set(diag, CI_ERR_NONFINITE, field, -1, 0, "%s is not a finite number", name);
    if (v < lo || v > hi)
        return ci_diag_set(diag, CI_ERR_RANGE, field, -1, 0, "%s %g is outside %g-%g", name, v, lo, hi);
    /* v is within a small range here, so the conversion is exact */
    if (integral && v != (double)(int64_t)v)
        return ci_diag_set(diag, CI_ERR_RANGE, field, -1, 0, "%s %g is not a whole number", name, v);
    return CI_OK;
}

CI_API ci_status ci_signal_validate(const ci_signal *s, ci_diag *diag)
{
    ci_status st;
    if (!s)
        return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_STRUCT, -1, 0, "signal is NULL");
    if (s->struct_size < SIGNAL_V1_SIZE)
        return ci_diag_set(diag, CI_ERR_STRUCT_SIZE, CI_FIELD_STRUCT, -1, 0,
                           "struct_size %zu is too small; call ci_signal_init()", s->struct_size);
    if (!((s->kind > 0 && s->kind < N_KINDS) || s->kind >= CI_SIGNAL_CUSTOM))
        return ci_diag_set(diag, s->kind == 0 ? CI_ERR_MISSING : CI_ERR_RANGE, CI_FIELD_KIND,
                           -1, 0, "kind %d is not a signal kind", s->kind);
    if ((st = check_str(s->customer_id, CI_FIELD_CUSTOMER_ID, -1, 0, diag)) != CI_OK ||
        (st = check_str(s->account_id, CI_FIELD_ACCOUNT_ID, -1, 0, diag)) != CI_OK ||
        (st = check_str(s->channel, CI_FIELD_CHANNEL, -1, 0, diag)) != CI_OK)
        return st;
    if (!s->text.data && s->text.len)
        return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_TEXT, -1, 0,
                           "text has length %zu but a NULL pointer", s->text.len);
    if (s->has & ~(unsigned)(CI_HAS_NPS | CI_HAS_CSAT | CI_HAS_CES | CI_HAS_RATING | CI_HAS_VALUE))
        return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_STRUCT, -1, 0,
                           "has contains unknown bits 0x%x", s->has);
    if ((s->has & CI_HAS_NPS) && (st = check_score(s->nps, 0, 10, 1, CI_FIELD_NPS, diag)) != CI_OK)
        return st;
    if ((s->has & CI_HAS_CSAT) && (st = check_score(s->csat, 1, 5, 1, CI_FIELD_CSAT, diag)) != CI_OK)
        return st;
    if (s->has & CI_HAS_CES) {
        if ((st = check_score(s->ces, 1, 7, 1, CI_FIELD_CES, diag)) != CI_OK)
            return st;
        if (s->ces_direction != CI_CES_HIGHER_IS_EASIER && s->ces_direction != CI_CES_LOWER_IS_EASIER)
            return ci_diag_set(diag, CI_ERR_RANGE, CI_FIELD_CES, -1, 0,
                               "ces_direction %d is not a ci_ces_direction", s->ces_direction);
    }
    if ((s->has & CI_HAS_RATING) &&
        (st = check_score(s->rating, 0, 5, 0, CI_FIELD_RATING, diag)) != CI_OK)
        return st;
    if ((s->has & CI_HAS_VALUE) && !isfinite(s->value))
        return ci_diag_set(diag, CI_ERR_NONFINITE, CI_FIELD_VALUE, -1, 0, "value is not a finite number");
    /* bounded so that no sum of values (exact, over at most 2^64 signals) overflows */
    if ((s->has & CI_HAS_VALUE) && fabs(s->value) > 1e18)
        return ci_diag_set(diag, CI_ERR_RANGE, CI_FIELD_VALUE, -1, 0,
                           "value %g is outside -1e18..1e18", s->value);
    if (s->text.len == 0 && !(s->has & (CI_HAS_NPS | CI_HAS_CSAT | CI_HAS_CES | CI_HAS_RATING | CI_HAS_VALUE)))
        return ci_diag_set(diag, CI_ERR_MISSING, CI_FIELD_TEXT, -1, 0,
                           "signal carries neither text nor any score or value");
    if (s->n_attrs > CI_SIGNAL_MAX_ATTRS)
        return ci_diag_set(diag, CI_ERR_LIMIT, CI_FIELD_ATTRS, -1, 0,
                           "%zu attributes; the limit is %d", s->n_attrs, CI_SIGNAL_MAX_ATTRS);
    if (s->n_attrs && !s->attrs)
        return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_ATTRS, -1, 0,
                           "n_attrs is %zu but attrs is NULL", s->n_attrs);
    for (size_t i = 0; i < s->n_attrs; i++) {
        if ((st = check_str(s->attrs[i].key, CI_FIELD_ATTR_KEY, (int64_t)i, 1, diag)) != CI_OK ||
            (st = check_str(s->attrs[i].value, CI_FIELD_ATTR_VALUE, (int64_t)i, 0, diag)) != CI_OK)
            return st;
    }
    if (diag && diag->struct_size >= sizeof(ci_diag)) {
        ci_diag_init(diag);
    }
    return CI_OK;
}
