"""A station's vans under its ``capacity_per_day``: the cap itself, and the smallest cap a plan needs.

A station's ``capacity_per_day`` bounds the inbound parcels its vans leave with, over all their trips.  It is
enforced by the vans it gets (:func:`station_fleet`): whole vans while their daily total (capacity × max_trips)
fits, then one van limited to the remainder, so no plan can dispatch more.  :func:`smallest_capacity` answers the reverse question for
the diagnosis of a village dropped because the cap is used up (reason ``station_capacity``): the
least ``capacity_per_day`` whose vans can drive the routes of a plan made without the cap.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from culture_logistics.config.fleet import FleetEntry


def capped_fleet(fleet: list[FleetEntry], capacity: float | None) -> list[tuple[int, FleetEntry]]:
    """:func:`station_fleet` with, for every van type, the index in ``fleet`` of the type it is made of."""
    if capacity is None or not np.isfinite(capacity):
        return list(enumerate(fleet))
    rem = int(math.floor(capacity))
    out: list[tuple[int, FleetEntry]] = []
    left: dict[int, int] = {}
    for i in sorted(range(len(fleet)), key=lambda i: (-fleet[i].capacity, i)):
        f = fleet[i]
        daily = f.capacity * f.trips_per_day
        n = min(f.count, rem // daily) if daily > 0 else 0
        if n:
            out.append((i, replace(f, count=n)))
            rem -= n * daily
        left[i] = f.count - n
    if rem > 0:
        spare = [i for i in sorted(left, key=lambda i: (-fleet[i].capacity, i)) if left[i] > 0]
        if spare:
            f = fleet[spare[0]]
            # the remainder on as few trips as the van needs, each of at most remainder ÷ trips parcels
            trips = min(f.trips_per_day, -(-rem // f.capacity))
            cap = rem // trips
            out.append((spare[0], replace(f, name=f"{f.name}_{cap}", capacity=cap, count=1,
                                          max_trips=trips if f.max_trips is not None else None)))
    return out or [(0, replace(fleet[0], count=0))]


def station_fleet(fleet: list[FleetEntry], capacity: float | None) -> list[FleetEntry]:
    """The vans of one station whose capacities sum to at most its ``capacity_per_day``.

    Types are taken largest first, as many whole vans as their daily totals (capacity × max_trips) fit (up to
    each type's ``count``), then one van of the largest type with vans left, limited to the remaining parcels
    (named ``<name>_<capacity>``): on as few trips as it needs (at most its max_trips), each of at most the
    remainder ÷ trips.  ``capacity`` None or not finite: ``fleet`` unchanged.

    Examples
    --------
    Six light vans of 200 at a station of capacity 280 become one van of 200 and one
    ``light_van_80``: the station can never dispatch more than 280 parcels.  Four e-tricycles of 50 making
    4 trips at a station of 280 become one tricycle (4 × 50 = 200) and one ``e_tricycle_40`` on 2 trips (80).
    """
    return [f for _, f in capped_fleet(fleet, capacity)]


def _peak(x) -> tuple[int, int]:
    """(peak load, trips) of a route given as its peak load (one trip) or as (peak load, trips)."""
    return (int(x[0]), int(x[1])) if isinstance(x, tuple) else (int(x), 1)


def _hosts(capped: list[tuple[int, FleetEntry]], peaks: dict[int, list]) -> list[tuple[int, int]] | None:
    """Each route's (index in ``capped``, rank within it) when the capped vans can drive the routes —
    ``peaks``: type index in the uncapped fleet → the peak load of each of its routes (or (peak load, trips) of a
    route of several trips), in route order — else None.  Within a type the largest load takes the largest van
    with trips enough (enough, as the vans of one type differ only in capacity and trips)."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for i, routes in peaks.items():
        loads = [_peak(x) for x in routes]
        vans = sorted(((f.capacity, f.trips_per_day, j, v) for j, (o, f) in enumerate(capped) if o == i
                       for v in range(f.count)), key=lambda x: (-x[0], x[2], x[3]))
        order = sorted(range(len(loads)), key=lambda r: (-loads[r][0], -loads[r][1], r))
        if len(order) > len(vans):
            return None
        free = list(vans)
        for r in order:
            fit = next((k for k, (c, t, _, _) in enumerate(free) if c >= loads[r][0] and t >= loads[r][1]), None)
            if fit is None:
                return None
            _, _, j, v = free.pop(fit)
            out[(i, r)] = (j, v)
    return [out[(i, r)] for i in sorted(peaks) for r in range(len(peaks[i]))]


def smallest_capacity(fleet: list[FleetEntry], peaks: dict[int, list[int]], start: int) -> tuple[int, list]:
    """The least ``capacity_per_day`` ≥ ``start`` whose :func:`station_fleet` can drive given routes.

    Parameters
    ----------
    fleet : the station's vans without the cap.
    peaks : index of a type of ``fleet`` → the peak load on board (parcels) of each route it drives, or
        (peak load, trips) for a route of several trips.
    start : the first capacity tried (parcels a day; at least the routes' inbound parcels).

    Returns
    -------
    (capacity, placement): the capacity (parcels a day) and, for the routes in the order of ``peaks``
    (type by type), (index of the capped fleet entry, vehicle rank).  With every van whole (the sum of
    ``fleet``'s daily totals) the routes always fit, so a capacity is always found.
    """
    total = int(sum(f.capacity * f.trips_per_day * f.count for f in fleet))
    for n in range(max(0, int(start)), total + 1):
        got = _hosts(capped_fleet(fleet, n), peaks)
        if got is not None:
            return n, got
    return total, _hosts(capped_fleet(fleet, total), peaks) or []
