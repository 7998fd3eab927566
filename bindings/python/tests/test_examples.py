"""The example scripts run and print what they promise."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest


def _env(repo):
    env = dict(os.environ)
    pkg = str(repo / "bindings" / "python")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg, env.get("PYTHONPATH")) if p)
    return env


def test_python_report(repo, sample_rows):
    r = subprocess.run([sys.executable, str(repo / "examples" / "python_report.py"), "--top", "5"],
                       env=_env(repo), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "40,000 signals from 600 accounts" in out
    assert "Top 5 insights:" in out and "\n5. " in out
    assert "channel=phone" in out
    assert "Top 5 accounts at risk:" in out
    assert "northwind-traders" in out or "umbrella-health" in out
    assert r.stderr == ""


def _small_csv(rows, path, n):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows[:n])
    return path


def test_python_report_without_themes_on_a_small_csv(repo, sample_rows, tmp_path):
    p = _small_csv(sample_rows, tmp_path / "small.csv", 3000)
    r = subprocess.run([sys.executable, str(repo / "examples" / "python_report.py"), str(p),
                        "--themes", "0", "--top", "3"],
                       env=_env(repo), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "3,000 signals" in r.stdout and "Biggest themes" not in r.stdout


def test_dask_example_script(repo, sample_rows, tmp_path):
    """The script's own path (a LocalCluster it starts and closes); the full
    comparison with a single process is test_dask.py."""
    pytest.importorskip("distributed")
    p = _small_csv(sample_rows, tmp_path / "small.csv", 4000)
    r = subprocess.run([sys.executable, str(repo / "examples" / "dask_scaleout.py"), str(p),
                        "--themes", "4", "--top", "3"],
                       env=_env(repo), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "4,000 signals in 4 partitions on 2 workers" in r.stdout
    assert "\n 3. " in r.stdout
