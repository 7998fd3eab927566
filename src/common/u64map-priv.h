/* SPDX-License-Identifier: MIT */
/* A uint64 -> uint32 open-addressing map: segment cells by (combination,
 * day), and the lexicon's phrase and intent transitions by (prefix, word). */
#ifndef CI_U64MAP_PRIV_H
#define CI_U64MAP_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "alloc-priv.h"

typedef struct u64slot {
    uint64_t key;
    uint32_t val; /* value + 1; 0 = empty slot */
} u64slot;

/* Key and value side by side: one cache line per probe, which is what an
 * add costs when cells outgrow the cache. */
typedef struct u64map {
    u64slot *slots;
    size_t nslots, count;
} u64map;

static inline size_t ci_u64map_slot(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return (size_t)k & mask;
}

ci_status ci_u64map_reserve(u64map *m, const ci_alloc *a, size_t extra);

/* Index stored for key, or -1.  In line: the scorer's phrase and intent
 * steps and every segment add call it. */
static inline long ci_u64map_get(const u64map *m, uint64_t key)
{
    if (!m->nslots)
        return -1;
    size_t mask = m->nslots - 1;
    for (size_t i = ci_u64map_slot(key, mask);; i = (i + 1) & mask) {
        if (!m->slots[i].val)
            return -1;
        if (m->slots[i].key == key)
            return (long)m->slots[i].val - 1;
    }
}

/* Insert (room reserved); returns the stored value (val if new). */
uint32_t ci_u64map_put(u64map *m, uint64_t key, uint32_t val, int *added);
void ci_u64map_clear(u64map *m);
void ci_u64map_free(u64map *m, const ci_alloc *a);

#endif
