"""The [siting] parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

from culture_logistics.config.model import ParamsSource
from culture_logistics.config.schema import check_config, default
from culture_logistics.errors import ProblemList

MODELS = ("mclp", "lscp", "pmedian")


SOLVERS = {"scip": "SCIP", "highs": "HIGHS", "cbc": "CBC"}


DEFAULT_TIME_LIMIT_S = default("siting", "time_limit_s")


@dataclass(frozen=True)
class SitingParams:
    """The ``[siting]`` table of a scenario (every key has a default).

    Attributes
    ----------
    convert_cost : cost (CNY) of converting an existing facility into a shared point.
    new_cost : cost (CNY) of opening a new shared point in a village.
    new_capacity_per_week : capacity (parcels/week) of a new shared point.
    delivery_days_per_week : days a week an existing facility works; its weekly capacity is
        ``capacity_per_day`` × this.
    radius_m : network distance (m) within which a site reaches a village (default: ``[coverage]
        radius_m``).
    pmedian_cutoff_m : p-median distances are capped here (m); default 3 × ``radius_m``.
    candidates : ``"all"`` (existing and new), ``"existing"`` or ``"new"``.
    k, budget : default number of sites / budget (CNY) when the caller gives neither.
    time_limit_s : default solver time limit (s).
    """

    convert_cost: float = default("siting", "convert_cost")
    new_cost: float = default("siting", "new_cost")
    new_capacity_per_week: float = default("siting", "new_capacity_per_week")
    delivery_days_per_week: float = default("siting", "delivery_days_per_week")
    radius_m: float | None = default("siting", "radius_m")
    pmedian_cutoff_m: float | None = default("siting", "pmedian_cutoff_m")
    candidates: str = default("siting", "candidates")
    k: int | None = default("siting", "k")
    budget: float | None = default("siting", "budget")
    time_limit_s: float = default("siting", "time_limit_s")

    @classmethod
    def from_scenario(cls, scenario: ParamsSource) -> SitingParams:
        """The scenario's checked ``[siting]`` (raise :class:`ScenarioError` listing every bad key)."""
        if getattr(scenario, "siting_params", None) is not None:
            return scenario.siting_params
        problems = ProblemList()
        params = parse_siting_config(scenario.config, scenario.path or "scenario.toml", problems)
        problems.raise_if_errors()
        return params


def parse_siting_config(config: dict, file, problems: ProblemList) -> SitingParams:
    """Check ``[siting]`` of a parsed scenario.toml against the schema; problems go to ``problems``."""
    checked = check_config({"siting": config["siting"]} if "siting" in config else {}, file, problems,
                           sections=("siting",))
    return SitingParams(**checked.values.get("siting", {}))
