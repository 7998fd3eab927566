"""Low-level ctypes layer: locating libci, mirroring its structs and declaring
every exported function.  Nothing here is public API; use the ``libci``
package instead.

The structs below mirror ``include/libci.h`` field by field.  Versioned
structs are created with :func:`new_struct`, which lets the library's own
``*_init`` function set ``struct_size`` and the defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_uint64,
    c_void_p,
)
from typing import Any, Dict, Optional, Type, TypeVar

# ---------------------------------------------------------------------------
# Constants of libci.h
# ---------------------------------------------------------------------------

CI_OK = 0
CI_DONE = 1
CI_MORE = 2

CI_TIME_NONE = -(2**63)
CI_INTENT_COUNT = 6
CI_INTENT_MAX = 16
CI_RISK_COUNT = 6
CI_INSIGHT_MAX_DRIVERS = 5
CI_INSIGHT_MAX_EXAMPLES = 3
CI_ANALYZER_EXAMPLES = 8

CI_HAS_NPS = 1 << 0
CI_HAS_CSAT = 1 << 1
CI_HAS_CES = 1 << 2
CI_HAS_RATING = 1 << 3
CI_HAS_VALUE = 1 << 4

CI_BUCKET_DAY = 1 << 0
CI_BUCKET_WEEK = 1 << 1
CI_BUCKET_MONTH = 1 << 2

CI_LEXICON_AUTO = 0
CI_LEXICON_VADER = 1
CI_LEXICON_SIMPLE = 2
CI_LEXICON_EMOJI = 3

CI_METRIC_NPS = 0
CI_METRIC_CSAT = 1
CI_METRIC_CES = 2
CI_METRIC_SENTIMENT = 3
CI_METRIC_INTENT = 4
CI_METRIC_THEME = 5

CI_CES_HIGHER_IS_EASIER = 0
CI_CES_LOWER_IS_EASIER = 1

#: ci_status value -> enumerator name.
STATUS_NAMES: Dict[int, str] = {
    0: "CI_OK",
    1: "CI_DONE",
    2: "CI_MORE",
    -1: "CI_ERR_NOMEM",
    -2: "CI_ERR_INVALID",
    -3: "CI_ERR_STRUCT_SIZE",
    -4: "CI_ERR_STATE",
    -5: "CI_ERR_RANGE",
    -6: "CI_ERR_NONFINITE",
    -7: "CI_ERR_UTF8",
    -8: "CI_ERR_MISSING",
    -9: "CI_ERR_LIMIT",
    -10: "CI_ERR_IO",
    -11: "CI_ERR_FORMAT",
    -12: "CI_ERR_VERSION",
    -13: "CI_ERR_CHECKSUM",
    -14: "CI_ERR_NOT_FOUND",
    -15: "CI_ERR_UNSUPPORTED",
}

# ---------------------------------------------------------------------------
# Structs (field order and types exactly as in libci.h)
# ---------------------------------------------------------------------------


class CiAllocator(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("malloc_fn", c_void_p),
        ("realloc_fn", c_void_p),
        ("free_fn", c_void_p),
        ("user_data", c_void_p),
    ]


class CiStr(Structure):
    _fields_ = [("data", c_void_p), ("len", c_size_t)]


class CiDiag(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("status", c_int),
        ("field", c_int),
        ("index", c_int64),
        ("offset", c_uint64),
        ("message", c_char * 160),
    ]


class CiAttr(Structure):
    _fields_ = [("key", CiStr), ("value", CiStr)]


class CiSignal(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("kind", c_int),
        ("timestamp", c_int64),
        ("customer_id", CiStr),
        ("account_id", CiStr),
        ("channel", CiStr),
        ("text", CiStr),
        ("has", c_uint),
        ("nps", c_double),
        ("csat", c_double),
        ("ces", c_double),
        ("ces_direction", c_int),
        ("rating", c_double),
        ("value", c_double),
        ("attrs", POINTER(CiAttr)),
        ("n_attrs", c_size_t),
    ]


class CiToken(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("kind", c_int),
        ("flags", c_uint),
        ("offset", c_uint64),
        ("length", c_size_t),
        ("norm", c_void_p),
        ("norm_len", c_size_t),
    ]


class CiSentimentOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("vader_compat", c_int),
        ("explain", c_int),
        ("sentences", c_int),
    ]


class CiSentimentResult(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("compound", c_double),
        ("pos", c_double),
        ("neu", c_double),
        ("neg", c_double),
        ("intent_flags", c_uint),
        ("intent", c_double * CI_INTENT_MAX),
        ("n_sentences", c_size_t),
        ("n_contributions", c_size_t),
    ]


class CiSentenceScore(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("offset", c_uint64),
        ("length", c_size_t),
        ("compound", c_double),
        ("pos", c_double),
        ("neu", c_double),
        ("neg", c_double),
    ]


class CiContribution(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("offset", c_uint64),
        ("length", c_size_t),
        ("base", c_double),
        ("valence", c_double),
        ("term", c_void_p),
        ("term_len", c_size_t),
        ("sentence", c_size_t),
    ]


class CiThemeOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("k", c_uint),
        ("seed", c_uint64),
        ("n_init", c_uint),
        ("max_iter", c_uint),
        ("min_df", c_uint),
        ("max_df", c_double),
        ("max_vocab", c_uint),
        ("bigrams", c_int),
        ("stem", c_int),
        ("neighbors", c_uint),
        ("dims", c_uint),
        ("streaming", c_int),
        ("batch_size", c_size_t),
        ("min_similarity", c_double),
        ("n_terms", c_uint),
        ("n_examples", c_uint),
    ]


class CiThemeInfo(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("label", c_void_p),
        ("label_len", c_size_t),
        ("size", c_size_t),
        ("n_terms", c_size_t),
        ("n_examples", c_size_t),
    ]


class CiAnalyzerOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("dimensions", POINTER(CiStr)),
        ("n_dimensions", c_size_t),
        ("max_depth", c_uint),
        ("buckets", c_uint),
        ("lexicon", c_void_p),
        ("vader_compat", c_int),
        ("themes", c_void_p),
        ("n_themes", c_size_t),
    ]


class CiSignalResult(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("has_sentiment", c_int),
        ("compound", c_double),
        ("pos", c_double),
        ("neu", c_double),
        ("neg", c_double),
        ("intent_flags", c_uint),
        ("intent", c_double * CI_INTENT_MAX),
        ("theme", c_int),
        ("theme_similarity", c_double),
    ]


CI_CODE_NONE = 0xFFFFFFFF


class CiSignalColumns(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("n_rows", c_size_t),
        ("dim_codes", c_void_p),
        ("dim_values", c_void_p),
        ("n_dim_values", c_void_p),
        ("timestamp", c_void_p),
        ("nps", c_void_p),
        ("csat", c_void_p),
        ("ces", c_void_p),
        ("ces_direction", c_int),
        ("value", c_void_p),
        ("compound", c_void_p),
        ("intent_flags", c_void_p),
        ("theme", c_void_p),
        ("account_codes", c_void_p),
        ("account_values", c_void_p),
        ("n_account_values", c_size_t),
        ("text", c_void_p),
        ("dim_code_bytes", c_void_p),
        ("dim_codes_any", c_void_p),
    ]


class CiSegmentStats(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("count", c_uint64),
        ("nps_responses", c_uint64),
        ("nps_promoters", c_uint64),
        ("nps_passives", c_uint64),
        ("nps_detractors", c_uint64),
        ("nps", c_double),
        ("nps_margin", c_double),
        ("csat_responses", c_uint64),
        ("csat_satisfied", c_uint64),
        ("csat", c_double),
        ("csat_low", c_double),
        ("csat_high", c_double),
        ("ces_responses", c_uint64),
        ("ces_mean", c_double),
        ("ces_variance", c_double),
        ("ces_margin", c_double),
        ("sentiment_n", c_uint64),
        ("sentiment_mean", c_double),
        ("sentiment_variance", c_double),
        ("intent_count", c_uint64 * CI_INTENT_MAX),
        ("value_n", c_uint64),
        ("value_sum", c_double),
    ]


class CiComparison(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("n", c_uint64),
        ("rest_n", c_uint64),
        ("value", c_double),
        ("rest", c_double),
        ("gap", c_double),
        ("effect", c_double),
        ("p_value", c_double),
    ]


class CiTrend(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("points", c_size_t),
        ("slope", c_double),
        ("slope_se", c_double),
        ("p_value", c_double),
        ("first", c_double),
        ("last", c_double),
        ("first_start", c_int64),
        ("last_start", c_int64),
        ("widening", c_int),
    ]


class CiAccountHealth(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("account_id", CiStr),
        ("contacts", c_uint64),
        ("first_seen", c_int64),
        ("last_seen", c_int64),
        ("contacts_recent", c_uint64),
        ("contacts_baseline", c_double),
        ("frequency_change", c_double),
        ("repeat_contacts", c_uint64),
        ("top_theme", c_int),
        ("top_theme_contacts", c_uint64),
        ("sentiment_n", c_uint64),
        ("sentiment_mean", c_double),
        ("sentiment_slope", c_double),
        ("sentiment_last", c_double),
        ("has_nps", c_int),
        ("last_nps", c_double),
        ("last_nps_time", c_int64),
        ("churn_mentions", c_uint64),
        ("has_value", c_int),
        ("value", c_double),
        ("churn_risk", c_double),
        ("reasons", c_uint),
        ("reason_weight", c_double * CI_RISK_COUNT),
    ]


class CiInsightOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("max_insights", c_size_t),
        ("min_n", c_uint64),
        ("alpha", c_double),
        ("min_effect", c_double),
        ("trend_bucket", c_uint),
    ]


class CiDriver(Structure):
    _fields_ = [
        ("metric", c_int),
        ("which", c_int),
        ("share", c_double),
        ("rest_share", c_double),
        ("lift", c_double),
        ("count", c_uint64),
    ]


class CiInsight(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("kind", c_int),
        ("segment", c_size_t),
        ("metric", c_int),
        ("which", c_int),
        ("direction", c_int),
        ("value", c_double),
        ("rest", c_double),
        ("gap", c_double),
        ("effect", c_double),
        ("p_value", c_double),
        ("q_value", c_double),
        ("slope", c_double),
        ("bucket", c_uint),
        ("count", c_uint64),
        ("n", c_uint64),
        ("value_at_stake", c_double),
        ("score", c_double),
        ("n_drivers", c_size_t),
        ("drivers", CiDriver * CI_INSIGHT_MAX_DRIVERS),
        ("n_examples", c_size_t),
        ("examples", CiStr * CI_INSIGHT_MAX_EXAMPLES),
    ]


# Versioned struct -> the name of its init function.
INIT_FUNCTIONS: Dict[Type[Structure], str] = {
    CiAllocator: "ci_allocator_init",
    CiDiag: "ci_diag_init",
    CiSignal: "ci_signal_init",
    CiToken: "ci_token_init",
    CiSentimentOptions: "ci_sentiment_options_init",
    CiSentimentResult: "ci_sentiment_result_init",
    CiSentenceScore: "ci_sentence_score_init",
    CiContribution: "ci_contribution_init",
    CiThemeOptions: "ci_theme_options_init",
    CiThemeInfo: "ci_theme_info_init",
    CiAnalyzerOptions: "ci_analyzer_options_init",
    CiSignalResult: "ci_signal_result_init",
    CiSignalColumns: "ci_signal_columns_init",
    CiSegmentStats: "ci_segment_stats_init",
    CiComparison: "ci_comparison_init",
    CiTrend: "ci_trend_init",
    CiAccountHealth: "ci_account_health_init",
    CiInsightOptions: "ci_insight_options_init",
    CiInsight: "ci_insight_init",
}

# ---------------------------------------------------------------------------
# Function declarations: (name, restype, argtypes) for every exported symbol
# ---------------------------------------------------------------------------

P = POINTER
_st = c_int  # ci_status
_vp = c_void_p  # opaque handles and const ci_allocator * (always NULL here)

FUNCTIONS = [
    ("ci_version_number", c_uint, []),
    ("ci_version_string", c_char_p, []),
    ("ci_status_string", c_char_p, [c_int]),
    ("ci_allocator_init", None, [P(CiAllocator)]),
    ("ci_free", None, [c_void_p]),
    ("ci_diag_init", None, [P(CiDiag)]),
    ("ci_utf8_validate", _st, [c_char_p, c_size_t, P(c_size_t)]),
    # signals
    ("ci_signal_init", None, [P(CiSignal)]),
    ("ci_signal_validate", _st, [P(CiSignal), P(CiDiag)]),
    ("ci_signal_kind_name", c_char_p, [c_int]),
    ("ci_signal_kind_parse", _st, [c_char_p, c_size_t, P(c_int)]),
    ("ci_signal_field_name", c_char_p, [c_int]),
    # tokenizer
    ("ci_token_init", None, [P(CiToken)]),
    ("ci_tokenizer_new", _st, [_vp, P(_vp)]),
    ("ci_tokenizer_free", None, [_vp]),
    ("ci_tokenizer_feed", _st, [_vp, c_char_p, c_size_t]),
    ("ci_tokenizer_finish", _st, [_vp]),
    ("ci_tokenizer_next", _st, [_vp, P(CiToken)]),
    ("ci_tokenizer_next_batch", _st, [_vp, P(CiToken), c_size_t, P(c_size_t)]),
    ("ci_tokenizer_reset", _st, [_vp]),
    ("ci_token_kind_name", c_char_p, [c_int]),
    ("ci_token_flag_name", c_char_p, [c_uint]),
    ("ci_normalize", _st, [c_char_p, c_size_t, _vp, P(c_void_p), P(c_size_t)]),
    # lexicons
    ("ci_lexicon_new_builtin", _st, [_vp, P(_vp)]),
    ("ci_lexicon_new_empty", _st, [_vp, P(_vp)]),
    ("ci_lexicon_load_buffer", _st, [_vp, c_char_p, c_size_t, c_int, _vp, P(_vp), P(CiDiag)]),
    ("ci_lexicon_load_file", _st, [_vp, c_char_p, c_int, _vp, P(_vp), P(CiDiag)]),
    ("ci_lexicon_lookup", _st, [_vp, c_char_p, c_size_t, P(c_double)]),
    ("ci_lexicon_size", c_size_t, [_vp]),
    ("ci_lexicon_free", None, [_vp]),
    # sentiment
    ("ci_intent_name", c_char_p, [c_int]),
    ("ci_sentiment_options_init", None, [P(CiSentimentOptions)]),
    ("ci_sentiment_new", _st, [_vp, P(CiSentimentOptions), _vp, P(_vp)]),
    ("ci_sentiment_free", None, [_vp]),
    ("ci_sentiment_result_init", None, [P(CiSentimentResult)]),
    ("ci_sentiment_score", _st, [_vp, c_char_p, c_size_t, P(CiSentimentResult)]),
    ("ci_sentence_score_init", None, [P(CiSentenceScore)]),
    ("ci_sentiment_sentence", _st, [_vp, c_size_t, P(CiSentenceScore)]),
    ("ci_contribution_init", None, [P(CiContribution)]),
    ("ci_sentiment_contribution", _st, [_vp, c_size_t, P(CiContribution)]),
    # themes
    ("ci_theme_options_init", None, [P(CiThemeOptions)]),
    ("ci_themes_have_stemmer", c_int, []),
    ("ci_theme_trainer_new", _st, [P(CiThemeOptions), _vp, P(_vp)]),
    ("ci_theme_trainer_free", None, [_vp]),
    ("ci_theme_trainer_add", _st, [_vp, c_char_p, c_size_t]),
    ("ci_theme_trainer_add_vector", _st, [_vp, P(c_float), c_size_t, c_char_p, c_size_t]),
    ("ci_theme_trainer_next_pass", _st, [_vp]),
    ("ci_theme_trainer_fit", _st, [_vp, P(_vp)]),
    ("ci_theme_trainer_assignment", _st, [_vp, c_size_t, P(c_int), P(c_double)]),
    ("ci_theme_model_count", c_size_t, [_vp]),
    ("ci_theme_info_init", None, [P(CiThemeInfo)]),
    ("ci_theme_model_info", _st, [_vp, c_size_t, P(CiThemeInfo)]),
    ("ci_theme_model_term", _st, [_vp, c_size_t, c_size_t, P(c_void_p), P(c_size_t), P(c_double)]),
    ("ci_theme_model_example", _st,
     [_vp, c_size_t, c_size_t, P(c_void_p), P(c_size_t), P(c_double)]),
    ("ci_theme_model_merge", _st, [_vp, c_size_t, c_size_t, P(_vp)]),
    ("ci_theme_model_save", _st, [_vp, P(c_void_p), P(c_size_t)]),
    ("ci_theme_model_save_file", _st, [_vp, c_char_p]),
    ("ci_theme_model_load", _st, [c_char_p, c_size_t, _vp, P(_vp), P(CiDiag)]),
    ("ci_theme_model_load_file", _st, [c_char_p, _vp, P(_vp), P(CiDiag)]),
    ("ci_theme_model_free", None, [_vp]),
    ("ci_theme_assigner_new", _st, [_vp, c_int64, _vp, P(_vp)]),
    ("ci_theme_assigner_free", None, [_vp]),
    ("ci_theme_assign", _st, [_vp, c_char_p, c_size_t, c_int64, P(c_int), P(c_double)]),
    ("ci_theme_assign_vector", _st, [_vp, P(c_float), c_size_t, c_int64, P(c_int), P(c_double)]),
    ("ci_theme_assigner_window", _st, [_vp, c_size_t, P(c_int64), P(c_uint64), P(c_uint64)]),
    # analyzer
    ("ci_analyzer_options_init", None, [P(CiAnalyzerOptions)]),
    ("ci_analyzer_new", _st, [P(CiAnalyzerOptions), _vp, P(_vp)]),
    ("ci_analyzer_free", None, [_vp]),
    ("ci_signal_result_init", None, [P(CiSignalResult)]),
    ("ci_analyzer_add", _st, [_vp, P(CiSignal), P(CiSignalResult), P(CiDiag)]),
    ("ci_analyzer_add_result", _st, [_vp, P(CiSignal), P(CiSignalResult), P(CiDiag)]),
    ("ci_signal_columns_init", None, [P(CiSignalColumns)]),
    ("ci_analyzer_add_columns", _st, [_vp, P(CiSignalColumns), P(c_size_t), P(CiDiag)]),
    ("ci_analyzer_summarize", _st, [_vp]),
    ("ci_analyzer_merge", _st, [_vp, _vp]),
    ("ci_segment_stats_init", None, [P(CiSegmentStats)]),
    ("ci_analyzer_segment_count", c_size_t, [_vp]),
    ("ci_analyzer_segment", _st, [_vp, c_size_t, P(CiStr), P(CiSegmentStats)]),
    ("ci_analyzer_find", _st, [_vp, P(CiStr), P(c_size_t)]),
    ("ci_analyzer_segment_theme", c_uint64, [_vp, c_size_t, c_size_t]),
    ("ci_analyzer_segment_bucket", _st, [_vp, c_size_t, c_uint, c_int64, P(CiSegmentStats)]),
    ("ci_analyzer_bucket", _st, [_vp, c_uint, c_size_t, P(c_int64)]),
    ("ci_analyzer_segment_texts", c_uint64, [_vp, c_size_t]),
    ("ci_analyzer_dimension_count", c_size_t, [_vp]),
    ("ci_analyzer_dimension", CiStr, [_vp, c_size_t]),
    ("ci_analyzer_segment_depth", c_uint, [_vp, c_size_t]),
    ("ci_analyzer_segment_example", _st,
     [_vp, c_size_t, c_size_t, P(CiStr), P(c_double), P(c_int)]),
    # comparisons and trends
    ("ci_metric_name", c_char_p, [c_int]),
    ("ci_comparison_init", None, [P(CiComparison)]),
    ("ci_analyzer_compare", _st, [_vp, c_size_t, c_int, c_int, P(CiComparison)]),
    ("ci_benjamini_hochberg", _st, [P(c_double), c_size_t, P(c_double), _vp]),
    ("ci_trend_init", None, [P(CiTrend)]),
    ("ci_analyzer_trend", _st, [_vp, c_size_t, c_int, c_int, c_uint, c_uint64, P(CiTrend)]),
    ("ci_analyzer_gap_trend", _st,
     [_vp, c_size_t, c_size_t, c_int, c_int, c_uint, c_uint64, P(CiTrend)]),
    # accounts
    ("ci_risk_reason_name", c_char_p, [c_int]),
    ("ci_account_health_init", None, [P(CiAccountHealth)]),
    ("ci_analyzer_account_count", c_size_t, [_vp]),
    ("ci_analyzer_account", _st, [_vp, c_size_t, P(CiAccountHealth)]),
    ("ci_analyzer_find_account", _st, [_vp, c_char_p, c_size_t, P(c_size_t)]),
    ("ci_analyzer_riskiest", _st, [_vp, c_size_t, P(c_size_t), P(c_size_t)]),
    # insights
    ("ci_insight_options_init", None, [P(CiInsightOptions)]),
    ("ci_insight_init", None, [P(CiInsight)]),
    ("ci_insights_build", _st, [_vp, P(CiInsightOptions), _vp, P(_vp)]),
    ("ci_insights_free", None, [_vp]),
    ("ci_insights_count", c_size_t, [_vp]),
    ("ci_insights_get", _st, [_vp, c_size_t, P(CiInsight)]),
    ("ci_insights_sentence", _st, [_vp, c_size_t, c_char_p, c_size_t, P(c_size_t)]),
    ("ci_insights_json", _st, [_vp, P(c_void_p), P(c_size_t)]),
    # snapshots
    ("ci_analyzer_save", _st, [_vp, P(c_void_p), P(c_size_t)]),
    ("ci_analyzer_save_file", _st, [_vp, c_char_p]),
    ("ci_analyzer_load", _st, [c_char_p, c_size_t, P(CiAnalyzerOptions), _vp, P(_vp), P(CiDiag)]),
    ("ci_analyzer_load_file", _st, [c_char_p, P(CiAnalyzerOptions), _vp, P(_vp), P(CiDiag)]),
]

# The oldest library these bindings work with (CI_VERSION_NUMBER of 1.2.0,
# which added ci_analyzer_add_columns).
MIN_VERSION_NUMBER = 10200

# ---------------------------------------------------------------------------
# Locating and loading the shared library
# ---------------------------------------------------------------------------

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _candidates() -> "list[tuple[str, str]]":
    """(how it was found, what to pass to CDLL), in order of preference."""
    out = []
    env = os.environ.get("LIBCI_LIBRARY")
    if env:
        return [("LIBCI_LIBRARY", env)]
    # Next to the package: libci/libci.so.1, libci/libci.so, libci.dylib, ci.dll ...
    names = sorted(glob.glob(os.path.join(_PKG_DIR, "libci.so*")), key=len)
    names += glob.glob(os.path.join(_PKG_DIR, "libci*.dylib"))
    names += glob.glob(os.path.join(_PKG_DIR, "*ci*.dll"))
    out += [("package directory", n) for n in names]
    found = ctypes.util.find_library("ci")
    if found:
        out.append(("ctypes.util.find_library('ci')", found))
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        out.append(("system", "libci.so.1"))
    elif sys.platform == "darwin":
        out.append(("system", "libci.0.dylib"))
    return out


def _load() -> "tuple[ctypes.CDLL, str]":
    errors = []
    for how, name in _candidates():
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            errors.append(f"  {how}: {name}: {e}")
            if how == "LIBCI_LIBRARY":
                break
    raise ImportError(
        "libci: cannot load the libci shared library.  Set LIBCI_LIBRARY to its path "
        "(e.g. build/libci.so), copy libci.so* next to the libci package, or install it "
        "where the dynamic loader finds it.  Tried:\n" + "\n".join(errors or ["  (nothing)"])
    )


dll, path = _load()

for _name, _res, _args in FUNCTIONS:
    try:
        _fn = getattr(dll, _name)
    except AttributeError:
        raise ImportError(f"libci: {path} has no symbol {_name}: too old or not libci") from None
    _fn.restype = _res
    _fn.argtypes = _args
del _name, _res, _args, _fn


class _Lib:
    """Attribute access to the declared functions only (a typo is an error)."""

    def __init__(self) -> None:
        for name, _res, _args in FUNCTIONS:
            setattr(self, name, getattr(dll, name))

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - only on a typo
        raise AttributeError(f"libci function {name} is not declared in _lib.FUNCTIONS")


lib: Any = _Lib()

if lib.ci_version_number() < MIN_VERSION_NUMBER or lib.ci_version_number() >= 20000:
    raise ImportError(
        f"libci: {path} is version {lib.ci_version_string().decode()}; "
        "these bindings need 1.x"
    )

# ---------------------------------------------------------------------------
# Versioned structs: how large the library's version of each is
# ---------------------------------------------------------------------------

S = TypeVar("S", bound=Structure)


def library_struct_size(cls: Type[Structure]) -> int:
    """What the library's init function writes as struct_size (its sizeof)."""
    scratch = ctypes.create_string_buffer(4096)
    fn = dll[INIT_FUNCTIONS[cls]]  # a fresh function object: no argtypes
    fn.restype = None
    fn.argtypes = [c_void_p]
    fn(scratch)
    return c_size_t.from_buffer(scratch).value


_LIB_SIZES: Dict[Type[Structure], int] = {c: library_struct_size(c) for c in INIT_FUNCTIONS}
for _cls, _size in _LIB_SIZES.items():
    if _size < ctypes.sizeof(_cls):
        raise ImportError(
            f"libci: {path}: struct {_cls.__name__} is {_size} bytes in the library but "
            f"{ctypes.sizeof(_cls)} in these bindings: the library is older than they are"
        )
del _cls, _size


def new_struct(cls: Type[S]) -> S:
    """A versioned struct initialised by the library's ``*_init`` function.

    When the library is newer than these bindings (its struct is larger), the
    init runs on scratch memory and our prefix is copied, with struct_size set
    to our (older) size, as the versioned-struct convention allows.
    """
    obj = cls()
    if _LIB_SIZES[cls] == ctypes.sizeof(cls):
        getattr(lib, INIT_FUNCTIONS[cls])(ctypes.byref(obj))
    else:  # pragma: no cover - only with a newer library
        scratch = ctypes.create_string_buffer(_LIB_SIZES[cls])
        fn = dll[INIT_FUNCTIONS[cls]]
        fn.restype = None
        fn.argtypes = [c_void_p]
        fn(scratch)
        ctypes.memmove(ctypes.byref(obj), scratch, ctypes.sizeof(cls))
        obj.struct_size = ctypes.sizeof(cls)
    return obj


# ---------------------------------------------------------------------------
# Small helpers shared by the modules
# ---------------------------------------------------------------------------


def to_bytes(text: "str | bytes | bytearray | memoryview", what: str = "text") -> bytes:
    """str -> UTF-8 (lone surrogates from surrogateescape give back their bytes);
    bytes-like -> bytes unchanged."""
    if isinstance(text, str):
        return text.encode("utf-8", "surrogateescape")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{what} must be str or bytes, not {type(text).__name__}")


def set_str(field: CiStr, data: Optional[bytes]) -> None:
    """Point a ci_str at bytes (None: absent).  The caller keeps `data` alive."""
    if data is None:
        field.data = None
        field.len = 0
    else:
        field.data = ctypes.cast(c_char_p(data), c_void_p).value
        field.len = len(data)


def view_bytes(ptr: Optional[int], n: int) -> bytes:
    """Copy a (pointer, length) view the library handed out."""
    if not ptr or not n:
        return b""
    return ctypes.string_at(ptr, n)


def view_str(ptr: Optional[int], n: int) -> str:
    return view_bytes(ptr, n).decode("utf-8", "replace")


def cstr_to_str(s: CiStr) -> Optional[str]:
    """A ci_str view as str; None for an absent ({NULL, 0}) one."""
    if not s.data:
        return None
    return view_str(s.data, s.len)


def take_buffer(ptr: c_void_p, n: int) -> bytes:
    """Copy memory the library handed over (free with ci_free) and free it."""
    try:
        return ctypes.string_at(ptr.value, n) if ptr.value and n else b""
    finally:
        lib.ci_free(ptr)


def name_of(fn: Any, value: int) -> Optional[str]:
    r = fn(value)
    return r.decode() if r is not None else None


def fs_path(p: "str | bytes | os.PathLike[str]") -> bytes:
    return os.fsencode(p)


CHAR_P = P(c_char)
