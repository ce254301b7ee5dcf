"""The MDVRP (Cordeau type 2) as one multi-depot engine model, the county-wide last mile's shape."""
from __future__ import annotations

import math
import time

import numpy as np

from culture_logistics.formats.cordeau import CordeauInstance
from culture_logistics.routing.engine.model import Depot, Model, Stop, VehicleType
from culture_logistics.routing.literature.check import validate
from culture_logistics.routing.literature.common import SCALE, Run, answer_dict, int_mats, whole_number


def mdvrp_model(inst: CordeauInstance) -> tuple[Model, np.ndarray]:
    """The multi-depot engine model of an MDVRP instance (depot k = location k - 1, customer i = stop i - 1)
    and the real distance matrix over depots then customers."""
    real, dist, dur = int_mats(inst.points())
    t = inst.num_depots
    depots = [Depot(name=str(inst.n + k + 1), x=float(inst.depot_xy[k, 0]), y=float(inst.depot_xy[k, 1]))
              for k in range(t)]
    stops = [Stop(delivery=whole_number(inst.demand[i], f"demand of customer {i + 1}"),
                  service_s=int(math.ceil(inst.service[i] * SCALE - 1e-7)), name=str(i + 1),
                  x=float(inst.xy[i, 0]), y=float(inst.xy[i, 1])) for i in range(inst.n)]
    types = [VehicleType(capacity=whole_number(inst.capacity[k], f"capacity of depot {inst.n + k + 1}"), count=inst.vehicles,
                         max_shift_s=int(math.floor(inst.max_duration[k] * SCALE + 1e-7)) if inst.max_duration[k] > 0
                         else None, start_depot=k, name=f"depot {inst.n + k + 1}") for k in range(t)]
    timed = any(inst.service > 0) or any(d > 0 for d in inst.max_duration)
    return Model(depots, stops, types, dist, dur if timed else None), real


def solve_mdvrp(inst: CordeauInstance, time_limit_s: float, seed: int = 0, budget: str = "work",
                engine: str | None = None) -> dict:
    """Solve an MDVRP instance with the multi-depot engine model; the answer of issue 22 (routes
    ``{"depot": d, "stops": [...]}``, depots numbered n+1…n+t as in the file), re-checked by :func:`validate`."""
    run = Run(time_limit_s, seed, budget, engine, time.perf_counter())
    model, real = mdvrp_model(inst)
    sol = run.solve(model, run.left())
    routes = [{"depot": inst.n + 1 + r.start_depot, "stops": [s + 1 for s in r.stops]} for r in sol.routes]
    cost, problems = validate(inst, {"routes": routes})
    return answer_dict("mdvrp", inst.name, cost, routes, problems, run, {})

