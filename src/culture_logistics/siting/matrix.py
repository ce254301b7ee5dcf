"""Location models on a caller's cost matrix, spopt-style: ``MCLP.from_cost_matrix(...).solve()``.

The notebook entry point to the siting models of :mod:`culture_logistics.siting.models` without a scenario:
give a dense client × facility matrix of distances (m; ``inf`` or NaN = unreachable), as a NumPy array or a
pandas DataFrame, and read the chosen sites and the assignment back in the caller's rows and columns — the
DataFrame's index and column labels, else the row and column positions.

>>> import numpy as np
>>> from culture_logistics.siting import MCLP
>>> cost = np.array([[5, 20, 30], [8, 25, 9], [30, 7, 12], [40, 6, 35]])   # 4 villages × 3 sites, metres
>>> mclp = MCLP.from_cost_matrix(cost, weights=[100, 80, 60, 50], service_radius=10, p_facilities=1).solve()
>>> mclp.sites, mclp.covered_weight, mclp.fac2cli
([0], 180.0, {0: [0, 1]})

Each solve is proven optimal or reports its gap (``optimal``, ``gap``), exactly as the county models.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from culture_logistics.config.siting import DEFAULT_TIME_LIMIT_S
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.siting.instance import CoverInstance, ModelSolution
from culture_logistics.siting.models import solve_lscp, solve_mclp, solve_pmedian


def _matrix(cost_matrix) -> tuple[np.ndarray, list, list]:
    """(distances as floats with NaN → inf, client labels, facility labels) of a 2-D array or DataFrame."""
    if hasattr(cost_matrix, "index") and hasattr(cost_matrix, "columns"):
        clients, facilities = list(cost_matrix.index), list(cost_matrix.columns)
        values = cost_matrix.to_numpy(dtype=float)
    else:
        values = np.asarray(cost_matrix, dtype=float)
        if values.ndim != 2:
            raise CultureLogisticsError(f"the cost matrix must be 2-D (clients × facilities), got shape "
                                        f"{values.shape}")
        clients, facilities = list(range(values.shape[0])), list(range(values.shape[1]))
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise CultureLogisticsError(f"the cost matrix needs at least one client row and one facility column, "
                                    f"got shape {values.shape}")
    values = np.where(np.isnan(values), np.inf, values)
    if (values < 0).any():
        raise CultureLogisticsError("the cost matrix holds a negative distance; distances are metres ≥ 0")
    return values, clients, facilities


def _vector(values, n: int, what: str, default: float | None) -> np.ndarray | None:
    """One value per client or facility (a list, array or Series), checked finite and ≥ 0."""
    if values is None:
        return None if default is None else np.full(n, default)
    a = np.asarray(values, dtype=float)
    if a.shape != (n,):
        raise CultureLogisticsError(f"{what} needs {n} values (one per {'row' if what == 'weights' else 'column'} "
                                    f"of the cost matrix), got shape {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise CultureLogisticsError(f"{what} must be finite numbers ≥ 0")
    return a


@dataclass
class _LocationModel:
    """What the three models share: the instance, the caller's labels, and the result once solved."""

    instance: CoverInstance
    clients: list
    facilities: list
    solution: ModelSolution | None = field(default=None, init=False)

    def _solved(self) -> ModelSolution:
        if self.solution is None:
            raise CultureLogisticsError(f"{type(self).__name__} is not solved yet: call .solve() first")
        return self.solution

    @property
    def sites(self) -> list:
        """The chosen facilities (column labels, in column order)."""
        return [self.facilities[i] for i in np.flatnonzero(self._solved().open)]

    @property
    def cli2fac(self) -> dict:
        """Client label → the chosen facility serving it (its nearest chosen site within reach); clients no
        chosen site serves are left out."""
        sol = self._solved()
        return {self.clients[j]: self.facilities[int(i)] for j, i in enumerate(sol.assign) if i >= 0}

    @property
    def fac2cli(self) -> dict:
        """Chosen facility label → the client labels it serves (every chosen site, possibly with none)."""
        out: dict = {f: [] for f in self.sites}
        for c, f in self.cli2fac.items():
            out[f].append(c)
        return out

    @property
    def covered_weight(self) -> float:
        """Total weight of the clients a chosen site serves."""
        sol = self._solved()
        return float(self.instance.weight[sol.assign >= 0].sum())

    @property
    def uncovered(self) -> list:
        """Client labels no chosen site serves."""
        sol = self._solved()
        return [self.clients[j] for j in np.flatnonzero(sol.assign < 0)]

    @property
    def objective(self) -> float:
        """The model's primary objective (see each model)."""
        return float(self._solved().objective)

    @property
    def optimal(self) -> bool:
        """True when the primary objective is proven optimal (else see :attr:`gap`)."""
        return bool(self._solved().optimal)

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the solver's bound (0 when optimal)."""
        return float(self._solved().gap)


@dataclass
class MCLP(_LocationModel):
    """Maximal covering location: at most ``p_facilities`` sites (and/or cost ≤ ``budget``) reaching the most
    weight within ``service_radius``.  :attr:`objective` is the weight reached; ties are broken by the least
    weighted distance to the serving sites."""

    p_facilities: int | None = None
    budget: float | None = None

    @classmethod
    def from_cost_matrix(cls, cost_matrix, weights, service_radius: float, p_facilities: int | None = None, *,
                         budget: float | None = None, facility_costs=None) -> MCLP:
        """Build from a client × facility distance matrix (m).

        Parameters
        ----------
        cost_matrix : 2-D array or DataFrame, rows = clients, columns = candidate facilities; ``inf``/NaN =
            unreachable.  A DataFrame's index and columns name the clients and facilities in the results.
        weights : per client, the weight to reach (e.g. persons).
        service_radius : a facility reaches a client when their distance is at most this (m).
        p_facilities : at most this many sites.
        budget, facility_costs : alternatively (or as well) a total cost limit and each facility's cost.
        """
        values, clients, facilities = _matrix(cost_matrix)
        n_cli, n_fac = values.shape
        inst = CoverInstance.from_cost_matrix(values, float(service_radius),
                                              weight=_vector(weights, n_cli, "weights", None),
                                              cost=_vector(facility_costs, n_fac, "facility_costs", 1.0))
        return cls(inst, clients, facilities, p_facilities, budget)

    def solve(self, time_limit_s: float = DEFAULT_TIME_LIMIT_S, solver: str = "scip") -> MCLP:
        """Solve (OR-Tools' SCIP or HiGHS, ``time_limit_s`` seconds at most); returns ``self``."""
        self.solution = solve_mclp(self.instance, k=self.p_facilities, budget=self.budget,
                                   time_limit_s=time_limit_s, solver=solver)
        return self


@dataclass
class LSCP(_LocationModel):
    """Location set covering: the fewest sites (``minimize="count"``) or the cheapest (``"cost"``) reaching every
    client some facility reaches within ``service_radius`` (clients none reaches stay :attr:`uncovered`).
    :attr:`objective` is the number of sites, or their cost."""

    minimize: str = "count"
    budget: float | None = None

    @classmethod
    def from_cost_matrix(cls, cost_matrix, service_radius: float, *, weights=None, facility_costs=None,
                         minimize: str = "count", budget: float | None = None) -> LSCP:
        """Build from a client × facility distance matrix (m); ``weights`` (default 1 per client) only break
        ties (least weighted distance), ``facility_costs`` (default 1) count for ``minimize="cost"``."""
        values, clients, facilities = _matrix(cost_matrix)
        n_cli, n_fac = values.shape
        inst = CoverInstance.from_cost_matrix(values, float(service_radius),
                                              weight=_vector(weights, n_cli, "weights", 1.0),
                                              cost=_vector(facility_costs, n_fac, "facility_costs", 1.0))
        return cls(inst, clients, facilities, minimize, budget)

    def solve(self, time_limit_s: float = DEFAULT_TIME_LIMIT_S, solver: str = "scip") -> LSCP:
        """Solve (OR-Tools' SCIP or HiGHS, ``time_limit_s`` seconds at most); returns ``self``."""
        self.solution = solve_lscp(self.instance, minimize=self.minimize, budget=self.budget,
                                   time_limit_s=time_limit_s, solver=solver)
        return self


@dataclass
class PMedian(_LocationModel):
    """p-median: ``p_facilities`` sites (and/or cost ≤ ``budget``) minimising the total weighted distance from
    each client to its nearest chosen site.  :attr:`objective` is that total (weight·m) over the clients
    some facility reaches at all (a finite matrix entry); the others stay :attr:`uncovered`."""

    p_facilities: int | None = None
    budget: float | None = None

    @classmethod
    def from_cost_matrix(cls, cost_matrix, weights, p_facilities: int | None = None, *,
                         budget: float | None = None, facility_costs=None) -> PMedian:
        """Build from a client × facility distance matrix (m); every finite entry is a possible assignment."""
        values, clients, facilities = _matrix(cost_matrix)
        n_cli, n_fac = values.shape
        finite = values[np.isfinite(values)]
        # the p-median model counts savings against a baseline distance; one beyond every entry makes each
        # reachable client take its nearest chosen site
        beyond_m = 2.0 * float(finite.max()) + 1.0 if finite.size else 1.0
        inst = CoverInstance.from_cost_matrix(values, beyond_m, weight=_vector(weights, n_cli, "weights", None),
                                              cost=_vector(facility_costs, n_fac, "facility_costs", 1.0),
                                              cutoff_m=np.inf, baseline_m=np.full(n_cli, beyond_m))
        return cls(inst, clients, facilities, p_facilities, budget)

    def solve(self, time_limit_s: float = DEFAULT_TIME_LIMIT_S, solver: str = "scip") -> PMedian:
        """Solve (OR-Tools' SCIP or HiGHS, ``time_limit_s`` seconds at most); returns ``self``."""
        self.solution = solve_pmedian(self.instance, k=self.p_facilities, budget=self.budget,
                                      time_limit_s=time_limit_s, solver=solver)
        return self

    @property
    def objective(self) -> float:
        """Total weighted distance (weight·m) from each served client to its chosen site."""
        sol = self._solved()
        served = sol.assign >= 0
        return float((self.instance.weight[served] * sol.assign_dist_m[served]).sum())
