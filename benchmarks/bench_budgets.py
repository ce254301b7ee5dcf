#!/usr/bin/env python
"""Deterministic work budgets against wall time on the embedded counties (issue #15).

    python benchmarks/bench_budgets.py [--counties 370782,370481] [--mode shared] [--engine pyvrp]
                                       [--baseline] [--json out.json]

Plans every county (``plan_routes``, default [routing] parameters: work budgets sized from each
model, ``time_limit_s`` as the safety cap) and prints, per county: models, the largest model,
iterations done, the solver seconds actually used against the sum of the caps, the worst ratio
``solve seconds / cap`` over its models, whether any cap bound (``reproducible``), and the plan's
cost.  ``--baseline`` also plans each county the old way (OR-Tools searching for the whole wall-clock
limit of every model) and prints its cost and time beside.

What a slower machine sees: every solve does the same work, so a machine k× slower takes about k×
the solver seconds and gives the same plan as long as ``k × worst ratio < 1`` (no cap binds); the
column ``max k`` is ``1 / worst ratio``.  Timings are noisy on a shared machine: the load average
is printed beside them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    from culture_logistics.config.routing import RoutingParams
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from culture_logistics.config.routing import RoutingParams
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.resources import counties_dir
from culture_logistics.routing import solving
from culture_logistics.routing.plan import plan_routes


def _old_way(model, **kw):
    kw["budget"] = "time"
    return _orig(model, **kw)


_orig = solving.E.solve


def plan(code: str, mode: str, engine: str | None, old: bool) -> dict:
    scn = load_scenario(resolve_scenario(code))
    p = RoutingParams.from_scenario(scn)
    if engine:
        p = replace(p, engine=engine)
    if old:  # before issue #15: OR-Tools searching for the whole limit of every model, time_limit_s = 2
        p = replace(p, engine="ortools", time_limit_s=2.0)
        solving.E.solve = _old_way
    t0 = time.perf_counter()
    try:
        res = plan_routes(scn, mode, p)
    finally:
        solving.E.solve = _orig
    wall = time.perf_counter() - t0
    s = res.summary()
    ratios = [m["solve_s"] / m["time_limit_s"] for m in res.models if m.get("time_limit_s")]
    return {"county": code, "name": scn.name, "models": len(res.models), "largest": s["largest_model_stops"],
            "iterations": int(sum(m.get("iterations", 0) for m in res.models)),
            "solve_s": round(sum(m.get("solve_s", 0.0) for m in res.models), 2),
            "cap_s": round(sum(m.get("time_limit_s", 0.0) for m in res.models), 2),
            "worst_ratio": round(max(ratios, default=0.0), 3), "reproducible": s["reproducible"],
            "cap_hit_models": s["cap_hit_models"], "cost_cny": s["cost_cny"], "vehicles": s["vehicles"],
            "wall_s": round(wall, 2), "engine": p.engine}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", default=None, help="comma-separated codes [default: every embedded county]")
    ap.add_argument("--mode", default="shared", choices=["shared", "separate"])
    ap.add_argument("--engine", default=None, choices=["pyvrp", "ortools"])
    ap.add_argument("--baseline", action="store_true", help="also plan with OR-Tools on wall-clock limits (before)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    codes = a.counties.split(",") if a.counties else sorted(p.name for p in counties_dir().iterdir() if p.is_dir())
    print(f"mode {a.mode}; load {tuple(round(x, 2) for x in os.getloadavg())}")
    head = (f"{'county':8s} {'name':8s} {'models':>6s} {'max n':>5s} {'iters':>8s} {'solve s':>8s} {'cap s':>6s} "
            f"{'worst':>6s} {'max k':>6s} {'repro':>5s} {'CNY/day':>9s} {'wall s':>7s}")
    if a.baseline:
        head += f" | {'before CNY':>10s} {'solve s':>8s} {'wall s':>7s}"
    print(head)
    rows = []
    for code in codes:
        r = plan(code, a.mode, a.engine, False)
        line = (f"{code:8s} {r['name'][:8]:8s} {r['models']:6d} {r['largest']:5d} {r['iterations']:8d} "
                f"{r['solve_s']:8.2f} {r['cap_s']:6.1f} {r['worst_ratio']:6.3f} "
                f"{(1 / r['worst_ratio']) if r['worst_ratio'] else float('inf'):6.1f} "
                f"{str(r['reproducible']):>5s} {r['cost_cny']:9.0f} {r['wall_s']:7.1f}")
        if a.baseline:
            b = plan(code, a.mode, None, True)
            r["before"] = b
            line += f" | {b['cost_cny']:10.0f} {b['solve_s']:8.2f} {b['wall_s']:7.1f}"
        rows.append(r)
        print(line, flush=True)
    print(f"load {tuple(round(x, 2) for x in os.getloadavg())}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
