"""A station's vans under its capacity_per_day (culture_logistics.routing.fleet): the least capacity whose
capped vans can drive given routes, counted by hand."""
from __future__ import annotations

from culture_logistics.config.routing import default_fleet_entry
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
