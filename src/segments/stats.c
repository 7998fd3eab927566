/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of aggregates: exact sums, stable moments, and the small
 * hash map that indexes cells and summary entries by a 64-bit key.
 */
#include <math.h>
#include <string.h>

#include "segments-priv.h"

/* ------------------------------------------------------------------------ */
/*  Error-free summation (Shewchuk), for sums equal whatever the order       */
/* ------------------------------------------------------------------------ */

void ci_xs_add(xsum *s, double x)
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
    for (int k = 0; k < b->value.n; k++)
        ci_xs_add(&a->value, b->value.p[k]);
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
    for (int k = 0; k < b->value.n; k++)
        ci_xs_add(&r->value, -b->value.p[k]);
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
    o->value_sum = ci_xs_value(&s->value);
}

/* ------------------------------------------------------------------------ */
/*  u64map                                                                  */
/* ------------------------------------------------------------------------ */

static size_t slot_of(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return (size_t)k & mask;
}

ci_status ci_u64map_reserve(u64map *m, const ci_alloc *a, size_t extra)
{
    size_t need = m->count + extra;
    if (need * 2 <= m->nslots)
        return CI_OK;
    size_t ns = m->nslots ? m->nslots : 64;
    while (need * 2 > ns)
        ns *= 2;
    u64slot *slots = ci_calloc(a, ns, sizeof *slots);
    if (!slots)
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < m->nslots; i++) {
        if (!m->slots[i].val)
            continue;
        size_t j = slot_of(m->slots[i].key, ns - 1);
        while (slots[j].val)
            j = (j + 1) & (ns - 1);
        slots[j] = m->slots[i];
    }
    ci_dealloc(a, m->slots);
    m->slots = slots;
    m->nslots = ns;
    return CI_OK;
}

long ci_u64map_get(const u64map *m, uint64_t key)
{
    if (!m->nslots)
        return -1;
    size_t mask = m->nslots - 1;
    for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
        if (!m->slots[i].val)
            return -1;
        if (m->slots[i].key == key)
            return (long)m->slots[i].val - 1;
    }
}

uint32_t ci_u64map_put(u64map *m, uint64_t key, uint32_t val, int *added)
{
    size_t mask = m->nslots - 1;
    for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
        if (!m->slots[i].val) {
            m->slots[i].key = key;
            m->slots[i].val = val + 1;
            m->count++;
            *added = 1;
            return val;
        }
        if (m->slots[i].key == key) {
            *added = 0;
            return m->slots[i].val - 1;
        }
    }
}

void ci_u64map_clear(u64map *m)
{
    if (m->slots)
        memset(m->slots, 0, m->nslots * sizeof *m->slots);
    m->count = 0;
}

void ci_u64map_free(u64map *m, const ci_alloc *a)
{
    ci_dealloc(a, m->slots);
    memset(m, 0, sizeof *m);
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
