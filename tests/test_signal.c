/* SPDX-License-Identifier: MIT */
/* ci_signal: initialisation, validation of every rule, kind names. */
#include <math.h>

#include "testutil.h"

static ci_str S(const char *s) { ci_str r = {s, strlen(s)}; return r; }

static ci_signal valid_signal(void)
{
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_TICKET;
    s.text = S("My card was charged twice");
    return s;
}

/* Validate and check status, field and (optionally) attribute index. */
static void expect(const ci_signal *s, ci_status st, int field, int64_t index)
{
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_signal_validate(s, &d), st);
    assert_int_equal(d.status, st);
    assert_int_equal(d.field, field);
    if (index >= 0)
        assert_int_equal(d.index, index);
    if (st != CI_OK)
        assert_true(strlen(d.message) > 0);
    /* and the same answer without a diag */
    assert_int_equal(ci_signal_validate(s, NULL), st);
}

static void test_init(void **state)
{
    (void)state;
    ci_signal s;
    memset(&s, 0x7F, sizeof s);
    ci_signal_init(&s);
    assert_int_equal(s.struct_size, sizeof s);
    assert_int_equal(s.kind, CI_SIGNAL_UNSPECIFIED);
    assert_true(s.timestamp == CI_TIME_NONE);
    assert_int_equal(s.has, 0);
    assert_null(s.attrs);
    assert_int_equal(s.n_attrs, 0);
    assert_null(s.text.data);
    ci_signal_init(NULL);
}

static void test_valid_full_signal(void **state)
{
    (void)state;
    ci_attr attrs[] = {{S("tier"), S("enterprise")}, {S("region"), S("EMEA")},
                       {S("plan"), S("")}, {S("produit"), S("Carte Bancaire é")}};
    ci_signal s = valid_signal();
    s.timestamp = 1700000000;
    s.customer_id = S("cust-1");
    s.account_id = S("acct-9");
    s.channel = S("email");
    s.has = CI_HAS_NPS | CI_HAS_CSAT | CI_HAS_CES | CI_HAS_RATING | CI_HAS_VALUE;
    s.nps = 10;
    s.csat = 1;
    s.ces = 7;
    s.ces_direction = CI_CES_LOWER_IS_EASIER;
    s.rating = 4.5;
    s.value = -120.5; /* a refund */
    s.attrs = attrs;
    s.n_attrs = 4;
    expect(&s, CI_OK, -1, -1);
    /* custom kinds are allowed */
    s.kind = CI_SIGNAL_CUSTOM + 7;
    expect(&s, CI_OK, -1, -1);
}

static void test_score_only_signal_is_valid(void **state)
{
    (void)state;
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_SURVEY;
    s.has = CI_HAS_NPS;
    s.nps = 0;
    expect(&s, CI_OK, -1, -1);
}

static void test_bad_struct(void **state)
{
    (void)state;
    ci_diag d;
    ci_diag_init(&d);
    assert_int_equal(ci_signal_validate(NULL, &d), CI_ERR_INVALID);
    ci_signal s = valid_signal();
    s.struct_size = 0;
    expect(&s, CI_ERR_STRUCT_SIZE, CI_FIELD_STRUCT, -1);
    s = valid_signal();
    s.has = 1u << 20;
    expect(&s, CI_ERR_INVALID, CI_FIELD_STRUCT, -1);
}

static void test_kind(void **state)
{
    (void)state;
    ci_signal s = valid_signal();
    s.kind = 0;
    expect(&s, CI_ERR_MISSING, CI_FIELD_KIND, -1);
    s.kind = 11; /* reserved, not yet defined */
    expect(&s, CI_ERR_RANGE, CI_FIELD_KIND, -1);
    s.kind = -3;
    expect(&s, CI_ERR_RANGE, CI_FIELD_KIND, -1);
}

static void test_missing_content(void **state)
{
    (void)state;
    ci_signal s;
    ci_signal_init(&s);
    s.kind = CI_SIGNAL_CHAT;
    expect(&s, CI_ERR_MISSING, CI_FIELD_TEXT, -1);
    s.text.len = 3; /* length without data */
    expect(&s, CI_ERR_INVALID, CI_FIELD_TEXT, -1);
}

static void test_scores_out_of_range(void **state)
{
    (void)state;
    static const struct { unsigned bit; double v; ci_status st; int field; } cases[] = {
        {CI_HAS_NPS, 11, CI_ERR_RANGE, CI_FIELD_NPS},
        {CI_HAS_NPS, -1, CI_ERR_RANGE, CI_FIELD_NPS},
        {CI_HAS_NPS, 7.5, CI_ERR_RANGE, CI_FIELD_NPS},
        {CI_HAS_CSAT, 0, CI_ERR_RANGE, CI_FIELD_CSAT},
        {CI_HAS_CSAT, 6, CI_ERR_RANGE, CI_FIELD_CSAT},
        {CI_HAS_CSAT, 4.2, CI_ERR_RANGE, CI_FIELD_CSAT},
        {CI_HAS_CES, 0, CI_ERR_RANGE, CI_FIELD_CES},
        {CI_HAS_CES, 8, CI_ERR_RANGE, CI_FIELD_CES},
        {CI_HAS_RATING, 5.5, CI_ERR_RANGE, CI_FIELD_RATING},
        {CI_HAS_RATING, -0.5, CI_ERR_RANGE, CI_FIELD_RATING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ci_signal s = valid_signal();
        s.has = cases[i].bit;
        s.nps = s.csat = s.ces = s.rating = cases[i].v;
        if (cases[i].bit != CI_HAS_NPS) s.nps = 5;
        if (cases[i].bit != CI_HAS_CSAT) s.csat = 3;
        if (cases[i].bit != CI_HAS_CES) s.ces = 3;
        if (cases[i].bit != CI_HAS_RATING) s.rating = 3;
        expect(&s, cases[i].st, cases[i].field, -1);
    }
    /* a score that is absent is not checked */
    ci_signal s = valid_signal();
    s.nps = 99;
    expect(&s, CI_OK, -1, -1);
    /* CES direction must be a known value */
    s.has = CI_HAS_CES;
    s.ces = 3;
    s.ces_direction = 5;
    expect(&s, CI_ERR_RANGE, CI_FIELD_CES, -1);
}

static void test_nonfinite(void **state)
{
    (void)state;
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        ci_signal s = valid_signal();
        s.has = CI_HAS_NPS;
        s.nps = bad[i];
        expect(&s, CI_ERR_NONFINITE, CI_FIELD_NPS, -1);
        s.has = CI_HAS_VALUE;
        s.value = bad[i];
        expect(&s, CI_ERR_NONFINITE, CI_FIELD_VALUE, -1);
        s.has = CI_HAS_RATING;
        s.rating = bad[i];
        expect(&s, CI_ERR_NONFINITE, CI_FIELD_RATING, -1);
        s.has = CI_HAS_CSAT;
        s.csat = bad[i];
        expect(&s, CI_ERR_NONFINITE, CI_FIELD_CSAT, -1);
        s.has = CI_HAS_CES;
        s.ces = bad[i];
        expect(&s, CI_ERR_NONFINITE, CI_FIELD_CES, -1);
    }
}

static void test_invalid_utf8_in_ids_and_attrs(void **state)
{
    (void)state;
    ci_signal s = valid_signal();
    s.customer_id = S("ab\xC3");
    expect(&s, CI_ERR_UTF8, CI_FIELD_CUSTOMER_ID, -1);
    ci_diag d;
    ci_diag_init(&d);
    ci_signal_validate(&s, &d);
    assert_int_equal(d.offset, 2);

    s = valid_signal();
    s.account_id = S("\xFF");
    expect(&s, CI_ERR_UTF8, CI_FIELD_ACCOUNT_ID, -1);
    s = valid_signal();
    s.channel = S("web\xED\xA0\x80");
    expect(&s, CI_ERR_UTF8, CI_FIELD_CHANNEL, -1);

    ci_attr attrs[] = {{S("tier"), S("gold")}, {S("reg\x80ion"), S("EU")}};
    s = valid_signal();
    s.attrs = attrs;
    s.n_attrs = 2;
    expect(&s, CI_ERR_UTF8, CI_FIELD_ATTR_KEY, 1);
    attrs[1].key = S("region");
    attrs[1].value = S("E\xC0\xAF");
    expect(&s, CI_ERR_UTF8, CI_FIELD_ATTR_VALUE, 1);

    /* invalid UTF-8 in the text itself is accepted: it is what was sent */
    s = valid_signal();
    s.text = S("caf\xE9 ok");
    expect(&s, CI_OK, -1, -1);
}

static void test_attr_rules(void **state)
{
    (void)state;
    ci_attr attrs[CI_SIGNAL_MAX_ATTRS + 1];
    for (size_t i = 0; i < CI_SIGNAL_MAX_ATTRS + 1; i++) {
        attrs[i].key = S("k");
        attrs[i].value = S("v");
    }
    ci_signal s = valid_signal();
    s.attrs = attrs;
    s.n_attrs = CI_SIGNAL_MAX_ATTRS;
    expect(&s, CI_OK, -1, -1);
    s.n_attrs = CI_SIGNAL_MAX_ATTRS + 1;
    expect(&s, CI_ERR_LIMIT, CI_FIELD_ATTRS, -1);
    s.n_attrs = 2;
    s.attrs = NULL;
    expect(&s, CI_ERR_INVALID, CI_FIELD_ATTRS, -1);
    s.attrs = attrs;
    attrs[1].key = S("");
    expect(&s, CI_ERR_MISSING, CI_FIELD_ATTR_KEY, 1);

    static char big[CI_SIGNAL_MAX_FIELD + 2];
    memset(big, 'x', sizeof big - 1);
    attrs[1].key = S("k");
    attrs[0].value = S(big);
    expect(&s, CI_ERR_LIMIT, CI_FIELD_ATTR_VALUE, 0);
    s = valid_signal();
    s.customer_id = S(big);
    expect(&s, CI_ERR_LIMIT, CI_FIELD_CUSTOMER_ID, -1);
}

static void test_old_diag_is_not_overrun(void **state)
{
    (void)state;
    /* A diag whose struct_size is too small for this version is left alone. */
    ci_diag d;
    ci_diag_init(&d);
    d.struct_size = 8;
    ci_signal s = valid_signal();
    s.kind = 0;
    assert_int_equal(ci_signal_validate(&s, &d), CI_ERR_MISSING);
    assert_string_equal(d.message, "");
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = CI_SIGNAL_FEEDBACK; k <= CI_SIGNAL_SOCIAL; k++) {
        const char *name = ci_signal_kind_name(k);
        assert_non_null(name);
        int back = -1;
        assert_int_equal(ci_signal_kind_parse(name, strlen(name), &back), CI_OK);
        assert_int_equal(back, k);
    }
    assert_null(ci_signal_kind_name(0));
    assert_null(ci_signal_kind_name(11));
    assert_string_equal(ci_signal_kind_name(CI_SIGNAL_CUSTOM + 1), "custom");
    int k;
    assert_int_equal(ci_signal_kind_parse("TICKET", 6, &k), CI_OK);
    assert_int_equal(k, CI_SIGNAL_TICKET);
    assert_int_equal(ci_signal_kind_parse("Transcript", 10, &k), CI_OK);
    assert_int_equal(k, CI_SIGNAL_CALL);
    assert_int_equal(ci_signal_kind_parse("tickets", 7, &k), CI_ERR_NOT_FOUND);
    assert_int_equal(ci_signal_kind_parse("tick", 4, &k), CI_ERR_NOT_FOUND);
    assert_int_equal(ci_signal_kind_parse(NULL, 0, &k), CI_ERR_INVALID);
    assert_string_equal(ci_signal_field_name(CI_FIELD_NPS), "nps");
    assert_string_equal(ci_signal_field_name(CI_FIELD_ATTR_VALUE), "attr_value");
    assert_null(ci_signal_field_name(-1));
    assert_null(ci_signal_field_name(99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_valid_full_signal),
        cmocka_unit_test(test_score_only_signal_is_valid),
        cmocka_unit_test(test_bad_struct),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_missing_content),
        cmocka_unit_test(test_scores_out_of_range),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_invalid_utf8_in_ids_and_attrs),
        cmocka_unit_test(test_attr_rules),
        cmocka_unit_test(test_old_diag_is_not_overrun),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests_name("signal", tests, NULL, NULL);
}
