"""Shared fixtures.  The package is imported from this source tree (unless
LIBCI_TEST_INSTALLED=1) and the library from LIBCI_LIBRARY (set by
`meson test`; see bindings/python/README.md to run by hand)."""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List

import pytest

PY_DIR = Path(__file__).resolve().parent.parent  # bindings/python
REPO = PY_DIR.parent.parent
SAMPLE = REPO / "examples" / "data" / "sample_signals.csv.gz"
VADER_DIR = REPO.parent / "shared" / "data" / "vader"

if os.environ.get("LIBCI_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(PY_DIR))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_rows() -> List[Dict[str, str]]:
    """All 40,000 rows of examples/data/sample_signals.csv.gz."""
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is missing")
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def cintel() -> str:
    """The cintel CLI: LIBCI_CINTEL (set by meson test) or on PATH."""
    path = os.environ.get("LIBCI_CINTEL") or shutil.which("cintel")
    if not path or not os.path.exists(path):
        pytest.skip("cintel not available (set LIBCI_CINTEL)")
    return path


@pytest.fixture(scope="session")
def vader_dir() -> Path:
    if not (VADER_DIR / "vader_lexicon.txt").exists():
        pytest.skip(f"VADER data not found in {VADER_DIR}")
    return VADER_DIR

