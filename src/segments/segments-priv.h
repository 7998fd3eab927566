/* SPDX-License-Identifier: MIT */
/*
 * The analyzer's state, shared by the files of the segments stage (cells,
 * accounts, comparisons, insights) and by persistence (snapshots).
 *
 * Two layers:
 *  - cells, the state of record: one per (full combination of dimension
 *    values, day).  An add touches exactly one cell, so ingest costs one
 *    hash lookup and one stats update whatever the depth and buckets;
 *  - the summary, derived: segments (every combination of at most max_depth
 *    dimensions) overall and per day/week/month, rolled up from the cells
 *    when first read after a change.  Days nest in weeks and months, so the
 *    roll-up is exact.
 * Merging and snapshots work on cells and accounts only.
 */
#ifndef CI_SEGMENTS_PRIV_H
#define CI_SEGMENTS_PRIV_H

#include <stdint.h>

#include <math.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#endif

#include "../common/strmap-priv.h"
#include "../common/u64map-priv.h"
#include "libci.h"

/* ---- exact sums (Shewchuk partials, fixed point) and Welford/Chan moments - */

#define XS_MAX 4

typedef struct xsum {
    double p[XS_MAX]; /* non-overlapping partials, increasing magnitude */
    uint8_t n;
} xsum;

void ci_xs_add(xsum *s, double x);
double ci_xs_value(const xsum *s);

/* ---- exact sums in fixed point ------------------------------------------ *
 *
 * Value sums are exact, whatever the order of the adds: in a 256-bit two's
 * complement integer of units of 2^-128 (least significant word first),
 * with partials for what that does not take.  Adding a double to the
 * integer is a shift and four adds with carry, with no branch that depends
 * on the data; partials alone would cost a chain of dependent additions per
 * partial and a loop whose length changes from sum to sum: half of a cell
 * add's time, and most of a roll-up's.  The integer takes every double that
 * is a multiple of 2^-128 below 2^95 in magnitude: each value a signal may
 * carry (|value| <= 1e18) down to about 2^-75, and the partials of sums of
 * them.  The rest (digits below 2^-128 of a tiny value, or a huge partial
 * from a snapshot) go to the partials.  Fewer than 2^64 values up to 1e18,
 * and partials below 2^95 from fewer than 2^31 cells, stay below the
 * integer's 2^127. */
#define CI_FIX_WORDS 4

/* acc += w + carry (0 or 1), over the integer's words. */
static inline void ci_fix_add_words(uint64_t acc[CI_FIX_WORDS], const uint64_t w[CI_FIX_WORDS],
                                    unsigned carry)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    unsigned char c = (unsigned char)carry;
    unsigned long long o;
    for (unsigned j = 0; j < CI_FIX_WORDS; j++) {
        c = _addcarry_u64(c, acc[j], w[j], &o);
        acc[j] = o;
    }
#else
    uint64_t c = carry;
    for (unsigned j = 0; j < CI_FIX_WORDS; j++) {
        uint64_t t = acc[j] + w[j], u = t + c;
        c = (uint64_t)(t < w[j]) | (uint64_t)(u < t);
        acc[j] = u;
    }
#endif
}

/* acc += (neg ? -1 : 1) * m * 2^p units, for m < 2^54 and p + 54 <= 256. */
static inline void ci_fix_add_at(uint64_t acc[CI_FIX_WORDS], uint64_t m, unsigned p, int neg)
{
    unsigned k = p >> 6, r = p & 63;
    /* a negative amount adds the complement plus one: -v = ~v + 1 */
    uint64_t s = (uint64_t)0 - (uint64_t)(neg != 0);
    uint64_t w[CI_FIX_WORDS + 2] = {s, s, s, s, s, s};
    w[k] = (m << r) ^ s;
    w[k + 1] = ((m >> 1) >> (63 - r)) ^ s;
    ci_fix_add_words(acc, w, (unsigned)(s & 1));
}

/* Where x goes in the integer: its significand in *mant and the unit of
 * the significand's bit 0, or -1 when the integer does not take x.  Zero
 * (of either sign) goes anywhere with a zero significand. */
static inline int ci_fix_place(double x, uint64_t *mant)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    unsigned e = (unsigned)(b >> 52) & 0x7FF;
    uint64_t m = (b & (((uint64_t)1 << 52) - 1)) | ((uint64_t)(e != 0) << 52);
    /* x = m * 2^(e - 1075), bit 0 of m at 2^(e - 1075) = unit 2^(e - 947) */
    int p = (int)e - 947;
    *mant = m;
    /* the common cases, zero among them: no digit below 2^-128 */
    if ((unsigned)p <= 95 + 128 - 53 || !m)
        return m ? p : 0;
    /* a small value whose digits stop at 2^-128 or above is taken too */
    if (p < 0 && p > -53 && !(m & (((uint64_t)1 << -p) - 1))) {
        *mant = m >> -p;
        return 0;
    }
    return -1;
}

/* Whether the integer takes x (else x goes to the partials). */
static inline int ci_fix_takes(double x)
{
    uint64_t m;
    return ci_fix_place(x, &m) >= 0;
}

/* acc += x when the integer takes x; returns 0, leaving acc alone, when it
 * does not. */
static inline int ci_fix_add(uint64_t acc[CI_FIX_WORDS], double x)
{
    uint64_t m;
    int p = ci_fix_place(x, &m);
    if (p < 0)
        return 0;
    ci_fix_add_at(acc, m, (unsigned)p, x < 0);
    return 1;
}

/* An exact sum: the integer, and partials for the values it does not take.
 * ci_es_merge: a += b; ci_es_sub: a -= b; ci_es_partials: the sum as
 * partials (snapshots keep those); ci_es_value: the sum, correctly rounded. */
typedef struct esum {
    uint64_t fix[CI_FIX_WORDS];
    xsum rest;
} esum;

static inline void ci_es_add(esum *s, double x)
{
    if (!ci_fix_add(s->fix, x))
        ci_xs_add(&s->rest, x);
}

void ci_es_merge(esum *a, const esum *b);
void ci_es_sub(esum *a, const esum *b);
void ci_es_partials(const esum *s, xsum *out);
double ci_es_value(const esum *s);

typedef struct welford {
    uint64_t n;
    double mean, m2;
} welford;

void ci_w_add(welford *w, double x);
void ci_w_merge(welford *a, const welford *b);

typedef struct stats {
    uint64_t count;
    uint64_t nps_n, nps_pro, nps_pas, nps_det;
    uint64_t csat_n, csat_sat;
    welford ces, sent;
    uint64_t texts;   /* signals with text: the denominator of theme shares */
    uint64_t intents[CI_INTENT_COUNT];
    uint64_t value_n;
    esum value;
} stats;

void ci_stats_merge(stats *a, const stats *b);

/* ---- cells: stats in the compact form the state of record keeps ---------- *
 *
 * Two cache lines, 64-byte aligned: the 32-bit counters in the first, the
 * moments and the value sum in the second, so that an add with days in
 * random order misses the cache twice at most instead of four times.
 * Every counter is at most `count`; before an add would take `count` past
 * CI_CELL_MAX, the cell's totals move to a 64-bit spill record and the cell
 * starts again from zero, so nothing ever wraps.  ci_cell_get() and
 * ci_cell_set() convert to and from stats, spill included. */
#define CI_CELL_MAX UINT32_MAX

typedef struct cell {
    uint32_t count, texts, nps_pro, nps_pas, nps_det, csat_n, csat_sat, value_n;
    uint32_t ces_n, sent_n, intents[CI_INTENT_COUNT];
    double mean[2], m2[2];        /* CES, then sentiment: updated as a pair */
    uint64_t value[CI_FIX_WORDS]; /* the value sum in fixed point (above) */
} cellstats;

/* a - b, where b is a part of a (the rest of a population). */
void ci_stats_subtract(stats *out, const stats *a, const stats *b);
void ci_stats_fill(const stats *s, ci_segment_stats *o);

/* ---- small arithmetic shared by the stage -------------------------------- */

/* Division rounding toward minus infinity: days and weeks before 1970. */
static inline int64_t ci_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* Dimensions in a segment's mask. */
static inline unsigned ci_popcount(uint32_t x)
{
    unsigned c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

/* ---- examples ------------------------------------------------------------ */

typedef struct example {
    double compound;
    int32_t theme;
    uint32_t len;
    char *text; /* owned, len bytes (not NUL-terminated) */
} example;

/* Up to CI_ANALYZER_EXAMPLES, most negative first (ties: by text bytes, so
 * the kept set does not depend on the order signals arrive in). */
typedef struct example_list {
    example *items;
    uint32_t n;
} example_list;

int ci_example_before(double c1, const char *t1, size_t l1, const example *e);

/* ---- accounts ------------------------------------------------------------ */

typedef struct account {
    uint64_t n;
    int64_t first, last;          /* CI_TIME_NONE if no timed signal */
    /* sentiment against time (days), as running co-moments */
    uint64_t sn;
    double s_mean;                /* over every scored text */
    uint64_t tn;                  /* timed scored texts */
    double t_mean, y_mean, c_ty, m2_t;
    int64_t last_sent_t;
    double last_sent;
    int64_t nps_t;
    double nps;
    int64_t value_t;
    double value;
    uint8_t has_nps, has_value, has_sent_t;
    uint32_t intents[CI_INTENT_COUNT];
    /* sorted (key, count) pairs: week numbers, and themes | 0x80000000 */
    uint32_t *pairs;
    uint32_t npairs, pcap;
} account;

#define ACC_THEME_BIT 0x80000000u

/* CI_ANALYZER_MAX_THEMES (libci.h): theme counts are dense (cells and
 * summary entries times themes), so a snapshot must not declare more. */

/* ---- the analyzer -------------------------------------------------------- */

/* A cache in front of the cells map for one combination: its cells by day,
 * in a dense array.  Ingest with days in random order otherwise pays a cache
 * miss in the map before the one in the cell; this array stays small (a few
 * bytes per cell) and hot.  Cell ids never change, so entries never go stale;
 * a day outside what the array may cover just goes to the map. */
typedef struct day_index {
    uint32_t first;   /* day code of ids[0] */
    uint32_t span;    /* entries in ids */
    uint32_t known;   /* nonzero entries: bounds how far the span may grow */
    uint32_t *ids;    /* cell id + 1, or 0 when not looked up yet */
} day_index;

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
    const ci_theme_model *model;
    size_t ntheme;
    int64_t max_ts;          /* latest timestamp seen, CI_TIME_NONE if none */

    /* state of record */
    ci_strmap combos;        /* full tuple of values -> combo id */
    example_list *cex;       /* per combo */
    size_t cex_cap;
    u64map cells;            /* (combo << 32 | day code) -> cell id */
    uint64_t *ckey;          /* cell id -> its key, so cells are visited in a fixed order */
    cellstats *cst;          /* 64-byte aligned inside cst_mem */
    void *cst_mem;
    u64map spill_of;         /* cell id -> index in spill: cells past CI_CELL_MAX, or with
                              * a value their integer cannot hold */
    stats *spill;
    size_t nspill, spill_cap;
    uint32_t *ccache;        /* combo id + 1 by a hash of the values, or NULL */
    day_index *cday;         /* per combo, a cache of cells (grown on use) */
    size_t cday_cap;
    uint64_t *ctheme;        /* per cell x ntheme */
    size_t cst_cap, ctheme_cap;
    ci_strmap accts;         /* account id -> account index */
    account *acc;
    size_t acc_cap;

    /* summary, rebuilt from the cells when dirty */
    int dirty;
    ci_strmap segs;          /* segment key -> segment id */
    uint32_t *seg_entry;     /* segment id -> its overall entry */
    example_list *sex;       /* per segment: views (text not owned) */
    size_t seg_cap;
    u64map entries;          /* (segment, bucket kind, day) -> entry id */
    stats *st;               /* per entry */
    uint64_t *theme_counts;  /* per entry x ntheme */
    size_t st_cap, tc_cap;
    bucket_list bl[NBUCKET_KINDS];

    /* scratch */
    char *key;
    size_t key_cap;
    const ci_str **vals;     /* the current value per dimension */
};

/* Cells (stats.c).  ci_cells_reserve: room for n cells, the new ones zero.
 * ci_spill_reserve: room for n more spill records, so that ci_cell_set(),
 * ci_cell_spill() and ci_cell_add_fine() cannot fail.  ci_cell_get: the
 * full stats of cell c.  ci_cell_set: make cell c hold s (a spill record
 * when s does not fit).  ci_cell_spill: move cell c's totals to its spill
 * record.  ci_cell_add_fine: add to cell c's sum a value its integer cannot
 * hold (ci_fix_add() turned it down).  ci_stats_may_spill: whether
 * ci_cell_set() may need a spill record for s merged with stats like it. */
ci_status ci_cells_reserve(ci_analyzer *an, size_t n);
ci_status ci_spill_reserve(ci_analyzer *an, size_t n);
void ci_cell_get(const ci_analyzer *an, size_t c, stats *out);
ci_status ci_cell_set(ci_analyzer *an, size_t c, const stats *s);
ci_status ci_cell_spill(ci_analyzer *an, size_t c);
void ci_cell_add_fine(ci_analyzer *an, size_t c, double x);
int ci_stats_may_spill(const stats *s);
void ci_cells_free(ci_analyzer *an);

/* Tests: whether the column checks of ci_analyzer_add_columns() agree
 * (scalar, SSE2, and the best this CPU runs) on col[0..m), m <= 32. */
int ci_block_checks_agree(const double *col, size_t m, double lo, double hi, int whole);

/* Create an analyzer from its configuration (ci_analyzer_new, snapshots). */
ci_status ci_analyzer_create(const ci_alloc *a, const ci_str *dims, size_t ndims,
                             unsigned max_depth, unsigned buckets, const ci_lexicon *lexicon,
                             int vader_compat, const ci_theme_model *model, size_t n_themes,
                             ci_analyzer **out);

/* Bring the summary up to date (no-op when clean). */
ci_status ci_analyzer_refresh(const ci_analyzer *an);

/* Overall stats of segment i of the summary (refreshed). */
static inline const stats *ci_seg_stats(const ci_analyzer *an, size_t i)
{
    return &an->st[an->seg_entry[i]];
}

/* Entry of (segment, kind, start) or -1. */
long ci_seg_entry(const ci_analyzer *an, size_t seg, int kind, int64_t start);

/* Dimension mask of segment i. */
uint32_t ci_seg_mask(const ci_analyzer *an, size_t i);

int ci_bucket_kind(unsigned bucket);

/* An empty account (times "none"). */
void ci_account_init(account *ac);
/* Accounts: update one (room reserved by ci_account_reserve), merge, free. */
ci_status ci_account_reserve(ci_analyzer *an, const ci_str *id, int64_t ts, int theme);
void ci_account_update(ci_analyzer *an, const ci_signal *sig, const ci_signal_result *r);
ci_status ci_accounts_merge(ci_analyzer *an, const ci_analyzer *other);
void ci_accounts_free(ci_analyzer *an);

/* Add a signal with its result (validated) to the cells and accounts. */
ci_status ci_analyzer_ingest(ci_analyzer *an, const ci_signal *sig, const ci_signal_result *r,
                             ci_diag *diag);

/* Statistics helpers (compare.c). */
double ci_normal_sf2(double z);             /* two-sided p of a z score */
double ci_student_sf2(double t, double df); /* two-sided p of a t score */

ci_status ci_compare_entries(const ci_analyzer *an, size_t e, size_t pop_e, int metric, int which,
                             ci_comparison *out);
/* Compare two disjoint groups (not for themes: they need entry counts). */
void ci_compare_stats(const stats *a, const stats *b, int metric, int which, ci_comparison *out);
ci_status ci_bh_adjust(const ci_alloc *a, const double *p, size_t n, double *q);

#endif
