"""The ``[[bus_line]]`` entries: county bus lines that carry parcels on their timetable (客货邮融合).

Each entry is checked key by key against :data:`culture_logistics.config.schema.SCHEMA` (unknown key
with the closest valid name, types, ranges), then here for what a type cannot say: ``stops`` a list of
at least two distinct facility ids, ``departures`` a list of ``"HH:MM"`` times, ``times_min`` one
non-decreasing number of minutes per stop starting at 0.  Whether the stops are real facilities, and
the first one a county depot, needs facilities.csv: :func:`check_bus_stops` (called by
:func:`~culture_logistics.inputs.scenario.load_scenario`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from culture_logistics.config.schema import check_config, default, did_you_mean, parse_hhmm
from culture_logistics.errors import ProblemList


@dataclass(frozen=True)
class BusLine:
    """One bus line that may carry a station's parcels.

    Attributes
    ----------
    id, name : the line's id (vehicle ids are ``"{id}@HH:MM"``) and name.
    stops : facility ids in the bus's order; the first is the county depot where parcels board.
    departures_s : departure times from the first stop, seconds after midnight, sorted.
    parcels_per_run : parcels one run can carry in each direction (out to the stations, back with
        their pickups).
    price_per_parcel : CNY per parcel carried (inbound or outbound).
    speed_kmh : bus speed (km/h) on the road network when ``times_min`` is not given.
    times_min : minutes after departure at each stop (the first 0), or ``None`` (from the roads).
    source : ``"bus_line[i]"`` (1-based), for messages.
    """

    id: str
    name: str
    stops: tuple
    departures_s: tuple
    parcels_per_run: int
    price_per_parcel: float
    speed_kmh: float = default("bus_line", "speed_kmh")
    times_min: tuple | None = None
    source: str = ""


def parse_bus_lines(config: dict, file: str = "scenario.toml", problems: ProblemList | None = None) -> tuple:
    """The checked ``[[bus_line]]`` entries of a parsed scenario TOML (a tuple of :class:`BusLine`).

    Every problem is recorded in ``problems`` with the file and the column (``bus_line[2].departures``) and
    a hint; an entry with a problem is left out.  Without ``problems`` a :class:`ScenarioError` is raised.
    """
    P = problems if problems is not None else ProblemList()
    if "bus_line" not in config:
        return ()
    checked = check_config({"bus_line": config["bus_line"]}, file, P, sections=("bus_line",))
    raw = config["bus_line"]
    raw = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    lines = []
    seen: dict[str, str] = {}
    for i, (entry, ok) in enumerate(zip(raw, checked.arrays.get("bus_line", [])), start=1):
        tag = f"bus_line[{i}]"
        n0 = len(P.errors)
        if not isinstance(entry, dict):
            continue
        lid = ok.get("id", "")
        if "id" in ok and (not lid.strip() or len(lid) > 20 or "@" in lid):
            P.error(file, f"[[bus_line]] entry {i}: id must be a short text without '@', got {lid!r}",
                    column=f"{tag}.id", hint='e.g. id = "B1"')
        if lid in seen:
            P.error(file, f"[[bus_line]] entry {i}: id {lid!r} is already used by {seen[lid]}", column=f"{tag}.id",
                    hint="give every bus line its own id")
        seen.setdefault(lid, tag)
        stops = entry.get("stops")
        if "stops" in entry:
            if not isinstance(stops, list) or len(stops) < 2 or not all(isinstance(s, str) and s.strip()
                                                                          for s in stops):
                P.error(file, f"[[bus_line]] entry {i}: stops must be a list of at least two facility ids, got "
                              f"{stops!r}", column=f"{tag}.stops",
                        hint='the county depot first, e.g. stops = ["HUB", "P1", "P2"]')
                stops = None
            elif len(set(stops)) != len(stops):
                dup = sorted({s for s in stops if stops.count(s) > 1})
                P.error(file, f"[[bus_line]] entry {i}: stops lists {', '.join(dup)} more than once",
                        column=f"{tag}.stops", hint="list each stop once, in the order the bus calls")
                stops = None
        deps = entry.get("departures")
        times_s: list[int] = []
        if "departures" in entry:
            if not isinstance(deps, list) or not deps:
                P.error(file, f"[[bus_line]] entry {i}: departures must be a list of times \"HH:MM\", got {deps!r}",
                        column=f"{tag}.departures", hint='e.g. departures = ["07:00", "12:30"]')
            else:
                for d in deps:
                    s = parse_hhmm(d)
                    if s is None:
                        P.error(file, f"[[bus_line]] entry {i}: departure {d!r} is not a time \"HH:MM\"",
                                column=f"{tag}.departures", hint='e.g. "07:30"')
                    else:
                        times_s.append(s)
                if len(set(times_s)) != len(times_s):
                    P.error(file, f"[[bus_line]] entry {i}: a departure time is listed twice",
                            column=f"{tag}.departures", hint="list each run once")
        tm = entry.get("times_min")
        if "times_min" in entry:
            nstops = len(stops) if isinstance(stops, list) else None
            good = (isinstance(tm, list) and all(isinstance(t, (int, float)) and not isinstance(t, bool)
                                                 and math.isfinite(t) for t in tm))
            if not good or not tm or tm[0] != 0 or any(b < a for a, b in zip(tm, tm[1:])) or \
                    (nstops is not None and len(tm) != nstops):
                P.error(file, f"[[bus_line]] entry {i}: times_min must be one number of minutes per stop, 0 at the "
                              f"first and never decreasing, got {tm!r}", column=f"{tag}.times_min",
                        hint=f"e.g. times_min = [0, 25, 50] for {nstops or 3} stops, or leave it out to use the "
                             f"road distance at speed_kmh")
        if len(P.errors) > n0 or any(k.column and k.column.startswith(tag + ".") for k in P.errors):
            continue
        lines.append(BusLine(id=lid, name=ok.get("name") or lid, stops=tuple(s.strip() for s in stops),
                             departures_s=tuple(sorted(times_s)), parcels_per_run=int(ok["parcels_per_run"]),
                             price_per_parcel=float(ok["price_per_parcel"]),
                             speed_kmh=float(ok.get("speed_kmh", default("bus_line", "speed_kmh"))),
                             times_min=tuple(float(t) for t in tm) if tm is not None else None, source=tag))
    if problems is None:
        P.raise_if_errors()
    return tuple(lines)


def check_bus_stops(lines, facilities, file, problems: ProblemList) -> None:
    """Every bus line's stops are facility ids of facilities.csv, the first a county depot, the others
    county or township facilities (a bus drops parcels at stations, not at village points).

    ``facilities``: the facilities table (columns ``id``, ``tier``).
    """
    tier = dict(zip(facilities["id"].astype(str), facilities["tier"].astype(str)))
    for ln in lines:
        col = f"{ln.source}.stops"
        for k, s in enumerate(ln.stops):
            if s not in tier:
                problems.error(file, f"[[bus_line]] {ln.id}: stop {s!r} is not a facility id in facilities.csv"
                                     f"{did_you_mean(s, list(tier))}", column=col,
                               hint="use the id column of facilities.csv")
            elif k == 0 and tier[s] != "county":
                problems.error(file, f"[[bus_line]] {ln.id}: the first stop must be a county depot (tier = county), "
                                     f"{s!r} is tier {tier[s]}", column=col,
                               hint="list the county depot where the parcels board first")
            elif k > 0 and tier[s] not in ("township", "county"):
                problems.error(file, f"[[bus_line]] {ln.id}: stop {s!r} is tier {tier[s]}; a bus drops parcels at "
                                     f"township stations", column=col,
                               hint="list the township stations the bus calls at")
