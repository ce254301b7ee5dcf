"""Deterministic work budgets (issue #15): the same model gives the same routes under any load.

The "busy machine" is a real neighbour process spinning the CPU (``while True: pass``) for the
duration of the second solve.
"""
from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from conftest import write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing.engine.budget import BudgetStop, WorkBudget, default_budget
from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType, check_solution
from culture_logistics.routing.engine.solve import solve
from culture_logistics.routing.plan import plan_routes

ENGINES = ["ortools"] + (["pyvrp"] if importlib.util.find_spec("pyvrp") else [])


@contextlib.contextmanager
def cpu_burner(n: int = 2):
    """``n`` processes that keep CPUs busy until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def county_like_model(n: int = 60, seed: int = 11) -> Model:
    """A station and ``n`` villages (seeded) with deliveries and pickups, service times, a 9 h shift,
    the depot open 08:00–18:00, fixed costs and cost per metre as in the county plans."""
    rng = np.random.default_rng(seed)
    pts = np.vstack([[0.0, 0.0], rng.uniform(-12000, 12000, size=(n, 2))])
    dist = np.rint(1.3 * np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=2))).astype(np.int64)
    dur = np.rint(dist / 10.0).astype(np.int64)
    stops = [Stop(delivery=int(d), pickup=int(p), service_s=int(300 + 12 * (d + p)), name=f"v{i}")
             for i, (d, p) in enumerate(zip(rng.integers(1, 15, n), rng.integers(0, 5, n)))]
    van = VehicleType(capacity=120, count=8, fixed_cost=220.0, cost_per_m=0.00075, speed_factor=1 / 0.85,
                      max_shift_s=9 * 3600)
    return Model([Depot("station", tw_early=8 * 3600, tw_late=18 * 3600)], stops, [van], dist, dur)


def test_default_budget_grows_with_the_model():
    # 20 iterations per stop (at least 300), a stop after 6 per stop without improvement (at least 150)
    assert default_budget(10, "pyvrp") == WorkBudget(iterations=300, no_improvement=150)
    assert default_budget(80, "pyvrp") == WorkBudget(iterations=1600, no_improvement=480)
    assert default_budget(10**6, "pyvrp").iterations == 20_000
    assert default_budget(80, "ortools") == WorkBudget(iterations=800)


def test_warm_budget_is_a_quarter_of_the_cold_one():
    # a re-solve from a plan's routes (the diagnosis of a dropped stop): 5 per stop (at least 100), a stop after
    # 2 per stop without improvement (at least 50); OR-Tools 3 solutions per stop (at least 60)
    assert default_budget(10, "pyvrp", warm=True) == WorkBudget(iterations=100, no_improvement=50)
    assert default_budget(80, "pyvrp", warm=True) == WorkBudget(iterations=400, no_improvement=160)
    assert default_budget(10**6, "pyvrp", warm=True).iterations == 20_000
    assert default_budget(80, "ortools", warm=True) == WorkBudget(iterations=240)


def test_budget_stop_reasons():
    s = BudgetStop(3, None, deadline=float("inf"))
    assert [s(10) for _ in range(4)] == [False, False, False, True] and s.reason == "iterations"
    s = BudgetStop(100, 2, deadline=float("inf"))
    assert [s(c) for c in (10, 9, 9, 9)] == [False, False, False, True] and s.reason == "no_improvement"
    s = BudgetStop(100, None, deadline=0.0)
    assert s(1) and s.reason == "time_cap"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_same_routes_with_a_cpu_burning_neighbour(engine):
    model = county_like_model()
    quiet = solve(model, time_limit_s=30, engine=engine, seed=1)
    with cpu_burner():
        busy = solve(model, time_limit_s=30, engine=engine, seed=1)
    for sol in (quiet, busy):
        assert check_solution(model, sol) == []
        assert sol.dropped == []
        assert sol.stats["reproducible"] is True and sol.stats["cap_hit"] is False
    assert [(r.vehicle_type, r.stops, r.departure_s) for r in quiet.routes] == \
        [(r.vehicle_type, r.stops, r.departure_s) for r in busy.routes]
    assert quiet.cost == busy.cost
    assert busy.stats["budget"] == default_budget(60, engine).as_dict()


@pytest.mark.parametrize("engine", ENGINES)
def test_cap_that_binds_is_reported(engine):
    model = county_like_model(80)
    sol = solve(model, time_limit_s=0.05, engine=engine, budget=WorkBudget(iterations=10**6))
    assert sol.stats["cap_hit"] is True and sol.stats["reproducible"] is False
    timed = solve(model, time_limit_s=0.3, engine=engine, budget="time")
    assert timed.stats["budget"] is None and timed.stats["reproducible"] is False


def test_eight_village_model_with_fixed_costs_gets_a_pyvrp_plan(tmp_path):
    """The conftest county with e-trikes of 20 parcels at 150 CNY a day against 0.1 CNY/km: PyVRP used
    to return only overloaded plans (all 8 villages unserved); now every village is served, within
    capacity, at no more than OR-Tools' cost."""
    if "pyvrp" not in ENGINES:
        pytest.skip("pyvrp not installed")
    trike = ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "e_trike"\ncount = 8\ncapacity = 20\n'
             "speed_factor = 0.5\ncost_per_km = 0.1\nfixed_cost = 150\nmax_shift_h = 5\n")
    # the default safety cap (a 1 s cap gives these 8 stops 0.2 s, which a machine under load 11 overran)
    routing = ("[routing]\ndelivery_days_per_week = 5\nservice_min = 4\nservice_min_per_parcel = 0.5\n"
               "wait_for_trunk = false\n")
    scn = load_scenario(write_scenario(tmp_path / "t", toml_extra=routing + trike))
    params = RoutingParams.from_scenario(scn)
    assert params.engine == "pyvrp"  # the county default
    plans = {e: plan_routes(scn, "shared", replace(params, engine=e)) for e in ("pyvrp", "ortools")}
    for e, plan in plans.items():
        assert len(plan.unserved) == 0, e
        lm = plan.stops[(plan.stops["echelon"] == "last_mile") & (plan.stops["stop_kind"] != "depot")]
        assert lm["stop_id"].nunique() == 8 and len(lm) == 8, e
        assert plan.stops["load_after"].max() <= 1000 and lm["load_after"].max() <= 20
        assert plan.summary()["reproducible"] is True
    assert plans["pyvrp"].summary()["cost_cny"] <= plans["ortools"].summary()["cost_cny"] + 0.01


@pytest.mark.slow
@pytest.mark.parametrize("county", ["370782", "370481"])
def test_county_plan_is_byte_identical_with_a_busy_neighbour(tmp_path, county):
    """``route COUNTY --mode shared`` twice, the second time with both cores kept busy by other processes:
    the same route_plan.csv, routes_summary.csv and summary.json (timings aside), and reproducible."""
    from conftest import run_cli

    outs = []
    for busy in (False, True):
        out = tmp_path / ("busy" if busy else "quiet")
        with cpu_burner() if busy else contextlib.nullcontext():
            res = run_cli("route", "--lang", "en", county, "--mode", "shared", "--out", out, "--no-map", "--quiet")
        assert res.returncode == 0, res.stderr
        assert "time cap" not in res.stderr
        outs.append(out)
    for name in ("route_plan.csv", "routes_summary.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    import json

    a, b = (json.loads((o / "summary.json").read_text(encoding="utf-8")) for o in outs)
    for s in (a, b):
        s.pop("seconds")
        s.pop("solve_seconds")
    assert a == b
    assert a["reproducible"] is True and a["cap_hit_models"] == []


@pytest.mark.slow
def test_cap_that_binds_in_a_plan_is_named_and_the_cli_warns(tmp_path, monkeypatch):
    """A work budget far beyond the safety cap (a stand-in for a very slow machine): the plan is still
    written, summary.json says reproducible = false naming the models, and ``route`` warns."""
    from click.testing import CliRunner

    from culture_logistics.cli.routing import route
    from culture_logistics.routing.engine import budget as B

    monkeypatch.setitem(B.BUDGET_DEFAULTS, "pyvrp_min_iterations", 10**9)
    monkeypatch.setitem(B.BUDGET_DEFAULTS, "pyvrp_no_improvement_min", 10**9)
    monkeypatch.setitem(B.BUDGET_DEFAULTS, "pyvrp_max_iterations", 10**9)
    path = write_scenario(tmp_path / "t", toml_extra="[routing]\ntime_limit_s = 0.3\ndiagnose = false\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(route, [str(path), "--mode", "shared", "--out", str(out), "--no-map", "--quiet",
                                     "--lang", "en"])
    assert res.exit_code == 0, res.output
    import json

    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["reproducible"] is False
    # the last mile is one county-wide model (assignment = "county", the default) over the one station P1
    assert sorted(s["cap_hit_models"]) == ["shared last_mile county-wide model 1: P1", "shared trunk HUB"]
    assert "time cap ended 2 model(s)" in res.output and "shared last_mile county-wide model 1: P1" in res.output
