/* SPDX-License-Identifier: MIT */
/* cintel report --html: the template src/cli/report_template.html, embedded
 * at build time by tools/embed_file.py, with the report JSON and the title
 * put in place of its markers. */
#include <string.h>

#include "report_html.h"

/* Generated from report_template.html (report_template.c in the build dir). */
extern const char report_template[];
extern const size_t report_template_len;

#define MARK_TITLE "@@TITLE@@"
#define MARK_DATA "@@DATA@@"

static void put(FILE *out, const char *s, size_t n)
{
    if (n)
        fwrite(s, 1, n, out);
}

/* Text for HTML element content (also safe in a quoted attribute). */
static void write_escaped_text(FILE *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        put(out, run, (size_t)(s - run));
        fputs(rep, out);
        run = s + 1;
    }
    put(out, run, (size_t)(s - run));
}

/* JSON inside <script type="application/json">: the HTML parser ends the
 * block at "</script" and treats "<!--" specially, and '<' may appear in valid
 * JSON only inside strings, where \u003c means the same; so every '<' becomes
 * \u003c and nothing in the data can close or confuse the block. */
static void write_escaped_json(FILE *out, const char *json, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (json[i] != '<')
            continue;
        put(out, json + run, i - run);
        fputs("\\u003c", out);
        run = i + 1;
    }
    put(out, json + run, len - run);
}

int report_write_html(FILE *out, const char *json, size_t len, const char *title)
{
    static const char mt[] = MARK_TITLE, md[] = MARK_DATA;
    const char *p = report_template, *end = report_template + report_template_len;
    if (!title || !*title)
        title = "Customer intelligence report";
    if (!json || !len) {
        json = "null";
        len = 4;
    }
    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (!at) {
            put(out, p, (size_t)(end - p));
            break;
        }
        size_t rest = (size_t)(end - at);
        if (rest >= sizeof mt - 1 && memcmp(at, mt, sizeof mt - 1) == 0) {
            put(out, p, (size_t)(at - p));
            write_escaped_text(out, title);
            p = at + sizeof mt - 1;
        } else if (rest >= sizeof md - 1 && memcmp(at, md, sizeof md - 1) == 0) {
            put(out, p, (size_t)(at - p));
            write_escaped_json(out, json, len);
            p = at + sizeof md - 1;
        } else {
            put(out, p, (size_t)(at - p) + 1);
            p = at + 1;
        }
    }
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
