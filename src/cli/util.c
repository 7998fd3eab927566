/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "cli.h"

void json_str(FILE *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', out);
    size_t run = 0; /* bytes that need no escape are written in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(s + run, 1, i - run, out);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            fputs("\\u00", out);
            putc(hex[c >> 4], out);
            putc(hex[c & 15], out);
        }
    }
    fwrite(s + run, 1, n - run, out);
    putc('"', out);
}

FILE *cli_open_input(const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return stdin;
    FILE *f = fopen(path, "rb");
    if (!f)
        fprintf(stderr, "cintel: cannot open %s: %s\n", path, strerror(errno));
    return f;
}

int cli_for_each_line(FILE *in, void *ctx, line_bytes_fn on_bytes, line_end_fn on_eol)
{
    char buf[1 << 16];
    unsigned long long line = 1;
    int open_line = 0, rc;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', n - start);
            size_t end = nl ? (size_t)(nl - buf) : n;
            if (end > start) {
                if ((rc = on_bytes(ctx, buf + start, end - start)) != 0)
                    return rc;
                open_line = 1;
            }
            if (!nl)
                break;
            if ((rc = on_eol(ctx, line++)) != 0)
                return rc;
            open_line = 0;
            start = end + 1;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "cintel: read error: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    if (open_line && (rc = on_eol(ctx, line)) != 0)
        return rc;
    return 0;
}
