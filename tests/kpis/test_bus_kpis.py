"""K6 (客货邮合作线路) and K7 on a bus-fed plan: three stations on one road stocked by bus B1 leaving the county
centre at 07:00, after the parcels arrive at 06:00 (the county of tests/routing/test_bus.py)."""
from __future__ import annotations

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.kpis.indicators import KpiInputs, compute_kpis
from culture_logistics.routing.plan import plan_routes

VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
ROUTING = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
           "time_limit_s = 0.5\n")
BUS = ('[[bus_line]]\nid = "B1"\nname = "城乡公交1路"\nstops = ["HUB", "P1", "P2", "P3"]\ndepartures = ["07:00"]\n'
       "parcels_per_run = 100\nprice_per_parcel = 1.0\n")


def test_bus_line_carries_parcels_down_and_up(tmp_path):
    vill = [f"370782001001,兴华社区,370782001,{LON0 + 7 * STEP:.6f},{LAT},1000,10,2",
            f"370782002001,岔道口社区,370782002,{LON0 + 13 * STEP:.6f},{LAT},1000,10,2",
            f"370782003231,东楼社区,370782003,{LON0 + 19 * STEP:.6f},{LAT},1000,10,2"]
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0:.2f},{LAT},,",
           f"P1,密州邮政站,postal,township,{LON0 + 6 * STEP:.2f},{LAT},,10",
           f"P2,龙都邮政站,postal,township,{LON0 + 12 * STEP:.2f},{LAT},,10",
           f"P3,舜王邮政站,postal,township,{LON0 + 18 * STEP:.2f},{LAT},,10"]
    scn = load_scenario(write_scenario(tmp_path / "s", villages=vill, facilities=fac, village_header=VHEADER,
                                       toml_extra=ROUTING + "\n" + BUS))
    plan = plan_routes(scn, "shared")
    t = compute_kpis(KpiInputs.from_results(scn, compute_coverage(scn), plan))
    # one line, 3 stations × 10 parcels down and × 2 up a day (one delivery day a week)
    assert (t.value("K6"), t.value("K6-down"), t.value("K6-up")) == (1, 30, 6)
    # the bus leaves at 07:00, after the 06:00 arrival: every parcel arrives the same day
    assert t.value("K7-24h") == 100.0 and t.value("K7-villages-24h") == 100.0
    st = plan.plan_table()
    starts = st[st["stop_kind"].isin(["village_centre", "village_point"])]["service_start_min"]
    assert t.value("K11-lead") == round((starts.max() - 360) / 60, 2)
    lines = t.lines.set_index("line_id")
    assert lines.loc["B1", "kind"] == "bus" and lines.loc["B1", "parcels_down"] == 30
