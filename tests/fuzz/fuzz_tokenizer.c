/* SPDX-License-Identifier: MIT */
/* Fuzz target: the streaming tokenizer under random chunking.
 *
 * Input: byte 0 = number of chunk-size bytes that follow (n % 16 + 1), then
 * those bytes (each one a chunk size 0-255; a size byte 255 means "a big
 * chunk", 1000-2000 bytes), then the text.  The text is tokenized once fed
 * whole, and again fed in chunks of the chosen sizes (cycled), each chunk in
 * its own exactly-sized heap buffer that is freed as soon as the tokenizer
 * may let go of it.  Invariant: every run gives the same tokens (kind, flags,
 * offset, length, normalized text), offsets increase and lie in the text,
 * and every normalized text is valid UTF-8 and equal to ci_normalize() of the
 * token's source bytes (as the header documents).  A third run feeds the
 * text whole and finishes before draining, as a host with a complete message
 * does.  The later runs reuse the tokenizer after ci_tokenizer_reset().  The
 * third run, and the chunked one when the first size is odd, take tokens
 * with ci_tokenizer_next_batch(), in batches of a size the input chooses. */
#include "fuzz.h"

typedef struct tok_rec {
    int kind;
    unsigned flags;
    uint64_t offset;
    size_t length;
    size_t norm_off, norm_len; /* in the list's arena */
} tok_rec;

typedef struct tok_list {
    tok_rec *v;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
} tok_list;

static void list_push(tok_list *l, const ci_token *t)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        FZ_CHECK(l->v != NULL);
    }
    if (l->alen + t->norm_len > l->acap) {
        while (l->alen + t->norm_len > l->acap)
            l->acap = l->acap ? l->acap * 2 : 1024;
        l->arena = realloc(l->arena, l->acap);
        FZ_CHECK(l->arena != NULL);
    }
    FZ_CHECK(t->norm != NULL || t->norm_len == 0);
    if (t->norm_len)
        memcpy(l->arena + l->alen, t->norm, t->norm_len);
    tok_rec *r = &l->v[l->n++];
    r->kind = t->kind;
    r->flags = t->flags;
    r->offset = t->offset;
    r->length = t->length;
    r->norm_off = l->alen;
    r->norm_len = t->norm_len;
    l->alen += t->norm_len;
}

static void list_free(tok_list *l)
{
    free(l->v);
    free(l->arena);
}

/* Drain tokens until CI_MORE (or CI_DONE after finish); returns that status.
 * batch 0: one ci_tokenizer_next() call per token; else that many tokens per
 * ci_tokenizer_next_batch() call (at most 64), all of whose views are read
 * after the call. */
static ci_status drain(ci_tokenizer *tok, size_t batch, tok_list *l, const char *text,
                       size_t text_len)
{
    ci_token v[64];
    ci_token_init(&v[0]);
    for (;;) {
        size_t n = 1;
        ci_status st = batch ? ci_tokenizer_next_batch(tok, v, batch, &n)
                             : ci_tokenizer_next(tok, &v[0]);
        FZ_OOM(st);
        if (st != CI_OK) {
            FZ_CHECK(n == 0 || !batch);
            return st;
        }
        FZ_CHECK(n >= 1 && n <= (batch ? batch : 1));
        for (size_t i = 0; i < n; i++) {
            const ci_token *t = &v[i];
            FZ_CHECK(ci_token_kind_name(t->kind) != NULL);
            FZ_CHECK(t->length > 0);
            FZ_CHECK(t->offset + t->length <= text_len);
            FZ_CHECK(ci_utf8_validate(t->norm, t->norm_len, NULL) == CI_OK);
            /* documented: norm is ci_normalize() of the token's source bytes */
            char *ref = NULL;
            size_t ref_len = 0;
            FZ_CHECK(ci_normalize(text + t->offset, t->length, NULL, &ref, &ref_len) == CI_OK);
            FZ_CHECK(ref_len == t->norm_len && memcmp(ref, t->norm, ref_len) == 0);
            ci_free(ref);
            if (l->n) {
                const tok_rec *p = &l->v[l->n - 1];
                FZ_CHECK(t->offset >= p->offset + p->length);
            }
            list_push(l, t);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz f = {data, size};
    size_t nsizes = (size_t)fz_u8(&f) % 16 + 1;
    size_t sizes[16];
    for (size_t i = 0; i < nsizes; i++) {
        uint8_t b = fz_u8(&f);
        sizes[i] = b == 255 ? 1000 + (size_t)fz_u8(&f) * 4 : b;
    }
    const char *text = (const char *)f.p;
    size_t len = f.n;
    /* the finished run takes tokens in batches; the chunked run too when
     * the first size is odd */
    size_t batch = sizes[0] % 64 + 1, chunk_batch = (sizes[0] & 1) ? sizes[nsizes - 1] % 64 + 1 : 0;

    ci_tokenizer *tok = NULL;
    FZ_CHECK(ci_tokenizer_new(fz_poison_alloc(), &tok) == CI_OK);

    /* whole */
    tok_list whole = {0};
    char *copy = malloc(len ? len : 1);
    FZ_CHECK(copy != NULL);
    if (len)
        memcpy(copy, text, len);
    FZ_CHECK(ci_tokenizer_feed(tok, copy, len) == CI_OK);
    FZ_CHECK(drain(tok, 0, &whole, text, len) == CI_MORE);
    free(copy);
    FZ_CHECK(ci_tokenizer_finish(tok) == CI_OK);
    FZ_CHECK(drain(tok, 0, &whole, text, len) == CI_DONE);
    FZ_CHECK(ci_tokenizer_finish(tok) == CI_ERR_STATE);
    FZ_CHECK(ci_tokenizer_feed(tok, "x", 1) == CI_ERR_STATE);

    /* whole and finished before draining (how a host tokenizes a complete
     * message): the fast paths settle the last token too */
    FZ_CHECK(ci_tokenizer_reset(tok) == CI_OK);
    tok_list finished = {0};
    FZ_CHECK(ci_tokenizer_feed(tok, text, len) == CI_OK);
    FZ_CHECK(ci_tokenizer_finish(tok) == CI_OK);
    FZ_CHECK(drain(tok, batch, &finished, text, len) == CI_DONE);

    /* chunked, on the same tokenizer after a reset */
    FZ_CHECK(ci_tokenizer_reset(tok) == CI_OK);
    tok_list chunked = {0};
    size_t pos = 0, k = 0;
    while (pos < len) {
        size_t n = sizes[k++ % nsizes];
        if (n > len - pos)
            n = len - pos;
        char *chunk = malloc(n ? n : 1);
        FZ_CHECK(chunk != NULL);
        if (n)
            memcpy(chunk, text + pos, n);
        FZ_CHECK(ci_tokenizer_feed(tok, chunk, n) == CI_OK);
        FZ_CHECK(drain(tok, chunk_batch, &chunked, text, len) == CI_MORE);
        free(chunk); /* the tokenizer copied any undecided tail */
        pos += n;
        if (k > len + 64)
            break; /* all sizes 0: nothing moves */
    }
    if (pos < len) {
        FZ_CHECK(ci_tokenizer_feed(tok, text + pos, len - pos) == CI_OK);
        FZ_CHECK(drain(tok, chunk_batch, &chunked, text, len) == CI_MORE);
    }
    FZ_CHECK(ci_tokenizer_finish(tok) == CI_OK);
    FZ_CHECK(drain(tok, chunk_batch, &chunked, text, len) == CI_DONE);

    const tok_list *others[] = {&chunked, &finished};
    for (size_t o = 0; o < 2; o++) {
        const tok_list *x = others[o];
        FZ_CHECK(whole.n == x->n);
        for (size_t i = 0; i < whole.n; i++) {
            const tok_rec *a = &whole.v[i], *b = &x->v[i];
            FZ_CHECK(a->kind == b->kind);
            FZ_CHECK(a->flags == b->flags);
            FZ_CHECK(a->offset == b->offset);
            FZ_CHECK(a->length == b->length);
            FZ_CHECK(a->norm_len == b->norm_len);
            FZ_CHECK(memcmp(whole.arena + a->norm_off, x->arena + b->norm_off, a->norm_len) == 0);
        }
    }
    list_free(&whole);
    list_free(&chunked);
    list_free(&finished);
    ci_tokenizer_free(tok);
    return 0;
}
