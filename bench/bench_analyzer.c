/* SPDX-License-Identifier: MIT */
/*
 * Segment aggregation throughput on one thread: N already-analyzed signals
 * (default 10,000,000) fed to ci_analyzer_add_result() with 3 dimensions and
 * every pair of them (max_depth 2), reporting signals/s of the add loop alone,
 * the time of ci_analyzer_summarize(), and memory.
 *
 *   bench_analyzer [--n N] [--reps R] [--seed S] [--dump FILE] [--no-growth]
 *                  [--only CONFIG]
 *
 * --only day|none|themes|ordered|columns|columns-themes runs that
 * configuration alone (for perf).
 *
 * The signals are generated up front by a counter-based generator (signal i
 * depends only on the seed and i), so every configuration sees the same data:
 * tier (3 values), region (5), product (8); timestamps uniform over 180 days
 * from 2026-05-04 UTC, in random order; NPS on ~30 %, CSAT ~30 %, CES ~20 %,
 * a value (money with cents) on all; a result with has_sentiment = 1, a
 * compound in [-1, 1] and intent flags (~8 % each); no text, no account.
 * Every ci_signal, its 3 ci_attr and its ci_signal_result are built before
 * timing (the attribute strings are shared); only the add loop is timed.
 *
 * Configurations: day/week/month buckets (the default); no buckets; 20 themes
 * with a random theme per signal; the same data in time order; and the
 * default and themes configurations again through ci_analyzer_add_columns(),
 * in batches of 65,536 rows of column arrays built before timing (dimension
 * codes, NaN for absent scores), checked to give the very same snapshot as
 * one call per signal.  The baseline
 * in the same run is a bare pass over the same inputs that reads every field
 * the analyzer reads (the memory-bandwidth floor of any aggregator fed these
 * structs); ci_signal_validate() on the same signals is timed alone too, as
 * it is the first phase of every add.  Each configuration runs --reps times
 * (default 3); the median is printed with the range.
 *
 * Memory: the analyzer's own heap (live bytes through a counting allocator)
 * and the growth of the process's RSS while it ingests, for 1M, 2M, 4M and 8M
 * signals (prefixes of the same data, scaled down when N < 8M), with the
 * default cardinalities and with 10x more distinct values (product x10, and
 * every dimension x10).
 *
 * --dump FILE writes the same signals (default cardinalities, random order,
 * the themes of the themes run) for bench/bench_groupby.py, the pandas
 * baseline: a 128-byte header ("CIANBEN2", uint64 N, uint32 cardinalities of
 * tier, region, product, uint32 themes, uint32 record size, int64 first day,
 * then at offset 48 four float64: this run's median add + summarize seconds
 * for the default and the themes configurations, one call per signal, then
 * the same in column batches, 0 until measured), then one
 * 64-byte little-endian record per signal:
 *   int64 timestamp; float64 value, nps, csat, ces (NaN when absent), compound;
 *   int32 theme; uint16 tier, region, product, intent_flags; 4 bytes padding.
 */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "libci.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- memory ------------------------------------------------------------- */

/* Live heap bytes of everything allocated through this allocator. */
typedef struct counting {
    long long live, peak;
    long allocs;
} counting;

static void count_add(counting *c, long long d)
{
    c->live += d;
    if (c->live > c->peak)
        c->peak = c->live;
}

static void *c_malloc(void *ud, size_t n)
{
    void *p = malloc(n);
    if (p) {
        ((counting *)ud)->allocs++;
        count_add(ud, (long long)malloc_usable_size(p));
    }
    return p;
}

static void *c_realloc(void *ud, void *p, size_t n)
{
    long long old = p ? (long long)malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q) {
        ((counting *)ud)->allocs++;
        count_add(ud, (long long)malloc_usable_size(q) - old);
    }
    return q;
}

static void c_free(void *ud, void *p)
{
    if (p)
        count_add(ud, -(long long)malloc_usable_size(p));
    free(p);
}

/* Resident set size in bytes (VmRSS), after giving freed memory back. */
static long long rss_now(void)
{
    malloc_trim(0);
    FILE *f = fopen("/proc/self/status", "r");
    long long kb = -1;
    char line[256];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = atoll(line + 6);
            break;
        }
    fclose(f);
    return kb * 1024;
}

static long long rss_peak(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (long long)ru.ru_maxrss * 1024;
}

static double mib(long long b) { return (double)b / 1048576.0; }

/* ---- the data ------------------------------------------------------------ */

#define T0 1777852800LL /* 2026-05-04T00:00:00Z, a Monday */
#define DAYS 180
#define NDIMS 3
#define NTHEMES 20

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Random stream s of signal i. */
static uint64_t rnd(uint64_t seed, size_t i, unsigned s)
{
    return mix(seed ^ mix((uint64_t)i * 16 + s));
}

enum { R_TIER, R_REGION, R_PRODUCT, R_TIME, R_NPS, R_CSAT, R_CES, R_VALUE, R_SENT, R_INTENT, R_THEME };

static double u01(uint64_t r) { return (double)(r >> 11) * 0x1.0p-53; }

/* Draw from a small discrete distribution: weights in percent, sum 100. */
static int draw(uint64_t r, const int *w, int n, int first)
{
    int x = (int)((r >> 20) % 100), acc = 0;
    for (int k = 0; k < n; k++) {
        acc += w[k];
        if (x < acc)
            return first + k;
    }
    return first + n - 1;
}

static const int nps_w[11] = {3, 2, 2, 3, 3, 6, 8, 12, 18, 21, 22};
static const int csat_w[5] = {6, 8, 16, 35, 35};
static const int ces_w[7] = {4, 6, 10, 15, 25, 25, 15};

static const char *const dim_names[NDIMS] = {"tier", "region", "product"};

/* Value names of one cardinality setting: "tier_00", "region_03" ... */
typedef struct names {
    unsigned card[NDIMS];
    ci_str *v[NDIMS];
    char *buf;
} names;

static void names_make(names *nm, const unsigned card[NDIMS])
{
    size_t total = 0;
    for (int d = 0; d < NDIMS; d++)
        total += card[d];
    nm->buf = malloc(total * 24);
    char *p = nm->buf;
    for (int d = 0; d < NDIMS; d++) {
        nm->card[d] = card[d];
        nm->v[d] = malloc(card[d] * sizeof(ci_str));
        for (unsigned k = 0; k < card[d]; k++) {
            int len = snprintf(p, 24, "%s_%02u", dim_names[d], k);
            nm->v[d][k].data = p;
            nm->v[d][k].len = (size_t)len;
            p += len + 1;
        }
    }
}

static void names_free(names *nm)
{
    for (int d = 0; d < NDIMS; d++)
        free(nm->v[d]);
    free(nm->buf);
}

typedef struct data {
    size_t n;
    uint64_t seed;
    ci_signal *sig;
    ci_attr *attrs; /* NDIMS per signal */
    ci_signal_result *res;
} data;

static unsigned dim_value(const data *D, size_t i, int d, unsigned card)
{
    return (unsigned)(rnd(D->seed, i, R_TIER + (unsigned)d) % card);
}

/* Point every signal's attributes at the names of a cardinality setting. */
static void set_attrs(data *D, const names *nm)
{
    for (size_t i = 0; i < D->n; i++)
        for (int d = 0; d < NDIMS; d++)
            D->attrs[i * NDIMS + d].value = nm->v[d][dim_value(D, i, d, nm->card[d])];
}

static int64_t ts_random(const data *D, size_t i)
{
    return T0 + (int64_t)(rnd(D->seed, i, R_TIME) % (DAYS * 86400ull));
}

static void set_times(data *D, int ordered)
{
    for (size_t i = 0; i < D->n; i++)
        D->sig[i].timestamp = ordered ? T0 + (int64_t)((double)i * (DAYS * 86400.0) / (double)D->n)
                                      : ts_random(D, i);
}

static void set_themes(data *D, int on)
{
    for (size_t i = 0; i < D->n; i++)
        D->res[i].theme = on ? (int)(rnd(D->seed, i, R_THEME) % NTHEMES) : -1;
}

static int generate(data *D, size_t n, uint64_t seed, const names *nm)
{
    D->n = n;
    D->seed = seed;
    D->sig = malloc(n * sizeof *D->sig);
    D->attrs = malloc(n * NDIMS * sizeof *D->attrs);
    D->res = malloc(n * sizeof *D->res);
    if (!D->sig || !D->attrs || !D->res)
        return 0;
    for (size_t i = 0; i < n; i++) {
        ci_signal *s = &D->sig[i];
        ci_signal_init(s);
        s->kind = CI_SIGNAL_SURVEY;
        uint64_t r;
        if (((r = rnd(seed, i, R_NPS)) & 0xFFFF) < 19661) { /* 30 % */
            s->has |= CI_HAS_NPS;
            s->nps = draw(r, nps_w, 11, 0);
        }
        if (((r = rnd(seed, i, R_CSAT)) & 0xFFFF) < 19661) {
            s->has |= CI_HAS_CSAT;
            s->csat = draw(r, csat_w, 5, 1);
        }
        if (((r = rnd(seed, i, R_CES)) & 0xFFFF) < 13107) { /* 20 % */
            s->has |= CI_HAS_CES;
            s->ces = draw(r, ces_w, 7, 1);
            s->ces_direction = CI_CES_HIGHER_IS_EASIER;
        }
        s->has |= CI_HAS_VALUE;
        s->value = (double)(rnd(seed, i, R_VALUE) % 10000000) / 100.0; /* 0.00 - 99,999.99 */
        ci_attr *a = &D->attrs[i * NDIMS];
        for (int d = 0; d < NDIMS; d++) {
            a[d].key.data = dim_names[d];
            a[d].key.len = strlen(dim_names[d]);
        }
        s->attrs = a;
        s->n_attrs = NDIMS;

        ci_signal_result *res = &D->res[i];
        ci_signal_result_init(res);
        res->has_sentiment = 1;
        double c = 2.0 * u01(rnd(seed, i, R_SENT)) - 1.0;
        res->compound = c;
        res->pos = c > 0 ? c / 2 : 0;
        res->neg = c < 0 ? -c / 2 : 0;
        res->neu = 1 - res->pos - res->neg;
        r = rnd(seed, i, R_INTENT);
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            if (((r >> (8 * k)) & 0xFF) < 20) { /* ~7.8 % each */
                res->intent_flags |= 1u << k;
                res->intent[k] = 0.75;
            }
    }
    set_attrs(D, nm);
    set_times(D, 0);
    set_themes(D, 0);
    return 1;
}

static void data_free(data *D)
{
    free(D->sig);
    free(D->attrs);
    free(D->res);
}

/* The same signals as columns for ci_analyzer_add_columns(): dimension
 * codes into the names, NaN where a score is absent. */
typedef struct columns {
    uint32_t *codes[NDIMS];
    int64_t *ts;
    double *nps, *csat, *ces, *value, *compound;
    uint32_t *flags;
    int32_t *theme;
    ci_signal_columns c;
    const uint32_t *code_ptrs[NDIMS];
    const ci_str *value_ptrs[NDIMS];
    size_t n_values[NDIMS];
} columns;

#define COLUMN_BATCH 65536 /* rows per ci_analyzer_add_columns() call */

static int columns_make(columns *C, const data *D, const names *nm)
{
    size_t n = D->n;
    memset(C, 0, sizeof *C);
    C->ts = malloc(n * sizeof *C->ts);
    C->nps = malloc(n * sizeof(double));
    C->csat = malloc(n * sizeof(double));
    C->ces = malloc(n * sizeof(double));
    C->value = malloc(n * sizeof(double));
    C->compound = malloc(n * sizeof(double));
    C->flags = malloc(n * sizeof(uint32_t));
    C->theme = malloc(n * sizeof(int32_t));
    int ok = C->ts && C->nps && C->csat && C->ces && C->value && C->compound && C->flags && C->theme;
    for (int d = 0; d < NDIMS; d++)
        ok = ok && (C->codes[d] = malloc(n * sizeof(uint32_t)));
    if (!ok)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const ci_signal *s = &D->sig[i];
        const ci_signal_result *r = &D->res[i];
        for (int d = 0; d < NDIMS; d++)
            C->codes[d][i] = dim_value(D, i, d, nm->card[d]);
        C->ts[i] = s->timestamp;
        C->nps[i] = (s->has & CI_HAS_NPS) ? s->nps : NAN;
        C->csat[i] = (s->has & CI_HAS_CSAT) ? s->csat : NAN;
        C->ces[i] = (s->has & CI_HAS_CES) ? s->ces : NAN;
        C->value[i] = (s->has & CI_HAS_VALUE) ? s->value : NAN;
        C->compound[i] = r->has_sentiment ? r->compound : NAN;
        C->flags[i] = r->intent_flags;
        C->theme[i] = r->theme;
    }
    ci_signal_columns_init(&C->c);
    for (int d = 0; d < NDIMS; d++) {
        C->code_ptrs[d] = C->codes[d];
        C->value_ptrs[d] = nm->v[d];
        C->n_values[d] = nm->card[d];
    }
    C->c.dim_codes = C->code_ptrs;
    C->c.dim_values = C->value_ptrs;
    C->c.n_dim_values = C->n_values;
    C->c.ces_direction = CI_CES_HIGHER_IS_EASIER;
    return 1;
}

static void columns_free(columns *C)
{
    for (int d = 0; d < NDIMS; d++)
        free(C->codes[d]);
    free(C->ts);
    free(C->nps);
    free(C->csat);
    free(C->ces);
    free(C->value);
    free(C->compound);
    free(C->flags);
    free(C->theme);
}

/* Add rows [from, from + n) of the columns in one call. */
static ci_status columns_add(ci_analyzer *an, const columns *C, size_t from, size_t n)
{
    ci_signal_columns c = C->c;
    const uint32_t *codes[NDIMS];
    for (int d = 0; d < NDIMS; d++)
        codes[d] = C->codes[d] + from;
    c.n_rows = n;
    c.dim_codes = codes;
    c.timestamp = C->ts + from;
    c.nps = C->nps + from;
    c.csat = C->csat + from;
    c.ces = C->ces + from;
    c.value = C->value + from;
    c.compound = C->compound + from;
    c.intent_flags = C->flags + from;
    c.theme = C->theme + from;
    return ci_analyzer_add_columns(an, &c, NULL, NULL);
}

#define HEADER_BYTES 128

static int dump(const data *D, const names *nm, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    unsigned char hdr[HEADER_BYTES] = "CIANBEN2";
    uint64_t n = D->n;
    uint32_t meta[5] = {nm->card[0], nm->card[1], nm->card[2], NTHEMES, 64};
    int64_t t0 = T0;
    memcpy(hdr + 8, &n, 8);
    memcpy(hdr + 16, meta, sizeof meta);
    memcpy(hdr + 36, &t0, 8);
    fwrite(hdr, 1, sizeof hdr, f);
    for (size_t i = 0; i < D->n; i++) {
        const ci_signal *s = &D->sig[i];
        unsigned char rec[64] = {0};
        int64_t ts = ts_random(D, i);
        double v[6] = {s->value, (s->has & CI_HAS_NPS) ? s->nps : NAN,
                       (s->has & CI_HAS_CSAT) ? s->csat : NAN, (s->has & CI_HAS_CES) ? s->ces : NAN,
                       D->res[i].compound, 0};
        int32_t theme = (int32_t)(rnd(D->seed, i, R_THEME) % NTHEMES);
        uint16_t u[4];
        for (int d = 0; d < NDIMS; d++)
            u[d] = (uint16_t)dim_value(D, i, d, nm->card[d]);
        u[3] = (uint16_t)D->res[i].intent_flags;
        memcpy(rec, &ts, 8);
        memcpy(rec + 8, v, 5 * sizeof(double));
        memcpy(rec + 48, &theme, 4);
        memcpy(rec + 52, u, sizeof u);
        if (fwrite(rec, 1, sizeof rec, f) != sizeof rec) {
            fclose(f);
            return 0;
        }
    }
    return fclose(f) == 0;
}

/* The analyzer's median add + summarize seconds (default and themes
 * configurations, one call per signal and in column batches) into the dump's
 * header, so that bench_groupby.py can quote the ratios on the same data. */
static int dump_times(const char *path, const double t[4])
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return 0;
    int ok = fseek(f, 48, SEEK_SET) == 0 && fwrite(t, sizeof(double), 4, f) == 4;
    return (fclose(f) == 0) && ok;
}

/* ---- runs ---------------------------------------------------------------- */

typedef struct run_result {
    double add_s, sum_s;
    size_t segments;
    long long heap_ingest, heap_summary, heap_peak; /* analyzer bytes: live, peak */
    long long rss_before, rss_ingest, rss_summary;
    long allocs_add;
    ci_status sum_status; /* of ci_analyzer_summarize() */
} run_result;

static ci_analyzer *make(unsigned buckets, size_t n_themes, counting *cnt)
{
    static const ci_str dims[NDIMS] = {{"tier", 4}, {"region", 6}, {"product", 7}};
    ci_allocator alloc;
    ci_allocator_init(&alloc);
    alloc.malloc_fn = c_malloc;
    alloc.realloc_fn = c_realloc;
    alloc.free_fn = c_free;
    alloc.user_data = cnt;
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = NDIMS;
    o.max_depth = 2;
    o.buckets = buckets;
    o.n_themes = n_themes;
    ci_analyzer *an;
    if (ci_analyzer_new(&o, &alloc, &an) != CI_OK) {
        fprintf(stderr, "ci_analyzer_new failed\n");
        exit(2);
    }
    return an;
}

/* Ingest the first n signals into a fresh analyzer, one call per signal,
 * or, with C, as columns in batches; *keep receives it when non-NULL (else
 * it is freed), and then its allocator's counts live in *kept_cnt, which
 * must outlive it. */
static run_result run_once(const data *D, const columns *C, size_t n, unsigned buckets,
                           size_t n_themes, ci_analyzer **keep, counting *kept_cnt)
{
    run_result R;
    memset(&R, 0, sizeof R);
    counting local, *cnt = keep ? kept_cnt : &local;
    memset(cnt, 0, sizeof *cnt);
    R.rss_before = rss_now();
    ci_analyzer *an = make(buckets, n_themes, cnt);
    long a0 = cnt->allocs;
    double t0 = now();
    for (size_t i = 0; i < n && !C; i++)
        if (ci_analyzer_add_result(an, &D->sig[i], &D->res[i], NULL) != CI_OK) {
            fprintf(stderr, "ci_analyzer_add_result failed at signal %zu\n", i);
            exit(2);
        }
    for (size_t i = 0; i < n && C; i += COLUMN_BATCH)
        if (columns_add(an, C, i, n - i < COLUMN_BATCH ? n - i : COLUMN_BATCH) != CI_OK) {
            fprintf(stderr, "ci_analyzer_add_columns failed in rows %zu...\n", i);
            exit(2);
        }
    R.add_s = now() - t0;
    R.allocs_add = cnt->allocs - a0;
    R.heap_ingest = cnt->live;
    R.rss_ingest = rss_now();
    t0 = now();
    R.sum_status = ci_analyzer_summarize(an);
    R.sum_s = now() - t0;
    R.segments = R.sum_status == CI_OK ? ci_analyzer_segment_count(an) : 0;
    R.heap_summary = cnt->live;
    R.heap_peak = cnt->peak;
    R.rss_summary = rss_now();
    if (keep)
        *keep = an;
    else
        ci_analyzer_free(an);
    return R;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAXREPS 15

/* The baseline: read every field the analyzer reads, aggregate nothing. */
static double scan_once(const data *D, double *sink)
{
    double acc = 0;
    uint64_t bits = 0;
    double t0 = now();
    for (size_t i = 0; i < D->n; i++) {
        const ci_signal *s = &D->sig[i];
        const ci_signal_result *r = &D->res[i];
        bits += (uint64_t)s->timestamp + s->has + (unsigned)r->theme + r->intent_flags;
        for (size_t k = 0; k < s->n_attrs; k++)
            bits += s->attrs[k].value.len + (unsigned char)s->attrs[k].value.data[0];
        acc += s->value + r->compound;
        if (s->has & CI_HAS_NPS)
            acc += s->nps;
        if (s->has & CI_HAS_CSAT)
            acc += s->csat;
        if (s->has & CI_HAS_CES)
            acc += s->ces;
    }
    double dt = now() - t0;
    *sink += acc + (double)bits;
    return dt;
}

/* One phase of every add on its own: the validation ci_analyzer_add_result()
 * starts with (public, so it can be timed apart). */
static double validate_once(const data *D)
{
    double t0 = now();
    for (size_t i = 0; i < D->n; i++)
        if (ci_signal_validate(&D->sig[i], NULL) != CI_OK) {
            fprintf(stderr, "signal %zu is invalid\n", i);
            exit(2);
        }
    return now() - t0;
}

/* Run a configuration reps times; returns the median seconds of add + summarize. */
static double config(const char *name, const data *D, const columns *C, int reps, unsigned buckets,
                     size_t n_themes, double scan_s)
{
    double add[MAXREPS] = {0}, sum[MAXREPS] = {0};
    run_result R;
    memset(&R, 0, sizeof R);
    for (int k = 0; k < reps; k++) {
        R = run_once(D, C, D->n, buckets, n_themes, NULL, NULL);
        if (R.sum_status != CI_OK) {
            fprintf(stderr, "ci_analyzer_summarize: %s\n", ci_status_string(R.sum_status));
            exit(2);
        }
        add[k] = R.add_s;
        sum[k] = R.sum_s;
    }
    double a = median(add, reps), s = median(sum, reps), n = (double)D->n;
    double amin = add[0], amax = add[reps - 1]; /* sorted by median() */
    printf("%-34s %6.2f M signals/s  %6.1f ns/signal  (range %.2f-%.2f M/s)", name, n / a / 1e6,
           a / n * 1e9, n / amax / 1e6, n / amin / 1e6);
    if (scan_s > 0)
        printf("  %5.2fx the scan", a / scan_s);
    printf("\n");
    printf("%-34s summarize %8.1f ms   segments %zu   allocations while adding %ld\n", "", s * 1e3,
           R.segments, R.allocs_add);
    printf("%-34s analyzer heap %.2f MiB after ingest, %.2f MiB after summarize;"
           " RSS %.0f -> %.0f -> %.0f MiB\n",
           "", mib(R.heap_ingest), mib(R.heap_summary), mib(R.rss_before), mib(R.rss_ingest),
           mib(R.rss_summary));
    return a + s;
}

/* Do both ways of adding give the same snapshot? */
static int same_snapshot(const data *D, const columns *C, unsigned buckets, size_t n_themes)
{
    ci_analyzer *a, *b;
    counting ca, cb;
    run_once(D, NULL, D->n, buckets, n_themes, &a, &ca);
    run_once(D, C, D->n, buckets, n_themes, &b, &cb);
    char *sa = NULL, *sb = NULL;
    size_t la = 0, lb = 0;
    int same = ci_analyzer_save(a, &sa, &la) == CI_OK && ci_analyzer_save(b, &sb, &lb) == CI_OK &&
               la == lb && memcmp(sa, sb, la) == 0;
    ci_free(sa);
    ci_free(sb);
    ci_analyzer_free(a);
    ci_analyzer_free(b);
    return same;
}

static void print_check(ci_analyzer *an)
{
    ci_segment_stats st;
    ci_segment_stats_init(&st);
    ci_analyzer_segment(an, 0, NULL, &st);
    printf("check (population): count %llu  nps %llu/%llu/%llu (resp/pro/det)  csat %llu/%llu"
           "  ces %llu mean %.6f var %.6f  sentiment mean %.6f var %.6f  intents",
           (unsigned long long)st.count, (unsigned long long)st.nps_responses,
           (unsigned long long)st.nps_promoters, (unsigned long long)st.nps_detractors,
           (unsigned long long)st.csat_responses, (unsigned long long)st.csat_satisfied,
           (unsigned long long)st.ces_responses, st.ces_mean, st.ces_variance, st.sentiment_mean,
           st.sentiment_variance);
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        printf(" %llu", (unsigned long long)st.intent_count[k]);
    printf("  value %.2f\n", st.value_sum);
    int64_t start;
    size_t nb[3] = {0, 0, 0};
    unsigned kinds[3] = {CI_BUCKET_DAY, CI_BUCKET_WEEK, CI_BUCKET_MONTH};
    for (int k = 0; k < 3; k++)
        while (ci_analyzer_bucket(an, kinds[k], nb[k], &start) == CI_OK)
            nb[k]++;
    printf("check (buckets): %zu days, %zu weeks, %zu months\n", nb[0], nb[1], nb[2]);
}

static void growth(data *D, const names *nm, const char *label)
{
    size_t sizes[4] = {1000000, 2000000, 4000000, 8000000};
    if (D->n < 8000000)
        for (int k = 0; k < 4; k++)
            sizes[k] = D->n >> (3 - k);
    set_attrs(D, nm);
    for (int k = 0; k < 4; k++) {
        run_result R = run_once(D, NULL, sizes[k], CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH, 0,
                                NULL, NULL);
        printf("%-26s %9zu %10.2f %11.0f %9.2f", label, sizes[k], mib(R.heap_ingest),
               mib(R.rss_ingest - R.rss_before), (double)sizes[k] / R.add_s / 1e6);
        if (R.sum_status == CI_OK)
            printf(" %9zu %10.2f %11.0f %9.2f\n", R.segments, mib(R.heap_summary),
                   mib(R.rss_summary - R.rss_before), R.sum_s);
        else
            printf("  summarize failed after %.2f s: %s (analyzer heap peak %.0f MiB)\n", R.sum_s,
                   ci_status_string(R.sum_status), mib(R.heap_peak));
    }
}

int main(int argc, char **argv)
{
    size_t n = 10000000;
    int reps = 3, do_growth = 1;
    uint64_t seed = 20260504;
    const char *dump_path = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dump_path = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--no-growth"))
            do_growth = 0;
        else {
            fprintf(stderr, "usage: bench_analyzer [--n N] [--reps R] [--seed S] [--dump FILE] [--no-growth]\n"
                            "                      [--only day|none|themes|ordered|columns|columns-themes]\n");
            return 2;
        }
    }
    if (n < 8 || reps < 1 || reps > MAXREPS) {
        fprintf(stderr, "bench_analyzer: need --n >= 8 and 1 <= --reps <= %d\n", MAXREPS);
        return 2;
    }
    /* a fixed mmap threshold, so that large freed blocks go back to the
     * system and RSS differences belong to the analyzer being measured */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);

    static const unsigned base[NDIMS] = {3, 5, 8}, x10p[NDIMS] = {3, 5, 80},
                          x10all[NDIMS] = {30, 50, 80};
    names nm, nm_p, nm_all;
    names_make(&nm, base);
    names_make(&nm_p, x10p);
    names_make(&nm_all, x10all);

    long long rss0 = rss_now();
    data D;
    double t0 = now();
    if (!generate(&D, n, seed, &nm)) {
        fprintf(stderr, "out of memory generating %zu signals\n", n);
        return 2;
    }
    double gen_s = now() - t0;
    long long rss1 = rss_now();
    printf("libci %s analyzer benchmark, one thread: %zu signals, dimensions tier(3) x region(5) x"
           " product(8), max_depth 2, %d repetitions (median, range)\n",
           ci_version_string(), n, reps);
    printf("inputs: %.0f MiB of prebuilt ci_signal/ci_attr/ci_signal_result (%zu+%zu+%zu bytes"
           " per signal), generated in %.1f s; RSS %.0f -> %.0f MiB\n",
           mib(rss1 - rss0), sizeof(ci_signal), NDIMS * sizeof(ci_attr), sizeof(ci_signal_result),
           gen_s, mib(rss0), mib(rss1));
    if (dump_path) {
        t0 = now();
        if (!dump(&D, &nm, dump_path)) {
            fprintf(stderr, "cannot write %s\n", dump_path);
            return 2;
        }
        printf("dumped %zu records to %s in %.1f s\n", n, dump_path, now() - t0);
    }

    const unsigned all = CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH;
    columns C;
    if (!columns_make(&C, &D, &nm)) {
        fprintf(stderr, "out of memory building columns\n");
        return 2;
    }
    if (only) {
        int themes = !strcmp(only, "themes") || !strcmp(only, "columns-themes");
        if (themes) {
            set_themes(&D, 1);
            for (size_t i = 0; i < n; i++)
                C.theme[i] = D.res[i].theme;
        } else if (!strcmp(only, "ordered")) {
            set_times(&D, 1);
        } else if (strcmp(only, "day") && strcmp(only, "none") && strcmp(only, "columns")) {
            fprintf(stderr, "bench_analyzer: --only day|none|themes|ordered|columns|columns-themes\n");
            return 2;
        }
        config(only, &D, !strncmp(only, "columns", 7) ? &C : NULL, reps,
               !strcmp(only, "none") ? 0 : all, themes ? NTHEMES : 0, 0);
        columns_free(&C);
        data_free(&D);
        return 0;
    }

    double sink = 0, scans[MAXREPS];
    for (int k = 0; k < reps; k++)
        scans[k] = scan_once(&D, &sink);
    double scan_s = median(scans, reps);
    printf("\n%-34s %6.2f M signals/s  %6.1f ns/signal  (baseline: reads every input field, no"
           " aggregation)\n", "scan of the inputs", (double)n / scan_s / 1e6, scan_s / (double)n * 1e9);

    double vals[MAXREPS];
    for (int k = 0; k < reps; k++)
        vals[k] = validate_once(&D);
    double val_s = median(vals, reps);
    printf("%-34s %6.2f M signals/s  %6.1f ns/signal  (the first phase of every add, timed alone)\n",
           "ci_signal_validate() alone", (double)n / val_s / 1e6, val_s / (double)n * 1e9);
    double t[4];
    t[0] = config("day/week/month buckets, no themes", &D, NULL, reps, all, 0, scan_s);
    t[2] = config("columns: day/week/month, no themes", &D, &C, reps, all, 0, scan_s);
    config("no buckets, no themes", &D, NULL, reps, 0, 0, scan_s);
    set_themes(&D, 1);
    for (size_t i = 0; i < n; i++)
        C.theme[i] = D.res[i].theme;
    t[1] = config("day/week/month, 20 themes", &D, NULL, reps, all, NTHEMES, scan_s);
    t[3] = config("columns: day/week/month, 20 themes", &D, &C, reps, all, NTHEMES, scan_s);
    config("no buckets, 20 themes", &D, NULL, reps, 0, NTHEMES, scan_s);
    int same = same_snapshot(&D, &C, all, NTHEMES);
    printf("columns against one call per signal (20 themes): %s\n",
           same ? "the same snapshot, byte for byte" : "SNAPSHOTS DIFFER");
    set_themes(&D, 0);
    for (size_t i = 0; i < n; i++)
        C.theme[i] = -1;
    set_times(&D, 1);
    config("day/week/month, time-ordered input", &D, NULL, reps, all, 0, scan_s);
    set_times(&D, 0);

    if (dump_path && !dump_times(dump_path, t)) {
        fprintf(stderr, "cannot update %s\n", dump_path);
        return 2;
    }
    if (!same)
        return 1;

    /* cross-check numbers for bench_groupby.py (default configuration) */
    ci_analyzer *an;
    counting cnt_an;
    run_once(&D, NULL, D.n, all, 0, &an, &cnt_an);
    print_check(an);
    ci_analyzer_free(an);

    if (do_growth) {
        printf("\nmemory against signals (day/week/month, no themes, one run each): heap = the"
               " analyzer's live heap\nbytes after ingest, RSS+ = growth of the process's RSS while"
               " ingesting; heap+sum, RSS+ +sum\nand sum s: the same after ci_analyzer_summarize()"
               " and its time\n");
        printf("%-26s %9s %10s %11s %9s %9s %10s %11s %9s\n", "values", "signals", "heap MiB",
               "RSS+ MiB", "M sig/s", "segments", "heap+sum", "RSS+ +sum", "sum s");
        growth(&D, &nm, "3 x 5 x 8 (120 combos)");
        growth(&D, &nm_p, "3 x 5 x 80 (1.2k combos)");
        growth(&D, &nm_all, "30 x 50 x 80 (120k combos)");
        set_attrs(&D, &nm);
    }
    printf("\npeak RSS of the process: %.0f MiB\n", mib(rss_peak()));
    if (sink == 12345.678)
        puts("");
    columns_free(&C);
    data_free(&D);
    names_free(&nm);
    names_free(&nm_p);
    names_free(&nm_all);
    return 0;
}
