/* SPDX-License-Identifier: MIT */
/* Lexicons: parsing, overlay, lookups.  A lexicon is built completely in a
 * private object and only handed out when every line was accepted, so a bad
 * file never leaves anything half-loaded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../common/diag-priv.h"
#include "../tokenizer/normalize-priv.h"
#include "sentiment-priv.h"

/* The built-in lexicon source, generated at build time from data/lexicon. */
extern const char ci_builtin_lexicon[];
extern const size_t ci_builtin_lexicon_len;

static ci_status lex_alloc(const ci_alloc *a, ci_lexicon **out)
{
    ci_lexicon *l = ci_calloc(a, 1, sizeof *l);
    if (!l)
        return CI_ERR_NOMEM;
    l->a = *a;
    ci_strmap_init(&l->raw, a);
    ci_strmap_init(&l->norm, a);
    ci_strmap_init(&l->emoji, a);
    ci_strmap_init(&l->intents, a);
    *out = l;
    return CI_OK;
}

CI_API void ci_lexicon_free(ci_lexicon *lex)
{
    if (!lex)
        return;
    ci_alloc a = lex->a;
    ci_strmap_free(&lex->raw);
    ci_strmap_free(&lex->norm);
    ci_strmap_free(&lex->emoji);
    ci_strmap_free(&lex->intents);
    ci_u64map_free(&lex->phrase_next, &a);
    ci_u64map_free(&lex->intent_next, &a);
    ci_dealloc(&a, lex->intent_bits);
    ci_dealloc(&a, lex->phrase_sig);
    ci_dealloc(&a, lex->intent_sig);
    ci_dealloc(&a, lex->words);
    ci_dealloc(&a, lex->intent_first);
    ci_dealloc(&a, lex->intent_strength);
    ci_dealloc(&a, lex->raw_vals);
    ci_dealloc(&a, lex->norm_vals);
    ci_dealloc(&a, lex->emoji_desc);
    ci_dealloc(&a, lex->emoji_desc_len);
    ci_dealloc(&a, lex->desc);
    ci_dealloc(&a, lex);
}

/* ------------------------------------------------------------------------ */
/*  Inserting                                                               */
/* ------------------------------------------------------------------------ */

static ci_status put_value(ci_strmap *m, lex_value **vals, size_t *cap, const ci_alloc *a,
                           const char *key, size_t len, lex_value **slot, int *added)
{
    size_t idx;
    ci_status st = ci_strmap_put(m, key, len, &idx, added);
    if (st != CI_OK)
        return st;
    void *v = *vals;
    if ((st = ci_grow(a, &v, cap, m->count, sizeof(lex_value))) != CI_OK)
        return st; /* the key stays, with a zeroed value: harmless, the object is discarded */
    *vals = v;
    if (*added)
        memset(&(*vals)[idx], 0, sizeof(lex_value));
    *slot = &(*vals)[idx];
    return CI_OK;
}

/* Normalize a key like the tokenizer would, and fold runs of whitespace to
 * one space, so that phrases match token sequences. */
static ci_status norm_key(ci_norm_buf *nb, const ci_alloc *a, const char *key, size_t len,
                          char *out, size_t *out_len, unsigned *words)
{
    const char *n;
    size_t nl;
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)key[i] >= 0x80)
            ascii = 0;
    ci_status st = ci_norm_token(nb, a, (const uint8_t *)key, len, ascii, 0, 0, &n, &nl);
    if (st != CI_OK)
        return st;
    if (nl > CI_LEXICON_MAX_TERM * 4)
        return CI_ERR_LIMIT;
    size_t o = 0;
    unsigned w = 0;
    int space = 1;
    for (size_t i = 0; i < nl; i++) {
        if (n[i] == ' ' || n[i] == '\t') {
            space = 1;
            continue;
        }
        if (space && o) {
            out[o++] = ' ';
        }
        if (space)
            w++;
        space = 0;
        out[o++] = n[i];
    }
    *out_len = o;
    *words = w;
    return CI_OK;
}

/* Add a term to both maps.  kind: LEX_VALENCE, LEX_BOOSTER or LEX_NEGATOR. */
static ci_status add_term(ci_lexicon *l, ci_norm_buf *nb, const char *key, size_t len,
                         unsigned kind, double value)
{
    ci_status st;
    lex_value *v;
    int added;
    if (kind == LEX_VALENCE) {
        if ((st = put_value(&l->raw, &l->raw_vals, &l->raw_vals_cap, &l->a, key, len, &v,
                            &added)) != CI_OK)
            return st;
        v->valence = value;
        v->flags |= LEX_VALENCE;
    }
    char nk[CI_LEXICON_MAX_TERM * 4 + 8];
    size_t nkl;
    unsigned words;
    if ((st = norm_key(nb, &l->a, key, len, nk, &nkl, &words)) != CI_OK)
        return st;
    if (nkl == 0)
        return CI_OK;
    if ((st = put_value(&l->norm, &l->norm_vals, &l->norm_vals_cap, &l->a, nk, nkl, &v,
                        &added)) != CI_OK)
        return st;
    if (kind == LEX_VALENCE) {
        if (!(v->flags & LEX_VALENCE))
            l->n_valence++;
        v->valence = value;
    } else if (kind == LEX_BOOSTER) {
        v->scalar = (float)value;
    }
    v->flags |= (uint8_t)kind;
    if (words > l->max_phrase_words)
        l->max_phrase_words = words;
    /* Every proper prefix of a phrase is marked, so the scorer only tries a
     * longer match where one can exist. */
    for (size_t i = 0; i < nkl; i++) {
        if (nk[i] != ' ')
            continue;
        if ((st = put_value(&l->norm, &l->norm_vals, &l->norm_vals_cap, &l->a, nk, i, &v,
                            &added)) != CI_OK)
            return st;
        v->flags |= LEX_PREFIX;
    }
    return CI_OK;
}

static ci_status add_emoji(ci_lexicon *l, const char *key, size_t klen, const char *desc,
                           size_t dlen)
{
    size_t idx;
    int added;
    ci_status st = ci_strmap_put(&l->emoji, key, klen, &idx, &added);
    if (st != CI_OK)
        return st;
    size_t cap = l->emoji_desc_cap;
    void *off = l->emoji_desc, *lens = l->emoji_desc_len;
    if ((st = ci_grow(&l->a, &off, &cap, l->emoji.count, sizeof(uint32_t))) != CI_OK)
        return st;
    l->emoji_desc = off;
    cap = l->emoji_desc_cap;
    if ((st = ci_grow(&l->a, &lens, &cap, l->emoji.count, sizeof(uint32_t))) != CI_OK)
        return st;
    l->emoji_desc_len = lens;
    l->emoji_desc_cap = cap;
    if (l->desc_len + dlen > UINT32_MAX)
        return CI_ERR_LIMIT;
    void *d = l->desc;
    if ((st = ci_grow(&l->a, &d, &l->desc_cap, l->desc_len + dlen + 1, 1)) != CI_OK)
        return st;
    l->desc = d;
    memcpy(l->desc + l->desc_len, desc, dlen);
    l->emoji_desc[idx] = (uint32_t)l->desc_len;
    l->emoji_desc_len[idx] = (uint32_t)dlen;
    l->desc_len += dlen;
    return CI_OK;
}

static const char *const intent_names[CI_INTENT_COUNT_V1] = {
    "confusion", "frustration", "urgency", "churn", "praise", "effort",
};

static ci_status add_intent(ci_lexicon *l, ci_norm_buf *nb, int intent, const char *pat,
                            size_t len, float strength)
{
    char nk[CI_LEXICON_MAX_TERM * 4 + 8];
    size_t nkl, idx;
    unsigned words;
    int added;
    ci_status st = norm_key(nb, &l->a, pat, len, nk, &nkl, &words);
    if (st != CI_OK)
        return st;
    if ((st = ci_strmap_put(&l->intents, nk, nkl, &idx, &added)) != CI_OK)
        return st;
    void *v = l->intent_strength;
    if ((st = ci_grow(&l->a, &v, &l->intent_cap, l->intents.count, sizeof *l->intent_strength)) != CI_OK)
        return st;
    l->intent_strength = v;
    if (added)
        memset(l->intent_strength[idx], 0, sizeof l->intent_strength[idx]);
    l->intent_strength[idx][intent] = strength;
    if (words > l->max_intent_words)
        l->max_intent_words = words;
    /* Register every proper prefix (with no strength) so that matching can
     * stop a walk as soon as no pattern continues it. */
    for (size_t i = 0; i < nkl; i++) {
        if (nk[i] != ' ')
            continue;
        if ((st = ci_strmap_put(&l->intents, nk, i, &idx, &added)) != CI_OK)
            return st;
        v = l->intent_strength;
        if ((st = ci_grow(&l->a, &v, &l->intent_cap, l->intents.count, sizeof *l->intent_strength)) != CI_OK)
            return st;
        l->intent_strength = v;
        if (added)
            memset(l->intent_strength[idx], 0, sizeof l->intent_strength[idx]);
    }
    return CI_OK;
}

/* Copy everything of base into l (l is empty). */
static ci_status copy_from(ci_lexicon *l, const ci_lexicon *base)
{
    ci_status st;
    ci_norm_buf nb = {0};
    (void)nb;
    for (size_t i = 0; i < base->raw.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&base->raw, i, &kl);
        lex_value *v;
        int added;
        if ((st = put_value(&l->raw, &l->raw_vals, &l->raw_vals_cap, &l->a, k, kl, &v, &added)) != CI_OK)
            return st;
        *v = base->raw_vals[i];
    }
    for (size_t i = 0; i < base->norm.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&base->norm, i, &kl);
        lex_value *v;
        int added;
        if ((st = put_value(&l->norm, &l->norm_vals, &l->norm_vals_cap, &l->a, k, kl, &v, &added)) != CI_OK)
            return st;
        *v = base->norm_vals[i];
    }
    l->n_valence = base->n_valence;
    l->max_phrase_words = base->max_phrase_words;
    for (size_t i = 0; i < base->emoji.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&base->emoji, i, &kl);
        if ((st = add_emoji(l, k, kl, base->desc + base->emoji_desc[i], base->emoji_desc_len[i])) != CI_OK)
            return st;
    }
    for (size_t i = 0; i < base->intents.count; i++) {
        size_t kl, idx;
        int added;
        const char *k = ci_strmap_key(&base->intents, i, &kl);
        if ((st = ci_strmap_put(&l->intents, k, kl, &idx, &added)) != CI_OK)
            return st;
        void *v = l->intent_strength;
        if ((st = ci_grow(&l->a, &v, &l->intent_cap, l->intents.count, sizeof *l->intent_strength)) != CI_OK)
            return st;
        l->intent_strength = v;
        memcpy(l->intent_strength[idx], base->intent_strength[i], sizeof l->intent_strength[idx]);
    }
    l->max_intent_words = base->max_intent_words;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Parsing                                                                 */
/* ------------------------------------------------------------------------ */

/* A decimal such as "-1.5" or "0.293", without locale: strtod would read
 * "1,5" under a host's LC_NUMERIC.  Exact for up to 15 significant digits
 * (one correctly rounded division of two exact doubles), which gives the
 * same double as Python's float() on VADER's files. */
static int parse_decimal(const char *s, size_t n, double *out)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = 0;
    while (i < n && s[i] == ' ')
        i++;
    while (n > i && s[n - 1] == ' ')
        n--;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, frac = 0, seen = 0, dot = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return 0;
        seen = 1;
        if (mant == 0 && c == '0') {
            if (dot)
                frac++;
            continue;
        }
        if (++digits > 15)
            return 0;
        mant = mant * 10 + (uint64_t)(c - '0');
        if (dot)
            frac++;
    }
    if (!seen || frac > 22)
        return 0;
    double v = (double)mant / p10[frac];
    *out = neg ? -v : v;
    return 1;
}

static ci_status parse_text(ci_lexicon *l, const char *data, size_t len, int format,
                            ci_diag *diag)
{
    ci_status st = CI_OK;
    ci_norm_buf nb = {0};
    size_t pos = 0;
    int64_t line = 0;
    if (format == CI_LEXICON_AUTO) {
        /* Decide from the first entry: VADER's lines carry 3+ fields. */
        format = CI_LEXICON_SIMPLE;
        size_t p = 0;
        while (p < len) {
            const char *nl = memchr(data + p, '\n', len - p);
            size_t e = nl ? (size_t)(nl - data) : len;
            if (e > p && !(data[p] == '#' && (e == p + 1 || data[p + 1] == ' ')) &&
                data[p] != '\r') {
                int tabs = 0;
                for (size_t k = p; k < e; k++)
                    tabs += data[k] == '\t';
                format = tabs >= 2 && data[p] != '@' ? CI_LEXICON_VADER : CI_LEXICON_SIMPLE;
                break;
            }
            p = e + 1;
        }
    }
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        const char *s = data + pos;
        size_t n = end - pos;
        pos = end + 1;
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        if (format != CI_LEXICON_VADER && s[0] == '#' && (n == 1 || s[1] == ' '))
            continue;
        /* Up to four tab-separated fields. */
        const char *f[4] = {NULL, NULL, NULL, NULL};
        size_t fl[4] = {0, 0, 0, 0};
        int nf = 0;
        size_t k = 0;
        while (nf < 4) {
            const char *tab = memchr(s + k, '\t', n - k);
            size_t e = tab ? (size_t)(tab - s) : n;
            f[nf] = s + k;
            fl[nf] = e - k;
            nf++;
            if (!tab)
                break;
            k = e + 1;
        }
        size_t bad;
        if (ci_utf8_validate(s, n, &bad) != CI_OK) {
            st = ci_diag_set(diag, CI_ERR_UTF8, -1, line, (uint64_t)(s - data) + bad,
                             "line %lld: invalid UTF-8", (long long)line);
            goto out;
        }
        if (format == CI_LEXICON_EMOJI) {
            if (nf < 2 || fl[0] == 0) {
                st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                                 "line %lld: expected 'emoji<TAB>description'", (long long)line);
                goto out;
            }
            if (fl[0] > CI_LEXICON_MAX_TERM || fl[1] > 4096) {
                st = ci_diag_set(diag, CI_ERR_LIMIT, -1, line, (uint64_t)(s - data),
                                 "line %lld: entry too long", (long long)line);
                goto out;
            }
            /* VADER strips the line, so trailing blanks of a last field go */
            size_t dl = fl[1];
            while (nf == 2 && dl && (f[1][dl - 1] == ' ' || f[1][dl - 1] == '\t'))
                dl--;
            if ((st = add_emoji(l, f[0], fl[0], f[1], dl)) != CI_OK)
                goto fail;
            continue;
        }
        unsigned kind = LEX_VALENCE;
        const char *term = f[0], *num = nf > 1 ? f[1] : NULL;
        size_t tl = fl[0], numl = nf > 1 ? fl[1] : 0;
        if (format == CI_LEXICON_SIMPLE && s[0] == '@') {
            if (fl[0] == 8 && memcmp(s, "@booster", 8) == 0)
                kind = LEX_BOOSTER;
            else if (fl[0] == 9 && memcmp(s, "@dampener", 9) == 0)
                kind = LEX_BOOSTER;
            else if (fl[0] == 8 && memcmp(s, "@negator", 8) == 0)
                kind = LEX_NEGATOR;
            else if (fl[0] == 7 && memcmp(s, "@intent", 7) == 0) {
                /* @intent TAB name TAB pattern TAB strength */
                int which = -1;
                for (int k2 = 0; nf == 4 && k2 < CI_INTENT_COUNT_V1; k2++)
                    if (strlen(intent_names[k2]) == fl[1] && memcmp(f[1], intent_names[k2], fl[1]) == 0)
                        which = k2;
                double sv;
                if (which < 0 || fl[2] == 0 || fl[2] > CI_LEXICON_MAX_TERM ||
                    !parse_decimal(f[3], fl[3], &sv) || sv <= 0 || sv > 1) {
                    st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                                     "line %lld: expected '@intent<TAB>name<TAB>pattern<TAB>strength' "
                                     "with a known intent and a strength in (0, 1]", (long long)line);
                    goto out;
                }
                if ((st = add_intent(l, &nb, which, f[2], fl[2], (float)sv)) != CI_OK)
                    goto fail;
                continue;
            } else {
                st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                                 "line %lld: unknown directive '%.*s'", (long long)line,
                                 (int)(fl[0] > 40 ? 40 : fl[0]), s);
                goto out;
            }
            if (nf < (kind == LEX_NEGATOR ? 2 : 3)) {
                st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                                 "line %lld: directive needs %s", (long long)line,
                                 kind == LEX_NEGATOR ? "a term" : "a term and a scalar");
                goto out;
            }
            term = f[1];
            tl = fl[1];
            num = kind == LEX_NEGATOR ? NULL : f[2];
            numl = kind == LEX_NEGATOR ? 0 : fl[2];
        } else if (nf < 2) {
            st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                             "line %lld: expected 'term<TAB>valence'", (long long)line);
            goto out;
        } else if (format == CI_LEXICON_SIMPLE && nf > 2) {
            st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                             "line %lld: extra field after the valence", (long long)line);
            goto out;
        }
        if (tl == 0) {
            st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(s - data),
                             "line %lld: empty term", (long long)line);
            goto out;
        }
        if (tl > CI_LEXICON_MAX_TERM) {
            st = ci_diag_set(diag, CI_ERR_LIMIT, -1, line, (uint64_t)(s - data),
                             "line %lld: term longer than %d bytes", (long long)line,
                             CI_LEXICON_MAX_TERM);
            goto out;
        }
        double v = 1.0;
        if (num) {
            if (!parse_decimal(num, numl, &v)) {
                st = ci_diag_set(diag, CI_ERR_FORMAT, -1, line, (uint64_t)(num - data),
                                 "line %lld: '%.*s' is not a decimal number", (long long)line,
                                 (int)(numl > 40 ? 40 : numl), num);
                goto out;
            }
            double lim = kind == LEX_BOOSTER ? 4.0 : 4.0;
            if (v < -lim || v > lim) {
                st = ci_diag_set(diag, CI_ERR_RANGE, -1, line, (uint64_t)(num - data),
                                 "line %lld: %g is outside [-4, 4]", (long long)line, v);
                goto out;
            }
        }
        if ((st = add_term(l, &nb, term, tl, kind, v)) != CI_OK)
            goto fail;
    }
    goto out;
fail:
    st = ci_diag_set(diag, st, -1, line, 0, "line %lld: %s", (long long)line, ci_status_string(st));
out:
    ci_norm_buf_free(&nb, &l->a);
    return st;
}

/* Inflate gzip data through the lexicon's allocator. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    return ci_calloc((const ci_alloc *)opaque, items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    ci_dealloc((const ci_alloc *)opaque, p);
}

static ci_status gunzip(const ci_alloc *a, const char *data, size_t len, char **out,
                        size_t *out_len, ci_diag *diag)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    zs.opaque = (voidpf)a;
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return ci_diag_set(diag, CI_ERR_NOMEM, -1, -1, 0, "cannot start gzip decoder");
    size_t cap = len * 4 + 4096, n = 0;
    char *buf = NULL;
    ci_status st = CI_OK;
    zs.next_in = (Bytef *)(uintptr_t)data;
    int zr = Z_OK;
    size_t in_left = len;
    while (zr != Z_STREAM_END) {
        if (n == cap || !buf) {
            if (cap > CI_LEXICON_MAX_INPUT)
                cap = CI_LEXICON_MAX_INPUT;
            if (n >= CI_LEXICON_MAX_INPUT) {
                st = ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0,
                                 "gzip data expands beyond %u bytes", CI_LEXICON_MAX_INPUT);
                break;
            }
            size_t ncap = buf ? (cap * 2 > CI_LEXICON_MAX_INPUT ? CI_LEXICON_MAX_INPUT : cap * 2) : cap;
            char *nb = ci_realloc(a, buf, ncap);
            if (!nb) {
                st = CI_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        uInt chunk_in = in_left > 1u << 30 ? 1u << 30 : (uInt)in_left;
        zs.avail_in = chunk_in;
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(cap - n > 1u << 30 ? 1u << 30 : cap - n);
        uInt before_out = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        in_left -= chunk_in - zs.avail_in;
        n += before_out - zs.avail_out;
        if (zr == Z_MEM_ERROR) {
            st = CI_ERR_NOMEM;
            break;
        }
        if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
            st = ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, zs.total_in,
                             "corrupt gzip data at byte %lu", (unsigned long)zs.total_in);
            break;
        }
        if (zr == Z_BUF_ERROR || (zr == Z_OK && in_left == 0 && zs.avail_out != 0)) {
            st = ci_diag_set(diag, CI_ERR_FORMAT, -1, -1, len, "truncated gzip data");
            break;
        }
    }
    inflateEnd(&zs);
    if (st != CI_OK) {
        ci_dealloc(a, buf);
        return st;
    }
    *out = buf;
    *out_len = n;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  The scorer's index                                                      */
/* ------------------------------------------------------------------------ */

/* The norm entry of word (added without flags when missing). */
static ci_status word_entry(ci_lexicon *l, const char *w, size_t n, uint32_t *entry)
{
    lex_value *v;
    int added;
    ci_status st = put_value(&l->norm, &l->norm_vals, &l->norm_vals_cap, &l->a, w, n, &v, &added);
    if (st != CI_OK)
        return st;
    if (l->norm.count - 1 > UINT32_MAX - 2)
        return CI_ERR_LIMIT;
    *entry = (uint32_t)(v - l->norm_vals);
    return CI_OK;
}

/* Fill l->words with the short norm keys (see ci_lexicon). */
static ci_status index_words(ci_lexicon *l)
{
    size_t n = 0, nslots = 16;
    unsigned bits = 4;
    for (size_t i = 0; i < l->norm.count; i++)
        n += l->norm.entries[i].len <= LEX_WORD_MAX;
    while (nslots < 2 * n) { /* load at most 1/2 */
        nslots *= 2;
        bits++;
    }
    ci_dealloc(&l->a, l->words);
    if (!(l->words = ci_malloc(&l->a, nslots * sizeof *l->words)))
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < nslots; i++)
        l->words[i] = (lex_word_slot){0, 0, UINT32_MAX, -1};
    l->words_mask = nslots - 1;
    l->words_shift = 64 - bits;
    for (size_t e = 0; e < l->norm.count; e++) {
        size_t kl;
        const char *k = ci_strmap_key(&l->norm, e, &kl);
        if (kl > LEX_WORD_MAX)
            continue;
        uint64_t k0, k1;
        ci_lex_key16(k, kl, &k0, &k1);
        size_t i = (size_t)(ci_lex_key_hash(k0, k1, kl) >> l->words_shift);
        while (l->words[i].len != UINT32_MAX)
            i = (i + 1) & l->words_mask;
        l->words[i] = (lex_word_slot){k0, k1, (uint32_t)kl, (int32_t)e};
    }
    return CI_OK;
}

/* The signatures of a step map whose keys are from << 32 | word, with
 * from < nfrom (see ci_lexicon.phrase_sig).  "*" steps are not in them. */
static ci_status step_sigs(const ci_alloc *a, const u64map *m, size_t nfrom, uint64_t **sig)
{
    ci_dealloc(a, *sig);
    if (!(*sig = ci_calloc(a, nfrom, sizeof **sig)))
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < m->nslots; i++) {
        if (!m->slots[i].val)
            continue;
        uint64_t from = m->slots[i].key >> 32;
        uint32_t word = (uint32_t)m->slots[i].key;
        if (from >= nfrom)
            return CI_ERR_FORMAT; /* as lex_index: steps are built from entries */
        if (word != LEX_ANY_WORD)
            (*sig)[from] |= (uint64_t)1 << ci_lex_sig_bit(word);
    }
    return CI_OK;
}

/* Offset of the last space in k[0..n), or n when there is none. */
static size_t last_space(const char *k, size_t n)
{
    size_t i = n;
    while (i > 0 && k[i - 1] != ' ')
        i--;
    return i ? i - 1 : n;
}

/* Build what the scorer looks up once the entries are final: the rule
 * words' bits, and the phrase and intent steps (see ci_lexicon). */
static ci_status lex_index(ci_lexicon *l)
{
    static const struct {
        const char *w;
        uint8_t rules;
    } rule_words[] = {
        {"but", RULE_BUT},        {"however", RULE_BUT}, {"never", RULE_NEVER},
        {"so", RULE_SO_THIS},     {"this", RULE_SO_THIS}, {"without", RULE_WITHOUT},
        {"doubt", RULE_DOUBT},    {"least", RULE_LEAST}, {"at", RULE_AT_VERY},
        {"very", RULE_AT_VERY},
    };
    ci_status st;
    uint32_t e, p;
    for (size_t i = 0; i < sizeof rule_words / sizeof *rule_words; i++) {
        if ((st = word_entry(l, rule_words[i].w, strlen(rule_words[i].w), &e)) != CI_OK)
            return st;
        l->norm_vals[e].rules = rule_words[i].rules;
    }
    /* phrases: "a b c" is the step ("a b", "c"); its prefixes are entries */
    ci_u64map_clear(&l->phrase_next);
    size_t nkeys = l->norm.count; /* what is added below are single words */
    for (size_t i = 0; i < nkeys; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&l->norm, i, &kl);
        size_t sp = last_space(k, kl);
        if (sp == kl)
            continue;
        long pe = ci_strmap_find(&l->norm, k, sp);
        if (pe < 0)
            return CI_ERR_FORMAT; /* add_term registers every prefix */
        /* a copy: adding the word may move the arena k points into */
        char w[CI_LEXICON_MAX_TERM * 4 + 8];
        if (kl - sp - 1 > sizeof w)
            return CI_ERR_LIMIT;
        memcpy(w, k + sp + 1, kl - sp - 1);
        if ((st = word_entry(l, w, kl - sp - 1, &e)) != CI_OK ||
            (st = ci_u64map_reserve(&l->phrase_next, &l->a, 1)) != CI_OK)
            return st;
        int added;
        ci_u64map_put(&l->phrase_next, ((uint64_t)pe + 1) << 32 | e, (uint32_t)i, &added);
    }
    ci_u64map_clear(&l->intent_next);
    ci_dealloc(&l->a, l->intent_bits);
    if (!(l->intent_bits = ci_calloc(&l->a, l->intents.count + 1, 1)))
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < l->intents.count; i++) {
        for (int q = 0; q < CI_INTENT_COUNT; q++)
            if (l->intent_strength[i][q] > 0)
                l->intent_bits[i + 1] |= INTENT_STRONG;
        size_t kl;
        const char *k = ci_strmap_key(&l->intents, i, &kl);
        size_t sp = last_space(k, kl);
        const char *w = sp == kl ? k : k + sp + 1;
        size_t wl = sp == kl ? kl : kl - sp - 1;
        p = 0;
        if (sp != kl) {
            long pi = ci_strmap_find(&l->intents, k, sp);
            if (pi < 0)
                return CI_ERR_FORMAT; /* add_intent registers every prefix */
            p = (uint32_t)pi + 1;
        }
        if (wl == 1 && w[0] == '*') {
            e = LEX_ANY_WORD;
            l->intent_bits[p] |= INTENT_STAR;
        } else if ((st = word_entry(l, w, wl, &e)) != CI_OK) {
            return st;
        }
        if ((st = ci_u64map_reserve(&l->intent_next, &l->a, 1)) != CI_OK)
            return st;
        int added;
        ci_u64map_put(&l->intent_next, (uint64_t)p << 32 | e, (uint32_t)i, &added);
    }
    /* no word is added from here on */
    ci_dealloc(&l->a, l->intent_first);
    if (!(l->intent_first = ci_calloc(&l->a, l->norm.count + 1, sizeof(uint32_t))))
        return CI_ERR_NOMEM;
    for (size_t i = 0; i < l->intents.count; i++) {
        size_t kl;
        const char *k = ci_strmap_key(&l->intents, i, &kl);
        if (last_space(k, kl) != kl || (kl == 1 && k[0] == '*'))
            continue; /* not a first step on a word */
        l->intent_first[ci_strmap_find(&l->norm, k, kl) + 1] = (uint32_t)i + 1; /* added above */
    }
    if ((st = step_sigs(&l->a, &l->phrase_next, l->norm.count + 1, &l->phrase_sig)) != CI_OK ||
        (st = step_sigs(&l->a, &l->intent_next, l->intents.count + 1, &l->intent_sig)) != CI_OK)
        return st;
    return index_words(l);
}

static ci_status new_lexicon(const ci_allocator *alloc, const ci_lexicon *base, ci_lexicon **out)
{
    ci_alloc a;
    ci_status st;
    if (alloc || !base) {
        if ((st = ci_alloc_resolve(alloc, &a)) != CI_OK)
            return CI_ERR_INVALID;
    } else {
        a = base->a;
    }
    ci_lexicon *l;
    if ((st = lex_alloc(&a, &l)) != CI_OK)
        return st;
    if (base && (st = copy_from(l, base)) != CI_OK) {
        ci_lexicon_free(l);
        return st;
    }
    *out = l;
    return CI_OK;
}

CI_API ci_status ci_lexicon_load_buffer(const ci_lexicon *base, const char *data, size_t len,
                                        int format, const ci_allocator *alloc,
                                        ci_lexicon **out, ci_diag *diag)
{
    if (!out)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "out is NULL");
    *out = NULL;
    if (!data && len)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "data is NULL");
    if (format < CI_LEXICON_AUTO || format > CI_LEXICON_EMOJI)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "unknown format %d", format);
    if (len > CI_LEXICON_MAX_INPUT)
        return ci_diag_set(diag, CI_ERR_LIMIT, -1, -1, 0, "input larger than %u bytes",
                           CI_LEXICON_MAX_INPUT);
    ci_lexicon *l;
    ci_status st = new_lexicon(alloc, base, &l);
    if (st != CI_OK)
        return ci_diag_set(diag, st, -1, -1, 0, "%s", ci_status_string(st));
    char *plain = NULL;
    if (len >= 2 && (uint8_t)data[0] == 0x1F && (uint8_t)data[1] == 0x8B) {
        size_t plen = 0;
        if ((st = gunzip(&l->a, data, len, &plain, &plen, diag)) != CI_OK) {
            ci_lexicon_free(l);
            if (st == CI_ERR_NOMEM)
                ci_diag_set(diag, st, -1, -1, 0, "out of memory");
            return st;
        }
        data = plain;
        len = plen;
    }
    st = parse_text(l, data, len, format, diag);
    ci_dealloc(&l->a, plain);
    if (st == CI_OK && (st = lex_index(l)) != CI_OK)
        ci_diag_set(diag, st, -1, -1, 0, "%s", ci_status_string(st));
    if (st != CI_OK) {
        ci_lexicon_free(l);
        return st;
    }
    if (diag && diag->struct_size >= sizeof(ci_diag))
        ci_diag_init(diag);
    *out = l;
    return CI_OK;
}

CI_API ci_status ci_lexicon_load_file(const ci_lexicon *base, const char *path, int format,
                                      const ci_allocator *alloc, ci_lexicon **out,
                                      ci_diag *diag)
{
    if (!out || !path)
        return ci_diag_set(diag, CI_ERR_INVALID, -1, -1, 0, "NULL argument");
    *out = NULL;
    ci_alloc a;
    if (alloc || !base) {
        if (ci_alloc_resolve(alloc, &a) != CI_OK)
            return CI_ERR_INVALID;
    } else {
        a = base->a;
    }
    char *buf;
    size_t n;
    ci_status st = ci_read_file(&a, path, CI_LEXICON_MAX_INPUT, &buf, &n, diag);
    if (st == CI_OK)
        st = ci_lexicon_load_buffer(base, buf, n, format, alloc, out, diag);
    ci_dealloc(&a, buf);
    if (st == CI_ERR_NOMEM) /* the steps that ran out of memory left diag unset */
        ci_diag_set(diag, st, -1, -1, 0, "out of memory");
    return st;
}

CI_API ci_status ci_lexicon_new_empty(const ci_allocator *alloc, ci_lexicon **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_lexicon *l;
    ci_status st = new_lexicon(alloc, NULL, &l);
    if (st == CI_OK && (st = lex_index(l)) != CI_OK)
        ci_lexicon_free(l);
    else if (st == CI_OK)
        *out = l;
    return st;
}

CI_API ci_status ci_lexicon_new_builtin(const ci_allocator *alloc, ci_lexicon **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_diag d;
    ci_diag_init(&d);
    ci_status st = ci_lexicon_load_buffer(NULL, ci_builtin_lexicon, ci_builtin_lexicon_len,
                                          CI_LEXICON_SIMPLE, alloc, out, &d);
    /* The generator validated the source, so only memory can fail here. */
    return st == CI_OK || st == CI_ERR_NOMEM || st == CI_ERR_INVALID ? st : CI_ERR_FORMAT;
}

/* ------------------------------------------------------------------------ */
/*  Lookups                                                                 */
/* ------------------------------------------------------------------------ */

int ci_lexicon_raw_valence(const ci_lexicon *lex, const char *key, size_t len, double *v)
{
    long i = ci_strmap_find(&lex->raw, key, len);
    if (i < 0 || !(lex->raw_vals[i].flags & LEX_VALENCE))
        return 0;
    *v = lex->raw_vals[i].valence;
    return 1;
}

const char *ci_lexicon_emoji(const ci_lexicon *lex, const char *key, size_t len, size_t *dlen)
{
    if (!lex->emoji.count)
        return NULL;
    long i = ci_strmap_find(&lex->emoji, key, len);
    if (i < 0)
        return NULL;
    *dlen = lex->emoji_desc_len[i];
    return lex->desc + lex->emoji_desc[i];
}

const lex_value *ci_lexicon_norm(const ci_lexicon *lex, const char *key, size_t len)
{
    long i = ci_strmap_find(&lex->norm, key, len);
    return i < 0 ? NULL : &lex->norm_vals[i];
}

CI_API ci_status ci_lexicon_lookup(const ci_lexicon *lex, const char *term, size_t len,
                                   double *valence)
{
    if (!lex || !valence || (!term && len))
        return CI_ERR_INVALID;
    if (len > CI_LEXICON_MAX_TERM)
        return CI_ERR_NOT_FOUND;
    ci_norm_buf nb = {0};
    char nk[CI_LEXICON_MAX_TERM * 4 + 8];
    size_t nkl;
    unsigned words;
    ci_status st = norm_key(&nb, &lex->a, term ? term : "", len, nk, &nkl, &words);
    ci_norm_buf_free(&nb, &lex->a);
    if (st != CI_OK)
        return st == CI_ERR_LIMIT ? CI_ERR_NOT_FOUND : st;
    const lex_value *v = ci_lexicon_norm(lex, nk, nkl);
    if (!v || !(v->flags & LEX_VALENCE))
        return CI_ERR_NOT_FOUND;
    *valence = v->valence;
    return CI_OK;
}

CI_API size_t ci_lexicon_size(const ci_lexicon *lex)
{
    return lex ? lex->n_valence : 0;
}
