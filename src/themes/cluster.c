/* SPDX-License-Identifier: MIT */
/* Numerics for theme discovery: spherical k-means, nearest-neighbour
 * smoothing of sparse vectors, and truncated SVD (LSA). */
#include <math.h>
#include <string.h>

#include "themes-priv.h"

static inline float dotf(const float *a, const float *b, size_t d)
{
    /* four accumulators: the compiler vectorizes this without -ffast-math */
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < d; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static void normalize_row(float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++)
        s += (double)v[i] * v[i];
    if (s > 0)
        ci_scale_unit(v, d, s);
}

/* ------------------------------------------------------------------------ */
/*  Spherical k-means                                                       */
/* ------------------------------------------------------------------------ */

/* Rows in blocks of 8, each block d x 8 (xb[(i / 8) * d * 8 + t * 8 + i % 8]),
 * so that one vector's similarities to 8 rows come from one pass with the
 * 8 rows in the lanes. */
enum { SEED_LANES = 8 };
#define SEED_BLOCK_MAX ((size_t)64 << 20) /* bytes */

static void block_rows(const float *x, size_t n, size_t d, float *xb)
{
    size_t nb = (n + SEED_LANES - 1) / SEED_LANES;
    memset(xb, 0, nb * d * SEED_LANES * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            xb[(i / SEED_LANES) * d * SEED_LANES + t * SEED_LANES + i % SEED_LANES] = x[i * d + t];
}

/* The hot loops below are written for 4-float vectors where the compiler
 * has them (GCC and Clang, on any target), as plain loops otherwise.  Each
 * lane does the same float operations in the same order either way, so
 * the results are the same to the bit; the explicit form only keeps the
 * vectorizer from choosing a slower shape for them (GCC 12 turned the
 * 16-centroid loop into in-order reductions along t, 2x the instructions,
 * depending on what else was inlined around it). */
#if defined(__GNUC__) || defined(__clang__)
#define CI_V4 1
typedef float v4f __attribute__((vector_size(16)));

static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline v4f v4_splat(float x)
{
    v4f v = {x, x, x, x};
    return v;
}
#endif

/* 1 - dotf(row, p) for the 8 rows of a block: each lane sums exactly as
 * dotf does (four partial sums over t mod 4, the tail into the first,
 * then paired), so the values are dotf's to the bit. */
static inline void block_dist(const float *xb, const float *p, size_t d, float *out)
{
#ifdef CI_V4
    v4f z = v4_splat(0), a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z;
    size_t t = 0;
    for (; t + 4 <= d; t += 4) {
        const float *r = xb + t * SEED_LANES;
        v4f p0 = v4_splat(p[t]), p1 = v4_splat(p[t + 1]), p2 = v4_splat(p[t + 2]),
            p3 = v4_splat(p[t + 3]);
        a0 += v4_load(r) * p0;
        b0 += v4_load(r + 4) * p0;
        a1 += v4_load(r + 8) * p1;
        b1 += v4_load(r + 12) * p1;
        a2 += v4_load(r + 16) * p2;
        b2 += v4_load(r + 20) * p2;
        a3 += v4_load(r + 24) * p3;
        b3 += v4_load(r + 28) * p3;
    }
    for (; t < d; t++) {
        v4f pt = v4_splat(p[t]);
        a0 += v4_load(xb + t * SEED_LANES) * pt;
        b0 += v4_load(xb + t * SEED_LANES + 4) * pt;
    }
    v4f one = v4_splat(1.0f), lo = one - ((a0 + a1) + (a2 + a3)), hi = one - ((b0 + b1) + (b2 + b3));
    memcpy(out, &lo, sizeof lo);
    memcpy(out + 4, &hi, sizeof hi);
#else
    float s0[SEED_LANES] = {0}, s1[SEED_LANES] = {0}, s2[SEED_LANES] = {0}, s3[SEED_LANES] = {0};
    size_t t = 0;
    for (; t + 4 <= d; t += 4) {
        const float *r = xb + t * SEED_LANES;
        for (int q = 0; q < SEED_LANES; q++) {
            s0[q] += r[q] * p[t];
            s1[q] += r[SEED_LANES + q] * p[t + 1];
            s2[q] += r[2 * SEED_LANES + q] * p[t + 2];
            s3[q] += r[3 * SEED_LANES + q] * p[t + 3];
        }
    }
    for (; t < d; t++)
        for (int q = 0; q < SEED_LANES; q++)
            s0[q] += xb[t * SEED_LANES + q] * p[t];
    for (int q = 0; q < SEED_LANES; q++)
        out[q] = 1.0f - ((s0[q] + s1[q]) + (s2[q] + s3[q]));
#endif
}

/* 1 - dotf(x_i, p) for the rows i0 .. i0 + 7 (those below n), from the
 * blocked copy xb when there is one (the same values). */
static inline void row_dists(const float *x, const float *xb, size_t n, size_t d, size_t i0,
                             const float *p, float *dd)
{
    if (xb) {
        block_dist(xb + i0 * d, p, d, dd);
        return;
    }
    for (size_t i = i0; i < n && i < i0 + SEED_LANES; i++)
        dd[i - i0] = 1.0f - dotf(x + i * d, p, d);
}

/* k-means++ on cosine distance (D^2 weighting), one D^2 draw per centre:
 * the greedy variant's extra trials cost 6x the seeding time and did not
 * change the themes on Banking77.  xb: the rows blocked by block_rows(),
 * or NULL. */
static void seed_centres(const float *x, const float *xb, size_t n, size_t d, size_t k,
                         ci_rng *rng, float *c, float *dist)
{
    float dd[SEED_LANES];
    size_t first = (size_t)(ci_rng_next(rng) % n);
    memcpy(c, x + first * d, d * sizeof(float));
    double total = 0;
    for (size_t i0 = 0; i0 < n; i0 += SEED_LANES) {
        row_dists(x, xb, n, d, i0, c, dd);
        for (size_t i = i0; i < n && i < i0 + SEED_LANES; i++) {
            float e = dd[i - i0];
            dist[i] = e > 0 ? e * e : 0;
            total += dist[i];
        }
    }
    for (size_t j = 1; j < k; j++) {
        size_t pick = 0;
        if (total > 0) {
            double r = ci_rng_unit(rng) * total, acc = 0;
            for (pick = 0; pick + 1 < n; pick++) {
                acc += dist[pick];
                if (acc >= r)
                    break;
            }
        } else {
            pick = (size_t)(ci_rng_next(rng) % n);
        }
        memcpy(c + j * d, x + pick * d, d * sizeof(float));
        const float *p = x + pick * d;
        total = 0;
        for (size_t i0 = 0; i0 < n; i0 += SEED_LANES) {
            row_dists(x, xb, n, d, i0, p, dd);
            for (size_t i = i0; i < n && i < i0 + SEED_LANES; i++) {
                float e = dd[i - i0];
                e = e > 0 ? e * e : 0;
                if (e < dist[i])
                    dist[i] = e;
                total += dist[i];
            }
        }
    }
}

/* Similarities of the 4 rows p0..p3 to their own centroids q0..q3, each a
 * plain sum over t in order, as the blocked loop of ci_spherical_kmeans
 * computes it (so the values are the same to the bit): four independent
 * chains keep the adder busy. */
static inline void own4(const float *p0, const float *p1, const float *p2, const float *p3,
                        const float *q0, const float *q1, const float *q2, const float *q3,
                        size_t d, float *out)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t t = 0; t < d; t++) {
        s0 += p0[t] * q0[t];
        s1 += p1[t] * q1[t];
        s2 += p2[t] * q2[t];
        s3 += p3[t] * q3[t];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

/* The similarities of a row to 16 centroids at once (of the d x kp
 * transposed centroids): the inner loop runs over centroids, which
 * vectorizes without horizontal sums, and the 16 sums stay in registers
 * across t. */
static inline void block_sims(const float *p, const float *ctb, size_t kp, size_t d, float *out)
{
#ifdef CI_V4
    v4f b0 = v4_splat(0), b1 = b0, b2 = b0, b3 = b0;
    for (size_t t = 0; t < d; t++) {
        v4f pt = v4_splat(p[t]);
        const float *row = ctb + t * kp;
        b0 += pt * v4_load(row);
        b1 += pt * v4_load(row + 4);
        b2 += pt * v4_load(row + 8);
        b3 += pt * v4_load(row + 12);
    }
    memcpy(out, &b0, sizeof b0);
    memcpy(out + 4, &b1, sizeof b1);
    memcpy(out + 8, &b2, sizeof b2);
    memcpy(out + 12, &b3, sizeof b3);
#else
    float b[16] = {0};
    for (size_t t = 0; t < d; t++) {
        float pt = p[t];
        const float *row = ctb + t * kp;
        for (int jj = 0; jj < 16; jj++)
            b[jj] += pt * row[jj];
    }
    memcpy(out, b, sizeof b);
#endif
}

/* Rows keep one similarity bound per group of centroids: a group is one or
 * more blocks of 16, at most this many groups (the bounds take n * groups
 * floats). */
enum { KM_MAX_GROUPS = 32 };

ci_status ci_spherical_kmeans(const ci_alloc *a, const float *x, size_t n, size_t d, size_t k,
                              unsigned n_init, unsigned max_iter, uint64_t seed, int32_t *assign,
                              float *sim, float *centroids, double *objective)
{
    if (k == 0 || n < k)
        return CI_ERR_STATE;
    size_t kp = (k + 15) & ~(size_t)15; /* centroids padded to blocks of 16 */
    size_t nb = kp / 16, bpg = (nb + KM_MAX_GROUPS - 1) / KM_MAX_GROUPS;
    size_t gw = 16 * bpg, ng = (nb + bpg - 1) / bpg; /* group width and count */
    float *c = ci_calloc(a, k * d, sizeof(float));
    float *cold = ci_calloc(a, k * d, sizeof(float));
    double *sum = ci_calloc(a, k * d, sizeof(double));
    size_t *count = ci_calloc(a, k, sizeof(size_t));
    int32_t *as = ci_calloc(a, n, sizeof(int32_t));
    float *sm = ci_calloc(a, n, sizeof(float));
    float *dist = ci_calloc(a, n, sizeof(float));
    float *ub = ci_calloc(a, n * ng, sizeof(float));
    float *gmove = ci_calloc(a, ng, sizeof(float));
    unsigned char *done = ci_calloc(a, ng, 1);
    float *ct = ci_calloc(a, kp * d, sizeof(float)); /* centroids, d x kp */
    float *acc = ci_calloc(a, kp, sizeof(float));
    /* the blocked copy of the rows for seeding, unless it would be large
     * (it doubles the rows' memory): then seeding goes row by row */
    size_t xb_size = (n + SEED_LANES - 1) / SEED_LANES * SEED_LANES * d * sizeof(float);
    float *xb = xb_size <= SEED_BLOCK_MAX ? ci_malloc(a, xb_size) : NULL;
    ci_status st = CI_OK;
    if ((!xb && xb_size <= SEED_BLOCK_MAX) || !c || !cold || !sum || !count || !as || !sm ||
        !dist || !ub || !gmove || !done || !ct || !acc) {
        st = CI_ERR_NOMEM;
        goto out;
    }
    /* Bounds (Yinyang-style, for similarities): ub[i * ng + g] is at least
     * the largest similarity of row i to a centroid of group g other than
     * its own.  A centroid that moves by delta (Euclidean) changes the
     * similarity of a row of norm r by at most r * delta, so after each
     * update a group's bounds grow by its largest move (times the largest
     * row norm: 1 for the unit rows of the callers).  A row skips every
     * group whose bound its similarity to its own (moved) centroid still
     * beats.  A computed similarity is off by at most d * FLT_EPSILON / 2
     * times the norms: the margin covers two of them with room, and the
     * moves are rounded up, so the assignments are exactly those of
     * computing all k similarities of every row. */
    double xmax = 0;
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t t = 0; t < d; t++)
            ss += (double)x[i * d + t] * x[i * d + t];
        xmax = ss > xmax ? ss : xmax;
    }
    xmax = sqrt(xmax);
    if (xb)
        block_rows(x, n, d, xb);
    const float margin =
        (float)(4.0 * (double)d * 1.1920928955078125e-07 * (xmax > 1 ? xmax * xmax : 1) + 1e-6);
    double best = -1e300;
    ci_rng rng = {seed ^ 0x5DEECE66Dull};
    if (n_init == 0) /* automatic: restarts are cheap on small corpora */
        n_init = n <= 5000 ? 3 : 1;
    for (unsigned run = 0; run < n_init; run++) {
        seed_centres(x, xb, n, d, k, &rng, c, dist);
        for (size_t i = 0; i < n; i++)
            as[i] = -1;
        double obj = 0;
        for (unsigned it = 0; it < (max_iter ? max_iter : 40); it++) {
            size_t changed = 0;
            obj = 0;
            for (size_t j = 0; j < k; j++)
                for (size_t t = 0; t < d; t++)
                    ct[t * kp + j] = c[j * d + t];
            if (it > 0) {
                /* the own similarity of every row: sm[i] */
                size_t i = 0;
                for (; i + 4 <= n; i += 4)
                    own4(x + i * d, x + (i + 1) * d, x + (i + 2) * d, x + (i + 3) * d,
                         c + (size_t)as[i] * d, c + (size_t)as[i + 1] * d,
                         c + (size_t)as[i + 2] * d, c + (size_t)as[i + 3] * d, d, sm + i);
                for (; i < n; i++) {
                    float o4[4];
                    const float *p = x + i * d, *q = c + (size_t)as[i] * d;
                    own4(p, p, p, p, q, q, q, q, d, o4);
                    sm[i] = o4[0];
                }
            }
            for (size_t i = 0; i < n; i++) {
                const float *p = x + i * d;
                float *u = ub + i * ng;
                /* the groups to compute: all at first, then those whose
                 * bound does not rule them out */
                int32_t bj = 0;
                float bs = -2;
                if (it > 0) {
                    bj = as[i];
                    bs = sm[i];
                }
                float thr = bs - margin;
                for (size_t g = 0; g < ng; g++) {
                    done[g] = it == 0 || u[g] >= thr;
                    if (!done[g])
                        continue;
                    size_t hi = (g + 1) * gw < kp ? (g + 1) * gw : kp;
                    for (size_t j0 = g * gw; j0 < hi; j0 += 16)
                        block_sims(p, ct + j0, kp, d, acc + j0);
                }
                /* the most similar centroid, the first of equals (as one
                 * scan over all k finds it) */
                for (size_t g = 0; g < ng; g++) {
                    if (!done[g])
                        continue;
                    size_t hi = (g + 1) * gw < k ? (g + 1) * gw : k;
                    for (size_t j = g * gw; j < hi; j++)
                        if (acc[j] > bs || (acc[j] == bs && (int32_t)j < bj)) {
                            bs = acc[j];
                            bj = (int32_t)j;
                        }
                }
                /* exact bounds for the groups computed; a centroid left
                 * behind joins the others of its group */
                for (size_t g = 0; g < ng; g++) {
                    if (!done[g])
                        continue;
                    size_t hi = (g + 1) * gw < k ? (g + 1) * gw : k;
                    float m2 = -2;
                    for (size_t j = g * gw; j < hi; j++)
                        if ((int32_t)j != bj && acc[j] > m2)
                            m2 = acc[j];
                    u[g] = m2;
                }
                if (it > 0 && as[i] != bj) {
                    size_t g = (size_t)as[i] / gw;
                    if (!done[g] && sm[i] > u[g])
                        u[g] = sm[i];
                }
                changed += as[i] != bj;
                as[i] = bj;
                sm[i] = bs;
                obj += bs;
            }
            /* converged when almost nothing moves: the last few flips of
             * boundary points do not change the themes */
            if (changed * 1000 <= n)
                break;
            memcpy(cold, c, k * d * sizeof(float));
            memset(sum, 0, k * d * sizeof(double));
            memset(count, 0, k * sizeof(size_t));
            for (size_t i = 0; i < n; i++) {
                double *s = sum + (size_t)as[i] * d;
                const float *p = x + i * d;
                for (size_t t = 0; t < d; t++)
                    s[t] += p[t];
                count[as[i]]++;
            }
            for (size_t j = 0; j < k; j++) {
                float *cj = c + j * d;
                if (count[j] == 0) {
                    /* an empty theme takes the point its centre fits worst */
                    size_t worst = 0;
                    for (size_t i = 1; i < n; i++)
                        if (sm[i] < sm[worst])
                            worst = i;
                    memcpy(cj, x + worst * d, d * sizeof(float));
                    sm[worst] = 2; /* do not pick it twice */
                    continue;
                }
                for (size_t t = 0; t < d; t++)
                    cj[t] = (float)sum[j * d + t];
                normalize_row(cj, d);
            }
            /* the largest move in each group, rounded up */
            for (size_t g = 0; g < ng; g++)
                gmove[g] = 0;
            for (size_t j = 0; j < k; j++) {
                double ss = 0;
                for (size_t t = 0; t < d; t++) {
                    double df = (double)c[j * d + t] - (double)cold[j * d + t];
                    ss += df * df;
                }
                float mv = (float)(sqrt(ss) * xmax * (1 + 1e-6) + 1e-6);
                if (mv > gmove[j / gw])
                    gmove[j / gw] = mv;
            }
            /* (a bound past 4 rules nothing out: capped, it stays finite
             * and its float rounding stays below the 1e-6 added above) */
            for (size_t i = 0; i < n; i++) {
                float *u = ub + i * ng;
                for (size_t g = 0; g < ng; g++)
                    u[g] = u[g] + gmove[g] < 4.0f ? u[g] + gmove[g] : 4.0f;
            }
        }
        if (obj > best) {
            best = obj;
            memcpy(assign, as, n * sizeof(int32_t));
            memcpy(sim, sm, n * sizeof(float));
            memcpy(centroids, c, k * d * sizeof(float));
        }
    }
    *objective = best;
out:
    ci_dealloc(a, c);
    ci_dealloc(a, cold);
    ci_dealloc(a, sum);
    ci_dealloc(a, count);
    ci_dealloc(a, as);
    ci_dealloc(a, sm);
    ci_dealloc(a, dist);
    ci_dealloc(a, ub);
    ci_dealloc(a, gmove);
    ci_dealloc(a, done);
    ci_dealloc(a, ct);
    ci_dealloc(a, acc);
    ci_dealloc(a, xb);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Nearest-neighbour smoothing                                             */
/* ------------------------------------------------------------------------ */

typedef struct scored {
    uint32_t doc;
    float s;
} scored;

/* Offer (doc, s), s > 0, to a row's list of its best `k` neighbours
 * (sorted), whose entry bar is *thr: 0 until the list is full, then the
 * similarity of its last entry (an equal one does not get in).  Callers
 * test s > *thr first, from a compact array of bars. */
static inline void offer(scored *top, uint32_t *ntop, float *thr, unsigned k, uint32_t doc, float s)
{
    uint32_t n = *ntop;
    uint32_t pos = n < k ? n++ : n - 1;
    while (pos > 0 && (top[pos - 1].s < s || (top[pos - 1].s == s && top[pos - 1].doc > doc))) {
        top[pos] = top[pos - 1];
        pos--;
    }
    top[pos].doc = doc;
    top[pos].s = s;
    *ntop = n;
    if (n == k)
        *thr = top[k - 1].s;
}

ci_status ci_knn_smooth(const ci_alloc *a, const ci_csr *x, size_t ncols, unsigned neighbors,
                        ci_csr *out)
{
    size_t n = x->n;
    ci_status st = CI_ERR_NOMEM;
    memset(out, 0, sizeof *out);
    /* inverted index: column -> (row, value), rows in increasing order */
    uint32_t *cstart = ci_calloc(a, ncols + 1, sizeof(uint32_t));
    uint32_t *cur = ci_malloc(a, (ncols + 1) * sizeof(uint32_t));
    uint32_t *prow = ci_malloc(a, (x->nnz + 1) * sizeof(uint32_t));
    float *pval = ci_malloc(a, (x->nnz + 1) * sizeof(float));
    float *score = ci_calloc(a, n + 1, sizeof(float));
    uint32_t *touched = ci_malloc(a, (n + 1) * sizeof(uint32_t));
    scored *top = ci_malloc(a, (n * neighbors + 1) * sizeof(scored));
    uint32_t *ntop = ci_calloc(a, n + 1, sizeof(uint32_t));
    float *thr = ci_calloc(a, n + 1, sizeof(float));
    float *acc = ci_calloc(a, ncols + 1, sizeof(float));
    uint32_t *acc_cols = ci_malloc(a, (ncols + 1) * sizeof(uint32_t));
    if (!cstart || !cur || !prow || !pval || !score || !touched || !top || !ntop || !thr || !acc || !acc_cols)
        goto out;
    for (size_t e = 0; e < x->nnz; e++)
        cstart[x->col[e] + 1]++;
    for (size_t c = 0; c < ncols; c++)
        cstart[c + 1] += cstart[c];
    memcpy(cur, cstart, (ncols + 1) * sizeof(uint32_t));
    for (size_t r = 0; r < n; r++)
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            uint32_t p = cur[x->col[e]]++;
            prow[p] = (uint32_t)r;
            pval[p] = x->val[e];
        }
    /* Each pair once: row r meets only rows after it (the postings past
     * r's own), and the similarity is offered to both rows' lists. */
    memcpy(cur, cstart, (ncols + 1) * sizeof(uint32_t));
    for (size_t r = 0; r < n; r++) {
        size_t nt = 0;
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            uint32_t c = x->col[e];
            float w = x->val[e];
            uint32_t p = ++cur[c]; /* cur[c] was r's own posting */
            /* branch-free: whether o is new is a coin toss to the
             * predictor */
            for (uint32_t end = cstart[c + 1]; p < end; p++) {
                uint32_t o = prow[p];
                float so = score[o];
                touched[nt] = o;
                nt += so == 0;
                score[o] = so + w * pval[p];
            }
        }
        for (size_t t = 0; t < nt; t++) {
            uint32_t o = touched[t];
            float s = score[o];
            score[o] = 0;
            if (s <= 0)
                continue;
            if (s > thr[r])
                offer(top + r * neighbors, &ntop[r], &thr[r], neighbors, o, s);
            if (s > thr[o])
                offer(top + (size_t)o * neighbors, &ntop[o], &thr[o], neighbors, (uint32_t)r, s);
        }
    }
    out->row = ci_malloc(a, (n + 1) * sizeof(uint32_t));
    if (!out->row)
        goto out;
    out->n = n;
    out->row[0] = 0;
    for (size_t r = 0; r < n; r++) {
        /* x_r + sum_j (s_j / sum s) x_j, renormalized */
        const scored *tr = top + r * neighbors;
        double tot = 0;
        for (size_t t = 0; t < ntop[r]; t++)
            tot += tr[t].s;
        size_t na = 0;
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            if (acc[x->col[e]] == 0)
                acc_cols[na++] = x->col[e];
            acc[x->col[e]] += x->val[e];
        }
        for (size_t t = 0; t < ntop[r]; t++) {
            float w = (float)(tr[t].s / tot);
            uint32_t o = tr[t].doc;
            for (uint32_t e = x->row[o]; e < x->row[o + 1]; e++) {
                if (acc[x->col[e]] == 0)
                    acc_cols[na++] = x->col[e];
                acc[x->col[e]] += w * x->val[e];
            }
        }
        if (out->nnz + na > out->cap) {
            size_t cap = out->cap, cap2 = out->cap;
            if ((st = ci_grow(a, (void **)&out->col, &cap, out->nnz + na, sizeof(uint32_t))) != CI_OK ||
                (st = ci_grow(a, (void **)&out->val, &cap2, out->nnz + na, sizeof(float))) != CI_OK)
                goto out;
            out->cap = cap < cap2 ? cap : cap2;
        }
        double ss = 0;
        for (size_t t = 0; t < na; t++)
            ss += (double)acc[acc_cols[t]] * acc[acc_cols[t]];
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0;
        for (size_t t = 0; t < na; t++) {
            out->col[out->nnz] = acc_cols[t];
            out->val[out->nnz] = acc[acc_cols[t]] * inv;
            out->nnz++;
            acc[acc_cols[t]] = 0;
        }
        out->row[r + 1] = (uint32_t)out->nnz;
    }
    st = CI_OK;
out:
    if (st != CI_OK)
        ci_csr_free(out, a);
    ci_dealloc(a, cstart);
    ci_dealloc(a, cur);
    ci_dealloc(a, prow);
    ci_dealloc(a, pval);
    ci_dealloc(a, score);
    ci_dealloc(a, touched);
    ci_dealloc(a, top);
    ci_dealloc(a, ntop);
    ci_dealloc(a, thr);
    ci_dealloc(a, acc);
    ci_dealloc(a, acc_cols);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Truncated SVD                                                           */
/* ------------------------------------------------------------------------ */

/* y (n x l) = x (n x ncols, sparse) * w (ncols x l) */
static void csr_mul(const ci_csr *x, const double *w, size_t l, double *y)
{
    memset(y, 0, x->n * l * sizeof(double));
    for (size_t r = 0; r < x->n; r++) {
        double *yr = y + r * l;
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            const double *wr = w + (size_t)x->col[e] * l;
            double v = x->val[e];
            for (size_t t = 0; t < l; t++)
                yr[t] += v * wr[t];
        }
    }
}

/* z (ncols x l) = x^T x w, one row of x w at a time (yr: l doubles of
 * scratch): the same sums in the same order as x^T (x w) through a
 * stored n x l product, without writing and reading that product back. */
static void csr_gram_mul(const ci_csr *x, size_t ncols, const double *w, size_t l, double *yr,
                         double *z)
{
    memset(z, 0, ncols * l * sizeof(double));
    for (size_t r = 0; r < x->n; r++) {
        memset(yr, 0, l * sizeof(double));
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            const double *wr = w + (size_t)x->col[e] * l;
            double v = x->val[e];
            for (size_t t = 0; t < l; t++)
                yr[t] += v * wr[t];
        }
        for (uint32_t e = x->row[r]; e < x->row[r + 1]; e++) {
            double *zr = z + (size_t)x->col[e] * l;
            double v = x->val[e];
            for (size_t t = 0; t < l; t++)
                zr[t] += v * yr[t];
        }
    }
}

/* Orthonormalize the l columns of y (n x l, row-major), modified
 * Gram-Schmidt, twice for stability.  Right-looking: once column i is
 * final, its projection is taken out of every later column in one sweep
 * over the rows, the dot products accumulating side by side (dot[j], each
 * still summed over r in order).  Every column sees the same operations
 * in the same order as the column-by-column form, so the result is the
 * same to the bit, but the inner loops run along rows (contiguous, they
 * vectorize) instead of down columns with one long chain of additions.
 * dot: l doubles of scratch. */
static void orthonormalize(double *y, size_t n, size_t l, double *dot)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < l; i++) {
            double s = 0;
            for (size_t r = 0; r < n; r++)
                s += y[r * l + i] * y[r * l + i];
            s = s > 1e-300 ? 1.0 / sqrt(s) : 0;
            for (size_t r = 0; r < n; r++)
                y[r * l + i] *= s;
            if (i + 1 == l)
                break;
            size_t m = l - i - 1;
            for (size_t j = 0; j < m; j++)
                dot[j] = 0;
            for (size_t r = 0; r < n; r++) {
                const double q = y[r * l + i], *yr = y + r * l + i + 1;
                for (size_t j = 0; j < m; j++)
                    dot[j] += q * yr[j];
            }
            for (size_t r = 0; r < n; r++) {
                const double q = y[r * l + i];
                double *yr = y + r * l + i + 1;
                for (size_t j = 0; j < m; j++)
                    yr[j] -= dot[j] * q;
            }
        }
}

/* Eigen-decomposition of the symmetric l x l matrix m by cyclic Jacobi:
 * eigenvalues into ev, eigenvectors into the columns of v. */
static void jacobi(double *m, size_t l, double *ev, double *v)
{
    for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < l; j++)
            v[i * l + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (size_t i = 0; i < l; i++)
            for (size_t j = i + 1; j < l; j++)
                off += m[i * l + j] * m[i * l + j];
        if (off < 1e-22)
            break;
        for (size_t p = 0; p < l; p++)
            for (size_t q = p + 1; q < l; q++) {
                double apq = m[p * l + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (m[q * l + q] - m[p * l + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t r = 0; r < l; r++) {
                    double mrp = m[r * l + p], mrq = m[r * l + q];
                    m[r * l + p] = c * mrp - s * mrq;
                    m[r * l + q] = s * mrp + c * mrq;
                }
                for (size_t r = 0; r < l; r++) {
                    double mpr = m[p * l + r], mqr = m[q * l + r];
                    m[p * l + r] = c * mpr - s * mqr;
                    m[q * l + r] = s * mpr + c * mqr;
                }
                for (size_t r = 0; r < l; r++) {
                    double vrp = v[r * l + p], vrq = v[r * l + q];
                    v[r * l + p] = c * vrp - s * vrq;
                    v[r * l + q] = s * vrp + c * vrq;
                }
            }
    }
    for (size_t i = 0; i < l; i++)
        ev[i] = m[i * l + i];
}

ci_status ci_lsa(const ci_alloc *a, const ci_csr *x, size_t ncols, size_t d, uint64_t seed,
                 float *proj)
{
    /* Randomized subspace iteration with Rayleigh-Ritz: W (ncols x l) is
     * driven towards the top right singular subspace of X by W <- orth(X^T X W),
     * orthonormalizing only this small block; then the l x l matrix
     * (XW)^T (XW) gives the singular vectors inside it.  The n-row side is
     * never orthonormalized, which is where the time would go. */
    size_t l = d + 10;
    if (l > ncols)
        l = ncols;
    if (d > l)
        d = l;
    ci_status st = CI_ERR_NOMEM;
    double *w = ci_malloc(a, ncols * l * sizeof(double));
    double *w2 = ci_malloc(a, ncols * l * sizeof(double));
    double *y = ci_malloc(a, x->n * l * sizeof(double));
    double *m = ci_calloc(a, l * l, sizeof(double));
    double *ev = ci_malloc(a, l * sizeof(double));
    double *vec = ci_malloc(a, l * l * sizeof(double));
    size_t *order = ci_malloc(a, l * sizeof(size_t));
    double *dot = ci_malloc(a, l * sizeof(double));
    if (!w || !w2 || !y || !m || !ev || !vec || !order || !dot)
        goto out;
    ci_rng rng = {seed ^ 0xA5A5A5A5ull};
    for (size_t i = 0; i < ncols * l; i++) {
        double u1 = ci_rng_unit(&rng), u2 = ci_rng_unit(&rng);
        w[i] = sqrt(-2 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2);
    }
    orthonormalize(w, ncols, l, dot);
    for (int q = 0; q < 4; q++) {
        csr_gram_mul(x, ncols, w, l, dot, w2);
        double *tw = w;
        w = w2;
        w2 = tw;
        orthonormalize(w, ncols, l, dot);
    }
    csr_mul(x, w, l, y);
    /* M = Y^T Y, accumulated row by row (Y is row-major) */
    for (size_t r = 0; r < x->n; r++) {
        const double *yr = y + r * l;
        for (size_t i = 0; i < l; i++) {
            double yi = yr[i];
            if (yi == 0)
                continue;
            double *mi = m + i * l;
            for (size_t j = i; j < l; j++)
                mi[j] += yi * yr[j];
        }
    }
    for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < i; j++)
            m[i * l + j] = m[j * l + i];
    jacobi(m, l, ev, vec);
    for (size_t i = 0; i < l; i++)
        order[i] = i;
    for (size_t i = 1; i < l; i++) /* by eigenvalue, descending */
        for (size_t j = i; j > 0 && ev[order[j]] > ev[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* V_d = W E_d: x * V_d are the LSA coordinates */
    for (size_t r = 0; r < ncols; r++)
        for (size_t t = 0; t < d; t++) {
            size_t e = order[t];
            double s = 0;
            for (size_t i = 0; i < l; i++)
                s += w[r * l + i] * vec[i * l + e];
            proj[r * d + t] = (float)s;
        }
    st = CI_OK;
out:
    ci_dealloc(a, w);
    ci_dealloc(a, w2);
    ci_dealloc(a, y);
    ci_dealloc(a, m);
    ci_dealloc(a, ev);
    ci_dealloc(a, vec);
    ci_dealloc(a, order);
    ci_dealloc(a, dot);
    return st;
}

/* ------------------------------------------------------------------------ */
/*  Choosing k                                                              */
/* ------------------------------------------------------------------------ */

ci_status ci_choose_k(const ci_alloc *a, const float *x, size_t n, size_t d, uint64_t seed,
                      size_t *k_out)
{
    /* A sample of at most 1000 rows keeps the O(m^2 d) silhouettes cheap. */
    size_t m = n < 1000 ? n : 1000;
    size_t kmax = (size_t)sqrt((double)n / 2.0);
    if (kmax > 100)
        kmax = 100;
    if (kmax > m / 2)
        kmax = m / 2;
    if (kmax < 2) {
        *k_out = 2;
        return CI_OK;
    }
    ci_status st = CI_ERR_NOMEM;
    float *sx = ci_malloc(a, m * d * sizeof(float));
    int32_t *as = ci_malloc(a, m * sizeof(int32_t));
    float *sm = ci_malloc(a, m * sizeof(float));
    float *c = ci_malloc(a, kmax * d * sizeof(float));
    double *dsum = ci_malloc(a, kmax * sizeof(double));
    size_t *cnt = ci_malloc(a, kmax * sizeof(size_t));
    if (!sx || !as || !sm || !c || !dsum || !cnt)
        goto out;
    ci_rng rng = {seed ^ 0x51C0FFEEull};
    for (size_t i = 0; i < m; i++) { /* sample with replacement is enough here */
        size_t r = n == m ? i : (size_t)(ci_rng_next(&rng) % n);
        memcpy(sx + i * d, x + r * d, d * sizeof(float));
    }
    double best = -2;
    size_t best_k = 2;
    for (size_t k = 2; k <= kmax; k = k < 10 ? k + 1 : k + k / 5) {
        double obj;
        if ((st = ci_spherical_kmeans(a, sx, m, d, k, 1, 30, seed, as, sm, c, &obj)) != CI_OK)
            goto out;
        for (size_t j = 0; j < k; j++)
            cnt[j] = 0;
        for (size_t i = 0; i < m; i++)
            cnt[as[i]]++;
        /* mean silhouette with cosine distance */
        double total = 0;
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < k; j++)
                dsum[j] = 0;
            for (size_t o = 0; o < m; o++)
                if (o != i)
                    dsum[as[o]] += 1.0 - dotf(sx + i * d, sx + o * d, d);
            size_t own = (size_t)as[i];
            if (cnt[own] <= 1)
                continue; /* a singleton's silhouette is 0 */
            double ai = dsum[own] / (double)(cnt[own] - 1), bi = 1e300;
            for (size_t j = 0; j < k; j++)
                if (j != own && cnt[j] && dsum[j] / (double)cnt[j] < bi)
                    bi = dsum[j] / (double)cnt[j];
            double mx = ai > bi ? ai : bi;
            total += mx > 0 ? (bi - ai) / mx : 0;
        }
        double sil = total / (double)m;
        if (sil > best) {
            best = sil;
            best_k = k;
        }
    }
    *k_out = best_k;
    st = CI_OK;
out:
    ci_dealloc(a, sx);
    ci_dealloc(a, as);
    ci_dealloc(a, sm);
    ci_dealloc(a, c);
    ci_dealloc(a, dsum);
    ci_dealloc(a, cnt);
    return st;
}
