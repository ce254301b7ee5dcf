"""Road geometry to an osmnx-style graph: line layers, OSM XML (osmnx), GraphML; lengths geodesic (m), travel times (s).
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Geod

from culture_logistics.config.model import ROAD_SPEEDS_KMH, NetworkParams
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.geo.coords import gcj02_to_wgs84
from culture_logistics.network.safe_gis import check_xml_prolog


class RoadFileError(CultureLogisticsError):
    """A road file that can be read but holds no usable network."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _speed_for(road_class, maxspeed, network: NetworkParams) -> float:

    if maxspeed is not None and maxspeed == maxspeed and str(maxspeed).strip() != "":
        try:
            v = float(str(maxspeed).split()[0].split(";")[0])
            if v > 0:
                return v
        except ValueError:
            pass
    if isinstance(road_class, list):
        road_class = road_class[0] if road_class else None
    return float(ROAD_SPEEDS_KMH.get(str(road_class), network.default_speed_kmh))


def graph_from_lines(lines, network: NetworkParams = NetworkParams(), gcj02: bool = False) -> nx.MultiDiGraph:
    """Build a two-way road graph from a line GeoDataFrame in EPSG:4326.

    Every vertex becomes a node; lines connect where they share a vertex
    (coordinates equal after rounding to 1e-7°).  Edge ``length`` is the
    geodesic length on the WGS-84 ellipsoid (m); ``travel_time`` (s) uses ``maxspeed`` (km/h), else the
    typical speed of ``road_class``/``highway``, else ``default_speed_kmh``.
    """


    class_col = "road_class" if "road_class" in lines.columns else ("highway" if "highway" in lines.columns else None)
    xs: list[float] = []
    ys: list[float] = []
    parts: list = []
    for i, geom in enumerate(lines.geometry.values):
        if geom is None or geom.is_empty:
            continue
        segs = geom.geoms if geom.geom_type == "MultiLineString" else [geom]
        for seg in segs:
            c = np.asarray(seg.coords)[:, :2]
            if len(c) < 2:
                continue
            parts.append((i, len(xs), len(c)))
            xs.extend(c[:, 0])
            ys.extend(c[:, 1])
    if not parts:
        raise RoadFileError("has no line geometries with at least two points",
                            hint="each road must be a LineString of two or more vertices")
    lon = np.asarray(xs, dtype=float)
    lat = np.asarray(ys, dtype=float)
    if gcj02:
        lon, lat = gcj02_to_wgs84(lon, lat)
    # edge lengths are geodesic (WGS-84 ellipsoid), as osmnx measures them
    seg_len = np.zeros(len(lon))
    if len(lon) > 1:
        _, _, seg_len[:-1] = Geod(ellps="WGS84").inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    keys = np.round(lon, 7) + 1j * np.round(lat, 7)
    uniq, node_of = np.unique(keys, return_inverse=True)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for k, key in enumerate(uniq):
        G.add_node(int(k), x=float(key.real), y=float(key.imag))
    classes = lines[class_col].tolist() if class_col else [None] * len(lines)
    speeds = lines["maxspeed"].tolist() if "maxspeed" in lines.columns else [None] * len(lines)
    names = lines["name"].tolist() if "name" in lines.columns else [None] * len(lines)
    oneway = lines["oneway"].tolist() if "oneway" in lines.columns else [False] * len(lines)
    for i, start, n in parts:
        kph = _speed_for(classes[i], speeds[i], network)
        hw = classes[i] if classes[i] is not None and classes[i] == classes[i] else "unclassified"
        nm = names[i] if isinstance(names[i], str) else ""
        one = str(oneway[i]).lower() in ("true", "yes", "1")
        for j in range(start, start + n - 1):
            u, v = int(node_of[j]), int(node_of[j + 1])
            if u == v:
                continue
            length = float(seg_len[j])
            attrs = dict(length=length, travel_time=length / (kph / 3.6), speed_kph=kph, highway=hw, name=nm)
            G.add_edge(u, v, **attrs)
            if not one:
                G.add_edge(v, u, **attrs)
    return G


def graph_from_osm_xml(path: Path, network: NetworkParams = NetworkParams()) -> nx.MultiDiGraph:
    """Read an OSM XML file with osmnx (all ways with a ``highway`` tag), adding speeds and travel times.

    Raises :class:`~culture_logistics.network.safe_gis.UnsafeFileError` for a file with a DTD."""

    import osmnx as ox  # lazy: osmnx (+ sklearn, matplotlib) costs ~2 s of import and only this reader needs it

    check_xml_prolog(path)  # no DTD: no entity is ever declared, fetched or expanded
    try:
        # not simplified: every OSM node stays a node, so points snap to the road where they are
        G = ox.graph_from_xml(path, simplify=False, retain_all=True, bidirectional=False)
    except ValueError as exc:
        raise RoadFileError(f"holds no usable road network ({exc})",
                            hint="the OSM file needs ways tagged highway=* with their nodes") from exc
    if G.number_of_edges() == 0:
        raise RoadFileError("holds no roads", hint="the OSM file needs ways tagged highway=*")
    return _add_speeds(G, network)


def graph_from_graphml(path: Path, network: NetworkParams = NetworkParams()) -> nx.MultiDiGraph:
    """Read a GraphML file saved by ``osmnx.save_graphml`` (adds travel times when missing)."""

    import osmnx as ox  # lazy: osmnx (+ sklearn, matplotlib) costs ~2 s of import and only this reader needs it

    check_xml_prolog(path)  # no DTD: no entity is ever declared, fetched or expanded
    G = ox.load_graphml(path)
    if G.number_of_edges() == 0:
        raise RoadFileError("holds no edges", hint="save a graph with roads in it (osmnx.save_graphml)")
    crs = G.graph.get("crs", "epsg:4326")
    if str(crs).lower() not in ("epsg:4326", "wgs84", "+init=epsg:4326"):
        G = ox.project_graph(G, to_latlong=True)
    if any("length" not in d for _, _, d in G.edges(data=True)):
        G = ox.distance.add_edge_lengths(G)
    if any("travel_time" not in d for _, _, d in G.edges(data=True)):
        G = _add_speeds(G, network)
    return G


def _add_speeds(G: nx.MultiDiGraph, network: NetworkParams) -> nx.MultiDiGraph:
    for _, _, d in G.edges(data=True):
        d["speed_kph"] = _speed_for(d.get("highway"), d.get("maxspeed"), network)
        d["travel_time"] = float(d["length"]) / (d["speed_kph"] / 3.6)
    return G
