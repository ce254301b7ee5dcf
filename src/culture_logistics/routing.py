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
project's routing engine (:mod:`culture_logistics.engine`, OR-Tools by default) on road-network
distances (m) and travel times (s) from :meth:`culture_logistics.network.RoadNetwork.full_matrix`:
one model per (operator, county depot) for the trunk and one per (operator, township depot) for
the last mile, so no model comes near the ~1,000 stops above which OR-Tools' maintainers advise
decomposing.

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

import difflib
import math
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import engine as E
from .errors import CultureLogisticsError, ProblemList
from .scenario import CARRIERS, OPERATOR_ZH, Scenario

__all__ = [
    "MODES", "ECHELONS", "ROUTE_PLAN_COLUMNS", "ROUTES_SUMMARY_COLUMNS", "UNSERVED_COLUMNS",
    "COMPARISON_COLUMNS", "DEFAULT_VEHICLES", "DEFAULT_SHARES", "FleetEntry", "RoutingParams",
    "RoutePlan", "ModeComparison", "plan_routes", "compare_modes", "run_routing", "write_plan",
    "write_comparison", "routes_map", "demo_stage", "hhmm", "summary_lines", "route_sheets", "comparison_table",
    "parse_routing_config", "daily_parcels",
]

MODES = ("shared", "separate", "compare")
ECHELONS = ("trunk", "last_mile")
ECHELON_ZH = {"trunk": "干线", "last_mile": "末端"}

#: route_plan.csv: one row per depot departure, stop and depot return, in visiting order.
ROUTE_PLAN_COLUMNS = ["route_id", "vehicle_id", "operator", "echelon", "seq", "stop_id", "stop_name",
                      "stop_kind", "delivered", "picked_up", "load_after", "arrival_min", "leg_m"]
#: routes_summary.csv: one row per route (= per vehicle used).
ROUTES_SUMMARY_COLUMNS = ["route_id", "vehicle_id", "operator", "echelon", "capacity", "stops", "distance_m",
                          "duration_min", "cost"]
#: unserved.csv: one row per stop that could not be served.
UNSERVED_COLUMNS = ["operator", "echelon", "depot_id", "stop_id", "stop_name", "stop_kind", "delivery", "pickup",
                    "reason_code", "reason", "smallest_fix", "fix_checked", "fix_extra_cost"]
#: comparison.csv (compare mode): one row per metric.
COMPARISON_COLUMNS = ["metric", "unit", "separate", "shared", "difference", "saving_pct"]

#: Default vehicles per echelon (used for every operator and for ``shared`` unless [[fleet]] says
#: otherwise).  Costs are 2024 Shandong figures, rounded: a 4.2 m light truck burns ~12 L/100 km of
#: diesel (~7.5 CNY/L) plus tolls and upkeep ≈ 1.5 CNY/km, and costs a driver (~6,000 CNY/month
#: over 26 days) plus depreciation and insurance ≈ 320 CNY/day; a Wuling-class mini van ≈ 0.75
#: CNY/km and ≈ 220 CNY/day.  ``count`` is an upper bound (a plan uses only what it needs); for
#: the last mile it is per township depot.  ``speed_factor`` multiplies the road speeds.
DEFAULT_VEHICLES = {
    "trunk": {"name": "trunk_van", "count": 6, "capacity": 1000, "speed_factor": 1.0, "cost_per_km": 1.5,
              "fixed_cost": 320.0, "max_shift_h": 10.0},
    "last_mile": {"name": "light_van", "count": 6, "capacity": 200, "speed_factor": 0.85, "cost_per_km": 0.75,
                  "fixed_cost": 220.0, "max_shift_h": 9.0},
}
#: Shares of every village's parcels carried by each operator in ``separate`` mode.
DEFAULT_SHARES = {"postal": 0.45, "supply_coop": 0.20, "courier": 0.35}
#: Station preference of the shared plan within a township, and of village service points.
SHARED_PREFERENCE = ("shared", "postal", "supply_coop", "courier")

_FLEET_KEYS = ("operator", "echelon", "name", "count", "capacity", "speed_factor", "cost_per_km", "fixed_cost",
               "max_shift_h")
_ROUTING_KEYS = ("service_min", "service_min_per_parcel", "station_service_min", "day_start", "day_end",
                 "delivery_days_per_week", "shares", "time_limit_s", "seed", "engine", "service_point_radius_m",
                 "wait_for_trunk", "diagnose", "max_resolves", "time_windows")
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_INF = 10**12  # "no limit" (s)


def hhmm(seconds: float) -> str:
    """Seconds after midnight → ``"HH:MM"`` (rounded to the minute; 24:00 and later allowed)."""
    m = int(round(float(seconds) / 60.0))
    return f"{m // 60:02d}:{m % 60:02d}"


def _parse_hhmm(value) -> int | None:
    if not isinstance(value, str):
        return None
    mo = _HHMM.match(value)
    if not mo:
        return None
    h, m = int(mo.group(1)), int(mo.group(2))
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 3600 + m * 60


# ============================================================================ parameters
@dataclass(frozen=True)
class FleetEntry:
    """One vehicle type of one operator and echelon.

    Attributes
    ----------
    operator : ``postal``, ``supply_coop``, ``courier`` or ``shared``.
    echelon : ``trunk`` (county depot → township stations) or ``last_mile`` (station → villages).
    name : label used in vehicle ids and fixes (e.g. ``light_van``, ``e_trike``).
    count : vehicles available; for ``last_mile`` **per township depot**, for ``trunk`` per county depot.
    capacity : parcels on board at any moment.
    speed_factor : the vehicle drives at road speed × speed_factor (0.6 = an e-trike at 60 %).
    cost_per_km : CNY per km driven.
    fixed_cost : CNY per vehicle used per day (driver, depreciation, insurance).
    max_shift_h : hours from leaving the depot to returning.
    source : ``"default"`` or ``"fleet[i]"`` (its [[fleet]] entry, 1-based).
    """

    operator: str
    echelon: str
    name: str
    count: int
    capacity: int
    speed_factor: float
    cost_per_km: float
    fixed_cost: float
    max_shift_h: float
    source: str = "default"

    @property
    def max_shift_s(self) -> int:
        return int(round(self.max_shift_h * 3600))

    def vehicle_type(self) -> E.VehicleType:
        """The engine vehicle type (engine ``speed_factor`` multiplies *times*: 1 / ours)."""
        return E.VehicleType(capacity=int(self.capacity), count=int(self.count), fixed_cost=float(self.fixed_cost),
                             cost_per_m=float(self.cost_per_km) / 1000.0, speed_factor=1.0 / float(self.speed_factor),
                             max_shift_s=self.max_shift_s, start_depot=0, name=self.name)


def default_fleet_entry(operator: str, echelon: str) -> FleetEntry:
    d = DEFAULT_VEHICLES[echelon]
    return FleetEntry(operator=operator, echelon=echelon, **d, source="default")


@dataclass(frozen=True)
class RoutingParams:
    """The ``[routing]`` table and ``[[fleet]]`` entries of a scenario, checked, with defaults.

    Attributes
    ----------
    service_min : minutes at every village stop (parking, hand-over, signature).
    service_min_per_parcel : extra minutes per parcel delivered or picked up at a village.
    station_service_min : minutes a trunk van spends at a township station (unloading cages).
    day_start_s, day_end_s : the depots' opening hours, seconds after midnight; every vehicle leaves
        at or after ``day_start`` and is back by ``day_end``.
    delivery_days_per_week : the week's parcels are spread over this many days; a village's daily
        parcels are ⌈weekly / days⌉ (a typical day, rounded up so no parcel is left over).
    shares : separate mode: each carrying operator's share of every village's parcels (sum 1).
    time_limit_s : solver seconds for a model of 40 or more stops; smaller models get
        proportionally less (at least 10 %, and at least 0.2 s); re-solves for diagnosis use the
        same budget.  A model with no solution at all in its budget is solved again with 4× and
        16× the budget.
    seed : random seed of the solver.
    engine : routing engine, ``"ortools"`` (default) or ``"pyvrp"``.  OR-Tools is the default here
        whatever :data:`culture_logistics.engine.DEFAULT_ENGINE` says: the county models have
        shifts, pickups and fixed vehicle costs, and PyVRP found no feasible plan at all for an
        8-village model with fixed costs of 150 CNY against 0.1 CNY/km that OR-Tools solves at once.
    service_point_radius_m : a village-tier facility within this straight-line distance (m) of a
        village centre (and nearer to it than to any other village) is that village's service point.
    wait_for_trunk : last-mile vehicles leave a station only once the trunk van has unloaded there.
    diagnose : re-solve to find and confirm the smallest fix of every dropped stop.
    max_resolves : at most this many re-solves per model for the diagnosis.
    time_windows : {stop id (village code or facility id): (open_s, close_s)} for the start of service.
    fleet : every [[fleet]] entry (defaults are added per operator and echelon where none is given).
    """

    service_min: float = 5.0
    service_min_per_parcel: float = 0.2
    station_service_min: float = 20.0
    day_start_s: int = 8 * 3600
    day_end_s: int = 18 * 3600
    delivery_days_per_week: int = 6
    shares: dict = field(default_factory=lambda: dict(DEFAULT_SHARES))
    time_limit_s: float = 2.0
    seed: int = 0
    engine: str = "ortools"
    service_point_radius_m: float = 500.0
    wait_for_trunk: bool = True
    diagnose: bool = True
    max_resolves: int = 8
    time_windows: dict = field(default_factory=dict)
    fleet: tuple = ()

    def fleet_for(self, operator: str, echelon: str) -> list[FleetEntry]:
        """The vehicle types of ``operator`` on ``echelon`` (the default vehicle when none is configured)."""
        got = [f for f in self.fleet if f.operator == operator and f.echelon == echelon]
        return got or [default_fleet_entry(operator, echelon)]

    def model_time_limit(self, n_stops: int) -> float:
        """Seconds for a model of ``n_stops`` stops: ``time_limit_s × clamp(n_stops / 40, 0.1, 1)``,
        and at least 0.2 s (or ``time_limit_s`` when that is smaller)."""
        t = float(self.time_limit_s)
        return max(min(t, 0.2), t * min(1.0, max(0.1, n_stops / 40.0)))

    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides) -> "RoutingParams":
        """Read and check ``[routing]`` and ``[[fleet]]`` of ``scenario``.

        Raises
        ------
        ScenarioError
            listing every problem (file, key, how to fix it).
        """
        file = str(scenario.path) if scenario.path is not None else "scenario.toml"
        return parse_routing_config(scenario.config, file, **overrides)


def _closest(key: str, options) -> str:
    m = difflib.get_close_matches(str(key), list(options), n=1, cutoff=0.5)
    return f" (did you mean {m[0]!r}?)" if m else ""


def parse_routing_config(config: dict, file: str = "scenario.toml", **overrides) -> RoutingParams:
    """Check the raw ``[routing]`` table and ``[[fleet]]`` array of a scenario TOML.

    ``overrides`` (e.g. ``time_limit_s=1.0``, ``seed=3``) replace the file's values (None = keep).
    """
    P = ProblemList()
    rt = config.get("routing", {})
    if not isinstance(rt, dict):
        P.error(file, "[routing] must be a table", column="routing", hint="write it as a [routing] section")
        rt = {}
    for k in rt:
        if k not in _ROUTING_KEYS:
            P.error(file, f"unknown key [routing] {k}{_closest(k, _ROUTING_KEYS)}", column=f"routing.{k}",
                    hint="valid keys: " + ", ".join(_ROUTING_KEYS))
    d = RoutingParams()
    kw: dict = {}

    def num(key, default, lo=None, hi=None, integer=False, lo_open=False):
        v = rt.get(key, default)
        col = f"routing.{key}"
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            P.error(file, f"[routing] {key} must be a number, got {v!r}", column=col,
                    hint=f"e.g. {key} = {default}")
            return default
        if integer and int(v) != v:
            P.error(file, f"[routing] {key} must be a whole number, got {v!r}", column=col, hint=f"e.g. {key} = {default}")
            return default
        if lo is not None and (v <= lo if lo_open else v < lo):
            P.error(file, f"[routing] {key} must be {'>' if lo_open else '≥'} {lo}, got {v!r}", column=col,
                    hint=f"the default is {default}")
            return default
        if hi is not None and v > hi:
            P.error(file, f"[routing] {key} must be ≤ {hi}, got {v!r}", column=col, hint=f"the default is {default}")
            return default
        return int(v) if integer else float(v)

    kw["service_min"] = num("service_min", d.service_min, 0, 240)
    kw["service_min_per_parcel"] = num("service_min_per_parcel", d.service_min_per_parcel, 0, 60)
    kw["station_service_min"] = num("station_service_min", d.station_service_min, 0, 600)
    kw["delivery_days_per_week"] = num("delivery_days_per_week", d.delivery_days_per_week, 1, 7, integer=True)
    kw["time_limit_s"] = num("time_limit_s", d.time_limit_s, 0, 3600, lo_open=True)
    kw["seed"] = num("seed", d.seed, 0, 2**31 - 1, integer=True)
    kw["service_point_radius_m"] = num("service_point_radius_m", d.service_point_radius_m, 0, 20000)
    kw["max_resolves"] = num("max_resolves", d.max_resolves, 0, 1000, integer=True)
    for key in ("wait_for_trunk", "diagnose"):
        v = rt.get(key, getattr(d, key))
        if not isinstance(v, bool):
            P.error(file, f"[routing] {key} must be true or false, got {v!r}", column=f"routing.{key}")
            v = getattr(d, key)
        kw[key] = v
    eng = rt.get("engine", d.engine)
    if eng not in E.ENGINES:
        P.error(file, f"[routing] engine must be one of {', '.join(E.ENGINES)}, got {eng!r}", column="routing.engine")
        eng = d.engine
    kw["engine"] = eng
    times = {}
    for key, default in (("day_start", d.day_start_s), ("day_end", d.day_end_s)):
        v = rt.get(key, hhmm(default))
        s = _parse_hhmm(v)
        if s is None:
            P.error(file, f"[routing] {key} must be a time \"HH:MM\", got {v!r}", column=f"routing.{key}",
                    hint=f'e.g. {key} = "{hhmm(default)}"')
            s = default
        times[key] = s
    if times["day_end"] <= times["day_start"]:
        P.error(file, f"[routing] day_end ({hhmm(times['day_end'])}) must be later than day_start "
                      f"({hhmm(times['day_start'])})", column="routing.day_end")
    kw["day_start_s"], kw["day_end_s"] = times["day_start"], times["day_end"]

    shares = rt.get("shares", dict(DEFAULT_SHARES))
    if not isinstance(shares, dict):
        P.error(file, "[routing] shares must be a table of operator = share", column="routing.shares",
                hint="e.g. shares = { postal = 0.45, supply_coop = 0.20, courier = 0.35 }")
        shares = dict(DEFAULT_SHARES)
    clean = {}
    for op, v in shares.items():
        if op not in CARRIERS:
            P.error(file, f"[routing.shares] unknown operator {op!r}{_closest(op, CARRIERS)}",
                    column=f"routing.shares.{op}", hint="operators that carry parcels: " + ", ".join(CARRIERS))
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= 1):
            P.error(file, f"[routing.shares] {op} must be a number from 0 to 1, got {v!r}",
                    column=f"routing.shares.{op}")
            continue
        clean[op] = float(v)
    if clean and abs(sum(clean.values()) - 1.0) > 0.005 and len(clean) == len(shares):
        P.error(file, f"[routing.shares] must sum to 1, they sum to {sum(clean.values()):.3f}",
                column="routing.shares", hint="give every operator's share of the parcels; an operator left "
                                              "out carries none")
    kw["shares"] = {op: clean.get(op, 0.0) for op in CARRIERS} if clean else dict(DEFAULT_SHARES)

    tw = rt.get("time_windows", {})
    windows = {}
    if not isinstance(tw, dict):
        P.error(file, "[routing.time_windows] must be a table of stop id = \"HH:MM-HH:MM\"",
                column="routing.time_windows", hint='e.g. [routing.time_windows] "370782001001" = "09:00-11:30"')
        tw = {}
    for sid, v in tw.items():
        parts = v.split("-") if isinstance(v, str) else []
        a = _parse_hhmm(parts[0]) if len(parts) == 2 else None
        b = _parse_hhmm(parts[1]) if len(parts) == 2 else None
        if a is None or b is None or b < a:
            P.error(file, f"[routing.time_windows] {sid}: expected \"HH:MM-HH:MM\" (open before close), got {v!r}",
                    column=f"routing.time_windows.{sid}", hint='e.g. "09:00-11:30"')
            continue
        windows[str(sid)] = (a, b)
    kw["time_windows"] = windows

    fleet_raw = config.get("fleet", [])
    if isinstance(fleet_raw, dict):
        fleet_raw = [fleet_raw]
    if not isinstance(fleet_raw, list):
        P.error(file, "[[fleet]] must be an array of tables", column="fleet",
                hint="write each vehicle type as its own [[fleet]] section")
        fleet_raw = []
    entries = []
    for i, f in enumerate(fleet_raw, start=1):
        tag = f"fleet[{i}]"
        if not isinstance(f, dict):
            P.error(file, f"[[fleet]] entry {i} is not a table", column=tag)
            continue
        for k in f:
            if k not in _FLEET_KEYS:
                P.error(file, f"[[fleet]] entry {i}: unknown key {k!r}{_closest(k, _FLEET_KEYS)}", column=f"{tag}.{k}",
                        hint="valid keys: " + ", ".join(_FLEET_KEYS))
        op = f.get("operator")
        ech = f.get("echelon")
        ok = True
        if op not in CARRIERS + ("shared",):
            P.error(file, f"[[fleet]] entry {i}: operator must be one of postal, supply_coop, courier, shared; "
                          f"got {op!r}{_closest(op, CARRIERS + ('shared',))}", column=f"{tag}.operator",
                    hint='e.g. operator = "shared" (the co-delivery fleet of the shared mode)')
            ok = False
        if ech not in ECHELONS:
            P.error(file, f"[[fleet]] entry {i}: echelon must be \"trunk\" or \"last_mile\", got {ech!r}"
                          f"{_closest(ech, ECHELONS)}", column=f"{tag}.echelon",
                    hint="trunk = county depot → township stations; last_mile = station → villages")
            ok = False
        if not ok:
            continue
        base = DEFAULT_VEHICLES[ech]
        vals = {}
        limits = {"count": (0, 1000, True, False), "capacity": (1, 10**6, True, False),
                  "speed_factor": (0.05, 3.0, False, False), "cost_per_km": (0, 1000, False, False),
                  "fixed_cost": (0, 10**6, False, False), "max_shift_h": (0, 24, False, True)}
        for key, (lo, hi, integer, lo_open) in limits.items():
            v = f.get(key, base[key])
            col = f"{tag}.{key}"
            bad = isinstance(v, bool) or not isinstance(v, (int, float)) or v != v
            if not bad:
                too_low = v <= lo if lo_open else v < lo
                bad = too_low or v > hi or (integer and int(v) != v)
            if bad:
                what = "a whole number" if integer else "a number"
                rng = f"{'>' if lo_open else '≥'} {lo} and ≤ {hi}"
                P.error(file, f"[[fleet]] entry {i} ({op}/{ech}): {key} must be {what} {rng}, got {v!r}", column=col,
                        hint=f"the default {ech} vehicle has {key} = {base[key]}"
                             + (" (per township depot)" if key == "count" and ech == "last_mile" else ""))
                v = base[key]
            vals[key] = int(v) if integer else float(v)
        name = f.get("name", base["name"])
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            P.error(file, f"[[fleet]] entry {i}: name must be a short text, got {name!r}", column=f"{tag}.name")
            name = base["name"]
        entries.append(FleetEntry(operator=op, echelon=ech, name=name.strip(), source=tag, **vals))
    seen = {}
    for e in entries:
        key = (e.operator, e.echelon, e.name)
        if key in seen:
            P.error(file, f"[[fleet]] {e.source}: a {e.operator}/{e.echelon} vehicle named {e.name!r} is already "
                          f"defined in {seen[key]}", column=f"{e.source}.name",
                    hint="give each vehicle type of an operator and echelon its own name")
        seen[key] = e.source
    kw["fleet"] = tuple(entries)
    P.raise_if_errors()
    for k, v in overrides.items():
        if v is None:
            continue
        if k == "time_limit_s" and not (isinstance(v, (int, float)) and v > 0):
            raise CultureLogisticsError(f"time limit must be > 0 s, got {v!r}")
        if k == "seed" and not (isinstance(v, int) and v >= 0):
            raise CultureLogisticsError(f"seed must be a whole number ≥ 0, got {v!r}")
        kw[k] = v
    return RoutingParams(**kw)


# ============================================================================ the day's stops
def _split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` parcels by ``shares`` (largest remainder; ties in CARRIERS order); sums to ``total``."""
    ops = [op for op in CARRIERS if shares.get(op, 0.0) > 0]
    if not ops or total <= 0:
        return {op: 0 for op in CARRIERS}
    s = sum(shares[op] for op in ops)
    raw = {op: total * shares[op] / s for op in ops}
    out = {op: int(math.floor(raw[op] + 1e-9)) for op in ops}
    rest = total - sum(out.values())
    order = sorted(ops, key=lambda op: (-(raw[op] - out[op]), CARRIERS.index(op)))
    for op in order[:rest]:
        out[op] += 1
    return {op: out.get(op, 0) for op in CARRIERS}


def daily_parcels(weekly, days: int) -> np.ndarray:
    """Parcels of a typical day: ⌈weekly / days⌉ per village (integer array)."""
    w = np.asarray(weekly, dtype=float)
    return np.ceil(np.round(w / days, 9)).astype(np.int64)


@dataclass
class _Context:
    """Everything shared by the models of one scenario: network, villages, facilities, assignments."""

    scenario: Scenario
    params: RoutingParams
    net: object
    villages: pd.DataFrame          # code, name, township_code, township_name, lon, lat, daily_in, daily_out
    facilities: pd.DataFrame        # + township_code (of the nearest village)
    vpoints: dict                   # village code -> list of candidate service points (dicts)
    dist_fv: np.ndarray             # township/county facility x village network distance (m), inf = none
    fac_index: dict                 # facility id -> row of dist_fv
    snap_access: dict               # village code -> (access_m, on_network) of its centre


def _context(scenario: Scenario, params: RoutingParams, network=None) -> _Context:
    from scipy.spatial import cKDTree

    from .network import RoadNetwork

    net = network if network is not None else RoadNetwork.from_scenario(scenario)
    v = scenario.villages
    vill = pd.DataFrame({
        "code": v["code"].astype(str).to_numpy(), "name": v["name"].astype(str).to_numpy(),
        "township_code": v["township_code"].astype(str).to_numpy(),
        "township_name": v["township_name"].astype(str).to_numpy(),
        "lon": v["lon"].to_numpy(float), "lat": v["lat"].to_numpy(float),
        "daily_in": daily_parcels(v["parcels_in_per_week"].to_numpy(float), params.delivery_days_per_week),
        "daily_out": daily_parcels(v["parcels_out_per_week"].to_numpy(float), params.delivery_days_per_week),
    })
    fac = scenario.facilities
    fac = pd.DataFrame({c: fac[c].to_numpy() for c in ("id", "name", "operator", "tier", "lon", "lat")}
                       | {"capacity_per_day": fac["capacity_per_day"].to_numpy(float)})
    fac["id"] = fac["id"].astype(str)
    vx, vy = net.to_metric(vill["lon"].to_numpy(), vill["lat"].to_numpy())
    fx, fy = net.to_metric(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))
    vx, vy, fx, fy = map(np.atleast_1d, (vx, vy, fx, fy))
    if len(vill):
        tree = cKDTree(np.column_stack([vx, vy]))
        dv, kv = tree.query(np.column_stack([fx, fy])) if len(fac) else (np.zeros(0), np.zeros(0, int))
        fac["township_code"] = vill["township_code"].to_numpy()[kv] if len(fac) else []
    else:
        dv, kv = np.zeros(len(fac)), np.zeros(len(fac), int)
        fac["township_code"] = ""
    vpoints: dict = {c: [] for c in vill["code"]}
    for i, r in enumerate(fac.itertuples(index=False)):
        if r.tier == "village" and len(vill) and dv[i] <= params.service_point_radius_m:
            vpoints[vill["code"].iat[int(kv[i])]].append(
                {"id": r.id, "name": r.name, "operator": r.operator, "lon": float(r.lon), "lat": float(r.lat),
                 "dist_m": float(dv[i])})
    big = fac[fac["tier"].isin(["county", "township"])].reset_index(drop=True)
    fsnap = net.snap(big["lon"].to_numpy(float), big["lat"].to_numpy(float))
    vsnap = net.snap(vill["lon"].to_numpy(), vill["lat"].to_numpy())
    D = _source_distances(net, fsnap, vsnap)
    return _Context(scenario, params, net, vill, fac, vpoints, D,
                    {fid: k for k, fid in enumerate(big["id"])},
                    {c: (float(a), bool(o)) for c, a, o in zip(vill["code"], vsnap.access_m, vsnap.on_network)})


def _source_distances(net, src, dst) -> np.ndarray:
    """Dense source × destination network distance (m; inf = unreachable): one uncut Dijkstra per
    source node (a county has tens of depots and stations), access legs added at both ends."""
    from scipy.sparse.csgraph import dijkstra

    if len(src) == 0 or len(dst) == 0:
        return np.full((len(src), len(dst)), np.inf)
    if not net.has_roads:
        return np.hypot(src.x[:, None] - dst.x[None, :], src.y[:, None] - dst.y[None, :]) * net.params.circuity
    nodes, inv = np.unique(src.node, return_inverse=True)
    d = dijkstra(net.length_csr, directed=True, indices=nodes)[:, dst.node][inv]
    d = d + src.access_m[:, None] + dst.access_m[None, :]
    d[~src.on_network, :] = np.inf
    d[:, ~dst.on_network] = np.inf
    return d


def _mean_dist(ctx: _Context, fid: str, village_rows: np.ndarray) -> float:
    d = ctx.dist_fv[ctx.fac_index[fid], village_rows]
    d = d[np.isfinite(d)]  # villages off the network do not decide where their township is served from
    return float(d.mean()) if len(d) else np.inf


def _choose_station(ctx: _Context, candidates: pd.DataFrame, rows: np.ndarray, order: tuple) -> pd.Series | None:
    """The preferred candidate: first operator in ``order`` present, then least mean network distance."""
    for op in order:
        sub = candidates[candidates["operator"] == op]
        if len(sub):
            md = [(_mean_dist(ctx, fid, rows), fid) for fid in sub["id"]]
            return sub.set_index("id").loc[min(md)[1]].rename(min(md)[1])
    return None


@dataclass
class _StopSpec:
    stop_id: str
    stop_name: str
    stop_kind: str          # station | village_point | village_centre
    lon: float
    lat: float
    delivery: int
    pickup: int
    service_s: int
    tw: tuple | None = None
    point_id: str = ""       # service point facility id (village_point)
    point_name: str = ""
    township_code: str = ""


@dataclass
class _Depot:
    id: str
    name: str
    operator: str
    tier: str
    lon: float
    lat: float


@dataclass
class _ModelSpec:
    operator: str                # the plan's operator (``shared`` in shared mode)
    echelon: str
    depot: _Depot
    stops: list
    fleet: list
    open_s: int
    close_s: int
    note: str = ""


def _depot_of(row) -> _Depot:
    return _Depot(str(row.name if isinstance(row, pd.Series) else row["id"]), str(row["name"]), str(row["operator"]),
                  str(row["tier"]), float(row["lon"]), float(row["lat"]))


def _county_depot(ctx: _Context, operator: str, warnings: list) -> _Depot | None:
    fac = ctx.facilities
    county = fac[fac["tier"] == "county"]
    order = ("shared", "postal", "supply_coop", "courier") if operator == "shared" else (operator, "shared")
    for op in order:
        sub = county[county["operator"] == op]
        if len(sub):
            if op != order[0]:
                warnings.append(f"{operator}: no {operator} county depot; uses {sub['id'].iat[0]} "
                                f"({sub['name'].iat[0]}, {op}) as its county depot")
            # the largest capacity first, then the id
            sub = sub.assign(_c=sub["capacity_per_day"].fillna(np.inf)).sort_values(["_c", "id"],
                                                                                    ascending=[False, True])
            r = sub.iloc[0]
            return _Depot(str(r["id"]), str(r["name"]), str(r["operator"]), "county", float(r["lon"]), float(r["lat"]))
    return None


def _village_stop(ctx: _Context, vrow, delivery: int, pickup: int, order: tuple) -> _StopSpec:
    p = ctx.params
    pts = ctx.vpoints.get(vrow.code, [])
    chosen = None
    for op in order:
        sub = [q for q in pts if q["operator"] == op]
        if sub:
            chosen = min(sub, key=lambda q: (q["dist_m"], q["id"]))
            break
    service = int(round(60 * (p.service_min + p.service_min_per_parcel * (delivery + pickup))))
    tw = p.time_windows.get(vrow.code)
    if chosen is not None:
        return _StopSpec(vrow.code, vrow.name, "village_point", chosen["lon"], chosen["lat"], delivery, pickup, service,
                         tw, chosen["id"], chosen["name"], vrow.township_code)
    return _StopSpec(vrow.code, vrow.name, "village_centre", float(vrow.lon), float(vrow.lat), delivery, pickup,
                     service, tw, "", "", vrow.township_code)


def _last_mile_groups(ctx: _Context, operator: str, county: _Depot | None, demand: dict, warnings: list):
    """Depot → villages served from it, for one operator (or ``shared``).

    ``demand``: village code → (delivery, pickup) of this operator.  A township is served from the
    operator's station in it (the preferred one: :data:`SHARED_PREFERENCE` in shared mode); a
    township without one from the operator's station — or county depot — with the least mean
    network distance to its villages.
    """
    fac = ctx.facilities
    ops = SHARED_PREFERENCE if operator == "shared" else (operator,)
    stations = fac[(fac["tier"] == "township") & fac["operator"].isin(ops)]
    vill = ctx.villages
    groups: dict[str, dict] = {}
    for tw_code, g in vill.groupby("township_code", sort=True):
        rows = g.index.to_numpy()
        codes = [c for c in g["code"] if sum(demand.get(c, (0, 0))) > 0]
        if not codes:
            continue
        inside = stations[stations["township_code"] == tw_code]
        st = _choose_station(ctx, inside, rows, ops)
        if st is not None:
            dep = _Depot(str(st.name), str(st["name"]), str(st["operator"]), "township", float(st["lon"]), float(st["lat"]))
        else:
            cands = [(_mean_dist(ctx, fid, rows), fid) for fid in stations["id"]]
            if county is not None and county.id in ctx.fac_index:
                cands.append((_mean_dist(ctx, county.id, rows), county.id))
            cands = [c for c in cands if np.isfinite(c[0])] or cands
            if not cands:
                groups.setdefault("", {"depot": None, "villages": []})["villages"] += codes
                continue
            fid = min(cands)[1]
            r = fac.set_index("id").loc[fid]
            dep = _Depot(fid, str(r["name"]), str(r["operator"]), str(r["tier"]), float(r["lon"]), float(r["lat"]))
            warnings.append(f"{operator}: township {tw_code} {g['township_name'].iat[0]} has no "
                            f"{'station' if operator == 'shared' else operator + ' station'}; served from "
                            f"{dep.id} {dep.name}")
        groups.setdefault(dep.id, {"depot": dep, "villages": []})["villages"] += codes
    return groups


def _operator_specs(ctx: _Context, operator: str, demand: dict, warnings: list):
    """(trunk spec or None, {depot id: last-mile spec}, villages without any depot) for one operator."""
    p = ctx.params
    county = _county_depot(ctx, operator, warnings)
    groups = _last_mile_groups(ctx, operator, county, demand, warnings)
    order = SHARED_PREFERENCE if operator == "shared" else (operator, "shared")
    vrow = {r.code: r for r in ctx.villages.itertuples(index=False)}
    lm = {}
    orphans = []
    for did, g in groups.items():
        if g["depot"] is None:
            orphans += g["villages"]
            continue
        stops = [_village_stop(ctx, vrow[c], *demand[c], order) for c in g["villages"]]
        lm[did] = _ModelSpec(operator, "last_mile", g["depot"], stops, p.fleet_for(operator, "last_mile"),
                             p.day_start_s, p.day_end_s)
    trunk = None
    if county is not None:
        tstops = []
        for did, spec in lm.items():
            if did == county.id:
                continue
            d = spec.depot
            tstops.append(_StopSpec(d.id, d.name, "station", d.lon, d.lat, sum(s.delivery for s in spec.stops),
                                    sum(s.pickup for s in spec.stops), int(round(60 * p.station_service_min)),
                                    p.time_windows.get(d.id)))
        if tstops:
            trunk = _ModelSpec(operator, "trunk", county, tstops, p.fleet_for(operator, "trunk"), p.day_start_s,
                               p.day_end_s)
    return trunk, lm, orphans


# ============================================================================ solving one model
@dataclass
class _Outcome:
    spec: _ModelSpec
    model: E.Model | None
    keep: list                 # model stop index -> spec stop index
    solution: E.Solution | None
    unserved: list             # dicts (UNSERVED_COLUMNS + spec index)
    stats: dict
    snap_nodes: np.ndarray     # road node of the depot, then of every spec stop (-1 without roads)
    ready_s: dict = field(default_factory=dict)   # trunk: station id -> time its parcels are unloaded (s)


def _retime(model: E.Model, r: E.Route) -> E.Route:
    """The same route scheduled to leave as early as the depot opens (waiting only where a time window
    makes it wait, then pushed as late as that waiting allows); falls back to ``r`` if that breaks the shift."""
    vt = model.vehicle_types[r.vehicle_type]
    dep0 = int(model.depots[vt.start_depot].tw_early or 0)
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


def _solve(model: E.Model, params: RoutingParams, tl: float, initial: E.Solution | None = None) -> E.Solution:
    try:
        sol = E.solve(model, time_limit_s=tl, seed=params.seed, engine=params.engine, initial_solution=initial)
        for _ in range(2):  # no solution at all in a short budget (a busy machine): give it more time
            if sol.status != "no_solution":
                break
            tl *= 4
            sol = E.solve(model, time_limit_s=tl, seed=params.seed, engine=params.engine, initial_solution=initial)
    except E.ModelError as exc:  # pragma: no cover - a bug in the model building here
        raise CultureLogisticsError(f"internal routing model error: {exc}") from exc
    if sol.routes:
        sol = replace(sol, routes=[_retime(model, r) for r in sol.routes])
    problems = E.check_solution(model, sol)
    if problems:
        from .errors import SolverError

        raise SolverError("the routing engine returned an infeasible plan: " + "; ".join(problems[:5]))
    return sol


def _solve_spec(ctx: _Context, spec: _ModelSpec, diagnose: bool = True) -> _Outcome:
    """Build the engine model of ``spec`` on road distances and times, solve it, and (``diagnose``)
    explain every dropped stop."""
    p = ctx.params
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
        unserved.append(_unserved_row(spec, k, "unreachable", f"unreachable on the road network: {why}", fix,
                                      False, None))
    keep = [int(k) for k in np.flatnonzero(ok)]
    stats = {"operator": spec.operator, "echelon": spec.echelon, "depot_id": spec.depot.id, "stops": n,
             "stops_routed": len(keep), "time_limit_s": 0.0, "solve_s": 0.0, "status": "", "resolves": 0}
    if not keep:
        return _Outcome(spec, None, [], None, unserved, stats, snap.node)
    idx = [0] + [k + 1 for k in keep]
    dist = np.rint(L[np.ix_(idx, idx)]).astype(np.int64)
    dur = np.rint(T[np.ix_(idx, idx)]).astype(np.int64)
    depot = E.Depot(name=spec.depot.id, tw_early=int(spec.open_s), tw_late=int(spec.close_s))
    stops = []
    for k in keep:
        s = spec.stops[k]
        e, l = (s.tw if s.tw is not None else (None, None))
        stops.append(E.Stop(delivery=int(s.delivery), pickup=int(s.pickup), service_s=int(s.service_s),
                            tw_early=e, tw_late=l, name=s.stop_id))
    model = E.Model([depot], stops, [f.vehicle_type() for f in spec.fleet], dist, dur)
    tl = p.model_time_limit(len(keep))
    t0 = time.perf_counter()
    sol = _solve(model, p, tl)
    stats.update(time_limit_s=round(tl, 3), solve_s=round(time.perf_counter() - t0, 3), status=sol.status,
                 engine=sol.engine, cost=round(sol.cost, 2),
                 overrun_s=round(float(sol.stats.get("overrun_s", 0.0)), 3))
    out = _Outcome(spec, model, keep, sol, unserved, stats, snap.node)
    if diagnose:
        _explain(ctx, out)
    return out


def _explain(ctx: _Context, out: _Outcome) -> None:
    if out.solution is not None and out.solution.dropped:
        out.unserved += _diagnose(ctx, out)


def _reopen(ctx: _Context, out: _Outcome, open_s: int) -> _Outcome:
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
    model = E.Model([replace(m0.depots[0], tw_early=int(open_s))], m0.stops, m0.vehicle_types, m0.distance,
                    m0.duration)
    sol = out.solution
    delta = int(open_s) - int(m0.depots[0].tw_early or 0)
    stats = dict(out.stats)
    if delta <= 0:
        return replace(out, model=model, stats=stats)
    if all(st.tw_early is None and st.tw_late is None for st in m0.stops):
        moved = [replace(r, departure_s=r.departure_s + delta, arrival_s=[a + delta for a in r.arrival_s],
                         service_start_s=[a + delta for a in r.service_start_s], return_s=r.return_s + delta)
                 for r in sol.routes]
        new = replace(sol, routes=moved)
        if not E.check_solution(model, new):
            stats["later_by_min"] = round(delta / 60, 2)
            return replace(out, model=model, solution=new, stats=stats)
    tl = ctx.params.model_time_limit(len(out.keep))
    t0 = time.perf_counter()
    new = _solve(model, ctx.params, tl)
    stats.update(status=new.status, cost=round(new.cost, 2), resolved_for_late_opening=True,
                 solve_s=round(stats.get("solve_s", 0.0) + time.perf_counter() - t0, 3))
    return replace(out, model=model, solution=new, stats=stats)


def _unserved_row(spec: _ModelSpec, k: int, code: str, reason: str, fix: str, checked: bool, extra) -> dict:
    s = spec.stops[k]
    return {"operator": spec.operator, "echelon": spec.echelon, "depot_id": spec.depot.id, "stop_id": s.stop_id,
            "stop_name": s.stop_name, "stop_kind": s.stop_kind, "delivery": int(s.delivery), "pickup": int(s.pickup),
            "reason_code": code, "reason": reason, "smallest_fix": fix, "fix_checked": bool(checked),
            "fix_extra_cost": None if extra is None else round(float(extra), 2), "_k": int(k)}


# ============================================================================ why was it dropped?
def _classify(model: E.Model, m: int) -> tuple[str, dict]:
    """Why model stop ``m`` cannot be served, from the model data alone.

    Returns (code, facts): ``demand_exceeds_capacity`` (facts: need), ``beyond_shift`` (type,
    minutes, over_close), ``time_window`` (latest start needed), ``fleet_too_small`` (feasible
    alone: only the other stops, i.e. the fleet, keep it out) or ``no_vehicle``.
    """
    st = model.stops[m]
    dep = model.depots[0]
    open_s = int(dep.tw_early or 0)
    close_s = _INF if dep.tw_late is None else int(dep.tw_late)
    need = max(st.delivery, st.pickup)
    avail = [i for i, v in enumerate(model.vehicle_types) if v.count is None or v.count > 0]
    if not avail:
        return "no_vehicle", {}
    cap_ok = [i for i in avail if model.vehicle_types[i].capacity >= need]
    if not cap_ok:
        big = max(avail, key=lambda i: model.vehicle_types[i].capacity)
        return "demand_exceeds_capacity", {"need": need, "type": big}
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
        over_shift = ret - open_s - (vt.max_shift_s if vt.max_shift_s is not None else _INF)
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


def _with_types(model: E.Model, types: list, close_s: int | None = None, stop_tw: dict | None = None) -> E.Model:
    depots = model.depots if close_s is None else [replace(model.depots[0], tw_late=int(close_s))]
    stops = model.stops
    if stop_tw:
        stops = [replace(s, tw_late=stop_tw[i]) if i in stop_tw else s for i, s in enumerate(stops)]
    return E.Model(depots, stops, types, model.distance, model.duration)


def _diagnose(ctx: _Context, out: _Outcome) -> list[dict]:
    """A reason and the smallest fix for every dropped stop of ``out``, confirmed by re-solving."""
    p = ctx.params
    model, sol, spec = out.model, out.solution, out.spec
    dropped = list(sol.dropped)
    old = set(dropped)
    tl = p.model_time_limit(len(out.keep))
    budget = [p.max_resolves if p.diagnose else 0]
    rows: dict[int, dict] = {}
    types = list(model.vehicle_types)
    dep = model.depots[0]
    close_s = int(dep.tw_late)

    def resolve(m2: E.Model, targets) -> tuple[set, float | None]:
        if budget[0] <= 0:
            return set(), None
        budget[0] -= 1
        out.stats["resolves"] += 1
        new = _solve(m2, p, tl, initial=sol)
        nd = set(new.dropped)
        if not nd <= old:
            return set(), None
        return {s for s in targets if s not in nd}, new.cost - sol.cost

    def put(m, code, reason, fix, checked, extra):
        rows[m] = _unserved_row(spec, out.keep[m], code, reason, fix, checked, extra)

    def unchecked(fix):
        why = "not checked: diagnosis is off ([routing] diagnose = false)" if not p.diagnose else \
            "not confirmed by a re-solve within the diagnosis budget ([routing] max_resolves)"
        return f"{fix} ({why})"

    classes = {m: _classify(model, m) for m in dropped}
    at = f"at {spec.depot.id}"
    late_open = spec.echelon == "last_mile" and int(dep.tw_early or 0) > p.day_start_s
    opened = (f" (the station's vehicles leave at {hhmm(dep.tw_early)}, when the trunk has unloaded there)"
              if late_open else "")
    # 1. demand larger than any vehicle: a larger vehicle
    for m, (code, f) in classes.items():
        if code != "demand_exceeds_capacity":
            continue
        st = model.stops[m]
        T = types[f["type"]]
        C = f["need"]
        reason = (f"demand larger than any vehicle: {st.delivery} parcels to deliver, {st.pickup} to pick up, "
                  f"largest vehicle {T.name} carries {T.capacity}")
        new_t = replace(T, capacity=int(C), count=1, name=f"{T.name}_{C}")
        fix = f"a larger vehicle: one {T.name} of capacity {C} instead of {T.capacity} {at}"
        cut = [replace(v, count=v.count - 1) if i == f["type"] and v.count and v.count > 1 else v
               for i, v in enumerate(types)]
        ok, extra = resolve(_with_types(model, cut + [new_t]), [m])
        if m not in ok:
            fix = f"one more vehicle of capacity {C} ({T.name} with capacity {C}) {at}"
            ok, extra = resolve(_with_types(model, types + [new_t]), [m])
        put(m, code, reason, fix if m in ok else unchecked(fix), m in ok, extra if m in ok else None)
    # 2. farther than a shift allows: a longer shift (and day); one re-solve per stop when there
    #    are few, else one for all of them with the longest extension any of them needs
    far = [m for m, (code, _) in classes.items() if code == "beyond_shift"]
    groups = [[m] for m in far] if len(far) <= 3 else [far]
    for group in groups:
        f = max((classes[m][1] for m in group), key=lambda f: f["minutes"])
        T = types[f["type"]]
        M = int(5 * math.ceil(f["minutes"] / 5))
        fix = None
        done: set = set()
        for extra_min in (0, 15, 30):
            mm = M + extra_min
            t2 = [replace(v, max_shift_s=v.max_shift_s + 60 * mm) if v.max_shift_s is not None else v for v in types]
            fix = (f"shift longer by {mm} min: {T.name} max_shift_h {T.max_shift_s / 3600:g} → "
                   f"{(T.max_shift_s + 60 * mm) / 3600:.2f}, depot open until {hhmm(close_s + 60 * mm)}"
                   + (f" (confirmed for these {len(group)} stops together)" if len(group) > 1 else ""))
            ok, extra = resolve(_with_types(model, t2, close_s=close_s + 60 * mm), group)
            for m in ok - done:
                g = classes[m][1]
                limit = "the depot's closing time " + hhmm(close_s) + opened if g["over_close"] else \
                    f"the {types[g['type']].name}'s shift of {types[g['type']].max_shift_s / 3600:g} h"
                put(m, "beyond_shift", f"farther than a shift allows: the round trip to it alone ends "
                                       f"{math.ceil(g['trip_s'] / 60)} min after {limit}", fix, True, extra)
            done |= ok
            if done >= set(group) or budget[0] <= 0:
                break
        for m in group:
            if m not in done:
                g = classes[m][1]
                limit = "the depot's closing time " + hhmm(close_s) + opened if g["over_close"] else \
                    f"the {types[g['type']].name}'s shift of {types[g['type']].max_shift_s / 3600:g} h"
                put(m, "beyond_shift", f"farther than a shift allows: the round trip to it alone ends "
                                       f"{math.ceil(g['trip_s'] / 60)} min after {limit}", unchecked(fix), False, None)
    # 3. time window closes before any vehicle can get there
    for m, (code, f) in classes.items():
        if code != "time_window":
            continue
        st = model.stops[m]
        reason = (f"time window closes at {hhmm(st.tw_late)} but the earliest arrival is {hhmm(f['start'])}"
                  + opened)
        new_late = int(f["start"] + 15 * 60)
        fix = f"keep its time window open until {hhmm(new_late)}"
        ok, extra = resolve(_with_types(model, types, stop_tw={m: new_late}), [m])
        put(m, code, reason, fix if m in ok else unchecked(fix), m in ok, extra if m in ok else None)
    # 4. feasible alone: the fleet is too small for the day (more vehicles, else longer shifts)
    rest = [m for m, (code, _) in classes.items() if code in ("fleet_too_small", "no_vehicle")]
    if rest:
        order = sorted(range(len(types)), key=lambda i: (types[i].fixed_cost, -types[i].capacity, i))
        reason_of = {m: ("fleet too small for the day: the stop can be served on its own, but the vehicles "
                         f"{at} cannot serve it together with the other stops within capacity and shift limits"
                         + opened) if classes[m][0] == "fleet_too_small" else
                     (f"fleet too small for the day: no vehicle {at} ([[fleet]] gives {spec.operator}/{spec.echelon} "
                      f"count = 0)") for m in rest}
        if sol.status == "no_solution":
            reason_of = {m: f"the solver found no plan at all in {tl * 16:.1f} s (the stop can be served on its own); "
                            "run again with a longer --time-limit" for m in rest}
        todo = set(rest)
        k = 1
        while todo and budget[0] > 0 and k <= 16:
            for i in order:
                if not todo or budget[0] <= 0:
                    break
                t2 = [replace(v, count=(v.count or 0) + k) if j == i else v for j, v in enumerate(types)]
                ok, extra = resolve(_with_types(model, t2), sorted(todo))
                word = "one more" if k == 1 else f"{k} more"
                for m in ok:
                    put(m, classes[m][0] if classes[m][0] != "no_vehicle" else "fleet_too_small", reason_of[m],
                        f"{word} {types[i].name} (capacity {types[i].capacity}) {at}"
                        + (f" ({k // 2} {'was' if k == 2 else 'were'} not enough)" if k > 1 else "")
                        + (f"; serves {len(ok) - 1} other dropped stop(s) too" if len(ok) > 1 else ""), True, extra)
                todo -= ok
            k *= 2
        if todo and budget[0] > 0:
            t2 = [replace(v, max_shift_s=v.max_shift_s + 3600) if v.max_shift_s is not None else v for v in types]
            ok, extra = resolve(_with_types(model, t2, close_s=close_s + 3600), sorted(todo))
            for m in ok:
                put(m, "fleet_too_small", reason_of[m], f"shifts longer by 60 min {at} (depot open until "
                                                        f"{hhmm(close_s + 3600)})", True, extra)
            todo -= ok
        for m in todo:
            i = order[0]
            put(m, "fleet_too_small", reason_of[m], unchecked(f"one more {types[i].name} {at}"), False, None)
    return [rows[m] for m in dropped]


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
    models : solver statistics per routing model.
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
    net: object = None
    depots: pd.DataFrame = None

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
        import geopandas as gpd

        return gpd.GeoDataFrame(self.stops.copy(), geometry=gpd.points_from_xy(self.stops["lon"], self.stops["lat"]),
                                crs="EPSG:4326")

    def routes_gdf(self):
        """The routes as a GeoDataFrame of LineStrings along the roads (EPSG:4326)."""
        import geopandas as gpd

        geoms = _route_lines(self)
        return gpd.GeoDataFrame(self.routes.copy(), geometry=[geoms[r] for r in self.routes["route_id"]],
                                crs="EPSG:4326")

    # ---------------------------------------------------------------- figures
    def totals(self, echelon: str | None = None) -> dict:
        r = self.routes if echelon is None else self.routes[self.routes["echelon"] == echelon]
        u = self.unserved if echelon is None else self.unserved[self.unserved["echelon"] == echelon]
        lm = self.routes[self.routes["echelon"] == "last_mile"]
        return {
            "vehicles": int(len(r)),
            "distance_km": round(float(r["distance_m"].sum()) / 1000.0, 1),
            "driver_hours": round(float(r["duration_min"].sum()) / 60.0, 1),
            "cost_cny": round(float(r["cost"].sum()), 2),
            "cost_vehicles_cny": round(float(r["fixed_cost"].sum()), 2),
            "cost_distance_cny": round(float((r["cost"] - r["fixed_cost"]).sum()), 2),
            "unserved_stops": int(len(u)),
            "parcels_delivered": int(lm["delivered"].sum()) if echelon in (None, "last_mile")
            else int(r["delivered"].sum()),
            "parcels_picked_up": int(lm["picked_up"].sum()) if echelon in (None, "last_mile")
            else int(r["picked_up"].sum()),
        }

    def summary(self) -> dict:
        """Figures of the plan for ``summary.json`` and the console."""
        t = self.totals()
        p = self.params
        by_op = {}
        for op in sorted(set(self.routes["operator"]) | set(self.unserved["operator"])):
            r = self.routes[self.routes["operator"] == op]
            by_op[op] = {"vehicles": int(len(r)), "distance_km": round(float(r["distance_m"].sum()) / 1000, 1),
                         "cost_cny": round(float(r["cost"].sum()), 2),
                         "unserved_stops": int((self.unserved["operator"] == op).sum())}
        vs = self.stops[self.stops["stop_kind"].isin(["village_point", "village_centre"])]
        served_villages = int(vs["stop_id"].nunique())
        return {
            "mode": self.mode,
            "county": {"adcode": self.scenario.adcode, "name": self.scenario.name},
            "synthetic_data": bool(self.scenario.synthetic),
            **t,
            "cost_per_parcel_cny": round(t["cost_cny"] / max(1, t["parcels_delivered"] + t["parcels_picked_up"]), 3),
            "villages_served": served_villages,
            "trunk": self.totals("trunk"),
            "last_mile": self.totals("last_mile"),
            "by_operator": by_op,
            "unserved_by_reason": {k: int(v) for k, v in self.unserved["reason_code"].value_counts().items()},
            "models": len(self.models),
            "largest_model_stops": max([m["stops"] for m in self.models], default=0),
            "solve_seconds": round(sum(m.get("solve_s", 0.0) for m in self.models), 2),
            "resolves": int(sum(m.get("resolves", 0) for m in self.models)),
            "seconds": round(self.seconds, 2),
            "arrival_min": "minutes after midnight",
            "params": _params_dict(p),
            "warnings": list(self.warnings),
        }


def _params_dict(p: RoutingParams) -> dict:
    return {
        "service_min": p.service_min, "service_min_per_parcel": p.service_min_per_parcel,
        "station_service_min": p.station_service_min, "day_start": hhmm(p.day_start_s), "day_end": hhmm(p.day_end_s),
        "delivery_days_per_week": p.delivery_days_per_week, "shares": dict(p.shares),
        "time_limit_s": p.time_limit_s, "seed": p.seed, "engine": p.engine,
        "service_point_radius_m": p.service_point_radius_m, "wait_for_trunk": p.wait_for_trunk,
        "diagnose": p.diagnose, "max_resolves": p.max_resolves,
        "time_windows": {k: f"{hhmm(a)}-{hhmm(b)}" for k, (a, b) in p.time_windows.items()},
        "fleet_configured": [{k: getattr(f, k) for k in _FLEET_KEYS} | {"source": f.source} for f in p.fleet],
        "fleet_default": {e: dict(DEFAULT_VEHICLES[e]) for e in ECHELONS},
    }


def _operators(mode: str, params: RoutingParams) -> list[str]:
    if mode == "shared":
        return ["shared"]
    return [op for op in CARRIERS if params.shares.get(op, 0.0) > 0]


def _demand(ctx: _Context, mode: str) -> dict[str, dict]:
    """operator -> {village code: (delivery, pickup)} for the day."""
    v = ctx.villages
    if mode == "shared":
        return {"shared": {c: (int(a), int(b)) for c, a, b in zip(v["code"], v["daily_in"], v["daily_out"])}}
    out = {op: {} for op in CARRIERS}
    for c, a, b in zip(v["code"], v["daily_in"], v["daily_out"]):
        sa, sb = _split(int(a), ctx.params.shares), _split(int(b), ctx.params.shares)
        for op in CARRIERS:
            out[op][c] = (sa[op], sb[op])
    return out


def _plan(ctx: _Context, mode: str, progress: Callable | None = None) -> RoutePlan:
    t0 = time.perf_counter()
    p = ctx.params
    warnings: list[str] = []
    outcomes: list[_Outcome] = []
    unserved: list[dict] = []
    demand = _demand(ctx, mode)
    vname = dict(zip(ctx.villages["code"], ctx.villages["name"]))
    for op in _operators(mode, p):
        trunk, lm, orphans = _operator_specs(ctx, op, demand[op], warnings)
        for c in orphans:
            d, q = demand[op][c]
            unserved.append({"operator": op, "echelon": "last_mile", "depot_id": "", "stop_id": c,
                             "stop_name": vname[c], "stop_kind": "village_centre", "delivery": d, "pickup": q,
                             "reason_code": "no_depot",
                             "reason": f"{op} has no county depot or township station in the county",
                             "smallest_fix": f"add a {op} township station or county depot to facilities.csv "
                                             f"(or let the shared network carry its parcels)",
                             "fix_checked": False, "fix_extra_cost": None})
        # last mile first, as if every station were stocked at day start ...
        lm_out = {}
        for did in sorted(lm):
            if progress:
                progress(f"{op} last mile: {len(lm[did].stops)} villages from {did}")
            lm_out[did] = _solve_spec(ctx, lm[did], diagnose=False)
        ready: dict[str, int] = {}
        if trunk is not None:
            if progress:
                progress(f"{op} trunk: {len(trunk.stops)} stations from {trunk.depot.id}")
            o = _solve_trunk(ctx, trunk, lm_out, warnings)
            outcomes.append(o)
            if o.solution is not None:
                for r in o.solution.routes:
                    for j, s in enumerate(r.stops):
                        ready[trunk.stops[o.keep[s]].stop_id] = int(r.service_start_s[j] + o.model.stops[s].service_s)
        elif lm:
            stations = [d for d in lm if lm[d].depot.tier != "county"]
            if stations:
                warnings.append(f"{op}: no county depot; no trunk planned, its stations are assumed stocked "
                                f"at {hhmm(p.day_start_s)}")
        # ... then each station's vehicles leave once the trunk has unloaded there
        for did in sorted(lm):
            o = lm_out[did]
            if p.wait_for_trunk and trunk is not None and lm[did].depot.tier != "county":
                if did in ready:
                    o = _reopen(ctx, o, max(p.day_start_s, ready[did]))
                else:
                    warnings.append(f"{op}: station {did} is not served by the trunk; its last-mile plan assumes its "
                                    f"parcels are there at {hhmm(p.day_start_s)}")
            _explain(ctx, o)
            outcomes.append(o)
    stops, routes = _records(ctx, outcomes)
    for o in outcomes:
        unserved += o.unserved
    uns = pd.DataFrame(unserved, columns=UNSERVED_COLUMNS + ["_k"])[UNSERVED_COLUMNS]
    # station throughput against its stated daily capacity
    cap = dict(zip(ctx.facilities["id"], ctx.facilities["capacity_per_day"]))
    for o in outcomes:
        d = o.spec.depot
        c = cap.get(d.id)
        load = sum(s.delivery for s in o.spec.stops)
        if o.spec.echelon == "last_mile" and c is not None and np.isfinite(c) and load > c:
            warnings.append(f"{o.spec.operator}: station {d.id} {d.name} handles {load} inbound parcels a day, more "
                            f"than its capacity_per_day {c:g}")
    depots = pd.DataFrame([vars(o.spec.depot) for o in outcomes]).drop_duplicates("id") if outcomes else \
        pd.DataFrame(columns=["id", "name", "operator", "tier", "lon", "lat"])
    return RoutePlan(ctx.scenario, mode, p, stops, routes, uns, [o.stats for o in outcomes], warnings,
                     time.perf_counter() - t0, ctx.net, depots)


def _solve_trunk(ctx: _Context, trunk: _ModelSpec, lm_out: dict, warnings: list) -> _Outcome:
    """The trunk, reaching every station early enough for its last-mile routes to finish by day end.

    With ``wait_for_trunk`` a station's deadline is the latest arrival that still lets its
    last-mile routes (solved as if it opened at day start) leave after unloading and be back by
    day end.  A station the trunk cannot reach by its deadline is planned without it (and its last
    mile re-planned with the late start).
    """
    p = ctx.params
    if not p.wait_for_trunk:
        return _solve_spec(ctx, trunk)
    service = int(round(60 * p.station_service_min))
    original = {s.stop_id: s.tw for s in trunk.stops}
    deadline = {}
    for st in trunk.stops:
        o = lm_out.get(st.stop_id)
        if o is None or o.solution is None or not o.solution.routes:
            continue
        close = int(o.model.depots[0].tw_late)
        slack = min(close - r.return_s for r in o.solution.routes)
        d = p.day_start_s + slack - service
        e, l = st.tw if st.tw is not None else (None, None)
        if e is not None:
            d = max(d, e)
        if l is None or d < l:
            deadline[st.stop_id] = d
            st.tw = (e, int(d))
    o = _solve_spec(ctx, trunk, diagnose=False)
    late = [trunk.stops[o.keep[m]].stop_id for m in (o.solution.dropped if o.solution is not None else [])
            if trunk.stops[o.keep[m]].stop_id in deadline]
    if late:
        for st in trunk.stops:
            if st.stop_id in late:
                st.tw = original[st.stop_id]
                warnings.append(f"{trunk.operator}: the trunk cannot reach station {st.stop_id} by "
                                f"{hhmm(deadline[st.stop_id])}, when its last-mile routes would have to start to be back "
                                f"by {hhmm(p.day_end_s)}; it is served later and its last mile re-planned")
        o = _solve_spec(ctx, trunk, diagnose=False)
    o.stats["station_deadlines"] = {k: hhmm(v) for k, v in deadline.items() if k not in late}
    _explain(ctx, o)
    return o


def _records(ctx: _Context, outcomes: list[_Outcome]) -> tuple[pd.DataFrame, pd.DataFrame]:
    srows, rrows = [], []
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
            srows.append(common | {"seq": 0, "stop_id": d.id, "stop_name": d.name, "stop_kind": "depot",
                                   "delivered": 0, "picked_up": 0, "load_after": int(r.start_load),
                                   "arrival_min": round(r.departure_s / 60.0, 2), "leg_m": 0, "lon": d.lon,
                                   "lat": d.lat, "node": int(o.snap_nodes[0]), "point_id": "", "point_name": "",
                                   "service_start_min": None, "departure_min": round(r.departure_s / 60.0, 2)})
            for j, s in enumerate(r.stops):
                k = o.keep[s]
                st = spec.stops[k]
                srows.append(common | {
                    "seq": j + 1, "stop_id": st.stop_id, "stop_name": st.stop_name, "stop_kind": st.stop_kind,
                    "delivered": int(st.delivery), "picked_up": int(st.pickup), "load_after": int(r.load_after[j]),
                    "arrival_min": round(r.arrival_s[j] / 60.0, 2), "leg_m": int(r.leg_distance[j]),
                    "lon": st.lon, "lat": st.lat, "node": int(o.snap_nodes[k + 1]), "point_id": st.point_id,
                    "point_name": st.point_name, "service_start_min": round(r.service_start_s[j] / 60.0, 2),
                    "departure_min": round((r.service_start_s[j] + model.stops[s].service_s) / 60.0, 2)})
            srows.append(common | {"seq": len(r.stops) + 1, "stop_id": d.id, "stop_name": d.name, "stop_kind": "depot",
                                   "delivered": 0, "picked_up": 0,
                                   "load_after": int(r.load_after[-1]) if r.stops else int(r.start_load),
                                   "arrival_min": round(r.return_s / 60.0, 2), "leg_m": int(r.leg_distance[-1]),
                                   "lon": d.lon, "lat": d.lat, "node": int(o.snap_nodes[0]), "point_id": "",
                                   "point_name": "", "service_start_min": None, "departure_min": None})
            cost = vt.fixed_cost + vt.cost_per_m * r.distance
            rrows.append(common | {
                "capacity": int(vt.capacity), "stops": len(r.stops), "distance_m": int(r.distance),
                "duration_min": round((r.return_s - r.departure_s) / 60.0, 2), "cost": round(float(cost), 2),
                "depot_name": d.name, "departure_min": round(r.departure_s / 60.0, 2),
                "return_min": round(r.return_s / 60.0, 2),
                "delivered": int(sum(model.stops[s].delivery for s in r.stops)),
                "picked_up": int(sum(model.stops[s].pickup for s in r.stops)),
                "fixed_cost": float(vt.fixed_cost), "cost_per_km": float(f.cost_per_km)})
    extra_s = ["depot_id", "vehicle_type", "lon", "lat", "node", "point_id", "point_name", "service_start_min",
               "departure_min"]
    extra_r = ["depot_id", "depot_name", "vehicle_type", "departure_min", "return_min", "delivered", "picked_up",
               "fixed_cost", "cost_per_km"]
    stops = pd.DataFrame(srows, columns=ROUTE_PLAN_COLUMNS + extra_s)
    routes = pd.DataFrame(rrows, columns=ROUTES_SUMMARY_COLUMNS + extra_r)
    return stops, routes


def plan_routes(scenario: Scenario, mode: str = "shared", params: RoutingParams | None = None, network=None,
                time_limit_s: float | None = None, seed: int | None = None,
                progress: Callable | None = None) -> RoutePlan:
    """The day's two-echelon route plan of ``scenario`` in ``mode`` (``"shared"`` or ``"separate"``).

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.scenario.Scenario`.
    mode : ``"shared"`` (one co-delivery plan) or ``"separate"`` (every operator its own).
    params : routing parameters (default: from the scenario's ``[routing]`` and ``[[fleet]]``).
    network : a :class:`~culture_logistics.network.RoadNetwork` to reuse (built when None).
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
    _check_plannable(scenario, mode)
    ctx = _context(scenario, params, network)
    return _plan(ctx, mode, progress)


def parse_overrides(params: RoutingParams, time_limit_s=None, seed=None) -> RoutingParams:
    if time_limit_s is not None:
        if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) or not time_limit_s > 0:
            raise CultureLogisticsError(f"the time limit must be > 0 s, got {time_limit_s!r}")
        params = replace(params, time_limit_s=float(time_limit_s))
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise CultureLogisticsError(f"the seed must be a whole number ≥ 0, got {seed!r}")
        params = replace(params, seed=int(seed))
    return params


def _check_plannable(scenario: Scenario, mode: str) -> None:
    fac = scenario.facilities
    if not len(scenario.villages):
        raise CultureLogisticsError("the scenario has no villages: nothing to route")
    if mode in ("shared", "compare") and not (fac["tier"].isin(["county", "township"])).any():
        raise CultureLogisticsError(
            f"{scenario.path or 'the scenario'}: no county depot or township station in facilities.csv; routing "
            "needs at least one facility with tier = county (the county co-delivery centre) or township")


@dataclass
class ModeComparison:
    """Shared co-delivery against every operator driving its own vehicles.

    Attributes
    ----------
    shared, separate : the two :class:`RoutePlan` objects.
    table : ``comparison.csv`` (:data:`COMPARISON_COLUMNS`), one row per metric.
    """

    shared: RoutePlan
    separate: RoutePlan
    table: pd.DataFrame

    @property
    def saving_pct(self) -> float | None:
        """Cost saving of shared over separate, % of the separate cost."""
        row = self.table[self.table["metric"] == "cost"]
        v = row["saving_pct"].iat[0] if len(row) else None
        return None if v is None or v != v else float(v)

    def summary(self) -> dict:
        a, b = self.separate.summary(), self.shared.summary()
        like = a["unserved_stops"] == 0 and b["unserved_stops"] == 0
        return {
            "mode": "compare",
            "county": a["county"],
            "synthetic_data": a["synthetic_data"],
            "saving_pct": self.saving_pct,
            "like_for_like": like,
            "note": ("both plans serve every stop" if like else
                     f"not like for like: separate leaves {a['unserved_stops']} stop(s) unserved, shared "
                     f"{b['unserved_stops']}; see each mode's unserved.csv"),
            "comparison": _records_json(self.table),
            "separate": a,
            "shared": b,
        }


def _records_json(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()})
    return out


def comparison_table(separate: RoutePlan, shared: RoutePlan) -> pd.DataFrame:
    """One row per metric: separate, shared, shared − separate, and the saving in % of separate."""
    a, b = separate.summary(), shared.summary()
    rows = [
        ("vehicles", "vehicles/day", a["vehicles"], b["vehicles"]),
        ("vehicles_trunk", "vehicles/day", a["trunk"]["vehicles"], b["trunk"]["vehicles"]),
        ("vehicles_last_mile", "vehicles/day", a["last_mile"]["vehicles"], b["last_mile"]["vehicles"]),
        ("distance", "km/day", a["distance_km"], b["distance_km"]),
        ("distance_trunk", "km/day", a["trunk"]["distance_km"], b["trunk"]["distance_km"]),
        ("distance_last_mile", "km/day", a["last_mile"]["distance_km"], b["last_mile"]["distance_km"]),
        ("driver_hours", "h/day", a["driver_hours"], b["driver_hours"]),
        ("cost", "CNY/day", a["cost_cny"], b["cost_cny"]),
        ("cost_vehicles", "CNY/day", a["cost_vehicles_cny"], b["cost_vehicles_cny"]),
        ("cost_distance", "CNY/day", a["cost_distance_cny"], b["cost_distance_cny"]),
        ("cost_per_parcel", "CNY/parcel", a["cost_per_parcel_cny"], b["cost_per_parcel_cny"]),
        ("unserved_stops", "stops", a["unserved_stops"], b["unserved_stops"]),
        ("parcels_delivered", "parcels/day", a["parcels_delivered"], b["parcels_delivered"]),
        ("parcels_picked_up", "parcels/day", a["parcels_picked_up"], b["parcels_picked_up"]),
        ("village_stops", "stops/day", int((separate.stops["stop_kind"].str.startswith("village")).sum()),
         int((shared.stops["stop_kind"].str.startswith("village")).sum())),
    ]
    out = []
    for metric, unit, sep, sh in rows:
        diff = round(sh - sep, 3)
        pct = round(100.0 * (sep - sh) / sep, 2) if sep else None
        out.append({"metric": metric, "unit": unit, "separate": sep, "shared": sh, "difference": diff,
                    "saving_pct": pct})
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS, dtype=object)


def compare_modes(scenario: Scenario, params: RoutingParams | None = None, network=None,
                  time_limit_s: float | None = None, seed: int | None = None,
                  progress: Callable | None = None) -> ModeComparison:
    """Plan both modes on the same day's parcels and compare them (see :class:`ModeComparison`)."""
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    _check_plannable(scenario, "compare")
    ctx = _context(scenario, params, network)
    sep = _plan(ctx, "separate", progress)
    sh = _plan(ctx, "shared", progress)
    return ModeComparison(sh, sep, comparison_table(sep, sh))


# ============================================================================ outputs
KIND_ZH = {"depot": "出发/返回站 depot", "station": "乡镇站点 station", "village_point": "村级服务点 service point",
           "village_centre": "村委会 village centre"}
_SHEET_COLS = {
    "seq": "序号 Seq", "stop_name": "站点 Stop", "stop_id": "代码 Code", "kind": "类型 Kind",
    "point_name": "服务点 Service point", "arrive": "到达 Arrive", "leave": "离开 Leave",
    "delivered": "送达 Deliver", "picked_up": "揽收 Pick up", "load_after": "车上件数 On board",
    "leg_km": "本段公里 Leg km", "sign": "签收 Signature",
}


def route_sheets(plan: RoutePlan) -> dict[str, pd.DataFrame]:
    """Workbook sheets: an overview, one printable sheet per vehicle, and the unserved stops."""
    r = plan.routes
    ov = pd.DataFrame({
        "线路 Route": r["route_id"], "车辆 Vehicle": r["vehicle_id"],
        "运营方 Operator": [f"{OPERATOR_ZH.get(o, o)} {o}" for o in r["operator"]],
        "层级 Echelon": [f"{ECHELON_ZH[e]} {e}" for e in r["echelon"]],
        "出发站 Depot": [f"{n} ({i})" for n, i in zip(r["depot_name"], r["depot_id"])],
        "车型 Type": r["vehicle_type"], "载量 Capacity": r["capacity"], "站点数 Stops": r["stops"],
        "出发 Leaves": [hhmm(60 * m) for m in r["departure_min"]],
        "返回 Returns": [hhmm(60 * m) for m in r["return_min"]],
        "公里 km": (r["distance_m"] / 1000).round(1), "送达 Delivered": r["delivered"],
        "揽收 Picked up": r["picked_up"], "成本 Cost (CNY)": r["cost"].round(2),
    })
    sheets = {"总览 Overview": ov}
    for rid, g in plan.stops.groupby("route_id", sort=False):
        sheet = pd.DataFrame({
            _SHEET_COLS["seq"]: g["seq"].to_numpy(),
            _SHEET_COLS["stop_name"]: g["stop_name"].to_numpy(),
            _SHEET_COLS["stop_id"]: g["stop_id"].astype(str).to_numpy(),
            _SHEET_COLS["kind"]: [("出发 depart" if i == 0 else "返回 return") if k == "depot" else KIND_ZH.get(k, k)
                                  for i, k in enumerate(g["stop_kind"])],
            _SHEET_COLS["point_name"]: g["point_name"].fillna("").to_numpy(),
            _SHEET_COLS["arrive"]: ["" if i == 0 else hhmm(60 * a) for i, a in enumerate(g["arrival_min"])],
            _SHEET_COLS["leave"]: [hhmm(60 * d) if d == d and d is not None else "" for d in g["departure_min"]],
            _SHEET_COLS["delivered"]: g["delivered"].to_numpy(),
            _SHEET_COLS["picked_up"]: g["picked_up"].to_numpy(),
            _SHEET_COLS["load_after"]: g["load_after"].to_numpy(),
            _SHEET_COLS["leg_km"]: (g["leg_m"] / 1000).round(2).to_numpy(),
            _SHEET_COLS["sign"]: "",
        })
        sheets[str(rid)] = sheet
    if len(plan.unserved):
        u = plan.unserved
        sheets["未服务 Unserved"] = pd.DataFrame({
            "运营方 Operator": u["operator"], "层级 Echelon": u["echelon"], "出发站 Depot": u["depot_id"],
            "代码 Code": u["stop_id"].astype(str), "站点 Stop": u["stop_name"], "原因 Reason": u["reason"],
            "最小改动 Smallest fix": u["smallest_fix"], "已验证 Checked": u["fix_checked"]})
    return sheets


_TEXT_COLS = {_SHEET_COLS["stop_id"], _SHEET_COLS["arrive"], _SHEET_COLS["leave"], "代码 Code", "线路 Route",
              "车辆 Vehicle", "出发 Leaves", "返回 Returns", "出发站 Depot"}

#: Distinct route colours (ColorBrewer Dark2 + Set1, no pale ones; no red — red marks unserved stops).
ROUTE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#666666", "#a65628", "#f781bf")


def _road_paths(net, pairs) -> dict:
    """{(node a, node b): [(lon, lat), …]} shortest road paths (by length) for drawing; one Dijkstra
    per distinct start node, in blocks of 128 so the predecessor arrays stay small."""
    from scipy.sparse.csgraph import dijkstra

    out: dict = {}
    pairs = sorted({(int(a), int(b)) for a, b in pairs if a >= 0 and b >= 0 and a != b})
    if not pairs or net is None or not net.has_roads:
        return {p: [] for p in pairs}
    starts = sorted({a for a, _ in pairs})
    for k in range(0, len(starts), 128):
        block = starts[k:k + 128]
        row = {a: i for i, a in enumerate(block)}
        _, pred = dijkstra(net.length_csr, directed=True, indices=block, return_predecessors=True)
        for a, b in pairs:
            if a not in row:
                continue
            pr = pred[row[a]]
            seq = [b]
            while seq[-1] != a and pr[seq[-1]] >= 0:
                seq.append(int(pr[seq[-1]]))
            seq.reverse()
            out[(a, b)] = [(float(net.lon[n]), float(net.lat[n])) for n in seq] if seq[0] == a else []
    return out


def _route_lines(plan: RoutePlan) -> dict:
    """route id → shapely LineString along the roads (WGS-84): point, road path between snapped nodes, point."""
    from shapely.geometry import LineString

    cached = getattr(plan, "_lines", None)
    if cached is not None:
        return cached
    st = plan.stops
    legs = []
    for _, g in st.groupby("route_id", sort=False):
        node = g["node"].to_numpy(int)
        legs += list(zip(node[:-1], node[1:]))
    paths = _road_paths(plan.net, legs)
    out = {}
    for rid, g in st.groupby("route_id", sort=False):
        lon, lat, node = g["lon"].to_numpy(float), g["lat"].to_numpy(float), g["node"].to_numpy(int)
        coords = [(lon[0], lat[0])]
        for j in range(1, len(g)):
            coords += paths.get((int(node[j - 1]), int(node[j])), [])
            coords.append((lon[j], lat[j]))
        dedup = [coords[0]] + [c for p, c in zip(coords[:-1], coords[1:]) if c != p]
        out[rid] = LineString(dedup if len(dedup) > 1 else dedup * 2)
    plan._lines = out
    return out


def routes_map(plan: RoutePlan, tiles: str = "osm", lang: str = "en"):
    """The plan's map: each route a coloured line along the roads, its stops numbered in visiting order,
    depots marked, one layer per echelon and operator, unserved stops in red."""
    from . import maps

    scn = plan.scenario
    zh = lang == "zh"
    mode_label = {"shared": "共同配送 shared" if zh else "shared co-delivery",
                  "separate": "各自配送 separate" if zh else "each operator separately"}[plan.mode]
    s = plan.summary()
    title = f"{scn.name} {'配送线路' if zh else 'delivery routes'} — {mode_label}"
    sub = (f"{s['vehicles']} {'辆车' if zh else 'vehicles'}, {s['distance_km']:,.1f} km, "
           f"{s['cost_cny']:,.0f} CNY/{'日' if zh else 'day'}, "
           f"{s['unserved_stops']} {'个站点未服务' if zh else 'stops unserved'}"
           + (" · 合成数据 synthetic data" if scn.synthetic else ""))
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)
    maps.add_boundary(m, scn)
    lines = _route_lines(plan)
    routes = plan.routes.reset_index(drop=True)
    color = {rid: ROUTE_COLORS[i % len(ROUTE_COLORS)] for i, rid in enumerate(routes["route_id"])}
    for ech in ECHELONS:
        for op in sorted(set(routes["operator"])):
            sub_r = routes[(routes["echelon"] == ech) & (routes["operator"] == op)]
            if not len(sub_r):
                continue
            name = (f"{ECHELON_ZH[ech]}线路 · {maps.operator_label(op, lang)} ({len(sub_r)})" if zh else
                    f"{'Trunk' if ech == 'trunk' else 'Last-mile'} routes · {maps.operator_label(op, lang)} "
                    f"({len(sub_r)})")
            fg = maps.feature_group(m, name)
            styles = [{"color": color[rid], "weight": 5 if ech == "trunk" else 3, "opacity": 0.85}
                      | ({"dashArray": "10 6"} if ech == "trunk" else {}) for rid in sub_r["route_id"]]
            pops = [maps.popup_html(r.route_id, [
                ("vehicle", r.vehicle_id), ("depot", f"{r.depot_name} ({r.depot_id})"),
                ("stops", r.stops), ("leaves / returns", f"{hhmm(60 * r.departure_min)} / {hhmm(60 * r.return_min)}"),
                ("km", f"{r.distance_m / 1000:.1f}"), ("delivered / picked up", f"{r.delivered} / {r.picked_up}"),
                ("capacity", r.capacity), ("cost (CNY)", f"{r.cost:.2f}")]) for r in sub_r.itertuples()]
            maps.add_geojson(fg, [lines[rid] for rid in sub_r["route_id"]], styles, list(range(len(sub_r))), pops,
                             [f"{rid} ({vid})" for rid, vid in zip(sub_r["route_id"], sub_r["vehicle_id"])],
                             kind=f"route:{ech}", simplify_deg=2e-5)
            st = plan.stops[plan.stops["route_id"].isin(set(sub_r["route_id"])) & (plan.stops["stop_kind"] != "depot")]
            keys = sorted(set(zip(st["route_id"], st["seq"])), key=lambda k: (k[0], k[1]))
            sty_of = {}
            pstyles = []
            for rid, seq in keys:
                sty_of[(rid, seq)] = len(pstyles)
                pstyles.append({"shape": "circle", "radius": 8 if seq < 100 else 10, "color": "#ffffff", "weight": 1.5,
                                "fillColor": color[rid], "fillOpacity": 1.0, "label": str(seq)})
            tips = [f"{r.seq}. {r.stop_name} ({r.stop_id}) — {hhmm(60 * r.arrival_min)}, "
                    f"{'送' if zh else 'deliver'} {r.delivered}, {'收' if zh else 'pick up'} {r.picked_up}"
                    for r in st.itertuples()]
            table = maps.PopupTable(
                ["route", "code", "service point", "arrival", "delivered", "picked up", "load after"],
                [f"{r.seq}. {r.stop_name}" for r in st.itertuples()],
                [[r.route_id, r.stop_id, r.point_name or None, hhmm(60 * r.arrival_min), r.delivered, r.picked_up,
                  r.load_after] for r in st.itertuples()])
            maps.add_points(fg, st["lon"].to_numpy(float), st["lat"].to_numpy(float), pstyles,
                            [sty_of[(r.route_id, r.seq)] for r in st.itertuples()], table, tips,
                            kind=f"stop:{ech}")
    if len(plan.unserved):
        fg = maps.feature_group(m, f"{'未服务站点' if zh else 'Unserved stops'} ({len(plan.unserved)})")
        u = plan.unserved
        pos = _unserved_positions(plan)
        keep = [i for i, p in enumerate(pos) if p is not None]
        if keep:
            maps.add_points(fg, [pos[i][0] for i in keep], [pos[i][1] for i in keep],
                            [{"shape": "diamond", "radius": 9, "color": "#000000", "weight": 1.5, "fillColor": "#d7191c",
                              "fillOpacity": 1.0, "label": "!"}], [0] * len(keep),
                            [maps.popup_html(f"{u['stop_name'].iat[i]} ({u['stop_id'].iat[i]})",
                                             [("operator", u["operator"].iat[i]), ("reason", u["reason"].iat[i]),
                                              ("smallest fix", u["smallest_fix"].iat[i]),
                                              ("fix checked by re-solving", "yes" if u["fix_checked"].iat[i] else "no")])
                             for i in keep],
                            [f"{u['stop_name'].iat[i]}: {u['reason_code'].iat[i]}" for i in keep], kind="unserved")
    if plan.depots is not None and len(plan.depots):
        maps.add_facilities(m, plan.depots.assign(capacity_per_day=np.nan, brand=""))
    ops = sorted(set(routes["operator"]))
    sections = [("线路" if zh else "Routes", [(maps.swatch_line("#444444", dash=True, width=4),
                                            "trunk: county depot → stations" if not zh else "干线：县级→乡镇站点"),
                                           (maps.swatch_line("#444444", width=3),
                                            "last mile: station → villages" if not zh else "末端：乡镇站点→村")]),
                ("站点" if zh else "Stops", [(maps.swatch_circle("#1b9e77", 7), "stop, numbered in visiting order"
                                            if not zh else "站点（数字为到达顺序）"),
                                           (maps.swatch_circle("#d7191c", 7, border="#000000"),
                                            "unserved stop" if not zh else "未服务站点")]),
                ("出发站" if zh else "Depots", [(maps.swatch_icon(maps.facility_icon(op, "township")),
                                              maps.operator_label(op, lang)) for op in
                                             sorted(set(plan.depots["operator"])) if plan.depots is not None]
                 if plan.depots is not None and len(plan.depots) else [])]
    notes = [f"operators: {', '.join(ops)}", "each colour is one vehicle's route"]
    if scn.synthetic:
        notes.append("synthetic data: coordinates, populations, facilities and roads are generated")
    maps.add_legend(m, sections, notes)
    return m


def _unserved_positions(plan: RoutePlan) -> list:
    fac = plan.scenario.facilities.set_index("id")
    v = plan.scenario.villages.set_index("code")
    out = []
    for sid in plan.unserved["stop_id"].astype(str):
        if sid in v.index:
            out.append((float(v.at[sid, "lon"]), float(v.at[sid, "lat"])))
        elif sid in fac.index:
            out.append((float(fac.at[sid, "lon"]), float(fac.at[sid, "lat"])))
        else:
            out.append(None)
    return out


PLAN_FILES = ("route_plan.csv", "routes_summary.csv", "unserved.csv", "route_sheets.xlsx", "summary.json",
              "routes_map.html")


def _plan_artifacts(plan: RoutePlan, map_html: bool, tiles: str, lang: str) -> dict:
    """Everything one mode writes, computed in memory: {file name: (kind, payload)}."""
    from . import maps

    art = {
        "route_plan.csv": ("csv", plan.plan_table()),
        "routes_summary.csv": ("csv", plan.routes_table()),
        "unserved.csv": ("csv", plan.unserved_table()),
        "route_sheets.xlsx": ("xlsx", route_sheets(plan)),
        "summary.json": ("json", plan.summary()),
    }
    if map_html:
        art["routes_map.html"] = ("html", maps.render_map(routes_map(plan, tiles=tiles, lang=lang)))
    return art


def _write_artifacts(art: dict, out_dir: Path) -> dict[str, Path]:
    from .outputs import atomic_write_text, write_csv, write_json, write_xlsx

    out_dir = Path(out_dir)
    paths = {}
    for name, (kind, payload) in art.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "csv":
            write_csv(payload, path)
        elif kind == "xlsx":
            write_xlsx(payload, path, text_columns=_TEXT_COLS)
        elif kind == "json":
            write_json(payload, path)
        else:
            atomic_write_text(path, payload)
        paths[name] = path
    return paths


def _check_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CultureLogisticsError(f"--out {out_dir} is a file, not a folder; give a folder to write into")
    return out_dir


def write_plan(plan: RoutePlan, out_dir: str | Path, map_html: bool = True, tiles: str = "osm",
               lang: str = "en") -> dict[str, Path]:
    """Write one mode's files (:data:`PLAN_FILES`) into ``out_dir``; everything is computed before
    the first file is written, and every file is written atomically."""
    out_dir = _check_out_dir(out_dir)
    return _write_artifacts(_plan_artifacts(plan, map_html, tiles, lang), out_dir)


def write_comparison(cmp: ModeComparison, out_dir: str | Path, map_html: bool = True, tiles: str = "osm",
                     lang: str = "en") -> dict[str, Path]:
    """Write ``comparison.csv`` and ``summary.json`` into ``out_dir`` and each mode's files into
    ``out_dir/shared`` and ``out_dir/separate``."""
    out_dir = _check_out_dir(out_dir)
    # whole numbers stay whole in the CSV (outputs.safe_frame's Series.map would make a mixed column float)
    table = cmp.table.copy()
    for col in ("separate", "shared", "difference"):
        table[col] = [f"{v:g}" if isinstance(v, float) else str(v) for v in table[col]]
    art = {"comparison.csv": ("csv", table), "summary.json": ("json", cmp.summary())}
    for mode, plan in (("separate", cmp.separate), ("shared", cmp.shared)):
        for name, v in _plan_artifacts(plan, map_html, tiles, lang).items():
            art[f"{mode}/{name}"] = v
    return _write_artifacts(art, out_dir)


def run_routing(scenario: Scenario, mode: str, out_dir: str | Path, time_limit_s: float | None = None,
                seed: int | None = None, map_html: bool = True, tiles: str = "osm", lang: str = "en",
                progress: Callable | None = None):
    """Plan (``shared``/``separate``) or compare, then write the outputs.  Returns (result, paths)."""
    if mode not in MODES:
        raise CultureLogisticsError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    _check_out_dir(out_dir)
    params = RoutingParams.from_scenario(scenario, time_limit_s=time_limit_s, seed=seed)
    if mode == "compare":
        res = compare_modes(scenario, params, progress=progress)
        return res, write_comparison(res, out_dir, map_html, tiles, lang)
    res = plan_routes(scenario, mode, params, progress=progress)
    return res, write_plan(res, out_dir, map_html, tiles, lang)


def summary_lines(result) -> list[str]:
    """A few console lines about a plan or a comparison."""
    if isinstance(result, ModeComparison):
        t = result.table.set_index("metric")
        lines = [f"{'':<30}{'separate':>12}{'shared':>12}{'saving':>10}"]
        for metric in ("vehicles", "distance", "driver_hours", "cost_vehicles", "cost_distance", "cost",
                       "cost_per_parcel", "unserved_stops"):
            r = t.loc[metric]
            pct = "" if r["saving_pct"] is None or r["saving_pct"] != r["saving_pct"] else f"{r['saving_pct']:.1f}%"
            lines.append(f"{metric + ' (' + r['unit'] + ')':<30}{r['separate']:>12,.6g}{r['shared']:>12,.6g}{pct:>10}")
        s = result.summary()
        if s["saving_pct"] is not None:
            lines.append(f"Shared co-delivery saves {s['saving_pct']:.1f}% of the daily cost "
                         f"({t.loc['cost', 'separate']:,.0f} → {t.loc['cost', 'shared']:,.0f} CNY/day)"
                         + ("" if s["like_for_like"] else f" — {s['note']}"))
        return lines
    s = result.summary()
    lines = [f"{s['mode']}: {s['vehicles']} vehicles ({s['trunk']['vehicles']} trunk, {s['last_mile']['vehicles']} "
             f"last mile), {s['distance_km']:,.1f} km, {s['driver_hours']:,.1f} driver hours, "
             f"{s['cost_cny']:,.0f} CNY/day, {s['parcels_delivered']:,} parcels delivered, "
             f"{s['parcels_picked_up']:,} picked up"]
    if s["unserved_stops"]:
        lines.append(f"  {s['unserved_stops']} stop(s) unserved: "
                     + ", ".join(f"{k} {v}" for k, v in s["unserved_by_reason"].items()) + " (see unserved.csv)")
    return lines


def demo_stage(scenario: Scenario, out_dir: Path, time_limit_s: float | None, echo) -> dict:
    """``culture-logistics demo`` step: compare shared with separate delivery, write to ``out_dir/routing``.

    Uses ``time_limit_s`` per model (default 1 s: a demo, not a production plan).
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "routing"
    res, paths = run_routing(scenario, "compare", out, time_limit_s=time_limit_s or 1.0)
    s = res.summary()
    a, b = s["separate"], s["shared"]
    echo(f"[routing] separate: {a['vehicles']} vehicles, {a['distance_km']:,.0f} km, {a['cost_cny']:,.0f} CNY/day; "
         f"shared: {b['vehicles']} vehicles, {b['distance_km']:,.0f} km, {b['cost_cny']:,.0f} CNY/day")
    if s["saving_pct"] is not None:
        echo(f"          shared co-delivery saves {s['saving_pct']:.1f}% of the daily cost"
             + ("" if s["like_for_like"] else f" ({s['note']})"))
    echo(f"          route sheets {out / 'shared' / 'route_sheets.xlsx'}, map {out / 'shared' / 'routes_map.html'} "
         f"({time.perf_counter() - t0:.1f} s)")
    return s
