"""Approximate township areas: the union of each township's village Voronoi cells, clipped to the county.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from culture_logistics.geo.coords import utm_crs

COORD_DECIMALS = 5  # 1e-5 degree ≈ 1.1 m: the precision of every map coordinate


# ---------------------------------------------------------------------------------- township areas
def township_areas(villages, boundary=None, metric_crs=None, simplify_m: float = 40.0):
    """Approximate township areas: Voronoi cells of the villages, merged by township, clipped to the county.

    There are no township polygons in the data (only codes, names and seats), so a choropleth needs
    an approximation: every place belongs to the township of its nearest village (straight line).

    Parameters
    ----------
    villages : DataFrame with lon, lat (WGS-84), township_code, township_name.
    boundary : shapely (Multi)Polygon in WGS-84 to clip to; when ``None`` (or when villages lie
        outside it) the convex hull of the villages buffered by 2 km is used as well.
    metric_crs : CRS in metres for the construction (default: the UTM zone of the villages).
    simplify_m : simplification tolerance (m).

    Returns
    -------
    GeoDataFrame (EPSG:4326): township_code, township_name, area_km2, geometry; sorted by code.
    """


    lon = np.asarray(villages["lon"], dtype=float)
    lat = np.asarray(villages["lat"], dtype=float)
    if len(lon) == 0:
        return gpd.GeoDataFrame({"township_code": [], "township_name": [], "area_km2": []},
                                geometry=[], crs="EPSG:4326")
    crs = metric_crs or utm_crs(float(np.median(lon)), float(np.median(lat)))
    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_m.transform(lon, lat)
    pts = shapely.points(x, y)
    hull = shapely.buffer(shapely.convex_hull(shapely.multipoints(pts)), 2000.0)
    if boundary is not None and not boundary.is_empty:
        clip = shapely.transform(boundary, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
        clip = shapely.make_valid(clip)
        inside = shapely.contains(shapely.buffer(clip, 500.0), pts)
        if not inside.all():  # villages outside the boundary: keep their surroundings too
            clip = shapely.union(clip, hull)
    else:
        clip = hull
    codes = np.asarray(villages["township_code"]).astype(str)
    names = dict(zip(codes, np.asarray(villages["township_name"]).astype(str)))
    uniq, first = np.unique(np.round(np.column_stack([x, y]), 1), axis=0, return_index=True)
    if len(uniq) >= 2:
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts[first]), extend_to=clip))
        tree = shapely.STRtree(cells)
        pi, ci = tree.query(pts[first], predicate="within")
        cell_code: dict[int, str] = {}
        for p_i, c_i in zip(pi, ci):
            cell_code.setdefault(int(c_i), codes[first[p_i]])
        groups: dict[str, list] = {}
        for c_i, code in cell_code.items():
            groups.setdefault(code, []).append(cells[c_i])
    else:
        groups = {codes[first[0]]: [clip]}
    rows = []
    for code in sorted(groups):
        g = shapely.intersection(shapely.union_all(groups[code]), clip)
        g = shapely.simplify(g, simplify_m, preserve_topology=True)
        rows.append({"township_code": code, "township_name": names[code], "area_km2": round(g.area / 1e6, 1),
                     "geometry": g})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs("EPSG:4326")
    out["geometry"] = shapely.set_precision(out.geometry.values, 10 ** -COORD_DECIMALS)
    return out
