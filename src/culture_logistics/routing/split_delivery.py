"""A first echelon with split deliveries: trucks from one depot to a few stations, a station's freight
spread over several trucks when that is cheaper or necessary (exact for small numbers of stations).

Every set of stations a truck may visit (up to ``max_stops`` of them) is one candidate tour, driven in its
shortest order; a small mixed-integer program chooses how many trucks drive each tour and how much each
unloads where: minimise the total length, each station receives exactly its freight, a tour's trucks carry
at most their capacity, at most ``max_vehicles`` trucks.  Any split-delivery plan can be rewritten into
such tours at no extra length, so the answer is optimal when ``max_stops`` ≥ the number of stations.
Used by the 2E-CVRP benchmark (:mod:`culture_logistics.routing.literature`); the county trunk
(:mod:`culture_logistics.routing.plan`) does not call it yet.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from culture_logistics.errors import SolverError


def _tour(dist: np.ndarray, subset: tuple[int, ...]) -> tuple[float, tuple[int, ...]]:
    best = (math.inf, subset)
    for perm in itertools.permutations(subset):
        locs = (0,) + perm + (0,)
        c = float(sum(dist[a, b] for a, b in zip(locs[:-1], locs[1:])))
        if c < best[0] - 1e-12:
            best = (c, perm)
    return best


def split_delivery_trucks(dist: np.ndarray, loads: list[float], capacity: float, max_vehicles: int | None = None,
                          max_stops: int = 4) -> list[tuple[list[int], dict[int, float]]]:
    """Truck tours serving ``loads`` with split deliveries.

    Parameters
    ----------
    dist : (S + 1, S + 1) distances, row/column 0 the depot, 1…S the stations.
    loads : freight of stations 1…S (``loads[s - 1]``; 0 = not visited).
    capacity : one truck's capacity.
    max_vehicles : at most this many trucks (None = no limit).
    max_stops : tours visit at most this many stations (at most 7: orders are enumerated).

    Returns
    -------
    list of (stations in visiting order, {station: quantity unloaded}) — one entry per truck.

    Raises
    ------
    SolverError
        when the freight does not fit on the trucks.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    active = [s for s in range(1, len(loads) + 1) if loads[s - 1] > 0]
    if not active:
        return []
    total = float(sum(loads[s - 1] for s in active))
    if max_vehicles is not None and total > max_vehicles * capacity + 1e-9:
        raise SolverError(f"first echelon: {total:g} units do not fit on {max_vehicles} trucks of {capacity:g}")
    k = min(max(1, int(max_stops)), 7, len(active))
    tours = []
    for size in range(1, k + 1):
        for sub in itertools.combinations(active, size):
            tours.append(_tour(dist, sub))
    R = len(tours)
    pairs = [(r, s) for r, (_, order) in enumerate(tours) for s in order]
    nv = R + len(pairs)
    c = np.array([t[0] for t in tours] + [0.0] * len(pairs))
    rows: list = []
    lo: list = []
    hi: list = []
    for r in range(R):  # what a tour's trucks unload <= their capacity
        a = np.zeros(nv)
        a[r] = -capacity
        for j, (rr, _) in enumerate(pairs):
            if rr == r:
                a[R + j] = 1.0
        rows.append(a)
        lo.append(-np.inf)
        hi.append(0.0)
    for s in active:  # every station receives its freight
        a = np.zeros(nv)
        for j, (_, ss) in enumerate(pairs):
            if ss == s:
                a[R + j] = 1.0
        rows.append(a)
        lo.append(loads[s - 1])
        hi.append(loads[s - 1])
    if max_vehicles is not None:
        a = np.zeros(nv)
        a[:R] = 1.0
        rows.append(a)
        lo.append(0.0)
        hi.append(float(max_vehicles))
    ub = math.ceil(total / capacity) + len(active)
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi),
               integrality=np.array([1] * R + [0] * len(pairs)),
               bounds=Bounds(np.zeros(nv), np.array([ub] * R + [np.inf] * len(pairs))))
    if res.x is None:
        raise SolverError(f"first echelon: no split-delivery plan found ({res.message})")
    x = np.rint(res.x[:R]).astype(int)
    trucks = []
    for r in range(R):
        if x[r] <= 0:
            continue
        order = tours[r][1]
        amounts = {s: float(res.x[R + j]) for j, (rr, s) in enumerate(pairs) if rr == r}
        # the tour's freight on its x[r] trucks: fill one truck after the other, in visiting order
        cur: dict[int, float] = {}
        room = capacity
        made = 0
        for s in order:
            q = max(0.0, amounts.get(s, 0.0))
            while q > 1e-9:
                take = min(q, room)
                cur[s] = cur.get(s, 0.0) + take
                q -= take
                room -= take
                if room <= 1e-9 and made < x[r] - 1:
                    trucks.append(([v for v in order if v in cur], cur))
                    made += 1
                    cur, room = {}, capacity
        if cur:
            trucks.append(([v for v in order if v in cur], cur))
    return _whole_units(trucks, loads, capacity)


def _whole_units(trucks: list, loads: list[float], capacity: float) -> list:
    """Quantities rounded to whole units when the loads are whole (the LP may return 10999.999…)."""
    if not all(float(q).is_integer() for q in loads):
        return trucks
    out = []
    got = {s: 0 for s in range(1, len(loads) + 1)}
    for stops, amounts in trucks:
        r = {s: int(round(q)) for s, q in amounts.items()}
        out.append((stops, r))
        for s, q in r.items():
            got[s] += q
    for s in got:  # put any rounding difference on the first truck with room that visits s
        diff = int(loads[s - 1]) - got[s]
        for stops, r in out:
            if diff == 0:
                break
            if s in r:
                room = int(capacity) - sum(r.values())
                step = min(diff, room) if diff > 0 else max(diff, -r[s])
                r[s] += step
                diff -= step
    return [([v for v in stops if r.get(v, 0) > 0], {s: q for s, q in r.items() if q > 0})
            for stops, r in out if any(q > 0 for q in r.values())]
