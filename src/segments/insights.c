/* SPDX-License-Identifier: MIT */
/*
 * Insights: from every comparison and trend the aggregates allow, the few
 * findings a person should act on, each with what, where, why, evidence and
 * impact.
 *
 * The steps: test everything (segments against the rest on each metric,
 * trends per segment, theme shares over time), control the false-discovery
 * rate over all tests at once, drop findings that only echo a broader or
 * narrower segment, attach drivers and examples, and rank by a score that
 * weighs effect, confidence, volume and money.  The result copies every
 * string it shows, so it outlives the analyzer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/utf8-priv.h"
#include "segments-priv.h"

CI_API void ci_insight_options_init(ci_insight_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->max_insights = 20;
    o->min_n = 30;
    o->alpha = 0.05;
    o->min_effect = 0.2;
    o->trend_bucket = CI_BUCKET_WEEK;
}

CI_API void ci_insight_init(ci_insight *in)
{
    if (!in)
        return;
    memset(in, 0, sizeof *in);
    in->struct_size = sizeof *in;
    in->p_value = in->q_value = 1;
}

/* A finding, with its strings as offsets into the pool. */
typedef struct finding {
    ci_insight in;
    size_t where_off, where_len;     /* "tier=enterprise, region=EMEA" */
    size_t dims_off, dims_len;       /* {"tier":"enterprise",...} */
    size_t what_off, what_len;       /* "nps", "intent:churn", "theme:<label>" */
    size_t drv_off[CI_INSIGHT_MAX_DRIVERS], drv_len[CI_INSIGHT_MAX_DRIVERS];
    size_t ex_off[CI_INSIGHT_MAX_EXAMPLES], ex_len[CI_INSIGHT_MAX_EXAMPLES];
    size_t sent_off, sent_len;
    double std_change;               /* trends: |change| in units of one observation's sd */
    int keep;
} finding;

struct ci_insights {
    ci_alloc a;
    finding *f;
    size_t n, cap;
    char *pool;
    size_t pool_len, pool_cap;
    int err;
};

/* ---- the string pool ------------------------------------------------------ */

static size_t pool_add(ci_insights *ins, const char *s, size_t n)
{
    if (ins->err)
        return 0;
    if (ci_grow(&ins->a, (void **)&ins->pool, &ins->pool_cap, ins->pool_len + n + 1, 1) != CI_OK) {
        ins->err = 1;
        return 0;
    }
    size_t off = ins->pool_len;
    if (n)
        memcpy(ins->pool + off, s, n);
    ins->pool[off + n] = 0;
    ins->pool_len += n + 1;
    return off;
}

/* A growing text buffer for sentences and JSON. */
typedef struct sbuf {
    const ci_alloc *a;
    char *p;
    size_t n, cap;
    int err;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (ci_grow(b->a, (void **)&b->p, &b->cap, b->n + n + 1, 1) != CI_OK) {
        b->err = 1;
        return;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* JSON string literal; bytes that are not valid UTF-8 become U+FFFD, so
 * customer text can never break the document. */
static void sb_json(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
            i++;
        } else if (c < 0x20) {
            if (c == '\n')
                sb_puts(b, "\\n");
            else if (c == '\t')
                sb_puts(b, "\\t");
            else if (c == '\r')
                sb_puts(b, "\\r");
            else
                sb_printf(b, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            sb_put(b, s + i, 1);
            i++;
        } else {
            uint32_t cp;
            size_t k;
            if (ci_utf8_decode((const uint8_t *)s + i, n - i, &cp, &k) == CI_DEC_OK) {
                sb_put(b, s + i, k);
            } else {
                /* the maximal bad subpart becomes one U+FFFD, as Unicode advises */
                sb_puts(b, "\xEF\xBF\xBD");
            }
            i += k;
        }
    }
    sb_put(b, "\"", 1);
}

/* ---- metric wording ------------------------------------------------------- */

/* +1 when a higher value is better for customers, -1 when worse, 0 neutral. */
static int polarity(int metric, int which)
{
    switch (metric) {
    case CI_METRIC_INTENT:
        return which == CI_INTENT_PRAISE ? 1 : -1;
    case CI_METRIC_THEME:
        return -1; /* a theme growing is a problem growing, until read */
    default:
        return 1;
    }
}

static const char *metric_title(int metric)
{
    static const char *const t[] = {"NPS", "CSAT", "CES", "Sentiment", "The share of texts flagging", "Theme"};
    return metric >= 0 && metric <= CI_METRIC_THEME ? t[metric] : "?";
}

static void fmt_value(sbuf *b, int metric, double v)
{
    switch (metric) {
    case CI_METRIC_NPS:
        sb_printf(b, "%.1f", v);
        break;
    case CI_METRIC_CES:
        sb_printf(b, "%.2f", v);
        break;
    case CI_METRIC_SENTIMENT:
        sb_printf(b, "%+.2f", v);
        break;
    default:
        sb_printf(b, "%.1f%%", v);
        break;
    }
}

static void fmt_gap(sbuf *b, int metric, double g)
{
    double a = fabs(g);
    switch (metric) {
    case CI_METRIC_NPS:
    case CI_METRIC_CSAT:
    case CI_METRIC_INTENT:
    case CI_METRIC_THEME:
        sb_printf(b, "%.1f point%s", a, a == 1 ? "" : "s");
        break;
    case CI_METRIC_CES:
        sb_printf(b, "%.2f", a);
        break;
    default:
        sb_printf(b, "%.2f", a);
        break;
    }
}

static void fmt_p(sbuf *b, const char *name, double p)
{
    if (p < 0.001)
        sb_printf(b, "%s < 0.001", name);
    else
        sb_printf(b, "%s = %.3f", name, p);
}

static void fmt_money(sbuf *b, double v)
{
    double a = fabs(v);
    if (a >= 1e9)
        sb_printf(b, "%.1fB", v / 1e9);
    else if (a >= 1e6)
        sb_printf(b, "%.1fM", v / 1e6);
    else if (a >= 1e4)
        sb_printf(b, "%.0fk", v / 1e3);
    else
        sb_printf(b, "%.0f", v);
}

static void fmt_count(sbuf *b, uint64_t n)
{
    char d[32];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n);
    char out[48];
    int o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = d[i];
    }
    sb_put(b, out, (size_t)o);
}

static const char *bucket_word(unsigned bucket, int plural)
{
    switch (bucket) {
    case CI_BUCKET_DAY:
        return plural ? "days" : "day";
    case CI_BUCKET_MONTH:
        return plural ? "months" : "month";
    default:
        return plural ? "weeks" : "week";
    }
}

/* ---- building ------------------------------------------------------------- */


static void theme_label(const ci_analyzer *an, int t, sbuf *b)
{
    ci_theme_info info;
    ci_theme_info_init(&info);
    if (an->model && ci_theme_model_info(an->model, (size_t)t, &info) == CI_OK && info.label_len)
        sb_put(b, info.label, info.label_len);
    else
        sb_printf(b, "theme %d", t);
}

static void what_name(const ci_analyzer *an, int metric, int which, sbuf *b)
{
    sb_puts(b, ci_metric_name(metric));
    if (metric == CI_METRIC_INTENT) {
        sb_puts(b, ":");
        sb_puts(b, ci_intent_name(which));
    } else if (metric == CI_METRIC_THEME) {
        sb_puts(b, ":");
        theme_label(an, which, b);
    }
}

static ci_status add_finding(ci_insights *ins, const finding *f)
{
    if (ci_grow(&ins->a, (void **)&ins->f, &ins->cap, ins->n + 1, sizeof(finding)) != CI_OK)
        return CI_ERR_NOMEM;
    ins->f[ins->n++] = *f;
    return CI_OK;
}

/* Stats-level comparison of two disjoint groups (for the hierarchy). */
static int differs(const stats *x, const stats *y, int metric, int which, uint64_t min_n,
                   double min_effect, int dir)
{
    ci_comparison c;
    ci_comparison_init(&c);
    ci_compare_stats(x, y, metric, which, &c);
    if (c.n < min_n || c.rest_n < min_n)
        return 0;
    return c.p_value < 0.05 && fabs(c.effect) >= min_effect / 2 && (c.gap > 0) == (dir > 0);
}

/* The test behind one candidate finding. */
typedef struct cand {
    int kind, metric, which;
    size_t seg;
    ci_comparison c;
    ci_trend t;
    double p, q;
} cand;

static ci_status push_cand(const ci_alloc *a, cand **v, size_t *n, size_t *cap, const cand *c)
{
    if (ci_grow(a, (void **)v, cap, *n + 1, sizeof(cand)) != CI_OK)
        return CI_ERR_NOMEM;
    (*v)[(*n)++] = *c;
    return CI_OK;
}

/* Standard deviation of one observation of a metric in stats s (reporting units). */
static double obs_sd(const stats *s, uint64_t theme_count, int metric, int which)
{
    double p;
    switch (metric) {
    case CI_METRIC_NPS: {
        if (!s->nps_n)
            return 100;
        double n = (double)s->nps_n, pr = (double)s->nps_pro / n, de = (double)s->nps_det / n;
        return 100 * sqrt(fmax(pr + de - (pr - de) * (pr - de), 1e-4));
    }
    case CI_METRIC_CES:
        return s->ces.n > 1 ? sqrt(fmax(s->ces.m2 / (double)(s->ces.n - 1), 1e-6)) : 1;
    case CI_METRIC_SENTIMENT:
        return s->sent.n > 1 ? sqrt(fmax(s->sent.m2 / (double)(s->sent.n - 1), 1e-6)) : 0.5;
    case CI_METRIC_CSAT:
        p = s->csat_n ? (double)s->csat_sat / (double)s->csat_n : 0.5;
        break;
    case CI_METRIC_INTENT:
        p = s->sent.n ? (double)s->intents[which] / (double)s->sent.n : 0.5;
        break;
    default:
        p = s->texts ? (double)theme_count / (double)s->texts : 0.5;
        break;
    }
    return 100 * sqrt(fmax(p * (1 - p), 1e-4));
}

/* Parent of segment i without dimension d, or -1. */
static long parent_of(const ci_analyzer *an, size_t i, size_t d)
{
    ci_str v[CI_ANALYZER_MAX_DIMENSIONS];
    if (ci_analyzer_segment(an, i, v, NULL) != CI_OK)
        return -1;
    v[d].data = NULL;
    v[d].len = 0;
    size_t idx;
    return ci_analyzer_find(an, v, &idx) == CI_OK ? (long)idx : -1;
}

/* Sum of a segment's bucket entries from bucket j0 to j1 (inclusive). */
static void window(const ci_analyzer *an, size_t seg, int kind, size_t j0, size_t j1, stats *acc,
                   uint64_t *themes)
{
    memset(acc, 0, sizeof *acc);
    if (an->ntheme)
        memset(themes, 0, an->ntheme * sizeof(uint64_t));
    for (size_t j = j0; j <= j1 && j < an->bl[kind].n; j++) {
        long e = ci_seg_entry(an, seg, kind, an->bl[kind].start[j]);
        if (e < 0)
            continue;
        ci_stats_merge(acc, &an->st[e]);
        for (size_t t = 0; t < an->ntheme; t++)
            themes[t] += an->theme_counts[(size_t)e * an->ntheme + t];
    }
}

/* Drivers: themes and intents over-represented in (s, th) against (r, rth). */
static void find_drivers(const ci_analyzer *an, const stats *s, const uint64_t *th, const stats *r,
                         const uint64_t *rth, int dir, ci_insight *in)
{
    typedef struct { ci_driver d; double excess; } cd;
    cd best[CI_INSIGHT_MAX_DRIVERS + 1];
    size_t nb = 0;
    size_t nt = an->ntheme;
    for (size_t k = 0; k < nt + CI_INTENT_COUNT; k++) {
        ci_driver d;
        memset(&d, 0, sizeof d);
        double n1, n2, c1, c2;
        if (k < nt) {
            d.metric = CI_METRIC_THEME;
            d.which = (int)k;
            n1 = (double)s->texts;
            n2 = (double)r->texts;
            c1 = (double)th[k];
            c2 = (double)rth[k];
        } else {
            int it = (int)(k - nt);
            /* problems explain bad news; praise explains good news */
            if ((polarity(CI_METRIC_INTENT, it) > 0) != (dir > 0))
                continue;
            d.metric = CI_METRIC_INTENT;
            d.which = it;
            n1 = (double)s->sent.n;
            n2 = (double)r->sent.n;
            c1 = (double)s->intents[it];
            c2 = (double)r->intents[it];
        }
        if (n1 < 1 || n2 < 1 || c1 < 5)
            continue;
        d.share = c1 / n1;
        d.rest_share = c2 / n2;
        d.count = (uint64_t)c1;
        d.lift = d.rest_share > 0 ? d.share / d.rest_share : INFINITY;
        if (d.lift < 1.3)
            continue;
        double pp = (c1 + c2) / (n1 + n2), se = sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2));
        if (!(se > 0) || ci_normal_sf2((d.share - d.rest_share) / se) >= 0.01)
            continue;
        if (!isfinite(d.lift))
            d.lift = 1e9; /* absent elsewhere */
        double excess = c1 - d.rest_share * n1;
        size_t pos = nb;
        while (pos > 0 && best[pos - 1].excess < excess)
            pos--;
        if (pos >= CI_INSIGHT_MAX_DRIVERS)
            continue;
        memmove(best + pos + 1, best + pos, (nb - pos) * sizeof(cd));
        best[pos].d = d;
        best[pos].excess = excess;
        if (nb < CI_INSIGHT_MAX_DRIVERS)
            nb++;
    }
    in->n_drivers = nb;
    for (size_t j = 0; j < nb; j++)
        in->drivers[j] = best[j].d;
}

static int by_score(const void *x, const void *y)
{
    const finding *a = x, *b = y;
    if (a->in.score != b->in.score)
        return a->in.score > b->in.score ? -1 : 1;
    if (a->in.segment != b->in.segment)
        return a->in.segment < b->in.segment ? -1 : 1;
    return (a->in.metric > b->in.metric) - (a->in.metric < b->in.metric);
}

static void describe(const ci_analyzer *an, ci_insights *ins, finding *f);

CI_API void ci_insights_free(ci_insights *ins)
{
    if (!ins)
        return;
    ci_alloc a = ins->a;
    ci_dealloc(&a, ins->f);
    ci_dealloc(&a, ins->pool);
    ci_dealloc(&a, ins);
}

static double confidence(double q)
{
    return fmin(1.0, -log10(fmax(q, 1e-300)) / 4.0);
}

CI_API ci_status ci_insights_build(const ci_analyzer *an, const ci_insight_options *opts,
                                   const ci_allocator *alloc, ci_insights **out)
{
    if (!an || !out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_insight_options o;
    ci_insight_options_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof o)
            return CI_ERR_STRUCT_SIZE;
        o = *opts;
    }
    if (!(o.alpha > 0 && o.alpha < 1) || !(o.min_effect >= 0))
        return CI_ERR_INVALID;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    ci_status st = ci_analyzer_refresh(an);
    if (st != CI_OK)
        return st;
    ci_insights *ins = ci_calloc(&a, 1, sizeof *ins);
    if (!ins)
        return CI_ERR_NOMEM;
    ins->a = a;
    cand *cv = NULL;
    size_t nc = 0, ccap = 0;
    double *pv = NULL;
    uint64_t *tha = NULL, *thb = NULL;
    size_t nseg = an->segs.count;
    const stats *pop = ci_seg_stats(an, 0);
    int kind = ci_bucket_kind(o.trend_bucket);
    int trends = kind >= 0 && (an->buckets & o.trend_bucket) && an->bl[kind].n >= 3;
    uint64_t trend_min = o.min_n / 3 > 10 ? o.min_n / 3 : 10;
    if (an->ntheme && (!(tha = ci_calloc(&a, an->ntheme, sizeof(uint64_t))) ||
                       !(thb = ci_calloc(&a, an->ntheme, sizeof(uint64_t))))) {
        st = CI_ERR_NOMEM;
        goto done;
    }

    /* 1. every test */
    static const int gap_metrics[] = {CI_METRIC_NPS, CI_METRIC_CSAT, CI_METRIC_CES, CI_METRIC_SENTIMENT};
    for (size_t i = 1; i < nseg && st == CI_OK; i++) {
        for (int m = 0; m < 4 + CI_INTENT_COUNT && st == CI_OK; m++) {
            cand c;
            memset(&c, 0, sizeof c);
            c.kind = CI_INSIGHT_GAP;
            c.seg = i;
            c.metric = m < 4 ? gap_metrics[m] : CI_METRIC_INTENT;
            c.which = m < 4 ? 0 : m - 4;
            ci_comparison_init(&c.c);
            if (ci_compare_entries(an, an->seg_entry[i], an->seg_entry[0], c.metric, c.which, &c.c) != CI_OK ||
                c.c.n < o.min_n || c.c.rest_n < o.min_n)
                continue;
            c.p = c.c.p_value;
            st = push_cand(&a, &cv, &nc, &ccap, &c);
        }
    }
    /* Shifts: the recent quarter of the buckets against the time before.  A
     * straight line through the whole period misses what matters most, a
     * step ("since the release"), so the test is recent against before; the
     * slope is reported alongside. */
    size_t nbk = trends ? an->bl[kind].n : 0, recent = nbk / 4 > 2 ? nbk / 4 : 2;
    for (size_t i = 0; trends && i < nseg && st == CI_OK; i++) {
        if (ci_seg_stats(an, i)->count < o.min_n)
            continue;
        stats early, late;
        window(an, i, kind, 0, nbk - recent - 1, &early, thb);
        window(an, i, kind, nbk - recent, nbk - 1, &late, tha);
        int nm = 4 + (ci_analyzer_segment_depth(an, i) <= 1 ? (int)an->ntheme : 0);
        for (int m = 0; m < nm && st == CI_OK; m++) {
            cand c;
            memset(&c, 0, sizeof c);
            c.kind = CI_INSIGHT_TREND;
            c.seg = i;
            c.metric = m < 4 ? gap_metrics[m] : CI_METRIC_THEME;
            c.which = m < 4 ? 0 : m - 4;
            ci_comparison_init(&c.c);
            if (c.metric == CI_METRIC_THEME) {
                double n1 = (double)late.texts, n2 = (double)early.texts;
                if (n1 < (double)trend_min || n2 < (double)trend_min)
                    continue;
                double p1 = (double)tha[c.which] / n1, p2 = (double)thb[c.which] / n2;
                double pp = ((double)tha[c.which] + (double)thb[c.which]) / (n1 + n2);
                double se = sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2));
                c.c.n = late.texts;
                c.c.rest_n = early.texts;
                c.c.value = 100 * p1;
                c.c.rest = 100 * p2;
                c.c.gap = c.c.value - c.c.rest;
                c.c.effect = 2 * asin(sqrt(p1)) - 2 * asin(sqrt(p2));
                c.c.p_value = se > 0 ? ci_normal_sf2((p1 - p2) / se) : 1;
            } else {
                ci_compare_stats(&late, &early, c.metric, c.which, &c.c);
                if (c.c.n < trend_min || c.c.rest_n < trend_min)
                    continue;
            }
            ci_trend_init(&c.t);
            /* too few buckets leaves the slope at 0; no memory fails the build */
            if (ci_analyzer_trend(an, i, c.metric, c.which, o.trend_bucket, 2, &c.t) == CI_ERR_NOMEM) {
                st = CI_ERR_NOMEM;
                break;
            }
            c.t.points = recent;
            c.p = c.c.p_value;
            st = push_cand(&a, &cv, &nc, &ccap, &c);
        }
    }
    if (st != CI_OK)
        goto done;

    /* 2. one false-discovery control over everything tested */
    if (nc) {
        if (!(pv = ci_malloc(&a, nc * sizeof(double)))) {
            st = CI_ERR_NOMEM;
            goto done;
        }
        for (size_t k = 0; k < nc; k++)
            pv[k] = fmin(fmax(cv[k].p, 0), 1);
        if ((st = ci_bh_adjust(&a, pv, nc, pv)) != CI_OK)
            goto done;
        for (size_t k = 0; k < nc; k++)
            cv[k].q = pv[k];
    }

    /* 3. findings: significant, large enough, and not an echo */
    for (size_t k = 0; k < nc && st == CI_OK; k++) {
        cand *c = &cv[k];
        if (c->q >= o.alpha)
            continue;
        const stats *s = ci_seg_stats(an, c->seg);
        finding f;
        memset(&f, 0, sizeof f);
        ci_insight_init(&f.in);
        f.in.kind = c->kind;
        f.in.segment = c->seg;
        f.in.metric = c->metric;
        f.in.which = c->which;
        f.in.p_value = c->p;
        f.in.q_value = c->q;
        f.in.count = s->count;
        f.in.value_at_stake = ci_es_value(&s->value);
        double vtot = ci_es_value(&pop->value);
        double vshare = vtot > 0 ? fmin(fmax(f.in.value_at_stake / vtot, 0), 1) : 0;
        uint32_t mask = ci_seg_mask(an, c->seg);
        if (c->kind == CI_INSIGHT_GAP) {
            if (fabs(c->c.effect) < o.min_effect)
                continue;
            int dir = (c->c.gap > 0 ? 1 : -1) * polarity(c->metric, c->which);
            /* a narrower segment that is no different from the rest of its
             * parent only repeats the parent; a broader one whose gap
             * disappears without a significant child inside it is explained
             * by that child */
            int echo = 0;
            for (size_t d = 0; d < an->ndims && !echo; d++) {
                if (!(mask & (1u << d)) || ci_popcount(mask) < 2)
                    continue;
                long par = parent_of(an, c->seg, d);
                if (par < 0)
                    continue;
                stats rest_of_parent;
                ci_stats_subtract(&rest_of_parent, ci_seg_stats(an, (size_t)par), s);
                if (!differs(s, &rest_of_parent, c->metric, c->which, o.min_n, o.min_effect,
                             c->c.gap > 0 ? 1 : -1))
                    echo = 1;
            }
            for (size_t k2 = 0; k2 < nc && !echo; k2++) {
                const cand *ch = &cv[k2];
                if (ch->kind != CI_INSIGHT_GAP || ch->metric != c->metric || ch->which != c->which ||
                    ch->q >= o.alpha || (ch->c.gap > 0) != (c->c.gap > 0))
                    continue;
                uint32_t cm = ci_seg_mask(an, ch->seg);
                if (ci_popcount(cm) != ci_popcount(mask) + 1 || (cm & mask) != mask)
                    continue;
                /* is ch inside c?  its parent without the extra dimension is c */
                size_t extra = 0;
                while (!((cm & ~mask) & (1u << extra)))
                    extra++;
                if (parent_of(an, ch->seg, extra) != (long)c->seg)
                    continue;
                stats c_minus, pop_minus;
                ci_stats_subtract(&c_minus, s, ci_seg_stats(an, ch->seg));
                ci_stats_subtract(&pop_minus, pop, s);
                if (!differs(&c_minus, &pop_minus, c->metric, c->which, o.min_n, o.min_effect,
                             c->c.gap > 0 ? 1 : -1))
                    echo = 1;
            }
            if (echo)
                continue;
            f.in.direction = dir;
            f.in.value = c->c.value;
            f.in.rest = c->c.rest;
            f.in.gap = c->c.gap;
            f.in.effect = c->c.effect;
            f.in.n = c->c.n;
            f.in.score = fabs(c->c.effect) * (1 + log10((double)s->count)) * (1 + 2 * vshare) *
                         confidence(c->q) * (dir < 0 ? 1.5 : 1.0);
            stats rest;
            ci_stats_subtract(&rest, pop, s);
            for (size_t t = 0; t < an->ntheme; t++) {
                tha[t] = an->theme_counts[(size_t)an->seg_entry[c->seg] * an->ntheme + t];
                thb[t] = an->theme_counts[(size_t)an->seg_entry[0] * an->ntheme + t] - tha[t];
            }
            find_drivers(an, s, tha, &rest, thb, dir, &f.in);
        } else {
            double sd = obs_sd(s, c->metric == CI_METRIC_THEME
                                      ? an->theme_counts[(size_t)an->seg_entry[c->seg] * an->ntheme + (size_t)c->which]
                                      : 0, c->metric, c->which);
            f.std_change = fabs(c->c.gap) / sd;
            if (f.std_change < o.min_effect && fabs(c->c.effect) < o.min_effect)
                continue;
            /* a shift its broader parent shows as much is the parent's */
            int echo = 0;
            for (size_t k2 = 0; k2 < nc && !echo && c->seg; k2++) {
                const cand *pc = &cv[k2];
                if (pc->kind != CI_INSIGHT_TREND || pc->metric != c->metric || pc->which != c->which ||
                    pc->q >= o.alpha || (pc->c.gap > 0) != (c->c.gap > 0) ||
                    fabs(c->c.gap) >= 1.5 * fabs(pc->c.gap))
                    continue;
                uint32_t pm = pc->seg ? ci_seg_mask(an, pc->seg) : 0;
                if (ci_popcount(pm) + 1 != ci_popcount(mask) || (pm & mask) != pm)
                    continue;
                size_t extra = 0;
                while (!((mask & ~pm) & (1u << extra)))
                    extra++;
                if (parent_of(an, c->seg, extra) == (long)pc->seg)
                    echo = 1;
            }
            /* and a broad shift that one narrower segment inside it carries
             * alone is that segment's: without it, nothing moved */
            for (size_t k2 = 0; k2 < nc && !echo; k2++) {
                const cand *ch = &cv[k2];
                if (ch->kind != CI_INSIGHT_TREND || ch->metric != c->metric || ch->which != c->which ||
                    ch->q >= o.alpha || (ch->c.gap > 0) != (c->c.gap > 0) || ch->seg == c->seg)
                    continue;
                uint32_t cm = ci_seg_mask(an, ch->seg);
                if (ci_popcount(cm) != ci_popcount(mask) + 1 || (cm & mask) != mask)
                    continue;
                size_t extra = 0;
                while (!((cm & ~mask) & (1u << extra)))
                    extra++;
                if (parent_of(an, ch->seg, extra) != (long)c->seg)
                    continue;
                stats pe, pl, ce, cl, re, rl;
                window(an, c->seg, kind, 0, nbk - recent - 1, &pe, thb);
                window(an, c->seg, kind, nbk - recent, nbk - 1, &pl, tha);
                uint64_t pthe = c->metric == CI_METRIC_THEME ? thb[c->which] : 0;
                uint64_t pthl = c->metric == CI_METRIC_THEME ? tha[c->which] : 0;
                window(an, ch->seg, kind, 0, nbk - recent - 1, &ce, thb);
                window(an, ch->seg, kind, nbk - recent, nbk - 1, &cl, tha);
                ci_stats_subtract(&re, &pe, &ce);
                ci_stats_subtract(&rl, &pl, &cl);
                double pr;
                if (c->metric == CI_METRIC_THEME) {
                    double n1 = (double)rl.texts, n2 = (double)re.texts;
                    double k1 = (double)(pthl - tha[c->which]), k0 = (double)(pthe - thb[c->which]);
                    double pp = (k1 + k0) / fmax(n1 + n2, 1);
                    double se = sqrt(pp * (1 - pp) * (1 / fmax(n1, 1) + 1 / fmax(n2, 1)));
                    pr = se > 0 ? ci_normal_sf2((k1 / fmax(n1, 1) - k0 / fmax(n2, 1)) / se) : 1;
                    if ((k1 / fmax(n1, 1) > k0 / fmax(n2, 1)) != (c->c.gap > 0))
                        pr = 1;
                } else {
                    ci_comparison rc;
                    ci_comparison_init(&rc);
                    ci_compare_stats(&rl, &re, c->metric, c->which, &rc);
                    pr = (rc.gap > 0) == (c->c.gap > 0) ? rc.p_value : 1;
                }
                if (pr >= 0.05)
                    echo = 1;
            }
            if (echo)
                continue;
            f.in.direction = (c->c.gap > 0 ? 1 : -1) * polarity(c->metric, c->which);
            f.in.value = c->c.rest;
            f.in.rest = c->c.value;
            f.in.gap = c->c.gap;
            f.in.effect = c->c.effect;
            f.in.slope = c->t.slope;
            f.in.bucket = o.trend_bucket;
            f.in.n = c->t.points;
            f.in.score = fmax(f.std_change, fabs(c->c.effect)) * (1 + log10((double)s->count)) *
                         (1 + 2 * vshare) * confidence(c->q) * (f.in.direction < 0 ? 1.5 : 1.0);
            /* why: what grew between before and recently */
            stats early, late;
            window(an, c->seg, kind, 0, nbk - recent - 1, &early, thb);
            window(an, c->seg, kind, nbk - recent, nbk - 1, &late, tha);
            if (c->metric != CI_METRIC_THEME)
                find_drivers(an, &late, tha, &early, thb, f.in.direction, &f.in);
        }
        st = add_finding(ins, &f);
    }
    if (st != CI_OK)
        goto done;

    /* 4. gaps that keep widening: the worst news of all */
    size_t nfound = ins->n, ngt = 0;
    for (size_t k = 0; k < nfound; k++)
        ngt += ins->f[k].in.kind == CI_INSIGHT_GAP && ins->f[k].in.direction < 0 && trends;
    for (size_t k = 0; k < nfound && trends && st == CI_OK; k++) {
        finding g = ins->f[k];
        if (g.in.kind != CI_INSIGHT_GAP || g.in.direction >= 0 || g.in.metric == CI_METRIC_INTENT)
            continue;
        ci_trend t;
        ci_trend_init(&t);
        ci_status ts = ci_analyzer_gap_trend(an, g.in.segment, 0, g.in.metric, g.in.which,
                                             o.trend_bucket, trend_min, &t);
        if (ts == CI_ERR_NOMEM) {
            st = ts; /* not "no trend": the finding would silently go missing */
            break;
        }
        if (ts != CI_OK || t.p_value * (double)ngt >= o.alpha || t.widening <= 0)
            continue;
        const stats *s = ci_seg_stats(an, g.in.segment);
        finding f = g;
        f.in.kind = CI_INSIGHT_GAP_TREND;
        f.in.value = t.first;
        f.in.rest = t.last;
        f.in.gap = t.last - t.first;
        f.in.slope = t.slope;
        f.in.bucket = o.trend_bucket;
        f.in.p_value = t.p_value;
        f.in.q_value = fmin(1, t.p_value * (double)ngt);
        f.in.effect = 0;
        f.in.n = t.points;
        f.std_change = fabs(f.in.gap) / obs_sd(s, 0, g.in.metric, g.in.which);
        f.in.score = 0.8 * f.std_change * (1 + log10((double)s->count)) * confidence(f.in.q_value);
        st = add_finding(ins, &f);
    }
    if (st != CI_OK)
        goto done;

    /* 5. rank, then the caps */
    if (ins->n)
        qsort(ins->f, ins->n, sizeof(finding), by_score);
    size_t kept = 0;
    for (size_t k = 0; k < ins->n && kept < o.max_insights; k++) {
        /* one finding of each kind per segment: the others say the same */
        size_t same = 0;
        const ci_insight *x = &ins->f[k].in;
        for (size_t j = 0; j < kept; j++) {
            const ci_insight *y = &ins->f[j].in;
            same += y->segment == x->segment &&
                    (y->kind == CI_INSIGHT_GAP) == (x->kind == CI_INSIGHT_GAP);
            /* the same theme moving is one story, told where it scores best */
            same += x->kind == CI_INSIGHT_TREND && x->metric == CI_METRIC_THEME &&
                    y->kind == CI_INSIGHT_TREND && y->metric == CI_METRIC_THEME && y->which == x->which;
        }
        if (same)
            continue;
        ins->f[kept++] = ins->f[k];
    }
    ins->n = kept;

    /* 6. words: where, what, drivers, examples, the sentence */
    for (size_t k = 0; k < ins->n; k++)
        describe(an, ins, &ins->f[k]);
    if (ins->err)
        st = CI_ERR_NOMEM;
done:
    ci_dealloc(&a, cv);
    ci_dealloc(&a, pv);
    ci_dealloc(&a, tha);
    ci_dealloc(&a, thb);
    if (st != CI_OK) {
        ci_insights_free(ins);
        return st;
    }
    *out = ins;
    return CI_OK;
}

/* ---- words ---------------------------------------------------------------- */

static size_t pool_sb(ci_insights *ins, sbuf *b, size_t *len)
{
    if (b->err)
        ins->err = 1;
    *len = b->err ? 0 : b->n;
    size_t off = pool_add(ins, b->p ? b->p : "", *len);
    b->n = 0;
    return off;
}

static void driver_words(const ci_analyzer *an, const ci_driver *d, sbuf *b)
{
    if (d->metric == CI_METRIC_THEME) {
        sb_puts(b, "theme \"");
        theme_label(an, d->which, b);
        sb_puts(b, "\"");
    } else {
        sb_puts(b, "intent ");
        sb_puts(b, ci_intent_name(d->which));
    }
}

static void describe(const ci_analyzer *an, ci_insights *ins, finding *f)
{
    sbuf b = {&ins->a, NULL, 0, 0, 0};
    ci_insight *in = &f->in;
    ci_str v[CI_ANALYZER_MAX_DIMENSIONS];
    /* Once an allocation failed the build fails; stop before reading pool
     * offsets that a failed pool_add() never filled (the pool may even be
     * NULL). */
    if (ins->err)
        return;
    ci_analyzer_segment(an, in->segment, v, NULL);
    /* where */
    int first = 1;
    for (size_t d = 0; d < an->ndims; d++) {
        if (!v[d].data)
            continue;
        ci_str name = ci_analyzer_dimension(an, d);
        if (!first)
            sb_puts(&b, ", ");
        sb_put(&b, name.data, name.len);
        sb_puts(&b, "=");
        sb_put(&b, v[d].data, v[d].len);
        first = 0;
    }
    if (first)
        sb_puts(&b, "all customers");
    f->where_off = pool_sb(ins, &b, &f->where_len);
    /* dimensions as a JSON object */
    sb_puts(&b, "{");
    first = 1;
    for (size_t d = 0; d < an->ndims; d++) {
        if (!v[d].data)
            continue;
        ci_str name = ci_analyzer_dimension(an, d);
        if (!first)
            sb_puts(&b, ", ");
        sb_json(&b, name.data, name.len);
        sb_puts(&b, ": ");
        sb_json(&b, v[d].data, v[d].len);
        first = 0;
    }
    sb_puts(&b, "}");
    f->dims_off = pool_sb(ins, &b, &f->dims_len);
    what_name(an, in->metric, in->which, &b);
    f->what_off = pool_sb(ins, &b, &f->what_len);
    for (size_t j = 0; j < in->n_drivers; j++) {
        if (in->drivers[j].metric == CI_METRIC_THEME)
            theme_label(an, in->drivers[j].which, &b);
        else
            sb_puts(&b, ci_intent_name(in->drivers[j].which));
        f->drv_off[j] = pool_sb(ins, &b, &f->drv_len[j]);
    }
    if (ins->err)
        goto out;
    /* evidence: the segment's most negative texts, those on the main driver
     * theme first; good news is not illustrated by complaints */
    in->n_examples = 0;
    if (in->direction < 0) {
        int want = -1;
        if (in->metric == CI_METRIC_THEME)
            want = in->which;
        for (size_t j = 0; j < in->n_drivers && want < 0; j++)
            if (in->drivers[j].metric == CI_METRIC_THEME)
                want = in->drivers[j].which;
        /* the segment's own texts on that theme; then the theme's most
         * typical texts (the segment is where it is over-represented);
         * then the segment's other complaints */
        for (int pass = 0; pass < 3; pass++) {
            if (pass < 2 && want < 0)
                continue;
            for (size_t j = 0; in->n_examples < CI_INSIGHT_MAX_EXAMPLES && j < 64; j++) {
                ci_str t;
                int th = -1;
                if (pass == 1) {
                    if (!an->model || ci_theme_model_example(an->model, (size_t)want, j, &t.data,
                                                             &t.len, NULL) != CI_OK)
                        break;
                    th = want;
                } else if (ci_analyzer_segment_example(an, in->segment, j, &t, NULL, &th) != CI_OK) {
                    break;
                }
                if (pass != 1 && (pass == 0) != (want >= 0 && th == want))
                    continue;
                int dup = 0;
                for (size_t e = 0; e < in->n_examples; e++)
                    dup |= f->ex_len[e] == t.len && !memcmp(ins->pool + f->ex_off[e], t.data, t.len);
                if (dup)
                    continue;
                size_t n = in->n_examples++;
                f->ex_off[n] = pool_add(ins, t.data, t.len);
                f->ex_len[n] = t.len;
                if (ins->err)
                    goto out;
            }
        }
    }
    /* the sentence */
    const char *where = ins->pool + f->where_off;
    int m = in->metric;
    if (in->kind == CI_INSIGHT_GAP) {
        sb_puts(&b, metric_title(m));
        if (m == CI_METRIC_INTENT) {
            sb_puts(&b, " ");
            sb_puts(&b, ci_intent_name(in->which));
        }
        sb_puts(&b, " in ");
        sb_puts(&b, where);
        sb_puts(&b, " is ");
        fmt_value(&b, m, in->value);
        sb_puts(&b, ", ");
        fmt_gap(&b, m, in->gap);
        sb_puts(&b, in->gap < 0 ? " below" : " above");
        sb_puts(&b, " the rest (");
        fmt_value(&b, m, in->rest);
        sb_puts(&b, "; ");
        fmt_p(&b, "q", in->q_value);
        sb_puts(&b, "; ");
        fmt_count(&b, in->count);
        sb_puts(&b, " signals");
    } else if (in->kind == CI_INSIGHT_TREND) {
        if (m == CI_METRIC_THEME) {
            sb_puts(&b, "Theme \"");
            theme_label(an, in->which, &b);
            sb_puts(&b, "\"");
            sb_puts(&b, in->slope > 0 ? " grew from " : " shrank from ");
            fmt_value(&b, m, in->value);
            sb_puts(&b, " to ");
            fmt_value(&b, m, in->rest);
            sb_puts(&b, " of texts");
            if (in->segment) {
                sb_puts(&b, " in ");
                sb_puts(&b, where);
            }
        } else {
            sb_puts(&b, metric_title(m));
            sb_puts(&b, " in ");
            sb_puts(&b, where);
            sb_puts(&b, in->slope > 0 ? " rose from " : " fell from ");
            fmt_value(&b, m, in->value);
            sb_puts(&b, " to ");
            fmt_value(&b, m, in->rest);
        }
        sb_printf(&b, " in the last %zu %s, against the time before (", (size_t)in->n,
                  bucket_word(in->bucket, 1));
        fmt_p(&b, "q", in->q_value);
        sb_puts(&b, "; ");
        fmt_count(&b, in->count);
        sb_puts(&b, " signals");
    } else {
        sb_puts(&b, "The ");
        sb_puts(&b, metric_title(m));
        sb_puts(&b, " gap between ");
        sb_puts(&b, where);
        sb_puts(&b, " and everyone widened from ");
        fmt_gap(&b, m, in->value);
        sb_puts(&b, " to ");
        fmt_gap(&b, m, in->rest);
        sb_printf(&b, " over %zu %s (", (size_t)in->n, bucket_word(in->bucket, 1));
        fmt_p(&b, "p", in->p_value);
        sb_puts(&b, "; ");
        fmt_count(&b, in->count);
        sb_puts(&b, " signals");
    }
    if (in->value_at_stake > 0) {
        sb_puts(&b, ", ");
        fmt_money(&b, in->value_at_stake);
        sb_puts(&b, " in value");
    }
    sb_puts(&b, ").");
    if (in->n_drivers) {
        sb_puts(&b, in->kind == CI_INSIGHT_TREND ? " Growing: " : " Over-represented: ");
        for (size_t j = 0; j < in->n_drivers && j < 3; j++) {
            if (j)
                sb_puts(&b, ", ");
            driver_words(an, &in->drivers[j], &b);
            if (in->drivers[j].lift >= 1e9)
                sb_puts(&b, " (only here)");
            else
                sb_printf(&b, " (%.1fx)", in->drivers[j].lift);
        }
        sb_puts(&b, ".");
    }
    f->sent_off = pool_sb(ins, &b, &f->sent_len);
out:
    ci_dealloc(&ins->a, b.p);
}

/* ---- reading -------------------------------------------------------------- */

CI_API size_t ci_insights_count(const ci_insights *ins)
{
    return ins ? ins->n : 0;
}

CI_API ci_status ci_insights_get(const ci_insights *ins, size_t i, ci_insight *out)
{
    if (!ins || !out)
        return CI_ERR_INVALID;
    if (out->struct_size < sizeof(ci_insight))
        return CI_ERR_STRUCT_SIZE;
    if (i >= ins->n)
        return CI_ERR_NOT_FOUND;
    const finding *f = &ins->f[i];
    *out = f->in;
    for (size_t j = 0; j < f->in.n_examples; j++) {
        out->examples[j].data = ins->pool + f->ex_off[j];
        out->examples[j].len = f->ex_len[j];
    }
    return CI_OK;
}

CI_API ci_status ci_insights_sentence(const ci_insights *ins, size_t i, char *buf, size_t cap,
                                      size_t *len)
{
    if (!ins || (!buf && cap))
        return CI_ERR_INVALID;
    if (i >= ins->n)
        return CI_ERR_NOT_FOUND;
    const finding *f = &ins->f[i];
    if (len)
        *len = f->sent_len;
    if (cap) {
        size_t n = f->sent_len < cap - 1 ? f->sent_len : cap - 1;
        /* never cut a character in half */
        while (n < f->sent_len && n > 0 && ((unsigned char)ins->pool[f->sent_off + n] & 0xC0) == 0x80)
            n--;
        memcpy(buf, ins->pool + f->sent_off, n);
        buf[n] = 0;
    }
    return CI_OK;
}

static void json_num(sbuf *b, double v)
{
    if (!isfinite(v))
        sb_puts(b, "null");
    else
        sb_printf(b, "%.17g", v);
}

CI_API ci_status ci_insights_json(const ci_insights *ins, char **json, size_t *len)
{
    if (!ins || !json)
        return CI_ERR_INVALID;
    *json = NULL;
    if (len)
        *len = 0;
    static const char *const kinds[] = {"gap", "trend", "gap_trend"};
    sbuf b = {&ins->a, NULL, 0, 0, 0};
    sb_puts(&b, "[");
    for (size_t i = 0; i < ins->n; i++) {
        const finding *f = &ins->f[i];
        const ci_insight *in = &f->in;
        const char *pool = ins->pool;
        sb_printf(&b, "%s\n {\"rank\": %zu, \"kind\": \"%s\", \"sentence\": ", i ? "," : "", i + 1,
                  kinds[in->kind]);
        sb_json(&b, pool + f->sent_off, f->sent_len);
        sb_puts(&b, ", \"metric\": ");
        sb_json(&b, pool + f->what_off, f->what_len);
        sb_puts(&b, ", \"segment\": ");
        sb_put(&b, pool + f->dims_off, f->dims_len);
        sb_puts(&b, ", \"where\": ");
        sb_json(&b, pool + f->where_off, f->where_len);
        sb_puts(&b, ", \"value\": ");
        json_num(&b, in->value);
        sb_puts(&b, ", \"rest\": ");
        json_num(&b, in->rest);
        sb_puts(&b, ", \"gap\": ");
        json_num(&b, in->gap);
        sb_puts(&b, ", \"effect\": ");
        json_num(&b, in->effect);
        sb_puts(&b, ", \"p_value\": ");
        json_num(&b, in->p_value);
        sb_puts(&b, ", \"q_value\": ");
        json_num(&b, in->q_value);
        sb_printf(&b, ", \"direction\": \"%s\", \"count\": %llu, \"responses\": %llu",
                  in->direction < 0 ? "worse" : "better", (unsigned long long)in->count,
                  (unsigned long long)in->n);
        sb_puts(&b, ", \"revenue_at_stake\": ");
        json_num(&b, in->value_at_stake);
        sb_puts(&b, ", \"score\": ");
        json_num(&b, in->score);
        if (in->kind != CI_INSIGHT_GAP) {
            sb_puts(&b, ", \"slope\": ");
            json_num(&b, in->slope);
            sb_printf(&b, ", \"bucket\": \"%s\"", bucket_word(in->bucket, 0));
        }
        sb_puts(&b, ", \"drivers\": [");
        for (size_t j = 0; j < in->n_drivers; j++) {
            const ci_driver *d = &in->drivers[j];
            sb_printf(&b, "%s{\"kind\": \"%s\", \"name\": ", j ? ", " : "",
                      d->metric == CI_METRIC_THEME ? "theme" : "intent");
            sb_json(&b, pool + f->drv_off[j], f->drv_len[j]);
            sb_printf(&b, ", \"id\": %d, \"share\": ", d->which);
            json_num(&b, d->share);
            sb_puts(&b, ", \"rest_share\": ");
            json_num(&b, d->rest_share);
            sb_puts(&b, ", \"lift\": ");
            json_num(&b, d->lift >= 1e9 ? NAN : d->lift);
            sb_printf(&b, ", \"count\": %llu}", (unsigned long long)d->count);
        }
        sb_puts(&b, "], \"examples\": [");
        for (size_t j = 0; j < in->n_examples; j++) {
            if (j)
                sb_puts(&b, ", ");
            sb_json(&b, pool + f->ex_off[j], f->ex_len[j]);
        }
        sb_puts(&b, "]}");
    }
    sb_puts(&b, ins->n ? "\n]" : "]");
    if (b.err) {
        ci_dealloc(&ins->a, b.p);
        return CI_ERR_NOMEM;
    }
    char *outp = ci_user_alloc(&ins->a, b.n + 1);
    if (!outp) {
        ci_dealloc(&ins->a, b.p);
        return CI_ERR_NOMEM;
    }
    memcpy(outp, b.p, b.n + 1);
    ci_dealloc(&ins->a, b.p);
    *json = outp;
    if (len)
        *len = b.n;
    return CI_OK;
}
