/* SPDX-License-Identifier: MIT */
/*
 * Theme discovery on Banking77: clusters all 13,083 queries (train + test)
 * without their labels, then scores the themes against the labels with NMI
 * and ARI, over seeds 0, 1 and 2, with the wall time of vectorizing and
 * clustering.
 *
 *   bench_themes [--shared DIR] [--k N] [--seeds N] [--neighbors N] [--dims N]
 *                [--n-init N] [--no-stem] [--print-themes]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libci.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct row {
    char *text;
    size_t len;
    int label;
} row;

typedef struct data {
    row *rows;
    size_t n, cap;
    char **labels;
    size_t nlabels;
} data;

static int label_id(data *d, const char *s)
{
    for (size_t i = 0; i < d->nlabels; i++)
        if (!strcmp(d->labels[i], s))
            return (int)i;
    d->labels = realloc(d->labels, (d->nlabels + 1) * sizeof *d->labels);
    d->labels[d->nlabels] = strdup(s);
    return (int)d->nlabels++;
}

/* RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
static int read_csv(const char *path, data *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *field[2] = {NULL, NULL};
    size_t flen[2] = {0, 0}, fcap[2] = {0, 0};
    int fi = 0, quoted = 0, header = 1, c;
    for (;;) {
        c = fgetc(f);
        if (quoted) {
            if (c == EOF)
                break;
            if (c == '"') {
                int c2 = fgetc(f);
                if (c2 == '"')
                    goto add;
                quoted = 0;
                c = c2;
            } else {
                goto add;
            }
        }
        if (c == '"' && flen[fi] == 0) {
            quoted = 1;
            continue;
        }
        if (c == ',' && fi == 0) {
            fi = 1;
            continue;
        }
        if (c == '\n' || c == EOF) {
            if (fi == 1 && !header) {
                if (d->n == d->cap) {
                    d->cap = d->cap ? d->cap * 2 : 1024;
                    d->rows = realloc(d->rows, d->cap * sizeof *d->rows);
                }
                field[1][flen[1]] = '\0';
                if (flen[1] && field[1][flen[1] - 1] == '\r')
                    field[1][--flen[1]] = '\0';
                d->rows[d->n].text = malloc(flen[0] + 1);
                memcpy(d->rows[d->n].text, field[0], flen[0]);
                d->rows[d->n].len = flen[0];
                d->rows[d->n].label = label_id(d, field[1]);
                d->n++;
            }
            header = 0;
            fi = 0;
            flen[0] = flen[1] = 0;
            if (c == EOF)
                break;
            continue;
        }
    add:
        if (flen[fi] + 2 > fcap[fi]) {
            fcap[fi] = fcap[fi] ? fcap[fi] * 2 : 256;
            field[fi] = realloc(field[fi], fcap[fi]);
        }
        field[fi][flen[fi]++] = (char)c;
    }
    free(field[0]);
    free(field[1]);
    fclose(f);
    return 1;
}

static double comb2(double x) { return x * (x - 1) / 2; }

/* NMI (arithmetic mean normalization, as scikit-learn) and ARI. */
static void scores(const int *a, const int *b, size_t n, int na, int nb, double *nmi, double *ari)
{
    double *cont = calloc((size_t)na * (size_t)nb, sizeof(double));
    double *ra = calloc((size_t)na, sizeof(double)), *rb = calloc((size_t)nb, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        cont[a[i] * nb + b[i]]++;
        ra[a[i]]++;
        rb[b[i]]++;
    }
    double mi = 0, ha = 0, hb = 0, sum_c = 0, sum_a = 0, sum_b = 0, N = (double)n;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            double c = cont[i * nb + j];
            if (c > 0)
                mi += c / N * log(c * N / (ra[i] * rb[j]));
            sum_c += comb2(c);
        }
    for (int i = 0; i < na; i++)
        if (ra[i] > 0) {
            ha -= ra[i] / N * log(ra[i] / N);
            sum_a += comb2(ra[i]);
        }
    for (int j = 0; j < nb; j++)
        if (rb[j] > 0) {
            hb -= rb[j] / N * log(rb[j] / N);
            sum_b += comb2(rb[j]);
        }
    *nmi = (ha + hb) > 0 ? 2 * mi / (ha + hb) : 1;
    double expected = sum_a * sum_b / comb2(N), max = (sum_a + sum_b) / 2;
    *ari = (sum_c - expected) / (max - expected);
    free(cont);
    free(ra);
    free(rb);
}

static int cmpd(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    const char *shared = "../shared";
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = 77;
    int seeds = 3, print = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shared") && i + 1 < argc) shared = argv[++i];
        else if (!strcmp(argv[i], "--k") && i + 1 < argc) o.k = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--neighbors") && i + 1 < argc) o.neighbors = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dims") && i + 1 < argc) o.dims = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n-init") && i + 1 < argc) o.n_init = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bigrams")) o.bigrams = 1;
        else if (!strcmp(argv[i], "--no-stem")) o.stem = 0;
        else if (!strcmp(argv[i], "--print-themes")) print = 1;
        else {
            fprintf(stderr, "usage: bench_themes [--shared DIR] [--k N] [--seeds N] [--neighbors N] "
                            "[--dims N] [--n-init N] [--bigrams] [--no-stem] [--print-themes]\n");
            return 2;
        }
    }
    data d = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/data/banking77/train.csv", shared);
    if (!read_csv(path, &d)) {
        fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    snprintf(path, sizeof path, "%s/data/banking77/test.csv", shared);
    if (!read_csv(path, &d)) {
        fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    printf("libci %s themes on Banking77: %zu texts, %zu labels, k=%u, stemmer %s\n",
           ci_version_string(), d.n, d.nlabels, o.k, ci_themes_have_stemmer() && o.stem ? "on" : "off");
    printf("options: neighbors %u, LSA dims %u, n_init %u, bigrams %d\n", o.neighbors, o.dims,
           o.n_init, o.bigrams);
    double nmis[16], aris[16], secs[16];
    int *truth = malloc(d.n * sizeof *truth), *pred = malloc(d.n * sizeof *pred);
    for (size_t i = 0; i < d.n; i++)
        truth[i] = d.rows[i].label;
    for (int s = 0; s < seeds && s < 16; s++) {
        o.seed = (uint64_t)s;
        double t0 = now();
        ci_theme_trainer *t;
        ci_theme_model *m;
        if (ci_theme_trainer_new(&o, NULL, &t) != CI_OK)
            return 2;
        for (size_t i = 0; i < d.n; i++)
            if (ci_theme_trainer_add(t, d.rows[i].text, d.rows[i].len) != CI_OK)
                return 2;
        ci_status st = ci_theme_trainer_fit(t, &m);
        secs[s] = now() - t0;
        if (st != CI_OK) {
            fprintf(stderr, "fit: %s\n", ci_status_string(st));
            return 2;
        }
        int k = (int)ci_theme_model_count(m);
        for (size_t i = 0; i < d.n; i++) {
            int th;
            ci_theme_trainer_assignment(t, i, &th, NULL);
            pred[i] = th < 0 ? k : th; /* texts with no theme form one extra group */
        }
        scores(truth, pred, d.n, (int)d.nlabels, k + 1, &nmis[s], &aris[s]);
        printf("seed %d: NMI %.3f ARI %.3f  %.3f s (vectorize + cluster)\n", s, nmis[s], aris[s], secs[s]);
        if (print && s == 0)
            for (int j = 0; j < k; j++) {
                ci_theme_info info;
                ci_theme_info_init(&info);
                ci_theme_model_info(m, (size_t)j, &info);
                const char *ex;
                size_t exl;
                double sim;
                ci_theme_model_example(m, (size_t)j, 0, &ex, &exl, &sim);
                printf("  %2d %4zu  %-32.*s | %.*s\n", j, info.size, (int)info.label_len, info.label,
                       (int)(exl > 70 ? 70 : exl), ex);
            }
        ci_theme_model_free(m);
        ci_theme_trainer_free(t);
    }
    qsort(nmis, (size_t)seeds, sizeof(double), cmpd);
    qsort(aris, (size_t)seeds, sizeof(double), cmpd);
    qsort(secs, (size_t)seeds, sizeof(double), cmpd);
    printf("median over %d seeds: NMI %.3f ARI %.3f, %.3f s\n", seeds, nmis[seeds / 2],
           aris[seeds / 2], secs[seeds / 2]);
    printf("baseline (scikit-learn TF-IDF + KMeans, measured here): NMI 0.53-0.56, ARI 0.17-0.20, 0.25-0.9 s\n");
    return 0;
}
