/* SPDX-License-Identifier: MIT */
/* Sentiment: lexicon loading, VADER compatibility against the reference
 * scores, native rules, intents, explanations, bad input, allocation. */
#include <math.h>
#include <stdio.h>
#include <zlib.h>

#include "testutil.h"

#define VADER_DIR SHARED_DIR "/data/vader"

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static ci_lexicon *vader_lexicon(void)
{
    ci_lexicon *e, *l1, *l2;
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_lexicon_new_empty(NULL, &e), CI_OK);
    assert_int_equal(ci_lexicon_load_file(e, VADER_DIR "/vader_lexicon.txt", CI_LEXICON_VADER, NULL,
                                          &l1, &d), CI_OK);
    assert_int_equal(ci_lexicon_load_file(l1, VADER_DIR "/emoji_utf8_lexicon.txt", CI_LEXICON_EMOJI,
                                          NULL, &l2, &d), CI_OK);
    ci_lexicon_free(e);
    ci_lexicon_free(l1);
    return l2;
}

static ci_sentiment *scorer(const ci_lexicon *lex, int vader, int explain, int sentences)
{
    ci_sentiment_options o;
    ci_sentiment_options_init(&o);
    o.vader_compat = vader;
    o.explain = explain;
    o.sentences = sentences;
    ci_sentiment *s = NULL;
    assert_int_equal(ci_sentiment_new(lex, &o, NULL, &s), CI_OK);
    return s;
}

static ci_sentiment_result score(ci_sentiment *s, const char *text)
{
    ci_sentiment_result r;
    ci_sentiment_result_init(&r);
    assert_int_equal(ci_sentiment_score(s, text, strlen(text), &r), CI_OK);
    return r;
}

/* ------------------------------------------------------------------------ */
/*  VADER compatibility                                                     */
/* ------------------------------------------------------------------------ */

static void test_vader_reference(void **state)
{
    (void)state;
    if (!file_exists(VADER_DIR "/reference.tsv"))
        skip(); /* the library never needs ../shared; this test does */
    ci_lexicon *lex = vader_lexicon();
    ci_sentiment *s = scorer(lex, 1, 0, 0);
    FILE *f = fopen(VADER_DIR "/reference.tsv", "rb");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, total = 0, ok = 0;
    ssize_t n;
    int first = 1;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (first) {
            first = 0;
            continue;
        }
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        double ref[4];
        for (int k = 3; k >= 0; k--) {
            char *tab = strrchr(line, '\t');
            assert_non_null(tab);
            ref[k] = atof(tab + 1);
            *tab = '\0';
        }
        ci_sentiment_result r = score(s, line);
        total++;
        /* columns: compound neg neu pos */
        if (fabs(r.compound - ref[0]) <= 1e-4 + 1e-9 && fabs(r.neg - ref[1]) <= 1e-3 + 1e-9 &&
            fabs(r.neu - ref[2]) <= 1e-3 + 1e-9 && fabs(r.pos - ref[3]) <= 1e-3 + 1e-9)
            ok++;
        else if (total - ok <= 5)
            print_message("# mismatch: [%s] got %.4f %.3f %.3f %.3f\n", line, r.compound, r.neg,
                          r.neu, r.pos);
    }
    free(line);
    fclose(f);
    print_message("# VADER compatibility: %zu/%zu lines (%.3f%%)\n", ok, total,
                  100.0 * (double)ok / (double)total);
    assert_int_equal(total, 15671);
    assert_true((double)ok >= 0.995 * (double)total);
    ci_sentiment_free(s);
    ci_lexicon_free(lex);
}

static void test_vader_known_examples(void **state)
{
    (void)state;
    if (!file_exists(VADER_DIR "/vader_lexicon.txt"))
        skip();
    ci_lexicon *lex = vader_lexicon();
    ci_sentiment *s = scorer(lex, 1, 1, 1);
    /* figures printed by the reference implementation's own demo */
    static const struct { const char *t; double c, neg, neu, pos; } ex[] = {
        {"VADER is smart, handsome, and funny.", 0.8316, 0.0, 0.254, 0.746},
        {"VADER is not smart, handsome, nor funny.", -0.7424, 0.646, 0.354, 0.0},
        {"Today SUX!", -0.5461, 0.779, 0.221, 0.0},
        {"Make sure you :) or :D today!", 0.8633, 0.0, 0.294, 0.706},
        {"Not bad at all", 0.431, 0.0, 0.513, 0.487},
        {"", 0.0, 0.0, 0.0, 0.0},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        ci_sentiment_result r = score(s, ex[i].t);
        if (fabs(r.compound - ex[i].c) > 1e-4 || fabs(r.neg - ex[i].neg) > 1e-3 ||
            fabs(r.neu - ex[i].neu) > 1e-3 || fabs(r.pos - ex[i].pos) > 1e-3)
            fail_msg("[%s]: %.4f %.3f %.3f %.3f", ex[i].t, r.compound, r.neg, r.neu, r.pos);
    }
    /* explanations point at the words, even where emoji were replaced */
    const char *t = "I 😍 this, it is AMAZING";
    ci_sentiment_result r = score(s, t);
    assert_true(r.n_contributions >= 2);
    int saw_emoji = 0, saw_amazing = 0;
    for (size_t i = 0; i < r.n_contributions; i++) {
        ci_contribution c;
        ci_contribution_init(&c);
        assert_int_equal(ci_sentiment_contribution(s, i, &c), CI_OK);
        if (c.length == 4 && memcmp(t + c.offset, "😍", 4) == 0)
            saw_emoji = 1;
        if (c.length == 7 && memcmp(t + c.offset, "AMAZING", 7) == 0) {
            saw_amazing = 1;
            assert_true(c.valence > c.base); /* capitals emphasize */
        }
    }
    assert_true(saw_emoji && saw_amazing);
    ci_sentiment_free(s);
    ci_lexicon_free(lex);
}

/* ------------------------------------------------------------------------ */
/*  Lexicon loading                                                         */
/* ------------------------------------------------------------------------ */

static ci_status load(const ci_lexicon *base, const char *text, int fmt, ci_lexicon **out,
                      ci_diag *d)
{
    ci_diag_init(d);
    return ci_lexicon_load_buffer(base, text, strlen(text), fmt, NULL, out, d);
}

static void test_lexicon_formats(void **state)
{
    (void)state;
    ci_lexicon *l = NULL;
    ci_diag d;
    double v;
    assert_int_equal(load(NULL, "# comment\ngreat\t3.1\r\nsucks\t-2.5\n\n#fail\t-1\n@booster\tmega\t0.4\n"
                               "@negator\tnaw\ncharged twice\t-2.4\n", CI_LEXICON_SIMPLE, &l, &d), CI_OK);
    assert_int_equal(ci_lexicon_size(l), 4);
    assert_int_equal(ci_lexicon_lookup(l, "GREAT", 5, &v), CI_OK);
    assert_true(v == 3.1);
    assert_int_equal(ci_lexicon_lookup(l, "#fail", 5, &v), CI_OK);
    assert_true(v == -1.0);
    assert_int_equal(ci_lexicon_lookup(l, "Charged  Twice", 14, &v), CI_OK);
    assert_true(v == -2.4);
    assert_int_equal(ci_lexicon_lookup(l, "mega", 4, &v), CI_ERR_NOT_FOUND); /* a modifier */
    assert_int_equal(ci_lexicon_lookup(l, "nothing", 7, &v), CI_ERR_NOT_FOUND);

    /* VADER's format, detected automatically; '#-)' is a term there */
    ci_lexicon *l2 = NULL;
    assert_int_equal(load(l, "#-)\t1.5\t0.5\t[1, 2]\ngreat\t1.0\t0.1\t[1]\n", CI_LEXICON_AUTO, &l2, &d), CI_OK);
    assert_int_equal(ci_lexicon_lookup(l2, "#-)", 3, &v), CI_OK);
    assert_true(v == 1.5);
    /* overlay: later entries win, the base is unchanged */
    assert_int_equal(ci_lexicon_lookup(l2, "great", 5, &v), CI_OK);
    assert_true(v == 1.0);
    assert_int_equal(ci_lexicon_lookup(l, "great", 5, &v), CI_OK);
    assert_true(v == 3.1);
    assert_int_equal(ci_lexicon_size(l2), 5);
    ci_lexicon_free(l2);
    ci_lexicon_free(l);
    ci_lexicon_free(NULL);
}

static void test_lexicon_bad_input(void **state)
{
    (void)state;
    static const struct { const char *text; int fmt; ci_status st; int64_t line; } cases[] = {
        {"good\t1.0\nbad\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 2},
        {"good\t1.0\nbad\tworse\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 2},
        {"good\t1.0\nbad\t-1\textra\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 2},
        {"a\t1\nb\t2\nc\t4.5\n", CI_LEXICON_SIMPLE, CI_ERR_RANGE, 3},
        {"a\t1\n\xff\xfe\t1\n", CI_LEXICON_SIMPLE, CI_ERR_UTF8, 2},
        {"\t1.0\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"@frobnicate\tx\t1\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"@booster\tx\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"@intent\tjoy\tyay\t0.5\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"@intent\tchurn\tleaving\t1.5\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"x\tnan\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"x\t1e5\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"x\t1,5\n", CI_LEXICON_SIMPLE, CI_ERR_FORMAT, 1},
        {"ok\t1\t0.1\t[1]\nbroken\n", CI_LEXICON_VADER, CI_ERR_FORMAT, 2},
        {"😀\n", CI_LEXICON_EMOJI, CI_ERR_FORMAT, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ci_lexicon *l = (ci_lexicon *)1;
        ci_diag d;
        ci_status st = load(NULL, cases[i].text, cases[i].fmt, &l, &d);
        if (st != cases[i].st || d.index != cases[i].line)
            fail_msg("case %zu: status %d line %lld (%s)", i, st, (long long)d.index, d.message);
        assert_null(l); /* nothing half-loaded */
        assert_true(strlen(d.message) > 0);
    }
    char big[CI_LEXICON_MAX_TERM + 10];
    memset(big, 'x', sizeof big);
    memcpy(big + CI_LEXICON_MAX_TERM + 1, "\t1\n", 4);
    ci_lexicon *l;
    ci_diag d;
    assert_int_equal(load(NULL, big, CI_LEXICON_SIMPLE, &l, &d), CI_ERR_LIMIT);
    assert_int_equal(ci_lexicon_load_buffer(NULL, "x", 1, 99, NULL, &l, NULL), CI_ERR_INVALID);
    assert_int_equal(ci_lexicon_load_buffer(NULL, NULL, 1, 0, NULL, &l, NULL), CI_ERR_INVALID);
    assert_int_equal(ci_lexicon_load_buffer(NULL, "x\t1", 3, 0, NULL, NULL, NULL), CI_ERR_INVALID);
    ci_diag_init(&d);
    assert_int_equal(ci_lexicon_load_file(NULL, "/nonexistent/lexicon.txt", 0, NULL, &l, &d), CI_ERR_IO);
    assert_null(l);
    assert_non_null(strstr(d.message, "/nonexistent/lexicon.txt"));
}

/* gzip through zlib, for the loader's gzip path. */
static size_t gzip_bytes(const char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static void test_lexicon_gzip(void **state)
{
    (void)state;
    const char *text = "wonderful\t3.2\nawful\t-3.0\n";
    unsigned char gz[256];
    size_t n = gzip_bytes(text, strlen(text), gz, sizeof gz);
    ci_lexicon *l = NULL;
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_lexicon_load_buffer(NULL, (char *)gz, n, CI_LEXICON_AUTO, NULL, &l, &d), CI_OK);
    double v;
    assert_int_equal(ci_lexicon_lookup(l, "awful", 5, &v), CI_OK);
    assert_true(v == -3.0);
    ci_lexicon_free(l);
    /* truncated and corrupted gzip are clear errors */
    for (size_t cut = 2; cut < n; cut += 3) {
        ci_diag_init(&d);
        assert_int_equal(ci_lexicon_load_buffer(NULL, (char *)gz, cut, 0, NULL, &l, &d), CI_ERR_FORMAT);
        assert_null(l);
    }
    gz[n / 2] ^= 0x55;
    ci_status st = ci_lexicon_load_buffer(NULL, (char *)gz, n, 0, NULL, &l, &d);
    assert_true(st == CI_ERR_FORMAT || (st == CI_OK && l)); /* a flipped bit may still inflate */
    ci_lexicon_free(l);
}

static void test_lexicon_alloc_failures(void **state)
{
    (void)state;
    const char *text = "great\t3\nbad\t-2\ncharged twice\t-2.4\n@booster\tvery\t0.3\n@intent\tchurn\tcancel my account\t0.9\n";
    for (long n = 1; n < 200; n++) {
        test_alloc ta = {.fail_at = n};
        ci_allocator a = ta_allocator(&ta);
        ci_lexicon *l = NULL;
        ci_status st = ci_lexicon_load_buffer(NULL, text, strlen(text), 0, &a, &l, NULL);
        if (st == CI_OK) {
            assert_non_null(l);
            ci_lexicon_free(l);
            assert_int_equal(ta.live, 0);
            if (!ta.failed)
                return;
            continue;
        }
        assert_int_equal(st, CI_ERR_NOMEM);
        assert_null(l);
        assert_int_equal(ta.live, 0);
    }
    fail_msg("loading never succeeded");
}

/* ------------------------------------------------------------------------ */
/*  The built-in lexicon and native rules                                   */
/* ------------------------------------------------------------------------ */

static ci_lexicon *builtin(void)
{
    ci_lexicon *l = NULL;
    assert_int_equal(ci_lexicon_new_builtin(NULL, &l), CI_OK);
    return l;
}

static void test_builtin_lexicon(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    assert_true(ci_lexicon_size(l) >= 6000);
    static const char *const negative[] = {
        "refund", "outage", "crash", "charged twice", "on hold", "escalate", "cancel",
        "no response", "terrible", "scam", "😡", ":(",
    };
    static const char *const positive[] = {"works great", "great", "thanks", "seamless", "👍", ":)", "<3"};
    double v;
    for (size_t i = 0; i < sizeof negative / sizeof *negative; i++) {
        if (ci_lexicon_lookup(l, negative[i], strlen(negative[i]), &v) != CI_OK || v >= 0)
            fail_msg("built-in lexicon: %s should be negative", negative[i]);
    }
    for (size_t i = 0; i < sizeof positive / sizeof *positive; i++) {
        if (ci_lexicon_lookup(l, positive[i], strlen(positive[i]), &v) != CI_OK || v <= 0)
            fail_msg("built-in lexicon: %s should be positive", positive[i]);
    }
    ci_lexicon_free(l);
}

static double compound(ci_sentiment *s, const char *t)
{
    return score(s, t).compound;
}

/* Phrases, intent patterns and rule words are matched on the entries of
 * the tokens (see lex_index()): words that the lexicon has only inside a
 * phrase or a pattern, overlays, and a lexicon without the rule words. */
static void test_phrase_and_intent_steps(void **state)
{
    (void)state;
    const char *base_text = "zorp quux blat\t-3\n@intent\tconfusion\tflim * flam\t0.9\n"
                            "good\t2\nbad\t-2\n";
    ci_lexicon *empty = NULL, *base = NULL, *over = NULL;
    assert_int_equal(ci_lexicon_new_empty(NULL, &empty), CI_OK);
    assert_int_equal(ci_lexicon_load_buffer(empty, base_text, strlen(base_text), CI_LEXICON_SIMPLE,
                                            NULL, &base, NULL),
                     CI_OK);
    ci_sentiment *s = scorer(base, 0, 0, 0);
    assert_true(compound(s, "the Zorp quux BLAT today") < -0.4);
    assert_true(compound(s, "zorp quux") == 0);       /* a prefix has no valence */
    assert_true(compound(s, "zorp. quux blat") == 0); /* nor across sentences */
    assert_true(compound(s, "zorp, quux blat") == 0); /* nor across punctuation */
    /* "but" and "never so" work in a lexicon that does not list them */
    assert_true(compound(s, "good but bad") < 0);
    assert_true(compound(s, "bad but good") > 0);
    assert_true(compound(s, "never so good") > compound(s, "good"));
    ci_sentiment_result r = score(s, "flim whatever flam");
    assert_true(r.intent_flags & (1u << CI_INTENT_CONFUSION));
    assert_true(r.intent[CI_INTENT_CONFUSION] > 0.89);
    r = score(s, "flim flam");
    assert_int_equal(r.intent_flags, 0);
    r = score(s, "I am not flim x flam");
    assert_int_equal(r.intent_flags, 0);
    ci_sentiment_free(s);

    /* an overlay with its own phrase inside the old one: the longest wins */
    const char *over_text = "quux blat\t2\nzorp\t1\n@intent\tchurn\tquux * *\t0.8\n";
    assert_int_equal(ci_lexicon_load_buffer(base, over_text, strlen(over_text), CI_LEXICON_SIMPLE,
                                            NULL, &over, NULL),
                     CI_OK);
    s = scorer(over, 0, 1, 0);
    r = score(s, "zorp quux blat now");
    assert_true(r.compound < -0.4);
    assert_int_equal(r.n_contributions, 1);
    assert_true(r.intent_flags & (1u << CI_INTENT_CHURN));
    assert_true(compound(s, "quux blat") > 0.3);
    assert_true(compound(s, "zorp") > 0.2);
    r = score(s, "flim a flam"); /* the base's patterns are still there */
    assert_true(r.intent_flags & (1u << CI_INTENT_CONFUSION));
    assert_false(r.intent_flags & (1u << CI_INTENT_CHURN));
    ci_sentiment_free(s);

    /* a pattern that starts with "*": any word starts it, and the walk
     * from every word must try it */
    ci_lexicon *star = NULL;
    const char *star_text = "@intent\turgency\t* blorf\t0.6\n@intent\tchurn\tzib\t0.5\n";
    assert_int_equal(ci_lexicon_load_buffer(empty, star_text, strlen(star_text), CI_LEXICON_SIMPLE,
                                            NULL, &star, NULL),
                     CI_OK);
    s = scorer(star, 0, 0, 0);
    r = score(s, "so blorf");
    assert_int_equal(r.intent_flags, 1u << CI_INTENT_URGENCY);
    assert_true(fabs(r.intent[CI_INTENT_URGENCY] - 0.6) < 1e-6);
    r = score(s, "blorf"); /* nothing before it */
    assert_int_equal(r.intent_flags, 0);
    r = score(s, "zib blorf"); /* a word with a pattern of its own, then "*" */
    assert_int_equal(r.intent_flags, (1u << CI_INTENT_URGENCY) | (1u << CI_INTENT_CHURN));
    r = score(s, "a blorf and b blorf"); /* twice: 1 - 0.4 * 0.4 */
    assert_true(fabs(r.intent[CI_INTENT_URGENCY] - 0.84) < 1e-6);
    r = score(s, "never x blorf");
    assert_int_equal(r.intent_flags, 0);
    ci_sentiment_free(s);
    ci_lexicon_free(star);
    ci_lexicon_free(over);
    ci_lexicon_free(base);
    ci_lexicon_free(empty);
}

static void test_native_rules(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    ci_sentiment *s = scorer(l, 0, 0, 0);
    double good = compound(s, "the support was good");
    assert_true(good > 0.3);
    assert_true(compound(s, "the support was not good") < 0);               /* negation */
    assert_true(compound(s, "the support wasn't good") < 0);                /* n't form */
    assert_true(compound(s, "the support was very good") > good);           /* booster */
    assert_true(compound(s, "the support was kind of good") < good);        /* dampener */
    assert_true(compound(s, "the support was good!!!") > good);             /* ! emphasis */
    assert_true(compound(s, "the support was GOOD") > good);                /* capitals */
    assert_true(compound(s, "the support was goooood") > 0.3);              /* elongated */
    assert_true(compound(s, "charged twice") < 0);                          /* phrase */
    assert_true(compound(s, "great app but the support is terrible") < 0);  /* but */
    assert_true(compound(s, "terrible app but the support is great") > 0);
    assert_true(compound(s, "😡😡") < -0.5);                                 /* emoji directly */
    assert_true(compound(s, "thanks :)") > 0.3);
    assert_true(compound(s, "not great, terrible") < compound(s, "terrible") + 0.0001 + 1.0);
    assert_true(compound(s, "the least helpful agent") < 0);                /* least */
    assert_true(compound(s, "at least the agent was helpful") > 0);
    assert_true(compound(s, "") == 0.0);
    ci_sentiment_result r = score(s, "the card arrived on tuesday");
    assert_true(r.neu > 0.99);
    ci_sentiment_free(s);
    ci_lexicon_free(l);
}

static void test_intents(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    ci_sentiment *s = scorer(l, 0, 0, 0);
    static const struct { const char *t; int intent; } cases[] = {
        {"I don't understand how do I reset my password", CI_INTENT_CONFUSION},
        {"where is the statement download?", CI_INTENT_CONFUSION},
        {"this is ridiculous, I am fed up with your service", CI_INTENT_FRUSTRATION},
        {"please fix this asap, it is urgent", CI_INTENT_URGENCY},
        {"I want to cancel my subscription, switching to another bank", CI_INTENT_CHURN},
        {"thank you so much, great job", CI_INTENT_PRAISE},
        {"I had to call three times about this", CI_INTENT_EFFORT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ci_sentiment_result r = score(s, cases[i].t);
        if (!(r.intent_flags & (1u << cases[i].intent)))
            fail_msg("[%s]: %s not flagged (%.2f)", cases[i].t, ci_intent_name(cases[i].intent),
                     r.intent[cases[i].intent]);
        assert_true(r.intent[cases[i].intent] >= CI_INTENT_THRESHOLD);
        assert_true(r.intent[cases[i].intent] <= 1.0);
    }
    /* confusion is not dissatisfaction, and negation cancels an intent */
    ci_sentiment_result r = score(s, "how do I change my address?");
    assert_true(r.intent_flags & (1u << CI_INTENT_CONFUSION));
    assert_false(r.intent_flags & (1u << CI_INTENT_FRUSTRATION));
    r = score(s, "I am not frustrated at all");
    assert_false(r.intent_flags & (1u << CI_INTENT_FRUSTRATION));
    r = score(s, "I am not confused, I am furious");
    assert_false(r.intent_flags & (1u << CI_INTENT_CONFUSION));
    assert_true(r.intent_flags & (1u << CI_INTENT_FRUSTRATION));
    r = score(s, "the card arrived on tuesday");
    assert_int_equal(r.intent_flags, 0);
    assert_null(ci_intent_name(-1));
    assert_null(ci_intent_name(CI_INTENT_COUNT));
    assert_string_equal(ci_intent_name(CI_INTENT_CHURN), "churn");
    ci_sentiment_free(s);
    ci_lexicon_free(l);
}

static void test_explanations_and_sentences(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    ci_sentiment *s = scorer(l, 0, 1, 1);
    const char *t = "The app is great. But I was charged twice!\nNo response from support.";
    ci_sentiment_result r = score(s, t);
    assert_int_equal(r.n_sentences, 3);
    ci_sentence_score ss;
    ci_sentence_score_init(&ss);
    assert_int_equal(ci_sentiment_sentence(s, 0, &ss), CI_OK);
    assert_int_equal(ss.offset, 0);
    assert_memory_equal(t + ss.offset, "The app is great.", ss.length);
    assert_true(ss.compound > 0);
    assert_int_equal(ci_sentiment_sentence(s, 1, &ss), CI_OK);
    assert_true(ss.compound < 0);
    assert_int_equal(ci_sentiment_sentence(s, 3, &ss), CI_ERR_NOT_FOUND);
    int saw_phrase = 0;
    for (size_t i = 0; i < r.n_contributions; i++) {
        ci_contribution c;
        ci_contribution_init(&c);
        assert_int_equal(ci_sentiment_contribution(s, i, &c), CI_OK);
        assert_true(c.offset + c.length <= strlen(t));
        if (c.term_len == 13 && memcmp(c.term, "charged twice", 13) == 0) {
            saw_phrase = 1;
            assert_memory_equal(t + c.offset, "charged twice", 13);
            assert_int_equal(c.sentence, 1);
            assert_true(c.valence < 0);
        }
    }
    assert_true(saw_phrase);
    ci_contribution c;
    ci_contribution_init(&c);
    assert_int_equal(ci_sentiment_contribution(s, r.n_contributions, &c), CI_ERR_NOT_FOUND);
    ci_sentiment_free(s);
    ci_lexicon_free(l);
}

/* Words of every length around the scorer's in-slot key sizes (1-3, 4-8,
 * 9-16 bytes, and longer ones through the general map), each with its own
 * valence: each must find exactly its own entry, and a word differing only
 * in its last, first or middle byte none.  Capitalized forms are read from
 * the tokenizer's lower-cased copy, the others from the text itself. */
static void test_word_lengths(void **state)
{
    (void)state;
    char lexsrc[4096] = "", word[32], text[64];
    size_t o = 0;
    for (int n = 1; n <= 24; n++) {
        for (int i = 0; i < n; i++)
            word[i] = (char)('a' + (i * 7 + n) % 26);
        o += (size_t)snprintf(lexsrc + o, sizeof lexsrc - o, "%.*s\t%d.%d\n", n, word, n / 10,
                              n % 10);
    }
    ci_lexicon *l;
    ci_diag d;
    assert_int_equal(load(NULL, lexsrc, CI_LEXICON_SIMPLE, &l, &d), CI_OK);
    ci_sentiment *s = scorer(l, 0, 1, 0);
    for (int n = 1; n <= 24; n++) {
        for (int i = 0; i < n; i++)
            word[i] = (char)('a' + (i * 7 + n) % 26);
        for (int variant = 0; variant < 5; variant++) {
            memcpy(text, word, (size_t)n);
            if (variant == 1)
                text[0] = (char)(text[0] - 'a' + 'A'); /* same word */
            else if (variant == 2)
                text[n - 1] = text[n - 1] == 'z' ? 'y' : (char)(text[n - 1] + 1);
            else if (variant == 3)
                text[0] = text[0] == 'z' ? 'y' : (char)(text[0] + 1);
            else if (variant == 4)
                text[n / 2] = text[n / 2] == 'z' ? 'y' : (char)(text[n / 2] + 1);
            text[n] = '\0';
            ci_sentiment_result r = score(s, text);
            /* a changed letter may hit another length's word only if the
             * lengths match, and every length has one word */
            if (variant >= 2) {
                assert_int_equal(r.n_contributions, 0);
                continue;
            }
            assert_int_equal(r.n_contributions, 1);
            ci_contribution c;
            ci_contribution_init(&c);
            assert_int_equal(ci_sentiment_contribution(s, 0, &c), CI_OK);
            assert_int_equal(c.term_len, (size_t)n);
            assert_memory_equal(c.term, word, (size_t)n);
            assert_true(fabs(c.base - n / 10.0) < 1e-12);
        }
    }
    ci_sentiment_free(s);
    ci_lexicon_free(l);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    ci_sentiment *s = NULL;
    assert_int_equal(ci_sentiment_new(NULL, NULL, NULL, &s), CI_ERR_INVALID);
    assert_int_equal(ci_sentiment_new(l, NULL, NULL, NULL), CI_ERR_INVALID);
    ci_sentiment_options o;
    ci_sentiment_options_init(&o);
    o.struct_size = 4;
    assert_int_equal(ci_sentiment_new(l, &o, NULL, &s), CI_ERR_STRUCT_SIZE);
    assert_null(s);
    s = scorer(l, 0, 0, 0);
    ci_sentiment_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(ci_sentiment_score(s, "x", 1, &r), CI_ERR_STRUCT_SIZE);
    ci_sentiment_result_init(&r);
    assert_int_equal(ci_sentiment_score(s, NULL, 3, &r), CI_ERR_INVALID);
    assert_int_equal(ci_sentiment_score(NULL, "x", 1, &r), CI_ERR_INVALID);
    assert_int_equal(ci_sentiment_score(s, NULL, 0, &r), CI_OK);
    assert_int_equal(ci_sentiment_score(s, "x", (size_t)CI_SENTIMENT_MAX_TEXT + 1, &r), CI_ERR_LIMIT);
    /* invalid UTF-8 and NUL bytes are read, never rejected */
    static const char hostile[] = "terrible \xff\xfe service\0 awful";
    assert_int_equal(ci_sentiment_score(s, hostile, sizeof hostile - 1, &r), CI_OK);
    assert_true(r.compound < 0);
    /* the scorer is still usable after errors */
    r = score(s, "great");
    assert_true(r.compound > 0);
    ci_sentiment_free(s);
    ci_sentiment_free(NULL);
    ci_lexicon_free(l);
}

static void test_scoring_alloc_failures(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    const char *t = "Thanks, but I was charged twice!!! Please cancel my account ASAP 😡";
    ci_sentiment *ref = scorer(l, 0, 1, 1);
    ci_sentiment_result want = score(ref, t);
    ci_sentiment_free(ref);
    for (long n = 1; n < 300; n++) {
        test_alloc ta = {.fail_at = n};
        ci_allocator a = ta_allocator(&ta);
        ci_sentiment_options o;
        ci_sentiment_options_init(&o);
        o.explain = o.sentences = 1;
        ci_sentiment *s = NULL;
        ci_status st = ci_sentiment_new(l, &o, &a, &s);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(s);
            assert_int_equal(ta.live, 0);
            continue;
        }
        ci_sentiment_result r;
        ci_sentiment_result_init(&r);
        st = ci_sentiment_score(s, t, strlen(t), &r);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            /* usable afterwards: the failed allocation is past */
            assert_int_equal(ci_sentiment_score(s, t, strlen(t), &r), CI_OK);
        }
        assert_true(r.compound == want.compound);
        assert_int_equal(r.intent_flags, want.intent_flags);
        ci_sentiment_free(s);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    ci_lexicon_free(l);
}

static void test_no_allocation_in_steady_state(void **state)
{
    (void)state;
    ci_lexicon *l = builtin();
    test_alloc ta = {0};
    ci_allocator a = ta_allocator(&ta);
    for (int vader = 0; vader < 2; vader++) {
        ci_sentiment_options o;
        ci_sentiment_options_init(&o);
        o.vader_compat = vader;
        o.explain = o.sentences = 1;
        ci_sentiment *s = NULL;
        assert_int_equal(ci_sentiment_new(l, &o, &a, &s), CI_OK);
        static const char *const texts[] = {
            "My card was charged twice and I still haven't received a refund!!!",
            "Works great, thanks :) but the app is sooo slow",
            "I don't understand how do I cancel my subscription? Urgent.",
        };
        for (int pass = 0; pass < 3; pass++) {
            long before = ta.allocs;
            for (size_t i = 0; i < 3; i++)
                score(s, texts[i]);
            if (pass > 0)
                assert_int_equal(ta.allocs, before);
        }
        ci_sentiment_free(s);
    }
    assert_int_equal(ta.live, 0);
    ci_lexicon_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vader_reference),
        cmocka_unit_test(test_vader_known_examples),
        cmocka_unit_test(test_lexicon_formats),
        cmocka_unit_test(test_lexicon_bad_input),
        cmocka_unit_test(test_lexicon_gzip),
        cmocka_unit_test(test_lexicon_alloc_failures),
        cmocka_unit_test(test_builtin_lexicon),
        cmocka_unit_test(test_phrase_and_intent_steps),
        cmocka_unit_test(test_native_rules),
        cmocka_unit_test(test_intents),
        cmocka_unit_test(test_explanations_and_sentences),
        cmocka_unit_test(test_word_lengths),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_scoring_alloc_failures),
        cmocka_unit_test(test_no_allocation_in_steady_state),
    };
    return cmocka_run_group_tests_name("sentiment", tests, NULL, NULL);
}
