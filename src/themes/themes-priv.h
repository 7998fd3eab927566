/* SPDX-License-Identifier: MIT */
/* Internals of theme discovery: features, clustering, the model. */
#ifndef CI_THEMES_PRIV_H
#define CI_THEMES_PRIV_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc-priv.h"
#include "../common/strmap-priv.h"
#include "libci.h"

/* ---- Feature extraction (features.c) ---------------------------------- */

/* Turns texts into features: normalized tokens, placeholders for numbers,
 * URLs, emails, mentions and ids, no stop words, optional stems.  Owns a
 * tokenizer and a stemmer, so one thread at a time. */
typedef struct ci_featurizer {
    ci_alloc a;
    ci_tokenizer *tok;
    void *stemmer;        /* struct sb_stemmer *, or NULL */
    int bigrams;
    char *buf;            /* the features of the last text, NUL-separated */
    size_t buf_len, buf_cap;
    uint32_t *off;        /* start of each feature in buf */
    uint32_t *len;
    size_t n, cap;
    /* surface forms: feature i of the last text came from these bytes */
    uint32_t *soff, *slen;
    char *surface;
    size_t surface_len, surface_cap;
    /* stop words by first byte: indexes stop_start[c] .. stop_start[c + 1]
     * of the sorted list, and each one's length */
    uint16_t stop_start[257];
    uint8_t stop_len[256];
    /* Stems of recent words (word i -> stem_buf + stem[i].off, .len):
     * Snowball costs far more than a lookup, and support text repeats its
     * words.  Bounded: it starts over after CI_STEM_CACHE_WORDS words. */
    ci_strmap stem_map;
    struct ci_stem_span {
        uint32_t off, len;
    } *stem;
    size_t stem_cap;
    char *stem_buf;
    size_t stem_buf_len, stem_buf_cap;
} ci_featurizer;

#define CI_STEM_CACHE_WORDS 16384

ci_status ci_featurizer_init(ci_featurizer *f, const ci_alloc *a, int stem, int bigrams);
void ci_featurizer_free(ci_featurizer *f);
/* Unigram features of a text in order (bigrams are formed by callers). */
ci_status ci_featurize(ci_featurizer *f, const char *text, size_t len);

/* ---- Sparse vectors ----------------------------------------------------- */

typedef struct ci_csr {
    uint32_t *row;      /* n + 1 offsets */
    uint32_t *col;
    float *val;
    size_t n, nnz, cap;
} ci_csr;

void ci_csr_free(ci_csr *m, const ci_alloc *a);

/* ---- Numerics (cluster.c) ----------------------------------------------- */

/* A small deterministic PRNG (xoshiro-like) with explicit state. */
typedef struct ci_rng {
    uint64_t s;
} ci_rng;

static inline uint64_t ci_rng_next(ci_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double ci_rng_unit(ci_rng *r)
{
    return (double)(ci_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Scales v[0..n) to unit length, given ss = its squared norm (> 0).
 * Multiplying by a float 1/norm is what every stage does, so fitted and
 * assigned vectors agree to the bit; but when the norm is below about
 * 1e-38 (a host vector or a stored projection of subnormal floats) that
 * reciprocal overflows float to infinity and the vector would turn to NaN,
 * so such vectors are divided in double instead. */
static inline void ci_scale_unit(float *v, size_t n, double ss)
{
    float inv = (float)(1.0 / sqrt(ss));
    if (inv <= 3.4e38f) {
        for (size_t i = 0; i < n; i++)
            v[i] *= inv;
    } else {
        double norm = sqrt(ss);
        for (size_t i = 0; i < n; i++)
            v[i] = (float)(v[i] / norm);
    }
}

/* Spherical k-means on n unit rows of dimension d (row-major).  Writes the
 * best of n_init restarts: assign[n], sim[n], centroids[k*d].  Returns the
 * objective (sum of similarities) or a negative status. */
ci_status ci_spherical_kmeans(const ci_alloc *a, const float *x, size_t n, size_t d, size_t k,
                              unsigned n_init, unsigned max_iter, uint64_t seed, int32_t *assign,
                              float *sim, float *centroids, double *objective);

/* Smooth each row with its `neighbors` most similar rows (cosine on the
 * sparse vectors), then renormalize: out = norm(x_i + sum_j w_ij x_j). */
ci_status ci_knn_smooth(const ci_alloc *a, const ci_csr *x, size_t ncols, unsigned neighbors,
                        ci_csr *out);

/* Truncated SVD by randomized range finding: proj[ncols*d] such that the
 * rows of x * proj are the LSA coordinates. */
ci_status ci_lsa(const ci_alloc *a, const ci_csr *x, size_t ncols, size_t d, uint64_t seed,
                 float *proj);

/* Choose k for n unit rows by the best mean silhouette (cosine distance)
 * of k-means on a sample, over k = 2 .. min(100, sqrt(n/2)). */
ci_status ci_choose_k(const ci_alloc *a, const float *x, size_t n, size_t d, uint64_t seed,
                      size_t *k_out);

/* ---- The model (model.c) ------------------------------------------------ */

typedef struct theme_term {
    uint32_t off, len;   /* display text in the model's string pool */
    float weight;
} theme_term;

typedef struct theme_example {
    uint32_t off, len;   /* text in the string pool */
    float sim;
} theme_example;

typedef struct theme_rec {
    uint32_t label_off, label_len;
    uint64_t size;
    uint32_t first_term, n_terms;       /* into model->terms */
    uint32_t first_example, n_examples; /* into model->examples */
} theme_rec;

struct ci_theme_model {
    ci_alloc a;
    int vector_mode;       /* clusters host vectors: no vocabulary */
    int stem, bigrams;
    double min_similarity;
    size_t k, d;           /* themes, clustering dimension */
    /* vocabulary: feature strings -> column, with idf */
    ci_strmap vocab;
    float *idf;
    /* projection to the clustering space (vocab x d), or NULL for identity */
    float *proj;
    float *centroids;      /* k x d, unit rows */
    theme_rec *themes;
    theme_term *terms;
    size_t n_terms;
    theme_example *examples;
    size_t n_examples;
    char *pool;
    size_t pool_len, pool_cap;
};

ci_status ci_model_pool_add(ci_theme_model *m, const char *s, size_t n, uint32_t *off);

#endif
