"""Theme discovery (training), theme models, and assignment."""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._handle import Handle
from ._lib import lib
from .errors import check
from .timeutil import TimeLike, from_ts, to_ts
from .tokens import Text

PathLike = Union[str, "os.PathLike[str]"]


def have_stemmer() -> bool:
    """Whether this libci build can stem English (libstemmer)."""
    return bool(lib.ci_themes_have_stemmer())


@dataclass(frozen=True)
class Theme:
    """One theme of a model.

    Attributes:
        id: its index in the model (what analyzers and assign() report).
        label: a short label from its most distinctive terms.
        size: texts in the theme when it was fitted.
        terms: top terms with their weights, highest first.
        examples: representative texts with their similarity, closest first.
    """

    id: int
    label: str
    size: int
    terms: List[Tuple[str, float]]
    examples: List[Tuple[str, float]]


class ThemeModel(Handle):
    """A fitted, immutable theme model.  Load it with :meth:`load` /
    :meth:`from_bytes`, save it with :meth:`save` / :meth:`to_bytes`; it
    pickles as its bytes, so it can be shipped to other processes."""

    def __init__(self, _ptr: ctypes.c_void_p) -> None:
        super().__init__(_ptr, lib.ci_theme_model_free)
        self._themes: Optional[List[Theme]] = None
        self._assigner: Optional[ThemeAssigner] = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of themes."""
        return int(lib.ci_theme_model_count(self._require()))

    @property
    def themes(self) -> List[Theme]:
        """Every theme, in id order."""
        if self._themes is None:
            self._themes = [self.theme(i) for i in range(len(self))]
        return list(self._themes)

    def theme(self, i: int) -> Theme:
        """Theme ``i``."""
        ptr = self._require()
        info = _lib.new_struct(_lib.CiThemeInfo)
        check(lib.ci_theme_model_info(ptr, i, ctypes.byref(info)), "ci_theme_model_info")
        terms = []
        p, n, w = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_double()
        for j in range(info.n_terms):
            check(lib.ci_theme_model_term(ptr, i, j, ctypes.byref(p), ctypes.byref(n),
                                          ctypes.byref(w)), "ci_theme_model_term")
            terms.append((_lib.view_str(p.value, n.value), w.value))
        examples = []
        for j in range(info.n_examples):
            check(lib.ci_theme_model_example(ptr, i, j, ctypes.byref(p), ctypes.byref(n),
                                             ctypes.byref(w)), "ci_theme_model_example")
            examples.append((_lib.view_str(p.value, n.value), w.value))
        return Theme(i, _lib.view_str(info.label, info.label_len), int(info.size), terms,
                     examples)

    def label(self, i: int) -> str:
        """The label of theme ``i``."""
        return self.themes[i].label

    def assign(self, text: Text) -> Tuple[Optional[int], float]:
        """(theme id or None for "no theme", cosine similarity) of one text.
        Thread-safe (a shared assigner is used under a lock); for counting per
        time window use :meth:`assigner`."""
        with self._lock:
            if self._assigner is None or self._assigner.closed:
                # Owned by the model and closed before it: no borrow (no cycle).
                self._assigner = ThemeAssigner(self, _owned_by_model=True)
            theme, sim = self._assigner.assign(text)
            return theme, sim

    def assigner(self, window_seconds: int = 0) -> "ThemeAssigner":
        """A new assigner that also counts unassigned texts per time window."""
        return ThemeAssigner(self, window_seconds)

    def merge(self, a: int, b: int) -> "ThemeModel":
        """A new model in which themes ``a`` and ``b`` are one."""
        out = ctypes.c_void_p()
        check(lib.ci_theme_model_merge(self._require(), a, b, ctypes.byref(out)),
              "ci_theme_model_merge")
        return ThemeModel(out)

    def to_bytes(self) -> bytes:
        """The model as libci's versioned, checksummed binary."""
        data = ctypes.c_void_p()
        n = ctypes.c_size_t()
        check(lib.ci_theme_model_save(self._require(), ctypes.byref(data), ctypes.byref(n)),
              "ci_theme_model_save")
        return _lib.take_buffer(data, n.value)

    def save(self, path: PathLike) -> None:
        """Write the model to a file (atomically)."""
        check(lib.ci_theme_model_save_file(self._require(), _lib.fs_path(path)),
              "ci_theme_model_save_file")

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "ThemeModel":
        """Load a model from :meth:`to_bytes` output."""
        buf = bytes(data)
        out = ctypes.c_void_p()
        diag = _lib.new_struct(_lib.CiDiag)
        check(lib.ci_theme_model_load(buf, len(buf), None, ctypes.byref(out), ctypes.byref(diag)),
              "ci_theme_model_load", diag)
        return cls(out)

    @classmethod
    def load(cls, path: PathLike) -> "ThemeModel":
        """Load a model file written by :meth:`save` (or ``cintel themes``)."""
        out = ctypes.c_void_p()
        diag = _lib.new_struct(_lib.CiDiag)
        check(lib.ci_theme_model_load_file(_lib.fs_path(path), None, ctypes.byref(out),
                                           ctypes.byref(diag)), "ci_theme_model_load_file", diag)
        return cls(out)

    def __reduce__(self) -> Any:
        return (ThemeModel.from_bytes, (self.to_bytes(),))

    def close(self) -> None:
        a = getattr(self, "_assigner", None)
        if a is not None:
            a.close()
        super().close()


class ThemeAssigner(Handle):
    """Assigns texts to a model's themes and counts, per time window, the
    texts that fit no theme (an emerging issue).  One thread at a time."""

    def __init__(self, model: ThemeModel, window_seconds: int = 0, *,
                 _owned_by_model: bool = False) -> None:
        out = ctypes.c_void_p()
        check(lib.ci_theme_assigner_new(model._require(), int(window_seconds), None,
                                        ctypes.byref(out)), "ci_theme_assigner_new")
        super().__init__(out, lib.ci_theme_assigner_free,
                         borrowed=None if _owned_by_model else [model])
        self.model = None if _owned_by_model else model

    def assign(self, text: Text, timestamp: TimeLike = None) -> Tuple[Optional[int], float]:
        """(theme id or None, similarity); with a timestamp the text is counted
        in its window."""
        data = _lib.to_bytes(text)
        theme = ctypes.c_int()
        sim = ctypes.c_double()
        check(lib.ci_theme_assign(self._require(), data, len(data), to_ts(timestamp),
                                  ctypes.byref(theme), ctypes.byref(sim)), "ci_theme_assign")
        return (theme.value if theme.value >= 0 else None), sim.value

    def assign_vector(self, vector: Sequence[float], timestamp: TimeLike = None
                      ) -> Tuple[Optional[int], float]:
        """Assign a host embedding vector (vector models only)."""
        arr = (ctypes.c_float * len(vector))(*vector)
        theme = ctypes.c_int()
        sim = ctypes.c_double()
        check(lib.ci_theme_assign_vector(self._require(), arr, len(vector), to_ts(timestamp),
                                         ctypes.byref(theme), ctypes.byref(sim)),
              "ci_theme_assign_vector")
        return (theme.value if theme.value >= 0 else None), sim.value

    def windows(self) -> List[Tuple[Any, int, int]]:
        """(window start as datetime, texts counted, texts with no theme), in time order."""
        ptr = self._require()
        out = []
        start = ctypes.c_int64()
        total = ctypes.c_uint64()
        un = ctypes.c_uint64()
        i = 0
        while lib.ci_theme_assigner_window(ptr, i, ctypes.byref(start), ctypes.byref(total),
                                           ctypes.byref(un)) == _lib.CI_OK:
            out.append((from_ts(start.value), int(total.value), int(un.value)))
            i += 1
        return out


_TRAINER_OPTIONS = ("k", "seed", "n_init", "max_iter", "min_df", "max_df", "max_vocab",
                    "bigrams", "stem", "neighbors", "dims", "streaming", "batch_size",
                    "min_similarity", "n_terms", "n_examples")


class ThemeTrainer(Handle):
    """Collects texts and fits a :class:`ThemeModel`.

    Every keyword mirrors a field of ``ci_theme_options``; None keeps the
    library default.  ``k=0`` chooses the number of themes automatically.

    >>> with ThemeTrainer(k=8, seed=1) as t:
    ...     t.add_many(texts)
    ...     model = t.fit()
    """

    def __init__(self, k: Optional[int] = None, *, seed: Optional[int] = None,
                 n_init: Optional[int] = None, max_iter: Optional[int] = None,
                 min_df: Optional[int] = None, max_df: Optional[float] = None,
                 max_vocab: Optional[int] = None, bigrams: Optional[bool] = None,
                 stem: Optional[bool] = None, neighbors: Optional[int] = None,
                 dims: Optional[int] = None, streaming: Optional[bool] = None,
                 batch_size: Optional[int] = None, min_similarity: Optional[float] = None,
                 n_terms: Optional[int] = None, n_examples: Optional[int] = None) -> None:
        opts = _lib.new_struct(_lib.CiThemeOptions)
        given = dict(k=k, seed=seed, n_init=n_init, max_iter=max_iter, min_df=min_df,
                     max_df=max_df, max_vocab=max_vocab, bigrams=bigrams, stem=stem,
                     neighbors=neighbors, dims=dims, streaming=streaming,
                     batch_size=batch_size, min_similarity=min_similarity, n_terms=n_terms,
                     n_examples=n_examples)
        for name in _TRAINER_OPTIONS:
            v = given[name]
            if v is None:
                continue
            if isinstance(v, bool):
                v = int(v)
            if name in ("max_df", "min_similarity"):
                v = float(v)
            elif not isinstance(v, int):
                raise TypeError(f"{name} must be an int, not {type(v).__name__}")
            elif v < 0:
                raise ValueError(f"{name} must not be negative")
            setattr(opts, name, v)
        out = ctypes.c_void_p()
        check(lib.ci_theme_trainer_new(ctypes.byref(opts), None, ctypes.byref(out)),
              "ci_theme_trainer_new")
        super().__init__(out, lib.ci_theme_trainer_free)
        self._n = 0
        self._fitted = False

    def add(self, text: Text) -> int:
        """Add one text (copied); returns its index."""
        data = _lib.to_bytes(text)
        check(lib.ci_theme_trainer_add(self._require(), data, len(data)), "ci_theme_trainer_add")
        self._n += 1
        return self._n - 1

    def add_many(self, texts: Iterable[Text]) -> None:
        """Add every text of an iterable."""
        for t in texts:
            self.add(t)

    def add_vector(self, vector: Sequence[float], text: Text = b"") -> int:
        """Add a host embedding vector (a trainer takes texts or vectors, not both)."""
        arr = (ctypes.c_float * len(vector))(*vector)
        data = _lib.to_bytes(text)
        check(lib.ci_theme_trainer_add_vector(self._require(), arr, len(vector), data, len(data)),
              "ci_theme_trainer_add_vector")
        self._n += 1
        return self._n - 1

    def next_pass(self) -> None:
        """Streaming mode: the vocabulary pass is over; feed the corpus again."""
        check(lib.ci_theme_trainer_next_pass(self._require()), "ci_theme_trainer_next_pass")
        self._n = 0

    def fit(self) -> ThemeModel:
        """Fit and return the model (independent of the trainer)."""
        out = ctypes.c_void_p()
        check(lib.ci_theme_trainer_fit(self._require(), ctypes.byref(out)), "ci_theme_trainer_fit")
        self._fitted = True
        return ThemeModel(out)

    def assignment(self, i: int) -> Tuple[Optional[int], float]:
        """After an in-memory fit: (theme or None, similarity) of the i-th text added."""
        theme = ctypes.c_int()
        sim = ctypes.c_double()
        check(lib.ci_theme_trainer_assignment(self._require(), i, ctypes.byref(theme),
                                              ctypes.byref(sim)), "ci_theme_trainer_assignment")
        return (theme.value if theme.value >= 0 else None), sim.value

    def assignments(self) -> List[Optional[int]]:
        """After an in-memory fit: the theme of every text added, in order."""
        return [self.assignment(i)[0] for i in range(self._n)]

    def __len__(self) -> int:
        """Texts added (in the current pass)."""
        return self._n
