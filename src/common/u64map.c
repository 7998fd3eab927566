/* SPDX-License-Identifier: MIT */
/* A uint64 -> uint32 open-addressing map (see u64map-priv.h). */
#include <string.h>

#include "u64map-priv.h"

ci_status ci_u64map_reserve(u64map *m, const ci_alloc *a, size_t extra)
{
    size_t need = m->count + extra;
    if (need * 2 <= m->nslots)
        return CI_OK;
    size_t ns = m->nslots ? m->nslots : 64;
    while (need * 2 > ns)
        ns *= 2;
    u64slot *slots = ci_calloc(a, ns, sizeof *slots);
    if (!slots)
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < m->nslots; i++) {
        if (!m->slots[i].val)
            continue;
        size_t j = ci_u64map_slot(m->slots[i].key, ns - 1);
        while (slots[j].val)
            j = (j + 1) & (ns - 1);
        slots[j] = m->slots[i];
    }
    ci_dealloc(a, m->slots);
    m->slots = slots;
    m->nslots = ns;
    return CI_OK;
}

uint32_t ci_u64map_put(u64map *m, uint64_t key, uint32_t val, int *added)
{
    size_t mask = m->nslots - 1;
    for (size_t i = ci_u64map_slot(key, mask);; i = (i + 1) & mask) {
        if (!m->slots[i].val) {
            m->slots[i].key = key;
            m->slots[i].val = val + 1;
            m->count++;
            *added = 1;
            return val;
        }
        if (m->slots[i].key == key) {
            *added = 0;
            return m->slots[i].val - 1;
        }
    }
}

void ci_u64map_clear(u64map *m)
{
    if (m->slots)
        memset(m->slots, 0, m->nslots * sizeof *m->slots);
    m->count = 0;
}

void ci_u64map_free(u64map *m, const ci_alloc *a)
{
    ci_dealloc(a, m->slots);
    memset(m, 0, sizeof *m);
}
