/* SPDX-License-Identifier: MIT */
/* Analyzer snapshots: round trips, merging loaded partitions, files,
 * corruption of the container and of the payload (re-sealed with a valid
 * CRC so that the payload validator itself is exercised), theme models,
 * allocation failures. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

/* Regressions: each of these once got through (untimed ties decided by
 * arrival order, loaded analyzers starting new accounts at 1970, snapshots
 * with orphan combinations or impossible statistics loading).  Seeing one
 * again fails the test. */
static void known_bug_seen(void)
{
    fail_msg("a fixed bug is back");
}

static ci_str S(const char *s)
{
    ci_str r = {s, strlen(s)};
    return r;
}

/* SplitMix64 */
typedef struct gen {
    uint64_t s;
} gen;

static uint64_t next(gen *g)
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Monday 2024-01-01 00:00 UTC */
#define T0 INT64_C(1704067200)
#define HEADER 36 /* magic 8 | version 4 | reserved 4 | plen 8 | crc 4 | clen 8 */

static const char *const tiers[] = {"free", "pro", "enterprise"};
static const char *const regions[] = {"EMEA", "NA", "APAC", "LATAM"};
static const char *const products[] = {"cards", "loans", "app"};

static const char *text_of(int k)
{
    static char long2[400];
    if (!long2[0])
        for (int i = 0; i < 199; i++)
            memcpy(long2 + 2 * i, "\xC3\xA9", 2); /* 398 bytes, cut to 320 */
    static const char *const t[] = {
        "My card was charged twice, I want a refund ASAP", "Great app, thanks for the quick help!",
        "I don't understand how to reset my password", "Please cancel my subscription",
        "The transfer is still pending, this is ridiculous", "works fine",
        "Die \xC3\x9C" "berweisung h\xC3\xA4ngt", NULL};
    return k == 7 ? long2 : t[k];
}

typedef struct sig {
    ci_signal s;
    ci_attr at[3];
    char acct[16];
    ci_signal_result r;
} sig;

/* Signal i of a deterministic data set, with a result for the bulk path
 * (sentiment and themes only where there is text). */
static void make_signal(uint64_t i, size_t n_themes, sig *m)
{
    gen g = {i * 7919 + 11};
    ci_signal *s = &m->s;
    ci_signal_init(s);
    ci_signal_result_init(&m->r);
    s->kind = CI_SIGNAL_TICKET;
    /* every 50th signal has no time (and no account: untimed account
     * answers are order-dependent, a known bug tested in test_insights) */
    int timed = i % 50 != 7;
    if (timed)
        s->timestamp = T0 + (int64_t)(next(&g) % (86400ull * 100));
    m->at[0].key = S("tier");
    m->at[0].value = S(tiers[next(&g) % 3]);
    m->at[1].key = S("region");
    m->at[1].value = S(regions[next(&g) % 4]);
    m->at[2].key = S("product");
    m->at[2].value = S(products[next(&g) % 3]);
    s->attrs = m->at;
    s->n_attrs = next(&g) % 10 == 0 ? 2 : 3;
    if (timed && next(&g) % 10 < 6) {
        snprintf(m->acct, sizeof m->acct, "acct-%02d", (int)(next(&g) % 25));
        s->account_id = S(m->acct);
    }
    if (next(&g) % 2) {
        int k = (int)(next(&g) % 8);
        s->text = S(text_of(k));
        m->r.has_sentiment = 1;
        m->r.compound = (double)((int)(next(&g) % 2001) - 1000) / 1000.0;
        m->r.neu = 1;
        m->r.intent_flags = (unsigned)(next(&g) % 64) & (unsigned)(next(&g) % 64);
        /* the theme follows the text, as a model's would: one text with one
         * compound and two themes would make the kept example's theme
         * depend on arrival order */
        m->r.theme = n_themes ? k % (int)(n_themes + 1) - 1 : -1;
    }
    if (next(&g) % 3 == 0) {
        s->has |= CI_HAS_NPS;
        s->nps = (double)(next(&g) % 11);
    }
    if (next(&g) % 4 == 0) {
        s->has |= CI_HAS_CSAT;
        s->csat = (double)(1 + next(&g) % 5);
    }
    if (next(&g) % 5 == 0) {
        s->has |= CI_HAS_CES;
        s->ces = (double)(1 + next(&g) % 7);
        s->ces_direction = (int)(next(&g) % 2);
    }
    if (next(&g) % 2) {
        s->has |= CI_HAS_VALUE;
        s->value = (double)(next(&g) % 100000) / 100.0 * (next(&g) % 7 == 0 ? 1e6 : 1.0);
    }
    if (!s->text.len && !s->has) {
        s->has = CI_HAS_NPS;
        s->nps = 10;
    }
}

static ci_analyzer *new_analyzer(size_t n_themes, const ci_allocator *alloc)
{
    ci_str dims[] = {S("tier"), S("region"), S("product")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 3;
    o.n_themes = n_themes;
    ci_analyzer *an = NULL;
    assert_int_equal(ci_analyzer_new(&o, alloc, &an), CI_OK);
    return an;
}

static void feed(ci_analyzer *an, size_t n_themes, uint64_t from, uint64_t to, int reverse)
{
    for (uint64_t k = from; k < to; k++) {
        uint64_t i = reverse ? to - 1 - (k - from) : k;
        sig m;
        make_signal(i, n_themes, &m);
        assert_int_equal(ci_analyzer_add_result(an, &m.s, &m.r, NULL), CI_OK);
    }
}

/* ------------------------------------------------------------------------ */
/*  Comparing analyzers                                                     */
/* ------------------------------------------------------------------------ */

static int same_double(double a, double b, double rel)
{
    return a == b || fabs(a - b) <= rel * (fabs(a) + fabs(b)) || fabs(a - b) < 1e-13;
}

static void assert_same_health(const ci_account_health *x, const ci_account_health *y, double rel)
{
    assert_true(x->account_id.len == y->account_id.len &&
                memcmp(x->account_id.data, y->account_id.data, x->account_id.len) == 0);
    assert_int_equal(x->contacts, y->contacts);
    assert_true(x->first_seen == y->first_seen && x->last_seen == y->last_seen);
    assert_int_equal(x->contacts_recent, y->contacts_recent);
    assert_true(x->contacts_baseline == y->contacts_baseline);
    assert_true(x->frequency_change == y->frequency_change);
    assert_int_equal(x->repeat_contacts, y->repeat_contacts);
    assert_int_equal(x->top_theme, y->top_theme);
    assert_int_equal(x->top_theme_contacts, y->top_theme_contacts);
    assert_int_equal(x->sentiment_n, y->sentiment_n);
    assert_true(same_double(x->sentiment_mean, y->sentiment_mean, rel));
    assert_true(same_double(x->sentiment_slope, y->sentiment_slope, rel ? 1e-8 : 0));
    assert_true(x->sentiment_last == y->sentiment_last);
    assert_int_equal(x->has_nps, y->has_nps);
    assert_true(x->last_nps == y->last_nps && x->last_nps_time == y->last_nps_time);
    assert_int_equal(x->churn_mentions, y->churn_mentions);
    assert_int_equal(x->has_value, y->has_value);
    assert_true(x->value == y->value);
    assert_true(same_double(x->churn_risk, y->churn_risk, rel ? 1e-9 : 0));
    assert_int_equal(x->reasons, y->reasons);
    for (int k = 0; k < CI_RISK_COUNT; k++)
        assert_true(same_double(x->reason_weight[k], y->reason_weight[k], rel ? 1e-8 : 0));
}

static void assert_same_stats(const ci_segment_stats *x, const ci_segment_stats *y)
{
    assert_int_equal(x->count, y->count);
    assert_int_equal(x->nps_responses, y->nps_responses);
    assert_int_equal(x->nps_promoters, y->nps_promoters);
    assert_int_equal(x->nps_detractors, y->nps_detractors);
    assert_int_equal(x->nps_passives, y->nps_passives);
    assert_int_equal(x->csat_satisfied, y->csat_satisfied);
    assert_int_equal(x->csat_responses, y->csat_responses);
    assert_int_equal(x->ces_responses, y->ces_responses);
    assert_int_equal(x->sentiment_n, y->sentiment_n);
    assert_int_equal(x->value_n, y->value_n);
    assert_true(x->value_sum == y->value_sum); /* exact */
    assert_true(x->nps == y->nps && x->csat == y->csat); /* from counts */
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        assert_int_equal(x->intent_count[k], y->intent_count[k]);
    assert_true(same_double(x->ces_mean, y->ces_mean, 1e-12));
    assert_true(same_double(x->ces_variance, y->ces_variance, 1e-9));
    assert_true(same_double(x->sentiment_mean, y->sentiment_mean, 1e-12));
    assert_true(same_double(x->sentiment_variance, y->sentiment_variance, 1e-9));
}

/* Every observable of a equals b's: dimensions, segments overall and per
 * bucket, theme counts, examples, accounts and the riskiest list.
 * rel: tolerance for accumulated means (0 = bit-identical accounts). */
static void assert_same_analyzers(const ci_analyzer *a, const ci_analyzer *b, double rel)
{
    size_t nd = ci_analyzer_dimension_count(a);
    assert_int_equal(nd, ci_analyzer_dimension_count(b));
    for (size_t d = 0; d < nd; d++) {
        ci_str x = ci_analyzer_dimension(a, d), y = ci_analyzer_dimension(b, d);
        assert_true(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    }
    for (unsigned bk = CI_BUCKET_DAY; bk <= CI_BUCKET_MONTH; bk <<= 1)
        for (size_t q = 0;; q++) {
            int64_t s1 = 0, s2 = 0;
            ci_status b1 = ci_analyzer_bucket(a, bk, q, &s1), b2 = ci_analyzer_bucket(b, bk, q, &s2);
            assert_int_equal(b1, b2);
            if (b1 != CI_OK)
                break;
            assert_true(s1 == s2);
        }
    assert_int_equal(ci_analyzer_segment_count(a), ci_analyzer_segment_count(b));
    for (size_t i = 0; i < ci_analyzer_segment_count(a); i++) {
        ci_str v[CI_ANALYZER_MAX_DIMENSIONS];
        ci_segment_stats x, y;
        ci_segment_stats_init(&x);
        ci_segment_stats_init(&y);
        assert_int_equal(ci_analyzer_segment(a, i, v, &x), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find(b, v, &j), CI_OK);
        assert_int_equal(ci_analyzer_segment(b, j, NULL, &y), CI_OK);
        assert_same_stats(&x, &y);
        assert_int_equal(ci_analyzer_segment_depth(a, i), ci_analyzer_segment_depth(b, j));
        assert_int_equal(ci_analyzer_segment_texts(a, i), ci_analyzer_segment_texts(b, j));
        for (size_t t = 0; t < 8; t++)
            assert_int_equal(ci_analyzer_segment_theme(a, i, t), ci_analyzer_segment_theme(b, j, t));
        for (size_t e = 0;; e++) {
            ci_str t1, t2;
            double c1, c2;
            int th1, th2;
            ci_status s1 = ci_analyzer_segment_example(a, i, e, &t1, &c1, &th1);
            ci_status s2 = ci_analyzer_segment_example(b, j, e, &t2, &c2, &th2);
            assert_int_equal(s1, s2);
            if (s1 != CI_OK)
                break;
            assert_true(t1.len == t2.len && memcmp(t1.data, t2.data, t1.len) == 0);
            assert_true(c1 == c2);
            assert_int_equal(th1, th2);
        }
        for (unsigned bk = CI_BUCKET_DAY; bk <= CI_BUCKET_MONTH; bk <<= 1)
            for (size_t q = 0;; q++) {
                int64_t st;
                if (ci_analyzer_bucket(a, bk, q, &st) != CI_OK)
                    break;
                ci_segment_stats bx, by;
                ci_segment_stats_init(&bx);
                ci_segment_stats_init(&by);
                ci_status r1 = ci_analyzer_segment_bucket(a, i, bk, st, &bx);
                ci_status r2 = ci_analyzer_segment_bucket(b, j, bk, st, &by);
                assert_int_equal(r1, r2);
                if (r1 == CI_OK)
                    assert_same_stats(&bx, &by);
            }
    }
    size_t na = ci_analyzer_account_count(a);
    assert_int_equal(na, ci_analyzer_account_count(b));
    for (size_t i = 0; i < na; i++) {
        ci_account_health x, y;
        ci_account_health_init(&x);
        ci_account_health_init(&y);
        assert_int_equal(ci_analyzer_account(a, i, &x), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find_account(b, x.account_id.data, x.account_id.len, &j), CI_OK);
        assert_int_equal(ci_analyzer_account(b, j, &y), CI_OK);
        assert_same_health(&x, &y, rel);
    }
    /* the riskiest list names the same accounts in the same order */
    size_t ia[64], ib[64], n1 = 0, n2 = 0;
    assert_int_equal(ci_analyzer_riskiest(a, 64, ia, &n1), CI_OK);
    assert_int_equal(ci_analyzer_riskiest(b, 64, ib, &n2), CI_OK);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, na < 64 ? na : 64);
    for (size_t k = 0; k < n1; k++) {
        ci_account_health x, y;
        ci_account_health_init(&x);
        ci_account_health_init(&y);
        assert_int_equal(ci_analyzer_account(a, ia[k], &x), CI_OK);
        assert_int_equal(ci_analyzer_account(b, ib[k], &y), CI_OK);
        assert_true(x.account_id.len == y.account_id.len &&
                    memcmp(x.account_id.data, y.account_id.data, x.account_id.len) == 0);
    }
}

static char *save(const ci_analyzer *an, size_t *len)
{
    char *d = NULL;
    assert_int_equal(ci_analyzer_save(an, &d, len), CI_OK);
    assert_non_null(d);
    return d;
}

static ci_analyzer *load(const char *d, size_t len)
{
    ci_analyzer *an = NULL;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_analyzer_load(d, len, NULL, NULL, &an, &diag);
    if (st != CI_OK) {
        print_error("load: %s: %s\n", ci_status_string(st), diag.message);
        fail();
    }
    assert_int_equal(diag.status, CI_OK); /* cleared on success */
    assert_true(diag.message[0] == 0);
    return an;
}

/* ------------------------------------------------------------------------ */
/*  1. Round trip                                                           */
/* ------------------------------------------------------------------------ */

static void test_round_trip(void **state)
{
    (void)state;
    ci_analyzer *an = new_analyzer(4, NULL);
    feed(an, 4, 0, 1500, 0);
    assert_true(ci_analyzer_account_count(an) == 25);
    size_t len;
    char *d = save(an, &len);
    assert_true(len > HEADER && memcmp(d, "CISNAP\0\0", 8) == 0);
    ci_analyzer *l = load(d, len);
    /* accounts are copied, not recomputed: bit-identical */
    assert_same_analyzers(an, l, 0);
    assert_same_analyzers(l, an, 0);
    /* the examples survived, the long one cut at a character boundary */
    ci_str t;
    int found_long = 0;
    for (size_t e = 0; ci_analyzer_segment_example(l, 0, e, &t, NULL, NULL) == CI_OK; e++) {
        assert_int_equal(ci_utf8_validate(t.data, t.len, NULL), CI_OK);
        found_long |= t.len == CI_ANALYZER_EXAMPLE_BYTES;
    }
    assert_true(found_long); /* the 398-byte text is among the most negative */
    /* save(load(x)) is save(x), byte for byte */
    size_t len2;
    char *d2 = save(l, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(d, d2, len);
    /* and saving twice gives the same bytes */
    size_t len3;
    char *d3 = save(an, &len3);
    assert_int_equal(len3, len);
    assert_memory_equal(d, d3, len);
    ci_free(d2);
    ci_free(d3);

    /* (adding to a loaded analyzer: test_loaded_analyzer_grows_regression) */
    feed(an, 4, 1500, 1600, 0);
    ci_free(d);
    ci_analyzer_free(l);

    /* a merged analyzer (cells table grown by merges) round-trips too */
    ci_analyzer *m = new_analyzer(4, NULL), *p = new_analyzer(4, NULL);
    feed(p, 4, 0, 700, 1);
    assert_int_equal(ci_analyzer_merge(m, p), CI_OK);
    ci_analyzer_free(p);
    p = new_analyzer(4, NULL);
    feed(p, 4, 700, 1600, 0);
    assert_int_equal(ci_analyzer_merge(m, p), CI_OK);
    ci_analyzer_free(p);
    d = save(m, &len);
    l = load(d, len);
    assert_same_analyzers(m, l, 0);
    assert_same_analyzers(an, l, 1e-12);
    /* cells are saved in the order they were made, and loaded in the same
     * order, so the bytes do not depend on hash-table layout either */
    d2 = save(l, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(d, d2, len);
    ci_free(d);
    ci_free(d2);
    ci_analyzer_free(l);
    ci_analyzer_free(m);
    ci_analyzer_free(an);
}

/* Edge configurations: nothing seen, no dimension, no buckets. */
static void test_round_trip_edges(void **state)
{
    (void)state;
    /* empty, with dimensions and themes */
    ci_analyzer *an = new_analyzer(3, NULL);
    size_t len;
    char *d = save(an, &len);
    ci_analyzer *l = load(d, len);
    assert_int_equal(ci_analyzer_segment_count(l), 1);
    assert_int_equal(ci_analyzer_account_count(l), 0);
    assert_int_equal(ci_analyzer_dimension_count(l), 3);
    assert_same_analyzers(an, l, 0);
    /* it merges into a configured analyzer, changing nothing (merging
     * into a loaded analyzer: test_loaded_analyzer_grows_regression) */
    ci_analyzer *full = new_analyzer(3, NULL), *full2 = new_analyzer(3, NULL);
    feed(full, 3, 0, 200, 0);
    feed(full2, 3, 0, 200, 0);
    assert_int_equal(ci_analyzer_merge(full2, l), CI_OK);
    assert_same_analyzers(full, full2, 0);
    ci_analyzer_free(full2);
    ci_free(d);
    ci_analyzer_free(l);
    ci_analyzer_free(an);
    ci_analyzer_free(full);

    /* no dimensions, no buckets, untimed and timed signals */
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.buckets = 0;
    o.max_depth = 0;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_OK);
    for (int i = 0; i < 20; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.has = CI_HAS_NPS | CI_HAS_VALUE;
        s.nps = i % 11;
        s.value = 0.1 * i;
        if (i % 2)
            s.timestamp = T0 + i * 86400;
        s.account_id = S(i % 3 ? "x" : "y");
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
    d = save(an, &len);
    l = load(d, len);
    assert_same_analyzers(an, l, 0);
    int64_t start;
    assert_int_equal(ci_analyzer_bucket(l, CI_BUCKET_DAY, 0, &start), CI_ERR_NOT_FOUND);
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(l, 0, NULL, &st), CI_OK);
    assert_int_equal(st.count, 20);
    assert_true(st.value_sum == 19.0); /* 0.1 * (0 + ... + 19), summed exactly */
    char *d2;
    size_t len2;
    d2 = save(l, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(d, d2, len);
    ci_free(d);
    ci_free(d2);
    ci_analyzer_free(l);
    ci_analyzer_free(an);

    /* bad arguments */
    char *out = (char *)1;
    size_t ol = 7;
    assert_int_equal(ci_analyzer_save(NULL, &out, &ol), CI_ERR_INVALID);
    an = new_analyzer(0, NULL);
    assert_int_equal(ci_analyzer_save(an, NULL, &ol), CI_ERR_INVALID);
    assert_int_equal(ci_analyzer_save(an, &out, NULL), CI_ERR_INVALID);
    d = save(an, &len);
    ci_diag diag;
    ci_diag_init(&diag);
    assert_int_equal(ci_analyzer_load(d, len, NULL, NULL, NULL, &diag), CI_ERR_INVALID);
    assert_int_equal(diag.status, CI_ERR_INVALID);
    l = (ci_analyzer *)1;
    assert_int_equal(ci_analyzer_load(NULL, 5, NULL, NULL, &l, NULL), CI_ERR_INVALID);
    assert_null(l);
    assert_int_equal(ci_analyzer_load(NULL, 0, NULL, NULL, &l, NULL), CI_ERR_FORMAT);
    ci_analyzer_options_init(&o);
    o.struct_size = 8;
    assert_int_equal(ci_analyzer_load(d, len, &o, NULL, &l, NULL), CI_ERR_STRUCT_SIZE);
    ci_allocator never;
    memset(&never, 0, sizeof never);
    assert_int_equal(ci_analyzer_load(d, len, NULL, &never, &l, NULL), CI_ERR_INVALID);
    assert_null(l);
    ci_free(d);
    ci_analyzer_free(an);
}

/* ------------------------------------------------------------------------ */
/*  2. Loaded partitions merge into the whole                               */
/* ------------------------------------------------------------------------ */

static void test_loaded_partitions_merge(void **state)
{
    (void)state;
    ci_analyzer *all = new_analyzer(4, NULL);
    feed(all, 4, 0, 1800, 0);
    const uint64_t cut[4] = {0, 600, 1100, 1800};
    char *d[3];
    size_t len[3];
    for (int k = 0; k < 3; k++) {
        ci_analyzer *p = new_analyzer(4, NULL);
        feed(p, 4, cut[k], cut[k + 1], k % 2);
        d[k] = save(p, &len[k]);
        ci_analyzer_free(p);
    }
    /* into a fresh analyzer made with ci_analyzer_new (into a loaded one:
     * test_loaded_analyzer_grows_regression), in two orders */
    ci_analyzer *m3 = new_analyzer(4, NULL), *m2 = new_analyzer(4, NULL);
    for (int k = 0; k < 3; k++) {
        ci_analyzer *p = load(d[k], len[k]);
        assert_int_equal(ci_analyzer_merge(m3, p), CI_OK);
        ci_analyzer_free(p);
    }
    assert_same_analyzers(all, m3, 1e-12);
    assert_same_analyzers(m3, all, 1e-12);
    for (int k = 2; k >= 0; k--) {
        ci_analyzer *p = load(d[k], len[k]);
        assert_int_equal(ci_analyzer_merge(m2, p), CI_OK);
        ci_analyzer_free(p);
    }
    assert_same_analyzers(all, m2, 1e-12);
    /* a snapshot of another configuration does not merge */
    ci_analyzer *other = NULL;
    assert_int_equal(ci_analyzer_new(NULL, NULL, &other), CI_OK);
    assert_int_equal(ci_analyzer_merge(m3, other), CI_ERR_INVALID);
    ci_analyzer *three = new_analyzer(3, NULL);
    assert_int_equal(ci_analyzer_merge(m3, three), CI_ERR_INVALID); /* theme count differs */
    ci_analyzer_free(three);
    ci_analyzer_free(other);
    for (int k = 0; k < 3; k++)
        ci_free(d[k]);
    ci_analyzer_free(m2);
    ci_analyzer_free(m3);
    ci_analyzer_free(all);
}

/* ------------------------------------------------------------------------ */
/*  3. Files                                                                */
/* ------------------------------------------------------------------------ */

static void test_files(void **state)
{
    (void)state;
    char path[256], tmp[270];
    snprintf(path, sizeof path, "/tmp/libci-test-snapshot-%ld.bin", (long)getpid());
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ci_analyzer *an = new_analyzer(4, NULL);
    feed(an, 4, 0, 400, 0);
    assert_int_equal(ci_analyzer_save_file(an, path), CI_OK);
    struct stat sb;
    assert_int_equal(stat(tmp, &sb), -1); /* renamed into place */
    size_t len;
    char *d = save(an, &len);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(len + 16);
    assert_non_null(buf);
    size_t got = fread(buf, 1, len + 16, f);
    fclose(f);
    assert_int_equal(got, len);
    assert_memory_equal(buf, d, len); /* the file is the bytes of ci_analyzer_save */
    free(buf);
    ci_analyzer *l = NULL;
    ci_diag diag;
    ci_diag_init(&diag);
    assert_int_equal(ci_analyzer_load_file(path, NULL, NULL, &l, &diag), CI_OK);
    assert_same_analyzers(an, l, 0);
    ci_analyzer_free(l);
    /* overwriting works */
    feed(an, 4, 400, 500, 0);
    assert_int_equal(ci_analyzer_save_file(an, path), CI_OK);
    assert_int_equal(ci_analyzer_load_file(path, NULL, NULL, &l, NULL), CI_OK);
    assert_same_analyzers(an, l, 0);
    ci_analyzer_free(l);
    assert_int_equal(remove(path), 0);

    /* a missing file, a directory that does not exist */
    l = (ci_analyzer *)1;
    ci_diag_init(&diag);
    assert_int_equal(ci_analyzer_load_file(path, NULL, NULL, &l, &diag), CI_ERR_IO);
    assert_null(l);
    assert_int_equal(diag.status, CI_ERR_IO);
    assert_true(diag.message[0] != 0);
    assert_int_equal(ci_analyzer_save_file(an, "/nonexistent-libci-dir/x.snap"), CI_ERR_IO);
    assert_int_equal(stat("/nonexistent-libci-dir/x.snap.tmp", &sb), -1);
    assert_int_equal(ci_analyzer_save_file(NULL, path), CI_ERR_INVALID);
    assert_int_equal(ci_analyzer_save_file(an, NULL), CI_ERR_INVALID);
    assert_int_equal(ci_analyzer_load_file(NULL, NULL, NULL, &l, NULL), CI_ERR_INVALID);
    assert_int_equal(ci_analyzer_load_file(path, NULL, NULL, NULL, NULL), CI_ERR_INVALID);
    /* a file that is not a snapshot */
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("hello, not a snapshot at all; long enough for a header", f);
    fclose(f);
    ci_diag_init(&diag);
    assert_int_equal(ci_analyzer_load_file(path, NULL, NULL, &l, &diag), CI_ERR_FORMAT);
    assert_true(diag.message[0] != 0);
    /* a directory */
    assert_int_equal(ci_analyzer_load_file("/tmp", NULL, NULL, &l, NULL) < 0, 1);
    assert_null(l);
    remove(path);
    ci_free(d);
    ci_analyzer_free(an);
}

/* ------------------------------------------------------------------------ */
/*  4. Corruption                                                           */
/* ------------------------------------------------------------------------ */

static uint64_t ld64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static void st32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void st64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* The payload of a snapshot (malloc'd), inflated with zlib. */
static unsigned char *unseal(const char *d, size_t len, size_t *plen)
{
    assert_true(len > HEADER);
    const unsigned char *h = (const unsigned char *)d;
    uint64_t pl = ld64(h + 16), cl = ld64(h + 28);
    assert_true(cl == len - HEADER);
    unsigned char *p = malloc(pl + 1);
    assert_non_null(p);
    uLongf dl = (uLongf)pl;
    assert_int_equal(uncompress(p, &dl, h + HEADER, (uLong)cl), Z_OK);
    assert_int_equal(dl, pl);
    assert_int_equal(crc32(0, p, (uInt)pl), ld64(h + 24) & 0xFFFFFFFFu);
    *plen = (size_t)pl;
    return p;
}

/* Offsets in a payload, by walking the layout of src/persistence/snapshot.c. */
typedef struct layout {
    size_t ntheme;      /* offset of the u64 theme count */
    size_t first_cell;  /* offset of the first cell's key */
    size_t first_stats; /* offset of the first cell's statistics */
    size_t first_ex;    /* offset of the first example (its compound), 0 if none */
    size_t second_ex;   /* offset of the second example of the same combination, 0 if none */
    size_t accounts;    /* offset of the u64 account count */
    size_t cells[4];    /* offsets of the first four cells' keys */
    size_t ncombo, ncell;
    size_t orphans;     /* combinations that no cell belongs to */
} layout;

static uint32_t rd32(const unsigned char *p, size_t *o)
{
    uint32_t v = (uint32_t)p[*o] | (uint32_t)p[*o + 1] << 8 | (uint32_t)p[*o + 2] << 16 |
                 (uint32_t)p[*o + 3] << 24;
    *o += 4;
    return v;
}

static uint64_t rd64(const unsigned char *p, size_t *o)
{
    uint64_t v = ld64(p + *o);
    *o += 8;
    return v;
}

static size_t skip_stats(const unsigned char *p, size_t o)
{
    o += 7 * 8 + 2 * 24 + 8; /* counts, two Welfords, texts */
    uint32_t ni = rd32(p, &o);
    o += 8 * (size_t)ni + 8; /* intents, value_n */
    uint32_t nv = rd32(p, &o);
    return o + 8 * (size_t)nv;
}

static layout walk(const unsigned char *p, size_t plen)
{
    layout l;
    memset(&l, 0, sizeof l);
    size_t o = 0;
    uint32_t nd = rd32(p, &o);
    for (uint32_t d = 0; d < nd; d++)
        o += rd32(p, &o);
    o += 8; /* depth, buckets */
    l.ntheme = o;
    o += 16; /* ntheme, max_ts */
    uint64_t nc = rd64(p, &o);
    for (uint64_t c = 0; c < nc; c++) {
        o += rd32(p, &o); /* key */
        uint32_t nex = rd32(p, &o);
        for (uint32_t j = 0; j < nex; j++) {
            if (!l.first_ex)
                l.first_ex = o;
            else if (j == 1 && !l.second_ex && nex >= 2)
                l.second_ex = o;
            o += 12;
            o += rd32(p, &o);
        }
    }
    uint64_t ncell = rd64(p, &o);
    l.ncombo = (size_t)nc;
    l.ncell = (size_t)ncell;
    unsigned char *seen = calloc((size_t)nc + 1, 1);
    assert_non_null(seen);
    for (uint64_t c = 0; c < ncell; c++) {
        if (!c)
            l.first_cell = o;
        if (c < 4)
            l.cells[c] = o;
        uint64_t key = ld64(p + o);
        if ((key >> 32) < nc)
            seen[key >> 32] = 1;
        o += 8;
        if (!c)
            l.first_stats = o;
        o = skip_stats(p, o);
        uint32_t nz = rd32(p, &o);
        o += 12 * (size_t)nz;
    }
    l.accounts = o;
    assert_true(o <= plen);
    for (uint64_t c = 0; c < nc; c++)
        l.orphans += !seen[c];
    free(seen);
    return l;
}

/* A container around payload p, with its CRC and lengths right, and the
 * header's first 16 bytes (magic, version, reserved) taken from orig. */
static char *seal(const char *orig, const unsigned char *p, size_t plen, size_t *len)
{
    uLongf cl = compressBound((uLong)plen);
    char *o = malloc(HEADER + cl);
    assert_non_null(o);
    memcpy(o, orig, 16);
    assert_int_equal(compress2((Bytef *)o + HEADER, &cl, p, (uLong)plen, 1), Z_OK);
    unsigned char *h = (unsigned char *)o;
    st64(h + 16, plen);
    st32(h + 24, (uint32_t)crc32(0, p, (uInt)plen));
    st64(h + 28, cl);
    *len = HEADER + cl;
    return o;
}

/* An allocator that counts (test_alloc) and refuses any single request
 * above a cap, so that a corrupt size cannot make a test allocate (and
 * zero) gigabytes; such a refusal is reported as capped. */
typedef struct capped {
    test_alloc ta;
    size_t cap;
    int capped;
} capped;

static void *cap_malloc(void *ud, size_t n)
{
    capped *c = ud;
    if (n > c->cap) {
        c->capped = 1;
        return NULL;
    }
    return ta_malloc(&c->ta, n);
}

static void *cap_realloc(void *ud, void *p, size_t n)
{
    capped *c = ud;
    if (n > c->cap) {
        c->capped = 1;
        return NULL;
    }
    return ta_realloc(&c->ta, p, n);
}

static void cap_free(void *ud, void *p)
{
    ta_free(&((capped *)ud)->ta, p);
}

static ci_allocator cap_allocator(capped *c)
{
    ci_allocator a;
    ci_allocator_init(&a);
    a.malloc_fn = cap_malloc;
    a.realloc_fn = cap_realloc;
    a.free_fn = cap_free;
    a.user_data = c;
    return a;
}

/* Read everything a loaded analyzer offers (and compute on it); a corrupt
 * snapshot that loads must still be safe to use.  full: also trends,
 * insights and a save / load round (the slow part). */
static void read_everything(ci_analyzer *an, int full)
{
    /* the summary may need more memory than the capped allocator gives
     * (a corrupt theme count, say): refused cleanly, nothing to read */
    ci_status sst = ci_analyzer_summarize(an);
    if (sst == CI_ERR_NOMEM)
        return;
    assert_int_equal(sst, CI_OK);
    size_t ns = ci_analyzer_segment_count(an);
    assert_true(ns >= 1);
    size_t nd = ci_analyzer_dimension_count(an);
    assert_true(nd <= CI_ANALYZER_MAX_DIMENSIONS);
    for (size_t d = 0; d < nd; d++)
        assert_non_null(ci_analyzer_dimension(an, d).data);
    ci_segment_stats pop;
    ci_segment_stats_init(&pop);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &pop), CI_OK);
    for (size_t i = 0; i < ns; i++) {
        ci_str v[CI_ANALYZER_MAX_DIMENSIONS];
        ci_segment_stats st;
        ci_segment_stats_init(&st);
        assert_int_equal(ci_analyzer_segment(an, i, v, &st), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find(an, v, &j), CI_OK);
        assert_int_equal(j, i);
        assert_true(st.count <= pop.count);
        assert_true(st.nps_responses <= st.count && st.csat_satisfied <= st.csat_responses);
        for (size_t t = 0; t < 8; t++)
            (void)ci_analyzer_segment_theme(an, i, t);
        (void)ci_analyzer_segment_texts(an, i);
        (void)ci_analyzer_segment_depth(an, i);
        ci_str t;
        for (size_t e = 0; ci_analyzer_segment_example(an, i, e, &t, NULL, NULL) == CI_OK; e++)
            assert_true(t.len <= CI_ANALYZER_EXAMPLE_BYTES && e < CI_ANALYZER_EXAMPLES);
        for (int m = CI_METRIC_NPS; m <= CI_METRIC_INTENT; m++) {
            ci_comparison c;
            ci_comparison_init(&c);
            (void)ci_analyzer_compare(an, i, m, m == CI_METRIC_INTENT ? CI_INTENT_CHURN : 0, &c);
        }
        for (unsigned bk = CI_BUCKET_DAY; full && bk <= CI_BUCKET_MONTH; bk <<= 1) {
            ci_trend tr;
            ci_trend_init(&tr);
            (void)ci_analyzer_trend(an, i, CI_METRIC_NPS, 0, bk, 0, &tr);
            int64_t start;
            for (size_t q = 0; ci_analyzer_bucket(an, bk, q, &start) == CI_OK; q++) {
                ci_segment_stats_init(&st);
                (void)ci_analyzer_segment_bucket(an, i, bk, start, &st);
            }
        }
    }
    size_t na = ci_analyzer_account_count(an);
    for (size_t i = 0; i < na; i++) {
        ci_account_health h;
        ci_account_health_init(&h);
        assert_int_equal(ci_analyzer_account(an, i, &h), CI_OK);
        assert_true(h.churn_risk >= 0 && h.churn_risk <= 1);
        size_t j;
        assert_int_equal(ci_analyzer_find_account(an, h.account_id.data, h.account_id.len, &j), CI_OK);
        assert_int_equal(j, i);
    }
    size_t idx[16], n;
    assert_int_equal(ci_analyzer_riskiest(an, 16, idx, &n), CI_OK);
    if (!full)
        return;
    ci_insights *ins = NULL;
    ci_status st = ci_insights_build(an, NULL, NULL, &ins);
    assert_true(st == CI_OK || st == CI_ERR_NOMEM);
    if (ins) {
        char *json = NULL;
        assert_int_equal(ci_insights_json(ins, &json, NULL), CI_OK);
        ci_free(json);
    }
    ci_insights_free(ins);
    /* what loads saves, and what it saves loads again */
    char *d;
    size_t len;
    assert_int_equal(ci_analyzer_save(an, &d, &len), CI_OK);
    ci_analyzer *again = NULL;
    ci_diag diag;
    ci_diag_init(&diag);
    st = ci_analyzer_load(d, len, NULL, NULL, &again, &diag);
    if (st != CI_OK) {
        print_error("a loaded snapshot saved as one that does not load: %s\n", diag.message);
        fail();
    }
    ci_analyzer_free(again);
    ci_free(d);
}

/* A small analyzer whose snapshot is quick to corrupt exhaustively. */
static ci_analyzer *small_analyzer(uint64_t n)
{
    ci_str dims[] = {S("tier"), S("region")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 2;
    o.n_themes = 3;
    ci_analyzer *an = NULL;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_OK);
    for (uint64_t i = 0; i < n; i++) {
        sig m;
        make_signal(i, 3, &m);
        m.s.n_attrs = 2;
        assert_int_equal(ci_analyzer_add_result(an, &m.s, &m.r, NULL), CI_OK);
    }
    return an;
}

/* Do two containers of the same length inflate to the same payload? */
static int same_payload(const char *a, const char *b, size_t len)
{
    size_t la, lb;
    unsigned char *pa = unseal(a, len, &la), *pb = unseal(b, len, &lb);
    int same = la == lb && memcmp(pa, pb, la) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Load a corrupt container: an error with a message, never an analyzer. */
static ci_status load_bad(const char *d, size_t len)
{
    capped c = {.cap = (size_t)64 << 20};
    ci_allocator a = cap_allocator(&c);
    ci_analyzer *out = (ci_analyzer *)1;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_analyzer_load(d, len, NULL, &a, &out, &diag);
    if (st == CI_OK) {
        ci_analyzer_free(out);
        assert_int_equal(c.ta.live, 0);
        return st;
    }
    assert_null(out);
    assert_int_equal(c.ta.live, 0);
    assert_false(c.capped);
    assert_int_equal(diag.status, st);
    assert_true(diag.message[0] != 0);
    return st;
}

static void test_container_corruption(void **state)
{
    (void)state;
    ci_analyzer *an = small_analyzer(24);
    size_t len;
    char *d = save(an, &len);
    char *buf = malloc(len + 64);
    assert_non_null(buf);

    /* every truncation: too short for a header, or shorter than it says */
    for (size_t n = 0; n < len; n++) {
        ci_status st = load_bad(d, n);
        assert_int_equal(st, n < HEADER ? CI_ERR_FORMAT : CI_ERR_CHECKSUM);
    }
    /* padded */
    memcpy(buf, d, len);
    buf[len] = 0;
    assert_int_equal(load_bad(buf, len + 1), CI_ERR_CHECKSUM);

    /* every single-byte change, four ways */
    static const unsigned char masks[] = {0x01, 0x10, 0x80, 0xFF};
    for (size_t i = 0; i < len; i++) {
        for (size_t k = 0; k < sizeof masks; k++) {
            memcpy(buf, d, len);
            buf[i] = (char)(buf[i] ^ masks[k]);
            ci_status st = load_bad(buf, len);
            if (i >= 12 && i < 16) {
                /* the reserved field is not checked (see the report): the
                 * snapshot loads, and is the same */
                assert_int_equal(st, CI_OK);
                continue;
            }
            if (i < 8)
                assert_int_equal(st, CI_ERR_FORMAT); /* magic */
            else if (i < 12)
                /* version: 0 is malformed, anything above 1 is newer */
                assert_int_equal(st, (unsigned char)buf[8] == 0 && !buf[9] && !buf[10] && !buf[11]
                                         ? CI_ERR_FORMAT
                                         : CI_ERR_VERSION);
            else if (st == CI_OK)
                /* deflate can encode the same bytes more than one way (a
                 * distance into equal bytes, unused padding bits): such a
                 * change inflates to the very same payload, CRC and all */
                assert_true(i >= HEADER && same_payload(buf, d, len));
            else
                assert_true(st == CI_ERR_FORMAT || st == CI_ERR_CHECKSUM);
        }
    }
    /* the reserved field changed: still the same analyzer */
    memcpy(buf, d, len);
    buf[13] = 0x5A;
    ci_analyzer *l = load(buf, len);
    assert_same_analyzers(an, l, 0);
    ci_analyzer_free(l);

    /* a future version, nothing else changed */
    memcpy(buf, d, len);
    st32((unsigned char *)buf + 8, 2);
    ci_diag diag;
    ci_diag_init(&diag);
    l = (ci_analyzer *)1;
    assert_int_equal(ci_analyzer_load(buf, len, NULL, NULL, &l, &diag), CI_ERR_VERSION);
    assert_null(l);
    assert_non_null(strstr(diag.message, "2"));
    st32((unsigned char *)buf + 8, UINT32_MAX);
    assert_int_equal(load_bad(buf, len), CI_ERR_VERSION);
    st32((unsigned char *)buf + 8, 0);
    assert_int_equal(load_bad(buf, len), CI_ERR_FORMAT);
    /* another format's magic (a theme model's is not ours) */
    memcpy(buf, d, len);
    memcpy(buf, "CITHEME\0", 8);
    assert_int_equal(load_bad(buf, len), CI_ERR_FORMAT);
    /* implausible payload sizes */
    memcpy(buf, d, len);
    st64((unsigned char *)buf + 16, (uint64_t)1 << 40);
    assert_int_equal(load_bad(buf, len), CI_ERR_FORMAT);
    st64((unsigned char *)buf + 16, 0);
    assert_true(load_bad(buf, len) < 0);

    /* random garbage, with and without our magic */
    gen g = {12345};
    for (int r = 0; r < 400; r++) {
        size_t n = (size_t)(next(&g) % (len + 48));
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)next(&g);
        if (r % 2 && n >= 12) {
            memcpy(buf, d, 8);
            st32((unsigned char *)buf + 8, 1);
        }
        ci_status st = load_bad(buf, n);
        if (r % 2 && n >= 12)
            assert_true(st == CI_ERR_FORMAT || st == CI_ERR_CHECKSUM || st == CI_ERR_VERSION);
        else
            assert_int_equal(st, CI_ERR_FORMAT);
    }
    /* a valid header with garbage compressed data of the right length */
    memcpy(buf, d, HEADER);
    for (size_t i = HEADER; i < len; i++)
        buf[i] = (char)next(&g);
    assert_int_equal(load_bad(buf, len), CI_ERR_CHECKSUM);
    free(buf);
    ci_free(d);
    ci_analyzer_free(an);
}

/* Corrupt payloads behind a valid CRC: the payload validator must refuse
 * them with CI_ERR_FORMAT, or produce an analyzer that is safe to use. */
static int load_payload(const char *orig, const unsigned char *p, size_t plen, int deep)
{
    size_t len;
    char *d = seal(orig, p, plen, &len);
    capped c = {.cap = (size_t)64 << 20};
    ci_allocator a = cap_allocator(&c);
    ci_analyzer *out = (ci_analyzer *)1;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_analyzer_load(d, len, NULL, &a, &out, &diag);
    free(d);
    if (st == CI_OK) {
        int orphan = walk(p, plen).orphans > 0;
        /* reading a combination without cells reads memory nobody wrote
         * (test_payload_orphan_combination_regression) */
        if (deep && !orphan)
            read_everything(out, deep > 1);
        ci_analyzer_free(out);
        assert_int_equal(c.ta.live, 0);
        return orphan ? 3 : 1;
    }
    assert_null(out);
    assert_int_equal(c.ta.live, 0);
    if (st == CI_ERR_NOMEM && c.capped)
        return 2; /* a size that would need more than the cap: refused cleanly */
    if (st != CI_ERR_FORMAT) {
        print_error("payload corruption gave %s (%s)\n", ci_status_string(st), diag.message);
        fail();
    }
    assert_int_equal(diag.status, CI_ERR_FORMAT);
    assert_true(diag.message[0] != 0);
    return 0;
}

static void test_payload_corruption(void **state)
{
    (void)state;
    ci_analyzer *an = small_analyzer(14);
    size_t len, plen;
    char *d = save(an, &len);
    unsigned char *p = unseal(d, len, &plen);
    unsigned char *q = malloc(plen + 16);
    assert_non_null(q);
    /* the payload as it is loads (the resealing is right) */
    assert_int_equal(load_payload(d, p, plen, 0), 1);
    /* every truncation of the payload, and trailing bytes */
    for (size_t n = 0; n < plen; n++)
        assert_int_equal(load_payload(d, p, n, 0), 0);
    memcpy(q, p, plen);
    q[plen] = 0;
    assert_int_equal(load_payload(d, q, plen + 1, 0), 0);
    /* every byte changed three ways; every accepted change read in full */
    size_t accepted = 0, refused = 0, capped_n = 0, orphans = 0;
    static const unsigned char masks[] = {0x01, 0x80, 0xFF};
    for (size_t i = 0; i < plen; i++)
        for (size_t k = 0; k < sizeof masks; k++) {
            memcpy(q, p, plen);
            q[i] ^= masks[k];
            /* every accepted change is read; one in eight in full */
            int r = load_payload(d, q, plen, (i * 3 + k) % 8 == 0 ? 2 : 1);
            accepted += r == 1;
            refused += r == 0;
            capped_n += r == 2;
            orphans += r == 3;
        }
    print_message("# payload of %zu bytes: %zu changes refused, %zu accepted and usable, "
                  "%zu refused for memory\n", plen, refused, accepted, capped_n);
    assert_true(refused > accepted); /* the validator does look */
    free(q);
    free(p);
    ci_free(d);
    ci_analyzer_free(an);
    if (orphans) {
        print_message("# REGRESSION: %zu single-byte changes load a combination without cells "
                      "(see test_payload_orphan_combination_regression)\n", orphans);
        known_bug_seen();
    }
}

/* A combination that no cell belongs to cannot come from signals: the
 * loader must refuse it.
 *
 * KNOWN LIBRARY BUG (see the report): parse() in src/persistence/snapshot.c
 * does not check that every combination has a cell.  Such a snapshot loads;
 * the summary then makes segments for the combination that no cell rolls
 * into, so their entry (seg_entry[], from ci_grow(), never written) is
 * uninitialised: ci_analyzer_segment() returns garbage statistics or reads
 * out of bounds (a SIGSEGV in the payload fuzzing above under ASan).  One
 * bit flipped behind a valid CRC is enough.  The test does not read such an
 * analyzer; it reports the bug (known_bug_seen()) while the load succeeds. */
static void test_payload_orphan_combination_regression(void **state)
{
    (void)state;
    ci_str dims[] = {S("tier")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 1;
    ci_analyzer *an = NULL;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_OK);
    const char *tier[2] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.has = CI_HAS_NPS;
        s.nps = 9;
        s.timestamp = T0 + i * 86400;
        ci_attr at = {S("tier"), S(tier[i])};
        s.attrs = &at;
        s.n_attrs = 1;
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
    size_t len, plen;
    char *d = save(an, &len);
    unsigned char *p = unseal(d, len, &plen);
    layout l = walk(p, plen);
    assert_int_equal(l.ncombo, 2);
    assert_int_equal(l.ncell, 2);
    assert_int_equal(l.orphans, 0);
    /* move the cell of one combination (day d) to the other one: no
     * duplicate (the days differ), nothing else changed */
    size_t k0 = l.cells[0], k1 = l.cells[1];
    uint32_t c0 = (uint32_t)(ld64(p + k0) >> 32), c1 = (uint32_t)(ld64(p + k1) >> 32);
    assert_true(c0 != c1);
    st32(p + k1 + 4, c0);
    assert_int_equal(walk(p, plen).orphans, 1);
    size_t n;
    char *c = seal(d, p, plen, &n);
    ci_analyzer *out = NULL;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_analyzer_load(c, n, NULL, NULL, &out, &diag);
    free(c);
    free(p);
    ci_free(d);
    ci_analyzer_free(an);
    if (st == CI_OK) {
        ci_analyzer_free(out); /* not read: its summary is uninitialised */
        print_message("# REGRESSION: a snapshot with a combination that has no cell loads\n");
        known_bug_seen();
        return;
    }
    assert_int_equal(st, CI_ERR_FORMAT);
    assert_null(out);
    assert_true(diag.message[0] != 0);
}

/* Statistics that cannot be: each must be refused.
 *
 * KNOWN LIBRARY BUG (see the report): src/persistence/snapshot.c
 * get_stats() checks pro + pas + det == n in unsigned 64-bit arithmetic
 * (it wraps) and checks pro <= n and det <= n but not pas <= n, and it does
 * not check that means lie on their scale, so some of these load and the
 * analyzer reports impossible numbers (e.g. 2^64 - 1 passives among 1 NPS
 * response).  The file's own comment promises a corrupt snapshot "never
 * yields an analyzer that reports impossible numbers".  The test lists what
 * loaded and reports it (known_bug_seen()) while that is so. */
static void test_payload_impossible_numbers_regression(void **state)
{
    (void)state;
    ci_analyzer *an = NULL;
    ci_str dims[] = {S("tier")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 1;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_OK);
    /* one cell: one signal with NPS 10, CES 5 and a scored text */
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_SURVEY;
    s.has = CI_HAS_NPS | CI_HAS_CES;
    s.nps = 10;
    s.ces = 5;
    s.text = S("fine");
    s.timestamp = T0;
    ci_signal_result r;
    ci_signal_result_init(&r);
    r.has_sentiment = 1;
    r.compound = 0.5;
    assert_int_equal(ci_analyzer_add_result(an, &s, &r, NULL), CI_OK);
    size_t len, plen;
    char *d = save(an, &len);
    unsigned char *p = unseal(d, len, &plen);
    layout l = walk(p, plen);
    size_t st = l.first_stats;
    /* the walk agrees with what we stored: count 1, 1 NPS response, 1 promoter */
    assert_true(ld64(p + st) == 1 && ld64(p + st + 8) == 1 && ld64(p + st + 16) == 1);
    unsigned char *q = malloc(plen);
    assert_non_null(q);
    struct {
        const char *what;
        size_t off;
        int f64;
        uint64_t u;
        double f;
    } bad[] = {
        /* passives 2^64 - 1 and detractors 1: 1 + (2^64 - 1) + 1 wraps to 1 */
        {"passives wrap", st + 24, 0, UINT64_MAX, 0},
        {"more promoters than responses", st + 16, 0, 2, 0},
        {"CES mean 50 on a 1-7 scale", st + 64, 1, 0, 50.0},
        {"sentiment mean 3 outside [-1, 1]", st + 88, 1, 0, 3.0},
        {"negative CES variance", st + 72, 1, 0, -1.0},
        {"NaN sentiment mean", st + 88, 1, 0, NAN},
    };
    char loaded[512] = "";
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(q, p, plen);
        if (bad[k].f64) {
            uint64_t v;
            memcpy(&v, &bad[k].f, 8);
            st64(q + bad[k].off, v);
        } else {
            st64(q + bad[k].off, bad[k].u);
        }
        if (k == 0)
            st64(q + st + 32, 1); /* detractors 1 */
        size_t n;
        char *c = seal(d, q, plen, &n);
        ci_analyzer *out = NULL;
        ci_diag diag;
        ci_diag_init(&diag);
        ci_status sta = ci_analyzer_load(c, n, NULL, NULL, &out, &diag);
        free(c);
        if (sta == CI_OK) {
            ci_segment_stats ss;
            ci_segment_stats_init(&ss);
            assert_int_equal(ci_analyzer_segment(out, 0, NULL, &ss), CI_OK);
            print_message("# loaded: %s (nps %g, passives %llu of %llu, ces %g, sentiment %g)\n",
                          bad[k].what, ss.nps, (unsigned long long)ss.nps_passives,
                          (unsigned long long)ss.nps_responses, ss.ces_mean, ss.sentiment_mean);
            snprintf(loaded + strlen(loaded), sizeof loaded - strlen(loaded), "%s%s",
                     loaded[0] ? "; " : "", bad[k].what);
            ci_analyzer_free(out);
            continue;
        }
        assert_int_equal(sta, CI_ERR_FORMAT);
        assert_null(out);
    }
    free(q);
    free(p);
    ci_free(d);
    ci_analyzer_free(an);
    if (loaded[0]) {
        print_message("# REGRESSION: impossible statistics load: %s\n", loaded);
        known_bug_seen();
        return;
    }
}

/* Targeted structural damage behind a valid CRC: each is CI_ERR_FORMAT. */
static void test_payload_structure(void **state)
{
    (void)state;
    ci_analyzer *an = small_analyzer(24);
    size_t len, plen;
    char *d = save(an, &len);
    unsigned char *p = unseal(d, len, &plen);
    layout l = walk(p, plen);
    assert_true(ld64(p + l.ntheme) == 3);
    assert_true(l.first_ex && l.second_ex);
    unsigned char *q = malloc(plen + 64);
    assert_non_null(q);
    ci_diag diag;
    ci_analyzer *out;
    size_t n;
    char *c;
#define EXPECT_FORMAT(what)                                                                       \
    do {                                                                                          \
        c = seal(d, q, plen, &n);                                                                 \
        out = NULL;                                                                               \
        ci_diag_init(&diag);                                                                      \
        ci_status s_ = ci_analyzer_load(c, n, NULL, NULL, &out, &diag);                          \
        free(c);                                                                                  \
        if (s_ != CI_ERR_FORMAT) {                                                                \
            print_error("%s: %s\n", what, ci_status_string(s_));                                  \
            ci_analyzer_free(out);                                                                \
            fail();                                                                               \
        }                                                                                         \
        assert_true(diag.message[0] != 0);                                                        \
    } while (0)

    /* more themes than a snapshot can hold */
    memcpy(q, p, plen);
    st64(q + l.ntheme, (uint64_t)1 << 40);
    EXPECT_FORMAT("theme count 2^40");
    /* an example on a theme that does not exist */
    memcpy(q, p, plen);
    st32(q + l.first_ex + 8, 3);
    EXPECT_FORMAT("example theme 3 of 3");
    /* an example with a compound outside [-1, 1] */
    memcpy(q, p, plen);
    {
        double x = 1.5;
        uint64_t v;
        memcpy(&v, &x, 8);
        st64(q + l.first_ex, v);
    }
    EXPECT_FORMAT("example compound 1.5");
    /* examples out of order: the second one made the most negative */
    memcpy(q, p, plen);
    {
        double x = -1;
        uint64_t v;
        memcpy(&v, &x, 8);
        st64(q + l.second_ex, v);
    }
    EXPECT_FORMAT("examples out of order");
    /* a cell of a combination that does not exist */
    memcpy(q, p, plen);
    st32(q + l.first_cell + 4, 1000);
    EXPECT_FORMAT("cell of combination 1000");
    /* a cell with no signal */
    memcpy(q, p, plen);
    st64(q + l.first_stats, 0);
    EXPECT_FORMAT("empty cell");
    /* more intents than scored texts */
    memcpy(q, p, plen);
    {
        size_t o = l.first_stats + 7 * 8 + 2 * 24 + 8 + 4;
        st64(q + o, 1000);
    }
    EXPECT_FORMAT("intents above sentiment_n");
    /* a huge number of accounts */
    memcpy(q, p, plen);
    st64(q + l.accounts, (uint64_t)1 << 50);
    EXPECT_FORMAT("2^50 accounts");
#undef EXPECT_FORMAT
    free(q);
    free(p);
    ci_free(d);
    ci_analyzer_free(an);
}

/* ------------------------------------------------------------------------ */
/*  5. Theme models                                                         */
/* ------------------------------------------------------------------------ */

static ci_theme_model *tiny_model(void)
{
    static const char *const texts[] = {
        "invoice VAT wrong",          "the invoice shows wrong VAT",  "VAT on my invoice is wrong",
        "wrong VAT rate on invoice",  "invoice total VAT error",      "invoice VAT amount wrong again",
        "cannot reset my password",   "password reset link broken",   "reset password email missing",
        "password reset not working", "forgot password reset fails",  "login password reset loop",
    };
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = 2;
    o.seed = 1;
    o.min_df = 1;
    ci_theme_trainer *t = NULL;
    assert_int_equal(ci_theme_trainer_new(&o, NULL, &t), CI_OK);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_int_equal(ci_theme_trainer_add(t, texts[i], strlen(texts[i])), CI_OK);
    ci_theme_model *m = NULL;
    assert_int_equal(ci_theme_trainer_fit(t, &m), CI_OK);
    ci_theme_trainer_free(t);
    assert_int_equal(ci_theme_model_count(m), 2);
    return m;
}

static void test_theme_models(void **state)
{
    (void)state;
    ci_lexicon *lex;
    assert_int_equal(ci_lexicon_new_builtin(NULL, &lex), CI_OK);
    ci_theme_model *model = tiny_model();
    ci_analyzer_options mo;
    ci_analyzer_options_init(&mo);
    mo.lexicon = lex;
    mo.themes = model;

    /* a snapshot with 4 themes does not take a model of 2 */
    ci_analyzer *an4 = new_analyzer(4, NULL);
    feed(an4, 4, 0, 200, 0);
    size_t len4;
    char *d4 = save(an4, &len4);
    ci_analyzer *out = (ci_analyzer *)1;
    ci_diag diag;
    ci_diag_init(&diag);
    assert_int_equal(ci_analyzer_load(d4, len4, &mo, NULL, &out, &diag), CI_ERR_INVALID);
    assert_null(out);
    assert_int_equal(diag.status, CI_ERR_INVALID);
    assert_true(diag.message[0] != 0);
    /* without options it is readable and mergeable */
    out = load(d4, len4);
    assert_same_analyzers(an4, out, 0);
    ci_analyzer *more = new_analyzer(4, NULL), *both = new_analyzer(4, NULL);
    feed(more, 4, 200, 300, 0);
    assert_int_equal(ci_analyzer_merge(both, more), CI_OK);
    assert_int_equal(ci_analyzer_merge(both, out), CI_OK);
    feed(an4, 4, 200, 300, 0);
    assert_same_analyzers(an4, both, 1e-12);
    ci_analyzer_free(both);
    /* and it keeps taking results for its 4 themes, but not a 5th */
    sig m;
    make_signal(5000, 4, &m);
    m.r.theme = 3;
    m.s.text = S("x");
    m.r.has_sentiment = 1;
    assert_int_equal(ci_analyzer_add_result(out, &m.s, &m.r, NULL), CI_OK);
    m.r.theme = 4;
    assert_int_equal(ci_analyzer_add_result(out, &m.s, &m.r, NULL), CI_ERR_RANGE);
    ci_analyzer_free(more);
    ci_analyzer_free(out);
    ci_analyzer_free(an4);
    ci_free(d4);

    /* an analyzer with the model: its snapshot loads with the model and
     * goes on scoring and assigning */
    ci_str dims[] = {S("tier")};
    mo.dimensions = dims;
    mo.n_dimensions = 1;
    ci_analyzer *an = NULL;
    assert_int_equal(ci_analyzer_new(&mo, NULL, &an), CI_OK);
    const char *texts[] = {"the invoice VAT is wrong", "password reset broken again", "hello"};
    int themes[3];
    for (int i = 0; i < 3; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_TICKET;
        s.text = S(texts[i]);
        s.timestamp = T0 + i * 86400;
        ci_attr at = {S("tier"), S("pro")};
        s.attrs = &at;
        s.n_attrs = 1;
        ci_signal_result res;
        ci_signal_result_init(&res);
        assert_int_equal(ci_analyzer_add(an, &s, &res, NULL), CI_OK);
        themes[i] = res.theme;
    }
    assert_true(themes[0] >= 0 && themes[1] >= 0 && themes[0] != themes[1]);
    size_t len;
    char *d = save(an, &len);
    ci_analyzer *l = NULL;
    assert_int_equal(ci_analyzer_load(d, len, &mo, NULL, &l, NULL), CI_OK);
    assert_same_analyzers(an, l, 0);
    for (int i = 0; i < 3; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_TICKET;
        s.text = S(texts[i]);
        s.timestamp = T0 + 10 * 86400;
        ci_signal_result r1, r2;
        ci_signal_result_init(&r1);
        ci_signal_result_init(&r2);
        assert_int_equal(ci_analyzer_add(an, &s, &r1, NULL), CI_OK);
        assert_int_equal(ci_analyzer_add(l, &s, &r2, NULL), CI_OK);
        assert_int_equal(r1.theme, themes[i]);
        assert_int_equal(r2.theme, r1.theme);
        assert_true(r2.has_sentiment && r2.compound == r1.compound);
        assert_true(r2.intent_flags == r1.intent_flags);
    }
    /* (the aggregates after adding to a loaded analyzer:
     * test_loaded_analyzer_grows_regression) */
    /* without options: readable, mergeable, no scoring */
    ci_analyzer *bare = load(d, len);
    ci_analyzer *sum = NULL;
    assert_int_equal(ci_analyzer_load(d, len, &mo, NULL, &sum, NULL), CI_OK);
    assert_same_analyzers(bare, sum, 0);
    ci_analyzer *fresh = NULL;
    assert_int_equal(ci_analyzer_new(&mo, NULL, &fresh), CI_OK);
    assert_int_equal(ci_analyzer_merge(fresh, bare), CI_OK);
    assert_int_equal(ci_analyzer_merge(fresh, sum), CI_OK);
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(fresh, 0, NULL, &st), CI_OK);
    assert_int_equal(st.count, 6); /* 3 + 3 */
    assert_int_equal(st.sentiment_n, 6);
    assert_int_equal(ci_analyzer_segment_theme(fresh, 0, (size_t)themes[0]), 2);
    ci_analyzer_free(fresh);
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_TICKET;
    s.text = S("the invoice VAT is wrong");
    ci_signal_result res;
    ci_signal_result_init(&res);
    assert_int_equal(ci_analyzer_add(bare, &s, &res, NULL), CI_OK);
    assert_int_equal(res.has_sentiment, 0);
    assert_int_equal(res.theme, -1);
    /* a model given without a lexicon: accepted, the model is not used */
    ci_analyzer_options nolex = mo;
    nolex.lexicon = NULL;
    ci_analyzer *l2 = NULL;
    assert_int_equal(ci_analyzer_load(d, len, &nolex, NULL, &l2, NULL), CI_OK);
    ci_analyzer_free(l2);
    ci_analyzer_free(bare);
    ci_analyzer_free(sum);
    ci_analyzer_free(l);
    ci_analyzer_free(an);
    ci_free(d);
    ci_theme_model_free(model);
    ci_lexicon_free(lex);
}

/* A result with sentiment (or a theme) but no text is accepted by
 * ci_analyzer_add_result(); the analyzer must still round-trip, and theme
 * shares must stay fractions of texts.
 *
 * This found a bug: such a cell had sentiment_n > texts (or theme counts >
 * texts), which get_stats() in src/persistence/snapshot.c rightly calls
 * impossible, so ci_analyzer_load() refused the analyzer's own snapshot
 * with CI_ERR_FORMAT ("malformed cell statistics").  Fixed while these
 * tests were written (a scored or themed result now counts as a text);
 * refusing such a result in add_result would be a fix as well. */
static void test_textless_result_round_trip(void **state)
{
    (void)state;
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.n_themes = 2;
    const char *problems[2] = {NULL, NULL};
    for (int variant = 0; variant < 2; variant++) {
        ci_analyzer *an = NULL;
        assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_OK);
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.has = CI_HAS_NPS;
        s.nps = 5;
        ci_signal_result r;
        ci_signal_result_init(&r);
        if (variant == 0) {
            r.has_sentiment = 1;
            r.compound = -0.5;
            r.neu = 1;
        } else {
            r.theme = 1;
        }
        ci_status st = ci_analyzer_add_result(an, &s, &r, NULL);
        if (st != CI_OK) {
            /* refusing it is a fix too */
            assert_true(st < 0);
            ci_analyzer_free(an);
            continue;
        }
        /* theme shares count texts: a themed signal without text would
         * make a share above 100 % */
        if (variant == 1 && ci_analyzer_segment_theme(an, 0, 1) > ci_analyzer_segment_texts(an, 0))
            problems[variant] = "theme count above text count";
        size_t len;
        char *d = save(an, &len);
        ci_analyzer *l = NULL;
        ci_diag diag;
        ci_diag_init(&diag);
        st = ci_analyzer_load(d, len, NULL, NULL, &l, &diag);
        if (st != CI_OK)
            problems[variant] = variant ? "themed textless result: own snapshot does not load"
                                        : "scored textless result: own snapshot does not load";
        else
            assert_same_analyzers(an, l, 0);
        ci_analyzer_free(l);
        ci_free(d);
        ci_analyzer_free(an);
    }
    if (problems[0] || problems[1]) {
        print_error("%s%s%s\n", problems[0] ? problems[0] : "", problems[0] && problems[1] ? "; " : "",
                    problems[1] ? problems[1] : "");
        fail();
    }
}

/* An allocator like a debug heap: fresh bytes are 0x01, not zero, so that
 * reading memory nobody wrote shows (malloc often hands out zeros).  0x01
 * rather than the usual 0xA5: a byte count of 1 keeps a garbage exact sum
 * (xsum.n) within its array, so the bug below gives wrong numbers rather
 * than a heap overflow. */
static void *poison_malloc(void *ud, size_t n)
{
    (void)ud;
    size_t *p = malloc(n + 2 * sizeof(size_t));
    if (!p)
        return NULL;
    p[0] = n;
    memset(p + 2, 0x01, n);
    return p + 2;
}

static void *poison_realloc(void *ud, void *q, size_t n)
{
    if (!q)
        return poison_malloc(ud, n);
    size_t *o = (size_t *)q - 2;
    size_t *p = poison_malloc(ud, n);
    if (!p)
        return NULL;
    memcpy(p, q, o[0] < n ? o[0] : n);
    free(o);
    return p;
}

static void poison_free(void *ud, void *q)
{
    (void)ud;
    if (q)
        free((size_t *)q - 2);
}

/* A loaded analyzer keeps adding and merging: the result equals the
 * analyzer that saw everything, accounts first seen after the load
 * included.
 *
 * KNOWN LIBRARY BUG (see the report): ci_analyzer_load() (parse() in
 * src/persistence/snapshot.c) zeroes the account slack it grows but does
 * not account_init() it, while accounts.c (ci_account_reserve(),
 * ci_accounts_merge()) initialises only what it grows itself: an account
 * first seen after loading starts with first = last = 0 instead of
 * CI_TIME_NONE and keeps first_seen = 0 (1970-01-01).
 * The same test found that the cell statistics slack was not zeroed either
 * (new cells of a loaded analyzer started from garbage; with 0xA5 garbage
 * the exact sum's partial count overflowed its array): fixed while these
 * tests were written.  The test uses a poisoning allocator to make such
 * reads deterministic, and reports the bug (known_bug_seen()) while it is
 * there. */
static void test_loaded_analyzer_grows_regression(void **state)
{
    (void)state;
    ci_allocator pa;
    ci_allocator_init(&pa);
    pa.malloc_fn = poison_malloc;
    pa.realloc_fn = poison_realloc;
    pa.free_fn = poison_free;
    ci_analyzer *all = new_analyzer(4, NULL);
    feed(all, 4, 0, 1800, 0);
    ci_segment_stats pop;
    ci_segment_stats_init(&pop);
    assert_int_equal(ci_analyzer_segment(all, 0, NULL, &pop), CI_OK);
    /* (a) merge partitions into a loaded one */
    const uint64_t cut[4] = {0, 600, 1100, 1800};
    ci_analyzer *m = NULL;
    for (int k = 0; k < 3; k++) {
        ci_analyzer *p = new_analyzer(4, NULL);
        feed(p, 4, cut[k], cut[k + 1], k % 2);
        size_t len;
        char *d = save(p, &len);
        ci_analyzer_free(p);
        ci_analyzer *l = NULL;
        assert_int_equal(ci_analyzer_load(d, len, NULL, &pa, &l, NULL), CI_OK);
        ci_free(d);
        if (!m) {
            m = l;
        } else {
            assert_int_equal(ci_analyzer_merge(m, l), CI_OK);
            ci_analyzer_free(l);
        }
    }
    /* (b) add to a loaded one */
    ci_analyzer *part = new_analyzer(4, NULL);
    feed(part, 4, 0, 1000, 0);
    size_t len;
    char *d = save(part, &len);
    ci_analyzer_free(part);
    ci_analyzer *grown = NULL;
    assert_int_equal(ci_analyzer_load(d, len, NULL, &pa, &grown, NULL), CI_OK);
    ci_free(d);
    feed(grown, 4, 1000, 1800, 0);
    /* and an account that none of them had seen */
    sig nc;
    make_signal(9999, 4, &nc);
    nc.s.account_id = S("newcomer");
    nc.s.timestamp = T0 + 5 * 86400;
    assert_int_equal(ci_analyzer_add_result(all, &nc.s, &nc.r, NULL), CI_OK);
    assert_int_equal(ci_analyzer_add_result(grown, &nc.s, &nc.r, NULL), CI_OK);
    ci_analyzer *one = new_analyzer(4, NULL);
    assert_int_equal(ci_analyzer_add_result(one, &nc.s, &nc.r, NULL), CI_OK);
    assert_int_equal(ci_analyzer_merge(m, one), CI_OK);
    ci_analyzer_free(one);
    ci_segment_stats_init(&pop);
    assert_int_equal(ci_analyzer_segment(all, 0, NULL, &pop), CI_OK);

    char problems[512] = "";
    const ci_analyzer *got[2] = {m, grown};
    const char *how[2] = {"merged into a loaded analyzer", "added to a loaded analyzer"};
    for (int k = 0; k < 2; k++) {
        ci_segment_stats st;
        ci_segment_stats_init(&st);
        assert_int_equal(ci_analyzer_segment(got[k], 0, NULL, &st), CI_OK);
        if (st.count != pop.count)
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "%s%s: %llu signals, not %llu", problems[0] ? "; " : "", how[k], (unsigned long long)st.count,
                     (unsigned long long)pop.count);
        size_t bad_first = 0;
        for (size_t i = 0; i < ci_analyzer_account_count(all); i++) {
            ci_account_health x, y;
            ci_account_health_init(&x);
            ci_account_health_init(&y);
            assert_int_equal(ci_analyzer_account(all, i, &x), CI_OK);
            size_t j;
            assert_int_equal(ci_analyzer_find_account(got[k], x.account_id.data, x.account_id.len, &j), CI_OK);
            assert_int_equal(ci_analyzer_account(got[k], j, &y), CI_OK);
            bad_first += x.first_seen != y.first_seen;
        }
        if (bad_first)
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "%s%s: %zu accounts with a wrong first_seen", problems[0] ? "; " : "", how[k],
                     bad_first);
    }
    if (problems[0]) {
        print_message("# REGRESSION: %s\n", problems);
        ci_analyzer_free(m);
        ci_analyzer_free(grown);
        ci_analyzer_free(all);
        known_bug_seen();
        return;
    }
    assert_same_analyzers(all, m, 1e-12);
    assert_same_analyzers(all, grown, 1e-12);
    ci_analyzer_free(m);
    ci_analyzer_free(grown);
    ci_analyzer_free(all);
}

/* ------------------------------------------------------------------------ */
/*  6. Allocation failures                                                  */
/* ------------------------------------------------------------------------ */

static void test_alloc_failures(void **state)
{
    (void)state;
    test_alloc ta = {0};
    ci_allocator a = ta_allocator(&ta);
    ci_analyzer *an = new_analyzer(3, &a);
    feed(an, 3, 0, 120, 0);
    assert_int_equal(ci_analyzer_summarize(an), CI_OK);
    size_t ref_len;
    char *ref = save(an, &ref_len);
    long baseline = ta.live;

    /* save: fail its k-th allocation */
    long k;
    for (k = 1; k < 100000; k++) {
        ta.fail_at = ta.allocs + k;
        ta.failed = 0;
        char *d = (char *)1;
        size_t len = 7;
        ci_status st = ci_analyzer_save(an, &d, &len);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(d);
            assert_int_equal(len, 0);
            assert_int_equal(ta.live, baseline);
            continue;
        }
        assert_false(ta.failed);
        assert_int_equal(len, ref_len);
        assert_memory_equal(d, ref, len);
        ci_free(d);
        assert_int_equal(ta.live, baseline);
        break;
    }
    assert_true(k > 2);
    ta.fail_at = 0;

    /* load: fail its n-th allocation */
    long n;
    for (n = 1; n < 100000; n++) {
        test_alloc lt = {.fail_at = n};
        ci_allocator la = ta_allocator(&lt);
        ci_analyzer *l = (ci_analyzer *)1;
        ci_diag diag;
        ci_diag_init(&diag);
        ci_status st = ci_analyzer_load(ref, ref_len, NULL, &la, &l, &diag);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(l);
            assert_int_equal(lt.live, 0);
            continue;
        }
        assert_false(lt.failed);
        lt.fail_at = 0;
        assert_same_analyzers(an, l, 0);
        ci_analyzer_free(l);
        assert_int_equal(lt.live, 0);
        break;
    }
    assert_true(n > 2);

    /* load_file: the same, through a file */
    char path[256];
    snprintf(path, sizeof path, "/tmp/libci-test-snapshot-alloc-%ld.bin", (long)getpid());
    assert_int_equal(ci_analyzer_save_file(an, path), CI_OK);
    for (n = 1; n < 100000; n++) {
        test_alloc lt = {.fail_at = n};
        ci_allocator la = ta_allocator(&lt);
        ci_analyzer *l = NULL;
        ci_status st = ci_analyzer_load_file(path, NULL, &la, &l, NULL);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(l);
            assert_int_equal(lt.live, 0);
            continue;
        }
        lt.fail_at = 0;
        assert_same_analyzers(an, l, 0);
        ci_analyzer_free(l);
        assert_int_equal(lt.live, 0);
        break;
    }
    remove(path);
    /* save_file under failure: never a half-written file left behind */
    for (k = 1; k < 100000; k++) {
        ta.fail_at = ta.allocs + k;
        ta.failed = 0;
        ci_status st = ci_analyzer_save_file(an, path);
        struct stat sb;
        char tmp[270];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        assert_int_equal(stat(tmp, &sb), -1);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_int_equal(stat(path, &sb), -1);
            assert_int_equal(ta.live, baseline);
            continue;
        }
        assert_int_equal(ta.live, baseline);
        break;
    }
    ta.fail_at = 0;
    remove(path);
    ci_free(ref);
    ci_analyzer_free(an);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_edges),
        cmocka_unit_test(test_loaded_partitions_merge),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_container_corruption),
        cmocka_unit_test(test_payload_corruption),
        cmocka_unit_test(test_payload_structure),
        cmocka_unit_test(test_payload_orphan_combination_regression),
        cmocka_unit_test(test_payload_impossible_numbers_regression),
        cmocka_unit_test(test_loaded_analyzer_grows_regression),
        cmocka_unit_test(test_theme_models),
        cmocka_unit_test(test_textless_result_round_trip),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
