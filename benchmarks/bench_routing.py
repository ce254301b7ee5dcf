#!/usr/bin/env python
"""Routing speed and plan figures on the embedded counties (issue 12: county-wide last mile, night trunk).

    python benchmarks/bench_routing.py [--runs 1] [--only demo,route] [--json FILE]

Runs, through the real CLI of this checkout (one at a time: never start two benchmarks at once on a
shared machine):

* ``demo --county 370782`` (诸城: load, coverage, siting, routing in both modes, maps) — target < 10 s;
* ``route 370481 --mode shared`` (滕州) — target < 30 s;
* ``route 370782 --mode shared`` (诸城), for the plan figures.

and prints, per command, the wall time (median over ``--runs``) beside the baseline measured on main
before the county-wide last mile (same machine, so the same caveats), with the shared plan's cost,
vans, last-mile waiting van-hours and shift use from its ``summary.json``, and the machine's load
average (``os.getloadavg``) before and after: on a loaded machine the time-limited solves get less
CPU in the same wall time, so the plans and times both move.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]

#: measured on main before issue 12 (township assignment, trunk at 08:00): wall s, CNY/day, vans,
#: last-mile waiting van-hours and shift use % recomputed from main's route_plan.csv / routes_summary.csv
BASELINE = {
    "demo 370782": {"wall_s": 28.0, "cost_cny": None, "vehicles": None, "wait_h": None, "shift_pct": None},
    "route 370481": {"wall_s": 57.0, "cost_cny": 9882.12, "vehicles": 35, "wait_h": 49.6, "shift_pct": 65.0},
    "route 370782": {"wall_s": 17.1, "cost_cny": 5142.29, "vehicles": 18, "wait_h": 39.2, "shift_pct": 43.0},
}

COMMANDS = {
    "demo 370782": ("demo", ["demo", "--county", "370782", "--out"], "routing/shared/summary.json"),
    "route 370481": ("route", ["route", "370481", "--mode", "shared", "--out"], "summary.json"),
    "route 370782": ("route", ["route", "370782", "--mode", "shared", "--out"], "summary.json"),
}


def run(args: list[str], out: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args, str(out)], capture_output=True, text=True,
                         env=env)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{res.stderr}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", default="demo,route", help="demo, route or both (comma-separated)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    kinds = set(a.only.split(","))
    rows = []
    load0 = os.getloadavg()[0]
    for label, (kind, args, summary) in COMMANDS.items():
        if kind not in kinds:
            continue
        walls = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(a.runs):
                walls.append(run(args, Path(tmp) / f"run{i}"))
            s = json.loads((Path(tmp) / f"run{a.runs - 1}" / summary).read_text(encoding="utf-8"))
        rows.append({"command": label, "wall_s": round(statistics.median(walls), 1), "cost_cny": s["cost_cny"],
                     "vehicles": s["vehicles"], "wait_h": s.get("last_mile_wait_h"),
                     "shift_pct": s.get("shift_use_pct"), "load": round(os.getloadavg()[0], 2)})
    print(f"load average before: {load0:.2f} (2 cores; figures below are noisy when it is above 2)")
    head = f"{'command':<14} {'wall s':>8} {'base':>6} {'CNY/day':>9} {'base':>9} {'vans':>5} {'base':>5} " \
           f"{'wait h':>7} {'base':>5} {'shift %':>8} {'base':>5} {'load':>5}"
    print(head)
    for r in rows:
        b = BASELINE[r["command"]]

        def f(v, w=0):
            return "-" if v is None else f"{v:,.{w}f}"
        print(f"{r['command']:<14} {f(r['wall_s'], 1):>8} {f(b['wall_s'], 1):>6} {f(r['cost_cny']):>9} "
              f"{f(b['cost_cny']):>9} {f(r['vehicles']):>5} {f(b['vehicles']):>5} {f(r['wait_h'], 1):>7} "
              f"{f(b['wait_h']):>5} {f(r['shift_pct'], 1):>8} {f(b['shift_pct']):>5} {r['load']:>5}")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "baseline": BASELINE}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
