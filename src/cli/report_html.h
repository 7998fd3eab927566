/* SPDX-License-Identifier: MIT */
/* The self-contained HTML report of cintel report --html. */
#ifndef CINTEL_REPORT_HTML_H
#define CINTEL_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Write the HTML report embedding `json` (the complete report object, UTF-8). Returns 0, or -1 on a write error
 * (out is flushed; the caller still checks fclose).
 *
 * json[0..len) must be one valid JSON object (no NaN or Infinity: write null);
 * json NULL or len 0 writes a page that says it has no data.  The JSON goes
 * into a <script type="application/json"> block with every '<' written as
 * \u003c, so no text in it can end the block.  title (UTF-8; NULL or "": a
 * default) is HTML-escaped.  The page needs no network: its CSS and script are inline. */
int report_write_html(FILE *out, const char *json, size_t len, const char *title);

#endif
