/* SPDX-License-Identifier: MIT */
/*
 * Streaming tokenizer.
 *
 * Chunk invariance comes from one rule: the scanner decides a token only from
 * bytes it has seen, and when it would need a byte past the end of the window
 * it says so (S_NEED) instead of guessing.  Every token is decided within
 * CI_TOKEN_MAX_BYTES + LOOKAHEAD bytes of its start (longer ones are cut), so
 * the carried remainder of a chunk is bounded and the scan of a window that
 * holds that many bytes always makes progress.
 *
 * Bytes are scanned in place in the caller's chunk; only an undecided tail is
 * copied into `carry`, and carry mode pulls just enough bytes of the next
 * chunk to decide, then hands what is left back to the chunk.
 */
#include <stdbool.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../common/alloc-priv.h"
#include "../common/utf8-priv.h"
#include "charclass.h"
#include "libci.h"
#include "normalize-priv.h"
#include "tokenizer-priv.h"

#define LOOKAHEAD 64
#define CARRY_CAP (CI_TOKEN_MAX_BYTES + 2 * LOOKAHEAD)

enum { S_TOKEN, S_NEED, S_END };

typedef struct scan_out {
    int res;
    size_t skip;         /* separator bytes before the token */
    size_t len;          /* token bytes */
    int kind;
    unsigned flags;
    uint32_t cont_cp;
    int cut;             /* token was cut at MAX */
    int ascii;           /* 1: the token is known to be pure ASCII (fast path) */
    int upper;           /* with ascii: it has an A-Z byte */
} scan_out;


/* ------------------------------------------------------------------------ */
/*  Reading code points from the window                                     */
/* ------------------------------------------------------------------------ */

typedef struct window {
    const uint8_t *p;
    size_t n;
    bool final;
} window;

/* Decode at w->p[i]: 1 with *cp and *len (invalid bytes give U+FFFD and set
 * *bad), 0 at the end of a final window, -1 when more bytes are needed. */
static inline int get_cp(const window *w, size_t i, uint32_t *cp, size_t *len, unsigned *bad)
{
    if (i >= w->n)
        return w->final ? 0 : -1;
    uint8_t b = w->p[i];
    if (b < 0x80) {
        *cp = b;
        *len = 1;
        return 1;
    }
    int r = ci_utf8_decode(w->p + i, w->n - i, cp, len);
    if (r == CI_DEC_SHORT && !w->final)
        return -1;
    if (r != CI_DEC_OK)
        *bad |= CI_TOKEN_REPLACED;
    return 1;
}

static inline int is_letter(int c)
{
    return c == CC_UPPER || c == CC_LOWER || c == CC_LETTER || c == CC_MARK;
}

static inline int ascii_lower(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') ? (int)(c | 0x20) : (int)c;
}

/* ------------------------------------------------------------------------ */
/*  Token grammars                                                          */
/* ------------------------------------------------------------------------ */

/* Words and numbers: word characters, joined by ' ’ (letter-letter),
 * hyphens (alnum-alnum), ZWNJ (letter-letter) and . , : / (digit-digit). */
static int scan_word(const window *w, size_t start, scan_out *o)
{
    size_t pos = start;
    int prev = -1;
    unsigned upper = 0, lower = 0, letters = 0;
    uint32_t run_cp = 0;
    unsigned run = 0;
    for (;;) {
        uint32_t cp;
        size_t l;
        unsigned bad = 0;
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r < 0)
            return S_NEED;
        if (r == 0)
            break;
        if (pos + l - start > CI_TOKEN_MAX_BYTES) {
            o->cut = 1;
            break;
        }
        int c = ci_cc(cp);
        if (c == CC_CJK) {
            if (pos == start) {
                pos += l;
                letters++;
                o->flags |= bad;
            }
            break;
        }
        if (ci_cc_is_wordchar(c)) {
            pos += l;
            o->flags |= bad;
        } else if (prev >= 0 &&
                   (c == CC_APOS || c == CC_HYPHEN || c == CC_ZWNJ ||
                    (c == CC_PUNCT && (cp == '.' || cp == ',' || cp == ':' || cp == '/')))) {
            uint32_t cp2;
            size_t l2;
            unsigned bad2 = 0;
            int r2 = get_cp(w, pos + l, &cp2, &l2, &bad2);
            if (r2 < 0)
                return S_NEED;
            if (r2 == 0)
                break;
            int c2 = ci_cc(cp2);
            int ok;
            if (c == CC_APOS || c == CC_ZWNJ)
                ok = is_letter(prev) && is_letter(c2) && c2 != CC_MARK;
            else if (c == CC_HYPHEN)
                ok = (is_letter(prev) || prev == CC_DIGIT) &&
                     (is_letter(c2) || c2 == CC_DIGIT) && c2 != CC_MARK;
            else
                ok = prev == CC_DIGIT && c2 == CC_DIGIT;
            if (!ok)
                break;
            if (pos + l + l2 - start > CI_TOKEN_MAX_BYTES) {
                o->cut = 1;
                break;
            }
            if (c == CC_APOS)
                o->flags |= CI_TOKEN_CONTRACTION;
            o->flags |= bad2;
            run = 0; /* a joiner ends a run of repeated letters */
            run_cp = 0;
            pos += l;
            cp = cp2;
            l = l2;
            c = c2;
            pos += l;
        } else {
            break;
        }
        /* Flags of the word character just consumed. */
        if (c == CC_UPPER)
            upper++;
        else if (c == CC_LOWER)
            lower++;
        if (c == CC_UPPER || c == CC_LOWER || c == CC_LETTER) {
            letters++;
            if (cp == CI_REPLACEMENT_CHAR) {
                /* three bad bytes in a row are not an elongated word */
                run = 0;
                run_cp = 0;
                goto next;
            }
            uint32_t k = cp < 0x80 ? (uint32_t)ascii_lower(cp) : cp;
            if (k == run_cp) {
                if (++run >= 3)
                    o->flags |= CI_TOKEN_ELONGATED;
            } else {
                run_cp = k;
                run = 1;
            }
        } else {
            run = 0;
            run_cp = 0;
        }
    next:
        if (c != CC_MARK && c != CC_VS)
            prev = c;
        else if (prev < 0)
            prev = CC_MARK;
    }
    if (upper && !lower)
        o->flags |= CI_TOKEN_ALLCAPS;
    if (o->kind == 0)
        o->kind = letters ? CI_TOKEN_WORD : CI_TOKEN_NUMBER;
    o->len = pos - start;
    return S_TOKEN;
}

/* Mention and hashtag bodies: word characters only. */
static int scan_body(const window *w, size_t pos, size_t start, scan_out *o)
{
    for (;;) {
        uint32_t cp;
        size_t l;
        unsigned bad = 0;
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r < 0)
            return S_NEED;
        if (r == 0)
            break;
        int c = ci_cc(cp);
        if (!ci_cc_is_wordchar(c) && c != CC_CJK)
            break;
        if (pos + l - start > CI_TOKEN_MAX_BYTES) {
            o->cut = 1;
            break;
        }
        pos += l;
        o->flags |= bad;
    }
    o->len = pos - start;
    return S_TOKEN;
}

/* Printable ASCII but for " < > \ ^ ` { | }: bit (b & 63) of word b >> 6. */
static const uint64_t url_bytes[4] = {
    UINT64_C(0xAFFFFFFA00000000), UINT64_C(0x47FFFFFEAFFFFFFF), 0, 0,
};

/* ( ) [ ], which a URL keeps count of for its end. */
static const uint64_t url_brackets[4] = {
    UINT64_C(3) << '(', (UINT64_C(1) << ('[' - 64)) | (UINT64_C(1) << (']' - 64)), 0, 0,
};

#if defined(__GNUC__)
#define CI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CI_UNLIKELY(x) (x)
#endif

static inline int is_url_byte(uint8_t b)
{
    return (int)((url_bytes[b >> 6] >> (b & 63)) & 1);
}

/* Keeps count of the open ( and [ of a URL, for where it ends. */
static inline void url_bracket(uint32_t c, int *paren, int *bracket)
{
    *paren += c == '(' ? 1 : c == ')' ? -1 : 0;
    *bracket += c == '[' ? 1 : c == ']' ? -1 : 0;
}

#if defined(__SSE2__)
/* The ASCII URL bytes at p[0..16) that come before the first other byte,
 * as bits, and the brackets among them in *br. */
static inline unsigned url_run16(const uint8_t *p, unsigned *br)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
#define EQ(c) _mm_cmpeq_epi8(v, _mm_set1_epi8(c))
    /* separators and controls, >= 0x7F, and " < > \ ^ ` { | } */
    __m128i other = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v),
                                 _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7F)), v));
    other = _mm_or_si128(other, _mm_or_si128(_mm_or_si128(EQ('"'), EQ('<')),
                                             _mm_or_si128(EQ('>'), EQ('\\'))));
    other = _mm_or_si128(other, _mm_or_si128(_mm_or_si128(EQ('^'), EQ('`')),
                                             ci_tok_in_range(v, '{', 3)));
    /* bit 16 stops the count when all 16 are URL bytes */
    unsigned run = (unsigned)__builtin_ctz((unsigned)_mm_movemask_epi8(other) | 0x10000u);
    __m128i brackets = _mm_or_si128(_mm_or_si128(EQ('('), EQ(')')), _mm_or_si128(EQ('['), EQ(']')));
#undef EQ
    *br = (unsigned)_mm_movemask_epi8(brackets) & ((1u << run) - 1);
    return run;
}
#endif

/* URL characters up to a separator, then trailing punctuation trimmed
 * (a closing bracket stays when the URL opened one). */
static int scan_url(const window *w, size_t pos, size_t start, scan_out *o)
{
    int paren = 0, bracket = 0;
    const size_t lim = w->n - start > CI_TOKEN_MAX_BYTES ? start + CI_TOKEN_MAX_BYTES : w->n;
    for (;;) {
        /* ASCII URL bytes, nearly all of them, without decoding; the byte
         * that stops these loops takes the general path below */
#if defined(__SSE2__)
        while (pos + 16 <= lim) {
            unsigned br, run = url_run16(w->p + pos, &br);
            for (; br; br &= br - 1)
                url_bracket(w->p[pos + (unsigned)__builtin_ctz(br)], &paren, &bracket);
            pos += run;
            if (run < 16)
                break;
        }
#endif
        while (pos < lim && is_url_byte(w->p[pos])) {
            uint8_t b = w->p[pos++];
            if (CI_UNLIKELY((url_brackets[b >> 6] >> (b & 63)) & 1))
                url_bracket(b, &paren, &bracket);
        }
        uint32_t cp;
        size_t l;
        unsigned bad = 0;
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r < 0)
            return S_NEED;
        if (r == 0 || bad)
            break;
        if (cp < 0x80 ? !is_url_byte((uint8_t)cp) : ci_cc(cp) == CC_WS)
            break;
        if (pos + l - start > CI_TOKEN_MAX_BYTES) {
            o->cut = 1;
            o->len = pos - start;
            return S_TOKEN;
        }
        url_bracket(cp, &paren, &bracket);
        pos += l;
    }
    while (pos > start + 1) {
        uint8_t b = w->p[pos - 1];
        if (strchr(".,;:!?'\"*", b) ||
            (b == ')' && paren < 0) || (b == ']' && bracket < 0)) {
            if (b == ')')
                paren++;
            if (b == ']')
                bracket++;
            pos--;
        } else {
            break;
        }
    }
    o->len = pos - start;
    return S_TOKEN;
}

/* Case-insensitive prefix test that can ask for more bytes: 1 match,
 * 0 no match, -1 need more. */
static int match_prefix(const window *w, size_t pos, const char *lit)
{
    for (size_t i = 0; lit[i]; i++) {
        if (pos + i >= w->n)
            return w->final ? 0 : -1;
        if (ascii_lower(w->p[pos + i]) != lit[i])
            return 0;
    }
    return 1;
}

static int url_prefix(const window *w, size_t pos, size_t *plen)
{
    static const char *const schemes[] = {"https://", "http://", "ftp://", "www."};
    int need = 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        int r = match_prefix(w, pos, schemes[i]);
        if (r < 0)
            need = 1;
        if (r > 0) {
            size_t sl = strlen(schemes[i]);
            if (pos + sl >= w->n) {
                if (!w->final)
                    return -1;
                continue;
            }
            uint8_t nb = w->p[pos + sl];
            /* A bare scheme is a word and punctuation, not a URL. */
            if (!is_url_byte(nb) && nb < 0x80)
                continue;
            if (i == 3 && !(nb < 0x80 && (ci_cc_ascii[nb] == CC_LOWER ||
                                          ci_cc_ascii[nb] == CC_UPPER ||
                                          ci_cc_ascii[nb] == CC_DIGIT)))
                continue;
            *plen = sl;
            return 1;
        }
    }
    return need ? -1 : 0;
}

/* Bytes of an email's local part (ASCII letters, digits, . _ % + -) and of
 * its domain labels (letters, digits, -), as bits like url_bytes. */
static const uint64_t email_local_bytes[4] = {
    UINT64_C(0x03FF682000000000), UINT64_C(0x07FFFFFE87FFFFFE), 0, 0,
};
static const uint64_t email_label_bytes[4] = {
    UINT64_C(0x03FF200000000000), UINT64_C(0x07FFFFFE07FFFFFE), 0, 0,
};

static inline int email_local(uint8_t b)
{
    return (int)((email_local_bytes[b >> 6] >> (b & 63)) & 1);
}

static inline int email_label(uint8_t b)
{
    return (int)((email_label_bytes[b >> 6] >> (b & 63)) & 1);
}

/* local@label.label...: 1 with *end, 0 not an email, -1 need more. */
static int scan_email(const window *w, size_t start, size_t *end)
{
#define AT(i) ((i) < w->n ? 1 : (w->final ? 0 : -1))
    /* Each run is read up to its limit or the window's end, whichever is
     * first, and only then checked: one test per byte. */
    size_t i = start, lim = w->n - start > 65 ? start + 65 : w->n;
    while (i < lim && email_local(w->p[i]))
        i++;
    if (i - start > 64)
        return 0;
    if (i == w->n)
        return w->final ? 0 : -1;
    if (i == start || w->p[i] != '@' || w->p[i - 1] == '.')
        return 0;
    i++;
    size_t labels = 0, last_start = i, dom_start = i;
    size_t good_end = 0;
    for (;;) {
        size_t ls = i;
        lim = w->n - dom_start > 254 ? dom_start + 254 : w->n;
        while (i < lim && email_label(w->p[i]))
            i++;
        if (i - dom_start > 253)
            return 0;
        if (i == w->n && !w->final)
            return -1;
        if (i == ls || w->p[ls] == '-')
            break;
        labels++;
        last_start = ls;
        /* The domain may end here, after a label of two letters or more:
         * remember the longest valid end. */
        int alpha_tld = labels >= 2 && i - ls >= 2;
        for (size_t k = ls; k < i && alpha_tld; k++)
            alpha_tld = (unsigned)((w->p[k] | 0x20) - 'a') < 26;
        if (alpha_tld)
            good_end = i;
        int r = AT(i);
        if (r < 0)
            return -1;
        if (r == 0 || w->p[i] != '.')
            break;
        r = AT(i + 1);
        if (r < 0)
            return -1;
        if (r == 0 || !email_label(w->p[i + 1]))
            break;
        i++;
    }
    (void)last_start;
    if (!good_end)
        return 0;
    *end = good_end;
    return 1;
#undef AT
}

/* Emoticons by first byte, longest first within each list, so that the
 * first match is the longest. */
static const char *const emo_colon[] = {
    ":'-(", ":'-)", ":'(", ":')", ":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ":-\\", ":-|",
    ":-O",  ":-o",  ":-*", ":^)", ":)",  ":(",  ":D",  ":P",  ":p",  ":/",  ":\\", ":|",
    ":O",   ":o",   ":*",  ":]",  ":[",  ":}",  ":{",  ":3",  ":S",  ":s",  ":X",   ":x",
    ":@",   ":$",   NULL,
};
static const char *const emo_gt[] = {">:-(", ">:-)", ">:(", ">:)", NULL};
static const char *const emo_lt[] = {"</3", "<3", NULL};
static const char *const emo_semi[] = {";-)", ";-P", ";-D", ";_;", ";)", ";P", ";p", ";D", ";]", NULL};
static const char *const emo_caret[] = {"^_^", "^.^", "^^", NULL};
static const char *const emo_minus[] = {"-_-", NULL};
static const char *const emo_eq[] = {"=)", "=(", "=D", "=]", "=[", "=/", "=P", NULL};
static const char *const emo_open[] = {"(:", NULL};
static const char *const emo_close[] = {"):", NULL};

/* Each list with the set of its entries' second bytes (bit b & 63 of word
 * b >> 6): a byte that is none of them rules the list out without reading
 * it.  ci_tok_emoticons_agree() checks the sets against the lists. */
typedef struct emo_list {
    const char *const *list;
    uint64_t seconds[2];
} emo_list;

static inline int emo_second(const emo_list *el, unsigned b)
{
    return b < 128 && ((el->seconds[b >> 6] >> (b & 63)) & 1);
}

static emo_list emoticons_from(uint8_t b)
{
    switch (b) {
    case ':':
        return (emo_list){emo_colon, {UINT64_C(0x8A79000000000), UINT64_C(0x3909800079098011)}};
    case '>': return (emo_list){emo_gt, {UINT64_C(0x400000000000000), UINT64_C(0x0)}};
    case '<': return (emo_list){emo_lt, {UINT64_C(0x8800000000000), UINT64_C(0x0)}};
    case ';': return (emo_list){emo_semi, {UINT64_C(0x220000000000), UINT64_C(0x10000A0010010)}};
    case '^': return (emo_list){emo_caret, {UINT64_C(0x400000000000), UINT64_C(0xC0000000)}};
    case '-': return (emo_list){emo_minus, {UINT64_C(0x0), UINT64_C(0x80000000)}};
    case '=': return (emo_list){emo_eq, {UINT64_C(0x830000000000), UINT64_C(0x28010010)}};
    case '(': return (emo_list){emo_open, {UINT64_C(0x400000000000000), UINT64_C(0x0)}};
    case ')': return (emo_list){emo_close, {UINT64_C(0x400000000000000), UINT64_C(0x0)}};
    default: return (emo_list){NULL, {0, 0}};
    }
}

int ci_tok_emoticons_agree(void)
{
    for (unsigned b = 0; b < 256; b++) {
        emo_list el = emoticons_from((uint8_t)b);
        size_t n = 0;
        for (size_t e = 0; el.list && el.list[e]; e++, n++)
            if ((uint8_t)el.list[e][0] != b || !emo_second(&el, (uint8_t)el.list[e][1]))
                return 0;
        /* no second byte without an entry */
        for (unsigned c = 0; c < 256; c++) {
            size_t e = 0;
            while (e < n && (uint8_t)el.list[e][1] != c)
                e++;
            if (emo_second(&el, c) != (e < n))
                return 0;
        }
    }
    return 1;
}

static inline int is_emoticon_start(uint8_t b)
{
    switch (b) {
    case ':': case ';': case '=': case '<': case '>': case '^': case '-': case '(': case ')':
        return 1;
    default:
        return 0;
    }
}

static int emoticon_may_start(const scan_state *st, size_t skipped)
{
    if (skipped)
        return 1; /* separators were skipped in this very scan */
    uint32_t p = st->prev_cp;
    if (st->prev_emo || p == ' ' || p == '!' || p == '?' || p == '.' || p == ',')
        return 1;
    int c = ci_cc(p);
    return is_letter(c) || c == CC_DIGIT || c == CC_CJK || c == CC_WS;
}

/* 1 with *len, 0 none, -1 need more. */
static int scan_emoticon(const window *w, size_t pos, size_t *len)
{
    int need = 0;
    emo_list el = emoticons_from(w->p[pos]);
    const char *const *list = el.list;
    /* every emoticon has a second byte: when it is here, the entries
     * without it are out at once (the usual case) */
    int second = pos + 1 < w->n ? w->p[pos + 1] : -1;
    if (second >= 0 && !emo_second(&el, (unsigned)second))
        return 0;
    for (size_t e = 0; list && list[e]; e++) {
        const char *em = list[e];
        if (second >= 0 && (uint8_t)em[1] != second)
            continue;
        size_t k = 1;
        for (; em[k]; k++) {
            if (pos + k >= w->n)
                break;
            if (w->p[pos + k] != (uint8_t)em[k])
                break;
        }
        if (em[k]) {
            if (pos + k >= w->n && !w->final)
                need = 1;
            continue;
        }
        /* ":D" must not be the start of ":Desk", nor ":/" of "http://". */
        uint32_t cp;
        size_t l;
        unsigned bad = 0;
        int r = get_cp(w, pos + k, &cp, &l, &bad);
        if (r < 0)
            return -1;
        if (r > 0 && (ci_cc_is_wordchar(ci_cc(cp)) || cp == '/' || cp == '\\'))
            continue;
        if (need)
            return -1; /* a longer emoticon might still match */
        *len = k;
        return 1;
    }
    return need ? -1 : 0;
}

/* One emoji: a flag pair, or a pictograph with its variation selector,
 * skin tone, tags and ZWJ continuations. */
static int scan_emoji(const window *w, size_t start, int c0, size_t l0, scan_out *o)
{
    size_t pos = start + l0;
    uint32_t cp;
    size_t l;
    unsigned bad = 0;
    if (c0 == CC_RI) {
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r < 0)
            return S_NEED;
        if (r > 0 && !bad && ci_cc(cp) == CC_RI)
            pos += l;
        o->len = pos - start;
        return S_TOKEN;
    }
    for (;;) {
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r < 0)
            return S_NEED;
        if (r == 0 || bad)
            break;
        int c = ci_cc(cp);
        size_t take = 0;
        if (c == CC_VS || c == CC_EMOD || c == CC_TAG || c == CC_KEYCAP) {
            take = l;
        } else if (c == CC_ZWJ) {
            uint32_t cp2;
            size_t l2;
            int r2 = get_cp(w, pos + l, &cp2, &l2, &bad);
            if (r2 < 0)
                return S_NEED;
            if (r2 == 0 || bad || (ci_cc(cp2) != CC_EMOJI && ci_cc(cp2) != CC_EMOD))
                break;
            take = l + l2;
        } else {
            break;
        }
        if (pos + take - start > CI_TOKEN_MAX_BYTES) {
            o->flags |= CI_TOKEN_SPLIT;
            break;
        }
        pos += take;
    }
    o->len = pos - start;
    return S_TOKEN;
}

/* Bytes seq[0..k) at w->p[i]: 1 match, 0 no, -1 need more. */
static int match_bytes(const window *w, size_t i, const uint8_t *seq, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        if (i + j >= w->n)
            return w->final ? 0 : -1;
        if (w->p[i + j] != seq[j])
            return 0;
    }
    return 1;
}

/* [0-9#*] U+FE0F? U+20E3: 1 with *len, 0 no, -1 need more. */
static int scan_keycap(const window *w, size_t pos, size_t *len)
{
    static const uint8_t vs[] = {0xEF, 0xB8, 0x8F}, kc[] = {0xE2, 0x83, 0xA3};
    size_t i = pos + 1;
    int r = match_bytes(w, i, vs, 3);
    if (r < 0)
        return -1;
    if (r > 0)
        i += 3;
    r = match_bytes(w, i, kc, 3);
    if (r > 0)
        *len = i + 3 - pos;
    return r;
}

/* Bytes for the word fast path: 1 alphanumeric or '_', 2 letter, 4 upper
 * case, 8 lower case, 16 digit; 0 for everything else, non-ASCII included.
 * '_' continues a word but never starts one. */
enum { AW_ALNUM = 1, AW_ALPHA = 2, AW_UPPER = 4, AW_LOWER = 8, AW_DIGIT = 16,
       /* in the accumulated flags only: */
       AW_CONTRACTION = 32, AW_ELONGATED = 64, AW_NONASCII = 128 };
static const uint8_t ascii_word_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 0, 0, 0, 0, 0, 0,
    0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 1,
    0, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

enum { SPAN_UPPER = 1, SPAN_HIGH = 2 };

/* Whether p[0..n) has an A-Z byte (SPAN_UPPER) or one >= 0x80 (SPAN_HIGH):
 * URLs and emails are long enough for a byte loop to show. */
static inline unsigned span_bits(const uint8_t *p, size_t n)
{
    unsigned bits = 0;
    size_t k = 0;
#if defined(__SSE2__)
    __m128i up = _mm_setzero_si128(), hi = up;
    for (; k + 16 <= n; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
        up = _mm_or_si128(up, ci_tok_in_range(v, 'A', 26));
        hi = _mm_or_si128(hi, v);
    }
    bits = (unsigned)(_mm_movemask_epi8(up) != 0) * SPAN_UPPER |
           (unsigned)(_mm_movemask_epi8(hi) != 0) * SPAN_HIGH;
#endif
    for (; k < n; k++)
        bits |= (ascii_word_class[p[k]] & AW_UPPER) >> 2 | (p[k] >> 7) << 1;
    return bits;
}

/* ASCII punctuation by what the fast paths may do with it (see
 * tokenizer-priv.h); every other byte is 0. */
const uint8_t ci_tok_punct_class[256] = {
    /* always a plain run: cannot start an emoticon, mention, hashtag, keycap
     * or a joined word */
    ['!'] = CI_PC_RUN, ['"'] = CI_PC_RUN, ['%'] = CI_PC_RUN | CI_PC_MARK, ['&'] = CI_PC_RUN,
    ['\''] = CI_PC_RUN | CI_PC_MARK, [','] = CI_PC_RUN | CI_PC_MARK,
    ['.'] = CI_PC_RUN | CI_PC_MARK, ['/'] = CI_PC_RUN | CI_PC_MARK, ['?'] = CI_PC_RUN,
    ['['] = CI_PC_RUN, ['\\'] = CI_PC_RUN, [']'] = CI_PC_RUN, ['{'] = CI_PC_RUN,
    ['}'] = CI_PC_RUN,
    /* always a one-character symbol */
    ['$'] = CI_PC_SYMBOL, ['+'] = CI_PC_SYMBOL | CI_PC_MARK, ['|'] = CI_PC_SYMBOL,
    ['~'] = CI_PC_SYMBOL, ['`'] = CI_PC_SYMBOL,
    [':'] = CI_PC_MARK, ['-'] = CI_PC_MARK, ['@'] = CI_PC_MARK,
};

/* The common case, decided in one pass over the bytes: an ASCII word or
 * number ended by a byte that cannot extend or reinterpret it.  Returns 1
 * with *end and *acc (the OR of the bytes' classes); 0 leaves the token to
 * the general grammar, so both paths agree by construction. */
static inline int ascii_word(const uint8_t *p, size_t n, bool final, size_t start,
                             size_t *end, unsigned *acc_out)
{
    unsigned c = ascii_word_class[p[start]];
    if (!(c & AW_ALNUM) || p[start] == '_')
        return 0;
    size_t i = start + 1, limit = start + CI_TOKEN_MAX_BYTES;
    if (limit > n)
        limit = n;
    unsigned acc = c, elong = 0;
    uint8_t l1 = (uint8_t)(p[start] | 0x20), l2 = 0;
    while (i < limit) {
        c = ascii_word_class[p[i]];
        if (c) {
            uint8_t lc = (uint8_t)(p[i] | 0x20);
            /* three of the same letter in a row, either case ("sooo") */
            elong |= (unsigned)(lc == l1) & (unsigned)(lc == l2) & (c >> 1);
            l2 = l1;
            l1 = lc;
            acc |= c;
            i++;
            continue;
        }
        /* Joiners, with the general grammar's rules: ' between letters,
         * - between letters or digits, . , : / between digits.  The curly
         * apostrophe U+2019 of phone keyboards ("don’t") joins letters like
         * ', and NFKC with case folding leaves it as it is. */
        uint8_t b = p[i];
        unsigned need;
        if (b == 0xE2) {
            if (i + 3 >= limit)
                return 0; /* the general path decides what it joins */
            if (p[i + 1] != 0x80 || p[i + 2] != 0x99 || !(ascii_word_class[p[i - 1]] & AW_ALPHA) ||
                !(ascii_word_class[p[i + 3]] & AW_ALPHA))
                break;
            c = ascii_word_class[p[i + 3]];
            acc |= AW_CONTRACTION | AW_NONASCII | c;
            l1 = (uint8_t)(p[i + 3] | 0x20); /* a joiner ends a run */
            l2 = 0;
            i += 4;
            continue;
        }
        if (b == '\'')
            need = AW_ALPHA;
        else if (b == '-')
            need = AW_ALPHA | AW_DIGIT;
        else if (b == '.' || b == ',' || b == ':' || b == '/')
            need = AW_DIGIT;
        else
            break;
        if (!(ascii_word_class[p[i - 1]] & need))
            break;
        if (i + 1 >= limit)
            return 0; /* the byte after the joiner decides: let the general path wait */
        unsigned c2 = ascii_word_class[p[i + 1]];
        if (!(c2 & need))
            break;
        if (b == '\'')
            acc |= AW_CONTRACTION;
        acc |= c2;
        l1 = (uint8_t)(p[i + 1] | 0x20); /* a joiner ends a run */
        l2 = 0;
        i += 2;
    }
    if (i == n) {
        if (!final)
            return 0;
    } else if (i == limit) {
        return 0; /* the general grammar cuts long tokens */
    } else {
        uint8_t b = p[i];
        if (b >= 0x80)
            return 0;
        if ((ci_tok_punct_class[b] & CI_PC_MARK) &&
            (i + 1 < n ? p[i + 1] > 0x20 || p[i + 1] == 0x7F : !final))
            return 0;
    }
    *end = i;
    *acc_out = acc | (elong ? AW_ELONGATED : 0);
    return 1;
}


static inline unsigned ascii_word_flags(unsigned acc)
{
    unsigned flags = (acc & (AW_UPPER | AW_LOWER)) == AW_UPPER ? CI_TOKEN_ALLCAPS : 0;
    if (acc & AW_CONTRACTION)
        flags |= CI_TOKEN_CONTRACTION;
    if (acc & AW_NONASCII)
        flags |= CI_TOKEN_NONASCII;
    if (acc & AW_ELONGATED)
        flags |= CI_TOKEN_ELONGATED;
    return flags;
}

static int scan_ascii_word(const window *w, const scan_state *st, size_t start, scan_out *o)
{
    size_t end;
    unsigned acc;
    if (st->cont_kind || !ascii_word(w->p, w->n, w->final, start, &end, &acc))
        return 0;
    o->res = S_TOKEN;
    o->len = end - start;
    o->kind = (acc & AW_ALPHA) ? CI_TOKEN_WORD : CI_TOKEN_NUMBER;
    o->flags = ascii_word_flags(acc);
    o->ascii = !(acc & AW_NONASCII); /* emit() normalizes a curly apostrophe's word */
    o->upper = (acc & AW_UPPER) != 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/*  The scanner                                                             */
/* ------------------------------------------------------------------------ */

static void scan(const window *w, const scan_state *st, scan_out *o)
{
    memset(o, 0, sizeof *o);
    size_t pos = 0;
    uint32_t cp = 0;
    size_t l = 0;
    unsigned bad = 0;
    int c = CC_WS;
    /* Separators.  A stray joiner or tag is as invisible as a space. */
    for (;;) {
        if (pos < w->n && w->p[pos] <= 0x20) {
            pos++;
            continue;
        }
        bad = 0;
        int r = get_cp(w, pos, &cp, &l, &bad);
        if (r <= 0) {
            o->skip = pos;
            o->res = r < 0 ? S_NEED : S_END;
            return;
        }
        c = bad ? CC_LETTER : ci_cc(cp);
        if (c == CC_WS || c == CC_ZWJ || c == CC_ZWNJ || c == CC_TAG) {
            pos += l;
            continue;
        }
        break;
    }
    o->skip = pos;
    o->flags = bad;
    size_t start = pos;
    int res;

    if (scan_ascii_word(w, st, start, o))
        return;

    if (st->cont_kind) {
        /* The rest of a token that was cut at CI_TOKEN_MAX_BYTES, read by the
         * same grammar so that its kind survives the cut. */
        o->kind = st->cont_kind;
        o->flags |= CI_TOKEN_SPLIT;
        switch (st->cont_kind) {
        case CI_TOKEN_URL:
            res = scan_url(w, start, start, o);
            goto done;
        case CI_TOKEN_MENTION:
        case CI_TOKEN_HASHTAG:
            if (ci_cc_is_wordchar(c) || c == CC_CJK) {
                res = scan_body(w, start, start, o);
                goto done;
            }
            break;
        case CI_TOKEN_PUNCT:
            if (cp == st->cont_cp)
                goto punct_run;
            break;
        default:
            if (ci_cc_is_wordchar(c) || c == CC_CJK) {
                res = scan_word(w, start, o);
                goto done;
            }
            break;
        }
        o->kind = 0;
        o->flags &= ~(unsigned)CI_TOKEN_SPLIT;
    }

    if (cp < 0x80) {
        /* Things that start with an ASCII character. */
        size_t n = 0;
        int r;
        uint8_t b = (uint8_t)cp;
        if (b == 'h' || b == 'H' || b == 'f' || b == 'F' || b == 'w' || b == 'W') {
            r = url_prefix(w, pos, &n);
            if (r < 0) {
                o->res = S_NEED;
                return;
            }
            if (r > 0) {
                o->kind = CI_TOKEN_URL;
                res = scan_url(w, pos + n, start, o);
                goto done;
            }
        }
        if (is_emoticon_start(b) && emoticon_may_start(st, start)) {
            r = scan_emoticon(w, pos, &n);
            if (r < 0) {
                o->res = S_NEED;
                return;
            }
            if (r > 0) {
                o->kind = CI_TOKEN_EMOTICON;
                o->len = n;
                res = S_TOKEN;
                goto done;
            }
        }
        if ((b >= '0' && b <= '9') || b == '#' || b == '*') {
            r = scan_keycap(w, pos, &n);
            if (r < 0) {
                o->res = S_NEED;
                return;
            }
            if (r > 0) {
                o->kind = CI_TOKEN_EMOJI;
                o->len = n;
                res = S_TOKEN;
                goto done;
            }
        }
        /* "a@b" and "C#" are not a mention and a hashtag. */
        if ((b == '@' || b == '#') &&
            (start > 0 || !ci_cc_is_wordchar(ci_cc(st->prev_cp)))) {
            uint32_t cp2;
            size_t l2;
            unsigned bad2 = 0;
            r = get_cp(w, pos + 1, &cp2, &l2, &bad2);
            if (r < 0) {
                o->res = S_NEED;
                return;
            }
            int c2 = r > 0 && !bad2 ? ci_cc(cp2) : CC_WS;
            int ok = b == '@' ? (ci_cc_is_wordchar(c2) && c2 != CC_MARK && c2 != CC_VS)
                              : (is_letter(c2) && c2 != CC_MARK) || c2 == CC_UNDERSCORE || c2 == CC_CJK;
            if (ok) {
                o->kind = b == '@' ? CI_TOKEN_MENTION : CI_TOKEN_HASHTAG;
                res = scan_body(w, pos + 1, start, o);
                goto done;
            }
        }
    }

    switch (c) {
    case CC_UPPER:
    case CC_LOWER:
    case CC_LETTER:
    case CC_CJK:
    case CC_MARK:
    case CC_VS:
    case CC_DIGIT:
        res = scan_word(w, start, o);
        if (res == S_TOKEN && !o->cut) {
            /* A word that stops at one of these may be the local part of an
             * email address; only then is the email grammar tried. */
            size_t e = start + o->len;
            int r = e < w->n ? 1 : (w->final ? 0 : -1);
            if (r < 0) {
                res = S_NEED;
                break;
            }
            if (r > 0 && w->p[e] != 0 && strchr("@.+%-", w->p[e])) {
                size_t end;
                int m = scan_email(w, start, &end);
                if (m < 0) {
                    res = S_NEED;
                    break;
                }
                if (m > 0) {
                    o->kind = CI_TOKEN_EMAIL;
                    o->flags = 0;
                    o->len = end - start;
                }
            }
        }
        break;
    case CC_EMOJI:
    case CC_RI:
    case CC_EMOD:
        o->kind = CI_TOKEN_EMOJI;
        res = scan_emoji(w, start, c, l, o);
        break;
    case CC_PUNCT:
    case CC_APOS:
    case CC_HYPHEN:
    case CC_UNDERSCORE:
    punct_run: {
        /* A run of one repeated punctuation character: "!!!", "...". */
        o->kind = CI_TOKEN_PUNCT;
        uint32_t first = cp;
        size_t p2 = start;
        for (;;) {
            unsigned b2 = 0;
            int r = get_cp(w, p2, &cp, &l, &b2);
            if (r < 0) {
                o->res = S_NEED;
                return;
            }
            if (r == 0 || b2 || cp != first)
                break;
            if (p2 + l - start > CI_TOKEN_MAX_BYTES) {
                o->cut = 1;
                o->cont_cp = first;
                break;
            }
            p2 += l;
        }
        o->len = p2 - start;
        res = S_TOKEN;
        break;
    }
    default: /* symbols, keycap marks */
        o->kind = CI_TOKEN_SYMBOL;
        o->len = l;
        res = S_TOKEN;
        break;
    }
done:
    o->res = res;
    if (res == S_TOKEN && o->cut)
        o->flags |= CI_TOKEN_SPLIT;
}

/* ------------------------------------------------------------------------ */
/*  Public API                                                              */
/* ------------------------------------------------------------------------ */

CI_API void ci_token_init(ci_token *token)
{
    if (!token)
        return;
    memset(token, 0, sizeof *token);
    token->struct_size = sizeof *token;
}

CI_API ci_status ci_tokenizer_new(const ci_allocator *alloc, ci_tokenizer **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    ci_alloc a;
    ci_status st = ci_alloc_resolve(alloc, &a);
    if (st != CI_OK)
        return st == CI_ERR_STRUCT_SIZE ? CI_ERR_INVALID : st;
    ci_tokenizer *t = ci_calloc(&a, 1, sizeof *t);
    if (!t)
        return CI_ERR_NOMEM;
    t->a = a;
    t->carry = ci_malloc(&a, CARRY_CAP);
    /* The lower-casing buffer is sized once for the longest token, so the
     * hot path never needs to grow it. */
    if (!t->carry || ci_grow(&a, (void **)&t->nb.lower, &t->nb.lower_cap,
                             CI_TOKEN_MAX_BYTES + 1, 1) != CI_OK) {
        ci_dealloc(&a, t->carry);
        ci_dealloc(&a, t);
        return CI_ERR_NOMEM;
    }
    t->st.prev_cp = ' ';
    *out = t;
    return CI_OK;
}

CI_API void ci_tokenizer_free(ci_tokenizer *tok)
{
    if (!tok)
        return;
    ci_alloc a = tok->a;
    ci_norm_buf_free(&tok->nb, &a);
    ci_dealloc(&a, tok->arena);
    ci_dealloc(&a, tok->carry);
    ci_dealloc(&a, tok);
}

CI_API ci_status ci_tokenizer_reset(ci_tokenizer *tok)
{
    if (!tok)
        return CI_ERR_INVALID;
    tok->chunk = NULL;
    tok->chunk_len = tok->chunk_pos = 0;
    tok->chunk_offset = tok->carry_offset = tok->fed = 0;
    tok->carry_len = tok->carry_from_chunk = 0;
    tok->finished = false;
    memset(&tok->st, 0, sizeof tok->st);
    tok->st.prev_cp = ' ';
    return CI_OK;
}

CI_API ci_status ci_tokenizer_feed(ci_tokenizer *tok, const char *data, size_t len)
{
    if (!tok || (!data && len))
        return CI_ERR_INVALID;
    if (tok->finished || tok->chunk_pos < tok->chunk_len)
        return CI_ERR_STATE;
    tok->chunk = (const uint8_t *)data;
    tok->chunk_len = len;
    tok->chunk_pos = 0;
    tok->chunk_offset = tok->fed;
    tok->carry_from_chunk = 0;
    tok->fed += len;
    return CI_OK;
}

CI_API ci_status ci_tokenizer_finish(ci_tokenizer *tok)
{
    if (!tok)
        return CI_ERR_INVALID;
    if (tok->finished)
        return CI_ERR_STATE;
    tok->finished = true;
    return CI_OK;
}

/* Negation forms, checked on the normalized (case-folded) text.  Grouped by
 * length so that a word is compared with a handful of candidates at most. */
static int is_negation(const char *s, size_t n, unsigned flags)
{
    /* Every form below starts with 'n' or ends in 't': most words stop here. */
    if (!(flags & CI_TOKEN_CONTRACTION) && (n < 2 || n > 8 || (s[0] != 'n' && s[n - 1] != 't')))
        return 0;
    static const char *const by_len[9] = {
        "",
        "",
        "no", /* 2: no */
        "notnor", /* 3: not nor */
        "noneaintcantdontisntwont", /* 4: none aint cant dont isnt wont */
        "neverarentdidnthadnthasntshantwasnt", /* 5: never arent didnt hadnt hasnt shant wasnt */
        "cannotnobodydarentdoesnthaventmustntneedntwerent", /* 6: cannot nobody darent doesnt havent mustnt neednt werent */
        "nothingnowhereneithercouldntmightntoughtntwouldnt", /* 7: nothing nowhere neither couldnt mightnt oughtnt wouldnt */
        "shouldnt", /* 8: shouldnt */
    };
    if (flags & CI_TOKEN_CONTRACTION)
        return (n > 3 && memcmp(s + n - 3, "n't", 3) == 0) ||
               (n > 5 && memcmp(s + n - 5, "n\xE2\x80\x99t", 5) == 0);
    /* first letters of the words above: a c d h i m n o s w */
    enum { FIRST = 1u << 0 | 1u << 2 | 1u << 3 | 1u << 7 | 1u << 8 | 1u << 12 | 1u << 13 |
                   1u << 14 | 1u << 18 | 1u << 22 };
    unsigned f = (unsigned)((uint8_t)s[0] - 'a');
    if (n < 2 || n > 8 || f >= 26 || !((FIRST >> f) & 1))
        return 0;
    for (const char *c = by_len[n]; *c; c += n)
        if (c[0] == s[0] && memcmp(c, s, n) == 0)
            return 1;
    return 0;
}

/* Commit a scanned token: normalize it and fill the caller's struct.  On
 * failure nothing is consumed, so the caller can retry. */
static ci_status emit(ci_tokenizer *t, const uint8_t *base, const scan_out *o,
                      uint64_t offset, int may_alias, ci_token *out)
{
    const uint8_t *src = base + o->skip;
    const char *norm;
    size_t norm_len;
    int ascii = o->ascii;
    ci_status st;
    if (ascii && !o->upper && may_alias) {
        norm = (const char *)src; /* already its own normal form */
        norm_len = o->len;
    } else {
        if (!ascii) {
            ascii = 1;
            for (size_t i = 0; i < o->len; i++)
                if (src[i] >= 0x80) {
                    ascii = 0;
                    break;
                }
        }
        st = ci_norm_token(&t->nb, &t->a, src, o->len, ascii,
                           (o->flags & CI_TOKEN_REPLACED) != 0, may_alias, &norm, &norm_len);
        if (st != CI_OK)
            return st;
    }
    unsigned flags = o->flags;
    if (!ascii)
        flags |= CI_TOKEN_NONASCII;
    if (o->kind == CI_TOKEN_WORD && is_negation(norm, norm_len, flags))
        flags |= CI_TOKEN_NEGATION;
    if (o->kind != CI_TOKEN_WORD)
        flags &= ~(unsigned)(CI_TOKEN_ALLCAPS | CI_TOKEN_ELONGATED | CI_TOKEN_CONTRACTION);

    /* Scanner state for the next token. */
    uint32_t last = src[o->len - 1];
    if (last >= 0x80) {
        size_t s = o->len - 1;
        while (s > 0 && (src[s] & 0xC0) == 0x80 && o->len - s < 4)
            s--;
        size_t ll;
        if (ci_utf8_decode(src + s, o->len - s, &last, &ll) != CI_DEC_OK)
            last = CI_REPLACEMENT_CHAR;
    }
    t->st.prev_cp = last;
    t->st.prev_emo = o->kind == CI_TOKEN_EMOTICON || o->kind == CI_TOKEN_EMOJI;
    t->st.cont_kind = (uint8_t)(o->cut ? o->kind : 0);
    t->st.cont_cp = o->cont_cp;

    /* Fields appended after version 1 will be written only when the
     * caller's struct_size shows it has room for them. */
    out->kind = o->kind;
    out->flags = flags;
    out->offset = offset + o->skip;
    out->length = o->len;
    out->norm = norm;
    out->norm_len = norm_len;
    return CI_OK;
}

/* Ordered by ci_tok_neg_hashed()'s hash; see tokenizer-priv.h. */
const char ci_tok_neg_slot[64][9] = {
    [1] = "cant", [2] = "cannot", [4] = "shant", [9] = "dont", [10] = "wont", [12] = "darent",
    [15] = "mightnt", [17] = "neither", [18] = "havent", [21] = "couldnt", [23] = "no",
    [25] = "never", [28] = "not", [29] = "werent", [31] = "shouldnt", [32] = "oughtnt",
    [33] = "hadnt", [38] = "wouldnt", [40] = "mustnt", [44] = "nowhere", [45] = "isnt",
    [46] = "none", [49] = "nobody", [51] = "neednt", [54] = "doesnt", [55] = "wasnt",
    [58] = "hasnt", [59] = "nor", [60] = "nothing", [61] = "didnt", [62] = "arent",
    [63] = "aint",
};

#if defined(__SSE2__)
/* An ASCII word or number of 1 to 15 bytes, decided 16 bytes at a time:
 * the usual case, for which ascii_word() would loop with a table lookup per
 * byte.  Fills the token and returns 1, or returns 0 when the word may not
 * end here (a joiner, a byte that could extend it, 16+ bytes, the end of a
 * window that is not final); the caller then tries ascii_word(), so the two
 * can only differ in speed.  The chunking tests compare whole-text runs
 * (this path) with 1-byte feeds (never this path). */
static inline int word16(ci_tokenizer *t, const uint8_t *p, size_t n, size_t start,
                         ci_token *out)
{
    __m128i v;
    size_t avail = n - start;
    if (avail >= 16) {
        v = _mm_loadu_si128((const __m128i *)(const void *)(p + start));
    } else {
        /* Zeros past the end: never word bytes, so the word stops there. */
        uint8_t tmp[16] = {0};
        memcpy(tmp, p + start, avail);
        v = _mm_loadu_si128((const __m128i *)(const void *)tmp);
    }
    const __m128i lw = _mm_or_si128(v, _mm_set1_epi8(0x20));
    const __m128i alpha = ci_tok_in_range(lw, 'a', 26);
    const __m128i upper = ci_tok_in_range(v, 'A', 26);
    const __m128i digit = ci_tok_in_range(v, '0', 10);
    const __m128i word = _mm_or_si128(_mm_or_si128(alpha, digit),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
    unsigned mw = (unsigned)_mm_movemask_epi8(word);
    unsigned len = (unsigned)__builtin_ctz(~mw); /* bit 16 is always clear */
    if (len == 16)
        return 0;
    size_t i = start + len;
    if (i == n) {
        if (!t->finished)
            return 0;
    } else {
        uint8_t b = p[i];
        if (b >= 0x80)
            return 0; /* a non-ASCII letter or mark may continue the word */
        if ((ci_tok_punct_class[b] & CI_PC_MARK) && !ci_tok_mark_ends_word(p, n, t->finished, i))
            return 0;
    }
    unsigned in = (1u << len) - 1;
    unsigned ma = (unsigned)_mm_movemask_epi8(alpha) & in;
    unsigned mu = (unsigned)_mm_movemask_epi8(upper) & in;
    unsigned flags = 0;
    int kind = CI_TOKEN_NUMBER;
    const char *norm = (const char *)p + start;
    if (ma) {
        kind = CI_TOKEN_WORD;
        if (mu && !(ma & ~mu))
            flags |= CI_TOKEN_ALLCAPS;
        /* a letter equal, either case, to the next two bytes ("sooo") */
        const __m128i run = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(lw, _mm_srli_si128(lw, 1)),
                                                        _mm_cmpeq_epi8(lw, _mm_srli_si128(lw, 2))),
                                          alpha);
        if ((unsigned)_mm_movemask_epi8(run) & (in >> 2))
            flags |= CI_TOKEN_ELONGATED;
        const __m128i low = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        if (mu) {
            /* 16 bytes out: nb.lower holds CI_TOKEN_MAX_BYTES + 1 */
            _mm_storeu_si128((__m128i *)(void *)t->nb.lower, low);
            norm = (const char *)t->nb.lower;
        }
        if (len <= 8) {
            uint64_t w = (uint64_t)_mm_cvtsi128_si64(low);
            if (len < 8)
                w &= (UINT64_C(1) << (8 * len)) - 1;
            if (ci_tok_neg_hashed(w))
                flags |= CI_TOKEN_NEGATION;
        }
    }
    out->kind = kind;
    out->flags = flags;
    out->offset = t->chunk_offset + start;
    out->length = len;
    out->norm = norm;
    out->norm_len = len;
    t->st.prev_cp = p[i - 1];
    t->st.prev_emo = 0;
    t->chunk_pos = i;
    return 1;
}
#endif

/* ( ) : - # @ as they most often come: one punctuation mark that cannot be
 * part of an emoticon, a run or a keycap because of the byte after it, or a
 * hashtag or mention with an ASCII body.  Same contract as word16(): fills
 * the token and returns 1, or returns 0 and leaves it all to scan(). */
static inline int mark_next(ci_tokenizer *t, const uint8_t *p, size_t n, size_t start,
                            ci_token *out)
{
    uint8_t b = p[start];
    size_t i = start + 1;
    if (i == n && !t->finished)
        return 0;
    /* The end of a final window reads as a space. */
    uint8_t nx = i < n ? p[i] : ' ';
    if (nx >= 0x80 || nx == b)
        return 0;
    int kind = CI_TOKEN_PUNCT;
    const char *norm = (const char *)p + start;
    unsigned nc = ascii_word_class[nx];
    if ((b == '#' || b == '@') && (nc & AW_ALNUM) && !(b == '#' && (nc & AW_DIGIT))) {
        /* scan(): "a@b" and "C#" are not a mention and a hashtag */
        if (start == t->chunk_pos && ci_cc_is_wordchar(ci_cc(t->st.prev_cp)))
            return 0;
        size_t limit = start + CI_TOKEN_MAX_BYTES < n ? start + CI_TOKEN_MAX_BYTES : n;
        unsigned acc = 0;
        while (i < limit && (ascii_word_class[p[i]] & AW_ALNUM))
            acc |= ascii_word_class[p[i++]];
        if (i == n ? !t->finished : (i == limit || p[i] >= 0x80))
            return 0; /* more to come, a cut, or a non-ASCII letter */
        kind = b == '#' ? CI_TOKEN_HASHTAG : CI_TOKEN_MENTION;
        if (acc & AW_UPPER) {
            ci_tok_lower_copy(t->nb.lower, p + start, i - start);
            norm = (const char *)t->nb.lower;
        }
    } else if (b == '(' || b == ')') {
        if (nx == ':')
            return 0; /* "(:" "):" */
    } else if (b == '#') {
        if (!(nc & AW_DIGIT) && nx > 0x20)
            return 0; /* a keycap, a hashtag after a word, ... */
    } else if (nx > 0x20 && !(b == '-' && nx != '_')) {
        return 0; /* ":" and "-" may start an emoticon */
    }
    out->kind = kind;
    out->flags = 0;
    out->offset = t->chunk_offset + start;
    out->length = i - start;
    out->norm = norm;
    out->norm_len = i - start;
    t->st.prev_cp = p[i - 1];
    t->st.prev_emo = 0;
    t->chunk_pos = i;
    return 1;
}

/* The fast paths' token p[start..start+len), ASCII and not cut, with no
 * flags: its view (lower-cased into the normalization buffer when it has
 * capitals (`upper`), which case folding maps) and the scanner's state
 * after it. */
static inline void ascii_token_out(ci_tokenizer *t, const uint8_t *p, size_t start, size_t len,
                                   int kind, unsigned upper, ci_token *out)
{
    const char *norm = (const char *)p + start;
    if (upper) {
        /* reserved at creation for CI_TOKEN_MAX_BYTES */
        ci_tok_lower_copy(t->nb.lower, p + start, len);
        norm = (const char *)t->nb.lower;
    }
    out->kind = kind;
    out->flags = 0;
    out->offset = t->chunk_offset + start;
    out->length = len;
    out->norm = norm;
    out->norm_len = len;
    t->st.prev_cp = p[start + len - 1];
    t->st.prev_emo = kind == CI_TOKEN_EMOTICON;
    t->chunk_pos = start + len;
}

/* An ASCII URL or email address straight from the chunk, for a token that
 * starts with a letter or digit and that the word paths gave up on.  The
 * same grammar functions as scan(), in scan()'s order (a URL scheme before
 * an email; scan() reaches the email grammar exactly when the local part
 * is followed by '@', as a match here requires); anything else, non-ASCII
 * bytes, or a cut, is left to scan().  1 when it filled *out. */
static inline int url_email_next(ci_tokenizer *t, const uint8_t *p, size_t n, size_t start,
                                 ci_token *out)
{
    window w = {p + start, n - start, t->finished};
    uint8_t b = p[start];
    size_t len;
    int kind;
    if (n - start < 2 || p[start + 1] >= 0x80)
        return 0; /* a keycap, a non-ASCII letter, or too little to tell */
    size_t pl;
    int r = (b == 'h' || b == 'H' || b == 'f' || b == 'F' || b == 'w' || b == 'W')
                ? url_prefix(&w, 0, &pl) : 0;
    if (r < 0)
        return 0;
    if (r > 0) {
        scan_out o;
        memset(&o, 0, sizeof o);
        if (scan_url(&w, pl, 0, &o) != S_TOKEN || o.cut)
            return 0;
        len = o.len;
        kind = CI_TOKEN_URL;
    } else {
        if (scan_email(&w, 0, &len) <= 0)
            return 0;
        kind = CI_TOKEN_EMAIL;
    }
    unsigned bits = span_bits(p + start, len);
    if (bits & SPAN_HIGH)
        return 0; /* utf8proc normalizes it */
    ascii_token_out(t, p, start, len, kind, bits & SPAN_UPPER, out);
    return 1;
}

/* An emoticon at p[start], where scan() would try one (see fast_next()):
 * fills the token and returns 1, 0 when there is none, -1 when it cannot
 * tell yet (scan() then asks for more input). */
static inline int emoticon_next(ci_tokenizer *t, const uint8_t *p, size_t n, size_t start,
                                ci_token *out)
{
    window w = {p + start, n - start, t->finished};
    size_t len;
    int r = scan_emoticon(&w, 0, &len);
    if (r <= 0)
        return r;
    /* ":D" folds to ":d" */
    ascii_token_out(t, p, start, len, CI_TOKEN_EMOTICON, span_bits(p + start, len) & SPAN_UPPER,
                    out);
    return 1;
}

/* The hot path, straight from the caller's chunk: an ASCII word, number or
 * plain punctuation run.  It produces exactly what scan() would (the tests
 * compare whole-text runs, which take this path, with 1-byte feeds, which
 * cannot); anything it is not sure of is left to scan().  Returns 1 when it
 * filled *out. */
static inline int fast_next(ci_tokenizer *t, ci_token *out)
{
    const uint8_t *p = t->chunk;
    size_t n = t->chunk_len, i = t->chunk_pos;
    while (i < n && p[i] <= 0x20)
        i++;
    if (i == n || t->st.cont_kind)
        return 0;
    size_t start = i;
    uint8_t b = p[i];
    unsigned flags = 0;
    int kind, r;
    if ((ascii_word_class[b] & AW_ALNUM) && b != '_') {
#if defined(__SSE2__)
        if (word16(t, p, n, start, out))
            return 1;
#endif
        unsigned acc;
        if (!ascii_word(p, n, t->finished, start, &i, &acc))
            return url_email_next(t, p, n, start, out);
        kind = (acc & AW_ALPHA) ? CI_TOKEN_WORD : CI_TOKEN_NUMBER;
        flags = ascii_word_flags(acc);
        if (acc & AW_UPPER) {
            /* reserved at creation: cannot fail */
            ci_tok_lower_copy(t->nb.lower, p + start, i - start);
            out->norm = (const char *)t->nb.lower;
        } else {
            out->norm = (const char *)p + start;
        }
        if (kind == CI_TOKEN_WORD && is_negation(out->norm, i - start, flags))
            flags |= CI_TOKEN_NEGATION;
    } else if (ci_tok_punct_class[b] & CI_PC_RUN) {
        size_t limit = start + CI_TOKEN_MAX_BYTES < n ? start + CI_TOKEN_MAX_BYTES : n;
        do
            i++;
        while (i < limit && p[i] == b);
        if (i == n ? !t->finished : i == limit)
            return 0;
        kind = CI_TOKEN_PUNCT;
        out->norm = (const char *)p + start;
    } else if (ci_tok_punct_class[b] & CI_PC_SYMBOL) {
        i++;
        kind = CI_TOKEN_SYMBOL;
        out->norm = (const char *)p + start;
    } else if (is_emoticon_start(b) && emoticon_may_start(&t->st, start - t->chunk_pos) &&
               (r = emoticon_next(t, p, n, start, out)) != 0) {
        /* scan() tries an emoticon first where one may start */
        return r > 0;
    } else if (b == '(' || b == ')' || b == ':' || b == '-' || b == '#' || b == '@') {
        return mark_next(t, p, n, start, out);
    } else {
        return 0;
    }
    out->kind = kind;
    out->flags = flags;
    out->offset = t->chunk_offset + start;
    out->length = i - start;
    out->norm_len = i - start;
    t->st.prev_cp = p[i - 1];
    t->st.prev_emo = 0;
    t->chunk_pos = i;
    return 1;
}

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* Everything fast_next() leaves: kept out of line so that the hot path
 * does not pay for its registers and stack. */
static NOINLINE ci_status next_slow(ci_tokenizer *t, ci_token *out)
{
    scan_out o;
    for (;;) {
        if (t->carry_len == 0) {
            ci_status done;
            if (ci_tok_drained(t, &done))
                return done;
            window w = {t->chunk + t->chunk_pos, t->chunk_len - t->chunk_pos, t->finished};
            scan(&w, &t->st, &o);
            if (o.res == S_NEED && w.n - o.skip > CARRY_CAP) {
                /* Cannot happen while every grammar decides within its
                 * lookahead; deciding now beats overflowing the carry. */
                w.final = true;
                scan(&w, &t->st, &o);
            }
            if (o.res == S_TOKEN) {
                ci_status st = emit(t, w.p, &o, t->chunk_offset + t->chunk_pos, 1, out);
                if (st != CI_OK)
                    return st;
                t->chunk_pos += o.skip + o.len;
                return CI_OK;
            }
            if (o.skip)
                t->st.prev_cp = ' ';
            t->chunk_pos += o.skip;
            if (o.res == S_END) {
                t->chunk = NULL;
                t->chunk_len = t->chunk_pos = 0;
                return CI_DONE;
            }
            /* Undecided tail: bounded by the scanner's lookahead, so it fits. */
            size_t rest = t->chunk_len - t->chunk_pos;
            memcpy(t->carry, t->chunk + t->chunk_pos, rest);
            t->carry_len = rest;
            t->carry_offset = t->chunk_offset + t->chunk_pos;
            t->carry_from_chunk = 0;
            t->chunk = NULL;
            t->chunk_len = t->chunk_pos = 0;
            return CI_MORE;
        }

        /* Carry mode: top the carry up from the chunk and scan it. */
        size_t avail = t->chunk_len - t->chunk_pos;
        size_t take = CARRY_CAP - t->carry_len;
        if (take > avail)
            take = avail;
        if (take)
            memcpy(t->carry + t->carry_len, t->chunk + t->chunk_pos, take);
        t->carry_len += take;
        t->chunk_pos += take;
        t->carry_from_chunk += take;
        bool chunk_done = t->chunk_pos == t->chunk_len;
        bool final = t->finished && chunk_done;
        window w = {t->carry, t->carry_len, final};
        scan(&w, &t->st, &o);
        if (o.res == S_NEED && o.skip == 0 && t->carry_len == CARRY_CAP) {
            /* Cannot happen while every grammar decides within its
             * lookahead; deciding now beats looping forever. */
            w.final = true;
            scan(&w, &t->st, &o);
        }
        if (o.res == S_TOKEN) {
            ci_status st = emit(t, t->carry, &o, t->carry_offset, 0, out);
            if (st != CI_OK) {
                /* Give the pulled bytes back so the state is as before. */
                t->carry_len -= take;
                t->chunk_pos -= take;
                t->carry_from_chunk -= take;
                return st;
            }
        }
        size_t used = o.skip + (o.res == S_TOKEN ? o.len : 0);
        if (o.res != S_TOKEN && o.skip)
            t->st.prev_cp = ' ';
        size_t rem = t->carry_len - used;
        if (rem <= t->carry_from_chunk) {
            /* What is left came from the current chunk: scan it in place. */
            t->chunk_pos -= rem;
            t->carry_len = 0;
            t->carry_from_chunk = 0;
        } else {
            memmove(t->carry, t->carry + used, rem);
            t->carry_len = rem;
            t->carry_offset += used;
        }
        if (o.res == S_TOKEN)
            return CI_OK;
        if (o.res == S_END && final) {
            t->carry_len = 0;
            return CI_DONE;
        }
        if (t->carry_len && chunk_done) {
            t->carry_from_chunk = 0;
            t->chunk = NULL;
            t->chunk_len = t->chunk_pos = 0;
            return CI_MORE;
        }
    }
}

ci_status ci_tok_step(ci_tokenizer *t, ci_token *out)
{
    if (t->carry_len == 0 && fast_next(t, out))
        return CI_OK;
    return next_slow(t, out);
}

CI_API ci_status ci_tokenizer_next(ci_tokenizer *t, ci_token *out)
{
    if (!t || !out)
        return CI_ERR_INVALID;
    if (out->struct_size < CI_TOKEN_V1_SIZE)
        return CI_ERR_STRUCT_SIZE;
    return ci_tok_step(t, out);
}

static const char *const kind_names[] = {
    NULL, "word", "number", "punct", "symbol", "emoji", "emoticon", "url", "email",
    "mention", "hashtag",
};

CI_API const char *ci_token_kind_name(int kind)
{
    if (kind <= 0 || kind >= (int)(sizeof kind_names / sizeof kind_names[0]))
        return NULL;
    return kind_names[kind];
}

CI_API const char *ci_token_flag_name(unsigned flag)
{
    switch (flag) {
    case CI_TOKEN_ALLCAPS: return "allcaps";
    case CI_TOKEN_ELONGATED: return "elongated";
    case CI_TOKEN_CONTRACTION: return "contraction";
    case CI_TOKEN_NEGATION: return "negation";
    case CI_TOKEN_REPLACED: return "replaced";
    case CI_TOKEN_SPLIT: return "split";
    case CI_TOKEN_NONASCII: return "nonascii";
    default: return NULL;
    }
}
