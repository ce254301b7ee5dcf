"""Solving one model spec, re-timing routes, and diagnosing each dropped stop with a confirmed fix.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from culture_logistics.config.fleet import FleetEntry
from culture_logistics.config.routing import INF, RoutingParams, hhmm
from culture_logistics.errors import CultureLogisticsError, SolverError
from culture_logistics.routing.driving import DRIVING_LIMIT_S, REST_S, check_driving, keep_driving_rule
from culture_logistics.routing.engine import model as _model
from culture_logistics.routing.engine import solve as E
from culture_logistics.routing.fleet import capped_fleet, smallest_capacity
from culture_logistics.routing.parallel import map_forked
from culture_logistics.routing.retiming import retime_route
from culture_logistics.routing.specs import ModelSpec, PlanContext


# ============================================================================ solving one model
@dataclass
class SolveOutcome:
    """One model spec built into an engine model and (once solved) its solution and unserved stops."""

    spec: ModelSpec
    model: _model.Model | None
    keep: list                 # model stop index -> spec stop index
    solution: _model.Solution | None
    unserved: list             # dicts (UNSERVED_COLUMNS + spec index)
    stats: dict
    snap_nodes: np.ndarray     # road node of the depot, then of every spec stop (-1 without roads)
    ready_s: dict = field(default_factory=dict)   # trunk: station id -> time its parcels are unloaded (s)


def _note_solve(stats: dict | None, sol: _model.Solution) -> None:
    """Count a solve in a model's ``stats``: solves, engine iterations, and whether the wall-clock cap bound."""
    if stats is None:
        return
    stats["solves"] = stats.get("solves", 0) + 1
    stats["iterations"] = stats.get("iterations", 0) + int(sol.stats.get("iterations", 0) or 0)
    if sol.stats.get("cap_hit"):
        stats["cap_hits"] = stats.get("cap_hits", 0) + 1
    stats["reproducible"] = not stats.get("cap_hits")


def solve_model(model: _model.Model, params: RoutingParams, tl: float, initial: _model.Solution | None = None,
                stats: dict | None = None, budget: str = "auto") -> _model.Solution:
    """Solve ``model`` with the engine's deterministic work budget (sized from its stops; ``budget="warm"``: the
    smaller one of a warm start, :func:`~culture_logistics.routing.engine.solve.solve`; both × ``[routing]
    effort``), ``tl`` seconds as the safety cap, from
    ``initial`` (a warm start) when given; ``stats`` (a model's statistics) records whether the cap bound (see
    :func:`_note_solve`)."""
    try:
        sol = E.solve(model, time_limit_s=tl, seed=params.seed, engine=params.engine, initial_solution=initial,
                      budget=budget, effort=params.effort)
        _note_solve(stats, sol)
        for _ in range(2):  # no solution at all in a short budget (a busy machine): give it more time
            if sol.status != "no_solution":
                break
            tl *= 4
            sol = E.solve(model, time_limit_s=tl, seed=params.seed, engine=params.engine, initial_solution=initial,
                          budget=budget, effort=params.effort)
            _note_solve(stats, sol)
    except _model.ModelError as exc:  # pragma: no cover - a bug in the model building here
        raise CultureLogisticsError(f"internal routing model error: {exc}") from exc
    if sol.routes:
        sol = replace(sol, routes=[retime_route(model, r) for r in sol.routes])
    def again(m2: _model.Model) -> _model.Solution:   # the driving-time rule's re-solve with a shorter day
        s2 = E.solve(m2, time_limit_s=tl, seed=params.seed, engine=params.engine, effort=params.effort)
        _note_solve(stats, s2)
        return s2
    sol = keep_driving_rule(model, sol, again, retime_route, stats) if params.driving_rule else sol
    problems = _model.check_solution(model, sol) + (check_driving(model, sol) if params.driving_rule else [])
    if problems:

        raise SolverError("the routing engine returned an infeasible plan: " + "; ".join(problems[:5]))
    return sol


def solve_spec(ctx: PlanContext, spec: ModelSpec, diagnose: bool = True) -> SolveOutcome:
    """Build the engine model of ``spec`` on road distances and times, solve it, and (``diagnose``)
    explain every dropped stop."""
    out = build_spec(ctx, spec)
    if out.model is None:
        return out
    p = ctx.params
    tl = p.model_time_limit(len(out.keep))
    t0 = time.perf_counter()
    sol = solve_model(out.model, p, tl, stats=out.stats)
    out.stats.update(time_limit_s=round(tl, 3), solve_s=round(time.perf_counter() - t0, 3), status=sol.status,
                     engine=sol.engine, cost=round(sol.cost, 2),
                     overrun_s=round(float(sol.stats.get("overrun_s", 0.0)), 3))
    out.solution = sol
    if diagnose:
        explain_dropped(ctx, out)
    return out


def build_spec(ctx: PlanContext, spec: ModelSpec) -> SolveOutcome:
    """The engine model of ``spec`` on road distances (m) and times (s), not yet solved
    (``solution`` None); stops off the road network are listed unserved ("unreachable") and left out
    (``model`` None when none is left)."""
    net = ctx.net
    lon = np.array([spec.depot.lon] + [s.lon for s in spec.stops])
    lat = np.array([spec.depot.lat] + [s.lat for s in spec.stops])
    snap = net.snap(lon, lat)
    L = net.full_matrix(snap, "length")
    T = net.full_matrix(snap, "travel_time")
    n = len(spec.stops)
    ok = np.isfinite(L[0, 1:]) & np.isfinite(L[1:, 0]) & np.isfinite(T[0, 1:]) & np.isfinite(T[1:, 0])
    unserved = []
    for k in np.flatnonzero(~ok):
        s = spec.stops[k]
        if not snap.on_network[0]:
            why = (f"its depot {spec.depot.id} is {snap.access_m[0]:.0f} m from the road network "
                   f"(more than max_access_m = {net.max_access_m:.0f} m)")
            fix = f"move depot {spec.depot.id} next to a road, or add the road it stands on to the road file"
        elif not snap.on_network[k + 1]:
            why = (f"its point is {snap.access_m[k + 1]:.0f} m from the road network's main component "
                   f"(more than max_access_m = {net.max_access_m:.0f} m)")
            fix = ("add the road that reaches it to the road file, or raise [network] max_access_m to "
                   f"{math.ceil(snap.access_m[k + 1] / 100) * 100:.0f}")
        else:
            why = "no road path between it and the depot (one-way roads?)"
            fix = "check the road file's one-way tags around it"
        unserved.append(_unserved_row(spec, k,  # type: ignore[arg-type]
                                      "unreachable", f"unreachable on the road network: {why}", fix, False, None))
    keep = [int(k) for k in np.flatnonzero(ok)]
    stats = {"operator": spec.operator, "echelon": spec.echelon, "depot_id": spec.depot.id, "stops": n,
             "stops_routed": len(keep), "time_limit_s": 0.0, "solve_s": 0.0, "status": "", "resolves": 0}
    if not keep:
        return SolveOutcome(spec, None, [], None, unserved, stats, snap.node)
    idx = [0] + [k + 1 for k in keep]
    dist = np.rint(L[np.ix_(idx, idx)]).astype(np.int64)
    dur = np.rint(T[np.ix_(idx, idx)]).astype(np.int64)
    depot = _model.Depot(name=spec.depot.id, tw_early=int(spec.open_s), tw_late=int(spec.close_s))
    stops = []
    for k in keep:  # type: ignore[assignment]
        s = spec.stops[k]
        e, l = (s.tw if s.tw is not None else (None, None))
        stops.append(_model.Stop(delivery=int(s.delivery), pickup=int(s.pickup), service_s=int(s.service_s),
                            tw_early=e, tw_late=l, name=s.stop_id))
    model = _model.Model([depot], stops, [vehicle_type(f) for f in spec.fleet], dist, dur)
    return SolveOutcome(spec, model, keep, None, unserved, stats, snap.node)


def explain_dropped(ctx: PlanContext, out: SolveOutcome) -> None:
    """Add a diagnosis (reason and confirmed fix) of every stop the solution of ``out`` dropped to its unserved list."""
    if out.solution is not None and out.solution.dropped:
        out.unserved += _diagnose(ctx, out)


def explain_all(ctx: PlanContext, outcomes: list[SolveOutcome]) -> None:
    """:func:`explain_dropped` for each of ``outcomes``, the models with dropped stops in parallel processes
    (``[routing] workers``, :func:`~culture_logistics.routing.parallel.map_forked`).

    Each model's diagnosis is its own: its own re-solve budget (``max_resolves``), seeded re-solves on
    deterministic work budgets, nothing shared with another model's, so the rows (and the models' ``stats``) are
    those of diagnosing them one after the other.  A peak plan's diagnosis re-solves each station's model
    tens of times: on two cores this halves it."""
    todo = [o for o in outcomes if o.solution is not None and o.solution.dropped]

    def run(o: SolveOutcome, _progress) -> tuple[list[dict], dict]:
        rows = _diagnose(ctx, o)
        return rows, o.stats

    for o, (rows, stats) in zip(todo, map_forked(run, todo, ctx.params.workers)):
        o.unserved += rows
        if stats is not o.stats:  # made in a worker: its counts of re-solves and iterations
            o.stats.clear()
            o.stats.update(stats)


def reopen_later(ctx: PlanContext, out: SolveOutcome, open_s: int) -> SolveOutcome:
    """``out`` (a last-mile model solved with its depot opening at day start) for a depot opening at
    ``open_s``: the same routes, later, when they still fit (no stop time windows, back by day end);
    else a new solve with the late opening."""
    spec = out.spec
    if out.model is None:
        spec.open_s = int(open_s)
        return out
    m0 = out.model
    open_s = min(int(open_s), int(m0.depots[0].tw_late))  # parcels after closing time: nothing can leave
    spec.open_s = open_s
    model = _model.Model([replace(m0.depots[0], tw_early=int(open_s))], m0.stops, m0.vehicle_types, m0.distance,
                    m0.duration)
    sol = out.solution
    delta = int(open_s) - int(m0.depots[0].tw_early or 0)
    stats = dict(out.stats)
    if delta <= 0:
        return replace(out, model=model, stats=stats)
    if all(st.tw_early is None and st.tw_late is None for st in m0.stops):
        moved = [replace(r, departure_s=r.departure_s + delta, arrival_s=[a + delta for a in r.arrival_s],
                         service_start_s=[a + delta for a in r.service_start_s], return_s=r.return_s + delta,
                         reload_arrival_s=[a + delta for a in r.reload_arrival_s],
                         reload_departure_s=[a + delta for a in r.reload_departure_s])
                 for r in sol.routes]
        new = replace(sol, routes=moved)
        if not _model.check_solution(model, new):
            stats["later_by_min"] = round(delta / 60, 2)
            return replace(out, model=model, solution=new, stats=stats)
    tl = ctx.params.model_time_limit(len(out.keep))
    t0 = time.perf_counter()
    new = solve_model(model, ctx.params, tl, stats=stats)
    stats.update(status=new.status, cost=round(new.cost, 2), resolved_for_late_opening=True,
                 solve_s=round(stats.get("solve_s", 0.0) + time.perf_counter() - t0, 3))
    return replace(out, model=model, solution=new, stats=stats)


def _unserved_row(spec: ModelSpec, k: int, code: str, reason: str, fix: str, checked: bool, extra) -> dict:
    s = spec.stops[k]
    return {"operator": spec.operator, "echelon": spec.echelon, "depot_id": spec.depot.id, "stop_id": s.code,
            "stop_name": s.stop_name, "stop_kind": s.stop_kind, "delivery": int(s.delivery), "pickup": int(s.pickup),
            "reason_code": code, "reason": reason, "smallest_fix": fix, "fix_checked": bool(checked),
            "fix_extra_cost": None if extra is None else round(float(extra), 2), "_k": int(k)}


# ============================================================================ why was it dropped?
def _classify(model: _model.Model, m: int, rule: bool = True) -> tuple[str, dict]:
    """Why model stop ``m`` cannot be served, from the model data alone.

    Returns (code, facts): ``demand_exceeds_capacity`` (facts: need), ``beyond_range`` (type, trip_m: the
    out-and-back distance is longer than every vehicle's range_km), ``driving_rule`` (type, leg_s: the drive
    from the depot or back alone is longer than 4 h of continuous driving), ``beyond_shift`` (type,
    minutes, over_close), ``time_window`` (latest start needed), ``fleet_too_small`` (feasible
    alone: only the other stops, i.e. the fleet, keep it out) or ``no_vehicle``.  Whether a
    ``fleet_too_small`` stop is really kept out by its station's ``capacity_per_day``
    (``station_capacity``) is not in the model, whose vans already carry the cap: the diagnosis
    decides it from the spec (:meth:`_Diagnosis.station`).
    """
    st = model.stops[m]
    dep = model.depots[0]
    open_s = int(dep.tw_early or 0)
    close_s = INF if dep.tw_late is None else int(dep.tw_late)
    need = max(st.delivery, st.pickup)
    avail = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    if not avail:
        return "no_vehicle", {}
    cap_ok = [i for i in avail if model.vehicle_types[i].capacity >= need]
    if not cap_ok:
        big = max(avail, key=lambda i: model.vehicle_types[i].capacity)
        return "demand_exceeds_capacity", {"need": need, "type": big}
    trip_m = int(model.distance[0, 1 + m]) + int(model.distance[1 + m, 0])
    in_range = [i for i in cap_ok if (model.vehicle_types[i].max_distance_m or trip_m) >= trip_m]
    if not in_range:
        longest = max(cap_ok, key=lambda i: model.vehicle_types[i].max_distance_m or 0)
        return "beyond_range", {"type": longest, "trip_m": trip_m}
    cap_ok = in_range
    legs = {i: max(int(model.travel_time(i)[0, 1 + m]), int(model.travel_time(i)[1 + m, 0])) for i in cap_ok}
    if rule and min(legs.values()) > DRIVING_LIMIT_S:
        fastest = min(cap_ok, key=lambda i: legs[i])
        return "driving_rule", {"type": fastest, "leg_s": legs[fastest]}
    best = None
    tw_need = None
    for i in cap_ok:
        vt = model.vehicle_types[i]
        tt = model.travel_time(i)
        arrive = open_s + int(tt[0, 1 + m])
        start = max(arrive, st.tw_early or 0)
        if st.tw_late is not None and start > st.tw_late:
            tw_need = start if tw_need is None else min(tw_need, start)
            continue
        ret = start + st.service_s + int(tt[1 + m, 0])
        over_shift = ret - open_s - (vt.max_shift_s if vt.max_shift_s is not None else INF)
        over_close = ret - close_s
        extra = max(0, over_shift, over_close)
        if extra == 0:
            return "fleet_too_small", {}
        if best is None or extra < best[0]:
            best = (extra, i, over_close)
    if best is None:
        return "time_window", {"start": tw_need}
    return "beyond_shift", {"type": best[1], "minutes": int(math.ceil(best[0] / 60.0)), "over_close": best[2] > 0,
                            "trip_s": best[0]}


def _with_types(model: _model.Model, types: list, close_s: int | None = None, stop_tw: dict | None = None) -> _model.Model:
    depots = model.depots if close_s is None else [replace(model.depots[0], tw_late=int(close_s))]
    stops = model.stops
    if stop_tw:
        stops = [replace(s, tw_late=stop_tw[i]) if i in stop_tw else s for i, s in enumerate(stops)]
    return _model.Model(depots, stops, types, model.distance, model.duration)


class _Diagnosis:
    """The state of one model's diagnosis: the re-solve budget, the rows found so far, and the
    wording shared by the four kinds of fix (one method each)."""

    def __init__(self, ctx: PlanContext, out: SolveOutcome):
        p = ctx.params
        self.p, self.out = p, out
        self.model, self.sol, self.spec = out.model, out.solution, out.spec
        self.dropped = list(self.sol.dropped)
        self.old = set(self.dropped)
        self.tl = p.model_time_limit(len(out.keep))
        self.budget = p.max_resolves if p.diagnose else 0
        self.rows: dict[int, dict] = {}
        self.last: _model.Solution | None = None
        self.types = list(self.model.vehicle_types)
        dep = self.model.depots[0]
        self.close_s = int(dep.tw_late)
        self.classes = {m: ("driving_rule", {}) if self.sol.drop_reasons.get(m) == "driving_rule" else
                        _classify(self.model, m, p.driving_rule) for m in self.dropped}
        self.at = f"at {self.spec.depot.id}"
        late_open = self.spec.echelon == "last_mile" and int(dep.tw_early or 0) > p.day_start_s
        self.opened = (f" (the station's vehicles leave at {hhmm(dep.tw_early)}, when the trunk has unloaded there)"
                       if late_open else "")

    def resolve(self, m2: _model.Model, targets, warm: bool = True) -> tuple[set, float | None]:
        """Solve ``m2`` (warm-started from the plan, on the smaller warm budget, unless ``warm`` is False: a model
        whose vehicle types are not the plan's); the ``targets`` it serves without dropping a stop the plan served, and the
        change in cost.  The solution is kept in ``self.last``."""
        self.last = None
        if self.budget <= 0:
            return set(), None
        self.budget -= 1
        self.out.stats["resolves"] += 1
        new = solve_model(m2, self.p, self.tl, initial=self.sol if warm else None, stats=self.out.stats,
                          budget="warm" if warm else "auto")
        self.last = new
        nd = set(new.dropped)
        if not nd <= self.old:
            return set(), None
        return {s for s in targets if s not in nd}, new.cost - self.sol.cost

    def put(self, m, code, reason, fix, checked, extra):
        self.rows[m] = _unserved_row(self.spec, self.out.keep[m], code, reason, fix, checked, extra)

    def unchecked(self, fix):
        why = "not checked: diagnosis is off ([routing] diagnose = false)" if not self.p.diagnose else \
            "not confirmed by a re-solve within the diagnosis budget ([routing] max_resolves)"
        return f"{fix} ({why})"

    def of(self, *codes) -> list[int]:
        return [m for m, (code, _) in self.classes.items() if code in codes]

    def capacity(self) -> None:
        """Demand larger than any vehicle: a larger vehicle (instead of one, else one more)."""
        types, model = self.types, self.model
        for m in self.of("demand_exceeds_capacity"):
            f = self.classes[m][1]
            st = model.stops[m]
            T = types[f["type"]]
            C = f["need"]
            reason = (f"demand larger than any vehicle: {st.delivery} parcels to deliver, {st.pickup} to pick up, "
                      f"largest vehicle {T.name} carries {T.capacity}")
            new_t = replace(T, capacity=int(C), count=1, name=f"{T.name}_{C}")
            fix = f"a larger vehicle: one {T.name} of capacity {C} instead of {T.capacity} {self.at}"
            cut = [replace(v, count=v.count - 1) if i == f["type"] and v.count and v.count > 1 else v
                   for i, v in enumerate(types)]
            ok, extra = self.resolve(_with_types(model, cut + [new_t]), [m])
            if m not in ok:
                fix = f"one more vehicle of capacity {C} ({T.name} with capacity {C}) {self.at}"
                ok, extra = self.resolve(_with_types(model, types + [new_t]), [m])
            self.put(m, "demand_exceeds_capacity", reason, fix if m in ok else self.unchecked(fix), m in ok,
                     extra if m in ok else None)

    def range_(self) -> None:
        """Farther than any vehicle's range: the range its out-and-back trip needs (rounded up to the km)."""
        types = self.types
        for m in self.of("beyond_range"):
            f = self.classes[m][1]
            T = types[f["type"]]
            km = int(math.ceil(f["trip_m"] / 1000.0))
            reason = (f"beyond the vehicles' range: the out-and-back trip to it alone is {f['trip_m'] / 1000:.1f} km, "
                      f"the {T.name}'s range_km is {T.max_distance_m / 1000:g}")
            fix = f"a vehicle with range_km ≥ {km} (the {T.name} has {T.max_distance_m / 1000:g}) {self.at}"
            t2 = [replace(v, max_distance_m=max(v.max_distance_m, km * 1000)) if i == f["type"] else v
                  for i, v in enumerate(types)]
            ok, extra = self.resolve(_with_types(self.model, t2), [m])
            self.put(m, "beyond_range", reason, fix if m in ok else self.unchecked(fix), m in ok,
                     extra if m in ok else None)

    def _far_reason(self, m) -> str:
        g = self.classes[m][1]
        t = self.types[g["type"]]
        limit = "the depot's closing time " + hhmm(self.close_s) + self.opened if g["over_close"] else \
            f"the {t.name}'s shift of {t.max_shift_s / 3600:g} h"
        return (f"farther than a shift allows: the round trip to it alone ends {math.ceil(g['trip_s'] / 60)} min "
                f"after {limit}")

    def shift(self) -> None:
        """Farther than a shift allows: a longer shift (and day); one re-solve per stop when there
        are few, else one for all of them with the longest extension any of them needs."""
        types, close_s = self.types, self.close_s
        far = self.of("beyond_shift")
        for group in ([[m] for m in far] if len(far) <= 3 else [far]):
            f = max((self.classes[m][1] for m in group), key=lambda f: f["minutes"])
            T = types[f["type"]]
            M = int(5 * math.ceil(f["minutes"] / 5))
            fix = None
            done: set = set()
            for extra_min in (0, 15, 30):
                mm = M + extra_min
                t2 = [replace(v, max_shift_s=v.max_shift_s + 60 * mm) if v.max_shift_s is not None else v
                      for v in types]
                fix = (f"shift longer by {mm} min: {T.name} max_shift_h {T.max_shift_s / 3600:g} → "
                       f"{(T.max_shift_s + 60 * mm) / 3600:.2f}, depot open until {hhmm(close_s + 60 * mm)}"
                       + (f" (confirmed for these {len(group)} stops together)" if len(group) > 1 else ""))
                ok, extra = self.resolve(_with_types(self.model, t2, close_s=close_s + 60 * mm), group)
                for m in ok - done:
                    self.put(m, "beyond_shift", self._far_reason(m), fix, True, extra)
                done |= ok
                if done >= set(group) or self.budget <= 0:
                    break
            for m in group:
                if m not in done:
                    self.put(m, "beyond_shift", self._far_reason(m), self.unchecked(fix), False, None)

    def driving(self) -> None:
        """Kept out by the driving-time rule (连续驾驶 ≤ 4 h, then 20 min rest; routing/driving.py): a drive from the
        depot (or back) over 4 h, which no rest at a stop splits (a nearer station or a faster vehicle, unchecked);
        or routes that no longer fit their shift with their rests (a shift longer by one rest, else two)."""
        types, close_s = self.types, self.close_s
        law = "4 h of continuous driving, then a rest of at least 20 min (道路交通安全法实施条例 第六十二条)"
        repaired = []
        for m in self.of("driving_rule"):
            f = self.classes[m][1]
            if "leg_s" in f:
                T = types[f["type"]]
                why = f"the drive between it and the depot alone takes {f['leg_s'] / 3600:.1f} h by {T.name}"
                self.put(m, "driving_rule", f"driving-time rule: {why}, more than {law}; rests are taken at stops",
                         f"serve it from a station nearer to it, or with a faster vehicle than the {T.name}", False, None)
            else:
                repaired.append(m)
        if not repaired:
            return
        T = max(types, key=lambda v: v.max_shift_s or 0)
        reason = (f"driving-time rule: the routes that could serve it need the rests of {law}, and with them they "
                  "no longer fit the shift and the depot's hours")
        done: set = set()
        for mm in (REST_S // 60, 2 * REST_S // 60):
            t2 = [replace(v, max_shift_s=v.max_shift_s + 60 * mm) if v.max_shift_s is not None else v for v in types]
            fix = (f"shift longer by {mm} min: {T.name} max_shift_h {(T.max_shift_s or 0) / 3600:g} → "
                   f"{((T.max_shift_s or 0) + 60 * mm) / 3600:.2f}, depot open until {hhmm(close_s + 60 * mm)}"
                   + (f" (confirmed for these {len(repaired)} stops together)" if len(repaired) > 1 else ""))
            ok, extra = self.resolve(_with_types(self.model, t2, close_s=close_s + 60 * mm), repaired)
            for m in ok - done:
                self.put(m, "driving_rule", reason + self.opened, fix, True, extra)
            done |= ok
            if done >= set(repaired) or self.budget <= 0:
                break
        for m in sorted(set(repaired) - done):
            self.put(m, "driving_rule", reason + self.opened, self.unchecked(fix), False, None)

    def window(self) -> None:
        """A time window that closes before any vehicle can get there: keep it open longer."""
        for m in self.of("time_window"):
            f = self.classes[m][1]
            st = self.model.stops[m]
            reason = (f"time window closes at {hhmm(st.tw_late)} but the earliest arrival is {hhmm(f['start'])}"
                      + self.opened)
            new_late = int(f["start"] + 15 * 60)
            fix = f"keep its time window open until {hhmm(new_late)}"
            ok, extra = self.resolve(_with_types(self.model, self.types, stop_tw={m: new_late}), [m])
            self.put(m, "time_window", reason, fix if m in ok else self.unchecked(fix), m in ok,
                     extra if m in ok else None)

    def station(self) -> None:
        """Feasible alone, but its station's ``capacity_per_day`` is used up: raise it.

        Only at a last-mile station whose vans are capped by its capacity (``assignment = "county"``,
        :func:`~culture_logistics.routing.fleet.station_fleet`) and whose uncapped fleet could carry
        more.  One re-solve with the uncapped fleet: every stop it serves (without dropping another)
        was kept out by the capacity alone and gets ``station_capacity`` with the least capacity whose
        capped vans can drive that plan's routes (:func:`~culture_logistics.routing.fleet.smallest_capacity`;
        the routes are put on those vans and checked).  A stop the uncapped fleet cannot serve either is
        left to :meth:`fleet`.  Without a re-solve (no budget left, or ``diagnose = false``) a stop whose
        parcels exceed what is left of the capacity gets ``station_capacity``, unconfirmed.
        """
        spec, model = self.spec, self.model
        C, full = spec.station_capacity, spec.full_fleet
        if spec.echelon != "last_mile" or C is None or not full or \
                sum(f.capacity * f.trips_per_day * f.count for f in full) <= C:
            return
        rest = self.of("fleet_too_small", "no_vehicle")
        if not rest:
            return
        load = int(sum(model.stops[s].delivery for r in self.sol.routes for s in r.stops))
        where = f"station {spec.depot.id} {spec.depot.name}"

        def reason(m):
            d = model.stops[m].delivery
            left = max(0, int(math.floor(C)) - load)
            return (f"station capacity used up: {where} may send out at most {C:g} parcels a day (capacity_per_day) "
                    f"and its vans leave with {load}; {left} left for this stop's {d}" if d > left else
                    f"station capacity used up: {where} may send out at most {C:g} parcels a day (capacity_per_day); "
                    f"the vans that add up to it leave with {load} and cannot take this stop's {d} as well")

        def fix(n, k):
            return (f"raise capacity_per_day of {where} from {C:g} to {n} in facilities.csv"
                    + (f" (confirmed for these {k} stops together)" if k > 1 else ""))

        ok, extra = self.resolve(_with_types(model, [vehicle_type(f) for f in full]), rest, warm=False)
        if self.last is None:  # no re-solve: from the model data alone
            for m in rest:
                if model.stops[m].delivery > int(math.floor(C)) - load:
                    self.classes[m] = ("station_capacity", {})
                    self.put(m, "station_capacity", reason(m),
                             self.unchecked(fix(f"at least {load + model.stops[m].delivery}", 1)), False, None)
            return
        if not ok:
            return
        n, checked = self._capacity_needed(full, self.last)
        for m in sorted(ok):
            self.classes[m] = ("station_capacity", {})
            self.put(m, "station_capacity", reason(m), fix(n, len(ok)) if checked else self.unchecked(fix(n, len(ok))),
                     checked, extra if checked else None)

    def _capacity_needed(self, full: list, sol: _model.Solution) -> tuple[int, bool]:
        """The least capacity_per_day whose capped vans drive the routes of ``sol`` (solved with the
        uncapped ``full`` fleet), and whether those routes, put on those vans, check as a plan."""
        peaks: dict[int, list] = {}
        for r in sol.routes:
            peak = int(max(list(r.trip_loads or [r.start_load]) + list(r.load_after)))
            peaks.setdefault(r.vehicle_type, []).append(peak if not r.reloads else (peak, r.num_trips))
        inbound = int(sum(self.model.stops[s].delivery for r in sol.routes for s in r.stops))
        n, place = smallest_capacity(full, peaks, inbound)
        capped = capped_fleet(full, n)
        order = [r for i in sorted(peaks) for r in sol.routes if r.vehicle_type == i]
        routes = [replace(r, vehicle_type=j, vehicle=v) for r, (j, v) in zip(order, place)]
        m2 = _with_types(self.model, [vehicle_type(f) for _, f in capped])
        return n, len(place) == len(order) and not _model.check_solution(m2, replace(sol, routes=routes))

    def fleet(self) -> None:
        """Feasible alone: the fleet is too small for the day (more vehicles, doubling, else longer shifts)."""
        rest = self.of("fleet_too_small", "no_vehicle")
        if not rest:
            return
        types, spec, at, close_s = self.types, self.spec, self.at, self.close_s
        order = sorted(range(len(types)), key=lambda i: (types[i].fixed_cost, -types[i].capacity, i))
        reason_of = {m: ("fleet too small for the day: the stop can be served on its own, but the vehicles "
                         f"{at} cannot serve it together with the other stops within capacity and shift limits"
                         + (" and range" if any(v.max_distance_m is not None for v in types) else "")
                         + self.opened) if self.classes[m][0] == "fleet_too_small" else
                     (f"fleet too small for the day: no vehicle {at} ([[fleet]] gives {spec.operator}/{spec.echelon} "
                      f"count = 0)") for m in rest}
        if self.sol.status == "no_solution":
            reason_of = {m: f"the solver found no plan at all in {self.tl * 16:.1f} s (the stop can be served on its "
                            "own); run again with a longer --time-limit" for m in rest}
        todo = set(rest)
        k = 1
        while todo and self.budget > 0 and k <= 16:
            for i in order:
                if not todo or self.budget <= 0:
                    break
                t2 = [replace(v, count=(v.count or 0) + k) if j == i else v for j, v in enumerate(types)]
                ok, extra = self.resolve(_with_types(self.model, t2), sorted(todo))
                word = "one more" if k == 1 else f"{k} more"
                for m in ok:
                    self.put(m, self.classes[m][0] if self.classes[m][0] != "no_vehicle" else "fleet_too_small",
                             reason_of[m], f"{word} {types[i].name} (capacity {types[i].capacity}) {at}"
                             + (f" ({k // 2} {'was' if k == 2 else 'were'} not enough)" if k > 1 else "")
                             + (f"; serves {len(ok) - 1} other dropped stop(s) too" if len(ok) > 1 else ""),
                             True, extra)
                todo -= ok
            k *= 2
        if todo and self.budget > 0:
            t2 = [replace(v, max_shift_s=v.max_shift_s + 3600) if v.max_shift_s is not None else v for v in types]
            ok, extra = self.resolve(_with_types(self.model, t2, close_s=close_s + 3600), sorted(todo))
            for m in ok:
                self.put(m, "fleet_too_small", reason_of[m], f"shifts longer by 60 min {at} (depot open until "
                                                             f"{hhmm(close_s + 3600)})", True, extra)
            todo -= ok
        for m in todo:
            self.put(m, "fleet_too_small", reason_of[m], self.unchecked(f"one more {types[order[0]].name} {at}"),
                     False, None)


def _diagnose(ctx: PlanContext, out: SolveOutcome) -> list[dict]:
    """A reason and the smallest fix for every dropped stop of ``out``, confirmed by re-solving
    (demand over capacity, then beyond every vehicle's range, beyond a shift, the driving-time rule, a closed time
    window, a station's capacity_per_day used up, a fleet too small: in that order, sharing one re-solve budget)."""
    d = _Diagnosis(ctx, out)
    d.capacity()
    d.range_()
    d.shift()
    d.driving()
    d.window()
    d.station()
    d.fleet()
    return [d.rows[m] for m in d.dropped]


def vehicle_type(entry: FleetEntry) -> _model.VehicleType:
    """The engine vehicle type of a [[fleet]] entry (engine ``speed_factor`` multiplies *times*: 1 / ours)."""
    return _model.VehicleType(capacity=int(entry.capacity), count=int(entry.count), fixed_cost=float(entry.fixed_cost),
                              cost_per_m=float(entry.cost_per_km) / 1000.0, speed_factor=1.0 / float(entry.speed_factor),
                              max_shift_s=entry.max_shift_s, start_depot=0, name=entry.name,
                              max_distance_m=entry.max_distance_m, max_trips=entry.trips_per_day,
                              reload_s=entry.reload_s)
