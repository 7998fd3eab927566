/* SPDX-License-Identifier: MIT */
/*
 * The analyzer: signals in, mergeable segment aggregates out.
 *
 * Every aggregate lives in an "entry": a segment overall, or a segment in
 * one time bucket.  Entries are found through one hash map whose keys encode
 * (segment, bucket kind, bucket start); segments through another keyed by
 * (dimension mask, values).  An add first reserves room for every entry the
 * signal can create, so the updates that follow cannot fail halfway.
 */
#include <math.h>
#include <string.h>

#include "../common/diag-priv.h"
#include "../common/strmap-priv.h"
#include "libci.h"

/* ------------------------------------------------------------------------ */
/*  Error-free summation (Shewchuk), for sums equal whatever the order       */
/* ------------------------------------------------------------------------ */

#define XS_MAX 4

typedef struct xsum {
    double p[XS_MAX]; /* non-overlapping partials, increasing magnitude */
    uint8_t n;
} xsum;

static void xs_add(xsum *s, double x)
{
    size_t i = 0;
    for (size_t j = 0; j < s->n; j++) {
        double y = s->p[j];
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y;
            y = t;
        }
        double hi = x + y, lo = y - (hi - x);
        if (lo != 0)
            s->p[i++] = lo;
        x = hi;
    }
    if (x != 0) {
        if (i == XS_MAX) {
            /* More than XS_MAX x 53 bits would be needed: fold the two
             * smallest partials.  No money amount comes near this. */
            s->p[1] += s->p[0];
            memmove(s->p, s->p + 1, (XS_MAX - 1) * sizeof(double));
            i--;
        }
        s->p[i++] = x;
    }
    s->n = (uint8_t)i;
}

/* The correctly rounded sum of the partials (as Python's math.fsum). */
static double xs_value(const xsum *s)
{
    int n = s->n;
    double hi = 0, lo = 0;
    if (n > 0) {
        hi = s->p[--n];
        while (n > 0) {
            double x = hi, y = s->p[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0)
                break;
        }
        if (n > 0 && ((lo < 0 && s->p[n - 1] < 0) || (lo > 0 && s->p[n - 1] > 0))) {
            double y = lo * 2, x = hi + y, yr = x - hi;
            if (y == yr)
                hi = x;
        }
    }
    return hi;
}

/* ------------------------------------------------------------------------ */
/*  Welford / Chan                                                          */
/* ------------------------------------------------------------------------ */

typedef struct welford {
    uint64_t n;
    double mean, m2;
} welford;

static void w_add(welford *w, double x)
{
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
}

static void w_merge(welford *a, const welford *b)
{
    if (!b->n)
        return;
    if (!a->n) {
        *a = *b;
        return;
    }
    double n = (double)(a->n + b->n), d = b->mean - a->mean;
    a->mean += d * (double)b->n / n;
    a->m2 += b->m2 + d * d * (double)a->n * (double)b->n / n;
    a->n += b->n;
}

/* ------------------------------------------------------------------------ */

typedef struct stats {
    uint64_t count;
    uint64_t nps_n, nps_pro, nps_pas, nps_det;
    uint64_t csat_n, csat_sat;
    welford ces, sent;
    uint64_t intents[CI_INTENT_COUNT];
    uint64_t value_n;
    xsum value;
} stats;

enum { NBUCKET_KINDS = 3 };

typedef struct bucket_list {
    int64_t *start; /* sorted */
    size_t n, cap;
} bucket_list;

struct ci_analyzer {
    ci_alloc a;
    size_t ndims;
    ci_strmap dims;          /* dimension names, in declared order */
    unsigned max_depth, buckets;
    uint32_t *masks;         /* dimension subsets, population (0) first */
    size_t nmasks;
    ci_sentiment *senti;
    ci_theme_assigner *assigner;
    size_t ntheme;           /* themes of the model, 0 without one */
    ci_strmap segs;          /* segment key -> segment id */
    uint32_t *seg_entry;     /* segment id -> its overall entry */
    size_t seg_cap;
    ci_strmap entries;       /* entry key -> entry id */
    stats *st;               /* per entry */
    uint64_t *theme_counts;  /* per entry x ntheme */
    size_t st_cap, tc_cap;
    bucket_list bl[NBUCKET_KINDS];
    /* scratch */
    char *key;
    size_t key_cap;
    uint32_t *touch;         /* entries this signal updates */
    size_t touch_cap;
    const ci_str **vals;     /* this signal's value per dimension */
};

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

CI_API void ci_segment_stats_init(ci_segment_stats *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->struct_size = sizeof *s;
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
    ci_strmap_free(&an->segs);
    ci_dealloc(&a, an->seg_entry);
    ci_strmap_free(&an->entries);
    ci_dealloc(&a, an->st);
    ci_dealloc(&a, an->theme_counts);
    for (int k = 0; k < NBUCKET_KINDS; k++)
        ci_dealloc(&a, an->bl[k].start);
    ci_dealloc(&a, an->key);
    ci_dealloc(&a, an->touch);
    ci_dealloc(&a, an->vals);
    ci_dealloc(&a, an);
}

static unsigned popcount(uint32_t x)
{
    unsigned c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
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
    if (o.n_dimensions > CI_ANALYZER_MAX_DIMENSIONS)
        return CI_ERR_LIMIT;
    if ((o.n_dimensions && !o.dimensions) ||
        (o.buckets & ~(unsigned)(CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH)))
        return CI_ERR_INVALID;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    ci_analyzer *an = ci_calloc(&a, 1, sizeof *an);
    if (!an)
        return CI_ERR_NOMEM;
    an->a = a;
    ci_strmap_init(&an->dims, &a);
    ci_strmap_init(&an->segs, &a);
    ci_strmap_init(&an->entries, &a);
    an->ndims = o.n_dimensions;
    an->max_depth = o.max_depth ? o.max_depth : 1;
    if (an->max_depth > an->ndims)
        an->max_depth = (unsigned)an->ndims;
    an->buckets = o.buckets;
    ci_status st = CI_OK;
    for (size_t d = 0; d < o.n_dimensions && st == CI_OK; d++) {
        size_t idx;
        int added;
        ci_str k = o.dimensions[d];
        if (!k.data || !k.len || ci_utf8_validate(k.data, k.len, NULL) != CI_OK)
            st = CI_ERR_INVALID;
        else if ((st = ci_strmap_put(&an->dims, k.data, k.len, &idx, &added)) == CI_OK && !added)
            st = CI_ERR_INVALID; /* declared twice */
    }
    /* every subset of at most max_depth dimensions, the population first */
    size_t nsub = (size_t)1 << an->ndims;
    if (st == CI_OK && !(an->masks = ci_malloc(&a, nsub * sizeof(uint32_t))))
        st = CI_ERR_NOMEM;
    for (uint32_t m = 0; st == CI_OK && m < nsub; m++)
        if (popcount(m) <= an->max_depth)
            an->masks[an->nmasks++] = m;
    if (st == CI_OK && !(an->vals = ci_calloc(&a, an->ndims + 1, sizeof *an->vals)))
        st = CI_ERR_NOMEM;
    if (st == CI_OK && o.lexicon) {
        ci_sentiment_options so;
        ci_sentiment_options_init(&so);
        so.vader_compat = o.vader_compat;
        ci_allocator pub;
        ci_alloc_public(&a, &pub);
        st = ci_sentiment_new(o.lexicon, &so, &pub, &an->senti);
        if (st == CI_OK && o.themes) {
            st = ci_theme_assigner_new(o.themes, 0, &pub, &an->assigner);
            an->ntheme = ci_theme_model_count(o.themes);
        }
    }
    if (st != CI_OK) {
        ci_analyzer_free(an);
        return st;
    }
    *out = an;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Buckets                                                                 */
/* ------------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-1, and back (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
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
    int64_t day = floor_div(ts, 86400);
    if (kind == 0) {
        *start = day * 86400;
    } else if (kind == 1) {
        /* 1970-01-01 was a Thursday, so (day + 3) mod 7 counts from Monday */
        int64_t dow = day + 3 - floor_div(day + 3, 7) * 7;
        *start = (day - dow) * 86400;
    } else {
        int64_t y;
        unsigned m;
        civil_from_days(day, &y, &m);
        *start = days_from_civil(y, m) * 86400;
    }
    return 1;
}

static ci_status bucket_note(ci_analyzer *an, int kind, int64_t start)
{
    bucket_list *b = &an->bl[kind];
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
    ci_status st = ci_grow(&an->a, (void **)&b->start, &b->cap, b->n + 1, sizeof(int64_t));
    if (st != CI_OK)
        return st;
    memmove(b->start + lo + 1, b->start + lo, (b->n - lo) * sizeof(int64_t));
    b->start[lo] = start;
    b->n++;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Keys                                                                    */
/* ------------------------------------------------------------------------ */

static void put32(char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Segment key: mask, then length-prefixed values of its dimensions. */
static size_t seg_key(ci_analyzer *an, uint32_t mask, char *out)
{
    size_t o = 0;
    put32(out, mask);
    o += 4;
    for (size_t d = 0; d < an->ndims; d++) {
        if (!(mask & (1u << d)))
            continue;
        const ci_str *v = an->vals[d];
        size_t len = v ? v->len : 0;
        put32(out + o, (uint32_t)len);
        o += 4;
        if (len)
            memcpy(out + o, v->data, len);
        o += len;
    }
    return o;
}

/* Entry key: segment id, bucket kind (3 = overall), bucket start. */
static size_t entry_key(uint32_t seg, int kind, int64_t start, char *out)
{
    put32(out, seg);
    out[4] = (char)kind;
    memcpy(out + 5, &start, 8);
    return 13;
}

static ci_status reserve_stats(ci_analyzer *an, size_t n)
{
    ci_status st;
    size_t cap = an->st_cap;
    if (n > cap) {
        if ((st = ci_grow(&an->a, (void **)&an->st, &an->st_cap, n, sizeof(stats))) != CI_OK)
            return st;
        memset(an->st + cap, 0, (an->st_cap - cap) * sizeof(stats));
    }
    if (an->ntheme && n * an->ntheme > an->tc_cap) {
        size_t old = an->tc_cap;
        if ((st = ci_grow(&an->a, (void **)&an->theme_counts, &an->tc_cap, n * an->ntheme,
                          sizeof(uint64_t))) != CI_OK)
            return st;
        memset(an->theme_counts + old, 0, (an->tc_cap - old) * sizeof(uint64_t));
    }
    return CI_OK;
}

/* Find or create an entry; room must have been reserved. */
static uint32_t entry_for(ci_analyzer *an, uint32_t seg, int kind, int64_t start)
{
    char k[16];
    size_t kl = entry_key(seg, kind, start, k), idx;
    int added;
    ci_strmap_put(&an->entries, k, kl, &idx, &added); /* cannot fail: reserved */
    return (uint32_t)idx;
}

/* ------------------------------------------------------------------------ */
/*  Adding                                                                  */
/* ------------------------------------------------------------------------ */

static void update(stats *s, const ci_signal *sig, const ci_signal_result *r)
{
    s->count++;
    if (sig->has & CI_HAS_NPS) {
        s->nps_n++;
        s->nps_pro += sig->nps >= 9;
        s->nps_pas += sig->nps >= 7 && sig->nps < 9;
        s->nps_det += sig->nps <= 6;
    }
    if (sig->has & CI_HAS_CSAT) {
        s->csat_n++;
        s->csat_sat += sig->csat >= 4;
    }
    if (sig->has & CI_HAS_CES)
        w_add(&s->ces, sig->ces_direction == CI_CES_LOWER_IS_EASIER ? 8 - sig->ces : sig->ces);
    if (r->has_sentiment) {
        w_add(&s->sent, r->compound);
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            s->intents[k] += (r->intent_flags >> k) & 1;
    }
    if (sig->has & CI_HAS_VALUE) {
        s->value_n++;
        xs_add(&s->value, sig->value);
    }
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
    /* this signal's value for each dimension ("" when absent) */
    static const ci_str empty = {"", 0};
    for (size_t d = 0; d < an->ndims; d++)
        an->vals[d] = &empty;
    for (size_t i = 0; i < sig->n_attrs; i++) {
        long d = ci_strmap_find(&an->dims, sig->attrs[i].key.data, sig->attrs[i].key.len);
        if (d >= 0)
            an->vals[d] = &sig->attrs[i].value;
    }
    /* reserve everything this signal may create, so updates cannot fail */
    size_t per_seg = 1;
    int64_t starts[NBUCKET_KINDS];
    int have[NBUCKET_KINDS] = {0};
    for (int k = 0; k < NBUCKET_KINDS; k++)
        if ((an->buckets & (1u << k)) && sig->timestamp != CI_TIME_NONE &&
            (have[k] = bucket_start(k, sig->timestamp, &starts[k])))
            per_seg++;
    size_t keybytes = 4;
    for (size_t d = 0; d < an->ndims; d++)
        keybytes += 4 + an->vals[d]->len;
    if (an->segs.count + an->nmasks > CI_ANALYZER_MAX_SEGMENTS ||
        an->entries.count + an->nmasks * per_seg > CI_ANALYZER_MAX_SEGMENTS)
        return ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0, "more than %u segments",
                           CI_ANALYZER_MAX_SEGMENTS);
    if ((st = ci_grow(&an->a, (void **)&an->key, &an->key_cap, keybytes + 16, 1)) != CI_OK ||
        (st = ci_strmap_reserve(&an->segs, an->nmasks, an->nmasks * keybytes)) != CI_OK ||
        (st = ci_grow(&an->a, (void **)&an->seg_entry, &an->seg_cap, an->segs.count + an->nmasks,
                      sizeof(uint32_t))) != CI_OK ||
        (st = ci_strmap_reserve(&an->entries, an->nmasks * per_seg, an->nmasks * per_seg * 13)) != CI_OK ||
        (st = reserve_stats(an, an->entries.count + an->nmasks * per_seg)) != CI_OK ||
        (st = ci_grow(&an->a, (void **)&an->touch, &an->touch_cap, an->nmasks * per_seg,
                      sizeof(uint32_t))) != CI_OK)
        return st;
    for (int k = 0; k < NBUCKET_KINDS; k++)
        if (have[k] && (st = bucket_note(an, k, starts[k])) != CI_OK)
            return st;
    /* from here on nothing fails */
    for (size_t mi = 0; mi < an->nmasks; mi++) {
        size_t kl = seg_key(an, an->masks[mi], an->key), sid;
        int added;
        ci_strmap_put(&an->segs, an->key, kl, &sid, &added);
        uint32_t e = entry_for(an, (uint32_t)sid, 3, 0);
        if (added)
            an->seg_entry[sid] = e;
        update(&an->st[e], sig, &r);
        if (an->ntheme && r.theme >= 0)
            an->theme_counts[(size_t)e * an->ntheme + (size_t)r.theme]++;
        for (int k = 0; k < NBUCKET_KINDS; k++) {
            if (!have[k])
                continue;
            uint32_t be = entry_for(an, (uint32_t)sid, k, starts[k]);
            update(&an->st[be], sig, &r);
            if (an->ntheme && r.theme >= 0)
                an->theme_counts[(size_t)be * an->ntheme + (size_t)r.theme]++;
        }
    }
    if (res)
        *res = r;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Merging                                                                 */
/* ------------------------------------------------------------------------ */

static void merge_stats(stats *a, const stats *b)
{
    a->count += b->count;
    a->nps_n += b->nps_n;
    a->nps_pro += b->nps_pro;
    a->nps_pas += b->nps_pas;
    a->nps_det += b->nps_det;
    a->csat_n += b->csat_n;
    a->csat_sat += b->csat_sat;
    w_merge(&a->ces, &b->ces);
    w_merge(&a->sent, &b->sent);
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        a->intents[k] += b->intents[k];
    a->value_n += b->value_n;
    for (int k = 0; k < b->value.n; k++)
        xs_add(&a->value, b->value.p[k]);
}

CI_API ci_status ci_analyzer_merge(ci_analyzer *an, const ci_analyzer *other)
{
    if (!an || !other || an == other)
        return CI_ERR_INVALID;
    if (an->ndims != other->ndims || an->max_depth != other->max_depth ||
        an->buckets != other->buckets || an->ntheme != other->ntheme)
        return CI_ERR_INVALID;
    for (size_t d = 0; d < an->ndims; d++) {
        size_t l1, l2;
        const char *k1 = ci_strmap_key(&an->dims, d, &l1), *k2 = ci_strmap_key(&other->dims, d, &l2);
        if (l1 != l2 || memcmp(k1, k2, l1) != 0)
            return CI_ERR_INVALID;
    }
    if (an->segs.count + other->segs.count > CI_ANALYZER_MAX_SEGMENTS ||
        an->entries.count + other->entries.count > CI_ANALYZER_MAX_SEGMENTS)
        return CI_ERR_LIMIT;
    ci_status st;
    /* reserve the worst case: every key of other is new */
    if ((st = ci_strmap_reserve(&an->segs, other->segs.count, other->segs.arena_len)) != CI_OK ||
        (st = ci_grow(&an->a, (void **)&an->seg_entry, &an->seg_cap,
                      an->segs.count + other->segs.count + 1, sizeof(uint32_t))) != CI_OK ||
        (st = ci_strmap_reserve(&an->entries, other->entries.count, other->entries.count * 13)) != CI_OK ||
        (st = reserve_stats(an, an->entries.count + other->entries.count + 1)) != CI_OK)
        return st;
    for (int k = 0; k < NBUCKET_KINDS; k++) {
        const bucket_list *b = &other->bl[k];
        size_t need = an->bl[k].n + b->n;
        if ((st = ci_grow(&an->a, (void **)&an->bl[k].start, &an->bl[k].cap, need + 1,
                          sizeof(int64_t))) != CI_OK)
            return st;
    }
    /* no failure below */
    for (int k = 0; k < NBUCKET_KINDS; k++)
        for (size_t j = 0; j < other->bl[k].n; j++)
            bucket_note(an, k, other->bl[k].start[j]);
    /* segment ids differ between analyzers: map other's to ours */
    for (size_t oe = 0; oe < other->entries.count; oe++) {
        size_t kl;
        const char *k = ci_strmap_key(&other->entries, oe, &kl);
        uint32_t oseg;
        memcpy(&oseg, k, 4);
        size_t skl, sid;
        int added;
        const char *sk = ci_strmap_key(&other->segs, oseg, &skl);
        ci_strmap_put(&an->segs, sk, skl, &sid, &added);
        int64_t start;
        memcpy(&start, k + 5, 8);
        uint32_t e = entry_for(an, (uint32_t)sid, k[4], start);
        if (added)
            an->seg_entry[sid] = UINT32_MAX;
        if (k[4] == 3)
            an->seg_entry[sid] = e;
        merge_stats(&an->st[e], &other->st[oe]);
        for (size_t t = 0; t < an->ntheme; t++)
            an->theme_counts[(size_t)e * an->ntheme + t] += other->theme_counts[oe * an->ntheme + t];
    }
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Reading                                                                 */
/* ------------------------------------------------------------------------ */

static void fill(const stats *s, ci_segment_stats *o)
{
    ci_segment_stats_init(o);
    o->count = s->count;
    o->nps_responses = s->nps_n;
    o->nps_promoters = s->nps_pro;
    o->nps_passives = s->nps_pas;
    o->nps_detractors = s->nps_det;
    if (s->nps_n) {
        double n = (double)s->nps_n, p = (double)s->nps_pro / n, d = (double)s->nps_det / n;
        o->nps = 100.0 * (p - d);
        /* variance of the per-response score (+1, 0, -1) */
        double var = p + d - (p - d) * (p - d);
        o->nps_margin = 100.0 * 1.959963984540054 * sqrt(var / n);
    }
    o->csat_responses = s->csat_n;
    o->csat_satisfied = s->csat_sat;
    if (s->csat_n) {
        double n = (double)s->csat_n, p = (double)s->csat_sat / n, z = 1.959963984540054;
        double den = 1 + z * z / n, centre = (p + z * z / (2 * n)) / den;
        double half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den;
        o->csat = 100.0 * p;
        o->csat_low = 100.0 * (centre - half);
        o->csat_high = 100.0 * (centre + half);
    }
    o->ces_responses = s->ces.n;
    if (s->ces.n) {
        o->ces_mean = s->ces.mean;
        o->ces_variance = s->ces.n > 1 ? s->ces.m2 / (double)(s->ces.n - 1) : 0;
        o->ces_margin = s->ces.n > 1 ? 1.959963984540054 * sqrt(o->ces_variance / (double)s->ces.n) : 0;
    }
    o->sentiment_n = s->sent.n;
    if (s->sent.n) {
        o->sentiment_mean = s->sent.mean;
        o->sentiment_variance = s->sent.n > 1 ? s->sent.m2 / (double)(s->sent.n - 1) : 0;
    }
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        o->intent_count[k] = s->intents[k];
    o->value_n = s->value_n;
    o->value_sum = xs_value(&s->value);
}

CI_API size_t ci_analyzer_segment_count(const ci_analyzer *an)
{
    return an ? an->segs.count : 0;
}

CI_API ci_status ci_analyzer_segment(const ci_analyzer *an, size_t i, ci_str *values,
                                     ci_segment_stats *stats_out)
{
    if (!an)
        return CI_ERR_INVALID;
    if (stats_out && stats_out->struct_size < sizeof(ci_segment_stats))
        return CI_ERR_STRUCT_SIZE;
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
        fill(&an->st[an->seg_entry[i]], stats_out);
    return CI_OK;
}

CI_API ci_status ci_analyzer_find(const ci_analyzer *an, const ci_str *values, size_t *index)
{
    if (!an || !index || (an->ndims && !values))
        return CI_ERR_INVALID;
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
    if (!an || i >= an->segs.count || theme >= an->ntheme)
        return 0;
    return an->theme_counts[(size_t)an->seg_entry[i] * an->ntheme + theme];
}

static int kind_of(unsigned bucket)
{
    return bucket == CI_BUCKET_DAY ? 0 : bucket == CI_BUCKET_WEEK ? 1 : bucket == CI_BUCKET_MONTH ? 2 : -1;
}

CI_API ci_status ci_analyzer_segment_bucket(const ci_analyzer *an, size_t i, unsigned bucket,
                                            int64_t start, ci_segment_stats *stats_out)
{
    int kind = kind_of(bucket);
    if (!an || !stats_out || kind < 0 || !(an->buckets & bucket))
        return CI_ERR_INVALID;
    if (stats_out->struct_size < sizeof(ci_segment_stats))
        return CI_ERR_STRUCT_SIZE;
    if (i >= an->segs.count)
        return CI_ERR_NOT_FOUND;
    char k[16];
    size_t kl = entry_key((uint32_t)i, kind, start, k);
    long e = ci_strmap_find(&an->entries, k, kl);
    if (e < 0)
        return CI_ERR_NOT_FOUND;
    fill(&an->st[e], stats_out);
    return CI_OK;
}

CI_API ci_status ci_analyzer_bucket(const ci_analyzer *an, unsigned bucket, size_t j, int64_t *start)
{
    int kind = kind_of(bucket);
    if (!an || !start || kind < 0)
        return CI_ERR_INVALID;
    if (j >= an->bl[kind].n)
        return CI_ERR_NOT_FOUND;
    *start = an->bl[kind].start[j];
    return CI_OK;
}
