"""Constants and geometry helpers of the synthetic county builder.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points

from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.geo.coords import utm_crs

DEFAULT_SEED = 20261126


BRANDS = ("中通", "圆通", "申通", "韵达", "极兔")


#: nominal share of villages with a village-tier service point, per operator
VILLAGE_SERVICE_SHARES = {"postal": 0.25, "supply_coop": 0.20, "courier": 0.15, "shared": 0.08}


#: band of the share of villages not reached by all three carrying operators
#: (radius 3000 m, straight line x 1.3) that the builder aims for
UNREACHED_BAND = (0.05, 0.25)


MAX_SHARED_MULT = 5.0     # shared village points: at most 5 x 8 % = 40 % of villages


MAX_SERVICE_SCALE = 3.0   # then every operator's village share: at most 3 x nominal


OPERATOR_LETTER = {"postal": "P", "supply_coop": "S", "courier": "C", "shared": "X"}


TIER_LETTER = {"county": "C", "township": "T", "village": "V"}


CARRIERS = ("postal", "supply_coop", "courier")


SPEEDS = {"trunk": 80, "primary": 80, "secondary": 60, "tertiary": 40, "unclassified": 30, "track": 20}


CLASS_RANK = {"trunk": 0, "primary": 1, "secondary": 2, "tertiary": 3, "unclassified": 4, "track": 5}


MIN_SPACING_M = 300.0      # minimum village-village spacing aimed for


SEAT_CLEARANCE_M = 200.0   # minimum distance of a village from any seat


INNER_BUFFER_M = 150.0     # villages stay this far inside the boundary


VILLAGE_RADIUS_M = 8000.0  # village committees within this distance of their seat


RESIDENT_RADIUS_SUBDISTRICT_M = 2500.0


RESIDENT_RADIUS_TOWN_M = 1500.0


def fmt_float(v: float) -> str:
    return f"{v:.6f}"


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def township_short(name: str) -> str:
    return _strip_suffix(name, ("街道办事处", "管理委员会", "类似乡级单位", "管委会", "街道", "镇", "乡"))


def village_short(name: str) -> str:
    return _strip_suffix(name, ("村民委员会", "居民委员会", "村民委会", "村委会", "居委会", "委员会", "居委", "居"))


def county_short(name: str) -> str:
    return _strip_suffix(name, ("自治县", "市", "区", "县"))


def round_ll(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.round(np.asarray(lon, float), 6), np.round(np.asarray(lat, float), 6)


@dataclass
class Frame:
    """Projection between WGS-84 degrees and the county's UTM metres."""

    epsg: int
    fwd: Transformer
    inv: Transformer

    @classmethod
    def for_point(cls, lon: float, lat: float) -> Frame:
        crs = utm_crs(lon, lat)
        return cls(crs.to_epsg(), Transformer.from_crs(4326, crs, always_xy=True),
                   Transformer.from_crs(crs, 4326, always_xy=True))

    def to_m(self, lon, lat):
        x, y = self.fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_ll(self, x, y):
        lon, lat = self.inv.transform(np.asarray(x, float), np.asarray(y, float))
        return round_ll(lon, lat)

    def geom_to_m(self, geom):
        return shapely.transform(geom, lambda x, y: self.fwd.transform(x, y), interleaved=False)

    def geom_to_ll(self, geom):
        return shapely.transform(geom, lambda x, y: self.inv.transform(x, y), interleaved=False)


def largest_polygon(geom) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda p: p.area)


def shrink_region(region: Polygon, dist: float, min_share: float = 0.5):
    """``region`` buffered inward by ``dist`` m, or less when that would eat too much."""
    for d in (dist, dist / 3, 10.0):
        g = region.buffer(-d)
        if not g.is_empty and g.area >= min_share * region.area:
            return g
    return region


def sample_in(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform in ``geom`` (metres), rejection-sampled from its bbox."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out, total = [], 0
    for _ in range(1000):
        if total >= n:
            break
        k = max(256, 2 * (n - total))
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(geom, x, y)
        if ok.any():
            out.append(np.column_stack([x[ok], y[ok]]))
            total += int(ok.sum())
    if not out:
        p = geom.representative_point()
        return np.array([[p.x, p.y]] * n)
    return np.vstack(out)[:n]


def min_dist(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    if len(others) == 0:
        return np.full(len(points), np.inf)
    d = np.hypot(points[:, None, 0] - others[None, :, 0], points[:, None, 1] - others[None, :, 1])
    return d.min(axis=1)


def snap_inside(pt: np.ndarray, area) -> np.ndarray:
    p = Point(pt)
    if area.contains(p):
        return pt
    q = nearest_points(area.buffer(-1.0) if area.area > 10 else area, p)[0]
    return np.array([q.x, q.y])


def delaunay_edges(xy: np.ndarray) -> set[tuple[int, int]]:
    n = len(xy)
    if n < 2:
        return set()
    if n < 4:
        return {(i, j) for i in range(n) for j in range(i + 1, n)}
    try:
        tri = Delaunay(xy)
    except QhullError:
        return {(i, j) for i in range(n) for j in range(i + 1, n)}
    edges = set()
    for a, b, c in tri.simplices:
        for i, j in ((a, b), (b, c), (a, c)):
            edges.add((int(min(i, j)), int(max(i, j))))
    return edges


def gabriel(xy: np.ndarray, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    out = set()
    for i, j in edges:
        mid = (xy[i] + xy[j]) / 2
        r2 = ((xy[i] - xy[j]) ** 2).sum() / 4
        d2 = ((xy - mid) ** 2).sum(axis=1)
        d2[[i, j]] = np.inf
        if not (d2 < r2 * (1 - 1e-9)).any():
            out.add((i, j))
    return out


def mst(n: int, edges: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    if n < 2 or not edges:
        return []
    rows = [e[0] for e in edges]
    cols = [e[1] for e in edges]
    w = [max(e[2], 1e-6) for e in edges]
    m = minimum_spanning_tree(coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()).tocoo()
    return sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(m.row, m.col))


def component_labels(n: int, edges) -> np.ndarray:
    edges = list(edges)
    if not edges:
        return np.arange(n)
    rows = [a for a, b in edges]
    cols = [b for a, b in edges]
    g = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    return connected_components(g, directed=False)[1]


@dataclass
class County:
    adcode: str
    name: str
    frame: Frame
    boundary_source: str           # geotool-cn | bbox | synthetic-disc
    boundary_version: str
    region: Polygon                # metres, largest part of the extent
    inner: Any                  # metres, region shrunk by INNER_BUFFER_M
    safe: Any                   # metres, region shrunk by 5 m (road checks)
    seat_xy: np.ndarray            # county seat, metres
    seat_source: str
