/* SPDX-License-Identifier: MIT */
/* cintel sentiment: one JSON object per input line with its scores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libci.h"

static void usage(FILE *o)
{
    fputs("usage: cintel sentiment [--lexicon FILE]... [--emoji-lexicon FILE] [--vader-compat]\n"
          "                        [--explain] [--sentences] [FILE|-]\n"
          "\n"
          "Score each input line; print one JSON object per line with compound, pos,\n"
          "neu, neg and intents (flagged intents, and the strength of every intent\n"
          "found).\n"
          "\n"
          "  --lexicon FILE        a lexicon (VADER's format or term<TAB>valence, plain or\n"
          "                        gzip); overlays the built-in lexicon, or with\n"
          "                        --vader-compat replaces it.  Repeatable: later wins.\n"
          "  --emoji-lexicon FILE  emoji<TAB>description, for --vader-compat\n"
          "  --vader-compat        reproduce the reference VADER implementation exactly\n"
          "  --explain             list each scored term with its offset and valence\n"
          "  --sentences           also score each sentence\n", o);
}

static int load(ci_lexicon **lex, const char *path, int format)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_lexicon *next;
    ci_status st = ci_lexicon_load_file(*lex, path, format, NULL, &next, &d);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: %s: %s\n", path, d.message[0] ? d.message : ci_status_string(st));
        return 0;
    }
    ci_lexicon_free(*lex);
    *lex = next;
    return 1;
}

static void print_result(ci_sentiment *s, unsigned long long line, const char *text,
                         const ci_sentiment_result *r)
{
    printf("{\"line\":%llu,\"compound\":%.4f,\"pos\":%.3f,\"neu\":%.3f,\"neg\":%.3f,\"intents\":[",
           line, r->compound, r->pos, r->neu, r->neg);
    int first = 1;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        if (r->intent_flags & (1u << k)) {
            printf("%s\"%s\"", first ? "" : ",", ci_intent_name(k));
            first = 0;
        }
    printf("],\"intent_strength\":{");
    first = 1;
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        if (r->intent[k] > 0) {
            printf("%s\"%s\":%.3f", first ? "" : ",", ci_intent_name(k), r->intent[k]);
            first = 0;
        }
    putchar('}');
    if (r->n_sentences) {
        printf(",\"sentences\":[");
        for (size_t i = 0; i < r->n_sentences; i++) {
            ci_sentence_score ss;
            ci_sentence_score_init(&ss);
            ci_sentiment_sentence(s, i, &ss);
            printf("%s{\"offset\":%llu,\"length\":%zu,\"compound\":%.4f,\"pos\":%.3f,\"neu\":%.3f,"
                   "\"neg\":%.3f}", i ? "," : "", (unsigned long long)ss.offset, ss.length,
                   ss.compound, ss.pos, ss.neu, ss.neg);
        }
        putchar(']');
    }
    if (r->n_contributions || text == NULL) {
        printf(",\"contributions\":[");
        for (size_t i = 0; i < r->n_contributions; i++) {
            ci_contribution c;
            ci_contribution_init(&c);
            ci_sentiment_contribution(s, i, &c);
            printf("%s{\"term\":", i ? "," : "");
            json_str(stdout, c.term, c.term_len);
            printf(",\"offset\":%llu,\"length\":%zu,\"base\":%.3f,\"valence\":%.4f}",
                   (unsigned long long)c.offset, c.length, c.base, c.valence);
        }
        putchar(']');
    }
    fputs("}\n", stdout);
}

int cmd_sentiment(int argc, char **argv)
{
    const char *path = NULL;
    const char *lexicons[64];
    int nlex = 0, vader = 0, explain = 0, sentences = 0;
    const char *emoji = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--lexicon") || !strcmp(a, "--emoji-lexicon")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cintel sentiment: %s needs a file\n", a);
                return EXIT_USAGE;
            }
            if (a[2] == 'e')
                emoji = argv[++i];
            else if (nlex < 64)
                lexicons[nlex++] = argv[++i];
            else {
                fprintf(stderr, "cintel sentiment: at most 64 --lexicon files\n");
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "--vader-compat")) {
            vader = 1;
        } else if (!strcmp(a, "--explain")) {
            explain = 1;
        } else if (!strcmp(a, "--sentences")) {
            sentences = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "cintel sentiment: unknown option %s\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "cintel sentiment: only one input file is read\n");
            return EXIT_USAGE;
        } else {
            path = a;
        }
    }
    ci_lexicon *lex = NULL;
    ci_status st = vader && nlex ? ci_lexicon_new_empty(NULL, &lex) : ci_lexicon_new_builtin(NULL, &lex);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: lexicon: %s\n", ci_status_string(st));
        return EXIT_USAGE;
    }
    for (int i = 0; i < nlex; i++)
        if (!load(&lex, lexicons[i], CI_LEXICON_AUTO)) {
            ci_lexicon_free(lex);
            return EXIT_USAGE;
        }
    if (emoji && !load(&lex, emoji, CI_LEXICON_EMOJI)) {
        ci_lexicon_free(lex);
        return EXIT_USAGE;
    }
    ci_sentiment_options o;
    ci_sentiment_options_init(&o);
    o.vader_compat = vader;
    o.explain = explain;
    o.sentences = sentences;
    ci_sentiment *s = NULL;
    if ((st = ci_sentiment_new(lex, &o, NULL, &s)) != CI_OK) {
        fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        ci_lexicon_free(lex);
        return EXIT_USAGE;
    }
    FILE *in = cli_open_input(path);
    int rc = in ? 0 : EXIT_USAGE;
    char *line = NULL;
    size_t cap = 0;
    unsigned long long lineno = 0;
    ssize_t n;
    while (in && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        ci_sentiment_result r;
        ci_sentiment_result_init(&r);
        st = ci_sentiment_score(s, line, len, &r);
        if (st != CI_OK) {
            /* the line is reported, and the run goes on */
            fprintf(stderr, "cintel: line %llu: %s\n", lineno, ci_status_string(st));
            printf("{\"line\":%llu,\"error\":\"%s\"}\n", lineno, ci_status_string(st));
            rc = EXIT_DATA;
            continue;
        }
        print_result(s, lineno, explain ? NULL : line, &r);
    }
    if (in && ferror(in)) {
        perror("cintel: read");
        rc = EXIT_USAGE;
    }
    free(line);
    if (in && in != stdin)
        fclose(in);
    ci_sentiment_free(s);
    ci_lexicon_free(lex);
    if (fflush(stdout) != 0 && rc == 0)
        rc = EXIT_USAGE;
    return rc;
}
