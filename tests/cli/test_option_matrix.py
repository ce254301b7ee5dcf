"""Every ``route`` option with every mode, as a pairwise (all-pairs) covering set, plus demo, report and batch.

The county is the small bus county of ``tests/routing/test_bus.py`` (3 villages on conftest's straight road,
a county hub, 3 township stations, a village point; with or without a ``[[bus_line]]``).  The factors:

``--mode`` {shared, separate, compare} × ``--weekly`` × ``--sharing`` × bus lines × ``--lang`` {en, zh} ×
``--export`` {none, kml, geojson-gcj02} × ``--tiles`` {osm, amap, none} × ``--no-map`` × ``--effort`` {none, 0.5}

:func:`pairwise` picks combinations greedily until every pair of values of two factors that a valid run can
have is in at least one run (14 runs instead of 864).  The combinations that are invalid — ``--weekly``
with compare, with ``--sharing`` or with ``--export`` — are each run once and must end with exit 2, a clear
message and nothing written.  Every plan written is checked by the independent checker of
``tests/routing/test_assign.py`` (per operator and day), and every file an option promises must exist.
"""
from __future__ import annotations

import itertools
import json
import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "routing"))
from test_assign import independent_check  # noqa: E402
from test_bus import bus, county  # noqa: E402

pytestmark = pytest.mark.slow

FACTORS = {
    "mode": ("shared", "separate", "compare"),
    "weekly": (False, True),
    "sharing": (False, True),
    "bus": (False, True),
    "lang": ("en", "zh"),
    "export": ("", "kml", "geojson-gcj02"),
    "tiles": ("osm", "amap", "none"),
    "no_map": (False, True),
    "effort": ("", "0.5"),
}
VILLAGES = {"370782001001", "370782002001", "370782003231"}
TIME_LIMIT = "0.3"
TILE_URL = {"osm": "tile.openstreetmap.org", "amap": "autonavi.com"}


def valid(c: dict) -> bool:
    """False for the combinations ``route`` refuses (exit 2)."""
    return not (c["weekly"] and (c["mode"] == "compare" or c["sharing"] or c["export"]))


def pairwise(factors: dict, ok) -> list[dict]:
    """A small set of valid combinations covering every pair of factor values some valid combination has."""
    names = list(factors)
    combos = [dict(zip(names, vals)) for vals in itertools.product(*factors.values())]
    combos = [c for c in combos if ok(c)]

    def pairs(c):
        return {((a, c[a]), (b, c[b])) for a, b in itertools.combinations(names, 2)}

    todo = set().union(*(pairs(c) for c in combos))
    chosen = []
    while todo:
        best = max(combos, key=lambda c: len(pairs(c) & todo))
        chosen.append(best)
        todo -= pairs(best)
    return chosen


RUNS = pairwise(FACTORS, valid)


def _args(c: dict) -> list[str]:
    a = ["--mode", c["mode"], "--lang", c["lang"], "--tiles", c["tiles"], "--time-limit", TIME_LIMIT, "--quiet"]
    a += ["--weekly"] * c["weekly"] + ["--sharing"] * c["sharing"] + ["--no-map"] * c["no_map"]
    return a + (["--export", c["export"]] if c["export"] else []) + (["--effort", c["effort"]] if c["effort"] else [])


def _id(c: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in c.items() if v not in (False, ""))


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> dict[bool, Path]:
    root = tmp_path_factory.mktemp("matrix")
    return {False: county(root / "plain"), True: county(root / "bus", bus())}


@pytest.fixture(scope="module")
def clock():
    t0 = time.perf_counter()
    yield
    print(f"\noption matrix ({len(RUNS)} pairwise route runs in the full module): {time.perf_counter() - t0:.1f} s")


def _text(html: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def _check_plan_folder(folder: Path, c: dict, tmp: Path) -> pd.DataFrame:
    """The independent check on each operator's (and each day's) routes; returns route_plan.csv."""
    plan = pd.read_csv(folder / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    routes = pd.read_csv(folder / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
    uns = pd.read_csv(folder / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    keys = ["operator"] + (["day"] if c["weekly"] else [])
    groups = plan.groupby(keys, sort=True)
    assert len(plan) and groups.ngroups
    everyone: set = set()
    for n, (key, g) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        sel = dict(zip(keys, key))
        part = tmp / f"{folder.name}-{n}"
        part.mkdir()
        g.to_csv(part / "route_plan.csv", index=False, encoding="utf-8-sig")
        routes[routes["route_id"].isin(set(g["route_id"]))].to_csv(part / "routes_summary.csv", index=False,
                                                                   encoding="utf-8-sig")
        u = uns
        for k, v in sel.items():
            u = u[u[k] == v]
        u.to_csv(part / "unserved.csv", index=False, encoding="utf-8-sig")
        lm = g[(g["echelon"] == "last_mile") & (g["stop_kind"] != "depot")]
        seen = set(lm["stop_id"]) | set(u.loc[u["echelon"] == "last_mile", "stop_id"])
        # a day plan serves every village once per operator that has a last mile (in 邮快合作 the couriers only
        # hand over at the postal stations); a week's day only the villages visited that day
        independent_check(part, seen if c["weekly"] or not seen else VILLAGES)
        assert seen <= VILLAGES
        everyone |= seen
    assert everyone == VILLAGES
    return plan


@pytest.mark.parametrize("c", RUNS, ids=[_id(c) for c in RUNS])
def test_route_combination(c, counties, tmp_path, clock):
    out = tmp_path / "out"
    res = run_cli("route", counties[c["bus"]], *_args(c), "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    folders = [out / m for m in ("shared", "separate", "postal_courier")] if c["mode"] == "compare" else [out]
    if c["mode"] == "compare":
        for name in ("comparison.csv", "summary.json", "coalitions.csv", "cost_sharing.csv", "cost_sharing.xlsx"):
            assert (out / name).is_file(), name
        comparison = (out / "comparison.csv").read_text(encoding="utf-8-sig")
        assert ("车辆" in comparison) == (c["lang"] == "zh")
    elif c["sharing"]:
        for name in ("coalitions.csv", "cost_sharing.csv", "cost_sharing.xlsx"):
            assert (out / name).is_file(), name
    else:
        assert not (out / "coalitions.csv").exists()
    for folder in folders:
        for name in ("route_plan.csv", "routes_summary.csv", "unserved.csv", "summary.json"):
            assert (folder / name).is_file(), (folder, name)
        plan = _check_plan_folder(folder, c, tmp_path)
        params = json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("params", {})
        assert params.get("effort") == (float(c["effort"]) if c["effort"] else None), (folder, params.get("effort"))
        if c["bus"] and folder.name in ("out", "shared"):
            assert (plan["echelon"] == "bus").any()
        if c["weekly"]:
            assert (folder / "visits.csv").is_file() and (folder / "week_summary.csv").is_file()
            assert list(folder.glob("route_sheets_day*.xlsx")) and not (folder / "routes_map.html").exists()
            assert set(pd.read_csv(folder / "visits.csv", dtype=str)["village_code"]) == VILLAGES
            continue
        assert (folder / "route_sheets.xlsx").is_file() and (folder / "routes.gpkg").is_file()
        page = folder / "routes_map.html"
        assert page.is_file() != c["no_map"]
        if page.is_file():
            html = _text(page.read_text(encoding="utf-8"))
            for tiles, url in TILE_URL.items():
                assert (url in html) == (tiles == c["tiles"]), (tiles, c["tiles"])
            assert ("配送线路" in html) == (c["lang"] == "zh")
        exported = {"kml": "routes.kml", "geojson-gcj02": "routes.gcj02.geojson"}
        for fmt, name in exported.items():
            # compare exports every plan's layers: shared, separate and 邮快合作 (postal_courier/, issue 21)
            expect = fmt == c["export"]
            assert (folder / name).is_file() == expect, (folder, name)


@pytest.mark.parametrize("extra, message", [
    (["--mode", "compare", "--weekly"], "--weekly plans one mode"),
    (["--weekly"], "--weekly plans one mode"),                                  # compare is the default mode
    (["--mode", "shared", "--weekly", "--sharing"], "--sharing splits the cost of one day's shared plan"),
    (["--mode", "separate", "--weekly", "--export", "kml"], "--export converts routes.gpkg"),
])
def test_invalid_combination_exits_2(extra, message, counties, tmp_path, clock):
    out = tmp_path / "out"
    res = run_cli("route", counties[True], *extra, "--time-limit", TIME_LIMIT, "--out", out)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not out.exists()


def test_pairwise_set_covers_every_valid_pair():
    names = list(FACTORS)
    for a, b in itertools.combinations(names, 2):
        for va, vb in itertools.product(FACTORS[a], FACTORS[b]):
            possible = any(valid(dict(zip(names, v))) and v[names.index(a)] == va and v[names.index(b)] == vb
                           for v in itertools.product(*FACTORS.values()))
            assert possible == any(c[a] == va and c[b] == vb for c in RUNS), (a, va, b, vb)
    assert len(RUNS) <= 16


def test_demo_all_steps(tmp_path, clock):
    out = tmp_path / "demo"
    res = run_cli("demo", "--county", "371322", "--out", out, "--time-limit", TIME_LIMIT, "--no-pdf", "--quiet")
    assert res.returncode == 0, res.stderr
    for name in ("village_reach.csv", "coverage_map.html", "siting/sites.csv", "siting/siting_map.html",
                 "routing/comparison.csv", "routing/shared/routes_map.html", "report.html"):
        assert (out / name).is_file(), name
    villages = set(pd.read_csv(out / "village_reach.csv", dtype=str, encoding="utf-8-sig")["village_code"])
    assert len(villages) == 125
    for mode in ("shared", "postal_courier"):
        plan = pd.read_csv(out / "routing" / mode / "route_plan.csv", encoding="utf-8-sig", dtype=str)
        for op, g in plan.groupby("operator"):
            part = tmp_path / f"{mode}-{op}"
            part.mkdir()
            g.to_csv(part / "route_plan.csv", index=False, encoding="utf-8-sig")
            rs = pd.read_csv(out / "routing" / mode / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
            rs[rs["route_id"].isin(set(g["route_id"]))].to_csv(part / "routes_summary.csv", index=False,
                                                               encoding="utf-8-sig")
            uns = pd.read_csv(out / "routing" / mode / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
            uns[uns["operator"] == op].to_csv(part / "unserved.csv", index=False, encoding="utf-8-sig")
            seen = set(g.loc[(g["echelon"] == "last_mile") & (g["stop_kind"] != "depot"), "stop_id"])
            seen |= set(uns.loc[(uns["operator"] == op) & (uns["echelon"] == "last_mile"), "stop_id"])
            independent_check(part, seen)
            assert seen <= villages


def test_report_runs_every_stage(counties, tmp_path, clock):
    out = tmp_path / "rep"
    res = run_cli("report", counties[True], "--out", out, "--time-limit", TIME_LIMIT, "--no-pdf", "--quiet")
    assert res.returncode == 0, res.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "诸城市" in html and "Traceback" not in res.stderr


def test_batch_all_steps(counties, tmp_path, clock):
    out = tmp_path / "batch"
    res = run_cli("batch", "--counties", counties[True], "--steps", "coverage,site,route", "--workers", "1",
                  "--time-limit", TIME_LIMIT, "--no-progress", "--out", out)
    assert res.returncode == 0, res.stderr
    rows = pd.read_csv(out / "province_reach.csv", dtype=str, encoding="utf-8-sig")
    assert list(rows["status"]) == ["ok"] and rows["villages"].iat[0] == "3"
    assert rows["sites_mclp"].iat[0] != "" and rows["shared_saving_pct"].iat[0] != ""
    for name in ("failures.csv", "province_map.html", "batch_summary.json"):
        assert (out / name).is_file(), name
