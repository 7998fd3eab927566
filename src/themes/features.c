/* SPDX-License-Identifier: MIT */
/* Features for theme discovery: what a text is about, not how it is said. */
#include <string.h>

#include "themes-priv.h"

#ifdef CI_HAVE_STEMMER
#include <libstemmer.h>
#endif

CI_API int ci_themes_have_stemmer(void)
{
#ifdef CI_HAVE_STEMMER
    return 1;
#else
    return 0;
#endif
}

/* English function words, sorted.  Negations are kept out on purpose: "not
 * working" and "working" are different themes. */
static const char *const stop_words[] = {
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each", "else",
    "even", "ever", "every", "few", "for", "from", "further", "get", "got", "had", "has", "have",
    "having", "he", "her", "here", "hers", "herself", "hi", "him", "himself", "his", "how",
    "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "it", "it's", "its", "itself",
    "just", "let", "me", "might", "more", "most", "much", "must", "my", "myself", "now", "of",
    "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
    "please", "same", "shall", "she", "should", "so", "some", "such", "than", "that", "that's",
    "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was", "we",
    "were", "what", "what's", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "you're", "your", "yours", "yourself", "yourselves",
};

enum { N_STOP = sizeof stop_words / sizeof stop_words[0] };
_Static_assert(N_STOP <= 256, "stop_len and the uint8 lengths hold at most 256 stop words");

/* The stop words by first byte (the list is sorted, so each first byte's
 * words are a run of it): stop_start[c] .. stop_start[c + 1]. */
static void stop_index(ci_featurizer *f)
{
    for (size_t i = 0; i < N_STOP; i++) {
        f->stop_start[(unsigned char)stop_words[i][0] + 1]++;
        f->stop_len[i] = (uint8_t)strlen(stop_words[i]);
    }
    for (size_t c = 0; c < 256; c++)
        f->stop_start[c + 1] += f->stop_start[c];
}

static int is_stop(const ci_featurizer *f, const char *w, size_t n)
{
    unsigned c = (unsigned char)w[0];
    for (size_t i = f->stop_start[c]; i < f->stop_start[c + 1]; i++)
        if (f->stop_len[i] == n && memcmp(stop_words[i], w, n) == 0)
            return 1;
    return 0;
}

ci_status ci_featurizer_init(ci_featurizer *f, const ci_alloc *a, int stem, int bigrams)
{
    memset(f, 0, sizeof *f);
    f->a = *a;
    f->bigrams = bigrams;
    ci_strmap_init(&f->stem_map, a);
    stop_index(f);
    ci_allocator pub;
    ci_alloc_public(a, &pub);
    ci_status st = ci_tokenizer_new(&pub, &f->tok);
    if (st != CI_OK)
        return st;
#ifdef CI_HAVE_STEMMER
    /* libstemmer allocates with malloc (it has no allocator hook); only
     * here and when a word outgrows its buffer. */
    if (stem) {
        f->stemmer = sb_stemmer_new("english", "UTF_8");
        if (!f->stemmer) {
            ci_tokenizer_free(f->tok);
            f->tok = NULL;
            return CI_ERR_NOMEM;
        }
    }
#else
    (void)stem;
#endif
    return CI_OK;
}

void ci_featurizer_free(ci_featurizer *f)
{
    ci_tokenizer_free(f->tok);
#ifdef CI_HAVE_STEMMER
    if (f->stemmer)
        sb_stemmer_delete(f->stemmer);
#endif
    ci_dealloc(&f->a, f->buf);
    ci_dealloc(&f->a, f->off);
    ci_dealloc(&f->a, f->len);
    ci_dealloc(&f->a, f->soff);
    ci_dealloc(&f->a, f->slen);
    ci_dealloc(&f->a, f->surface);
    ci_strmap_free(&f->stem_map);
    ci_dealloc(&f->a, f->stem);
    ci_dealloc(&f->a, f->stem_buf);
    memset(f, 0, sizeof *f);
}

static ci_status push(ci_featurizer *f, const char *s, size_t n, const char *surf, size_t sn)
{
    ci_status st;
    if (f->n + 1 > f->cap) {
        size_t cap = f->cap;
        if ((st = ci_grow(&f->a, (void **)&f->off, &cap, f->n + 1, sizeof *f->off)) != CI_OK)
            return st;
        cap = f->cap;
        if ((st = ci_grow(&f->a, (void **)&f->len, &cap, f->n + 1, sizeof *f->len)) != CI_OK)
            return st;
        cap = f->cap;
        if ((st = ci_grow(&f->a, (void **)&f->soff, &cap, f->n + 1, sizeof *f->soff)) != CI_OK)
            return st;
        cap = f->cap;
        if ((st = ci_grow(&f->a, (void **)&f->slen, &cap, f->n + 1, sizeof *f->slen)) != CI_OK)
            return st;
        f->cap = cap;
    }
    if ((st = ci_grow(&f->a, (void **)&f->buf, &f->buf_cap, f->buf_len + n + 1, 1)) != CI_OK ||
        (st = ci_grow(&f->a, (void **)&f->surface, &f->surface_cap, f->surface_len + sn + 1, 1)) != CI_OK)
        return st;
    f->off[f->n] = (uint32_t)f->buf_len;
    f->len[f->n] = (uint32_t)n;
    memcpy(f->buf + f->buf_len, s, n);
    f->buf_len += n;
    f->buf[f->buf_len++] = '\0';
    f->soff[f->n] = (uint32_t)f->surface_len;
    f->slen[f->n] = (uint32_t)sn;
    memcpy(f->surface + f->surface_len, surf, sn);
    f->surface_len += sn;
    f->n++;
    return CI_OK;
}

#ifdef CI_HAVE_STEMMER
/* The stem of w[0..n): from the cache, or from Snowball and then cached.
 * A cache that cannot grow fails the call like any other allocation (the
 * caller can retry; nothing half-added stays). */
static ci_status stem_word(ci_featurizer *f, const char *w, size_t n, const char **out,
                           size_t *out_len)
{
    long i = ci_strmap_find(&f->stem_map, w, n);
    if (i >= 0) {
        *out = f->stem_buf + f->stem[i].off;
        *out_len = f->stem[i].len;
        return CI_OK;
    }
    const sb_symbol *r = sb_stemmer_stem(f->stemmer, (const sb_symbol *)w, (int)n);
    if (!r)
        return CI_ERR_NOMEM;
    size_t rl = (size_t)sb_stemmer_length(f->stemmer);
    *out = (const char *)r;
    *out_len = rl;
    if (f->stem_map.count >= CI_STEM_CACHE_WORDS) {
        ci_strmap_clear(&f->stem_map);
        f->stem_buf_len = 0;
    }
    ci_status st;
    if ((st = ci_grow(&f->a, (void **)&f->stem, &f->stem_cap, f->stem_map.count + 1, sizeof *f->stem)) != CI_OK)
        return st;
    if ((st = ci_grow(&f->a, (void **)&f->stem_buf, &f->stem_buf_cap, f->stem_buf_len + rl + 1, 1)) != CI_OK)
        return st;
    size_t idx;
    int added;
    if ((st = ci_strmap_put(&f->stem_map, w, n, &idx, &added)) != CI_OK)
        return st;
    memcpy(f->stem_buf + f->stem_buf_len, r, rl);
    f->stem[idx].off = (uint32_t)f->stem_buf_len;
    f->stem[idx].len = (uint32_t)rl;
    f->stem_buf_len += rl;
    return CI_OK;
}
#endif

static int has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return 1;
    return 0;
}

/* Tokens taken from the tokenizer per call. */
#define TOKEN_BATCH 64

ci_status ci_featurize(ci_featurizer *f, const char *text, size_t len)
{
    ci_status st;
    f->n = f->buf_len = f->surface_len = 0;
    ci_tokenizer_reset(f->tok);
    if ((st = ci_tokenizer_feed(f->tok, text, len)) != CI_OK ||
        (st = ci_tokenizer_finish(f->tok)) != CI_OK)
        return st;
    ci_token tb[TOKEN_BATCH];
    ci_token_init(&tb[0]);
    size_t nb;
    while ((st = ci_tokenizer_next_batch(f->tok, tb, TOKEN_BATCH, &nb)) == CI_OK) {
        for (size_t ti = 0; ti < nb; ti++) {
            const ci_token *t = &tb[ti];
            const char *w = t->norm;
            size_t n = t->norm_len;
            switch (t->kind) {
            case CI_TOKEN_PUNCT:
            case CI_TOKEN_SYMBOL:
                continue;
            case CI_TOKEN_NUMBER:
                st = push(f, "<num>", 5, w, n);
                break;
            case CI_TOKEN_URL:
                st = push(f, "<url>", 5, w, n);
                break;
            case CI_TOKEN_EMAIL:
                st = push(f, "<email>", 7, w, n);
                break;
            case CI_TOKEN_MENTION:
                st = push(f, "<user>", 6, w, n);
                break;
            case CI_TOKEN_EMOJI:
            case CI_TOKEN_EMOTICON:
                st = push(f, w, n, w, n);
                break;
            case CI_TOKEN_HASHTAG:
                w++;
                n--;
                /* fall through */
            default:
                if (t->flags & CI_TOKEN_REPLACED)
                    continue; /* invalid bytes say nothing about the theme */
                if (t->flags & CI_TOKEN_NEGATION) {
                    /* "can't", "doesnt" and "not" are the same signal */
                    st = push(f, "not", 3, w, n);
                    break;
                }
                if (n < 2 || is_stop(f, w, n))
                    continue;
                if (has_digit(w, n)) {
                    /* order numbers, reference codes: one placeholder */
                    st = push(f, "<id>", 4, w, n);
                    break;
                }
    #ifdef CI_HAVE_STEMMER
                if (f->stemmer) {
                    const char *stem;
                    size_t sl;
                    if ((st = stem_word(f, w, n, &stem, &sl)) != CI_OK)
                        return st;
                    st = push(f, stem, sl, w, n);
                    break;
                }
    #endif
                st = push(f, w, n, w, n);
                break;
            }
            if (st != CI_OK)
                return st;
        }
    }
    if (st != CI_DONE)
        return st;
    if (f->bigrams) {
        /* pairs of consecutive features, after the words themselves */
        size_t words = f->n;
        for (size_t i = 0; i + 1 < words; i++) {
            char pair[600];
            size_t l1 = f->len[i], l2 = f->len[i + 1];
            if (l1 + l2 + 1 > sizeof pair)
                continue;
            memcpy(pair, f->buf + f->off[i], l1);
            pair[l1] = ' ';
            memcpy(pair + l1 + 1, f->buf + f->off[i + 1], l2);
            /* the surface of a pair is its first word's (copied: push may
             * move the surface buffer); labels build their own pairs */
            char surf[600];
            size_t sl = f->slen[i] < sizeof surf ? f->slen[i] : sizeof surf;
            memcpy(surf, f->surface + f->soff[i], sl);
            if ((st = push(f, pair, l1 + 1 + l2, surf, sl)) != CI_OK)
                return st;
        }
    }
    return CI_OK;
}

void ci_csr_free(ci_csr *m, const ci_alloc *a)
{
    ci_dealloc(a, m->row);
    ci_dealloc(a, m->col);
    ci_dealloc(a, m->val);
    memset(m, 0, sizeof *m);
}
