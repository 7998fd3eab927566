/* SPDX-License-Identifier: MIT */
/* Character classes the tokenizer's grammar is written in.  ASCII comes from
 * a table; everything else asks utf8proc once per code point. */
#ifndef CI_CHARCLASS_H
#define CI_CHARCLASS_H

#include <stdint.h>

enum {
    CC_WS = 0,      /* separators: spaces, controls, NUL, format chars */
    CC_UPPER,       /* Lu */
    CC_LOWER,       /* Ll */
    CC_LETTER,      /* Lt Lm Lo, and U+FFFD standing for invalid bytes */
    CC_CJK,         /* Han and Hiragana: one token per character */
    CC_MARK,        /* M* (continues a word) */
    CC_DIGIT,       /* N* */
    CC_UNDERSCORE,  /* Pc: a word character */
    CC_APOS,        /* ' and U+2019: joins letters ("don't") */
    CC_HYPHEN,      /* - U+2010 U+2011: joins letters and digits ("e-mail") */
    CC_PUNCT,       /* other P* */
    CC_SYMBOL,      /* S*, Co, Cn */
    CC_EMOJI,       /* Extended_Pictographic */
    CC_RI,          /* regional indicator (flags come in pairs) */
    CC_EMOD,        /* skin-tone modifier */
    CC_ZWJ,         /* U+200D */
    CC_ZWNJ,        /* U+200C: inside words only */
    CC_VS,          /* variation selectors FE0E/FE0F */
    CC_KEYCAP,      /* U+20E3 */
    CC_TAG          /* E0020-E007F: emoji tag sequences */
};

/* Class of a non-ASCII code point (cp >= 0x80). */
int ci_cc_unicode(uint32_t cp);

extern const uint8_t ci_cc_ascii[128];

static inline int ci_cc(uint32_t cp)
{
    return cp < 0x80 ? ci_cc_ascii[cp] : ci_cc_unicode(cp);
}

static inline int ci_cc_is_wordchar(int c)
{
    return c == CC_UPPER || c == CC_LOWER || c == CC_LETTER || c == CC_MARK ||
           c == CC_DIGIT || c == CC_UNDERSCORE || c == CC_VS;
}

#endif
