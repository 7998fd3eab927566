/* SPDX-License-Identifier: MIT */
/* Internals shared by the lexicon, the VADER-compatible scorer and the
 * native scorer. */
#ifndef CI_SENTIMENT_PRIV_H
#define CI_SENTIMENT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/alloc-priv.h"
#include "../common/strmap-priv.h"
#include "../common/u64map-priv.h"
#include "libci.h"

/* Intents of the first version (see ci_intent in libci.h). */
#define CI_INTENT_COUNT_V1 6

/* What a lexicon key is, for the native scorer. */
enum {
    LEX_VALENCE = 1u << 0,   /* has a valence */
    LEX_BOOSTER = 1u << 1,   /* intensifier or dampener: scalar */
    LEX_NEGATOR = 1u << 2,   /* negates what follows */
    LEX_PREFIX = 1u << 3     /* a longer phrase starts with these words */
};

/* Words the native rules single out, by what they do (lex_value.rules). */
enum {
    RULE_BUT = 1u << 0,     /* "but", "however" */
    RULE_NEVER = 1u << 1,   /* "never" (so/this) */
    RULE_SO_THIS = 1u << 2, /* "so", "this" */
    RULE_WITHOUT = 1u << 3, /* "without" (doubt) */
    RULE_DOUBT = 1u << 4,
    RULE_LEAST = 1u << 5,   /* "least" */
    RULE_AT_VERY = 1u << 6  /* "at", "very" (least) */
};

typedef struct lex_value {
    double valence;
    float scalar;
    uint8_t flags;
    uint8_t rules;          /* RULE_*: set on the rule words, whatever the entries */
} lex_value;

/* The word "*" of intent patterns, in intent_next keys. */
#define LEX_ANY_WORD UINT32_MAX

enum { INTENT_STAR = 1, INTENT_STRONG = 2 };

/* A norm key of up to 16 bytes, zero-padded, beside its entry (see
 * ci_lexicon.words). */
typedef struct lex_word_slot {
    uint64_t k0, k1;
    uint32_t len;   /* UINT32_MAX: an empty slot */
    int32_t entry;
} lex_word_slot;

#define LEX_WORD_MAX 16

struct ci_lexicon {
    ci_alloc a;
    /* Keys exactly as loaded: what VADER's dict lookups see. */
    ci_strmap raw;
    lex_value *raw_vals;
    size_t raw_vals_cap;
    /* Keys normalized like tokens (NFKC + case folding), with phrase
     * prefixes: what the native scorer looks up. */
    ci_strmap norm;
    lex_value *norm_vals;
    size_t norm_vals_cap;
    unsigned max_phrase_words;
    /* Phrases as steps from one word to the next, so that the scorer
     * matches them on the norm entries of its tokens (one lookup per token)
     * instead of joining and hashing strings: (prefix entry + 1) << 32 |
     * next word's entry -> entry of the longer key.  Every word of a phrase
     * or an intent pattern has a norm entry (with no flags when it is in the
     * lexicon only as part of one); built by lex_index(). */
    u64map phrase_next;
    /* Per prefix entry + 1: the words phrase_next steps on from it, as bits
     * (ci_lex_may_step).  Most prefixes go on with no word of the text, and
     * a bit test says so with a branch that rarely goes the other way,
     * where a hash probe's found-or-not branches mispredict. */
    uint64_t *phrase_sig;
    /* Every norm key of up to LEX_WORD_MAX bytes again, in an open-addressing
     * table that holds the key bytes in the slot: the scorer looks up each
     * word of each text, nearly all are that short, and a probe then costs
     * two compares instead of hashing bytes and reading the key arena.
     * words_shift turns a 64-bit hash into a slot (the top bits). */
    lex_word_slot *words;
    size_t words_mask;
    unsigned words_shift;
    /* Emoji -> text description (VADER's emoji lexicon). */
    ci_strmap emoji;
    uint32_t *emoji_desc;  /* per emoji entry: offset+1 into desc arena, len */
    uint32_t *emoji_desc_len;
    size_t emoji_desc_cap;
    char *desc;
    size_t desc_len, desc_cap;
    size_t n_valence;      /* keys with a valence */
    /* Intent phrase rules: normalized pattern -> strength per intent. */
    ci_strmap intents;
    float (*intent_strength)[CI_INTENT_COUNT_V1];
    size_t intent_cap;
    unsigned max_intent_words;
    /* Intent patterns as steps: (intents entry of the prefix + 1, or 0 at
     * the start) << 32 | norm entry of the next word (LEX_ANY_WORD for "*")
     * -> intents entry of the longer pattern or prefix. */
    u64map intent_next;
    uint64_t *intent_sig;  /* per intents entry + 1 (0: the start), as phrase_sig */
    /* Per intents entry + 1 (0: the start): INTENT_STAR when a "*" step
     * leaves it, INTENT_STRONG when the entry gives some intent a strength
     * (a whole pattern, not only a prefix). */
    uint8_t *intent_bits;
    /* Per norm entry + 1 (0: a word with no entry): the first step of the
     * patterns that start with that word (intents entry + 1), or 0; the
     * most frequent step, taken without hashing. */
    uint32_t *intent_first;
};

/* The bytes of a key of at most 16 bytes as two zero-padded words, read
 * without touching a byte past s + n. */
static inline void ci_lex_key16(const char *s, size_t n, uint64_t *k0, uint64_t *k1)
{
    uint64_t a = 0, b = 0;
    if (n > 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        b >>= 8 * (16 - n);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        a = x | (uint64_t)y << (8 * (n - 4));
    } else if (n) {
        a = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[n / 2] << (8 * (n / 2)) |
            (uint64_t)(uint8_t)s[n - 1] << (8 * (n - 1));
    }
    *k0 = a;
    *k1 = b;
}

static inline uint64_t ci_lex_key_hash(uint64_t k0, uint64_t k1, size_t n)
{
    return ((k0 ^ n) * 0x9E3779B97F4A7C15ull) ^ (k1 * 0xFF51AFD7ED558CCDull);
}

/* May a step map hold the step from `from` on norm entry `word`?  0 means
 * surely not; 1 means look it up.  sig is phrase_sig or intent_sig. */
static inline unsigned ci_lex_sig_bit(uint32_t word)
{
    return (uint32_t)(word * 0x9E3779B9u) >> 26;
}

static inline int ci_lex_may_step(const uint64_t *sig, uint32_t from, uint32_t word)
{
    return (int)(sig[from] >> ci_lex_sig_bit(word) & 1);
}

/* The norm entry of key s[0..n), or -1. */
static inline long ci_lex_word(const ci_lexicon *lex, const char *s, size_t n)
{
    if (n > LEX_WORD_MAX)
        return ci_strmap_find(&lex->norm, s, n);
    uint64_t k0, k1;
    ci_lex_key16(s, n, &k0, &k1);
    for (size_t i = (size_t)(ci_lex_key_hash(k0, k1, n) >> lex->words_shift);;
         i = (i + 1) & lex->words_mask) {
        const lex_word_slot *sl = &lex->words[i];
        if (sl->k0 == k0 && sl->k1 == k1 && sl->len == n)
            return sl->entry;
        if (sl->len == UINT32_MAX)
            return -1;
    }
}

int ci_lexicon_raw_valence(const ci_lexicon *lex, const char *key, size_t len, double *v);
const char *ci_lexicon_emoji(const ci_lexicon *lex, const char *key, size_t len, size_t *dlen);
const lex_value *ci_lexicon_norm(const ci_lexicon *lex, const char *key, size_t len);

/* VADER-compatible scoring ------------------------------------------------ */

typedef struct ci_vader_scores {
    double compound, pos, neu, neg;
} ci_vader_scores;

struct vword;
/* Where a run of the working text came from in the caller's text. */
typedef struct vseg {
    uint32_t out, src, src_len;
    uint8_t whole;  /* 1: the run stands for src as a whole (emoji description, U+FFFD) */
} vseg;

typedef struct ci_vader_scratch {
    char *text;
    size_t text_len, text_cap;
    vseg *segs;
    size_t nsegs, segs_cap;
    char *lower;
    size_t lower_len, lower_cap;
    struct vword *words;
    size_t nwords, words_cap;
    double *sent;
    size_t sent_cap;
    /* VADER's rule words (boosters, negations) in a hash, built on first
     * use: one lookup per word instead of two binary searches. */
    ci_strmap rules;
    double *rule_booster;
    uint8_t *rule_negated;
    int rules_ready;
} ci_vader_scratch;

ci_status ci_vader_score(ci_vader_scratch *vs, const ci_alloc *a, const ci_lexicon *lex,
                         const char *text, size_t len, ci_vader_scores *out);

/* The last step of both scorers, VADER's: given the sum of the valences,
 * the sifted totals (pos: sum of v + 1 over v > 0; neg: of v - 1 over
 * v < 0; neu: count of v == 0) and the counts of '!' and '?', apply the
 * punctuation emphasis, normalize the compound (x / sqrt(x^2 + 15)) and
 * compute the proportions.  Callers with no valence at all report zeros
 * without calling it. */
void ci_valence_scores(double sum, double pos, double neg, double neu, size_t ep, size_t qm,
                       ci_vader_scores *out);

/* After ci_vader_score(): word k's lexicon term and valences, and its span
 * in the caller's text.  Returns 0 when word k is not a lexicon term. */
int ci_vader_word(const ci_vader_scratch *vs, size_t k, const char **term, size_t *term_len,
                  double *base, double *valence, uint64_t *src_off, size_t *src_len);
void ci_vader_scratch_free(ci_vader_scratch *vs, const ci_alloc *a);

#endif
