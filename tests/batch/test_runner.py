"""The province batch on a real dask LocalCluster: three small counties, kill-and-resume, a broken county.

The counties are small embedded ones (370102 历下区 139 villages, 371322 郯城县 125, 370782 诸城市 259) and
one generated functional zone (370572 东营港经济开发区, 2 villages), coverage step only, so the module runs
in well under a minute.  One LocalCluster (2 worker processes, 1 thread each) serves every in-process
batch through its scheduler address (the ``--scheduler`` path); the kill-and-resume case starts the CLI
in its own process group with its own LocalCluster and kills the whole group.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from culture_logistics import load_scenario
from culture_logistics.batch import county as _county
from culture_logistics.batch import jobs as batch
from culture_logistics.batch import runner as _runner
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.reports.maps import province as _province
from culture_logistics.reports.numbers import pct
from culture_logistics.resources import counties_dir

distributed = pytest.importorskip("distributed")

THREE = ["370102", "371322", "370782"]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cluster():
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as lc:
        yield lc


@pytest.fixture(scope="module")
def reference(cluster, tmp_path_factory):
    """An uninterrupted batch of the three counties (the reference the other cases compare with)."""
    out = tmp_path_factory.mktemp("reference")
    res = _runner.run_batch(out, counties=",".join(THREE), scheduler=cluster.scheduler_address, progress=False)
    return out, res


# ------------------------------------------------------------------ planning (no cluster)
def test_plan_every_shandong_county():
    jobs = batch.plan_counties("37")
    assert len(jobs) == 151
    assert [j.adcode for j in jobs] == sorted(j.adcode for j in jobs)
    kinds = {d: sum(j.data == d for j in jobs) for d in ("embedded", "generated", "user")}
    assert kinds == {"embedded": 10, "generated": 141, "user": 0}
    zones = [j for j in jobs if j.adcode[4] == "7"]
    assert len(zones) == 15 and all(j.data == "generated" for j in zones)
    assert sum(j.villages_hint for j in zones) == 1422
    assert sum(j.villages_hint for j in jobs) == 62074


@pytest.mark.parametrize("kwargs, needle", [
    ({"province": "11"}, "only 37"),
    ({"counties": "370102,999999"}, "999999 is not in the NBS 2023 list"),
    ({"counties": "370102,370102"}, "named twice"),
    ({"counties": "no/such/scenario.toml"}, "neither a 6-digit county code nor a scenario.toml"),
])
def test_bad_arguments_are_clear_errors(kwargs, needle):
    with pytest.raises(batch.BatchError, match=needle):
        batch.plan_counties(**kwargs)


def test_cli_bad_step_exits_2_without_traceback(tmp_path):
    from click.testing import CliRunner

    from culture_logistics.cli.batch import batch as cmd

    r = CliRunner().invoke(cmd, ["--counties", "370102", "--steps", "coverage,routes", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "unknown step(s) routes" in r.output and "Traceback" not in r.output
    f = tmp_path / "afile"
    f.write_text("x")
    r = CliRunner().invoke(cmd, ["--counties", "370102", "--out", str(f)])
    assert r.exit_code == 2 and "is a file, not a folder" in r.output


# ------------------------------------------------------------------ three counties
@pytest.mark.slow
def test_three_counties_equal_direct_coverage(reference):
    out, res = reference
    rows = read_csv(out / "province_reach.csv")
    assert [r["adcode"] for r in rows] == sorted(THREE)
    assert list(rows[0]) == batch.REACH_COLUMNS
    for r in rows:
        s = compute_coverage(load_scenario(counties_dir() / r["adcode"] / "scenario.toml")).summary()
        assert int(r["villages"]) == s["villages"]
        assert int(r["villages_reached"]) == s["villages_reached"]
        assert int(r["population"]) == s["population"]
        assert int(r["population_reached"]) == s["population_reached"]
        assert r["village_reach_pct"] == f"{pct(s['villages_reached'] / s['villages']):.1f}"   # percent, as the report
        assert (r["status"], r["data"], r["synthetic"], r["boundary_source"]) == ("ok", "embedded", "true", "geotool-cn")
        assert r["sites_mclp"] == r["sites_lscp"] == "" and r["shared_saving_pct"] == ""  # steps not run
        county = out / r["adcode"]
        for name in ("coverage_map.html", "village_reach.csv", "gaps.csv", "summary.json", batch.DONE_FILE):
            assert (county / name).is_file(), name
    by = {r["adcode"]: r for r in rows}
    # figures of the embedded datasets, as `culture-logistics coverage` reports them
    assert (by["370102"]["villages"], by["370102"]["villages_reached"]) == ("139", "135")
    assert (by["371322"]["villages"], by["371322"]["villages_reached"]) == ("125", "98")
    assert by["370782"]["villages"] == "259"
    assert read_csv(out / "failures.csv") == []
    assert not (out / ".partial").exists()
    page = (out / "province_map.html").read_text(encoding="utf-8")
    assert "370102/coverage_map.html" in page and "历下区" in page
    assert len(page.encode()) < 600_000
    assert page.count('"s":') >= 3  # three county polygons drawn
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    assert summary["ok"] == 3 and summary["workers"] == 2
    assert all(0 < mb < 2048 for mb in summary["peak_rss_mb_by_worker"].values())


@pytest.mark.slow
def test_second_run_skips_everything(reference, cluster):
    out, _ = reference
    before = (out / "province_reach.csv").read_bytes()
    marks = {c: (out / c / batch.DONE_FILE).stat().st_mtime_ns for c in THREE}
    res = _runner.run_batch(out, counties=THREE, scheduler=cluster.scheduler_address, progress=False)
    assert sorted(o.adcode for o in res.skipped) == sorted(THREE)
    assert {c: (out / c / batch.DONE_FILE).stat().st_mtime_ns for c in THREE} == marks
    assert (out / "province_reach.csv").read_bytes() == before


# ------------------------------------------------------------------ kill and resume
@pytest.mark.slow
def test_killed_batch_resumes_to_identical_table(reference, cluster, tmp_path):
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "culture_logistics.cli.batch", "--counties", ",".join(THREE), "--workers", "1",
           "--no-progress", "--lang", "en", "--out", str(out)]   # run_batch's language (part of the digest)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if any((out / c / batch.DONE_FILE).exists() for c in THREE):
                break
            time.sleep(0.05)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its scheduler and its worker processes
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    done_before = sorted(c for c in THREE if (out / c / batch.DONE_FILE).exists())
    assert 1 <= len(done_before) < len(THREE), f"kill timing: done {done_before}"
    assert not (out / "province_reach.csv").exists()  # killed before the end
    for c in THREE:  # a county folder is complete or absent, never half-written
        assert (out / c / batch.DONE_FILE).exists() or not (out / c).exists()
    marks = {c: (out / c / batch.DONE_FILE).stat().st_mtime_ns for c in done_before}

    res = _runner.run_batch(out, counties=",".join(THREE), scheduler=cluster.scheduler_address, progress=False)
    assert sorted(o.adcode for o in res.skipped) == done_before
    assert sorted(o.adcode for o in res.outcomes if not o.resumed) == sorted(set(THREE) - set(done_before))
    assert {c: (out / c / batch.DONE_FILE).stat().st_mtime_ns for c in done_before} == marks
    ref_out, _ = reference
    assert (out / "province_reach.csv").read_bytes() == (ref_out / "province_reach.csv").read_bytes()
    assert not (out / ".partial").exists()


# ------------------------------------------------------------------ a broken county
@pytest.mark.slow
def test_broken_county_reported_while_others_finish(cluster, tmp_path):
    data = tmp_path / "mydata"
    shutil.copytree(counties_dir() / "371322", data / "371322")
    vfile = data / "371322" / "villages.csv"
    lines = vfile.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[3] = "abc"  # row 5: a longitude that is not a number
    lines[4] = ",".join(cells)
    vfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    res = _runner.run_batch(out, counties="370102,371322,370572", data_dir=data, scheduler=cluster.scheduler_address,
                          progress=False)
    fails = read_csv(out / "failures.csv")
    assert len(fails) == 1
    f = fails[0]
    assert (f["adcode"], f["name"], f["step"], f["error_type"]) == ("371322", "郯城县", "load", "ScenarioError")
    assert "villages.csv, row 5, column 'lon'" in f["message"]
    rows = {r["adcode"]: r for r in read_csv(out / "province_reach.csv")}
    assert rows["371322"]["status"] == "failed" and rows["371322"]["data"] == "user"
    assert rows["371322"]["villages"] == ""
    assert not (out / "371322").exists()
    assert rows["370102"]["status"] == "ok" and rows["370102"]["villages_reached"] == "135"
    # the functional zone has no polygon: generated on the builder's synthetic disc, into <out>/370572/input
    z = rows["370572"]
    assert (z["status"], z["data"], z["boundary_source"], z["villages"]) == ("ok", "generated", "synthetic-disc", "2")
    assert (out / "370572" / "input" / "villages.csv").is_file()
    assert len(res.failed) == 1 and len(res.done) == 2

    # fixed, the county is computed on the next run while the finished ones are skipped
    shutil.copy(counties_dir() / "371322" / "villages.csv", vfile)
    res2 = _runner.run_batch(out, counties="370102,371322,370572", data_dir=data, scheduler=cluster.scheduler_address,
                           progress=False)
    assert sorted(o.adcode for o in res2.skipped) == ["370102", "370572"]
    assert read_csv(out / "failures.csv") == []
    assert {r["adcode"]: r["villages_reached"] for r in read_csv(out / "province_reach.csv")}["371322"] == "98"


def test_route_step_runs(cluster, tmp_path):
    out = tmp_path / "route"
    res = _runner.run_batch(out, counties="370572", steps="coverage,route", scheduler=cluster.scheduler_address,
                          progress=False)
    (o,) = res.outcomes
    assert o.status == "ok" and o.row["shared_saving_pct"] != ""  # the route step ran (it always exists now)


def test_route_step_times_in_summary(cluster, tmp_path):
    out = tmp_path / "steps"
    res = _runner.run_batch(out, counties="370572", steps="coverage,route", scheduler=cluster.scheduler_address,
                            progress=False)
    s = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    steps = s["county_step_seconds"]["370572"]
    assert list(steps) == ["input", "load", "coverage", "route"]
    assert all(v >= 0 for v in steps.values()) and steps["route"] > 0
    assert s["step_seconds_total"] == {k: round(v, 2) for k, v in steps.items()}
    assert res.outcomes[0].step_seconds == steps
    routing = out / "370572" / "routing"
    assert (routing / "comparison.csv").is_file() and (routing / "shared" / "route_plan.csv").is_file()
    assert not (routing / "coalitions.csv").exists()   # no cost sharing asked for: no coalitions planned
    # nor the plans without the cultural parcels: other parcels ride along, but their marginal cost is not asked for
    plan = pd.read_csv(routing / "shared" / "route_plan.csv", encoding="utf-8-sig")
    assert plan["delivered"].sum() > plan["delivered_cultural"].sum() > 0
    rs = json.loads((routing / "summary.json").read_text(encoding="utf-8"))
    assert rs["shared"]["cultural_marginal_cost_cny_per_day"] is None and rs["shared"]["cultural_parcels_per_day"] > 0
    assert "cost_sharing" not in json.loads((routing / "summary.json").read_text(encoding="utf-8"))


def test_eta_and_step_totals():
    assert _runner.eta_seconds(0, 10, 5.0) is None          # nothing computed yet: no pace
    assert _runner.eta_seconds(2, 8, 30.0) == 120.0         # 15 s a county, 8 to go
    assert _runner.eta_seconds(4, 0, 30.0) == 0.0
    assert _runner._clock(None) == "-:--" and _runner._clock(125) == "2:05" and _runner._clock(3725) == "1:02:05"
    a = _county.CountyOutcome("1", "a", "ok", {}, step_seconds={"load": 1.25, "route": 10.0})
    b = _county.CountyOutcome("2", "b", "ok", {}, step_seconds={"load": 0.5, "site": 2.0, "route": 4.5})
    from culture_logistics.batch.results import step_totals
    assert step_totals([a, b]) == {"load": 1.75, "route": 14.5, "site": 2.0}


# ------------------------------------------------------------------ the province map (no cluster)
def _outcome(code: str, name: str, status: str = "ok", rate: float = 0.75, centre=None):
    job = batch.CountyJob(code, name, "generated")
    cov = {"villages": 100, "villages_reached": int(rate * 100), "population": 1000,
           "population_reached": int(rate * 1000), "reach_rate": rate} if status == "ok" else None
    failure = None if status == "ok" else {"adcode": code, "name": name, "step": "load",
                                            "error_type": "ScenarioError", "message": "bad"}
    return _county.CountyOutcome(code, name, status, _county._row(job, status, cov, None, None, "geotool-cn", True),
                               failure, centre=centre)


def test_province_map_shapes_links_and_escaping(tmp_path):
    from culture_logistics.reports.maps.base import render_map

    (tmp_path / "370102").mkdir()
    (tmp_path / "370102" / "coverage_map.html").write_text("x", encoding="utf-8")
    hostile = "<script>alert(1)</script>区"
    outs = [_outcome("370102", hostile, rate=0.95), _outcome("370103", "市中区", "failed"),
            _outcome("370572", "东营港经济开发区", rate=0.5, centre=[118.9, 38.0])]
    page = render_map(_province.province_map(outs, tmp_path))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "370102/coverage_map.html" in page  # a link only where the coverage map exists
    assert "370103/coverage_map.html" not in page
    assert "Functional zone: no boundary" in page  # the zone drawn as a dot at its villages' centre
    assert "bounding box only" not in page
    boxed = render_map(_province.province_map(outs, tmp_path, use_geotool=False))
    assert "bounding box only (no polygon)" in boxed
    assert len(page.encode()) < 300_000


def test_batch_writes_county_workbooks_in_chinese(cluster, tmp_path):
    """``--lang zh``: every county's workbook has Chinese headers; the language is part of the digest."""
    from openpyxl import load_workbook

    out = tmp_path / "zh"
    res = _runner.run_batch(out, counties="370572", steps="coverage", scheduler=cluster.scheduler_address,
                            progress=False, lang="zh")
    assert [o.status for o in res.outcomes] == ["ok"]
    wb = load_workbook(out / "370572" / "village_reach.xlsx", read_only=True)
    heads = {c for ws in wb.worksheets for row in ws.iter_rows(max_row=6, values_only=True) for c in row if c}
    assert "村代码" in heads and "village_code" not in heads
    job = batch.CountyJob("370572", "x", "generated")
    assert batch.job_digest(job, ["coverage"], None, 1, "zh")[0] != batch.job_digest(job, ["coverage"], None, 1)[0]


def test_batch_effort_reaches_every_county_and_the_summary(cluster, tmp_path):
    """``batch --effort 0.5``: the county's plans record it (summary.json ``params``), batch_summary.json says it,
    and a re-run without it does not take the county as done (the effort is part of its digest)."""
    out = tmp_path / "quick"
    res = _runner.run_batch(out, counties="370572", steps="coverage,route", scheduler=cluster.scheduler_address,
                            progress=False, effort=0.5)
    assert [o.status for o in res.outcomes] == ["ok"]
    assert json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))["effort"] == 0.5
    shared = json.loads((out / "370572" / "routing" / "shared" / "summary.json").read_text(encoding="utf-8"))
    assert shared["params"]["effort"] == 0.5
    again = _runner.run_batch(out, counties="370572", steps="coverage,route", scheduler=cluster.scheduler_address,
                              progress=False)
    assert not again.outcomes[0].resumed and "effort" not in json.loads(
        (out / "batch_summary.json").read_text(encoding="utf-8"))
    with pytest.raises(_runner.BatchError, match="--effort must be a number > 0"):
        _runner.run_batch(tmp_path / "bad", counties="370572", progress=False, effort=0)
