"""Dask scale-out (examples/dask_scaleout.py): four partitions analyzed on a
local 2-process cluster and merged equal a single-process analyzer."""

from __future__ import annotations

import os
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")

from _helpers import assert_same_accounts, assert_same_insights, assert_same_segments  # noqa: E402


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children() -> set:
    me = str(os.getpid())
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                try:
                    with open(f"/proc/{d}/cmdline", "rb") as f:
                        cmd = f.read()
                except OSError:
                    continue
                # multiprocessing's resource tracker serves this interpreter until it exits
                if b"multiprocessing.resource_tracker" not in cmd:
                    out.add(int(d))
    return out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dask_partitions_merge_to_the_single_process_result(sample_rows, repo, monkeypatch):
    examples = str(repo / "examples")
    pkg = str(repo / "bindings" / "python")
    # the workers import libci and the example module as the driver does
    monkeypatch.syspath_prepend(examples)
    path = os.pathsep.join(p for p in (pkg, examples, os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    import dask_scaleout as ds

    children_before = _children()
    t_all = t0 = time.perf_counter()
    theme_bytes = ds.fit_themes(sample_rows, k=16)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids
        merged = ds.run(client, sample_rows, 4, theme_bytes)
    took = time.perf_counter() - t0
    print(f"\ndask: 40,000 rows, 4 partitions on 2 workers, {took:.1f} s including the cluster",
          file=sys.stderr)

    # the cluster is gone, and so are its processes
    deadline = time.time() + 10
    while any(_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
    assert _children() - children_before == set()

    with merged, ds.analyze(sample_rows, theme_bytes) as single:
        assert len(merged) == len(single) == len(sample_rows)
        assert assert_same_segments(merged, single, rel=1e-9) == 138
        assert assert_same_accounts(merged, single, rel=1e-9) == 600
        assert assert_same_insights(merged, single) >= 10
        top = merged.insights(max_insights=3)
        assert top[0].sentence == single.insights(max_insights=3)[0].sentence
    print(f"dask test total {time.perf_counter() - t_all:.1f} s", file=sys.stderr)
    assert took < 90
