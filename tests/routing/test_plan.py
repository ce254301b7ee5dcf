"""Tests of the two-echelon routing (culture_logistics.routing) and its CLI commands.

Most tests use conftest's straight road along lat 36.0 (a vertex every 0.01° of longitude, 36 km/h),
so every distance and time can be counted by hand: the distance between vertices i and j is
|i − j| × SEG metres (SEG = the geodesic length of 0.01° there, computed here with pyproj) and a
vehicle at road speed covers it in |i − j| × SEG / 10 seconds.  The station P1 is at vertex 0, the
county hub at vertex 10.  Plans are checked from the CSV files alone, never trusting the solver.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from conftest import LAT, LON0, ROOT, STEP, run_cli, write_scenario

SEG = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]  # metres between neighbouring vertices
ROAD_MPS = 36 / 3.6
VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
HUB = f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,"
P1 = f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,"


def village(k: int, vertex: int, parcels_in: int, parcels_out: int = 0, lat: float = LAT) -> str:
    return f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * vertex:.6f},{lat},1000,{parcels_in},{parcels_out}"


def fleet(name="van20", count=2, capacity=20, speed_factor=1.0, cost_per_km=1.0, fixed_cost=100.0, max_shift_h=8.0,
          operator="shared", echelon="last_mile") -> str:
    return (f'[[fleet]]\noperator = "{operator}"\nechelon = "{echelon}"\nname = "{name}"\ncount = {count}\n'
            f"capacity = {capacity}\nspeed_factor = {speed_factor}\ncost_per_km = {cost_per_km}\n"
            f"fixed_cost = {fixed_cost}\nmax_shift_h = {max_shift_h}\n")


ROUTING_DAY1 = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
                "time_limit_s = 1\n")


def line_scenario(folder: Path, villages: list[str], extra: str = "", routing: str = ROUTING_DAY1) -> Path:
    return write_scenario(folder, villages=villages, facilities=[HUB, P1], village_header=VHEADER,
                          toml_extra=routing + "\n" + extra)


def vertex_of(lon: float) -> int:
    return int(round((lon - LON0) / STEP))


def cli(*args, timeout=300) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess: the main group once `route` is registered, else the module's own group."""
    from culture_logistics.cli.main import main

    if "route" in main.commands and "solve-vrp" in main.commands:
        return run_cli(*args, timeout=timeout)
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "culture_logistics.cli.routing", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout)


def read_plan(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    plan = pd.read_csv(folder / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    routes = pd.read_csv(folder / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
    uns = pd.read_csv(folder / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    return plan, routes, uns


def check_plan(plan: pd.DataFrame, routes: pd.DataFrame, uns: pd.DataFrame, max_shift_min: dict,
               expected_stops: dict | None = None) -> None:
    """Feasibility from the CSV files alone (no solver object).

    max_shift_min: echelon -> shift limit (min).  expected_stops: (operator, echelon) -> set of stop ids
    that must each appear exactly once, served or unserved.
    """
    from culture_logistics.routing.plan import (
        ROUTE_PLAN_COLUMNS,
        ROUTES_SUMMARY_COLUMNS,
        UNSERVED_COLUMNS,
    )

    assert list(plan.columns) == ROUTE_PLAN_COLUMNS
    assert list(routes.columns) == ROUTES_SUMMARY_COLUMNS
    assert list(uns.columns) == UNSERVED_COLUMNS
    assert plan["route_id"].nunique() == len(routes) == routes["route_id"].nunique()
    cap = dict(zip(routes["route_id"], routes["capacity"]))
    for rid, g in plan.groupby("route_id", sort=False):
        g = g.reset_index(drop=True)
        r = routes.set_index("route_id").loc[rid]
        if (g["stop_kind"] == "reload").any():
            check_trips(g, r, cap[rid], max_shift_min)
            continue
        assert list(g["seq"]) == list(range(len(g)))
        assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot"
        assert g["stop_id"].iat[0] == g["stop_id"].iat[-1]
        body = g.iloc[1:-1]
        check_rests(g, rid)
        body = body[body["stop_kind"] != "rest"]      # a rest row (the driving-time rule): no parcels, no leg
        assert len(body) == r["stops"] and (body["stop_kind"] != "depot").all()
        # the load: leaves with everything to deliver, then − delivered + picked up, always within capacity
        assert g["load_after"].iat[0] == body["delivered"].sum()
        load = g["load_after"].iat[0]
        assert 0 <= load <= cap[rid]
        for row in body.itertuples():
            load = load - row.delivered + row.picked_up
            assert row.load_after == load, (rid, row.seq)
            assert 0 <= load <= cap[rid], (rid, row.seq, load)
        assert g["load_after"].iat[-1] == load == body["picked_up"].sum()
        # distance, time and shift
        assert g["leg_m"].iat[0] == 0 and g["leg_m"].sum() == r["distance_m"]
        assert (np.diff(g["arrival_min"]) >= -1e-9).all()
        assert r["duration_min"] == pytest.approx(g["arrival_min"].iat[-1] - g["arrival_min"].iat[0], abs=0.02)
        assert r["duration_min"] <= max_shift_min[r["echelon"]] + 1e-6
    if expected_stops is not None:
        for (op, ech), ids in expected_stops.items():
            sub = plan[(plan["operator"] == op) & (plan["echelon"] == ech)
                       & ~plan["stop_kind"].isin(["depot", "reload", "rest"])]
            u = uns[(uns["operator"] == op) & (uns["echelon"] == ech)]
            seen = list(sub["stop_id"]) + list(u["stop_id"])
            # every stop once, or several times when it is split (more parcels than the largest vehicle carries)
            assert sorted(set(seen)) == sorted(set(ids)), (op, ech)
            twice = sub[sub["stop_id"].duplicated(keep=False)]
            assert (twice.groupby("stop_id")["route_id"].nunique() > 1).all() if len(twice) else True, (op, ech)


def check_trips(g: pd.DataFrame, r: pd.Series, cap: int, max_shift_min: dict) -> None:
    """:func:`check_plan` of one vehicle's day of several trips (issue 24), from its route_plan.csv rows ``g`` and
    routes_summary.csv row ``r``: every trip leaves from the station (the depot row, then each reload row) with
    its own deliveries and comes back to it (a reload row, then the return), within capacity at every stop;
    the trips are numbered 1, 2, …; the distance, the shift and the driving-time rule (:func:`check_rests`: rest
    rows inside a trip, a reload of ≥ 20 min a rest, driving runs counted across trips) hold over the whole day."""
    assert list(g["seq"]) == list(range(len(g)))
    assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot"
    station = g["stop_id"].iat[0]
    ends = [0] + [i for i in range(1, len(g)) if g["stop_kind"].iat[i] in ("reload", "depot")]
    assert (g["stop_id"].iloc[ends] == station).all() and (g["stop_kind"].iloc[ends[1:-1]] == "reload").all()
    assert len(ends) - 1 == r["trips"] and g["trip"].iat[-1] == r["trips"]
    stops = 0
    for t, (a, b) in enumerate(zip(ends[:-1], ends[1:]), start=1):
        body = g.iloc[a + 1:b]
        assert len(body) > 0 and (body["trip"] == t).all() and g["trip"].iat[a] == t   # no empty trip
        body = body[body["stop_kind"] != "rest"]      # a rest row (the driving-time rule): no parcels, no leg
        assert not body["stop_kind"].isin(["depot", "reload"]).any()
        load = g["load_after"].iat[a]
        assert load == body["delivered"].sum() and 0 <= load <= cap
        for row in body.itertuples():
            load = load - row.delivered + row.picked_up
            assert row.load_after == load and 0 <= load <= cap, (r.name, row.seq, load)
        if b < len(g) - 1:     # a reload: the vehicle stays at the station between its arrival and departure
            assert g["departure_min"].iat[b] >= g["arrival_min"].iat[b]
        stops += len(body)
    assert g["load_after"].iat[-1] == g.iloc[ends[-2] + 1:-1]["picked_up"].sum()
    check_rests(g, r.name)
    assert stops == r["stops"]
    assert g["leg_m"].iat[0] == 0 and g["leg_m"].sum() == r["distance_m"]
    assert (np.diff(g["arrival_min"]) >= -1e-9).all()
    assert r["duration_min"] == pytest.approx(g["arrival_min"].iat[-1] - g["arrival_min"].iat[0], abs=0.02)
    assert r["duration_min"] <= max_shift_min[r["echelon"]] + 1e-6


def check_rests(g: pd.DataFrame, rid) -> None:
    """The driving-time rule on one route's rows (CSV only): every rest row follows a stop, stands where it does
    for at least 20 min from its departure, carries no parcels and no leg, keeps its load; and no period of
    continuous driving (legs between rests: a rest row or a stand of ≥ 20 min, at a stop or a reload at the
    station; counted across trips) is longer than 4 h.  Bus runs
    keep their company's timetable and are not checked."""
    if g["echelon"].iat[0] == "bus":
        return
    arr, dep = g["arrival_min"].to_numpy(float), g["departure_min"].to_numpy(float)
    run = 0.0
    for j in range(1, len(g)):
        if g["stop_kind"].iat[j] == "rest":
            assert 0 < j < len(g) - 1 and g["stop_kind"].iat[j - 1] not in ("depot", "rest", "reload"), \
                (rid, j)
            assert g["stop_id"].iat[j] == g["stop_id"].iat[j - 1] and g["leg_m"].iat[j] == 0, (rid, j)
            assert g["delivered"].iat[j] == g["picked_up"].iat[j] == 0, (rid, j)
            assert g["load_after"].iat[j] == g["load_after"].iat[j - 1], (rid, j)
            assert arr[j] == pytest.approx(dep[j - 1], abs=1e-6) and dep[j] - arr[j] >= 20, (rid, j)
        run += arr[j] - dep[j - 1]
        assert run <= 240 + 1e-6, (rid, j, run)
        if j < len(g) - 1 and dep[j] - arr[j] >= 20:
            run = 0.0


# ------------------------------------------------------------------------------------------------ the optimum
@pytest.mark.parametrize("trunk_start", [None, "08:00", "07:50"])
def test_known_optimum_on_a_straight_road(tmp_path, trunk_start):
    """Four villages at vertices 2, 4, 6, 8 with 10 parcels each; two vans of 20 at P1 (vertex 0).

    One van cannot carry all 40 parcels, so two routes; the one reaching vertex 8 can take one more
    village, and the other route's length is twice its farthest village: the optimum is {8, 6} and
    {4, 2}: 2 × 8 + 2 × 4 = 24 segments (any other split, e.g. {8, 4} + {6, 2}, is 28 or more).
    The trunk is HUB (vertex 10) → P1 → HUB: 20 segments, with the 40 parcels on board.
    """
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    routing = ROUTING_DAY1 + (f'trunk_start = "{trunk_start}"\n' if trunk_start else "")
    path = line_scenario(tmp_path / "opt", [village(k, 2 * k, 10) for k in range(1, 5)], fleet(), routing=routing)
    plan = plan_routes(load_scenario(path), "shared")
    out = tmp_path / "out"
    write_plan(plan, out, map_html=False)
    p, r, u = read_plan(out)
    assert len(u) == 0
    lm = r[r["echelon"] == "last_mile"]
    assert len(lm) == 2
    assert lm["distance_m"].sum() == pytest.approx(24 * SEG, abs=4)  # four legs rounded to the metre
    assert lm["cost"].sum() == pytest.approx(2 * 100 + 24 * SEG / 1000, abs=0.01)
    sets = sorted(sorted(vertex_of_code(c) for c in g["stop_id"] if c != "P1") for _, g in
                  p[p["echelon"] == "last_mile"].groupby("route_id"))
    assert sets == [[2, 4], [6, 8]]
    tr = r[r["echelon"] == "trunk"]
    assert len(tr) == 1 and tr["distance_m"].iat[0] == pytest.approx(20 * SEG, abs=2)
    trunk_rows = p[p["echelon"] == "trunk"]
    assert list(trunk_rows["stop_id"]) == ["HUB", "P1", "HUB"]
    assert list(trunk_rows["load_after"]) == [40, 0, 0]
    # times: the trunk leaves at trunk_start (default 04:00) and reaches P1 after 10 segments at 10 m/s;
    # the last-mile vans leave once it has unloaded (20 min at the station), but not before 08:00
    start = {None: 4 * 60, "08:00": 8 * 60, "07:50": 7 * 60 + 50}[trunk_start]
    at_p1 = start + 10 * SEG / ROAD_MPS / 60
    assert trunk_rows["arrival_min"].iat[1] == pytest.approx(at_p1, abs=0.02)
    lm_dep = p[(p["echelon"] == "last_mile") & (p["seq"] == 0)]["arrival_min"]
    assert len(lm_dep) == 2 and np.allclose(lm_dep, max(8 * 60, at_p1 + 20), atol=0.02)
    summary = plan.summary()
    # the night trunk stocks P1 long before 08:00: no van waits; with an 08:00 trunk both vans wait
    # for it (10 segments + 20 min unloading each)
    assert summary["last_mile_wait_for_trunk_h"] == pytest.approx(2 * (max(8 * 60, at_p1 + 20) - 480) / 60, abs=0.01)
    # 07:50: too late to stock P1 by 07:40 (08:00 less 20 min unloading): a note, and the later deadline
    missed = [w for w in plan.warnings if "cannot stock station P1" in w]
    assert len(missed) == (1 if trunk_start == "07:50" else 0)
    check_plan(p, r, u, {"trunk": 600, "last_mile": 480},
               {("shared", "last_mile"): {f"370782001{k:03d}" for k in range(1, 5)}, ("shared", "trunk"): {"P1"}})


def test_cost_per_parcel_and_a_plan_without_parcels(tmp_path):
    """Four villages of 10 parcels: the optimum above (two vans of 100 CNY + 24 segments at 1 CNY/km) and the
    trunk HUB → P1 → HUB (one trunk van, 320 CNY + 20 segments at 1.5 CNY/km), over the 40 parcels.  Without a
    parcel there is nothing to divide by: ``cost_per_parcel_cny`` is None (null in summary.json), not 0."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    plan = plan_routes(load_scenario(line_scenario(tmp_path / "p", [village(k, 2 * k, 10) for k in range(1, 5)],
                                                   fleet())), "shared")
    s = plan.summary()
    assert s["parcels_delivered"] + s["parcels_picked_up"] == 40
    assert s["cost_cny"] == pytest.approx(200 + 24 * SEG / 1000 + 320 + 1.5 * 20 * SEG / 1000, abs=0.02)
    assert s["cost_per_parcel_cny"] == round(s["cost_cny"] / 40, 3)
    empty = plan_routes(load_scenario(line_scenario(tmp_path / "e", [village(k, 2 * k, 0) for k in range(1, 5)],
                                                    fleet())), "shared")
    s = empty.summary()
    assert s["vehicles"] == 0 and s["cost_cny"] == 0 and s["parcels_delivered"] + s["parcels_picked_up"] == 0
    assert s["cost_per_parcel_cny"] is None
    write_plan(empty, tmp_path / "out", map_html=False)
    assert json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["cost_per_parcel_cny"] is None


def vertex_of_code(code: str) -> int:
    return 2 * int(code[-3:])  # village k stands at vertex 2k in these tests


# ------------------------------------------------------------------------------------------------ feasibility
@pytest.mark.slow
def test_cli_shared_plan_is_feasible_and_times_follow_the_road(tmp_path):
    """The conftest county (villages 1..8 at vertices 0, 2, …, 14), e-trikes at half road speed with
    room for 20 parcels and pickups on the way: every stop once, loads, shift, and every arrival =
    previous departure + |Δvertex| × SEG / 5 m/s."""
    extra = fleet(name="e_trike", count=8, capacity=20, speed_factor=0.5, cost_per_km=0.1, fixed_cost=150,
                  max_shift_h=5)
    routing = ("[routing]\ndelivery_days_per_week = 5\nservice_min = 4\nservice_min_per_parcel = 0.5\n"
               "time_limit_s = 1\nwait_for_trunk = false\n")
    path = write_scenario(tmp_path / "t", toml_extra=routing + extra)
    out = tmp_path / "out"
    res = cli("route", "--lang", "en", path, "--mode", "shared", "--out", out, "--time-limit", "1")
    assert res.returncode == 0, res.stderr
    assert "shared:" in res.stdout
    p, r, u = read_plan(out)
    villages = pd.read_csv(path.parent / "villages.csv", dtype={"code": str})
    check_plan(p, r, u, {"trunk": 600, "last_mile": 300},
               {("shared", "last_mile"): set(villages["code"]), ("shared", "trunk"): {"P1"}})
    assert len(u) == 0
    # demand: ⌈population × 0.010 / 5⌉ in, ⌈population × 0.002 / 5⌉ out, per day
    lm = p[(p["echelon"] == "last_mile") & (p["stop_kind"] != "depot")].set_index("stop_id")
    for code, pop in zip(villages["code"], villages["population"]):
        assert lm.at[code, "delivered"] == math.ceil(math.ceil(pop * 0.010) / 5)
        assert lm.at[code, "picked_up"] == math.ceil(math.ceil(pop * 0.002) / 5)
    lon = dict(zip(villages["code"], villages["lon"])) | {"P1": LON0}
    for rid, g in p[p["echelon"] == "last_mile"].groupby("route_id"):
        g = g.reset_index(drop=True)
        for j in range(1, len(g)):
            a, b = g.iloc[j - 1], g.iloc[j]
            service = 0.0 if j == 1 else 4 + 0.5 * (a["delivered"] + a["picked_up"])
            travel = abs(vertex_of(lon[b["stop_id"]]) - vertex_of(lon[a["stop_id"]])) * SEG / (ROAD_MPS * 0.5) / 60
            assert b["arrival_min"] == pytest.approx(a["arrival_min"] + service + travel, abs=0.05), (rid, j)
            assert b["leg_m"] == pytest.approx(abs(vertex_of(lon[b["stop_id"]]) - vertex_of(lon[a["stop_id"]])) * SEG,
                                               abs=1)
        assert g["arrival_min"].iat[0] == 8 * 60  # wait_for_trunk = false: they leave at day_start
    # village 8 has a courier service point at its centre (C1, 40 m away at most): the stop is there
    assert lm.at["370782001008", "stop_kind"] == "village_point"
    # driver sheets: one per vehicle, codes as text, times as HH:MM
    from openpyxl import load_workbook

    wb = load_workbook(out / "route_sheets.xlsx")
    assert wb.sheetnames[0].startswith("Overview")
    # driver sheets are named by depot and vehicle number (issue 13), listed against the route ids in the overview
    ov = wb[wb.sheetnames[0]]
    ov_head = [c.value for c in ov[3]]
    sheet_of = {ov.cell(i, ov_head.index("Route") + 1).value: ov.cell(i, ov_head.index("Sheet") + 1).value
                for i in range(4, ov.max_row + 1)}
    assert set(sheet_of) == set(r["route_id"]) and set(sheet_of.values()) <= set(wb.sheetnames)
    ws = wb[sheet_of[r["route_id"].iat[-1]]]
    hrow = next(i for i in range(1, 12) if ws.cell(i, 1).value == "No.")
    header = [c.value for c in ws[hrow]]
    code_col = header.index("Code") + 1
    assert all(ws.cell(i, code_col).data_type == "s" for i in range(hrow + 1, ws.max_row + 1))
    assert ws.cell(hrow + 1, header.index("Leave") + 1).value == "08:00"
    html = (out / "routes_map.html").read_text(encoding="utf-8")
    assert all(rid in html for rid in r["route_id"]) and "<script src=" not in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "shared" and summary["arrival_min"] == "minutes after midnight"
    assert summary["vehicles"] == len(r)


# ------------------------------------------------------------------------------------------------ why dropped
def _plan(tmp_path, villages, extra, routing=ROUTING_DAY1):
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    return plan_routes(load_scenario(line_scenario(tmp_path, villages, extra, routing)), "shared")


def test_demand_larger_than_any_vehicle_is_split(tmp_path):
    # village 2 receives 30 parcels, the vans carry 20: two visits of 15, on two vans, nothing unserved
    plan = _plan(tmp_path, [village(1, 2, 10), village(2, 4, 30), village(3, 6, 10)], fleet(count=3, capacity=20))
    assert plan.unserved_table().empty
    st = plan.plan_table()
    two = st[(st["echelon"] == "last_mile") & (st["stop_id"] == "370782001002")]
    assert two["delivered"].tolist() == [15, 15] and two["route_id"].nunique() == 2
    assert int(st.loc[(st["echelon"] == "last_mile") & st["stop_kind"].str.startswith("village"), "delivered"].sum()) == 50


def test_station_load_larger_than_any_trunk_vehicle(tmp_path):
    # the trunk is not split: station P1's 50 parcels do not fit a trunk van of 40, and the diagnosis says so
    plan = _plan(tmp_path, [village(1, 2, 10), village(2, 4, 30), village(3, 6, 10)],
                 fleet(count=3, capacity=20) + fleet(name="tv40", count=2, capacity=40, echelon="trunk"))
    u = plan.unserved_table()
    row = u[u["echelon"] == "trunk"].iloc[0]
    assert row["stop_id"] == "P1" and row["reason_code"] == "demand_exceeds_capacity"
    assert "50 parcels to deliver" in row["reason"] and "carries 40" in row["reason"]
    assert "capacity 50" in row["smallest_fix"]


def test_farther_than_a_shift_allows(tmp_path):
    """Village 2 at vertex 20 with a 1 h shift at half road speed: out and back alone takes
    2 × round(2 × round(20 × SEG / 10)) s + 5 min of service, which the fix must cover, rounded up
    to 5 minutes."""
    plan = _plan(tmp_path, [village(1, 2, 10), village(2, 20, 10)],
                 fleet(count=2, capacity=50, speed_factor=0.5, max_shift_h=1),
                 ROUTING_DAY1 + "wait_for_trunk = false\n")
    u = plan.unserved_table()
    assert list(u["stop_id"]) == ["370782001002"]
    trip = 2 * round(2 * round(20 * SEG / ROAD_MPS)) + 300
    minutes = 5 * math.ceil(math.ceil((trip - 3600) / 60) / 5)
    row = u.iloc[0]
    assert row["reason_code"] == "beyond_shift"
    assert row["smallest_fix"].startswith(f"shift longer by {minutes} min"), row["smallest_fix"]
    assert row["fix_checked"] and row["fix_extra_cost"] > 0
    assert plan.stops["stop_id"].eq("370782001001").sum() == 1


def test_fleet_too_small_for_the_day(tmp_path):
    plan = _plan(tmp_path, [village(k, 2 * k, 10) for k in range(1, 5)], fleet(count=1, capacity=20))
    u = plan.unserved_table()
    assert len(u) == 2 and set(u["reason_code"]) == {"fleet_too_small"}
    assert all(f.startswith("one more van20 (capacity 20) at P1") for f in u["smallest_fix"])
    assert u["fix_checked"].all()
    assert (u["fix_extra_cost"] > 100).all()  # one more van: its fixed cost (100 CNY) plus its km


def test_unreachable_village(tmp_path):
    far = village(2, 4, 10, lat=LAT + 0.05)  # ≈ 5.6 km north of the only road
    plan = _plan(tmp_path, [village(1, 2, 10), far], fleet())
    u = plan.unserved_table()
    assert list(u["stop_id"]) == ["370782001002"]
    assert u["reason_code"].iat[0] == "unreachable"
    assert "max_access_m" in u["smallest_fix"].iat[0] and not u["fix_checked"].iat[0]


@pytest.mark.slow
def test_time_windows(tmp_path):
    """Village 1 may only be served 10:00–10:30: the van waits for it (service starts in the window).
    Village 2 closes at 08:30, but P1's parcels arrive with the trunk at 08:15 and are unloaded by
    08:35: it is dropped for its window, and opening it until 15 min after the earliest arrival
    (08:35 + 8 segments at 10 m/s ≈ 08:47) is the confirmed fix."""
    windows = '[routing.time_windows]\n"370782001001" = "10:00-10:30"\n"370782001004" = "08:00-08:30"\n'
    plan = _plan(tmp_path, [village(1, 2, 10), village(4, 8, 10)], fleet(count=2, capacity=50),
                 ROUTING_DAY1 + 'trunk_start = "08:00"\n' + windows)  # the daytime trunk of the docstring
    st = plan.stops.set_index("stop_id")
    assert 600 <= st.at["370782001001", "service_start_min"] <= 630
    assert st.at["370782001001", "arrival_min"] <= st.at["370782001001", "service_start_min"]
    u = plan.unserved_table()
    assert list(u["stop_id"]) == ["370782001004"] and u["reason_code"].iat[0] == "time_window"
    assert "trunk" in u["reason"].iat[0]
    from culture_logistics.config.routing import hhmm

    ready = 8 * 3600 + round(10 * SEG / ROAD_MPS) + 20 * 60
    assert u["smallest_fix"].iat[0] == f"keep its time window open until {hhmm(ready + round(8 * SEG / ROAD_MPS) + 900)}"
    assert u["fix_checked"].iat[0]


@pytest.mark.slow
def test_trunk_reaches_each_station_in_time_for_its_last_mile(tmp_path):
    """HUB at vertex 8, P1 (密州, village at vertex 1) at vertex 0, P2 (龙都, village at vertex 14) at
    vertex 20; the trunk van drives at 1 m/s, e-trikes at 0.5 m/s, the day ends at 21:00.

    P2's e-trike run alone takes 2 × 20 × round(6 × SEG / 10) s + 5 min (≈ 6 h 06), so planned from
    08:00 it is back at ≈ 14:06 with ≈ 6 h 54 to spare: the trunk must have unloaded at P2 by
    08:00 + that slack, i.e. arrive 20 min before.  Visiting P1 first would reach P2 at ≈ 15:21 — too
    late — so the one trunk van goes to P2 first (a tour of a line costs the same in either order).
    Without the driving-time rule (``driving_rule = false``): the e-trike's 3 h each way and the trunk's 5 h
    from P2 to P1 would need rests (tests/routing/test_driving_rule.py), which this test of deadlines leaves out."""
    from culture_logistics.config.routing import hhmm
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    villages = [village(1, 1, 10), f"370782002001,岔道口社区,370782002,{LON0 + 14 * STEP:.6f},{LAT},1000,10,0"]
    facilities = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 8 * STEP:.2f},{LAT},,", P1,
                  f"P2,龙都邮政站,postal,township,{LON0 + 20 * STEP:.2f},{LAT},,"]
    extra = (fleet(name="e_trike", count=1, capacity=50, speed_factor=0.05, max_shift_h=9)
             + fleet(name="slow_van", count=2, capacity=1000, speed_factor=0.1, fixed_cost=320, max_shift_h=12,
                     echelon="trunk"))
    routing = ROUTING_DAY1 + 'day_end = "21:00"\ntrunk_start = "08:00"\ndriving_rule = false\n'  # a daytime trunk
    path = write_scenario(tmp_path / "two", villages=villages, facilities=facilities, village_header=VHEADER,
                          toml_extra=routing + "\n" + extra)
    plan = plan_routes(load_scenario(path), "shared")
    assert len(plan.unserved) == 0
    trunk = plan.stops[plan.stops["echelon"] == "trunk"]
    assert list(trunk["stop_id"]) == ["HUB", "P2", "P1", "HUB"]
    run = 2 * 20 * round(6 * SEG / ROAD_MPS) + 300
    deadline = 8 * 3600 + (21 * 3600 - (8 * 3600 + run)) - 20 * 60
    stats = [m for m in plan.models if m["echelon"] == "trunk"][0]
    assert stats["station_deadlines"]["P2"] == hhmm(deadline)
    at_p2 = 8 * 3600 + 10 * round(12 * SEG / ROAD_MPS)
    assert trunk["arrival_min"].iat[1] * 60 == pytest.approx(at_p2, abs=1) and at_p2 <= deadline
    lm = plan.stops[(plan.stops["echelon"] == "last_mile") & (plan.stops["seq"] == 0)].set_index("stop_id")
    assert lm.at["P2", "arrival_min"] * 60 == pytest.approx(at_p2 + 20 * 60, abs=1)  # leaves once unloaded


@pytest.mark.slow
def test_demo_stage_writes_the_comparison(tmp_path, tiny):
    from culture_logistics.app.routing import demo_stage
    from culture_logistics.inputs.scenario import load_scenario

    lines = []
    s = demo_stage(load_scenario(tiny), tmp_path / "demo", 0.3, lines.append)
    assert s["saving_pct"] is not None and s["saving_pct"] > 0
    assert any("shared co-delivery saves" in line for line in lines)
    assert any("邮快合作" in line for line in lines)
    assert (tmp_path / "demo" / "routing" / "postal_courier" / "route_plan.csv").is_file()
    for mode in ("shared", "separate"):
        assert (tmp_path / "demo" / "routing" / mode / "route_sheets.xlsx").is_file()
        assert (tmp_path / "demo" / "routing" / mode / "routes_map.html").is_file()
    assert (tmp_path / "demo" / "routing" / "comparison.csv").is_file()


# ------------------------------------------------------------------------------------------------ compare
@pytest.mark.slow  # ~30 s: compare mode now also plans the 7 coalitions for the cost sharing
def test_compare_on_an_embedded_county(tmp_path):
    out = tmp_path / "cmp"
    res = cli("route", "--lang", "en", "371322", "--mode", "compare", "--time-limit", "0.3", "--no-map", "--quiet", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Shared co-delivery saves" in res.stdout
    cmp = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig").set_index("metric")
    assert cmp.loc["cost", "saving_pct"] > 0
    assert cmp.loc["cost", "saving_pct"] == pytest.approx(
        100 * (cmp.loc["cost", "separate"] - cmp.loc["cost", "shared"]) / cmp.loc["cost", "separate"], abs=0.01)
    assert cmp.loc["unserved_stops", "separate"] == cmp.loc["unserved_stops", "shared"] == 0
    # the same parcels in both modes
    assert cmp.loc["parcels_delivered", "separate"] == cmp.loc["parcels_delivered", "shared"] > 0
    assert cmp.loc["parcels_picked_up", "separate"] == cmp.loc["parcels_picked_up", "shared"]
    villages = pd.read_csv(ROOT / "data/counties/371322/villages.csv", dtype={"code": str})
    for mode in ("shared", "separate"):
        p, r, u = read_plan(out / mode)
        check_plan(p, r, u, {"trunk": 600, "last_mile": 540},
                   {("shared", "last_mile"): set(villages["code"])} if mode == "shared" else None)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["saving_pct"] == pytest.approx(cmp.loc["cost", "saving_pct"])


# ------------------------------------------------------------------------------------------------ config & CLI
def test_defaults_and_daily_parcels():
    from culture_logistics.config.routing import (
        DEFAULT_SHARES,
        RoutingParams,
        parse_routing_config,
    )
    from culture_logistics.routing.specs import daily_parcels

    p = parse_routing_config({})
    assert p == RoutingParams() and p.shares == DEFAULT_SHARES
    assert p.fleet_for("postal", "last_mile")[0].capacity == 200
    assert p.fleet_for("shared", "trunk")[0].capacity == 1000
    assert list(daily_parcels([40, 42, 0, 1], 6)) == [7, 7, 0, 1]
    # time_limit_s 10 (the safety cap since issue #15): 40+ stops get 10 s, 10 stops 2.5 s, 1 stop 10 % = 1 s
    assert p.model_time_limit(40) == 10.0 and p.model_time_limit(10) == 2.5 and p.model_time_limit(1) == 1.0
    assert p.model_time_limit(250) == 62.5  # the cap grows with the model, like its work budget


@pytest.mark.parametrize("extra, expected", [
    ('[[fleet]]\noperator = "post"\nechelon = "last_mile"\ncapacity = -5\ncapacity_parcels = 3\n',
     ["fleet[1].operator", "did you mean 'postal'", "capacity_parcels", "did you mean 'capacity'"]),
    ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\ncapacity = -5\n',
     ["fleet[1].capacity", "capacity must be a whole number ≥ 1", "the default last_mile vehicle has capacity = 200"]),
    ('[routing]\nday_start = "8am"\nshares = { postal = 0.5, supply_coop = 0.2, courier = 0.2 }\n',
     ["routing.day_start", '"HH:MM"', "must sum to 1, they sum to 0.900"]),
])
@pytest.mark.slow
def test_bad_config_is_reported_and_nothing_written(tmp_path, extra, expected):
    path = write_scenario(tmp_path / "bad", toml_extra=extra)
    out = tmp_path / "out"
    res = cli("route", "--lang", "en", path, "--mode", "shared", "--out", out)
    assert res.returncode == 2
    for text in expected:
        assert text in res.stderr, (text, res.stderr)
    assert "scenario.toml" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


@pytest.mark.slow
def test_cli_option_errors(tmp_path, tiny):
    res = cli("route", "--lang", "en", tiny, "--time-limit", "0", "--out", tmp_path / "o")
    assert res.returncode == 2 and "--time-limit must be > 0" in res.stderr
    f = tmp_path / "afile"
    f.write_text("x")
    res = cli("route", "--lang", "en", tiny, "--out", f)
    assert res.returncode == 2 and "is a file" in res.stderr
    res = cli("route", "--lang", "en", tmp_path / "missing.toml", "--out", tmp_path / "o")
    assert res.returncode == 2 and "file not found" in res.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_solve_vrp_json(tmp_path):
    """Five customers on a line and a square; the printed routes must serve every customer once within
    capacity, and the printed cost must equal the rounded-Euclidean length recomputed here."""
    coords = {1: (0, 0), 2: (10, 0), 3: (20, 0), 4: (0, 30), 5: (0, 40), 6: (30, 30)}
    demand = {1: 0, 2: 4, 3: 4, 4: 3, 5: 3, 6: 5}
    text = ["NAME : line6", "TYPE : CVRP", "DIMENSION : 6", "EDGE_WEIGHT_TYPE : EUC_2D", "CAPACITY : 10",
            "NODE_COORD_SECTION"] + [f"{i} {x} {y}" for i, (x, y) in coords.items()] + \
        ["DEMAND_SECTION"] + [f"{i} {d}" for i, d in demand.items()] + ["DEPOT_SECTION", "1", "-1", "EOF"]
    vrp = tmp_path / "line6.vrp"
    vrp.write_text("\n".join(text) + "\n")
    res = cli("solve-vrp", vrp, "--time-limit", "1", "--json")
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    custs = sorted(c for r in got["routes"] for c in r)
    assert custs == [1, 2, 3, 4, 5]  # customers numbered as in .sol files: node id − 1

    def node(c):
        return c + 1

    def d(a, b):
        (x1, y1), (x2, y2) = coords[a], coords[b]
        return int(math.floor(math.hypot(x1 - x2, y1 - y2) + 0.5))

    cost = 0
    for r in got["routes"]:
        assert sum(demand[node(c)] for c in r) <= 10
        seq = [1] + [node(c) for c in r] + [1]
        cost += sum(d(a, b) for a, b in zip(seq[:-1], seq[1:]))
    assert got["cost"] == cost
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : x\nDIMENSION : two\n")
    res = cli("solve-vrp", bad, "--json")
    assert res.returncode == 2 and "bad.vrp" in res.stderr and "Traceback" not in res.stderr


def test_route_lines_of_several_plans_at_once_are_each_plans_own(tiny):
    """prepare_route_lines (one Dijkstra per start node over the comparison's plans) draws every route as
    route_lines does for its plan alone: along conftest's straight road, through every stop in order."""
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.compare import compare_modes
    from culture_logistics.routing.lines import prepare_route_lines, route_lines

    scn = load_scenario(tiny)
    cmp = compare_modes(scn, RoutingParams.from_scenario(scn, time_limit_s=0.3))
    plans = [cmp.separate, cmp.shared, cmp.postal_courier]
    assert plans[0].net is plans[1].net
    prepare_route_lines(plans)
    together = [plan._lines for plan in plans]
    for plan in plans:
        del plan._lines
    alone = [route_lines(plan) for plan in plans]
    assert [{k: v.wkb for k, v in d.items()} for d in together] == [{k: v.wkb for k, v in d.items()} for d in alone]
    for plan, lines in zip(plans, together):
        assert set(lines) == set(plan.routes["route_id"])
        for rid, g in plan.stops.groupby("route_id", sort=False):
            xy = np.asarray(lines[rid].coords)
            assert np.allclose(xy[:, 1], LAT)   # on the road along lat 36.0
            # the road's vertices between consecutive stops, each stop on the way in visiting order
            assert len(xy) >= 2 and xy[0, 0] == pytest.approx(g["lon"].iloc[0])
            steps = np.round(np.abs(np.diff(xy[:, 0])) / STEP, 6)
            assert (steps <= 1 + 1e-6).all()   # never jumps over a vertex: the path follows the road
