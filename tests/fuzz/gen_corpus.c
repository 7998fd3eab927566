/* SPDX-License-Identifier: MIT */
/* Writes the seed corpora of the fuzz targets: tests/fuzz/gen_corpus.sh runs
 * it as `fuzz_gen_corpus ROOT OUTDIR` (ROOT = the source tree, for the
 * sample data; OUTDIR/<target>/ receives the files).  Everything it writes is
 * deterministic, so a rerun reproduces the committed corpus.
 *
 * Seeds are real formats: a saved theme model from tiny fits (text and
 * vector), snapshots of tiny analyzers, heads of the lexicon sources and of
 * VADER's files, CSV / JSON Lines samples, the tokenizer test corpus; each
 * with the harness's leading control bytes where it has them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "libci.h"
#include "seal.h"

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "gen_corpus: %s:%d: %s failed\n", __FILE__, __LINE__, #c); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static const char *g_root, *g_out;
static unsigned g_count;

static void write_seed(const char *target, const char *name, const void *pre, size_t pre_len,
                       const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_out, target);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        CHECK(!"mkdir");
    snprintf(path, sizeof path, "%s/%s/%s", g_out, target, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(pre, 1, pre_len, f) == pre_len);
    CHECK(len == 0 || fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
    g_count++;
}

/* The first max_lines lines of a source file (gunzipped when it ends in
 * .gz); NULL if absent (the shared data may not be there). */
static char *head(const char *rel, int max_lines, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_root, rel);
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    int lines = 0, c;
    while (lines < max_lines && n + 1 < cap && (c = gzgetc(g)) != -1) {
        buf[n++] = (char)c;
        if (c == '\n')
            lines++;
    }
    gzclose(g);
    *len = n;
    return buf;
}

static unsigned char *gzip_bytes(const void *p, size_t n, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&zs, (uLong)n);
    unsigned char *out = malloc(bound);
    CHECK(out != NULL);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)bound;
    CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* ------------------------------------------------------------ tokenizer */

static void gen_tokenizer(void)
{
    static const unsigned char chunkings[][4] = {
        {0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 7, 13}, {2, 1, 2, 5}, {0, 255, 100}, {1, 4, 0},
    };
    size_t len;
    char *corpus = head("tests/data/tokenizer_corpus.txt", 1000, &len);
    CHECK(corpus != NULL);
    /* each line alone, under a few chunkings */
    size_t start = 0, line = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && corpus[i] != '\n')
            continue;
        const unsigned char *ch = chunkings[line % 8];
        size_t pre = (size_t)ch[0] % 16 + 2;
        char name[64];
        snprintf(name, sizeof name, "line%02zu", line);
        write_seed("tokenizer", name, ch, pre > 4 ? 4 : pre, corpus + start, i - start);
        start = i + 1;
        line++;
    }
    static const unsigned char whole[] = {0, 3};
    write_seed("tokenizer", "corpus_all", whole, 2, corpus, len);
    free(corpus);
    char *tickets = head("examples/data/sample_tickets.txt", 1000, &len);
    CHECK(tickets != NULL);
    static const unsigned char split[] = {2, 1, 5, 11};
    write_seed("tokenizer", "sample_tickets", split, 4, tickets, len);
    free(tickets);
    static const struct {
        const char *name, *text;
    } special[] = {
        {"bad_utf8", "caf\xC3 \xE2\x82 ok \xF0\x9F\x98 \xFF\xFE end \xED\xA0\x80 surrogate"},
        {"emoji_seq", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
                      "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9 1\xEF\xB8\x8F\xE2\x83\xA3 "
                      "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD\xF0\x9F\x8F\xBD"},
        {"urls", "see http://x.io/a?b=c,d. www.example.com/path) ftp://f.tp/x; mail a.b+c@d.co.uk!"},
        {"emoticons", ":-) :( ;P <3 </3 :'( xD :-))) :/ http://:) @user_1 #tag #123"},
        {"numbers", "3.14 1,000 10:30 2024-01-05 1/2 -5 +3 .5 5. 1..2 3,,4"},
        {"contractions", "don't can't won't it's we'll y'all DON'T dont cant isn\xE2\x80\x99t"},
        {"elongated", "sooooo goooood!!!!??? ...... ---- ____ NOOOO"},
        {"nul_ctrl", "a\0b\tc\r\nd\x01" "e\x7F" "f"},
    };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
        const unsigned char ch[] = {3, 1, 2, 3, 4};
        size_t tl = strlen(special[i].text);
        if (strcmp(special[i].name, "nul_ctrl") == 0)
            tl = 16;
        write_seed("tokenizer", special[i].name, ch, sizeof ch, special[i].text, tl);
    }
    /* a token longer than CI_TOKEN_MAX_BYTES */
    char longtok[2100];
    for (size_t i = 0; i < sizeof longtok; i++)
        longtok[i] = (i % 7 == 6) ? "\xC3\xA9"[i % 2] : 'a' + (char)(i % 26);
    const unsigned char ch[] = {1, 255, 10, 37};
    write_seed("tokenizer", "long_token", ch, sizeof ch, longtok, sizeof longtok);
}

/* -------------------------------------------------------------- lexicon */

static void gen_lexicon(void)
{
    static const struct {
        const char *name, *path;
        int lines;
    } src[] = {
        {"adjectives", "data/lexicon/adjectives.tsv", 40},
        {"intents", "data/lexicon/intents.tsv", 40},
        {"modifiers", "data/lexicon/modifiers.tsv", 40},
        {"slang_emoji", "data/lexicon/slang_emoji.tsv", 60},
        {"support", "data/lexicon/support.tsv", 30},
        {"verbs_nouns", "data/lexicon/verbs_nouns.tsv", 30},
        {"vader", "../shared/data/vader/vader_lexicon.txt", 60},
        {"vader_emoji", "../shared/data/vader/emoji_utf8_lexicon.txt", 40},
    };
    for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
        size_t len;
        char *text = head(src[i].path, src[i].lines, &len);
        if (!text) {
            fprintf(stderr, "gen_corpus: %s absent, skipped\n", src[i].path);
            continue;
        }
        write_seed("lexicon", src[i].name, "", 0, text, len);
        if (i == 0 || i == 6) {
            size_t gl;
            unsigned char *gz = gzip_bytes(text, len, &gl);
            char name[64];
            snprintf(name, sizeof name, "%s.gz", src[i].name);
            write_seed("lexicon", name, "", 0, gz, gl);
            free(gz);
        }
        free(text);
    }
    static const char directives[] =
        "# comment\n#\ngreat\t3.1\nnot good\t-1.5\r\n:-)\t2\n\xF0\x9F\x98\x80\t2.5\n"
        "@booster\tvery\t0.3\n@dampener\tkind of\t-0.2\n@negator\tnever\n"
        "@intent\tchurn\tcancel my *\t0.9\n@intent\tpraise\tthank you\t0.6\n"
        "bad\t-4\nfine\t0.0\n";
    write_seed("lexicon", "directives", "", 0, directives, sizeof directives - 1);
    static const char crlf_vader[] = "good\t1.9\t0.9\t[2, 2, 1]\r\nbad\t-2.5\t1.0\t[-3, -2]\r\n#-)\t0.5\t1\t[1]\r\n";
    write_seed("lexicon", "vader_crlf", "", 0, crlf_vader, sizeof crlf_vader - 1);
}

/* --------------------------------------------------------------- themes */

static const char *const k_texts[] = {
    "my card was charged twice and I want a refund",
    "refund for the double charge on my card please",
    "charged twice on my credit card, need my money back",
    "I was billed twice, where is my refund",
    "cannot log in to the app, password reset email never arrives",
    "password reset link does not work, cannot log in",
    "locked out of my account, the login keeps failing",
    "forgot my password and the reset email never came",
    "the delivery is late, my parcel has not arrived",
    "where is my order, the delivery is a week late",
    "parcel never arrived and tracking shows no update",
    "tracking says delivered but no parcel arrived",
};
#define NTEXTS (sizeof k_texts / sizeof *k_texts)

static void seed_container(const char *target, const char *name, const char *data, size_t len)
{
    char nm[128];
    static const unsigned char verbatim = 0, raw = 1;
    snprintf(nm, sizeof nm, "%s.saved", name);
    write_seed(target, nm, &verbatim, 1, data, len);
    size_t plen = 0;
    unsigned char *payload = fz_unseal((const unsigned char *)data, len, &plen);
    CHECK(payload != NULL);
    snprintf(nm, sizeof nm, "%s.payload", name);
    write_seed(target, nm, &raw, 1, payload, plen);
    free(payload);
}

static ci_theme_model *fit(unsigned k, int bigrams, unsigned dims, unsigned neighbors, int streaming)
{
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = k;
    o.seed = 11;
    o.bigrams = bigrams;
    o.dims = dims;
    o.neighbors = neighbors;
    o.streaming = streaming;
    o.n_terms = 4;
    o.n_examples = 2;
    ci_theme_trainer *t = NULL;
    CHECK(ci_theme_trainer_new(&o, NULL, &t) == CI_OK);
    for (int pass = 0; pass < (streaming ? 2 : 1); pass++) {
        if (pass)
            CHECK(ci_theme_trainer_next_pass(t) == CI_OK);
        for (size_t i = 0; i < NTEXTS; i++)
            CHECK(ci_theme_trainer_add(t, k_texts[i], strlen(k_texts[i])) == CI_OK);
    }
    ci_theme_model *m = NULL;
    CHECK(ci_theme_trainer_fit(t, &m) == CI_OK);
    ci_theme_trainer_free(t);
    return m;
}

static void seed_model(const char *name, const ci_theme_model *m)
{
    char *data;
    size_t len;
    CHECK(ci_theme_model_save(m, &data, &len) == CI_OK);
    seed_container("theme_model", name, data, len);
    ci_free(data);
}

static ci_theme_model *gen_theme_model(void)
{
    ci_theme_model *m3 = fit(3, 0, 0, 0, 0);
    seed_model("k3_tfidf", m3);
    ci_theme_model *m = fit(2, 1, 4, 3, 0);
    seed_model("k2_lsa_bigrams", m);
    ci_theme_model *merged = NULL;
    CHECK(ci_theme_model_merge(m, 0, 1, &merged) == CI_OK);
    seed_model("k1_merged", merged);
    ci_theme_model_free(merged);
    ci_theme_model_free(m);
    m = fit(3, 0, 0, 0, 1);
    seed_model("k3_streaming", m);
    ci_theme_model_free(m);
    /* a vector model */
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.k = 2;
    o.seed = 3;
    ci_theme_trainer *t = NULL;
    CHECK(ci_theme_trainer_new(&o, NULL, &t) == CI_OK);
    for (int i = 0; i < 8; i++) {
        float v[4] = {(float)(i % 2), (float)((i + 1) % 2), 0.1f * (float)i, 1.0f};
        CHECK(ci_theme_trainer_add_vector(t, v, 4, k_texts[i], strlen(k_texts[i])) == CI_OK);
    }
    CHECK(ci_theme_trainer_fit(t, &m) == CI_OK);
    ci_theme_trainer_free(t);
    seed_model("vector_k2", m);
    ci_theme_model_free(m);
    /* a few corrupt files: truncated, bad magic, newer version */
    char *data;
    size_t len;
    CHECK(ci_theme_model_save(m3, &data, &len) == CI_OK);
    static const unsigned char verbatim = 0;
    write_seed("theme_model", "truncated", &verbatim, 1, data, len / 2);
    data[8] = 9;
    write_seed("theme_model", "version9", &verbatim, 1, data, len);
    ci_free(data);
    return m3;
}

/* ------------------------------------------------------------ snapshots */

static ci_str S(const char *s)
{
    ci_str r = {s, strlen(s)};
    return r;
}

static void fill(ci_analyzer *an, int n, int with_accounts)
{
    static const char *const tiers[] = {"free", "pro", "enterprise"};
    static const char *const regions[] = {"EMEA", "NA"};
    for (int i = 0; i < n; i++) {
        ci_signal s;
        ci_signal_init(&s);
        ci_attr attrs[2] = {{S("tier"), S(tiers[i % 3])}, {S("region"), S(regions[i % 2])}};
        s.kind = CI_SIGNAL_TICKET;
        s.timestamp = 1704067200 + (int64_t)i * 86400 * 3;
        s.text = S(k_texts[(size_t)i % NTEXTS]);
        s.attrs = attrs;
        s.n_attrs = (size_t)(i % 5 == 4 ? 1 : 2);
        if (i % 3 == 0) {
            s.has |= CI_HAS_NPS;
            s.nps = (double)(i % 11);
        }
        if (i % 4 == 1) {
            s.has |= CI_HAS_CSAT | CI_HAS_CES;
            s.csat = (double)(1 + i % 5);
            s.ces = (double)(1 + i % 7);
        }
        if (i % 2) {
            s.has |= CI_HAS_VALUE;
            s.value = 1000.0 * i;
        }
        char acct[16];
        if (with_accounts) {
            snprintf(acct, sizeof acct, "acct-%d", i % 4);
            s.account_id = S(acct);
        }
        CHECK(ci_analyzer_add(an, &s, NULL, NULL) == CI_OK);
    }
}

static void seed_snapshot(const char *name, const ci_analyzer *an)
{
    char *data;
    size_t len;
    CHECK(ci_analyzer_save(an, &data, &len) == CI_OK);
    seed_container("snapshot", name, data, len);
    ci_free(data);
}

static void gen_snapshot(const ci_lexicon *lex, const ci_theme_model *m3)
{
    ci_str dims[] = {S("tier"), S("region")};
    static const struct {
        const char *name;
        size_t ndims;
        unsigned depth, buckets;
        int lexicon, themes, n, accounts;
    } cfg[] = {
        {"empty", 0, 0, 0, 0, 0, 0, 0},
        {"empty_2dims", 2, 2, CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH, 1, 0, 0, 0},
        {"nodims_3", 0, 0, CI_BUCKET_WEEK, 1, 0, 3, 0},
        {"tier_12", 1, 1, CI_BUCKET_MONTH, 1, 0, 12, 1},
        {"tier_region_20_themes", 2, 2, CI_BUCKET_DAY | CI_BUCKET_WEEK | CI_BUCKET_MONTH, 1, 1, 20, 1},
        {"no_lexicon_8", 2, 1, CI_BUCKET_DAY, 0, 0, 8, 1},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof *cfg; i++) {
        ci_analyzer_options o;
        ci_analyzer_options_init(&o);
        o.dimensions = dims;
        o.n_dimensions = cfg[i].ndims;
        o.max_depth = cfg[i].depth;
        o.buckets = cfg[i].buckets;
        o.lexicon = cfg[i].lexicon ? lex : NULL;
        o.themes = cfg[i].themes ? m3 : NULL;
        ci_analyzer *an = NULL;
        CHECK(ci_analyzer_new(&o, NULL, &an) == CI_OK);
        fill(an, cfg[i].n, cfg[i].accounts);
        seed_snapshot(cfg[i].name, an);
        ci_analyzer_free(an);
    }
}

/* -------------------------------------------------------------- records */

static void gen_records(void)
{
    static const struct {
        const char *name, *path;
        unsigned char flags[3];
    } files[] = {
        {"customers_csv", "tests/data/records/customers.csv", {0, 2, 4}},
        {"customers_jsonl", "tests/data/records/customers.jsonl", {1, 2, 3 | 4 | 8}},
        {"sample_signals", "examples/data/sample_signals.csv.gz", {0, 4, 2 | 16}},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t len;
        char *text = head(files[i].path, 12, &len);
        CHECK(text != NULL);
        for (int k = 0; k < 3; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%02x", files[i].name, files[i].flags[k]);
            write_seed("records", name, &files[i].flags[k], 1, text, len);
        }
        free(text);
    }
    static const struct {
        const char *name;
        unsigned char flags;
        const char *text;
    } special[] = {
        {"csv_quotes", 0, "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"multi\nline\"\r\n,\"\",z\n\n\r\n1,2,3"},
        {"csv_bom_bad", 2, "\xEF\xBB\xBFid,text\n1,ok\n2,too,many\n3,\"unterminated\n"},
        {"csv_ragged_gz", 4 | 32, "h1,h2\nv1\nv1,v2\nv1,v2,v3\n"},
        {"jsonl_types", 1, "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null,\"e\":-1.5e3}\n\n"
                           "{\"b\":\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\",\"f\":false}\n"},
        {"jsonl_bad", 1, "{\"a\":[1]}\n{\"a\":{\"b\":1}}\n{\"a\":1,\"a\":2}\n{\"s\":\"\\ud800\"}\n"
                         "{\"t\":\"\xff\"}\nnot json\n{\"ok\":\"yes\"}\n{\"u\":\"\\u0000x\"}"},
        {"jsonl_gz_trunc", 1 | 4 | 64, "{\"k\":\"v\"}\n{\"k\":\"w\"}\n"},
        {"jsonl_big", 1 | 16, "{\"id\":12345,\"text\":\"a long line of text to repeat\"}\n"},
        {"csv_big_gz2", 4 | 8 | 16, "id,text\n1,\"quoted, with comma\"\n2,plain\n"},
        {"auto_ws_json", 2, " \t\n{\"x\":\"1\"}\n"},
        {"empty", 0, ""},
    };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        write_seed("records", special[i].name, &special[i].flags, 1, special[i].text,
                   strlen(special[i].text));
}

/* ------------------------------------------------------------- analyzer */

typedef struct obuf {
    unsigned char b[4096];
    size_t n;
} obuf;

static void ob(obuf *o, int byte)
{
    CHECK(o->n < sizeof o->b);
    o->b[o->n++] = (unsigned char)byte;
}

/* One signal in fuzz_analyzer.c's encoding: a valid ticket with text from
 * the harness's phrase table, an account, a time, NPS and attributes. */
static void ob_signal(obuf *o, int i, int via_result)
{
    int op = (via_result ? 2 : 1) | 4 | 8 | 16 | (i % 2 ? 32 : 0) | (i % 3 == 0 ? 64 : 0);
    int op2 = (i % 4 == 0 ? 2 : 0) | (2 << 2);
    ob(o, op);
    ob(o, op2);
    ob(o, 200 + i % 12);       /* text: phrase i */
    ob(o, i % 5);              /* account acct-N */
    ob(o, 10 + 2 * (i % 50));  /* timestamp: base + ... */
    ob(o, (i * 37) & 0xFF);
    ob(o, (i * 3) & 0xFF);
    if (op & 32)
        ob(o, 36 + i % 11);    /* NPS: 36 + v reads as the integer v */
    if (op & 64)
        ob(o, 36 + 1 + i % 5); /* CSAT */
    if (op2 & 2)
        ob(o, 100 + i);        /* value */
    ob(o, 0);                  /* key tier */
    ob(o, i % 3);              /* free / pro / enterprise */
    ob(o, 1);                  /* key region */
    ob(o, 3 + i % 2);          /* EMEA / NA */
    if (via_result) {
        ob(o, 1);              /* has sentiment, compound from a byte */
        ob(o, (i * 29) & 0xFF);
        ob(o, 40);
        ob(o, i % 64);         /* intent flags */
        ob(o, i % 3);          /* theme */
    }
}

static void gen_analyzer(void)
{
    static const struct {
        const char *name;
        unsigned char cfg, dcfg;
        int n, results;
    } cfg[] = {
        {"model_2dims_week", 1 | (2 << 1) | (CI_BUCKET_WEEK << 3), 2, 24, 0},
        {"plain_3dims_all", (3 << 1) | (7 << 3), 3, 40, 0},
        {"vader_1dim_day", (1 << 1) | (CI_BUCKET_DAY << 3) | 64, 1, 12, 0},
        {"nolex_results", 128 | (2 << 1) | (CI_BUCKET_MONTH << 3), 2 | (3 << 3), 30, 1},
        {"nodims", 0, 0, 6, 0},
    };
    for (size_t c = 0; c < sizeof cfg / sizeof *cfg; c++) {
        obuf o = {{0}, 0};
        ob(&o, cfg[c].cfg);
        ob(&o, cfg[c].dcfg);
        for (int i = 0; i < cfg[c].n; i++)
            ob_signal(&o, i, cfg[c].results && i % 2);
        write_seed("analyzer", cfg[c].name, "", 0, o.b, o.n);
    }
    /* edge values: NaN, infinities, out-of-range scores, extreme times */
    obuf o = {{0}, 0};
    ob(&o, 1 | (2 << 1) | (7 << 3));
    ob(&o, 2);
    for (int i = 0; i < 28; i++) {
        ob(&o, 8 | 16 | 32 | 64 | 128);
        ob(&o, 1 | 2);
        ob(&o, i % 4);          /* account */
        ob(&o, i % 5);          /* special timestamps */
        ob(&o, i);              /* NPS from the edge table */
        ob(&o, (i + 5) % 28);   /* CSAT */
        ob(&o, (i + 9) % 28);   /* CES */
        ob(&o, i & 1);
        ob(&o, (i + 3) % 28);   /* rating */
        ob(&o, (i + 12) % 28);  /* value */
    }
    write_seed("analyzer", "edge_numbers", "", 0, o.b, o.n);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT OUTDIR\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    g_out = argv[2];
    if (mkdir(g_out, 0777) != 0 && errno != EEXIST)
        CHECK(!"mkdir OUTDIR");
    ci_lexicon *lex = NULL;
    CHECK(ci_lexicon_new_builtin(NULL, &lex) == CI_OK);
    gen_tokenizer();
    gen_lexicon();
    ci_theme_model *m3 = gen_theme_model();
    gen_snapshot(lex, m3);
    gen_records();
    gen_analyzer();
    ci_theme_model_free(m3);
    ci_lexicon_free(lex);
    printf("%u seeds written to %s\n", g_count, g_out);
    return 0;
}
