/* SPDX-License-Identifier: MIT */
/* The theme trainer: texts in, a fitted theme model out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "themes-priv.h"

enum { ST_ADDING, ST_PASS2, ST_FITTED };

size_t ci_trainer_ndocs(const struct ci_theme_trainer *t);
const char *ci_trainer_text(const struct ci_theme_trainer *t, size_t i, size_t *len);
const uint32_t *ci_trainer_seq(const struct ci_theme_trainer *t, size_t i, size_t *n);
const ci_strmap *ci_trainer_feats(const struct ci_theme_trainer *t);

struct ci_theme_trainer {
    ci_alloc a;
    ci_theme_options o;
    int state;
    ci_featurizer fz;
    /* every feature seen, with its document frequency */
    ci_strmap feats;
    uint32_t *df;
    size_t df_cap;
    /* surface forms, to show stems as words: "feature\tsurface" -> count */
    ci_strmap surf;
    uint32_t *surf_count;
    size_t surf_cap;
    /* per text: its unigram feature ids in order */
    uint32_t *doc_start;   /* ndocs + 1 */
    size_t doc_cap;
    uint32_t *seq;
    size_t nseq, seq_cap;
    size_t ndocs;
    /* the texts themselves, for labels and examples */
    char *texts;
    size_t texts_len, texts_cap;
    uint64_t *text_off;    /* ndocs + 1 */
    size_t text_off_cap;
    /* vector mode */
    int vector_mode;
    size_t vdims;
    float *vecs;
    size_t vecs_cap;
    /* results */
    int32_t *assign;
    float *sim;
    /* scratch */
    uint32_t *tmp;
    size_t tmp_cap;
    /* streaming mode: the frozen vocabulary and online centroids */
    struct stream *sm;
};

/* Streaming fits keep nothing per text: a frozen vocabulary, centroids
 * stored term-major with a lazy scale per theme (v_c = scale_c * u[., c]),
 * per-theme term counts for labels, and the best examples so far. */
typedef struct stream_example {
    char *text;
    size_t len;
    float sim;
} stream_example;

struct stream {
    uint32_t *col;           /* feature -> column or UINT32_MAX */
    uint32_t *feat_of_col;
    size_t ncols;
    float *idf;
    size_t k;
    float *u;                /* ncols x k */
    double *scale, *norm2;   /* per theme: v_c = scale * u_c, |v_c|^2 */
    uint64_t *count;         /* members used for the learning rate */
    uint64_t *size;          /* texts assigned */
    uint32_t *tcount;        /* k x ncols term counts */
    stream_example *ex;      /* k x n_examples, best first */
    int ready;
    /* the current batch, as sparse TF-IDF rows with their texts */
    uint32_t *brow, *bcol;
    float *bval;
    size_t bn, bnnz, bnnz_cap;
    size_t bdone;            /* rows of the batch already applied (a batch
                                that failed resumes there) */
    char *btext;
    size_t btext_len, btext_cap;
    uint64_t *btext_off;
    double *acc;             /* k similarities */
    uint32_t *bpos;          /* per column: its entry in the current row + 1, or 0
                                (linear counting, as in the assigner) */
    uint64_t seen;           /* texts in pass two */
};

CI_API void ci_theme_options_init(ci_theme_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->n_init = 0; /* automatic: see the header */
    o->max_iter = 40;
    o->min_df = 2;
    o->max_df = 0.5;
    o->max_vocab = 200000;
    o->stem = 1;
    o->neighbors = 12;
    o->dims = 40;
    o->batch_size = 4096;
    o->min_similarity = 0.2;
    o->n_terms = 10;
    o->n_examples = 3;
}

CI_API ci_status ci_theme_trainer_new(const ci_theme_options *opts, const ci_allocator *alloc,
                                      ci_theme_trainer **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_theme_options o;
    ci_theme_options_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof(ci_theme_options))
            return CI_ERR_STRUCT_SIZE;
        o = *opts;
        o.struct_size = sizeof o;
    }
    if (!(o.max_df > 0 && o.max_df <= 1) || !(o.min_similarity >= -1 && o.min_similarity <= 1) ||
        o.k > 100000 || o.dims > 1000 || o.neighbors > 1000 || o.n_terms > 1000 ||
        o.n_examples > 1000 || o.max_vocab == 0 || o.n_init > 1000)
        return CI_ERR_INVALID;
    if (o.batch_size == 0)
        o.batch_size = 4096;
    ci_alloc a;
    if (ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    ci_theme_trainer *t = ci_calloc(&a, 1, sizeof *t);
    if (!t)
        return CI_ERR_NOMEM;
    t->a = a;
    t->o = o;
    ci_strmap_init(&t->feats, &a);
    ci_strmap_init(&t->surf, &a);
    ci_status st = ci_featurizer_init(&t->fz, &a, o.stem && ci_themes_have_stemmer(), o.bigrams);
    if (st != CI_OK) {
        ci_dealloc(&a, t);
        return st;
    }
    *out = t;
    return CI_OK;
}

static void stream_free(ci_theme_trainer *t);

CI_API void ci_theme_trainer_free(ci_theme_trainer *t)
{
    if (!t)
        return;
    ci_alloc a = t->a;
    ci_featurizer_free(&t->fz);
    ci_strmap_free(&t->feats);
    ci_strmap_free(&t->surf);
    ci_dealloc(&a, t->df);
    ci_dealloc(&a, t->surf_count);
    ci_dealloc(&a, t->doc_start);
    ci_dealloc(&a, t->seq);
    ci_dealloc(&a, t->texts);
    ci_dealloc(&a, t->text_off);
    ci_dealloc(&a, t->vecs);
    ci_dealloc(&a, t->assign);
    ci_dealloc(&a, t->sim);
    ci_dealloc(&a, t->tmp);
    stream_free(t);
    ci_dealloc(&a, t);
}

/* Free the streaming state (also after a failed ci_theme_trainer_next_pass,
 * which would otherwise leak it when retried). */
static void stream_free(ci_theme_trainer *t)
{
    ci_alloc a = t->a;
    if (t->sm) {
        struct stream *m = t->sm;
        ci_dealloc(&a, m->col);
        ci_dealloc(&a, m->feat_of_col);
        ci_dealloc(&a, m->idf);
        ci_dealloc(&a, m->u);
        ci_dealloc(&a, m->scale);
        ci_dealloc(&a, m->norm2);
        ci_dealloc(&a, m->count);
        ci_dealloc(&a, m->size);
        ci_dealloc(&a, m->tcount);
        if (m->ex)
            for (size_t i = 0; i < m->k * t->o.n_examples; i++)
                ci_dealloc(&a, m->ex[i].text);
        ci_dealloc(&a, m->ex);
        ci_dealloc(&a, m->brow);
        ci_dealloc(&a, m->bcol);
        ci_dealloc(&a, m->bval);
        ci_dealloc(&a, m->btext);
        ci_dealloc(&a, m->btext_off);
        ci_dealloc(&a, m->acc);
        ci_dealloc(&a, m->bpos);
        ci_dealloc(&a, m);
        t->sm = NULL;
    }
}

static ci_status stream_add(ci_theme_trainer *t, const char *text, size_t len);

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Record a text's features (document frequencies, surface forms, and for
 * in-memory fits its feature sequence and the text itself).  All memory is
 * reserved or inserted first and counts are committed last, so a failure
 * leaves the trainer as it was: keys inserted before the failure keep a
 * document frequency of 0 and never reach the vocabulary. */
static ci_status record_text(ci_theme_trainer *t, const char *text, size_t len, int keep)
{
    ci_status st;
    if ((st = ci_featurize(&t->fz, text, len)) != CI_OK)
        return st;
    const ci_featurizer *f = &t->fz;
    size_t n = f->n;
    size_t cap;
    /* 1. reserve */
    if ((keep && ((st = ci_grow(&t->a, (void **)&t->seq, &t->seq_cap, t->nseq + n, sizeof(uint32_t))) != CI_OK ||
                  (st = ci_grow(&t->a, (void **)&t->doc_start, &t->doc_cap, t->ndocs + 2, sizeof(uint32_t))) != CI_OK ||
                  (st = ci_grow(&t->a, (void **)&t->texts, &t->texts_cap, t->texts_len + len + 1, 1)) != CI_OK ||
                  (st = ci_grow(&t->a, (void **)&t->text_off, &t->text_off_cap, t->ndocs + 2, sizeof(uint64_t))) != CI_OK)) ||
        (st = ci_grow(&t->a, (void **)&t->tmp, &t->tmp_cap, 2 * n + 1, sizeof(uint32_t))) != CI_OK ||
        (st = ci_grow(&t->a, (void **)&t->df, &t->df_cap, t->feats.count + n + 1, sizeof(uint32_t))) != CI_OK ||
        (st = ci_grow(&t->a, (void **)&t->surf_count, &t->surf_cap, t->surf.count + n + 1, sizeof(uint32_t))) != CI_OK)
        return st;
    (void)cap;
    /* 2. insert keys: tmp[0..n) feature ids, tmp[n..2n) surface ids or UINT32_MAX */
    for (size_t i = 0; i < n; i++) {
        size_t idx;
        int added;
        if ((st = ci_strmap_put(&t->feats, f->buf + f->off[i], f->len[i], &idx, &added)) != CI_OK)
            return st;
        if (added)
            t->df[idx] = 0;
        t->tmp[i] = (uint32_t)idx;
        t->tmp[n + i] = UINT32_MAX;
        /* surface forms (every form, so "card" can outvote "cards");
         * placeholders and pairs show as themselves */
        if (f->stemmer && f->buf[f->off[i]] != '<' && !memchr(f->buf + f->off[i], ' ', f->len[i])) {
            char key[600];
            if (f->len[i] + f->slen[i] + 1 < sizeof key) {
                memcpy(key, f->buf + f->off[i], f->len[i]);
                key[f->len[i]] = '\t';
                memcpy(key + f->len[i] + 1, f->surface + f->soff[i], f->slen[i]);
                size_t sidx;
                if ((st = ci_strmap_put(&t->surf, key, f->len[i] + 1 + f->slen[i], &sidx, &added)) != CI_OK)
                    return st;
                if (added)
                    t->surf_count[sidx] = 0;
                t->tmp[n + i] = (uint32_t)sidx;
            }
        }
    }
    /* 3. commit: nothing below can fail */
    for (size_t i = 0; i < n; i++) {
        if (t->tmp[n + i] != UINT32_MAX)
            t->surf_count[t->tmp[n + i]]++;
        if (keep)
            t->seq[t->nseq + i] = t->tmp[i];
    }
    /* sorted, for "once per text": insertion sort for the usual short text,
     * qsort for a long one (insertion sort is quadratic: a 1 MB text took
     * seconds, 100 MB hours) */
    if (n > 64)
        qsort(t->tmp, n, sizeof(uint32_t), cmp_u32);
    for (size_t i = 1; i < n && n <= 64; i++)
        for (size_t j = i; j > 0 && t->tmp[j] < t->tmp[j - 1]; j--) {
            uint32_t x = t->tmp[j];
            t->tmp[j] = t->tmp[j - 1];
            t->tmp[j - 1] = x;
        }
    for (size_t i = 0; i < n; i++)
        if (i == 0 || t->tmp[i] != t->tmp[i - 1])
            t->df[t->tmp[i]]++;
    if (keep) {
        if (t->ndocs == 0) {
            t->doc_start[0] = 0;
            t->text_off[0] = 0;
        }
        if (len)
            memcpy(t->texts + t->texts_len, text, len);
        t->texts_len += len;
        t->text_off[t->ndocs + 1] = t->texts_len;
        t->nseq += n;
        t->doc_start[t->ndocs + 1] = (uint32_t)t->nseq;
    }
    t->ndocs++;
    return CI_OK;
}

CI_API ci_status ci_theme_trainer_add(ci_theme_trainer *t, const char *text, size_t len)
{
    if (!t || (!text && len))
        return CI_ERR_INVALID;
    if (t->state == ST_FITTED || t->vector_mode)
        return CI_ERR_STATE;
    if (t->ndocs >= INT32_MAX)
        return CI_ERR_LIMIT;
    if (t->state == ST_PASS2)
        return stream_add(t, text ? text : "", len);
    return record_text(t, text ? text : "", len, !t->o.streaming);
}

CI_API ci_status ci_theme_trainer_add_vector(ci_theme_trainer *t, const float *vec, size_t dims,
                                             const char *text, size_t len)
{
    if (!t || !vec || dims == 0 || dims > 4096 || (!text && len))
        return CI_ERR_INVALID;
    if (t->state == ST_FITTED || (t->ndocs && !t->vector_mode))
        return CI_ERR_STATE;
    if (t->ndocs && dims != t->vdims)
        return CI_ERR_RANGE;
    double ss = 0;
    for (size_t i = 0; i < dims; i++) {
        if (!isfinite(vec[i]))
            return CI_ERR_NONFINITE;
        ss += (double)vec[i] * vec[i];
    }
    if (ss == 0)
        return CI_ERR_RANGE;
    ci_status st;
    if ((st = ci_grow(&t->a, (void **)&t->vecs, &t->vecs_cap, (t->ndocs + 1) * dims, sizeof(float))) != CI_OK)
        return st;
    /* the text gives the theme its label and terms */
    size_t slot = t->ndocs;
    if ((st = record_text(t, text ? text : "", len, 1)) != CI_OK)
        return st;
    memcpy(t->vecs + slot * dims, vec, dims * sizeof(float));
    ci_scale_unit(t->vecs + slot * dims, dims, ss);
    t->vector_mode = 1;
    t->vdims = dims;
    return CI_OK;
}

static ci_status stream_begin(ci_theme_trainer *t);

CI_API ci_status ci_theme_trainer_next_pass(ci_theme_trainer *t)
{
    if (!t)
        return CI_ERR_INVALID;
    if (!t->o.streaming || t->state != ST_ADDING)
        return CI_ERR_STATE;
    ci_status st = stream_begin(t);
    if (st == CI_OK)
        t->state = ST_PASS2;
    else
        stream_free(t); /* a retry starts over */
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Fitting                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct colsort {
    uint32_t feat, df;
} colsort;

static int cmp_df_desc(const void *x, const void *y)
{
    const colsort *a = x, *b = y;
    if (a->df != b->df)
        return a->df < b->df ? 1 : -1;
    return a->feat < b->feat ? -1 : a->feat > b->feat;
}

/* Choose the vocabulary: min_df <= df <= max_df * n, the max_vocab most
 * frequent.  col[feature] = column or UINT32_MAX. */
static ci_status choose_vocab(ci_theme_trainer *t, uint32_t **col_out, uint32_t **feat_of_col,
                              size_t *ncols)
{
    size_t nf = t->feats.count;
    uint32_t *col = ci_malloc(&t->a, (nf + 1) * sizeof(uint32_t));
    colsort *cs = ci_malloc(&t->a, (nf + 1) * sizeof(colsort));
    uint32_t *foc = ci_malloc(&t->a, (nf + 1) * sizeof(uint32_t));
    if (!col || !cs || !foc) {
        ci_dealloc(&t->a, col);
        ci_dealloc(&t->a, cs);
        ci_dealloc(&t->a, foc);
        return CI_ERR_NOMEM;
    }
    double maxdf = t->o.max_df * (double)t->ndocs;
    size_t m = 0;
    for (size_t i = 0; i < nf; i++) {
        col[i] = UINT32_MAX;
        if (t->df[i] >= (t->o.min_df ? t->o.min_df : 1) && (double)t->df[i] <= maxdf) {
            cs[m].feat = (uint32_t)i;
            cs[m].df = t->df[i];
            m++;
        }
    }
    qsort(cs, m, sizeof *cs, cmp_df_desc);
    if (m > t->o.max_vocab)
        m = t->o.max_vocab;
    for (size_t c = 0; c < m; c++) {
        col[cs[c].feat] = (uint32_t)c;
        foc[c] = cs[c].feat;
    }
    ci_dealloc(&t->a, cs);
    *col_out = col;
    *feat_of_col = foc;
    *ncols = m;
    return CI_OK;
}

/* Sublinear TF-IDF rows, L2-normalized. */
static ci_status build_tfidf(ci_theme_trainer *t, const uint32_t *col, size_t ncols,
                             const float *idf, ci_csr *x)
{
    memset(x, 0, sizeof *x);
    x->n = t->ndocs;
    x->row = ci_malloc(&t->a, (t->ndocs + 1) * sizeof(uint32_t));
    x->col = ci_malloc(&t->a, (t->nseq + 1) * sizeof(uint32_t));
    x->val = ci_malloc(&t->a, (t->nseq + 1) * sizeof(float));
    if (!x->row || !x->col || !x->val) {
        ci_csr_free(x, &t->a);
        return CI_ERR_NOMEM;
    }
    (void)ncols;
    x->row[0] = 0;
    for (size_t d = 0; d < t->ndocs; d++) {
        size_t start = x->nnz;
        for (uint32_t e = t->doc_start[d]; e < t->doc_start[d + 1]; e++) {
            uint32_t c = col[t->seq[e]];
            if (c == UINT32_MAX)
                continue;
            size_t k = start;
            while (k < x->nnz && x->col[k] != c)
                k++;
            if (k == x->nnz) {
                x->col[x->nnz] = c;
                x->val[x->nnz] = 0;
                x->nnz++;
            }
            x->val[k] += 1;
        }
        double ss = 0;
        for (size_t k = start; k < x->nnz; k++) {
            float w = (1.0f + logf(x->val[k])) * idf[x->col[k]];
            x->val[k] = w;
            ss += (double)w * w;
        }
        if (ss > 0)
            ci_scale_unit(x->val + start, x->nnz - start, ss);
        else
            memset(x->val + start, 0, (x->nnz - start) * sizeof(float));
        x->row[d + 1] = (uint32_t)x->nnz;
    }
    return CI_OK;
}

/* Rows of x (sparse) times proj (ncols x d), normalized: dense n x d. */
static void project_rows(const ci_csr *x, const float *proj, size_t d, float *z)
{
    for (size_t r = 0; r < x->n; r++) {
        float *zr = z + r * d;
        memset(zr, 0, d * sizeof(float));
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            const float *p = proj + (size_t)x->col[e] * d;
            float v = x->val[e];
            for (size_t t = 0; t < d; t++)
                zr[t] += v * p[t];
        }
        double ss = 0;
        for (size_t t = 0; t < d; t++)
            ss += (double)zr[t] * zr[t];
        if (ss > 0)
            ci_scale_unit(zr, d, ss);
        else
            memset(zr, 0, d * sizeof(float));
    }
}

ci_status ci_model_build(ci_theme_model *m, const ci_theme_trainer *t, const uint32_t *col,
                         const uint32_t *feat_of_col, size_t ncols, const int32_t *assign,
                         const float *sim);

static ci_status stream_fit(ci_theme_trainer *t, ci_theme_model **out);

CI_API ci_status ci_theme_trainer_fit(ci_theme_trainer *t, ci_theme_model **out)
{
    if (!t || !out)
        return CI_ERR_INVALID;
    *out = NULL;
    if (t->state == ST_FITTED || (t->o.streaming && t->state != ST_PASS2))
        return CI_ERR_STATE;
    if (t->o.streaming)
        return stream_fit(t, out);
    ci_status st = CI_OK;
    uint32_t *col = NULL, *foc = NULL;
    float *idf = NULL, *proj = NULL, *z = NULL, *cent = NULL;
    ci_csr x = {0}, xs = {0};
    size_t ncols = 0, d, n = t->ndocs;
    size_t k = t->o.k;
    ci_theme_model *m = NULL;
    if (n < (k ? k : 2))
        return CI_ERR_STATE;
    int32_t *assign = ci_malloc(&t->a, (n + 1) * sizeof(int32_t));
    float *sim = ci_malloc(&t->a, (n + 1) * sizeof(float));
    if (!assign || !sim) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    if (t->vector_mode) {
        d = t->vdims;
        /* labels come from the texts given with the vectors */
        if ((st = choose_vocab(t, &col, &foc, &ncols)) != CI_OK)
            goto out;
        if (k == 0 && (st = ci_choose_k(&t->a, t->vecs, n, d, t->o.seed, &k)) != CI_OK)
            goto out;
        if ((cent = ci_malloc(&t->a, k * d * sizeof(float))) == NULL) {
            st = CI_ERR_NOMEM;
            goto out;
        }
        double obj;
        if ((st = ci_spherical_kmeans(&t->a, t->vecs, n, d, k, t->o.n_init, t->o.max_iter,
                                      t->o.seed, assign, sim, cent, &obj)) != CI_OK)
            goto out;
    } else {
        if ((st = choose_vocab(t, &col, &foc, &ncols)) != CI_OK)
            goto out;
        if (ncols == 0) {
            st = CI_ERR_MISSING;
            goto out;
        }
        idf = ci_malloc(&t->a, ncols * sizeof(float));
        if (!idf) {
            st = CI_ERR_NOMEM;
            goto out;
        }
        for (size_t c = 0; c < ncols; c++)
            idf[c] = (float)(log((1.0 + (double)n) / (1.0 + t->df[foc[c]])) + 1.0);
        if ((st = build_tfidf(t, col, ncols, idf, &x)) != CI_OK)
            goto out;
        const ci_csr *src = &x;
        if (t->o.neighbors) {
            if ((st = ci_knn_smooth(&t->a, &x, ncols, t->o.neighbors, &xs)) != CI_OK)
                goto out;
            src = &xs;
        }
        d = t->o.dims;
        if (d > ncols)
            d = ncols;
        if (d + 10 > n)
            d = n > 10 ? n - 10 : 0;
        if (d && d + 10 <= ncols) {
            proj = ci_malloc(&t->a, ncols * d * sizeof(float));
            z = ci_malloc(&t->a, n * d * sizeof(float));
            if (!proj || !z) {
                st = CI_ERR_NOMEM;
                goto out;
            }
            if ((st = ci_lsa(&t->a, src, ncols, d, t->o.seed, proj)) != CI_OK)
                goto out;
            project_rows(src, proj, d, z);
        } else {
            /* cluster the (smoothed) TF-IDF rows themselves */
            d = ncols;
            z = ci_calloc(&t->a, n * d, sizeof(float));
            if (!z) {
                st = CI_ERR_NOMEM;
                goto out;
            }
            for (size_t r = 0; r < n; r++)
                for (uint32_t e = src->row[r]; e < src->row[r + 1]; e++)
                    z[r * d + src->col[e]] = src->val[e];
        }
        if (k == 0 && (st = ci_choose_k(&t->a, z, n, d, t->o.seed, &k)) != CI_OK)
            goto out;
        if ((cent = ci_malloc(&t->a, k * d * sizeof(float))) == NULL) {
            st = CI_ERR_NOMEM;
            goto out;
        }
        double obj;
        if ((st = ci_spherical_kmeans(&t->a, z, n, d, k, t->o.n_init, t->o.max_iter, t->o.seed,
                                      assign, sim, cent, &obj)) != CI_OK)
            goto out;
        /* a text with no known term belongs to no theme_rec */
        for (size_t r = 0; r < n; r++)
            if (x.row[r] == x.row[r + 1]) {
                assign[r] = -1;
                sim[r] = 0;
            }
    }
    m = ci_calloc(&t->a, 1, sizeof *m);
    if (!m) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    m->a = t->a;
    ci_strmap_init(&m->vocab, &t->a);
    m->vector_mode = t->vector_mode;
    m->stem = t->fz.stemmer != NULL;
    m->bigrams = t->o.bigrams;
    m->min_similarity = t->o.min_similarity;
    m->k = k;
    m->d = d;
    m->idf = idf;
    idf = NULL;
    m->proj = proj;
    proj = NULL;
    m->centroids = cent;
    cent = NULL;
    if ((st = ci_model_build(m, t, col, foc, ncols, assign, sim)) != CI_OK)
        goto out;
    t->assign = assign;
    t->sim = sim;
    assign = NULL;
    sim = NULL;
    t->state = ST_FITTED;
    *out = m;
    m = NULL;
out:
    ci_theme_model_free(m);
    ci_dealloc(&t->a, assign);
    ci_dealloc(&t->a, sim);
    ci_dealloc(&t->a, col);
    ci_dealloc(&t->a, foc);
    ci_dealloc(&t->a, idf);
    ci_dealloc(&t->a, proj);
    ci_dealloc(&t->a, z);
    ci_dealloc(&t->a, cent);
    ci_csr_free(&x, &t->a);
    ci_csr_free(&xs, &t->a);
    return st;
}

CI_API ci_status ci_theme_trainer_assignment(const ci_theme_trainer *t, size_t i, int *theme,
                                             double *similarity)
{
    if (!t || !theme)
        return CI_ERR_INVALID;
    if (t->state != ST_FITTED || !t->assign)
        return CI_ERR_STATE;
    if (i >= t->ndocs)
        return CI_ERR_NOT_FOUND;
    *theme = t->assign[i];
    if (similarity)
        *similarity = t->sim[i];
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Terms, labels and examples                                              */
/* ------------------------------------------------------------------------ */

/* For each feature, the most frequent word it stood for (stems are not
 * words a person reads); UINT32_MAX when the feature is its own word. */
static ci_status best_surfaces(const ci_theme_trainer *t, uint32_t **out)
{
    size_t nf = t->feats.count;
    uint32_t *best = ci_malloc(&t->a, (nf + 1) * sizeof(uint32_t));
    uint32_t *cnt = ci_calloc(&t->a, nf + 1, sizeof(uint32_t));
    if (!best || !cnt) {
        ci_dealloc(&t->a, best);
        ci_dealloc(&t->a, cnt);
        return CI_ERR_NOMEM;
    }
    for (size_t i = 0; i < nf; i++)
        best[i] = UINT32_MAX;
    for (size_t i = 0; i < t->surf.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&t->surf, i, &kl);
        const char *tab = memchr(k, '\t', kl);
        if (!tab)
            continue;
        long fi = ci_strmap_find(&t->feats, k, (size_t)(tab - k));
        if (fi >= 0 && t->surf_count[i] > cnt[fi]) {
            cnt[fi] = t->surf_count[i];
            best[fi] = (uint32_t)i;
        }
    }
    ci_dealloc(&t->a, cnt);
    *out = best;
    return CI_OK;
}

static const char *display(const ci_theme_trainer *t, const uint32_t *best, uint32_t feat, size_t *len)
{
    size_t kl;
    const char *k = ci_strmap_key(&t->feats, feat, &kl);
    if (memchr(k, ' ', kl)) { /* a bigram feature: its stems as they are */
        *len = kl;
        return k;
    }
    if (best[feat] == UINT32_MAX) {
        *len = kl;
        return k;
    }
    size_t sl;
    const char *sk = ci_strmap_key(&t->surf, best[feat], &sl);
    *len = sl - kl - 1;
    return sk + kl + 1;
}

typedef struct term_count {
    uint32_t term;   /* feature id, or nf + bigram id */
    uint32_t count;
} term_count;

typedef struct weighted {
    uint32_t term;
    float w;
} weighted;

static int cmp_weight_desc(const void *x, const void *y)
{
    const weighted *a = x, *b = y;
    if (a->w != b->w)
        return a->w < b->w ? 1 : -1;
    return a->term < b->term ? -1 : a->term > b->term;
}

typedef struct ranked_doc {
    uint32_t doc;
    float sim;
} ranked_doc;

static int cmp_sim_desc(const void *x, const void *y)
{
    const ranked_doc *a = x, *b = y;
    if (a->sim != b->sim)
        return a->sim < b->sim ? 1 : -1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* BEST_FIRST(name, type, cmp): size_t name(type *a, size_t n, size_t m)
 * puts the first min(m, n) of a[0..n) in cmp's order at the front, in
 * that order, and returns how many: a bounded heap keeps the m best seen
 * (the worst of them at its root), so n elements cost n comparisons and
 * O(log m) moves for the few that get in, not a sort of all n.  cmp is a
 * total order, so the front is what a full sort would put there. */
#define BEST_FIRST(name, type, cmp)                                                   \
    static void name##_sift(type *h, size_t m, size_t i)                              \
    {                                                                                 \
        for (;;) {                                                                    \
            size_t w = i, l = 2 * i + 1, r = l + 1;                                   \
            if (l < m && cmp(&h[l], &h[w]) > 0)                                       \
                w = l;                                                                \
            if (r < m && cmp(&h[r], &h[w]) > 0)                                       \
                w = r;                                                                \
            if (w == i)                                                               \
                return;                                                               \
            type tmp = h[i];                                                          \
            h[i] = h[w];                                                              \
            h[w] = tmp;                                                               \
            i = w;                                                                    \
        }                                                                             \
    }                                                                                 \
    static size_t name(type *a, size_t n, size_t m)                                   \
    {                                                                                 \
        if (m >= n || m >= n / 4) {                                                   \
            if (n > 1)                                                                \
                qsort(a, n, sizeof *a, cmp);                                          \
            return n;                                                                 \
        }                                                                             \
        if (m == 0)                                                                   \
            return 0;                                                                 \
        for (size_t i = m / 2; i-- > 0;)                                              \
            name##_sift(a, m, i);                                                     \
        for (size_t i = m; i < n; i++)                                                \
            if (cmp(&a[i], &a[0]) < 0) {                                              \
                type tmp = a[0];                                                      \
                a[0] = a[i];                                                          \
                a[i] = tmp;                                                           \
                name##_sift(a, m, 0);                                                 \
            }                                                                         \
        qsort(a, m, sizeof *a, cmp);                                                  \
        return m;                                                                     \
    }

BEST_FIRST(best_weights, weighted, cmp_weight_desc)
BEST_FIRST(best_docs, ranked_doc, cmp_sim_desc)

static int is_placeholder(const char *s, size_t n)
{
    return n > 2 && s[0] == '<' && s[n - 1] == '>';
}

/* Class-based TF-IDF: a term's weight in theme c is its frequency there
 * times log(1 + A / f_t), A the mean number of terms per theme and f_t the
 * term's frequency over all themes: what sets a theme apart, not what is
 * common everywhere.  Bigrams of consecutive features compete with words. */
ci_status ci_model_build(ci_theme_model *m, const ci_theme_trainer *t, const uint32_t *col,
                         const uint32_t *feat_of_col, size_t ncols, const int32_t *assign,
                         const float *sim)
{
    ci_status st = CI_OK;
    const ci_alloc *a = &t->a;
    size_t n = t->ndocs, k = m->k, nf = t->feats.count;
    uint32_t *best = NULL;
    term_count *tc = NULL;
    weighted *wt = NULL;
    ranked_doc *rd = NULL;
    double *ft = NULL;
    uint32_t *tcount = NULL;
    size_t *order = NULL, *cstart = NULL;
    ci_strmap bigrams;
    ci_strmap_init(&bigrams, a);

    /* vocabulary and idf for assignment (a vector model assigns vectors) */
    for (size_t c = 0; c < ncols && !t->vector_mode; c++) {
        size_t kl, idx;
        int added;
        const char *key = ci_strmap_key(&t->feats, feat_of_col[c], &kl);
        if ((st = ci_strmap_put(&m->vocab, key, kl, &idx, &added)) != CI_OK)
            goto out;
    }
    m->themes = ci_calloc(a, k + 1, sizeof(theme_rec));
    order = ci_malloc(a, (n + 1) * sizeof(size_t));
    cstart = ci_calloc(a, k + 2, sizeof(size_t));
    if (!m->themes || !order || !cstart) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    /* texts grouped by theme_rec */
    for (size_t i = 0; i < n; i++)
        if (assign[i] >= 0)
            cstart[assign[i] + 1]++;
    for (size_t c = 0; c < k; c++)
        cstart[c + 1] += cstart[c];
    {
        size_t *fill = ci_malloc(a, (k + 1) * sizeof(size_t));
        if (!fill) {
            st = CI_ERR_NOMEM;
            goto out;
        }
        memcpy(fill, cstart, (k + 1) * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            if (assign[i] >= 0)
                order[fill[assign[i]]++] = i;
        ci_dealloc(a, fill);
    }
    if ((st = best_surfaces(t, &best)) != CI_OK)
        goto out;

    /* term occurrences per theme: words in the vocabulary, and bigrams of them */
    size_t ntc = 0, tc_cap = 0;
    for (size_t c = 0; c < k && ncols; c++)
        for (size_t o = cstart[c]; o < cstart[c + 1]; o++) {
            size_t sn;
            const uint32_t *seq = ci_trainer_seq(t, order[o], &sn);
            if ((st = ci_grow(a, (void **)&tc, &tc_cap, ntc + 2 * sn + 1, sizeof *tc)) != CI_OK)
                goto out;
            uint32_t prev = UINT32_MAX;
            for (size_t e = 0; e < sn; e++) {
                uint32_t f = seq[e];
                size_t fl;
                const char *fk = ci_strmap_key(&t->feats, f, &fl);
                if (col[f] == UINT32_MAX || memchr(fk, ' ', fl)) {
                    prev = UINT32_MAX;
                    if (col[f] != UINT32_MAX) { /* a bigram feature counts as a term */
                        tc[ntc].term = f;
                        tc[ntc++].count = (uint32_t)c;
                    }
                    continue;
                }
                tc[ntc].term = f;
                tc[ntc++].count = (uint32_t)c;
                if (prev != UINT32_MAX && prev != f) {
                    char key[1100];
                    size_t l1, l2, idx;
                    int added;
                    const char *k1 = ci_strmap_key(&t->feats, prev, &l1);
                    const char *k2 = ci_strmap_key(&t->feats, f, &l2);
                    if (l1 + l2 + 1 < sizeof key) {
                        memcpy(key, k1, l1);
                        key[l1] = ' ';
                        memcpy(key + l1 + 1, k2, l2);
                        /* the pair (prev, f) is remembered as two 32-bit ids */
                        uint32_t pair[2] = {prev, f};
                        (void)pair;
                        if ((st = ci_strmap_put(&bigrams, key, l1 + 1 + l2, &idx, &added)) != CI_OK)
                            goto out;
                        tc[ntc].term = (uint32_t)(nf + idx);
                        tc[ntc++].count = (uint32_t)c;
                    }
                }
                prev = f;
            }
        }
    size_t nterms_all = nf + bigrams.count;
    ft = ci_calloc(a, nterms_all + 1, sizeof(double));
    if (!ft && nterms_all) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < ntc; i++)
        ft[tc[i].term] += 1;
    double avg = k ? (double)ntc / (double)k : 1;
    /* tc is grouped by theme already (built theme by theme): split it */
    size_t pos = 0;
    size_t wt_cap = 0;
    /* occurrences of each term in the current theme (0 between themes) */
    tcount = ci_calloc(a, nterms_all + 1, sizeof(uint32_t));
    if (!tcount) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    for (size_t c = 0; c < k; c++) {
        theme_rec *th = &m->themes[c];
        th->size = cstart[c + 1] - cstart[c];
        size_t start = pos;
        while (pos < ntc && tc[pos].count == c)
            pos++;
        size_t cnt = pos - start, words = cnt;
        size_t nw = 0;
        if ((st = ci_grow(a, (void **)&wt, &wt_cap, cnt + 1, sizeof *wt)) != CI_OK)
            goto out;
        for (size_t i = start; i < pos; i++)
            if (tcount[tc[i].term]++ == 0)
                wt[nw++].term = tc[i].term;
        for (size_t i = 0; i < nw; i++) {
            uint32_t term = wt[i].term;
            double tf = (double)tcount[term] / (double)(words ? words : 1);
            wt[i].w = (float)(tf * log(1.0 + avg / ft[term]));
            tcount[term] = 0;
        }
        /* top terms with their display text: the best first, more of
         * them in order only if some are skipped */
        th->first_term = (uint32_t)m->n_terms;
        size_t want = t->o.n_terms;
        size_t ranked = best_weights(wt, nw, want);
        size_t cap_terms = m->n_terms;
        if ((st = ci_grow(a, (void **)&m->terms, &cap_terms, m->n_terms + want + 1, sizeof *m->terms)) != CI_OK)
            goto out;
        char label[512];
        size_t label_len = 0, label_terms = 0;
        for (size_t i = 0; i < nw && th->n_terms < want; i++) {
            char buf[1100];
            size_t bl;
            if (i == ranked)
                ranked += best_weights(wt + i, nw - i, want);
            uint32_t term = wt[i].term;
            if (term < nf) {
                size_t dl;
                const char *dsp = display(t, best, term, &dl);
                if (dl >= sizeof buf)
                    continue;
                memcpy(buf, dsp, dl);
                bl = dl;
            } else {
                size_t kl;
                const char *key = ci_strmap_key(&bigrams, term - nf, &kl);
                const char *sp = memchr(key, ' ', kl);
                long f1 = ci_strmap_find(&t->feats, key, (size_t)(sp - key));
                long f2 = ci_strmap_find(&t->feats, sp + 1, kl - (size_t)(sp - key) - 1);
                size_t d1, d2;
                const char *s1 = display(t, best, (uint32_t)f1, &d1);
                const char *s2 = display(t, best, (uint32_t)f2, &d2);
                if (d1 + d2 + 1 >= sizeof buf)
                    continue;
                memcpy(buf, s1, d1);
                buf[d1] = ' ';
                memcpy(buf + d1 + 1, s2, d2);
                bl = d1 + 1 + d2;
            }
            theme_term *tt = &m->terms[m->n_terms];
            if ((st = ci_model_pool_add(m, buf, bl, &tt->off)) != CI_OK)
                goto out;
            tt->len = (uint32_t)bl;
            tt->weight = wt[i].w;
            m->n_terms++;
            th->n_terms++;
            /* the label: the two best terms that say different things */
            int lone_not = bl == 3 && memcmp(buf, "not", 3) == 0;
            if (label_terms < 2 && !is_placeholder(buf, bl) && !lone_not && label_len + bl + 2 < sizeof label) {
                int overlap = 0;
                if (label_terms == 1) {
                    /* skip a term whose words the first already has */
                    for (size_t p = 0; p < bl && !overlap;) {
                        size_t q = p;
                        while (q < bl && buf[q] != ' ')
                            q++;
                        for (size_t r = 0; r + (q - p) <= label_len; r++)
                            if (memcmp(label + r, buf + p, q - p) == 0 &&
                                (r == 0 || label[r - 1] == ' ') &&
                                (r + (q - p) == label_len || label[r + (q - p)] == ' ' ||
                                 label[r + (q - p)] == ','))
                                overlap = 1;
                        p = q + 1;
                    }
                }
                if (!overlap) {
                    if (label_terms) {
                        memcpy(label + label_len, ", ", 2);
                        label_len += 2;
                    }
                    memcpy(label + label_len, buf, bl);
                    label_len += bl;
                    label_terms++;
                }
            }
        }
        if (label_len == 0) {
            memcpy(label, "(no terms)", 10);
            label_len = 10;
        }
        if ((st = ci_model_pool_add(m, label, label_len, &th->label_off)) != CI_OK)
            goto out;
        th->label_len = (uint32_t)label_len;
        /* representative texts: closest to the centroid */
        size_t members = cstart[c + 1] - cstart[c];
        size_t rd_cap = 0;
        if ((st = ci_grow(a, (void **)&rd, &rd_cap, members + 1, sizeof *rd)) != CI_OK)
            goto out;
        for (size_t o = 0; o < members; o++) {
            rd[o].doc = (uint32_t)order[cstart[c] + o];
            rd[o].sim = sim[rd[o].doc];
        }
        th->first_example = (uint32_t)m->n_examples;
        size_t cap_ex = m->n_examples;
        size_t nex = members < t->o.n_examples ? members : t->o.n_examples;
        best_docs(rd, members, nex);
        if ((st = ci_grow(a, (void **)&m->examples, &cap_ex, m->n_examples + nex + 1, sizeof *m->examples)) != CI_OK)
            goto out;
        for (size_t e = 0; e < nex; e++) {
            size_t tl;
            const char *txt = ci_trainer_text(t, rd[e].doc, &tl);
            theme_example *ex = &m->examples[m->n_examples];
            if ((st = ci_model_pool_add(m, txt, tl, &ex->off)) != CI_OK)
                goto out;
            ex->len = (uint32_t)tl;
            ex->sim = rd[e].sim;
            m->n_examples++;
            th->n_examples++;
        }
        ci_dealloc(a, rd);
        rd = NULL;
    }
out:
    ci_strmap_free(&bigrams);
    ci_dealloc(a, best);
    ci_dealloc(a, tc);
    ci_dealloc(a, wt);
    ci_dealloc(a, rd);
    ci_dealloc(a, ft);
    ci_dealloc(a, tcount);
    ci_dealloc(a, order);
    ci_dealloc(a, cstart);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Streaming mode                                                          */
/* ------------------------------------------------------------------------ */

static ci_status stream_begin(ci_theme_trainer *t)
{
    ci_status st;
    size_t k = t->o.k;
    if (k == 0) {
        k = (size_t)sqrt((double)t->ndocs / 2.0);
        k = k < 2 ? 2 : k > 100 ? 100 : k;
    }
    if (t->ndocs < k)
        return CI_ERR_STATE;
    struct stream *m = ci_calloc(&t->a, 1, sizeof *m);
    if (!m)
        return CI_ERR_NOMEM;
    t->sm = m;
    m->k = k;
    if ((st = choose_vocab(t, &m->col, &m->feat_of_col, &m->ncols)) != CI_OK)
        return st;
    if (m->ncols == 0)
        return CI_ERR_MISSING;
    size_t nc = m->ncols, ne = t->o.n_examples, bs = t->o.batch_size;
    m->idf = ci_malloc(&t->a, nc * sizeof(float));
    m->u = ci_calloc(&t->a, nc * k, sizeof(float));
    m->scale = ci_malloc(&t->a, k * sizeof(double));
    m->norm2 = ci_calloc(&t->a, k, sizeof(double));
    m->count = ci_calloc(&t->a, k, sizeof(uint64_t));
    m->size = ci_calloc(&t->a, k, sizeof(uint64_t));
    m->tcount = ci_calloc(&t->a, nc * k, sizeof(uint32_t));
    m->ex = ci_calloc(&t->a, k * ne + 1, sizeof(stream_example));
    m->brow = ci_malloc(&t->a, (bs + 1) * sizeof(uint32_t));
    m->btext_off = ci_malloc(&t->a, (bs + 1) * sizeof(uint64_t));
    m->acc = ci_malloc(&t->a, k * sizeof(double));
    m->bpos = ci_calloc(&t->a, nc + 1, sizeof(uint32_t));
    if (!m->idf || !m->u || !m->scale || !m->norm2 || !m->count || !m->size || !m->tcount ||
        !m->ex || !m->brow || !m->btext_off || !m->acc || !m->bpos)
        return CI_ERR_NOMEM;
    for (size_t c = 0; c < nc; c++)
        m->idf[c] = (float)(log((1.0 + (double)t->ndocs) / (1.0 + t->df[m->feat_of_col[c]])) + 1.0);
    for (size_t j = 0; j < k; j++)
        m->scale[j] = 1.0;
    m->brow[0] = 0;
    m->btext_off[0] = 0;
    return CI_OK;
}

/* Similarities of batch row r to every centroid (cosine: rows are unit). */
static void stream_sims(struct stream *m, size_t r)
{
    size_t k = m->k;
    for (size_t j = 0; j < k; j++)
        m->acc[j] = 0;
    for (uint32_t e = m->brow[r]; e < m->brow[r + 1]; e++) {
        const float *u = m->u + (size_t)m->bcol[e] * k;
        double v = m->bval[e];
        for (size_t j = 0; j < k; j++)
            m->acc[j] += v * u[j];
    }
    for (size_t j = 0; j < k; j++)
        m->acc[j] = m->norm2[j] > 0 ? m->acc[j] * m->scale[j] / sqrt(m->norm2[j]) : -1;
}

static ci_status keep_example(ci_theme_trainer *t, size_t c, const char *text, size_t len, float sim)
{
    struct stream *m = t->sm;
    size_t ne = t->o.n_examples;
    if (ne == 0)
        return CI_OK;
    stream_example *ex = m->ex + c * ne;
    size_t pos = ne;
    while (pos > 0 && (!ex[pos - 1].text || ex[pos - 1].sim < sim))
        pos--;
    if (pos >= ne)
        return CI_OK;
    char *copy = ci_malloc(&t->a, len + 1);
    if (!copy)
        return CI_ERR_NOMEM;
    memcpy(copy, text, len);
    ci_dealloc(&t->a, ex[ne - 1].text);
    memmove(ex + pos + 1, ex + pos, (ne - 1 - pos) * sizeof *ex);
    ex[pos].text = copy;
    ex[pos].len = len;
    ex[pos].sim = sim;
    return CI_OK;
}

/* Seed the centroids from the first batch (k-means++ and a few Lloyd
 * rounds on it), so that the online updates start from sensible themes. */
static void stream_seed(ci_theme_trainer *t)
{
    struct stream *m = t->sm;
    size_t k = m->k, n = m->bn;
    ci_rng rng = {t->o.seed ^ 0x5DEECE66Dull};
    size_t picks = k < n ? k : n;
    for (size_t j = 0; j < picks; j++) {
        size_t pick;
        if (j == 0) {
            pick = (size_t)(ci_rng_next(&rng) % n);
        } else {
            /* D^2 draw against the centres chosen so far */
            double total = 0;
            for (size_t r = 0; r < n; r++) {
                stream_sims(m, r);
                double best = -1;
                for (size_t q = 0; q < j; q++)
                    best = m->acc[q] > best ? m->acc[q] : best;
                double dd = 1 - best;
                total += dd > 0 ? dd * dd : 0;
            }
            double target = ci_rng_unit(&rng) * total, acc = 0;
            for (pick = 0; pick + 1 < n; pick++) {
                stream_sims(m, pick);
                double best = -1;
                for (size_t q = 0; q < j; q++)
                    best = m->acc[q] > best ? m->acc[q] : best;
                double dd = 1 - best;
                acc += dd > 0 ? dd * dd : 0;
                if (acc >= target)
                    break;
            }
        }
        for (uint32_t e = m->brow[pick]; e < m->brow[pick + 1]; e++)
            m->u[(size_t)m->bcol[e] * k + j] = m->bval[e];
        m->norm2[j] = 1;
        m->scale[j] = 1;
    }
    m->ready = 1;
}

/* Online spherical k-means on one batch: each text moves its nearest
 * centroid towards it with rate 1/count.  With v = scale * u the update
 * v <- (1 - eta) v + eta x touches only x's terms. */
static ci_status stream_batch(ci_theme_trainer *t)
{
    struct stream *m = t->sm;
    size_t k = m->k;
    ci_status st;
    if (!m->ready)
        stream_seed(t);
    /* Rows are applied one at a time, each only after its one fallible
     * step (keeping it as an example), so a failure leaves the batch
     * resumable at row bdone with nothing applied twice. */
    for (size_t r = m->bdone; r < m->bn; r++) {
        stream_sims(m, r);
        size_t c = 0;
        for (size_t j = 1; j < k; j++)
            if (m->acc[j] > m->acc[c])
                c = j;
        double sim = m->acc[c];
        if ((st = keep_example(t, c, m->btext + m->btext_off[r],
                               (size_t)(m->btext_off[r + 1] - m->btext_off[r]), (float)sim)) != CI_OK) {
            m->bdone = r;
            return st;
        }
        double dot = sim * sqrt(m->norm2[c]); /* v_c . x */
        m->count[c]++;
        double eta = 1.0 / (double)m->count[c];
        m->norm2[c] = (1 - eta) * (1 - eta) * m->norm2[c] + 2 * (1 - eta) * eta * dot + eta * eta;
        m->scale[c] *= 1 - eta;
        if (m->scale[c] < 1e-9) {
            /* fold the scale back in before it underflows */
            for (size_t q = 0; q < m->ncols; q++)
                m->u[q * k + c] = (float)(m->u[q * k + c] * m->scale[c]);
            m->scale[c] = 1;
        }
        if (m->scale[c] == 0) {
            m->scale[c] = 1;
            for (size_t q = 0; q < m->ncols; q++)
                m->u[q * k + c] = 0;
        }
        for (uint32_t e = m->brow[r]; e < m->brow[r + 1]; e++) {
            m->u[(size_t)m->bcol[e] * k + c] += (float)(eta * m->bval[e] / m->scale[c]);
            m->tcount[c * m->ncols + m->bcol[e]]++;
        }
        m->size[c]++;
    }
    m->bn = m->bnnz = m->btext_len = m->bdone = 0;
    return CI_OK;
}

static ci_status stream_add(ci_theme_trainer *t, const char *text, size_t len)
{
    struct stream *m = t->sm;
    ci_status st;
    /* A full batch is applied before the next text joins, so that when it
     * fails the text is not added (the caller retries it) and the batch
     * resumes on the next call. */
    if (m->bn == t->o.batch_size && (st = stream_batch(t)) != CI_OK)
        return st;
    st = ci_featurize(&t->fz, text, len);
    if (st != CI_OK)
        return st;
    const ci_featurizer *f = &t->fz;
    m->seen++;
    /* sparse sublinear TF-IDF over the frozen vocabulary */
    size_t start = m->bnnz;
    /* bcol and bval share one capacity: the smaller of the two, so that a
     * failure growing the second leaves a capacity both really have */
    size_t cap1 = m->bnnz_cap, cap2 = m->bnnz_cap;
    st = ci_grow(&t->a, (void **)&m->bcol, &cap1, m->bnnz + f->n + 1, sizeof(uint32_t));
    if (st == CI_OK)
        st = ci_grow(&t->a, (void **)&m->bval, &cap2, m->bnnz + f->n + 1, sizeof(float));
    m->bnnz_cap = cap1 < cap2 ? cap1 : cap2;
    if (st != CI_OK)
        return st;
    for (size_t i = 0; i < f->n; i++) {
        long fi = ci_strmap_find(&t->feats, f->buf + f->off[i], f->len[i]);
        if (fi < 0 || m->col[fi] == UINT32_MAX)
            continue;
        uint32_t c = m->col[fi];
        if (!m->bpos[c]) {
            m->bcol[m->bnnz] = c;
            m->bval[m->bnnz++] = 0;
            m->bpos[c] = (uint32_t)(m->bnnz - start);
        }
        m->bval[start + m->bpos[c] - 1] += 1;
    }
    for (size_t q = start; q < m->bnnz; q++)
        m->bpos[m->bcol[q]] = 0;
    if (m->bnnz == start)
        return CI_OK; /* no known term: it belongs to no theme */
    double ss = 0;
    for (size_t q = start; q < m->bnnz; q++) {
        m->bval[q] = (1.0f + logf(m->bval[q])) * m->idf[m->bcol[q]];
        ss += (double)m->bval[q] * m->bval[q];
    }
    ci_scale_unit(m->bval + start, m->bnnz - start, ss); /* idf >= 1: ss > 0 */
    if ((st = ci_grow(&t->a, (void **)&m->btext, &m->btext_cap, m->btext_len + len + 1, 1)) != CI_OK) {
        m->bnnz = start;
        return st;
    }
    memcpy(m->btext + m->btext_len, text, len);
    m->btext_len += len;
    m->bn++;
    m->brow[m->bn] = (uint32_t)m->bnnz;
    m->btext_off[m->bn] = m->btext_len;
    return CI_OK;
}

static ci_status stream_fit(ci_theme_trainer *t, ci_theme_model **out)
{
    struct stream *sm = t->sm;
    ci_status st;
    if (sm->bn && (st = stream_batch(t)) != CI_OK)
        return st;
    if (!sm->ready)
        return CI_ERR_STATE; /* pass two saw no text with a known term */
    size_t k = sm->k, nc = sm->ncols, ne = t->o.n_examples;
    ci_theme_model *m = ci_calloc(&t->a, 1, sizeof *m);
    if (!m)
        return CI_ERR_NOMEM;
    m->a = t->a;
    ci_strmap_init(&m->vocab, &t->a);
    m->stem = t->fz.stemmer != NULL;
    m->min_similarity = t->o.min_similarity;
    m->k = k;
    m->d = nc;
    m->idf = ci_malloc(&t->a, nc * sizeof(float));
    m->centroids = ci_malloc(&t->a, k * nc * sizeof(float));
    m->themes = ci_calloc(&t->a, k + 1, sizeof(theme_rec));
    uint32_t *best = NULL;
    weighted *wt = ci_malloc(&t->a, (nc + 1) * sizeof(weighted));
    double *ft = ci_calloc(&t->a, nc + 1, sizeof(double));
    if (!m->idf || !m->centroids || !m->themes || !wt || !ft) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    memcpy(m->idf, sm->idf, nc * sizeof(float));
    for (size_t c = 0; c < nc; c++) {
        size_t kl, idx;
        int added;
        const char *key = ci_strmap_key(&t->feats, sm->feat_of_col[c], &kl);
        if ((st = ci_strmap_put(&m->vocab, key, kl, &idx, &added)) != CI_OK)
            goto out;
    }
    for (size_t j = 0; j < k; j++) {
        double nrm = sqrt(sm->norm2[j]);
        for (size_t c = 0; c < nc; c++)
            m->centroids[j * nc + c] =
                nrm > 0 ? (float)(sm->u[c * k + j] * sm->scale[j] / nrm) : 0.0f;
    }
    if ((st = best_surfaces(t, &best)) != CI_OK)
        goto out;
    /* class-based TF-IDF over words (no bigrams: no text is kept) */
    double total = 0;
    for (size_t j = 0; j < k; j++)
        for (size_t c = 0; c < nc; c++) {
            ft[c] += sm->tcount[j * nc + c];
            total += sm->tcount[j * nc + c];
        }
    double avg = total / (double)k;
    for (size_t j = 0; j < k; j++) {
        theme_rec *th = &m->themes[j];
        th->size = sm->size[j];
        double words = 0;
        for (size_t c = 0; c < nc; c++)
            words += sm->tcount[j * nc + c];
        size_t nw = 0;
        for (size_t c = 0; c < nc; c++)
            if (sm->tcount[j * nc + c]) {
                wt[nw].term = (uint32_t)c;
                wt[nw].w = (float)(sm->tcount[j * nc + c] / words * log(1.0 + avg / ft[c]));
                nw++;
            }
        if (nw > 1)
            qsort(wt, nw, sizeof *wt, cmp_weight_desc);
        th->first_term = (uint32_t)m->n_terms;
        size_t cap_terms = m->n_terms;
        if ((st = ci_grow(&t->a, (void **)&m->terms, &cap_terms, m->n_terms + t->o.n_terms + 1,
                          sizeof *m->terms)) != CI_OK)
            goto out;
        char label[512];
        size_t ll = 0, lt = 0;
        for (size_t q = 0; q < nw && th->n_terms < t->o.n_terms; q++) {
            size_t dl;
            const char *dsp = display(t, best, sm->feat_of_col[wt[q].term], &dl);
            theme_term *tt = &m->terms[m->n_terms];
            if ((st = ci_model_pool_add(m, dsp, dl, &tt->off)) != CI_OK)
                goto out;
            tt->len = (uint32_t)dl;
            tt->weight = wt[q].w;
            m->n_terms++;
            th->n_terms++;
            if (lt < 2 && !is_placeholder(dsp, dl) && !(dl == 3 && memcmp(dsp, "not", 3) == 0) &&
                ll + dl + 2 < sizeof label) {
                if (lt) {
                    memcpy(label + ll, ", ", 2);
                    ll += 2;
                }
                memcpy(label + ll, dsp, dl);
                ll += dl;
                lt++;
            }
        }
        if (ll == 0) {
            memcpy(label, "(no terms)", 10);
            ll = 10;
        }
        if ((st = ci_model_pool_add(m, label, ll, &th->label_off)) != CI_OK)
            goto out;
        th->label_len = (uint32_t)ll;
        th->first_example = (uint32_t)m->n_examples;
        size_t cap_ex = m->n_examples;
        if ((st = ci_grow(&t->a, (void **)&m->examples, &cap_ex, m->n_examples + ne + 1,
                          sizeof *m->examples)) != CI_OK)
            goto out;
        for (size_t e = 0; e < ne; e++) {
            const stream_example *se = &sm->ex[j * ne + e];
            if (!se->text)
                break;
            theme_example *ex = &m->examples[m->n_examples];
            if ((st = ci_model_pool_add(m, se->text, se->len, &ex->off)) != CI_OK)
                goto out;
            ex->len = (uint32_t)se->len;
            ex->sim = se->sim;
            m->n_examples++;
            th->n_examples++;
        }
    }
    t->state = ST_FITTED;
    *out = m;
    m = NULL;
    st = CI_OK;
out:
    ci_theme_model_free(m);
    ci_dealloc(&t->a, best);
    ci_dealloc(&t->a, wt);
    ci_dealloc(&t->a, ft);
    return st;
}

/* Accessors used while building the model. */

size_t ci_trainer_ndocs(const ci_theme_trainer *t)
{
    return t->ndocs;
}

const char *ci_trainer_text(const ci_theme_trainer *t, size_t i, size_t *len)
{
    *len = (size_t)(t->text_off[i + 1] - t->text_off[i]);
    return t->texts + t->text_off[i];
}

const uint32_t *ci_trainer_seq(const ci_theme_trainer *t, size_t i, size_t *n)
{
    *n = t->doc_start[i + 1] - t->doc_start[i];
    return t->seq + t->doc_start[i];
}

const ci_strmap *ci_trainer_feats(const ci_theme_trainer *t)
{
    return &t->feats;
}

