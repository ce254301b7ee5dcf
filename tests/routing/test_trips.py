"""Vehicles that make several trips a day from their station (issue 24), on a small county with the whole parcel
flow and 50-parcel e-tricycles.

The county: one road of 21 vertices 0.01° apart (≈0.9 km) at 36 km/h; the county depot HUB at vertex 20 and the
station P1 at vertex 10; eight villages at vertices 1, 3, 5, 7 (west) and 13, 15, 17, 19 (east), 1000 residents
each: ⌈1000 × 0.010⌉ = 10 cultural parcels in and 2 out a week, plus 30 other parcels in and 6 out (the
villages.csv columns), one delivery day a week.  So every village gets 40 parcels and sends 8 a day, 320 and 64
in all.  An e-tricycle holds 50: one village per trip, eight trips; with ``max_trips = 4`` two or three tricycles
can do them (the shift of 9 h and the 40 km range hold over the whole day).
"""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import LAT, LON0, STEP, VILLAGE_HEADER, write_scenario
from culture_logistics.errors import CultureLogisticsError, ScenarioError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.routes import write_plan
from culture_logistics.routing.plan import plan_routes

VERTICES = (1, 3, 5, 7, 13, 15, 17, 19)
VILLAGES = [f"3707820020{k:02d},远村{k},370782002,{LON0 + STEP * v:.2f},{LAT},1000,30,6"
            for k, v in enumerate(VERTICES, start=1)]
FACILITIES = [f"HUB,县级共配中心,shared,county,{LON0 + STEP * 20:.2f},{LAT},,",
              f"P1,乡镇共配站,shared,township,{LON0 + STEP * 10:.2f},{LAT},,1000"]
ROUTING = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0.1\n"
           "time_limit_s = 2\n")
TRIKES = '[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nkind = "e_tricycle"\ncount = 4\n'


def _scenario(folder, fleet=TRIKES, routing=ROUTING, facilities=FACILITIES):
    return write_scenario(folder, villages=VILLAGES, facilities=facilities, toml_extra=routing + "\n" + fleet,
                          village_header=VILLAGE_HEADER + ",other_in_per_week,other_out_per_week")


@pytest.fixture(scope="module")
def trike_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("trips")
    plan = plan_routes(load_scenario(_scenario(out / "county")), "shared")
    write_plan(plan, out / "out", map_html=False)
    read = lambda name: pd.read_csv(out / "out" / name, encoding="utf-8-sig", dtype={"stop_id": str})  # noqa: E731
    return plan, read("route_plan.csv"), read("routes_summary.csv"), read("unserved.csv")


def test_trips_within_capacity_from_and_back_to_the_station(trike_plan):
    _, rows, routes, _ = trike_plan
    lm = rows[rows["echelon"] == "last_mile"]
    assert list(rows.columns)[-1] == "trip"
    for rid, g in lm.groupby("route_id"):
        g = g.sort_values("seq")
        assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot" and (g["stop_id"].iloc[[0, -1]] == "P1").all()
        assert g["seq"].tolist() == list(range(len(g)))
        # a reload row at the station between trips, and nowhere else
        reloads = g[g["stop_kind"] == "reload"]
        assert (reloads["stop_id"] == "P1").all() and ((reloads["departure_min"] - reloads["arrival_min"]).round(2) == 15).all()
        trips = g["trip"].max()
        assert len(reloads) == trips - 1 and routes.set_index("route_id").at[rid, "trips"] == trips
        for t, trip in g[g["stop_kind"].str.startswith("village")].groupby(g["trip"]):
            # each trip leaves with its own deliveries (≤ 50) and the load stays within 50 at every stop
            start = g[(g["trip"] == t) & g["stop_kind"].isin(["depot", "reload"])]["load_after"].iat[0]
            assert start == trip["delivered"].sum() <= 50
            assert (trip["load_after"] <= 50).all() and (trip["load_after"] >= 0).all()
            assert len(trip) == 1   # 40 in: one village a trip
    # fewer vehicles than trips
    vans = routes[routes["echelon"] == "last_mile"]
    assert len(vans) < vans["trips"].sum() == 8


def test_the_plan_checker_passes_every_trip(trike_plan):
    """The independent checker of route_plan.csv (tests/routing/test_plan.py: capacity per trip, each trip from
    and back to the station, the shift over the day, every village once)."""
    from test_plan import check_plan
    _, rows, routes, unserved = trike_plan
    villages = {f"3707820020{k:02d}" for k in range(1, 9)}
    check_plan(rows, routes, unserved, {"trunk": 600, "last_mile": 540}, {("shared", "last_mile"): villages})


def test_no_day_longer_than_the_shift_and_every_parcel_accounted(trike_plan):
    plan, rows, routes, unserved = trike_plan
    vans = routes[routes["echelon"] == "last_mile"]
    assert (vans["duration_min"] <= 9 * 60).all() and (vans["distance_m"] <= 40_000).all()
    lm = rows[(rows["echelon"] == "last_mile") & rows["stop_kind"].str.startswith("village")]
    assert unserved.empty
    assert lm["delivered"].sum() == 320 and lm["picked_up"].sum() == 64 and lm["stop_id"].nunique() == 8
    assert plan.totals("last_mile")["trips"] == 8
    # reload rows are not villages: the plan's village count and the station load are the villages'
    assert plan.summary()["villages_served"] == 8
    # the day of a vehicle: return − departure = travel + service + 15 min per reload, whole day under the shift
    for rid, g in rows[rows["echelon"] == "last_mile"].groupby("route_id"):
        assert g["arrival_min"].iat[-1] - g["departure_min"].iat[0] == pytest.approx(
            routes.set_index("route_id").at[rid, "duration_min"], abs=0.02)


def test_one_trip_needs_a_vehicle_per_village(tmp_path):
    """max_trips = 1: eight tricycles of one trip each (count 8), i.e. as many vehicles as trips."""
    fleet = TRIKES.replace("count = 4", "count = 8") + "max_trips = 1\n"
    plan = plan_routes(load_scenario(_scenario(tmp_path / "one", fleet=fleet)), "shared")
    vans = plan.routes[plan.routes["echelon"] == "last_mile"]
    assert len(vans) == 8 and (vans["trips"] == 1).all()
    assert not (plan.stops["stop_kind"] == "reload").any() and (plan.stops["trip"] == 1).all()


def test_station_capacity_bounds_the_parcels_of_all_trips(tmp_path):
    """capacity_per_day 280: the station's tricycles may leave with at most 280 parcels over all their trips: one
    whole tricycle (4 trips × 50 = 200) and one limited to the remaining 80 on 2 trips of 40.  With 40 parcels a
    village that is 4 + 2 villages, 240 parcels; the other two villages are unserved as station_capacity."""
    facilities = [FACILITIES[0], FACILITIES[1].replace(",,1000", ",,280")]
    plan = plan_routes(load_scenario(_scenario(tmp_path / "cap", facilities=facilities)), "shared")
    vans = plan.routes[plan.routes["echelon"] == "last_mile"].set_index("vehicle_type")
    assert sorted(zip(vans.index, vans["capacity"], vans["trips"])) == [("e_tricycle", 50, 4), ("e_tricycle_40", 40, 2)]
    lm = plan.stops[(plan.stops["echelon"] == "last_mile") & plan.stops["stop_kind"].str.startswith("village")]
    assert lm["delivered"].sum() == 240 <= 280
    u = plan.unserved_table()
    assert len(u) == 2 and set(u["reason_code"]) == {"station_capacity"} and u["fix_checked"].all()


def test_ortools_refuses_several_trips_with_the_fix(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_scenario(tmp_path / "ort", routing=ROUTING + 'engine = "ortools"\n'))
    text = str(exc.value)
    assert "fleet[1].max_trips" in text and "pyvrp" in text and "max_trips = 1" in text


def test_ortools_plans_one_trip_when_told(tmp_path):
    fleet = TRIKES.replace("count = 4", "count = 8") + "max_trips = 1\n"
    plan = plan_routes(load_scenario(_scenario(tmp_path / "ort1", fleet=fleet,
                                               routing=ROUTING + 'engine = "ortools"\n')), "shared")
    vans = plan.routes[plan.routes["echelon"] == "last_mile"]
    assert len(vans) == 8 and (vans["trips"] == 1).all() and plan.unserved.empty


def test_the_engine_refuses_trips_under_ortools():
    import numpy as np

    from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType
    from culture_logistics.routing.engine.solve import solve
    m = Model([Depot()], [Stop(delivery=1)], [VehicleType(capacity=1, max_trips=2, name="trike")],
              np.array([[0, 5], [5, 0]]))
    with pytest.raises(CultureLogisticsError, match="trike.*max_trips = 1"):
        solve(m, engine="ortools", time_limit_s=1)


def test_driver_sheets_show_the_trips_and_reload_times(trike_plan):
    """The driver sheet of the vehicle with the most trips: a reload line before every trip but the first, with
    its arrival and departure; the title block gives the stops and the trips."""
    from culture_logistics.config.routing import hhmm
    from culture_logistics.reports.routes import route_sheets
    plan, rows, _, _ = trike_plan
    rid = plan.routes.loc[plan.routes["trips"].idxmax(), "route_id"]
    g = rows[rows["route_id"] == rid]
    k = int(g["trip"].max())
    r = g[g["stop_kind"] == "reload"].iloc[0]
    for lang, word, info in (("zh", "回站装货，第 {n} 趟", f"（分 {k} 趟）"),
                             ("en", "back to reload, then trip {n}", f" on {k} trips")):
        tables = [s for s in route_sheets(plan, lang).values() if getattr(s, "info", None)]
        (sheet,) = [s for s in tables if s.table.iloc[:, 2].tolist() == g["stop_id"].astype(str).tolist()
                    and s.table.iloc[:, 5].tolist()[1:] == [hhmm(60 * a) for a in g["arrival_min"].iloc[1:]]]
        kinds = sheet.table.iloc[:, 3].tolist()
        assert [x for x in kinds if x.startswith(word[:4])] == [word.format(n=n) for n in range(2, k + 1)]
        at = kinds.index(word.format(n=2))
        assert (sheet.table.iloc[at, 5], sheet.table.iloc[at, 6]) == (hhmm(60 * r.arrival_min),
                                                                      hhmm(60 * r.departure_min))
        assert any(str(v).endswith(info) for _, v in sheet.info)


def test_pickups_are_back_at_the_station_when_their_trip_ends(trike_plan):
    """kpis/timing: without a trunk (last-mile rows only) a village's pickups are back when the vehicle is back at
    the station, at the reload that ends the village's trip, not at the vehicle's last return; reload rows are
    not villages."""
    from culture_logistics.kpis.timing import village_visits
    _, rows, _, _ = trike_plan
    lm = rows[rows["echelon"] == "last_mile"].astype({"route_id": str})
    visits = village_visits(lm, 1)
    assert sorted(v.village_code for v in visits) == sorted(f"3707820020{k:02d}" for k in range(1, 9))
    ends = {}
    for _, g in lm.groupby("route_id"):
        g = g.sort_values("seq").reset_index(drop=True)
        for i in range(1, len(g) - 1):
            if g["stop_kind"].iat[i].startswith("village"):
                ends[g["stop_id"].iat[i]] = g["arrival_min"].iat[i + 1]    # one village a trip: the next row
    assert {v.village_code: v.back_at_county_min for v in visits} == ends
    # not every vehicle's last return: more distinct times back than vehicles
    assert len(set(ends.values())) > lm["route_id"].nunique()


def test_the_map_draws_each_trip(trike_plan, tmp_path):
    """routes_map.html: one line per trip of a vehicle of several trips, named in its tooltip."""
    from culture_logistics.routing.lines import route_lines, trip_lines
    plan, _, routes, _ = trike_plan
    lines, trips = route_lines(plan), trip_lines(plan)
    multi = routes[routes["trips"] > 1]
    assert sorted(trips) == sorted((rid, k) for rid, n in zip(multi["route_id"], multi["trips"])
                                   for k in range(1, n + 1))
    for rid, n in zip(multi["route_id"], multi["trips"]):
        # the trips' lines together are the vehicle's day: as long as its line
        day = sum(trips[(rid, k)].length for k in range(1, n + 1))
        assert day == pytest.approx(lines[rid].length, rel=1e-9)
    write_plan(plan, tmp_path / "map", map_html=True, lang="en")
    page = (tmp_path / "map" / "routes_map.html").read_text(encoding="utf-8")
    k = int(multi["trips"].max())
    assert f"trip {k} of {k}" in page and f"trip {k + 1} of" not in page


def _line_model(max_trips=4, reload_s=600, shift_s=None, count=1):
    """A depot at 0 and four stops at 1, 2, 3, 4 km on a line (60 s a km), 30 parcels each; vehicles of 50."""
    import numpy as np

    from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType
    x = np.array([0, 1000, 2000, 3000, 4000])
    dist = np.abs(x[:, None] - x[None, :])
    return Model([Depot(name="S")], [Stop(delivery=30, pickup=5, service_s=60, name=f"v{k}") for k in range(1, 5)],
                 [VehicleType(capacity=50, count=count, max_trips=max_trips, reload_s=reload_s, max_shift_s=shift_s,
                              name="trike")], dist, dist * 60 // 1000)


def test_one_vehicle_makes_four_trips_by_hand():
    """One vehicle of 50 for four stops of 30: four out-and-back trips, 2 × (1 + 2 + 3 + 4) = 20 km; its day is
    20 km × 60 s + 4 × 60 s of service + 3 reloads of 600 s = 3,240 s.  Checked by the engine's checker."""
    from culture_logistics.routing.engine.model import check_solution
    from culture_logistics.routing.engine.solve import solve
    m = _line_model()
    sol = solve(m, engine="pyvrp", time_limit_s=2, seed=0)
    assert not sol.dropped and len(sol.routes) == 1
    (r,) = sol.routes
    assert r.num_trips == 4 and [len(t) for t in r.trips()] == [1, 1, 1, 1] and r.trip_loads == [30] * 4
    assert r.distance == 20_000 and r.return_s - r.departure_s == 3240
    assert [b - a for a, b in zip(r.reload_arrival_s, r.reload_departure_s)] == [600] * 3
    assert check_solution(m, sol) == []
    # the shift holds over the whole day: 3,239 s is one second short, so the farthest stop is dropped (three
    # trips of 1 + 2 + 3 km: 720 + 180 + 1,200 = 2,100 s)
    short = _line_model(shift_s=3239)
    sol2 = solve(short, engine="pyvrp", time_limit_s=5, seed=0, iteration_limit=3000)
    assert sol2.dropped == [3] and check_solution(short, sol2) == []
    assert sol2.routes[0].return_s - sol2.routes[0].departure_s == 2100


def test_the_checker_catches_trip_violations():
    from dataclasses import replace

    from culture_logistics.routing.engine.model import Solution, check_solution, make_route
    m = _line_model(max_trips=2)

    def plan(route):
        cost = m.vehicle_types[0].fixed_cost + m.vehicle_types[0].cost_per_m * route.distance
        return Solution([route], [s for s in range(4) if s not in route.stops], {}, cost, 0.0, route.distance,
                        "feasible", 0.0, "test")

    ok = make_route(m, 0, [0, 1], 0, reloads=[1])      # two trips of 30: fine
    assert ok.trip_loads == [30, 30] and ok.leg_distance == [1000, 1000, 2000, 2000]
    probs = check_solution(m, replace(plan(ok), dropped=[2, 3], penalty=check_penalty(m, [2, 3])))
    assert probs == []
    over = make_route(m, 0, [0, 1, 2], 0, reloads=[2])   # 60 on the first trip
    assert any("load 60 at depot departure exceeds capacity 50" in p for p in check_solution(m, plan(over)))
    many = make_route(m, 0, [0, 1, 2], 0, reloads=[1, 2])  # three trips, two allowed
    assert any("3 trips, but the vehicle type allows 2" in p for p in check_solution(m, plan(many)))
    late = replace(ok, reload_departure_s=[ok.reload_departure_s[0] - 1])   # a reload shorter than reload_s
    assert any("departure after reload 1" in p for p in check_solution(m, plan(late)))


def check_penalty(m, dropped):
    from culture_logistics.routing.engine.model import default_drop_penalty
    return default_drop_penalty(m) * len(dropped)


def test_a_warm_start_with_more_trips_than_the_type_allows():
    """A diagnosis re-solve may be warm-started from a plan of another model: a route of four trips given to a
    type that allows two is merged into two trips for PyVRP (it refuses more), and the search goes on."""
    from culture_logistics.routing.engine.model import check_solution
    from culture_logistics.routing.engine.solve import solve
    four = solve(_line_model(), engine="pyvrp", time_limit_s=2, seed=0)
    assert four.routes[0].num_trips == 4
    two = _line_model(max_trips=2, count=2)
    sol = solve(two, engine="pyvrp", time_limit_s=2, seed=0, initial_solution=four)
    assert not sol.dropped and check_solution(two, sol) == []
    assert sorted(r.num_trips for r in sol.routes) == [2, 2]


def _rest_model(reload_s: int):
    """A station D (open 8:00–20:00) and stops A, B, C, 10 min each; one vehicle of two trips, a 10 h shift.
    Road hours: D–A 1.5, A–B 1, B–D 1, D–C 1.25 (both ways); the day D → A → B → D (reload) → C → D."""
    import numpy as np

    from culture_logistics.routing.engine import model as M
    h = 3600
    dur = np.array([[0, 1.5 * h, 1 * h, 1.25 * h],
                    [1.5 * h, 0, 1 * h, 2.5 * h],
                    [1 * h, 1 * h, 0, 2.25 * h],
                    [1.25 * h, 2.5 * h, 2.25 * h, 0]], dtype=np.int64)
    stops = [M.Stop(delivery=1, service_s=600, name=n) for n in "ABC"]
    vt = M.VehicleType(capacity=10, max_trips=2, reload_s=reload_s, max_shift_s=10 * h, name="trike")
    return M.Model([M.Depot(tw_early=8 * h, tw_late=20 * h, name="D")], stops, [vt], dur // 100, dur)


def test_the_driving_rule_holds_over_the_whole_day_across_trips():
    """Each trip alone drives less than 4 h (3.5 h, then 2.5 h), but the day drives 6 h: the rule holds over the
    whole day.  A 15 min reload (an e-tricycle's) is no rest, so driving runs on through it and the vehicle rests
    20 min at B, the latest stop before 4 h (runs of 2.5 h and 1 + 1.25 + 1.25 = 3.5 h), everything after it
    20 min later; a 20 min reload is the rest itself (runs of 3.5 h and 2.5 h), no rest row.  The engine's
    checker recomputes the rested schedule of two trips; the rest row goes after B (trip 1) past the reload
    row, or after C (trip 2)."""
    from dataclasses import replace

    from culture_logistics.routing.driving import check_driving, driving_runs_s, insert_rest_rows, rested_route
    from culture_logistics.routing.engine import model as M

    h = 3600
    m = _rest_model(reload_s=900)
    plain = M.make_route(m, 0, [0, 1, 2], 8 * h, reloads=[2])
    assert plain.num_trips == 2 and plain.reload_arrival_s == [11.5 * h + 1200]
    assert plain.reload_departure_s == [11.5 * h + 2100] and plain.return_s == 14 * h + 2700
    assert driving_runs_s(m, plain) == [6 * h]
    sol = M.Solution(routes=[plain], dropped=[], drop_reasons={}, cost=plain.distance, penalty=0.0,
                     distance=plain.distance, status="feasible", solve_seconds=0.0, engine="hand")
    assert M.check_solution(m, sol) == []
    assert check_driving(m, sol) == ["route 0: continuous driving of 6.00 h (more than 4 h without a 20 min rest)"]
    rested = rested_route(m, plain)
    assert rested.rest_after == {1: 1200} and rested.reloads == [2]
    assert rested.arrival_s == [9.5 * h, 10.5 * h + 600, 12.75 * h + 3300]
    assert rested.reload_arrival_s == [11.5 * h + 2400] and rested.reload_departure_s == [11.5 * h + 3300]
    assert rested.return_s == 14 * h + 3900 and driving_runs_s(m, rested) == [2.5 * h, 3.5 * h]
    ok = replace(sol, routes=[rested])
    assert M.check_solution(m, ok) == [] and check_driving(m, ok) == []
    stale = replace(rested, reload_arrival_s=plain.reload_arrival_s)    # the rest must delay the reload too
    assert any("reported arrival for reload 1" in p for p in M.check_solution(m, replace(sol, routes=[stale])))
    # a shift of 7 h 05 min less 1 s holds the day without its rest (6 h 45 min), not with it (7 h 05 min)
    tight = M.Model(m.depots, m.stops, [replace(m.vehicle_types[0], max_shift_s=6 * h + 3899)], m.distance,
                    m.duration)
    assert rested_route(tight, M.make_route(tight, 0, [0, 1, 2], 8 * h, reloads=[2])) is None

    # a 20 min reload is a rest: the same day keeps the rule without a rest row
    m20 = _rest_model(reload_s=1200)
    day = M.make_route(m20, 0, [0, 1, 2], 8 * h, reloads=[2])
    assert rested_route(m20, day) is day and day.rest_after == {}
    assert driving_runs_s(m20, day) == [3.5 * h, 2.5 * h]
    assert check_driving(m20, replace(sol, routes=[day], cost=day.distance, distance=day.distance)) == []

    # the rest rows: placed by stop position past the reload row, in the trip of the stop they follow
    def row(kind, sid, trip, dep_min):
        return {"seq": 0, "stop_id": sid, "stop_kind": kind, "trip": trip, "departure_min": dep_min,
                "load_after": 1, "delivered": 1, "picked_up": 0}
    rows = [row("depot", "D", 1, 480.0), row("village_centre", "A", 1, 580.0), row("village_centre", "B", 1, 650.0),
            row("reload", "D", 2, 750.0), row("village_centre", "C", 2, 840.0), row("depot", "D", 2, None)]
    after_b = insert_rest_rows([dict(r) for r in rows], {1: 1200})
    assert [(r["stop_kind"], r["stop_id"], r["trip"]) for r in after_b] == [
        ("depot", "D", 1), ("village_centre", "A", 1), ("village_centre", "B", 1), ("rest", "B", 1),
        ("reload", "D", 2), ("village_centre", "C", 2), ("depot", "D", 2)]
    assert (after_b[3]["arrival_min"], after_b[3]["departure_min"]) == (650.0, 670.0)
    assert [r["seq"] for r in after_b] == list(range(7))
    after_c = insert_rest_rows([dict(r) for r in rows], {2: 1200})
    assert [(r["stop_kind"], r["stop_id"], r["trip"]) for r in after_c][4:6] == [("village_centre", "C", 2),
                                                                                  ("rest", "C", 2)]


def test_the_rule_repair_keeps_a_vehicle_on_its_trips():
    """One vehicle of 1 parcel, three trips (A, then B, then C: 3 h, 2 h and 2.5 h of driving, 15 min reloads) and
    a 9 h shift: the day fits (8 h 30 min) but not with the two rests it needs (at A, then at B: 9 h 10 min).
    The repair drops a stop and keeps the others on their own trips (one parcel a trip): dropping A leaves the
    shortest day (B, then C, 4.5 h of driving, a rest at C), a trip of its own each, within capacity."""
    from dataclasses import replace

    from culture_logistics.routing.driving import check_driving, keep_driving_rule
    from culture_logistics.routing.engine import model as M
    from culture_logistics.routing.retiming import retime_route

    h = 3600
    m = _rest_model(reload_s=900)
    m = M.Model(m.depots, m.stops, [replace(m.vehicle_types[0], capacity=1, max_trips=3, max_shift_s=9 * h)],
                m.distance, m.duration)
    day = retime_route(m, M.make_route(m, 0, [0, 1, 2], 8 * h, reloads=[1, 2]))
    assert day.return_s - day.departure_s == 8.5 * h
    cost = m.vehicle_types[0].fixed_cost + m.vehicle_types[0].cost_per_m * day.distance
    sol = M.Solution(routes=[day], dropped=[], drop_reasons={}, cost=cost, penalty=0.0, distance=day.distance,
                     status="feasible", solve_seconds=0.0, engine="hand")
    assert M.check_solution(m, sol) == []
    none = replace(sol, routes=[], status="no_solution")
    best = keep_driving_rule(m, sol, lambda _m: none, retime_route)
    assert best.dropped == [0] and best.drop_reasons == {0: "driving_rule"}
    (r,) = best.routes
    assert r.stops == [1, 2] and r.reloads == [1] and r.trip_loads == [1, 1] and r.rest_after == {1: 1200}
    assert r.return_s - r.departure_s == 4.5 * h + 3300
    assert M.check_solution(m, best) == [] and check_driving(m, best) == []
