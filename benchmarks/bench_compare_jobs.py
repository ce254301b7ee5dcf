#!/usr/bin/env python
"""Where a comparison's time goes: the CPU seconds of each plan ``route --mode compare`` makes, one after the other.

    python benchmarks/bench_compare_jobs.py [--county 370782] [--no-sharing] [--effort X]

Runs :func:`culture_logistics.routing.compare.compare_modes` on an embedded county as ``route --mode compare`` and
``demo`` do (separate, shared, 邮快合作, the plans without cultural parcels, the cost-sharing coalitions) in one
process (``workers = 1``), and prints each job's CPU seconds (``time.process_time``), largest first, and their sum.
Every solve stops on its deterministic work budget, so the jobs are the same work on any machine; the seconds are
the machine's.  Used for issue 23's profile (2026-12-07, 诸城: 15 jobs of 1.3–5.6 s, 62.6 s in all).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    import culture_logistics  # noqa: F401
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[1] / "src"))
from culture_logistics.app.options import with_effort
from culture_logistics.config.routing import RoutingParams
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.routing import compare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--county", default="370782")
    ap.add_argument("--no-sharing", action="store_true", help="without the cost-sharing coalitions (as the batch)")
    ap.add_argument("--effort", type=float, default=None, help="[routing] effort (as route --effort)")
    a = ap.parse_args()
    sc = with_effort(load_scenario(resolve_scenario(a.county)), a.effort)
    times: dict[str, float] = {}
    plan_many = compare.plan_many

    def timed(ctx, jobs, workers=0, progress=None):
        def wrap(key, fn):
            def run(c, pr):
                t = time.process_time()
                out = fn(c, pr)
                times[str(key)] = time.process_time() - t
                return out
            return run
        return plan_many(ctx, {k: wrap(k, f) for k, f in jobs.items()}, 1, progress)

    compare.plan_many = timed
    try:
        t = time.process_time()
        compare.compare_modes(sc, dataclasses.replace(RoutingParams.from_scenario(sc), workers=1),
                              sharing=not a.no_sharing, postal_courier=True, without_cultural=True)
        total = time.process_time() - t
    finally:
        compare.plan_many = plan_many
    for key, s in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{s:7.1f}  {key}")
    print(f"{sum(times.values()):7.1f}  {len(times)} jobs; {total:.1f} s CPU for the whole comparison")


if __name__ == "__main__":
    main()
