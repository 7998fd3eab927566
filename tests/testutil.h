/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka suites. */
#ifndef CI_TESTUTIL_H
#define CI_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libci.h"

/* An allocator that counts calls and can fail the Nth allocation, the way
 * SQLite proves its out-of-memory paths. */
typedef struct test_alloc {
    long allocs;      /* malloc + realloc calls so far */
    long frees;
    long live;        /* blocks currently allocated */
    long fail_at;     /* fail the allocation with this 1-based number; 0 = never */
    int failed;       /* an injected failure happened */
} test_alloc;

static inline void *ta_malloc(void *ud, size_t n)
{
    test_alloc *t = ud;
    if (++t->allocs == t->fail_at) {
        t->failed = 1;
        return NULL;
    }
    void *p = malloc(n);
    if (p)
        t->live++;
    return p;
}

static inline void *ta_realloc(void *ud, void *ptr, size_t n)
{
    test_alloc *t = ud;
    if (++t->allocs == t->fail_at) {
        t->failed = 1;
        return NULL;
    }
    void *p = realloc(ptr, n);
    if (p && !ptr)
        t->live++;
    return p;
}

static inline void ta_free(void *ud, void *ptr)
{
    test_alloc *t = ud;
    if (ptr) {
        t->frees++;
        t->live--;
    }
    free(ptr);
}

static inline ci_allocator ta_allocator(test_alloc *t)
{
    ci_allocator a;
    ci_allocator_init(&a);
    a.malloc_fn = ta_malloc;
    a.realloc_fn = ta_realloc;
    a.free_fn = ta_free;
    a.user_data = t;
    return a;
}

/* Path of a file under tests/data (TEST_DATA_DIR comes from meson). */
#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

#endif
