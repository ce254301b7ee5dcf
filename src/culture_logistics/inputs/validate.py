"""Checks that need the whole scenario: county boundary, division codes, reachability.

The per-table checks (columns, numbers, duplicates, coordinates in China) live in
:mod:`culture_logistics.inputs.tables` and :mod:`culture_logistics.inputs.readers`; these run after every table
has been read (from files, or from frames by :meth:`~culture_logistics.inputs.scenario.Scenario.from_frames`).
"""
from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from culture_logistics.errors import ProblemList
from culture_logistics.geo.divisions import townships as division_townships
from culture_logistics.geo.divisions import villages as division_villages
from culture_logistics.inputs.offset import CRS_NAMES, offset_check, road_segments
from culture_logistics.network.roads import RoadNetwork

FAR_OUTSIDE_M = 5000.0  # a point this far beyond the county boundary is an error


def _outside(scenario, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance (m) of each point beyond the county boundary (0 inside; NaN when no boundary)."""
    if scenario.boundary is None or len(lon) == 0:
        return np.full(len(lon), np.nan)

    crs = scenario.metric_crs
    b = gpd.GeoSeries([scenario.boundary], crs="EPSG:4326").to_crs(crs).iloc[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # swapped lon/lat project to inf
        pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs)
        d = pts.distance(b).to_numpy()
    return np.where(np.isfinite(d), d, 1e12)


def _check_points_in_county(scenario, frame, file, problems: ProblemList, what: str, label) -> None:
    far = _outside(scenario, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    if np.all(np.isnan(far)):
        return
    swapped = _outside(scenario, frame["lat"].to_numpy(), frame["lon"].to_numpy())
    src = "boundary" if scenario.boundary_source == "geotool-cn" else "bounding box"
    for i in np.flatnonzero(far > FAR_OUTSIDE_M):
        r = frame.iloc[i]
        hint = ("lon and lat look swapped: swap the two values" if swapped[i] <= FAR_OUTSIDE_M else
                "check the coordinate; if it came from Amap/Gaode set crs = \"gcj02\" in [county], from Baidu "
                "crs = \"bd09\"; "
                "or check [county] adcode")
        problems.error(file, f"{what} {label(r)} at ({r['lon']:.5f}, {r['lat']:.5f}) is {far[i] / 1000:.1f} km "
                       f"outside the county {src} of {scenario.adcode} {scenario.name}",
                       row=int(r["src_row"]), column="lon", hint=hint)


def check_scenario(scenario, problems: ProblemList, *, villages_file, facilities_file, townships=None,
                   roads_file=None, destinations_file=None, delivery_days_per_week: int = 7) -> None:
    """Cross-file checks; fills ``scenario.villages['township_name']`` and ``scenario.townships``.

    With ``scenario.destinations``: each destination's village code must be a village of villages.csv, its id no
    village code, its days delivery days (1…``delivery_days_per_week``), its point inside the county.
    """

    v = scenario.villages
    f = scenario.facilities
    # ---- division codes
    allow_unknown = bool(scenario.section("validation").get("allow_unknown_codes", False))
    known_v = division_villages(scenario.adcode)
    known_codes = set(known_v["code"]) if known_v is not None and len(known_v) else set()
    for r in v.itertuples():
        if not r.code.startswith(scenario.adcode):
            problems.error(villages_file, f"village code {r.code} is not in county {scenario.adcode} "
                           f"(its first 6 digits are {r.code[:6]})", row=int(r.src_row), column="code",
                           hint="remove the row, or correct [county] adcode in scenario.toml")
        elif known_codes and r.code not in known_codes and not allow_unknown:
            problems.error(villages_file, f"village code {r.code} does not exist in the division list of "
                           f"{scenario.adcode} (NBS 2023)", row=int(r.src_row), column="code",
                           hint="check the code; if it is newer than 2023 set allow_unknown_codes = true "
                                "under [validation] in scenario.toml")
    # ---- township names: townships.csv first, then the division lists, else the code itself
    names: dict[str, str] = {}
    kt = division_townships(scenario.adcode)
    if kt is not None and len(kt):
        names.update(dict(zip(kt["code"], kt["name"])))
    if townships is not None:
        names.update({c: n for c, n in zip(townships["code"], townships["name"]) if n})
    v["township_name"] = [names.get(c, c) for c in v["township_code"]]
    tw = pd.DataFrame({"code": sorted(v["township_code"].unique())})
    tw["name"] = [names.get(c, c) for c in tw["code"]]
    if townships is not None and {"lon", "lat"} <= set(townships.columns):
        xy = townships.set_index("code")[["lon", "lat"]]
        tw = tw.join(xy, on="code")
    scenario.townships = tw
    # ---- populations: a county where nobody lives is not a plan anyone can use
    pop = pd.to_numeric(v["population"], errors="coerce")
    if len(v) and not (pop > 0).any():
        problems.warning(villages_file, f"every village's population is missing or 0 ({len(v):,} villages): "
                         "coverage counts no people (population reach is undefined) and no parcels are derived "
                         "from population", column="population",
                         hint="fill the population column (常住人口 of each village)")
    # ---- inside the county
    _check_points_in_county(scenario, v, villages_file, problems, "village", lambda r: f"{r['code']} {r['name']}")
    _check_points_in_county(scenario, f, facilities_file, problems, "facility", lambda r: f"{r['id']} {r['name']}")
    if scenario.destinations is not None:
        check_destinations(scenario, problems, destinations_file, villages_file, delivery_days_per_week)
    # ---- the network: unreachable points are warnings (coverage reports them as unreachable)
    if scenario.graph is not None and not problems.errors:

        net = RoadNetwork.from_scenario(scenario)
        if not net.has_roads:
            problems.error(roads_file, "has no road edges", hint="the roads file must hold line features")
            return
        for frame, file, what, key in ((v, villages_file, "village", "code"), (f, facilities_file, "facility", "id")):
            snap = net.snap(frame["lon"].to_numpy(), frame["lat"].to_numpy())
            for i in np.flatnonzero(~snap.on_network):
                r = frame.iloc[i]
                problems.warning(file, f"{what} {r[key]} {r['name']} cannot reach the road network's main component: "
                                 f"the nearest connected road node is {snap.access_m[i] / 1000:.1f} km away "
                                 f"(limit {net.max_access_m / 1000:.1f} km); it is treated as unreachable",
                                 row=int(r["src_row"]), column="lon",
                                 hint="add the road that serves it, or raise [network] max_access_m")
            for i in np.flatnonzero(snap.on_network & ~snap.nearest_any_main):
                r = frame.iloc[i]
                problems.warning(file, f"{what} {r[key]} {r['name']} sits next to a road fragment that is not "
                                 f"connected to the main network; it was joined to the main network instead "
                                 f"({snap.access_m[i]:.0f} m access leg)", row=int(r["src_row"]), column="lon",
                                 hint="connect that road fragment in the roads file")
    if scenario.graph is not None and not problems.errors:
        check_offsets(scenario, problems, ((v, villages_file, "villages"), (f, facilities_file, "facilities")))
    if not (f["tier"] == "county").any():
        problems.warning(facilities_file, "no county-tier facility (county hub)",
                         hint="routing needs a county co-delivery centre: add a row with tier = county")


def check_destinations(scenario, problems: ProblemList, destinations_file, villages_file,
                       delivery_days_per_week: int) -> None:
    """The cross-file checks of ``scenario.destinations`` (see :func:`check_scenario`); fills its
    ``village_name`` and ``township_name``."""
    d = scenario.destinations
    v = scenario.villages
    names = dict(zip(v["code"], v["name"]))
    towns = dict(zip(v["code"], v["township_name"])) if "township_name" in v.columns else {}
    for r in d.itertuples():
        if r.village_code not in names:
            problems.error(destinations_file, f"village_code {r.village_code} of destination {r.id} {r.name} is not "
                           f"in {villages_file}", row=int(r.src_row), column="village_code",
                           hint="use the code of the village the destination is in, as villages.csv writes it")
        if r.id in names:
            problems.error(destinations_file, f"destination id {r.id} is also a village code", row=int(r.src_row),
                           column="id", hint="give the destination its own id (e.g. D01)")
        late = [x for x in r.days if x > int(delivery_days_per_week)]
        if late:
            problems.error(destinations_file, f"days {','.join(map(str, r.days))}: day {late[0]} is not a delivery "
                           f"day ([routing] delivery_days_per_week = {int(delivery_days_per_week)})",
                           row=int(r.src_row), column="days",
                           hint=f"use days 1–{int(delivery_days_per_week)}, or raise delivery_days_per_week")
    d["village_name"] = [names.get(c, "") for c in d["village_code"]]
    d["township_name"] = [towns.get(c, c[:9]) for c in d["village_code"]]
    _check_points_in_county(scenario, d, destinations_file, problems, "destination",
                            lambda r: f"{r['id']} {r['name']}")


def check_offsets(scenario, problems: ProblemList, tables) -> None:
    """A warning for each table whose points sit off the roads by the GCJ-02 or BD-09 shift.

    ``tables`` holds (frame with lon/lat in WGS-84, file for the message, what: "villages" …).  See
    :mod:`culture_logistics.inputs.offset`.
    """
    crs = scenario.metric_crs
    segments = road_segments(scenario.graph, Transformer.from_crs("EPSG:4326", crs, always_xy=True))
    declared = scenario.input_crs
    for frame, file, what in tables:
        found = offset_check(scenario.graph, frame["lon"].to_numpy(), frame["lat"].to_numpy(), declared, crs,
                             segments=segments)
        if found is None:
            continue
        likely = CRS_NAMES[found.likely_crs]
        problems.warning(
            file, f"the {what} sit a median {found.median_m:,.0f} m from the nearest road; read as {likely} "
            f"coordinates they would sit {found.likely_median_m:,.0f} m from it: their coordinates are probably "
            f"{likely}, not {CRS_NAMES[declared]} as [county] crs = \"{declared}\" declares",
            column="lon", hint=f"if every input (the roads too) is {likely}, set crs = \"{found.likely_crs}\" in "
            "[county]; if only this list is, convert its lon/lat to the roads' system before loading")
