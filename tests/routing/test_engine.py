"""Tests of the routing engine (culture_logistics.engine).

Every solution is verified with the engine's independent checker, and the tiny
instance's optimum is computed here by brute force.
"""
from __future__ import annotations

import importlib.util
import itertools
import math

import numpy as np
import pytest

from culture_logistics.routing.engine.model import (
    Depot,
    InfeasibleSolutionError,
    Model,
    ModelError,
    Route,
    Solution,
    Stop,
    VehicleType,
    check_solution,
    default_drop_penalty,
    make_route,
)
from culture_logistics.routing.engine.solve import solve

ENGINES = ["ortools"] + (["pyvrp"] if importlib.util.find_spec("pyvrp") else [])
TL = 1.0      # time limit of every solve (s)
ITERS = 300   # ... and a deterministic iteration limit, which ends tiny solves sooner


def run(model, engine="ortools", **kw):
    kw.setdefault("time_limit_s", TL)
    kw.setdefault("iteration_limit", ITERS)
    return solve(model, engine=engine, **kw)


def euclid(points):
    p = np.asarray(points, dtype=float)
    return np.rint(np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)


# --------------------------------------------------------------------------- brute force


def _set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _set_partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1:]
        yield [[first]] + part


def brute_force_cvrp(dist, demand, capacity, max_routes=None):
    """Optimal CVRP cost by enumerating partitions and permutations (depot = 0)."""
    n = len(demand)
    best_tour: dict[tuple, float] = {}

    def tour(block):
        key = tuple(sorted(block))
        if key not in best_tour:
            best_tour[key] = min(
                dist[0, p[0]] + sum(dist[a, b] for a, b in zip(p[:-1], p[1:])) + dist[p[-1], 0]
                for p in itertools.permutations(block))
        return best_tour[key]

    best = math.inf
    for part in _set_partitions(list(range(1, n + 1))):
        if max_routes is not None and len(part) > max_routes:
            continue
        if any(sum(demand[c - 1] for c in b) > capacity for b in part):
            continue
        best = min(best, sum(tour(b) for b in part))
    return best


def tiny_model(count=None):
    pts = [(0, 0), (10, 2), (12, 9), (3, 11), (-8, 7), (-11, -4), (2, -12)]
    demand = [4, 3, 5, 4, 3, 5]  # total 24 > capacity 15 -> at least 2 routes
    dist = euclid(pts)
    model = Model(depots=[Depot("depot")],
                  stops=[Stop(delivery=q, name=f"s{i}") for i, q in enumerate(demand)],
                  vehicle_types=[VehicleType(capacity=15, count=count)],
                  distance=dist)
    return model, dist, demand


@pytest.mark.parametrize("engine", ENGINES)
def test_tiny_instance_reaches_brute_force_optimum(engine):
    model, dist, demand = tiny_model()
    opt = brute_force_cvrp(dist, demand, 15)
    sol = run(model, engine, seed=1)
    sol.check(model)
    assert sol.status == "feasible" and not sol.dropped
    assert len(sol.routes) >= 2
    assert sol.distance == pytest.approx(opt)
    assert sol.cost == pytest.approx(opt)
    # every route's reported numbers are consistent
    for r in sol.routes:
        assert r.start_load == sum(demand[s] for s in r.stops) <= 15
        assert r.load_after[-1] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_fixed_fleet_of_two(engine):
    model, dist, demand = tiny_model(count=2)
    opt = brute_force_cvrp(dist, demand, 15, max_routes=2)
    sol = run(model, engine)
    sol.check(model)
    assert len(sol.routes) <= 2 and not sol.dropped
    assert sol.distance == pytest.approx(opt)


# --------------------------------------------------------------------------- pickup and delivery


def pd_model(count=1):
    """Depot 0, stop A (pickup 8) and stop B (delivery 8), capacity 10.

    Load at departure (8) and at return (8) are within capacity whatever the
    order, but A before B carries 16 between them.  Distances make A-then-B
    much cheaper, so only a check of the load at every point keeps B first.
    """
    big = 1000
    dist = np.array([
        [0, 10, big],    # depot -> A cheap, depot -> B expensive
        [big, 0, 10],    # A -> B cheap
        [10, big, 0],    # B -> depot cheap
    ])
    stops = [Stop(pickup=8, name="A"), Stop(delivery=8, name="B")]
    return Model(depots=[Depot()], stops=stops,
                 vehicle_types=[VehicleType(capacity=10, count=count)], distance=dist)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_pickup_delivery_load_checked_at_every_stop(engine):
    model = pd_model()
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped
    (route,) = sol.routes
    assert route.stops == [1, 0]           # B (delivery) first, then A (pickup)
    assert route.start_load == 8
    assert route.load_after == [0, 8]
    assert sol.distance == 3000  # depot->B, B->A, A->depot: the only feasible order


def test_checker_rejects_overload_between_stops():
    model = pd_model()
    # Hand-made route A -> B: departure load 8 and return load 8 are fine,
    # but 16 after A exceeds the capacity of 10.
    route = Route(vehicle_type=0, stops=[0, 1], departure_s=0, arrival_s=[0, 0], service_start_s=[0, 0],
                  load_after=[16, 8], leg_distance=[10, 10, 10], start_load=8, return_s=0)
    sol = Solution(routes=[route], dropped=[], drop_reasons={}, cost=30.0, penalty=0.0, distance=30,
                   status="feasible", solve_seconds=0.0, engine="manual")
    problems = check_solution(model, sol)
    assert any("load 16 after stop 0 exceeds capacity 10" in p for p in problems)
    with pytest.raises(InfeasibleSolutionError):
        sol.check(model)


@pytest.mark.parametrize("engine", ENGINES)
def test_pickup_delivery_random_instance_feasible(engine):
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 1000, size=(16, 2))
    dist = euclid(pts)
    stops = [Stop(delivery=int(rng.integers(0, 8)), pickup=int(rng.integers(0, 8))) for _ in range(15)]
    model = Model(depots=[Depot()], stops=stops, vehicle_types=[VehicleType(capacity=20)], distance=dist)
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped
    for r in sol.routes:
        load = r.start_load
        assert load <= 20
        for s, after in zip(r.stops, r.load_after):
            load = load - stops[s].delivery + stops[s].pickup
            assert load == after and 0 <= load <= 20


# --------------------------------------------------------------------------- time


def line_model(max_shift=None, windows=None, speed_factor=1.0, service=0):
    # depot at 0, stops on a line every 1000 m, 100 s per 1000 m
    xs = [0, 1000, 2000, 3000, 4000]
    dist = np.abs(np.subtract.outer(xs, xs))
    dur = dist // 10
    windows = windows or [(None, None)] * 4
    stops = [Stop(delivery=1, service_s=service, tw_early=e, tw_late=l, name=f"s{i}")
             for i, (e, l) in enumerate(windows)]
    vt = VehicleType(capacity=100, max_shift_s=max_shift, speed_factor=speed_factor)
    return Model(depots=[Depot()], stops=stops, vehicle_types=[vt], distance=dist, duration=dur)


@pytest.mark.parametrize("engine", ENGINES)
def test_shift_limit_respected(engine):
    # the farthest stop needs 800 s out and back (+60 s service): a 900 s shift cannot serve all four
    model = line_model(max_shift=900, service=60)
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped
    assert len(sol.routes) >= 2
    assert all(r.duration <= 900 for r in sol.routes)


@pytest.mark.parametrize("engine", ENGINES)
def test_speed_factor_multiplies_travel_times(engine):
    model = line_model(max_shift=2000, speed_factor=1.5)
    sol = run(model, engine)
    sol.check(model)
    (route,) = sol.routes
    assert route.duration == 1200  # 800 s of driving x 1.5


@pytest.mark.parametrize("engine", ENGINES)
def test_time_windows_respected(engine):
    # the far stop must be served first (early deadline), the near one late
    windows = [(1500, 2000), (None, None), (None, None), (0, 450)]
    model = line_model(windows=windows)
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped
    for r in sol.routes:
        for s, t in zip(r.stops, r.service_start_s):
            e, l = windows[s]
            assert (e or 0) <= t <= (l if l is not None else math.inf)
            assert t >= r.arrival_s[r.stops.index(s)]


@pytest.mark.parametrize("engine", ENGINES)
def test_unreachable_time_window_is_dropped_with_reason(engine):
    windows = [(None, None), (None, None), (None, None), (0, 100)]  # needs 400 s to get there
    model = line_model(windows=windows)
    sol = run(model, engine)
    sol.check(model)
    assert sol.dropped == [3]
    assert "time window" in sol.drop_reasons[3]
    assert sol.status == "partial"
    assert sol.penalty == pytest.approx(default_drop_penalty(model))


# --------------------------------------------------------------------------- drops


@pytest.mark.parametrize("engine", ENGINES)
def test_oversized_stop_is_dropped_and_reported(engine):
    model, dist, demand = tiny_model()
    stops = list(model.stops)
    stops[2] = Stop(delivery=40, name="too big")
    model = Model(depots=model.depots, stops=stops,
                  vehicle_types=[VehicleType(capacity=15), VehicleType(capacity=20, count=1)],
                  distance=dist)
    sol = run(model, engine)
    sol.check(model)
    assert sol.dropped == [2]
    assert "exceeds every vehicle capacity" in sol.drop_reasons[2]
    served = sorted(s for r in sol.routes for s in r.stops)
    assert served == [0, 1, 3, 4, 5]


@pytest.mark.parametrize("engine", ENGINES)
def test_explicit_low_penalty_allows_dropping(engine):
    # a far stop whose penalty is lower than the detour to reach it is left out
    pts = [(0, 0), (10, 0), (0, 10), (5000, 5000)]
    stops = [Stop(delivery=1), Stop(delivery=1), Stop(delivery=1, drop_penalty=100)]
    model = Model(depots=[Depot()], stops=stops, vehicle_types=[VehicleType(capacity=10)],
                  distance=euclid(pts))
    sol = run(model, engine)
    sol.check(model)
    assert sol.dropped == [2]
    assert sol.penalty == 100
    assert sol.objective == pytest.approx(sol.cost + 100)


@pytest.mark.parametrize("engine", ENGINES)
def test_fleet_too_small_drops_instead_of_failing(engine):
    model, dist, demand = tiny_model(count=1)  # one vehicle of 15 for 24 units
    sol = run(model, engine)
    sol.check(model)
    assert sol.dropped and sol.status == "partial"
    assert sum(demand[s] for s in sol.dropped) >= 24 - 15


@pytest.mark.parametrize("engine", ENGINES)
def test_warm_start_with_more_routes_than_vehicles(engine):
    # a plan of the unlimited fleet (two routes or more) warm-starts the same stops with one vehicle:
    # the extra routes are left out of the warm start, not an error of the engine
    plan = run(tiny_model()[0], engine)
    assert len(plan.routes) >= 2
    model, dist, demand = tiny_model(count=1)
    sol = run(model, engine, initial_solution=plan)
    sol.check(model)
    assert len(sol.routes) == 1 and sol.status == "partial"
    assert sum(demand[s] for s in sol.dropped) >= 24 - 15


# --------------------------------------------------------------------------- misc


@pytest.mark.parametrize("engine", ENGINES)
def test_heterogeneous_fleet_and_two_depots(engine):
    # two depots far apart, one vehicle type per depot, fixed costs
    pts = [(0, 0), (10000, 0), (100, 0), (0, 100), (9900, 0), (10000, 100)]
    dist = euclid(pts)
    stops = [Stop(delivery=1) for _ in range(4)]
    vts = [VehicleType(capacity=5, count=1, start_depot=0, fixed_cost=50, cost_per_m=1.0),
           VehicleType(capacity=5, count=1, start_depot=1, fixed_cost=50, cost_per_m=2.0)]
    model = Model(depots=[Depot("a"), Depot("b")], stops=stops, vehicle_types=vts, distance=dist)
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped and len(sol.routes) == 2
    by_type = {r.vehicle_type: sorted(r.stops) for r in sol.routes}
    assert by_type == {0: [0, 1], 1: [2, 3]}
    assert sol.cost == pytest.approx(50 + 1.0 * by_depot_cost(dist, 0, [2, 3])
                                     + 50 + 2.0 * by_depot_cost(dist, 1, [4, 5]))


def by_depot_cost(dist, depot, locs):
    return min(dist[depot, p[0]] + dist[p[0], p[1]] + dist[p[1], depot]
               for p in itertools.permutations(locs))


def test_checker_catches_missing_stop_and_bad_times():
    model = line_model(max_shift=10_000)
    sol = run(model)
    sol.check(model)
    r = sol.routes[0]
    r.arrival_s[0] += 1
    r.stops = r.stops[:-1]
    problems = check_solution(model, sol)
    assert any("neither served nor reported dropped" in p for p in problems)
    assert any("arrival" in p for p in problems)


def test_model_validation():
    with pytest.raises(ValueError):
        Model(depots=[Depot()], stops=[Stop()], vehicle_types=[VehicleType(capacity=1)],
              distance=np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="duration"):
        Model(depots=[Depot()], stops=[Stop(tw_early=0, tw_late=10)],
              vehicle_types=[VehicleType(capacity=1)], distance=np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="engine"):
        solve(tiny_model()[0], time_limit_s=1, engine="nope")


@pytest.mark.parametrize("engine", ENGINES)
def test_deterministic_with_iteration_limit(engine):
    model, *_ = tiny_model()
    a = solve(model, time_limit_s=5, seed=3, iteration_limit=50, engine=engine)
    b = solve(model, time_limit_s=5, seed=3, iteration_limit=50, engine=engine)
    assert [r.stops for r in a.routes] == [r.stops for r in b.routes]
    assert a.distance == b.distance


# --------------------------------------------------------------------------- fixed costs (PyVRP penalties)
def light_van_model(parcels: int, n_villages: int = 12, seed: int = 5):
    """One station and ``n_villages`` villages (seeded, within 8 km, road factor 1.3, 10 m/s) with
    ``parcels`` inbound parcels in all, served by the default last-mile van: capacity 200, six of
    them, 220 CNY a day and 0.75 CNY/km, 9 h shifts, at 85 % of road speed."""
    from culture_logistics.config.fleet import default_fleet_entry
    from culture_logistics.routing.solving import vehicle_type

    rng = np.random.default_rng(seed)
    pts = np.vstack([[0.0, 0.0], rng.uniform(-8000, 8000, size=(n_villages, 2))])
    dist = np.rint(1.3 * np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=2))).astype(np.int64)
    dur = np.rint(dist / 10.0).astype(np.int64)
    q = [parcels // n_villages] * n_villages
    for i in range(parcels - sum(q)):
        q[i] += 1
    stops = [Stop(delivery=d, service_s=int(300 + 12 * d), name=f"v{i}") for i, d in enumerate(q)]
    van = vehicle_type(default_fleet_entry("shared", "last_mile"))
    assert (van.capacity, van.count, van.fixed_cost) == (200, 6, 220.0)
    return Model([Depot("station", tw_early=8 * 3600, tw_late=18 * 3600)], stops, [van], dist, dur)


@pytest.mark.parametrize("parcels", [201, 202])
def test_station_over_one_van_gets_every_village_served(parcels):
    """201 (202) parcels need two vans of 200: with fixed costs of 220 CNY against 0.75 CNY/km an
    overloaded single van used to look cheaper to PyVRP than a second van, and every village was
    dropped.  Now both engines serve all villages with exactly two vans, PyVRP no dearer."""
    model = light_van_model(parcels)
    sols = {e: solve(model, time_limit_s=10, engine=e) for e in ENGINES}
    for e, sol in sols.items():
        assert check_solution(model, sol) == [], e
        assert sol.dropped == [] and sol.status == "feasible", (e, sol.engine_status)
        assert len(sol.routes) == 2, e
        assert sorted(s for r in sol.routes for s in r.stops) == list(range(12))
        assert all(r.start_load <= 200 for r in sol.routes)
        assert sol.stats["reproducible"] and not sol.stats["cap_hit"], e
    if "pyvrp" in sols:
        assert sols["pyvrp"].cost <= sols["ortools"].cost + 1e-6


@pytest.mark.skipif("pyvrp" not in ENGINES, reason="pyvrp not installed")
def test_pyvrp_penalty_bound_exceeds_a_vehicle():
    """The largest penalty of a unit of overload is above the whole scaled cost of any plan, so one
    parcel over never pays for a vehicle saved; the start value is at least one more vehicle."""
    model = light_van_model(201)
    sol = solve(model, time_limit_s=10, engine="pyvrp")
    scale = sol.stats["cost_scale"]
    assert sol.stats["penalty_max"] > 6 * 220 * scale
    assert sol.stats["penalty_start"] >= 220 * scale


def test_warm_start_with_more_vehicles_than_the_model_has_starts_cold():
    """A re-solve with fewer vehicles than the warm start used (the diagnosis of a dropped stop does this) is
    solved, not refused: 4 stops of 5 parcels need 4 vans of 5; with 2 of them, 2 stops are dropped."""
    dist = [[0, 10, 10, 10, 10], [10, 0, 5, 5, 5], [10, 5, 0, 5, 5], [10, 5, 5, 0, 5], [10, 5, 5, 5, 0]]

    def model(count):
        return Model(depots=[Depot()], stops=[Stop(delivery=5) for _ in range(4)],
                     vehicle_types=[VehicleType(capacity=5, count=count)], distance=dist)

    first = solve(model(4), time_limit_s=2, engine="pyvrp")
    assert len(first.routes) == 4 and not first.dropped
    again = solve(model(2), time_limit_s=2, engine="pyvrp", initial_solution=first)
    assert len(again.routes) == 2 and len(again.dropped) == 2


# --------------------------------------------------------------------------- range (max_distance_m)


def range_model(max_distance_m, xs=(0, 1000, 2000, 3000, 4000), fixed_cost=0.0):
    """Depot at x = 0, stops on a line at ``xs[1:]`` (m); one unlimited vehicle type with the range given."""
    dist = np.abs(np.subtract.outer(xs, xs))
    stops = [Stop(delivery=1, name=f"s{i}") for i in range(len(xs) - 1)]
    vt = VehicleType(capacity=100, max_distance_m=max_distance_m, fixed_cost=fixed_cost, name="e_tricycle")
    return Model(depots=[Depot()], stops=stops, vehicle_types=[vt], distance=dist)


@pytest.mark.parametrize("engine", ENGINES)
def test_range_drops_stops_beyond_reach_with_reason(engine):
    # 6 km range: the stop at 4 km (8 km out and back) cannot be served; 1, 2 and 3 km fit one 6 km route
    model = range_model(6000)
    sol = run(model, engine)
    sol.check(model)
    assert sol.dropped == [3]
    assert "8.0 km" in sol.drop_reasons[3] and "range of 6 km" in sol.drop_reasons[3]
    (route,) = sol.routes
    assert sorted(route.stops) == [0, 1, 2]
    assert route.distance == 6000


@pytest.mark.parametrize("engine", ENGINES)
def test_range_splits_routes(engine):
    # stops 3 km either side of the depot: one route would be 12 km (and save a vehicle's 1000 fixed cost),
    # a 6 km range forces two routes of 6 km
    xs = (0, 3000, -3000)
    free = run(range_model(None, xs, fixed_cost=1000.0), engine)
    assert [r.distance for r in free.routes] == [12000]
    model = range_model(6000, xs, fixed_cost=1000.0)
    sol = run(model, engine)
    sol.check(model)
    assert not sol.dropped
    assert sorted(r.distance for r in sol.routes) == [6000, 6000]


def test_checker_rejects_a_route_over_range():
    model = range_model(6000)
    r = make_route(model, 0, [0, 1, 2, 3], 0)
    bad = Solution(routes=[r], dropped=[], drop_reasons={}, cost=8000.0, penalty=0.0, distance=8000,
                   status="feasible", solve_seconds=0.0, engine="none")
    problems = check_solution(model, bad)
    assert problems == ["route 0: distance 8000 m exceeds the vehicle's range 6000 m"]
    with pytest.raises(ModelError, match="negative max_distance_m"):
        range_model(-1)
