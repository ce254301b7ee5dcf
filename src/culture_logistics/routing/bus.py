"""Parcels on county bus lines (客货邮融合): a station's day's parcels by a bus run instead of a trunk van.

A ``[[bus_line]]`` (:class:`~culture_logistics.config.bus.BusLine`) leaves the county depot at each of its
``departures`` and calls at its stops in order; it reaches stop *k* ``times_min[k]`` minutes after
departure, or (without ``times_min``) after the road distance between consecutive stops at
``speed_kmh``.  A run carries at most ``parcels_per_run`` parcels each way: the stations' inbound parcels
out, their outbound (handicraft) parcels back on the return trip, each at ``price_per_parcel`` CNY.

How the trunk decides (deterministic greedy, every comparison a real trunk solve):

1. **In time.**  Each station's deadline is the latest moment its parcels may arrive and still let its
   last-mile routes (planned as if stocked at ``day_start``) be back by ``day_end``: ``day_start`` + the
   smallest slack of its routes — the rule the trunk obeys (:func:`culture_logistics.routing.timing.solve_trunk`).
   A station is *eligible* for a run that reaches it by that deadline.
2. **Capacity.**  Stations are taken by deadline (then id) and each is given the earliest-arriving eligible
   run that still has room for both its inbound and its outbound parcels.
3. **Cheaper.**  The trunk is solved with every station (van-only), then without all eligible stations;
   then, station by station (the dearest bus shipment first), a station is put back on the trunk when
   that lowers trunk + bus cost.  The cheapest set wins; when no set beats van-only, no bus is used.  A
   set that leaves a station unserved on the trunk never beats one that serves it.

A station sent by bus is left out of the trunk model; its last-mile vehicles leave when the bus has
arrived (``wait_for_trunk``).  Bus runs appear in route_plan.csv with ``echelon = "bus"`` and
``vehicle_id = "B1@07:30"``, in routes_summary.csv with their cost (parcels × price; no vehicle cost:
the bus runs anyway, so its ``distance_m`` is the bus's distance to the last station it serves and is
not counted in the plan's vehicle km).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from culture_logistics.config.bus import BusLine
from culture_logistics.config.routing import hhmm
from culture_logistics.routing.specs import ModelSpec, PlanContext, stop_cultural

_EPS = 0.005  # CNY: a cost difference smaller than half a fen is no difference


@dataclass
class _Run:
    line: BusLine
    departure_s: int
    arrival_s: dict               # stop id -> arrival (s after midnight)
    leg_m: dict                   # stop id -> road distance from the previous stop of the line (m)
    load_in: int = 0
    load_out: int = 0
    stations: list = field(default_factory=list)   # station ids served, in the line's order

    @property
    def vehicle_id(self) -> str:
        return f"{self.line.id}@{hhmm(self.departure_s)}"


@dataclass
class BusPlan:
    """What the bus lines carry for one operator's trunk.

    Attributes
    ----------
    operator : the plan's operator (``shared`` in shared mode).
    runs : the runs used (each with the stations it serves).
    ready_s : station id → time its parcels arrive by bus (s after midnight).
    van_only_trunk_cost : CNY/day of the trunk with every station on vans.
    trunk_cost : CNY/day of the trunk without the bus stations.
    bus_cost : CNY/day paid to the bus lines.
    not_used : station id → why no bus carries it (too late, too many parcels, dearer than the van).
    deadlines_s : station id → latest arrival that lets its last mile finish by day end.
    trials : trunk solves compared.
    """

    operator: str
    runs: list
    ready_s: dict
    van_only_trunk_cost: float
    trunk_cost: float
    bus_cost: float
    not_used: dict
    deadlines_s: dict
    trials: int
    depot: Any = None   # the county depot's facilities row
    stations: dict = field(default_factory=dict)   # station id -> StopSpec (the trunk stop)

    @property
    def saving(self) -> float:
        """Van-only trunk cost − (trunk cost + bus cost), CNY/day."""
        return round(self.van_only_trunk_cost - self.trunk_cost - self.bus_cost, 2)

    def summary(self) -> dict:
        served = [s for r in self.runs for s in r.stations]
        return {
            "operator": self.operator,
            "runs_used": [r.vehicle_id for r in self.runs],
            "stations": served,
            "parcels_delivered": int(sum(r.load_in for r in self.runs)),
            "parcels_picked_up": int(sum(r.load_out for r in self.runs)),
            "bus_cost_cny": round(self.bus_cost, 2),
            "trunk_cost_cny": round(self.trunk_cost, 2),
            "van_only_trunk_cost_cny": round(self.van_only_trunk_cost, 2),
            "saving_cny": self.saving,
            "saving_pct": (round(100.0 * self.saving / self.van_only_trunk_cost, 2)
                           if self.van_only_trunk_cost > 0 else None),
            "deadlines": {k: hhmm(v) for k, v in sorted(self.deadlines_s.items())},
            "not_used": dict(sorted(self.not_used.items())),
            "trunk_solves": self.trials,
            "note": "saving = van-only trunk − (trunk without the bus stations + bus fares); every figure a real "
                    "trunk solve with the same settings",
        }


def _line_runs(ctx: PlanContext, line) -> list[_Run]:
    """Every run of ``line`` with its arrival time at each stop (road distances between its stops)."""
    fac = ctx.facilities.set_index("id")
    lon = fac.loc[list(line.stops), "lon"].to_numpy(float)
    lat = fac.loc[list(line.stops), "lat"].to_numpy(float)
    snap = ctx.net.snap(lon, lat)
    L = ctx.net.full_matrix(snap, "length")
    legs = [0.0] + [float(L[k, k + 1]) for k in range(len(line.stops) - 1)]
    if line.times_min is not None:
        offs = [int(round(60 * t)) for t in line.times_min]
    else:
        v = line.speed_kmh / 3.6
        offs = [int(round(x / v)) if np.isfinite(x) else None for x in np.cumsum(legs)]
    runs = []
    for dep in line.departures_s:
        arr = {s: dep + o for s, o in zip(line.stops, offs) if o is not None}
        runs.append(_Run(line, int(dep), arr, {s: (int(round(m)) if np.isfinite(m) else 0)
                                               for s, m in zip(line.stops, legs)}))
    return runs


def _deadlines(ctx: PlanContext, trunk: ModelSpec, lm_out: dict) -> dict:
    """Station id → latest parcel arrival (s) that still lets every last-mile route be back by day end."""
    p = ctx.params
    out = {}
    for st in trunk.stops:
        o = lm_out.get(st.stop_id)
        if o is None or o.solution is None or not o.solution.routes:
            continue
        close = int(o.model.depots[0].tw_late)
        out[st.stop_id] = p.day_start_s + min(close - r.return_s for r in o.solution.routes)
    return out


def _trunk_without(trunk: ModelSpec, drop: set) -> ModelSpec | None:
    stops = [replace(s) for s in trunk.stops if s.stop_id not in drop]
    return replace(trunk, stops=stops) if stops else None


def _assign_runs(ctx: PlanContext, trunk: ModelSpec, by_id: dict, deadline: dict, not_used: dict) -> dict:
    """Steps 1-2: station id → the earliest run that reaches it by its deadline with room for it; stations
    taken by deadline, then id.  ``not_used`` gets why a station on a line has no run."""
    runs = [r for line in ctx.params.bus_lines for r in _line_runs(ctx, line)
            if line.stops[0] == trunk.depot.id]
    for line in ctx.params.bus_lines:
        for s in line.stops[1:]:
            if line.stops[0] != trunk.depot.id and s in by_id:
                not_used.setdefault(s, f"{line.id} starts at {line.stops[0]}, not at the trunk's depot "
                                       f"{trunk.depot.id}")
            elif s not in by_id and s != trunk.depot.id:
                not_used.setdefault(s, f"not a station of the {trunk.operator} trunk (its township is served from "
                                       f"another station, or it has no parcels today)")
    assign: dict[str, _Run] = {}
    for sid in sorted((s for s in by_id if s in deadline), key=lambda s: (deadline[s], s)):
        st = by_id[sid]
        calls = [r for r in runs if sid in r.arrival_s]
        if not calls:
            continue
        timely = [r for r in calls if r.arrival_s[sid] <= deadline[sid]]
        if not timely:
            first = min(r.arrival_s[sid] for r in calls)
            not_used[sid] = (f"too late: the first bus arrives at {hhmm(first)}, its vans must have their parcels "
                             f"by {hhmm(deadline[sid])}")
            continue
        room = [r for r in timely if _fits(r, r.stations + [sid], by_id)]
        if not room:
            not_used[sid] = (f"no room: {st.delivery} parcels in / {st.pickup} out, a run carries "
                             f"{timely[0].line.parcels_per_run} at a time (less what it already carries)")
            continue
        r = min(room, key=lambda r: (r.arrival_s[sid], r.line.id, r.departure_s))
        r.stations.append(sid)
        assign[sid] = r
    return assign


def plan_buses(ctx: PlanContext, trunk: ModelSpec, lm_out: dict, warnings: list,
               solve_trunk: Callable) -> tuple:
    """The trunk of one operator with the stations that go cheaper and in time by bus left out.

    Parameters
    ----------
    ctx, trunk, lm_out : the plan's context, trunk spec and last-mile outcomes (solved from day start).
    warnings : the plan's notes (the chosen trunk's notes are added).
    solve_trunk : the plan's trunk solver, ``solve_trunk(ctx, spec, lm_out, warnings) -> SolveOutcome``.

    Returns
    -------
    (trunk outcome or None when every station goes by bus, :class:`BusPlan`)
    """
    deadline = _deadlines(ctx, trunk, lm_out)
    by_id = {s.stop_id: s for s in trunk.stops}
    not_used: dict = {}
    assign = _assign_runs(ctx, trunk, by_id, deadline, not_used)

    def fare(sid: str) -> float:
        st = by_id[sid]
        return assign[sid].line.price_per_parcel * (st.delivery + st.pickup)

    trials = [0]

    def evaluate(drop: frozenset):
        notes: list = []
        spec = _trunk_without(trunk, set(drop))
        o = solve_trunk(ctx, spec, lm_out, notes) if spec is not None else None
        trials[0] += spec is not None
        dropped = len(o.solution.dropped) if o is not None and o.solution is not None else 0
        if o is not None and o.solution is None:
            dropped = len(spec.stops)
        cost = float(o.solution.cost) if o is not None and o.solution is not None else 0.0
        return (dropped, cost + sum(fare(s) for s in drop)), cost, o, notes

    # 3: van-only, all eligible by bus, then put stations back one by one while that is cheaper
    base = evaluate(frozenset())
    best_drop: frozenset[str]
    best_drop, best = frozenset(), base
    if assign:
        cur_drop = frozenset(assign)
        cur = evaluate(cur_drop)
        for sid in sorted(assign, key=lambda s: (-fare(s), s)):
            if len(cur_drop) <= 0:
                break
            cand = evaluate(cur_drop - {sid})
            if _better(cand[0], cur[0]):
                cur_drop, cur = cur_drop - {sid}, cand
        if _better(cur[0], base[0]):
            best_drop, best = cur_drop, cur
    for sid in assign:
        if sid not in best_drop:
            not_used[sid] = (f"dearer by bus: {fare(sid):.2f} CNY of fares against what the van saves "
                             f"by not calling there")
    used: dict[int, _Run] = {}
    for sid in sorted(best_drop, key=lambda s: (assign[s].arrival_s[s], s)):
        used.setdefault(id(assign[sid]), assign[sid])  # a run is kept once, whichever station names it
    # rebuild each used run's load from the stations it actually carries
    out_runs = []
    for r in sorted(used.values(), key=lambda r: (r.line.id, r.departure_s)):
        sts = [s for s in r.line.stops[1:] if s in best_drop and assign.get(s) is r]
        out_runs.append(replace(r, stations=sts, load_in=sum(by_id[s].delivery for s in sts),
                                load_out=sum(by_id[s].pickup for s in sts)))
    warnings += best[3]
    bus = BusPlan(trunk.operator, out_runs, {s: assign[s].arrival_s[s] for s in best_drop},
                  base[1], best[1], round(sum(fare(s) for s in best_drop), 2), not_used, deadline, trials[0],
                  trunk.depot, dict(by_id))
    if best_drop:
        warnings.append(f"{trunk.operator}: {len(best_drop)} station(s) get their parcels by bus "
                        f"({', '.join(sorted(best_drop))}), saving {bus.saving:.2f} CNY/day on the trunk")
    return best[2], bus


def _fits(run: _Run, stations: list, by_id: dict) -> bool:
    """The run can carry ``stations``: it leaves with all their inbound parcels, and at each call drops that
    station's and takes its outbound ones on board, never above ``parcels_per_run``."""
    order = [s for s in run.line.stops[1:] if s in set(stations)]
    load = sum(by_id[s].delivery for s in order)
    if load > run.line.parcels_per_run:
        return False
    for s in order:
        load += by_id[s].pickup - by_id[s].delivery
        if load > run.line.parcels_per_run:
            return False
    return True


def _better(a: tuple, b: tuple) -> bool:
    """(dropped stations, cost): fewer dropped first, then cheaper by at least half a fen."""
    return a[0] < b[0] or (a[0] == b[0] and a[1] < b[1] - _EPS)


def bus_records(bus: BusPlan, ctx: PlanContext) -> tuple[list, list]:
    """route_plan.csv and routes_summary.csv rows of the runs used (``echelon = "bus"``).

    A run's rows: its departure from the depot (``load_after`` = the inbound parcels on board), then each
    station it drops parcels at (``picked_up`` = the station's outbound parcels, which stay on board and
    ride back to the county depot), then its return to the depot with the pickups.  ``arrival_min`` of the return is the last drop (the
    return trip is not timed: the parcels are the next day's outbound load, as on the trunk).
    """
    srows, rrows = [], []
    d = bus.depot
    fac = ctx.facilities.set_index("id")
    snap = ctx.net.snap(np.array([d.lon]), np.array([d.lat]))
    dnode = int(snap.node[0])
    for r in bus.runs:
        rid = f"B-{r.vehicle_id}"
        common = {"route_id": rid, "vehicle_id": r.vehicle_id, "operator": bus.operator, "echelon": "bus",
                  "depot_id": d.id, "vehicle_type": f"bus {r.line.id} {r.line.name}", "trip": 1}
        srows.append(common | {"seq": 0, "stop_id": d.id, "stop_name": d.name, "stop_kind": "depot", "delivered": 0,
                               "picked_up": 0, "load_after": int(r.load_in), "arrival_min": round(r.departure_s / 60, 2),
                               "leg_m": 0, "lon": d.lon, "lat": d.lat, "node": dnode, "point_id": "", "point_name": "",
                               "service_start_min": None, "departure_min": round(r.departure_s / 60, 2),
                               "delivered_cultural": 0, "picked_up_cultural": 0})
        load = int(r.load_in)
        dist = 0
        acc = 0
        last = r.departure_s
        lon = fac.loc[r.stations, "lon"].to_numpy(float) if r.stations else np.zeros(0)
        lat = fac.loc[r.stations, "lat"].to_numpy(float) if r.stations else np.zeros(0)
        nodes: Any = ctx.net.snap(lon, lat).node if r.stations else []
        k = 0
        for s in r.line.stops[1:]:
            acc += r.leg_m.get(s, 0)
            if s not in r.stations:
                continue
            st = bus.stations[s]
            load = load - st.delivery + st.pickup
            last = r.arrival_s[s]
            srows.append(common | {"seq": k + 1, "stop_id": s, "stop_name": st.stop_name, "stop_kind": "station",
                                   "delivered": int(st.delivery), "picked_up": int(st.pickup), "load_after": load,
                                   "arrival_min": round(last / 60, 2), "leg_m": int(acc), "lon": st.lon,
                                   "lat": st.lat, "node": int(nodes[k]), "point_id": "", "point_name": "",
                                   "service_start_min": round(last / 60, 2), "departure_min": round(last / 60, 2),
                                   "delivered_cultural": stop_cultural(st)[0],
                                   "picked_up_cultural": stop_cultural(st)[1]})
            dist += acc
            acc = 0
            k += 1
        srows.append(common | {"seq": k + 1, "stop_id": d.id, "stop_name": d.name, "stop_kind": "depot",
                               "delivered": 0, "picked_up": 0, "load_after": load, "arrival_min": round(last / 60, 2),
                               "leg_m": 0, "lon": d.lon, "lat": d.lat, "node": dnode, "point_id": "",
                               "point_name": "", "service_start_min": None, "departure_min": None,
                               "delivered_cultural": 0, "picked_up_cultural": 0})
        cost = round(r.line.price_per_parcel * (r.load_in + r.load_out), 2)
        rrows.append(common | {"capacity": int(r.line.parcels_per_run), "stops": len(r.stations), "distance_m": int(dist),
                               "duration_min": round((last - r.departure_s) / 60, 2), "cost": cost,
                               "depot_name": d.name, "departure_min": round(r.departure_s / 60, 2),
                               "return_min": round(last / 60, 2), "delivered": int(r.load_in),
                               "picked_up": int(r.load_out), "fixed_cost": 0.0, "cost_per_km": 0.0, "trips": 1})
    return srows, rrows


def add_bus_records(stops: pd.DataFrame, routes: pd.DataFrame, buses: list, ctx: PlanContext):
    """The plan's stop and route tables with the bus runs of ``buses`` appended (:func:`bus_records`)."""
    for bus in buses:
        srows, rrows = bus_records(bus, ctx)
        if rrows:
            stops = pd.concat([stops, pd.DataFrame(srows, columns=stops.columns)], ignore_index=True)
            routes = pd.concat([routes, pd.DataFrame(rrows, columns=routes.columns)], ignore_index=True)
    return stops, routes


def bus_summary(buses: list, params) -> dict:
    """summary.json ``bus``: what the bus lines carry, per trunk, and the saving against van-only trunks."""
    b = [x.summary() for x in buses]
    return {"lines": [ln.id for ln in params.bus_lines], "by_trunk": b,
            "stations": sorted(s for x in b for s in x["stations"]),
            "parcels_delivered": sum(x["parcels_delivered"] for x in b),
            "parcels_picked_up": sum(x["parcels_picked_up"] for x in b),
            "bus_cost_cny": round(sum(x["bus_cost_cny"] for x in b), 2),
            "van_only_trunk_cost_cny": round(sum(x["van_only_trunk_cost_cny"] for x in b), 2),
            "saving_cny": round(sum(x["saving_cny"] for x in b), 2)}
