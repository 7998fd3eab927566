/* SPDX-License-Identifier: MIT */
/* Shared helpers of the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Every harness defines LLVMFuzzerTestOneInput().  Built with clang and
 * -fsanitize=fuzzer it is a libFuzzer target; built with replay.c (any
 * compiler) it is a plain program that runs the function on files, so the
 * seed corpora and the regression inputs run as ordinary tests. */
#ifndef CI_FUZZ_H
#define CI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort (a crash libFuzzer reports)
 * when it does not hold.  Never compiled out. */
#define FZ_CHECK(cond)                                                                     \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Allocation failure is not what these harnesses look for. */
#define FZ_OOM(st)                                                                         \
    do {                                                                                   \
        if ((st) == CI_ERR_NOMEM) {                                                        \
            fprintf(stderr, "%s:%d: out of memory\n", __FILE__, __LINE__);                 \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* A cursor over the fuzz input: each read takes bytes from the front, and
 * reads past the end give zeros. */
typedef struct fz {
    const uint8_t *p;
    size_t n;
} fz;

static inline uint8_t fz_u8(fz *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(fz *f)
{
    uint16_t v = fz_u8(f);
    return (uint16_t)(v | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t fz_u32(fz *f)
{
    uint32_t v = fz_u16(f);
    return v | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(fz *f)
{
    uint64_t v = fz_u32(f);
    return v | (uint64_t)fz_u32(f) << 32;
}

/* Up to want bytes (fewer at the end of the input); a view into the input. */
static inline const char *fz_bytes(fz *f, size_t want, size_t *got)
{
    if (want > f->n)
        want = f->n;
    const char *p = (const char *)f->p;
    f->p += want;
    f->n -= want;
    *got = want;
    return p;
}

/* An allocator that fills every new byte with 0xA5 (malloc, and the part a
 * realloc adds), so that reading memory the library never wrote gives the
 * same wrong answer in every build, not only where the heap is dirty. */
typedef union fz_hdr {
    size_t size;
    max_align_t align;
} fz_hdr;

static inline void *fz_poison_malloc(void *ud, size_t n)
{
    (void)ud;
    fz_hdr *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    memset(h + 1, 0xA5, n);
    return h + 1;
}

static inline void fz_poison_free(void *ud, void *p)
{
    (void)ud;
    if (p)
        free((fz_hdr *)p - 1);
}

static inline void *fz_poison_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        return fz_poison_malloc(ud, n);
    size_t old = ((fz_hdr *)p - 1)->size;
    void *q = fz_poison_malloc(ud, n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    fz_poison_free(ud, p);
    return q;
}

static inline const ci_allocator *fz_poison_alloc(void)
{
    static ci_allocator a;
    if (!a.struct_size) {
        ci_allocator_init(&a);
        a.malloc_fn = fz_poison_malloc;
        a.realloc_fn = fz_poison_realloc;
        a.free_fn = fz_poison_free;
    }
    return &a;
}

static inline ci_str fz_str(const char *s)
{
    ci_str r = {s, strlen(s)};
    return r;
}

#endif
