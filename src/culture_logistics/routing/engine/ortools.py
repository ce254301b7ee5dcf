"""The OR-Tools engine.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.constraint_solver import routing_heuristic_parameters_pb2 as hp

from culture_logistics.routing.engine.common import (
    ORTOOLS_DEFAULTS,
    cost_scale,
    finish_solution,
    precheck_stops,
    seed_order,
    unlimited_bound,
)
from culture_logistics.routing.engine.model import (
    INF_TIME,
    Model,
    Route,
    Solution,
    default_drop_penalty,
    depot_window,
    latest_departure,
    make_route,
    stop_window,
)

_GLS_ALIASES = {"GLS": "GUIDED_LOCAL_SEARCH", "SA": "SIMULATED_ANNEALING", "TABU": "TABU_SEARCH"}


def _ortools_params(first_solution: str | None, metaheuristic: str | None, n_nodes: int):

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

    return routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(_GLS_ALIASES.get(name, name))


def solve_ortools(model: Model, time_limit_s: float, seed: int, first_solution, metaheuristic,
                  iteration_limit, log, t0, _optional_all: bool = False,
                  initial_solution: Solution | None = None) -> Solution:
    """Solve ``model`` with OR-Tools' routing solver (its tuned local search), stopping on the work budget.

    OR-Tools' index manager and routing model stay referenced in this frame for the whole solve (an
    object collected early crashes the solver — see FIELD-NOTES); the steps below only borrow them:
    costs (:func:`_set_costs`), loads (:func:`_add_loads`), time (:func:`_add_time`), the search
    (:func:`_search`) and the translation back to our routes (:func:`_extract_routes`).
    """
    D = len(model.depots)
    reasons = precheck_stops(model)
    cand = seed_order([s for s in range(len(model.stops)) if s not in reasons], seed)
    veh_type: list[int] = []
    veh_rank: list[int] = []
    for i, vt in enumerate(model.vehicle_types):
        cnt = unlimited_bound(model, cand, vt) if vt.count is None else vt.count
        veh_type += [i] * cnt
        veh_rank += list(range(cnt))
    stats: dict = {"vehicles_instantiated": len(veh_type)}
    if not cand or not veh_type:
        return finish_solution(model, [], list(range(len(model.stops))), reasons, "ortools",
                               "nothing to route", t0, time_limit_s, seed, stats, True)
    V = len(veh_type)
    vts = [model.vehicle_types[i] for i in veh_type]
    used_depots = sorted({v.start_depot for v in vts} | {v.end for v in vts})
    dnode = {d: k for k, d in enumerate(used_depots)}
    nd = len(used_depots)
    node_loc = np.array(used_depots + [D + s for s in cand], dtype=np.int64)
    manager = pywrapcp.RoutingIndexManager(len(node_loc), V, [dnode[v.start_depot] for v in vts],
                                           [dnode[v.end] for v in vts])
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    lay = _Layout(model, cand, vts, nd, node_loc, used_depots)
    stats["cost_scale"] = _set_costs(routing, manager, lay, _optional_all)
    _add_loads(routing, solver, lay)
    _add_range(routing, lay)
    time_dim = _add_time(routing, manager, lay) if model.needs_time else None

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
    assignment = _search(routing, manager, params, lay, veh_type, initial_solution, remaining,
                         lambda: time_limit_s - (time.perf_counter() - t0) - reserve, stats)
    stats["search_s"] = time.perf_counter() - t_search
    stats["search_time_limit_s"] = max(10, int(remaining * 1000)) / 1000
    # the search stops on its solution limit (deterministic) unless the time limit binds first
    stats["cap_hit"] = not iteration_limit or stats["search_s"] >= 0.95 * stats["search_time_limit_s"]
    status = routing.status()
    status_name = {0: "ROUTING_NOT_SOLVED", 1: "ROUTING_SUCCESS",
                   2: "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED", 3: "ROUTING_FAIL",
                   4: "ROUTING_FAIL_TIMEOUT", 5: "ROUTING_INVALID", 6: "ROUTING_INFEASIBLE",
                   7: "ROUTING_OPTIMAL"}.get(status, str(status))
    if assignment is None:
        for s in cand:
            reasons.setdefault(s, f"OR-Tools found no solution ({status_name})")
        return finish_solution(model, [], list(range(len(model.stops))), reasons, "ortools", status_name,
                               t0, time_limit_s, seed, stats, False)
    routes, served = _extract_routes(routing, manager, assignment, time_dim, lay, veh_type, veh_rank)
    stats["objective_internal"] = assignment.ObjectiveValue()
    t_free = time.perf_counter()
    del assignment, routing, solver, manager, time_dim  # freeing the search memory takes measurable time
    stats["free_s"] = time.perf_counter() - t_free
    dropped = [s for s in range(len(model.stops)) if s not in served]
    return finish_solution(model, routes, dropped, reasons, "ortools", status_name, t0, time_limit_s, seed,
                           stats, True)


@dataclass
class _Layout:
    """How a model maps onto OR-Tools' nodes: the used depots first (``nd`` of them), then the candidate
    stops ``cand``; ``node_loc`` is each node's location in the model's matrices; ``vts`` one vehicle
    type per OR-Tools vehicle."""

    model: Model
    cand: list[int]
    vts: list
    nd: int
    node_loc: np.ndarray
    used_depots: list[int]


def _set_costs(routing, manager, lay: _Layout, optional_all: bool) -> int:
    """Arc costs, fixed costs and drop penalties (integers: costs × the returned scale)."""
    model, cand, vts, nd = lay.model, lay.cand, lay.vts, lay.nd
    N = len(lay.node_loc)
    sub = model.distance[np.ix_(lay.node_loc, lay.node_loc)]
    dpen = default_drop_penalty(model)
    pens = [dpen if model.stops[s].drop_penalty is None else float(model.stops[s].drop_penalty)
            for s in cand]
    scale = cost_scale([v.cost_per_m for v in vts] + [v.fixed_cost for v in vts])
    worst = max(max(pens), 1.0) * len(cand) + float(sub.max()) * N * max(v.cost_per_m for v in vts)
    while scale > 1 and worst * scale > 1e17:
        scale //= 10
    cost_eval: dict[int, int] = {}
    for v, vt in enumerate(vts):
        c = int(round(vt.cost_per_m * scale))
        if c not in cost_eval:
            cost_eval[c] = routing.RegisterTransitMatrix((sub * c).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_eval[c], v)
        if vt.fixed_cost:
            routing.SetFixedCostOfVehicle(int(round(vt.fixed_cost * scale)), v)
    mandatory = ORTOOLS_DEFAULTS["mandatory_default_stops"] and not optional_all
    for k, s in enumerate(cand):
        if mandatory and model.stops[s].drop_penalty is None:
            continue
        routing.AddDisjunction([manager.NodeToIndex(nd + k)], int(round(pens[k] * scale)))
    return scale


def _add_loads(routing, solver, lay: _Layout) -> None:
    """Loads: cumulative delivery (= load at departure), cumulative pickup, running load."""
    model, cand, nd = lay.model, lay.cand, lay.nd
    deliv = [0] * nd + [int(model.stops[s].delivery) for s in cand]
    pick = [0] * nd + [int(model.stops[s].pickup) for s in cand]
    caps = [int(v.capacity) for v in lay.vts]
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
        for v in range(len(lay.vts)):
            solver.Add(load.CumulVar(routing.Start(v)) == delivered.CumulVar(routing.End(v)))


def _add_range(routing, lay: _Layout) -> None:
    """The vehicles' ranges: a distance dimension whose capacity per vehicle is its max_distance_m (only when
    some vehicle type has one, so models without ranges are solved exactly as before)."""
    vts = lay.vts
    if all(v.max_distance_m is None for v in vts):
        return
    sub = lay.model.distance[np.ix_(lay.node_loc, lay.node_loc)]
    unlimited = int(sub.sum()) + 1
    caps = [unlimited if v.max_distance_m is None else int(v.max_distance_m) for v in vts]
    routing.AddDimensionWithVehicleCapacity(routing.RegisterTransitMatrix(sub.tolist()), 0, caps, True, "distance")


def _add_time(routing, manager, lay: _Layout):
    """The time dimension: travel + service times, stop windows, depot hours, shift limits; returns it."""
    model, cand, vts, nd, node_loc = lay.model, lay.cand, lay.vts, lay.nd, lay.node_loc
    N = len(node_loc)
    dsub = model.duration[np.ix_(node_loc, node_loc)]
    service = np.array([0] * nd + [int(model.stops[s].service_s) for s in cand], dtype=np.int64)
    lates = [l for s in cand for l in [stop_window(model.stops[s])[1]] if l < INF_TIME]
    lates += [l for d in lay.used_depots for l in [depot_window(model.depots[d])[1]] if l < INF_TIME]
    sf_max = max(v.speed_factor for v in vts)
    H = int(max(lates, default=0) + service.sum() + (N + 2) * (int(dsub.max()) * sf_max + 1))
    H = min(H, INF_TIME)
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
        e, l = stop_window(model.stops[s])
        time_dim.CumulVar(manager.NodeToIndex(nd + k)).SetRange(int(e), int(min(l, H)))
    for v, vt in enumerate(vts):
        e0, l0 = depot_window(model.depots[vt.start_depot])
        e1, l1 = depot_window(model.depots[vt.end])
        time_dim.CumulVar(routing.Start(v)).SetRange(int(min(e0, H)), int(min(l0, H)))
        time_dim.CumulVar(routing.End(v)).SetRange(int(min(e1, H)), int(min(l1, H)))
        if vt.max_shift_s is not None:
            time_dim.SetSpanUpperBoundForVehicle(int(vt.max_shift_s), v)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    return time_dim


def _search(routing, manager, params, lay: _Layout, veh_type: list[int], initial_solution: Solution | None,
            remaining: float, time_left: Callable[[], float], stats: dict):
    """Run the search: from ``initial_solution`` when given, else iterated local search (then polished
    with the LS metaheuristic) or the plain metaheuristic; the assignment, or None."""
    initial = None
    if initial_solution is not None and initial_solution.routes:
        node_of = {s: lay.nd + k for k, s in enumerate(lay.cand)}
        free: dict[int, list[int]] = {}
        for v, t in enumerate(veh_type):
            free.setdefault(t, []).append(v)
        per_vehicle: list[list[int]] = [[] for _ in range(len(veh_type))]
        for r in initial_solution.routes:
            if free.get(r.vehicle_type):
                v = free[r.vehicle_type].pop(0)
                per_vehicle[v] = [manager.NodeToIndex(node_of[s]) for s in r.stops if s in node_of]
        routing.CloseModelWithParameters(params)
        initial = routing.ReadAssignmentFromRoutes(per_vehicle, True)
        stats["warm_start"] = initial is not None
    if initial is not None:
        return routing.SolveFromAssignmentWithParameters(initial, params)
    if not params.use_iterated_local_search:
        return routing.SolveWithParameters(params)
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
        p2.time_limit.FromMilliseconds(max(10, int(time_left() * 1000)))
        polished = routing.SolveFromAssignmentWithParameters(assignment, p2)
        if polished is not None and polished.ObjectiveValue() <= assignment.ObjectiveValue():
            assignment = polished
    return assignment


def _extract_routes(routing, manager, assignment, time_dim, lay: _Layout, veh_type: list[int],
                    veh_rank: list[int]) -> tuple[list[Route], set[int]]:
    """Our routes from the assignment (departing as late as the schedule allows), and the stops served."""
    model, cand, nd = lay.model, lay.cand, lay.nd
    routes: list[Route] = []
    served: set[int] = set()
    for v in range(len(veh_type)):
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
            dep = latest_departure(model, veh_type[v], seq, dep)
        routes.append(make_route(model, veh_type[v], seq, dep, veh_rank[v]))
    return routes, served
