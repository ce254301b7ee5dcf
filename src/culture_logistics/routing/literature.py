"""The published multi-depot, periodic and two-echelon benchmarks solved by the county machinery (issue 22).

* **MDVRP** (Cordeau type 2): one multi-depot engine model, built like a block of the county-wide last
  mile (:func:`culture_logistics.routing.assign.county_last_mile`): every depot sends its own vehicles
  (a vehicle type per depot, ``count`` = m, its capacity and duration limit), the solver decides which
  depot serves which customer.
* **PVRP** (Cordeau type 1): the weekly planner's day assignment
  (:func:`culture_logistics.routing.weekly.assign_days`, given each customer's allowed combinations), then
  each day routed by the engine, then rounds of moving a customer to another allowed combination where
  cheapest insertion says it saves distance, each changed day re-solved from the moved routes.
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
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from culture_logistics.config.routing import FleetEntry, RoutingParams
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.formats.cordeau import CordeauInstance, euclid
from culture_logistics.formats.twoe import TwoEInstance
from culture_logistics.routing.engine.budget import WorkBudget
from culture_logistics.routing.engine.model import Depot, Model, Route, Solution, Stop, VehicleType
from culture_logistics.routing.engine.solve import solve as engine_solve
from culture_logistics.routing.split_delivery import split_delivery_trucks
from culture_logistics.routing.weekly import assign_days

#: engine units per distance unit
SCALE = 10_000

#: tolerance of the feasibility checks (distance units)
TOL = 1e-6


def work_budget(n_stops: int) -> WorkBudget:
    """The deterministic budget of one benchmark model of ``n_stops`` stops: 400 PyVRP iterations per stop
    (at least 4,000, at most 200,000), stopping after 100 per stop (at least 2,000) without improvement."""
    it = int(min(200_000, max(4_000, 400 * n_stops)))
    return WorkBudget(iterations=it, no_improvement=int(min(it, max(2_000, 100 * n_stops))))


@dataclass
class _Run:
    """A solve's clock, budget mode and statistics."""

    time_limit_s: float
    seed: int
    budget: str           # "work" or "time"
    engine: str | None
    t0: float
    cap_hit: bool = False
    solves: int = 0

    def left(self) -> float:
        return self.time_limit_s - (time.perf_counter() - self.t0)

    def solve(self, model: Model, share_s: float, initial: Solution | None = None,
              work: WorkBudget | None = None) -> Solution:
        """Solve ``model`` within ``share_s`` (and the time left): on ``work`` when given, else on
        :func:`work_budget` (``budget="work"``) or until the share is spent (``budget="time"``)."""
        tl = max(0.05, min(share_s, self.left()))
        b = work or ("time" if self.budget == "time" else work_budget(len(model.stops)))
        sol = engine_solve(model, time_limit_s=tl, seed=self.seed, engine=self.engine, budget=b,
                           initial_solution=initial)
        self.solves += 1
        if (work is not None or self.budget != "time") and sol.stats.get("cap_hit"):
            self.cap_hit = True
        return sol


def _whole(v: float, what: str) -> int:
    if float(v) != int(v):
        raise CultureLogisticsError(f"{what} {v:g} is not a whole number; the routing engine needs whole demands "
                                    "and capacities")
    return int(v)


def _int_mats(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(real distances, engine distances = round(real × SCALE), engine times = ceil(real × SCALE))."""
    real = euclid(points)
    return real, np.rint(real * SCALE).astype(np.int64), np.ceil(real * SCALE - 1e-7).astype(np.int64)


def _length(real: np.ndarray, locs: list[int]) -> float:
    return float(sum(real[a, b] for a, b in zip(locs[:-1], locs[1:])))


def _warm(routes: list[tuple[int, list[int]]]) -> Solution:
    """A warm start for the engine: (vehicle type, stop indices) per route (only these are read)."""
    rs = [Route(vehicle_type=t, stops=list(s), departure_s=0, arrival_s=[], service_start_s=[], load_after=[],
                leg_distance=[], start_load=0, return_s=0) for t, s in routes if s]
    return Solution(routes=rs, dropped=[], drop_reasons={}, cost=0.0, penalty=0.0, distance=0, status="feasible",
                    solve_seconds=0.0, engine="")


def _answer(problem: str, name: str, cost: float, routes: list, problems: list, run: _Run, extra: dict) -> dict:
    cost = cost if math.isfinite(cost) else None  # no plan at all: JSON null, not Infinity
    return {"instance": name, "problem": problem, "cost": cost, "feasible": not problems, "routes": routes} | extra | {
        "problems": problems, "engine": run.engine or "pyvrp", "seconds": round(time.perf_counter() - run.t0, 3),
        "time_limit_s": run.time_limit_s, "seed": run.seed, "budget": run.budget,
        "reproducible": run.budget != "time" and not run.cap_hit}


# ============================================================================ MDVRP
def mdvrp_model(inst: CordeauInstance) -> tuple[Model, np.ndarray]:
    """The multi-depot engine model of an MDVRP instance (depot k = location k - 1, customer i = stop i - 1)
    and the real distance matrix over depots then customers."""
    real, dist, dur = _int_mats(inst.points())
    t = inst.num_depots
    depots = [Depot(name=str(inst.n + k + 1), x=float(inst.depot_xy[k, 0]), y=float(inst.depot_xy[k, 1]))
              for k in range(t)]
    stops = [Stop(delivery=_whole(inst.demand[i], f"demand of customer {i + 1}"),
                  service_s=int(math.ceil(inst.service[i] * SCALE - 1e-7)), name=str(i + 1),
                  x=float(inst.xy[i, 0]), y=float(inst.xy[i, 1])) for i in range(inst.n)]
    types = [VehicleType(capacity=_whole(inst.capacity[k], f"capacity of depot {inst.n + k + 1}"), count=inst.vehicles,
                         max_shift_s=int(math.floor(inst.max_duration[k] * SCALE + 1e-7)) if inst.max_duration[k] > 0
                         else None, start_depot=k, name=f"depot {inst.n + k + 1}") for k in range(t)]
    timed = any(inst.service > 0) or any(d > 0 for d in inst.max_duration)
    return Model(depots, stops, types, dist, dur if timed else None), real


def solve_mdvrp(inst: CordeauInstance, time_limit_s: float, seed: int = 0, budget: str = "work",
                engine: str | None = None) -> dict:
    """Solve an MDVRP instance with the multi-depot engine model; the answer of issue 22 (routes
    ``{"depot": d, "stops": [...]}``, depots numbered n+1…n+t as in the file), re-checked by :func:`validate`."""
    run = _Run(time_limit_s, seed, budget, engine, time.perf_counter())
    model, real = mdvrp_model(inst)
    sol = run.solve(model, run.left())
    routes = [{"depot": inst.n + 1 + r.start_depot, "stops": [s + 1 for s in r.stops]} for r in sol.routes]
    cost, problems = validate(inst, {"routes": routes})
    return _answer("mdvrp", inst.name, cost, routes, problems, run, {})


# ============================================================================ PVRP
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
        stops = [Stop(delivery=_whole(inst.demand[c - 1], f"demand of customer {c}"),
                      service_s=int(math.ceil(inst.service[c - 1] * SCALE - 1e-7)), name=str(c)) for c in custs]
        vt = VehicleType(capacity=_whole(Q, f"capacity of day {day}"), count=inst.vehicles,
                         max_shift_s=int(math.floor(D * SCALE + 1e-7)) if D > 0 else None)
        return Model([Depot(name="0")], stops, [vt], dist[np.ix_(idx, idx)],
                     None if dur is None else dur[np.ix_(idx, idx)])

    def route_ok(self, day: int, r: list[int]) -> bool:
        inst = self.inst
        if sum(inst.demand[c - 1] for c in r) > inst.capacity[day - 1] + TOL:
            return False
        D = inst.max_duration[day - 1]
        return D <= 0 or _length(self.real, [0] + r + [0]) + sum(inst.service[c - 1] for c in r) <= D - 1e-4

    def removal(self, day: int, c: int) -> float:
        for r in self.routes[day]:
            if c in r:
                j = r.index(c)
                a, b = ([0] + r + [0])[j], ([0] + r + [0])[j + 2]
                return float(self.real[a, c] + self.real[c, b] - self.real[a, b])
        return 0.0

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
        stops.append(Stop(delivery=_whole(inst.demand[c - 1], f"demand of customer {c}"), service_s=svc[c - 1],
                          tw_early=(days[0] - 1) * H, tw_late=days[-1] * H - 1, name=str(c)))
    types = [VehicleType(capacity=_whole(inst.capacity[d], f"capacity of day {d + 1}"), count=inst.vehicles,
                         max_shift_s=limits[d] if limits[d] > 0 else None, start_depot=d, name=f"day {d + 1}")
             for d in range(T)]
    return Model(depots, stops, types, dist[np.ix_(idx, idx)], D), visits


#: PVRP: rounds of combination moves with a deterministic work budget (``budget="time"``: until the time limit)
PVRP_ROUNDS = 40

#: PVRP: at most this many combination moves per round (the ones cheapest insertion rates best)
PVRP_MOVES = 3

#: PVRP: the share of the time limit (a cap; the work budget normally ends it first) of each solve of the whole
#: week (after the starts, and at the end)
PVRP_WEEK_SHARE = 0.2


def _day_budget(n_stops: int) -> WorkBudget:
    """The work budget of re-solving one PVRP day after combination moves (small: many rounds matter more)."""
    return WorkBudget(iterations=max(500, 40 * n_stops), no_improvement=max(250, 20 * n_stops))


def solve_pvrp(inst: CordeauInstance, time_limit_s: float, seed: int = 0, budget: str = "work",
               engine: str | None = None, rounds: int | None = None) -> dict:
    """Solve a PVRP instance; routes ``{"day": k, "stops": [...]}`` and ``visit_days``, re-checked by :func:`validate`.

    1. Two starts, each day routed by the engine, the cheaper kept: the weekly planner's day assignment
       (:func:`pvrp_days`: balanced loads over the allowed combinations) and combinations by cheapest insertion.
    2. Rounds (``rounds``, default :data:`PVRP_ROUNDS`; until the time limit with ``budget="time"``) of an
       iterated local search over combinations: every customer takes the combination whose cheapest insertion
       (into any route of the day, the day's total load within its vehicles) saves most; after a round without
       gain a few customers (seeded) move to another allowed combination first.  The changed days are
       re-solved by the engine from the moved routes; the round is kept only if the total distance falls.

    One piece on purpose: the steps share the day routes, the best plan and the clock.
    """
    run = _Run(time_limit_s, seed, budget, engine, time.perf_counter())
    real, dist, dur = _int_mats(inst.points())
    timed = any(inst.service > 0) or any(d > 0 for d in inst.max_duration)
    days = _Days(inst, real, dur)
    T = inst.t
    rng = np.random.default_rng(seed)
    rounds = (10**9 if budget == "time" else PVRP_ROUNDS) if rounds is None else rounds

    def route_day(d: int, combo: list, share: float, warm: list | None = None, work=None) -> list | None:
        custs = sorted(c for c in range(1, inst.n + 1) if d in combo[c - 1])
        if not custs:
            return []
        model = days.day_model(d, custs, dist, dur if timed else None)
        pos = {c: k for k, c in enumerate(custs)}
        initial = None if not warm or len(warm) > inst.vehicles else _warm([(0, [pos[c] for c in r]) for r in warm])
        sol = run.solve(model, share, initial, work or work_budget(len(custs)))
        new = [[custs[s] for s in r.stops] for r in sol.routes]
        warm_ok = (warm is not None and _all_served(warm, custs) and len(warm) <= inst.vehicles
                   and all(days.route_ok(d, r) for r in warm))
        if warm_ok and (sol.dropped or _cost(real, warm) <= _cost(real, new)):
            return warm
        return None if sol.dropped else new

    def total(routes: dict) -> float:
        return _cost(real, [r for d in routes for r in routes[d]])

    best = None
    fallback = None
    for combo in (pvrp_days(inst), _insertion_days(inst, days)):  # step 1: two starts
        if not combo[0]:
            continue
        got = {d: route_day(d, combo, 0.15 * time_limit_s / T) for d in range(1, T + 1)}
        fallback = fallback or (got, combo)
        if any(r is None for r in got.values()):
            continue
        if best is None or total(got) < best[0]:
            best = (total(got), got, list(combo))
    if best is None:  # no start routed every customer: report what the first one gives, its problems listed
        got, combo = fallback
        best = (math.inf, {d: r or [] for d, r in got.items()}, combo)
    def week(share: float, work=None) -> None:
        """One engine solve of the whole week from the best plan; kept when cheaper."""
        nonlocal best
        model, visits = week_model(inst, best[2], dist, dur)
        at: dict = {}
        for k, (c, d) in enumerate(visits):
            at.setdefault(c, {})[d] = k
        warm = [(d - 1, [at[c].get(d, at[c].get(None)) for c in r]) for d in best[1] for r in best[1][d]]
        sol = run.solve(model, share, _warm(warm), work)
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
        if total(routes) < best[0] - 1e-9:
            best = (total(routes), routes, combo)

    if math.isfinite(best[0]):  # step 2: the whole week in one model
        week(PVRP_WEEK_SHARE * time_limit_s)
    multi = [c for c in range(1, inst.n + 1) if len(inst.combos[c - 1]) > 1 and
             not (len(best[2][c - 1]) == 1 and all(len(x) == 1 for x in inst.combos[c - 1]))]
    stall = 0
    for _ in range(rounds):  # step 2: iterated local search over combinations
        if run.left() < PVRP_WEEK_SHARE * time_limit_s or not multi or not math.isfinite(best[0]):
            break
        days.routes = {d: [list(r) for r in best[1][d]] for d in best[1]}
        combo = list(best[2])
        changed: set = set()
        if stall:
            k = max(1, min(len(multi), 1 + stall // 3))
            for c in rng.choice(multi, size=k, replace=False):
                c = int(c)
                others = [x for x in inst.combos[c - 1] if x != combo[c - 1]]
                new = others[int(rng.integers(len(others)))]
                if all(days.insertion(d, c, relaxed=True)[0] < math.inf for d in new if d not in combo[c - 1]):
                    days.move(c, combo[c - 1], new, relaxed=True)
                    changed |= set(combo[c - 1]) ^ set(new)
                    combo[c - 1] = new
        moves = []
        for c in multi:
            old = combo[c - 1]
            for new in inst.combos[c - 1]:
                if new != old:
                    add = sum(days.insertion(d, c, relaxed=True)[0] for d in new if d not in old)
                    gain = add - sum(days.removal(d, c) for d in old if d not in new)
                    if gain < -1e-6:
                        moves.append((gain, c, new))
        moved: set = set()
        for gain, c, new in sorted(moves)[:PVRP_MOVES]:  # the most promising moves only: a round is judged whole
            if c not in moved:
                moved.add(c)
                days.move(c, combo[c - 1], new, relaxed=True)
                changed |= set(combo[c - 1]) ^ set(new)
                combo[c - 1] = new
        if not changed:
            stall += 1
            continue
        routes = dict(best[1])
        share = min(run.left(), 0.1 * time_limit_s) / len(changed)
        for d in sorted(changed):
            n_day = sum(1 for c in range(1, inst.n + 1) if d in combo[c - 1])
            routes[d] = route_day(d, combo, share, days.routes[d], _day_budget(n_day))
            if routes[d] is None:
                break
        if all(r is not None for r in routes.values()) and total(routes) < best[0] - 1e-9:
            best = (total(routes), routes, combo)
            stall = 0
        else:
            stall += 1
    if run.left() > 0.05 * time_limit_s and math.isfinite(best[0]):  # the whole week once more
        week(run.left())
    answer = [{"day": d, "stops": r} for d in range(1, T + 1) for r in best[1][d]]
    visit: dict = {}
    for d in range(1, T + 1):
        for r in best[1][d]:
            for c in r:
                visit.setdefault(c, []).append(d)
    visit_days = {str(c): sorted(visit.get(c, [])) for c in range(1, inst.n + 1)}
    cost, problems = validate(inst, {"routes": answer, "visit_days": visit_days})
    return _answer("pvrp", inst.name, cost, answer, problems, run, {"visit_days": visit_days})


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
    return sum(_length(real, [0] + r + [0]) for r in routes)


def _all_served(routes: list, custs: list) -> bool:
    got = sorted(c for r in routes for c in r)
    return got == sorted(custs)


# ============================================================================ 2E-CVRP
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
    run = _Run(time_limit_s, seed, budget, engine, time.perf_counter())
    S, n = inst.num_satellites, inst.n
    real2, dist2, _ = _int_mats(np.vstack([inst.sat_xy, inst.xy]))
    real1 = euclid(np.vstack([inst.depot_xy[None, :], inst.sat_xy]))
    q2 = _whole(inst.freighter_capacity, "city freighter capacity Q2")
    stops = [Stop(delivery=_whole(inst.demand[i], f"demand of customer {i + 1}"), name=str(i + 1)) for i in range(n)]
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
        c1 = sum(_length(real1, [0] + st + [0]) for st, _ in e1)
        c2 = sum(_length(real2, [s - 1] + [S + c - 1 for c in cs] + [s - 1]) for s, cs in e2)
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
        sol = second(counts, time_limit_s / n_solves, _warm(warm) if ok else None)
        got = total(sol)
        if got is not None:
            tried.append((got[0], counts, sol))
            if best is None or got[0] < best[0] - 1e-9:
                best = got
    tried.sort(key=lambda x: x[0])
    for k, (_, counts, sol) in enumerate(tried[:2]):
        if run.left() <= 0.02 * time_limit_s:
            break
        again = second(counts, run.left() / (2 - k), _warm([(r.start_depot, list(r.stops)) for r in sol.routes]))
        got = total(again)
        if got is not None and got[0] < best[0] - 1e-9:
            best = got
    if best is None:
        routes: list = []
        problems = ["no feasible plan found for any split of the city freighters"]
        return _answer("2e", inst.name, math.inf, routes, problems, run, {})
    _, e1, e2 = best
    routes = [{"echelon": 1, "stops": st, "unload": {str(s): q for s, q in un.items()}} for st, un in e1]
    routes += [{"echelon": 2, "satellite": s, "stops": cs} for s, cs in e2]
    cost, problems = validate(inst, {"routes": routes})
    return _answer("2e", inst.name, cost, routes, problems, run, {})


# ============================================================================ product-side validation
def validate(inst: CordeauInstance | TwoEInstance, answer: dict) -> tuple[float, list[str]]:
    """Re-score ``answer["routes"]`` with unrounded Euclidean distances and list every broken rule (empty =
    feasible): each customer served as often as asked on an allowed combination, capacities, durations,
    fleet sizes, and for the 2E-CVRP the freight unloaded at each satellite equal to what leaves it."""
    if isinstance(inst, TwoEInstance):
        return _validate_twoe(inst, answer)
    real = euclid(inst.points())
    n, P, cost = inst.n, [], 0.0
    count: dict = {}
    served: dict = {}
    for k, r in enumerate(answer["routes"]):
        stops = list(r["stops"])
        if any(not (isinstance(c, int) and 1 <= c <= n) for c in stops):
            P.append(f"route {k + 1}: unknown customer in {stops}")
            continue
        if inst.kind == "mdvrp":
            dep = r["depot"] - n - 1
            if not 0 <= dep < inst.num_depots:
                P.append(f"route {k + 1}: unknown depot {r['depot']}")
                continue
            key, where = dep, f"depot {r['depot']}"
            locs = [dep] + [inst.num_depots + c - 1 for c in stops] + [dep]
        else:
            dep = r["day"] - 1
            if not 0 <= dep < inst.t:
                P.append(f"route {k + 1}: unknown day {r['day']}")
                continue
            key, where = dep, f"day {r['day']}"
            locs = [0] + [c for c in stops] + [0]
        count[key] = count.get(key, 0) + 1
        for c in stops:
            served.setdefault(c, []).append(r.get("day", 0))
        length = _length(real, locs)
        cost += length
        load = float(sum(inst.demand[c - 1] for c in stops))
        if load > inst.capacity[key] + TOL:
            P.append(f"route {k + 1} ({where}): load {load:g} exceeds capacity {inst.capacity[key]:g}")
        dur = length + float(sum(inst.service[c - 1] for c in stops))
        if inst.max_duration[key] > 0 and dur > inst.max_duration[key] + TOL:
            P.append(f"route {k + 1} ({where}): duration {dur:.4f} exceeds {inst.max_duration[key]:g}")
    for key, cnt in count.items():
        if cnt > inst.vehicles:
            P.append(f"{'depot ' + str(n + key + 1) if inst.kind == 'mdvrp' else 'day ' + str(key + 1)}: {cnt} routes, "
                     f"{inst.vehicles} vehicles")
    for c in range(1, n + 1):
        got = sorted(served.get(c, []))
        if inst.kind == "mdvrp":
            if len(got) != 1:
                P.append(f"customer {c} served {len(got)} times")
        elif tuple(got) not in [tuple(x) for x in inst.combos[c - 1]]:
            P.append(f"customer {c} visited on days {got}, not an allowed combination")
        elif "visit_days" in answer and sorted(answer["visit_days"].get(str(c), [])) != got:
            P.append(f"customer {c}: visit_days differ from the routes")
    return cost, P


def _validate_twoe(inst: TwoEInstance, answer: dict) -> tuple[float, list[str]]:
    S, n = inst.num_satellites, inst.n
    pts = np.vstack([inst.depot_xy[None, :], inst.sat_xy, inst.xy])  # 0 depot, 1..S satellites, S+1.. customers
    real = euclid(pts)
    P, cost = [], 0.0
    trucks = cfs = 0
    inflow = [0.0] * (S + 1)
    outflow = [0.0] * (S + 1)
    per: dict = {}
    seen: dict = {}
    for k, r in enumerate(answer["routes"]):
        stops = list(r["stops"])
        if r["echelon"] == 1:
            trucks += 1
            if any(not 1 <= s <= S for s in stops):
                P.append(f"route {k + 1}: unknown satellite in {stops}")
                continue
            cost += _length(real, [0] + stops + [0])
            un = {int(s): float(q) for s, q in r["unload"].items()}
            if any(s not in stops or q < -TOL for s, q in un.items()):
                P.append(f"route {k + 1}: unloads at a satellite it does not visit, or a negative quantity")
                continue
            for s, q in un.items():
                inflow[s] += q
            if sum(un.values()) > inst.truck_capacity + TOL:
                P.append(f"route {k + 1}: truck load {sum(un.values()):g} exceeds {inst.truck_capacity:g}")
        else:
            cfs += 1
            s = r["satellite"]
            if not 1 <= s <= S or any(not 1 <= c <= n for c in stops):
                P.append(f"route {k + 1}: unknown satellite or customer")
                continue
            per[s] = per.get(s, 0) + 1
            for c in stops:
                if c in seen:
                    P.append(f"customer {c} served twice")
                seen[c] = k
            load = float(sum(inst.demand[c - 1] for c in stops))
            outflow[s] += load
            if load > inst.freighter_capacity + TOL:
                P.append(f"route {k + 1}: city freighter load {load:g} exceeds {inst.freighter_capacity:g}")
            cost += _length(real, [s] + [S + c for c in stops] + [s])
    if trucks > inst.trucks:
        P.append(f"{trucks} trucks, {inst.trucks} available")
    if cfs > inst.freighters:
        P.append(f"{cfs} city freighters, {inst.freighters} available")
    P += [f"satellite {s}: {c} city freighters, at most {inst.max_per_satellite}" for s, c in per.items()
          if c > inst.max_per_satellite]
    P += [f"satellite {s}: trucks unload {inflow[s]:g}, its city freighters carry {outflow[s]:g}"
          for s in range(1, S + 1) if abs(inflow[s] - outflow[s]) > 1e-6 * max(1.0, outflow[s])]
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        P.append(f"{len(missing)} customer(s) not served: {missing[:10]}")
    return cost, P


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
