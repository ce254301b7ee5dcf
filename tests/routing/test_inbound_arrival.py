"""[routing] inbound_arrival: the default leaves the plan as trunk_start makes it; set, the trunk waits for it."""
from __future__ import annotations

import pytest

from conftest import write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.errors import ScenarioError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing.plan import plan_routes


def _trunk_departures(plan) -> list[float]:
    s = plan.stops
    return sorted(s[(s["echelon"] == "trunk") & (s["seq"] == 0)]["departure_min"].tolist())


@pytest.mark.parametrize("extra, given, want", [
    ("", False, 4 * 60),                                  # the night trunk of trunk_start = 04:00, unchanged
    ('[routing]\ninbound_arrival = "06:30"\n', True, 6 * 60 + 30),   # waits for the parcels
    ('[routing]\ninbound_arrival = "03:00"\n', True, 4 * 60),        # already there: trunk_start decides
])
def test_trunk_leaves_not_before_inbound_arrival(tmp_path, extra, given, want):
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra=extra))
    p = RoutingParams.from_scenario(scn)
    assert p.inbound_arrival_given is given
    assert p.inbound_arrival_s == (6 * 3600 if not given else (6 * 3600 + 1800 if "06:30" in extra else 3 * 3600))
    plan = plan_routes(scn, "shared", p)
    assert _trunk_departures(plan) == [want]
    assert plan.summary()["params"]["inbound_arrival"] == ("06:30" if "06:30" in extra else
                                                           "03:00" if "03:00" in extra else "06:00")


def test_bad_inbound_arrival_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        RoutingParams.from_scenario(load_scenario(write_scenario(tmp_path / "s",
                                                                 toml_extra='[routing]\ninbound_arrival = "6h"\n')))
    assert any(p.column == "routing.inbound_arrival" for p in exc.value.problems)
