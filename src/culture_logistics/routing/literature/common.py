"""What the literature solvers share: engine units (:data:`SCALE`), the work budget, the run's clock and
the answer dict."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from culture_logistics.errors import CultureLogisticsError
from culture_logistics.formats.cordeau import euclid
from culture_logistics.routing.engine.budget import WorkBudget
from culture_logistics.routing.engine.model import Model, Route, Solution
from culture_logistics.routing.engine.solve import solve as engine_solve

#: engine units per distance unit
SCALE = 10_000

#: tolerance of the feasibility checks (distance units)
TOL = 1e-6


def work_budget(n_stops: int) -> WorkBudget:
    """The deterministic budget of one benchmark model of ``n_stops`` stops: 400 PyVRP iterations per stop
    (at least 4,000, at most 200,000), stopping after 100 per stop (at least 2,000) without improvement."""
    it = int(min(200_000, max(4_000, 400 * n_stops)))
    return WorkBudget(iterations=it, no_improvement=int(min(it, max(2_000, 100 * n_stops))))


@dataclass
class Run:
    """A solve's clock, budget mode and statistics."""

    time_limit_s: float
    seed: int
    budget: str           # "work" or "time"
    engine: str | None
    t0: float
    cap_hit: bool = False
    solves: int = 0

    def left(self) -> float:
        """Seconds left of the time limit."""
        return self.time_limit_s - (time.perf_counter() - self.t0)

    def solve(self, model: Model, share_s: float, initial: Solution | None = None,
              work: WorkBudget | None = None) -> Solution:
        """Solve ``model`` within ``share_s`` (and the time left): on ``work`` when given, else on
        :func:`work_budget` (``budget="work"``) or until the share is spent (``budget="time"``)."""
        tl = max(0.05, min(share_s, self.left()))
        b = work or ("time" if self.budget == "time" else work_budget(len(model.stops)))
        sol = engine_solve(model, time_limit_s=tl, seed=self.seed, engine=self.engine, budget=b,
                           initial_solution=initial)
        self.solves += 1
        if (work is not None or self.budget != "time") and sol.stats.get("cap_hit"):
            self.cap_hit = True
        return sol


def whole_number(v: float, what: str) -> int:
    """``v`` as an int; a CultureLogisticsError naming ``what`` when it is not whole (the engine needs whole
    demands and capacities)."""
    if float(v) != int(v):
        raise CultureLogisticsError(f"{what} {v:g} is not a whole number; the routing engine needs whole demands "
                                    "and capacities")
    return int(v)


def int_mats(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(real distances, engine distances = round(real × SCALE), engine times = ceil(real × SCALE))."""
    real = euclid(points)
    return real, np.rint(real * SCALE).astype(np.int64), np.ceil(real * SCALE - 1e-7).astype(np.int64)


def path_length(real: np.ndarray, locs: list[int]) -> float:
    """The length of the path through ``locs`` (row/column indices of the distance matrix ``real``)."""
    return float(sum(real[a, b] for a, b in zip(locs[:-1], locs[1:])))


def warm_start(routes: list[tuple[int, list[int]]]) -> Solution:
    """A warm start for the engine: (vehicle type, stop indices) per route (only these are read)."""
    rs = [Route(vehicle_type=t, stops=list(s), departure_s=0, arrival_s=[], service_start_s=[], load_after=[],
                leg_distance=[], start_load=0, return_s=0) for t, s in routes if s]
    return Solution(routes=rs, dropped=[], drop_reasons={}, cost=0.0, penalty=0.0, distance=0, status="feasible",
                    solve_seconds=0.0, engine="")


def answer_dict(problem: str, name: str, cost: float, routes: list, problems: list, run: Run, extra: dict) -> dict:
    """The answer of issue 22 (``cost``, ``feasible``, ``routes``, ``extra``, ``problems``) with the run details."""
    cost = cost if math.isfinite(cost) else None  # no plan at all: JSON null, not Infinity
    return {"instance": name, "problem": problem, "cost": cost, "feasible": not problems, "routes": routes} | extra | {
        "problems": problems, "engine": run.engine or "pyvrp", "seconds": round(time.perf_counter() - run.t0, 3),
        "time_limit_s": run.time_limit_s, "seed": run.seed, "budget": run.budget,
        "reproducible": run.budget != "time" and not run.cap_hit}

