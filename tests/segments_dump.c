/* SPDX-License-Identifier: MIT */
/* Writes a generated data set (TSV) and the analyzer's segments (JSON lines)
 * so that test_groupby.py can recompute every segment with pandas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libci.h"

static ci_str S(const char *s) { ci_str r = {s, strlen(s)}; return r; }

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: segments_dump N DATA.tsv SEGMENTS.jsonl\n");
        return 2;
    }
    long n = atol(argv[1]);
    FILE *data = fopen(argv[2], "w"), *segs = fopen(argv[3], "w");
    if (!data || !segs)
        return 2;
    static const char *const tiers[] = {"free", "pro", "enterprise"};
    static const char *const regions[] = {"EMEA", "NA", "APAC"};
    static const char *const plans[] = {"monthly", "annual"};
    ci_str dims[] = {S("tier"), S("region"), S("plan")};
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 3;
    ci_analyzer *an;
    if (ci_analyzer_new(&o, NULL, &an) != CI_OK)
        return 2;
    fprintf(data, "tier\tregion\tplan\tday\tnps\tcsat\tces\tvalue\tcompound\tflags\n");
    uint64_t g = 12345;
    for (long i = 0; i < n; i++) {
        ci_signal s;
        ci_signal_init(&s);
        s.kind = CI_SIGNAL_SURVEY;
        ci_attr a[3] = {{S("tier"), S(tiers[next(&g) % 3])}, {S("region"), S(regions[next(&g) % 3])},
                        {S("plan"), S(plans[next(&g) % 2])}};
        s.attrs = a;
        s.n_attrs = 3;
        s.timestamp = 1704067200 + (int64_t)(next(&g) % (86400 * 30));
        s.has = CI_HAS_NPS | CI_HAS_VALUE;
        s.nps = (double)(next(&g) % 11);
        s.value = (double)(next(&g) % 1000000) / 100.0 * ((next(&g) % 11 == 0) ? 1e7 : 1);
        if (next(&g) % 2) {
            s.has |= CI_HAS_CSAT;
            s.csat = (double)(1 + next(&g) % 5);
        }
        if (next(&g) % 2) {
            s.has |= CI_HAS_CES;
            s.ces = (double)(1 + next(&g) % 7);
        }
        /* a result scored elsewhere on most rows: sentiment, and intents
         * (counted only with a compound) */
        ci_signal_result r;
        ci_signal_result_init(&r);
        if (next(&g) % 10 < 7) {
            r.has_sentiment = 1;
            r.compound = (double)((int)(next(&g) % 20001) - 10000) / 10000.0;
        }
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            if (next(&g) % 100 < 5 + 5 * (unsigned)k)
                r.intent_flags |= 1u << k;
        if (ci_analyzer_add_result(an, &s, &r, NULL) != CI_OK)
            return 2;
        fprintf(data, "%s\t%s\t%s\t%lld\t%.0f\t", a[0].value.data, a[1].value.data, a[2].value.data,
                (long long)(s.timestamp / 86400 * 86400), s.nps);
        if (s.has & CI_HAS_CSAT)
            fprintf(data, "%.0f", s.csat);
        fputc('\t', data);
        if (s.has & CI_HAS_CES)
            fprintf(data, "%.0f", s.ces);
        fprintf(data, "\t%.17g\t", s.value);
        if (r.has_sentiment)
            fprintf(data, "%.17g", r.compound);
        fprintf(data, "\t%u\n", r.intent_flags);
    }
    for (size_t i = 0; i < ci_analyzer_segment_count(an); i++) {
        ci_str v[3];
        ci_segment_stats st;
        ci_segment_stats_init(&st);
        ci_analyzer_segment(an, i, v, &st);
        fputc('{', segs);
        for (int d = 0; d < 3; d++)
            fprintf(segs, "\"%s\":%s%.*s%s,", d == 0 ? "tier" : d == 1 ? "region" : "plan",
                    v[d].data ? "\"" : "", (int)(v[d].data ? v[d].len : 4), v[d].data ? v[d].data : "null",
                    v[d].data ? "\"" : "");
        fprintf(segs, "\"count\":%llu,\"promoters\":%llu,\"passives\":%llu,\"detractors\":%llu,"
                      "\"csat_n\":%llu,\"csat_sat\":%llu,\"ces_n\":%llu,\"ces_mean\":%.17g,"
                      "\"ces_var\":%.17g,\"value_sum\":%.17g,\"nps\":%.17g,",
                (unsigned long long)st.count, (unsigned long long)st.nps_promoters,
                (unsigned long long)st.nps_passives, (unsigned long long)st.nps_detractors,
                (unsigned long long)st.csat_responses, (unsigned long long)st.csat_satisfied,
                (unsigned long long)st.ces_responses, st.ces_mean, st.ces_variance, st.value_sum, st.nps);
        fprintf(segs, "\"sent_n\":%llu,\"sent_mean\":%.17g,\"sent_var\":%.17g,\"intents\":[",
                (unsigned long long)st.sentiment_n, st.sentiment_mean, st.sentiment_variance);
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            fprintf(segs, "%s%llu", k ? "," : "", (unsigned long long)st.intent_count[k]);
        fprintf(segs, "],");
        /* daily counts */
        fprintf(segs, "\"days\":{");
        int first = 1;
        for (size_t j = 0;; j++) {
            int64_t start;
            if (ci_analyzer_bucket(an, CI_BUCKET_DAY, j, &start) != CI_OK)
                break;
            ci_segment_stats b;
            ci_segment_stats_init(&b);
            if (ci_analyzer_segment_bucket(an, i, CI_BUCKET_DAY, start, &b) != CI_OK)
                continue;
            fprintf(segs, "%s\"%lld\":[%llu,%.17g]", first ? "" : ",", (long long)start,
                    (unsigned long long)b.count, b.value_sum);
            first = 0;
        }
        fprintf(segs, "}}\n");
    }
    ci_analyzer_free(an);
    fclose(data);
    fclose(segs);
    return 0;
}
