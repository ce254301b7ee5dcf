"""Re-timing a solved route: the same stops (and trips) leaving as early as the depot opens, then pushed as late
as the waiting for time windows allows (:func:`culture_logistics.routing.solving.solve_model` re-times every
route it solves so; the driving-time rule's repair re-times the routes it rebuilds the same way).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from culture_logistics.routing.engine import model as _model


def retime_route(model: _model.Model, r: _model.Route) -> _model.Route:
    """The same route scheduled to leave as early as the depot opens (waiting only where a time window
    makes it wait, then pushed as late as that waiting allows); falls back to ``r`` if that breaks the shift."""
    vt = model.vehicle_types[r.vehicle_type]
    dep0 = int(model.depots[vt.start_depot].tw_early or 0)
    if r.reloads:
        return retime_trips(model, r, vt, dep0)
    tt = model.travel_time(r.vehicle_type)
    D = len(model.depots)
    locs = [vt.start_depot] + [D + s for s in r.stops] + [vt.end]

    def schedule(dep):
        t = dep
        arr, sst = [], []
        for j, s in enumerate(r.stops):
            st = model.stops[s]
            t += int(tt[locs[j], locs[j + 1]])
            arr.append(t)
            t = max(t, st.tw_early or 0)
            sst.append(t)
            t += st.service_s
        return arr, sst, t + int(tt[locs[-2], locs[-1]])

    arr, sst, ret = schedule(dep0)
    wait = 0
    slack = np.inf
    for j, s in enumerate(r.stops):
        st = model.stops[s]
        wait += sst[j] - arr[j]
        late = np.inf if st.tw_late is None else st.tw_late
        slack = min(slack, wait + (late - sst[j]))
    delta = int(max(0, min(slack, wait))) if r.stops else 0
    if delta:
        arr, sst, ret = schedule(dep0 + delta)
    new = replace(r, departure_s=dep0 + delta, arrival_s=arr, service_start_s=sst, return_s=ret)
    if vt.max_shift_s is not None and ret - new.departure_s > vt.max_shift_s:
        return r
    late_end = model.depots[vt.end].tw_late
    if late_end is not None and ret > late_end:
        return r
    return new


def retime_trips(model: _model.Model, r: _model.Route, vt: _model.VehicleType, dep0: int) -> _model.Route:
    """:func:`retime_route` of a route of several trips (the same trips, from the depot's opening)."""
    dep = _model.latest_departure(model, r.vehicle_type, r.stops, dep0, r.reloads)
    new = _model.make_route(model, r.vehicle_type, r.stops, dep, r.vehicle, reloads=r.reloads)
    if vt.max_shift_s is not None and new.return_s - new.departure_s > vt.max_shift_s:
        return r
    late_end = model.depots[vt.end].tw_late
    if late_end is not None and new.return_s > late_end:
        return r
    return new
