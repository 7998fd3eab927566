/* SPDX-License-Identifier: MIT */
/*
 * Out of memory, SQLite-style, for every public operation that allocates.
 *
 * For N = 1, 2, ... the Nth allocation of the operation fails, until the
 * operation runs with no failure injected.  Every operation is run this way
 * twice: with the test allocator of testutil.h, which fails that one call
 * only (later calls succeed again, so a fallback can recover), and with a
 * "sticky" variant that fails every call from the Nth on (memory stays
 * exhausted, so the failure must surface).  Each time:
 *  - the status is CI_ERR_NOMEM (or CI_OK when libci recovered from the
 *    failed allocation by itself);
 *  - the object is still usable: the operation is retried without a
 *    failure and its result is compared with a reference computed with
 *    plain malloc;
 *  - everything is freed: the allocator's live block count returns to 0,
 *    and LeakSanitizer (tools/test.sh runs this in the ASan build) checks
 *    memory allocated outside the allocator.
 * Operations made of steps (feeding a stream, adding signals) retry the
 * failed step in place and compare the whole outcome at the end.
 *
 * Inputs are kept small: every operation runs once per allocation it makes.
 */
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

static ci_str S(const char *s) { ci_str r = {s, strlen(s)}; return r; }

/* ------------------------------------------------------------------------ */
/*  The driver                                                              */
/* ------------------------------------------------------------------------ */

typedef struct oom {
    test_alloc ta;
    ci_allocator a;
    long nomem;     /* failures reported (and retried) inside a run */
} oom;

/* The sticky variant of testutil.h's allocator: every call from fail_at on
 * fails. */
static void *sticky_malloc(void *ud, size_t n)
{
    test_alloc *t = ud;
    if (t->fail_at && t->allocs + 1 > t->fail_at) {
        t->allocs++;
        t->failed = 1;
        return NULL;
    }
    return ta_malloc(ud, n);
}

static void *sticky_realloc(void *ud, void *ptr, size_t n)
{
    test_alloc *t = ud;
    if (t->fail_at && t->allocs + 1 > t->fail_at) {
        t->allocs++;
        t->failed = 1;
        return NULL;
    }
    return ta_realloc(ud, ptr, n);
}

typedef struct oom_case {
    const char *name;
    void (*setup)(oom *o);        /* builds what the operation needs; nothing injected */
    ci_status (*run)(oom *o);     /* the operation; a failure leaves things unchanged */
    void (*unchanged)(oom *o);    /* optional: after a failed run, the state is as before */
    void (*check)(oom *o);        /* after a successful run: the reference result */
    void (*teardown)(oom *o);     /* frees everything */
} oom_case;

/* A step of a multi-step run failed: it must be the injected failure; stop
 * injecting so that the retry succeeds. */
static void step_failed(oom *o, ci_status st)
{
    if (st != CI_ERR_NOMEM || !o->ta.failed) {
        printf("# step failed with %s (injected: %d)\n", ci_status_string(st), o->ta.failed);
        fail();
    }
    o->nomem++;
    o->ta.fail_at = 0;
}

static void run_oom_mode(const oom_case *c, int sticky)
{
    long n, nomem = 0, recovered = 0;
    for (n = 1;; n++) {
        oom o;
        memset(&o, 0, sizeof o);
        o.a = ta_allocator(&o.ta);
        if (sticky) {
            o.a.malloc_fn = sticky_malloc;
            o.a.realloc_fn = sticky_realloc;
        }
        if (c->setup)
            c->setup(&o);
        o.ta.fail_at = o.ta.allocs + n;
        o.ta.failed = 0;
        ci_status st = c->run(&o);
        int injected = o.ta.failed;
        o.ta.fail_at = 0;
        if (st != CI_OK) {
            if (st != CI_ERR_NOMEM || !injected) {
                printf("# %s: allocation %ld: %s (injected: %d)\n", c->name, n,
                       ci_status_string(st), injected);
                fail();
            }
            nomem++;
            if (c->unchanged)
                c->unchanged(&o);
            st = c->run(&o);
            if (st != CI_OK) {
                printf("# %s: allocation %ld failed, then the retry: %s\n", c->name, n,
                       ci_status_string(st));
                fail();
            }
        } else if (injected) {
            nomem += o.nomem;
            recovered += o.nomem == 0;
        }
        c->check(&o);
        c->teardown(&o);
        if (o.ta.live != 0) {
            printf("# %s: allocation %ld failed: %ld blocks leaked\n", c->name, n, o.ta.live);
            fail();
        }
        if (!injected)
            break;
    }
    printf("# %s%s: %ld allocations failed in turn, %ld reported CI_ERR_NOMEM, %ld absorbed\n",
           c->name, sticky ? " (sticky)" : "", n - 1, nomem, recovered);
    /* every operation listed here allocates */
    assert_true(n > 1);
    assert_true(nomem > 0);
    if (sticky) /* memory stays exhausted: nothing can recover */
        assert_int_equal(recovered, 0);
}

static void run_oom(const oom_case *c)
{
    run_oom_mode(c, 0);
    run_oom_mode(c, 1);
}

/* ------------------------------------------------------------------------ */
/*  Shared inputs and references                                            */
/* ------------------------------------------------------------------------ */

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *const topic_a[] = {
    "my new card has not arrived", "I was charged twice for my order",
    "cannot log in, the password reset link never arrives", "still waiting for my refund",
    "the app crashes every time I open it", "the exchange rate on my transfer is terrible",
};
static const char *const topic_b[] = {
    "the replacement card never came in the post", "a duplicate charge on one purchase",
    "locked out of my account, reset email never comes", "please refund my money for the returned item",
    "the app keeps freezing after the update", "the currency conversion fee costs too much",
};
static const char *const moods[] = {
    "", "Great support, thanks! ", "This is ridiculous!!! ", "I want to cancel my subscription, ",
    "Urgent: ", "I don't understand, ", "WORST SERVICE EVER. ", "\xF0\x9F\x98\xA1 ",
};

#define NTEXTS 36
static char texts[NTEXTS][160];

static void make_texts(void)
{
    for (size_t i = 0; i < NTEXTS; i++) {
        uint64_t g = i * 7919 + 3;
        size_t t = i % 6;
        snprintf(texts[i], sizeof texts[i], "%s%s%s", moods[mix(&g) % 8],
                 mix(&g) % 2 ? topic_a[t] : topic_b[t], i % 5 == 0 ? " \xC3\xA9t\xC3\xA9 \xFF" : "");
    }
}

/* A text that makes the tokenizer and scorers grow every buffer: sentences,
 * emoji, capitals, non-ASCII, invalid UTF-8, a token longer than
 * CI_TOKEN_MAX_BYTES, intents and boosters. */
static char long_text[4096];
static size_t long_len;

static void make_long_text(void)
{
    const char *parts[] = {
        "I am REALLY not happy :( ", "The app is great!!! ", "Ça ne marche pas, très MAUVAIS. ",
        "\xF0\x9F\x98\xA1\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD ", "Please cancel my subscription asap. ",
        "I don't understand how to reset my password?? ", "bad \xFF\xFE bytes ",
        "had to call three times, still waiting. ", "Thanks so much, you are the best :) ",
        "ＦＵＬＬＷＩＤＴＨ ﬁne ",
    };
    size_t o = 0;
    for (size_t r = 0; r < 3; r++)
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            size_t l = strlen(parts[k]);
            memcpy(long_text + o, parts[k], l);
            o += l;
        }
    /* one 1500-byte word of non-ASCII letters: split, normalized */
    for (size_t k = 0; k < 750; k++) {
        long_text[o++] = (char)0xC3;
        long_text[o++] = (char)(k % 2 ? 0x89 : 0xA9);
    }
    memcpy(long_text + o, " the end.", 9);
    o += 9;
    long_len = o;
}

static ci_lexicon *lexicon;      /* builtin, plain malloc */
static ci_theme_model *model;    /* fitted from texts, plain malloc */
static char *model_ref;          /* model saved */
static size_t model_ref_len;

static ci_theme_options theme_opts(unsigned k)
{
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = k;
    o.seed = 5;
    o.neighbors = 4;
    o.dims = 8;
    return o;
}

static int same_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

static void assert_same_model(const ci_theme_model *m, const char *ref, size_t ref_len)
{
    char *b = NULL;
    size_t n = 0;
    assert_int_equal(ci_theme_model_save(m, &b, &n), CI_OK);
    assert_true(same_bytes(b, n, ref, ref_len));
    ci_free(b);
}

/* ------------------------------------------------------------------------ */
/*  Tokenizer                                                               */
/* ------------------------------------------------------------------------ */

typedef struct tok_rec {
    int kind;
    unsigned flags;
    uint64_t offset;
    size_t length;
    char norm[2048];
    size_t norm_len;
} tok_rec;

#define MAX_TOKS 512
static tok_rec tok_ref[MAX_TOKS], tok_got[MAX_TOKS];
static size_t ntok_ref, ntok_got;
static ci_tokenizer *tok;

/* Feed long_text in 5-byte chunks; a NOMEM from next is retried (the token
 * is not lost).  Records the tokens in out. */
static ci_status tokenize_all(oom *o, ci_tokenizer *t, tok_rec *out, size_t *n)
{
    *n = 0;
    ci_token k;
    ci_token_init(&k);
    size_t pos = 0;
    assert_int_equal(ci_tokenizer_reset(t), CI_OK);
    for (;;) {
        ci_status st;
        if (pos < long_len) {
            size_t c = long_len - pos < 5 ? long_len - pos : 5;
            long before = o ? o->ta.allocs : 0;
            assert_int_equal(ci_tokenizer_feed(t, long_text + pos, c), CI_OK);
            if (o)
                assert_int_equal(o->ta.allocs, before); /* feeding allocates nothing */
            pos += c;
        } else {
            assert_int_equal(ci_tokenizer_finish(t), CI_OK);
        }
        for (;;) {
            st = ci_tokenizer_next(t, &k);
            if (st == CI_ERR_NOMEM && o) {
                step_failed(o, st);
                continue;
            }
            if (st != CI_OK)
                break;
            assert_true(*n < MAX_TOKS);
            tok_rec *r = &out[(*n)++];
            r->kind = k.kind;
            r->flags = k.flags;
            r->offset = k.offset;
            r->length = k.length;
            assert_true(k.norm_len <= sizeof r->norm);
            memcpy(r->norm, k.norm, k.norm_len);
            r->norm_len = k.norm_len;
        }
        if (st == CI_DONE)
            return CI_OK;
        if (st != CI_MORE)
            return st;
    }
}

static void check_tokens(void)
{
    assert_int_equal(ntok_got, ntok_ref);
    for (size_t i = 0; i < ntok_ref; i++) {
        assert_int_equal(tok_got[i].kind, tok_ref[i].kind);
        assert_int_equal(tok_got[i].flags, tok_ref[i].flags);
        assert_int_equal(tok_got[i].offset, tok_ref[i].offset);
        assert_int_equal(tok_got[i].length, tok_ref[i].length);
        assert_int_equal(tok_got[i].norm_len, tok_ref[i].norm_len);
        assert_memory_equal(tok_got[i].norm, tok_ref[i].norm, tok_ref[i].norm_len);
    }
}

static ci_status tok_new_run(oom *o)
{
    ci_status st = ci_tokenizer_new(&o->a, &tok);
    if (st != CI_OK)
        assert_null(tok);
    return st;
}

static void tok_check(oom *o)
{
    (void)o;
    assert_int_equal(tokenize_all(NULL, tok, tok_got, &ntok_got), CI_OK);
    check_tokens();
}

static void tok_free(oom *o)
{
    (void)o;
    ci_tokenizer_free(tok);
    tok = NULL;
}

static void tok_setup(oom *o)
{
    assert_int_equal(ci_tokenizer_new(&o->a, &tok), CI_OK);
}

static ci_status tok_stream_run(oom *o)
{
    return tokenize_all(o, tok, tok_got, &ntok_got);
}

static void tok_stream_check(oom *o)
{
    (void)o;
    check_tokens();
    /* and the tokenizer goes on working */
    assert_int_equal(tokenize_all(NULL, tok, tok_got, &ntok_got), CI_OK);
    check_tokens();
}

static void test_tokenizer(void **state)
{
    (void)state;
    ci_tokenizer *t;
    assert_int_equal(ci_tokenizer_new(NULL, &t), CI_OK);
    assert_int_equal(tokenize_all(NULL, t, tok_ref, &ntok_ref), CI_OK);
    ci_tokenizer_free(t);
    assert_true(ntok_ref > 50);
    const oom_case c1 = {"ci_tokenizer_new", NULL, tok_new_run, NULL, tok_check, tok_free};
    run_oom(&c1);
    const oom_case c2 = {"ci_tokenizer_feed/next", tok_setup, tok_stream_run, NULL,
                         tok_stream_check, tok_free};
    run_oom(&c2);
}

/* ------------------------------------------------------------------------ */
/*  Normalize                                                               */
/* ------------------------------------------------------------------------ */

static char *norm_ref, *norm_got;
static size_t norm_ref_len, norm_got_len;

static ci_status norm_run(oom *o)
{
    ci_status st = ci_normalize(long_text, long_len, &o->a, &norm_got, &norm_got_len);
    if (st != CI_OK)
        assert_null(norm_got);
    return st;
}

static void norm_check(oom *o)
{
    (void)o;
    assert_true(same_bytes(norm_got, norm_got_len, norm_ref, norm_ref_len));
}

static void norm_free(oom *o)
{
    (void)o;
    ci_free(norm_got);
    norm_got = NULL;
}

static void test_normalize(void **state)
{
    (void)state;
    assert_int_equal(ci_normalize(long_text, long_len, NULL, &norm_ref, &norm_ref_len), CI_OK);
    const oom_case c = {"ci_normalize", NULL, norm_run, NULL, norm_check, norm_free};
    run_oom(&c);
    ci_free(norm_ref);
}

/* ------------------------------------------------------------------------ */
/*  Lexicons                                                                */
/* ------------------------------------------------------------------------ */

static const char simple_lex[] =
    "# a small lexicon\n"
    "zorgful\t-2.5\n"
    "blissy\t3.1\n"
    "not so bad\t1.2\n"
    "GRÜN\t1.0\n"
    ":-/\t-0.8\n"
    "@booster\tmegaly\t0.4\n"
    "@dampener\tsomewhatish\t-0.3\n"
    "@negator\tnaw\n"
    "great\t-1.0\n";
static const char vader_lex[] = "zorgful\t-2.5\t0.5\t[-2, -3]\nblissy\t3.1\t0.3\t[3, 3]\n:-/\t-0.8\t0.4\t[-1]\n";
static const char emoji_lex[] = "\xF0\x9F\x98\xA1\tpouting face\n\xE2\x9D\xA4\tred heart\n";
static const char *const probe_terms[] = {"zorgful", "blissy", "not so bad", "grün", "GREAT",
                                          "terrible", "good", "love"};
#define NPROBES (sizeof probe_terms / sizeof probe_terms[0])

typedef struct lex_ref {
    size_t size;
    ci_status st[NPROBES];
    double v[NPROBES];
} lex_ref;

static lex_ref lex_reference(const ci_lexicon *l)
{
    lex_ref r;
    memset(&r, 0, sizeof r);
    r.size = ci_lexicon_size(l);
    for (size_t k = 0; k < NPROBES; k++)
        r.st[k] = ci_lexicon_lookup(l, probe_terms[k], strlen(probe_terms[k]), &r.v[k]);
    return r;
}

static void assert_same_lexicon(const ci_lexicon *l, const lex_ref *ref)
{
    lex_ref r = lex_reference(l);
    assert_int_equal(r.size, ref->size);
    for (size_t k = 0; k < NPROBES; k++) {
        assert_int_equal(r.st[k], ref->st[k]);
        assert_true(r.v[k] == ref->v[k]);
    }
}

static ci_lexicon *lex_got;
static lex_ref lex_expect;
static const char *lex_data;
static size_t lex_data_len;
static int lex_format;
static const ci_lexicon *lex_base;
static char lex_path[64];
static char *gz_data;
static size_t gz_len;

static ci_status lex_builtin_run(oom *o)
{
    ci_status st = ci_lexicon_new_builtin(&o->a, &lex_got);
    if (st != CI_OK)
        assert_null(lex_got);
    return st;
}

static ci_status lex_empty_run(oom *o)
{
    ci_status st = ci_lexicon_new_empty(&o->a, &lex_got);
    if (st != CI_OK)
        assert_null(lex_got);
    return st;
}

static void check_diag(ci_status st, const ci_diag *d);

static ci_status lex_buffer_run(oom *o)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_lexicon_load_buffer(lex_base, lex_data, lex_data_len, lex_format, &o->a,
                                          &lex_got, &d);
    if (st != CI_OK)
        assert_null(lex_got);
    check_diag(st, &d);
    return st;
}

static ci_status lex_file_run(oom *o)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_lexicon_load_file(lex_base, lex_path, lex_format, &o->a, &lex_got, &d);
    if (st != CI_OK)
        assert_null(lex_got);
    check_diag(st, &d);
    return st;
}

static void lex_check(oom *o)
{
    (void)o;
    assert_same_lexicon(lex_got, &lex_expect);
}

static void lex_free(oom *o)
{
    (void)o;
    ci_lexicon_free(lex_got);
    lex_got = NULL;
}

/* gzip a buffer (zlib's gzip wrapper) */
static void gzip(const char *src, size_t n, char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    *out = malloc(cap);
    assert_non_null(*out);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)*out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
}

static void test_lexicons(void **state)
{
    (void)state;
    ci_lexicon *ref;
    assert_int_equal(ci_lexicon_new_builtin(NULL, &ref), CI_OK);
    lex_expect = lex_reference(ref);
    ci_lexicon_free(ref);
    const oom_case c1 = {"ci_lexicon_new_builtin", NULL, lex_builtin_run, NULL, lex_check, lex_free};
    run_oom(&c1);

    assert_int_equal(ci_lexicon_new_empty(NULL, &ref), CI_OK);
    lex_expect = lex_reference(ref);
    ci_lexicon_free(ref);
    const oom_case c2 = {"ci_lexicon_new_empty", NULL, lex_empty_run, NULL, lex_check, lex_free};
    run_oom(&c2);

    /* over the builtin base: every format */
    struct { const char *data; int format; const char *name; } bufs[] = {
        {simple_lex, CI_LEXICON_SIMPLE, "ci_lexicon_load_buffer (simple, over builtin)"},
        {vader_lex, CI_LEXICON_AUTO, "ci_lexicon_load_buffer (vader, over builtin)"},
        {emoji_lex, CI_LEXICON_EMOJI, "ci_lexicon_load_buffer (emoji, over builtin)"},
    };
    for (size_t b = 0; b < 3; b++) {
        lex_base = lexicon;
        lex_data = bufs[b].data;
        lex_data_len = strlen(bufs[b].data);
        lex_format = bufs[b].format;
        assert_int_equal(ci_lexicon_load_buffer(lex_base, lex_data, lex_data_len, lex_format, NULL,
                                                &ref, NULL), CI_OK);
        lex_expect = lex_reference(ref);
        ci_lexicon_free(ref);
        const oom_case c = {bufs[b].name, NULL, lex_buffer_run, NULL, lex_check, lex_free};
        run_oom(&c);
    }

    /* gzip, no base */
    gzip(simple_lex, strlen(simple_lex), &gz_data, &gz_len);
    lex_base = NULL;
    lex_data = gz_data;
    lex_data_len = gz_len;
    lex_format = CI_LEXICON_SIMPLE;
    assert_int_equal(ci_lexicon_load_buffer(NULL, lex_data, lex_data_len, lex_format, NULL, &ref, NULL),
                     CI_OK);
    lex_expect = lex_reference(ref);
    ci_lexicon_free(ref);
    const oom_case c3 = {"ci_lexicon_load_buffer (gzip)", NULL, lex_buffer_run, NULL, lex_check,
                         lex_free};
    run_oom(&c3);

    /* from a file, over the builtin base */
    snprintf(lex_path, sizeof lex_path, "/tmp/ci_oom_lex_%ld.txt.gz", (long)getpid());
    FILE *f = fopen(lex_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(gz_data, 1, gz_len, f), gz_len);
    fclose(f);
    lex_base = lexicon;
    assert_int_equal(ci_lexicon_load_file(lex_base, lex_path, lex_format, NULL, &ref, NULL), CI_OK);
    lex_expect = lex_reference(ref);
    ci_lexicon_free(ref);
    const oom_case c4 = {"ci_lexicon_load_file", NULL, lex_file_run, NULL, lex_check, lex_free};
    run_oom(&c4);
    remove(lex_path);
    free(gz_data);
}

/* ci_lexicon_lookup normalizes the term through the lexicon's allocator. */
static ci_lexicon *lookup_lex;
static double lookup_v[NPROBES];
static ci_status lookup_st[NPROBES];

static void lookup_setup(oom *o)
{
    assert_int_equal(ci_lexicon_load_buffer(NULL, simple_lex, strlen(simple_lex), CI_LEXICON_SIMPLE,
                                            &o->a, &lookup_lex, NULL), CI_OK);
}

static ci_status lookup_run(oom *o)
{
    (void)o;
    for (size_t k = 0; k < NPROBES; k++) {
        double v = -99;
        ci_status st = ci_lexicon_lookup(lookup_lex, probe_terms[k], strlen(probe_terms[k]), &v);
        if (st == CI_ERR_NOMEM)
            return st;
        if (st != lookup_st[k] || (st == CI_OK && v != lookup_v[k]))
            fail();
    }
    return CI_OK;
}

static void lookup_check(oom *o)
{
    assert_int_equal(lookup_run(o), CI_OK);
}

static void lookup_free(oom *o)
{
    (void)o;
    ci_lexicon_free(lookup_lex);
}

static void test_lexicon_lookup(void **state)
{
    (void)state;
    ci_lexicon *l;
    assert_int_equal(ci_lexicon_load_buffer(NULL, simple_lex, strlen(simple_lex), CI_LEXICON_SIMPLE,
                                            NULL, &l, NULL), CI_OK);
    for (size_t k = 0; k < NPROBES; k++)
        lookup_st[k] = ci_lexicon_lookup(l, probe_terms[k], strlen(probe_terms[k]), &lookup_v[k]);
    ci_lexicon_free(l);
    assert_int_equal(lookup_st[3], CI_OK); /* grün: non-ASCII, normalized */
    const oom_case c = {"ci_lexicon_lookup", lookup_setup, lookup_run, NULL, lookup_check,
                        lookup_free};
    run_oom(&c);
}

/* ------------------------------------------------------------------------ */
/*  Sentiment                                                               */
/* ------------------------------------------------------------------------ */

#define MAX_PARTS 256
typedef struct score_rec {
    ci_sentiment_result res;
    size_t nsent, ncontrib;
    ci_sentence_score sent[MAX_PARTS];
    ci_contribution con[MAX_PARTS];
    char terms[MAX_PARTS][64];
} score_rec;

static score_rec score_ref, score_got;
static ci_sentiment_options score_opts;
static ci_sentiment *scorer;

static ci_status score_into(ci_sentiment *s, score_rec *r)
{
    memset(r, 0, sizeof *r);
    ci_sentiment_result_init(&r->res);
    ci_status st = ci_sentiment_score(s, long_text, long_len, &r->res);
    if (st != CI_OK)
        return st;
    r->nsent = r->res.n_sentences;
    r->ncontrib = r->res.n_contributions;
    assert_true(r->nsent <= MAX_PARTS && r->ncontrib <= MAX_PARTS);
    for (size_t i = 0; i < r->nsent; i++) {
        ci_sentence_score_init(&r->sent[i]);
        assert_int_equal(ci_sentiment_sentence(s, i, &r->sent[i]), CI_OK);
    }
    for (size_t i = 0; i < r->ncontrib; i++) {
        ci_contribution_init(&r->con[i]);
        assert_int_equal(ci_sentiment_contribution(s, i, &r->con[i]), CI_OK);
        assert_true(r->con[i].term_len < 64);
        memcpy(r->terms[i], r->con[i].term, r->con[i].term_len);
        r->con[i].term = NULL;
    }
    return CI_OK;
}

static void assert_same_score(const score_rec *a, const score_rec *b)
{
    assert_true(a->res.compound == b->res.compound);
    assert_true(a->res.pos == b->res.pos && a->res.neu == b->res.neu && a->res.neg == b->res.neg);
    assert_int_equal(a->res.intent_flags, b->res.intent_flags);
    assert_memory_equal(a->res.intent, b->res.intent, sizeof a->res.intent);
    assert_int_equal(a->nsent, b->nsent);
    assert_int_equal(a->ncontrib, b->ncontrib);
    for (size_t i = 0; i < a->nsent; i++) {
        assert_int_equal(a->sent[i].offset, b->sent[i].offset);
        assert_int_equal(a->sent[i].length, b->sent[i].length);
        assert_true(a->sent[i].compound == b->sent[i].compound);
    }
    for (size_t i = 0; i < a->ncontrib; i++) {
        assert_int_equal(a->con[i].offset, b->con[i].offset);
        assert_int_equal(a->con[i].length, b->con[i].length);
        assert_true(a->con[i].base == b->con[i].base && a->con[i].valence == b->con[i].valence);
        assert_int_equal(a->con[i].term_len, b->con[i].term_len);
        assert_memory_equal(a->terms[i], b->terms[i], a->con[i].term_len);
        assert_int_equal(a->con[i].sentence, b->con[i].sentence);
    }
}

static ci_status senti_new_run(oom *o)
{
    ci_status st = ci_sentiment_new(lexicon, &score_opts, &o->a, &scorer);
    if (st != CI_OK)
        assert_null(scorer);
    return st;
}

static void senti_setup(oom *o)
{
    assert_int_equal(ci_sentiment_new(lexicon, &score_opts, &o->a, &scorer), CI_OK);
}

static ci_status senti_score_run(oom *o)
{
    (void)o;
    return score_into(scorer, &score_got);
}

static void senti_check(oom *o)
{
    (void)o;
    /* a new scorer (or the one that failed) scores like the reference */
    assert_int_equal(score_into(scorer, &score_got), CI_OK);
    assert_same_score(&score_got, &score_ref);
}

static void senti_free(oom *o)
{
    (void)o;
    ci_sentiment_free(scorer);
    scorer = NULL;
}

static void test_sentiment(void **state)
{
    (void)state;
    for (int vader = 0; vader < 2; vader++) {
        ci_sentiment_options_init(&score_opts);
        score_opts.vader_compat = vader;
        score_opts.explain = 1;
        score_opts.sentences = 1;
        ci_sentiment *s;
        assert_int_equal(ci_sentiment_new(lexicon, &score_opts, NULL, &s), CI_OK);
        assert_int_equal(score_into(s, &score_ref), CI_OK);
        ci_sentiment_free(s);
        assert_true(score_ref.nsent > 5);
        assert_true(score_ref.ncontrib > 5);
        assert_true(score_ref.res.intent_flags != 0);
        const oom_case c1 = {vader ? "ci_sentiment_new (vader)" : "ci_sentiment_new", NULL,
                             senti_new_run, NULL, senti_check, senti_free};
        run_oom(&c1);
        const oom_case c2 = {vader ? "ci_sentiment_score (vader, explain, sentences)"
                                   : "ci_sentiment_score (explain, sentences)",
                             senti_setup, senti_score_run, NULL, senti_check, senti_free};
        run_oom(&c2);
    }
}

/* ------------------------------------------------------------------------ */
/*  Themes                                                                  */
/* ------------------------------------------------------------------------ */

static ci_theme_trainer *trainer;
static ci_theme_model *tm_got;
static ci_theme_options tr_opts;
static char *tm_expect;
static size_t tm_expect_len;
static int tm_vectors;   /* 1: the trainer takes host vectors */
static char tm_path[64];

static void make_vec(size_t i, float v[8])
{
    /* two clusters, with noise */
    uint64_t g = i * 31 + 7;
    for (int k = 0; k < 8; k++)
        v[k] = (float)((mix(&g) % 1000) / 5000.0) + ((k < 4) == (i % 2 == 0) ? 1.0f : 0.0f);
}

/* Add every text (or vector), retrying a step that failed. */
static void trainer_add_all(oom *o, ci_theme_trainer *t)
{
    for (size_t i = 0; i < NTEXTS; i++) {
        ci_status st;
        for (;;) {
            if (tm_vectors) {
                float v[8];
                make_vec(i, v);
                st = ci_theme_trainer_add_vector(t, v, 8, texts[i], strlen(texts[i]));
            } else {
                st = ci_theme_trainer_add(t, texts[i], strlen(texts[i]));
            }
            if (st == CI_ERR_NOMEM && o) {
                step_failed(o, st);
                continue;
            }
            break;
        }
        assert_int_equal(st, CI_OK);
    }
}

static ci_status trainer_new_run(oom *o)
{
    ci_status st = ci_theme_trainer_new(&tr_opts, &o->a, &trainer);
    if (st != CI_OK)
        assert_null(trainer);
    return st;
}

static void trainer_check(oom *o)
{
    (void)o;
    /* the trainer fits what a fresh one fits */
    trainer_add_all(NULL, trainer);
    if (tr_opts.streaming) {
        assert_int_equal(ci_theme_trainer_next_pass(trainer), CI_OK);
        trainer_add_all(NULL, trainer);
    }
    ci_theme_model *m = NULL;
    assert_int_equal(ci_theme_trainer_fit(trainer, &m), CI_OK);
    assert_same_model(m, tm_expect, tm_expect_len);
    ci_theme_model_free(m);
}

static void trainer_free(oom *o)
{
    (void)o;
    ci_theme_model_free(tm_got);
    tm_got = NULL;
    ci_theme_trainer_free(trainer);
    trainer = NULL;
}

static void trainer_setup(oom *o)
{
    assert_int_equal(ci_theme_trainer_new(&tr_opts, &o->a, &trainer), CI_OK);
}

/* The adds (and the second pass of a streaming trainer), steps retried. */
static ci_status trainer_adds_run(oom *o)
{
    trainer_add_all(o, trainer);
    if (tr_opts.streaming) {
        ci_status st;
        while ((st = ci_theme_trainer_next_pass(trainer)) == CI_ERR_NOMEM)
            step_failed(o, st);
        assert_int_equal(st, CI_OK);
        trainer_add_all(o, trainer);
    }
    return CI_OK;
}

static void trainer_fit_setup(oom *o)
{
    trainer_setup(o);
    trainer_adds_run(NULL);
}

static void trainer_adds_check(oom *o)
{
    (void)o;
    ci_theme_model *m = NULL;
    assert_int_equal(ci_theme_trainer_fit(trainer, &m), CI_OK);
    assert_same_model(m, tm_expect, tm_expect_len);
    ci_theme_model_free(m);
}

static ci_status trainer_fit_run(oom *o)
{
    (void)o;
    ci_status st = ci_theme_trainer_fit(trainer, &tm_got);
    if (st != CI_OK)
        assert_null(tm_got);
    return st;
}

static void trainer_fit_check(oom *o)
{
    (void)o;
    assert_same_model(tm_got, tm_expect, tm_expect_len);
    if (!tr_opts.streaming && !tm_vectors) {
        int th;
        assert_int_equal(ci_theme_trainer_assignment(trainer, 0, &th, NULL), CI_OK);
    }
}

static void fit_reference(void)
{
    ci_theme_trainer *t;
    assert_int_equal(ci_theme_trainer_new(&tr_opts, NULL, &t), CI_OK);
    trainer_add_all(NULL, t);
    if (tr_opts.streaming) {
        assert_int_equal(ci_theme_trainer_next_pass(t), CI_OK);
        trainer_add_all(NULL, t);
    }
    ci_theme_model *m;
    assert_int_equal(ci_theme_trainer_fit(t, &m), CI_OK);
    assert_int_equal(ci_theme_model_save(m, &tm_expect, &tm_expect_len), CI_OK);
    ci_theme_model_free(m);
    ci_theme_trainer_free(t);
}

static void test_theme_training(void **state)
{
    (void)state;
    static const struct { int streaming, vectors; const char *what; } modes[] = {
        {0, 0, "in memory"}, {1, 0, "streaming"}, {0, 1, "vectors"}};
    for (size_t m = 0; m < 3; m++) {
        char n1[96], n2[96], n3[96];
        tr_opts = theme_opts(m == 2 ? 2 : 3);
        tr_opts.streaming = modes[m].streaming;
        tr_opts.batch_size = 8;
        tm_vectors = modes[m].vectors;
        fit_reference();
        snprintf(n1, sizeof n1, "ci_theme_trainer_new (%s)", modes[m].what);
        snprintf(n2, sizeof n2, "ci_theme_trainer_add%s%s (%s)", tm_vectors ? "_vector" : "",
                 modes[m].streaming ? "/next_pass" : "", modes[m].what);
        snprintf(n3, sizeof n3, "ci_theme_trainer_fit (%s)", modes[m].what);
        const oom_case c1 = {n1, NULL, trainer_new_run, NULL, trainer_check, trainer_free};
        run_oom(&c1);
        const oom_case c2 = {n2, trainer_setup, trainer_adds_run, NULL, trainer_adds_check,
                             trainer_free};
        run_oom(&c2);
        const oom_case c3 = {n3, trainer_fit_setup, trainer_fit_run, NULL, trainer_fit_check,
                             trainer_free};
        run_oom(&c3);
        ci_free(tm_expect);
    }
}

/* Model operations, on a model loaded through the test allocator. */
static ci_theme_model *tm_loaded;
static char *tm_saved;
static size_t tm_saved_len;
static ci_theme_assigner *assigner;

#define NASSIGN 12
static int assign_theme_ref[NASSIGN], assign_theme_got[NASSIGN];
static double assign_sim_ref[NASSIGN], assign_sim_got[NASSIGN];
static uint64_t win_ref[NASSIGN][3];
static size_t nwin_ref;

static void model_setup(oom *o)
{
    assert_int_equal(ci_theme_model_load(model_ref, model_ref_len, &o->a, &tm_loaded, NULL), CI_OK);
}

static void model_free(oom *o)
{
    (void)o;
    ci_theme_assigner_free(assigner);
    assigner = NULL;
    ci_free(tm_saved);
    tm_saved = NULL;
    ci_theme_model_free(tm_got);
    tm_got = NULL;
    ci_theme_model_free(tm_loaded);
    tm_loaded = NULL;
}

static ci_status model_save_run(oom *o)
{
    (void)o;
    ci_status st = ci_theme_model_save(tm_loaded, &tm_saved, &tm_saved_len);
    if (st != CI_OK)
        assert_null(tm_saved);
    return st;
}

static void model_save_check(oom *o)
{
    (void)o;
    assert_true(same_bytes(tm_saved, tm_saved_len, model_ref, model_ref_len));
}

static ci_status model_save_file_run(oom *o)
{
    (void)o;
    return ci_theme_model_save_file(tm_loaded, tm_path);
}

static void model_file_check(oom *o)
{
    (void)o;
    FILE *f = fopen(tm_path, "rb");
    assert_non_null(f);
    char *buf = malloc(model_ref_len + 16);
    size_t n = fread(buf, 1, model_ref_len + 16, f);
    fclose(f);
    assert_true(same_bytes(buf, n, model_ref, model_ref_len));
    free(buf);
}

/* Calls that take a diag describe every failure in it, NOMEM included. */
static void check_diag(ci_status st, const ci_diag *d)
{
    if (st == CI_OK) {
        assert_int_equal(d->status, CI_OK);
        return;
    }
    if (d->status != st || !d->message[0]) {
        printf("# failed with %s, diag says %s \"%s\"\n", ci_status_string(st),
               ci_status_string(d->status), d->message);
        fail();
    }
}

static ci_status model_load_run(oom *o)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_theme_model_load(model_ref, model_ref_len, &o->a, &tm_got, &d);
    if (st != CI_OK)
        assert_null(tm_got);
    check_diag(st, &d);
    return st;
}

static ci_status model_load_file_run(oom *o)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_theme_model_load_file(tm_path, &o->a, &tm_got, &d);
    if (st != CI_OK)
        assert_null(tm_got);
    check_diag(st, &d);
    return st;
}

static void model_loaded_check(oom *o)
{
    (void)o;
    assert_same_model(tm_got, model_ref, model_ref_len);
}

static ci_status model_merge_run(oom *o)
{
    (void)o;
    ci_status st = ci_theme_model_merge(tm_loaded, 0, 2, &tm_got);
    if (st != CI_OK)
        assert_null(tm_got);
    return st;
}

static void model_merge_check(oom *o)
{
    (void)o;
    assert_same_model(tm_got, tm_expect, tm_expect_len);
}

static ci_status assigner_new_run(oom *o)
{
    ci_status st = ci_theme_assigner_new(tm_loaded, 86400, &o->a, &assigner);
    if (st != CI_OK)
        assert_null(assigner);
    return st;
}

/* Assign NASSIGN texts with timestamps, retrying a step that failed. */
static ci_status assign_all(oom *o)
{
    for (size_t i = 0; i < NASSIGN; i++) {
        ci_status st;
        while ((st = ci_theme_assign(assigner, texts[i], strlen(texts[i]),
                                     1704067200 + (int64_t)((i * 7) % 5) * 86400,
                                     &assign_theme_got[i], &assign_sim_got[i])) == CI_ERR_NOMEM && o)
            step_failed(o, st);
        assert_int_equal(st, CI_OK);
    }
    return CI_OK;
}

static void assign_check(oom *o)
{
    (void)o;
    for (size_t i = 0; i < NASSIGN; i++) {
        assert_int_equal(assign_theme_got[i], assign_theme_ref[i]);
        assert_true(assign_sim_got[i] == assign_sim_ref[i]);
    }
    for (size_t w = 0; w <= nwin_ref; w++) {
        int64_t start;
        uint64_t total, un;
        ci_status st = ci_theme_assigner_window(assigner, w, &start, &total, &un);
        if (w == nwin_ref) {
            assert_int_equal(st, CI_ERR_NOT_FOUND);
            break;
        }
        assert_int_equal(st, CI_OK);
        assert_int_equal(start, (int64_t)win_ref[w][0]);
        assert_int_equal(total, win_ref[w][1]);
        assert_int_equal(un, win_ref[w][2]);
    }
}

static void assigner_new_check(oom *o)
{
    assign_all(NULL); /* the new assigner works */
    assign_check(o);
}

static void assigner_setup(oom *o)
{
    model_setup(o);
    assert_int_equal(ci_theme_assigner_new(tm_loaded, 86400, &o->a, &assigner), CI_OK);
}

static ci_status assign_run(oom *o)
{
    return assign_all(o);
}

static void test_theme_model(void **state)
{
    (void)state;
    snprintf(tm_path, sizeof tm_path, "/tmp/ci_oom_model_%ld.bin", (long)getpid());
    const oom_case c1 = {"ci_theme_model_save", model_setup, model_save_run, NULL, model_save_check,
                         model_free};
    run_oom(&c1);
    const oom_case c2 = {"ci_theme_model_save_file", model_setup, model_save_file_run, NULL,
                         model_file_check, model_free};
    run_oom(&c2);
    const oom_case c3 = {"ci_theme_model_load", NULL, model_load_run, NULL, model_loaded_check,
                         model_free};
    run_oom(&c3);
    const oom_case c4 = {"ci_theme_model_load_file", NULL, model_load_file_run, NULL,
                         model_loaded_check, model_free};
    run_oom(&c4);
    remove(tm_path);

    ci_theme_model *mm;
    assert_int_equal(ci_theme_model_merge(model, 0, 2, &mm), CI_OK);
    assert_int_equal(ci_theme_model_save(mm, &tm_expect, &tm_expect_len), CI_OK);
    ci_theme_model_free(mm);
    const oom_case c5 = {"ci_theme_model_merge", model_setup, model_merge_run, NULL,
                         model_merge_check, model_free};
    run_oom(&c5);
    ci_free(tm_expect);
    tm_expect = NULL;

    /* assignments and their windows */
    ci_theme_assigner *as;
    assert_int_equal(ci_theme_assigner_new(model, 86400, NULL, &as), CI_OK);
    for (size_t i = 0; i < NASSIGN; i++)
        assert_int_equal(ci_theme_assign(as, texts[i], strlen(texts[i]),
                                         1704067200 + (int64_t)((i * 7) % 5) * 86400,
                                         &assign_theme_ref[i], &assign_sim_ref[i]), CI_OK);
    for (nwin_ref = 0;; nwin_ref++) {
        int64_t start;
        if (ci_theme_assigner_window(as, nwin_ref, &start, &win_ref[nwin_ref][1],
                                     &win_ref[nwin_ref][2]) != CI_OK)
            break;
        win_ref[nwin_ref][0] = (uint64_t)start;
    }
    ci_theme_assigner_free(as);
    assert_int_equal(nwin_ref, 5);
    const oom_case c6 = {"ci_theme_assigner_new", model_setup, assigner_new_run, NULL, assigner_new_check,
                         model_free};
    run_oom(&c6);
    const oom_case c7 = {"ci_theme_assign", assigner_setup, assign_run, NULL, assign_check,
                         model_free};
    run_oom(&c7);
}

/* Vector models: ci_theme_assign_vector. */
static ci_theme_model *vmodel;
static int vtheme_ref[NTEXTS], vtheme_got[NTEXTS];

static void vassign_setup(oom *o)
{
    assert_int_equal(ci_theme_assigner_new(vmodel, 0, &o->a, &assigner), CI_OK);
}

static ci_status vassign_run(oom *o)
{
    for (size_t i = 0; i < NTEXTS; i++) {
        float v[8];
        make_vec(i + 1000, v);
        ci_status st;
        while ((st = ci_theme_assign_vector(assigner, v, 8, (int64_t)i * 3600 * 7, &vtheme_got[i],
                                            NULL)) == CI_ERR_NOMEM && o)
            step_failed(o, st);
        assert_int_equal(st, CI_OK);
    }
    return CI_OK;
}

static void vassign_check(oom *o)
{
    (void)o;
    assert_memory_equal(vtheme_got, vtheme_ref, sizeof vtheme_ref);
}

static void vassign_free(oom *o)
{
    (void)o;
    ci_theme_assigner_free(assigner);
    assigner = NULL;
}

static void test_theme_vectors(void **state)
{
    (void)state;
    tr_opts = theme_opts(2);
    tm_vectors = 1;
    ci_theme_trainer *t;
    assert_int_equal(ci_theme_trainer_new(&tr_opts, NULL, &t), CI_OK);
    trainer_add_all(NULL, t);
    assert_int_equal(ci_theme_trainer_fit(t, &vmodel), CI_OK);
    ci_theme_trainer_free(t);
    tm_vectors = 0;
    ci_theme_assigner *as;
    assert_int_equal(ci_theme_assigner_new(vmodel, 0, NULL, &as), CI_OK);
    assigner = as;
    vassign_run(NULL);
    memcpy(vtheme_ref, vtheme_got, sizeof vtheme_ref);
    ci_theme_assigner_free(as);
    assigner = NULL;
    const oom_case c = {"ci_theme_assign_vector", vassign_setup, vassign_run, NULL, vassign_check,
                        vassign_free};
    run_oom(&c);
    ci_theme_model_free(vmodel);
}

/* ------------------------------------------------------------------------ */
/*  Analyzer                                                                */
/* ------------------------------------------------------------------------ */

static const char *const tiers[] = {"free", "pro", "enterprise"};
static const char *const regions[] = {"EMEA", "NA", "APAC"};

typedef struct sig_data {
    char account[16];
    ci_attr attrs[2];
    ci_signal sig;
} sig_data;

#define NSIG 96
static sig_data sigs[NSIG];
static ci_signal_result sig_res[NSIG];  /* as ci_analyzer_add computed them */

static void make_signals(void)
{
    for (size_t i = 0; i < NSIG; i++) {
        sig_data *d = &sigs[i];
        uint64_t g = i * 104729 + 11;
        ci_signal *s = &d->sig;
        ci_signal_init(s);
        s->kind = CI_SIGNAL_TICKET;
        s->timestamp = i % 11 == 5 ? CI_TIME_NONE
                                    : 1704067200 + (int64_t)(mix(&g) % (86400ull * 35));
        d->attrs[0].key = S("tier");
        d->attrs[0].value = S(tiers[mix(&g) % 3]);
        d->attrs[1].key = S("region");
        d->attrs[1].value = S(regions[mix(&g) % 3]);
        s->attrs = d->attrs;
        s->n_attrs = i % 7 == 3 ? 1 : 2;
        if (i % 4 != 1) {
            snprintf(d->account, sizeof d->account, "acct-%u", (unsigned)(mix(&g) % 9));
            s->account_id = S(d->account);
        }
        if (i % 6 != 2)
            s->text = S(texts[(i * 5) % NTEXTS]);
        if (mix(&g) % 2) {
            s->has |= CI_HAS_NPS;
            s->nps = (double)(mix(&g) % 11);
        }
        if (mix(&g) % 3 == 0) {
            s->has |= CI_HAS_CSAT;
            s->csat = (double)(1 + mix(&g) % 5);
        }
        if (mix(&g) % 4 == 0) {
            s->has |= CI_HAS_CES;
            s->ces = (double)(1 + mix(&g) % 7);
        }
        if (mix(&g) % 2) {
            s->has |= CI_HAS_VALUE;
            s->value = (double)(mix(&g) % 10000) / 10.0;
            if (i % 13 == 4) /* digits below 2^-128: summed in a cell's spill record */
                s->value = ldexp((double)(i + 1), -150);
        }
        if (!s->text.len && !s->has) {
            s->has = CI_HAS_NPS;
            s->nps = 3;
        }
    }
}

static const ci_str an_dims[] = {{"tier", 4}, {"region", 6}};

static ci_analyzer_options an_options(void)
{
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = an_dims;
    o.n_dimensions = 2;
    o.lexicon = lexicon;
    o.themes = model;
    return o;
}

static ci_analyzer *analyzer_with(const ci_allocator *a, size_t from, size_t to)
{
    ci_analyzer_options opt = an_options();
    ci_analyzer *an;
    assert_int_equal(ci_analyzer_new(&opt, a, &an), CI_OK);
    for (size_t i = from; i < to; i++)
        assert_int_equal(ci_analyzer_add(an, &sigs[i].sig, NULL, NULL), CI_OK);
    return an;
}

/* Same signals in the same order: everything is exactly equal.  After a
 * merge, means and variances (Welford/Chan) may differ in the last bits. */
static double an_tol;

static int close_enough(double a, double b)
{
    return a == b || fabs(a - b) <= an_tol * fmax(fabs(a), fabs(b));
}

static void assert_same_stats(const ci_segment_stats *a, const ci_segment_stats *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->nps_responses, b->nps_responses);
    assert_int_equal(a->nps_promoters, b->nps_promoters);
    assert_int_equal(a->nps_detractors, b->nps_detractors);
    assert_int_equal(a->csat_responses, b->csat_responses);
    assert_int_equal(a->csat_satisfied, b->csat_satisfied);
    assert_int_equal(a->ces_responses, b->ces_responses);
    assert_true(close_enough(a->ces_mean, b->ces_mean) && close_enough(a->ces_variance, b->ces_variance));
    assert_int_equal(a->sentiment_n, b->sentiment_n);
    assert_true(close_enough(a->sentiment_mean, b->sentiment_mean));
    assert_true(close_enough(a->sentiment_variance, b->sentiment_variance));
    assert_memory_equal(a->intent_count, b->intent_count, sizeof a->intent_count);
    assert_int_equal(a->value_n, b->value_n);
    assert_true(a->value_sum == b->value_sum);
}

/* ref and an hold the same aggregates (segments, buckets, themes, examples,
 * accounts), whatever their internal layout. */
static void assert_same_analyzers(const ci_analyzer *ref, const ci_analyzer *an)
{
    size_t nseg = ci_analyzer_segment_count(ref);
    assert_true(nseg >= 1);
    assert_int_equal(ci_analyzer_segment_count(an), nseg);
    size_t ntheme = ci_theme_model_count(model);
    const unsigned kinds[] = {CI_BUCKET_DAY, CI_BUCKET_WEEK, CI_BUCKET_MONTH};
    for (size_t i = 0; i < nseg; i++) {
        ci_str vals[2];
        ci_segment_stats a, b;
        ci_segment_stats_init(&a);
        ci_segment_stats_init(&b);
        assert_int_equal(ci_analyzer_segment(ref, i, vals, &a), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find(an, vals, &j), CI_OK);
        assert_int_equal(ci_analyzer_segment(an, j, NULL, &b), CI_OK);
        assert_same_stats(&a, &b);
        assert_int_equal(ci_analyzer_segment_texts(ref, i), ci_analyzer_segment_texts(an, j));
        for (size_t t = 0; t < ntheme; t++)
            assert_int_equal(ci_analyzer_segment_theme(ref, i, t), ci_analyzer_segment_theme(an, j, t));
        for (size_t e = 0;; e++) {
            ci_str t1, t2;
            double c1, c2;
            ci_status s1 = ci_analyzer_segment_example(ref, i, e, &t1, &c1, NULL);
            ci_status s2 = ci_analyzer_segment_example(an, j, e, &t2, &c2, NULL);
            assert_int_equal(s1, s2);
            if (s1 != CI_OK)
                break;
            assert_true(same_bytes(t1.data, t1.len, t2.data, t2.len) && c1 == c2);
        }
        for (int k = 0; k < 3; k++) {
            int64_t start, s2;
            for (size_t q = 0; ci_analyzer_bucket(ref, kinds[k], q, &start) == CI_OK; q++) {
                assert_int_equal(ci_analyzer_bucket(an, kinds[k], q, &s2), CI_OK);
                assert_int_equal(start, s2);
                ci_status r1 = ci_analyzer_segment_bucket(ref, i, kinds[k], start, &a);
                ci_status r2 = ci_analyzer_segment_bucket(an, j, kinds[k], start, &b);
                assert_int_equal(r1, r2);
                if (r1 == CI_OK)
                    assert_same_stats(&a, &b);
            }
        }
    }
    size_t nacc = ci_analyzer_account_count(ref);
    assert_int_equal(ci_analyzer_account_count(an), nacc);
    for (size_t i = 0; i < nacc; i++) {
        ci_account_health a, b;
        ci_account_health_init(&a);
        ci_account_health_init(&b);
        assert_int_equal(ci_analyzer_account(ref, i, &a), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find_account(an, a.account_id.data, a.account_id.len, &j), CI_OK);
        assert_int_equal(ci_analyzer_account(an, j, &b), CI_OK);
        assert_int_equal(a.contacts, b.contacts);
        assert_int_equal(a.first_seen, b.first_seen);
        assert_int_equal(a.last_seen, b.last_seen);
        assert_int_equal(a.repeat_contacts, b.repeat_contacts);
        assert_int_equal(a.top_theme, b.top_theme);
        assert_int_equal(a.churn_mentions, b.churn_mentions);
        assert_true(close_enough(a.sentiment_mean, b.sentiment_mean));
        assert_true(close_enough(a.sentiment_slope, b.sentiment_slope));
        assert_true(close_enough(a.churn_risk, b.churn_risk));
        assert_true(a.value == b.value && a.last_nps == b.last_nps);
        assert_int_equal(a.reasons, b.reasons);
    }
}

static ci_analyzer *an_ref;      /* all NSIG signals, plain malloc */
static ci_analyzer *an_half_ref; /* the first half */
static ci_analyzer *an, *an_other, *an_got;
static char *an_saved;
static size_t an_saved_len;
static char an_path[64];

static void an_free(oom *o)
{
    (void)o;
    ci_analyzer_free(an);
    ci_analyzer_free(an_other);
    ci_analyzer_free(an_got);
    an = an_other = an_got = NULL;
    ci_free(an_saved);
    an_saved = NULL;
}

static ci_status an_new_run(oom *o)
{
    ci_analyzer_options opt = an_options();
    ci_status st = ci_analyzer_new(&opt, &o->a, &an);
    if (st != CI_OK)
        assert_null(an);
    return st;
}

static void an_new_check(oom *o)
{
    (void)o;
    for (size_t i = 0; i < NSIG; i++)
        assert_int_equal(ci_analyzer_add(an, &sigs[i].sig, NULL, NULL), CI_OK);
    assert_same_analyzers(an_ref, an);
}

static void an_empty_setup(oom *o)
{
    ci_analyzer_options opt = an_options();
    assert_int_equal(ci_analyzer_new(&opt, &o->a, &an), CI_OK);
}

/* Every signal added, a failed add retried; the results as computed. */
static ci_status an_add_run(oom *o)
{
    for (size_t i = 0; i < NSIG; i++) {
        ci_signal_result r;
        ci_signal_result_init(&r);
        ci_status st;
        while ((st = ci_analyzer_add(an, &sigs[i].sig, &r, NULL)) == CI_ERR_NOMEM)
            step_failed(o, st);
        assert_int_equal(st, CI_OK);
        assert_true(r.compound == sig_res[i].compound && r.theme == sig_res[i].theme);
        assert_int_equal(r.intent_flags, sig_res[i].intent_flags);
    }
    return CI_OK;
}

static ci_status an_add_result_run(oom *o)
{
    for (size_t i = 0; i < NSIG; i++) {
        ci_status st;
        while ((st = ci_analyzer_add_result(an, &sigs[i].sig, &sig_res[i], NULL)) == CI_ERR_NOMEM)
            step_failed(o, st);
        assert_int_equal(st, CI_OK);
    }
    return CI_OK;
}

static void an_full_check(oom *o)
{
    (void)o;
    assert_same_analyzers(an_ref, an);
}

static void an_merge_setup(oom *o)
{
    an = analyzer_with(&o->a, 0, NSIG / 2);
    an_other = analyzer_with(&o->a, NSIG / 2, NSIG);
}

static ci_status an_merge_run(oom *o)
{
    (void)o;
    return ci_analyzer_merge(an, an_other);
}

static void an_merge_unchanged(oom *o)
{
    (void)o;
    double tol = an_tol;
    an_tol = 0;
    assert_same_analyzers(an_half_ref, an);
    an_tol = tol;
}

static void an_dirty_setup(oom *o)
{
    an = analyzer_with(&o->a, 0, NSIG);
}

static ci_status an_summarize_run(oom *o)
{
    (void)o;
    return ci_analyzer_summarize(an);
}

/* Comparisons and trends on a segment found before the last add. */
static size_t cmp_seg, cmp_seg2;
static ci_comparison cmp_ref, cmp_got;
static ci_trend trend_ref, trend_got, gap_ref, gap_got;

static void find_segments(const ci_analyzer *x, size_t *s1, size_t *s2)
{
    ci_str v1[2] = {S("pro"), {NULL, 0}}, v2[2] = {S("free"), {NULL, 0}};
    assert_int_equal(ci_analyzer_find(x, v1, s1), CI_OK);
    assert_int_equal(ci_analyzer_find(x, v2, s2), CI_OK);
}

static void an_read_setup(oom *o)
{
    an = analyzer_with(&o->a, 0, NSIG - 1);
    find_segments(an, &cmp_seg, &cmp_seg2); /* summarized here */
    assert_int_equal(ci_analyzer_add(an, &sigs[NSIG - 1].sig, NULL, NULL), CI_OK); /* dirty again */
}

static ci_status an_compare_run(oom *o)
{
    (void)o;
    ci_comparison_init(&cmp_got);
    return ci_analyzer_compare(an, cmp_seg, CI_METRIC_SENTIMENT, 0, &cmp_got);
}

static void an_compare_check(oom *o)
{
    (void)o;
    assert_int_equal(cmp_got.n, cmp_ref.n);
    assert_int_equal(cmp_got.rest_n, cmp_ref.rest_n);
    assert_true(cmp_got.value == cmp_ref.value && cmp_got.p_value == cmp_ref.p_value);
    assert_same_analyzers(an_ref, an);
}

static ci_status an_trend_run(oom *o)
{
    (void)o;
    ci_trend_init(&trend_got);
    ci_trend_init(&gap_got);
    ci_status st = ci_analyzer_trend(an, cmp_seg, CI_METRIC_SENTIMENT, 0, CI_BUCKET_WEEK, 1,
                                     &trend_got);
    if (st != CI_OK)
        return st;
    return ci_analyzer_gap_trend(an, cmp_seg, cmp_seg2, CI_METRIC_SENTIMENT, 0, CI_BUCKET_WEEK, 1,
                                 &gap_got);
}

static void an_trend_check(oom *o)
{
    (void)o;
    assert_int_equal(trend_got.points, trend_ref.points);
    assert_true(trend_got.slope == trend_ref.slope && trend_got.p_value == trend_ref.p_value);
    assert_int_equal(gap_got.points, gap_ref.points);
    assert_true(gap_got.slope == gap_ref.slope && gap_got.widening == gap_ref.widening);
}

static size_t risk_ref[5], risk_got[5], nrisk_ref, nrisk_got;

static ci_status an_riskiest_run(oom *o)
{
    (void)o;
    return ci_analyzer_riskiest(an, 5, risk_got, &nrisk_got);
}

static void an_riskiest_check(oom *o)
{
    (void)o;
    assert_int_equal(nrisk_got, nrisk_ref);
    assert_memory_equal(risk_got, risk_ref, nrisk_ref * sizeof(size_t));
}

static char *snap_ref;
static size_t snap_ref_len;

static ci_status an_save_run(oom *o)
{
    (void)o;
    ci_status st = ci_analyzer_save(an, &an_saved, &an_saved_len);
    if (st != CI_OK)
        assert_null(an_saved);
    return st;
}

static void an_save_check(oom *o)
{
    (void)o;
    assert_true(same_bytes(an_saved, an_saved_len, snap_ref, snap_ref_len));
}

static ci_status an_save_file_run(oom *o)
{
    (void)o;
    return ci_analyzer_save_file(an, an_path);
}

static void an_save_file_check(oom *o)
{
    (void)o;
    char *buf = malloc(snap_ref_len + 16);
    FILE *f = fopen(an_path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, snap_ref_len + 16, f);
    fclose(f);
    assert_true(same_bytes(buf, n, snap_ref, snap_ref_len));
    free(buf);
}

static ci_status an_load_run(oom *o)
{
    ci_analyzer_options opt = an_options();
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_analyzer_load(snap_ref, snap_ref_len, &opt, &o->a, &an, &d);
    if (st != CI_OK)
        assert_null(an);
    check_diag(st, &d);
    return st;
}

static ci_status an_load_file_run(oom *o)
{
    ci_analyzer_options opt = an_options();
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_analyzer_load_file(an_path, &opt, &o->a, &an, &d);
    if (st != CI_OK)
        assert_null(an);
    check_diag(st, &d);
    return st;
}

static void an_loaded_check(oom *o)
{
    (void)o;
    assert_same_analyzers(an_ref, an);
    /* and it goes on adding */
    assert_int_equal(ci_analyzer_add(an, &sigs[0].sig, NULL, NULL), CI_OK);
}

static void test_analyzer(void **state)
{
    (void)state;
    an = an_other = an_got = NULL; /* a failed test may have left them (leaked) */
    an_saved = NULL;
    an_ref = analyzer_with(NULL, 0, NSIG);
    an_half_ref = analyzer_with(NULL, 0, NSIG / 2);
    {
        ci_analyzer *x = analyzer_with(NULL, 0, 0);
        for (size_t i = 0; i < NSIG; i++) {
            ci_signal_result_init(&sig_res[i]);
            assert_int_equal(ci_analyzer_add(x, &sigs[i].sig, &sig_res[i], NULL), CI_OK);
        }
        ci_analyzer_free(x);
    }
    assert_int_equal(ci_analyzer_summarize(an_ref), CI_OK);
    assert_true(ci_analyzer_account_count(an_ref) > 3);

    const oom_case cases[] = {
        {"ci_analyzer_new", NULL, an_new_run, NULL, an_new_check, an_free},
        {"ci_analyzer_add", an_empty_setup, an_add_run, NULL, an_full_check, an_free},
        {"ci_analyzer_add_result", an_empty_setup, an_add_result_run, NULL, an_full_check, an_free},
        {"ci_analyzer_merge", an_merge_setup, an_merge_run, an_merge_unchanged, an_full_check,
         an_free},
        {"ci_analyzer_summarize", an_dirty_setup, an_summarize_run, NULL, an_full_check, an_free},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        an_tol = cases[c].run == an_merge_run ? 1e-9 : 0;
        run_oom(&cases[c]);
    }
    an_tol = 0;

    /* reading functions that refresh the summary, or allocate themselves */
    find_segments(an_ref, &cmp_seg, &cmp_seg2);
    ci_comparison_init(&cmp_ref);
    assert_int_equal(ci_analyzer_compare(an_ref, cmp_seg, CI_METRIC_SENTIMENT, 0, &cmp_ref), CI_OK);
    ci_trend_init(&trend_ref);
    ci_trend_init(&gap_ref);
    assert_int_equal(ci_analyzer_trend(an_ref, cmp_seg, CI_METRIC_SENTIMENT, 0, CI_BUCKET_WEEK, 1,
                                       &trend_ref), CI_OK);
    assert_int_equal(ci_analyzer_gap_trend(an_ref, cmp_seg, cmp_seg2, CI_METRIC_SENTIMENT, 0,
                                           CI_BUCKET_WEEK, 1, &gap_ref), CI_OK);
    assert_int_equal(ci_analyzer_riskiest(an_ref, 5, risk_ref, &nrisk_ref), CI_OK);
    assert_int_equal(nrisk_ref, 5);
    const oom_case reads[] = {
        {"ci_analyzer_compare", an_read_setup, an_compare_run, NULL, an_compare_check, an_free},
        {"ci_analyzer_trend/gap_trend", an_read_setup, an_trend_run, NULL, an_trend_check, an_free},
        {"ci_analyzer_riskiest", an_dirty_setup, an_riskiest_run, NULL, an_riskiest_check, an_free},
    };
    for (size_t c = 0; c < sizeof reads / sizeof reads[0]; c++)
        run_oom(&reads[c]);

    /* snapshots */
    snprintf(an_path, sizeof an_path, "/tmp/ci_oom_snap_%ld.bin", (long)getpid());
    {
        ci_analyzer *x = analyzer_with(NULL, 0, NSIG);
        assert_int_equal(ci_analyzer_save(x, &snap_ref, &snap_ref_len), CI_OK);
        ci_analyzer_free(x);
    }
    const oom_case snaps[] = {
        {"ci_analyzer_save", an_dirty_setup, an_save_run, NULL, an_save_check, an_free},
        {"ci_analyzer_save_file", an_dirty_setup, an_save_file_run, NULL, an_save_file_check, an_free},
        {"ci_analyzer_load", NULL, an_load_run, NULL, an_loaded_check, an_free},
        {"ci_analyzer_load_file", NULL, an_load_file_run, NULL, an_loaded_check, an_free},
    };
    for (size_t c = 0; c < sizeof snaps / sizeof snaps[0]; c++)
        run_oom(&snaps[c]);
    remove(an_path);
    ci_free(snap_ref);
    ci_analyzer_free(an_half_ref);
    /* an_ref is kept for the insights */
}

/* ------------------------------------------------------------------------ */
/*  Benjamini-Hochberg and insights                                         */
/* ------------------------------------------------------------------------ */

#define NP 300
static double bh_p[NP], bh_q_ref[NP], bh_q_got[NP];

static ci_status bh_run(oom *o)
{
    return ci_benjamini_hochberg(bh_p, NP, bh_q_got, &o->a);
}

static void bh_check(oom *o)
{
    (void)o;
    assert_memory_equal(bh_q_got, bh_q_ref, sizeof bh_q_ref);
}

static void bh_free(oom *o)
{
    (void)o;
}

static ci_insights *ins_got;
static ci_insight_options ins_opts;
static char *json_ref, *json_got;
static size_t json_ref_len, json_got_len;

static ci_status ins_build_run(oom *o)
{
    ci_status st = ci_insights_build(an, &ins_opts, &o->a, &ins_got);
    if (st != CI_OK)
        assert_null(ins_got);
    return st;
}

static void ins_check(oom *o)
{
    (void)o;
    char *j = NULL;
    size_t n = 0;
    assert_int_equal(ci_insights_json(ins_got, &j, &n), CI_OK);
    assert_true(same_bytes(j, n, json_ref, json_ref_len));
    ci_free(j);
}

static void ins_free(oom *o)
{
    (void)o;
    ci_insights_free(ins_got);
    ins_got = NULL;
    ci_free(json_got);
    json_got = NULL;
    an_free(o);
}

static void ins_json_setup(oom *o)
{
    an_dirty_setup(o);
    assert_int_equal(ci_insights_build(an, &ins_opts, &o->a, &ins_got), CI_OK);
}

static ci_status ins_json_run(oom *o)
{
    (void)o;
    ci_status st = ci_insights_json(ins_got, &json_got, &json_got_len);
    if (st != CI_OK)
        assert_null(json_got);
    return st;
}

static void ins_json_check(oom *o)
{
    (void)o;
    assert_true(same_bytes(json_got, json_got_len, json_ref, json_ref_len));
    /* sentences are written into the caller's buffer: no allocation */
    char buf[600];
    size_t len;
    long before = o->ta.allocs;
    assert_int_equal(ci_insights_sentence(ins_got, 0, buf, sizeof buf, &len), CI_OK);
    assert_int_equal(o->ta.allocs, before);
}

static void test_insights(void **state)
{
    (void)state;
    an = an_other = an_got = NULL; /* a failed test may have left them (leaked) */
    an_saved = NULL;
    ins_got = NULL;
    json_got = NULL;
    uint64_t g = 99;
    for (size_t i = 0; i < NP; i++)
        bh_p[i] = (double)(mix(&g) % 100001) / 100000.0;
    assert_int_equal(ci_benjamini_hochberg(bh_p, NP, bh_q_ref, NULL), CI_OK);
    const oom_case c0 = {"ci_benjamini_hochberg (n > 256)", NULL, bh_run, NULL, bh_check, bh_free};
    run_oom(&c0);

    ci_insight_options_init(&ins_opts);
    ins_opts.min_n = 3;
    ins_opts.alpha = 0.999;
    ins_opts.min_effect = 0;
    ci_insights *ref;
    assert_int_equal(ci_insights_build(an_ref, &ins_opts, NULL, &ref), CI_OK);
    assert_true(ci_insights_count(ref) > 0);
    assert_int_equal(ci_insights_json(ref, &json_ref, &json_ref_len), CI_OK);
    ci_insights_free(ref);
    const oom_case c1 = {"ci_insights_build", an_dirty_setup, ins_build_run, NULL, ins_check,
                         ins_free};
    run_oom(&c1);
    const oom_case c2 = {"ci_insights_json", ins_json_setup, ins_json_run, NULL, ins_json_check,
                         ins_free};
    run_oom(&c2);
    ci_free(json_ref);
}

/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    make_texts();
    make_long_text();
    make_signals();
    if (ci_lexicon_new_builtin(NULL, &lexicon) != CI_OK)
        return -1;
    ci_theme_options o = theme_opts(3);
    ci_theme_trainer *t;
    if (ci_theme_trainer_new(&o, NULL, &t) != CI_OK)
        return -1;
    for (size_t i = 0; i < NTEXTS; i++)
        if (ci_theme_trainer_add(t, texts[i], strlen(texts[i])) != CI_OK)
            return -1;
    ci_status st = ci_theme_trainer_fit(t, &model);
    ci_theme_trainer_free(t);
    if (st != CI_OK || ci_theme_model_save(model, &model_ref, &model_ref_len) != CI_OK)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ci_analyzer_free(an_ref);
    ci_free(model_ref);
    ci_theme_model_free(model);
    ci_lexicon_free(lexicon);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_lexicons),
        cmocka_unit_test(test_lexicon_lookup),
        cmocka_unit_test(test_sentiment),
        cmocka_unit_test(test_theme_training),
        cmocka_unit_test(test_theme_model),
        cmocka_unit_test(test_theme_vectors),
        cmocka_unit_test(test_analyzer),
        cmocka_unit_test(test_insights),
    };
    return cmocka_run_group_tests_name("oom", tests, group_setup, group_teardown);
}
