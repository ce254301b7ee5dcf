"""Shared steps of both engines: pre-checks, cost scaling, fleet bounds, finishing a solution.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from culture_logistics.routing.engine.model import (
    Model,
    Route,
    Solution,
    VehicleType,
    default_drop_penalty,
    depot_window,
    stop_window,
)


def precheck_stops(model: Model) -> dict[int, str]:
    """Stops no vehicle can serve even alone, with the reason."""
    reasons: dict[int, str] = {}
    D = len(model.depots)
    types = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    if not types:
        return {s: "no vehicle available" for s in range(len(model.stops))}
    tts = {i: model.travel_time(i) for i in types}
    for s, st in enumerate(model.stops):
        need = max(st.delivery, st.pickup)
        cap_ok = [i for i in types if need <= model.vehicle_types[i].capacity]
        if not cap_ok:
            cmax = max(model.vehicle_types[i].capacity for i in types)
            reasons[s] = (f"demand {need} (delivery {st.delivery}, pickup {st.pickup}) exceeds "
                          f"every vehicle capacity (max {cmax})")
            continue
        ok = False
        why = ""
        for i in cap_ok:
            vt = model.vehicle_types[i]
            if vt.max_distance_m is not None:
                trip_m = int(model.distance[vt.start_depot, D + s]) + int(model.distance[D + s, vt.end])
                if trip_m > vt.max_distance_m:
                    why = (f"out-and-back trip is {trip_m / 1000:.1f} km, beyond the {vt.name or 'vehicle'}'s "
                           f"range of {vt.max_distance_m / 1000:g} km")
                    continue
            if model.duration is None:
                ok = True
                break
            e0, l0 = depot_window(model.depots[vt.start_depot])
            _, l1 = depot_window(model.depots[vt.end])
            e, l = stop_window(st)
            out = int(tts[i][vt.start_depot, D + s])
            back = int(tts[i][D + s, vt.end])
            dep = min(max(e0, e - out), l0)
            start = max(dep + out, e)
            ret = start + st.service_s + back
            if start > l:
                why = f"time window closes at {l} s but earliest arrival is {dep + out} s"
            elif ret > l1:
                why = f"cannot return to depot {vt.end} before it closes ({l1} s)"
            elif vt.max_shift_s is not None and ret - dep > vt.max_shift_s:
                why = (f"out-and-back trip takes {ret - dep} s, longer than the shift "
                       f"limit {vt.max_shift_s} s")
            else:
                ok = True
                break
        if not ok:
            reasons[s] = why
    return reasons


def cost_scale(values: Sequence[float]) -> int:
    """Smallest power of ten making all cost coefficients integral (max 10**6)."""
    for k in range(7):
        f = 10**k
        if all(abs(v * f - round(v * f)) <= 1e-9 * max(1.0, abs(v * f)) for v in values):
            return f
    return 10**6


def finish_solution(model: Model, routes: list[Route], dropped: list[int], reasons: dict[int, str],
                    engine: str, engine_status: str, t0: float, time_limit_s: float, seed: int,
                    stats: dict, found: bool) -> Solution:
    """The :class:`Solution` of an engine run: routes sorted by vehicle, cost, drop penalty, a reason for
    every dropped stop, and the status (no_solution / partial / feasible)."""
    routes.sort(key=lambda r: (r.vehicle_type, r.vehicle))
    dist = sum(r.distance for r in routes)
    cost = sum(model.vehicle_types[r.vehicle_type].fixed_cost
               + model.vehicle_types[r.vehicle_type].cost_per_m * r.distance for r in routes)
    dropped = sorted(set(dropped))
    dpen = default_drop_penalty(model) if any(model.stops[s].drop_penalty is None for s in dropped) else 0.0
    pen = sum(dpen if model.stops[s].drop_penalty is None else model.stops[s].drop_penalty
              for s in dropped)
    for s in dropped:
        reasons.setdefault(s, "not inserted by the search (feasible on its own: fleet, capacity or "
                              "time limits in combination with other stops, or the drop penalty "
                              "was lower than the cost of serving it); re-solve to confirm")
    status = "no_solution" if not found else ("partial" if dropped else "feasible")
    return Solution(routes=routes, dropped=dropped, drop_reasons={s: reasons[s] for s in dropped},
                    cost=float(cost), penalty=float(pen), distance=int(dist), status=status,
                    solve_seconds=time.perf_counter() - t0, engine=engine,
                    engine_status=engine_status, time_limit_s=time_limit_s, seed=seed, stats=stats)


def _ffd_bins(items: list[tuple[int, int]], cap: int) -> int:
    """First-fit-decreasing packing of (delivery, pickup) pairs into bins of ``cap``.

    A bin whose delivery and pickup totals both fit is a feasible route load-wise
    (visit stops by increasing pickup - delivery: the load profile is then convex,
    so its maximum is at the depot), hence the count is a feasible fleet size.
    """
    bins: list[list[int]] = []
    for d, p in sorted(items, key=lambda q: -max(q)):
        for b in bins:
            if b[0] + d <= cap and b[1] + p <= cap:
                b[0] += d
                b[1] += p
                break
        else:
            bins.append([d, p])
    return len(bins)


def unlimited_bound(model: Model, cand: list[int], vt: VehicleType) -> int:
    """Vehicles to instantiate for an unlimited type (OR-Tools needs a finite fleet).

    Without time constraints: max(first-fit-decreasing packing, load bound + slack),
    which always admits a feasible solution; with time constraints: one vehicle per stop.
    """
    if not cand:
        return 0
    if vt.capacity <= 0 or model.needs_time:
        return len(cand)
    items = [(int(model.stops[s].delivery), int(model.stops[s].pickup)) for s in cand]
    items = [q for q in items if max(q) <= vt.capacity]
    if not items:
        return 0
    lb = math.ceil(max(sum(d for d, _ in items), sum(p for _, p in items)) / vt.capacity)
    slack = ORTOOLS_DEFAULTS["fleet_slack"]
    return int(min(len(cand), max(_ffd_bins(items, vt.capacity), lb + max(2, math.ceil(slack * lb)))))


def seed_order(cand: list[int], seed: int) -> list[int]:
    """The candidate stops in the order a nonzero ``seed`` shuffles them to (unchanged for seed 0)."""
    if not seed:
        return list(cand)
    rng = np.random.default_rng(seed)
    return [cand[i] for i in rng.permutation(len(cand))]


# OR-Tools search settings, tuned on the 8 CVRPLIB X instances (mean gap to best-known, 10 s
# per instance unless noted, this 2-core shared machine; run-to-run noise is about +-0.5 pp):
#   PATH_CHEAPEST_ARC + GLS 7.07 % (30 s: 6.77 %); SAVINGS + GLS 8.12 % (lambda 0.3: 8.04 %,
#   0.03: 8.15 %); PARALLEL_CHEAPEST_INSERTION + GLS 7.73 %;
#   SAVINGS + ILS (SISR ruin, LCI recreate, SA) with LS after each perturbation 4.51 %
#   (30 s: 4.64 %); same without that LS 3.70-4.17 % (30 s: 3.85 %)  <- default;
#   without LS: SISR avg removed 5: 7.54 %, 15: 3.85 %, 20 (with LS): 5.02 %; max sequence
#   5: 4.91 %, 15: 5.59 %; recreate order random 5.49 %, by demand 5.66 %; SA temperatures
#   100/1: 4.82 %, 10/0.1: 4.83 %; LOCAL_CHEAPEST_COST_INSERTION recreate 8.46 %;
#   PATH_CHEAPEST_ARC first 4.39 %; mandatory stops (no disjunctions) 5.24 %;
#   more spare vehicles (fleet_slack 0.5 / 1.0) worse on the tight instances;
#   ls_operator_neighbors_ratio < 1 stalls the search in this version (no improvement at all);
#   a GLS polish after ILS gains ~0.1 %.
ORTOOLS_DEFAULTS: dict = {
    "first_solution": "SAVINGS",
    "metaheuristic": "ILS",        # "ILS" or a LocalSearchMetaheuristic name ("GLS" = guided LS)
    "gls_lambda": 0.1,
    "sisr_max_sequence": 10,       # SISR L_max
    "sisr_avg_removed": 10,        # SISR c-bar
    "sisr_bypass": 0.01,           # SISR alpha
    "recreate": "LOCAL_CHEAPEST_INSERTION",
    "improve_perturbed": False,    # local search after each ruin-and-recreate
    "recreate_sorting": [],        # LocalCheapestInsertion sorting properties (without SORTING_PROPERTY_)
    "sa_temperatures": None,       # (initial, final) or None = automatic
    "fleet_slack": 0.15,           # unlimited types: vehicles = max(FFD, lb + max(2, slack * lb))
    "polish_fraction": 0.0,        # ILS: share of the time given to a final polish ...
    "polish_metaheuristic": "GUIDED_LOCAL_SEARCH",  # ... with this metaheuristic
    "neighbors": 0,                # > 0: LS operators consider this many neighbours (see above)
    "extract_reserve_s": 0.05,     # time kept for solution extraction ...
    "free_reserve": 0.01,          # ... plus this share of the limit for freeing search memory
    "mandatory_default_stops": False,  # no disjunction for default-penalty stops (no fallback!)
}
