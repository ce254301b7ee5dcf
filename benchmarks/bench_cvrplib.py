#!/usr/bin/env python
"""Benchmark the routing engines on the CVRPLIB anchor set.

    python benchmarks/bench_cvrplib.py --time-limit 30 [--instances X-n101-k25 ...]
                                       [--engines ortools,pyvrp] [--dir DIR] [--seed 0]

Runs every instance (``*.vrp`` with a best-known cost in ``bks.csv`` or a
``.sol``) with each engine, ONE SOLVER AT A TIME (engines are run one after the
other, instances one after the other: never start two benchmarks at once on a
shared machine, timings would be meaningless).  Every solution is verified with
:func:`culture_logistics.routing.cvrplib.check_cvrp_solution`.  Prints a table with, per
engine, the cost, the gap to the best-known solution (BKS) and the wall time,
then the mean gap per engine (over all instances and over the X instances), the
difference in percentage points and the worst time-limit overrun.
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    from culture_logistics.formats import cvrplib as cvrplib_files
    from culture_logistics.routing import cvrplib as cvrplib
except ImportError:  # running from a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from culture_logistics.formats import cvrplib as cvrplib_files
    from culture_logistics.routing import cvrplib as cvrplib

DEFAULT_DIR = HERE.parents[2] / "shared" / "bench" / "cvrplib"


def load_bks(directory: Path) -> dict[str, int]:
    bks: dict[str, int] = {}
    f = directory / "bks.csv"
    if f.exists():
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                bks[row["instance"]] = int(row["bks"])
    for sol in directory.glob("*.sol"):
        if sol.stem not in bks:
            cost = cvrplib_files.read_solution(sol).cost
            if cost is not None:
                bks[sol.stem] = int(cost)
    return bks


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and engine")
    ap.add_argument("--instances", nargs="*", default=None,
                    help="instance names (comma- or space-separated); default: all in --dir")
    ap.add_argument("--engines", default="ortools,pyvrp", help="comma-separated engines")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"instance folder (default {DEFAULT_DIR})")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the raw results to this file")
    args = ap.parse_args(argv)

    directory = args.dir
    if not directory.is_dir():
        ap.error(f"instance folder not found: {directory}")
    bks = load_bks(directory)
    if args.instances:
        names = [n.strip() for item in args.instances for n in item.split(",") if n.strip()]
        names = [n[:-4] if n.endswith(".vrp") else n for n in names]
    else:
        names = sorted(p.stem for p in directory.glob("*.vrp"))
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for n in names:
        if not (directory / f"{n}.vrp").exists():
            ap.error(f"no such instance: {directory / (n + '.vrp')}")

    print(f"# CVRPLIB benchmark: {len(names)} instances x {engines}, time limit {args.time_limit:g} s, "
          f"seed {args.seed}, python {platform.python_version()}, {platform.machine()}", flush=True)
    results: dict[str, dict[str, dict]] = {n: {} for n in names}
    for eng in engines:  # one solver at a time
        for n in names:
            t = time.perf_counter()
            res = cvrplib.solve_vrp_file(directory / f"{n}.vrp", args.time_limit, seed=args.seed, engine=eng)
            wall = time.perf_counter() - t
            cost = cvrplib.check_cvrp_solution(directory / f"{n}.vrp", res["routes"])
            assert cost == res["cost"], (n, eng, cost, res["cost"])
            b = bks.get(n)
            gap = 100.0 * (cost - b) / b if b else float("nan")
            results[n][eng] = {"cost": cost, "gap": gap, "seconds": res["seconds"], "wall": wall,
                               "routes": res["num_routes"]}
            print(f"  {eng:8s} {n:12s} cost {cost:8d}  gap {gap:6.2f} %  {res['seconds']:6.2f} s",
                  file=sys.stderr, flush=True)

    # ---- table
    head = f"| {'instance':12s} | {'BKS':>7s} |" + "".join(
        f" {e + ' cost':>12s} | {'gap %':>6s} | {'time s':>6s} |" for e in engines)
    sep = "|" + "-" * 14 + "|" + "-" * 9 + "|" + "".join("-" * 14 + "|" + "-" * 8 + "|" + "-" * 8 + "|"
                                                        for _ in engines)
    print(head)
    print(sep)
    for n in names:
        row = f"| {n:12s} | {bks.get(n, 0):7d} |"
        for e in engines:
            r = results[n][e]
            row += f" {r['cost']:12d} | {r['gap']:6.2f} | {r['seconds']:6.2f} |"
        print(row)
    xs = [n for n in names if n.startswith("X-")]
    groups = [("mean gap, all instances", names)] + ([("mean gap, X instances", xs)] if xs and xs != names else [])
    print()
    for label, group in groups:
        parts = [f"{e}: {mean(results[n][e]['gap'] for n in group):.2f} %" for e in engines]
        print(f"{label} ({len(group)}): " + ", ".join(parts))
    if len(engines) >= 2:
        a, b = engines[0], engines[1]
        for label, group in groups:
            d = mean(results[n][a]["gap"] for n in group) - mean(results[n][b]["gap"] for n in group)
            print(f"difference {a} - {b}, {label}: {d:+.2f} percentage points")
    for e in engines:
        over = max(results[n][e]["wall"] - args.time_limit for n in names)
        print(f"{e}: worst wall time - time limit = {over:+.3f} s (time measured around solve_vrp_file, "
              f"file reading included)")
    if args.json:
        args.json.write_text(json.dumps({"time_limit_s": args.time_limit, "seed": args.seed,
                                         "bks": {n: bks.get(n) for n in names}, "results": results},
                                        indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
