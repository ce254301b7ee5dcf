"""The routing model: depots, stops, vehicle types, routes and solutions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from culture_logistics.errors import CultureLogisticsError, SolverError
from culture_logistics.routing.engine.trips import check_trips_schedule, trips_route_fields

INF_TIME = 10**12  # "no limit" for times/horizons (s): ~31,700 years, safe in int64 sums


class ModelError(CultureLogisticsError, ValueError):
    """The model is malformed (bad index, negative quantity, matrix shape...)."""


class InfeasibleSolutionError(SolverError, AssertionError):
    """Raised by :meth:`Solution.check` when a solution violates the model."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = "; ".join(self.problems[:10])
        more = f" (+{len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} feasibility violation(s): {head}{more}")


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
    """A vehicle type.  count=None means unlimited; max_distance_m=None means no limit on a route's length.

    max_trips: trips a vehicle may make in its shift, reloading at its start depot between them (reload_s
    seconds there, loading included); the shift (max_shift_s) and the range (max_distance_m) bound the whole day.
    """

    capacity: int
    count: int | None = None
    fixed_cost: float = 0.0
    cost_per_m: float = 1.0
    speed_factor: float = 1.0
    max_shift_s: int | None = None
    start_depot: int = 0
    end_depot: int | None = None  # None = same as start_depot
    name: str = ""
    max_distance_m: int | None = None
    max_trips: int = 1
    reload_s: int = 0

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
            if v.max_distance_m is not None and v.max_distance_m < 0:
                raise ModelError(f"vehicle type {i} ({v.name!r}): negative max_distance_m")
            if v.max_trips < 1 or v.reload_s < 0:
                raise ModelError(f"vehicle type {i}: max_trips below 1 or negative reload_s")
            for di in (v.start_depot, v.end):
                if not 0 <= di < len(self.depots):
                    raise ModelError(f"vehicle type {i}: depot index {di} out of range")

    def travel_time(self, vehicle_type: int) -> np.ndarray:
        """Travel-time matrix (s) of a vehicle type: rint(duration * speed_factor)."""
        if self.duration is None:
            return np.zeros_like(self.distance)
        sf = self.vehicle_types[vehicle_type].speed_factor
        if sf == 1.0:
            return self.duration
        return np.rint(self.duration * sf).astype(np.int64)


def stop_window(s: Stop) -> tuple[int, int]:
    """A stop's time window (s) as (earliest, latest), :data:`INF_TIME` for no latest time."""
    return (s.tw_early or 0, INF_TIME if s.tw_late is None else s.tw_late)


def depot_window(d: Depot) -> tuple[int, int]:
    """A depot's opening hours (s) as (opens, closes), :data:`INF_TIME` for no closing time."""
    return (d.tw_early or 0, INF_TIME if d.tw_late is None else d.tw_late)


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
    # several trips: the positions in ``stops`` before which the vehicle goes back to its start depot to
    # reload (empty = one trip), its arrival there and departure again (s), and the load at every trip's
    # departure (the first is start_load).  leg_distance then has len(stops) + 1 + len(reloads) legs, in the
    # order driven (… last stop of a trip -> depot, depot -> first stop of the next trip …).
    reloads: list[int] = field(default_factory=list)
    reload_arrival_s: list[int] = field(default_factory=list)
    reload_departure_s: list[int] = field(default_factory=list)
    trip_loads: list[int] = field(default_factory=list)
    rest_after: dict = field(default_factory=dict)  # stop position j -> seconds of rest after its service

    @property
    def distance(self) -> int:
        return int(sum(self.leg_distance))

    @property
    def num_trips(self) -> int:
        """Trips the vehicle makes (1 + reloads)."""
        return 1 + len(self.reloads)

    def trip_of_stops(self) -> list[int]:
        """The trip (0-based) of every stop of the route, in visiting order."""
        out, t, rel = [], 0, set(self.reloads)
        for j in range(len(self.stops)):
            t += j in rel
            out.append(t)
        return out

    def trips(self) -> list[list[int]]:
        """The stops of every trip, in order."""
        out: list[list[int]] = [[] for _ in range(self.num_trips)]
        for s, t in zip(self.stops, self.trip_of_stops()):
            out[t].append(s)
        return out

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
    values the solution reports.  The checks, in order: per route its vehicle type and stops
    (:func:`_check_route_stops`), loads (:func:`_check_loads`), leg distances and schedule
    (:func:`_check_schedule`); then fleet sizes, dropped stops and totals (:func:`_check_totals`).
    """
    P: list[str] = []
    seen: dict[int, int] = {}
    used: dict[int, int] = {}
    dist_total = 0
    cost_total = 0.0
    for r_i, r in enumerate(solution.routes):
        tag = f"route {r_i}"
        if not _check_route_stops(model, r, r_i, tag, seen, used, P):
            continue
        vt = model.vehicle_types[r.vehicle_type]
        _check_loads(model, r, vt, tag, P)
        dist = _check_schedule(model, r, vt, tag, P)
        dist_total += dist
        cost_total += vt.fixed_cost + vt.cost_per_m * dist
    _check_totals(model, solution, seen, used, dist_total, cost_total, P)
    return P


def _check_route_stops(model: Model, r: Route, r_i: int, tag: str, seen: dict, used: dict, P: list) -> bool:
    """Vehicle type, depots, stops (known, served once) and array lengths of route ``r_i``; False when
    the route cannot be checked further (unknown vehicle type or stop)."""
    n = len(model.stops)
    if not 0 <= r.vehicle_type < len(model.vehicle_types):
        P.append(f"{tag}: unknown vehicle type {r.vehicle_type}")
        return False
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
        return False
    k = len(r.stops)
    nr = len(r.reloads)
    for name, arr, want in (("arrival_s", r.arrival_s, k), ("service_start_s", r.service_start_s, k),
                            ("load_after", r.load_after, k), ("leg_distance", r.leg_distance, k + 1 + nr),
                            ("reload_arrival_s", r.reload_arrival_s, nr),
                            ("reload_departure_s", r.reload_departure_s, nr)):
        if len(arr) != want:
            P.append(f"{tag}: {name} has {len(arr)} entries, expected {want}")
    if nr:
        if list(r.reloads) != sorted(set(r.reloads)) or not all(0 < j < k for j in r.reloads):
            P.append(f"{tag}: reload positions {list(r.reloads)} are not increasing positions between stops")
            return False
        if r.num_trips > vt.max_trips:
            P.append(f"{tag}: {r.num_trips} trips, but the vehicle type allows {vt.max_trips}")
        if len(r.trip_loads) != r.num_trips:
            P.append(f"{tag}: trip_loads has {len(r.trip_loads)} entries, expected {r.num_trips}")
    return True


def _check_loads(model: Model, r: Route, vt: VehicleType, tag: str, P: list) -> None:
    """The load at departure (the trip's deliveries) and after every stop, within [0, capacity]; with several
    trips, at every trip's departure from the depot (the pickups are unloaded and the next deliveries loaded)."""
    trip_load = [sum(model.stops[s].delivery for s in t) for t in r.trips()]
    load = trip_load[0]
    if load != r.start_load:
        P.append(f"{tag}: start load {r.start_load} != total delivery {load}")
    if r.reloads and list(r.trip_loads) != trip_load:
        P.append(f"{tag}: reported trip loads {list(r.trip_loads)} != trip deliveries {trip_load}")
    if load > vt.capacity:
        P.append(f"{tag}: load {load} at depot departure exceeds capacity {vt.capacity}")
    rel = set(r.reloads)
    trip = 0
    for j, s in enumerate(r.stops):
        st = model.stops[s]
        if j in rel:
            trip += 1
            load = trip_load[trip]
            if load > vt.capacity:
                P.append(f"{tag}: load {load} at the depot departure of trip {trip + 1} exceeds capacity "
                         f"{vt.capacity}")
        load = load - st.delivery + st.pickup
        if load > vt.capacity:
            P.append(f"{tag}: load {load} after stop {s} exceeds capacity {vt.capacity}")
        if load < 0:
            P.append(f"{tag}: negative load after stop {s}")
        if j < len(r.load_after) and r.load_after[j] != load:
            P.append(f"{tag}: reported load after stop {s} is {r.load_after[j]}, recomputed {load}")


def _check_schedule(model: Model, r: Route, vt: VehicleType, tag: str, P: list) -> int:
    """Leg distances, departure, arrivals, service starts, windows, return and shift; the route's distance.
    A rest the route takes after a stop's service (``rest_after``) delays everything after it."""
    if r.reloads:
        return check_trips_schedule(model, r, vt, tag, P)
    D = len(model.depots)
    locs = [vt.start_depot] + [D + s for s in r.stops] + [vt.end]
    legs = [int(model.distance[a, b]) for a, b in zip(locs[:-1], locs[1:])]
    if list(map(int, r.leg_distance)) != legs:
        P.append(f"{tag}: leg distances {list(r.leg_distance)} != matrix {legs}")
    e0, l0 = depot_window(model.depots[vt.start_depot])
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
        e, l = stop_window(st)
        if j < len(r.arrival_s) and r.arrival_s[j] != t:
            P.append(f"{tag}: reported arrival at stop {s} is {r.arrival_s[j]}, recomputed {t}")
        start = max(t, e)
        if j < len(r.service_start_s) and r.service_start_s[j] != start:
            P.append(f"{tag}: reported service start at stop {s} is {r.service_start_s[j]}, "
                     f"recomputed {start}")
        if start > l:
            P.append(f"{tag}: service at stop {s} starts at {start}, after tw_late {l}")
        rest = int(r.rest_after.get(j, 0))
        if rest < 0:
            P.append(f"{tag}: negative rest after stop {s}")
        t = start + st.service_s + rest
    e1, l1 = depot_window(model.depots[vt.end])
    if t > l1:
        P.append(f"{tag}: returns at {t}, after end-depot tw_late {l1}")
    if r.return_s != t:
        P.append(f"{tag}: reported return {r.return_s}, recomputed {t}")
    if vt.max_shift_s is not None and t - r.departure_s > vt.max_shift_s:
        P.append(f"{tag}: shift {t - r.departure_s} s exceeds max {vt.max_shift_s} s")
    if vt.max_distance_m is not None and sum(legs) > vt.max_distance_m:
        P.append(f"{tag}: distance {sum(legs)} m exceeds the vehicle's range {vt.max_distance_m} m")
    return sum(legs)


def _check_totals(model: Model, solution: Solution, seen: dict, used: dict, dist_total: int, cost_total: float,
                  P: list) -> None:
    """Routes per vehicle type within its count, every stop served or dropped (not both), and the reported
    distance, cost and drop penalty against the recomputed ones."""
    n = len(model.stops)
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


def make_route(model: Model, vt_index: int, stops: list[int], departure: int, vehicle: int = 0,
               reloads=()) -> Route:
    """Build a Route with the earliest schedule from ``departure``; ``reloads``: the positions in ``stops``
    before which the vehicle goes back to its start depot to reload (several trips)."""
    if reloads:
        return Route(**trips_route_fields(model, vt_index, stops, departure, vehicle, sorted(reloads)))
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
        t = max(t, stop_window(st)[0])
        sst.append(t)
        t += st.service_s
        load = load - st.delivery + st.pickup
        loads.append(load)
    t += int(tt[locs[-2], locs[-1]])
    return Route(vehicle_type=vt_index, stops=list(stops), departure_s=int(departure), arrival_s=arr,
                 service_start_s=sst, load_after=loads, leg_distance=legs, start_load=start_load,
                 return_s=t, start_depot=vt.start_depot, end_depot=vt.end, vehicle=vehicle)


def latest_departure(model: Model, vt_index: int, stops: list[int], earliest: int, reloads=()) -> int:
    """Latest departure >= earliest that keeps the earliest-schedule return time.

    Removes avoidable waiting (and so shortens the shift) without changing
    feasibility of the time windows.
    """
    if model.duration is None or not stops:
        return earliest
    r = make_route(model, vt_index, stops, earliest, reloads=reloads)
    # forward slack: how much later could we leave without delaying any late bound
    # or the return time?  Classic forward time slack with waiting.
    slack = INF_TIME
    wait_cum = 0
    for j, s in enumerate(stops):
        e, l = stop_window(model.stops[s])
        wait_cum += r.service_start_s[j] - r.arrival_s[j]
        slack = min(slack, wait_cum + (l - r.service_start_s[j]))
    slack = min(slack, wait_cum)  # do not delay the return
    _, l0 = depot_window(model.depots[model.vehicle_types[vt_index].start_depot])
    return int(min(earliest + max(0, slack), l0))
