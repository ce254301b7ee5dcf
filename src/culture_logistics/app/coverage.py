"""``culture-logistics coverage`` (and the coverage step of ``demo``, ``report`` and ``batch``): compute the
villages' reach, then hand the result to :mod:`culture_logistics.reports.coverage`, which writes it."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from culture_logistics.app.options import check_out_dir, scenario_of
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.reports.coverage import CoverageReport, build_coverage_report, demo_lines


def run_coverage(scenario: Scenario | str | Path, out_dir: str | Path, radius_m: float | None = None,
                 lang: str = "en", tiles: str = "osm", with_map: bool = True) -> tuple[CoverageReport, dict[str, Path]]:
    """Compute the coverage of ``scenario``, build every output, then write them into ``out_dir``.

    ``scenario`` is a loaded :class:`~culture_logistics.inputs.scenario.Scenario`, or a ``scenario.toml`` path /
    embedded county code, loaded after the options are checked (the seconds in ``timings_s["load"]``).
    ``radius_m`` overrides ``[coverage] radius_m`` (metres along the road network).  Returns the
    :class:`~culture_logistics.reports.coverage.CoverageReport` (its ``result`` is the
    :class:`~culture_logistics.coverage.reach.CoverageResult`) and {file name: path}.
    """
    out_dir = check_out_dir(out_dir)
    if radius_m is not None and not (np.isfinite(radius_m) and radius_m > 0):
        raise CultureLogisticsError(f"--radius must be a positive number of metres, got {radius_m}")
    t0 = time.perf_counter()
    scenario = scenario_of(scenario)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = compute_coverage(scenario, radius_m=radius_m)
    t_cov = time.perf_counter() - t0
    report = build_coverage_report(result, lang=lang, tiles=tiles, with_map=with_map)
    report.timings_s["coverage"] = t_cov
    report.timings_s["load"] = t_load
    paths = report.write(out_dir)
    return report, paths


def demo_stage(scenario, out_dir: Path, time_limit_s: float | None, echo, progress=None, lang: str = "en") -> dict:
    """``culture-logistics demo`` step: coverage tables and map of the scenario into ``out_dir``.

    ``time_limit_s`` and ``progress`` are unused (no solver in this stage); ``lang`` is the workbook's
    and the map's language.  Prints two lines; returns the summary
    dict with ``files`` (paths as text) and ``seconds``.
    """
    t0 = time.perf_counter()
    report, paths = run_coverage(scenario, out_dir, lang=lang)
    s = dict(report.summary)
    dt = time.perf_counter() - t0
    size = paths["coverage_map.html"].stat().st_size / 1e6
    for line in demo_lines(s, Path(out_dir), dt, size, lang):
        echo(line)
    s["files"] = {k: str(p) for k, p in paths.items()}
    s["seconds"] = round(dt, 2)
    return s
