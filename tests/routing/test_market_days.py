"""Market days: villages visited on the weekdays they may be visited (villages.csv ``market_days``,
``[routing.market_days]``), honoured by the weekly planner, and every bad value named by file, row and field.

The county is conftest's straight road; the days are chosen so that every village's visit days can be
written down by hand (a village with market days has at most one visit per market day).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_plan import HUB, P1, VHEADER, fleet

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics.config.market_days import market_day_patterns, parse_market_days
from culture_logistics.config.routing import RoutingParams, parse_routing_config
from culture_logistics.errors import ScenarioError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing.weekly import assign_days, plan_week

# 3 delivery days, 10 parcels a visit, at least one visit
WEEK3 = ("[routing]\ndelivery_days_per_week = 3\nservice_min = 5\nservice_min_per_parcel = 0\ntime_limit_s = 0.5\n"
         "min_visits_per_week = 1\nparcels_per_visit = 10\n")


def test_market_day_values():
    assert parse_market_days("1,4") == (1, 4)
    assert parse_market_days(" 4 1 ") == (1, 4)
    assert parse_market_days("周一、周四") == (1, 4)
    assert parse_market_days("星期二;星期五") == (2, 5)
    assert parse_market_days("Mon,thu") == (1, 4)
    assert parse_market_days([5, 2, 2]) == (2, 5)
    assert parse_market_days("3.0") == (3,)  # a spreadsheet's number
    assert parse_market_days("") is None and parse_market_days(None) is None
    for bad in ("逢三六九", "三六九", "8", "14", "0", "周八", "x"):
        with pytest.raises(ValueError):
            parse_market_days(bad)


def test_market_day_patterns_by_hand():
    # two visits on market days Mon, Wed, Thu, Sat of a 6-day week: Mon/Thu and Wed/Sat are 3 days apart
    assert market_day_patterns(2, (1, 3, 4, 6), 6) == [(1, 4), (3, 6)]
    # more visits than market days: one visit per market day
    assert market_day_patterns(3, (2, 5), 6) == [(2, 5)]
    assert market_day_patterns(1, (2, 5), 6) == [(2,), (5,)]
    # market days beyond the delivery days are not days of the week's plan
    assert market_day_patterns(1, (2, 7), 6) == [(2,)]


def test_assign_days_keeps_to_market_days():
    # four villages of one township, one visit each on market days Tue or Thu of a 6-day week, equal parcels:
    # the days' loads are balanced inside the market days (two on Tuesday, two on Thursday)
    v = pd.DataFrame({"code": [f"v{i}" for i in range(4)], "township_code": "t",
                      "parcels_in_per_week": 10.0, "parcels_out_per_week": 0.0})
    p = RoutingParams(delivery_days_per_week=6)
    got = assign_days(v, np.ones(4, dtype=int), p, allowed=[market_day_patterns(1, (2, 4), 6)] * 4)
    assert got == [(2,), (4,), (2,), (4,)]


def _village(k: int, vertex: int, parcels_in: int, market: str) -> str:
    return f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * vertex:.6f},{LAT},1000,{parcels_in},0,\"{market}\""


def test_weekly_plan_visits_on_market_days(tmp_path):
    """Seven villages, three delivery days.  Visits = ⌈parcels / 10⌉ clamped to 1..3, then to the number of
    market days.  Own column first, then [routing.market_days] by village code, then by township code."""
    vs = [_village(1, 2, 30, "1,3"),     # 3 visits, market days Mon and Wed → 2 visits, (1, 3)
          _village(2, 4, 20, "周二"),    # 2 visits → 1, Tuesday
          _village(3, 6, 5, "3"),        # 1 visit, Wednesday
          _village(4, 8, 30, ""),        # village key "2" below → 1 visit on Tuesday
          _village(5, 10, 30, ""),       # township key "1,2" → 2 visits, (1, 2)
          _village(6, 12, 5, ""),        # township key: 1 visit, Monday or Tuesday
          _village(7, 14, 0, "")]        # no parcels: no visit
    md = '\n[routing.market_days]\n"370782001004" = "2"\n"370782001" = [1, 2]\n'
    scn = write_scenario(tmp_path / "county", villages=vs, facilities=[HUB, P1],
                         village_header=VHEADER + ",market_days", toml_extra=WEEK3 + md + "\n" + fleet(capacity=40))
    week = plan_week(load_scenario(scn), "shared")
    v = week.visits_table().set_index("village_code")
    days = {c[-1]: str(d) for c, d in v["visit_days"].items()}
    assert {k: days[k] for k in "123457"} == {"1": "1 3", "2": "2", "3": "3", "4": "2", "5": "1 2", "7": ""}
    assert days["6"] in ("1", "2")
    assert v["visits_per_week"].tolist() == [2, 1, 1, 1, 2, 1, 0]
    # the routes: every village served exactly on its visit days, carrying the week's parcels
    plan = week.plan_table()
    lm = plan[(plan["echelon"] == "last_mile") & plan["stop_kind"].isin(["village_point", "village_centre"])]
    for code, row in v.iterrows():
        mine = lm[lm["stop_id"] == code]
        assert sorted(mine["day"].tolist()) == [int(x) for x in str(row["visit_days"]).split()]
        assert mine["delivered"].sum() == row["parcels_in_per_week"]
    assert week.summary()["week"]["unserved_stops"] == 0


def _load_error(tmp_path, vs, extra="") -> str:
    scn = write_scenario(tmp_path / "bad", villages=vs, facilities=[HUB, P1],
                         village_header=VHEADER + ",market_days", toml_extra=WEEK3 + extra)
    with pytest.raises(ScenarioError) as e:
        load_scenario(scn)
    return str(e.value)


def test_lunar_market_is_refused_with_file_row_field(tmp_path):
    text = _load_error(tmp_path, [_village(1, 2, 10, ""), _village(2, 4, 10, "逢三六九")])
    assert "villages.csv" in text and "row 3" in text and "market_days" in text, text
    assert "lunar" in text and "weekdays" in text, text


def test_market_day_beyond_the_delivery_days(tmp_path):
    text = _load_error(tmp_path, [_village(1, 2, 10, "2,5")])
    assert "villages.csv" in text and "row 2" in text and "market_days" in text, text
    assert "day 5 is not a delivery day" in text and "delivery_days_per_week = 3" in text, text


def test_market_days_of_an_unknown_code(tmp_path):
    text = _load_error(tmp_path, [_village(1, 2, 10, "")], '\n[routing.market_days]\n"370782009" = "1"\n')
    assert "scenario.toml" in text and "routing.market_days.370782009" in text, text


@pytest.mark.parametrize("table, words", [
    ({"37078": "1"}, ["not a village code", "routing.market_days.37078"]),
    ({"370782001": "逢一六"}, ["lunar", "routing.market_days.370782001"]),
    ({"370782001": "7"}, ["day 7 is not a delivery day", "days 1-6"]),
    ({"370782001": ""}, ["no weekday"]),
])
def test_bad_market_days_key(table, words):
    with pytest.raises(ScenarioError) as e:
        parse_routing_config({"routing": {"market_days": table}}, "scenario.toml")
    text = str(e.value)
    assert "scenario.toml" in text and all(w in text for w in words), text


def test_market_days_key_parsed():
    p = parse_routing_config({"routing": {"market_days": {"370782001": "周一,周四", "370782001004": [2]}}})
    assert p.market_days == {"370782001": (1, 4), "370782001004": (2,)}
