/* SPDX-License-Identifier: MIT */
/* Fuzz target: the whole analyzer, from signals to insights and snapshots.
 *
 * Input layout (reads past the end give zeros):
 *   byte  configuration: bit 0 theme model (trained once, from fixed texts),
 *         bits 1-2 max_depth, bits 3-5 buckets, bit 6 VADER-compatible rules,
 *         bit 7 no lexicon (ignored with a theme model)
 *   byte  dimensions: low 3 bits = how many of tier, region, plan, country
 *         (at most 4); bits 3-4 = theme count when there is no model
 *   then signals, each: two flag bytes, then the fields they ask for (text,
 *   account, timestamp, NPS, CSAT, CES, rating, value, attributes ...) with
 *   numbers drawn from a table of edge cases (NaN, infinities, out of range,
 *   fractions, huge) or small integers; some signals go through
 *   ci_analyzer_add_result() with a fuzzed result, and some are followed by
 *   a read, so summaries are rebuilt between adds.
 *
 * Invariants: an add succeeds exactly when ci_signal_validate() accepts the
 * signal (and, for add_result, the result is valid), and its result is in
 * range; the population count equals the number of accepted adds; every
 * segment, bucket, comparison, trend, account and insight reads back within
 * its documented range; load(save(x)) has the same segment count, account
 * count and population, and can keep adding; merging the copy back doubles
 * the population, and merging into a fresh analyzer of the same
 * configuration reproduces it. */
#include <float.h>

#include "analyzer_check.h"

#define MAX_SIGNALS 200

static const char *const k_train[] = {
    "my card was charged twice and I want a refund",
    "refund for the double charge on my card please",
    "charged twice on my credit card, need my money back",
    "the card payment was taken two times, refund me",
    "I was billed twice, where is my refund",
    "duplicate charge on my card statement refund",
    "cannot log in to the app, password reset email never arrives",
    "password reset link does not work, cannot log in",
    "locked out of my account, the login keeps failing",
    "the app will not let me log in after the update",
    "forgot my password and the reset email never came",
    "login fails with an error, password reset broken",
    "the delivery is late, my parcel has not arrived",
    "where is my order, the delivery is a week late",
    "parcel never arrived and tracking shows no update",
    "my order is late and the courier lost the parcel",
    "still waiting for the delivery of my order",
    "tracking says delivered but no parcel arrived",
};

static const char *const k_phrases[] = {
    "I love this, thanks so much!!!",
    "This is terrible, cancel my subscription now",
    "I don't understand how to reset my password",
    "URGENT: still waiting on my refund, third time asking",
    "meh",
    "😡😡 worst app ever :(",
    "Great support, the agent was very helpful :)",
    "charged twice on my card",
    "not bad, not great",
    "I'm switching to a competitor",
    "the delivery is late again",
    "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD good job",
};

static const char *const k_dims[] = {"tier", "region", "plan", "country"};
static const char *const k_keys[] = {"tier", "region", "plan", "country", "other", ""};
static const char *const k_vals[] = {"free", "pro", "enterprise", "EMEA", "NA",
                                     "", "\xff\xfe", "APAC"};

static ci_lexicon *g_lex;
static ci_theme_model *g_model;

static void init_once(void)
{
    if (g_lex)
        return;
    FZ_CHECK(ci_lexicon_new_builtin(NULL, &g_lex) == CI_OK);
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = 3;
    o.seed = 7;
    ci_theme_trainer *t = NULL;
    FZ_CHECK(ci_theme_trainer_new(&o, NULL, &t) == CI_OK);
    for (size_t i = 0; i < sizeof k_train / sizeof *k_train; i++)
        FZ_CHECK(ci_theme_trainer_add(t, k_train[i], strlen(k_train[i])) == CI_OK);
    FZ_CHECK(ci_theme_trainer_fit(t, &g_model) == CI_OK);
    ci_theme_trainer_free(t);
}

/* A number: edge cases from a table, or a small integer. */
static double fz_num(fz *f)
{
    static const double table[] = {
        NAN, INFINITY, -INFINITY, -1, 0, 0.5, 1, 2.5, 10.5, 11, 100, -0.0, 1e308, -1e308,
        DBL_MIN / 4, 1e-300, 4.5, 9, 6, 7, 8, 4, 5, 3, 1e15, -1e15, 0.1, 1e300,
    };
    uint8_t b = fz_u8(f);
    if (b < sizeof table / sizeof *table)
        return table[b];
    return (double)(b % 12);
}

static ci_str fz_pick_str(fz *f, const char *const *table, size_t n, char *scratch, size_t cap)
{
    uint8_t b = fz_u8(f);
    if (b < 0xF0)
        return fz_str(table[b % n]);
    size_t len = (size_t)(b & 0x0F);
    if (len > cap)
        len = cap;
    size_t got = 0;
    const char *p = fz_bytes(f, len, &got);
    if (got)
        memcpy(scratch, p, got);
    ci_str r = {scratch, got};
    return r;
}

static int64_t fz_time(fz *f)
{
    uint8_t b = fz_u8(f);
    switch (b) {
    case 0: return 0;
    case 1: return INT64_MIN + 1;
    case 2: return INT64_MAX;
    case 3: return -1;
    case 4: return CI_TIME_NONE;
    default: break;
    }
    if (b < 200)
        return 1704067200 + (int64_t)fz_u16(f) * 600 - (b & 1 ? 86400 * 400 : 0);
    return (int64_t)fz_u64(f);
}

typedef struct sig_buf {
    ci_signal s;
    ci_attr attrs[8];
    char scratch[8][2][16];
    char text[256];
    char acct[16], cust[16], chan[16];
} sig_buf;

static void make_signal(fz *f, sig_buf *b, unsigned op, unsigned op2)
{
    ci_signal *s = &b->s;
    ci_signal_init(s);
    s->kind = (op2 & 0x80) ? (int)(int8_t)fz_u8(f) * 100 : CI_SIGNAL_TICKET + (int)(op & 3);
    if (op & 4) {
        uint8_t l = fz_u8(f);
        if (l >= 200) {
            s->text = fz_str(k_phrases[(l - 200) % (sizeof k_phrases / sizeof *k_phrases)]);
        } else {
            size_t got = 0;
            const char *p = fz_bytes(f, l, &got);
            memcpy(b->text, p, got);
            s->text.data = b->text;
            s->text.len = got;
        }
    }
    if (op & 8) {
        uint8_t a = fz_u8(f);
        if (a < 0xF0) {
            snprintf(b->acct, sizeof b->acct, "acct-%u", (unsigned)(a % 12));
            s->account_id = fz_str(b->acct);
        } else {
            size_t got = 0;
            const char *p = fz_bytes(f, a & 7, &got);
            memcpy(b->acct, p, got);
            s->account_id.data = b->acct;
            s->account_id.len = got;
        }
    }
    if (op & 16)
        s->timestamp = fz_time(f);
    if (op & 32) {
        s->has |= CI_HAS_NPS;
        s->nps = fz_num(f);
    }
    if (op & 64) {
        s->has |= CI_HAS_CSAT;
        s->csat = fz_num(f);
    }
    if (op & 128) {
        s->has |= CI_HAS_CES;
        s->ces = fz_num(f);
        s->ces_direction = fz_u8(f) & 1;
    }
    if (op2 & 1) {
        s->has |= CI_HAS_RATING;
        s->rating = fz_num(f);
    }
    if (op2 & 2) {
        s->has |= CI_HAS_VALUE;
        s->value = fz_num(f);
    }
    size_t na = (op2 >> 2) & 7;
    for (size_t i = 0; i < na; i++) {
        b->attrs[i].key = fz_pick_str(f, k_keys, sizeof k_keys / sizeof *k_keys,
                                      b->scratch[i][0], sizeof b->scratch[i][0]);
        b->attrs[i].value = fz_pick_str(f, k_vals, sizeof k_vals / sizeof *k_vals,
                                        b->scratch[i][1], sizeof b->scratch[i][1]);
    }
    s->attrs = na ? b->attrs : NULL;
    s->n_attrs = na;
    if (op2 & 32) {
        snprintf(b->cust, sizeof b->cust, "c%u", (unsigned)fz_u8(f));
        s->customer_id = fz_str(b->cust);
    }
    if (op2 & 64) {
        s->channel = fz_str((fz_u8(f) & 1) ? "email" : "chat");
    }
}

static void make_result(fz *f, ci_signal_result *r)
{
    ci_signal_result_init(r);
    uint8_t b = fz_u8(f);
    r->has_sentiment = b & 1;
    if (r->has_sentiment) {
        r->compound = (b & 2) ? fz_num(f) : (double)(int8_t)fz_u8(f) / 128.0;
        double pos = (double)(fz_u8(f) % 101) / 100.0;
        r->pos = pos;
        r->neg = (1.0 - pos) / 2;
        r->neu = 1.0 - r->pos - r->neg;
        if (b & 4)
            r->neu = fz_num(f);
        r->intent_flags = fz_u8(f);
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            r->intent[k] = (r->intent_flags >> k & 1) ? 0.9 : 0.1;
    }
    r->theme = (int)(int8_t)fz_u8(f) % 8;
    r->theme_similarity = 0.5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    fz f = {data, size};
    unsigned cfg = fz_u8(&f), dcfg = fz_u8(&f);
    int use_model = cfg & 1;
    const ci_lexicon *lex = (cfg & 128) && !use_model ? NULL : g_lex;
    ci_str dims[4];
    size_t nd = dcfg & 7;
    if (nd > 4)
        nd = 4;
    for (size_t d = 0; d < nd; d++)
        dims[d] = fz_str(k_dims[d]);
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = nd;
    o.max_depth = (cfg >> 1) & 3;
    o.buckets = (cfg >> 3) & 7;
    o.vader_compat = (cfg >> 6) & 1;
    o.lexicon = lex;
    o.themes = use_model ? g_model : NULL;
    o.n_themes = (dcfg >> 3) & 3;
    size_t ntheme = use_model ? ci_theme_model_count(g_model) : o.n_themes;
    ci_analyzer *an = NULL;
    FZ_CHECK(ci_analyzer_new(&o, fz_poison_alloc(), &an) == CI_OK);

    uint64_t accepted = 0;
    static sig_buf b;
    for (size_t n = 0; n < MAX_SIGNALS && f.n; n++) {
        unsigned op = fz_u8(&f), op2 = fz_u8(&f);
        int via_result = (op & 3) == 2;
        make_signal(&f, &b, op, op2);
        ci_signal_result res;
        ci_diag diag;
        ci_diag_init(&diag);
        ci_status valid = ci_signal_validate(&b.s, NULL);
        ci_status st;
        if (via_result) {
            make_result(&f, &res);
            st = ci_analyzer_add_result(an, &b.s, &res, &diag);
            FZ_OOM(st);
            int res_ok = (res.theme >= -1 && (res.theme < 0 || (size_t)res.theme < ntheme)) &&
                         (!res.has_sentiment ||
                          (isfinite(res.compound) && isfinite(res.pos) && isfinite(res.neu) &&
                           isfinite(res.neg) && res.compound >= -1 && res.compound <= 1));
            if (valid != CI_OK)
                FZ_CHECK(st == valid);
            else if (res_ok)
                FZ_CHECK(st == CI_OK);
            else
                FZ_CHECK(st == CI_ERR_RANGE || st == CI_ERR_NONFINITE);
        } else {
            ci_signal_result_init(&res);
            st = ci_analyzer_add(an, &b.s, &res, &diag);
            FZ_OOM(st);
            FZ_CHECK(st == valid);
            if (st == CI_OK) {
                FZ_CHECK(res.theme >= -1 && (res.theme < 0 || (size_t)res.theme < ntheme));
                if (res.has_sentiment) {
                    FZ_CHECK(b.s.text.len > 0 && lex != NULL);
                    FZ_CHECK(res.compound >= -1 && res.compound <= 1);
                } else {
                    FZ_CHECK(b.s.text.len == 0 || lex == NULL);
                }
            }
        }
        if (st != CI_OK)
            FZ_CHECK(diag.status == st);
        else
            accepted++;
        if ((op & 3) == 3 && (op2 & 1)) {
            /* read between adds: the summary is rebuilt and then dirtied */
            FZ_CHECK(ci_analyzer_summarize(an) == CI_OK);
            FZ_CHECK(fz_population(an) == accepted);
        }
    }

    FZ_CHECK(ci_analyzer_summarize(an) == CI_OK);
    FZ_CHECK(fz_population(an) == accepted);
    fz_read_segments(an, 1);
    fz_read_accounts(an, 1);
    fz_insights(an, 30, 0.05, 0.2);
    fz_insights(an, 2, 0.99, 0.0);

    /* save + load with the same lexicon and model: it can keep adding */
    ci_analyzer *back = fz_save_load(an, &o);
    fz_read_segments(back, 1);
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_CHAT;
    s.text = fz_str("thanks, the refund arrived");
    s.timestamp = 1704067200;
    FZ_CHECK(ci_analyzer_add(back, &s, NULL, NULL) == CI_OK);
    if (fz_population(back) != accepted + 1)
        fprintf(stderr, "population %llu, accepted %llu + 1\n", (unsigned long long)fz_population(back), (unsigned long long)accepted);
    FZ_CHECK(fz_population(back) == accepted + 1);

    /* merge the copy back in, and into a fresh analyzer */
    FZ_CHECK(ci_analyzer_merge(an, back) == CI_OK);
    FZ_CHECK(fz_population(an) == 2 * accepted + 1);
    fz_read_segments(an, 1);
    ci_analyzer *fresh = fz_fresh_like(back, lex, use_model ? g_model : NULL);
    FZ_CHECK(ci_analyzer_merge(fresh, back) == CI_OK);
    FZ_CHECK(ci_analyzer_segment_count(fresh) == ci_analyzer_segment_count(back));
    FZ_CHECK(fz_population(fresh) == accepted + 1);
    ci_analyzer_free(back);

    /* a different configuration does not merge */
    ci_analyzer_options o2 = o;
    o2.buckets = o.buckets ^ CI_BUCKET_DAY;
    ci_analyzer *other = NULL;
    FZ_CHECK(ci_analyzer_new(&o2, fz_poison_alloc(), &other) == CI_OK);
    FZ_CHECK(ci_analyzer_merge(other, fresh) == CI_ERR_INVALID);
    ci_analyzer_free(other);
    ci_analyzer_free(fresh);
    ci_analyzer_free(an);
    return 0;
}
