/* SPDX-License-Identifier: MIT */
/* Reading every part of an analyzer, with invariants, for the snapshot and
 * analyzer fuzz targets.  It reaches into the analyzer's private state (the
 * harness links the library's internal archive) only for the configuration
 * a fresh analyzer needs: depth, buckets and theme count, which the public
 * API does not report. */
#ifndef CI_FUZZ_ANALYZER_CHECK_H
#define CI_FUZZ_ANALYZER_CHECK_H

#include <math.h>

#include "../../src/segments/segments-priv.h"
#include "fuzz.h"

/* Caps on the work spent on one analyzer, so that one input stays fast. */
#define FZ_MAX_SEGMENTS 4096   /* segments read */
#define FZ_MAX_DEEP 12         /* segments compared, trended, bucket-listed */
#define FZ_MAX_BUCKETS 64      /* buckets read per kind and segment */
#define FZ_MAX_THEMES 6        /* themes read per segment */
#define FZ_MAX_ACCOUNTS 512

static const unsigned fz_bucket_kinds[3] = {CI_BUCKET_DAY, CI_BUCKET_WEEK, CI_BUCKET_MONTH};

/* strict: the analyzer was built by adds, so the documented ranges hold;
 * otherwise it came from a fuzzed snapshot, which only has to be read
 * without a crash and give finite or absent numbers. */
static void fz_check_stats(const ci_segment_stats *s, int strict)
{
    FZ_CHECK(s->nps_responses <= s->count);
    FZ_CHECK(s->nps_promoters + s->nps_passives + s->nps_detractors == s->nps_responses);
    FZ_CHECK(s->csat_satisfied <= s->csat_responses && s->csat_responses <= s->count);
    FZ_CHECK(s->ces_responses <= s->count);
    FZ_CHECK(s->value_n <= s->count);
    FZ_CHECK(s->nps >= -100.0 && s->nps <= 100.0);
    FZ_CHECK(s->csat >= 0.0 && s->csat <= 100.0);
    FZ_CHECK(!isnan(s->value_sum));
    if (!strict)
        return;
    FZ_CHECK(isfinite(s->nps_margin) && s->nps_margin >= 0);
    FZ_CHECK(s->csat_low <= s->csat + 1e-9 && s->csat <= s->csat_high + 1e-9);
    if (s->ces_responses) {
        FZ_CHECK(s->ces_mean >= 1.0 - 1e-9 && s->ces_mean <= 7.0 + 1e-9);
        FZ_CHECK(s->ces_variance >= 0.0);
    }
    if (s->sentiment_n) {
        FZ_CHECK(s->sentiment_mean >= -1.0 - 1e-9 && s->sentiment_mean <= 1.0 + 1e-9);
        FZ_CHECK(s->sentiment_variance >= 0.0);
    }
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        FZ_CHECK(s->intent_count[k] <= s->sentiment_n);
}

static void fz_read_segments(ci_analyzer *an, int strict)
{
    size_t ndims = ci_analyzer_dimension_count(an);
    FZ_CHECK(ndims <= CI_ANALYZER_MAX_DIMENSIONS);
    for (size_t d = 0; d < ndims; d++) {
        ci_str name = ci_analyzer_dimension(an, d);
        FZ_CHECK(name.data && name.len);
    }
    FZ_CHECK(ci_analyzer_dimension(an, ndims).data == NULL);
    size_t nseg = ci_analyzer_segment_count(an);
    FZ_CHECK(nseg >= 1);
    size_t ntheme = an->ntheme;
    /* buckets of each kind, in time order */
    int64_t starts[3][FZ_MAX_BUCKETS];
    size_t nb[3] = {0, 0, 0};
    for (int b = 0; b < 3; b++) {
        for (size_t j = 0;; j++) {
            int64_t s;
            ci_status st = ci_analyzer_bucket(an, fz_bucket_kinds[b], j, &s);
            if (st != CI_OK) {
                FZ_CHECK(st == CI_ERR_NOT_FOUND || (st == CI_ERR_INVALID && j == 0));
                break;
            }
            if (j < FZ_MAX_BUCKETS) {
                if (j)
                    FZ_CHECK(s > starts[b][j - 1]);
                starts[b][nb[b]++] = s;
            }
        }
    }
    uint64_t population = 0;
    ci_str values[CI_ANALYZER_MAX_DIMENSIONS];
    for (size_t i = 0; i < nseg && i < FZ_MAX_SEGMENTS; i++) {
        ci_segment_stats s;
        ci_segment_stats_init(&s);
        FZ_CHECK(ci_analyzer_segment(an, i, values, &s) == CI_OK);
        fz_check_stats(&s, strict);
        unsigned depth = ci_analyzer_segment_depth(an, i);
        FZ_CHECK(depth <= ndims);
        unsigned split = 0;
        for (size_t d = 0; d < ndims; d++)
            split += values[d].data != NULL;
        FZ_CHECK(split == depth);
        if (i == 0) {
            FZ_CHECK(depth == 0);
            population = s.count;
        } else {
            FZ_CHECK(s.count <= population);
        }
        size_t found = (size_t)-1;
        FZ_CHECK(ci_analyzer_find(an, values, &found) == CI_OK && found == i);
        uint64_t texts = ci_analyzer_segment_texts(an, i);
        FZ_CHECK(texts <= s.count);
        for (size_t t = 0; t < ntheme && t < FZ_MAX_THEMES; t++)
            FZ_CHECK(ci_analyzer_segment_theme(an, i, t) <= texts);
        FZ_CHECK(ci_analyzer_segment_theme(an, i, ntheme) == 0);
        double prev = -2;
        for (size_t j = 0;; j++) {
            ci_str text = {NULL, 0};
            double compound = 0;
            int theme = -2;
            ci_status st = ci_analyzer_segment_example(an, i, j, &text, &compound, &theme);
            if (st != CI_OK) {
                FZ_CHECK(st == CI_ERR_NOT_FOUND && j <= CI_ANALYZER_EXAMPLES);
                break;
            }
            FZ_CHECK(text.len > 0 && text.len <= CI_ANALYZER_EXAMPLE_BYTES);
            volatile char sink = 0;
            for (size_t b = 0; b < text.len; b++)
                sink ^= text.data[b];
            (void)sink;
            FZ_CHECK(compound >= -1 && compound <= 1 && compound >= prev);
            FZ_CHECK(theme >= -1 && (theme < 0 || (size_t)theme < ntheme));
            prev = compound;
        }
        if (i >= FZ_MAX_DEEP && i + 2 < nseg)
            continue;
        /* per bucket */
        for (int b = 0; b < 3; b++) {
            uint64_t sum = 0;
            for (size_t j = 0; j < nb[b]; j++) {
                ci_segment_stats bs;
                ci_segment_stats_init(&bs);
                ci_status st = ci_analyzer_segment_bucket(an, i, fz_bucket_kinds[b], starts[b][j], &bs);
                FZ_OOM(st);
                if (st == CI_OK) {
                    fz_check_stats(&bs, strict);
                    FZ_CHECK(bs.count <= s.count);
                    sum += bs.count;
                } else {
                    FZ_CHECK(st == CI_ERR_NOT_FOUND);
                }
            }
            if (strict && nb[b] < FZ_MAX_BUCKETS)
                FZ_CHECK(sum <= s.count);
        }
        /* comparisons with the rest */
        for (int metric = CI_METRIC_NPS; metric <= CI_METRIC_THEME; metric++) {
            size_t nwhich = metric == CI_METRIC_INTENT ? CI_INTENT_COUNT
                          : metric == CI_METRIC_THEME ? (ntheme < 3 ? ntheme : 3) : 1;
            for (size_t w = 0; w < nwhich; w++) {
                ci_comparison c;
                ci_comparison_init(&c);
                ci_status st = ci_analyzer_compare(an, i, metric, (int)w, &c);
                FZ_OOM(st);
                FZ_CHECK(st == CI_OK || st == CI_ERR_MISSING);
                if (st == CI_OK) {
                    FZ_CHECK(!isnan(c.p_value) && c.p_value >= 0 && c.p_value <= 1);
                    if (strict)
                        FZ_CHECK(isfinite(c.value) && isfinite(c.rest) && isfinite(c.effect));
                }
            }
            for (int b = 0; b < 3; b++) {
                ci_trend tr;
                ci_trend_init(&tr);
                ci_status st = ci_analyzer_trend(an, i, metric, 0, fz_bucket_kinds[b], 1, &tr);
                FZ_OOM(st);
                if (st == CI_OK)
                    FZ_CHECK(!isnan(tr.p_value) && tr.p_value >= 0 && tr.p_value <= 1);
                if (i) {
                    ci_trend_init(&tr);
                    st = ci_analyzer_gap_trend(an, i, 0, metric, 0, fz_bucket_kinds[b], 1, &tr);
                    FZ_OOM(st);
                    if (st == CI_OK)
                        FZ_CHECK(!isnan(tr.p_value) && tr.p_value >= 0 && tr.p_value <= 1);
                }
            }
        }
    }
    ci_segment_stats s;
    ci_segment_stats_init(&s);
    FZ_CHECK(ci_analyzer_segment(an, nseg, NULL, &s) == CI_ERR_NOT_FOUND);
}

static void fz_read_accounts(ci_analyzer *an, int strict)
{
    size_t n = ci_analyzer_account_count(an);
    for (size_t i = 0; i < n && i < FZ_MAX_ACCOUNTS; i++) {
        ci_account_health h;
        ci_account_health_init(&h);
        FZ_CHECK(ci_analyzer_account(an, i, &h) == CI_OK);
        FZ_CHECK(h.account_id.data && h.account_id.len);
        size_t found = (size_t)-1;
        FZ_CHECK(ci_analyzer_find_account(an, h.account_id.data, h.account_id.len, &found) == CI_OK);
        FZ_CHECK(found == i);
        FZ_CHECK(h.churn_risk >= 0 && h.churn_risk <= 1);
        for (int r = 0; r < CI_RISK_COUNT; r++)
            FZ_CHECK(h.reason_weight[r] >= 0 && h.reason_weight[r] <= 1);
        FZ_CHECK(h.contacts_recent <= h.contacts);
        if (strict) {
            FZ_CHECK(h.contacts >= 1);
            FZ_CHECK(isfinite(h.frequency_change) && h.frequency_change > 0);
            FZ_CHECK(isfinite(h.sentiment_slope) && isfinite(h.contacts_baseline));
            FZ_CHECK(h.churn_mentions <= h.sentiment_n && h.sentiment_n <= h.contacts);
            FZ_CHECK(h.repeat_contacts <= h.contacts);
        }
    }
    ci_account_health h;
    ci_account_health_init(&h);
    FZ_CHECK(ci_analyzer_account(an, n, &h) == CI_ERR_NOT_FOUND);
    size_t idx[16], got = 99;
    ci_status st = ci_analyzer_riskiest(an, 16, idx, &got);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK && got <= 16 && got <= n);
    double prev = 2;
    for (size_t k = 0; k < got; k++) {
        FZ_CHECK(idx[k] < n);
        ci_account_health_init(&h);
        FZ_CHECK(ci_analyzer_account(an, idx[k], &h) == CI_OK);
        FZ_CHECK(h.churn_risk <= prev);
        prev = h.churn_risk;
    }
}

static void fz_insights(const ci_analyzer *an, uint64_t min_n, double alpha, double min_effect)
{
    ci_insight_options o;
    ci_insight_options_init(&o);
    o.min_n = min_n;
    o.alpha = alpha;
    o.min_effect = min_effect;
    ci_insights *ins = NULL;
    ci_status st = ci_insights_build(an, &o, NULL, &ins);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK && ins);
    size_t n = ci_insights_count(ins);
    FZ_CHECK(n <= o.max_insights);
    for (size_t i = 0; i < n; i++) {
        ci_insight in;
        ci_insight_init(&in);
        FZ_CHECK(ci_insights_get(ins, i, &in) == CI_OK);
        FZ_CHECK(in.segment < ci_analyzer_segment_count(an));
        FZ_CHECK(in.n_drivers <= CI_INSIGHT_MAX_DRIVERS && in.n_examples <= CI_INSIGHT_MAX_EXAMPLES);
        FZ_CHECK(!isnan(in.p_value) && !isnan(in.q_value) && !isnan(in.score));
        for (size_t e = 0; e < in.n_examples; e++) {
            volatile char sink = 0;
            for (size_t b = 0; b < in.examples[e].len; b++)
                sink ^= in.examples[e].data[b];
            (void)sink;
        }
        char small[8], big[2048];
        size_t len = 0, len2 = 0;
        FZ_CHECK(ci_insights_sentence(ins, i, small, sizeof small, &len) == CI_OK);
        FZ_CHECK(strlen(small) == (len < sizeof small ? len : sizeof small - 1));
        FZ_CHECK(ci_insights_sentence(ins, i, big, sizeof big, &len2) == CI_OK && len2 == len);
    }
    ci_insight in;
    ci_insight_init(&in);
    FZ_CHECK(ci_insights_get(ins, n, &in) == CI_ERR_NOT_FOUND);
    char *json = NULL;
    size_t jlen = 0;
    st = ci_insights_json(ins, &json, &jlen);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK && json && strlen(json) == jlen);
    FZ_CHECK(jlen >= 2 && json[0] == '[' && json[jlen - 1] == ']');
    ci_free(json);
    ci_insights_free(ins);
}

/* A new, empty analyzer with an's configuration. */
static ci_analyzer *fz_fresh_like(const ci_analyzer *an, const ci_lexicon *lex,
                                  const ci_theme_model *model)
{
    ci_str dims[CI_ANALYZER_MAX_DIMENSIONS];
    size_t nd = ci_analyzer_dimension_count(an);
    for (size_t d = 0; d < nd; d++)
        dims[d] = ci_analyzer_dimension(an, d);
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = nd;
    o.max_depth = an->max_depth;
    o.buckets = an->buckets;
    o.lexicon = lex;
    o.themes = model;
    o.n_themes = an->ntheme;
    ci_analyzer *f = NULL;
    ci_status st = ci_analyzer_new(&o, fz_poison_alloc(), &f);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    return f;
}

static uint64_t fz_population(ci_analyzer *an)
{
    ci_segment_stats s;
    ci_segment_stats_init(&s);
    FZ_CHECK(ci_analyzer_segment(an, 0, NULL, &s) == CI_OK);
    return s.count;
}

/* save -> load: same segments and accounts.  Returns the loaded copy. */
static ci_analyzer *fz_save_load(ci_analyzer *an, const ci_analyzer_options *load_opts)
{
    char *data = NULL;
    size_t len = 0;
    ci_status st = ci_analyzer_save(an, &data, &len);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    ci_analyzer *back = NULL;
    ci_diag diag;
    ci_diag_init(&diag);
    st = ci_analyzer_load(data, len, load_opts, fz_poison_alloc(), &back, &diag);
    FZ_OOM(st);
    if (st != CI_OK)
        fprintf(stderr, "reload failed: %s: %s\n", ci_status_string(st), diag.message);
    FZ_CHECK(st == CI_OK);
    ci_free(data);
    FZ_CHECK(ci_analyzer_segment_count(back) == ci_analyzer_segment_count(an));
    FZ_CHECK(ci_analyzer_account_count(back) == ci_analyzer_account_count(an));
    FZ_CHECK(fz_population(back) == fz_population(an));
    return back;
}

#endif
