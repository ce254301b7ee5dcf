"""Routing: two-echelon daily route plans (county → township → village) and the value of sharing.

A county's cultural-product parcels travel in two echelons:

* **trunk** — vans leave a county depot, unload each township station's consolidated inbound
  parcels (the sum over the villages the station serves) and load the outbound handicraft
  parcels its last-mile vehicles collected, and return to the county depot;
* **last mile** — vehicles leave a township station, visit its villages (the village's service
  point when it has one, else the village centre), deliver the day's inbound parcels and pick up
  the outbound ones on the same run, and return.

Both echelons are vehicle-routing problems with simultaneous pickup and delivery, capacities,
shift limits, service times and (optional) time windows, all hard.  They are solved with the
project's routing engine (:mod:`culture_logistics.routing.engine`, PyVRP by default) on road-network
distances (m) and travel times (s) from :meth:`culture_logistics.network.roads.RoadNetwork.full_matrix`:
one model per (operator, county depot) for the trunk and, for the last mile, multi-depot models
over blocks of neighbouring stations of at most 600 villages (:mod:`culture_logistics.routing.assign`,
``assignment = "county"``, station ``capacity_per_day`` a hard limit) or one per (operator, township
depot) (``assignment = "township"``), so no model comes near the ~1,000 stops above which OR-Tools'
maintainers advise decomposing.  The trunk leaves at ``trunk_start`` (a night trunk by default) and
aims to stock every station before its vans' day starts.

Modes
-----
``shared``    one consolidated plan: the shared county co-delivery centre (县级共配中心) and one
              station per township (a shared station if there is one, else postal, supply-co-op,
              courier), with the ``shared`` fleet.
``separate``  each carrying operator (postal, supply_coop, courier) delivers only its share of
              every village's parcels (``[routing.shares]``) from its own county depot and
              township stations with its own fleet.
``compare``   both, and the saving of shared over separate (:func:`compare_modes`).

Stops that cannot be served are dropped (never failing the plan) and each gets a reason and the
smallest change that would serve it, confirmed by re-solving the model with that change
(:class:`RoutePlan.unserved`).

Units: distances in metres (``*_m``), times in seconds inside and minutes after midnight in the
outputs (``arrival_min``), money in CNY, quantities in parcels.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from culture_logistics.config.model import CARRIERS
from culture_logistics.config.routing import (
    RoutingParams,
    hhmm,
    params_dict,
    parse_overrides,
)
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.network.roads import RoadNetwork
from culture_logistics.routing.assign import county_last_mile
from culture_logistics.routing.bus import add_bus_records, bus_summary, plan_buses
from culture_logistics.routing.driving import insert_rest_rows
from culture_logistics.routing.figures import (
    cost_per_parcel,
    cultural_figures_of,
    destination_figures,
    station_load,
    sync_figures,
)
from culture_logistics.routing.lines import route_lines
from culture_logistics.routing.parallel import map_forked
from culture_logistics.routing.reloads import reload_row
from culture_logistics.routing.solving import SolveOutcome, explain_all, reopen_later, solve_spec
from culture_logistics.routing.specs import (
    ModelSpec,
    PlanContext,
    build_context,
    note_without_cultural,
    operator_specs,
    split_flow,
    stop_cultural,
    trunk_spec,
    village_count,
    without_cultural_context,
    without_cultural_progress,
)
from culture_logistics.routing.timing import own_trunk_timing, solve_trunk

#: route_plan.csv: one row per depot departure, stop, reload and depot return, in visiting order.  A vehicle
#: that makes several trips (``max_trips``) keeps one route_id for its day: a ``reload`` row (stop_kind, at its
#: station, with arrival and departure times) ends each trip but the last, and ``trip`` (1, 2, …) numbers them.
ROUTE_PLAN_COLUMNS = ["route_id", "vehicle_id", "operator", "echelon", "seq", "stop_id", "stop_name",
                      "stop_kind", "delivered", "picked_up", "load_after", "arrival_min", "leg_m",
                      "departure_min", "service_start_min", "service_point_id", "delivered_cultural",
                      "picked_up_cultural", "trip"]


#: routes_summary.csv: one row per route (= per vehicle used); ``trips``: the trips it makes in the day.
ROUTES_SUMMARY_COLUMNS = ["route_id", "vehicle_id", "operator", "echelon", "capacity", "stops", "distance_m",
                          "duration_min", "cost", "trips", "range_km"]


#: unserved.csv: one row per stop that could not be served.
UNSERVED_COLUMNS = ["operator", "echelon", "depot_id", "stop_id", "stop_name", "stop_kind", "delivery", "pickup",
                    "reason_code", "reason", "smallest_fix", "fix_checked", "fix_extra_cost"]


# ============================================================================ plans
@dataclass
class RoutePlan:
    """One mode's daily plan for a county.

    Attributes
    ----------
    mode : ``"shared"`` or ``"separate"``.
    stops : one row per depot departure, stop and depot return (:data:`ROUTE_PLAN_COLUMNS` plus
        ``depot_id, vehicle_type, lon, lat, node, point_id, point_name, service_start_min,
        departure_min``); ``arrival_min`` is minutes after midnight.
    routes : one row per route (:data:`ROUTES_SUMMARY_COLUMNS` plus ``depot_id, depot_name,
        vehicle_type, departure_min, return_min, delivered, picked_up``).
    unserved : one row per stop that could not be served (:data:`UNSERVED_COLUMNS`).
    models : solver statistics per routing model (county-wide multi-depot models first).
    moved : villages served from another township's station (``assignment = "county"``): dicts of
        ``operator, village_code, village_name, home_station_id, station_id, station_name``.
    warnings : notes on assumptions the data forced (a township without a station, …).
    """

    scenario: Scenario
    mode: str
    params: RoutingParams
    stops: pd.DataFrame
    routes: pd.DataFrame
    unserved: pd.DataFrame
    models: list
    warnings: list
    seconds: float
    net: RoadNetwork = None
    depots: pd.DataFrame = None
    bus: list | None = None      # one routing.bus.BusPlan per trunk that had bus lines to consider
    cost_sharing: Any = None  # routing.sharing.CostSharing (route --sharing)
    moved: list = field(default_factory=list)
    # the same plan's cost (CNY/day) without the cultural parcels, both solved; None without other parcels
    without_cultural_cost_cny: float | None = None

    # ---------------------------------------------------------------- views
    def plan_table(self) -> pd.DataFrame:
        """``route_plan.csv``: exactly :data:`ROUTE_PLAN_COLUMNS`."""
        return self.stops[ROUTE_PLAN_COLUMNS].reset_index(drop=True)

    def routes_table(self) -> pd.DataFrame:
        """``routes_summary.csv``: exactly :data:`ROUTES_SUMMARY_COLUMNS`."""
        return self.routes[ROUTES_SUMMARY_COLUMNS].reset_index(drop=True)

    def unserved_table(self) -> pd.DataFrame:
        """``unserved.csv``: exactly :data:`UNSERVED_COLUMNS`."""
        return self.unserved[UNSERVED_COLUMNS].reset_index(drop=True)

    def stops_gdf(self):
        """The stops as a GeoDataFrame of points (EPSG:4326)."""

        return gpd.GeoDataFrame(self.stops.copy(), geometry=gpd.points_from_xy(self.stops["lon"], self.stops["lat"]),
                                crs="EPSG:4326")

    def routes_gdf(self):
        """The routes as a GeoDataFrame of LineStrings along the roads (EPSG:4326)."""

        geoms = route_lines(self)
        return gpd.GeoDataFrame(self.routes.copy(), geometry=[geoms[r] for r in self.routes["route_id"]],
                                crs="EPSG:4326")

    # ---------------------------------------------------------------- figures
    def totals(self, echelon: str | None = None) -> dict:
        r = self.routes if echelon is None else self.routes[self.routes["echelon"] == echelon]
        fares = r[r["echelon"] == "bus"]["cost"].sum() if echelon is None else 0.0
        if echelon is None:  # a bus runs anyway: its fares are a cost, its km and hours are not the plan's
            r = r[r["echelon"] != "bus"]
        u = self.unserved if echelon is None else self.unserved[self.unserved["echelon"] == echelon]
        lm = self.routes[self.routes["echelon"] == "last_mile"]
        return {
            "vehicles": int(len(r)),
            "trips": int(r["trips"].fillna(1).sum()) if "trips" in r.columns else int(len(r)),
            "distance_km": round(float(r["distance_m"].sum()) / 1000.0, 1),
            "driver_hours": round(float(r["duration_min"].sum()) / 60.0, 1),
            "cost_cny": round(float(r["cost"].sum() + fares), 2),
            "cost_vehicles_cny": round(float(r["fixed_cost"].sum()), 2),
            "cost_distance_cny": round(float((r["cost"] - r["fixed_cost"]).sum()), 2),
            "cost_bus_cny": round(float(fares), 2),
            "unserved_stops": int(len(u)),
            "parcels_delivered": int(lm["delivered"].sum()) if echelon in (None, "last_mile")
            else int(r["delivered"].sum()),
            "parcels_picked_up": int(lm["picked_up"].sum()) if echelon in (None, "last_mile")
            else int(r["picked_up"].sum()),
        }

    def cultural_figures(self, totals: dict | None = None) -> dict:
        """The cultural parcels' figures of ``summary.json`` (:func:`cultural_figures_of`)."""
        t = self.totals() if totals is None else totals
        return cultural_figures_of(self.stops, t["cost_cny"], self.without_cultural_cost_cny,
                                   t["parcels_delivered"] + t["parcels_picked_up"])

    def cap_hit_models(self) -> list[str]:
        """The models (``operator echelon depot``) where a solve was ended by the wall-clock safety cap rather
        than by its deterministic work budget: their routes may differ on another machine or under load."""
        return [f"{m['operator']} {m['echelon']} {m['depot_id']}" for m in self.models if m.get("cap_hits")]

    def summary(self) -> dict:
        """Figures of the plan for ``summary.json`` and the console (``cost_per_parcel_cny`` is None when the
        plan carries no parcel)."""
        t = self.totals()
        p = self.params
        by_op = {}
        for op in sorted(set(self.routes["operator"]) | set(self.unserved["operator"])):
            r = self.routes[self.routes["operator"] == op]
            vans = r[r["echelon"] != "bus"]
            by_op[op] = {"vehicles": int(len(vans)), "distance_km": round(float(vans["distance_m"].sum()) / 1000, 1),
                         "cost_cny": round(float(r["cost"].sum()), 2),
                         "unserved_stops": int((self.unserved["operator"] == op).sum())}
        vs = self.stops[self.stops["stop_kind"].isin(["village_point", "village_centre"])]
        served_villages = int(vs["stop_id"].nunique())
        return {
            "mode": self.mode,
            "county": {"adcode": self.scenario.adcode, "name": self.scenario.name},
            "synthetic_data": bool(self.scenario.synthetic),
            **t,
            "cost_per_parcel_cny": cost_per_parcel(t),
            **self.cultural_figures(t),
            "villages_served": served_villages,
            "trunk": self.totals("trunk"),
            "last_mile": self.totals("last_mile"),
            "by_operator": by_op,
            "unserved_by_reason": {k: int(v) for k, v in self.unserved["reason_code"].value_counts().items()},
            "models": len(self.models),
            "largest_model_stops": max([m["stops"] for m in self.models], default=0),
            "solve_seconds": round(sum(m.get("solve_s", 0.0) for m in self.models), 2),
            "resolves": int(sum(m.get("resolves", 0) for m in self.models)),
            "reproducible": not self.cap_hit_models(),
            "cap_hit_models": self.cap_hit_models(),
            "seconds": round(self.seconds, 2),
            **sync_figures(self.stops, self.routes, p.day_start_s),
            "assignment": p.assignment,
            "villages_moved": list(self.moved),
            "station_load": station_load(self.routes, self.scenario.facilities),
            "arrival_min": "minutes after midnight",
            "params": params_dict(p),
            "warnings": list(self.warnings),
        } | destination_figures(self) | (
            {"bus": bus_summary(self.bus, self.params)} if self.bus is not None else {}) | (
            {"cost_sharing": self.cost_sharing.summary()} if self.cost_sharing is not None else {})


def mode_operators(mode: str, params: RoutingParams) -> list[str]:
    """The operators a plan of ``mode`` has: ``shared`` alone, or every carrier with a parcel share."""
    if mode == "shared":
        return ["shared"]
    return [op for op in CARRIERS if params.shares.get(op, 0.0) > 0]


def mode_demand(ctx: PlanContext, mode: str) -> dict[str, dict]:
    """operator -> {village code: (delivery, pickup)} for the day."""
    v = ctx.villages
    if mode == "shared":
        return {"shared": {c: (int(a), int(b)) for c, a, b in zip(v["code"], v["daily_in"], v["daily_out"])}}
    out: dict[str, dict] = {op: {} for op in CARRIERS}
    cult = ctx.cultural_rows()
    for c, a, b in zip(v["code"], v["daily_in"], v["daily_out"]):
        _, _, ca, cb = cult.get(c, (a, b, a, b))     # the cultural and the other parcels split each by the shares
        sa, sb = split_flow(int(a), int(ca), ctx.params.shares)[0], split_flow(int(b), int(cb), ctx.params.shares)[0]
        for op in CARRIERS:
            out[op][c] = (sa[op], sb[op])
    return out


@dataclass
class PlanPart:
    """One operator's share of a plan (:func:`plan_operator`): what :func:`assemble_plan` puts together."""

    outcomes: list
    unserved: list
    buses: list
    moved: list
    models: list          # statistics of the county-wide multi-depot models
    warnings: list
    seconds: float


def plan_mode(ctx: PlanContext, mode: str, progress: Callable | None = None, demand: dict | None = None) -> RoutePlan:
    """The plan of ``mode``: every carrying operator's part (:func:`plan_operator`, in parallel processes
    when there are several and ``[routing] workers`` allows), put together.

    ``demand``: operator → {village code: (delivery, pickup)} to plan instead of the day's parcels
    (cost sharing plans a coalition's parcels on the shared network this way).
    """
    demand = mode_demand(ctx, mode) if demand is None else demand
    ops = mode_operators(mode, ctx.params)
    parts = map_forked(lambda op, pr: plan_operator(ctx, mode, op, demand[op], pr), ops, ctx.params.workers,
                       progress)
    return assemble_plan(ctx, mode, parts)


def plan_operator(ctx: PlanContext, mode: str, op: str, demand: dict, progress: Callable | None = None) -> PlanPart:
    """Operator ``op``'s part of the plan of ``mode``, carrying ``demand`` ({village code: (delivery, pickup)}).

    The day's order of work, each step needing the one before: the last mile as if every station were
    stocked at day start (:func:`_last_mile`), the trunk or bus runs and when they unload at each station
    (:func:`_trunk`), then each station's vans leaving once its parcels are there (:func:`_station_departures`).
    """
    t0 = time.perf_counter()
    warnings: list[str] = []
    vname = dict(zip(ctx.villages["code"], ctx.villages["name"]))
    trunk, lm, orphans = operator_specs(ctx, op, demand, warnings)
    unserved = [_no_depot_row(op, c, demand[c], vname[c]) for c in orphans]
    trunk, lm, lm_out, moved, extra_models = _last_mile(ctx, op, trunk, lm, progress)
    if trunk is not None:   # the trunk carries what the stations' vans deliver and pick up, not what they dropped
        trunk = trunk_spec(ctx, op, trunk.depot, served_specs(lm, lm_out)) or trunk
    outcomes, buses, ready = _trunk(ctx, mode, op, trunk, lm, lm_out, warnings, progress)
    outcomes += _station_departures(ctx, op, trunk, lm, lm_out, ready, warnings)
    return PlanPart(outcomes, unserved, buses, moved, extra_models, warnings, time.perf_counter() - t0)


def served_specs(lm: dict, lm_out: dict) -> dict:
    """Each station's last-mile spec (``lm``: depot id → spec) keeping only the stops its solved plan
    (``lm_out``: depot id → outcome) puts on a route: the parcels the trunk must bring and take back.
    A station not solved yet keeps every stop."""
    out = {}
    for did, spec in lm.items():
        o = lm_out.get(did)
        if o is None or o.solution is None:
            out[did] = spec
            continue
        routed = {spec.stops[o.keep[m]].stop_id for r in o.solution.routes for m in r.stops}
        out[did] = replace(spec, stops=[s for s in spec.stops if s.stop_id in routed])
    return out


def _no_depot_row(op: str, code: str, parcels: tuple, name: str) -> dict:
    """The unserved row of a village of ``op`` with no county depot or township station to serve it from."""
    d, q = parcels
    return {"operator": op, "echelon": "last_mile", "depot_id": "", "stop_id": code,
            "stop_name": name, "stop_kind": "village_centre", "delivery": d, "pickup": q,
            "reason_code": "no_depot",
            "reason": f"{op} has no county depot or township station in the county",
            "smallest_fix": f"add a {op} township station or county depot to facilities.csv "
                            f"(or let the shared network carry its parcels)",
            "fix_checked": False, "fix_extra_cost": None}


def _last_mile(ctx: PlanContext, op: str, trunk: ModelSpec | None, lm: dict, progress: Callable | None):
    """Every station's last mile solved as if stocked at day start (county-wide with ``assignment =
    "county"``, which may move villages between stations and so re-makes the trunk spec);
    (trunk, last-mile specs, their outcomes, moved villages, statistics of the county-wide models)."""
    lm_out: dict = {}
    moved: list[dict] = []
    extra_models: list[dict] = []
    if ctx.params.assignment == "county" and lm:
        lm, lm_out, moved_op, block_models = county_last_mile(ctx, op, lm, progress)
        moved += moved_op
        extra_models += block_models
        if trunk is not None:
            trunk = trunk_spec(ctx, op, trunk.depot, lm)
    for did in sorted(set(lm) - set(lm_out)):
        if progress:
            progress(f"{op} last mile: {village_count(lm[did].stops)} villages from {did}")
        lm_out[did] = solve_spec(ctx, lm[did], diagnose=False)
    return trunk, lm, lm_out, moved, extra_models


def _trunk(ctx: PlanContext, mode: str, op: str, trunk: ModelSpec | None, lm: dict, lm_out: dict,
           warnings: list, progress: Callable | None) -> tuple[list, list, dict[str, int]]:
    """The trunk (or the bus runs) to the stations; (its outcomes, bus plans, station id → unloaded at (s))."""
    p = ctx.params
    outcomes: list[SolveOutcome] = []
    buses: list = []
    ready: dict[str, int] = {}
    if trunk is not None:
        if progress:
            progress(f"{op} trunk: {len(trunk.stops)} stations from {trunk.depot.id}")
        if p.bus_lines:
            o, bus = plan_buses(ctx, trunk, lm_out, warnings, solve_trunk)
            buses.append(bus)
            ready.update(bus.ready_s)
        else:
            o = solve_trunk(ctx, trunk, lm_out, warnings)
            if mode != "shared":  # each operator's trunk timed by its own last mile (routing/timing.py)
                o = own_trunk_timing(ctx, trunk, o, lm_out, warnings)
        if o is not None:
            outcomes.append(o)
            ready.update(unloading_times(o))
    elif lm:
        stations = [d for d in lm if lm[d].depot.tier != "county"]
        if stations:
            warnings.append(f"{op}: no county depot; no trunk planned, its stations are assumed stocked "
                            f"at {hhmm(p.day_start_s)}")
    return outcomes, buses, ready


def _station_departures(ctx: PlanContext, op: str, trunk: ModelSpec | None, lm: dict, lm_out: dict,
                        ready: dict[str, int], warnings: list) -> list[SolveOutcome]:
    """Each station's last mile leaving once the trunk has unloaded there (with ``wait_for_trunk``), every
    dropped village explained."""
    p = ctx.params
    outcomes = []
    for did in sorted(lm):
        o = lm_out[did]
        if p.wait_for_trunk and trunk is not None and lm[did].depot.tier != "county":
            if did in ready:
                o = reopen_later(ctx, o, max(p.day_start_s, ready[did]))
            else:
                warnings.append(f"{op}: station {did} is not served by the trunk; its last-mile plan assumes its "
                                f"parcels are there at {hhmm(p.day_start_s)}")
        outcomes.append(o)
    explain_all(ctx, outcomes)
    return outcomes


def unloading_times(o: SolveOutcome) -> dict[str, int]:
    """Station id → when the trunk of outcome ``o`` has unloaded there (s after midnight); {} without a solution."""
    if o.solution is None:
        return {}
    return {o.spec.stops[o.keep[s]].stop_id: int(r.service_start_s[j] + o.model.stops[s].service_s)
            for r in o.solution.routes for j, s in enumerate(r.stops)}


def assemble_plan(ctx: PlanContext, mode: str, parts: list[PlanPart]) -> RoutePlan:
    """The :class:`RoutePlan` of the operators' ``parts`` (in :data:`CARRIERS` order): records, unserved
    stops, station notes; its ``seconds`` are the parts' own (their sum: solver time, not wall time)."""
    p = ctx.params
    outcomes = [o for x in parts for o in x.outcomes]
    buses = [b for x in parts for b in x.buses]
    moved = [m for x in parts for m in x.moved]
    warnings = [w for x in parts for w in x.warnings]
    unserved = [u for x in parts for u in x.unserved]
    stops, routes = _records(ctx, outcomes)
    stops, routes = add_bus_records(stops, routes, buses, ctx)
    for o in outcomes:
        unserved += o.unserved
    uns = pd.DataFrame(unserved, columns=UNSERVED_COLUMNS + ["_k"])[UNSERVED_COLUMNS]
    _station_notes(ctx, outcomes, moved, warnings)
    depots = pd.DataFrame([vars(o.spec.depot) for o in outcomes]).drop_duplicates("id") if outcomes else \
        pd.DataFrame(columns=["id", "name", "operator", "tier", "lon", "lat"])
    models = [m for x in parts for m in x.models] + [o.stats for o in outcomes]
    return RoutePlan(ctx.scenario, mode, p, stops, routes, uns, models, warnings,
                     sum(x.seconds for x in parts), ctx.net, depots, bus=buses if p.bus_lines else None, moved=moved)


def _station_notes(ctx: PlanContext, outcomes: list[SolveOutcome], moved: list, warnings: list) -> None:
    """Add to ``warnings`` every last-mile station that sends out more inbound parcels than its
    ``capacity_per_day`` (possible only with ``assignment = "township"``), and how many villages moved."""
    cap = dict(zip(ctx.facilities["id"], ctx.facilities["capacity_per_day"]))
    for o in outcomes:
        d = o.spec.depot
        c = cap.get(d.id)
        load = sum(o.model.stops[m].delivery for r in o.solution.routes for m in r.stops) \
            if o.solution is not None else 0
        if o.spec.echelon == "last_mile" and c is not None and np.isfinite(c) and load > c:
            warnings.append(f"{o.spec.operator}: station {d.id} {d.name} handles {load} inbound parcels a day, more "
                            f"than its capacity_per_day {c:g}")
    if moved:   # one entry per operator and village: count the villages
        n = len({m["village_code"] for m in moved})
        warnings.append(f"{n} village(s) are served from another township's station (assignment = "
                        "\"county\"; listed in summary.json villages_moved)")


def _records(ctx: PlanContext, outcomes: list[SolveOutcome]) -> tuple[pd.DataFrame, pd.DataFrame]:
    srows: list[dict] = []
    rrows: list[dict] = []
    for o in outcomes:
        if o.solution is None:
            continue
        spec, model = o.spec, o.model
        d = spec.depot
        prefix = "T" if spec.echelon == "trunk" else "L"
        tag = "" if spec.operator in ("shared",) else f"{spec.operator}-"
        for n, r in enumerate(o.solution.routes, start=1):
            f = spec.fleet[r.vehicle_type]
            vt = model.vehicle_types[r.vehicle_type]
            rid = f"{prefix}-{tag}{d.id}-{n:02d}"
            vid = f"{d.id}/{f.name}-{r.vehicle + 1}"
            common = {"route_id": rid, "vehicle_id": vid, "operator": spec.operator, "echelon": spec.echelon,
                      "depot_id": d.id, "vehicle_type": f.name}
            first = len(srows)   # seq counts this route's rows: departure 0, stops, reloads and rests, return
            srows.append(common | {"seq": 0, "stop_id": d.id, "stop_name": d.name, "stop_kind": "depot",
                                   "delivered": 0, "picked_up": 0, "load_after": int(r.start_load),
                                   "arrival_min": round(r.departure_s / 60.0, 2), "leg_m": 0, "lon": d.lon,
                                   "lat": d.lat, "node": int(o.snap_nodes[0]), "point_id": "", "point_name": "",
                                   "service_start_min": None, "departure_min": round(r.departure_s / 60.0, 2),
                                   "service_point_id": "", "delivered_cultural": 0, "picked_up_cultural": 0,
                                   "trip": 1})
            trip_of = r.trip_of_stops()
            for j, s in enumerate(r.stops):
                k = o.keep[s]
                st = spec.stops[k]
                if j in r.reloads:
                    srows.append(common | reload_row(r, j, d, int(o.snap_nodes[0]), len(srows) - first))
                srows.append(common | {
                    "seq": len(srows) - first, "stop_id": st.code, "stop_name": st.stop_name,
                    "stop_kind": st.stop_kind, "trip": trip_of[j] + 1,
                    "delivered": int(st.delivery), "picked_up": int(st.pickup), "load_after": int(r.load_after[j]),
                    "arrival_min": round(r.arrival_s[j] / 60.0, 2), "leg_m": int(r.leg_distance[j + trip_of[j]]),
                    "lon": st.lon, "lat": st.lat, "node": int(o.snap_nodes[k + 1]), "point_id": st.point_id,
                    "point_name": st.point_name, "service_start_min": round(r.service_start_s[j] / 60.0, 2),
                    "departure_min": round((r.service_start_s[j] + model.stops[s].service_s) / 60.0, 2),
                    "service_point_id": st.point_id, "delivered_cultural": stop_cultural(st)[0],
                    "picked_up_cultural": stop_cultural(st)[1]})
            srows.append(common | {"seq": len(srows) - first, "stop_id": d.id, "stop_name": d.name,
                                   "stop_kind": "depot", "delivered": 0, "picked_up": 0,
                                   "load_after": int(r.load_after[-1]) if r.stops else int(r.start_load),
                                   "arrival_min": round(r.return_s / 60.0, 2), "leg_m": int(r.leg_distance[-1]),
                                   "lon": d.lon, "lat": d.lat, "node": int(o.snap_nodes[0]), "point_id": "",
                                   "point_name": "", "service_start_min": None, "departure_min": None,
                                   "service_point_id": "", "delivered_cultural": 0, "picked_up_cultural": 0,
                                   "trip": r.num_trips})
            srows[first:] = insert_rest_rows(srows[first:], r.rest_after)
            cost = vt.fixed_cost + vt.cost_per_m * r.distance
            rrows.append(common | {
                "capacity": int(vt.capacity), "stops": len(r.stops), "distance_m": int(r.distance),
                "trips": r.num_trips,
                "duration_min": round((r.return_s - r.departure_s) / 60.0, 2), "cost": round(float(cost), 2),
                "range_km": f.range_km,
                "depot_name": d.name, "departure_min": round(r.departure_s / 60.0, 2),
                "return_min": round(r.return_s / 60.0, 2),
                "delivered": int(sum(model.stops[s].delivery for s in r.stops)),
                "picked_up": int(sum(model.stops[s].pickup for s in r.stops)),
                "fixed_cost": float(vt.fixed_cost), "cost_per_km": float(f.cost_per_km),
                "max_shift_min": None if vt.max_shift_s is None else round(vt.max_shift_s / 60.0, 2),
                "open_min": round(int(model.depots[vt.start_depot].tw_early or 0) / 60.0, 2)})
    extra_s = ["depot_id", "vehicle_type", "lon", "lat", "node", "point_id", "point_name"]
    extra_r = ["depot_id", "depot_name", "vehicle_type", "departure_min", "return_min", "delivered", "picked_up",
               "fixed_cost", "cost_per_km", "max_shift_min", "open_min"]
    stops = pd.DataFrame(srows, columns=ROUTE_PLAN_COLUMNS + extra_s)
    routes = pd.DataFrame(rrows, columns=ROUTES_SUMMARY_COLUMNS + extra_r)
    return stops, routes


def plan_routes(scenario: Scenario, mode: str = "shared", params: RoutingParams | None = None, network=None,
                time_limit_s: float | None = None, seed: int | None = None,
                progress: Callable | None = None) -> RoutePlan:
    """The day's two-echelon route plan of ``scenario`` in ``mode`` (``"shared"`` or ``"separate"``).

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.inputs.scenario.Scenario`.
    mode : ``"shared"`` (one co-delivery plan) or ``"separate"`` (every operator its own).
    params : routing parameters (default: from the scenario's ``[routing]`` and ``[[fleet]]``).
    network : a :class:`~culture_logistics.network.roads.RoadNetwork` to reuse (built when None).
    time_limit_s, seed : override ``params`` (seconds per model of 40+ stops; solver seed).
    progress : optional callable receiving one line of text per model.

    Returns
    -------
    RoutePlan

    Raises
    ------
    ScenarioError
        a bad ``[routing]`` or ``[[fleet]]`` entry (file, key, how to fix it).
    CultureLogisticsError
        an unknown mode, or no depot to plan from.
    """
    if mode not in ("shared", "separate"):
        raise CultureLogisticsError(f"unknown routing mode {mode!r}; use shared or separate "
                                    "(compare_modes() runs both)")
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    check_plannable(scenario, mode)
    ctx = build_context(scenario, params, network)
    plan = plan_mode(ctx, mode, progress)
    solve_without_cultural(plan, ctx, progress)
    return plan


def solve_without_cultural(plan: RoutePlan, ctx: PlanContext | None = None, progress: Callable | None = None) -> None:
    """Solve ``plan``'s mode again without the cultural parcels and keep its cost in
    ``plan.without_cultural_cost_cny`` (for ``cultural_marginal_cost_cny_per_day``); nothing when the villages
    carry no other parcels (that plan would be empty).  ``ctx``: the plan's context (built when None)."""
    if plan.mode not in ("shared", "separate"):
        return
    ctx = ctx if ctx is not None else build_context(plan.scenario, plan.params, plan.net)
    bare = without_cultural_context(ctx)
    if bare is None:
        return
    without = plan_mode(bare, plan.mode, None if progress is None else without_cultural_progress(progress))
    note_without_cultural(plan, without)


def check_plannable(scenario: Scenario, mode: str) -> None:
    """Refuse a scenario that cannot be routed in ``mode`` (no villages, no depot or station to plan from)."""
    fac = scenario.facilities
    if not len(scenario.villages):
        raise CultureLogisticsError("the scenario has no villages: nothing to route")
    if mode in ("shared", "compare") and not (fac["tier"].isin(["county", "township"])).any():
        raise CultureLogisticsError(
            f"{scenario.path or 'the scenario'}: no county depot or township station in facilities.csv; routing "
            "needs at least one facility with tier = county (the county co-delivery centre) or township")
