/* SPDX-License-Identifier: MIT */
/* Analyzer and segment aggregates: statistics, buckets, merge equivalence,
 * bad input, allocation failures. */
#include <math.h>
#include <stdio.h>

#include "testutil.h"
/* white-box: the spill test sets a cell's count near its 32-bit limit */
#include "../src/segments/segments-priv.h"

static ci_str S(const char *s) { ci_str r = {s, strlen(s)}; return r; }

static const char *const tiers[] = {"free", "pro", "enterprise"};
static const char *const regions[] = {"EMEA", "NA", "APAC", "LATAM"};
static const char *const products[] = {"cards", "loans", "app"};
static const char *const texts[] = {
    "My card was charged twice, I want a refund ASAP", "Great app, thanks for the quick help!",
    "I don't understand how to reset my password", "Please cancel my subscription",
    "The transfer is still pending, this is ridiculous", "works fine",
};

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

/* Signal i of a deterministic data set (buffers live in static storage). */
static void make_signal(uint64_t i, ci_signal *s, ci_attr attrs[3])
{
    gen g = {i * 7919 + 1};
    ci_signal_init(s);
    s->kind = CI_SIGNAL_TICKET;
    s->timestamp = 1704067200 + (int64_t)(next(&g) % (86400ull * 90)); /* Q1 2024 */
    attrs[0].key = S("tier");
    attrs[0].value = S(tiers[next(&g) % 3]);
    attrs[1].key = S("region");
    attrs[1].value = S(regions[next(&g) % 4]);
    attrs[2].key = S("product");
    attrs[2].value = S(products[next(&g) % 3]);
    s->attrs = attrs;
    s->n_attrs = (next(&g) % 10 == 0) ? 2 : 3; /* some signals lack a product */
    if (next(&g) % 2)
        s->text = S(texts[next(&g) % 6]);
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
        /* amounts across magnitudes, where naive float sums depend on order */
        s->value = (double)(next(&g) % 100000) / 100.0 * (next(&g) % 7 == 0 ? 1e6 : 1.0);
        if (next(&g) % 50 == 0) /* digits below 2^-128: a cell's spill record sums them */
            s->value = ldexp((double)(next(&g) % 1000 + 1), -140);
    }
    if (!s->text.len && !s->has) {
        s->has = CI_HAS_NPS;
        s->nps = 10;
    }
}

/* An analyzer of tier x region x product. */
static ci_status make_analyzer(const ci_lexicon *lex, size_t n_themes, ci_allocator *alloc,
                               ci_analyzer **an)
{
    ci_str dims[] = {S("tier"), S("region"), S("product")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 3;
    o.lexicon = lex;
    o.n_themes = n_themes;
    *an = NULL;
    return ci_analyzer_new(&o, alloc, an);
}

static ci_analyzer *new_analyzer(const ci_lexicon *lex, ci_allocator *alloc)
{
    ci_analyzer *an;
    assert_int_equal(make_analyzer(lex, 0, alloc, &an), CI_OK);
    return an;
}

static void feed(ci_analyzer *an, uint64_t from, uint64_t to, int reverse)
{
    for (uint64_t k = from; k < to; k++) {
        uint64_t i = reverse ? to - 1 - (k - from) : k;
        ci_signal s;
        ci_attr attrs[3];
        make_signal(i, &s, attrs);
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
}

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (fabs(a) + fabs(b) + 1e-300) || a == b;
}

/* Every segment of a has the same statistics in b: counts and sums
 * exactly, means and variances to rounding. */
static void assert_same_analyzers(const ci_analyzer *a, const ci_analyzer *b)
{
    assert_int_equal(ci_analyzer_segment_count(a), ci_analyzer_segment_count(b));
    for (size_t i = 0; i < ci_analyzer_segment_count(a); i++) {
        ci_str v[3];
        ci_segment_stats x, y;
        ci_segment_stats_init(&x);
        ci_segment_stats_init(&y);
        assert_int_equal(ci_analyzer_segment(a, i, v, &x), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find(b, v, &j), CI_OK);
        assert_int_equal(ci_analyzer_segment(b, j, NULL, &y), CI_OK);
        assert_int_equal(x.count, y.count);
        assert_int_equal(x.nps_promoters, y.nps_promoters);
        assert_int_equal(x.nps_detractors, y.nps_detractors);
        assert_int_equal(x.nps_passives, y.nps_passives);
        assert_int_equal(x.csat_satisfied, y.csat_satisfied);
        assert_int_equal(x.csat_responses, y.csat_responses);
        assert_int_equal(x.ces_responses, y.ces_responses);
        assert_int_equal(x.sentiment_n, y.sentiment_n);
        assert_int_equal(x.value_n, y.value_n);
        assert_true(x.value_sum == y.value_sum); /* exact, whatever the order */
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            assert_int_equal(x.intent_count[k], y.intent_count[k]);
        assert_true(close_rel(x.ces_mean, y.ces_mean, 1e-12));
        assert_true(close_rel(x.ces_variance, y.ces_variance, 1e-9));
        assert_true(close_rel(x.sentiment_mean, y.sentiment_mean, 1e-12));
        assert_true(close_rel(x.sentiment_variance, y.sentiment_variance, 1e-9));
        /* buckets too */
        for (unsigned bk = CI_BUCKET_DAY; bk <= CI_BUCKET_MONTH; bk <<= 1)
            for (size_t q = 0;; q++) {
                int64_t start;
                if (ci_analyzer_bucket(a, bk, q, &start) != CI_OK)
                    break;
                ci_segment_stats bx, by;
                ci_segment_stats_init(&bx);
                ci_segment_stats_init(&by);
                ci_status s1 = ci_analyzer_segment_bucket(a, i, bk, start, &bx);
                ci_status s2 = ci_analyzer_segment_bucket(b, j, bk, start, &by);
                assert_int_equal(s1, s2);
                if (s1 == CI_OK) {
                    assert_int_equal(bx.count, by.count);
                    assert_true(bx.value_sum == by.value_sum);
                    assert_int_equal(bx.nps_promoters, by.nps_promoters);
                }
            }
    }
}

static void test_merge_equivalence(void **state)
{
    (void)state;
    ci_lexicon *lex;
    assert_int_equal(ci_lexicon_new_builtin(NULL, &lex), CI_OK);
    ci_analyzer *all = new_analyzer(lex, NULL);
    feed(all, 0, 3000, 0);
    /* three partitions, fed in other orders, merged in two orders */
    ci_analyzer *p1 = new_analyzer(lex, NULL), *p2 = new_analyzer(lex, NULL), *p3 = new_analyzer(lex, NULL);
    feed(p1, 0, 1000, 1);
    feed(p2, 1000, 1700, 0);
    feed(p3, 1700, 3000, 1);
    ci_analyzer *m1 = new_analyzer(lex, NULL), *m2 = new_analyzer(lex, NULL);
    assert_int_equal(ci_analyzer_merge(m1, p1), CI_OK);
    assert_int_equal(ci_analyzer_merge(m1, p2), CI_OK);
    assert_int_equal(ci_analyzer_merge(m1, p3), CI_OK);
    assert_int_equal(ci_analyzer_merge(m2, p3), CI_OK);
    assert_int_equal(ci_analyzer_merge(m2, p1), CI_OK);
    assert_int_equal(ci_analyzer_merge(m2, p2), CI_OK);
    assert_same_analyzers(all, m1);
    assert_same_analyzers(all, m2);
    assert_same_analyzers(m2, all);
    /* merging into a partition works as well */
    assert_int_equal(ci_analyzer_merge(p2, p1), CI_OK);
    assert_int_equal(ci_analyzer_merge(p2, p3), CI_OK);
    assert_same_analyzers(all, p2);
    /* population segment: the whole data set */
    ci_str none[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    size_t pop;
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_find(all, none, &pop), CI_OK);
    assert_int_equal(pop, 0);
    assert_int_equal(ci_analyzer_segment(all, pop, NULL, &st), CI_OK);
    assert_int_equal(st.count, 3000);
    /* 3 tiers + 4 regions + 4 products ("" included) + pairs + population */
    assert_true(ci_analyzer_segment_count(all) <= 1 + 3 + 4 + 4 + 12 + 12 + 16);
    assert_true(ci_analyzer_segment_count(all) >= 30);
    ci_analyzer_free(all);
    ci_analyzer_free(p1);
    ci_analyzer_free(p2);
    ci_analyzer_free(p3);
    ci_analyzer_free(m1);
    ci_analyzer_free(m2);
    ci_lexicon_free(lex);
}

static void test_statistics(void **state)
{
    (void)state;
    ci_analyzer *an = new_analyzer(NULL, NULL);
    /* NPS: 3 promoters, 1 passive, 2 detractors -> (3 - 2) / 6 = 16.67 */
    const double nps[] = {10, 9, 9, 8, 3, 0};
    for (int i = 0; i < 6; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.has = CI_HAS_NPS | CI_HAS_CSAT | CI_HAS_CES;
        s.nps = nps[i];
        s.csat = i < 4 ? 5 : 2;
        s.ces = (double)(i + 1);
        s.ces_direction = CI_CES_LOWER_IS_EASIER; /* stored as 8 - ces */
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &st), CI_OK);
    assert_int_equal(st.count, 6);
    assert_int_equal(st.nps_promoters, 3);
    assert_int_equal(st.nps_passives, 1);
    assert_int_equal(st.nps_detractors, 2);
    assert_true(fabs(st.nps - 100.0 / 6.0) < 1e-9);
    assert_true(st.nps_margin > 0 && st.nps_margin < 100);
    assert_true(fabs(st.csat - 400.0 / 6.0) < 1e-9);
    assert_true(st.csat_low < st.csat && st.csat < st.csat_high);
    /* Wilson interval for 4/6 at 95 %: [30.0, 90.3] */
    assert_true(fabs(st.csat_low - 30.0) < 0.1 && fabs(st.csat_high - 90.3) < 0.1);
    /* CES 1..6 lower-is-easier -> 7..2, mean 4.5, sample variance 3.5 */
    assert_true(fabs(st.ces_mean - 4.5) < 1e-12);
    assert_true(fabs(st.ces_variance - 3.5) < 1e-12);
    assert_int_equal(st.sentiment_n, 0); /* no lexicon, no sentiment */
    ci_analyzer_free(an);
}

static void test_buckets(void **state)
{
    (void)state;
    ci_analyzer *an = new_analyzer(NULL, NULL);
    /* 2024-03-05 13:00 UTC is a Tuesday; 1969-12-31 is a Wednesday */
    const int64_t ts[] = {1709643600, 1709643600 + 86400 * 6, -3600};
    for (int i = 0; i < 3; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.timestamp = ts[i];
        s.has = CI_HAS_NPS;
        s.nps = 10;
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
    int64_t start;
    /* days: 1969-12-31, 2024-03-05, 2024-03-11 */
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, 0, &start), CI_OK);
    assert_true(start == -86400);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, 1, &start), CI_OK);
    assert_true(start == 1709596800);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, 2, &start), CI_OK);
    assert_true(start == 1710115200);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, 3, &start), CI_ERR_NOT_FOUND);
    /* ISO weeks start on Monday: 1969-12-29, 2024-03-04, 2024-03-11 */
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_WEEK, 0, &start), CI_OK);
    assert_true(start == -3 * 86400);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_WEEK, 1, &start), CI_OK);
    assert_true(start == 1709510400);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_WEEK, 2, &start), CI_OK);
    assert_true(start == 1710115200);
    /* months: 1969-12-01 and 2024-03-01 */
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_MONTH, 0, &start), CI_OK);
    assert_true(start == -31 * 86400);
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_MONTH, 1, &start), CI_OK);
    assert_true(start == 1709251200);
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment_bucket(an, 0, CI_BUCKET_MONTH, 1709251200, &st), CI_OK);
    assert_int_equal(st.count, 2);
    assert_int_equal(ci_analyzer_segment_bucket(an, 0, CI_BUCKET_MONTH, 0, &st), CI_ERR_NOT_FOUND);
    assert_int_equal(ci_analyzer_segment_bucket(an, 0, 7, 0, &st), CI_ERR_INVALID);
    ci_analyzer_free(an);
}

/* Days in the order a mixed feed brings them: a dense range, sweeps below
 * and above it, far outliers (the day index in front of the cells map must
 * not span those), repeats and untimed signals.  Every day's count must come
 * out as tallied here, in any order. */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_day_patterns(void **state)
{
    (void)state;
    enum { N = 6000 };
    static int64_t days[N];
    gen g = {12345};
    for (size_t i = 0; i < N; i++) {
        uint64_t r = next(&g) % 100;
        if (r < 60)
            days[i] = 19000 + (int64_t)(next(&g) % 300);      /* 2022 */
        else if (r < 75)
            days[i] = 19000 - (int64_t)(i % 700);              /* a sweep down */
        else if (r < 90)
            days[i] = 19300 + (int64_t)(i % 500);              /* a sweep up */
        else if (r < 97)
            days[i] = (int64_t)(next(&g) % 2000001) - 1000000; /* far away */
        else
            days[i] = INT64_MIN;                              /* no time */
    }
    for (int order = 0; order < 2; order++) {
        ci_analyzer *an = new_analyzer(NULL, NULL);
        for (size_t k = 0; k < N; k++) {
            size_t i = order ? N - 1 - k : k;
            ci_signal s;
            ci_signal_init(&s);
            s.kind = CI_SIGNAL_SURVEY;
            s.timestamp = days[i] == INT64_MIN ? CI_TIME_NONE : days[i] * 86400 + 3600 * (int64_t)(k % 24);
            s.has = CI_HAS_NPS;
            s.nps = (double)(i % 11);
            assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
        }
        ci_segment_stats st;
        ci_segment_stats_init(&st);
        assert_int_equal(ci_analyzer_segment(an, 0, NULL, &st), CI_OK);
        assert_int_equal(st.count, N);
        static int64_t sorted[N];
        size_t timed = 0;
        for (size_t i = 0; i < N; i++)
            if (days[i] != INT64_MIN)
                sorted[timed++] = days[i];
        qsort(sorted, timed, sizeof sorted[0], cmp_i64);
        size_t distinct = 0;
        for (size_t i = 0; i < timed;) {
            size_t j = i;
            while (j < timed && sorted[j] == sorted[i])
                j++;
            int64_t start;
            assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, distinct, &start), CI_OK);
            assert_true(start == sorted[i] * 86400);
            assert_int_equal(ci_analyzer_segment_bucket(an, 0, CI_BUCKET_DAY, start, &st), CI_OK);
            assert_int_equal(st.count, j - i);
            distinct++;
            i = j;
        }
        int64_t start;
        assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, distinct, &start), CI_ERR_NOT_FOUND);
        ci_analyzer_free(an);
    }
}

/* Many more distinct combinations than the combination cache has slots
 * (4096), arriving in an order that makes them collide and evict each
 * other: every one still gets exactly its own signals. */
static void test_many_combinations(void **state)
{
    (void)state;
    enum { VALUES = 9000, N = 36000 };
    ci_analyzer *an = new_analyzer(NULL, NULL);
    char buf[32];
    for (size_t i = 0; i < N; i++) {
        size_t v = (i * 7919) % VALUES;
        snprintf(buf, sizeof buf, "p%zu", v);
        ci_attr at[2] = {{S("product"), S(buf)}, {S("tier"), S(v % 2 ? "pro" : "free")}};
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        s.has = CI_HAS_NPS;
        s.nps = (double)(v % 11);
        s.attrs = at;
        s.n_attrs = 2;
        assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    }
    for (size_t v = 0; v < VALUES; v += 7) {
        snprintf(buf, sizeof buf, "p%zu", v);
        ci_str vals[3] = {{NULL, 0}, {NULL, 0}, S(buf)};
        size_t idx;
        assert_int_equal(ci_analyzer_find(an, vals, &idx), CI_OK);
        ci_segment_stats st;
        ci_segment_stats_init(&st);
        assert_int_equal(ci_analyzer_segment(an, idx, NULL, &st), CI_OK);
        assert_int_equal(st.count, N / VALUES);
        assert_int_equal(st.nps_responses, N / VALUES);
        vals[0] = S(v % 2 ? "pro" : "free");
        assert_int_equal(ci_analyzer_find(an, vals, &idx), CI_OK);
        assert_int_equal(ci_analyzer_segment(an, idx, NULL, &st), CI_OK);
        assert_int_equal(st.count, N / VALUES);
        vals[0] = S(v % 2 ? "free" : "pro");
        assert_int_equal(ci_analyzer_find(an, vals, &idx), CI_ERR_NOT_FOUND);
    }
    ci_analyzer_free(an);
}

/* A cell counts in 32 bits; past CI_CELL_MAX its totals move to a 64-bit
 * spill record.  Four billion adds are too many for a test, so the cell is
 * told it already holds CI_CELL_MAX - 1 signals (only count: every other
 * counter stays real, so they can be checked exactly). */
static void add_nps_signal(ci_analyzer *an, double nps, double value)
{
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_SURVEY;
    s.timestamp = 1700000000;
    s.has = CI_HAS_NPS | CI_HAS_VALUE;
    s.nps = nps;
    s.value = value;
    assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
}

/* an, saved to a snapshot and loaded back */
static ci_analyzer *snapshot_copy(const ci_analyzer *an)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(ci_analyzer_save(an, &data, &len), CI_OK);
    ci_analyzer *back = NULL;
    assert_int_equal(ci_analyzer_load(data, len, NULL, NULL, &back, NULL), CI_OK);
    ci_free(data);
    return back;
}

static void check_big_cell(ci_analyzer *an, uint64_t count, uint64_t responses, double value)
{
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &st), CI_OK);
    assert_true(st.count == count);
    assert_true(st.nps_responses == responses);
    assert_true(st.value_sum == value);
    int64_t start;
    assert_int_equal(ci_analyzer_bucket(an, CI_BUCKET_DAY, 0, &start), CI_OK);
    assert_int_equal(ci_analyzer_segment_bucket(an, 0, CI_BUCKET_DAY, start, &st), CI_OK);
    assert_true(st.count == count);
}

static void test_cell_spill(void **state)
{
    (void)state;
    ci_analyzer *an = new_analyzer(NULL, NULL);
    add_nps_signal(an, 10, 1.25);
    an->cst[0].count = CI_CELL_MAX - 1;
    const uint64_t base = (uint64_t)CI_CELL_MAX - 1;
    add_nps_signal(an, 3, 2.5);  /* count reaches CI_CELL_MAX */
    add_nps_signal(an, 8, 0.25); /* spills, then counts from zero */
    add_nps_signal(an, 9, 1);
    assert_int_equal(an->nspill, 1);
    check_big_cell(an, base + 3, 4, 5.0);

    /* a snapshot keeps the 64-bit total; the loaded cell starts spilled */
    ci_analyzer *back = snapshot_copy(an);
    check_big_cell(back, base + 3, 4, 5.0);
    add_nps_signal(back, 0, -1);
    check_big_cell(back, base + 4, 5, 4.0);

    /* merging: into a fresh analyzer, and a big cell into a big cell */
    ci_analyzer *sum = new_analyzer(NULL, NULL);
    assert_int_equal(ci_analyzer_merge(sum, an), CI_OK);
    check_big_cell(sum, base + 3, 4, 5.0);
    assert_int_equal(ci_analyzer_merge(sum, back), CI_OK);
    check_big_cell(sum, 2 * base + 7, 9, 9.0);
    ci_analyzer_free(sum);
    ci_analyzer_free(back);
    ci_analyzer_free(an);
}

/* The exact sums themselves, against 128-bit integer arithmetic: values
 * k * 2^(j + scale) with 53-bit k, at a scale the fixed point takes
 * (2^-20) and at one it does not (2^-150: all in partials). */
#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 i128;

static void test_exact_sum_arithmetic(void **state)
{
    (void)state;
    gen g = {42};
    for (int round = 0; round < 400; round++) {
        int fine = round % 2, scale = fine ? -150 : -20, spread = fine ? 8 : 40;
        esum a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        i128 ia = 0, ib = 0;
        int n = 1 + (int)(next(&g) % (fine ? 12 : 60));
        for (int i = 0; i < n; i++) {
            int64_t k = (int64_t)(next(&g) >> 11) - ((int64_t)1 << 52);
            int j = (int)(next(&g) % (uint64_t)spread);
            double x = ldexp((double)k, scale + j);
            if (next(&g) % 2) {
                ci_es_add(&a, x);
                ia += (i128)k * ((i128)1 << j);
            } else {
                ci_es_add(&b, x);
                ib += (i128)k * ((i128)1 << j);
            }
        }
        assert_true(fine ? a.rest.n || !ia : !a.rest.n);
        assert_true(ci_es_value(&a) == ldexp((double)ia, scale));
        esum m = a;
        ci_es_merge(&m, &b);
        assert_true(ci_es_value(&m) == ldexp((double)(ia + ib), scale));
        ci_es_sub(&m, &b);
        assert_true(ci_es_value(&m) == ldexp((double)ia, scale));
        esum d = a;
        ci_es_sub(&d, &b);
        assert_true(ci_es_value(&d) == ldexp((double)(ia - ib), scale));
        /* as partials and back (what a snapshot does) */
        xsum p;
        ci_es_partials(&d, &p);
        assert_true(p.n <= XS_MAX);
        esum back;
        memset(&back, 0, sizeof back);
        for (int k = 0; k < p.n; k++)
            ci_es_add(&back, p.p[k]);
        assert_true(ci_es_value(&back) == ci_es_value(&d));
    }
}
#else
static void test_exact_sum_arithmetic(void **state)
{
    skip(); /* the reference needs 128-bit integers */
}
#endif

/* The column checks of a block (which rows may skip the full validation)
 * give the same bits in scalar code, SSE2 and AVX2, on edge values. */
static void test_block_checks_agree(void **state)
{
    (void)state;
    const double edge[] = {NAN, 0.0, -0.0, INFINITY, -INFINITY, 1, 5, 7, 10, 10.5, 11, -1,
                           0.5, 3.999999, 2147483648.0, -2147483649.0, 4294967296.0, 1e300,
                           1e18, 1.0000000000000002e18, -1e18, 0x1p-75, 0x1p-76, -0x1p-75,
                           5e-324, 0.3, -0.7, 1.0000000000000002, -1.0000000000000002, 9};
    const size_t ne = sizeof edge / sizeof *edge;
    const struct { double lo, hi; int whole; } checks[] = {
        {0, 10, 1}, {1, 5, 1}, {1, 7, 1}, {0x1p-75, 1e18, 0}, {0, 1, 0}};
    gen g = {7};
    for (int round = 0; round < 2000; round++) {
        double col[32];
        size_t m = 1 + (size_t)(next(&g) % 32);
        for (size_t k = 0; k < m; k++)
            col[k] = edge[next(&g) % ne];
        for (size_t c = 0; c < sizeof checks / sizeof *checks; c++)
            assert_true(ci_block_checks_agree(col, m, checks[c].lo, checks[c].hi, checks[c].whole));
    }
}

/* The value sum of segment 0 (the population). */
static double population_sum(const ci_analyzer *an)
{
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &st), CI_OK);
    return st.value_sum;
}

static void add_values(ci_analyzer *an, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add_nps_signal(an, 5, v[i]);
}

/* A cell sums in a fixed-point integer of units of 2^-128 and sends what
 * that cannot hold (tiny values with digits below 2^-128) to its spill
 * record.  Sums stay exact across the two, through snapshots and merges:
 * each stage cancels the larger terms so the smaller ones must show. */
static void test_value_sums_exact(void **state)
{
    (void)state;
    const double big[] = {1e18,  0x1p-100, 3e-200, -1e18, 1e-30, 0.1, 123.45,
                          -0.1,  -1e-30,   -123.45, 5e-324, -0.0, 0.0};
    ci_analyzer *an = new_analyzer(NULL, NULL);
    add_values(an, big, sizeof big / sizeof *big);
    assert_true(population_sum(an) == 0x1p-100); /* + 3e-200 + 5e-324, below its ulp */
    assert_true(an->nspill == 1);                /* 3e-200, 1e-30 and 5e-324 */

    /* the same values as columns take the same sums, on the fast path for
     * rows whose cell is known (a call's first block finds the cells) */
    ci_analyzer *cols = new_analyzer(NULL, NULL);
    {
        enum { FIRST = 32, N = FIRST + sizeof big / sizeof *big };
        double nps[N], value[N];
        int64_t ts[N];
        for (size_t i = 0; i < N; i++) {
            nps[i] = 5;
            ts[i] = 1700000000;
            value[i] = i < FIRST ? 0.0 : big[i - FIRST];
        }
        ci_signal_columns c;
        ci_signal_columns_init(&c);
        c.n_rows = N;
        c.timestamp = ts;
        c.nps = nps;
        c.value = value;
        size_t added = 0;
        assert_int_equal(ci_analyzer_add_columns(cols, &c, &added, NULL), CI_OK);
        assert_int_equal(added, N);
        assert_true(population_sum(cols) == 0x1p-100);
    }

    /* a snapshot keeps every digit */
    ci_analyzer *back = snapshot_copy(an);

    ci_analyzer *all[] = {an, cols, back};
    for (int k = 0; k < 3; k++) {
        add_nps_signal(all[k], 5, -0x1p-100);
        assert_true(population_sum(all[k]) == 3e-200);
        add_nps_signal(all[k], 5, -3e-200);
        assert_true(population_sum(all[k]) == 5e-324);
        const double more[] = {0x1p-129, 0x1p-128, -0x1p-76, 0x1p-76};
        add_values(all[k], more, 4);
        assert_true(population_sum(all[k]) == 0x1.8p-128);
        /* the lowest digit of the first at 2^-129: not for the integer */
        const double edge[] = {0x1.0000000000001p-77, -0x1p-77};
        add_values(all[k], edge, 2);
        assert_true(population_sum(all[k]) == 0x1p-127);
    }
    ci_analyzer_free(back);
    ci_analyzer_free(cols);

    /* merges: sums of several partials, positive and negative, and a tiny
     * value on either side */
    const double a1[] = {1e18, 0x1p-100, 0.1}, b1[] = {-1e18, -0.1};
    const double a2[] = {-1e18, -0x1p-100, 0.3, 7e-310}, b2[] = {1e18, -0.3};
    const double *as[] = {a1, a2}, *bs[] = {b1, b2};
    const size_t na[] = {3, 4}, nb[] = {2, 2};
    const double want[] = {0x1p-100, -0x1p-100};
    for (int k = 0; k < 2; k++) {
        ci_analyzer *a = new_analyzer(NULL, NULL), *b = new_analyzer(NULL, NULL);
        add_values(a, as[k], na[k]);
        add_values(b, bs[k], nb[k]);
        assert_int_equal(ci_analyzer_merge(a, b), CI_OK);
        assert_true(population_sum(a) == want[k]);
        add_nps_signal(a, 5, -want[k]);
        assert_true(population_sum(a) == (k ? 7e-310 : 0));
        ci_analyzer_free(a);
        ci_analyzer_free(b);
    }
    ci_analyzer_free(an);
}

static void test_bad_input(void **state)
{
    (void)state;
    ci_analyzer *an = NULL;
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    ci_str dup[] = {S("tier"), S("tier")};
    o.dimensions = dup;
    o.n_dimensions = 2;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_ERR_INVALID);
    ci_str bad[] = {S("ti\xff")};
    o.dimensions = bad;
    o.n_dimensions = 1;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_ERR_INVALID);
    o.n_dimensions = CI_ANALYZER_MAX_DIMENSIONS + 1;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_ERR_LIMIT);
    o.struct_size = 3;
    assert_int_equal(ci_analyzer_new(&o, NULL, &an), CI_ERR_STRUCT_SIZE);
    assert_int_equal(ci_analyzer_new(NULL, NULL, NULL), CI_ERR_INVALID);
    ci_analyzer_free(NULL);

    an = new_analyzer(NULL, NULL);
    ci_signal s;
    ci_attr attrs[3];
    make_signal(1, &s, attrs);
    /* invalid signals change nothing and say why */
    ci_signal bad_s = s;
    bad_s.has |= CI_HAS_NPS;
    bad_s.nps = NAN;
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_analyzer_add(an, &bad_s, NULL, &d), CI_ERR_NONFINITE);
    assert_int_equal(d.field, CI_FIELD_NPS);
    bad_s = s;
    bad_s.has |= CI_HAS_CSAT;
    bad_s.csat = 9;
    assert_int_equal(ci_analyzer_add(an, &bad_s, NULL, NULL), CI_ERR_RANGE);
    /* nothing accepted: the population alone, empty */
    assert_int_equal(ci_analyzer_segment_count(an), 1);
    ci_segment_stats empty;
    ci_segment_stats_init(&empty);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &empty), CI_OK);
    assert_int_equal(empty.count, 0);
    assert_int_equal(ci_analyzer_add(an, NULL, NULL, NULL), CI_ERR_INVALID);
    ci_signal_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(ci_analyzer_add(an, &s, &r, NULL), CI_ERR_STRUCT_SIZE);
    ci_signal_result_init(&r);
    assert_int_equal(ci_analyzer_add(an, &s, &r, NULL), CI_OK);
    assert_int_equal(r.has_sentiment, 0);
    assert_int_equal(r.theme, -1);
    /* out-of-order timestamps are simply other buckets */
    s.timestamp = 0;
    assert_int_equal(ci_analyzer_add(an, &s, NULL, NULL), CI_OK);
    /* merging different configurations is refused */
    ci_analyzer *other;
    ci_analyzer_options_init(&o);
    assert_int_equal(ci_analyzer_new(&o, NULL, &other), CI_OK);
    assert_int_equal(ci_analyzer_merge(an, other), CI_ERR_INVALID);
    assert_int_equal(ci_analyzer_merge(an, an), CI_ERR_INVALID);
    ci_analyzer_free(other);
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, 999999, NULL, &st), CI_ERR_NOT_FOUND);
    ci_str vals[3] = {S("nope"), {NULL, 0}, {NULL, 0}};
    size_t idx;
    assert_int_equal(ci_analyzer_find(an, vals, &idx), CI_ERR_NOT_FOUND);
    ci_analyzer_free(an);
}

/* Fail each allocation of a run of adds and a merge: the analyzer is left
 * unchanged (retrying gives exactly the same result) and nothing leaks. */
static void test_allocation_failures(void **state)
{
    (void)state;
    ci_lexicon *lex;
    assert_int_equal(ci_lexicon_new_builtin(NULL, &lex), CI_OK);
    ci_analyzer *ref = new_analyzer(lex, NULL);
    feed(ref, 0, 40, 0);
    for (long n = 1; n < 400; n++) {
        test_alloc ta = {.fail_at = n};
        ci_allocator a = ta_allocator(&ta);
        ci_analyzer *an;
        ci_status st = make_analyzer(lex, 0, &a, &an);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_null(an);
            assert_int_equal(ta.live, 0);
            continue;
        }
        for (uint64_t i = 0; i < 40; i++) {
            ci_signal s;
            ci_attr attrs[3];
            make_signal(i, &s, attrs);
            st = ci_analyzer_add(an, &s, NULL, NULL);
            if (st != CI_OK) {
                assert_int_equal(st, CI_ERR_NOMEM);
                st = ci_analyzer_add(an, &s, NULL, NULL); /* the failure is past */
                assert_int_equal(st, CI_OK);
            }
        }
        /* summarizing may fail too, and leaves nothing half-built */
        st = ci_analyzer_summarize(an);
        if (st != CI_OK) {
            assert_int_equal(st, CI_ERR_NOMEM);
            assert_int_equal(ci_analyzer_summarize(an), CI_OK);
        }
        assert_same_analyzers(ref, an);
        ci_analyzer_free(an);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    ci_analyzer_free(ref);
    ci_lexicon_free(lex);
}

/* ---- columns ------------------------------------------------------------- */

static const char *const accounts[] = {"acme", "globex", "initech", "umbrella", "hooli"};

/* Signals [from, to) and their results as columns, as a host holding them
 * in arrays would pass them: dictionary codes, NaN where a score is absent. */
typedef struct colset {
    size_t n;
    uint32_t codes[3][4000], acct[4000];
    int64_t ts[4000];
    double nps[4000], csat[4000], ces[4000], value[4000], compound[4000];
    uint32_t flags[4000];
    int32_t theme[4000];
    ci_str text[4000];
    int direction[4000];
    ci_str dict[3][5], acct_dict[5];
    size_t n_dict[3];
    const uint32_t *code_ptrs[3];
    const ci_str *dict_ptrs[3];
} colset;

/* Signal i with an account on most rows, and the result its text gets.
 * The plain variant has no accounts, keeps a result without its text on
 * some rows and a text without a result on others: rows that go straight
 * into their cells. */
static int plain_rows;

static void make_row(uint64_t i, ci_sentiment *sa, ci_signal *s, ci_attr attrs[3],
                     ci_signal_result *r)
{
    make_signal(i, s, attrs);
    if (i % 7 && !plain_rows)
        s->account_id = S(accounts[i % 5]);
    ci_signal_result_init(r);
    if (s->text.len) {
        ci_sentiment_result sr;
        ci_sentiment_result_init(&sr);
        assert_int_equal(ci_sentiment_score(sa, s->text.data, s->text.len, &sr), CI_OK);
        r->has_sentiment = 1;
        r->compound = sr.compound;
        r->pos = sr.pos;
        r->neu = sr.neu;
        r->neg = sr.neg;
        r->intent_flags = sr.intent_flags;
        r->theme = (int)(i % 4) - 1;
        if (plain_rows && i % 3 == 0 && s->has)
            s->text = (ci_str){NULL, 0};
        else if (plain_rows)
            r->has_sentiment = 0;
    }
}

static void colset_fill(colset *c, ci_sentiment *sa, uint64_t n)
{
    assert_true(n <= 4000);
    memset(c, 0, sizeof *c);
    c->n = (size_t)n;
    const char *const *vals[3] = {tiers, regions, products};
    size_t nv[3] = {3, 4, 3};
    for (int d = 0; d < 3; d++) {
        c->n_dict[d] = nv[d];
        for (size_t k = 0; k < nv[d]; k++)
            c->dict[d][k] = S(vals[d][k]);
        c->code_ptrs[d] = c->codes[d];
        c->dict_ptrs[d] = c->dict[d];
    }
    for (int k = 0; k < 5; k++)
        c->acct_dict[k] = S(accounts[k]);
    for (uint64_t i = 0; i < n; i++) {
        ci_signal s;
        ci_attr attrs[3];
        ci_signal_result r;
        make_row(i, sa, &s, attrs, &r);
        for (int d = 0; d < 3; d++) {
            c->codes[d][i] = CI_CODE_NONE;
            for (uint32_t k = 0; d < (int)s.n_attrs && k < nv[d]; k++)
                if (!strcmp(vals[d][k], attrs[d].value.data))
                    c->codes[d][i] = k;
        }
        c->acct[i] = s.account_id.len ? (uint32_t)(i % 5) : CI_CODE_NONE;
        c->ts[i] = s.timestamp;
        c->nps[i] = (s.has & CI_HAS_NPS) ? s.nps : NAN;
        c->csat[i] = (s.has & CI_HAS_CSAT) ? s.csat : NAN;
        c->ces[i] = (s.has & CI_HAS_CES) ? s.ces : NAN;
        c->direction[i] = s.ces_direction;
        c->value[i] = (s.has & CI_HAS_VALUE) ? s.value : NAN;
        c->compound[i] = r.has_sentiment ? r.compound : NAN;
        c->flags[i] = r.intent_flags;
        c->theme[i] = r.theme;
        c->text[i] = s.text;
    }
}

/* The columns of rows [from, from + n). */
static ci_signal_columns colset_view(colset *c, size_t from, size_t n, const uint32_t *codes[3])
{
    ci_signal_columns v;
    ci_signal_columns_init(&v);
    v.n_rows = n;
    for (int d = 0; d < 3; d++)
        codes[d] = c->codes[d] + from;
    v.dim_codes = codes;
    v.dim_values = c->dict_ptrs;
    v.n_dim_values = c->n_dict;
    v.timestamp = c->ts + from;
    v.nps = c->nps + from;
    v.csat = c->csat + from;
    v.ces = c->ces + from;
    v.ces_direction = n ? c->direction[from] : 0;
    v.value = c->value + from;
    v.compound = c->compound + from;
    v.intent_flags = c->flags + from;
    v.theme = c->theme + from;
    v.account_codes = c->acct + from;
    v.account_values = c->acct_dict;
    v.n_account_values = 5;
    v.text = c->text + from;
    return v;
}

/* Without a lexicon, counting 3 themes: for results from elsewhere. */
static ci_analyzer *themed_analyzer(ci_allocator *alloc)
{
    ci_analyzer *an;
    assert_int_equal(make_analyzer(NULL, 3, alloc, &an), CI_OK);
    return an;
}

/* Add rows [from, to) in calls of at most `batch` rows; a call also ends
 * before a CES answer of the other direction (one direction per call). */
/* set: add_columns_range() passes the codes narrow (1 and 2 bytes) */
static int narrow_codes;

static void add_columns_range(ci_analyzer *an, colset *c, size_t from, size_t to, size_t batch)
{
    while (from < to) {
        int dir = -1;
        size_t n = 0;
        for (; n < batch && from + n < to; n++) {
            size_t i = from + n;
            if (isnan(c->ces[i]))
                continue;
            if (dir < 0)
                dir = c->direction[i];
            else if (c->direction[i] != dir)
                break;
        }
        const uint32_t *codes[3];
        ci_signal_columns v = colset_view(c, from, n, codes);
        v.ces_direction = dir < 0 ? 0 : dir;
        /* the same codes one and two bytes wide, all ones for none */
        static uint8_t n8[2][4000];
        static uint16_t n16[4000];
        static const uint8_t widths[3] = {1, 1, 2};
        const void *narrow[3] = {n8[0], n8[1], n16};
        if (narrow_codes) {
            for (size_t k = 0; k < n; k++) {
                for (int d = 0; d < 2; d++)
                    n8[d][k] = codes[d][k] == CI_CODE_NONE ? UINT8_MAX : (uint8_t)codes[d][k];
                n16[k] = codes[2][k] == CI_CODE_NONE ? UINT16_MAX : (uint16_t)codes[2][k];
            }
            v.dim_codes = NULL;
            v.dim_code_bytes = widths;
            v.dim_codes_any = narrow;
        }
        size_t added = 99;
        assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_OK);
        assert_int_equal(added, n);
        from += n;
    }
}

/* The rows one by one through ci_analyzer_add_result(). */
static ci_analyzer *rows_reference(ci_sentiment *sa, size_t n)
{
    ci_analyzer *ref = themed_analyzer(NULL);
    for (uint64_t i = 0; i < n; i++) {
        ci_signal s;
        ci_attr attrs[3];
        ci_signal_result r;
        make_row(i, sa, &s, attrs, &r);
        s.kind = CI_SIGNAL_FEEDBACK;
        assert_int_equal(ci_analyzer_add_result(ref, &s, &r, NULL), CI_OK);
    }
    return ref;
}

static void assert_same_snapshot(const ci_analyzer *a, const ci_analyzer *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    assert_int_equal(ci_analyzer_save(a, &x, &nx), CI_OK);
    ci_status st = ci_analyzer_save(b, &y, &ny);
    if (st == CI_ERR_NOMEM) /* b's allocator fails once, when a test says so */
        st = ci_analyzer_save(b, &y, &ny);
    assert_int_equal(st, CI_OK);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    ci_free(x);
    ci_free(y);
}

typedef struct colfix {
    ci_lexicon *lex;
    ci_sentiment *sa;
    colset c;
} colfix;

static colfix *colfix_new(size_t n)
{
    colfix *f = malloc(sizeof *f);
    assert_non_null(f);
    assert_int_equal(ci_lexicon_new_builtin(NULL, &f->lex), CI_OK);
    ci_sentiment_options so;
    ci_sentiment_options_init(&so);
    assert_int_equal(ci_sentiment_new(f->lex, &so, NULL, &f->sa), CI_OK);
    colset_fill(&f->c, f->sa, n);
    return f;
}

static void colfix_free(colfix *f)
{
    ci_sentiment_free(f->sa);
    ci_lexicon_free(f->lex);
    free(f);
}

/* Columns in any batching give the very snapshot of one add_result per row:
 * cells, accounts, examples and all. */
static void test_columns_equal_rows(void **state)
{
    (void)state;
    const size_t n = 3000;
    size_t batches[] = {n, 1, 7, 256, 1000};
    for (plain_rows = 1; plain_rows >= 0; plain_rows--) {
        colfix *pf = colfix_new(n);
        ci_analyzer *pref = rows_reference(pf->sa, n);
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
            ci_analyzer *an = themed_analyzer(NULL);
            add_columns_range(an, &pf->c, 0, n, batches[b]);
            assert_same_snapshot(pref, an);
            assert_same_analyzers(pref, an);
            assert_int_equal(ci_analyzer_account_count(an), ci_analyzer_account_count(pref));
            ci_analyzer_free(an);
        }
        ci_analyzer_free(pref);
        colfix_free(pf);
    }
    plain_rows = 0;
    colfix *f = colfix_new(n);
    ci_analyzer *ref = rows_reference(f->sa, n);
    /* narrow codes: the same aggregates */
    for (narrow_codes = 1; narrow_codes >= 0; narrow_codes--) {
        ci_analyzer *an = themed_analyzer(NULL);
        add_columns_range(an, &f->c, 0, n, narrow_codes ? 700 : n);
        assert_same_snapshot(ref, an);
        ci_analyzer_free(an);
    }
    narrow_codes = 0;
    /* dictionaries too large for a table of codes take the strings' way:
     * the same rows through dictionaries padded with unused values */
    static ci_str big[3][70000];
    for (int d = 0; d < 3; d++) {
        for (size_t k = 0; k < 70000; k++)
            big[d][k] = k < f->c.n_dict[d] ? f->c.dict[d][k] : S("unused");
        f->c.dict_ptrs[d] = big[d];
        f->c.n_dict[d] = 70000;
    }
    ci_analyzer *an = themed_analyzer(NULL);
    add_columns_range(an, &f->c, 0, n, n);
    assert_same_snapshot(ref, an);
    ci_analyzer_free(an);
    ci_analyzer_free(ref);
    colfix_free(f);
}

/* A bad row stops the call there: the rows before it are in, it and the
 * rows after are not, the diag names the row, and going on from the next
 * row works. */
static void bad_rows(size_t n, size_t bad)
{
    colfix *f = colfix_new(n);
    colset *c = &f->c;
    /* every row with one CES direction, so one call can take them all */
    for (size_t i = 0; i < n; i++)
        c->direction[i] = 0;
    const uint32_t *codes[3];
    static const char invalid[] = "EM\xff";
    struct {
        ci_status st;
        int field;
        const char *needle;
    } cases[] = {
        {CI_ERR_RANGE, CI_FIELD_NPS, "nps 11"},
        {CI_ERR_NONFINITE, CI_FIELD_CSAT, "csat"},
        {CI_ERR_RANGE, CI_FIELD_ATTR_VALUE, "region"},
        {CI_ERR_UTF8, CI_FIELD_ATTR_VALUE, "UTF-8"},
        {CI_ERR_RANGE, -1, "compound"},
        {CI_ERR_RANGE, -1, "theme"},
        {CI_ERR_RANGE, CI_FIELD_ACCOUNT_ID, "account"},
        {CI_ERR_MISSING, CI_FIELD_TEXT, "neither"},
        {CI_ERR_RANGE, CI_FIELD_CES, "ces 3.5"},
        {CI_ERR_RANGE, CI_FIELD_CES, "ces_direction 5"},
        {CI_ERR_RANGE, -1, "theme"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        static colset saved;
        saved = *c;
        switch (k) {
        case 0: c->nps[bad] = 11; break;
        case 1: c->csat[bad] = INFINITY; break;
        case 2: c->codes[1][bad] = 4; break;
        case 3:
            c->dict[1][4] = S(invalid);
            c->n_dict[1] = 5;
            c->codes[1][bad] = 4;
            break;
        case 4: c->compound[bad] = 1.5; break;
        case 5: c->theme[bad] = 3; break;
        case 6: c->acct[bad] = 5; break;
        case 7:
            c->text[bad] = (ci_str){NULL, 0};
            c->nps[bad] = c->csat[bad] = c->ces[bad] = c->value[bad] = c->compound[bad] = NAN;
            c->theme[bad] = -1;
            break;
        case 8: c->ces[bad] = 3.5; break;
        case 10: c->theme[bad] = -2; break;
        case 9: /* a direction that matters only where a row has a CES */
            for (size_t i = 0; i < n; i++) {
                c->direction[i] = 5;
                c->ces[i] = i == bad ? 3 : NAN;
                if (i != bad && isnan(c->value[i]))
                    c->value[i] = 1; /* so that no row lacks every field */
            }
            break;
        }
        ci_analyzer *an = themed_analyzer(NULL);
        ci_signal_columns v = colset_view(c, 0, n, codes);
        ci_diag d;
        ci_diag_init(&d);
        size_t added = 99;
        assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), cases[k].st);
        assert_int_equal(added, bad);
        assert_int_equal(d.status, cases[k].st);
        assert_int_equal(d.index, (int64_t)bad);
        assert_int_equal(d.field, cases[k].field);
        char where[32];
        snprintf(where, sizeof where, "row %zu: ", bad);
        assert_non_null(strstr(d.message, where));
        assert_non_null(strstr(d.message, cases[k].needle));
        /* nothing of the bad row: the same as the rows before it alone */
        ci_analyzer *before = themed_analyzer(NULL);
        add_columns_range(before, c, 0, bad, n);
        assert_same_snapshot(before, an);
        /* and the caller goes on after it */
        add_columns_range(an, c, bad + 1, n, n);
        add_columns_range(before, c, bad + 1, n, n);
        assert_same_snapshot(before, an);
        ci_analyzer_free(before);
        ci_analyzer_free(an);
        *c = saved;
    }
    colfix_free(f);
}

/* ... with and without accounts: rows that take the whole path, and plain
 * rows that are checked by the shortcut first; the bad row inside a block
 * and last in an odd one (the shortcut takes rows in pairs, then one) */
static void test_columns_bad_rows(void **state)
{
    (void)state;
    for (plain_rows = 0; plain_rows <= 1; plain_rows++) {
        bad_rows(600, 250);
        bad_rows(599, 598);
    }
    plain_rows = 0;
}

static void test_columns_arguments(void **state)
{
    (void)state;
    ci_analyzer *an = themed_analyzer(NULL);
    ci_signal_columns v;
    ci_signal_columns_init(&v);
    ci_signal_columns_init(NULL);
    size_t added = 99;
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_analyzer_add_columns(NULL, &v, &added, &d), CI_ERR_INVALID);
    assert_int_equal(added, 0);
    assert_int_equal(ci_analyzer_add_columns(an, NULL, NULL, NULL), CI_ERR_INVALID);
    /* no rows: nothing to do */
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_OK);
    assert_int_equal(added, 0);
    /* rows without any column carry nothing */
    v.n_rows = 3;
    added = 99;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_MISSING);
    assert_int_equal(added, 0);
    assert_int_equal(d.index, 0);
    /* a value column alone is enough: population only, no dimension */
    double value[3] = {1.25, NAN, 3};
    v.value = value;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_MISSING);
    assert_int_equal(added, 1);
    assert_int_equal(d.index, 1);
    value[1] = 2;
    v.value = value + 1;
    v.n_rows = 2;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_OK);
    assert_int_equal(added, 2);
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, 0, NULL, &st), CI_OK);
    assert_int_equal(st.count, 3);
    assert_true(st.value_sum == 6.25);
    /* codes without a dictionary */
    uint32_t codes0[2] = {0, 0};
    const uint32_t *codes[3] = {codes0, NULL, NULL};
    v.dim_codes = codes;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_INVALID);
    assert_int_equal(added, 0);
    ci_str dict0[1] = {S("pro")};
    const ci_str *dicts[3] = {dict0, NULL, NULL};
    size_t nd[3] = {1, 0, 0};
    v.dim_values = dicts;
    v.n_dim_values = nd;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_OK);
    ci_str tier = S("pro"), none[3] = {tier, {NULL, 0}, {NULL, 0}};
    size_t at;
    assert_int_equal(ci_analyzer_find(an, none, &at), CI_OK);
    uint32_t acct[2] = {0, 0};
    v.account_codes = acct;
    v.n_account_values = 1;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_ERR_INVALID);
    v.n_account_values = 0; /* an empty dictionary: every code is out of it */
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_RANGE);
    assert_int_equal(d.field, CI_FIELD_ACCOUNT_ID);
    v.account_codes = NULL;
    /* narrow codes: a width other than 1, 2 or 4 is turned down whole; a
     * code outside its dictionary names its row; all ones is no value */
    uint8_t widths[3] = {3, 0, 0};
    uint8_t n8[2] = {0, 0};
    const void *any[3] = {n8, NULL, NULL};
    v.dim_code_bytes = widths;
    v.dim_codes_any = any;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_INVALID);
    assert_int_equal(added, 0);
    widths[0] = 1;
    n8[1] = 1;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_RANGE);
    assert_int_equal(added, 1);
    assert_int_equal(d.index, 1);
    assert_int_equal(d.field, CI_FIELD_ATTR_VALUE);
    n8[1] = UINT8_MAX;
    ci_segment_stats_init(&st);
    assert_int_equal(ci_analyzer_segment(an, at, NULL, &st), CI_OK);
    uint64_t before = st.count;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, NULL), CI_OK);
    assert_int_equal(added, 2);
    assert_int_equal(ci_analyzer_segment(an, at, NULL, &st), CI_OK);
    assert_int_equal(st.count, before + 1); /* row 1 has no tier: population only */
    v.dim_code_bytes = NULL;
    v.struct_size = sizeof v - 1;
    assert_int_equal(ci_analyzer_add_columns(an, &v, &added, &d), CI_ERR_STRUCT_SIZE);
    ci_analyzer_free(an);
}

/* Fail each allocation of one call: the rows before the failing one are
 * in, the rest go in on retry, and the result is the same as without
 * failures; nothing leaks. */
static void test_columns_allocation_failures(void **state)
{
    (void)state;
    const size_t n = 300;
    colfix *f = colfix_new(n);
    for (size_t i = 0; i < n; i++)
        f->c.direction[i] = 0;
    ci_analyzer *ref = themed_analyzer(NULL);
    add_columns_range(ref, &f->c, 0, n, n);
    for (long k = 1; k < 1000; k++) {
        test_alloc ta = {.fail_at = k};
        ci_allocator a = ta_allocator(&ta);
        ci_analyzer *an;
        if (make_analyzer(NULL, 3, &a, &an) != CI_OK) {
            assert_int_equal(ta.live, 0);
            continue;
        }
        size_t from = 0;
        while (from < n) {
            const uint32_t *codes[3];
            ci_signal_columns v = colset_view(&f->c, from, n - from, codes);
            size_t added = 99;
            ci_status st = ci_analyzer_add_columns(an, &v, &added, NULL);
            assert_true(st == CI_OK || st == CI_ERR_NOMEM);
            assert_true(added <= n - from);
            assert_true(st != CI_OK || added == n - from);
            from += added;
        }
        assert_same_snapshot(ref, an);
        ci_analyzer_free(an);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    ci_analyzer_free(ref);
    colfix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_day_patterns),
        cmocka_unit_test(test_cell_spill),
        cmocka_unit_test(test_value_sums_exact),
        cmocka_unit_test(test_exact_sum_arithmetic),
        cmocka_unit_test(test_block_checks_agree),
        cmocka_unit_test(test_many_combinations),
        cmocka_unit_test(test_merge_equivalence),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_columns_equal_rows),
        cmocka_unit_test(test_columns_bad_rows),
        cmocka_unit_test(test_columns_arguments),
        cmocka_unit_test(test_columns_allocation_failures),
    };
    return cmocka_run_group_tests_name("segments", tests, NULL, NULL);
}
