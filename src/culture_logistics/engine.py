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

Time limit and determinism
--------------------------
``time_limit_s`` covers the whole :func:`solve` call (model building and
solution extraction included); the measured overrun is in
``Solution.stats["overrun_s"]`` (typically below +0.2 s: see the benchmark).
Both engines are deterministic for a given model, seed and ``iteration_limit``
(OR-Tools' solution limit / PyVRP's iteration count) on a given machine and
library version.  With only a wall-clock limit neither is: the number of
iterations that fit in the budget depends on the machine's load.
"""
from __future__ import annotations

import importlib.util
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = [
    "Depot",
    "Stop",
    "VehicleType",
    "Model",
    "Route",
    "Solution",
    "ModelError",
    "InfeasibleSolutionError",
    "ENGINES",
    "DEFAULT_ENGINE",
    "solve",
    "check_solution",
    "default_drop_penalty",
]

ENGINES = ("ortools", "pyvrp")
# PyVRP is the default: on the CVRPLIB X set it is several percentage points closer to the
# best-known solutions than the tuned OR-Tools configuration at equal time (see
# benchmarks/bench_cvrplib.py).  When it is not installed, engine=None falls back to OR-Tools.
DEFAULT_ENGINE = "pyvrp"

_INF_TIME = 10**12  # "no limit" for times/horizons (s): ~31,700 years, safe in int64 sums


class ModelError(ValueError):
    """The model is malformed (bad index, negative quantity, matrix shape...)."""


class InfeasibleSolutionError(AssertionError):
    """Raised by :meth:`Solution.check` when a solution violates the model."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = "; ".join(self.problems[:10])
        more = f" (+{len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} feasibility violation(s): {head}{more}")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Depot:
    """A depot.  ``tw_early``/``tw_late`` bound departures and returns (s)."""

    name: str = ""
    tw_early: int = 0
    tw_late: int | None = None
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Stop:
    """A client visit.

    delivery / pickup: quantities unloaded / loaded at the stop (same unit as
    vehicle capacity).  service_s: time spent at the stop.  tw_early/tw_late:
    window for the *start* of service (None = open).  drop_penalty: cost of not
    serving the stop; None = "serve whenever feasible" (see
    :func:`default_drop_penalty`).
    """

    delivery: int = 0
    pickup: int = 0
    service_s: int = 0
    tw_early: int | None = None
    tw_late: int | None = None
    drop_penalty: float | None = None
    name: str = ""
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class VehicleType:
    """A vehicle type.  count=None means unlimited."""

    capacity: int
    count: int | None = None
    fixed_cost: float = 0.0
    cost_per_m: float = 1.0
    speed_factor: float = 1.0
    max_shift_s: int | None = None
    start_depot: int = 0
    end_depot: int | None = None  # None = same as start_depot
    name: str = ""

    @property
    def end(self) -> int:
        return self.start_depot if self.end_depot is None else self.end_depot


@dataclass
class Model:
    depots: list[Depot]
    stops: list[Stop]
    vehicle_types: list[VehicleType]
    distance: np.ndarray
    duration: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.depots = list(self.depots)
        self.stops = list(self.stops)
        self.vehicle_types = list(self.vehicle_types)
        self.distance = np.asarray(self.distance)
        if self.duration is not None:
            self.duration = np.asarray(self.duration)
        self.validate()

    # -- indices
    @property
    def num_locations(self) -> int:
        return len(self.depots) + len(self.stops)

    def location(self, stop: int) -> int:
        """Matrix index of stop ``stop``."""
        return len(self.depots) + stop

    @property
    def needs_time(self) -> bool:
        if any(s.service_s or s.tw_early is not None or s.tw_late is not None for s in self.stops):
            return True
        if any(v.max_shift_s is not None for v in self.vehicle_types):
            return True
        return any(d.tw_early or d.tw_late is not None for d in self.depots)

    def validate(self) -> None:
        n = self.num_locations
        if not self.depots:
            raise ModelError("model has no depot")
        if not self.vehicle_types:
            raise ModelError("model has no vehicle type")
        for name, m in (("distance", self.distance), ("duration", self.duration)):
            if m is None:
                continue
            if m.shape != (n, n):
                raise ModelError(f"{name} matrix has shape {m.shape}, expected ({n}, {n}) "
                                 f"= (depots + stops) squared")
            if not np.issubdtype(m.dtype, np.integer):
                if not np.all(np.isfinite(m)) or np.any(m != np.round(m)):
                    raise ModelError(f"{name} matrix must hold integers")
            if np.any(m < 0):
                raise ModelError(f"{name} matrix has negative entries")
        self.distance = self.distance.astype(np.int64)
        if self.duration is not None:
            self.duration = self.duration.astype(np.int64)
        elif self.needs_time:
            raise ModelError("a duration matrix is required with time windows, service times "
                             "or shift limits")
        for i, s in enumerate(self.stops):
            if s.delivery < 0 or s.pickup < 0 or s.service_s < 0:
                raise ModelError(f"stop {i} ({s.name!r}): negative delivery/pickup/service time")
            if s.tw_early is not None and s.tw_late is not None and s.tw_early > s.tw_late:
                raise ModelError(f"stop {i} ({s.name!r}): tw_early > tw_late")
            if s.drop_penalty is not None and s.drop_penalty < 0:
                raise ModelError(f"stop {i} ({s.name!r}): negative drop penalty")
        for i, d in enumerate(self.depots):
            if d.tw_late is not None and d.tw_early > d.tw_late:
                raise ModelError(f"depot {i} ({d.name!r}): tw_early > tw_late")
        for i, v in enumerate(self.vehicle_types):
            if v.capacity < 0 or (v.count is not None and v.count < 0):
                raise ModelError(f"vehicle type {i}: negative capacity or count")
            if v.cost_per_m < 0 or v.fixed_cost < 0 or v.speed_factor <= 0:
                raise ModelError(f"vehicle type {i}: negative cost or non-positive speed factor")
            if v.max_shift_s is not None and v.max_shift_s < 0:
                raise ModelError(f"vehicle type {i}: negative max_shift_s")
            for d in (v.start_depot, v.end):
                if not 0 <= d < len(self.depots):
                    raise ModelError(f"vehicle type {i}: depot index {d} out of range")

    def travel_time(self, vehicle_type: int) -> np.ndarray:
        """Travel-time matrix (s) of a vehicle type: rint(duration * speed_factor)."""
        if self.duration is None:
            return np.zeros_like(self.distance)
        sf = self.vehicle_types[vehicle_type].speed_factor
        if sf == 1.0:
            return self.duration
        return np.rint(self.duration * sf).astype(np.int64)


def _stop_window(s: Stop) -> tuple[int, int]:
    return (s.tw_early or 0, _INF_TIME if s.tw_late is None else s.tw_late)


def _depot_window(d: Depot) -> tuple[int, int]:
    return (d.tw_early or 0, _INF_TIME if d.tw_late is None else d.tw_late)


def default_drop_penalty(model: Model) -> float:
    """Penalty used for stops with ``drop_penalty=None``.

    It exceeds the cost of *any* set of routes (every location left at most
    once along its most expensive outgoing arc at the highest cost per metre,
    plus the fixed cost of every vehicle that could be used), so serving one
    more stop always beats any saving in distance: stops are dropped only when
    the search could not insert them.  It is not astronomically large (which
    would swamp the solvers' cost scaling), and dropped stops are always
    reported, never hidden.
    """
    n_stops = len(model.stops)
    cmax = max(v.cost_per_m for v in model.vehicle_types)
    out_max = model.distance.max(axis=1) if model.num_locations else np.zeros(0)
    n_veh = sum(n_stops if v.count is None else min(v.count, n_stops) for v in model.vehicle_types)
    fmax = max(v.fixed_cost for v in model.vehicle_types)
    depot_out = float(out_max[: len(model.depots)].max()) if len(model.depots) else 0.0
    bound = cmax * (float(out_max[len(model.depots):].sum()) + n_veh * depot_out) + fmax * n_veh
    return float(max(1.0, math.ceil(bound + 1)))


# --------------------------------------------------------------------------- solution


@dataclass
class Route:
    vehicle_type: int
    stops: list[int]                # stop indices, in visiting order
    departure_s: int                # leaves the start depot
    arrival_s: list[int]            # arrival at each stop
    service_start_s: list[int]      # max(arrival, tw_early)
    load_after: list[int]           # load after each stop
    leg_distance: list[int]         # len(stops)+1 legs: depot->s1, ..., sk->end depot
    start_load: int                 # load at departure (= sum of deliveries)
    return_s: int                   # arrival at the end depot
    start_depot: int = 0
    end_depot: int = 0
    vehicle: int = 0                # index of the vehicle within its type

    @property
    def distance(self) -> int:
        return int(sum(self.leg_distance))

    @property
    def duration(self) -> int:
        return int(self.return_s - self.departure_s)


@dataclass
class Solution:
    routes: list[Route]
    dropped: list[int]                       # stop indices not served
    drop_reasons: dict[int, str]
    cost: float                              # routing cost: fixed + per-metre
    penalty: float                           # drop penalties of the dropped stops
    distance: int
    status: str                              # "feasible" | "partial" | "no_solution"
    solve_seconds: float
    engine: str
    engine_status: str = ""
    time_limit_s: float = 0.0
    seed: int = 0
    stats: dict = field(default_factory=dict)

    @property
    def objective(self) -> float:
        return self.cost + self.penalty

    def check(self, model: Model) -> None:
        """Raise :class:`InfeasibleSolutionError` unless feasible for ``model``."""
        problems = check_solution(model, self)
        if problems:
            raise InfeasibleSolutionError(problems)


def check_solution(model: Model, solution: Solution) -> list[str]:
    """Independently verify ``solution`` against ``model``; return the violations.

    Recomputes loads, schedule, distances and costs from the model data and the
    stop sequences (and departure times) only, and compares them with the
    values the solution reports.
    """
    P: list[str] = []
    D = len(model.depots)
    n = len(model.stops)
    seen: dict[int, int] = {}
    used: dict[int, int] = {}
    dist_total = 0
    cost_total = 0.0
    for r_i, r in enumerate(solution.routes):
        tag = f"route {r_i}"
        if not 0 <= r.vehicle_type < len(model.vehicle_types):
            P.append(f"{tag}: unknown vehicle type {r.vehicle_type}")
            continue
        vt = model.vehicle_types[r.vehicle_type]
        if not r.stops:
            P.append(f"{tag}: empty route reported")
        used[r.vehicle_type] = used.get(r.vehicle_type, 0) + 1
        if r.start_depot != vt.start_depot or r.end_depot != vt.end:
            P.append(f"{tag}: depots ({r.start_depot}, {r.end_depot}) differ from vehicle type's "
                     f"({vt.start_depot}, {vt.end})")
        for s in r.stops:
            if not 0 <= s < n:
                P.append(f"{tag}: unknown stop {s}")
            elif s in seen:
                P.append(f"stop {s} served twice (routes {seen[s]} and {r_i})")
            else:
                seen[s] = r_i
        if any(not 0 <= s < n for s in r.stops):
            continue
        k = len(r.stops)
        for name, arr, want in (("arrival_s", r.arrival_s, k), ("service_start_s", r.service_start_s, k),
                                ("load_after", r.load_after, k), ("leg_distance", r.leg_distance, k + 1)):
            if len(arr) != want:
                P.append(f"{tag}: {name} has {len(arr)} entries, expected {want}")
        # --- loads
        load = sum(model.stops[s].delivery for s in r.stops)
        if load != r.start_load:
            P.append(f"{tag}: start load {r.start_load} != total delivery {load}")
        if load > vt.capacity:
            P.append(f"{tag}: load {load} at depot departure exceeds capacity {vt.capacity}")
        for j, s in enumerate(r.stops):
            st = model.stops[s]
            load = load - st.delivery + st.pickup
            if load > vt.capacity:
                P.append(f"{tag}: load {load} after stop {s} exceeds capacity {vt.capacity}")
            if load < 0:
                P.append(f"{tag}: negative load after stop {s}")
            if j < len(r.load_after) and r.load_after[j] != load:
                P.append(f"{tag}: reported load after stop {s} is {r.load_after[j]}, recomputed {load}")
        # --- distances and schedule
        locs = [vt.start_depot] + [D + s for s in r.stops] + [vt.end]
        legs = [int(model.distance[a, b]) for a, b in zip(locs[:-1], locs[1:])]
        if list(map(int, r.leg_distance)) != legs:
            P.append(f"{tag}: leg distances {list(r.leg_distance)} != matrix {legs}")
        dist = sum(legs)
        dist_total += dist
        cost_total += vt.fixed_cost + vt.cost_per_m * dist
        e0, l0 = _depot_window(model.depots[vt.start_depot])
        t = int(r.departure_s)
        if t < e0 or t > l0:
            P.append(f"{tag}: departure {t} outside start-depot window [{e0}, {l0}]")
        for j, (a, b) in enumerate(zip(locs[:-1], locs[1:])):
            dur = 0 if model.duration is None else int(model.duration[a, b])
            t += int(round(dur * vt.speed_factor))
            if j == len(locs) - 2:
                break
            s = r.stops[j]
            st = model.stops[s]
            e, l = _stop_window(st)
            if j < len(r.arrival_s) and r.arrival_s[j] != t:
                P.append(f"{tag}: reported arrival at stop {s} is {r.arrival_s[j]}, recomputed {t}")
            start = max(t, e)
            if j < len(r.service_start_s) and r.service_start_s[j] != start:
                P.append(f"{tag}: reported service start at stop {s} is {r.service_start_s[j]}, "
                         f"recomputed {start}")
            if start > l:
                P.append(f"{tag}: service at stop {s} starts at {start}, after tw_late {l}")
            t = start + st.service_s
        e1, l1 = _depot_window(model.depots[vt.end])
        if t > l1:
            P.append(f"{tag}: returns at {t}, after end-depot tw_late {l1}")
        if r.return_s != t:
            P.append(f"{tag}: reported return {r.return_s}, recomputed {t}")
        if vt.max_shift_s is not None and t - r.departure_s > vt.max_shift_s:
            P.append(f"{tag}: shift {t - r.departure_s} s exceeds max {vt.max_shift_s} s")
    for t_i, cnt in used.items():
        c = model.vehicle_types[t_i].count
        if c is not None and cnt > c:
            P.append(f"vehicle type {t_i}: {cnt} routes but only {c} vehicles")
    dropped = set(solution.dropped)
    if len(dropped) != len(solution.dropped):
        P.append("a stop is reported dropped twice")
    for s in range(n):
        if s in seen and s in dropped:
            P.append(f"stop {s} both served and reported dropped")
        if s not in seen and s not in dropped:
            P.append(f"stop {s} neither served nor reported dropped")
    for s in dropped:
        if not 0 <= s < n:
            P.append(f"unknown dropped stop {s}")
    if dist_total != solution.distance:
        P.append(f"reported distance {solution.distance} != recomputed {dist_total}")
    if not math.isclose(cost_total, solution.cost, rel_tol=1e-9, abs_tol=1e-6):
        P.append(f"reported cost {solution.cost} != recomputed {cost_total}")
    dpen = default_drop_penalty(model) if any(model.stops[s].drop_penalty is None
                                              for s in dropped if 0 <= s < n) else 0.0
    pen = sum((dpen if model.stops[s].drop_penalty is None else model.stops[s].drop_penalty)
              for s in dropped if 0 <= s < n)
    if not math.isclose(pen, solution.penalty, rel_tol=1e-9, abs_tol=1e-6):
        P.append(f"reported penalty {solution.penalty} != recomputed {pen}")
    return P


# --------------------------------------------------------------------------- helpers


def _make_route(model: Model, vt_index: int, stops: list[int], departure: int, vehicle: int = 0) -> Route:
    """Build a Route with the earliest schedule from ``departure``."""
    vt = model.vehicle_types[vt_index]
    D = len(model.depots)
    locs = [vt.start_depot] + [D + s for s in stops] + [vt.end]
    legs = [int(model.distance[a, b]) for a, b in zip(locs[:-1], locs[1:])]
    tt = model.travel_time(vt_index)
    load = sum(model.stops[s].delivery for s in stops)
    start_load = load
    t = int(departure)
    arr, sst, loads = [], [], []
    for j, s in enumerate(stops):
        st = model.stops[s]
        t += int(tt[locs[j], locs[j + 1]])
        arr.append(t)
        t = max(t, _stop_window(st)[0])
        sst.append(t)
        t += st.service_s
        load = load - st.delivery + st.pickup
        loads.append(load)
    t += int(tt[locs[-2], locs[-1]])
    return Route(vehicle_type=vt_index, stops=list(stops), departure_s=int(departure), arrival_s=arr,
                 service_start_s=sst, load_after=loads, leg_distance=legs, start_load=start_load,
                 return_s=t, start_depot=vt.start_depot, end_depot=vt.end, vehicle=vehicle)


def _latest_departure(model: Model, vt_index: int, stops: list[int], earliest: int) -> int:
    """Latest departure >= earliest that keeps the earliest-schedule return time.

    Removes avoidable waiting (and so shortens the shift) without changing
    feasibility of the time windows.
    """
    if model.duration is None or not stops:
        return earliest
    r = _make_route(model, vt_index, stops, earliest)
    # forward slack: how much later could we leave without delaying any late bound
    # or the return time?  Classic forward time slack with waiting.
    slack = _INF_TIME
    wait_cum = 0
    for j, s in enumerate(stops):
        e, l = _stop_window(model.stops[s])
        wait_cum += r.service_start_s[j] - r.arrival_s[j]
        slack = min(slack, wait_cum + (l - r.service_start_s[j]))
    slack = min(slack, wait_cum)  # do not delay the return
    _, l0 = _depot_window(model.depots[model.vehicle_types[vt_index].start_depot])
    return int(min(earliest + max(0, slack), l0))


def _precheck(model: Model) -> dict[int, str]:
    """Stops no vehicle can serve even alone, with the reason."""
    reasons: dict[int, str] = {}
    D = len(model.depots)
    types = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    if not types:
        return {s: "no vehicle available" for s in range(len(model.stops))}
    tts = {i: model.travel_time(i) for i in types}
    for s, st in enumerate(model.stops):
        need = max(st.delivery, st.pickup)
        cap_ok = [i for i in types if need <= model.vehicle_types[i].capacity]
        if not cap_ok:
            cmax = max(model.vehicle_types[i].capacity for i in types)
            reasons[s] = (f"demand {need} (delivery {st.delivery}, pickup {st.pickup}) exceeds "
                          f"every vehicle capacity (max {cmax})")
            continue
        if model.duration is None:
            continue
        ok = False
        why = ""
        for i in cap_ok:
            vt = model.vehicle_types[i]
            e0, l0 = _depot_window(model.depots[vt.start_depot])
            _, l1 = _depot_window(model.depots[vt.end])
            e, l = _stop_window(st)
            out = int(tts[i][vt.start_depot, D + s])
            back = int(tts[i][D + s, vt.end])
            dep = min(max(e0, e - out), l0)
            start = max(dep + out, e)
            ret = start + st.service_s + back
            if start > l:
                why = f"time window closes at {l} s but earliest arrival is {dep + out} s"
            elif ret > l1:
                why = f"cannot return to depot {vt.end} before it closes ({l1} s)"
            elif vt.max_shift_s is not None and ret - dep > vt.max_shift_s:
                why = (f"out-and-back trip takes {ret - dep} s, longer than the shift "
                       f"limit {vt.max_shift_s} s")
            else:
                ok = True
                break
        if not ok:
            reasons[s] = why
    return reasons


def _cost_scale(values: Sequence[float]) -> int:
    """Smallest power of ten making all cost coefficients integral (max 10**6)."""
    for k in range(7):
        f = 10**k
        if all(abs(v * f - round(v * f)) <= 1e-9 * max(1.0, abs(v * f)) for v in values):
            return f
    return 10**6


def _finish(model: Model, routes: list[Route], dropped: list[int], reasons: dict[int, str],
            engine: str, engine_status: str, t0: float, time_limit_s: float, seed: int,
            stats: dict, found: bool) -> Solution:
    routes.sort(key=lambda r: (r.vehicle_type, r.vehicle))
    dist = sum(r.distance for r in routes)
    cost = sum(model.vehicle_types[r.vehicle_type].fixed_cost
               + model.vehicle_types[r.vehicle_type].cost_per_m * r.distance for r in routes)
    dropped = sorted(set(dropped))
    dpen = default_drop_penalty(model) if any(model.stops[s].drop_penalty is None for s in dropped) else 0.0
    pen = sum(dpen if model.stops[s].drop_penalty is None else model.stops[s].drop_penalty
              for s in dropped)
    for s in dropped:
        reasons.setdefault(s, "not inserted by the search (feasible on its own: fleet, capacity or "
                              "time limits in combination with other stops, or the drop penalty "
                              "was lower than the cost of serving it); re-solve to confirm")
    status = "no_solution" if not found else ("partial" if dropped else "feasible")
    return Solution(routes=routes, dropped=dropped, drop_reasons={s: reasons[s] for s in dropped},
                    cost=float(cost), penalty=float(pen), distance=int(dist), status=status,
                    solve_seconds=time.perf_counter() - t0, engine=engine,
                    engine_status=engine_status, time_limit_s=time_limit_s, seed=seed, stats=stats)


def _ffd_bins(items: list[tuple[int, int]], cap: int) -> int:
    """First-fit-decreasing packing of (delivery, pickup) pairs into bins of ``cap``.

    A bin whose delivery and pickup totals both fit is a feasible route load-wise
    (visit stops by increasing pickup - delivery: the load profile is then convex,
    so its maximum is at the depot), hence the count is a feasible fleet size.
    """
    bins: list[list[int]] = []
    for d, p in sorted(items, key=lambda q: -max(q)):
        for b in bins:
            if b[0] + d <= cap and b[1] + p <= cap:
                b[0] += d
                b[1] += p
                break
        else:
            bins.append([d, p])
    return len(bins)


def _unlimited_bound(model: Model, cand: list[int], vt: VehicleType) -> int:
    """Vehicles to instantiate for an unlimited type (OR-Tools needs a finite fleet).

    Without time constraints: max(first-fit-decreasing packing, load bound + slack),
    which always admits a feasible solution; with time constraints: one vehicle per stop.
    """
    if not cand:
        return 0
    if vt.capacity <= 0 or model.needs_time:
        return len(cand)
    items = [(int(model.stops[s].delivery), int(model.stops[s].pickup)) for s in cand]
    items = [q for q in items if max(q) <= vt.capacity]
    if not items:
        return 0
    lb = math.ceil(max(sum(d for d, _ in items), sum(p for _, p in items)) / vt.capacity)
    slack = ORTOOLS_DEFAULTS["fleet_slack"]
    return int(min(len(cand), max(_ffd_bins(items, vt.capacity), lb + max(2, math.ceil(slack * lb)))))


# --------------------------------------------------------------------------- solve


def solve(model: Model, time_limit_s: float = 10.0, seed: int = 0, engine: str | None = None,
          first_solution: str | None = None, metaheuristic: str | None = None,
          iteration_limit: int | None = None, log: bool = False,
          initial_solution: Solution | None = None) -> Solution:
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
    if engine == "ortools":
        sol = _solve_ortools(model, time_limit_s, seed, first_solution, metaheuristic,
                             iteration_limit, log, t0, initial_solution=initial_solution)
    else:
        if first_solution is not None or metaheuristic is not None:
            raise ValueError("first_solution/metaheuristic apply to engine='ortools' only")
        sol = _solve_pyvrp(model, time_limit_s, seed, iteration_limit, log, t0,
                           initial_solution=initial_solution)
    sol.solve_seconds = time.perf_counter() - t0
    sol.stats["overrun_s"] = sol.solve_seconds - time_limit_s
    return sol


def _seed_order(cand: list[int], seed: int) -> list[int]:
    if not seed:
        return list(cand)
    rng = np.random.default_rng(seed)
    return [cand[i] for i in rng.permutation(len(cand))]


# --------------------------------------------------------------------------- OR-Tools

_GLS_ALIASES = {"GLS": "GUIDED_LOCAL_SEARCH", "SA": "SIMULATED_ANNEALING", "TABU": "TABU_SEARCH"}


def _ortools_params(first_solution: str | None, metaheuristic: str | None, n_nodes: int):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    FS = routing_enums_pb2.FirstSolutionStrategy
    MH = routing_enums_pb2.LocalSearchMetaheuristic
    p = pywrapcp.DefaultRoutingSearchParameters()
    fs = (first_solution or ORTOOLS_DEFAULTS["first_solution"]).upper()
    if fs not in FS.Value.keys():
        raise ValueError(f"unknown first_solution {first_solution!r}; expected one of {list(FS.Value.keys())}")
    p.first_solution_strategy = FS.Value.Value(fs)
    mh = (metaheuristic or ORTOOLS_DEFAULTS["metaheuristic"]).upper()
    mh = _GLS_ALIASES.get(mh, mh)
    if mh == "ILS":
        ils = p.iterated_local_search_parameters
        p.use_iterated_local_search = True
        p.local_search_metaheuristic = MH.GREEDY_DESCENT
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = ORTOOLS_DEFAULTS["sisr_max_sequence"]
        sisr.avg_num_removed_visits = ORTOOLS_DEFAULTS["sisr_avg_removed"]
        sisr.bypass_factor = ORTOOLS_DEFAULTS["sisr_bypass"]
        rr.recreate_strategy.heuristic = FS.Value.Value(ORTOOLS_DEFAULTS["recreate"])
        if ORTOOLS_DEFAULTS["recreate_sorting"]:
            from ortools.constraint_solver import routing_heuristic_parameters_pb2 as hp

            lci = rr.recreate_strategy.parameters.local_cheapest_insertion
            prop = hp.LocalCheapestInsertionParameters.InsertionSortingProperty
            for name in ORTOOLS_DEFAULTS["recreate_sorting"]:
                lci.insertion_sorting_properties.append(prop.Value("SORTING_PROPERTY_" + name))
        ils.improve_perturbed_solution = ORTOOLS_DEFAULTS["improve_perturbed"]
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.cooling_schedule_strategy = 1  # EXPONENTIAL
        if ORTOOLS_DEFAULTS["sa_temperatures"]:
            sa.automatic_temperatures = False
            sa.initial_temperature, sa.final_temperature = ORTOOLS_DEFAULTS["sa_temperatures"]
        else:
            sa.automatic_temperatures = True
        ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()
    else:
        if mh not in MH.Value.keys():
            raise ValueError(f"unknown metaheuristic {metaheuristic!r}; expected ILS or one of "
                             f"{list(MH.Value.keys())}")
        p.local_search_metaheuristic = MH.Value.Value(mh)
        if mh == "GUIDED_LOCAL_SEARCH":
            p.guided_local_search_lambda_coefficient = ORTOOLS_DEFAULTS["gls_lambda"]
    ratio = ORTOOLS_DEFAULTS["neighbors"]
    if ratio and n_nodes > ratio:
        p.ls_operator_neighbors_ratio = ratio / n_nodes
        p.ls_operator_min_neighbors = ratio
    return p


def _mh_value(name: str) -> int:
    from ortools.constraint_solver import routing_enums_pb2

    return routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(_GLS_ALIASES.get(name, name))


# OR-Tools search settings, tuned on the 8 CVRPLIB X instances (mean gap to best-known, 10 s
# per instance unless noted, this 2-core shared machine; run-to-run noise is about +-0.5 pp):
#   PATH_CHEAPEST_ARC + GLS 7.07 % (30 s: 6.77 %); SAVINGS + GLS 8.12 % (lambda 0.3: 8.04 %,
#   0.03: 8.15 %); PARALLEL_CHEAPEST_INSERTION + GLS 7.73 %;
#   SAVINGS + ILS (SISR ruin, LCI recreate, SA) with LS after each perturbation 4.51 %
#   (30 s: 4.64 %); same without that LS 3.70-4.17 % (30 s: 3.85 %)  <- default;
#   without LS: SISR avg removed 5: 7.54 %, 15: 3.85 %, 20 (with LS): 5.02 %; max sequence
#   5: 4.91 %, 15: 5.59 %; recreate order random 5.49 %, by demand 5.66 %; SA temperatures
#   100/1: 4.82 %, 10/0.1: 4.83 %; LOCAL_CHEAPEST_COST_INSERTION recreate 8.46 %;
#   PATH_CHEAPEST_ARC first 4.39 %; mandatory stops (no disjunctions) 5.24 %;
#   more spare vehicles (fleet_slack 0.5 / 1.0) worse on the tight instances;
#   ls_operator_neighbors_ratio < 1 stalls the search in this version (no improvement at all);
#   a GLS polish after ILS gains ~0.1 %.
ORTOOLS_DEFAULTS: dict = {
    "first_solution": "SAVINGS",
    "metaheuristic": "ILS",        # "ILS" or a LocalSearchMetaheuristic name ("GLS" = guided LS)
    "gls_lambda": 0.1,
    "sisr_max_sequence": 10,       # SISR L_max
    "sisr_avg_removed": 10,        # SISR c-bar
    "sisr_bypass": 0.01,           # SISR alpha
    "recreate": "LOCAL_CHEAPEST_INSERTION",
    "improve_perturbed": False,    # local search after each ruin-and-recreate
    "recreate_sorting": [],        # LocalCheapestInsertion sorting properties (without SORTING_PROPERTY_)
    "sa_temperatures": None,       # (initial, final) or None = automatic
    "fleet_slack": 0.15,           # unlimited types: vehicles = max(FFD, lb + max(2, slack * lb))
    "polish_fraction": 0.0,        # ILS: share of the time given to a final polish ...
    "polish_metaheuristic": "GUIDED_LOCAL_SEARCH",  # ... with this metaheuristic
    "neighbors": 0,                # > 0: LS operators consider this many neighbours (see above)
    "extract_reserve_s": 0.05,     # time kept for solution extraction ...
    "free_reserve": 0.01,          # ... plus this share of the limit for freeing search memory
    "mandatory_default_stops": False,  # no disjunction for default-penalty stops (no fallback!)
}


def _solve_ortools(model: Model, time_limit_s: float, seed: int, first_solution, metaheuristic,
                   iteration_limit, log, t0, _optional_all: bool = False,
                   initial_solution: Solution | None = None) -> Solution:
    from ortools.constraint_solver import pywrapcp

    D = len(model.depots)
    reasons = _precheck(model)
    cand = _seed_order([s for s in range(len(model.stops)) if s not in reasons], seed)
    veh_type: list[int] = []
    veh_rank: list[int] = []
    for i, vt in enumerate(model.vehicle_types):
        cnt = _unlimited_bound(model, cand, vt) if vt.count is None else vt.count
        veh_type += [i] * cnt
        veh_rank += list(range(cnt))
    stats: dict = {"vehicles_instantiated": len(veh_type)}
    if not cand or not veh_type:
        return _finish(model, [], list(range(len(model.stops))), reasons, "ortools",
                       "nothing to route", t0, time_limit_s, seed, stats, True)
    V = len(veh_type)
    vts = [model.vehicle_types[i] for i in veh_type]
    used_depots = sorted({v.start_depot for v in vts} | {v.end for v in vts})
    dnode = {d: k for k, d in enumerate(used_depots)}
    nd = len(used_depots)
    node_loc = np.array(used_depots + [D + s for s in cand], dtype=np.int64)
    N = len(node_loc)
    manager = pywrapcp.RoutingIndexManager(N, V, [dnode[v.start_depot] for v in vts],
                                           [dnode[v.end] for v in vts])
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    sub = model.distance[np.ix_(node_loc, node_loc)]

    # --- costs (integer, scaled)
    dpen = default_drop_penalty(model)
    pens = [dpen if model.stops[s].drop_penalty is None else float(model.stops[s].drop_penalty)
            for s in cand]
    scale = _cost_scale([v.cost_per_m for v in vts] + [v.fixed_cost for v in vts])
    worst = max(max(pens), 1.0) * len(cand) + float(sub.max()) * N * max(v.cost_per_m for v in vts)
    while scale > 1 and worst * scale > 1e17:
        scale //= 10
    stats["cost_scale"] = scale
    cost_eval: dict[int, int] = {}
    for v, vt in enumerate(vts):
        c = int(round(vt.cost_per_m * scale))
        if c not in cost_eval:
            cost_eval[c] = routing.RegisterTransitMatrix((sub * c).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_eval[c], v)
        if vt.fixed_cost:
            routing.SetFixedCostOfVehicle(int(round(vt.fixed_cost * scale)), v)
    mandatory = ORTOOLS_DEFAULTS["mandatory_default_stops"] and not _optional_all
    for k, s in enumerate(cand):
        if mandatory and model.stops[s].drop_penalty is None:
            continue
        routing.AddDisjunction([manager.NodeToIndex(nd + k)], int(round(pens[k] * scale)))

    # --- loads: cumulative delivery (= load at departure), cumulative pickup, running load
    deliv = [0] * nd + [int(model.stops[s].delivery) for s in cand]
    pick = [0] * nd + [int(model.stops[s].pickup) for s in cand]
    caps = [int(v.capacity) for v in vts]
    has_d, has_p = any(deliv), any(pick)
    if has_d:
        routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(deliv), 0, caps,
                                                True, "delivered")
    if has_p and not has_d:
        routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(pick), 0, caps,
                                                True, "picked")
    if has_d and has_p:
        net = [p - d for p, d in zip(pick, deliv)]
        routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(net), 0, caps,
                                                False, "load")
        load = routing.GetDimensionOrDie("load")
        delivered = routing.GetDimensionOrDie("delivered")
        for v in range(V):
            solver.Add(load.CumulVar(routing.Start(v)) == delivered.CumulVar(routing.End(v)))

    # --- time
    time_dim = None
    if model.needs_time:
        dsub = model.duration[np.ix_(node_loc, node_loc)]
        service = np.array([0] * nd + [int(model.stops[s].service_s) for s in cand], dtype=np.int64)
        lates = [l for s in cand for l in [_stop_window(model.stops[s])[1]] if l < _INF_TIME]
        lates += [l for d in used_depots for l in [_depot_window(model.depots[d])[1]] if l < _INF_TIME]
        sf_max = max(v.speed_factor for v in vts)
        H = int(max(lates, default=0) + service.sum() + (N + 2) * (int(dsub.max()) * sf_max + 1))
        H = min(H, _INF_TIME)
        time_eval: dict[float, int] = {}
        evals = []
        for v, vt in enumerate(vts):
            if vt.speed_factor not in time_eval:
                tt = dsub if vt.speed_factor == 1.0 else np.rint(dsub * vt.speed_factor).astype(np.int64)
                time_eval[vt.speed_factor] = routing.RegisterTransitMatrix((tt + service[:, None]).tolist())
            evals.append(time_eval[vt.speed_factor])
        routing.AddDimensionWithVehicleTransits(evals, H, H, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for k, s in enumerate(cand):
            e, l = _stop_window(model.stops[s])
            time_dim.CumulVar(manager.NodeToIndex(nd + k)).SetRange(int(e), int(min(l, H)))
        for v, vt in enumerate(vts):
            e0, l0 = _depot_window(model.depots[vt.start_depot])
            e1, l1 = _depot_window(model.depots[vt.end])
            time_dim.CumulVar(routing.Start(v)).SetRange(int(min(e0, H)), int(min(l0, H)))
            time_dim.CumulVar(routing.End(v)).SetRange(int(min(e1, H)), int(min(l1, H)))
            if vt.max_shift_s is not None:
                time_dim.SetSpanUpperBoundForVehicle(int(vt.max_shift_s), v)
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))

    params = _ortools_params(first_solution, metaheuristic, len(cand))
    if iteration_limit:
        params.solution_limit = int(iteration_limit)
    params.log_search = bool(log)
    # keep time for extraction and for freeing the search memory (~0.8 % of the search time
    # after many ILS iterations on small instances: 0.13 s after 15 s on A-n32-k5)
    reserve = ORTOOLS_DEFAULTS["extract_reserve_s"] + ORTOOLS_DEFAULTS["free_reserve"] * time_limit_s
    remaining = time_limit_s - (time.perf_counter() - t0) - reserve
    params.time_limit.FromMilliseconds(max(10, int(remaining * 1000)))
    stats["build_s"] = time.perf_counter() - t0
    t_search = time.perf_counter()
    initial = None
    if initial_solution is not None and initial_solution.routes:
        node_of = {s: nd + k for k, s in enumerate(cand)}
        free: dict[int, list[int]] = {}
        for v, t in enumerate(veh_type):
            free.setdefault(t, []).append(v)
        per_vehicle: list[list[int]] = [[] for _ in range(V)]
        for r in initial_solution.routes:
            if free.get(r.vehicle_type):
                v = free[r.vehicle_type].pop(0)
                per_vehicle[v] = [manager.NodeToIndex(node_of[s]) for s in r.stops if s in node_of]
        routing.CloseModelWithParameters(params)
        initial = routing.ReadAssignmentFromRoutes(per_vehicle, True)
        stats["warm_start"] = initial is not None
    if initial is not None:
        assignment = routing.SolveFromAssignmentWithParameters(initial, params)
    elif params.use_iterated_local_search:
        polish = ORTOOLS_DEFAULTS["polish_fraction"]
        if polish > 0:
            params.time_limit.FromMilliseconds(max(10, int(remaining * (1 - polish) * 1000)))
        assignment = routing.SolveWithIteratedLocalSearch(params)
        if polish > 0 and assignment is not None:
            # ruin-and-recreate without local search ends on a solution that is not a local
            # optimum of OR-Tools' operators: polish it with the LS metaheuristic.
            stats["ils_objective"] = assignment.ObjectiveValue()
            p2 = type(params)()
            p2.CopyFrom(params)
            p2.use_iterated_local_search = False
            p2.local_search_metaheuristic = _mh_value(ORTOOLS_DEFAULTS["polish_metaheuristic"])
            left = time_limit_s - (time.perf_counter() - t0) - reserve
            p2.time_limit.FromMilliseconds(max(10, int(left * 1000)))
            polished = routing.SolveFromAssignmentWithParameters(assignment, p2)
            if polished is not None and polished.ObjectiveValue() <= assignment.ObjectiveValue():
                assignment = polished
    else:
        assignment = routing.SolveWithParameters(params)
    stats["search_s"] = time.perf_counter() - t_search
    stats["search_time_limit_s"] = max(10, int(remaining * 1000)) / 1000
    status = routing.status()
    status_name = {0: "ROUTING_NOT_SOLVED", 1: "ROUTING_SUCCESS",
                   2: "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED", 3: "ROUTING_FAIL",
                   4: "ROUTING_FAIL_TIMEOUT", 5: "ROUTING_INVALID", 6: "ROUTING_INFEASIBLE",
                   7: "ROUTING_OPTIMAL"}.get(status, str(status))
    if assignment is None:
        for s in cand:
            reasons.setdefault(s, f"OR-Tools found no solution ({status_name})")
        return _finish(model, [], list(range(len(model.stops))), reasons, "ortools", status_name,
                       t0, time_limit_s, seed, stats, False)
    routes: list[Route] = []
    served: set[int] = set()
    for v in range(V):
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(idx):
            seq.append(cand[manager.IndexToNode(idx) - nd])
            idx = assignment.Value(routing.NextVar(idx))
        if not seq:
            continue
        served.update(seq)
        dep = 0
        if time_dim is not None:
            dep = assignment.Value(time_dim.CumulVar(routing.Start(v)))
            dep = _latest_departure(model, veh_type[v], seq, dep)
        routes.append(_make_route(model, veh_type[v], seq, dep, veh_rank[v]))
    stats["objective_internal"] = assignment.ObjectiveValue()
    t_free = time.perf_counter()
    del assignment, routing, solver, manager  # freeing the search memory takes measurable time
    stats["free_s"] = time.perf_counter() - t_free
    dropped = [s for s in range(len(model.stops)) if s not in served]
    return _finish(model, routes, dropped, reasons, "ortools", status_name, t0, time_limit_s, seed,
                   stats, True)


# --------------------------------------------------------------------------- PyVRP

PYVRP_DEFAULTS: dict = {
    # True: every stop optional (prize = drop penalty) from the start.  Measured at 10 s on
    # X-n214/n247/n322: 3.52 % mean gap vs 2.88 % with mandatory stops (fewer iterations).
    "optional_default_stops": False,
    "reserve_s": 0.05,
    "reserve_s_per_client": 0.00025,
}


def _solve_pyvrp(model: Model, time_limit_s: float, seed: int, iteration_limit, log, t0,
                 initial_solution: Solution | None = None) -> Solution:
    try:
        import pyvrp
        from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("engine='pyvrp' needs the 'pyvrp' package (pip install pyvrp)") from exc

    D = len(model.depots)
    reasons = _precheck(model)
    cand = [s for s in range(len(model.stops)) if s not in reasons]
    types = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    stats: dict = {}
    if not cand or not types:
        return _finish(model, [], list(range(len(model.stops))), reasons, "pyvrp",
                       "nothing to route", t0, time_limit_s, seed, stats, True)
    vts = [model.vehicle_types[i] for i in types]
    dpen = default_drop_penalty(model)
    pens = [dpen if model.stops[s].drop_penalty is None else float(model.stops[s].drop_penalty)
            for s in cand]
    scale = _cost_scale([v.cost_per_m for v in vts] + [v.fixed_cost for v in vts])
    worst = max(max(pens), 1.0) * len(cand)
    while scale > 1 and worst * scale > 1e17:
        scale //= 10
    stats["cost_scale"] = scale
    node_loc = np.array(list(range(D)) + [D + s for s in cand], dtype=np.int64)
    dist = np.ascontiguousarray(model.distance[np.ix_(node_loc, node_loc)])
    dur = (np.zeros_like(dist) if model.duration is None
           else np.ascontiguousarray(model.duration[np.ix_(node_loc, node_loc)]))
    sfs = sorted({v.speed_factor for v in vts})
    durs = [dur if sf == 1.0 else np.rint(dur * sf).astype(np.int64) for sf in sfs]
    locations = ([pyvrp.Location(d.x, d.y, name=d.name) for d in model.depots]
                 + [pyvrp.Location(model.stops[s].x, model.stops[s].y) for s in cand])
    depots = []
    for i, d in enumerate(model.depots):
        e, l = _depot_window(d)
        depots.append(pyvrp.Depot(i, tw_early=int(e), tw_late=int(l), name=d.name))

    def build(optional_all: bool):
        clients = []
        for k, s in enumerate(cand):
            st = model.stops[s]
            e, l = _stop_window(st)
            required = st.drop_penalty is None and not optional_all
            clients.append(pyvrp.Client(D + k, delivery=[int(st.delivery)], pickup=[int(st.pickup)],
                                        service_duration=int(st.service_s), tw_early=int(e),
                                        tw_late=int(l), prize=0 if required else int(round(pens[k] * scale)),
                                        required=required, name=st.name))
        vtypes = []
        for i, vt in zip(types, vts):
            e0, _ = _depot_window(model.depots[vt.start_depot])
            _, l1 = _depot_window(model.depots[vt.end])
            kw = {}
            if vt.max_shift_s is not None:
                kw["shift_duration"] = int(vt.max_shift_s)
            vtypes.append(pyvrp.VehicleType(
                num_available=len(cand) if vt.count is None else int(vt.count),
                capacity=[int(vt.capacity)], start_depot=vt.start_depot, end_depot=vt.end,
                fixed_cost=int(round(vt.fixed_cost * scale)), tw_early=int(e0), tw_late=int(l1),
                unit_distance_cost=int(round(vt.cost_per_m * scale)),
                profile=sfs.index(vt.speed_factor), name=vt.name or str(i), **kw))
        return pyvrp.ProblemData(locations, clients, depots, vtypes, [dist] * len(sfs), durs)

    # PyVRP's penalties for excess load / time warp are absolute (0.1 .. 1e5 per unit); our
    # integer costs are scaled by `scale`, so scale its penalty range alike.
    k = max(1.0, max(round(v.cost_per_m * scale) for v in vts))
    solve_params = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(min_penalty=0.1 * k,
                                                                 max_penalty=1e5 * k))

    def warm(data):
        if initial_solution is None or not initial_solution.routes:
            return None
        cidx = {s: k for k, s in enumerate(cand)}
        routes = []
        for r in initial_solution.routes:
            if r.vehicle_type in types:
                visits = [cidx[s] for s in r.stops if s in cidx]
                if visits:
                    routes.append(pyvrp.Route(data, visits, types.index(r.vehicle_type)))
        return pyvrp.Solution(data, routes)

    def run(data, budget, initial=None):
        stop = MaxRuntime(max(0.05, budget))
        if iteration_limit:
            stop = MultipleCriteria([stop, MaxIterations(int(iteration_limit))])
        with warnings.catch_warnings():
            # infeasible mandatory stops are handled below (re-solve with optional stops)
            warnings.filterwarnings("ignore", message=".*penalty parameter has reached its maximum")
            return pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=bool(log),
                               initial_solution=initial if initial is not None else warm(data),
                               params=solve_params)

    # pyvrp.solve starts its clock after computing neighbourhoods and a first local search,
    # which takes ~0.05-0.08 s on 300-400 clients: keep that out of the budget
    reserve = PYVRP_DEFAULTS["reserve_s"] + PYVRP_DEFAULTS["reserve_s_per_client"] * len(cand)
    any_required = any(model.stops[s].drop_penalty is None for s in cand)
    budget = lambda: time_limit_s - (time.perf_counter() - t0) - reserve  # noqa: E731
    surely_feasible = all(v.count is None for v in vts) and not model.needs_time
    iterations = 0
    if PYVRP_DEFAULTS["optional_default_stops"] or not any_required:
        result = run(build(True), budget())
        engine_status = "feasible" if result.best.is_feasible() else "infeasible"
    elif surely_feasible:
        # unlimited fleet, no time constraints: every stop that passed the precheck fits
        result = run(build(False), budget())
        engine_status = "feasible" if result.best.is_feasible() else "infeasible"
    else:
        # Mandatory stops make PyVRP faster, but if they cannot all be served together it
        # would spend the whole budget on infeasible solutions: try them for half of it.
        data = build(False)
        result = run(data, budget() / 2)
        iterations += getattr(result, "num_iterations", 0) or 0
        if result.best.is_feasible():
            engine_status = "feasible"
            result = run(data, budget(), initial=result.best)
        else:
            stats["resolved_with_optional_stops"] = True
            result = run(build(True), budget())
            engine_status = "feasible (stops optional)" if result.best.is_feasible() else "infeasible"
    best = result.best
    iterations += getattr(result, "num_iterations", 0) or 0
    stats["iterations"] = iterations
    if not best.is_feasible():
        for s in cand:
            reasons.setdefault(s, "PyVRP found no feasible solution")
        return _finish(model, [], list(range(len(model.stops))), reasons, "pyvrp", engine_status,
                       t0, time_limit_s, seed, stats, False)
    routes: list[Route] = []
    served: set[int] = set()
    rank: dict[int, int] = {}
    for r in best.routes():
        t_i = types[r.vehicle_type()]
        seq = [cand[a.idx] for a in r if a.is_client()]
        if not seq:
            continue
        served.update(seq)
        dep = int(r.start_time()) if model.duration is not None else 0
        dep = _latest_departure(model, t_i, seq, dep)
        routes.append(_make_route(model, t_i, seq, dep, rank.get(t_i, 0)))
        rank[t_i] = rank.get(t_i, 0) + 1
    dropped = [s for s in range(len(model.stops)) if s not in served]
    return _finish(model, routes, dropped, reasons, "pyvrp", engine_status, t0, time_limit_s, seed,
                   stats, True)
