/* SPDX-License-Identifier: MIT */
/*
 * Comparisons (a segment against the rest), false-discovery control and
 * trends over time buckets.  Everything here reads aggregates only: the
 * rest of the population is the population minus the segment, computed
 * exactly, so a comparison costs the same for 1 000 or 1 000 000 000 signals.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segments-priv.h"

/* ------------------------------------------------------------------------ */
/*  Distributions                                                           */
/* ------------------------------------------------------------------------ */

double ci_normal_sf2(double z)
{
    return erfc(fabs(z) / 1.4142135623730951);
}

/* log Gamma for x > 0 (Lanczos, g = 7, n = 9): libm's lgamma writes the
 * global signgam, which two threads must not race on. */
static double log_gamma(double x)
{
    static const double c[9] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                                771.32342877765313,   -176.61502916214059,   12.507343278686905,
                                -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    if (x < 0.5)
        return log(3.14159265358979323846 / sin(3.14159265358979323846 * x)) - log_gamma(1 - x);
    x -= 1;
    double a = c[0], t = x + 7.5;
    for (int i = 1; i < 9; i++)
        a += c[i] / (x + i);
    return 0.91893853320467274178 + (x + 0.5) * log(t) - t + log(a);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lbt = log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lbt) * beta_cf(a, b, x) / a;
    return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

double ci_student_sf2(double t, double df)
{
    if (!isfinite(t))
        return isnan(t) ? 1 : 0;
    if (!(df > 0))
        return 1;
    if (df > 1e6)
        return ci_normal_sf2(t);
    return beta_inc(df / 2, 0.5, df / (df + t * t));
}

/* ------------------------------------------------------------------------ */
/*  Metrics                                                                 */
/* ------------------------------------------------------------------------ */

CI_API const char *ci_metric_name(int metric)
{
    static const char *const names[] = {"nps", "csat", "ces", "sentiment", "intent", "theme"};
    return metric >= 0 && metric <= CI_METRIC_THEME ? names[metric] : NULL;
}

CI_API void ci_comparison_init(ci_comparison *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->p_value = 1;
}

CI_API void ci_trend_init(ci_trend *t)
{
    if (!t)
        return;
    memset(t, 0, sizeof *t);
    t->struct_size = sizeof *t;
    t->p_value = 1;
}

/* One side of a comparison: n observations, the metric (in its reporting
 * units), and for rates the proportion, for means the sample variance of
 * one observation (in the metric's units squared). */
typedef struct side {
    uint64_t n;
    double value, p, var;
    int rate;
} side;

static int check_metric(const ci_analyzer *an, int metric, int which)
{
    if (metric < CI_METRIC_NPS || metric > CI_METRIC_THEME)
        return 0;
    if (metric == CI_METRIC_INTENT && (which < 0 || which >= CI_INTENT_COUNT))
        return 0;
    if (metric == CI_METRIC_THEME && (which < 0 || (size_t)which >= an->ntheme))
        return 0;
    return 1;
}

static void measure(const stats *s, uint64_t theme_count, int metric, int which, side *o)
{
    memset(o, 0, sizeof *o);
    double k = 0;
    switch (metric) {
    case CI_METRIC_NPS:
        o->n = s->nps_n;
        if (o->n) {
            double n = (double)o->n, p = (double)s->nps_pro / n, d = (double)s->nps_det / n;
            o->value = 100 * (p - d);
            /* the sample variance of the +1/0/-1 scores, in points squared */
            o->var = o->n > 1 ? 1e4 * (p + d - (p - d) * (p - d)) * n / (n - 1) : 0;
        }
        return;
    case CI_METRIC_CES:
        o->n = s->ces.n;
        o->value = s->ces.mean;
        o->var = o->n > 1 ? s->ces.m2 / (double)(o->n - 1) : 0;
        return;
    case CI_METRIC_SENTIMENT:
        o->n = s->sent.n;
        o->value = s->sent.mean;
        o->var = o->n > 1 ? s->sent.m2 / (double)(o->n - 1) : 0;
        return;
    case CI_METRIC_CSAT:
        o->n = s->csat_n;
        k = (double)s->csat_sat;
        break;
    case CI_METRIC_INTENT:
        o->n = s->sent.n;
        k = (double)s->intents[which];
        break;
    default: /* theme */
        o->n = s->texts;
        k = (double)theme_count;
        break;
    }
    o->rate = 1;
    o->p = o->n ? k / (double)o->n : 0;
    o->value = 100 * o->p;
    o->var = 1e4 * o->p * (1 - o->p);
}

/* Test a against b: effect size and two-sided p. */
static void test_sides(const side *a, const side *b, double *effect, double *p)
{
    double na = (double)a->n, nb = (double)b->n;
    if (a->rate) {
        double pp = (a->p * na + b->p * nb) / (na + nb);
        double se = sqrt(pp * (1 - pp) * (1 / na + 1 / nb));
        *effect = 2 * asin(sqrt(a->p)) - 2 * asin(sqrt(b->p));
        *p = se > 0 ? ci_normal_sf2((a->p - b->p) / se) : (a->p == b->p ? 1 : 0);
        return;
    }
    double va = a->var / na, vb = b->var / nb, se = sqrt(va + vb);
    double pooled = sqrt(((na - 1) * a->var + (nb - 1) * b->var) / (na + nb - 2));
    double diff = a->value - b->value;
    *effect = pooled > 0 ? diff / pooled : 0;
    if (!(se > 0)) {
        *p = diff == 0 ? 1 : 0;
        return;
    }
    double df = (va + vb) * (va + vb) /
                ((na > 1 ? va * va / (na - 1) : 0) + (nb > 1 ? vb * vb / (nb - 1) : 0));
    *p = ci_student_sf2(diff / se, df > 0 && isfinite(df) ? df : na + nb - 2);
}

static uint64_t entry_theme(const ci_analyzer *an, size_t e, int metric, int which)
{
    return metric == CI_METRIC_THEME ? an->theme_counts[e * an->ntheme + (size_t)which] : 0;
}

ci_status ci_compare_entries(const ci_analyzer *an, size_t e, size_t pop_e, int metric, int which,
                             ci_comparison *out)
{
    stats rest;
    ci_stats_subtract(&rest, &an->st[pop_e], &an->st[e]);
    side a, b;
    measure(&an->st[e], entry_theme(an, e, metric, which), metric, which, &a);
    measure(&rest, entry_theme(an, pop_e, metric, which) - entry_theme(an, e, metric, which),
            metric, which, &b);
    out->n = a.n;
    out->rest_n = b.n;
    out->value = a.value;
    out->rest = b.value;
    out->gap = a.value - b.value;
    out->effect = 0;
    out->p_value = 1;
    if (a.n < 2 || b.n < 2)
        return CI_ERR_MISSING;
    test_sides(&a, &b, &out->effect, &out->p_value);
    return CI_OK;
}

void ci_compare_stats(const stats *x, const stats *y, int metric, int which, ci_comparison *out)
{
    side a, b;
    measure(x, 0, metric, which, &a);
    measure(y, 0, metric, which, &b);
    out->n = a.n;
    out->rest_n = b.n;
    out->value = a.value;
    out->rest = b.value;
    out->gap = a.value - b.value;
    out->effect = 0;
    out->p_value = 1;
    if (a.n >= 2 && b.n >= 2)
        test_sides(&a, &b, &out->effect, &out->p_value);
}

CI_API ci_status ci_analyzer_compare(const ci_analyzer *an, size_t i, int metric, int which,
                                     ci_comparison *out)
{
    if (!an || !out || !check_metric(an, metric, which))
        return CI_ERR_INVALID;
    if (out->struct_size < sizeof(ci_comparison))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (i >= an->segs.count)
        return CI_ERR_NOT_FOUND;
    ci_comparison_init(out);
    return ci_compare_entries(an, an->seg_entry[i], an->seg_entry[0], metric, which, out);
}

/* ------------------------------------------------------------------------ */
/*  Benjamini-Hochberg                                                      */
/* ------------------------------------------------------------------------ */

typedef struct pidx {
    double p;
    size_t i;
} pidx;

static int by_p(const void *x, const void *y)
{
    const pidx *a = x, *b = y;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

ci_status ci_bh_adjust(const ci_alloc *a, const double *p, size_t n, double *q)
{
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0 && p[i] <= 1))
            return CI_ERR_INVALID;
    pidx local[256];
    pidx *v = n <= 256 ? local : ci_malloc(a, n * sizeof *v);
    if (!v)
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i].p = p[i];
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, by_p);
    double run = 1;
    for (size_t r = n; r-- > 0;) {
        double adj = v[r].p * (double)n / (double)(r + 1);
        if (adj < run)
            run = adj;
        q[v[r].i] = run;
    }
    if (v != local)
        ci_dealloc(a, v);
    return CI_OK;
}

CI_API ci_status ci_benjamini_hochberg(const double *p, size_t n, double *q,
                                       const ci_allocator *alloc)
{
    if ((!p || !q) && n)
        return CI_ERR_INVALID;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    return ci_bh_adjust(&a, p, n, q);
}

/* ------------------------------------------------------------------------ */
/*  Trends                                                                  */
/* ------------------------------------------------------------------------ */

/* One bucket's estimate and its variance (of the estimate, not of one
 * observation).  Rates use (k + 1) / (n + 2) for the variance, so an
 * all-zero week still has some uncertainty. */
static int point(const ci_analyzer *an, size_t seg, int kind, int64_t start, int metric, int which,
                 uint64_t min_n, double *y, double *var)
{
    long e = ci_seg_entry(an, seg, kind, start);
    if (e < 0)
        return 0;
    side s;
    measure(&an->st[e], entry_theme(an, (size_t)e, metric, which), metric, which, &s);
    if (s.n < (min_n > 2 ? min_n : 2))
        return 0;
    double n = (double)s.n;
    *y = s.value;
    if (s.rate) {
        double pt = (s.p * n + 1) / (n + 2);
        *var = 1e4 * pt * (1 - pt) / n;
    } else if (metric == CI_METRIC_NPS) {
        const stats *st = &an->st[e];
        double p = ((double)st->nps_pro + 0.5) / (n + 1), d = ((double)st->nps_det + 0.5) / (n + 1);
        *var = 1e4 * (p + d - (p - d) * (p - d)) / n;
    } else {
        *var = fmax(s.var, 1e-6) / n;
    }
    return 1;
}

/* Weighted least squares of y on the bucket position. */
static ci_status fit(const double *x, const double *y, const double *w, size_t k, const bucket_list *bl,
                     const size_t *pos, ci_trend *out)
{
    out->points = k;
    if (k < 3)
        return CI_ERR_MISSING;
    double sw = 0, sx = 0, sy = 0;
    for (size_t j = 0; j < k; j++) {
        sw += w[j];
        sx += w[j] * x[j];
        sy += w[j] * y[j];
    }
    double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
    for (size_t j = 0; j < k; j++) {
        sxx += w[j] * (x[j] - mx) * (x[j] - mx);
        sxy += w[j] * (x[j] - mx) * (y[j] - my);
    }
    if (!(sxx > 0))
        return CI_ERR_MISSING;
    double b = sxy / sxx, a = my - b * mx, rss = 0;
    for (size_t j = 0; j < k; j++) {
        double r = y[j] - a - b * x[j];
        rss += w[j] * r * r;
    }
    /* The weights are inverse sampling variances, so rss / (k - 2) is about
     * 1 when buckets differ only by sampling noise and more when they vary
     * for real; never trust the fit more than the sampling noise allows. */
    double s2 = fmax(rss / (double)(k - 2), 1.0);
    out->slope = b;
    out->slope_se = sqrt(s2 / sxx);
    out->p_value = ci_student_sf2(b / out->slope_se, (double)(k - 2));
    out->first = a + b * x[0];
    out->last = a + b * x[k - 1];
    out->first_start = bl->start[pos[0]];
    out->last_start = bl->start[pos[k - 1]];
    return CI_OK;
}

static ci_status trend_common(const ci_analyzer *an, size_t sa, long sb, int metric, int which,
                              unsigned bucket, uint64_t min_n, ci_trend *out)
{
    int kind = ci_bucket_kind(bucket);
    if (!an || !out || kind < 0 || !(an->buckets & bucket) || !check_metric(an, metric, which))
        return CI_ERR_INVALID;
    if (out->struct_size < sizeof(ci_trend))
        return CI_ERR_STRUCT_SIZE;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    if (sa >= an->segs.count || (sb >= 0 && (size_t)sb >= an->segs.count))
        return CI_ERR_NOT_FOUND;
    ci_trend_init(out);
    const bucket_list *bl = &an->bl[kind];
    size_t nb = bl->n;
    double *buf = ci_malloc(&an->a, (nb + 1) * 3 * sizeof(double));
    size_t *pos = ci_malloc(&an->a, (nb + 1) * sizeof(size_t));
    if (!buf || !pos) {
        ci_dealloc(&an->a, buf);
        ci_dealloc(&an->a, pos);
        return CI_ERR_NOMEM;
    }
    double *x = buf, *y = buf + nb + 1, *w = buf + 2 * (nb + 1);
    size_t k = 0;
    for (size_t j = 0; j < nb; j++) {
        double ya, va, yb = 0, vb = 0;
        if (!point(an, sa, kind, bl->start[j], metric, which, min_n, &ya, &va))
            continue;
        if (sb >= 0 && !point(an, (size_t)sb, kind, bl->start[j], metric, which, min_n, &yb, &vb))
            continue;
        x[k] = (double)j;
        y[k] = ya - yb;
        w[k] = 1 / (va + vb);
        pos[k] = j;
        k++;
    }
    st = fit(x, y, w, k, bl, pos, out);
    if (st == CI_OK && sb >= 0 && out->p_value < 0.05) {
        double mean = (out->first + out->last) / 2;
        out->widening = (out->slope > 0) == (mean > 0) ? 1 : -1;
    }
    ci_dealloc(&an->a, buf);
    ci_dealloc(&an->a, pos);
    return st;
}

CI_API ci_status ci_analyzer_trend(const ci_analyzer *an, size_t i, int metric, int which,
                                   unsigned bucket, uint64_t min_n, ci_trend *out)
{
    return trend_common(an, i, -1, metric, which, bucket, min_n, out);
}

CI_API ci_status ci_analyzer_gap_trend(const ci_analyzer *an, size_t a, size_t b, int metric,
                                       int which, unsigned bucket, uint64_t min_n, ci_trend *out)
{
    if (a == b)
        return CI_ERR_INVALID;
    return trend_common(an, a, (long)b, metric, which, bucket, min_n, out);
}
