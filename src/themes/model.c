/* SPDX-License-Identifier: MIT */
/* The fitted theme model: accessors, assignment, merging, persistence. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../common/diag-priv.h"
#include "../persistence/persist-priv.h"
#include "themes-priv.h"

ci_status ci_model_pool_add(ci_theme_model *m, const char *s, size_t n, uint32_t *off)
{
    if (m->pool_len + n > UINT32_MAX)
        return CI_ERR_LIMIT;
    ci_status st = ci_grow(&m->a, (void **)&m->pool, &m->pool_cap, m->pool_len + n + 1, 1);
    if (st != CI_OK)
        return st;
    if (n)
        memcpy(m->pool + m->pool_len, s, n);
    *off = (uint32_t)m->pool_len;
    m->pool_len += n;
    return CI_OK;
}

CI_API void ci_theme_model_free(ci_theme_model *m)
{
    if (!m)
        return;
    ci_alloc a = m->a;
    ci_strmap_free(&m->vocab);
    ci_dealloc(&a, m->idf);
    ci_dealloc(&a, m->proj);
    ci_dealloc(&a, m->centroids);
    ci_dealloc(&a, m->themes);
    ci_dealloc(&a, m->terms);
    ci_dealloc(&a, m->examples);
    ci_dealloc(&a, m->pool);
    ci_dealloc(&a, m);
}

CI_API size_t ci_theme_model_count(const ci_theme_model *m)
{
    return m ? m->k : 0;
}

CI_API void ci_theme_info_init(ci_theme_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
}

CI_API ci_status ci_theme_model_info(const ci_theme_model *m, size_t i, ci_theme_info *info)
{
    if (!m || !info)
        return CI_ERR_INVALID;
    if (info->struct_size < sizeof(ci_theme_info))
        return CI_ERR_STRUCT_SIZE;
    if (i >= m->k)
        return CI_ERR_NOT_FOUND;
    const theme_rec *t = &m->themes[i];
    info->label = m->pool + t->label_off;
    info->label_len = t->label_len;
    info->size = (size_t)t->size;
    info->n_terms = t->n_terms;
    info->n_examples = t->n_examples;
    return CI_OK;
}

CI_API ci_status ci_theme_model_term(const ci_theme_model *m, size_t i, size_t j,
                                     const char **term, size_t *len, double *weight)
{
    if (!m || !term || !len)
        return CI_ERR_INVALID;
    if (i >= m->k || j >= m->themes[i].n_terms)
        return CI_ERR_NOT_FOUND;
    const theme_term *t = &m->terms[m->themes[i].first_term + j];
    *term = m->pool + t->off;
    *len = t->len;
    if (weight)
        *weight = t->weight;
    return CI_OK;
}

CI_API ci_status ci_theme_model_example(const ci_theme_model *m, size_t i, size_t j,
                                        const char **text, size_t *len, double *similarity)
{
    if (!m || !text || !len)
        return CI_ERR_INVALID;
    if (i >= m->k || j >= m->themes[i].n_examples)
        return CI_ERR_NOT_FOUND;
    const theme_example *e = &m->examples[m->themes[i].first_example + j];
    *text = m->pool + e->off;
    *len = e->len;
    if (similarity)
        *similarity = e->sim;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Assignment                                                              */
/* ------------------------------------------------------------------------ */

typedef struct window {
    int64_t start;
    uint64_t total, unassigned;
} window;

struct ci_theme_assigner {
    ci_alloc a;
    const ci_theme_model *m;
    ci_featurizer fz;
    int64_t window_seconds;
    float *z;            /* d */
    uint32_t *cols;      /* the text's columns */
    float *vals;
    size_t cap;
    uint32_t *pos;       /* per vocabulary column: its index in cols + 1, or 0
                            (0 again after each text), so counting a text's
                            terms is linear in its length, not times its
                            distinct terms */
    window *win;         /* sorted by start */
    size_t nwin, win_cap;
    float *ct;           /* centroids transposed (d x k), or NULL: see nearest() */
    double *acc;         /* k similarities */
};

CI_API ci_status ci_theme_assigner_new(const ci_theme_model *m, int64_t window_seconds,
                                       const ci_allocator *alloc, ci_theme_assigner **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    if (!m || window_seconds < 0)
        return CI_ERR_INVALID;
    ci_alloc a = m->a;
    if (alloc && ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    ci_theme_assigner *s = ci_calloc(&a, 1, sizeof *s);
    if (!s)
        return CI_ERR_NOMEM;
    s->a = a;
    s->m = m;
    s->window_seconds = window_seconds ? window_seconds : 86400;
    s->z = ci_calloc(&a, m->d + 1, sizeof(float));
    s->pos = ci_calloc(&a, m->vocab.count + 1, sizeof(uint32_t));
    ci_status st = s->z && s->pos ? CI_OK : CI_ERR_NOMEM;
    if (st == CI_OK && (m->proj || m->vector_mode) && m->k) {
        /* dense, short vectors (LSA or the host's embeddings): worth a
         * transposed copy, so that nearest() runs across centroids */
        s->ct = ci_malloc(&a, m->k * m->d * sizeof(float) + 1);
        s->acc = ci_malloc(&a, m->k * sizeof(double));
        if (s->ct && s->acc) {
            for (size_t j = 0; j < m->k; j++)
                for (size_t t = 0; t < m->d; t++)
                    s->ct[t * m->k + j] = m->centroids[j * m->d + t];
        } else {
            st = CI_ERR_NOMEM;
        }
    }
    if (st == CI_OK && !m->vector_mode)
        st = ci_featurizer_init(&s->fz, &a, m->stem, m->bigrams);
    if (st != CI_OK) {
        ci_dealloc(&a, s->z);
        ci_dealloc(&a, s->pos);
        ci_dealloc(&a, s->ct);
        ci_dealloc(&a, s->acc);
        ci_dealloc(&a, s);
        return st;
    }
    *out = s;
    return CI_OK;
}

CI_API void ci_theme_assigner_free(ci_theme_assigner *s)
{
    if (!s)
        return;
    ci_alloc a = s->a;
    if (!s->m->vector_mode)
        ci_featurizer_free(&s->fz);
    ci_dealloc(&a, s->z);
    ci_dealloc(&a, s->pos);
    ci_dealloc(&a, s->cols);
    ci_dealloc(&a, s->vals);
    ci_dealloc(&a, s->win);
    ci_dealloc(&a, s->ct);
    ci_dealloc(&a, s->acc);
    ci_dealloc(&a, s);
}

static ci_status count_window(ci_theme_assigner *s, int64_t ts, int unassigned)
{
    if (ts == CI_TIME_NONE)
        return CI_OK;
    int64_t w = s->window_seconds;
    /* floor division without negating ts (which overflows at INT64_MIN);
     * |q * w| <= |ts|, so the product cannot overflow either */
    int64_t q = ts / w;
    if (ts % w < 0)
        q--;
    if (q < INT64_MIN / w)
        return CI_ERR_RANGE; /* its window would start before INT64_MIN */
    int64_t start = q * w;
    size_t lo = 0, hi = s->nwin;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->win[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->nwin || s->win[lo].start != start) {
        ci_status st = ci_grow(&s->a, (void **)&s->win, &s->win_cap, s->nwin + 1, sizeof *s->win);
        if (st != CI_OK)
            return st;
        memmove(s->win + lo + 1, s->win + lo, (s->nwin - lo) * sizeof *s->win);
        s->win[lo].start = start;
        s->win[lo].total = s->win[lo].unassigned = 0;
        s->nwin++;
    }
    s->win[lo].total++;
    s->win[lo].unassigned += unassigned != 0;
    return CI_OK;
}

/* The centroid most similar to z.  Each similarity is a sum over t in
 * order, in double; with the transposed copy the loop runs across
 * centroids, so the k sums advance side by side (no chain of dependent
 * adds, and it vectorizes) while each one still adds the same terms in the
 * same order: the results are the same to the bit. */
static void nearest(ci_theme_assigner *s, const float *z, int *theme, double *sim)
{
    const ci_theme_model *m = s->m;
    int best = -1;
    double bs = -2;
    if (s->ct) {
        double *acc = s->acc;
        for (size_t j = 0; j < m->k; j++)
            acc[j] = 0;
        for (size_t t = 0; t < m->d; t++) {
            double zt = z[t];
            const float *row = s->ct + t * m->k;
            for (size_t j = 0; j < m->k; j++)
                acc[j] += zt * row[j];
        }
        for (size_t j = 0; j < m->k; j++)
            if (acc[j] > bs) {
                bs = acc[j];
                best = (int)j;
            }
    } else {
        for (size_t j = 0; j < m->k; j++) {
            const float *c = m->centroids + j * m->d;
            double v = 0;
            for (size_t t = 0; t < m->d; t++)
                v += (double)z[t] * c[t];
            if (v > bs) {
                bs = v;
                best = (int)j;
            }
        }
    }
    *sim = bs < -1 ? 0 : bs;
    *theme = bs >= m->min_similarity ? best : -1;
}

CI_API ci_status ci_theme_assign(ci_theme_assigner *s, const char *text, size_t len,
                                 int64_t timestamp, int *theme, double *similarity)
{
    if (!s || !theme || (!text && len))
        return CI_ERR_INVALID;
    const ci_theme_model *m = s->m;
    if (m->vector_mode)
        return CI_ERR_STATE;
    ci_status st = ci_featurize(&s->fz, text ? text : "", len);
    if (st != CI_OK)
        return st;
    const ci_featurizer *f = &s->fz;
    if (f->n > s->cap) {
        size_t c1 = s->cap, c2 = s->cap;
        if ((st = ci_grow(&s->a, (void **)&s->cols, &c1, f->n, sizeof *s->cols)) != CI_OK ||
            (st = ci_grow(&s->a, (void **)&s->vals, &c2, f->n, sizeof *s->vals)) != CI_OK)
            return st;
        s->cap = c1 < c2 ? c1 : c2;
    }
    /* sublinear TF-IDF over the model's vocabulary */
    size_t nz = 0;
    for (size_t i = 0; i < f->n; i++) {
        long c = ci_strmap_find(&m->vocab, f->buf + f->off[i], f->len[i]);
        if (c < 0)
            continue;
        if (!s->pos[c]) { /* first occurrence: columns stay in text order */
            s->cols[nz] = (uint32_t)c;
            s->vals[nz++] = 0;
            s->pos[c] = (uint32_t)nz;
        }
        s->vals[s->pos[c] - 1] += 1;
    }
    for (size_t k = 0; k < nz; k++)
        s->pos[s->cols[k]] = 0;
    double ss = 0;
    for (size_t k = 0; k < nz; k++) {
        s->vals[k] = (1.0f + logf(s->vals[k])) * m->idf[s->cols[k]];
        ss += (double)s->vals[k] * s->vals[k];
    }
    double sim = 0;
    int th = -1;
    if (nz) {
        memset(s->z, 0, m->d * sizeof(float));
        for (size_t k = 0; k < nz; k++) {
            float v = (float)(s->vals[k] / sqrt(ss));
            if (m->proj) {
                const float *p = m->proj + (size_t)s->cols[k] * m->d;
                for (size_t t = 0; t < m->d; t++)
                    s->z[t] += v * p[t];
            } else {
                s->z[s->cols[k]] = v;
            }
        }
        double zz = 0;
        for (size_t t = 0; t < m->d; t++)
            zz += (double)s->z[t] * s->z[t];
        if (zz > 0) {
            ci_scale_unit(s->z, m->d, zz);
            nearest(s, s->z, &th, &sim);
        }
    }
    if ((st = count_window(s, timestamp, th < 0)) != CI_OK)
        return st;
    *theme = th;
    if (similarity)
        *similarity = sim;
    return CI_OK;
}

CI_API ci_status ci_theme_assign_vector(ci_theme_assigner *s, const float *vec, size_t dims,
                                        int64_t timestamp, int *theme, double *similarity)
{
    if (!s || !vec || !theme)
        return CI_ERR_INVALID;
    const ci_theme_model *m = s->m;
    if (!m->vector_mode)
        return CI_ERR_STATE;
    if (dims != m->d)
        return CI_ERR_RANGE;
    double ss = 0;
    for (size_t i = 0; i < dims; i++) {
        if (!isfinite(vec[i]))
            return CI_ERR_NONFINITE;
        ss += (double)vec[i] * vec[i];
    }
    double sim = 0;
    int th = -1;
    if (ss > 0) {
        for (size_t i = 0; i < dims; i++)
            s->z[i] = (float)(vec[i] / sqrt(ss));
        nearest(s, s->z, &th, &sim);
    }
    ci_status st = count_window(s, timestamp, th < 0);
    if (st != CI_OK)
        return st;
    *theme = th;
    if (similarity)
        *similarity = sim;
    return CI_OK;
}

CI_API ci_status ci_theme_assigner_window(const ci_theme_assigner *s, size_t i, int64_t *start,
                                          uint64_t *total, uint64_t *unassigned)
{
    if (!s || !start || !total || !unassigned)
        return CI_ERR_INVALID;
    if (i >= s->nwin)
        return CI_ERR_NOT_FOUND;
    *start = s->win[i].start;
    *total = s->win[i].total;
    *unassigned = s->win[i].unassigned;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Copying and merging                                                     */
/* ------------------------------------------------------------------------ */

static void *dup_bytes(const ci_alloc *a, const void *p, size_t n)
{
    void *q = ci_malloc(a, n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* A deep copy, the starting point of merge and of loading. */
static ci_status model_copy(const ci_theme_model *m, ci_theme_model **out)
{
    ci_theme_model *c = ci_calloc(&m->a, 1, sizeof *c);
    if (!c)
        return CI_ERR_NOMEM;
    *c = *m;
    ci_strmap_init(&c->vocab, &m->a);
    c->idf = NULL;
    c->proj = NULL;
    c->centroids = NULL;
    c->themes = NULL;
    c->terms = NULL;
    c->examples = NULL;
    c->pool = NULL;
    size_t nv = m->vocab.count;
    ci_status st = CI_OK;
    for (size_t i = 0; i < nv && st == CI_OK; i++) {
        size_t kl, idx;
        int added;
        const char *k = ci_strmap_key(&m->vocab, i, &kl);
        st = ci_strmap_put(&c->vocab, k, kl, &idx, &added);
    }
    if (st == CI_OK) {
        c->idf = dup_bytes(&m->a, m->idf, nv * sizeof(float));
        c->proj = m->proj ? dup_bytes(&m->a, m->proj, nv * m->d * sizeof(float)) : NULL;
        c->centroids = dup_bytes(&m->a, m->centroids, m->k * m->d * sizeof(float));
        c->themes = dup_bytes(&m->a, m->themes, m->k * sizeof(theme_rec));
        c->terms = dup_bytes(&m->a, m->terms, m->n_terms * sizeof(theme_term));
        c->examples = dup_bytes(&m->a, m->examples, m->n_examples * sizeof(theme_example));
        c->pool = dup_bytes(&m->a, m->pool, m->pool_len);
        c->pool_cap = m->pool_len;
        if (!c->idf || (m->proj && !c->proj) || !c->centroids || !c->themes || !c->terms ||
            !c->examples || !c->pool)
            st = CI_ERR_NOMEM;
    }
    if (st != CI_OK) {
        ci_theme_model_free(c);
        return st;
    }
    *out = c;
    return CI_OK;
}

typedef struct merged_term {
    uint32_t off, len;
    float w;
} merged_term;

CI_API ci_status ci_theme_model_merge(const ci_theme_model *m, size_t a, size_t b,
                                      ci_theme_model **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    if (!m || a == b)
        return CI_ERR_INVALID;
    if (a >= m->k || b >= m->k)
        return CI_ERR_NOT_FOUND;
    if (m->k < 2)
        return CI_ERR_INVALID;
    size_t keep = a < b ? a : b, drop = a < b ? b : a;
    ci_theme_model *c;
    ci_status st = model_copy(m, &c);
    if (st != CI_OK)
        return st;
    const theme_rec *ta = &m->themes[keep], *tb = &m->themes[drop];
    double wa = (double)ta->size, wb = (double)tb->size;
    if (wa + wb == 0)
        wa = wb = 1;
    /* centroid: size-weighted mean, renormalized */
    float *ck = c->centroids + keep * c->d;
    const float *cb = m->centroids + drop * m->d;
    double ss = 0;
    for (size_t t = 0; t < c->d; t++) {
        ck[t] = (float)((wa * ck[t] + wb * cb[t]) / (wa + wb));
        ss += (double)ck[t] * ck[t];
    }
    for (size_t t = 0; t < c->d && ss > 0; t++)
        ck[t] = (float)(ck[t] / sqrt(ss));
    /* terms: weights combined by size, the best n kept; examples pooled by similarity */
    size_t nt = ta->n_terms + tb->n_terms, ne = ta->n_examples + tb->n_examples;
    merged_term *mt = ci_calloc(&m->a, nt + 1, sizeof *mt);
    theme_example *me = ci_calloc(&m->a, ne + 1, sizeof *me);
    if (!mt || !me) {
        st = CI_ERR_NOMEM;
        goto fail;
    }
    size_t n_mt = 0;
    for (int side = 0; side < 2; side++) {
        const theme_rec *th = side ? tb : ta;
        double w = (side ? wb : wa) / (wa + wb);
        for (uint32_t j = 0; j < th->n_terms; j++) {
            const theme_term *tt = &m->terms[th->first_term + j];
            size_t q = 0;
            while (q < n_mt && !(mt[q].len == tt->len &&
                                 memcmp(m->pool + mt[q].off, m->pool + tt->off, tt->len) == 0))
                q++;
            if (q == n_mt) {
                mt[q].off = tt->off;
                mt[q].len = tt->len;
                n_mt++;
            }
            mt[q].w += (float)(w * tt->weight);
        }
    }
    for (size_t i = 1; i < n_mt; i++)
        for (size_t j = i; j > 0 && mt[j].w > mt[j - 1].w; j--) {
            merged_term x = mt[j];
            mt[j] = mt[j - 1];
            mt[j - 1] = x;
        }
    size_t nkeep_terms = ta->n_terms > tb->n_terms ? ta->n_terms : tb->n_terms;
    if (nkeep_terms > n_mt)
        nkeep_terms = n_mt;
    for (size_t e = 0; e < ta->n_examples; e++)
        me[e] = m->examples[ta->first_example + e];
    for (size_t e = 0; e < tb->n_examples; e++)
        me[ta->n_examples + e] = m->examples[tb->first_example + e];
    for (size_t i = 1; i < ne; i++)
        for (size_t j = i; j > 0 && me[j].sim > me[j - 1].sim; j--) {
            theme_example x = me[j];
            me[j] = me[j - 1];
            me[j - 1] = x;
        }
    size_t nkeep_ex = ta->n_examples > tb->n_examples ? ta->n_examples : tb->n_examples;
    /* rebuild the term and example tables without the dropped theme_rec */
    theme_term *terms = ci_calloc(&m->a, m->n_terms + 1, sizeof *terms);
    theme_example *exs = ci_calloc(&m->a, m->n_examples + 1, sizeof *exs);
    if (!terms || !exs) {
        ci_dealloc(&m->a, terms);
        ci_dealloc(&m->a, exs);
        st = CI_ERR_NOMEM;
        goto fail;
    }
    size_t nt2 = 0, ne2 = 0, w = 0;
    for (size_t j = 0; j < m->k; j++) {
        if (j == drop)
            continue;
        theme_rec th = m->themes[j];
        size_t first_t = nt2, first_e = ne2;
        if (j == keep) {
            for (size_t q = 0; q < nkeep_terms; q++) {
                terms[nt2].off = mt[q].off;
                terms[nt2].len = mt[q].len;
                terms[nt2++].weight = mt[q].w;
            }
            for (size_t q = 0; q < nkeep_ex; q++)
                exs[ne2++] = me[q];
            th.size = ta->size + tb->size;
            th.n_terms = (uint32_t)nkeep_terms;
            th.n_examples = (uint32_t)nkeep_ex;
            /* label: the two best merged terms */
            char label[512];
            size_t ll = 0;
            for (size_t q = 0; q < nkeep_terms && q < 2; q++) {
                if (ll + mt[q].len + 2 >= sizeof label)
                    break;
                if (q) {
                    memcpy(label + ll, ", ", 2);
                    ll += 2;
                }
                memcpy(label + ll, m->pool + mt[q].off, mt[q].len);
                ll += mt[q].len;
            }
            if ((st = ci_model_pool_add(c, label, ll, &th.label_off)) != CI_OK) {
                ci_dealloc(&m->a, terms);
                ci_dealloc(&m->a, exs);
                goto fail;
            }
            th.label_len = (uint32_t)ll;
        } else {
            for (uint32_t q = 0; q < th.n_terms; q++)
                terms[nt2++] = m->terms[th.first_term + q];
            for (uint32_t q = 0; q < th.n_examples; q++)
                exs[ne2++] = m->examples[th.first_example + q];
        }
        th.first_term = (uint32_t)first_t;
        th.first_example = (uint32_t)first_e;
        c->themes[w] = th;
        if (w != j)
            memcpy(c->centroids + w * c->d, c->centroids + j * c->d, c->d * sizeof(float));
        w++;
    }
    ci_dealloc(&m->a, c->terms);
    ci_dealloc(&m->a, c->examples);
    c->terms = terms;
    c->n_terms = nt2;
    c->examples = exs;
    c->n_examples = ne2;
    c->k = m->k - 1;
    ci_dealloc(&m->a, mt);
    ci_dealloc(&m->a, me);
    *out = c;
    return CI_OK;
fail:
    ci_dealloc(&m->a, mt);
    ci_dealloc(&m->a, me);
    ci_theme_model_free(c);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Persistence                                                             */
/* ------------------------------------------------------------------------ */

/*
 * A model is a container (see persist-priv.h: magic "CITHEME\0", version,
 * lengths, CRC-32, zlib) around a payload: the sequence of fields written
 * by ci_theme_model_save() below and read back by parse_payload(), which
 * checks every length against what remains.
 */
#define MODEL_MAGIC "CITHEME"
#define MODEL_VERSION 1u

CI_API ci_status ci_theme_model_save(const ci_theme_model *m, char **data, size_t *len)
{
    if (!m || !data || !len)
        return CI_ERR_INVALID;
    *data = NULL;
    *len = 0;
    ci_wbuf w;
    ci_wbuf_init(&w, &m->a);
    ci_put_u32(&w, (uint32_t)m->vector_mode);
    ci_put_u32(&w, (uint32_t)m->stem);
    ci_put_u32(&w, (uint32_t)m->bigrams);
    ci_put_f64(&w, m->min_similarity);
    ci_put_u64(&w, m->k);
    ci_put_u64(&w, m->d);
    ci_put_u64(&w, m->vocab.count);
    for (size_t i = 0; i < m->vocab.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&m->vocab, i, &kl);
        ci_put_str(&w, k, kl);
    }
    ci_put_floats(&w, m->idf, m->vocab.count);
    ci_put_u32(&w, m->proj != NULL);
    if (m->proj)
        ci_put_floats(&w, m->proj, m->vocab.count * m->d);
    ci_put_floats(&w, m->centroids, m->k * m->d);
    for (size_t i = 0; i < m->k; i++) {
        const theme_rec *t = &m->themes[i];
        ci_put_u32(&w, t->label_off);
        ci_put_u32(&w, t->label_len);
        ci_put_u64(&w, t->size);
        ci_put_u32(&w, t->first_term);
        ci_put_u32(&w, t->n_terms);
        ci_put_u32(&w, t->first_example);
        ci_put_u32(&w, t->n_examples);
    }
    ci_put_u64(&w, m->n_terms);
    for (size_t i = 0; i < m->n_terms; i++) {
        ci_put_u32(&w, m->terms[i].off);
        ci_put_u32(&w, m->terms[i].len);
        ci_put_f32(&w, m->terms[i].weight);
    }
    ci_put_u64(&w, m->n_examples);
    for (size_t i = 0; i < m->n_examples; i++) {
        ci_put_u32(&w, m->examples[i].off);
        ci_put_u32(&w, m->examples[i].len);
        ci_put_f32(&w, m->examples[i].sim);
    }
    ci_put_u64(&w, m->pool_len);
    ci_put(&w, m->pool, m->pool_len);
    if (w.err) {
        ci_dealloc(&m->a, w.p);
        return CI_ERR_NOMEM;
    }
    ci_status st = ci_container_seal(&m->a, MODEL_MAGIC, MODEL_VERSION, w.p, w.n, data, len);
    ci_dealloc(&m->a, w.p);
    return st;
}

CI_API ci_status ci_theme_model_save_file(const ci_theme_model *m, const char *path)
{
    if (!m || !path)
        return CI_ERR_INVALID;
    char *data;
    size_t len;
    ci_status st = ci_theme_model_save(m, &data, &len);
    if (st != CI_OK)
        return st;
    /* write beside, then rename: a crash never leaves half a model */
    st = ci_write_file_atomic(&m->a, path, data, len);
    ci_free(data);
    return st;
}

/* Every value in [lo, hi]: stored weights that could overflow a dot product
 * are corruption, not a model. */
static int within(const float *v, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        if (!(v[i] >= lo && v[i] <= hi))
            return 0;
    return 1;
}

static ci_status parse_payload(ci_theme_model *m, ci_rbuf *r, ci_diag *diag)
{
    ci_status st;
    m->vector_mode = ci_get_u32(r) != 0;
    m->stem = ci_get_u32(r) != 0;
    m->bigrams = ci_get_u32(r) != 0;
    m->min_similarity = ci_get_f64(r);
    uint64_t k = ci_get_u64(r), d = ci_get_u64(r), nv = ci_get_u64(r);
    if (r->err || k == 0 || k > 100000 || d == 0 || d > 10000000 || nv > 100000000 ||
        !(m->min_similarity >= -1 && m->min_similarity <= 1) ||
        (!m->vector_mode && nv == 0))
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "model header fields out of range");
    m->k = (size_t)k;
    m->d = (size_t)d;
    for (uint64_t i = 0; i < nv; i++) {
        ci_str key = ci_get_str(r);
        if (!key.data)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "truncated vocabulary");
        size_t idx;
        int added;
        if ((st = ci_strmap_put(&m->vocab, key.data, key.len, &idx, &added)) != CI_OK)
            return st;
        if (!added)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "duplicate vocabulary term");
    }
    /* sizes are checked against what remains before allocating */
    if (nv > (r->n - r->pos) / 4)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "truncated idf table");
    m->idf = ci_malloc(&m->a, (size_t)nv * sizeof(float) + 1);
    if (!m->idf)
        return CI_ERR_NOMEM;
    if (!ci_get_floats(r, m->idf, (size_t)nv) || !within(m->idf, (size_t)nv, 0, 1e4))
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "bad idf table");
    uint32_t has_proj = ci_get_u32(r);
    if (has_proj) {
        if (d && nv > (r->n - r->pos) / 4 / d)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "truncated projection");
        m->proj = ci_malloc(&m->a, (size_t)(nv * d) * sizeof(float) + 1);
        if (!m->proj)
            return CI_ERR_NOMEM;
        if (!ci_get_floats(r, m->proj, (size_t)(nv * d)) || !within(m->proj, (size_t)(nv * d), -1e4, 1e4))
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "bad projection");
    } else if (!m->vector_mode && d != nv) {
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "dimension does not match vocabulary");
    }
    if (k > (r->n - r->pos) / 4 / d)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "truncated centroids");
    m->centroids = ci_malloc(&m->a, (size_t)(k * d) * sizeof(float) + 1);
    m->themes = ci_calloc(&m->a, (size_t)k + 1, sizeof(theme_rec));
    if (!m->centroids || !m->themes)
        return CI_ERR_NOMEM;
    if (!ci_get_floats(r, m->centroids, (size_t)(k * d)))
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "bad centroids");
    /* centroids are unit vectors (or zero for an empty theme): anything else
     * would make similarities overflow or leave [-1, 1] */
    for (size_t i = 0; i < k; i++) {
        double nn = 0;
        for (size_t j = 0; j < d; j++)
            nn += (double)m->centroids[i * d + j] * m->centroids[i * d + j];
        if (!(nn <= 1.01) || (nn > 1e-12 && nn < 0.98))
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "centroid %zu is not a unit vector", i);
    }
    for (size_t i = 0; i < k; i++) {
        theme_rec *t = &m->themes[i];
        t->label_off = ci_get_u32(r);
        t->label_len = ci_get_u32(r);
        t->size = ci_get_u64(r);
        t->first_term = ci_get_u32(r);
        t->n_terms = ci_get_u32(r);
        t->first_example = ci_get_u32(r);
        t->n_examples = ci_get_u32(r);
    }
    uint64_t nt = ci_get_u64(r);
    if (r->err || nt > (r->n - r->pos) / 12)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "truncated term table");
    m->terms = ci_calloc(&m->a, (size_t)nt + 1, sizeof(theme_term));
    if (!m->terms)
        return CI_ERR_NOMEM;
    m->n_terms = (size_t)nt;
    for (size_t i = 0; i < nt; i++) {
        m->terms[i].off = ci_get_u32(r);
        m->terms[i].len = ci_get_u32(r);
        m->terms[i].weight = ci_get_f32(r);
    }
    uint64_t ne = ci_get_u64(r);
    if (r->err || ne > (r->n - r->pos) / 12)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "truncated example table");
    m->examples = ci_calloc(&m->a, (size_t)ne + 1, sizeof(theme_example));
    if (!m->examples)
        return CI_ERR_NOMEM;
    m->n_examples = (size_t)ne;
    for (size_t i = 0; i < ne; i++) {
        m->examples[i].off = ci_get_u32(r);
        m->examples[i].len = ci_get_u32(r);
        m->examples[i].sim = ci_get_f32(r);
    }
    uint64_t pl = ci_get_u64(r);
    const unsigned char *pool = ci_take(r, (size_t)pl);
    if (!pool || r->pos != r->n)
        return ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, r->pos, "bad string pool");
    m->pool = ci_malloc(&m->a, (size_t)pl + 1);
    if (!m->pool)
        return CI_ERR_NOMEM;
    memcpy(m->pool, pool, (size_t)pl);
    m->pool_len = m->pool_cap = (size_t)pl;
    /* every reference must land inside its table */
    for (size_t i = 0; i < k; i++) {
        const theme_rec *t = &m->themes[i];
        if ((uint64_t)t->label_off + t->label_len > pl ||
            (uint64_t)t->first_term + t->n_terms > nt ||
            (uint64_t)t->first_example + t->n_examples > ne)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "theme %zu out of range", i);
    }
    for (size_t i = 0; i < nt; i++)
        if ((uint64_t)m->terms[i].off + m->terms[i].len > pl)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "term out of range");
    for (size_t i = 0; i < ne; i++)
        if ((uint64_t)m->examples[i].off + m->examples[i].len > pl)
            return ci_diag_set(diag, CI_ERR_FORMAT, -1, (int64_t)i, r->pos, "example out of range");
    return CI_OK;
}

CI_API ci_status ci_theme_model_load(const char *data, size_t len, const ci_allocator *alloc,
                                     ci_theme_model **out, ci_diag *diag)
{
    if (!out)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "out is NULL");
    *out = NULL;
    if (!data && len)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "data is NULL");
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "bad allocator");
    unsigned char *payload;
    size_t plen;
    ci_status st = ci_container_open(&a, data, len, MODEL_MAGIC, "theme model", MODEL_VERSION,
                                     &payload, &plen, NULL, diag);
    if (st != CI_OK)
        return st == CI_ERR_NOMEM ? ci_diag_set(diag, st, -1, -1, 0, "out of memory") : st;
    ci_theme_model *m = ci_calloc(&a, 1, sizeof *m);
    if (!m) {
        st = CI_ERR_NOMEM;
    } else {
        m->a = a;
        ci_strmap_init(&m->vocab, &a);
        ci_rbuf r;
        ci_rbuf_init(&r, payload, plen);
        st = parse_payload(m, &r, diag);
    }
    ci_dealloc(&a, payload);
    if (st != CI_OK) {
        ci_theme_model_free(m);
        if (st == CI_ERR_NOMEM) /* the steps that ran out of memory left diag unset */
            ci_diag_set(diag, st, -1, -1, 0, "out of memory");
        return st;
    }
    if (diag && diag->struct_size >= sizeof(ci_diag))
        ci_diag_init(diag);
    *out = m;
    return CI_OK;
}

CI_API ci_status ci_theme_model_load_file(const char *path, const ci_allocator *alloc,
                                          ci_theme_model **out, ci_diag *diag)
{
    if (!out || !path)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    *out = NULL;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    char *buf;
    size_t n;
    /* a model holds at most a 4 GiB payload, compressed */
    ci_status st = ci_read_file(&a, path, (size_t)1 << 32, &buf, &n, diag);
    if (st == CI_OK)
        st = ci_theme_model_load(buf, n, alloc, out, diag);
    ci_dealloc(&a, buf);
    if (st == CI_ERR_NOMEM) /* the steps that ran out of memory left diag unset */
        ci_diag_set(diag, st, -1, -1, 0, "out of memory");
    return st;
}
