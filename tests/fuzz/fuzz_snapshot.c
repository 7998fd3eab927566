/* SPDX-License-Identifier: MIT */
/* Fuzz target: the analyzer snapshot loader.
 *
 * Input: byte 0 = mode.  Bit 0 clear: the rest is a saved snapshot, loaded
 * as it is (container checks).  Bit 0 set: the rest is a raw payload that
 * the harness seals in a valid container (version 1, or bits 1-3 when they
 * are 2 or more), so that the payload parser is what gets fuzzed.
 *
 * A snapshot that loads has every segment, bucket, account and example
 * read, comparisons and trends computed, insights built (default options
 * and permissive ones), is saved and loaded again, and is merged into a
 * fresh analyzer of the same configuration.  Invariants: what is read is
 * consistent (counts, ranges that hold for any counts, find() finds each
 * segment and account where it was listed); the reloaded copy and the merged
 * fresh analyzer have the same segment count, account count and population. */
#include "analyzer_check.h"
#include "seal.h"

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
        sealed = fz_seal("CISNAP\0\0", version, f.p, f.n, &in_len);
        FZ_CHECK(sealed != NULL);
        in = (const char *)sealed;
    }
    ci_analyzer *an = (ci_analyzer *)(uintptr_t)1;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_analyzer_load(in, in_len, NULL, fz_poison_alloc(), &an, &diag);
    free(sealed);
    FZ_OOM(st);
    if (st != CI_OK) {
        FZ_CHECK(an == NULL);
        FZ_CHECK(st == CI_ERR_FORMAT || st == CI_ERR_CHECKSUM || st == CI_ERR_VERSION);
        FZ_CHECK(diag.status == st);
        return 0;
    }
    FZ_CHECK(an != NULL);
    /* A snapshot may describe an analyzer whose summary is legitimately huge
     * (16 dimensions at depth 16 make 65536 segments per combination; each
     * summary entry has a count per theme).  Such a one is loaded but not
     * read: the harness looks for bugs, not for the cost of a valid
     * configuration. */
    double entries = (double)an->cells.count * (double)an->nmasks * 4.0 + 1.0;
    if (entries * ((double)sizeof(stats) + 8.0 * (double)an->ntheme) > 256.0 * 1024 * 1024) {
        ci_analyzer_free(an);
        return 0;
    }
    FZ_CHECK(ci_analyzer_summarize(an) == CI_OK);
    fz_read_segments(an, 0);
    fz_read_accounts(an, 0);
    fz_insights(an, 30, 0.05, 0.2);
    fz_insights(an, 1, 0.99, 0.0);

    ci_analyzer *back = fz_save_load(an, NULL);
    fz_read_segments(back, 0);
    ci_analyzer_free(back);

    ci_analyzer *fresh = fz_fresh_like(an, NULL, NULL);
    st = ci_analyzer_merge(fresh, an);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    FZ_CHECK(ci_analyzer_segment_count(fresh) == ci_analyzer_segment_count(an));
    FZ_CHECK(ci_analyzer_account_count(fresh) == ci_analyzer_account_count(an));
    FZ_CHECK(fz_population(fresh) == fz_population(an));
    fz_read_segments(fresh, 0);
    fz_read_accounts(fresh, 0);
    ci_analyzer_free(fresh);
    ci_analyzer_free(an);
    return 0;
}
