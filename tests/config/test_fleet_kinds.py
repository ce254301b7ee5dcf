"""[[fleet]] kind and range_km: the kind's defaults, explicit keys overriding them, clear errors."""
import tomllib

import pytest

from culture_logistics.config.routing import parse_routing_config
from culture_logistics.errors import CultureLogisticsError


def _fleet(body: str):
    return parse_routing_config(tomllib.loads(body), file="my/scenario.toml").fleet


def test_kind_gives_its_defaults():
    (e,) = _fleet('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nkind = "e_tricycle"\n')
    assert (e.kind, e.name, e.capacity, e.range_km, e.speed_factor) == ("e_tricycle", "e_tricycle", 50, 40.0, 0.6)
    assert e.max_distance_m == 40_000
    # the rest comes from the echelon's default vehicle
    assert (e.count, e.cost_per_km, e.fixed_cost, e.max_shift_h) == (6, 0.75, 220.0, 9.0)
    (v,) = _fleet('[[fleet]]\noperator = "postal"\nechelon = "last_mile"\nkind = "ev_van"\n')
    assert (v.capacity, v.range_km, v.max_distance_m) == (100, 80.0, 80_000)
    (t,) = _fleet('[[fleet]]\noperator = "postal"\nechelon = "trunk"\nkind = "truck"\n')
    assert (t.capacity, t.range_km, t.max_distance_m, t.speed_factor) == (1000, None, None, 1.0)


def test_explicit_keys_override_the_kind():
    (e,) = _fleet('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nkind = "ev_van"\n'
                  'capacity = 150\nrange_km = 90\nname = "wuling_ev"\n')
    assert (e.name, e.capacity, e.range_km, e.max_distance_m, e.speed_factor) == ("wuling_ev", 150, 90.0, 90_000, 0.85)


def test_no_kind_is_as_before():
    (e,) = _fleet('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\n')
    assert (e.kind, e.range_km, e.max_distance_m, e.name, e.capacity) == (None, None, None, "light_van", 200)
    (r,) = _fleet('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nrange_km = 12.5\n')
    assert (r.kind, r.max_distance_m, r.capacity) == (None, 12_500, 200)


@pytest.mark.parametrize("line, words", [
    ('kind = "e_trike"', ["my/scenario.toml", "fleet[1].kind", "e_tricycle", "'e_trike'"]),
    ("range_km = -5", ["my/scenario.toml", "fleet[1].range_km", "> 0", "-5"]),
    ("range_km = 0", ["my/scenario.toml", "fleet[1].range_km", "> 0"]),
    ('range_km = "far"', ["my/scenario.toml", "fleet[1].range_km", "'far'"]),
])
def test_bad_kind_or_range_names_file_and_field(line, words):
    with pytest.raises(CultureLogisticsError) as ei:
        _fleet(f'[[fleet]]\noperator = "shared"\nechelon = "last_mile"\n{line}\n')
    text = str(ei.value)
    for w in words:
        assert w in text, (w, text)
