"""``culture-logistics site`` (and the siting step of ``demo``, ``report`` and ``batch``): choose shared village
service points, then hand the result to :mod:`culture_logistics.reports.siting`, which writes it."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from culture_logistics.app.options import scenario_of
from culture_logistics.config.siting import SitingParams
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.progress import Progress, emit
from culture_logistics.reports.console import console_text
from culture_logistics.reports.siting import demo_lines, write_siting
from culture_logistics.siting.solve import SitingResult, solve_siting


def run_siting(scenario: Scenario | str | Path, out_dir: str | Path, model: str = "mclp", k: int | None = None,
               budget: float | None = None, capacitated: bool = False, minimize: str = "count",
               time_limit_s: float | None = None, radius_m: float | None = None, solver: str = "scip",
               map_html: bool = True, lang: str = "en",
               progress: Progress | None = None) -> tuple[SitingResult, dict[str, Path]]:
    """Solve one siting model for ``scenario`` and write its files into ``out_dir``.

    ``scenario`` is a loaded Scenario, or a ``scenario.toml`` path / embedded county code (loaded here; its
    input warnings go to ``progress`` as ``"warning"`` events).  ``radius_m`` overrides ``[siting] radius_m``
    (metres along the network); the other parameters are those of
    :func:`~culture_logistics.siting.solve.solve_siting`.  ``progress`` gets a ``"model"`` event per step.

    Returns the :class:`~culture_logistics.siting.solve.SitingResult` and {file key: path}
    (:func:`~culture_logistics.reports.siting.write_siting`).
    """
    if not isinstance(scenario, Scenario):
        scenario = scenario_of(scenario)
        for w in scenario.warnings:
            emit(progress, "warning", "load", str(w))
    params = SitingParams.from_scenario(scenario)
    if radius_m is not None:
        if radius_m <= 0:
            raise CultureLogisticsError(f"--radius must be > 0 m, got {radius_m}")
        params = replace(params, radius_m=float(radius_m))
    emit(progress, "model", "siting", console_text("model_solve", lang, model=model.upper(), solver=solver.upper()))
    res = solve_siting(scenario, model=model, k=k, budget=budget, capacitated=capacitated,
                       time_limit_s=time_limit_s, minimize=minimize, params=params, solver=solver)
    emit(progress, "model", "siting", console_text("model_write_map" if map_html else "model_write", lang))
    return res, write_siting(res, out_dir, map_html=map_html, lang=lang)


def demo_stage(scenario, out_dir: Path, time_limit_s: float | None, echo, progress: Progress | None = None,
               lang: str = "en") -> dict:
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
        echo(console_text("siting_nothing", lang))
        return {"gap_villages": 0}
    k = params.k or 5
    emit(progress, "model", "siting", console_text("model_mclp", lang, k=k, gaps=gaps))
    mclp = solve_siting(scenario, "mclp", k=k, time_limit_s=tl, coverage=cov, params=params)
    write_siting(mclp, Path(out_dir) / "siting", lang=lang)
    emit(progress, "model", "siting", console_text("model_lscp", lang))
    lscp = solve_siting(scenario, "lscp", time_limit_s=tl, coverage=cov, params=params)
    write_siting(lscp, Path(out_dir) / "siting_lscp", map_html=False, lang=lang)
    a, b = mclp.summary(), lscp.summary()
    for line in demo_lines(a, b, gaps, k, Path(out_dir), time.perf_counter() - t0, lang):
        echo(line)
    return {"mclp": a, "lscp": b}
