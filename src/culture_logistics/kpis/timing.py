"""Lead times (送达时效) and continuous driving (运营安全) read off a route plan's table (``route_plan.csv``).

Everything here works on the plan's table alone (the columns of
:data:`culture_logistics.routing.plan.ROUTE_PLAN_COLUMNS`, and ``day`` for a weekly plan), so that the figures
can be recomputed from the written CSV.  Times are minutes after midnight of the route's delivery day.

The week
    Delivery days are days 1 … D of a 7-day week (D = ``[routing] delivery_days_per_week``; day 1 is Monday).
    A daily plan (no ``day`` column) runs on every delivery day; a weekly plan's rows say their day.

Inbound lead time
    Inbound parcels reach the county centre at ``inbound_arrival`` on every delivery day.  They leave it
    on the county-centre departure that feeds the village's visit: the departure (``seq`` 0) of the trunk
    or bus run that stops at the village's station that day (the latest one when several do), or the
    village route's own departure when it starts at the county centre or no run stocks its station.
    A parcel that arrives on day *a* is delivered at the first visit of its village (day *v*) whose
    county-centre departure is not before its arrival: lead time = (*v* − *a*) whole days (the next week's
    day when it missed that day's departure) + the visit's ``service_start_min`` − ``inbound_arrival``.

Outbound lead time
    A parcel picked up at a village (its ``service_start_min``) rides back to the station with the route
    (its return) and reaches the county centre with the first trunk or bus run that stops at that station
    at or after that return (the same day, or a later delivery day): lead time = whole days + that run's
    return to the county centre (``arrival_min`` of its last row) − the pickup time.  A route that starts at
    the county centre brings its pickups there on its return.

Continuous driving
    A leg's driving time is its ``arrival_min`` minus the previous row's ``departure_min``.  A rest row
    (``stop_kind = rest``, the routing's rest of at least 20 min: :mod:`culture_logistics.routing.driving`) has
    no leg (it stands where the stop before it is) and its standing time makes it a rest.  A stop where
    the vehicle stands at least :data:`REST_MIN` minutes (``departure_min − arrival_min``: service and any
    wait) is the rest of 《道路交通安全法实施条例》第六十二条 (连续驾驶机动车超过4小时未停车休息或者停车休息时间少于
    20分钟 is forbidden) and ends a period of continuous driving; a shorter stop does not.  So does a reload row
    (``stop_kind = reload``, a vehicle of several trips back at its station) of at least :data:`REST_MIN`
    minutes' standstill (waiting and ``reload_min``); a shorter reload does not, and driving is counted across
    the vehicle's trips over its whole day.  Bus runs are the bus company's timetable and are not counted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_MIN = 1440.0

#: minutes a vehicle must stand at a stop for the stop to count as a rest (第六十二条: ≥ 20 min)
REST_MIN = 20.0

#: the longest continuous driving allowed (第六十二条: 4 h)
MAX_CONTINUOUS_DRIVING_MIN = 240.0

VILLAGE_KINDS = ("village_centre", "village_point")
FEEDER_ECHELONS = ("trunk", "bus")


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(float)


def plan_days(plan: pd.DataFrame, delivery_days: int) -> pd.DataFrame:
    """The plan's rows with a ``day`` column: a weekly plan's own, or a daily plan repeated on days 1 … D."""
    if "day" in plan.columns:
        out = plan.copy()
        out["day"] = pd.to_numeric(out["day"], errors="coerce").fillna(1).astype(int)
        return out
    if not len(plan):
        return plan.assign(day=pd.Series(dtype=int))
    return pd.concat([plan.assign(day=d) for d in range(1, int(delivery_days) + 1)], ignore_index=True)


@dataclass
class Visit:
    """One visit of a village: its day, when its parcels leave the county centre, service start, parcels, and
    (outbound) when its pickups reach the county centre, as minutes from the start of the visit's day."""

    village_code: str
    day: int
    depart_county_min: float
    service_start_min: float
    delivered: int
    picked_up: int
    back_at_county_min: float | None


def _routes(plan: pd.DataFrame) -> dict[tuple[int, str], pd.DataFrame]:
    return {(int(d), str(r)): g.sort_values("seq") for (d, r), g in plan.groupby(["day", "route_id"], sort=True)}


def village_visits(plan: pd.DataFrame, delivery_days: int) -> list[Visit]:
    """Every village visit of the plan (see the module docstring for the county-centre times)."""
    p = plan_days(plan, delivery_days)
    if not len(p):
        return []
    p = p.assign(route_id=p["route_id"].astype(str), stop_id=p["stop_id"].astype(str),
                 seq=pd.to_numeric(p["seq"], errors="coerce"))
    routes = _routes(p)
    # feeders: (day, station id) -> [(departure from the county centre, service start at the station, return)]
    feeders: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
    for (d, _rid), g in routes.items():
        if str(g["echelon"].iat[0]) not in FEEDER_ECHELONS:
            continue
        dep = float(_num(g["departure_min"])[0])
        back = float(_num(g["arrival_min"])[-1])
        at = g[g["stop_kind"] == "station"]
        for sid, st in zip(at["stop_id"], _num(at["service_start_min"])):
            feeders.setdefault((d, sid), []).append((dep, float(st), back))
    days = sorted({d for d, _ in routes})
    out: list[Visit] = []
    for (d, _rid), g in routes.items():
        if str(g["echelon"].iat[0]) != "last_mile":
            continue
        depot = str(g["stop_id"].iat[0])
        dep = float(_num(g["departure_min"])[0])
        ret = float(_num(g["arrival_min"])[-1])
        fed = feeders.get((d, depot))
        depart_county = max(f[0] for f in fed) if fed else dep
        fed_any = any(k[1] == depot for k in feeders)
        # a vehicle of several trips is back at its station with a trip's pickups at the reload ending the trip
        kinds, arr = g["stop_kind"].tolist(), _num(g["arrival_min"])
        trip_end, end = [ret] * len(g), ret
        for i in range(len(g) - 1, 0, -1):
            if kinds[i] == "reload":
                end = float(arr[i])
            trip_end[i - 1] = end
        backs: dict[float, float | None] = {}
        for i, row in enumerate(g.itertuples(index=False)):
            if row.stop_kind not in VILLAGE_KINDS:
                continue
            at_station = trip_end[i]
            if at_station not in backs:
                backs[at_station] = at_station if not fed_any else _next_feeder(feeders, days, d, depot, at_station)
            out.append(Visit(str(row.stop_id), d, depart_county, float(row.service_start_min), int(row.delivered),
                             int(row.picked_up), backs[at_station]))
    return out


def _next_feeder(feeders: dict, days: list[int], d: int, station: str, ready_min: float) -> float | None:
    """Minutes from the start of day ``d`` to the county-centre return of the first run stopping at ``station``
    at or after ``ready_min`` on day ``d``, or on a later delivery day (wrapping to the next week)."""
    for off in range(0, 8):
        dd = (d - 1 + off) % 7 + 1
        if dd not in days:
            continue
        runs = [f for f in feeders.get((dd, station), []) if off > 0 or f[1] >= ready_min]
        if runs:
            return off * DAY_MIN + min(f[2] for f in runs)
    return None


def inbound_lead_min(visits: list[Visit], arrival_day: int, arrival_min: float) -> float | None:
    """The lead time (min) of a parcel reaching the county centre on ``arrival_day`` at ``arrival_min``,
    delivered at the first of the village's ``visits`` it can catch; None without a visit."""
    best = None
    for v in visits:
        k = (v.day - arrival_day) % 7
        if k == 0 and v.depart_county_min < arrival_min:
            k = 7
        lead = k * DAY_MIN + v.service_start_min - arrival_min
        best = lead if best is None else min(best, lead)
    return best


@dataclass
class VillageLead:
    """A village's lead times: one per inbound arrival day (None: never delivered), its outbound ones."""

    village_code: str
    delivered_per_week: int
    picked_up_per_week: int
    visits_per_week: int
    inbound_min: list[float | None]
    outbound: list[tuple[int, float | None]]   # (parcels picked up at a visit, lead time in minutes)


def lead_times(plan: pd.DataFrame, inbound_arrival_min: float, delivery_days: int) -> dict[str, VillageLead]:
    """{village code: :class:`VillageLead`} of every village the plan visits (module docstring)."""
    visits = village_visits(plan, delivery_days)
    by_village: dict[str, list[Visit]] = {}
    for v in visits:
        by_village.setdefault(v.village_code, []).append(v)
    out = {}
    for code, vs in sorted(by_village.items()):
        inbound = [inbound_lead_min(vs, a, inbound_arrival_min) for a in range(1, int(delivery_days) + 1)]
        outbound = [(v.picked_up, None if v.back_at_county_min is None else v.back_at_county_min - v.service_start_min)
                    for v in vs]
        out[code] = VillageLead(code, sum(v.delivered for v in vs), sum(v.picked_up for v in vs),
                                len({v.day for v in vs}), inbound, outbound)
    return out


def continuous_driving(plan: pd.DataFrame, rest_min: float = REST_MIN) -> pd.DataFrame:
    """One row per route (and day) of the plan's vans: ``route_id, day, echelon, max_continuous_driving_min,
    driving_min`` — the longest driving between rests, and all driving (module docstring); bus runs left out."""
    p = plan_days(plan, 1)
    rows = []
    if len(p):
        p = p.assign(seq=pd.to_numeric(p["seq"], errors="coerce"))
    for (d, rid), g in (p.groupby(["day", "route_id"], sort=True) if len(p) else []):
        g = g.sort_values("seq")
        ech = str(g["echelon"].iat[0])
        if ech in ("bus",):
            continue
        arr, dep = _num(g["arrival_min"]), _num(g["departure_min"])
        cont = longest = total = 0.0
        for j in range(1, len(g)):
            drive = max(0.0, arr[j] - dep[j - 1])
            total += drive
            cont += drive
            longest = max(longest, cont)
            if j < len(g) - 1 and np.isfinite(dep[j]) and dep[j] - arr[j] >= rest_min:
                cont = 0.0
        rows.append({"route_id": str(rid), "day": int(d), "echelon": ech,
                     "max_continuous_driving_min": round(longest, 2), "driving_min": round(total, 2)})
    return pd.DataFrame(rows, columns=["route_id", "day", "echelon", "max_continuous_driving_min", "driving_min"])


def gini(values) -> float | None:
    """The Gini coefficient of ``values`` (≥ 0): Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² mean); 0 when all are equal (or all
    0), None for no value."""
    x = np.sort(np.asarray([float(v) for v in values if v is not None and np.isfinite(float(v))]))
    n = len(x)
    if n == 0:
        return None
    s = x.sum()
    if s <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(2.0 * (i * x).sum() / (n * s) - (n + 1) / n)


__all__ = ["DAY_MIN", "MAX_CONTINUOUS_DRIVING_MIN", "REST_MIN", "Visit", "VillageLead", "continuous_driving", "gini",
           "inbound_lead_min", "lead_times", "plan_days", "village_visits"]
