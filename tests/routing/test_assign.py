"""County-wide last mile (culture_logistics.routing.assign): villages served from any station, station
capacity a hard limit, the night trunk, and the new route_plan.csv columns.

The small cases use conftest's straight road (a vertex every 0.01° of longitude along lat 36.0,
36 km/h; SEG metres between neighbouring vertices), so the optimum can be counted by hand.  The
embedded counties are checked from the CSV files alone (:func:`independent_check`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod

from conftest import LAT, LON0, ROOT, STEP, run_cli, write_scenario

SEG = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]
VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
COUNTIES = ROOT / "data" / "counties"


def independent_check(out: Path, villages: set[str]) -> dict:
    """Check a written plan from ``route_plan.csv`` alone (with ``routes_summary.csv`` for each
    vehicle's capacity and ``unserved.csv`` for the villages left out).

    Checks: every route starts and ends at its depot; the load leaves as the sum of the route's
    deliveries, then − delivered + picked up at every stop, never below 0 or above the capacity, and
    equals ``load_after`` on every row; every village of ``villages`` is served exactly once on the
    last mile or listed unserved, never both — or, split because it has more parcels than the largest vehicle
    holds, visited on several vehicle trips (and any visit left out listed unserved) (a rest row of the driving-time rule, ``stop_kind = rest``, stands
    at the village it follows and serves nothing).  Returns {station id: inbound parcels} over the
    last-mile routes (the parcels its vans leave with).
    """
    plan = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    routes = pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    cap = dict(zip(routes["route_id"], routes["capacity"]))
    inbound: dict = {}
    for rid, g in plan.groupby("route_id", sort=False):
        g = g.reset_index(drop=True)
        assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot", rid
        assert g["stop_id"].iat[0] == g["stop_id"].iat[-1], rid
        body = g.iloc[1:-1]
        load = int(body["delivered"].sum())
        assert g["load_after"].iat[0] == load and 0 <= load <= cap[rid], rid
        for row in body.itertuples():
            load = load - int(row.delivered) + int(row.picked_up)
            assert 0 <= load <= cap[rid] and row.load_after == load, (rid, row.seq, load)
        if g["echelon"].iat[0] == "last_mile":
            inbound[g["stop_id"].iat[0]] = inbound.get(g["stop_id"].iat[0], 0) + int(body["delivered"].sum())
    lm = plan[(plan["echelon"] == "last_mile") & ~plan["stop_kind"].isin(["depot", "rest"])]  # rests: no village
    served = list(lm["stop_id"])
    left = list(uns.loc[uns["echelon"] == "last_mile", "stop_id"])
    # a village visited k > 1 times is split (more parcels than the largest vehicle holds): each visit on its own
    # vehicle trip, and each visit carries parcels
    visits = lm.groupby("stop_id").size()
    split = set(visits.index[visits > 1])
    for c in split:
        rows = lm[lm["stop_id"] == c]
        assert not rows.duplicated(["route_id", "trip"] if "trip" in rows.columns else ["route_id"]).any(), \
            f"village {c} served twice on one trip"
        assert ((rows["delivered"] + rows["picked_up"]) > 0).all(), c
    assert not (set(served) - split) & set(left), "a village both served and unserved"
    assert set(served) | set(left) == villages
    return inbound


# ------------------------------------------------------------------------------------------------ the fleet
def test_station_fleet_caps_the_vans_to_the_station_capacity():
    from culture_logistics.config.fleet import default_fleet_entry
    from culture_logistics.routing.assign import station_fleet

    van = default_fleet_entry("shared", "last_mile")  # six light vans of 200
    got = station_fleet([van], 280)
    assert [(f.name, f.capacity, f.count) for f in got] == [("light_van", 200, 1), ("light_van_80", 80, 1)]
    assert sum(f.capacity * f.count for f in got) == 280
    assert station_fleet([van], float("nan")) == [van] and station_fleet([van], None) == [van]
    assert [(f.capacity, f.count) for f in station_fleet([van], 150)] == [(150, 1)]
    assert [(f.capacity, f.count) for f in station_fleet([van], 5000)] == [(200, 6)]  # the fleet binds first
    trike = van.__class__(**{**vars(van), "name": "e_trike", "capacity": 50, "count": 2})
    got = station_fleet([trike, van], 330)  # largest first: one van (200), then two trikes (100), then 30
    assert [(f.name, f.capacity, f.count) for f in got] == [("light_van", 200, 1), ("e_trike", 50, 2),
                                                               ("light_van_30", 30, 1)]


# ------------------------------------------------------------------------------------------------ a small county
def _village(code: str, township: str, vertex: int, parcels: int) -> str:
    return f"{code},测试村{code[-3:]},{township},{LON0 + STEP * vertex:.6f},{LAT},1000,{parcels},0"


VILLAGES = [_village(f"370782001{k:03d}", "370782001", 2 * k, 10) for k in range(1, 5)] + \
    [_village("370782002001", "370782002", 18, 1)]
FACILITIES = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
              f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,25",
              f"P2,龙都邮政站,postal,township,{LON0 + 20 * STEP:.2f},{LAT},,"]
FLEET = ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "van25"\ncount = 2\ncapacity = 25\n'
         "speed_factor = 1.0\ncost_per_km = 1.0\nfixed_cost = 100.0\nmax_shift_h = 8.0\n")


def _two_stations(tmp_path: Path, assignment: str | None) -> Path:
    routing = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
               "time_limit_s = 1\n" + (f'assignment = "{assignment}"\n' if assignment else ""))
    return write_scenario(tmp_path / (assignment or "default"), villages=VILLAGES, facilities=FACILITIES,
                          village_header=VHEADER, toml_extra=routing + "\n" + FLEET)


def test_county_assignment_moves_villages_to_a_station_with_room(tmp_path):
    """P1 (vertex 0, capacity 25) is home to four villages of 10 parcels at vertices 2, 4, 6, 8; P2
    (vertex 20) to one of 1 parcel at vertex 18.  Vans carry 25 and cost 100 + 1 CNY/km.

    By township P1 dispatches 40 parcels (over its 25).  County-wide, P1 can send at most 25, so two
    villages; the optimum sends P1 to {2, 4} (8 segments) and P2 to {6, 8, 18} (28 segments), two
    vans: any other split is longer (P1 {2, 6} + P2 {4, 8, 18}: 44) or needs a third van."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    codes = {v.split(",")[0] for v in VILLAGES}
    town = plan_routes(load_scenario(_two_stations(tmp_path, "township")), "shared")
    write_plan(town, tmp_path / "town", map_html=False)
    assert independent_check(tmp_path / "town", codes)["P1"] == 40
    assert any("P1" in w and "capacity_per_day 25" in w for w in town.warnings)
    assert town.moved == [] and town.summary()["assignment"] == "township"

    plan = plan_routes(load_scenario(_two_stations(tmp_path, None)), "shared")  # county is the default
    write_plan(plan, tmp_path / "county", map_html=False)
    inbound = independent_check(tmp_path / "county", codes)
    assert inbound == {"P1": 20, "P2": 21}
    lm = plan.routes[plan.routes["echelon"] == "last_mile"]
    assert len(lm) == 2 and lm["distance_m"].sum() == pytest.approx(36 * SEG, abs=4)
    assert sorted(m["village_code"] for m in plan.moved) == ["370782001003", "370782001004"]
    assert {m["station_id"] for m in plan.moved} == {"P2"} and {m["home_station_id"] for m in plan.moved} == {"P1"}
    s = json.loads((tmp_path / "county" / "summary.json").read_text(encoding="utf-8"))
    assert s["assignment"] == "county" and len(s["villages_moved"]) == 2
    assert s["station_load"]["P1"] == {"inbound": 20, "outbound": 0, "capacity_per_day": 25.0}
    assert not any("more than its capacity_per_day" in w for w in plan.warnings)
    # the night trunk (default 04:00) stocks both stations before 08:00: no van waits
    assert s["last_mile_wait_h"] == 0.0 and s["last_mile_wait_for_trunk_h"] == 0.0
    assert 0 < s["shift_use_pct"] < 100
    # the new columns, after the old ones
    p = pd.read_csv(tmp_path / "county" / "route_plan.csv", encoding="utf-8-sig", dtype=str)
    assert list(p.columns[-6:]) == ["departure_min", "service_start_min", "service_point_id", "delivered_cultural",
                                    "picked_up_cultural", "trip"]   # trip (issue 24) is the last column
    body = p[~p["stop_kind"].isin(["depot", "rest", "reload"]) & (p["echelon"] == "last_mile")]  # 5 min a village
    assert ((body["departure_min"].astype(float) - body["service_start_min"].astype(float) - 5).abs() < 0.011).all()
    first = p[(p["echelon"] == "last_mile") & (p["seq"] == "0")]
    assert (first["departure_min"].astype(float) == 480).all() and first["service_start_min"].isna().all()


@pytest.mark.parametrize("key,value,words", [
    ("assignment", '"county-wide"', ["assignment", "county", "township"]),
    ("trunk_start", '"25:00"', ["trunk_start", "HH:MM"]),
    ("trunk_start", '"19:00"', ["trunk_start", "earlier than day_end"]),
])
def test_bad_assignment_and_trunk_start(tmp_path, key, value, words):
    from culture_logistics.errors import CultureLogisticsError
    from culture_logistics.inputs.scenario import load_scenario

    path = write_scenario(tmp_path / "bad", villages=VILLAGES, facilities=FACILITIES, village_header=VHEADER,
                          toml_extra=f"[routing]\n{key} = {value}\n")
    with pytest.raises(CultureLogisticsError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert "scenario.toml" in msg and f"routing.{key}" in msg and all(w in msg for w in words), msg
    if key == "assignment":  # the CLI: exit code 2, the message, nothing written
        res = run_cli("route", "--lang", "en", path, "--out", tmp_path / "out")
        assert res.returncode == 2 and "Traceback" not in res.stderr and "assignment" in res.stderr, res.stderr
        assert not (tmp_path / "out" / "route_plan.csv").exists()


# ------------------------------------------------------------------------------------------------ the counties
BASELINE = {"370782": 5142.29, "370481": 9882.12}  # township plans measured on main (trunk at 08:00)
# The county-wide plans as they are: `route ADCODE --mode shared` on the county with its cultural parcels only
# (cultural_only_county; the embedded counties carry the whole parcel flow since issue 20, and their stations and
# vehicles were sized for it, so the plans changed), where the work budgets end every search (summary.json
# reproducible = true; 2026-12-07: 诸城 3,938.41 at load ~20 (before the whole-flow rebuild: 3,764.12); 滕州
# 7,392.59 at load ~20, where the safety cap ended one model first (a longer search only improves it: an upper
# bound; before the rebuild 8,051.65 with --time-limit 100 at load ~10).  +0.5 % leaves room for a plan a binding safety cap cut short on a loaded machine (滕州 at load ~10 with
# the default caps: 8,072.59, +0.26 %) and nothing for a plan that got worse.
MEASURED = {"370782": 3938.41, "370481": 7392.59}


def cultural_only_county(adcode: str, folder: Path) -> Path:
    """A copy of an embedded county that carries its cultural parcels only (issue 12's plans, before the whole
    parcel flow of issue 20): villages.csv without other_in/out_per_week, [demand] rates 0."""
    import shutil

    from conftest import CULTURAL_ONLY

    shutil.copytree(COUNTIES / adcode, folder)
    v = pd.read_csv(folder / "villages.csv", dtype=str, keep_default_na=False)
    v.drop(columns=["other_in_per_week", "other_out_per_week"]).to_csv(folder / "villages.csv", index=False)
    with open(folder / "scenario.toml", "a", encoding="utf-8") as f:
        f.write(CULTURAL_ONLY)
    return folder / "scenario.toml"


@pytest.mark.slow
@pytest.mark.parametrize("adcode", ["370782", "370481"])
def test_county_plans_are_cheaper_feasible_and_within_station_capacity(tmp_path, adcode):
    out = tmp_path / adcode
    res = run_cli("route", "--lang", "en", cultural_only_county(adcode, tmp_path / "scn"), "--mode", "shared",
                  "--out", out, timeout=900)
    assert res.returncode == 0, res.stderr
    villages = pd.read_csv(COUNTIES / adcode / "villages.csv", dtype=str)
    fac = pd.read_csv(COUNTIES / adcode / "facilities.csv", dtype={"id": str})
    inbound = independent_check(out, set(villages["code"]))
    cap = dict(zip(fac["id"], fac["capacity_per_day"]))
    over = {d: (n, cap[d]) for d, n in inbound.items() if pd.notna(cap.get(d)) and n > cap[d]}
    assert not over
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["unserved_stops"] == 0
    assert s["last_mile_wait_for_trunk_h"] == 0.0
    assert s["villages_moved"] and all(m["station_id"] != m["home_station_id"] for m in s["villages_moved"])
    # issue 12's target, 15 % below the township plans of main, is reached on both (诸城 −26.8 %, 滕州 −18.5 %)
    assert s["cost_cny"] <= 0.85 * BASELINE[adcode], s["cost_cny"]
    assert s["cost_cny"] <= 1.005 * MEASURED[adcode], s["cost_cny"]
