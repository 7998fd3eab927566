/* SPDX-License-Identifier: MIT */
/*
 * Streaming theme discovery at scale: N generated support texts (default
 * 1,000,000) across 30 topics, fed twice to a streaming trainer without
 * being stored (the generator is deterministic), reporting wall time, peak
 * memory of the whole process, and NMI/ARI against the generator's topics.
 *
 *   bench_themes_stream [--n N] [--k K] [--seed S]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "libci.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define PICK(arr, s) arr[rng_next(s) % (sizeof arr / sizeof arr[0])]

static const char *const topics[][4] = {
    {"my card has not arrived yet", "still waiting for my new card to be delivered", "when will my card arrive", "the card you posted never came"},
    {"i was charged twice for the same order", "there is a duplicate payment on my statement", "you took the money two times", "double charge on my account"},
    {"i cannot log in to the app", "forgot my password and the reset link does not work", "login keeps failing", "locked out of my account after password reset"},
    {"i want a refund for my order", "please refund the payment", "how long does a refund take", "still no refund after two weeks"},
    {"the app keeps crashing on startup", "app crashes every time i open it", "the mobile app freezes and closes", "crash after the latest update"},
    {"why is the exchange rate so bad", "wrong exchange rate applied to my payment", "currency conversion rate is too high", "what exchange rate do you use"},
    {"my transfer is still pending", "the bank transfer has not gone through", "transfer stuck in processing", "money sent but not received by the recipient"},
    {"how do i top up my account", "top up failed with my debit card", "my top up is not showing", "can i top up by bank transfer"},
    {"i lost my card", "my card was stolen please block it", "how do i freeze a lost card", "report stolen card"},
    {"my pin is blocked", "entered the wrong pin too many times", "how to unblock my pin", "pin locked at the atm"},
    {"the atm did not give me the cash", "cash withdrawal declined at the atm", "atm took my card", "withdrew money but the atm gave less"},
    {"i need to verify my identity", "identity verification keeps failing", "how long does id verification take", "upload documents to verify my account"},
    {"my card payment was declined", "card declined at the shop", "why was my payment rejected", "card does not work for online payments"},
    {"i want to close my account", "please delete my account and data", "how do i cancel my subscription", "cancel my membership today"},
    {"there is a fee i do not recognise", "why was i charged a fee", "unexpected fee on my statement", "what is this extra charge"},
    {"change my address", "update my personal details", "how do i change my phone number", "edit the name on my account"},
    {"contactless is not working", "tap to pay fails every time", "contactless payment declined", "my card does not work with contactless"},
    {"add money with apple pay", "google pay is not working with my card", "how to link my card to apple pay", "apple pay top up failed"},
    {"where is my virtual card", "how do i get a disposable virtual card", "virtual card not working online", "create a new virtual card"},
    {"the delivery was late", "my parcel is delayed", "order has not been shipped yet", "tracking shows no movement for days"},
    {"the item arrived damaged", "received a broken product", "package was crushed and the item is damaged", "screen cracked on arrival"},
    {"wrong item was delivered", "i received the wrong size", "you sent me someone else's order", "the colour is wrong"},
    {"customer service never replied", "no response to my emails", "waiting on hold for an hour", "nobody answers the support chat"},
    {"the website is down", "outage on your service", "cannot reach your servers", "the site returns an error page"},
    {"my direct debit failed", "direct debit was cancelled without notice", "why did my direct debit bounce", "set up a new direct debit"},
    {"interest rate on my savings", "how much interest do i earn", "savings account interest changed", "interest not paid this month"},
    {"i was overcharged on my bill", "the bill is higher than usual", "billing error on my invoice", "invoice amount is wrong"},
    {"the app is slow", "pages take forever to load", "performance is terrible since the update", "app lags when i scroll"},
    {"great service thank you", "the agent was very helpful", "thanks for sorting this out quickly", "love the new features"},
    {"suspicious transaction on my account", "i did not make this payment", "fraudulent charge on my card", "someone used my card without permission"},
};
static const char *const openers[] = {"", "hi, ", "hello, ", "hey ", "good morning, ", "excuse me, ", "urgent: ", ""};
static const char *const closers[] = {"", " please help", " asap", " thanks", "!!", "?", " this is ridiculous", " order 48213", " since monday", " again"};

static size_t gen(uint64_t *s, char *buf, size_t cap, int *topic)
{
    int t = (int)(rng_next(s) % 30);
    *topic = t;
    int n = snprintf(buf, cap, "%s%s%s", PICK(openers, s), topics[t][rng_next(s) % 4], PICK(closers, s));
    return (size_t)n;
}

static double comb2(double x) { return x * (x - 1) / 2; }

int main(int argc, char **argv)
{
    size_t n = 1000000;
    ci_theme_options o;
    ci_theme_options_init(&o);
    o.streaming = 1;
    o.k = 30;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--k") && i + 1 < argc) o.k = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) o.seed = (uint64_t)atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_themes_stream [--n N] [--k K] [--seed S]\n");
            return 2;
        }
    }
    printf("libci %s streaming themes: %zu generated texts, 30 topics, k=%u, batch %zu\n",
           ci_version_string(), n, o.k, o.batch_size);
    char buf[512];
    int topic;
    double t0 = now();
    ci_theme_trainer *t;
    if (ci_theme_trainer_new(&o, NULL, &t) != CI_OK)
        return 2;
    uint64_t s = 42;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = gen(&s, buf, sizeof buf, &topic);
        bytes += len;
        if (ci_theme_trainer_add(t, buf, len) != CI_OK)
            return 2;
    }
    double t1 = now();
    ci_status st = ci_theme_trainer_next_pass(t);
    if (st != CI_OK) {
        fprintf(stderr, "next_pass: %s\n", ci_status_string(st));
        return 2;
    }
    s = 42;
    for (size_t i = 0; i < n; i++) {
        size_t len = gen(&s, buf, sizeof buf, &topic);
        if (ci_theme_trainer_add(t, buf, len) != CI_OK)
            return 2;
    }
    ci_theme_model *m;
    if ((st = ci_theme_trainer_fit(t, &m)) != CI_OK) {
        fprintf(stderr, "fit: %s\n", ci_status_string(st));
        return 2;
    }
    double t2 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("pass 1 (vocabulary): %.2f s; pass 2 + fit: %.2f s; total %.2f s (%.1f MB of text per pass)\n",
           t1 - t0, t2 - t1, t2 - t0, (double)bytes / 1e6);
    printf("peak memory (max RSS of the process): %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    ci_theme_trainer_free(t);
    /* score on a sample assigned with the model */
    ci_theme_assigner *as;
    ci_theme_assigner_new(m, 0, NULL, &as);
    size_t k = ci_theme_model_count(m), sample = n < 100000 ? n : 100000;
    double *cont = calloc(30 * (k + 1), sizeof(double));
    s = 42;
    for (size_t i = 0; i < sample; i++) {
        size_t len = gen(&s, buf, sizeof buf, &topic);
        int th;
        ci_theme_assign(as, buf, len, CI_TIME_NONE, &th, NULL);
        cont[topic * (k + 1) + (size_t)(th < 0 ? (int)k : th)]++;
    }
    double N = (double)sample, mi = 0, ha = 0, hb = 0, sc = 0, sa = 0, sb = 0;
    for (size_t a = 0; a < 30; a++) {
        double ra = 0;
        for (size_t b = 0; b <= k; b++)
            ra += cont[a * (k + 1) + b];
        if (ra > 0) {
            ha -= ra / N * log(ra / N);
            sa += comb2(ra);
        }
    }
    for (size_t b = 0; b <= k; b++) {
        double rb = 0;
        for (size_t a = 0; a < 30; a++)
            rb += cont[a * (k + 1) + b];
        if (rb > 0) {
            hb -= rb / N * log(rb / N);
            sb += comb2(rb);
        }
        for (size_t a = 0; a < 30; a++) {
            double c = cont[a * (k + 1) + b], ra = 0;
            for (size_t q = 0; q <= k; q++)
                ra += cont[a * (k + 1) + q];
            if (c > 0)
                mi += c / N * log(c * N / (ra * rb));
            sc += comb2(c);
        }
    }
    double ex = sa * sb / comb2(N);
    printf("on %zu texts: NMI %.3f ARI %.3f against the generator's topics\n", sample,
           2 * mi / (ha + hb), (sc - ex) / ((sa + sb) / 2 - ex));
    for (size_t j = 0; j < k && j < 8; j++) {
        ci_theme_info info;
        ci_theme_info_init(&info);
        ci_theme_model_info(m, j, &info);
        printf("  theme %zu: %-30.*s %zu texts\n", j, (int)info.label_len, info.label, info.size);
    }
    free(cont);
    ci_theme_assigner_free(as);
    ci_theme_model_free(m);
    return 0;
}
