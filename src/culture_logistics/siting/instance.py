"""The covering instance (candidates x gap villages within reach) and the MIP wrapper.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from culture_logistics.config.siting import SOLVERS
from culture_logistics.errors import (
    CultureLogisticsError,
    SolverError,
)


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
                   weight=None, cost=None, capacity=None, demand=None, baseline_m=None) -> CoverInstance:
        """Build from sparse pairs (e.g. the output of :meth:`RoadNetwork.pairs_within`)."""
        return cls(cand, client, dist_m, int(n_candidates), int(n_clients), np.asarray(weight if weight is not None
                   else np.ones(n_clients), float), cost, capacity, demand, float(radius_m), baseline_m)

    @classmethod
    def from_cost_matrix(cls, matrix, radius_m: float, weight=None, cost=None, capacity=None, demand=None,
                         cutoff_m: float | None = None, baseline_m=None) -> CoverInstance:
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


class Mip:
    """A thin wrapper over a pywraplp solver: single-threaded, exact gap, a time limit."""

    def __init__(self, solver: str, time_limit_s: float):

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


def rel_gap(obj: float, bound: float) -> float:
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return float("inf")
    diff = abs(bound - obj)
    if diff <= 1e-9 * max(1.0, abs(obj)):
        return 0.0
    return diff / max(abs(obj), 1e-9)


def is_optimal(status: str, obj: float, bound: float, integral: bool, sense: str) -> bool:
    if status == "optimal":
        return True
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return False
    if integral:  # an integer objective: the bound rounds to it
        return (math.floor(bound + 1e-6) <= obj + 1e-6) if sense == "max" else (math.ceil(bound - 1e-6) >= obj - 1e-6)
    return rel_gap(obj, bound) == 0.0


def group_by_client(inst: CoverInstance, mask: np.ndarray):
    """Pairs under ``mask`` sorted by client: (order, starts) so that client j's pairs are order[starts[j]:starts[j+1]]."""
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((inst.dist_m[idx], inst.client[idx]))]
    counts = np.bincount(inst.client[order], minlength=inst.n_clients)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return order, starts


def nearest_open(inst: CoverInstance, open_: np.ndarray, limit_m: float):
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
