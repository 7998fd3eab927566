/* SPDX-License-Identifier: MIT */
/* ticket_hook: route support tickets the moment they arrive.
 *
 * A support platform calls a hook for each new ticket; this one reads them
 * from stdin, one per line:
 *
 *     account_id<TAB>text
 *
 * and prints one routing decision per ticket on stdout:
 *
 *     ROUTE  ACCOUNT  compound=C  account_risk=R  intents=LIST  why=REASON
 *
 * ROUTE is CHURN-RISK, URGENT or normal; REASON is stated-churn, account-risk,
 * urgency or "-".  Lines without a TAB are reported on stderr and skipped: a
 * hook must not stop the queue because of one malformed ticket.
 *
 *     ./ticket_hook < examples/data/incoming_tickets.tsv
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getline */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <libci.h>

/* An account this risky goes to the retention team whatever this ticket
 * says.  In libci 1.0 one earlier churn mention alone puts an account at
 * 0.45, while negative tone alone stays below 0.35 (see ci_account_health):
 * the threshold takes a stated intent to leave, or several warning signs. */
#define ACCOUNT_RISK_THRESHOLD 0.40

typedef enum { ROUTE_NORMAL, ROUTE_URGENT, ROUTE_CHURN } route;
static const char *const route_names[] = {"normal", "URGENT", "CHURN-RISK"};

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
            break; /* cannot happen with six short names; stay safe anyway */
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "-");
}

/* Route one ticket.  Returns 0 when it was routed or skipped as malformed,
 * -1 on a library failure that should stop the hook (out of memory). */
static int handle_ticket(ci_sentiment *scorer, ci_analyzer *an, char *line, size_t len,
                         long lineno, int counts[3])
{
    char *tab = memchr(line, '\t', len);
    if (!tab || tab == line) {
        fprintf(stderr, "line %ld: expected 'account_id<TAB>text', skipped\n", lineno);
        return 0;
    }
    const char *account = line;
    size_t account_len = (size_t)(tab - line);
    const char *text = tab + 1;
    size_t text_len = len - account_len - 1;

    /* Score the text once, with our own scorer: its intents drive routing. */
    ci_sentiment_result sr;
    ci_sentiment_result_init(&sr);
    ci_status st = ci_sentiment_score(scorer, text, text_len, &sr);
    if (st != CI_OK) {
        fprintf(stderr, "line %ld: ci_sentiment_score: %s\n", lineno, ci_status_string(st));
        return st == CI_ERR_NOMEM ? -1 : 0;
    }

    /* Hand the same result to the analyzer with ci_analyzer_add_result()
     * rather than ci_analyzer_add(), so the text is not scored a second
     * time: the analyzer only keeps the account's history up to date. */
    ci_signal sig;
    ci_signal_init(&sig);
    sig.kind = CI_SIGNAL_TICKET;
    sig.timestamp = (int64_t)time(NULL); /* arrival time: a live hook sees tickets as they come */
    sig.account_id = (ci_str){account, account_len};
    sig.text = (ci_str){text, text_len};
    ci_signal_result res;
    ci_signal_result_init(&res);
    res.has_sentiment = 1;
    res.compound = sr.compound;
    res.pos = sr.pos;
    res.neu = sr.neu;
    res.neg = sr.neg;
    res.intent_flags = sr.intent_flags;
    memcpy(res.intent, sr.intent, sizeof res.intent);
    res.theme = -1; /* no theme model here */
    ci_diag diag;
    ci_diag_init(&diag);
    st = ci_analyzer_add_result(an, &sig, &res, &diag);
    if (st != CI_OK) {
        /* An invalid ticket (empty text, an overlong account id ...) is the
         * sender's problem; running out of memory is ours. */
        fprintf(stderr, "line %ld: %s\n", lineno,
                diag.message[0] ? diag.message : ci_status_string(st));
        return st == CI_ERR_NOMEM ? -1 : 0;
    }

    /* The account's churn risk now includes this ticket. */
    size_t idx;
    ci_account_health h;
    ci_account_health_init(&h);
    if ((st = ci_analyzer_find_account(an, account, account_len, &idx)) != CI_OK ||
        (st = ci_analyzer_account(an, idx, &h)) != CI_OK) {
        fprintf(stderr, "line %ld: account health: %s\n", lineno, ci_status_string(st));
        return -1; /* the account was just added: any failure here is ours */
    }

    /* What the customer says now comes first; history breaks the tie.  A
     * churn threat outranks urgency: the retention team handles the urgent
     * part too, while the ordinary fast lane would not save the account. */
    route r = ROUTE_NORMAL;
    const char *why = "-";
    if (sr.intent_flags & (1u << CI_INTENT_CHURN)) {
        r = ROUTE_CHURN;
        why = "stated-churn";
    } else if (h.churn_risk >= ACCOUNT_RISK_THRESHOLD) {
        r = ROUTE_CHURN;
        why = "account-risk";
    } else if (sr.intent_flags & (1u << CI_INTENT_URGENCY)) {
        r = ROUTE_URGENT;
        why = "urgency";
    }
    counts[r]++;

    char intents[128];
    intent_list(sr.intent_flags, intents, sizeof intents);
    printf("%-10s %-20.*s compound=%+.3f account_risk=%.2f intents=%s why=%s\n",
           route_names[r], (int)account_len, account, sr.compound, h.churn_risk, intents, why);
    /* A hook's caller reads each decision as it is made, not at exit. */
    fflush(stdout);
    return 0;
}

int main(void)
{
    ci_lexicon *lex = NULL;
    ci_sentiment *scorer = NULL;
    ci_analyzer *an = NULL;
    char *line = NULL;
    size_t cap = 0;
    int rc = 1;

    /* One lexicon, scorer and analyzer for the hook's whole life: creating
     * them per ticket would rebuild the built-in lexicon every time. */
    ci_status st = ci_lexicon_new_builtin(NULL, &lex);
    if (st != CI_OK) {
        fprintf(stderr, "ci_lexicon_new_builtin: %s\n", ci_status_string(st));
        goto out;
    }
    if ((st = ci_sentiment_new(lex, NULL, NULL, &scorer)) != CI_OK) {
        fprintf(stderr, "ci_sentiment_new: %s\n", ci_status_string(st));
        goto out;
    }
    /* No dimensions and no lexicon: this analyzer only tracks accounts, and
     * gets its sentiment from the scorer above. */
    ci_analyzer_options ao;
    ci_analyzer_options_init(&ao);
    if ((st = ci_analyzer_new(&ao, NULL, &an)) != CI_OK) {
        fprintf(stderr, "ci_analyzer_new: %s\n", ci_status_string(st));
        goto out;
    }

    int counts[3] = {0, 0, 0};
    long lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) != -1) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (handle_ticket(scorer, an, line, len, lineno, counts) != 0)
            goto out;
    }
    if (ferror(stdin)) {
        perror("stdin");
        goto out;
    }
    fprintf(stderr, "%d tickets: %d churn-risk, %d urgent, %d normal\n",
            counts[0] + counts[1] + counts[2], counts[ROUTE_CHURN], counts[ROUTE_URGENT],
            counts[ROUTE_NORMAL]);
    rc = 0;
out:
    free(line);
    ci_analyzer_free(an);
    ci_sentiment_free(scorer); /* before its lexicon, which it keeps */
    ci_lexicon_free(lex);
    return rc;
}
