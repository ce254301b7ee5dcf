"""Province scale: plan every county of a province as one batch of independent county jobs on Dask.

:func:`run_batch` sends one task per county to a ``dask.distributed`` cluster — a
:class:`~distributed.LocalCluster` of worker *processes* (one thread each) by default, or an existing
cluster when a scheduler address is given — and writes the province tables and map when they are done.
Each task is :func:`run_county`: an ordinary function that loads (or first builds) one county, runs
the requested steps and writes that county's normal outputs.

Where a county's data comes from (column ``data`` of ``province_reach.csv``)
    ``user``       a ``scenario.toml`` named in ``counties`` or found as ``<data_dir>/<adcode>/scenario.toml``;
    ``embedded``   the repository's dataset ``data/counties/<adcode>/``;
    ``generated``  otherwise: built on the fly by :func:`culture_logistics.synth.builder.build_county` from the
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
    (MCLP with K = 5 into ``siting/``, the set cover into ``siting_lscp/``; ``sites_mclp`` is the MCLP's sites,
    the county report's siting table, ``sites_lscp`` the set cover's size: the sites needed to reach every
    reachable gap village, the report's LSCP line); ``route`` adds the routing demo
    stage (shared vs separate into ``route/``; ``shared_saving_pct`` from its summary).
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from culture_logistics import __version__
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.resources import counties_dir, divisions_dir
from culture_logistics.synth import builder as synth

STEPS = ("coverage", "site", "route")


DONE_FILE = "_done.json"


PARTIAL_DIR = ".partial"


PROVINCES = {"37": "山东省"}


#: columns of province_reach.csv, in order
REACH_COLUMNS = [
    "adcode", "name", "villages", "villages_reached", "population", "population_reached", "village_reach_pct",
    "population_reach_pct", "sites_mclp", "sites_lscp", "shared_saving_pct", "boundary_source", "data", "synthetic",
    "status",
]


#: columns of failures.csv, in order
FAILURE_COLUMNS = ["adcode", "name", "step", "error_type", "message"]


DONE_FORMAT = 1


MESSAGE_MAX_CHARS = 2000


class BatchError(CultureLogisticsError):
    """The batch cannot start: a bad argument, an unknown county code, an unreachable scheduler."""


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


def normal_steps(steps: Iterable[str] | str | None) -> tuple[str, ...]:
    """The batch's steps in their order (:data:`STEPS`), coverage always first; raises BatchError on an unknown one."""
    if steps is None:
        return ("coverage",)
    if isinstance(steps, str):
        steps = [s for s in (x.strip() for x in steps.split(",")) if s]
    steps = list(steps)
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise BatchError(f"unknown step(s) {', '.join(bad)}; choose from {', '.join(STEPS)} (comma-separated)")
    return tuple(s for s in STEPS if s == "coverage" or s in steps)


def _sha_files(paths) -> str:
    """One digest of several files' contents, in the order given (the builder is a package of modules)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + Path(p).read_bytes() + b"\0")
    return h.hexdigest()


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

    return {
        "builder_sha256": _sha_files(sorted(Path(synth.__file__).parent.glob("*.py"))),
        "divisions_sha256": {f: _sha_file(Path(divisions) / f) for f in
                             ("shandong_counties.csv", "shandong_townships.csv", "shandong_villages.csv")},
        "boundary_data_version": boundary.gtc_data_version() or "",
    }


def _builder_recipe(adcode: str, seed: int) -> dict:
    """What a generated county's input depends on: code, seed, builder source, division lists, boundary data."""

    return {"adcode": adcode, "seed": int(seed), **_builder_common(str(divisions_dir()))}


def sha256_digest(obj) -> str:
    """Hex sha256 of ``obj`` as canonical JSON (sorted keys), the digest of a recipe or a job's parameters."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def job_digest(job: CountyJob, steps: Sequence[str], time_limit_s: float | None, seed: int,
               lang: str = "en", effort: float | None = None) -> tuple[str, dict]:
    """Digest of everything a county's outputs depend on, and the parameters it was made from.

    Inputs: for ``embedded``/``user`` data the sha256 of the scenario.toml and every file it names; for
    ``generated`` data the builder's recipe (adcode, seed, the builder's source, the division lists and
    the geotool-cn data version).  Parameters: steps, time limit, the package version, and ``effort``
    (``batch --effort``) when given.

    Returns
    -------
    (digest, params) : the hex sha256 and the dict it was computed from.
    """

    if job.data == "generated":
        inputs = {"recipe": _builder_recipe(job.adcode, seed)}
    else:
        path = Path(job.scenario) if job.scenario else counties_dir() / job.adcode / "scenario.toml"
        inputs = _scenario_inputs(path)  # type: ignore[assignment]
    params = {"format": DONE_FORMAT, "adcode": job.adcode, "data": job.data, "inputs": inputs,
              "steps": list(steps), "time_limit_s": time_limit_s, "version": __version__}
    if lang != "en":  # the language of the workbooks and maps (English batches keep their digests)
        params["lang"] = lang
    if effort is not None:  # the routing work budget's multiplier (batches without --effort keep their digests)
        params["effort"] = float(effort)
    return sha256_digest(params), params


def read_done(county_dir: str | Path) -> dict | None:
    """The ``_done.json`` of a finished county folder, or ``None`` when there is none or it is unreadable."""
    path = Path(county_dir) / DONE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
