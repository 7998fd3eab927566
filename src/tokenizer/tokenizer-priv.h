/* SPDX-License-Identifier: MIT */
/*
 * The tokenizer's state, shared by the token-at-a-time scanner
 * (tokenizer.c) and the 64-bytes-at-a-time batch path (batch.c).
 */
#ifndef CI_TOKENIZER_PRIV_H
#define CI_TOKENIZER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../common/alloc-priv.h"
#include "libci.h"
#include "normalize-priv.h"

/* What the scanner remembers between tokens.  All of it is derived from the
 * bytes alone, never from where chunks were cut. */
typedef struct scan_state {
    uint32_t prev_cp;    /* last code point consumed (' ' after separators) */
    uint8_t prev_emo;    /* previous token was an emoticon or emoji */
    uint8_t cont_kind;   /* kind of a token that was cut at MAX, or 0 */
    uint32_t cont_cp;    /* for a cut punctuation run: its character */
} scan_state;

struct ci_tokenizer {
    ci_alloc a;
    const uint8_t *chunk;
    size_t chunk_len, chunk_pos;
    uint64_t chunk_offset;     /* stream offset of chunk[0] */
    uint8_t *carry;
    size_t carry_len;
    size_t carry_from_chunk;   /* trailing carry bytes pulled from the current chunk */
    uint64_t carry_offset;     /* stream offset of carry[0] */
    uint64_t fed;              /* bytes fed so far */
    bool finished;
    scan_state st;
    ci_norm_buf nb;
    /* Normalized text of the tokens of one batch: views into the chunk
     * cannot hold lower-cased or NFKC text, and nb holds one token only.
     * Allocated by the first batch call. */
    uint8_t *arena;
    size_t arena_cap;
};

/* ci_token as the first header declared it. */
#define CI_TOKEN_V1_SIZE (offsetof(ci_token, norm_len) + sizeof(size_t))

/* ci_tokenizer_next() without the argument checks: the next token into
 * *out (struct_size already checked), or CI_MORE / CI_DONE / an error. */
ci_status ci_tok_step(ci_tokenizer *t, ci_token *out);

/* For the tests: whether the batch path's vector byte classes of
 * q[0..64) (reading q[64]) equal the portable ones. */
int ci_tok_masks_agree(const uint8_t *q);

/* Negation forms without an apostrophe, placed by a perfect hash of their
 * first 8 bytes (zero-padded, little-endian) so that a word is checked with
 * one multiply and one compare.  The same words as the scanner's list;
 * test_negation_forms checks every form, and near misses, on every path. */
#define CI_NEG_HASH_MUL UINT64_C(0x438fc2677e38b8ad)
extern const char ci_tok_neg_slot[64][9];

/* w: the lower-cased word of at most 8 bytes, zero-padded. */
static inline int ci_tok_neg_hashed(uint64_t w)
{
    uint64_t slot;
    memcpy(&slot, ci_tok_neg_slot[(w * CI_NEG_HASH_MUL) >> 58], sizeof slot);
    return slot == w && w != 0;
}

#if defined(__SSE2__)
/* x - lo < width, unsigned, per byte: SSE2 only compares signed bytes, so
 * shift the range to the bottom of the signed scale.  Bytes >= 0x80 never
 * match the ASCII ranges used here. */
static inline __m128i ci_tok_in_range(__m128i v, char lo, int width)
{
    return _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo))),
                          _mm_set1_epi8((char)(-128 + width)));
}
#endif

#endif
