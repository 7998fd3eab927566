"""Ownership of C handles: close(), context managers, safe __del__, and
keeping borrowed objects (a lexicon, a theme model) alive while a C object
uses them."""

from __future__ import annotations

import ctypes
from typing import Any, Callable, List, Optional, TypeVar

H = TypeVar("H", bound="Handle")


class Handle:
    """Owns one C object.

    ``close()`` frees it and is idempotent; ``with`` closes on exit; the
    garbage collector closes what was not closed.  An object that another one
    borrows (a lexicon used by a scorer, a model used by an analyzer) is
    freed only when it is closed *and* no borrower is still open, so closing
    in any order is safe.
    """

    __slots__ = ("_ptr", "_free", "_closed", "_borrowed", "_borrowers", "__weakref__")

    _kind = "object"

    def __init__(self, ptr: ctypes.c_void_p, free: Callable[[Any], None],
                 borrowed: Optional[List["Handle"]] = None) -> None:
        self._ptr: Optional[int] = ptr.value
        self._free = free  # kept on the instance: module globals may be gone in __del__
        self._closed = False
        self._borrowers = 0
        self._borrowed: List[Handle] = []
        for b in borrowed or ():
            if b is not None:
                b._require()
                b._borrowers += 1
                self._borrowed.append(b)

    # -- ownership -----------------------------------------------------------
    def _require(self) -> int:
        """The C pointer; raises ValueError after close()."""
        if self._closed or not self._ptr:
            raise ValueError(f"operation on a closed {type(self).__name__}")
        return self._ptr

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def close(self) -> None:
        """Free the C object (idempotent).  Objects it borrowed are released."""
        if self._closed:
            return
        self._closed = True
        self._maybe_free()
        borrowed, self._borrowed = self._borrowed, []
        for b in borrowed:
            b._borrowers -= 1
            b._maybe_free()

    def _maybe_free(self) -> None:
        if self._closed and self._borrowers <= 0 and self._ptr:
            ptr, self._ptr = self._ptr, None
            self._free(ptr)

    def __enter__(self: H) -> H:
        self._require()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __reduce__(self) -> Any:
        # The default would copy the raw pointer: refuse instead.
        raise TypeError(f"cannot pickle or copy a libci.{type(self).__name__}")

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"at 0x{self._ptr or 0:x}"
        return f"<libci.{type(self).__name__} {state}>"
