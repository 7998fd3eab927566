/* SPDX-License-Identifier: MIT */
/* Internal allocator plumbing shared by every stage. */
#ifndef CI_ALLOC_PRIV_H
#define CI_ALLOC_PRIV_H

#include "libci.h"

#include <stdbool.h>
#include <stddef.h>

/* The resolved allocator an object carries.  Copying it (rather than
 * pointing at the caller's) means the caller's struct may go away. */
typedef struct ci_alloc {
    void *(*malloc_fn)(void *ud, size_t size);
    void *(*realloc_fn)(void *ud, void *ptr, size_t new_size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud;
} ci_alloc;

/* Resolve a public allocator (NULL means libc).  Fails on a struct that was
 * never initialised or lacks a function. */
ci_status ci_alloc_resolve(const ci_allocator *in, ci_alloc *out);

static inline void *ci_malloc(const ci_alloc *a, size_t n) { return a->malloc_fn(a->ud, n ? n : 1); }
static inline void *ci_realloc(const ci_alloc *a, void *p, size_t n) { return a->realloc_fn(a->ud, p, n ? n : 1); }
static inline void ci_dealloc(const ci_alloc *a, void *p) { if (p) a->free_fn(a->ud, p); }

/* calloc through the allocator, with overflow check on n*size. */
void *ci_calloc(const ci_alloc *a, size_t n, size_t size);

/* Grow *buf (element size elem) to hold at least need elements; geometric,
 * so amortised O(1).  Leaves *buf and *cap untouched on failure. */
ci_status ci_grow(const ci_alloc *a, void **buf, size_t *cap, size_t need, size_t elem);

/* The public form of a resolved allocator, to create the objects an object
 * owns (a scorer's tokenizer, say) with the same allocator. */
void ci_alloc_public(const ci_alloc *a, ci_allocator *out);

/* Read a whole file through the allocator, refusing more than max bytes.
 * *data is freed with ci_dealloc(a, ...).  Errors carry a message in diag. */
ci_status ci_read_file(const ci_alloc *a, const char *path, size_t max, char **data, size_t *len,
                       ci_diag *diag);

/* Memory handed to the caller: a header remembers the allocator so that
 * ci_free() can release it after the producing object is gone. */
void *ci_user_alloc(const ci_alloc *a, size_t n);

#endif
