"""Siting outputs: sites.csv, assignment.csv, gaps_after.csv, summary.json, the map.
"""
from __future__ import annotations

import time
from pathlib import Path

from culture_logistics.config.siting import SitingParams
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.reports.gis import siting_layers, write_gpkg
from culture_logistics.reports.maps.base import render_map
from culture_logistics.reports.maps.siting import siting_map
from culture_logistics.reports.writers import atomic_write_text, write_csv, write_json
from culture_logistics.siting.solve import SitingResult, solve_siting


def write_siting(result: SitingResult, out_dir: str | Path, map_html: bool = True, lang: str = "en") -> dict[str, Path]:
    """Write sites.csv, assignment.csv, gaps_after.csv, summary.json, siting_map.html and siting.gpkg into
    ``out_dir``; ``lang`` (``"en"``/``"zh"``) of the map.

    Everything (tables, summary, the rendered page) is computed first; then each file is written
    atomically with :mod:`culture_logistics.outputs`, so a failure leaves no half-written file.
    """

    out_dir = Path(out_dir)
    sites = result.sites_table()
    asg = result.assignment_table()
    gaps = result.gaps_after
    summary = result.summary()
    page = render_map(siting_map(result, lang=lang)) if map_html else None
    gis = siting_layers(result)
    paths = {
        "sites": write_csv(sites, out_dir / "sites.csv"),
        "assignment": write_csv(asg, out_dir / "assignment.csv"),
        "gaps_after": write_csv(gaps, out_dir / "gaps_after.csv"),
        "summary": write_json(summary, out_dir / "summary.json"),
    }
    if page is not None:
        paths["map"] = atomic_write_text(out_dir / "siting_map.html", page)
    paths["gpkg"] = write_gpkg(gis, out_dir / "siting.gpkg")
    return paths


def demo_stage(scenario, out_dir: Path, time_limit_s: float | None, echo) -> dict:
    """``culture-logistics demo`` step: MCLP with a small K, and the LSCP size, for one county.

    Writes the MCLP outputs to ``out_dir/siting`` and the LSCP ones to ``out_dir/siting_lscp``;
    returns both summaries.
    """

    t0 = time.perf_counter()
    params = SitingParams.from_scenario(scenario)
    radius = params.radius_m or scenario.coverage.radius_m
    cov = compute_coverage(scenario, radius_m=radius)
    tl = time_limit_s or params.time_limit_s
    gaps = int((~cov.villages["reached"]).sum())
    if gaps == 0:
        echo("[siting] every village is already reached; nothing to site")
        return {"gap_villages": 0}
    k = params.k or 5
    mclp = solve_siting(scenario, "mclp", k=k, time_limit_s=tl, coverage=cov, params=params)
    write_siting(mclp, Path(out_dir) / "siting")
    lscp = solve_siting(scenario, "lscp", time_limit_s=tl, coverage=cov, params=params)
    write_siting(lscp, Path(out_dir) / "siting_lscp", map_html=False)
    a, b = mclp.summary(), lscp.summary()
    echo(f"[siting] {gaps} gap villages; MCLP K={k}: {a['before']['villages_reached']} → "
         f"{a['after']['villages_reached']} villages reached, +{int(a['objective']):,} people "
         f"({'optimal' if a['optimal'] else 'gap %.2f%%' % (100 * a['gap'])}, {a['solve_seconds']:.2f} s)")
    echo(f"         LSCP: {b['sites']} sites ({b['sites_existing']} converted, {b['sites_new']} new, "
         f"{b['total_cost']:,.0f} CNY) reach every reachable gap village "
         f"({'optimal' if b['optimal'] else 'gap %.2f%%' % (100 * b['gap'])}); "
         f"{b['gap_villages_no_candidate']} villages no candidate can reach")
    echo(f"         outputs in {Path(out_dir) / 'siting'} ({time.perf_counter() - t0:.1f} s)")
    return {"mclp": a, "lscp": b}
