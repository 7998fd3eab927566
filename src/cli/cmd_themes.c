/* SPDX-License-Identifier: MIT */
/* cintel themes: fit themes on the input lines (or assign them with a saved
 * model); one JSON object per input line with its theme, then one per theme. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libci.h"

static void usage(FILE *o)
{
    fputs("usage: cintel themes [--k N] [--seed S] [--save MODEL] [--bigrams] [--no-stem]\n"
          "                     [--min-similarity X] [FILE|-]\n"
          "       cintel themes --model MODEL [--min-similarity X] [FILE|-]\n"
          "\n"
          "Find the themes of the input lines, one text per line.  Print one JSON object\n"
          "per input line with its theme and cosine similarity (theme -1: none, as for\n"
          "an empty line), then one per theme with its label, size, top terms and\n"
          "example texts.\n"
          "\n"
          "  --k N               number of themes (default 0: chosen automatically)\n"
          "  --seed S            random seed; the same seed gives the same themes\n"
          "                      (default 0)\n"
          "  --save MODEL        also save the fitted model to MODEL\n"
          "  --model MODEL       assign the lines to the themes of a saved model instead\n"
          "                      of fitting (not with --k, --seed, --save, --bigrams or\n"
          "                      --no-stem: the model keeps what it was fitted with)\n"
          "  --bigrams           add word pairs as features\n"
          "  --no-stem           do not stem words\n"
          "  --min-similarity X  in [-1, 1]: a line less similar than this to its\n"
          "                      nearest theme gets none when assigned with the model\n"
          "                      (default 0.2; saved with it).  With --model it can only\n"
          "                      raise the threshold the model was saved with.\n", o);
}

/* A whole decimal number in [0, max]: no sign, no blanks, no trailing text. */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || s[0] < '0' || s[0] > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_real(const char *s, double *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* json_str(), but invalid UTF-8 (which a customer's text, and so a theme's
 * example, may contain) is written as U+FFFD so that the output stays JSON. */
typedef struct text_buf {
    char *p;
    size_t cap;
} text_buf;

static int json_text(text_buf *b, const char *s, size_t n)
{
    size_t bad;
    if (n == 0 || ci_utf8_validate(s, n, &bad) == CI_OK) {
        json_str(stdout, n ? s : "", n);
        return 1;
    }
    if (n > (SIZE_MAX - 1) / 3)
        return 0;
    if (b->cap < 3 * n) {
        char *p = realloc(b->p, 3 * n);
        if (!p)
            return 0;
        b->p = p;
        b->cap = 3 * n;
    }
    size_t len = 0, at = 0;
    for (;;) {
        memcpy(b->p + len, s + at, bad);
        len += bad;
        at += bad;
        if (at == n)
            break;
        memcpy(b->p + len, "\xef\xbf\xbd", 3);
        len += 3;
        at++;
        if (ci_utf8_validate(s + at, n - at, &bad) == CI_OK)
            bad = n - at;
    }
    json_str(stdout, b->p, len);
    return 1;
}

static void strip_eol(const char *line, size_t *len)
{
    if (*len && line[*len - 1] == '\n')
        (*len)--;
    if (*len && line[*len - 1] == '\r')
        (*len)--;
}

static void print_line(unsigned long long line, int theme, double similarity)
{
    printf("{\"line\":%llu,\"theme\":%d,\"similarity\":%.4f}\n", line, theme, similarity);
}

static int print_themes(const ci_theme_model *m)
{
    text_buf b = {NULL, 0};
    int rc = 0;
    size_t k = ci_theme_model_count(m);
    for (size_t i = 0; i < k && rc == 0; i++) {
        ci_theme_info info;
        ci_theme_info_init(&info);
        ci_status st = ci_theme_model_info(m, i, &info);
        if (st != CI_OK) {
            fprintf(stderr, "cintel: theme %zu: %s\n", i, ci_status_string(st));
            rc = EXIT_USAGE;
            break;
        }
        printf("{\"id\":%zu,\"label\":", i);
        int ok = json_text(&b, info.label, info.label_len);
        printf(",\"size\":%zu,\"terms\":[", info.size);
        for (size_t j = 0; ok && j < info.n_terms; j++) {
            const char *term;
            size_t len;
            double w;
            if ((st = ci_theme_model_term(m, i, j, &term, &len, &w)) != CI_OK)
                break;
            printf("%s{\"term\":", j ? "," : "");
            ok = json_text(&b, term, len);
            printf(isfinite(w) ? ",\"weight\":%.6g}" : ",\"weight\":null}", w);
        }
        fputs("],\"examples\":[", stdout);
        for (size_t j = 0; ok && st == CI_OK && j < info.n_examples; j++) {
            const char *text;
            size_t len;
            double sim;
            if ((st = ci_theme_model_example(m, i, j, &text, &len, &sim)) != CI_OK)
                break;
            if (j)
                putchar(',');
            ok = json_text(&b, text, len);
        }
        fputs("]}\n", stdout);
        if (!ok) {
            fprintf(stderr, "cintel: %s\n", ci_status_string(CI_ERR_NOMEM));
            rc = EXIT_USAGE;
        } else if (st != CI_OK) {
            fprintf(stderr, "cintel: theme %zu: %s\n", i, ci_status_string(st));
            rc = EXIT_USAGE;
        }
    }
    free(b.p);
    return rc;
}

/* Fit a model on every line, print the lines' themes and the themes. */
static int fit(FILE *in, const ci_theme_options *o, const char *save)
{
    ci_theme_trainer *t = NULL;
    ci_theme_model *m = NULL;
    ci_status st = ci_theme_trainer_new(o, NULL, &t);
    if (st != CI_OK) {
        if (st == CI_ERR_INVALID)
            fprintf(stderr, "cintel themes: --k %u: too many themes (%s)\n", o->k,
                    ci_status_string(st));
        else
            fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        return EXIT_USAGE;
    }
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    unsigned long long lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        strip_eol(line, &len);
        if ((st = ci_theme_trainer_add(t, line, len)) != CI_OK) {
            fprintf(stderr, "cintel: line %llu: %s\n", lineno, ci_status_string(st));
            rc = st == CI_ERR_NOMEM ? EXIT_USAGE : EXIT_DATA;
            goto out;
        }
    }
    if (ferror(in)) {
        perror("cintel: read");
        rc = EXIT_USAGE;
        goto out;
    }
    if ((st = ci_theme_trainer_fit(t, &m)) != CI_OK) {
        if (st == CI_ERR_STATE && o->k)
            fprintf(stderr, "cintel themes: cannot fit %u themes to %llu line%s: %s\n", o->k,
                    lineno, lineno == 1 ? "" : "s", ci_status_string(st));
        else if (st == CI_ERR_STATE)
            fprintf(stderr, "cintel themes: too few lines (%llu) to fit themes: %s\n", lineno,
                    ci_status_string(st));
        else if (st == CI_ERR_MISSING)
            fprintf(stderr, "cintel themes: no line has a usable term: %s\n",
                    ci_status_string(st));
        else
            fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        rc = st == CI_ERR_MISSING ? EXIT_DATA : EXIT_USAGE;
        goto out;
    }
    if (save && (st = ci_theme_model_save_file(m, save)) != CI_OK) {
        if (st == CI_ERR_IO)
            fprintf(stderr, "cintel: cannot save the model to %s: %s\n", save, strerror(errno));
        else
            fprintf(stderr, "cintel: cannot save the model to %s: %s\n", save,
                    ci_status_string(st));
        rc = EXIT_USAGE;
        goto out;
    }
    for (unsigned long long i = 0; i < lineno; i++) {
        int theme;
        double sim;
        if ((st = ci_theme_trainer_assignment(t, (size_t)i, &theme, &sim)) != CI_OK) {
            fprintf(stderr, "cintel: line %llu: %s\n", i + 1, ci_status_string(st));
            rc = EXIT_USAGE;
            goto out;
        }
        print_line(i + 1, theme, sim);
    }
    rc = print_themes(m);
out:
    free(line);
    ci_theme_model_free(m);
    ci_theme_trainer_free(t);
    return rc;
}

/* Assign every line with a saved model, then print the model's themes. */
static int assign(FILE *in, const char *model, int have_min, double min_sim)
{
    ci_diag d;
    ci_diag_init(&d);
    ci_theme_model *m = NULL;
    ci_status st = ci_theme_model_load_file(model, NULL, &m, &d);
    if (st != CI_OK) {
        if (st == CI_ERR_IO && d.message[0])
            fprintf(stderr, "cintel: %s\n", d.message); /* it names the file */
        else
            fprintf(stderr, "cintel: %s: %s\n", model,
                    d.message[0] ? d.message : ci_status_string(st));
        return EXIT_USAGE;
    }
    ci_theme_assigner *a = NULL;
    if ((st = ci_theme_assigner_new(m, 0, NULL, &a)) != CI_OK) {
        fprintf(stderr, "cintel: %s\n", ci_status_string(st));
        ci_theme_model_free(m);
        return EXIT_USAGE;
    }
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    unsigned long long lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        strip_eol(line, &len);
        int theme;
        double sim;
        st = ci_theme_assign(a, line, len, CI_TIME_NONE, &theme, &sim);
        if (st != CI_OK) {
            /* the line is reported, and the run goes on */
            fprintf(stderr, "cintel: line %llu: %s\n", lineno, ci_status_string(st));
            printf("{\"line\":%llu,\"error\":\"%s\"}\n", lineno, ci_status_string(st));
            rc = EXIT_DATA;
            continue;
        }
        if (have_min && theme >= 0 && sim < min_sim)
            theme = -1;
        print_line(lineno, theme, sim);
    }
    if (ferror(in)) {
        perror("cintel: read");
        rc = EXIT_USAGE;
    } else {
        int prc = print_themes(m);
        if (prc)
            rc = prc;
    }
    free(line);
    ci_theme_assigner_free(a);
    ci_theme_model_free(m);
    return rc;
}

int cmd_themes(int argc, char **argv)
{
    const char *path = NULL, *save = NULL, *model = NULL;
    const char *fit_only = NULL; /* the last option that only applies to fitting */
    int have_min = 0;
    ci_theme_options o;
    ci_theme_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--k") || !strcmp(a, "--seed") || !strcmp(a, "--save") ||
                   !strcmp(a, "--model") || !strcmp(a, "--min-similarity")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cintel themes: %s needs a %s\n", a,
                        !strcmp(a, "--save") || !strcmp(a, "--model") ? "file" : "value");
                return EXIT_USAGE;
            }
            const char *v = argv[++i];
            unsigned long long u;
            if (!strcmp(a, "--k")) {
                if (!parse_uint(v, UINT32_MAX, &u)) {
                    fprintf(stderr, "cintel themes: --k needs a whole number >= 0, not '%s'\n", v);
                    return EXIT_USAGE;
                }
                o.k = (unsigned)u;
                fit_only = a;
            } else if (!strcmp(a, "--seed")) {
                if (!parse_uint(v, UINT64_MAX, &u)) {
                    fprintf(stderr, "cintel themes: --seed needs a whole number >= 0, not '%s'\n",
                            v);
                    return EXIT_USAGE;
                }
                o.seed = u;
                fit_only = a;
            } else if (!strcmp(a, "--min-similarity")) {
                if (!parse_real(v, &o.min_similarity) || o.min_similarity < -1 ||
                    o.min_similarity > 1) {
                    fprintf(stderr,
                            "cintel themes: --min-similarity needs a number in [-1, 1], not '%s'\n",
                            v);
                    return EXIT_USAGE;
                }
                have_min = 1;
            } else if (!strcmp(a, "--save")) {
                save = v;
                fit_only = a;
            } else {
                model = v;
            }
        } else if (!strcmp(a, "--bigrams")) {
            o.bigrams = 1;
            fit_only = a;
        } else if (!strcmp(a, "--no-stem")) {
            o.stem = 0;
            fit_only = a;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "cintel themes: unknown option %s\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "cintel themes: only one input file is read\n");
            return EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (model && fit_only) {
        fprintf(stderr, "cintel themes: %s cannot be used with --model: it applies to fitting\n",
                fit_only);
        usage(stderr);
        return EXIT_USAGE;
    }
    FILE *in = cli_open_input(path);
    if (!in)
        return EXIT_USAGE;
    int rc = model ? assign(in, model, have_min, o.min_similarity) : fit(in, &o, save);
    if (in != stdin)
        fclose(in);
    if (fflush(stdout) != 0 && rc == 0)
        rc = EXIT_USAGE;
    return rc;
}
