/* SPDX-License-Identifier: MIT */
/* batch_csv: a nightly batch job over a CSV export.
 *
 *     ./batch_csv examples/data/export_small.csv /tmp/export.cisnap
 *
 * Reads the export, adds every row to an analyzer segmented by tier and
 * region, prints the segment table (count, NPS with its 95 % margin, mean
 * sentiment) and the top insights as sentences, and saves a snapshot that
 * later jobs can load or merge (ci_analyzer_load_file, ci_analyzer_merge).
 *
 * The CSV format, deliberately simple (no quoting):
 *  - UTF-8; LF or CRLF line ends; the first line is exactly the header
 *        created_at,account_id,tier,region,nps,text
 *  - created_at is UTC as YYYY-MM-DDTHH:MM:SSZ;
 *  - nps is an integer 0-10, or empty when the row has no survey answer;
 *  - text is the last column and runs to the end of the line, so it may
 *    contain commas (but no line breaks); the other fields may not.
 * A row that breaks these rules, or that the analyzer rejects, is reported
 * on stderr with its line number and skipped; the job still succeeds.  For
 * real RFC 4180 CSV (quoted fields, multi-line texts) use `cintel report`.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getline */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libci.h>

#define N_FIELDS 6
static const char header[] = "created_at,account_id,tier,region,nps,text";

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): exact, no time zone involved, unlike mktime(). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "2026-08-03T09:19:57Z" to Unix seconds; 0 on success, -1 if malformed. */
static int parse_iso8601(const char *s, size_t len, int64_t *out)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays[mo - 1] || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

/* Split a line into the six fields: the first five end at a comma, the text
 * takes the rest.  Returns 0, or -1 with fewer than six fields. */
static int split_row(const char *line, size_t len, ci_str f[N_FIELDS])
{
    size_t start = 0;
    for (int i = 0; i < N_FIELDS - 1; i++) {
        const char *comma = memchr(line + start, ',', len - start);
        if (!comma)
            return -1;
        size_t end = (size_t)(comma - line);
        f[i] = (ci_str){line + start, end - start};
        start = end + 1;
    }
    f[N_FIELDS - 1] = (ci_str){line + start, len - start};
    return 0;
}

/* Read the CSV into the analyzer.  Returns the number of rows added, or -1
 * on a failure that must stop the job (I/O, memory). */
static long load_csv(FILE *in, const char *path, ci_analyzer *an, long *skipped)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, added = 0;
    *skipped = 0;
    while ((n = getline(&line, &cap, in)) != -1) {
        size_t len = (size_t)n;
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (lineno == 1) {
            /* A column order we do not know would silently mix up tier and
             * region: refuse it rather than guess. */
            if (len != sizeof header - 1 || memcmp(line, header, len) != 0) {
                fprintf(stderr, "%s: expected the header '%s'\n", path, header);
                free(line);
                return -1;
            }
            continue;
        }
        if (len == 0)
            continue;

        ci_str f[N_FIELDS];
        int64_t ts;
        int nps = -1;
        if (split_row(line, len, f) != 0 || parse_iso8601(f[0].data, f[0].len, &ts) != 0 ||
            (f[4].len && (f[4].len > 2 || (nps = digits(f[4].data, (int)f[4].len)) < 0))) {
            fprintf(stderr, "%s:%ld: malformed row, skipped\n", path, lineno);
            ++*skipped;
            continue;
        }
        /* The analyzer segments by attributes: one per declared dimension. */
        ci_attr attrs[2] = {{{"tier", 4}, f[2]}, {{"region", 6}, f[3]}};
        ci_signal sig;
        ci_signal_init(&sig);
        sig.timestamp = ts;
        sig.account_id = f[1];
        sig.text = f[5];
        sig.attrs = attrs;
        sig.n_attrs = 2;
        sig.kind = CI_SIGNAL_TICKET;
        if (nps >= 0) {
            /* The range (0-10) is left to ci_analyzer_add(), which checks
             * it and names the problem in its diag. */
            sig.kind = CI_SIGNAL_SURVEY;
            sig.has |= CI_HAS_NPS;
            sig.nps = nps;
        }
        ci_diag diag;
        ci_diag_init(&diag);
        ci_status st = ci_analyzer_add(an, &sig, NULL, &diag);
        if (st == CI_ERR_NOMEM) {
            fprintf(stderr, "%s:%ld: %s\n", path, lineno, ci_status_string(st));
            free(line);
            return -1;
        }
        if (st != CI_OK) {
            fprintf(stderr, "%s:%ld: %s, skipped\n", path, lineno,
                    diag.message[0] ? diag.message : ci_status_string(st));
            ++*skipped;
            continue;
        }
        added++;
    }
    int err = ferror(in);
    free(line);
    if (err) {
        perror(path);
        return -1;
    }
    return added;
}

/* "tier=enterprise, region=EMEA", or "(all)" for the population. */
static void segment_name(const ci_analyzer *an, const ci_str *values, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < ci_analyzer_dimension_count(an); d++) {
        if (!values[d].data)
            continue; /* the segment does not split by this dimension */
        ci_str dim = ci_analyzer_dimension(an, d);
        int w = snprintf(buf + used, cap - used, "%s%.*s=%.*s", used ? ", " : "", (int)dim.len,
                         dim.data, (int)values[d].len, values[d].data);
        if (w < 0 || (size_t)w >= cap - used)
            return; /* truncated: good enough for a table */
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, cap, "(all)");
}

/* One line of the segment table. */
typedef struct {
    unsigned depth;
    char name[128];
    ci_segment_stats stats;
} table_row;

static int row_order(const void *a, const void *b)
{
    const table_row *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int print_segments(const ci_analyzer *an)
{
    /* The analyzer's segment order is stable but arbitrary: sort the table
     * for people, population first, then by depth and name. */
    size_t n = ci_analyzer_segment_count(an);
    table_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        perror("calloc");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        ci_str values[2];
        ci_segment_stats_init(&rows[i].stats);
        ci_status st = ci_analyzer_segment(an, i, values, &rows[i].stats);
        if (st != CI_OK) {
            fprintf(stderr, "ci_analyzer_segment: %s\n", ci_status_string(st));
            free(rows);
            return -1;
        }
        rows[i].depth = ci_analyzer_segment_depth(an, i);
        segment_name(an, values, rows[i].name, sizeof rows[i].name);
    }
    qsort(rows, n, sizeof *rows, row_order);

    printf("%-32s %6s %8s %8s %9s\n", "segment", "count", "NPS", "+-", "sentiment");
    for (size_t i = 0; i < n; i++) {
        const ci_segment_stats *s = &rows[i].stats;
        if (s->nps_responses)
            printf("%-32s %6llu %+8.1f %8.1f %+9.3f\n", rows[i].name,
                   (unsigned long long)s->count, s->nps, s->nps_margin, s->sentiment_mean);
        else /* no NPS answer in this segment: 0 would read as a score */
            printf("%-32s %6llu %8s %8s %+9.3f\n", rows[i].name, (unsigned long long)s->count,
                   "-", "-", s->sentiment_mean);
    }
    free(rows);
    return 0;
}

static int print_insights(const ci_analyzer *an, size_t top)
{
    ci_insight_options io;
    ci_insight_options_init(&io);
    /* The default of 30 observations per side suits production volumes; a
     * 60-row export needs a lower bar to say anything at all. */
    io.min_n = 8;
    ci_insights *ins = NULL;
    ci_status st = ci_insights_build(an, &io, NULL, &ins);
    if (st != CI_OK) {
        fprintf(stderr, "ci_insights_build: %s\n", ci_status_string(st));
        return -1;
    }
    size_t n = ci_insights_count(ins);
    printf("\ninsights: %zu found, the top %zu:\n", n, n < top ? n : top);
    char buf[1024];
    for (size_t i = 0; i < n && i < top; i++) {
        size_t need;
        if ((st = ci_insights_sentence(ins, i, buf, sizeof buf, &need)) != CI_OK) {
            fprintf(stderr, "ci_insights_sentence: %s\n", ci_status_string(st));
            ci_insights_free(ins);
            return -1;
        }
        /* buf is always terminated; a longer sentence is cut, and says so */
        printf("%zu. %s%s\n", i + 1, buf, need >= sizeof buf ? "..." : "");
    }
    ci_insights_free(ins);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXPORT.csv SNAPSHOT\n", argv[0]);
        return 2;
    }
    const char *csv_path = argv[1], *snap_path = argv[2];
    int rc = 1;
    ci_lexicon *lex = NULL;
    ci_analyzer *an = NULL, *check = NULL;
    FILE *in = fopen(csv_path, "rb");
    if (!in) {
        perror(csv_path);
        return 1;
    }

    ci_status st = ci_lexicon_new_builtin(NULL, &lex);
    if (st != CI_OK) {
        fprintf(stderr, "ci_lexicon_new_builtin: %s\n", ci_status_string(st));
        goto out;
    }
    const ci_str dims[] = {{"tier", 4}, {"region", 6}};
    ci_analyzer_options ao;
    ci_analyzer_options_init(&ao);
    ao.dimensions = dims;
    ao.n_dimensions = 2;
    ao.lexicon = lex; /* score every text: sentiment and intents per segment */
    if ((st = ci_analyzer_new(&ao, NULL, &an)) != CI_OK) {
        fprintf(stderr, "ci_analyzer_new: %s\n", ci_status_string(st));
        goto out;
    }

    long skipped;
    long added = load_csv(in, csv_path, an, &skipped);
    if (added < 0)
        goto out;
    printf("%ld rows added, %ld skipped\n\n", added, skipped);

    /* Roll the segments up once, here, so that the only failure of the
     * reading calls below (out of memory) surfaces in one place. */
    if ((st = ci_analyzer_summarize(an)) != CI_OK) {
        fprintf(stderr, "ci_analyzer_summarize: %s\n", ci_status_string(st));
        goto out;
    }
    if (print_segments(an) != 0 || print_insights(an, 5) != 0)
        goto out;

    /* The snapshot is this job's product: save it (written whole, then
     * renamed, so a reader never sees half a file), then load it back
     * and check it holds every row before declaring success. */
    if ((st = ci_analyzer_save_file(an, snap_path)) != CI_OK) {
        fprintf(stderr, "ci_analyzer_save_file %s: %s\n", snap_path, ci_status_string(st));
        goto out;
    }
    ci_diag diag;
    ci_diag_init(&diag);
    ci_segment_stats all;
    ci_segment_stats_init(&all);
    if ((st = ci_analyzer_load_file(snap_path, NULL, NULL, &check, &diag)) != CI_OK ||
        (st = ci_analyzer_segment(check, 0, NULL, &all)) != CI_OK) {
        fprintf(stderr, "%s: %s\n", snap_path, diag.message[0] ? diag.message : ci_status_string(st));
        goto out;
    }
    if (all.count != (uint64_t)added) {
        fprintf(stderr, "%s: holds %llu signals, expected %ld\n", snap_path,
                (unsigned long long)all.count, added);
        goto out;
    }
    printf("\nsnapshot %s: %llu signals, verified\n", snap_path, (unsigned long long)all.count);
    rc = 0;
out:
    ci_analyzer_free(check);
    ci_analyzer_free(an); /* before the lexicon it keeps */
    ci_lexicon_free(lex);
    fclose(in);
    return rc;
}
