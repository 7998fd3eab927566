/* SPDX-License-Identifier: MIT */
/* Shared helpers of the cintel subcommands. */
#ifndef CINTEL_CLI_H
#define CINTEL_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 the input had problems, 2 usage or I/O error. */
enum { EXIT_USAGE = 2, EXIT_DATA = 1 };

/* Write s[0..n) as a JSON string literal (s must be valid UTF-8). */
void json_str(FILE *out, const char *s, size_t n);

/* Open FILE or "-" for reading; prints the error and returns NULL. */
FILE *cli_open_input(const char *path);

/* Read input in blocks and call on_bytes for each piece of a line and
 * on_eol at the end of every line (also a last line without '\n').
 * Lines may be any length: they are never held whole. */
typedef int (*line_bytes_fn)(void *ctx, const char *data, size_t len);
typedef int (*line_end_fn)(void *ctx, unsigned long long line_no);
int cli_for_each_line(FILE *in, void *ctx, line_bytes_fn on_bytes, line_end_fn on_eol);

int cmd_tokenize(int argc, char **argv);
int cmd_sentiment(int argc, char **argv);
int cmd_themes(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
