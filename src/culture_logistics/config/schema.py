"""The scenario.toml schema: every section and key, with its type, unit, range and default — written once.

Every command reads a scenario through :func:`check_config`, so a misspelt section or key, a value of the
wrong type or out of range is a problem (naming the file, the section and the key, with the closest valid
name) before any stage runs.  The parameter records (:class:`~culture_logistics.config.model.NetworkParams`,
:class:`~culture_logistics.config.siting.SitingParams`, :class:`~culture_logistics.config.routing.RoutingParams`
…) take their defaults from here, and README's parameter tables are checked against :data:`SCHEMA` by the
tests, so the three cannot drift apart.

Adding a key: add a :class:`Key` to its :class:`Section` below (and a field to the section's record where a
stage reads it).  A key whose value needs more than a type and a range (a time window, a fleet entry's
operator) is checked here for its type and by the section's parser for the rest.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from culture_logistics.errors import ProblemList

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Key:
    """One key of a section.

    Attributes
    ----------
    name : the key as written in the TOML.
    kind : ``"float"``, ``"int"``, ``"bool"``, ``"str"``, ``"path"`` (a file path, relative to the TOML),
        ``"choice"`` (one of ``choices``), ``"hhmm"`` (a time of day ``"HH:MM"``), ``"table"`` (a nested table,
        described by its own section) or ``"any"`` (checked by the section's parser).
    default : the value when the key is absent (``None`` = no default: optional, or derived by the stage).
    unit : e.g. ``"m"``, ``"km/h"``, ``"CNY"``, ``"min"`` (documentation).
    minimum, maximum : inclusive bounds of a number (``min_open``: the minimum itself is not allowed).
    choices : valid values of a ``choice``.
    required : the key must be given.
    doc : one line for README's parameter table.
    """

    name: str
    kind: str
    default: Any = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    min_open: bool = False
    choices: tuple = ()
    required: bool = False
    doc: str = ""

    def check(self, value, where: str, col: str, file, problems: ProblemList) -> Any:
        """The value checked against the key's type and range; a problem is recorded (``where`` names the key
        in the message, ``col`` in the problem's column) and ``None`` returned when it is wrong."""
        example = f"{self.name} = {toml_literal(self.default)}" if self.default is not None else None
        hint = f"e.g. {example}" if example else None

        def bad(message: str, hint_text: str | None = hint) -> None:
            problems.error(file, f"{where} {message}", column=col, hint=hint_text)

        kind = self.kind
        if kind in ("float", "int"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                bad(f"must be a number{f' ({self.unit})' if self.unit else ''}, got {value!r}",
                    hint if not isinstance(value, str) else f"write the number without quotes: {example}")
                return None
            if kind == "int" and int(value) != value:
                bad(f"must be a whole number, got {value!r}")
                return None
            lo, hi = self.minimum, self.maximum
            if lo is not None and (value <= lo if self.min_open else value < lo):
                bad(f"must be {'>' if self.min_open else '≥'} {lo:g}, got {value!r}",
                    f"the default is {toml_literal(self.default)}" if self.default is not None else None)
                return None
            if hi is not None and value > hi:
                bad(f"must be ≤ {hi:g}, got {value!r}",
                    f"the default is {toml_literal(self.default)}" if self.default is not None else None)
                return None
            return int(value) if kind == "int" else float(value)
        if kind == "bool":
            if not isinstance(value, bool):
                bad(f"must be true or false, got {value!r}", f"write it without quotes: {self.name} = true")
                return None
            return value
        if kind in ("str", "path"):
            if not isinstance(value, str):
                what = "a file path in quotes" if kind == "path" else "text in quotes"
                bad(f"must be {what}, got {value!r}",
                    f'write {self.name} = "{self.name}.csv"' if kind == "path" else hint)
                return None
            return value
        if kind == "choice":
            norm = value.strip().lower() if isinstance(value, str) else value
            if isinstance(norm, str) and norm not in self.choices:
                norm = norm.replace("-", "").replace("_", "") if norm.replace("-", "").replace("_", "") in \
                    self.choices else norm
            if norm not in self.choices:
                options = ", ".join(f'"{c}"' for c in self.choices)
                bad(f"must be one of {options}, got {value!r}{did_you_mean(value, self.choices)}", self.doc or None)
                return None
            return norm
        if kind == "hhmm":
            s = parse_hhmm(value)
            if s is None:
                bad(f'must be a time "HH:MM", got {value!r}', f'e.g. {self.name} = "{self.default}"')
            return s
        if kind == "table":
            if not isinstance(value, dict):
                bad("must be a table", f"write it as [{col}] on its own line, then key = value lines")
                return None
            return value
        return value


@dataclass(frozen=True)
class Section:
    """One table of scenario.toml.

    Attributes
    ----------
    name : ``"network"``, ``"routing.time_windows"`` … (a dotted name is a table nested in another).
    keys : the keys it may hold.
    array : an array of tables (``[[fleet]]``).
    free_keys : any key is allowed (``[routing.time_windows]``: one key per stop id); ``value`` checks each.
    value : for ``free_keys``, the check of every value.
    required : the section must be present.
    doc : what the section is for.
    """

    name: str
    keys: tuple[Key, ...] = ()
    array: bool = False
    free_keys: bool = False
    value: Key | None = None
    required: bool = False
    doc: str = ""

    def key(self, name: str) -> Key:
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(f"[{self.name}] has no key {name!r}")

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def defaults(self) -> dict:
        return {k.name: k.default for k in self.keys}


def _k(name, kind, default=None, unit="", lo=None, hi=None, doc="", **kw) -> Key:
    return Key(name, kind, default, unit, lo, hi, doc=doc, **kw)


#: default other express parcels per resident a week (see the [demand] keys' docs for the calibration)
OTHER_IN_PER_CAPITA_WEEK = 0.095
OTHER_OUT_PER_CAPITA_WEEK = 0.025

OPERATOR_CHOICES = ("postal", "supply_coop", "courier", "shared")
CRS_CHOICES = ("wgs84", "gcj02", "bd09")

SECTIONS: tuple[Section, ...] = (
    Section("county", required=True, doc="the county", keys=(
        _k("adcode", "str", required=True, doc='6-digit county division code, as text ("370782")'),
        _k("name", "str", doc="the county's Chinese name (default: from the NBS division list)"),
        _k("crs", "choice", "wgs84", choices=CRS_CHOICES,
           doc='coordinate system of every input: "wgs84" (GPS, OSM), "gcj02" (Amap/Gaode, Tencent) or "bd09" '
               '(Baidu Maps); converted to WGS-84 on load'),
    )),
    Section("inputs", required=True, doc="the input files, relative to the TOML", keys=(
        _k("villages", "path", required=True, doc="villages.csv: one row per village-level unit"),
        _k("facilities", "path", required=True, doc="facilities.csv: every depot, station and service point"),
        _k("roads", "path", doc="road lines (.geojson/.gpkg/.shp), OSM XML (.osm) or GraphML; optional"),
        _k("townships", "path", doc="townships.csv: the township seats; optional"),
        _k("destinations", "path", doc="destinations.csv: cultural destinations (文化超市, 综合文化服务中心, "
                                       "农家书屋) the routes visit as stops; optional"),
        _k("sheet", "str", None, doc="the sheet to read in every .xlsx input (default: the first sheet)"),
    )),
    Section("network", doc="the road network and distances off it", keys=(
        _k("circuity", "float", 1.3, "", 1.0, 10.0, doc="without roads: road distance = straight line × circuity"),
        _k("default_speed_kmh", "float", 30.0, "km/h", 1.0, 200.0,
           doc="speed of a road with neither maxspeed nor a known class"),
        _k("access_speed_kmh", "float", 15.0, "km/h", 1.0, 200.0,
           doc="speed on the leg from a village/facility to its nearest road node"),
        _k("max_access_m", "float", 2000.0, "m", 0.0, 1e6,
           doc="a point farther than this from the connected network is unreachable"),
    )),
    Section("demand", doc="the parcel flow the vans carry: cultural parcels (villages.csv) and every other "
            "express parcel to and from the villages", keys=(
        _k("other_in_per_capita_week", "float", OTHER_IN_PER_CAPITA_WEEK, "parcels/person/week", 0.0, 1000.0,
           doc="a village's other inbound express parcels a week per resident, where villages.csv has no "
               "other_in_per_week. Default calibrated on 泰安岱岳区 (Shandong, 2023): 20,000 parcels a day into its "
               "471 villages on 12 bus lines (https://www.zgjtb.com/zhuanti/2023-03/30/content_346783.html) for "
               "1,046,569 residents (2020 census) = 0.134 parcels/person/week in and out; we take 0.12 (the low end "
               "of the county cases 0.13–0.29: 岱岳, 江陵, 禹城), split in:out 79:21 as 石屏's 3.9万:1.07万 "
               "(http://m.qwdsda.cn/html/2025/yunxinwen_1023/138676.html): 0.095 in. Sources: "
               "../shared/docs/COUNTY-PRACTICE.md §2; 0 = cultural parcels only"),
        _k("other_out_per_capita_week", "float", OTHER_OUT_PER_CAPITA_WEEK, "parcels/person/week", 0.0, 1000.0,
           doc="a village's other outbound express parcels a week per resident, where villages.csv has no "
               "other_out_per_week; default 0.025, the outbound 21 % of the 0.12 of other_in_per_capita_week"),
        _k("scale", "float", 1.0, "", 0.0, 1000.0, min_open=True,
           doc="every flow (cultural and other, in and out) is multiplied by this (route --demand-scale replaces it)"),
        _k("peak_scale", "float", 2.0, "", 0.0, 1000.0, min_open=True,
           doc="the peak season's multiplier (双11 about ×2: a village courier's ~500 parcels a day become ~1,000, "
               "https://global.chinadaily.com.cn/a/202111/15/WS6191b6a2a310cdd39bc754f1.html): the county report "
               "and demo solve the shared plan again with every flow × this (the peak plan)"),
    )),
    Section("coverage", doc="what counts as reached", keys=(
        _k("radius_m", "float", 3000.0, "m", 1.0, 1e6, doc="a facility reaches a village within this network distance"),
    )),
    Section("siting", doc="choosing shared service points (culture-logistics site)", keys=(
        _k("convert_cost", "float", 20000.0, "CNY", 0.0, 1e12, doc="cost of converting an existing facility"),
        _k("new_cost", "float", 80000.0, "CNY", 0.0, 1e12, doc="cost of opening a new shared point in a village"),
        _k("new_capacity_per_week", "float", 300.0, "parcels/week", 0.0, 1e9, doc="capacity of a new shared point"),
        _k("delivery_days_per_week", "float", 6.0, "days", 0.0, 7.0,
           doc="an existing facility's weekly capacity = capacity_per_day × this"),
        _k("radius_m", "float", None, "m", 1.0, 1e6, doc="reach radius of a site (default: [coverage] radius_m)"),
        _k("pmedian_cutoff_m", "float", None, "m", 1.0, 1e7, doc="p-median distances are capped here (default 3 × radius)"),
        _k("candidates", "choice", "all", choices=("all", "existing", "new"),
           doc='"all" (existing and new), "existing" or "new"'),
        _k("k", "int", None, "sites", 1, 1e6, doc="number of sites when --k and --budget are not given"),
        _k("budget", "float", None, "CNY", 0.0, 1e15, doc="budget when --k and --budget are not given"),
        _k("time_limit_s", "float", 60.0, "s", 0.0, 86400.0, doc="MIP solver time limit (a safety cap)"),
    )),
    Section("routing", doc="daily two-echelon route plans (culture-logistics route)", keys=(
        _k("service_min", "float", 5.0, "min", 0, 240, doc="minutes at every village stop"),
        _k("service_min_per_parcel", "float", 0.2, "min", 0, 60,
           doc="extra minutes per parcel delivered or picked up at a village"),
        _k("station_service_min", "float", 20.0, "min", 0, 600, doc="minutes a trunk van spends at a township station"),
        _k("day_start", "hhmm", "08:00", doc="depots open; every vehicle leaves after this"),
        _k("day_end", "hhmm", "18:00", doc="depots close; every vehicle is back by this"),
        _k("delivery_days_per_week", "int", 6, "days", 1, 7,
           doc="a village's daily parcels = ⌈weekly parcels / days⌉ (in and out separately)"),
        _k("shares", "table", None, doc="separate mode: each operator's share of every village's parcels (sum 1)"),
        _k("time_limit_s", "float", 10.0, "s", 0, 3600, min_open=True,
           doc="wall-clock safety cap (s) per 40 stops of a model (at least 10 %); solves stop on deterministic work budgets first"),
        _k("seed", "int", 0, "", 0, 2**31 - 1, doc="solver seed"),
        _k("effort", "float", 1.0, "", 0, 4, min_open=True,
           doc="multiplies every routing solve's deterministic work budget (iterations per stop, and the stop after "
               "iterations without improvement): 1 = the default; less plans faster at a higher cost, e.g. 0.25 "
               "in 0.27 of the CPU time at +1.6 % on the ten embedded counties' shared plans, 0.5 in 0.53 at +1.0 % "
               "(benchmarks/bench_budget_sweep.py); the plans stay reproducible"),
        _k("engine", "choice", "pyvrp", choices=("pyvrp", "ortools"), doc='routing engine: "pyvrp" or "ortools"'),
        _k("service_point_radius_m", "float", 500.0, "m", 0, 20000,
           doc="largest distance from a village centre to the service point that serves it"),
        _k("wait_for_trunk", "bool", True, doc="last-mile vehicles leave a station once the trunk has unloaded there"),
        _k("assignment", "choice", "county", choices=("county", "township"),
           doc='last mile: "county" = a village may be served from any station (station capacity_per_day is a '
               'hard limit on its inbound parcels); "township" = only from its own township\'s station'),
        _k("trunk_start", "hhmm", "04:00",
           doc="the trunk vans leave the county depot (before day_start: every station is stocked when its vans start)"),
        _k("inbound_arrival", "hhmm", "06:00",
           doc="inbound parcels reach the county centre at this time each delivery day (the default: trucks from the "
               "provincial hub arrive about 06:00 in 禹城, docs/guide/report.md); the start of a parcel's lead time "
               "(K7 送达时效). When given, the trunk does not leave before it (default: the plan keeps trunk_start and "
               "a parcel that arrives after the trunk has left goes with the next delivery day's trunk)"),
        _k("workers", "int", 0, "processes", 0, 64,
           doc="independent plans of one run (compare mode, cost-sharing coalitions) are made in this many processes; "
               "0 = one per CPU core, 1 = one after the other. The plans are the same either way"),
        _k("diagnose", "bool", True, doc="find and confirm the smallest fix for each dropped stop by re-solving"),
        _k("driving_rule", "bool", True,
           doc="every trunk and last-mile route keeps 连续驾驶 ≤ 4 h with a 20 min rest at a stop where needed "
               "(道路交通安全法实施条例 第六十二条); false plans without it (what the rule costs)"),
        _k("max_resolves", "int", 8, "", 0, 1000, doc="at most this many re-solves per model for the diagnosis"),
        _k("time_windows", "table", None, doc="a stop's window for the start of service, see [routing.time_windows]"),
        _k("visit_days", "choice", "balanced", choices=("balanced", "routed"),
           doc='weekly plan: "balanced" = each township\'s days carry about the same load; "routed" = then, '
               "township by township, villages move to other allowed days where that shortens the day routes "
               "(straight-line, from the station; never more vans on a day than the busiest balanced day)"),
        _k("market_days", "table", None,
           doc="weekly plan: the weekdays a village (or every village of a township) may be visited, see "
               "[routing.market_days]"),
        _k("min_visits_per_week", "int", 2, "visits/week", 1, 7,
           doc="weekly plan: every village with parcels is visited at least this often (the default is "
               "clamped to delivery_days_per_week; a value given must not exceed it)"),
        _k("parcels_per_visit", "float", 20.0, "parcels", 0, 1e6, min_open=True,
           doc="weekly plan: visits = clamp(⌈(weekly in + out) / this⌉, min_visits_per_week, delivery_days_per_week)"),
    )),
    Section("routing.shares", doc="separate mode: share of every village's parcels per carrying operator", keys=(
        _k("postal", "float", 0.45, "", 0.0, 1.0, doc="China Post's share"),
        _k("supply_coop", "float", 0.20, "", 0.0, 1.0, doc="the supply-and-marketing co-operative's share"),
        _k("courier", "float", 0.35, "", 0.0, 1.0, doc="the express couriers' share"),
    )),
    Section("routing.time_windows", free_keys=True, doc='stop id (village code or facility id) = "HH:MM-HH:MM"',
            value=_k("window", "str", doc='"HH:MM-HH:MM", the window for the start of service')),
    Section("routing.market_days", free_keys=True,
            doc='village code (12 digits) or township code (9 digits) = weekdays 1-7 (1 = Monday), "2,5" or [2, 5]: '
                "the weekly plan visits the village (every village of the township) on these days only; villages.csv "
                "market_days wins. Lunar-calendar markets (逢三六九) move through the week: state weekdays",
            value=_k("days", "any", doc='weekdays, "2,5", "周二,周五" or [2, 5]')),
    Section("fleet", array=True, doc="one vehicle type of one operator and echelon (repeat [[fleet]])", keys=(
        _k("operator", "choice", None, choices=OPERATOR_CHOICES, required=True,
           doc='"postal", "supply_coop", "courier" or "shared"'),
        _k("echelon", "choice", None, choices=("trunk", "last_mile"), required=True,
           doc='"trunk" (county depot → stations) or "last_mile" (station → villages)'),
        _k("name", "str", None, doc="label used in vehicle ids (default trunk_van / light_van)"),
        _k("count", "int", None, "vehicles", 0, 1000, doc="vehicles available (last mile: per township depot)"),
        _k("capacity", "int", None, "parcels", 1, 1e6, doc="parcels on board at any moment"),
        _k("speed_factor", "float", None, "", 0.05, 3.0, doc="drives at road speed × this"),
        _k("cost_per_km", "float", None, "CNY/km", 0, 1000, doc="cost per km driven"),
        _k("fixed_cost", "float", None, "CNY/day", 0, 1e6, doc="cost per vehicle used per day"),
        _k("max_shift_h", "float", None, "h", 0, 24, min_open=True, doc="hours from leaving the depot to returning"),
        _k("kind", "choice", None, choices=("e_tricycle", "ev_van", "van", "truck"),
           doc='"e_tricycle", "ev_van", "van" or "truck": gives the kind\'s capacity, range_km and speed_factor '
               "(see the kind defaults in the routing docs); explicit keys override"),
        _k("range_km", "float", None, "km", 0, 10000, min_open=True,
           doc="longest route the vehicle can drive in a day on a charge or a shift (a hard limit; default: the "
               "kind's, none without a kind)"),
        _k("max_trips", "int", None, "trips", 1, 20,
           doc="trips a vehicle may make in its shift, back at its station to reload between them; the shift and "
               "range_km hold over the whole day; engine pyvrp only (default: the kind's — e_tricycle 4, ev_van 3, "
               "van 2, truck 1 —, 1 without a kind)"),
        _k("reload_min", "float", None, "min", 0, 600,
           doc="minutes at the station between two trips, loading included (default: the kind's — e_tricycle 15, "
               "ev_van 20, van 20, truck 30 —, 20 without a kind)"),
    )),
    Section("bus_line", array=True, doc="a county bus line that carries parcels on its timetable (客货邮融合; "
                                        "repeat [[bus_line]])", keys=(
        _k("id", "str", None, required=True, doc='short id used in vehicle ids ("B1" → "B1@07:30")'),
        _k("name", "str", None, doc="the line's name, e.g. 城乡公交 K1 路 (default: the id)"),
        _k("stops", "any", None, required=True,
           doc="facility ids in the bus's order, the county depot first, then township stations"),
        _k("departures", "any", None, required=True, doc='departure times from the county depot, ["07:30", …]'),
        _k("parcels_per_run", "int", None, "parcels", 1, 1e6, required=True,
           doc="parcels one run can take (each direction)"),
        _k("price_per_parcel", "float", None, "CNY", 0, 1e4, required=True,
           doc="what the bus company charges per parcel carried (in or out)"),
        _k("speed_kmh", "float", 35.0, "km/h", 1, 120,
           doc="bus speed on the road network, for arrival times when times_min is not given"),
        _k("times_min", "any", None, "min",
           doc="minutes after departure at each stop (the depot's is 0); default: road distance at speed_kmh"),
    )),
    Section("validation", doc="how strict validation is", keys=(
        _k("allow_unknown_codes", "bool", False, doc="accept village codes newer than the NBS 2023 list"),
    )),
    Section("data", doc="where the data came from (shown in every output)", keys=(
        _k("synthetic", "bool", False, doc="true when coordinates, populations, facilities or roads are generated"),
        _k("note", "str", "", doc="a note on the data's origin, copied into outputs"),
        _k("source", "str", None, doc="the source file or dataset (e.g. an OSM extract)"),
        _k("osm_timestamp", "str", None, doc="the OSM extract's timestamp (import-osm)"),
        _k("attribution", "str", None, doc='the data\'s required credit, e.g. "© OpenStreetMap contributors" (ODbL)'),
        _k("licence", "str", None, doc="the data's licence (import-osm: ODbL 1.0)"),
        _k("villages_source", "str", None, doc="where the village points came from (import-osm: OSM places or --villages)"),
        _k("facilities_source", "str", None, doc="where the facilities came from (import-osm: OSM POIs or --facilities)"),
        _k("clip", "str", None, doc="how the extract was clipped (import-osm: county boundary + buffer)"),
        _k("seed", "int", None, "", 0, 2**63 - 1, doc="the data builder's seed (synthetic data)"),
        _k("boundary_source", "str", None, doc="where the county boundary came from (data builder)"),
        _k("boundary_data_version", "str", None, doc="version of the boundary data (data builder)"),
    )),
)

#: every section by name
SCHEMA: dict[str, Section] = {s.name: s for s in SECTIONS}


def did_you_mean(name, options) -> str:
    """``" — did you mean 'x'?"`` for the closest of ``options`` (empty when none is close)."""
    m = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.5)
    return f" — did you mean '{m[0]}'?" if m else ""


def parse_hhmm(value) -> int | None:
    """``"HH:MM"`` → seconds after midnight (``None`` when not a valid time; 24:00 allowed)."""
    if not isinstance(value, str):
        return None
    mo = _HHMM.match(value)
    if not mo:
        return None
    h, m = int(mo.group(1)), int(mo.group(2))
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 3600 + m * 60


def toml_literal(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


@dataclass
class CheckedConfig:
    """The result of :func:`check_config`: per section, the values that passed their checks.

    ``values[section][key]`` holds the checked value of every key the file gives (a key with a bad value is
    left out, and a problem recorded); ``arrays[section]`` the list of checked entries of an array section;
    ``raw`` the file's tables as parsed.
    """

    values: dict[str, dict] = field(default_factory=dict)
    arrays: dict[str, list[dict]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    def get(self, section: str, key: str, default=None):
        """The checked value of ``[section] key``, else the schema default, else ``default``."""
        v = self.values.get(section, {}).get(key)
        if v is not None:
            return v
        d = SCHEMA[section].key(key).default
        return d if d is not None else default


def default(section: str, key: str):
    """The schema default of ``[section] key``."""
    return SCHEMA[section].key(key).default


#: the sections :func:`check_config` checks key by key; [siting], [routing] and [[fleet]] are checked by their
#: parsers (config.siting, config.routing), which use the same schema for their keys, types and defaults
SIMPLE_SECTIONS = ("county", "inputs", "network", "demand", "coverage", "validation", "data")


def check_config(conf: dict, file, problems: ProblemList, sections=SIMPLE_SECTIONS) -> CheckedConfig:
    """Check every section and key of a parsed scenario.toml against :data:`SCHEMA`.

    Every problem (unknown section or key with the closest valid name, wrong type, value out of range,
    missing required key) is recorded in ``problems`` with the file, the section and the key; nothing is
    raised here.

    Parameters
    ----------
    conf : the TOML as parsed by :mod:`tomllib`.
    file : the scenario.toml path, for the messages.
    problems : where problems are recorded.
    """
    out = CheckedConfig(raw=conf)
    top = [s for s in SCHEMA if "." not in s]
    for name, value in conf.items():
        if name not in SCHEMA or "." in name:
            problems.error(file, f"[{name}]: unknown section{did_you_mean(name, top)}", column=name,
                           hint="valid sections: " + ", ".join(f"[{s}]" for s in top))
            continue
    for sec in SECTIONS:
        if "." in sec.name or sec.name not in sections:
            continue
        value = conf.get(sec.name)
        if value is None:
            if sec.required:
                first = sec.keys[0]
                problems.error(file, f"missing [{sec.name}] section", column=sec.name,
                               hint=f"add a [{sec.name}] table with {first.name} = …")
            continue
        if sec.array:
            entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
            if entries is None:
                problems.error(file, f"[[{sec.name}]] must be an array of tables", column=sec.name,
                               hint=f"write each entry as its own [[{sec.name}]] section")
                continue
            out.arrays[sec.name] = [
                _check_table(sec, e, f"{sec.name}[{i}]", f"[[{sec.name}]] entry {i}:", file, problems)
                if isinstance(e, dict) else _not_table(sec, i, file, problems)
                for i, e in enumerate(entries, start=1)]
            continue
        if not isinstance(value, dict):
            problems.error(file, f"[{sec.name}] must be a table", column=sec.name,
                           hint=f"write [{sec.name}] on its own line, then key = value lines")
            continue
        out.values[sec.name] = _check_table(sec, value, sec.name, f"[{sec.name}]", file, problems)
        for key in sec.keys:
            sub = SCHEMA.get(f"{sec.name}.{key.name}")
            if sub is not None and isinstance(out.values[sec.name].get(key.name), dict):
                out.values[sub.name] = _check_table(sub, value[key.name], sub.name, f"[{sub.name}]", file,
                                                    problems)
    return out


def _not_table(sec: Section, i: int, file, problems: ProblemList) -> dict:
    problems.error(file, f"[[{sec.name}]] entry {i} is not a table", column=f"{sec.name}[{i}]")
    return {}


def _check_table(sec: Section, table: dict, col: str, where: str, file, problems: ProblemList) -> dict:
    checked = {}
    for name, value in table.items():
        if sec.free_keys:
            v = sec.value.check(value, f"{where} {name}", f"{col}.{name}", file, problems) if sec.value else value
            if v is not None:
                checked[str(name)] = v
            continue
        if name not in sec.key_names:
            problems.error(file, f"{where} {name}: unknown key{did_you_mean(name, sec.key_names)}",
                           column=f"{col}.{name}", hint="valid keys: " + ", ".join(sec.key_names))
            continue
        v = sec.key(name).check(value, f"{where} {name}", f"{col}.{name}", file, problems)
        if v is not None:
            checked[name] = v
    for k in sec.keys:
        if k.required and k.name not in table:
            problems.error(file, f"missing {where} {k.name}", column=f"{col}.{k.name}",
                           hint=f"add {k.name} = … under [{sec.name}]" + (f" ({k.doc})" if k.doc else ""))
    return checked
