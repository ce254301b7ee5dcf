"""One county's job: build or reuse its inputs, run the steps into a partial folder, swap it into place.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from culture_logistics.app import coverage as coverage_app
from culture_logistics.app import routing as routing_app
from culture_logistics.app import siting as siting_app
from culture_logistics.app.kpis import write_folder_kpis
from culture_logistics.app.options import with_effort
from culture_logistics.batch.jobs import (
    DONE_FILE,
    MESSAGE_MAX_CHARS,
    PARTIAL_DIR,
    CountyJob,
    job_digest,
    normal_steps,
    read_done,
    sha256_digest,
)
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.report import county_stages
from culture_logistics.reports.writers import atomic_write_text, write_json
from culture_logistics.resources import counties_dir
from culture_logistics.synth import builder as synth
from culture_logistics.synth.common import DEFAULT_SEED


@dataclass
class CountyOutcome:
    """What one county job produced.

    Attributes
    ----------
    adcode, name : the county.
    status : ``"ok"`` or ``"failed"``.
    row : the county's ``province_reach.csv`` row (``REACH_COLUMNS``, text values).
    failure : the ``failures.csv`` row when failed, else ``None``.
    resumed : True when the county was finished by an earlier run and skipped.
    seconds : wall time of the task (s); ``cpu_seconds`` the CPU time (user + system) the worker process
        spent meanwhile; ``peak_rss_mb`` the worker process's peak resident memory (MB, ``getrusage``)
        when the task ended; ``worker`` the worker's address; ``step_seconds`` wall time per step.
    centre : (lon, lat) mean of the county's villages, used to place functional zones on the map.
    """

    adcode: str
    name: str
    status: str
    row: dict
    failure: dict | None = None
    resumed: bool = False
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str = ""
    step_seconds: dict = field(default_factory=dict)
    centre: list | None = None
    cpu_seconds: float = 0.0


def _fmt_int(v) -> str:
    return "" if v is None else str(int(v))


def _fmt_float(v, digits: int) -> str:
    if v is None:
        return ""
    v = float(v)
    return f"{v:.{digits}f}" if v == v else ""


def _row(job: CountyJob, status: str, cov: dict | None = None, sites=None, saving=None,
         boundary_source: str = "", synthetic=None, sites_mclp=None) -> dict:
    cov = cov or {}
    return {
        "adcode": job.adcode, "name": job.name,
        "villages": _fmt_int(cov.get("villages")), "villages_reached": _fmt_int(cov.get("villages_reached")),
        "population": _fmt_int(cov.get("population")),
        "population_reached": _fmt_int(cov.get("population_reached")),
        "reach_rate": _fmt_float(cov.get("reach_rate"), 4) if cov else "",
        "sites_mclp": _fmt_int(sites_mclp), "sites_lscp": _fmt_int(sites), "shared_saving_pct": _fmt_float(saving, 2),
        "boundary_source": boundary_source, "data": job.data,
        "synthetic": "" if synthetic is None else ("true" if synthetic else "false"),
        "status": status,
    }


def _find_saving(obj):
    """The shared-vs-separate cost saving (%) in the routing stage's summary, or ``None``.

    Reads the top-level ``shared_saving_pct`` or ``saving_pct`` (``None`` there means "no saving figure":
    nested per-metric savings are then not used); without either key, searches nested dicts.
    """
    if isinstance(obj, dict):
        for key in ("shared_saving_pct", "saving_pct"):
            if key in obj:
                v = obj[key]
                ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
                return float(v) if ok else None
        for v in obj.values():
            if isinstance(v, dict):
                found = _find_saving(v)
                if found is not None:
                    return found
    return None


def one_line(text: str) -> str:
    text = " | ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return text if len(text) <= MESSAGE_MAX_CHARS else text[:MESSAGE_MAX_CHARS - 1] + "…"


def _peak_rss_mb() -> float:
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0, 1)
    except (ImportError, OSError):  # pragma: no cover - Windows
        return 0.0


def _cpu_seconds() -> float:
    try:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    except (ImportError, OSError):  # pragma: no cover - Windows
        return time.process_time()


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _reuse_input(final_input: Path, partial_input: Path, recipe_digest: str) -> bool:
    """Copy a generated input folder from an earlier run when it was built from the same recipe."""
    marker = final_input / "_built.json"
    try:
        if json.loads(marker.read_text(encoding="utf-8")).get("recipe_digest") != recipe_digest:
            return False
    except (OSError, ValueError):
        return False
    shutil.copytree(final_input, partial_input)
    return True


def _clear_partials(partial_root: Path, adcode: str) -> None:
    """Remove this county's work folders left by a killed run (or by a task of an abandoned run)."""
    if partial_root.is_dir():
        for p in partial_root.iterdir():
            if p.name.split(".", 1)[0] == adcode:
                shutil.rmtree(p, ignore_errors=True)


def _swap_into_place(partial: Path, final: Path, old: Path, digest: str) -> None:
    """Rename the finished ``partial`` folder to ``final``, replacing an earlier (unfinished) one.

    When another task of the same county (from an abandoned run on an external cluster) put its own
    folder in place first, that folder is kept if its marker has the same digest.
    """
    if final.exists():
        os.rename(final, old)
    try:
        os.rename(partial, final)
    except OSError:
        done = read_done(final)
        if not (done and done.get("digest") == digest):
            raise
        shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def run_county(job: CountyJob, out_root: str | Path, steps: Sequence[str] = ("coverage",),
               time_limit_s: float | None = None, seed: int | None = None, digest: str | None = None,
               params: dict | None = None, lang: str = "en", effort: float | None = None) -> CountyOutcome:
    """Plan one county into ``out_root/<adcode>/`` (the task each Dask worker runs).

    Never raises for a county's own problems: any exception is caught and returned as a failed
    :class:`CountyOutcome` naming the step (``input``, ``load``, ``coverage``, ``site``, ``route``,
    ``write``), the error type and the message; nothing of the county is left in ``out_root`` then
    (an earlier complete folder stays), and a traceback of an unexpected error goes to
    ``out_root/logs/<adcode>.log``.

    Parameters
    ----------
    job : the county (:func:`plan_counties`).
    out_root : the batch's output folder ``DIR`` (on a filesystem every worker sees).
    steps : subset of :data:`STEPS`; coverage always runs.
    time_limit_s : solver time limit per step (s) for siting and routing (their defaults when ``None``).
    seed : the builder's seed for generated data (default :data:`culture_logistics.synth.common.DEFAULT_SEED`).
    digest, params : from :func:`job_digest` (computed here when omitted); stored in ``_done.json``.
    effort : replaces every county's ``[routing] effort`` (the multiplier of the routing work budget; None =
        each scenario's own).

    It is the county's transaction — build or reuse inputs, run the steps into a
    partial folder, then swap it into place — and keeping the steps in one frame keeps the crash-safety
    argument (nothing is final before the swap) readable in one place.
    """

    t_start = time.perf_counter()
    cpu_start = _cpu_seconds()
    seed = DEFAULT_SEED if seed is None else int(seed)
    steps = normal_steps(steps)
    out_root = Path(out_root)
    final = out_root / job.adcode
    token = uuid.uuid4().hex[:12]  # unique per task: a task of an abandoned run never shares a folder with us
    partial = out_root / PARTIAL_DIR / f"{job.adcode}.{token}"
    old = out_root / PARTIAL_DIR / f"{job.adcode}.{token}.old"
    timings: dict[str, float] = {}
    state: dict[str, Any] = {"step": "input", "cov": None, "sites": None, "saving": None, "boundary": "",
                             "synthetic": None, "centre": None}

    def clean_message(exc: BaseException) -> str:
        return one_line(str(exc).replace(str(partial), str(final))) or type(exc).__name__

    try:
        if digest is None or params is None:
            digest, params = job_digest(job, steps, time_limit_s, seed, lang, effort)
        _clear_partials(out_root / PARTIAL_DIR, job.adcode)  # left by a run that was killed
        partial.mkdir(parents=True)
        # ---- input
        t0 = time.perf_counter()
        state["step"] = "input"
        if job.data == "generated":
            recipe = params["inputs"]["recipe"]
            recipe_digest = sha256_digest(recipe)
            if not _reuse_input(final / "input", partial / "input", recipe_digest):
                summary = synth.build_county(job.adcode, partial / "input", seed=seed)
                write_json({"recipe_digest": recipe_digest, "recipe": recipe,
                            "boundary_source": summary["boundary_source"], "villages": summary["villages"],
                            "files": summary["files"]}, partial / "input" / "_built.json")
            scenario_path = partial / "input" / "scenario.toml"
        elif job.data == "embedded":

            scenario_path = counties_dir() / job.adcode / "scenario.toml"
        else:
            scenario_path = Path(job.scenario)
        timings["input"] = time.perf_counter() - t0
        # ---- load

        t0 = time.perf_counter()
        state["step"] = "load"
        scn = with_effort(load_scenario(scenario_path), effort)
        data_t = scn.section("data")
        state["boundary"] = str(data_t.get("boundary_source") or scn.boundary_source)
        state["synthetic"] = bool(scn.synthetic)
        if len(scn.villages):
            state["centre"] = [round(float(scn.villages["lon"].mean()), 5), round(float(scn.villages["lat"].mean()), 5)]
        timings["load"] = time.perf_counter() - t0
        # ---- coverage

        t0 = time.perf_counter()
        state["step"] = "coverage"
        report, _ = coverage_app.run_coverage(scn, partial, lang=lang)
        state["cov"] = dict(report.summary)
        timings["coverage"] = time.perf_counter() - t0
        lines: list[str] = []
        # ---- siting
        if "site" in steps:

            t0 = time.perf_counter()
            state["step"] = "site"
            res = siting_app.demo_stage(scn, partial, time_limit_s, lines.append, lang=lang)
            state["sites"] = res["lscp"]["sites"] if "lscp" in res else 0
            state["sites_mclp"] = res["mclp"]["sites"] if "mclp" in res else 0
            timings["site"] = time.perf_counter() - t0
        # ---- routing
        if "route" in steps:
            t0 = time.perf_counter()
            state["step"] = "route"
            # the comparison without the cost-sharing coalitions and without the plans for the cultural parcels'
            # marginal cost: the batch reports the saving and the indicators, not the split or the marginal cost
            res = routing_app.demo_stage(scn, partial, time_limit_s, lines.append, lang=lang, sharing=False,
                                         marginal=False)
            state["saving"] = _find_saving(res)
            timings["route"] = time.perf_counter() - t0
        # ---- the official indicators (kpis.csv, upload/), then the marker, last; then the folder goes into place
        state["step"] = "write"
        write_folder_kpis(scn, partial, county_stages(partial, scn.adcode))
        row = _row(job, "ok", state["cov"], state["sites"], state["saving"], state["boundary"], state["synthetic"],
                   state.get("sites_mclp"))
        done = {"digest": digest, "params": params, "row": row, "centre": state["centre"],
                "steps_log": [line.replace(str(partial), str(final)) for line in lines]}
        atomic_write_text(partial / DONE_FILE, json.dumps(done, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        _swap_into_place(partial, final, old, digest)
        log = out_root / "logs" / f"{job.adcode}.log"
        if log.exists():
            log.unlink()
        return CountyOutcome(job.adcode, job.name, "ok", row, None, False, round(time.perf_counter() - t_start, 3),
                             _peak_rss_mb(), _worker_name(), {k: round(v, 3) for k, v in timings.items()},
                             state["centre"], round(_cpu_seconds() - cpu_start, 3))
    except Exception as exc:  # a county's failure must not stop the batch: report it instead
        failure = {"adcode": job.adcode, "name": job.name, "step": state["step"],
                   "error_type": type(exc).__name__, "message": clean_message(exc)}
        if not isinstance(exc, CultureLogisticsError):
            try:

                atomic_write_text(out_root / "logs" / f"{job.adcode}.log",
                   "".join(traceback.format_exception(exc)).replace(str(partial), str(final)))
            except OSError:
                pass
        shutil.rmtree(partial, ignore_errors=True)
        boundary = state["boundary"] or client_boundary_source(job)
        row = _row(job, "failed", None, None, None, boundary, state["synthetic"])
        return CountyOutcome(job.adcode, job.name, "failed", row, failure, False,
                             round(time.perf_counter() - t_start, 3), _peak_rss_mb(), _worker_name(),
                             {k: round(v, 3) for k, v in timings.items()}, state["centre"],
                             round(_cpu_seconds() - cpu_start, 3))


def client_boundary_source(job: CountyJob) -> str:
    """Boundary source a county would use, for the row of a county that failed before loading."""

    if job.data != "generated":
        return ""
    try:
        if boundary.county_boundary(job.adcode) is not None:
            return "geotool-cn"
        if boundary.county_bbox(job.adcode) is not None:
            return "bbox"
        return "synthetic-disc" if divisions.is_functional_zone(job.adcode) else ""
    except Exception:  # noqa: BLE001 - a row label only
        return ""


def lost_outcome(job: CountyJob, exc: BaseException, note: str = "") -> CountyOutcome:
    """The failed outcome of a county whose task never returned (its worker died, or the task was lost):
    step ``worker``, the exception's type and message (after ``note``)."""
    return CountyOutcome(job.adcode, job.name, "failed",
                         _row(job, "failed", boundary_source=client_boundary_source(job)),
                         {"adcode": job.adcode, "name": job.name, "step": "worker",
                          "error_type": type(exc).__name__, "message": one_line(f"{note}{exc}")})
