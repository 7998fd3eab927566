/* SPDX-License-Identifier: MIT */
/* Fuzz target: the theme-model loader.
 *
 * Input: byte 0 = mode.  Bit 0 clear: the rest is a saved model, loaded as
 * it is (container checks: magic, version, lengths, zlib, CRC).  Bit 0 set:
 * the rest is a raw payload, which the harness seals in a valid container
 * (version 1, or the version in bits 1-3 when they are not 0 or 1) so that
 * the payload parser is what gets fuzzed.
 *
 * A model that loads has every accessor read (count, info, every term and
 * example and one past the end), assigns a few texts (and vectors) with and
 * without timestamps, lists the windows, merges two themes, and saves and
 * reloads.  Invariants: views lie in readable memory, similarities are
 * finite, assigned themes are -1 or below the count, save succeeds and its
 * reload has the same themes, terms and examples. */
#include <math.h>

#include "fuzz.h"
#include "seal.h"

static const char *const k_texts[] = {
    "My card was charged twice, I want a refund",
    "I can't log in to the app, the password reset never arrives",
    "",
    "refund refund refund card card",
    "\xff\xfe broken utf-8 \xc3",
};

static void touch(const char *p, size_t n)
{
    volatile char sink = 0;
    for (size_t i = 0; i < n; i++)
        sink ^= p[i];
    (void)sink;
}

/* Every accessor; returns a digest of what was read, to compare copies. */
static uint64_t read_all(const ci_theme_model *m)
{
    uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
    size_t k = ci_theme_model_count(m);
    FZ_CHECK(k > 0);
    MIX(k);
    for (size_t i = 0; i <= k; i++) {
        ci_theme_info info;
        ci_theme_info_init(&info);
        ci_status st = ci_theme_model_info(m, i, &info);
        if (i == k) {
            FZ_CHECK(st == CI_ERR_NOT_FOUND);
            break;
        }
        FZ_CHECK(st == CI_OK);
        touch(info.label, info.label_len);
        MIX(info.label_len);
        MIX(info.size);
        MIX(info.n_terms);
        MIX(info.n_examples);
        for (size_t j = 0; j <= info.n_terms; j++) {
            const char *term = NULL;
            size_t len = 0;
            double w = 0;
            st = ci_theme_model_term(m, i, j, &term, &len, &w);
            if (j == info.n_terms) {
                FZ_CHECK(st == CI_ERR_NOT_FOUND);
                break;
            }
            FZ_CHECK(st == CI_OK);
            touch(term, len);
            MIX(len);
        }
        for (size_t j = 0; j <= info.n_examples; j++) {
            const char *text = NULL;
            size_t len = 0;
            double sim = 0;
            st = ci_theme_model_example(m, i, j, &text, &len, &sim);
            if (j == info.n_examples) {
                FZ_CHECK(st == CI_ERR_NOT_FOUND);
                break;
            }
            FZ_CHECK(st == CI_OK);
            touch(text, len);
            MIX(len);
        }
    }
#undef MIX
    return h;
}

static void assign_some(const ci_theme_model *m, int64_t window)
{
    ci_theme_assigner *a = NULL;
    ci_status st = ci_theme_assigner_new(m, window, NULL, &a);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    size_t k = ci_theme_model_count(m);
    static const int64_t times[] = {CI_TIME_NONE, 0, 1700000000, -86400 * 3 - 1, INT64_MAX,
                                    INT64_MIN + 1};
    for (size_t t = 0; t < sizeof k_texts / sizeof *k_texts; t++) {
        for (size_t w = 0; w < sizeof times / sizeof *times; w++) {
            int theme = -2;
            double sim = NAN;
            st = ci_theme_assign(a, k_texts[t], strlen(k_texts[t]), times[w], &theme, &sim);
            FZ_OOM(st);
            if (st == CI_OK) {
                FZ_CHECK(theme >= -1 && theme < (int)k);
                FZ_CHECK(isfinite(sim));
            } else {
                FZ_CHECK(st == CI_ERR_STATE || st == CI_ERR_RANGE);
            }
        }
    }
    /* vector models take vectors: try a few dimensions */
    float vec[64];
    for (size_t i = 0; i < 64; i++)
        vec[i] = (float)((i * 7) % 5) - 2.0f;
    for (size_t dims = 1; dims <= 64; dims *= 2) {
        int theme = -2;
        double sim = NAN;
        st = ci_theme_assign_vector(a, vec, dims, 1700000000, &theme, &sim);
        FZ_OOM(st);
        if (st == CI_OK) {
            FZ_CHECK(theme >= -1 && theme < (int)k);
            FZ_CHECK(isfinite(sim));
        }
    }
    for (size_t i = 0;; i++) {
        int64_t start;
        uint64_t total, unassigned;
        st = ci_theme_assigner_window(a, i, &start, &total, &unassigned);
        if (st != CI_OK) {
            FZ_CHECK(st == CI_ERR_NOT_FOUND);
            break;
        }
        FZ_CHECK(unassigned <= total);
    }
    ci_theme_assigner_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz f = {data, size};
    unsigned mode = fz_u8(&f);
    unsigned char *sealed = NULL;
    const char *in = (const char *)f.p;
    size_t in_len = f.n;
    if (mode & 1) {
        uint32_t version = (mode >> 1) & 7;
        if (version == 0)
            version = 1;
        sealed = fz_seal("CITHEME", version, f.p, f.n, &in_len);
        FZ_CHECK(sealed != NULL);
        in = (const char *)sealed;
    }

    ci_theme_model *m = (ci_theme_model *)(uintptr_t)1;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_theme_model_load(in, in_len, fz_poison_alloc(), &m, &diag);
    free(sealed);
    FZ_OOM(st);
    if (st != CI_OK) {
        FZ_CHECK(m == NULL);
        FZ_CHECK(st == CI_ERR_FORMAT || st == CI_ERR_CHECKSUM || st == CI_ERR_VERSION);
        FZ_CHECK(diag.status == st);
        return 0;
    }
    FZ_CHECK(m != NULL);
    uint64_t digest = read_all(m);
    assign_some(m, 0);
    assign_some(m, 3600);

    size_t k = ci_theme_model_count(m);
    if (k >= 2) {
        ci_theme_model *merged = NULL;
        st = ci_theme_model_merge(m, 0, k - 1, &merged);
        FZ_OOM(st);
        FZ_CHECK(st == CI_OK);
        FZ_CHECK(ci_theme_model_count(merged) == k - 1);
        (void)read_all(merged);
        assign_some(merged, 0);
        ci_theme_model_free(merged);
    }

    char *saved = NULL;
    size_t saved_len = 0;
    st = ci_theme_model_save(m, &saved, &saved_len);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    ci_theme_model *again = NULL;
    st = ci_theme_model_load(saved, saved_len, NULL, &again, NULL);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    FZ_CHECK(read_all(again) == digest);
    ci_theme_model_free(again);
    ci_free(saved);
    ci_theme_model_free(m);
    return 0;
}
