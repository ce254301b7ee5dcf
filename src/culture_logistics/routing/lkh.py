"""Solving LKH-3 VRPTW/VRPSPD instances with the routing engine, and checking their solutions.

The files and their conventions (scaled distances, windows, VRPSPD loads, ``VEHICLES`` and
``DISTANCE``) are read by :mod:`culture_logistics.formats.lkh`; this module builds the engine model
(:func:`instance_to_model`), checks a solution from the instance data alone (:func:`check_lkh_solution`)
and solves a file (:func:`solve_lkh_file`, or :func:`solve_instance_file` for either format by its
``TYPE``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from culture_logistics.formats.lkh import LKH_TYPES, NO_TIME_LIMIT, LKHInstance, read_lkh, sniff_type
from culture_logistics.formats.tsplib import CVRPLibFormatError, check_file_size
from culture_logistics.routing import cvrplib
from culture_logistics.routing.cvrplib import CVRPSolutionError, solve_checked
from culture_logistics.routing.engine import model as _model


def instance_to_model(inst: LKHInstance) -> _model.Model:
    """The engine model: one depot (its window bounds departures and returns), cost = distance.

    Raises :class:`CVRPLibFormatError` for a route-length limit together with time windows (not modelled).
    """
    timed = inst.has_time
    if inst.max_distance is not None and timed:
        raise CVRPLibFormatError(inst.path, None, "a DISTANCE limit together with time windows or service "
                                                  "times is not supported")
    # coordinates (when the file has them) guide PyVRP's SWAP* operator, which compares polar sectors
    xy = inst.coords if inst.coords is not None else np.zeros((inst.num_customers + 1, 2))
    depot = _model.Depot(name=f"node {inst.node_ids[0]}", tw_early=int(inst.early[0]) if timed else 0,
                         tw_late=int(inst.late[0]) if timed and inst.late[0] < NO_TIME_LIMIT else None,
                         x=float(xy[0, 0]), y=float(xy[0, 1]))
    stops = []
    for c in range(1, inst.num_customers + 1):
        kw: dict[str, Any] = {"x": float(xy[c, 0]), "y": float(xy[c, 1])}
        if timed:
            kw.update(service_s=int(inst.service[c]), tw_early=int(inst.early[c]),
                      tw_late=int(inst.late[c]) if inst.late[c] < NO_TIME_LIMIT else None)
        stops.append(_model.Stop(delivery=int(inst.delivery[c]), pickup=int(inst.pickup[c]), name=str(c), **kw))
    shift = inst.max_distance if (inst.max_distance is not None and not timed) else None
    vt = _model.VehicleType(capacity=int(inst.capacity), count=inst.vehicles, cost_per_m=1.0, max_shift_s=shift)
    duration = inst.distance if (timed or shift is not None) else None
    return _model.Model(depots=[depot], stops=stops, vehicle_types=[vt], distance=inst.distance, duration=duration)


def check_lkh_solution(inst: LKHInstance, routes: list[list[int]]) -> int:
    """Verify a VRPTW/VRPSPD solution from the instance data alone and return its cost (total distance).

    ``routes`` lists customer numbers (1..n, depot excluded).  Checks: every customer exactly once;
    at most ``VEHICLES`` non-empty routes; the load at departure (the route's deliveries) and after
    every customer (``− delivery + pickup``) within ``[0, CAPACITY]``; the schedule (travel time =
    distance, service starts at ``max(arrival, early)`` and by ``late``, leaves after its service
    time, back at the depot by its ``late``) and the route-length limit.  Raises
    :class:`CVRPSolutionError` naming the route and customer.
    """
    n = inst.num_customers
    d = inst.distance
    seen: dict[int, int] = {}
    cost = 0
    used = 0
    for r_i, route in enumerate(routes, start=1):
        if not route:
            continue
        used += 1
        for c in route:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 1 <= int(c) <= n:
                raise CVRPSolutionError(f"route {r_i}: unknown customer {c!r} (valid: 1..{n})")
            if int(c) in seen:
                raise CVRPSolutionError(f"customer {c} visited twice (routes {seen[int(c)]} and {r_i})")
            seen[int(c)] = r_i
        load = int(sum(int(inst.delivery[c]) for c in route))
        if load > inst.capacity:
            raise CVRPSolutionError(f"route {r_i}: load {load} at departure exceeds capacity {inst.capacity}")
        t = int(inst.early[0])
        prev = 0
        length = 0
        for c in route:
            c = int(c)
            length += int(d[prev, c])
            t += int(d[prev, c])
            start = max(t, int(inst.early[c]))
            if start > int(inst.late[c]):
                raise CVRPSolutionError(f"route {r_i}: service at customer {c} starts at {start}, after its "
                                        f"window closes ({int(inst.late[c])}, scaled units)")
            t = start + int(inst.service[c])
            load += int(inst.pickup[c]) - int(inst.delivery[c])
            if load > inst.capacity or load < 0:
                raise CVRPSolutionError(f"route {r_i}: load {load} after customer {c} outside [0, {inst.capacity}]")
            prev = c
        length += int(d[prev, 0])
        t += int(d[prev, 0])
        if t > int(inst.late[0]):
            raise CVRPSolutionError(f"route {r_i}: back at the depot at {t}, after it closes ({int(inst.late[0])})")
        if inst.max_distance is not None and length > inst.max_distance:
            raise CVRPSolutionError(f"route {r_i}: length {length} exceeds DISTANCE {inst.max_distance}")
        cost += length
    if inst.vehicles is not None and used > inst.vehicles:
        raise CVRPSolutionError(f"{used} routes but only {inst.vehicles} vehicles (VEHICLES)")
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        raise CVRPSolutionError(f"{len(missing)} customer(s) not visited: {missing[:10]}")
    return int(cost)


def solve_lkh_file(path: str | Path, time_limit_s: float, seed: int = 0, engine: str | None = None,
                   iterations: int | None = None) -> dict:
    """Solve an LKH-3 VRPTW/VRPSPD instance; the answer is checked by :func:`check_lkh_solution`.

    Returns ``{"cost": int, "routes": [[customer, ...], ...], ...}`` (``.sol`` numbering, depot
    excluded; cost = total distance in the file's scaled unit, as in the best-known costs) with
    ``instance``, ``type``, ``engine``, ``seconds``, ``time_limit_s``, ``seed``, ``num_routes``,
    ``reproducible``.  ``iterations`` as in :func:`culture_logistics.routing.cvrplib.solve_vrp_file`.
    Raises :class:`CVRPLibFormatError` (bad file) or :class:`CVRPSolutionError` (customers left
    unserved, e.g. too few vehicles found).
    """
    inst = read_lkh(path)
    return solve_checked(inst, instance_to_model(inst), check_lkh_solution, time_limit_s, seed, engine, iterations,
                         extra={"type": inst.type},
                         unserved_note=lambda sol: f"; {len(sol.routes)} routes used, VEHICLES = {inst.vehicles}")


def solve_instance_file(path: str | Path, time_limit_s: float, seed: int = 0, engine: str | None = None,
                        iterations: int | None = None) -> dict:
    """Solve a CVRPLIB (``TYPE : CVRP``) or LKH-3 VRPTW/VRPSPD file, chosen by its ``TYPE`` header."""
    check_file_size(Path(path))
    if sniff_type(path) in LKH_TYPES:
        return solve_lkh_file(path, time_limit_s, seed, engine, iterations)
    return cvrplib.solve_vrp_file(path, time_limit_s, seed, engine, iterations)
