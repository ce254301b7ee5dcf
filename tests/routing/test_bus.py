"""Parcels on county bus lines (客货邮融合): culture_logistics.routing.bus and [[bus_line]].

The county is conftest's straight road along lat 36.0 (a vertex every 0.01° of longitude, SEG metres
apart, 36 km/h): the county hub at vertex 0 and three postal stations P1, P2, P3 at vertices 6, 12 and
18, each with one village a vertex further east (10 parcels in, 2 out a day) and a capacity_per_day of 10:
under the county-wide assignment (the default) each station then serves its own village (without the cap
one light van from P2 would serve all three and P1, P3 would have no parcels).  The routing defaults
apply otherwise (the night trunk at 04:00 included).  A van-only trunk is one
default trunk van (320 CNY/day + 1.5 CNY/km) out to P3 and back: 320 + 1.5 × 2 × 18 × SEG / 1000.  The
bus B1 calls HUB → P1 → P2 → P3 at 35 km/h and charges 1 CNY a parcel: 3 × (10 + 2) = 36 CNY.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest
from pyproj import Geod

from conftest import LAT, LON0, STEP, run_cli, write_scenario

SEG = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]
VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
ROUTING = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
           "time_limit_s = 0.5\n")


def bus(dep='"07:00"', stops='["HUB", "P1", "P2", "P3"]', per_run=100, price=1.0, extra="") -> str:
    return (f'[[bus_line]]\nid = "B1"\nname = "城乡公交1路"\nstops = {stops}\ndepartures = [{dep}]\n'
            f"parcels_per_run = {per_run}\nprice_per_parcel = {price}\n{extra}")


def county(folder, extra: str = "", parcels=(10, 2)):
    a, b = parcels
    vill = [f"370782001001,兴华社区,370782001,{LON0 + 7 * STEP:.6f},{LAT},1000,{a},{b}",
            f"370782002001,岔道口社区,370782002,{LON0 + 13 * STEP:.6f},{LAT},1000,{a},{b}",
            f"370782003231,东楼社区,370782003,{LON0 + 19 * STEP:.6f},{LAT},1000,{a},{b}"]
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0:.2f},{LAT},,",
           f"P1,密州邮政站,postal,township,{LON0 + 6 * STEP:.2f},{LAT},,10",
           f"P2,龙都邮政站,postal,township,{LON0 + 12 * STEP:.2f},{LAT},,10",
           f"P3,舜王邮政站,postal,township,{LON0 + 18 * STEP:.2f},{LAT},,10",
           f"V1,兴华服务点,postal,village,{LON0 + 7 * STEP:.2f},{LAT},,"]
    return write_scenario(folder, villages=vill, facilities=fac, village_header=VHEADER,
                          toml_extra=ROUTING + "\n" + extra)


def plan(path):
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    return plan_routes(load_scenario(path), "shared")


def check_bus_rows(p) -> pd.DataFrame:
    """The bus rows of route_plan: depot first and last, the load follows the parcels, within the run's capacity."""
    st = p.plan_table()
    rt = p.routes_table().set_index("route_id")
    b = st[st["echelon"] == "bus"]
    for rid, g in b.groupby("route_id"):
        g = g.reset_index(drop=True)
        assert g["stop_kind"].iat[0] == g["stop_kind"].iat[-1] == "depot"
        load = g["load_after"].iat[0]
        assert load == g["delivered"].sum() <= rt.at[rid, "capacity"]
        for row in g.iloc[1:-1].itertuples():
            load = load - row.delivered + row.picked_up
            assert row.load_after == load <= rt.at[rid, "capacity"]
        assert g["leg_m"].sum() == rt.at[rid, "distance_m"]
    return b


def test_a_cheap_timely_bus_carries_three_stations_and_the_plan_costs_less(tmp_path):
    without = plan(county(tmp_path / "nobus"))
    withbus = plan(county(tmp_path / "bus", bus()))
    van_trunk = round(320 + 1.5 * 2 * 18 * SEG / 1000, 2)
    assert (without.params.assignment, without.params.trunk_start_s) == ("county", 4 * 3600)  # the defaults
    assert without.moved == [] and withbus.moved == []
    assert without.summary()["trunk"]["cost_cny"] == pytest.approx(van_trunk, abs=0.02)
    b = check_bus_rows(withbus)
    assert list(b["stop_id"]) == ["HUB", "P1", "P2", "P3", "HUB"]
    assert set(b["vehicle_id"]) == {"B1@07:00"}
    # arrival at P1: 07:00 + 6 × SEG at 35 km/h; P3 the same 18 × SEG later
    assert b["arrival_min"].iat[1] * 60 == pytest.approx(7 * 3600 + round(6 * SEG / (35 / 3.6)), abs=1)
    assert b["arrival_min"].iat[3] * 60 == pytest.approx(7 * 3600 + round(18 * SEG / (35 / 3.6)), abs=1)
    routes = withbus.routes_table()
    assert routes.loc[routes["echelon"] == "bus", "cost"].tolist() == [36.0]
    assert (routes["echelon"] != "trunk").all()  # no van on the trunk at all
    s = withbus.summary()["bus"]
    assert s["stations"] == ["P1", "P2", "P3"]
    assert (s["parcels_delivered"], s["parcels_picked_up"], s["bus_cost_cny"]) == (30, 6, 36.0)
    assert s["van_only_trunk_cost_cny"] == pytest.approx(van_trunk, abs=0.02)
    assert s["saving_cny"] == pytest.approx(van_trunk - 36.0, abs=0.02)
    # the whole plan is cheaper by exactly that saving (the last mile is the same: the bus is there before 08:00)
    assert without.summary()["cost_cny"] - withbus.summary()["cost_cny"] == pytest.approx(s["saving_cny"], abs=0.02)
    assert len(withbus.unserved) == 0
    # the bus km are not the plan's vehicle km; the fares are its cost
    assert withbus.summary()["distance_km"] == pytest.approx(3 * 2 * SEG / 1000, abs=0.05)


def test_a_bus_too_late_for_the_vans_is_not_used(tmp_path):
    """At 17:55 the bus reaches P1 after 18:00; each station's vans need their parcels by 17:51
    (18:00 − their 8.5-minute run)."""
    p = plan(county(tmp_path / "late", bus('"17:55"')))
    assert not (p.routes["echelon"] == "bus").any()
    s = p.summary()["bus"]
    assert s["stations"] == [] and s["saving_cny"] == 0
    nu = s["by_trunk"][0]["not_used"]
    assert set(nu) == {"P1", "P2", "P3"} and all(v.startswith("too late") for v in nu.values())
    assert s["by_trunk"][0]["deadlines"]["P1"] == "17:51"
    assert list(p.stops.loc[p.stops["echelon"] == "trunk", "stop_id"]) == ["HUB", "P1", "P2", "P3", "HUB"]


def test_given_times_and_vans_that_wait_for_the_bus(tmp_path):
    """times_min sets the arrivals (07:30 + 70, 100, 130 min); each station's vans leave when the bus is in."""
    p = plan(county(tmp_path / "t", bus('"07:30"', extra="times_min = [0, 70, 100, 130]\n")))
    b = check_bus_rows(p)
    arr = dict(zip(b["stop_id"], b["arrival_min"]))
    assert {k: arr[k] for k in ("P1", "P2", "P3")} == {"P1": 520, "P2": 550, "P3": 580}
    lm = p.stops[(p.stops["echelon"] == "last_mile") & (p.stops["seq"] == 0)].set_index("stop_id")
    for sid in ("P1", "P2", "P3"):
        assert lm.at[sid, "arrival_min"] == pytest.approx(arr[sid], abs=0.02)
    assert len(p.unserved) == 0


def test_a_bus_that_saves_no_van_km_is_not_used(tmp_path):
    """A run of 25 parcels has room for P1 and P2 (20 on board, then −10 + 2 = 12, −10 + 2 = 4) but not P3
    too, so a van still drives to P3 and passes P1 and P2 on its way: the 24 CNY of fares would save
    nothing but the stops' minutes, and the plan keeps them on the van."""
    p = plan(county(tmp_path / "small", bus(per_run=25)))
    assert not (p.routes["echelon"] == "bus").any()
    nu = p.summary()["bus"]["by_trunk"][0]["not_used"]
    assert nu["P3"].startswith("no room")
    assert nu["P1"].startswith("dearer by bus") and nu["P2"].startswith("dearer by bus")
    trunk = p.stops[(p.stops["echelon"] == "trunk") & (p.stops["stop_kind"] == "station")]
    assert sorted(trunk["stop_id"]) == ["P1", "P2", "P3"]


@pytest.mark.slow  # a CLI subprocess
def test_cli_writes_bus_legs(tmp_path):
    path = county(tmp_path / "c", bus())
    out = tmp_path / "out"
    res = run_cli("route", "--lang", "en", path, "--mode", "shared", "--no-map", "--quiet", "--out", out)
    assert res.returncode == 0, res.stderr
    rp = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    rs = pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig")
    assert set(rp.loc[rp["echelon"] == "bus", "vehicle_id"]) == {"B1@07:00"}
    assert rs.loc[rs["echelon"] == "bus", "cost"].sum() == 36.0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["bus"]["stations"] == ["P1", "P2", "P3"]
    assert "bus" in res.stdout


@pytest.mark.parametrize("extra, column, text", [
    (bus(stops='["HUB", "P9", "P2"]'), "bus_line[1].stops", "'P9' is not a facility id"),
    (bus(stops='["P1", "HUB", "P2"]'), "bus_line[1].stops", "first stop must be a county depot"),
    (bus(stops='["HUB", "V1"]'), "bus_line[1].stops", "tier village"),
    (bus(stops='["HUB", "P1", "P1"]'), "bus_line[1].stops", "more than once"),
    (bus(stops='"HUB"'), "bus_line[1].stops", "list of at least two facility ids"),
    (bus(dep='"7:75"'), "bus_line[1].departures", "'7:75' is not a time"),
    (bus(per_run=0), "bus_line[1].parcels_per_run", "must be ≥ 1"),
    (bus(price=-1), "bus_line[1].price_per_parcel", "must be ≥ 0"),
    (bus(extra="speed_kmh = 0\n"), "bus_line[1].speed_kmh", "must be ≥ 1"),
    (bus(extra="times_min = [0, 10]\n"), "bus_line[1].times_min", "one number of minutes per stop"),
    (bus(extra="times_min = [0, 30, 20, 40]\n"), "bus_line[1].times_min", "never decreasing"),
    (bus(extra="speed_kph = 30\n"), "bus_line[1].speed_kph", "did you mean 'speed_kmh'"),
    (bus().replace("parcels_per_run = 100\n", ""), "bus_line[1].parcels_per_run", "missing"),
    (bus() + bus(), "bus_line[2].id", "already used by bus_line[1]"),
])
def test_bad_bus_line_is_reported(tmp_path, extra, column, text):
    from culture_logistics.errors import ScenarioError
    from culture_logistics.inputs.scenario import load_scenario

    with pytest.raises(ScenarioError) as e:
        load_scenario(county(tmp_path / "bad", extra))
    msgs = [(p.column, p.message) for p in e.value.problems]
    assert any(c == column and text in m for c, m in msgs), msgs


@pytest.mark.slow  # a CLI subprocess
def test_bad_bus_line_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    res = run_cli("route", "--lang", "en", county(tmp_path / "bad", bus(dep='"25:00"')), "--mode", "shared", "--out", out)
    assert res.returncode == 2 and "bus_line[1].departures" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
