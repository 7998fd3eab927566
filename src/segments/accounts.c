/* SPDX-License-Identifier: MIT */
/*
 * Account health: per-account running state, mergeable like the cells, and
 * the churn-risk score computed from it when read.
 *
 * What is kept per account is bounded by what an account does, not by how
 * often: counts per active week and per theme raised (sorted pairs), plus
 * fixed-size moments and "latest" values.  "Latest" picks by time and
 * breaks ties by value, so the result does not depend on arrival order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segments-priv.h"

void ci_accounts_free(ci_analyzer *an)
{
    for (size_t i = 0; i < an->accts.count; i++)
        ci_dealloc(&an->a, an->acc[i].pairs);
    ci_dealloc(&an->a, an->acc);
    an->acc = NULL;
    an->acc_cap = 0;
}

void ci_account_init(account *ac)
{
    memset(ac, 0, sizeof *ac);
    ac->first = ac->last = ac->last_sent_t = ac->nps_t = ac->value_t = CI_TIME_NONE;
}

/* Position of key in the sorted pairs, or where it would go. */
static uint32_t pair_pos(const account *ac, uint32_t key, int *found)
{
    uint32_t lo = 0, hi = ac->npairs;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (ac->pairs[2 * mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < ac->npairs && ac->pairs[2 * lo] == key;
    return lo;
}

static ci_status pairs_room(const ci_alloc *a, account *ac, size_t extra)
{
    size_t cap = ac->pcap;
    if (ac->npairs + extra <= cap)
        return CI_OK;
    if (ac->npairs + extra > UINT32_MAX / 4)
        return CI_ERR_LIMIT;
    ci_status st = ci_grow(a, (void **)&ac->pairs, &cap, 2 * (ac->npairs + extra), sizeof(uint32_t));
    if (st == CI_OK)
        ac->pcap = (uint32_t)(cap / 2);
    return st;
}

static void pair_add(account *ac, uint32_t key, uint32_t count)
{
    int found;
    uint32_t p = pair_pos(ac, key, &found);
    if (found) {
        uint64_t c = (uint64_t)ac->pairs[2 * p + 1] + count;
        ac->pairs[2 * p + 1] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
        return;
    }
    memmove(ac->pairs + 2 * p + 2, ac->pairs + 2 * p, (size_t)(ac->npairs - p) * 2 * sizeof(uint32_t));
    ac->pairs[2 * p] = key;
    ac->pairs[2 * p + 1] = count;
    ac->npairs++;
}

static uint32_t week_key(int64_t week)
{
    /* weeks since 1970 fit easily; keep them below the theme bit */
    int64_t k = week + 0x40000000;
    return k < 0 ? 0 : k >= (int64_t)ACC_THEME_BIT ? ACC_THEME_BIT - 1 : (uint32_t)k;
}

/* Monday-based week number of ts, or CI_TIME_NONE. */
static int64_t week_of(int64_t ts)
{
    if (ts == CI_TIME_NONE || ts < -(int64_t)1e15 || ts > (int64_t)1e15)
        return CI_TIME_NONE;
    return ci_floor_div(ci_floor_div(ts, 86400) + 3, 7);
}

ci_status ci_account_reserve(ci_analyzer *an, const ci_str *id, int64_t ts, int theme)
{
    ci_status st;
    long i = ci_strmap_find(&an->accts, id->data, id->len);
    if (i < 0) {
        if (an->accts.count >= CI_ANALYZER_MAX_SEGMENTS)
            return CI_ERR_LIMIT;
        size_t cap = an->acc_cap;
        if ((st = ci_strmap_reserve(&an->accts, 1, id->len)) != CI_OK ||
            (st = ci_grow(&an->a, (void **)&an->acc, &an->acc_cap, an->accts.count + 1,
                          sizeof(account))) != CI_OK)
            return st;
        for (size_t k = cap; k < an->acc_cap; k++)
            ci_account_init(&an->acc[k]);
        /* a new account's first pairs */
        return pairs_room(&an->a, &an->acc[an->accts.count], 2);
    }
    (void)ts;
    (void)theme;
    return pairs_room(&an->a, &an->acc[i], 2);
}

static int later(int64_t t1, double v1, int64_t t2, double v2)
{
    /* later time wins, a time beats none; at the same time (or with none on
     * either side) the lower value, so arrival order never matters */
    if (t1 == t2)
        return v1 < v2;
    if (t2 == CI_TIME_NONE)
        return 1;
    if (t1 == CI_TIME_NONE)
        return 0;
    return t1 > t2;
}

void ci_account_update(ci_analyzer *an, const ci_signal *sig, const ci_signal_result *r)
{
    size_t idx;
    int added;
    ci_strmap_put(&an->accts, sig->account_id.data, sig->account_id.len, &idx, &added);
    account *ac = &an->acc[idx];
    int64_t ts = sig->timestamp, week = week_of(ts);
    ac->n++;
    if (week != CI_TIME_NONE) {
        if (ac->first == CI_TIME_NONE || ts < ac->first)
            ac->first = ts;
        if (ac->last == CI_TIME_NONE || ts > ac->last)
            ac->last = ts;
        pair_add(ac, week_key(week), 1);
    }
    if (r->theme >= 0)
        pair_add(ac, ACC_THEME_BIT | (uint32_t)r->theme, 1);
    if (r->has_sentiment) {
        ac->sn++;
        ac->s_mean += (r->compound - ac->s_mean) / (double)ac->sn;
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            ac->intents[k] += (r->intent_flags >> k) & 1;
        if (week != CI_TIME_NONE) {
            /* co-moments of (day, compound), Welford-style */
            double x = (double)ts / 86400.0, y = r->compound;
            ac->tn++;
            double dx = x - ac->t_mean;
            ac->t_mean += dx / (double)ac->tn;
            ac->y_mean += (y - ac->y_mean) / (double)ac->tn;
            ac->c_ty += dx * (y - ac->y_mean);
            ac->m2_t += dx * (x - ac->t_mean);
            if (later(ts, y, ac->last_sent_t, ac->last_sent) || !ac->has_sent_t) {
                ac->last_sent_t = ts;
                ac->last_sent = y;
                ac->has_sent_t = 1;
            }
        }
    }
    if ((sig->has & CI_HAS_NPS) &&
        (!ac->has_nps || later(ts, sig->nps, ac->nps_t, ac->nps))) {
        ac->nps_t = ts;
        ac->nps = sig->nps;
        ac->has_nps = 1;
    }
    if ((sig->has & CI_HAS_VALUE) &&
        (!ac->has_value || later(ts, sig->value, ac->value_t, ac->value))) {
        ac->value_t = ts;
        ac->value = sig->value;
        ac->has_value = 1;
    }
}

/* Merge account b into a (room for b's pairs reserved). */
static void account_merge(account *a, const account *b)
{
    a->n += b->n;
    if (b->first != CI_TIME_NONE && (a->first == CI_TIME_NONE || b->first < a->first))
        a->first = b->first;
    if (b->last != CI_TIME_NONE && (a->last == CI_TIME_NONE || b->last > a->last))
        a->last = b->last;
    if (b->sn) {
        double n = (double)(a->sn + b->sn);
        a->s_mean += (b->s_mean - a->s_mean) * (double)b->sn / n;
        a->sn += b->sn;
    }
    if (b->tn) {
        if (!a->tn) {
            a->tn = b->tn;
            a->t_mean = b->t_mean;
            a->y_mean = b->y_mean;
            a->c_ty = b->c_ty;
            a->m2_t = b->m2_t;
        } else {
            double na = (double)a->tn, nb = (double)b->tn, n = na + nb;
            double dx = b->t_mean - a->t_mean, dy = b->y_mean - a->y_mean;
            a->c_ty += b->c_ty + dx * dy * na * nb / n;
            a->m2_t += b->m2_t + dx * dx * na * nb / n;
            a->t_mean += dx * nb / n;
            a->y_mean += dy * nb / n;
            a->tn += b->tn;
        }
    }
    if (b->has_sent_t && (!a->has_sent_t || later(b->last_sent_t, b->last_sent, a->last_sent_t, a->last_sent))) {
        a->last_sent_t = b->last_sent_t;
        a->last_sent = b->last_sent;
        a->has_sent_t = 1;
    }
    if (b->has_nps && (!a->has_nps || later(b->nps_t, b->nps, a->nps_t, a->nps))) {
        a->nps_t = b->nps_t;
        a->nps = b->nps;
        a->has_nps = 1;
    }
    if (b->has_value && (!a->has_value || later(b->value_t, b->value, a->value_t, a->value))) {
        a->value_t = b->value_t;
        a->value = b->value;
        a->has_value = 1;
    }
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        a->intents[k] += b->intents[k];
    for (uint32_t p = 0; p < b->npairs; p++)
        pair_add(a, b->pairs[2 * p], b->pairs[2 * p + 1]);
}

ci_status ci_accounts_merge(ci_analyzer *an, const ci_analyzer *other)
{
    ci_status st;
    if (!other->accts.count)
        return CI_OK;
    if (an->accts.count + other->accts.count > CI_ANALYZER_MAX_SEGMENTS)
        return CI_ERR_LIMIT;
    size_t cap = an->acc_cap;
    if ((st = ci_strmap_reserve(&an->accts, other->accts.count, other->accts.arena_len)) != CI_OK ||
        (st = ci_grow(&an->a, (void **)&an->acc, &an->acc_cap, an->accts.count + other->accts.count,
                      sizeof(account))) != CI_OK)
        return st;
    for (size_t k = cap; k < an->acc_cap; k++)
        ci_account_init(&an->acc[k]);
    /* room for every pair: existing accounts first, new ones in the order
     * they will be added (the count they will get) */
    size_t next = an->accts.count;
    for (size_t i = 0; i < other->accts.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&other->accts, i, &kl);
        long mine = ci_strmap_find(&an->accts, k, kl);
        account *ac = mine >= 0 ? &an->acc[mine] : &an->acc[next++];
        if ((st = pairs_room(&an->a, ac, other->acc[i].npairs)) != CI_OK)
            return st; /* grown buffers stay; nothing counted changed */
    }
    for (size_t i = 0; i < other->accts.count; i++) {
        size_t kl, idx;
        int added;
        const char *k = ci_strmap_key(&other->accts, i, &kl);
        ci_strmap_put(&an->accts, k, kl, &idx, &added);
        account_merge(&an->acc[idx], &other->acc[i]);
    }
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Health                                                                  */
/* ------------------------------------------------------------------------ */

CI_API const char *ci_risk_reason_name(int reason)
{
    static const char *const names[CI_RISK_COUNT] = {
        "churn_intent", "detractor", "negative_sentiment", "declining_sentiment",
        "repeat_contacts", "contact_surge"};
    return reason >= 0 && reason < CI_RISK_COUNT ? names[reason] : NULL;
}

CI_API void ci_account_health_init(ci_account_health *h)
{
    if (!h)
        return;
    memset(h, 0, sizeof *h);
    h->struct_size = sizeof *h;
    h->top_theme = -1;
    h->first_seen = h->last_seen = h->last_nps_time = CI_TIME_NONE;
}

CI_API size_t ci_analyzer_account_count(const ci_analyzer *an)
{
    return an ? an->accts.count : 0;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static void health(const ci_analyzer *an, size_t i, ci_account_health *h)
{
    const account *ac = &an->acc[i];
    ci_account_health_init(h);
    h->account_id.data = ci_strmap_key(&an->accts, i, &h->account_id.len);
    h->contacts = ac->n;
    h->first_seen = ac->first;
    h->last_seen = ac->last;
    /* contact frequency: the 4 weeks up to the latest time seen, against
     * the 12 weeks before */
    int64_t now = week_of(an->max_ts);
    uint64_t recent = 0, before = 0, repeats = 0, top = 0;
    int top_theme = -1;
    for (uint32_t p = 0; p < ac->npairs; p++) {
        uint32_t key = ac->pairs[2 * p], c = ac->pairs[2 * p + 1];
        if (key & ACC_THEME_BIT) {
            repeats += c - 1;
            if (c > top) {
                top = c;
                top_theme = (int)(key & ~ACC_THEME_BIT);
            }
        } else if (now != CI_TIME_NONE) {
            int64_t w = (int64_t)key - 0x40000000;
            if (w > now - 4 && w <= now)
                recent += c;
            else if (w > now - 16 && w <= now - 4)
                before += c;
        }
    }
    h->contacts_recent = recent;
    h->contacts_baseline = (double)before / 3.0;
    h->frequency_change = ((double)recent + 1) / (h->contacts_baseline + 1);
    h->repeat_contacts = repeats;
    h->top_theme = top_theme;
    h->top_theme_contacts = top;
    h->sentiment_n = ac->sn;
    h->sentiment_mean = ac->s_mean;
    if (ac->tn >= 3 && ac->m2_t > 1e-9)
        h->sentiment_slope = ac->c_ty / ac->m2_t * 30.0;
    h->sentiment_last = ac->has_sent_t ? ac->last_sent : ac->s_mean;
    h->has_nps = ac->has_nps;
    h->last_nps = ac->nps;
    h->last_nps_time = ac->nps_t;
    h->churn_mentions = ac->intents[CI_INTENT_CHURN];
    h->has_value = ac->has_value;
    h->value = ac->value;

    /* Contributions.  Each is what that reason alone would make the risk:
     * one churn mention is serious (0.45), two very (0.70); a 0 NPS alone
     * is 0.5; the others are supporting evidence that cannot reach 0.4
     * alone. */
    double c[CI_RISK_COUNT] = {0};
    if (h->churn_mentions)
        c[CI_RISK_CHURN_INTENT] = 0.9 * (1 - pow(0.5, (double)h->churn_mentions));
    if (ac->has_nps && ac->nps <= 6)
        c[CI_RISK_DETRACTOR] = 0.5 * (7 - ac->nps) / 7;
    if (ac->sn >= 2 && ac->s_mean < -0.05)
        c[CI_RISK_NEGATIVE_SENTIMENT] = 0.35 * clamp01((-ac->s_mean) / 0.5);
    if (h->sentiment_slope < 0 && ac->tn >= 3)
        c[CI_RISK_DECLINING_SENTIMENT] = 0.3 * clamp01(-h->sentiment_slope / 0.5);
    if (repeats)
        c[CI_RISK_REPEAT_CONTACTS] = 0.35 * clamp01((double)repeats / 6.0);
    if (recent >= 3 && h->frequency_change > 1.5)
        c[CI_RISK_CONTACT_SURGE] = 0.3 * clamp01((h->frequency_change - 1.5) / 3.0);
    double keep = 1;
    for (int k = 0; k < CI_RISK_COUNT; k++) {
        h->reason_weight[k] = c[k];
        keep *= 1 - c[k];
        if (c[k] >= 0.05)
            h->reasons |= 1u << k;
    }
    h->churn_risk = 1 - keep;
}

CI_API ci_status ci_analyzer_account(const ci_analyzer *an, size_t i, ci_account_health *h)
{
    if (!an || !h)
        return CI_ERR_INVALID;
    if (h->struct_size < sizeof(ci_account_health))
        return CI_ERR_STRUCT_SIZE;
    if (i >= an->accts.count)
        return CI_ERR_NOT_FOUND;
    health(an, i, h);
    return CI_OK;
}

CI_API ci_status ci_analyzer_find_account(const ci_analyzer *an, const char *id, size_t len,
                                          size_t *index)
{
    if (!an || !index || (!id && len))
        return CI_ERR_INVALID;
    long i = ci_strmap_find(&an->accts, id ? id : "", len);
    if (i < 0)
        return CI_ERR_NOT_FOUND;
    *index = (size_t)i;
    return CI_OK;
}

typedef struct ranked {
    double risk, value;
    const char *id;
    size_t len, idx;
} ranked;

static int by_risk(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->risk != b->risk)
        return a->risk > b->risk ? -1 : 1;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    size_t l = a->len < b->len ? a->len : b->len;
    int c = l ? memcmp(a->id, b->id, l) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

CI_API ci_status ci_analyzer_riskiest(const ci_analyzer *an, size_t k, size_t *idx, size_t *n)
{
    if (!an || !n || (k && !idx))
        return CI_ERR_INVALID;
    *n = 0;
    size_t na = an->accts.count;
    if (!na || !k)
        return CI_OK;
    ranked *r = ci_malloc(&an->a, na * sizeof *r);
    if (!r)
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < na; i++) {
        ci_account_health h;
        health(an, i, &h);
        r[i].risk = h.churn_risk;
        r[i].value = h.has_value ? h.value : 0;
        r[i].id = h.account_id.data;
        r[i].len = h.account_id.len;
        r[i].idx = i;
    }
    qsort(r, na, sizeof *r, by_risk);
    size_t m = k < na ? k : na;
    for (size_t i = 0; i < m; i++)
        idx[i] = r[i].idx;
    *n = m;
    ci_dealloc(&an->a, r);
    return CI_OK;
}
