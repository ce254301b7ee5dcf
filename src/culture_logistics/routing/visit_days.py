"""Choosing visit days by routing cost: ruin and recreate over each stop's allowed visit-day combinations.

The weekly planner's greedy (:func:`culture_logistics.routing.weekly.assign_days`) balances the days' loads
but does not see geography: two neighbouring villages may be visited on different days, each by its own
detour.  :class:`DaySearch` improves a plan of day routes (one depot, every stop visited on the days of one
of its allowed combinations) by ruin and recreate: a step removes a seeded stop and its nearest neighbours
from every day they are visited on, and puts them back one by one (more visits first, then in seeded order),
each on the allowed combination whose days take it cheapest (the sum of each day's cheapest feasible
insertion, within capacity and route duration; a new route while the day has a vehicle left).  Every cost
is exact on the routes, so a plan stays feasible.  Steps are accepted by threshold accepting (a threshold
above the current total that falls to 0 over the budget) and the best plan is kept.

It serves two callers: the periodic VRP benchmark (:mod:`culture_logistics.routing.literature.periodic`,
between engine solves of the days) and the county weekly plan with ``[routing] visit_days = "routed"``
(:func:`improve_days`, per township from its station before the days are routed).

Units: whatever the distance matrix uses (the county: metres); loads in the capacity's unit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: tolerance of the capacity and duration checks
TOL = 1e-6


@dataclass
class DayProblem:
    """A single-depot periodic routing problem: location 0 is the depot, stops are 1…n.

    Attributes
    ----------
    real : (n+1)×(n+1) distance matrix (also the travel time, for ``max_duration``).
    demand : load of one visit of each stop (length n).
    service : service time of each stop (length n; same unit as ``real``).
    capacity : per day (1…T, length T).
    max_duration : per day, the longest route (travel + service; 0 = none).
    vehicles : routes per day at most.
    combos : per stop, its allowed combinations (tuples of days 1…T).
    """

    real: np.ndarray
    demand: np.ndarray
    service: np.ndarray
    capacity: list
    max_duration: list
    vehicles: int
    combos: list

    @property
    def n(self) -> int:
        return len(self.combos)


class DaySearch:
    """Ruin-and-recreate steps on ``{day: [route, …]}`` with ``combo`` (each stop's days), see the module doc."""

    def __init__(self, prob: DayProblem, rng: np.random.Generator, max_removed: int = 15):
        self.prob, self.real, self.rng = prob, prob.real, rng
        self.svc = np.concatenate([[0.0], np.asarray(prob.service, dtype=float)])   # index = stop (0 = depot)
        self.dem = np.concatenate([[0.0], np.asarray(prob.demand, dtype=float)])
        order = np.argsort(prob.real[1:, 1:], axis=1, kind="stable") + 1
        self.near = [order[c - 1][order[c - 1] != c] for c in range(1, prob.n + 1)]
        self.size_max = max(2, min(max_removed, prob.n // 4))

    def cost(self, routes: dict) -> float:
        """Total length of ``{day: routes}``."""
        real = self.real
        return float(sum(real[[0] + r, r + [0]].sum() for rs in routes.values() for r in rs))

    def insertion(self, routes: list, day: int, c: int) -> tuple[float, int, int]:
        """(cost, route index (-1 = new route), position) of the cheapest feasible insertion of ``c``; inf if none."""
        prob, real = self.prob, self.real
        Q, D = prob.capacity[day - 1], prob.max_duration[day - 1]
        q, sc = self.dem[c], self.svc[c]
        best = (math.inf, -1, 0)
        for k, r in enumerate(routes):
            locs = np.array([0] + r + [0])
            if float(self.dem[locs].sum()) + q > Q + TOL:
                continue
            delta = real[locs[:-1], c] + real[c, locs[1:]] - real[locs[:-1], locs[1:]]
            j = int(np.argmin(delta))
            if delta[j] >= best[0]:
                continue
            if D > 0:
                base = float(real[locs[:-1], locs[1:]].sum()) + float(self.svc[locs].sum()) + sc
                ok = np.flatnonzero(base + delta <= D - 1e-4)
                if not len(ok):
                    continue
                j = int(ok[np.argmin(delta[ok])])
            if delta[j] < best[0]:
                best = (float(delta[j]), k, j)
        if len(routes) < prob.vehicles and q <= Q + TOL and 2 * real[0, c] < best[0] and \
                (D <= 0 or 2 * real[0, c] + sc <= D - 1e-4):
            best = (float(2 * real[0, c]), -1, 0)
        return best

    def insert(self, routes: dict, combo: list, stops: list) -> bool:
        """Put ``stops`` (not in ``routes``) back in this order, each on its cheapest allowed combination;
        False when one fits nowhere (``routes``/``combo`` then partly changed)."""
        for c in stops:
            cache: dict = {}
            best = (math.inf, None)
            for pat in self.prob.combos[c - 1]:
                cost = 0.0
                for d in pat:
                    if d not in cache:
                        cache[d] = self.insertion(routes[d], d, c)
                    cost += cache[d][0]
                    if cost >= best[0]:
                        break
                if cost < best[0]:
                    best = (cost, pat)
            if best[1] is None:
                return False
            for d in best[1]:
                _, k, j = cache[d]
                if k < 0:
                    routes[d].append([c])
                else:
                    routes[d][k].insert(j, c)
            combo[c - 1] = best[1]
        return True

    def order(self, stops: list) -> list:
        """Stops with more allowed visits first, then in seeded order."""
        keys = self.rng.random(len(stops))
        visits = [-len(self.prob.combos[c - 1][0]) for c in stops]
        return [c for _, _, c in sorted(zip(visits, keys, stops))]

    def step(self, routes: dict, combo: list) -> tuple[dict, list] | None:
        """One ruin and recreate on copies of ``routes``/``combo``; None when a stop fits nowhere."""
        rng = self.rng
        routes = {d: [list(r) for r in rs] for d, rs in routes.items()}
        combo = list(combo)
        size = int(rng.integers(2, self.size_max + 1))
        seed = int(rng.integers(1, self.prob.n + 1))
        out = [seed] + [int(x) for x in self.near[seed - 1][:size - 1]]
        gone = set(out)
        for d in routes:
            routes[d] = [r2 for r2 in ([x for x in r if x not in gone] for r in routes[d]) if r2]
        return (routes, combo) if self.insert(routes, combo, self.order(out)) else None

    def run(self, routes: dict, combo: list, steps: int, threshold: float = 0.01,
            progress=None, stop=None) -> tuple[float, dict, list, set]:
        """``steps`` steps of threshold accepting from ``(routes, combo)``: (best total, its routes, its
        combinations, the days changed on the way to it).  ``progress(step)`` gives the share of the whole
        budget spent (default ``step / steps``): the threshold is ``threshold × (1 − progress) × current``;
        ``stop()`` true ends the run early (a caller's wall-clock safety cap).  The walk's last plan is left in
        :attr:`current` ``(total, routes, combinations)``."""
        cur_cost, cur = self.cost(routes), (routes, list(combo))
        best = (cur_cost, routes, list(combo))
        changed: set = set()
        for i in range(steps):
            if stop is not None and stop():
                break
            p = i / max(1, steps) if progress is None else progress(i)
            got = self.step(*cur)
            if got is None:
                continue
            cost = self.cost(got[0])
            if cost < cur_cost + threshold * (1.0 - p) * cur_cost:
                changed |= {d for d in got[0] if got[0][d] != cur[0][d]}
                cur_cost, cur = cost, got
                if cost < best[0] - 1e-9:
                    best = (cost, got[0], list(got[1]))
        self.current = (cur_cost, cur[0], list(cur[1]))
        return best[0], best[1], best[2], changed


def improve_days(prob: DayProblem, patterns: list, steps: int, seed: int = 0) -> tuple[list, float, float]:
    """Better visit days for ``prob`` from ``patterns`` (each stop's combination; ``()`` = not visited):
    routes built by cheapest insertion (stops in ``patterns`` order of :meth:`DaySearch.order`), then
    ``steps`` ruin-and-recreate steps.  Returns (patterns, total length before, after); the patterns
    unchanged when the start cannot be built or nothing is cheaper."""
    T = len(prob.capacity)
    search = DaySearch(prob, np.random.default_rng(seed))
    routes: dict = {d: [] for d in range(1, T + 1)}
    visited = [c for c in range(1, prob.n + 1) if patterns[c - 1]]
    fixed = DayProblem(prob.real, prob.demand, prob.service, prob.capacity, prob.max_duration, prob.vehicles,
                       [[tuple(p)] if p else [()] for p in patterns])
    start = DaySearch(fixed, np.random.default_rng(seed))
    combo = [tuple(p) for p in patterns]
    if not start.insert(routes, combo, start.order(visited)):
        return list(patterns), math.nan, math.nan
    before = search.cost(routes)
    if not visited:
        return list(patterns), before, before
    after, _, combo, _ = search.run(routes, combo, steps)
    return (combo if after < before - 1e-9 else list(patterns)), before, min(before, after)


#: county weekly plan (``visit_days = "routed"``): ruin-and-recreate steps per village of a township, at most
#: :data:`COUNTY_MAX_STEPS` per township (a deterministic work budget)
COUNTY_STEPS_PER_VILLAGE = 20

#: county weekly plan: at most this many steps per township
COUNTY_MAX_STEPS = 2000


def county_days(patterns: list, allowed: list, visits, loads, township, village_xy: np.ndarray,
                depot_xy: dict, capacity: float, days: int, seed: int = 0) -> tuple[list, dict]:
    """The county weekly plan's visit days improved by routing cost, one township at a time.

    Each township is a periodic routing problem from its depot (straight-line metres): its villages
    visited on one of their ``allowed`` combinations, a visit's load ``loads[i]`` (parcels), vans of
    ``capacity``, and per day at most the vans the balanced days (``patterns``, from
    :func:`~culture_logistics.routing.weekly.assign_days`) need on their busiest day — so the days stay
    balanced — searched by :func:`improve_days` from ``patterns``.

    Parameters
    ----------
    patterns, allowed : per village, its days and its allowed combinations.
    visits : visits per week per village (0 = not visited).
    loads : parcels of one visit per village (the larger of in and out).
    township : per village, its township code.
    village_xy : (n, 2) metric coordinates (m); ``depot_xy`` township code → (x, y) of its station.
    capacity : a last-mile van's capacity (parcels).
    days : delivery days per week.

    Returns
    -------
    (patterns, {township: (metres before, metres after)}) — the straight-line lengths of the day routes.
    """
    out = list(patterns)
    report: dict = {}
    town = np.asarray(township).astype(str)
    for t in sorted(set(town)):
        rows = [i for i in np.flatnonzero(town == t) if int(visits[i]) > 0]
        if not rows or t not in depot_xy:
            continue
        xy = np.vstack([np.asarray(depot_xy[t], dtype=float)[None, :], village_xy[rows]])
        real = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        dem = np.array([min(float(loads[i]), float(capacity)) for i in rows])
        day_load = np.zeros(days)
        for i, q in zip(rows, dem):
            for d in patterns[i]:
                day_load[d - 1] += q
        vans = max(1, int(np.ceil(day_load.max() / max(1.0, float(capacity)) - 1e-9)))
        steps = min(COUNTY_MAX_STEPS, COUNTY_STEPS_PER_VILLAGE * len(rows))
        for m in (vans, vans + 1):  # one van more when the start's insertion cannot pack the busiest day
            prob = DayProblem(real, dem, np.zeros(len(rows)), [float(capacity)] * days, [0.0] * days, m,
                              [list(allowed[i]) for i in rows])
            got, before, after = improve_days(prob, [patterns[i] for i in rows], steps, seed)
            if not math.isnan(before):
                break
        for i, p in zip(rows, got):
            out[i] = tuple(p)
        report[t] = (before, after)
    return out, report
