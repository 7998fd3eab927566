/* SPDX-License-Identifier: MIT */
/* custom_lexicon: teach libci a domain's words without losing its own.
 *
 *     ./custom_lexicon examples/data/fintech_lexicon.tsv ["text" ...]
 *
 * Loads a domain lexicon over the built-in one (a new lexicon: the built-in
 * entries plus the file's, the file winning), then scores each text with
 * both and prints them side by side:
 *
 *     builtin  domain  builtin-intents  domain-intents  text
 *
 * Without texts on the command line it scores a few payment-support tickets.
 */
#include <stdio.h>
#include <string.h>

#include <libci.h>

static const char *const sample_texts[] = {
    "Yet another chargeback on order 4411, that's the third this week.",
    "Our payouts are stuck in a KYC hold since Monday and payroll is due Friday.",
    "Great news: the account is verified and instant payouts are on.",
    "The dispute was closed in our favour.",
    "If the funds stay frozen we will move our volume to another processor.",
    "Thanks, the new dashboard looks fine.",
};

/* Flagged intents as "urgency,churn", or "-" when none. */
static void intent_list(unsigned flags, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < CI_INTENT_COUNT; i++) {
        if (!(flags & (1u << i)))
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", ci_intent_name(i));
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "-");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s LEXICON.tsv [TEXT...]\n", argv[0]);
        return 2;
    }
    ci_lexicon *builtin = NULL, *domain = NULL;
    ci_sentiment *s_builtin = NULL, *s_domain = NULL;
    int rc = 1;

    ci_status st = ci_lexicon_new_builtin(NULL, &builtin);
    if (st != CI_OK) {
        fprintf(stderr, "ci_lexicon_new_builtin: %s\n", ci_status_string(st));
        goto out;
    }
    /* The built-in lexicon is the base: loading over it keeps its thousands
     * of general terms, modifiers and intents, which a domain file alone
     * would not have.  A bad line fails the whole load, and the diag says
     * which line and why: a half-loaded lexicon would score silently wrong. */
    ci_diag diag;
    ci_diag_init(&diag);
    st = ci_lexicon_load_file(builtin, argv[1], CI_LEXICON_SIMPLE, NULL, &domain, &diag);
    if (st != CI_OK) {
        if (st == CI_ERR_IO)
            perror(argv[1]);
        else
            fprintf(stderr, "%s: %s\n", argv[1], diag.message[0] ? diag.message : ci_status_string(st));
        goto out;
    }
    fprintf(stderr, "%s loaded: %zu terms, %zu of them new\n", argv[1], ci_lexicon_size(domain),
            ci_lexicon_size(domain) - ci_lexicon_size(builtin));

    /* What changed for one term, looked up the way the scorer does. */
    double before = 0, after = 0;
    if (ci_lexicon_lookup(builtin, "chargeback", 10, &before) == CI_OK &&
        ci_lexicon_lookup(domain, "chargeback", 10, &after) == CI_OK)
        fprintf(stderr, "chargeback: %+.1f -> %+.1f\n", before, after);

    /* One scorer per lexicon; each keeps its lexicon, which must outlive it. */
    if ((st = ci_sentiment_new(builtin, NULL, NULL, &s_builtin)) != CI_OK ||
        (st = ci_sentiment_new(domain, NULL, NULL, &s_domain)) != CI_OK) {
        fprintf(stderr, "ci_sentiment_new: %s\n", ci_status_string(st));
        goto out;
    }

    const char *const *texts = sample_texts;
    size_t n_texts = sizeof sample_texts / sizeof sample_texts[0];
    if (argc > 2) {
        texts = (const char *const *)(argv + 2);
        n_texts = (size_t)(argc - 2);
    }
    printf("%8s %8s  %-16s %-16s %s\n", "builtin", "domain", "builtin-intents", "domain-intents",
           "text");
    for (size_t i = 0; i < n_texts; i++) {
        ci_sentiment_result rb, rd;
        ci_sentiment_result_init(&rb);
        ci_sentiment_result_init(&rd);
        size_t len = strlen(texts[i]);
        if ((st = ci_sentiment_score(s_builtin, texts[i], len, &rb)) != CI_OK ||
            (st = ci_sentiment_score(s_domain, texts[i], len, &rd)) != CI_OK) {
            fprintf(stderr, "ci_sentiment_score: %s\n", ci_status_string(st));
            goto out;
        }
        char ib[64], id[64];
        intent_list(rb.intent_flags, ib, sizeof ib);
        intent_list(rd.intent_flags, id, sizeof id);
        printf("%+8.3f %+8.3f  %-16s %-16s %s\n", rb.compound, rd.compound, ib, id, texts[i]);
    }
    rc = 0;
out:
    /* Scorers first: they keep their lexicons. */
    ci_sentiment_free(s_domain);
    ci_sentiment_free(s_builtin);
    ci_lexicon_free(domain);
    ci_lexicon_free(builtin);
    return rc;
}
