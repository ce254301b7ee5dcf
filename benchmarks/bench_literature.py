#!/usr/bin/env python
"""The county machinery on the published MDVRP, PVRP and 2E-CVRP benchmarks (issue 22).

    python benchmarks/bench_literature.py --sets mdvrp,pvrp,2e --time-limit 20 [--instances p01,pr01,...]
                                          [--dir ../shared/bench] [--seed 0] [--json out.json]

Per instance, one after the other (never two solvers at once): ours (``routing.literature``: the multi-depot
engine model, the weekly planner's day assignment, the two-echelon planner with split deliveries) searching
for the whole ``--time-limit``; its gap to the best-known value (``bks.csv`` of each folder); whether the
independent checker (tests/routing/literature_check.py) confirms it feasible at the same cost; and for the
MDVRP plain PyVRP (multi-depot natively, ``MaxRuntime`` = the same limit) beside it.  Then the mean gap per set.
Gaps are computed on unrounded costs.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "tests" / "routing"))
try:
    from culture_logistics.routing import literature as L
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from culture_logistics.routing import literature as L
import literature_check as C  # noqa: E402  (the independent checker)

from culture_logistics.formats.cordeau import euclid, read_cordeau  # noqa: E402

DEFAULT_DIR = HERE.parents[2] / "shared" / "bench"
CHECK = {"mdvrp": C.check_mdvrp, "pvrp": C.check_pvrp, "2e": C.check_2e}


def instances(directory: Path, kind: str, only: set | None) -> list[tuple[str, Path, float]]:
    out = []
    with (directory / kind / "bks.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["instance"]
            if only and name not in only:
                continue
            path = directory / kind / (f"{name}.dat" if kind == "2e" else f"{name}.txt")
            out.append((name, path, float(row["bks"])))
    return out


def plain_pyvrp_mdvrp(path: Path, time_limit_s: float, seed: int) -> tuple[float, list]:
    """Plain PyVRP on an MDVRP file (its own multi-depot model, distances × SCALE), re-scored unrounded."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    inst = read_cordeau(path)
    real = euclid(inst.points())
    S = L.SCALE
    m = pyvrp.Model()
    locs = [m.add_location(x=float(x), y=float(y)) for x, y in inst.points()]
    deps = [m.add_depot(locs[k]) for k in range(inst.num_depots)]
    for k, dep in enumerate(deps):
        kw = {"shift_duration": int(math.floor(inst.max_duration[k] * S + 1e-7))} if inst.max_duration[k] > 0 else {}
        m.add_vehicle_type(num_available=inst.vehicles, capacity=int(inst.capacity[k]), start_depot=dep, end_depot=dep,
                           **kw)
    for i in range(inst.n):
        m.add_client(locs[inst.num_depots + i], delivery=int(inst.demand[i]),
                     service_duration=int(math.ceil(inst.service[i] * S - 1e-7)))
    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            if a != b:
                m.add_edge(la, lb, distance=int(round(real[a, b] * S)), duration=int(math.ceil(real[a, b] * S - 1e-7)))
    res = m.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    routes = [{"depot": inst.n + 1 + r.start_depot(), "stops": [a.idx + 1 for a in r if a.is_client()]}
              for r in res.best.routes()]
    cost, problems = C.check_mdvrp(path, {"routes": routes})
    return (cost if res.best.is_feasible() and not problems else math.inf), problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="mdvrp,pvrp,2e")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--instances", default="", help="comma-separated names (default: every instance of bks.csv)")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    only = set(filter(None, a.instances.split(","))) or None
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, {os.cpu_count()} cores, "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, time limit {a.time_limit:g} s, seed {a.seed}")
    rows = []
    for kind in [s.strip() for s in a.sets.split(",") if s.strip()]:
        print(f"\n## {kind}\n| instance | BKS | ours | gap % | feasible (independent) | s | plain PyVRP | gap % |")
        print("|---|---:|---:|---:|---|---:|---:|---:|")
        for name, path, bks in instances(a.dir, kind, only):
            ans = L.solve_benchmark_file(path, a.time_limit, a.seed, budget="time")
            cost, problems = CHECK[kind](path, ans)
            ok = not problems and ans["feasible"] and abs(cost - ans["cost"]) < 1e-6
            gap = 100 * (cost - bks) / bks if ok else math.inf
            row = {"set": kind, "instance": name, "bks": bks, "ours": cost, "gap_pct": gap, "feasible": ok,
                   "seconds": ans["seconds"], "problems": problems}
            plain = ""
            if kind == "mdvrp":
                pc, _ = plain_pyvrp_mdvrp(path, a.time_limit, a.seed)
                row |= {"pyvrp": pc, "pyvrp_gap_pct": 100 * (pc - bks) / bks}
                plain = f"{pc:.2f} | {row['pyvrp_gap_pct']:.2f}"
            else:
                plain = "- | -"
            rows.append(row)
            print(f"| {name} | {bks:.2f} | {cost:.2f} | {gap:.2f} | {'yes' if ok else 'NO: ' + '; '.join(problems[:2])} "
                  f"| {ans['seconds']:.1f} | {plain} |", flush=True)
        mine = [r for r in rows if r["set"] == kind]
        if mine:
            mean = sum(r["gap_pct"] for r in mine) / len(mine)
            extra = ""
            if kind == "mdvrp":
                extra = f"; plain PyVRP {sum(r['pyvrp_gap_pct'] for r in mine) / len(mine):.2f} %"
            print(f"\nmean gap {kind}: ours {mean:.2f} % over {len(mine)} instance(s){extra}; "
                  f"feasible {sum(r['feasible'] for r in mine)}/{len(mine)}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0 if all(r["feasible"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
