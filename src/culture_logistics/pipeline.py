"""The whole chain on one scenario: load → validate → coverage → siting → routing → maps.

``run_demo`` is what ``culture-logistics demo`` runs.  Each stage is a plain
library call; this module only strings them together and reports progress.
"""
from __future__ import annotations

import time
from pathlib import Path

from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports import coverage as coverage_report
from culture_logistics.reports import routes as _routes
from culture_logistics.reports import siting as _siting_


def run_demo(scenario_path: Path, out_dir: Path | None = None, time_limit_s: float | None = None,
             echo=print) -> dict:

    t0 = time.perf_counter()
    scn = load_scenario(scenario_path)
    out_dir = Path(out_dir) if out_dir else Path.cwd() / "maps" / scn.adcode
    s = scn.summary()
    echo(f"[load] {scn.adcode} {scn.name}: {s['villages']} villages in {s['townships']} townships, "
         f"{s['facilities']} facilities, road graph {s['network'].get('nodes', 0):,} nodes "
         f"({time.perf_counter() - t0:.1f} s)")
    if scn.synthetic:
        echo("       coordinates, populations, facilities and roads are synthetic (see data/counties/README.md)")
    if scn.warnings:
        echo(f"       {len(scn.warnings)} warning(s); run `culture-logistics validate` to list them")
    results = {"summary": s}
    for stage in _stages():
        results[stage.__module__.rsplit(".", 1)[-1]] = stage(scn, out_dir, time_limit_s, echo)
    echo(f"[done] {time.perf_counter() - t0:.1f} s; outputs in {out_dir}")
    return results


def _stages():
    """The stages after loading, in order: coverage, siting, routing."""

    return [coverage_report.demo_stage, _siting_.demo_stage, _routes.demo_stage]
