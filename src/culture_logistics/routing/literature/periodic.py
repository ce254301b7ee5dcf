"""The PVRP (Cordeau type 1) by the weekly planner: its day assignment over the allowed combinations, each day
routed by the engine, the whole week as one multi-depot model, and ruin and recreate over the combinations
(:mod:`culture_logistics.routing.visit_days`) between engine solves of the changed days."""
from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from culture_logistics.config.fleet import FleetEntry
from culture_logistics.config.routing import RoutingParams
from culture_logistics.formats.cordeau import CordeauInstance
from culture_logistics.routing.engine.budget import WorkBudget
from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType
from culture_logistics.routing.literature.check import validate
from culture_logistics.routing.literature.common import (
    SCALE,
    TOL,
    Run,
    answer_dict,
    int_mats,
    path_length,
    warm_start,
    whole_number,
    work_budget,
)
from culture_logistics.routing.visit_days import DayProblem, DaySearch
from culture_logistics.routing.weekly import assign_days


def pvrp_days(inst: CordeauInstance) -> list[tuple[int, ...]]:
    """Each customer's visit days by the weekly planner's greedy (:func:`~culture_logistics.routing.weekly.
    assign_days`), restricted to the customer's allowed combinations: the days' loads are balanced."""
    Q = max(inst.capacity)
    params = RoutingParams(delivery_days_per_week=inst.t, service_min=0.0, service_min_per_parcel=0.0,
                           fleet=(FleetEntry("shared", "last_mile", "vehicle", inst.vehicles, int(Q), 1.0, 0.0, 0.0,
                                             24.0),))
    frame = pd.DataFrame({"code": [f"{i:06d}" for i in range(1, inst.n + 1)], "township_code": "",
                          "parcels_in_per_week": inst.demand * inst.frequency, "parcels_out_per_week": 0.0})
    return assign_days(frame, inst.frequency, params, allowed=inst.combos)


class _Days:
    """The routes of every day of a PVRP instance, in customer numbers, with cheapest-insertion moves."""

    def __init__(self, inst: CordeauInstance, real: np.ndarray, tmat: np.ndarray):
        self.inst, self.real, self.tmat = inst, real, tmat
        self.routes: dict[int, list[list[int]]] = {d: [] for d in range(1, inst.t + 1)}

    def day_model(self, day: int, custs: list[int], dist: np.ndarray, dur: np.ndarray | None) -> Model:
        inst = self.inst
        idx = [0] + custs
        D, Q = inst.max_duration[day - 1], inst.capacity[day - 1]
        stops = [Stop(delivery=whole_number(inst.demand[c - 1], f"demand of customer {c}"),
                      service_s=int(math.ceil(inst.service[c - 1] * SCALE - 1e-7)), name=str(c)) for c in custs]
        vt = VehicleType(capacity=whole_number(Q, f"capacity of day {day}"), count=inst.vehicles,
                         max_shift_s=int(math.floor(D * SCALE + 1e-7)) if D > 0 else None)
        return Model([Depot(name="0")], stops, [vt], dist[np.ix_(idx, idx)],
                     None if dur is None else dur[np.ix_(idx, idx)])

    def route_ok(self, day: int, r: list[int]) -> bool:
        inst = self.inst
        if sum(inst.demand[c - 1] for c in r) > inst.capacity[day - 1] + TOL:
            return False
        D = inst.max_duration[day - 1]
        return D <= 0 or path_length(self.real, [0] + r + [0]) + sum(inst.service[c - 1] for c in r) <= D - 1e-4

    def insertion(self, day: int, c: int, relaxed: bool = False) -> tuple[float, int, int]:
        """(cost, route index (-1 = a new route), position) of the cheapest feasible insertion; inf if none.
        ``relaxed``: any route (the engine re-solves the day), as long as the day's load fits its vehicles."""
        best = (math.inf, -1, 0)
        inst = self.inst
        if relaxed and sum(inst.demand[x - 1] for r in self.routes[day] for x in r) + inst.demand[c - 1] > \
                inst.vehicles * inst.capacity[day - 1] + TOL:
            return best
        for k, r in enumerate(self.routes[day]):
            locs = [0] + r + [0]
            for j in range(len(locs) - 1):
                a, b = locs[j], locs[j + 1]
                delta = float(self.real[a, c] + self.real[c, b] - self.real[a, b])
                if delta < best[0] and (relaxed or self.route_ok(day, r[:j] + [c] + r[j:])):
                    best = (delta, k, j)
        if len(self.routes[day]) < self.inst.vehicles and self.route_ok(day, [c]) and 2 * self.real[0, c] < best[0]:
            best = (float(2 * self.real[0, c]), -1, 0)
        return best

    def move(self, c: int, old: tuple, new: tuple, relaxed: bool = False) -> None:
        for d in old:
            if d not in new:
                self.routes[d] = [[x for x in r if x != c] for r in self.routes[d]]
                self.routes[d] = [r for r in self.routes[d] if r]
        for d in new:
            if d not in old:
                cost, k, j = self.insertion(d, c, relaxed)
                if cost == math.inf and self.routes[d] and len(self.routes[d]) >= self.inst.vehicles:
                    k, j = 0, 0   # no room anywhere: onto the first route; the engine re-solves the day
                if k < 0:
                    self.routes[d].append([c])
                else:
                    self.routes[d][k].insert(j, c)


def week_model(inst: CordeauInstance, combo: list, dist: np.ndarray, dur: np.ndarray) -> tuple[Model, list]:
    """The whole week of a PVRP instance as ONE multi-depot engine model, the county-wide last mile's shape:
    day d is a copy of the depot open only in its own time slice ``[(d-1)·H, d·H)``, with the day's m vehicles;
    every visit is a stop whose time window is its day's slice.  A customer visited once whose allowed days
    are consecutive gets the slices of all of them, so the engine itself moves it between days; the visits of
    the other customers stay on the days of ``combo``.  Returns (model, [(customer, day or None) per stop]):
    day None = the customer may go on any of its days."""
    T = inst.t
    svc = [int(math.ceil(x * SCALE - 1e-7)) for x in inst.service]
    visits: list = []
    for c in range(1, inst.n + 1):
        allowed = sorted(d for x in inst.combos[c - 1] for d in x)
        free = len(combo[c - 1]) == 1 and all(len(x) == 1 for x in inst.combos[c - 1]) and \
            allowed == list(range(allowed[0], allowed[-1] + 1))
        visits += [(c, None)] if free else [(c, d) for d in combo[c - 1]]
    idx = [0] * T + [c for c, _ in visits]
    D = dur[np.ix_(idx, idx)]
    limits = [int(math.floor(x * SCALE + 1e-7)) for x in inst.max_duration]
    H = (max(limits) if all(x > 0 for x in limits) else
         int(D.max(axis=1).sum()) + sum(svc[c - 1] for c, _ in visits)) + 1
    depots = [Depot(name=f"day {d}", tw_early=(d - 1) * H, tw_late=d * H - 1) for d in range(1, T + 1)]
    stops = []
    for c, d in visits:
        days = [d] if d is not None else sorted(x[0] for x in inst.combos[c - 1])
        stops.append(Stop(delivery=whole_number(inst.demand[c - 1], f"demand of customer {c}"), service_s=svc[c - 1],
                          tw_early=(days[0] - 1) * H, tw_late=days[-1] * H - 1, name=str(c)))
    types = [VehicleType(capacity=whole_number(inst.capacity[d], f"capacity of day {d + 1}"), count=inst.vehicles,
                         max_shift_s=limits[d] if limits[d] > 0 else None, start_depot=d, name=f"day {d + 1}")
             for d in range(T)]
    return Model(depots, stops, types, dist[np.ix_(idx, idx)], D), visits


#: PVRP: rounds of ruin and recreate (each :data:`PVRP_LNS_STEPS` steps, then the changed days re-solved) with a
#: deterministic work budget (``budget="time"``: until the time limit); p14 takes about 8 s of one core
PVRP_ROUNDS = 10

#: PVRP: ruin-and-recreate steps per round (then the changed days are re-solved by the engine)
PVRP_LNS_STEPS = 1000

#: PVRP: at most this many customers removed by one ruin-and-recreate step
PVRP_LNS_MAX_REMOVED = 15

#: PVRP: the threshold of threshold accepting at the start, a share of the current total (falls to 0)
PVRP_LNS_THRESHOLD = 0.01

#: PVRP: the share of the time limit (a cap) of routing the days of one start
PVRP_START_SHARE = 0.05

#: PVRP: the share of the time limit (a cap; the work budget normally ends it first) of each solve of the whole
#: week (after the starts, and at the end)
PVRP_WEEK_SHARE = 0.1


def _start_budget(n_stops: int) -> WorkBudget:
    """The work budget of routing one day of a start (short: the search that follows does the real work)."""
    return WorkBudget(iterations=max(200, 20 * n_stops), no_improvement=max(100, 10 * n_stops))


def _week_budget(n_visits: int) -> WorkBudget:
    """The work budget of one solve of the whole week (its first; with ``budget="work"`` also its last)."""
    return WorkBudget(iterations=max(1000, 40 * n_visits), no_improvement=max(500, 20 * n_visits))


def _polish_budget(n_stops: int) -> WorkBudget:
    """The work budget of polishing one PVRP day's routes after ruin and recreate (short: the routes are good)."""
    return WorkBudget(iterations=max(200, 10 * n_stops), no_improvement=max(100, 5 * n_stops))


def solve_pvrp(inst: CordeauInstance, time_limit_s: float, seed: int = 0, budget: str = "work",
               engine: str | None = None, rounds: int | None = None) -> dict:
    """Solve a PVRP instance; routes ``{"day": k, "stops": [...]}`` and ``visit_days``, re-checked by :func:`validate`.

    1. Two starts, each day routed by the engine on a short work budget, the cheaper kept: the weekly
       planner's day assignment (:func:`pvrp_days`: balanced loads over the allowed combinations) and
       combinations by cheapest insertion; then the whole week as one multi-depot model (:func:`week_model`).
    2. Rounds (``rounds``, default :data:`PVRP_ROUNDS`; until the time limit with ``budget="time"``) of
       :data:`PVRP_LNS_STEPS` ruin-and-recreate steps over the combinations
       (:class:`~culture_logistics.routing.visit_days.DaySearch`, the search of the weekly planner's
       ``visit_days = "routed"``: customers removed with their nearest neighbours and put back on the
       combination whose days take them cheapest, threshold accepting), then the days they changed re-solved
       by the engine from their routes; the best plan kept.
    3. The whole week once more with the time left.

    The steps share the day routes, the best plan and the clock (:class:`_PvrpSearch`).
    """
    run = Run(time_limit_s, seed, budget, engine, time.perf_counter())
    rounds = (10**9 if budget == "time" else PVRP_ROUNDS) if rounds is None else rounds
    search = _PvrpSearch(inst, run, time_limit_s, seed)
    search.start()  # step 1: two starts
    if math.isfinite(search.best[0]):  # step 2: the whole week in one model
        search.week(PVRP_WEEK_SHARE * time_limit_s, _week_budget(search.n_visits))
    search.local_search(rounds)  # step 2: iterated local search over combinations
    if run.left() > 0.05 * time_limit_s and math.isfinite(search.best[0]):  # the whole week once more
        search.week(run.left(), None if budget == "time" else _week_budget(search.n_visits))
    return search.answer()


class _PvrpSearch:
    """The state the steps of :func:`solve_pvrp` share: the instance's matrices, the day routes, the best plan
    ``(total distance, {day: routes}, combination per customer)``, the seeded generator and the clock."""

    def __init__(self, inst: CordeauInstance, run: Run, time_limit_s: float, seed: int):
        self.inst, self.run, self.time_limit_s = inst, run, time_limit_s
        self.real, self.dist, self.dur = int_mats(inst.points())
        self.timed = any(inst.service > 0) or any(d > 0 for d in inst.max_duration)
        self.days = _Days(inst, self.real, self.dur)
        self.T = inst.t
        self.rng = np.random.default_rng(seed)
        self.best: tuple = (math.inf, {}, [])
        self.n_visits = int(sum(inst.frequency))

    def route_day(self, d: int, combo: list, share: float, warm: list | None = None, work=None) -> list | None:
        """Day ``d``'s routes by the engine (from ``warm`` when given; ``warm`` itself when it is feasible and
        no longer); None when the engine drops a customer."""
        inst, days = self.inst, self.days
        custs = sorted(c for c in range(1, inst.n + 1) if d in combo[c - 1])
        if not custs:
            return []
        model = days.day_model(d, custs, self.dist, self.dur if self.timed else None)
        pos = {c: k for k, c in enumerate(custs)}
        initial = None if not warm or len(warm) > inst.vehicles else warm_start([(0, [pos[c] for c in r])
                                                                                 for r in warm])
        sol = self.run.solve(model, share, initial, work or work_budget(len(custs)))
        new = [[custs[s] for s in r.stops] for r in sol.routes]
        warm_ok = (warm is not None and _all_served(warm, custs) and len(warm) <= inst.vehicles
                   and all(days.route_ok(d, r) for r in warm))
        if warm_ok and (sol.dropped or _cost(self.real, warm) <= _cost(self.real, new)):
            return warm
        return None if sol.dropped else new

    def total(self, routes: dict) -> float:
        """The total distance of ``{day: routes}``."""
        return _cost(self.real, [r for d in routes for r in routes[d]])

    def start(self) -> None:
        """Step 1: the weekly planner's and the cheapest-insertion combinations, each day routed; the cheaper
        kept.  When neither routes every customer, the first one's plan (its problems listed at the end)."""
        inst, T = self.inst, self.T
        best = None
        fallback = None
        for combo in (pvrp_days(inst), _insertion_days(inst, self.days)):
            if not combo[0]:
                continue
            got = {d: self.route_day(d, combo, PVRP_START_SHARE * self.time_limit_s / T, work=_start_budget(
                sum(1 for x in combo if d in x))) for d in range(1, T + 1)}
            fallback = fallback or (got, combo)
            if any(r is None for r in got.values()):
                continue
            if best is None or self.total(got) < best[0]:
                best = (self.total(got), got, list(combo))
        if best is None:  # no start routed every customer: report what the first one gives, its problems listed
            got, combo = fallback
            best = (math.inf, {d: r or [] for d, r in got.items()}, combo)
        self.best = best

    def week(self, share: float, work=None) -> None:
        """One engine solve of the whole week from the best plan; kept when cheaper."""
        best, T = self.best, self.T
        model, visits = week_model(self.inst, best[2], self.dist, self.dur)
        at: dict = {}
        for k, (c, d) in enumerate(visits):
            at.setdefault(c, {})[d] = k
        warm = [(d - 1, [at[c].get(d, at[c].get(None)) for c in r]) for d in best[1] for r in best[1][d]]
        sol = self.run.solve(model, share, warm_start(warm), work)
        if sol.dropped:
            return
        routes: dict = {d: [] for d in range(1, T + 1)}
        combo = list(best[2])
        for r in sol.routes:
            d = r.start_depot + 1
            routes[d].append([visits[s][0] for s in r.stops])
            for s in r.stops:
                if visits[s][1] is None:
                    combo[visits[s][0] - 1] = (d,)
        if self.total(routes) < best[0] - 1e-9:
            self.best = (self.total(routes), routes, combo)

    def local_search(self, rounds: int) -> None:
        """Step 2: ``rounds`` rounds (while time is left) of :data:`PVRP_LNS_STEPS` ruin-and-recreate steps
        over combinations (:class:`~culture_logistics.routing.visit_days.DaySearch`, the weekly planner's
        search by routing cost) from the current plan, then the days they changed re-solved by the engine
        (from the moved routes); the best plan kept.  A round that ends without a new best starts from the
        best plan again."""
        inst = self.inst
        if not math.isfinite(self.best[0]):
            return
        prob = DayProblem(self.real, np.asarray(inst.demand, float), np.asarray(inst.service, float),
                          list(inst.capacity), list(inst.max_duration), inst.vehicles, list(inst.combos))
        lns = DaySearch(prob, self.rng, PVRP_LNS_MAX_REMOVED)
        reserve = PVRP_WEEK_SHARE * self.time_limit_s
        timed = self.run.budget == "time"
        total_steps = rounds * PVRP_LNS_STEPS
        cur = (self.best[0], self.best[1], list(self.best[2]))
        for k in range(rounds):
            if self.run.left() < reserve:
                if not timed:
                    self.run.cap_hit = True  # the wall-clock cap ended the search before its work budget
                break
            start_best = self.best[0]
            base = k * PVRP_LNS_STEPS

            def progress(i: int, base: int = base) -> float:
                if timed:
                    return 1.0 - max(0.0, self.run.left()) / self.time_limit_s
                return (base + i) / max(1, total_steps)
            cost, routes, combo, changed = lns.run(cur[1], cur[2], PVRP_LNS_STEPS, PVRP_LNS_THRESHOLD, progress,
                                                   stop=lambda: self.run.left() < reserve)
            if cost < self.best[0] - 1e-9:
                self.best = (cost, routes, list(combo))
            # the engine re-solves the days the walk changed, on the walk's last plan (routes the insertions
            # alone would not find)
            cur = self.polish(lns.current, changed)
            if cur[0] < self.best[0] - 1e-9:
                self.best = (cur[0], cur[1], list(cur[2]))
            if self.best[0] >= start_best - 1e-9 and cur[0] > self.best[0] * (1 + PVRP_LNS_THRESHOLD):
                cur = (self.best[0], self.best[1], list(self.best[2]))

    def polish(self, cur: tuple, changed: set) -> tuple:
        """The days of ``cur`` in ``changed`` re-solved by the engine from their routes (work budget per day);
        a day's routes replaced when the engine's are cheaper."""
        routes = dict(cur[1])
        for d in sorted(changed):
            if self.run.left() < 0.5 * PVRP_WEEK_SHARE * self.time_limit_s:
                break
            n_day = sum(1 for c in range(1, self.inst.n + 1) if d in cur[2][c - 1])
            got = self.route_day(d, cur[2], min(self.run.left(), 0.05 * self.time_limit_s), routes[d],
                                 _polish_budget(n_day))
            if got is not None and _cost(self.real, got) < _cost(self.real, routes[d]) - 1e-9:
                routes[d] = got
        return (self.total(routes), routes, cur[2])

    def answer(self) -> dict:
        """The answer of the best plan, re-checked by :func:`validate`."""
        inst, best, T = self.inst, self.best, self.T
        answer = [{"day": d, "stops": r} for d in range(1, T + 1) for r in best[1][d]]
        visit: dict = {}
        for d in range(1, T + 1):
            for r in best[1][d]:
                for c in r:
                    visit.setdefault(c, []).append(d)
        visit_days = {str(c): sorted(visit.get(c, [])) for c in range(1, inst.n + 1)}
        cost, problems = validate(inst, {"routes": answer, "visit_days": visit_days})
        return answer_dict("pvrp", inst.name, cost, answer, problems, self.run, {"visit_days": visit_days})


def _insertion_days(inst: CordeauInstance, days: _Days) -> list:
    """Combinations chosen by cheapest insertion into growing day routes (customers with the most visits
    first, then the farthest from the depot): [()] * n when some customer fits nowhere."""
    saved = days.routes
    days.routes = {d: [] for d in range(1, inst.t + 1)}
    out: list = [()] * inst.n
    order = sorted(range(1, inst.n + 1), key=lambda c: (-int(inst.frequency[c - 1]), -float(days.real[0, c]), c))
    try:
        for c in order:
            best = (math.inf, None)
            for combo in inst.combos[c - 1]:
                add = sum(days.insertion(d, c)[0] for d in combo)
                if add < best[0]:
                    best = (add, combo)
            if best[1] is None:
                return [()] * inst.n
            days.move(c, (), best[1])
            out[c - 1] = best[1]
        return out
    finally:
        days.routes = saved


def _cost(real: np.ndarray, routes: list) -> float:
    return sum(path_length(real, [0] + r + [0]) for r in routes)


def _all_served(routes: list, custs: list) -> bool:
    got = sorted(c for r in routes for c in r)
    return got == sorted(custs)
