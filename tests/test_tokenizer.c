/* SPDX-License-Identifier: MIT */
/* Streaming tokenizer: kinds, flags, offsets, chunking invariance, the
 * utf8proc differential, hostile input, state errors and allocation. */
#include <stdio.h>
#include <utf8proc.h>

#include "testutil.h"

#include "../src/common/utf8-priv.h"
#include "../src/tokenizer/charclass.h"
#include "../src/tokenizer/tokenizer-priv.h"

/* A token copied out of the tokenizer, so lists can be compared. */
typedef struct tk {
    int kind;
    unsigned flags;
    uint64_t offset;
    size_t length;
    char *norm;
    size_t norm_len;
} tk;

typedef struct tklist {
    tk *v;
    size_t n, cap;
} tklist;

static void tl_free(tklist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].norm);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void tl_push(tklist *l, const ci_token *t)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    tk *d = &l->v[l->n++];
    d->kind = t->kind;
    d->flags = t->flags;
    d->offset = t->offset;
    d->length = t->length;
    d->norm_len = t->norm_len;
    d->norm = malloc(t->norm_len + 1);
    assert_non_null(d->norm);
    memcpy(d->norm, t->norm, t->norm_len);
    d->norm[t->norm_len] = '\0';
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* The size of the next chunk to feed, of `left` bytes: sizes[*k] (cycled;
 * 0 means random 1..max_random), or all of it when nsizes == 0. */
static size_t next_chunk(const size_t *sizes, size_t nsizes, size_t max_random, size_t *k,
                         size_t left)
{
    if (!nsizes)
        return left;
    size_t want = sizes[(*k)++ % nsizes];
    if (want == 0)
        want = 1 + (size_t)(rnd() % max_random);
    return want < left ? want : left;
}

/* Tokenize with chunk sizes from sizes[] (cycled), or the whole text in one
 * feed when nsizes == 0.  A size of 0 means "random 1..max_random". */
static void tokenize(ci_tokenizer *tok, const char *text, size_t len, const size_t *sizes,
                     size_t nsizes, size_t max_random, tklist *out)
{
    ci_token t;
    ci_token_init(&t);
    assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
    size_t pos = 0, k = 0;
    while (pos < len) {
        size_t n = next_chunk(sizes, nsizes, max_random, &k, len - pos);
        assert_int_equal(ci_tokenizer_feed(tok, text + pos, n), CI_OK);
        pos += n;
        ci_status st;
        while ((st = ci_tokenizer_next(tok, &t)) == CI_OK)
            tl_push(out, &t);
        assert_int_equal(st, CI_MORE);
    }
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    ci_status st;
    while ((st = ci_tokenizer_next(tok, &t)) == CI_OK)
        tl_push(out, &t);
    assert_int_equal(st, CI_DONE);
    /* finished streams stay finished */
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_DONE);
}

/* Feed the whole text and finish before draining, as a host that has a
 * complete message does: the fast paths then settle the last token too
 * (tokenize() drains before finishing, which leaves it to the general path). */
static void tokenize_finished(ci_tokenizer *tok, const char *text, size_t len, tklist *out)
{
    ci_token t;
    ci_token_init(&t);
    assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
    assert_int_equal(ci_tokenizer_feed(tok, text, len), CI_OK);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    ci_status st;
    while ((st = ci_tokenizer_next(tok, &t)) == CI_OK)
        tl_push(out, &t);
    assert_int_equal(st, CI_DONE);
}

/* Keep a failing input where a person can replay it. */
static void dump_input(const char *text, size_t len)
{
    FILE *f = fopen("tokenizer_failing_input.bin", "wb");
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
}

static int same_tokens(const tklist *a, const tklist *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const tk *x = &a->v[i], *y = &b->v[i];
        if (x->kind != y->kind || x->flags != y->flags || x->offset != y->offset ||
            x->length != y->length || x->norm_len != y->norm_len ||
            memcmp(x->norm, y->norm, x->norm_len) != 0)
            return 0;
    }
    return 1;
}

static void assert_same_tokens(const tklist *a, const tklist *b, const char *text)
{
    if (a->n != b->n)
        fail_msg("token count %zu != %zu for input [%s]", a->n, b->n, text);
    for (size_t i = 0; i < a->n; i++) {
        const tk *x = &a->v[i], *y = &b->v[i];
        if (x->kind != y->kind || x->flags != y->flags || x->offset != y->offset ||
            x->length != y->length || x->norm_len != y->norm_len ||
            memcmp(x->norm, y->norm, x->norm_len) != 0)
            fail_msg("token %zu differs: [%s] kind %d/%d flags %x/%x off %llu/%llu len %zu/%zu "
                     "for input [%s]", i, x->norm, x->kind, y->kind, x->flags, y->flags,
                     (unsigned long long)x->offset, (unsigned long long)y->offset, x->length,
                     y->length, text);
    }
}

static void assert_same_tokens_n(const tklist *a, const tklist *b, const char *text, size_t len)
{
    if (!same_tokens(a, b))
        dump_input(text, len);
    assert_same_tokens(a, b, text);
}

/* Every byte is either inside exactly one token or is part of a separator
 * code point; tokens are ordered and never overlap.  This is what "never
 * loses position" means. */
static void assert_coverage(const tklist *l, const char *text, size_t len)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t pos = 0;
    for (size_t i = 0; i <= l->n; i++) {
        size_t next = i < l->n ? (size_t)l->v[i].offset : len;
        assert_true(next >= pos);
        while (pos < next) {
            uint32_t cp;
            size_t n;
            int r = ci_utf8_decode(p + pos, next - pos, &cp, &n);
            assert_int_equal(r, CI_DEC_OK); /* invalid bytes are never skipped */
            int c = ci_cc(cp);
            if (!(c == CC_WS || c == CC_ZWJ || c == CC_ZWNJ || c == CC_TAG))
                fail_msg("byte %zu (U+%04X) skipped but is not a separator in [%s]", pos,
                         (unsigned)cp, text);
            pos += n;
        }
        if (i < l->n) {
            assert_true(l->v[i].length > 0);
            assert_true(l->v[i].length <= CI_TOKEN_MAX_BYTES);
            pos += l->v[i].length;
            assert_true(pos <= len);
        }
    }
}

/* The utf8proc differential: norm is byte-identical to utf8proc_map of the
 * token's source bytes (after replacing invalid sequences). */
static void assert_utf8proc_norm(const tklist *l, const char *text)
{
    for (size_t i = 0; i < l->n; i++) {
        const tk *t = &l->v[i];
        const uint8_t *src = (const uint8_t *)text + t->offset;
        uint8_t fixed[CI_TOKEN_MAX_BYTES * 3 + 4];
        size_t flen = 0;
        for (size_t k = 0; k < t->length;) {
            uint32_t cp;
            size_t n;
            if (ci_utf8_decode(src + k, t->length - k, &cp, &n) == CI_DEC_OK) {
                memcpy(fixed + flen, src + k, n);
                flen += n;
            } else {
                flen += ci_utf8_encode(0xFFFD, fixed + flen);
            }
            k += n;
        }
        int had_bad = flen != t->length || memcmp(fixed, src, flen) != 0;
        assert_int_equal(had_bad, (t->flags & CI_TOKEN_REPLACED) != 0);
        utf8proc_uint8_t *ref = NULL;
        utf8proc_ssize_t rn = utf8proc_map(fixed, (utf8proc_ssize_t)flen, &ref,
                                           UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                               UTF8PROC_CASEFOLD);
        assert_true(rn >= 0);
        if ((size_t)rn != t->norm_len || memcmp(ref, t->norm, (size_t)rn) != 0)
            fail_msg("norm [%s] != utf8proc [%s]", t->norm, (char *)ref);
        free(ref);
    }
}

static ci_tokenizer *new_tok(void)
{
    ci_tokenizer *tok = NULL;
    assert_int_equal(ci_tokenizer_new(NULL, &tok), CI_OK);
    assert_non_null(tok);
    return tok;
}

/* ------------------------------------------------------------------------ */

typedef struct expect_tok {
    int kind;
    const char *norm;
    unsigned offset, length;
    unsigned flags;
} expect_tok;

static void check_tokens(const char *text, size_t len, const expect_tok *exp, size_t n)
{
    ci_tokenizer *tok = new_tok();
    tklist l = {0};
    tokenize(tok, text, len, NULL, 0, 0, &l);
    if (l.n != n) {
        for (size_t i = 0; i < l.n; i++)
            print_message("  got %s [%s] %llu+%zu flags %x\n", ci_token_kind_name(l.v[i].kind),
                          l.v[i].norm, (unsigned long long)l.v[i].offset, l.v[i].length,
                          l.v[i].flags);
        fail_msg("%zu tokens, expected %zu, for [%s]", l.n, n, text);
    }
    for (size_t i = 0; i < n; i++) {
        if (l.v[i].kind != exp[i].kind || strcmp(l.v[i].norm, exp[i].norm) != 0 ||
            l.v[i].offset != exp[i].offset || l.v[i].length != exp[i].length ||
            l.v[i].flags != exp[i].flags)
            fail_msg("token %zu of [%s]: got %s [%s] %llu+%zu flags %x; want %s [%s] %u+%u flags %x",
                     i, text, ci_token_kind_name(l.v[i].kind), l.v[i].norm,
                     (unsigned long long)l.v[i].offset, l.v[i].length, l.v[i].flags,
                     ci_token_kind_name(exp[i].kind), exp[i].norm, exp[i].offset, exp[i].length,
                     exp[i].flags);
    }
    assert_coverage(&l, text, len);
    assert_utf8proc_norm(&l, text);
    tklist fin = {0};
    tokenize_finished(tok, text, len, &fin);
    assert_same_tokens_n(&l, &fin, text, len);
    tl_free(&fin);
    tl_free(&l);
    ci_tokenizer_free(tok);
}

#define CHECK(text, ...)                                                    \
    do {                                                                    \
        static const expect_tok e_[] = {__VA_ARGS__};                       \
        check_tokens(text, sizeof(text) - 1, e_, sizeof e_ / sizeof e_[0]); \
    } while (0)

enum {
    W = CI_TOKEN_WORD, N = CI_TOKEN_NUMBER, P = CI_TOKEN_PUNCT, Y = CI_TOKEN_SYMBOL,
    E = CI_TOKEN_EMOJI, O = CI_TOKEN_EMOTICON, U = CI_TOKEN_URL, M = CI_TOKEN_EMAIL,
    AT = CI_TOKEN_MENTION, H = CI_TOKEN_HASHTAG,
    CAPS = CI_TOKEN_ALLCAPS, ELONG = CI_TOKEN_ELONGATED, CONTR = CI_TOKEN_CONTRACTION,
    NEG = CI_TOKEN_NEGATION, REPL = CI_TOKEN_REPLACED, SPLIT = CI_TOKEN_SPLIT,
    NA = CI_TOKEN_NONASCII,
};

static void test_words_and_flags(void **state)
{
    (void)state;
    CHECK("Hello WORLD sooo GOOOD",
          {W, "hello", 0, 5, 0}, {W, "world", 6, 5, CAPS}, {W, "sooo", 12, 4, ELONG},
          {W, "goood", 17, 5, CAPS | ELONG});
    CHECK("I don't can't won’t it's not never cannot dont nope",
          {W, "i", 0, 1, CAPS}, {W, "don't", 2, 5, CONTR | NEG}, {W, "can't", 8, 5, CONTR | NEG},
          {W, "won\xE2\x80\x99t", 14, 7, CONTR | NEG | NA}, {W, "it's", 22, 4, CONTR},
          {W, "not", 27, 3, NEG}, {W, "never", 31, 5, NEG}, {W, "cannot", 37, 6, NEG},
          {W, "dont", 44, 4, NEG}, {W, "nope", 49, 4, 0});
    CHECK("e-mail log-in covid-19 user_id 10am mp3",
          {W, "e-mail", 0, 6, 0}, {W, "log-in", 7, 6, 0}, {W, "covid-19", 14, 8, 0},
          {W, "user_id", 23, 7, 0}, {W, "10am", 31, 4, 0}, {W, "mp3", 36, 3, 0});
    /* joiners only join: trailing apostrophes and hyphens are punctuation */
    CHECK("dogs' -well- 'cause",
          {W, "dogs", 0, 4, 0}, {P, "'", 4, 1, 0}, {P, "-", 6, 1, 0}, {W, "well", 7, 4, 0},
          {P, "-", 11, 1, 0}, {P, "'", 13, 1, 0}, {W, "cause", 14, 5, 0});
    /* "aaa" counts as elongated only for letters */
    CHECK("1000 zzz", {N, "1000", 0, 4, 0}, {W, "zzz", 5, 3, ELONG});
}

static void test_negation_forms(void **state)
{
    (void)state;
    static const char *const neg[] = {
        "not", "no", "never", "cannot", "nothing", "nobody", "none", "nowhere", "neither",
        "nor", "aint", "arent", "cant", "couldnt", "darent", "didnt", "doesnt", "dont",
        "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "oughtnt", "shant",
        "shouldnt", "wasnt", "werent", "wont", "wouldnt", "NOT", "Never", "isn't", "WON'T",
        "shouldn\xE2\x80\x99t",
    };
    static const char *const not_neg[] = {
        "nope", "knot", "noo", "nots", "nobodies", "n't", "note", "snot", "on", "o", "n",
        "isnt't", "aint_", "cant-do", "don", "it's", "shouldntt",
    };
    ci_tokenizer *tok = new_tok();
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? not_neg : neg;
        size_t n = pass ? sizeof not_neg / sizeof *not_neg : sizeof neg / sizeof *neg;
        for (size_t i = 0; i < n; i++) {
            tklist l = {0};
            tokenize_finished(tok, list[i], strlen(list[i]), &l);
            assert_true(l.n >= 1);
            int is_neg = l.n == 1 && (l.v[0].flags & CI_TOKEN_NEGATION);
            if (is_neg != !pass)
                fail_msg("[%s]: negation flag %d", list[i], is_neg);
            /* whole and finished, the word takes the fast path; fed a byte
             * at a time, the general one, whose negation test is not the
             * fast path's hash */
            static const size_t one[] = {1};
            tklist l1 = {0};
            tokenize(tok, list[i], strlen(list[i]), one, 1, 0, &l1);
            int is_neg1 = l1.n == 1 && (l1.v[0].flags & CI_TOKEN_NEGATION);
            if (is_neg1 != !pass)
                fail_msg("[%s], 1-byte feed: negation flag %d", list[i], is_neg1);
            tl_free(&l1);
            tl_free(&l);
        }
    }
    ci_tokenizer_free(tok);
}

/* What the 16-byte word path and the mark path decide, next to what only
 * the general grammar may decide (the differential tests then check that
 * 1-byte feeds, which never take the fast paths, agree). */
static void test_fast_path_edges(void **state)
{
    (void)state;
    CHECK("abcdefghijklmno ABCDEFGHIJKLMNOP Nothing SHOULDNT nor nord",
          {W, "abcdefghijklmno", 0, 15, 0}, {W, "abcdefghijklmnop", 16, 16, CAPS},
          {W, "nothing", 33, 7, NEG}, {W, "shouldnt", 41, 8, CAPS | NEG}, {W, "nor", 50, 3, NEG},
          {W, "nord", 54, 4, 0});
    CHECK("(order) x (: ): y - z -5 -_- Note: #1 #Tag C#x @Bob a@b :",
          {P, "(", 0, 1, 0}, {W, "order", 1, 5, 0}, {P, ")", 6, 1, 0}, {W, "x", 8, 1, 0},
          {O, "(:", 10, 2, 0}, {O, "):", 13, 2, 0}, {W, "y", 16, 1, 0}, {P, "-", 18, 1, 0},
          {W, "z", 20, 1, 0}, {P, "-", 22, 1, 0}, {N, "5", 23, 1, 0}, {O, "-_-", 25, 3, 0},
          {W, "note", 29, 4, 0}, {P, ":", 33, 1, 0}, {P, "#", 35, 1, 0}, {N, "1", 36, 1, 0},
          {H, "#tag", 38, 4, 0}, {W, "c", 43, 1, CAPS}, {P, "#", 44, 1, 0}, {W, "x", 45, 1, 0},
          {AT, "@bob", 47, 4, 0}, {W, "a", 52, 1, 0}, {P, "@", 53, 1, 0}, {W, "b", 54, 1, 0},
          {P, ":", 56, 1, 0});
    CHECK("Mail John.Doe@Example.COM or see HTTPS://Ex.com/A?b=1, www.Test.org.",
          {W, "mail", 0, 4, 0}, {M, "john.doe@example.com", 5, 20, 0}, {W, "or", 26, 2, 0},
          {W, "see", 29, 3, 0}, {U, "https://ex.com/a?b=1", 33, 20, 0}, {P, ",", 53, 1, 0},
          {U, "www.test.org", 55, 12, 0}, {P, ".", 67, 1, 0});
    /* marks after a word that only digits or an address would continue */
    CHECK("and/or 3/4 wait... up..x@y.io $315.00/month, a,b 1,000",
          {W, "and", 0, 3, 0}, {P, "/", 3, 1, 0}, {W, "or", 4, 2, 0}, {N, "3/4", 7, 3, 0},
          {W, "wait", 11, 4, 0}, {P, "...", 15, 3, 0}, {M, "up..x@y.io", 19, 10, 0},
          {Y, "$", 30, 1, 0}, {N, "315.00", 31, 6, 0}, {P, "/", 37, 1, 0}, {W, "month", 38, 5, 0},
          {P, ",", 43, 1, 0}, {W, "a", 45, 1, 0}, {P, ",", 46, 1, 0}, {W, "b", 47, 1, 0},
          {N, "1,000", 49, 5, 0});
    /* the curly apostrophe joins letters on the fast path too */
    CHECK("I\xE2\x80\x99M sure they DON\xE2\x80\x99T dogs\xE2\x80\x99 l\xE2\x80\x99\xC3\xA9t\xC3\xA9",
          {W, "i\xE2\x80\x99m", 0, 5, CAPS | CONTR | NA}, {W, "sure", 6, 4, 0},
          {W, "they", 11, 4, 0}, {W, "don\xE2\x80\x99t", 16, 7, CAPS | CONTR | NEG | NA},
          {W, "dogs", 24, 4, 0}, {P, "\xE2\x80\x99", 28, 3, NA},
          {W, "l\xE2\x80\x99\xC3\xA9t\xC3\xA9", 32, 9, CONTR | NA});
    /* at the very end of the stream */
    CHECK("so #Fail", {W, "so", 0, 2, 0}, {H, "#fail", 3, 5, 0});
    CHECK("cc @Team_1", {W, "cc", 0, 2, 0}, {AT, "@team_1", 3, 7, 0});
}

static void test_numbers(void **state)
{
    (void)state;
    CHECK("3.14 1,000 10:30 2024-01-05 1/2 $49.99 5.",
          {N, "3.14", 0, 4, 0}, {N, "1,000", 5, 5, 0}, {N, "10:30", 11, 5, 0},
          {N, "2024-01-05", 17, 10, 0}, {N, "1/2", 28, 3, 0}, {Y, "$", 32, 1, 0},
          {N, "49.99", 33, 5, 0}, {N, "5", 39, 1, 0}, {P, ".", 40, 1, 0});
    CHECK("order #12345", {W, "order", 0, 5, 0}, {P, "#", 6, 1, 0}, {N, "12345", 7, 5, 0});
}

static void test_punct_and_symbols(void **state)
{
    (void)state;
    CHECK("Why?!?? Wait... +100%",
          {W, "why", 0, 3, 0}, {P, "?", 3, 1, 0}, {P, "!", 4, 1, 0}, {P, "??", 5, 2, 0},
          {W, "wait", 8, 4, 0}, {P, "...", 12, 3, 0}, {Y, "+", 16, 1, 0}, {N, "100", 17, 3, 0},
          {P, "%", 20, 1, 0});
    CHECK("5€ «quoted»", {N, "5", 0, 1, 0}, {Y, "€", 1, 3, NA}, {P, "«", 5, 2, NA},
          {W, "quoted", 7, 6, 0}, {P, "»", 13, 2, NA});
}

static void test_emoticons(void **state)
{
    (void)state;
    CHECK("great :-) bad :( ok;) <3 </3 :D :P -_- ^_^",
          {W, "great", 0, 5, 0}, {O, ":-)", 6, 3, 0}, {W, "bad", 10, 3, 0}, {O, ":(", 14, 2, 0},
          {W, "ok", 17, 2, 0}, {O, ";)", 19, 2, 0}, {O, "<3", 22, 2, 0}, {O, "</3", 25, 3, 0},
          {O, ":d", 29, 2, 0}, {O, ":p", 32, 2, 0}, {O, "-_-", 35, 3, 0}, {O, "^_^", 39, 3, 0});
    /* no emoticon inside words, times, ratios, or after brackets */
    CHECK("note:Desk x<30 f():",
          {W, "note", 0, 4, 0}, {P, ":", 4, 1, 0}, {W, "desk", 5, 4, 0}, {W, "x", 10, 1, 0},
          {Y, "<", 11, 1, 0}, {N, "30", 12, 2, 0}, {W, "f", 15, 1, 0}, {P, "(", 16, 1, 0},
          {P, ")", 17, 1, 0}, {P, ":", 18, 1, 0});
    CHECK("thanks:) :):( C:\\x", {W, "thanks", 0, 6, 0}, {O, ":)", 6, 2, 0}, {O, ":)", 9, 2, 0},
          {O, ":(", 11, 2, 0}, {W, "c", 14, 1, CAPS}, {P, ":", 15, 1, 0}, {P, "\\", 16, 1, 0},
          {W, "x", 17, 1, 0});
    /* an emoticon after a separator is one even when a symbol came before */
    CHECK("<\n:|", {Y, "<", 0, 1, 0}, {O, ":|", 2, 2, 0});
    /* the lists are read only for a second byte that one of them has */
    assert_true(ci_tok_emoticons_agree());
    CHECK(":$ :@ :} ;_; ^.^ >:-)", {O, ":$", 0, 2, 0}, {O, ":@", 3, 2, 0}, {O, ":}", 6, 2, 0},
          {O, ";_;", 9, 3, 0}, {O, "^.^", 13, 3, 0}, {O, ">:-)", 17, 4, 0});
}

static void test_urls_emails_mentions_hashtags(void **state)
{
    (void)state;
    CHECK("see https://Example.com/a(b)?x=1. or (www.test.org/path) http:// www.",
          {W, "see", 0, 3, 0}, {U, "https://example.com/a(b)?x=1", 4, 28, 0}, {P, ".", 32, 1, 0},
          {W, "or", 34, 2, 0}, {P, "(", 37, 1, 0}, {U, "www.test.org/path", 38, 17, 0},
          {P, ")", 55, 1, 0}, {W, "http", 57, 4, 0}, {P, ":", 61, 1, 0}, {P, "//", 62, 2, 0},
          {W, "www", 65, 3, ELONG}, {P, ".", 68, 1, 0});
    /* brackets inside the 16-byte blocks of a long URL are counted: the
     * one after the last is not the URL's */
    CHECK("(see https://en.example.org/wiki/Foo_(bar)_baz_[qux](x)) ok",
          {P, "(", 0, 1, 0}, {W, "see", 1, 3, 0},
          {U, "https://en.example.org/wiki/foo_(bar)_baz_[qux](x)", 5, 50, 0}, {P, ")", 55, 1, 0},
          {W, "ok", 57, 2, 0});
    CHECK("mail John.Doe+x@Example.co.uk. or a@b or x@y.c",
          {W, "mail", 0, 4, 0}, {M, "john.doe+x@example.co.uk", 5, 24, 0}, {P, ".", 29, 1, 0},
          {W, "or", 31, 2, 0}, {W, "a", 34, 1, 0}, {P, "@", 35, 1, 0}, {W, "b", 36, 1, 0},
          {W, "or", 38, 2, 0}, {W, "x", 41, 1, 0}, {P, "@", 42, 1, 0}, {W, "y", 43, 1, 0},
          {P, ".", 44, 1, 0}, {W, "c", 45, 1, 0});
    CHECK("@Support_Team hi #Fail #1 #_x @ #",
          {AT, "@support_team", 0, 13, 0}, {W, "hi", 14, 2, 0}, {H, "#fail", 17, 5, 0},
          {P, "#", 23, 1, 0}, {N, "1", 24, 1, 0}, {H, "#_x", 26, 3, 0}, {P, "@", 30, 1, 0},
          {P, "#", 32, 1, 0});
}

static void test_emoji(void **state)
{
    (void)state;
    CHECK("ok👍🏽👍 \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 🇫🇷🇩 1️⃣ #⃣ ❤️",
          {W, "ok", 0, 2, 0}, {E, "👍🏽", 2, 8, NA}, {E, "👍", 10, 4, NA},
          {E, "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", 15, 18, NA},
          {E, "🇫🇷", 34, 8, NA}, {E, "🇩", 42, 4, NA}, {E, "1️⃣", 47, 7, NA},
          {E, "#⃣", 55, 4, NA}, {E, "❤️", 60, 6, NA});
}

/* The code points that a token may hold and still skip utf8proc (see
 * cp_inert() in normalize.c): each maps to itself, and neither it nor the
 * start of its decomposition is anything but the first of a canonical
 * decomposition, so nothing composes with one.
 * Then tokens of such code points, with and without ASCII capitals, match
 * utf8proc as a whole. */
static void test_inert_code_points(void **state)
{
    (void)state;
    uint8_t *second = calloc(0x110000, 1);
    assert_non_null(second);
    for (utf8proc_int32_t c = 0x80; c < 0x110000; c++) {
        utf8proc_int32_t d[32];
        int last;
        utf8proc_ssize_t n = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, &last);
        assert_true(n >= 1 && n <= 32);
        for (utf8proc_ssize_t k = 1; k < n; k++)
            second[d[k]] = 1;
    }
    size_t inert = 0;
    for (uint32_t c = 0x80; c < 0x110000; c++) {
        if (c >= 0xD800 && c < 0xE000)
            continue;
        if (!ci_norm_cp_inert(c))
            continue;
        inert++;
        utf8proc_int32_t d[32];
        int last;
        utf8proc_decompose_char((utf8proc_int32_t)c, d, 32, UTF8PROC_DECOMPOSE, &last);
        if (second[c] || second[d[0]])
            fail_msg("U+%04X is inert but it, or the start of its decomposition, follows in one",
                     (unsigned)c);
        uint8_t e[4];
        size_t el = ci_utf8_encode(c, e);
        utf8proc_uint8_t *ref = NULL;
        utf8proc_ssize_t rn = utf8proc_map(e, (utf8proc_ssize_t)el, &ref,
                                           UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                               UTF8PROC_CASEFOLD);
        if (rn != (utf8proc_ssize_t)el || memcmp(ref, e, el) != 0)
            fail_msg("U+%04X is inert but utf8proc maps it", (unsigned)c);
        free(ref);
    }
    free(second);
    /* most assigned code points (CJK, emoji, lower-case letters) */
    assert_true(inert > 200000);
    assert_false(ci_norm_cp_inert(0x0301)); /* a combining mark */
    assert_false(ci_norm_cp_inert(0x00C9)); /* É decomposes and folds */
    assert_false(ci_norm_cp_inert(0x11A8)); /* a jamo that composes by rule */
    assert_false(ci_norm_cp_inert(0xAC00)); /* a syllable that decomposes by rule */
    assert_false(ci_norm_cp_inert(0xFB01)); /* ﬁ */
    assert_true(ci_norm_cp_inert(0x00E9));  /* é */
    assert_true(ci_norm_cp_inert(0x65E5));  /* 日 */
    assert_true(ci_norm_cp_inert(0x1F600)); /* 😀 */
    /* whole tokens (CHECK compares each with utf8proc): inert code points
     * with ASCII capitals, then with a combining mark, a decomposing letter
     * or conjoining jamo that utf8proc composes */
    CHECK("Caf\xC3\xA9 CAF\xC3\xA9 na\xC3\xAFve \xC3\xA9\xCC\x81t\xC3\xA9 \xC3\x89t\xC3\xA9 "
          "S\xC3\xA3o \xE1\x84\x80\xE1\x85\xA1 \xEA\xB0\x80\xE1\x86\xA8 \xF0\x9F\x98\x80",
          {W, "caf\xC3\xA9", 0, 5, NA}, {W, "caf\xC3\xA9", 6, 5, NA},
          {W, "na\xC3\xAFve", 12, 6, NA}, {W, "\xC3\xA9\xCC\x81t\xC3\xA9", 19, 7, NA},
          {W, "\xC3\xA9t\xC3\xA9", 27, 5, NA}, {W, "s\xC3\xA3o", 33, 4, NA},
          {W, "\xEA\xB0\x80", 38, 6, NA}, {W, "\xEA\xB0\x81", 45, 6, NA},
          {E, "\xF0\x9F\x98\x80", 52, 4, NA});
}

static void test_unicode_normalization(void **state)
{
    (void)state;
    /* NFKC + case folding, compatibility forms, combining sequences */
    CHECK("Café CAFE\xCC\x81 ＡＢＣ ﬁne Straße ǅ",
          {W, "café", 0, 5, NA}, {W, "café", 6, 6, CAPS | NA}, {W, "abc", 13, 9, CAPS | NA},
          {W, "fine", 23, 5, NA}, {W, "strasse", 29, 7, NA}, {W, "d\xC5\xBE", 37, 2, NA});
    /* Han and Hiragana are one token per character; Katakana stays a word */
    CHECK("日本語のテキスト", {W, "日", 0, 3, NA}, {W, "本", 3, 3, NA}, {W, "語", 6, 3, NA},
          {W, "の", 9, 3, NA}, {W, "テキスト", 12, 12, NA});
    /* non-breaking and ideographic spaces separate; zero-width space too */
    CHECK("a\xC2\xA0" "b\xE3\x80\x80" "c\xE2\x80\x8B" "d",
          {W, "a", 0, 1, 0}, {W, "b", 3, 1, 0}, {W, "c", 7, 1, 0}, {W, "d", 11, 1, 0});
}

static void test_invalid_utf8_and_nul(void **state)
{
    (void)state;
    /* Latin-1 in a UTF-8 stream: one word, replaced, exact offsets */
    CHECK("caf\xE9 ok \xFF\xFE x\xE2\x82y",
          {W, "caf\xEF\xBF\xBD", 0, 4, REPL | NA}, {W, "ok", 5, 2, 0},
          {W, "\xEF\xBF\xBD\xEF\xBF\xBD", 8, 2, REPL | NA},
          {W, "x\xEF\xBF\xBDy", 11, 4, REPL | NA});
    /* NUL and other controls separate tokens */
    CHECK("ab\0cd\x01\x7F" "ef", {W, "ab", 0, 2, 0}, {W, "cd", 3, 2, 0}, {W, "ef", 7, 2, 0});
    /* truncated sequence at the very end of the stream */
    CHECK("end\xF0\x9F\x98", {W, "end\xEF\xBF\xBD", 0, 6, REPL | NA});
    /* surrogates and overlongs */
    CHECK("\xED\xA0\x80 \xC0\xAF",
          {W, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0, 3, REPL | NA},
          {W, "\xEF\xBF\xBD\xEF\xBF\xBD", 4, 2, REPL | NA});
}

/* Long runs are cut at CI_TOKEN_MAX_BYTES on code-point boundaries, keep
 * their kind, and account for every byte. */
static void check_long(const char *unit, size_t reps, int kind, const char *prefix)
{
    size_t ul = strlen(unit), pl = strlen(prefix);
    size_t len = pl + ul * reps;
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < reps; i++)
        memcpy(s + pl + i * ul, unit, ul);
    s[len] = '\0';
    ci_tokenizer *tok = new_tok();
    tklist l = {0};
    tokenize(tok, s, len, NULL, 0, 0, &l);
    assert_true(l.n >= len / CI_TOKEN_MAX_BYTES);
    size_t total = 0;
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l.v[i].kind, kind);
        assert_true(l.v[i].flags & CI_TOKEN_SPLIT);
        assert_true(l.v[i].length <= CI_TOKEN_MAX_BYTES);
        total += l.v[i].length;
    }
    assert_int_equal(total, len);
    assert_coverage(&l, s, len);
    assert_utf8proc_norm(&l, s);
    /* and the same under chunking */
    tklist l2 = {0};
    static const size_t sizes[] = {0};
    tokenize(tok, s, len, sizes, 1, 3000, &l2);
    assert_same_tokens(&l, &l2, "long token");
    tl_free(&l);
    tl_free(&l2);
    ci_tokenizer_free(tok);
    free(s);
}

static void test_long_tokens(void **state)
{
    (void)state;
    check_long("a", 5000, CI_TOKEN_WORD, "");
    check_long("é", 3001, CI_TOKEN_WORD, "");        /* 2-byte: cut never splits one */
    check_long("ab/", 2000, CI_TOKEN_URL, "https://x.io/");
    check_long("!", 1000000, CI_TOKEN_PUNCT, "");    /* 10^6 repeated punctuation marks */
    check_long("9", 3000, CI_TOKEN_NUMBER, "");
    check_long("x", 2000, CI_TOKEN_HASHTAG, "#");
}

static void test_long_cjk_and_emoji_chain(void **state)
{
    (void)state;
    /* A ZWJ chain longer than the limit is cut into emoji tokens. */
    size_t reps = 300;
    const char *unit = "\xF0\x9F\x91\xA8\xE2\x80\x8D"; /* man + ZWJ */
    size_t len = strlen(unit) * reps + 4;
    char *s = malloc(len + 1);
    for (size_t i = 0; i < reps; i++)
        memcpy(s + i * 7, unit, 7);
    memcpy(s + reps * 7, "\xF0\x9F\x91\xA9", 4);
    s[len] = '\0';
    ci_tokenizer *tok = new_tok();
    tklist l = {0}, l2 = {0};
    tokenize(tok, s, len, NULL, 0, 0, &l);
    assert_true(l.n >= 2);
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l.v[i].kind, CI_TOKEN_EMOJI);
        assert_true(l.v[i].length <= CI_TOKEN_MAX_BYTES);
    }
    assert_true(l.v[0].flags & CI_TOKEN_SPLIT);
    assert_coverage(&l, s, len);
    static const size_t sizes[] = {1, 2, 3, 5, 7, 11};
    tokenize(tok, s, len, sizes, 6, 0, &l2);
    assert_same_tokens(&l, &l2, "emoji chain");
    tl_free(&l);
    tl_free(&l2);
    ci_tokenizer_free(tok);
    free(s);
}

/* ------------------------------------------------------------------------ */
/*  Differential tests                                                      */
/* ------------------------------------------------------------------------ */

static const char *const pieces[] = {
    "hello", "WORLD", "Sooo", " ", "  ", "\t", "\n", "\r\n", "don't", "can’t", "it's",
    ":-)", ":(", ";P", "<3", ":D", "^_^", "http://ex.com/a?b=1", "https://x.io/p(1)", "www.test.org",
    "a.b+c@mail.example.com", "@user", "#tag", "#12", "3.14", "1,000", "10:30", "2024-01-05",
    "é", "e\xCC\x81", "É", "日本", "の", "テスト", "👍", "👍🏽", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9",
    "🇫🇷", "1️⃣", "❤️", "\xFF", "\xE2\x82", "\xC3", "\xED\xA0\x80", "\0", "!!!", "...", "?", "!",
    "ﬁ", "Ａ", "ß", "ǅ", "\xC2\xA0", "\xE2\x80\x8B", "\xE2\x80\x8D", "-", "'", "_", "$", "€",
    "(", ")", ":", ".", ",", "/", "x", "9", "Ω", "ﷺ", "\xF3\xA0\x81\xA7", "\xEF\xB8\x8F",
    "\xE2\x83\xA3", "ا", "م", "\xD9\x8E", "\xE0\xA4\x95\xE0\xA5\x8D\xE0\xA4\xB7", "@", "#",
    /* the hot paths' edges: 15, 16 and 17-byte words, negation forms in any
     * case, marks that may or may not start an emoticon, hashtag or keycap */
    "abcdefghijklmno", "ABCDEFGHIJKLMNOP", "Shouldnt", "NOTHING", "nor", "Aint", "sooooooooooooooo",
    "(", "):", "(:", "C", "#x", "@u_1", "-_-", "-5", "Note:", "x@", "#_", "@_", "#1", "__",
    /* and of the URL and email path */
    "HTTP://EX.COM/X", "John.Doe@Example.COM", "www.x", "1.2@x.co", "ab'c@x.io", "e-mail@d.org",
    "hTTps://", "f@g", "w@", "Www.", "mailto:x@y.zz", "and/or", "x,y", "go...", "up..x@y.io",
    "3/", "/4", "..", ",", "DON\xE2\x80\x99T", "I\xE2\x80\x99m", "\xE2\x80\x99", "a\xE2\x80\x99",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static size_t piece_len(size_t i)
{
    /* "\0" is one byte long, not zero */
    return pieces[i][0] == '\0' ? 1 : strlen(pieces[i]);
}

static size_t random_text(char *buf, size_t cap)
{
    size_t n = 1 + (size_t)(rnd() % 40), len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(rnd() % NPIECES), pl = piece_len(k);
        if (len + pl >= cap)
            break;
        memcpy(buf + len, pieces[k], pl);
        len += pl;
    }
    buf[len] = '\0';
    return len;
}

/* tokenize(), draining with ci_tokenizer_next_batch(): `cap` tokens per
 * call in elements of `stride` bytes (>= sizeof(ci_token), as a caller
 * built against a later header has), and when finish_first the whole text
 * is fed and finished before the first call.  Every view of a batch is read
 * after the call returns, so they must all be valid at once; the bytes of an
 * element past sizeof(ci_token) must be left alone. */
static void tokenize_batch(ci_tokenizer *tok, const char *text, size_t len, const size_t *sizes,
                           size_t nsizes, size_t max_random, size_t cap, size_t stride,
                           int finish_first, tklist *out)
{
    unsigned char *mem = malloc(cap * stride);
    assert_non_null(mem);
    memset(mem, 0xAB, cap * stride);
    ci_token *first = (ci_token *)(void *)mem;
    ci_token_init(first);
    first->struct_size = stride;
    assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
    size_t pos = 0, k = 0;
    int finished = 0;
    for (;;) {
        int fed_all = pos == len;
        if (!fed_all) {
            size_t n = next_chunk(sizes, finish_first ? 0 : nsizes, max_random, &k, len - pos);
            assert_int_equal(ci_tokenizer_feed(tok, text + pos, n), CI_OK);
            pos += n;
            if (pos == len && finish_first) {
                assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
                finished = 1;
            }
        } else if (!finished) {
            assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
            finished = 1;
        }
        ci_status st;
        size_t got = 99;
        while ((st = ci_tokenizer_next_batch(tok, first, cap, &got)) == CI_OK) {
            assert_true(got >= 1 && got <= cap);
            for (size_t i = 0; i < got; i++) {
                const ci_token *t = (const ci_token *)(const void *)(mem + i * stride);
                assert_int_equal(t->struct_size, stride);
                for (size_t b = sizeof(ci_token); b < stride; b++)
                    assert_int_equal(mem[i * stride + b], 0xAB);
                tl_push(out, t);
            }
            got = 99;
        }
        assert_int_equal(got, 0);
        if (st == CI_DONE)
            break;
        assert_int_equal(st, CI_MORE);
        assert_false(finished);
    }
    size_t got = 99;
    assert_int_equal(ci_tokenizer_next_batch(tok, first, cap, &got), CI_DONE);
    assert_int_equal(got, 0);
    free(mem);
}

/* The same tokens one at a time and in batches, whatever the chunking,
 * batch size and element size. */
static void check_batches(ci_tokenizer *tok, const char *text, size_t len, const tklist *ref)
{
    static const size_t caps[] = {1, 2, 3, 7, 64, 1000};
    static const size_t one[] = {1}, rand_small[] = {0};
    size_t cap = caps[rnd() % (sizeof caps / sizeof caps[0])];
    size_t stride = sizeof(ci_token) + (rnd() % 3 == 0 ? 16 : 0);
    tklist got = {0};
    tokenize_batch(tok, text, len, NULL, 0, 0, cap, stride, 1, &got);
    assert_same_tokens_n(ref, &got, text, len);
    tl_free(&got);
    tokenize_batch(tok, text, len, NULL, 0, 0, cap, stride, 0, &got);
    assert_same_tokens_n(ref, &got, text, len);
    tl_free(&got);
    tokenize_batch(tok, text, len, one, 1, 0, cap, stride, 0, &got);
    assert_same_tokens_n(ref, &got, text, len);
    tl_free(&got);
    tokenize_batch(tok, text, len, rand_small, 1, 100, cap, stride, 0, &got);
    assert_same_tokens_n(ref, &got, text, len);
    tl_free(&got);
}

static void check_chunking(ci_tokenizer *tok, const char *text, size_t len)
{
    tklist whole = {0};
    tokenize(tok, text, len, NULL, 0, 0, &whole);
    assert_coverage(&whole, text, len);
    assert_utf8proc_norm(&whole, text);
    static const size_t one[] = {1}, rand_small[] = {0}, odd[] = {3, 1, 4, 1, 5, 9, 2, 6};
    const struct { const size_t *s; size_t n, max; } plans[] = {
        {one, 1, 0}, {rand_small, 1, 7}, {rand_small, 1, 64}, {odd, 8, 0},
    };
    for (size_t p = 0; p < sizeof plans / sizeof plans[0]; p++) {
        tklist other = {0};
        tokenize(tok, text, len, plans[p].s, plans[p].n, plans[p].max, &other);
        assert_same_tokens_n(&whole, &other, text, len);
        tl_free(&other);
    }
    tklist fin = {0};
    tokenize_finished(tok, text, len, &fin);
    assert_same_tokens_n(&whole, &fin, text, len);
    tl_free(&fin);
    check_batches(tok, text, len, &whole);
    tl_free(&whole);
}

static void test_differential_random_chunking(void **state)
{
    (void)state;
    ci_tokenizer *tok = new_tok();
    char buf[2048];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = random_text(buf, sizeof buf);
        check_chunking(tok, buf, len);
    }
    ci_tokenizer_free(tok);
}

static void test_differential_random_bytes(void **state)
{
    (void)state;
    /* Arbitrary bytes: the tokenizer must hold the same invariants. */
    ci_tokenizer *tok = new_tok();
    char buf[600];
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = (size_t)(rnd() % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = rnd();
            /* bias toward ASCII letters, separators and UTF-8 lead bytes */
            buf[i] = (char)((r & 3) == 0 ? "aZ :)@#.-'\n\xE2\xF0\x80\xC3"[(r >> 8) % 16]
                                         : (uint8_t)(r >> 16));
        }
        check_chunking(tok, buf, len);
    }
    ci_tokenizer_free(tok);
}

static void test_differential_corpus_file(void **state)
{
    (void)state;
    /* Real-world style lines kept in tests/data. */
    FILE *f = fopen(TEST_DATA_DIR "/tokenizer_corpus.txt", "rb");
    assert_non_null(f);
    char *data = malloc(1 << 20);
    size_t len = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(len > 100);
    ci_tokenizer *tok = new_tok();
    check_chunking(tok, data, len);
    /* and each line on its own */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || data[i] == '\n') {
            check_chunking(tok, data + start, i - start);
            start = i + 1;
        }
    ci_tokenizer_free(tok);
    free(data);
}

/* Tokens that the batch path decides from bit masks, slid across every
 * position of its 64-byte windows and the end of the input: the flags,
 * joiners and the byte after each token must come out as
 * ci_tokenizer_next() gives them. */
static void test_batch_window_edges(void **state)
{
    (void)state;
    static const char *const words[] = {
        "n't", "N'T", "don't", "DON'T", "Don't", "isn't", "can't", "NOT", "not", "No", "nothing",
        "notably", "sooo", "SOOO", "soOo", "aa", "zzz", "it's", "log-in", "WI-FI", "1-2",
        "3.14", "10:30", "1,000", "4/5", "a.b", "x:y", "abc...", "wait... ok", "end.", "end,",
        "x, y", "a/b", "1/b", "x-", "x'", "_x", "x_y", "$5", "$$", "+1", "a+b", "50%", "50%x",
        "!!!", "?!", "[[", "[{", "\\|", "~~", "``", "a@b.co", "C#", "#tag", "@who", ":)", "x:)",
        "http://a.b/c", "www.x.com", "caf\xC3\xA9", "don\xE2\x80\x99t", "x\x7Fy", "x\ty",
        /* a token the scanner takes, then bytes the window resumes on */
        ":)-x", ":D-_-x", ":)'s", ":(:(x", "x:)y'z", "(:x-y", "http://a.b/c)d-e", "a@b.co'x",
        "#tag-x", "@who's", "#1-2", "caf\xC3\xA9-ok", "\xE2\x9C\x85" "don't", "<3.5", ":P.5",
        "x_y-z", "_x.y", "(-)", "$5:)", "#x!!!", ":)\xC3\xA9", "#a:)#b",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi",
    };
    ci_tokenizer *tok = new_tok();
    char buf[512];
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        for (size_t shift = 0; shift < 70; shift++) {
            /* filler of words and spaces, then the token, then more text */
            size_t len = 0;
            for (size_t i = 0; i < shift; i++)
                buf[len++] = (i % 4 == 3) ? ' ' : (char)('a' + i % 26);
            if (shift)
                buf[len++] = ' ';
            size_t wl = strlen(words[w]);
            memcpy(buf + len, words[w], wl);
            len += wl;
            for (int tail = 0; tail < 2; tail++) {
                size_t n = len;
                if (tail) {
                    memcpy(buf + n, " OK then", 8);
                    n += 8;
                }
                tklist ref = {0};
                tokenize_finished(tok, buf, n, &ref);
                check_batches(tok, buf, n, &ref);
                tl_free(&ref);
            }
        }
    }
    ci_tokenizer_free(tok);
}

/* The vector byte classes of the batch path equal the portable ones. */
static void test_batch_masks(void **state)
{
    (void)state;
    uint8_t q[80];
    for (int iter = 0; iter < 20000; iter++) {
        for (size_t i = 0; i < sizeof q; i++) {
            uint64_t r = rnd();
            q[i] = (uint8_t)((r & 1) ? (uint8_t)"aZz09_'-.,:/ \n!$~@\x80\xFF"[(r >> 8) % 20] : (uint8_t)(r >> 16));
        }
        assert_true(ci_tok_masks_agree(q));
    }
}

/* ------------------------------------------------------------------------ */
/*  API contract                                                            */
/* ------------------------------------------------------------------------ */

static void test_bad_arguments_and_states(void **state)
{
    (void)state;
    assert_int_equal(ci_tokenizer_new(NULL, NULL), CI_ERR_INVALID);
    ci_allocator bad;
    ci_allocator_init(&bad);
    bad.malloc_fn = NULL;
    ci_tokenizer *tok = (ci_tokenizer *)1;
    assert_int_equal(ci_tokenizer_new(&bad, &tok), CI_ERR_INVALID);
    assert_null(tok);
    bad.struct_size = 3;
    assert_int_equal(ci_tokenizer_new(&bad, &tok), CI_ERR_INVALID);
    ci_tokenizer_free(NULL);

    tok = new_tok();
    ci_token t;
    ci_token_init(&t);
    assert_int_equal(ci_tokenizer_feed(NULL, "x", 1), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_feed(tok, NULL, 1), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_feed(tok, NULL, 0), CI_OK);
    assert_int_equal(ci_tokenizer_next(NULL, &t), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_next(tok, NULL), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_finish(NULL), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_reset(NULL), CI_ERR_INVALID);

    /* nothing fed yet: more input needed */
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_MORE);
    /* a chunk must be drained before the next feed */
    assert_int_equal(ci_tokenizer_feed(tok, "one two", 7), CI_OK);
    assert_int_equal(ci_tokenizer_feed(tok, "three", 5), CI_ERR_STATE);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_OK);
    assert_int_equal(t.length, 3);
    /* a token struct that was never initialised */
    ci_token raw;
    memset(&raw, 0, sizeof raw);
    assert_int_equal(ci_tokenizer_next(tok, &raw), CI_ERR_STRUCT_SIZE);
    /* the error consumed nothing */
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_MORE); /* "two" may continue */
    assert_int_equal(ci_tokenizer_feed(tok, "s", 1), CI_OK);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    assert_int_equal(ci_tokenizer_finish(tok), CI_ERR_STATE);
    assert_int_equal(ci_tokenizer_feed(tok, "x", 1), CI_ERR_STATE);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_OK);
    assert_int_equal(t.offset, 4);
    assert_int_equal(t.length, 4);
    assert_memory_equal(t.norm, "twos", 4);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_DONE);
    /* reset starts a new stream at offset 0 */
    assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
    assert_int_equal(ci_tokenizer_feed(tok, "  Z", 3), CI_OK);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_OK);
    assert_int_equal(t.offset, 2);
    assert_memory_equal(t.norm, "z", 1);
    ci_tokenizer_free(tok);
}

static void test_batch_arguments(void **state)
{
    (void)state;
    ci_tokenizer *tok = new_tok();
    ci_token v[4];
    ci_token_init(&v[0]);
    size_t n = 7;
    assert_int_equal(ci_tokenizer_next_batch(NULL, v, 4, &n), CI_ERR_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(ci_tokenizer_next_batch(tok, NULL, 4, &n), CI_ERR_INVALID);
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, NULL), CI_ERR_INVALID);
    n = 7;
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 0, &n), CI_ERR_INVALID);
    assert_int_equal(n, 0);
    v[0].struct_size = 0;
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_ERR_STRUCT_SIZE);
    v[0].struct_size = sizeof(ci_token) - sizeof(size_t);
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_ERR_STRUCT_SIZE);
    v[0].struct_size = sizeof(ci_token) + 1; /* elements would be misaligned */
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_ERR_STRUCT_SIZE);
    ci_token_init(&v[0]);
    /* nothing fed: more input is needed; nothing was consumed by the errors */
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_MORE);
    assert_int_equal(n, 0);
    assert_int_equal(ci_tokenizer_feed(tok, "one two three four five", 23), CI_OK);
    /* the chunk is not drained until CI_MORE */
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_OK);
    assert_int_equal(n, 4);
    assert_int_equal(ci_tokenizer_feed(tok, "x", 1), CI_ERR_STATE);
    assert_int_equal(v[3].offset, 14);
    assert_memory_equal(v[3].norm, "four", 4);
    /* "five" may still grow: it needs the next chunk or the end */
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_MORE);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].offset, 19);
    assert_int_equal(ci_tokenizer_next_batch(tok, v, 4, &n), CI_DONE);
    assert_int_equal(n, 0);
    /* mixing both calls on one stream */
    const char *text = "Mixing THE two calls works, don't you think?";
    tklist ref = {0}, mixed = {0};
    tokenize_finished(tok, text, strlen(text), &ref);
    assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
    assert_int_equal(ci_tokenizer_feed(tok, text, strlen(text)), CI_OK);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    ci_status st;
    for (int i = 0;; i++) {
        if (i % 2) {
            st = ci_tokenizer_next(tok, &v[0]);
            n = st == CI_OK;
        } else {
            st = ci_tokenizer_next_batch(tok, v, 2, &n);
        }
        if (st != CI_OK)
            break;
        for (size_t k = 0; k < n; k++)
            tl_push(&mixed, &v[k]);
    }
    assert_int_equal(st, CI_DONE);
    assert_same_tokens_n(&ref, &mixed, text, strlen(text));
    tl_free(&ref);
    tl_free(&mixed);
    ci_tokenizer_free(tok);
}

/* The first batch call allocates its scratch buffer: when that fails it
 * says so and loses nothing; after that a warm tokenizer allocates nothing. */
static void test_batch_allocation(void **state)
{
    (void)state;
    const char *text = "Ünïcödé ＴＥＸＴ with ﷺ and 日本 and ascii WORDS, a lot of them";
    size_t len = strlen(text);
    tklist ref = {0};
    ci_tokenizer *rt = new_tok();
    tokenize_finished(rt, text, len, &ref);
    ci_tokenizer_free(rt);
    for (long fail = 1; fail < 40; fail++) {
        test_alloc ta = {.fail_at = fail};
        ci_allocator a = ta_allocator(&ta);
        ci_tokenizer *tok = NULL;
        if (ci_tokenizer_new(&a, &tok) != CI_OK) {
            assert_int_equal(ta.live, 0);
            continue;
        }
        assert_int_equal(ci_tokenizer_feed(tok, text, len), CI_OK);
        assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
        ci_token v[8];
        ci_token_init(&v[0]);
        tklist got = {0};
        int nomem = 0;
        for (;;) {
            size_t n = 99;
            ci_status st = ci_tokenizer_next_batch(tok, v, 8, &n);
            if (st == CI_ERR_NOMEM) {
                assert_int_equal(n, 0);
                assert_true(++nomem < 4);
                continue; /* the failing allocation is past: retry */
            }
            if (st == CI_DONE)
                break;
            assert_int_equal(st, CI_OK);
            for (size_t k = 0; k < n; k++)
                tl_push(&got, &v[k]);
        }
        assert_same_tokens_n(&ref, &got, text, len);
        tl_free(&got);
        /* warm: the same text again allocates nothing */
        long before = ta.allocs;
        for (int pass = 0; pass < 3; pass++) {
            assert_int_equal(ci_tokenizer_reset(tok), CI_OK);
            assert_int_equal(ci_tokenizer_feed(tok, text, len), CI_OK);
            assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
            size_t n;
            while (ci_tokenizer_next_batch(tok, v, 8, &n) == CI_OK)
                ;
        }
        assert_int_equal(ta.allocs, before);
        ci_tokenizer_free(tok);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    tl_free(&ref);
}

static void test_empty_and_whitespace_streams(void **state)
{
    (void)state;
    ci_tokenizer *tok = new_tok();
    ci_token t;
    ci_token_init(&t);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_DONE);
    ci_tokenizer_reset(tok);
    assert_int_equal(ci_tokenizer_feed(tok, " \t\n\r\0 ", 6), CI_OK);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_MORE);
    assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
    assert_int_equal(ci_tokenizer_next(tok, &t), CI_DONE);
    ci_tokenizer_free(tok);
}

static void test_names(void **state)
{
    (void)state;
    for (int k = CI_TOKEN_WORD; k <= CI_TOKEN_HASHTAG; k++)
        assert_non_null(ci_token_kind_name(k));
    assert_string_equal(ci_token_kind_name(CI_TOKEN_EMOTICON), "emoticon");
    assert_null(ci_token_kind_name(0));
    assert_null(ci_token_kind_name(CI_TOKEN_HASHTAG + 1));
    for (unsigned b = 1; b <= CI_TOKEN_NONASCII; b <<= 1)
        assert_non_null(ci_token_flag_name(b));
    assert_string_equal(ci_token_flag_name(CI_TOKEN_NEGATION), "negation");
    assert_null(ci_token_flag_name(CI_TOKEN_ALLCAPS | CI_TOKEN_ELONGATED));
    assert_null(ci_token_flag_name(0));
    assert_null(ci_token_flag_name(1u << 30));
}

/* Fail each allocation in turn: creation fails cleanly, and a failure while
 * tokenizing loses nothing (the same token comes back on retry). */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *text = "Ünïcödé ＴＥＸＴ with ﷺ and 日本 and ascii WORDS";
    size_t len = strlen(text);
    tklist ref = {0};
    ci_tokenizer *rt = new_tok();
    tokenize(rt, text, len, NULL, 0, 0, &ref);
    ci_tokenizer_free(rt);

    for (long n = 1; n < 40; n++) {
        test_alloc ta = {.fail_at = n};
        ci_allocator a = ta_allocator(&ta);
        ci_tokenizer *tok = NULL;
        ci_status st = ci_tokenizer_new(&a, &tok);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(tok);
            assert_int_equal(ta.live, 0);
            continue;
        }
        ci_token t;
        ci_token_init(&t);
        assert_int_equal(ci_tokenizer_feed(tok, text, len), CI_OK);
        assert_int_equal(ci_tokenizer_finish(tok), CI_OK);
        size_t i = 0;
        int nomem = 0;
        for (;;) {
            st = ci_tokenizer_next(tok, &t);
            if (st == CI_ERR_NOMEM) {
                nomem++;
                assert_true(nomem < 3);
                continue; /* the failing allocation is past: retry */
            }
            if (st == CI_DONE)
                break;
            assert_int_equal(st, CI_OK);
            assert_true(i < ref.n);
            assert_int_equal(t.offset, ref.v[i].offset);
            assert_int_equal(t.norm_len, ref.v[i].norm_len);
            assert_memory_equal(t.norm, ref.v[i].norm, t.norm_len);
            i++;
        }
        assert_int_equal(i, ref.n);
        ci_tokenizer_free(tok);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    tl_free(&ref);
}

static void test_no_allocation_in_steady_state(void **state)
{
    (void)state;
    test_alloc ta = {0};
    ci_allocator a = ta_allocator(&ta);
    ci_tokenizer *tok = NULL;
    assert_int_equal(ci_tokenizer_new(&a, &tok), CI_OK);
    char buf[2048];
    size_t lens[50];
    char *texts[50];
    for (int i = 0; i < 50; i++) {
        lens[i] = random_text(buf, sizeof buf);
        texts[i] = malloc(lens[i] + 1);
        memcpy(texts[i], buf, lens[i] + 1);
    }
    ci_token t;
    ci_token_init(&t);
    for (int pass = 0; pass < 2; pass++) {
        long before = ta.allocs;
        size_t ntok = 0;
        for (int i = 0; i < 50; i++) {
            ci_tokenizer_reset(tok);
            ci_tokenizer_feed(tok, texts[i], lens[i]);
            ci_tokenizer_finish(tok);
            while (ci_tokenizer_next(tok, &t) == CI_OK)
                ntok++;
        }
        assert_true(ntok > 100);
        if (pass == 1)
            assert_int_equal(ta.allocs, before); /* warm: zero allocations */
    }
    for (int i = 0; i < 50; i++)
        free(texts[i]);
    ci_tokenizer_free(tok);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_and_flags),
        cmocka_unit_test(test_negation_forms),
        cmocka_unit_test(test_fast_path_edges),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_punct_and_symbols),
        cmocka_unit_test(test_emoticons),
        cmocka_unit_test(test_urls_emails_mentions_hashtags),
        cmocka_unit_test(test_emoji),
        cmocka_unit_test(test_unicode_normalization),
        cmocka_unit_test(test_inert_code_points),
        cmocka_unit_test(test_invalid_utf8_and_nul),
        cmocka_unit_test(test_long_tokens),
        cmocka_unit_test(test_long_cjk_and_emoji_chain),
        cmocka_unit_test(test_differential_random_chunking),
        cmocka_unit_test(test_differential_random_bytes),
        cmocka_unit_test(test_differential_corpus_file),
        cmocka_unit_test(test_batch_window_edges),
        cmocka_unit_test(test_batch_masks),
        cmocka_unit_test(test_bad_arguments_and_states),
        cmocka_unit_test(test_batch_arguments),
        cmocka_unit_test(test_batch_allocation),
        cmocka_unit_test(test_empty_and_whitespace_streams),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_no_allocation_in_steady_state),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, NULL, NULL);
}
