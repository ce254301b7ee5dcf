"""Visit days chosen by routing cost (routing.visit_days): the ruin-and-recreate search on hand-checkable
day routes, and the county weekly plan with ``[routing] visit_days = "routed"`` on conftest's straight road."""
from __future__ import annotations

import numpy as np
import pytest
from test_plan import HUB, P1, VHEADER, fleet, village

from conftest import write_scenario
from culture_logistics.config.routing import parse_routing_config
from culture_logistics.errors import ScenarioError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing.visit_days import DayProblem, improve_days
from culture_logistics.routing.weekly import plan_week


def test_neighbours_end_up_on_the_same_day():
    """Depot at 0; stops 1, 2 at x = 10, 11 and stops 3, 4 at x = -10, -11; two days, one visit each, one van
    of capacity 4 a day.  The balanced start (1, 3 on day 1; 2, 4 on day 2) drives to both sides every day:
    40 + 44 = 84.  Each side must be reached (2 · 11 at least), so 44 is the optimum: neighbours on one day."""
    x = np.array([0.0, 10.0, 11.0, -10.0, -11.0])
    real = np.abs(x[:, None] - x[None, :])
    prob = DayProblem(real, np.ones(4), np.zeros(4), [4.0, 4.0], [0.0, 0.0], 1, [[(1,), (2,)]] * 4)
    got, before, after = improve_days(prob, [(1,), (2,), (1,), (2,)], steps=50, seed=0)
    assert before == pytest.approx(84.0) and after == pytest.approx(44.0)
    assert got[0] == got[1] and got[2] == got[3]
    # deterministic: the same seed, the same days
    assert improve_days(prob, [(1,), (2,), (1,), (2,)], steps=50, seed=0)[0] == got


def test_a_full_van_keeps_the_balance():
    """The same stops with a van of capacity 1 a day: a day cannot take two stops, nothing moves."""
    x = np.array([0.0, 10.0, 11.0])
    real = np.abs(x[:, None] - x[None, :])
    prob = DayProblem(real, np.ones(2), np.zeros(2), [1.0, 1.0], [0.0, 0.0], 1, [[(1,), (2,)]] * 2)
    got, before, after = improve_days(prob, [(1,), (2,)], steps=20, seed=0)
    assert got == [(1,), (2,)] and before == after == pytest.approx(42.0)


def _line_county(tmp_path, visit_days: str):
    # six villages at vertices 2, 4, …, 12 of the road (station P1 at vertex 0), 10 parcels a week each, one visit
    # a week over two delivery days; vans of 40: one van a day carries three villages
    vs = [village(k, 2 * k, 10) for k in range(1, 7)]
    routing = ("[routing]\ndelivery_days_per_week = 2\nmin_visits_per_week = 1\nparcels_per_visit = 10\n"
               f'service_min = 5\nservice_min_per_parcel = 0\ntime_limit_s = 0.5\nvisit_days = "{visit_days}"\n')
    scn = write_scenario(tmp_path / visit_days, villages=vs, facilities=[HUB, P1], village_header=VHEADER,
                         toml_extra=routing + "\n" + fleet(capacity=40, count=3))
    return plan_week(load_scenario(scn), "shared")


def test_routed_visit_days_group_the_far_villages(tmp_path):
    balanced = _line_county(tmp_path, "balanced")
    routed = _line_county(tmp_path, "routed")
    days = routed.visits_table().set_index("village_code")["visit_days"].astype(str)
    near, far = {days[f"370782001{k:03d}"] for k in (1, 2)}, {days[f"370782001{k:03d}"] for k in (3, 4, 5, 6)}
    # by hand on the line from the station: a day's van goes as far as its farthest village and back.  Balanced
    # (three a day, one van of 40 a day) costs 2·12 + 2·10 vertices; the farthest day taking a full van (four
    # villages, 40 parcels) leaves villages 1, 2 to the other: 2·12 + 2·4 = 32, the least (the near day must
    # take two villages, so it reaches vertex 4 at least)
    assert len(near) == len(far) == 1 and near != far, days.to_dict()
    b, r = balanced.summary()["week"], routed.summary()["week"]
    assert r["unserved_stops"] == b["unserved_stops"] == 0
    assert r["distance_km"] < b["distance_km"]
    assert r["parcels_delivered"] == b["parcels_delivered"] == 60
    # the balanced plan keeps its days (one village in, one out, in code order)
    assert balanced.visits_table()["visits_per_week"].tolist() == [1] * 6
    assert routed.summary()["params"]["visit_days"] == "routed"
    assert "visit_days" not in balanced.summary()["params"]


def test_visit_days_key_is_checked():
    with pytest.raises(ScenarioError) as e:
        parse_routing_config({"routing": {"visit_days": "route"}}, "scenario.toml")
    text = str(e.value)
    assert "routing.visit_days" in text and "scenario.toml" in text and "routed" in text, text
    assert parse_routing_config({"routing": {"visit_days": "routed"}}).visit_days == "routed"
    assert parse_routing_config({}).visit_days == "balanced"
