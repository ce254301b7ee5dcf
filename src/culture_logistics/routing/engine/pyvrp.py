"""The PyVRP engine.
"""
from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from culture_logistics.routing.engine.budget import BudgetStop, WorkBudget
from culture_logistics.routing.engine.common import cost_scale, finish_solution, precheck_stops
from culture_logistics.routing.engine.model import (
    Model,
    Route,
    Solution,
    default_drop_penalty,
    depot_window,
    latest_departure,
    make_route,
    stop_window,
)

PYVRP_DEFAULTS: dict = {
    # True: every stop optional (prize = drop penalty) from the start.  Measured at 10 s on
    # X-n214/n247/n322: 3.52 % mean gap vs 2.88 % with mandatory stops (fewer iterations).
    "optional_default_stops": False,
    "reserve_s": 0.05,
    "reserve_s_per_client": 0.00025,
    # PyVRP's granular neighbourhood: each client's nearest clients its moves try (PyVRP's default).  Fewer cut
    # the search's work and raise plan cost alike (benchmarks/bench_budget_sweep.py H, I, J: 40 neighbours
    # +0.38 % on the ten counties' shared plans for 0.77 of the CPU, 30 +0.78 % for 0.69)
    "num_neighbours": 50,
}


def _penalty_params(pyvrp, model: Model, scale: int, vts, dist: np.ndarray, dur: np.ndarray):
    """PyVRP penalty parameters bounded by the whole scaled cost.

    PyVRP's default penalty range (0.1 .. 1e5 per unit of excess load or time warp) is absolute; it
    is scaled by the cost per metre here.  With vehicle fixed costs that is not enough: one parcel
    of overload or one second of time warp must cost more than a whole vehicle (fixed cost and its
    trip), else the search settles on an infeasible plan with fewer vehicles.  So the maximum is
    at least an upper bound of the cost of any set of routes (fixed costs included), and the
    starting value at least the cost of one more vehicle; both are capped so that penalty ×
    violation stays far from int64 overflow.
    """
    k = max(1.0, max(round(v.cost_per_m * scale) for v in vts))
    fmax = max(round(v.fixed_cost * scale) for v in vts)
    n_veh = sum(len(dist) if v.count is None else min(int(v.count), len(dist)) for v in vts)
    out_max = dist.max(axis=1).astype(float)
    whole = fmax * n_veh + k * (float(out_max.sum()) + n_veh * float(out_max[: len(model.depots)].max()))
    one_vehicle = fmax + 2 * k * float(out_max[: len(model.depots)].max())
    loads = sum(s.delivery + s.pickup for s in model.stops)
    viol = max(1.0, float(loads), float(dur.max()) * len(dist) + sum(s.service_s for s in model.stops))
    guard = 1e17 / viol
    max_pen = max(1e5 * k, min(math.ceil(whole + 1), guard))
    start = min(max(0.1 * k + (1e5 * k - 0.1 * k) / 2, one_vehicle), max_pen)

    class _Params(pyvrp.PenaltyParams):
        def midpoint_penalties(self, data):
            return ([start] * data.num_load_dimensions, start, start)

    return _Params(min_penalty=0.1 * k, max_penalty=max_pen), {"penalty_start": start, "penalty_max": max_pen}


def solve_pyvrp(model: Model, time_limit_s: float, seed: int, budget: WorkBudget | None, log, t0,
                initial_solution: Solution | None = None) -> Solution:
    """Solve with PyVRP: stop on ``budget`` (None = the wall-clock limit only), capped by ``time_limit_s``.

    PyVRP's clients are the stops that pass the precheck (``cand``, in order) and its vehicle types the
    model's types with vehicles (``types``); the warm start (:func:`_warm_start`) and the translation
    back (:func:`_extract_routes`) use the same two index maps.
    """
    try:
        import pyvrp
        from pyvrp.exceptions import PenaltyBoundWarning
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("engine='pyvrp' needs the 'pyvrp' package (pip install pyvrp)") from exc

    D = len(model.depots)
    reasons = precheck_stops(model)
    cand = [s for s in range(len(model.stops)) if s not in reasons]
    types = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    stats: dict = {}
    if not cand or not types:
        return finish_solution(model, [], list(range(len(model.stops))), reasons, "pyvrp",
                               "nothing to route", t0, time_limit_s, seed, stats, True)
    vts = [model.vehicle_types[i] for i in types]
    dpen = default_drop_penalty(model)
    pens = [dpen if model.stops[s].drop_penalty is None else float(model.stops[s].drop_penalty)
            for s in cand]
    scale = cost_scale([v.cost_per_m for v in vts] + [v.fixed_cost for v in vts])
    worst = max(max(pens), 1.0) * len(cand)
    while scale > 1 and worst * scale > 1e17:
        scale //= 10
    stats["cost_scale"] = scale
    # several trips: PyVRP reloads at a depot whose service_duration is the time spent there at the start of
    # every trip but the first (the start depot's is 0), so each (station, reload time) of a vehicle type with
    # max_trips > 1 gets a copy of its station as a reload depot, after the model's depots
    reload_keys = sorted({(v.start_depot, int(v.reload_s)) for v in vts if v.max_trips > 1})
    reload_at = {key: D + e for e, key in enumerate(reload_keys)}
    DE = D + len(reload_keys)
    node_loc = np.array(list(range(D)) + [d for d, _ in reload_keys] + [D + s for s in cand], dtype=np.int64)
    dist = np.ascontiguousarray(model.distance[np.ix_(node_loc, node_loc)])
    dur = (np.zeros_like(dist) if model.duration is None
           else np.ascontiguousarray(model.duration[np.ix_(node_loc, node_loc)]))
    sfs = sorted({v.speed_factor for v in vts})
    durs = [dur if sf == 1.0 else np.rint(dur * sf).astype(np.int64) for sf in sfs]
    locations = ([pyvrp.Location(d.x, d.y, name=d.name) for d in model.depots]
                 + [pyvrp.Location(model.depots[d].x, model.depots[d].y) for d, _ in reload_keys]
                 + [pyvrp.Location(model.stops[s].x, model.stops[s].y) for s in cand])
    depots = []
    for i, d in enumerate(model.depots):
        e, l = depot_window(d)
        depots.append(pyvrp.Depot(i, tw_early=int(e), tw_late=int(l), name=d.name))
    for (i, reload_s), at in reload_at.items():
        e, l = depot_window(model.depots[i])
        depots.append(pyvrp.Depot(at, tw_early=int(e), tw_late=int(l), service_duration=int(reload_s),
                                  name=f"{model.depots[i].name} (reload)"))

    def build(optional_all: bool):
        clients = []
        for k, s in enumerate(cand):
            st = model.stops[s]
            e, l = stop_window(st)
            required = st.drop_penalty is None and not optional_all
            clients.append(pyvrp.Client(DE + k, delivery=[int(st.delivery)], pickup=[int(st.pickup)],
                                        service_duration=int(st.service_s), tw_early=int(e),
                                        tw_late=int(l), prize=0 if required else int(round(pens[k] * scale)),
                                        required=required, name=st.name))
        vtypes = []
        for i, vt in zip(types, vts):
            e0, _ = depot_window(model.depots[vt.start_depot])
            _, l1 = depot_window(model.depots[vt.end])
            kw: dict[str, Any] = {}
            if vt.max_shift_s is not None:
                kw["shift_duration"] = int(vt.max_shift_s)
            if vt.max_distance_m is not None:
                kw["max_distance"] = int(vt.max_distance_m)
            if vt.max_trips > 1:
                kw["reload_depots"] = [reload_at[(vt.start_depot, int(vt.reload_s))]]
                kw["max_reloads"] = int(vt.max_trips) - 1
            vtypes.append(pyvrp.VehicleType(
                num_available=len(cand) if vt.count is None else int(vt.count),
                capacity=[int(vt.capacity)], start_depot=vt.start_depot, end_depot=vt.end,
                fixed_cost=int(round(vt.fixed_cost * scale)), tw_early=int(e0), tw_late=int(l1),
                unit_distance_cost=int(round(vt.cost_per_m * scale)),
                profile=sfs.index(vt.speed_factor), name=vt.name or str(i), **kw))
        return pyvrp.ProblemData(locations, clients, depots, vtypes,
                                 [dist] * len(sfs), durs)  # type: ignore[list-item,arg-type]

    own = [*range(D), *range(DE, len(dist))]   # without the reload depots
    penalty, pstats = _penalty_params(pyvrp, model, scale, vts, dist[np.ix_(own, own)], dur[np.ix_(own, own)])
    stats.update(pstats)
    from pyvrp.search import NeighbourhoodParams

    solve_params = pyvrp.SolveParams(
        penalty=penalty, neighbourhood=NeighbourhoodParams(num_neighbours=int(PYVRP_DEFAULTS["num_neighbours"])))

    stops_fired: list[str] = []
    done = [0]  # iterations so far

    def run(data, seconds, iterations, initial=None):
        no_impr = None if budget is None else budget.no_improvement
        stop = BudgetStop(iterations, no_impr, time.perf_counter() + max(0.05, seconds))
        with warnings.catch_warnings():
            # infeasible mandatory stops are handled below (re-solve with optional stops)
            warnings.filterwarnings("ignore", category=PenaltyBoundWarning)
            res = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=bool(log),
                              initial_solution=(initial if initial is not None
                                                else _warm_start(pyvrp, data, initial_solution, cand, types)),
                              params=solve_params)
        stops_fired.append(stop.reason)
        done[0] += res.num_iterations
        return res

    # pyvrp.solve starts its clock after computing neighbourhoods and a first local search,
    # which takes ~0.05-0.08 s on 300-400 clients: keep that out of the budget
    reserve = PYVRP_DEFAULTS["reserve_s"] + PYVRP_DEFAULTS["reserve_s_per_client"] * len(cand)
    any_required = any(model.stops[s].drop_penalty is None for s in cand)
    seconds = lambda: time_limit_s - (time.perf_counter() - t0) - reserve  # noqa: E731
    surely_feasible = all(v.count is None for v in vts) and not model.needs_time
    total = None if budget is None else int(budget.iterations)
    left = lambda: None if total is None else max(1, total - done[0])  # noqa: E731
    if PYVRP_DEFAULTS["optional_default_stops"] or not any_required:
        result = run(build(True), seconds(), total)
        engine_status = "feasible" if result.best.is_feasible() else "infeasible"
    elif surely_feasible:
        # unlimited fleet, no time constraints: every stop that passed the precheck fits
        result = run(build(False), seconds(), total)
        engine_status = "feasible" if result.best.is_feasible() else "infeasible"
    else:
        # Mandatory stops make PyVRP faster, but if they cannot all be served together it
        # would spend the whole budget on infeasible solutions: try them for half of it
        # (half the iterations, or half the time without a work budget), then go on from the
        # best solution for the rest unless the search has already converged.
        data = build(False)
        if total is None:
            result = run(data, seconds() / 2, None)
        else:
            result = run(data, seconds(), max(1, total // 2))
        if result.best.is_feasible():
            engine_status = "feasible"
            if total is None or stops_fired[-1] == "iterations":
                result = run(data, seconds(), left(), initial=result.best)
        else:
            stats["resolved_with_optional_stops"] = True
            result = run(build(True), seconds(), left())
            engine_status = "feasible (stops optional)" if result.best.is_feasible() else "infeasible"
    best = result.best
    stats["iterations"] = done[0]
    stats["stops_fired"] = list(stops_fired)
    stats["cap_hit"] = "time_cap" in stops_fired
    if not best.is_feasible():
        for s in cand:
            reasons.setdefault(s, "PyVRP found no feasible solution")
        return finish_solution(model, [], list(range(len(model.stops))), reasons, "pyvrp", engine_status,
                               t0, time_limit_s, seed, stats, False)
    routes, served = _extract_routes(model, best, cand, types)
    dropped = [s for s in range(len(model.stops)) if s not in served]
    return finish_solution(model, routes, dropped, reasons, "pyvrp", engine_status, t0, time_limit_s, seed,
                           stats, True)


def _warm_start(pyvrp, data, initial_solution: Solution | None, cand: list[int], types: list[int]):
    """``initial_solution`` as a PyVRP solution of ``data`` (its stops among the clients ``cand``, its
    vehicle types among ``types``), or None.

    At most ``num_available`` routes of a type are kept (the first ones, as the OR-Tools warm start
    does): a plan of another model (e.g. a diagnosis re-solve with one vehicle fewer of a type) may
    use more, which PyVRP refuses; the stops of a route left out are left to the search.  A route of several
    trips reloads at its type's reload depot (its last trips are merged when the type allows fewer reloads, all
    of them when it has none)."""
    if initial_solution is None or not initial_solution.routes:
        return None
    cidx = {s: k for k, s in enumerate(cand)}
    left = [data.vehicle_type(t).num_available for t in range(len(types))]
    routes = []
    for r in initial_solution.routes:
        if r.vehicle_type in types:
            t = types.index(r.vehicle_type)
            visits = [cidx[s] for s in r.stops if s in cidx]
            if visits and left[t] > 0:
                left[t] -= 1
                vt = data.vehicle_type(t)
                if r.reloads and list(vt.reload_depots):
                    A, T = pyvrp.Activity, pyvrp.ActivityType
                    depot = A(T.DEPOT, int(list(vt.reload_depots)[0]))
                    rel = set(r.reloads)
                    acts: list = []
                    n_rel = 0
                    for j, s in enumerate(r.stops):
                        # at most the type's reloads (a plan of another model may have more: trips merged)
                        if j in rel and acts and not acts[-1].is_depot() and n_rel < int(vt.max_reloads):
                            acts.append(depot)
                            n_rel += 1
                        if s in cidx:
                            acts.append(A(T.CLIENT, cidx[s]))
                    while acts and acts[-1].is_depot():
                        acts.pop()
                    routes.append(pyvrp.Route(data, acts, t))
                else:
                    routes.append(pyvrp.Route(data, visits, t))
    return pyvrp.Solution(data, routes)


def _extract_routes(model: Model, best, cand: list[int], types: list[int]) -> tuple[list[Route], set[int]]:
    """Our routes from PyVRP's best solution (departing as late as the schedule allows), and the stops served."""
    routes: list[Route] = []
    served: set[int] = set()
    rank: dict[int, int] = {}
    for r in best.routes():
        t_i = types[r.vehicle_type()]
        seq: list[int] = []
        rel: list[int] = []
        for a in r:
            if a.is_client():
                seq.append(cand[a.idx])
            elif a.is_depot() and a.idx >= len(model.depots):     # a reload depot: the next trip starts
                rel.append(len(seq))
        if not seq:
            continue
        rel = sorted({j for j in rel if 0 < j < len(seq)})       # no empty trip
        served.update(seq)
        dep = int(r.start_time()) if model.duration is not None else 0
        dep = latest_departure(model, t_i, seq, dep, rel)
        routes.append(make_route(model, t_i, seq, dep, rank.get(t_i, 0), reloads=rel))
        rank[t_i] = rank.get(t_i, 0) + 1
    return routes, served
