"""``culture-logistics route`` (and the routing step of ``demo``, ``report`` and ``batch``): check the options
once, load the scenario and resolve its routing parameters, plan (one mode, a week, or the comparison of
shared and separate delivery), then hand the result to :mod:`culture_logistics.reports.routes`, which writes it.

:func:`run_routing` does it all in one call; the CLI calls its two halves, :func:`prepare_routing` (every
check, before any work) and :func:`plan_and_write`, to print the county's line in between.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from culture_logistics.app.options import check_out_dir, check_time_limit, scenario_of
from culture_logistics.config.routing import MODES, RoutingParams, check_effort
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario, scale_demand, scale_demand_check
from culture_logistics.progress import Progress, emit, line_reporter
from culture_logistics.reports.console import model_line
from culture_logistics.reports.notes import group_warnings
from culture_logistics.reports.routes import demo_lines, peak_lines, write_comparison, write_plan, write_weekly
from culture_logistics.reports.writers import write_json
from culture_logistics.routing.compare import ModeComparison, compare_modes
from culture_logistics.routing.parallel import Background
from culture_logistics.routing.plan import RoutePlan, check_plannable, plan_mode, plan_routes
from culture_logistics.routing.sharing import share_costs
from culture_logistics.routing.specs import build_context
from culture_logistics.routing.weekly import WeeklyPlan, plan_week


@dataclass
class RoutingRequest:
    """A checked routing request: the loaded scenario, its resolved parameters and where and how to write.

    Made by :func:`prepare_routing`; run by :func:`plan_and_write`.
    """

    scenario: Scenario
    params: RoutingParams
    mode: str
    out_dir: Path
    weekly: bool = False
    sharing: bool | None = None
    map_html: bool = True
    tiles: str = "osm"
    lang: str = "en"
    marginal: bool = True


def prepare_routing(scenario: Scenario | str | Path, mode: str, out_dir: str | Path,
                    time_limit_s: float | None = None, seed: int | None = None, weekly: bool = False,
                    sharing: bool | None = None, map_html: bool = True, tiles: str = "osm",
                    lang: str = "en", demand_scale: float | None = None, effort: float | None = None) -> RoutingRequest:
    """Check every option once, then load ``scenario`` (a Scenario, a ``scenario.toml`` path or an embedded
    county code) and resolve its ``[routing]`` / ``[[fleet]]`` parameters with ``time_limit_s`` and ``seed``;
    ``demand_scale`` (``route --demand-scale``) replaces ``[demand] scale``: every flow is multiplied by it;
    ``effort`` (``route --effort``) replaces ``[routing] effort``, the multiplier of every solve's work budget;
    a bad value stops here, before any work, with a :class:`~culture_logistics.errors.CultureLogisticsError`.
    """
    if mode not in MODES:
        raise CultureLogisticsError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    check_time_limit(time_limit_s)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise CultureLogisticsError(f"--seed must be a whole number ≥ 0, got {seed!r}")
    if seed is not None and seed < 0:
        raise CultureLogisticsError(f"--seed must be ≥ 0, got {seed}")
    out_dir = check_out_dir(out_dir)
    if weekly and mode == "compare":
        raise CultureLogisticsError("--weekly plans one mode: give --mode shared or --mode separate "
                                    "(the default --mode is compare)")
    if weekly and sharing:
        raise CultureLogisticsError("--sharing splits the cost of one day's shared plan; it is not available with "
                                    "--weekly: run without --weekly for coalitions.csv and cost_sharing.csv")
    if demand_scale is not None:
        scale_demand_check(demand_scale)
    if effort is not None:
        check_effort(effort)
    scn = scenario_of(scenario)
    if demand_scale is not None:
        scn = scale_demand(scn, demand_scale)
    params = RoutingParams.from_scenario(scn)   # checks [routing] / [[fleet]]; the overrides are checked above
    if time_limit_s is not None:
        params = replace(params, time_limit_s=time_limit_s)
    if seed is not None:
        params = replace(params, seed=seed)
    if effort is not None:
        params = replace(params, effort=float(effort))
    return RoutingRequest(scn, params, mode, out_dir, weekly, sharing, map_html, tiles, lang)


def plan_and_write(req: RoutingRequest, progress: Progress | None = None
                   ) -> tuple[RoutePlan | ModeComparison | WeeklyPlan, dict[str, Path]]:
    """Plan ``req`` and write its files; returns (result, {file name: path}).

    The result is a :class:`~culture_logistics.routing.weekly.WeeklyPlan` (``weekly``), a
    :class:`~culture_logistics.routing.compare.ModeComparison` (mode ``compare``) or a
    :class:`~culture_logistics.routing.plan.RoutePlan`.  ``progress(event, **fields)`` (see
    :mod:`culture_logistics.progress`) gets a ``"model"`` event per routing model and a ``"warning"`` event
    per note on the data (e.g. a station over its capacity).
    """
    scenario, params, mode = req.scenario, req.params, req.mode
    reporter = line_reporter(progress, "routing")
    lines = None if reporter is None else (lambda line: reporter(model_line(line, req.lang)))
    if req.weekly:
        week = plan_week(scenario, mode, params, progress=lines)
        return week, write_weekly(week, req.out_dir, req.lang)
    if mode == "compare":
        # the cultural parcels' marginal cost (when other parcels ride along) planned with the comparison's plans
        cmp = compare_modes(scenario, params, progress=lines, sharing=req.sharing is not False,
                            without_cultural=req.marginal)
        notes = [w if w.startswith(f"{plan.mode}:") else f"{plan.mode}: {w}"
                 for plan in (cmp.separate, cmp.shared, cmp.postal_courier) if plan is not None for w in plan.warnings]
        for w in group_warnings(notes, lang=req.lang):
            emit(progress, "warning", "routing", w)
        return cmp, write_comparison(cmp, req.out_dir, req.map_html, req.tiles, req.lang)
    res = plan_routes(scenario, mode, params, progress=lines)
    for w in group_warnings(res.warnings, lang=req.lang):
        emit(progress, "warning", "routing", w)
    if req.sharing:
        res.cost_sharing = share_costs(scenario, params, shared_plan=res if mode == "shared" else None,
                                       network=res.net, progress=lines)
    return res, write_plan(res, req.out_dir, req.map_html, req.tiles, req.lang)


def run_routing(scenario: Scenario | str | Path, mode: str, out_dir: str | Path, time_limit_s: float | None = None,
                seed: int | None = None, map_html: bool = True, tiles: str = "osm", lang: str = "en",
                progress: Progress | None = None, sharing: bool | None = None, weekly: bool = False,
                marginal: bool = True):
    """Plan (``shared``/``separate``) or compare, then write the outputs.  Returns (result, paths).

    ``sharing``: also plan every coalition of the carrying operators and share the shared plan's cost
    (:func:`~culture_logistics.routing.sharing.share_costs`; ``None`` = in compare mode only), writing
    coalitions.csv, cost_sharing.csv and cost_sharing.xlsx beside the plan and ``cost_sharing`` in summary.json.
    ``weekly``: plan a week of visits (:func:`~culture_logistics.routing.weekly.plan_week`) instead of
    one day, written by :func:`~culture_logistics.reports.routes.write_weekly` (no map); only with ``shared``
    or ``separate``.  ``marginal``: in compare mode, also plan shared and separate without the cultural parcels
    for their marginal cost (``cultural_marginal_cost_cny_per_day``).  See :func:`prepare_routing` (the checks)
    and :func:`plan_and_write` (``progress``).
    """
    req = prepare_routing(scenario, mode, out_dir, time_limit_s=time_limit_s, seed=seed, weekly=weekly,
                          sharing=sharing, map_html=map_html, tiles=tiles, lang=lang)
    return plan_and_write(replace(req, marginal=marginal), progress)


def demo_stage(scenario: Scenario, out_dir: Path, time_limit_s: float | None, echo,
               progress: Progress | None = None, lang: str = "en", sharing: bool = True,
               marginal: bool = True) -> dict:
    """``culture-logistics demo`` step: compare shared with separate delivery, write to ``out_dir/routing``.

    ``sharing``: also plan the cost-sharing coalitions (coalitions.csv, cost_sharing.csv), as ``route --mode
    compare`` does; the province batch, which does not report them, passes False: six plans fewer for
    three operators.  ``marginal``: also plan shared and separate without the cultural parcels for their
    marginal cost (``cultural_marginal_cost_cny_per_day``); the batch, whose province tables do not report it,
    passes False: four plans fewer (the county's summary.json then has it null, and its report leaves it out).

    ``time_limit_s`` overrides the safety cap per model (default ``[routing] time_limit_s``); every solve
    stops on its deterministic work budget first, so the demo's plan is the plan ``route`` makes.  ``echo`` gets the
    summary lines; ``progress`` a ``"model"`` event per routing model and a ``"warning"`` per data note.
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "routing"
    res, paths = run_routing(scenario, "compare", out, time_limit_s=time_limit_s, lang=lang,
                             progress=progress, sharing=None if sharing else False, marginal=marginal)
    s = res.summary()
    for line in demo_lines(s, out, time.perf_counter() - t0, lang):
        echo(line)
    return s


#: the folder (under the demo / report folder) of the peak plan
PEAK_DIR = "routing_peak"


def plan_peak(scenario: Scenario, time_limit_s: float | None = None, progress=None) -> tuple[RoutePlan, float]:
    """The peak plan: the shared plan again with every flow (cultural and other, in and out) × ``[demand]
    peak_scale`` on top of ``[demand] scale`` (the factor used is their product).  Returns (plan, factor).

    The same fleet, stations and capacities as the day's plan: what does not fit is listed unserved, each
    stop with its reason (a station's capacity_per_day, a vehicle too small for a stop's parcels …).  The
    cultural parcels' marginal cost is not solved for the peak (one plan, not two)."""
    factor = float(scenario.demand_scale) * float(scenario.peak_scale)
    scn = scale_demand(scenario, factor)
    params = RoutingParams.from_scenario(scn)
    if time_limit_s is not None:
        params = replace(params, time_limit_s=time_limit_s)
    check_plannable(scn, "shared")
    return plan_mode(build_context(scn, params), "shared", progress), factor


@contextmanager
def peak_beside(scenario: Scenario, time_limit_s: float | None = None, start: bool = True
                ) -> Iterator[Background[tuple[RoutePlan, float]] | None]:
    """The peak plan (:func:`plan_peak`) started on entry in a process of its own, for :func:`peak_stage` to
    collect (``pending``), so that it runs beside the comparison instead of after it; stopped on exit if not
    collected (an earlier stage failed).  Yields None when ``start`` is False or no process may be forked (a
    batch worker, a process with other threads): :func:`peak_stage` then plans it itself.  The plan is the same
    either way; its per-model progress lines are not shown when it runs beside."""
    peak = None
    if start:
        bg = Background(lambda: plan_peak(scenario, time_limit_s, None), RoutingParams.from_scenario(scenario).workers)
        peak = bg if bg.forked else None
    try:
        yield peak
    finally:
        if peak is not None:
            peak.cancel()   # a no-op once collected


def peak_stage(scenario: Scenario, out_dir: Path, time_limit_s: float | None, echo,
               progress: Progress | None = None, lang: str = "en",
               pending: Background[tuple[RoutePlan, float]] | None = None) -> dict:
    """``demo`` / ``report`` step: the peak plan (:func:`plan_peak`, or the one ``pending`` from
    :func:`peak_beside` makes) written to ``out_dir/routing_peak`` (route_plan.csv, routes_summary.csv,
    unserved.csv, route sheets, summary.json with ``peak_scale`` and ``demand_scale``; no map).  Returns its
    summary."""
    t0 = time.perf_counter()
    out = Path(out_dir) / PEAK_DIR
    reporter = line_reporter(progress, "routing")
    lines = None if reporter is None else (lambda line: reporter(model_line(f"peak: {line}", lang)))
    if pending is not None:
        plan, factor = pending.result()
    else:
        plan, factor = plan_peak(scenario, time_limit_s, lines)
    tag = "高峰：" if lang == "zh" else "peak: "
    for w in group_warnings(plan.warnings, lang=lang):
        emit(progress, "warning", "routing", tag + w)
    paths = write_plan(plan, out, map_html=False, lang=lang)
    s = json.loads(paths["summary.json"].read_text(encoding="utf-8"))
    s |= {"peak_scale": float(scenario.peak_scale), "demand_scale": factor}
    write_json(s, paths["summary.json"])
    for line in peak_lines(s, out, time.perf_counter() - t0, lang):
        echo(line)
    return s


def solve_vrp(path: str | Path, time_limit_s: float, seed: int = 0, engine: str | None = None,
              iterations: int | None = None, fmt: str | None = None, budget: str = "work") -> dict:
    """``culture-logistics solve-vrp``: solve one benchmark file, its format detected from the content or forced
    by ``fmt`` (``cvrplib``: CVRPLIB / LKH-3 by its TYPE header; ``cordeau-mdvrp``, ``cordeau-pvrp``,
    ``breunig``, ``perboli``: :mod:`culture_logistics.routing.literature`).  The answer dict (``cost``,
    ``routes``, … ; the literature formats add ``feasible``)."""
    from culture_logistics.formats.base import FORMATS, detect

    fmt = None if fmt in (None, "auto") else fmt
    kind = fmt or detect(path) or "cvrplib"
    if kind in FORMATS:
        if iterations is not None:
            raise CultureLogisticsError(f"--iterations applies to CVRPLIB/LKH-3 files; {path} is a {kind} file, "
                                        "whose search stops on its own deterministic budget (or --time-limit)")
        from culture_logistics.routing.literature import solve_benchmark_file

        return solve_benchmark_file(path, time_limit_s, seed, fmt=kind, budget=budget, engine=engine)
    from culture_logistics.routing import lkh

    return lkh.solve_instance_file(path, time_limit_s=time_limit_s, seed=seed, engine=engine, iterations=iterations)
