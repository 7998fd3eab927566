/* SPDX-License-Identifier: MIT */
/* sdk_link: the smallest program a vendor SDK embedding libci would ship.
 *
 * It checks that the library it runs with is the one its header described,
 * then scores one message.  Built as a shared-library client and a static
 * one by examples/meson.build, and from an installed copy through pkg-config
 * by examples/pkgconfig_build.sh:
 *
 *     cc sdk_link.c $(pkg-config --cflags --libs libci) -o sdk_link
 *     cc -DCI_STATIC sdk_link.c $(pkg-config --cflags libci) \
 *        -Wl,-Bstatic $(pkg-config --libs-only-l libci) -Wl,-Bdynamic ...
 *
 * (CI_STATIC matters only on Windows, where it drops dllimport; it is
 * harmless elsewhere and keeps one build line for every platform.)
 */
#include <stdio.h>
#include <string.h>

#include <libci.h>

int main(int argc, char **argv)
{
    /* A shared libci can be swapped under an SDK after it shipped.  The
     * SONAME keeps an incompatible major away; a library older than the
     * header may still lack functions the SDK calls, so refuse it. */
    unsigned linked = ci_version_number();
    if (linked / 10000 != CI_VERSION_MAJOR || linked < CI_VERSION_NUMBER) {
        fprintf(stderr, "built for libci %s, running with %s\n", CI_VERSION_STRING,
                ci_version_string());
        return 1;
    }

    const char *text = argc > 1 ? argv[1] : "The export is broken again and nobody answers.";
    ci_lexicon *lex = NULL;
    ci_sentiment *s = NULL;
    int rc = 1;
    ci_status st = ci_lexicon_new_builtin(NULL, &lex);
    if (st == CI_OK)
        st = ci_sentiment_new(lex, NULL, NULL, &s);
    if (st != CI_OK) {
        fprintf(stderr, "libci: %s\n", ci_status_string(st));
        goto out;
    }
    ci_sentiment_result r;
    ci_sentiment_result_init(&r);
    if ((st = ci_sentiment_score(s, text, strlen(text), &r)) != CI_OK) {
        fprintf(stderr, "ci_sentiment_score: %s\n", ci_status_string(st));
        goto out;
    }
    printf("libci %s: compound %+.3f\n", ci_version_string(), r.compound);
    rc = 0;
out:
    ci_sentiment_free(s);
    ci_lexicon_free(lex);
    return rc;
}
