/* SPDX-License-Identifier: MIT */
/* A string-keyed hash map: open addressing over an arena of keys.  Built
 * once, then read-only, so lookups may run from many threads at once. */
#ifndef CI_STRMAP_PRIV_H
#define CI_STRMAP_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "alloc-priv.h"

typedef struct ci_strmap_entry {
    uint32_t off, len;  /* key bytes in the arena */
    uint32_t hash;
} ci_strmap_entry;

typedef struct ci_strmap {
    ci_alloc a;
    uint32_t *slots;           /* entry index + 1; 0 = empty */
    size_t nslots;             /* power of two */
    ci_strmap_entry *entries;  /* in insertion order */
    size_t count, entries_cap;
    char *arena;
    size_t arena_len, arena_cap;
} ci_strmap;

void ci_strmap_init(ci_strmap *m, const ci_alloc *a);
void ci_strmap_free(ci_strmap *m);

static inline uint32_t ci_strmap_hash(const char *s, size_t n)
{
    /* FNV-1a: short keys, good enough spread, no state. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* Index of key, or -1. */
long ci_strmap_find(const ci_strmap *m, const char *key, size_t len);
long ci_strmap_find_h(const ci_strmap *m, const char *key, size_t len, uint32_t h);

/* Insert key if absent; *index receives its entry index, *added whether it
 * is new.  Keys longer than UINT32_MAX are refused (CI_ERR_LIMIT). */
ci_status ci_strmap_put(ci_strmap *m, const char *key, size_t len, size_t *index, int *added);

static inline const char *ci_strmap_key(const ci_strmap *m, size_t i, size_t *len)
{
    *len = m->entries[i].len;
    return m->arena + m->entries[i].off;
}

#endif
