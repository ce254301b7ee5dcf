"""The vehicles of a plan: ``[[fleet]]`` entries, their defaults per echelon and per ``kind``, and their checks."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from culture_logistics.config.model import CARRIERS
from culture_logistics.config.schema import SCHEMA
from culture_logistics.errors import ProblemList

#: the two echelons a vehicle drives: county depot → township stations, station → villages
ECHELONS = ("trunk", "last_mile")

_FLEET_KEYS = SCHEMA["fleet"].key_names


def closest_hint(key: str, options) -> str:
    """`` (did you mean 'x'?)`` for the option closest to a misspelt ``key``, or "" when none is close."""
    m = difflib.get_close_matches(str(key), list(options), n=1, cutoff=0.5)
    return f" (did you mean {m[0]!r}?)" if m else ""


#: Default vehicles per echelon (used for every operator and for ``shared`` unless [[fleet]] says
#: otherwise).  Costs are 2024 Shandong figures, rounded: a 4.2 m light truck burns ~12 L/100 km of
#: diesel (~7.5 CNY/L) plus tolls and upkeep ≈ 1.5 CNY/km, and costs a driver (~6,000 CNY/month
#: over 26 days) plus depreciation and insurance ≈ 320 CNY/day; a Wuling-class mini van ≈ 0.75
#: CNY/km and ≈ 220 CNY/day.  ``count`` is an upper bound (a plan uses only what it needs); for
#: the last mile it is per township depot.  ``speed_factor`` multiplies the road speeds.
DEFAULT_VEHICLES: dict[str, dict[str, Any]] = {
    "trunk": {"name": "trunk_van", "count": 6, "capacity": 1000, "speed_factor": 1.0, "cost_per_km": 1.5,
              "fixed_cost": 320.0, "max_shift_h": 10.0},
    "last_mile": {"name": "light_van", "count": 6, "capacity": 200, "speed_factor": 0.85, "cost_per_km": 0.75,
                  "fixed_cost": 220.0, "max_shift_h": 9.0},
}


#: Defaults per vehicle ``kind`` of a [[fleet]] entry (they replace the echelon's capacity, speed_factor and
#: range_km; explicit keys of the entry override them).  Sources (../shared/docs/COUNTY-PRACTICE.md §2, "Vehicles"):
#: e-tricycle ~50 parcels and micro EV van 100–150 parcels, 80–90 km on a charge (http://i56r.com/new/8245); we take
#: the van's low ends, 100 parcels and 80 km.  The e-tricycle's range is not in the notes: 40 km is our assumption
#: (a lead-acid e-trike on rural roads), and its speed 60 % of road speed likewise.  ``van`` and ``truck`` are the
#: default light van and trunk van (their range is the shift: no range_km).
#:
#: Trips a day (``max_trips``) and minutes at the station between them (``reload_min``, loading included): a rural
#: courier handles ~500 parcels a day (~1,000 at 双11) with vehicles that hold 50–150, going back to the station to
#: reload (COUNTY-PRACTICE.md §2, "Couriers" and §2.1 item 3).  500 parcels on a 50-parcel e-tricycle would be 10
#: loads; within a 9 h shift on rural roads at 60 % speed we allow 4 (≈200 parcels a day, the urban courier's
#: ~200/day), a micro EV van of 100 three (≈300) and a light van of 200 two (≈400, the courier's 500 with the
#: pickups), a trunk truck one (it already carries a station's day).  The reload times are our assumption (the notes
#: give none): 15 min to unload the pickups and load 50 parcels, 20 min for a van.  No kind: one trip, as before.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "e_tricycle": {"capacity": 50, "range_km": 40.0, "speed_factor": 0.6, "max_trips": 4, "reload_min": 15.0},
    "ev_van": {"capacity": 100, "range_km": 80.0, "speed_factor": 0.85, "max_trips": 3, "reload_min": 20.0},
    "van": {"capacity": 200, "range_km": None, "speed_factor": 0.85, "max_trips": 2, "reload_min": 20.0},
    "truck": {"capacity": 1000, "range_km": None, "speed_factor": 1.0, "max_trips": 1, "reload_min": 30.0},
}

#: reload_min of a [[fleet]] entry with max_trips but neither reload_min nor a kind.
DEFAULT_RELOAD_MIN = 20.0


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
    kind : ``e_tricycle``, ``ev_van``, ``van``, ``truck`` or None (not given).
    range_km : the longest route in a day (km, a hard limit); None = no limit but the shift.
    max_trips : trips a vehicle may make in its shift, back at its station to reload between them (None = not
        given and no kind: one trip).  The shift and range_km hold over the whole day.
    reload_min : minutes at the station between two trips, loading included (None = not given and no kind).
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
    kind: str | None = None
    range_km: float | None = None
    max_trips: int | None = None
    reload_min: float | None = None

    @property
    def trips_per_day(self) -> int:
        """The trips a vehicle may make in a day (``max_trips``, 1 when not given)."""
        return 1 if self.max_trips is None else int(self.max_trips)

    @property
    def reload_s(self) -> int:
        """``reload_min`` in seconds (:data:`DEFAULT_RELOAD_MIN` when not given)."""
        return int(round(60 * (DEFAULT_RELOAD_MIN if self.reload_min is None else self.reload_min)))

    @property
    def max_shift_s(self) -> int:
        return int(round(self.max_shift_h * 3600))

    @property
    def max_distance_m(self) -> int | None:
        """``range_km`` in metres (None = no limit)."""
        return None if self.range_km is None else int(round(self.range_km * 1000))


def default_fleet_entry(operator: str, echelon: str) -> FleetEntry:
    d = DEFAULT_VEHICLES[echelon]
    return FleetEntry(operator=operator, echelon=echelon, **d, source="default")


def parse_fleet(config: dict, file, P: ProblemList, engine: str = "pyvrp") -> tuple[FleetEntry, ...]:
    """Every ``[[fleet]]`` entry, checked (operator, echelon, numbers in range, unique names; max_trips > 1 only
    with ``engine`` pyvrp)."""
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
                P.error(file, f"[[fleet]] entry {i}: unknown key {k!r}{closest_hint(k, _FLEET_KEYS)}", column=f"{tag}.{k}",
                        hint="valid keys: " + ", ".join(_FLEET_KEYS))
        op = f.get("operator")
        ech = f.get("echelon")
        ok = True
        if op not in CARRIERS + ("shared",):
            P.error(file, f"[[fleet]] entry {i}: operator must be one of postal, supply_coop, courier, shared; "
                          f"got {op!r}{closest_hint(op, CARRIERS + ('shared',))}", column=f"{tag}.operator",
                    hint='e.g. operator = "shared" (the co-delivery fleet of the shared mode)')
            ok = False
        if ech not in ECHELONS:
            P.error(file, f"[[fleet]] entry {i}: echelon must be \"trunk\" or \"last_mile\", got {ech!r}"
                          f"{closest_hint(ech, ECHELONS)}", column=f"{tag}.echelon",
                    hint="trunk = county depot → township stations; last_mile = station → villages")
            ok = False
        if not ok:
            continue
        base = dict(DEFAULT_VEHICLES[ech])
        kind = f.get("kind")
        if kind is not None and kind not in KIND_DEFAULTS:
            P.error(file, f"[[fleet]] entry {i} ({op}/{ech}): kind must be one of {', '.join(KIND_DEFAULTS)}; "
                          f"got {kind!r}{closest_hint(kind, tuple(KIND_DEFAULTS))}", column=f"{tag}.kind",
                    hint='e.g. kind = "ev_van" (100 parcels, 80 km on a charge)')
            kind = None
        if kind is not None:
            base.update(KIND_DEFAULTS[kind], name=kind)
        vals: dict[str, Any] = {}
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
        range_km = f.get("range_km", base.get("range_km"))
        if range_km is not None:
            if isinstance(range_km, bool) or not isinstance(range_km, (int, float)) or not 0 < range_km <= 10000:
                P.error(file, f"[[fleet]] entry {i} ({op}/{ech}): range_km must be a number > 0 and ≤ 10000, "
                              f"got {range_km!r}", column=f"{tag}.range_km",
                        hint="the longest route in km the vehicle drives in a day (e.g. 80 for a micro EV van); "
                             "leave it out for no limit but the shift")
                range_km = base.get("range_km")
            vals["range_km"] = None if range_km is None else float(range_km)
        for key, lo, hi, integer, what in (("max_trips", 1, 20, True, "a whole number ≥ 1 and ≤ 20"),
                                           ("reload_min", 0, 600, False, "a number ≥ 0 and ≤ 600")):
            v = f.get(key, base.get(key))
            if v is None:
                continue
            bad = isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or not lo <= v <= hi \
                or (integer and int(v) != v)
            if bad:
                P.error(file, f"[[fleet]] entry {i} ({op}/{ech}): {key} must be {what}, got {v!r}",
                        column=f"{tag}.{key}",
                        hint="max_trips: trips a vehicle may make in its shift (e.g. 4 for an e-tricycle); "
                             "reload_min: minutes at the station between trips")
                v = base.get(key)
                if v is None:
                    continue
            vals[key] = int(v) if integer else float(v)
        if vals.get("max_trips", 1) > 1 and engine == "ortools":
            P.error(file, f"[[fleet]] entry {i} ({op}/{ech}): max_trips = {vals['max_trips']}"
                          + (f" (the {kind}'s default)" if "max_trips" not in f else "")
                          + ", but engine \"ortools\" plans one trip per vehicle", column=f"{tag}.max_trips",
                    hint='use [routing] engine = "pyvrp" (it reloads at the station) or set max_trips = 1 in this '
                         "[[fleet]] entry")
        name = f.get("name", base["name"])
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            P.error(file, f"[[fleet]] entry {i}: name must be a short text, got {name!r}", column=f"{tag}.name")
            name = base["name"]
        entries.append(FleetEntry(operator=op, echelon=ech, name=name.strip(), source=tag, kind=kind, **vals))
    seen: dict[tuple[str, str, str], str] = {}
    for e in entries:
        fleet_key = (e.operator, e.echelon, e.name)
        if fleet_key in seen:
            P.error(file, f"[[fleet]] {e.source}: a {e.operator}/{e.echelon} vehicle named {e.name!r} is already "
                          f"defined in {seen[fleet_key]}", column=f"{e.source}.name",
                    hint="give each vehicle type of an operator and echelon its own name")
        seen[fleet_key] = e.source
    return tuple(entries)
