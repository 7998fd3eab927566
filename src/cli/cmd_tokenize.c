/* SPDX-License-Identifier: MIT */
/* cintel tokenize: one JSON object per input line with its tokens. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "libci.h"

typedef struct tok_ctx {
    ci_tokenizer *tok;
    FILE *out;
    size_t count;      /* tokens printed for the current line */
    int line_started;  /* the line's JSON prefix was printed */
    unsigned long long line;
} tok_ctx;

static void print_token(tok_ctx *c, const ci_token *t)
{
    FILE *o = c->out;
    if (c->count++)
        putc(',', o);
    fprintf(o, "{\"kind\":\"%s\",\"text\":", ci_token_kind_name(t->kind));
    json_str(o, t->norm, t->norm_len);
    fprintf(o, ",\"offset\":%llu,\"length\":%zu,\"flags\":[",
            (unsigned long long)t->offset, t->length);
    int first = 1;
    for (unsigned bit = 1; bit && bit <= CI_TOKEN_NONASCII; bit <<= 1) {
        if (!(t->flags & bit))
            continue;
        fprintf(o, "%s\"%s\"", first ? "" : ",", ci_token_flag_name(bit));
        first = 0;
    }
    fputs("]}", o);
}

/* Pull every token that is ready; tokens are printed as they come so that a
 * huge line never has to be held in memory. */
static int drain(tok_ctx *c)
{
    ci_token t[64];
    ci_token_init(&t[0]);
    for (;;) {
        size_t n;
        ci_status st = ci_tokenizer_next_batch(c->tok, t, sizeof t / sizeof t[0], &n);
        if (st == CI_MORE || st == CI_DONE)
            return 0;
        if (st != CI_OK) {
            fprintf(stderr, "cintel: line %llu: %s\n", c->line, ci_status_string(st));
            return EXIT_USAGE;
        }
        if (!c->line_started) {
            fprintf(c->out, "{\"line\":%llu,\"tokens\":[", c->line);
            c->line_started = 1;
        }
        for (size_t i = 0; i < n; i++)
            print_token(c, &t[i]);
    }
}

static int on_bytes(void *ctx, const char *data, size_t len)
{
    tok_ctx *c = ctx;
    ci_status st = ci_tokenizer_feed(c->tok, data, len);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        return EXIT_USAGE;
    }
    return drain(c);
}

static int on_eol(void *ctx, unsigned long long line_no)
{
    tok_ctx *c = ctx;
    int rc;
    ci_tokenizer_finish(c->tok);
    if ((rc = drain(c)) != 0)
        return rc;
    if (!c->line_started)
        fprintf(c->out, "{\"line\":%llu,\"tokens\":[", line_no);
    fputs("]}\n", c->out);
    ci_tokenizer_reset(c->tok);
    c->count = 0;
    c->line_started = 0;
    c->line = line_no + 1;
    return 0;
}

static void usage(FILE *o)
{
    fputs("usage: cintel tokenize [FILE|-]\n"
          "\n"
          "Print one JSON object per input line:\n"
          "  {\"line\":N,\"tokens\":[{\"kind\",\"text\",\"offset\",\"length\",\"flags\"}...]}\n"
          "text is NFKC + case-folded; offset and length are bytes within the line.\n", o);
}

int cmd_tokenize(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "cintel tokenize: unknown option %s\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
        if (path) {
            fprintf(stderr, "cintel tokenize: only one input file is read\n");
            return EXIT_USAGE;
        }
        path = argv[i];
    }
    FILE *in = cli_open_input(path);
    if (!in)
        return EXIT_USAGE;
    tok_ctx c = {0};
    c.out = stdout;
    c.line = 1;
    ci_status st = ci_tokenizer_new(NULL, &c.tok);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        if (in != stdin)
            fclose(in);
        return EXIT_USAGE;
    }
    int rc = cli_for_each_line(in, &c, on_bytes, on_eol);
    ci_tokenizer_free(c.tok);
    if (in != stdin)
        fclose(in);
    if (fflush(stdout) != 0 && rc == 0) {
        perror("cintel: write");
        rc = EXIT_USAGE;
    }
    return rc;
}
