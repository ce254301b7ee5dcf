"""Province scale: plan every county of a province as one batch of independent county jobs on Dask.

:func:`run_batch` sends one task per county to a ``dask.distributed`` cluster — a
:class:`~distributed.LocalCluster` of worker *processes* (one thread each) by default, or an existing
cluster when a scheduler address is given — and writes the province tables and map when they are done.
Each task is :func:`run_county`: an ordinary function that loads (or first builds) one county, runs
the requested steps and writes that county's normal outputs.

Where a county's data comes from (column ``data`` of ``province_reach.csv``)
    ``user``       a ``scenario.toml`` named in ``counties`` or found as ``<data_dir>/<adcode>/scenario.toml``;
    ``embedded``   the repository's dataset ``data/counties/<adcode>/``;
    ``generated``  otherwise: built on the fly by :func:`culture_logistics.synth.build_county` from the
                   real NBS division lists and the boundary read at run time from geotool-cn, into
                   ``DIR/<adcode>/input/`` (synthetic coordinates, populations, facilities and roads).
    The 15 NBS functional zones (``37xx7x``, 开发区/高新区) have no polygon of their own: they are
    *built*, not skipped, on the builder's synthetic disc (``boundary_source = synthetic-disc``), so that
    their 1,422 village-level units count in the province totals; the province map draws them as a dot.

Layout of ``DIR``::

    DIR/<adcode>/            the county's outputs (coverage files, siting/, siting_lscp/, routing/, input/)
    DIR/<adcode>/_done.json  written last: digest of the inputs and parameters, and the county's row
    DIR/province_reach.csv   one row per county (``REACH_COLUMNS``), sorted by adcode
    DIR/failures.csv         one row per failed county (``FAILURE_COLUMNS``); header only when none
    DIR/province_map.html    counties shaded by reach rate; click one for its coverage map
    DIR/batch_summary.json   run statistics (timings, memory, counts) — the only file that varies by run
    DIR/logs/<adcode>.log    the traceback of a county that failed with an unexpected error

Reliability
    A county is computed in ``DIR/.partial/<adcode>.<token>/``; ``_done.json`` is written into it last, then the
    folder is renamed to ``DIR/<adcode>`` (an atomic rename on one filesystem).  So ``DIR/<adcode>``
    always holds a complete county, and a county counts as finished only when its ``_done.json`` exists
    *and* its digest equals the digest of the current inputs and parameters.  A batch killed half-way
    and started again skips the finished counties (their rows are read back from ``_done.json``),
    recomputes the rest, and ends with a ``province_reach.csv`` byte-identical to an uninterrupted
    run's.  Any exception in a county — bad data, a solver error — is caught in the task and reported in
    ``failures.csv``; a worker that dies is reported the same way; the other counties go on.

Steps
    ``coverage`` always runs (the province table is built from it); ``site`` adds the siting demo stage
    (MCLP with K = 5 into ``siting/``, the set cover into ``siting_lscp/``; ``sites_proposed`` is the set
    cover's size: the sites needed to reach every reachable gap village); ``route`` adds the routing demo
    stage when :mod:`culture_logistics.routing` exists (``shared_saving_pct`` from its summary), and
    fails the county with "routing not available" otherwise.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import tomllib
import traceback
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pandas as pd

from .errors import CultureLogisticsError

__all__ = [
    "STEPS", "REACH_COLUMNS", "FAILURE_COLUMNS", "DONE_FILE", "BatchError", "CountyJob", "CountyOutcome",
    "BatchResult", "plan_counties", "job_digest", "run_county", "run_batch", "read_done", "reach_table",
    "failure_table", "province_map", "write_province_outputs", "routing_available",
]

STEPS = ("coverage", "site", "route")
DONE_FILE = "_done.json"
PARTIAL_DIR = ".partial"
PROVINCES = {"37": "山东省"}
#: columns of province_reach.csv, in order
REACH_COLUMNS = [
    "adcode", "name", "villages", "villages_reached", "population", "population_reached", "reach_rate",
    "sites_proposed", "shared_saving_pct", "boundary_source", "data", "synthetic", "status",
]
#: columns of failures.csv, in order
FAILURE_COLUMNS = ["adcode", "name", "step", "error_type", "message"]
DONE_FORMAT = 1
MESSAGE_MAX_CHARS = 2000


class BatchError(CultureLogisticsError):
    """The batch cannot start: a bad argument, an unknown county code, an unreachable scheduler."""


# ============================================================================ jobs


@dataclass(frozen=True)
class CountyJob:
    """One county to plan.

    Attributes
    ----------
    adcode : 6-digit county code (text).
    name : the county's name (from the scenario, else the NBS list).
    data : ``"embedded"``, ``"generated"`` or ``"user"`` (see the module docstring).
    scenario : absolute path of the ``scenario.toml`` for ``user`` data; ``None`` otherwise (an embedded
        dataset is found by the worker under its own ``data/counties``; a generated one is built there).
    villages_hint : village count from the NBS list, used only to start the largest counties first.
    """

    adcode: str
    name: str
    data: str
    scenario: str | None = None
    villages_hint: int = 0


def _toml_county(path: Path) -> tuple[str, str]:
    """(adcode, name) of a scenario.toml; raises BatchError when the file cannot tell."""
    try:
        conf = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        parent = path.parent.name
        if len(parent) == 6 and parent.isdigit():  # the folder names the county: let the job report it
            return parent, ""
        raise BatchError(f"{path}: cannot read the county code from it ({exc}); name the county folder "
                         "after its 6-digit code or fix the file") from None
    county = conf.get("county", {}) if isinstance(conf.get("county", {}), dict) else {}
    code = str(county.get("adcode", "")).strip()
    if not (len(code) == 6 and code.isdigit()):
        raise BatchError(f"{path}: [county] adcode must be a 6-digit code, got {code!r}")
    return code, str(county.get("name", "") or "")


def _scenario_file(arg: str) -> Path | None:
    p = Path(arg)
    if p.is_dir() and (p / "scenario.toml").is_file():
        return (p / "scenario.toml").resolve()
    if p.is_file() and p.suffix.lower() == ".toml":
        return p.resolve()
    return None


def plan_counties(province: str = "37", counties: Iterable[str] | str | None = None,
                  data_dir: str | Path | None = None) -> list[CountyJob]:
    """The county jobs of a batch, sorted by adcode.

    Parameters
    ----------
    province : 2-digit province code; only ``"37"`` (Shandong) has division lists in ``data/divisions``.
    counties : county codes (6 digits) and/or paths of ``scenario.toml`` files (or folders holding one),
        as a list or one comma-separated string; default every county-level unit of the province (151
        for Shandong, functional zones included).  A path makes that county's data ``user``.
    data_dir : a folder of user datasets ``<data_dir>/<adcode>/scenario.toml``, used in preference to the
        embedded and generated data for the counties it has.

    Raises
    ------
    BatchError
        unknown province or county code, a code outside the province, a path that is not a scenario,
        a county named twice.
    """
    from . import divisions
    from ._paths import counties_dir

    province = str(province).strip()
    if province not in PROVINCES:
        raise BatchError(f"province {province!r} has no division lists here; only "
                         f"{', '.join(f'{k} ({v})' for k, v in PROVINCES.items())} is supported")
    table = divisions.counties()
    names = dict(zip(table["code"], table["name"]))
    sizes = divisions.villages().groupby("county_code").size().to_dict()
    if isinstance(counties, str):
        counties = [c for c in (s.strip() for s in counties.split(",")) if c]
    user_dir = Path(data_dir) if data_dir is not None else None
    if user_dir is not None and not user_dir.is_dir():
        raise BatchError(f"--data-dir {user_dir} is not a folder; give a folder of <adcode>/scenario.toml datasets")

    items: list[tuple[str, Path | None]] = []
    if counties is None:
        items = [(c, None) for c in table["code"] if c.startswith(province)]
    else:
        for arg in counties:
            arg = str(arg).strip()
            if len(arg) == 6 and arg.isdigit():
                if arg not in names:
                    raise BatchError(f"county code {arg} is not in the NBS 2023 list of {PROVINCES[province]} "
                                     f"(data/divisions/shandong_counties.csv)")
                if not arg.startswith(province):
                    raise BatchError(f"county {arg} is not in province {province}")
                items.append((arg, None))
                continue
            path = _scenario_file(arg)
            if path is None:
                raise BatchError(f"{arg!r} is neither a 6-digit county code nor a scenario.toml "
                                 "(or a folder holding one)")
            code, _ = _toml_county(path)
            items.append((code, path))
    jobs, seen = [], set()
    for code, path in items:
        if code in seen:
            raise BatchError(f"county {code} is named twice; each county runs once per batch")
        seen.add(code)
        if path is None and user_dir is not None and (user_dir / code / "scenario.toml").is_file():
            path = (user_dir / code / "scenario.toml").resolve()
        if path is not None:
            _, toml_name = _toml_county(path)
            jobs.append(CountyJob(code, toml_name or names.get(code, code), "user", str(path), sizes.get(code, 0)))
        elif (counties_dir() / code / "scenario.toml").is_file():
            _, toml_name = _toml_county(counties_dir() / code / "scenario.toml")
            jobs.append(CountyJob(code, toml_name or names.get(code, code), "embedded", None, sizes.get(code, 0)))
        else:
            jobs.append(CountyJob(code, names.get(code, code), "generated", None, sizes.get(code, 0)))
    return sorted(jobs, key=lambda j: j.adcode)


def _normal_steps(steps: Iterable[str] | str | None) -> tuple[str, ...]:
    if steps is None:
        return ("coverage",)
    if isinstance(steps, str):
        steps = [s for s in (x.strip() for x in steps.split(",")) if s]
    steps = list(steps)
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise BatchError(f"unknown step(s) {', '.join(bad)}; choose from {', '.join(STEPS)} (comma-separated)")
    return tuple(s for s in STEPS if s == "coverage" or s in steps)


# ============================================================================ digests and markers


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _scenario_inputs(toml_path: Path) -> dict[str, str]:
    """sha256 of a scenario.toml and of every input file it names (``missing`` when absent)."""
    out = {"scenario.toml": _sha_file(toml_path) if toml_path.is_file() else "missing"}
    try:
        conf = tomllib.loads(toml_path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return out
    inputs = conf.get("inputs", {})
    if isinstance(inputs, dict):
        for key in sorted(inputs):
            p = toml_path.parent / str(inputs[key])
            out[f"{key}:{inputs[key]}"] = _sha_file(p) if p.is_file() else "missing"
    return out


@lru_cache(maxsize=4)
def _builder_common(divisions: str) -> dict:
    from . import boundary, synth

    return {
        "builder_sha256": _sha_file(Path(synth.__file__)),
        "divisions_sha256": {f: _sha_file(Path(divisions) / f) for f in
                             ("shandong_counties.csv", "shandong_townships.csv", "shandong_villages.csv")},
        "boundary_data_version": boundary.gtc_data_version() or "",
    }


def _builder_recipe(adcode: str, seed: int) -> dict:
    """What a generated county's input depends on: code, seed, builder source, division lists, boundary data."""
    from ._paths import divisions_dir

    return {"adcode": adcode, "seed": int(seed), **_builder_common(str(divisions_dir()))}


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def job_digest(job: CountyJob, steps: Sequence[str], time_limit_s: float | None, seed: int) -> tuple[str, dict]:
    """Digest of everything a county's outputs depend on, and the parameters it was made from.

    Inputs: for ``embedded``/``user`` data the sha256 of the scenario.toml and every file it names; for
    ``generated`` data the builder's recipe (adcode, seed, the builder's source, the division lists and
    the geotool-cn data version).  Parameters: steps, time limit, the package version.

    Returns
    -------
    (digest, params) : the hex sha256 and the dict it was computed from.
    """
    from . import __version__
    from ._paths import counties_dir

    if job.data == "generated":
        inputs = {"recipe": _builder_recipe(job.adcode, seed)}
    else:
        path = Path(job.scenario) if job.scenario else counties_dir() / job.adcode / "scenario.toml"
        inputs = _scenario_inputs(path)
    params = {"format": DONE_FORMAT, "adcode": job.adcode, "data": job.data, "inputs": inputs,
              "steps": list(steps), "time_limit_s": time_limit_s, "version": __version__}
    return _digest(params), params


def read_done(county_dir: str | Path) -> dict | None:
    """The ``_done.json`` of a finished county folder, or ``None`` when there is none or it is unreadable."""
    path = Path(county_dir) / DONE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ============================================================================ one county (runs in a worker)


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
         boundary_source: str = "", synthetic=None) -> dict:
    cov = cov or {}
    return {
        "adcode": job.adcode, "name": job.name,
        "villages": _fmt_int(cov.get("villages")), "villages_reached": _fmt_int(cov.get("villages_reached")),
        "population": _fmt_int(cov.get("population")),
        "population_reached": _fmt_int(cov.get("population_reached")),
        "reach_rate": _fmt_float(cov.get("reach_rate"), 4) if cov else "",
        "sites_proposed": _fmt_int(sites), "shared_saving_pct": _fmt_float(saving, 2),
        "boundary_source": boundary_source, "data": job.data,
        "synthetic": "" if synthetic is None else ("true" if synthetic else "false"),
        "status": status,
    }


def routing_available() -> bool:
    """True when :mod:`culture_logistics.routing` exists and has a ``demo_stage``."""
    return _routing_stage() is not None


def _routing_stage():
    import importlib

    try:
        routing = importlib.import_module(f"{__package__}.routing")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.routing":
            return None
        raise
    return getattr(routing, "demo_stage", None)


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


class RoutingUnavailable(CultureLogisticsError):
    """``--steps route`` was asked for but :mod:`culture_logistics.routing` is not installed yet."""


def _one_line(text: str) -> str:
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
               params: dict | None = None) -> CountyOutcome:
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
    seed : the builder's seed for generated data (default :data:`culture_logistics.synth.DEFAULT_SEED`).
    digest, params : from :func:`job_digest` (computed here when omitted); stored in ``_done.json``.
    """
    from . import synth
    from .outputs import atomic_write_text, write_json

    t_start = time.perf_counter()
    cpu_start = _cpu_seconds()
    seed = synth.DEFAULT_SEED if seed is None else int(seed)
    steps = _normal_steps(steps)
    out_root = Path(out_root)
    final = out_root / job.adcode
    token = uuid.uuid4().hex[:12]  # unique per task: a task of an abandoned run never shares a folder with us
    partial = out_root / PARTIAL_DIR / f"{job.adcode}.{token}"
    old = out_root / PARTIAL_DIR / f"{job.adcode}.{token}.old"
    timings: dict[str, float] = {}
    state = {"step": "input", "cov": None, "sites": None, "saving": None, "boundary": "", "synthetic": None,
             "centre": None}

    def clean_message(exc: BaseException) -> str:
        return _one_line(str(exc).replace(str(partial), str(final))) or type(exc).__name__

    try:
        if digest is None or params is None:
            digest, params = job_digest(job, steps, time_limit_s, seed)
        _clear_partials(out_root / PARTIAL_DIR, job.adcode)  # left by a run that was killed
        partial.mkdir(parents=True)
        if "route" in steps and _routing_stage() is None:
            state["step"] = "route"
            raise RoutingUnavailable("routing not available: culture_logistics.routing (with demo_stage) is not "
                                     "installed in this version; run without the route step")
        # ---- input
        t0 = time.perf_counter()
        state["step"] = "input"
        if job.data == "generated":
            recipe = params["inputs"]["recipe"]
            recipe_digest = _digest(recipe)
            if not _reuse_input(final / "input", partial / "input", recipe_digest):
                summary = synth.build_county(job.adcode, partial / "input", seed=seed)
                write_json({"recipe_digest": recipe_digest, "recipe": recipe,
                            "boundary_source": summary["boundary_source"], "villages": summary["villages"],
                            "files": summary["files"]}, partial / "input" / "_built.json")
            scenario_path = partial / "input" / "scenario.toml"
        elif job.data == "embedded":
            from ._paths import counties_dir

            scenario_path = counties_dir() / job.adcode / "scenario.toml"
        else:
            scenario_path = Path(job.scenario)
        timings["input"] = time.perf_counter() - t0
        # ---- load
        from .scenario import load_scenario

        t0 = time.perf_counter()
        state["step"] = "load"
        scn = load_scenario(scenario_path)
        data_t = scn.section("data")
        state["boundary"] = str(data_t.get("boundary_source") or scn.boundary_source)
        state["synthetic"] = bool(scn.synthetic)
        if len(scn.villages):
            state["centre"] = [round(float(scn.villages["lon"].mean()), 5), round(float(scn.villages["lat"].mean()), 5)]
        timings["load"] = time.perf_counter() - t0
        # ---- coverage
        from .coverage_report import run_coverage

        t0 = time.perf_counter()
        state["step"] = "coverage"
        report, _ = run_coverage(scn, partial)
        state["cov"] = dict(report.summary)
        timings["coverage"] = time.perf_counter() - t0
        lines: list[str] = []
        # ---- siting
        if "site" in steps:
            from . import siting

            t0 = time.perf_counter()
            state["step"] = "site"
            res = siting.demo_stage(scn, partial, time_limit_s, lines.append)
            state["sites"] = res["lscp"]["sites"] if "lscp" in res else 0
            timings["site"] = time.perf_counter() - t0
        # ---- routing
        if "route" in steps:
            t0 = time.perf_counter()
            state["step"] = "route"
            stage = _routing_stage()
            res = stage(scn, partial, time_limit_s, lines.append)
            state["saving"] = _find_saving(res)
            timings["route"] = time.perf_counter() - t0
        # ---- the marker, last; then the folder goes into place in one rename
        state["step"] = "write"
        row = _row(job, "ok", state["cov"], state["sites"], state["saving"], state["boundary"], state["synthetic"])
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
                from .outputs import atomic_write_text as _w

                _w(out_root / "logs" / f"{job.adcode}.log",
                   "".join(traceback.format_exception(exc)).replace(str(partial), str(final)))
            except OSError:
                pass
        shutil.rmtree(partial, ignore_errors=True)
        boundary = state["boundary"] or _client_boundary_source(job)
        row = _row(job, "failed", None, None, None, boundary, state["synthetic"])
        return CountyOutcome(job.adcode, job.name, "failed", row, failure, False,
                             round(time.perf_counter() - t_start, 3), _peak_rss_mb(), _worker_name(),
                             {k: round(v, 3) for k, v in timings.items()}, state["centre"],
                             round(_cpu_seconds() - cpu_start, 3))


def _client_boundary_source(job: CountyJob) -> str:
    """Boundary source a county would use, for the row of a county that failed before loading."""
    from . import boundary, divisions

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


# ============================================================================ the batch


@dataclass
class BatchResult:
    """The outcome of a batch.

    Attributes
    ----------
    out_dir : the batch folder.
    outcomes : one :class:`CountyOutcome` per county, sorted by adcode.
    reach : the ``province_reach.csv`` table; ``failures`` the ``failures.csv`` table.
    wall_s : wall time of the whole batch (s), cluster start-up included; ``compute_s`` from the first
        submission to the last result.
    workers : number of Dask workers; ``scheduler`` the scheduler address (``None`` for a LocalCluster).
    files : {name: path} of the province files written.
    """

    out_dir: Path
    outcomes: list[CountyOutcome]
    reach: pd.DataFrame
    failures: pd.DataFrame
    steps: tuple[str, ...]
    wall_s: float
    compute_s: float
    workers: int
    scheduler: str | None
    files: dict = field(default_factory=dict)
    map_bytes: int = 0

    @property
    def done(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.status == "ok"]

    @property
    def failed(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def skipped(self) -> list[CountyOutcome]:
        """Counties finished by an earlier run (read back, not recomputed)."""
        return [o for o in self.outcomes if o.resumed]

    def peak_rss_mb_by_worker(self) -> dict[str, float]:
        """Largest peak resident memory (MB) seen in each worker process, over the counties it ran."""
        out: dict[str, float] = {}
        for o in self.outcomes:
            if not o.resumed and o.worker:
                out[o.worker] = max(out.get(o.worker, 0.0), o.peak_rss_mb)
        return dict(sorted(out.items()))

    def summary(self) -> dict:
        ok = [o for o in self.outcomes if o.status == "ok"]
        vil = sum(int(o.row["villages"]) for o in ok if o.row["villages"])
        reached = sum(int(o.row["villages_reached"]) for o in ok if o.row["villages_reached"])
        pop = sum(int(o.row["population"]) for o in ok if o.row["population"])
        pop_r = sum(int(o.row["population_reached"]) for o in ok if o.row["population_reached"])
        computed = [o for o in self.outcomes if not o.resumed]
        return {
            "out_dir": str(self.out_dir), "steps": list(self.steps), "workers": self.workers,
            "scheduler": self.scheduler, "counties": len(self.outcomes), "ok": len(ok),
            "failed": len(self.failed), "skipped_already_done": len(self.skipped),
            "computed": len(computed), "villages": vil, "villages_reached": reached,
            "reach_rate": round(reached / vil, 4) if vil else 0.0, "population": pop,
            "population_reached": pop_r, "wall_s": round(self.wall_s, 2), "compute_s": round(self.compute_s, 2),
            "counties_per_s": round(len(computed) / self.compute_s, 3) if self.compute_s > 0 else None,
            "task_seconds_total": round(sum(o.seconds for o in computed), 2),
            "task_cpu_seconds_total": round(sum(o.cpu_seconds for o in computed), 2),
            "peak_rss_mb_by_worker": self.peak_rss_mb_by_worker(),
            "map_bytes": self.map_bytes,
            "county_seconds": {o.adcode: o.seconds for o in computed},
        }


def reach_table(outcomes: Sequence[CountyOutcome]) -> pd.DataFrame:
    """``province_reach.csv``: one row per county (``REACH_COLUMNS``, text), sorted by adcode."""
    rows = [o.row for o in sorted(outcomes, key=lambda o: o.adcode)]
    return pd.DataFrame(rows, columns=REACH_COLUMNS, dtype=str)


def failure_table(outcomes: Sequence[CountyOutcome]) -> pd.DataFrame:
    """``failures.csv``: one row per failed county (``FAILURE_COLUMNS``), sorted by adcode."""
    rows = [o.failure for o in sorted(outcomes, key=lambda o: o.adcode) if o.failure]
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS, dtype=str)


def _resumed(job: CountyJob, out_root: Path, digest: str) -> CountyOutcome | None:
    done = read_done(out_root / job.adcode)
    if not done or done.get("digest") != digest or not isinstance(done.get("row"), dict):
        return None
    row = {c: str(done["row"].get(c, "")) for c in REACH_COLUMNS}
    return CountyOutcome(job.adcode, job.name, row["status"] or "ok", row, None, True, centre=done.get("centre"))


class _Progress:
    """A rich progress bar on stderr: counties finished, with done / failed / skipped counts."""

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("[bold]counties"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.description}"), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task(self._text(), total=total)
        self.bar.start()

    def _text(self) -> str:
        c = self.counts
        return f"done {c['done']}  failed {c['failed']}  skipped {c['skipped']}"

    def advance(self, kind: str, label: str = "") -> None:
        self.counts[kind] += 1
        if self.enabled:
            self.bar.update(self.task, advance=1, description=self._text())

    def close(self) -> None:
        if self.enabled:
            self.bar.stop()


def _connect(scheduler: str | None, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the batch extra is not installed
        raise BatchError("the batch command needs dask.distributed: pip install 'culture-logistics[batch]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}; start one with "
                             "`dask scheduler` and point --scheduler at its tcp://host:8786 address") from None
        return client, None
    import logging

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def _wait_for_workers(client, scheduler: str | None, timeout_s: float = 60.0) -> int:
    """Number of workers of the cluster, waiting up to ``timeout_s`` for a first one to connect."""
    n = len(client.scheduler_info().get("workers", {}))
    if n == 0:
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError:
            raise BatchError(f"the Dask scheduler {scheduler or ''} has no workers after {timeout_s:.0f} s; start "
                             "some with `dask worker <scheduler address>` on machines that have this package "
                             "installed") from None
        n = len(client.scheduler_info().get("workers", {}))
    return n


def run_batch(out_dir: str | Path, province: str = "37", counties: Iterable[str] | str | None = None,
              steps: Iterable[str] | str | None = ("coverage",), scheduler: str | None = None,
              workers: int | None = None, time_limit_s: float | None = None, seed: int | None = None,
              data_dir: str | Path | None = None, progress: bool = True, client=None,
              echo: Callable[[str], None] | None = None) -> BatchResult:
    """Plan every county of a province (or the ones named) on Dask, resumably, and write the province files.

    Parameters
    ----------
    out_dir : the batch folder ``DIR`` (created when missing).  On a multi-machine cluster it must be on a
        filesystem every worker and this process see under the same path.
    province, counties, data_dir : which counties and whose data; see :func:`plan_counties`.
    steps : ``coverage``, ``site``, ``route`` (list or comma-separated); coverage always runs.
    scheduler : address of an existing Dask scheduler (``tcp://host:8786``); default a LocalCluster.
    workers : worker processes of the LocalCluster (one thread each); default the number of CPUs, at most
        the number of counties to compute.  Ignored with ``scheduler``.
    time_limit_s : solver time limit per step (s) for siting and routing.
    seed : seed of the data builder for generated counties.
    progress : show the progress bar on stderr.
    client : an existing ``distributed.Client`` to use (overrides ``scheduler``/``workers``).
    echo : where to print one line per failed county (default: nowhere).

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchError
        bad arguments or an unreachable scheduler (before any county runs).
    """
    from . import synth

    t_wall = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {out} is a file, not a folder; give a folder to write the batch into")
    steps_t = _normal_steps(steps)
    if time_limit_s is not None and not (time_limit_s > 0):
        raise BatchError(f"--time-limit must be a positive number of seconds, got {time_limit_s}")
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be at least 1, got {workers}")
    seed = synth.DEFAULT_SEED if seed is None else int(seed)
    jobs = plan_counties(province, counties, data_dir)
    if not jobs:
        raise BatchError("no counties to plan")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()

    outcomes: dict[str, CountyOutcome] = {}
    todo: list[tuple[CountyJob, str, dict]] = []
    for job in jobs:
        digest, params = job_digest(job, steps_t, time_limit_s, seed)
        prev = _resumed(job, out, digest)
        if prev is not None:
            outcomes[job.adcode] = prev
        else:
            todo.append((job, digest, params))
    n_workers = 0
    own_cluster = None
    close_client = False
    if todo and client is None:  # connect first: a bad address fails before anything is drawn or written
        n = workers or os.cpu_count() or 1
        client, own_cluster = _connect(scheduler, min(n, len(todo)) if not scheduler else n)
        close_client = True
    bar = None
    t_compute = time.perf_counter()
    try:
        if todo:
            n_workers = _wait_for_workers(client, scheduler)
        bar = _Progress(len(jobs), progress)
        for _ in range(len(outcomes)):
            bar.advance("skipped")
        t_compute = time.perf_counter()
        if todo:
            outcomes.update(_submit_all(client, todo, out, steps_t, time_limit_s, seed, bar, echo))
    finally:
        if bar is not None:
            bar.close()
        if close_client:
            client.close()
            if own_cluster is not None:
                own_cluster.close()
    compute_s = time.perf_counter() - t_compute
    ordered = [outcomes[j.adcode] for j in jobs]
    result = BatchResult(out, ordered, reach_table(ordered), failure_table(ordered), steps_t, 0.0, compute_s,
                         n_workers, scheduler)
    result.files = write_province_outputs(result)
    result.map_bytes = result.files["province_map.html"].stat().st_size
    result.wall_s = time.perf_counter() - t_wall
    from .outputs import write_json

    result.files["batch_summary.json"] = write_json(result.summary(), out / "batch_summary.json")
    partial = out / PARTIAL_DIR
    if partial.is_dir() and not any(partial.iterdir()):
        partial.rmdir()
    return result


def _submit_all(client, todo, out: Path, steps_t, time_limit_s, seed, bar: _Progress, echo) -> dict:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    # the largest counties first, so that the last tasks to finish are short ones
    for job, digest, params in sorted(todo, key=lambda t: (-t[0].villages_hint, t[0].adcode)):
        fut = client.submit(run_county, job, str(out), steps_t, time_limit_s, seed, digest, params,
                            key=f"culture-logistics-county-{job.adcode}-{token}", pure=False, retries=0)
        futures[fut] = job
    results = {}
    for fut in as_completed(list(futures)):
        job = futures[fut]
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - the worker died (KilledWorker) or the task was lost
            outcome = CountyOutcome(job.adcode, job.name, "failed",
                                    _row(job, "failed", boundary_source=_client_boundary_source(job)),
                                    {"adcode": job.adcode, "name": job.name, "step": "worker",
                                     "error_type": type(exc).__name__, "message": _one_line(str(exc))})
        results[job.adcode] = outcome
        if outcome.status == "ok":
            bar.advance("done")
        else:
            bar.advance("failed")
            if echo is not None:
                f = outcome.failure or {}
                echo(f"{job.adcode} {job.name}: failed at {f.get('step')}: {f.get('error_type')}: "
                     f"{f.get('message', '')[:200]}")
        fut.release()
    return results


# ============================================================================ province files


def write_province_outputs(result: BatchResult) -> dict[str, Path]:
    """Write ``province_reach.csv``, ``failures.csv`` and ``province_map.html`` into the batch folder."""
    from .maps import render_map
    from .outputs import atomic_write_text, write_csv

    out = Path(result.out_dir)
    html_text = render_map(province_map(result.outcomes, out))
    stale = out / "logs"
    failed = {o.adcode for o in result.outcomes if o.status == "failed"}
    if stale.is_dir():  # logs of counties that have since succeeded
        for log in stale.glob("*.log"):
            if log.stem not in failed and (out / log.stem / DONE_FILE).exists():
                log.unlink()
    return {
        "province_reach.csv": write_csv(result.reach, out / "province_reach.csv"),
        "failures.csv": write_csv(result.failures, out / "failures.csv"),
        "province_map.html": atomic_write_text(out / "province_map.html", html_text),
    }


#: reach-rate classes of the province map: [lo, hi), the last including 1.0 — finer than the coverage map's
#: township classes at the top, where counties differ (the national target is ~95 % of villages reached)
PROVINCE_RATE_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PROVINCE_RATE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")  # ColorBrewer RdYlGn-6
#: simplification of county polygons on the province map (degrees; 0.004° ≈ 400 m)
MAP_SIMPLIFY_DEG = 0.004
MAP_DECIMALS = 3
NO_DATA_COLOR = "#bdbdbd"
FAILED_COLOR = "#6b6b6b"


def _county_shape(adcode: str, use_geotool: bool = True):
    """(geometry, source) to draw: the geotool-cn polygon simplified hard, else the bbox, else (None, "")."""
    import shapely

    from . import boundary

    geom, source = boundary.county_extent(adcode, use_geotool=use_geotool)
    if geom is None:
        return None, ""
    if source == "geotool-cn":
        geom = shapely.simplify(geom, MAP_SIMPLIFY_DEG, preserve_topology=True)
    geom = shapely.set_precision(geom, 10 ** -MAP_DECIMALS)
    if geom.is_empty:  # a tiny county collapsed by the rounding: keep its box
        geom, source = boundary.county_extent(adcode, use_geotool=False)
    return geom, source


def province_map(outcomes: Sequence[CountyOutcome], out_dir: str | Path, tiles: str = "osm",
                 use_geotool: bool = True):
    """The province map (a folium.Map): counties shaded by reach rate, each linking to its coverage map.

    Counties are the geotool-cn polygons simplified to ``MAP_SIMPLIFY_DEG`` and rounded to
    ``MAP_DECIMALS`` decimals (a small page); a county with only a bounding box is drawn as that box
    (dashed); a functional zone (no polygon) as a dot at the mean of its villages.  Colours are the
    ``PROVINCE_RATE_BINS`` classes; grey: failed.  A county's popup gives its figures and a relative
    link ``<adcode>/coverage_map.html``; hovering shows name and reach rate.
    """
    import html

    import numpy as np

    RATE_BINS, RATE_COLORS = PROVINCE_RATE_BINS, PROVINCE_RATE_COLORS

    def rate_class(rate: float) -> int:
        return int(min(np.searchsorted(RATE_BINS, rate, side="right") - 1, len(RATE_COLORS) - 1))
    from .maps import (add_geojson, add_legend, add_note, add_points, base_map, feature_group, popup_html,
                       swatch_circle, swatch_fill, swatch_line)

    out_dir = Path(out_dir)
    styles = []
    for c in RATE_COLORS:
        styles.append({"color": "#444444", "weight": 1, "fillColor": c, "fillOpacity": 0.7})
    styles.append({"color": "#444444", "weight": 1, "fillColor": FAILED_COLOR, "fillOpacity": 0.6})
    n_classes = len(RATE_COLORS)
    styles += [dict(s, dashArray="5 4", weight=1.5) for s in list(styles)]  # bbox variants

    shapes, shape_style, shape_pop, shape_tip = [], [], [], []
    zones_lon, zones_lat, zone_style, zone_pop, zone_tip = [], [], [], [], []
    n_bbox = 0
    xs, ys = [], []
    for o in sorted(outcomes, key=lambda o: o.adcode):
        row = o.row
        ok = o.status == "ok" and row.get("reach_rate", "") != ""
        cls = rate_class(float(row["reach_rate"])) if ok else n_classes
        rate_txt = f"{float(row['reach_rate']):.1%}" if ok else "failed"
        link = ""
        if ok and (out_dir / o.adcode / "coverage_map.html").exists():
            href = html.escape(f"{o.adcode}/coverage_map.html", quote=True)
            link = f'<div style="margin-top:4px"><a href="{href}" target="_blank">Open the coverage map →</a></div>'
        rows = [("Code", o.adcode), ("Reach rate (every operator)", rate_txt),
                ("Villages reached", f"{int(row['villages_reached']):,} / {int(row['villages']):,}" if ok else ""),
                ("Population reached", f"{int(row['population_reached']):,} / {int(row['population']):,}" if ok else ""),
                ("Sites proposed", row.get("sites_proposed", "")),
                ("Shared saving %", row.get("shared_saving_pct", "")),
                ("Data", f"{row.get('data', '')}" + (" (synthetic)" if row.get("synthetic") == "true" else "")),
                ("Boundary", row.get("boundary_source", ""))]
        if o.failure:
            rows.append(("Failed at", f"{o.failure['step']}: {o.failure['error_type']}"))
        pop = popup_html(f"{o.name} ({o.adcode})", rows) + link
        tip = f"{o.name} {o.adcode}: {rate_txt}"
        geom, source = _county_shape(o.adcode, use_geotool)
        if geom is not None:
            shapes.append(geom)
            shape_style.append(cls + (n_classes + 1 if source == "bbox" else 0))
            shape_pop.append(pop)
            shape_tip.append(tip)
            n_bbox += source == "bbox"
            b = geom.bounds
            xs += [b[0], b[2]]
            ys += [b[1], b[3]]
        elif o.centre:
            zones_lon.append(o.centre[0])
            zones_lat.append(o.centre[1])
            zone_style.append(cls)
            zone_pop.append(pop + '<div class="note" style="color:#555;font-size:11px">Functional zone: no boundary '
                                  'of its own; its data were built on a synthetic disc.</div>')
            zone_tip.append(tip)
            xs.append(o.centre[0])
            ys.append(o.centre[1])
    if not xs:
        from . import boundary

        for o in outcomes:  # nothing drawable: frame the province by whatever bboxes exist
            bb = boundary.county_bbox(o.adcode)
            if bb:
                xs += [bb[0], bb[2]]
                ys += [bb[1], bb[3]]
    if not xs:
        xs, ys = [114.8, 122.7], [34.4, 38.4]  # Shandong
    ok = [o for o in outcomes if o.status == "ok" and o.row.get("villages")]
    vil = sum(int(o.row["villages"]) for o in ok)
    reached = sum(int(o.row["villages_reached"]) for o in ok)
    subtitle = (f"{len(ok)} of {len(outcomes)} counties planned; {reached:,} of {vil:,} villages reached by every "
                f"operator ({reached / vil:.1%})" if vil else f"{len(outcomes)} counties; none planned")
    m = base_map(None, "Village reach by county", tiles=tiles, subtitle=subtitle,
                 bounds=(min(xs) - 0.05, min(ys) - 0.05, max(xs) + 0.05, max(ys) + 0.05))
    if shapes:
        fg = feature_group(m, "Counties: village reach rate")
        add_geojson(fg, shapes, styles, shape_style, popups=shape_pop, tooltips=shape_tip, kind="county")
    if zones_lon:
        zg = feature_group(m, "Functional zones (no boundary)")
        zstyles = [{"radius": 7, "color": "#222222", "weight": 1.5, "fillColor": s["fillColor"], "fillOpacity": 0.9}
                   for s in styles[: n_classes + 1]]
        add_points(zg, zones_lon, zones_lat, zstyles, zone_style, popups=zone_pop, tooltips=zone_tip, kind="zone")
    labels = []
    for i, c in enumerate(RATE_COLORS):
        lo, hi = RATE_BINS[i], RATE_BINS[i + 1]
        labels.append((swatch_fill(c, 0.7), f"{lo:.0%}–{hi:.0%}" + (" (incl.)" if i == len(RATE_COLORS) - 1 else "")))
    labels.append((swatch_fill(FAILED_COLOR, 0.6), "failed (see failures.csv)"))
    shapes_legend = [(swatch_line("#444444"), "county boundary (simplified, ~400 m)")]
    if n_bbox:
        shapes_legend.append((swatch_line("#444444", dash=True), "bounding box only (no polygon)"))
    if zones_lon:
        shapes_legend.append((swatch_circle("#d9ef8b", 6, "#222222"), "functional zone (no boundary)"))
    notes = ["Click a county for its figures and a link to its coverage map."]
    if any(o.row.get("synthetic") == "true" for o in outcomes):
        notes.append("Synthetic data: village coordinates, populations, facilities and roads are generated.")
    add_legend(m, [("Villages reached by every operator", labels), ("Shapes", shapes_legend)], notes=notes)
    add_note(m, "Boundaries: geotool-cn (DataV/Amap), read at run time; divisions: NBS 2023")
    return m
