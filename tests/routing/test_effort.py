"""``[routing] effort`` / ``--effort``: the multiplier of every routing solve's deterministic work budget (issue 23).

1 is the default (the plans the benchmarks measure); less plans faster at a slightly higher cost and stays
reproducible: the budget, not the clock, still ends every search.
"""
from __future__ import annotations

import json

import pytest
from test_budget import county_like_model

from conftest import run_cli
from culture_logistics.app.options import with_effort
from culture_logistics.batch import jobs as batch
from culture_logistics.config.routing import RoutingParams, parse_routing_config
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import load_scenario, scale_demand
from culture_logistics.routing.engine.budget import WorkBudget, default_budget
from culture_logistics.routing.engine.solve import solve


def test_effort_scales_the_per_stop_rates_and_keeps_the_minimums():
    # 20 × 0.25 = 5 iterations per stop, 6 × 0.25 = 1.5 without improvement; the minimums (300, 150) stay,
    # the largest budget (20,000) scales with the effort
    assert default_budget(80, "pyvrp", effort=0.25) == WorkBudget(iterations=400, no_improvement=150)
    assert default_budget(600, "pyvrp", effort=0.25) == WorkBudget(iterations=3000, no_improvement=900)
    assert default_budget(10, "pyvrp", effort=0.25) == default_budget(10, "pyvrp") == WorkBudget(300, 150)
    assert default_budget(10**6, "pyvrp", effort=0.25).iterations == 5_000
    assert default_budget(600, "pyvrp", effort=2) == WorkBudget(iterations=24_000, no_improvement=7_200)
    assert default_budget(80, "ortools", effort=0.5) == WorkBudget(iterations=400)
    assert default_budget(80, "pyvrp", effort=1.0) == default_budget(80, "pyvrp")


def test_a_solve_at_a_quarter_effort_stops_on_its_smaller_budget():
    """An 80-village model: 1,600 iterations at effort 1, 400 at 0.25, both on the budget (not the clock)."""
    model = county_like_model(80)
    full, quick = (solve(model, time_limit_s=60, seed=0, engine="pyvrp", effort=e) for e in (1.0, 0.25))
    assert full.stats["budget"] == {"iterations": 1600, "no_improvement": 480}
    assert quick.stats["budget"] == {"iterations": 400, "no_improvement": 150}
    assert quick.stats["iterations"] <= 400 < full.stats["iterations"] <= 1600
    assert not quick.stats["cap_hit"] and not full.stats["cap_hit"]
    assert quick.cost >= full.cost * 0.98   # a shorter search is not much cheaper (here: not cheaper at all)


@pytest.mark.parametrize("value, message", [(0, "must be > 0"), (5, "must be ≤ 4"), ("fast", "must be a number")])
def test_a_bad_effort_in_the_scenario_names_the_key(value, message):
    with pytest.raises(CultureLogisticsError) as err:
        parse_routing_config({"routing": {"effort": value}}, "my/scenario.toml")
    text = str(err.value)
    assert "my/scenario.toml" in text and "[routing] effort" in text and message in text


def test_the_effort_reaches_every_stage_through_the_scenario():
    """``demo --effort`` and ``batch --effort`` put it on the scenario; the peak plan's scaled copy keeps it."""
    scn = load_scenario(resolve_scenario("370782"))
    assert RoutingParams.from_scenario(scn).effort == 1.0 and with_effort(scn, None) is scn
    quick = with_effort(scn, 0.5)
    assert RoutingParams.from_scenario(quick).effort == 0.5
    assert RoutingParams.from_scenario(scale_demand(quick, 2)).effort == 0.5
    with pytest.raises(CultureLogisticsError, match="--effort must be a number > 0 and ≤ 4"):
        with_effort(scn, -1)


def test_batch_digest_records_the_effort_only_when_given():
    job = batch.CountyJob("370572", "x", "generated")
    d1, p1 = batch.job_digest(job, ["coverage"], None, 1)
    d2, p2 = batch.job_digest(job, ["coverage"], None, 1, effort=0.25)
    assert "effort" not in p1 and p2["effort"] == 0.25 and d1 != d2


def test_route_cli_effort_on_zhucheng(tmp_path):
    """``route 370782 --mode shared --effort 0.25`` (the county-wide model of 259 villages on 20 × 0.25 × 259 = 1,295
    iterations instead of 5,180): the plan serves all 259 villages, reproducibly, and summary.json records the
    effort; a bad value exits 2 and writes nothing."""
    r = run_cli("route", "370782", "--mode", "shared", "--effort", "0.25", "--out", tmp_path / "q", "--no-map",
                "--quiet", "--lang", "en")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "q" / "summary.json").read_text(encoding="utf-8"))
    assert s["params"]["effort"] == 0.25 and s["reproducible"] and s["unserved_stops"] == 0
    assert s["villages_served"] == 259
    bad = run_cli("route", "370782", "--effort", "5", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "--effort must be a number > 0 and ≤ 4" in bad.stderr + bad.stdout
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
