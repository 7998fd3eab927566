/* SPDX-License-Identifier: MIT */
/*
 * Threads: one lexicon and one theme model, both documented immutable, are
 * shared read-only by 8 threads.  Each thread builds its own scorer,
 * assigner, tokenizer and analyzer, analyzes its own partition of a
 * deterministic data set, and the analyzers are merged at the end.  The
 * merge must equal one analyzer that saw every signal, and every per-text
 * result must equal the single-threaded one.  The same threads also call
 * the thread-safe free functions (names, versions) and save the shared model
 * concurrently.
 *
 * Run it under ThreadSanitizer (tools/test.sh has a stage for it): any data
 * race in the shared objects is a failure there.  cmocka's assertions are
 * not thread-safe, so the threads only record what they saw and the main
 * thread checks it after joining them.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "testutil.h"

#define NTHREADS 8
#define NSIGNALS 4000
#define NTRAIN 300
#define NTHEMES 6
#define NACCOUNTS 150

static ci_str S(const char *s) { ci_str r = {s, strlen(s)}; return r; }

/* ------------------------------------------------------------------------ */
/*  A deterministic data set                                                */
/* ------------------------------------------------------------------------ */

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define PICK(g, arr) (arr)[mix(g) % (sizeof(arr) / sizeof((arr)[0]))]

static const char *const t_card[] = {"my new card", "the replacement card", "my debit card",
                                     "the card I ordered"};
static const char *const t_card2[] = {"has not arrived", "never came in the post",
                                      "is still not delivered", "got lost in the mail"};
static const char *const t_charge[] = {"I was charged twice for", "a duplicate charge on",
                                       "the same payment was taken two times for",
                                       "double charged for"};
static const char *const t_charge2[] = {"my order", "one purchase", "the subscription",
                                        "a single transaction"};
static const char *const t_login[] = {"cannot log in,", "locked out of my account,",
                                      "the login keeps failing,", "sign in does not work,"};
static const char *const t_login2[] = {"the password reset link never arrives",
                                       "the two factor code is wrong",
                                       "it says my password is invalid",
                                       "the reset email never comes"};
static const char *const t_refund[] = {"still waiting for my refund for the",
                                       "please refund my money for the",
                                       "no refund yet for the", "where is the refund for the"};
static const char *const t_refund2[] = {"returned order", "cancelled purchase", "returned item",
                                        "cancelled booking"};
static const char *const t_crash[] = {"the app crashes", "the app keeps freezing",
                                      "the app closes itself", "the mobile app hangs"};
static const char *const t_crash2[] = {"every time I open it", "after the latest update",
                                       "on my phone", "when I try to pay"};
static const char *const t_fx[] = {"the exchange rate", "the currency conversion",
                                   "the conversion fee", "the fx rate"};
static const char *const t_fx2[] = {"on my transfer is terrible", "for euros was wrong",
                                    "in dollars costs too much", "is worse than the bank"};
static const char *const moods[] = {
    "", "", "", "Great support, thanks! ", "This is ridiculous!!! ", "I am so frustrated. ",
    "I want to cancel my subscription, ", "Urgent: ", "I don't understand, ", "Love the app :) ",
    "WORST SERVICE EVER. ", "not bad, ", "\xF0\x9F\x98\xA1 ", "Thank you so much \xE2\x9D\xA4 ",
    "sooo annoying... ", "had to call three times, ",
};
static const char *const tails[] = {"", "", ".", "!", "?", " :(", " asap", " \xFF\xFE bad bytes",
                                    " please help", " again"};

/* Text of topic `topic` drawn from g, written into buf. */
static void make_text(uint64_t *g, int topic, int with_mood, char *buf, size_t cap)
{
    const char *a, *b;
    switch (topic) {
    case 0: a = PICK(g, t_card); b = PICK(g, t_card2); break;
    case 1: a = PICK(g, t_charge); b = PICK(g, t_charge2); break;
    case 2: a = PICK(g, t_login); b = PICK(g, t_login2); break;
    case 3: a = PICK(g, t_refund); b = PICK(g, t_refund2); break;
    case 4: a = PICK(g, t_crash); b = PICK(g, t_crash2); break;
    default: a = PICK(g, t_fx); b = PICK(g, t_fx2); break;
    }
    const char *m = with_mood ? PICK(g, moods) : "";
    const char *t = with_mood ? PICK(g, tails) : "";
    snprintf(buf, cap, "%s%s %s%s", m, a, b, t);
}

static char train_texts[NTRAIN][200];

static const char *const tiers[] = {"free", "pro", "enterprise"};
static const char *const regions[] = {"EMEA", "NA", "APAC", "LATAM"};
static const char *const products[] = {"cards", "loans", "app"};

/* Everything a signal points to, so signals can be rebuilt from it. */
typedef struct sig_data {
    char text[240];
    char account[16];
    ci_attr attrs[3];
    ci_signal sig;
} sig_data;

static sig_data *data_set;

static void make_data_set(void)
{
    data_set = calloc(NSIGNALS, sizeof *data_set);
    assert_non_null(data_set);
    for (size_t i = 0; i < NSIGNALS; i++) {
        sig_data *d = &data_set[i];
        uint64_t g = i * 104729 + 17;
        ci_signal *s = &d->sig;
        ci_signal_init(s);
        s->kind = (int)(1 + mix(&g) % 10);
        /* about 120 days from 2024-01-01, some signals without a time */
        s->timestamp = mix(&g) % 25 == 0 ? CI_TIME_NONE
                                          : 1704067200 + (int64_t)(mix(&g) % (86400ull * 120));
        d->attrs[0].key = S("tier");
        d->attrs[0].value = S(tiers[mix(&g) % 3]);
        d->attrs[1].key = S("region");
        d->attrs[1].value = S(regions[mix(&g) % 4]);
        d->attrs[2].key = S("product");
        d->attrs[2].value = S(products[mix(&g) % 3]);
        s->attrs = d->attrs;
        s->n_attrs = mix(&g) % 8 == 0 ? 2 : 3;
        if (mix(&g) % 10 < 7) {
            snprintf(d->account, sizeof d->account, "acct-%03u", (unsigned)(mix(&g) % NACCOUNTS));
            s->account_id = S(d->account);
        }
        if (mix(&g) % 10 < 8) {
            make_text(&g, (int)(mix(&g) % NTHEMES), 1, d->text, sizeof d->text);
            s->text = S(d->text);
        }
        if (mix(&g) % 3 == 0) {
            s->has |= CI_HAS_NPS;
            s->nps = (double)(mix(&g) % 11);
        }
        if (mix(&g) % 4 == 0) {
            s->has |= CI_HAS_CSAT;
            s->csat = (double)(1 + mix(&g) % 5);
        }
        if (mix(&g) % 5 == 0) {
            s->has |= CI_HAS_CES;
            s->ces = (double)(1 + mix(&g) % 7);
            s->ces_direction = (int)(mix(&g) % 2);
        }
        if (mix(&g) % 2) {
            s->has |= CI_HAS_VALUE;
            /* amounts across magnitudes, where naive float sums depend on order */
            s->value = (double)(mix(&g) % 100000) / 100.0 * (mix(&g) % 7 == 0 ? 1e6 : 1.0);
        }
        if (!s->text.len && !s->has) {
            s->has = CI_HAS_RATING;
            s->rating = 4.5;
        }
    }
}

/* ------------------------------------------------------------------------ */
/*  Shared objects                                                          */
/* ------------------------------------------------------------------------ */

/* A thread-safe counting allocator: scorers created without an allocator
 * inherit the lexicon's, so one allocator serves every thread at once. */
typedef struct atomic_alloc {
    atomic_long allocs, frees, live;
} atomic_alloc;

static void *aa_malloc(void *ud, size_t n)
{
    atomic_alloc *t = ud;
    atomic_fetch_add(&t->allocs, 1);
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&t->live, 1);
    return p;
}

static void *aa_realloc(void *ud, void *ptr, size_t n)
{
    atomic_alloc *t = ud;
    atomic_fetch_add(&t->allocs, 1);
    void *p = realloc(ptr, n);
    if (p && !ptr)
        atomic_fetch_add(&t->live, 1);
    return p;
}

static void aa_free(void *ud, void *ptr)
{
    atomic_alloc *t = ud;
    if (ptr) {
        atomic_fetch_add(&t->frees, 1);
        atomic_fetch_sub(&t->live, 1);
    }
    free(ptr);
}

static atomic_alloc lex_counts;
static ci_lexicon *lexicon;
static ci_theme_model *model;
static char *model_bytes;      /* the model saved before the threads start */
static size_t model_len;

static const ci_str dims[] = {{"tier", 4}, {"region", 6}, {"product", 7}};

static ci_analyzer *new_analyzer(void)
{
    ci_analyzer_options o;
    ci_analyzer_options_init(&o);
    o.dimensions = dims;
    o.n_dimensions = 3;
    o.max_depth = 2;
    o.buckets = CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH;
    o.lexicon = lexicon;
    o.themes = model;
    ci_analyzer *an = NULL;
    if (ci_analyzer_new(&o, NULL, &an) != CI_OK)
        return NULL;
    return an;
}

/* ------------------------------------------------------------------------ */
/*  Per-signal results                                                      */
/* ------------------------------------------------------------------------ */

typedef struct per_signal {
    ci_sentiment_result sent;   /* ci_sentiment_score */
    ci_status sent_st;
    int theme;                  /* ci_theme_assign */
    double sim;
    ci_status theme_st;
    uint64_t ntokens, token_hash; /* the tokenizer's output */
    ci_status tok_st;
    ci_signal_result res;       /* ci_analyzer_add */
    ci_status add_st;
} per_signal;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

/* Tokenize a text in 7-byte chunks; count tokens and hash them. */
static ci_status tokenize(ci_tokenizer *tok, const char *text, size_t len, uint64_t *n,
                          uint64_t *h)
{
    ci_status st = ci_tokenizer_reset(tok);
    *n = 0;
    *h = 0xCBF29CE484222325ull;
    ci_token t;
    ci_token_init(&t);
    size_t pos = 0;
    for (;;) {
        if (pos < len) {
            size_t c = len - pos < 7 ? len - pos : 7;
            if ((st = ci_tokenizer_feed(tok, text + pos, c)) != CI_OK)
                return st;
            pos += c;
        } else if ((st = ci_tokenizer_finish(tok)) != CI_OK) {
            return st;
        }
        while ((st = ci_tokenizer_next(tok, &t)) == CI_OK) {
            (*n)++;
            uint64_t f[4] = {(uint64_t)t.kind, t.flags, t.offset, t.length};
            *h = fnv(*h, f, sizeof f);
            *h = fnv(*h, t.norm, t.norm_len);
        }
        if (st == CI_DONE)
            return CI_OK;
        if (st != CI_MORE)
            return st;
    }
}

/* What one worker (or the single-threaded reference) does with a signal. */
typedef struct worker {
    ci_sentiment *senti;
    ci_theme_assigner *assigner;
    ci_tokenizer *tok;
    ci_analyzer *an;
} worker;

static int worker_init(worker *w)
{
    memset(w, 0, sizeof *w);
    /* NULL allocator: the scorer inherits the (shared) lexicon's */
    if (ci_sentiment_new(lexicon, NULL, NULL, &w->senti) != CI_OK ||
        ci_theme_assigner_new(model, 0, NULL, &w->assigner) != CI_OK ||
        ci_tokenizer_new(NULL, &w->tok) != CI_OK || !(w->an = new_analyzer()))
        return 0;
    return 1;
}

static void worker_free(worker *w)
{
    ci_sentiment_free(w->senti);
    ci_theme_assigner_free(w->assigner);
    ci_tokenizer_free(w->tok);
    ci_analyzer_free(w->an);
}

static void process(worker *w, size_t i, per_signal *out)
{
    const ci_signal *s = &data_set[i].sig;
    memset(out, 0, sizeof *out);
    ci_sentiment_result_init(&out->sent);
    out->sent_st = ci_sentiment_score(w->senti, s->text.data, s->text.len, &out->sent);
    out->theme_st = ci_theme_assign(w->assigner, s->text.data, s->text.len, s->timestamp,
                                    &out->theme, &out->sim);
    out->tok_st = tokenize(w->tok, s->text.data, s->text.len, &out->ntokens, &out->token_hash);
    ci_signal_result_init(&out->res);
    out->add_st = ci_analyzer_add(w->an, s, &out->res, NULL);
}

/* ------------------------------------------------------------------------ */
/*  The threads                                                             */
/* ------------------------------------------------------------------------ */

static const ci_status all_status[] = {
    CI_OK, CI_DONE, CI_MORE, CI_ERR_NOMEM, CI_ERR_INVALID, CI_ERR_STRUCT_SIZE, CI_ERR_STATE,
    CI_ERR_RANGE, CI_ERR_NONFINITE, CI_ERR_UTF8, CI_ERR_MISSING, CI_ERR_LIMIT, CI_ERR_IO,
    CI_ERR_FORMAT, CI_ERR_VERSION, CI_ERR_CHECKSUM, CI_ERR_NOT_FOUND, CI_ERR_UNSUPPORTED,
};
#define NSTATUS (sizeof all_status / sizeof all_status[0])

/* Names seen from the main thread before any worker starts. */
static const char *status_names[NSTATUS];
static const char *intent_names[CI_INTENT_COUNT];
static const char *metric_names[6];
static double lookup_ref[4];
static const char *const lookup_terms[4] = {"great", "TERRIBLE", "ridiculous", "Thanks"};

typedef struct thread_ctx {
    size_t id;
    worker w;
    per_signal *results;     /* indexed by signal; each thread writes its own */
    pthread_barrier_t *start;
    int init_ok;
    long name_mismatches;    /* thread-safe functions that answered differently */
    long save_mismatches;    /* concurrent saves that differ from the reference */
    long lookup_mismatches;
    long processed;
} thread_ctx;

static void check_names(thread_ctx *c)
{
    for (size_t k = 0; k < NSTATUS; k++) {
        const char *s = ci_status_string(all_status[k]);
        if (!s || strcmp(s, status_names[k]) != 0)
            c->name_mismatches++;
    }
    for (int k = 0; k < CI_INTENT_COUNT; k++) {
        const char *s = ci_intent_name(k);
        if (!s || strcmp(s, intent_names[k]) != 0)
            c->name_mismatches++;
    }
    for (int k = 0; k < 6; k++) {
        const char *s = ci_metric_name(k);
        if (!s || strcmp(s, metric_names[k]) != 0)
            c->name_mismatches++;
    }
    if (ci_version_number() != CI_VERSION_NUMBER ||
        strcmp(ci_version_string(), CI_VERSION_STRING) != 0 ||
        strcmp(ci_status_string((ci_status)12345), "unknown status") != 0 ||
        ci_intent_name(-1) || ci_metric_name(99))
        c->name_mismatches++;
}

static void check_save(thread_ctx *c)
{
    char *buf = NULL;
    size_t len = 0;
    if (ci_theme_model_save(model, &buf, &len) != CI_OK || len != model_len ||
        memcmp(buf, model_bytes, len) != 0)
        c->save_mismatches++;
    ci_free(buf);
}

static void check_lookups(thread_ctx *c)
{
    for (size_t k = 0; k < 4; k++) {
        double v = 0;
        if (ci_lexicon_lookup(lexicon, lookup_terms[k], strlen(lookup_terms[k]), &v) != CI_OK ||
            v != lookup_ref[k])
            c->lookup_mismatches++;
    }
}

static void *thread_main(void *arg)
{
    thread_ctx *c = arg;
    c->init_ok = worker_init(&c->w);
    pthread_barrier_wait(c->start); /* everyone at once, to give races a chance */
    if (!c->init_ok)
        return NULL;
    for (size_t i = c->id; i < NSIGNALS; i += NTHREADS) {
        process(&c->w, i, &c->results[i]);
        c->processed++;
        if (i % 97 == c->id)
            check_names(c);
        if (i % 61 == c->id)
            check_lookups(c);
        if (i % 503 == c->id)
            check_save(c);
    }
    check_save(c);
    check_names(c);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  Comparing analyzers                                                     */
/* ------------------------------------------------------------------------ */

static void assert_close(double a, double b, double rel, const char *what)
{
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    if (!(d <= rel * m || d <= 1e-12)) {
        printf("# %s: %.17g != %.17g\n", what, a, b);
        fail();
    }
}

static void assert_same_stats(const ci_segment_stats *a, const ci_segment_stats *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->nps_responses, b->nps_responses);
    assert_int_equal(a->nps_promoters, b->nps_promoters);
    assert_int_equal(a->nps_passives, b->nps_passives);
    assert_int_equal(a->nps_detractors, b->nps_detractors);
    assert_true(a->nps == b->nps);
    assert_int_equal(a->csat_responses, b->csat_responses);
    assert_int_equal(a->csat_satisfied, b->csat_satisfied);
    assert_true(a->csat == b->csat);
    assert_int_equal(a->ces_responses, b->ces_responses);
    assert_close(a->ces_mean, b->ces_mean, 1e-9, "ces_mean");
    assert_close(a->ces_variance, b->ces_variance, 1e-9, "ces_variance");
    assert_int_equal(a->sentiment_n, b->sentiment_n);
    assert_close(a->sentiment_mean, b->sentiment_mean, 1e-9, "sentiment_mean");
    assert_close(a->sentiment_variance, b->sentiment_variance, 1e-9, "sentiment_variance");
    for (int k = 0; k < CI_INTENT_MAX; k++)
        assert_int_equal(a->intent_count[k], b->intent_count[k]);
    assert_int_equal(a->value_n, b->value_n);
    /* exact sums: equal whatever the partitioning */
    assert_true(a->value_sum == b->value_sum);
}

static void assert_same_health(const ci_account_health *a, const ci_account_health *b)
{
    assert_int_equal(a->account_id.len, b->account_id.len);
    assert_memory_equal(a->account_id.data, b->account_id.data, a->account_id.len);
    assert_int_equal(a->contacts, b->contacts);
    assert_int_equal(a->first_seen, b->first_seen);
    assert_int_equal(a->last_seen, b->last_seen);
    assert_int_equal(a->contacts_recent, b->contacts_recent);
    assert_true(a->contacts_baseline == b->contacts_baseline);
    assert_true(a->frequency_change == b->frequency_change);
    assert_int_equal(a->repeat_contacts, b->repeat_contacts);
    assert_int_equal(a->top_theme, b->top_theme);
    assert_int_equal(a->top_theme_contacts, b->top_theme_contacts);
    assert_int_equal(a->sentiment_n, b->sentiment_n);
    assert_close(a->sentiment_mean, b->sentiment_mean, 1e-9, "account sentiment_mean");
    assert_close(a->sentiment_slope, b->sentiment_slope, 1e-9, "account sentiment_slope");
    assert_true(a->sentiment_last == b->sentiment_last);
    assert_int_equal(a->has_nps, b->has_nps);
    assert_true(a->last_nps == b->last_nps);
    assert_int_equal(a->last_nps_time, b->last_nps_time);
    assert_int_equal(a->churn_mentions, b->churn_mentions);
    assert_int_equal(a->has_value, b->has_value);
    assert_true(a->value == b->value);
    assert_close(a->churn_risk, b->churn_risk, 1e-9, "churn_risk");
    assert_int_equal(a->reasons, b->reasons);
    for (int k = 0; k < CI_RISK_COUNT; k++)
        assert_close(a->reason_weight[k], b->reason_weight[k], 1e-9, "reason_weight");
}

/* Every segment (overall and in every bucket), theme count, example and
 * account of `ref` is in `an` with the same numbers, and nothing more. */
static void assert_same_analyzers(const ci_analyzer *ref, const ci_analyzer *an)
{
    size_t nseg = ci_analyzer_segment_count(ref);
    assert_true(nseg > 1);
    assert_int_equal(ci_analyzer_segment_count(an), nseg);
    const unsigned kinds[] = {CI_BUCKET_DAY, CI_BUCKET_WEEK, CI_BUCKET_MONTH};
    size_t nb[3] = {0};
    for (int k = 0; k < 3; k++) {
        int64_t s1, s2;
        for (size_t j = 0; ci_analyzer_bucket(ref, kinds[k], j, &s1) == CI_OK; j++, nb[k]++) {
            assert_int_equal(ci_analyzer_bucket(an, kinds[k], j, &s2), CI_OK);
            assert_int_equal(s1, s2);
        }
        assert_int_equal(ci_analyzer_bucket(an, kinds[k], nb[k], &s2), CI_ERR_NOT_FOUND);
        assert_true(nb[k] > 0);
    }
    for (size_t i = 0; i < nseg; i++) {
        ci_str vals[3];
        ci_segment_stats a, b;
        ci_segment_stats_init(&a);
        ci_segment_stats_init(&b);
        assert_int_equal(ci_analyzer_segment(ref, i, vals, &a), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find(an, vals, &j), CI_OK);
        assert_int_equal(ci_analyzer_segment(an, j, NULL, &b), CI_OK);
        assert_same_stats(&a, &b);
        assert_int_equal(ci_analyzer_segment_depth(ref, i), ci_analyzer_segment_depth(an, j));
        assert_int_equal(ci_analyzer_segment_texts(ref, i), ci_analyzer_segment_texts(an, j));
        for (size_t t = 0; t < NTHEMES; t++)
            assert_int_equal(ci_analyzer_segment_theme(ref, i, t),
                             ci_analyzer_segment_theme(an, j, t));
        for (size_t e = 0;; e++) {
            ci_str t1, t2;
            double c1, c2;
            int th1, th2;
            ci_status s1 = ci_analyzer_segment_example(ref, i, e, &t1, &c1, &th1);
            ci_status s2 = ci_analyzer_segment_example(an, j, e, &t2, &c2, &th2);
            assert_int_equal(s1, s2);
            if (s1 != CI_OK)
                break;
            assert_int_equal(t1.len, t2.len);
            assert_memory_equal(t1.data, t2.data, t1.len);
            assert_true(c1 == c2);
            assert_int_equal(th1, th2);
        }
        for (int k = 0; k < 3; k++) {
            for (size_t q = 0; q < nb[k]; q++) {
                int64_t start;
                assert_int_equal(ci_analyzer_bucket(ref, kinds[k], q, &start), CI_OK);
                ci_status s1 = ci_analyzer_segment_bucket(ref, i, kinds[k], start, &a);
                ci_status s2 = ci_analyzer_segment_bucket(an, j, kinds[k], start, &b);
                assert_int_equal(s1, s2);
                if (s1 == CI_OK)
                    assert_same_stats(&a, &b);
            }
        }
    }
    size_t nacc = ci_analyzer_account_count(ref);
    assert_true(nacc > 0);
    assert_int_equal(ci_analyzer_account_count(an), nacc);
    for (size_t i = 0; i < nacc; i++) {
        ci_account_health a, b;
        ci_account_health_init(&a);
        ci_account_health_init(&b);
        assert_int_equal(ci_analyzer_account(ref, i, &a), CI_OK);
        size_t j;
        assert_int_equal(ci_analyzer_find_account(an, a.account_id.data, a.account_id.len, &j), CI_OK);
        assert_int_equal(ci_analyzer_account(an, j, &b), CI_OK);
        assert_same_health(&a, &b);
    }
}

/* ------------------------------------------------------------------------ */
/*  Setup                                                                   */
/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    make_data_set();
    ci_allocator la;
    ci_allocator_init(&la);
    la.malloc_fn = aa_malloc;
    la.realloc_fn = aa_realloc;
    la.free_fn = aa_free;
    la.user_data = &lex_counts;
    if (ci_lexicon_new_builtin(&la, &lexicon) != CI_OK)
        return -1;
    /* ~300 fixed texts, 50 per topic */
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = NTHEMES;
    o.seed = 1;
    ci_theme_trainer *t = NULL;
    if (ci_theme_trainer_new(&o, NULL, &t) != CI_OK)
        return -1;
    for (size_t i = 0; i < NTRAIN; i++) {
        uint64_t g = 1000003 * (i + 1);
        make_text(&g, (int)(i % NTHEMES), 0, train_texts[i], sizeof train_texts[i]);
        if (ci_theme_trainer_add(t, train_texts[i], strlen(train_texts[i])) != CI_OK)
            return -1;
    }
    ci_status st = ci_theme_trainer_fit(t, &model);
    ci_theme_trainer_free(t);
    if (st != CI_OK || ci_theme_model_count(model) != NTHEMES)
        return -1;
    if (ci_theme_model_save(model, &model_bytes, &model_len) != CI_OK)
        return -1;
    for (size_t k = 0; k < NSTATUS; k++)
        status_names[k] = ci_status_string(all_status[k]);
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        intent_names[k] = ci_intent_name(k);
    for (int k = 0; k < 6; k++)
        metric_names[k] = ci_metric_name(k);
    for (size_t k = 0; k < 4; k++)
        if (ci_lexicon_lookup(lexicon, lookup_terms[k], strlen(lookup_terms[k]), &lookup_ref[k]) != CI_OK)
            return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ci_free(model_bytes);
    ci_theme_model_free(model);
    ci_lexicon_free(lexicon);
    free(data_set);
    /* every allocation of the lexicon and of the scorers that inherited
     * its allocator, from every thread, was returned */
    return atomic_load(&lex_counts.live) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/*  Tests                                                                   */
/* ------------------------------------------------------------------------ */

static void test_shared_read_only(void **state)
{
    (void)state;
    /* the single-threaded reference */
    per_signal *ref = calloc(NSIGNALS, sizeof *ref);
    per_signal *got = calloc(NSIGNALS, sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    worker single;
    assert_true(worker_init(&single));
    for (size_t i = 0; i < NSIGNALS; i++) {
        process(&single, i, &ref[i]);
        assert_int_equal(ref[i].sent_st, CI_OK);
        assert_int_equal(ref[i].theme_st, CI_OK);
        assert_int_equal(ref[i].tok_st, CI_OK);
        assert_int_equal(ref[i].add_st, CI_OK);
    }

    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
    thread_ctx ctx[NTHREADS];
    pthread_t th[NTHREADS];
    memset(ctx, 0, sizeof ctx);
    for (size_t t = 0; t < NTHREADS; t++) {
        ctx[t].id = t;
        ctx[t].results = got;
        ctx[t].start = &start;
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &ctx[t]), 0);
    }
    for (size_t t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    pthread_barrier_destroy(&start);

    long processed = 0;
    for (size_t t = 0; t < NTHREADS; t++) {
        assert_true(ctx[t].init_ok);
        assert_int_equal(ctx[t].name_mismatches, 0);
        assert_int_equal(ctx[t].save_mismatches, 0);
        assert_int_equal(ctx[t].lookup_mismatches, 0);
        processed += ctx[t].processed;
    }
    assert_int_equal(processed, NSIGNALS);

    /* per text: the threads computed exactly what one thread did */
    size_t texts = 0, themed = 0;
    for (size_t i = 0; i < NSIGNALS; i++) {
        const per_signal *a = &ref[i], *b = &got[i];
        assert_int_equal(b->sent_st, CI_OK);
        assert_int_equal(b->theme_st, CI_OK);
        assert_int_equal(b->tok_st, CI_OK);
        assert_int_equal(b->add_st, CI_OK);
        assert_true(a->sent.compound == b->sent.compound);
        assert_true(a->sent.pos == b->sent.pos);
        assert_true(a->sent.neu == b->sent.neu);
        assert_true(a->sent.neg == b->sent.neg);
        assert_int_equal(a->sent.intent_flags, b->sent.intent_flags);
        assert_memory_equal(a->sent.intent, b->sent.intent, sizeof a->sent.intent);
        assert_int_equal(a->theme, b->theme);
        assert_true(a->sim == b->sim);
        assert_int_equal(a->ntokens, b->ntokens);
        assert_int_equal(a->token_hash, b->token_hash);
        assert_int_equal(a->res.has_sentiment, b->res.has_sentiment);
        assert_true(a->res.compound == b->res.compound);
        assert_int_equal(a->res.intent_flags, b->res.intent_flags);
        assert_int_equal(a->res.theme, b->res.theme);
        assert_true(a->res.theme_similarity == b->res.theme_similarity);
        /* the analyzer's scoring is the scorer's */
        assert_true(a->res.compound == a->sent.compound || !a->res.has_sentiment);
        texts += a->res.has_sentiment;
        themed += a->res.theme >= 0;
    }
    assert_true(texts > NSIGNALS / 2);
    assert_true(themed > texts / 2);
    printf("# %d threads, %d signals: %zu texts, %zu with a theme, %zu segments, %zu accounts\n",
           NTHREADS, NSIGNALS, texts, themed, ci_analyzer_segment_count(single.an),
           ci_analyzer_account_count(single.an));

    /* the merge of the threads' analyzers is the single analyzer */
    ci_analyzer *merged = ctx[0].w.an;
    for (size_t t = 1; t < NTHREADS; t++)
        assert_int_equal(ci_analyzer_merge(merged, ctx[t].w.an), CI_OK);
    assert_same_analyzers(single.an, merged);
    ci_segment_stats pop;
    ci_segment_stats_init(&pop);
    assert_int_equal(ci_analyzer_segment(merged, 0, NULL, &pop), CI_OK);
    assert_int_equal(pop.count, NSIGNALS);

    /* and merging into a fresh analyzer, in another order, gives the same */
    ci_analyzer *fresh = new_analyzer();
    assert_non_null(fresh);
    for (size_t t = NTHREADS; t-- > 1;)
        assert_int_equal(ci_analyzer_merge(fresh, ctx[t].w.an), CI_OK);
    /* ctx[0]'s analyzer now holds everything; take its own part from the
     * reference partition instead */
    worker part0;
    assert_true(worker_init(&part0));
    for (size_t i = 0; i < NSIGNALS; i += NTHREADS) {
        per_signal tmp;
        process(&part0, i, &tmp);
        assert_int_equal(tmp.add_st, CI_OK);
    }
    assert_int_equal(ci_analyzer_merge(fresh, part0.an), CI_OK);
    assert_same_analyzers(single.an, fresh);
    ci_analyzer_free(fresh);
    worker_free(&part0);

    for (size_t t = 0; t < NTHREADS; t++)
        worker_free(&ctx[t].w);
    worker_free(&single);
    free(ref);
    free(got);
}

/* Many threads load, merge and assign from one saved model at once: each
 * gets an identical private copy. */
static void *load_main(void *arg)
{
    long *bad = arg;
    for (int r = 0; r < 4; r++) {
        ci_theme_model *m = NULL;
        if (ci_theme_model_load(model_bytes, model_len, NULL, &m, NULL) != CI_OK) {
            (*bad)++;
            continue;
        }
        ci_theme_model *mm = NULL;
        if (ci_theme_model_merge(model, 0, 1, &mm) != CI_OK ||
            ci_theme_model_count(mm) != NTHEMES - 1)
            (*bad)++;
        char *b = NULL;
        size_t n = 0;
        if (ci_theme_model_save(m, &b, &n) != CI_OK || n != model_len || memcmp(b, model_bytes, n))
            (*bad)++;
        ci_free(b);
        ci_theme_model_free(mm);
        ci_theme_model_free(m);
    }
    return NULL;
}

static void test_concurrent_model_io(void **state)
{
    (void)state;
    pthread_t th[NTHREADS];
    long bad[NTHREADS] = {0};
    for (size_t t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, load_main, &bad[t]), 0);
    for (size_t t = 0; t < NTHREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(bad[t], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_read_only),
        cmocka_unit_test(test_concurrent_model_io),
    };
    return cmocka_run_group_tests_name("threads", tests, group_setup, group_teardown);
}
