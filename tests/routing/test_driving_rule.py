"""The driving-time rule (issue 20 item 4): 连续驾驶不得超过4小时, then at least 20 minutes' rest
(《道路交通安全法实施条例》第六十二条; culture_logistics.routing.driving).

conftest's straight road along lat 36.0 (a vertex every 0.01° of longitude, 36 km/h): the station P1 at
vertex 0, the county hub at vertex 10.  The last-mile van here has ``speed_factor = 0.1`` (3.6 km/h): one
segment (SEG ≈ 900 m) takes SEG / 1 m/s ≈ 15 min, so the round trip to a village at vertex 12 drives
24 segments ≈ 6 h, and its way back (12 segments ≈ 3 h after 3 h out) cannot start without a rest.
Everything is checked from the written CSV files.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_plan import ROUTING_DAY1, SEG, check_plan, fleet, line_scenario, read_plan, village

SLOW_MPS = 36 / 3.6 * 0.1       # the van's speed (m/s)


def leg_min(segments: int) -> float:
    return segments * SEG / SLOW_MPS / 60.0


def _plan(tmp_path, villages, shift_h, name="d", extra="", routing=ROUTING_DAY1):
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    f = fleet(name="slowvan", count=2, capacity=100, speed_factor=0.1, max_shift_h=shift_h) + extra
    path = line_scenario(tmp_path / name, villages, f, routing=routing)
    plan = plan_routes(load_scenario(path), "shared")
    out = tmp_path / f"{name}-out"
    write_plan(plan, out, map_html=False)
    return plan, out


def driving_runs_min(g: pd.DataFrame) -> list[float]:
    """The periods of continuous driving of one route's rows (from the CSV alone): legs add up
    (arrival − the previous row's departure) and a row where the vehicle stands ≥ 20 min ends a period."""
    g = g.sort_values("seq")
    arr, dep = g["arrival_min"].to_numpy(float), g["departure_min"].to_numpy(float)
    runs, run = [], 0.0
    for j in range(1, len(g)):
        run += arr[j] - dep[j - 1]
        if j < len(g) - 1 and dep[j] - arr[j] >= 20 - 1e-6:
            runs.append(run)
            run = 0.0
    return runs + [run]


def test_a_long_slow_route_rests_20_min_before_4_h_of_driving(tmp_path):
    """Villages at vertices 4, 8 and 12 (5 min each), one van: every shortest tour (24 segments, 6 h of driving)
    reaches vertex 12 after 12 segments (3 h), and any next leg (≥ 4 segments, 1 h) would pass 4 h, so the van
    rests once, at vertex 12 (the latest stop before the limit), 20 min, and is back within its 8 h shift:
    6 h + 15 min + 20 min."""
    from culture_logistics.kpis.timing import continuous_driving

    plan, out = _plan(tmp_path, [village(k, 4 * k, 10) for k in range(1, 4)], 8.0)
    p, r, u = read_plan(out)
    assert len(u) == 0
    lm = p[p["echelon"] == "last_mile"]
    assert lm["route_id"].nunique() == 1
    g = lm.sort_values("seq").reset_index(drop=True)
    assert list(g["seq"]) == list(range(len(g)))
    rest = g[g["stop_kind"] == "rest"]
    assert len(rest) == 1
    i = int(rest.index[0])
    x, before = g.loc[i], g.loc[i - 1]
    # at the stop it follows, from its departure, 20 min, no parcels, no leg, the load it left with
    assert x["stop_id"] == before["stop_id"] and before["stop_id"] == "370782001003"   # vertex 12: the far end
    assert x["arrival_min"] == pytest.approx(before["departure_min"], abs=1e-6)
    assert x["departure_min"] - x["arrival_min"] == pytest.approx(20.0, abs=0.011)
    assert x["delivered"] == x["picked_up"] == x["leg_m"] == 0 and x["load_after"] == before["load_after"]
    # the next leg (from vertex 12 to the next village, or to P1) starts at the rest's end
    nxt = g.loc[i + 1, "stop_id"]
    segments = 12 - (0 if nxt == "P1" else 4 * int(nxt[-3:]))
    assert g.loc[i + 1, "arrival_min"] == pytest.approx(x["departure_min"] + leg_min(segments), abs=0.05)
    runs = driving_runs_min(g)
    assert max(runs) <= 240.0
    assert runs == pytest.approx([leg_min(12), leg_min(12)], abs=0.1)     # 3 h out, rest, 3 h back
    rt = r[r["echelon"] == "last_mile"].iloc[0]
    assert rt["stops"] == 3 and rt["distance_m"] == pytest.approx(24 * SEG, abs=4)
    assert rt["duration_min"] == pytest.approx(leg_min(24) + 15 + 20, abs=0.05)
    assert rt["duration_min"] <= 8 * 60
    assert rt["duration_min"] == pytest.approx(g["arrival_min"].iat[-1] - g["arrival_min"].iat[0], abs=0.02)
    assert np.isnan(rt["range_km"])           # a van of no range_km: the shift is its limit
    check_plan(p, r, u, {"trunk": 600, "last_mile": 480},
               {("shared", "last_mile"): {f"370782001{k:03d}" for k in range(1, 4)}, ("shared", "trunk"): {"P1"}})
    # K12 recomputed from the written route_plan.csv: no route over 4 h; the longest period is 3 h
    cd = continuous_driving(p)
    assert (cd["max_continuous_driving_min"] <= 240).all()
    assert cd.set_index("route_id").loc[rt["route_id"], "max_continuous_driving_min"] == pytest.approx(leg_min(12),
                                                                                                       abs=0.1)


@pytest.mark.parametrize("assignment", ["county", "township"])
def test_a_route_that_cannot_fit_its_rest_leaves_its_stop_unserved(tmp_path, assignment):
    """One village at vertex 12 and a 6.25 h shift: the round trip drives 6 h plus 5 min of service, which fits
    the shift, but not with the 20 min rest the rule needs (6 h 25 min): the village is unserved as
    ``driving_rule``, and the confirmed fix is a shift longer by one rest (county-wide and township models)."""
    plan, out = _plan(tmp_path, [village(3, 12, 10)], 6.25, routing=ROUTING_DAY1 + f'assignment = "{assignment}"\n')
    p, r, u = read_plan(out)
    assert (p["echelon"] == "last_mile").sum() == 0
    assert list(u["stop_id"]) == ["370782001003"]
    x = u.iloc[0]
    assert x["reason_code"] == "driving_rule"
    assert "连续" not in x["reason"] and "第六十二条" in x["reason"] and "4 h" in x["reason"]
    assert x["smallest_fix"].startswith("shift longer by 20 min: slowvan max_shift_h 6.25 → 6.58")
    assert bool(x["fix_checked"])
    assert plan.summary()["unserved_by_reason"] == {"driving_rule": 1}


def test_without_the_rule_k12_counts_the_route(tmp_path):
    """``[routing] driving_rule = false`` plans without rests: the same tour drives 6 h with 5 min stops, and K12,
    recomputed from route_plan.csv, counts it (its longest period 6 h)."""
    from culture_logistics.kpis.timing import continuous_driving

    plan, out = _plan(tmp_path, [village(k, 4 * k, 10) for k in range(1, 4)], 8.0,
                      routing=ROUTING_DAY1 + "driving_rule = false\n")
    p, r, u = read_plan(out)
    assert len(u) == 0 and (p["stop_kind"] == "rest").sum() == 0
    assert plan.summary()["params"]["driving_rule"] is False
    cd = continuous_driving(p).set_index("route_id")
    lm = r[r["echelon"] == "last_mile"]["route_id"]
    assert len(lm) == 1 and cd.loc[lm.iat[0], "max_continuous_driving_min"] == pytest.approx(leg_min(24), abs=0.1)
    assert int((cd["max_continuous_driving_min"] > 240).sum()) == 1


def test_a_tour_too_long_with_its_rest_is_split(tmp_path):
    """Villages at vertices 4, 8 and 12 and a 6.5 h shift: one van's tour (6 h of driving, 15 min of service) fits
    without its rest but not with it (6 h 35 min), so the plan is solved again with a day shorter by one rest:
    two vans, vertex 12 alone (6 h + 5 min + its rest) and 4, 8 (4 h of driving: a rest at the second), every stop served,
    every route within the shift and 4 h of continuous driving."""
    plan, out = _plan(tmp_path, [village(k, 4 * k, 10) for k in range(1, 4)], 6.5)
    p, r, u = read_plan(out)
    assert len(u) == 0
    lm = r[r["echelon"] == "last_mile"]
    assert len(lm) == 2 and (lm["duration_min"] <= 390).all()
    assert sorted(lm["stops"]) == [1, 2]
    rests = p[p["stop_kind"] == "rest"]
    # at vertex 12, and at the second village of the other van (8 after 4, or 4 after 8: 3 h of driving either way)
    assert len(rests) == 2 and "370782001003" in set(rests["stop_id"])
    other = p[(p["route_id"] != rests[rests["stop_id"] == "370782001003"]["route_id"].iat[0]) & (p["seq"] == 2)]
    assert set(rests["stop_id"]) - {"370782001003"} == set(other["stop_id"]) & {"370782001001", "370782001002"}
    assert any(m.get("driving_rule_repairs") for m in plan.models)
    check_plan(p, r, u, {"trunk": 600, "last_mile": 390},
               {("shared", "last_mile"): {f"370782001{k:03d}" for k in range(1, 4)}, ("shared", "trunk"): {"P1"}})


def test_driver_sheet_and_map_list_the_rest(tmp_path):
    """The rest row is on the van's driver sheet as 休息 20 分钟 (rest 20 min), at vertex 12, and named so on the map."""
    from culture_logistics.reports.maps.routes import routes_map
    from culture_logistics.reports.routes import route_sheets

    plan, _ = _plan(tmp_path, [village(k, 4 * k, 10) for k in range(1, 4)], 8.0)
    for lang, word in (("zh", "休息 20 分钟"), ("en", "rest 20 min")):
        sheets = route_sheets(plan, lang)
        lm = [s.table for s in sheets.values() if hasattr(s, "table") and word in set(s.table.iloc[:, 3])]
        assert len(lm) == 1
        rows = lm[0][lm[0].iloc[:, 3] == word]
        assert len(rows) == 1 and rows.iloc[0, 2] == "370782001003" and rows.iloc[0, 1] == "测试村3"
        html = routes_map(plan, lang=lang).get_root().render()
        assert f"测试村3 · {word}" in html


def test_routes_summary_gives_the_vehicles_range(tmp_path):
    """routes_summary.csv gains the vehicle's range_km (appended), so anyone can check no route is longer: a van
    of range_km 30 serving villages at vertices 4, 8 and 12 (24 segments ≈ 21.6 km) at 3.6 km/h."""
    _, out = _plan(tmp_path, [village(k, 4 * k, 10) for k in range(1, 4)], 8.0, extra="range_km = 30\n")
    p, r, u = read_plan(out)
    assert list(r.columns)[-1] == "range_km"
    lm = r[r["echelon"] == "last_mile"]
    assert len(u) == 0 and list(lm["range_km"]) == [30.0]
    assert (lm["distance_m"] <= 1000 * lm["range_km"]).all()


def test_rests_on_a_hand_model_and_the_checkers():
    """Depot → A 2.5 h → B 1.5 h → C 1 h → depot 0.5 h, 10 min at each stop: 4 h would be passed on the leg to B
    (2.5 + 1.5 h), so the van rests 20 min at A (the latest stop before the limit); then 1.5 + 1 + 0.5 h = 3 h.
    The engine's checker recomputes the schedule with the rest; the rule's checker flags the route without it,
    and a rest shorter than 20 min."""
    from dataclasses import replace

    from culture_logistics.routing.driving import check_driving, driving_runs_s, rested_route
    from culture_logistics.routing.engine import model as M

    h = 3600
    dur = np.array([[0, 2.5 * h, 4 * h, 5 * h],
                    [2.5 * h, 0, 1.5 * h, 2.5 * h],
                    [4 * h, 1.5 * h, 0, 1 * h],
                    [0.5 * h, 2.5 * h, 1 * h, 0]], dtype=np.int64)
    stops = [M.Stop(delivery=1, service_s=600, name=n) for n in "ABC"]
    model = M.Model([M.Depot(tw_early=8 * h, tw_late=20 * h)], stops, [M.VehicleType(capacity=10, max_shift_s=8 * h)],
                    dur // 100, dur)
    plain = M.make_route(model, 0, [0, 1, 2], 8 * h)
    assert plain.return_s - plain.departure_s == 5.5 * h + 1800
    rested = rested_route(model, plain)
    assert rested.rest_after == {0: 1200}
    assert rested.arrival_s == [10.5 * h, 10.5 * h + 600 + 1200 + 1.5 * h, 12 * h + 1800 + 3600 + 600]
    assert rested.return_s - rested.departure_s == 5.5 * h + 1800 + 1200
    assert driving_runs_s(model, rested) == [2.5 * h, 3 * h]
    sol = M.Solution(routes=[rested], dropped=[], drop_reasons={}, cost=rested.distance, penalty=0.0,
                     distance=rested.distance, status="feasible", solve_seconds=0.0, engine="hand")
    assert M.check_solution(model, sol) == [] and check_driving(model, sol) == []
    assert check_driving(model, replace(sol, routes=[plain])) == ["route 0: continuous driving of 5.50 h (more than "
                                                                  "4 h without a 20 min rest)"]
    short = replace(rested, rest_after={0: 600})
    assert any("reported arrival" in p for p in M.check_solution(model, replace(sol, routes=[short])))
    assert "a rest of 10 min after stop 0 (at least 20 min)" in check_driving(model, replace(sol, routes=[short]))[-1]
    # a 6 h shift holds the route (6 h) but not its rest: the rule cannot be kept
    tight = M.Model(model.depots, stops, [M.VehicleType(capacity=10, max_shift_s=6 * h)], dur // 100, dur)
    assert rested_route(tight, plain) is None


@pytest.mark.parametrize("reload_min", [15, 20])
def test_a_slow_vehicle_of_two_trips_keeps_the_rule_over_its_day(tmp_path, reload_min):
    """One slow van of 10 parcels, two trips a day (issue 24), villages of 10 parcels at vertices 4 and 5: one
    village a trip, 2 h and 2.5 h of driving out and back, 4.5 h in the day.  With a 15 min reload (no rest)
    driving runs on across the trips, so the second trip takes a 20 min rest at its village (the latest stop before
    4 h), a rest row of trip 2 after the reload row; with a 20 min reload the reload is the rest: no rest row.
    Either way no period of continuous driving passes 4 h over the whole day (the CSV checker, K12)."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.kpis.timing import continuous_driving
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    f = fleet(name="slowvan", count=1, capacity=10, speed_factor=0.1, max_shift_h=8.0)
    f += f"max_trips = 2\nreload_min = {reload_min}\n"
    path = line_scenario(tmp_path / "d", [village(1, 4, 10), village(2, 5, 10)], f,
                         routing=ROUTING_DAY1.replace("time_limit_s = 1", 'time_limit_s = 1\nengine = "pyvrp"'))
    plan = plan_routes(load_scenario(path), "shared")
    write_plan(plan, tmp_path / "out", map_html=False)
    p, r, u = read_plan(tmp_path / "out")
    assert len(u) == 0
    check_plan(p, r, u, {"trunk": 8 * 60, "last_mile": 8 * 60})
    g = p[p["echelon"] == "last_mile"].sort_values("seq").reset_index(drop=True)
    assert g["route_id"].nunique() == 1 and int(r.loc[r["echelon"] == "last_mile", "trips"].iat[0]) == 2
    kinds = list(g["stop_kind"])
    reload = kinds.index("reload")
    assert g.loc[reload, "departure_min"] - g.loc[reload, "arrival_min"] == pytest.approx(reload_min, abs=0.011)
    runs = driving_runs_min(g)
    if reload_min == 15:
        assert kinds == ["depot", "village_centre", "reload", "village_centre", "rest", "depot"]
        assert g.loc[4, "trip"] == 2 and g.loc[4, "stop_id"] == g.loc[3, "stop_id"]
        assert g.loc[4, "departure_min"] - g.loc[4, "arrival_min"] == pytest.approx(20.0, abs=0.011)
        first = 4 if g.loc[1, "stop_id"].endswith("1") else 5     # the vertex of the first trip's village
        assert runs == pytest.approx([leg_min(2 * first + (9 - first)), leg_min(9 - first)], abs=0.5)
    else:
        assert kinds == ["depot", "village_centre", "reload", "village_centre", "depot"]
        assert sorted(runs) == pytest.approx([leg_min(8), leg_min(10)], abs=0.5)
    assert max(runs) <= 240.0
    k12 = continuous_driving(p)
    assert k12.loc[k12["echelon"] == "last_mile", "max_continuous_driving_min"].iat[0] <= 240.0
