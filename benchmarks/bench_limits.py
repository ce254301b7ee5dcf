#!/usr/bin/env python
"""How far do the solvers overrun their time limits?  (issue 7, "time and size limits kept")

    python benchmarks/bench_limits.py [--limits 1,2,5] [--runs 3] [--part routing,siting]
                                      [--engines ortools,pyvrp] [--vrp X-n101-k25,X-n148-k46]
                                      [--dir DIR] [--json FILE]

Routing: :func:`culture_logistics.engine.solve` with each engine (OR-Tools; PyVRP, the default when
installed) on CVRPLIB instances from ``../shared/bench/cvrplib``; the overrun is
``Solution.stats['overrun_s']`` (wall time of the whole call, model building included, minus the limit)
and the wall time measured here around the call.

Siting: :func:`culture_logistics.siting.solve_siting` on embedded counties, with the coverage computed
beforehand (it is not under the solver's limit); the overrun is the reported ``solve_seconds`` minus the
limit, and the wall time of the call minus the limit (model building included).  Models that prove
optimality before the limit show a negative overrun: they stopped early.

Runs one solve at a time (never start two benchmarks at once on a shared machine: timings would be
meaningless), prints a table of median and maximum overrun per instance and limit, and optionally
writes every run as JSON.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    import culture_logistics  # noqa: F401
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))

DEFAULT_DIR = HERE.parents[2] / "shared" / "bench" / "cvrplib"
COUNTIES = HERE.parents[1] / "data" / "counties"
# (label, county, solve_siting keyword arguments): a hard capacitated p-median, an MCLP, an LSCP
SITING_CASES = [
    ("370481 pmedian cap K=40", "370481", dict(model="pmedian", k=40, capacitated=True)),
    ("370481 mclp K=20", "370481", dict(model="mclp", k=20)),
    ("370481 lscp", "370481", dict(model="lscp")),
]


def routing_runs(names, limits, runs, directory: Path, engines):
    import importlib.util

    from culture_logistics.formats.cvrplib import read_vrp
    from culture_logistics.routing import cvrplib as cvrplib
    from culture_logistics.routing.engine import solve as engine

    out = []
    for eng in engines:
        if eng == "pyvrp" and importlib.util.find_spec("pyvrp") is None:
            print("  (skipped pyvrp: not installed)", file=sys.stderr)
            continue
        for name in names:
            path = directory / f"{name}.vrp"
            if not path.exists():
                print(f"  (skipped {name}: {path} not found)", file=sys.stderr)
                continue
            model = cvrplib.instance_to_model(read_vrp(path))
            label = f"{name} {eng}"
            for limit in limits:
                for seed in range(runs):
                    t0 = time.perf_counter()
                    sol = engine.solve(model, time_limit_s=limit, seed=seed, engine=eng, budget="time")
                    wall = time.perf_counter() - t0
                    sol.check(model)
                    out.append({"part": "routing", "instance": label, "limit_s": limit, "seed": seed,
                                "wall_s": wall, "overrun_s": float(sol.stats["overrun_s"]),
                                "wall_overrun_s": wall - limit, "objective": float(sol.objective)})
                    print(f"  routing {label:<20} limit {limit:>4g} s seed {seed}: wall {wall:6.3f} s, "
                          f"overrun {sol.stats['overrun_s']:+.3f} s", flush=True)
    return out


def siting_runs(limits, runs):
    from culture_logistics import load_scenario
    from culture_logistics.coverage.reach import compute_coverage
    from culture_logistics.errors import CultureLogisticsError
    from culture_logistics.siting.solve import solve_siting

    out = []
    cache = {}
    for label, county, kwargs in SITING_CASES:
        path = COUNTIES / county / "scenario.toml"
        if not path.exists():
            print(f"  (skipped {label}: {path} not found)", file=sys.stderr)
            continue
        if county not in cache:
            scn = load_scenario(path)
            cache[county] = (scn, compute_coverage(scn))
        scn, cov = cache[county]
        for limit in limits:
            for run in range(runs):
                t0 = time.perf_counter()
                try:
                    res = solve_siting(scn, coverage=cov, time_limit_s=limit, **kwargs)
                except CultureLogisticsError as exc:  # e.g. no solution within a very short limit
                    wall = time.perf_counter() - t0
                    out.append({"part": "siting", "instance": label, "limit_s": limit, "run": run, "wall_s": wall,
                                "wall_overrun_s": wall - limit, "error": str(exc)})
                    print(f"  siting  {label:<24} limit {limit:>4g} s: {exc} ({wall:.2f} s)", flush=True)
                    continue
                wall = time.perf_counter() - t0
                s = res.summary()
                out.append({"part": "siting", "instance": label, "limit_s": limit, "run": run, "wall_s": wall,
                            "solve_s": s["solve_seconds"], "overrun_s": s["solve_seconds"] - limit,
                            "wall_overrun_s": wall - limit, "optimal": s["optimal"], "gap": s["gap"]})
                print(f"  siting  {label:<24} limit {limit:>4g} s: solve {s['solve_seconds']:6.3f} s, wall "
                      f"{wall:6.3f} s, {'optimal' if s['optimal'] else 'gap %.3g' % s['gap']}", flush=True)
    return out


def summarise(rows) -> list[str]:
    lines = [f"{'part':<8} {'instance':<26} {'limit s':>7} {'runs':>4} {'median overrun':>15} {'max overrun':>12} "
             f"{'median wall-limit':>18} {'max wall-limit':>15}"]
    keys = sorted({(r["part"], r["instance"], r["limit_s"]) for r in rows}, key=lambda k: (k[0], k[1], k[2]))
    for part, inst, limit in keys:
        rs = [r for r in rows if (r["part"], r["instance"], r["limit_s"]) == (part, inst, limit)]
        ov = [r["overrun_s"] for r in rs if "overrun_s" in r]
        wo = [r["wall_overrun_s"] for r in rs]
        med = f"{statistics.median(ov):+.3f}" if ov else "-"
        mx = f"{max(ov):+.3f}" if ov else "-"
        lines.append(f"{part:<8} {inst:<26} {limit:>7g} {len(rs):>4} {med:>15} {mx:>12} "
                     f"{statistics.median(wo):>+18.3f} {max(wo):>+15.3f}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limits", default="1,2,5", help="time limits in seconds, comma-separated")
    ap.add_argument("--runs", type=int, default=3, help="runs per instance and limit (seeds 0..runs-1 for routing)")
    ap.add_argument("--part", default="routing,siting", help="routing, siting or both")
    ap.add_argument("--vrp", default="X-n101-k25,X-n148-k46", help="CVRPLIB instance names")
    ap.add_argument("--engines", default="ortools,pyvrp", help="routing engines, comma-separated")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder of the CVRPLIB files")
    ap.add_argument("--json", type=Path, default=None, help="write every run to this JSON file")
    a = ap.parse_args(argv)
    limits = [float(x) for x in a.limits.split(",") if x]
    parts = {p.strip() for p in a.part.split(",")}
    print(f"# bench_limits on {platform.node()} ({platform.machine()}, Python {platform.python_version()}); "
          f"limits {limits} s, {a.runs} run(s) each", flush=True)
    rows = []
    if "routing" in parts:
        rows += routing_runs([n for n in a.vrp.split(",") if n], limits, a.runs, a.dir,
                             [e for e in a.engines.split(",") if e])
    if "siting" in parts:
        rows += siting_runs(limits, a.runs)
    print()
    for line in summarise(rows):
        print(line)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
