/* SPDX-License-Identifier: MIT */
/* Version, status strings, allocator and memory, diagnostics, UTF-8 checks. */
#include <stdio.h>

#include "testutil.h"

#include "../src/common/alloc-priv.h"

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(ci_version_number(), CI_VERSION_NUMBER);
    assert_string_equal(ci_version_string(), CI_VERSION_STRING);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", CI_VERSION_MAJOR, CI_VERSION_MINOR, CI_VERSION_PATCH);
    assert_string_equal(buf, CI_VERSION_STRING);
}

static void test_status_strings(void **state)
{
    (void)state;
    /* Every code has its own message, and unknown codes do not crash. */
    const ci_status codes[] = {
        CI_OK, CI_DONE, CI_MORE, CI_ERR_NOMEM, CI_ERR_INVALID, CI_ERR_STRUCT_SIZE,
        CI_ERR_STATE, CI_ERR_RANGE, CI_ERR_NONFINITE, CI_ERR_UTF8, CI_ERR_MISSING,
        CI_ERR_LIMIT, CI_ERR_IO, CI_ERR_FORMAT, CI_ERR_VERSION, CI_ERR_CHECKSUM,
        CI_ERR_NOT_FOUND, CI_ERR_UNSUPPORTED,
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = ci_status_string(codes[i]);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown status");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, ci_status_string(codes[j]));
    }
    assert_string_equal(ci_status_string((ci_status)12345), "unknown status");
    assert_string_equal(ci_status_string(CI_ERR_NOMEM), "out of memory");
}

static void test_status_values_fixed(void **state)
{
    (void)state;
    /* These numbers are ABI: a change here breaks every compiled host. */
    assert_int_equal(CI_OK, 0);
    assert_int_equal(CI_DONE, 1);
    assert_int_equal(CI_MORE, 2);
    assert_int_equal(CI_ERR_NOMEM, -1);
    assert_int_equal(CI_ERR_INVALID, -2);
    assert_int_equal(CI_ERR_STRUCT_SIZE, -3);
    assert_int_equal(CI_ERR_STATE, -4);
    assert_int_equal(CI_ERR_RANGE, -5);
    assert_int_equal(CI_ERR_NONFINITE, -6);
    assert_int_equal(CI_ERR_UTF8, -7);
    assert_int_equal(CI_ERR_MISSING, -8);
    assert_int_equal(CI_ERR_LIMIT, -9);
    assert_int_equal(CI_ERR_IO, -10);
    assert_int_equal(CI_ERR_FORMAT, -11);
    assert_int_equal(CI_ERR_VERSION, -12);
    assert_int_equal(CI_ERR_CHECKSUM, -13);
    assert_int_equal(CI_ERR_NOT_FOUND, -14);
    assert_int_equal(CI_ERR_UNSUPPORTED, -15);
}

static void test_allocator_init_and_resolve(void **state)
{
    (void)state;
    ci_allocator a;
    memset(&a, 0xAB, sizeof a);
    ci_allocator_init(&a);
    assert_int_equal(a.struct_size, sizeof a);
    assert_non_null(a.malloc_fn);
    assert_non_null(a.realloc_fn);
    assert_non_null(a.free_fn);
    assert_null(a.user_data);
    ci_allocator_init(NULL); /* harmless */

    ci_alloc r;
    assert_int_equal(ci_alloc_resolve(NULL, &r), CI_OK);
    assert_int_equal(ci_alloc_resolve(&a, &r), CI_OK);
    ci_allocator bad = a;
    bad.struct_size = 0;
    assert_int_equal(ci_alloc_resolve(&bad, &r), CI_ERR_STRUCT_SIZE);
    bad = a;
    bad.free_fn = NULL;
    assert_int_equal(ci_alloc_resolve(&bad, &r), CI_ERR_INVALID);
}

static void test_ci_free_uses_producing_allocator(void **state)
{
    (void)state;
    test_alloc t = {0};
    ci_allocator a = ta_allocator(&t);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(ci_normalize("ÉCOLE", strlen("ÉCOLE"), &a, &out, &len), CI_OK);
    assert_string_equal(out, "école");
    assert_int_equal(len, strlen("école"));
    assert_true(t.live >= 1);
    ci_free(out); /* no allocator argument: the block remembers it */
    assert_int_equal(t.live, 0);
    ci_free(NULL);
}

static void test_grow_overflow(void **state)
{
    (void)state;
    ci_alloc a;
    ci_alloc_resolve(NULL, &a);
    void *buf = NULL;
    size_t cap = 0;
    assert_int_equal(ci_grow(&a, &buf, &cap, SIZE_MAX / 2, 8), CI_ERR_NOMEM);
    assert_null(buf);
    assert_int_equal(cap, 0);
    assert_int_equal(ci_grow(&a, &buf, &cap, 10, 8), CI_OK);
    assert_true(cap >= 10);
    ci_dealloc(&a, buf);
    assert_null(ci_calloc(&a, SIZE_MAX / 4, 8));
}

static void test_diag(void **state)
{
    (void)state;
    ci_diag d;
    memset(&d, 0x55, sizeof d);
    ci_diag_init(&d);
    assert_int_equal(d.struct_size, sizeof d);
    assert_int_equal(d.status, CI_OK);
    assert_int_equal(d.field, -1);
    assert_int_equal(d.index, -1);
    assert_string_equal(d.message, "");
    ci_diag_init(NULL);
}

static void test_utf8_validate(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_int_equal(ci_utf8_validate("", 0, &bad), CI_OK);
    assert_int_equal(ci_utf8_validate(NULL, 0, &bad), CI_OK);
    assert_int_equal(ci_utf8_validate(NULL, 1, &bad), CI_ERR_INVALID);
    assert_int_equal(ci_utf8_validate("héllo \xF0\x9F\x98\x80", 11, &bad), CI_OK);
    assert_int_equal(ci_utf8_validate("a\0b", 3, &bad), CI_OK); /* NUL is valid UTF-8 */
    static const struct { const char *s; size_t len, off; } cases[] = {
        {"ab\x80", 3, 2},                 /* stray continuation */
        {"\xC0\xAF", 2, 0},               /* overlong '/' */
        {"x\xE0\x80\xAF", 4, 1},          /* overlong 3-byte */
        {"\xED\xA0\x80", 3, 0},           /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4, 0},       /* above U+10FFFF */
        {"ok\xE2\x82", 4, 2},             /* truncated */
        {"\xFF", 1, 0},
        {"abc\xF8\x88\x80\x80\x80", 8, 3},/* 5-byte form */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = 99;
        assert_int_equal(ci_utf8_validate(cases[i].s, cases[i].len, &bad), CI_ERR_UTF8);
        assert_int_equal(bad, cases[i].off);
    }
    assert_int_equal(ci_utf8_validate("\xFF", 1, NULL), CI_ERR_UTF8);
}

static void test_normalize(void **state)
{
    (void)state;
    char *out;
    size_t len;
    assert_int_equal(ci_normalize("Straße ＦＵＬＬ ﬁ", strlen("Straße ＦＵＬＬ ﬁ"), NULL, &out, &len), CI_OK);
    assert_string_equal(out, "strasse full fi");
    ci_free(out);
    /* invalid bytes become U+FFFD instead of failing */
    assert_int_equal(ci_normalize("A\xFF" "B", 3, NULL, &out, &len), CI_OK);
    assert_string_equal(out, "a\xEF\xBF\xBD" "b");
    ci_free(out);
    assert_int_equal(ci_normalize("", 0, NULL, &out, &len), CI_OK);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    ci_free(out);
    assert_int_equal(ci_normalize("x", 1, NULL, NULL, &len), CI_ERR_INVALID);
    assert_int_equal(ci_normalize(NULL, 2, NULL, &out, &len), CI_ERR_INVALID);
    assert_null(out);
}

static void test_normalize_oom(void **state)
{
    (void)state;
    const char *s = "Ünïcödé TEXT ＡＢＣ";
    for (long n = 1; n < 20; n++) {
        test_alloc t = {.fail_at = n};
        ci_allocator a = ta_allocator(&t);
        char *out = (char *)1;
        ci_status st = ci_normalize(s, strlen(s), &a, &out, NULL);
        if (!t.failed) {
            assert_int_equal(st, CI_OK);
            ci_free(out);
            assert_int_equal(t.live, 0);
            return;
        }
        assert_int_equal(st, CI_ERR_NOMEM);
        assert_null(out);
        assert_int_equal(t.live, 0);
    }
    fail_msg("normalize never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_status_values_fixed),
        cmocka_unit_test(test_allocator_init_and_resolve),
        cmocka_unit_test(test_ci_free_uses_producing_allocator),
        cmocka_unit_test(test_grow_overflow),
        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_utf8_validate),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_oom),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
