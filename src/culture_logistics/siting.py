"""Siting: which facilities become shared village service points, and where new ones go.

The coverage stage (:mod:`culture_logistics.coverage`) finds the *gap villages*: villages that are
not *reached* (some carrying operator has no facility, and no ``shared`` facility lies, within
``radius_m`` along the network).  Siting closes those gaps by sharing what exists.

Candidates
----------
* **existing** — every facility whose operator is not ``shared``.  Converting it makes it a shared
  point, which accepts every operator's parcels.  Cost ``[siting] convert_cost`` (CNY, default
  20,000); capacity ``capacity_per_day × [siting] delivery_days_per_week`` parcels/week (unlimited
  when the facility has no capacity).
* **new** — every village, as a new shared point in its cultural centre or committee office
  (``site_id`` = the village code).  Cost ``[siting] new_cost`` (CNY, default 80,000); capacity
  ``[siting] new_capacity_per_week`` parcels/week (default 300).

A chosen site *newly reaches* every gap village within ``radius_m`` of it along the network
(access leg + roads + access leg, see :mod:`culture_logistics.network`): being a shared point, it
reaches the village for every carrying operator, so the village becomes *reached*.  The candidate ×
village coverage is built sparsely with :meth:`RoadNetwork.pairs_within` (pairs within the radius
only), so a province fits in memory.

Models (all solved as MIPs with OR-Tools' bundled SCIP through ``pywraplp``; HiGHS selectable)
--------------------------------------------------------------------------------------------------
``mclp``      maximal covering: at most ``k`` sites and/or total cost ≤ ``budget`` (CNY); maximise
              the population newly reached.  Ties are broken lexicographically: among the sites
              reaching that population, the lowest population-weighted distance (person·m) from each
              newly reached village to its nearest chosen site.
``lscp``      set covering: the fewest sites (``minimize="count"``) or the cheapest
              (``minimize="cost"``) so that every gap village that *some* candidate reaches becomes
              reached; villages no candidate reaches are reported, never silently dropped.  Ties are
              broken lexicographically: fewest sites, then the cheapest of those (CNY), then the
              lowest weighted distance.  With ``budget`` (CNY) the cover must fit, else the error
              says what the cheapest cover costs.
``pmedian``   ``k`` sites (or a budget) minimising the population-weighted distance (person·m) from
              every gap village on the network to its nearest shared point — an existing ``shared``
              facility or a chosen site — with each distance capped at ``[siting] pmedian_cutoff_m``
              (default 3 × radius; villages with nothing within the cap count the cap).  Gap villages
              off the network are left out.
``capacitated=True``  each village is assigned to one chosen site, and a site serves at most its
              capacity (parcels/week) of the villages it newly serves; a village's demand is
              ``parcels_in_per_week + parcels_out_per_week``.  A village counts as newly reached
              only when assigned.  (Capacity bounds the added load only; the site's current
              traffic is not modelled.)

Every result states ``optimal`` (proved, with a relative MIP gap tolerance of 0) or the relative gap
to the proven bound; ``time_limit_s`` bounds the solver's time.

Exact reductions before the uncapacitated covering solves: candidates reaching nothing are dropped;
a candidate *dominated* by another (reaching a superset of its gap villages at no higher cost; ties
by index) is dropped — this removes the symmetry of co-located sites such as a village's own new
point and a station in that village; villages with the same candidate set share one variable (MCLP)
or one row (LSCP).  The lexicographic tie-break stages use every candidate again.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import CultureLogisticsError, InfeasibleError, ProblemList, SolverError

MODELS = ("mclp", "lscp", "pmedian")
SOLVERS = {"scip": "SCIP", "highs": "HIGHS", "cbc": "CBC"}
DEFAULT_TIME_LIMIT_S = 60.0

SITES_COLUMNS = ["site_id", "name", "operator", "kind", "lon", "lat", "villages_newly_reached",
                 "population_newly_reached", "cost"]
ASSIGNMENT_COLUMNS = ["village_code", "village_name", "township_code", "township_name", "population",
                      "parcels_per_week", "site_id", "site_name", "distance_m", "newly_reached"]
GAPS_COLUMNS = ["village_code", "village_name", "township_code", "township_name", "population",
                "missing_operators", "reason"]


# ============================================================================ parameters


@dataclass(frozen=True)
class SitingParams:
    """The ``[siting]`` table of a scenario (every key has a default).

    Attributes
    ----------
    convert_cost : cost (CNY) of converting an existing facility into a shared point.
    new_cost : cost (CNY) of opening a new shared point in a village.
    new_capacity_per_week : capacity (parcels/week) of a new shared point.
    delivery_days_per_week : days a week an existing facility works; its weekly capacity is
        ``capacity_per_day`` × this.
    radius_m : network distance (m) within which a site reaches a village (default: ``[coverage]
        radius_m``).
    pmedian_cutoff_m : p-median distances are capped here (m); default 3 × ``radius_m``.
    candidates : ``"all"`` (existing and new), ``"existing"`` or ``"new"``.
    k, budget : default number of sites / budget (CNY) when the caller gives neither.
    time_limit_s : default solver time limit (s).
    """

    convert_cost: float = 20000.0
    new_cost: float = 80000.0
    new_capacity_per_week: float = 300.0
    delivery_days_per_week: float = 6.0
    radius_m: float | None = None
    pmedian_cutoff_m: float | None = None
    candidates: str = "all"
    k: int | None = None
    budget: float | None = None
    time_limit_s: float = DEFAULT_TIME_LIMIT_S

    @classmethod
    def from_scenario(cls, scenario) -> "SitingParams":
        """Read and check ``[siting]``; raise :class:`ScenarioError` listing every bad key."""
        table = scenario.section("siting")
        file = scenario.path or "scenario"
        problems = ProblemList()
        known = set(cls.__dataclass_fields__)
        for key in table:
            if key not in known:
                problems.warning(file, f"unknown key [siting] {key} is ignored", column=f"siting.{key}")
        values = {}
        for key, minimum in (("convert_cost", 0.0), ("new_cost", 0.0), ("new_capacity_per_week", 0.0),
                             ("delivery_days_per_week", 0.0), ("radius_m", 1.0), ("pmedian_cutoff_m", 1.0),
                             ("budget", 0.0), ("time_limit_s", 0.0)):
            if key not in table:
                continue
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v < minimum:
                problems.error(file, f"[siting] {key} must be a number ≥ {minimum:g}, got {v!r}",
                               column=f"siting.{key}")
            else:
                values[key] = float(v)
        if "k" in table:
            v = table["k"]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                problems.error(file, f"[siting] k must be a whole number ≥ 1, got {v!r}", column="siting.k")
            else:
                values["k"] = int(v)
        if "candidates" in table:
            v = table["candidates"]
            if v not in ("all", "existing", "new"):
                problems.error(file, f"[siting] candidates must be \"all\", \"existing\" or \"new\", got {v!r}",
                               column="siting.candidates")
            else:
                values["candidates"] = v
        problems.raise_if_errors()
        return cls(**values)


# ============================================================================ the sparse instance


@dataclass
class CoverInstance:
    """A location problem on a sparse candidate × client distance list.

    Clients are the villages to serve, candidates the possible sites.  Only pairs within
    ``cutoff_m`` are stored (a village is *reachable* by a candidate when its pair distance is
    ≤ ``radius_m``).

    Attributes
    ----------
    cand, client : int arrays, one entry per stored pair.
    dist_m : float array, network distance of each pair (m).
    n_candidates, n_clients : sizes.
    weight : per client, population (persons).
    cost : per candidate, cost (CNY).
    capacity : per candidate, parcels/week (``inf`` = unlimited).
    demand : per client, parcels/week.
    radius_m : coverage radius (m).
    baseline_m : per client, distance (m) to the nearest existing shared point, capped at the
        p-median cutoff (used by p-median only).
    """

    cand: np.ndarray
    client: np.ndarray
    dist_m: np.ndarray
    n_candidates: int
    n_clients: int
    weight: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray
    demand: np.ndarray
    radius_m: float
    baseline_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.cand = np.asarray(self.cand, dtype=np.int64)
        self.client = np.asarray(self.client, dtype=np.int64)
        self.dist_m = np.asarray(self.dist_m, dtype=float)
        self.weight = _per(self.weight, self.n_clients, 1.0)
        self.cost = _per(self.cost, self.n_candidates, 1.0)
        self.capacity = _per(self.capacity, self.n_candidates, np.inf)
        self.demand = _per(self.demand, self.n_clients, 0.0)

    @classmethod
    def from_pairs(cls, cand, client, dist_m, n_candidates: int, n_clients: int, radius_m: float,
                   weight=None, cost=None, capacity=None, demand=None, baseline_m=None) -> "CoverInstance":
        """Build from sparse pairs (e.g. the output of :meth:`RoadNetwork.pairs_within`)."""
        return cls(cand, client, dist_m, int(n_candidates), int(n_clients), np.asarray(weight if weight is not None
                   else np.ones(n_clients), float), cost, capacity, demand, float(radius_m), baseline_m)

    @classmethod
    def from_cost_matrix(cls, matrix, radius_m: float, weight=None, cost=None, capacity=None, demand=None,
                         cutoff_m: float | None = None, baseline_m=None) -> "CoverInstance":
        """Build from a dense client × candidate matrix (m), spopt's layout; ``inf`` = unreachable.

        Only entries ≤ ``cutoff_m`` (default ``radius_m``) are kept.
        """
        m = np.asarray(matrix, dtype=float)
        cut = radius_m if cutoff_m is None else cutoff_m
        j, i = np.nonzero(m <= cut)
        return cls.from_pairs(i, j, m[j, i], m.shape[1], m.shape[0], radius_m, weight, cost, capacity, demand,
                              baseline_m)

    def within(self, limit_m: float) -> np.ndarray:
        """Boolean mask of the pairs within ``limit_m``."""
        return self.dist_m <= limit_m

    def coverable(self) -> np.ndarray:
        """Per client: True when at least one candidate lies within ``radius_m``."""
        out = np.zeros(self.n_clients, bool)
        out[self.client[self.within(self.radius_m)]] = True
        return out


def _per(values, n, default) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=float)
    a = np.asarray(values, dtype=float)
    if a.shape != (n,):
        raise CultureLogisticsError(f"expected {n} values, got shape {a.shape}")
    return a


# ============================================================================ solutions


@dataclass
class ModelSolution:
    """What a location model returns, in the instance's indices.

    Attributes
    ----------
    model : ``mclp``, ``lscp`` or ``pmedian`` (``+cap`` when capacitated).
    open : bool per candidate: chosen.
    assign : per client, the candidate serving it (-1 = none); ``assign_dist_m`` its distance (m).
    objective, bound : the primary objective and the solver's proven bound on it.  Units: persons
        (mclp), sites or CNY (lscp), person·m (pmedian).
    optimal : True when the primary objective is proved optimal; ``gap`` = |bound − objective| /
        |objective| otherwise.
    status : the solver's status name.  build_seconds / solve_seconds : wall-clock (s).
    tie_break : the secondary (weighted-distance) stage: objective (person·m), bound, optimal.
    """

    model: str
    open: np.ndarray
    assign: np.ndarray
    assign_dist_m: np.ndarray
    objective: float
    bound: float
    optimal: bool
    gap: float
    status: str
    build_seconds: float
    solve_seconds: float
    solver: str
    tie_break: dict | None = None
    stats: dict = field(default_factory=dict)


class _Mip:
    """A thin wrapper over a pywraplp solver: single-threaded, exact gap, a time limit."""

    def __init__(self, solver: str, time_limit_s: float):
        from ortools.linear_solver import pywraplp

        key = solver.lower()
        if key not in SOLVERS:
            raise CultureLogisticsError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
        self.name = key
        self.s = pywraplp.Solver.CreateSolver(SOLVERS[key])
        if self.s is None:
            raise SolverError(f"OR-Tools was built without the {SOLVERS[key]} solver; use --solver scip")
        if key != "highs":  # HiGHS' MIP search is single-threaded; setting threads prints its banner
            self.s.SetNumThreads(1)
        self.time_limit_s = float(time_limit_s)
        self.inf = self.s.infinity()
        self.pw = pywraplp

    def solve(self, time_limit_s: float, gap: float = 0.0):
        pw = self.pw
        self.s.SetTimeLimit(max(1, int(round(time_limit_s * 1000))))
        prm = pw.MPSolverParameters()
        prm.SetDoubleParam(pw.MPSolverParameters.RELATIVE_MIP_GAP, gap)
        t0 = time.perf_counter()
        status = self.s.Solve(prm)
        secs = time.perf_counter() - t0
        names = {pw.Solver.OPTIMAL: "optimal", pw.Solver.FEASIBLE: "feasible", pw.Solver.INFEASIBLE: "infeasible",
                 pw.Solver.UNBOUNDED: "unbounded", pw.Solver.ABNORMAL: "abnormal",
                 pw.Solver.NOT_SOLVED: "not_solved"}
        name = names.get(status, str(status))
        has = status in (pw.Solver.OPTIMAL, pw.Solver.FEASIBLE)
        obj = self.s.Objective().Value() if has else float("nan")
        try:
            bound = self.s.Objective().BestBound() if has else float("nan")
        except Exception:  # pragma: no cover - solvers without a bound
            bound = float("nan")
        return name, has, obj, bound, secs


def _rel_gap(obj: float, bound: float) -> float:
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return float("inf")
    diff = abs(bound - obj)
    if diff <= 1e-9 * max(1.0, abs(obj)):
        return 0.0
    return diff / max(abs(obj), 1e-9)


def _is_optimal(status: str, obj: float, bound: float, integral: bool, sense: str) -> bool:
    if status == "optimal":
        return True
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return False
    if integral:  # an integer objective: the bound rounds to it
        return (math.floor(bound + 1e-6) <= obj + 1e-6) if sense == "max" else (math.ceil(bound - 1e-6) >= obj - 1e-6)
    return _rel_gap(obj, bound) == 0.0


def _group_by_client(inst: CoverInstance, mask: np.ndarray):
    """Pairs under ``mask`` sorted by client: (order, starts) so that client j's pairs are order[starts[j]:starts[j+1]]."""
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((inst.dist_m[idx], inst.client[idx]))]
    counts = np.bincount(inst.client[order], minlength=inst.n_clients)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return order, starts


def _nearest_open(inst: CoverInstance, open_: np.ndarray, limit_m: float):
    """Per client: the nearest open candidate within ``limit_m`` (ties: lower index) and its distance."""
    m = inst.within(limit_m) & open_[inst.cand]
    idx = np.flatnonzero(m)
    a = np.full(inst.n_clients, -1, dtype=np.int64)
    d = np.full(inst.n_clients, np.inf)
    if len(idx):
        order = idx[np.lexsort((inst.cand[idx], inst.dist_m[idx], inst.client[idx]))]
        first = np.ones(len(order), bool)
        first[1:] = inst.client[order[1:]] != inst.client[order[:-1]]
        o = order[first]
        a[inst.client[o]] = inst.cand[o]
        d[inst.client[o]] = inst.dist_m[o]
    return a, d


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


def _add_limits(mip: _Mip, x: dict, inst: CoverInstance, k, budget) -> None:
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
    before the reduction, the :class:`_Mip` and ``{candidate: BoolVar}``.
    """
    n_useful = len(np.unique(inst.cand[cover]))
    if not capacitated:
        cover = cover & ~_dominated(inst, cover)[inst.cand]
    useful = np.zeros(inst.n_candidates, bool)
    useful[inst.cand[cover]] = True
    mip = _Mip(solver, time_limit_s)
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
    order, starts = _group_by_client(inst, cover)
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
    optimal = _is_optimal(status, val, bound, _integral(inst.weight), "max")
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
    order, starts = _group_by_client(inst, cover)
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
    optimal = _is_optimal(status, val, bound, integral, "min")
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
    mip = _Mip(solver, time_limit_s)
    s = mip.s
    x = {int(i): s.BoolVar(f"x{i}") for i in np.flatnonzero(useful)}
    obj = s.Objective()
    order, starts = _group_by_client(inst, keep)
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
        a, d = _nearest_open(inst, open_, np.inf)
        better = d < base
        y_assign = (np.where(better, a, -1), np.where(better, d, np.inf))
    else:
        y_assign = _assignment_from_y(inst, y)
    sol = ModelSolution("pmedian" + ("+cap" if capacitated else ""), open_, y_assign[0], y_assign[1],
                        total - val, total - bound, False, 0.0, status, build, secs, mip.name)
    sol.optimal = _is_optimal(status, sol.objective, sol.bound, False, "min")
    sol.gap = 0.0 if sol.optimal else _rel_gap(sol.objective, sol.bound)
    sol.stats = {"variables": s.NumVariables(), "constraints": s.NumConstraints(), "candidates_useful": len(x),
                 "baseline_person_m": total}
    return sol


def _capacitated_assignment(mip: _Mip, x, inst, order, starts, equal: bool, objective):
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


def _capacity_rows(mip: _Mip, x, inst: CoverInstance, y: dict) -> None:
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
        a, d = _nearest_open(inst, open_, inst.radius_m)
    gap = 0.0 if optimal else _rel_gap(val, bound)
    return ModelSolution(model, open_, a, d, float(val), float(bound), bool(optimal), gap, status, build, secs, solver)


def _no_solution(status: str, time_limit_s: float, what: str):
    if status == "infeasible":
        raise InfeasibleError(f"the {what} model has no solution with these parameters")
    raise SolverError(f"the solver found no {what} solution within the time limit of {time_limit_s:g} s "
                      f"(status {status}); raise --time-limit")


def _weighted_distance(inst: CoverInstance, d: np.ndarray) -> float:
    return float((inst.weight * np.where(np.isfinite(d), d, 0.0)).sum())


def _tie_break(sol: ModelSolution, inst: CoverInstance, k, budget, solver: str, time_limit_s: float,
               fixes: list, objective: str) -> None:
    """A lexicographic stage: keep the earlier objectives at their optima (``fixes``), minimise ``objective``.

    ``fixes`` holds ``("weight", v)`` (weight reached ≥ v), ``("count", v)`` (sites ≤ v) or
    ``("cost", v)`` (CNY ≤ v).  ``objective`` is ``"distance"`` (weight·m from each reached client to
    its nearest chosen site) or ``"cost"`` (CNY, covering every coverable client).  The stage starts
    from ``sol.open``; ``sol`` is updated when the stage ends no worse.  Appends to ``sol.tie_break``.
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
    mip = _Mip(solver, time_limit_s)
    s = mip.s
    x = {int(i): s.BoolVar(f"x{i}") for i in np.flatnonzero(useful)}
    order, starts = _group_by_client(inst, cover)
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
        a, d = _nearest_open(inst, open_, inst.radius_m)
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
                     optimal=_is_optimal(status, val, bound, objective == "cost" and _integral(inst.cost), "min"))
    else:
        stage.update(objective=old, bound=None, optimal=False)
    tb["stages"].append(stage)
    tb["weighted_distance_person_m"] = _weighted_distance(inst, sol.assign_dist_m)
    return bool(stage["optimal"])


# ============================================================================ the county layer


@dataclass
class SitingResult:
    """The chosen shared village service points of one county, mapped back to the caller's rows.

    Attributes
    ----------
    sites : GeoDataFrame (EPSG:4326) of the chosen sites, ``SITES_COLUMNS`` plus ``tier``,
        ``capacity_per_week`` (parcels/week, NaN = unlimited), ``load_per_week`` (parcels/week of the
        villages newly served).  Costs in CNY.
    assignment : GeoDataFrame of the gap villages served by a chosen site (``ASSIGNMENT_COLUMNS``);
        geometry = line from the site to the village.
    gaps_after : villages still not reached after siting, with the reason.
    candidates : every candidate (``site_id, name, operator, kind, tier, lon, lat, cost,
        capacity_per_week``) and whether it was ``chosen``.
    fac2cli / cli2fac : spopt-style mappings: site_id → [village codes], village code → site_id.
    solution : the :class:`ModelSolution` in instance indices.
    """

    scenario: object
    model: str
    k: int | None
    budget: float | None
    capacitated: bool
    params: SitingParams
    coverage: object
    candidates: pd.DataFrame
    sites: gpd.GeoDataFrame
    assignment: gpd.GeoDataFrame
    gaps_after: pd.DataFrame
    solution: ModelSolution
    before: dict
    after: dict
    unreachable: pd.DataFrame
    timings: dict

    @property
    def fac2cli(self) -> dict[str, list[str]]:
        out = {sid: [] for sid in self.sites["site_id"]}
        for v, s in zip(self.assignment["village_code"], self.assignment["site_id"]):
            out.setdefault(s, []).append(v)
        return out

    @property
    def cli2fac(self) -> dict[str, str]:
        return dict(zip(self.assignment["village_code"], self.assignment["site_id"]))

    def summary(self) -> dict:
        sol = self.solution
        units = {"mclp": "persons newly reached", "pmedian": "person·m (capped distance to nearest shared point)",
                 "lscp": "sites" if sol.stats.get("minimize", "count") == "count" else "CNY"}
        return {
            "county": self.scenario.adcode,
            "county_name": self.scenario.name,
            "model": sol.model,
            "k": self.k,
            "budget": self.budget,
            "capacitated": self.capacitated,
            "radius_m": self.solution_radius,
            "objective": sol.objective,
            "objective_unit": units[self.model],
            "bound": sol.bound,
            "optimal": sol.optimal,
            "gap": sol.gap,
            "status": sol.status,
            "solver": sol.solver,
            "solve_seconds": round(sol.solve_seconds, 4),
            "build_seconds": round(sol.build_seconds, 4),
            "tie_break": sol.tie_break,
            "before": self.before,
            "after": self.after,
            "sites": int(len(self.sites)),
            "sites_existing": int((self.sites["kind"] == "existing").sum()),
            "sites_new": int((self.sites["kind"] == "new").sum()),
            "total_cost": float(self.sites["cost"].sum()),
            "cost_unit": "CNY",
            "candidates": {"existing": int((self.candidates["kind"] == "existing").sum()),
                           "new": int((self.candidates["kind"] == "new").sum())},
            "gap_villages": int(self.before["villages"] - self.before["villages_reached"]),
            "gap_villages_no_candidate": int(len(self.unreachable)),
            "gap_villages_no_candidate_codes": list(self.unreachable["village_code"]),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "synthetic_data": bool(getattr(self.scenario, "synthetic", False)),
        }

    @property
    def solution_radius(self) -> float:
        return float(self.params.radius_m)

    def sites_table(self) -> pd.DataFrame:
        """The ``sites.csv`` table (exact columns ``SITES_COLUMNS``)."""
        t = pd.DataFrame({c: self.sites[c].values for c in SITES_COLUMNS})
        return t

    def assignment_table(self) -> pd.DataFrame:
        t = pd.DataFrame({c: self.assignment[c].values for c in ASSIGNMENT_COLUMNS})
        t["newly_reached"] = np.where(t["newly_reached"].astype(bool), "true", "false")
        t["distance_m"] = t["distance_m"].round(0)
        return t


def build_candidates(scenario, params: SitingParams) -> pd.DataFrame:
    """Candidate sites of a scenario (existing non-shared facilities, then villages), with cost and capacity.

    Columns: site_id, name, operator (today's operator; ``shared`` for a new point), kind (existing|new),
    tier, lon, lat, cost (CNY), capacity_per_week (parcels/week, ``inf`` = unlimited).
    """
    frames = []
    if params.candidates in ("all", "existing"):
        f = scenario.facilities
        f = f[f["operator"] != "shared"]
        cap = f["capacity_per_day"].astype(float).to_numpy() * params.delivery_days_per_week
        frames.append(pd.DataFrame({
            "site_id": f["id"].astype(str).values, "name": f["name"].astype(str).values,
            "operator": f["operator"].values, "kind": "existing", "tier": f["tier"].values,
            "lon": f["lon"].astype(float).values, "lat": f["lat"].astype(float).values,
            "cost": params.convert_cost, "capacity_per_week": np.where(np.isnan(cap), np.inf, cap)}))
    if params.candidates in ("all", "new"):
        v = scenario.villages
        frames.append(pd.DataFrame({
            "site_id": v["code"].astype(str).values, "name": v["name"].astype(str).values,
            "operator": "shared", "kind": "new", "tier": "village",
            "lon": v["lon"].astype(float).values, "lat": v["lat"].astype(float).values,
            "cost": params.new_cost, "capacity_per_week": params.new_capacity_per_week}))
    if not frames:
        return pd.DataFrame(columns=["site_id", "name", "operator", "kind", "tier", "lon", "lat", "cost",
                                     "capacity_per_week"])
    return pd.concat(frames, ignore_index=True)


def solve_siting(scenario, model: str = "mclp", k: int | None = None, budget: float | None = None,
                 capacitated: bool = False, time_limit_s: float | None = None, minimize: str = "count",
                 coverage=None, params: SitingParams | None = None, solver: str = "scip",
                 tie_break: bool = True) -> SitingResult:
    """Choose the shared village service points that close a county's coverage gaps.

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.scenario.Scenario`.
    model : ``"mclp"``, ``"lscp"`` or ``"pmedian"`` (see the module docstring).
    k : at most this many sites (mclp, pmedian).
    budget : total cost at most this many CNY (mclp, pmedian; for lscp a cap on the cover's cost).
    capacitated : assign villages to sites within capacity (parcels/week).
    time_limit_s : solver time limit in seconds (default ``[siting] time_limit_s``, 60 s).
    minimize : lscp only: ``"count"`` (fewest sites) or ``"cost"`` (cheapest, CNY).
    coverage : a :class:`~culture_logistics.coverage.CoverageResult` (computed when omitted).
    params : siting parameters (default: read from ``[siting]``).
    solver : ``"scip"`` (default) or ``"highs"``, both bundled with OR-Tools.

    Returns
    -------
    SitingResult

    Raises
    ------
    CultureLogisticsError / InfeasibleError / SolverError
        for a bad K or model, a budget that buys nothing or cannot cover, or no solution in time.
    """
    from .coverage import compute_coverage

    if model not in MODELS:
        raise CultureLogisticsError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    params = params or SitingParams.from_scenario(scenario)
    if params.radius_m is None:
        params = _replace(params, radius_m=float(scenario.coverage.radius_m))
    if params.pmedian_cutoff_m is None:
        params = _replace(params, pmedian_cutoff_m=3.0 * params.radius_m)
    if k is None and budget is None and model != "lscp":
        k, budget = params.k, params.budget
    if model == "lscp" and k is not None:
        raise CultureLogisticsError("lscp finds the number of sites itself; --k applies to mclp and pmedian "
                                    "(use --budget to cap the cost of the cover)")
    time_limit_s = params.time_limit_s if time_limit_s is None else float(time_limit_s)
    if time_limit_s <= 0:
        raise CultureLogisticsError(f"the time limit must be > 0 s, got {time_limit_s}")
    timings = {}
    t0 = time.perf_counter()
    cov = coverage if coverage is not None else compute_coverage(scenario, radius_m=params.radius_m)
    timings["coverage"] = time.perf_counter() - t0
    net = cov.network
    cands = build_candidates(scenario, params)
    if not len(cands):
        raise CultureLogisticsError("there are no candidate sites: every facility is already shared and "
                                    "[siting] candidates excludes new village sites")
    v = cov.villages
    gap_idx = np.flatnonzero(~v["reached"].to_numpy(bool))
    gaps = v.iloc[gap_idx]
    vil = scenario.villages.set_index("code").loc[gaps["village_code"]]
    demand = (vil["parcels_in_per_week"].astype(float) + vil["parcels_out_per_week"].astype(float)).to_numpy()
    t1 = time.perf_counter()
    cutoff = params.pmedian_cutoff_m if model == "pmedian" else params.radius_m
    cs = net.snap(cands["lon"].to_numpy(), cands["lat"].to_numpy())
    gs = net.snap(gaps["lon"].to_numpy(float), gaps["lat"].to_numpy(float))
    pi, pj, pd_ = net.pairs_within(cs, gs, cutoff)
    timings["pairs"] = time.perf_counter() - t1
    baseline = None
    if model == "pmedian":
        dsh = gaps["dist_shared_m"].to_numpy(float)
        baseline = np.minimum(np.where(np.isfinite(dsh), dsh, np.inf), params.pmedian_cutoff_m)
    inst = CoverInstance.from_pairs(pi, pj, pd_, len(cands), len(gaps), params.radius_m,
                                    weight=gaps["population"].to_numpy(float), cost=cands["cost"].to_numpy(float),
                                    capacity=cands["capacity_per_week"].to_numpy(float), demand=demand,
                                    baseline_m=baseline)
    if model == "pmedian":
        on = gs.on_network
        inst.weight = np.where(on, inst.weight, 0.0)  # off-network gap villages are left out
    if model == "mclp":
        sol = solve_mclp(inst, k=k, budget=budget, capacitated=capacitated, time_limit_s=time_limit_s,
                         tie_break=tie_break, solver=solver)
    elif model == "lscp":
        sol = solve_lscp(inst, minimize=minimize, budget=budget, capacitated=capacitated,
                         time_limit_s=time_limit_s, tie_break=tie_break, solver=solver)
    else:
        sol = solve_pmedian(inst, k=k, budget=budget, capacitated=capacitated, time_limit_s=time_limit_s,
                            solver=solver)
    timings["build"] = sol.build_seconds
    timings["solve"] = sol.solve_seconds
    return _result(scenario, model, k, budget, capacitated, params, cov, cands, gaps, demand, inst, sol, gs,
                   timings)


def _replace(p: SitingParams, **kw) -> SitingParams:
    from dataclasses import replace

    return replace(p, **kw)


def _result(scenario, model, k, budget, capacitated, params, cov, cands, gaps, demand, inst, sol, gs,
            timings) -> SitingResult:
    v = cov.villages
    radius = params.radius_m
    newly = (sol.assign >= 0) & (sol.assign_dist_m <= radius)
    served = sol.assign >= 0
    cands = cands.copy()
    cands["chosen"] = sol.open
    # sites
    chosen = np.flatnonzero(sol.open)
    pop = gaps["population"].to_numpy(float)
    rows = []
    for i in chosen:
        mine = served & (sol.assign == i)
        mine_new = mine & newly
        rows.append({
            **{c: cands.at[i, c] for c in ("site_id", "name", "operator", "kind", "tier", "lon", "lat")},
            "villages_newly_reached": int(mine_new.sum()),
            "population_newly_reached": int(pop[mine_new].sum()),
            "cost": float(cands.at[i, "cost"]),
            "capacity_per_week": (float(cands.at[i, "capacity_per_week"])
                                  if math.isfinite(cands.at[i, "capacity_per_week"]) else float("nan")),
            "load_per_week": float(demand[mine].sum()),
        })
    cols = SITES_COLUMNS + ["tier", "capacity_per_week", "load_per_week"]
    st = pd.DataFrame(rows, columns=cols)
    st = st.sort_values(["population_newly_reached", "site_id"], ascending=[False, True], kind="stable")
    from shapely.geometry import Point

    sites = gpd.GeoDataFrame(st.reset_index(drop=True),
                             geometry=[Point(x, y) for x, y in zip(st["lon"], st["lat"])], crs="EPSG:4326")
    # assignment
    jj = np.flatnonzero(served)
    a = sol.assign[jj]
    asg = pd.DataFrame({
        "village_code": gaps["village_code"].to_numpy()[jj], "village_name": gaps["village_name"].to_numpy()[jj],
        "township_code": gaps["township_code"].to_numpy()[jj], "township_name": gaps["township_name"].to_numpy()[jj],
        "population": gaps["population"].to_numpy()[jj].astype(int), "parcels_per_week": demand[jj],
        "site_id": cands["site_id"].to_numpy()[a], "site_name": cands["name"].to_numpy()[a],
        "distance_m": sol.assign_dist_m[jj], "newly_reached": newly[jj],
    })
    asg = asg.sort_values(["site_id", "village_code"], kind="stable").reset_index(drop=True)
    asg_g = gpd.GeoDataFrame(asg, geometry=_lines_for(asg, cands, gaps), crs="EPSG:4326")
    # villages that stay gaps, with a reason
    coverable = inst.coverable()
    stay = ~newly
    reasons = np.where(~gs.on_network, "off the road network (access leg too long)",
                       np.where(~coverable, f"no candidate site within {radius:.0f} m",
                                np.where(served & ~newly, f"nearest chosen site beyond {radius:.0f} m",
                                         "not chosen (a better use of the K sites / budget)" if model != "lscp"
                                         else "no capacity left")))
    g_after = pd.DataFrame({
        "village_code": gaps["village_code"].to_numpy()[stay], "village_name": gaps["village_name"].to_numpy()[stay],
        "township_code": gaps["township_code"].to_numpy()[stay],
        "township_name": gaps["township_name"].to_numpy()[stay],
        "population": gaps["population"].to_numpy()[stay].astype(int),
        "missing_operators": gaps["missing_operators"].to_numpy()[stay], "reason": reasons[stay]})
    unreach = pd.DataFrame({"village_code": gaps["village_code"].to_numpy()[~coverable],
                            "village_name": gaps["village_name"].to_numpy()[~coverable],
                            "reason": reasons[~coverable]})
    before = {"villages": int(len(v)), "villages_reached": int(v["reached"].sum()),
              "population": int(v["population"].sum()),
              "population_reached": int(v.loc[v["reached"], "population"].sum())}
    after = dict(before)
    after["villages_reached"] = before["villages_reached"] + int(newly.sum())
    after["population_reached"] = before["population_reached"] + int(pop[newly].sum())
    for d in (before, after):
        d["reach_rate"] = round(d["villages_reached"] / d["villages"], 4) if d["villages"] else 0.0
        d["population_reach_rate"] = round(d["population_reached"] / d["population"], 4) if d["population"] else 0.0
    return SitingResult(scenario, model, k, budget, capacitated, params, cov, cands, sites, asg_g, g_after, sol,
                        before, after, unreach, timings)


def _lines_for(asg: pd.DataFrame, cands: pd.DataFrame, gaps: pd.DataFrame):
    from shapely.geometry import LineString

    site_ll = dict(zip(cands["site_id"], zip(cands["lon"], cands["lat"])))
    vil_ll = dict(zip(gaps["village_code"], zip(gaps["lon"].astype(float), gaps["lat"].astype(float))))
    return [LineString([site_ll[s], vil_ll[c]]) for s, c in zip(asg["site_id"], asg["village_code"])]


# ============================================================================ outputs


def write_siting(result: SitingResult, out_dir: str | Path, map_html: bool = True) -> dict[str, Path]:
    """Write sites.csv, assignment.csv, gaps_after.csv, summary.json and siting_map.html into ``out_dir``.

    Everything (tables, summary, the rendered page) is computed first; then each file is written
    atomically with :mod:`culture_logistics.outputs`, so a failure leaves no half-written file.
    """
    from .maps import render_map
    from .outputs import atomic_write_text, write_csv, write_json

    out_dir = Path(out_dir)
    sites = result.sites_table()
    asg = result.assignment_table()
    gaps = result.gaps_after
    summary = result.summary()
    page = render_map(siting_map(result)) if map_html else None
    paths = {
        "sites": write_csv(sites, out_dir / "sites.csv"),
        "assignment": write_csv(asg, out_dir / "assignment.csv"),
        "gaps_after": write_csv(gaps, out_dir / "gaps_after.csv"),
        "summary": write_json(summary, out_dir / "summary.json"),
    }
    if page is not None:
        paths["map"] = atomic_write_text(out_dir / "siting_map.html", page)
    return paths


NEWLY_COLOR = "#2563eb"   # blue: newly reached by a chosen site
CHOSEN_COLOR = "#facc15"  # yellow: chosen shared point


def siting_map(result: SitingResult, tiles: str = "osm", lang: str = "en"):
    """A folium map (built with :mod:`culture_logistics.maps`): before / after village layers, the
    chosen sites highlighted, and a line from each newly served village to its site.

    Text is passed to the helpers as plain text; they ``html.escape`` it.
    """
    from . import maps

    scn = result.scenario
    s = result.summary()
    v = result.coverage.villages
    title = f"{scn.name} ({scn.adcode}) — {result.model.upper()} siting"
    sub = (f"villages reached {s['before']['villages_reached']} → {s['after']['villages_reached']} of "
           f"{s['before']['villages']}; {s['sites']} sites, {s['total_cost']:,.0f} CNY; "
           + ("optimal (proved)" if s["optimal"] else f"gap to bound {s['gap']:.2%}"))
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)
    maps.add_boundary(m, scn)
    reached = v["reached"].to_numpy(bool)
    any_ = v["reached_any"].to_numpy(bool)
    asg = result.assignment
    newly_codes = set(asg.loc[asg["newly_reached"].astype(bool), "village_code"])
    newly = np.array([c in newly_codes for c in v["village_code"]], dtype=bool)
    site_of = dict(zip(asg["village_code"], asg["site_name"]))
    sc = maps.STATUS_COLORS
    styles = [{"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": sc["reached"], "fillOpacity": 0.9},
              {"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": sc["partial"], "fillOpacity": 0.9},
              {"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": sc["gap"], "fillOpacity": 0.9},
              {"radius": 6, "color": "#1e3a8a", "weight": 2, "fillColor": NEWLY_COLOR, "fillOpacity": 0.95}]
    status_before = np.where(reached, 0, np.where(any_, 1, 2))
    status_after = np.where(newly, 3, status_before)
    tips_b, tips_a = [], []
    for code, name, tw, popn, miss, nw in zip(v["village_code"], v["village_name"], v["township_name"],
                                             v["population"], v["missing_operators"], newly):
        base = f"{name} ({code}), {tw}, population {int(popn):,}"
        tips_b.append(base + (f"; missing: {miss}" if miss else "; reached"))
        tips_a.append(base + (f"; newly reached by {site_of.get(code, '')}" if nw
                              else (f"; still missing: {miss}" if miss else "; reached")))
    lon, lat = v["lon"].to_numpy(float), v["lat"].to_numpy(float)
    fb = maps.feature_group(m, f"Before: villages ({s['before']['villages_reached']} reached)", show=False)
    maps.add_points(fb, lon, lat, styles, status_before, tooltips=tips_b, kind="village:before")
    fa = maps.feature_group(m, f"After: villages ({s['after']['villages_reached']} reached)", show=True)
    maps.add_points(fa, lon, lat, styles, status_after, tooltips=tips_a, kind="village:after")
    fl = maps.feature_group(m, "Villages → their new shared point", show=True)
    maps.add_geojson(fl, list(asg.geometry), [{"color": NEWLY_COLOR, "weight": 2, "opacity": 0.8},
                                              {"color": "#9ca3af", "weight": 1.5, "opacity": 0.7, "dashArray": "4 4"}],
                     [0 if n else 1 for n in asg["newly_reached"].astype(bool)],
                     tooltips=[f"{a} → {b} ({d:.0f} m)" for a, b, d in zip(asg["village_name"], asg["site_name"],
                                                                          asg["distance_m"])], kind="siting:link")
    maps.add_facilities(m, scn.facilities, show=False)
    fs = maps.feature_group(m, f"Chosen shared points ({len(result.sites)})", show=True)
    sites = result.sites
    pops = [maps.popup_html(str(r.name), [("site_id", r.site_id), ("kind", r.kind), ("operator today", r.operator),
                                          ("villages newly reached", r.villages_newly_reached),
                                          ("population newly reached", f"{r.population_newly_reached:,}"),
                                          ("cost (CNY)", f"{r.cost:,.0f}"),
                                          ("load (parcels/week)", f"{r.load_per_week:,.0f}"),
                                          ("capacity (parcels/week)", "unlimited" if r.capacity_per_week
                                           != r.capacity_per_week else f"{r.capacity_per_week:,.0f}")])
            for r in sites.itertuples()]
    tips = [f"{r.name} [{r.site_id}] — {r.kind}, +{r.population_newly_reached:,} people" for r in sites.itertuples()]
    chosen_styles = [{"radius": 10, "color": "#111827", "weight": 3, "fillColor": CHOSEN_COLOR, "fillOpacity": 1.0},
                     {"radius": 10, "color": maps.OPERATOR_COLORS["shared"], "weight": 3, "fillColor": CHOSEN_COLOR,
                      "fillOpacity": 1.0}]
    maps.add_points(fs, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), chosen_styles,
                    [0 if k == "existing" else 1 for k in sites["kind"]], popups=pops, tooltips=tips,
                    kind="siting:site")
    notes = [f"Model {result.model}; objective {s['objective']:,.0f} {s['objective_unit']}; "
             f"radius {s['radius_m']:.0f} m along the network.",
             f"{s['gap_villages_no_candidate']} gap villages have no candidate site within reach."]
    if getattr(scn, "synthetic", False):
        notes.append("Synthetic data: coordinates, populations, facilities and roads are generated.")
    maps.add_legend(m, [
        ("Villages", [(maps.swatch_circle(sc["reached"]), "reached before"),
                      (maps.swatch_circle(NEWLY_COLOR), "newly reached"),
                      (maps.swatch_circle(sc["partial"]), "still a gap (some operators)"),
                      (maps.swatch_circle(sc["gap"]), "still a gap (no operator)")]),
        ("Sites", [(maps.swatch_circle(CHOSEN_COLOR, 7, "#111827", 3), "chosen: convert existing facility"),
                   (maps.swatch_circle(CHOSEN_COLOR, 7, maps.OPERATOR_COLORS["shared"], 3), "chosen: new village point"),
                   (maps.swatch_line(NEWLY_COLOR), "village → its site")]),
    ], notes=notes)
    return m


# ============================================================================ the demo stage


def demo_stage(scenario, out_dir: Path, time_limit_s: float | None, echo) -> dict:
    """``culture-logistics demo`` step: MCLP with a small K, and the LSCP size, for one county.

    Writes the MCLP outputs to ``out_dir/siting`` and the LSCP ones to ``out_dir/siting_lscp``;
    returns both summaries.
    """
    from .coverage import compute_coverage

    t0 = time.perf_counter()
    params = SitingParams.from_scenario(scenario)
    radius = params.radius_m or scenario.coverage.radius_m
    cov = compute_coverage(scenario, radius_m=radius)
    tl = time_limit_s or params.time_limit_s
    gaps = int((~cov.villages["reached"]).sum())
    if gaps == 0:
        echo("[siting] every village is already reached; nothing to site")
        return {"gap_villages": 0}
    k = params.k or 5
    mclp = solve_siting(scenario, "mclp", k=k, time_limit_s=tl, coverage=cov, params=params)
    write_siting(mclp, Path(out_dir) / "siting")
    lscp = solve_siting(scenario, "lscp", time_limit_s=tl, coverage=cov, params=params)
    write_siting(lscp, Path(out_dir) / "siting_lscp", map_html=False)
    a, b = mclp.summary(), lscp.summary()
    echo(f"[siting] {gaps} gap villages; MCLP K={k}: {a['before']['villages_reached']} → "
         f"{a['after']['villages_reached']} villages reached, +{int(a['objective']):,} people "
         f"({'optimal' if a['optimal'] else 'gap %.2f%%' % (100 * a['gap'])}, {a['solve_seconds']:.2f} s)")
    echo(f"         LSCP: {b['sites']} sites ({b['sites_existing']} converted, {b['sites_new']} new, "
         f"{b['total_cost']:,.0f} CNY) reach every reachable gap village "
         f"({'optimal' if b['optimal'] else 'gap %.2f%%' % (100 * b['gap'])}); "
         f"{b['gap_villages_no_candidate']} villages no candidate can reach")
    echo(f"         outputs in {Path(out_dir) / 'siting'} ({time.perf_counter() - t0:.1f} s)")
    return {"mclp": a, "lscp": b}
