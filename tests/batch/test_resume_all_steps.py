"""Kill-and-resume with every step (coverage, site, route): the resumed batch ends with a province table
byte-identical to an undisturbed run's (issue #15: routing stops on deterministic work budgets, so a county
planned in another process, on another worker, under another load gives the same plan)."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from culture_logistics.batch import jobs as batch
from culture_logistics.batch import runner as _runner

distributed = pytest.importorskip("distributed")

TWO = ["370102", "371322"]  # 历下区 (139 villages), 郯城县 (125)
STEPS = "coverage,site,route"
# Safety caps 10× the default (a route model's cap is time_limit_s × stops / 40: 350 s for 139 villages), far above
# what the work budgets need even on a loaded machine, so the budgets end every search in both batches and the
# tables compare (with the default 10 s a cap bound under load: another plan, another saving, another table).
TIME_LIMIT_S = 100.0


@pytest.mark.slow
def test_killed_batch_with_every_step_resumes_to_identical_table(tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as lc:
        ref = tmp_path / "reference"
        _runner.run_batch(ref, counties=",".join(TWO), steps=STEPS, scheduler=lc.scheduler_address,
                          time_limit_s=TIME_LIMIT_S, progress=False)
        out = tmp_path / "killed"
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, "-m", "culture_logistics.cli.batch", "--counties", ",".join(TWO), "--steps", STEPS,
               "--workers", "1", "--time-limit", str(TIME_LIMIT_S), "--no-progress", "--lang", "en",
               "--out", str(out)]   # the language run_batch uses below (it is part of each county's digest)
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None:
                if any((out / c / batch.DONE_FILE).exists() for c in TWO):
                    break
                time.sleep(0.05)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
        done_before = sorted(c for c in TWO if (out / c / batch.DONE_FILE).exists())
        assert len(done_before) == 1, f"kill timing: done {done_before}"
        assert not (out / "province_reach.csv").exists()
        res = _runner.run_batch(out, counties=",".join(TWO), steps=STEPS, scheduler=lc.scheduler_address,
                                time_limit_s=TIME_LIMIT_S, progress=False)
        assert sorted(o.adcode for o in res.skipped) == done_before
    got = (out / "province_reach.csv").read_bytes()
    assert got == (ref / "province_reach.csv").read_bytes()
    header = got.decode("utf-8-sig").splitlines()[0].split(",")
    rows = [r.split(",") for r in got.decode("utf-8-sig").splitlines()[1:]]
    assert len(rows) == 2 and all(r[header.index("status")] == "ok" for r in rows)
    assert all(r[header.index("shared_saving_pct")] not in ("", "nan") for r in rows)  # the route step ran
    for c in TWO:  # the routed plans themselves are identical too (where the batch writes them: routing/shared/)
        for f in ("routing/shared/route_plan.csv", "routing/shared/routes_summary.csv"):
            a, b = ref / c / f, out / c / f
            assert a.is_file() and b.is_file(), f"{c}/{f} not written"
            assert a.read_bytes() == b.read_bytes(), f"{c}/{f}"
