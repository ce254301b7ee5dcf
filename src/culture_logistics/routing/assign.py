"""County-wide last mile: a village may be served from any station of the plan's network.

``[routing] assignment = "county"`` (the default) replaces "each township's villages from its own
station" by multi-depot models in which every station of the plan's network (the stations the
township rule chose, plus the county depot where it serves a township without a station) sends its
own vans, and the solver decides which station serves which village.

Decomposition
    A model holds at most :data:`MAX_MODEL_STOPS` villages.  The stations are split by recursive
    bisection along the principal axis of their positions (weighted by their home villages, ties by
    id), so every model is a block of neighbouring townships; a village is in the model of its home
    station (the one the township rule gives it) and can move to any station of that block.

Station capacity (hard)
    A station's ``capacity_per_day`` bounds the **inbound** parcels it handles: the deliveries its
    vans leave with.  It is enforced exactly by the fleet each station gets
    (:func:`~culture_logistics.routing.fleet.station_fleet`): vans whose daily totals (capacity × max_trips) sum to at most
    ``capacity_per_day`` (whole vans, then one van limited to the remainder), so no plan can dispatch
    more.  Outbound parcels (pickups) are not bounded by it: they leave the station on the next trunk;
    a van's capacity still bounds what it carries at every moment.  A village dropped because its
    station's capacity is used up is listed unserved as ``station_capacity``, with the capacity the
    station would need (each station's spec keeps its cap and its uncapped fleet for that diagnosis).

Outputs
    Every village served from a station other than its home one is listed
    (:attr:`~culture_logistics.routing.plan.RoutePlan.moved`, ``summary.json["villages_moved"]``).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from culture_logistics.errors import SolverError
from culture_logistics.routing.driving import check_driving, rested_route
from culture_logistics.routing.engine import model as _model
from culture_logistics.routing.fleet import station_fleet
from culture_logistics.routing.parallel import map_forked
from culture_logistics.routing.solving import SolveOutcome, build_spec, solve_model, vehicle_type
from culture_logistics.routing.specs import ModelSpec, PlanContext, village_count

#: the largest number of villages in one county-wide last-mile model
MAX_MODEL_STOPS = 600

#: a distance (m) / time (s) standing in for "no road path" inside a multi-depot model: larger
#: than any shift or day, so the solver can never use such a leg
_NO_PATH = 10**9


def station_clusters(ctx: PlanContext, lm: dict[str, ModelSpec], max_stops: int | None = None) -> list[list[str]]:
    """Blocks of neighbouring stations (depot ids) with at most ``max_stops`` home villages each
    (a single station with more stays alone): recursive bisection along the principal axis, each cut
    putting ⌊parts / 2⌋ of the ⌈villages / max_stops⌉ parts on one side, so a county gets about as
    few models as the limit allows."""
    max_stops = MAX_MODEL_STOPS if max_stops is None else max_stops
    ids = sorted(lm)
    if not ids:
        return []
    lon = np.array([lm[d].depot.lon for d in ids])
    lat = np.array([lm[d].depot.lat for d in ids])
    x, y = ctx.net.to_metric(lon, lat)
    xy = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]).astype(float)
    w = np.array([len(lm[d].stops) for d in ids], dtype=float)

    def split(idx: list[int]) -> list[list[int]]:
        if len(idx) <= 1 or w[idx].sum() <= max_stops:
            return [idx]
        pts = xy[idx]
        c = pts - np.average(pts, axis=0, weights=np.maximum(w[idx], 1e-9))
        axis = np.linalg.svd(c, full_matrices=False)[2][0]
        axis = axis if (axis[0], axis[1]) >= (0, 0) else -axis  # sign fixed: same split on any machine
        order = sorted(idx, key=lambda i: (float(xy[i] @ axis), ids[i]))
        cum = np.cumsum(w[order])
        parts = math.ceil(cum[-1] / max_stops)  # as few models as the limit allows: cut off ⌊parts/2⌋ of them
        k = int(np.searchsorted(cum, cum[-1] * (parts // 2) / parts)) + 1
        k = min(max(k, 1), len(order) - 1)
        return split(order[:k]) + split(order[k:])

    return [[ids[i] for i in sorted(block, key=lambda i: ids[i])] for block in split(list(range(len(ids))))]


def county_last_mile(ctx: PlanContext, operator: str, lm: dict[str, ModelSpec],
                     progress: Callable | None = None) -> tuple[dict, dict, list, list]:
    """Solve the last mile of ``operator`` county-wide.

    Each block of :func:`station_clusters` is one multi-depot model in which every station has the
    fleet of :func:`station_fleet` (vans adding up to at most its ``capacity_per_day``).  Villages a
    block cannot serve get one more multi-depot model over every station with capacity and vans to
    spare (the *repair* model).

    Why every station is capped from the start, not only those found over capacity: capping only
    the stations a first solve overloads, then solving again until none is, gave plans of the same
    cost (诸城 3,906–4,126 against 4,126 CNY/day, 滕州 8,964–9,015 against 8,953, one run each on a
    loaded machine) in two to three times the solver time.

    Parameters
    ----------
    lm : depot id → last-mile spec by the township rule (its villages are the depot's *home* villages).

    Returns
    -------
    (specs, outcomes, moved, models): per station the spec of the villages it now serves (home
    villages nobody could serve stay with it, dropped) and its single-depot outcome (the routes of
    the multi-depot models, checked against that station's own model, so re-timing and the diagnosis
    of dropped stops work per station); the villages that moved (dicts); the statistics of every
    multi-depot model solved.
    """
    cap = {str(k): (float(c) if c is not None and np.isfinite(float(c)) else None)
           for k, c in zip(ctx.facilities["id"], ctx.facilities["capacity_per_day"])}
    home_of = {s.stop_id: d for d, spec in lm.items() for s in spec.stops}
    fleets = {d: station_fleet(spec.fleet, cap.get(d)) for d, spec in lm.items()}
    assigned: dict = {}
    routes: dict = {}
    models: list = []
    reachable: set = set()
    blocks = list(enumerate(station_clusters(ctx, lm), start=1))

    def solve(item, progress):
        ci, block = item
        stops = [(h, s) for h, d in enumerate(block) for s in lm[d].stops]
        if progress:
            progress(f"{operator} last mile: {village_count(s for _, s in stops)} villages from {len(block)} stations "
                     f"(county-wide model {ci})")
        return _solve_block(ctx, lm, block, {d: fleets[d] for d in block}, stops, f"{ci}")

    for a, rts, stats, keep in map_forked(solve, blocks, ctx.params.workers, progress, warm=ctx):
        models.append(stats)
        assigned.update(a)
        reachable |= keep
        for d, r in rts.items():
            routes.setdefault(d, []).extend(r)
    extra = _repair(ctx, lm, fleets, cap, assigned, routes, reachable, models, progress)
    rule = {sid for m in models for sid in m.get("driving_rule_stops", [])}
    specs: dict = {}
    outcomes: dict = {}
    moved: list = []
    for d in sorted(lm):
        mine = [s for b in sorted(lm) for s in lm[b].stops if assigned.get(s.stop_id, home_of[s.stop_id]) == d]
        if not mine:
            continue
        spec = replace(lm[d], stops=mine, fleet=fleets[d] + extra.get(d, []), station_capacity=cap.get(d),
                       full_fleet=list(lm[d].fleet))
        out = build_spec(ctx, spec)
        if out.model is not None:
            out = _adopt(out, routes.get(d, []), rule, ctx.params.driving_rule)
        specs[d], outcomes[d] = spec, out
        listed: set = set()   # a split village's visits: listed once per station they moved to
        for s in mine:
            if s.stop_id in assigned and d != home_of[s.stop_id] and s.code not in listed:
                listed.add(s.code)
                moved.append({"operator": operator, "village_code": s.code, "village_name": s.stop_name,
                              "home_station_id": home_of[s.stop_id], "station_id": d,
                              "station_name": lm[d].depot.name})
    return specs, outcomes, moved, models


def _specs(lm: dict, block: list, ids: list) -> list:
    want = set(ids)
    return [s for d in block for s in lm[d].stops if s.stop_id in want]


def _repair(ctx: PlanContext, lm: dict, fleets: dict, cap: dict, assigned: dict, routes: dict, reachable: set,
            models: list, progress: Callable | None) -> dict:
    """Serve the villages the blocks dropped from any station with vans and capacity to spare; returns
    the extra vehicle types per station (appended after its block fleet) and adds to ``assigned``,
    ``routes`` and ``models``."""
    ids = sorted(lm)
    left = [(h, s) for h, d in enumerate(ids) for s in lm[d].stops
            if s.stop_id not in assigned and s.stop_id in reachable]
    if not left:
        return {}
    extra: dict = {}
    for d in ids:
        used: dict = {}
        load = 0
        for j, _, sids, *_ in routes.get(d, []):
            used[j] = used.get(j, 0) + 1
            load += sum(s.delivery for s in _specs(lm, ids, sids))
        spare = [replace(f, count=f.count - used.get(j, 0)) for j, f in enumerate(fleets[d])
                 if f.count - used.get(j, 0) > 0]
        if spare:
            c = cap.get(d)
            extra[d] = station_fleet(spare, None if c is None else c - load)
            extra[d] = [replace(f, name=f"{f.name}+") for f in extra[d] if f.count > 0]
    block = [d for d in ids if extra.get(d)]
    if not block:
        return {}
    pos = {d: h for h, d in enumerate(block)}
    stops = [(pos.get(ids[h], 0), s) for h, s in left]
    if progress:
        progress(f"last mile: {len(stops)} villages no block could serve, from {len(block)} stations with room")
    a, rts, stats, _ = _solve_block(ctx, lm, block, {d: extra[d] for d in block}, stops, "repair")
    models.append(stats)
    assigned.update(a)
    for d, r in rts.items():
        off = len(fleets[d])
        routes.setdefault(d, []).extend((j + off, v, sids, dep, rel) for j, v, sids, dep, rel in r)
    return {d: extra[d] for d in block}


def _solve_block(ctx: PlanContext, lm: dict, block: list[str], fleets: dict, stops: list, tag: str):
    """One multi-depot model over the stations ``block`` (with ``fleets``) and ``stops`` ((index of
    the station in ``block`` that must reach the village, village spec)): (village → station serving
    it, station → [(fleet index, vehicle rank, village ids in order, departure s)], model
    statistics, ids of the villages in the model); a route is (fleet index, vehicle rank, village ids in order,
    departure s, positions of its reloads)."""
    p = ctx.params
    net = ctx.net
    deps = [lm[d].depot for d in block]
    D = len(deps)
    snap = net.snap(np.array([d.lon for d in deps] + [s.lon for _, s in stops]),
                    np.array([d.lat for d in deps] + [s.lat for _, s in stops]))
    L, T = net.full_matrix(snap, "length"), net.full_matrix(snap, "travel_time")
    # a village joins the model when its home station reaches it (both ways); the others stay
    # with their home station, which lists them unreachable
    keep = [k for k, (h, _) in enumerate(stops)
            if np.isfinite(L[h, D + k]) and np.isfinite(L[D + k, h]) and np.isfinite(T[h, D + k])
            and np.isfinite(T[D + k, h])]
    idx = list(range(D)) + [D + k for k in keep]
    dist = np.where(np.isfinite(L[np.ix_(idx, idx)]), np.rint(L[np.ix_(idx, idx)]), _NO_PATH).astype(np.int64)
    dur = np.where(np.isfinite(T[np.ix_(idx, idx)]), np.rint(T[np.ix_(idx, idx)]), _NO_PATH).astype(np.int64)
    mdeps = [_model.Depot(name=d.id, tw_early=int(lm[b].open_s), tw_late=int(lm[b].close_s))
             for d, b in zip(deps, block)]
    mstops = []
    for k in keep:
        s = stops[k][1]
        e, l = s.tw if s.tw is not None else (None, None)
        mstops.append(_model.Stop(delivery=int(s.delivery), pickup=int(s.pickup), service_s=int(s.service_s),
                                  tw_early=e, tw_late=l, name=s.stop_id))
    types, tmap = [], []
    for h, d in enumerate(block):
        for j, f in enumerate(fleets[d]):
            types.append(replace(vehicle_type(f), start_depot=h))
            tmap.append((d, j))
    stats = {"operator": lm[block[0]].operator, "echelon": "last_mile",
             "depot_id": f"county-wide model {tag}: " + " ".join(block), "stops": len(stops),
             "stops_routed": len(keep), "stations": len(block), "time_limit_s": 0.0, "solve_s": 0.0,
             "status": "", "resolves": 0}
    kept = {stops[k][1].stop_id for k in keep}
    if not keep:
        return {}, {}, stats, kept
    model = _model.Model(mdeps, mstops, types, dist, dur)
    tl = p.model_time_limit(len(keep))
    t0 = time.perf_counter()
    sol = solve_model(model, p, tl, stats=stats)
    stats.update(time_limit_s=round(tl, 3), solve_s=round(time.perf_counter() - t0, 3), status=sol.status,
                 engine=sol.engine, cost=round(sol.cost, 2), dropped=len(sol.dropped),
                 overrun_s=round(float(sol.stats.get("overrun_s", 0.0)), 3))
    rule = sorted(stops[keep[m]][1].stop_id for m, why in sol.drop_reasons.items() if why == "driving_rule")
    if rule:   # dropped for the driving-time rule alone: the station's own diagnosis says so
        stats["driving_rule_stops"] = rule
    assigned: dict = {}
    routes: dict = {}
    rank: dict = {}
    for r in sol.routes:
        d, j = tmap[r.vehicle_type]
        ids = [stops[keep[s]][1].stop_id for s in r.stops]
        for sid in ids:
            assigned[sid] = d
        rank[(d, j)] = rank.get((d, j), -1) + 1
        routes.setdefault(d, []).append((j, rank[(d, j)], ids, int(r.departure_s), list(r.reloads)))
    return assigned, routes, stats, kept


def _adopt(out: SolveOutcome, routes: list, rule: set | frozenset = frozenset(), driving_rule: bool = True) \
        -> SolveOutcome:
    """``out`` (a station's own model, unsolved) with the routes the multi-depot model gave the
    station, re-checked against the station's model; its dropped stops whose ids are in ``rule`` were dropped
    for the driving-time rule (``drop_reasons``); ``driving_rule``: the routes keep it (their rests)."""
    model = out.model
    index = {out.spec.stops[k].stop_id: m for m, k in enumerate(out.keep)}
    rs = [_model.make_route(model, j, [index[sid] for sid in ids], dep, vehicle=v, reloads=rel)
          for j, v, ids, dep, rel in routes]
    if driving_rule:   # the rests the multi-depot model's routes took
        rs = [rested_route(model, r) or r for r in rs]
    served = {s for r in rs for s in r.stops}
    dropped = [m for m in range(len(model.stops)) if m not in served]
    pen = _model.default_drop_penalty(model) if dropped else 0.0
    status = "partial" if dropped else "feasible"
    cost = sum(model.vehicle_types[r.vehicle_type].fixed_cost + model.vehicle_types[r.vehicle_type].cost_per_m
               * r.distance for r in rs)
    why = {m: "driving_rule" for m in dropped if model.stops[m].name in rule}
    sol = _model.Solution(routes=rs, dropped=dropped, drop_reasons=why, cost=float(cost), penalty=pen * len(dropped),
                          distance=int(sum(r.distance for r in rs)), status=status, solve_seconds=0.0,
                          engine="county-wide")
    problems = _model.check_solution(model, sol) + (check_driving(model, sol) if driving_rule else [])
    if problems:  # pragma: no cover - the station's model and the multi-depot model disagree: a bug here
        raise SolverError(f"county-wide last mile: the routes of station {out.spec.depot.id} do not fit its own "
                          "model: " + "; ".join(problems[:5]))
    stats = dict(out.stats, status=status, engine=sol.engine, cost=round(sol.cost, 2),
                 solved_in="county-wide models")
    return replace(out, solution=sol, stats=stats)
