"""Solving CVRPLIB instances with the routing engine, and checking CVRP solutions.

The files themselves (``.vrp`` instances, ``.sol`` solutions, their conventions) are read by
:mod:`culture_logistics.formats.cvrplib`; this module turns an instance into an engine model
(:func:`instance_to_model`: one depot, unlimited fleet, cost = rounded Euclidean distance), checks a
solution from the instance data alone (:func:`check_cvrp_solution`) and solves a file
(:func:`solve_vrp_file`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from culture_logistics.errors import SolverError
from culture_logistics.formats.cvrplib import CVRPInstance, read_vrp
from culture_logistics.routing.engine import model as _model
from culture_logistics.routing.engine import solve as _engine


class CVRPSolutionError(SolverError, ValueError):
    """A CVRP solution is infeasible (missing/duplicate customer, capacity exceeded...)."""


def _as_instance(instance: CVRPInstance | str | Path) -> CVRPInstance:
    return instance if isinstance(instance, CVRPInstance) else read_vrp(instance)


def check_cvrp_solution(instance: CVRPInstance | str | Path, routes: list[list[int]]) -> int:
    """Verify a CVRP solution and return its cost (sum of nint distances).

    ``routes`` lists customer numbers (1..n, depot excluded).  Raises
    :class:`CVRPSolutionError` if a customer is unknown, missing or visited
    twice, or a route's total demand exceeds the capacity.  Empty routes are
    allowed and cost nothing.
    """
    inst = _as_instance(instance)
    n = inst.num_customers
    dist = inst.distance
    seen: dict[int, int] = {}
    cost = 0
    for r_i, route in enumerate(routes):
        load = 0
        prev = 0
        for c in route:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
                raise CVRPSolutionError(f"route {r_i + 1}: customer {c!r} is not an integer")
            c = int(c)
            if not 1 <= c <= n:
                raise CVRPSolutionError(f"route {r_i + 1}: unknown customer {c} (valid: 1..{n})")
            if c in seen:
                raise CVRPSolutionError(f"customer {c} visited twice (routes {seen[c] + 1} and {r_i + 1})")
            seen[c] = r_i
            load += int(inst.demands[c])
            cost += int(dist[prev, c])
            prev = c
        if route:
            cost += int(dist[prev, 0])
        if load > inst.capacity:
            raise CVRPSolutionError(f"route {r_i + 1}: load {load} exceeds capacity {inst.capacity}")
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        raise CVRPSolutionError(f"{len(missing)} customer(s) not visited: {missing[:10]}")
    return int(cost)


def instance_to_model(instance: CVRPInstance) -> _model.Model:
    """The engine model of a CVRP instance: one depot, unlimited fleet, cost = metres."""
    inst = instance
    depot = _model.Depot(name=f"node {inst.node_ids[0]}" if inst.node_ids else "depot",
                          x=float(inst.coords[0, 0]), y=float(inst.coords[0, 1]))
    stops = [_model.Stop(delivery=int(inst.demands[c]), name=str(c),
                          x=float(inst.coords[c, 0]), y=float(inst.coords[c, 1]))
             for c in range(1, inst.num_customers + 1)]
    vt = _model.VehicleType(capacity=int(inst.capacity), count=None, cost_per_m=1.0)
    return _model.Model(depots=[depot], stops=stops, vehicle_types=[vt], distance=inst.distance)


def solve_vrp_file(path: str | Path, time_limit_s: float, seed: int = 0,
                   engine: str | None = None, iterations: int | None = None) -> dict:
    """Solve a CVRPLIB instance with an unlimited fleet.

    Returns ``{"cost": int, "routes": [[customer, ...], ...], ...}`` where
    customers are numbered as in ``.sol`` files (depot excluded); the cost is
    verified with :func:`check_cvrp_solution`.  Extra keys: ``instance``,
    ``engine``, ``seconds``, ``time_limit_s``, ``seed``, ``num_routes``, ``reproducible``.
    ``iterations``: stop after this many engine iterations (PyVRP) / solutions (OR-Tools), a
    reproducible run; None (default) = search for the whole ``time_limit_s`` (a benchmark at a
    fixed time, which depends on the machine).
    Raises :class:`CVRPLibFormatError` on a malformed file and
    :class:`CVRPSolutionError` if the solver returned an incomplete solution.
    """
    inst = read_vrp(path)
    return solve_checked(inst, instance_to_model(inst), check_cvrp_solution, time_limit_s, seed, engine, iterations)


def solve_checked(inst, model, check, time_limit_s: float, seed: int, engine: str | None, iterations: int | None,
                  extra: dict | None = None, unserved_note=lambda sol: "") -> dict:
    """Solve the benchmark instance ``inst`` (as ``model``) for the whole ``time_limit_s`` (or ``iterations``),
    and cost the answer with the independent checker ``check(inst, routes)``; the result dict of
    :func:`solve_vrp_file` (``extra`` keys after ``instance``).  Shared by the CVRPLIB and LKH-3 readers.
    ``unserved_note(sol)`` adds to the message when customers are left unserved."""
    sol = _engine.solve(model, time_limit_s=time_limit_s, seed=seed, engine=engine, iteration_limit=iterations,
                        budget="time")
    if sol.dropped:
        raise CVRPSolutionError(f"{inst.name}: the solver left {len(sol.dropped)} customer(s) "
                                f"unserved ({sol.engine_status}{unserved_note(sol)})")
    sol.check(model)
    routes = [[s + 1 for s in r.stops] for r in sol.routes]
    cost = check(inst, routes)
    if cost != sol.distance:  # pragma: no cover - would be an internal bug
        raise CVRPSolutionError(f"cost mismatch: checker {cost}, engine {sol.distance}")
    return {"cost": cost, "routes": routes, "instance": inst.name} | (extra or {}) | {
        "engine": sol.engine, "seconds": round(sol.solve_seconds, 3), "time_limit_s": time_limit_s, "seed": seed,
        "num_routes": len(routes), "reproducible": bool(sol.stats.get("reproducible"))}
