/* SPDX-License-Identifier: MIT */
#include "alloc-priv.h"

#include <errno.h>
#include <stdio.h>

#include "diag-priv.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void *libc_realloc(void *ud, void *p, size_t n) { (void)ud; return realloc(p, n); }
static void libc_free(void *ud, void *p) { (void)ud; free(p); }

CI_API void ci_allocator_init(ci_allocator *alloc)
{
    if (!alloc)
        return;
    memset(alloc, 0, sizeof *alloc);
    alloc->struct_size = sizeof *alloc;
    alloc->malloc_fn = libc_malloc;
    alloc->realloc_fn = libc_realloc;
    alloc->free_fn = libc_free;
}

ci_status ci_alloc_resolve(const ci_allocator *in, ci_alloc *out)
{
    if (!in) {
        out->malloc_fn = libc_malloc;
        out->realloc_fn = libc_realloc;
        out->free_fn = libc_free;
        out->ud = NULL;
        return CI_OK;
    }
    /* Every field of the first version is required, so anything smaller is
     * a struct that was never initialised. */
    if (in->struct_size < sizeof(ci_allocator))
        return CI_ERR_STRUCT_SIZE;
    if (!in->malloc_fn || !in->realloc_fn || !in->free_fn)
        return CI_ERR_INVALID;
    out->malloc_fn = in->malloc_fn;
    out->realloc_fn = in->realloc_fn;
    out->free_fn = in->free_fn;
    out->ud = in->user_data;
    return CI_OK;
}

void *ci_calloc(const ci_alloc *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = ci_malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

ci_status ci_grow(const ci_alloc *a, void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return CI_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return CI_ERR_NOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return CI_ERR_NOMEM;
    void *nb = ci_realloc(a, *buf, ncap * elem);
    if (!nb)
        return CI_ERR_NOMEM;
    *buf = nb;
    *cap = ncap;
    return CI_OK;
}

/* Padded to max_align_t so the user's pointer stays suitably aligned. */
typedef union user_hdr {
    ci_alloc alloc;
    max_align_t align;
} user_hdr;

void *ci_user_alloc(const ci_alloc *a, size_t n)
{
    if (n > SIZE_MAX - sizeof(user_hdr))
        return NULL;
    user_hdr *h = ci_malloc(a, sizeof(user_hdr) + n);
    if (!h)
        return NULL;
    h->alloc = *a;
    return h + 1;
}

CI_API void ci_free(void *ptr)
{
    if (!ptr)
        return;
    user_hdr *h = (user_hdr *)ptr - 1;
    ci_alloc a = h->alloc;
    a.free_fn(a.ud, h);
}

void ci_alloc_public(const ci_alloc *a, ci_allocator *out)
{
    ci_allocator_init(out);
    out->malloc_fn = a->malloc_fn;
    out->realloc_fn = a->realloc_fn;
    out->free_fn = a->free_fn;
    out->user_data = a->ud;
}

ci_status ci_read_file(const ci_alloc *a, const char *path, size_t max, char **data, size_t *len,
                       ci_diag *diag)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ci_diag_set(diag, CI_ERR_IO, -1, -1, 0, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    ci_status st = CI_OK;
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                st = ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0, "%s is larger than %zu bytes", path, max);
                break;
            }
            void *b = buf;
            if ((st = ci_grow(a, &b, &cap, cap ? cap * 2 : 65536, 1)) != CI_OK)
                break;
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                st = ci_diag_set(diag, CI_ERR_IO, -1, -1, n, "read error on %s", path);
            break;
        }
    }
    fclose(f);
    if (st != CI_OK) {
        ci_dealloc(a, buf);
        return st;
    }
    *data = buf;
    *len = n;
    return CI_OK;
}
