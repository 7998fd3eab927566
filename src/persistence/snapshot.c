/* SPDX-License-Identifier: MIT */
/*
 * Analyzer snapshots: the state of record (configuration, cells, examples,
 * accounts) in the shared container.  The summary is not stored: it is
 * rebuilt from the cells on first read.
 *
 * Loading trusts nothing: every count is checked against what remains of
 * the payload, every index against its table, every statistic for internal
 * consistency, so a corrupt snapshot fails with CI_ERR_FORMAT and never
 * yields an analyzer that reports impossible numbers.
 */
#include <math.h>
#include <string.h>

#include "../common/diag-priv.h"
#include "../segments/segments-priv.h"
#include "persist-priv.h"

#define SNAP_MAGIC "CISNAP\0\0"
#define SNAP_VERSION 1u

static void put_welford(ci_wbuf *w, const welford *x)
{
    ci_put_u64(w, x->n);
    ci_put_f64(w, x->mean);
    ci_put_f64(w, x->m2);
}

static void put_stats(ci_wbuf *w, const stats *s)
{
    ci_put_u64(w, s->count);
    ci_put_u64(w, s->nps_n);
    ci_put_u64(w, s->nps_pro);
    ci_put_u64(w, s->nps_pas);
    ci_put_u64(w, s->nps_det);
    ci_put_u64(w, s->csat_n);
    ci_put_u64(w, s->csat_sat);
    put_welford(w, &s->ces);
    put_welford(w, &s->sent);
    ci_put_u64(w, s->texts);
    ci_put_u32(w, CI_INTENT_COUNT);
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        ci_put_u64(w, s->intents[k]);
    ci_put_u64(w, s->value_n);
    xsum v;
    ci_es_partials(&s->value, &v);
    ci_put_u32(w, v.n);
    for (int k = 0; k < v.n; k++)
        ci_put_f64(w, v.p[k]);
}

CI_API ci_status ci_analyzer_save(const ci_analyzer *an, char **data, size_t *len)
{
    if (!an || !data || !len)
        return CI_ERR_INVALID;
    *data = NULL;
    *len = 0;
    ci_wbuf w;
    ci_wbuf_init(&w, &an->a);
    ci_put_u32(&w, (uint32_t)an->ndims);
    for (size_t d = 0; d < an->ndims; d++) {
        size_t kl;
        const char *k = ci_strmap_key(&an->dims, d, &kl);
        ci_put_str(&w, k, kl);
    }
    ci_put_u32(&w, an->max_depth);
    ci_put_u32(&w, an->buckets);
    ci_put_u64(&w, an->ntheme);
    ci_put_u64(&w, (uint64_t)an->max_ts);
    ci_put_u64(&w, an->combos.count);
    for (size_t c = 0; c < an->combos.count; c++) {
        size_t kl;
        const char *k = ci_strmap_key(&an->combos, c, &kl);
        ci_put_str(&w, k, kl);
        const example_list *l = &an->cex[c];
        ci_put_u32(&w, l->n);
        for (uint32_t j = 0; j < l->n; j++) {
            ci_put_f64(&w, l->items[j].compound);
            ci_put_u32(&w, (uint32_t)l->items[j].theme);
            ci_put_str(&w, l->items[j].text, l->items[j].len);
        }
    }
    ci_put_u64(&w, an->cells.count);
    for (size_t c = 0; c < an->cells.count; c++) {
        ci_put_u64(&w, an->ckey[c]);
        stats cs;
        ci_cell_get(an, c, &cs);
        put_stats(&w, &cs);
        /* theme counts, sparse: most cells see few themes */
        uint32_t nz = 0;
        for (size_t t = 0; t < an->ntheme; t++)
            nz += an->ctheme[c * an->ntheme + t] != 0;
        ci_put_u32(&w, nz);
        for (size_t t = 0; t < an->ntheme; t++) {
            uint64_t v = an->ctheme[c * an->ntheme + t];
            if (v) {
                ci_put_u32(&w, (uint32_t)t);
                ci_put_u64(&w, v);
            }
        }
    }
    ci_put_u64(&w, an->accts.count);
    for (size_t i = 0; i < an->accts.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&an->accts, i, &kl);
        const account *ac = &an->acc[i];
        ci_put_str(&w, k, kl);
        ci_put_u64(&w, ac->n);
        ci_put_u64(&w, (uint64_t)ac->first);
        ci_put_u64(&w, (uint64_t)ac->last);
        ci_put_u64(&w, ac->sn);
        ci_put_f64(&w, ac->s_mean);
        ci_put_u64(&w, ac->tn);
        ci_put_f64(&w, ac->t_mean);
        ci_put_f64(&w, ac->y_mean);
        ci_put_f64(&w, ac->c_ty);
        ci_put_f64(&w, ac->m2_t);
        ci_put_u64(&w, (uint64_t)ac->last_sent_t);
        ci_put_f64(&w, ac->last_sent);
        ci_put_u64(&w, (uint64_t)ac->nps_t);
        ci_put_f64(&w, ac->nps);
        ci_put_u64(&w, (uint64_t)ac->value_t);
        ci_put_f64(&w, ac->value);
        ci_put_u32(&w, (uint32_t)ac->has_nps | (uint32_t)ac->has_value << 1 |
                           (uint32_t)ac->has_sent_t << 2);
        ci_put_u32(&w, CI_INTENT_COUNT);
        for (int k2 = 0; k2 < CI_INTENT_COUNT; k2++)
            ci_put_u32(&w, ac->intents[k2]);
        ci_put_u32(&w, ac->npairs);
        for (uint32_t p = 0; p < 2 * ac->npairs; p++)
            ci_put_u32(&w, ac->pairs[p]);
    }
    ci_status st = CI_OK;
    if (w.err)
        st = CI_ERR_NOMEM;
    else
        st = ci_container_seal(&an->a, SNAP_MAGIC, SNAP_VERSION, w.p, w.n, data, len);
    ci_dealloc(&an->a, w.p);
    return st;
}

CI_API ci_status ci_analyzer_save_file(const ci_analyzer *an, const char *path)
{
    if (!an || !path)
        return CI_ERR_INVALID;
    char *data;
    size_t len;
    ci_status st = ci_analyzer_save(an, &data, &len);
    if (st != CI_OK)
        return st;
    st = ci_write_file_atomic(&an->a, path, data, len);
    ci_free(data);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Loading                                                                 */
/* ------------------------------------------------------------------------ */

static int get_welford(ci_rbuf *r, welford *x)
{
    x->n = ci_get_u64(r);
    x->mean = ci_get_f64(r);
    x->m2 = ci_get_f64(r);
    return !r->err && isfinite(x->mean) && isfinite(x->m2) && x->m2 >= 0 && (x->n || (x->mean == 0 && x->m2 == 0));
}

static int get_stats(ci_rbuf *r, stats *s)
{
    memset(s, 0, sizeof *s);
    s->count = ci_get_u64(r);
    s->nps_n = ci_get_u64(r);
    s->nps_pro = ci_get_u64(r);
    s->nps_pas = ci_get_u64(r);
    s->nps_det = ci_get_u64(r);
    s->csat_n = ci_get_u64(r);
    s->csat_sat = ci_get_u64(r);
    if (!get_welford(r, &s->ces) || !get_welford(r, &s->sent))
        return 0;
    s->texts = ci_get_u64(r);
    if (ci_get_u32(r) != CI_INTENT_COUNT)
        return 0;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        if ((s->intents[k] = ci_get_u64(r)) > s->sent.n)
            return 0;
    s->value_n = ci_get_u64(r);
    uint32_t n = ci_get_u32(r);
    if (n > XS_MAX)
        return 0;
    memset(&s->value, 0, sizeof s->value);
    for (uint32_t k = 0; k < n; k++) {
        double p = ci_get_f64(r);
        if (!isfinite(p))
            return 0;
        ci_es_add(&s->value, p);
    }
    /* counts must hang together (each part checked against its whole first,
     * so the sum cannot wrap), and means must lie on their scales */
    return !r->err && s->count && s->count <= ((uint64_t)1 << 62) && s->nps_n <= s->count &&
           s->nps_pro <= s->nps_n && s->nps_pas <= s->nps_n && s->nps_det <= s->nps_n &&
           s->nps_pro + s->nps_pas + s->nps_det == s->nps_n && s->csat_sat <= s->csat_n &&
           s->csat_n <= s->count && s->ces.n <= s->count && s->sent.n <= s->texts &&
           s->texts <= s->count && s->value_n <= s->count &&
           (!s->ces.n || (s->ces.mean >= 1 && s->ces.mean <= 7 && s->ces.m2 <= 36.0 * (double)s->ces.n)) &&
           (!s->sent.n || (s->sent.mean >= -1 && s->sent.mean <= 1 && s->sent.m2 <= 4.0 * (double)s->sent.n));
}

#define BAD(msg) do { st = ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, (long long)r.pos, "snapshot: %s", msg); goto done; } while (0)

static ci_status parse(const ci_alloc *a, const unsigned char *p, size_t n,
                       const ci_analyzer_options *o, ci_analyzer **out, ci_diag *diag)
{
    ci_rbuf r;
    ci_rbuf_init(&r, p, n);
    ci_status st = CI_OK;
    ci_analyzer *an = NULL;
    ci_str dims[CI_ANALYZER_MAX_DIMENSIONS];
    uint32_t ndims = ci_get_u32(&r);
    if (ndims > CI_ANALYZER_MAX_DIMENSIONS)
        BAD("too many dimensions");
    for (uint32_t d = 0; d < ndims; d++)
        dims[d] = ci_get_str(&r);
    uint32_t depth = ci_get_u32(&r), buckets = ci_get_u32(&r);
    uint64_t ntheme = ci_get_u64(&r);
    int64_t max_ts = (int64_t)ci_get_u64(&r);
    if (r.err)
        BAD("truncated configuration");
    if (ntheme > CI_ANALYZER_MAX_THEMES)
        BAD("implausible theme count");
    if (o && o->themes && ci_theme_model_count(o->themes) != ntheme) {
        st = ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0,
                         "the snapshot has %llu themes, the model %zu",
                         (unsigned long long)ntheme, ci_theme_model_count(o->themes));
        goto done;
    }
    st = ci_analyzer_create(a, dims, ndims, depth, buckets, o ? o->lexicon : NULL,
                            o ? o->vader_compat : 0, o && o->lexicon ? o->themes : NULL,
                            (size_t)ntheme, &an);
    if (st == CI_ERR_INVALID || st == CI_ERR_LIMIT) {
        st = ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, 0, "snapshot: bad configuration");
        goto done;
    }
    if (st != CI_OK)
        goto done;
    if (an->max_depth != depth && depth != 0)
        BAD("bad depth");
    an->ntheme = (size_t)ntheme;
    an->max_ts = max_ts;
    /* combinations */
    uint64_t ncombo = ci_get_u64(&r);
    if (r.err || ncombo > n / 8 + 1)
        BAD("implausible number of combinations");
    if ((st = ci_grow(a, (void **)&an->cex, &an->cex_cap, (size_t)ncombo + 1, sizeof(example_list))) != CI_OK)
        goto done;
    memset(an->cex, 0, an->cex_cap * sizeof(example_list));
    for (uint64_t c = 0; c < ncombo; c++) {
        ci_str k = ci_get_str(&r);
        if (r.err)
            BAD("truncated combination");
        /* the key must be ndims length-prefixed values, exactly */
        size_t off = 0;
        for (uint32_t d = 0; d < ndims; d++) {
            if (k.len - off < 4)
                BAD("malformed combination");
            uint32_t l;
            memcpy(&l, k.data + off, 4);
            off += 4;
            if (l > k.len - off)
                BAD("malformed combination");
            off += l;
        }
        if (off != k.len)
            BAD("malformed combination");
        size_t idx;
        int added;
        if ((st = ci_strmap_put(&an->combos, k.data, k.len, &idx, &added)) != CI_OK)
            goto done;
        if (!added)
            BAD("duplicate combination");
        uint32_t nex = ci_get_u32(&r);
        if (nex > CI_ANALYZER_EXAMPLES)
            BAD("too many examples");
        example_list *l = &an->cex[idx];
        if (nex && !(l->items = ci_malloc(a, CI_ANALYZER_EXAMPLES * sizeof(example)))) {
            st = CI_ERR_NOMEM;
            goto done;
        }
        for (uint32_t j = 0; j < nex; j++) {
            example e;
            e.compound = ci_get_f64(&r);
            e.theme = (int32_t)ci_get_u32(&r);
            ci_str t = ci_get_str(&r);
            if (r.err || !isfinite(e.compound) || e.compound < -1 || e.compound > 1 ||
                e.theme < -1 || (e.theme >= 0 && (uint64_t)e.theme >= ntheme) || !t.len ||
                t.len > CI_ANALYZER_EXAMPLE_BYTES)
                BAD("malformed example");
            if (j && !ci_example_before(l->items[j - 1].compound, l->items[j - 1].text,
                                        l->items[j - 1].len, &(example){e.compound, 0, (uint32_t)t.len, (char *)(uintptr_t)t.data}))
                BAD("examples out of order");
            e.len = (uint32_t)t.len;
            if (!(e.text = ci_malloc(a, t.len))) {
                st = CI_ERR_NOMEM;
                goto done;
            }
            memcpy(e.text, t.data, t.len);
            l->items[l->n++] = e;
        }
    }
    /* cells */
    uint64_t ncell = ci_get_u64(&r);
    if (r.err || ncell > n / 64 + 1)
        BAD("implausible number of cells");
    size_t kcap = 0;
    if ((st = ci_u64map_reserve(&an->cells, a, (size_t)ncell)) != CI_OK ||
        (st = ci_cells_reserve(an, (size_t)ncell + 1)) != CI_OK ||
        (st = ci_grow(a, (void **)&an->ckey, &kcap, an->cst_cap, sizeof(uint64_t))) != CI_OK)
        goto done;
    if (ntheme) {
        size_t need = ((size_t)ncell + 1) * (size_t)ntheme;
        if (need / (size_t)ntheme != (size_t)ncell + 1)
            BAD("implausible size");
        if ((st = ci_grow(a, (void **)&an->ctheme, &an->ctheme_cap, need, sizeof(uint64_t))) != CI_OK)
            goto done;
        memset(an->ctheme, 0, an->ctheme_cap * sizeof(uint64_t));
    }
    for (uint64_t c = 0; c < ncell; c++) {
        uint64_t key = ci_get_u64(&r);
        if ((key >> 32) >= ncombo)
            BAD("cell of an unknown combination");
        if ((uint32_t)key != UINT32_MAX && !buckets)
            BAD("timed cell without buckets");
        int added;
        uint32_t cell = ci_u64map_put(&an->cells, key, (uint32_t)an->cells.count, &added);
        if (!added)
            BAD("duplicate cell");
        an->ckey[cell] = key;
        stats cs;
        if (!get_stats(&r, &cs))
            BAD("malformed cell statistics");
        if ((st = ci_cell_set(an, cell, &cs)) != CI_OK)
            goto done;
        uint32_t nz = ci_get_u32(&r);
        if (nz > ntheme)
            BAD("malformed theme counts");
        uint64_t sum = 0;
        for (uint32_t j = 0; j < nz; j++) {
            uint32_t t = ci_get_u32(&r);
            uint64_t v = ci_get_u64(&r);
            if (r.err || t >= ntheme || !v || an->ctheme[(size_t)cell * ntheme + t])
                BAD("malformed theme counts");
            an->ctheme[(size_t)cell * ntheme + t] = v;
            sum += v;
        }
        if (sum > cs.texts)
            BAD("more themed texts than texts");
    }
    /* every combination was made by some signal, so it has a cell */
    {
        unsigned char *seen = ci_calloc(a, (size_t)ncombo + 1, 1);
        if (!seen) {
            st = CI_ERR_NOMEM;
            goto done;
        }
        for (size_t c = 0; c < an->cells.count; c++)
            seen[an->ckey[c] >> 32] = 1;
        int orphan = 0;
        for (uint64_t c = 0; c < ncombo; c++)
            orphan |= !seen[c];
        ci_dealloc(a, seen);
        if (orphan)
            BAD("a combination without any cell");
    }
    /* accounts */
    uint64_t nacc = ci_get_u64(&r);
    if (r.err || nacc > n / 64 + 1)
        BAD("implausible number of accounts");
    if (nacc) {
        if ((st = ci_grow(a, (void **)&an->acc, &an->acc_cap, (size_t)nacc, sizeof(account))) != CI_OK)
            goto done;
        for (size_t k = 0; k < an->acc_cap; k++)
            ci_account_init(&an->acc[k]); /* spare slots too: accounts added later start there */
    }
    for (uint64_t i = 0; i < nacc; i++) {
        ci_str k = ci_get_str(&r);
        if (r.err || !k.len || k.len > CI_SIGNAL_MAX_FIELD)
            BAD("malformed account id");
        size_t idx;
        int added;
        if ((st = ci_strmap_put(&an->accts, k.data, k.len, &idx, &added)) != CI_OK)
            goto done;
        if (!added)
            BAD("duplicate account");
        account *ac = &an->acc[idx];
        ac->n = ci_get_u64(&r);
        ac->first = (int64_t)ci_get_u64(&r);
        ac->last = (int64_t)ci_get_u64(&r);
        ac->sn = ci_get_u64(&r);
        ac->s_mean = ci_get_f64(&r);
        ac->tn = ci_get_u64(&r);
        ac->t_mean = ci_get_f64(&r);
        ac->y_mean = ci_get_f64(&r);
        ac->c_ty = ci_get_f64(&r);
        ac->m2_t = ci_get_f64(&r);
        ac->last_sent_t = (int64_t)ci_get_u64(&r);
        ac->last_sent = ci_get_f64(&r);
        ac->nps_t = (int64_t)ci_get_u64(&r);
        ac->nps = ci_get_f64(&r);
        ac->value_t = (int64_t)ci_get_u64(&r);
        ac->value = ci_get_f64(&r);
        uint32_t flags = ci_get_u32(&r);
        ac->has_nps = flags & 1;
        ac->has_value = (flags >> 1) & 1;
        ac->has_sent_t = (flags >> 2) & 1;
        if (ci_get_u32(&r) != CI_INTENT_COUNT)
            BAD("malformed account");
        for (int k2 = 0; k2 < CI_INTENT_COUNT; k2++)
            ac->intents[k2] = ci_get_u32(&r);
        uint32_t np = ci_get_u32(&r);
        double f[] = {ac->s_mean, ac->t_mean, ac->y_mean, ac->c_ty, ac->m2_t, ac->last_sent, ac->nps, ac->value};
        int ok = !r.err && ac->n && ac->sn <= ac->n && ac->tn <= ac->sn && (flags >> 3) == 0 &&
                 np <= r.n - r.pos && (!ac->has_nps || (ac->nps >= 0 && ac->nps <= 10)) &&
                 ac->m2_t >= 0;
        for (size_t j = 0; j < sizeof f / sizeof f[0]; j++)
            ok = ok && isfinite(f[j]);
        if (!ok)
            BAD("malformed account");
        size_t pcap = 0;
        if (np && (st = ci_grow(a, (void **)&ac->pairs, &pcap, 2 * (size_t)np, sizeof(uint32_t))) != CI_OK)
            goto done;
        ac->pcap = (uint32_t)(pcap / 2);
        uint64_t weeks = 0, themed = 0; /* contacts counted by week, and by theme */
        for (uint32_t j = 0; j < np; j++) {
            ac->pairs[2 * j] = ci_get_u32(&r);
            ac->pairs[2 * j + 1] = ci_get_u32(&r);
            ac->npairs = j + 1;
            if (r.err || !ac->pairs[2 * j + 1] || (j && ac->pairs[2 * j] <= ac->pairs[2 * j - 2]) ||
                ((ac->pairs[2 * j] & ACC_THEME_BIT) && (ac->pairs[2 * j] & ~ACC_THEME_BIT) >= ntheme))
                BAD("malformed account history");
            if (ac->pairs[2 * j] & ACC_THEME_BIT)
                themed += ac->pairs[2 * j + 1];
            else
                weeks += ac->pairs[2 * j + 1];
        }
        /* each contact is in one week at most and has one theme at most */
        if (weeks > ac->n || themed > ac->n)
            BAD("account history counts more contacts than the account has");
    }
    if (r.pos != r.n)
        BAD("trailing bytes");
    an->dirty = 1;
done:
    if (st != CI_OK) {
        ci_analyzer_free(an);
        return st;
    }
    *out = an;
    return CI_OK;
}

CI_API ci_status ci_analyzer_load(const char *data, size_t len, const ci_analyzer_options *opts,
                                  const ci_allocator *alloc, ci_analyzer **out, ci_diag *diag)
{
    if (!out)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "out is NULL");
    *out = NULL;
    if (!data && len)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "data is NULL");
    if (opts && opts->struct_size < sizeof(ci_analyzer_options))
        return CI_ERR_STRUCT_SIZE;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "bad allocator");
    unsigned char *payload;
    size_t plen;
    ci_status st = ci_container_open(&a, data, len, SNAP_MAGIC, "analyzer snapshot", SNAP_VERSION,
                                     &payload, &plen, NULL, diag);
    if (st == CI_OK) {
        st = parse(&a, payload, plen, opts, out, diag);
        ci_dealloc(&a, payload);
    }
    if (st == CI_ERR_NOMEM) /* the steps that ran out of memory left diag unset */
        ci_diag_set(diag, st, -1, -1, 0, "out of memory");
    if (st == CI_OK && diag && diag->struct_size >= sizeof(ci_diag))
        ci_diag_init(diag);
    return st;
}

CI_API ci_status ci_analyzer_load_file(const char *path, const ci_analyzer_options *opts,
                                       const ci_allocator *alloc, ci_analyzer **out,
                                       ci_diag *diag)
{
    if (!out || !path)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    *out = NULL;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    char *buf;
    size_t n;
    ci_status st = ci_read_file(&a, path, (size_t)1 << 34, &buf, &n, diag);
    if (st == CI_OK)
        st = ci_analyzer_load(buf, n, opts, alloc, out, diag);
    ci_dealloc(&a, buf);
    if (st == CI_ERR_NOMEM) /* the steps that ran out of memory left diag unset */
        ci_diag_set(diag, st, -1, -1, 0, "out of memory");
    return st;
}
