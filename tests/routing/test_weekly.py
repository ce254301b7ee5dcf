"""Weekly visit plans: visits per week from parcels, visit days, one real route plan per day.

The county is conftest's straight road (a vertex every 0.01° of longitude); the routes are real
OR-Tools solves on it.  Parcel counts are chosen so visits and per-visit parcels can be counted by hand.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_plan import check_plan, fleet, line_scenario, village

from conftest import LAT, LON0, STEP, run_cli, write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.config.visits import visits_per_week
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.routes import write_weekly
from culture_logistics.routing.weekly import (
    VISITS_COLUMNS,
    WEEK_SUMMARY_COLUMNS,
    assign_days,
    plan_week,
    split_by_gaps,
    visit_patterns,
)

# 3 delivery days, 10 parcels a visit, at least one visit
WEEK3 = ("[routing]\ndelivery_days_per_week = 3\nservice_min = 5\nservice_min_per_parcel = 0\ntime_limit_s = 0.5\n"
         "min_visits_per_week = 1\nparcels_per_visit = 10\n")
# (in, out) per week -> visits: ceil((in + out) / 10) clamped to 1..3, 0 without parcels
PARCELS = {1: (5, 1, 1), 2: (12, 0, 2), 3: (30, 3, 3), 4: (0, 0, 0), 5: (8, 2, 1), 6: (19, 2, 3), 7: (15, 5, 2)}


def test_visits_rule_by_hand():
    p = RoutingParams(delivery_days_per_week=6, min_visits_per_week=2, parcels_per_visit=20)
    got = visits_per_week([36, 0, 1, 200, 40, 0], [8, 0, 0, 30, 0, 3], p)
    # 44/20 → 3; nothing → 0; 1 → min 2; 230/20 → 12, capped at 6; 40/20 = 2 exactly; 3/20 → 1, min 2
    assert got.tolist() == [3, 0, 2, 6, 2, 2]
    q = RoutingParams(delivery_days_per_week=3, min_visits_per_week=1, parcels_per_visit=10)
    assert visits_per_week([a for a, _, _ in PARCELS.values()], [b for _, b, _ in PARCELS.values()], q).tolist() \
        == [k for _, _, k in PARCELS.values()]


def test_patterns_and_parcels_per_visit():
    assert visit_patterns(2, 6) == [(1, 4), (2, 5), (3, 6)]
    assert visit_patterns(3, 6) == [(1, 3, 5), (2, 4, 6)]
    assert visit_patterns(6, 6) == [(1, 2, 3, 4, 5, 6)]
    assert visit_patterns(1, 3) == [(1,), (2,), (3,)]
    # every pattern of k visits has k distinct days
    for d in range(1, 8):
        for k in range(1, d + 1):
            assert all(len(p) == k for p in visit_patterns(k, d))
    # parcels follow the gap since the previous visit: Mon/Thu of 6 days = 3 + 3 days
    assert split_by_gaps(10, (1, 4), 6) == [5, 5]
    # Mon, Tue of 6 days: Mon carries the 5 days since Tue, Tue one day's
    assert split_by_gaps(12, (1, 2), 6) == [10, 2]
    assert split_by_gaps(7, (1, 3, 5), 6) == [3, 2, 2]
    assert sum(split_by_gaps(101, (2, 3, 6), 6)) == 101


def test_visit_days_balance_each_township():
    # 12 villages of one township, 2 visits each over 6 days, equal parcels: every day gets 4 visits
    v = pd.DataFrame({"code": [f"v{i:02d}" for i in range(12)], "township_code": "t",
                      "parcels_in_per_week": 20.0, "parcels_out_per_week": 0.0})
    p = RoutingParams(delivery_days_per_week=6)
    days = assign_days(v, np.full(12, 2), p)
    assert days == assign_days(v, np.full(12, 2), p)  # deterministic
    per_day = np.bincount([d for pat in days for d in pat], minlength=7)[1:]
    assert per_day.tolist() == [4, 4, 4, 4, 4, 4]
    assert all(pat in visit_patterns(2, 6) for pat in days)


def _scenario(tmp_path, extra=""):
    vs = [village(k, 2 * k, a, b) for k, (a, b, _) in PARCELS.items()]
    return line_scenario(tmp_path / "county", vs, fleet(capacity=20, count=3) + extra, routing=WEEK3)


@pytest.mark.slow
def test_cli_weekly_plan_visits_each_village_on_its_days(tmp_path):
    scn = _scenario(tmp_path)
    out = tmp_path / "week"
    res = run_cli("route", "--lang", "en", scn, "--mode", "shared", "--weekly", "--quiet", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "weekly" in res.stdout and "day 3" in res.stdout
    plan = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    routes = pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    assert plan.columns[-1] == routes.columns[-1] == uns.columns[-1] == "day"
    assert set(plan["day"]) <= {1, 2, 3} and len(uns) == 0
    for d in (1, 2, 3):  # every day is a feasible plan of its own (load, distance, times, shift)
        check_plan(plan[plan["day"] == d].drop(columns="day"), routes[routes["day"] == d].drop(columns="day"),
                   uns[uns["day"] == d].drop(columns="day"), {"trunk": 600, "last_mile": 480})
    visits = pd.read_csv(out / "visits.csv", encoding="utf-8-sig", dtype={"village_code": str, "visit_days": str})
    assert list(visits.columns) == VISITS_COLUMNS
    lm = plan[(plan["echelon"] == "last_mile") & (plan["stop_kind"] != "depot")]
    for k, (a, b, n) in PARCELS.items():
        code = f"370782001{k:03d}"
        row = visits.set_index("village_code").loc[code]
        assert row["visits_per_week"] == n
        mine = lm[lm["stop_id"] == code]
        assert len(mine) == n  # visited exactly visits_per_week times ...
        days = sorted(mine["day"].tolist())
        assert days == ([int(x) for x in str(row["visit_days"]).split()] if n else [])  # ... on its own days
        assert mine["delivered"].sum() == a and mine["picked_up"].sum() == b  # the week's parcels, exactly
    week = pd.read_csv(out / "week_summary.csv", encoding="utf-8-sig")
    assert list(week.columns) == WEEK_SUMMARY_COLUMNS and week["day"].tolist() == [1, 2, 3]
    assert week["parcels_delivered"].sum() == sum(a for a, _, _ in PARCELS.values())
    assert week["villages_visited"].sum() == sum(n for _, _, n in PARCELS.values())
    import openpyxl

    for d in (1, 2, 3):  # each day's driver sheets: the overview, then one sheet per route of that day
        wb = openpyxl.load_workbook(out / f"route_sheets_day{d}.xlsx", read_only=True)
        # driver sheets are named by depot and vehicle number; the overview lists them against the route ids
        rows = list(wb["Overview"].iter_rows(values_only=True))
        head = list(rows[2])
        ov = [(r[head.index("Route")], r[head.index("Sheet")]) for r in rows[3:]]
        assert [rid for rid, _ in ov] == routes.loc[routes["day"] == d, "route_id"].tolist()
        assert wb.sheetnames == ["Overview"] + [name for _, name in ov]
        wb.close()
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["plan"] == "weekly" and s["visits_per_week"]["visits"] == 12
    assert s["visits_per_week"]["villages_by_visits"] == {"0": 1, "1": 2, "2": 2, "3": 2}
    assert s["week"]["vehicle_days"] == len(routes)


def test_weekly_summary_lists_each_days_villages_moved(tmp_path):
    """Two delivery days on conftest's road.  P1 (vertex 0, capacity 25) is home to A and B (vertices 2, 4:
    20 parcels a week, a visit of 10 each day), C (6) and D (8) (10 a week, one visit: C on Monday, D on
    Tuesday); P2 (vertex 20) to E (18, Monday only).  Vans carry 25.  Monday P1 has 30 parcels and P2 is in
    the plan (it serves E): a village moves to P2.  Tuesday P2 has no village of its own, so it is not in the
    day's network: nothing moves and the village P1 cannot take is ``station_capacity`` (loads 20 + 10 need
    vans of 25 + 10)."""
    def v(code, vertex, n):
        return f"{code},测试村{code[-3:]},{code[:9]},{LON0 + STEP * vertex:.6f},{LAT},1000,{n},0"

    vs = [v("370782001001", 2, 20), v("370782001002", 4, 20), v("370782001003", 6, 10), v("370782001004", 8, 10),
          v("370782002001", 18, 2)]
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,25", f"P2,龙都邮政站,postal,township,{LON0 + 20 * STEP:.2f},{LAT},,"]
    routing = ("[routing]\ndelivery_days_per_week = 2\nmin_visits_per_week = 1\nparcels_per_visit = 10\n"
               "service_min = 5\nservice_min_per_parcel = 0\ntime_limit_s = 1\n")
    scn = write_scenario(tmp_path / "w", villages=vs, facilities=fac, toml_extra=routing + "\n" + fleet(
        name="van25", capacity=25), village_header="code,name,township_code,lon,lat,population,parcels_in_per_week,"
        "parcels_out_per_week")
    week = plan_week(load_scenario(scn), "shared")
    out = tmp_path / "out"
    write_weekly(week, out)
    visits = pd.read_csv(out / "visits.csv", encoding="utf-8-sig", dtype=str).set_index("village_code")
    assert visits["visit_days"].to_dict() == {"370782001001": "1 2", "370782001002": "1 2", "370782001003": "1",
                                              "370782001004": "2", "370782002001": "1"}
    plan = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    keys = {"operator", "village_code", "village_name", "home_station_id", "station_id", "station_name"}
    for d, day in zip((1, 2), s["days"]):
        assert day["day"] == d and day["villages_moved"] == week.days[d - 1].summary()["villages_moved"]
        assert all(set(m) == keys for m in day["villages_moved"])
        # from route_plan.csv: township 370782001's villages served by a van from P2 that day
        lm = plan[(plan["day"] == d) & (plan["echelon"] == "last_mile")]
        depot = lm.groupby("route_id")["stop_id"].first()
        body = lm[lm["stop_kind"] != "depot"]
        across = {c for c, r in zip(body["stop_id"], body["route_id"]) if depot[r] == "P2" and c.startswith("370782001")}
        assert {m["village_code"] for m in day["villages_moved"]} == across
        assert all((m["home_station_id"], m["station_id"], m["station_name"]) == ("P1", "P2", "龙都邮政站")
                   for m in day["villages_moved"])
        inbound = int(body[body["route_id"].map(depot) == "P1"]["delivered"].sum())
        assert inbound <= 25
    assert s["days"][0]["villages_moved"] and s["days"][0]["unserved_stops"] == 0
    assert s["days"][1]["villages_moved"] == []
    table = pd.read_csv(out / "week_summary.csv", encoding="utf-8-sig")
    assert table["villages_moved"].tolist() == [len(s["days"][0]["villages_moved"]), 0]
    left = uns[uns["day"] == 2]
    assert len(left) == 1 and left["reason_code"].iat[0] == "station_capacity"
    assert left["smallest_fix"].iat[0] == "raise capacity_per_day of station P1 密州邮政站 from 25 to 35 in facilities.csv"


@pytest.mark.parametrize("routing, column, words", [
    ({"delivery_days_per_week": 3, "min_visits_per_week": 4}, "routing.min_visits_per_week",
     ["more than delivery_days_per_week (3)", "lower min_visits_per_week to 3"]),
    ({"min_visits_per_week": 0}, "routing.min_visits_per_week", ["≥ 1"]),
    ({"min_visits_per_week": 2.5}, "routing.min_visits_per_week", ["whole number"]),
    ({"parcels_per_visit": 0}, "routing.parcels_per_visit", ["> 0"]),
    ({"parcels_per_visit": "20"}, "routing.parcels_per_visit", ["must be a number"]),
])
def test_bad_weekly_keys_name_the_key_and_the_fix(routing, column, words):
    from culture_logistics.config.routing import parse_routing_config
    from culture_logistics.errors import ScenarioError

    with pytest.raises(ScenarioError) as e:
        parse_routing_config({"routing": routing}, "scenario.toml")
    text = str(e.value)
    assert column in text and "scenario.toml" in text
    assert all(w in text for w in words), text


def test_default_min_visits_fits_a_one_day_week():
    from culture_logistics.config.routing import parse_routing_config

    p = parse_routing_config({"routing": {"delivery_days_per_week": 1}})
    assert p.min_visits_per_week == 2  # the default is clamped, not an error
    assert visits_per_week([5, 0], [0, 0], p).tolist() == [1, 0]


@pytest.mark.slow
def test_weekly_errors_exit_2_and_write_nothing(tmp_path):
    scn = _scenario(tmp_path)
    out = tmp_path / "none"
    res = run_cli("route", "--lang", "en", scn, "--weekly", "--out", out)  # default mode: compare
    assert res.returncode == 2 and "--mode shared" in res.stderr and not out.exists()
    bad = line_scenario(tmp_path / "bad", [village(1, 2, 5)],
                        routing=WEEK3.replace("min_visits_per_week = 1", "min_visits_per_week = 4"))
    res = run_cli("route", "--lang", "en", bad, "--mode", "shared", "--weekly", "--out", out)
    assert res.returncode == 2 and "routing.min_visits_per_week" in res.stderr and "delivery_days_per_week" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


@pytest.mark.slow
def test_village_reach_gains_visits_per_week_at_the_end(tmp_path):
    from culture_logistics.coverage.reach import VILLAGE_REACH_COLUMNS

    scn = _scenario(tmp_path)
    out = tmp_path / "cov"
    res = run_cli("coverage", "--lang", "en", scn, "--out", out)
    assert res.returncode == 0, res.stderr
    t = pd.read_csv(out / "village_reach.csv", encoding="utf-8-sig", dtype={"village_code": str})
    assert list(t.columns) == VILLAGE_REACH_COLUMNS and t.columns[-1] == "visits_per_week"
    assert t["visits_per_week"].tolist() == [n for _, _, n in PARCELS.values()]
    tw = pd.read_csv(out / "township_reach.csv", encoding="utf-8-sig")
    assert tw.columns[-1] == "visits_per_week" and tw["visits_per_week"].tolist() == [12]
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["visits_per_week"]["visits"] == 12


@pytest.mark.slow
def test_weekly_plan_on_an_embedded_county():
    from culture_logistics.inputs.datasets import resolve_scenario
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.weekly import plan_week

    scn = load_scenario(resolve_scenario("371322"))
    w = plan_week(scn, "shared", time_limit_s=0.3)
    v = scn.villages
    s = w.summary()
    assert s["week"]["unserved_stops"] == 0
    # the whole parcel flow: the cultural parcels and the other parcels they ride with
    assert s["week"]["parcels_delivered"] == int(v["parcels_in_per_week"].sum() + v["other_in_per_week"].sum())
    n = visits_per_week(v["parcels_in_per_week"] + v["other_in_per_week"],
                        v["parcels_out_per_week"] + v["other_out_per_week"], w.params)
    assert s["visits_per_week"]["visits"] == int(n.sum()) == 125 * 6   # the whole flow: every village every day
    assert len(w.days) == w.params.delivery_days_per_week
