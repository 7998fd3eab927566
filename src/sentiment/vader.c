/* SPDX-License-Identifier: MIT */
/*
 * VADER-compatible scoring.
 *
 * Reproduces the rules of the reference implementation (vaderSentiment
 * 3.3.x, C.J. Hutto, MIT licence) closely enough to give its numbers,
 * including its quirks, because teams switching from it need the same
 * scores:
 *  - emoji are replaced by their description one code point at a time, so
 *    multi-code-point emoji keys never match, and no space is added after a
 *    description;
 *  - text is split on Python's str.split() whitespace and each word loses
 *    leading and trailing ASCII punctuation unless that leaves <= 2 code
 *    points;
 *  - the "but" rule rescales the *first* sentiment equal to each value
 *    (list.index), not the value's own position.
 * The rule constants and word lists below are VADER's; they are what makes
 * this mode compatible, not a lexicon.
 */
#include <math.h>
#include <string.h>
#include <utf8proc.h>

#include "../common/utf8-priv.h"
#include "sentiment-priv.h"

#define B_INCR 0.293
#define B_DECR (-0.293)
#define C_INCR 0.733
#define N_SCALAR (-0.74)

/* Sorted, for bsearch. */
static const char *const negate_words[] = {
    "ain't", "aint", "aren't", "arent", "can't", "cannot", "cant", "couldn't", "couldnt",
    "daren't", "darent", "despite", "didn't", "didnt", "doesn't", "doesnt", "don't", "dont",
    "hadn't", "hadnt", "hasn't", "hasnt", "haven't", "havent", "isn't", "isnt", "mightn't",
    "mightnt", "mustn't", "mustnt", "needn't", "neednt", "neither", "never", "none", "nope",
    "nor", "not", "nothing", "nowhere", "oughtn't", "oughtnt", "rarely", "seldom", "shan't",
    "shant", "shouldn't", "shouldnt", "uh-uh", "uhuh", "wasn't", "wasnt", "weren't", "werent",
    "without", "won't", "wont", "wouldn't", "wouldnt",
};

typedef struct scalar_word {
    const char *w;
    double v;
} scalar_word;

/* Single-word boosters and dampeners, sorted. */
static const scalar_word booster_words[] = {
    {"absolutely", B_INCR}, {"almost", B_DECR}, {"amazingly", B_INCR}, {"awfully", B_INCR},
    {"barely", B_DECR}, {"completely", B_INCR}, {"considerable", B_INCR},
    {"considerably", B_INCR}, {"decidedly", B_INCR}, {"deeply", B_INCR}, {"effing", B_INCR},
    {"enormous", B_INCR}, {"enormously", B_INCR}, {"entirely", B_INCR}, {"especially", B_INCR},
    {"exceptional", B_INCR}, {"exceptionally", B_INCR}, {"extreme", B_INCR},
    {"extremely", B_INCR}, {"fabulously", B_INCR}, {"flippin", B_INCR}, {"flipping", B_INCR},
    {"frackin", B_INCR}, {"fracking", B_INCR}, {"frickin", B_INCR}, {"fricking", B_INCR},
    {"friggin", B_INCR}, {"frigging", B_INCR}, {"fuckin", B_INCR}, {"fucking", B_INCR},
    {"fuggin", B_INCR}, {"fugging", B_INCR}, {"fully", B_INCR}, {"greatly", B_INCR},
    {"hardly", B_DECR}, {"hella", B_INCR}, {"highly", B_INCR}, {"hugely", B_INCR},
    {"incredible", B_INCR}, {"incredibly", B_INCR}, {"intensely", B_INCR},
    {"kind-of", B_DECR}, {"kinda", B_DECR}, {"kindof", B_DECR}, {"less", B_DECR},
    {"little", B_DECR}, {"major", B_INCR}, {"majorly", B_INCR}, {"marginal", B_DECR},
    {"marginally", B_DECR}, {"more", B_INCR}, {"most", B_INCR}, {"occasional", B_DECR},
    {"occasionally", B_DECR}, {"particularly", B_INCR}, {"partly", B_DECR}, {"purely", B_INCR},
    {"quite", B_INCR}, {"really", B_INCR}, {"remarkably", B_INCR}, {"scarce", B_DECR},
    {"scarcely", B_DECR}, {"slight", B_DECR}, {"slightly", B_DECR}, {"so", B_INCR},
    {"somewhat", B_DECR}, {"sort-of", B_DECR}, {"sorta", B_DECR}, {"sortof", B_DECR},
    {"substantially", B_INCR}, {"thoroughly", B_INCR}, {"total", B_INCR}, {"totally", B_INCR},
    {"tremendous", B_INCR}, {"tremendously", B_INCR}, {"uber", B_INCR},
    {"unbelievably", B_INCR}, {"unusually", B_INCR}, {"utter", B_INCR}, {"utterly", B_INCR},
    {"very", B_INCR},
};

/* Two- and three-word boosters, matched only by the idiom rule. */
static const scalar_word booster_ngrams[] = {
    {"just enough", B_DECR}, {"kind of", B_DECR}, {"sort of", B_DECR},
};

static const scalar_word special_cases[] = {
    {"the shit", 3}, {"the bomb", 3}, {"bad ass", 1.5}, {"badass", 1.5}, {"bus stop", 0.0},
    {"yeah right", -2}, {"kiss of death", -1.5}, {"to die for", 3}, {"beating heart", 3.1},
    {"broken heart", -2.9},
};

static int contains_nt(const char *s, size_t n)
{
    for (size_t k = 0; k + 3 <= n; k++)
        if (s[k] == 'n' && s[k + 1] == '\'' && s[k + 2] == 't')
            return 1;
    return 0;
}

/* Python's str.split() / str.strip() whitespace. */
static int py_space(uint32_t c)
{
    if (c < 0x80)
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int ascii_punct(uint8_t b)
{
    return (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) ||
           (b >= 0x7B && b <= 0x7E);
}

/* Decode one code point of well-formed UTF-8 (the working text always is). */
static inline size_t next_cp(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t l;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    ci_utf8_decode(p, n, cp, &l);
    return l;
}

/* Python str.isupper(): a cased character, and none lower or title case. */
static int py_isupper(const uint8_t *p, size_t n)
{
    int cased = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += next_cp(p + i, n - i, &cp);
        if (cp < 0x80) {
            if (cp >= 'a' && cp <= 'z')
                return 0;
            if (cp >= 'A' && cp <= 'Z')
                cased = 1;
            continue;
        }
        utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
        if (cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
            return 0;
        if (cat == UTF8PROC_CATEGORY_LU)
            cased = 1;
    }
    return cased;
}

/* ------------------------------------------------------------------------ */

typedef struct vword {
    uint32_t off, len;    /* the item in the working text */
    uint32_t loff, llen;  /* its lower-case form in the lower buffer */
    double lexval;
    uint8_t in_lex, upper, negated;
    double booster;       /* VADER booster scalar of the lower-case form, or 0 */
} vword;

#define W_IS(vs, k, lit) \
    ((vs)->words[k].llen == sizeof(lit) - 1 && \
     memcmp((vs)->lower + (vs)->words[k].loff, lit, sizeof(lit) - 1) == 0)

static ci_status put_bytes(ci_vader_scratch *vs, const ci_alloc *a, const void *src, size_t n)
{
    ci_status st = ci_grow(a, (void **)&vs->text, &vs->text_cap, vs->text_len + n, 1);
    if (st != CI_OK)
        return st;
    memcpy(vs->text + vs->text_len, src, n);
    vs->text_len += n;
    return CI_OK;
}

static ci_status add_seg(ci_vader_scratch *vs, const ci_alloc *a, size_t out, size_t src,
                         size_t src_len, int whole)
{
    void *segs = vs->segs;
    ci_status st = ci_grow(a, &segs, &vs->segs_cap, vs->nsegs + 1, sizeof(vseg));
    if (st != CI_OK)
        return st;
    vs->segs = segs;
    vseg *g = &vs->segs[vs->nsegs++];
    g->out = (uint32_t)out;
    g->src = (uint32_t)src;
    g->src_len = (uint32_t)src_len;
    g->whole = (uint8_t)whole;
    return CI_OK;
}

/* Step 1: valid UTF-8 with single-code-point emoji replaced by their
 * descriptions, as polarity_scores() does. */
static ci_status build_text(ci_vader_scratch *vs, const ci_alloc *a, const ci_lexicon *lex,
                            const uint8_t *p, size_t n)
{
    ci_status st;
    int prev_space = 1;
    vs->text_len = 0;
    vs->nsegs = 0;
    if ((st = ci_grow(a, (void **)&vs->text, &vs->text_cap, n + 16, 1)) != CI_OK)
        return st;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] < 0x80)
            run++;
        if (run > i) {
            if ((st = add_seg(vs, a, vs->text_len, i, run - i, 0)) != CI_OK ||
                (st = put_bytes(vs, a, p + i, run - i)) != CI_OK)
                return st;
            prev_space = p[run - 1] == ' ';
            i = run;
            continue;
        }
        uint32_t cp;
        size_t l;
        uint8_t enc[4];
        const uint8_t *bytes = p + i;
        size_t blen;
        if (ci_utf8_decode(p + i, n - i, &cp, &l) != CI_DEC_OK) {
            cp = CI_REPLACEMENT_CHAR;
            blen = ci_utf8_encode(cp, enc);
            bytes = enc;
        } else {
            blen = l;
        }
        size_t dlen;
        const char *desc = ci_lexicon_emoji(lex, (const char *)bytes, blen, &dlen);
        if (desc) {
            if (!prev_space && (st = put_bytes(vs, a, " ", 1)) != CI_OK)
                return st;
            if ((st = add_seg(vs, a, vs->text_len, i, l, 1)) != CI_OK ||
                (st = put_bytes(vs, a, desc, dlen)) != CI_OK)
                return st;
            prev_space = 0;
        } else {
            if ((st = add_seg(vs, a, vs->text_len, i, l, bytes != p + i)) != CI_OK ||
                (st = put_bytes(vs, a, bytes, blen)) != CI_OK)
                return st;
            prev_space = 0;
        }
        i += l;
    }
    return CI_OK;
}

static ci_status build_rules(ci_vader_scratch *vs, const ci_alloc *a)
{
    ci_status st;
    size_t nb = sizeof booster_words / sizeof *booster_words;
    size_t nn = sizeof negate_words / sizeof *negate_words;
    ci_strmap_init(&vs->rules, a);
    vs->rule_booster = ci_calloc(a, nb + nn, sizeof(double));
    vs->rule_negated = ci_calloc(a, nb + nn, 1);
    if (!vs->rule_booster || !vs->rule_negated)
        return CI_ERR_NOMEM;
    for (size_t k = 0; k < nb + nn; k++) {
        const char *w = k < nb ? booster_words[k].w : negate_words[k - nb];
        size_t idx;
        int added;
        if ((st = ci_strmap_put(&vs->rules, w, strlen(w), &idx, &added)) != CI_OK)
            return st;
        if (k < nb)
            vs->rule_booster[idx] = booster_words[k].v;
        else
            vs->rule_negated[idx] = 1;
    }
    vs->rules_ready = 1;
    return CI_OK;
}

/* Steps 2-4: strip, split, strip punctuation, lower-case, look up. */
static ci_status split_words(ci_vader_scratch *vs, const ci_alloc *a, const ci_lexicon *lex)
{
    const uint8_t *t = (const uint8_t *)vs->text;
    size_t n = vs->text_len, i = 0;
    ci_status st;
    vs->nwords = 0;
    vs->lower_len = 0;
    if ((st = ci_grow(a, (void **)&vs->lower, &vs->lower_cap, n * 2 + 16, 1)) != CI_OK)
        return st;
    while (i < n) {
        uint32_t cp;
        size_t l = next_cp(t + i, n - i, &cp);
        if (py_space(cp)) {
            i += l;
            continue;
        }
        size_t ws = i;
        while (i < n) {
            l = next_cp(t + i, n - i, &cp);
            if (py_space(cp))
                break;
            i += l;
        }
        size_t we = i;
        /* strip(string.punctuation), kept only if more than 2 code points remain */
        size_t s = ws, e = we;
        while (s < e && ascii_punct(t[s]))
            s++;
        while (e > s && ascii_punct(t[e - 1]))
            e--;
        size_t cps = 0;
        for (size_t k = s; k < e && cps <= 2; k++)
            cps += (t[k] & 0xC0) != 0x80;
        if (cps <= 2) {
            s = ws;
            e = we;
        }
        void *words = vs->words;
        if ((st = ci_grow(a, &words, &vs->words_cap, vs->nwords + 1, sizeof(vword))) != CI_OK)
            return st;
        vs->words = words;
        vword *w = &vs->words[vs->nwords++];
        memset(w, 0, sizeof *w);
        w->off = (uint32_t)s;
        w->len = (uint32_t)(e - s);
        w->upper = (uint8_t)py_isupper(t + s, e - s);
        /* lower(): ASCII directly, other code points through their simple
         * lower-case mapping (which can grow a character by at most 1 byte
         * per code point: hence the 2n reserve). */
        w->loff = (uint32_t)vs->lower_len;
        for (size_t k = s; k < e;) {
            if (t[k] < 0x80) {
                uint8_t c = t[k++];
                vs->lower[vs->lower_len++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
                continue;
            }
            k += next_cp(t + k, e - k, &cp);
            uint32_t lc = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
            vs->lower_len += ci_utf8_encode(lc, (uint8_t *)vs->lower + vs->lower_len);
        }
        w->llen = (uint32_t)(vs->lower_len - w->loff);
        const char *lw = vs->lower + w->loff;
        double v;
        w->in_lex = (uint8_t)ci_lexicon_raw_valence(lex, lw, w->llen, &v);
        w->lexval = w->in_lex ? v : 0.0;
        long r = ci_strmap_find(&vs->rules, lw, w->llen);
        w->booster = r >= 0 ? vs->rule_booster[r] : 0.0;
        w->negated = (uint8_t)((r >= 0 && vs->rule_negated[r]) || contains_nt(lw, w->llen));
    }
    return CI_OK;
}

static double scalar_inc_dec(const vword *w, double valence, int cap_diff)
{
    double scalar = 0.0;
    if (w->booster != 0.0) {
        scalar = w->booster;
        if (valence < 0)
            scalar *= -1;
        if (w->upper && cap_diff) {
            if (valence > 0)
                scalar += C_INCR;
            else
                scalar -= C_INCR;
        }
    }
    return scalar;
}

static double negation_check(const ci_vader_scratch *vs, double valence, int start_i, size_t i)
{
    const vword *w = vs->words;
    if (start_i == 0) {
        if (w[i - 1].negated)
            valence *= N_SCALAR;
    } else if (start_i == 1) {
        if (W_IS(vs, i - 2, "never") && (W_IS(vs, i - 1, "so") || W_IS(vs, i - 1, "this")))
            valence *= 1.25;
        else if (W_IS(vs, i - 2, "without") && W_IS(vs, i - 1, "doubt"))
            ;
        else if (w[i - 2].negated)
            valence *= N_SCALAR;
    } else {
        /* (never and (so or this)) or (so or this): VADER's precedence */
        if ((W_IS(vs, i - 3, "never") && (W_IS(vs, i - 2, "so") || W_IS(vs, i - 2, "this"))) ||
            W_IS(vs, i - 1, "so") || W_IS(vs, i - 1, "this"))
            valence *= 1.25;
        else if (W_IS(vs, i - 3, "without") && (W_IS(vs, i - 2, "doubt") || W_IS(vs, i - 1, "doubt")))
            ;
        else if (w[i - 3].negated)
            valence *= N_SCALAR;
    }
    return valence;
}

/* Does the word sequence starting at k spell phrase (words separated by
 * single spaces)? */
static int seq_is(const ci_vader_scratch *vs, size_t k, size_t count, const char *phrase)
{
    size_t plen = strlen(phrase), pos = 0;
    for (size_t j = 0; j < count; j++) {
        const vword *w = &vs->words[k + j];
        if (j) {
            if (pos >= plen || phrase[pos] != ' ')
                return 0;
            pos++;
        }
        if (pos + w->llen > plen || memcmp(phrase + pos, vs->lower + w->loff, w->llen) != 0)
            return 0;
        pos += w->llen;
    }
    return pos == plen;
}

static int special_case(const ci_vader_scratch *vs, size_t k, size_t count, double *v)
{
    for (size_t s = 0; s < sizeof special_cases / sizeof special_cases[0]; s++)
        if (seq_is(vs, k, count, special_cases[s].w)) {
            *v = special_cases[s].v;
            return 1;
        }
    return 0;
}

static double special_idioms_check(const ci_vader_scratch *vs, double valence, size_t i)
{
    double v;
    /* onezero, twoonezero, twoone, threetwoone, threetwo: first hit wins */
    if (special_case(vs, i - 1, 2, &v) || special_case(vs, i - 2, 3, &v) ||
        special_case(vs, i - 2, 2, &v) || special_case(vs, i - 3, 3, &v) ||
        special_case(vs, i - 3, 2, &v))
        valence = v;
    if (vs->nwords - 1 > i && special_case(vs, i, 2, &v))
        valence = v;
    if (vs->nwords - 1 > i + 1 && special_case(vs, i, 3, &v))
        valence = v;
    /* booster n-grams before the word: threetwoone, threetwo, twoone */
    static const struct { size_t back, count; } grams[] = {{3, 3}, {3, 2}, {2, 2}};
    for (size_t g = 0; g < 3; g++)
        for (size_t b = 0; b < sizeof booster_ngrams / sizeof booster_ngrams[0]; b++)
            if (seq_is(vs, i - grams[g].back, grams[g].count, booster_ngrams[b].w))
                valence += booster_ngrams[b].v;
    return valence;
}

static double least_check(const ci_vader_scratch *vs, double valence, size_t i)
{
    const vword *w = vs->words;
    if (i > 1 && !w[i - 1].in_lex && W_IS(vs, i - 1, "least")) {
        if (!W_IS(vs, i - 2, "at") && !W_IS(vs, i - 2, "very"))
            valence *= N_SCALAR;
    } else if (i > 0 && !w[i - 1].in_lex && W_IS(vs, i - 1, "least")) {
        valence *= N_SCALAR;
    }
    return valence;
}

static double word_valence(const ci_vader_scratch *vs, size_t i, int cap_diff)
{
    const vword *w = vs->words;
    size_t n = vs->nwords;
    if (!w[i].in_lex)
        return 0.0;
    double valence = w[i].lexval;
    if (W_IS(vs, i, "no") && i != n - 1 && w[i + 1].in_lex)
        valence = 0.0;
    if ((i > 0 && W_IS(vs, i - 1, "no")) || (i > 1 && W_IS(vs, i - 2, "no")) ||
        (i > 2 && W_IS(vs, i - 3, "no") && (W_IS(vs, i - 1, "or") || W_IS(vs, i - 1, "nor"))))
        valence = w[i].lexval * N_SCALAR;
    if (w[i].upper && cap_diff) {
        if (valence > 0)
            valence += C_INCR;
        else
            valence -= C_INCR;
    }
    for (int start_i = 0; start_i < 3; start_i++) {
        if (i > (size_t)start_i && !w[i - (size_t)start_i - 1].in_lex) {
            double s = scalar_inc_dec(&w[i - (size_t)start_i - 1], valence, cap_diff);
            if (start_i == 1 && s != 0)
                s *= 0.95;
            if (start_i == 2 && s != 0)
                s *= 0.9;
            valence += s;
            valence = negation_check(vs, valence, start_i, i);
            if (start_i == 2)
                valence = special_idioms_check(vs, valence, i);
        }
    }
    return least_check(vs, valence, i);
}

static void score_from(const double *sent, size_t n, const char *text, size_t tlen,
                       ci_vader_scores *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return;
    double sum = 0, pos = 0, neg = 0, neu = 0;
    for (size_t k = 0; k < n; k++) {
        sum += sent[k];
        if (sent[k] > 0)
            pos += sent[k] + 1;
        if (sent[k] < 0)
            neg += sent[k] - 1;
        if (sent[k] == 0)
            neu += 1;
    }
    size_t ep = 0, qm = 0;
    for (size_t k = 0; k < tlen; k++) {
        ep += text[k] == '!';
        qm += text[k] == '?';
    }
    ci_valence_scores(sum, pos, neg, neu, ep, qm, out);
}

void ci_valence_scores(double sum, double pos, double neg, double neu, size_t ep, size_t qm,
                       ci_vader_scores *out)
{
    double amp = (double)(ep > 4 ? 4 : ep) * 0.292;
    if (qm > 1)
        amp += qm <= 3 ? (double)qm * 0.18 : 0.96;
    if (sum > 0)
        sum += amp;
    else if (sum < 0)
        sum -= amp;
    double c = sum / sqrt(sum * sum + 15);
    out->compound = c < -1 ? -1 : c > 1 ? 1 : c;
    if (pos > fabs(neg))
        pos += amp;
    else if (pos < fabs(neg))
        neg -= amp;
    double total = pos + fabs(neg) + neu;
    out->pos = fabs(pos / total);
    out->neg = fabs(neg / total);
    out->neu = fabs(neu / total);
}

ci_status ci_vader_score(ci_vader_scratch *vs, const ci_alloc *a, const ci_lexicon *lex,
                         const char *text, size_t len, ci_vader_scores *out)
{
    ci_status st;
    if (!vs->rules_ready) {
        ci_strmap_free(&vs->rules);
        ci_dealloc(a, vs->rule_booster);
        ci_dealloc(a, vs->rule_negated);
        vs->rule_booster = NULL;
        vs->rule_negated = NULL;
        if ((st = build_rules(vs, a)) != CI_OK)
            return st;
    }
    if ((st = build_text(vs, a, lex, (const uint8_t *)text, len)) != CI_OK)
        return st;
    if ((st = split_words(vs, a, lex)) != CI_OK)
        return st;
    size_t n = vs->nwords;
    void *sent = vs->sent;
    if ((st = ci_grow(a, &sent, &vs->sent_cap, n + 1, sizeof(double))) != CI_OK)
        return st;
    vs->sent = sent;
    size_t upper = 0;
    for (size_t k = 0; k < n; k++)
        upper += vs->words[k].upper;
    int cap_diff = upper > 0 && upper < n; /* 0 < len - allcaps < len */

    for (size_t i = 0; i < n; i++) {
        if (vs->words[i].booster != 0.0 ||
            (i + 1 < n && W_IS(vs, i, "kind") && W_IS(vs, i + 1, "of"))) {
            vs->sent[i] = 0.0;
            continue;
        }
        vs->sent[i] = word_valence(vs, i, cap_diff);
    }
    /* "but": list.index() semantics, reproduced on purpose */
    size_t bi = n;
    for (size_t k = 0; k < n; k++)
        if (W_IS(vs, k, "but")) {
            bi = k;
            break;
        }
    if (bi < n) {
        for (size_t k = 0; k < n; k++) {
            double v = vs->sent[k];
            size_t si = 0;
            while (vs->sent[si] != v)
                si++;
            if (si < bi)
                vs->sent[si] = v * 0.5;
            else if (si > bi)
                vs->sent[si] = v * 1.5;
        }
    }
    /* Python strip() before counting punctuation changes nothing: the
     * stripped characters are whitespace. */
    score_from(vs->sent, n, vs->text, vs->text_len, out);
    return CI_OK;
}

void ci_vader_scratch_free(ci_vader_scratch *vs, const ci_alloc *a)
{
    ci_dealloc(a, vs->text);
    ci_dealloc(a, vs->lower);
    ci_dealloc(a, vs->words);
    ci_dealloc(a, vs->sent);
    ci_dealloc(a, vs->segs);
    ci_strmap_free(&vs->rules);
    ci_dealloc(a, vs->rule_booster);
    ci_dealloc(a, vs->rule_negated);
    memset(vs, 0, sizeof *vs);
}

/* Map a working-text offset to the caller's text. */
static const vseg *seg_at(const ci_vader_scratch *vs, size_t out)
{
    size_t lo = 0, hi = vs->nsegs;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (vs->segs[mid].out <= out)
            lo = mid;
        else
            hi = mid;
    }
    return &vs->segs[lo];
}

int ci_vader_word(const ci_vader_scratch *vs, size_t k, const char **term, size_t *term_len,
                  double *base, double *valence, uint64_t *src_off, size_t *src_len)
{
    const vword *w = &vs->words[k];
    if (!w->in_lex || w->booster != 0.0 || !vs->nsegs)
        return 0;
    *term = vs->lower + w->loff;
    *term_len = w->llen;
    *base = w->lexval;
    *valence = vs->sent[k];
    const vseg *a = seg_at(vs, w->off), *b = seg_at(vs, w->off + (w->len ? w->len - 1 : 0));
    size_t start = a->whole ? a->src : a->src + (w->off - a->out);
    size_t end = b->whole ? b->src + b->src_len : b->src + (w->off + w->len - b->out);
    *src_off = start;
    *src_len = end > start ? end - start : 0;
    return 1;
}
