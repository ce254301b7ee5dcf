"""The trunk brings a station what its vans deliver, not the villages its last mile had to leave out."""
from __future__ import annotations

from conftest import station_capacity_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing.plan import plan_routes


def test_trunk_carries_only_what_the_station_delivers(tmp_path):
    # station P1 may send out 25 parcels a day: two of its four 10-parcel villages, 20 parcels, are served
    plan = plan_routes(load_scenario(station_capacity_scenario(tmp_path / "cap")), "shared")
    st = plan.stops
    lm = st[(st["echelon"] == "last_mile") & st["stop_kind"].str.startswith("village")]
    assert len(lm) == 2 and int(lm["delivered"].sum()) == 20
    un = plan.unserved
    assert sorted(un["reason_code"]) == ["station_capacity", "station_capacity"]
    trunk = st[(st["echelon"] == "trunk") & (st["stop_kind"] == "station")]
    # before: the trunk unloaded 40 at P1, the parcels of all four villages
    assert trunk[["stop_id", "delivered"]].values.tolist() == [["P1", 20]]
