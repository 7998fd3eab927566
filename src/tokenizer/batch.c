/* SPDX-License-Identifier: MIT */
/*
 * Batch tokenizing: the tokens of plain ASCII text found 64 bytes at a time.
 *
 * One pass over a 64-byte window turns it into bit masks (letters, digits,
 * separators, joiners, equal neighbours); word boundaries and every token
 * flag then come from a few bit operations per token instead of a loop per
 * byte.  The masks only ever *recognize* tokens that the token-at-a-time
 * path (fast_next() and scan() in tokenizer.c) would give in the same way:
 * plain words and numbers, runs of plain punctuation and lone symbols, each
 * decided by bytes inside the window.  The first token that is anything else
 * (a URL, an email, an emoticon, non-ASCII text, a token crossing the
 * window, an undecided end of a chunk) is left to ci_tok_step(), and the
 * window resumes right after it.  The tests compare the two paths token by token,
 * so they can only differ in speed.
 */
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../common/bits-priv.h"
#include "tokenizer-priv.h"

/* Bytes of a window: 64 scanned, and 16 more read for the lookahead of the
 * last tokens (joiners, a mark after a word, hashed words). */
#define WIN 64
#define WIN_READ 80
#define ARENA_BYTES ((size_t)16 * 1024)

typedef struct masks {
    uint64_t ws;      /* <= 0x20: separators */
    uint64_t alpha, upper, digit;
    uint64_t word;    /* letters, digits and '_' */
    uint64_t join;    /* ' - . , : /, which may join the bytes around them */
    uint64_t eqlow;   /* byte i equals byte i + 1, ignoring ASCII case */
    uint64_t stop;    /* >= 0x80, or a mark (CI_PC_MARK): may go on a word */
} masks;

typedef void masks_fn(const uint8_t *q, masks *m);

/* The masks of q[0..64), reading q[64] too.  Portable version: the
 * reference for the vector ones (test_batch_masks compares them). */
static void masks_portable(const uint8_t *q, masks *m)
{
    memset(m, 0, sizeof *m);
    for (unsigned i = 0; i < WIN; i++) {
        uint8_t b = q[i], lb = (uint8_t)(b | 0x20);
        uint64_t bit = (uint64_t)1 << i;
        if (b <= 0x20)
            m->ws |= bit;
        if (lb >= 'a' && lb <= 'z')
            m->alpha |= bit;
        if (b >= 'A' && b <= 'Z')
            m->upper |= bit;
        if (b >= '0' && b <= '9')
            m->digit |= bit;
        if ((lb >= 'a' && lb <= 'z') || (b >= '0' && b <= '9') || b == '_')
            m->word |= bit;
        if (b == '\'' || b == '-' || b == '.' || b == ',' || b == ':' || b == '/')
            m->join |= bit;
        if (lb == (q[i + 1] | 0x20))
            m->eqlow |= bit;
        if (b >= 0x80 || (ci_tok_punct_class[b] & CI_PC_MARK))
            m->stop |= bit;
    }
}

#if defined(__SSE2__)
static inline uint64_t mm(__m128i v, unsigned lane)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(v) << (16 * lane);
}

static inline __m128i eq8(__m128i v, char c)
{
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}

static void masks_sse2(const uint8_t *q, masks *m)
{
    memset(m, 0, sizeof *m);
    for (unsigned k = 0; k < WIN / 16; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k + 1));
        __m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i alpha = ci_tok_in_range(low, 'a', 26), digit = ci_tok_in_range(v, '0', 10);
        m->ws |= mm(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v), k);
        m->alpha |= mm(alpha, k);
        m->upper |= mm(ci_tok_in_range(v, 'A', 26), k);
        m->digit |= mm(digit, k);
        m->word |= mm(_mm_or_si128(_mm_or_si128(alpha, digit), eq8(v, '_')), k);
        /* ' - . /  are 0x27 0x2D 0x2E 0x2F; , and : the others */
        __m128i join = _mm_or_si128(_mm_or_si128(eq8(v, '\''), ci_tok_in_range(v, '-', 3)),
                                    _mm_or_si128(eq8(v, ','), eq8(v, ':')));
        m->join |= mm(join, k);
        /* the marks: the joiners and % + @; and the non-ASCII bytes, whose
         * top bit movemask reads as it is */
        m->stop |= mm(_mm_or_si128(_mm_or_si128(join, eq8(v, '@')),
                                   _mm_or_si128(_mm_or_si128(eq8(v, '%'), eq8(v, '+')), v)), k);
        m->eqlow |= mm(_mm_cmpeq_epi8(low, _mm_or_si128(v1, _mm_set1_epi8(0x20))), k);
    }
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* The same with 32-byte vectors, for CPUs that have AVX2 (chosen at run
 * time: the library itself is built for the baseline x86-64). */
#define AVX2_FN __attribute__((target("avx2")))

AVX2_FN static inline __m256i in_range32(__m256i v, char lo, int width)
{
    return _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(-128 + width)),
                             _mm256_add_epi8(v, _mm256_set1_epi8((char)(0x80 - lo))));
}

AVX2_FN static inline uint64_t mm32(__m256i v, unsigned lane)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(v) << (32 * lane);
}

AVX2_FN static inline __m256i eq32(__m256i v, char c)
{
    return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c));
}

AVX2_FN static void masks_avx2(const uint8_t *q, masks *m)
{
    memset(m, 0, sizeof *m);
    for (unsigned k = 0; k < WIN / 32; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * k));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * k + 1));
        __m256i low = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        __m256i alpha = in_range32(low, 'a', 26), digit = in_range32(v, '0', 10);
        m->ws |= mm32(_mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x20)), v), k);
        m->alpha |= mm32(alpha, k);
        m->upper |= mm32(in_range32(v, 'A', 26), k);
        m->digit |= mm32(digit, k);
        m->word |= mm32(_mm256_or_si256(_mm256_or_si256(alpha, digit), eq32(v, '_')), k);
        __m256i join = _mm256_or_si256(_mm256_or_si256(eq32(v, '\''), in_range32(v, '-', 3)),
                                       _mm256_or_si256(eq32(v, ','), eq32(v, ':')));
        m->join |= mm32(join, k);
        m->stop |= mm32(_mm256_or_si256(_mm256_or_si256(join, eq32(v, '@')),
                                        _mm256_or_si256(_mm256_or_si256(eq32(v, '%'), eq32(v, '+')), v)),
                        k);
        m->eqlow |= mm32(_mm256_cmpeq_epi8(low, _mm256_or_si256(v1, _mm256_set1_epi8(0x20))), k);
    }
}
#endif

/* The best mask function this CPU runs. */
static masks_fn *pick_masks(void)
{
#if defined(HAVE_AVX2_PATH)
    if (__builtin_cpu_supports("avx2"))
        return masks_avx2;
#endif
#if defined(__SSE2__)
    return masks_sse2;
#else
    return masks_portable;
#endif
}

int ci_tok_masks_agree(const uint8_t *q)
{
    masks a, b;
    masks_portable(q, &a);
#if defined(__SSE2__)
    masks_sse2(q, &b);
    if (memcmp(&a, &b, sizeof a) != 0)
        return 0;
#endif
    pick_masks()(q, &b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The first len bytes of a little-endian word, or none when len > 8:
 * words of up to 8 bytes are checked for negation forms by hash. */
static const uint64_t word8_mask[WIN + 1] = {
    0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, UINT64_C(0xFFFFFFFFFF), UINT64_C(0xFFFFFFFFFFFF),
    UINT64_C(0xFFFFFFFFFFFFFF), UINT64_MAX,
};

/* Bits [s, e) set; e - s < 64. */
static inline uint64_t span(unsigned s, unsigned e)
{
    return (((uint64_t)1 << (e - s)) - 1) << s;
}

/* Why a window stopped giving tokens. */
enum { W_ALL, W_CROSS, W_HARD, W_FULL };

typedef struct batch_out {
    unsigned char *p; /* next element */
    size_t stride, left;
} batch_out;

/* One window being scanned: q (a view of the chunk at base, or a padded
 * copy of its tail), its masks, and the text the views of its words point
 * to. */
typedef struct win {
    const uint8_t *q;
    size_t base;        /* chunk offset of q[0] */
    size_t known;       /* bytes of q that are input */
    masks m;
    uint64_t wx;        /* word bytes and the joiners between them */
    uint64_t apos;      /* the joiners that are apostrophes */
    uint64_t elong;     /* the first of three equal letters */
    uint64_t starts;    /* word starts and every other byte but separators */
    const uint8_t *lw;  /* q, lower-cased when it has capitals */
    const char *view;   /* the chunk at base: where views of tokens without
                           capitals point (lw for the others) */
} win;

/* The masks derived from w->m, for a scan from offset 0. */
static void win_derive(win *w)
{
    const masks *m = &w->m;
    const uint8_t *q = w->q;
    const uint64_t alnum = m->alpha | m->digit;
    /* Joiners, with the scanner's rules: ' between letters, - between
     * letters or digits, . , : / between digits.  Never at bit 0: a token
     * starts there.  Candidates between two alphanumerics are few (the ' of
     * "don't", the . of "3.14"), so each is checked on its own. */
    uint64_t joiner = 0, apos = 0;
    for (uint64_t c = m->join & (alnum << 1) & (alnum >> 1); c; c &= c - 1) {
        unsigned i = ci_ctz64(c);
        uint64_t bit = c & (~c + 1), ok;
        uint8_t b = q[i];
        if (b == '-')
            ok = bit;
        else if (b == '\'')
            ok = bit & (m->alpha << 1) & (m->alpha >> 1);
        else
            ok = bit & (m->digit << 1) & (m->digit >> 1);
        joiner |= ok;
        apos |= b == '\'' ? ok : 0;
    }
    w->wx = m->word | joiner;
    w->apos = apos;
    w->elong = m->alpha & m->eqlow & (m->eqlow >> 1);
    w->starts = (w->wx & ~(w->wx << 1)) | (~m->ws & ~w->wx);
}

/* The tokens of window w from offset `from`, scanned as if the window
 * started there (a token, or separators, end just before it): writes them,
 * and returns why it stopped with *resume, the window offset where the next
 * scan must start. */
static int window_tokens(ci_tokenizer *t, const win *w, unsigned from, batch_out *bo,
                         unsigned *resume)
{
    const uint8_t *q = w->q, *lw = w->lw;
    const uint64_t alpha = w->m.alpha, upper = w->m.upper, elong = w->elong;
    /* bytes after which a word needs a closer look; the padding past the
     * input is 0x80, so it is among them */
    const uint64_t stop = w->m.stop;
    uint64_t wx = w->wx, apos = w->apos, starts = w->starts;
    if (from) {
        /* Nothing before `from` joins what follows it: a joiner there is a
         * mark of its own, and the word after it starts anew. */
        uint64_t bit = (uint64_t)1 << from;
        if (wx & bit & ~w->m.word) {
            wx &= ~bit;
            apos &= ~bit;
            starts |= wx & (bit << 1);
        }
        starts = (starts & (~(uint64_t)0 << from)) | (bit & ~w->m.ws);
    }
    const char *view = w->view, *lview = (const char *)lw;
    const uint64_t base_off = t->chunk_offset + w->base;
    const size_t known = w->known;
    unsigned last_end = from;
    int why = W_ALL;
    unsigned s = from;

    while (starts) {
        s = ci_ctz64(starts);
        unsigned e;
        int kind;
        unsigned flags = 0;
        uint64_t mu = 0;
        uint8_t c = q[s];
        if ((wx >> s) & 1) {
            if (c == '_') {
                why = W_HARD; /* '_' never starts a word */
                break;
            }
            uint64_t rest = ~(wx >> s);
            e = rest ? s + ci_ctz64(rest) : WIN;
            if (e > WIN - 2) {
                why = W_CROSS;
                break;
            }
            /* A non-ASCII byte may continue the word; a mark may make it
             * a URL, an email or a longer word. */
            if (((stop >> e) & 1) &&
                (e >= known || q[e] >= 0x80 || !ci_tok_mark_ends_word(q, known, false, e))) {
                why = W_HARD;
                break;
            }
            uint64_t r = span(s, e);
            uint64_t ma = alpha & r;
            mu = upper & r;
            unsigned len = e - s;
            /* Branch-free where the answer changes from token to token:
             * mispredictions, not instructions, were the cost here. */
            kind = ma ? CI_TOKEN_WORD : CI_TOKEN_NUMBER;
            flags = (unsigned)(mu && !(ma & ~mu)) * CI_TOKEN_ALLCAPS |
                    (unsigned)((elong & r) != 0) * CI_TOKEN_ELONGATED;
            /* the word's bytes, zero-padded, or 0 when it has more than 8 */
            uint64_t wd;
            memcpy(&wd, lw + s, sizeof wd); /* within WIN_READ */
            wd &= word8_mask[len];
            flags |= (unsigned)ci_tok_neg_hashed(wd) * CI_TOKEN_NEGATION;
            if (apos & r) {
                /* ' joins letters only, so a word with one has no hashed
                 * negation form and len >= 3. */
                flags = (flags & ~(unsigned)CI_TOKEN_NEGATION) | CI_TOKEN_CONTRACTION;
                if (len > 3 && lw[e - 3] == 'n' && lw[e - 2] == '\'' && lw[e - 1] == 't')
                    flags |= CI_TOKEN_NEGATION;
            }
        } else {
            unsigned pc = ci_tok_punct_class[c];
            if (pc & CI_PC_RUN) {
                e = s + 1;
                while (e < WIN && q[e] == c)
                    e++;
                /* The byte after the run decides where it ends. */
                if (e > WIN - 1 || e >= known) {
                    why = W_CROSS;
                    break;
                }
                kind = CI_TOKEN_PUNCT;
            } else if (pc & CI_PC_SYMBOL) {
                e = s + 1;
                kind = CI_TOKEN_SYMBOL;
            } else {
                why = W_HARD;
                break;
            }
        }
        ci_token *o = (ci_token *)(void *)bo->p;
        o->struct_size = bo->stride;
        o->kind = kind;
        o->flags = flags;
        o->offset = base_off + s;
        o->length = e - s;
        /* a view into the chunk lasts as long as the chunk: hosts that keep
         * tokens beyond the batch (the scorer) then copy only the words
         * with capitals */
        o->norm = (mu ? lview : view) + s;
        o->norm_len = e - s;
        bo->p += bo->stride;
        last_end = e;
        starts &= ~(uint64_t)1 << (e - 1); /* bits from e on; none when e is 64 */
        if (--bo->left == 0) {
            *resume = e;
            why = W_FULL;
            goto out;
        }
    }
    if (why == W_ALL) {
        /* Only separators after the last token. */
        *resume = known < WIN ? (unsigned)known : WIN;
        if (*resume < last_end)
            *resume = last_end;
    } else {
        *resume = s;
    }
out:
    if (last_end > from) {
        t->st.prev_cp = q[last_end - 1];
        t->st.prev_emo = 0;
    }
    if (*resume > last_end)
        t->st.prev_cp = ' ';
    return why;
}

/* The view of a token found by ci_tok_step() must survive the next step:
 * views into the chunk do, views into the scanner's buffers are copied into
 * the arena.  Returns 0 when the arena has no room: the view is left where
 * it is, valid until the next call, and the token must end the batch. */
static int keep_view(ci_tokenizer *t, ci_token *o, size_t *arena_used)
{
    const uint8_t *v = (const uint8_t *)o->norm;
    if (t->chunk && v >= t->chunk && v + o->norm_len <= t->chunk + t->chunk_len)
        return 1;
    if (o->norm_len > t->arena_cap - *arena_used)
        return 0;
    if (o->norm_len)
        memcpy(t->arena + *arena_used, v, o->norm_len);
    o->norm = (const char *)t->arena + *arena_used;
    *arena_used += o->norm_len;
    return 1;
}

/* What a step, and windows(), leave the batch to do: go on (the caller
 * steps next), stop (the batch is full, or its arena), or stop with the
 * status a step returned instead of a token. */
enum { WS_STEP, WS_STOP, WS_STATUS };

/* The scanner's next token into the batch. */
static int step_token(ci_tokenizer *t, batch_out *bo, size_t *arena_used, ci_status *st)
{
    ci_token *o = (ci_token *)(void *)bo->p;
    o->struct_size = bo->stride;
    if ((*st = ci_tok_step(t, o)) != CI_OK)
        return WS_STATUS;
    bo->p += bo->stride;
    bo->left--;
    return keep_view(t, o, arena_used) ? WS_STEP : WS_STOP;
}

/* Tokens from the chunk, window after window, until the scanner holds
 * state the masks cannot resume from, the batch is full, or the arena is.
 * A token the masks cannot decide (a URL, an emoticon, non-ASCII text) is
 * taken by ci_tok_step() right there, and the window goes on after it: its
 * masks still hold for the bytes that follow, and computing them again
 * added about a fifth to the cost of such a token. */
static int windows(ci_tokenizer *t, masks_fn *masks_of, batch_out *bo, size_t *arena_used,
                   ci_status *st)
{
    uint8_t pad[WIN_READ + 16];
    while (bo->left && t->chunk_pos < t->chunk_len) {
        if (*arena_used + WIN_READ > t->arena_cap)
            return WS_STOP;
        win w;
        size_t rest = t->chunk_len - t->chunk_pos;
        w.q = t->chunk + t->chunk_pos;
        w.base = t->chunk_pos;
        w.known = WIN_READ;
        if (rest < WIN_READ) {
            /* The end of the chunk, padded: with spaces when it is the end
             * of the stream (as the scanner reads it), else with a byte that
             * stops every token, so nothing is decided past the end. */
            memcpy(pad, w.q, rest);
            memset(pad + rest, t->finished ? ' ' : 0x80, sizeof pad - rest);
            w.q = pad;
            if (!t->finished)
                w.known = rest;
        }
        masks_of(w.q, &w.m);
        win_derive(&w);
        /* Lower-cased once per window when it has capitals, for the views
         * of the words that have some. */
        w.lw = w.q;
        w.view = (const char *)t->chunk + w.base;
        if (w.m.upper) {
            uint8_t *low = t->arena + *arena_used;
            ci_tok_lower_copy(low, w.q, WIN);
            *arena_used += WIN_READ;
            w.lw = low;
        }
        unsigned from = 0, resume;
        for (;;) {
            int why = window_tokens(t, &w, from, bo, &resume);
            if (resume > rest)
                resume = (unsigned)rest;
            t->chunk_pos = w.base + resume;
            if (why == W_FULL || (why == W_CROSS && resume == 0))
                return WS_STEP;
            if (why != W_HARD)
                break;
            if (t->chunk_pos == t->chunk_len)
                return WS_STEP;
            int ws = step_token(t, bo, arena_used, st);
            if (ws != WS_STEP)
                return ws;
            /* the scanner may have kept bytes or state the masks do not
             * know; else the window goes on where the token ended */
            if (!bo->left || t->carry_len || t->st.cont_kind || !t->chunk)
                return WS_STEP;
            if (t->chunk_pos - w.base >= WIN)
                break;
            from = (unsigned)(t->chunk_pos - w.base);
        }
    }
    return WS_STEP;
}

CI_API ci_status ci_tokenizer_next_batch(ci_tokenizer *t, ci_token *tokens, size_t cap,
                                         size_t *count)
{
    if (count)
        *count = 0;
    if (!t || !tokens || !count || cap == 0)
        return CI_ERR_INVALID;
    size_t stride = tokens[0].struct_size;
    if (stride < CI_TOKEN_V1_SIZE || stride % _Alignof(ci_token) != 0)
        return CI_ERR_STRUCT_SIZE;
    ci_status st = CI_OK;
    /* The call that follows the last tokens (most calls, for short texts):
     * answered without setting up a batch. */
    if (ci_tok_drained(t, &st))
        return st;
    if (!t->arena) {
        t->arena = ci_calloc(&t->a, 1, ARENA_BYTES);
        if (!t->arena)
            return CI_ERR_NOMEM;
        t->arena_cap = ARENA_BYTES;
    }
    batch_out bo = {(unsigned char *)tokens, stride, cap};
    masks_fn *masks_of = pick_masks();
    size_t used = 0;
    while (bo.left) {
        if (t->carry_len == 0 && !t->st.cont_kind && t->chunk) {
            int ws = windows(t, masks_of, &bo, &used, &st);
            if (ws != WS_STEP || !bo.left)
                break;
            /* All of the chunk was used: the step would only say so. */
            if (t->chunk_pos == t->chunk_len && bo.left < cap)
                break;
        }
        if (step_token(t, &bo, &used, &st) != WS_STEP)
            break;
    }
    *count = cap - bo.left;
    return *count ? CI_OK : st;
}
