"""Why was a stop dropped (culture_logistics.routing.solving): a station's capacity_per_day used up
(``station_capacity``) against a fleet too small (``fleet_too_small``).

conftest's straight road (a vertex every 0.01° of longitude along lat 36.0, 36 km/h; SEG metres between
neighbouring vertices): one postal station P1 at vertex 0 with capacity_per_day 25, four villages of 10
parcels a day at vertices 2, 4, 6 and 8, vans of 25 parcels (100 CNY a day + 1 CNY/km).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod
from test_assign import independent_check

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.routes import write_plan
from culture_logistics.routing.engine.budget import default_budget
from culture_logistics.routing.plan import plan_routes

SEG = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]
VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
VILLAGES = [f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * 2 * k:.6f},{LAT},1000,10,0" for k in range(1, 5)]
FACILITIES = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
              f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,25"]


def _scenario(folder: Path, vans: int, extra: str = "") -> Path:
    fleet = (f'[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "van25"\ncount = {vans}\ncapacity = 25\n'
             "speed_factor = 1.0\ncost_per_km = 1.0\nfixed_cost = 100.0\nmax_shift_h = 8.0\n")
    routing = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
               f"time_limit_s = 1\n{extra}")
    return write_scenario(folder, villages=VILLAGES, facilities=FACILITIES, village_header=VHEADER,
                          toml_extra=routing + "\n" + fleet)


def test_station_capacity_used_up_is_its_own_reason(tmp_path):
    """Two vans (50 parcels) but capacity 25: P1 gets one van of 25, serves two villages (20 parcels) and
    drops two.  The fleet does not bind — both vans serve all four ({2, 4} and {6, 8}, 24 segments against
    8) — the capacity does: with vans that add up to at most C (whole vans first), loads 20 + 20 need
    25 + 20, so C = 45 (40 gives 25 + 15, too small for a second load of 20)."""
    plan = plan_routes(load_scenario(_scenario(tmp_path / "cap", vans=2)), "shared")
    write_plan(plan, tmp_path / "out", map_html=False)
    assert independent_check(tmp_path / "out", {v.split(",")[0] for v in VILLAGES}) == {"P1": 20}
    u = pd.read_csv(tmp_path / "out" / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    assert len(u) == 2 and set(u["reason_code"]) == {"station_capacity"}
    assert (u["smallest_fix"] == "raise capacity_per_day of station P1 密州邮政站 from 25 to 45 in facilities.csv "
                                 "(confirmed for these 2 stops together)").all()
    assert u["fix_checked"].all()
    assert u["fix_extra_cost"].tolist() == pytest.approx([100 + 16 * SEG / 1000] * 2, abs=0.05)
    assert all("capacity_per_day" in r and "leave with 20; 5 left for this stop's 10" in r for r in u["reason"])
    assert plan.summary()["unserved_by_reason"] == {"station_capacity": 2}


def test_a_fleet_too_small_keeps_its_code(tmp_path):
    """One van of 25: the fleet binds as much as the capacity (one van can never carry more than 25),
    so the two dropped villages stay ``fleet_too_small`` and the fix is one more van."""
    plan = plan_routes(load_scenario(_scenario(tmp_path / "fleet", vans=1)), "shared")
    u = plan.unserved_table()
    assert len(u) == 2 and set(u["reason_code"]) == {"fleet_too_small"}
    assert all(f.startswith("one more van25 (capacity 25) at P1") for f in u["smallest_fix"]) and u["fix_checked"].all()


def test_the_diagnosis_re_solves_from_the_plan_on_the_warm_budget(tmp_path):
    """The fleet-too-small re-solve (one more van) starts from the plan's routes and searches on the warm budget:
    for P1's 4 villages 5 per stop, at least 100 iterations (half, then the rest from the first half's best),
    not the 300 of a solve from scratch (the county-wide model's)."""
    plan = plan_routes(load_scenario(_scenario(tmp_path / "fleet", vans=1)), "shared")
    (block,) = [m for m in plan.models if m["depot_id"] == "county-wide model 1: P1"]
    (station,) = [m for m in plan.models if m["depot_id"] == "P1"]
    assert block["iterations"] == 300 == default_budget(4, "pyvrp").iterations
    assert station["resolves"] == station["solves"] == 1
    assert station["iterations"] == 100 == default_budget(4, "pyvrp", warm=True).iterations
    assert plan.unserved_table()["fix_checked"].all()


def test_station_capacity_without_diagnosis(tmp_path):
    """diagnose = false: no re-solve, so the code comes from the plan's figures alone (20 sent out, 5 of 25
    left, 10 needed) and the fix says it is unconfirmed."""
    plan = plan_routes(load_scenario(_scenario(tmp_path / "nodiag", vans=2, extra="diagnose = false\n")), "shared")
    u = plan.unserved_table()
    assert len(u) == 2 and set(u["reason_code"]) == {"station_capacity"} and not u["fix_checked"].any()
    assert all(f.startswith("raise capacity_per_day of station P1 密州邮政站 from 25 to at least 30 in facilities.csv "
                            "(not checked") for f in u["smallest_fix"])


def test_e_tricycle_range_is_a_hard_limit(tmp_path):
    """kind = "e_tricycle" with range_km = 10: the villages at 2 and 4 segments (1.8 and 3.6 km) fit one route of
    8 segments (7.2 km); the villages at 6 and 8 segments need 10.8 and 14.4 km out and back alone, so they are
    unserved as ``beyond_range``, and the confirmed fix is the range their trip needs (11 and 15 km)."""
    fleet = ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nkind = "e_tricycle"\nrange_km = 10\n'
             "count = 3\n")
    routing = "[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\ntime_limit_s = 1\n"
    facilities = [FACILITIES[0], FACILITIES[1].replace(",,25", ",,200")]  # the station's capacity does not bind
    scen = write_scenario(tmp_path / "trike", villages=VILLAGES, facilities=facilities, village_header=VHEADER,
                          toml_extra=routing + "\n" + fleet)
    plan = plan_routes(load_scenario(scen), "shared")
    write_plan(plan, tmp_path / "out", map_html=False)
    rs = pd.read_csv(tmp_path / "out" / "routes_summary.csv", encoding="utf-8-sig")
    lm = rs[rs["echelon"] == "last_mile"]
    assert len(lm) == 1 and (lm["distance_m"] <= 10_000).all()
    assert lm["distance_m"].iloc[0] == pytest.approx(8 * SEG, abs=2)
    u = pd.read_csv(tmp_path / "out" / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    assert sorted(u["stop_id"]) == ["370782001003", "370782001004"]
    assert set(u["reason_code"]) == {"beyond_range"}
    by_id = u.set_index("stop_id")
    assert by_id.loc["370782001003", "reason"] == (f"beyond the vehicles' range: the out-and-back trip to it alone is "
                                                   f"{12 * SEG / 1000:.1f} km, the e_tricycle's range_km is 10")
    assert by_id.loc["370782001003", "smallest_fix"] == "a vehicle with range_km ≥ 11 (the e_tricycle has 10) at P1"
    assert by_id.loc["370782001004", "smallest_fix"] == "a vehicle with range_km ≥ 15 (the e_tricycle has 10) at P1"
    assert u["fix_checked"].all()
