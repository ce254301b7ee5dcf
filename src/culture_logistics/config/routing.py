"""The [routing], [[fleet]] and [routing.*] parameters: defaults, the checked :class:`RoutingParams`, and
their parser (:func:`parse_routing_config`)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from culture_logistics.config.bus import parse_bus_lines
from culture_logistics.config.fleet import (
    DEFAULT_VEHICLES,
    ECHELONS,
    FleetEntry,
    closest_hint,
    default_fleet_entry,
    parse_fleet,
)
from culture_logistics.config.market_days import format_market_days, parse_market_days_table
from culture_logistics.config.model import CARRIERS, ParamsSource
from culture_logistics.config.schema import SCHEMA, default, did_you_mean, parse_hhmm
from culture_logistics.errors import CultureLogisticsError, ProblemList

ENGINES = ("ortools", "pyvrp")

_FLEET_KEYS = SCHEMA["fleet"].key_names

ASSIGNMENTS = ("county", "township")

#: the weekly plan's ways of choosing visit days ([routing] visit_days)
VISIT_DAYS = ("balanced", "routed")

# PyVRP is the default (for the engine and for county plans, [routing] engine): it is closer to the
# best-known solutions than the tuned OR-Tools configuration at equal time on CVRPLIB X, Solomon VRPTW
# and VRPSPD (benchmarks/bench_vrp.py), and gives equal or cheaper county plans in less time
# (benchmarks/bench_budgets.py).  When it is not installed, engine=None falls back to OR-Tools.
DEFAULT_ENGINE = default("routing", "engine")


MODES = ("shared", "separate", "compare")




#: Shares of every village's parcels carried by each operator in ``separate`` mode.
DEFAULT_SHARES = SCHEMA["routing.shares"].defaults()


#: Station preference of the shared plan within a township, and of village service points.
SHARED_PREFERENCE = ("shared", "postal", "supply_coop", "courier")


_ROUTING_KEYS = SCHEMA["routing"].key_names


INF = 10**12  # "no limit" (s)


def hhmm(seconds: float) -> str:
    """Seconds after midnight → ``"HH:MM"`` (rounded to the minute; 24:00 and later allowed)."""
    m = int(round(float(seconds) / 60.0))
    return f"{m // 60:02d}:{m % 60:02d}"


_parse_hhmm = parse_hhmm


# ============================================================================ parameters
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
    time_limit_s : wall-clock safety cap (s) of the solver per 40 stops of a model (a model of n stops
        gets time_limit_s × n / 40, at least 10 %, and at least 0.2 s); re-solves for diagnosis
        use the same cap.  Every solve stops on a deterministic work budget sized from the model
        (``routing.engine.budget``), normally well before this cap; when the cap binds first the
        plan says so (summary.json ``reproducible = false``).  A model with no solution at all is
        solved again with 4× and 16× the cap.
    seed : random seed of the solver.
    effort : multiplies every solve's deterministic work budget (``routing.engine.budget.default_budget``):
        1 (default) = the budget the plans are measured with; 0.25 plans in 0.27 of the CPU time at +1.6 %
        plan cost, 0.5 in 0.53 at +1.0 % (the ten embedded counties' shared plans, benchmarks/bench_budget_sweep.py).
    engine : routing engine, ``"pyvrp"`` (default, :data:`DEFAULT_ENGINE`) or ``"ortools"``.  With its
        penalties bounded by the whole cost (fixed costs included) PyVRP finds the county plans OR-Tools
        finds, at equal or lower cost and in a fraction of the time (诸城 5,142 CNY/day either way,
        滕州 9,872 against 9,882; benchmarks/bench_budgets.py), and is closer to the best-known costs
        on CVRP, VRPTW and VRPSPD (benchmarks/bench_vrp.py).
    service_point_radius_m : a village-tier facility within this straight-line distance (m) of a
        village centre (and nearer to it than to any other village) is that village's service point.
    wait_for_trunk : last-mile vehicles leave a station only once the trunk van has unloaded there.
    assignment : ``"county"`` (default): a village may be served from any station of the plan's network
        (multi-depot models over neighbouring townships, each station's ``capacity_per_day`` a hard
        limit on its inbound parcels); ``"township"``: only from its own township's station.
    trunk_start_s : when the trunk vans leave the county depot (s after midnight); before
        ``day_start`` the trunk runs at night and aims to stock every station before its vans start.
    inbound_arrival_s : when inbound parcels reach the county centre each delivery day (s after midnight); the
        start of their lead time (K7).  ``inbound_arrival_given``: the scenario sets it, and then no trunk van (nor
        a last-mile van of the county depot) leaves before it; otherwise the plan is the one ``trunk_start`` gives.
    diagnose : re-solve to find and confirm the smallest fix of every dropped stop.
    driving_rule : every trunk and last-mile route keeps 连续驾驶 ≤ 4 h by 20 min rests
        (:mod:`culture_logistics.routing.driving`); False plans without the rule.
    max_resolves : at most this many re-solves per model for the diagnosis.
    workers : processes for the independent plans of one run (0 = one per CPU core, 1 = in this process);
        never changes a plan (:mod:`culture_logistics.routing.parallel`).
    time_windows : {stop id (village code or facility id): (open_s, close_s)} for the start of service.
    market_days : {village code (12 digits) or township code (9 digits): weekdays} — the weekly plan visits the
        village (every village of the township) on these days only; villages.csv ``market_days`` wins
        (:mod:`culture_logistics.config.market_days`).
    visit_days : the weekly plan's visit days: ``"balanced"`` (default; :func:`culture_logistics.routing.weekly.
        assign_days`) or ``"routed"`` (then improved by routing cost, :func:`culture_logistics.routing.visit_days.
        county_days`).
    fleet : every [[fleet]] entry (defaults are added per operator and echelon where none is given).
    bus_lines : every [[bus_line]] entry (:class:`~culture_logistics.config.bus.BusLine`).
    min_visits_per_week, parcels_per_visit : the weekly plan's rule from a village's weekly parcels to its
        visits per week (:func:`culture_logistics.config.visits.visits_per_week`).
    """

    service_min: float = default("routing", "service_min")
    service_min_per_parcel: float = default("routing", "service_min_per_parcel")
    station_service_min: float = default("routing", "station_service_min")
    day_start_s: int = parse_hhmm(default("routing", "day_start"))
    day_end_s: int = parse_hhmm(default("routing", "day_end"))
    delivery_days_per_week: int = default("routing", "delivery_days_per_week")
    shares: dict = field(default_factory=lambda: dict(DEFAULT_SHARES))
    time_limit_s: float = default("routing", "time_limit_s")
    seed: int = default("routing", "seed")
    effort: float = default("routing", "effort")
    engine: str = default("routing", "engine")
    service_point_radius_m: float = default("routing", "service_point_radius_m")
    wait_for_trunk: bool = default("routing", "wait_for_trunk")
    assignment: str = default("routing", "assignment")
    trunk_start_s: int = parse_hhmm(default("routing", "trunk_start"))
    inbound_arrival_s: int = parse_hhmm(default("routing", "inbound_arrival"))
    inbound_arrival_given: bool = False
    diagnose: bool = default("routing", "diagnose")
    driving_rule: bool = default("routing", "driving_rule")
    max_resolves: int = default("routing", "max_resolves")
    workers: int = default("routing", "workers")
    time_windows: dict = field(default_factory=dict)
    market_days: dict = field(default_factory=dict)
    visit_days: str = default("routing", "visit_days")
    fleet: tuple = ()
    bus_lines: tuple = ()
    min_visits_per_week: int = default("routing", "min_visits_per_week")
    parcels_per_visit: float = default("routing", "parcels_per_visit")

    def fleet_for(self, operator: str, echelon: str) -> list[FleetEntry]:
        """The vehicle types of ``operator`` on ``echelon`` (the default vehicle when none is configured)."""
        got = [f for f in self.fleet if f.operator == operator and f.echelon == echelon]
        return got or [default_fleet_entry(operator, echelon)]

    def model_time_limit(self, n_stops: int) -> float:
        """The safety cap (s) of a model of ``n_stops`` stops: ``time_limit_s × max(n_stops / 40, 0.1)``,
        and at least 0.2 s (or ``time_limit_s`` when that is smaller).

        The cap grows with the model, like its work budget: a county-wide last-mile model of 600 stops
        (up to 20,000 PyVRP iterations) gets 150 s, so a loaded or slower machine still reaches the budget
        and gives the same plan; the budget, not the cap, ends the search."""
        t = float(self.time_limit_s)
        return max(min(t, 0.2), t * max(0.1, n_stops / 40.0))

    @classmethod
    def from_scenario(cls, scenario: ParamsSource, **overrides) -> RoutingParams:
        """Read and check ``[routing]`` and ``[[fleet]]`` of ``scenario``.

        Raises
        ------
        ScenarioError
            listing every problem (file, key, how to fix it).
        """
        if getattr(scenario, "routing_params", None) is not None and not any(
                v is not None for v in overrides.values()):
            return scenario.routing_params
        file = str(scenario.path) if scenario.path is not None else "scenario.toml"
        return parse_routing_config(scenario.config, file, **overrides)


def parse_routing_config(config: dict, file: str = "scenario.toml", problems: ProblemList | None = None,
                         **overrides) -> RoutingParams:
    """Check the raw ``[routing]`` table and ``[[fleet]]`` array of a scenario TOML.

    ``overrides`` (e.g. ``time_limit_s=1.0``, ``seed=3``) replace the file's values (None = keep).
    Problems go to ``problems`` when given (the caller raises); otherwise a :class:`ScenarioError` listing
    every problem is raised here.  The scalar keys are checked here top to bottom beside the schema; the clock
    times, the tables ([routing.shares], [routing.time_windows]) and [[fleet]] have their own parsers.
    """
    P = problems if problems is not None else ProblemList()
    rt = config.get("routing", {})
    if not isinstance(rt, dict):
        P.error(file, "[routing] must be a table", column="routing", hint="write it as a [routing] section")
        rt = {}
    for k in rt:
        if k not in _ROUTING_KEYS:
            P.error(file, f"[routing] {k}: unknown key{did_you_mean(k, _ROUTING_KEYS)}", column=f"routing.{k}",
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
    kw["effort"] = num("effort", d.effort, 0, 4, lo_open=True)
    kw["service_point_radius_m"] = num("service_point_radius_m", d.service_point_radius_m, 0, 20000)
    kw["max_resolves"] = num("max_resolves", d.max_resolves, 0, 1000, integer=True)
    kw["workers"] = num("workers", d.workers, 0, 64, integer=True)
    kw["min_visits_per_week"] = num("min_visits_per_week", d.min_visits_per_week, 1, 7, integer=True)
    kw["parcels_per_visit"] = num("parcels_per_visit", d.parcels_per_visit, 0, 10**6, lo_open=True)
    # the default (2) is clamped to delivery_days_per_week; a value written in the file must fit
    if "min_visits_per_week" in rt and kw["min_visits_per_week"] > kw["delivery_days_per_week"]:
        P.error(file, f"[routing] min_visits_per_week ({kw['min_visits_per_week']}) is more than "
                      f"delivery_days_per_week ({kw['delivery_days_per_week']}): a village cannot be visited more "
                      "often than vans run", column="routing.min_visits_per_week",
                hint=f"lower min_visits_per_week to {kw['delivery_days_per_week']} or less, or raise "
                     "delivery_days_per_week")
    for key in ("wait_for_trunk", "diagnose", "driving_rule"):
        v = rt.get(key, getattr(d, key))
        if not isinstance(v, bool):
            P.error(file, f"[routing] {key} must be true or false, got {v!r}", column=f"routing.{key}")
            v = getattr(d, key)
        kw[key] = v
    eng = rt.get("engine", d.engine)
    if eng not in ENGINES:
        P.error(file, f"[routing] engine must be one of {', '.join(ENGINES)}, got {eng!r}", column="routing.engine")
        eng = d.engine
    kw["engine"] = eng
    asg = rt.get("assignment", d.assignment)
    if asg not in ASSIGNMENTS:
        P.error(file, f"[routing] assignment must be one of {', '.join(ASSIGNMENTS)}, got {asg!r}"
                      f"{closest_hint(str(asg), ASSIGNMENTS)}", column="routing.assignment",
                hint='"county" = a village may be served from any station; "township" = only from its own '
                     "township's station")
        asg = d.assignment
    kw["assignment"] = asg
    vd = rt.get("visit_days", d.visit_days)
    if vd not in VISIT_DAYS:
        P.error(file, f"[routing] visit_days must be one of {', '.join(VISIT_DAYS)}, got {vd!r}"
                      f"{closest_hint(str(vd), VISIT_DAYS)}", column="routing.visit_days",
                hint='"balanced" = loads balanced over the days; "routed" = then improved by routing cost')
        vd = d.visit_days
    kw["visit_days"] = vd
    kw.update(_parse_clock_times(rt, d, file, P))

    kw["shares"] = _parse_shares(rt, file, P)

    kw["time_windows"] = _parse_time_windows(rt, file, P)
    kw["market_days"] = parse_market_days_table(rt, kw["delivery_days_per_week"], file, P)

    kw["fleet"] = parse_fleet(config, file, P, kw.get("engine", d.engine))
    kw["bus_lines"] = parse_bus_lines(config, file, P)
    if problems is None:
        P.raise_if_errors()
    elif P.errors:
        return RoutingParams()
    for k, v in overrides.items():
        if v is None:
            continue
        if k == "time_limit_s" and not (isinstance(v, (int, float)) and v > 0):
            raise CultureLogisticsError(f"time limit must be > 0 s, got {v!r}")
        if k == "seed" and not (isinstance(v, int) and v >= 0):
            raise CultureLogisticsError(f"seed must be a whole number ≥ 0, got {v!r}")
        kw[k] = v
    return RoutingParams(**kw)


def _parse_clock_times(rt: dict, d: RoutingParams, file, P: ProblemList) -> dict:
    """The ``[routing]`` clock times (``"HH:MM"``): ``day_start``, ``day_end``, ``trunk_start`` and
    ``inbound_arrival`` as seconds after midnight, each checked against ``day_end``."""
    times = {}
    for key, dflt in (("day_start", d.day_start_s), ("day_end", d.day_end_s)):
        v = rt.get(key, hhmm(dflt))
        s = _parse_hhmm(v)
        if s is None:
            P.error(file, f"[routing] {key} must be a time \"HH:MM\", got {v!r}", column=f"routing.{key}",
                    hint=f'e.g. {key} = "{hhmm(dflt)}"')
            s = dflt
        times[key] = s
    if times["day_end"] <= times["day_start"]:
        P.error(file, f"[routing] day_end ({hhmm(times['day_end'])}) must be later than day_start "
                      f"({hhmm(times['day_start'])})", column="routing.day_end")
    kw: dict = {"day_start_s": times["day_start"], "day_end_s": times["day_end"]}
    v = rt.get("trunk_start", hhmm(d.trunk_start_s))
    ts = _parse_hhmm(v)
    if ts is None:
        P.error(file, f"[routing] trunk_start must be a time \"HH:MM\", got {v!r}", column="routing.trunk_start",
                hint=f'e.g. trunk_start = "{hhmm(d.trunk_start_s)}" (a night trunk that stocks every station '
                     "before day_start)")
        ts = d.trunk_start_s
    elif ts >= times["day_end"]:
        P.error(file, f"[routing] trunk_start ({hhmm(ts)}) must be earlier than day_end ({hhmm(times['day_end'])})",
                column="routing.trunk_start", hint=f'e.g. trunk_start = "{hhmm(d.trunk_start_s)}"')
        ts = d.trunk_start_s
    kw["trunk_start_s"] = ts
    v = rt.get("inbound_arrival", hhmm(d.inbound_arrival_s))
    ia = _parse_hhmm(v)
    if ia is None or ia >= times["day_end"]:
        P.error(file, f"[routing] inbound_arrival must be a time \"HH:MM\" earlier than day_end "
                      f"({hhmm(times['day_end'])}), got {v!r}", column="routing.inbound_arrival",
                hint=f'e.g. inbound_arrival = "{hhmm(d.inbound_arrival_s)}" (when the trucks from the provincial '
                     "hub arrive)")
        ia = d.inbound_arrival_s
    kw["inbound_arrival_s"] = ia
    kw["inbound_arrival_given"] = "inbound_arrival" in rt
    return kw


def _parse_shares(rt: dict, file, P: ProblemList) -> dict[str, float]:
    """``[routing.shares]``: each carrying operator's share of every village's parcels (they sum to 1)."""
    shares = rt.get("shares", dict(DEFAULT_SHARES))
    if not isinstance(shares, dict):
        P.error(file, "[routing] shares must be a table of operator = share", column="routing.shares",
                hint="e.g. shares = { postal = 0.45, supply_coop = 0.20, courier = 0.35 }")
        shares = dict(DEFAULT_SHARES)
    clean = {}
    for op, v in shares.items():
        if op not in CARRIERS:
            P.error(file, f"[routing.shares] unknown operator {op!r}{closest_hint(op, CARRIERS)}",
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
    return {op: clean.get(op, 0.0) for op in CARRIERS} if clean else dict(DEFAULT_SHARES)


def _parse_time_windows(rt: dict, file, P: ProblemList) -> dict[str, tuple[int, int]]:
    """``[routing.time_windows]``: stop id → (open, close) in seconds after midnight."""
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
    return windows


def params_dict(p: RoutingParams) -> dict:
    """Every routing parameter as plain JSON-ready values (times "HH:MM"), as a plan's summary.json records them."""
    return {
        "service_min": p.service_min, "service_min_per_parcel": p.service_min_per_parcel,
        "station_service_min": p.station_service_min, "day_start": hhmm(p.day_start_s), "day_end": hhmm(p.day_end_s),
        "delivery_days_per_week": p.delivery_days_per_week, "shares": dict(p.shares),
        "time_limit_s": p.time_limit_s, "seed": p.seed, "engine": p.engine,
        "service_point_radius_m": p.service_point_radius_m, "wait_for_trunk": p.wait_for_trunk,
        "assignment": p.assignment, "trunk_start": hhmm(p.trunk_start_s),
        "inbound_arrival": hhmm(p.inbound_arrival_s), "inbound_arrival_given": p.inbound_arrival_given,
        "diagnose": p.diagnose, "max_resolves": p.max_resolves, "driving_rule": p.driving_rule,
        "min_visits_per_week": p.min_visits_per_week, "parcels_per_visit": p.parcels_per_visit,
        "time_windows": {k: f"{hhmm(a)}-{hhmm(b)}" for k, (a, b) in p.time_windows.items()},
        **({"effort": p.effort} if p.effort != 1.0 else {}),   # only when not the default, as market_days
        # only when given (the plans of scenarios without market days keep their summary.json)
        **({"market_days": {k: format_market_days(v) for k, v in p.market_days.items()}} if p.market_days else {}),
        **({"visit_days": p.visit_days} if p.visit_days != "balanced" else {}),
        "fleet_configured": [{k: getattr(f, k) for k in _FLEET_KEYS
                              if k not in ("kind", "range_km", "max_trips", "reload_min") or getattr(f, k) is not None}
                             | {"source": f.source} for f in p.fleet],
        "fleet_default": {e: dict(DEFAULT_VEHICLES[e]) for e in ECHELONS},
        "bus_lines": [{"id": b.id, "name": b.name, "stops": list(b.stops),
                       "departures": [hhmm(t) for t in b.departures_s], "parcels_per_run": b.parcels_per_run,
                       "price_per_parcel": b.price_per_parcel, "speed_kmh": b.speed_kmh,
                       "times_min": None if b.times_min is None else list(b.times_min)} for b in p.bus_lines],
    }


def check_effort(effort) -> None:
    """Refuse an effort that is not a number in (0, 4] (:class:`CultureLogisticsError`)."""
    if isinstance(effort, bool) or not isinstance(effort, (int, float)) or not 0 < effort <= 4:
        raise CultureLogisticsError(f"--effort must be a number > 0 and ≤ 4 (1 = the default work budget, 0.25 = "
                                    f"about a third of the solver time at a slightly higher cost), got {effort!r}")


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
