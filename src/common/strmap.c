/* SPDX-License-Identifier: MIT */
#include "strmap-priv.h"

#include <string.h>

void ci_strmap_init(ci_strmap *m, const ci_alloc *a)
{
    memset(m, 0, sizeof *m);
    m->a = *a;
}

void ci_strmap_free(ci_strmap *m)
{
    ci_dealloc(&m->a, m->slots);
    ci_dealloc(&m->a, m->entries);
    ci_dealloc(&m->a, m->arena);
    ci_alloc a = m->a;
    memset(m, 0, sizeof *m);
    m->a = a;
}

long ci_strmap_find_h(const ci_strmap *m, const char *key, size_t len, uint32_t h)
{
    if (!m->nslots)
        return -1;
    size_t mask = m->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const ci_strmap_slot *sl = &m->slots[i];
        if (!sl->idx)
            return -1;
        if (sl->hash != h)
            continue;
        const ci_strmap_entry *e = &m->entries[sl->idx - 1];
        if (e->len == len && ci_same_bytes(m->arena + e->off, key, len))
            return (long)(sl->idx - 1);
    }
}

long ci_strmap_find(const ci_strmap *m, const char *key, size_t len)
{
    return ci_strmap_find_h(m, key, len, ci_strmap_hash(key, len));
}

static ci_status rehash(ci_strmap *m, size_t nslots)
{
    ci_strmap_slot *slots = ci_calloc(&m->a, nslots, sizeof *slots);
    if (!slots)
        return CI_ERR_NOMEM;
    size_t mask = nslots - 1;
    for (size_t k = 0; k < m->count; k++) {
        size_t i = m->entries[k].hash & mask;
        while (slots[i].idx)
            i = (i + 1) & mask;
        slots[i].idx = (uint32_t)(k + 1);
        slots[i].hash = m->entries[k].hash;
    }
    ci_dealloc(&m->a, m->slots);
    m->slots = slots;
    m->nslots = nslots;
    return CI_OK;
}

ci_status ci_strmap_put(ci_strmap *m, const char *key, size_t len, size_t *index, int *added)
{
    uint32_t h = ci_strmap_hash(key, len);
    long found = ci_strmap_find_h(m, key, len, h);
    if (found >= 0) {
        *index = (size_t)found;
        *added = 0;
        return CI_OK;
    }
    if (len > UINT32_MAX || m->arena_len + len > UINT32_MAX || m->count >= UINT32_MAX - 1)
        return CI_ERR_LIMIT;
    ci_status st;
    /* Keep the load factor at or below 1/2 so probes stay short. */
    if ((m->count + 1) * 2 > m->nslots &&
        (st = rehash(m, m->nslots ? m->nslots * 2 : 64)) != CI_OK)
        return st;
    void *entries = m->entries, *arena = m->arena;
    if ((st = ci_grow(&m->a, &entries, &m->entries_cap, m->count + 1, sizeof *m->entries)) != CI_OK)
        return st;
    m->entries = entries;
    if ((st = ci_grow(&m->a, &arena, &m->arena_cap, m->arena_len + len + 1, 1)) != CI_OK)
        return st;
    m->arena = arena;
    ci_strmap_entry *e = &m->entries[m->count];
    e->off = (uint32_t)m->arena_len;
    e->len = (uint32_t)len;
    e->hash = h;
    if (len)
        memcpy(m->arena + m->arena_len, key, len);
    m->arena[m->arena_len + len] = '\0';
    m->arena_len += len + 1;
    size_t mask = m->nslots - 1, i = h & mask;
    while (m->slots[i].idx)
        i = (i + 1) & mask;
    m->slots[i].idx = (uint32_t)(m->count + 1);
    m->slots[i].hash = h;
    *index = m->count++;
    *added = 1;
    return CI_OK;
}

ci_status ci_strmap_reserve(ci_strmap *m, size_t n_keys, size_t key_bytes)
{
    ci_status st;
    /* The puts this reserves for must not hit ci_strmap_put()'s limits
     * (callers rely on them not failing): refuse here instead. */
    if (key_bytes > UINT32_MAX || n_keys > UINT32_MAX ||
        m->arena_len + key_bytes + n_keys > UINT32_MAX || m->count + n_keys > UINT32_MAX - 1)
        return CI_ERR_LIMIT;
    size_t need = m->count + n_keys;
    if (need * 2 > m->nslots) {
        size_t ns = m->nslots ? m->nslots : 64;
        while (need * 2 > ns)
            ns *= 2;
        if ((st = rehash(m, ns)) != CI_OK)
            return st;
    }
    void *entries = m->entries, *arena = m->arena;
    if ((st = ci_grow(&m->a, &entries, &m->entries_cap, need, sizeof *m->entries)) != CI_OK)
        return st;
    m->entries = entries;
    if ((st = ci_grow(&m->a, &arena, &m->arena_cap, m->arena_len + key_bytes + n_keys + 1, 1)) != CI_OK)
        return st;
    m->arena = arena;
    return CI_OK;
}

void ci_strmap_clear(ci_strmap *m)
{
    if (m->slots)
        memset(m->slots, 0, m->nslots * sizeof *m->slots);
    m->count = 0;
    m->arena_len = 0;
}
