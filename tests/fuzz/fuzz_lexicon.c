/* SPDX-License-Identifier: MIT */
/* Fuzz target: the lexicon loader.
 *
 * The whole input is a lexicon file (plain or gzip: the loader detects it).
 * It is loaded in each format (AUTO, VADER, SIMPLE, EMOJI) over no base, and
 * in one of them (the first byte modulo 4; copying the built-in lexicon is
 * what a load over it costs) over the built-in lexicon, where it must give
 * the same status.  A lexicon that loads is queried (size, a few
 * lookups) and scores a fixed text with both rule sets, with explanations
 * and sentences, every one of which is read back.  Invariants: a failed
 * load returns no lexicon and a diag with the same status; lookups give
 * valences in [-4, 4]; scores stay in range (compound in [-1, 1],
 * proportions summing to 1 or all 0, intents in [0, 1]); sentences lie in
 * the text. */
#include <math.h>

#include "fuzz.h"

static const char *const k_texts[] = {
    "The agent was not very helpful :( but the refund came FAST!!! 😀 thanks",
    "I can't log in, this is sooo frustrating. cancel my subscription asap",
    "good good good. bad? #fail <3 🇫🇷 don't",
};

static const char *const k_lookups[] = {"good", "GREAT", "not", ":)", "😀", "refund delay", ""};

static void score_with(const ci_lexicon *lex, int vader)
{
    ci_sentiment_options so;
    ci_sentiment_options_init(&so);
    so.vader_compat = vader;
    so.explain = 1;
    so.sentences = 1;
    ci_sentiment *s = NULL;
    ci_status st = ci_sentiment_new(lex, &so, NULL, &s);
    FZ_OOM(st);
    FZ_CHECK(st == CI_OK);
    for (size_t t = 0; t < sizeof k_texts / sizeof *k_texts; t++) {
        ci_sentiment_result r;
        ci_sentiment_result_init(&r);
        st = ci_sentiment_score(s, k_texts[t], strlen(k_texts[t]), &r);
        FZ_OOM(st);
        FZ_CHECK(st == CI_OK);
        FZ_CHECK(isfinite(r.compound) && r.compound >= -1.0 && r.compound <= 1.0);
        FZ_CHECK(r.pos >= 0 && r.neu >= 0 && r.neg >= 0);
        double sum = r.pos + r.neu + r.neg;
        FZ_CHECK(sum == 0.0 || fabs(sum - 1.0) < 1e-6);
        for (int k = 0; k < CI_INTENT_COUNT; k++)
            FZ_CHECK(r.intent[k] >= 0.0 && r.intent[k] <= 1.0);
        for (size_t i = 0; i < r.n_sentences; i++) {
            ci_sentence_score ss;
            ci_sentence_score_init(&ss);
            FZ_CHECK(ci_sentiment_sentence(s, i, &ss) == CI_OK);
            FZ_CHECK(ss.offset + ss.length <= strlen(k_texts[t]));
        }
        ci_sentence_score ss;
        ci_sentence_score_init(&ss);
        FZ_CHECK(ci_sentiment_sentence(s, r.n_sentences, &ss) == CI_ERR_NOT_FOUND);
        for (size_t i = 0; i < r.n_contributions; i++) {
            ci_contribution c;
            ci_contribution_init(&c);
            FZ_CHECK(ci_sentiment_contribution(s, i, &c) == CI_OK);
            FZ_CHECK(isfinite(c.base) && isfinite(c.valence));
            FZ_CHECK(c.term != NULL || c.term_len == 0);
            volatile char sink = 0;
            for (size_t b = 0; b < c.term_len; b++)
                sink ^= c.term[b]; /* the view must be readable */
            (void)sink;
        }
    }
    ci_sentiment_free(s);
}

static void exercise(const ci_lexicon *lex)
{
    (void)ci_lexicon_size(lex);
    for (size_t i = 0; i < sizeof k_lookups / sizeof *k_lookups; i++) {
        double v = 0;
        ci_status st = ci_lexicon_lookup(lex, k_lookups[i], strlen(k_lookups[i]), &v);
        FZ_OOM(st);
        FZ_CHECK(st == CI_OK || st == CI_ERR_NOT_FOUND || st == CI_ERR_INVALID);
        if (st == CI_OK)
            FZ_CHECK(isfinite(v) && v >= -4.0 && v <= 4.0);
    }
    score_with(lex, 0);
    score_with(lex, 1);
}

static ci_status load(const ci_lexicon *base, const uint8_t *data, size_t size, int format)
{
    ci_lexicon *lex = (ci_lexicon *)(uintptr_t)1;
    ci_diag diag;
    ci_diag_init(&diag);
    ci_status st = ci_lexicon_load_buffer(base, (const char *)data, size, format,
                                          fz_poison_alloc(), &lex, &diag);
    FZ_OOM(st);
    FZ_CHECK(ci_status_string(st) != NULL);
    if (st != CI_OK) {
        FZ_CHECK(lex == NULL);
        FZ_CHECK(diag.status == st);
        FZ_CHECK(memchr(diag.message, '\0', sizeof diag.message) != NULL);
        return st;
    }
    FZ_CHECK(lex != NULL);
    exercise(lex);
    ci_lexicon_free(lex);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ci_lexicon *builtin;
    if (!builtin)
        FZ_CHECK(ci_lexicon_new_builtin(NULL, &builtin) == CI_OK);

    ci_status over_null[4];
    for (int format = CI_LEXICON_AUTO; format <= CI_LEXICON_EMOJI; format++)
        over_null[format] = load(NULL, data, size, format);
    /* Over the built-in lexicon (a copy of thousands of entries, so one
     * format per input, chosen by the first byte): the same lines parse the
     * same way whatever the base. */
    int format = size ? data[0] % 4 : 0;
    FZ_CHECK(load(builtin, data, size, format) == over_null[format]);
    return 0;
}
