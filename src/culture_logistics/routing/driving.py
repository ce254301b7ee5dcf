"""The driving-time rule in a route's schedule: 连续驾驶不得超过4小时, then at least 20 minutes' rest.

《道路交通安全法实施条例》第六十二条 forbids "连续驾驶机动车超过4小时未停车休息或者停车休息时间少于20分钟"
(../shared/docs/COUNTY-PRACTICE.md §5, item 3).  What counts here:

* **driving** is the legs' travel time (the vehicle type's road times);
* a **rest** is a standstill of at least :data:`REST_S` (20 min) at a stop: a ``stop_kind = rest`` row
  of route_plan.csv, or a stop where the vehicle stands that long anyway (service plus any wait for a
  time window: 第六十二条 asks for 停车休息, the vehicle stopped).  A shorter stop does not end a period
  of continuous driving;
* where a route needs a rest it takes it at the **latest stop before the limit is reached** (after its
  service there), 20 min, never on the road: the fewest rests a route can take (the classic greedy
  argument).  A single leg longer than the limit cannot be driven at all;
* the schedule keeps each period of continuous driving within 4 h less :data:`ROUNDING_MARGIN_S` (30 s),
  so that the minutes written to route_plan.csv (rounded to 0.01 min per row) never show more than 4 h;
* passenger buses (bus lines) run to their company's timetable and are not scheduled here; trunk vans and
  last-mile vehicles are.

The same rule is recomputed from route_plan.csv alone by
:func:`culture_logistics.kpis.timing.continuous_driving` (K12 运营安全).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from culture_logistics.routing.engine import model as _model
from culture_logistics.routing.engine.trips import route_locations

#: the longest continuous driving allowed (第六十二条: 4 h), seconds
MAX_CONTINUOUS_DRIVING_S = 4 * 3600

#: the shortest rest that ends a period of continuous driving (第六十二条: 20 min), seconds
REST_S = 20 * 60

#: the schedule keeps continuous driving this much below the limit: the written minutes are rounded
ROUNDING_MARGIN_S = 30

#: the limit the schedule keeps (s)
DRIVING_LIMIT_S = MAX_CONTINUOUS_DRIVING_S - ROUNDING_MARGIN_S


def _timeline(model: _model.Model, r: _model.Route, dep: int, rests: dict):
    """Route ``r`` (its stops and reloads) driven from ``dep`` with ``rests`` (stop position -> s after its
    service): (arrivals, service starts, reload arrivals, reload departures, return, the periods of continuous
    driving, the stop position where the first period over :data:`DRIVING_LIMIT_S` needed a rest or None).

    Driving adds up over the legs of the whole day, across trips; it ends at a rest, a standstill at a stop
    (waiting, service and rest) or a reload at the station (waiting and ``reload_s``) of at least :data:`REST_S`.
    The rest is due at the latest stop of the period before the leg that would pass the limit (a short reload
    between them is no rest: the period runs on through it); -1 when the period has no stop to rest at."""
    vt = model.vehicle_types[r.vehicle_type]
    tt = model.travel_time(r.vehicle_type)
    locs = route_locations(model, r.vehicle_type, r.stops, r.reloads)
    e0, _ = _model.depot_window(model.depots[vt.start_depot])
    rel = set(r.reloads)
    t, run, li, last = int(dep), 0, 0, -1
    arr, sst, ra, rd, runs, due = [], [], [], [], [], None

    def drive() -> None:
        nonlocal t, run, li, due
        d = int(tt[locs[li], locs[li + 1]])
        if run + d > DRIVING_LIMIT_S and due is None:
            due = last
        t += d
        run += d
        li += 1

    def stand(since: int) -> None:
        nonlocal run, last
        if t - since >= REST_S:
            runs.append(run)
            run, last = 0, -1

    for j, s in enumerate(r.stops):
        if j in rel:
            drive()
            ra.append(t)
            t = max(t, e0) + int(vt.reload_s)
            rd.append(t)
            stand(ra[-1])
        drive()
        st = model.stops[s]
        arr.append(t)
        sst.append(max(t, _model.stop_window(st)[0]))
        t = sst[-1] + st.service_s + int(rests.get(j, 0))
        last = j
        stand(arr[-1])
    drive()
    runs.append(run)
    return arr, sst, ra, rd, t, runs, due


def _schedule(model: _model.Model, r: _model.Route, dep: int) -> _model.Route | None:
    """``r`` leaving at ``dep`` with a rest at the latest stop before each period of driving would pass the
    limit (across its trips); None when a period has no stop to rest at before it passes the limit (a leg alone
    longer than the limit) or the schedule breaks a time window, the shift or the depot's hours."""
    vt = model.vehicle_types[r.vehicle_type]
    rests: dict = {}
    while True:
        arr, sst, ra, rd, ret, _, due = _timeline(model, r, dep, rests)
        if due is None:
            break
        if due < 0 or due in rests:
            return None
        rests[due] = REST_S
    if any(s > _model.stop_window(model.stops[m])[1] for s, m in zip(sst, r.stops)):
        return None
    _, close = _model.depot_window(model.depots[vt.end])
    _, close0 = _model.depot_window(model.depots[vt.start_depot])
    if ret > close or any(a > close0 for a in ra) or (vt.max_shift_s is not None and ret - dep > vt.max_shift_s):
        return None
    return replace(r, departure_s=int(dep), arrival_s=arr, service_start_s=sst, return_s=int(ret),
                   rest_after=rests, **({"reload_arrival_s": ra, "reload_departure_s": rd} if r.reloads else {}))


def rested_route(model: _model.Model, r: _model.Route) -> _model.Route | None:
    """Route ``r`` with the rests the driving-time rule needs (module docstring): ``r`` itself when it needs
    none; else the same stops (and trips) with ``rest_after`` and the later times, leaving at ``r``'s departure
    or, when that no longer fits, as early as its depot opens; None when the rule cannot be kept within the
    route's time windows, shift and depot hours."""
    if max(driving_runs_s(model, r)) <= DRIVING_LIMIT_S and not r.rest_after:
        return r
    for dep in dict.fromkeys([int(r.departure_s), int(model.depots[model.vehicle_types[r.vehicle_type].start_depot]
                                                      .tw_early or 0)]):
        new = _schedule(model, r, dep)
        if new is not None:
            return new
    return None


def driving_runs_s(model: _model.Model, r: _model.Route) -> list[int]:
    """The periods of continuous driving of route ``r`` (s) over its whole day (all its trips), recomputed from
    the model and the route's own times: driving adds up over legs and ends at a rest after a stop
    (``rest_after``), a standstill at a stop (arrival to the end of service, plus any rest) or a reload at the
    station (arrival to departure again: waiting and ``reload_s``) of at least :data:`REST_S`."""
    tt = model.travel_time(r.vehicle_type)
    locs = route_locations(model, r.vehicle_type, r.stops, r.reloads)
    rel = set(r.reloads)
    runs, run, li = [], 0, 0
    for j, s in enumerate(r.stops):
        if j in rel:
            run += int(tt[locs[li], locs[li + 1]])
            li += 1
            q = r.reloads.index(j)
            if int(r.reload_departure_s[q]) - int(r.reload_arrival_s[q]) >= REST_S:
                runs.append(run)
                run = 0
        run += int(tt[locs[li], locs[li + 1]])
        li += 1
        stand = int(r.service_start_s[j]) - int(r.arrival_s[j]) + model.stops[s].service_s
        if stand + int(r.rest_after.get(j, 0)) >= REST_S:
            runs.append(run)
            run = 0
    runs.append(run + int(tt[locs[li], locs[li + 1]]))
    return runs


def driving_problems(model: _model.Model, r: _model.Route) -> list[str]:
    """What in route ``r`` breaks the driving-time rule: a period of continuous driving over 4 h
    (:data:`MAX_CONTINUOUS_DRIVING_S`) or a rest shorter than 20 min; [] when none."""
    out = [f"continuous driving of {run / 3600:.2f} h (more than 4 h without a 20 min rest)"
           for run in driving_runs_s(model, r) if run > MAX_CONTINUOUS_DRIVING_S]
    out += [f"a rest of {s / 60:g} min after stop {r.stops[j]} (at least {REST_S // 60} min)"
            for j, s in r.rest_after.items() if 0 < s < REST_S]
    return out


def check_driving(model: _model.Model, sol: _model.Solution) -> list[str]:
    """The driving-time rule's violations of every route of ``sol`` (:func:`driving_problems`)."""
    return [f"route {i}: {p}" for i, r in enumerate(sol.routes) for p in driving_problems(model, r)]


def insert_rest_rows(rows: list[dict], rest_after: dict) -> list[dict]:
    """One route's rows (depot, its stops in order with any ``reload`` rows between its trips, depot) with a
    ``stop_kind = rest`` row after each stop where the route rests (``rest_after``: stop position, 0 for the
    first stop, reload rows not counted → seconds; the driving-time rule, :mod:`culture_logistics.routing.driving`),
    ``seq`` renumbered.

    A rest row stands where the vehicle rests (the stop's id, name and place), from the stop's departure for
    the rest's length: no parcels, no leg (``leg_m`` 0), the load the vehicle left the stop with, the stop's
    ``trip``.  The rows
    themselves are returned (the rest rows new), so without a rest the list is unchanged.
    """
    if not rest_after:
        return rows
    out, j = [], -1
    for i, row in enumerate(rows):
        out.append(row)
        if not 0 < i < len(rows) - 1 or row["stop_kind"] == "reload":
            continue
        j += 1                  # the stop's position in the route (reload rows are no stops)
        if rest_after.get(j, 0) > 0:
            start = row["departure_min"]
            end = round(start + rest_after[j] / 60.0, 2)
            while end - start < rest_after[j] / 60.0:   # read back, the written minutes show the whole rest
                end = round(end + 0.01, 2)
            out.append(row | {"stop_kind": "rest", "delivered": 0, "picked_up": 0, "leg_m": 0, "arrival_min": start,
                              "service_start_min": None, "departure_min": end,
                              "point_id": "", "point_name": "", "service_point_id": "", "delivered_cultural": 0,
                              "picked_up_cultural": 0})
    for k, row in enumerate(out):
        row["seq"] = k
    return out


def keep_driving_rule(model: _model.Model, sol: _model.Solution,
                      solve_again: Callable[[_model.Model], _model.Solution],
                      retime: Callable[[_model.Model, _model.Route], _model.Route],
                      stats: dict | None = None) -> _model.Solution:
    """``sol`` with every route keeping 连续驾驶 ≤ 4 h by 20 min rests (:mod:`culture_logistics.routing.driving`).

    Most routes need no rest, or fit theirs: they get them (``Route.rest_after``, later times).  When a route
    cannot fit its rests in its time windows, shift or depot hours, the model is solved again with days
    shorter by one, then two rests (20 and 40 min off every shift and the depot's closing time), and of
    these solutions (and the first) the one dropping fewest stops, then the cheapest, is kept; in it a route
    that still cannot fit its rests loses stops until it does.  A stop dropped only for the rule gets
    ``drop_reasons[m] = "driving_rule"`` (the diagnosis of :mod:`culture_logistics.routing.solving` explains it
    in unserved.csv); ``stats["driving_rule_repairs"]`` counts the repairs.  ``solve_again(model)`` solves a
    model with the shorter day (the engine's solution, not yet re-timed); ``retime(model, route)`` schedules a
    route before its rests (:func:`culture_logistics.routing.solving.solve_model`'s re-timing).
    """
    rested = [rested_route(model, r) for r in sol.routes]
    if all(x is not None for x in rested):
        return sol if all(x is r for x, r in zip(rested, sol.routes)) else replace(sol, routes=rested)
    best = _rule_solution(model, sol, sol.routes, retime)
    for k in (1, 2):
        m2 = _shorter_day(model, k * REST_S)
        if m2 is None:
            break
        s2 = solve_again(m2)
        if s2.status == "no_solution":
            continue
        cand = _rule_solution(model, s2, [retime(m2, r) for r in s2.routes], retime)
        if (len(cand.dropped), cand.cost) < (len(best.dropped), best.cost):
            best = cand
        if len(best.dropped) <= len(sol.dropped):
            break
    before = set(sol.dropped)
    best.drop_reasons = dict(best.drop_reasons) | {m: "driving_rule" for m in best.dropped if m not in before}
    if stats is not None:
        stats["driving_rule_repairs"] = stats.get("driving_rule_repairs", 0) + 1
    return best


def _shorter_day(model: _model.Model, cut_s: int) -> _model.Model | None:
    """``model`` with every shift and every depot's closing time ``cut_s`` earlier (None: nothing to cut)."""
    types = [replace(v, max_shift_s=v.max_shift_s - cut_s) if v.max_shift_s is not None and v.max_shift_s > cut_s
             else v for v in model.vehicle_types]
    deps = [replace(d, tw_late=d.tw_late - cut_s) if d.tw_late is not None and d.tw_late - cut_s >= (d.tw_early or 0)
            else d for d in model.depots]
    if types == model.vehicle_types and deps == model.depots:
        return None
    return _model.Model(deps, model.stops, types, model.distance, model.duration)


def _rule_solution(model: _model.Model, sol: _model.Solution, routes: list, retime: Callable) -> _model.Solution:
    """A solution of ``model`` from ``routes`` (of ``sol``), each with its rests, a route that cannot fit them
    losing stops (the one whose loss leaves the shortest route that fits, else its last) until it can."""
    out = []
    for r in routes:
        x = rested_route(model, r)
        while x is None and r.stops:
            tries = []
            for i in range(len(r.stops)):
                y = _rebuilt(model, r, i, retime)
                z = rested_route(model, y) if y is not None else None
                if z is not None:
                    tries.append((z.distance, i, z))
            if tries:
                x = min(tries, key=lambda t: t[:2])[2]
                break
            r = _rebuilt(model, r, len(r.stops) - 1, retime)
            if r is None:
                break
            x = rested_route(model, r)
        if x is not None:
            out.append(x)
    served = {s for r in out for s in r.stops}
    dropped = [m for m in range(len(model.stops)) if m not in served]
    dpen = _model.default_drop_penalty(model) if dropped else 0.0
    pen = sum(dpen if model.stops[m].drop_penalty is None else model.stops[m].drop_penalty for m in dropped)
    cost = sum(model.vehicle_types[r.vehicle_type].fixed_cost + model.vehicle_types[r.vehicle_type].cost_per_m
               * r.distance for r in out)
    return replace(sol, routes=out, dropped=dropped, drop_reasons={m: sol.drop_reasons[m] for m in dropped
                                                                   if m in sol.drop_reasons},
                   cost=float(cost), penalty=float(pen), distance=int(sum(r.distance for r in out)),
                   status="partial" if dropped else "feasible")


def _rebuilt(model: _model.Model, r: _model.Route, i: int, retime: Callable) -> _model.Route | None:
    """Route ``r``'s vehicle driving its stops but the one at position ``i``, on the same trips (a trip left
    empty goes: its reload with it), re-timed (None for no stop)."""
    stops = r.stops[:i] + r.stops[i + 1:]
    if not stops:
        return None
    reloads = sorted({p - 1 if p > i else p for p in r.reloads} - {0, len(stops)})
    vt = model.vehicle_types[r.vehicle_type]
    dep = int(model.depots[vt.start_depot].tw_early or 0)
    return retime(model, _model.make_route(model, r.vehicle_type, list(stops), dep, vehicle=r.vehicle,
                                           reloads=reloads))
