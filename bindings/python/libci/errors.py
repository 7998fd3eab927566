"""Exceptions: one :class:`Error` subclass per libci status code."""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _lib
from ._lib import lib


class Error(Exception):
    """A libci call failed.

    Attributes:
        status: the numeric ``ci_status`` (negative).
        status_name: its enumerator name, such as ``"CI_ERR_FORMAT"``.
        description: the library's short description of the status.
        message: the library's detailed message (``ci_diag.message``), or "".
        field: the signal field at fault (``"nps"``, ``"attr_key"`` ...), or None.
        index: the item at fault (attribute index, or the 1-based line of a
            lexicon), or None.
        line: the same as ``index`` for calls that read lines (lexicons), else None.
        offset: the byte offset of the problem in the input, or None.
        function: the C function that failed.
    """

    status: int = 0

    def __init__(
        self,
        status: int,
        function: str = "",
        message: str = "",
        field: Optional[str] = None,
        index: Optional[int] = None,
        offset: Optional[int] = None,
        line: Optional[int] = None,
    ) -> None:
        self.status = status
        self.status_name = _lib.STATUS_NAMES.get(status, f"CI_STATUS_{status}")
        raw = lib.ci_status_string(status)
        self.description = raw.decode() if raw else "unknown status"
        self.function = function
        self.message = message
        self.field = field
        self.index = index
        self.line = line
        self.offset = offset
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.message or self.description
        where = []
        if self.field:
            where.append(f"field {self.field}")
        if self.line is not None:
            where.append(f"line {self.line}")
        elif self.index is not None:
            where.append(f"index {self.index}")
        if self.offset:
            where.append(f"offset {self.offset}")
        extra = f" ({', '.join(where)})" if where else ""
        fn = f"{self.function}: " if self.function else ""
        return f"{fn}{text}{extra} [{self.status_name}]"


class OutOfMemoryError(Error, MemoryError):
    """CI_ERR_NOMEM."""


class InvalidArgumentError(Error, ValueError):
    """CI_ERR_INVALID: a NULL pointer or a malformed argument."""


class StructSizeError(Error):
    """CI_ERR_STRUCT_SIZE: a versioned struct's size is wrong (a binding bug)."""


class StateError(Error, RuntimeError):
    """CI_ERR_STATE: not allowed in the object's current state."""


class RangeError(Error, ValueError):
    """CI_ERR_RANGE: a number outside its documented range."""


class NonFiniteError(Error, ValueError):
    """CI_ERR_NONFINITE: NaN or infinity."""


class UTF8Error(Error, ValueError):
    """CI_ERR_UTF8: text that must be valid UTF-8 is not."""


class MissingError(Error, ValueError):
    """CI_ERR_MISSING: a required field is absent, or too little data to compare."""


class LimitError(Error, ValueError):
    """CI_ERR_LIMIT: a documented size limit would be exceeded."""


class LibciIOError(Error, OSError):
    """CI_ERR_IO: reading or writing a file failed."""


class FormatError(Error, ValueError):
    """CI_ERR_FORMAT: malformed input data (a lexicon line, a snapshot, a model)."""


class VersionError(Error, ValueError):
    """CI_ERR_VERSION: data written by a newer, incompatible libci."""


class ChecksumError(Error, ValueError):
    """CI_ERR_CHECKSUM: stored data is corrupt or truncated."""


class NotFoundError(Error, LookupError):
    """CI_ERR_NOT_FOUND: a named item (segment, account ...) does not exist."""


class UnsupportedError(Error):
    """CI_ERR_UNSUPPORTED: the feature is not compiled in."""


_BY_STATUS: Dict[int, Type[Error]] = {
    -1: OutOfMemoryError,
    -2: InvalidArgumentError,
    -3: StructSizeError,
    -4: StateError,
    -5: RangeError,
    -6: NonFiniteError,
    -7: UTF8Error,
    -8: MissingError,
    -9: LimitError,
    -10: LibciIOError,
    -11: FormatError,
    -12: VersionError,
    -13: ChecksumError,
    -14: NotFoundError,
    -15: UnsupportedError,
}


def make_error(status: int, function: str = "", diag: "Optional[_lib.CiDiag]" = None,
               lines: bool = False, message: str = "") -> Error:
    cls = _BY_STATUS.get(status, Error)
    field = index = offset = line = None
    if diag is not None and diag.status == status:
        message = diag.message.decode("utf-8", "replace") or message
        if diag.field >= 0:
            field = _lib.name_of(lib.ci_signal_field_name, diag.field) or str(diag.field)
        if diag.index >= 0:
            index = int(diag.index)
            if lines:
                line = index
        offset = int(diag.offset) or None
    return cls(status, function, message, field, index, offset, line)


def check(status: int, function: str = "", diag: "Optional[_lib.CiDiag]" = None,
          lines: bool = False) -> int:
    """Raise the matching :class:`Error` for a negative status; return it otherwise."""
    if status < 0:
        raise make_error(status, function, diag, lines)
    return status
