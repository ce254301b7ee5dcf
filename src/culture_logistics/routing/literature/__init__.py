"""The published multi-depot, periodic and two-echelon benchmarks solved by the county machinery (issue 22).

* **MDVRP** (Cordeau type 2): one multi-depot engine model, built like a block of the county-wide last
  mile (:func:`culture_logistics.routing.assign.county_last_mile`): every depot sends its own vehicles
  (a vehicle type per depot, ``count`` = m, its capacity and duration limit), the solver decides which
  depot serves which customer.
* **PVRP** (Cordeau type 1): the weekly planner's day assignment
  (:func:`culture_logistics.routing.weekly.assign_days`, given each customer's allowed combinations), then
  each day routed by the engine and the whole week as one multi-depot model, then rounds of ruin and
  recreate over the allowed combinations (customers removed with their neighbours and put back on the
  combination whose days take them cheapest), the changed days re-solved by the engine.
* **2E-CVRP**: the second echelon as one multi-depot model from the satellites (the county-wide last mile
  again), for the splits of the city-freighter fleet between satellites (the engine limits vehicles per
  depot, the sets limit them in total); the first echelon by
  :func:`culture_logistics.routing.split_delivery.split_delivery_trucks` (split deliveries to satellites).

Distances are unrounded Euclidean.  The engine works on integers: distances × :data:`SCALE` rounded for
the cost; travel and service times rounded UP and duration limits DOWN, so a route the engine accepts
keeps its duration limit in real numbers.  Every answer is re-scored with real distances and re-checked
(:func:`validate`) before it is returned.  Searches stop on a deterministic work budget
(:func:`work_budget`, fixed seed); ``time_limit_s`` is a wall-clock safety cap; ``budget="time"`` searches
until the time limit (benchmarks at a fixed time).

Modules: :mod:`~culture_logistics.routing.literature.common` (engine units, work budget, clock, answer),
:mod:`~culture_logistics.routing.literature.mdvrp`, :mod:`~culture_logistics.routing.literature.periodic` (PVRP),
:mod:`~culture_logistics.routing.literature.two_echelon` (2E-CVRP) and
:mod:`~culture_logistics.routing.literature.check` (:func:`validate`); this package re-exports their public names.
"""
from __future__ import annotations

from culture_logistics.routing.literature.check import validate
from culture_logistics.routing.literature.common import SCALE, TOL, work_budget
from culture_logistics.routing.literature.mdvrp import mdvrp_model, solve_mdvrp
from culture_logistics.routing.literature.periodic import (
    PVRP_LNS_STEPS,
    PVRP_ROUNDS,
    PVRP_WEEK_SHARE,
    pvrp_days,
    solve_pvrp,
    week_model,
)
from culture_logistics.routing.literature.two_echelon import solve_twoe

__all__ = ["PVRP_LNS_STEPS", "PVRP_ROUNDS", "PVRP_WEEK_SHARE", "SCALE", "TOL", "mdvrp_model", "pvrp_days",
           "solve_benchmark_file", "solve_mdvrp", "solve_pvrp", "solve_twoe", "validate", "week_model",
           "work_budget"]


def solve_benchmark_file(path, time_limit_s: float, seed: int = 0, fmt: str | None = None, budget: str = "work",
                         engine: str | None = None) -> dict:
    """Read ``path`` (format detected, or ``fmt``: ``cordeau-mdvrp``, ``cordeau-pvrp``, ``breunig``, ``perboli``)
    and solve it: the answer dict of :func:`solve_mdvrp`, :func:`solve_pvrp` or :func:`solve_twoe`."""
    from culture_logistics.formats.base import BenchmarkFormatError, detect
    from culture_logistics.formats.cordeau import read_cordeau
    from culture_logistics.formats.twoe import read_twoe

    fmt = fmt or detect(path)
    if fmt in ("cordeau-mdvrp", "cordeau-pvrp"):
        inst = read_cordeau(path, kind=fmt.split("-")[1])
        solver = solve_mdvrp if inst.kind == "mdvrp" else solve_pvrp
        return solver(inst, time_limit_s, seed, budget, engine)
    if fmt in ("breunig", "perboli"):
        return solve_twoe(read_twoe(path, fmt), time_limit_s, seed, budget, engine)
    raise BenchmarkFormatError(path, None, "format", "not a Cordeau MDVRP/PVRP or 2E-CVRP file",
                               "use --format cordeau-mdvrp, cordeau-pvrp, breunig or perboli")
