"""The 2E-CVRP: the second echelon as one multi-depot model from the satellites, the first echelon by
split-delivery trucks (:func:`culture_logistics.routing.split_delivery.split_delivery_trucks`)."""
from __future__ import annotations

import itertools
import math
import time

import numpy as np

from culture_logistics.errors import CultureLogisticsError
from culture_logistics.formats.cordeau import euclid
from culture_logistics.formats.twoe import TwoEInstance
from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType
from culture_logistics.routing.literature.check import validate
from culture_logistics.routing.literature.common import (
    SCALE,
    Run,
    answer_dict,
    int_mats,
    path_length,
    warm_start,
    whole_number,
)
from culture_logistics.routing.split_delivery import split_delivery_trucks


def _splits(total: int, S: int, per_sat: int) -> list[tuple[int, ...]]:
    return [c for c in itertools.product(range(min(per_sat, total) + 1), repeat=S) if sum(c) == total]


def solve_twoe(inst: TwoEInstance, time_limit_s: float, seed: int = 0, budget: str = "work",
               engine: str | None = None, max_splits: int = 16) -> dict:
    """Solve a 2E-CVRP instance: for splits of the K2 city freighters between satellites, the second echelon
    as one multi-depot model from the satellites, the first echelon by split-delivery trucks; the cheapest
    total.  Routes ``{"echelon": 1, "stops": [satellites], "unload": {s: q}}`` and ``{"echelon": 2,
    "satellite": s, "stops": [customers]}``, re-checked by :func:`validate`.

    The splits tried: a first solve with every satellite allowed ``min(per satellite, K2)`` freighters; then
    every split of K2 when there are at most ``max_splits`` of them, else the ``max_splits`` nearest to what
    the first solve used."""
    run = Run(time_limit_s, seed, budget, engine, time.perf_counter())
    S, n = inst.num_satellites, inst.n
    real2, dist2, _ = int_mats(np.vstack([inst.sat_xy, inst.xy]))
    real1 = euclid(np.vstack([inst.depot_xy[None, :], inst.sat_xy]))
    q2 = whole_number(inst.freighter_capacity, "city freighter capacity Q2")
    stops = [Stop(delivery=whole_number(inst.demand[i], f"demand of customer {i + 1}"), name=str(i + 1)) for i in range(n)]
    deps = [Depot(name=f"satellite {s + 1}") for s in range(S)]
    per = min(inst.max_per_satellite, inst.freighters)

    # a freighter route from satellite s also costs its share of the trucks: about Q2 / Q1 of a truck's round
    # trip depot -> s (the first echelon is solved exactly afterwards; this only steers satellite choice)
    share_cost = [int(round(2 * real1[0, s + 1] * inst.freighter_capacity / inst.truck_capacity * SCALE))
                  for s in range(S)]

    def second(counts: tuple, share: float, warm=None):
        types = [VehicleType(capacity=q2, count=int(counts[s]), start_depot=s, fixed_cost=share_cost[s],
                             name=f"satellite {s + 1}") for s in range(S)]
        sol = run.solve(Model(deps, stops, types, dist2, None), share, warm)
        return sol

    def total(sol) -> tuple[float, list, list] | None:
        if sol.dropped or len(sol.routes) > inst.freighters:
            return None
        e2 = [(r.start_depot + 1, [s + 1 for s in r.stops]) for r in sol.routes]
        loads = [0.0] * S
        for s, cs in e2:
            loads[s - 1] += float(sum(inst.demand[c - 1] for c in cs))
        try:
            e1 = split_delivery_trucks(real1, loads, inst.truck_capacity, inst.trucks, max_stops=min(S, 4))
        except CultureLogisticsError:
            return None
        c1 = sum(path_length(real1, [0] + st + [0]) for st, _ in e1)
        c2 = sum(path_length(real2, [s - 1] + [S + c - 1 for c in cs] + [s - 1]) for s, cs in e2)
        return c1 + c2, e1, e2

    all_splits = _splits(inst.freighters, S, per)
    n_solves = 1 + min(len(all_splits), max_splits) + 2
    relaxed = second(tuple([per] * S), time_limit_s / n_solves)
    used = [sum(1 for r in relaxed.routes if r.start_depot == s) for s in range(S)]
    best = total(relaxed)
    if len(all_splits) > max_splits:
        all_splits = sorted(all_splits, key=lambda c: (sum(abs(a - b) for a, b in zip(c, used)), c))[:max_splits]
    tried: list = []
    for counts in all_splits:  # every split briefly (half the time), then the two cheapest again from their plans
        if run.left() <= 0.02 * time_limit_s:
            break
        warm = [(r.start_depot, list(r.stops)) for r in relaxed.routes]
        ok = all(sum(1 for t, _ in warm if t == s) <= counts[s] for s in range(S))
        sol = second(counts, time_limit_s / n_solves, warm_start(warm) if ok else None)
        got = total(sol)
        if got is not None:
            tried.append((got[0], counts, sol))
            if best is None or got[0] < best[0] - 1e-9:
                best = got
    tried.sort(key=lambda x: x[0])
    for k, (_, counts, sol) in enumerate(tried[:2]):
        if run.left() <= 0.02 * time_limit_s:
            break
        again = second(counts, run.left() / (2 - k), warm_start([(r.start_depot, list(r.stops)) for r in sol.routes]))
        got = total(again)
        if got is not None and got[0] < best[0] - 1e-9:
            best = got
    if best is None:
        routes: list = []
        problems = ["no feasible plan found for any split of the city freighters"]
        return answer_dict("2e", inst.name, math.inf, routes, problems, run, {})
    _, e1, e2 = best
    routes = [{"echelon": 1, "stops": st, "unload": {str(s): q for s, q in un.items()}} for st, un in e1]
    routes += [{"echelon": 2, "satellite": s, "stops": cs} for s, cs in e2]
    cost, problems = validate(inst, {"routes": routes})
    return answer_dict("2e", inst.name, cost, routes, problems, run, {})

