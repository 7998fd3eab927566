/* SPDX-License-Identifier: MIT */
/*
 * bench_tokenizer: throughput of the libci tokenizer on support-style text,
 * side by side with a plain utf8proc baseline, plus two correctness checks.
 *
 *   bench_tokenizer [--mb N] [--quick] [--baseline-mb N] [--seed S] [--dump FILE]
 *
 * 1. A deterministic generator (xorshift64*, fixed seed) writes a corpus of
 *    support messages, one per line: tickets, chats and reviews with order
 *    numbers, prices, dates, emails, URLs, @mentions, #hashtags, ALL-CAPS and
 *    elongated words, emoticons; about 7 % of the lines carry non-ASCII text
 *    (accented words, CJK, emoji, curly apostrophes).  64 MiB by default.
 * 2. libci, per line (feed, finish, drain to CI_DONE, reset: how a host
 *    tokenizes one message) and as one stream fed in 64 KiB chunks, each
 *    drained one ci_tokenizer_next() call per token and 256 tokens per
 *    ci_tokenizer_next_batch() call; the timed runs interleave the four.
 *    Check: both calls give the same tokens.
 * 3. Baseline: utf8proc_map(NFKC + case fold) of each line, split into
 *    "letter runs", on a prefix of the corpus (8 MB by default).
 * 4. Check: the letter runs of libci's normalized tokens equal those of the
 *    baseline, line by line, on the text the baseline processed.
 * 5. Check: no allocation per token once the tokenizer is warm.
 * 6. Informational: the 64 KiB-chunked stream gives every line the same
 *    tokens as tokenizing that line alone (chunk invariance, and newlines
 *    resetting context); differences are printed but do not fail the run.
 *
 * Throughput is best of 3 runs on one thread, CLOCK_MONOTONIC, in MB/s with
 * 1 MB = 1e6 bytes of corpus (newlines included, although the per-line mode
 * does not feed them).  Exit status: 0 when both checks pass, 1 when one
 * fails, 2 on a usage or API error.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "libci.h"

#define MIB (1024.0 * 1024.0)
#define CHUNK_SIZE ((size_t)64 * 1024)
#define RUNS 3
#define DEFAULT_MIB 64.0
#define QUICK_MIB 4.0
#define DEFAULT_BASELINE_MB 8.0
#define DEFAULT_SEED UINT64_C(0x9E3779B97F4A7C15)
#define NORM_OPTIONS \
    ((utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD))
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_REPORTED 5

/* ======================================================================== */
/*  Small utilities                                                         */
/* ======================================================================== */

static void die(const char *what)
{
    fprintf(stderr, "bench_tokenizer: %s\n", what);
    exit(2);
}

static void die_status(const char *what, ci_status st)
{
    fprintf(stderr, "bench_tokenizer: %s failed: %s (%d)\n", what, ci_status_string(st), (int)st);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory");
    return q;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 1234567 -> "1,234,567" */
static const char *fmt_count(char *out, size_t cap, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
    return out;
}

/* A growable byte buffer. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_reserve(buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + extra)
        ncap *= 2;
    b->p = xrealloc(b->p, ncap);
    b->cap = ncap;
}

static void buf_put(buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_puts(buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_putc(buf *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

/* ======================================================================== */
/*  Deterministic PRNG: xorshift64*                                         */
/* ======================================================================== */

static uint64_t rng_state = DEFAULT_SEED;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* Uniform in [0, n). */
static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
    return lo + rng_below(hi - lo + 1);
}

/* True with probability per_mille / 1000. */
static int rng_chance(uint32_t per_mille)
{
    return rng_below(1000) < per_mille;
}

#define PICK(list) ((list)[rng_below((uint32_t)COUNT_OF(list))])

/* ======================================================================== */
/*  Corpus generator                                                        */
/* ======================================================================== */

/* ASCII sentences.  {slot}s are filled by fill_slot(); a slot's text may
 * itself contain slots. */
static const char *const ascii_sentences[] = {
    "My card was charged twice and I still haven't received a refund{bang}",
    "Can't log in since the update {emot} please help {urgent}",
    "Order {order} still hasn't arrived, tracking says it was delivered on {date}{bang}",
    "I was billed {price} instead of {price} for the {plan} plan.",
    "Tried resetting my password {n} times and I keep getting {err}{bang}",
    "Please contact me at {email}, I've been waiting since {date}.",
    "The help article {url} doesn't explain how to {action}.",
    "{mention} your {product} {issue} on my {device} {hashtag}",
    "{excl} {excl} this is the {bad} support I've ever had{bang}",
    "Love the new {feature}, {elong} {good}{bang} {hashtag}",
    "Been on hold for {n} minutes, ticket {ticket} is {adv} resolved{bang}",
    "Hi, I'd like to cancel my subscription effective {date}. Account: {email}",
    "{elong} {bad}{bang} the {feature} is {bad} after the latest update",
    "Thanks {name}, you were {good} and fixed it in {n} minutes {emot}",
    "Why was I charged {price} on {date} at {time}? I never authorized this{bang}",
    "App version {ver} {issue} when I open the {feature}{bang}",
    "Refund of {price} for order {order} was approved but I only got {pct} back.",
    "Does the {plan} plan include {feature}? Couldn't find it on {url}",
    "5 stars, {good} service and the {product} works perfectly {emot}",
    "1 star. {bad}, {bad} and {bad}{bang} {hashtag} {hashtag}",
    "Delivery was supposed to be {date} between {time} and {time}, nobody showed up{bang}",
    "I emailed {email} {n} times and got no reply{bang} {mention}",
    "The {product} stopped working after {n} days, I want a replacement {urgent}{bang}",
    "Can you {action} for me? My username is {user}",
    "Is there a way to {action} without calling support? {emot}",
    "Promo code SAVE{n} didn't work at checkout, got \"{err}\" instead.",
    "Still waiting on a callback from {name} (case {ticket}) {emot}",
    "Shipping to {city} took {n} weeks, {elong} {bad}.",
    "Great product but the {feature} is {bad}, would give it {stars}/5",
    "Why does the {product} need {n}GB for an update??",
    "Followed the steps at {url} but it says {err}.",
    "I don't understand why I can't {action} anymore, it worked on {date}",
    "{name} from support was {good}{bang} {emot}",
    "Please call me back at {phone} before {time}",
    "My account {email} got locked after {n} failed attempts{bang}",
    "The price went up from {price} to {price} without any notice{bang} {hashtag}",
    "It's {elong} {good}, we've used it for {n} years {emot}",
    "hello?? is anyone there? been waiting {n} hours",
    "{emot} still no refund for order {order}",
    "The discount only applied {pct}",
    "Your chatbot is {capsadj} useless, I need a real person{bang}",
    "Where is my package?? It's been {n} days since {date}",
    "wifi keeps dropping every {n} min, router model {model}",
    "I'm on the {plan} plan ({price}/month) and {feature} is missing",
    "We were double charged: {price} + {price} on {date}",
    "Can't believe it took {n} emails to get this fixed -_-",
    "Ugh, the {feature} is broken AGAIN... {hashtag}",
    "my order {order} says \"processing\" for {n} days now",
    "Quick question - how do I {action}?",
    "{good} experience overall, {name} at the front desk was very helpful",
    "Got an email from {email} asking for my password, is that a scam?",
    "PLEASE FIX THE {caps} LOGIN BUG {urgent}{bang}",
    "Status page {url} says all systems operational but nothing loads",
    "The new update is {elong} slow on my {device} {emot}",
    "Invoice {ticket} shows {price} but my bank statement shows {price}",
    "ok thx, that worked :)",
    "Reset link at {url} expired after {n} minutes, can you resend it to {email}?",
};

/* Sentences with non-ASCII text. */
static const char *const intl_sentences[] = {
    "The café near {ucity} overcharged me {eprice}{bang}",
    "Naïve question: is the résumé builder included in the {plan} plan?",
    "Über-annoying bug, the façade looks great but nothing works",
    "The crème brûlée recipe page shows garbage characters",
    "My name is {uname} and the invoice prints it wrong",
    "Danke für die schnelle Hilfe, sehr gut{bang}",
    "Merci beaucoup, le service client était très rapide",
    "¿Dónde está mi pedido? Ya pasaron {n} días",
    "Спасибо за помощь, всё работает",
    "Ελπίζω να λυθεί σύντομα το πρόβλημα",
    "The Straße field is too short for my address in {ucity}",
    "Shipping to {ucity} costs {eprice}? That's insane",
    "Piñata order arrived broken, jalapeño sauce everywhere",
    "Your Cafe\xCC\x81 Pro machine leaks water",
    "日本語のサポートはありますか？",
    "退款什么时候到账？",
    "我的订单 {order} 还没到",
    "返金してください、注文番号は {n} です",
    "谢谢你们的帮助",
    "환불 부탁드립니다",
    "ありがとうございました！",
    "サポートに連絡しましたが返事がありません",
    "Ordered from {ucity}, paid {eprice} for express and it took {n} days",
    "{uname} here, my account {email} was charged twice",
};

static const char *const emojis[] = {
    "😡", "👍", "🙏", "❤️", "👍🏽", "😂", "🔥", "💯", "😭", "🤦‍♀️", "🇧🇷", "🙄",
    "😍", "✅", "⭐⭐⭐⭐⭐", "😡😡😡", "🙏🙏", "1️⃣", "👎🏻", "🤷‍♂️",
};

static const char *const w_bang[] = {"!", "!!", "!!!", ".", ".", "?!", "...", "!!!!!", "", ""};
static const char *const w_emot[] = {":(", ":)", ":-(", ":-)", ":D", ":/", ";)", ":'(", "<3", ":P",
                                     "^_^", ":("};
static const char *const w_caps[] = {"STUPID", "BROKEN", "SAME", "DAMN", "TERRIBLE", "HUGE"};
static const char *const w_urgent[] = {"ASAP", "NOW", "URGENT", "PLEASE", "TODAY", "IMMEDIATELY"};
static const char *const w_excl[] = {"WOW", "SERIOUSLY", "UNBELIEVABLE", "NEVER AGAIN", "SCAM",
                                     "WTF"};
static const char *const w_adv[] = {"NOT", "STILL NOT", "NEVER", "STILL", "NOT EVEN"};
static const char *const w_capsadj[] = {"COMPLETELY", "TOTALLY", "SO", "ABSOLUTELY"};
static const char *const w_elong[] = {"sooo", "soooo", "pleeease", "whyyyy", "noooo", "yesss",
                                      "thanksss", "loooove", "sooooooo", "reallyyy", "sloooow"};
static const char *const w_good[] = {"great", "amazing", "awesome", "super helpful", "fast",
                                     "friendly", "excellent", "smooth", "really good"};
static const char *const w_bad[] = {"terrible", "awful", "useless", "slow", "rude", "broken",
                                    "confusing", "frustrating", "unacceptable", "ridiculous",
                                    "the worst"};
static const char *const w_plan[] = {"Basic", "Pro", "Premium", "Family", "Business",
                                     "Enterprise", "Starter", "Plus"};
static const char *const w_product[] = {"app", "dashboard", "mobile app", "billing page",
                                        "checkout", "router", "headphones", "laptop",
                                        "vacuum", "smart watch", "printer", "thermostat"};
static const char *const w_device[] = {"iPhone 13", "Pixel 7", "Android", "iPad", "Windows 11",
                                       "MacBook", "Chrome", "Safari", "Firefox", "Galaxy S22"};
static const char *const w_feature[] = {"dark mode", "search", "export", "two-factor login",
                                        "auto-sync", "offline mode", "dashboard",
                                        "notifications", "checkout flow", "voice assistant",
                                        "order history", "e-mail alerts"};
static const char *const w_issue[] = {"crashes", "freezes", "won't load", "logs me out",
                                      "shows a blank screen", "keeps spinning",
                                      "double charges me", "throws {err}", "drains the battery"};
static const char *const w_action[] = {"update my billing address", "change my email",
                                       "download my invoice", "reset two-factor login",
                                       "merge two accounts", "export my data",
                                       "delete my account", "transfer my license",
                                       "cancel the auto-renewal", "get a refund",
                                       "change the delivery date"};
static const char *const w_first[] = {"Jane", "John", "Maria", "Ahmed", "Wei", "Priya", "Carlos",
                                      "Emma", "Liam", "Olivia", "Noah", "Sofia", "Kevin"};
static const char *const w_last[] = {"doe", "smith", "garcia", "khan", "chen", "patel", "lopez",
                                     "brown", "nguyen", "muller", "oconnor"};
static const char *const w_domain[] = {"example.com", "example.org", "mail.example.net",
                                       "corp.example.co.uk", "example.io", "shop.example.com"};
static const char *const w_mention[] = {"@support", "@HelpDesk", "@acme_care", "@jane_doe",
                                        "@AcmeSupport", "@billing_team", "@ShopCo"};
static const char *const w_hashtag[] = {"#fail", "#help", "#customerservice", "#refund",
                                        "#lovethisapp", "#bug", "#update", "#neveragain",
                                        "#ThankYou", "#outage", "#CX"};
static const char *const w_city[] = {"Chicago", "Toronto", "London", "Berlin", "Austin", "Sydney",
                                     "Madrid", "Seattle", "Dublin"};
static const char *const w_ucity[] = {"São Paulo", "Zürich", "Montréal", "München", "Kraków",
                                      "Bogotá", "Reykjavík", "Malmö", "İstanbul", "Düsseldorf",
                                      "Curaçao"};
static const char *const w_uname[] = {"José", "Zoë", "Chloé", "Renée", "Björn", "Łukasz",
                                      "Søren", "François", "Jürgen Müller", "Núñez", "Anaïs"};
static const char *const w_eprice[] = {"€35", "£12.50", "¥1200", "R$ 49,90", "₹499",
                                       "€1.299,00", "CHF 89.–"};
static const char *const w_err[] = {"error 502", "E-1043", "ERR_CONNECTION_RESET",
                                    "code 0x80070005", "Error 401: Unauthorized",
                                    "\"Something went wrong\"", "error code 7"};
static const char *const w_month[] = {"Jan", "Feb", "March", "April", "May", "June", "July",
                                      "Aug", "Sept", "October", "Nov", "December"};
static const char *const w_rel_date[] = {"Monday", "Friday", "the 3rd", "the 21st",
                                         "New Year's Eve", "Black Friday"};
static const char *const w_url_path[] = {"article", "orders", "returns", "kb", "incidents",
                                         "account/settings", "help/billing"};

static void expand(buf *b, const char *tpl);

static void put_fmt_u(buf *b, const char *prefix, unsigned v, const char *suffix)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%u", v);
    buf_puts(b, prefix);
    buf_puts(b, tmp);
    buf_puts(b, suffix);
}

static void put_price(buf *b)
{
    char tmp[48];
    unsigned dollars = rng_chance(100) ? rng_range(1000, 2999) : rng_range(1, 499);
    unsigned cents = PICK(((const unsigned[]){0, 99, 95, 49, 50, 0, 19}));
    if (dollars >= 1000)
        snprintf(tmp, sizeof tmp, "$%u,%03u.%02u", dollars / 1000, dollars % 1000, cents);
    else if (cents == 0 && rng_chance(500))
        snprintf(tmp, sizeof tmp, "$%u", dollars);
    else
        snprintf(tmp, sizeof tmp, "$%u.%02u", dollars, cents);
    buf_puts(b, tmp);
}

static void put_date(buf *b)
{
    char tmp[48];
    unsigned y = rng_range(2022, 2025), m = rng_range(1, 12), d = rng_range(1, 28);
    switch (rng_below(5)) {
    case 0: snprintf(tmp, sizeof tmp, "%u-%02u-%02u", y, m, d); break;
    case 1: snprintf(tmp, sizeof tmp, "%02u/%02u/%u", m, d, y); break;
    case 2: snprintf(tmp, sizeof tmp, "%s %u", w_month[m - 1], d); break;
    case 3: snprintf(tmp, sizeof tmp, "%u %s %u", d, w_month[m - 1], y); break;
    default: snprintf(tmp, sizeof tmp, "%s", PICK(w_rel_date)); break;
    }
    buf_puts(b, tmp);
}

static void put_email(buf *b)
{
    const char *first = PICK(w_first), *last = PICK(w_last);
    char tmp[96];
    char lf[16];
    size_t i = 0;
    for (; first[i] && i + 1 < sizeof lf; i++)
        lf[i] = (char)(first[i] >= 'A' && first[i] <= 'Z' ? first[i] | 0x20 : first[i]);
    lf[i] = '\0';
    switch (rng_below(4)) {
    case 0: snprintf(tmp, sizeof tmp, "%s.%s@%s", lf, last, PICK(w_domain)); break;
    case 1: snprintf(tmp, sizeof tmp, "%s_%s%u@%s", lf, last, rng_range(1, 99), PICK(w_domain)); break;
    case 2: snprintf(tmp, sizeof tmp, "%s+billing@%s", lf, PICK(w_domain)); break;
    default: snprintf(tmp, sizeof tmp, "%s.%s@%s", first, last, PICK(w_domain)); break;
    }
    buf_puts(b, tmp);
}

static void put_url(buf *b)
{
    char tmp[128];
    switch (rng_below(4)) {
    case 0:
        snprintf(tmp, sizeof tmp, "https://help.example.com/%s/%u", PICK(w_url_path),
                 rng_range(100, 99999));
        break;
    case 1:
        snprintf(tmp, sizeof tmp, "http://example.com/%s/%u?ref=email&utm_source=support",
                 PICK(w_url_path), rng_range(1, 9999));
        break;
    case 2: snprintf(tmp, sizeof tmp, "www.example.com/%s", PICK(w_url_path)); break;
    default:
        snprintf(tmp, sizeof tmp, "https://status.example.io/incidents/%u#update-%u",
                 rng_range(1000, 9999), rng_range(1, 9));
        break;
    }
    buf_puts(b, tmp);
}

static void put_order(buf *b)
{
    char tmp[48];
    switch (rng_below(3)) {
    case 0: snprintf(tmp, sizeof tmp, "#%u", rng_range(100000, 9999999)); break;
    case 1: snprintf(tmp, sizeof tmp, "ORD-%u-%06u", rng_range(2022, 2025), rng_below(1000000)); break;
    default: snprintf(tmp, sizeof tmp, "%u", rng_range(10000000, 99999999)); break;
    }
    buf_puts(b, tmp);
}

static void put_user(buf *b)
{
    const char *first = PICK(w_first);
    for (size_t i = 0; first[i]; i++)
        buf_putc(b, (char)(first[i] >= 'A' && first[i] <= 'Z' ? first[i] | 0x20 : first[i]));
    buf_putc(b, '_');
    buf_puts(b, PICK(w_last));
    if (rng_chance(500))
        put_fmt_u(b, "", rng_range(1, 999), "");
}

/* Fill one {slot}. */
static void fill_slot(buf *b, const char *name, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("bang")) buf_puts(b, PICK(w_bang));
    else if (IS("emot")) buf_puts(b, PICK(w_emot));
    else if (IS("caps")) buf_puts(b, PICK(w_caps));
    else if (IS("urgent")) buf_puts(b, PICK(w_urgent));
    else if (IS("excl")) buf_puts(b, PICK(w_excl));
    else if (IS("adv")) buf_puts(b, PICK(w_adv));
    else if (IS("capsadj")) buf_puts(b, PICK(w_capsadj));
    else if (IS("elong")) buf_puts(b, PICK(w_elong));
    else if (IS("good")) buf_puts(b, PICK(w_good));
    else if (IS("bad")) buf_puts(b, PICK(w_bad));
    else if (IS("plan")) buf_puts(b, PICK(w_plan));
    else if (IS("product")) buf_puts(b, PICK(w_product));
    else if (IS("device")) buf_puts(b, PICK(w_device));
    else if (IS("feature")) buf_puts(b, PICK(w_feature));
    else if (IS("issue")) expand(b, PICK(w_issue));
    else if (IS("action")) buf_puts(b, PICK(w_action));
    else if (IS("name")) buf_puts(b, PICK(w_first));
    else if (IS("mention")) buf_puts(b, PICK(w_mention));
    else if (IS("hashtag")) buf_puts(b, PICK(w_hashtag));
    else if (IS("city")) buf_puts(b, PICK(w_city));
    else if (IS("ucity")) buf_puts(b, PICK(w_ucity));
    else if (IS("uname")) buf_puts(b, PICK(w_uname));
    else if (IS("eprice")) buf_puts(b, PICK(w_eprice));
    else if (IS("err")) buf_puts(b, PICK(w_err));
    else if (IS("price")) put_price(b);
    else if (IS("date")) put_date(b);
    else if (IS("email")) put_email(b);
    else if (IS("url")) put_url(b);
    else if (IS("order")) put_order(b);
    else if (IS("user")) put_user(b);
    else if (IS("n")) put_fmt_u(b, "", rng_chance(700) ? rng_range(2, 12) : rng_range(13, 400), "");
    else if (IS("pct")) put_fmt_u(b, "", 5 * rng_range(1, 20), "%");
    else if (IS("stars")) put_fmt_u(b, "", rng_range(1, 5), "");
    else if (IS("ticket")) put_fmt_u(b, rng_chance(500) ? "TCK-" : "#", rng_range(10000, 999999), "");
    else if (IS("ver")) {
        put_fmt_u(b, rng_chance(500) ? "v" : "", rng_range(1, 9), "");
        put_fmt_u(b, ".", rng_range(0, 30), "");
        put_fmt_u(b, ".", rng_range(0, 9), "");
    } else if (IS("time")) {
        char tmp[24];
        unsigned h = rng_range(1, 12), m = 5 * rng_below(12);
        snprintf(tmp, sizeof tmp, rng_chance(500) ? "%u:%02u" : "%u:%02u pm", h, m);
        buf_puts(b, tmp);
    } else if (IS("phone")) {
        put_fmt_u(b, "555-", rng_range(100, 999), "-");
        put_fmt_u(b, "", rng_range(1000, 9999), "");
    } else if (IS("model")) {
        put_fmt_u(b, "RT-AX", rng_range(10, 99), "U");
    } else {
        fprintf(stderr, "unknown slot {%.*s}\n", (int)n, name);
        exit(2);
    }
#undef IS
}

static void expand(buf *b, const char *tpl)
{
    const char *p = tpl;
    for (;;) {
        const char *open = strchr(p, '{');
        if (!open) {
            buf_puts(b, p);
            return;
        }
        buf_put(b, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        if (!close)
            die("unterminated slot in template");
        fill_slot(b, open + 1, (size_t)(close - open - 1));
        p = close + 1;
    }
}

typedef struct corpus {
    char *text;           /* lines, each ended by '\n' */
    size_t size;
    size_t *off;          /* start of each line */
    uint32_t *len;        /* length of each line without '\n' */
    size_t n_lines;
    size_t n_nonascii;    /* lines with a byte >= 0x80 */
} corpus;

/* Append an emoji, keeping it apart from letters that would follow. */
static void put_emoji(buf *b)
{
    if (b->len && b->p[b->len - 1] != ' ')
        buf_putc(b, ' ');
    buf_puts(b, PICK(emojis));
    if (rng_chance(250)) {
        buf_putc(b, ' ');
        buf_puts(b, PICK(emojis));
    }
}

/* One message: 1-3 sentences; about 7 % of them with non-ASCII text. */
static void gen_line(buf *line)
{
    line->len = 0;
    unsigned n_sent = rng_chance(450) ? 1 : rng_chance(700) ? 2 : 3;
    int intl = rng_chance(72);
    unsigned mode = intl ? rng_below(100) : 0;
    unsigned intl_at = rng_below(n_sent);
    for (unsigned i = 0; i < n_sent; i++) {
        if (i)
            buf_putc(line, ' ');
        if (intl && mode < 45 && i == intl_at)
            expand(line, PICK(intl_sentences));
        else
            expand(line, PICK(ascii_sentences));
    }
    if (!intl) {
        /* Chat style: all lower case now and then, rarely all upper case. */
        if (rng_chance(40)) {
            for (size_t i = 0; i < line->len; i++)
                if (line->p[i] >= 'A' && line->p[i] <= 'Z')
                    line->p[i] = (char)(line->p[i] | 0x20);
        } else if (rng_chance(15)) {
            for (size_t i = 0; i < line->len; i++)
                if (line->p[i] >= 'a' && line->p[i] <= 'z')
                    line->p[i] = (char)(line->p[i] & ~0x20);
        }
        return;
    }
    if (mode >= 45 && mode < 75) {
        /* Curly apostrophes, as phones type them. */
        buf tmp = {0};
        int any = 0;
        for (size_t i = 0; i < line->len; i++) {
            if (line->p[i] == '\'') {
                buf_puts(&tmp, "\xE2\x80\x99");
                any = 1;
            } else {
                buf_putc(&tmp, line->p[i]);
            }
        }
        line->len = 0;
        buf_put(line, tmp.p, tmp.len);
        free(tmp.p);
        if (!any)
            put_emoji(line);
    } else if (mode >= 75 || rng_chance(300)) {
        put_emoji(line);
    }
}

static void gen_corpus(corpus *c, size_t target)
{
    buf text = {0}, line = {0};
    size_t cap_lines = 1024;
    c->off = xmalloc(cap_lines * sizeof *c->off);
    c->len = xmalloc(cap_lines * sizeof *c->len);
    c->n_lines = c->n_nonascii = 0;
    buf_reserve(&text, target + 4096);
    while (text.len < target) {
        gen_line(&line);
        if (c->n_lines == cap_lines) {
            cap_lines *= 2;
            c->off = xrealloc(c->off, cap_lines * sizeof *c->off);
            c->len = xrealloc(c->len, cap_lines * sizeof *c->len);
        }
        int nonascii = 0;
        for (size_t i = 0; i < line.len && !nonascii; i++)
            nonascii = (unsigned char)line.p[i] >= 0x80;
        c->n_nonascii += (size_t)nonascii;
        c->off[c->n_lines] = text.len;
        c->len[c->n_lines] = (uint32_t)line.len;
        c->n_lines++;
        buf_put(&text, line.p, line.len);
        buf_putc(&text, '\n');
    }
    free(line.p);
    c->text = text.p;
    c->size = text.len;
}

/* ======================================================================== */
/*  Counting allocator                                                      */
/* ======================================================================== */

typedef struct alloc_counts {
    uint64_t mallocs, reallocs, frees;
    int64_t live;     /* blocks currently allocated */
} alloc_counts;

static void *count_malloc(void *ud, size_t size)
{
    alloc_counts *ac = ud;
    void *p = malloc(size);
    ac->mallocs++;
    ac->live += p != NULL;
    return p;
}

static void *count_realloc(void *ud, void *ptr, size_t size)
{
    alloc_counts *ac = ud;
    void *p = realloc(ptr, size);
    ac->reallocs++;
    ac->live += ptr == NULL && p != NULL;
    return p;
}

static void count_free(void *ud, void *ptr)
{
    alloc_counts *ac = ud;
    if (ptr) {
        ac->frees++;
        ac->live--;
    }
    free(ptr);
}

/* ======================================================================== */
/*  Timed passes                                                            */
/* ======================================================================== */

typedef struct pass_result {
    double secs;
    uint64_t items;   /* tokens (libci) or words (baseline) */
    uint64_t hash;
} pass_result;

static volatile uint64_t sink;

/* Touch a token so that nothing can be skipped: kind, flags, length and the
 * first and last normalized bytes go into a running hash. */
static inline uint64_t touch(uint64_t h, const ci_token *tk)
{
    uint64_t v = (uint64_t)tk->norm_len ^ ((uint64_t)tk->kind << 40) ^ ((uint64_t)tk->flags << 48);
    if (tk->norm_len)
        v ^= ((uint64_t)(unsigned char)tk->norm[0] << 16) ^
             ((uint64_t)(unsigned char)tk->norm[tk->norm_len - 1] << 24);
    return (h ^ v) * UINT64_C(0x100000001B3);
}

/* Tokens per ci_tokenizer_next_batch() call in the batch passes. */
#define BATCH 256

/* Take every token the fed input gives, one call per token (batch == 0)
 * or BATCH tokens per call, into the count and hash; returns the status
 * that ended it (CI_MORE or CI_DONE when all went well). */
static ci_status drain(ci_tokenizer *t, int batch, ci_token *tk, uint64_t *tokens, uint64_t *h)
{
    ci_status st;
    if (!batch) {
        while ((st = ci_tokenizer_next(t, tk)) == CI_OK) {
            ++*tokens;
            *h = touch(*h, tk);
        }
        return st;
    }
    size_t n;
    while ((st = ci_tokenizer_next_batch(t, tk, BATCH, &n)) == CI_OK) {
        *tokens += n;
        for (size_t i = 0; i < n; i++)
            *h = touch(*h, &tk[i]);
    }
    return st;
}

/* How a host tokenizes one message: feed, finish, drain, reset. */
static pass_result libci_per_line(ci_tokenizer *t, const corpus *c, size_t n_lines, int batch)
{
    ci_token tk[BATCH];
    ci_token_init(&tk[0]);
    uint64_t tokens = 0, h = UINT64_C(0xCBF29CE484222325);
    ci_status st;
    double t0 = now_sec();
    if ((st = ci_tokenizer_reset(t)) != CI_OK) /* after a chunked pass */
        die_status("ci_tokenizer_reset", st);
    for (size_t i = 0; i < n_lines; i++) {
        if ((st = ci_tokenizer_feed(t, c->text + c->off[i], c->len[i])) != CI_OK)
            die_status("ci_tokenizer_feed (per line)", st);
        if ((st = ci_tokenizer_finish(t)) != CI_OK)
            die_status("ci_tokenizer_finish (per line)", st);
        if ((st = drain(t, batch, tk, &tokens, &h)) != CI_DONE)
            die_status("ci_tokenizer_next (per line)", st);
        if ((st = ci_tokenizer_reset(t)) != CI_OK)
            die_status("ci_tokenizer_reset", st);
    }
    pass_result r = {now_sec() - t0, tokens, h};
    sink ^= h;
    return r;
}

/* The whole corpus as one stream, fed in 64 KiB chunks. */
static pass_result libci_chunked(ci_tokenizer *t, const corpus *c, int batch)
{
    ci_token tk[BATCH];
    ci_token_init(&tk[0]);
    uint64_t tokens = 0, h = UINT64_C(0xCBF29CE484222325);
    ci_status st;
    double t0 = now_sec();
    if ((st = ci_tokenizer_reset(t)) != CI_OK)
        die_status("ci_tokenizer_reset", st);
    for (size_t pos = 0; pos < c->size; pos += CHUNK_SIZE) {
        size_t n = c->size - pos < CHUNK_SIZE ? c->size - pos : CHUNK_SIZE;
        if ((st = ci_tokenizer_feed(t, c->text + pos, n)) != CI_OK)
            die_status("ci_tokenizer_feed (chunked)", st);
        if ((st = drain(t, batch, tk, &tokens, &h)) != CI_MORE)
            die_status("ci_tokenizer_next (chunked)", st);
    }
    if ((st = ci_tokenizer_finish(t)) != CI_OK)
        die_status("ci_tokenizer_finish", st);
    if ((st = drain(t, batch, tk, &tokens, &h)) != CI_DONE)
        die_status("ci_tokenizer_next (chunked, final)", st);
    pass_result r = {now_sec() - t0, tokens, h};
    sink ^= h;
    return r;
}

/* ------------------------------------------------------------------------ */
/*  Letter runs: the word definition both sides are compared on             */
/* ------------------------------------------------------------------------ */

/* Han and Hiragana stand alone: a break before and after each. */
static int is_han_or_hiragana(utf8proc_int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) ||
           (cp >= 0x3040 && cp <= 0x309F);
}

/* utf8proc category L* or M*. */
static int is_letter_or_mark(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return 1;
    default:
        return 0;
    }
}

/* Where letter runs go: appended to `out` (each followed by '\n') when it is
 * given, always counted and hashed. */
typedef struct run_sink {
    buf *out;
    uint64_t count;
    uint64_t hash;
} run_sink;

static void emit_run(run_sink *rs, const uint8_t *s, size_t n)
{
    rs->count++;
    rs->hash = (rs->hash ^ (n | ((uint64_t)s[0] << 32) | ((uint64_t)s[n - 1] << 40))) *
               UINT64_C(0x100000001B3);
    if (rs->out) {
        buf_put(rs->out, (const char *)s, n);
        buf_putc(rs->out, '\n');
    }
}

static void letter_runs(const uint8_t *s, size_t n, run_sink *rs)
{
    size_t i = 0, start = 0;
    int in_run = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        size_t l;
        if (s[i] < 0x80) {
            cp = s[i];
            l = 1;
        } else {
            utf8proc_ssize_t r = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
            if (r < 0) {
                cp = -1;
                l = 1;
            } else {
                l = (size_t)r;
            }
        }
        if (cp >= 0 && is_han_or_hiragana(cp)) {
            if (in_run)
                emit_run(rs, s + start, i - start);
            in_run = 0;
            emit_run(rs, s + i, l);
        } else if (cp >= 0 && is_letter_or_mark(cp)) {
            if (!in_run) {
                in_run = 1;
                start = i;
            }
        } else if (in_run) {
            emit_run(rs, s + start, i - start);
            in_run = 0;
        }
        i += l;
    }
    if (in_run)
        emit_run(rs, s + start, n - start);
}

/* Baseline: utf8proc_map of each line, split into letter runs. */
static pass_result baseline_pass(const corpus *c, size_t n_lines)
{
    run_sink rs = {NULL, 0, UINT64_C(0xCBF29CE484222325)};
    double t0 = now_sec();
    for (size_t i = 0; i < n_lines; i++) {
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)c->text + c->off[i],
                                          (utf8proc_ssize_t)c->len[i], &out, NORM_OPTIONS);
        if (m < 0)
            die("utf8proc_map failed on generated text");
        letter_runs(out, (size_t)m, &rs);
        free(out);
    }
    pass_result r = {now_sec() - t0, rs.count, rs.hash};
    sink ^= rs.hash;
    return r;
}

/* ======================================================================== */
/*  Checks                                                                  */
/* ======================================================================== */

/* Print text for a human: '\n' (the run separator) as " | ", controls as
 * \xNN, invisible joiners and selectors as <U+XXXX>. */
static void print_escaped(const char *s, size_t n)
{
    if (n && s[n - 1] == '\n')
        n--; /* no separator after the last run */
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            fputs(" | ", stdout);
            i++;
            continue;
        }
        if (ch < 0x20 || ch == 0x7F) {
            printf("\\x%02X", ch);
            i++;
            continue;
        }
        if (ch < 0x80) {
            putchar(ch);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0) {
            printf("\\x%02X", ch);
            i++;
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_ME ||
            (cat == UTF8PROC_CATEGORY_MN && cp >= 0xFE00 && cp <= 0xFE0F))
            printf("<U+%04X>", (unsigned)cp);
        else
            fwrite(s + i, 1, (size_t)l, stdout);
        i += (size_t)l;
    }
}

typedef struct word_check {
    uint64_t words;       /* baseline letter runs compared */
    uint64_t mismatches;  /* positions where the two sequences differ */
    uint64_t bad_lines;
} word_check;

/* Split a '\n'-terminated run list into (start, length) pairs. */
static size_t split_runs(const buf *b, size_t **spans, size_t *cap)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len;) {
        const char *e = memchr(b->p + i, '\n', b->len - i);
        size_t l = e ? (size_t)(e - (b->p + i)) : b->len - i;
        if (2 * (n + 1) > *cap) {
            *cap = *cap ? 2 * *cap : 64;
            *spans = xrealloc(*spans, *cap * sizeof **spans);
        }
        (*spans)[2 * n] = i;
        (*spans)[2 * n + 1] = l;
        n++;
        i += l + 1;
    }
    return n;
}

/* Words that differ between two run lists: after the longest common prefix
 * and suffix, whatever is left of the longer list. */
static uint64_t count_run_diffs(const buf *a, const buf *b)
{
    static size_t *sa, *sb, cap_a, cap_b;
    size_t na = split_runs(a, &sa, &cap_a), nb = split_runs(b, &sb, &cap_b);
#define SAME(i, j) (sa[2 * (i) + 1] == sb[2 * (j) + 1] && \
                    memcmp(a->p + sa[2 * (i)], b->p + sb[2 * (j)], sa[2 * (i) + 1]) == 0)
    size_t pre = 0, suf = 0;
    while (pre < na && pre < nb && SAME(pre, pre))
        pre++;
    while (suf < na - pre && suf < nb - pre && SAME(na - 1 - suf, nb - 1 - suf))
        suf++;
#undef SAME
    size_t longer = na > nb ? na : nb;
    return (uint64_t)(longer - pre - suf);
}

/* Letter runs of the baseline against those of libci's token norms, line by
 * line, over the first n_lines lines. */
static word_check check_words(ci_tokenizer *t, const corpus *c, size_t n_lines)
{
    word_check wc = {0, 0, 0};
    buf base = {0}, lib = {0};
    ci_token tk;
    ci_token_init(&tk);
    ci_status st;
    ci_tokenizer_reset(t);
    for (size_t i = 0; i < n_lines; i++) {
        const char *line = c->text + c->off[i];
        base.len = lib.len = 0;
        run_sink rb = {&base, 0, 0}, rl = {&lib, 0, 0};

        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)line, (utf8proc_ssize_t)c->len[i],
                                          &out, NORM_OPTIONS);
        if (m < 0)
            die("utf8proc_map failed on generated text");
        letter_runs(out, (size_t)m, &rb);
        free(out);

        if ((st = ci_tokenizer_feed(t, line, c->len[i])) != CI_OK)
            die_status("ci_tokenizer_feed", st);
        if ((st = ci_tokenizer_finish(t)) != CI_OK)
            die_status("ci_tokenizer_finish", st);
        while ((st = ci_tokenizer_next(t, &tk)) == CI_OK)
            letter_runs((const uint8_t *)tk.norm, tk.norm_len, &rl);
        if (st != CI_DONE)
            die_status("ci_tokenizer_next", st);
        ci_tokenizer_reset(t);

        wc.words += rb.count;
        if (base.len == lib.len && memcmp(base.p, lib.p, base.len) == 0)
            continue;
        uint64_t d = count_run_diffs(&base, &lib);
        wc.mismatches += d;
        if (++wc.bad_lines <= MAX_REPORTED) {
            printf("  mismatch on line %zu (%" PRIu64 " word(s) differ):\n    text    : ", i + 1, d);
            print_escaped(line, c->len[i]);
            printf("\n    utf8proc: ");
            print_escaped(base.p, base.len);
            printf("\n    libci   : ");
            print_escaped(lib.p, lib.len);
            printf("\n    tokens  :");
            if (ci_tokenizer_feed(t, line, c->len[i]) == CI_OK && ci_tokenizer_finish(t) == CI_OK)
                while (ci_tokenizer_next(t, &tk) == CI_OK) {
                    printf(" %s<", ci_token_kind_name(tk.kind));
                    print_escaped(tk.norm, tk.norm_len);
                    putchar('>');
                }
            ci_tokenizer_reset(t);
            putchar('\n');
        }
    }
    free(base.p);
    free(lib.p);
    return wc;
}

/* Fold a token, with its offset relative to its line, into a line hash. */
static uint64_t token_line_hash(uint64_t h, const ci_token *tk, uint64_t rel)
{
    uint64_t v[5] = {(uint64_t)tk->kind, (uint64_t)tk->flags, rel, (uint64_t)tk->length,
                     (uint64_t)tk->norm_len};
    for (size_t i = 0; i < 5; i++)
        h = (h ^ v[i]) * UINT64_C(0x100000001B3);
    for (size_t i = 0; i < tk->norm_len; i++)
        h = (h ^ (unsigned char)tk->norm[i]) * UINT64_C(0x100000001B3);
    return h;
}

/* Append " kind@offset<norm>" to a buffer. */
static void dump_token(buf *out, const ci_token *tk, uint64_t rel)
{
    char head[64];
    snprintf(head, sizeof head, " %s@%" PRIu64 "<", ci_token_kind_name(tk->kind), rel);
    buf_puts(out, head);
    buf_put(out, tk->norm, tk->norm_len);
    buf_putc(out, '>');
}

/* Line index of stream offset `off`, searching forward from *li. */
static size_t line_of(const corpus *c, uint64_t off, size_t li)
{
    while (li + 1 < c->n_lines && off >= c->off[li + 1])
        li++;
    return li;
}

/* The chunked stream must give each line the tokens that line gives alone:
 * newlines separate tokens and the stream is chunk-invariant.  Returns the
 * number of lines that differ; prints the first few. */
static size_t check_chunk_vs_line(ci_tokenizer *t, const corpus *c, uint64_t kinds[11])
{
    uint64_t *hl = xmalloc(c->n_lines * sizeof *hl), *hc = xmalloc(c->n_lines * sizeof *hc);
    ci_token tk;
    ci_token_init(&tk);
    ci_status st;
    ci_tokenizer_reset(t);
    for (size_t i = 0; i < c->n_lines; i++) {
        uint64_t h = UINT64_C(0xCBF29CE484222325);
        if ((st = ci_tokenizer_feed(t, c->text + c->off[i], c->len[i])) != CI_OK ||
            (st = ci_tokenizer_finish(t)) != CI_OK)
            die_status("ci_tokenizer_feed/finish", st);
        while ((st = ci_tokenizer_next(t, &tk)) == CI_OK) {
            h = token_line_hash(h, &tk, tk.offset);
            kinds[tk.kind > 0 && tk.kind < 11 ? tk.kind : 0]++;
        }
        if (st != CI_DONE)
            die_status("ci_tokenizer_next", st);
        ci_tokenizer_reset(t);
        hl[i] = h;
        hc[i] = UINT64_C(0xCBF29CE484222325);
    }
    /* Two rounds: hash every line, then replay to collect the first bad ones. */
    size_t bad = 0, shown[MAX_REPORTED], n_shown = 0;
    buf dumps[MAX_REPORTED];
    memset(dumps, 0, sizeof dumps);
    for (int round = 0; round < 2; round++) {
        if (round == 1 && n_shown == 0)
            break;
        size_t li = 0;
        ci_tokenizer_reset(t);
        for (size_t pos = 0;; pos += CHUNK_SIZE) {
            int last = pos + CHUNK_SIZE >= c->size;
            size_t n = last ? c->size - pos : CHUNK_SIZE;
            if ((st = ci_tokenizer_feed(t, c->text + pos, n)) != CI_OK)
                die_status("ci_tokenizer_feed", st);
            if (last && (st = ci_tokenizer_finish(t)) != CI_OK)
                die_status("ci_tokenizer_finish", st);
            while ((st = ci_tokenizer_next(t, &tk)) == CI_OK) {
                li = line_of(c, tk.offset, li);
                uint64_t rel = tk.offset - c->off[li];
                if (round == 0) {
                    if (rel + tk.length > c->len[li])
                        hc[li] ^= 1; /* a token across a newline */
                    hc[li] = token_line_hash(hc[li], &tk, rel);
                } else {
                    for (size_t k = 0; k < n_shown; k++)
                        if (shown[k] == li)
                            dump_token(&dumps[k], &tk, rel);
                }
            }
            if (st != (last ? CI_DONE : CI_MORE))
                die_status("ci_tokenizer_next (chunked check)", st);
            if (last)
                break;
        }
        if (round == 0)
            for (size_t i = 0; i < c->n_lines; i++)
                if (hl[i] != hc[i]) {
                    if (n_shown < MAX_REPORTED)
                        shown[n_shown++] = i;
                    bad++;
                }
    }
    buf one = {0};
    for (size_t k = 0; k < n_shown; k++) {
        size_t i = shown[k];
        size_t end = c->off[i] + c->len[i];
        printf("  line %zu differs (stream bytes %zu-%zu%s):\n    text     : ", i + 1, c->off[i], end,
               c->off[i] / CHUNK_SIZE != end / CHUNK_SIZE ? ", a 64 KiB chunk boundary inside" : "");
        if (i > 0) {
            size_t pl = c->len[i - 1] < 12 ? c->len[i - 1] : 12;
            printf("[previous line ends \"");
            print_escaped(c->text + c->off[i - 1] + c->len[i - 1] - pl, pl);
            printf("\"] ");
        }
        print_escaped(c->text + c->off[i], c->len[i]);
        one.len = 0;
        ci_tokenizer_reset(t);
        if (ci_tokenizer_feed(t, c->text + c->off[i], c->len[i]) == CI_OK &&
            ci_tokenizer_finish(t) == CI_OK)
            while (ci_tokenizer_next(t, &tk) == CI_OK)
                dump_token(&one, &tk, tk.offset);
        ci_tokenizer_reset(t);
        printf("\n    per line :");
        print_escaped(one.p, one.len);
        printf("\n    chunked  :");
        print_escaped(dumps[k].p, dumps[k].len);
        putchar('\n');
        free(dumps[k].p);
    }
    free(one.p);
    free(hl);
    free(hc);
    return bad;
}

/* ======================================================================== */
/*  Main                                                                    */
/* ======================================================================== */

static void usage(void)
{
    fputs("usage: bench_tokenizer [--mb N] [--quick] [--baseline-mb N] [--seed S] [--dump FILE]\n"
          "  --mb N           corpus size in MiB (default 64)\n"
          "  --quick          4 MiB corpus, for smoke runs\n"
          "  --baseline-mb N  run the utf8proc baseline (and the word check) on the\n"
          "                   first N MB only (default 8; 0 = the whole corpus)\n"
          "  --seed S         generator seed (default fixed)\n"
          "  --dump FILE      also write the corpus to FILE\n",
          stderr);
}

static double parse_num(const char *s, const char *opt)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e6) {
        fprintf(stderr, "bench_tokenizer: bad value for %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

static double mbps(size_t bytes, double secs)
{
    return secs > 0 ? (double)bytes / 1e6 / secs : 0;
}

int main(int argc, char **argv)
{
    double mib = DEFAULT_MIB, baseline_mb = DEFAULT_BASELINE_MB;
    const char *dump = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            mib = QUICK_MIB;
        } else if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) {
            mib = parse_num(argv[++i], "--mb");
        } else if (strcmp(argv[i], "--baseline-mb") == 0 && i + 1 < argc) {
            baseline_mb = parse_num(argv[++i], "--baseline-mb");
        } else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rng_state = (uint64_t)strtoull(argv[++i], NULL, 0);
            if (!rng_state)
                rng_state = DEFAULT_SEED;
        } else {
            usage();
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (mib <= 0) {
        usage();
        return 2;
    }

    /* ---- corpus ---- */
    corpus c;
    double t0 = now_sec();
    gen_corpus(&c, (size_t)(mib * MIB));
    double gen_secs = now_sec() - t0;
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(c.text, 1, c.size, f) != c.size || fclose(f) != 0)
            die("cannot write the --dump file");
    }
    size_t base_lines = c.n_lines, base_bytes = c.size;
    if (baseline_mb > 0 && (double)c.size > baseline_mb * 1e6) {
        base_lines = 0;
        while (base_lines < c.n_lines && c.off[base_lines] + c.len[base_lines] + 1 <= baseline_mb * 1e6)
            base_lines++;
        base_bytes = base_lines < c.n_lines ? c.off[base_lines] : c.size;
    }
    char n1[32], n2[32], n3[32];
    printf("libci %s tokenizer benchmark (utf8proc %s), best of %d runs, 1 MB = 1e6 bytes\n",
           ci_version_string(), utf8proc_version(), RUNS);
    printf("corpus: %.1f MiB, %s lines, %.1f %% lines non-ASCII (generated in %.2f s)\n",
           (double)c.size / MIB, fmt_count(n1, sizeof n1, c.n_lines),
           100.0 * (double)c.n_nonascii / (double)c.n_lines, gen_secs);
    fflush(stdout);

    /* ---- libci ---- */
    alloc_counts counts = {0, 0, 0, 0};
    ci_allocator alloc;
    ci_allocator_init(&alloc);
    alloc.malloc_fn = count_malloc;
    alloc.realloc_fn = count_realloc;
    alloc.free_fn = count_free;
    alloc.user_data = &counts;
    ci_tokenizer *tok = NULL;
    ci_status st = ci_tokenizer_new(&alloc, &tok);
    if (st != CI_OK)
        die_status("ci_tokenizer_new", st);

    /* Four passes: per line and chunked, each one call per token
     * (ci_tokenizer_next) and BATCH tokens per call (the batch call).
     * Warm-up first: buffers grow to the longest token seen.  The timed runs
     * interleave the passes so that a noisy neighbour hurts them alike. */
    static const char *const pass_name[4] = {
        "per-line, next ", "per-line, batch", "64KiB chunk, next ", "64KiB chunk, batch",
    };
    pass_result warm[4], best[4];
    for (int k = 0; k < 4; k++)
        warm[k] = k < 2 ? libci_per_line(tok, &c, c.n_lines, k & 1) : libci_chunked(tok, &c, k & 1);
    alloc_counts at_warm = counts;
    uint64_t measured_tokens = 0;
    int unstable = 0;
    for (int r = 0; r < RUNS; r++) {
        for (int k = 0; k < 4; k++) {
            pass_result p = k < 2 ? libci_per_line(tok, &c, c.n_lines, k & 1)
                                  : libci_chunked(tok, &c, k & 1);
            measured_tokens += p.items;
            unstable |= p.items != warm[k].items || p.hash != warm[k].hash;
            if (r == 0 || p.secs < best[k].secs)
                best[k] = p;
        }
    }
    uint64_t steady_allocs = (counts.mallocs - at_warm.mallocs) + (counts.reallocs - at_warm.reallocs);
    if (unstable)
        printf("WARNING: token counts or hashes differ between runs\n");
    int batch_differs = warm[1].items != warm[0].items || warm[1].hash != warm[0].hash ||
                        warm[3].items != warm[2].items || warm[3].hash != warm[2].hash;

    for (int k = 0; k < 4; k++)
        printf("libci %-19s: %7.1f MB/s, %6.1f M tokens/s (%s tokens, %.3f s)\n", pass_name[k],
               mbps(c.size, best[k].secs), (double)best[k].items / 1e6 / best[k].secs,
               fmt_count(n1, sizeof n1, best[k].items), best[k].secs);
    printf("ratio batch/next: %.2fx per-line, %.2fx chunked\n", best[0].secs / best[1].secs,
           best[2].secs / best[3].secs);
    fflush(stdout);
    pass_result best_line = best[1];

    /* ---- baseline ---- */
    pass_result best_base = {0, 0, 0};
    for (int r = 0; r < RUNS; r++) {
        pass_result p = baseline_pass(&c, base_lines);
        if (r == 0 || p.secs < best_base.secs)
            best_base = p;
    }
    char scope[96];
    if (base_lines == c.n_lines)
        snprintf(scope, sizeof scope, "on the whole corpus");
    else
        snprintf(scope, sizeof scope, "on the first %.1f MB, %s lines", (double)base_bytes / 1e6,
                 fmt_count(n3, sizeof n3, base_lines));
    double base_rate = mbps(base_bytes, best_base.secs);
    printf("utf8proc baseline: %7.1f MB/s, %6.1f M words/s (%s)\n", base_rate,
           (double)best_base.items / 1e6 / best_base.secs, scope);
    printf("  (utf8proc_map STABLE|COMPOSE|COMPAT|CASEFOLD per line, then split into letter runs)\n");
    printf("ratio libci/baseline: %.1fx per-line, %.1fx chunked (batch); %.1fx, %.1fx (next)\n",
           mbps(c.size, best[1].secs) / base_rate, mbps(c.size, best[3].secs) / base_rate,
           mbps(c.size, best[0].secs) / base_rate, mbps(c.size, best[2].secs) / base_rate);
    fflush(stdout);

    /* ---- checks ---- */
    int failed = 0;
    if (batch_differs) {
        printf("batch and one-at-a-time tokens DIFFER\n");
        failed = 1;
    } else {
        printf("batch and one-at-a-time tokens: identical (count and hash)\n");
    }
    word_check wc = check_words(tok, &c, base_lines);
    printf("words compared: %s (%s), mismatches: %s (on %s lines)\n",
           fmt_count(n1, sizeof n1, wc.words), scope, fmt_count(n2, sizeof n2, wc.mismatches),
           fmt_count(n3, sizeof n3, wc.bad_lines));
    if (wc.mismatches || wc.bad_lines)
        failed = 1;

    uint64_t kinds[11] = {0};
    size_t chunk_bad = check_chunk_vs_line(tok, &c, kinds);
    if (chunk_bad)
        printf("WARNING: 64KiB-chunked stream and per-line tokens differ on %s of %s lines "
               "(informational, see above)\n",
               fmt_count(n1, sizeof n1, chunk_bad), fmt_count(n2, sizeof n2, c.n_lines));
    else
        printf("chunked stream vs per-line tokens: identical on all %s lines\n",
               fmt_count(n1, sizeof n1, c.n_lines));

    printf("token mix:");
    for (int k = 1; k < 11; k++)
        printf(" %s %.1f%%%s", ci_token_kind_name(k), 100.0 * (double)kinds[k] / (double)best_line.items,
               k < 10 ? "," : "\n");
    printf("allocations per token in steady state: %.3g (%" PRIu64 " allocations over %s tokens; "
           "%" PRIu64 " during warm-up)\n",
           (double)steady_allocs / (double)(measured_tokens ? measured_tokens : 1), steady_allocs,
           fmt_count(n1, sizeof n1, measured_tokens), at_warm.mallocs + at_warm.reallocs);
    if (steady_allocs)
        failed = 1;

    ci_tokenizer_free(tok);
    if (counts.live != 0)
        printf("WARNING: %" PRId64 " block(s) still allocated after ci_tokenizer_free\n", counts.live);
    free(c.text);
    free(c.off);
    free(c.len);
    printf("result: %s\n", failed ? "FAIL" : "ok");
    return failed;
}
