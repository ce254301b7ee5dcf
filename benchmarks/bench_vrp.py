#!/usr/bin/env python
"""Gap to best-known on CVRPLIB X, Solomon VRPTW and VRPSPD: our default engine, OR-Tools, plain PyVRP.

    python benchmarks/bench_vrp.py --time-limit 10 [--sets cvrp,vrptw,vrpspd] [--solvers default,ortools,plain]
                                   [--instances NAME ...] [--seed 0] [--json out.json]
    python benchmarks/bench_vrp.py --folder benchmarks/heldout/data --time-limit 30 [--solvers default]

``--folder DIR`` runs a folder of LKH-3 VRPTW/VRPSPD files with a ``bks.csv`` (``file,set,bks``;
benchmarks/heldout/get_heldout.py writes the held-out set) instead of ../shared/bench, and prints
instance, best-known, cost, gap, feasibility and seconds per solver, and the mean gap per ``set``.

Solvers, all at the same wall-clock limit per instance, one at a time (never run two benchmarks at
once on a shared machine):

* ``default``: ``solve-vrp``'s default, i.e. our engine with the county default (PyVRP, with our
  penalty bounds, fleet handling and time budget);
* ``ortools``: our engine with ``engine="ortools"`` (the tuned ILS configuration);
* ``plain``: PyVRP's own ``pyvrp.Model`` + ``Model.solve(MaxRuntime(limit), seed)`` with default
  settings, fed the same integer distance/duration matrices.

Every answer is checked by the sets' independent checkers
(:func:`~culture_logistics.routing.cvrplib.check_cvrp_solution`,
:func:`~culture_logistics.routing.lkh.check_lkh_solution`) and costed from the file alone; an
answer that leaves customers out counts as a failure (no gap).  Prints one row per instance and
the mean gap per set and solver; ``uptime`` load is printed beside the timings, which are noisy on
a shared machine.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    from culture_logistics.formats.cvrplib import read_vrp
    from culture_logistics.formats.lkh import read_lkh
    from culture_logistics.routing import cvrplib, lkh
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from culture_logistics.formats.cvrplib import read_vrp
    from culture_logistics.formats.lkh import read_lkh
    from culture_logistics.routing import cvrplib, lkh

BENCH = HERE.parents[2] / "shared" / "bench"
SETS = {"cvrp": "cvrplib", "vrptw": "vrptw", "vrpspd": "vrpspd"}


def instances(set_name: str, only: list[str] | None) -> list[tuple[Path, int]]:
    d = BENCH / SETS[set_name]
    with open(d / "bks.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        f = d / (r["instance"] + ".vrp") if set_name == "cvrp" else d / r["file"]
        if set_name == "cvrp" and not f.name.startswith("X-"):
            continue  # the X set (A/B are tiny anchors)
        if only and f.stem not in only and f.name not in only:
            continue
        out.append((f, int(r["bks"])))
    return out


def folder_instances(folder: Path, only: list[str] | None) -> list[tuple[str, Path, int]]:
    """(set, path, bks) of every row of ``folder/bks.csv`` (columns file, set, bks)."""
    with open(folder / "bks.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [(r["set"], folder / r["file"], int(r["bks"])) for r in rows
            if not only or r["file"] in only or Path(r["file"]).stem in only]


def plain_pyvrp(path: Path, set_name: str, limit: float, seed: int) -> dict:
    """PyVRP's own Model with default settings on the same integer matrices; routes in .sol numbering."""
    import numpy as np
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    if set_name == "cvrp":
        inst = read_vrp(path)
        n, dist, dur = inst.num_customers, inst.distance, None
        deliv, pick = inst.demands, np.zeros_like(inst.demands)
        early = late = service = None
        vehicles, cap = n, inst.capacity
    else:
        inst = read_lkh(path)
        n, dist = inst.num_customers, inst.distance
        dur = dist if inst.has_time else None
        deliv, pick = inst.delivery, inst.pickup
        early, late, service = inst.early, inst.late, inst.service
        vehicles, cap = (inst.vehicles or n), inst.capacity
    m = pyvrp.Model()
    kw = {} if dur is None else {"tw_early": int(early[0]), "tw_late": int(late[0])}
    xy = inst.coords if inst.coords is not None else np.zeros((n + 1, 2))  # SWAP* uses the coordinates
    locs = [m.add_location(x=float(xy[i, 0]), y=float(xy[i, 1])) for i in range(n + 1)]
    m.add_depot(locs[0], **kw)
    vkw = dict(kw)
    if set_name != "cvrp" and inst.max_distance is not None:
        vkw["max_distance"] = int(inst.max_distance)
    m.add_vehicle_type(num_available=int(vehicles), capacity=int(cap), **vkw)
    for c in range(1, n + 1):
        ckw = {} if dur is None else {"tw_early": int(early[c]), "tw_late": int(late[c]),
                                      "service_duration": int(service[c])}
        m.add_client(locs[c], delivery=int(deliv[c]), pickup=int(pick[c]), **ckw)
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                m.add_edge(a, b, distance=int(dist[i, j]), duration=0 if dur is None else int(dur[i, j]))
    res = m.solve(stop=MaxRuntime(max(0.05, limit - (time.perf_counter() - t0))), seed=seed, display=False)
    # a client activity's idx counts the clients from 0 (as in the engine): customer number = idx + 1
    routes = [[int(a.idx) + 1 for a in r if a.is_client()] for r in res.best.routes()]
    if not res.best.is_feasible():
        raise cvrplib.CVRPSolutionError("plain PyVRP returned an infeasible solution")
    checker = (cvrplib.check_cvrp_solution if set_name == "cvrp" else lkh.check_lkh_solution)
    cost = checker(inst, routes)
    return {"cost": cost, "routes": routes, "seconds": time.perf_counter() - t0}


def run_one(path: Path, set_name: str, solver: str, limit: float, seed: int) -> dict:
    t0 = time.perf_counter()
    try:
        if solver == "plain":
            r = plain_pyvrp(path, set_name, limit, seed)
        else:
            r = lkh.solve_instance_file(path, limit, seed=seed, engine=None if solver == "default" else "ortools")
        seconds = time.perf_counter() - t0
        # cost again from the file alone by the set's checker (feasibility: it raises otherwise)
        if set_name == "cvrp":
            cost = cvrplib.check_cvrp_solution(read_vrp(path), r["routes"])
        else:
            cost = lkh.check_lkh_solution(read_lkh(path), r["routes"])
        if cost != r["cost"]:
            raise cvrplib.CVRPSolutionError(f"reported cost {r['cost']} but the checker says {cost}")
        return {"cost": cost, "seconds": seconds, "ok": True, "routes": len(r["routes"])}
    except (cvrplib.CVRPSolutionError, ValueError) as exc:
        return {"cost": None, "seconds": time.perf_counter() - t0, "ok": False, "error": str(exc)[:120]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--sets", default="cvrp,vrptw,vrpspd")
    ap.add_argument("--solvers", default="default,ortools,plain")
    ap.add_argument("--instances", nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--folder", type=Path, default=None,
                    help="a folder of LKH-3 files with bks.csv (file,set,bks), e.g. benchmarks/heldout/data")
    a = ap.parse_args(argv)
    solvers = a.solvers.split(",")
    if a.folder is not None:
        return run_folder(a, solvers)
    print(f"time limit {a.time_limit:g} s per instance and solver, seed {a.seed}; load {os.getloadavg()}")
    print(f"{'set':7s} {'instance':22s} {'bks':>9s} " + " ".join(f"{s + ' gap %':>13s} {'s':>5s}" for s in solvers))
    results = []
    for set_name in a.sets.split(","):
        for path, best in instances(set_name, a.instances):
            row = {"set": set_name, "instance": path.name, "bks": best}
            cells = []
            for s in solvers:
                r = run_one(path, set_name, s, a.time_limit, a.seed)
                r["gap_pct"] = None if r["cost"] is None else 100.0 * (r["cost"] - best) / best
                row[s] = r
                cells.append(f"{'FAIL' if r['gap_pct'] is None else format(r['gap_pct'], '.2f'):>13s} "
                             f"{r['seconds']:5.1f}")
            results.append(row)
            print(f"{set_name:7s} {path.name:22s} {best:9d} " + " ".join(cells), flush=True)
    print(f"\nmean gap to best-known (%), {a.time_limit:g} s per instance; load {os.getloadavg()}")
    print(f"{'set':7s} {'n':>3s} " + " ".join(f"{s:>10s}" for s in solvers))
    for set_name in a.sets.split(","):
        rows = [r for r in results if r["set"] == set_name]
        cells = []
        for s in solvers:
            gaps = [r[s]["gap_pct"] for r in rows]
            fails = sum(g is None for g in gaps)
            ok = [g for g in gaps if g is not None]
            cells.append(f"{(sum(ok) / len(ok)) if ok else float('nan'):10.2f}" + (f" ({fails} FAIL)" if fails else ""))
        print(f"{set_name:7s} {len(rows):3d} " + " ".join(cells))
    if a.json:
        a.json.write_text(json.dumps({"time_limit_s": a.time_limit, "seed": a.seed, "results": results}, indent=1),
                          encoding="utf-8")
    return 0


def run_folder(a, solvers: list[str]) -> int:
    """The held-out table: instance, best-known, cost, gap %, feasible, seconds (per solver); mean gap per set."""
    rows = folder_instances(a.folder, a.instances)
    print(f"{a.folder}: {len(rows)} instances; time limit {a.time_limit:g} s per instance and solver, seed {a.seed}; "
          f"load {os.getloadavg()}")
    head = " ".join(f"{s + ' cost':>14s} {'gap %':>7s} {'feas':>5s} {'s':>5s}" for s in solvers)
    print(f"{'set':20s} {'instance':22s} {'bks':>9s} {head}")
    results = []
    for set_name, path, best in rows:
        row = {"set": set_name, "instance": path.name, "bks": best}
        cells = []
        for s in solvers:
            r = run_one(path, "lkh", s, a.time_limit, a.seed)
            r["gap_pct"] = None if r["cost"] is None else 100.0 * (r["cost"] - best) / best
            row[s] = r
            cells.append(f"{'-' if r['cost'] is None else r['cost']:>14} "
                         f"{'FAIL' if r['gap_pct'] is None else format(r['gap_pct'], '.2f'):>7s} "
                         f"{'yes' if r['ok'] else 'NO':>5s} {r['seconds']:5.1f}")
            if not r["ok"]:
                cells[-1] += f" ({r['error']})"
        results.append(row)
        print(f"{set_name:20s} {path.name:22s} {best:9d} " + " ".join(cells), flush=True)
    print(f"\nmean gap to best-known (%), {a.time_limit:g} s per instance; load {os.getloadavg()}")
    print(f"{'set':20s} {'n':>3s} " + " ".join(f"{s:>16s}" for s in solvers))
    groups = sorted({r["set"] for r in results}) + sorted({r["set"].split("_")[0] for r in results}
                                                          - {r["set"] for r in results})
    for g in groups:
        sub = [r for r in results if r["set"] == g or r["set"].split("_")[0] == g]
        cells = []
        for s in solvers:
            gaps = [r[s]["gap_pct"] for r in sub]
            ok = [x for x in gaps if x is not None]
            fails = len(gaps) - len(ok)
            cells.append(f"{(sum(ok) / len(ok)) if ok else float('nan'):16.2f}" + (f" ({fails} FAIL)" if fails else ""))
        print(f"{g:20s} {len(sub):3d} " + " ".join(cells))
    if a.json:
        a.json.write_text(json.dumps({"folder": str(a.folder), "time_limit_s": a.time_limit, "seed": a.seed,
                                      "results": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
