/* SPDX-License-Identifier: MIT */
#include "charclass.h"

#include <utf8proc.h>

/* Mirrors Unicode's general categories for ASCII, so that the ASCII fast path
 * and the utf8proc path classify alike. */
const uint8_t ci_cc_ascii[128] = {
    /* 0x00-0x1F: controls, including NUL, are separators */
    CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS,
    CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS,
    CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS,
    CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS, CC_WS,
    /* space ! " # $ % & ' */
    CC_WS, CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_SYMBOL, CC_PUNCT, CC_PUNCT, CC_APOS,
    /* ( ) * + , - . / */
    CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_SYMBOL, CC_PUNCT, CC_HYPHEN, CC_PUNCT, CC_PUNCT,
    /* 0-9 */
    CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT,
    CC_DIGIT, CC_DIGIT,
    /* : ; < = > ? @ */
    CC_PUNCT, CC_PUNCT, CC_SYMBOL, CC_SYMBOL, CC_SYMBOL, CC_PUNCT, CC_PUNCT,
    /* A-Z */
    CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER,
    CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER,
    CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER, CC_UPPER,
    CC_UPPER, CC_UPPER,
    /* [ \ ] ^ _ ` */
    CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_SYMBOL, CC_UNDERSCORE, CC_SYMBOL,
    /* a-z */
    CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER,
    CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER,
    CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER, CC_LOWER,
    CC_LOWER, CC_LOWER,
    /* { | } ~ DEL */
    CC_PUNCT, CC_SYMBOL, CC_PUNCT, CC_SYMBOL, CC_WS,
};

static int is_cjk_single(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) ||
           (cp >= 0x3040 && cp <= 0x309F);
}

int ci_cc_unicode(uint32_t cp)
{
    switch (cp) {
    case 0x2019: return CC_APOS;
    case 0x2010: case 0x2011: return CC_HYPHEN;
    case 0x200D: return CC_ZWJ;
    case 0x200C: return CC_ZWNJ;
    case 0xFE0E: case 0xFE0F: return CC_VS;
    case 0x20E3: return CC_KEYCAP;
    case 0xFFFD: return CC_LETTER; /* keeps "caf\xE9" one word after replacement */
    default: break;
    }
    if (cp >= 0x1F3FB && cp <= 0x1F3FF)
        return CC_EMOD;
    if (cp >= 0x1F1E6 && cp <= 0x1F1FF)
        return CC_RI;
    if (cp >= 0xE0020 && cp <= 0xE007F)
        return CC_TAG;
    const utf8proc_property_t *prop = utf8proc_get_property((utf8proc_int32_t)cp);
    if (prop->boundclass == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC)
        return CC_EMOJI;
    switch (prop->category) {
    case UTF8PROC_CATEGORY_LU: return CC_UPPER;
    case UTF8PROC_CATEGORY_LL: return CC_LOWER;
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return is_cjk_single(cp) ? CC_CJK : CC_LETTER;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return CC_MARK;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return CC_DIGIT;
    case UTF8PROC_CATEGORY_PC: return CC_UNDERSCORE;
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: return CC_PUNCT;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF: return CC_WS;
    default: return CC_SYMBOL; /* S*, Co, Cn */
    }
}
