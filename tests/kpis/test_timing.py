"""Lead times, continuous driving and the Gini coefficient on hand-made plan tables (numbers checked by hand)."""
from __future__ import annotations

import pandas as pd
import pytest

from culture_logistics.kpis.timing import continuous_driving, gini, lead_times

COLS = ["route_id", "vehicle_id", "operator", "echelon", "seq", "stop_id", "stop_name", "stop_kind", "delivered",
        "picked_up", "load_after", "arrival_min", "leg_m", "departure_min", "service_start_min", "service_point_id"]


def _row(rid, ech, seq, sid, kind, arr, dep, start=None, d=0, p=0):
    return [rid, f"{rid}-v", "shared", ech, seq, sid, sid, kind, d, p, 0, arr, 1000, dep, start, ""]


def plan(trunk_dep: float) -> pd.DataFrame:
    """County HUB → station S by trunk (leaves ``trunk_dep``, at S 15 min later, back 35 min later); S's van
    leaves 08:00, village A at 08:00 (10 in, 2 out), village B at 09:00 (4 in), back at S 10:00."""
    rows = [_row("T1", "trunk", 0, "HUB", "depot", trunk_dep, trunk_dep),
            _row("T1", "trunk", 1, "S", "station", trunk_dep + 15, trunk_dep + 35, trunk_dep + 15, 14, 2),
            _row("T1", "trunk", 2, "HUB", "depot", trunk_dep + 50, None),
            _row("L1", "last_mile", 0, "S", "depot", 480, 480),
            _row("L1", "last_mile", 1, "A", "village_centre", 480, 490, 480, 10, 2),
            _row("L1", "last_mile", 2, "B", "village_centre", 540, 545, 540, 4, 0),
            _row("L1", "last_mile", 3, "S", "depot", 600, None)]
    return pd.DataFrame(rows, columns=COLS)


def test_night_trunk_before_the_parcels_arrive_delivers_next_day():
    """Trunk 04:00, parcels at 06:00: Monday's parcels ride Tuesday's trunk, A at 08:00: 26 h; Saturday's wait
    for Monday: 2 days + 2 h = 50 h."""
    lt = lead_times(plan(240), 360, 6)
    assert lt["A"].inbound_min == [1560, 1560, 1560, 1560, 1560, 3000]
    assert lt["B"].inbound_min == [1620] * 5 + [3060]
    assert lt["A"].delivered_per_week == 60 and lt["A"].visits_per_week == 6
    # outbound: picked up 08:00, at S at 10:00, next day's trunk is back at HUB at 04:50: 20 h 50 min;
    # Saturday's pickups wait for Monday's trunk: 44 h 50 min
    assert [m for _, m in lt["A"].outbound] == [1250] * 5 + [2690]


def test_trunk_after_the_parcels_delivers_the_same_day():
    lt = lead_times(plan(390), 360, 6)      # trunk 06:30 after the 06:00 arrival
    assert lt["A"].inbound_min == [120] * 6              # 2 h on every delivery day, Saturday's too
    lt7 = lead_times(plan(390), 360, 7)
    assert lt7["B"].inbound_min == [180] * 7             # vans every day: 3 h for all


def test_weekly_plan_waits_for_the_visit_day():
    """Village A visited on days 1 and 4 only (a weekly plan): a Tuesday parcel waits for Thursday."""
    p = plan(390)
    week = pd.concat([p.assign(day=1), p.assign(day=4)], ignore_index=True)
    lt = lead_times(week, 360, 6)
    # arrivals Mon..Sat → Mon (2 h), Thu (+2 d), Thu (+1 d), Thu (2 h), Mon (+3 d), Mon (+2 d)
    assert lt["A"].inbound_min == [120, 2 * 1440 + 120, 1440 + 120, 120, 3 * 1440 + 120, 2 * 1440 + 120]
    assert lt["A"].visits_per_week == 2


@pytest.mark.parametrize("dwell, longest", [(30, 240.0), (19, 475.0), (20, 240.0)])
def test_continuous_driving_resets_at_a_stop_of_20_min(dwell, longest):
    rows = [_row("L9", "last_mile", 0, "S", "depot", 480, 480),
            _row("L9", "last_mile", 1, "A", "village_centre", 600, 610, 600),          # 120 min, 10 min stop
            _row("L9", "last_mile", 2, "B", "village_centre", 730, 730 + dwell, 730),  # +120 min, then the stop
            _row("L9", "last_mile", 3, "C", "village_centre", 870 + dwell, 875 + dwell, 870 + dwell),  # 140 min
            _row("L9", "last_mile", 4, "S", "depot", 970 + dwell, None)]              # 95 min
    cd = continuous_driving(pd.DataFrame(rows, columns=COLS))
    assert cd["max_continuous_driving_min"].tolist() == [longest]
    assert cd["driving_min"].tolist() == [475.0]


def test_gini():
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)    # Σ|xi − xj| = 24 over 2 · 4² · 1
    assert gini([5, 5, 5]) == 0.0
    assert gini([1, 3]) == pytest.approx(0.25)          # |1 − 3| · 2 / (2 · 4 · 2)
    assert gini([]) is None


def test_a_rest_row_ends_continuous_driving_and_delays_the_lead_time():
    """A rest row (stop_kind = rest, the routing's driving-time rule) after B: 120 + 120 min of driving, 20 min at
    B's place, then 140 + 95 min: the longest period is 240 min (not 475), the rest is no leg and no village;
    C's lead time counts the rest (its service starts at 14:55, 20 min later than without it; the parcels are at
    the county centre at 06:00 and its van leaves after that)."""
    rows = [_row("L9", "last_mile", 0, "S", "depot", 480, 480),
            _row("L9", "last_mile", 1, "A", "village_centre", 600, 610, 600, 1),
            _row("L9", "last_mile", 2, "B", "village_centre", 730, 735, 730, 1),
            _row("L9", "last_mile", 3, "B", "rest", 735, 755),
            _row("L9", "last_mile", 4, "C", "village_centre", 895, 900, 895, 1),
            _row("L9", "last_mile", 5, "S", "depot", 995, None)]
    p = pd.DataFrame(rows, columns=COLS)
    cd = continuous_driving(p)
    assert cd["max_continuous_driving_min"].tolist() == [240.0] and cd["driving_min"].tolist() == [475.0]
    lt = lead_times(p, 360, 6)
    assert sorted(lt) == ["A", "B", "C"] and lt["C"].inbound_min == [895 - 360] * 6
