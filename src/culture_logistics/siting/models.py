"""MCLP, LSCP and p-median models, solved with OR-Tools' MIP solvers, with exact reductions and tie-breaks.
"""
from __future__ import annotations

import math
import time

import numpy as np

from culture_logistics.config.siting import DEFAULT_TIME_LIMIT_S
from culture_logistics.errors import (
    CultureLogisticsError,
    InfeasibleError,
    SolverError,
)
from culture_logistics.siting.instance import (
    CoverInstance,
    Mip,
    ModelSolution,
    group_by_client,
    is_optimal,
    nearest_open,
    rel_gap,
)


def _check_k_budget(inst: CoverInstance, k, budget, model: str) -> None:
    if k is not None:
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise CultureLogisticsError(f"K must be a whole number ≥ 1, got {k!r}")
        if k > inst.n_candidates:
            raise CultureLogisticsError(
                f"K = {k} is larger than the number of candidate sites ({inst.n_candidates}); "
                f"choose K ≤ {inst.n_candidates}")
    if budget is not None:
        if not (budget == budget) or budget < 0:
            raise CultureLogisticsError(f"the budget must be a number ≥ 0 CNY, got {budget!r}")
        cheapest = float(inst.cost.min()) if inst.n_candidates else float("inf")
        if budget < cheapest:
            raise InfeasibleError(
                f"the budget of {budget:,.0f} CNY buys no site: the cheapest candidate costs {cheapest:,.0f} CNY; "
                f"raise the budget to at least {cheapest:,.0f}")
    if model in ("mclp", "pmedian") and k is None and budget is None:
        raise CultureLogisticsError(f"{model} needs a number of sites K (--k) or a budget in CNY (--budget)")


def _add_limits(mip: Mip, x: dict, inst: CoverInstance, k, budget) -> None:
    if k is not None:
        ct = mip.s.Constraint(-mip.inf, float(k), "k")
        for i, v in x.items():
            ct.SetCoefficient(v, 1.0)
    if budget is not None:
        ct = mip.s.Constraint(-mip.inf, float(budget), "budget")
        for i, v in x.items():
            ct.SetCoefficient(v, float(inst.cost[i]))


def _dominated(inst: CoverInstance, pair_mask: np.ndarray) -> np.ndarray:
    """Candidates that another candidate dominates: it reaches every client this one does, costs no
    more, and (for identical reach and cost) has a lower index.  Dropping them changes no optimum of
    the uncapacitated covering models (swap each for its dominator), and removes the symmetry of
    co-located sites (e.g. a village's own candidate point and a station in that village).
    """
    idx = np.flatnonzero(pair_mask)
    dom = np.zeros(inst.n_candidates, bool)
    if not len(idx):
        return dom
    o = idx[np.lexsort((inst.client[idx], inst.cand[idx]))]
    cand, cl = inst.cand[o], inst.client[o]
    cut = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1], True])
    col = {int(cand[a]): cl[a:b] for a, b in zip(cut[:-1], cut[1:])}
    o2 = idx[np.lexsort((inst.cand[idx], inst.client[idx]))]
    rc, rcl = inst.cand[o2], inst.client[o2]
    cut2 = np.flatnonzero(np.r_[True, rcl[1:] != rcl[:-1], True])
    rows = {int(rcl[a]): rc[a:b].tolist() for a, b in zip(cut2[:-1], cut2[1:])}
    rowlen = np.zeros(inst.n_clients, np.int64)
    for j, r in rows.items():
        rowlen[j] = len(r)
    cost = inst.cost
    sets: dict[int, set] = {}
    for i, ci in col.items():
        j = int(ci[np.argmin(rowlen[ci])])
        ni = len(ci)
        si = None
        for k in rows[j]:
            if k == i or cost[k] > cost[i]:
                continue
            ck = col[k]
            if len(ck) < ni:
                continue
            if len(ck) == ni:
                if (cost[k] < cost[i] or k < i) and np.array_equal(ck, ci):
                    dom[i] = True
                    break
                continue
            if si is None:
                si = set(ci.tolist())
            sk = sets.get(k)
            if sk is None:
                sk = sets[k] = set(ck.tolist())
            if si <= sk:
                dom[i] = True
                break
    return dom


def _covering_model(inst: CoverInstance, cover: np.ndarray, capacitated: bool, solver: str,
                    time_limit_s: float):
    """Shared start of the covering models: drop dominated candidates (uncapacitated only — exact
    there), and make one open/closed variable per candidate that still covers something.

    Returns the reduced ``cover`` mask over pairs, the number of candidates that covered anything
    before the reduction, the :class:`Mip` and ``{candidate: BoolVar}``.
    """
    n_useful = len(np.unique(inst.cand[cover]))
    if not capacitated:
        cover = cover & ~_dominated(inst, cover)[inst.cand]
    useful = np.zeros(inst.n_candidates, bool)
    useful[inst.cand[cover]] = True
    mip = Mip(solver, time_limit_s)
    x = {int(i): mip.s.BoolVar(f"x{i}") for i in np.flatnonzero(useful)}
    return cover, n_useful, mip, x


def solve_mclp(inst: CoverInstance, k: int | None = None, budget: float | None = None, capacitated: bool = False,
               time_limit_s: float = DEFAULT_TIME_LIMIT_S, tie_break: bool = True,
               solver: str = "scip") -> ModelSolution:
    """Maximal covering: at most ``k`` sites and/or cost ≤ ``budget`` (CNY); maximise the weight reached.

    Ties are broken by the lowest weighted distance (weight·m) from each reached client to its
    serving site (a second solve with the coverage fixed at its optimum) when ``tie_break``.
    ``time_limit_s`` (s) bounds both solves together.
    """
    _check_k_budget(inst, k, budget, "mclp")
    t_start = time.perf_counter()
    cover = inst.within(inst.radius_m) & (inst.weight[inst.client] > 0)
    cover, n_useful, mip, x = _covering_model(inst, cover, capacitated, solver, time_limit_s)
    s = mip.s
    obj = s.Objective()
    order, starts = group_by_client(inst, cover)
    y = {}
    groups = 0
    if not capacitated:
        merged: dict[bytes, list] = {}  # clients with the same candidates share one z
        for j in range(inst.n_clients):
            a, b = starts[j], starts[j + 1]
            if a == b:
                continue
            cs = np.sort(inst.cand[order[a:b]])
            key = cs.tobytes()
            if key in merged:
                merged[key][1] += float(inst.weight[j])
            else:
                merged[key] = [cs, float(inst.weight[j])]
        groups = len(merged)
        for cs, w in merged.values():
            if len(cs) == 1:  # reached exactly when its only candidate opens
                xi = x[int(cs[0])]
                obj.SetCoefficient(xi, obj.GetCoefficient(xi) + w)
                continue
            z = s.NumVar(0.0, 1.0, "")
            obj.SetCoefficient(z, w)
            ct = s.Constraint(-mip.inf, 0.0)
            ct.SetCoefficient(z, 1.0)
            for i in cs:
                ct.SetCoefficient(x[int(i)], -1.0)
    else:
        y = _capacitated_assignment(mip, x, inst, order, starts, equal=False, objective=obj)
    _add_limits(mip, x, inst, k, budget)
    obj.SetMaximization()
    build = time.perf_counter() - t_start
    status, has, val, bound, secs = mip.solve(time_limit_s)
    if not has:
        _no_solution(status, time_limit_s, "maximal covering")
    open_ = _open_from(x, inst)
    optimal = is_optimal(status, val, bound, _integral(inst.weight), "max")
    sol = _finish(inst, "mclp" + ("+cap" if capacitated else ""), open_, y, val, bound, optimal, status, build,
                  secs, mip.name)
    sol.stats = {"variables": s.NumVariables(), "constraints": s.NumConstraints(), "candidates_useful": n_useful,
                 "candidates_undominated": len(x), "client_groups": groups}
    if tie_break and optimal and not capacitated:
        remaining = time_limit_s - (time.perf_counter() - t_start)
        _tie_break(sol, inst, k, budget, solver, remaining, [("weight", val)], "distance")
    return sol


def solve_lscp(inst: CoverInstance, minimize: str = "count", budget: float | None = None, capacitated: bool = False,
               time_limit_s: float = DEFAULT_TIME_LIMIT_S, tie_break: bool = True,
               solver: str = "scip") -> ModelSolution:
    """Set covering: the fewest (``minimize="count"``) or cheapest (``"cost"``, CNY) sites reaching every coverable client.

    Clients no candidate reaches within the radius are left out (see :meth:`CoverInstance.coverable`).
    With ``budget`` (CNY) the cover must cost at most that, else :class:`InfeasibleError` says what
    the cheapest cover costs.  Ties are broken (when ``tie_break``) lexicographically: for
    ``"count"`` by the lowest cost, then the lowest weighted distance; for ``"cost"`` by the distance.
    """
    if minimize not in ("count", "cost"):
        raise CultureLogisticsError(f"minimize must be 'count' or 'cost', got {minimize!r}")
    if budget is not None and (not (budget == budget) or budget < 0):
        raise CultureLogisticsError(f"the budget must be a number ≥ 0 CNY, got {budget!r}")
    t_start = time.perf_counter()
    cover = inst.within(inst.radius_m)
    cover, n_useful, mip, x = _covering_model(inst, cover, capacitated, solver, time_limit_s)
    s = mip.s
    obj = s.Objective()
    for i, v in x.items():
        obj.SetCoefficient(v, 1.0 if minimize == "count" else float(inst.cost[i]))
    order, starts = group_by_client(inst, cover)
    y = {}
    if not capacitated:
        seen = set()
        for j in range(inst.n_clients):
            a, b = starts[j], starts[j + 1]
            if a == b:
                continue
            cs = np.sort(inst.cand[order[a:b]])
            key = cs.tobytes()
            if key in seen:  # same candidate set as an earlier client: same row
                continue
            seen.add(key)
            ct = s.Constraint(1.0, mip.inf)
            for i in cs:
                ct.SetCoefficient(x[int(i)], 1.0)
    else:
        y = _capacitated_assignment(mip, x, inst, order, starts, equal=True, objective=None)
    if budget is not None:
        _add_limits(mip, x, inst, None, budget)
    obj.SetMinimization()
    build = time.perf_counter() - t_start
    status, has, val, bound, secs = mip.solve(time_limit_s)
    if status == "infeasible":
        if budget is not None:
            cheapest = solve_lscp(inst, minimize="cost", capacitated=capacitated, tie_break=False, solver=solver,
                                  time_limit_s=max(1.0, time_limit_s - (time.perf_counter() - t_start)))
            raise InfeasibleError(
                f"no cover fits the budget of {budget:,.0f} CNY: reaching every reachable gap village costs "
                f"{'at least ' if cheapest.optimal else 'about '}{cheapest.objective:,.0f} CNY "
                f"({int(cheapest.open.sum())} sites); raise the budget, or use mclp with this budget")
        raise InfeasibleError(
            "no set of sites serves every reachable gap village within the sites' capacities; "
            "raise [siting] new_capacity_per_week / facility capacities, or solve uncapacitated")
    if not has:
        _no_solution(status, time_limit_s, "set covering")
    open_ = _open_from(x, inst)
    integral = minimize == "count" or _integral(inst.cost)
    optimal = is_optimal(status, val, bound, integral, "min")
    sol = _finish(inst, "lscp" + ("+cap" if capacitated else ""), open_, y, val, bound, optimal, status, build,
                  secs, mip.name)
    sol.stats = {"variables": s.NumVariables(), "constraints": s.NumConstraints(), "candidates_useful": n_useful,
                 "candidates_undominated": len(x), "minimize": minimize}
    if tie_break and optimal and not capacitated:
        fixes = [(minimize, val)]
        if minimize == "count":  # fewest sites, then the cheapest of those, then the nearest
            done = _tie_break(sol, inst, None, budget, solver, time_limit_s - (time.perf_counter() - t_start),
                              fixes, "cost")
            if done:
                fixes.append(("cost", float(inst.cost[sol.open].sum())))
        if len(fixes) == 2 or minimize == "cost":
            _tie_break(sol, inst, None, budget, solver, time_limit_s - (time.perf_counter() - t_start), fixes,
                       "distance")
    return sol


def solve_pmedian(inst: CoverInstance, k: int | None = None, budget: float | None = None, capacitated: bool = False,
                  time_limit_s: float = DEFAULT_TIME_LIMIT_S, solver: str = "scip") -> ModelSolution:
    """p-median: ``k`` sites (and/or cost ≤ ``budget``) minimising the total weighted distance (weight·m).

    Each client's distance is to its nearest open candidate or its ``baseline_m`` (the nearest
    existing shared point, already capped at the cutoff), whichever is shorter; pairs beyond the
    cutoff are not stored, so every distance is at most the baseline.  Written as savings against
    the baseline: ``objective = Σ w·baseline − max Σ w·(baseline − d)·y``.
    """
    _check_k_budget(inst, k, budget, "pmedian")
    if inst.baseline_m is None:
        raise CultureLogisticsError("p-median needs baseline_m (the capped distance to the nearest shared point)")
    t_start = time.perf_counter()
    base = np.asarray(inst.baseline_m, float)
    saving = (base[inst.client] - inst.dist_m) * inst.weight[inst.client]
    keep = (base[inst.client] > inst.dist_m) & (inst.weight[inst.client] > 0)
    useful = np.zeros(inst.n_candidates, bool)
    useful[inst.cand[keep]] = True
    mip = Mip(solver, time_limit_s)
    s = mip.s
    x = {int(i): s.BoolVar(f"x{i}") for i in np.flatnonzero(useful)}
    obj = s.Objective()
    order, starts = group_by_client(inst, keep)
    y = {}
    for j in range(inst.n_clients):
        a, b = starts[j], starts[j + 1]
        if a == b:
            continue
        row = s.Constraint(-mip.inf, 1.0)
        for p in order[a:b]:
            i = int(inst.cand[p])
            v = s.BoolVar("") if capacitated else s.NumVar(0.0, 1.0, "")
            y[int(p)] = v
            row.SetCoefficient(v, 1.0)
            obj.SetCoefficient(v, float(saving[p]))
            link = s.Constraint(-mip.inf, 0.0)
            link.SetCoefficient(v, 1.0)
            link.SetCoefficient(x[i], -1.0)
    if capacitated:
        _capacity_rows(mip, x, inst, y)
    _add_limits(mip, x, inst, k, budget)
    obj.SetMaximization()
    build = time.perf_counter() - t_start
    status, has, val, bound, secs = mip.solve(time_limit_s)
    if not has:
        _no_solution(status, time_limit_s, "p-median")
    total = float((inst.weight * base).sum())
    open_ = _open_from(x, inst)
    if not capacitated:  # assignment: nearest open candidate when nearer than the baseline
        a, d = nearest_open(inst, open_, np.inf)
        better = d < base
        y_assign = (np.where(better, a, -1), np.where(better, d, np.inf))
    else:
        y_assign = _assignment_from_y(inst, y)
    sol = ModelSolution("pmedian" + ("+cap" if capacitated else ""), open_, y_assign[0], y_assign[1],
                        total - val, total - bound, False, 0.0, status, build, secs, mip.name)
    sol.optimal = is_optimal(status, sol.objective, sol.bound, False, "min")
    sol.gap = 0.0 if sol.optimal else rel_gap(sol.objective, sol.bound)
    sol.stats = {"variables": s.NumVariables(), "constraints": s.NumConstraints(), "candidates_useful": len(x),
                 "baseline_person_m": total}
    return sol


def _capacitated_assignment(mip: Mip, x, inst, order, starts, equal: bool, objective):
    """Single-source assignment y[pair] ≤ x, Σ_i y ≤ 1 (= 1 when ``equal``), capacity rows."""
    s = mip.s
    y = {}
    for j in range(inst.n_clients):
        a, b = starts[j], starts[j + 1]
        if a == b:
            continue
        row = s.Constraint(1.0 if equal else -mip.inf, 1.0)
        for p in order[a:b]:
            i = int(inst.cand[p])
            if inst.demand[j] > inst.capacity[i]:
                continue  # this site could never take this village
            v = s.BoolVar("")
            y[int(p)] = v
            row.SetCoefficient(v, 1.0)
            if objective is not None:
                objective.SetCoefficient(v, float(inst.weight[j]))
            link = s.Constraint(-mip.inf, 0.0)
            link.SetCoefficient(v, 1.0)
            link.SetCoefficient(x[i], -1.0)
    _capacity_rows(mip, x, inst, y)
    return y


def _capacity_rows(mip: Mip, x, inst: CoverInstance, y: dict) -> None:
    by_site: dict[int, list] = {}
    for p, v in y.items():
        by_site.setdefault(int(inst.cand[p]), []).append((p, v))
    for i, items in by_site.items():
        cap = inst.capacity[i]
        if not math.isfinite(cap):
            continue
        ct = mip.s.Constraint(-mip.inf, 0.0)
        for p, v in items:
            ct.SetCoefficient(v, float(inst.demand[inst.client[p]]))
        ct.SetCoefficient(x[i], -float(cap))


def _open_from(x: dict, inst: CoverInstance) -> np.ndarray:
    open_ = np.zeros(inst.n_candidates, bool)
    for i, v in x.items():
        open_[i] = v.solution_value() > 0.5
    return open_


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - np.round(a)) < 1e-9))


def _assignment_from_y(inst: CoverInstance, y: dict):
    a = np.full(inst.n_clients, -1, dtype=np.int64)
    d = np.full(inst.n_clients, np.inf)
    for p, v in y.items():
        if v.solution_value() > 0.5:
            j = inst.client[p]
            a[j] = inst.cand[p]
            d[j] = inst.dist_m[p]
    return a, d


def _finish(inst, model, open_, y, val, bound, optimal, status, build, secs, solver) -> ModelSolution:
    if y:
        a, d = _assignment_from_y(inst, y)
    else:
        a, d = nearest_open(inst, open_, inst.radius_m)
    gap = 0.0 if optimal else rel_gap(val, bound)
    return ModelSolution(model, open_, a, d, float(val), float(bound), bool(optimal), gap, status, build, secs, solver)


def _no_solution(status: str, time_limit_s: float, what: str):
    if status == "infeasible":
        raise InfeasibleError(f"the {what} model has no solution with these parameters")
    raise SolverError(f"the solver found no {what} solution within the time limit of {time_limit_s:g} s "
                      f"(status {status}); raise --time-limit")


def _weighted_distance(inst: CoverInstance, d: np.ndarray) -> float:
    return float((inst.weight * np.where(np.isfinite(d), d, 0.0)).sum())


def _tie_break(sol: ModelSolution, inst: CoverInstance, k, budget, solver: str, time_limit_s: float,
               fixes: list, objective: str) -> bool:
    """A lexicographic stage: keep the earlier objectives at their optima (``fixes``), minimise ``objective``.

    ``fixes`` holds ``("weight", v)`` (weight reached ≥ v), ``("count", v)`` (sites ≤ v) or
    ``("cost", v)`` (CNY ≤ v).  ``objective`` is ``"distance"`` (weight·m from each reached client to
    its nearest chosen site) or ``"cost"`` (CNY, covering every coverable client).  The stage starts
    from ``sol.open``; ``sol`` is updated when the stage ends no worse.  Appends to ``sol.tie_break``.

    The lexicographic stages (fix the primary objective, then optimise the
    secondary) share one model and its bound; splitting them would rebuild the model per stage.
    """
    tb = sol.tie_break if sol.tie_break is not None else {"stages": []}
    sol.tie_break = tb
    if time_limit_s <= 0.05:
        tb["stages"].append({"objective_name": objective, "skipped": "no time left", "optimal": False})
        return False
    t0 = time.perf_counter()
    cover = inst.within(inst.radius_m)
    useful = np.zeros(inst.n_candidates, bool)
    useful[inst.cand[cover]] = True
    mip = Mip(solver, time_limit_s)
    s = mip.s
    x = {int(i): s.BoolVar(f"x{i}") for i in np.flatnonzero(useful)}
    order, starts = group_by_client(inst, cover)
    obj = s.Objective()
    keep_weight = None
    for what, value in fixes:
        if what == "weight":
            # y is continuous here: no integer slack, or the solver would shave fractions off far villages
            keep_weight = s.Constraint(value - 1e-7 * max(1.0, abs(value)), mip.inf)
        else:
            slack = 0.5 if (what == "count" or _integral(inst.cost)) else 1e-9 * abs(value)
            ct = s.Constraint(-mip.inf, value + slack)
            for i, v in x.items():
                ct.SetCoefficient(v, 1.0 if what == "count" else float(inst.cost[i]))
    cover_all = keep_weight is None  # lscp: every coverable client stays reached
    if objective == "cost":
        for i, v in x.items():
            obj.SetCoefficient(v, float(inst.cost[i]))
        seen = set()
        for j in range(inst.n_clients):
            a, b = starts[j], starts[j + 1]
            key = inst.cand[order[a:b]].tobytes()
            if a == b or key in seen:
                continue
            seen.add(key)
            row = s.Constraint(1.0, mip.inf)
            for p in order[a:b]:
                row.SetCoefficient(x[int(inst.cand[p])], 1.0)
    else:
        for j in range(inst.n_clients):
            a, b = starts[j], starts[j + 1]
            if a == b:
                continue
            row = s.Constraint(1.0 if cover_all else -mip.inf, 1.0)
            for p in order[a:b]:
                v = s.NumVar(0.0, 1.0, "")
                row.SetCoefficient(v, 1.0)
                obj.SetCoefficient(v, float(inst.weight[j] * inst.dist_m[p]))
                if keep_weight is not None:
                    keep_weight.SetCoefficient(v, float(inst.weight[j]))
                link = s.Constraint(-mip.inf, 0.0)
                link.SetCoefficient(v, 1.0)
                link.SetCoefficient(x[int(inst.cand[p])], -1.0)
    _add_limits(mip, x, inst, k, budget)
    obj.SetMinimization()
    s.SetHint(list(x.values()), [1.0 if sol.open[i] else 0.0 for i in x])  # warm start
    status, has, val, bound, secs = mip.solve(time_limit_s)
    sol.solve_seconds += secs
    sol.build_seconds += (time.perf_counter() - t0) - secs

    def measure(open_):
        a, d = nearest_open(inst, open_, inst.radius_m)
        return (float(inst.cost[open_].sum()) if objective == "cost" else _weighted_distance(inst, d)), a, d

    old, _, _ = measure(sol.open)
    stage = {"objective_name": "cost_cny" if objective == "cost" else "weighted_distance_person_m",
             "status": status, "seconds": round(secs, 4)}
    if has:
        open_ = _open_from(x, inst)
        new, a, d = measure(open_)
        if new <= old + 1e-6:
            sol.open, sol.assign, sol.assign_dist_m = open_, a, d
        else:  # pragma: no cover - the warm start makes this unlikely
            new = old
        stage.update(objective=new, bound=bound,
                     optimal=is_optimal(status, val, bound, objective == "cost" and _integral(inst.cost), "min"))
    else:
        stage.update(objective=old, bound=None, optimal=False)
    tb["stages"].append(stage)
    tb["weighted_distance_person_m"] = _weighted_distance(inst, sol.assign_dist_m)
    return bool(stage["optimal"])
