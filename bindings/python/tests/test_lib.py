"""The ctypes layer: the library is found, every symbol is declared, and the
mirrored structs have exactly the library's sizes."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys

import libci
from libci import _lib


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", libci.version())
    assert libci.__version__ == libci.version()
    major, minor, patch = map(int, libci.version().split("."))
    assert libci.version_number() == major * 10000 + minor * 100 + patch


def test_located_through_env():
    env = os.environ.get("LIBCI_LIBRARY")
    if env:
        assert libci.library_path == env


def test_bad_env_path_is_a_clear_import_error(tmp_path):
    env = dict(os.environ, LIBCI_LIBRARY=str(tmp_path / "nope.so"))
    r = subprocess.run([sys.executable, "-c", "import libci"], env=env, capture_output=True,
                       text=True, cwd=os.path.dirname(os.path.dirname(libci.__file__)))
    assert r.returncode != 0
    assert "LIBCI_LIBRARY" in r.stderr and "nope.so" in r.stderr


def test_struct_sizes_match_the_library():
    for cls in _lib.INIT_FUNCTIONS:
        assert _lib.library_struct_size(cls) == ctypes.sizeof(cls), cls.__name__
        s = _lib.new_struct(cls)
        assert s.struct_size == ctypes.sizeof(cls)


def test_every_exported_function_is_declared(repo):
    text = (repo / "src" / "libci.map").read_text()
    exported = set(re.findall(r"^\s+(ci_\w+);", text, re.M))
    declared = {name for name, _, _ in _lib.FUNCTIONS}
    assert exported, "no symbols read from libci.map"
    assert exported - declared == set()
    assert declared - exported == set()
    for name, res, args in _lib.FUNCTIONS:
        fn = getattr(_lib.dll, name)
        assert fn.argtypes == args and fn.restype is res, name


def test_header_struct_fields_are_mirrored(repo):
    """Each versioned struct's field names, in order, as in libci.h."""
    header = (repo / "include" / "libci.h").read_text()
    for cls in list(_lib.INIT_FUNCTIONS) + [_lib.CiDriver, _lib.CiStr, _lib.CiAttr]:
        cname = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()  # CiTheme -> ci_theme
        cname = cname.replace("ci_s_t_r", "ci_str")
        m = re.search(r"typedef struct %s \{(.*?)\} %s;" % (cname, cname), header, re.S)
        assert m, cname
        body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
        names = []
        for decl in body.split(";"):
            decl = decl.strip()
            if not decl:
                continue
            if "(*" in decl:  # function pointer
                names.append(re.search(r"\(\*(\w+)\)", decl).group(1))
                continue
            head, *rest = decl.split(",")
            names.append(re.findall(r"(\w+)\s*(?:\[[^\]]*\])?$", head)[0])
            names += [r.strip().split("[")[0] for r in rest]
        assert [f[0] for f in cls._fields_] == names, cname


def test_status_names_cover_ci_status(repo):
    header = (repo / "include" / "libci.h").read_text()
    for name, value in re.findall(r"\b(CI_(?:OK|DONE|MORE|ERR_\w+)) = (-?\d+)", header):
        assert _lib.STATUS_NAMES[int(value)] == name
