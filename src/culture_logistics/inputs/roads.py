"""Reading a user's road file (GeoJSON/GPKG/SHP lines, OSM XML, GraphML) into the road graph, every problem recorded.
"""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from culture_logistics.config.model import (
    NetworkParams,
)
from culture_logistics.errors import ProblemList
from culture_logistics.geo.coords import to_wgs84
from culture_logistics.inputs.readers import CHINA_LAT, CHINA_LON
from culture_logistics.inputs.tables import regular_file_size, short_text
from culture_logistics.network import readers as _readers
from culture_logistics.network.safe_gis import (
    UnsafeFileError,
    check_driver,
    check_gis_content,
    check_xml_prolog,
    network_off,
)

MAX_ROAD_BYTES = 500_000_000       # a county's roads are a few MB to a few tens of MB


MAX_ROAD_FEATURES = 2_000_000


def read_roads(path: Path, problems: ProblemList, crs: str = "wgs84", network: NetworkParams = NetworkParams()):
    """Read the road network into an osmnx-style MultiDiGraph (lon/lat nodes, length m, travel_time s).

    Accepts a line layer geopandas can read (.geojson, .json, .gpkg, .shp), an OSM XML file (.osm),
    or a GraphML file saved by osmnx (.graphml).
    """

    path = Path(path)
    size = regular_file_size(path, problems, "road file", "check [inputs] roads in scenario.toml (relative to the TOML)")
    if size is None:
        return None
    if size > MAX_ROAD_BYTES:
        problems.error(path, f"is {size / 1e6:,.0f} MB, far larger than a county's roads "
                       f"(limit {MAX_ROAD_BYTES / 1e6:,.0f} MB)",
                       hint="clip the roads to the county (e.g. with ogr2ogr -clipsrc or QGIS) before using them")
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".osm" or path.name.lower().endswith(".osm.xml"):
            check_xml_prolog(path)
            if not check_osm_nodes(path, problems):
                return None
            return check_graph(_readers.graph_from_osm_xml(path, network), path, problems)
        if suffix == ".graphml":
            check_xml_prolog(path)
            return check_graph(_readers.graph_from_graphml(path, network), path, problems)
        if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb"):
            fmt = check_gis_content(path)  # whitelist by content: no VRT, no CRS link, no /vsi source
            network_off()
            try:
                check_driver(path, fmt)
                n_features = _feature_count(path)
                if n_features is not None and n_features > MAX_ROAD_FEATURES:
                    problems.error(path, f"has {n_features:,} features, far more than a county's roads "
                                   f"(limit {MAX_ROAD_FEATURES:,})",
                                   hint="clip the roads to the county before using them")
                    return None
                gdf = gpd.read_file(path)
            except UnsafeFileError:
                raise
            except Exception as exc:  # pyogrio raises several types for unreadable files
                problems.error(path, f"cannot be read as a GIS layer: {short_text(str(exc), 200)}",
                               hint="export the roads as GeoJSON (EPSG:4326) line features")
                return None
            return graph_from_lines_checked(gdf, path, problems, crs, network)
    except (_readers.RoadFileError, UnsafeFileError) as exc:
        problems.error(path, str(exc), hint=exc.hint)
        return None
    except Exception as exc:  # osmnx / XML parser errors on a broken file
        problems.error(path, f"cannot be read as a road network: {type(exc).__name__}: {short_text(str(exc), 200)}",
                       hint="check that the file is complete and of the type its extension says")
        return None
    problems.error(path, f"unsupported road file type '{suffix}'",
                   hint="use .geojson, .gpkg, .shp (line layers), .osm (OSM XML) or .graphml (osmnx)")
    return None


#: at most this many bad nodes / edges are named in one problem
MAX_NAMED = 10


def _named(items: list) -> str:
    shown = ", ".join(short_text(i, 40) for i in items[:MAX_NAMED])
    return shown + (f" and {len(items) - MAX_NAMED:,} more" if len(items) > MAX_NAMED else "")


def check_osm_nodes(path: Path, problems: ProblemList) -> bool:
    """One streaming pass over an OSM XML file's ``<node>`` elements: every ``lon``/``lat`` a finite number in
    China (osmnx drops a node it cannot place, and the way then fails without naming it).  ``False`` with a
    problem per field naming the node ids when any is not."""
    import xml.etree.ElementTree as ET  # expat: no external entity is fetched; the prolog was checked

    bad: dict[str, list] = {"lon": [], "lat": []}
    for _, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "node":
            for field, (lo, hi) in (("lon", CHINA_LON), ("lat", CHINA_LAT)):
                raw = elem.get(field)
                try:
                    v = float(raw)
                except (TypeError, ValueError):
                    v = math.nan
                if not (math.isfinite(v) and lo <= v <= hi):
                    bad[field].append(f"{elem.get('id')} ({raw})")
        if elem.tag in ("node", "way", "relation"):
            elem.clear()
    for field, rng in (("lon", "73–136"), ("lat", "3–54")):
        if bad[field]:
            problems.error(path, f"node(s) {_named(bad[field])}: '{field}' is not a finite number in China ({rng})",
                           column=field, hint="roads must be WGS-84 lon/lat degrees inside the county; a node at "
                                              "(0, 0) is a missing coordinate")
    return not (bad["lon"] or bad["lat"])


def check_graph(G, path: Path, problems: ProblemList):
    """The graph of an .osm or .graphml road file when every node is a finite lon/lat in China (the rule of the
    tables' coordinates) and every edge's ``length`` (m) and ``travel_time`` (s) is a finite number ≥ 0;
    else ``None`` with one problem per kind of fault naming the file, the node or edge ids and the field."""
    n_before = len(problems.errors)
    bad_nodes: dict[str, list] = {"x": [], "y": []}
    for n, d in G.nodes(data=True):
        for field, (lo, hi) in (("x", CHINA_LON), ("y", CHINA_LAT)):
            try:
                v = float(d.get(field))
            except (TypeError, ValueError):
                v = math.nan
            if not (math.isfinite(v) and lo <= v <= hi):
                bad_nodes[field].append(f"{n} ({d.get(field)})")
    for field, what, rng in (("x", "lon", "73–136"), ("y", "lat", "3–54")):
        if bad_nodes[field]:
            problems.error(path, f"node(s) {_named(bad_nodes[field])}: {what} ('{field}') is not a finite number "
                           f"in China ({rng})", column=field,
                           hint="roads must be WGS-84 lon/lat degrees inside the county; a node at (0, 0) is a "
                                "missing coordinate")
    for field in ("length", "travel_time"):
        bad = []
        for u, v, k, d in G.edges(keys=True, data=True):
            if field not in d:
                continue
            try:
                x = float(d[field])
            except (TypeError, ValueError):
                x = math.nan
            if not (math.isfinite(x) and x >= 0):
                bad.append(f"{u}→{v} ({short_text(d[field], 20)})")
        if bad:
            problems.error(path, f"edge(s) {_named(bad)}: '{field}' is not a finite number ≥ 0", column=field,
                           hint=f"fix or remove the '{field}' values (metres for length, seconds for travel_time), "
                                "or save the graph again with osmnx")
            break  # a bad length makes a bad travel time: one problem
    return None if len(problems.errors) > n_before else G


def _feature_count(path: Path) -> int | None:
    """Number of features of a GIS layer without reading it (None when the driver cannot tell)."""
    try:

        n = pyogrio.read_info(path).get("features")
    except Exception:  # unreadable: gpd.read_file reports it
        return None
    return int(n) if n is not None and n >= 0 else None


def graph_from_lines_checked(gdf: gpd.GeoDataFrame, path, problems: ProblemList, crs: str, network: NetworkParams):

    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    gtypes = gdf.geometry.geom_type if len(gdf) else pd.Series([], dtype=str)
    lines = gdf[gtypes.isin(["LineString", "MultiLineString"]).values]
    if lines.empty:
        kinds = ", ".join(sorted(set(gtypes.dropna()))) or "no features"
        problems.error(path, f"has no line geometries (found: {kinds})",
                       hint="the roads file must hold LineString features, one per road segment")
        return None
    skipped = len(gdf) - len(lines)
    if skipped:
        problems.warning(path, f"{skipped} non-line feature(s) ignored")
    # every vertex a finite lon/lat in China (NaN, inf or 1e308 would poison every distance)
    xy, owner = shapely.get_coordinates(lines.geometry.values, return_index=True)
    if len(xy):
        x, y = xy[:, 0], xy[:, 1]
        good = (np.isfinite(x) & np.isfinite(y) & (x >= CHINA_LON[0]) & (x <= CHINA_LON[1])
                & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1]))
        bad = np.flatnonzero(~good)
        if len(bad):
            feats = sorted(set(int(owner[i]) for i in bad))
            i = bad[0]
            shown = ", ".join(str(f) for f in feats[:10]) + (f" and {len(feats) - 10} more" if len(feats) > 10 else "")
            problems.error(path, f"{len(bad):,} vertex/vertices of feature(s) {shown} are not finite lon/lat in "
                           f"China (e.g. ({x[i]:g}, {y[i]:g}))",
                           hint="roads must be WGS-84 (EPSG:4326), GCJ-02 or BD-09 lon/lat degrees; lon 73–136, lat 3–54")
            return None
    if "maxspeed" in lines.columns:
        for i, (v, row) in enumerate(zip(lines["maxspeed"], range(len(lines)))):
            if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                continue
            try:
                s = float(str(v).split()[0].split(";")[0])
                if not math.isfinite(s) or s <= 0:
                    raise ValueError
            except ValueError:
                problems.error(path, f"maxspeed '{short_text(v)}' of feature {row} is not a positive number (km/h)",
                               row=row, column="maxspeed", hint="leave it empty to use the road class's speed")
    if problems.errors:
        return None
    if crs != "wgs84":  # GCJ-02 / BD-09 lines: every vertex converted to WGS-84 before the graph is built
        lines = lines.set_geometry(shapely.transform(lines.geometry.values,
                                                     lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs))))
    return _readers.graph_from_lines(lines, network)
