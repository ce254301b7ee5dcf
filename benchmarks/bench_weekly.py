#!/usr/bin/env python
"""The weekly visit plan against the daily plan (issue 12, item 4): vans and km per county.

    python benchmarks/bench_weekly.py [--counties 370782,370481] [--mode shared] [--time-limit 2] [--json FILE]

For every county: the daily plan (every village every delivery day, ⌈weekly / D⌉ parcels a day), run
once and counted D times, against :func:`culture_logistics.routing.weekly.plan_week` (each village on
its own days, one plan per day).  Same scenario, same network, same seed and time limit per model.
Prints one table per county (metric, unit, daily, weekly, difference, saving %) and the wall time of each
plan; timings depend on the machine's load (print ``uptime`` beside them).  Routing solves stop on a
wall-clock budget today, so repeated runs can differ by a little (issue 15).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    import culture_logistics  # noqa: F401
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))

from culture_logistics.config.routing import RoutingParams  # noqa: E402
from culture_logistics.inputs.datasets import resolve_scenario  # noqa: E402
from culture_logistics.inputs.scenario import load_scenario  # noqa: E402
from culture_logistics.network.roads import RoadNetwork  # noqa: E402
from culture_logistics.routing.plan import plan_routes  # noqa: E402
from culture_logistics.routing.weekly import plan_week, weekly_vs_daily  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", default="370782,370481")
    ap.add_argument("--mode", default="shared", choices=("shared", "separate"))
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per model (default [routing])")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    out = {}
    for code in a.counties.split(","):
        scn = load_scenario(resolve_scenario(code))
        params = RoutingParams.from_scenario(scn, time_limit_s=a.time_limit)
        net = RoadNetwork.from_scenario(scn)
        t0 = time.perf_counter()
        daily = plan_routes(scn, a.mode, params, network=net)
        t1 = time.perf_counter()
        week = plan_week(scn, a.mode, params, network=net)
        t2 = time.perf_counter()
        table = weekly_vs_daily(week, daily)
        v = week.summary()["visits_per_week"]
        print(f"\n{code} {scn.name} ({a.mode}; {params.delivery_days_per_week} delivery days; visits/week "
              f"{v['villages_by_visits']}, mean {v['mean']}; load {os.getloadavg()[0]:.2f})")
        print(table.to_string(index=False))
        print(week.week_table()[["day", "day_name", "villages_visited", "vehicles", "vehicles_last_mile",
                                 "distance_km", "cost_cny"]].to_string(index=False))
        print(f"daily plan {t1 - t0:.1f} s, weekly plan {t2 - t1:.1f} s (wall clock, noisy)")
        out[code] = {"table": table.to_dict("records"), "days": week.week_table().to_dict("records"),
                     "daily_s": round(t1 - t0, 1), "weekly_s": round(t2 - t1, 1)}
    if a.json:
        a.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
