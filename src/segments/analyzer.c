/* SPDX-License-Identifier: MIT */
/*
 * The analyzer: signals in, mergeable segment aggregates out.
 *
 * An add updates one cell (see segments-priv.h), after reserving everything
 * the update may need, so an add either happens whole or not at all.  The
 * summary (segments x buckets) is rolled up from the cells on first read.
 */
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../common/bits-priv.h"
#include "../common/diag-priv.h"
#include "../common/utf8-priv.h"
#include "../signal/signal-priv.h"
#include "segments-priv.h"

CI_API void ci_analyzer_options_init(ci_analyzer_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->max_depth = 2;
    o->buckets = CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH;
}

CI_API void ci_signal_result_init(ci_signal_result *r)
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->theme = -1;
}

CI_API void ci_signal_columns_init(ci_signal_columns *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
}

CI_API void ci_segment_stats_init(ci_segment_stats *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->struct_size = sizeof *s;
}

static void examples_free(const ci_alloc *a, example_list *l, int owned)
{
    if (owned)
        for (uint32_t j = 0; j < l->n; j++)
            ci_dealloc(a, l->items[j].text);
    ci_dealloc(a, l->items);
    l->items = NULL;
    l->n = 0;
}

CI_API void ci_analyzer_free(ci_analyzer *an)
{
    if (!an)
        return;
    ci_alloc a = an->a;
    ci_strmap_free(&an->dims);
    ci_dealloc(&a, an->masks);
    ci_sentiment_free(an->senti);
    ci_theme_assigner_free(an->assigner);
    for (size_t c = 0; c < an->combos.count; c++)
        examples_free(&a, &an->cex[c], 1);
    ci_dealloc(&a, an->cex);
    ci_strmap_free(&an->combos);
    ci_u64map_free(&an->cells, &a);
    ci_dealloc(&a, an->ccache);
    for (size_t c = 0; c < an->cday_cap; c++)
        ci_dealloc(&a, an->cday[c].ids);
    ci_dealloc(&a, an->cday);
    ci_cells_free(an);
    ci_dealloc(&a, an->ckey);
    ci_dealloc(&a, an->ctheme);
    ci_accounts_free(an);
    ci_strmap_free(&an->accts);
    for (size_t s = 0; s < an->segs.count; s++)
        examples_free(&a, &an->sex[s], 0);
    ci_dealloc(&a, an->sex);
    ci_strmap_free(&an->segs);
    ci_dealloc(&a, an->seg_entry);
    ci_u64map_free(&an->entries, &a);
    ci_dealloc(&a, an->st);
    ci_dealloc(&a, an->theme_counts);
    for (int k = 0; k < NBUCKET_KINDS; k++)
        ci_dealloc(&a, an->bl[k].start);
    ci_dealloc(&a, an->key);
    ci_dealloc(&a, an->vals);
    ci_dealloc(&a, an);
}

/* The configuration part of creating an analyzer, shared with snapshot loading. */
ci_status ci_analyzer_create(const ci_alloc *a, const ci_str *dims, size_t ndims,
                             unsigned max_depth, unsigned buckets, const ci_lexicon *lexicon,
                             int vader_compat, const ci_theme_model *model, size_t n_themes,
                             ci_analyzer **out)
{
    *out = NULL;
    if (ndims > CI_ANALYZER_MAX_DIMENSIONS)
        return CI_ERR_LIMIT;
    if ((ndims && !dims) || (buckets & ~(unsigned)(CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH)))
        return CI_ERR_INVALID;
    if (model && !lexicon)
        return CI_ERR_INVALID; /* themes are assigned to scored texts */
    ci_analyzer *an = ci_calloc(a, 1, sizeof *an);
    if (!an)
        return CI_ERR_NOMEM;
    an->a = *a;
    ci_strmap_init(&an->dims, a);
    ci_strmap_init(&an->combos, a);
    ci_strmap_init(&an->accts, a);
    ci_strmap_init(&an->segs, a);
    an->ndims = ndims;
    an->max_depth = max_depth ? max_depth : 1;
    if (an->max_depth > an->ndims)
        an->max_depth = (unsigned)an->ndims;
    an->buckets = buckets;
    an->max_ts = CI_TIME_NONE;
    an->dirty = 1;
    ci_status st = CI_OK;
    for (size_t d = 0; d < ndims && st == CI_OK; d++) {
        size_t idx;
        int added;
        ci_str k = dims[d];
        if (!k.data || !k.len || k.len > CI_SIGNAL_MAX_FIELD ||
            ci_utf8_validate(k.data, k.len, NULL) != CI_OK)
            st = CI_ERR_INVALID;
        else if ((st = ci_strmap_put(&an->dims, k.data, k.len, &idx, &added)) == CI_OK && !added)
            st = CI_ERR_INVALID; /* declared twice */
    }
    /* every subset of at most max_depth dimensions, the population first */
    size_t nsub = (size_t)1 << an->ndims;
    if (st == CI_OK && !(an->masks = ci_malloc(a, nsub * sizeof(uint32_t))))
        st = CI_ERR_NOMEM;
    for (uint32_t m = 0; st == CI_OK && m < nsub; m++)
        if (ci_popcount(m) <= an->max_depth)
            an->masks[an->nmasks++] = m;
    if (st == CI_OK && !(an->vals = ci_calloc(a, an->ndims + 1, sizeof *an->vals)))
        st = CI_ERR_NOMEM;
    an->ntheme = model ? ci_theme_model_count(model) : n_themes;
    an->model = model;
    if (st == CI_OK && lexicon) {
        ci_sentiment_options so;
        ci_sentiment_options_init(&so);
        so.vader_compat = vader_compat;
        ci_allocator pub;
        ci_alloc_public(a, &pub);
        st = ci_sentiment_new(lexicon, &so, &pub, &an->senti);
        if (st == CI_OK && model)
            st = ci_theme_assigner_new(model, 0, &pub, &an->assigner);
    }
    if (st != CI_OK) {
        ci_analyzer_free(an);
        return st;
    }
    *out = an;
    return CI_OK;
}

CI_API ci_status ci_analyzer_new(const ci_analyzer_options *opts, const ci_allocator *alloc,
                                 ci_analyzer **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof(ci_analyzer_options))
            return CI_ERR_STRUCT_SIZE;
        o = *opts;
    }
    if (!o.themes && o.n_themes > CI_ANALYZER_MAX_THEMES)
        return CI_ERR_LIMIT;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    return ci_analyzer_create(&a, o.dimensions, o.n_dimensions, o.max_depth, o.buckets, o.lexicon,
                              o.vader_compat, o.themes, o.n_themes, out);
}

/* ------------------------------------------------------------------------ */
/*  Buckets                                                                 */
/* ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of y-m-1, and back (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m)
{
    y -= m <= 2;
    int64_t era = ci_floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m)
{
    z += 719468;
    int64_t era = ci_floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Start of the bucket holding ts; kind 0 day, 1 week, 2 month. */
static int bucket_start(int kind, int64_t ts, int64_t *start)
{
    /* far outside any calendar a customer lives in: no bucket */
    if (ts < -(int64_t)1e15 || ts > (int64_t)1e15)
        return 0;
    int64_t day = ci_floor_div(ts, 86400);
    if (kind == 0) {
        *start = day * 86400;
    } else if (kind == 1) {
        /* 1970-01-01 was a Thursday, so (day + 3) mod 7 counts from Monday */
        int64_t dow = day + 3 - ci_floor_div(day + 3, 7) * 7;
        *start = (day - dow) * 86400;
    } else {
        int64_t y;
        unsigned m;
        civil_from_days(day, &y, &m);
        *start = days_from_civil(y, m) * 86400;
    }
    return 1;
}

static ci_status bucket_note(const ci_alloc *a, bucket_list *b, int64_t start)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->start[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->n && b->start[lo] == start)
        return CI_OK;
    ci_status st = ci_grow(a, (void **)&b->start, &b->cap, b->n + 1, sizeof(int64_t));
    if (st != CI_OK)
        return st;
    memmove(b->start + lo + 1, b->start + lo, (b->n - lo) * sizeof(int64_t));
    b->start[lo] = start;
    b->n++;
    return CI_OK;
}

int ci_bucket_kind(unsigned bucket)
{
    return bucket == CI_BUCKET_DAY ? 0 : bucket == CI_BUCKET_WEEK ? 1 : bucket == CI_BUCKET_MONTH ? 2 : -1;
}

/* Cells hold days as a 32-bit code; UINT32_MAX is "no time". */
#define NO_DAY UINT32_MAX

static uint32_t day_code(const ci_analyzer *an, int64_t ts)
{
    if (!an->buckets || ts == CI_TIME_NONE)
        return NO_DAY;
    /* times since 1970 divide as unsigned numbers: a multiply, no fix-up */
    int64_t day = ts >= 0 ? (int64_t)((uint64_t)ts / 86400) : ci_floor_div(ts, 86400);
    /* far outside any calendar a customer lives in: no bucket */
    if (day < INT32_MIN || day >= INT32_MAX)
        return NO_DAY;
    return (uint32_t)(day - (int64_t)INT32_MIN);
}

static int64_t code_day(uint32_t code)
{
    return (int64_t)code + (int64_t)INT32_MIN;
}

/* ------------------------------------------------------------------------ */
/*  Keys                                                                    */
/* ------------------------------------------------------------------------ */

static void put32(char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Combination key: every dimension's value, length-prefixed. */
static size_t combo_key(const ci_analyzer *an, char *out)
{
    size_t o = 0;
    for (size_t d = 0; d < an->ndims; d++) {
        const ci_str *v = an->vals[d];
        put32(out + o, (uint32_t)v->len);
        o += 4;
        if (v->len)
            memcpy(out + o, v->data, v->len);
        o += v->len;
    }
    return o;
}

/* Point an->vals at the values inside a combination key. */
static void combo_values(ci_analyzer *an, const char *k, ci_str *store)
{
    size_t o = 0;
    for (size_t d = 0; d < an->ndims; d++) {
        uint32_t len;
        memcpy(&len, k + o, 4);
        o += 4;
        store[d].data = k + o;
        store[d].len = len;
        an->vals[d] = &store[d];
        o += len;
    }
}

/* A direct-mapped cache in front of the combinations map: a slot by a hash
 * of the current values, holding the combination last seen there.  A hit,
 * checked against the combination's own key, spares building the key,
 * hashing it whole and probing the map.  Combination ids never change, so
 * entries never go stale; a collision just costs the map lookup. */
#define COMBO_CACHE_BITS 12
#define NO_SLOT SIZE_MAX /* a combination found without the cache */

/* The value of a dimension a signal does not carry. */
static const ci_str no_value = {"", 0};

static size_t combo_slot(const ci_analyzer *an)
{
    /* a slot index, not a map hash: the length and the first and last
     * bytes of each value, multiplied into the top bits, are enough */
    uint64_t h = 0;
    for (size_t d = 0; d < an->ndims; d++) {
        const char *v = an->vals[d]->data;
        size_t n = an->vals[d]->len;
        uint64_t a = n, b = 0;
        if (n >= 8) {
            memcpy(&a, v, 8);
            memcpy(&b, v + n - 8, 8);
        } else if (n >= 4) {
            uint32_t x, y;
            memcpy(&x, v, 4);
            memcpy(&y, v + n - 4, 4);
            a = x;
            b = y;
        } else if (n) {
            a = (uint64_t)(uint8_t)v[0] << 8 | (uint8_t)v[n - 1];
        }
        h = (h ^ a ^ (b << 1) ^ n) * UINT64_C(0x9E3779B97F4A7C15);
    }
    return (size_t)(h >> (64 - COMBO_CACHE_BITS));
}

/* The combination in slot if its values are the current ones, or -1. */
static long combo_cached(const ci_analyzer *an, size_t slot)
{
    uint32_t c = an->ccache ? an->ccache[slot] : 0;
    if (!c)
        return -1;
    size_t kl, o = 0;
    const char *k = ci_strmap_key(&an->combos, c - 1, &kl);
    for (size_t d = 0; d < an->ndims; d++) {
        uint32_t len;
        memcpy(&len, k + o, 4);
        o += 4;
        if (len != an->vals[d]->len || !ci_same_bytes(k + o, an->vals[d]->data, len))
            return -1;
        o += len;
    }
    return (long)c - 1;
}

/* Segment key: mask, then length-prefixed values of its dimensions. */
static size_t seg_key(const ci_analyzer *an, uint32_t mask, char *out)
{
    size_t o = 0;
    put32(out, mask);
    o += 4;
    for (size_t d = 0; d < an->ndims; d++) {
        if (!(mask & (1u << d)))
            continue;
        const ci_str *v = an->vals[d];
        put32(out + o, (uint32_t)v->len);
        o += 4;
        if (v->len)
            memcpy(out + o, v->data, v->len);
        o += v->len;
    }
    return o;
}

static uint64_t entry_key(uint32_t seg, int kind, uint32_t day)
{
    return (uint64_t)seg << 34 | (uint64_t)kind << 32 | day;
}

uint32_t ci_seg_mask(const ci_analyzer *an, size_t i)
{
    size_t kl;
    const char *k = ci_strmap_key(&an->segs, i, &kl);
    uint32_t mask;
    memcpy(&mask, k, 4);
    return mask;
}

/* ------------------------------------------------------------------------ */
/*  Examples                                                                */
/* ------------------------------------------------------------------------ */

/* Longest prefix of at most max bytes that ends on a character boundary. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* Would (compound, text) enter list l? */
static int example_qualifies(const example_list *l, double c, const char *t, size_t n)
{
    if (l->n < CI_ANALYZER_EXAMPLES)
        return 1;
    return ci_example_before(c, t, n, &l->items[l->n - 1]);
}

/* Insert an example whose text (owned or a view) is ready; the list has
 * room for CI_ANALYZER_EXAMPLES items.  Returns the evicted text, if any,
 * or the offered one when it does not qualify (after all). */
static char *example_insert(example_list *l, example e)
{
    uint32_t pos = l->n;
    while (pos > 0 && ci_example_before(e.compound, e.text, e.len, &l->items[pos - 1]))
        pos--;
    /* the same text twice (a merge of overlapping data, or a repeat) is kept once */
    if (pos > 0 && l->items[pos - 1].compound == e.compound && l->items[pos - 1].len == e.len &&
        memcmp(l->items[pos - 1].text, e.text, e.len) == 0)
        return e.text;
    if (pos >= CI_ANALYZER_EXAMPLES)
        return e.text;
    char *evicted = NULL;
    if (l->n == CI_ANALYZER_EXAMPLES)
        evicted = l->items[--l->n].text;
    memmove(l->items + pos + 1, l->items + pos, (l->n - pos) * sizeof(example));
    l->items[pos] = e;
    l->n++;
    return evicted;
}

/* ------------------------------------------------------------------------ */
/*  Adding                                                                  */
/* ------------------------------------------------------------------------ */

/* Welford's update of a cell's CES and sentiment moments, for each of the
 * two that is present (not NaN): the same arithmetic as ci_w_add(), so a
 * cell's moments equal those of stats fed alike.  Both at once and without
 * a branch: whether a row has a CES or a compound is as random as the data,
 * and a mispredicted branch costs more than the update.  An absent one adds
 * zero (d is 0), which leaves its mean and m2 as they were. */
static inline void cell_moments_add(cellstats *c, double ces, double sent)
{
    c->ces_n += !isnan(ces);
    c->sent_n += !isnan(sent);
#if defined(__SSE2__)
    __m128d x = _mm_set_pd(sent, ces), here = _mm_cmpord_pd(x, x);
    __m128d n = _mm_max_pd(_mm_set_pd((double)c->sent_n, (double)c->ces_n), _mm_set1_pd(1));
    __m128d mean = _mm_loadu_pd(c->mean), m2 = _mm_loadu_pd(c->m2);
    __m128d d = _mm_and_pd(here, _mm_sub_pd(x, mean));
    mean = _mm_add_pd(mean, _mm_div_pd(d, n));
    m2 = _mm_add_pd(m2, _mm_mul_pd(d, _mm_and_pd(here, _mm_sub_pd(x, mean))));
    _mm_storeu_pd(c->mean, mean);
    _mm_storeu_pd(c->m2, m2);
#else
    const double xs[2] = {ces, sent};
    const uint32_t ns[2] = {c->ces_n, c->sent_n};
    for (int k = 0; k < 2; k++) {
        int here = !isnan(xs[k]);
        double d = here ? xs[k] - c->mean[k] : 0;
        c->mean[k] += d / (double)(ns[k] ? ns[k] : 1);
        c->m2[k] += d * (here ? xs[k] - c->mean[k] : 0);
    }
#endif
}

/* What an add puts into a cell, NaN standing for an absent score, value or
 * sentiment: the one form that signals and column rows both take, so that
 * the two ways of adding cannot drift apart. */
typedef struct cell_row {
    double nps, csat, ces, compound, value; /* ces on the higher-is-easier scale */
    unsigned intent_flags;                  /* counted only with a compound */
    int text;                               /* counts as a text */
    int32_t theme;
    int64_t timestamp;
} cell_row;

static inline cell_row cell_row_of(const ci_signal *sig, const ci_signal_result *r)
{
    cell_row x;
    x.nps = sig->has & CI_HAS_NPS ? sig->nps : NAN;
    x.csat = sig->has & CI_HAS_CSAT ? sig->csat : NAN;
    x.ces = !(sig->has & CI_HAS_CES) ? NAN
            : sig->ces_direction == CI_CES_LOWER_IS_EASIER ? 8 - sig->ces : sig->ces;
    x.compound = r->has_sentiment ? r->compound : NAN;
    x.value = sig->has & CI_HAS_VALUE ? sig->value : NAN;
    x.intent_flags = r->intent_flags;
    /* a result scored or themed elsewhere stands for a text even when the
     * signal does not carry it: theme shares and sentiment counts are
     * fractions of texts, and snapshots are checked for that */
    x.text = sig->text.len > 0 || r->has_sentiment || r->theme >= 0;
    x.theme = r->theme;
    x.timestamp = sig->timestamp;
    return x;
}

/* One row into a cell (below CI_CELL_MAX: checked by the caller).  The
 * comparisons are false for NaN, which keeps the counters branch-free.
 * Returns 0 when the value is one the cell's integer cannot hold: the
 * caller adds it to the spill record. */
static inline int cell_add(cellstats *c, const cell_row *x)
{
#if defined(__SSE2__)
    /* The first eight counters in two vector adds: each test a lane of
     * all ones, which subtracted adds one.  NPS is whole (checked), so
     * "below 7" is a detractor and "7 up to 9" a passive. */
    _Static_assert(offsetof(cellstats, count) == 0 && offsetof(cellstats, texts) == 4 &&
                       offsetof(cellstats, nps_pro) == 8 && offsetof(cellstats, nps_pas) == 12 &&
                       offsetof(cellstats, nps_det) == 16 && offsetof(cellstats, csat_n) == 20 &&
                       offsetof(cellstats, csat_sat) == 24 && offsetof(cellstats, value_n) == 28,
                   "the counters' lanes");
    __m128d nps = _mm_set1_pd(x->nps), csat = _mm_set1_pd(x->csat), value = _mm_set1_pd(x->value);
    __m128d ge = _mm_cmpge_pd(nps, _mm_set_pd(7, 9)), lt = _mm_cmplt_pd(nps, _mm_set_pd(9, 7));
    __m128d ones = _mm_castsi128_pd(_mm_set1_epi32(-1));
    __m128d pro_pas = _mm_and_pd(ge, _mm_unpackhi_pd(ones, lt));
    __m128d count_text = _mm_castsi128_pd(_mm_set_epi64x(-(int64_t)(x->text != 0), -1));
    __m128d det_csat = _mm_unpacklo_pd(lt, _mm_cmpord_pd(csat, csat));
    __m128d sat_value = _mm_unpacklo_pd(_mm_cmpge_pd(csat, _mm_set1_pd(4)), _mm_cmpord_pd(value, value));
    __m128i v0 = _mm_castps_si128(_mm_shuffle_ps(_mm_castpd_ps(count_text), _mm_castpd_ps(pro_pas),
                                                 _MM_SHUFFLE(2, 0, 2, 0)));
    __m128i v1 = _mm_castps_si128(_mm_shuffle_ps(_mm_castpd_ps(det_csat), _mm_castpd_ps(sat_value),
                                                 _MM_SHUFFLE(2, 0, 2, 0)));
    __m128i *p = (__m128i *)(void *)c;
    _mm_store_si128(p, _mm_sub_epi32(_mm_load_si128(p), v0));
    _mm_store_si128(p + 1, _mm_sub_epi32(_mm_load_si128(p + 1), v1));
#else
    c->count++;
    c->nps_pro += x->nps >= 9;
    c->nps_pas += (x->nps >= 7) & (x->nps < 9);
    c->nps_det += x->nps <= 6;
    c->csat_n += !isnan(x->csat);
    c->csat_sat += x->csat >= 4;
    c->texts += x->text;
    c->value_n += !isnan(x->value);
#endif
    cell_moments_add(c, x->ces, x->compound);
    /* intents count with a compound only; branch-free like the rest */
    unsigned f = isnan(x->compound) ? 0 : x->intent_flags;
#if defined(__SSE2__)
    _Static_assert(CI_INTENT_COUNT == 6, "intents: four lanes, then two");
    const __m128i b0 = _mm_set_epi32(8, 4, 2, 1), b1 = _mm_set_epi32(0, 0, 32, 16);
    __m128i vf = _mm_set1_epi32((int)f);
    __m128i i0 = _mm_loadu_si128((const __m128i *)(const void *)c->intents);
    __m128i i1 = _mm_loadl_epi64((const __m128i *)(const void *)(c->intents + 4));
    /* a set bit compares equal: -1, which subtracted adds one */
    i0 = _mm_sub_epi32(i0, _mm_cmpeq_epi32(_mm_and_si128(vf, b0), b0));
    i1 = _mm_sub_epi32(i1, _mm_cmpeq_epi32(_mm_and_si128(vf, b1), b1));
    _mm_storeu_si128((__m128i *)(void *)c->intents, i0);
    _mm_storel_epi64((__m128i *)(void *)(c->intents + 4), i1);
#else
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        c->intents[k] += (f >> k) & 1;
#endif
    /* an absent value adds a zero */
    return ci_fix_add(c->value, isnan(x->value) ? 0.0 : x->value);
}

/* Note cell as the one of (combo, day) in the combo's day index.  Best
 * effort: when the index would grow too sparse, or memory is short, the
 * cell is simply left to the map. */
static void cell_remember(ci_analyzer *an, uint32_t combo, uint32_t day, uint32_t cell)
{
    if (day == NO_DAY)
        return;
    if (combo >= an->cday_cap) {
        void *p = an->cday;
        size_t cap = an->cday_cap;
        if (ci_grow(&an->a, &p, &cap, (size_t)combo + 1, sizeof(day_index)) != CI_OK)
            return;
        an->cday = p;
        memset(an->cday + an->cday_cap, 0, (cap - an->cday_cap) * sizeof(day_index));
        an->cday_cap = cap;
    }
    day_index *di = &an->cday[combo];
    if (!di->span || day - di->first >= di->span) {
        /* cover the old range and day, with room to grow on day's side,
         * but never more than a few slots per known cell */
        uint64_t lo = di->span ? (day < di->first ? day : di->first) : day;
        uint64_t hi = di->span ? (day > di->first + di->span - 1 ? day : di->first + di->span - 1) : day;
        uint64_t need = hi - lo + 1, limit = 64 + 8 * ((uint64_t)di->known + 1);
        if (limit > (UINT64_C(1) << 20))
            limit = UINT64_C(1) << 20; /* 2,870 years of days */
        if (need > limit)
            return;
        uint64_t want = need + need / 2 + 16 < limit ? need + need / 2 + 16 : limit;
        uint64_t first = (di->span && day < di->first) ? (hi + 1 >= want ? hi + 1 - want : 0) : lo;
        if (first + want > NO_DAY)
            first = NO_DAY - want;
        uint32_t *ids = ci_calloc(&an->a, (size_t)want, sizeof(uint32_t));
        if (!ids)
            return;
        if (di->span)
            memcpy(ids + (di->first - first), di->ids, di->span * sizeof(uint32_t));
        ci_dealloc(&an->a, di->ids);
        di->ids = ids;
        di->first = (uint32_t)first;
        di->span = (uint32_t)want;
    }
    uint32_t *slot = &di->ids[day - di->first];
    di->known += *slot == 0;
    *slot = cell + 1;
}

/* The cell of (combo, day) in the combination's day index, or -1. */
static inline long cell_indexed(const ci_analyzer *an, uint32_t combo, uint32_t day)
{
    if (combo < an->cday_cap) {
        const day_index *di = &an->cday[combo];
        uint32_t off = day - di->first;
        if (off < di->span && di->ids[off])
            return (long)di->ids[off] - 1;
    }
    return -1;
}

/* The cell of (combo, day), or -1, without noting it in the day index. */
static inline long cell_peek(const ci_analyzer *an, uint32_t combo, uint32_t day)
{
    long cell = cell_indexed(an, combo, day);
    return cell >= 0 ? cell : ci_u64map_get(&an->cells, (uint64_t)combo << 32 | day);
}

/* The cell of (combo, day), or -1; a cell found in the map goes into the
 * day index for next time. */
static inline long cell_find(ci_analyzer *an, uint32_t combo, uint32_t day)
{
    long cell = cell_indexed(an, combo, day);
    if (cell >= 0)
        return cell;
    cell = ci_u64map_get(&an->cells, (uint64_t)combo << 32 | day);
    if (cell >= 0)
        cell_remember(an, combo, day, (uint32_t)cell);
    return cell;
}

/* One row into its cell (below CI_CELL_MAX) and what every add updates.
 * A value the cell's integer cannot hold needs spill room reserved. */
static inline void cell_apply(ci_analyzer *an, long cell, const cell_row *x)
{
    if (!cell_add(&an->cst[cell], x))
        ci_cell_add_fine(an, (size_t)cell, x->value);
    if (x->theme >= 0 && (size_t)x->theme < an->ntheme)
        an->ctheme[(size_t)cell * an->ntheme + (size_t)x->theme]++;
    /* CI_TIME_NONE is the least int64_t: neither it nor an unset max_ts
     * needs a test of its own */
    _Static_assert(CI_TIME_NONE == INT64_MIN, "CI_TIME_NONE sorts first");
    if (x->timestamp > an->max_ts)
        an->max_ts = x->timestamp;
    an->dirty = 1;
}

static ci_status reserve_cells(ci_analyzer *an, size_t n)
{
    ci_status st;
    size_t cap = an->cst_cap;
    if (n > cap) {
        size_t kcap = cap;
        if ((st = ci_grow(&an->a, (void **)&an->ckey, &kcap, n, sizeof(uint64_t))) != CI_OK)
            return st;
        if ((st = ci_cells_reserve(an, n)) != CI_OK)
            return st;
        /* ckey keeps at least cst_cap entries */
        if (kcap < an->cst_cap &&
            (st = ci_grow(&an->a, (void **)&an->ckey, &kcap, an->cst_cap, sizeof(uint64_t))) != CI_OK)
            return st;
    }
    if (an->ntheme && n * an->ntheme > an->ctheme_cap) {
        size_t old = an->ctheme_cap;
        if ((st = ci_grow(&an->a, (void **)&an->ctheme, &an->ctheme_cap, n * an->ntheme,
                          sizeof(uint64_t))) != CI_OK)
            return st;
        memset(an->ctheme + old, 0, (an->ctheme_cap - old) * sizeof(uint64_t));
    }
    return CI_OK;
}

static ci_status reserve_combos(ci_analyzer *an, size_t n)
{
    size_t cap = an->cex_cap;
    if (n <= cap)
        return CI_OK;
    ci_status st = ci_grow(&an->a, (void **)&an->cex, &an->cex_cap, n, sizeof(example_list));
    if (st == CI_OK)
        memset(an->cex + cap, 0, (an->cex_cap - cap) * sizeof(example_list));
    return st;
}

/* The combination of the current values (an->vals): its id, or -1 with its
 * key built in an->key (*kl bytes) ready for adding.  *slot receives the
 * cache slot to note the combination in. */
static ci_status combo_resolve(ci_analyzer *an, size_t *slot, size_t *kl, long *combo)
{
    ci_status st;
    if (!an->ccache) /* best effort: without it, every add takes the map */
        an->ccache = ci_calloc(&an->a, (size_t)1 << COMBO_CACHE_BITS, sizeof(uint32_t));
    *slot = combo_slot(an);
    *kl = 0;
    *combo = combo_cached(an, *slot);
    if (*combo >= 0)
        return CI_OK;
    size_t keybytes = 0;
    for (size_t d = 0; d < an->ndims; d++)
        keybytes += 4 + an->vals[d]->len;
    if (keybytes + 16 > an->key_cap &&
        (st = ci_grow(&an->a, (void **)&an->key, &an->key_cap, keybytes + 16, 1)) != CI_OK)
        return st;
    *kl = combo_key(an, an->key);
    *combo = ci_strmap_find_h(&an->combos, an->key, *kl, ci_strmap_hash(an->key, *kl));
    return CI_OK;
}

/* Add a valid signal whose combination combo_resolve() gave; *out receives
 * the combination's id (new ones included). */
static ci_status ingest_resolved(ci_analyzer *an, long combo, size_t slot, size_t kl,
                                 const ci_signal *sig, const ci_signal_result *r, long *out,
                                 ci_diag *diag)
{
    ci_status st;
    uint32_t day = day_code(an, sig->timestamp);
    long cell = combo >= 0 ? cell_find(an, (uint32_t)combo, day) : -1;
    /* reserve what this signal may create, so the updates cannot fail */
    if (combo < 0) {
        if (an->combos.count >= CI_ANALYZER_MAX_SEGMENTS)
            return ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0, "more than %u combinations",
                               CI_ANALYZER_MAX_SEGMENTS);
        if ((st = ci_strmap_reserve(&an->combos, 1, kl)) != CI_OK ||
            (st = reserve_combos(an, an->combos.count + 1)) != CI_OK)
            return st;
    }
    if (cell < 0) {
        if (an->cells.count >= UINT32_MAX / 2)
            return ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0, "too many cells");
        if ((st = ci_u64map_reserve(&an->cells, &an->a, 1)) != CI_OK ||
            (st = reserve_cells(an, an->cells.count + 1)) != CI_OK)
            return st;
    }
    if (cell >= 0 && an->cst[cell].count >= CI_CELL_MAX && (st = ci_cell_spill(an, (size_t)cell)) != CI_OK)
        return st;
    if ((sig->has & CI_HAS_VALUE) && !ci_fix_takes(sig->value) && (st = ci_spill_reserve(an, 1)) != CI_OK)
        return st;
    if (sig->account_id.len &&
        (st = ci_account_reserve(an, &sig->account_id, sig->timestamp, r->theme)) != CI_OK)
        return st;
    /* an example copy, when the text would be kept */
    example ex = {0, -1, 0, NULL};
    example_list *el = combo >= 0 ? &an->cex[combo] : NULL;
    if (r->has_sentiment && sig->text.len &&
        (!el || example_qualifies(el, r->compound, sig->text.data,
                                  cut_utf8(sig->text.data, sig->text.len, CI_ANALYZER_EXAMPLE_BYTES)))) {
        ex.compound = r->compound;
        ex.theme = r->theme;
        ex.len = (uint32_t)cut_utf8(sig->text.data, sig->text.len, CI_ANALYZER_EXAMPLE_BYTES);
        if (!(ex.text = ci_malloc(&an->a, ex.len)))
            return CI_ERR_NOMEM;
        memcpy(ex.text, sig->text.data, ex.len);
        if (el && !el->items && !(el->items = ci_malloc(&an->a, CI_ANALYZER_EXAMPLES * sizeof(example)))) {
            ci_dealloc(&an->a, ex.text);
            return CI_ERR_NOMEM;
        }
    }
    example *items = NULL;
    if (ex.text && !el && !(items = ci_malloc(&an->a, CI_ANALYZER_EXAMPLES * sizeof(example)))) {
        ci_dealloc(&an->a, ex.text);
        return CI_ERR_NOMEM;
    }
    /* from here on nothing fails */
    if (combo < 0) {
        size_t idx;
        int added;
        ci_strmap_put(&an->combos, an->key, kl, &idx, &added);
        combo = (long)idx;
        an->cex[combo].items = items;
        an->cex[combo].n = 0;
    }
    if (an->ccache && slot != NO_SLOT)
        an->ccache[slot] = (uint32_t)combo + 1;
    if (cell < 0) {
        int added;
        cell = ci_u64map_put(&an->cells, (uint64_t)combo << 32 | day, (uint32_t)an->cells.count, &added);
        an->ckey[cell] = (uint64_t)combo << 32 | day;
        cell_remember(an, (uint32_t)combo, day, (uint32_t)cell);
    }
    cell_row x = cell_row_of(sig, r);
    cell_apply(an, cell, &x);
    if (ex.text)
        ci_dealloc(&an->a, example_insert(&an->cex[combo], ex));
    if (sig->account_id.len)
        ci_account_update(an, sig, r);
    *out = combo;
    return CI_OK;
}

ci_status ci_analyzer_ingest(ci_analyzer *an, const ci_signal *sig, const ci_signal_result *r,
                             ci_diag *diag)
{
    /* this signal's value for each dimension; attributes usually come in
     * the declared order, so try that first */
    for (size_t d = 0; d < an->ndims; d++)
        an->vals[d] = &no_value;
    for (size_t i = 0; i < sig->n_attrs; i++) {
        const ci_attr *at = &sig->attrs[i];
        long d = -1;
        if (i < an->ndims) {
            size_t kl;
            const char *k = ci_strmap_key(&an->dims, i, &kl);
            if (kl == at->key.len && ci_same_bytes(k, at->key.data, kl))
                d = (long)i;
        }
        if (d < 0)
            d = ci_strmap_find(&an->dims, at->key.data, at->key.len);
        if (d >= 0)
            an->vals[d] = &at->value;
    }
    size_t slot, kl;
    long combo;
    ci_status st = combo_resolve(an, &slot, &kl, &combo);
    return st != CI_OK ? st : ingest_resolved(an, combo, slot, kl, sig, r, &combo, diag);
}

CI_API ci_status ci_analyzer_add(ci_analyzer *an, const ci_signal *sig, ci_signal_result *res,
                                 ci_diag *diag)
{
    if (!an || !sig)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    if (res && res->struct_size < sizeof(ci_signal_result))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_signal_validate(sig, diag);
    if (st != CI_OK)
        return st;
    ci_signal_result r;
    ci_signal_result_init(&r);
    /* text: sentiment, intents, theme */
    if (an->senti && sig->text.len) {
        ci_sentiment_result sr;
        ci_sentiment_result_init(&sr);
        if ((st = ci_sentiment_score(an->senti, sig->text.data, sig->text.len, &sr)) != CI_OK)
            return st;
        r.has_sentiment = 1;
        r.compound = sr.compound;
        r.pos = sr.pos;
        r.neu = sr.neu;
        r.neg = sr.neg;
        r.intent_flags = sr.intent_flags;
        memcpy(r.intent, sr.intent, sizeof r.intent);
        if (an->assigner &&
            (st = ci_theme_assign(an->assigner, sig->text.data, sig->text.len, sig->timestamp,
                                  &r.theme, &r.theme_similarity)) != CI_OK &&
            st != CI_ERR_RANGE)
            return st;
    }
    if ((st = ci_analyzer_ingest(an, sig, &r, diag)) != CI_OK)
        return st;
    if (res)
        *res = r;
    return CI_OK;
}

/* The checks ci_analyzer_add_result() makes of a result from elsewhere. */
static ci_status check_result(const ci_analyzer *an, const ci_signal_result *r, ci_diag *diag)
{
    if (r->theme < -1 || (r->theme >= 0 && (size_t)r->theme >= an->ntheme))
        return ci_diag_set(diag, CI_ERR_RANGE, -1, -1, 0,
                           "theme %d is not below the %zu themes", r->theme, an->ntheme);
    if (r->has_sentiment) {
        if (!isfinite(r->compound) || !isfinite(r->pos) || !isfinite(r->neu) || !isfinite(r->neg))
            return ci_diag_set(diag, CI_ERR_NONFINITE, -1, -1, 0, "sentiment is not finite");
        if (r->compound < -1 || r->compound > 1)
            return ci_diag_set(diag, CI_ERR_RANGE, -1, -1, 0,
                               "compound %g is outside [-1, 1]", r->compound);
    }
    return CI_OK;
}

CI_API ci_status ci_analyzer_add_result(ci_analyzer *an, const ci_signal *sig,
                                        const ci_signal_result *r, ci_diag *diag)
{
    if (!an || !sig || !r)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    if (r->struct_size < sizeof(ci_signal_result))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_signal_validate(sig, diag);
    if (st != CI_OK)
        return st;
    if ((st = check_result(an, r, diag)) != CI_OK)
        return st;
    return ci_analyzer_ingest(an, sig, r, diag);
}

/* ------------------------------------------------------------------------ */
/*  Columns                                                                 */
/* ------------------------------------------------------------------------ */

/* Put "<what>: " in front of the message a failed check wrote into diag (or
 * of st's own words, for checks that write none), with index as the
 * failing item.  The byte offset goes: columns are no byte stream. */
static ci_status diag_prefix(ci_diag *diag, ci_status st, int64_t index, const char *fmt, ...)
{
    if (!diag || diag->struct_size < sizeof(ci_diag))
        return st;
    int wrote = diag->status != CI_OK;
    char what[96], msg[sizeof diag->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s", wrote ? diag->message : ci_status_string(st));
    return ci_diag_set(diag, st, wrote ? diag->field : -1, index, 0, "%s: %s", what, msg);
}

/* Dimension d's code column and its bytes per code (4, 2 or 1), or NULL
 * when the batch has no codes for d. */
static const void *dim_column(const ci_signal_columns *c, size_t d, unsigned *bytes)
{
    *bytes = c->dim_code_bytes ? c->dim_code_bytes[d] : 0;
    if (*bytes)
        return c->dim_codes_any ? c->dim_codes_any[d] : NULL;
    *bytes = 4;
    return c->dim_codes ? c->dim_codes[d] : NULL;
}

/* Code i of a column of `bytes`-byte codes (4, 2 or 1), all ones in a
 * narrow width standing for CI_CODE_NONE. */
static inline uint32_t code_at(const void *col, unsigned bytes, size_t i)
{
    if (bytes == 1) {
        uint8_t v = ((const uint8_t *)col)[i];
        return v == UINT8_MAX ? CI_CODE_NONE : v;
    }
    if (bytes == 2) {
        uint16_t v = ((const uint16_t *)col)[i];
        return v == UINT16_MAX ? CI_CODE_NONE : v;
    }
    return ((const uint32_t *)col)[i];
}

/* Point an->vals at row i's dimension values, checking the codes and the
 * values they name as ci_signal_validate() checks attribute values. */
static ci_status row_values(ci_analyzer *an, const ci_signal_columns *c, size_t i, ci_diag *diag)
{
    for (size_t d = 0; d < an->ndims; d++) {
        unsigned bytes;
        const void *codes = dim_column(c, d, &bytes);
        uint32_t code = codes ? code_at(codes, bytes, i) : CI_CODE_NONE;
        an->vals[d] = &no_value;
        if (code == CI_CODE_NONE)
            continue;
        size_t kl;
        const char *k = ci_strmap_key(&an->dims, d, &kl);
        if (code >= c->n_dim_values[d])
            return ci_diag_set(diag, CI_ERR_RANGE, CI_FIELD_ATTR_VALUE, (int64_t)i, 0,
                               "dimension \"%.*s\": code %u is outside its %zu values",
                               (int)(kl > 40 ? 40 : kl), k, code, c->n_dim_values[d]);
        const ci_str *v = &c->dim_values[d][code];
        ci_status st = ci_signal_check_str(*v, CI_FIELD_ATTR_VALUE, (int64_t)i, 0, diag);
        if (st != CI_OK)
            return diag_prefix(diag, st, (int64_t)i, "dimension \"%.*s\" value %u",
                               (int)(kl > 40 ? 40 : kl), k, code);
        an->vals[d] = v;
    }
    return CI_OK;
}

/* The table from the dimension codes of a row to its combination: entry
 * sum((code_d + 1) * stride_d) over the dimensions with codes, 0 standing
 * for "absent". */
typedef struct code_table {
    uint32_t *ids;   /* combination + 1, or 0 when not seen yet */
    size_t size, n;  /* entries; dimensions with codes */
    const void *codes[CI_ANALYZER_MAX_DIMENSIONS];
    unsigned bytes[CI_ANALYZER_MAX_DIMENSIONS];
    unsigned width;  /* the bytes per code of every dimension, 0 when they differ */
    size_t limit[CI_ANALYZER_MAX_DIMENSIONS], stride[CI_ANALYZER_MAX_DIMENSIONS];
} code_table;

/* Plan the table; 0 entries when it would be too large: it is zeroed per
 * call, so it must stay small next to the batch. */
static size_t code_table_plan(const ci_analyzer *an, const ci_signal_columns *c, code_table *ct)
{
    size_t size = 1, limit = 4096 + 4 * c->n_rows;
    ct->n = 0;
    ct->width = 4;
    for (size_t d = 0; d < an->ndims; d++) {
        unsigned bytes;
        const void *codes = dim_column(c, d, &bytes);
        if (!codes)
            continue;
        size_t card = c->n_dim_values[d] + 1; /* + "absent" */
        if (card > limit / size)
            return 0;
        ct->codes[ct->n] = codes;
        ct->bytes[ct->n] = bytes;
        ct->width = ct->n && ct->width != bytes ? 0 : bytes;
        ct->limit[ct->n] = c->n_dim_values[d];
        ct->stride[ct->n++] = size;
        size *= card;
    }
    return size;
}

/* The entry of row i, or SIZE_MAX when a code is outside its dictionary
 * (row_values() reports it); w is the bytes per code of every dimension,
 * or 0 for each its own. */
static inline size_t code_table_at_w(const code_table *ct, size_t i, unsigned w)
{
    size_t at = 0;
    int known = 1;
    for (size_t a = 0; a < ct->n; a++) {
        size_t c1 = (uint32_t)(code_at(ct->codes[a], w ? w : ct->bytes[a], i) + 1u); /* none: 0 */
        known &= c1 <= ct->limit[a];
        at += c1 * ct->stride[a];
    }
    return known ? at : SIZE_MAX;
}

/* The same, with the width known to the compiler where it is one for all:
 * a test per row instead of one per code. */
static inline size_t code_table_at(const code_table *ct, size_t i)
{
    switch (ct->width) {
    case 4:
        return code_table_at_w(ct, i, 4);
    case 1:
        return code_table_at_w(ct, i, 1);
    case 2:
        return code_table_at_w(ct, i, 2);
    default:
        return code_table_at_w(ct, i, 0);
    }
}

/* Row i into the signal and result it stands for, but for the account
 * (sig and r were set up once per call: kind, direction, struct sizes). */
static inline void row_numbers(const ci_signal_columns *c, size_t i, ci_signal *sig,
                               ci_signal_result *r)
{
    sig->timestamp = c->timestamp ? c->timestamp[i] : CI_TIME_NONE;
    sig->has = 0;
#define COLUMN_SCORE(col, bit)             \
    if (c->col && !isnan(c->col[i])) {     \
        sig->col = c->col[i];              \
        sig->has |= bit;                   \
    }
    COLUMN_SCORE(nps, CI_HAS_NPS)
    COLUMN_SCORE(csat, CI_HAS_CSAT)
    COLUMN_SCORE(ces, CI_HAS_CES)
    COLUMN_SCORE(value, CI_HAS_VALUE)
#undef COLUMN_SCORE
    r->has_sentiment = c->compound && !isnan(c->compound[i]);
    r->compound = r->has_sentiment ? c->compound[i] : 0;
    r->intent_flags = r->has_sentiment && c->intent_flags ? c->intent_flags[i] : 0;
    r->theme = c->theme ? c->theme[i] : -1;
    sig->text = c->text ? c->text[i] : (ci_str){NULL, 0};
}

/* Row i of the columns as the signal and result it stands for, whole. */
static ci_status row_load(const ci_signal_columns *c, size_t i, ci_signal *sig,
                          ci_signal_result *r, ci_diag *diag)
{
    row_numbers(c, i, sig, r);
    sig->account_id = (ci_str){NULL, 0};
    if (c->account_codes && c->account_codes[i] != CI_CODE_NONE) {
        if (c->account_codes[i] >= c->n_account_values)
            return ci_diag_set(diag, CI_ERR_RANGE, CI_FIELD_ACCOUNT_ID, (int64_t)i, 0,
                               "account code %u is outside its %zu values",
                               c->account_codes[i], c->n_account_values);
        sig->account_id = c->account_values[c->account_codes[i]];
    }
    return CI_OK;
}

/* Rows go in blocks: the first pass checks a block's rows and finds the
 * cells of those whose combination and cell already exist, fetching them
 * into the cache; the second adds the rows in order, the found ones
 * straight into their cells and the others through the whole path of
 * ci_analyzer_add_result().  Cells are visited in no order, so without the
 * early fetch each row waits for a cache miss. */
#define COLUMN_BLOCK 32

/* Row i as a cell takes it, when it is plain (see block_plain()). */
static inline cell_row cell_row_at(const ci_signal_columns *c, size_t i, int lower_is_easier)
{
    cell_row x;
    x.nps = c->nps ? c->nps[i] : NAN;
    x.csat = c->csat ? c->csat[i] : NAN;
    x.ces = c->ces ? (lower_is_easier ? 8 - c->ces[i] : c->ces[i]) : NAN;
    x.compound = c->compound ? c->compound[i] : NAN;
    x.value = c->value ? c->value[i] : NAN;
    x.intent_flags = c->intent_flags ? c->intent_flags[i] : 0;
    x.theme = c->theme ? c->theme[i] : -1;
    x.text = (c->text && c->text[i].len > 0) || !isnan(x.compound) || x.theme >= 0;
    x.timestamp = c->timestamp ? c->timestamp[i] : CI_TIME_NONE;
    return x;
}

/* The low m bits (m <= 32): one per row of a block. */
static inline uint32_t block_rows(size_t m)
{
    return m < 32 ? ((uint32_t)1 << m) - 1 : UINT32_MAX;
}

/* Bit k for each row i + k (k < m <= 32) whose x = col[i + k] is absent
 * (NaN) or passes: a whole number in [lo, hi] when whole, zero or |x| in
 * [lo, hi] when not.  *present gets bit k for each x that is not NaN.  A
 * range test on x alone leaves out the infinities, and out of range the
 * cast sees lo, so it never overflows. */
typedef uint32_t block_ok_fn(const double *col, size_t m, double lo, double hi, int whole,
                             uint32_t *present);

static uint32_t block_ok(const double *col, size_t m, double lo, double hi, int whole,
                         uint32_t *present)
{
    uint32_t ok = 0, absent = 0;
    size_t k = 0;
#if defined(__SSE2__)
    const __m128d vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi);
    const __m128d sign = _mm_set1_pd(-0.0);
    for (; k + 2 <= m; k += 2) {
        __m128d x = _mm_loadu_pd(col + k), pass;
        if (whole) {
            __m128d in = _mm_and_pd(_mm_cmpge_pd(x, vlo), _mm_cmple_pd(x, vhi));
            __m128d y = _mm_or_pd(_mm_and_pd(in, x), _mm_andnot_pd(in, vlo));
            pass = _mm_cmpeq_pd(_mm_cvtepi32_pd(_mm_cvttpd_epi32(y)), x);
        } else {
            __m128d ax = _mm_andnot_pd(sign, x);
            pass = _mm_and_pd(_mm_cmple_pd(ax, vhi),
                              _mm_or_pd(_mm_cmpge_pd(ax, vlo), _mm_cmpeq_pd(x, _mm_setzero_pd())));
        }
        __m128d nan = _mm_cmpunord_pd(x, x);
        ok |= (uint32_t)_mm_movemask_pd(_mm_or_pd(pass, nan)) << k;
        absent |= (uint32_t)_mm_movemask_pd(nan) << k;
    }
#endif
    for (; k < m; k++) {
        double x = col[k], y = x >= lo && x <= hi ? x : lo;
        int pass = whole ? (double)(int32_t)y == x : fabs(x) <= hi && (fabs(x) >= lo || x == 0);
        ok |= (uint32_t)(pass | isnan(x)) << k;
        absent |= (uint32_t)isnan(x) << k;
    }
    *present = ~absent & block_rows(m);
    return ok;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_BLOCK_OK 1

/* block_ok() four rows at a time, for CPUs that have AVX2 (chosen at run
 * time: the library itself is built for the baseline x86-64).  The same
 * tests, lane for lane; the rest of the block goes to block_ok(). */
__attribute__((target("avx2"))) static uint32_t block_ok_avx2(const double *col, size_t m,
                                                               double lo, double hi, int whole,
                                                               uint32_t *present)
{
    uint32_t ok = 0, absent = 0;
    size_t k = 0;
    const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
    const __m256d sign = _mm256_set1_pd(-0.0);
    for (; k + 4 <= m; k += 4) {
        __m256d x = _mm256_loadu_pd(col + k), pass;
        if (whole) {
            __m256d in = _mm256_and_pd(_mm256_cmp_pd(x, vlo, _CMP_GE_OQ), _mm256_cmp_pd(x, vhi, _CMP_LE_OQ));
            __m256d y = _mm256_blendv_pd(vlo, x, in);
            pass = _mm256_cmp_pd(_mm256_cvtepi32_pd(_mm256_cvttpd_epi32(y)), x, _CMP_EQ_OQ);
        } else {
            __m256d ax = _mm256_andnot_pd(sign, x);
            pass = _mm256_and_pd(_mm256_cmp_pd(ax, vhi, _CMP_LE_OQ),
                                 _mm256_or_pd(_mm256_cmp_pd(ax, vlo, _CMP_GE_OQ),
                                              _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ)));
        }
        __m256d nan = _mm256_cmp_pd(x, x, _CMP_UNORD_Q);
        ok |= (uint32_t)_mm256_movemask_pd(_mm256_or_pd(pass, nan)) << k;
        absent |= (uint32_t)_mm256_movemask_pd(nan) << k;
    }
    *present = ~absent & block_rows(k);
    if (k < m) { /* then k < 32 */
        uint32_t rest_present, rest = block_ok(col + k, m - k, lo, hi, whole, &rest_present);
        *present |= rest_present << k;
        ok |= rest << k;
    }
    return ok;
}
#endif

/* The best block_ok() this CPU runs. */
static block_ok_fn *pick_block_ok(void)
{
#if defined(HAVE_AVX2_BLOCK_OK)
    if (__builtin_cpu_supports("avx2"))
        return block_ok_avx2;
#endif
    return block_ok;
}

int ci_block_checks_agree(const double *col, size_t m, double lo, double hi, int whole)
{
    uint32_t ok = 0, present = 0;
    for (size_t k = 0; k < m; k++) { /* one row at a time: the scalar code */
        uint32_t here;
        ok |= block_ok(col + k, 1, lo, hi, whole, &here) << k;
        present |= here << k;
    }
    uint32_t p1, p2, ok1 = block_ok(col, m, lo, hi, whole, &p1);
    uint32_t ok2 = pick_block_ok()(col, m, lo, hi, whole, &p2);
    return ok1 == ok && p1 == present && ok2 == ok && p2 == present;
}

/* Bit k set: is row i + k (k < m <= COLUMN_BLOCK) certainly valid, with
 * neither an account nor an example to keep, so that it may go straight
 * into its cell?  A shortcut for the rules of ci_signal_validate() and
 * check_result() on the rows columns make: a row it turns down takes those
 * checks in full (and the whole path).  Column by column, without branches:
 * per row, it costs a few instructions per column. */
static uint32_t block_plain(const ci_analyzer *an, const ci_signal_columns *c, size_t i, size_t m,
                            int ces_direction_ok, block_ok_fn *check)
{
    _Static_assert(COLUMN_BLOCK <= 32, "a block's rows are the bits of a uint32_t");
    uint32_t plain = block_rows(m), any = 0;
    if (c->nps) {
        uint32_t here;
        plain &= check(c->nps + i, m, 0, 10, 1, &here);
        any |= here;
    }
    if (c->csat) {
        uint32_t here;
        plain &= check(c->csat + i, m, 1, 5, 1, &here);
        any |= here;
    }
    if (c->ces) {
        uint32_t ces;
        plain &= check(c->ces + i, m, 1, 7, 1, &ces);
        plain &= ces_direction_ok ? UINT32_MAX : ~ces;
        any |= ces;
    }
    if (c->value) {
        /* and one the cells' integer holds (see ci_fix_place()) */
        uint32_t here;
        plain &= check(c->value + i, m, 0x1p-75, 1e18, 0, &here);
        any |= here;
    }
    uint32_t sentiment = 0;
    if (c->compound)
        plain &= check(c->compound + i, m, 0, 1, 0, &sentiment);
    if (c->theme) { /* -1, or below ntheme */
        size_t k = 0;
#if defined(__SSE2__)
        _Static_assert(CI_ANALYZER_MAX_THEMES <= INT32_MAX, "ntheme compares as an int32_t");
        const __m128i none = _mm_set1_epi32(-2), n = _mm_set1_epi32((int32_t)an->ntheme);
        for (; k + 4 <= m; k += 4) {
            __m128i t = _mm_loadu_si128((const __m128i *)(const void *)(c->theme + i + k));
            __m128i ok = _mm_and_si128(_mm_cmpgt_epi32(t, none), _mm_cmplt_epi32(t, n));
            plain &= ~((uint32_t)(~_mm_movemask_ps(_mm_castsi128_ps(ok)) & 0xF) << k);
        }
#endif
        for (; k < m; k++)
            plain &= ~((uint32_t)((uint64_t)((int64_t)c->theme[i + k] + 1) > an->ntheme) << k);
    }
    if (c->text)
        for (size_t k = 0; k < m; k++) {
            const ci_str *t = &c->text[i + k];
            /* a text with a compound is an example candidate; no data is malformed */
            if (t->len || t->data)
                plain &= ~((uint32_t)(((sentiment >> k) & 1) || !t->data) << k);
            any |= (uint32_t)(t->len > 0) << k;
        }
    if (c->account_codes)
        for (size_t k = 0; k < m; k++)
            plain &= ~((uint32_t)(c->account_codes[i + k] != CI_CODE_NONE) << k);
    return plain & any;
}

/* What one call of ci_analyzer_add_columns() works with. */
typedef struct column_call {
    const ci_signal_columns *c;
    code_table ct;
    ci_signal sig;      /* a row that takes the whole path, */
    ci_signal_result r; /* and its result */
    ci_diag bad;        /* the first bad row's message */
    ci_status bad_st;
    int ces_direction_ok, lower_is_easier;
    block_ok_fn *check; /* block_ok(), or a faster one this CPU has */
} column_call;

/* The first pass over the m rows of the block at row i: check them, find
 * the cells of the plain rows whose combination and cell exist, and fetch
 * those cells into the cache.  Returns the rows before the first bad one
 * (cc->bad_st and cc->bad say what is wrong with it). */
static size_t block_find(ci_analyzer *an, column_call *cc, size_t i, size_t m, long *cell, size_t *at)
{
    const ci_signal_columns *c = cc->c;
    uint32_t plain = block_plain(an, c, i, m, cc->ces_direction_ok, cc->check);
    for (size_t k = 0; k < m; k++) {
        size_t row = i + k;
        cell[k] = -1;
        at[k] = SIZE_MAX;
        if (!((plain >> k) & 1)) {
            /* validated quietly (a diag is cleared on success), then again
             * for the message */
            if ((cc->bad_st = row_load(c, row, &cc->sig, &cc->r, &cc->bad)) == CI_OK &&
                (cc->bad_st = ci_signal_validate(&cc->sig, NULL)) != CI_OK)
                ci_signal_validate(&cc->sig, &cc->bad);
            if (cc->bad_st == CI_OK)
                cc->bad_st = check_result(an, &cc->r, &cc->bad);
            if (cc->bad_st != CI_OK)
                return k;
        }
        if (!cc->ct.ids || (at[k] = code_table_at(&cc->ct, row)) == SIZE_MAX)
            continue;
        long combo = (long)cc->ct.ids[at[k]] - 1;
        if (combo < 0 || !((plain >> k) & 1))
            continue;
        int64_t ts = c->timestamp ? c->timestamp[row] : CI_TIME_NONE;
        cell[k] = cell_peek(an, (uint32_t)combo, day_code(an, ts));
        if (cell[k] >= 0) {
            __builtin_prefetch(&an->cst[cell[k]], 1);
            __builtin_prefetch((const char *)&an->cst[cell[k]] + 64, 1);
            int32_t theme = c->theme ? c->theme[row] : -1;
            if (theme >= 0) /* plain rows have a theme below ntheme */
                __builtin_prefetch(&an->ctheme[(size_t)cell[k] * an->ntheme + (size_t)theme], 1);
        }
    }
    return m;
}

/* The second pass: add the m rows in order, those with a cell straight
 * into it and the others through the whole path of
 * ci_analyzer_add_result().  Returns the rows added; *st says why it
 * stopped short. */
static size_t block_add(ci_analyzer *an, column_call *cc, size_t i, size_t m, const long *cell,
                        const size_t *at, ci_status *st, ci_diag *diag)
{
    const ci_signal_columns *c = cc->c;
    for (size_t k = 0; k < m; k++) {
        size_t row = i + k;
        if (cell[k] >= 0 && an->cst[cell[k]].count < CI_CELL_MAX) {
            cell_row x = cell_row_at(c, row, cc->lower_is_easier);
            cell_apply(an, cell[k], &x);
            continue;
        }
        row_load(c, row, &cc->sig, &cc->r, NULL);
        long combo = at[k] != SIZE_MAX ? (long)cc->ct.ids[at[k]] - 1 : -1;
        size_t slot = NO_SLOT, kl = 0;
        if (combo < 0 && ((*st = row_values(an, c, row, diag)) != CI_OK ||
                          (*st = combo_resolve(an, &slot, &kl, &combo)) != CI_OK))
            return k;
        if ((*st = ingest_resolved(an, combo, slot, kl, &cc->sig, &cc->r, &combo, diag)) != CI_OK)
            return k;
        if (at[k] != SIZE_MAX)
            cc->ct.ids[at[k]] = (uint32_t)combo + 1;
    }
    return m;
}

CI_API ci_status ci_analyzer_add_columns(ci_analyzer *an, const ci_signal_columns *c,
                                         size_t *n_added, ci_diag *diag)
{
    if (n_added)
        *n_added = 0;
    if (!an || !c)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    if (c->struct_size < sizeof(ci_signal_columns))
        return ci_diag_set(diag, CI_ERR_STRUCT_SIZE, CI_FIELD_STRUCT, -1, 0,
                           "struct_size %zu is too small; call ci_signal_columns_init()",
                           c->struct_size);
    for (size_t d = 0; d < an->ndims; d++) {
        unsigned bytes;
        const void *codes = dim_column(c, d, &bytes);
        if (bytes != 1 && bytes != 2 && bytes != 4)
            return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_ATTR_VALUE, -1, 0,
                               "dimension %zu: codes of %u bytes (1, 2 or 4)", d,
                               bytes);
        if (codes && (!c->dim_values || !c->n_dim_values ||
                      (!c->dim_values[d] && c->n_dim_values[d])))
            return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_ATTR_VALUE, -1, 0,
                               "dimension %zu has codes but no dictionary", d);
    }
    if (c->account_codes && !c->account_values && c->n_account_values)
        return ci_diag_set(diag, CI_ERR_INVALID, CI_FIELD_ACCOUNT_ID, -1, 0,
                           "account codes without a dictionary");
    column_call cc;
    cc.c = c;
    /* Rows mostly repeat a few combinations of codes: a dense table from
     * the codes to the combination spares hashing their strings per row.
     * When the dictionaries are too large for one, rows take the strings'
     * way, as ci_analyzer_add_result() does. */
    cc.ct.n = 0;
    cc.ct.size = c->n_rows ? code_table_plan(an, c, &cc.ct) : 0;
    cc.ct.ids = cc.ct.size ? ci_calloc(&an->a, cc.ct.size, sizeof(uint32_t)) : NULL;
    ci_signal_init(&cc.sig);
    cc.sig.kind = CI_SIGNAL_FEEDBACK;
    cc.sig.ces_direction = c->ces_direction;
    ci_signal_result_init(&cc.r);
    /* a bad row found by the first pass is reported once the rows before
     * it are in, and only if they all go in */
    ci_diag_init(&cc.bad);
    cc.bad_st = CI_OK;
    if (diag && diag->struct_size >= sizeof(ci_diag))
        ci_diag_init(diag); /* so that a failure shows whether its check wrote it */
    cc.ces_direction_ok = c->ces_direction == CI_CES_HIGHER_IS_EASIER ||
                          c->ces_direction == CI_CES_LOWER_IS_EASIER;
    cc.lower_is_easier = c->ces_direction == CI_CES_LOWER_IS_EASIER;
    cc.check = pick_block_ok();
    ci_status st = CI_OK;
    size_t i = 0;
    while (i < c->n_rows && st == CI_OK && cc.bad_st == CI_OK) {
        size_t m = c->n_rows - i < COLUMN_BLOCK ? c->n_rows - i : COLUMN_BLOCK;
        long cell[COLUMN_BLOCK];
        size_t at[COLUMN_BLOCK];
        m = block_find(an, &cc, i, m, cell, at);
        i += block_add(an, &cc, i, m, cell, at, &st, diag);
    }
    ci_dealloc(&an->a, cc.ct.ids);
    if (n_added)
        *n_added = i;
    if (st == CI_OK && cc.bad_st != CI_OK) {
        st = cc.bad_st;
        if (diag && diag->struct_size >= sizeof(ci_diag))
            *diag = cc.bad;
    }
    /* say which row failed */
    return st != CI_OK ? diag_prefix(diag, st, (int64_t)i, "row %zu", i) : CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Merging                                                                 */
/* ------------------------------------------------------------------------ */

static int same_config(const ci_analyzer *an, const ci_analyzer *other)
{
    if (an->ndims != other->ndims || an->max_depth != other->max_depth ||
        an->buckets != other->buckets || an->ntheme != other->ntheme)
        return 0;
    for (size_t d = 0; d < an->ndims; d++) {
        size_t l1, l2;
        const char *k1 = ci_strmap_key(&an->dims, d, &l1), *k2 = ci_strmap_key(&other->dims, d, &l2);
        if (l1 != l2 || memcmp(k1, k2, l1) != 0)
            return 0;
    }
    return 1;
}

CI_API ci_status ci_analyzer_merge(ci_analyzer *an, const ci_analyzer *other)
{
    if (!an || !other || an == other)
        return CI_ERR_INVALID;
    if (!same_config(an, other))
        return CI_ERR_INVALID;
    if (an->combos.count + other->combos.count > CI_ANALYZER_MAX_SEGMENTS ||
        an->cells.count + other->cells.count >= UINT32_MAX / 2)
        return CI_ERR_LIMIT;
    ci_status st;
    /* reserve the worst case: everything of other is new */
    if ((st = ci_strmap_reserve(&an->combos, other->combos.count, other->combos.arena_len)) != CI_OK ||
        (st = reserve_combos(an, an->combos.count + other->combos.count + 1)) != CI_OK ||
        (st = ci_u64map_reserve(&an->cells, &an->a, other->cells.count)) != CI_OK ||
        (st = reserve_cells(an, an->cells.count + other->cells.count + 1)) != CI_OK)
        return st;
    /* a merged cell needs a spill record only when one side holds half of
     * CI_CELL_MAX or more, or a value sum the cell's integer may not hold:
     * room for every such cell */
    {
        size_t big = 0;
        stats t;
        for (size_t c = 0; c < other->cells.count; c++) {
            ci_cell_get(other, c, &t);
            big += ci_stats_may_spill(&t);
        }
        for (size_t c = 0; c < an->cells.count; c++) {
            ci_cell_get(an, c, &t);
            big += ci_stats_may_spill(&t);
        }
        if (big && (st = ci_spill_reserve(an, big)) != CI_OK)
            return st;
    }
    /* copies of other's examples, and room in every list they may join */
    size_t nex = 0;
    for (size_t c = 0; c < other->combos.count; c++)
        nex += other->cex[c].n;
    char **copies = ci_calloc(&an->a, nex + 1, sizeof(char *));
    if (!copies)
        return CI_ERR_NOMEM;
    size_t ci = 0;
    for (size_t c = 0; c < other->combos.count && st == CI_OK; c++) {
        const example_list *ol = &other->cex[c];
        for (uint32_t j = 0; j < ol->n && st == CI_OK; j++) {
            if (!(copies[ci] = ci_malloc(&an->a, ol->items[j].len)))
                st = CI_ERR_NOMEM;
            else
                memcpy(copies[ci++], ol->items[j].text, ol->items[j].len);
        }
        if (st == CI_OK && ol->n) {
            size_t kl;
            const char *k = ci_strmap_key(&other->combos, c, &kl);
            long mine = ci_strmap_find(&an->combos, k, kl);
            /* a new combination's list is allocated below, before committing */
            if (mine >= 0 && !an->cex[mine].items &&
                !(an->cex[mine].items = ci_malloc(&an->a, CI_ANALYZER_EXAMPLES * sizeof(example))))
                st = CI_ERR_NOMEM;
        }
    }
    /* lists for combinations that are new to an */
    example **fresh = NULL;
    if (st == CI_OK && !(fresh = ci_calloc(&an->a, other->combos.count + 1, sizeof(example *))))
        st = CI_ERR_NOMEM;
    for (size_t c = 0; c < other->combos.count && st == CI_OK; c++) {
        size_t kl;
        const char *k = ci_strmap_key(&other->combos, c, &kl);
        if (other->cex[c].n && ci_strmap_find(&an->combos, k, kl) < 0 &&
            !(fresh[c] = ci_malloc(&an->a, CI_ANALYZER_EXAMPLES * sizeof(example))))
            st = CI_ERR_NOMEM;
    }
    if (st == CI_OK)
        st = ci_accounts_merge(an, other); /* all-or-nothing itself; last fallible step */
    if (st != CI_OK) {
        for (size_t j = 0; j < ci; j++)
            ci_dealloc(&an->a, copies[j]);
        ci_dealloc(&an->a, copies);
        if (fresh)
            for (size_t c = 0; c < other->combos.count; c++)
                ci_dealloc(&an->a, fresh[c]);
        ci_dealloc(&an->a, fresh);
        return st;
    }
    /* no failure below */
    ci = 0;
    for (size_t c = 0; c < other->combos.count; c++) {
        size_t kl, idx;
        int added;
        const char *k = ci_strmap_key(&other->combos, c, &kl);
        ci_strmap_put(&an->combos, k, kl, &idx, &added);
        example_list *l = &an->cex[idx];
        if (added) {
            l->items = fresh[c];
            l->n = 0;
        } else {
            ci_dealloc(&an->a, fresh[c]);
        }
        const example_list *ol = &other->cex[c];
        for (uint32_t j = 0; j < ol->n; j++) {
            example e = ol->items[j];
            e.text = copies[ci++];
            ci_dealloc(&an->a, example_insert(l, e));
        }
    }
    ci_dealloc(&an->a, copies);
    ci_dealloc(&an->a, fresh);
    for (size_t oc = 0; oc < other->cells.count; oc++) {
        uint64_t key = other->ckey[oc];
        size_t kl;
        const char *k = ci_strmap_key(&other->combos, (size_t)(key >> 32), &kl);
        long mine = ci_strmap_find(&an->combos, k, kl);
        int added;
        uint64_t nk = (uint64_t)mine << 32 | (key & 0xFFFFFFFFu);
        uint32_t cell = ci_u64map_put(&an->cells, nk, (uint32_t)an->cells.count, &added);
        if (added)
            an->ckey[cell] = nk;
        stats add;
        ci_cell_get(other, oc, &add);
        if (!added) {
            stats cur;
            ci_cell_get(an, cell, &cur);
            ci_stats_merge(&cur, &add);
            add = cur;
        }
        ci_cell_set(an, cell, &add); /* spill room reserved above */
        for (size_t t = 0; t < an->ntheme; t++)
            an->ctheme[(size_t)cell * an->ntheme + t] += other->ctheme[(size_t)oc * an->ntheme + t];
    }
    if (other->max_ts != CI_TIME_NONE && (an->max_ts == CI_TIME_NONE || other->max_ts > an->max_ts))
        an->max_ts = other->max_ts;
    an->dirty = 1;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  The summary                                                             */
/* ------------------------------------------------------------------------ */

static ci_status reserve_entries(ci_analyzer *an, size_t n)
{
    ci_status st;
    if (n > an->st_cap &&
        (st = ci_grow(&an->a, (void **)&an->st, &an->st_cap, n, sizeof(stats))) != CI_OK)
        return st;
    if (an->ntheme && n * an->ntheme > an->tc_cap &&
        (st = ci_grow(&an->a, (void **)&an->theme_counts, &an->tc_cap, n * an->ntheme,
                      sizeof(uint64_t))) != CI_OK)
        return st;
    return CI_OK;
}

/* Add stats src, with its theme counts (NULL: none), to entry (seg, kind,
 * day), creating it if needed (room reserved; keys[e] notes a new entry
 * e's key).  Returns the entry. */
static uint32_t roll(ci_analyzer *an, uint32_t seg, int kind, uint32_t day, const stats *src,
                     const uint64_t *themes, uint64_t *keys)
{
    int added;
    uint64_t key = entry_key(seg, kind, day);
    uint32_t e = ci_u64map_put(&an->entries, key, (uint32_t)an->entries.count, &added);
    if (added) {
        keys[e] = key;
        memset(&an->st[e], 0, sizeof(stats));
        if (an->ntheme)
            memset(an->theme_counts + (size_t)e * an->ntheme, 0, an->ntheme * sizeof(uint64_t));
        if (kind == 3)
            an->seg_entry[seg] = e;
    }
    ci_stats_merge(&an->st[e], src);
    for (size_t t = 0; themes && t < an->ntheme; t++)
        an->theme_counts[(size_t)e * an->ntheme + t] += themes[t];
    return e;
}

/* The bucket of kind k that the day with code `day` falls in: its first
 * second in *start and its first day's code in *code; 0 when the analyzer
 * keeps no such buckets or the day has none. */
static int bucket_of(const ci_analyzer *an, int k, uint32_t day, int64_t *start, uint32_t *code)
{
    if (day == NO_DAY || !(an->buckets & (1u << k)) || !bucket_start(k, code_day(day) * 86400, start))
        return 0;
    *code = day_code(an, *start); /* a calendar start: in day_code()'s range */
    return 1;
}

/* Room for n entries, and their keys. */
static ci_status reserve_rolled(ci_analyzer *an, size_t n, uint64_t **keys, size_t *kcap)
{
    ci_status st;
    if (an->entries.count + n >= UINT32_MAX / 2)
        return CI_ERR_LIMIT;
    if ((st = ci_u64map_reserve(&an->entries, &an->a, n)) != CI_OK ||
        (st = reserve_entries(an, an->entries.count + n)) != CI_OK)
        return st;
    if (an->entries.count + n > *kcap)
        return ci_grow(&an->a, (void **)keys, kcap, an->entries.count + n, sizeof(uint64_t));
    return CI_OK;
}

static ci_status rebuild(ci_analyzer *an)
{
    ci_status st;
    ci_alloc *a = &an->a;
    for (size_t s = 0; s < an->segs.count; s++)
        examples_free(a, &an->sex[s], 0);
    ci_strmap_clear(&an->segs);
    ci_u64map_clear(&an->entries);
    for (int k = 0; k < NBUCKET_KINDS; k++)
        an->bl[k].n = 0;
    /* Worst cases: every combination makes nmasks segments, and every cell
     * one entry per segment and bucket kind.  The key arena gets the
     * combination keys' bytes once per mask at most. */
    size_t nseg = an->combos.count * an->nmasks + 1;
    if (nseg > CI_ANALYZER_MAX_SEGMENTS)
        return CI_ERR_LIMIT;
    /* that bound may pass what a map's key arena can address (4 GiB); the
     * keys usually share far more, so reserve what it can hold and let a
     * put that really passes it fail below */
    size_t seg_bytes = an->combos.arena_len * an->nmasks + nseg * 4;
    if (seg_bytes > (size_t)UINT32_MAX - nseg - 1)
        seg_bytes = (size_t)UINT32_MAX - nseg - 1;
    if ((st = ci_strmap_reserve(&an->segs, nseg, seg_bytes)) != CI_OK ||
        (st = ci_grow(a, (void **)&an->seg_entry, &an->seg_cap, nseg, sizeof(uint32_t))) != CI_OK)
        return st;
    example_list *sex = ci_realloc(a, an->sex, an->seg_cap * sizeof(example_list));
    if (!sex)
        return CI_ERR_NOMEM;
    an->sex = sex;
    memset(an->sex, 0, an->seg_cap * sizeof(example_list));
    /* segment keys are at most 4 bytes longer than their combination's */
    size_t maxkey = 0;
    for (size_t c = 0; c < an->combos.count; c++)
        if (an->combos.entries[c].len > maxkey)
            maxkey = an->combos.entries[c].len;
    if ((st = ci_grow(a, (void **)&an->key, &an->key_cap, maxkey + 16, 1)) != CI_OK)
        return st;
    /* entries grow as they appear: the worst case (every cell its own
     * bucket entry in every segment) is far above the usual */
    size_t per_cell = an->nmasks * (1 + NBUCKET_KINDS);
    if ((st = ci_u64map_reserve(&an->entries, a, per_cell)) != CI_OK ||
        (st = reserve_entries(an, per_cell)) != CI_OK)
        return st;
    for (int k = 0; k < NBUCKET_KINDS; k++)
        if ((st = ci_grow(a, (void **)&an->bl[k].start, &an->bl[k].cap, an->cells.count + 1,
                          sizeof(int64_t))) != CI_OK)
            return st;
    /* the segment ids of every combination, by mask */
    uint32_t *segof = ci_malloc(a, (an->combos.count * an->nmasks + 1) * sizeof(uint32_t));
    ci_str *store = ci_malloc(a, (an->ndims + 1) * sizeof(ci_str));
    if (!segof || !store) {
        ci_dealloc(a, segof);
        ci_dealloc(a, store);
        return CI_ERR_NOMEM;
    }
    int failed = 0;
    for (size_t c = 0; c < an->combos.count && !failed; c++) {
        size_t kl;
        const char *k = ci_strmap_key(&an->combos, c, &kl);
        combo_values(an, k, store);
        for (size_t mi = 0; mi < an->nmasks; mi++) {
            size_t l = seg_key(an, an->masks[mi], an->key), sid;
            int added;
            /* an->key has room: a segment key is never longer than the combination's */
            if (ci_strmap_put(&an->segs, an->key, l, &sid, &added) != CI_OK) {
                failed = 2; /* more segment key bytes than the map can address */
                break;
            }
            segof[c * an->nmasks + mi] = (uint32_t)sid;
            const example_list *cl = &an->cex[c];
            example_list *sl = &an->sex[sid];
            if (cl->n && !sl->items &&
                !(sl->items = ci_malloc(a, CI_ANALYZER_EXAMPLES * sizeof(example))))
                failed = 1;
            for (uint32_t j = 0; j < cl->n && !failed; j++)
                example_insert(sl, cl->items[j]); /* views: nothing to free */
        }
    }
    /* Cells roll up into their segments' day entries, and those into the
     * weeks, months and totals: far fewer merges than each cell into every
     * bucket, as a segment's day holds many cells.  Without day buckets (or
     * a day) a cell goes straight to its segments' other entries. */
    uint64_t *keys = NULL; /* entry -> its key, for the second stage */
    size_t kcap = 0;
    int by_day = (an->buckets & CI_BUCKET_DAY) != 0;
    for (size_t c = 0; c < an->cells.count && !failed; c++) {
        uint64_t key = an->ckey[c];
        size_t combo = (size_t)(key >> 32);
        uint32_t day = (uint32_t)key;
        if ((st = reserve_rolled(an, per_cell, &keys, &kcap)) != CI_OK) {
            failed = st == CI_ERR_LIMIT ? 2 : 1;
            break;
        }
        uint32_t starts[NBUCKET_KINDS];
        int have[NBUCKET_KINDS];
        for (int k = 0; k < NBUCKET_KINDS; k++) {
            int64_t start;
            if ((have[k] = bucket_of(an, k, day, &start, &starts[k])))
                bucket_note(a, &an->bl[k], start); /* room reserved */
        }
        stats cs;
        ci_cell_get(an, c, &cs);
        const uint64_t *themes = an->ntheme ? an->ctheme + c * an->ntheme : NULL;
        for (size_t mi = 0; mi < an->nmasks; mi++) {
            uint32_t sid = segof[combo * an->nmasks + mi];
            if (have[0]) {
                roll(an, sid, 0, starts[0], &cs, themes, keys);
                continue;
            }
            roll(an, sid, 3, 0, &cs, themes, keys);
            for (int k = 1; k < NBUCKET_KINDS; k++)
                if (have[k])
                    roll(an, sid, k, starts[k], &cs, themes, keys);
        }
    }
    size_t nfirst = an->entries.count;
    for (size_t e = 0; e < nfirst && !failed && by_day; e++) {
        uint64_t key = keys[e];
        if ((int)(key >> 32 & 3) != 0)
            continue;
        if ((st = reserve_rolled(an, NBUCKET_KINDS, &keys, &kcap)) != CI_OK) {
            failed = st == CI_ERR_LIMIT ? 2 : 1;
            break;
        }
        uint32_t sid = (uint32_t)(key >> 34), day = (uint32_t)key;
        const stats *src = &an->st[e]; /* after the reserve: st stays put below */
        const uint64_t *themes = an->ntheme ? an->theme_counts + e * an->ntheme : NULL;
        roll(an, sid, 3, 0, src, themes, keys);
        for (int k = 1; k < NBUCKET_KINDS; k++) {
            int64_t start;
            uint32_t code;
            if (bucket_of(an, k, day, &start, &code))
                roll(an, sid, k, code, src, themes, keys);
        }
    }
    ci_dealloc(a, keys);
    ci_dealloc(a, segof);
    ci_dealloc(a, store);
    return failed == 2 ? CI_ERR_LIMIT : failed ? CI_ERR_NOMEM : CI_OK;
}

ci_status ci_analyzer_refresh(const ci_analyzer *can)
{
    /* The summary is a cache of the cells: building it does not change what
     * the analyzer holds, so reading functions take a const analyzer.  The
     * object was allocated writable by ci_analyzer_new/load. */
    ci_analyzer *an = (ci_analyzer *)(uintptr_t)can;
    if (!an->dirty)
        return CI_OK;
    if (!an->combos.count) {
        /* nothing seen: the population alone, empty */
        ci_status st;
        ci_strmap_clear(&an->segs);
        ci_u64map_clear(&an->entries);
        size_t sid;
        int added;
        if ((st = ci_strmap_reserve(&an->segs, 1, 4)) != CI_OK ||
            (st = ci_grow(&an->a, (void **)&an->seg_entry, &an->seg_cap, 1, sizeof(uint32_t))) != CI_OK ||
            (st = ci_u64map_reserve(&an->entries, &an->a, 1)) != CI_OK ||
            (st = reserve_entries(an, 1)) != CI_OK)
            return st;
        if (!an->sex && !(an->sex = ci_calloc(&an->a, an->seg_cap, sizeof(example_list))))
            return CI_ERR_NOMEM;
        char k[4] = {0};
        ci_strmap_put(&an->segs, k, 4, &sid, &added);
        int ad;
        uint32_t e = ci_u64map_put(&an->entries, entry_key(0, 3, 0), 0, &ad);
        memset(&an->st[e], 0, sizeof(stats));
        if (an->ntheme)
            memset(an->theme_counts, 0, an->ntheme * sizeof(uint64_t));
        an->seg_entry[0] = e;
        for (int kk = 0; kk < NBUCKET_KINDS; kk++)
            an->bl[kk].n = 0;
        an->dirty = 0;
        return CI_OK;
    }
    ci_status st = rebuild(an);
    if (st != CI_OK) {
        /* leave an empty, still-dirty summary: the next read tries again */
        for (size_t s = 0; s < an->segs.count; s++)
            examples_free(&an->a, &an->sex[s], 0);
        ci_strmap_clear(&an->segs);
        ci_u64map_clear(&an->entries);
        return st;
    }
    an->dirty = 0;
    return CI_OK;
}

CI_API ci_status ci_analyzer_summarize(ci_analyzer *an)
{
    return an ? ci_analyzer_refresh(an) : CI_ERR_INVALID;
}

long ci_seg_entry(const ci_analyzer *an, size_t seg, int kind, int64_t start)
{
    int64_t day = ci_floor_div(start, 86400);
    if (day < INT32_MIN || day >= INT32_MAX)
        return -1;
    return ci_u64map_get(&an->entries,
                         entry_key((uint32_t)seg, kind, (uint32_t)(day - (int64_t)INT32_MIN)));
}

/* ------------------------------------------------------------------------ */
/*  Reading                                                                 */
/* ------------------------------------------------------------------------ */

CI_API size_t ci_analyzer_segment_count(const ci_analyzer *an)
{
    if (!an || ci_analyzer_refresh(an) != CI_OK)
        return 0;
    return an->segs.count;
}

CI_API ci_status ci_analyzer_segment(const ci_analyzer *an, size_t i, ci_str *values,
                                     ci_segment_stats *stats_out)
{
    if (!an)
        return CI_ERR_INVALID;
    if (stats_out && stats_out->struct_size < sizeof(ci_segment_stats))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (i >= an->segs.count)
        return CI_ERR_NOT_FOUND;
    if (values) {
        size_t kl;
        const char *k = ci_strmap_key(&an->segs, i, &kl);
        uint32_t mask;
        memcpy(&mask, k, 4);
        size_t o = 4;
        for (size_t d = 0; d < an->ndims; d++) {
            values[d].data = NULL;
            values[d].len = 0;
            if (!(mask & (1u << d)))
                continue;
            uint32_t len;
            memcpy(&len, k + o, 4);
            o += 4;
            values[d].data = k + o;
            values[d].len = len;
            o += len;
        }
    }
    if (stats_out)
        ci_stats_fill(&an->st[an->seg_entry[i]], stats_out);
    return CI_OK;
}

CI_API ci_status ci_analyzer_find(const ci_analyzer *an, const ci_str *values, size_t *index)
{
    if (!an || !index || (an->ndims && !values))
        return CI_ERR_INVALID;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    char buf[4 + CI_ANALYZER_MAX_DIMENSIONS * (4 + CI_SIGNAL_MAX_FIELD)];
    uint32_t mask = 0;
    size_t o = 4;
    for (size_t d = 0; d < an->ndims; d++) {
        if (!values[d].data)
            continue;
        if (values[d].len > CI_SIGNAL_MAX_FIELD)
            return CI_ERR_NOT_FOUND;
        mask |= 1u << d;
        put32(buf + o, (uint32_t)values[d].len);
        o += 4;
        memcpy(buf + o, values[d].data, values[d].len);
        o += values[d].len;
    }
    put32(buf, mask);
    long s = ci_strmap_find(&an->segs, buf, o);
    if (s < 0)
        return CI_ERR_NOT_FOUND;
    *index = (size_t)s;
    return CI_OK;
}

CI_API uint64_t ci_analyzer_segment_theme(const ci_analyzer *an, size_t i, size_t theme)
{
    if (!an || theme >= an->ntheme || ci_analyzer_refresh(an) != CI_OK || i >= an->segs.count)
        return 0;
    return an->theme_counts[(size_t)an->seg_entry[i] * an->ntheme + theme];
}

CI_API uint64_t ci_analyzer_segment_texts(const ci_analyzer *an, size_t i)
{
    if (!an || ci_analyzer_refresh(an) != CI_OK || i >= an->segs.count)
        return 0;
    return an->st[an->seg_entry[i]].texts;
}

CI_API size_t ci_analyzer_dimension_count(const ci_analyzer *an)
{
    return an ? an->ndims : 0;
}

CI_API ci_str ci_analyzer_dimension(const ci_analyzer *an, size_t d)
{
    ci_str s = {NULL, 0};
    if (an && d < an->ndims)
        s.data = ci_strmap_key(&an->dims, d, &s.len);
    return s;
}

CI_API unsigned ci_analyzer_segment_depth(const ci_analyzer *an, size_t i)
{
    if (!an || ci_analyzer_refresh(an) != CI_OK || i >= an->segs.count)
        return 0;
    return ci_popcount(ci_seg_mask(an, i));
}

CI_API ci_status ci_analyzer_segment_example(const ci_analyzer *an, size_t i, size_t j,
                                             ci_str *text, double *compound, int *theme)
{
    if (!an || !text)
        return CI_ERR_INVALID;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (i >= an->segs.count || j >= an->sex[i].n)
        return CI_ERR_NOT_FOUND;
    const example *e = &an->sex[i].items[j];
    text->data = e->text;
    text->len = e->len;
    if (compound)
        *compound = e->compound;
    if (theme)
        *theme = e->theme;
    return CI_OK;
}

CI_API ci_status ci_analyzer_segment_bucket(const ci_analyzer *an, size_t i, unsigned bucket,
                                            int64_t start, ci_segment_stats *stats_out)
{
    int kind = ci_bucket_kind(bucket);
    if (!an || !stats_out || kind < 0 || !(an->buckets & bucket))
        return CI_ERR_INVALID;
    if (stats_out->struct_size < sizeof(ci_segment_stats))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (i >= an->segs.count)
        return CI_ERR_NOT_FOUND;
    long e = ci_seg_entry(an, i, kind, start);
    if (e < 0)
        return CI_ERR_NOT_FOUND;
    ci_stats_fill(&an->st[e], stats_out);
    return CI_OK;
}

CI_API ci_status ci_analyzer_bucket(const ci_analyzer *an, unsigned bucket, size_t j, int64_t *start)
{
    int kind = ci_bucket_kind(bucket);
    if (!an || !start || kind < 0)
        return CI_ERR_INVALID;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (j >= an->bl[kind].n)
        return CI_ERR_NOT_FOUND;
    *start = an->bl[kind].start[j];
    return CI_OK;
}
