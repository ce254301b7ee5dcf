"""A station's vans under its capacity_per_day (culture_logistics.routing.fleet): the least capacity whose
capped vans can drive given routes, counted by hand."""
from __future__ import annotations

import pandas as pd

from conftest import run_cli, write_scenario
from culture_logistics.config.fleet import default_fleet_entry
from culture_logistics.routing.fleet import capped_fleet, smallest_capacity, station_fleet

VAN = default_fleet_entry("shared", "last_mile")  # six light vans of 200


def test_capped_fleet_names_the_type_each_van_comes_from():
    trike = VAN.__class__(**{**vars(VAN), "name": "e_trike", "capacity": 50, "count": 2})
    got = capped_fleet([trike, VAN], 330)
    assert [(i, f.name, f.capacity, f.count) for i, f in got] == [(1, "light_van", 200, 1), (0, "e_trike", 50, 2),
                                                                  (1, "light_van_30", 30, 1)]
    assert [f for _, f in got] == station_fleet([trike, VAN], 330)


def test_smallest_capacity_by_hand():
    # two routes of 150 and 120 on board: 200 + 120 (whole van first, then the remainder) = 320;
    # 319 would give 200 + 119, one short
    n, place = smallest_capacity([VAN], {0: [150, 120]}, 270)
    assert n == 320 and place == [(0, 0), (1, 0)]
    # three routes of 200: three whole vans
    assert smallest_capacity([VAN], {0: [200, 200, 200]}, 600)[0] == 600
    # the largest load takes the largest van, whatever the route order
    n, place = smallest_capacity([VAN], {0: [30, 200]}, 230)
    assert n == 230 and place == [(1, 0), (0, 0)]
    # a mixed fleet: a trike route (40) and a van route (180) need 200 (one van) + 50 (one trike whole)
    trike = VAN.__class__(**{**vars(VAN), "name": "e_trike", "capacity": 50, "count": 2})
    n, place = smallest_capacity([trike, VAN], {0: [40], 1: [180]}, 220)
    assert n == 250 and [capped_fleet([trike, VAN], n)[j][1].name for j, _ in place] == ["e_trike", "light_van"]


def test_limited_fleet_plans_within_it_and_lists_the_rest(tmp_path):
    """Two vans of 20 at the station for the test county's villages k = 1..8 (10·k parcels a day, one
    delivery day a week): villages 1 and 2 (10 and 20 parcels) get one van each, 3..8 (30..80) are larger
    than any van (each split into visits of at most 20, which the two vans have no room for).  The diagnosis of those re-solves with one van fewer, warm-started from the two-van plan:
    that used to be an internal error (PyVRP: "Used more than 1 vehicles of type 0")."""
    fleet = ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "van20"\ncount = 2\n'
             'capacity = 20\n')
    scn = write_scenario(tmp_path / "small", toml_extra="[routing]\ndelivery_days_per_week = 1\n"
                         "time_limit_s = 0.3\n\n" + fleet)
    out = tmp_path / "out"
    r = run_cli("route", scn, "--mode", "shared", "--out", out, "--no-map", "--quiet", "--lang", "en")
    assert r.returncode == 0, r.stdout + r.stderr
    routes = pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig", dtype=str)
    vans = routes[routes["echelon"] == "last_mile"]
    assert 1 <= vans["vehicle_id"].nunique() <= 2 and set(vans["capacity"]) == {"20"}
    plan = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    villages = {f"37078200100{k}" for k in range(1, 9)}
    routed = set(plan.loc[plan["stop_kind"].str.startswith("village"), "stop_id"])
    assert routed == {"370782001001", "370782001002"}
    assert set(uns["stop_id"]) == villages - routed
    # villages 3..8 are larger than a van: split into ⌈10·k / 20⌉ visits (2, 2, 3, 3, 4, 4), none of which the two
    # busy vans can make
    assert uns.groupby("stop_id").size().tolist() == [2, 2, 3, 3, 4, 4]
    assert uns.astype({"delivery": int}).groupby("stop_id")["delivery"].sum().tolist() == [30, 40, 50, 60, 70, 80]
    assert set(uns["reason_code"]) == {"fleet_too_small"} and uns["reason"].str.len().min() > 0
