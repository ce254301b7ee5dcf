"""The Scenario: one county's checked inputs and parameters.

A scenario is described by a ``scenario.toml`` that names its input files
(see README.md, "Input files").  :func:`load_scenario` reads and checks all of
them and returns a :class:`Scenario`; every problem found is collected and
raised together as one :class:`~culture_logistics.errors.ScenarioError`.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from culture_logistics.config.bus import check_bus_stops
from culture_logistics.config.model import CoverageParams, NetworkParams
from culture_logistics.config.routing import RoutingParams, parse_routing_config
from culture_logistics.config.schema import CheckedConfig, check_config, default
from culture_logistics.config.siting import SitingParams, parse_siting_config
from culture_logistics.errors import CultureLogisticsError, Problem, ProblemList
from culture_logistics.geo.boundary import county_extent
from culture_logistics.geo.coords import utm_crs
from culture_logistics.geo.divisions import county_name
from culture_logistics.inputs import readers as _readers
from culture_logistics.inputs import roads as _roads
from culture_logistics.inputs.frames import frame_table, lines_frame
from culture_logistics.inputs.validate import check_scenario
from culture_logistics.network.roads import graph_summary

MAX_TOML_BYTES = 1_000_000


@dataclass
class Scenario:
    """A loaded and checked county scenario.

    Attributes
    ----------
    path : the scenario.toml (``None`` for a scenario built in memory).
    adcode, name : the county's 6-digit division code and Chinese name.
    villages : GeoDataFrame in EPSG:4326 with columns code, name, township_code,
        township_name, population, parcels_in_per_week, parcels_out_per_week (cultural parcels),
        other_in_per_week, other_out_per_week (every other express parcel the same vans carry),
        lon, lat, geometry; sorted by code.  Every flow is already multiplied by ``demand_scale``.
    facilities : GeoDataFrame in EPSG:4326 with columns id, name, operator, tier,
        brand, capacity_per_day (NaN = unlimited), lon, lat, geometry; sorted by id.
    townships : DataFrame code, name (and lon, lat where known).
    graph : the road network as an osmnx-style ``networkx.MultiDiGraph`` (node
        attributes x, y in lon/lat; edge attributes ``length`` in m and
        ``travel_time`` in s), or ``None`` when no roads were given.
    boundary : the county boundary (shapely, EPSG:4326) or ``None``.
    destinations : the optional cultural destinations (``[inputs] destinations``): GeoDataFrame with columns id,
        name, kind, village_code, township_code, in_per_week, out_per_week (cultural parcels, already multiplied
        by ``demand_scale``), days (tuple of weekdays, ``()`` = any), lon, lat, geometry; sorted by id; or ``None``.
    """

    adcode: str
    name: str
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: pd.DataFrame
    graph: nx.MultiDiGraph | None = None
    boundary: Any = None
    boundary_source: str = "none"
    path: Path | None = None
    input_crs: str = "wgs84"
    network: NetworkParams = field(default_factory=NetworkParams)
    coverage: CoverageParams = field(default_factory=CoverageParams)
    config: dict = field(default_factory=dict)
    siting_params: SitingParams | None = None
    routing_params: RoutingParams | None = None
    warnings: list[Problem] = field(default_factory=list)
    synthetic: bool = False
    data_note: str = ""
    demand_scale: float = 1.0       # [demand] scale (or route --demand-scale): already applied to the villages' flows
    peak_scale: float = 2.0         # [demand] peak_scale
    destinations: gpd.GeoDataFrame | None = None   # [inputs] destinations (see the class docstring)

    @property
    def metric_crs(self):
        """The UTM CRS (metres) used for all distance work in this county."""

        b = self.villages.total_bounds if len(self.villages) else self.facilities.total_bounds
        return utm_crs((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)

    @classmethod
    def from_frames(cls, villages, facilities, roads=None, config: dict | None = None, townships=None,
                    destinations=None) -> Scenario:
        """A scenario from in-memory tables, checked exactly as :func:`load_scenario` checks its files.

        Parameters
        ----------
        villages, facilities : pandas DataFrames with the columns of villages.csv and facilities.csv (the
            same Chinese header aliases and values accepted), or GeoDataFrames of points (``lon``/``lat``
            taken from the geometry when the columns are absent).
        roads : ``None`` (distances straight-line × ``[network] circuity``, as a scenario without a roads
            file) or a GeoDataFrame of LineString roads (any CRS; ``highway``/``maxspeed`` columns used as in a
            roads file).
        config : a dict shaped as scenario.toml's tables (``{"county": {"adcode": "370782"}, "coverage":
            {"radius_m": 3000}, "routing": {...}}``), checked against the same schema; without ``[county]
            adcode`` the county is the first 6 digits most village codes share.  No ``[inputs]``.
        townships : optional DataFrame with the columns of townships.csv.
        destinations : optional DataFrame with the columns of destinations.csv (cultural destinations).

        Raises
        ------
        ScenarioError
            listing every problem, each naming the frame (``"villages (DataFrame)"``), its row (by position,
            as ``frame.iloc[row]``) and column, and how to fix it.
        """
        return scenario_from_frames(villages, facilities, roads=roads, config=config, townships=townships,
                                    destinations=destinations)

    def section(self, name: str) -> dict:
        """The raw TOML table ``[name]`` (empty dict when absent)."""
        value = self.config.get(name, {})
        return value if isinstance(value, dict) else {}

    def summary(self) -> dict:
        """Counts for a one-screen overview (see ``culture-logistics validate``)."""

        fac = self.facilities
        by = (
            fac.groupby(["tier", "operator"]).size().rename("n").reset_index()
            if len(fac)
            else pd.DataFrame(columns=["tier", "operator", "n"])
        )
        per_tw = (
            self.villages.groupby(["township_code", "township_name"]).size().rename("villages").reset_index()
        )
        return {
            "adcode": self.adcode,
            "name": self.name,
            "villages": int(len(self.villages)),
            "population": int(self.villages["population"].sum()),
            "townships": int(self.villages["township_code"].nunique()),
            "facilities": int(len(fac)),
            "facilities_by_tier_operator": {
                f"{r.tier}/{r.operator}": int(r.n) for r in by.itertuples()
            },
            "villages_per_township": {
                f"{r.township_code} {r.township_name}": int(r.villages) for r in per_tw.itertuples()
            },
            "network": graph_summary(self.graph),
            "boundary_source": self.boundary_source,
            "synthetic": self.synthetic,
            "warnings": len(self.warnings),
        } | ({"destinations": int(len(self.destinations)),     # only with [inputs] destinations
              "destinations_by_kind": {str(k): int(n) for k, n in
                                       self.destinations["kind"].value_counts().sort_index().items()}}
             if self.destinations is not None else {})


def read_toml(path: Path, problems: ProblemList) -> dict | None:
    """Read a TOML file, recording a problem (with line and column) on failure."""
    try:
        if path.exists() and not path.is_file():
            problems.error(path, "is not a regular file", hint="name the scenario.toml file itself")
            return None
        if path.exists() and path.stat().st_size > MAX_TOML_BYTES:
            problems.error(path, f"is {path.stat().st_size:,} bytes; a scenario.toml is a few KB",
                           hint="name the scenario.toml, not a data file")
            return None
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.error(path, "file not found", hint="check the path; it is taken relative to the current folder")
        return None
    except OSError as exc:
        problems.error(path, f"cannot be read ({exc.strerror})")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            problems.error(path, "is not UTF-8 text", hint="save it as UTF-8")
            return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.error(path, f"is not valid TOML: {exc}",
                       hint="check quotes and brackets on that line; strings need double quotes")
        return None
    except RecursionError:
        problems.error(path, "is not valid TOML: nested too deeply", hint="a scenario.toml has flat tables")
        return None


def load_scenario(path: str | Path) -> Scenario:
    """Load, check and return the scenario a ``scenario.toml`` describes.

    Raises
    ------
    ScenarioError
        listing every problem found (file, row, column, how to fix it).
    """

    path = Path(path)
    problems = ProblemList()
    conf = read_toml(path, problems)
    problems.raise_if_errors()
    assert conf is not None
    base = path.parent

    params = _parameters(conf, path, problems)
    inputs, crs = params.inputs, params.crs
    problems.raise_if_errors()

    sheet = inputs.get("sheet")
    villages = _readers.read_villages(base / inputs["villages"], problems, crs=crs, sheet=sheet)
    facilities = _readers.read_facilities(base / inputs["facilities"], problems, crs=crs, sheet=sheet)
    if params.routing.bus_lines and facilities is not None:
        check_bus_stops(params.routing.bus_lines, facilities, path, problems)
    townships = (_readers.read_townships(base / inputs["townships"], problems, crs=crs, sheet=sheet)
                 if inputs.get("townships") else None)
    destinations = (_readers.read_destinations(base / inputs["destinations"], problems, crs=crs, sheet=sheet)
                    if inputs.get("destinations") else None)
    graph = None
    if inputs.get("roads"):
        graph = _roads.read_roads(base / inputs["roads"], problems, crs=crs, network=params.network)
    problems.raise_if_errors()
    return _assemble(params, problems, path, villages, facilities, townships, graph,
                     villages_file=villages.attrs.get("source", base / inputs["villages"]),
                     facilities_file=facilities.attrs.get("source", base / inputs["facilities"]),
                     roads_file=(base / inputs["roads"]) if inputs.get("roads") else None,
                     destinations=destinations)


@dataclass
class _Parameters:
    """The checked tables of a scenario's configuration (see :func:`_parameters`)."""

    conf: dict
    checked: CheckedConfig
    adcode: str
    crs: str
    inputs: dict
    network: NetworkParams
    coverage: CoverageParams
    siting: SitingParams
    routing: RoutingParams


def _parameters(conf: dict, file, problems: ProblemList) -> _Parameters:
    """Every table of ``conf`` checked against the schema; problems (naming ``file``) go to ``problems``."""
    checked = check_config(conf, file, problems)
    county = checked.values.get("county", {})
    network = NetworkParams(**checked.values.get("network", {}))
    coverage = CoverageParams(**checked.values.get("coverage", {}))
    siting_params = parse_siting_config(conf, file, problems)
    routing_params = parse_routing_config(conf, str(file), problems)
    adcode = str(county.get("adcode", "")).strip()
    if adcode and not (len(adcode) == 6 and adcode.isdigit()):
        problems.error(file, f"[county] adcode must be 6 digits, got {adcode!r}", column="county.adcode",
                       hint='write it as text: adcode = "370782"')
    crs = county.get("crs", default("county", "crs"))
    return _Parameters(conf, checked, adcode, crs, checked.values.get("inputs", {}), network, coverage,
                       siting_params, routing_params)


#: the villages' weekly flows: cultural parcels, then every other express parcel
FLOW_COLUMNS = ("parcels_in_per_week", "parcels_out_per_week", "other_in_per_week", "other_out_per_week")


#: the destinations' weekly flows (cultural parcels)
DESTINATION_FLOW_COLUMNS = ("in_per_week", "out_per_week")


def fill_other_flows(villages: pd.DataFrame, other_in_per_capita_week: float, other_out_per_capita_week: float
                     ) -> pd.DataFrame:
    """``villages`` with ``other_in_per_week`` / ``other_out_per_week`` filled where not given (missing column or
    NaN cell): ⌈population × per-capita rate⌉, as the cultural parcels' defaults."""
    out = villages.copy()
    pop = out["population"].to_numpy(float)
    for col, rate in (("other_in_per_week", other_in_per_capita_week),
                      ("other_out_per_week", other_out_per_capita_week)):
        given = out[col].to_numpy(float) if col in out.columns else np.full(len(out), np.nan)
        out[col] = np.where(np.isfinite(given), given, np.ceil(np.round(pop * float(rate), 9)))
    return out


def scale_demand_check(scale) -> None:
    """Refuse a demand scale that is not a finite number > 0 (:class:`CultureLogisticsError`)."""
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise CultureLogisticsError(f"--demand-scale must be a number > 0 (2 doubles every flow), got {scale!r}")


def scale_demand(scenario: Scenario, scale: float) -> Scenario:
    """A copy of ``scenario`` whose flows (cultural and other, in and out) are ``scale`` × the unscaled ones —
    ``scale`` replaces the scenario's ``demand_scale`` ([demand] scale; ``route --demand-scale``).

    Raises
    ------
    CultureLogisticsError
        ``scale`` is not a finite number > 0.
    """
    scale_demand_check(scale)
    if float(scale) == scenario.demand_scale:
        return scenario
    factor = float(scale) / scenario.demand_scale
    villages = scenario.villages.copy()
    for col in FLOW_COLUMNS:
        villages[col] = villages[col].to_numpy(float) * factor
    destinations = scenario.destinations
    if destinations is not None:
        destinations = destinations.copy()
        for col in DESTINATION_FLOW_COLUMNS:
            destinations[col] = destinations[col].to_numpy(float) * factor
    return dataclasses.replace(scenario, villages=villages, destinations=destinations, demand_scale=float(scale))


def _assemble(params: _Parameters, problems: ProblemList, path: Path | None, villages, facilities, townships, graph,
              *, villages_file, facilities_file, roads_file, destinations=None) -> Scenario:
    """The Scenario of checked tables, after the checks that need all of them (raise when any failed)."""
    boundary, boundary_source = county_extent(params.adcode)
    county = params.checked.values.get("county", {})
    demand = params.checked
    villages = fill_other_flows(villages, demand.get("demand", "other_in_per_capita_week"),
                                demand.get("demand", "other_out_per_capita_week"))
    scale = float(demand.get("demand", "scale"))
    if scale != 1.0:
        for col in FLOW_COLUMNS:
            villages[col] = villages[col].to_numpy(float) * scale
        if destinations is not None:
            for col in DESTINATION_FLOW_COLUMNS:
                destinations[col] = destinations[col].to_numpy(float) * scale
    scenario = Scenario(
        adcode=params.adcode, name=str(county.get("name") or county_name(params.adcode) or params.adcode),
        villages=villages, facilities=facilities,
        townships=pd.DataFrame(columns=["code", "name"]), graph=graph,
        boundary=boundary, boundary_source=boundary_source, path=path, input_crs=params.crs,
        network=params.network, coverage=params.coverage, config=params.conf,
        synthetic=params.checked.get("data", "synthetic"), data_note=params.checked.get("data", "note"),
        siting_params=params.siting, routing_params=params.routing,
        demand_scale=scale, peak_scale=float(demand.get("demand", "peak_scale")), destinations=destinations,
    )
    check_scenario(scenario, problems, villages_file=villages_file, facilities_file=facilities_file,
                   townships=townships, roads_file=roads_file,
                   destinations_file=None if destinations is None else destinations.attrs.get("source"),
                   delivery_days_per_week=params.routing.delivery_days_per_week)
    scenario.warnings = problems.warnings
    problems.raise_if_errors()
    return scenario


#: how :meth:`Scenario.from_frames` names its inputs in problems
FRAME_LABELS = {"villages": "villages (DataFrame)", "facilities": "facilities (DataFrame)",
                "destinations": "destinations (DataFrame)",
                "townships": "townships (DataFrame)", "roads": "roads (GeoDataFrame)", "config": "config (dict)"}


def scenario_from_frames(villages, facilities, roads=None, config: dict | None = None, townships=None,
                         destinations=None) -> Scenario:
    """A Scenario from in-memory tables, checked exactly as :func:`load_scenario` checks files.

    See :meth:`Scenario.from_frames`.
    """
    problems = ProblemList()
    where = FRAME_LABELS["config"]
    conf = copy.deepcopy(config) if config is not None else {}
    if not isinstance(conf, dict):
        raise CultureLogisticsError(f"{where}: expected a dict of scenario.toml's tables, got {type(conf).__name__}")
    if "inputs" in conf:
        problems.error(where, "[inputs] names files; from_frames takes the tables themselves", column="inputs",
                       hint="leave [inputs] out of the config")
    # the schema wants [inputs] and [county] adcode: the frames stand for the files, the villages' codes
    # give the county when the config does not
    checked_conf = dict(conf, inputs={"villages": FRAME_LABELS["villages"], "facilities": FRAME_LABELS["facilities"]})
    county = checked_conf.get("county")
    derive_adcode = county is None or (isinstance(county, dict) and "adcode" not in county)
    if derive_adcode:
        checked_conf["county"] = dict(county or {}, adcode="000000")
    params = _parameters(checked_conf, where, problems)
    problems.raise_if_errors()
    crs = params.crs

    frame_villages = _readers.read_villages(frame_table(villages, FRAME_LABELS["villages"]), problems, crs=crs)
    frame_facilities = _readers.read_facilities(frame_table(facilities, FRAME_LABELS["facilities"]), problems,
                                                crs=crs)
    if params.routing.bus_lines and frame_facilities is not None:
        check_bus_stops(params.routing.bus_lines, frame_facilities, where, problems)
    frame_townships = (_readers.read_townships(frame_table(townships, FRAME_LABELS["townships"]), problems, crs=crs)
                       if townships is not None else None)
    frame_destinations = (_readers.read_destinations(frame_table(destinations, FRAME_LABELS["destinations"]),
                                                     problems, crs=crs)
                          if destinations is not None else None)
    graph = None
    if roads is not None:
        graph = _roads.graph_from_lines_checked(lines_frame(roads, FRAME_LABELS["roads"]), FRAME_LABELS["roads"],
                                                problems, crs, params.network)
    problems.raise_if_errors()
    if derive_adcode:
        prefixes = frame_villages["code"].str[:6].value_counts()
        params.adcode = str(prefixes.index[0])
        params.checked.values["county"]["adcode"] = params.adcode
    params.conf = conf
    return _assemble(params, problems, None, frame_villages, frame_facilities, frame_townships, graph,
                     villages_file=FRAME_LABELS["villages"], facilities_file=FRAME_LABELS["facilities"],
                     roads_file=FRAME_LABELS["roads"] if roads is not None else None,
                     destinations=frame_destinations)
