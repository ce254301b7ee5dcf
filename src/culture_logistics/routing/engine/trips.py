"""Vehicles that make several trips a day (``VehicleType.max_trips``): a route's locations in the order driven,
its earliest schedule with the reloads at its start depot, and the checker's schedule check of such a route.

Used by :func:`~culture_logistics.routing.engine.model.make_route` and
:func:`~culture_logistics.routing.engine.model.check_solution` for routes with ``reloads``; it takes their model
(``model``), route (``r``) and vehicle type (``vt``) as they are and imports nothing from that module, which
imports it (no cycle).
"""
from __future__ import annotations

INF_TIME = 10**12  # "no limit" (s), as engine.model.INF_TIME


def _window(x) -> tuple[int, int]:
    """(earliest, latest) of a stop's or depot's window, :data:`INF_TIME` for no latest time."""
    return (x.tw_early or 0, INF_TIME if x.tw_late is None else x.tw_late)


def route_locations(model, vt_index: int, stops: list[int], reloads=()) -> list[int]:
    """Matrix indices of a route in the order driven: start depot, stops (the start depot again before each
    position of ``reloads``), end depot."""
    vt = model.vehicle_types[vt_index]
    D = len(model.depots)
    rel = set(reloads)
    locs = [vt.start_depot]
    for j, s in enumerate(stops):
        if j in rel:
            locs.append(vt.start_depot)
        locs.append(D + s)
    return locs + [vt.end]


def trips_route_fields(model, vt_index: int, stops: list[int], departure: int, vehicle: int,
                       reloads: list[int]) -> dict:
    """The fields of the Route :func:`~culture_logistics.routing.engine.model.make_route` builds for several
    trips: the vehicle reloads at its start depot before each position of ``reloads`` (waiting for it to open,
    then ``reload_s``); the load restarts at every trip."""
    vt = model.vehicle_types[vt_index]
    locs = route_locations(model, vt_index, stops, reloads)
    legs = [int(model.distance[a, b]) for a, b in zip(locs[:-1], locs[1:])]
    tt = model.travel_time(vt_index)
    e0, _ = _window(model.depots[vt.start_depot])
    bounds = [0] + list(reloads) + [len(stops)]
    trip_loads = [sum(model.stops[s].delivery for s in stops[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    rel = set(reloads)
    t, li, load = int(departure), 0, trip_loads[0]
    arr, sst, loads, ra, rd = [], [], [], [], []
    for j, s in enumerate(stops):
        if j in rel:
            t += int(tt[locs[li], locs[li + 1]])
            li += 1
            ra.append(t)
            t = max(t, e0) + int(vt.reload_s)
            rd.append(t)
            load = trip_loads[len(ra)]
        st = model.stops[s]
        t += int(tt[locs[li], locs[li + 1]])
        li += 1
        arr.append(t)
        t = max(t, _window(st)[0])
        sst.append(t)
        t += st.service_s
        load = load - st.delivery + st.pickup
        loads.append(load)
    t += int(tt[locs[li], locs[li + 1]])
    return dict(vehicle_type=vt_index, stops=list(stops), departure_s=int(departure), arrival_s=arr,
                service_start_s=sst, load_after=loads, leg_distance=legs, start_load=trip_loads[0],
                return_s=t, start_depot=vt.start_depot, end_depot=vt.end, vehicle=vehicle, reloads=list(reloads),
                 reload_arrival_s=ra, reload_departure_s=rd, trip_loads=trip_loads)


def check_trips_schedule(model, r, vt, tag: str, P: list) -> int:
    """:func:`~culture_logistics.routing.engine.model.check_solution`'s schedule check of a route of several
    trips: every trip leaves from and comes back to the start depot (reload_s there, within its opening hours),
    a rest after a stop's service (``rest_after``) delays everything after it, the shift and the range hold over
    the whole day."""
    locs = route_locations(model, r.vehicle_type, r.stops, r.reloads)
    legs = [int(model.distance[a, b]) for a, b in zip(locs[:-1], locs[1:])]
    if list(map(int, r.leg_distance)) != legs:
        P.append(f"{tag}: leg distances {list(r.leg_distance)} != matrix {legs}")
    e0, l0 = _window(model.depots[vt.start_depot])
    t = int(r.departure_s)
    if t < e0 or t > l0:
        P.append(f"{tag}: departure {t} outside start-depot window [{e0}, {l0}]")
    tt = model.travel_time(r.vehicle_type)
    rel = set(r.reloads)
    li = 0
    for j, s in enumerate(r.stops):
        if j in rel:
            t += int(tt[locs[li], locs[li + 1]])
            li += 1
            q = r.reloads.index(j)
            if q < len(r.reload_arrival_s) and r.reload_arrival_s[q] != t:
                P.append(f"{tag}: reported arrival for reload {q + 1} is {r.reload_arrival_s[q]}, recomputed {t}")
            if locs[li] != vt.start_depot:
                P.append(f"{tag}: trip {q + 2} does not leave from the vehicle's depot {vt.start_depot}")
            t = max(t, e0)
            if t > l0:
                P.append(f"{tag}: reloads at {t}, after the depot's tw_late {l0}")
            t += int(vt.reload_s)
            if q < len(r.reload_departure_s) and r.reload_departure_s[q] != t:
                P.append(f"{tag}: reported departure after reload {q + 1} is {r.reload_departure_s[q]}, "
                         f"recomputed {t}")
        t += int(tt[locs[li], locs[li + 1]])
        li += 1
        st = model.stops[s]
        e, l = _window(st)
        if j < len(r.arrival_s) and r.arrival_s[j] != t:
            P.append(f"{tag}: reported arrival at stop {s} is {r.arrival_s[j]}, recomputed {t}")
        start = max(t, e)
        if j < len(r.service_start_s) and r.service_start_s[j] != start:
            P.append(f"{tag}: reported service start at stop {s} is {r.service_start_s[j]}, recomputed {start}")
        if start > l:
            P.append(f"{tag}: service at stop {s} starts at {start}, after tw_late {l}")
        rest = int(r.rest_after.get(j, 0))
        if rest < 0:
            P.append(f"{tag}: negative rest after stop {s}")
        t = start + st.service_s + rest
    t += int(tt[locs[li], locs[li + 1]])
    if locs[-1] != vt.end:
        P.append(f"{tag}: the last trip does not return to the vehicle's depot {vt.end}")
    _, l1 = _window(model.depots[vt.end])
    if t > l1:
        P.append(f"{tag}: returns at {t}, after end-depot tw_late {l1}")
    if r.return_s != t:
        P.append(f"{tag}: reported return {r.return_s}, recomputed {t}")
    if vt.max_shift_s is not None and t - r.departure_s > vt.max_shift_s:
        P.append(f"{tag}: day of {t - r.departure_s} s over {r.num_trips} trips exceeds the shift {vt.max_shift_s} s")
    if vt.max_distance_m is not None and sum(legs) > vt.max_distance_m:
        P.append(f"{tag}: distance {sum(legs)} m over {r.num_trips} trips exceeds the vehicle's range "
                 f"{vt.max_distance_m} m")
    return sum(legs)
