#!/usr/bin/env python
"""County-wide block size and PyVRP work budget against plan cost, on the embedded counties.

    python benchmarks/bench_budget_sweep.py [--counties 370782,370481,...] [--mode shared]

Plans each county's default plan under five settings, side by side in one run, and prints per county
and setting the plan's cost (CNY/day), last-mile vans, unserved stops and PyVRP iterations done (the
machine-independent measure of work; seconds are printed too, noisy on a shared machine):

    A  blocks ≤ 250 villages, 100 iterations per stop (1,000–20,000), stop after 25 per stop without improvement
    B  blocks ≤ 600, budget as A
    C  blocks ≤ 600, 40 per stop (500–20,000), stop after 10 per stop without improvement
    D  blocks ≤ 600, 20 per stop (300–20,000), 6 per stop without improvement  (the default)
    E  blocks ≤ 600, 12 per stop (300–20,000), 4 per stop without improvement
    F  blocks ≤ 600, 16 per stop (300–20,000), 5 per stop without improvement
    G  blocks ≤ 600, 20 per stop (300–20,000), 4 per stop without improvement
    H  as D, PyVRP's granular neighbourhood of 40 nearest clients instead of 50 (PYVRP_DEFAULTS num_neighbours)
    I  as D, 30 neighbours
    J  as F, 40 neighbours
    K  as D at [routing] effort = 0.5 (route / demo / batch --effort 0.5: the per-stop rates halved)
    L  as D at effort 0.25

Measured 2026-12-07 15:0x UTC (load ~1, ten counties with the whole parcel flow, 夏津 at 禹城's rate), the ten shared
plans in all against D (265,400.55 CNY/day, 79,748 iterations): E +0.51 % for 64 % of the iterations, F +0.22 % for
81 %, G +0.33 % for 78 %.  Per county the change runs from −0.9 % to +1.2 % (solver noise both ways), so a
smaller budget buys a fifth to a third of the solver time for a few tenths of a percent: D stays the default.
(An earlier run, before the whole flow, gave E +0.17 %.)

The neighbourhood (2026-12-07 ~17:30 UTC, load 1–2, ten shared plans, CPU seconds from getrusage with the plan's worker
processes): against D (50 neighbours, 162.8 s CPU) H (40) +0.38 % for 0.77 of the CPU (诸城 alone +2.4 %), I (30)
+0.78 % for 0.69, 20 neighbours +1.26 % for 0.59, J (F with 40) +0.50 % for 0.62: each cut in the search's work
costs plan quality in the same proportion as a smaller budget does, so 50 stays.

[routing] effort (2026-12-07 17:45–17:55 UTC, load 0.3 at the start, the same run as D): K (0.5) 267,995.94 CNY/day,
+0.98 % (by county −0.8 % to +2.5 %), 50 % of the iterations, 0.53 of D's 158.5 s CPU; L (0.25) 269,615.63, +1.59 %
(−0.1 % to +2.5 %), 24 %, 0.27; 诸城 +2.5 % at both.

The settings are module constants (``routing.assign.MAX_MODEL_STOPS``, ``routing.engine.budget.
BUDGET_DEFAULTS``), set here for each run and restored after.  Every solve is seeded and stops on
its work budget, so the costs and iteration counts are the same on any machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    import culture_logistics  # noqa: F401
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
from culture_logistics.app.options import with_effort
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.resources import counties_dir
from culture_logistics.routing import assign
from culture_logistics.routing.engine import budget
from culture_logistics.routing.engine import pyvrp as engine
from culture_logistics.routing.plan import plan_routes

SETTINGS = {
    "A": (250, dict(pyvrp_iterations_per_stop=100, pyvrp_min_iterations=1000, pyvrp_no_improvement_per_stop=25,
                    pyvrp_no_improvement_min=500)),
    "B": (600, dict(pyvrp_iterations_per_stop=100, pyvrp_min_iterations=1000, pyvrp_no_improvement_per_stop=25,
                    pyvrp_no_improvement_min=500)),
    "C": (600, dict(pyvrp_iterations_per_stop=40, pyvrp_min_iterations=500, pyvrp_no_improvement_per_stop=10,
                    pyvrp_no_improvement_min=250)),
    "D": (600, dict(pyvrp_iterations_per_stop=20, pyvrp_min_iterations=300, pyvrp_no_improvement_per_stop=6,
                    pyvrp_no_improvement_min=150)),
    "E": (600, dict(pyvrp_iterations_per_stop=12, pyvrp_min_iterations=300, pyvrp_no_improvement_per_stop=4,
                    pyvrp_no_improvement_min=150)),
    "F": (600, dict(pyvrp_iterations_per_stop=16, pyvrp_min_iterations=300, pyvrp_no_improvement_per_stop=5,
                    pyvrp_no_improvement_min=150)),
    "G": (600, dict(pyvrp_iterations_per_stop=20, pyvrp_min_iterations=300, pyvrp_no_improvement_per_stop=4,
                    pyvrp_no_improvement_min=150)),
}
#: the settings with another PyVRP neighbourhood: setting → (budget of, num_neighbours)
NEIGHBOURS = {"H": ("D", 40), "I": ("D", 30), "J": ("F", 40)}
#: the settings at another [routing] effort (the multiplier of every solve's work budget)
EFFORT = {"K": 0.5, "L": 0.25}
SETTINGS |= {k: SETTINGS[b] for k, (b, _) in NEIGHBOURS.items()} | {k: SETTINGS["D"] for k in EFFORT}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", default=",".join(sorted(p.name for p in counties_dir().iterdir() if p.is_dir())))
    ap.add_argument("--mode", default="shared", choices=("shared", "separate"))
    ap.add_argument("--settings", default="ABCDE")
    a = ap.parse_args()
    keep = (assign.MAX_MODEL_STOPS, dict(budget.BUDGET_DEFAULTS), engine.PYVRP_DEFAULTS["num_neighbours"])
    print(f"load average {os.getloadavg()[0]:.1f}; mode {a.mode}")
    print(f"{'county':<8}{'set':>4}{'cost CNY':>11}{'vans':>6}{'unserved':>9}{'iterations':>12}{'s':>7}{'cpu s':>7}")
    total: dict = {}
    try:
        for code in a.counties.split(","):
            sc = load_scenario(resolve_scenario(code))
            for name in a.settings:
                assign.MAX_MODEL_STOPS, b = SETTINGS[name]
                budget.BUDGET_DEFAULTS.update(keep[1] | b)
                engine.PYVRP_DEFAULTS["num_neighbours"] = NEIGHBOURS.get(name, (None, keep[2]))[1]
                t, c0 = time.perf_counter(), _cpu()
                plan = plan_routes(with_effort(sc, EFFORT.get(name)), a.mode)
                cpu = _cpu() - c0
                s = plan.summary()
                its = sum(int(m.get("iterations", 0) or 0) for m in plan.models)
                c, i, u = total.get(name, (0.0, 0, 0.0))
                total[name] = (c + s["cost_cny"], i + its, u + cpu)
                print(f"{code:<8}{name:>4}{s['cost_cny']:>11,.2f}{s['last_mile']['vehicles']:>6}{s['unserved_stops']:>9}"
                      f"{its:>12,}{time.perf_counter() - t:>7.1f}{cpu:>7.1f}", flush=True)
    finally:
        assign.MAX_MODEL_STOPS = keep[0]
        budget.BUDGET_DEFAULTS.clear()
        budget.BUDGET_DEFAULTS.update(keep[1])
        engine.PYVRP_DEFAULTS["num_neighbours"] = keep[2]
    ref = "A" if "A" in total else next(iter(total), None)
    base = total.get(ref) if ref else None
    print("\nall counties")
    for name, (c, i, u) in total.items():
        rel = (f"  cost {100 * (c / base[0] - 1):+.2f} %, iterations {100 * i / base[1]:.0f} %, CPU "
               f"{u / base[2]:.2f} of {ref}" if base and name != ref else "")
        print(f"  {name}: {c:,.2f} CNY/day, {i:,} iterations, {u:.1f} s CPU{rel}")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the plan's worker processes)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


if __name__ == "__main__":
    main()
