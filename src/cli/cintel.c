/* SPDX-License-Identifier: MIT */
/* cintel: the command-line face of libci. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "libci.h"

static void usage(FILE *o)
{
    fputs("usage: cintel [--help] [--version] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  tokenize [FILE|-]   print the tokens of each input line as JSON lines\n"
          "  sentiment [FILE|-]  score sentiment and intents of each input line\n"
          "  themes [FILE|-]     find the themes of the input lines (or assign them)\n"
          "  report FILE         segments, insights, themes and account health of\n"
          "                      customer records (CSV or JSON Lines, optionally gzip)\n"
          "\n"
          "Run 'cintel COMMAND --help' for a command's options.\n", o);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("cintel %s (libci %s)\n", CI_VERSION_STRING, ci_version_string());
        return 0;
    }
    if (strcmp(cmd, "tokenize") == 0)
        return cmd_tokenize(argc - 1, argv + 1);
    if (strcmp(cmd, "sentiment") == 0)
        return cmd_sentiment(argc - 1, argv + 1);
    if (strcmp(cmd, "themes") == 0)
        return cmd_themes(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    fprintf(stderr, "cintel: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
