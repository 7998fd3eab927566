/* SPDX-License-Identifier: MIT */
/**
 * @file libci.h
 * @brief libci: an embeddable C library for customer intelligence.
 *
 * libci turns raw customer signals (tickets, chats, reviews, survey answers,
 * usage and purchase events) into understanding: tokens, sentiment and
 * intents per message, themes across messages, and metrics per customer
 * segment.  Data flows through stages that can each be used alone:
 *
 *     bytes -> tokenizer -> sentiment + intents -> themes -> segments -> insights
 *
 * This header is the whole public API and its reference manual.  Anything it
 * does not document is not API.
 *
 * Conventions that hold for every function unless its comment says otherwise:
 *
 *  - **Names.**  Functions are `ci_<object>_<verb>`, types `ci_<name>`,
 *    macros and enumerators `CI_`.
 *  - **Status.**  Fallible calls return a ::ci_status.  ::CI_OK is zero,
 *    errors are negative, and a few positive values (::CI_DONE, ::CI_MORE)
 *    report progress of an iteration.  ci_status_string() names any code.
 *    Numeric values are never renumbered or reused.
 *  - **Ownership.**  Pointer arguments are borrowed for the duration of the
 *    call and never kept, unless the comment says "kept".  Views returned by a
 *    handle (such as a token's normalized text) stay valid until the next call
 *    that mutates that handle.  Memory handed to the caller is released with
 *    ci_free().
 *  - **Handles.**  Every object is opaque, created by `*_new` and released by
 *    `*_free`; `*_free(NULL)` is a harmless no-op.
 *  - **Threads.**  libci has no mutable global state.  An object documented
 *    as immutable may be shared by any number of threads; every other object
 *    belongs to one thread at a time (the caller may move it between threads
 *    with its own synchronisation).
 *  - **Versioned structs.**  A struct the caller allocates starts with
 *    `struct_size`, which its init function sets to `sizeof` the struct as
 *    the caller's header knew it.  Later versions only append fields, so a
 *    caller built against an older header keeps working.
 *  - **Strings.**  Text is UTF-8 with an explicit byte length (::ci_str); it
 *    need not be NUL-terminated and may contain NUL bytes where noted.
 *  - **Allocation.**  Every allocation libci makes goes through the
 *    ::ci_allocator given when the object was created (or malloc/free when
 *    none was given).  Objects created from another object inherit its
 *    allocator.  An allocator given to an object that threads share (a
 *    lexicon, a theme model) may be called from all of them at once.
 *  - **Limits.**  Input beyond a limit gets ::CI_ERR_LIMIT (or the status
 *    noted) and changes nothing already accepted:
 *     - signal fields (ids, channel, attribute keys and values) up to
 *       ::CI_SIGNAL_MAX_FIELD bytes, ::CI_SIGNAL_MAX_ATTRS attributes; a key
 *       given twice counts with its last value;
 *     - texts scored for sentiment (ci_sentiment_score(), and ci_analyzer_add()
 *       with a lexicon) up to ::CI_SENTIMENT_MAX_TEXT bytes; the tokenizer
 *       streams any length;
 *     - every string table (combinations, segment keys, account ids, theme
 *       vocabularies, lexicon terms) below 4 GiB of key bytes and 2^32 - 1
 *       keys;
 *     - an analyzer: up to ::CI_ANALYZER_MAX_SEGMENTS combinations and
 *       accounts, about 2^31 (combination, day) cells, and summaries of at
 *       most ::CI_ANALYZER_MAX_SEGMENTS segments, counted as combinations
 *       times dimension subsets (reading functions then fail with
 *       ::CI_ERR_LIMIT, while adds, merges and snapshots keep working);
 *       ::CI_ANALYZER_MAX_THEMES themes;
 *     - timestamps beyond +-10^15 s have no day, week or month bucket;
 *     - saved models and snapshots below 4 GiB of payload; files read whole
 *       (lexicons 256 MiB, theme models 4 GiB, snapshots 16 GiB).
 */
#ifndef LIBCI_H
#define LIBCI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/*  Export, deprecation and version                                         */
/* ======================================================================== */

/** @cond INTERNAL */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(CI_BUILDING_DLL)
#    define CI_API __declspec(dllexport)
#  elif defined(CI_STATIC)
#    define CI_API
#  else
#    define CI_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CI_API __attribute__((visibility("default")))
#else
#  define CI_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define CI_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define CI_DEPRECATED(msg)
#endif
/** @endcond */

/** Major version: bumped on an incompatible API change. */
#define CI_VERSION_MAJOR 1
/** Minor version: bumped when API is added. */
#define CI_VERSION_MINOR 2
/** Patch version: bumped for fixes that change no API. */
#define CI_VERSION_PATCH 0
/** The version as a string, "MAJOR.MINOR.PATCH". */
#define CI_VERSION_STRING "1.2.0"
/** The version as one comparable number: MAJOR*10000 + MINOR*100 + PATCH. */
#define CI_VERSION_NUMBER \
    (CI_VERSION_MAJOR * 10000 + CI_VERSION_MINOR * 100 + CI_VERSION_PATCH)

/**
 * The version of the library actually linked, as ::CI_VERSION_NUMBER.
 *
 * A host compares it with ::CI_VERSION_NUMBER to detect a header/library
 * mismatch.  Thread-safe.  @since 1.0.0
 */
CI_API unsigned ci_version_number(void);

/**
 * The version of the library actually linked, as "MAJOR.MINOR.PATCH".
 *
 * @return a static string; never NULL, never freed.  Thread-safe.
 * @since 1.0.0
 */
CI_API const char *ci_version_string(void);

/* ======================================================================== */
/*  Status codes                                                            */
/* ======================================================================== */

/**
 * Result of every fallible call.  Values are fixed forever; new codes are
 * only appended.  Negative values are errors.
 */
typedef enum ci_status {
    CI_OK = 0,                 /**< Success. */
    CI_DONE = 1,               /**< An iteration has ended; no item returned. */
    CI_MORE = 2,               /**< Nothing can be returned until more input is fed. */

    CI_ERR_NOMEM = -1,         /**< An allocation failed. The object is unchanged. */
    CI_ERR_INVALID = -2,       /**< A required pointer was NULL or an argument is malformed. */
    CI_ERR_STRUCT_SIZE = -3,   /**< A versioned struct's struct_size is too small or was never set. */
    CI_ERR_STATE = -4,         /**< The call is not allowed in the object's current state. */
    CI_ERR_RANGE = -5,         /**< A number is outside its documented range. */
    CI_ERR_NONFINITE = -6,     /**< A number is NaN or infinite. */
    CI_ERR_UTF8 = -7,          /**< Text that must be valid UTF-8 is not. */
    CI_ERR_MISSING = -8,       /**< A required field is absent or empty. */
    CI_ERR_LIMIT = -9,         /**< A documented size limit would be exceeded. */
    CI_ERR_IO = -10,           /**< Reading or writing a file failed (see errno). */
    CI_ERR_FORMAT = -11,       /**< Input data is malformed (a file, a line, a record). */
    CI_ERR_VERSION = -12,      /**< Data was written by a newer, incompatible version. */
    CI_ERR_CHECKSUM = -13,     /**< Stored data fails its checksum: corrupt or truncated. */
    CI_ERR_NOT_FOUND = -14,    /**< A named item does not exist. */
    CI_ERR_UNSUPPORTED = -15   /**< The feature was not compiled in or is not available. */
} ci_status;

/**
 * A short English description of a status code, such as "out of memory".
 *
 * @return a static string; never NULL (unknown codes give "unknown status").
 * Thread-safe.  @since 1.0.0
 */
CI_API const char *ci_status_string(ci_status status);

/* ======================================================================== */
/*  Allocator and memory                                                    */
/* ======================================================================== */

/**
 * A caller-supplied allocator.  Give one to a `*_new` function to route every
 * allocation of that object, and of the objects it creates, through it
 * (zlib's included).  libci copies the struct; `user_data` is kept and passed
 * back on every call.
 *
 * The functions follow malloc/realloc/free semantics: return NULL on failure,
 * `free_fn(ud, NULL)` must be harmless.  libci never asks for zero bytes.
 * They may be called from whichever thread uses the owning object.
 */
typedef struct ci_allocator {
    size_t struct_size;  /**< sizeof(ci_allocator); set by ci_allocator_init(). */
    void *(*malloc_fn)(void *user_data, size_t size);
    void *(*realloc_fn)(void *user_data, void *ptr, size_t new_size);
    void (*free_fn)(void *user_data, void *ptr);
    void *user_data;     /**< Passed to every function; kept, not owned. */
} ci_allocator;

/**
 * Initialise an allocator struct: set `struct_size` and point the functions
 * at the C library's malloc, realloc and free.  The caller then replaces what
 * it wants.  @since 1.0.0
 */
CI_API void ci_allocator_init(ci_allocator *alloc);

/**
 * Release memory that libci handed to the caller (documented as "free with
 * ci_free()").  The memory remembers the allocator it came from, so the
 * object that produced it may already be gone.  `ci_free(NULL)` is a no-op.
 * @since 1.0.0
 */
CI_API void ci_free(void *ptr);

/* ======================================================================== */
/*  Strings and diagnostics                                                 */
/* ======================================================================== */

/**
 * A borrowed byte string: `len` bytes at `data`, not necessarily
 * NUL-terminated.  `data == NULL` with `len == 0` means "absent".
 */
typedef struct ci_str {
    const char *data;
    size_t len;
} ci_str;

/**
 * Detail about a failed call, for calls that accept one (it is always
 * optional).  yyjson-style: the code, which field or item, where, and a
 * message for humans.
 */
typedef struct ci_diag {
    size_t struct_size;  /**< sizeof(ci_diag); set by ci_diag_init(). */
    ci_status status;    /**< The status the call returned. */
    int field;           /**< Which field failed, when the call documents it (e.g. ::ci_signal_field); else -1. */
    int64_t index;       /**< Index of the failing item (attribute, line, record); -1 if none. */
    uint64_t offset;     /**< Byte offset of the problem in the input, when meaningful; else 0. */
    char message[160];   /**< NUL-terminated English explanation; "" on success. */
} ci_diag;

/** Initialise a ::ci_diag: set struct_size and clear it.  @since 1.0.0 */
CI_API void ci_diag_init(ci_diag *diag);

/**
 * Check that `len` bytes at `data` are valid UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF).  NUL bytes are valid.
 *
 * @param[out] bad_offset  optional; receives the offset of the first invalid
 *                         byte on failure.
 * @return ::CI_OK, ::CI_ERR_UTF8, or ::CI_ERR_INVALID if `data` is NULL with
 *         `len > 0`.  Thread-safe.  @since 1.0.0
 */
CI_API ci_status ci_utf8_validate(const char *data, size_t len, size_t *bad_offset);

/* ======================================================================== */
/*  Signals                                                                 */
/* ======================================================================== */

/**
 * What kind of interaction a signal records.  Values below
 * ::CI_SIGNAL_CUSTOM are reserved for libci; hosts may use
 * `CI_SIGNAL_CUSTOM + n` for kinds of their own.
 */
typedef enum ci_signal_kind {
    CI_SIGNAL_UNSPECIFIED = 0,   /**< Invalid: a signal must say what it is. */
    CI_SIGNAL_FEEDBACK = 1,      /**< Free-form feedback (in-app widget, comment box). */
    CI_SIGNAL_TICKET = 2,        /**< A support ticket or case. */
    CI_SIGNAL_CHAT = 3,          /**< A chat or messaging conversation or message. */
    CI_SIGNAL_CALL = 4,          /**< A call transcript. */
    CI_SIGNAL_EMAIL = 5,         /**< An email. */
    CI_SIGNAL_REVIEW = 6,        /**< A public or app-store review. */
    CI_SIGNAL_SURVEY = 7,        /**< A survey response (NPS, CSAT, CES ...). */
    CI_SIGNAL_USAGE = 8,         /**< A product usage event. */
    CI_SIGNAL_TRANSACTION = 9,   /**< A purchase, renewal, refund or other transaction. */
    CI_SIGNAL_SOCIAL = 10,       /**< A social-media post or mention. */
    CI_SIGNAL_CUSTOM = 1000      /**< First value free for host-defined kinds. */
} ci_signal_kind;

/** Direction of a CES answer: which end of the 1-7 scale means "easy". */
typedef enum ci_ces_direction {
    CI_CES_HIGHER_IS_EASIER = 0, /**< 7 = "strongly agree it was easy" (CES 2.0; the default). */
    CI_CES_LOWER_IS_EASIER = 1   /**< 1 = "very low effort" (the original CES wording). */
} ci_ces_direction;

/** Bits of ::ci_signal.has: which optional numbers are present. */
enum {
    CI_HAS_NPS = 1u << 0,     /**< `nps` is set. */
    CI_HAS_CSAT = 1u << 1,    /**< `csat` is set. */
    CI_HAS_CES = 1u << 2,     /**< `ces` (and `ces_direction`) is set. */
    CI_HAS_RATING = 1u << 3,  /**< `rating` is set. */
    CI_HAS_VALUE = 1u << 4    /**< `value` is set. */
};

/** One segment attribute of a signal, such as tier=enterprise. */
typedef struct ci_attr {
    ci_str key;    /**< Non-empty valid UTF-8. */
    ci_str value;  /**< Valid UTF-8; may be empty. */
} ci_attr;

/** Largest number of attributes one signal may carry. */
#define CI_SIGNAL_MAX_ATTRS 64
/** Longest id, channel, attribute key or attribute value, in bytes. */
#define CI_SIGNAL_MAX_FIELD 4096

/**
 * One customer signal.  The caller owns it and every buffer it points to;
 * libci reads it during a call and keeps nothing (it copies what it needs).
 *
 * Initialise with ci_signal_init(), then set the fields that apply.  Scores
 * are present only when their bit is set in `has`, so a host never needs a
 * sentinel value.  A signal is valid (see ci_signal_validate()) when:
 *  - `kind` is a defined kind or >= ::CI_SIGNAL_CUSTOM;
 *  - it carries something: non-empty `text`, or at least one score or value;
 *  - NPS is an integer 0-10, CSAT an integer 1-5, CES an integer 1-7,
 *    rating in [0, 5], value within +-1e18, and every number is finite;
 *  - ids, channel and attributes are valid UTF-8 within ::CI_SIGNAL_MAX_FIELD
 *    bytes, attribute keys are non-empty, and there are at most
 *    ::CI_SIGNAL_MAX_ATTRS attributes;
 *  - `attrs` is non-NULL when `n_attrs > 0`.
 * The text itself may contain invalid UTF-8: it is what the customer sent,
 * and the tokenizer replaces bad bytes rather than reject the signal.
 */
typedef struct ci_signal {
    size_t struct_size;       /**< sizeof(ci_signal); set by ci_signal_init(). */
    int kind;                 /**< A ::ci_signal_kind. */
    int64_t timestamp;        /**< Seconds since 1970-01-01 UTC; ::CI_TIME_NONE when unknown. */
    ci_str customer_id;       /**< The person; optional. */
    ci_str account_id;        /**< The company or account; optional. */
    ci_str channel;           /**< e.g. "email", "web", "ios"; optional. */
    ci_str text;              /**< What the customer wrote or said; optional. */
    unsigned has;             /**< CI_HAS_* bits for the optional numbers below. */
    double nps;               /**< 0-10 likelihood to recommend. */
    double csat;              /**< 1-5 satisfaction. */
    double ces;               /**< 1-7 customer effort, read with ces_direction. */
    int ces_direction;        /**< A ::ci_ces_direction. */
    double rating;            /**< Star rating, 0-5 (half stars allowed). */
    double value;             /**< Money at stake (order value, ARR ...); finite, |value| <= 1e18. */
    const ci_attr *attrs;     /**< Segment attributes; borrowed. */
    size_t n_attrs;           /**< Number of entries in attrs. */
} ci_signal;

/** "No timestamp" for ::ci_signal.timestamp. */
#define CI_TIME_NONE INT64_MIN

/** Fields of ::ci_signal, as reported in ::ci_diag.field by validation. */
typedef enum ci_signal_field {
    CI_FIELD_NONE = -1,
    CI_FIELD_STRUCT = 0,
    CI_FIELD_KIND = 1,
    CI_FIELD_TIMESTAMP = 2,
    CI_FIELD_CUSTOMER_ID = 3,
    CI_FIELD_ACCOUNT_ID = 4,
    CI_FIELD_CHANNEL = 5,
    CI_FIELD_TEXT = 6,
    CI_FIELD_NPS = 7,
    CI_FIELD_CSAT = 8,
    CI_FIELD_CES = 9,
    CI_FIELD_RATING = 10,
    CI_FIELD_VALUE = 11,
    CI_FIELD_ATTR_KEY = 12,
    CI_FIELD_ATTR_VALUE = 13,
    CI_FIELD_ATTRS = 14
} ci_signal_field;

/**
 * Initialise a signal: set struct_size, zero every field, set `timestamp`
 * to ::CI_TIME_NONE.  @since 1.0.0
 */
CI_API void ci_signal_init(ci_signal *signal);

/**
 * Check a signal against the rules listed at ::ci_signal.
 *
 * @param signal  the signal; borrowed.
 * @param diag    optional; on failure receives the status, the
 *                ::ci_signal_field at fault, the attribute index (for
 *                attribute errors), the byte offset of invalid UTF-8, and a
 *                message such as "nps 11 is outside 0-10".
 * @return ::CI_OK, ::CI_ERR_INVALID (NULL signal or attrs), ::CI_ERR_STRUCT_SIZE,
 *         ::CI_ERR_RANGE, ::CI_ERR_NONFINITE, ::CI_ERR_UTF8, ::CI_ERR_MISSING
 *         or ::CI_ERR_LIMIT.  The first problem found is reported.
 *         Thread-safe.  @since 1.0.0
 */
CI_API ci_status ci_signal_validate(const ci_signal *signal, ci_diag *diag);

/**
 * The lower-case name of a signal kind ("ticket", "survey" ...), or "custom"
 * for host kinds, or NULL for an invalid value.  Static string.
 * Thread-safe.  @since 1.0.0
 */
CI_API const char *ci_signal_kind_name(int kind);

/**
 * Parse a kind name as printed by ci_signal_kind_name() (ASCII,
 * case-insensitive; "support_ticket", "transcript" and "purchase" are also
 * accepted).  @return ::CI_OK or ::CI_ERR_NOT_FOUND.  Thread-safe.
 * @since 1.0.0
 */
CI_API ci_status ci_signal_kind_parse(const char *name, size_t len, int *kind);

/** The lower-case name of a ::ci_signal_field ("nps", "attr_key" ...); static; NULL if unknown. */
CI_API const char *ci_signal_field_name(int field);

/* ======================================================================== */
/*  Tokenizer                                                               */
/* ======================================================================== */

/** What a token is. */
typedef enum ci_token_kind {
    CI_TOKEN_WORD = 1,      /**< Letters, marks and digits, with inner ' ’ - _ ("don't", "log-in"). */
    CI_TOKEN_NUMBER = 2,    /**< Digits with inner . , : / - ("3.14", "1,000", "10:30", "2024-01-05"). */
    CI_TOKEN_PUNCT = 3,     /**< A run of one repeated punctuation character ("!!!", "?", "..."). */
    CI_TOKEN_SYMBOL = 4,    /**< One other symbol character ("$", "%", "+", "#"). */
    CI_TOKEN_EMOJI = 5,     /**< One emoji, including its modifiers, ZWJ sequence, keycap or flag. */
    CI_TOKEN_EMOTICON = 6,  /**< An ASCII emoticon such as ":-)", ":(", ";P", "<3". */
    CI_TOKEN_URL = 7,       /**< "http://", "https://", "ftp://" or "www." followed by URL characters. */
    CI_TOKEN_EMAIL = 8,     /**< local@domain.tld. */
    CI_TOKEN_MENTION = 9,   /**< "@" and a handle ("@support_team"). */
    CI_TOKEN_HASHTAG = 10   /**< "#" and a word starting with a letter ("#fail"); "#123" is a symbol and a number. */
} ci_token_kind;

/** Token flags (::ci_token.flags). */
enum {
    CI_TOKEN_ALLCAPS = 1u << 0,      /**< Has a cased letter and every cased letter is upper case ("GREAT"). */
    CI_TOKEN_ELONGATED = 1u << 1,    /**< A letter repeated 3+ times in a row ("sooo"). */
    CI_TOKEN_CONTRACTION = 1u << 2,  /**< An apostrophe contraction ("don't", "it's", "we'll"). */
    CI_TOKEN_NEGATION = 1u << 3,     /**< A negation form: "not", "no", "never", "cannot", "…n't" and the apostrophe-less "dont", "cant" … */
    CI_TOKEN_REPLACED = 1u << 4,     /**< Invalid UTF-8 in the source was replaced by U+FFFD in `norm`. */
    CI_TOKEN_SPLIT = 1u << 5,        /**< Part of a token longer than ::CI_TOKEN_MAX_BYTES, cut at a code-point boundary. */
    CI_TOKEN_NONASCII = 1u << 6      /**< The source has non-ASCII bytes. */
};

/** Tokens longer than this many source bytes are split (::CI_TOKEN_SPLIT). */
#define CI_TOKEN_MAX_BYTES 1024

/**
 * One token, filled by ci_tokenizer_next().  Initialise with
 * ci_token_init() (only struct_size matters).
 */
typedef struct ci_token {
    size_t struct_size;  /**< sizeof(ci_token); set by ci_token_init(). */
    int kind;            /**< A ::ci_token_kind. */
    unsigned flags;      /**< CI_TOKEN_* flag bits. */
    uint64_t offset;     /**< Byte offset of the token in the whole fed stream. */
    size_t length;       /**< Length of the token in source bytes. */
    const char *norm;    /**< Normalized text: NFKC + case folding, valid UTF-8, not NUL-terminated.
                              A view owned by the tokenizer, valid until its next mutating call. */
    size_t norm_len;     /**< Bytes at norm. */
} ci_token;

/** Initialise a token struct: set struct_size, clear the rest.  @since 1.0.0 */
CI_API void ci_token_init(ci_token *token);

/**
 * A streaming tokenizer.  Feed text in chunks of any size, split anywhere
 * (inside a code point, a word, a URL or an emoji sequence); the tokens are
 * identical whatever the chunking.  Owned by one thread at a time.
 *
 * Normalized text is byte-identical to
 * `utf8proc_map(src, UTF8PROC_STABLE|UTF8PROC_COMPOSE|UTF8PROC_COMPAT|UTF8PROC_CASEFOLD)`
 * of the token's source bytes, after any invalid UTF-8 in them is replaced by
 * U+FFFD (one per maximal invalid subsequence, as the WHATWG decoder does).
 * Whitespace, control characters and NUL bytes separate tokens and are never
 * part of one.  Offsets always count source bytes, so they stay exact
 * whatever was replaced.
 *
 * Steady state allocates nothing: buffers grow to the longest token and
 * largest carried remainder seen, then are reused.
 */
typedef struct ci_tokenizer ci_tokenizer;

/**
 * Create a tokenizer.
 *
 * @param alloc  optional allocator (copied); NULL for malloc/free.
 * @param[out] out  receives the new tokenizer; set to NULL on failure.
 * @return ::CI_OK, ::CI_ERR_INVALID (out is NULL, or alloc has NULL functions
 *         or a bad struct_size), ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_tokenizer_new(const ci_allocator *alloc, ci_tokenizer **out);

/** Free a tokenizer and everything it owns.  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_tokenizer_free(ci_tokenizer *tok);

/**
 * Feed the next chunk of the stream.
 *
 * The chunk is borrowed: it must stay valid and unchanged until
 * ci_tokenizer_next() has returned ::CI_MORE (or ::CI_DONE), or until the
 * next ci_tokenizer_feed() / ci_tokenizer_reset() / ci_tokenizer_free().  Any
 * undecided tail of it is copied at that point, so the caller may then reuse
 * its buffer.  Feeding while tokens of the previous chunk are still pending
 * is allowed only after they were drained (::CI_MORE was returned).
 *
 * @return ::CI_OK; ::CI_ERR_INVALID if tok is NULL or data is NULL with
 *         len > 0; ::CI_ERR_STATE after ci_tokenizer_finish() or before the
 *         previous chunk was drained.  @since 1.0.0
 */
CI_API ci_status ci_tokenizer_feed(ci_tokenizer *tok, const char *data, size_t len);

/**
 * Declare the end of the stream.  Tokens still pending become available to
 * ci_tokenizer_next(), which returns ::CI_DONE after the last one.
 * @return ::CI_OK, ::CI_ERR_INVALID (NULL), ::CI_ERR_STATE (already finished).
 * @since 1.0.0
 */
CI_API ci_status ci_tokenizer_finish(ci_tokenizer *tok);

/**
 * Get the next token.
 *
 * @param token  caller's struct, initialised by ci_token_init(); only the
 *               fields that fit in its struct_size are written.  Its `norm`
 *               view stays valid until the next mutating call on `tok`.
 * @return ::CI_OK with a token; ::CI_MORE when the fed input has been used
 *         up before finish (feed more); ::CI_DONE after finish when no token
 *         remains; ::CI_ERR_INVALID (NULL), ::CI_ERR_STRUCT_SIZE,
 *         ::CI_ERR_NOMEM (the token is not lost: calling again after memory
 *         is freed returns it).  @since 1.0.0
 */
CI_API ci_status ci_tokenizer_next(ci_tokenizer *tok, ci_token *token);

/**
 * Get up to `cap` tokens at once: the same tokens, in the same order, as
 * that many ci_tokenizer_next() calls, several times faster on mostly-ASCII
 * text (plain words, numbers and punctuation are found 64 bytes at a time).
 * Calls to this and to ci_tokenizer_next() may be mixed freely.
 *
 * @param tokens  array of `cap` tokens.  tokens[0] must be initialised by
 *                ci_token_init(); its struct_size is taken as the size of
 *                every element (the caller's sizeof(ci_token)) and written
 *                into the others.  Only the fields that fit are written.
 * @param cap     room in `tokens`; at least 1.
 * @param[out] count  receives the number of tokens written: at least 1 when
 *                ::CI_OK is returned, 0 otherwise.
 * @return ::CI_OK with tokens (fewer than `cap` do not mean the input is used
 *         up: call again); ::CI_MORE when the fed input is used up before
 *         finish; ::CI_DONE after finish when no token remains;
 *         ::CI_ERR_INVALID (NULL argument, cap 0); ::CI_ERR_STRUCT_SIZE;
 *         ::CI_ERR_NOMEM (nothing is lost: the tokens not returned are
 *         returned by a later call).  A batch never ends in an error: the
 *         tokens found before one are returned with ::CI_OK and the next call
 *         reports it.
 *
 * Every `norm` view of the batch stays valid until the next mutating call on
 * `tok`, all at the same time.  The first call allocates a scratch buffer
 * (16 KiB) that is then reused.  @since 1.1.0
 */
CI_API ci_status ci_tokenizer_next_batch(ci_tokenizer *tok, ci_token *tokens, size_t cap,
                                         size_t *count);

/**
 * Forget the stream and start a new one at offset 0, keeping buffers.
 * @return ::CI_OK or ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_tokenizer_reset(ci_tokenizer *tok);

/**
 * The lower-case name of a token kind ("word", "emoticon" ...), static,
 * or NULL for an invalid value.  Thread-safe.  @since 1.0.0
 */
CI_API const char *ci_token_kind_name(int kind);

/**
 * The lower-case name of one CI_TOKEN_* flag bit ("allcaps" ...), static, or
 * NULL if `flag` is not exactly one known bit.  Thread-safe.  @since 1.0.0
 */
CI_API const char *ci_token_flag_name(unsigned flag);

/**
 * Normalize a string exactly as the tokenizer normalizes a token's text:
 * invalid UTF-8 replaced by U+FFFD, then NFKC and case folding.
 *
 * @param alloc  optional allocator for the result; NULL for malloc.
 * @param[out] out      receives a NUL-terminated string; free with ci_free().
 * @param[out] out_len  optional; receives its length without the NUL.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  Thread-safe.
 * @since 1.0.0
 */
CI_API ci_status ci_normalize(const char *data, size_t len, const ci_allocator *alloc,
                              char **out, size_t *out_len);

/* ======================================================================== */
/*  Sentiment: lexicons                                                     */
/* ======================================================================== */

/**
 * A sentiment lexicon: terms (words, phrases, emoticons, emoji) with a
 * valence on VADER's -4..+4 scale, modifiers (boosters, dampeners,
 * negators), and emoji descriptions for VADER-compatible scoring.
 *
 * **Immutable** once created: any number of threads may use one lexicon at
 * the same time, and it must outlive every scorer that uses it.  To extend a
 * lexicon, load a file or buffer *over* it: the result is a new lexicon with
 * the base's entries and the new ones, later entries winning.
 */
typedef struct ci_lexicon ci_lexicon;

/** File formats for ci_lexicon_load_buffer() and ci_lexicon_load_file(). */
typedef enum ci_lexicon_format {
    /** VADER if the first entry has three or more tab-separated fields, else simple. */
    CI_LEXICON_AUTO = 0,
    /** VADER's format: `term TAB mean TAB stddev TAB [ratings]`; only the first two fields are used.
     *  Every non-empty line is an entry (no comments: "#-)" is a term). */
    CI_LEXICON_VADER = 1,
    /** `term TAB valence`.  A line "#" or starting with "# " is a comment.  Directives:
     *  `@booster TAB term TAB scalar`, `@dampener TAB term TAB scalar` (scalar added to the
     *  magnitude of the next sentiment word; dampeners negative), `@negator TAB term`,
     *  `@intent TAB name TAB pattern TAB strength` (an intent phrase, strength in (0, 1];
     *  `*` in the pattern matches one word; name as ci_intent_name()). */
    CI_LEXICON_SIMPLE = 2,
    /** VADER's emoji lexicon: `emoji TAB text description`.  Used by VADER-compatible scoring,
     *  which replaces each emoji by its description. */
    CI_LEXICON_EMOJI = 3
} ci_lexicon_format;

/** Longest lexicon term, in bytes. */
#define CI_LEXICON_MAX_TERM 256
/** Largest lexicon input after gzip decompression, in bytes. */
#define CI_LEXICON_MAX_INPUT (256u * 1024u * 1024u)

/**
 * Create the built-in English customer lexicon (compiled into the library;
 * no files are read).  It is libci's own work, tuned for support tickets,
 * chats, reviews, surveys and social posts.
 *
 * @param alloc  optional allocator (copied); NULL for malloc/free.
 * @param[out] out  the lexicon; free with ci_lexicon_free().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_lexicon_new_builtin(const ci_allocator *alloc, ci_lexicon **out);

/** Create an empty lexicon (for VADER-compatible use with VADER's own files).
 *  Same parameters and status codes as ci_lexicon_new_builtin().  @since 1.0.0 */
CI_API ci_status ci_lexicon_new_empty(const ci_allocator *alloc, ci_lexicon **out);

/**
 * Load entries from memory over a base lexicon, into a new lexicon.
 *
 * The data may be plain text or gzip-compressed (detected from its first
 * bytes).  Lines end in LF or CRLF.  Terms must be valid UTF-8 of at most
 * ::CI_LEXICON_MAX_TERM bytes; valences finite decimals in [-4, 4].
 * On any malformed line nothing is created: the call fails with
 * ::CI_ERR_FORMAT and `diag` names the 1-based line (diag->index) and why.
 *
 * @param base    optional; its entries are copied first and new ones win.
 *                Borrowed, unchanged.
 * @param data    the file contents; borrowed.
 * @param format  a ::ci_lexicon_format.
 * @param alloc   optional; NULL means the base's allocator, or malloc/free.
 * @param[out] out  the new lexicon, or NULL on failure.
 * @param diag    optional details on failure.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_FORMAT (bad line, bad or
 *         truncated gzip), ::CI_ERR_UTF8, ::CI_ERR_RANGE (valence outside
 *         [-4, 4]), ::CI_ERR_LIMIT (term or input too long), ::CI_ERR_NOMEM.
 *         Thread-safe (the base is only read).  @since 1.0.0
 */
CI_API ci_status ci_lexicon_load_buffer(const ci_lexicon *base, const char *data, size_t len,
                                        int format, const ci_allocator *alloc,
                                        ci_lexicon **out, ci_diag *diag);

/**
 * ci_lexicon_load_buffer() on the contents of a file.  Adds ::CI_ERR_IO
 * when the file cannot be read (errno is left set).  @since 1.0.0
 */
CI_API ci_status ci_lexicon_load_file(const ci_lexicon *base, const char *path, int format,
                                      const ci_allocator *alloc, ci_lexicon **out,
                                      ci_diag *diag);

/**
 * Look a term up the way the native scorer does (NFKC + case folding, so
 * "GREAT" finds "great"; phrases are words separated by single spaces).
 *
 * @param[out] valence  receives the valence when found.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND (no valence for it), ::CI_ERR_INVALID,
 *         ::CI_ERR_NOMEM.  Thread-safe.  @since 1.0.0
 */
CI_API ci_status ci_lexicon_lookup(const ci_lexicon *lex, const char *term, size_t len,
                                   double *valence);

/** Number of terms with a valence (modifiers and emoji descriptions not counted).
 *  Thread-safe.  @since 1.0.0 */
CI_API size_t ci_lexicon_size(const ci_lexicon *lex);

/** Free a lexicon.  NULL is a no-op.  No scorer may still use it.  @since 1.0.0 */
CI_API void ci_lexicon_free(ci_lexicon *lex);

/* ======================================================================== */
/*  Sentiment: scoring, intents, explanations                               */
/* ======================================================================== */

/**
 * Customer intents, beyond polarity.  They tell language that suggests
 * confusion from language that suggests dissatisfaction.  Values are fixed;
 * new intents are appended (at most ::CI_INTENT_MAX in all).
 */
typedef enum ci_intent {
    CI_INTENT_CONFUSION = 0,    /**< "I don't understand", "how do I", "where is". */
    CI_INTENT_FRUSTRATION = 1,  /**< Anger, annoyance, exasperation. */
    CI_INTENT_URGENCY = 2,      /**< "asap", "urgent", "still waiting". */
    CI_INTENT_CHURN = 3,        /**< "cancel my subscription", "switching to". */
    CI_INTENT_PRAISE = 4,       /**< Praise or gratitude. */
    CI_INTENT_EFFORT = 5        /**< "had to call three times", "again". */
} ci_intent;

/** Number of intents this version knows. */
#define CI_INTENT_COUNT 6
/** Capacity of per-intent arrays in result structs (room for later intents). */
#define CI_INTENT_MAX 16
/** An intent is flagged when its strength reaches this value. */
#define CI_INTENT_THRESHOLD 0.5

/** Lower-case name of an intent ("churn" ...), static, or NULL.  Thread-safe.  @since 1.0.0 */
CI_API const char *ci_intent_name(int intent);

/** Options for ci_sentiment_new(). */
typedef struct ci_sentiment_options {
    size_t struct_size;  /**< sizeof(ci_sentiment_options); set by ci_sentiment_options_init(). */
    /** 1: reproduce the reference VADER implementation (vaderSentiment 3.3) exactly: its
     *  tokenization, its rules and their quirks, and emoji replaced by the lexicon's emoji
     *  descriptions.  Use it with VADER's own lexicon files.  0 (default): libci's native
     *  rules on libci's tokens (phrases, de-elongation, emoji scored directly). */
    int vader_compat;
    /** 1: record each scored term's contribution (see ci_sentiment_contribution()). */
    int explain;
    /** 1: also score each sentence (see ci_sentiment_sentence()). */
    int sentences;
} ci_sentiment_options;

/** Initialise options to the defaults (native rules, no explanations, no sentences).  @since 1.0.0 */
CI_API void ci_sentiment_options_init(ci_sentiment_options *opts);

/**
 * A sentiment scorer: a lexicon plus reusable working memory.  One thread at
 * a time; give each thread its own scorer (they may share the lexicon).
 * Steady state allocates nothing: buffers grow to the largest text seen.
 */
typedef struct ci_sentiment ci_sentiment;

/**
 * Create a scorer.
 *
 * @param lex    the lexicon; **kept**: it must outlive the scorer.
 * @param opts   optional (NULL = defaults); copied.
 * @param alloc  optional; NULL means the lexicon's allocator.
 * @param[out] out  the scorer; free with ci_sentiment_free().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_sentiment_new(const ci_lexicon *lex, const ci_sentiment_options *opts,
                                  const ci_allocator *alloc, ci_sentiment **out);

/** Free a scorer (not its lexicon).  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_sentiment_free(ci_sentiment *s);

/** The result of scoring one text.  Initialise with ci_sentiment_result_init(). */
typedef struct ci_sentiment_result {
    size_t struct_size;         /**< sizeof(ci_sentiment_result); set by ci_sentiment_result_init(). */
    double compound;            /**< Normalized sum of valences, in [-1, 1]. */
    double pos, neu, neg;       /**< Proportions of the text, summing to 1 (all 0 for empty text). */
    unsigned intent_flags;      /**< Bit i set: intent i reached ::CI_INTENT_THRESHOLD. */
    double intent[CI_INTENT_MAX]; /**< Strength in [0, 1] per ::ci_intent. */
    size_t n_sentences;         /**< Sentences scored (0 unless the sentences option is on). */
    size_t n_contributions;     /**< Contributions recorded (0 unless the explain option is on). */
} ci_sentiment_result;

/** Initialise a result struct.  @since 1.0.0 */
CI_API void ci_sentiment_result_init(ci_sentiment_result *res);

/**
 * Score one text: compound, pos/neu/neg, intents, and (with the options)
 * per-sentence scores and contributions, readable until the next call.
 *
 * Invalid UTF-8 is read as U+FFFD and never rejected.  Texts longer than
 * ::CI_SENTIMENT_MAX_TEXT bytes are refused with ::CI_ERR_LIMIT (split long
 * documents into messages or paragraphs).
 *
 * @param text  borrowed for the call.
 * @param res   caller's struct, initialised by ci_sentiment_result_init().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE, ::CI_ERR_LIMIT,
 *         ::CI_ERR_NOMEM (the scorer stays usable).  @since 1.0.0
 */
CI_API ci_status ci_sentiment_score(ci_sentiment *s, const char *text, size_t len,
                                    ci_sentiment_result *res);

/** Longest text ci_sentiment_score() accepts, in bytes. */
#define CI_SENTIMENT_MAX_TEXT (64u * 1024u * 1024u)

/** Scores of one sentence of the last scored text. */
typedef struct ci_sentence_score {
    size_t struct_size;         /**< sizeof(ci_sentence_score); set by ci_sentence_score_init(). */
    uint64_t offset;            /**< Byte offset of the sentence in the text. */
    size_t length;              /**< Its length in bytes. */
    double compound, pos, neu, neg;
} ci_sentence_score;

/** Initialise a sentence struct.  @since 1.0.0 */
CI_API void ci_sentence_score_init(ci_sentence_score *out);

/**
 * The i-th sentence of the last scored text (0-based, in text order).
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND (i out of range), ::CI_ERR_INVALID,
 *         ::CI_ERR_STRUCT_SIZE.  @since 1.0.0
 */
CI_API ci_status ci_sentiment_sentence(const ci_sentiment *s, size_t i, ci_sentence_score *out);

/** Why a text scored as it did: one term and what the rules made of it. */
typedef struct ci_contribution {
    size_t struct_size;  /**< sizeof(ci_contribution); set by ci_contribution_init(). */
    uint64_t offset;     /**< Byte offset of the term in the text (an emoji's, when VADER
                              replaced it by its description). */
    size_t length;       /**< Its length in bytes (a phrase spans all its words). */
    double base;         /**< The lexicon valence. */
    double valence;      /**< The valence after negation, boosters, capitals, "but" ... */
    const char *term;    /**< The lexicon term matched; a view valid until the next score. */
    size_t term_len;
    size_t sentence;     /**< Index of its sentence (0 when sentences are off). */
} ci_contribution;

/** Initialise a contribution struct.  @since 1.0.0 */
CI_API void ci_contribution_init(ci_contribution *out);

/**
 * The i-th contribution of the last scored text, in text order.  Only terms
 * found in the lexicon appear.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE.  @since 1.0.0
 */
CI_API ci_status ci_sentiment_contribution(const ci_sentiment *s, size_t i,
                                           ci_contribution *out);

/* ======================================================================== */
/*  Themes                                                                  */
/* ======================================================================== */

/**
 * Options for theme discovery.  Initialise with ci_theme_options_init();
 * zero or default values are documented per field.
 */
typedef struct ci_theme_options {
    size_t struct_size;      /**< sizeof(ci_theme_options); set by ci_theme_options_init(). */
    unsigned k;              /**< Number of themes; 0 chooses it automatically (see ci_theme_trainer_fit()). */
    uint64_t seed;           /**< Seed for k-means++ and the random projections; same seed, same themes. */
    unsigned n_init;         /**< k-means restarts, the best kept (default 0: 3 up to 5,000 texts, else 1). */
    unsigned max_iter;       /**< k-means iterations per restart (default 40). */
    unsigned min_df;         /**< A term must occur in this many texts (default 2). */
    double max_df;           /**< ... and in at most this fraction of them (default 0.5). */
    unsigned max_vocab;      /**< Keep at most this many terms, the most frequent (default 200000). */
    int bigrams;             /**< 1: add pairs of consecutive words as clustering features (default 0).
                                  Labels and top terms consider pairs either way. */
    int stem;                /**< 1: Snowball English stemming when built with libstemmer (default 1). */
    unsigned neighbors;      /**< In-memory fits smooth each text with this many nearest neighbours (default 10; 0 = off). */
    unsigned dims;           /**< In-memory fits cluster in an LSA space of this many dimensions (default 50; 0 = raw TF-IDF). */
    int streaming;           /**< 1: two-pass mini-batch mode, memory bounded by the vocabulary and k (see the trainer). */
    size_t batch_size;       /**< Mini-batch size in streaming mode (default 4096). */
    double min_similarity;   /**< Assignment: below this cosine similarity a text gets no theme (default 0.2). */
    unsigned n_terms;        /**< Top terms kept per theme (default 10). */
    unsigned n_examples;     /**< Representative texts kept per theme (default 3). */
} ci_theme_options;

/** Initialise theme options to their defaults.  @since 1.0.0 */
CI_API void ci_theme_options_init(ci_theme_options *opts);

/** Whether this build can stem (libstemmer was found): 1 or 0.  Thread-safe.  @since 1.0.0 */
CI_API int ci_themes_have_stemmer(void);

/**
 * A fitted theme model: vocabulary, weights and themes with their labels,
 * top terms and representative texts.  **Immutable**: any number of threads
 * may assign with one model at once (each through its own ::ci_theme_assigner).
 */
typedef struct ci_theme_model ci_theme_model;

/**
 * Collects texts (or host embedding vectors) and fits a theme model.  One
 * thread at a time.
 *
 * In-memory mode (default) keeps every text's sparse vector and the texts
 * themselves: fit smooths each text with its nearest neighbours, projects to
 * an LSA space and runs spherical k-means, which clusters short support
 * texts best.  Memory grows with the corpus.
 *
 * Streaming mode (options.streaming = 1) keeps memory bounded by the
 * vocabulary and k: feed the corpus once (vocabulary), call
 * ci_theme_trainer_next_pass(), feed it again (mini-batch spherical k-means
 * on TF-IDF vectors, representative texts kept as they stream by), then fit.
 */
typedef struct ci_theme_trainer ci_theme_trainer;

/**
 * Create a trainer.  Asking for stemming in a build without libstemmer is
 * not an error: stemming is then off (see ci_themes_have_stemmer()).
 * libstemmer allocates with malloc, outside the caller's allocator.
 * @param opts   optional (NULL = defaults); copied.  Limits: k <= 100000,
 *               dims, neighbors, n_terms, n_examples and n_init <= 1000,
 *               0 < max_df <= 1, -1 <= min_similarity <= 1, max_vocab > 0.
 * @param alloc  optional allocator; NULL for malloc/free.
 * @return ::CI_OK, ::CI_ERR_INVALID (bad option values), ::CI_ERR_STRUCT_SIZE,
 *         ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_theme_trainer_new(const ci_theme_options *opts, const ci_allocator *alloc,
                                      ci_theme_trainer **out);

/** Free a trainer.  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_theme_trainer_free(ci_theme_trainer *t);

/**
 * Add one text.  Its index (0-based, in order of adding) identifies it in
 * ci_theme_trainer_assignment().  The text is copied.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_STATE (after fit, or a vector
 *         trainer), ::CI_ERR_LIMIT (more than 2^31 texts), ::CI_ERR_NOMEM.
 *         @since 1.0.0
 */
CI_API ci_status ci_theme_trainer_add(ci_theme_trainer *t, const char *text, size_t len);

/**
 * Add one host embedding vector (all of the same dimension, at most 4096)
 * with its text (for labels and examples; may be empty).  A trainer takes
 * either texts or vectors, not both.  The vector is normalized and copied.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_RANGE (dimension differs from
 *         the first vector's, or a zero vector), ::CI_ERR_NONFINITE,
 *         ::CI_ERR_STATE, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_theme_trainer_add_vector(ci_theme_trainer *t, const float *vec, size_t dims,
                                             const char *text, size_t len);

/** Streaming mode: the vocabulary pass is over; feed the corpus again.
 *  @return ::CI_OK or ::CI_ERR_STATE.  @since 1.0.0 */
CI_API ci_status ci_theme_trainer_next_pass(ci_theme_trainer *t);

/**
 * Fit the model.  With options.k == 0 the number of themes is chosen
 * automatically: spherical k-means runs on a sample of at most 1000 texts
 * (in the space the themes are clustered in) for k = 2 .. min(100,
 * sqrt(n/2)), and the k with the best mean silhouette (cosine distance)
 * wins.  Silhouettes favour well-separated themes, so on overlapping
 * support topics this chooses fewer, broader themes than a person might;
 * give k when you know the granularity you want.  Streaming fits cannot
 * look back at texts: there k == 0 means sqrt(n/2), at most 100.
 *
 * @param[out] out  the model; free with ci_theme_model_free().  It does not
 *                  depend on the trainer, which may be freed.
 * @return ::CI_OK, ::CI_ERR_STATE (already fitted, or fewer texts than k),
 *         ::CI_ERR_MISSING (no usable term in any text), ::CI_ERR_NOMEM.
 *         @since 1.0.0
 */
CI_API ci_status ci_theme_trainer_fit(ci_theme_trainer *t, ci_theme_model **out);

/**
 * After an in-memory fit: the theme of the i-th text added, and its cosine
 * similarity to the theme's centroid in the space the fit clustered (after
 * neighbour smoothing and LSA, so higher than an assigner would report for
 * the same text).  Every text with a usable term has a theme here:
 * min_similarity applies to assigners only.  *theme is -1 for a text with
 * no usable term.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_STATE (not fitted, or
 *         streaming mode).  @since 1.0.0
 */
CI_API ci_status ci_theme_trainer_assignment(const ci_theme_trainer *t, size_t i, int *theme,
                                             double *similarity);

/** Number of themes.  Thread-safe.  @since 1.0.0 */
CI_API size_t ci_theme_model_count(const ci_theme_model *m);

/** One theme's summary; views stay valid while the model lives. */
typedef struct ci_theme_info {
    size_t struct_size;   /**< sizeof(ci_theme_info); set by ci_theme_info_init(). */
    const char *label;    /**< Short human-readable label from its most distinctive terms. */
    size_t label_len;
    size_t size;          /**< Texts in the theme when it was fitted. */
    size_t n_terms;       /**< Top terms available (ci_theme_model_term()). */
    size_t n_examples;    /**< Representative texts available (ci_theme_model_example()). */
} ci_theme_info;

/** Initialise a theme info struct.  @since 1.0.0 */
CI_API void ci_theme_info_init(ci_theme_info *info);

/** Theme i's summary.  @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE.
 *  Thread-safe.  @since 1.0.0 */
CI_API ci_status ci_theme_model_info(const ci_theme_model *m, size_t i, ci_theme_info *info);

/** Theme i's j-th top term (class-based TF-IDF weight, highest first); views
 *  valid while the model lives.  Stemmed terms are shown as their most
 *  frequent surface word.  @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.
 *  Thread-safe.  @since 1.0.0 */
CI_API ci_status ci_theme_model_term(const ci_theme_model *m, size_t i, size_t j,
                                     const char **term, size_t *len, double *weight);

/** Theme i's j-th most representative text (closest to the centroid first).
 *  @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  Thread-safe.  @since 1.0.0 */
CI_API ci_status ci_theme_model_example(const ci_theme_model *m, size_t i, size_t j,
                                        const char **text, size_t *len, double *similarity);

/**
 * A new model in which themes a and b are one (its centroid weighted by
 * their sizes, its terms and label recomputed, examples pooled).  Theme ids
 * above the removed one shift down by one; the merged theme takes
 * min(a, b).  @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID (a == b),
 * ::CI_ERR_NOMEM.  Thread-safe (the model is only read).  @since 1.0.0
 */
CI_API ci_status ci_theme_model_merge(const ci_theme_model *m, size_t a, size_t b,
                                      ci_theme_model **out);

/**
 * Serialize a model: a versioned, CRC-checked, zlib-compressed binary.
 * @param[out] data  receives the bytes; free with ci_free().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_LIMIT (4 GiB of payload), ::CI_ERR_NOMEM.
 *         Thread-safe.  @since 1.0.0
 */
CI_API ci_status ci_theme_model_save(const ci_theme_model *m, char **data, size_t *len);

/** ci_theme_model_save() to a file (written whole, then renamed into place).
 *  @return as ci_theme_model_save(), plus ::CI_ERR_IO.  @since 1.0.0 */
CI_API ci_status ci_theme_model_save_file(const ci_theme_model *m, const char *path);

/**
 * Load a model saved by any version up to this one.  A truncated, corrupt
 * or foreign file fails with a clear status and never crashes.
 * @return ::CI_OK, ::CI_ERR_FORMAT (not a model, or malformed),
 *         ::CI_ERR_CHECKSUM (corrupt or truncated), ::CI_ERR_VERSION (newer
 *         format), ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_theme_model_load(const char *data, size_t len, const ci_allocator *alloc,
                                     ci_theme_model **out, ci_diag *diag);

/** ci_theme_model_load() from a file; adds ::CI_ERR_IO, and ::CI_ERR_LIMIT over 4 GiB.  @since 1.0.0 */
CI_API ci_status ci_theme_model_load_file(const char *path, const ci_allocator *alloc,
                                          ci_theme_model **out, ci_diag *diag);

/** Free a model.  NULL is a no-op.  No assigner may still use it.  @since 1.0.0 */
CI_API void ci_theme_model_free(ci_theme_model *m);

/**
 * Assigns new texts to a model's themes and counts what fits no theme per
 * time window, so that an emerging issue shows up.  One thread at a time;
 * the model is **kept** and must outlive it.
 */
typedef struct ci_theme_assigner ci_theme_assigner;

/** Create an assigner.  window_seconds: width of the counting windows (0 = one day).
 *  @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  @since 1.0.0 */
CI_API ci_status ci_theme_assigner_new(const ci_theme_model *m, int64_t window_seconds,
                                       const ci_allocator *alloc, ci_theme_assigner **out);

/** Free an assigner.  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_theme_assigner_free(ci_theme_assigner *a);

/**
 * Assign a text: its nearest theme and cosine similarity, or theme -1 ("no
 * theme") when the similarity is below the model's min_similarity or the
 * text has no known term.  With a timestamp other than ::CI_TIME_NONE the
 * text is counted in its window.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_STATE (a vector model),
 *         ::CI_ERR_RANGE (a timestamp so close to INT64_MIN that its window
 *         cannot start), ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_theme_assign(ci_theme_assigner *a, const char *text, size_t len,
                                 int64_t timestamp, int *theme, double *similarity);

/** Assign a host embedding vector to a vector model.  @return as ci_theme_assign(),
 *  plus ::CI_ERR_RANGE (wrong dimension).  @since 1.0.0 */
CI_API ci_status ci_theme_assign_vector(ci_theme_assigner *a, const float *vec, size_t dims,
                                        int64_t timestamp, int *theme, double *similarity);

/**
 * The i-th time window seen (in time order): its start, the texts counted
 * and those with no theme.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_theme_assigner_window(const ci_theme_assigner *a, size_t i, int64_t *start,
                                          uint64_t *total, uint64_t *unassigned);

/* ======================================================================== */
/*  Analyzer: segments                                                      */
/* ======================================================================== */

/** Time buckets an analyzer keeps (bits of ::ci_analyzer_options.buckets). */
enum {
    CI_BUCKET_DAY = 1u << 0,    /**< UTC calendar days. */
    CI_BUCKET_WEEK = 1u << 1,   /**< ISO weeks, starting Monday 00:00 UTC. */
    CI_BUCKET_MONTH = 1u << 2   /**< UTC calendar months. */
};

/** Most dimensions an analyzer may declare. */
#define CI_ANALYZER_MAX_DIMENSIONS 16

/** Most themes an analyzer counts (a model's, or ci_analyzer_options.n_themes). */
#define CI_ANALYZER_MAX_THEMES 100000u

/** Options for ci_analyzer_new().  Initialise with ci_analyzer_options_init(). */
typedef struct ci_analyzer_options {
    size_t struct_size;          /**< sizeof(ci_analyzer_options); set by ci_analyzer_options_init(). */
    const ci_str *dimensions;    /**< Attribute keys to segment by (copied), e.g. "tier", "region". */
    size_t n_dimensions;         /**< At most ::CI_ANALYZER_MAX_DIMENSIONS. */
    unsigned max_depth;          /**< Segments combine up to this many dimensions (default 2: tier x region). */
    unsigned buckets;            /**< CI_BUCKET_* bits (default day, week and month). */
    const ci_lexicon *lexicon;   /**< Scores text; **kept**, must outlive the analyzer.  NULL: no sentiment. */
    int vader_compat;            /**< Score with VADER-compatible rules (see ci_sentiment_options). */
    const ci_theme_model *themes; /**< Assigns themes; **kept**.  NULL: no themes. */
    size_t n_themes;             /**< Without a model: theme ids results may carry, for
                                      ci_analyzer_add_result() (ignored when `themes` is set);
                                      at most ::CI_ANALYZER_MAX_THEMES. */
} ci_analyzer_options;

/** Initialise analyzer options to the defaults.  @since 1.0.0 */
CI_API void ci_analyzer_options_init(ci_analyzer_options *opts);

/**
 * The analyzer pipeline: takes ::ci_signal s one at a time (tokenizer,
 * sentiment, intents, theme assignment), updates every segment aggregate, and
 * returns the per-signal result, so a host can route one ticket in real time
 * or feed millions in bulk.  One thread at a time; build one per thread and
 * merge them (ci_analyzer_merge()).
 *
 * Segments: for each non-empty combination of at most max_depth declared
 * dimensions, each combination of values seen (signals without a dimension's
 * attribute count under the value ""), plus the whole population (no
 * dimension).  Each segment keeps, overall and per time bucket:
 * count; NPS responses, promoters (9-10), passives and detractors (0-6);
 * CSAT responses and satisfied (4-5); CES mean and variance on a 1-7
 * higher-is-easier scale; sentiment (compound) mean and variance; texts
 * flagged with each intent; the exact sum of value; and texts per theme.
 *
 * Exactness: counts are integers, and value sums are exact (error-free
 * summation, then one rounding), so they equal a plain group-by whatever the
 * order or partitioning.  Means and variances use Welford's algorithm and
 * Chan's merge: numerically stable, and equal across partitionings to
 * floating-point rounding (relative 1e-12).
 */
typedef struct ci_analyzer ci_analyzer;

/**
 * Create an analyzer.
 * @return ::CI_OK, ::CI_ERR_INVALID (NULL out, empty, duplicate or overlong
 *         dimension, invalid UTF-8 in one, a theme model without a lexicon),
 *         ::CI_ERR_LIMIT (too many dimensions, n_themes above
 *         ::CI_ANALYZER_MAX_THEMES), ::CI_ERR_STRUCT_SIZE, ::CI_ERR_NOMEM.
 *         @since 1.0.0
 */
CI_API ci_status ci_analyzer_new(const ci_analyzer_options *opts, const ci_allocator *alloc,
                                 ci_analyzer **out);

/** Free an analyzer.  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_analyzer_free(ci_analyzer *an);

/** What the analyzer made of one signal. */
typedef struct ci_signal_result {
    size_t struct_size;   /**< sizeof(ci_signal_result); set by ci_signal_result_init(). */
    int has_sentiment;    /**< 1 when the signal had text and a lexicon was given. */
    double compound, pos, neu, neg;
    unsigned intent_flags;         /**< As ::ci_sentiment_result. */
    double intent[CI_INTENT_MAX];
    int theme;            /**< Theme id, or -1 (no theme, no text, or no theme model). */
    double theme_similarity;
} ci_signal_result;

/** Initialise a signal result.  @since 1.0.0 */
CI_API void ci_signal_result_init(ci_signal_result *res);

/**
 * Analyze one signal and add it to every segment it belongs to.
 *
 * The signal is validated first (ci_signal_validate()); an invalid signal
 * changes nothing and is reported through `diag`.  Nothing is kept from the
 * signal's buffers.
 *
 * @param res   optional; receives the per-signal result.
 * @param diag  optional; details of a validation failure.
 * @return ::CI_OK, the statuses of ci_signal_validate(), ::CI_ERR_LIMIT (a
 *         text over ::CI_SENTIMENT_MAX_TEXT with a lexicon attached, or an
 *         analyzer limit; see Limits at the top), ::CI_ERR_NOMEM (the
 *         analyzer is unchanged).  @since 1.0.0
 */
CI_API ci_status ci_analyzer_add(ci_analyzer *an, const ci_signal *signal, ci_signal_result *res,
                                 ci_diag *diag);

/**
 * Add a signal that was analyzed elsewhere: `res` supplies the sentiment,
 * intents and theme (as ci_analyzer_add() would have computed them), and the
 * analyzer only updates its aggregates.  This is the bulk path for data that
 * was scored once and is aggregated many times, and for hosts that run their
 * own models.  The text is not scored, but it may still be kept as an example.
 *
 * @param res  required; `theme` must be -1 or below the analyzer's theme
 *             count, and when `has_sentiment` is set compound, pos, neu and
 *             neg must be finite, compound in [-1, 1].
 * @return as ci_analyzer_add(), plus ::CI_ERR_RANGE / ::CI_ERR_NONFINITE for
 *         a bad result (the analyzer is unchanged).  @since 1.0.0
 */
CI_API ci_status ci_analyzer_add_result(ci_analyzer *an, const ci_signal *signal,
                                        const ci_signal_result *res, ci_diag *diag);

/** "No value in this row" in the code columns of ::ci_signal_columns. */
#define CI_CODE_NONE UINT32_MAX

/**
 * A batch of signals analyzed elsewhere, one array per field, the way
 * Arrow, pandas and NumPy hold them; for ci_analyzer_add_columns().
 * Initialise with ci_signal_columns_init(), then point the columns you have
 * at arrays of `n_rows` elements.  A NULL column is absent in every row.
 * The caller owns every array; libci reads them during the call only.
 *
 * Row i stands for exactly this pair, given to ci_analyzer_add_result():
 *  - a ::ci_signal of kind ::CI_SIGNAL_FEEDBACK with `timestamp[i]`
 *    (::CI_TIME_NONE when the column is NULL), `text[i]`, the account
 *    `account_values[account_codes[i]]`, the scores and value that are
 *    not NaN in row i (with `ces_direction`), and one attribute per
 *    declared dimension d whose code is not ::CI_CODE_NONE, with the value
 *    `dim_values[d][dim_codes[d][i]]`;
 *  - a ::ci_signal_result with `has_sentiment` set when `compound[i]` is not
 *    NaN, that compound, `intent_flags[i]` and `theme[i]`.
 * So the rules of those calls hold per row: a row needs text, a score or a
 * value; scores are whole numbers in range; and so on.  Dimension values
 * are given once per distinct value (a dictionary, as pandas categoricals
 * and Arrow dictionary arrays keep them), so a row costs a few integers.
 */
typedef struct ci_signal_columns {
    size_t struct_size;            /**< sizeof(ci_signal_columns); set by ci_signal_columns_init(). */
    size_t n_rows;                 /**< Rows in every non-NULL column. */
    /** One code array per dimension, in the order the analyzer declared
     *  them (ci_analyzer_dimension()); NULL, or a NULL entry, when that
     *  dimension is absent in every row. */
    const uint32_t *const *dim_codes;
    /** Per dimension, the dictionary its codes index: valid UTF-8 values. */
    const ci_str *const *dim_values;
    /** Per dimension, the number of entries in dim_values[d]. */
    const size_t *n_dim_values;
    const int64_t *timestamp;      /**< Seconds since 1970 UTC, or ::CI_TIME_NONE. */
    const double *nps;             /**< 0-10, NaN when not answered. */
    const double *csat;            /**< 1-5, NaN when not answered. */
    const double *ces;             /**< 1-7, NaN when not answered. */
    int ces_direction;             /**< A ::ci_ces_direction for every ces value. */
    const double *value;           /**< Money at stake, NaN when none. */
    const double *compound;        /**< Sentiment in [-1, 1], NaN when not scored. */
    const uint32_t *intent_flags;  /**< Bit k for ::ci_intent k, as ::ci_sentiment_result (read where compound is set). */
    const int32_t *theme;          /**< Theme id, or -1. */
    const uint32_t *account_codes; /**< Index into account_values, or ::CI_CODE_NONE. */
    const ci_str *account_values;  /**< The account ids the codes index. */
    size_t n_account_values;       /**< Entries in account_values. */
    const ci_str *text;            /**< The texts, kept as examples (not scored). */
    /** Dimension codes of any width, as pandas categoricals and Arrow
     *  dictionary indices hold them (often 1 or 2 bytes), taken without a
     *  widening copy: NULL, or per dimension 0 (its codes, if any, are in
     *  dim_codes) or the bytes per code, 1, 2 or 4, in dim_codes_any[d]
     *  (`uint8_t`, `uint16_t` or `uint32_t`).  A code of all ones in its
     *  width (0xFF, 0xFFFF: -1 read as signed) is ::CI_CODE_NONE. */
    const uint8_t *dim_code_bytes;
    /** Per dimension, the code array where dim_code_bytes[d] is not 0
     *  (then dim_codes[d] is not read); a NULL entry: absent in every row. */
    const void *const *dim_codes_any;
} ci_signal_columns;

/** Initialise a ::ci_signal_columns: no rows, no columns.  @since 1.2.0 */
CI_API void ci_signal_columns_init(ci_signal_columns *cols);

/**
 * Add a batch of analyzed signals held as columns (::ci_signal_columns).
 * The aggregates are exactly those of adding the rows one by one with
 * ci_analyzer_add_result(), in row order, but a row costs a few integers
 * and numbers to read instead of two structs and its attribute strings, so
 * this is the fast path for bulk data and for bindings (one call per batch,
 * not per row).
 *
 * Rows are added in order.  The first bad row stops the call: the rows
 * before it stay added, the bad row and the rows after it are not, and
 * `*n_added` says how many went in, so the caller can report row
 * `*n_added` and go on from the next one.  Nothing is ever half-added.
 *
 * @param cols     the batch; its dimension arrays, when non-NULL, have one
 *                 entry per declared dimension.
 * @param n_added  optional; receives the number of rows added, on every
 *                 return.
 * @param diag     optional; for a bad row: what is wrong, with
 *                 `diag->index` set to the row (`field` as
 *                 ci_signal_validate(), ::CI_FIELD_ATTR_VALUE for a
 *                 dimension code or value, -1 for the compound or theme).
 * Each call allocates a small table from the dimension codes to the
 * segments (freed before it returns), so batches of thousands of rows or
 * more pay for it best.
 *
 * @return ::CI_OK; ::CI_ERR_INVALID (NULL arguments, dimension or
 *         account codes without a dictionary, or a code width other than
 *         0, 1, 2 or 4); ::CI_ERR_STRUCT_SIZE; for a
 *         bad row the statuses of ci_analyzer_add_result(), and
 *         ::CI_ERR_RANGE for a code outside its dictionary; ::CI_ERR_NOMEM
 *         (rows before the failing one stay added).
 * Not thread-safe on one analyzer, like every analyzer call.  @since 1.2.0
 */
CI_API ci_status ci_analyzer_add_columns(ci_analyzer *an, const ci_signal_columns *cols,
                                         size_t *n_added, ci_diag *diag);

/**
 * Build the segment summaries now.  An add is cheap because it updates one
 * fine-grained cell (the signal's full combination of values, on its day);
 * segments and coarser buckets are rolled up from the cells when first read
 * after a change.  Every reading function does this on demand; call this to
 * choose when the work (and its only failure, ::CI_ERR_NOMEM) happens.
 * Reading functions therefore write internal caches: like every other call,
 * they must not run concurrently with any other call on the same analyzer.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM, ::CI_ERR_LIMIT (more
 *         segments than ::CI_ANALYZER_MAX_SEGMENTS; nothing is lost, and
 *         save, merge and accounts still work).  @since 1.0.0
 */
CI_API ci_status ci_analyzer_summarize(ci_analyzer *an);

/** Largest number of segments (times buckets) one analyzer keeps. */
#define CI_ANALYZER_MAX_SEGMENTS 50000000u

/**
 * Add everything of `other` into `an`, as if `an` had seen other's signals
 * too.  Both must have been created with the same dimensions, depth and
 * buckets.  `other` is unchanged.
 * @return ::CI_OK, ::CI_ERR_INVALID (different configurations),
 *         ::CI_ERR_LIMIT, ::CI_ERR_NOMEM (`an` is unchanged).  @since 1.0.0
 */
CI_API ci_status ci_analyzer_merge(ci_analyzer *an, const ci_analyzer *other);

/** Statistics of one segment (overall or in one time bucket). */
typedef struct ci_segment_stats {
    size_t struct_size;          /**< sizeof(ci_segment_stats); set by ci_segment_stats_init(). */
    uint64_t count;              /**< Signals. */
    uint64_t nps_responses, nps_promoters, nps_passives, nps_detractors;
    double nps;                  /**< % promoters - % detractors, in [-100, 100]; 0 without responses. */
    double nps_margin;           /**< 95 % margin of error of nps, in points. */
    uint64_t csat_responses, csat_satisfied;
    double csat;                 /**< % satisfied (4-5). */
    double csat_low, csat_high;  /**< 95 % Wilson interval of csat, in %. */
    uint64_t ces_responses;
    double ces_mean, ces_variance, ces_margin;       /**< 1-7, higher is easier; 95 % margin of the mean. */
    uint64_t sentiment_n;        /**< Signals with a sentiment score. */
    double sentiment_mean, sentiment_variance;
    uint64_t intent_count[CI_INTENT_MAX];            /**< Signals flagged with each intent. */
    uint64_t value_n;            /**< Signals with a value. */
    double value_sum;            /**< Exact sum of value, rounded once. */
} ci_segment_stats;

/** Initialise a stats struct.  @since 1.0.0 */
CI_API void ci_segment_stats_init(ci_segment_stats *s);

/** Number of segments (every combination seen, plus the whole population);
 *  0 if they could not be summarized for lack of memory.  @since 1.0.0 */
CI_API size_t ci_analyzer_segment_count(const ci_analyzer *an);

/**
 * Segment i: its dimension values and overall statistics.  Segment 0 is the
 * whole population.  Segment order is stable for one analyzer but differs
 * between analyzers; find a segment by its values with ci_analyzer_find().
 *
 * @param values   optional; an array of `n_dimensions` (as declared) that
 *                 receives the segment's value for each dimension, {NULL, 0}
 *                 where the segment does not split by it.  The strings are
 *                 views valid until the next add or merge.
 * @param stats    optional; receives the overall statistics.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_segment(const ci_analyzer *an, size_t i, ci_str *values,
                                     ci_segment_stats *stats);

/**
 * Find a segment by its values: `values[d]` is the value for declared
 * dimension d, or {NULL, 0} when the segment does not split by it.
 * @return ::CI_OK with *index, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_find(const ci_analyzer *an, const ci_str *values, size_t *index);

/** Theme counts of segment i: texts assigned to theme t (0 if none).  @since 1.0.0 */
CI_API uint64_t ci_analyzer_segment_theme(const ci_analyzer *an, size_t i, size_t theme);

/**
 * Statistics of segment i in one time bucket.
 * @param bucket  one CI_BUCKET_* bit the analyzer keeps.
 * @param start   the bucket's start (Unix seconds, UTC), as listed by
 *                ci_analyzer_bucket().
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND (no signal of the segment in that
 *         bucket), ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_segment_bucket(const ci_analyzer *an, size_t i, unsigned bucket,
                                            int64_t start, ci_segment_stats *stats);

/**
 * The j-th time bucket of a kind in which any signal was seen, in time order.
 * @return ::CI_OK with *start, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_bucket(const ci_analyzer *an, unsigned bucket, size_t j,
                                    int64_t *start);

/** Signals ci_analyzer_segment_theme() counts theme shares against: those with text. */
CI_API uint64_t ci_analyzer_segment_texts(const ci_analyzer *an, size_t i);

/** Number of dimensions, and the name of dimension d (a view, valid for the
 *  analyzer's life; {NULL, 0} when out of range).  @since 1.0.0 */
CI_API size_t ci_analyzer_dimension_count(const ci_analyzer *an);
CI_API ci_str ci_analyzer_dimension(const ci_analyzer *an, size_t d);

/** Number of dimensions segment i splits by (0 for the population).  @since 1.0.0 */
CI_API unsigned ci_analyzer_segment_depth(const ci_analyzer *an, size_t i);

/**
 * Representative texts of segment i: its most negative texts (lowest
 * compound sentiment, ties by text), up to ::CI_ANALYZER_EXAMPLES per segment,
 * each cut to at most ::CI_ANALYZER_EXAMPLE_BYTES bytes at a character boundary.
 * @param j      0 = most negative.
 * @param theme  optional; the text's theme or -1.
 * @return ::CI_OK with a view valid until the next add, merge or load,
 *         ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_segment_example(const ci_analyzer *an, size_t i, size_t j,
                                             ci_str *text, double *compound, int *theme);

/** Examples kept per segment, and their longest length in bytes. */
#define CI_ANALYZER_EXAMPLES 8
#define CI_ANALYZER_EXAMPLE_BYTES 320

/* ======================================================================== */
/*  Comparisons and trends                                                  */
/* ======================================================================== */

/** What a comparison or trend measures. */
typedef enum ci_metric {
    CI_METRIC_NPS = 0,        /**< Net Promoter Score, -100..100. */
    CI_METRIC_CSAT = 1,       /**< % of CSAT answers 4-5. */
    CI_METRIC_CES = 2,        /**< Mean CES, 1-7, higher is easier. */
    CI_METRIC_SENTIMENT = 3,  /**< Mean compound sentiment, -1..1. */
    CI_METRIC_INTENT = 4,     /**< % of scored texts flagged with intent `which`. */
    CI_METRIC_THEME = 5       /**< % of texts assigned to theme `which`. */
} ci_metric;

/** Name of a metric ("nps", "csat", "ces", "sentiment", "intent", "theme"), or NULL.  Thread-safe. */
CI_API const char *ci_metric_name(int metric);

/** A segment against the rest of the population on one metric. */
typedef struct ci_comparison {
    size_t struct_size;   /**< sizeof(ci_comparison); set by ci_comparison_init(). */
    uint64_t n, rest_n;   /**< Observations behind each side (responses, texts ...). */
    double value, rest;   /**< The metric in the segment and in everyone else. */
    double gap;           /**< value - rest. */
    double effect;        /**< Standardised effect: Cohen's h for rates (CSAT,
                               intents, themes), Cohen's d for means (CES,
                               sentiment) and for NPS (on its -1/0/+1 scores). */
    double p_value;       /**< Two-sided p-value of "no difference" (two-proportion
                               z test for rates, Welch's t test for means and NPS). */
} ci_comparison;

/** Initialise a comparison.  @since 1.0.0 */
CI_API void ci_comparison_init(ci_comparison *c);

/**
 * Compare segment i with the rest of the population (the population minus
 * the segment, computed exactly from the aggregates) on one metric.
 * @param which  the intent or theme for ::CI_METRIC_INTENT / ::CI_METRIC_THEME.
 * @return ::CI_OK; ::CI_ERR_MISSING when either side has fewer than two
 *         observations (nothing to compare; *out holds the counts);
 *         ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE,
 *         ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_compare(const ci_analyzer *an, size_t i, int metric, int which,
                                     ci_comparison *out);

/**
 * Benjamini-Hochberg adjustment: q[k] is the smallest false-discovery rate at
 * which p[k] would be declared significant among all n tests.  p and q may be
 * the same array.  Allocates nothing for n <= 256, else through `alloc`.
 * @return ::CI_OK, ::CI_ERR_INVALID (NULL, or a p outside [0, 1] or NaN),
 *         ::CI_ERR_NOMEM.  Thread-safe.  @since 1.0.0
 */
CI_API ci_status ci_benjamini_hochberg(const double *p, size_t n, double *q,
                                       const ci_allocator *alloc);

/** A linear trend over time buckets. */
typedef struct ci_trend {
    size_t struct_size;   /**< sizeof(ci_trend); set by ci_trend_init(). */
    size_t points;        /**< Buckets with data that the fit used. */
    double slope;         /**< Metric units per bucket (weighted least squares). */
    double slope_se;      /**< Its standard error (from the residuals). */
    double p_value;       /**< Two-sided, Student's t with points - 2 degrees of freedom. */
    double first, last;   /**< Fitted value at the first and last bucket used. */
    int64_t first_start, last_start; /**< Those buckets' starts. */
    int widening;         /**< Gap trends only: +1 the gap grows in magnitude, -1 it
                               narrows, 0 no significant change (p >= 0.05). */
} ci_trend;

/** Initialise a trend.  @since 1.0.0 */
CI_API void ci_trend_init(ci_trend *t);

/**
 * The trend of a metric in segment i over the buckets of one kind.  Each
 * bucket's value is weighted by its precision (observations over variance),
 * so a quiet week moves the line less than a busy one.  Buckets with fewer
 * than `min_n` observations are left out.
 * @return ::CI_OK; ::CI_ERR_MISSING with fewer than three usable buckets;
 *         ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID (bucket kind not kept),
 *         ::CI_ERR_STRUCT_SIZE, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_trend(const ci_analyzer *an, size_t i, int metric, int which,
                                   unsigned bucket, uint64_t min_n, ci_trend *out);

/**
 * The trend of the gap between segments a and b (a minus b, per bucket), and
 * whether it widens or narrows: top accounts against the rest, say.
 * @return as ci_analyzer_trend().  @since 1.0.0
 */
CI_API ci_status ci_analyzer_gap_trend(const ci_analyzer *an, size_t a, size_t b, int metric,
                                       int which, unsigned bucket, uint64_t min_n,
                                       ci_trend *out);

/* ======================================================================== */
/*  Account health                                                          */
/* ======================================================================== */

/** Reasons that drive an account's churn risk (bits of ::ci_account_health.reasons). */
typedef enum ci_risk_reason {
    CI_RISK_CHURN_INTENT = 0,       /**< Texts that mention leaving. */
    CI_RISK_DETRACTOR = 1,          /**< The last NPS answer was 0-6. */
    CI_RISK_NEGATIVE_SENTIMENT = 2, /**< Mostly negative texts. */
    CI_RISK_DECLINING_SENTIMENT = 3,/**< Sentiment falling over time. */
    CI_RISK_REPEAT_CONTACTS = 4,    /**< Coming back about the same theme. */
    CI_RISK_CONTACT_SURGE = 5       /**< Contacting much more often than before. */
} ci_risk_reason;

/** Number of ::ci_risk_reason values. */
#define CI_RISK_COUNT 6

/** Name of a risk reason ("churn_intent" ...), or NULL.  Thread-safe.  @since 1.0.0 */
CI_API const char *ci_risk_reason_name(int reason);

/**
 * The health of one account (signals with a non-empty account_id).  "Recent"
 * means the 4 weeks up to the latest timestamp the analyzer has seen, and the
 * baseline is the 12 weeks before them.
 *
 * The churn risk combines one contribution per reason, each in [0, 1), as
 * 1 - prod(1 - c): any strong reason alone makes an account risky, and reasons
 * add up without passing 1.  It needs no churn labels; it is a ranking aid,
 * not a calibrated probability.
 */
typedef struct ci_account_health {
    size_t struct_size;        /**< sizeof(ci_account_health); set by ci_account_health_init(). */
    ci_str account_id;         /**< A view, valid until the next add, merge or load. */
    uint64_t contacts;         /**< Signals. */
    int64_t first_seen, last_seen; /**< ::CI_TIME_NONE when no signal had a time. */
    uint64_t contacts_recent;  /**< In the recent 4 weeks. */
    double contacts_baseline;  /**< Per 4 weeks over the 12 weeks before. */
    double frequency_change;   /**< (recent + 1) / (baseline + 1): > 1 more often than before. */
    uint64_t repeat_contacts;  /**< Texts on a theme the account had raised before. */
    int top_theme;             /**< The theme raised most often, or -1. */
    uint64_t top_theme_contacts;
    uint64_t sentiment_n;
    double sentiment_mean;
    double sentiment_slope;    /**< Compound per 30 days (least squares); 0 below 3 timed texts. */
    double sentiment_last;     /**< Of the latest timed text. */
    int has_nps;
    double last_nps;           /**< The latest NPS answer (ties: the lowest). */
    int64_t last_nps_time;
    uint64_t churn_mentions;   /**< Texts flagged ::CI_INTENT_CHURN. */
    int has_value;
    double value;              /**< Value of the latest signal that had one (ARR, say). */
    double churn_risk;         /**< In [0, 1]. */
    unsigned reasons;          /**< Bit r set: reason r contributed at least 0.05. */
    double reason_weight[CI_RISK_COUNT]; /**< Each reason's contribution. */
} ci_account_health;

/** Initialise an account health struct.  @since 1.0.0 */
CI_API void ci_account_health_init(ci_account_health *h);

/** Number of accounts seen.  @since 1.0.0 */
CI_API size_t ci_analyzer_account_count(const ci_analyzer *an);

/**
 * Health of the i-th account (in first-seen order).
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_account(const ci_analyzer *an, size_t i, ci_account_health *h);

/** Find an account by id.  @return ::CI_OK with *index, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0 */
CI_API ci_status ci_analyzer_find_account(const ci_analyzer *an, const char *id, size_t len,
                                          size_t *index);

/**
 * The riskiest accounts: up to `k` account indices, highest churn risk first
 * (ties: higher value, then id), into `idx`; *n receives how many.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_riskiest(const ci_analyzer *an, size_t k, size_t *idx, size_t *n);

/* ======================================================================== */
/*  Insights                                                                */
/* ======================================================================== */

/** Options for ci_insights_build().  Initialise with ci_insight_options_init(). */
typedef struct ci_insight_options {
    size_t struct_size;     /**< sizeof(ci_insight_options). */
    size_t max_insights;    /**< Keep at most this many (default 20). */
    uint64_t min_n;         /**< Fewest observations on each side of a test (default 30). */
    double alpha;           /**< False-discovery rate for Benjamini-Hochberg (default 0.05). */
    double min_effect;      /**< Smallest |effect| worth reporting (default 0.2). */
    unsigned trend_bucket;  /**< CI_BUCKET_* for trends (default week, if kept). */
} ci_insight_options;

/** Initialise insight options to the defaults.  @since 1.0.0 */
CI_API void ci_insight_options_init(ci_insight_options *o);

/** Kinds of insight. */
typedef enum ci_insight_kind {
    CI_INSIGHT_GAP = 0,        /**< A segment differs from the rest. */
    CI_INSIGHT_TREND = 1,      /**< A segment's metric moves over time. */
    CI_INSIGHT_GAP_TREND = 2   /**< The gap between a segment and the rest widens or narrows. */
} ci_insight_kind;

#define CI_INSIGHT_MAX_DRIVERS 5
#define CI_INSIGHT_MAX_EXAMPLES 3

/** A theme or intent over-represented where an insight applies. */
typedef struct ci_driver {
    int metric;            /**< ::CI_METRIC_THEME or ::CI_METRIC_INTENT. */
    int which;             /**< The theme or intent. */
    double share, rest_share; /**< Fraction of texts, in the segment and in the rest. */
    double lift;           /**< share / rest_share. */
    uint64_t count;        /**< Texts in the segment. */
} ci_driver;

/** One finding. */
typedef struct ci_insight {
    size_t struct_size;    /**< sizeof(ci_insight); set by ci_insight_init(). */
    int kind;              /**< A ::ci_insight_kind. */
    size_t segment;        /**< The analyzer's segment index (where). */
    int metric, which;     /**< What. */
    int direction;         /**< -1 worse for customers than the rest (or falling), +1 better. */
    double value, rest, gap; /**< The metric, in the rest, and the gap (for trends: first and last fitted value, and their difference). */
    double effect;         /**< As ::ci_comparison (0 for trends). */
    double p_value, q_value; /**< Raw and Benjamini-Hochberg adjusted. */
    double slope;          /**< Trends: metric units per bucket. */
    unsigned bucket;       /**< Trends: the CI_BUCKET_* kind. */
    uint64_t count;        /**< Signals in the segment (volume). */
    uint64_t n;            /**< Observations behind the metric. */
    double value_at_stake; /**< Sum of value in the segment (revenue at stake). */
    double score;          /**< Ranking score: effect x confidence x volume x value. */
    size_t n_drivers;
    ci_driver drivers[CI_INSIGHT_MAX_DRIVERS]; /**< Why: by decreasing lift. */
    size_t n_examples;
    ci_str examples[CI_INSIGHT_MAX_EXAMPLES];  /**< Evidence: views owned by the insights object. */
} ci_insight;

/** Initialise an insight.  @since 1.0.0 */
CI_API void ci_insight_init(ci_insight *in);

/** A ranked list of findings; immutable once built, so it may be read from many threads. */
typedef struct ci_insights ci_insights;

/**
 * Find what stands out: every segment against the rest on NPS, CSAT, CES,
 * sentiment and each intent; trends per segment; and the gap trends of the
 * segments found.  p-values are corrected over all tests together
 * (Benjamini-Hochberg).  A broad segment whose gap is explained by a narrower
 * one inside it (EMEA, when it is only enterprise in EMEA) is left out, and so
 * is a narrow one that only repeats its parent.  Findings are ranked by
 * score and carry their drivers and examples.
 *
 * The insights copy what they need (names, values, labels, texts): they stay
 * valid after the analyzer changes or is freed.
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_insights_build(const ci_analyzer *an, const ci_insight_options *opts,
                                   const ci_allocator *alloc, ci_insights **out);

/** Free insights.  NULL is a no-op.  @since 1.0.0 */
CI_API void ci_insights_free(ci_insights *ins);

/** Number of findings.  @since 1.0.0 */
CI_API size_t ci_insights_count(const ci_insights *ins);

/** The i-th finding (0 = most important).
 *  @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID, ::CI_ERR_STRUCT_SIZE.  @since 1.0.0 */
CI_API ci_status ci_insights_get(const ci_insights *ins, size_t i, ci_insight *out);

/**
 * The i-th finding as one plain English sentence (or two), such as
 * "NPS in tier=enterprise, region=EMEA is -24.1, 52.3 points below the rest
 * (p < 0.001; 812 signals, $12.5M at stake). Over-represented: theme
 * "invoice vat" (8.2x), intent churn (4.0x)."
 * Writes at most cap bytes including the terminating NUL (like snprintf).
 * @param len  optional; receives the full length, without the NUL.
 * @return ::CI_OK, ::CI_ERR_NOT_FOUND, ::CI_ERR_INVALID.  @since 1.0.0
 */
CI_API ci_status ci_insights_sentence(const ci_insights *ins, size_t i, char *buf, size_t cap,
                                      size_t *len);

/**
 * All findings as a JSON array of objects (rank, kind, sentence, metric,
 * segment, value, rest, gap, effect, p_value, q_value, direction, count,
 * responses, revenue_at_stake, drivers, examples; slope and bucket for trends).
 * @param[out] json  receives the NUL-terminated text; free with ci_free().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_insights_json(const ci_insights *ins, char **json, size_t *len);

/* ======================================================================== */
/*  Snapshots                                                               */
/* ======================================================================== */

/**
 * Serialize everything an analyzer has aggregated (segments, buckets,
 * accounts, examples) as a versioned, CRC-checked, zlib-compressed snapshot.
 * Snapshots from partitions of a data set can be loaded on one machine and
 * merged (ci_analyzer_merge()).
 * @param[out] data  receives the bytes; free with ci_free().
 * @return ::CI_OK, ::CI_ERR_INVALID, ::CI_ERR_LIMIT, ::CI_ERR_NOMEM.  @since 1.0.0
 */
CI_API ci_status ci_analyzer_save(const ci_analyzer *an, char **data, size_t *len);

/** ci_analyzer_save() to a file (written whole, then renamed into place).
 *  @return as ci_analyzer_save(), plus ::CI_ERR_IO.  @since 1.0.0 */
CI_API ci_status ci_analyzer_save_file(const ci_analyzer *an, const char *path);

/**
 * Load a snapshot.  Its dimensions, depth, buckets and theme count come from
 * the snapshot; `opts` may supply a lexicon and theme model (with the same
 * number of themes) so that the loaded analyzer can keep adding signals.
 * Without them it can still be read, merged and saved.
 * @param opts  optional; only lexicon, vader_compat and themes are used.
 * @return ::CI_OK, ::CI_ERR_FORMAT (not a snapshot, or malformed),
 *         ::CI_ERR_CHECKSUM (corrupt or truncated), ::CI_ERR_VERSION (newer
 *         format), ::CI_ERR_INVALID (theme count differs), ::CI_ERR_NOMEM.
 *         @since 1.0.0
 */
CI_API ci_status ci_analyzer_load(const char *data, size_t len, const ci_analyzer_options *opts,
                                  const ci_allocator *alloc, ci_analyzer **out, ci_diag *diag);

/** ci_analyzer_load() from a file; adds ::CI_ERR_IO, and ::CI_ERR_LIMIT over 16 GiB.  @since 1.0.0 */
CI_API ci_status ci_analyzer_load_file(const char *path, const ci_analyzer_options *opts,
                                       const ci_allocator *alloc, ci_analyzer **out,
                                       ci_diag *diag);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LIBCI_H */
