/* SPDX-License-Identifier: MIT */
/* Bit helpers shared by the tokenizer's masks and the analyzer's flags and sums. */
#ifndef CI_BITS_PRIV_H
#define CI_BITS_PRIV_H

#include <stdint.h>

/* Index of the lowest set bit; x must not be 0. */
static inline unsigned ci_ctz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* Leading zero bits (63 minus the index of the highest set bit); x must not be 0. */
static inline unsigned ci_clz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_clzll(x);
#else
    unsigned n = 0;
    while (!(x >> 63)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

#endif
