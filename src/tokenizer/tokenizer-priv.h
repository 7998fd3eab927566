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

/* When no byte is left to scan (nothing carried, the chunk used up): let
 * the chunk go and say whether the stream is done or needs more. */
static inline int ci_tok_drained(ci_tokenizer *t, ci_status *st)
{
    if (t->carry_len || t->chunk_pos != t->chunk_len)
        return 0;
    t->chunk = NULL;
    t->chunk_len = t->chunk_pos = 0;
    *st = t->finished ? CI_DONE : CI_MORE;
    return 1;
}

/* ci_token as the first header declared it. */
#define CI_TOKEN_V1_SIZE (offsetof(ci_token, norm_len) + sizeof(size_t))

/* What the fast paths may do with an ASCII punctuation byte, from
 * ci_tok_punct_class[]: a token of its own that is always a plain run of
 * one character (CI_PC_RUN) or a lone symbol (CI_PC_SYMBOL); CI_PC_MARK: a
 * byte that may still continue the word before it (a joiner, a number, an
 * email, a URL scheme) unless whitespace follows it. */
enum { CI_PC_RUN = 1, CI_PC_SYMBOL = 2, CI_PC_MARK = 4 };
extern const uint8_t ci_tok_punct_class[256];

/* Whether the mark p[i] (a CI_PC_MARK byte) plainly ends the
 * word before it: a separator or the end of the stream follows; or a ',' or
 * '/' that no digit follows (they join digits only, and no email or URL
 * grammar reads them after a word); or a run of dots that a separator
 * follows ("wait..."), which no joiner, email or URL continues. */
static inline int ci_tok_mark_ends_word(const uint8_t *p, size_t n, bool final, size_t i)
{
    if (i + 1 == n)
        return final;
    uint8_t c = p[i + 1];
    if (c <= 0x20)
        return 1;
    if (p[i] == ',' || p[i] == '/')
        return c < 0x80 && !(c >= '0' && c <= '9');
    if (p[i] == '.' && c == '.') {
        size_t j = i + 2;
        while (j < n && p[j] == '.')
            j++;
        return j == n ? final : p[j] <= 0x20;
    }
    return 0;
}

/* ci_tokenizer_next() without the argument checks: the next token into
 * *out (struct_size already checked), or CI_MORE / CI_DONE / an error. */
ci_status ci_tok_step(ci_tokenizer *t, ci_token *out);

/* For the tests: whether the batch path's vector byte classes of
 * q[0..64) (reading q[64]) equal the portable ones. */
int ci_tok_masks_agree(const uint8_t *q);

/* For the tests: whether each emoticon list and the string of its second
 * bytes agree, both ways. */
int ci_tok_emoticons_agree(void);

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

/* d[0..n) = p[0..n) with ASCII capitals lower-cased (case folding of
 * ASCII), 16 bytes at a time where SSE2 is there. */
static inline void ci_tok_lower_copy(uint8_t *d, const uint8_t *p, size_t n)
{
    size_t k = 0;
#if defined(__SSE2__)
    for (; k + 16 <= n; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
        __m128i up = ci_tok_in_range(v, 'A', 26);
        _mm_storeu_si128((__m128i *)(void *)(d + k),
                         _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20))));
    }
#endif
    for (; k < n; k++)
        d[k] = (uint8_t)((unsigned)(p[k] - 'A') < 26u ? p[k] | 0x20 : p[k]);
}

#endif
