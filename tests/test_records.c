/* SPDX-License-Identifier: MIT */
/* The record reader of `cintel report`: CSV and JSON Lines, plain or gzip. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "testutil.h"

#include "../src/cli/records.h"

/* ------------------------------------------------------------------ helpers */

static char g_dir[512]; /* a fresh temporary directory for the suite */

static int suite_setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/ci_test_records_XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int suite_teardown(void **state)
{
    (void)state;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_dir);
    return 0;
}

/* Write data to a file of the temporary directory; the path stays valid for
 * the next three calls. */
static const char *mk(const char *name, const void *data, size_t n)
{
    static char paths[4][1024];
    static int next;
    char *p = paths[next++ & 3];
    snprintf(p, sizeof paths[0], "%s/%s", g_dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

#define MK(name, lit) mk(name, lit, sizeof lit - 1)

/* gzip (one member) of data; the caller frees it. */
static unsigned char *gz(const void *data, size_t n, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    zs.next_in = (unsigned char *)(uintptr_t)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static rec_reader *open_ok(const char *path, int format)
{
    char err[256];
    rec_reader *r = rec_open(path, format, err, sizeof err);
    if (!r)
        fail_msg("rec_open(%s): %s", path, err);
    return r;
}

static void expect_row(const char *file, int at, rec_reader *r, unsigned long long line,
                       const char *const *vals, size_t n)
{
    unsigned long long got_line = 0;
    int rc = rec_next(r, &got_line);
    if (rc != REC_RECORD)
        fail_msg("%s:%d: rec_next = %d, want a record (line %llu): %s", file, at, rc, got_line,
                 rec_error(r));
    if (got_line != line)
        fail_msg("%s:%d: record on line %llu, want %llu", file, at, got_line, line);
    for (size_t i = 0; i < n; i++) {
        size_t len = 12345;
        const char *v = rec_value(r, i, &len);
        if (!vals[i]) {
            if (v)
                fail_msg("%s:%d: line %llu column %zu = [%.*s], want absent", file, at, line, i,
                         (int)len, v);
            continue;
        }
        if (!v)
            fail_msg("%s:%d: line %llu column %zu absent, want [%s]", file, at, line, i, vals[i]);
        if (len != strlen(vals[i]) || memcmp(v, vals[i], len) != 0 || v[len] != '\0')
            fail_msg("%s:%d: line %llu column %zu = [%.*s], want [%s]", file, at, line, i,
                     (int)len, v, vals[i]);
    }
}

#define EXPECT_ROW(r, line, ...)                                                             \
    expect_row(__FILE__, __LINE__, r, line, (const char *const[]){__VA_ARGS__},              \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void expect_bad(const char *file, int at, rec_reader *r, unsigned long long line,
                       const char *msg)
{
    unsigned long long got_line = 0;
    int rc = rec_next(r, &got_line);
    if (rc != REC_BAD)
        fail_msg("%s:%d: rec_next = %d, want a bad record on line %llu", file, at, rc, line);
    if (got_line != line)
        fail_msg("%s:%d: bad record on line %llu, want %llu (%s)", file, at, got_line, line,
                 rec_error(r));
    if (!strstr(rec_error(r), msg))
        fail_msg("%s:%d: line %llu: message [%s] lacks [%s]", file, at, line, rec_error(r), msg);
    assert_null(rec_value(r, 0, NULL));
}

#define EXPECT_BAD(r, line, msg) expect_bad(__FILE__, __LINE__, r, line, msg)

#define EXPECT_END(r)                                                                        \
    do {                                                                                     \
        int rc_ = rec_next(r, NULL);                                                         \
        if (rc_ != REC_EOF)                                                                  \
            fail_msg("rec_next = %d, want the end (%s)", rc_, rec_error(r));                 \
        assert_int_equal(rec_next(r, NULL), REC_EOF);                                        \
    } while (0)

static void expect_columns(rec_reader *r, const char *const *names, size_t n)
{
    assert_int_equal(rec_ncolumns(r), n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *c = rec_column(r, i, &len);
        assert_non_null(c);
        assert_int_equal(len, strlen(names[i]));
        assert_string_equal(c, names[i]);
    }
    assert_null(rec_column(r, n, NULL));
}

#define EXPECT_COLUMNS(r, ...)                                                               \
    expect_columns(r, (const char *const[]){__VA_ARGS__},                                    \
                   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* --------------------------------------------------------------------- CSV */

static void test_csv_plain(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("plain.csv", "id,name,score\n1,alice,3.5\n2,bob,-1\n"), -1);
    assert_int_equal(rec_format_of(r), REC_CSV);
    EXPECT_COLUMNS(r, "id", "name", "score");
    EXPECT_ROW(r, 2, "1", "alice", "3.5");
    size_t n;
    const rec_field *f = rec_fields(r, &n);
    assert_int_equal(n, 3);
    assert_string_equal(f[1].name, "name");
    assert_int_equal(f[1].name_len, 4);
    assert_string_equal(f[1].value, "alice");
    assert_int_equal(f[1].value_len, 5);
    assert_false(f[1].is_null);
    EXPECT_ROW(r, 3, "2", "bob", "-1");
    assert_null(rec_value(r, 3, NULL)); /* past the last column */
    EXPECT_END(r);
    assert_string_equal(rec_error(r), "");
    rec_close(r);

    /* The committed sample: quoting, a multi-line field, UTF-8, a null. */
    r = open_ok(TEST_DATA_DIR "/records/customers.csv", -1);
    EXPECT_COLUMNS(r, "customer_id", "channel", "text", "rating");
    EXPECT_ROW(r, 2, "1001", "email", "Refund took three weeks, still waiting", "1");
    EXPECT_ROW(r, 3, "1002", "chat", "Agent said \"no problem\" and fixed it", "5");
    EXPECT_ROW(r, 4, "1003", "phone", "Line one\nline two", "3");
    EXPECT_ROW(r, 6, "1004", "email", "Tr\xc3\xa8s bien \xe2\x80\x94 merci \xf0\x9f\x91\x8d", NULL);
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_quoted(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("quoted.csv",
                               "id,text,n\n"                   /* 1 */
                               "1,\"hello, world\",3\n"        /* 2 */
                               "2,\"multi\nline\ntext\",4\n"   /* 3-5 */
                               "3,\"say \"\"hi\"\"\",5\n"      /* 6 */
                               "4,\"\",\n"                     /* 7 */
                               "5,plain,\"x\"\"y\"\n"          /* 8 */
                               "\"6\",\"a\r\nb\",\"\"\"\"\n"   /* 9-10 */
                               "7,\",\",\"\n\n\"\n"            /* 11-13 */
                               "8,last,end"),                  /* 14, no newline */
                            -1);
    EXPECT_ROW(r, 2, "1", "hello, world", "3");
    EXPECT_ROW(r, 3, "2", "multi\nline\ntext", "4");
    EXPECT_ROW(r, 6, "3", "say \"hi\"", "5");
    /* A quoted empty field is an empty string; an unquoted one is null. */
    EXPECT_ROW(r, 7, "4", "", NULL);
    size_t n;
    const rec_field *f = rec_fields(r, &n);
    assert_int_equal(n, 3);
    assert_false(f[1].is_null);
    assert_true(f[2].is_null);
    assert_string_equal(f[2].value, "");
    assert_int_equal(f[2].value_len, 0);
    EXPECT_ROW(r, 8, "5", "plain", "x\"y");
    EXPECT_ROW(r, 9, "6", "a\r\nb", "\"");
    EXPECT_ROW(r, 11, "7", ",", "\n\n");
    EXPECT_ROW(r, 14, "8", "last", "end");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_crlf(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("crlf.csv", "id,text\r\n1,a\r\n2,\"b\"\r\n3,\r\n\r\n4,d\r\n5,e\r"), -1);
    EXPECT_COLUMNS(r, "id", "text");
    EXPECT_ROW(r, 2, "1", "a");
    EXPECT_ROW(r, 3, "2", "b");
    EXPECT_ROW(r, 4, "3", NULL);
    EXPECT_ROW(r, 6, "4", "d");
    EXPECT_ROW(r, 7, "5", "e"); /* a last CR without LF is a line end too */
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_bom_and_blank_lines(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("bom.csv", "\xEF\xBB\xBFid,name\n1,x\n"), -1);
    EXPECT_COLUMNS(r, "id", "name");
    EXPECT_ROW(r, 2, "1", "x");
    EXPECT_END(r);
    rec_close(r);

    /* Blank lines before the header, between and after records. */
    r = open_ok(MK("blank.csv", "\n\r\nid,b\n\n1,2\n\n\n3,4\n\n"), -1);
    EXPECT_COLUMNS(r, "id", "b");
    EXPECT_ROW(r, 5, "1", "2");
    EXPECT_ROW(r, 8, "3", "4");
    EXPECT_END(r);
    rec_close(r);

    /* A one-column file: an empty line is blank, "" is an empty value. */
    r = open_ok(MK("onecol.csv", "text\nx\n\n\"\"\ny"), -1);
    EXPECT_ROW(r, 2, "x");
    EXPECT_ROW(r, 4, "");
    EXPECT_ROW(r, 5, "y");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_field_count(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("count.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n,,\n13\n"), -1);
    EXPECT_ROW(r, 2, "1", "2", "3");
    EXPECT_BAD(r, 3, "expected 3 fields, found 2");
    EXPECT_BAD(r, 4, "expected 3 fields, found 4");
    EXPECT_ROW(r, 5, "10", "11", "12");
    EXPECT_ROW(r, 6, NULL, NULL, NULL);
    EXPECT_BAD(r, 7, "expected 3 fields, found 1");
    EXPECT_END(r);
    rec_close(r);

    /* Many more fields than columns are counted, not stored. */
    char big[20000];
    size_t n = (size_t)snprintf(big, sizeof big, "a,b\n");
    for (int i = 0; i < 5000; i++)
        big[n++] = ',';
    memcpy(big + n, "\n1,2\n", 5);
    n += 5;
    r = open_ok(mk("wide.csv", big, n), -1);
    EXPECT_BAD(r, 2, "expected 2 fields, found 5001");
    EXPECT_ROW(r, 3, "1", "2");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_stray_quotes(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("stray.csv",
                               "a,b\n"                           /* 1 */
                               "1,x\"y\n"                        /* 2 stray quote */
                               "2,\"ok\"z\n"                     /* 3 garbage after quote */
                               "3,\"q\"\n"                       /* 4 */
                               "4,\"p\"junk,\"multi\nline\"\n"   /* 5-6 */
                               "5,end\n"                         /* 7 */
                               "6,\"a\" \n"                      /* 8 */
                               "7,\"b\"\r\n"                     /* 9 */
                               "8,\"c\"\rx\n"                    /* 10 */
                               "9,z\n"),                         /* 11 */
                            -1);
    EXPECT_BAD(r, 2, "stray quote in an unquoted field in column 'b'");
    EXPECT_BAD(r, 3, "after a closing quote in column 'b'");
    EXPECT_ROW(r, 4, "3", "q");
    EXPECT_BAD(r, 5, "after a closing quote in column 'b'");
    EXPECT_ROW(r, 7, "5", "end");
    EXPECT_BAD(r, 8, "after a closing quote");
    EXPECT_ROW(r, 9, "7", "b");
    EXPECT_BAD(r, 10, "after a closing quote");
    EXPECT_ROW(r, 11, "9", "z");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_unterminated_quote(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("unterminated.csv", "a,b\n1,2\n3,\"open\nmore\n4,5\n"), -1);
    EXPECT_ROW(r, 2, "1", "2");
    EXPECT_BAD(r, 3, "unterminated quoted field (the quote opened on line 3)");
    EXPECT_END(r);
    rec_close(r);

    /* The quote may open on a later line of the record. */
    r = open_ok(MK("unterminated2.csv", "a,b,c\n\"x\ny\",\"open\n"), -1);
    EXPECT_BAD(r, 2, "quote opened on line 3");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_invalid_utf8(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("utf8.csv",
                               "id,text\n"
                               "1,caf\xc3\xa9\n"                 /* 2 good */
                               "2,bad\xff" "x\n"                 /* 3 */
                               "3,\xc3\n"                        /* 4 truncated sequence */
                               "4,ok\n"                          /* 5 */
                               "5,\xed\xa0\x80\n"                /* 6 encoded surrogate */
                               "6,\xc0\xaf\n"                    /* 7 overlong */
                               "\xfe,x\n"                        /* 8 in the first column */
                               "7,\"quoted \xf4\x90\x80\x80\"\n" /* 9 above U+10FFFF */
                               "8,\xf0\x9f\x98\x80\n"),          /* 10 good emoji */
                            -1);
    EXPECT_ROW(r, 2, "1", "caf\xc3\xa9");
    EXPECT_BAD(r, 3, "invalid UTF-8 in column 'text'");
    EXPECT_BAD(r, 4, "invalid UTF-8 in column 'text'");
    EXPECT_ROW(r, 5, "4", "ok");
    EXPECT_BAD(r, 6, "invalid UTF-8 in column 'text'");
    EXPECT_BAD(r, 7, "invalid UTF-8 in column 'text'");
    EXPECT_BAD(r, 8, "invalid UTF-8 in column 'id'");
    EXPECT_BAD(r, 9, "invalid UTF-8 in column 'text'");
    EXPECT_ROW(r, 10, "8", "\xf0\x9f\x98\x80");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_empty_and_header_only(void **state)
{
    (void)state;
    const char *names[] = {"empty.csv", "empty", "empty.jsonl"};
    for (size_t i = 0; i < 3; i++) {
        rec_reader *r = open_ok(mk(names[i], "", 0), -1);
        assert_int_equal(rec_format_of(r), i == 2 ? REC_JSONL : REC_CSV);
        assert_int_equal(rec_ncolumns(r), 0);
        assert_null(rec_column(r, 0, NULL));
        EXPECT_END(r);
        rec_close(r);
    }
    /* Only blank lines, or only a BOM. */
    rec_reader *r = open_ok(MK("blank_only.csv", "\n\r\n\n"), -1);
    assert_int_equal(rec_ncolumns(r), 0);
    EXPECT_END(r);
    rec_close(r);
    r = open_ok(MK("bom_only.csv", "\xEF\xBB\xBF"), -1);
    assert_int_equal(rec_ncolumns(r), 0);
    EXPECT_END(r);
    rec_close(r);

    r = open_ok(MK("header.csv", "a,\"b,c\",d\n"), -1);
    EXPECT_COLUMNS(r, "a", "b,c", "d");
    EXPECT_END(r);
    rec_close(r);
    r = open_ok(MK("header_nonl.csv", "a,b"), -1);
    EXPECT_COLUMNS(r, "a", "b");
    EXPECT_END(r);
    rec_close(r);
}

static void test_csv_bad_header(void **state)
{
    (void)state;
    char err[256];
    assert_null(rec_open(MK("badhdr1.csv", "a,\"b\n1,2\n"), -1, err, sizeof err));
    assert_non_null(strstr(err, "header on line 1"));
    assert_non_null(strstr(err, "unterminated"));
    assert_null(rec_open(MK("badhdr2.csv", "\nid,te\xffxt\n1,2\n"), -1, err, sizeof err));
    assert_non_null(strstr(err, "header on line 2: invalid UTF-8 in the name of column 2"));
    assert_null(rec_open(MK("badhdr3.csv", "a,b\"c\n"), -1, err, sizeof err));
    assert_non_null(strstr(err, "stray quote"));

    assert_null(rec_open("/nonexistent/dir/x.csv", -1, err, sizeof err));
    assert_non_null(strstr(err, "cannot open /nonexistent/dir/x.csv"));
    assert_null(rec_open(MK("fmt.csv", "a\n"), 7, err, sizeof err));
    assert_non_null(strstr(err, "unknown record format"));
    assert_null(rec_open(NULL, -1, NULL, 0)); /* no message buffer: harmless */
    assert_null(rec_open(g_dir, -1, err, sizeof err)); /* a directory cannot be read */
    assert_non_null(strstr(err, "cannot read"));

    /* The accessors accept NULL. */
    rec_close(NULL);
    assert_int_equal(rec_next(NULL, NULL), REC_IOERR);
    assert_int_equal(rec_ncolumns(NULL), 0);
    assert_null(rec_value(NULL, 0, NULL));
}

/* ------------------------------------------------------------------- JSONL */

static void test_jsonl_values(void **state)
{
    (void)state;
    rec_reader *r = open_ok(
        MK("values.jsonl",
           "{\"s\":\"q\\\"b\\\\s\\/f\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u4E2D\\ud83d\\ude00\","
           "\"n\":-12.5e+3,\"t\":true,\"f\":false,\"z\":null,\"e\":\"\",\"raw\":\"\xc3\xbc\xf0\x9f\x98\x80\"}\n"
           "  { \"e\" : 0 , \"s\" :\"x\",\"new\":1E5 }  \r\n"
           "{}\n"
           "{\"u\":\"nul\\u0000in\",\"n\":0}"),
        -1);
    assert_int_equal(rec_format_of(r), REC_JSONL);
    assert_int_equal(rec_ncolumns(r), 0);
    EXPECT_ROW(r, 1, "q\"b\\s/f\b\f\n\r\t", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", "-12.5e+3",
               "true", "false", NULL, "", "\xc3\xbc\xf0\x9f\x98\x80");
    EXPECT_COLUMNS(r, "s", "u", "n", "t", "f", "z", "e", "raw");
    size_t n;
    const rec_field *f = rec_fields(r, &n);
    assert_int_equal(n, 8);
    assert_true(f[5].is_null);
    assert_string_equal(f[5].name, "z");
    assert_false(f[6].is_null);
    assert_int_equal(f[6].value_len, 0);

    /* Columns grow in order of first appearance; absent keys are null. */
    EXPECT_ROW(r, 2, "x", NULL, NULL, NULL, NULL, NULL, "0", NULL, "1E5");
    EXPECT_COLUMNS(r, "s", "u", "n", "t", "f", "z", "e", "raw", "new");
    EXPECT_ROW(r, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    /* \u0000 is a byte of the value: the length tells. */
    assert_int_equal(rec_next(r, NULL), REC_RECORD);
    size_t len;
    const char *v = rec_value(r, 1, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(v, "nul\0in", 6);
    assert_string_equal(rec_value(r, 2, NULL), "0");
    EXPECT_END(r);
    rec_close(r);

    /* The committed sample agrees with the CSV one. */
    r = open_ok(TEST_DATA_DIR "/records/customers.jsonl", -1);
    EXPECT_ROW(r, 1, "1001", "email", "Refund took three weeks, still waiting", "1");
    EXPECT_ROW(r, 2, "1002", "chat", "Agent said \"no problem\" and fixed it", "5");
    EXPECT_ROW(r, 3, "1003", "phone", "Line one\nline two", "3");
    EXPECT_ROW(r, 4, "1004", "email", "Tr\xc3\xa8s bien \xe2\x80\x94 merci \xf0\x9f\x91\x8d", NULL);
    EXPECT_COLUMNS(r, "customer_id", "channel", "text", "rating");
    EXPECT_END(r);
    rec_close(r);
}

static void test_jsonl_bad_lines(void **state)
{
    (void)state;
    rec_reader *r = open_ok(
        MK("bad.jsonl",
           "{\"id\":1,\"text\":\"ok\"}\n"             /* 1 */
           "[1,2]\n"                                  /* 2 */
           "{\"id\":2,\"text\":\"ok2\"}\n"            /* 3 */
           "{\"id\":3} x\n"                           /* 4 */
           "{\"id\":4,\"text\":{\"a\":1}}\n"          /* 5 */
           "{\"id\":5,\"id\":6}\n"                    /* 6 */
           "{\"id\":7,\"text\":\"\\ud83d\"}\n"        /* 7 */
           "{\"id\":8,\"text\":\"\xff\"}\n"           /* 8 */
           "{\"id\":9,\"text\":\"a\tb\"}\n"           /* 9 */
           "{\"id\":01}\n"                            /* 10 */
           "{id:1}\n"                                 /* 11 */
           "{\"id\":10,\"text\":\"unterminated}\n"    /* 12 */
           "   \t\n"                                  /* 13 blank */
           "{\"id\":11,\"text\":\"last\",\"new\":true}\n" /* 14 */
           "{\"ghost\":1,\"id\":12,\n"                /* 15 */
           "{\"id\":13,\"text\":\"\\ude00\"}\n"       /* 16 */
           "{\"id\":-}\n"                             /* 17 */
           "{\"id\":tru}\n"                           /* 18 */
           "{\"x\":1,\"id\":14}\n"                    /* 19 */
           "{\"id\":15,\"text\":[1]}\n"               /* 20 */
           "{\"id\":16,\"text\":\"\\x\"}\n"           /* 21 */
           "{\"id\":17,\"text\":\"\\u12G4\"}\n"       /* 22 */
           "{\"id\" 18}\n"                            /* 23 */
           "\"just a string\"\n"                      /* 24 */
           "{\"id\":19}{\"id\":20}\n"                 /* 25 */
           "{\"id\":1.}\n"                            /* 26 */
           "{\"a\xff\":1}\n"                          /* 27 */
           "{\"id\":21 \"text\":\"x\"}\n"             /* 28 */
           "{\"id\":22,\"text\":\"fine\"}"),          /* 29 */
        -1);
    EXPECT_ROW(r, 1, "1", "ok");
    EXPECT_BAD(r, 2, "line is not a JSON object");
    EXPECT_ROW(r, 3, "2", "ok2");
    EXPECT_BAD(r, 4, "trailing characters after the JSON object");
    EXPECT_BAD(r, 5, "nested value in 'text' not supported");
    EXPECT_BAD(r, 6, "duplicate key 'id'");
    EXPECT_BAD(r, 7, "lone surrogate \\uD83D in the value of 'text'");
    EXPECT_BAD(r, 8, "invalid UTF-8 in the value of 'text'");
    EXPECT_BAD(r, 9, "control character in the value of 'text'");
    EXPECT_BAD(r, 10, "expected ',' or '}' after the value of 'id'");
    EXPECT_BAD(r, 11, "expected a string key");
    EXPECT_BAD(r, 12, "unterminated string in the value of 'text'");
    EXPECT_ROW(r, 14, "11", "last", "true");
    EXPECT_BAD(r, 15, "unexpected end of line");
    EXPECT_BAD(r, 16, "lone surrogate \\uDE00");
    EXPECT_BAD(r, 17, "invalid number in 'id'");
    EXPECT_BAD(r, 18, "invalid value for 'id'");
    EXPECT_ROW(r, 19, "14", NULL, NULL, "1");
    EXPECT_BAD(r, 20, "nested value in 'text'");
    EXPECT_BAD(r, 21, "invalid escape in the value of 'text'");
    EXPECT_BAD(r, 22, "invalid \\u escape");
    EXPECT_BAD(r, 23, "expected ':' after the key 'id'");
    EXPECT_BAD(r, 24, "line is not a JSON object");
    EXPECT_BAD(r, 25, "trailing characters");
    EXPECT_BAD(r, 26, "invalid number in 'id'");
    EXPECT_BAD(r, 27, "invalid UTF-8 in a key");
    EXPECT_BAD(r, 28, "expected ',' or '}' after the value of 'id'");
    EXPECT_ROW(r, 29, "22", "fine", NULL, NULL);
    EXPECT_END(r);
    /* Keys seen only in bad lines ("ghost", "a\xff") are not columns. */
    EXPECT_COLUMNS(r, "id", "text", "new", "x");
    rec_close(r);
}

static void test_jsonl_crlf_bom_blank(void **state)
{
    (void)state;
    rec_reader *r = open_ok(MK("crlf.ndjson", "\xEF\xBB\xBF{\"a\":\"x\"}\r\n\r\n \n{\"a\":2}\r\n\n"), -1);
    assert_int_equal(rec_format_of(r), REC_JSONL);
    EXPECT_ROW(r, 1, "x");
    EXPECT_ROW(r, 4, "2");
    EXPECT_END(r);
    rec_close(r);
}

/* -------------------------------------------------------------------- gzip */

static const char gz_csv[] = "id,text\n1,\"one\ntwo\"\n2,b\n3,c\n";

static void test_gzip(void **state)
{
    (void)state;
    size_t n;
    unsigned char *z = gz(gz_csv, sizeof gz_csv - 1, &n);
    /* The name says nothing: gzip is found by its magic bytes. */
    rec_reader *r = open_ok(mk("gz_no_suffix.csv", z, n), -1);
    assert_int_equal(rec_format_of(r), REC_CSV);
    EXPECT_ROW(r, 2, "1", "one\ntwo");
    EXPECT_ROW(r, 4, "2", "b");
    EXPECT_ROW(r, 5, "3", "c");
    EXPECT_END(r);
    unsigned long long done, total;
    rec_progress(r, &done, &total);
    assert_int_equal(total, n);
    assert_int_equal(done, n);
    rec_close(r);
    free(z);

    /* JSONL inside gzip, recognised by content behind the compression. */
    static const char js[] = "\n{\"k\":\"v\\u00e9\"}\n{\"k\":null}\n";
    z = gz(js, sizeof js - 1, &n);
    r = open_ok(mk("data.gz", z, n), -1);
    assert_int_equal(rec_format_of(r), REC_JSONL);
    EXPECT_ROW(r, 2, "v\xc3\xa9");
    EXPECT_ROW(r, 3, NULL);
    EXPECT_END(r);
    rec_close(r);
    free(z);

    /* gzip of nothing */
    z = gz("", 0, &n);
    r = open_ok(mk("nothing.csv.gz", z, n), -1);
    assert_int_equal(rec_ncolumns(r), 0);
    EXPECT_END(r);
    rec_close(r);
    free(z);
}

static void test_gzip_concatenated(void **state)
{
    (void)state;
    static const char a[] = "id,text\n1,a\n2,\"multi";
    static const char b[] = "\nline\"\n3,c\n";
    static const char c[] = "4,d\n";
    size_t na, nb, nc;
    unsigned char *za = gz(a, sizeof a - 1, &na), *zb = gz(b, sizeof b - 1, &nb);
    unsigned char *zc = gz(c, sizeof c - 1, &nc);
    unsigned char *all = malloc(na + nb + nc);
    assert_non_null(all);
    memcpy(all, za, na);
    memcpy(all + na, zb, nb);
    memcpy(all + na + nb, zc, nc);
    rec_reader *r = open_ok(mk("concat.csv.gz", all, na + nb + nc), -1);
    EXPECT_ROW(r, 2, "1", "a");
    EXPECT_ROW(r, 3, "2", "multi\nline");
    EXPECT_ROW(r, 5, "3", "c");
    EXPECT_ROW(r, 6, "4", "d");
    EXPECT_END(r);
    rec_close(r);

    /* Garbage after a complete member is corruption, not silently ignored. */
    memcpy(all + na, "garbage!", 8);
    r = open_ok(mk("concat_garbage.csv.gz", all, na + 8), -1);
    EXPECT_ROW(r, 2, "1", "a");
    assert_int_equal(rec_next(r, NULL), REC_IOERR);
    assert_non_null(strstr(rec_error(r), "gzip data corrupt or truncated at byte"));
    rec_close(r);
    free(za);
    free(zb);
    free(zc);
    free(all);
}

/* "id,text\n" then rows i,row<i> */
static char *numbered_csv(int rows, size_t *len)
{
    size_t cap = 16 + (size_t)rows * 32;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap, "id,text\n");
    for (int i = 1; i <= rows; i++)
        n += (size_t)snprintf(s + n, cap - n, "%d,row %d %d\n", i, i, (i * 7919) % 1000);
    *len = n;
    return s;
}

static void test_gzip_truncated(void **state)
{
    (void)state;
    const int rows = 5000;
    size_t n, zn;
    char *csv = numbered_csv(rows, &n);
    unsigned char *z = gz(csv, n, &zn);
    char want_id[32], want_text[64];

    /* Without its 8-byte trailer every record is there, then the error. */
    rec_reader *r = open_ok(mk("trailer.csv.gz", z, zn - 8), -1);
    int i;
    for (i = 1; i <= rows; i++) {
        snprintf(want_id, sizeof want_id, "%d", i);
        snprintf(want_text, sizeof want_text, "row %d %d", i, (i * 7919) % 1000);
        EXPECT_ROW(r, (unsigned long long)i + 1, want_id, want_text);
    }
    assert_int_equal(rec_next(r, NULL), REC_IOERR);
    char msg[128];
    snprintf(msg, sizeof msg, "gzip data corrupt or truncated at byte %zu", zn - 8);
    assert_string_equal(rec_error(r), msg);
    assert_int_equal(rec_next(r, NULL), REC_IOERR); /* and it stays so */
    assert_null(rec_value(r, 0, NULL));
    rec_close(r);

    /* Cut in the middle: a prefix of the records, each whole, then -2. */
    r = open_ok(mk("half.csv.gz", z, zn / 2), -1);
    unsigned long long line;
    int rc;
    for (i = 1;; i++) {
        rc = rec_next(r, &line);
        if (rc != REC_RECORD)
            break;
        snprintf(want_id, sizeof want_id, "%d", i);
        snprintf(want_text, sizeof want_text, "row %d %d", i, (i * 7919) % 1000);
        assert_int_equal(line, i + 1);
        assert_string_equal(rec_value(r, 0, NULL), want_id);
        assert_string_equal(rec_value(r, 1, NULL), want_text);
    }
    assert_int_equal(rc, REC_IOERR);
    assert_true(i > 100 && i < rows);
    snprintf(msg, sizeof msg, "gzip data corrupt or truncated at byte %zu", zn / 2);
    assert_string_equal(rec_error(r), msg);
    rec_close(r);

    /* Corrupt bytes in the middle. */
    for (size_t k = zn / 2; k < zn / 2 + 16; k++)
        z[k] ^= 0x5a;
    r = open_ok(mk("corrupt.csv.gz", z, zn), -1);
    while ((rc = rec_next(r, NULL)) == REC_RECORD || rc == REC_BAD)
        ;
    assert_int_equal(rc, REC_IOERR);
    assert_non_null(strstr(rec_error(r), "gzip data corrupt or truncated at byte"));
    rec_close(r);

    /* Truncated inside the gzip header: the open itself fails. */
    char err[256];
    assert_null(rec_open(mk("hdr.csv.gz", z, 5), -1, err, sizeof err));
    assert_non_null(strstr(err, "gzip data corrupt or truncated at byte 5"));
    free(z);
    free(csv);
}

/* ----------------------------------------------------------- autodetection */

static void test_autodetect(void **state)
{
    (void)state;
    static const struct {
        const char *name, *data;
        int format, want;
    } cases[] = {
        {"a.csv", "x,y\n1,2\n", -1, REC_CSV},
        {"A.CSV", "x,y\n1,2\n", -1, REC_CSV},
        {"a.jsonl", "{\"x\":1,\"y\":2}\n", -1, REC_JSONL},
        {"a.ndjson", "{\"x\":1,\"y\":2}\n", -1, REC_JSONL},
        {"a.JSON", "{\"x\":1,\"y\":2}\n", -1, REC_JSONL},
        {"a.txt", "{\"x\":1,\"y\":2}\n", -1, REC_JSONL},
        {"a.txt2", "\xEF\xBB\xBF\n \r\n\t{\"x\":1,\"y\":2}\n", -1, REC_JSONL},
        {"a.dat", "x,y\n1,2\n", -1, REC_CSV},
        {"noext", "\n\nx,y\n1,2\n", -1, REC_CSV},
        {"forced.jsonl", "x,y\n1,2\n", REC_CSV, REC_CSV},   /* the caller decides */
        {"forced.csv", "{\"x\":1,\"y\":2}", REC_JSONL, REC_JSONL},
        {"a.csv.txt", "{\"x\":1,\"y\":2}", -1, REC_JSONL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rec_reader *r = open_ok(mk(cases[i].name, cases[i].data, strlen(cases[i].data)),
                                cases[i].format);
        if (rec_format_of(r) != cases[i].want)
            fail_msg("%s: format %d, want %d", cases[i].name, rec_format_of(r), cases[i].want);
        assert_int_equal(rec_next(r, NULL), REC_RECORD);
        assert_string_equal(rec_value(r, 0, NULL), "1");
        assert_string_equal(rec_value(r, 1, NULL), "2");
        EXPECT_COLUMNS(r, "x", "y");
        EXPECT_END(r);
        rec_close(r);
    }
    /* The extension is looked at behind ".gz", the content behind gzip. */
    static const char js[] = "{\"x\":1,\"y\":2}\n";
    size_t n;
    unsigned char *z = gz(js, sizeof js - 1, &n);
    const char *gznames[] = {"j.jsonl.gz", "j.GZ", "j.bin"};
    for (size_t i = 0; i < 3; i++) {
        rec_reader *r = open_ok(mk(gznames[i], z, n), -1);
        assert_int_equal(rec_format_of(r), REC_JSONL);
        EXPECT_ROW(r, 1, "1", "2");
        EXPECT_END(r);
        rec_close(r);
    }
    free(z);
}

static void test_stdin(void **state)
{
    (void)state;
    /* "-" reads standard input, where only the content tells the format. */
    const char *p = MK("stdin.csv", "{\"a\":\"from stdin\"}\n");
    assert_non_null(freopen(p, "rb", stdin));
    rec_reader *r = open_ok("-", -1);
    assert_int_equal(rec_format_of(r), REC_JSONL);
    EXPECT_ROW(r, 1, "from stdin");
    EXPECT_END(r);
    rec_close(r);
}

/* ------------------------------------------------------------------ limits */

static size_t put(char *dst, const char *text)
{
    size_t k = strlen(text);
    memcpy(dst, text, k);
    return k;
}

static void test_record_over_limit(void **state)
{
    (void)state;
    const size_t big = REC_MAX_RECORD + 1000;
    char *s = malloc(2 * big + 200);
    assert_non_null(s);

    /* CSV, unquoted */
    size_t n = put(s, "id,text\n1,a\n2,");
    memset(s + n, 'x', big);
    n += big;
    n += put(s + n, "\n3,c\n");
    rec_reader *r = open_ok(mk("long.csv", s, n), -1);
    EXPECT_ROW(r, 2, "1", "a");
    EXPECT_BAD(r, 3, "record longer than 16777216 bytes");
    EXPECT_ROW(r, 4, "3", "c");
    EXPECT_END(r);
    rec_close(r);

    /* CSV, quoted, with newlines (counted) and quotes inside. */
    n = put(s, "id,text\n1,a\n2,\"");
    for (size_t i = 0; i < big; i++)
        s[n + i] = i % 1000 == 999 ? '\n' : i % 1000 == 500 || i % 1000 == 501 ? '"' : 'y';
    n += big;
    n += put(s + n, "\"\n3,c\n");
    r = open_ok(mk("long_quoted.csv", s, n), -1);
    EXPECT_ROW(r, 2, "1", "a");
    EXPECT_BAD(r, 3, "record longer than");
    EXPECT_ROW(r, 3 + big / 1000 + 1, "3", "c");
    EXPECT_END(r);
    rec_close(r);

    /* Just under the limit is fine. */
    n = put(s, "id,text\n1,");
    memset(s + n, 'z', REC_MAX_RECORD - 10);
    n += REC_MAX_RECORD - 10;
    n += put(s + n, "\n2,b\n");
    r = open_ok(mk("under.csv", s, n), -1);
    assert_int_equal(rec_next(r, NULL), REC_RECORD);
    size_t len;
    assert_non_null(rec_value(r, 1, &len));
    assert_int_equal(len, REC_MAX_RECORD - 10);
    EXPECT_ROW(r, 3, "2", "b");
    EXPECT_END(r);
    rec_close(r);

    /* JSONL */
    n = put(s, "{\"id\":1}\n{\"id\":2,\"text\":\"");
    memset(s + n, 'x', big);
    n += big;
    n += put(s + n, "\"}\n{\"id\":3}\n{\"id\":4,\"t\":\"");
    memset(s + n, 'w', big); /* the last line, over the limit, without newline */
    n += big;
    r = open_ok(mk("long.jsonl", s, n), -1);
    EXPECT_ROW(r, 1, "1");
    EXPECT_BAD(r, 2, "record longer than 16777216 bytes");
    EXPECT_ROW(r, 3, "3");
    EXPECT_BAD(r, 4, "record longer than");
    EXPECT_END(r);
    EXPECT_COLUMNS(r, "id");
    rec_close(r);
    free(s);
}

/* ----------------------------------------- many blocks: boundaries anywhere */

static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 32);
}

typedef struct gen_row {
    char *text;   /* expected value; NULL = absent */
    unsigned long long line;
} gen_row;

static void test_many_blocks_csv(void **state)
{
    (void)state;
    enum { ROWS = 40000 };
    static const char *const pieces[] = {"abc", ",", "\"", "\n", "\xc3\xa9", "\xf0\x9f\x98\x80",
                                         " ", "hello world", "1234567890", "x"};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    gen_row *rows = calloc(ROWS, sizeof *rows);
    size_t cap = 1 << 20, n = 0;
    char *csv = malloc(cap);
    assert_non_null(rows);
    assert_non_null(csv);
    n += (size_t)sprintf(csv, "id,text,n\r\n");
    unsigned long long line = 2;
    char *text = malloc(700000);
    assert_non_null(text);
    for (int i = 0; i < ROWS; i++) {
        size_t tl = 0;
        size_t want = i % 4999 == 17 ? 300000 + rnd(&seed) % 300000 : rnd(&seed) % 24;
        size_t newlines = 0;
        while (tl < want) {
            const char *pc = pieces[rnd(&seed) % 10];
            size_t pl = strlen(pc);
            memcpy(text + tl, pc, pl);
            tl += pl;
            newlines += pc[0] == '\n';
        }
        text[tl] = '\0';
        int quote = strpbrk(text, ",\"\n") != NULL || rnd(&seed) % 4 == 0;
        rows[i].text = tl || quote ? strdup(text) : NULL;
        rows[i].line = line;
        if (n + 2 * tl + 64 > cap) {
            while (n + 2 * tl + 64 > cap)
                cap *= 2;
            csv = realloc(csv, cap);
            assert_non_null(csv);
        }
        n += (size_t)sprintf(csv + n, "%d,", i);
        if (quote) {
            csv[n++] = '"';
            for (size_t k = 0; k < tl; k++) {
                if (text[k] == '"')
                    csv[n++] = '"';
                csv[n++] = text[k];
            }
            csv[n++] = '"';
        } else {
            memcpy(csv + n, text, tl);
            n += tl;
        }
        n += (size_t)sprintf(csv + n, ",%u", rnd(&seed) % 100);
        if (i < ROWS - 1) {
            const char *eol = rnd(&seed) % 2 ? "\r\n" : "\n";
            memcpy(csv + n, eol, strlen(eol));
            n += strlen(eol);
            if (rnd(&seed) % 50 == 0) { /* a blank line now and then */
                csv[n++] = '\n';
                line++;
            }
        }
        line += 1 + newlines;
    }
    assert_true(n > 8 * REC_BLOCK_SIZE);

    size_t zn;
    unsigned char *z = gz(csv, n, &zn);
    for (int pass = 0; pass < 2; pass++) {
        rec_reader *r = pass ? open_ok(mk("many.csv.gz", z, zn), -1)
                             : open_ok(mk("many.csv", csv, n), -1);
        for (int i = 0; i < ROWS; i++) {
            unsigned long long got;
            int rc = rec_next(r, &got);
            if (rc != REC_RECORD)
                fail_msg("pass %d row %d: rc %d: %s", pass, i, rc, rec_error(r));
            if (got != rows[i].line)
                fail_msg("pass %d row %d: line %llu, want %llu", pass, i, got, rows[i].line);
            char id[16];
            snprintf(id, sizeof id, "%d", i);
            assert_string_equal(rec_value(r, 0, NULL), id);
            size_t len;
            const char *v = rec_value(r, 1, &len);
            if (!rows[i].text) {
                assert_null(v);
            } else {
                assert_non_null(v);
                if (len != strlen(rows[i].text) || memcmp(v, rows[i].text, len) != 0)
                    fail_msg("pass %d row %d: text differs (len %zu vs %zu)", pass, i, len,
                             strlen(rows[i].text));
            }
            assert_non_null(rec_value(r, 2, NULL));
        }
        EXPECT_END(r);
        unsigned long long done, total;
        rec_progress(r, &done, &total);
        assert_int_equal(total, pass ? zn : n);
        assert_int_equal(done, total);
        rec_close(r);
    }
    for (int i = 0; i < ROWS; i++)
        free(rows[i].text);
    free(rows);
    free(text);
    free(csv);
    free(z);
}

static void test_many_blocks_jsonl(void **state)
{
    (void)state;
    enum { ROWS = 20000 };
    /* escaped form, decoded form */
    static const char *const pieces[][2] = {
        {"abc", "abc"},           {"\\n", "\n"},
        {"\\\"", "\""},           {"\\u00e9", "\xc3\xa9"},
        {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"}, {"\xe4\xb8\xad", "\xe4\xb8\xad"},
        {"\\\\", "\\"},           {" ", " "},
        {"\\t", "\t"},            {"xyz", "xyz"},
    };
    uint64_t seed = 12345;
    char **want = calloc(ROWS, sizeof *want);
    size_t cap = 1 << 20, n = 0;
    char *js = malloc(cap);
    assert_non_null(want);
    assert_non_null(js);
    char *dec = malloc(1 << 20);
    assert_non_null(dec);
    for (int i = 0; i < ROWS; i++) {
        size_t target = i % 3001 == 5 ? 200000 + rnd(&seed) % 400000 : rnd(&seed) % 40;
        if (n + 4 * target + 200 > cap) {
            while (n + 4 * target + 200 > cap)
                cap *= 2;
            js = realloc(js, cap);
            assert_non_null(js);
        }
        n += (size_t)sprintf(js + n, "{\"id\":%d,\"text\":\"", i);
        size_t dl = 0;
        while (dl < target) {
            unsigned k = rnd(&seed) % 10;
            size_t el = strlen(pieces[k][0]), l = strlen(pieces[k][1]);
            memcpy(js + n, pieces[k][0], el);
            n += el;
            memcpy(dec + dl, pieces[k][1], l);
            dl += l;
        }
        dec[dl] = '\0';
        want[i] = strdup(dec);
        n += (size_t)sprintf(js + n, "\",\"ok\":%s}%s", i % 2 ? "true" : "false",
                             i % 3 ? "\n" : "\r\n");
    }
    assert_true(n > 8 * REC_BLOCK_SIZE);
    size_t zn;
    unsigned char *z = gz(js, n, &zn);
    for (int pass = 0; pass < 2; pass++) {
        rec_reader *r = pass ? open_ok(mk("many.jsonl.gz", z, zn), -1)
                             : open_ok(mk("many.jsonl", js, n), -1);
        for (int i = 0; i < ROWS; i++) {
            unsigned long long got;
            int rc = rec_next(r, &got);
            if (rc != REC_RECORD)
                fail_msg("pass %d row %d: rc %d: %s", pass, i, rc, rec_error(r));
            assert_int_equal(got, (unsigned long long)i + 1);
            char id[16];
            snprintf(id, sizeof id, "%d", i);
            assert_string_equal(rec_value(r, 0, NULL), id);
            size_t len;
            const char *v = rec_value(r, 1, &len);
            assert_non_null(v);
            if (len != strlen(want[i]) || memcmp(v, want[i], len) != 0)
                fail_msg("pass %d row %d: text differs", pass, i);
            assert_string_equal(rec_value(r, 2, NULL), i % 2 ? "true" : "false");
        }
        EXPECT_END(r);
        EXPECT_COLUMNS(r, "id", "text", "ok");
        rec_close(r);
    }
    for (int i = 0; i < ROWS; i++)
        free(want[i]);
    free(want);
    free(js);
    free(dec);
    free(z);
}

static void test_progress(void **state)
{
    (void)state;
    size_t n;
    char *csv = numbered_csv(100000, &n);
    rec_reader *r = open_ok(mk("progress.csv", csv, n), -1);
    unsigned long long done, total, last = 0;
    rec_progress(r, &done, &total);
    assert_int_equal(total, n);
    assert_true(done < total);
    while (rec_next(r, NULL) == REC_RECORD) {
        rec_progress(r, &done, NULL);
        assert_true(done >= last && done <= total);
        last = done;
    }
    rec_progress(r, &done, &total);
    assert_int_equal(done, n);
    rec_close(r);
    free(csv);

    /* A pipe has no known size. */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    assert_int_equal(write(fd[1], "a\n1\n", 4), 4);
    close(fd[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd[0]);
    r = open_ok(path, -1);
    EXPECT_ROW(r, 2, "1");
    EXPECT_END(r);
    rec_progress(r, &done, &total);
    assert_int_equal(total, 0);
    assert_int_equal(done, 4);
    rec_close(r);
    close(fd[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_plain),
        cmocka_unit_test(test_csv_quoted),
        cmocka_unit_test(test_csv_crlf),
        cmocka_unit_test(test_csv_bom_and_blank_lines),
        cmocka_unit_test(test_csv_field_count),
        cmocka_unit_test(test_csv_stray_quotes),
        cmocka_unit_test(test_csv_unterminated_quote),
        cmocka_unit_test(test_csv_invalid_utf8),
        cmocka_unit_test(test_csv_empty_and_header_only),
        cmocka_unit_test(test_csv_bad_header),
        cmocka_unit_test(test_jsonl_values),
        cmocka_unit_test(test_jsonl_bad_lines),
        cmocka_unit_test(test_jsonl_crlf_bom_blank),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_gzip_concatenated),
        cmocka_unit_test(test_gzip_truncated),
        cmocka_unit_test(test_autodetect),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_record_over_limit),
        cmocka_unit_test(test_many_blocks_csv),
        cmocka_unit_test(test_many_blocks_jsonl),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests_name("records", tests, suite_setup, suite_teardown);
}
