/* SPDX-License-Identifier: MIT */
/*
 * The sentiment scorer: native rules on libci tokens, or VADER-compatible
 * scoring; intents; per-sentence scores; explanations.
 *
 * The native rules follow VADER's model (valences on -4..+4, boosters and
 * dampeners with distance decay, negation in the three preceding words,
 * capitals for emphasis when the text mixes case, "but" shifting weight to
 * what follows, "!" and "?" amplification, x/sqrt(x^2+15)), and differ where
 * VADER's shortcuts cost accuracy on customer text: phrases ("charged
 * twice") are matched as units, elongated words fall back to their base
 * form, emoji are scored directly, modifiers come from the lexicon, rules do
 * not reach across sentences, and "but" weighs words by position.
 */
#include <math.h>
#include <string.h>

#include "../common/diag-priv.h"
#include "../common/utf8-priv.h"
#include "sentiment-priv.h"

#define B_INCR 0.293
#define C_INCR 0.733
#define N_SCALAR (-0.74)

/* One token of the text: the tokenizer writes the ci_token part itself (a
 * batch's elements may be larger than ci_token; see
 * ci_tokenizer_next_batch), so that no token is copied field by field. */
typedef struct ntok {
    ci_token t;            /* t.norm: in the caller's text, or the arena */
    int32_t entry;         /* norm-map entry of the token's text (items only), or -1 */
    uint32_t sentence;
    uint32_t noff;         /* where t.norm is in the arena, if it is there */
} ntok;

/* One word-like token (an item), as the rules see it. */
typedef struct nitem {
    uint32_t tok;          /* first token */
    uint32_t span;         /* tokens covered (a phrase covers several) */
    int32_t entry;         /* norm-map entry of the matched term, or -1 */
    double base;
    float scalar;          /* booster/dampener scalar, or 0 */
    uint8_t negator, caps;
    uint8_t rules;         /* RULE_* of its first token's word (RULE_BUT only alone) */
} nitem;

typedef struct sentence_span {
    uint32_t first_tok, end_tok;   /* tokens [first, end) */
    uint32_t first_item, end_item; /* items [first, end) */
    uint32_t ep, qm;               /* '!' and '?' in its punctuation */
    uint64_t off;
    size_t len;
    double compound, pos, neu, neg;
} sentence_span;

typedef struct contrib {
    uint64_t off;
    size_t len;
    double base, valence;
    uint32_t term_off, term_len; /* in the term arena */
    size_t sentence;
} contrib;

struct ci_sentiment {
    ci_alloc a;
    const ci_lexicon *lex;
    ci_sentiment_options opts;
    ci_tokenizer *tok;
    ci_vader_scratch vs;
    ntok *toks;
    size_t ntoks, toks_cap;
    char *arena;
    size_t arena_len, arena_cap;
    nitem *items;
    size_t nitems, items_cap;
    sentence_span *sents;
    size_t nsents, sents_cap;  /* nsents: what ci_sentiment_sentence() shows */
    size_t nspans;             /* sentences of the text, as tokenized */
    contrib *contribs;
    size_t ncontribs, contribs_cap;
    char *terms;               /* contribution terms */
    size_t terms_len, terms_cap;
    double *vals;
    size_t vals_cap;
    uint32_t *widx;            /* token index of each word-like token */
    size_t nwords, widx_cap;
    size_t intent_starts;      /* words that start an intent pattern */
};

static const char *const intent_names[CI_INTENT_COUNT] = {
    "confusion", "frustration", "urgency", "churn", "praise", "effort",
};

CI_API const char *ci_intent_name(int intent)
{
    return intent >= 0 && intent < CI_INTENT_COUNT ? intent_names[intent] : NULL;
}

CI_API void ci_sentiment_options_init(ci_sentiment_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

CI_API void ci_sentiment_result_init(ci_sentiment_result *r)
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
}

CI_API void ci_sentence_score_init(ci_sentence_score *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

CI_API void ci_contribution_init(ci_contribution *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

CI_API ci_status ci_sentiment_new(const ci_lexicon *lex, const ci_sentiment_options *opts,
                                  const ci_allocator *alloc, ci_sentiment **out)
{
    if (!out)
        return CI_ERR_INVALID;
    *out = NULL;
    if (!lex)
        return CI_ERR_INVALID;
    if (opts && opts->struct_size < sizeof(ci_sentiment_options))
        return CI_ERR_STRUCT_SIZE;
    ci_alloc a = lex->a;
    if (alloc && ci_alloc_resolve(alloc, &a) != CI_OK)
        return CI_ERR_INVALID;
    ci_sentiment *s = ci_calloc(&a, 1, sizeof *s);
    if (!s)
        return CI_ERR_NOMEM;
    s->a = a;
    s->lex = lex;
    ci_sentiment_options_init(&s->opts);
    if (opts) {
        s->opts.vader_compat = opts->vader_compat != 0;
        s->opts.explain = opts->explain != 0;
        s->opts.sentences = opts->sentences != 0;
    }
    ci_allocator pub;
    ci_alloc_public(&a, &pub);
    ci_status st = ci_tokenizer_new(&pub, &s->tok);
    if (st != CI_OK) {
        ci_dealloc(&a, s);
        return st;
    }
    *out = s;
    return CI_OK;
}

CI_API void ci_sentiment_free(ci_sentiment *s)
{
    if (!s)
        return;
    ci_alloc a = s->a;
    ci_tokenizer_free(s->tok);
    ci_vader_scratch_free(&s->vs, &a);
    ci_dealloc(&a, s->toks);
    ci_dealloc(&a, s->arena);
    ci_dealloc(&a, s->items);
    ci_dealloc(&a, s->sents);
    ci_dealloc(&a, s->contribs);
    ci_dealloc(&a, s->terms);
    ci_dealloc(&a, s->vals);
    ci_dealloc(&a, s->widx);
    ci_dealloc(&a, s);
}

/* ------------------------------------------------------------------------ */
/*  Tokens and sentences                                                    */
/* ------------------------------------------------------------------------ */

#define GROW(s, arr, cap, need) \
    ci_grow(&(s)->a, (void **)&(s)->arr, &(s)->cap, (need), sizeof *(s)->arr)

static int ends_sentence(const char *norm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (norm[i] == '.' || norm[i] == '!' || norm[i] == '?')
            return 1;
    return 0;
}

static int is_item_kind(int kind)
{
    return kind != CI_TOKEN_PUNCT && kind != CI_TOKEN_SYMBOL;
}

/* Tokens taken from the tokenizer per call. */
#define TOKEN_BATCH 64

/* Tokenize the whole text and cut it into sentences: after ".", "!" or "?"
 * runs, and at line breaks.  Each word-like token is looked up once here;
 * the rules, phrases and intents all work from that entry.  Normalized text
 * that is in the caller's text already (lower-case ASCII, most of it) is
 * used where it is; the rest is copied to the arena, as the tokenizer's
 * views of it end with the next batch. */
static ci_status tokenize_text(ci_sentiment *s, const char *text, size_t len)
{
    ci_status st;
    s->ntoks = s->arena_len = s->nsents = s->nspans = s->nwords = s->intent_starts = 0;
    ci_tokenizer_reset(s->tok);
    if ((st = ci_tokenizer_feed(s->tok, text, len)) != CI_OK ||
        (st = ci_tokenizer_finish(s->tok)) != CI_OK)
        return st;
    /* the VADER-compatible scorer reads the text its own way: entries are
     * then only for intents, if the lexicon has any */
    const ci_lexicon *lex = s->lex;
    int lookup = !s->opts.vader_compat || lex->intents.count;
    /* Counters live in locals: the compiler cannot keep s->... in registers
     * across the stores to the token array, which may alias them. */
    size_t ntoks = 0, nwords = 0, nspans = 0, starts = 0;
    ntok *toks = s->toks;
    uint32_t *widx = s->widx;
    sentence_span *q = NULL;        /* the open sentence */
    uint64_t last_end = 0;          /* end of the last token */
    int boundary = 1, copied = 0;
    /* the next line break: one between two tokens ends a sentence */
    const char *nl = len ? memchr(text, '\n', len) : NULL;
    uint64_t next_nl = nl ? (uint64_t)(nl - text) : UINT64_MAX;
    for (;;) {
        if (ntoks + TOKEN_BATCH > s->toks_cap || ntoks + TOKEN_BATCH > s->widx_cap) {
            if ((st = GROW(s, toks, toks_cap, ntoks + TOKEN_BATCH)) != CI_OK ||
                (st = GROW(s, widx, widx_cap, ntoks + TOKEN_BATCH)) != CI_OK)
                return st;
            toks = s->toks;
            widx = s->widx;
        }
        size_t nb;
        toks[ntoks].t.struct_size = sizeof(ntok); /* the stride */
        if ((st = ci_tokenizer_next_batch(s->tok, &toks[ntoks].t, TOKEN_BATCH, &nb)) != CI_OK)
            break;
        for (size_t end = ntoks + nb; ntoks < end; ntoks++) {
            ntok *k = &toks[ntoks];
            const ci_token *t = &k->t;
            if (next_nl < t->offset) {
                boundary |= ntoks != 0;
                nl = memchr(text + t->offset, '\n', len - t->offset);
                next_nl = nl ? (uint64_t)(nl - text) : UINT64_MAX;
            }
            if (boundary) { /* the first token of a sentence */
                if (q) {
                    q->end_tok = (uint32_t)ntoks;
                    q->len = (size_t)(last_end - q->off);
                }
                if (nspans + 1 > s->sents_cap && (st = GROW(s, sents, sents_cap, nspans + 1)) != CI_OK)
                    return st;
                q = &s->sents[nspans++];
                memset(q, 0, sizeof *q);
                q->first_tok = (uint32_t)ntoks;
                q->off = t->offset;
                boundary = 0;
            }
            uintptr_t at = (uintptr_t)t->norm - (uintptr_t)text; /* wraps when before it */
            if (at > len || t->norm_len > len - at) {
                if (s->arena_len + t->norm_len > s->arena_cap &&
                    (st = GROW(s, arena, arena_cap, s->arena_len + t->norm_len)) != CI_OK)
                    return st;
                memcpy(s->arena + s->arena_len, t->norm, t->norm_len);
                k->noff = (uint32_t)s->arena_len;
                s->arena_len += t->norm_len;
                copied = 1;
            } else {
                k->noff = UINT32_MAX;
            }
            k->sentence = (uint32_t)(nspans - 1);
            k->entry = -1;
            last_end = t->offset + t->length;
            if (is_item_kind(t->kind)) {
                widx[nwords++] = (uint32_t)ntoks;
                if (lookup) {
                    long e = ci_lex_word(lex, t->norm, t->norm_len);
                    k->entry = (int32_t)e;
                    starts += lex->intent_first[e + 1] != 0;
                }
            } else if (t->kind == CI_TOKEN_PUNCT) {
                for (size_t b = 0; b < t->norm_len; b++) {
                    q->ep += t->norm[b] == '!';
                    q->qm += t->norm[b] == '?';
                }
                if (ends_sentence(t->norm, t->norm_len))
                    boundary = 1;
            }
        }
    }
    if (q) {
        q->end_tok = (uint32_t)ntoks;
        q->len = (size_t)(last_end - q->off);
    }
    s->ntoks = ntoks;
    s->nwords = nwords;
    s->nspans = nspans;
    s->intent_starts = starts;
    if (copied) /* the arena has stopped moving */
        for (size_t i = 0; i < ntoks; i++)
            if (toks[i].noff != UINT32_MAX)
                toks[i].t.norm = s->arena + toks[i].noff;
    return st == CI_DONE ? CI_OK : st;
}

/* ------------------------------------------------------------------------ */
/*  Native scoring                                                          */
/* ------------------------------------------------------------------------ */

/* Collapse runs of 3+ identical bytes to `keep` ("sooo" -> "soo" -> "so"). */
static size_t deelongate(const char *in, size_t n, char *out, int keep)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j + 1 < n && in[j + 1] == in[i])
            j++;
        size_t run = j - i + 1;
        size_t take = run >= 3 ? (size_t)keep : run;
        for (size_t r = 0; r < take; r++)
            out[o++] = in[i];
        i = j;
    }
    return o;
}

/* Find the lexicon entry for the item starting at token index ti: the
 * longest phrase, else the word, else its de-elongated or un-hashed form. */
static void match_item(const ci_sentiment *s, size_t ti, size_t end_tok, long *entry, uint32_t *span)
{
    const ci_lexicon *lex = s->lex;
    const ntok *k = &s->toks[ti];
    *entry = -1;
    *span = 1;
    long e = k->entry;
    if (e >= 0 && (lex->norm_vals[e].flags & LEX_PREFIX)) {
        uint32_t words = 1;
        long pe = e;
        for (size_t j = ti + 1; j < end_tok && words < lex->max_phrase_words; j++) {
            const ntok *kj = &s->toks[j];
            if (!is_item_kind(kj->t.kind) || kj->entry < 0 ||
                !ci_lex_may_step(lex->phrase_sig, (uint32_t)pe + 1, (uint32_t)kj->entry))
                break;
            words++;
            pe = ci_u64map_get(&lex->phrase_next, ((uint64_t)pe + 1) << 32 | (uint32_t)kj->entry);
            if (pe < 0)
                break;
            if (lex->norm_vals[pe].flags & (LEX_VALENCE | LEX_BOOSTER | LEX_NEGATOR)) {
                *entry = pe;
                *span = words;
            }
            if (!(lex->norm_vals[pe].flags & LEX_PREFIX))
                break;
        }
        if (*entry >= 0)
            return;
    }
    if (e >= 0 && (lex->norm_vals[e].flags & (LEX_VALENCE | LEX_BOOSTER | LEX_NEGATOR))) {
        *entry = e;
        return;
    }
    const char *w = k->t.norm;
    size_t wl = k->t.norm_len;
    if ((k->t.flags & CI_TOKEN_ELONGATED) && wl <= 256) {
        char buf[256];
        for (int keep = 2; keep >= 1; keep--) {
            size_t n = deelongate(w, wl, buf, keep);
            long de = ci_lex_word(lex, buf, n);
            if (de >= 0 && (lex->norm_vals[de].flags & (LEX_VALENCE | LEX_BOOSTER | LEX_NEGATOR))) {
                *entry = de;
                return;
            }
        }
    }
    if (k->t.kind == CI_TOKEN_HASHTAG && wl > 1) {
        long he = ci_lex_word(lex, w + 1, wl - 1);
        if (he >= 0 && (lex->norm_vals[he].flags & LEX_VALENCE))
            *entry = he;
    }
}

static int has_two_letters(const ntok *k)
{
    int letters = 0;
    const char *n = k->t.norm;
    for (size_t i = 0; i < k->t.norm_len; i++)
        letters += (uint8_t)n[i] >= 0x80 || (n[i] >= 'a' && n[i] <= 'z');
    return letters >= 2;
}

/* Items of each sentence in turn: phrases never cross a sentence.  Returns
 * in *ncaps the items in capitals. */
static ci_status build_items(ci_sentiment *s, size_t *ncaps)
{
    ci_status st;
    const ci_lexicon *lex = s->lex;
    const lex_value *lv = lex->norm_vals;
    static const lex_value none = {0, 0, 0, 0};
    /* at most one item per token: grown once, not per item */
    if (s->ntoks > s->items_cap && (st = GROW(s, items, items_cap, s->ntoks)) != CI_OK)
        return st;
    const ntok *toks = s->toks;
    nitem *items = s->items;
    size_t n = 0, caps = 0;
    for (size_t q = 0; q < s->nspans; q++) {
        sentence_span *sp = &s->sents[q];
        size_t end = sp->end_tok;
        sp->first_item = (uint32_t)n;
        for (size_t ti = sp->first_tok; ti < end;) {
            const ntok *k = &toks[ti];
            if (!is_item_kind(k->t.kind)) {
                ti++;
                continue;
            }
            long e = k->entry;
            uint32_t span = 1;
            /* Whether a word has an entry, a valence or a scalar is a coin
             * toss per word: the item is filled with selects on a value
             * that is always there (none for no entry), not branches. */
            const lex_value *w = e >= 0 ? &lv[e] : &none;
            unsigned ef = w->flags;
            unsigned rules = w->rules; /* the token's own word, even where it starts a phrase */
            int scored = (ef & (LEX_VALENCE | LEX_BOOSTER | LEX_NEGATOR)) != 0;
            /* Can a phrase go on with the next token?  Tested without
             * branching on whether the word is a prefix, which is a coin
             * toss; phrase_sig[0] (no entry) is empty.  Tokens other than
             * words have no entry. */
            long ne = ti + 1 < end ? toks[ti + 1].entry : -1;
            unsigned go_on = (unsigned)(lex->phrase_sig[e + 1] >> ci_lex_sig_bit((uint32_t)ne) & 1) &
                             (unsigned)(ne >= 0);
            /* Most words are a lexicon term on their own or nothing at all:
             * only phrase starts and words with other forms need a search. */
            if (go_on ||
                (!scored && ((k->t.flags & CI_TOKEN_ELONGATED) || k->t.kind == CI_TOKEN_HASHTAG)))
                match_item(s, ti, end, &e, &span);
            else if (!scored)
                e = -1;
            nitem *it = &items[n++];
            it->tok = (uint32_t)ti;
            it->span = span;
            it->entry = (int32_t)e;
            const lex_value *v = e >= 0 ? &lv[e] : &none;
            unsigned vf = v->flags;
            it->base = vf & LEX_VALENCE ? v->valence : 0.0;
            it->scalar = vf & LEX_BOOSTER ? v->scalar : 0.0f;
            it->negator = (uint8_t)(((k->t.flags & CI_TOKEN_NEGATION) != 0) | ((vf & LEX_NEGATOR) != 0));
            it->caps = (k->t.flags & CI_TOKEN_ALLCAPS) && has_two_letters(k);
            caps += it->caps;
            it->rules = (uint8_t)(span > 1 ? rules & ~(unsigned)RULE_BUT : rules);
            ti += span;
        }
        sp->end_item = (uint32_t)n;
    }
    s->nitems = n;
    *ncaps = caps;
    return CI_OK;
}

/* Apply the rules to item i, looking back only within its sentence. */
static double rule_valence(const ci_sentiment *s, size_t i, size_t first, int cap_diff)
{
    const nitem *it = s->items;
    double v = it[i].base;
    if (v == 0.0)
        return 0.0;
    if (it[i].caps && cap_diff)
        v += v > 0 ? C_INCR : -C_INCR;
    for (size_t back = 1; back <= 3 && i >= first + back; back++) {
        const nitem *p = &it[i - back];
        /* a clause ends at punctuation: "not great, terrible" */
        if (p->tok + p->span != it[i - back + 1].tok)
            break;
        if (p->base != 0.0)
            continue; /* a sentiment word in between is not a modifier */
        if (p->scalar != 0.0f) {
            double sc = p->scalar;
            if (v < 0)
                sc = -sc;
            if (p->caps && cap_diff)
                sc += v > 0 ? C_INCR : -C_INCR;
            v += sc * (back == 1 ? 1.0 : back == 2 ? 0.95 : 0.9);
        }
        if (p->negator) {
            /* "never so good" and "without doubt, good" intensify instead */
            if (back >= 2 && (p->rules & RULE_NEVER) && (it[i - back + 1].rules & RULE_SO_THIS))
                v *= 1.25;
            else if (back >= 2 && (p->rules & RULE_WITHOUT) && (it[i - back + 1].rules & RULE_DOUBT))
                ;
            else
                v *= N_SCALAR;
        }
    }
    /* "least good" is not good, but "at least good" is */
    if (i > first && (it[i - 1].rules & RULE_LEAST) && !(i > first + 1 && (it[i - 2].rules & RULE_AT_VERY)))
        v *= N_SCALAR;
    return v;
}

/* VADER's sifted totals of a run of final valences. */
typedef struct totals {
    double sum, pos, neg, neu;
} totals;

static void add_valences(const double *vals, size_t first, size_t end, totals *t)
{
    /* selects, not branches: the sign of each valence is unpredictable, and
     * adding +0.0 leaves these sums as they are */
    for (size_t i = first; i < end; i++) {
        double v = vals[i];
        t->sum += v;
        t->pos += v > 0 ? v + 1 : 0.0;
        t->neg += v < 0 ? v - 1 : 0.0;
        t->neu += v == 0 ? 1.0 : 0.0;
    }
}

/* Scores of `count` valences with totals t: all zero when there are none. */
static void totals_scores(const totals *t, size_t count, size_t ep, size_t qm, double *compound,
                          double *pos, double *neu, double *neg)
{
    *compound = *pos = *neu = *neg = 0;
    if (!count)
        return;
    ci_vader_scores sc;
    ci_valence_scores(t->sum, t->pos, t->neg, t->neu, ep, qm, &sc);
    *compound = sc.compound;
    *pos = sc.pos;
    *neu = sc.neu;
    *neg = sc.neg;
}

static ci_status add_contrib(ci_sentiment *s, uint64_t off, size_t len, double base, double val,
                             const char *term, size_t term_len, size_t sentence)
{
    ci_status st;
    if ((st = GROW(s, contribs, contribs_cap, s->ncontribs + 1)) != CI_OK ||
        (st = GROW(s, terms, terms_cap, s->terms_len + term_len + 1)) != CI_OK)
        return st;
    contrib *c = &s->contribs[s->ncontribs++];
    c->off = off;
    c->len = len;
    c->base = base;
    c->valence = val;
    c->term_off = (uint32_t)s->terms_len;
    c->term_len = (uint32_t)term_len;
    c->sentence = sentence;
    memcpy(s->terms + s->terms_len, term, term_len);
    s->terms_len += term_len;
    return CI_OK;
}

static ci_status score_native(ci_sentiment *s, ci_sentiment_result *res)
{
    ci_status st;
    size_t caps;
    if ((st = build_items(s, &caps)) != CI_OK)
        return st;
    size_t n = s->nitems;
    if ((st = GROW(s, vals, vals_cap, n + 1)) != CI_OK)
        return st;
    const nitem *items = s->items;
    double *vals = s->vals;
    /* Capitals emphasize only when the text mixes case. */
    int cap_diff = 0;
    if (caps) {
        size_t cased = 0;
        for (size_t i = 0; i < n; i++)
            cased += has_two_letters(&s->toks[items[i].tok]);
        cap_diff = caps < cased;
    }

    /* the whole text's totals, item by item in order */
    totals all = {0, 0, 0, 0};
    size_t ep = 0, qm = 0;
    for (size_t q = 0; q < s->nspans; q++) {
        sentence_span *sp = &s->sents[q];
        size_t f = sp->first_item, e = sp->end_item, but = e;
        for (size_t i = f; i < e; i++) {
            vals[i] = items[i].scalar != 0.0f || items[i].base == 0.0 ? 0.0
                                                                      : rule_valence(s, i, f, cap_diff);
            if (but == e && (items[i].rules & RULE_BUT))
                but = i;
        }
        /* "but": what follows weighs more than what precedes */
        if (but < e)
            for (size_t i = f; i < e; i++)
                vals[i] *= i < but ? 0.5 : i > but ? 1.5 : 1.0;
        if (s->opts.sentences) {
            totals st_q = {0, 0, 0, 0};
            add_valences(vals, f, e, &st_q);
            totals_scores(&st_q, e - f, sp->ep, sp->qm, &sp->compound, &sp->pos, &sp->neu,
                          &sp->neg);
        }
        add_valences(vals, f, e, &all);
        ep += sp->ep;
        qm += sp->qm;
    }
    totals_scores(&all, n, ep, qm, &res->compound, &res->pos, &res->neu, &res->neg);

    if (s->opts.explain) {
        for (size_t i = 0; i < n; i++) {
            const nitem *it = &s->items[i];
            if (it->base == 0.0 || it->entry < 0)
                continue;
            const ntok *a = &s->toks[it->tok], *b = &s->toks[it->tok + it->span - 1];
            size_t kl;
            const char *term = ci_strmap_key(&s->lex->norm, (size_t)it->entry, &kl);
            if ((st = add_contrib(s, a->t.offset, b->t.offset + b->t.length - a->t.offset, it->base, s->vals[i], term,
                                  kl, s->opts.sentences ? a->sentence : 0)) != CI_OK)
                return st;
        }
    }
    s->nsents = s->opts.sentences ? s->nspans : 0;
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  VADER-compatible scoring                                                */
/* ------------------------------------------------------------------------ */

static ci_status score_vader(ci_sentiment *s, const char *text, size_t len,
                             ci_sentiment_result *res)
{
    ci_status st;
    ci_vader_scores vsc;
    if (s->opts.sentences) {
        /* VADER on each sentence (as its users do with a sentence splitter);
         * the sentence cuts are the native scorer's, from the tokens. */
        for (size_t q = 0; q < s->nspans; q++) {
            sentence_span *sp = &s->sents[q];
            if ((st = ci_vader_score(&s->vs, &s->a, s->lex, text + sp->off, sp->len, &vsc)) != CI_OK)
                return st;
            sp->compound = vsc.compound;
            sp->pos = vsc.pos;
            sp->neu = vsc.neu;
            sp->neg = vsc.neg;
        }
        s->nsents = s->nspans;
    }
    if ((st = ci_vader_score(&s->vs, &s->a, s->lex, text, len, &vsc)) != CI_OK)
        return st;
    res->compound = vsc.compound;
    res->pos = vsc.pos;
    res->neu = vsc.neu;
    res->neg = vsc.neg;
    if (s->opts.explain) {
        for (size_t k = 0; k < s->vs.nwords; k++) {
            const char *term;
            size_t tl, sl;
            double base, val;
            uint64_t so;
            if (!ci_vader_word(&s->vs, k, &term, &tl, &base, &val, &so, &sl))
                continue;
            size_t sentence = 0;
            for (size_t q = 0; q < s->nsents; q++)
                if (so >= s->sents[q].off)
                    sentence = q;
            if ((st = add_contrib(s, so, sl, base, val, term, tl, sentence)) != CI_OK)
                return st;
        }
    }
    return CI_OK;
}

/* ------------------------------------------------------------------------ */
/*  Intents                                                                 */
/* ------------------------------------------------------------------------ */

/* Is the word-like token at t0 negated: a negator among the three words
 * before it, in its clause? */
static int intent_negated(const ci_sentiment *s, size_t t0)
{
    const ci_lexicon *lex = s->lex;
    uint32_t sentence = s->toks[t0].sentence;
    for (size_t b = 1, seen = 0; b <= t0 && seen < 3; b++) {
        const ntok *p = &s->toks[t0 - b];
        if (p->sentence != sentence || p->t.kind == CI_TOKEN_PUNCT)
            return 0; /* negation does not cross a clause */
        if (!is_item_kind(p->t.kind))
            continue;
        seen++;
        if ((p->t.flags & CI_TOKEN_NEGATION) ||
            (p->entry >= 0 && (lex->norm_vals[p->entry].flags & LEX_NEGATOR)))
            return 1;
    }
    return 0;
}

/* A pattern (or a prefix that is one) matched from word i: its strengths
 * count unless a negator comes before word i. */
static void intent_hit(const ci_sentiment *s, size_t i, long e, int *negated, double *miss)
{
    const ci_lexicon *lex = s->lex;
    if (!(lex->intent_bits[e + 1] & INTENT_STRONG))
        return;
    if (*negated < 0)
        *negated = intent_negated(s, s->widx[i]);
    if (*negated)
        return;
    const float *str = lex->intent_strength[e];
    for (int q = 0; q < CI_INTENT_COUNT; q++)
        if (str[q] > 0)
            miss[q] *= 1.0 - (double)str[q];
}

/* The step from prefix `from` (intents entry + 1) on `word` (a norm entry,
 * or LEX_ANY_WORD), if the lexicon has it: counted, and kept as a live
 * prefix in next[] (room for 32). */
static void intent_step(const ci_sentiment *s, size_t i, uint32_t from, uint32_t word,
                        int *negated, double *miss, uint32_t *next, size_t *nnext)
{
    if (*nnext >= 32)
        return;
    long e = ci_u64map_get(&s->lex->intent_next, (uint64_t)from << 32 | word);
    if (e < 0)
        return;
    intent_hit(s, i, e, negated, miss);
    next[(*nnext)++] = (uint32_t)e + 1;
}

/* Patterns are matched on word-like tokens, with "*" standing for any one
 * word.  The walk from each word follows the lexicon's intent steps on the
 * tokens' entries (every prefix of a pattern is a step), so it stops as
 * soon as no pattern can continue.  A negator in the three words before a
 * match cancels it ("I'm not confused").  Strengths combine as
 * 1 - prod(1 - strength), in the order of the walk. */
static ci_status detect_intents(ci_sentiment *s, ci_sentiment_result *res)
{
    const ci_lexicon *lex = s->lex;
    double miss[CI_INTENT_COUNT];
    for (int k = 0; k < CI_INTENT_COUNT; k++)
        miss[k] = 1.0;
    int star_first = lex->intents.count && (lex->intent_bits[0] & INTENT_STAR);
    if (!s->intent_starts && !star_first)
        goto done; /* no pattern can start in this text */
    size_t nw = s->nwords;
    unsigned maxw = lex->max_intent_words ? lex->max_intent_words : 1;
    const ntok *toks = s->toks;
    const uint32_t *widx = s->widx;
    for (size_t i = 0; i < nw; i++) {
        const ntok *first = &toks[widx[i]];
        uint32_t f = lex->intent_first[first->entry + 1];
        if (!star_first) {
            /* Most words start no pattern, and half of those that do start
             * one that goes no further here: walk only from a word that is
             * a pattern, is followed by "*", or may step on the next word.
             * Worked out without branching on each part, which would
             * mispredict about as often as not; f = 0 masks it all. */
            long ne = -1;
            if (i + 1 < nw) {
                const ntok *nx = &toks[widx[i + 1]];
                ne = nx->sentence == first->sentence ? nx->entry : -1;
            }
            unsigned walk = (unsigned)((lex->intent_bits[f] & (INTENT_STRONG | INTENT_STAR)) != 0) |
                            ((unsigned)ci_lex_may_step(lex->intent_sig, f, (uint32_t)ne) &
                             (unsigned)(ne >= 0));
            if (!(walk & (unsigned)(f != 0)))
                continue;
        }
        /* live prefixes: intents entry + 1 of each */
        uint32_t buf[2][32], *cand = buf[0], *next = buf[1];
        size_t ncand = 0;
        int negated = -1; /* not known yet */
        /* the first word: its own step (no hashing), then the "*" step */
        if (f) {
            intent_hit(s, i, (long)f - 1, &negated, miss);
            cand[ncand++] = f;
        }
        if (star_first)
            intent_step(s, i, 0, LEX_ANY_WORD, &negated, miss, cand, &ncand);
        size_t jend = nw - i > maxw ? i + maxw : nw;
        for (size_t j = i + 1; j < jend && ncand; j++) {
            const ntok *k = &toks[widx[j]];
            if (k->sentence != first->sentence)
                break;
            /* the step on the word and the "*" step, each looked up only
             * where the lexicon may have one (most words are in no pattern) */
            size_t nnext = 0;
            for (size_t c = 0; c < ncand; c++) {
                if (k->entry >= 0 && ci_lex_may_step(lex->intent_sig, cand[c], (uint32_t)k->entry))
                    intent_step(s, i, cand[c], (uint32_t)k->entry, &negated, miss, next, &nnext);
                if (lex->intent_bits[cand[c]] & INTENT_STAR)
                    intent_step(s, i, cand[c], LEX_ANY_WORD, &negated, miss, next, &nnext);
            }
            uint32_t *t = cand;
            cand = next;
            next = t;
            ncand = nnext;
        }
    }
done:
    res->intent_flags = 0;
    for (int k = 0; k < CI_INTENT_MAX; k++)
        res->intent[k] = 0;
    for (int k = 0; k < CI_INTENT_COUNT; k++) {
        res->intent[k] = 1.0 - miss[k];
        if (res->intent[k] >= CI_INTENT_THRESHOLD)
            res->intent_flags |= 1u << k;
    }
    return CI_OK;
}

/* ------------------------------------------------------------------------ */

#define RESULT_V1_SIZE (offsetof(ci_sentiment_result, n_contributions) + sizeof(size_t))

CI_API ci_status ci_sentiment_score(ci_sentiment *s, const char *text, size_t len,
                                    ci_sentiment_result *res)
{
    if (!s || !res || (!text && len))
        return CI_ERR_INVALID;
    if (res->struct_size < RESULT_V1_SIZE)
        return CI_ERR_STRUCT_SIZE;
    if (len > CI_SENTIMENT_MAX_TEXT)
        return CI_ERR_LIMIT;
    if (!text)
        text = "";
    ci_status st;
    s->ncontribs = s->terms_len = 0;
    s->nsents = 0;
    res->compound = res->pos = res->neu = res->neg = 0;
    res->n_sentences = res->n_contributions = 0;
    if ((st = tokenize_text(s, text, len)) != CI_OK)
        goto fail;
    if (s->opts.vader_compat)
        st = score_vader(s, text, len, res);
    else
        st = score_native(s, res);
    if (st != CI_OK)
        goto fail;
    if ((st = detect_intents(s, res)) != CI_OK)
        goto fail;
    res->n_sentences = s->nsents;
    res->n_contributions = s->ncontribs;
    return CI_OK;
fail:
    s->ncontribs = s->nsents = 0;
    return st;
}

CI_API ci_status ci_sentiment_sentence(const ci_sentiment *s, size_t i, ci_sentence_score *out)
{
    if (!s || !out)
        return CI_ERR_INVALID;
    if (out->struct_size < sizeof(ci_sentence_score))
        return CI_ERR_STRUCT_SIZE;
    if (i >= s->nsents)
        return CI_ERR_NOT_FOUND;
    const sentence_span *sp = &s->sents[i];
    out->offset = sp->off;
    out->length = sp->len;
    out->compound = sp->compound;
    out->pos = sp->pos;
    out->neu = sp->neu;
    out->neg = sp->neg;
    return CI_OK;
}

CI_API ci_status ci_sentiment_contribution(const ci_sentiment *s, size_t i, ci_contribution *out)
{
    if (!s || !out)
        return CI_ERR_INVALID;
    if (out->struct_size < sizeof(ci_contribution))
        return CI_ERR_STRUCT_SIZE;
    if (i >= s->ncontribs)
        return CI_ERR_NOT_FOUND;
    const contrib *c = &s->contribs[i];
    out->offset = c->off;
    out->length = c->len;
    out->base = c->base;
    out->valence = c->valence;
    out->term = s->terms + c->term_off;
    out->term_len = c->term_len;
    out->sentence = c->sentence;
    return CI_OK;
}
