"""OSM road runs as a line layer (the scenario's ``roads.gpkg``) and as a routable graph.

Columns: ``osm_way_id, part`` (the run of known nodes, 0 for a whole way), ``road_class``
(the OSM ``highway`` value), ``maxspeed`` (km/h; ``mph`` converted; empty when OSM has
none or a zone word such as ``CN:urban``, the class's typical speed then applies),
``name``, ``ref``, ``oneway``.  Geometry: LineString, WGS-84 lon/lat (EPSG:4326).
Consecutive runs of a way share OSM nodes with their neighbours, so
:func:`culture_logistics.network.readers.graph_from_lines` joins them exactly as OSM does.
"""
from __future__ import annotations

import re

import geopandas as gpd
import networkx as nx
from shapely.geometry import LineString

from culture_logistics.config.model import NetworkParams
from culture_logistics.network.readers import graph_from_lines

_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)

COLUMNS = ["osm_way_id", "part", "road_class", "maxspeed", "name", "ref", "oneway"]


def parse_maxspeed(value: str) -> float | None:
    """OSM ``maxspeed`` in km/h (``"60"`` → 60, ``"30 mph"`` → 48.28), or ``None`` when not a number."""
    if not value:
        return None
    m = _SPEED.match(str(value).split(";")[0])
    if not m:
        return None
    v = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
    return round(v, 2) if v > 0 else None


def roads_frame(roads: list[dict]) -> gpd.GeoDataFrame:
    """The road runs of an :class:`~culture_logistics.inputs.osm.reader.Extract` as a GeoDataFrame (EPSG:4326)."""
    rows = [{"osm_way_id": r["way_id"], "part": r["part"], "road_class": r["highway"],
             "maxspeed": parse_maxspeed(r["maxspeed"]), "name": r["name"], "ref": r["ref"],
             "oneway": bool(r["oneway"])} for r in roads]
    geoms = [LineString(r["coords"]) for r in roads]
    gdf = gpd.GeoDataFrame(rows, columns=COLUMNS, geometry=geoms, crs="EPSG:4326")
    return gdf.sort_values(["osm_way_id", "part"], kind="stable").reset_index(drop=True)


def roads_graph(roads: list[dict], network: NetworkParams = NetworkParams()) -> nx.MultiDiGraph:
    """A routable graph (osmnx-style; ``length`` m, ``travel_time`` s) of the road runs."""
    return graph_from_lines(roads_frame(roads), network)
