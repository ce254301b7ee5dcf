"""The parameter checks shared by the commands, each made once before any work, and scenario loading.

A bad value raises :class:`~culture_logistics.errors.CultureLogisticsError` naming the option and the fix
(the CLI turns it into exit code 2); nothing is written.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from culture_logistics.config.routing import RoutingParams, check_effort
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import Scenario, load_scenario


def check_time_limit(time_limit_s: float | None) -> None:
    """A solver time limit is ``None`` (each stage's default) or a positive number of seconds."""
    if time_limit_s is not None and not time_limit_s > 0:
        raise CultureLogisticsError(f"--time-limit must be > 0 seconds, got {time_limit_s}")


def check_out_dir(out_dir: str | Path) -> Path:
    """The output folder as a Path; it may be missing (it is created), but must not be a file."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CultureLogisticsError(f"--out {out_dir} is a file, not a folder; give a folder to write into")
    return out_dir


def scenario_of(scenario: Scenario | str | Path) -> Scenario:
    """A loaded scenario as is; else load and check ``scenario``: a ``scenario.toml`` path or the 6-digit code
    of an embedded county (:func:`~culture_logistics.inputs.datasets.resolve_scenario`)."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(resolve_scenario(str(scenario)))


def with_effort(scenario: Scenario, effort: float | None) -> Scenario:
    """``scenario`` with its ``[routing] effort`` replaced by ``effort`` (``--effort``; None = keep the file's),
    for every stage that plans routes; a bad value raises :class:`CultureLogisticsError`."""
    if effort is None:
        return scenario
    check_effort(effort)
    params = dataclasses.replace(RoutingParams.from_scenario(scenario), effort=float(effort))
    return dataclasses.replace(scenario, routing_params=params)
