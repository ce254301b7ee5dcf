"""The classic mistake: points in one coordinate system declared as another (Baidu or Amap points read as GPS).

GCJ-02 (Amap/Gaode, Tencent) lies a few hundred metres from WGS-84, BD-09 (Baidu) about 1-1.5 km; a
village list copied from Baidu Maps and declared WGS-84 puts every village that far off its roads, and
every distance the planner measures is wrong by as much.  :func:`offset_check` measures how far a file's
points sit from the nearest road (the median, so a few remote villages do not matter), then how far they
would sit if they were really in each of the other coordinate systems; when one of those brings them
much closer (to at most :data:`IMPROVEMENT` of the distance, and by at least :data:`MIN_GAIN_M`) the
points are most likely in that system.

The roads are taken as the reference: they are read in the declared system too, so the check finds
points whose system differs from the roads' (the common case: OSM roads in WGS-84, a list from Baidu).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer

from culture_logistics.geo.coords import INPUT_CRS, from_wgs84, to_wgs84

IMPROVEMENT = 0.5        # the shifted points' median distance must be at most this share of the given one


MIN_GAIN_M = 100.0       # … and at least this many metres smaller (metres)


MIN_POINTS = 5           # fewer points than this tell nothing systematic


CRS_NAMES = {"wgs84": "WGS-84 (GPS, OpenStreetMap)", "gcj02": "GCJ-02 (Amap/Gaode, Tencent)",
             "bd09": "BD-09 (Baidu Maps)"}


@dataclass(frozen=True)
class OffsetFinding:
    """The points are probably in ``likely_crs``, not in the declared one.

    Attributes
    ----------
    declared, likely_crs : ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.
    median_m : median distance of the points, as read, to the nearest road (m).
    likely_median_m : the same if the points were in ``likely_crs`` (m).
    n_points : how many points were measured.
    """

    declared: str
    likely_crs: str
    median_m: float
    likely_median_m: float
    n_points: int


def road_segments(graph: nx.MultiDiGraph, transformer: Transformer) -> np.ndarray:
    """Every road edge as a shapely line in the transformer's metric CRS (each direction once)."""
    xs = dict(graph.nodes(data="x"))
    ys = dict(graph.nodes(data="y"))
    seen, lines = set(), []
    for u, v, d in graph.edges(data=True):
        key = (min(u, v), max(u, v))
        if key in seen:
            continue
        seen.add(key)
        geom = d.get("geometry")
        if geom is not None:
            lines.append(np.asarray(geom.coords)[:, :2])
        else:
            lines.append(np.array([[xs[u], ys[u]], [xs[v], ys[v]]], dtype=float))
    out = []
    for c in lines:
        x, y = transformer.transform(c[:, 0], c[:, 1])
        out.append(shapely.linestrings(np.column_stack([x, y])))
    return np.asarray(out, dtype=object)


def _median_distance(tree: shapely.STRtree, segments, transformer: Transformer, lon, lat) -> float:
    x, y = transformer.transform(lon, lat)
    pts = shapely.points(np.column_stack([x, y]))
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    return float(np.median(dist))


def offset_check(graph: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray, declared: str, metric_crs,
                 segments=None) -> OffsetFinding | None:
    """Whether points (WGS-84, as converted from ``declared``) look as if they were in another system.

    Parameters
    ----------
    graph : the road network (node x/y in WGS-84 lon/lat).
    lon, lat : the points' WGS-84 degrees, as read and converted from ``declared``.
    declared : the declared ``[county] crs``.
    metric_crs : a metric CRS for the county (distances in metres).
    segments : :func:`road_segments` of ``graph`` (computed when not given).

    Returns
    -------
    OffsetFinding or None
        ``None`` when the points sit where they should (or there are too few points or no roads).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.sum() < MIN_POINTS or graph is None or graph.number_of_edges() == 0:
        return None
    lon, lat = lon[ok], lat[ok]
    transformer = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    if segments is None:
        segments = road_segments(graph, transformer)
    tree = shapely.STRtree(segments)
    given = _median_distance(tree, segments, transformer, lon, lat)
    # the file's own numbers, before the declared conversion
    raw_lon, raw_lat = from_wgs84(lon, lat, declared)
    best = None
    for other in INPUT_CRS:
        if other == declared:
            continue
        x, y = to_wgs84(raw_lon, raw_lat, other)
        d = _median_distance(tree, segments, transformer, x, y)
        if best is None or d < best[1]:
            best = (other, d)
    if best is None:
        return None
    other, d = best
    if d <= IMPROVEMENT * given and given - d >= MIN_GAIN_M:
        return OffsetFinding(declared, other, given, d, int(ok.sum()))
    return None
