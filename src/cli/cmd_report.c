/* SPDX-License-Identifier: MIT */
/*
 * cintel report: the main job.  Customer records (CSV or JSON Lines, plain
 * or gzip) in; segments, insights, themes and account health out, in the
 * terminal, as JSON and as a self-contained HTML page.
 *
 * Two passes over a file: the first samples texts to discover themes, the
 * second analyzes every record with them.  Bad rows are reported with their
 * line numbers and skipped (or stop the run with --strict); nothing else
 * is dropped.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "libci.h"
#include "records.h"
#include "report_html.h"

#define MAX_DIMS CI_ANALYZER_MAX_DIMENSIONS
#define MAX_BAD_KEPT 100
#define THEME_SAMPLE 20000

static void usage(FILE *o)
{
    fputs("usage: cintel report [OPTIONS] FILE\n"
          "\n"
          "Analyze customer records (CSV or JSON Lines, optionally gzip-compressed)\n"
          "and report segments, insights, themes and account health.\n"
          "\n"
          "Column mapping (defaults come from the header names):\n"
          "  --text COL --time COL --account COL --customer COL\n"
          "  --nps COL --csat COL --ces COL --value COL\n"
          "  --dim COL             segment by this column (repeatable; default: the\n"
          "                        columns named tier, plan, segment, region, country,\n"
          "                        market, product, channel, source, language, team)\n"
          "  --depth N             combine up to N dimensions (default 2)\n"
          "  --ces-lower-is-easier CES 1 means least effort (default: 7 = easiest)\n"
          "\n"
          "Analysis:\n"
          "  --themes N            number of themes (default 0: chosen automatically)\n"
          "  --no-themes           skip theme discovery\n"
          "  --theme-model FILE    assign themes with a saved model (cintel themes --save)\n"
          "  --bucket day|week|month  trend granularity (default week)\n"
          "  --min-n N             fewest responses behind a finding (default 30)\n"
          "  --top N               insights and accounts to show (default 10)\n"
          "\n"
          "Output:\n"
          "  --json OUT            write the full report as JSON ('-' = stdout)\n"
          "  --html OUT            write a self-contained HTML report\n"
          "  --snapshot OUT        save the analyzer state (mergeable; see --merge)\n"
          "  --merge SNAP          add a saved snapshot's state (repeatable)\n"
          "  --format csv|jsonl    input format (default: by name or content)\n"
          "  --strict              stop at the first bad row (exit 1)\n"
          "  --quiet               no progress bar\n"
          "\n"
          "Exit status: 0 success, 1 bad rows with --strict, 2 usage or I/O error.\n", o);
}

/* ------------------------------------------------------------------------ */
/*  Columns                                                                 */
/* ------------------------------------------------------------------------ */

enum { F_TEXT, F_TIME, F_ACCOUNT, F_CUSTOMER, F_NPS, F_CSAT, F_CES, F_VALUE, F_CHANNEL, NFIELDS };

static const char *const field_flag[NFIELDS] = {"text", "time", "account", "customer", "nps",
                                                 "csat", "ces", "value", "channel"};

/* Header names recognised per field, in order of preference. */
static const char *const field_names[NFIELDS][10] = {
    {"text", "comment", "comments", "message", "body", "description", "feedback", "verbatim", "content", NULL},
    {"created_at", "timestamp", "time", "date", "created", "submitted_at", "datetime", NULL},
    {"account_id", "account", "company", "organization", "org", "org_id", "company_id", NULL},
    {"customer_id", "customer", "user_id", "user", "contact_id", "email", NULL},
    {"nps", "nps_score", "likelihood_to_recommend", "ltr", NULL},
    {"csat", "csat_score", "satisfaction", NULL},
    {"ces", "ces_score", "effort", "customer_effort", NULL},
    {"arr", "value", "mrr", "revenue", "amount", "order_value", "acv", NULL},
    {"channel", "source", "medium", NULL},
};

static const char *const default_dims[] = {"tier", "plan", "segment", "region", "country", "market",
                                           "product", "channel", "source", "language", "team", NULL};

typedef struct mapping {
    const char *name[NFIELDS];      /* chosen column names (NULL: none) */
    int explicit_[NFIELDS];
    long col[NFIELDS];              /* resolved column index, -1 */
    const char *dim[MAX_DIMS];
    long dimcol[MAX_DIMS];
    size_t ndims;
    int explicit_dims;
    size_t ncols_seen;
} mapping;

static int name_eq(const char *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    if (alen != bl)
        return 0;
    for (size_t i = 0; i < bl; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

static long find_col(const rec_reader *r, const char *name)
{
    size_t n = rec_ncolumns(r);
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const char *c = rec_column(r, i, &l);
        if (c && name_eq(c, l, name))
            return (long)i;
    }
    return -1;
}

/* Resolve names to columns (again when a JSON Lines file shows new keys). */
static void resolve(mapping *m, const rec_reader *r)
{
    size_t n = rec_ncolumns(r);
    if (n == m->ncols_seen)
        return;
    m->ncols_seen = n;
    for (int f = 0; f < NFIELDS; f++) {
        if (m->explicit_[f]) {
            m->col[f] = find_col(r, m->name[f]);
            continue;
        }
        m->col[f] = -1;
        for (int k = 0; field_names[f][k] && m->col[f] < 0; k++)
            if ((m->col[f] = find_col(r, field_names[f][k])) >= 0)
                m->name[f] = field_names[f][k];
    }
    if (!m->explicit_dims) {
        m->ndims = 0;
        for (int k = 0; default_dims[k] && m->ndims < MAX_DIMS; k++)
            if (find_col(r, default_dims[k]) >= 0)
                m->dim[m->ndims++] = default_dims[k];
    }
    for (size_t d = 0; d < m->ndims; d++)
        m->dimcol[d] = find_col(r, m->dim[d]);
}

/* ------------------------------------------------------------------------ */
/*  Values                                                                  */
/* ------------------------------------------------------------------------ */

static int parse_num(const char *s, size_t n, double *out)
{
    char buf[64];
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v))
        return 0;
    /* strtod takes "nan", "inf" and hex floats: not numbers a survey writes */
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)buf[i]) && buf[i] != 'e' && buf[i] != 'E')
            return 0;
    *out = v;
    return 1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
    if (at + k > n)
        return 0;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isdigit((unsigned char)s[at + i]))
            return 0;
        v = v * 10 + (s[at + i] - '0');
    }
    *out = v;
    return 1;
}

/* ISO 8601 date or date-time (T or space; seconds and fraction optional;
 * Z, +HH:MM, +HHMM or none = UTC), or Unix seconds. */
static int parse_time(const char *s, size_t n, int64_t *out)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (n >= 10 && s[4] == '-' && digits(s, n, 0, 4, &y) && digits(s, n, 5, 2, &mo) &&
        s[7] == '-' && digits(s, n, 8, 2, &d)) {
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
            return 0;
        if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
            return 0;
        size_t p = 10;
        int64_t off = 0;
        if (p < n && (s[p] == 'T' || s[p] == ' ')) {
            p++;
            if (!digits(s, n, p, 2, &h) || p + 2 >= n || s[p + 2] != ':' || !digits(s, n, p + 3, 2, &mi))
                return 0;
            p += 5;
            if (p < n && s[p] == ':') {
                if (!digits(s, n, p + 1, 2, &se))
                    return 0;
                p += 3;
                if (p < n && (s[p] == '.' || s[p] == ',')) {
                    p++;
                    while (p < n && isdigit((unsigned char)s[p]))
                        p++;
                }
            }
            if (h > 23 || mi > 59 || se > 60)
                return 0;
            if (p < n && s[p] == 'Z') {
                p++;
            } else if (p < n && (s[p] == '+' || s[p] == '-')) {
                int sign = s[p] == '-' ? -1 : 1, oh, om = 0;
                p++;
                if (!digits(s, n, p, 2, &oh))
                    return 0;
                p += 2;
                if (p < n && s[p] == ':')
                    p++;
                if (p < n) {
                    if (!digits(s, n, p, 2, &om))
                        return 0;
                    p += 2;
                }
                if (oh > 23 || om > 59)
                    return 0;
                off = sign * (oh * 3600 + om * 60);
            }
        }
        if (p != n)
            return 0;
        *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
        return 1;
    }
    double v;
    if (parse_num(s, n, &v) && v == floor(v) && fabs(v) < 1e13) {
        /* epoch milliseconds are common in exports */
        *out = fabs(v) >= 1e11 ? (int64_t)(v / 1000) : (int64_t)v;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Progress                                                                */
/* ------------------------------------------------------------------------ */

typedef struct progress {
    int on;
    const char *what;
    time_t started, last;
    int drawn;
} progress;

static void progress_tick(progress *p, const rec_reader *r, unsigned long long rows, int force)
{
    if (!p->on)
        return;
    time_t now = time(NULL);
    if (!force && now == p->last)
        return;
    /* only inputs that take a while get a bar */
    if (!p->drawn && now - p->started < 1 && !force)
        return;
    if (force && !p->drawn)
        return;
    p->last = now;
    p->drawn = 1;
    unsigned long long done, total;
    rec_progress(r, &done, &total);
    if (total) {
        int width = 30, fill = (int)((double)done / (double)total * width);
        if (fill > width)
            fill = width;
        fprintf(stderr, "\r%-9s [%.*s%*s] %3.0f%%  %llu rows", p->what, fill,
                "##############################", width - fill, "",
                100.0 * (double)done / (double)total, rows);
    } else {
        fprintf(stderr, "\r%-9s %llu rows", p->what, rows);
    }
    if (force)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ------------------------------------------------------------------------ */
/*  The run                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct bad_row {
    unsigned long long line;
    char msg[160];
} bad_row;

typedef struct run {
    const char *path;
    int format, strict, quiet, ces_lower;
    mapping map;
    unsigned long long rows, accepted, bad, texts;
    bad_row badv[MAX_BAD_KEPT];
    size_t nbadv;
    int64_t tmin, tmax;
    ci_lexicon *lex;
    ci_theme_model *model;
    ci_analyzer *an;
} run;

static void note_bad(run *R, unsigned long long line, const char *msg)
{
    R->bad++;
    if (R->nbadv < MAX_BAD_KEPT) {
        R->badv[R->nbadv].line = line;
        snprintf(R->badv[R->nbadv].msg, sizeof R->badv[0].msg, "%s", msg);
        R->nbadv++;
    }
    if (R->bad <= 10 || R->strict)
        fprintf(stderr, "%s%s:%llu: %s\n", R->quiet ? "" : "\r", R->path, line, msg);
    else if (R->bad == 11)
        fprintf(stderr, "%s%s: more bad rows; all are listed in the JSON report\n",
                R->quiet ? "" : "\r", R->path);
}

static const char *val(const rec_reader *r, long col, size_t *len)
{
    *len = 0;
    if (col < 0)
        return NULL;
    const char *v = rec_value(r, (size_t)col, len);
    return v && *len ? v : NULL;
}

/* Build a signal from the current record; 0 and a message when bad. */
static int make_signal(run *R, const rec_reader *r, ci_signal *s, ci_attr *attrs, char *msg,
                       size_t msglen)
{
    mapping *m = &R->map;
    ci_signal_init(s);
    size_t n;
    const char *v;
    if ((v = val(r, m->col[F_TEXT], &n))) {
        s->text.data = v;
        s->text.len = n;
    }
    if ((v = val(r, m->col[F_TIME], &n)) && !parse_time(v, n, &s->timestamp)) {
        snprintf(msg, msglen, "%s '%.*s' is not a date or time", m->name[F_TIME], (int)(n > 40 ? 40 : n), v);
        return 0;
    }
    if ((v = val(r, m->col[F_ACCOUNT], &n))) {
        s->account_id.data = v;
        s->account_id.len = n;
    }
    if ((v = val(r, m->col[F_CUSTOMER], &n))) {
        s->customer_id.data = v;
        s->customer_id.len = n;
    }
    if ((v = val(r, m->col[F_CHANNEL], &n))) {
        s->channel.data = v;
        s->channel.len = n;
    }
    struct { int f; unsigned bit; double *dst; } nums[] = {
        {F_NPS, CI_HAS_NPS, &s->nps}, {F_CSAT, CI_HAS_CSAT, &s->csat},
        {F_CES, CI_HAS_CES, &s->ces}, {F_VALUE, CI_HAS_VALUE, &s->value}};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (!(v = val(r, m->col[nums[k].f], &n)))
            continue;
        if (!parse_num(v, n, nums[k].dst)) {
            snprintf(msg, msglen, "%s '%.*s' is not a number", m->name[nums[k].f],
                     (int)(n > 40 ? 40 : n), v);
            return 0;
        }
        s->has |= nums[k].bit;
    }
    s->ces_direction = R->ces_lower ? CI_CES_LOWER_IS_EASIER : CI_CES_HIGHER_IS_EASIER;
    s->kind = (s->has & (CI_HAS_NPS | CI_HAS_CSAT | CI_HAS_CES)) && !s->text.len ? CI_SIGNAL_SURVEY
              : (s->has & CI_HAS_NPS) ? CI_SIGNAL_SURVEY
                                      : CI_SIGNAL_TICKET;
    size_t na = 0;
    for (size_t d = 0; d < m->ndims; d++) {
        attrs[na].key.data = m->dim[d];
        attrs[na].key.len = strlen(m->dim[d]);
        v = val(r, m->dimcol[d], &n);
        attrs[na].value.data = v ? v : "";
        attrs[na].value.len = v ? n : 0;
        na++;
    }
    s->attrs = attrs;
    s->n_attrs = na;
    ci_diag dg;
    ci_diag_init(&dg);
    ci_status st = ci_signal_validate(s, &dg);
    if (st != CI_OK) {
        /* name the column, not the struct field */
        const char *col = NULL;
        switch (dg.field) {
        case CI_FIELD_NPS: col = m->name[F_NPS]; break;
        case CI_FIELD_CSAT: col = m->name[F_CSAT]; break;
        case CI_FIELD_CES: col = m->name[F_CES]; break;
        case CI_FIELD_VALUE: col = m->name[F_VALUE]; break;
        case CI_FIELD_TEXT: col = m->name[F_TEXT]; break;
        case CI_FIELD_ACCOUNT_ID: col = m->name[F_ACCOUNT]; break;
        case CI_FIELD_CUSTOMER_ID: col = m->name[F_CUSTOMER]; break;
        default: break;
        }
        if (st == CI_ERR_MISSING)
            snprintf(msg, msglen, "no text and no score");
        else if (col)
            snprintf(msg, msglen, "%s: %s", col, dg.message);
        else
            snprintf(msg, msglen, "%s", dg.message);
        return 0;
    }
    return 1;
}

/* Pass 1: a deterministic sample of texts for theme discovery. */
static int sample_texts(run *R, unsigned k, int *exit_code)
{
    char err[256];
    rec_reader *r = rec_open(R->path, R->format, err, sizeof err);
    if (!r) {
        fprintf(stderr, "cintel: %s\n", err);
        *exit_code = EXIT_USAGE;
        return 0;
    }
    char **keep = calloc(THEME_SAMPLE, sizeof *keep);
    size_t *klen = calloc(THEME_SAMPLE, sizeof *klen);
    if (!keep || !klen) {
        free(keep);
        free(klen);
        rec_close(r);
        fprintf(stderr, "cintel: out of memory\n");
        *exit_code = EXIT_USAGE;
        return 0;
    }
    progress pg = {!R->quiet && isatty(2), "themes", time(NULL), 0, 0};
    unsigned long long seen = 0, rows = 0, line;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int rc, ok = 1;
    while ((rc = rec_next(r, &line)) != REC_EOF) {
        if (rc == REC_IOERR) {
            fprintf(stderr, "cintel: %s: %s\n", R->path, rec_error(r));
            ok = 0;
            break;
        }
        rows++;
        if ((rows & 4095) == 0)
            progress_tick(&pg, r, rows, 0);
        if (rc != REC_RECORD)
            continue;
        resolve(&R->map, r);
        size_t n;
        const char *t = val(r, R->map.col[F_TEXT], &n);
        if (!t || ci_utf8_validate(t, n, NULL) != CI_OK)
            continue;
        /* reservoir sampling with a fixed generator: same file, same sample */
        size_t slot = (size_t)seen;
        if (seen >= THEME_SAMPLE) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            slot = (size_t)(rng % (seen + 1));
        }
        seen++;
        if (slot >= THEME_SAMPLE)
            continue;
        char *copy = malloc(n);
        if (!copy) {
            ok = 0;
            break;
        }
        memcpy(copy, t, n);
        free(keep[slot]);
        keep[slot] = copy;
        klen[slot] = n;
    }
    progress_tick(&pg, r, rows, 1);
    rec_close(r);
    size_t nk = seen < THEME_SAMPLE ? (size_t)seen : THEME_SAMPLE;
    if (ok && nk >= 50) {
        ci_theme_options o;
        ci_theme_options_init(&o);
        o.k = k;
        o.bigrams = 1;
        ci_theme_trainer *t = NULL;
        ci_status st = ci_theme_trainer_new(&o, NULL, &t);
        for (size_t i = 0; i < nk && st == CI_OK; i++)
            st = ci_theme_trainer_add(t, keep[i], klen[i]);
        if (st == CI_OK)
            st = ci_theme_trainer_fit(t, &R->model);
        ci_theme_trainer_free(t);
        if (st != CI_OK) {
            fprintf(stderr, "cintel: theme discovery failed (%s); continuing without themes\n",
                    ci_status_string(st));
            R->model = NULL;
        }
    } else if (ok && !R->quiet) {
        fprintf(stderr, "cintel: only %zu texts; not enough to discover themes\n", nk);
    }
    for (size_t i = 0; i < THEME_SAMPLE; i++)
        free(keep[i]);
    free(keep);
    free(klen);
    if (!ok)
        *exit_code = EXIT_USAGE;
    return ok;
}

/* The analyzer, once the columns are known: for JSON Lines, at the first
 * good record. */
static int make_analyzer(run *R, unsigned depth)
{
    ci_str dims[MAX_DIMS];
    for (size_t d = 0; d < R->map.ndims; d++) {
        dims[d].data = R->map.dim[d];
        dims[d].len = strlen(R->map.dim[d]);
    }
    ci_analyzer_options ao;
    ci_analyzer_options_init(&ao);
    ao.dimensions = dims;
    ao.n_dimensions = R->map.ndims;
    ao.max_depth = depth;
    ao.lexicon = R->lex;
    ao.themes = R->model;
    ci_status st = ci_analyzer_new(&ao, NULL, &R->an);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: cannot create the analyzer: %s\n", ci_status_string(st));
        return 0;
    }
    return 1;
}

/* Pass 2: every record into the analyzer. */
static int analyze(run *R, unsigned depth, int *exit_code)
{
    char err[256];
    rec_reader *r = rec_open(R->path, R->format, err, sizeof err);
    if (!r) {
        fprintf(stderr, "cintel: %s\n", err);
        *exit_code = EXIT_USAGE;
        return 0;
    }
    resolve(&R->map, r);
    if (rec_format_of(r) == REC_CSV) {
        /* a column asked for by name must exist */
        for (int f = 0; f < NFIELDS; f++)
            if (R->map.explicit_[f] && R->map.col[f] < 0) {
                fprintf(stderr, "cintel: %s: no column '%s' (for --%s)\n", R->path, R->map.name[f],
                        field_flag[f]);
                rec_close(r);
                *exit_code = EXIT_USAGE;
                return 0;
            }
        for (size_t d = 0; d < R->map.ndims; d++)
            if (R->map.dimcol[d] < 0) {
                fprintf(stderr, "cintel: %s: no column '%s' (for --dim)\n", R->path, R->map.dim[d]);
                rec_close(r);
                *exit_code = EXIT_USAGE;
                return 0;
            }
    }
    progress pg = {!R->quiet && isatty(2), "analyzing", time(NULL), 0, 0};
    ci_attr attrs[MAX_DIMS];
    unsigned long long line;
    int rc, ok = 1;
    char msg[200];
    while ((rc = rec_next(r, &line)) != REC_EOF) {
        if (rc == REC_IOERR) {
            fprintf(stderr, "cintel: %s: %s\n", R->path, rec_error(r));
            *exit_code = EXIT_USAGE;
            ok = 0;
            break;
        }
        R->rows++;
        if ((R->rows & 4095) == 0)
            progress_tick(&pg, r, R->rows, 0);
        if (rc == REC_BAD) {
            note_bad(R, line, rec_error(r));
            if (R->strict)
                break;
            continue;
        }
        resolve(&R->map, r);
        if (!R->an && !make_analyzer(R, depth)) {
            *exit_code = EXIT_USAGE;
            ok = 0;
            break;
        }
        ci_signal s;
        if (!make_signal(R, r, &s, attrs, msg, sizeof msg)) {
            note_bad(R, line, msg);
            if (R->strict)
                break;
            continue;
        }
        ci_diag dg;
        ci_diag_init(&dg);
        ci_status st;
        if ((st = ci_analyzer_add(R->an, &s, NULL, &dg)) != CI_OK) {
            if (st == CI_ERR_NOMEM || st == CI_ERR_LIMIT) {
                fprintf(stderr, "cintel: %s:%llu: %s\n", R->path, line,
                        dg.message[0] ? dg.message : ci_status_string(st));
                *exit_code = EXIT_USAGE;
                ok = 0;
                break;
            }
            note_bad(R, line, dg.message[0] ? dg.message : ci_status_string(st));
            if (R->strict)
                break;
            continue;
        }
        R->accepted++;
        R->texts += s.text.len > 0;
        if (s.timestamp != CI_TIME_NONE) {
            if (!R->accepted || s.timestamp < R->tmin || R->tmin == CI_TIME_NONE)
                R->tmin = s.timestamp;
            if (s.timestamp > R->tmax || R->tmax == CI_TIME_NONE)
                R->tmax = s.timestamp;
        }
    }
    progress_tick(&pg, r, R->rows, 1);
    R->format = rec_format_of(r);
    rec_close(r);
    if (ok && !R->an && !make_analyzer(R, depth)) {
        *exit_code = EXIT_USAGE;
        ok = 0;
    }
    if (ok && R->strict && R->bad) {
        *exit_code = EXIT_DATA;
        return 0;
    }
    return ok;
}

/* ------------------------------------------------------------------------ */
/*  JSON                                                                    */
/* ------------------------------------------------------------------------ */

static void iso_time(int64_t t, char *buf, size_t n, int date_only)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400, secs = t - z * 86400;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (date_only)
        snprintf(buf, n, "%04lld-%02u-%02u", (long long)y, m, d);
    else
        snprintf(buf, n, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
                 (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

static void jnum(FILE *o, double v, int prec)
{
    if (!isfinite(v))
        fputs("null", o);
    else
        fprintf(o, "%.*f", prec, v);
}

/* JSON string of text that may hold invalid UTF-8 (customer text). */
static void jstr(FILE *o, const char *s, size_t n)
{
    if (ci_utf8_validate(s, n, NULL) == CI_OK) {
        json_str(o, s, n);
        return;
    }
    /* replace bad bytes one by one: rare, so simple */
    char *t = malloc(n * 3 + 1);
    if (!t) {
        fputs("\"\"", o);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t bad;
        if (ci_utf8_validate(s + i, n - i, &bad) == CI_OK) {
            memcpy(t + k, s + i, n - i);
            k += n - i;
            break;
        }
        memcpy(t + k, s + i, bad);
        k += bad;
        memcpy(t + k, "\xEF\xBF\xBD", 3);
        k += 3;
        i += bad + 1;
    }
    json_str(o, t, k);
    free(t);
}

static void seg_dims(FILE *o, const ci_analyzer *an, const ci_str *v)
{
    fputc('{', o);
    int first = 1;
    for (size_t d = 0; d < ci_analyzer_dimension_count(an); d++) {
        if (!v[d].data)
            continue;
        ci_str name = ci_analyzer_dimension(an, d);
        if (!first)
            fputs(", ", o);
        json_str(o, name.data, name.len);
        fputs(": ", o);
        jstr(o, v[d].data, v[d].len);
        first = 0;
    }
    fputc('}', o);
}

static void seg_json(FILE *o, const ci_analyzer *an, size_t i, size_t ntheme)
{
    ci_str v[MAX_DIMS];
    ci_segment_stats s;
    ci_segment_stats_init(&s);
    ci_analyzer_segment(an, i, v, &s);
    fputs("{\"dimensions\": ", o);
    seg_dims(o, an, v);
    fprintf(o, ", \"count\": %llu, \"nps\": {\"value\": ", (unsigned long long)s.count);
    jnum(o, s.nps_responses ? s.nps : NAN, 2);
    fputs(", \"margin\": ", o);
    jnum(o, s.nps_responses ? s.nps_margin : NAN, 2);
    fprintf(o, ", \"responses\": %llu, \"promoters\": %llu, \"passives\": %llu, \"detractors\": %llu}",
            (unsigned long long)s.nps_responses, (unsigned long long)s.nps_promoters,
            (unsigned long long)s.nps_passives, (unsigned long long)s.nps_detractors);
    fputs(", \"csat\": {\"value\": ", o);
    jnum(o, s.csat_responses ? s.csat : NAN, 2);
    fputs(", \"low\": ", o);
    jnum(o, s.csat_responses ? s.csat_low : NAN, 2);
    fputs(", \"high\": ", o);
    jnum(o, s.csat_responses ? s.csat_high : NAN, 2);
    fprintf(o, ", \"responses\": %llu}", (unsigned long long)s.csat_responses);
    fputs(", \"ces\": {\"mean\": ", o);
    jnum(o, s.ces_responses ? s.ces_mean : NAN, 3);
    fputs(", \"margin\": ", o);
    jnum(o, s.ces_responses ? s.ces_margin : NAN, 3);
    fprintf(o, ", \"responses\": %llu}", (unsigned long long)s.ces_responses);
    fputs(", \"sentiment\": {\"mean\": ", o);
    jnum(o, s.sentiment_n ? s.sentiment_mean : NAN, 4);
    fputs(", \"variance\": ", o);
    jnum(o, s.sentiment_n ? s.sentiment_variance : NAN, 4);
    fprintf(o, ", \"n\": %llu}", (unsigned long long)s.sentiment_n);
    fputs(", \"intents\": {", o);
    for (int k = 0; k < CI_INTENT_COUNT; k++) {
        fprintf(o, "%s\"%s\": ", k ? ", " : "", ci_intent_name(k));
        jnum(o, s.sentiment_n ? (double)s.intent_count[k] / (double)s.sentiment_n : NAN, 4);
    }
    fputs("}, \"value\": ", o);
    jnum(o, s.value_sum, 2);
    fprintf(o, ", \"texts\": %llu, \"themes\": [", (unsigned long long)ci_analyzer_segment_texts(an, i));
    for (size_t t = 0; t < ntheme; t++)
        fprintf(o, "%s%llu", t ? ", " : "", (unsigned long long)ci_analyzer_segment_theme(an, i, t));
    fputs("]}", o);
}

static void metric_series(FILE *o, const ci_analyzer *an, size_t seg, unsigned bucket, const char *name)
{
    fprintf(o, ", \"%s\": [", name);
    int64_t start;
    for (size_t j = 0; ci_analyzer_bucket(an, bucket, j, &start) == CI_OK; j++) {
        ci_segment_stats s;
        ci_segment_stats_init(&s);
        double v = NAN;
        uint64_t cnt = 0;
        if (ci_analyzer_segment_bucket(an, seg, bucket, start, &s) == CI_OK) {
            cnt = s.count;
            /* a bucket with a handful of answers is noise, not a point */
            if (!strcmp(name, "nps") && s.nps_responses >= 20)
                v = s.nps;
            else if (!strcmp(name, "csat") && s.csat_responses >= 20)
                v = s.csat;
            else if (!strcmp(name, "ces") && s.ces_responses >= 20)
                v = s.ces_mean;
            else if (!strcmp(name, "sentiment") && s.sentiment_n >= 10)
                v = s.sentiment_mean;
        }
        if (j)
            fputs(", ", o);
        if (!strcmp(name, "count"))
            fprintf(o, "%llu", (unsigned long long)cnt);
        else
            jnum(o, v, 3);
    }
    fputc(']', o);
}

static void write_json(FILE *o, run *R, const ci_insights *ins, unsigned bucket, size_t top_accounts)
{
    const ci_analyzer *an = R->an;
    size_t ntheme = R->model ? ci_theme_model_count(R->model) : 0;
    fprintf(o, "{\n\"generator\": \"cintel %s\",\n\"input\": {\"file\": ", ci_version_string());
    jstr(o, R->path, strlen(R->path));
    fprintf(o, ", \"format\": \"%s\", \"rows\": %llu, \"accepted\": %llu, \"bad_rows\": %llu, \"bad\": [",
            R->format == REC_JSONL ? "jsonl" : "csv", R->rows, R->accepted, R->bad);
    for (size_t i = 0; i < R->nbadv; i++) {
        fprintf(o, "%s{\"line\": %llu, \"error\": ", i ? ", " : "", R->badv[i].line);
        jstr(o, R->badv[i].msg, strlen(R->badv[i].msg));
        fputc('}', o);
    }
    fputs("]},\n\"columns\": {", o);
    int first = 1;
    for (int f = 0; f < NFIELDS; f++) {
        if (R->map.col[f] < 0 && !R->map.explicit_[f])
            continue;
        fprintf(o, "%s\"%s\": ", first ? "" : ", ", field_flag[f]);
        json_str(o, R->map.name[f], strlen(R->map.name[f]));
        first = 0;
    }
    fputs("},\n\"dimensions\": [", o);
    for (size_t d = 0; d < R->map.ndims; d++) {
        if (d)
            fputs(", ", o);
        json_str(o, R->map.dim[d], strlen(R->map.dim[d]));
    }
    fputs("],\n\"period\": ", o);
    if (R->tmin != CI_TIME_NONE) {
        char a[40], b[40];
        iso_time(R->tmin, a, sizeof a, 0);
        iso_time(R->tmax, b, sizeof b, 0);
        fprintf(o, "{\"first\": \"%s\", \"last\": \"%s\"}", a, b);
    } else {
        fputs("null", o);
    }
    fputs(",\n\"overall\": ", o);
    seg_json(o, an, 0, ntheme);
    fputs(",\n\"segments\": [", o);
    size_t nseg = ci_analyzer_segment_count(an), written = 0;
    for (unsigned depth = 1; depth <= MAX_DIMS; depth++)
        for (size_t i = 1; i < nseg; i++) {
            if (ci_analyzer_segment_depth(an, i) != depth)
                continue;
            fputs(written++ ? ",\n " : "\n ", o);
            seg_json(o, an, i, ntheme);
        }
    fputs("\n],\n\"themes\": [", o);
    ci_segment_stats all;
    ci_segment_stats_init(&all);
    ci_analyzer_segment(an, 0, NULL, &all);
    uint64_t texts = ci_analyzer_segment_texts(an, 0);
    for (size_t t = 0; t < ntheme; t++) {
        ci_theme_info info;
        ci_theme_info_init(&info);
        ci_theme_model_info(R->model, t, &info);
        fprintf(o, "%s\n {\"id\": %zu, \"label\": ", t ? "," : "", t);
        jstr(o, info.label, info.label_len);
        uint64_t c = ci_analyzer_segment_theme(an, 0, t);
        fprintf(o, ", \"size\": %llu, \"share\": ", (unsigned long long)c);
        jnum(o, texts ? (double)c / (double)texts : 0, 4);
        fputs(", \"terms\": [", o);
        for (size_t j = 0; j < info.n_terms && j < 8; j++) {
            const char *term;
            size_t tl;
            double w;
            if (ci_theme_model_term(R->model, t, j, &term, &tl, &w) != CI_OK)
                break;
            if (j)
                fputs(", ", o);
            jstr(o, term, tl);
        }
        fputs("], \"examples\": [", o);
        for (size_t j = 0; j < info.n_examples && j < 3; j++) {
            const char *ex;
            size_t el;
            if (ci_theme_model_example(R->model, t, j, &ex, &el, NULL) != CI_OK)
                break;
            if (j)
                fputs(", ", o);
            jstr(o, ex, el);
        }
        fputs("]}", o);
    }
    fputs("\n],\n\"trends\": ", o);
    int64_t start;
    if (ci_analyzer_bucket(an, bucket, 0, &start) == CI_OK) {
        fprintf(o, "{\"bucket\": \"%s\", \"starts\": [",
                bucket == CI_BUCKET_DAY ? "day" : bucket == CI_BUCKET_MONTH ? "month" : "week");
        for (size_t j = 0; ci_analyzer_bucket(an, bucket, j, &start) == CI_OK; j++) {
            char d[40];
            iso_time(start, d, sizeof d, 1);
            fprintf(o, "%s\"%s\"", j ? ", " : "", d);
        }
        fputs("], \"series\": [", o);
        /* the population, then the segments the insights point at */
        size_t shown[8], nshown = 0;
        shown[nshown++] = 0;
        for (size_t k = 0; k < ci_insights_count(ins) && nshown < 7; k++) {
            ci_insight in;
            ci_insight_init(&in);
            ci_insights_get(ins, k, &in);
            int dup = 0;
            for (size_t j = 0; j < nshown; j++)
                dup |= shown[j] == in.segment;
            if (!dup)
                shown[nshown++] = in.segment;
        }
        for (size_t k = 0; k < nshown; k++) {
            ci_str v[MAX_DIMS];
            ci_analyzer_segment(an, shown[k], v, NULL);
            fputs(k ? ",\n  {\"dimensions\": " : "\n  {\"dimensions\": ", o);
            seg_dims(o, an, v);
            metric_series(o, an, shown[k], bucket, "count");
            metric_series(o, an, shown[k], bucket, "nps");
            metric_series(o, an, shown[k], bucket, "csat");
            metric_series(o, an, shown[k], bucket, "ces");
            metric_series(o, an, shown[k], bucket, "sentiment");
            fputc('}', o);
        }
        fputs("]}", o);
    } else {
        fputs("null", o);
    }
    fputs(",\n\"insights\": ", o);
    char *ij = NULL;
    size_t il;
    if (ci_insights_json(ins, &ij, &il) == CI_OK)
        fwrite(ij, 1, il, o);
    else
        fputs("[]", o);
    ci_free(ij);
    fputs(",\n\"accounts\": [", o);
    size_t *idx = calloc(top_accounts + 1, sizeof *idx), na = 0;
    if (idx)
        ci_analyzer_riskiest(an, top_accounts, idx, &na);
    for (size_t k = 0; k < na; k++) {
        ci_account_health h;
        ci_account_health_init(&h);
        ci_analyzer_account(an, idx[k], &h);
        fputs(k ? ",\n {\"account\": " : "\n {\"account\": ", o);
        jstr(o, h.account_id.data, h.account_id.len);
        fputs(", \"churn_risk\": ", o);
        jnum(o, h.churn_risk, 4);
        fputs(", \"reasons\": [", o);
        int rf = 1;
        for (int rr = 0; rr < CI_RISK_COUNT; rr++) {
            if (!(h.reasons & (1u << rr)))
                continue;
            char text[120];
            switch (rr) {
            case CI_RISK_CHURN_INTENT: snprintf(text, sizeof text, "%llu churn mention%s", (unsigned long long)h.churn_mentions, h.churn_mentions == 1 ? "" : "s"); break;
            case CI_RISK_DETRACTOR: snprintf(text, sizeof text, "last NPS %.0f", h.last_nps); break;
            case CI_RISK_NEGATIVE_SENTIMENT: snprintf(text, sizeof text, "mean sentiment %+.2f", h.sentiment_mean); break;
            case CI_RISK_DECLINING_SENTIMENT: snprintf(text, sizeof text, "sentiment %+.2f per 30 days", h.sentiment_slope); break;
            case CI_RISK_REPEAT_CONTACTS: snprintf(text, sizeof text, "%llu repeat contacts on one theme", (unsigned long long)h.repeat_contacts); break;
            default: snprintf(text, sizeof text, "%llu contacts in 4 weeks vs %.1f before", (unsigned long long)h.contacts_recent, h.contacts_baseline); break;
            }
            fprintf(o, "%s{\"reason\": \"%s\", \"weight\": ", rf ? "" : ", ", ci_risk_reason_name(rr));
            jnum(o, h.reason_weight[rr], 4);
            fputs(", \"text\": ", o);
            json_str(o, text, strlen(text));
            fputc('}', o);
            rf = 0;
        }
        fprintf(o, "], \"contacts\": %llu, \"contacts_recent\": %llu, \"frequency_change\": ",
                (unsigned long long)h.contacts, (unsigned long long)h.contacts_recent);
        jnum(o, h.frequency_change, 3);
        fprintf(o, ", \"repeat_contacts\": %llu, \"top_theme\": ", (unsigned long long)h.repeat_contacts);
        if (h.top_theme >= 0 && R->model) {
            ci_theme_info info;
            ci_theme_info_init(&info);
            ci_theme_model_info(R->model, (size_t)h.top_theme, &info);
            jstr(o, info.label, info.label_len);
        } else {
            fputs("null", o);
        }
        fputs(", \"sentiment_mean\": ", o);
        jnum(o, h.sentiment_n ? h.sentiment_mean : NAN, 3);
        fputs(", \"sentiment_slope\": ", o);
        jnum(o, h.sentiment_slope, 3);
        fputs(", \"last_nps\": ", o);
        jnum(o, h.has_nps ? h.last_nps : NAN, 0);
        fprintf(o, ", \"churn_mentions\": %llu, \"value\": ", (unsigned long long)h.churn_mentions);
        jnum(o, h.has_value ? h.value : NAN, 2);
        fputs(", \"last_seen\": ", o);
        if (h.last_seen != CI_TIME_NONE) {
            char d[40];
            iso_time(h.last_seen, d, sizeof d, 0);
            fprintf(o, "\"%s\"", d);
        } else {
            fputs("null", o);
        }
        fputc('}', o);
    }
    free(idx);
    fputs("\n]\n}\n", o);
}

/* ------------------------------------------------------------------------ */
/*  The terminal                                                            */
/* ------------------------------------------------------------------------ */

static void seg_label(const ci_analyzer *an, size_t i, char *buf, size_t n)
{
    ci_str v[MAX_DIMS];
    ci_analyzer_segment(an, i, v, NULL);
    size_t o = 0;
    buf[0] = 0;
    for (size_t d = 0; d < ci_analyzer_dimension_count(an) && o < n; d++) {
        if (!v[d].data)
            continue;
        ci_str name = ci_analyzer_dimension(an, d);
        int w = snprintf(buf + o, n - o, "%s%.*s=%.*s", o ? ", " : "", (int)name.len, name.data,
                         (int)v[d].len, v[d].data);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    if (!o)
        snprintf(buf, n, "all customers");
}

static void print_wrapped(const char *prefix, const char *s, int width)
{
    size_t pl = strlen(prefix), col = 0;
    fputs(prefix, stdout);
    col = pl;
    const char *p = s;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t)(sp - p) : strlen(p);
        if (col + wl > (size_t)width && col > pl) {
            printf("\n%*s", (int)pl, "");
            col = pl;
        }
        fwrite(p, 1, wl, stdout);
        col += wl;
        p += wl;
        if (*p == ' ') {
            putchar(' ');
            col++;
            p++;
        }
    }
    putchar('\n');
}

typedef struct segrow {
    size_t i;
    double nps;
} segrow;

static int by_nps(const void *x, const void *y)
{
    const segrow *a = x, *b = y;
    return (a->nps > b->nps) - (a->nps < b->nps);
}

static void fmt_thousands(double v, char *out, size_t n)
{
    char d[64];
    int len = snprintf(d, sizeof d, "%.0f", fabs(v));
    size_t o = 0;
    if (v < 0 && o + 1 < n)
        out[o++] = '-';
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = d[i];
    }
    out[o] = 0;
}

static void print_report(run *R, const ci_insights *ins, size_t top)
{
    const ci_analyzer *an = R->an;
    ci_segment_stats s;
    ci_segment_stats_init(&s);
    ci_analyzer_segment(an, 0, NULL, &s);
    printf("cintel report: %s\n", R->path);
    printf("  %llu rows, %llu analyzed, %llu bad", R->rows, R->accepted, R->bad);
    if (R->tmin != CI_TIME_NONE) {
        char a[40], b[40];
        iso_time(R->tmin, a, sizeof a, 1);
        iso_time(R->tmax, b, sizeof b, 1);
        printf(", %s to %s", a, b);
    }
    printf("\n  dimensions:");
    for (size_t d = 0; d < R->map.ndims; d++)
        printf(" %s", R->map.dim[d]);
    if (!R->map.ndims)
        printf(" (none: pass --dim COL)");
    printf("\n\nOverall\n");
    if (s.nps_responses)
        printf("  NPS        %6.1f  ± %.1f  (%llu responses)\n", s.nps, s.nps_margin,
               (unsigned long long)s.nps_responses);
    if (s.csat_responses)
        printf("  CSAT       %5.1f%%  [%.1f, %.1f]  (%llu responses)\n", s.csat, s.csat_low,
               s.csat_high, (unsigned long long)s.csat_responses);
    if (s.ces_responses)
        printf("  CES        %6.2f  ± %.2f  (%llu responses, 7 = easiest)\n", s.ces_mean,
               s.ces_margin, (unsigned long long)s.ces_responses);
    if (s.sentiment_n)
        printf("  sentiment  %+6.2f  (%llu texts)\n", s.sentiment_mean, (unsigned long long)s.sentiment_n);
    if (s.value_n) {
        char num[64];
        fmt_thousands(s.value_sum, num, sizeof num);
        printf("  value      %s  (sum over %llu rows with a value)\n", num, (unsigned long long)s.value_n);
    }

    size_t ni = ci_insights_count(ins);
    printf("\nInsights (%zu)\n", ni);
    if (!ni)
        printf("  nothing stands out at 5%% false discovery rate\n");
    for (size_t k = 0; k < ni && k < top; k++) {
        char buf[1024], prefix[32];
        ci_insights_sentence(ins, k, buf, sizeof buf, NULL);
        snprintf(prefix, sizeof prefix, "%3zu. ", k + 1);
        print_wrapped(prefix, buf, 100);
        ci_insight in;
        ci_insight_init(&in);
        ci_insights_get(ins, k, &in);
        for (size_t j = 0; j < in.n_examples && j < 1; j++) {
            int n = (int)(in.examples[j].len > 110 ? 110 : in.examples[j].len);
            printf("       e.g. \"%.*s%s\"\n", n, in.examples[j].data, in.examples[j].len > 110 ? "..." : "");
        }
    }

    /* the segments furthest below on NPS */
    size_t nseg = ci_analyzer_segment_count(an), nr = 0;
    segrow *rows = calloc(nseg + 1, sizeof *rows);
    if (rows && s.nps_responses) {
        for (size_t i = 1; i < nseg; i++) {
            ci_segment_stats x;
            ci_segment_stats_init(&x);
            ci_analyzer_segment(an, i, NULL, &x);
            if (x.nps_responses >= 30) {
                rows[nr].i = i;
                rows[nr].nps = x.nps;
                nr++;
            }
        }
        qsort(rows, nr, sizeof *rows, by_nps);
        printf("\nLowest NPS segments (at least 30 responses)\n");
        printf("  %-44s %7s %7s %8s %7s %9s\n", "segment", "count", "NPS", "± margin", "CSAT", "sentiment");
        for (size_t k = 0; k < nr && k < top; k++) {
            ci_segment_stats x;
            ci_segment_stats_init(&x);
            ci_analyzer_segment(an, rows[k].i, NULL, &x);
            char label[256];
            seg_label(an, rows[k].i, label, sizeof label);
            printf("  %-44.44s %7llu %7.1f %8.1f ", label, (unsigned long long)x.count, x.nps, x.nps_margin);
            if (x.csat_responses)
                printf("%6.1f%% ", x.csat);
            else
                printf("%7s ", "-");
            if (x.sentiment_n)
                printf("%+9.2f\n", x.sentiment_mean);
            else
                printf("%9s\n", "-");
        }
    }
    free(rows);

    if (R->model) {
        size_t nt = ci_theme_model_count(R->model);
        uint64_t texts = ci_analyzer_segment_texts(an, 0);
        printf("\nThemes (%zu; the largest)\n", nt);
        segrow *tr = calloc(nt + 1, sizeof *tr);
        for (size_t t = 0; tr && t < nt; t++) {
            tr[t].i = t;
            tr[t].nps = -(double)ci_analyzer_segment_theme(an, 0, t);
        }
        if (tr)
            qsort(tr, nt, sizeof *tr, by_nps);
        for (size_t k = 0; tr && k < nt && k < top; k++) {
            ci_theme_info info;
            ci_theme_info_init(&info);
            ci_theme_model_info(R->model, tr[k].i, &info);
            printf("  %5.1f%%  %.*s\n", texts ? 100.0 * -tr[k].nps / (double)texts : 0.0,
                   (int)info.label_len, info.label);
        }
        free(tr);
    }

    size_t *idx = calloc(top + 1, sizeof *idx), na = 0;
    if (idx && ci_analyzer_riskiest(an, top, idx, &na) == CI_OK && na) {
        printf("\nAccounts most at risk of churn\n");
        for (size_t k = 0; k < na; k++) {
            ci_account_health h;
            ci_account_health_init(&h);
            ci_analyzer_account(an, idx[k], &h);
            if (h.churn_risk < 0.05)
                break;
            printf("  %-22.*s risk %.2f  ", (int)(h.account_id.len > 22 ? 22 : h.account_id.len),
                   h.account_id.data, h.churn_risk);
            int first = 1;
            for (int rr = 0; rr < CI_RISK_COUNT; rr++)
                if (h.reasons & (1u << rr)) {
                    printf("%s%s", first ? "" : ", ", ci_risk_reason_name(rr));
                    first = 0;
                }
            if (h.has_nps)
                printf("  (last NPS %.0f", h.last_nps);
            else
                printf("  (");
            printf("%s%llu contacts)\n", h.has_nps ? ", " : "", (unsigned long long)h.contacts);
        }
    }
    free(idx);
    if (R->bad)
        printf("\n%llu bad row%s skipped (first at line %llu); see stderr or the JSON report.\n",
               R->bad, R->bad == 1 ? "" : "s", R->nbadv ? R->badv[0].line : 0ull);
}

/* ------------------------------------------------------------------------ */
/*  main                                                                    */
/* ------------------------------------------------------------------------ */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return 0;
    *out = v;
    return 1;
}

int cmd_report(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    R.format = -1;
    R.tmin = R.tmax = CI_TIME_NONE;
    for (int f = 0; f < NFIELDS; f++)
        R.map.col[f] = -1;
    R.map.ncols_seen = (size_t)-1;
    const char *json_out = NULL, *html_out = NULL, *snap_out = NULL, *model_path = NULL;
    const char *merges[64];
    size_t nmerges = 0;
    unsigned long depth = 2, k = 0, min_n = 30, top = 10;
    int themes = 1;
    unsigned bucket = CI_BUCKET_WEEK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        int f;
        for (f = 0; f < NFIELDS; f++)
            if (a[0] == '-' && a[1] == '-' && !strcmp(a + 2, field_flag[f]))
                break;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (f < NFIELDS && next) {
            R.map.name[f] = next;
            R.map.explicit_[f] = 1;
            i++;
        } else if (!strcmp(a, "--dim") && next) {
            if (R.map.ndims >= MAX_DIMS) {
                fprintf(stderr, "cintel report: at most %d --dim\n", MAX_DIMS);
                return EXIT_USAGE;
            }
            for (size_t d = 0; d < R.map.ndims; d++)
                if (name_eq(next, strlen(next), R.map.dim[d])) {
                    fprintf(stderr, "cintel report: --dim %s given twice\n", next);
                    return EXIT_USAGE;
                }
            R.map.dim[R.map.ndims++] = next;
            R.map.explicit_dims = 1;
            i++;
        } else if (!strcmp(a, "--depth") && next) {
            if (!parse_uint(next, 4, &depth) || !depth) {
                fprintf(stderr, "cintel report: --depth takes 1 to 4\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--themes") && next) {
            if (!parse_uint(next, 500, &k)) {
                fprintf(stderr, "cintel report: --themes takes 0 to 500\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--no-themes")) {
            themes = 0;
        } else if (!strcmp(a, "--theme-model") && next) {
            model_path = next;
            i++;
        } else if (!strcmp(a, "--bucket") && next) {
            if (!strcmp(next, "day"))
                bucket = CI_BUCKET_DAY;
            else if (!strcmp(next, "week"))
                bucket = CI_BUCKET_WEEK;
            else if (!strcmp(next, "month"))
                bucket = CI_BUCKET_MONTH;
            else {
                fprintf(stderr, "cintel report: --bucket takes day, week or month\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--min-n") && next) {
            if (!parse_uint(next, 1000000000ul, &min_n) || min_n < 2) {
                fprintf(stderr, "cintel report: --min-n takes a number >= 2\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--top") && next) {
            if (!parse_uint(next, 100000, &top) || !top) {
                fprintf(stderr, "cintel report: --top takes a positive number\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--json") && next) {
            json_out = next;
            i++;
        } else if (!strcmp(a, "--html") && next) {
            html_out = next;
            i++;
        } else if (!strcmp(a, "--snapshot") && next) {
            snap_out = next;
            i++;
        } else if (!strcmp(a, "--merge") && next) {
            if (nmerges == sizeof merges / sizeof merges[0]) {
                fprintf(stderr, "cintel report: too many --merge\n");
                return EXIT_USAGE;
            }
            merges[nmerges++] = next;
            i++;
        } else if (!strcmp(a, "--format") && next) {
            if (!strcmp(next, "csv"))
                R.format = REC_CSV;
            else if (!strcmp(next, "jsonl"))
                R.format = REC_JSONL;
            else {
                fprintf(stderr, "cintel report: --format takes csv or jsonl\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--strict")) {
            R.strict = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            R.quiet = 1;
        } else if (!strcmp(a, "--ces-lower-is-easier")) {
            R.ces_lower = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "cintel report: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (!R.path) {
            R.path = a;
        } else {
            fprintf(stderr, "cintel report: one input file only\n");
            return EXIT_USAGE;
        }
    }
    if (!R.path) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int code = 0;
    ci_status st = ci_lexicon_new_builtin(NULL, &R.lex);
    if (st != CI_OK) {
        fprintf(stderr, "cintel: cannot load the built-in lexicon: %s\n", ci_status_string(st));
        return EXIT_USAGE;
    }
    if (model_path) {
        ci_diag dg;
        ci_diag_init(&dg);
        if ((st = ci_theme_model_load_file(model_path, NULL, &R.model, &dg)) != CI_OK) {
            fprintf(stderr, "cintel: %s: %s\n", model_path, dg.message[0] ? dg.message : ci_status_string(st));
            ci_lexicon_free(R.lex);
            return EXIT_USAGE;
        }
    } else if (themes && nmerges == 0) {
        if (!strcmp(R.path, "-")) {
            if (!R.quiet)
                fprintf(stderr, "cintel: themes need two passes over a file; none for stdin "
                                "(use --theme-model)\n");
        } else if (!sample_texts(&R, (unsigned)k, &code)) {
            ci_lexicon_free(R.lex);
            return code;
        }
    }
    R.map.ncols_seen = (size_t)-1;
    int ok = analyze(&R, (unsigned)depth, &code);
    if (ok && R.map.ndims == 0 && !R.quiet)
        fprintf(stderr, "cintel: no segment columns found; pass --dim COL to compare segments\n");
    for (size_t m = 0; ok && m < nmerges; m++) {
        ci_analyzer_options ao;
        ci_analyzer_options_init(&ao);
        ci_analyzer *other = NULL;
        ci_diag dg;
        ci_diag_init(&dg);
        if ((st = ci_analyzer_load_file(merges[m], &ao, NULL, &other, &dg)) != CI_OK ||
            (st = ci_analyzer_merge(R.an, other)) != CI_OK) {
            fprintf(stderr, "cintel: %s: %s\n", merges[m],
                    dg.message[0] ? dg.message
                    : st == CI_ERR_INVALID ? "its dimensions, depth or themes differ from this run's"
                                           : ci_status_string(st));
            code = EXIT_USAGE;
            ok = 0;
        }
        ci_analyzer_free(other);
    }
    ci_insights *ins = NULL;
    if (ok) {
        ci_insight_options io;
        ci_insight_options_init(&io);
        io.min_n = min_n;
        io.trend_bucket = bucket;
        if ((st = ci_insights_build(R.an, &io, NULL, &ins)) != CI_OK) {
            fprintf(stderr, "cintel: insights: %s\n", ci_status_string(st));
            code = EXIT_USAGE;
            ok = 0;
        }
    }
    if (ok) {
        int to_stdout = json_out && !strcmp(json_out, "-");
        if (!to_stdout)
            print_report(&R, ins, top);
        char *buf = NULL;
        size_t len = 0;
        if (json_out || html_out) {
            FILE *mem = open_memstream(&buf, &len);
            if (!mem) {
                fprintf(stderr, "cintel: out of memory\n");
                code = EXIT_USAGE;
            } else {
                write_json(mem, &R, ins, bucket, top > 50 ? top : 50);
                if (fclose(mem) != 0) {
                    fprintf(stderr, "cintel: out of memory\n");
                    code = EXIT_USAGE;
                }
            }
        }
        if (!code && json_out) {
            FILE *o = to_stdout ? stdout : fopen(json_out, "wb");
            if (!o || fwrite(buf, 1, len, o) != len || (!to_stdout && fclose(o) != 0)) {
                fprintf(stderr, "cintel: cannot write %s: %s\n", json_out, strerror(errno));
                code = EXIT_USAGE;
            } else if (!to_stdout) {
                printf("\nJSON report: %s\n", json_out);
            }
        }
        if (!code && html_out) {
            FILE *o = fopen(html_out, "wb");
            char title[300];
            const char *base = strrchr(R.path, '/');
            snprintf(title, sizeof title, "Customer report: %s", base ? base + 1 : R.path);
            if (!o || report_write_html(o, buf, len, title) != 0 || fclose(o) != 0) {
                fprintf(stderr, "cintel: cannot write %s: %s\n", html_out, strerror(errno));
                code = EXIT_USAGE;
            } else if (!to_stdout) {
                printf("HTML report: %s\n", html_out);
            }
        }
        free(buf);
        if (!code && snap_out) {
            if ((st = ci_analyzer_save_file(R.an, snap_out)) != CI_OK) {
                fprintf(stderr, "cintel: cannot write %s: %s\n", snap_out, ci_status_string(st));
                code = EXIT_USAGE;
            } else if (!to_stdout) {
                printf("snapshot: %s\n", snap_out);
            }
        }
    }
    ci_insights_free(ins);
    ci_analyzer_free(R.an);
    ci_theme_model_free(R.model);
    ci_lexicon_free(R.lex);
    return code;
}
