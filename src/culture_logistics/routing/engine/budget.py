"""Deterministic work budgets: how much search a solve does, independent of the machine's speed or load.

A solve stops on a *work* budget sized from the model (number of stops): PyVRP after a number of
iterated-local-search iterations, or earlier once that many iterations in a row brought no
improvement; OR-Tools after a number of solutions (its ``solution_limit``).  With a fixed seed the
result is then the same on any machine and under any load.  The wall-clock ``time_limit_s`` of
:func:`~culture_logistics.routing.engine.solve.solve` stays as a safety cap; when it binds first
the solution says so (``stats["cap_hit"] = True``, ``stats["reproducible"] = False``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

#: Budget sizing (measured on the default shared plans of the ten embedded counties, county-wide models
#: of 125–600 villages, benchmarks/bench_budget_sweep.py): 20 iterations per stop with a stop after 6 per
#: stop without improvement cost 0.10 % more in all than 40 / 10 in 61 % of its iterations, 0.03 % more
#: than the earlier 100 / 25 in 37 %, and 2.1 % less than 100 / 25 with the earlier 250-village blocks in
#: 32 %; 诸城's comparison plans (separate, shared, 邮快合作) were as cheap or cheaper than with 40 / 10.  Wall time against the caps:
#: benchmarks/bench_budgets.py.
BUDGET_DEFAULTS: dict = {
    "pyvrp_iterations_per_stop": 20,
    "pyvrp_min_iterations": 300,
    "pyvrp_max_iterations": 20_000,
    "pyvrp_no_improvement_per_stop": 6,
    "pyvrp_no_improvement_min": 150,
    "ortools_solutions_per_stop": 10,
    "ortools_min_solutions": 200,
    "ortools_max_solutions": 5_000,
}

#: The budget of a solve warm-started from a plan of the same model with a change (the diagnosis of a dropped stop
#: re-solves the plan with one more vehicle, a longer window …, from the plan's routes): the search places the
#: dropped stops and polishes a good plan instead of building one.
WARM_BUDGET_DEFAULTS: dict = {
    "pyvrp_iterations_per_stop": 5,
    "pyvrp_min_iterations": 100,
    "pyvrp_no_improvement_per_stop": 2,
    "pyvrp_no_improvement_min": 50,
    "ortools_solutions_per_stop": 3,
    "ortools_min_solutions": 60,
    "ortools_max_solutions": 1_500,
}


@dataclass(frozen=True)
class WorkBudget:
    """A deterministic stop.

    Attributes
    ----------
    iterations : PyVRP: iterated-local-search iterations; OR-Tools: solutions (``solution_limit``).
    no_improvement : PyVRP only: stop after this many iterations in a row without a better best
        solution (None = no such stop).
    """

    iterations: int
    no_improvement: int | None = None

    def as_dict(self) -> dict:
        return {"iterations": int(self.iterations),
                "no_improvement": None if self.no_improvement is None else int(self.no_improvement)}


def _clamp(v: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, math.ceil(v))))


def default_budget(n_stops: int, engine: str, warm: bool = False, effort: float = 1.0) -> WorkBudget:
    """The work budget of a model of ``n_stops`` stops for ``engine`` (``"pyvrp"`` or ``"ortools"``);
    ``warm``: of a solve warm-started from a related plan (:data:`WARM_BUDGET_DEFAULTS`).  ``effort``
    (``[routing] effort``) multiplies the per-stop rates and the largest budget; the smallest budgets stay, so
    small models (a trunk, a township) are planned as at effort 1."""
    b = dict(BUDGET_DEFAULTS, **WARM_BUDGET_DEFAULTS) if warm else BUDGET_DEFAULTS
    n = max(1, int(n_stops))
    e = float(effort)
    if engine == "pyvrp":
        it = _clamp(b["pyvrp_iterations_per_stop"] * e * n, b["pyvrp_min_iterations"],
                    max(b["pyvrp_min_iterations"], round(b["pyvrp_max_iterations"] * e)))
        ni = _clamp(b["pyvrp_no_improvement_per_stop"] * e * n, b["pyvrp_no_improvement_min"], it)
        return WorkBudget(iterations=it, no_improvement=ni)
    return WorkBudget(iterations=_clamp(b["ortools_solutions_per_stop"] * e * n, b["ortools_min_solutions"],
                                        max(b["ortools_min_solutions"], round(b["ortools_max_solutions"] * e))))


class BudgetStop:
    """PyVRP stopping criterion: a work budget, with a wall-clock deadline as a safety cap.

    ``reason`` tells which stop fired: ``"iterations"``, ``"no_improvement"`` or ``"time_cap"``
    (the only one that depends on the machine).
    """

    def __init__(self, iterations: int | None, no_improvement: int | None, deadline: float):
        self.iterations = iterations
        self.no_improvement = no_improvement
        self.deadline = deadline     # time.perf_counter() value
        self.count = 0
        self.reason = ""
        self._best: float | None = None
        self._since = 0

    def __call__(self, best_cost) -> bool:
        if self._best is None or best_cost < self._best:
            self._best = best_cost
            self._since = 0
        else:
            self._since += 1
        if self.iterations is not None and self.count >= self.iterations:
            self.reason = "iterations"
            return True
        if self.no_improvement is not None and self._since >= self.no_improvement:
            self.reason = "no_improvement"
            return True
        if time.perf_counter() >= self.deadline:
            self.reason = "time_cap"
            return True
        self.count += 1
        return False
