"""The [siting] parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

from culture_logistics.errors import (
    ProblemList,
)

MODELS = ("mclp", "lscp", "pmedian")


SOLVERS = {"scip": "SCIP", "highs": "HIGHS", "cbc": "CBC"}


DEFAULT_TIME_LIMIT_S = 60.0


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

    convert_cost: float = 20000.0
    new_cost: float = 80000.0
    new_capacity_per_week: float = 300.0
    delivery_days_per_week: float = 6.0
    radius_m: float | None = None
    pmedian_cutoff_m: float | None = None
    candidates: str = "all"
    k: int | None = None
    budget: float | None = None
    time_limit_s: float = DEFAULT_TIME_LIMIT_S

    @classmethod
    def from_scenario(cls, scenario) -> SitingParams:
        """Read and check ``[siting]``; raise :class:`ScenarioError` listing every bad key."""
        table = scenario.section("siting")
        file = scenario.path or "scenario"
        problems = ProblemList()
        known = set(cls.__dataclass_fields__)
        for key in table:
            if key not in known:
                problems.warning(file, f"unknown key [siting] {key} is ignored", column=f"siting.{key}")
        values = {}
        for key, minimum in (("convert_cost", 0.0), ("new_cost", 0.0), ("new_capacity_per_week", 0.0),
                             ("delivery_days_per_week", 0.0), ("radius_m", 1.0), ("pmedian_cutoff_m", 1.0),
                             ("budget", 0.0), ("time_limit_s", 0.0)):
            if key not in table:
                continue
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v < minimum:
                problems.error(file, f"[siting] {key} must be a number ≥ {minimum:g}, got {v!r}",
                               column=f"siting.{key}")
            else:
                values[key] = float(v)
        if "k" in table:
            v = table["k"]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                problems.error(file, f"[siting] k must be a whole number ≥ 1, got {v!r}", column="siting.k")
            else:
                values["k"] = int(v)
        if "candidates" in table:
            v = table["candidates"]
            if v not in ("all", "existing", "new"):
                problems.error(file, f"[siting] candidates must be \"all\", \"existing\" or \"new\", got {v!r}",
                               column="siting.candidates")
            else:
                values["candidates"] = v
        problems.raise_if_errors()
        return cls(**values)
