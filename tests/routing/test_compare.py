"""The honest comparison: saving split, the 邮快合作 baseline, each operator's own trunk timing.

Hand-built plans give the split's numbers by hand; the plans of the straight-road county (conftest)
are real OR-Tools solves whose figures follow from the road (a vertex every 0.01° ≈ 900.6 m).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest
from test_plan import VHEADER, check_plan, fleet, read_plan

from conftest import LAT, LON0, STEP, run_cli, write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.routing.compare import COMPARISON_COLUMNS, duplicated_visits, saving_split
from culture_logistics.routing.plan import UNSERVED_COLUMNS, RoutePlan

SCN = SimpleNamespace(adcode="370782", name="诸城市", synthetic=False,
                      facilities=pd.DataFrame({"id": ["S"], "capacity_per_day": [float("nan")]}))


def _plan(mode: str, routes: list[tuple], visits: dict) -> RoutePlan:
    """routes: (route_id, operator, echelon, fixed_cost, cost); visits: route_id -> [(stop_id, kind)].

    Every van leaves its depot at 08:00 and is back at 09:00, each stop served on arrival (the timing columns
    a plan's summary reads; none of them enters the saving split)."""
    rr = pd.DataFrame([{"route_id": r, "vehicle_id": r, "operator": op, "echelon": e, "capacity": 100,
                        "stops": len(visits[r]), "distance_m": 1000, "duration_min": 60.0, "cost": c,
                        "fixed_cost": f, "delivered": 1, "picked_up": 0, "depot_id": "HUB" if e == "trunk" else "S",
                        "departure_min": 480.0, "return_min": 540.0, "open_min": 480.0, "max_shift_min": None}
                       for r, op, e, f, c in routes])
    ech = dict(zip(rr["route_id"], rr["echelon"]))
    st = pd.DataFrame([{"route_id": r, "echelon": ech[r], "stop_id": s, "stop_kind": k, "arrival_min": 500.0,
                        "service_start_min": 500.0, "departure_min": 510.0} for r in visits for s, k in visits[r]])
    return RoutePlan(SCN, mode, RoutingParams(), st, rr, pd.DataFrame(columns=UNSERVED_COLUMNS), [], [], 0.0)


def test_saving_split_by_hand():
    sep = _plan("separate", [("A", "postal", "last_mile", 100, 150), ("B", "courier", "last_mile", 100, 130),
                             ("T", "postal", "trunk", 200, 260)],
                {"A": [("v1", "village_point"), ("v2", "village_centre")], "B": [("v1", "village_centre")],
                 "T": [("S", "station")]})
    sh = _plan("shared", [("C", "shared", "last_mile", 100, 140), ("T2", "shared", "trunk", 200, 250)],
               {"C": [("v1", "village_point"), ("v2", "village_point")], "T2": [("S", "station")]})
    # A's 100 fixed and 50 distance cost over 2 stops, B's 100 and 30 over 1: v1's two visits cost
    # 50 + 100 fixed and 25 + 30 distance, half of it duplicated
    d = duplicated_visits(sep)
    assert d == {"visits": 3, "villages": 2, "duplicated": 1, "fixed_cny": 75.0, "distance_cny": 27.5,
                 "cost_cny": 102.5}
    assert duplicated_visits(sh)["duplicated"] == 0 and duplicated_visits(sh)["cost_cny"] == 0
    s = saving_split(sep, sh)
    # saving 540 − 390 = 150: fixed 400 − 300 = 100, distance 140 − 90 = 50, less the duplicated 75 + 27.5
    assert s["total"]["cny_per_day"] == 150
    assert s["fixed_cost"]["cny_per_day"] == 25 and s["distance"]["cny_per_day"] == 22.5
    assert s["duplicated_visits"]["cny_per_day"] == 102.5 and s["duplicated_visits"]["visits_removed"] == 1
    assert s["gross"]["fixed_cost"]["cny_per_day"] == 100 and s["gross"]["distance"]["cny_per_day"] == 50
    assert s["duplicated_visits"]["pct_of_baseline"] == pytest.approx(100 * 102.5 / 540, abs=0.01)
    assert sum(s[k]["pct_of_saving"] for k in ("fixed_cost", "distance", "duplicated_visits")) == pytest.approx(100)


def _two_township_county(folder, routing_extra=""):
    """Postal stations P1 (vertex 0) and P2 (vertex 20), the county centre at vertex 10; 3 villages by each
    station, 110 min of service each, so a station's day takes one van ≈ 5.6 h from day start."""
    vs = [f"370782001{k:03d},甲村{k},370782001,{LON0 + STEP * x:.6f},{LAT},1000,6,0" for k, x in enumerate((0, 1, 2), 1)]
    vs += [f"370782002{k:03d},乙村{k},370782002,{LON0 + STEP * x:.6f},{LAT},1000,6,0"
           for k, x in enumerate((18, 19, 20), 1)]
    fac = [f"HUB,共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"P1,甲邮政站,postal,township,{LON0:.2f},{LAT},,", f"P2,乙邮政站,postal,township,{LON0 + 20 * STEP:.2f},{LAT},,"]
    routing = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 110\nservice_min_per_parcel = 0\n"
               "time_limit_s = 1\nshares = { postal = 1.0, supply_coop = 0.0, courier = 0.0 }\n" + routing_extra)
    # trucks at 1/6 of the road's 36 km/h: 10 vertices (9.0 km) take 90 min; vans at road speed
    extra = "".join(fleet(name=n, operator=op, echelon=e, count=3, capacity=100, speed_factor=sf, cost_per_km=1.0,
                          fixed_cost=fc, max_shift_h=10) for op in ("postal", "shared")
                    for n, e, sf, fc in (("truck", "trunk", 1 / 6, 300.0), ("van", "last_mile", 1.0, 50.0)))
    return write_scenario(folder, villages=vs, facilities=fac, village_header=VHEADER, toml_extra=routing + extra)


def test_separate_trunk_is_timed_by_its_own_last_mile(tmp_path):
    """A day trunk (trunk_start = day_start, 08:00): with deadlines both stations need the trunk by ≈ 12:04
    and a truck takes 3 h from one to the other, so two trucks (600 CNY fixed); one truck for both (300) and
    a second van at the station it reaches at 13:10 (+50) is cheaper: separate mode keeps that, shared keeps
    its deadlines."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    scn = load_scenario(_two_township_county(tmp_path / "c", 'trunk_start = "08:00"\n'))
    sep = plan_routes(scn, "separate")
    trunk = sep.routes[sep.routes["echelon"] == "trunk"]
    assert len(trunk) == 1 and trunk["stops"].iat[0] == 2
    lm = sep.routes[sep.routes["echelon"] == "last_mile"]
    first = lm["departure_min"].min()
    assert first == pytest.approx(480 + 90 + 20, abs=0.5)  # 90 min drive + 20 min unloading
    late = lm[lm["departure_min"] > first + 1]
    assert len(late) == 2 and late["departure_min"].min() == pytest.approx(first + 180 + 20, abs=0.5)
    assert (lm["return_min"] <= 18 * 60).all()
    assert_timed_without_deadlines(sep)
    sh = plan_routes(scn, "shared")
    assert (sh.routes["echelon"] == "trunk").sum() == 2  # shared mode unchanged: deadlines, two trucks


def assert_timed_without_deadlines(sep):
    """The separate plan's trunk was timed by its own last mile and ran cheaper without station deadlines,
    every stop served."""
    m = [s for s in sep.models if "trunk_timing" in s]
    assert m and m[0]["trunk_timing"] == "own_last_mile"
    assert m[0]["trunk_timing_cny"]["no_deadlines_cny"] < m[0]["trunk_timing_cny"]["deadlines_cny"]
    assert sep.summary()["unserved_stops"] == 0


def test_separate_night_trunk_is_timed_by_its_own_last_mile(tmp_path):
    """The default night trunk (04:00): one truck stocks the near station at 05:50, before day start, and
    reaches the far one at 09:10 (1.5 h + 20 min + 3 h + 20 min), whose van leaves then and is still back by
    18:00; stocking both by 08:00 takes two trucks, so separate mode drops the deadlines, shared keeps them."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    scn = load_scenario(_two_township_county(tmp_path / "c"))
    sep = plan_routes(scn, "separate")
    assert sep.params.trunk_start_s == 4 * 3600
    trunk = sep.routes[sep.routes["echelon"] == "trunk"]
    assert len(trunk) == 1 and trunk["stops"].iat[0] == 2
    assert trunk["departure_min"].iat[0] == pytest.approx(240, abs=0.5)
    lm = sep.routes[sep.routes["echelon"] == "last_mile"].set_index("depot_id")
    assert sorted(lm.index) == ["P1", "P2"]  # one van a station
    assert lm.at["P1", "departure_min"] == pytest.approx(480, abs=0.5)  # stocked before day start
    assert lm.at["P2", "departure_min"] == pytest.approx(240 + 90 + 20 + 180 + 20, abs=0.5)
    assert (lm["return_min"] <= 18 * 60).all()
    assert_timed_without_deadlines(sep)
    sh = plan_routes(scn, "shared")
    assert (sh.routes["echelon"] == "trunk").sum() == 2  # deadlines: both stations stocked by 08:00
    assert (sh.routes.loc[sh.routes["echelon"] == "last_mile", "departure_min"] == 480).all()


POSTAL_COURIER_FAC = [
    f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
    f"PC,邮政县中心,postal,county,{LON0 + 10 * STEP:.2f},{LAT},,",
    f"CC,快递县分拨,courier,county,{LON0 + 11 * STEP:.2f},{LAT},,",
    f"SC,供销县中心,supply_coop,county,{LON0 + 9 * STEP:.2f},{LAT},,",
    f"P1,邮政站,postal,township,{LON0:.2f},{LAT},,",
    f"C1,快递站,courier,township,{LON0 + STEP:.2f},{LAT},,",
    f"S1,供销站,supply_coop,township,{LON0 + 2 * STEP:.2f},{LAT},,",
]


@pytest.mark.slow
def test_compare_three_plans_on_the_same_parcels(tmp_path):
    vs = [f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * 2 * k:.6f},{LAT},1000,{10 * k},{k}" for k in range(1, 7)]
    scn = write_scenario(tmp_path / "c", villages=vs, facilities=POSTAL_COURIER_FAC, village_header=VHEADER,
                         toml_extra="[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 0.5\n")
    out = tmp_path / "cmp"
    res = run_cli("route", "--lang", "en", scn, "--mode", "compare", "--no-map", "--quiet", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "邮快合作" in res.stdout and "duplicated visits" in res.stdout
    cmp = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert list(cmp.columns) == COMPARISON_COLUMNS and list(cmp.columns[:6]) == [
        "metric", "unit", "separate", "shared", "difference", "saving_pct"]
    cmp = cmp.set_index("metric")
    # the same parcels in all three plans: Σ 10k in, Σ k out
    for col in ("separate", "shared", "postal_courier"):
        assert cmp.loc["parcels_delivered", col] == 210 and cmp.loc["parcels_picked_up", col] == 21
    # every village once (shared), twice (邮快合作: postal and supply co-op), three times (separate)
    assert cmp.loc["village_stops", "shared"] == 6
    assert cmp.loc["village_stops", "postal_courier"] == 12 and cmp.loc["village_stops", "separate"] == 18
    pc = cmp.loc["cost", "postal_courier"]
    assert cmp.loc["cost", "saving_vs_postal_courier_pct"] == pytest.approx(
        100 * (pc - cmp.loc["cost", "shared"]) / pc, abs=0.01)
    plan, routes, uns = read_plan(out / "postal_courier")
    check_plan(plan, routes, uns, {"trunk": 600, "last_mile": 540})
    # couriers only drive the trunk, to the postal station, with their share (35 % of each village's parcels)
    courier = plan[plan["operator"] == "courier"]
    assert set(courier["echelon"]) == {"trunk"}
    assert set(courier.loc[courier["stop_kind"] != "depot", "stop_id"]) == {"P1"}
    assert courier["stop_id"].iat[0] == "CC"
    postal_lm = plan[(plan["operator"] == "postal") & (plan["echelon"] == "last_mile") & (plan["stop_kind"] != "depot")]
    assert sorted(postal_lm["stop_id"]) == sorted(f"370782001{k:03d}" for k in range(1, 7))
    sup = plan[(plan["operator"] == "supply_coop") & (plan["echelon"] == "last_mile") & (plan["stop_kind"] != "depot")]
    # postal vans deliver the postal + courier shares (0.45 + 0.35 = 80 % of 210 = 168), supply co-op the rest
    assert postal_lm["delivered"].sum() + sup["delivered"].sum() == 210
    assert postal_lm["delivered"].sum() == 168
    t = plan[(plan["echelon"] == "trunk") & (plan["stop_id"] == "P1")]
    from culture_logistics.routing.specs import split_by_shares

    shares = RoutingParams().shares
    want = {op: sum(split_by_shares(10 * k, shares)[op] for k in range(1, 7)) for op in ("postal", "courier")}
    assert want["postal"] + want["courier"] == 168
    assert t.groupby("operator")["delivered"].sum().to_dict() == want  # each trunk its own share to P1
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    sp = s["saving_split"]
    assert sum(sp[k]["cny_per_day"] for k in ("fixed_cost", "distance", "duplicated_visits")) == pytest.approx(
        sp["total"]["cny_per_day"], abs=0.02)
    assert sp["total"]["cny_per_day"] == pytest.approx(cmp.loc["cost", "separate"] - cmp.loc["cost", "shared"],
                                                        abs=0.02)
    assert sp["duplicated_visits"]["visits_removed"] == 12
    assert s["saving_split_vs_postal_courier"]["duplicated_visits"]["visits_removed"] == 6
    assert s["comparison_notes"] and any("邮快合作" in n for n in s["comparison_notes"])
    # 6 villages of 11 … 66 parcels a week (in + out), 20 a visit, 2 … 6 (one delivery day caps them at 1)
    assert s["visits_per_week"]["visits"] == 6 and s["visits_per_week"]["villages_by_visits"] == {"1": 6}
    for mode in ("separate", "shared", "postal_courier"):
        assert (out / mode / "route_plan.csv").is_file()
