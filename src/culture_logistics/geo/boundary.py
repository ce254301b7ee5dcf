"""County boundaries, bounding boxes and county seats.

Boundary polygons are decoded **at run time** from the user's installed
``geotool-cn`` package (file ``GeoToolCN/data/china.full.gtc``; DataV.GeoAtlas /
Amap boundaries, WGS-84).  Their notice says 「仅供学习交流使用」 ("for learning
and exchange only") with no redistribution grant, so this project never copies
the polygons into its repository or outputs: it reads them from the installed
package when needed.

The decoder below is an independent, standard-library implementation of the
``.gtc`` layout published in geotool-cn's ``SPEC.md`` section 4
(``format_version`` 1): a 32-byte header, a section table, fixed-size META
records, a names blob, and a GEOM section in which each region is a bbox plus
varint/zigzag delta-coded rings, addressed through a GIDX offset table.  It does
not import geotool-cn's private reader.

All coordinates are WGS-84 (EPSG:4326) longitude/latitude in decimal degrees.
"""
from __future__ import annotations

import csv
import importlib.util
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, box
from shapely.validation import make_valid

from culture_logistics.errors import CultureLogisticsError
from culture_logistics.resources import data_dir, divisions_dir

GTC_RELATIVE = ("data", "china.full.gtc")


# section type ids of format_version 1
_SEC_META, _SEC_NAMES, _SEC_GEOM, _SEC_GIDX = 1, 2, 3, 4


_META_RECORD = struct.Struct("<IB3xIIH2xii")  # adcode, level, parent, name_off, name_len, lat e6, lng e6


def gtc_path() -> Path | None:
    """Location of the installed geotool-cn boundary file, or ``None``.

    Returns
    -------
    pathlib.Path or None
        ``<site-packages>/GeoToolCN/data/china.full.gtc`` when geotool-cn is
        installed and the file exists; ``None`` otherwise.  The package is only
        located (``importlib.util.find_spec``), never imported.
    """
    try:
        spec = importlib.util.find_spec("GeoToolCN")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*GTC_RELATIVE)
        if path.is_file():
            return path
    return None


class GTCFormatError(CultureLogisticsError, ValueError):
    """The ``.gtc`` file does not follow the format this decoder understands."""


def _uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _svarint(buf: bytes, pos: int) -> tuple[int, int]:
    value, pos = _uvarint(buf, pos)
    return (value >> 1) ^ -(value & 1), pos


@dataclass(frozen=True)
class _Region:
    index: int
    adcode: str
    level: int
    parent: str
    name: str
    lat: float
    lng: float


class _GTCFile:
    """Parsed header, META and GIDX of a ``.gtc`` file; geometry decoded on demand."""

    def __init__(self, path: Path):
        self.path = path
        buf = path.read_bytes()
        if buf[:4] != b"GTCN":
            raise GTCFormatError(f"{path}: not a GTC file (magic {buf[:4]!r})")
        fmt, dataset, precision, data_version, nsec = struct.unpack_from("<HBBIH", buf, 4)
        if fmt != 1:
            raise GTCFormatError(f"{path}: unsupported format_version {fmt}")
        self.dataset = dataset
        self.precision = precision
        self.scale = 10 ** precision
        self.data_version = data_version
        sections: dict[int, memoryview] = {}
        view = memoryview(buf)
        for i in range(nsec):
            sec_type, _flags, _crc, offset, length = struct.unpack_from("<HHIQQ", buf, 32 + 24 * i)
            sections[sec_type] = view[offset:offset + length]
        missing = {_SEC_META, _SEC_NAMES, _SEC_GEOM, _SEC_GIDX} - set(sections)
        if missing:
            raise GTCFormatError(f"{path}: missing sections {sorted(missing)}")
        meta, names = sections[_SEC_META], bytes(sections[_SEC_NAMES])
        self._geom = bytes(sections[_SEC_GEOM])
        n = struct.unpack_from("<I", meta, 0)[0]
        self.regions: dict[str, _Region] = {}
        for i in range(n):
            adcode, level, parent, noff, nlen, lat, lng = _META_RECORD.unpack_from(meta, 4 + _META_RECORD.size * i)
            code = f"{adcode:06d}"
            self.regions.setdefault(code, _Region(
                index=i, adcode=code, level=level, parent=f"{parent:06d}" if parent else "",
                name=names[noff:noff + nlen].decode("utf-8"), lat=lat / 1e6, lng=lng / 1e6))
        self._gidx = struct.unpack_from(f"<{n + 1}I", sections[_SEC_GIDX], 0)

    def rings(self, index: int) -> list[list[list[tuple[float, float]]]] | None:
        """Decoded polygons of record ``index``: ``[polygon][ring][(lon, lat)]``, outer ring first."""
        start, end = self._gidx[index], self._gidx[index + 1]
        if start == end:
            return None
        geom, scale = self._geom, self.scale
        pos = start + 16  # skip the int32 bbox
        npoly, pos = _uvarint(geom, pos)
        polys = []
        for _ in range(npoly):
            nring, pos = _uvarint(geom, pos)
            rings = []
            for _ in range(nring):
                npt, pos = _uvarint(geom, pos)
                x = y = 0
                ring = []
                for _ in range(npt):
                    dx, pos = _svarint(geom, pos)
                    dy, pos = _svarint(geom, pos)
                    x += dx
                    y += dy
                    ring.append((x / scale, y / scale))
                if ring and ring[0] != ring[-1]:
                    ring.append(ring[0])
                rings.append(ring)
            polys.append(rings)
        if pos != end:
            raise GTCFormatError(f"{self.path}: record {index} decoded {pos - start} of {end - start} bytes")
        return polys


@lru_cache(maxsize=2)
def _open_gtc(path: str) -> _GTCFile:
    return _GTCFile(Path(path))


def _gtc() -> _GTCFile | None:
    path = gtc_path()
    return None if path is None else _open_gtc(str(path))


def gtc_data_version() -> str | None:
    """``data_version`` of the installed ``.gtc`` file (e.g. ``"20260307"``), or ``None``."""
    g = _gtc()
    return None if g is None else str(g.data_version)


@lru_cache(maxsize=512)
def _boundary_cached(path: str, adcode: str) -> MultiPolygon | None:
    g = _open_gtc(path)
    region = g.regions.get(adcode)
    if region is None:
        return None
    polys = g.rings(region.index)
    if not polys:
        return None
    parts: list = []
    for rings in polys:
        rings = [r for r in rings if len(r) >= 4]
        if not rings:
            continue
        poly = Polygon(rings[0], rings[1:])
        if not poly.is_valid:
            fixed = make_valid(poly)
            parts.extend(p for p in getattr(fixed, "geoms", [fixed]) if isinstance(p, Polygon) and not p.is_empty)
        else:
            parts.append(poly)
    return MultiPolygon(parts) if parts else None


def county_boundary(adcode: str) -> MultiPolygon | None:
    """County boundary decoded from the installed geotool-cn data.

    Parameters
    ----------
    adcode : str
        6-digit county (district) code, e.g. ``"370782"``.

    Returns
    -------
    shapely.geometry.MultiPolygon or None
        WGS-84 lon/lat polygon(s) (EPSG:4326), outer ring first, precision 1e-5°
        (~1 m).  ``None`` when geotool-cn is not installed or has no polygon for
        ``adcode`` (e.g. NBS functional zones ``37xx7x``).  Never stored in the
        repository; see the module docstring for the data licence.
    """
    path = gtc_path()
    if path is None:
        return None
    return _boundary_cached(str(path), str(adcode))


@lru_cache(maxsize=1)
def _points_bbox() -> dict[str, dict[str, str]]:
    path = divisions_dir() / "county_points_bbox.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {row["adcode"]: row for row in csv.DictReader(f)}


def county_bbox(adcode: str) -> tuple[float, float, float, float] | None:
    """Bounding box of a county from ``data/divisions/county_points_bbox.csv``.

    Returns
    -------
    tuple of float or None
        ``(minx, miny, maxx, maxy)`` = (min lon, min lat, max lon, max lat) in
        WGS-84 degrees; ``None`` when the county is not in the file (the 15 NBS
        functional zones are not).
    """
    row = _points_bbox().get(str(adcode))
    if row is None:
        return None
    return (float(row["bbox_min_lng"]), float(row["bbox_min_lat"]),
            float(row["bbox_max_lng"]), float(row["bbox_max_lat"]))


def county_rep_point(adcode: str) -> tuple[float, float] | None:
    """geotool-cn's representative point of a county (guaranteed inside its polygon).

    Returns
    -------
    tuple of float or None
        ``(lon, lat)`` WGS-84 degrees from ``county_points_bbox.csv``, or ``None``.
    """
    row = _points_bbox().get(str(adcode))
    if row is None:
        return None
    return float(row["rep_lng"]), float(row["rep_lat"])


def county_extent(adcode: str, *, use_geotool: bool = True) -> tuple[Polygon | MultiPolygon | None, str]:
    """Best available extent of a county.

    Parameters
    ----------
    adcode : str
        6-digit county code.
    use_geotool : bool, default True
        Set ``False`` to skip the geotool-cn polygon and use the bbox fallback.

    Returns
    -------
    (geometry, source)
        ``(MultiPolygon, "geotool-cn")`` when the installed geotool-cn has the
        county; else ``(Polygon, "bbox")``, the rectangle of :func:`county_bbox`;
        else ``(None, "none")`` (functional zones ``37xx7x``, unknown codes) and
        the caller decides.  WGS-84 lon/lat degrees.
    """
    if use_geotool:
        geom = county_boundary(adcode)
        if geom is not None:
            return geom, "geotool-cn"
    bb = county_bbox(adcode)
    if bb is not None:
        return box(*bb), "bbox"
    return None, "none"


@lru_cache(maxsize=1)
def _geonames_rows() -> tuple[dict[str, str], ...]:
    path = data_dir() / "geonames" / "pilot_county_places_geonames.csv"
    if not path.is_file():
        return ()
    with open(path, encoding="utf-8-sig", newline="") as f:
        return tuple(csv.DictReader(f))


def geonames_places(county_code: str | None = None) -> list[dict[str, str]]:
    """GeoNames populated places inside the pilot counties (CC BY 4.0).

    Source: ``data/geonames/pilot_county_places_geonames.csv`` ("GeoNames
    (geonames.org), CC BY 4.0").  Each row is a dict of strings with keys
    ``geonameid,name,names_zh,lat,lng,population,county_adcode,county_name,
    township_code_nbs2023,township_code_mca2025,township_name,match_method``
    (``lat``/``lng`` WGS-84 degrees).  Empty township codes mark city/county seats
    or unmatched points.
    """
    rows = _geonames_rows()
    if county_code is not None:
        rows = tuple(r for r in rows if r["county_adcode"] == str(county_code))
    return [dict(r) for r in rows]


def township_seats_geonames(county_code: str) -> dict[str, tuple[float, float]]:
    """Township seat points from GeoNames, keyed by NBS-2023 township code.

    Only points matched to a township NBS files under ``county_code`` itself
    are returned (for 371002 the townships NBS codes under 371071-371073 are
    left out).

    Returns
    -------
    dict
        ``{township_code: (lon, lat)}``, WGS-84 degrees.
    """
    out: dict[str, tuple[float, float]] = {}
    for r in sorted(geonames_places(county_code), key=lambda r: r["geonameid"]):
        code = r["township_code_nbs2023"]
        if code and code[:6] == str(county_code) and code not in out:
            out[code] = (float(r["lng"]), float(r["lat"]))
    return out


def _short_county_name(name: str) -> str:
    for suffix in ("自治县", "市", "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def county_seat(adcode: str) -> tuple[float, float] | None:
    """Approximate county seat (县城/区政府驻地) of a county.

    Rule, in order:

    1. a GeoNames point of the county with no township code (a city/county seat
       row) that is big (population >= 50,000) or whose Chinese names contain the
       county's short name; the most populous one wins;
    2. any GeoNames point of the county whose Chinese names contain the county's
       short name (e.g. 夏津 -> the 南城镇 point, 郯城 -> 郯城街道);
    3. geotool-cn's representative point from ``county_points_bbox.csv`` (inside
       the polygon, but not necessarily the seat).

    Returns
    -------
    tuple of float or None
        ``(lon, lat)`` WGS-84 degrees; ``None`` when the county is in neither file
        (NBS functional zones).
    """
    adcode = str(adcode)
    rows = geonames_places(adcode)
    if rows:
        short = _short_county_name(rows[0]["county_name"])
        names = {r["geonameid"]: r["names_zh"].split("|") if r["names_zh"] else [] for r in rows}

        def mentions(r: dict[str, str]) -> bool:
            return any(short in n for n in names[r["geonameid"]])

        def pop(r: dict[str, str]) -> int:
            return int(r["population"] or 0)

        seats = [r for r in rows if not r["township_code_nbs2023"] and (pop(r) >= 50_000 or mentions(r))]
        if not seats:
            seats = [r for r in rows if mentions(r)]
        if seats:
            best = sorted(seats, key=lambda r: (-pop(r), r["geonameid"]))[0]
            return float(best["lng"]), float(best["lat"])
    return county_rep_point(adcode)
