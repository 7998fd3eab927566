/* SPDX-License-Identifier: MIT */
/* A string-keyed hash map: open addressing over an arena of keys.  Built
 * once, then read-only, so lookups may run from many threads at once. */
#ifndef CI_STRMAP_PRIV_H
#define CI_STRMAP_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc-priv.h"

typedef struct ci_strmap_entry {
    uint32_t off, len;  /* key bytes in the arena */
    uint32_t hash;
} ci_strmap_entry;

typedef struct ci_strmap_slot {
    uint32_t idx;   /* entry index + 1; 0 = empty */
    uint32_t hash;  /* the entry's hash, so most misses never touch the entry */
} ci_strmap_slot;

typedef struct ci_strmap {
    ci_alloc a;
    ci_strmap_slot *slots;
    size_t nslots;             /* power of two */
    ci_strmap_entry *entries;  /* in insertion order */
    size_t count, entries_cap;
    char *arena;
    size_t arena_len, arena_cap;
} ci_strmap;

void ci_strmap_init(ci_strmap *m, const ci_alloc *a);
void ci_strmap_free(ci_strmap *m);
/* Forget every key, keeping the memory for reuse. */
void ci_strmap_clear(ci_strmap *m);

/* Whether a[0..n) == b[0..n).  Keys are mostly short words: compared in
 * line, a word at a time, rather than through a call to memcmp. */
static inline int ci_same_bytes(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (size_t k = 0; k + 8 < n; k += 8) {
            memcpy(&x, a + k, 8);
            memcpy(&y, b + k, 8);
            if (x != y)
                return 0;
        }
        /* the last 8 bytes, overlapping what was compared */
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x1, y1, x2, y2;
        memcpy(&x1, a, 4);
        memcpy(&y1, b, 4);
        memcpy(&x2, a + n - 4, 4);
        memcpy(&y2, b + n - 4, 4);
        return x1 == y1 && x2 == y2;
    }
    /* 0 to 3 bytes: first, middle and last cover them all */
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

static inline uint32_t ci_strmap_hash(const char *s, size_t n)
{
    /* Eight bytes at a time, multiply-xorshift mixing: keys are short words,
     * and this is on every lookup of every token. */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    if (n) {
        /* 1-7 bytes as two overlapping loads (the length is already mixed in) */
        uint64_t w;
        if (n >= 4) {
            uint32_t x, y;
            memcpy(&x, s, 4);
            memcpy(&y, s + n - 4, 4);
            w = (uint64_t)x | (uint64_t)y << 32;
        } else {
            w = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[n / 2] << 8 |
                (uint64_t)(uint8_t)s[n - 1] << 16;
        }
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    }
    h ^= h >> 29;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

/* Make room for n_keys more keys of key_bytes bytes in all, so that the
 * next puts within that budget cannot fail.  CI_ERR_LIMIT when they could
 * pass the map's limits (4 GiB of keys, 2^32 - 2 keys), CI_ERR_NOMEM. */
ci_status ci_strmap_reserve(ci_strmap *m, size_t n_keys, size_t key_bytes);

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
