/* SPDX-License-Identifier: MIT */
/* Minimal libci program: stream text from stdin through the tokenizer in
 * small chunks and print each token.  Build it against an installed libci:
 *     cc tokenize_stream.c $(pkg-config --cflags --libs libci) -o tokenize_stream
 */
#include <stdio.h>

#include <libci.h>

int main(void)
{
    ci_tokenizer *tok;
    ci_status st = ci_tokenizer_new(NULL, &tok);
    if (st != CI_OK) {
        fprintf(stderr, "ci_tokenizer_new: %s\n", ci_status_string(st));
        return 1;
    }
    ci_token t;
    ci_token_init(&t);
    char buf[4096];
    size_t n;
    int eof = 0;
    while (!eof) {
        n = fread(buf, 1, sizeof buf, stdin);
        if (n > 0)
            ci_tokenizer_feed(tok, buf, n); /* buf is borrowed until CI_MORE */
        else {
            ci_tokenizer_finish(tok);
            eof = 1;
        }
        while ((st = ci_tokenizer_next(tok, &t)) == CI_OK)
            printf("%-8s %6llu  %.*s\n", ci_token_kind_name(t.kind),
                   (unsigned long long)t.offset, (int)t.norm_len, t.norm);
        if (st != CI_MORE && st != CI_DONE) {
            fprintf(stderr, "ci_tokenizer_next: %s\n", ci_status_string(st));
            break;
        }
    }
    ci_tokenizer_free(tok);
    return st == CI_DONE ? 0 : 1;
}
