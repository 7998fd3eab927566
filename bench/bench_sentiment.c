/* SPDX-License-Identifier: MIT */
/*
 * Sentiment throughput on one thread: the 15,671 reference texts scored
 * repeatedly, native (built-in lexicon) and VADER-compatible, reporting
 * documents/s, MB/s and allocations per text in steady state.
 *
 *   bench_sentiment [--shared DIR] [--seconds S] [--only native|vader]
 *
 * --only runs one mode alone (for profilers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libci.h"

typedef struct counting {
    long allocs;
} counting;

static void *c_malloc(void *ud, size_t n) { ((counting *)ud)->allocs++; return malloc(n); }
static void *c_realloc(void *ud, void *p, size_t n) { ((counting *)ud)->allocs++; return realloc(p, n); }
static void c_free(void *ud, void *p) { (void)ud; free(p); }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct corpus {
    char **text;
    size_t *len;
    size_t n, bytes;
} corpus;

static int read_reference(const char *path, corpus *c)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t n;
    int first = 1;
    memset(c, 0, sizeof *c);
    while ((n = getline(&line, &cap, f)) > 0) {
        if (first) {
            first = 0;
            continue;
        }
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        if (c->n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            c->text = realloc(c->text, alloc * sizeof *c->text);
            c->len = realloc(c->len, alloc * sizeof *c->len);
        }
        c->len[c->n] = (size_t)(tab - line);
        c->text[c->n] = malloc(c->len[c->n] + 1);
        memcpy(c->text[c->n], line, c->len[c->n] + 1);
        c->bytes += c->len[c->n];
        c->n++;
    }
    free(line);
    fclose(f);
    return c->n > 0;
}

static void run(const char *name, const ci_lexicon *lex, int vader, const corpus *c,
                double seconds, counting *cnt, ci_allocator *alloc)
{
    ci_sentiment_options o;
    ci_sentiment_options_init(&o);
    o.vader_compat = vader;
    ci_sentiment *s;
    if (ci_sentiment_new(lex, &o, alloc, &s) != CI_OK) {
        fprintf(stderr, "ci_sentiment_new failed\n");
        exit(2);
    }
    ci_sentiment_result r;
    ci_sentiment_result_init(&r);
    double sink = 0;
    for (size_t i = 0; i < c->n; i++) { /* warm-up: buffers reach their size */
        ci_sentiment_score(s, c->text[i], c->len[i], &r);
        sink += r.compound;
    }
    long allocs_before = cnt->allocs;
    double best = 1e9;
    size_t passes = 0;
    double t_end = now() + seconds;
    do {
        double t0 = now();
        for (size_t i = 0; i < c->n; i++) {
            ci_sentiment_score(s, c->text[i], c->len[i], &r);
            sink += r.compound;
        }
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        passes++;
    } while (now() < t_end);
    long allocs = cnt->allocs - allocs_before;
    printf("%-22s %10.0f texts/s  %7.1f MB/s  (best of %zu passes over %zu texts, %.1f bytes avg)\n",
           name, (double)c->n / best, (double)c->bytes / best / 1e6, passes, c->n,
           (double)c->bytes / (double)c->n);
    printf("%-22s allocations per text in steady state: %.6f (%ld over %zu texts)\n", "",
           (double)allocs / (double)(passes * c->n), allocs, passes * c->n);
    if (sink == 12345.678)
        puts("");
    ci_sentiment_free(s);
}

int main(int argc, char **argv)
{
    const char *shared = "../shared", *only = NULL;
    double seconds = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shared") && i + 1 < argc)
            shared = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "native") || !strcmp(argv[i + 1], "vader")))
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sentiment [--shared DIR] [--seconds S] [--only native|vader]\n");
            return 2;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data/vader/reference.tsv", shared);
    corpus c;
    if (!read_reference(path, &c)) {
        fprintf(stderr, "cannot read %s (use --shared DIR)\n", path);
        return 2;
    }
    counting cnt = {0};
    ci_allocator alloc;
    ci_allocator_init(&alloc);
    alloc.malloc_fn = c_malloc;
    alloc.realloc_fn = c_realloc;
    alloc.free_fn = c_free;
    alloc.user_data = &cnt;

    printf("libci %s sentiment benchmark, one thread, %zu reference texts (%.2f MB)\n",
           ci_version_string(), c.n, (double)c.bytes / 1e6);
    ci_lexicon *builtin;
    if (ci_lexicon_new_builtin(&alloc, &builtin) != CI_OK)
        return 2;
    if (!only || !strcmp(only, "native"))
        run("native (built-in)", builtin, 0, &c, seconds, &cnt, &alloc);

    ci_lexicon *e, *l1, *l2;
    snprintf(path, sizeof path, "%s/data/vader/vader_lexicon.txt", shared);
    ci_lexicon_new_empty(&alloc, &e);
    if (ci_lexicon_load_file(e, path, CI_LEXICON_VADER, NULL, &l1, NULL) != CI_OK)
        return 2;
    snprintf(path, sizeof path, "%s/data/vader/emoji_utf8_lexicon.txt", shared);
    if (ci_lexicon_load_file(l1, path, CI_LEXICON_EMOJI, NULL, &l2, NULL) != CI_OK)
        return 2;
    if (!only || !strcmp(only, "vader"))
        run("vader-compat", l2, 1, &c, seconds, &cnt, &alloc);
    printf("reference: the Python implementation scores about 10,000 texts/s on this machine\n");
    ci_lexicon_free(builtin);
    ci_lexicon_free(e);
    ci_lexicon_free(l1);
    ci_lexicon_free(l2);
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    free(c.len);
    return 0;
}
