"""A province batch whose Dask worker is killed (kill -9) mid-county still finishes with every county.

The batch makes its own LocalCluster (2 worker processes) for two small embedded counties, coverage step
only.  A watcher thread finds the worker processes with psutil (children of this process started by
multiprocessing's spawn), waits until a county has started (its folder under ``.partial``) and kills
every worker with SIGKILL: the county it ran is given to a restarted worker, or run in this process
when the nanny cannot restart one ("Nanny failed to start").
"""
from __future__ import annotations

import csv
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from culture_logistics.batch import jobs as batch
from culture_logistics.batch import runner as _runner

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

TWO = ["371322", "370102"]


def _workers() -> list:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if "spawn_main" in cmd or "forkserver" in cmd:
            out.append(p)
    return out


def _kill_when_a_county_starts(out: Path, killed: list, stop: threading.Event) -> None:
    partial = out / batch.PARTIAL_DIR
    while not stop.is_set():
        if partial.is_dir() and any(partial.iterdir()):
            for p in _workers():
                try:
                    os.kill(p.pid, signal.SIGKILL)
                    killed.append(p.pid)
                except ProcessLookupError:
                    pass
            if killed:
                return
        time.sleep(0.02)


@pytest.mark.slow
def test_killed_worker_never_fails_the_batch(tmp_path):
    out = tmp_path / "batch"
    killed: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_kill_when_a_county_starts, args=(out, killed, stop), daemon=True)
    watcher.start()
    lines: list[str] = []
    try:
        res = _runner.run_batch(out, counties=",".join(TWO), workers=2, progress=False, echo=lines.append)
    finally:
        stop.set()
        watcher.join(5)
    assert killed, "no worker process was found to kill"
    with open(out / "province_reach.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["adcode"]: r for r in csv.DictReader(fh)}
    assert sorted(rows) == sorted(TWO) and {r["status"] for r in rows.values()} == {"ok"}, lines
    assert (rows["370102"]["villages"], rows["370102"]["villages_reached"]) == ("139", "135")
    assert (rows["371322"]["villages"], rows["371322"]["villages_reached"]) == ("125", "98")
    for code in TWO:
        for name in ("coverage_map.html", "village_reach.csv", "gaps.csv", "summary.json", batch.DONE_FILE):
            assert (out / code / name).is_file(), (code, name)
    assert [o.status for o in res.outcomes] == ["ok", "ok"]
    assert not (out / batch.PARTIAL_DIR).exists()


@pytest.mark.slow
def test_nanny_that_fails_to_start_runs_the_counties_in_process(tmp_path):
    import dask

    out = tmp_path / "batch"
    lines: list[str] = []
    # a worker preload that does not exist: every nanny fails to start its worker ("Nanny failed to start.")
    with dask.config.set({"distributed.worker.preload": [str(tmp_path / "no_such_preload.py")]}):
        res = _runner.run_batch(out, counties="370102,370572", workers=1, progress=False, echo=lines.append)
    assert any("did not start" in line and "in this process" in line for line in lines), lines
    assert [(o.adcode, o.status) for o in res.outcomes] == [("370102", "ok"), ("370572", "ok")]
    with open(out / "province_reach.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["adcode"]: r for r in csv.DictReader(fh)}
    assert (rows["370102"]["villages"], rows["370102"]["villages_reached"]) == ("139", "135")
    assert rows["370572"]["villages"] == "2"
