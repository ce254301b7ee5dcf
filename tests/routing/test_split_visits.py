"""A village with more parcels than the largest vehicle carries is visited more than once (split delivery),
not left out as ``demand_exceeds_capacity``."""
from __future__ import annotations

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.kpis.indicators import KpiInputs, compute_kpis
from culture_logistics.routing.plan import plan_routes
from culture_logistics.routing.specs import StopSpec, split_oversized


def test_split_oversized_parts_add_up():
    s = StopSpec("370782001001", "大村", "village_centre", 119.4, 36.0, 594, 79, 0, delivery_cultural=10,
                 pickup_cultural=None)
    parts = split_oversized([s], 250, 2.0, 0.1)
    # ⌈594 / 250⌉ = 3 visits of 198 parcels; 79 pickups as 27 + 26 + 26; 10 cultural as 4 + 3 + 3
    assert [p.stop_id for p in parts] == ["370782001001#1", "370782001001#2", "370782001001#3"]
    assert [p.code for p in parts] == ["370782001001"] * 3
    assert [(p.delivery, p.pickup, p.delivery_cultural, p.pickup_cultural) for p in parts] == [
        (198, 27, 4, None), (198, 26, 3, None), (198, 26, 3, None)]
    assert [p.service_s for p in parts] == [round(60 * (2 + 0.1 * 225)), round(60 * (2 + 0.1 * 224)),
                                            round(60 * (2 + 0.1 * 224))]
    small = StopSpec("370782001002", "小村", "village_centre", 119.4, 36.0, 250, 250, 60)
    assert split_oversized([small], 250, 2.0, 0.1) == [small]   # exactly one vehicle's load: one visit


def test_big_village_gets_two_vans(tmp_path):
    # vans of 25 parcels; village 1 receives 40 a day (two visits of 20), village 2 receives 10
    header = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
    villages = [f"370782001001,大村,370782001,{LON0 + STEP * 2:.6f},{LAT},1000,40,0",
                f"370782001002,小村,370782001,{LON0 + STEP * 4:.6f},{LAT},1000,10,0"]
    facilities = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
                  f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,"]
    fleet = '[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "van25"\ncount = 3\ncapacity = 25\n'
    toml = write_scenario(tmp_path / "big", villages=villages, facilities=facilities, village_header=header,
                          toml_extra="[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 1\n\n" + fleet)
    scn = load_scenario(toml)
    plan = plan_routes(scn, "shared")
    assert plan.unserved.empty
    st = plan.stops
    big = st[(st["echelon"] == "last_mile") & (st["stop_id"] == "370782001001")]
    assert sorted(big["delivered"]) == [20, 20] and big["route_id"].nunique() == 2
    assert (st.loc[st["echelon"] == "last_mile", "load_after"] <= 25).all()
    assert int(st.loc[(st["echelon"] == "last_mile") & (st["stop_id"] == "370782001002"), "delivered"].sum()) == 10
    # the province upload table lists the village once for the day, with its 40 parcels
    kpis = compute_kpis(KpiInputs.from_results(scn, compute_coverage(scn), plan))
    vp = kpis.village_points.set_index("village_code")
    assert vp.loc["370782001001", "parcels_in"] == 40 and vp.index.is_unique
