"""Vehicle-routing engine: a small, solver-neutral modelling interface.

The model is PyVRP-like (plain dataclasses) and is solved either with
OR-Tools' routing library (``engine="ortools"``) or with PyVRP
(``engine="pyvrp"``, optional dependency).  Both engines return the same
:class:`Solution`, whose :meth:`Solution.check` re-verifies feasibility from
the model data alone (it never trusts solver output).

Locations
---------
Matrices are indexed by *location*: the depots first, then the stops::

    location(depot d) = d                     (0 <= d < len(depots))
    location(stop s)  = len(depots) + s       (0 <= s < len(stops))

``distance`` is in metres, ``duration`` in seconds, both integer, square,
non-negative, not necessarily symmetric.  ``duration`` may be omitted when no
stop has a time window or service time and no vehicle has a shift limit.

Semantics (what :meth:`Solution.check` verifies)
------------------------------------------------
* Simultaneous pickup and delivery: a vehicle leaves its depot carrying the
  sum of the deliveries of its route; after each stop ``load = load -
  delivery + pickup``.  The load must lie in ``[0, capacity]`` at every point
  (departure, after every stop, arrival at the end depot).
* Travel time of a vehicle type on leg (i, j) is
  ``round(duration[i, j] * speed_factor)`` (round half to even).
* Schedule: depart at ``departure_s`` (>= start depot ``tw_early``);
  ``arrival = previous departure + travel``; service starts at
  ``max(arrival, tw_early)`` which must be ``<= tw_late``; the vehicle leaves
  at ``service start + service_s``; it must be back at its end depot by the
  depot's ``tw_late``; ``return - departure <= max_shift_s``.
* Cost of a route: ``fixed_cost + cost_per_m * distance``.  Objective = sum of
  route costs + drop penalties of the dropped stops.
* A stop with ``drop_penalty=None`` gets a penalty larger than any possible
  routing cost, so it is dropped only when the search could not insert it
  (see :func:`default_drop_penalty`); stops that no vehicle could serve even
  alone are removed before the search and reported with a reason.

Engines
-------
* ``"pyvrp"`` (default, :data:`DEFAULT_ENGINE`): PyVRP's iterated local
  search.  Stops with the default penalty are mandatory clients; when the fleet
  is finite or time constraints exist, half the budget is spent proving that
  they can all be served, and if not, the rest is spent with every stop optional
  (prize = drop penalty).  Falls back to OR-Tools when PyVRP is not installed.
* ``"ortools"``: OR-Tools routing library.  Loads: a cumulative-delivery
  dimension (its end value = load at departure), and, with pickups, a load
  dimension whose start cumul is constrained equal to it; time: one transit
  matrix per speed factor (service time added on the leaving arc), span limit =
  shift.  Tuned default (CVRPLIB X set): SAVINGS first solution, then OR-Tools'
  iterated local search (SISR ruin-and-recreate, local-cheapest-insertion
  recreate, simulated-annealing acceptance with automatic temperatures) without
  a local-search pass after each perturbation (:data:`ORTOOLS_DEFAULTS`).  Any
  ``FirstSolutionStrategy`` / ``LocalSearchMetaheuristic`` can be requested.

Work budget, time limit and determinism
---------------------------------------
By default a solve stops on a deterministic *work budget* sized from the
number of stops (:mod:`culture_logistics.routing.engine.budget`: PyVRP
iterations and iterations without improvement, OR-Tools' solution limit), with
a fixed seed: the same model gives the same routes on any machine and under any
load.  ``time_limit_s`` is a safety cap covering the whole :func:`solve` call
(model building and solution extraction included; the measured overrun is in
``Solution.stats["overrun_s"]``); when it ends the search first,
``stats["cap_hit"]`` is True and ``stats["reproducible"]`` False.
``budget="time"`` searches until the time limit (benchmarks at a fixed time).
"""
from __future__ import annotations

import importlib.util
import time
import warnings

from culture_logistics.config.routing import DEFAULT_ENGINE, ENGINES
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.routing.engine.budget import WorkBudget, default_budget
from culture_logistics.routing.engine.model import Model, Solution
from culture_logistics.routing.engine.ortools import solve_ortools
from culture_logistics.routing.engine.pyvrp import solve_pyvrp


def solve(model: Model, time_limit_s: float = 10.0, seed: int = 0, engine: str | None = None,
          first_solution: str | None = None, metaheuristic: str | None = None,
          iteration_limit: int | None = None, log: bool = False,
          initial_solution: Solution | None = None,
          budget: WorkBudget | str | None = "auto", effort: float = 1.0) -> Solution:
    """Solve ``model`` and return a :class:`Solution` (verified by :meth:`Solution.check`).

    time_limit_s: wall-clock budget for the whole call (model building included);
        see ``Solution.stats['overrun_s']``.
    seed: random seed.  OR-Tools has no seed parameter: the seed permutes the
        order in which stops are given to it (seed 0 = model order).
    engine: "pyvrp" or "ortools"; None = DEFAULT_ENGINE ("pyvrp", or "ortools" with a
        warning when PyVRP is not installed).
    first_solution / metaheuristic (OR-Tools only; given with engine=None they select
        OR-Tools): names of
        ``FirstSolutionStrategy`` / ``LocalSearchMetaheuristic`` values, plus
        metaheuristic "ILS" (iterated local search with SISR ruin-and-recreate
        and simulated annealing, the tuned default) and "GLS" shorthand.
    iteration_limit: deterministic stop: OR-Tools solution limit / PyVRP
        iterations (the time limit still applies as a safety net).
    initial_solution: warm start (a Solution of the same model, e.g. from an
        earlier solve); stops it does not serve are left to the search.
    budget: the deterministic stop. ``"auto"`` (default): a work budget sized from the
        number of stops (:func:`~culture_logistics.routing.engine.budget.default_budget`); ``"warm"``: the
        smaller budget of a solve warm-started from a related plan's routes (``initial_solution``); both
        scaled by ``effort`` (``[routing] effort``, :func:`~culture_logistics.routing.engine.budget.default_budget`);
        a :class:`~culture_logistics.routing.engine.budget.WorkBudget`; or ``None`` /
        ``"time"``: search until ``time_limit_s`` (machine-dependent).  An explicit
        ``iteration_limit`` overrides it.  ``Solution.stats`` says what happened:
        ``budget`` (the work budget or None), ``cap_hit`` (the wall-clock limit ended the
        search) and ``reproducible`` (``budget`` given and the cap did not bind).
    """
    if engine is None and (first_solution is not None or metaheuristic is not None):
        engine = "ortools"  # OR-Tools-specific options select OR-Tools
    if engine is None:
        engine = DEFAULT_ENGINE
        if engine == "pyvrp" and importlib.util.find_spec("pyvrp") is None:
            warnings.warn("pyvrp is not installed: falling back to engine='ortools'", RuntimeWarning,
                          stacklevel=2)
            engine = "ortools"
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    if not time_limit_s or time_limit_s <= 0:
        raise ValueError("time_limit_s must be positive")
    t0 = time.perf_counter()
    model.validate()
    if iteration_limit:
        work = WorkBudget(iterations=int(iteration_limit))
    elif budget is None or budget == "time":
        work = None
    elif budget == "auto":
        work = default_budget(len(model.stops), engine, effort=effort)
    elif budget == "warm":
        work = default_budget(len(model.stops), engine, warm=True, effort=effort)
    elif isinstance(budget, WorkBudget):
        work = budget
    else:
        raise ValueError(f"budget must be 'auto', 'warm', 'time', None or a WorkBudget, got {budget!r}")
    if engine == "ortools" and any(v.max_trips > 1 for v in model.vehicle_types):
        names = ", ".join(sorted({v.name or str(i) for i, v in enumerate(model.vehicle_types) if v.max_trips > 1}))
        raise CultureLogisticsError(f"engine 'ortools' plans one trip per vehicle, but vehicle type(s) {names} may "
                                    "make several (max_trips > 1): use engine = \"pyvrp\" ([routing] engine), which reloads at "
                                    "the station, or set max_trips = 1 in their [[fleet]] entries")
    if engine == "ortools":
        sol = solve_ortools(model, time_limit_s, seed, first_solution, metaheuristic,
                            None if work is None else work.iterations, log, t0,
                            initial_solution=initial_solution)
    else:
        if first_solution is not None or metaheuristic is not None:
            raise ValueError("first_solution/metaheuristic apply to engine='ortools' only")
        sol = solve_pyvrp(model, time_limit_s, seed, work, log, t0,
                          initial_solution=initial_solution)
    sol.solve_seconds = time.perf_counter() - t0
    sol.stats["overrun_s"] = sol.solve_seconds - time_limit_s
    sol.stats["budget"] = None if work is None else work.as_dict()
    cap = bool(sol.stats.get("cap_hit", work is None))
    sol.stats["cap_hit"] = cap
    sol.stats["reproducible"] = work is not None and not cap
    return sol
