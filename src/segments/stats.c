/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of aggregates: exact sums, stable moments, and the small
 * hash map that indexes cells and summary entries by a 64-bit key.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../common/bits-priv.h"
#include "segments-priv.h"

/* ------------------------------------------------------------------------ */
/*  Error-free summation (Shewchuk), for sums equal whatever the order       */
/* ------------------------------------------------------------------------ */

void ci_xs_add(xsum *s, double x)
{
    double *p = s->p;
    unsigned i = 0;
    for (unsigned j = 0; j < s->n; j++) {
        /* Knuth's TwoSum: hi + lo == x + y exactly.  Unlike Fast2Sum it
         * needs no test of which is larger, and it gives the same hi and
         * lo.  A zero lo is written, then overwritten: entries from i on
         * are not partials. */
        double y = p[j], hi = x + y, yv = hi - x, lo = (x - (hi - yv)) + (y - yv);
        p[i] = lo;
        i += lo != 0;
        x = hi;
    }
    if (x != 0) {
        if (i == XS_MAX) {
            /* More than XS_MAX x 53 bits would be needed: fold the two
             * smallest partials.  No money amount comes near this. */
            p[1] += p[0];
            memmove(p, p + 1, (XS_MAX - 1) * sizeof(double));
            i--;
        }
        p[i++] = x;
    }
    s->n = (uint8_t)i;
}

/* The correctly rounded sum of the partials (as Python's math.fsum). */
double ci_xs_value(const xsum *s)
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

/* The fixed-point sum as partials, largest first: the double nearest to
 * what is left, taken away exactly, until nothing is.  What is left is then
 * at most half the last partial's lowest unit, so the partials do not
 * overlap, and a sum like 1e18 - 0.3 takes two (1e18, then -0.3) where
 * slicing its bits would take three.  Stored smallest first, they need no
 * addition; more than XS_MAX (a sum spanning over 200 bits) go through
 * ci_xs_add(), which folds. */
static void fix_to_xsum(const uint64_t acc[CI_FIX_WORDS], xsum *s)
{
    uint64_t r[CI_FIX_WORDS];
    memcpy(r, acc, sizeof r);
    double part[CI_FIX_WORDS * 64 / 53 + 1];
    int n = 0;
    for (;;) {
        /* the magnitude of what is left: ~r + 1 when negative */
        uint64_t m[CI_FIX_WORDS], neg = r[CI_FIX_WORDS - 1] >> 63, carry = neg;
        for (int j = 0; j < CI_FIX_WORDS; j++) {
            m[j] = (r[j] ^ ((uint64_t)0 - neg)) + carry;
            carry &= m[j] == 0;
        }
        int j = CI_FIX_WORDS - 1;
        while (j >= 0 && !m[j])
            j--;
        if (j < 0)
            break;
        int top = j * 64 + 63 - (int)ci_clz64(m[j]), low = top > 52 ? top - 52 : 0;
        /* the 53 bits from top down, rounded on the next one (top < 255) */
        unsigned w = (unsigned)low >> 6, sh = (unsigned)low & 63;
        uint64_t bits = m[w] >> sh;
        if (sh && w + 1 < CI_FIX_WORDS)
            bits |= m[w + 1] << (64 - sh);
        bits &= ((uint64_t)1 << (top - low + 1)) - 1;
        if (low > 0 && (m[(low - 1) >> 6] >> ((low - 1) & 63)) & 1)
            bits++; /* 2^53 at most: still a double exactly */
        part[n++] = (neg ? -1.0 : 1.0) * ldexp((double)bits, low - 128);
        ci_fix_add_at(r, bits, (unsigned)low, !neg);
    }
    s->n = 0;
    if (n > XS_MAX) {
        for (int i = n - 1; i >= 0; i--)
            ci_xs_add(s, part[i]);
        return;
    }
    for (int i = 0; i < n; i++)
        s->p[n - 1 - i] = part[i];
    s->n = (uint8_t)n;
}

/* a += b, or a -= b (a + ~b + 1), in the integer */
static void fix_merge(uint64_t a[CI_FIX_WORDS], const uint64_t b[CI_FIX_WORDS], int sub)
{
    uint64_t s = (uint64_t)0 - (uint64_t)(sub != 0), w[CI_FIX_WORDS];
    for (int j = 0; j < CI_FIX_WORDS; j++)
        w[j] = b[j] ^ s;
    ci_fix_add_words(a, w, (unsigned)(s & 1));
}

void ci_es_merge(esum *a, const esum *b)
{
    fix_merge(a->fix, b->fix, 0);
    for (int k = 0; k < b->rest.n; k++)
        ci_es_add(a, b->rest.p[k]);
}

void ci_es_sub(esum *a, const esum *b)
{
    fix_merge(a->fix, b->fix, 1);
    for (int k = 0; k < b->rest.n; k++)
        ci_es_add(a, -b->rest.p[k]);
}

void ci_es_partials(const esum *s, xsum *out)
{
    fix_to_xsum(s->fix, out);
    for (int k = 0; k < s->rest.n; k++)
        ci_xs_add(out, s->rest.p[k]);
}

double ci_es_value(const esum *s)
{
    xsum t;
    ci_es_partials(s, &t);
    return ci_xs_value(&t);
}

/* ------------------------------------------------------------------------ */
/*  Welford / Chan                                                          */
/* ------------------------------------------------------------------------ */

void ci_w_add(welford *w, double x)
{
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
}

void ci_w_merge(welford *a, const welford *b)
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
/*  Stats                                                                   */
/* ------------------------------------------------------------------------ */

void ci_stats_merge(stats *a, const stats *b)
{
    a->count += b->count;
    a->nps_n += b->nps_n;
    a->nps_pro += b->nps_pro;
    a->nps_pas += b->nps_pas;
    a->nps_det += b->nps_det;
    a->csat_n += b->csat_n;
    a->csat_sat += b->csat_sat;
    ci_w_merge(&a->ces, &b->ces);
    ci_w_merge(&a->sent, &b->sent);
    a->texts += b->texts;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        a->intents[k] += b->intents[k];
    a->value_n += b->value_n;
    ci_es_merge(&a->value, &b->value);
}

/* ------------------------------------------------------------------------ */
/*  Cells                                                                   */
/* ------------------------------------------------------------------------ */

_Static_assert(sizeof(cellstats) == 128, "a cell is two cache lines");

ci_status ci_cells_reserve(ci_analyzer *an, size_t n)
{
    if (n <= an->cst_cap)
        return CI_OK;
    size_t cap = an->cst_cap ? an->cst_cap : 16;
    while (cap < n) {
        if (cap > SIZE_MAX / 2 / sizeof(cellstats))
            return CI_ERR_NOMEM;
        cap *= 2;
    }
    /* the allocator owes no alignment beyond malloc's: take a line more */
    void *mem = ci_malloc(&an->a, cap * sizeof(cellstats) + 64);
    if (!mem)
        return CI_ERR_NOMEM;
    cellstats *c = (cellstats *)(void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    if (an->cst_cap)
        memcpy(c, an->cst, an->cst_cap * sizeof(cellstats));
    memset(c + an->cst_cap, 0, (cap - an->cst_cap) * sizeof(cellstats));
    ci_dealloc(&an->a, an->cst_mem);
    an->cst_mem = mem;
    an->cst = c;
    an->cst_cap = cap;
    return CI_OK;
}

ci_status ci_spill_reserve(ci_analyzer *an, size_t n)
{
    ci_status st = ci_u64map_reserve(&an->spill_of, &an->a, n);
    if (st == CI_OK && an->nspill + n > an->spill_cap)
        st = ci_grow(&an->a, (void **)&an->spill, &an->spill_cap, an->nspill + n, sizeof(stats));
    return st;
}

static long spill_index(const ci_analyzer *an, size_t c)
{
    return an->nspill ? ci_u64map_get(&an->spill_of, c) : -1;
}

/* The spill record of cell c, created empty if need be (room reserved). */
static stats *spill_record(ci_analyzer *an, size_t c)
{
    long i = spill_index(an, c);
    if (i < 0) {
        int added;
        i = (long)ci_u64map_put(&an->spill_of, c, (uint32_t)an->nspill, &added);
        memset(&an->spill[an->nspill++], 0, sizeof(stats));
    }
    return &an->spill[i];
}

static void cell_expand(const cellstats *x, stats *o)
{
    memset(o, 0, sizeof *o);
    o->count = x->count;
    o->nps_pro = x->nps_pro;
    o->nps_pas = x->nps_pas;
    o->nps_det = x->nps_det;
    o->nps_n = o->nps_pro + o->nps_pas + o->nps_det;
    o->csat_n = x->csat_n;
    o->csat_sat = x->csat_sat;
    o->ces.n = x->ces_n;
    o->ces.mean = x->mean[0];
    o->ces.m2 = x->m2[0];
    o->sent.n = x->sent_n;
    o->sent.mean = x->mean[1];
    o->sent.m2 = x->m2[1];
    o->texts = x->texts;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        o->intents[k] = x->intents[k];
    o->value_n = x->value_n;
    memcpy(o->value.fix, x->value, sizeof o->value.fix);
}

void ci_cell_get(const ci_analyzer *an, size_t c, stats *o)
{
    cell_expand(&an->cst[c], o);
    long i = spill_index(an, c);
    if (i >= 0) {
        stats s = an->spill[i];
        ci_stats_merge(&s, o);
        *o = s;
    }
}

/* Whether s has a compact form: every part within its whole, the whole
 * below CI_CELL_MAX, NPS answers the sum of their kinds. */
static int cell_fits(const stats *s)
{
    int ok = s->count < CI_CELL_MAX && s->texts <= s->count && s->value_n <= s->count &&
             s->csat_n <= s->count && s->csat_sat <= s->csat_n && s->ces.n <= s->count &&
             s->sent.n <= s->count && s->nps_n <= s->count &&
             s->nps_pro + s->nps_pas + s->nps_det == s->nps_n;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        ok &= s->intents[k] <= s->count;
    return ok;
}

/* Whether a partial of s's value sum is one the cell's integer cannot hold. */
static int value_spills(const stats *s)
{
    int out = 0;
    for (int k = 0; k < s->value.rest.n; k++)
        out |= !ci_fix_takes(s->value.rest.p[k]);
    return out;
}

int ci_stats_may_spill(const stats *s)
{
    /* The integers of two sums add up exactly; partials appear only where
     * one of them has some. */
    return s->count >= CI_CELL_MAX / 2 || s->value.rest.n;
}

ci_status ci_cell_set(ci_analyzer *an, size_t c, const stats *s)
{
    long i = spill_index(an, c);
    int fits = cell_fits(s), fine = fits && value_spills(s);
    if ((!fits || fine) && i < 0) {
        ci_status st = ci_spill_reserve(an, 1);
        if (st != CI_OK)
            return st;
    }
    cellstats *x = &an->cst[c];
    memset(x, 0, sizeof *x);
    if (!fits) {
        *spill_record(an, c) = *s;
        return CI_OK;
    }
    stats *sp = i >= 0 || fine ? spill_record(an, c) : NULL;
    if (sp)
        memset(sp, 0, sizeof *sp);
    x->count = (uint32_t)s->count;
    x->texts = (uint32_t)s->texts;
    x->nps_pro = (uint32_t)s->nps_pro;
    x->nps_pas = (uint32_t)s->nps_pas;
    x->nps_det = (uint32_t)s->nps_det;
    x->csat_n = (uint32_t)s->csat_n;
    x->csat_sat = (uint32_t)s->csat_sat;
    x->value_n = (uint32_t)s->value_n;
    x->ces_n = (uint32_t)s->ces.n;
    x->mean[0] = s->ces.mean;
    x->m2[0] = s->ces.m2;
    x->sent_n = (uint32_t)s->sent.n;
    x->mean[1] = s->sent.mean;
    x->m2[1] = s->sent.m2;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        x->intents[k] = (uint32_t)s->intents[k];
    memcpy(x->value, s->value.fix, sizeof x->value);
    for (int k = 0; k < s->value.rest.n; k++)
        if (!ci_fix_add(x->value, s->value.rest.p[k]))
            ci_xs_add(&sp->value.rest, s->value.rest.p[k]);
    return CI_OK;
}

void ci_cell_add_fine(ci_analyzer *an, size_t c, double x)
{
    ci_xs_add(&spill_record(an, c)->value.rest, x);
}

ci_status ci_cell_spill(ci_analyzer *an, size_t c)
{
    if (spill_index(an, c) < 0) {
        ci_status st = ci_spill_reserve(an, 1);
        if (st != CI_OK)
            return st;
    }
    stats part;
    cell_expand(&an->cst[c], &part);
    ci_stats_merge(spill_record(an, c), &part);
    memset(&an->cst[c], 0, sizeof(cellstats));
    return CI_OK;
}

void ci_cells_free(ci_analyzer *an)
{
    ci_dealloc(&an->a, an->cst_mem);
    ci_dealloc(&an->a, an->spill);
    ci_u64map_free(&an->spill_of, &an->a);
    an->cst_mem = NULL;
    an->cst = NULL;
    an->spill = NULL;
    an->cst_cap = an->nspill = an->spill_cap = 0;
}

/* Chan's merge run backwards: the moments of a whole minus one of its parts. */
static void w_subtract(welford *r, const welford *a, const welford *b)
{
    memset(r, 0, sizeof *r);
    if (b->n >= a->n)
        return;
    r->n = a->n - b->n;
    double na = (double)a->n, nb = (double)b->n, nr = (double)r->n;
    r->mean = (na * a->mean - nb * b->mean) / nr;
    double d = b->mean - r->mean;
    r->m2 = a->m2 - b->m2 - d * d * nb * nr / na;
    if (r->m2 < 0 || r->n == 1)
        r->m2 = r->n == 1 ? 0 : fmax(r->m2, 0);
}

void ci_stats_subtract(stats *r, const stats *a, const stats *b)
{
    memset(r, 0, sizeof *r);
    r->count = a->count - b->count;
    r->nps_n = a->nps_n - b->nps_n;
    r->nps_pro = a->nps_pro - b->nps_pro;
    r->nps_pas = a->nps_pas - b->nps_pas;
    r->nps_det = a->nps_det - b->nps_det;
    r->csat_n = a->csat_n - b->csat_n;
    r->csat_sat = a->csat_sat - b->csat_sat;
    w_subtract(&r->ces, &a->ces, &b->ces);
    w_subtract(&r->sent, &a->sent, &b->sent);
    r->texts = a->texts - b->texts;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        r->intents[k] = a->intents[k] - b->intents[k];
    r->value_n = a->value_n - b->value_n;
    r->value = a->value;
    ci_es_sub(&r->value, &b->value);
}

void ci_stats_fill(const stats *s, ci_segment_stats *o)
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
    o->value_sum = ci_es_value(&s->value);
}

/* ------------------------------------------------------------------------ */
/*  Examples                                                                */
/* ------------------------------------------------------------------------ */

int ci_example_before(double c1, const char *t1, size_t l1, const example *e)
{
    if (c1 != e->compound)
        return c1 < e->compound;
    size_t l = l1 < e->len ? l1 : e->len;
    int c = memcmp(t1, e->text, l);
    return c ? c < 0 : l1 < e->len;
}
