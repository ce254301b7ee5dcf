"""邮快合作 (culture_logistics.routing.cooperation): a postal station's capacity_per_day bounds the postal and
courier parcels its vans leave with, as in the shared and separate plans.

conftest's straight road (a vertex every 0.01° of longitude along lat 36.0).  Township 370782001 has six
villages at vertices 2, 4 … 12 with 10, 20 … 60 parcels in and 1 … 6 out a day and its postal station P1
at vertex 0; township 370782002 one village at vertex 18 (5 parcels) and postal station P2 at vertex 20.
With the default shares the postal vans carry the postal + courier parcels: 168 of township 001's 210
and 4 of the 5 at vertex 18 (largest remainder), 172 in all.  Everything is checked from the written files.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.routes import write_plan
from culture_logistics.routing.cooperation import plan_postal_courier
from culture_logistics.routing.specs import build_context, split_by_shares

VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
VILLAGES = [f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * 2 * k:.6f},{LAT},1000,{10 * k},{k}" for k in range(1, 7)]
VILLAGES += [f"370782002001,乙村1,370782002,{LON0 + STEP * 18:.6f},{LAT},1000,5,0"]
CODES = {v.split(",")[0] for v in VILLAGES}
PARCELS = {v.split(",")[0]: (int(v.split(",")[6]), int(v.split(",")[7])) for v in VILLAGES}


def _scenario(folder: Path, cap1: int, cap2: int | str, assignment: str = "county") -> Path:
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"PC,邮政县中心,postal,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"CC,快递县分拨,courier,county,{LON0 + 11 * STEP:.2f},{LAT},,",
           f"SC,供销县中心,supply_coop,county,{LON0 + 9 * STEP:.2f},{LAT},,",
           f"P1,邮政站,postal,township,{LON0:.2f},{LAT},,{cap1}",
           f"P2,乙邮政站,postal,township,{LON0 + 20 * STEP:.2f},{LAT},,{cap2}",
           f"S1,供销站,supply_coop,township,{LON0 + 2 * STEP:.2f},{LAT},,"]
    return write_scenario(folder, villages=VILLAGES, facilities=fac, village_header=VHEADER,
                          toml_extra=f'[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 0.5\nassignment = "{assignment}"\n')


def _plan(path: Path, out: Path):
    scn = load_scenario(path)
    plan = plan_postal_courier(build_context(scn, RoutingParams.from_scenario(scn)))
    write_plan(plan, out, map_html=False)
    return plan, pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})


def _check(out: Path) -> dict[str, int]:
    """From the written files alone: every route leaves and returns to its depot with the load never below 0
    or above the van's capacity; each operator's last mile serves a village at most once and never one it
    lists unserved.  Returns {station: inbound parcels its last-mile vans leave with}."""
    rows = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str, "route_id": str})
    cap = dict(pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig", dtype={"route_id": str})
               [["route_id", "capacity"]].itertuples(index=False))
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    inbound: dict[str, int] = {}
    for rid, g in rows.groupby("route_id", sort=False):
        assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot" and g["stop_id"].iat[0] == g["stop_id"].iat[-1]
        load = int(g["delivered"].iloc[1:-1].sum())
        assert g["load_after"].iat[0] == load <= cap[rid], rid
        for r in g.iloc[1:-1].itertuples():
            load += int(r.picked_up) - int(r.delivered)
            assert 0 <= load <= cap[rid] and load == r.load_after, rid
        if g["echelon"].iat[0] == "last_mile":
            inbound[g["stop_id"].iat[0]] = inbound.get(g["stop_id"].iat[0], 0) + int(g["delivered"].iloc[1:-1].sum())
    for op, g in rows[(rows["echelon"] == "last_mile") & (rows["stop_kind"] != "depot")].groupby("operator"):
        assert g["stop_id"].is_unique, op
        assert not set(g["stop_id"]) & set(uns.loc[uns["operator"] == op, "stop_id"]), op
    return inbound


def _served_from(rows: pd.DataFrame, operator: str) -> dict[str, str]:
    """village code → the station whose last-mile van serves it (from route_plan.csv)."""
    lm = rows[(rows["operator"] == operator) & (rows["echelon"] == "last_mile")]
    depot = lm.groupby("route_id")["stop_id"].first()
    body = lm[lm["stop_kind"] != "depot"]
    return dict(zip(body["stop_id"], body["route_id"].map(depot)))


def test_township_assignment_overloads_p1(tmp_path):
    """Without the county-wide last mile (capacity only a note) P1 sends out all 168 parcels of its
    township: the capacity of 60 below binds."""
    plan, rows = _plan(_scenario(tmp_path / "t", 60, 120, "township"), tmp_path / "t_out")
    assert _check(tmp_path / "t_out")["P1"] == 168
    assert any("P1" in w and "capacity_per_day 60" in w for w in plan.warnings)


@pytest.mark.parametrize("cap2", [120, 60])
def test_postal_stations_never_send_out_more_than_their_capacity(tmp_path, cap2):
    """P1 may send out 60, P2 ``cap2``: with 120 there is room for all 172 parcels, with 60 not (the
    villages left out are ``station_capacity``).  Either way no station's vans leave with more than its
    capacity, each village is served once or listed, the courier trunk brings each station the courier
    share of exactly the villages assigned to it, and the villages moved are those served across the line."""
    out = tmp_path / f"out{cap2}"
    plan, rows = _plan(_scenario(tmp_path / f"c{cap2}", 60, cap2), out)
    inbound = _check(out)
    cap = {"P1": 60, "P2": cap2}
    assert all(n <= cap.get(d, float("inf")) for d, n in inbound.items()), inbound
    assert inbound["P1"] > 0 and inbound["P2"] > 0
    s = plan.summary()
    assert {d: s["station_load"][d]["inbound"] for d in ("P1", "P2")} == {d: inbound[d] for d in ("P1", "P2")}
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    served = _served_from(rows, "postal")
    if cap2 == 120:
        assert len(uns) == 0 and sum(inbound[d] for d in ("P1", "P2")) == 172
    else:
        left = uns[uns["operator"] == "postal"]
        assert len(left) and set(left["reason_code"]) == {"station_capacity"}
        assert all(f.startswith(f"raise capacity_per_day of station {d} ") for d, f in zip(left["depot_id"],
                                                                                          left["smallest_fix"]))
        assert set(served) | set(left["stop_id"]) == CODES
    # the courier trunk: to each postal station the courier share of the villages its vans serve (and, as
    # the trunks of every plan do, of those it leaves unserved: their parcels reach the station)
    shares = RoutingParams().shares
    want: dict[str, int] = {}
    at = served | dict(zip(uns.loc[uns["operator"] == "postal", "stop_id"], uns.loc[uns["operator"] == "postal",
                                                                                    "depot_id"]))
    for code, st in at.items():
        want[st] = want.get(st, 0) + split_by_shares(PARCELS[code][0], shares)["courier"]
    want = {k: v for k, v in want.items() if v}
    ct = rows[(rows["operator"] == "courier") & (rows["stop_kind"] == "station")]
    assert set(rows.loc[rows["operator"] == "courier", "echelon"]) == {"trunk"}
    assert ct.groupby("stop_id")["delivered"].sum().to_dict() == want
    moved = {m["village_code"]: m["station_id"] for m in s["villages_moved"] if m["operator"] == "postal"}
    home = {c: ("P1" if c.startswith("370782001") else "P2") for c in CODES}
    assert moved == {c: st for c, st in served.items() if st != home[c]}
    assert moved and all(m["home_station_id"] == home[m["village_code"]] for m in s["villages_moved"]
                         if m["operator"] == "postal")


def test_compare_passes_on_the_notes_of_the_postal_courier_plan(tmp_path):
    """``route --mode compare`` reports 邮快合作's notes too (here its villages moved to P2, P1 being full)."""
    from culture_logistics.app.routing import run_routing
    from culture_logistics.inputs.scenario import load_scenario as load

    events = []
    res, _ = run_routing(load(_scenario(tmp_path / "scn", 60, "")), "compare", tmp_path / "out", map_html=False,
                         sharing=False, progress=lambda event, stage, message, **kw: events.append((event, message)))
    notes = [m for e, m in events if e == "warning"]
    assert res.postal_courier.warnings
    assert all(any(n == f"postal_courier: {w}" or n == w for n in notes) for w in res.postal_courier.warnings)
    assert any(n.startswith("postal_courier:") for n in notes)
